//! Validation rules: one test per KEDA rule family, each checking the rule fires (with a
//! location) and that the nearby valid configuration passes.

use crate::keda::cluster::{ClusterObjects, ExistingHpa};
use crate::keda::report::Severity::{Error, NotModelled, Unchecked, Warning};
use crate::keda::testutil::*;

fn errors(text: &str) -> Vec<String> {
    rules(&object(text), Error)
}

#[test]
fn idle_replica_count_quirk() {
    let t = |spec: &str| {
        errors(&so_text(
            &format!("{spec}  triggers:\n{}", prom("", "5", "")),
            "",
        ))
    };
    assert!(
        t("  idleReplicaCount: 0\n").contains(&"webhook.idle-replica-count".to_string()),
        "idle 0 with min unset fails"
    );
    assert!(
        t("  idleReplicaCount: 0\n  minReplicaCount: 0\n").is_empty(),
        "idle 0, min 0 passes (HPA min 1)"
    );
    assert!(
        t("  idleReplicaCount: 1\n  minReplicaCount: 1\n")
            .contains(&"webhook.idle-replica-count".to_string())
    );
    assert!(t("  idleReplicaCount: 0\n  minReplicaCount: 2\n").is_empty());
}

#[test]
fn replica_bounds() {
    let t = |spec: &str| {
        errors(&so_text(
            &format!("{spec}  triggers:\n{}", prom("", "5", "")),
            "",
        ))
    };
    assert!(
        t("  minReplicaCount: 5\n  maxReplicaCount: 3\n")
            .contains(&"crd.cel.min-le-max".to_string())
    );
    assert!(
        t("  minReplicaCount: 101\n").contains(&"crd.cel.min-le-max".to_string()),
        "max defaults to 100"
    );
    assert!(t("  maxReplicaCount: 0\n").contains(&"crd.minimum".to_string()));
    assert!(t("  pollingInterval: 0\n").contains(&"crd.minimum".to_string()));
    assert!(t("  cooldownPeriod: -1\n").contains(&"crd.minimum".to_string()));
    assert!(t("  minReplicaCount: 3\n  maxReplicaCount: 3\n").is_empty());
}

#[test]
fn triggers_rules() {
    let dup = so_text(
        &format!("  triggers:\n{}{}", prom("a", "5", ""), prom("a", "6", "")),
        "",
    );
    assert!(errors(&dup).contains(&"webhook.triggers.names-unique".to_string()));
    let cached = so_text(
        "  minReplicaCount: 1\n  triggers:\n  - type: cpu\n    metricType: Utilization\n    useCachedMetrics: true\n    metadata: {value: '50'}\n",
        "",
    );
    assert!(errors(&cached).contains(&"webhook.triggers.use-cached-metrics".to_string()));
    let none = so_text("  triggers: []\n", "");
    assert!(errors(&none).contains(&"crd.min-items".to_string()));
    let no_md = so_text("  triggers:\n  - type: prometheus\n", "");
    assert!(errors(&no_md).contains(&"crd.required".to_string()));
    let r = object(&so_text(
        &format!(
            "  triggers:\n{}",
            prom("", "5", "    metricType: Utilization\n")
        ),
        "",
    ));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "scaler.build")
        .expect("utilization rejected");
    assert_eq!(f.field.as_deref(), Some("spec.triggers[0].metricType"));
    assert!(f.line.is_some());
}

#[test]
fn scaler_errors_point_at_the_key() {
    let t = so_text(
        "  triggers:\n  - type: aws-sqs-queue\n    metadata:\n      queueURL: q\n      awsRegion: eu-west-1\n      identityOwner: operator\n      queueLength: five\n",
        "",
    );
    let r = object(&t);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "scaler.build")
        .unwrap();
    assert_eq!(
        f.field.as_deref(),
        Some("spec.triggers[0].metadata.queueLength")
    );
    assert_eq!(f.line, Some(15));
    assert!(f.to_input_error().to_string().contains("test.yaml:15"));
}

