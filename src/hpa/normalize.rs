//! From the raw proposal `P` to the replica count to write (docs/hpa.md#normalization): the legacy path
//! (rolling-maximum stabilization and the `max(2×current, 4)` cap) and the behavior path
//! (two-sided stabilization windows, Pods/Percent policies over the scale-event history,
//! min/max bounds), plus the bookkeeping of both histories with upstream's exact slot reuse.
//!
//! Time comparisons follow upstream: behavior windows and policy periods count entries strictly
//! newer than `now − W`; the legacy window keeps an entry exactly `W` old.

use super::memory::{Recommendation, ScaleEvent};
use super::reason::Reason;
use super::spec::{EffectiveRules, PolicyType, ScalingPolicy, SelectPolicy};
use serde::Serialize;

/// Legacy stabilization (`stabilizeRecommendation`): `max(P, recommendations no older than W)`,
/// then record `P` (overwriting one entry older than `W`, else appending).
pub fn stabilize_legacy(
    recs: &mut Vec<Recommendation>,
    now: f64,
    window: f64,
    proposal: i32,
) -> i32 {
    let cutoff = now - window;
    let mut max = proposal;
    let mut old: Option<usize> = None;
    for (i, r) in recs.iter().enumerate() {
        if r.time < cutoff {
            old = Some(i);
        } else if r.replicas > max {
            max = r.replicas;
        }
    }
    record(recs, old, proposal, now);
    max
}

fn record(recs: &mut Vec<Recommendation>, old: Option<usize>, proposal: i32, now: f64) {
    let entry = Recommendation {
        replicas: proposal,
        time: now,
    };
    match old.and_then(|i| recs.get_mut(i)) {
        Some(slot) => *slot = entry,
        None => recs.push(entry),
    }
}

/// Result of the behavior-path stabilization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stabilized {
    /// `S`.
    pub replicas: i32,
    /// Lowest proposal in the scale-up window (including `P`).
    pub(crate) up_bound: i32,
    /// Highest proposal in the scale-down window (including `P`).
    pub(crate) down_bound: i32,
    /// `ScaleUpStabilized` when `P ≥ current`, else `ScaleDownStabilized` (used when `S ≠ P`).
    pub(crate) reason: Reason,
    pub(crate) message: &'static str,
}

/// Behavior-path stabilization (`stabilizeRecommendationWithBehaviors`, docs/hpa.md#stabilization):
/// `S = min(max(current, upBound), downBound)`, then record `P`.
pub fn stabilize_with_behavior(
    recs: &mut Vec<Recommendation>,
    now: f64,
    up_window: i32,
    down_window: i32,
    current: i32,
    proposal: i32,
) -> Stabilized {
    let up_cutoff = now - up_window as f64;
    let down_cutoff = now - down_window as f64;
    let (mut up, mut down) = (proposal, proposal);
    let mut old: Option<usize> = None;
    for (i, r) in recs.iter().enumerate() {
        if r.time > up_cutoff {
            up = up.min(r.replicas);
        }
        if r.time > down_cutoff {
            down = down.max(r.replicas);
        }
        if r.time < up_cutoff && r.time < down_cutoff {
            old = Some(i);
        }
    }
    let mut s = current;
    if s < up {
        s = up;
    }
    if s > down {
        s = down;
    }
    record(recs, old, proposal, now);
    let (reason, message) = if proposal >= current {
        (
            Reason::ScaleUpStabilized,
            "recent recommendations were lower than current one, applying the lowest recent recommendation",
        )
    } else {
        (
            Reason::ScaleDownStabilized,
            "recent recommendations were higher than current one, applying the highest recent recommendation",
        )
    };
    Stabilized {
        replicas: s,
        up_bound: up,
        down_bound: down,
        reason,
        message,
    }
}

