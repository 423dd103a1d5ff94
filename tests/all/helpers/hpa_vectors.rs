//! Runs HPA conformance vectors (schema at the top of `tests/conformance/hpa_vectors.yaml`)
//! against scalesim's decision core. Every vector of every kind runs; an unknown kind or a
//! malformed vector is a failure, never a skip.

use scalesim::hpa::normalize;
use scalesim::hpa::*;
use scalesim::units::{Quantity, Seconds};
use serde_json::Value;

/// The evaluation instant used for every vector; ages are subtracted from it.
const NOW: f64 = 100_000.0;

pub(crate) struct Report {
    pub passed: usize,
    pub failed: usize,
    /// One line per failing vector: `FAIL <id> (<kind>): expected … got …`.
    pub failures: Vec<String>,
}

type R<T> = Result<T, String>;

/// Load a vectors file and run all its vectors.
pub(crate) fn run_file(path: &std::path::Path) -> R<Report> {
    let src = scalesim::yaml::Source::read(path).map_err(|e| e.to_string())?;
    let doc: Value = scalesim::yaml::parse(&src).map_err(|e| e.to_string())?;
    let defaults = doc.get("defaults").cloned().unwrap_or(Value::Null);
    let vectors = doc
        .get("vectors")
        .and_then(Value::as_array)
        .ok_or("the file has no `vectors:` list")?;
    let mut report = Report {
        passed: 0,
        failed: 0,
        failures: Vec::new(),
    };
    for (i, v) in vectors.iter().enumerate() {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{i}"));
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("<none>")
            .to_string();
        match run_vector(&defaults, v, &kind) {
            Ok(()) => report.passed += 1,
            Err(why) => {
                report.failed += 1;
                report.failures.push(format!("FAIL {id} ({kind}): {why}"));
            }
        }
    }
    Ok(report)
}

fn run_vector(defaults: &Value, v: &Value, kind: &str) -> R<()> {
    only(
        v,
        &[
            "id", "kind", "upstream", "note", "why", "config", "input", "expected",
        ],
        "the vector",
    )?;
    let cfg = merge_config(defaults, v.get("config"));
    only(
        &cfg,
        &[
            "tolerance_up",
            "tolerance_down",
            "cpu_initialization_period_s",
            "initial_readiness_delay_s",
            "downscale_stabilization_s",
            "legacy_scale_up_limit_factor",
            "legacy_scale_up_limit_minimum",
            "feature_gates",
        ],
        "config",
    )?;
    let input = v.get("input").ok_or("no `input`")?;
    let expected = v.get("expected").ok_or("no `expected`")?;
    // Input and expected keys each kind takes (schema, "kinds:"); `error` is scalesim's own
    // extension for replica_calc (the metric must fail).
    let (inputs, outputs): (&[&str], &[&str]) = match kind {
        "replica_calc" => (
            &[
                "current_replicas",
                "status_replicas",
                "metric",
                "pods",
                "extra_pod_metrics",
            ],
            &["replicas", "utilization", "usage_m", "error"],
        ),
        "controller" => (
            &["hpa", "scale", "pods", "history"],
            &["desired_replicas", "rescale", "conditions"],
        ),
        "behavior_rate" => (
            &[
                "current_replicas",
                "desired_replicas",
                "min_replicas",
                "max_replicas",
                "scale_up",
                "scale_down",
                "scale_up_events",
                "scale_down_events",
            ],
            &["replicas", "reason"],
        ),
        "stabilize_behavior" => (
            &[
                "current_replicas",
                "desired_replicas",
                "scale_up_window_s",
                "scale_down_window_s",
                "recommendations",
            ],
            &["replicas"],
        ),
        "stabilize_legacy" => (
            &["desired_replicas", "window_s", "recommendations"],
            &["replicas"],
        ),
        "legacy_rules" => (
            &[
                "current_replicas",
                "desired_replicas",
                "min_replicas",
                "max_replicas",
            ],
            &["replicas", "reason"],
        ),
        "policy_limit" => (
            &[
                "direction",
                "current_replicas",
                "rules",
                "scale_up_events",
                "scale_down_events",
            ],
            &["limit"],
        ),
        "event_store" => (
            &["events", "new_change", "policies", "period_s"],
            &["sum_in_period_before", "events_after"],
        ),
        other => return Err(format!("unknown vector kind {other:?}")),
    };
    only(input, inputs, "input")?;
    only(expected, outputs, "expected")?;
    match kind {
        "replica_calc" => replica_calc(&cfg, input, expected),
        "controller" => controller(&cfg, input, expected),
        "behavior_rate" => behavior_rate(&cfg, input, expected),
        "stabilize_behavior" => stabilize_behavior(input, expected),
        "stabilize_legacy" => stabilize_legacy(input, expected),
        "legacy_rules" => legacy_rules(&cfg, input, expected),
        "policy_limit" => policy_limit(input, expected),
        "event_store" => event_store(input, expected),
        other => Err(format!("unknown vector kind {other:?}")),
    }
}

