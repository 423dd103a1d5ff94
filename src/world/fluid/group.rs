//! Flow level: the interval's alike pods served as one group (docs/model.md#pods-in-the-same-state).
//!
//! Most intervals, most Ready pods of an http workload are in the same state: warm, past their
//! start-up burst, with the same CPU cap and limit, nothing left waiting from an earlier
//! interval, and offered well below what they can serve. Such pods form the interval's group.
//! The group takes its part of the arrivals in one draw and splits it evenly among its members,
//! the remainder rotating, so members are offered `s` or `s + 1` requests. The group is served
//! in closed form once: the queueing wait and CFS stall of each of the two offers are worked out
//! once, the interval's latencies recorded as a dozen stratified batches, and each member books
//! its share's CPU, in-service count and counters. Alike pods thus read alike samples, as
//! identical pods would. Pods outside the group (warming up, bursting, backlogged, refusing
//! work, jobs) and intervals where the group could fall behind take the per-pod path of the
//! parent module.

use super::{Cohort, FluidState, close_interval, round_up_half};
use crate::settings::workload::Balancer;
use crate::world::pod::Pod;
use crate::world::pod_set::ByRevision;
use crate::world::{PodState, World};

/// The quantile strata a share size's latencies are recorded in each interval: three quarters
/// of the body, then halving towards the tail (the last 1/1024 its own stratum). Each stratum
/// records one batch, its service time drawn within the stratum and its count the stratum's
/// width of the requests, so a dozen batches cover the distribution's tail (p99, p99.9) far
/// better than a dozen independent draws would, and the mean stays unbiased.
const STRATA: [f64; 13] = [
    0.0,
    0.25,
    0.5,
    0.75,
    1.0 - 1.0 / 8.0,
    1.0 - 1.0 / 16.0,
    1.0 - 1.0 / 32.0,
    1.0 - 1.0 / 64.0,
    1.0 - 1.0 / 128.0,
    1.0 - 1.0 / 256.0,
    1.0 - 1.0 / 512.0,
    1.0 - 1.0 / 1024.0,
    1.0,
];

/// [`STRATA`]'s bounds in 1024ths (each is a whole number of them).
const STRATA_1024: [u64; 13] = [
    0, 256, 512, 768, 896, 960, 992, 1008, 1016, 1020, 1022, 1023, 1024,
];

/// Counts up to this are split by [`stratum_upto`] in integers; above it, in floating point.
const STRATA_EXACT_COUNT: u64 = 1 << 40;

/// `round_up_half(count as f64 * upper / 1024.0)` ([`STRATA`]'s share up to a bound of `upper`
/// 1024ths) in integers, for `count` up to [`STRATA_EXACT_COUNT`]: there the product is a whole
/// number of 1024ths below 2⁵⁰, so the float product, the half added and the truncation are all
/// exact, and round half up is `(count × upper + 512) / 1024`.
#[inline(always)]
fn stratum_upto(count: u64, upper: u64) -> u64 {
    debug_assert!(count <= STRATA_EXACT_COUNT && upper <= 1024);
    (count * upper + 512) >> 10
}

/// Capacity noise, in standard deviations, the group must stay below: past it, the per-pod path
/// serves the interval.
const KEPT_UP_MARGIN_SD: f64 = 3.0;

/// This interval's group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    /// Members, in pod order.
    pub(super) members: Vec<u32>,
    /// What the members are alike by.
    like: Option<Likeness>,
    /// Endpoints outside the group, in endpoint order.
    others: Vec<u32>,
    /// Members of a group that could fall behind this interval: served one by one.
    pub(super) fallen: Vec<u32>,
    /// Whether each pod (by id) is a member, marked only while the endpoints are split between
    /// the group and the others ([`Group::mark`]); all false otherwise.
    marked: Vec<bool>,
    /// Requests routed to the group.
    total: u64,
    /// Rotates which members take the remainder's extra request.
    turn: usize,
    /// What the keep-up check worked out this interval ([`World::fluid_group_keeps_up`]), for
    /// serving the group without working it out again.
    checked: Option<Checked>,
}

/// The keep-up check's findings: the members' servers, and the wait and stall of the largest
/// offer (`offer`, a member's share rounded up).
#[derive(Debug, Clone, Copy)]
struct Checked {
    servers: f64,
    offer: u64,
    wait: (f64, f64),
}

