//! What a Deployment (or StatefulSet) tells the simulation about its pods: replicas, resource
//! requests and limits summed over containers, the readiness probe, the termination grace
//! period and a `preStop` sleep. Everything else in the object is irrelevant to scaling and
//! ignored.

use crate::error::InputError;
use crate::units::Quantity;
use crate::yaml::Document;
use serde::Deserialize;

/// The pod facts scalesim takes from a workload manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PodTemplateFacts {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) replicas: Option<i32>,
    pub(crate) cpu_request: Option<Quantity>,
    pub(crate) cpu_limit: Option<Quantity>,
    pub(crate) memory_request: Option<Quantity>,
    pub(crate) memory_limit: Option<Quantity>,
    /// Per container: (name, cpu request) — for ContainerResource metrics.
    pub(crate) containers: Vec<ContainerFacts>,
    pub(crate) readiness: Option<ProbeFacts>,
    pub(crate) liveness: Option<ProbeFacts>,
    pub(crate) termination_grace: Option<f64>,
    pub(crate) pre_stop_sleep: Option<f64>,
    /// Pod-level `spec.resources.requests` (a request defaults to the pod-level limit), when the
    /// template sets any: the HPA's Resource metrics divide by it (PodLevelResources gate).
    pub(crate) pod_requests: Option<PodLevelRequests>,
    /// Things in the manifest that change behaviour but are not modelled.
    pub(crate) notes: Vec<String>,
}

