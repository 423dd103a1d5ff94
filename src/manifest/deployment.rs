//! What a Deployment (or StatefulSet) tells the simulation about its pods: replicas, resource
//! requests and limits summed over containers, the readiness probe, the termination grace
//! period and a `preStop` sleep. Everything else in the object is irrelevant to scaling and
//! ignored.

use super::statefulset::{self, StatefulSetSpec};
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
    /// `spec.strategy` (a Deployment's; RollingUpdate 25 % / 25 % when absent).
    pub(crate) strategy: Strategy,
    /// A StatefulSet's `podManagementPolicy` and `updateStrategy` (None for other kinds).
    pub(crate) stateful: Option<StatefulSetSpec>,
    /// Things in the manifest that change behaviour but are not modelled.
    pub(crate) notes: Vec<String>,
}

/// A Deployment's `spec.strategy`: how a new pod template replaces the old pods
/// (docs/rollouts.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Strategy {
    /// New pods are added and old ones removed step by step, within `maxSurge` pods over the
    /// desired count and `maxUnavailable` below it.
    RollingUpdate {
        max_surge: IntOrPercent,
        max_unavailable: IntOrPercent,
    },
    /// Every old pod is removed before any new pod is created.
    Recreate,
}

impl Default for Strategy {
    /// The API server's default: RollingUpdate with 25 % / 25 %.
    fn default() -> Strategy {
        Strategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        }
    }
}

/// An `IntOrString` field that is a count or a percentage (`3`, `"25%"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntOrPercent {
    Int(i32),
    Percent(i32),
}