/// What makes pods alike: (cap, warm-up, CPU limit) as bits.
pub(super) type Likeness = [u64; 3];

impl Group {
    /// Whether `pod` is served with the group this interval; only between [`Group::mark`] and
    /// [`Group::unmark`].
    #[inline]
    fn has(&self, pod: u32) -> bool {
        self.marked.get(pod as usize).is_some_and(|&m| m)
    }

    /// Mark the members, for [`Group::has`] (among `pods` pods).
    fn mark(&mut self, pods: usize) {
        if self.marked.len() < pods {
            self.marked.resize(pods, false);
        }
        for &id in &self.members {
            self.marked[id as usize] = true;
        }
    }

    /// Clear what [`Group::mark`] marked.
    fn unmark(&mut self) {
        for &id in &self.members {
            self.marked[id as usize] = false;
        }
    }

    /// Start gathering this interval's group.
    pub(super) fn open(&mut self) {
        self.disband();
        self.like = None;
    }

    /// Take pod `id` in if it can join (`likeness`) and is alike with the members so far.
    #[inline]
    pub(super) fn join(&mut self, id: u32, likeness: Option<Likeness>) -> bool {
        let Some(key) = likeness else {
            return false;
        };
        match &self.like {
            Some(like) if !alike(like, &key) => return false,
            Some(_) => {}
            None => self.like = Some(key),
        }
        self.members.push(id);
        true
    }

    /// The group could fall behind this interval: its members are served one by one.
    fn fall_back(&mut self) {
        self.fallen.clear();
        std::mem::swap(&mut self.members, &mut self.fallen);
        self.total = 0;
        self.checked = None;
    }

    /// Empty the group after its interval.
    pub(super) fn disband(&mut self) {
        self.members.clear();
        self.others.clear();
        self.fallen.clear();
        self.total = 0;
        self.checked = None;
    }
}

/// Whether two pods' likenesses are the same, compared field by field: a whole-array compare
/// compiles to wide loads of values just stored in narrow pieces, which stall the walk over
/// every pod that gathers the group.
#[inline(always)]
fn alike(a: &Likeness, b: &Likeness) -> bool {
    a[0] == b[0] && a[1] == b[1] && a[2] == b[2]
}

/// What a member offered `share` requests books: its CPU and in-service rates
/// ([`World::fluid_interval_rates`]) and the seconds it stalls on its CFS quota.
#[derive(Debug, Clone, Copy)]
struct Offer {
    share: u64,
    rates: (f64, u64),
    stalled_s: f64,
}

/// [`close_interval`] of a member of the group without a CFS quota: its CPU clock catches up
/// by its flow-level rate alone, then its work burns `cpu` cores with `in_service` requests in
/// service. A member holds nothing in service at request level and its start-up burst is over
/// (it joined with none, and a burst that starts counts a change, so the group is gathered
/// afresh), so [`Pod::advance`]'s terms for those add zeros: `+0` to a clock that is never
/// `−0` (it starts at `+0` and adds rates that are never `−0`) over a finite time, which
/// changes nothing, to the bit (the test `member_intervals_close_as_pods_do` holds it to
/// `close_interval`).
#[inline(always)]
fn close_member_interval(p: &mut Pod, t: f64, (cpu, in_service): (f64, u64)) {
    debug_assert!(p.cfs.is_none() && p.in_service.is_empty() && p.burst == 0.0);
    let dt = t - p.vclock_at;
    if dt > 0.0 {
        p.cpu_seconds += p.fluid_cpu * dt;
        p.vclock_at = t;
    }
    p.fluid_cpu = cpu;
    p.fluid_in_service = in_service;
}

/// The members `0..m` in order as runs, each marked whether it takes an extra request: the `r`
/// from `turn` on (wrapping) do ([`takes_extra`]). Empty runs are left out.
fn extra_runs(
    turn: usize,
    m: usize,
    r: usize,
) -> impl Iterator<Item = (std::ops::Range<usize>, bool)> {
    let (wrapped, end) = if turn + r <= m {
        (0, turn + r)
    } else {
        (turn + r - m, m)
    };
    [
        (0..wrapped, true),
        (wrapped..turn, false),
        (turn..end, true),
        (end..m, false),
    ]
    .into_iter()
    .filter(|(range, _)| !range.is_empty())
}

