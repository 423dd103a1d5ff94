//! KEDA's subtle rules (keda.md §7) shown at scenario level: simulated queue and pods, KEDA's
//! loop and the HPA it generates, together.

use scalesim::keda::executor::{ScaleAction, ScaleReason};
use scalesim::keda::operator::PollDecision;
use scalesim::keda::scaledjob::JobPollDecision;
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{LogEvent, RunOptions, RunResult, run};
use scalesim::yaml::Source;

/// A queue worker scenario with one ScaledObject (YAML body of its `spec` after scaleTargetRef).
fn queue_scenario(
    trace: &str,
    duration: &str,
    replicas: u32,
    so_spec: &str,
    extra: &str,
) -> RunResult {
    try_queue_scenario(trace, duration, replicas, so_spec, extra).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`queue_scenario`], returning the load error (with the scenario) instead of panicking.
fn try_queue_scenario(
    trace: &str,
    duration: &str,
    replicas: u32,
    so_spec: &str,
    extra: &str,
) -> Result<RunResult, String> {
    let spec: String = so_spec.lines().map(|l| format!("  {l}\n")).collect();
    keda_scenario(
        &format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: worker}}\nspec:\n  scaleTargetRef: {{name: worker}}\n{spec}"
        ),
        trace,
        duration,
        replicas,
        extra,
    )
}

/// A queue worker scenario with the KEDA manifest `manifest` (one or more documents).
fn keda_scenario(
    manifest: &str,
    trace: &str,
    duration: &str,
    replicas: u32,
    extra: &str,
) -> Result<RunResult, String> {
    keda_scenario_with(
        manifest,
        "{dist: exponential, mean: 1s}",
        trace,
        duration,
        replicas,
        extra,
    )
}

/// As [`keda_scenario`], with the messages' processing time `service`.
fn keda_scenario_with(
    manifest: &str,
    service: &str,
    trace: &str,
    duration: &str,
    replicas: u32,
    extra: &str,
) -> Result<RunResult, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("so.yaml"), manifest).unwrap();
    let scenario = format!(
        "name: k\nduration: {duration}\nstep: 5s\ntrace: {trace}\nworkload: {{kind: queue, service_time: {service}, concurrency: 2}}\n\
         pods: {{replicas: {replicas}, cpu_request: 500m, startup: 10s, readiness: {{initial_delay: 0s, period: 5s}}}}\nautoscaler: {{manifests: [so.yaml]}}\n{extra}"
    );
    std::fs::write(dir.path().join("s.yaml"), &scenario).unwrap();
    std::fs::write(
        dir.path().join("burst.csv"),
        "time,rps\n0,0\n60,20\n120,0\n",
    )
    .unwrap();
    // A metric column below one milli-unit, then negative (rule 12).
    std::fs::write(
        dir.path().join("level.csv"),
        "time,rps,level\n0,1,0.0004\n120,1,-5\n",
    )
    .unwrap();
    let src = Source::read(&dir.path().join("s.yaml")).unwrap();
    let s = Scenario::from_source(&src, &Overrides::default())
        .map_err(|e| format!("{e}\n{scenario}"))?;
    Ok(run(
        &s,
        &RunOptions {
            log_every_sync: true,
            ..RunOptions::default()
        },
    )
    .unwrap())
}

fn polls(r: &RunResult) -> Vec<(f64, PollDecision)> {
    r.events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Keda(k) => k.poll.as_ref().map(|p| (k.t, (**p).clone())),
            _ => None,
        })
        .collect()
}

fn scalings(r: &RunResult) -> Vec<(f64, i32, i32)> {
    polls(r)
        .into_iter()
        .filter_map(|(t, p)| match p.decision.action {
            ScaleAction::SetReplicas { from, to } => Some((t, from, to)),
            ScaleAction::None => None,
        })
        .collect()
}

const SQS: &str = "triggers:\n- type: aws-sqs-queue\n  metadata: {queueURL: jobs, awsRegion: eu-west-1, identityOwner: operator, queueLength: '10'}";

#[test]
fn an_idle_new_scaledobject_scales_to_zero_at_its_first_check() {
    // Rule 5: no lastActiveTime yet and initialCooldownPeriod 0 ⇒ 0 replicas on the first poll.
    let r = queue_scenario(
        "{generate: {kind: constant, rate: 0}}",
        "2m",
        3,
        &format!("minReplicaCount: 0\n{SQS}"),
        "",
    );
    assert_eq!(scalings(&r).first(), Some(&(0.0, 3, 0)));
}

#[test]
fn activation_is_strict_and_independent_of_the_scaling_target() {
    // Rules 1-2: target 10 but activation 50: a backlog of ~40 is inactive, so the worker stays
    // at zero although the HPA would want 4 pods; past 50 it activates to exactly 1 pod.
    let r = queue_scenario(
        "{generate: {kind: constant, rate: 0.1}}",
        "15m",
        0,
        "minReplicaCount: 0\ntriggers:\n- type: aws-sqs-queue\n  metadata: {queueURL: jobs, awsRegion: eu-west-1, identityOwner: operator, queueLength: '10', activationQueueLength: '50'}",
        "",
    );
    let first_up = scalings(&r)
        .into_iter()
        .find(|(_, from, to)| to > from)
        .expect("it activates eventually");
    let (t, from, to) = first_up;
    assert_eq!(
        (from, to),
        (0, 1),
        "scale-up from zero goes to max(minReplicaCount, 1)"
    );
    // 0.1 msg/s: more than 50 messages takes ~500 s; KEDA only acts when the backlog exceeds 50.
    let p = polls(&r).into_iter().find(|(pt, _)| *pt == t).unwrap().1;
    let value = p.triggers[0].raw_value.unwrap();
    assert!(value > 50.0, "activated at a backlog of {value}");
    for (pt, p) in polls(&r).into_iter().filter(|(pt, _)| *pt < t) {
        assert!(
            !p.is_active,
            "active at {pt} with backlog {:?}",
            p.triggers[0].raw_value
        );
    }
}

#[test]
fn the_hpa_takes_over_from_one_pod_within_a_sync() {
    // Rule 4: KEDA goes 0 → 1; the generated HPA (legacy path, max(2×1, 4) = 4) follows.
    let r = queue_scenario(
        "{generate: {kind: step, from: 0, to: 30, at: 1m}}",
        "6m",
        0,
        &format!("minReplicaCount: 0\n{SQS}"),
        "",
    );
    let up = scalings(&r).into_iter().find(|(_, f, t)| t > f).unwrap();
    assert_eq!((up.1, up.2), (0, 1));
    let hpa_up = r.events.iter().find_map(|e| match e {
        LogEvent::Autoscaler(a) if a.decision.rescale && a.t >= up.0 => Some((
            a.t,
            a.decision.current_replicas,
            a.decision.desired_replicas,
        )),
        _ => None,
    });
    let (t, from, to) = hpa_up.expect("the HPA scales up");
    assert!(
        t - up.0 <= 15.0 + 1e-9,
        "HPA acted {} s after activation",
        t - up.0
    );
    assert_eq!(from, 1);
    assert!(to > 1 && to <= 4, "legacy cap max(2×1, 4): went to {to}");
}

#[test]
fn cooldown_counts_from_the_last_active_poll_and_rounds_up_to_a_poll() {
    // Rule 5: cooldown 100 s, polls every 30 s. The scale-in to zero is the first poll strictly
    // more than 100 s after the last active one: 4 polls later (120 s).
    let r = queue_scenario(
        "{file: burst.csv}",
        "12m",
        0,
        &format!("minReplicaCount: 0\ncooldownPeriod: 100\npollingInterval: 30\n{SQS}"),
        "",
    );
    let ps = polls(&r);
    let down = scalings(&r)
        .into_iter()
        .find(|(_, f, t)| *t == 0 && *f > 0)
        .expect("back to zero");
    let last_active = ps
        .iter()
        .filter(|(t, p)| p.is_active && *t < down.0)
        .map(|(t, _)| *t)
        .fold(f64::MIN, f64::max);
    assert_eq!(down.0 - last_active, 120.0);
    // Rule 3: it is a direct jump to 0, not stepped down through the HPA's policies.
    assert!(down.1 >= 1);
}

#[test]
fn cpu_triggers_do_not_keep_a_mixed_object_active() {
    // Rule 6: the queue is empty, CPU is high (a busy start-up burst), yet KEDA scales to zero.
    let r = queue_scenario(
        "{generate: {kind: constant, rate: 0}}",
        "3m",
        2,
        &format!(
            "minReplicaCount: 0\n{SQS}\n- type: cpu\n  metricType: Utilization\n  metadata: {{value: '10'}}"
        ),
        "",
    );
    assert_eq!(scalings(&r).first().map(|s| (s.1, s.2)), Some((2, 0)));
}

