//! The scenario's share of the resource limits (`crate::limits`, docs/limits.md): a run whose
//! duration, rate, step or traffic model would need unbounded memory or time is refused here,
//! naming the field at fault, before anything is simulated.

use super::nodes::NodeAutoscaler;
use super::{Fidelity, Scenario};
use crate::error::InputError;
use crate::limits::{
    MAX_CONCURRENCY, MAX_DURATION_S, MAX_NODES, MAX_RATE, MAX_REPLICAS, MAX_REQUEST_LEVEL_REQUESTS,
    MAX_REQUESTS_PER_ROW, MIN_CONTROL_PERIOD_S, MIN_PERIOD_S, check_period,
};
use crate::trace::Trace;
use crate::trace::spec::TraceSpec;
use crate::units::format_seconds;
use crate::yaml::Document;

/// `duration` as written, before the trace is loaded (a generator renders the whole duration, so
/// a huge one must be refused on `duration`, not on the generator's step).
pub(super) fn check_duration(doc: &Document<'_>, duration: Option<f64>) -> Result<(), InputError> {
    match duration {
        Some(d) if d > MAX_DURATION_S => Err(doc.error_at_path(
            "duration",
            format!(
                "{} is longer than scalesim simulates ({} days; see docs/limits.md)",
                format_seconds(d),
                MAX_DURATION_S / 86_400.0
            ),
        )),
        _ => Ok(()),
    }
}

/// The loaded trace against the run: its span when it sets the duration, its peak rate, the
/// requests per step of `timeseries.csv`, and the requests a request-level run would hold.
pub(super) fn check_run(
    doc: &Document<'_>,
    spec: &TraceSpec,
    trace: &Trace,
    (duration, explicit_duration): (f64, bool),
    step: f64,
    fidelity: Fidelity,
) -> Result<(), InputError> {
    if !explicit_duration && duration > MAX_DURATION_S {
        return Err(doc.error_at_path(
            "trace",
            format!(
                "the trace spans {}, longer than scalesim simulates ({} days; see docs/limits.md): give a shorter `duration`",
                format_seconds(duration),
                MAX_DURATION_S / 86_400.0
            ),
        ));
    }
    let peak = peak_rate(trace, duration);
    if let Some((at, rate)) = peak
        && !(rate <= MAX_RATE)
    {
        return Err(doc.error_at_path(
            rate_field(spec),
            format!(
                "the trace reaches {rate:.3e} requests/s at {}, above the highest rate scalesim simulates ({MAX_RATE:.0e} requests/s; see docs/limits.md): one workload does not serve this much — scale the trace down (`trace.scale`)",
                format_seconds(at)
            ),
        ));
    }
    if let Some((_, rate)) = peak
        && rate * step > MAX_REQUESTS_PER_ROW
    {
        return Err(doc.error_at_path(
            "step",
            format!(
                "a step of {} counts more than {MAX_REQUESTS_PER_ROW:.0} requests per row at the trace's peak of {rate:.3e} requests/s (see docs/limits.md): give a `step` of at most {}",
                format_seconds(step),
                format_seconds((MAX_REQUESTS_PER_ROW / rate).floor().max(1.0))
            ),
        ));
    }
    match fidelity {
        Fidelity::Request => check_request_level(doc, trace, duration),
        Fidelity::Fluid { step } => check_period(step, MIN_PERIOD_S, duration)
            .map_err(|m| doc.error_at_path("fluid_step", format!("fluid_step {m}"))),
    }
}

/// A request-level run holds every waiting request: refuse one that expects more than
/// [`MAX_REQUEST_LEVEL_REQUESTS`], naming `fidelity`.
fn check_request_level(doc: &Document<'_>, trace: &Trace, duration: f64) -> Result<(), InputError> {
    let expected = trace
        .arrivals
        .as_ref()
        .map_or_else(|| trace.integral(0.0, duration), |a| a.len() as f64);
    if expected > MAX_REQUEST_LEVEL_REQUESTS {
        return Err(doc.error_at_path(
            "fidelity",
            format!(
                "about {expected:.3e} requests over the run, more than the request-level model simulates ({MAX_REQUEST_LEVEL_REQUESTS:.0e}; see docs/limits.md): use `fidelity: fluid` (or `auto`, which picks it), or `--fidelity fluid`"
            ),
        ));
    }
    Ok(())
}

/// The highest rate the run plays, `(time, requests/s)`: the rows that start before `duration`
/// (the last one holds to the end). None for a request log (exact arrivals: no rate).
fn peak_rate(trace: &Trace, duration: f64) -> Option<(f64, f64)> {
    if trace.arrivals.is_some() {
        return None;
    }
    trace
        .times
        .iter()
        .zip(&trace.rates)
        .take_while(|(t, _)| **t < duration || **t == 0.0)
        .map(|(t, r)| (*t, *r))
        // A NaN (never from a validated trace) wins, so it is refused like a huge rate.
        .fold(None, |best: Option<(f64, f64)>, (t, r)| match best {
            Some((_, b)) if b.is_nan() || r <= b => best,
            _ => Some((t, r)),
        })
}