/// Whether the member at `position` of `m` takes one of the remainder's `r` extra requests:
/// the `r` members from `turn` on (wrapping) do. The reference [`extra_runs`] is tested against.
#[cfg(test)]
fn takes_extra(position: usize, turn: usize, m: usize, r: usize) -> bool {
    let from_turn = if position >= turn {
        position - turn
    } else {
        position + m - turn
    };
    from_turn < r
}

impl World {
    /// Route the interval's fresh arrivals `c` to the interval's group (gathered by
    /// [`World::fluid_serving_pods`]) and, one by one, to the other endpoints.
    pub(super) fn fluid_route_grouped(&mut self, t: f64, c: Cohort, fl: &mut FluidState) {
        let (n, k, m) = (
            c.count,
            self.requests.endpoints.len(),
            fl.group.members.len(),
        );
        let group = &mut fl.group;
        group.others.clear();
        if m < k {
            group.mark(self.pods.by_id.len());
            for &id in &self.requests.endpoints {
                if !group.has(id) {
                    group.others.push(id);
                }
            }
        }
        let to_group = self.fluid_split_group(n, k, m, fl);
        if m < k {
            fl.group.unmark();
        }
        if self.fluid_group_keeps_up(to_group, fl) {
            fl.group.total = to_group;
        } else {
            // It could fall behind: its members take the per-pod path with their shares.
            let members = std::mem::take(&mut fl.group.members);
            self.fluid_split_among(
                t,
                Cohort {
                    count: to_group,
                    ..c
                },
                &members,
                fl,
            );
            fl.group.members = members;
            fl.group.fall_back();
            // Its members now hold work: the next interval gathers afresh.
            fl.kept.valid = false;
        }
        let others = std::mem::take(&mut fl.group.others);
        self.fluid_split_among(
            t,
            Cohort {
                count: n - to_group,
                ..c
            },
            &others,
            fl,
        );
        fl.group.others = others;
    }

    /// What pod `id` is alike by, if it can join a group: Ready, in the endpoints and taking
    /// work, running, not a job, past its start-up burst, nothing waiting from an earlier
    /// interval. `limit` remembers the revision's CPU limit, as bits, across the walk.
    #[inline]
    pub(super) fn fluid_likeness(&self, id: u32, limit: &mut ByRevision<u64>) -> Option<Likeness> {
        let p = &self.pods.by_id[id as usize];
        let ready =
            p.state == PodState::Ready && p.in_endpoints && p.accepting && p.running_at.is_some();
        (ready && !p.job && p.burst == 0.0 && p.cohorts.is_empty()).then(|| {
            let limit = limit.get(p.revision, || {
                self.pods.sets[p.revision as usize].cpu_limit.to_bits()
            });
            [p.cap.to_bits(), p.warm.to_bits(), limit]
        })
    }

    /// How many of `n` requests the balancer sends to the group's `m` of `k` endpoints: all of
    /// them when every endpoint is a member; else binomially at random, or the members' even
    /// shares (round-robin, least-request).
    fn fluid_split_group(&mut self, n: u64, k: usize, m: usize, fl: &mut FluidState) -> u64 {
        if m == k {
            fl.round_robin = (fl.round_robin + (n % k as u64) as usize) % k;
            return n;
        }
        match self.cfg.balancer {
            Balancer::Random => binomial(&mut self.requests.rng_balancer, n, m, k),
            _ => {
                let mut shares = std::mem::take(&mut fl.shares);
                self.fluid_split((n, k as u64), fl.round_robin, fl, &mut shares);
                let to_group = self
                    .requests
                    .endpoints
                    .iter()
                    .zip(&shares)
                    .filter(|&(&id, _)| fl.group.has(id))
                    .map(|(_, &share)| share)
                    .sum();
                fl.shares = shares;
                fl.round_robin = (fl.round_robin + (n % k as u64) as usize) % k;
                to_group
            }
        }
    }