impl IntOrPercent {
    /// The count for `total` pods, a percentage rounded up or down as `round_up` says
    /// (upstream `GetScaledValueFromIntOrPercent`).
    pub(crate) fn scaled(self, total: i32, round_up: bool) -> i32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let v = i64::from(p) * i64::from(total.max(0));
                let v = if round_up { (v + 99) / 100 } else { v / 100 };
                v.min(i64::from(i32::MAX)) as i32
            }
        }
    }
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
    #[serde(default)]
    strategy: Option<StrategySpec>,
    /// A StatefulSet's (`statefulset`).
    #[serde(default, rename = "podManagementPolicy")]
    pod_management_policy: Option<serde_json::Value>,
    #[serde(default, rename = "updateStrategy")]
    update_strategy: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StrategySpec {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    rolling_update: Option<RollingUpdateSpec>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RollingUpdateSpec {
    /// Kubernetes' `IntOrString`: a number or a string.
    #[serde(default)]
    max_surge: Option<serde_json::Value>,
    #[serde(default)]
    max_unavailable: Option<serde_json::Value>,
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
    let strategy = match &w.spec.strategy {
        Some(st) if w.kind == "Deployment" => strategy(st, doc)?,
        _ => Strategy::default(),
    };
    let mut facts = PodTemplateFacts {
        name: w.metadata.name.clone(),
        kind: w.kind.clone(),
        replicas: w.spec.replicas,
        strategy,
        ..Default::default()
    };
    if w.kind == "StatefulSet" {
        facts.stateful = Some(statefulset::parse(
            w.spec.pod_management_policy.as_ref(),
            w.spec.update_strategy.as_ref(),
            doc,
        )?);
    }
    add_resources(&mut facts, spec);
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

/// The pod's requests and limits into `facts`: the regular containers' and the restartable
/// (sidecar) init containers' summed as the HPA sums them, each container's own, and pod-level
/// resources where the pod sets them.
fn add_resources(facts: &mut PodTemplateFacts, spec: &PodSpec) {
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
}

/// `spec.strategy`, checked as the API server's validation checks it (`type` one of
/// `RollingUpdate`, `Recreate`; counts or percentages not negative, `maxUnavailable` at most
/// 100 %, not both 0; no `rollingUpdate` with `Recreate`), defaulted as it defaults it.
fn strategy(st: &StrategySpec, doc: &Document<'_>) -> Result<Strategy, InputError> {
    let ru = st.rolling_update.as_ref();
    match st.kind.as_deref() {
        Some("Recreate") => {
            if ru.is_some() {
                return Err(doc.error_at_path(
                    "spec.strategy.rollingUpdate",
                    "may not be given when `type` is `Recreate`",
                ));
            }
            Ok(Strategy::Recreate)
        }
        None | Some("RollingUpdate") => {
            let field = |name: &str| format!("spec.strategy.rollingUpdate.{name}");
            let surge = ru.and_then(|r| r.max_surge.as_ref());
            let unavailable = ru.and_then(|r| r.max_unavailable.as_ref());
            let max_surge = match surge {
                Some(v) => int_or_percent(v, &field("maxSurge"), doc)?,
                None => IntOrPercent::Percent(25),
            };
            let max_unavailable = match unavailable {
                Some(v) => int_or_percent(v, &field("maxUnavailable"), doc)?,
                None => IntOrPercent::Percent(25),
            };
            if matches!(max_unavailable, IntOrPercent::Percent(p) if p > 100) {
                return Err(
                    doc.error_at_path(&field("maxUnavailable"), "must not be greater than 100%")
                );
            }
            let zero =
                |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
            if zero(max_surge) && zero(max_unavailable) {
                return Err(doc.error_at_path(
                    &field("maxUnavailable"),
                    "may not be 0 when `maxSurge` is 0",
                ));
            }
            Ok(Strategy::RollingUpdate {
                max_surge,
                max_unavailable,
            })
        }
        Some(other) => Err(doc.error_at_path(
            "spec.strategy.type",
            format!(
                "`{other}` is not a Deployment strategy: expected `RollingUpdate` or `Recreate`"
            ),
        )),
    }
}

/// A `maxSurge` / `maxUnavailable`: a count or a percentage (`"25%"`), not negative.
pub(crate) fn int_or_percent(
    v: &serde_json::Value,
    field: &str,
    doc: &Document<'_>,
) -> Result<IntOrPercent, InputError> {
    let bad = || {
        doc.error_at_path(
            field,
            "must be a count or a percentage (e.g. `1` or `\"25%\"`), zero or more",
        )
    };
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n >= 0)
            .map(IntOrPercent::Int)
            .ok_or_else(bad),
        serde_json::Value::String(s) => {
            let digits = s.strip_suffix('%').ok_or_else(bad)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            digits.parse().map(IntOrPercent::Percent).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
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

    fn strategy_of(strategy: &str) -> Result<Strategy, String> {
        let src = Source::from_string(
            "d.yaml",
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n{strategy}  template:\n    spec:\n      containers: [{{name: app}}]\n"
            ),
        );
        let docs = split_documents(&src);
        parse(&docs[0])
            .map(|f| f.strategy)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_strategy_with_the_api_servers_defaults_and_checks() {
        use IntOrPercent::{Int, Percent};
        assert_eq!(strategy_of(""), Ok(Strategy::default()));
        assert_eq!(
            strategy_of("  strategy: {type: Recreate}\n"),
            Ok(Strategy::Recreate)
        );
        assert_eq!(
            strategy_of("  strategy: {rollingUpdate: {maxSurge: 2, maxUnavailable: \"10%\"}}\n"),
            Ok(Strategy::RollingUpdate {
                max_surge: Int(2),
                max_unavailable: Percent(10)
            })
        );
        assert_eq!(
            strategy_of("  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0}}\n"),
            Ok(Strategy::RollingUpdate {
                max_surge: Percent(25),
                max_unavailable: Int(0)
            })
        );
        for (bad, wanted) in [
            ("{type: Canary}", "spec.strategy.type"),
            ("{rollingUpdate: {maxSurge: -1}}", "maxSurge"),
            ("{rollingUpdate: {maxSurge: \"5\"}}", "maxSurge"),
            (
                "{rollingUpdate: {maxUnavailable: 101%}}",
                "greater than 100%",
            ),
            (
                "{rollingUpdate: {maxSurge: 0%, maxUnavailable: 0}}",
                "may not be 0",
            ),
            ("{type: Recreate, rollingUpdate: {}}", "Recreate"),
        ] {
            let e = strategy_of(&format!("  strategy: {bad}\n")).unwrap_err();
            assert!(e.contains(wanted) && e.contains("d.yaml:5"), "{bad}: {e}");
        }
        // Percentages scale as upstream rounds them.
        assert_eq!(Percent(25).scaled(10, true), 3);
        assert_eq!(Percent(25).scaled(10, false), 2);
        assert_eq!(Int(4).scaled(10, true), 4);
    }
}
