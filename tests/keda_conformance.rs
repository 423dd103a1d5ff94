//! KEDA conformance vectors: every vector of every category of `keda_vectors.yaml` (the file named
//! by `SCALESIM_KEDA_VECTORS`, else `tests/conformance/keda_vectors.yaml`) is run through
//! scalesim's KEDA code. An unknown category is a failure, never skipped. Failing ids are
//! printed with expected vs got; the last such line is `N passed, M failed` for that file
//! (scalesim's own `keda_vectors_extra.yaml` runs first and reports as `extras: … of … passed`).

use scalesim::keda::executor::{self, ExecutorInputs, ScaleAction};
use scalesim::keda::fallback;
use scalesim::keda::metric::{self, milli_to_f64};
use scalesim::keda::modifiers;
use scalesim::keda::scaledjob::{self, JobStrategy, ScalerMetrics};
use scalesim::keda::scalers::{
    self, BuildContext, KafkaLagInput, KafkaPartition, Observation, RabbitQueue, Scaler,
    ScalerMemory, SqsAttributes,
};
use scalesim::keda::state::{HealthStatus, MetricValue, ScaledObjectState, TargetView};
use scalesim::keda::{
    AuthKnowledge, EnvKnowledge, KedaObject, ScaledObjectModel, Schedule, cluster::ClusterObjects,
    validate_source,
};
use scalesim::yaml::Source;
use serde_json::{Value, json};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// The HPA side (External metric replica calculation).