    /// Whether the group's members keep up with `to_group` requests this interval even at
    /// their lowest likely capacity, and none is served after its client's timeout.
    fn fluid_group_keeps_up(&mut self, to_group: u64, fl: &mut FluidState) -> bool {
        let m = fl.group.members.len() as u64;
        let first = fl.group.members[0];
        let (servers, rate, noise_sd) = self.fluid_service_rate(first, fl);
        let most = to_group.div_ceil(m);
        if most as f64 + 1.0 > rate * fl.dt - KEPT_UP_MARGIN_SD * noise_sd {
            return false;
        }
        let wait = self.fluid_wait(fl, first, servers, most);
        let service = fl.mean_service / self.pods.by_id[first as usize].warm;
        let keeps_up = service + wait.0 + fl.dt / 2.0 <= self.cfg.timeout.unwrap_or(f64::INFINITY);
        if keeps_up {
            fl.group.checked = Some(Checked {
                servers,
                offer: most,
                wait,
            });
        }
        keeps_up
    }

    /// The queueing wait and stall share of a member of the group offered `offer`
    /// ([`World::fluid_wait`]): the keep-up check's when it worked out that offer. Both ask
    /// the same memoised questions of the same pod in the same interval, so the answers are
    /// the same, and the memo is as asking again would leave it.
    fn fluid_group_wait(
        &self,
        fl: &mut FluidState,
        (first, servers): (u32, f64),
        offer: u64,
        checked: Option<Checked>,
    ) -> (f64, f64) {
        match checked {
            Some(c) if c.offer == offer => c.wait,
            _ => self.fluid_wait(fl, first, servers, offer),
        }
    }

    /// Split `c` over `pods` as the balancer would (as over the endpoints) and admit each part.
    fn fluid_split_among(&mut self, t: f64, c: Cohort, pods: &[u32], fl: &mut FluidState) {
        if pods.is_empty() || c.count == 0 {
            return;
        }
        let mut shares = std::mem::take(&mut fl.shares);
        self.fluid_split((c.count, pods.len() as u64), 0, fl, &mut shares);
        for (&id, &share) in pods.iter().zip(&shares) {
            if share > 0 {
                self.fluid_admit(t, id, Cohort { count: share, ..c }, fl);
            }
        }
        fl.shares = shares;
    }

    /// Serve the group's interval starting at `t`: record its latencies once, then book every
    /// member's share.
    pub(super) fn fluid_serve_group(&mut self, t: f64, fl: &mut FluidState) {
        let m = fl.group.members.len();
        if m == 0 {
            return;
        }
        let first = fl.group.members[0];
        // The keep-up check found the members' servers (the same memoised rate) when it ran.
        let checked = fl.group.checked.take();
        let servers = match checked {
            Some(c) => c.servers,
            None => self.fluid_service_rate(first, fl).0,
        };
        let total = fl.group.total;
        let (s, r) = (total / m as u64, total % m as u64);
        // Members offered `s` and those offered `s + 1` wait and stall by their own offer.
        let (small_wait, small_stall) = self.fluid_group_wait(fl, (first, servers), s, checked);
        let (large_wait, large_stall) = if r > 0 {
            self.fluid_group_wait(fl, (first, servers), s + 1, checked)
        } else {
            (0.0, 0.0)
        };
        if total > 0 {
            let small = (s * (m as u64 - r)) as f64;
            let wait = (small * small_wait + (total as f64 - small) * large_wait) / total as f64;
            self.fluid_record_strata(t, first, wait, total, fl);
        }
        let turn = fl.group.turn % m;
        let slot = self.recorder.series.slot_at(t);
        let small = Offer {
            share: s,
            rates: self.fluid_interval_rates(s, fl),
            stalled_s: fl.dt * small_stall,
        };
        let large = if r > 0 {
            Offer {
                share: s + 1,
                rates: self.fluid_interval_rates(s + 1, fl),
                stalled_s: fl.dt * large_stall,
            }
        } else {
            small
        };
        // In pod order: the members from `turn` on (wrapping) take the remainder's extra
        // requests ([`extra_runs`]).
        let members = &fl.group.members;
        for (range, offer) in extra_runs(turn, m, r as usize) {
            let offer = if offer { large } else { small };
            self.fluid_book_members(t, slot, &members[range], offer);
        }
        fl.group.turn = (turn + r as usize) % m;
    }

    /// Book `offer` for each of `members`, in order: its requests, its CPU and in-service rates
    /// from `t`, and its CFS stall in row `slot` if the offer stalls.
    #[inline(always)]
    fn fluid_book_members(&mut self, t: f64, slot: usize, members: &[u32], offer: Offer) {
        if offer.stalled_s > 0.0 {
            self.fluid_book_each::<true>(t, slot, members, offer);
        } else {
            self.fluid_book_each::<false>(t, slot, members, offer);
        }
    }

