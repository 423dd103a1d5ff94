//! Checking and building the `triggers` of a ScaledObject or ScaledJob: the CRD's required
//! fields, the webhook's `ValidateTriggers` (unique names, no `useCachedMetrics` on
//! cpu/memory/cron), the catalogue (core modelled / core not modelled / unknown), and each
//! modelled scaler's own build, with its errors pointed at the metadata key.

use super::catalog::{self, CatalogStatus};
use super::cluster::{ClusterObjects, same_namespace};
use super::findings::Findings;
use super::manifest::Trigger;
use super::model::TriggerModel;
use super::params::{AuthKnowledge, EnvKnowledge};
use super::report::TriggerPlan;
use super::scalers::{self, BuildContext};
use crate::manifest::kind::ObjectKind;
use std::collections::{BTreeMap, BTreeSet};

/// Which object the triggers belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    ScaledObject,
    ScaledJob,
}

/// The result of checking all triggers.
pub(crate) struct CheckedTriggers {
    pub(crate) models: Vec<TriggerModel>,
    pub(crate) plans: Vec<TriggerPlan>,
    /// Every trigger built (no trigger-level errors).
    pub(crate) complete: bool,
}

fn auth_for(t: &Trigger, namespace: &Option<String>, cluster: &ClusterObjects) -> AuthKnowledge {
    let Some(r) = &t.authentication_ref else {
        return AuthKnowledge::None;
    };
    let want_cluster = r.kind.as_deref() == Some(ObjectKind::ClusterTriggerAuthentication.as_str());
    let found = cluster.trigger_auths.iter().find(|a| {
        a.name == r.name
            && a.cluster == want_cluster
            && (a.cluster || same_namespace(&a.namespace, namespace))
    });
    match found {
        Some(a) => AuthKnowledge::Known {
            name: a.name.clone(),
            params: a.params.clone(),
            pod_identity: a.pod_identity.clone(),
        },
        None => AuthKnowledge::Unknown {
            name: r.name.clone(),
        },
    }
}

const KEY_HINTS: &[(&str, &str)] = &[
    (
        "metricType",
        "`metricType` belongs at trigger level (next to `type`), not inside `metadata`",
    ),
    (
        "type",
        "the cpu/memory `metadata.type` key was removed in v2.18; use trigger-level `metricType`",
    ),
    ("metricName", "`metricName` is ignored since KEDA v2.0"),
    ("region", "did you mean `awsRegion`?"),
];

/// Check and build every trigger (`spec.triggers`) of a ScaledObject or ScaledJob.
pub(crate) fn check(
    f: &mut Findings,
    triggers: Option<&Vec<Trigger>>,
    owner: Owner,
    namespace: &Option<String>,
    cluster: &ClusterObjects,
    env: &EnvKnowledge,
    as_metric_source: bool,
) -> CheckedTriggers {
    let mut out = CheckedTriggers {
        models: Vec::new(),
        plans: Vec::new(),
        complete: true,
    };
    let Some(triggers) = present(f, triggers) else {
        out.complete = false;
        return out;
    };
    let mut names = BTreeSet::new();
    for (i, t) in triggers.iter().enumerate() {
        let base = format!("spec.triggers[{i}]");
        let Some(ty) = t.trigger_type.as_deref().filter(|s| !s.is_empty()) else {
            f.error(
                "crd.required",
                Some(format!("{base}.type")),
                "trigger `type` is required",
            );
            out.complete = false;
            continue;
        };
        if !schema_and_webhook_checks(f, &base, t, ty, &mut names) {
            out.complete = false;
        }
        let Some(metadata_raw) = &t.metadata else {
            f.error(
                "crd.required",
                Some(format!("{base}.metadata")),
                "trigger `metadata` is required (it may be `{}`)",
            );
            out.complete = false;
            continue;
        };
        let metadata: BTreeMap<String, String> = metadata_raw
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        let status = catalog_findings(f, &base, t, ty, owner);
        let auth = auth_for(t, namespace, cluster);
        let ctx = BuildContext {
            trigger_index: i,
            trigger_type: ty,
            metric_type: t.metric_type.as_deref(),
            as_metric_source,
            auth: &auth,
            env,
        };
        let built = scalers::build(&ctx, &metadata);
        report_build(f, &base, t, ty, &built);
        out.plans.push(plan_of(i, t, ty, status, &built));
        match built.scaler {
            Some(scaler) => out.models.push(TriggerModel {
                index: i,
                name: t.name.clone().filter(|n| !n.is_empty()),
                trigger_type: ty.to_string(),
                use_cached_metrics: t.use_cached_metrics,
                metric_type_written: t.metric_type.as_deref().is_some_and(|m| !m.is_empty()),
                scaler,
            }),
            None => out.complete = false,
        }
    }
    out
}

/// The CRD's `spec.triggers`: required, with at least one item.
fn present<'t>(f: &mut Findings, triggers: Option<&'t Vec<Trigger>>) -> Option<&'t Vec<Trigger>> {
    match triggers {
        None => {
            f.error(
                "crd.required",
                Some("spec.triggers".into()),
                "spec.triggers: Required value",
            );
            None
        }
        Some(t) if t.is_empty() => {
            f.error("crd.min-items", Some("spec.triggers".into()), "no triggers defined in the ScaledObject/ScaledJob (spec.triggers needs at least 1 item)");
            None
        }
        Some(t) => Some(t),
    }
}