/// The HPA's replica count for one External metric, before min/max clamping and behavior:
/// scalesim's HPA core (`GetExternalMetricReplicas` / `GetExternalPerPodMetricReplicas`).
fn hpa_external_desired_replicas(
    target_type: &str,
    metric: f64,
    target: f64,
    status_replicas: i64,
    spec_replicas: i64,
    ready_pods: i64,
    tolerance: f64,
) -> i64 {
    use scalesim::hpa::{CalcContext, Tolerances, evaluate_metric};
    use scalesim::hpa::{MetricReading, MetricSpec, MetricTarget, PodObservation, Requests};
    use scalesim::units::Quantity;
    let q = Quantity::from_milli((target * 1000.0).round() as i64);
    let t = if target_type == "AverageValue" {
        MetricTarget::average_value(q)
    } else {
        MetricTarget::value(q)
    };
    let spec = MetricSpec::external("keda-metric", t);
    let reading = MetricReading::ExternalValues(vec![(metric * 1000.0).round() as i64]);
    let pods: Vec<PodObservation> = (0..ready_pods)
        .map(|i| PodObservation::running(&format!("p{i}"), 0.0, Requests::default()))
        .collect();
    let ctx = CalcContext {
        now: 3600.0,
        tolerances: Tolerances::both(tolerance),
        cpu_initialization_period: 300.0,
        initial_readiness_delay: 30.0,
        pod_level_resources: true,
        pods: &pods,
    };
    let eval = evaluate_metric(
        &spec,
        Some(&reading),
        spec_replicas as i32,
        status_replicas as i32,
        &ctx,
    );
    eval.decision.proposal.map_or(-1, |p| p as i64)
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(as_num)
}
fn i(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| as_num(x).map(|f| f as i64)))
}
fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}
fn b(v: &Value, k: &str) -> Option<bool> {
    v.get(k).and_then(|x| {
        x.as_bool()
            .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
    })
}
/// A value given either as a string or as a number, as text (`target: 2` or `target: '2'`).
fn text(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}
/// The first key present (a vector may use either spelling, e.g. a field at the top level or
/// inside `metadata`/`observed`).
fn first<'a>(vs: &[&'a Value], keys: &[&str]) -> Option<&'a Value> {
    vs.iter()
        .flat_map(|v| keys.iter().filter_map(move |k| v.get(*k)))
        .find(|x| !x.is_null())
}
/// A number given as a number or a numeric string.
fn as_num(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Compare expected keys against what we got; every expected key must be produced.
fn compare(expected: &Value, got: &Value) -> Result<(), String> {
    let Some(exp) = expected.as_object() else {
        return Err("expected is not a mapping".into());
    };
    let mut diffs = Vec::new();
    for (k, want) in exp {
        let have = got
            .get(k)
            .cloned()
            .unwrap_or(Value::String("<not produced>".into()));
        let same = match (as_num(want), as_num(&have)) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            _ => *want == have,
        };
        if !same {
            diffs.push(format!("{k}: expected {want}, got {have}"));
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

fn build_scaler(
    ty: &str,
    index: usize,
    metadata: &Value,
    metric_type: Option<&str>,
) -> Result<Scaler, String> {
    let md: BTreeMap<String, String> = metadata
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let auth = AuthKnowledge::None;
    let env = EnvKnowledge::Unknown;
    let ctx = BuildContext {
        trigger_index: index,
        trigger_type: ty,
        metric_type,
        as_metric_source: false,
        auth: &auth,
        env: &env,
    };
    let built = scalers::build(&ctx, &md);
    built
        .scaler
        .ok_or_else(|| format!("scaler build failed: {:?}", built.errors))
}

/// Required-but-irrelevant metadata the vectors leave out.
fn with_defaults(ty: &str, md: &Value) -> Value {
    let base = match ty {
        "aws-sqs-queue" => {
            json!({"queueURL": "q", "awsRegion": "eu-west-1", "identityOwner": "operator"})
        }
        "prometheus" => {
            json!({"serverAddress": "http://prometheus:9090", "query": "sum(rate(http_requests_total[1m]))", "threshold": "10"})
        }
        "rabbitmq" => json!({"queueName": "q", "host": "http://guest:guest@rabbitmq:15672/"}),
        "aws-cloudwatch" => {
            json!({"namespace": "ns", "metricName": "m", "dimensionName": "d", "dimensionValue": "v", "awsRegion": "eu-west-1", "identityOwner": "operator"})
        }
        "kafka" => json!({"bootstrapServers": "kafka:9092", "consumerGroup": "g", "topic": "t"}),
        "metrics-api" => json!({"url": "http://api/metrics", "targetValue": "1"}),
        _ => json!({}),
    };
    let mut out = base;
    if let (Some(o), Some(m)) = (out.as_object_mut(), md.as_object()) {
        for (k, v) in m {
            o.insert(k.clone(), v.clone());
        }
    }
    // A rabbit AMQP host given explicitly keeps AMQP.
    out
}

fn yaml_source(text: &str) -> Source {
    Source::from_string("vector.yaml", text)
}

/// Build a ScaledObject model from a spec fragment (YAML mapping under `spec`).
fn so_model(spec: &Value, annotations: &Value) -> Result<ScaledObjectModel, String> {
    let doc = json!({
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "so", "annotations": annotations},
        "spec": spec,
    });
    let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    let src = yaml_source(&text);
    let report = validate_source(&src, &ClusterObjects::default());
    let obj = report.objects.into_iter().next().ok_or("no object")?;
    match obj.model {
        Some(KedaObject::ScaledObject(m)) => Ok(m),
        _ => Err(format!(
            "ScaledObject rejected: {:?}",
            obj.report
                .findings
                .iter()
                .filter(|f| f.severity == scalesim::keda::Severity::Error)
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        )),
    }
}

fn prom_trigger(name: Option<&str>, threshold: f64, metric_type: &str) -> Value {
    let mut t = json!({
        "type": "prometheus",
        "metricType": metric_type,
        "metadata": {"serverAddress": "http://prometheus:9090", "query": "up", "threshold": threshold.to_string()},
    });
    if let Some(n) = name {
        t["name"] = json!(n);
    }
    t
}

// ---------------------------------------------------------------------------------------------
// Categories.

fn hpa_formula(inp: &Value) -> Value {
    let status = i(inp, "status_replicas")
        .or(i(inp, "spec_replicas"))
        .unwrap_or(1);
    let spec = i(inp, "spec_replicas").unwrap_or(status);
    let ready = i(inp, "ready_pods").unwrap_or(spec);
    json!({"desired_replicas": hpa_external_desired_replicas(
        s(inp, "target_type").unwrap_or("AverageValue"),
        f(inp, "metric").unwrap_or(0.0),
        f(inp, "target").unwrap_or(1.0),
        status,
        spec,
        ready,
        f(inp, "tolerance").unwrap_or(0.1),
    )})
}

fn hpa_spec(inp: &Value) -> Result<Value, String> {
    let mut spec = json!({"scaleTargetRef": {"name": "app"}, "triggers": [prom_trigger(None, 10.0, "AverageValue")]});
    if let Some(m) = i(inp, "min_replica_count") {
        spec["minReplicaCount"] = json!(m);
    }
    if let Some(m) = i(inp, "max_replica_count") {
        spec["maxReplicaCount"] = json!(m);
    }
    let m = so_model(&spec, &json!({}))?;
    Ok(json!({"hpa_min_replicas": m.hpa.min_replicas, "hpa_max_replicas": m.hpa.max_replicas}))
}

fn executor_decision(inp: &Value) -> Result<Value, String> {
    let mut spec = json!({"scaleTargetRef": {"name": "app"}, "triggers": [prom_trigger(None, 10.0, "AverageValue")]});
    if let Some(m) = i(inp, "min_replica_count") {
        spec["minReplicaCount"] = json!(m);
    }
    if let Some(m) = i(inp, "idle_replica_count") {
        spec["idleReplicaCount"] = json!(m);
    }
    // maxReplicaCount (default 100) only matters here to keep a large minimum valid.
    match i(inp, "max_replica_count") {
        Some(m) => spec["maxReplicaCount"] = json!(m),
        None => {
            if let Some(min) = i(inp, "min_replica_count").filter(|m| *m > 100) {
                spec["maxReplicaCount"] = json!(min);
            }
        }
    }
    if let Some(fb) = inp.get("fallback").filter(|v| !v.is_null()) {
        spec["fallback"] = json!({
            "failureThreshold": i(fb, "failure_threshold").or(i(fb, "failureThreshold")).unwrap_or(3),
            "replicas": i(fb, "replicas").unwrap_or(0),
        });
    }
    let model = so_model(&spec, &annotations(inp))?;
    let cur = i(inp, "current_replicas").unwrap_or(0) as i32;
    let d = executor::request_scale(
        &model,
        ExecutorInputs {
            is_active: b(inp, "is_active").unwrap_or(false),
            is_error: b(inp, "is_error").unwrap_or(false),
            current_replicas: cur,
            cooldown_elapsed: b(inp, "cooldown_elapsed").unwrap_or(false),
        },
    );
    let after = match d.action {
        ScaleAction::SetReplicas { to, .. } => json!(to),
        ScaleAction::None => Value::Null,
    };
    Ok(json!({"replicas_after": after, "last_active_time_updated": d.last_active_time_updated}))
}

/// Annotations as KEDA reads them: string values (a vector may write `paused-replicas: 3`).
fn annotations(inp: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(m) = inp.get("annotations").and_then(Value::as_object) {
        for (k, v) in m {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(k.clone(), json!(v));
        }
    }
    Value::Object(out)
}

fn cooldown(inp: &Value) -> Result<Value, String> {
    let p = f(inp, "polling_interval").unwrap_or(30.0);
    let mut spec = json!({
        "scaleTargetRef": {"name": "app"},
        "pollingInterval": p as i64,
        "cooldownPeriod": i(inp, "cooldown_period").unwrap_or(300),
        "minReplicaCount": 0,
        "triggers": [prom_trigger(None, 10.0, "AverageValue")],
    });
    if let Some(ic) = i(inp, "initial_cooldown_period") {
        spec["initialCooldownPeriod"] = json!(ic);
    }
    if let Some(idle) = i(inp, "idle_replica_count") {
        spec["idleReplicaCount"] = json!(idle);
    }
    let model = so_model(&spec, &json!({}))?;
    // Created at `creation_tick` (default 0); `last_active_tick: null` means never active, so
    // initialCooldownPeriod from creation applies.
    let mut state =
        ScaledObjectState::new(f(inp, "creation_tick").unwrap_or(0.0), model.triggers.len());
    state.last_active_time = match inp.get("last_active_tick") {
        Some(Value::Null) => None,
        Some(v) => Some(as_num(v).ok_or("last_active_tick is not a number")?),
        None => Some(0.0),
    };
    let mut t = f(inp, "ticks_inactive_from").unwrap_or(p);
    for _ in 0..100_000 {
        let cooled = executor::cooldown_elapsed(&model, &state, t);
        let d = executor::request_scale(
            &model,
            ExecutorInputs {
                is_active: false,
                is_error: false,
                current_replicas: 1,
                cooldown_elapsed: cooled,
            },
        );
        if matches!(d.action, ScaleAction::SetReplicas { to, .. } if to == model.idle_replica_count.unwrap_or(0))
        {
            return Ok(json!({"scale_to_zero_at_tick": t}));
        }
        t += p;
    }
    Err("never scaled to zero".into())
}

fn activation(inp: &Value) -> Value {
    json!({"active": metric::is_active(f(inp, "value").unwrap_or(0.0), f(inp, "activation_threshold").unwrap_or(0.0))})
}

fn fallback_vector(inp: &Value) -> Result<Value, String> {
    let target = f(inp, "target").unwrap_or(1.0);
    let ttype = s(inp, "metric_target_type").unwrap_or("AverageValue");
    let spec = json!({
        "scaleTargetRef": {"name": "app"},
        "fallback": {
            "failureThreshold": i(inp, "failure_threshold").unwrap_or(3),
            "replicas": i(inp, "fallback_replicas").unwrap_or(0),
            "behavior": s(inp, "behavior").unwrap_or("static"),
        },
        "triggers": [prom_trigger(None, target, ttype)],
    });
    let model = so_model(&spec, &json!({}))?;
    let trig = &model.triggers[0];
    let name = trig.scaler.metric.name.clone();
    let mut health = BTreeMap::new();
    let before = i(inp, "failures_before").unwrap_or(0) as i32;
    health.insert(
        name.clone(),
        HealthStatus {
            failures: before,
            failing: before > 0,
        },
    );
    let cur = i(inp, "current_replicas").unwrap_or(1) as i32;
    let ready = i(inp, "ready_pods").unwrap_or(cur as i64) as i32;
    let view = TargetView {
        spec_replicas: cur,
        ready_pods: ready,
    };
    let fetched = if s(inp, "fetch_result") == Some("ok") {
        Ok(vec![MetricValue {
            name: name.clone(),
            milli: metric::quantize(f(inp, "metric").unwrap_or(0.0)),
        }])
    } else {
        Err("backend unavailable".to_string())
    };
    let out = fallback::process(
        &model,
        &mut health,
        &name,
        &trig.scaler.metric,
        fetched,
        &view,
    );
    let mut got = json!({
        "failures_after": health.get(&name).map(|h| h.failures).unwrap_or(0),
        "fallback_engaged": out.fallback_active,
        "error_returned": out.error.is_some(),
    });
    if let Some(m) = out.metrics.first() {
        let value = milli_to_f64(m.milli);
        got["metric_value"] = json!(value);
        got["hpa_desired"] = json!(hpa_external_desired_replicas(
            ttype,
            value,
            target,
            cur.max(1) as i64,
            cur as i64,
            ready as i64,
            0.1
        ));
    }
    Ok(got)
}

fn scaling_modifiers(inp: &Value) -> Result<Value, String> {
    let vals = inp
        .get("trigger_values")
        .and_then(Value::as_object)
        .ok_or("trigger_values missing")?;
    let triggers: Vec<Value> = vals
        .keys()
        .map(|n| prom_trigger(Some(n), 1.0, "AverageValue"))
        .collect();
    let threshold = 0;
    let spec = json!({
        "scaleTargetRef": {"name": "app"},
        "advanced": {"scalingModifiers": {"formula": s(inp, "formula").unwrap_or(""), "target": text(inp, "target").unwrap_or_else(|| "1".into())}},
        "fallback": {"failureThreshold": threshold, "replicas": i(inp, "fallback_replicas").unwrap_or(0), "behavior": "scalingModifiers"},
        "triggers": triggers,
    });
    let model = so_model(&spec, &json!({}))?;
    let mut health = BTreeMap::new();
    let mut metrics = Vec::new();
    for t in &model.triggers {
        let n = t.name.clone().unwrap_or_default();
        let metric_name = t.scaler.metric.name.clone();
        match vals.get(&n).and_then(Value::as_f64) {
            Some(v) => metrics.push(MetricValue {
                name: metric_name,
                milli: metric::quantize(v),
            }),
            None => {
                health.insert(
                    metric_name.clone(),
                    HealthStatus {
                        failures: threshold + 1,
                        failing: true,
                    },
                );
                metrics.push(MetricValue {
                    name: metric_name,
                    milli: -1000,
                });
            }
        }
    }
    let out = modifiers::apply(&model, &health, metrics, false, &[])?;
    Ok(json!({"composite_value": milli_to_f64(out[0].milli)}))
}

/// The generic backend states the schema allows for any scaler (`observed:`): a failed request
/// (`unavailable`/`error`: reason, or `reachable: false`), an HTTP response (`body`, optional
/// `http_status`), a series (`values`), a single `value` (null or absent: no data).
fn generic_observation(o: &Value) -> Option<Observation> {
    if let Some(reason) = first(&[o], &["unavailable", "error", "fetch_error"])
        && reason.as_bool() != Some(false)
    {
        return Some(Observation::Unavailable {
            reason: reason
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| "backend unavailable".into()),
        });
    }
    if b(o, "reachable") == Some(false) {
        return Some(Observation::Unavailable {
            reason: "backend unreachable".into(),
        });
    }
    if let Some(body) = o.get("body") {
        let body = match body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Some(Observation::Http(scalers::HttpResponse {
            status: i(o, "http_status").or(i(o, "status")).unwrap_or(200) as u16,
            body,
        }));
    }
    if let Some(status) = i(o, "http_status") {
        return Some(Observation::Http(scalers::HttpResponse {
            status: status as u16,
            body: String::new(),
        }));
    }
    if let Some(vs) = o.get("values").and_then(Value::as_array) {
        return Some(Observation::Series {
            values: vs.iter().filter_map(as_num).collect(),
        });
    }
    match o.get("value") {
        Some(Value::Null) => Some(Observation::NoData),
        Some(v) => as_num(v).map(|value| Observation::Value { value }),
        None => None,
    }
}

/// The `observed:` mapping of a scaler vector (`{}` when absent).
fn observed(inp: &Value) -> Value {
    inp.get("observed")
        .filter(|o| o.is_object())
        .cloned()
        .unwrap_or(json!({}))
}

/// The simulated clock a scaler vector gives (`now`/`now_utc`, top level or under `observed`),
/// in Unix seconds; 0 when absent.
fn vector_now(inp: &Value) -> Result<f64, String> {
    let o = observed(inp);
    match first(&[inp, &o], &["now_utc", "now"]) {
        Some(Value::String(t)) => parse_time(t),
        Some(v) => as_num(v).ok_or_else(|| format!("bad time {v}")),
        None => Ok(0.0),
    }
}

fn eval_scaler(ty: &str, inp: &Value, obs: Observation) -> Result<Value, String> {
    let md = with_defaults(ty, inp.get("metadata").unwrap_or(&json!({})));
    let idx = i(inp, "trigger_index").unwrap_or(0) as usize;
    let metric_type = text(inp, "metric_type").or(text(inp, "metricType"));
    let scaler = match build_scaler(ty, idx, &md, metric_type.as_deref()) {
        Ok(sc) => sc,
        Err(e) => return Ok(json!({"error": true, "active": false, "build_error": e})),
    };
    let now = vector_now(inp)?;
    let mut mem = ScalerMemory::default();
    let mut got = json!({
        "metric_name": scaler.metric.name,
        "target": scaler.metric.target_milli.map(milli_to_f64),
        "target_type": scaler.metric.target_type.as_str(),
        "activation_threshold": scaler.activation_threshold,
    });
    match scaler.evaluate(&obs, now, &mut mem) {
        Ok(r) => {
            got["metric_value"] = json!(r.value);
            got["active"] = json!(r.active);
            got["error"] = json!(false);
            if let Some(t) = scaler.metric.target_milli {
                got["hpa_desired"] = json!(hpa_external_desired_replicas(
                    "AverageValue",
                    milli_to_f64(metric::quantize(r.value)),
                    milli_to_f64(t),
                    1,
                    1,
                    1,
                    0.1
                ));
            }
        }
        Err(e) => {
            got["error"] = json!(true);
            got["active"] = json!(false);
            got["error_message"] = json!(e.message);
        }
    }
    Ok(got)
}

fn scaler_sqs(inp: &Value) -> Result<Value, String> {
    let o = observed(inp);
    let attr = |keys: &[&str]| {
        first(&[&o], keys).and_then(|v| v.as_i64().or_else(|| as_num(v).map(|x| x as i64)))
    };
    let sqs_keys = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "visible",
        "not_visible",
        "in_flight",
        "delayed",
    ];
    let obs = if sqs_keys.iter().any(|k| o.get(*k).is_some()) || generic_observation(&o).is_none() {
        Observation::Sqs(SqsAttributes {
            visible: attr(&["ApproximateNumberOfMessages", "visible"]),
            not_visible: attr(&[
                "ApproximateNumberOfMessagesNotVisible",
                "not_visible",
                "in_flight",
            ]),
            delayed: attr(&["ApproximateNumberOfMessagesDelayed", "delayed"]),
        })
    } else {
        generic_observation(&o).unwrap_or(Observation::NoData)
    };
    eval_scaler("aws-sqs-queue", inp, obs)
}