#[test]
fn cpu_memory_rules() {
    let only_cpu = |min: &str| {
        so_text(
            &format!(
                "{min}  triggers:\n  - type: cpu\n    metricType: Utilization\n    metadata: {{value: '60'}}\n"
            ),
            "",
        )
    };
    assert!(errors(&only_cpu("")).contains(&"webhook.cpu-memory.scale-to-zero".to_string()));
    assert!(errors(&only_cpu("  minReplicaCount: 1\n")).is_empty());
    let r = object(&only_cpu("  minReplicaCount: 1\n"));
    assert!(rules(&r, Unchecked).contains(&"unchecked.cpu-memory-requests".to_string()));
    // With the Deployment given: requests checked.
    let dep = |res: &str| {
        format!(
            "{}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: x\n{res}",
            only_cpu("  minReplicaCount: 1\n")
        )
    };
    // Without LimitRanges a LimitRange default could still satisfy KEDA: unchecked.
    let maybe = report(&dep(""));
    assert!(
        rules(&maybe.objects[0].report, Unchecked).contains(&"unchecked.limit-range".to_string())
    );
    let no_limit_ranges = ClusterObjects {
        limit_ranges: Some(vec![]),
        ..Default::default()
    };
    let bad = report_with(&dep(""), &no_limit_ranges);
    assert!(
        rules(&bad.objects[0].report, Error).contains(&"webhook.cpu-memory.requests".to_string())
    );
    let lr = crate::keda::cluster::LimitRangeDefaults {
        namespace: None,
        resources: ["cpu".to_string()].into(),
    };
    let with_default = report_with(
        &dep(""),
        &ClusterObjects {
            limit_ranges: Some(vec![lr]),
            ..Default::default()
        },
    );
    assert!(rules(&with_default.objects[0].report, Error).is_empty());
    let good = report(&dep("        resources: {requests: {cpu: 250m}}\n"));
    assert!(rules(&good.objects[0].report, Error).is_empty());
    // A non-apps target: the webhook does not check; scalesim warns.
    let cr = so_text(
        "  triggers:\n  - type: cpu\n    metricType: Utilization\n    metadata: {value: '60'}\n",
        "",
    )
    .replace(
        "    name: app\n",
        "    name: app\n    apiVersion: argoproj.io/v1alpha1\n    kind: Rollout\n",
    );
    let r = object(&cr);
    assert!(rules(&r, Error).is_empty());
    assert!(rules(&r, Warning).contains(&"warn.cpu-memory-only-min-zero".to_string()));
}

#[test]
fn scale_target_resolution() {
    let t = |api: &str, kind: &str| {
        errors(
            &so_text(&format!("  triggers:\n{}", prom("", "5", "")), "").replace(
                "    name: app\n",
                &format!("    name: app\n    apiVersion: {api}\n    kind: {kind}\n"),
            ),
        )
    };
    assert!(t("apps/v", "Deployment").contains(&"webhook.scale-target".to_string()));
    assert!(t("apps/v1", "Deploy").contains(&"webhook.scale-target".to_string()));
    assert!(
        t("apps/v1", "DaemonSet").contains(&"webhook.scale-target".to_string()),
        "no /scale"
    );
    assert!(t("apps/v1", "StatefulSet").is_empty());
    assert!(t("argoproj.io/v1alpha1", "Rollout").is_empty());
    assert!(t("a/b/c", "X").contains(&"webhook.scale-target".to_string()));
}