#[test]
fn an_erroring_trigger_stops_last_active_time_from_advancing() {
    // Rule 7: one trigger active (cron window all day), one failing (injected fault): the
    // object stays active but lastActiveTime is not refreshed while the error lasts.
    let so = "minReplicaCount: 0\ntriggers:\n- type: cron\n  name: office\n  metadata: {timezone: Etc/UTC, start: '0 0 * * *', end: '59 23 * * *', desiredReplicas: '2'}\n- type: aws-sqs-queue\n  name: jobs\n  metadata: {queueURL: jobs, awsRegion: eu-west-1, identityOwner: operator, queueLength: '10'}";
    let faults = "faults:\n- {target: jobs, from: 2m, duration: 2m}\n";
    let r = queue_scenario("{generate: {kind: constant, rate: 1}}", "6m", 1, so, faults);
    let during: Vec<PollDecision> = polls(&r)
        .into_iter()
        .filter(|(t, _)| (120.0..240.0).contains(t))
        .map(|x| x.1)
        .collect();
    assert!(!during.is_empty());
    for p in &during {
        assert!(p.is_active && p.is_error);
        assert_eq!(p.decision.reason, ScaleReason::PartialTriggerError);
        assert!(!p.decision.last_active_time_updated);
    }
    let after = polls(&r).into_iter().find(|(t, _)| *t >= 240.0).unwrap().1;
    assert!(
        after.decision.last_active_time_updated,
        "refreshed once the trigger answers again"
    );
}

#[test]
fn fallback_replicas_zero_lets_errors_fall_through_to_scale_to_zero() {
    // Rule 7: with `fallback.replicas: 0`, an inactive object whose trigger errors scales to 0.
    // (A high threshold: once fallback engages the trigger counts as active.)
    let so = format!("minReplicaCount: 0\nfallback: {{failureThreshold: 20, replicas: 0}}\n{SQS}");
    let r = queue_scenario(
        "{generate: {kind: constant, rate: 0}}",
        "3m",
        2,
        &so,
        "faults:\n- {target: aws-sqs-queue, from: 0s, duration: 10m}\n",
    );
    assert_eq!(scalings(&r).first().map(|s| (s.1, s.2)), Some((2, 0)));
    // With a non-zero fallback it would wait instead.
    let so = format!("minReplicaCount: 0\nfallback: {{failureThreshold: 20, replicas: 4}}\n{SQS}");
    let r = queue_scenario(
        "{generate: {kind: constant, rate: 0}}",
        "3m",
        2,
        &so,
        "faults:\n- {target: aws-sqs-queue, from: 0s, duration: 10m}\n",
    );
    assert!(scalings(&r).iter().all(|s| s.2 != 0), "{:?}", scalings(&r));
}

#[test]
fn fallback_engages_after_the_threshold_and_holds_its_replicas() {
    // Rule 8, on the shipped scenario: Prometheus is down 60–65 min; failures from both loops
    // count, and the HPA is driven to fallback.replicas (12) until Prometheus answers again.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/prometheus-outage.yaml");
    let s = Scenario::load(&path, &Overrides::default()).unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    let at = |t: f64| r.series.spec_replicas[r.series.row(t)];
    assert!(at(3500.0) < 12, "before the outage: {}", at(3500.0));
    assert_eq!(at(3700.0), 12, "during the outage the fallback count holds");
    assert!(r.summary.keda[0].fallback_seconds > 0.0);
    // The threshold is strict: the first failures are errors, not fallback.
    let hpa_failed = r.summary.hpa[0]
        .inactive_seconds
        .get("FailedGetExternalMetric")
        .copied()
        .unwrap_or(0.0);
    assert!(
        hpa_failed > 0.0,
        "the HPA sees errors before fallback engages"
    );
}

#[test]
fn kafka_replicas_are_capped_near_the_partition_count() {
    // Rule 15: lag is capped at partitions × lagThreshold unless allowIdleConsumers, so the HPA
    // asks for at most partitions + 1 pods although maxReplicaCount is 20.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kafka-consumer.yaml");
    let s = Scenario::load(&path, &Overrides::default()).unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    assert!(
        r.summary.replicas.max <= 7,
        "max replicas {}",
        r.summary.replicas.max
    );
    assert!(
        r.summary.replicas.max >= 6,
        "it does scale out to the partitions: {}",
        r.summary.replicas.max
    );
    assert!(
        r.summary.backlog.max > 1000,
        "lag grows because consumers, not pods, are the limit"
    );
}

#[test]
fn a_hand_made_hpa_beside_a_scaledobject_is_rejected_or_fights() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 20\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}\n---\n\
         apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {name: web}\n  minReplicaCount: 1\n  triggers:\n  - type: cron\n    metadata: {timezone: Etc/UTC, start: '0 0 * * *', end: '59 23 * * *', desiredReplicas: '10'}\n",
    )
    .unwrap();
    let scenario = |allow: bool| {
        format!(
            "name: fight\nduration: 30m\ntrace: {{generate: {{kind: constant, rate: 20}}}}\nworkload: {{kind: http, service_time: {{dist: exponential, mean: 50ms}}, cpu_per_request: 10m, concurrency: 4}}\n\
             pods: {{replicas: 4, cpu_request: 500m, startup: 5s}}\nautoscaler: {{manifests: [m.yaml], allow_conflicts: {allow}}}\n"
        )
    };
    std::fs::write(dir.path().join("no.yaml"), scenario(false)).unwrap();
    let e = Scenario::load(&dir.path().join("no.yaml"), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("HorizontalPodAutoscaler") || e.contains("allow_conflicts"),
        "{e}"
    );
    std::fs::write(dir.path().join("yes.yaml"), scenario(true)).unwrap();
    let s = Scenario::load(&dir.path().join("yes.yaml"), &Overrides::default()).unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    // The CPU HPA wants ~2 pods, KEDA's wants 10: they take turns writing the replica count.
    assert!(
        r.summary.direction_changes_per_hour > 20.0,
        "{} direction changes per hour",
        r.summary.direction_changes_per_hour
    );
    assert_eq!(r.summary.hpa.len(), 2);
}

// --- Triggers scalesim does not model, bound to a signal by name ---

const RAMP: &str = "{generate: {kind: step, from: 0, to: 20, at: 1m}}";

/// KEDA went 0 → 1 and the HPA it generates took the worker well past one pod.
fn assert_scales_from_zero(r: &RunResult) {
    let first = scalings(r).into_iter().find(|(_, f, t)| t > f);
    assert_eq!(first.map(|s| (s.1, s.2)), Some((0, 1)), "{:?}", scalings(r));
    assert!(
        r.summary.replicas.max >= 4,
        "the generated HPA scales out: max {}",
        r.summary.replicas.max
    );
}

#[test]
fn a_postgresql_trigger_bound_to_the_backlog_runs_and_scales() {
    // postgresql is a core scaler scalesim does not model: its target comes from
    // `targetQueryValue` (as upstream reads it), its value from the bound signal.
    let so = "minReplicaCount: 0\nmaxReplicaCount: 30\ntriggers:\n- type: postgresql\n  name: pg\n  metadata: {query: 'SELECT count(*) FROM jobs', targetQueryValue: '5', host: db, dbName: q}";
    let r = queue_scenario(RAMP, "10m", 0, so, "metrics:\n  pg: {signal: backlog}\n");
    assert_scales_from_zero(&r);
    let hpa_target = r.events.iter().find_map(|e| match e {
        LogEvent::Autoscaler(a) => a.decision.metrics.first().map(|m| m.target.to_string()),
        _ => None,
    });
    assert_eq!(
        hpa_target.as_deref(),
        Some("5"),
        "the HPA's target is targetQueryValue"
    );
}

#[test]
fn a_vendor_trigger_takes_its_target_from_the_binding() {
    // kedify-otel is not a core scaler; its metadata here has no target, so the binding gives
    // one (and an activation threshold: nothing happens until the backlog passes 30).
    let so = "minReplicaCount: 0\nmaxReplicaCount: 30\ntriggers:\n- type: kedify-otel\n  name: otel\n  metadata: {scalerAddress: 'kedify-otel-scaler.keda.svc:4318', metricQuery: 'sum(queue_depth)'}";
    let r = queue_scenario(
        RAMP,
        "10m",
        0,
        so,
        "metrics:\n  otel: {signal: backlog, target: 5, activation_target: 30}\n",
    );
    assert_scales_from_zero(&r);
    let (t, _) = polls(&r)
        .into_iter()
        .find(|(_, p)| p.is_active)
        .expect("it activates");
    let p = polls(&r).into_iter().find(|(pt, _)| *pt == t).unwrap().1;
    assert!(
        p.triggers[0].raw_value.unwrap() > 30.0,
        "activation_target applies: active at {:?}",
        p.triggers[0].raw_value
    );
}

#[test]
fn an_unmodelled_trigger_without_any_target_is_a_clear_error() {
    let so = "minReplicaCount: 0\ntriggers:\n- type: kedify-otel\n  name: otel\n  metadata: {metricQuery: 'sum(x)'}";
    let e = try_queue_scenario(RAMP, "5m", 0, so, "metrics:\n  otel: {signal: backlog}\n")
        .expect_err("no target: the HPA cannot be generated");
    assert!(e.contains("otel") && e.contains("kedify-otel"), "{e}");
    assert!(e.contains("target:") && e.contains("metrics.otel"), "{e}");
    // Unbound altogether: the message says how to bind it.
    let e = try_queue_scenario(RAMP, "5m", 0, so, "").expect_err("no target");
    assert!(e.contains("signal: backlog, target: 10"), "{e}");
}