// ---------- small JSON helpers ----------

fn merge_config(defaults: &Value, over: Option<&Value>) -> Value {
    let mut out = defaults.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(o)) = over {
        for (k, val) in o {
            match (out.get_mut(k), val) {
                (Some(Value::Object(base)), Value::Object(inner)) => {
                    for (ik, iv) in inner {
                        base.insert(ik.clone(), iv.clone());
                    }
                }
                _ => {
                    out.insert(k.clone(), val.clone());
                }
            }
        }
    }
    Value::Object(out)
}

fn f(v: &Value, key: &str) -> R<f64> {
    v.get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("missing number `{key}`"))
}
fn f_or(v: &Value, key: &str, d: f64) -> R<f64> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(d),
        Some(x) => x.as_f64().ok_or_else(|| format!("`{key}` is not a number")),
    }
}
fn i(v: &Value, key: &str) -> R<i64> {
    match v.get(key) {
        Some(x) => x
            .as_i64()
            .or_else(|| x.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        None => None,
    }
    .ok_or_else(|| format!("missing integer `{key}`"))
}
fn i32_(v: &Value, key: &str) -> R<i32> {
    i32::try_from(i(v, key)?).map_err(|_| format!("`{key}` out of int32 range"))
}
fn opt_i(v: &Value, key: &str) -> R<Option<i64>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => i(v, key).map(Some),
    }
}
fn s<'a>(v: &'a Value, key: &str) -> R<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string `{key}`"))
}
fn b_or(v: &Value, key: &str, d: bool) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(d)
}
fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}
fn check<T: PartialEq + std::fmt::Debug>(what: &str, expected: T, got: T, errs: &mut Vec<String>) {
    if expected != got {
        errs.push(format!("{what}: expected {expected:?}, got {got:?}"));
    }
}
/// The reason the controller would have written with a condition the vector gives without one
/// (only the type and status of an input condition steer a reconcile).
fn unstated_reason(t: ConditionType, st: ConditionStatus) -> Reason {
    let on = st == ConditionStatus::True;
    match t {
        ConditionType::AbleToScale if on => Reason::SucceededGetScale,
        ConditionType::AbleToScale => Reason::FailedGetScale,
        ConditionType::ScalingActive if on => Reason::ValidMetricFound,
        ConditionType::ScalingActive => Reason::ScalingDisabled,
        ConditionType::ScalingLimited if on => Reason::TooManyReplicas,
        ConditionType::ScalingLimited => Reason::DesiredWithinRange,
        ConditionType::ScaledToZero if on => Reason::ScaledToZero,
        ConditionType::ScaledToZero => Reason::NotScaledToZero,
    }
}

/// The schema's keys for one object: any other key fails the vector (a key the harness would
/// ignore could make a vector pass without testing what it says).
fn only(v: &Value, allowed: &[&str], what: &str) -> R<()> {
    match v {
        Value::Object(o) => {
            let unknown: Vec<&str> = o
                .keys()
                .map(String::as_str)
                .filter(|k| !allowed.contains(k))
                .collect();
            if unknown.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "unknown key(s) {unknown:?} in {what} (the schema allows {allowed:?})"
                ))
            }
        }
        Value::Null => Ok(()),
        _ => Err(format!("{what} is not a map")),
    }
}