#[test]
fn fallback_rules() {
    let cpu_only = so_text(
        "  minReplicaCount: 1\n  fallback: {failureThreshold: 3, replicas: 2}\n  triggers:\n  - type: cpu\n    metricType: Utilization\n    metadata: {value: '50'}\n",
        "",
    );
    assert!(errors(&cpu_only).contains(&"webhook.fallback".to_string()));
    let obj = so_text(
        &format!(
            "  fallback:\n    failureThreshold: 3\n    replicas: 2\n    behavior: {{type: x}}\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    );
    assert!(errors(&obj).contains(&"crd.schema".to_string()));
    let bad_enum = so_text(
        &format!(
            "  fallback: {{failureThreshold: 3, replicas: 2, behavior: sometimes}}\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    );
    assert!(errors(&bad_enum).contains(&"crd.enum".to_string()));
    let sm_without_formula = so_text(
        &format!(
            "  fallback: {{failureThreshold: 3, replicas: 2, behavior: scalingModifiers}}\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    );
    assert!(
        errors(&sm_without_formula).contains(&"webhook.scaling-modifiers-fallback".to_string())
    );
    let missing = so_text(
        &format!(
            "  fallback: {{replicas: 2}}\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    );
    assert!(errors(&missing).contains(&"crd.required".to_string()));
    let zero = object(&so_text(
        &format!(
            "  fallback: {{failureThreshold: 3, replicas: 0}}\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    ));
    assert!(rules(&zero, Warning).contains(&"warn.fallback-zero".to_string()));
}

#[test]
fn scaling_modifier_rules() {
    let sm = |formula: &str, target: &str, extra: &str| {
        so_text(
            &format!(
                "  advanced:\n    scalingModifiers:\n      formula: \"{formula}\"\n      target: '{target}'\n{extra}  triggers:\n{}{}",
                prom("a", "5", ""),
                prom("b", "5", "")
            ),
            "",
        )
    };
    assert!(errors(&sm("a + b", "2", "")).is_empty());
    assert!(
        errors(&sm("a + c", "2", "")).contains(&"webhook.scaling-modifiers".to_string()),
        "unknown trigger"
    );
    assert!(errors(&sm("a +", "2", "")).contains(&"webhook.scaling-modifiers".to_string()));
    assert!(errors(&sm("a + b", "0", "")).contains(&"webhook.scaling-modifiers".to_string()));
    assert!(errors(&sm("a + b", "x", "")).contains(&"webhook.scaling-modifiers".to_string()));
    assert!(
        errors(&sm("a + b", "2", "      metricType: Utilization\n"))
            .contains(&"crd.enum".to_string())
    );
    assert!(
        errors(&sm("a + b", "2", "      metricType: \"\"\n")).contains(&"crd.enum".to_string()),
        "the CRD's enum refuses an empty metricType (omitting the key is the default)"
    );
    let ignores = object(&sm("a * 2", "2", ""));
    assert!(rules(&ignores, Warning).contains(&"warn.formula-ignores-trigger".to_string()));
    let act = object(&sm("a + b", "2", "      activationTarget: lots\n"));
    assert!(rules(&act, Warning).contains(&"warn.activation-target-invalid".to_string()));
    let fb = object(&sm("a + b", "2.5", "").replace(
        "  triggers:",
        "  fallback: {failureThreshold: 3, replicas: 2}\n  triggers:",
    ));
    assert!(rules(&fb, Warning).contains(&"warn.fallback-disabled".to_string()));
    let m = model(&sm("a + b", "2.5", ""));
    let hpa = &m.hpa;
    assert_eq!(hpa.metrics.len(), 1);
    assert_eq!(hpa.metrics[0].name, "composite-metric");
    assert_eq!(hpa.metrics[0].target_milli, Some(2500));
}

#[test]
fn names_and_conflicts() {
    let long = "x".repeat(60);
    let t = so_text(&format!("  triggers:\n{}", prom("", "5", "")), "")
        .replace("name: so", &format!("name: {long}"));
    assert!(
        errors(&t).contains(&"webhook.hpa-name-length".to_string()),
        "keda-hpa-<60 chars> is too long"
    );
    let two = format!(
        "{}---\n{}",
        so_text(&format!("  triggers:\n{}", prom("", "5", "")), ""),
        so_text(&format!("  triggers:\n{}", prom("", "5", "")), "")
            .replace("name: so", "name: so2")
    );
    let r = report(&two);
    assert!(
        rules(&r.objects[1].report, Error).contains(&"webhook.duplicate-scale-target".to_string())
    );
    let hpa = ExistingHpa {
        name: "manual".into(),
        target_api_version: "apps/v1".into(),
        target_kind: "Deployment".into(),
        target_name: "app".into(),
        ..Default::default()
    };
    let cluster = ClusterObjects {
        hpas: Some(vec![hpa]),
        ..Default::default()
    };
    let base = so_text(&format!("  triggers:\n{}", prom("", "5", "")), "");
    let r = report_with(&base, &cluster);
    assert!(rules(&r.objects[0].report, Error).contains(&"webhook.existing-hpa".to_string()));
    let transfer = so_text(
        &format!(
            "  advanced:\n    horizontalPodAutoscalerConfig: {{name: manual}}\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "scaledobject.keda.sh/transfer-hpa-ownership: 'true'",
    );
    let r = report_with(&transfer, &cluster);
    assert!(rules(&r.objects[0].report, Error).is_empty());
    let r = report(&base);
    assert!(rules(&r.objects[0].report, Unchecked).contains(&"unchecked.existing-hpa".to_string()));
}

#[test]
fn warnings_for_accepted_but_wrong() {
    let act = object(&so_text(
        &format!(
            "  triggers:\n{}",
            prom("", "5", "").replace(
                "threshold: '5'",
                "threshold: '5'\n      activationThreshold: '50'"
            )
        ),
        "",
    ));
    assert!(rules(&act, Warning).contains(&"warn.activation-above-target".to_string()));
    let cd = object(&so_text(
        &format!(
            "  pollingInterval: 60\n  cooldownPeriod: 10\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    ));
    assert!(rules(&cd, Warning).contains(&"warn.cooldown-shorter-than-polling".to_string()));
    let irrelevant = object(&so_text(
        &format!(
            "  minReplicaCount: 2\n  pollingInterval: 10\n  cooldownPeriod: 60\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    ));
    let w = rules(&irrelevant, Warning);
    assert!(
        w.contains(&"webhook.warning.polling-interval".to_string())
            && w.contains(&"webhook.warning.cooldown-period".to_string())
    );
    let misplaced = object(&so_text(
        &format!(
            "  triggers:\n{}",
            prom("", "5", "").replace("query: up", "query: up\n      metricType: Value")
        ),
        "",
    ));
    let f = misplaced
        .findings
        .iter()
        .find(|f| f.rule == "warn.metadata-ignored-key")
        .unwrap();
    assert!(f.message.contains("trigger level"));
    let unknown = object(&so_text(
        "  triggers:\n  - type: prometeus\n    metadata: {}\n",
        "",
    ));
    let f = unknown
        .findings
        .iter()
        .find(|f| f.rule == "warn.trigger-not-core")
        .unwrap();
    assert!(f.message.contains("Did you mean `prometheus`"));
    let core = object(&so_text(
        "  triggers:\n  - type: mysql\n    metadata: {query: x}\n",
        "",
    ));
    assert!(rules(&core, NotModelled).contains(&"not-modelled.scaler".to_string()));
    let cron_tz = object(&so_text(
        "  triggers:\n  - type: cron\n    metadata: {timezone: Mars/Base, start: 0 6 * * *, end: 0 7 * * *, desiredReplicas: '3'}\n",
        "",
    ));
    assert!(rules(&cron_tz, Warning).contains(&"warn.cron-timezone".to_string()));
    let unknown_field = object(&so_text(
        &format!("  scaleDownDelay: 30\n  triggers:\n{}", prom("", "5", "")),
        "",
    ));
    assert!(rules(&unknown_field, NotModelled).contains(&"not-modelled.unknown-field".to_string()));
}

#[test]
fn unquoted_metadata_numbers_are_accepted_with_a_warning() {
    let t = so_text(
        "  triggers:\n  - type: redis\n    metadata:\n      address: 'r:1'\n      listName: l\n      listLength: 5\n      enableTLS: false\n      activationListLength: \"2\"\n",
        "",
    );
    let r = object(&t);
    let w: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "k8s.metadata-not-string")
        .map(|f| f.field.clone().unwrap())
        .collect();
    assert_eq!(
        w,
        [
            "spec.triggers[0].metadata.enableTLS",
            "spec.triggers[0].metadata.listLength"
        ]
    );
    assert!(rules(&r, Error).is_empty());
    let m = model(&t);
    assert_eq!(m.triggers[0].scaler.metric.target_milli, Some(5000));
}

#[test]
fn plan_describes_the_simulation() {
    let text = so_text(
        &format!(
            "  minReplicaCount: 0\n  maxReplicaCount: 8\n  triggers:\n{}  - type: cpu\n    metricType: Utilization\n    metadata: {{value: '70'}}\n",
            prom("", "5", "")
        ),
        "autoscaling.keda.sh/paused-scale-in: 'true'",
    );
    let r = object(&text);
    let plan = r.plan.unwrap();
    let hpa = plan.hpa.unwrap();
    assert_eq!((hpa.min_replicas, hpa.max_replicas), (1, 8));
    assert_eq!(
        hpa.metrics
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["s0-prometheus", "cpu"]
    );
    assert_eq!(
        hpa.behavior,
        Some(serde_json::json!({"scaleDown": {"selectPolicy": "Disabled"}}))
    );
    assert!(!plan.legacy_hpa_path);
    assert!(plan.pause.unwrap().scale_in_paused);
    assert_eq!(
        plan.triggers[0].metric.as_ref().unwrap().target_milli,
        Some(5000)
    );
    let legacy = object(&so_text(&format!("  triggers:\n{}", prom("", "5", "")), ""))
        .plan
        .unwrap();
    assert!(legacy.legacy_hpa_path);
}

#[test]
fn scaledjob_rules() {
    let sj = |spec: &str| {
        format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {{name: sj}}\nspec:\n  jobTargetRef:\n    template:\n      spec:\n        containers: [{{name: w, image: w, env: [{{name: Q, value: 'amqp://r'}}]}}]\n{spec}  triggers:\n  - type: rabbitmq\n    metadata: {{queueName: q, hostFromEnv: Q}}\n"
        )
    };
    assert!(
        errors(&sj("")).is_empty(),
        "env resolved from the job template"
    );
    // Any rollout strategy is accepted (KEDA rolls out as `default` unless it is `gradual`);
    // one that is not a documented name is warned about.
    for ok in [
        "  rollout: {strategy: default}\n",
        "  rollout: {strategy: gradual, propagationPolicy: background}\n",
        "  rollout: {strategy: immediate}\n",
        "  rolloutStrategy: default\n",
        "  rolloutStrategy: gradual\n",
    ] {
        let o = object(&sj(ok));
        assert!(rules(&o, Error).is_empty(), "{ok}");
        assert!(rules(&o, Warning).is_empty(), "{ok}");
    }
    for odd in [
        "  rollout: {strategy: rolling}\n",
        "  rolloutStrategy: Gradual\n",
    ] {
        let o = object(&sj(odd));
        assert!(rules(&o, Error).is_empty(), "{odd}");
        assert_eq!(
            rules(&o, Warning),
            vec!["warn.rollout-strategy".to_string()],
            "{odd}"
        );
    }
    let both = object(&sj(
        "  rolloutStrategy: gradual\n  rollout: {strategy: default}\n",
    ));
    assert_eq!(
        rules(&both, Warning),
        vec!["warn.rollout-strategy".to_string()]
    );
    assert!(
        errors(&sj("  rollout: {propagationPolicy: orphan}\n")).contains(&"crd.enum".to_string()),
        "propagationPolicy keeps the CRD's enum"
    );
    assert!(
        errors(&sj("  scalingStrategy: {strategy: greedy}\n")).contains(&"crd.enum".to_string())
    );
    assert!(
        errors(&sj(
            "  scalingStrategy: {multipleScalersCalculation: median}\n"
        ))
        .contains(&"crd.enum".to_string())
    );
    let custom = object(&sj(
        "  scalingStrategy: {strategy: custom, customScalingQueueLengthDeduction: 1}\n",
    ));
    assert!(rules(&custom, Warning).contains(&"warn.scaledjob-custom-strategy".to_string()));
    let no_template = errors(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: sj}\nspec:\n  triggers:\n  - type: redis\n    metadata: {address: 'r:1', listName: l}\n",
    );
    assert!(no_template.contains(&"crd.required".to_string()));
}

#[test]
fn file_level_problems() {
    let r = report(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: {{ .Values.name }}\n",
    );
    assert_eq!(r.file_findings[0].rule, "input.helm-template");
    assert_eq!(r.file_findings[0].line, Some(4));
    let r = report("a: [1, 2\n");
    assert_eq!(r.file_findings[0].rule, "input.yaml");
    let r = report(
        &so_text(&format!("  triggers:\n{}", prom("", "5", "")), "")
            .replace("keda.sh/v1alpha1", "keda.k8s.io/v1alpha1"),
    );
    assert!(rules(&r.objects[0].report, Error).contains(&"k8s.api-version".to_string()));
    assert!(r.objects[0].model.is_none());
}

#[test]
fn trigger_auth_in_the_same_file_is_used() {
    let base = "  triggers:\n  - type: aws-sqs-queue\n    authenticationRef: {name: ta}\n    metadata: {queueURL: q, awsRegion: r}\n";
    let with_ta = format!(
        "{}---\napiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {{name: ta}}\nspec:\n  secretTargetRef:\n  - {{parameter: awsAccessKeyID, name: s, key: k}}\n",
        so_text(base, "")
    );
    let r = report(&with_ta);
    let f = r.objects[0]
        .report
        .findings
        .iter()
        .find(|f| f.rule == "scaler.build")
        .expect("secret key missing");
    assert!(f.message.contains("awsSecretAccessKey"));
    let r = report(&so_text(base, ""));
    assert!(
        rules(&r.objects[0].report, Error).is_empty(),
        "unknown TA: unchecked, not an error"
    );
}

mod no_panics {
    use crate::keda::testutil::*;
    use proptest::prelude::*;

    fn template(field: &str, value: &str) -> String {
        let v = value.replace('\\', "\\\\").replace('"', "\\\"");
        let spec = format!(
            "  pollingInterval: 5\n  advanced:\n    scalingModifiers: {{formula: \"{f}\", target: '2'}}\n  triggers:\n  - type: cron\n    name: a\n    metadata: {{timezone: \"{tz}\", start: \"{st}\", end: \"0 7 * * *\", desiredReplicas: '3'}}\n  - type: kafka\n    name: b\n    metadata: {{bootstrapServers: k, consumerGroup: g, topic: t, lagThreshold: \"{lag}\", partitionLimitation: \"{pl}\"}}\n  - type: metrics-api\n    name: c\n    metadata: {{url: u, valueLocation: \"{vl}\", targetValue: \"{tv}\"}}\n",
            f = if field == "formula" {
                v.as_str()
            } else {
                "a + b + c"
            },
            tz = if field == "tz" { v.as_str() } else { "UTC" },
            st = if field == "start" {
                v.as_str()
            } else {
                "0 6 * * *"
            },
            lag = if field == "lag" { v.as_str() } else { "10" },
            pl = if field == "pl" { v.as_str() } else { "1-3" },
            vl = if field == "vl" { v.as_str() } else { "x" },
            tv = if field == "tv" { v.as_str() } else { "1" },
        );
        so_text(&spec, "")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

        #[test]
        fn any_field_value_is_handled(field in prop::sample::select(vec!["formula", "tz", "start", "lag", "pl", "vl", "tv"]), value in "[ -~]{0,40}") {
            let _ = report(&template(field, &value));
        }

        #[test]
        fn any_text_is_handled(text in "[ -~\n]{0,300}") {
            let _ = report(&format!("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\n{text}"));
        }
    }
}

#[test]
fn rules_apply_across_files_read_together() {
    use crate::keda::validate::validate_sources;
    use crate::yaml::Source;
    let so = |name: &str| {
        format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: {name}}}\nspec:\n  scaleTargetRef: {{name: app}}\n  triggers:\n{}",
            prom("", "5", "")
        )
    };
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: app}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: app}\n  maxReplicas: 5\n";
    let sources = [
        Source::from_string("a.yaml", so("first")),
        Source::from_string("b.yaml", hpa),
    ];
    let reports = validate_sources(&sources, &ClusterObjects::default());
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].file, "a.yaml");
    let a = &reports[0].objects[0].report;
    assert!(
        rules(a, Error).contains(&"webhook.existing-hpa".to_string()),
        "{a:#?}"
    );
    assert!(reports[1].objects.is_empty());

    // One ScaledObject per workload, also when they come from different files.
    let sources = [
        Source::from_string("a.yaml", so("first")),
        Source::from_string("b.yaml", so("second")),
    ];
    let reports = validate_sources(&sources, &ClusterObjects::default());
    assert!(rules(&reports[0].objects[0].report, Error).is_empty());
    assert!(
        rules(&reports[1].objects[0].report, Error)
            .contains(&"webhook.duplicate-scale-target".to_string())
    );
    // The file given alone sees no HPA: the rule is unchecked, not failed.
    let alone = validate_sources(&sources[..1], &ClusterObjects::default());
    assert!(
        rules(&alone[0].objects[0].report, Unchecked)
            .contains(&"unchecked.existing-hpa".to_string())
    );
}

#[test]
fn generated_hpa_behavior_is_checked_as_the_api_server_does() {
    let text = so_text(
        &format!(
            "  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown: {{stabilizationWindowSeconds: 3601, stabilisation: 1}}\n  triggers:\n{}",
            prom("", "5", "")
        ),
        "",
    );
    let r = object(&text);
    let e: Vec<&crate::keda::report::Finding> = r.with(Error).collect();
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].rule, "controller.hpa-behavior");
    assert_eq!(
        e[0].field.as_deref(),
        Some(
            "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds"
        )
    );
    assert!(e[0].line.is_some());
    let ok = object(&text.replace("3601", "600"));
    assert!(rules(&ok, Error).is_empty());
    assert!(rules(&ok, NotModelled).contains(&"not-modelled.unknown-field".to_string()));
}
