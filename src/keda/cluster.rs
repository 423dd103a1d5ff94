//! The other Kubernetes objects some KEDA rules need, when the user gives them: the scale
//! target (its containers' resource requests and env), existing HorizontalPodAutoscalers,
//! LimitRanges, and TriggerAuthentications. Rules whose objects are absent are reported as
//! unchecked, never guessed.

use crate::manifest::kind::ObjectKind;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One container of a workload's pod template.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Container {
    pub(crate) name: String,
    /// Resource names with a positive request or limit (`cpu`, `memory`).
    pub(crate) resources_set: BTreeSet<String>,
    /// env: literal value, or None for `valueFrom`.
    pub(crate) env: BTreeMap<String, Option<String>>,
    /// The container also takes env from ConfigMaps/Secrets (`envFrom`): unknown names.
    pub(crate) has_env_from: bool,
}

/// A scale target (Deployment, StatefulSet, any object with a pod template).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workload {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) replicas: Option<i32>,
    pub(crate) containers: Vec<Container>,
}

/// An existing HorizontalPodAutoscaler.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ExistingHpa {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) target_api_version: String,
    pub(crate) target_kind: String,
    pub(crate) target_name: String,
    /// `validations.keda.sh/hpa-ownership: "false"`.
    pub(crate) ownership_validation_disabled: bool,
    /// Owner ScaledObject name (owner reference of kind ScaledObject).
    pub(crate) owner_scaled_object: Option<String>,
}

/// A (Cluster)TriggerAuthentication.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TriggerAuth {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) cluster: bool,
    /// Parameter names it provides.
    pub(crate) params: BTreeSet<String>,
    pub(crate) pod_identity: Option<String>,
}

/// Container defaults of a LimitRange.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LimitRangeDefaults {
    pub(crate) namespace: Option<String>,
    /// Resources with a positive default request/limit for containers.
    pub(crate) resources: BTreeSet<String>,
}

/// Everything besides the KEDA objects themselves. `hpas`/`limit_ranges` are `None` when the
/// caller cannot say what exists in the cluster (rules needing them are then unchecked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterObjects {
    pub(crate) workloads: Vec<Workload>,
    pub(crate) hpas: Option<Vec<ExistingHpa>>,
    pub(crate) limit_ranges: Option<Vec<LimitRangeDefaults>>,
    pub(crate) trigger_auths: Vec<TriggerAuth>,
}

/// How [`ClusterObjects::add_object`] used a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectUse {
    /// A workload with a pod template (containers' requests and env).
    Workload,
    /// An existing HorizontalPodAutoscaler.
    Hpa,
    /// A LimitRange (container defaults).
    LimitRange,
    /// A TriggerAuthentication or ClusterTriggerAuthentication.
    TriggerAuth,
}