fn done(errs: Vec<String>) -> R<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("; "))
    }
}

// ---------- config → settings ----------

fn settings(cfg: &Value) -> R<(ControllerSettings, Tolerances)> {
    let up = f_or(cfg, "tolerance_up", 0.1)?;
    let down = f_or(cfg, "tolerance_down", 0.1)?;
    let gates = cfg.get("feature_gates").cloned().unwrap_or(Value::Null);
    only(
        &gates,
        &[
            "HPAScaleToZero",
            "HPAConfigurableTolerance",
            "PodLevelResources",
        ],
        "feature_gates",
    )?;
    let s = ControllerSettings {
        // The band may be asymmetric: the controller gets it as its cluster tolerance.
        tolerance: down,
        tolerance_up: (up != down).then_some(up),
        cpu_initialization_period: Seconds(f_or(cfg, "cpu_initialization_period_s", 300.0)?),
        initial_readiness_delay: Seconds(f_or(cfg, "initial_readiness_delay_s", 30.0)?),
        downscale_stabilization: Seconds(f_or(cfg, "downscale_stabilization_s", 300.0)?),
        legacy_scale_up_limit_factor: f_or(cfg, "legacy_scale_up_limit_factor", 2.0)?,
        legacy_scale_up_limit_minimum: f_or(cfg, "legacy_scale_up_limit_minimum", 4.0)?,
        feature_gates: FeatureGates {
            hpa_scale_to_zero: b_or(&gates, "HPAScaleToZero", false),
            hpa_configurable_tolerance: b_or(&gates, "HPAConfigurableTolerance", true),
            pod_level_resources: b_or(&gates, "PodLevelResources", true),
        },
        ..Default::default()
    };
    Ok((s, Tolerances { down, up }))
}

// ---------- metrics, pods, readings ----------

fn target(t: &Value) -> R<MetricTarget> {
    only(
        t,
        &["type", "average_utilization", "average_value_m", "value_m"],
        "a metric target",
    )?;
    match s(t, "type")? {
        "Utilization" => Ok(MetricTarget::utilization(i32_(t, "average_utilization")?)),
        "AverageValue" => Ok(MetricTarget::average_value(Quantity::from_milli(i(
            t,
            "average_value_m",
        )?))),
        "Value" => Ok(MetricTarget::value(Quantity::from_milli(i(t, "value_m")?))),
        other => Err(format!("unknown target type {other:?}")),
    }
}

fn metric_spec(m: &Value) -> R<MetricSpec> {
    only(
        m,
        &[
            "type",
            "resource",
            "container",
            "target",
            "pod_values_m",
            "value_m",
            "values_m",
            "fails",
            "name",
        ],
        "a metric",
    )?;
    let t = m.get("target").map(target).transpose()?;
    let need = || t.clone().ok_or_else(|| "metric without target".to_string());
    Ok(match s(m, "type")? {
        "Resource" => MetricSpec::resource(s(m, "resource")?, need()?),
        "ContainerResource" => {
            MetricSpec::container_resource(s(m, "resource")?, s(m, "container")?, need()?)
        }
        "Pods" => MetricSpec::pods(
            m.get("name")
                .and_then(Value::as_str)
                .unwrap_or("pods_metric"),
            need()?,
        ),
        "Object" => MetricSpec::object(
            "Service",
            "svc",
            m.get("name")
                .and_then(Value::as_str)
                .unwrap_or("object_metric"),
            need()?,
        ),
        "External" => MetricSpec::external(
            m.get("name")
                .and_then(Value::as_str)
                .unwrap_or("external_metric"),
            need()?,
        ),
        other => MetricSpec::Unknown {
            type_name: other.to_string(),
        },
    })
}