#[test]
fn a_fault_whose_target_matches_no_trigger_is_an_error() {
    // A typo in `faults[].target` used to be ignored: the outage silently never happened.
    let e = try_queue_scenario(
        RAMP,
        "5m",
        1,
        &format!("minReplicaCount: 0\n{SQS}"),
        "faults:\n- {target: aws-sqs, from: 1m, duration: 1m}\n",
    )
    .expect_err("an unknown fault target is rejected");
    assert!(
        e.contains("faults[0].target") && e.contains("`aws-sqs`"),
        "{e}"
    );
    assert!(
        e.contains("`aws-sqs-queue`") && e.contains("`s0-aws-sqs-jobs`") && e.contains("`0`"),
        "the valid targets are listed: {e}"
    );
}

// --- What each queue scaler counts, and when ---

/// Time of the first poll at which trigger 0 read a non-zero value.
fn first_seen(r: &RunResult) -> Option<f64> {
    polls(r)
        .into_iter()
        .find(|(_, p)| p.triggers[0].raw_value.is_some_and(|v| v > 0.0))
        .map(|(t, _)| t)
}

#[test]
fn gcp_pubsub_sees_a_burst_only_after_cloud_monitorings_lag() {
    // gcp-pubsub reads num_undelivered_messages from Cloud Monitoring, published ~120 s late
    // (one-minute points): a burst from t = 120 s is invisible to it before t = 240 s, while
    // SQS (a direct API call) sees it at the next poll.
    let burst = "{generate: {kind: step, from: 0, to: 20, at: 2m}}";
    let pubsub = "minReplicaCount: 1\ntriggers:\n- type: gcp-pubsub\n  metadata: {subscriptionName: jobs, value: '5', credentialsFromEnv: GOOGLE_APPLICATION_CREDENTIALS_JSON}";
    let r = queue_scenario(burst, "8m", 1, pubsub, "");
    let seen = first_seen(&r).expect("pubsub sees the burst eventually");
    assert!(
        (270.0..=330.0).contains(&seen),
        "gcp-pubsub first saw the burst at {seen} s"
    );
    let r = queue_scenario(burst, "8m", 1, &format!("minReplicaCount: 1\n{SQS}"), "");
    assert_eq!(first_seen(&r), Some(150.0), "SQS sees it at the next poll");
}

#[test]
fn a_bound_gcp_pubsub_trigger_keeps_cloud_monitorings_lag() {
    // Binding the trigger to a signal by name changes what it reads, not the backend it reads
    // through: still Cloud Monitoring, ~120 s late, unless the binding sets its own timing.
    let burst = "{generate: {kind: step, from: 0, to: 20, at: 2m}}";
    let pubsub = "minReplicaCount: 1\ntriggers:\n- type: gcp-pubsub\n  metadata: {subscriptionName: jobs, value: '5', credentialsFromEnv: GOOGLE_APPLICATION_CREDENTIALS_JSON}";
    let r = queue_scenario(
        burst,
        "8m",
        1,
        pubsub,
        "metrics:\n  gcp-pubsub: {signal: backlog}\n",
    );
    let seen = first_seen(&r).expect("pubsub sees the burst eventually");
    assert!(
        (270.0..=330.0).contains(&seen),
        "bound gcp-pubsub first saw the burst at {seen} s (60 s too early means the generic cloud timing)"
    );
    // A binding that gives the backend's delay itself wins over the scaler's.
    let r = queue_scenario(
        burst,
        "8m",
        1,
        pubsub,
        "metrics:\n  gcp-pubsub: {signal: backlog, backend: {kind: cloudwatch, delay: 0s}}\n",
    );
    let seen = first_seen(&r).expect("seen");
    assert!(seen < 240.0, "no lag asked for, seen at {seen} s");
}

#[test]
fn azure_servicebus_counts_messages_being_processed() {
    // ActiveMessageCount includes peek-locked messages: with spare workers (no backlog) the
    // messages in service are still counted, so the trigger stays active under load.
    let so = "minReplicaCount: 4\nmaxReplicaCount: 4\ntriggers:\n- type: azure-servicebus\n  metadata: {queueName: orders, messageCount: '5', connectionFromEnv: SB}";
    let r = queue_scenario("{generate: {kind: constant, rate: 2}}", "10m", 4, so, "");
    let ps = polls(&r);
    let values: Vec<f64> = ps
        .iter()
        .filter(|(t, _)| *t >= 60.0)
        .filter_map(|(_, p)| p.triggers[0].raw_value)
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    assert!(
        mean > 1.0,
        "~2 messages in service on average are counted: mean {mean}"
    );
    assert!(
        r.summary.backlog.max < 10,
        "the pods keep up: backlog {}",
        r.summary.backlog.max
    );
}

// --- ScaledJob ---

/// A ScaledJob reading an SQS queue (one job per message), with `strategy` YAML.
fn scaled_job(strategy: &str, service: &str, trace: &str, duration: &str) -> RunResult {
    let manifest = format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {{name: batch}}\nspec:\n  jobTargetRef:\n    template:\n      spec:\n        containers: [{{name: w, image: worker}}]\n  pollingInterval: 30\n  maxReplicaCount: 20\n  scalingStrategy: {strategy}\n  triggers:\n  - type: aws-sqs-queue\n    metadata: {{queueURL: jobs, awsRegion: eu-west-1, identityOwner: operator, queueLength: '1'}}\n"
    );
    keda_scenario_with(&manifest, service, trace, duration, 0, "").unwrap()
}