    /// [`Self::fluid_book_members`], whether the offer stalls known when compiled: one pass,
    /// each pod borrowed once. A stall counts as [`Self::fluid_throttle_in`] counts it, the
    /// run's and the row's totals added to member by member in the same order, held in
    /// locals across the pass. A member with a CFS quota has its interval closed in a second
    /// pass (its clock's out-of-line steps): each member's booking touches that member alone,
    /// so the order between members does not matter, and the first pass has no call that
    /// would spill its locals. Out of line, so its locals have the registers to themselves.
    #[inline(never)]
    fn fluid_book_each<const STALLS: bool>(
        &mut self,
        t: f64,
        slot: usize,
        members: &[u32],
        offer: Offer,
    ) {
        let cores_per_request = self.cfg.cores_per_request;
        let (share, (cpu, in_service), stalled_s) = (offer.share, offer.rates, offer.stalled_s);
        let (mut run_total, mut row_total) = if STALLS {
            (
                self.pods.throttled_seconds,
                self.recorder.series.throttled_s[slot],
            )
        } else {
            (0.0, 0.0)
        };
        let pods = &mut self.pods.by_id[..];
        let mut quotas = false;
        for &id in members {
            let p = &mut pods[id as usize];
            p.routed += share;
            p.served += share;
            if p.cfs.is_none() {
                close_member_interval(p, t, (cpu, in_service));
            } else {
                quotas = true;
            }
            if STALLS {
                p.throttled_seconds += stalled_s;
                run_total += stalled_s;
                row_total += stalled_s;
            }
        }
        if quotas {
            for &id in members {
                let p = &mut pods[id as usize];
                if p.cfs.is_some() {
                    close_interval(p, t, cores_per_request, offer.rates);
                }
            }
        }
        if STALLS {
            self.pods.throttled_seconds = run_total;
            self.recorder.series.throttled_s[slot] = row_total;
        }
    }

    /// Record `count` requests served by pods like `like` with mean queueing wait `wq`: a batch
    /// per quantile stratum ([`STRATA`]), its service time drawn within the stratum.
    fn fluid_record_strata(&mut self, t: f64, like: u32, wq: f64, count: u64, fl: &mut FluidState) {
        let service = fl.mean_service / self.pods.by_id[like as usize].warm;
        let timeout = self.cfg.timeout.unwrap_or(f64::INFINITY);
        let mut given = 0;
        let mut batches = [(0.0, 0); STRATA.len() - 1];
        let mut filled = 0;
        let in_integers = count <= STRATA_EXACT_COUNT;
        // The stream held in a local across the strata: the same draws, in the same order.
        let mut rng = fl.latency_rng.clone();
        for (bounds, &upper) in STRATA.windows(2).zip(&STRATA_1024[1..]) {
            // Counts by rounded cumulative shares, so they add up to `count`.
            let upto = if in_integers {
                stratum_upto(count, upper)
            } else {
                round_up_half(count as f64 * bounds[1])
            }
            .min(count);
            let n = upto.saturating_sub(given);
            given = given.max(upto);
            if n == 0 {
                continue;
            }
            let p = bounds[0] + (bounds[1] - bounds[0]) * rng.uniform();
            let drawn = fl.service_table.at(p) / fl.mean_service * service;
            let latency = (wq + drawn).max(0.0).min(timeout);
            batches[filled] = (latency, n);
            filled += 1;
        }
        fl.latency_rng = rng;
        self.recorder.served_latencies_n(t, &batches[..filled]);
        self.recorder.waited_n(wq, count);
    }
}