fn pod(p: &Value) -> R<PodObservation> {
    only(
        p,
        &[
            "name",
            "phase",
            "ready",
            "deleting",
            "start_age_s",
            "ready_transition_age_s",
            "request_m",
            "usage_m",
            "metric_age_s",
            "metric_window_s",
            "containers",
        ],
        "a pod",
    )?;
    let start_age = f_or(p, "start_age_s", 3600.0)?;
    let transition_age = f_or(p, "ready_transition_age_s", start_age)?;
    let phase = match p.get("phase").and_then(Value::as_str).unwrap_or("Running") {
        "Running" => PodPhase::Running,
        "Pending" => PodPhase::Pending,
        "Succeeded" => PodPhase::Succeeded,
        "Failed" => PodPhase::Failed,
        "Unknown" => PodPhase::Unknown,
        other => return Err(format!("unknown phase {other:?}")),
    };
    let ready = ReadyCondition {
        status: if b_or(p, "ready", true) {
            ConditionStatus::True
        } else {
            ConditionStatus::False
        },
        last_transition_time: NOW - transition_age,
    };
    let both = |r: Option<i64>| Requests {
        cpu_milli: r,
        memory_milli: r,
    };
    let containers = if let Some(cs) = p.get("containers").and_then(Value::as_array) {
        cs.iter()
            .map(|c| {
                only(c, &["name", "request_m", "usage_m"], "a container")?;
                Ok(ContainerSpec {
                    name: s(c, "name")?.into(),
                    requests: both(opt_i(c, "request_m")?),
                    sidecar: false,
                    init: false,
                })
            })
            .collect::<R<Vec<_>>>()?
    } else {
        vec![ContainerSpec {
            name: "c0".into(),
            requests: both(opt_i(p, "request_m")?),
            sidecar: false,
            init: false,
        }]
    };
    Ok(PodObservation {
        name: s(p, "name")?.into(),
        phase,
        ready: Some(ready),
        deleting: b_or(p, "deleting", false),
        start_time: Some(NOW - start_age),
        containers: containers.into(),
        pod_requests: None,
        overhead: None,
    })
}

/// metrics-server samples for the pods (and extra samples for pods the selector did not return).
fn resource_samples(pods: &[Value], extra: &[Value]) -> R<Vec<PodResourceSample>> {
    let mut out = Vec::new();
    for p in pods {
        let timestamp = NOW - f_or(p, "metric_age_s", 0.0)?;
        let window = f_or(p, "metric_window_s", 60.0)?;
        let usage = |u: Option<i64>, name: &str| ContainerUsage {
            name: name.into(),
            cpu_milli: u,
            memory_milli: u,
        };
        if let Some(cs) = p.get("containers").and_then(Value::as_array) {
            let containers = cs
                .iter()
                .map(|c| Ok(usage(opt_i(c, "usage_m")?, s(c, "name")?)))
                .collect::<R<Vec<_>>>()?;
            out.push(PodResourceSample {
                pod: s(p, "name")?.into(),
                timestamp,
                window,
                containers,
            });
        } else if let Some(u) = opt_i(p, "usage_m")? {
            out.push(PodResourceSample {
                pod: s(p, "name")?.into(),
                timestamp,
                window,
                containers: vec![usage(Some(u), "c0")],
            });
        }
    }
    // Samples for pods the selector did not return carry the containers the vector's pods have
    // (upstream fixtures give every pod the same containers), the pod total split evenly.
    let names = container_names(pods)?;
    for e in extra {
        only(e, &["name", "usage_m"], "an extra_pod_metrics entry")?;
        let u = i(e, "usage_m")?;
        let n = names.len() as i64;
        let containers = names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let share = u / n + if (k as i64) < u % n { 1 } else { 0 };
                ContainerUsage {
                    name: name.as_str().into(),
                    cpu_milli: Some(share),
                    memory_milli: Some(share),
                }
            })
            .collect();
        out.push(PodResourceSample {
            pod: s(e, "name")?.into(),
            timestamp: NOW,
            window: 60.0,
            containers,
        });
    }
    Ok(out)
}