fn scaler_prometheus(inp: &Value) -> Result<Value, String> {
    let o = observed(inp);
    let obs = generic_observation(&o).unwrap_or(Observation::NoData);
    eval_scaler("prometheus", inp, obs)
}

fn parse_time(t: &str) -> Result<f64, String> {
    let dt = chrono::DateTime::parse_from_rfc3339(t).map_err(|e| e.to_string())?;
    Ok(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9)
}

fn scaler_cron_window(inp: &Value) -> Result<Value, String> {
    // The schema's top-level fields, or the generic `metadata:` (timezone, start, end,
    // desiredReplicas) with the time under `observed:`.
    let md = inp.get("metadata").cloned().unwrap_or(json!({}));
    let field = |keys: &[&str]| -> String {
        first(&[inp, &md], keys)
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default()
    };
    let start = Schedule::parse(&field(&["start"])).map_err(|e| e.to_string())?;
    let end = Schedule::parse(&field(&["end"])).map_err(|e| e.to_string())?;
    let now = vector_now(inp)?;
    let w = scalers::cron_window(&start, &end, &field(&["timezone"]), now)?;
    let desired = first(&[inp, &md], &["desired_replicas", "desiredReplicas"])
        .and_then(as_num)
        .unwrap_or(1.0) as i64;
    Ok(json!({
        "active": w.active,
        "metric_value": if w.active { desired } else { 0 },
        "target": 1,
        "next_start_local": w.next_start_local,
        "next_end_local": w.next_end_local,
    }))
}

