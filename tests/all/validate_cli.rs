//! `scalesim validate`: exit codes (0 accepted, 2 rejected/unbuildable/unreadable), standard
//! input, cross-file rules, the text report, `--json`, `--quiet`, and the real-world KEDA
//! corpus (`../shared/conformance/keda-corpus` or under `SCALESIM_SHARED_DIR`, read in place,
//! never copied).

use crate::helpers::shared::{self, keda_corpus_dir as corpus_dir};
use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A folder of manifests to validate.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new(files: &[(&str, &str)]) -> Dir {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(d.path().join(name), text).unwrap();
        }
        Dir(d)
    }
    /// Run `scalesim validate ARGS` in the folder: (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        run_in(self.0.path(), args, None)
    }
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("scalesim").unwrap();
    cmd.current_dir(dir).arg("validate").args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!stderr.contains("panicked"), "validate panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      containers:
      - name: app
        resources: {requests: {cpu: 250m}}
";

fn scaled_object(spec_extra: &str, triggers: &str) -> String {
    format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: worker}}\nspec:\n  scaleTargetRef: {{name: worker}}\n{spec_extra}  triggers:\n{triggers}"
    )
}

const SQS: &str = "  - type: aws-sqs-queue
    metadata: {queueURL: orders, awsRegion: eu-west-1, identityOwner: operator, queueLength: \"10\"}
";

const HPA: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker-cpu}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
";