/// Container names the vector's pods use, in first-seen order (`c0` for pods given as totals).
fn container_names(pods: &[Value]) -> R<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for p in pods {
        match p.get("containers").and_then(Value::as_array) {
            Some(cs) => {
                for c in cs {
                    let n = s(c, "name")?.to_string();
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            None => {
                if !names.iter().any(|n| n == "c0") {
                    names.push("c0".into());
                }
            }
        }
    }
    if names.is_empty() {
        names.push("c0".into());
    }
    Ok(names)
}

fn reading(m: &Value, pods: &[Value], extra: &[Value]) -> R<MetricReading> {
    if b_or(m, "fails", false) {
        return Ok(MetricReading::Error(
            "the metrics API returned an error".into(),
        ));
    }
    Ok(match s(m, "type")? {
        "Resource" | "ContainerResource" => {
            MetricReading::PodResources(resource_samples(pods, extra)?)
        }
        "Pods" => {
            let values = arr(m, "pod_values_m");
            let mut samples = Vec::new();
            for (k, v) in values.iter().enumerate() {
                let value = match v {
                    Value::Null => continue,
                    v => v
                        .as_i64()
                        .ok_or("pod_values_m holds a non-integer".to_string())?,
                };
                let p = pods.get(k).ok_or("pod_values_m longer than pods")?;
                samples.push(PodValueSample {
                    pod: s(p, "name")?.into(),
                    value_milli: value,
                    timestamp: NOW - f_or(p, "metric_age_s", 0.0)?,
                    window: f_or(p, "metric_window_s", 60.0)?,
                });
            }
            // Samples for pods the selector did not return: GetMetricUsageRatio averages over
            // every sample, theirs included.
            for e in extra {
                only(e, &["name", "usage_m"], "an extra_pod_metrics entry")?;
                samples.push(PodValueSample {
                    pod: s(e, "name")?.into(),
                    value_milli: i(e, "usage_m")?,
                    timestamp: NOW,
                    window: 60.0,
                });
            }
            MetricReading::PodValues(samples)
        }
        "Object" => MetricReading::ObjectValue {
            value_milli: i(m, "value_m")?,
        },
        "External" => MetricReading::ExternalValues(
            arr(m, "values_m")
                .iter()
                .map(|v| v.as_i64().ok_or("values_m holds a non-integer".to_string()))
                .collect::<R<_>>()?,
        ),
        _ => MetricReading::Error("unknown metric type".into()),
    })
}

fn rules(r: &Value) -> R<Option<ScalingRules>> {
    if r.is_null() {
        return Ok(None);
    }
    only(
        r,
        &[
            "stabilization_window_s",
            "select_policy",
            "policies",
            "tolerance",
        ],
        "rules",
    )?;
    let tolerance = match r.get("tolerance") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        // A quantity string, read as the controller reads it.
        Some(Value::String(q)) => Some(parse_tolerance(q)?),
        Some(_) => return Err("tolerance is neither a number nor a quantity".into()),
    };
    let select_policy = match r.get("select_policy").and_then(Value::as_str) {
        None => None,
        Some("Max") => Some(SelectPolicy::Max),
        Some("Min") => Some(SelectPolicy::Min),
        Some("Disabled") => Some(SelectPolicy::Disabled),
        Some(o) => return Err(format!("unknown select_policy {o:?}")),
    };
    let policies = match r.get("policies") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(list.iter().map(policy).collect::<R<Vec<_>>>()?),
        Some(_) => return Err("policies is not a list".into()),
    };
    Ok(Some(ScalingRules {
        stabilization_window_seconds: opt_i(r, "stabilization_window_s")?.map(|w| w as i32),
        select_policy,
        policies,
        tolerance,
    }))
}

fn policy(p: &Value) -> R<ScalingPolicy> {
    only(p, &["type", "value", "period_s"], "a policy")?;
    let value = i32_(p, "value")?;
    let period = i32_(p, "period_s")?;
    match s(p, "type")? {
        "Pods" => Ok(ScalingPolicy::pods(value, period)),
        "Percent" => Ok(ScalingPolicy::percent(value, period)),
        o => Err(format!("unknown policy type {o:?}")),
    }
}

fn recommendations(list: &[Value]) -> R<Vec<Recommendation>> {
    list.iter()
        .map(|r| {
            only(r, &["replicas", "age_s"], "a recommendation")?;
            Ok(Recommendation {
                replicas: i32_(r, "replicas")?,
                time: NOW - f(r, "age_s")?,
            })
        })
        .collect()
}

