//! Scaler unit tests: metadata rules and evaluation, one section per family.

use super::*;
use crate::keda::params::{AuthKnowledge, EnvKnowledge};

fn md(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn build_with(
    ty: &str,
    index: usize,
    pairs: &[(&str, &str)],
    metric_type: Option<&str>,
    auth: AuthKnowledge,
) -> Built {
    let env = EnvKnowledge::Unknown;
    let ctx = BuildContext {
        trigger_index: index,
        trigger_type: ty,
        metric_type,
        as_metric_source: false,
        auth: &auth,
        env: &env,
    };
    build(&ctx, &md(pairs))
}

fn ok(ty: &str, pairs: &[(&str, &str)]) -> Scaler {
    let b = build_with(ty, 0, pairs, None, AuthKnowledge::None);
    b.scaler
        .unwrap_or_else(|| panic!("{ty} should build: {:?}", b.errors))
}

fn err(ty: &str, pairs: &[(&str, &str)]) -> String {
    let b = build_with(ty, 0, pairs, None, AuthKnowledge::None);
    assert!(b.scaler.is_none(), "{ty} should fail to build");
    b.errors
        .iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

fn eval(s: &Scaler, obs: Observation) -> FetchResult {
    s.evaluate(&obs, 0.0, &mut ScalerMemory::default())
}

fn value(v: f64) -> Observation {
    Observation::Value { value: v }
}

// --- cpu / memory ---

#[test]
fn cpu_requires_trigger_level_metric_type() {
    let b = build_with(
        "cpu",
        0,
        &[("value", "50")],
        Some("Utilization"),
        AuthKnowledge::None,
    );
    let s = b.scaler.unwrap();
    assert_eq!(s.metric.source, MetricSource::Resource);
    assert_eq!(s.metric.average_utilization, Some(50));
    assert!(err("cpu", &[("value", "50")]).contains("unknown metric type"));
    assert!(err("cpu", &[("value", "50"), ("type", "Utilization")]).contains("removed in v2.18"));
    let b = build_with(
        "memory",
        0,
        &[("value", "512Mi"), ("containerName", "app")],
        Some("AverageValue"),
        AuthKnowledge::None,
    );
    let s = b.scaler.unwrap();
    assert_eq!(s.metric.source, MetricSource::ContainerResource);
    assert_eq!(s.metric.target_milli, Some(512 * 1024 * 1024 * 1000));
    let b = build_with(
        "cpu",
        0,
        &[("value", "50")],
        Some("Value"),
        AuthKnowledge::None,
    );
    assert!(b.scaler.is_none());
    let b = build_with(
        "cpu",
        0,
        &[("value", "50.5")],
        Some("Utilization"),
        AuthKnowledge::None,
    );
    assert!(b.scaler.is_none(), "utilization must be an integer");
}

// --- cron ---

fn cron(start: &str, end: &str, tz: &str) -> Scaler {
    ok(
        "cron",
        &[
            ("start", start),
            ("end", end),
            ("timezone", tz),
            ("desiredReplicas", "7"),
        ],
    )
}

fn at(s: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp() as f64
}

fn cron_at(s: &Scaler, t: &str) -> Reading {
    s.evaluate(&Observation::NoData, at(t), &mut ScalerMemory::default())
        .unwrap()
}

#[test]
fn cron_rules() {
    assert!(
        err(
            "cron",
            &[
                ("start", "0 6 * * *"),
                ("end", "0 6 * * *"),
                ("timezone", "UTC"),
                ("desiredReplicas", "3")
            ]
        )
        .contains("same time")
    );
    assert!(
        err(
            "cron",
            &[
                ("start", "0 6 * * *"),
                ("end", "0 7 * * *"),
                ("timezone", "UTC"),
                ("desiredReplicas", "0")
            ]
        )
        .contains("desiredReplicas")
    );
    assert!(
        err(
            "cron",
            &[
                ("start", "0 6 * * *"),
                ("end", "0 7 * * *"),
                ("desiredReplicas", "3")
            ]
        )
        .contains("timezone")
    );
    assert!(
        err(
            "cron",
            &[
                ("start", "0 0 6 * * *"),
                ("end", "0 7 * * *"),
                ("timezone", "UTC"),
                ("desiredReplicas", "3")
            ]
        )
        .contains("start schedule")
    );
    let s = cron("*/5 * * * *", "1,6 * * * ?", "UTC");
    assert_eq!(s.metric.name, "s0-cron-UTC-xSl5xxxx-1Cm6xxxQm");
    assert_eq!(s.metric.target_milli, Some(1000));
}

#[test]
fn cron_window_boundaries_and_midnight() {
    let s = cron("0 22 * * *", "0 6 * * *", "Europe/Prague");
    // 22:00 CEST is 20:00Z: inside from that second, outside at 06:00 local.
    assert!(!cron_at(&s, "2024-07-01T19:59:59Z").active);
    assert!(cron_at(&s, "2024-07-01T20:00:00Z").active);
    assert!(cron_at(&s, "2024-07-02T01:00:00Z").active);
    assert!(cron_at(&s, "2024-07-02T03:59:59Z").active);
    let r = cron_at(&s, "2024-07-02T04:00:00Z");
    assert!(!r.active);
    assert_eq!(r.value, 0.0);
    assert_eq!(cron_at(&s, "2024-07-02T00:00:00Z").value, 7.0);
}

#[test]
fn cron_windows_across_dst() {
    // A 01:00–03:00 window in New York on the spring-forward night (02:00 → 03:00).
    let s = cron("0 1 * * *", "0 3 * * *", "America/New_York");
    assert!(cron_at(&s, "2024-03-10T06:30:00Z").active, "01:30 EST");
    assert!(
        !cron_at(&s, "2024-03-10T07:00:00Z").active,
        "03:00 EDT ends the window"
    );
    // A window whose start falls in the gap (02:30): robfig skips that day's start, so from the
    // previous day's end the *next end* (10th 04:00) comes before the *next start* (11th 02:30):
    // KEDA reports the window active for the whole day before the DST change.
    let gap = cron("30 2 * * *", "0 4 * * *", "America/New_York");
    assert!(
        !cron_at(&gap, "2024-03-08T12:00:00Z").active,
        "an ordinary day, outside the window"
    );
    assert!(
        cron_at(&gap, "2024-03-09T12:00:00Z").active,
        "07:00 EST on the 9th: active (skipped start)"
    );
    assert!(
        cron_at(&gap, "2024-03-10T07:45:00Z").active,
        "03:45 EDT on the 10th"
    );
    assert!(
        !cron_at(&gap, "2024-03-10T08:00:00Z").active,
        "04:00 EDT ends it"
    );
    assert!(
        cron_at(&gap, "2024-03-11T07:00:00Z").active,
        "next day 03:00 EDT is inside the normal window"
    );
    // Fall back (02:00 EDT → 01:00 EST): an end at 01:30 fires twice, a start at 01:00 too.
    let fb = cron("0 1 * * *", "30 1 * * *", "America/New_York");
    assert!(cron_at(&fb, "2024-11-03T05:15:00Z").active, "01:15 EDT");
    assert!(
        !cron_at(&fb, "2024-11-03T05:45:00Z").active,
        "01:45 EDT, after the first 01:30"
    );
    assert!(
        cron_at(&fb, "2024-11-03T06:15:00Z").active,
        "01:15 EST: the repeated 01:00 started it again"
    );
    assert!(!cron_at(&fb, "2024-11-03T06:45:00Z").active);
}

#[test]
fn cron_bad_timezone_fails_each_fetch() {
    let s = cron("0 6 * * *", "0 7 * * *", "Mars/Olympus");
    assert!(
        s.evaluate(&Observation::NoData, 0.0, &mut ScalerMemory::default())
            .is_err()
    );
}

// --- SQS ---

#[test]
fn sqs_rules() {
    let base = [
        ("queueURL", "https://sqs.us-east-1.amazonaws.com/123/orders"),
        ("awsRegion", "us-east-1"),
        ("identityOwner", "operator"),
    ];
    let s = ok("aws-sqs-queue", &base);
    assert_eq!(s.metric.name, "s0-aws-sqs-orders");
    assert_eq!(s.metric.target_milli, Some(5000));
    let all = Observation::Sqs(SqsAttributes {
        visible: Some(3),
        not_visible: Some(2),
        delayed: Some(9),
    });
    assert_eq!(
        eval(&s, all.clone()).unwrap().value,
        5.0,
        "in-flight counted, delayed not"
    );
    assert!(
        eval(
            &s,
            Observation::Sqs(SqsAttributes {
                visible: Some(3),
                not_visible: None,
                delayed: None
            })
        )
        .is_err()
    );
    let act = ok(
        "aws-sqs-queue",
        &[base[0], base[1], base[2], ("activationQueueLength", "5")],
    );
    assert!(!eval(&act, all.clone()).unwrap().active, "5 is not > 5");
    assert!(
        err(
            "aws-sqs-queue",
            &[
                ("queueURL", "https://sqs/x/y/z"),
                ("awsRegion", "r"),
                ("identityOwner", "operator")
            ]
        )
        .contains("queueName")
    );
    assert!(
        err("aws-sqs-queue", &[("queueURL", "q"), ("awsRegion", "r")]).contains("awsAccessKeyID")
    );
    assert!(
        err(
            "aws-sqs-queue",
            &[("queueURL", "q"), ("identityOwner", "operator")]
        )
        .contains("awsRegion")
    );
    assert!(
        err(
            "aws-sqs-queue",
            &[
                ("queueURL", "q"),
                ("awsRegion", "r"),
                ("identityOwner", "operator"),
                ("queueLength", "2.5")
            ]
        )
        .contains("queueLength")
    );
    // Region from an unknown TriggerAuthentication: unchecked, not an error.
    let b = build_with(
        "aws-sqs-queue",
        2,
        &[("queueURL", "q")],
        None,
        AuthKnowledge::Unknown { name: "ta".into() },
    );
    assert!(b.scaler.is_some(), "{:?}", b.errors);
    assert!(!b.unchecked.is_empty());
    assert_eq!(b.scaler.unwrap().metric.name, "s2-aws-sqs-q");
}

// --- Prometheus ---

fn prom(extra: &[(&str, &str)]) -> Scaler {
    let mut p = vec![
        ("serverAddress", "http://p:9090"),
        ("query", "up"),
        ("threshold", "10"),
    ];
    p.extend_from_slice(extra);
    ok("prometheus", &p)
}

fn http(status: u16, body: &str) -> Observation {
    Observation::Http(HttpResponse {
        status,
        body: body.into(),
    })
}

#[test]
fn prometheus_results() {
    let s = prom(&[]);
    let one = r#"{"data":{"result":[{"metric":{},"value":[1,"12.5"]}]}}"#;
    assert_eq!(
        eval(&s, http(200, one)).unwrap(),
        Reading {
            value: 12.5,
            active: true
        }
    );
    assert_eq!(
        eval(&s, http(200, r#"{"data":{"result":[{"value":[]}]}}"#))
            .unwrap()
            .value,
        0.0
    );
    assert_eq!(
        eval(
            &s,
            http(200, r#"{"data":{"result":[{"value":[1, null]}]}}"#)
        )
        .unwrap()
        .value,
        -1.0,
        "null sample stays -1"
    );
    assert!(eval(&s, http(200, r#"{"data":{"result":[{"value":[1]}]}}"#)).is_err());
    assert!(eval(&s, http(503, one)).is_err());
    assert_eq!(
        eval(&s, http(204, one)).unwrap().value,
        12.5,
        "any 2xx is fine"
    );
    let strict = prom(&[("ignoreNullValues", "false")]);
    assert!(eval(&strict, Observation::NoData).is_err());
    assert!(eval(&strict, value(f64::NAN)).is_err());
    assert!(
        eval(
            &s,
            Observation::Series {
                values: vec![1.0, 2.0]
            }
        )
        .is_err()
    );
    // Negative values: inactive, and reported as 0 after quantisation.
    let neg = eval(&prom(&[("activationThreshold", "-10")]), value(-5.0)).unwrap();
    assert!(neg.active);
    assert_eq!(crate::keda::metric::quantize(neg.value), 0);
    assert!(
        err(
            "prometheus",
            &[("serverAddress", "x"), ("query", "q"), ("threshold", "ten")]
        )
        .contains("threshold")
    );
    assert!(err("prometheus", &[("serverAddress", "x"), ("threshold", "1")]).contains("query"));
    let b = build_with(
        "prometheus",
        0,
        &[("serverAddress", "x"), ("query", "q"), ("threshold", "1")],
        Some("Utilization"),
        AuthKnowledge::None,
    );
    assert!(b.scaler.is_none());
}

// --- Kafka ---

fn kafka(extra: &[(&str, &str)]) -> Scaler {
    let mut p = vec![
        ("bootstrapServers", "k:9092"),
        ("consumerGroup", "g"),
        ("topic", "t"),
    ];
    p.extend_from_slice(extra);
    ok("kafka", &p)
}

fn parts(offsets: &[(i64, Option<i64>)]) -> Observation {
    Observation::Kafka {
        partitions: offsets
            .iter()
            .enumerate()
            .map(|(i, (l, c))| KafkaPartition {
                topic: "t".into(),
                partition: i as i32,
                latest: *l,
                committed: *c,
            })
            .collect(),
    }
}

#[test]
fn kafka_lag_and_caps() {
    let s = kafka(&[]);
    assert_eq!(s.metric.name, "s0-kafka-t");
    // 3 partitions, lag 50+0+0, threshold 10: 50/10 = 5 > 3 → capped at 30.
    assert_eq!(
        eval(&s, parts(&[(60, Some(10)), (5, Some(5)), (7, Some(7))]))
            .unwrap()
            .value,
        30.0
    );
    // limitToPartitionsWithLag: only 1 partition has lag → cap 10.
    let l = kafka(&[("limitToPartitionsWithLag", "true")]);
    assert_eq!(
        eval(&l, parts(&[(60, Some(10)), (5, Some(5)), (7, Some(7))]))
            .unwrap()
            .value,
        10.0
    );
    // ... and with no lag anywhere the cap is 0 but 0/10 is not > 0.
    assert_eq!(
        eval(&l, parts(&[(5, Some(5))])).unwrap(),
        Reading {
            value: 0.0,
            active: false
        }
    );
    // ensureEvenDistribution: 4 partitions, lag 25, threshold 10 → factor 4 → 40, capped? 4 > 4 no.
    let e = kafka(&[("ensureEvenDistributionOfPartitions", "true")]);
    assert_eq!(
        eval(
            &e,
            parts(&[(25, Some(0)), (0, Some(0)), (0, Some(0)), (0, Some(0))])
        )
        .unwrap()
        .value,
        40.0
    );
    // allowIdleConsumers removes the cap.
    let a = kafka(&[("allowIdleConsumers", "true")]);
    assert_eq!(
        eval(&a, parts(&[(60, Some(10)), (5, Some(5))]))
            .unwrap()
            .value,
        50.0
    );
}

#[test]
fn kafka_invalid_offsets() {
    let latest = kafka(&[]);
    assert_eq!(
        eval(&latest, parts(&[(100, Some(-1)), (100, Some(-1))]))
            .unwrap()
            .value,
        2.0,
        "lag 1 per partition"
    );
    let zero = kafka(&[("scaleToZeroOnInvalidOffset", "true")]);
    assert_eq!(
        eval(&zero, parts(&[(100, Some(-1))])).unwrap(),
        Reading {
            value: 0.0,
            active: false
        }
    );
    let earliest = kafka(&[
        ("offsetResetPolicy", "earliest"),
        ("allowIdleConsumers", "true"),
    ]);
    assert_eq!(
        eval(&earliest, parts(&[(100, Some(-1))])).unwrap().value,
        100.0
    );
    let earliest_zero = kafka(&[
        ("offsetResetPolicy", "earliest"),
        ("scaleToZeroOnInvalidOffset", "true"),
    ]);
    assert_eq!(
        eval(&earliest_zero, parts(&[(100, Some(-1))]))
            .unwrap()
            .value,
        0.0
    );
    assert!(
        eval(&latest, parts(&[(100, None)])).is_err(),
        "missing offset block"
    );
    // apache-kafka reads a missing committed offset as 0.
    let ak = ok(
        "apache-kafka",
        &[
            ("bootstrapServers", "k"),
            ("consumerGroup", "g"),
            ("topic", "t"),
            ("allowIdleConsumers", "true"),
        ],
    );
    assert_eq!(eval(&ak, parts(&[(100, None)])).unwrap().value, 100.0);
}

#[test]
fn kafka_persistent_lag_and_partition_limitation() {
    let s = kafka(&[
        ("excludePersistentLag", "true"),
        ("allowIdleConsumers", "true"),
    ]);
    let mut mem = ScalerMemory::default();
    let obs = parts(&[(100, Some(40)), (50, Some(50))]);
    let first = s.evaluate(&obs, 0.0, &mut mem).unwrap();
    assert_eq!(first.value, 60.0, "first sight: counted");
    let second = s.evaluate(&obs, 0.0, &mut mem).unwrap();
    assert_eq!(
        second,
        Reading {
            value: 0.0,
            active: true
        },
        "stuck offset: excluded from the metric, still active"
    );
    let moved = s
        .evaluate(&parts(&[(100, Some(45)), (50, Some(50))]), 0.0, &mut mem)
        .unwrap();
    assert_eq!(moved.value, 55.0);
    let lim = kafka(&[
        ("partitionLimitation", "1,3-4"),
        ("allowIdleConsumers", "true"),
    ]);
    let five = parts(&[
        (10, Some(0)),
        (20, Some(0)),
        (30, Some(0)),
        (40, Some(0)),
        (50, Some(0)),
    ]);
    assert_eq!(eval(&lim, five).unwrap().value, 20.0 + 40.0 + 50.0);
    assert!(
        eval(&lim, parts(&[(10, Some(0))])).is_err(),
        "no active partition"
    );
}

#[test]
fn kafka_metadata_rules() {
    assert!(
        err(
            "kafka",
            &[
                ("bootstrapServers", "k"),
                ("consumerGroup", "g"),
                ("limitToPartitionsWithLag", "true")
            ]
        )
        .contains("topic must be specified")
    );
    assert!(
        err(
            "kafka",
            &[
                ("bootstrapServers", "k"),
                ("consumerGroup", "g"),
                ("topic", "t"),
                ("lagThreshold", "0")
            ]
        )
        .contains("positive")
    );
    assert!(
        err(
            "kafka",
            &[
                ("bootstrapServers", "k"),
                ("consumerGroup", "g"),
                ("topic", "t"),
                ("allowIdleConsumers", "true"),
                ("limitToPartitionsWithLag", "true")
            ]
        )
        .contains("simultaneously")
    );
    assert!(
        err(
            "kafka",
            &[
                ("bootstrapServers", "k"),
                ("consumerGroup", "g"),
                ("topic", "t"),
                ("offsetResetPolicy", "newest")
            ]
        )
        .contains("must be one of")
    );
    assert!(
        err(
            "kafka",
            &[
                ("bootstrapServers", "k"),
                ("consumerGroup", "g"),
                ("topic", "t"),
                ("sasl", "plaintext")
            ]
        )
        .contains("username")
    );
    let nt = ok(
        "kafka",
        &[("bootstrapServers", "k"), ("consumerGroup", "grp")],
    );
    assert_eq!(nt.metric.name, "s0-kafka-grp-topics");
}

// --- RabbitMQ ---

fn rq(messages: i64, ready: i64, publish: f64, deliver: f64) -> Observation {
    Observation::Rabbit {
        queues: vec![RabbitQueue {
            messages,
            messages_ready: ready,
            publish_rate: publish,
            deliver_get_rate: deliver,
        }],
    }
}

#[test]
fn rabbitmq_modes_and_protocols() {
    let amqp = ok(
        "rabbitmq",
        &[("queueName", "q"), ("host", "amqp://u:p@r:5672/")],
    );
    assert_eq!(
        amqp.metric.target_milli,
        Some(20_000),
        "default QueueLength 20"
    );
    assert_eq!(
        eval(&amqp, rq(10, 4, 1.0, 1.0)).unwrap().value,
        4.0,
        "AMQP counts ready messages only"
    );
    let http = ok(
        "rabbitmq",
        &[
            ("queueName", "my queue"),
            ("host", "https://r:15672/"),
            ("mode", "QueueLength"),
            ("value", "5"),
        ],
    );
    assert_eq!(http.metric.name, "s0-rabbitmq-my+queue");
    assert_eq!(
        eval(&http, rq(10, 4, 1.0, 1.0)).unwrap().value,
        10.0,
        "HTTP counts ready + unacked"
    );
    let excl = ok(
        "rabbitmq",
        &[
            ("queueName", "q"),
            ("host", "http://r/"),
            ("mode", "QueueLength"),
            ("value", "5"),
            ("excludeUnacknowledged", "true"),
        ],
    );
    assert_eq!(eval(&excl, rq(10, 4, 1.0, 1.0)).unwrap().value, 4.0);
    let legacy = ok(
        "rabbitmq",
        &[
            ("queueName", "q"),
            ("host", "amqp://r"),
            ("queueLength", "7"),
        ],
    );
    assert_eq!(legacy.metric.target_milli, Some(7000));
    assert!(
        err(
            "rabbitmq",
            &[
                ("queueName", "q"),
                ("host", "amqp://r"),
                ("queueLength", "7"),
                ("mode", "QueueLength")
            ]
        )
        .contains("deprecated")
    );
    assert!(
        err(
            "rabbitmq",
            &[
                ("queueName", "q"),
                ("host", "amqp://r"),
                ("mode", "MessageRate"),
                ("value", "1")
            ]
        )
        .contains("HTTP")
    );
    assert!(
        err(
            "rabbitmq",
            &[
                ("queueName", "q"),
                ("host", "amqp://r"),
                ("mode", "QueueLength")
            ]
        )
        .contains("value must be specified")
    );
    assert!(
        err("rabbitmq", &[("queueName", "q"), ("host", "ftp://r")])
            .contains("unknown host URL scheme")
    );
    assert!(
        err(
            "rabbitmq",
            &[
                ("queueName", "q"),
                ("host", "amqp://r"),
                ("useRegex", "true")
            ]
        )
        .contains("HTTP")
    );
    let ratio = ok(
        "rabbitmq",
        &[
            ("queueName", "q"),
            ("host", "http://r"),
            ("mode", "PublishedToDeliveredRatio"),
            ("value", "2"),
            ("activationValue", "3"),
        ],
    );
    assert_eq!(
        eval(&ratio, rq(0, 0, 5.0, 0.0)).unwrap(),
        Reading {
            value: 3.0,
            active: true
        }
    );
    assert_eq!(
        eval(&ratio, rq(0, 0, 6.0, 2.0)).unwrap(),
        Reading {
            value: 3.0,
            active: false
        }
    );
    let dg = ok(
        "rabbitmq",
        &[
            ("queueName", "q"),
            ("host", "http://r"),
            ("mode", "DeliverGetRate"),
            ("value", "2"),
        ],
    );
    assert_eq!(
        eval(&dg, rq(9, 9, 0.0, 1.5)).unwrap(),
        Reading {
            value: 1.5,
            active: true
        }
    );
}

#[test]
fn rabbitmq_regex_operations() {
    let avg = ok(
        "rabbitmq",
        &[
            ("queueName", "q.*"),
            ("host", "http://r"),
            ("useRegex", "true"),
            ("operation", "avg"),
            ("mode", "QueueLength"),
            ("value", "5"),
        ],
    );
    let obs = Observation::Rabbit {
        queues: vec![
            RabbitQueue {
                messages: 3,
                messages_ready: 3,
                publish_rate: 0.0,
                deliver_get_rate: 0.0,
            },
            RabbitQueue {
                messages: 4,
                messages_ready: 4,
                publish_rate: 0.0,
                deliver_get_rate: 0.0,
            },
        ],
    };
    assert_eq!(
        eval(&avg, obs.clone()).unwrap().value,
        3.0,
        "(3+4)/2 with integer division"
    );
    let bad = ok(
        "rabbitmq",
        &[
            ("queueName", "q.*"),
            ("host", "http://r"),
            ("useRegex", "true"),
            ("operation", "median"),
            ("mode", "QueueLength"),
            ("value", "5"),
        ],
    );
    assert!(
        eval(&bad, obs).is_err(),
        "operation is only checked when fetching"
    );
    assert_eq!(
        eval(&avg, Observation::Rabbit { queues: vec![] })
            .unwrap()
            .value,
        0.0
    );
}

// --- Redis ---

#[test]
fn redis_key_types() {
    let s = ok("redis", &[("address", "r:6379"), ("listName", "jobs")]);
    assert_eq!(s.metric.name, "s0-redis-jobs");
    assert_eq!(s.metric.target_milli, Some(5000));
    assert_eq!(
        eval(
            &s,
            Observation::Redis {
                key: RedisKey::Missing
            }
        )
        .unwrap(),
        Reading {
            value: 0.0,
            active: false
        }
    );
    assert_eq!(
        eval(
            &s,
            Observation::Redis {
                key: RedisKey::SortedSet(4)
            }
        )
        .unwrap()
        .value,
        4.0
    );
    assert!(
        eval(
            &s,
            Observation::Redis {
                key: RedisKey::Other("stream".into())
            }
        )
        .is_err()
    );
    assert!(err("redis", &[("listName", "jobs")]).contains("no addresses"));
    assert!(
        err(
            "redis",
            &[("host", "a,b"), ("port", "1"), ("listName", "jobs")]
        )
        .contains("hosts or ports")
    );
    assert!(
        ok(
            "redis-cluster",
            &[("addresses", "a:1,b:2"), ("listName", "l")]
        )
        .metric
        .name
        .starts_with("s0-redis-")
    );
    assert!(
        err(
            "redis",
            &[
                ("address", "r:1"),
                ("listName", "l"),
                ("enableTLS", "maybe")
            ]
        )
        .contains("EnableTLS")
    );
}

// --- metrics-api ---

#[test]
fn metrics_api_rules() {
    assert!(
        err(
            "metrics-api",
            &[("url", "http://x"), ("valueLocation", "v")]
        )
        .contains("targetValue")
    );
    let env = EnvKnowledge::Unknown;
    let auth = AuthKnowledge::None;
    let ctx = BuildContext {
        trigger_index: 1,
        trigger_type: "metrics-api",
        metric_type: None,
        as_metric_source: true,
        auth: &auth,
        env: &env,
    };
    assert!(
        build(&ctx, &md(&[("url", "http://x"), ("valueLocation", "v")]))
            .scaler
            .is_some(),
        "no target needed under scalingModifiers"
    );
    let s = ok(
        "metrics-api",
        &[
            ("url", "http://x"),
            ("valueLocation", "a.b"),
            ("targetValue", "3"),
        ],
    );
    assert_eq!(s.metric.name, "s0-metric-api-a-b");
    assert_eq!(
        eval(&s, http(200, r#"{"a":{"b":"1.5k"}}"#)).unwrap().value,
        1500.0
    );
    assert!(eval(&s, http(500, r#"{"a":{"b":1}}"#)).is_err());
    let xml = build_with(
        "metrics-api",
        0,
        &[
            ("url", "http://x"),
            ("valueLocation", "a"),
            ("targetValue", "3"),
            ("format", "xml"),
        ],
        None,
        AuthKnowledge::None,
    );
    assert_eq!(xml.warnings.len(), 1);
    assert!(eval(&xml.scaler.unwrap(), http(200, "<a>1</a>")).is_err());
    let agg = ok(
        "metrics-api",
        &[
            ("url", "http://svc.ns:8080/m"),
            ("valueLocation", "v"),
            ("targetValue", "3"),
            ("aggregateFromKubeServiceEndpoints", "true"),
        ],
    );
    let eps = Observation::HttpEndpoints {
        responses: vec![
            Some(HttpResponse {
                status: 200,
                body: r#"{"v":2}"#.into(),
            }),
            None,
            Some(HttpResponse {
                status: 200,
                body: r#"{"v":4}"#.into(),
            }),
        ],
    };
    assert_eq!(
        eval(&agg, eps).unwrap().value,
        3.0,
        "average over successful endpoints"
    );
    assert!(
        eval(
            &agg,
            Observation::HttpEndpoints {
                responses: vec![None, None]
            }
        )
        .is_err()
    );
}

// --- CloudWatch ---

#[test]
fn cloudwatch_rules() {
    let base = [
        ("expression", "SELECT AVG(x) FROM y"),
        ("targetMetricValue", "2"),
        ("minMetricValue", "0.5"),
        ("awsRegion", "r"),
        ("identityOwner", "operator"),
    ];
    let s = ok("aws-cloudwatch", &base);
    assert_eq!(s.metric.name, "s0-aws-cloudwatch");
    assert_eq!(
        eval(
            &s,
            Observation::Series {
                values: vec![7.0, 3.0]
            }
        )
        .unwrap()
        .value,
        7.0,
        "newest first"
    );
    assert_eq!(
        eval(&s, Observation::NoData).unwrap().value,
        0.5,
        "no result at all → minMetricValue"
    );
    assert!(
        err(
            "aws-cloudwatch",
            &base[..4]
                .iter()
                .copied()
                .chain([("identityOwner", "operator"), ("metricStatPeriod", "45")])
                .collect::<Vec<_>>()
        )
        .contains("metricStatPeriod")
    );
    assert!(
        err("aws-cloudwatch", &[base[0], base[1], base[3], base[4]]).contains("minMetricValue")
    );
    assert!(
        err(
            "aws-cloudwatch",
            &[
                ("namespace", "n"),
                ("targetMetricValue", "2"),
                ("minMetricValue", "0"),
                ("awsRegion", "r"),
                ("identityOwner", "operator")
            ]
        )
        .contains("metric name")
    );
    assert!(
        err(
            "aws-cloudwatch",
            &[
                base[0],
                base[1],
                base[2],
                base[3],
                base[4],
                ("metricStatPeriod", "60"),
                ("metricCollectionTime", "90")
            ]
        )
        .contains("multiple")
    );
    // Window alignment counts from Go's zero time: 420 s periods do not align with Unix time.
    let (_, end) = query_window(1_000_000.0, 420, 0, 420);
    assert_eq!((end as i64 + 62_135_596_800) % 420, 0);
}

// --- Azure ---

#[test]
fn azure_rules() {
    let sb = ok(
        "azure-servicebus",
        &[("queueName", "orders"), ("connectionFromEnv", "SB")],
    );
    assert_eq!(sb.metric.name, "s0-azure-servicebus-orders");
    assert_eq!(
        eval(&sb, Observation::Counts { counts: vec![12] })
            .unwrap()
            .value,
        12.0
    );
    assert!(err("azure-servicebus", &[("queueName", "orders")]).contains("no connection"));
    assert!(
        err(
            "azure-servicebus",
            &[("topicName", "t"), ("connectionFromEnv", "SB")]
        )
        .contains("subscription")
    );
    assert!(
        err(
            "azure-servicebus",
            &[
                ("queueName", "q"),
                ("topicName", "t"),
                ("subscriptionName", "s"),
                ("connectionFromEnv", "SB")
            ]
        )
        .contains("subscription name provided with queue name")
    );
    let rx = ok(
        "azure-servicebus",
        &[
            ("queueName", "q-.*"),
            ("useRegex", "true"),
            ("operation", "avg"),
            ("connectionFromEnv", "SB"),
        ],
    );
    assert_eq!(rx.metric.name, "s0-azure-servicebus-queue-regex");
    assert_eq!(
        eval(&rx, Observation::Counts { counts: vec![3, 4] })
            .unwrap()
            .value,
        3.0
    );
    assert!(
        err(
            "azure-servicebus",
            &[
                ("queueName", "q-(("),
                ("useRegex", "true"),
                ("connectionFromEnv", "SB")
            ]
        )
        .contains("regular expression")
    );
    let aq = ok(
        "azure-queue",
        &[
            ("queueName", "work"),
            ("connectionFromEnv", "AQ"),
            ("queueLengthStrategy", "visibleonly"),
        ],
    );
    assert_eq!(
        eval(
            &aq,
            Observation::AzureQueue {
                approximate: 50,
                peeked_visible: 10
            }
        )
        .unwrap()
        .value,
        10.0
    );
    assert_eq!(
        eval(
            &aq,
            Observation::AzureQueue {
                approximate: 50,
                peeked_visible: 32
            }
        )
        .unwrap()
        .value,
        50.0
    );
    let all = ok(
        "azure-queue",
        &[("queueName", "work"), ("connectionFromEnv", "AQ")],
    );
    assert_eq!(
        eval(
            &all,
            Observation::AzureQueue {
                approximate: 50,
                peeked_visible: 10
            }
        )
        .unwrap()
        .value,
        50.0
    );
}

// --- GCP ---

#[test]
fn gcp_rules() {
    let ps = ok(
        "gcp-pubsub",
        &[("subscriptionName", "sub"), ("credentialsFromEnv", "GC")],
    );
    assert_eq!(ps.metric.name, "s0-gcp-ps-sub");
    assert_eq!(ps.metric.target_milli, Some(10_000));
    assert!(eval(&ps, Observation::NoData).is_err());
    assert!(
        err(
            "gcp-pubsub",
            &[
                ("subscriptionName", "sub"),
                ("topicName", "t"),
                ("credentialsFromEnv", "GC")
            ]
        )
        .contains("exactly one")
    );
    assert!(
        err(
            "gcp-pubsub",
            &[
                ("subscriptionSize", "5"),
                ("subscriptionName", "s"),
                ("credentialsFromEnv", "GC")
            ]
        )
        .contains("removed in v2.20")
    );
    assert!(err("gcp-pubsub", &[("subscriptionName", "sub")]).contains("credentials"));
    let sd = ok(
        "gcp-stackdriver",
        &[
            ("projectId", "p"),
            ("filter", "metric.type=\"x\""),
            ("valueIfNull", "0"),
            ("credentialsFromEnv", "GC"),
        ],
    );
    assert_eq!(
        eval(&sd, Observation::NoData).unwrap(),
        Reading {
            value: 0.0,
            active: false
        }
    );
    assert_eq!(
        eval(&sd, Observation::Series { values: vec![] })
            .unwrap()
            .value,
        -1.0
    );
    assert!(
        err(
            "gcp-stackdriver",
            &[
                ("projectId", "p"),
                ("filter", "f"),
                ("alignmentPeriodSeconds", "30"),
                ("credentialsFromEnv", "GC")
            ]
        )
        .contains("at least 60")
    );
    assert!(
        err(
            "gcp-stackdriver",
            &[
                ("projectId", "p"),
                ("filter", "f"),
                ("alignmentPeriodSeconds", "60"),
                ("alignmentAligner", "bogus"),
                ("credentialsFromEnv", "GC")
            ]
        )
        .contains("aligner")
    );
}

// --- Datadog / New Relic ---

#[test]
fn datadog_and_new_relic() {
    let auth = || AuthKnowledge::Known {
        name: "dd".into(),
        params: ["apiKey".to_string(), "appKey".to_string()].into(),
        pod_identity: None,
    };
    let b = build_with(
        "datadog",
        0,
        &[
            ("query", "sum:queue.depth{svc:a}"),
            ("queryValue", "5"),
            ("metricUnavailableValue", "0"),
        ],
        None,
        auth(),
    );
    let dd = b.scaler.unwrap_or_else(|| panic!("{:?}", b.errors));
    assert_eq!(dd.metric.name, "s0-datadog-sum-queue-depth");
    let series = Observation::Datadog {
        status: 200,
        series: vec![vec![Some(3.0), Some(4.0), None]],
    };
    assert_eq!(eval(&dd, series).unwrap().value, 4.0, "last non-null point");
    assert_eq!(
        eval(
            &dd,
            Observation::Datadog {
                status: 200,
                series: vec![]
            }
        )
        .unwrap()
        .value,
        0.0,
        "filler"
    );
    assert!(
        eval(
            &dd,
            Observation::Datadog {
                status: 200,
                series: vec![vec![Some(1.0)], vec![Some(2.0)]]
            }
        )
        .is_err()
    );
    assert!(
        build_with(
            "datadog",
            0,
            &[("query", "q{a}"), ("queryValue", "5")],
            None,
            AuthKnowledge::None
        )
        .scaler
        .is_none()
    );
    assert!(
        build_with(
            "datadog",
            0,
            &[("query", "noscope"), ("queryValue", "5")],
            None,
            auth()
        )
        .scaler
        .is_none()
    );
    let nr = ok(
        "new-relic",
        &[
            ("account", "1"),
            ("queryKey", "k"),
            ("nrql", "SELECT 1"),
            ("threshold", "10"),
        ],
    );
    assert_eq!(nr.metric.name, "s0-new-relic");
    assert_eq!(
        eval(
            &nr,
            Observation::NewRelic {
                rows: vec![vec![serde_json::json!("x"), serde_json::json!(7.5)]]
            }
        )
        .unwrap()
        .value,
        7.5
    );
    assert_eq!(
        eval(&nr, Observation::NewRelic { rows: vec![] })
            .unwrap()
            .value,
        0.0
    );
    let strict = ok(
        "new-relic",
        &[
            ("account", "1"),
            ("queryKey", "k"),
            ("nrql", "SELECT 1"),
            ("threshold", "10"),
            ("noDataError", "true"),
        ],
    );
    assert!(eval(&strict, Observation::NewRelic { rows: vec![] }).is_err());
    assert!(
        err(
            "new-relic",
            &[("queryKey", "k"), ("nrql", "q"), ("threshold", "1")]
        )
        .contains("account")
    );
}

// --- Unmodelled ---

#[test]
fn unmodelled_triggers_bind_a_value() {
    let b = build_with(
        "kedify-otel",
        3,
        &[("metricQuery", "x")],
        None,
        AuthKnowledge::None,
    );
    let s = b.scaler.unwrap();
    assert_eq!(s.metric.name, "s3-kedify-otel");
    assert_eq!(s.metric.target_milli, None);
    assert_eq!(
        eval(&s, value(2.0)).unwrap(),
        Reading {
            value: 2.0,
            active: true
        }
    );
    assert!(eval(&s, Observation::NoData).is_err());
    assert_eq!(catalog::status_of("kedify-otel"), CatalogStatus::Unknown);
}

#[test]
fn unmodelled_core_scalers_read_their_upstream_target_keys() {
    // postgresql (pkg/scalers/postgresql_scaler.go): targetQueryValue / activationTargetQueryValue.
    let b = build_with(
        "postgresql",
        0,
        &[
            ("query", "SELECT 1"),
            ("targetQueryValue", "2.5"),
            ("activationTargetQueryValue", "4"),
        ],
        None,
        AuthKnowledge::None,
    );
    assert_eq!(
        catalog::status_of("postgresql"),
        CatalogStatus::CoreNotModelled
    );
    let s = b.scaler.unwrap();
    assert_eq!(s.metric.target_milli, Some(2500));
    assert_eq!(s.activation_threshold, Some(4.0));
    // Activation is `value > activation`, strictly.
    assert!(!eval(&s, value(4.0)).unwrap().active);
    assert!(eval(&s, value(4.5)).unwrap().active);
    // activemq: targetQueueSize defaults to 10 upstream.
    let s = build_with("activemq", 1, &[], None, AuthKnowledge::None)
        .scaler
        .unwrap();
    assert_eq!(s.metric.target_milli, Some(10_000));
    // A value KEDA's typed config cannot parse is KEDA's build error.
    assert!(err("mysql", &[("queryValue", "ten")]).contains("queryValue"));
    // No target and no upstream default: a warning saying how to simulate it anyway.
    let b = build_with(
        "postgresql",
        0,
        &[("query", "q")],
        None,
        AuthKnowledge::None,
    );
    assert_eq!(b.scaler.unwrap().metric.target_milli, None);
    assert!(
        b.warnings
            .iter()
            .any(|w| w.message.contains("targetQueryValue"))
    );
}

#[test]
fn vendor_scalers_read_the_common_target_keys() {
    let b = build_with(
        "kedify-otel",
        0,
        &[
            ("metricQuery", "sum(x)"),
            ("targetValue", "25"),
            ("activationTargetValue", "3"),
        ],
        None,
        AuthKnowledge::None,
    );
    let s = b.scaler.unwrap();
    assert_eq!(s.metric.target_milli, Some(25_000));
    assert_eq!(s.activation_threshold, Some(3.0));
    assert!(b.errors.is_empty());
    // Not a number: scalesim cannot know how the add-on parses it; warned and ignored.
    let b = build_with(
        "acme-scaler",
        0,
        &[("threshold", "lots")],
        None,
        AuthKnowledge::None,
    );
    assert!(b.errors.is_empty());
    assert_eq!(b.scaler.unwrap().metric.target_milli, None);
    assert!(
        b.warnings
            .iter()
            .any(|w| w.key.as_deref() == Some("threshold"))
    );
}