/// The result of a clamp: replicas, the `ScalingLimited` reason and message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limited {
    pub replicas: i32,
    pub reason: Reason,
    pub(crate) message: &'static str,
    /// For the behavior path: how the rate limit was computed (the side of the move only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rate: Option<RateLimit>,
    /// For the legacy path: the scale-up cap `int(max(factor × current, minimum))`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) legacy_cap: Option<i32>,
}

const WITHIN: (Reason, &str) = (
    Reason::DesiredWithinRange,
    "the desired count is within the acceptable range",
);
const TOO_MANY: (Reason, &str) = (
    Reason::TooManyReplicas,
    "the desired replica count is more than the maximum replica count",
);
const TOO_FEW: (Reason, &str) = (
    Reason::TooFewReplicas,
    "the desired replica count is less than the minimum replica count",
);
const UP_LIMIT: (Reason, &str) = (
    Reason::ScaleUpLimit,
    "the desired replica count is increasing faster than the maximum scale rate",
);
const DOWN_LIMIT: (Reason, &str) = (
    Reason::ScaleDownLimit,
    "the desired replica count is decreasing faster than the maximum scale rate",
);

/// `calculateScaleUpLimit`: `int32(max(factor × current, minimum))`.
pub(crate) fn legacy_scale_up_cap(current: i32, factor: f64, minimum: f64) -> i32 {
    (factor * current as f64).max(minimum) as i32
}

/// Legacy clamp (`convertDesiredReplicasWithRules`, docs/hpa.md#legacy).
pub fn convert_with_rules(
    current: i32,
    desired: i32,
    min: i32,
    max: i32,
    factor: f64,
    minimum: f64,
) -> Limited {
    let cap = legacy_scale_up_cap(current, factor, minimum);
    let (upper, upper_why) = if max > cap {
        (cap, UP_LIMIT)
    } else {
        (max, TOO_MANY)
    };
    let (replicas, (reason, message)) = if desired < min {
        (min, TOO_FEW)
    } else if desired > upper {
        (upper, upper_why)
    } else {
        (desired, WITHIN)
    };
    Limited {
        replicas,
        reason,
        message,
        rate: None,
        legacy_cap: Some(cap),
    }
}

/// Sum of the changes strictly newer than `now − period` (`getReplicasChangePerPeriod`).
pub fn replicas_change_per_period(period_seconds: i32, events: &[ScaleEvent], now: f64) -> i32 {
    let cutoff = now - period_seconds as f64;
    events
        .iter()
        .filter(|e| e.time > cutoff)
        .fold(0i32, |acc, e| acc.saturating_add(e.change))
}

/// One policy's proposal in a rate-limit computation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PolicyProposal {
    pub(crate) policy: ScalingPolicy,
    /// Replicas at the start of the policy's period (current − ups + downs inside it).
    pub(crate) period_start: i32,
    pub(crate) proposal: i32,
}

/// Which way a rate limit bounds the move; serialized `up` / `down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Direction {
    Up,
    Down,
}

/// How a scale-up or scale-down limit was reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateLimit {
    pub(crate) direction: Direction,
    pub(crate) select_policy: SelectPolicy,
    pub(crate) proposals: Vec<PolicyProposal>,
    /// The selected limit before it is bounded by `current` and min/max.
    pub limit: i32,
    /// Index into `proposals` of the policy that gave `limit` (none for `Disabled`).
    pub(crate) chosen: Option<usize>,
}

impl RateLimit {
    /// The binding policy in words, e.g. `policy Pods 4 per 15s`, or `selectPolicy Disabled`.
    pub(crate) fn describe(&self) -> String {
        match self.chosen.and_then(|i| self.proposals.get(i)) {
            Some(p) => format!("policy {}", p.policy),
            None if self.select_policy == SelectPolicy::Disabled => "selectPolicy Disabled".into(),
            None => "no policy".into(),
        }
    }
}

fn period_start(
    current: i32,
    policy: &ScalingPolicy,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    now: f64,
) -> i32 {
    let added = replicas_change_per_period(policy.period_seconds, up, now);
    let deleted = replicas_change_per_period(policy.period_seconds, down, now);
    current.saturating_sub(added).saturating_add(deleted)
}