fn events(list: &[Value]) -> R<Vec<ScaleEvent>> {
    list.iter()
        .map(|e| {
            only(e, &["change", "age_s", "outdated"], "a scale event")?;
            Ok(ScaleEvent {
                change: i32_(e, "change")?,
                time: NOW - f(e, "age_s")?,
                outdated: b_or(e, "outdated", false),
            })
        })
        .collect()
}

fn behavior(b: Option<&Value>) -> R<Option<Behavior>> {
    match b {
        None | Some(Value::Null) => Ok(None),
        Some(b) => Ok(Some(Behavior {
            // (keys checked by the caller)
            scale_up: rules(b.get("scale_up").unwrap_or(&Value::Null))?,
            scale_down: rules(b.get("scale_down").unwrap_or(&Value::Null))?,
        })),
    }
}

// ---------- kinds ----------

fn replica_calc(cfg: &Value, input: &Value, expected: &Value) -> R<()> {
    let (settings, tolerances) = settings(cfg)?;
    let current = i32_(input, "current_replicas")?;
    let status = opt_i(input, "status_replicas")?
        .map(|v| v as i32)
        .unwrap_or(current);
    let m = input.get("metric").ok_or("no metric")?;
    let pods_v = arr(input, "pods");
    let pods = pods_v.iter().map(pod).collect::<R<Vec<_>>>()?;
    let spec = metric_spec(m)?;
    let read = reading(m, pods_v, arr(input, "extra_pod_metrics"))?;
    let ctx = CalcContext {
        now: NOW,
        tolerances,
        cpu_initialization_period: settings.cpu_initialization_period.0,
        initial_readiness_delay: settings.initial_readiness_delay.0,
        pod_level_resources: settings.feature_gates.pod_level_resources,
        pods: &pods,
    };
    let ev = evaluate_metric(&spec, Some(&read), current, status, &ctx);
    let d = ev.decision;
    // `expected.error` (any value but null/false): the metric must fail.
    let wants_error = !matches!(
        expected.get("error"),
        None | Some(Value::Null) | Some(Value::Bool(false))
    );
    match (&d.error, wants_error) {
        (Some(_), true) => return Ok(()),
        (None, true) => return Err(format!("expected an error, got replicas {:?}", d.proposal)),
        (Some(e), false) => {
            return Err(format!(
                "expected replicas {:?}, got error: {e}",
                expected.get("replicas")
            ));
        }
        (None, false) => {}
    }
    let mut errs = Vec::new();
    check(
        "replicas",
        Some(i32_(expected, "replicas")?),
        d.proposal,
        &mut errs,
    );
    let cv = d.current_value.unwrap_or_default();
    if let Some(u) = opt_i(expected, "utilization")? {
        check(
            "utilization",
            Some(u as i32),
            cv.average_utilization,
            &mut errs,
        );
    }
    if let Some(u) = opt_i(expected, "usage_m")? {
        check(
            "usage_m",
            Some(u),
            cv.value_milli.or(cv.average_value_milli),
            &mut errs,
        );
    }
    done(errs)
}