#[test]
fn valid_scaled_object_exits_0_and_shows_the_plan() {
    let d = Dir::new(&[(
        "so.yaml",
        &format!("{DEPLOYMENT}---\n{}", scaled_object("", SQS)),
    )]);
    let (code, out, err) = d.run(&["so.yaml"]);
    assert_eq!(code, 0, "{out}\n{err}");
    for needle in [
        "so.yaml:1: Deployment \"worker\": used as the scale target's pod facts",
        "so.yaml:11: ScaledObject \"worker\"",
        "metric s0-aws-sqs-orders (External), target AverageValue 10",
        "generated HPA keda-hpa-worker: min 1",
        "behavior: none → legacy HPA path: scale-up ≤ max(2×current, 4) per sync, 300 s downscale stabilization",
        "KEDA loop: polling 30 s, cooldown 300 s, initialCooldown 0 s",
        "0 errors",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn rejected_scaled_object_exits_2_naming_rule_and_location() {
    let d = Dir::new(&[(
        "so.yaml",
        &scaled_object("  idleReplicaCount: 1\n  minReplicaCount: 1\n", SQS),
    )]);
    let (code, out, err) = d.run(&["so.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("error: so.yaml:6:21: field `spec.idleReplicaCount`: IdleReplicaCount=1 must be less than MinReplicaCount=1 [webhook.idle-replica-count]"),
        "{out}"
    );
    assert!(err.contains("error: 1 error"), "{err}");
}

#[test]
fn scaler_that_cannot_be_built_exits_2() {
    let prom =
        "  - type: prometheus\n    metadata: {serverAddress: \"http://p:9090\", query: up}\n";
    let d = Dir::new(&[("so.yaml", &scaled_object("", prom))]);
    let (code, out, _) = d.run(&["so.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("missing required parameter \"threshold\""),
        "{out}"
    );
    assert!(out.contains("[scaler.build]"), "{out}");
}

#[test]
fn trigger_type_outside_core_keda_is_a_warning_exit_0() {
    let otel =
        "  - type: kedify-otel\n    metadata: {metricQuery: \"sum(x)\", targetValue: \"5\"}\n";
    let d = Dir::new(&[("so.yaml", &scaled_object("", otel))]);
    let (code, out, err) = d.run(&["so.yaml"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("warning: so.yaml:7:11: field `spec.triggers[0].type`: `kedify-otel` is not a core KEDA scaler"),
        "{out}"
    );
    assert!(out.contains("[warn.trigger-not-core]"), "{out}");
}

#[test]
fn a_trigger_without_a_target_says_how_run_gets_one() {
    let so = scaled_object(
        "",
        "  - type: kedify-otel\n    name: otel\n    metadata: {metricQuery: \"sum(x)\"}\n",
    );
    let d = Dir::new(&[("so.yaml", &so)]);
    let (code, out, err) = d.run(&["so.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("none in the metadata: `run` takes it from the binding, e.g. `metrics: {otel: {signal: backlog, target: 10}}`"),
        "{out}"
    );
    assert!(!out.contains("value not read"), "{out}");
}

#[test]
fn standard_input_is_read_once() {
    let text = format!("{DEPLOYMENT}---\n{}", scaled_object("", SQS));
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_in(dir.path(), &["-"], Some(&text));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("-:11: ScaledObject \"worker\""), "{out}");

    let bad = scaled_object("  idleReplicaCount: 1\n  minReplicaCount: 1\n", SQS);
    let (code, out, _) = run_in(dir.path(), &["-"], Some(&bad));
    assert_eq!(code, 2);
    assert!(out.contains("error: -:6:21:"), "{out}");

    let (code, _, err) = run_in(dir.path(), &["-", "-"], Some(&text));
    assert_eq!(code, 2);
    assert!(
        err.contains("standard input can be read only once"),
        "{err}"
    );
}

#[test]
fn hand_made_hpa_beside_a_scaled_object_is_rejected_across_files() {
    let d = Dir::new(&[
        (
            "so.yaml",
            &format!("{DEPLOYMENT}---\n{}", scaled_object("", SQS)),
        ),
        ("hpa.yaml", HPA),
    ]);
    let (code, out, err) = d.run(&["so.yaml", "hpa.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("error: so.yaml:15:26: field `spec.scaleTargetRef.name`: the workload 'worker' of type 'apps/v1.Deployment' is already managed by the hpa 'worker-cpu' [webhook.existing-hpa]"),
        "{out}"
    );
    assert!(out.contains("older KEDA"), "{out}");
    assert!(out.contains("allow_conflicts: true"), "{out}");
    // The HPA itself is valid and shown, with a pointer to the conflict.
    assert!(
        out.contains("hpa.yaml:1: HorizontalPodAutoscaler \"worker-cpu\""),
        "{out}"
    );
    assert!(
        out.contains("ScaledObject \"worker\" targets the same Deployment \"worker\""),
        "{out}"
    );
    assert!(err.contains("error: 1 error"), "{err}");
    // --quiet keeps the error and its hint.
    let (code, quiet, _) = d.run(&["--quiet", "so.yaml", "hpa.yaml"]);
    assert_eq!(code, 2);
    assert!(quiet.starts_with("error: so.yaml:15:26:"), "{quiet}");
    assert!(quiet.contains("hint: "), "{quiet}");
    assert!(
        !quiet.contains("unchecked") && !quiet.contains("triggers:"),
        "{quiet}"
    );
    // Each file alone is accepted (the HPA rule is then unchecked).
    assert_eq!(d.run(&["so.yaml"]).0, 0);
    assert_eq!(d.run(&["hpa.yaml"]).0, 0);
}

#[test]
fn hpa_is_described_and_api_server_rejections_exit_2() {
    let with_behavior = format!(
        "{HPA}  behavior:\n    scaleDown: {{stabilizationWindowSeconds: 60}}\n  unknownKey: 1\n"
    );
    let d = Dir::new(&[
        ("hpa.yaml", &with_behavior),
        ("legacy.yaml", HPA),
        ("bad.yaml", &HPA.replace("minReplicas: 2", "minReplicas: 0")),
    ]);
    let (code, out, _) = d.run(&["hpa.yaml", "legacy.yaml"]);
    assert_eq!(code, 0, "{out}");
    for needle in [
        "replicas: min 2, max 10",
        "metric Resource cpu: Utilization, averageUtilization 60 %",
        "behavior: as given, API defaults filled",
        "scaleUp:   stabilization 0 s, select Max, policies Pods 4 per 15s, Percent 100 per 15s",
        "scaleDown: stabilization 60 s, select Max, policies Percent 100 per 15s",
        "not modelled: hpa.yaml:13:15: field `spec.unknownKey`",
        "legacy.yaml:1: HorizontalPodAutoscaler \"worker-cpu\"",
        "behavior: none → legacy HPA path",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    let (code, out, _) = d.run(&["bad.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("error: bad.yaml:6:16: field `spec.minReplicas`: the API server rejects this HorizontalPodAutoscaler"),
        "{out}"
    );
}

#[test]
fn unreadable_files_and_yaml_errors_exit_2() {
    let d = Dir::new(&[
        ("broken.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: [1\n"),
        ("ok.yaml", HPA),
    ]);
    let (code, out, _) = d.run(&["missing.yaml", "ok.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("error: missing.yaml: file not found [input.read]"),
        "{out}"
    );
    assert!(
        out.contains("ok.yaml:1: HorizontalPodAutoscaler"),
        "the other files are still validated:\n{out}"
    );
    let (code, out, _) = d.run(&["broken.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("error: broken.yaml:3:"), "{out}");
    assert!(out.contains("[input.yaml]"), "{out}");
}

#[test]
fn other_documents_get_one_line_and_comment_documents_are_skipped() {
    let text = format!(
        "# rendered by a chart\n---\n{DEPLOYMENT}---\n# only a comment\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: creds}}\n---\napiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {{name: auth}}\nspec:\n  secretTargetRef: [{{parameter: host, name: creds, key: host}}]\n"
    );
    let d = Dir::new(&[("all.yaml", &text)]);
    let (code, out, _) = d.run(&["all.yaml"]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "all.yaml:3: Deployment \"worker\": workload not targeted by any autoscaler in the input (its pod template would give the pod facts)",
            "all.yaml:15: Secret \"creds\": ignored: not modelled",
            "all.yaml:19: TriggerAuthentication \"auth\": used by KEDA's rules: supplies parameters host to the triggers that reference it (credentials are not simulated)",
        ],
        "{out}"
    );
}

#[test]
fn json_report_is_machine_readable() {
    let d = Dir::new(&[
        (
            "so.yaml",
            &format!("{DEPLOYMENT}---\n{}", scaled_object("", SQS)),
        ),
        ("hpa.yaml", HPA),
    ]);
    let (code, out, _) = d.run(&["--json", "so.yaml", "hpa.yaml"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is JSON");
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["files"][0]["file"], "so.yaml");
    let so = &v["files"][0]["documents"][1];
    assert_eq!(so["role"], "scaled_object");
    assert_eq!(so["findings"][0]["rule"], "webhook.existing-hpa");
    assert_eq!(so["findings"][0]["line"], 15);
    assert_eq!(
        so["plan"]["triggers"][0]["metric"]["name"],
        "s0-aws-sqs-orders"
    );
    assert_eq!(so["plan"]["hpa"]["min_replicas"], 1);
    assert_eq!(so["plan"]["legacy_hpa_path"], true);
    let hpa = &v["files"][1]["documents"][0];
    assert_eq!(hpa["role"], "hpa");
    assert_eq!(hpa["hpa"]["spec"]["max_replicas"], 10);
    assert_eq!(hpa["hpa"]["legacy_path"], true);
}

#[test]
fn text_report_snapshot() {
    let so = "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
  annotations: {autoscaling.keda.sh/paused-scale-in: \"true\"}
spec:
  scaleTargetRef: {name: worker}
  maxReplicaCount: 20
  cooldownPeriod: 120
  fallback: {failureThreshold: 3, replicas: 6}
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleUp:
          policies: [{type: Pods, value: 2, periodSeconds: 30}]
  triggers:
  - type: aws-sqs-queue
    name: orders
    metadata: {queueURL: orders, awsRegion: eu-west-1, identityOwner: operator, queueLength: \"10\", activationQueueLength: \"2\"}
  - type: prometheus
    metricType: Value
    metadata: {serverAddress: \"http://prometheus:9090\", query: \"sum(rate(http_requests_total[1m]))\", threshold: \"50\"}
  - type: cpu
    metricType: Utilization
    metadata: {value: \"70\"}
---
apiVersion: v1
kind: Service
metadata: {name: worker}
";
    let d = Dir::new(&[("so.yaml", &format!("{DEPLOYMENT}---\n{so}"))]);
    let (code, out, _) = d.run(&["so.yaml"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out, @r#"
    so.yaml:1: Deployment "worker": used as the scale target's pod facts (containers, requests, env) for ScaledObject "worker"
    so.yaml:11: ScaledObject "worker"
      scale target: Deployment "worker" (apps/v1)
      triggers:
        [0] aws-sqs-queue "orders" — modelled
            metric s0-aws-sqs-orders (External), target AverageValue 10; active when value > 2
            reads queue backlog (visible + in flight) — delay: approximate near-real-time API
        [1] prometheus — modelled
            metric s1-prometheus (External), target Value 50; active when value > 0
            reads a named signal (suggested: request_rate) — delay: Prometheus scrape (scrape interval + rate window)
        [2] cpu — modelled
            metric cpu (Resource), target Utilization 70 %; no activation threshold (cpu/memory triggers do not take part in activation)
            reads pod cpu usage — delay: metrics-server window
      generated HPA keda-hpa-worker: min 1 (= max(1, minReplicaCount)), max 20
        metric External s0-aws-sqs-orders: AverageValue 10
        metric External s1-prometheus: Value 50
        metric Resource cpu: Utilization 70 %
        behavior: as given, API defaults filled
          scaleUp:   stabilization 0 s, select Max, policies Pods 2 per 30s
          scaleDown: stabilization 300 s, select Disabled, policies Percent 100 per 15s
      KEDA loop: polling 30 s, cooldown 120 s, initialCooldown 0 s
      fallback: after more than 3 consecutive failures of a trigger → 6 replicas (behavior static)
      scalingModifiers: none
      pause: scale-in paused (no scale to zero/idle; HPA scaleDown disabled)
      note: KEDA owns 0↔1 (activation, cooldown 120s); the HPA owns 1↔20
      unchecked: so.yaml:17:3: field `spec.scaleTargetRef`: no HorizontalPodAutoscalers were given: whether another HPA already manages this workload (which KEDA rejects) is not checked [unchecked.existing-hpa]

    so.yaml:37: Service "worker": ignored: not modelled

    3 documents in 1 file: 0 errors, 0 warnings, 1 unchecked, 0 not modelled
    "#);
}

// ---------------------------------------------------------------------------------------------
// The real-world corpus

/// A public ScaledJob with `rollout: {strategy: default, propagationPolicy: foreground}`
/// (tests/fixtures/keda/, copied from the real-world corpus with its source and commit): KEDA
/// accepts it, so `validate` exits 0 with no warning about the rollout.
#[test]
fn a_scaled_job_with_rollout_strategy_default_is_accepted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keda");
    let (code, out, _) = run_in(
        &dir,
        &["kedify--examples--samples__stable-diffusion__manifests__scaledjob.yaml"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("rollout"), "{out}");
    assert!(out.contains("ScaledJob \"stable-diff-job\""), "{out}");
}

#[test]
fn corpus_validates_through_the_cli_as_index_says() {
    let dir = corpus_dir();
    let Ok(index) = std::fs::read_to_string(dir.join("INDEX.md")) else {
        shared::missing("validate_cli corpus", &dir.join("INDEX.md"));
        return;
    };
    let invalid: Vec<&str> = index
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains("INVALID"))
        .filter_map(|l| l.split('`').nth(1))
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(
            std::fs::read_dir(dir.join("templated"))
                .into_iter()
                .flatten(),
        )
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut problems = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let templated = relative.starts_with("templated");
        let expected = if templated || invalid.contains(&relative.as_str()) {
            2
        } else {
            0
        };
        let (code, out, _) = run_in(&dir, &[&relative], None);
        if code != expected {
            problems.push(format!(
                "{relative}: exit {code}, expected {expected}\n{out}"
            ));
        }
        if expected == 2 && !out.contains("error: ") {
            problems.push(format!("{relative}: exit 2 without an error line\n{out}"));
        }
    }
    for p in &problems {
        eprintln!("validate_cli: FAIL {p}");
    }
    assert!(
        problems.is_empty(),
        "{} corpus files misvalidated",
        problems.len()
    );
    assert!(
        files.len() >= 50,
        "expected the 50 corpus files, found {}",
        files.len()
    );
    assert!(
        invalid.len() >= 6,
        "INDEX.md marks {} files INVALID",
        invalid.len()
    );
}

#[test]
fn unknown_fields_are_named_by_their_path_including_metadata_typos() {
    let so = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: worker, namepsace: shop}\nspec:\n  scaleTargetRef: {name: worker, kindd: Deployment}\n  triggers:\n  - type: aws-sqs-queue\n    metadta: {}\n    metadata: {queueURL: orders, awsRegion: eu-west-1, identityOwner: operator}\n";
    let d = Dir::new(&[("so.yaml", so)]);
    let (code, out, _) = d.run(&["so.yaml"]);
    assert_eq!(code, 0, "{out}");
    for field in [
        "`spec.triggers[0].metadta`",
        "`spec.scaleTargetRef.kindd`",
        "`metadata.namepsace`",
    ] {
        assert!(out.contains(field), "{field} missing:\n{out}");
    }
    assert!(
        !out.contains(".?."),
        "serde's `?` path segments leak:\n{out}"
    );
}

#[test]
fn a_scaling_modifiers_activation_target_above_its_target_is_a_warning() {
    let spec = "  advanced:\n    scalingModifiers: {formula: 'q * 2', target: '5', activationTarget: '12'}\n";
    let triggers = "  - type: aws-sqs-queue\n    name: q\n    metadata: {queueURL: orders, awsRegion: eu-west-1, identityOwner: operator}\n";
    let d = Dir::new(&[("so.yaml", &scaled_object(spec, triggers))]);
    let (code, out, _) = d.run(&["so.yaml"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("spec.advanced.scalingModifiers.activationTarget")
            && out.contains("activationTarget 12 is above the target 5"),
        "{out}"
    );
    // At or below the target: no such warning.
    let spec = spec.replace("'12'", "'5'");
    let d = Dir::new(&[("so.yaml", &scaled_object(&spec, triggers))]);
    let (_, out, _) = d.run(&["so.yaml"]);
    assert!(!out.contains("is above the target"), "{out}");
}
