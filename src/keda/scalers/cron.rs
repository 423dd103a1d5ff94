//! `cron` trigger (upstream pkg/scalers/cron_scaler.go): active inside `[start, end)` computed
//! from the *next* firings of both schedules in `timezone`; metric `desiredReplicas` inside,
//! 0 outside (v2.16+); target the integer 1. Metric name
//! `s<i>-cron-<tz>-<start>-<end>` with spaces removed, `*`→`x`, `/`→`Sl`, `?`→`Qm`, `,`→`Cm`,
//! then normalised. An unknown timezone builds fine but fails every fetch.

use super::{BuildContext, Parts, ScalerKind, external, external_target_type};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::cron::{Schedule, format_local, load_zone};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_int,
};
use crate::keda::params::{Params, Spec};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub struct CronScaler {
    pub(crate) start: Schedule,
    pub(crate) end: Schedule,
    pub(crate) timezone: String,
    pub(crate) desired_replicas: i64,
}

/// The cron window at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CronWindow {
    pub active: bool,
    /// Next start/end firings (Unix seconds; None = no firing within five years).
    pub(crate) next_start: Option<i64>,
    pub(crate) next_end: Option<i64>,
    /// The same, as RFC 3339 in the trigger's zone.
    pub next_start_local: String,
    pub next_end_local: String,
}

/// Go's zero `time.Time` compared with real instants: before everything.
const ZERO_TIME: f64 = -62_135_596_800.0;

/// Evaluate the window like `GetMetricsAndActivity`.
pub fn cron_window(
    start: &Schedule,
    end: &Schedule,
    timezone: &str,
    now: f64,
) -> Result<CronWindow, String> {
    let tz = load_zone(timezone).map_err(|e| format!("unable to load timezone: {e}"))?;
    let ns = start.next(now, tz);
    let ne = end.next(now, tz);
    let s = ns.map(|v| v as f64).unwrap_or(ZERO_TIME);
    let e = ne.map(|v| v as f64).unwrap_or(ZERO_TIME);
    let active = if s < e {
        now > s && now < e
    } else {
        now > s || now < e
    };
    let show = |t: Option<i64>| {
        t.map(|t| format_local(t, tz))
            .unwrap_or_else(|| "0001-01-01T00:00:00Z".into())
    };
    Ok(CronWindow {
        active,
        next_start: ns,
        next_end: ne,
        next_start_local: show(ns),
        next_end_local: show(ne),
    })
}

impl CronScaler {
    pub(super) fn evaluate(&self, now: f64) -> FetchResult {
        let w =
            cron_window(&self.start, &self.end, &self.timezone, now).map_err(FetchError::new)?;
        let value = if w.active {
            self.desired_replicas as f64
        } else {
            0.0
        };
        Ok(Reading {
            value,
            active: w.active,
        })
    }
}

fn encode(s: &str) -> String {
    s.replace(' ', "")
        .replace('*', "x")
        .replace('/', "Sl")
        .replace('?', "Qm")
        .replace(',', "Cm")
}

/// The metric name KEDA gives a cron trigger.
pub(super) fn cron_metric_name(
    trigger_index: usize,
    timezone: &str,
    start: &str,
    end: &str,
) -> String {
    indexed_name(
        trigger_index,
        &normalize(&format!(
            "cron-{timezone}-{}-{}",
            encode(start),
            encode(end)
        )),
    )
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let start = p.string(Spec::meta(&["start"]));
    let end = p.string(Spec::meta(&["end"]));
    let timezone = p.string(Spec::meta(&["timezone"]));
    let desired = p.int(Spec::meta(&["desiredReplicas"]), 64);
    let (start, end, timezone) = (
        start.value()?.to_string(),
        end.value()?.to_string(),
        timezone.value()?.to_string(),
    );
    let start_s = Schedule::parse(&start)
        .map_err(|e| p.error(Some("start"), format!("error parsing start schedule: {e}")));
    let end_s = Schedule::parse(&end)
        .map_err(|e| p.error(Some("end"), format!("error parsing end schedule: {e}")));
    if start == end {
        p.error(
            Some("end"),
            "start and end can not have exactly same time input",
        );
    }
    if desired == Some(0) {
        p.error(Some("desiredReplicas"), "no desiredReplicas specified");
    }
    let (Ok(start_s), Ok(end_s), Some(desired), Some(target_type)) =
        (start_s, end_s, desired, target_type)
    else {
        return None;
    };
    if !p.errors.is_empty() {
        return None;
    }
    let name = cron_metric_name(ctx.trigger_index, &timezone, &start, &end);
    Some(Parts {
        metric: external(name, target_type, target_milli_from_int(1)),
        activation: Some(0.0),
        signal: Signal::Clock,
        delay: DelayClass::Clock,
        kind: ScalerKind::Cron(CronScaler {
            start: start_s,
            end: end_s,
            timezone,
            desired_replicas: desired,
        }),
    })
}