fn controller(cfg: &Value, input: &Value, expected: &Value) -> R<()> {
    let (settings, _) = settings(cfg)?;
    let hpa = input.get("hpa").ok_or("no hpa")?;
    only(
        hpa,
        &[
            "min_replicas",
            "max_replicas",
            "metrics",
            "behavior",
            "conditions",
        ],
        "hpa",
    )?;
    if let Some(b) = hpa.get("behavior") {
        only(b, &["scale_up", "scale_down"], "behavior")?;
    }
    let metrics_v = arr(hpa, "metrics");
    let spec = HpaSpec {
        min_replicas: opt_i(hpa, "min_replicas")?.map(|v| v as i32),
        max_replicas: i32_(hpa, "max_replicas")?,
        metrics: metrics_v.iter().map(metric_spec).collect::<R<Vec<_>>>()?,
        behavior: behavior(hpa.get("behavior"))?,
    };
    let scale_v = input.get("scale").ok_or("no scale")?;
    only(scale_v, &["spec_replicas", "status_replicas"], "scale")?;
    let spec_replicas = i32_(scale_v, "spec_replicas")?;
    let scale = ScaleObservation {
        spec_replicas,
        status_replicas: opt_i(scale_v, "status_replicas")?
            .map(|v| v as i32)
            .unwrap_or(spec_replicas),
        ..Default::default()
    };
    let pods_v = arr(input, "pods");
    let pods = pods_v.iter().map(pod).collect::<R<Vec<_>>>()?;
    let mut readings = metrics_v
        .iter()
        .map(|m| reading(m, pods_v, &[]))
        .collect::<R<Vec<_>>>()?;
    if metrics_v.is_empty() {
        // The default metric (cpu 80 %) reads metrics-server.
        readings.push(MetricReading::PodResources(resource_samples(pods_v, &[])?));
    }
    let mut memory = HpaMemory::default();
    for c in arr(hpa, "conditions") {
        only(c, &["type", "status", "reason"], "a condition")?;
        let t = ConditionType::parse(s(c, "type")?).ok_or("unknown condition type")?;
        let st = match c.get("status").and_then(Value::as_str).unwrap_or("True") {
            "True" => ConditionStatus::True,
            "False" => ConditionStatus::False,
            _ => ConditionStatus::Unknown,
        };
        let reason = match c.get("reason").and_then(Value::as_str) {
            Some(r) => Reason::parse(r).ok_or_else(|| format!("unknown condition reason {r:?}"))?,
            None => unstated_reason(t, st),
        };
        memory
            .status
            .set_condition(t, st, reason, ConditionMessage::Fixed(""), NOW - 1000.0);
    }
    let history = input.get("history").cloned().unwrap_or(Value::Null);
    only(
        &history,
        &["recommendations", "scale_up_events", "scale_down_events"],
        "history",
    )?;
    memory.recommendations = match history.get("recommendations") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(recommendations(list)?),
        Some(_) => return Err("recommendations is not a list".into()),
    };
    memory.scale_up_events = events(arr(&history, "scale_up_events"))?;
    memory.scale_down_events = events(arr(&history, "scale_down_events"))?;
    let obs = Observation {
        now: NOW,
        namespace: "default".into(),
        scale,
        pods,
        metrics: readings,
    };
    let d = reconcile(&spec, &settings, &mut memory, &obs);
    let mut errs = Vec::new();
    check(
        "desired_replicas",
        i32_(expected, "desired_replicas")?,
        d.desired_replicas,
        &mut errs,
    );
    if let Some(r) = expected.get("rescale").and_then(Value::as_bool) {
        check("rescale", r, d.rescale, &mut errs);
    }
    if let Some(Value::Object(conds)) = expected.get("conditions") {
        for (t, reason) in conds {
            let want = reason.as_str().unwrap_or_default();
            check(
                &format!("condition {t}"),
                Some(want),
                d.condition_reason(t),
                &mut errs,
            );
        }
    }
    if !errs.is_empty() {
        errs.push(format!("decision: {}", d.reason));
    }
    done(errs)
}

fn behavior_rate(cfg: &Value, input: &Value, expected: &Value) -> R<()> {
    let (settings, _) = settings(cfg)?;
    let b = Behavior {
        scale_up: rules(input.get("scale_up").unwrap_or(&Value::Null))?,
        scale_down: rules(input.get("scale_down").unwrap_or(&Value::Null))?,
    };
    let (up, down) = b.effective(settings.downscale_window_seconds());
    let l = normalize::convert_with_behavior_rate(
        i32_(input, "current_replicas")?,
        i32_(input, "desired_replicas")?,
        i32_(input, "min_replicas")?,
        i32_(input, "max_replicas")?,
        &up,
        &down,
        &events(arr(input, "scale_up_events"))?,
        &events(arr(input, "scale_down_events"))?,
        NOW,
    );
    let mut errs = Vec::new();
    check(
        "replicas",
        i32_(expected, "replicas")?,
        l.replicas,
        &mut errs,
    );
    if let Some(r) = expected.get("reason").and_then(Value::as_str) {
        check("reason", r, l.reason.text(), &mut errs);
    }
    done(errs)
}

