//! Real-world KEDA manifests (`../shared/conformance/keda-corpus`, or under
//! `SCALESIM_SHARED_DIR`; not copied into this repo):
//! every file must validate as its `INDEX.md` says.
//!
//! * A file INDEX.md marks INVALID must produce an error, and the error INDEX.md names (the
//!   rule and wording below, keyed by file). Every INVALID entry needs an expectation here.
//! * Any other plain file must produce no error.
//! * Files under `templated/` are unrendered Helm templates, "not valid YAML documents as-is":
//!   they must be rejected cleanly (no panic) with a located `input.helm-template` error that
//!   tells the user to render them first.

use crate::helpers::shared::{self, keda_corpus_dir as corpus_dir};
use scalesim::keda::cluster::ClusterObjects;
use scalesim::keda::{Severity, validate_source};
use scalesim::yaml::Source;
use std::path::PathBuf;

/// What INDEX.md says is wrong with each INVALID file: (file, rule, text the message contains).
const INVALID: &[(&str, &str, &str)] = &[
    (
        "Leonid-St--k8s-autoscaling-based-on-predictions--autoscaler_predictor_model__scaled-object.yaml",
        "webhook.idle-replica-count",
        "IdleReplicaCount=1 must be less than MinReplicaCount=1",
    ),
    (
        "Njitssss--kubernetes-gitops-config--scaledobject.yaml",
        "scaler.build",
        "unknown metric type",
    ),
    (
        "kyma-project--keda-manager--examples__custom-metric-api__k8s__scaler.yaml",
        "webhook.scale-target",
        "apps/v",
    ),
    (
        "naveenkalapala--eks-prometheus-monitoring-stack--k8s__keda-scaledobject.yaml",
        "crd.schema",
        "fallback.behavior",
    ),
    (
        "raulnq--keda-cloudwatch--scaledobject.yaml",
        "scaler.build",
        "minMetricValue",
    ),
    (
        "sanjeevrg89--image-resizer-app-eda--k8s__keda-scaledobject.yaml",
        "scaler.build",
        "awsRegion",
    ),
];

fn invalid_files_in_index(index: &str) -> Vec<String> {
    index
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains("INVALID"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

#[test]
fn corpus_validates_as_index_says() {
    let dir = corpus_dir();
    let Ok(index) = std::fs::read_to_string(dir.join("INDEX.md")) else {
        shared::missing("keda_corpus", &dir.join("INDEX.md"));
        return;
    };
    let marked = invalid_files_in_index(&index);
    let mut problems = Vec::new();
    for m in &marked {
        if !INVALID.iter().any(|(f, ..)| f == m) {
            problems.push(format!(
                "{m}: INDEX.md marks it INVALID but this test has no expectation for it"
            ));
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.extend(
        std::fs::read_dir(dir.join("templated"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path())),
    );
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    let mut checked = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let templated = path.parent().is_some_and(|p| p.ends_with("templated"));
        let source = Source::read(path).expect("readable corpus file");
        let report = validate_source(&source, &ClusterObjects::default());
        let mut errors: Vec<(String, String, Option<usize>)> = report
            .file_findings
            .iter()
            .chain(report.objects.iter().flat_map(|o| o.report.findings.iter()))
            .filter(|f| f.severity == Severity::Error)
            .map(|f| {
                (
                    f.rule.clone(),
                    format!("{} ({})", f.message, f.field.clone().unwrap_or_default()),
                    f.line,
                )
            })
            .collect();
        errors.dedup();
        checked += 1;
        let expectation = if templated {
            Some(("input.helm-template", "helm template"))
        } else if let Some((_, rule, text)) = INVALID.iter().find(|(f, ..)| *f == name) {
            Some((*rule, *text))
        } else {
            None
        };
        match expectation {
            None => {
                if !errors.is_empty() {
                    problems.push(format!("{name}: expected no error, got {errors:?}"));
                }
                if report.objects.is_empty() {
                    problems.push(format!("{name}: no ScaledObject/ScaledJob found"));
                }
            }
            Some((rule, text)) => {
                let hit = errors
                    .iter()
                    .any(|(r, m, line)| r == rule && m.contains(text) && line.is_some());
                if !hit {
                    problems.push(format!("{name}: expected a located `{rule}` error mentioning {text:?}, got {errors:?}"));
                }
            }
        }
    }
    for p in &problems {
        eprintln!("keda_corpus: FAIL {p}");
    }
    eprintln!(
        "keda_corpus: {} files checked, {} problems",
        checked,
        problems.len()
    );
    assert!(problems.is_empty());
    assert!(
        checked >= 50,
        "expected the 50 corpus files, found {checked}"
    );
}
