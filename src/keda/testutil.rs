//! Test helpers: build reports and models from manifest text.

use super::cluster::ClusterObjects;
use super::model::ScaledObjectModel;
use super::report::{ObjectReport, Severity};
use super::validate::{KedaObject, SourceReport, validate_source};
use crate::yaml::Source;

pub(super) fn report_with(text: &str, cluster: &ClusterObjects) -> SourceReport {
    validate_source(&Source::from_string("test.yaml", text), cluster)
}

pub(super) fn report(text: &str) -> SourceReport {
    report_with(text, &ClusterObjects::default())
}

/// A ScaledObject manifest around a `spec:` body (indented by the caller at 2 spaces).
pub(super) fn so_text(spec: &str, annotations: &str) -> String {
    format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: so\n  annotations: {{{annotations}}}\nspec:\n  scaleTargetRef:\n    name: app\n{spec}"
    )
}

pub(super) fn object(text: &str) -> ObjectReport {
    report(text)
        .objects
        .into_iter()
        .next()
        .expect("one object")
        .report
}

pub(super) fn model(text: &str) -> ScaledObjectModel {
    let r = report(text);
    let o = r.objects.into_iter().next().expect("one object");
    match o.model {
        Some(KedaObject::ScaledObject(m)) => m,
        _ => panic!("not runnable: {:#?}", o.report.findings),
    }
}

pub(super) fn rules(r: &ObjectReport, sev: Severity) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.severity == sev)
        .map(|f| f.rule.clone())
        .collect()
}

/// A Prometheus trigger at 2-space list indentation.
pub(super) fn prom(name: &str, threshold: &str, extra: &str) -> String {
    let n = if name.is_empty() {
        String::new()
    } else {
        format!("    name: {name}\n")
    };
    format!(
        "  - type: prometheus\n{n}{extra}    metadata:\n      serverAddress: http://p:9090\n      query: up\n      threshold: '{threshold}'\n"
    )
}