fn stabilize_behavior(input: &Value, expected: &Value) -> R<()> {
    let mut recs = recommendations(arr(input, "recommendations"))?;
    let st = normalize::stabilize_with_behavior(
        &mut recs,
        NOW,
        i32_(input, "scale_up_window_s")?,
        i32_(input, "scale_down_window_s")?,
        i32_(input, "current_replicas")?,
        i32_(input, "desired_replicas")?,
    );
    let mut errs = Vec::new();
    check(
        "replicas",
        i32_(expected, "replicas")?,
        st.replicas,
        &mut errs,
    );
    done(errs)
}

fn stabilize_legacy(input: &Value, expected: &Value) -> R<()> {
    let mut recs = recommendations(arr(input, "recommendations"))?;
    let got = normalize::stabilize_legacy(
        &mut recs,
        NOW,
        f(input, "window_s")?,
        i32_(input, "desired_replicas")?,
    );
    let mut errs = Vec::new();
    check("replicas", i32_(expected, "replicas")?, got, &mut errs);
    done(errs)
}

fn legacy_rules(cfg: &Value, input: &Value, expected: &Value) -> R<()> {
    let (settings, _) = settings(cfg)?;
    let l = normalize::convert_with_rules(
        i32_(input, "current_replicas")?,
        i32_(input, "desired_replicas")?,
        i32_(input, "min_replicas")?,
        i32_(input, "max_replicas")?,
        settings.legacy_scale_up_limit_factor,
        settings.legacy_scale_up_limit_minimum,
    );
    let mut errs = Vec::new();
    check(
        "replicas",
        i32_(expected, "replicas")?,
        l.replicas,
        &mut errs,
    );
    if let Some(r) = expected.get("reason").and_then(Value::as_str) {
        check("reason", r, l.reason.text(), &mut errs);
    }
    done(errs)
}

fn policy_limit(input: &Value, expected: &Value) -> R<()> {
    let written = rules(input.get("rules").ok_or("no rules")?)?;
    let current = i32_(input, "current_replicas")?;
    let up = events(arr(input, "scale_up_events"))?;
    let down = events(arr(input, "scale_down_events"))?;
    let limit = match s(input, "direction")? {
        "up" => {
            let r = scalesim::hpa::complete_rules(
                written.as_ref(),
                scalesim::hpa::default_scale_up_rules(),
            );
            normalize::scale_up_limit(current, &up, &down, &r, NOW).limit
        }
        "down" => {
            let r = scalesim::hpa::complete_rules(
                written.as_ref(),
                scalesim::hpa::default_scale_down_rules(300),
            );
            normalize::scale_down_limit(current, &up, &down, &r, NOW).limit
        }
        o => return Err(format!("unknown direction {o:?}")),
    };
    let mut errs = Vec::new();
    check("limit", i32_(expected, "limit")?, limit, &mut errs);
    done(errs)
}

fn event_store(input: &Value, expected: &Value) -> R<()> {
    let mut list = events(arr(input, "events"))?;
    // No policies means no `spec.behavior` (a validated behavior always has one): then upstream
    // stores nothing at all.
    let policies = arr(input, "policies")
        .iter()
        .map(policy)
        .collect::<R<Vec<_>>>()?;
    let period = opt_i(input, "period_s")?.unwrap_or(0) as i32;
    let sum = normalize::replicas_change_per_period(period, &list, NOW);
    if !policies.is_empty() {
        let longest = policies.iter().map(|p| p.period_seconds).max().unwrap_or(0);
        normalize::store_event(&mut list, i32_(input, "new_change")?, longest, NOW);
    }
    let mut errs = Vec::new();
    if let Some(want) = opt_i(expected, "sum_in_period_before")? {
        check("sum_in_period_before", want as i32, sum, &mut errs);
    }
    let want: Vec<(i32, bool)> = arr(expected, "events_after")
        .iter()
        .map(|e| {
            only(e, &["change", "outdated"], "an events_after entry")?;
            Ok((i32_(e, "change")?, b_or(e, "outdated", false)))
        })
        .collect::<R<_>>()?;
    let got: Vec<(i32, bool)> = list.iter().map(|e| (e.change, e.outdated)).collect();
    check("events_after (change, outdated)", want, got, &mut errs);
    done(errs)
}