impl ClusterObjects {
    /// Add one parsed document if it is an object the KEDA rules consult (a workload with a
    /// pod template, an HPA, a LimitRange, a (Cluster)TriggerAuthentication); ScaledObjects,
    /// ScaledJobs and everything else are left out (None).
    pub(crate) fn add_object(&mut self, v: &Value) -> Option<ObjectUse> {
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        match ObjectKind::parse(kind) {
            Some(ObjectKind::ScaledObject | ObjectKind::ScaledJob) => None,
            Some(ObjectKind::TriggerAuthentication) => {
                self.trigger_auths.push(trigger_auth_from(v, false));
                Some(ObjectUse::TriggerAuth)
            }
            Some(ObjectKind::ClusterTriggerAuthentication) => {
                self.trigger_auths.push(trigger_auth_from(v, true));
                Some(ObjectUse::TriggerAuth)
            }
            Some(ObjectKind::HorizontalPodAutoscaler) => {
                let h = hpa_from(v)?;
                self.hpas.get_or_insert_with(Vec::new).push(h);
                Some(ObjectUse::Hpa)
            }
            Some(ObjectKind::LimitRange) => {
                self.limit_ranges
                    .get_or_insert_with(Vec::new)
                    .push(limit_range_from(v));
                Some(ObjectUse::LimitRange)
            }
            _ => {
                self.workloads.push(workload_from(v)?);
                Some(ObjectUse::Workload)
            }
        }
    }
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    match cur {
        Value::String(x) => Some(x.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn positive_quantity(v: &Value) -> bool {
    let text = match v {
        Value::String(x) => x.clone(),
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    crate::units::parse_quantity(&text).is_ok_and(|q| q.milli > 0)
}

/// Read one container of a pod template.
pub(crate) fn container_from(c: &Value) -> Container {
    let mut resources_set = BTreeSet::new();
    for section in ["requests", "limits"] {
        if let Some(Value::Object(m)) = c.get("resources").and_then(|r| r.get(section)) {
            for (k, v) in m {
                if positive_quantity(v) {
                    resources_set.insert(k.clone());
                }
            }
        }
    }
    let mut env = BTreeMap::new();
    if let Some(Value::Array(items)) = c.get("env") {
        for e in items {
            if let Some(name) = s(e, &["name"]) {
                let value = if e.get("valueFrom").is_some() {
                    None
                } else {
                    Some(s(e, &["value"]).unwrap_or_default())
                };
                env.insert(name, value);
            }
        }
    }
    Container {
        name: s(c, &["name"]).unwrap_or_default(),
        resources_set,
        env,
        has_env_from: c
            .get("envFrom")
            .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty())),
    }
}

/// Read a workload from any object with `spec.template.spec.containers`.
pub(crate) fn workload_from(doc: &Value) -> Option<Workload> {
    let containers = doc
        .get("spec")?
        .get("template")?
        .get("spec")?
        .get("containers")?
        .as_array()?;
    Some(Workload {
        api_version: s(doc, &["apiVersion"]).unwrap_or_default(),
        kind: s(doc, &["kind"]).unwrap_or_default(),
        name: s(doc, &["metadata", "name"]).unwrap_or_default(),
        namespace: s(doc, &["metadata", "namespace"]),
        replicas: doc
            .get("spec")
            .and_then(|sp| sp.get("replicas"))
            .and_then(Value::as_i64)
            .map(|r| r as i32),
        containers: containers.iter().map(container_from).collect(),
    })
}

pub(crate) fn hpa_from(doc: &Value) -> Option<ExistingHpa> {
    let r = doc.get("spec")?.get("scaleTargetRef")?;
    let owner = doc
        .get("metadata")
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|o| s(o, &["kind"]).as_deref() == Some("ScaledObject"))
        })
        .and_then(|o| s(o, &["name"]));
    Some(ExistingHpa {
        name: s(doc, &["metadata", "name"]).unwrap_or_default(),
        namespace: s(doc, &["metadata", "namespace"]),
        target_api_version: s(r, &["apiVersion"]).unwrap_or_default(),
        target_kind: s(r, &["kind"]).unwrap_or_default(),
        target_name: s(r, &["name"]).unwrap_or_default(),
        ownership_validation_disabled: s(
            doc,
            &[
                "metadata",
                "annotations",
                "validations.keda.sh/hpa-ownership",
            ],
        )
        .as_deref()
            == Some("false"),
        owner_scaled_object: owner,
    })
}

pub(crate) fn trigger_auth_from(doc: &Value, cluster: bool) -> TriggerAuth {
    let spec = doc.get("spec").cloned().unwrap_or(Value::Null);
    let mut params = BTreeSet::new();
    let mut collect = |list: Option<&Value>| {
        if let Some(Value::Array(items)) = list {
            for i in items {
                if let Some(p) = s(i, &["parameter"]) {
                    params.insert(p);
                }
            }
        }
    };
    collect(spec.get("secretTargetRef"));
    collect(spec.get("env"));
    collect(spec.get("configMapTargetRef"));
    for provider in [
        "hashiCorpVault",
        "azureKeyVault",
        "awsSecretManager",
        "gcpSecretManager",
    ] {
        collect(spec.get(provider).and_then(|p| p.get("secrets")));
    }
    TriggerAuth {
        name: s(doc, &["metadata", "name"]).unwrap_or_default(),
        namespace: s(doc, &["metadata", "namespace"]),
        cluster,
        params,
        pod_identity: s(&spec, &["podIdentity", "provider"]),
    }
}

pub(crate) fn limit_range_from(doc: &Value) -> LimitRangeDefaults {
    let mut resources = BTreeSet::new();
    if let Some(Value::Array(limits)) = doc.get("spec").and_then(|sp| sp.get("limits")) {
        for l in limits {
            if s(l, &["type"]).as_deref() != Some("Container") {
                continue;
            }
            for section in ["default", "defaultRequest"] {
                if let Some(Value::Object(m)) = l.get(section) {
                    for (k, v) in m {
                        if positive_quantity(v) {
                            resources.insert(k.clone());
                        }
                    }
                }
            }
        }
    }
    LimitRangeDefaults {
        namespace: s(doc, &["metadata", "namespace"]),
        resources,
    }
}

/// Namespaces match when equal, or when either side leaves it unset (the same default).
pub(crate) fn same_namespace(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}