fn scaler_cron_name(inp: &Value) -> Result<Value, String> {
    // The clock is the cron scaler's only input (`now_utc`, if the vector gives one).
    eval_scaler("cron", inp, Observation::NoData)
}

fn scaler_kafka(inp: &Value) -> Result<Value, String> {
    match s(inp, "function") {
        Some("next_factor") => {
            let parts = i(inp, "partitions").unwrap_or(1);
            let th = i(inp, "lag_threshold").unwrap_or(10);
            if let Some(lags) = inp.get("total_lags").and_then(Value::as_array) {
                let f: Vec<i64> = lags
                    .iter()
                    .filter_map(Value::as_i64)
                    .map(|l| scalers::next_factor(l, parts, th))
                    .collect();
                Ok(json!({"factors": f}))
            } else {
                Ok(
                    json!({"factor": scalers::next_factor(i(inp, "total_lag").unwrap_or(0), parts, th)}),
                )
            }
        }
        Some("find_factors") => {
            let ns = inp.get("n").and_then(Value::as_array).ok_or("n missing")?;
            let f: Vec<Vec<i64>> = ns
                .iter()
                .filter_map(Value::as_i64)
                .map(scalers::find_factors)
                .collect();
            Ok(json!({"factors": f}))
        }
        Some("total_lag") | None => {
            // Settings at the top level (the sample's shape) or under `metadata:` (the generic
            // scaler shape); offsets or the total lag at the top level or under `observed:`.
            let md_in = inp.get("metadata").cloned().unwrap_or(json!({}));
            let o = observed(inp);
            let th = first(&[inp, &md_in], &["lag_threshold", "lagThreshold"])
                .and_then(as_num)
                .map_or(10, |v| v as i64);
            let mut md = md_in.clone();
            md["lagThreshold"] = json!(th.to_string());
            for k in [
                "allowIdleConsumers",
                "limitToPartitionsWithLag",
                "ensureEvenDistributionOfPartitions",
                "scaleToZeroOnInvalidOffset",
                "excludePersistentLag",
                "offsetResetPolicy",
                "activationLagThreshold",
                "partitionLimitation",
            ] {
                if let Some(v) = text(inp, k) {
                    md[k] = json!(v);
                }
            }
            let full = with_defaults("kafka", &md);
            let scaler = match build_scaler(
                "kafka",
                i(inp, "trigger_index").unwrap_or(0) as usize,
                &full,
                None,
            ) {
                Ok(sc) => sc,
                Err(e) => return Ok(json!({"error": true, "active": false, "build_error": e})),
            };
            let committed = first(&[inp, &o], &["committed_offsets"]).and_then(Value::as_array);
            let reading = if let Some(committed) = committed {
                let latest = first(&[inp, &o], &["latest_offsets"])
                    .and_then(Value::as_array)
                    .ok_or("latest_offsets missing")?;
                let partitions = committed
                    .iter()
                    .zip(latest)
                    .enumerate()
                    .map(|(p, (c, l))| KafkaPartition {
                        topic: "t".into(),
                        partition: p as i32,
                        latest: l.as_i64().unwrap_or(0),
                        committed: c.as_i64(),
                    })
                    .collect();
                match scaler.evaluate(
                    &Observation::Kafka { partitions },
                    0.0,
                    &mut ScalerMemory::default(),
                ) {
                    Ok(r) => r,
                    Err(e) => {
                        return Ok(
                            json!({"error": true, "active": false, "error_message": e.message}),
                        );
                    }
                }
            } else {
                let scalesim::keda::scalers::ScalerKind::Kafka(k) = &scaler.kind else {
                    return Err("not kafka".into());
                };
                let num = |k: &str| first(&[inp, &o], &[k]).and_then(as_num).map(|v| v as i64);
                let parts = num("partitions").unwrap_or(1);
                let total = num("total_lag").unwrap_or(0);
                let r = scalers::kafka_total_lag(
                    &KafkaLagInput {
                        total_lag: total,
                        total_lag_with_persistent: num("total_lag_with_persistent")
                            .unwrap_or(total),
                        partitions: parts,
                        partitions_with_lag: num("partitions_with_lag").unwrap_or(parts),
                    },
                    &k.settings,
                );
                scalesim::keda::Reading {
                    value: r.metric as f64,
                    active: r.active,
                }
            };
            Ok(json!({
                "metric_value": reading.value,
                "active": reading.active,
                "error": false,
                "metric_name": scaler.metric.name,
                "target": scaler.metric.target_milli.map(milli_to_f64),
                "hpa_desired": hpa_external_desired_replicas("AverageValue", reading.value, th as f64, 1, 1, 1, 0.1),
            }))
        }
        other => Err(format!("unknown kafka function {other:?}")),
    }
}

