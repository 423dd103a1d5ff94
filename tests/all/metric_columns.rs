//! The autoscaler-metric columns of the time series on the shipped KEDA scenarios: every metric
//! has its true value beside the value the HPA saw (Kafka's lag uncapped, per replica like the
//! seen value), values nobody measured are left out, and the target stays drawn at zero
//! replicas.

use scalesim::record::Series;
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, run};
use std::path::Path;

fn series(file: &str) -> Series {
    let s = Scenario::load(Path::new(file), &Overrides::default()).unwrap();
    run(&s, &RunOptions::default()).unwrap().series
}

fn column<'a>(s: &'a Series, name: &str) -> &'a [f64] {
    s.extra
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, c)| c.as_slice())
        .unwrap_or_else(|| {
            let names: Vec<&str> = s.extra.iter().map(|(n, _)| n.as_str()).collect();
            panic!("no column {name}; columns: {names:?}")
        })
}

#[test]
fn kafka_true_lag_is_uncapped_and_per_replica() {
    let s = series("scenarios/kafka-consumer.yaml");
    let seen = column(&s, "metric_s0_kafka_clicks_seen");
    let truth = column(&s, "metric_s0_kafka_clicks_true");
    let target = column(&s, "metric_s0_kafka_clicks_target");
    // The HPA never sees more than the cap: 6 partitions × 500 once `lag / 500` passes 6.
    let seen_max = seen
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    assert!(seen_max < 3500.0, "seen max {seen_max}");
    // The true lag per replica: the whole backlog plus what is in service, over the replicas.
    let r = s
        .backlog
        .iter()
        .enumerate()
        .max_by_key(|(_, b)| **b)
        .unwrap()
        .0;
    let replicas = (s.ready_pods[r] + s.starting_pods[r]) as f64;
    assert!(s.backlog[r] > 700_000, "backlog {}", s.backlog[r]);
    // (plus at most 4 messages in service on each of at most 7 consumers)
    let lag = truth[r] * replicas;
    assert!(
        lag >= s.backlog[r] as f64 && lag <= s.backlog[r] as f64 + 28.0,
        "true {} × {replicas} replicas against a backlog of {}",
        truth[r],
        s.backlog[r]
    );
    // Where KEDA caps it, the seen value sits on the target while the truth is far above.
    let capped = (0..s.rows)
        .filter(|&r| seen[r] == target[r] && truth[r] > 10.0 * target[r])
        .count();
    assert!(capped > 1000, "{capped} rows capped");
    // Before any lag was measured (the HPA's first sync, at t = 0), nothing is drawn.
    assert!(seen[0].is_nan(), "seen at t = 0: {}", seen[0]);
    assert!(truth.iter().all(|v| v.is_finite()));
}

#[test]
fn prometheus_true_rate_runs_through_the_outage_and_startup() {
    let s = series("scenarios/prometheus-outage.yaml");
    let seen = column(&s, "metric_s0_prometheus_seen");
    let truth = column(&s, "metric_s0_prometheus_true");
    // Prometheus's rate() has no two samples before the scrape job's second scrape (on its own
    // phase, within the first 30 s: docs/metrics-pipeline.md): no seen value (not a 0) until
    // then, and one from then on.
    let first = seen.iter().position(|v| v.is_finite()).unwrap();
    assert!((1..=30).contains(&first), "{:?}", &seen[..31]);
    assert!(seen[first..60].iter().all(|v| v.is_finite()));
    // The true rate per replica is there all along, near the 40 requests/s target before the
    // outage, and during the outage too, when the HPA sees nothing or the fallback.
    assert!(truth[5..].iter().all(|v| v.is_finite()));
    let outage = 3610..3890;
    assert!(outage.clone().all(|r| truth[r] > 10.0 && truth[r] < 60.0));
    assert!(outage.clone().any(|r| seen[r].is_nan()));
    // The true value differs from the lagged one (a one-minute rate read every 30 s).
    let differ = (0..s.rows)
        .filter(|&r| seen[r].is_finite() && (seen[r] - truth[r]).abs() > 0.5)
        .count();
    assert!(differ > s.rows / 4, "{differ} rows differ");
}

#[test]
fn failed_reads_and_keda_fallback_are_marked_for_the_chart() {
    // The outage runs from 1 h for 5 min. KEDA counts failures, then its fallback stands in
    // (keda_fallback = 1); before the fallback engages the HPA's read fails. Outside the
    // outage both are 0.
    let s = series("scenarios/prometheus-outage.yaml");
    let fallback = column(&s, "keda_fallback");
    let failed = column(&s, "metric_s0_prometheus_failed");
    let on = |c: &[f64], rows: std::ops::Range<usize>| rows.filter(|&r| c[r] == 1.0).count();
    assert_eq!(on(fallback, 0..3599), 0, "no fallback before the outage");
    assert!(
        on(fallback, 3600..3960) > 120,
        "fallback during the outage: {}",
        on(fallback, 3600..3960)
    );
    assert_eq!(on(fallback, 4200..s.rows), 0, "none well after it");
    // (Row r holds the sample at the end of second r + 1: the outage starts in row 3599.)
    assert_eq!(on(failed, 0..3599), 0);
    assert!(
        on(failed, 3599..3960) > 0,
        "the HPA's read fails before the fallback engages"
    );
    assert!(
        fallback
            .iter()
            .chain(failed)
            .all(|v| *v == 0.0 || *v == 1.0)
    );
}

#[test]
fn sqs_target_stays_while_scaled_to_zero_and_cron_has_a_true_value() {
    let s = series("scenarios/sqs-worker.yaml");
    let target = column(&s, "metric_s0_aws_sqs_orders_target");
    let truth = column(&s, "metric_s0_aws_sqs_orders_true");
    let zero: Vec<usize> = (0..s.rows).filter(|&r| s.spec_replicas[r] == 0).collect();
    assert!(zero.len() > s.rows / 2);
    assert!(zero.iter().all(|&r| target[r] == 20.0));
    // Messages per replica (of at least one): the queue is empty overnight, and the first
    // messages show before KEDA's poll activates the workload.
    let overnight = |r: &&usize| s.time(**r) + s.step <= 2.0 * 3600.0;
    assert!(zero.iter().filter(overnight).all(|&r| truth[r] == 0.0));
    assert!(zero.iter().any(|&r| truth[r] > 0.0));

    let s = series("scenarios/cron-lunch.yaml");
    let truth = column(&s, "metric_s0_cron_Asia_Tokyo_3011xxx_3013xxx_true");
    // 11:30–13:30 Tokyo is 2 h 30 min to 4 h 30 min after the 09:00 start: 24 desired
    // replicas over the replicas there are; 0 outside the window.
    let at = |secs: f64| (secs / s.step) as usize;
    assert_eq!(truth[at(3600.0)], 0.0);
    let inside = truth[at(4.0 * 3600.0)];
    let replicas = (s.ready_pods[at(4.0 * 3600.0)] + s.starting_pods[at(4.0 * 3600.0)]) as f64;
    assert!((inside - 24.0 / replicas).abs() < 1e-9, "{inside}");
}