/// `calculateScaleUpLimitWithScalingRules`: Pods `start + value`, Percent
/// `ceil(start × (1 + value/100))`; Max/Min/Disabled select among them.
pub fn scale_up_limit(
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    rules: &EffectiveRules,
    now: f64,
) -> RateLimit {
    policy_limit(
        Direction::Up,
        current,
        up,
        down,
        rules,
        now,
        |start, p| match p.policy_type {
            PolicyType::Pods => start.saturating_add(p.value),
            PolicyType::Percent => (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as i32,
        },
    )
}

/// `calculateScaleDownLimitWithBehaviors`: Pods `start − value`, Percent
/// `trunc(start × (1 − value/100))` (may be negative); Max = most change = lowest.
pub fn scale_down_limit(
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    rules: &EffectiveRules,
    now: f64,
) -> RateLimit {
    policy_limit(
        Direction::Down,
        current,
        up,
        down,
        rules,
        now,
        |start, p| match p.policy_type {
            PolicyType::Pods => start.saturating_sub(p.value),
            PolicyType::Percent => (start as f64 * (1.0 - p.value as f64 / 100.0)) as i32,
        },
    )
}

fn policy_limit(
    direction: Direction,
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    rules: &EffectiveRules,
    now: f64,
    propose: impl Fn(i32, &ScalingPolicy) -> i32,
) -> RateLimit {
    let proposals: Vec<PolicyProposal> = rules
        .policies
        .iter()
        .map(|p| {
            let start = period_start(current, p, up, down, now);
            PolicyProposal {
                policy: *p,
                period_start: start,
                proposal: propose(start, p),
            }
        })
        .collect();
    // Scaling up, Max picks the highest proposal; scaling down, Max (most change) the lowest.
    let pick_high = (direction == Direction::Up) == (rules.select_policy == SelectPolicy::Max);
    let limit = match rules.select_policy {
        SelectPolicy::Disabled => current,
        _ if pick_high => proposals.iter().fold(i32::MIN, |a, p| a.max(p.proposal)),
        _ => proposals.iter().fold(i32::MAX, |a, p| a.min(p.proposal)),
    };
    let chosen = match rules.select_policy {
        SelectPolicy::Disabled => None,
        _ => proposals.iter().position(|p| p.proposal == limit),
    };
    RateLimit {
        direction,
        select_policy: rules.select_policy,
        proposals,
        limit,
        chosen,
    }
}

/// Behavior-path rate limits and min/max (`convertDesiredReplicasWithBehaviorRate`,
/// docs/hpa.md#policies): only the bound on the side of the move applies.
#[allow(clippy::too_many_arguments)]
pub fn convert_with_behavior_rate(
    current: i32,
    desired: i32,
    min: i32,
    max: i32,
    up_rules: &EffectiveRules,
    down_rules: &EffectiveRules,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    now: f64,
) -> Limited {
    if desired > current {
        let rate = scale_up_limit(current, up_events, down_events, up_rules, now);
        let limit = rate.limit.max(current);
        let (upper, why) = if max > limit {
            (limit, UP_LIMIT)
        } else {
            (max, TOO_MANY)
        };
        if desired > upper {
            return Limited {
                replicas: upper,
                reason: why.0,
                message: why.1,
                rate: Some(rate),
                legacy_cap: None,
            };
        }
        return Limited {
            replicas: desired,
            reason: WITHIN.0,
            message: WITHIN.1,
            rate: Some(rate),
            legacy_cap: None,
        };
    }
    if desired < current {
        let rate = scale_down_limit(current, up_events, down_events, down_rules, now);
        let limit = rate.limit.min(current);
        let (lower, why) = if min < limit {
            (limit, DOWN_LIMIT)
        } else {
            (min, TOO_FEW)
        };
        if desired < lower {
            return Limited {
                replicas: lower,
                reason: why.0,
                message: why.1,
                rate: Some(rate),
                legacy_cap: None,
            };
        }
        return Limited {
            replicas: desired,
            reason: WITHIN.0,
            message: WITHIN.1,
            rate: Some(rate),
            legacy_cap: None,
        };
    }
    Limited {
        replicas: desired,
        reason: WITHIN.0,
        message: WITHIN.1,
        rate: None,
        legacy_cap: None,
    }
}

/// Flag every event older than `now − longest_period` as outdated, then overwrite the *last*
/// flagged slot with the new event, else append (`storeScaleEvent` for one direction).
pub fn store_event(events: &mut Vec<ScaleEvent>, change: i32, longest_period: i32, now: f64) {
    let cutoff = now - longest_period as f64;
    for e in events.iter_mut() {
        if e.time < cutoff {
            e.outdated = true;
        }
    }
    let new = ScaleEvent {
        change,
        time: now,
        outdated: false,
    };
    match events.iter().rposition(|e| e.outdated) {
        Some(i) => events[i] = new,
        None => events.push(new),
    }
}

/// Record a successful rescale `prev → new` in the list of its direction, using that direction's
/// longest policy period for flagging (docs/hpa.md#policies).
pub(crate) fn store_scale_event(
    up_rules: &EffectiveRules,
    down_rules: &EffectiveRules,
    up_events: &mut Vec<ScaleEvent>,
    down_events: &mut Vec<ScaleEvent>,
    prev: i32,
    new: i32,
    now: f64,
) {
    if new > prev {
        store_event(
            up_events,
            new.saturating_sub(prev),
            up_rules.longest_period(),
            now,
        );
    } else {
        store_event(
            down_events,
            prev.saturating_sub(new),
            down_rules.longest_period(),
            now,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::spec::{default_scale_down_rules, default_scale_up_rules};

    fn recs(v: &[(i32, f64)]) -> Vec<Recommendation> {
        v.iter()
            .map(|&(replicas, age)| Recommendation {
                replicas,
                time: 1000.0 - age,
            })
            .collect()
    }
    fn events(v: &[(i32, f64)]) -> Vec<ScaleEvent> {
        v.iter()
            .map(|&(change, age)| ScaleEvent {
                change,
                time: 1000.0 - age,
                outdated: false,
            })
            .collect()
    }

    #[test]
    fn legacy_window_keeps_entry_exactly_w_old_behavior_window_does_not() {
        let mut r = recs(&[(9, 300.0)]);
        assert_eq!(stabilize_legacy(&mut r, 1000.0, 300.0, 3), 9);
        assert_eq!(r.len(), 2);
        let mut r = recs(&[(9, 300.0)]);
        let s = stabilize_with_behavior(&mut r, 1000.0, 0, 300, 10, 3);
        assert_eq!(s.replicas, 3);
        // neither counted nor "older than both windows": kept, and P appended
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn legacy_overwrites_the_last_old_slot() {
        let mut r = recs(&[(10, 600.0), (4, 60.0), (9, 540.0)]);
        assert_eq!(stabilize_legacy(&mut r, 1000.0, 300.0, 3), 4);
        assert_eq!(
            r.iter().map(|x| x.replicas).collect::<Vec<_>>(),
            vec![10, 4, 3]
        );
    }

    #[test]
    fn behavior_stabilization_never_crosses_current() {
        // V89-like: scale down stabilization where the window's max is below current
        let mut r = recs(&[(4, 60.0)]);
        let s = stabilize_with_behavior(&mut r, 1000.0, 0, 300, 10, 2);
        assert_eq!((s.up_bound, s.down_bound, s.replicas), (2, 4, 4));
        assert_eq!(s.reason, Reason::ScaleDownStabilized);
        // a proposal equal to current is labelled as scale-up
        let s = stabilize_with_behavior(&mut r, 1000.0, 0, 300, 10, 10);
        assert_eq!(s.reason, Reason::ScaleUpStabilized);
    }

    #[test]
    fn legacy_cap_factor_and_minimum() {
        // V94: from 1 replica with factor 2 the cap is 4, with factor 8 it is 8.
        let l = convert_with_rules(1, 100, 1, 100, 2.0, 4.0);
        assert_eq!((l.replicas, l.reason), (4, Reason::ScaleUpLimit));
        let l = convert_with_rules(1, 100, 1, 100, 8.0, 4.0);
        assert_eq!((l.replicas, l.reason), (8, Reason::ScaleUpLimit));
        let l = convert_with_rules(3, 100, 1, 100, 2.0, 4.0);
        assert_eq!(l.replicas, 6);
        let l = convert_with_rules(3, 1, 2, 100, 2.0, 4.0);
        assert_eq!((l.replicas, l.reason), (2, Reason::TooFewReplicas));
        let l = convert_with_rules(3, 5, 2, 6, 2.0, 4.0);
        assert_eq!((l.replicas, l.reason), (5, Reason::DesiredWithinRange));
    }

    #[test]
    fn default_behavior_allows_7_from_3_legacy_6() {
        let (up, down) = (default_scale_up_rules(), default_scale_down_rules(300));
        let l = convert_with_behavior_rate(3, 100, 1, 100, &up, &down, &[], &[], 0.0);
        assert_eq!(l.replicas, 7);
        assert_eq!(l.rate.as_ref().unwrap().describe(), "policy Pods 4 per 15s");
        let l = convert_with_behavior_rate(1, 100, 1, 100, &up, &down, &[], &[], 0.0);
        assert_eq!(l.replicas, 5);
    }

    #[test]
    fn disabled_select_policy_blocks_the_direction() {
        let mut up = default_scale_up_rules();
        up.select_policy = SelectPolicy::Disabled;
        let l = convert_with_behavior_rate(
            3,
            10,
            1,
            100,
            &up,
            &default_scale_down_rules(300),
            &[],
            &[],
            0.0,
        );
        assert_eq!((l.replicas, l.reason), (3, Reason::ScaleUpLimit));
        assert_eq!(l.rate.unwrap().describe(), "selectPolicy Disabled");
    }

    #[test]
    fn scale_down_min_select_takes_least_change() {
        let rules = EffectiveRules {
            stabilization_window_seconds: 0,
            select_policy: SelectPolicy::Min,
            policies: vec![ScalingPolicy::pods(5, 60), ScalingPolicy::percent(10, 60)],
            tolerance: None,
        };
        // proposals 100-5=95, trunc(100*0.9)=90; Min (least change) = 95
        assert_eq!(scale_down_limit(100, &[], &[], &rules, 0.0).limit, 95);
    }

    #[test]
    fn events_exactly_one_period_old_are_out() {
        let e = events(&[(3, 60.0), (2, 59.0)]);
        assert_eq!(replicas_change_per_period(60, &e, 1000.0), 2);
    }

    #[test]
    fn store_flags_by_storing_direction_periods_only() {
        // Up policies are 15 s long; an up event 30 s old is flagged and reused even though a
        // down policy of 60 s would still count it (the other direction's periods are not used).
        let up_rules = default_scale_up_rules();
        let down_rules = EffectiveRules {
            policies: vec![ScalingPolicy::pods(1, 60)],
            ..default_scale_down_rules(300)
        };
        let mut up = events(&[(4, 30.0), (2, 5.0)]);
        let mut down = Vec::new();
        store_scale_event(&up_rules, &down_rules, &mut up, &mut down, 6, 9, 1000.0);
        assert_eq!(
            up.iter()
                .map(|e| (e.change, e.outdated))
                .collect::<Vec<_>>(),
            vec![(3, false), (2, false)]
        );
        store_scale_event(&up_rules, &down_rules, &mut up, &mut down, 9, 7, 1000.0);
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].change, 2);
    }
}
