//! What calibration takes from the workload's manifests: requests in service per pod
//! (concurrency) and the readiness probe's delay.
//!
//! Concurrency is read from, in this order: a Knative Service's
//! `spec.template.spec.containerConcurrency`, then a container environment variable
//! `WEB_CONCURRENCY` or `CONCURRENCY` (the worker-count convention of gunicorn, uvicorn, puma)
//! of a Deployment, StatefulSet, ReplicaSet or Rollout. The readiness delay (time from a
//! container starting to its first passing readiness probe:
//! `initialDelaySeconds + periodSeconds × (successThreshold − 1)`, as the scenario's pods
//! use it) is subtracted from the measured created → Ready lag to give `pods.startup`.

use crate::error::InputError;
use crate::manifest::kind::ObjectKind;
use crate::manifest::{self, deployment};
use crate::yaml::Document;
use serde_json::Value;
use std::path::Path;

/// Environment variables read as the number of requests a pod serves at once.
pub(crate) const CONCURRENCY_ENV: &[&str] = &["WEB_CONCURRENCY", "CONCURRENCY"];

/// Facts from the first workload found in the manifests.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct WorkloadFacts {
    /// File name of the manifest (not its path).
    pub(crate) file: String,
    /// `Kind/name` of the workload.
    pub(crate) workload: String,
    /// (value, where it came from), when the manifest says.
    pub(crate) concurrency: Option<(u32, String)>,
    /// Seconds from container start to Ready by the readiness probe (0 without one).
    pub(crate) readiness_delay: f64,
}

/// Read the manifests; the first workload (or Knative Service) found gives the facts.
pub(crate) fn read(paths: &[impl AsRef<Path>]) -> Result<Option<WorkloadFacts>, InputError> {
    for path in paths {
        let path = path.as_ref();
        let source = manifest::read_source(path)?;
        let docs = manifest::documents(&source)?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "-".into());
        for (h, d) in &docs {
            let knative = h.kind == "Service" && h.api_version.starts_with("serving.knative.dev");
            let workload = ObjectKind::parse(&h.kind).is_some_and(ObjectKind::is_workload);
            if !(knative || workload) {
                continue;
            }
            let mut facts = WorkloadFacts {
                file: file.clone(),
                workload: format!("{}/{}", h.kind, h.name),
                ..Default::default()
            };
            let t = deployment::parse(d)?;
            if let Some(p) = t.readiness {
                facts.readiness_delay = p.initial_delay.unwrap_or(0.0)
                    + p.period.unwrap_or(10.0)
                        * (p.success_threshold.unwrap_or(1).max(1) - 1) as f64;
            }
            facts.concurrency = concurrency(d, knative)?;
            return Ok(Some(facts));
        }
    }
    Ok(None)
}

/// Concurrency from a workload document (see the module docs).
fn concurrency(d: &Document<'_>, knative: bool) -> Result<Option<(u32, String)>, InputError> {
    let v = d.value()?;
    let spec = &v["spec"]["template"]["spec"];
    if knative && let Some(c) = spec["containerConcurrency"].as_u64().filter(|c| *c > 0) {
        return Ok(Some((
            c.min(u32::MAX as u64) as u32,
            "containerConcurrency".into(),
        )));
    }
    let containers = spec["containers"].as_array().cloned().unwrap_or_default();
    for (ci, c) in containers.iter().enumerate() {
        for (ei, e) in c["env"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let name = e["name"].as_str().unwrap_or("");
            if !CONCURRENCY_ENV.contains(&name) {
                continue;
            }
            let field = format!("spec.template.spec.containers[{ci}].env[{ei}].value");
            let n = match &e["value"] {
                Value::String(s) => s.trim().parse::<u32>().ok(),
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                _ => None,
            };
            return match n {
                Some(n) if n >= 1 => Ok(Some((n, format!("env {name}")))),
                _ => Err(d.error_at_path(
                    &field,
                    format!("{name} is read as the requests a pod serves at once: expected a whole number of at least 1"),
                )),
            };
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str) -> Result<Option<WorkloadFacts>, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.yaml");
        std::fs::write(&p, text).unwrap();
        read(&[p])
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - {name: OTHER, value: x}\n        - {name: WEB_CONCURRENCY, value: \"8\"}\n        readinessProbe: {initialDelaySeconds: 5, periodSeconds: 2, successThreshold: 3}\n";

    #[test]
    fn env_and_probe() {
        let f = facts(DEPLOY).unwrap().unwrap();
        assert_eq!(f.concurrency, Some((8, "env WEB_CONCURRENCY".into())));
        assert_eq!(f.readiness_delay, 9.0);
        assert_eq!(f.workload, "Deployment/api");
        assert_eq!(f.file, "app.yaml");
    }

    #[test]
    fn bad_env_value_names_the_field() {
        let e = facts(&DEPLOY.replace("\"8\"", "lots"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("app.yaml:11") && e.contains("WEB_CONCURRENCY"),
            "{e}"
        );
    }

    #[test]
    fn knative_container_concurrency() {
        let k = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: fn}\nspec:\n  template:\n    spec:\n      containerConcurrency: 10\n      containers: [{name: app}]\n";
        assert_eq!(facts(k).unwrap().unwrap().concurrency.unwrap().0, 10);
        assert_eq!(
            facts("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n").unwrap(),
            None
        );
    }
}