fn rabbit_queue(o: &Value) -> RabbitQueue {
    let messages = i(o, "messages").unwrap_or(0);
    RabbitQueue {
        messages,
        messages_ready: i(o, "messages_ready").unwrap_or(messages),
        publish_rate: f(o, "publish_rate").unwrap_or(0.0),
        deliver_get_rate: f(o, "deliver_get_rate").unwrap_or(0.0),
    }
}

fn scaler_rabbitmq(inp: &Value) -> Result<Value, String> {
    if s(inp, "function") == Some("compose") {
        let qs: Vec<RabbitQueue> = inp
            .get("queues")
            .and_then(Value::as_array)
            .ok_or("queues missing")?
            .iter()
            .map(rabbit_queue)
            .collect();
        let c = scalers::compose_queues(&qs, s(inp, "operation").unwrap_or("sum"))
            .map_err(|e| e.message)?;
        return Ok(
            json!({"messages": c.messages, "messages_ready": c.messages_ready, "publish_rate": c.publish_rate, "deliver_get_rate": c.deliver_get_rate}),
        );
    }
    let o = observed(inp);
    let obs = if let Some(qs) = o.get("queues").and_then(Value::as_array) {
        Observation::Rabbit {
            queues: qs.iter().map(rabbit_queue).collect(),
        }
    } else if [
        "messages",
        "messages_ready",
        "publish_rate",
        "deliver_get_rate",
    ]
    .iter()
    .any(|k| o.get(*k).is_some())
    {
        Observation::Rabbit {
            queues: vec![rabbit_queue(&o)],
        }
    } else {
        generic_observation(&o).unwrap_or(Observation::Rabbit {
            queues: vec![rabbit_queue(&o)],
        })
    };
    eval_scaler("rabbitmq", inp, obs)
}