/// Pod-level requests of a template (`spec.template.spec.resources`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PodLevelRequests {
    pub(crate) cpu: Option<Quantity>,
    pub(crate) memory: Option<Quantity>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ContainerFacts {
    pub(crate) name: String,
    pub(crate) cpu_request: Option<Quantity>,
    pub(crate) memory_request: Option<Quantity>,
    pub(crate) sidecar: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ProbeFacts {
    pub(crate) initial_delay: Option<f64>,
    pub(crate) period: Option<f64>,
    pub(crate) success_threshold: Option<u32>,
    pub(crate) failure_threshold: Option<u32>,
    pub(crate) timeout: Option<f64>,
}

#[derive(Deserialize)]
struct Workload {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: WorkloadSpec,
    #[serde(default)]
    kind: String,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
struct WorkloadSpec {
    #[serde(default)]
    replicas: Option<i32>,
    #[serde(default)]
    template: Template,
}

#[derive(Deserialize, Default)]
struct Template {
    #[serde(default)]
    spec: PodSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PodSpec {
    #[serde(default)]
    containers: Vec<Container>,
    #[serde(default)]
    init_containers: Vec<Container>,
    #[serde(default)]
    termination_grace_period_seconds: Option<f64>,
    /// Pod-level `resources` (PodLevelResources): the pod's cgroup and, when set, what the HPA
    /// divides by for a Resource metric.
    #[serde(default)]
    resources: Option<Resources>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Container {
    #[serde(default)]
    name: String,
    #[serde(default)]
    resources: Resources,
    #[serde(default)]
    readiness_probe: Option<Probe>,
    #[serde(default)]
    liveness_probe: Option<Probe>,
    #[serde(default)]
    lifecycle: Option<Lifecycle>,
    #[serde(default)]
    restart_policy: Option<String>,
}

#[derive(Deserialize, Default)]
struct Resources {
    #[serde(default)]
    requests: ResourceList,
    #[serde(default)]
    limits: ResourceList,
}

#[derive(Deserialize, Default)]
struct ResourceList {
    #[serde(default)]
    cpu: Option<Quantity>,
    #[serde(default)]
    memory: Option<Quantity>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    initial_delay_seconds: Option<f64>,
    #[serde(default)]
    period_seconds: Option<f64>,
    #[serde(default)]
    success_threshold: Option<u32>,
    #[serde(default)]
    failure_threshold: Option<u32>,
    #[serde(default)]
    timeout_seconds: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Lifecycle {
    #[serde(default)]
    pre_stop: Option<serde_json::Value>,
}

/// Read a Deployment/StatefulSet (or any object with `spec.template.spec.containers`).
pub(crate) fn parse(doc: &Document<'_>) -> Result<PodTemplateFacts, InputError> {
    let w: Workload = doc.parse()?;
    let spec = &w.spec.template.spec;
    if spec.containers.is_empty() {
        return Err(doc.error_at_path(
            "spec.template.spec.containers",
            "a workload needs at least one container",
        ));
    }
    if let Some(r) = w.spec.replicas
        && r < 0
    {
        return Err(doc.error_at_path(
            "spec.replicas",
            format!("replicas must be zero or more, got {r}"),
        ));
    }
    let mut facts = PodTemplateFacts {
        name: w.metadata.name.clone(),
        kind: w.kind.clone(),
        replicas: w.spec.replicas,
        ..Default::default()
    };
    // Pod requests = regular containers + restartable (sidecar) init containers, as the HPA sums them.
    let sidecars = spec
        .init_containers
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    let counted: Vec<(&Container, bool)> = spec
        .containers
        .iter()
        .map(|c| (c, false))
        .chain(sidecars.map(|c| (c, true)))
        .collect();
    let sum = |get: &dyn Fn(&Container) -> Option<Quantity>| -> Option<Quantity> {
        let vals: Vec<Option<Quantity>> = counted.iter().map(|(c, _)| get(c)).collect();
        if vals.iter().all(|v| v.is_none()) {
            None
        } else if vals.iter().any(|v| v.is_none()) {
            // A container without a request: the pod total is unknown to the HPA (it errors).
            None
        } else {
            Some(Quantity::from_milli(
                vals.iter().map(|v| v.map(|q| q.milli).unwrap_or(0)).sum(),
            ))
        }
    };
    facts.cpu_request = sum(&|c| c.resources.requests.cpu.or(c.resources.limits.cpu));
    facts.memory_request = sum(&|c| c.resources.requests.memory.or(c.resources.limits.memory));
    facts.cpu_limit = sum(&|c| c.resources.limits.cpu);
    facts.memory_limit = sum(&|c| c.resources.limits.memory);
    facts.containers = counted
        .iter()
        .map(|(c, sidecar)| ContainerFacts {
            name: c.name.clone(),
            cpu_request: c.resources.requests.cpu.or(c.resources.limits.cpu),
            memory_request: c.resources.requests.memory.or(c.resources.limits.memory),
            sidecar: *sidecar,
        })
        .collect();
    // Pod-level resources replace the containers' aggregate for the pod as a whole (its cgroup,
    // scheduling), with a pod-level request defaulting to the pod-level limit as the API server
    // defaults it.
    if let Some(r) = &spec.resources {
        let cpu = r.requests.cpu.or(r.limits.cpu);
        let memory = r.requests.memory.or(r.limits.memory);
        if cpu.is_some() || memory.is_some() {
            facts.pod_requests = Some(PodLevelRequests { cpu, memory });
        }
        facts.cpu_request = cpu.or(facts.cpu_request);
        facts.memory_request = memory.or(facts.memory_request);
        facts.cpu_limit = r.limits.cpu.or(facts.cpu_limit);
        facts.memory_limit = r.limits.memory.or(facts.memory_limit);
    }
    if facts.pod_requests.is_none()
        && counted.len() > 1
        && counted
            .iter()
            .any(|(c, _)| c.resources.requests.cpu.is_none() && c.resources.limits.cpu.is_none())
    {
        facts.notes.push("a container has no CPU request: a CPU Utilization HPA cannot compute utilization for these pods (upstream fails the metric)".into());
    }
    let main = &spec.containers[0];
    let probe = |p: Option<Probe>| {
        p.map(|p| ProbeFacts {
            initial_delay: p.initial_delay_seconds,
            period: p.period_seconds,
            success_threshold: p.success_threshold,
            failure_threshold: p.failure_threshold,
            timeout: p.timeout_seconds,
        })
    };
    facts.readiness = probe(main.readiness_probe);
    facts.liveness = probe(main.liveness_probe);
    facts.termination_grace = spec.termination_grace_period_seconds;
    if let Some(pre) = main.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()) {
        facts.pre_stop_sleep = pre_stop_seconds(pre);
        if facts.pre_stop_sleep.is_none() {
            facts.notes.push(
                "preStop hook is not a recognisable sleep; its duration is taken as 0 s".into(),
            );
        }
    }
    Ok(facts)
}

/// Seconds of a `preStop` hook that sleeps: `sleep: {seconds: N}` or `exec: {command: [..., "sleep N"]}`.
fn pre_stop_seconds(v: &serde_json::Value) -> Option<f64> {
    if let Some(s) = v.pointer("/sleep/seconds").and_then(|s| s.as_f64()) {
        return Some(s);
    }
    let cmd = v.pointer("/exec/command")?.as_array()?;
    let words: Vec<&str> = cmd
        .iter()
        .filter_map(|w| w.as_str())
        .flat_map(|w| w.split_whitespace())
        .collect();
    let i = words
        .iter()
        .position(|w| *w == "sleep" || w.ends_with("/sleep"))?;
    words.get(i + 1)?.trim_end_matches(['s', ';']).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Source, split_documents};

    #[test]
    fn reads_requests_probes_and_pre_stop() {
        let src = Source::from_string(
            "d.yaml",
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template:
    spec:
      terminationGracePeriodSeconds: 45
      containers:
      - name: app
        resources:
          requests: {cpu: 250m, memory: 256Mi}
          limits: {cpu: "1"}
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 5, initialDelaySeconds: 2}
        lifecycle:
          preStop:
            exec: {command: ["/bin/sh", "-c", "sleep 10"]}
"#,
        );
        let docs = split_documents(&src);
        let f = parse(&docs[0]).unwrap();
        assert_eq!(f.replicas, Some(3));
        assert_eq!(f.cpu_request.unwrap().milli, 250);
        assert_eq!(f.cpu_limit.unwrap().milli, 1000);
        assert_eq!(f.readiness.unwrap().period, Some(5.0));
        assert_eq!(f.termination_grace, Some(45.0));
        assert_eq!(f.pre_stop_sleep, Some(10.0));
    }
}
