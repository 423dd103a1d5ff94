//! KEDA conformance vectors: every vector of every category of `keda_vectors.yaml` (the file named
//! by `SCALESIM_KEDA_VECTORS`, else `tests/conformance/keda_vectors.yaml`) is run through
//! scalesim's KEDA code. An unknown category is a failure, never skipped. Failing ids are
//! printed with expected vs got; the last such line is `N passed, M failed` for that file
//! (scalesim's own `keda_vectors_extra.yaml` runs first and reports as `extras: … of … passed`).

use scalesim::keda::executor::{self, ExecutorInputs, ScaleAction};
use scalesim::keda::fallback;
use scalesim::keda::metric::{self, milli_to_f64};
use scalesim::keda::model::ScaledObjectModel;
use scalesim::keda::modifiers;
use scalesim::keda::params::{AuthKnowledge, EnvKnowledge};
use scalesim::keda::scaledjob::{self, JobStrategy, ScalerMetrics};
use scalesim::keda::scalers::{
    self, BuildContext, KafkaLagInput, KafkaPartition, Observation, RabbitQueue, Scaler,
    ScalerMemory, SqsAttributes,
};
use scalesim::keda::state::{HealthStatus, MetricValue, ScaledObjectState, TargetView};
use scalesim::keda::{KedaObject, cluster::ClusterObjects, cron::Schedule, validate_source};
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
    use scalesim::hpa::controller::evaluate_metric;
    use scalesim::hpa::replica_calc::{CalcContext, Tolerances};
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
    v.get(k).and_then(Value::as_f64)
}
fn i(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)))
}
fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}
fn b(v: &Value, k: &str) -> Option<bool> {
    v.get(k).and_then(Value::as_bool)
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
        let same = match (want.as_f64(), have.as_f64()) {
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
    let status = i(inp, "status_replicas").unwrap_or(1);
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
    if let Some(fb) = inp.get("fallback") {
        spec["fallback"] =
            json!({"failureThreshold": 3, "replicas": i(fb, "replicas").unwrap_or(0)});
    }
    let ann = inp.get("annotations").cloned().unwrap_or(json!({}));
    let model = so_model(&spec, &ann)?;
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

fn cooldown(inp: &Value) -> Result<Value, String> {
    let p = f(inp, "polling_interval").unwrap_or(30.0);
    let spec = json!({
        "scaleTargetRef": {"name": "app"},
        "pollingInterval": p as i64,
        "cooldownPeriod": i(inp, "cooldown_period").unwrap_or(300),
        "minReplicaCount": 0,
        "triggers": [prom_trigger(None, 10.0, "AverageValue")],
    });
    let model = so_model(&spec, &json!({}))?;
    let mut state = ScaledObjectState::new(0.0, model.triggers.len());
    state.last_active_time = Some(f(inp, "last_active_tick").unwrap_or(0.0));
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
        if matches!(d.action, ScaleAction::SetReplicas { to: 0, .. }) {
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
        "advanced": {"scalingModifiers": {"formula": s(inp, "formula").unwrap_or(""), "target": s(inp, "target").unwrap_or("1")}},
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

fn eval_scaler(ty: &str, inp: &Value, obs: Observation) -> Result<Value, String> {
    let md = with_defaults(ty, inp.get("metadata").unwrap_or(&json!({})));
    let idx = i(inp, "trigger_index").unwrap_or(0) as usize;
    let scaler = match build_scaler(ty, idx, &md, s(inp, "metric_type")) {
        Ok(sc) => sc,
        Err(e) => return Ok(json!({"error": true, "build_error": e})),
    };
    let mut mem = ScalerMemory::default();
    let mut got = json!({
        "metric_name": scaler.metric.name,
        "target": scaler.metric.target_milli.map(milli_to_f64),
    });
    match scaler.evaluate(&obs, 0.0, &mut mem) {
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
            got["error_message"] = json!(e.message);
        }
    }
    Ok(got)
}

fn scaler_sqs(inp: &Value) -> Result<Value, String> {
    let o = inp.get("observed").cloned().unwrap_or(json!({}));
    let obs = Observation::Sqs(SqsAttributes {
        visible: i(&o, "ApproximateNumberOfMessages"),
        not_visible: i(&o, "ApproximateNumberOfMessagesNotVisible"),
        delayed: i(&o, "ApproximateNumberOfMessagesDelayed"),
    });
    eval_scaler("aws-sqs-queue", inp, obs)
}

fn scaler_prometheus(inp: &Value) -> Result<Value, String> {
    let o = inp.get("observed").cloned().unwrap_or(json!({}));
    let obs = if let Some(body) = s(&o, "body") {
        Observation::Http(scalers::HttpResponse {
            status: i(&o, "http_status").unwrap_or(200) as u16,
            body: body.to_string(),
        })
    } else {
        Observation::Value {
            value: f(&o, "value").unwrap_or(0.0),
        }
    };
    eval_scaler("prometheus", inp, obs)
}

fn parse_time(t: &str) -> Result<f64, String> {
    let dt = chrono::DateTime::parse_from_rfc3339(t).map_err(|e| e.to_string())?;
    Ok(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9)
}

fn scaler_cron_window(inp: &Value) -> Result<Value, String> {
    let start = Schedule::parse(s(inp, "start").unwrap_or("")).map_err(|e| e.to_string())?;
    let end = Schedule::parse(s(inp, "end").unwrap_or("")).map_err(|e| e.to_string())?;
    let now = parse_time(s(inp, "now_utc").unwrap_or(""))?;
    let w = scalers::cron_window(&start, &end, s(inp, "timezone").unwrap_or(""), now)?;
    let desired = i(inp, "desired_replicas").unwrap_or(1);
    Ok(json!({
        "active": w.active,
        "metric_value": if w.active { desired } else { 0 },
        "next_start_local": w.next_start_local,
        "next_end_local": w.next_end_local,
    }))
}

fn scaler_cron_name(inp: &Value) -> Result<Value, String> {
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
        Some("total_lag") => {
            let th = i(inp, "lag_threshold").unwrap_or(10);
            let flag = |k: &str| b(inp, k).unwrap_or(false).to_string();
            let mut md = json!({
                "lagThreshold": th.to_string(),
                "allowIdleConsumers": flag("allowIdleConsumers"),
                "limitToPartitionsWithLag": flag("limitToPartitionsWithLag"),
                "ensureEvenDistributionOfPartitions": flag("ensureEvenDistributionOfPartitions"),
                "scaleToZeroOnInvalidOffset": flag("scaleToZeroOnInvalidOffset"),
                "excludePersistentLag": flag("excludePersistentLag"),
            });
            if let Some(p) = s(inp, "offsetResetPolicy") {
                md["offsetResetPolicy"] = json!(p);
            }
            let full = with_defaults("kafka", &md);
            let scaler = build_scaler("kafka", 0, &full, None)?;
            let reading =
                if let Some(committed) = inp.get("committed_offsets").and_then(Value::as_array) {
                    let latest = inp
                        .get("latest_offsets")
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
                    scaler
                        .evaluate(
                            &Observation::Kafka { partitions },
                            0.0,
                            &mut ScalerMemory::default(),
                        )
                        .map_err(|e| e.message)?
                } else {
                    let scalesim::keda::scalers::ScalerKind::Kafka(k) = &scaler.kind else {
                        return Err("not kafka".into());
                    };
                    let parts = i(inp, "partitions").unwrap_or(1);
                    let total = i(inp, "total_lag").unwrap_or(0);
                    let r = scalers::kafka_total_lag(
                        &KafkaLagInput {
                            total_lag: total,
                            total_lag_with_persistent: total,
                            partitions: parts,
                            partitions_with_lag: i(inp, "partitions_with_lag").unwrap_or(parts),
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
    let o = inp.get("observed").cloned().unwrap_or(json!({}));
    eval_scaler(
        "rabbitmq",
        inp,
        Observation::Rabbit {
            queues: vec![rabbit_queue(&o)],
        },
    )
}

fn scaler_metrics_api(inp: &Value) -> Result<Value, String> {
    let md = json!({"format": s(inp, "format").unwrap_or("json"), "valueLocation": s(inp, "valueLocation").unwrap_or("")});
    let wrapped = json!({"metadata": md});
    let obs = Observation::Http(scalers::HttpResponse {
        status: 200,
        body: s(inp, "body").unwrap_or("").to_string(),
    });
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
        let (st, en) = scalers::query_window(
            now,
            i(inp, "metricStatPeriod").unwrap_or(300),
            i(inp, "metricEndTimeOffset").unwrap_or(0),
            i(inp, "metricCollectionTime").unwrap_or(300),
        );
        return Ok(json!({"start": fmt_utc(st), "end": fmt_utc(en)}));
    }
    let o = inp.get("observed").cloned().unwrap_or(json!({}));
    let obs = match o.get("values").and_then(Value::as_array) {
        Some(v) => Observation::Series {
            values: v.iter().filter_map(Value::as_f64).collect(),
        },
        None => Observation::NoData,
    };
    eval_scaler("aws-cloudwatch", inp, obs)
}

fn scaledjob_strategy(inp: &Value) -> Value {
    let strategy = JobStrategy::select(
        s(inp, "strategy"),
        i(inp, "custom_deduction").map(|v| v as i32),
        inp.get("custom_percentage")
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .as_deref(),
    );
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
    let strategy = JobStrategy::select(s(inp, "strategy"), None, None);
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
            let (q, mv) = scaledjob::queue_length_and_max_value(
                f(sc, "queue_length").unwrap_or(0.0),
                f(sc, "target_average_value").unwrap_or(0.0),
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
    let doc = json!({
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledJob",
        "metadata": {"name": "sj"},
        "spec": {
            "jobTargetRef": {"template": {"spec": {"containers": [{"name": "worker", "image": "worker"}]}}},
            "maxReplicaCount": i(inp, "max_replica_count").unwrap_or(100),
            "scalingStrategy": {"strategy": s(inp, "strategy").unwrap_or("default")},
            "triggers": [{
                "type": "metrics-api",
                "metadata": {"url": "http://api/q", "valueLocation": "n", "targetValue": f(inp, "target_average_value").unwrap_or(1.0).to_string()},
            }],
        },
    });
    let src = yaml_source(&serde_json::to_string(&doc).map_err(|e| e.to_string())?);
    let rep = validate_source(&src, &ClusterObjects::default());
    let obj = rep.objects.into_iter().next().ok_or("no object")?;
    let Some(KedaObject::ScaledJob(model)) = obj.model else {
        return Err(format!("ScaledJob rejected: {:?}", obj.report.findings));
    };
    let running = i(inp, "running_job_count").unwrap_or(0);
    let jobs: Vec<scaledjob::JobView> = (0..running)
        .map(|n| scaledjob::JobView {
            id: format!("j{n}"),
            finished: None,
            completion_time: None,
            pods: vec![scaledjob::JobPod {
                phase: "Running".into(),
                true_conditions: vec![],
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
    Ok(json!({"jobs_created": d.jobs_to_create}))
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
    let (extra_passed, extra_failed) = run_file(&extras);
    // Worded so it never reads as the `N passed, M failed` total.
    say(&format!(
        "extras ({extras}): {extra_passed} of {} passed ({extra_failed} failing)",
        extra_passed + extra_failed
    ));
    let (passed, failed) = run_file(&path);
    say(&format!("{passed} passed, {failed} failed"));
    assert_eq!(failed, 0, "{failed} KEDA conformance vector(s) failed");
    assert_eq!(extra_failed, 0, "{extra_failed} extra KEDA vector(s) failed");
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