/// Of `n` requests each sent to one of `k` endpoints uniformly at random, how many reach a given
/// `m` of them: a binomial draw, one uniform per request while that is cheap (n ≤ 4k), else its
/// normal approximation rounded and clamped to `[0, n]`.
fn binomial(rng: &mut crate::rng::Stream, n: u64, m: usize, k: usize) -> u64 {
    if n <= 4 * k as u64 {
        return (0..n).filter(|_| rng.below(k) < m).count() as u64;
    }
    let p = m as f64 / k as f64;
    let mean = n as f64 * p;
    let sd = (mean * (1.0 - p)).sqrt();
    round_up_half((mean + sd * rng.normal()).clamp(0.0, n as f64)).min(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn binomial_has_the_right_mean_and_variance() {
        let mut rng = Stream::new(5, "group");
        for (n, m, k) in [(30u64, 3usize, 10usize), (5_000, 7, 40)] {
            let draws = 20_000;
            let xs: Vec<f64> = (0..draws)
                .map(|_| binomial(&mut rng, n, m, k) as f64)
                .collect();
            let p = m as f64 / k as f64;
            let (mean, var) = (n as f64 * p, n as f64 * p * (1.0 - p));
            let got = xs.iter().sum::<f64>() / draws as f64;
            let v = xs.iter().map(|x| (x - got).powi(2)).sum::<f64>() / draws as f64;
            assert!(
                (got - mean).abs() < 0.05 * var.sqrt() + 0.05,
                "{got} vs {mean}"
            );
            assert!((v - var).abs() < 0.05 * var, "{v} vs {var}");
            assert!(xs.iter().all(|&x| x <= n as f64));
        }
    }

    /// Four warm pods at a steady rate, well within what they can serve: every interval they
    /// form one group, so each books `s` or `s + 1` requests' CPU, where serving them one by
    /// one would spread their CPU by their multinomial shares.
    #[test]
    fn alike_pods_book_alike_cpu() {
        use crate::settings::dist::Dist;
        use crate::settings::workload::WorkloadKind;
        use crate::trace::Trace;
        use crate::world::properties::config;
        use std::sync::Arc;
        for balancer in [Balancer::Random, Balancer::RoundRobin] {
            let cfg = config(
                WorkloadKind::Http,
                4,
                None,
                None,
                balancer,
                Dist::constant(0.1),
                true,
            );
            let trace = Arc::new(Trace::from_rows(vec![0.0], vec![100.0], 600.0));
            let mut world = World::new(cfg, trace, 7, 600.0, 5.0, 4);
            let one_request = 0.5 * 0.1 / 1.0; // cores per request × service ÷ step
            let mut checked = 0;
            while world.next_time() <= 600.0 {
                world.step();
                let t = world.next_time();
                if t < 120.0 || !world.pods.iter().all(|p| p.state == PodState::Ready) {
                    continue;
                }
                let cpu: Vec<f64> = world.pods.iter().map(|p| p.fluid_cpu).collect();
                let (lo, hi) = cpu.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &c| {
                    (lo.min(c), hi.max(c))
                });
                assert!(
                    hi - lo <= one_request + 1e-9,
                    "{balancer:?} at {t}: {cpu:?}"
                );
                checked += 1;
            }
            assert!(checked > 100, "{checked}");
        }
    }

    /// A steady http workload scaled up and down at flow level: most intervals reuse the kept
    /// gather (each reuse checked against a fresh walk in debug builds:
    /// `fluid_check_kept_gather`), and the run is the same as when every interval gathers
    /// afresh.
    #[test]
    fn the_kept_gather_is_reused_between_pod_changes() {
        use crate::settings::dist::Dist;
        use crate::settings::workload::WorkloadKind;
        use crate::trace::Trace;
        use crate::world::properties::config;
        use std::sync::Arc;
        let run = |keep: bool| {
            let cfg = config(
                WorkloadKind::Http,
                4,
                Some(10.0),
                None,
                Balancer::Random,
                Dist::constant(0.1),
                true,
            );
            let trace = Arc::new(Trace::from_rows(vec![0.0], vec![100.0], 1200.0));
            let mut world = World::new(cfg, trace, 7, 1200.0, 5.0, 4);
            let mut changes = vec![(200.0, 8), (500.0, 3), (800.0, 6)]
                .into_iter()
                .peekable();
            while world.next_time() <= 1200.0 {
                if let Some(&(at, replicas)) = changes.peek()
                    && at < world.next_time()
                {
                    world.set_replicas(at, replicas);
                    changes.next();
                    continue;
                }
                if !keep && let Some(fl) = world.fluid.as_mut() {
                    fl.kept.valid = false;
                }
                world.step();
            }
            let reused = world.fluid.as_ref().map_or(0, |fl| fl.kept_reused);
            let cpu: Vec<u64> = world.pods.iter().map(|p| p.cpu_seconds.to_bits()).collect();
            (reused, world.recorder.totals.clone(), cpu)
        };
        let (kept, afresh) = (run(true), run(false));
        assert!(kept.0 > 150, "reused {} times", kept.0);
        assert_eq!(afresh.0, 0);
        assert_eq!((&kept.1, &kept.2), (&afresh.1, &afresh.2));
    }

    /// A member's interval closes as any pod's does ([`close_interval`]), to the bit, whatever
    /// its clock, rate and the time passed (none, backwards, NaN).
    #[test]
    fn member_intervals_close_as_pods_do() {
        let mut rng = Stream::new(12, "members");
        let pick = |rng: &mut Stream, special: &[f64]| {
            if rng.below(3) == 0 {
                special[rng.below(special.len())]
            } else {
                rng.uniform() * 1e4
            }
        };
        // Times are finite (or NaN, which passes no time); clocks and rates may be anything
        // but −0.
        let (times, values) = (
            [0.0, 1e-300, 3.0, 86_400.0, f64::NAN],
            [0.0, 1e-300, 3.0, 86_400.0, f64::INFINITY, f64::NAN],
        );
        for round in 0..50_000 {
            let mut pod = Pod::new(0, 0.0);
            pod.cpu_seconds = pick(&mut rng, &values);
            pod.vclock_at = pick(&mut rng, &times);
            pod.fluid_cpu = pick(&mut rng, &values);
            pod.fluid_in_service = rng.below(9) as u64;
            pod.burst = if rng.below(2) == 0 { 0.0 } else { -0.0 };
            let t = pick(&mut rng, &times);
            let (cpu, in_service) = (pick(&mut rng, &values), rng.below(9) as u64);
            let cores_per_request = pick(&mut rng, &[0.0, 0.012, 1.0]);
            let mut want = pod.clone();
            close_interval(&mut want, t, cores_per_request, (cpu, in_service));
            close_member_interval(&mut pod, t, (cpu, in_service));
            let bits = |p: &Pod| {
                (
                    p.cpu_seconds.to_bits(),
                    p.vclock_at.to_bits(),
                    p.fluid_cpu.to_bits(),
                    p.fluid_in_service,
                )
            };
            assert_eq!(bits(&pod), bits(&want), "round {round}");
        }
    }

    /// The strata's bounds in 1024ths are the bounds, and the integer split is the float one.
    #[test]
    fn strata_split_in_integers_as_in_floats() {
        for (&b, &k) in STRATA.iter().zip(&STRATA_1024) {
            assert_eq!(b * 1024.0, k as f64, "{b}");
        }
        let mut rng = Stream::new(9, "strata");
        let counts = (0..2_000u64)
            .chain([STRATA_EXACT_COUNT - 1, STRATA_EXACT_COUNT, 999_999_999_999])
            .chain((0..20_000).map(|_| rng.next_u64() % (STRATA_EXACT_COUNT + 1)));
        for count in counts {
            for (&b, &k) in STRATA.iter().zip(&STRATA_1024) {
                assert_eq!(
                    stratum_upto(count, k),
                    round_up_half(count as f64 * b),
                    "count {count}, bound {b}"
                );
            }
        }
    }

    /// The runs cover `0..m` in order and mark exactly the members [`takes_extra`] picks.
    #[test]
    fn extra_runs_match_takes_extra() {
        for m in 1..12 {
            for turn in 0..m {
                for r in 0..m {
                    let marks: Vec<bool> = extra_runs(turn, m, r)
                        .flat_map(|(range, extra)| range.map(move |_| extra))
                        .collect();
                    let want: Vec<bool> = (0..m).map(|i| takes_extra(i, turn, m, r)).collect();
                    assert_eq!(marks, want, "m {m} turn {turn} r {r}");
                }
            }
        }
    }

    #[test]
    fn shares_are_even_and_add_up() {
        for (total, m, turn) in [(0u64, 3usize, 0usize), (7, 3, 1), (100, 7, 5), (6, 6, 2)] {
            let (s, r) = (total / m as u64, (total % m as u64) as usize);
            let shares: Vec<u64> = (0..m)
                .map(|i| s + u64::from(takes_extra(i, turn, m, r)))
                .collect();
            assert_eq!(shares.iter().sum::<u64>(), total, "{shares:?}");
            let (lo, hi) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
            assert!(hi - lo <= 1, "{shares:?}");
            // The extra requests start at the turn.
            if r > 0 {
                assert_eq!(shares[turn], s + 1, "{shares:?}");
            }
        }
    }
}