fn scaler_metrics_api(inp: &Value) -> Result<Value, String> {
    // The generic shape (`metadata:` and `observed: {body, http_status}`), with the sample's
    // top-level `format`/`valueLocation`/`body`/`http_status` accepted too.
    let mut md = inp.get("metadata").cloned().unwrap_or(json!({}));
    for k in [
        "format",
        "valueLocation",
        "targetValue",
        "activationTargetValue",
    ] {
        if md.get(k).is_none()
            && let Some(v) = text(inp, k)
        {
            md[k] = json!(v);
        }
    }
    let mut o = observed(inp);
    for k in ["body", "http_status", "status", "responses"] {
        if o.get(k).is_none()
            && let Some(v) = inp.get(k)
        {
            o[k] = v.clone();
        }
    }
    let mut wrapped = inp.clone();
    wrapped["metadata"] = md;
    // aggregateFromKubeServiceEndpoints: one response per endpoint (null = failed request).
    let obs = if let Some(rs) = o.get("responses").and_then(Value::as_array) {
        Observation::HttpEndpoints {
            responses: rs
                .iter()
                .map(|r| match generic_observation(r) {
                    Some(Observation::Http(h)) => Some(h),
                    _ => None,
                })
                .collect(),
        }
    } else {
        generic_observation(&o).unwrap_or(Observation::Http(scalers::HttpResponse {
            status: 200,
            body: String::new(),
        }))
    };
    eval_scaler("metrics-api", &wrapped, obs)
}