/// The field a too-high rate comes from: the scale when one is given, else the generator or
/// the file.
fn rate_field(spec: &TraceSpec) -> &'static str {
    if spec.scale.is_some_and(|s| s != 1.0) {
        "trace.scale"
    } else if spec.generate.is_some() {
        "trace.generate"
    } else {
        "trace.file"
    }
}

/// Every periodic loop the resolved scenario runs, `(field, period)`: each must pass
/// [`check_period`] over the run.
fn periods(s: &Scenario) -> Vec<(String, f64)> {
    let mut out = vec![
        (
            "cluster.metrics_server.resolution".to_string(),
            s.metrics_server_resolution,
        ),
        (
            "cluster.controller_manager.sync_period".to_string(),
            s.controller_manager.sync_period.0,
        ),
    ];
    if let Some(l) = &s.overload.liveness {
        out.push(("pods.liveness.period".into(), l.period));
    }
    match s.nodes.as_ref().map(|c| &c.autoscaler) {
        Some(NodeAutoscaler::ClusterAutoscaler(ca)) => {
            out.push((
                "cluster.node_autoscaler.scan_interval".into(),
                ca.scan_interval,
            ));
        }
        Some(NodeAutoscaler::Karpenter(k)) => {
            out.push((
                "cluster.node_autoscaler.batch_idle_duration".into(),
                k.batch_idle,
            ));
        }
        _ => {}
    }
    for (name, b) in &s.metric_bindings {
        if let Some(spec) = &b.backend {
            out.push((
                format!("metrics.{name}.backend.scrape_interval"),
                spec.timing().interval,
            ));
        }
    }
    out
}

/// The resolved scenario's loops and sizes: every period against the run's duration, and the
/// counts that size memory (concurrency, retries, replicas, nodes).
pub(super) fn check_scenario(doc: &Document<'_>, s: &Scenario) -> Result<(), InputError> {
    for (field, period) in periods(s) {
        check_period(period, MIN_CONTROL_PERIOD_S, s.duration)
            .map_err(|m| doc.error_at_path(&field, format!("{field} {m}")))?;
    }
    if s.workload.concurrency > MAX_CONCURRENCY {
        return Err(too_many(
            doc,
            "workload.concurrency",
            s.workload.concurrency.into(),
            MAX_CONCURRENCY.into(),
            "requests in service per pod",
        ));
    }
    for h in &s.autoscalers.hpas {
        if i64::from(h.spec.max_replicas) > MAX_REPLICAS {
            return Err(too_many(
                doc,
                "autoscaler.manifests",
                h.spec.max_replicas.into(),
                MAX_REPLICAS,
                &format!("replicas (maxReplicas of HPA {:?})", h.name),
            ));
        }
    }
    for so in &s.autoscalers.scaled_objects {
        if i64::from(so.hpa_max_replicas()) > MAX_REPLICAS {
            return Err(too_many(
                doc,
                "autoscaler.manifests",
                so.hpa_max_replicas().into(),
                MAX_REPLICAS,
                &format!("replicas (maxReplicaCount of ScaledObject {:?})", so.name),
            ));
        }
    }
    for sj in &s.autoscalers.scaled_jobs {
        if let Some(m) = sj.max_replica_count
            && i64::from(m) > MAX_REPLICAS
        {
            return Err(too_many(
                doc,
                "autoscaler.manifests",
                m.into(),
                MAX_REPLICAS,
                &format!("jobs (maxReplicaCount of ScaledJob {:?})", sj.name),
            ));
        }
    }
    check_nodes(doc, s)
}

/// Node pools: nodes at the start and at most, each under [`MAX_NODES`].
fn check_nodes(doc: &Document<'_>, s: &Scenario) -> Result<(), InputError> {
    let Some(c) = &s.nodes else { return Ok(()) };
    let several = c.pools.len() > 1;
    for (i, p) in c.pools.iter().enumerate() {
        let base = if several {
            format!("cluster.node_pools[{i}]")
        } else {
            "cluster.nodes".into()
        };
        for (field, n) in [("initial", p.initial), ("min", p.min)] {
            if i64::from(n) > MAX_NODES {
                return Err(too_many(
                    doc,
                    &format!("{base}.{field}"),
                    n.into(),
                    MAX_NODES,
                    "nodes",
                ));
            }
        }
    }
    Ok(())
}

fn too_many(doc: &Document<'_>, field: &str, n: i64, max: i64, what: &str) -> InputError {
    doc.error_at_path(
        field,
        format!("{n} {what} is more than scalesim simulates ({max}; see docs/limits.md)"),
    )
}