fn job_polls(r: &RunResult) -> Vec<(f64, JobPollDecision)> {
    r.events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Keda(k) => k.job_poll.as_ref().map(|p| (k.t, (**p).clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn scaledjob_pending_pod_conditions_read_the_pods_state() {
    // Jobs take 2 minutes; each is Ready ~10 s after creation, well before the next poll. With
    // `pendingPodConditions: [Ready]` (upstream scale_jobs.go: a job stops being pending when a
    // pod has every listed condition True) running Ready jobs are not pending — the same count
    // as without the setting (a pod Running) — and `accurate` keeps creating jobs for new messages.
    let trace = "{generate: {kind: constant, rate: 0.2}}";
    for strategy in [
        "{strategy: accurate, pendingPodConditions: [Ready]}",
        "{strategy: accurate, pendingPodConditions: [PodScheduled, Initialized, ContainersReady, Ready]}",
        "{strategy: accurate}",
    ] {
        let r = scaled_job(strategy, "2m", trace, "12m");
        let polls = job_polls(&r);
        assert!(polls.len() >= 20, "{strategy}");
        let max_pending = polls.iter().map(|(_, p)| p.pending).max().unwrap();
        let max_running = polls.iter().map(|(_, p)| p.running).max().unwrap();
        assert_eq!(max_pending, 0, "{strategy}: Ready jobs counted as pending");
        assert!(
            max_running >= 10,
            "{strategy}: {max_running} jobs running at most"
        );
        let created: u64 = r.summary.keda[0].jobs_created;
        assert!(
            created >= 100,
            "{strategy}: {created} jobs for ~144 messages"
        );
    }
    // A condition no pod reaches keeps every unfinished job pending, and `accurate` then
    // holds back: fewer jobs run at once.
    let r = scaled_job(
        "{strategy: accurate, pendingPodConditions: [NeverTrue]}",
        "2m",
        trace,
        "12m",
    );
    let polls = job_polls(&r);
    assert!(
        polls
            .iter()
            .any(|(_, p)| p.pending > 0 && p.pending == p.running)
    );
}

// --- What a ScaledJob's job does (docs/keda.md#what-a-job-does) ---

/// A ScaledJob run as KEDA's `tests/internals/scaling_strategies` e2e tests set one up: a
/// ScaledJob (`spec`: the lines after `jobTargetRef`, indented two spaces) polling every 5 s,
/// jobs up 2 s after creation, messages published in batches (`batches`: (time, count)) that
/// take `service` each, `jobs` the scenario's `jobs:` value. Returns the load error instead
/// when there is one.
fn try_job_run_with(
    service: &str,
    spec: &str,
    jobs: &str,
    batches: &[(f64, usize)],
    duration: &str,
) -> Result<RunResult, String> {
    try_job_run_policy("Never", service, spec, jobs, batches, duration)
}

/// [`try_job_run_with`] with the pod template's `restartPolicy` `policy`.
fn try_job_run_policy(
    policy: &str,
    service: &str,
    spec: &str,
    jobs: &str,
    batches: &[(f64, usize)],
    duration: &str,
) -> Result<RunResult, String> {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {{name: sj}}\nspec:\n  jobTargetRef:\n    template:\n      spec:\n        containers: [{{name: sleeper, image: busybox, envFrom: [{{secretRef: {{name: sj-secret}}}}]}}]\n        restartPolicy: {policy}\n{spec}"
    );
    std::fs::write(dir.path().join("sj.yaml"), &manifest).unwrap();
    let log: String = batches
        .iter()
        .flat_map(|&(t, n)| std::iter::repeat_n(format!("{t}\n"), n))
        .collect();
    std::fs::write(dir.path().join("publish.log"), log).unwrap();
    let scenario = format!(
        "name: sj\nduration: {duration}\nstep: 1s\ntrace: {{file: publish.log}}\nworkload: {{kind: queue, service_time: {service}, concurrency: 1}}\n\
         pods: {{replicas: 0, cpu_request: 100m, startup: 2s, readiness: {{initial_delay: 0s, period: 1s}}}}\nautoscaler: {{manifests: [sj.yaml]}}\n{jobs}"
    );
    std::fs::write(dir.path().join("s.yaml"), &scenario).unwrap();
    let src = Source::read(&dir.path().join("s.yaml")).unwrap();
    let s = Scenario::from_source(&src, &Overrides::default()).map_err(|e| format!("{e}"))?;
    Ok(run(
        &s,
        &RunOptions {
            log_every_sync: true,
            ..RunOptions::default()
        },
    )
    .unwrap())
}

/// [`try_job_run_with`] for messages that take 1 s each.
fn try_job_run(
    spec: &str,
    jobs: &str,
    batches: &[(f64, usize)],
    duration: &str,
) -> Result<RunResult, String> {
    try_job_run_with("1s", spec, jobs, batches, duration)
}

fn job_run(spec: &str, jobs: &str, batches: &[(f64, usize)], duration: &str) -> RunResult {
    try_job_run(spec, jobs, batches, duration).unwrap_or_else(|e| panic!("{e}"))
}

/// The Jobs that exist at `t` (created minus deleted by the history limits), as
/// `kubectl get jobs -l scaledjob.keda.sh/name=…` would count them.
fn job_count_at(r: &RunResult, t: f64) -> i64 {
    job_polls(r)
        .iter()
        .filter(|(at, _)| *at <= t)
        .map(|(_, p)| p.jobs_to_create - p.jobs_to_delete.len() as i64)
        .sum()
}

/// Upstream's `WaitForScaledJobCount(…, target, 20, 1)` after a publish at `from`: the count
/// equals `target` at one of the 1 s samples of the next 20 s.
fn count_reached(r: &RunResult, from: f64, target: i64) -> bool {
    (0..=20).any(|i| job_count_at(r, from + i as f64) == target)
}

/// Upstream's wait after each publish: `want[i]` jobs within 20 s of batch `i`.
fn assert_counts_reached(r: &RunResult, batches: &[(f64, usize)], want: [i64; 3]) {
    for ((t, _), want) in batches.iter().zip(want) {
        assert!(
            count_reached(r, *t, want),
            "{want} jobs after {t}s: {:?}",
            creations(r)
        );
    }
}

/// Jobs created at each poll that created any.
fn creations(r: &RunResult) -> Vec<(f64, i64)> {
    job_polls(r)
        .into_iter()
        .filter(|(_, p)| p.jobs_to_create > 0)
        .map(|(t, p)| (t, p.jobs_to_create))
        .collect()
}

/// The ScaledJob of upstream's default and eager tests: a RabbitMQ queue (over the management
/// API, as the test's `RabbitApiHost` is), one job per message, at most 10.
fn rabbit_sj(strategy: &str) -> String {
    format!(
        "    backoffLimit: 1\n  pollingInterval: 5\n  maxReplicaCount: 10\n  scalingStrategy:\n    strategy: \"{strategy}\"\n  triggers:\n    - type: rabbitmq\n      metadata:\n        queueName: hello\n        host: 'http://user:password@rabbitmq:15672/'\n        mode: QueueLength\n        value: '1'\n"
    )
}

const SLEEP_300: &str = "jobs: {mode: sleep, duration: 300s}\n";

#[test]
fn default_strategy_job_counts_are_upstreams() {
    // tests/internals/scaling_strategies/default: the jobs `sleep 300` and never consume, so
    // the queue only grows (3, 6, 12); `default` creates maxScale − running: 3, then 3 more,
    // then min(12, 10) − 6 = 4. Upstream asserts 3, 6 and 10 jobs after each publish.
    let batches = [(12.0, 3), (42.0, 3), (72.0, 6)];
    let r = job_run(&rabbit_sj("default"), SLEEP_300, &batches, "2m");
    assert_counts_reached(&r, &batches, [3, 6, 10]);
    assert_eq!(creations(&r), vec![(15.0, 3), (45.0, 3), (75.0, 4)]);
    assert_eq!(job_count_at(&r, 119.0), 10);
}

#[test]
fn eager_strategy_job_counts_are_upstreams() {
    // tests/internals/scaling_strategies/eager: the same sleeping jobs; `eager` creates
    // min(10 − running − pending, maxScale) every poll the queue stays, so 4 messages fill
    // 4, 8, 10 on consecutive polls (the jobs never take them). Upstream publishes again as
    // soon as its wait saw the last count and its publisher Job ran (~8 s), and asserts 4, 8
    // and 10: each is seen within its 20 s.
    let batches = [(12.0, 4), (23.0, 4), (34.0, 8)];
    let r = job_run(&rabbit_sj("eager"), SLEEP_300, &batches, "1m");
    assert_counts_reached(&r, &batches, [4, 8, 10]);
    assert_eq!(creations(&r), vec![(15.0, 4), (20.0, 4), (25.0, 2)]);
    assert_eq!(job_count_at(&r, 59.0), 10, "never above maxReplicaCount");
}

#[test]
fn accurate_strategy_job_counts_are_upstreams() {
    // tests/internals/scaling_strategies/accurate_scaling_strategy: each job takes one
    // message (its init container) and then sleeps 900 s. 4 messages: 4 jobs; 4 more with 4
    // running: 4 + 4 ≤ 10, so 4 − pending = 4 more; 4 more with 8 running: 4 + 8 > 10, so
    // 10 − 8 = 2 — the total is pinned at 10, two messages stay queued.
    let sj = "    backoffLimit: 1\n  pollingInterval: 5\n  maxReplicaCount: 10\n  scalingStrategy:\n    strategy: \"accurate\"\n  triggers:\n    - type: azure-queue\n      metadata:\n        queueName: q\n        connectionFromEnv: AzureWebJobsStorage\n        queueLength: '1'\n";
    let jobs = "jobs: {mode: one-message, duration: 900s}\n";
    let batches = [(12.0, 4), (42.0, 4), (72.0, 4)];
    let r = job_run(sj, jobs, &batches, "2m");
    assert_counts_reached(&r, &batches, [4, 8, 10]);
    assert_eq!(creations(&r), vec![(15.0, 4), (45.0, 4), (75.0, 2)]);
    let last = job_polls(&r).last().unwrap().1.clone();
    assert_eq!(
        (last.running, last.queue_length),
        (10, 2),
        "10 jobs run, 2 messages wait"
    );
}

/// A ScaledJob on the management API queue with `extra` spec lines (after `jobTargetRef`'s
/// template, indented 4) and `sj` lines (ScaledJob spec, indented 2).
fn sj_with(job: &str, sj: &str) -> String {
    format!(
        "{job}  pollingInterval: 5\n{sj}  triggers:\n    - type: rabbitmq\n      metadata: {{queueName: hello, host: 'http://user:password@rabbitmq:15672/', mode: QueueLength, value: '1'}}\n"
    )
}

#[test]
fn a_draining_job_takes_every_message_and_then_exits() {
    // maxReplicaCount 1: one job at a time. A one-message job takes one of the 20 messages
    // and exits, so KEDA starts about one job per poll; a draining job takes all 20 (1 s
    // each) and exits when the queue is empty.
    let batches = [(12.0, 20)];
    let sj = sj_with("", "  maxReplicaCount: 1\n");
    let one = job_run(&sj, "", &batches, "3m");
    let drain = job_run(&sj, "jobs: {mode: drain}\n", &batches, "3m");
    assert!(
        one.summary.keda[0].jobs_created >= 15,
        "{:?}",
        creations(&one)
    );
    assert_eq!(creations(&drain), vec![(15.0, 1)]);
    let polls = job_polls(&drain);
    let after = |t: f64| polls.iter().find(|(at, _)| *at >= t).unwrap().1.clone();
    assert_eq!(after(25.0).running, 1, "still draining");
    let done = after(45.0);
    assert_eq!(
        (done.running, done.queue_length, done.is_active),
        (0, 0, false)
    );
}

#[test]
fn a_sleeping_job_runs_its_duration_without_consuming() {
    // One message that no job takes: a 60 s sleeper runs from its start (t = 17) to t = 77,
    // the message stays, and `default` starts the next job at the first poll after.
    let sj = sj_with("", "  maxReplicaCount: 5\n");
    let r = job_run(
        &sj,
        "jobs: {mode: sleep, duration: 60s}\n",
        &[(12.0, 1)],
        "3m",
    );
    assert_eq!(creations(&r), vec![(15.0, 1), (80.0, 1), (145.0, 1)]);
    let polls = job_polls(&r);
    assert!(polls.iter().all(|(t, p)| *t < 15.0 || p.queue_length == 1));
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    assert_eq!(at(75.0).running, 1);
    assert_eq!(at(80.0).running, 0);
}

#[test]
fn a_one_message_job_with_a_duration_keeps_running_after_its_message() {
    // The message is done at t = 18 (start 17 + 1 s); the job runs until 17 + 30 s.
    let sj = sj_with("", "  maxReplicaCount: 5\n");
    let r = job_run(
        &sj,
        "jobs: {mode: one-message, duration: 30s}\n",
        &[(12.0, 1)],
        "1m",
    );
    let polls = job_polls(&r);
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    assert_eq!((at(20.0).running, at(20.0).queue_length), (1, 0));
    assert_eq!(at(45.0).running, 1);
    assert_eq!(at(50.0).running, 0);
    assert_eq!(creations(&r), vec![(15.0, 1)]);
}

#[test]
fn active_deadline_seconds_fails_the_job_and_the_history_limit_removes_it() {
    // Sleepers of 300 s with activeDeadlineSeconds 22: killed 22 s after creation (t = 37),
    // Failed, and with failedJobsHistoryLimit 0 deleted at the next poll; the message is
    // still there, so `default` starts another.
    let sj = sj_with(
        "    activeDeadlineSeconds: 22\n",
        "  maxReplicaCount: 5\n  failedJobsHistoryLimit: 0\n",
    );
    let r = job_run(&sj, SLEEP_300, &[(12.0, 1)], "1m");
    let polls = job_polls(&r);
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    assert_eq!(at(35.0).running, 1);
    let after = at(40.0);
    assert_eq!(after.running, 0, "killed at 15 + 22 s");
    assert_eq!(
        after.jobs_to_delete.len(),
        1,
        "a Failed job beyond the limit"
    );
    assert_eq!(creations(&r), vec![(15.0, 1), (40.0, 1)]);
    // Without the deadline the sleeper runs on.
    let r = job_run(
        &sj_with("", "  maxReplicaCount: 5\n"),
        SLEEP_300,
        &[(12.0, 1)],
        "1m",
    );
    assert_eq!(creations(&r), vec![(15.0, 1)]);
}

#[test]
fn a_message_in_progress_at_the_deadline_goes_back_to_the_queue() {
    // Messages take 60 s, jobs are killed 20 s after creation: each job takes the message,
    // is killed before it is done, and the message is redelivered to the next job.
    let sj = sj_with("    activeDeadlineSeconds: 20\n", "  maxReplicaCount: 1\n");
    let r = try_job_run_with("60s", &sj, "", &[(12.0, 1)], "2m").unwrap();
    assert!(r.totals.redelivered >= 1, "{:?}", r.totals);
    assert_eq!(r.totals.served, 0, "never done within 20 s");
    assert!(r.summary.keda[0].jobs_created >= 4, "{:?}", creations(&r));
}

#[test]
fn parallelism_runs_that_many_pods_per_job() {
    // 6 messages, at most 2 jobs: with parallelism 3 each job's 3 pods take 3 messages, so 2
    // jobs empty the queue; `completions: 1` caps a job at one pod again.
    let sj = |job: &str| sj_with(job, "  maxReplicaCount: 2\n");
    let batches = [(12.0, 6)];
    let r = job_run(&sj("    parallelism: 3\n"), "", &batches, "1m");
    assert_eq!(creations(&r), vec![(15.0, 2)]);
    let last = job_polls(&r).last().unwrap().1.clone();
    assert_eq!((last.queue_length, last.running), (0, 0));
    let r = job_run(
        &sj("    parallelism: 3\n    completions: 1\n"),
        "",
        &batches,
        "1m",
    );
    assert!(
        creations(&r).len() >= 3,
        "one message per job: {:?}",
        creations(&r)
    );
}

#[test]
fn completions_above_parallelism_run_parallelism_pods_until_completions_succeeded() {
    // completions 4, parallelism 2, one job at a time, 8 one-message jobs' worth of messages
    // (1 s each). The Job created at 15 s runs 2 pods (up at 17 s, done at 18 s), then 2 more
    // (up at 20 s, done at 21 s): Complete at 21 s with 4 messages served, so the next Job
    // waits for the poll at 25 s. Never more than 2 of a Job's pods at once.
    let sj = sj_with(
        "    parallelism: 2\n    completions: 4\n",
        "  maxReplicaCount: 1\n",
    );
    let r = job_run(&sj, "", &[(12.0, 8)], "1m");
    assert_eq!(creations(&r), vec![(15.0, 1), (25.0, 1)]);
    let polls = job_polls(&r);
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    assert_eq!(
        (at(20.0).running, at(20.0).pending),
        (1, 0),
        "between its two rounds the Job runs, a Succeeded pod keeps it from pending"
    );
    assert_eq!((at(25.0).running, at(25.0).queue_length), (0, 4));
    assert_eq!((at(35.0).running, at(35.0).queue_length), (0, 0));
    assert_eq!(r.totals.served, 8);
    let row = |t: f64| r.series.row(t);
    let busy = |i: usize| r.series.starting_pods[i] + r.series.ready_pods[i];
    assert!((0..r.series.ready_pods.len()).all(|i| busy(i) <= 2));
    assert_eq!(busy(row(19.0)), 2, "the second round is starting");
    // Without `completions` the Job is done when its first 2 pods are: one round per Job.
    let sj = sj_with("    parallelism: 2\n", "  maxReplicaCount: 1\n");
    let r = job_run(&sj, "", &[(12.0, 8)], "1m");
    assert_eq!(
        creations(&r),
        vec![(15.0, 1), (20.0, 1), (25.0, 1), (30.0, 1)]
    );
}

#[test]
fn completions_with_draining_and_sleeping_jobs() {
    // drain: the first pair of pods empties the queue (8 messages, 1 s each: 4 s) and both
    // succeed; the Job wants 2 more, which find the queue empty and succeed at once.
    let sj = sj_with(
        "    parallelism: 2\n    completions: 4\n",
        "  maxReplicaCount: 1\n",
    );
    let r = job_run(&sj, "jobs: {mode: drain}\n", &[(12.0, 8)], "1m");
    assert_eq!(creations(&r), vec![(15.0, 1)]);
    assert_eq!(r.totals.served, 8);
    let polls = job_polls(&r);
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    assert_eq!(at(25.0).running, 0, "4 pods succeeded by 24 s");
    // sleep 10 s: two rounds of 10 s, the Job runs from 15 s to 39 s (pods up at 17 and 29).
    let r = job_run(
        &sj,
        "jobs: {mode: sleep, duration: 10s}\n",
        &[(12.0, 1)],
        "1m",
    );
    let polls = job_polls(&r);
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    assert_eq!(at(35.0).running, 1, "second round");
    assert_eq!(at(40.0).running, 0);
    assert_eq!(creations(&r), vec![(15.0, 1), (40.0, 1)]);
}

#[test]
fn failed_pods_are_retried_up_to_the_backoff_limit() {
    // Every container exits non-zero (failure_probability 1) after taking its one message;
    // backoffLimit 2. The Job created at 15 s: pod 1 up at 17 s takes the message and fails
    // at 18 s; its replacement is created 10 s later (28 s), finds the queue empty and fails
    // at 30 s; the next comes 20 s later (50 s) and fails at 52 s — a third failure: Failed
    // (BackoffLimitExceeded), and with failedJobsHistoryLimit 0 deleted at the next poll.
    let sj = sj_with(
        "    backoffLimit: 2\n",
        "  maxReplicaCount: 1\n  failedJobsHistoryLimit: 0\n",
    );
    let r = job_run(&sj, "jobs: {failure_probability: 1}\n", &[(12.0, 1)], "1m");
    let polls = job_polls(&r);
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    assert_eq!(
        (at(20.0).running, at(20.0).pending),
        (1, 1),
        "its only pod Failed, the replacement not yet created: pending"
    );
    assert_eq!(
        (at(45.0).running, at(45.0).pending),
        (1, 1),
        "two pods Failed"
    );
    assert_eq!(at(50.0).running, 1);
    let after = at(55.0);
    assert_eq!((after.running, after.jobs_to_delete.len()), (0, 1));
    assert_eq!(
        creations(&r),
        vec![(15.0, 1)],
        "the queue is empty: no other Job"
    );
    assert_eq!(
        r.totals.served, 1,
        "the message was done before the container failed"
    );
    let row = |t: f64| r.series.row(t - 1.0);
    let pods = |t: f64| r.series.starting_pods[row(t)] + r.series.ready_pods[row(t)];
    assert_eq!(
        [pods(25.0), pods(29.0), pods(40.0), pods(51.0)],
        [0, 1, 0, 1]
    );
    // backoffLimit 0: the first failure fails the Job.
    let sj = sj_with(
        "    backoffLimit: 0\n",
        "  maxReplicaCount: 1\n  failedJobsHistoryLimit: 0\n",
    );
    let r = job_run(&sj, "jobs: {failure_probability: 1}\n", &[(12.0, 1)], "1m");
    assert_eq!(
        job_polls(&r)
            .iter()
            .find(|(t, _)| *t == 20.0)
            .unwrap()
            .1
            .running,
        0
    );
    // Seeded: the same scenario fails the same pods; without failures nothing is retried.
    let sj = sj_with("", "  maxReplicaCount: 5\n");
    let batches = [(12.0, 20)];
    let a = job_run(&sj, "jobs: {failure_probability: 0.5}\n", &batches, "3m");
    let b = job_run(&sj, "jobs: {failure_probability: 0.5}\n", &batches, "3m");
    assert_eq!(creations(&a), creations(&b));
    assert_eq!(a.series.starting_pods, b.series.starting_pods);
    assert_eq!(a.totals.served, 20, "a failed pod's message was done");
    let none = job_run(&sj, "", &batches, "3m");
    assert_ne!(a.series.starting_pods, none.series.starting_pods);
}

/// The times of the pod events `kind` (`created`, `container_failed`…) of a run.
fn pod_events(r: &RunResult, kind: &str) -> Vec<f64> {
    (r.events.iter())
        .filter_map(|e| match e {
            LogEvent::Pod(_) => {
                let v = serde_json::to_value(e).unwrap();
                (v["event"] == kind).then(|| v["t"].as_f64().unwrap())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn with_restart_policy_on_failure_the_failed_container_restarts_in_its_pod() {
    // As `failed_pods_are_retried_up_to_the_backoff_limit`, with `OnFailure`: the pod up at
    // 17 s takes the message and its container fails at 18 s; the kubelet restarts it at once
    // (restart 1; it boots for 2 s, finds the queue empty and fails at 20 s), then after a
    // 10 s back-off (restart 2 at 30 s): the restarts reach backoffLimit 2, the Job is Failed.
    // One pod throughout, Running meanwhile: the Job runs and is never pending.
    let sj = sj_with(
        "    backoffLimit: 2\n",
        "  maxReplicaCount: 1\n  failedJobsHistoryLimit: 0\n",
    );
    let jobs = "jobs: {failure_probability: 1}\n";
    let r = try_job_run_policy("OnFailure", "1s", &sj, jobs, &[(12.0, 1)], "1m").unwrap();
    assert_eq!(pod_events(&r, "created"), [15.0], "no new pod per failure");
    assert_eq!(pod_events(&r, "container_failed"), [18.0, 20.0]);
    assert_eq!(pod_events(&r, "failed"), Vec::<f64>::new());
    let polls = job_polls(&r);
    let at = |t: f64| polls.iter().find(|(at, _)| *at == t).unwrap().1.clone();
    for t in [20.0, 25.0] {
        assert_eq!(
            (at(t).running, at(t).pending),
            (1, 0),
            "at {t}s the pod is Running between restarts"
        );
    }
    // Failed at 30 s (the restart comes before that instant's poll), deleted by it.
    let deleted: Vec<f64> = (polls.iter())
        .filter(|(_, p)| !p.jobs_to_delete.is_empty())
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(deleted, [30.0]);
    assert_eq!(at(35.0).running, 0);
    assert_eq!(creations(&r), vec![(15.0, 1)]);
    assert_eq!(r.totals.served, 1);
    let row = |t: f64| r.series.row(t - 1.0);
    let pods = |t: f64| r.series.starting_pods[row(t)] + r.series.ready_pods[row(t)];
    assert_eq!(
        [pods(19.0), pods(25.0), pods(29.0), pods(32.0)],
        [1, 1, 1, 0],
        "the pod stays until the Job fails at 30 s"
    );
    // With `Never` the same Job fails one failure later (its third failed pod, at 52 s).
    let never = job_run(&sj, jobs, &[(12.0, 1)], "1m");
    assert_eq!(pod_events(&never, "failed"), [18.0, 30.0, 52.0]);
    // backoffLimit 0: the first restart (at once, 18 s) fails the Job.
    let sj = sj_with(
        "    backoffLimit: 0\n",
        "  maxReplicaCount: 1\n  failedJobsHistoryLimit: 0\n",
    );
    let r = try_job_run_policy("OnFailure", "1s", &sj, jobs, &[(12.0, 1)], "1m").unwrap();
    assert_eq!(pod_events(&r, "container_failed"), [18.0]);
    let polls = job_polls(&r);
    assert_eq!(polls.iter().find(|(t, _)| *t == 20.0).unwrap().1.running, 0);
}

#[test]
fn a_template_without_restart_policy_restarts_containers_as_keda_sets_on_failure() {
    let sj = sj_with(
        "    backoffLimit: 2\n",
        "  maxReplicaCount: 1\n  failedJobsHistoryLimit: 0\n",
    );
    let jobs = "jobs: {failure_probability: 1}\n";
    let dflt = try_job_run_policy("''", "1s", &sj, jobs, &[(12.0, 1)], "1m").unwrap();
    let on_failure = try_job_run_policy("OnFailure", "1s", &sj, jobs, &[(12.0, 1)], "1m").unwrap();
    assert_eq!(pod_events(&dflt, "container_failed"), [18.0, 20.0]);
    assert_eq!(
        pod_events(&dflt, "container_started"),
        pod_events(&on_failure, "container_started")
    );
    // `Always` is not a Job's restart policy: every Job KEDA created would be rejected.
    let err = try_job_run_policy("Always", "1s", &sj, jobs, &[(12.0, 1)], "1m").unwrap_err();
    assert!(err.contains("restartPolicy"), "{err}");
}

#[test]
fn invalid_job_spec_values_are_located_errors_exiting_2() {
    for (field, line) in [
        ("completions: -1", 7),
        ("parallelism: -2", 7),
        ("backoffLimit: two", 7),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("publish.log"), "1\n").unwrap();
        let sj = format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {{name: sj}}\nspec:\n  pollingInterval: 5\n  jobTargetRef:\n    {field}\n    template:\n      spec:\n        containers: [{{name: w, image: busybox}}]\n  triggers:\n    - type: rabbitmq\n      metadata: {{queueName: hello, host: 'http://user:password@rabbitmq:15672/', mode: QueueLength, value: '1'}}\n"
        );
        std::fs::write(dir.path().join("sj.yaml"), sj).unwrap();
        std::fs::write(
            dir.path().join("s.yaml"),
            "trace: {file: publish.log}\nduration: 1m\nworkload: {kind: queue, service_time: 1s}\npods: {replicas: 0}\nautoscaler: {manifests: [sj.yaml]}\n",
        )
        .unwrap();
        let (code, _, err) =
            crate::helpers::run_in(dir.path(), &["run", "s.yaml", "--quiet", "--out", "o"]);
        assert_eq!(code, 2, "{field}: {err}");
        let key = field.split(':').next().unwrap();
        assert!(
            err.contains(&format!("sj.yaml:{line}"))
                && err.contains(&format!("spec.jobTargetRef.{key}")),
            "{field}: {err}"
        );
        assert!(err.contains("Job API rejects it"), "{field}: {err}");
    }
}

#[test]
fn bad_jobs_settings_are_clear_errors() {
    let sj = sj_with("", "");
    for (jobs, want) in [
        ("jobs: {mode: batch}\n", "jobs.mode"),
        ("jobs: {mode: sleep}\n", "needs `duration`"),
        ("jobs: {mode: sleep, duration: -5s}\n", "negative"),
        ("jobs: {mode: drain, duration: 5s}\n", "applies only to"),
        ("jobs: {mode: sleep, duration: 5s, retries: 2}\n", "retries"),
        (
            "jobs: {failure_probability: 1.5}\n",
            "jobs.failure_probability",
        ),
    ] {
        let e = try_job_run(&sj, jobs, &[(12.0, 1)], "1m")
            .err()
            .unwrap_or_default();
        assert!(e.contains(want), "{jobs}: {e}");
        assert!(e.contains("s.yaml"), "{jobs}: names the file: {e}");
    }
}

#[test]
fn bad_jobs_settings_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("publish.log"), "1\n").unwrap();
    std::fs::write(
        dir.path().join("s.yaml"),
        "trace: {file: publish.log}\nduration: 1m\nworkload: {kind: queue, service_time: 1s}\npods: {replicas: 1}\njobs: {mode: nap}\n",
    )
    .unwrap();
    let (code, _, err) =
        crate::helpers::run_in(dir.path(), &["run", "s.yaml", "--quiet", "--out", "o"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("s.yaml:5") && err.contains("jobs.mode"),
        "{err}"
    );
    assert!(
        err.contains("one-message") && err.contains("sleep"),
        "{err}"
    );
}

// --- keda_events: pause, unpause, delete ---

/// spec.replicas in the time-series row holding `t` (a row is sampled at the end of its
/// 5 s step).
fn replicas_at(r: &RunResult, t: f64) -> i32 {
    r.series.spec_replicas[r.series.row(t)]
}

/// Every distinct spec.replicas value from `from` to `to` (both inclusive).
fn replicas_between(r: &RunResult, from: f64, to: f64) -> Vec<i32> {
    let mut v: Vec<i32> = (r.series.row(from)..=r.series.row(to))
        .map(|row| r.series.spec_replicas[row])
        .collect();
    v.dedup();
    v
}

#[test]
fn deleting_a_scaledobject_restores_the_original_replicas_only_when_asked() {
    // restoreToOriginalReplicaCount (upstream scaledobject_finalizer.go): on deletion the
    // target goes back to the replicas it had when KEDA first saw it (2); without it the
    // replicas stay as they are. Either way nothing scales it afterwards.
    let so = |restore: bool| {
        format!(
            "minReplicaCount: 1\nmaxReplicaCount: 30\nadvanced: {{restoreToOriginalReplicaCount: {restore}}}\n{SQS}"
        )
    };
    let events = "keda_events:\n- {at: 6m, delete: worker}\n";
    let r = queue_scenario(RAMP, "10m", 2, &so(true), events);
    assert!(
        replicas_at(&r, 345.0) > 2,
        "scaled out before: {}",
        replicas_at(&r, 345.0)
    );
    assert_eq!(
        replicas_between(&r, 365.0, 600.0),
        vec![2],
        "restored to the original 2"
    );
    let after_delete = |r: &RunResult| {
        r.events.iter().any(|e| match e {
            LogEvent::Autoscaler(a) => a.t > 360.0,
            LogEvent::Keda(k) => k.t > 360.0,
            _ => false,
        })
    };
    assert!(
        !after_delete(&r),
        "no KEDA poll or HPA sync after the deletion"
    );

    let r = queue_scenario(RAMP, "10m", 2, &so(false), events);
    let at_delete = replicas_at(&r, 345.0);
    assert!(at_delete > 2);
    assert_eq!(
        replicas_between(&r, 365.0, 600.0),
        vec![at_delete],
        "left as they were"
    );
    assert!(!after_delete(&r));
}

#[test]
fn pausing_holds_the_paused_replicas_and_unpausing_resumes_scaling() {
    // Rule 20: paused-replicas stops KEDA's loop and deletes the HPA; the target holds that
    // count whatever the load. Unpausing creates the HPA again and scaling resumes.
    let so = format!("minReplicaCount: 1\nmaxReplicaCount: 30\n{SQS}");
    let events =
        "keda_events:\n- {at: 3m, pause: worker, replicas: 3}\n- {at: 7m, unpause: worker}\n";
    let r = queue_scenario(RAMP, "12m", 1, &so, events);
    assert!(replicas_at(&r, 165.0) > 3, "scaled out before the pause");
    assert_eq!(
        replicas_between(&r, 180.0, 410.0),
        vec![3],
        "held at 3 while paused"
    );
    let hpa_syncs_while_paused = r
        .events
        .iter()
        .any(|e| matches!(e, LogEvent::Autoscaler(a) if a.t > 180.0 && a.t < 420.0));
    assert!(!hpa_syncs_while_paused, "the HPA is deleted while paused");
    assert!(
        replicas_at(&r, 600.0) > 3,
        "scaling resumed after unpausing: {}",
        replicas_at(&r, 600.0)
    );
    // The HPA's statistics cover the whole run (one record for the re-created HPA).
    assert_eq!(r.summary.hpa.len(), 1);
}

#[test]
fn unpausing_restarts_the_loop_and_the_hpa_from_that_instant() {
    // Spec §2.1: un-pausing starts a new scale loop, which checks at once and then every
    // pollingInterval from there; the HPA KEDA creates again is first synced one resync period
    // (15 s) after its creation, as the HPA controller's queue delays every add. Old loop
    // phase: checks at 0, 30, …, 210 s; unpaused at 200 s → checks at 200, 230, 260 s.
    let so = format!("pollingInterval: 30\nminReplicaCount: 1\nmaxReplicaCount: 30\n{SQS}");
    let events = "keda_events:\n- {at: 95s, pause: worker}\n- {at: 200s, unpause: worker}\n";
    let r = queue_scenario(RAMP, "5m", 1, &so, events);
    let checks: Vec<f64> = polls(&r)
        .iter()
        .filter(|(t, p)| *t >= 200.0 && !p.triggers.is_empty())
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(
        checks,
        vec![200.0, 230.0, 260.0, 290.0],
        "the restarted loop's checks"
    );
    let hpa_syncs: Vec<f64> = r
        .events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Autoscaler(a) if a.t >= 200.0 => Some(a.t),
            _ => None,
        })
        .collect();
    assert_eq!(
        hpa_syncs.first(),
        Some(&215.0),
        "first sync of the new HPA: {hpa_syncs:?}"
    );
    assert!(
        hpa_syncs.windows(2).all(|w| w[1] - w[0] == 15.0),
        "{hpa_syncs:?}"
    );
}

#[test]
fn metric_values_are_milli_quantised_but_activation_reads_the_raw_value() {
    // Rule 12: the metric handed to the HPA is milli-quantised and a negative becomes 0 (v2.20),
    // while activation compares the raw value. A level of 0.0004 is metric 0 yet active
    // (0.0004 > 0); a level of −5 is metric 0 yet inactive against an activation threshold of
    // −3 (the quantised 0 would be active).
    let so = |activation: &str| {
        format!(
            "minReplicaCount: 0\npollingInterval: 30\ntriggers:\n- type: prometheus\n  metadata: {{serverAddress: 'http://prom:9090', query: 'level', threshold: '1', activationThreshold: '{activation}'}}"
        )
    };
    let bind = "metrics:\n  s0-prometheus: {signal: level, backend: direct}\n";
    let check = |activation: &str, from: f64, to: f64, active: bool| {
        let r = queue_scenario("{file: level.csv}", "4m", 0, &so(activation), bind);
        let seen: Vec<(f64, Option<f64>, Option<i64>, bool)> = polls(&r)
            .iter()
            .filter(|(t, p)| *t >= from && *t < to && !p.triggers.is_empty())
            .map(|(t, p)| {
                (
                    *t,
                    p.triggers[0].raw_value,
                    p.triggers[0].metric_milli,
                    p.triggers[0].active,
                )
            })
            .collect();
        assert!(seen.len() >= 2, "polls in [{from}, {to}): {seen:?}");
        for (t, raw, milli, a) in &seen {
            assert!(
                raw.is_some_and(|v| v != 0.0),
                "at {t} s the raw value is read: {raw:?}"
            );
            assert_eq!(
                *milli,
                Some(0),
                "at {t} s the metric is quantised to 0 (raw {raw:?})"
            );
            assert_eq!(
                *a, active,
                "at {t} s active must follow the raw value {raw:?}"
            );
        }
    };
    check("0", 30.0, 120.0, true);
    check("-3", 150.0, 240.0, false);
}

#[test]
fn without_every_sync_a_poll_is_logged_only_when_it_scales_or_its_state_changes() {
    // Every logged poll that scaled nothing must differ in (active, error, fallback) from the
    // poll logged before it (unlogged polls in between had the same state as that one).
    let s = Scenario::load(
        std::path::Path::new("scenarios/sqs-worker.yaml"),
        &Overrides::default(),
    )
    .unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    let logged: Vec<(f64, PollDecision)> = polls(&r)
        .into_iter()
        .filter(|(_, p)| !p.triggers.is_empty())
        .collect();
    assert!(logged.len() >= 4, "{} polls logged", logged.len());
    let flags = |p: &PollDecision| (p.is_active, p.is_error, p.fallback_active);
    for w in logged.windows(2) {
        let ((_, a), (t, b)) = (&w[0], &w[1]);
        if matches!(b.decision.action, ScaleAction::None) {
            assert_ne!(flags(a), flags(b), "poll at {t} s logged with nothing new");
        }
    }
}

#[test]
fn keda_events_must_name_a_scaledobject() {
    let so = format!("minReplicaCount: 1\n{SQS}");
    let e = try_queue_scenario(
        RAMP,
        "5m",
        1,
        &so,
        "keda_events:\n- {at: 1m, delete: wroker}\n",
    )
    .expect_err("an unknown object is rejected");
    assert!(
        e.contains("keda_events[0].delete") && e.contains("`worker`"),
        "{e}"
    );
    let e = try_queue_scenario(
        RAMP,
        "5m",
        1,
        &so,
        "keda_events:\n- {at: 1m, unpause: worker, replicas: 2}\n",
    )
    .expect_err("replicas only with pause");
    assert!(e.contains("keda_events[0].replicas"), "{e}");
}

#[test]
fn a_scale_in_before_any_activity_names_the_initial_cooldown() {
    // Rule 5: never active, so the scale to zero waits for initialCooldownPeriod from creation
    // (60 s ⇒ the poll at 60 s), and the event says so rather than "after cooldown 300 s".
    let so = format!("minReplicaCount: 0\ninitialCooldownPeriod: 60\n{SQS}");
    let r = queue_scenario("{generate: {kind: constant, rate: 0}}", "3m", 2, &so, "");
    let (t, p) = polls(&r)
        .into_iter()
        .find(|(_, p)| matches!(p.decision.action, ScaleAction::SetReplicas { to: 0, .. }))
        .expect("scaled to zero");
    assert_eq!(t, 60.0);
    let reason = p.reason.to_string();
    assert!(
        reason.contains("initialCooldownPeriod 60 s") && !reason.contains("after cooldown"),
        "{reason}"
    );
}

// --- More of spec §7 at scenario level ---

#[test]
fn in_flight_messages_keep_sqs_and_rabbitmq_http_triggers_active() {
    // Rules 14 and 16: a worker that keeps up has no visible backlog, only messages in
    // service. SQS counts those by default (scaleOnInFlight: true) and RabbitMQ over HTTP
    // counts unacked ones, so the object stays active; with scaleOnInFlight: false (or AMQP,
    // ready messages only) it looks idle and is scaled to zero after the cooldown although
    // work keeps flowing.
    let steady = "{generate: {kind: constant, rate: 2}}";
    let run_with = |trigger: &str| {
        let so = format!("minReplicaCount: 0\ncooldownPeriod: 120\ntriggers:\n{trigger}");
        queue_scenario(steady, "10m", 4, &so, "")
    };
    // (The first check at t = 0 sees an empty queue and scales to zero: rule 5. After that.)
    let to_zero = |r: &RunResult| scalings(r).iter().any(|s| s.0 > 0.0 && s.2 == 0);
    let sqs = |in_flight: &str| {
        format!(
            "- type: aws-sqs-queue\n  metadata: {{queueURL: jobs, awsRegion: eu-west-1, identityOwner: operator, queueLength: '5', scaleOnInFlight: '{in_flight}'}}"
        )
    };
    let rabbit = |host: &str| {
        format!(
            "- type: rabbitmq\n  metadata: {{queueName: jobs, host: '{host}', mode: QueueLength, value: '5'}}"
        )
    };
    assert!(
        !to_zero(&run_with(&sqs("true"))),
        "SQS counts in-flight messages"
    );
    assert!(
        to_zero(&run_with(&sqs("false"))),
        "visible messages only: looks idle"
    );
    assert!(
        !to_zero(&run_with(&rabbit("http://guest:guest@rabbitmq:15672/"))),
        "RabbitMQ over HTTP counts unacked messages"
    );
    assert!(
        to_zero(&run_with(&rabbit("amqp://guest:guest@rabbitmq:5672/"))),
        "RabbitMQ over AMQP sees ready messages only"
    );
}

#[test]
fn prometheus_no_data_is_zero_unless_ignore_null_values_is_false() {
    // Rule 17: at t = 0 Prometheus has one scrape, so a rate() query returns nothing. With
    // the default ignoreNullValues: true that is the value 0 (no error); with false it is an
    // error, which the first poll reports.
    let so = |ignore: &str| {
        format!(
            "minReplicaCount: 1\ntriggers:\n- type: prometheus\n  name: rps\n  metadata: {{serverAddress: 'http://prometheus:9090', query: 'sum(rate(jobs_total[1m]))', threshold: '5', ignoreNullValues: '{ignore}'}}"
        )
    };
    let bind = "metrics:\n  rps: {signal: request_rate, backend: prometheus}\n";
    let steady = "{generate: {kind: constant, rate: 2}}";
    let first = |r: &RunResult| polls(r).into_iter().next().unwrap().1;
    let p = first(&queue_scenario(steady, "2m", 1, &so("true"), bind));
    assert!(!p.is_error && p.triggers[0].raw_value == Some(0.0), "{p:?}");
    let p = first(&queue_scenario(steady, "2m", 1, &so("false"), bind));
    assert!(p.is_error, "{p:?}");
}

#[test]
fn fallback_with_scaling_modifiers_needs_an_integer_target() {
    // Rule 9: with scalingModifiers, fallback is valid only when the modifiers' target parses
    // as an integer. Prometheus fails from 2 min on: with target "2" fallback drives the
    // worker to fallback.replicas (6); with "2.5" fallback is silently off and the HPA just
    // keeps its last count.
    let so = |target: &str| {
        format!(
            "minReplicaCount: 1\nmaxReplicaCount: 20\nfallback: {{failureThreshold: 2, replicas: 6}}\nadvanced:\n  scalingModifiers: {{formula: 'rps', target: '{target}'}}\ntriggers:\n- type: prometheus\n  name: rps\n  metadata: {{serverAddress: 'http://prometheus:9090', query: 'sum(rate(jobs_total[1m]))', threshold: '5'}}"
        )
    };
    let extra = "metrics:\n  rps: {signal: request_rate, backend: prometheus}\nfaults:\n- {target: rps, from: 2m, duration: 20m}\n";
    let steady = "{generate: {kind: constant, rate: 2}}";
    let r = queue_scenario(steady, "10m", 1, &so("2"), extra);
    assert!(r.summary.keda[0].fallback_seconds > 0.0);
    assert_eq!(replicas_at(&r, 590.0), 6, "fallback replicas reached");
    let r = queue_scenario(steady, "10m", 1, &so("2.5"), extra);
    assert_eq!(r.summary.keda[0].fallback_seconds, 0.0, "fallback off");
    assert_ne!(replicas_at(&r, 590.0), 6);
}

#[test]
fn cron_windows_follow_daylight_saving_time() {
    // Rule 13: a 09:00–17:00 America/New_York weekday window opens at 14:00 UTC on Friday
    // 8 March 2024 (EST) and at 13:00 UTC on Monday 11 March (EDT, after the 10 March switch).
    let so = "minReplicaCount: 0\ncooldownPeriod: 60\ntriggers:\n- type: cron\n  metadata: {timezone: America/New_York, start: '0 9 * * 1-5', end: '0 17 * * 1-5', desiredReplicas: '3'}";
    let r = queue_scenario(
        "{generate: {kind: constant, rate: 0}}",
        "4d",
        0,
        so,
        "start_time: 2024-03-08T00:00:00Z\n",
    );
    let ups: Vec<f64> = scalings(&r)
        .into_iter()
        .filter(|(_, f, t)| *f == 0 && *t > 0)
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(
        ups,
        vec![14.0 * 3600.0, (3.0 * 24.0 + 13.0) * 3600.0],
        "Friday 09:00 EST, Monday 09:00 EDT (no window on the weekend)"
    );
    // The HPA then holds desiredReplicas inside the window.
    assert_eq!(replicas_at(&r, 16.0 * 3600.0), 3);
}

#[test]
fn without_a_behavior_the_generated_hpa_takes_the_legacy_path() {
    // Rule 21: no horizontalPodAutoscalerConfig.behavior ⇒ behavior nil ⇒ the legacy
    // scale-up cap max(2 × current, 4): from 1 pod to at most 4 in one sync. Any behavior
    // object (here only a scale-down window) brings the API defaults for scale-up instead:
    // max(+4 pods, +100 %) per 15 s, so 1 → 5.
    let trigger = "triggers:\n- type: aws-sqs-queue\n  metadata: {queueURL: jobs, awsRegion: eu-west-1, identityOwner: operator, queueLength: '1'}";
    let first_hpa_step = |spec: &str| {
        let r = queue_scenario(RAMP, "5m", 1, spec, "");
        r.events
            .iter()
            .find_map(|e| match e {
                LogEvent::Autoscaler(a) if a.decision.rescale => {
                    Some((a.decision.current_replicas, a.decision.desired_replicas))
                }
                _ => None,
            })
            .expect("the HPA scales up")
    };
    let legacy = first_hpa_step(&format!(
        "minReplicaCount: 1\nmaxReplicaCount: 50\n{trigger}"
    ));
    assert_eq!(legacy, (1, 4), "legacy cap max(2×1, 4)");
    let with_behavior = first_hpa_step(&format!(
        "minReplicaCount: 1\nmaxReplicaCount: 50\nadvanced:\n  horizontalPodAutoscalerConfig:\n    behavior: {{scaleDown: {{stabilizationWindowSeconds: 60}}}}\n{trigger}"
    ));
    assert_eq!(with_behavior, (1, 5), "default scale-up policies: +4 pods");
}

#[test]
fn the_scenario_schema_describes_jobs() {
    let o = crate::helpers::output_at_root(&["schema", "scenario"]);
    assert_eq!(o.status.code(), Some(0));
    let s: serde_json::Value = serde_json::from_str(&crate::helpers::stdout(&o)).unwrap();
    let text = s.to_string();
    assert!(s["properties"]["jobs"].is_object(), "{}", s["properties"]);
    let spec = &s["definitions"]["JobsSpec"];
    assert_eq!(spec["additionalProperties"], false);
    for mode in ["\"one-message\"", "\"drain\"", "\"sleep\""] {
        assert!(text.contains(mode), "{mode} missing from the schema");
    }
}