fn fmt_utc(t: f64) -> String {
    chrono::DateTime::from_timestamp(t.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn scaler_cloudwatch(inp: &Value) -> Result<Value, String> {
    if let Some(now) = s(inp, "now") {
        let now = parse_time(now)?;
        let md = inp.get("metadata").cloned().unwrap_or(json!({}));
        let setting = |k: &str, default: i64| {
            first(&[inp, &md], &[k])
                .and_then(as_num)
                .map_or(default, |v| v as i64)
        };
        let (st, en) = scalers::query_window(
            now,
            setting("metricStatPeriod", 300),
            setting("metricEndTimeOffset", 0),
            setting("metricCollectionTime", 300),
        );
        return Ok(json!({"start": fmt_utc(st), "end": fmt_utc(en)}));
    }
    // `values` (newest first; `[]` a result without datapoints), a single `value`, or nothing
    // (no result at all).
    let o = observed(inp);
    let obs = generic_observation(&o).unwrap_or(Observation::NoData);
    eval_scaler("aws-cloudwatch", inp, obs)
}

/// The strategy of a ScaledJob vector, with the custom strategy's parameters when given.
fn job_strategy(inp: &Value) -> JobStrategy {
    JobStrategy::select(
        s(inp, "strategy"),
        i(inp, "custom_deduction").map(|v| v as i32),
        text(inp, "custom_percentage").as_deref(),
    )
}

fn scaledjob_strategy(inp: &Value) -> Value {
    let strategy = job_strategy(inp);
    let (eff, to) = strategy.effective_max_scale(
        i(inp, "max_scale").unwrap_or(0),
        i(inp, "running_job_count").unwrap_or(0),
        i(inp, "pending_job_count").unwrap_or(0),
        i(inp, "max_replica_count").unwrap_or(100),
        i(inp, "scale_to").unwrap_or(0),
    );
    json!({"effective_max_scale": eff, "scale_to": to})
}

fn scaledjob_decision(inp: &Value) -> Value {
    let min = i(inp, "min_replica_count").map(|v| v as i32);
    let max = i(inp, "max_replica_count").map(|v| v as i32);
    let strategy = job_strategy(inp);
    let (eff, to) = scaledjob::scaling_decision(
        strategy,
        scaledjob::min_rc(min, max),
        scaledjob::max_rc(min, max),
        i(inp, "running_job_count").unwrap_or(0),
        i(inp, "scale_to").unwrap_or(0),
        i(inp, "max_scale").unwrap_or(0),
        i(inp, "pending_job_count").unwrap_or(0),
    );
    json!({"effective_max_scale": eff, "scale_to": to})
}

fn scaledjob_metrics(inp: &Value) -> Result<Value, String> {
    let min = i(inp, "min_replica_count").map(|v| v as i32);
    let max = i(inp, "max_replica_count").map(|v| v as i32);
    let max_rc = scaledjob::max_rc(min, max);
    let metrics: Vec<ScalerMetrics> = inp
        .get("scalers")
        .and_then(Value::as_array)
        .ok_or("scalers missing")?
        .iter()
        .map(|sc| {
            // A `Value`-typed target counts as 0 (spec §5.1).
            let value_typed = first(&[sc], &["metric_type", "target_type", "metricType"])
                .and_then(Value::as_str)
                == Some("Value");
            let target = if value_typed {
                0.0
            } else {
                f(sc, "target_average_value").unwrap_or(0.0)
            };
            let (q, mv) = scaledjob::queue_length_and_max_value(
                f(sc, "queue_length").unwrap_or(0.0),
                target,
                max_rc,
            );
            ScalerMetrics {
                queue_length: q,
                max_value: mv,
                is_active: b(sc, "is_active").unwrap_or(false),
            }
        })
        .collect();
    let calc = scaledjob::Calculation::parse(s(inp, "multiple_scalers_calculation"));
    let (active, q, mv, _) =
        scaledjob::combine(&metrics, calc, scaledjob::min_rc(min, max), max_rc);
    Ok(json!({"is_active": active, "queue_length": q, "max_value": mv}))
}

fn scaledjob_end_to_end(inp: &Value) -> Result<Value, String> {
    let mut strategy = json!({"strategy": s(inp, "strategy").unwrap_or("default")});
    if let Some(d) = i(inp, "custom_deduction") {
        strategy["customScalingQueueLengthDeduction"] = json!(d);
    }
    if let Some(p) = text(inp, "custom_percentage") {
        strategy["customScalingRunningJobPercentage"] = json!(p);
    }
    if let Some(c) = inp.get("pending_pod_conditions") {
        strategy["pendingPodConditions"] = c.clone();
    }
    if let Some(c) = s(inp, "multiple_scalers_calculation") {
        strategy["multipleScalersCalculation"] = json!(c);
    }
    let mut doc = json!({
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledJob",
        "metadata": {"name": "sj"},
        "spec": {
            "jobTargetRef": {"template": {"spec": {"containers": [{"name": "worker", "image": "worker"}]}}},
            "maxReplicaCount": i(inp, "max_replica_count").unwrap_or(100),
            "scalingStrategy": strategy,
            "triggers": [{
                "type": "metrics-api",
                "metadata": {"url": "http://api/q", "valueLocation": "n", "targetValue": f(inp, "target_average_value").unwrap_or(1.0).to_string()},
            }],
        },
    });
    if let Some(m) = i(inp, "min_replica_count") {
        doc["spec"]["minReplicaCount"] = json!(m);
    }
    let src = yaml_source(&serde_json::to_string(&doc).map_err(|e| e.to_string())?);
    let rep = validate_source(&src, &ClusterObjects::default());
    let obj = rep.objects.into_iter().next().ok_or("no object")?;
    let Some(KedaObject::ScaledJob(model)) = obj.model else {
        return Err(format!("ScaledJob rejected: {:?}", obj.report.findings));
    };
    // `running_job_count` unfinished jobs, the first `pending_job_count` of them not started.
    let running = i(inp, "running_job_count").unwrap_or(0);
    let pending = i(inp, "pending_job_count").unwrap_or(0);
    let jobs: Vec<scaledjob::JobView> = (0..running)
        .map(|n| scaledjob::JobView {
            id: format!("j{n}"),
            finished: None,
            completion_time: None,
            pods: vec![if n < pending {
                scaledjob::JobPod {
                    phase: "Pending".into(),
                    true_conditions: vec!["PodScheduled".into()],
                }
            } else {
                scaledjob::JobPod {
                    phase: "Running".into(),
                    true_conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"]
                        .map(String::from)
                        .to_vec(),
                }
            }],
        })
        .collect();
    let q = f(inp, "queue_length").unwrap_or(0.0);
    let mut state = scaledjob::ScaledJobState::default();
    let scaler = model.triggers[0].scaler.clone();
    let d = scaledjob::poll(&model, &mut state, 0.0, &jobs, &mut |_| {
        scaler.evaluate(
            &Observation::Value { value: q },
            0.0,
            &mut ScalerMemory::default(),
        )
    });
    Ok(json!({
        "jobs_created": d.jobs_to_create,
        "is_active": d.is_active,
        "effective_max_scale": d.effective_max_scale,
        "scale_to": d.scale_to,
    }))
}

fn run_vector(v: &Value) -> Result<(), String> {
    let cat = s(v, "category").ok_or("vector has no category")?;
    let inp = v.get("input").cloned().unwrap_or(Value::Null);
    let exp = v.get("expected").cloned().unwrap_or(Value::Null);
    let got = match cat {
        "hpa_formula" => hpa_formula(&inp),
        "hpa_spec" => hpa_spec(&inp)?,
        "executor_decision" => executor_decision(&inp)?,
        "cooldown" => cooldown(&inp)?,
        "activation" => activation(&inp),
        "fallback" => fallback_vector(&inp)?,
        "scaling_modifiers" => scaling_modifiers(&inp)?,
        "scaler_sqs" => scaler_sqs(&inp)?,
        "scaler_prometheus" => scaler_prometheus(&inp)?,
        "scaler_cron_window" => scaler_cron_window(&inp)?,
        "scaler_cron_name" => scaler_cron_name(&inp)?,
        "scaler_kafka" => scaler_kafka(&inp)?,
        "scaler_rabbitmq" => scaler_rabbitmq(&inp)?,
        "scaler_metrics_api" => scaler_metrics_api(&inp)?,
        "scaler_cloudwatch" => scaler_cloudwatch(&inp)?,
        "scaledjob_strategy" => scaledjob_strategy(&inp),
        "scaledjob_decision" => scaledjob_decision(&inp),
        "scaledjob_metrics" => scaledjob_metrics(&inp)?,
        "scaledjob_end_to_end" => scaledjob_end_to_end(&inp)?,
        other => return Err(format!("unknown category {other:?}")),
    };
    compare(&exp, &got)
}

/// Both files in one test, so the order of their reports is fixed: scalesim's own extra
/// vectors first (`extras: N of T passed (M failing)`), then the conformance file, whose
/// `N passed, M failed` is the last such line. Lines go straight to the process's standard
/// error, so they show without `--nocapture`.
#[test]
fn keda_conformance_vectors() {
    let extras = format!(
        "{}/tests/conformance/keda_vectors_extra.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let path = std::env::var("SCALESIM_KEDA_VECTORS").unwrap_or_else(|_| {
        format!(
            "{}/tests/conformance/keda_vectors.yaml",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let shapes = format!(
        "{}/tests/conformance/keda_vectors_schema.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (shape_passed, shape_failed) = run_file(&shapes);
    say(&format!(
        "schema shapes ({shapes}): {shape_passed} of {} passed ({shape_failed} failing)",
        shape_passed + shape_failed
    ));
    let (extra_passed, extra_failed) = run_file(&extras);
    // Worded so it never reads as the `N passed, M failed` total.
    say(&format!(
        "extras ({extras}): {extra_passed} of {} passed ({extra_failed} failing)",
        extra_passed + extra_failed
    ));
    let (passed, failed) = run_file(&path);
    say(&format!("{passed} passed, {failed} failed"));
    assert_eq!(failed, 0, "{failed} KEDA conformance vector(s) failed");
    assert_eq!(
        extra_failed, 0,
        "{extra_failed} extra KEDA vector(s) failed"
    );
    assert_eq!(
        shape_failed, 0,
        "{shape_failed} schema-shape vector(s) failed"
    );
}

/// One line on the real standard error (libtest captures `eprintln!` of passing tests).
fn say(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Run every vector of a file: (passed, failed). A file that cannot be read or has no
/// `vectors` list counts as one failure; a vector whose handler panics is a failure too.
fn run_file(path: &str) -> (usize, usize) {
    let vectors = match load_vectors(path) {
        Ok(v) => v,
        Err(e) => {
            say(&format!("FAIL {path}: {e}"));
            return (0, 1);
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for v in &vectors {
        let id = s(v, "id").unwrap_or("<no id>");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_vector(v)))
            .unwrap_or_else(|_| Err("the harness panicked on this vector".into()));
        match outcome {
            Ok(()) => passed += 1,
            Err(e) => {
                failed += 1;
                say(&format!("FAIL {id}: {e}"));
            }
        }
    }
    (passed, failed)
}

fn load_vectors(path: &str) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let doc: Value =
        serde_saphyr::from_str(&text).map_err(|e| format!("{path} is not valid YAML: {e}"))?;
    doc.get("vectors")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| format!("{path} has no `vectors` list"))
}