/// The CRD's enum on `authenticationRef.kind` and the webhook's `ValidateTriggers`
/// (no `useCachedMetrics` on cpu/memory/cron, unique trigger names). False when one fails.
fn schema_and_webhook_checks(
    f: &mut Findings,
    base: &str,
    t: &Trigger,
    ty: &str,
    names: &mut BTreeSet<String>,
) -> bool {
    let mut ok = true;
    if let Some(r) = &t.authentication_ref
        && let Some(k) = &r.kind
        && !matches!(
            ObjectKind::parse(k),
            Some(ObjectKind::TriggerAuthentication | ObjectKind::ClusterTriggerAuthentication)
        )
    {
        f.error(
                    "crd.enum",
                    Some(format!("{base}.authenticationRef.kind")),
                    format!("Unsupported value: {k:?}: supported values: \"TriggerAuthentication\", \"ClusterTriggerAuthentication\""),
                );
        ok = false;
    }
    if t.use_cached_metrics && matches!(ty, "cpu" | "memory" | "cron") {
        f.error(
            "webhook.triggers.use-cached-metrics",
            Some(format!("{base}.useCachedMetrics")),
            format!("property \"useCachedMetrics\" is not supported for {ty:?} scaler"),
        );
        ok = false;
    }
    if let Some(n) = t.name.as_deref().filter(|n| !n.is_empty())
        && !names.insert(n.to_string())
    {
        f.error(
                "webhook.triggers.names-unique",
                Some(format!("{base}.name")),
                format!("triggerName {n:?} is defined multiple times in the ScaledObject/ScaledJob, but it must be unique"),
            );
        ok = false;
    }
    ok
}

/// Where the trigger type stands in the catalogue (core modelled, core not modelled, not
/// core), and the findings that go with it and with the owner.
fn catalog_findings(
    f: &mut Findings,
    base: &str,
    t: &Trigger,
    ty: &str,
    owner: Owner,
) -> CatalogStatus {
    let status = catalog::status_of(ty);
    match status {
        CatalogStatus::Unknown => {
            let hint = catalog::suggest(ty)
                .map(|s| format!(" Did you mean `{s}`?"))
                .unwrap_or_default();
            f.warn(
                "warn.trigger-not-core",
                Some(format!("{base}.type")),
                format!(
                    "`{ty}` is not a core KEDA scaler (upstream KEDA fails with \"no scaler found for type: {ty}\" unless an add-on provides it); scalesim can bind it to a named signal.{hint}",
                    ty = crate::limits::quoted_short(ty)
                ),
            );
        }
        CatalogStatus::CoreNotModelled => {
            f.not_modelled(
                "not-modelled.scaler",
                Some(format!("{base}.type")),
                format!("the `{ty}` scaler is a core KEDA scaler that scalesim does not reproduce; bind it to a named signal to simulate it"),
            );
        }
        CatalogStatus::Modelled => {}
    }
    if owner == Owner::ScaledJob && matches!(ty, "cpu" | "memory") {
        f.warn(
            "warn.scaledjob-resource-trigger",
            Some(format!("{base}.type")),
            "ScaledJobs ignore cpu/memory triggers (they produce no external metric)",
        );
    }
    if t.authentication_ref.is_some() {
        f.not_modelled(
            "not-modelled.authentication",
            Some(format!("{base}.authenticationRef")),
            "credentials are not simulated; the backend is assumed reachable",
        );
    }
    status
}

/// The scaler build's errors, unchecked parameters, warnings and ignored keys as findings,
/// each pointed at its metadata key (or at `metricType` when the error is about it).
fn report_build(f: &mut Findings, base: &str, t: &Trigger, ty: &str, built: &scalers::Built) {
    let key_path = |key: &Option<String>| match key {
        Some(k) => format!("{base}.metadata.{k}"),
        None => format!("{base}.metadata"),
    };
    for e in &built.errors {
        let about_metric_type =
            e.message.contains("metricType") || e.message.contains("metric type");
        let field = if e.key.is_none() && about_metric_type && t.metric_type.is_some() {
            format!("{base}.metricType")
        } else {
            key_path(&e.key)
        };
        f.error(
            "scaler.build",
            Some(field),
            format!("{ty} scaler: {}", e.message),
        );
    }
    for u in &built.unchecked {
        f.unchecked(
            "unchecked.scaler-param",
            Some(key_path(&u.key)),
            format!("{ty} scaler: {}", u.message),
        );
    }
    for w in &built.warnings {
        f.warn(
            "warn.scaler",
            Some(key_path(&w.key)),
            format!("{ty} scaler: {}", w.message),
        );
    }
    for k in &built.ignored_keys {
        let hint = KEY_HINTS
            .iter()
            .find(|(h, _)| h == k)
            .map(|(_, m)| format!(" ({m})"))
            .unwrap_or_default();
        f.warn(
            "warn.metadata-ignored-key",
            Some(format!("{base}.metadata.{k}")),
            format!("the {ty} scaler does not read metadata key `{k}`; KEDA ignores it{hint}"),
        );
    }
}

/// The trigger's part of the simulation plan.
fn plan_of(
    i: usize,
    t: &Trigger,
    ty: &str,
    status: CatalogStatus,
    built: &scalers::Built,
) -> TriggerPlan {
    TriggerPlan {
        index: i,
        name: t.name.clone().filter(|n| !n.is_empty()),
        trigger_type: ty.to_string(),
        status,
        metric: built.scaler.as_ref().map(|s| s.metric.clone()),
        activation_threshold: built.scaler.as_ref().and_then(|s| s.activation_threshold),
        signal: built.scaler.as_ref().map(|s| s.signal.clone()),
        delay: built.scaler.as_ref().map(|s| s.delay.clone()),
        use_cached_metrics: t.use_cached_metrics,
    }
}
