//! Scenario files: what to simulate. Reads the YAML, applies every default (documented in
//! `docs/scenario.md` and in the comments below), resolves the trace and manifests it names, and rejects
//! anything unusable with the file, line and field. The result is a [`Scenario`] of
//! [`crate::settings`], the typed run configuration the layers above read (`docs/architecture.md`).

pub(crate) mod autoscalers;
mod bounds;
pub(crate) mod changes;
pub(crate) mod compose;
mod faults;
mod keda_bindings;
pub(crate) mod keda_events;
pub(crate) mod nodes;
pub mod patch;
pub(crate) mod schema;

// Bridges for the layers above `world` that still name these by their old scenario paths; the
// types live in `crate::settings` (`docs/architecture.md`).
pub(crate) use crate::settings::fidelity::Fidelity;
pub(crate) use crate::settings::overload;
pub use crate::settings::scenario::{DEFAULT_START_TIME, Scenario};
pub(crate) use crate::settings::slo::SloSpec;
pub(crate) use crate::settings::workload::{Balancer, Pods, Readiness, Workload, WorkloadKind};
pub(crate) use crate::settings::{faults::Fault, observed::ObservedSpec};

use crate::error::{Error, InputError, Location};
use crate::hpa::ControllerSettings;
use crate::manifest::{
    self,
    deployment::{ContainerFacts, PodTemplateFacts},
};
pub(crate) use crate::settings::autoscalers::Autoscalers;
use crate::settings::backend::BackendKind;
use crate::settings::binding::BindingSpec;
pub(crate) use crate::settings::dist::Dist;
use crate::settings::fidelity::FidelityMode;
use crate::trace::Trace;
use crate::trace::memo::TraceMemo;
use crate::trace::spec::{LoadContext, TraceSpec};
use crate::units::{Quantity, Seconds, format_seconds};
use crate::yaml::{self, Document, Source};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The scenario file as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioFile {
    /// Default: the file's stem.
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// Default: the trace's span.
    #[serde(default)]
    pub(crate) duration: Option<Seconds>,
    /// Wall-clock instant of t = 0. Default: the trace's first timestamp if absolute, else 2025-01-06T00:00:00Z.
    #[serde(default)]
    pub(crate) start_time: Option<String>,
    /// Default 1.
    #[serde(default)]
    pub(crate) seed: Option<u64>,
    /// Sampling interval of timeseries.csv. Default max(1 s, duration / 10,000).
    #[serde(default)]
    pub(crate) step: Option<Seconds>,
    /// Traffic model: `request` (default), `fluid` or `auto`.
    #[serde(default)]
    pub(crate) fidelity: Option<FidelityMode>,
    /// Interval of the flow-level model. Default 1 s.
    #[serde(default)]
    pub(crate) fluid_step: Option<Seconds>,
    pub(crate) trace: TraceSpec,
    pub(crate) workload: WorkloadSpec,
    pub(crate) pods: PodsSpec,
    #[serde(default)]
    pub(crate) autoscaler: Option<AutoscalerSpec>,
    #[serde(default)]
    pub(crate) cluster: ClusterSpec,
    /// Metric name → the simulated signal it reads and the backend that serves it.
    #[serde(default)]
    pub(crate) metrics: BTreeMap<String, BindingSpec>,
    /// Outages of metric backends (to tune KEDA fallback offline).
    #[serde(default)]
    pub(crate) faults: Vec<FaultSpec>,
    /// ScaledObjects paused, unpaused or deleted during the run.
    #[serde(default)]
    pub(crate) keda_events: Vec<keda_events::KedaEventSpec>,
    /// Objects applied, annotated or deleted during the run (docs/scenario.md).
    #[serde(default)]
    pub(crate) changes: Vec<changes::ChangeSpec>,
    /// What a ScaledJob's job does: `{mode: one-message | drain | sleep, duration}`.
    #[serde(default)]
    pub(crate) jobs: Option<crate::settings::jobs::JobsSpec>,
    /// Service-level objectives that `scalesim check` verifies and sweeps mark per point.
    #[serde(default)]
    pub(crate) slo: Option<SloSpec>,
    /// Recorded series of the trace's period to backtest against (`docs/backtest.md`).
    #[serde(default)]
    pub(crate) observed: Option<ObservedSpec>,
}

/// `workload:` as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkloadSpec {
    pub(crate) kind: WorkloadKind,
    pub(crate) service_time: Dist,
    /// CPU-seconds per request at full speed. Default: mean service time × 1 core.
    #[serde(default)]
    pub(crate) cpu_per_request: Option<Quantity>,
    /// Requests in service at once per pod (http) / workers per pod (queue). Default 1.
    #[serde(default)]
    pub(crate) concurrency: Option<u32>,
    /// Client timeout. Default: none.
    #[serde(default)]
    pub(crate) timeout: Option<Seconds>,
    /// Default random.
    #[serde(default)]
    pub(crate) balancer: Option<Balancer>,
    /// Memory held per in-flight request (memory model). Default 0.
    #[serde(default)]
    pub(crate) memory_per_request: Option<Quantity>,
    /// Partitions of the topic a queue workload consumes (Kafka): at most this many pods
    /// consume at once; consumer lag is spread over them. Default: unpartitioned.
    #[serde(default)]
    pub(crate) partitions: Option<u32>,
    /// http: requests a pod lets wait (beyond those in service) before it answers new ones 503
    /// at once. Default: no cap.
    #[serde(default)]
    pub(crate) max_queue: Option<u32>,
    /// Clients retry failed attempts with exponential backoff and jitter. Default: no retries.
    #[serde(default)]
    pub(crate) retries: Option<overload::RetriesSpec>,
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadinessSpec {
    #[serde(default)]
    pub(crate) initial_delay: Option<Seconds>,
    #[serde(default)]
    pub(crate) period: Option<Seconds>,
    #[serde(default)]
    pub(crate) success_threshold: Option<u32>,
    #[serde(default)]
    pub(crate) failure_threshold: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PodsSpec {
    /// Initial spec.replicas, Ready at t = 0. Required unless `manifest` gives it.
    #[serde(default)]
    pub(crate) replicas: Option<i64>,
    #[serde(default)]
    pub(crate) cpu_request: Option<Quantity>,
    #[serde(default)]
    pub(crate) cpu_limit: Option<Quantity>,
    #[serde(default)]
    pub(crate) memory_request: Option<Quantity>,
    /// Memory a pod uses with no work in flight. Default 0.
    #[serde(default)]
    pub(crate) memory_baseline: Option<Quantity>,
    /// Created → container running. Default constant 30 s.
    #[serde(default)]
    pub(crate) startup: Option<Dist>,
    #[serde(default)]
    pub(crate) readiness: Option<ReadinessSpec>,
    /// Default 30 s.
    #[serde(default)]
    pub(crate) termination_grace: Option<Seconds>,
    /// Time for a terminating pod to leave the load balancer. Default 1 s.
    #[serde(default)]
    pub(crate) endpoint_delay: Option<Seconds>,
    /// A preStop sleep before SIGTERM. Default 0 (or the manifest's).
    #[serde(default)]
    pub(crate) pre_stop: Option<Seconds>,
    /// Extra CPU a new pod burns right after its container starts (JIT, caches): `{cores, duration}`.
    #[serde(default)]
    pub(crate) startup_cpu: Option<StartupCpuSpec>,
    /// A new pod serves slower for a while after start: `{duration, speed}` (speed 0.5 = half).
    #[serde(default)]
    pub(crate) warmup: Option<WarmupSpec>,
    /// A liveness probe that restarts a pod too saturated to answer it. Default: none.
    #[serde(default)]
    pub(crate) liveness: Option<overload::LivenessSpec>,
    /// Enforce the CPU limit as a CFS quota per period (bursts, then stalls). Default false:
    /// the limit caps the pod's speed smoothly.
    #[serde(default)]
    pub(crate) cpu_cfs: Option<bool>,
    /// The CFS period. Default 100 ms.
    #[serde(default)]
    pub(crate) cfs_period: Option<Seconds>,
    /// A Deployment/StatefulSet whose requests, limits, probes, grace and replicas fill the gaps.
    #[serde(default)]
    pub(crate) manifest: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartupCpuSpec {
    pub(crate) cores: Quantity,
    pub(crate) duration: Seconds,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WarmupSpec {
    pub(crate) duration: Seconds,
    pub(crate) speed: f64,
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AutoscalerSpec {
    /// Autoscaler manifests (HPA, ScaledObject, ScaledJob YAML), relative to the scenario
    /// file; multi-document allowed.
    #[serde(default)]
    pub(crate) manifests: Vec<PathBuf>,
    /// Simulate a hand-made HPA beside a ScaledObject on the same workload (both write the
    /// replica count), as clusters whose KEDA predates its admission check do. Default false:
    /// the pair is rejected as KEDA's webhook rejects it.
    #[serde(default)]
    pub(crate) allow_conflicts: bool,
    /// The workload simulated, by name, when the manifests hold autoscalers of several: only
    /// those whose `scaleTargetRef.name` is it (a ScaledJob by its own name) act; the others are
    /// listed as not simulated. Default: every autoscaler acts on the one simulated workload.
    #[serde(default)]
    pub(crate) target: Option<String>,
}

/// A window during which a KEDA trigger's metric backend fails, or a control-plane component
/// is down (`faults:`, docs/faults.md).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    /// The KEDA trigger whose backend fails: its name, its metric name such as
    /// `s0-prometheus`, its type, or its index. Anything else is an error. Or give `component`.
    #[serde(default)]
    pub(crate) target: Option<String>,
    /// The control-plane component that is down: `keda-metrics-apiserver`, `keda-operator`,
    /// `metrics-server` or `controller-manager` (a restart: its memory is lost).
    #[serde(default)]
    pub(crate) component: Option<crate::settings::faults::Component>,
    /// `keda-operator` only: the leader is lost at `from` and a standby leads this long after
    /// (its lease expiring; controller-runtime's leaseDuration is 15 s). Instead of `to`/`duration`.
    #[serde(default)]
    pub(crate) failover: Option<Seconds>,
    /// Start of the outage (from t = 0).
    pub(crate) from: Seconds,
    /// End of the outage; or give `duration`.
    #[serde(default)]
    pub(crate) to: Option<Seconds>,
    #[serde(default)]
    pub(crate) duration: Option<Seconds>,
    /// The error the backend returns. Default "backend unavailable (injected fault)".
    #[serde(default)]
    pub(crate) error: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClusterSpec {
    #[serde(default)]
    pub(crate) metrics_server: MetricsServerSpec,
    /// When metrics-server, the kubelets and Prometheus sample: `seeded` (each on a phase of its
    /// own drawn from the seed, as on a real cluster; the default) or `aligned` (on the run's
    /// grid).
    #[serde(default)]
    pub(crate) metric_phases: crate::settings::metric_phases::MetricPhases,
    /// kube-controller-manager flags that shape the HPA (sync period, tolerance, …).
    #[serde(default)]
    #[schemars(schema_with = "schema::controller_manager")]
    pub(crate) controller_manager: ControllerSettings,
    /// Nodes of one pool. Default: an infinite cluster (every pod placed at once).
    #[serde(default)]
    pub(crate) nodes: Option<nodes::NodePoolSpec>,
    /// Several node pools (instead of `nodes`).
    #[serde(default)]
    pub(crate) node_pools: Option<Vec<nodes::NodePoolSpec>>,
    /// Who adds and removes nodes. Default: nobody (fixed nodes).
    #[serde(default)]
    pub(crate) node_autoscaler: Option<nodes::NodeAutoscalerSpec>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsServerSpec {
    /// metrics-server `--metric-resolution`: how often pod CPU/memory usage is sampled. Default 15 s.
    #[serde(default = "default_resolution")]
    pub(crate) resolution: Seconds,
}

impl Default for MetricsServerSpec {
    fn default() -> Self {
        MetricsServerSpec {
            resolution: default_resolution(),
        }
    }
}

fn default_resolution() -> Seconds {
    Seconds(15.0)
}

/// Overrides from the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    /// Extra manifests (`--manifest`), relative to the current directory.
    pub manifests: Vec<PathBuf>,
    /// Changes to the scenario or its manifests (sweeps), applied before they are read.
    pub patches: Vec<patch::Patch>,
    /// `--allow-conflicts`.
    pub allow_conflicts: bool,
}

impl Scenario {
    /// Load a scenario file.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, Error> {
        let source = Source::read(path)?;
        Self::from_source(&source, overrides)
    }

    pub fn from_source(source: &Source, overrides: &Overrides) -> Result<Scenario, Error> {
        Self::from_source_sharing(source, overrides, None)
    }

    /// Load a scenario file, reusing the traces `memo` holds (a sweep's points share them).
    pub(crate) fn load_sharing(
        path: &Path,
        overrides: &Overrides,
        memo: &TraceMemo,
    ) -> Result<Scenario, Error> {
        let source = Source::read(path)?;
        Self::from_source_sharing(&source, overrides, Some(memo))
    }

    fn from_source_sharing(
        source: &Source,
        overrides: &Overrides,
        memo: Option<&TraceMemo>,
    ) -> Result<Scenario, Error> {
        if source.text.trim().is_empty() {
            return Err(InputError::in_file(&source.path, "empty scenario file").into());
        }
        if let Some(e) = compose::manifest_as_scenario(source) {
            return Err(e.into());
        }
        let own: Vec<&patch::Patch> = overrides
            .patches
            .iter()
            .filter(|p| p.target == patch::PatchTarget::Scenario)
            .collect();
        let patched;
        let source = if own.is_empty() {
            source
        } else {
            let doc = Document {
                source,
                index: 0,
                line_offset: 0,
                text: &source.text,
            };
            let mut v = doc.value()?;
            for p in &own {
                patch::apply(&mut v, &p.path, p.value.clone()).map_err(|m| {
                    doc.error_at_path(&p.path, format!("cannot apply the override: {m}"))
                })?;
            }
            patched = Source::from_string(
                source.path.clone(),
                serde_json::to_string_pretty(&v).unwrap_or_default(),
            );
            &patched
        };
        check_one_document(source)?;
        // A sweep loads the same text for every point whose patches are all to manifests.
        static PARSED: yaml::ParsedMemo<ScenarioFile> = yaml::ParsedMemo::new();
        let raw: ScenarioFile = match PARSED.find(&source.text) {
            Some(raw) => raw,
            None => {
                let raw = yaml::parse(source)?;
                PARSED.keep(&source.text, &raw);
                raw
            }
        };
        let doc = Document {
            source,
            index: 0,
            line_offset: 0,
            text: &source.text,
        };
        resolve(raw, source, &doc, (overrides, memo))
    }
}

/// `observed:` with its paths relative to the current folder.
fn resolve_observed(o: Option<&ObservedSpec>, base_dir: &Path) -> ObservedSpec {
    let join = |p: &Option<PathBuf>| p.as_ref().map(|p| base_dir.join(p));
    o.map_or_else(ObservedSpec::default, |o| ObservedSpec {
        replicas: join(&o.replicas),
        latency_p99: join(&o.latency_p99),
    })
}

/// How the files a scenario reads are named in its outputs: by file name, so outputs are the same however the scenario
/// path was typed (relative, absolute, through a symlink, from another folder). See
/// `docs/inputs.md`.
struct OutputPaths {
    /// (path as read, name in outputs), longest first.
    pairs: Vec<(String, String)>,
}

impl OutputPaths {
    fn rewrite(&self, warnings: Vec<String>) -> Vec<String> {
        warnings
            .into_iter()
            .map(|mut w| {
                for (read, shown) in &self.pairs {
                    if w.contains(read.as_str()) {
                        w = w.replace(read.as_str(), shown);
                    }
                }
                w
            })
            .collect()
    }
}

/// A path as outputs show it: by its file name, so a scenario moved to another folder (or
/// written by `init` elsewhere) gives the same outputs.
fn output_name(written: &Path) -> PathBuf {
    written
        .file_name()
        .map_or_else(|| written.to_path_buf(), PathBuf::from)
}

fn output_paths(raw: &ScenarioFile, file: &Path, base_dir: &Path, o: &Overrides) -> OutputPaths {
    let mut written: Vec<&Path> = Vec::new();
    written.extend(raw.trace.file.as_deref());
    written.extend(raw.pods.manifest.as_deref());
    if let Some(a) = &raw.autoscaler {
        written.extend(a.manifests.iter().map(PathBuf::as_path));
    }
    let mut pairs: Vec<(String, String)> = written
        .into_iter()
        .map(|w| (base_dir.join(w), output_name(w)))
        .chain(o.manifests.iter().map(|m| (m.clone(), output_name(m))))
        .chain([(
            file.to_path_buf(),
            output_name(Path::new(file.file_name().unwrap_or_default())),
        )])
        .map(|(r, s)| (r.display().to_string(), s.display().to_string()))
        .filter(|(r, s)| r != s && !r.is_empty())
        .collect();
    pairs.sort_by_key(|(r, _)| std::cmp::Reverse(r.len()));
    OutputPaths { pairs }
}

/// A file the scenario (or a sweep file) names at `field` must exist: a missing or unreadable one
/// is an error at that field's line, naming the path it was looked for at.
pub(crate) fn check_referenced(
    doc: &Document<'_>,
    field: &str,
    path: &Path,
) -> Result<(), InputError> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let why = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => "is a folder, not a file".to_string(),
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "file not found".to_string(),
        Err(e) => format!("cannot read it: {e}"),
    };
    Err(doc.error_at_path(field, format!("{}: {why}", path.display())))
}

/// A scenario is one YAML document: say so (naming where the second starts) rather than the
/// reader's generic words.
fn check_one_document(source: &Source) -> Result<(), InputError> {
    let docs = yaml::split_documents(source);
    match docs.get(1) {
        None => Ok(()),
        Some(second) => Err(source.error_at(
            second.line_offset.max(1),
            None,
            None,
            "a scenario is one YAML document, but a `---` line starts another here: put \
             Kubernetes objects in a manifest file named by `autoscaler.manifests` or \
             `pods.manifest`, and keep one scenario per file",
        )),
    }
}

/// Resolve a parsed scenario file into settings, phase by phase: the run's name and model, its
/// timeline (trace, duration, step), the workload, the autoscalers, the pods, then the overload
/// and node settings that depend on the pods.
fn resolve(
    raw: ScenarioFile,
    source: &Source,
    doc: &Document<'_>,
    (overrides, memo): (&Overrides, Option<&TraceMemo>),
) -> Result<Scenario, Error> {
    let file = source.path.clone();
    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut warnings = Vec::new();
    let name = resolve_name(&raw, &file, doc)?;
    let fidelity_mode = raw.fidelity.unwrap_or_default();
    let fluid_step = resolve_fluid_step(&raw, doc)?;
    let seed = overrides.seed.or(raw.seed).unwrap_or(1);
    if let Some(slo) = &raw.slo {
        slo.validate()
            .map_err(|(field, m)| doc.error_at_path(&format!("slo.{field}"), m))?;
    }
    let timeline = resolve_timeline(&raw, doc, (&base_dir, &file), (seed, memo), &mut warnings)?;
    let fidelity = fidelity_mode.resolve(timeline.expected_requests, fluid_step);
    let Timeline {
        trace,
        duration,
        start_time,
        ..
    } = timeline;
    let step = resolve_step(&raw, doc, duration)?;
    bounds::check_run(
        doc,
        &raw.trace,
        &trace,
        (duration, raw.duration.is_some()),
        step,
        fidelity,
    )?;
    let workload = resolve_workload(&raw, doc, &mut warnings)?;
    let mut a = resolve_autoscalers(&raw, doc, &base_dir, overrides)?;
    let faults = faults::resolve(&raw.faults, doc)?;
    keda_bindings::check_fault_targets(&faults, &a.autoscalers, doc)?;
    faults::check_components(&faults, &a.autoscalers, doc)?;
    let keda_events = keda_events::pending(&raw.keda_events, doc)?;
    let jobs = resolve_jobs(&raw, doc)?;
    warnings.extend(a.autoscalers.notes.iter().cloned());
    check_metric_bindings(&raw, doc, &trace)?;
    warnings.extend(keda_bindings::apply_binding_targets(
        &mut a.autoscalers,
        &raw.metrics,
        doc,
    )?);
    let pods = resolve_pods(&raw, doc, &base_dir, &file, &mut a, &mut warnings)?;
    let changes = changes::resolve_all(&raw, keda_events, doc, &base_dir, duration, &a, &pods)?;
    let overload = resolve_overload(&raw, &pods, doc, &mut warnings)?;
    let nodes = resolve_nodes(&raw, &pods, doc, &mut warnings)?;
    if matches!(fidelity, Fidelity::Fluid { .. }) {
        warnings.extend(fluid_approximation_warning(nodes.is_some(), &overload));
    }
    let warnings = output_paths(&raw, &file, &base_dir, overrides).rewrite(warnings);

    let observed = resolve_observed(raw.observed.as_ref(), &base_dir);
    let scenario = Scenario {
        name,
        description: raw.description.clone(),
        file,
        duration,
        start_time,
        seed,
        step,
        trace,
        workload,
        pods,
        metrics_server_resolution: positive(
            doc,
            "cluster.metrics_server.resolution",
            raw.cluster.metrics_server.resolution.0,
        )?,
        metric_phases: raw.cluster.metric_phases,
        fidelity,
        controller_manager: a.controller_manager,
        autoscalers: a.autoscalers,
        faults,
        changes,
        jobs,
        observed,
        metric_bindings: raw.metrics.clone(),
        slo: raw.slo.clone(),
        overload,
        nodes,
        warnings,
    };
    bounds::check_scenario(doc, &scenario)?;
    Ok(scenario)
}

/// The run's name (default: the file's stem): it names the output folder.
fn resolve_name(raw: &ScenarioFile, file: &Path, doc: &Document<'_>) -> Result<String, Error> {
    let name = raw.name.clone().unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into())
    });
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(doc
            .error_at_path("name", format!("{name:?} cannot name an output folder"))
            .into());
    }
    Ok(name)
}

/// `fluid_step`: the flow-level model's interval.
fn resolve_fluid_step(raw: &ScenarioFile, doc: &Document<'_>) -> Result<f64, Error> {
    Ok(match raw.fluid_step {
        Some(s) if s.0 <= 0.0 => {
            return Err(doc.error_at_path("fluid_step", "must be above zero").into());
        }
        Some(s) => s.0,
        // 3 s: a third of the cost of 1 s and as close to request level on every shipped
        // scenario (tests/all/fluid_agreement.rs); the HPA and KEDA act on 15 s and longer.
        None => 3.0,
    })
}

/// The run's clock and load: its trace, duration and start instant.
struct Timeline {
    trace: Trace,
    duration: f64,
    start_time: DateTime<FixedOffset>,
    /// Requests the run will simulate (for `fidelity: auto`).
    expected_requests: f64,
}

/// Start time (generators such as `diurnal` need it), then the trace, then the duration.
fn resolve_timeline(
    raw: &ScenarioFile,
    doc: &Document<'_>,
    (base_dir, file): (&Path, &Path),
    (seed, memo): (u64, Option<&TraceMemo>),
    warnings: &mut Vec<String>,
) -> Result<Timeline, Error> {
    let explicit_start = match &raw.start_time {
        Some(s) => Some(DateTime::parse_from_rfc3339(s).map_err(|e| {
            doc.error_at_path(
                "start_time",
                format!("{s:?} is not an RFC 3339 instant such as 2026-03-02T08:00:00+09:00 ({e})"),
            )
        })?),
        None => None,
    };
    bounds::check_duration(doc, raw.duration.map(|d| d.0))?;
    let ctx = LoadContext::new(base_dir, file)
        .with_duration(raw.duration.map(|d| d.0))
        .with_seed(seed)
        .with_start_time(explicit_start)
        .with_document(doc, "trace")
        .with_memo(memo);
    let (trace, trace_warnings) = raw.trace.load(&ctx)?.into_parts();
    warnings.extend(trace_warnings.iter().map(|w| w.to_string()));
    let duration = resolve_duration(raw, doc, &trace, warnings)?;
    let expected_requests = trace
        .arrivals
        .as_ref()
        .map_or_else(|| trace.integral(0.0, duration), |a| a.len() as f64);
    if let (Some(given), Some(own), Some(_)) = (explicit_start, trace.start_time, &raw.trace.file)
        && given != own
    {
        // Keep the behaviour (t = 0 of the trace plays at start_time), but say so.
        let moved = (given - own).num_milliseconds() as f64 / 1000.0;
        warnings.push(format!(
            "start_time {} is not the trace's own first timestamp {}: the trace plays from its first row at start_time (its times move {} {}); to start later in the trace instead, give `trace.window: {{start: …}}` (an instant or an offset), or move it with `trace.shift`",
            given.to_rfc3339(),
            own.to_rfc3339(),
            crate::trace::stats::dur(moved.abs()),
            if moved > 0.0 { "later" } else { "earlier" }
        ));
    }
    let start_time = explicit_start.or(trace.start_time).unwrap_or_else(|| {
        DateTime::parse_from_rfc3339(DEFAULT_START_TIME).expect("constant is valid")
    });
    Ok(Timeline {
        trace,
        duration,
        start_time,
        expected_requests,
    })
}

/// `duration` (default: the trace's span), with a warning when it outlasts the trace.
fn resolve_duration(
    raw: &ScenarioFile,
    doc: &Document<'_>,
    trace: &Trace,
    warnings: &mut Vec<String>,
) -> Result<f64, Error> {
    let span = trace.span();
    let duration = match raw.duration {
        Some(d) if d.0 <= 0.0 => {
            return Err(doc
                .error_at_path("duration", "duration must be above zero")
                .into());
        }
        Some(d) => d.0,
        None => span,
    };
    if !(duration > 0.0) {
        return Err(doc
            .error_at_path("trace", "the trace spans no time: give `duration`")
            .into());
    }
    if duration > span + 1e-9 {
        warnings.push(match &trace.arrivals {
            // Exact arrivals are replayed as logged: none after the last one.
            Some(a) => format!(
                "duration {} is longer than the request log's span {}: arrivals stop when the log ends (its {} requests are replayed as logged, none after {})",
                format_seconds(duration),
                format_seconds(span),
                a.len(),
                format_seconds(span)
            ),
            None => format!(
                "duration {} is longer than the trace's span {}: the last rate ({}/s) holds until the end",
                format_seconds(duration),
                format_seconds(span),
                trace.rates.last().copied().unwrap_or(0.0)
            ),
        });
    }
    Ok(duration)
}

/// `step`, the sampling interval of timeseries.csv.
fn resolve_step(raw: &ScenarioFile, doc: &Document<'_>, duration: f64) -> Result<f64, Error> {
    let step = match raw.step {
        Some(s) if s.0 <= 0.0 => {
            return Err(doc.error_at_path("step", "step must be above zero").into());
        }
        Some(s) => s.0,
        None => (duration / 10_000.0).max(1.0),
    };
    if duration / step > 5_000_000.0 {
        return Err(doc
            .error_at_path(
                "step",
                format!(
                    "step {} gives more than 5 million rows; use a larger step",
                    format_seconds(step)
                ),
            )
            .into());
    }
    Ok(step)
}

/// `workload:` after defaults.
fn resolve_workload(
    raw: &ScenarioFile,
    doc: &Document<'_>,
    warnings: &mut Vec<String>,
) -> Result<Workload, Error> {
    let w = &raw.workload;
    let concurrency = w.concurrency.unwrap_or(1);
    if concurrency == 0 {
        return Err(doc
            .error_at_path("workload.concurrency", "concurrency must be at least 1")
            .into());
    }
    let mean_service = w.service_time.mean();
    if !(mean_service > 0.0) {
        return Err(doc
            .error_at_path(
                "workload.service_time",
                "the mean service time must be above zero",
            )
            .into());
    }
    let cpu_per_request = match w.cpu_per_request {
        Some(q) if q.milli < 0 => {
            return Err(doc
                .error_at_path(
                    "workload.cpu_per_request",
                    "cpu_per_request must be zero or more",
                )
                .into());
        }
        Some(q) => q.as_f64(),
        None => mean_service,
    };
    if let Some(t) = w.timeout
        && t.0 <= 0.0
    {
        return Err(doc
            .error_at_path(
                "workload.timeout",
                "timeout must be above zero (leave it out for none)",
            )
            .into());
    }
    let memory_per_request =
        nonneg(doc, "workload.memory_per_request", w.memory_per_request)?.unwrap_or(0.0);
    let workload = Workload {
        kind: w.kind,
        service_time: w.service_time,
        cpu_per_request,
        concurrency,
        timeout: w.timeout.map(|t| t.0),
        balancer: w.balancer.unwrap_or(Balancer::Random),
        memory_per_request,
        partitions: match w.partitions {
            Some(0) => {
                return Err(doc
                    .error_at_path("workload.partitions", "a topic has at least 1 partition")
                    .into());
            }
            p => p,
        },
    };
    if w.balancer.is_some() && w.kind == WorkloadKind::Queue {
        warnings.push("workload.balancer has no effect on a queue workload (pods pull from one shared backlog)".into());
    }
    Ok(workload)
}

/// The controller-manager settings and what the autoscaler manifests hold, with the manifest
/// patches (sweeps) and which of them a manifest has used so far.
struct ResolvedAutoscalers {
    controller_manager: ControllerSettings,
    autoscalers: Autoscalers,
    patches: Vec<patch::Patch>,
    used: Vec<bool>,
}

/// Controller-manager settings and the autoscaler manifests.
fn resolve_autoscalers(
    raw: &ScenarioFile,
    doc: &Document<'_>,
    base_dir: &Path,
    overrides: &Overrides,
) -> Result<ResolvedAutoscalers, Error> {
    let controller_manager = raw.cluster.controller_manager.clone();
    controller_manager.validate().map_err(|(field, msg)| {
        doc.error_at_path(&format!("cluster.controller_manager.{field}"), msg)
    })?;
    let mut manifests: Vec<PathBuf> = raw
        .autoscaler
        .as_ref()
        .map(|a| {
            a.manifests
                .iter()
                .map(|m| {
                    if m.as_os_str() == "-" {
                        m.clone()
                    } else {
                        base_dir.join(m)
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    for (i, m) in manifests.iter().enumerate() {
        check_referenced(doc, &format!("autoscaler.manifests[{i}]"), m)?;
    }
    manifests.extend(overrides.manifests.iter().cloned());
    let patches: Vec<patch::Patch> = overrides
        .patches
        .iter()
        .filter(|p| p.target != patch::PatchTarget::Scenario)
        .cloned()
        .collect();
    let mut used = vec![false; patches.len()];
    let allow_conflicts =
        overrides.allow_conflicts || raw.autoscaler.as_ref().is_some_and(|a| a.allow_conflicts);
    let mut autoscalers = autoscalers::load(
        &manifests,
        &controller_manager.feature_gates,
        &patches,
        &mut used,
        allow_conflicts,
    )?;
    if let Some(target) = raw.autoscaler.as_ref().and_then(|a| a.target.as_deref()) {
        autoscalers::keep_target(&mut autoscalers, target)
            .map_err(|m| doc.error_at_path("autoscaler.target", m))?;
    }
    check_one_autoscaler(&autoscalers, allow_conflicts, doc)?;
    if (!autoscalers.scaled_jobs.is_empty()) && raw.workload.kind != WorkloadKind::Queue {
        return Err(doc
            .error_at_path(
                "workload.kind",
                "a ScaledJob's jobs take messages from a queue: use `kind: queue`",
            )
            .into());
    }
    Ok(ResolvedAutoscalers {
        controller_manager,
        autoscalers,
        patches,
        used,
    })
}

/// Several autoscalers on one workload only with `allow_conflicts`.
fn check_one_autoscaler(
    autoscalers: &Autoscalers,
    allow_conflicts: bool,
    doc: &Document<'_>,
) -> Result<(), Error> {
    let n_autoscalers = autoscalers.hpas.len() + autoscalers.scaled_objects.len();
    if n_autoscalers <= 1 || allow_conflicts {
        return Ok(());
    }
    let mut names: Vec<String> = autoscalers
        .hpas
        .iter()
        .map(|h| format!("HPA {:?}", h.name))
        .collect();
    names.extend(
        autoscalers
            .scaled_objects
            .iter()
            .map(|s| format!("ScaledObject {:?}", s.name)),
    );
    Err(doc
        .error_at_path(
            "autoscaler.manifests",
            format!(
                "{} autoscalers for one workload ({}): a real cluster rejects or fights over this; set `autoscaler.allow_conflicts: true` (or --allow-conflicts) to simulate them fighting",
                n_autoscalers,
                names.join(", ")
            ),
        )
        .into())
}

/// `jobs:` after defaults (docs/keda.md#what-a-job-does).
fn resolve_jobs(
    raw: &ScenarioFile,
    doc: &Document<'_>,
) -> Result<crate::settings::jobs::JobBehaviour, Error> {
    match &raw.jobs {
        None => Ok(Default::default()),
        Some(j) => j
            .resolve()
            .map_err(|(field, m)| doc.error_at_path(&format!("jobs.{field}"), m).into()),
    }
}

/// Every `metrics:` binding must resolve against the trace's columns.
fn check_metric_bindings(
    raw: &ScenarioFile,
    doc: &Document<'_>,
    trace: &Trace,
) -> Result<(), Error> {
    let columns: Vec<String> = trace.columns.iter().map(|c| c.name.clone()).collect();
    for (name, b) in &raw.metrics {
        b.resolve(name, &columns, BackendKind::Direct)
            .map_err(|m| doc.error_at_path(&format!("metrics.{name}"), m))?;
    }
    Ok(())
}

/// Pods, with gaps filled from the workload manifest (or one that came with the autoscalers).
fn resolve_pods(
    raw: &ScenarioFile,
    doc: &Document<'_>,
    base_dir: &Path,
    file: &Path,
    a: &mut ResolvedAutoscalers,
    warnings: &mut Vec<String>,
) -> Result<Pods, Error> {
    let p = &raw.pods;
    let template = pod_template(p, doc, base_dir, a)?;
    if let Some(t) = &template {
        for n in &t.notes {
            warnings.push(format!("{}: {n}", t.name));
        }
    }
    check_patches_used(&a.patches, &a.used, file)?;
    let t = template.clone().unwrap_or_default();
    let replicas = resolve_replicas(p, &t, doc)?;
    let cpu_request = nonneg(doc, "pods.cpu_request", p.cpu_request.or(t.cpu_request))?;
    let cpu_limit = nonneg(doc, "pods.cpu_limit", p.cpu_limit.or(t.cpu_limit))?;
    if cpu_limit == Some(0.0) {
        return Err(doc
            .error_at_path(
                "pods.cpu_limit",
                "a CPU limit of 0 would never run anything",
            )
            .into());
    }
    let memory_request = nonneg(
        doc,
        "pods.memory_request",
        p.memory_request.or(t.memory_request),
    )?;
    let memory_baseline = nonneg(doc, "pods.memory_baseline", p.memory_baseline)?.unwrap_or(0.0);
    let readiness = resolve_readiness(p, &t, doc)?;
    let (startup_cpu, warmup) = resolve_start_effects(p, doc)?;
    Ok(Pods {
        replicas,
        cpu_request,
        cpu_limit,
        memory_request,
        memory_baseline,
        startup: p.startup.unwrap_or(Dist::constant(30.0)),
        readiness,
        termination_grace: p
            .termination_grace
            .map(|s| s.0)
            .or(t.termination_grace)
            .unwrap_or(30.0),
        endpoint_delay: p.endpoint_delay.map(|s| s.0).unwrap_or(1.0),
        pre_stop: p.pre_stop.map(|s| s.0).or(t.pre_stop_sleep).unwrap_or(0.0),
        startup_cpu,
        warmup,
        template: with_request_overrides(template, p, cpu_request, memory_request, warnings),
    })
}

/// The workload manifest's pod facts: `pods.manifest`, else a workload that came with the
/// autoscalers (the HPA's target when there is one).
fn pod_template(
    p: &PodsSpec,
    doc: &Document<'_>,
    base_dir: &Path,
    a: &mut ResolvedAutoscalers,
) -> Result<Option<PodTemplateFacts>, Error> {
    Ok(match &p.manifest {
        Some(m) => Some(read_workload_manifest(
            &{
                let path = base_dir.join(m);
                check_referenced(doc, "pods.manifest", &path)?;
                path
            },
            &a.patches,
            &mut a.used,
        )?),
        None => {
            let target = a
                .autoscalers
                .hpas
                .first()
                .map(|h| h.scale_target_ref.name.clone());
            a.autoscalers
                .workloads
                .iter()
                .find(|w| target.as_deref().is_none_or(|t| t == w.name))
                .cloned()
        }
    })
}

/// Every manifest override (sweeps) must have found its manifest.
fn check_patches_used(patches: &[patch::Patch], used: &[bool], file: &Path) -> Result<(), Error> {
    let Some(i) = used.iter().position(|u| !u) else {
        return Ok(());
    };
    let p = &patches[i];
    let what = match &p.target {
        patch::PatchTarget::Manifest {
            kind,
            name: Some(n),
        } => format!("{kind} {n:?}"),
        patch::PatchTarget::Manifest { kind, name: None } => kind.clone(),
        patch::PatchTarget::Scenario => "scenario".into(),
    };
    Err(InputError::new(
        Location::file(file),
        format!(
            "override of `{}`: no {what} among the scenario's manifests",
            p.path
        ),
    )
    .into())
}

/// `pods.replicas` (or the manifest's): the initial pods, Ready at t = 0.
fn resolve_replicas(p: &PodsSpec, t: &PodTemplateFacts, doc: &Document<'_>) -> Result<i32, Error> {
    let replicas = match (p.replicas, t.replicas) {
        (Some(r), _) => r,
        (None, Some(r)) => r as i64,
        (None, None) => {
            return Err(doc
                .error_at_path(
                    "pods.replicas",
                    "missing `replicas` (the initial number of pods)",
                )
                .into());
        }
    };
    if replicas < 0 {
        return Err(doc
            .error_at_path(
                "pods.replicas",
                format!("replicas must be zero or more, got {replicas}"),
            )
            .into());
    }
    if replicas > crate::limits::MAX_REPLICAS {
        return Err(doc
            .error_at_path(
                "pods.replicas",
                format!(
                    "{replicas} replicas is beyond what scalesim simulates ({}; see docs/limits.md)",
                    crate::limits::MAX_REPLICAS
                ),
            )
            .into());
    }
    Ok(replicas as i32)
}

/// The readiness probe's timing: the scenario's, else the manifest's, else Kubernetes' defaults.
fn resolve_readiness(
    p: &PodsSpec,
    t: &PodTemplateFacts,
    doc: &Document<'_>,
) -> Result<Readiness, Error> {
    let rs = p.readiness.clone().unwrap_or_default();
    let tr = t.readiness.unwrap_or_default();
    let readiness = Readiness {
        initial_delay: rs
            .initial_delay
            .map(|s| s.0)
            .or(tr.initial_delay)
            .unwrap_or(0.0),
        period: rs.period.map(|s| s.0).or(tr.period).unwrap_or(10.0),
        success_threshold: rs.success_threshold.or(tr.success_threshold).unwrap_or(1),
        failure_threshold: rs.failure_threshold.or(tr.failure_threshold).unwrap_or(3),
    };
    if readiness.period <= 0.0 {
        return Err(doc
            .error_at_path(
                "pods.readiness.period",
                "the probe period must be above zero",
            )
            .into());
    }
    if readiness.success_threshold == 0 || readiness.failure_threshold == 0 {
        return Err(doc
            .error_at_path("pods.readiness", "probe thresholds must be at least 1")
            .into());
    }
    Ok(readiness)
}

/// A pod's start-up effects: (cores, seconds) of its CPU burst, (speed, seconds) of its warm-up.
type StartEffects = ((f64, f64), (f64, f64));

/// `pods.startup_cpu` as (cores, seconds) and `pods.warmup` as (speed, seconds).
fn resolve_start_effects(p: &PodsSpec, doc: &Document<'_>) -> Result<StartEffects, Error> {
    let startup_cpu = match &p.startup_cpu {
        Some(b) if b.cores.milli < 0 => {
            return Err(doc
                .error_at_path("pods.startup_cpu.cores", "must be zero or more")
                .into());
        }
        Some(b) => (b.cores.as_f64(), b.duration.0),
        None => (0.0, 0.0),
    };
    let warmup = match &p.warmup {
        Some(w) if !(w.speed > 0.0 && w.speed <= 1.0) => {
            return Err(doc
                .error_at_path(
                    "pods.warmup.speed",
                    format!("{} is not a speed factor in (0, 1]", w.speed),
                )
                .into());
        }
        Some(w) => (w.speed, w.duration.0),
        None => (1.0, 0.0),
    };
    Ok((startup_cpu, warmup))
}

/// The flow-level model's coarse spots this run uses, as one warning (none when it uses none).
fn fluid_approximation_warning(nodes: bool, overload: &overload::Overload) -> Option<String> {
    let approximate: Vec<&str> = [
        (nodes, "nodes sharing CPU"),
        (overload.max_queue.is_some(), "a pod queue cap (503)"),
        (overload.retries.is_some(), "client retries"),
        (overload.liveness.is_some(), "liveness restarts"),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    (!approximate.is_empty()).then(|| {
        format!(
            "the flow-level model approximates {} coarsely (backlog and latency can be 25 % off request level): confirm the runs that matter with `--fidelity request`",
            approximate.join(", ")
        )
    })
}

/// `workload.max_queue`, `workload.retries`, `pods.liveness`, `pods.cpu_cfs`/`cfs_period`.
fn resolve_overload(
    raw: &ScenarioFile,
    pods: &Pods,
    doc: &Document<'_>,
    warnings: &mut Vec<String>,
) -> Result<overload::Overload, InputError> {
    let w = &raw.workload;
    let queue = w.kind == WorkloadKind::Queue;
    if queue && w.max_queue.is_some() {
        return Err(doc.error_at_path(
            "workload.max_queue",
            "a pod queue cap applies to http workloads (a queue workload's backlog is shared)",
        ));
    }
    if queue && w.retries.is_some() {
        return Err(doc.error_at_path(
            "workload.retries",
            "client retries apply to http workloads (a queue redelivers its messages itself)",
        ));
    }
    let retries = match &w.retries {
        Some(r) => Some(
            overload::Retries::resolve(r)
                .map_err(|(field, m)| doc.error_at_path(&format!("workload.retries.{field}"), m))?,
        ),
        None => None,
    };
    if let Some(r) = &retries
        && r.on_timeout
        && w.timeout.is_none()
    {
        warnings.push(
            "workload.retries retries on timeout, but workload.timeout is not set: no attempt ever times out".into(),
        );
    }
    let liveness = resolve_liveness(raw, pods, doc)?;
    let cfs_period = resolve_cfs_period(raw, pods, doc, warnings)?;
    Ok(overload::Overload {
        max_queue: w.max_queue,
        retries,
        liveness,
        cfs_period,
    })
}

/// `pods.liveness` (or the manifest's livenessProbe) after defaults.
fn resolve_liveness(
    raw: &ScenarioFile,
    pods: &Pods,
    doc: &Document<'_>,
) -> Result<Option<overload::Liveness>, InputError> {
    let manifest_liveness = pods.template.as_ref().and_then(|t| t.liveness);
    // As the kubelet does: a manifest's livenessProbe runs unless the scenario turns it off.
    let spec = match (&raw.pods.liveness, manifest_liveness) {
        (Some(l), _) if l.enabled == Some(false) => None,
        (Some(l), _) => Some(l.clone()),
        (None, Some(_)) => Some(overload::LivenessSpec::default()),
        (None, None) => None,
    };
    Ok(match &spec {
        Some(l) => {
            let m = manifest_liveness.unwrap_or_default();
            let lv = overload::Liveness {
                initial_delay: l
                    .initial_delay
                    .map(|s| s.0)
                    .or(m.initial_delay)
                    .unwrap_or(0.0),
                period: l.period.map(|s| s.0).or(m.period).unwrap_or(10.0),
                timeout: l.timeout.map(|s| s.0).or(m.timeout).unwrap_or(1.0),
                failure_threshold: l.failure_threshold.or(m.failure_threshold).unwrap_or(3),
            };
            if !(lv.period > 0.0) {
                return Err(doc.error_at_path(
                    "pods.liveness.period",
                    "the probe period must be above zero",
                ));
            }
            if !(lv.timeout > 0.0) {
                return Err(doc.error_at_path(
                    "pods.liveness.timeout",
                    "the probe timeout must be above zero",
                ));
            }
            if lv.failure_threshold == 0 {
                return Err(
                    doc.error_at_path("pods.liveness.failure_threshold", "must be at least 1")
                );
            }
            Some(lv)
        }
        None => None,
    })
}

/// The CFS quota period in force: `pods.cfs_period` when `pods.cpu_cfs` is on and the pods
/// have a CPU limit.
fn resolve_cfs_period(
    raw: &ScenarioFile,
    pods: &Pods,
    doc: &Document<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<f64>, InputError> {
    // On by default, as the kubelet's `cpuCFSQuota: true`: a CPU limit is a quota per period.
    let cfs_on = raw.pods.cpu_cfs.unwrap_or(true);
    let period = match raw.pods.cfs_period {
        Some(p) if !(p.0 >= 0.001 && p.0 <= 1.0) => {
            return Err(doc.error_at_path(
                "pods.cfs_period",
                "the CFS period must be between 1ms and 1s (the kernel's bounds)",
            ));
        }
        Some(p) => p.0,
        None => overload::DEFAULT_CFS_PERIOD,
    };
    if raw.pods.cfs_period.is_some() && !cfs_on {
        warnings.push("pods.cfs_period has no effect with `pods.cpu_cfs: false`".into());
    }
    Ok(if cfs_on {
        if pods.cpu_limit.is_none() {
            if raw.pods.cpu_cfs == Some(true) {
                warnings.push(
                    "pods.cpu_cfs: the pods have no CPU limit, so no CFS quota applies".into(),
                );
            }
            None
        } else {
            Some(period)
        }
    } else {
        None
    })
}

/// A `pods.cpu_request` / `pods.memory_request` written in the scenario overrides the workload
/// manifest's requests everywhere, the HPA included: its containers' requests (and pod-level
/// ones) are replaced by one container carrying the override, and a warning says so.
fn with_request_overrides(
    template: Option<PodTemplateFacts>,
    p: &PodsSpec,
    cpu_request: Option<f64>,
    memory_request: Option<f64>,
    warnings: &mut Vec<String>,
) -> Option<PodTemplateFacts> {
    let mut t = template?;
    if p.cpu_request.is_none() && p.memory_request.is_none() {
        return Some(t);
    }
    let changes = |q: Option<Quantity>, v: Option<f64>| v.is_some() && q.map(|q| q.as_f64()) != v;
    if !changes(t.cpu_request, cpu_request) && !changes(t.memory_request, memory_request) {
        return Some(t);
    }
    let name = t
        .containers
        .iter()
        .find(|c| !c.sidecar)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    warnings.push(format!(
        "pods.cpu_request/memory_request override the requests of {} {:?}: the HPA sees one container {name:?} requesting them",
        t.kind, t.name
    ));
    t.containers = vec![ContainerFacts {
        name,
        cpu_request: cpu_request.map(Quantity::from_f64),
        memory_request: memory_request.map(Quantity::from_f64),
        sidecar: false,
    }];
    t.pod_requests = None;
    Some(t)
}

/// `cluster.nodes` / `cluster.node_pools` and `cluster.node_autoscaler`.
fn resolve_nodes(
    raw: &ScenarioFile,
    pods: &Pods,
    doc: &Document<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<nodes::Cluster>, InputError> {
    let c = &raw.cluster;
    let Some(specs) = node_pool_specs(c, doc)? else {
        return Ok(None);
    };
    let autoscaler = nodes::resolve_autoscaler(c.node_autoscaler.as_ref())
        .map_err(|(field, m)| doc.error_at_path(&format!("cluster.node_autoscaler.{field}"), m))?;
    let pod_cpu = pods.cpu_request.or(pods.cpu_limit).unwrap_or(0.0);
    let pod_memory = pods
        .memory_request
        .or(pods
            .template
            .as_ref()
            .and_then(|t| t.memory_limit.map(|q| q.as_f64())))
        .unwrap_or(0.0);
    if pod_cpu == 0.0 && pod_memory == 0.0 {
        warnings.push("cluster.nodes: the pods request no CPU or memory, so only max_pods limits how many fit on a node".into());
    }
    let mut pools = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (path, index, spec) in &specs {
        let pool = nodes::resolve_pool(spec, *index, &autoscaler)
            .map_err(|(field, m)| doc.error_at_path(&format!("{path}.{field}"), m))?;
        if !names.insert(pool.name.clone()) {
            return Err(doc.error_at_path(
                &format!("{path}.name"),
                format!("two pools are named {:?}", pool.name),
            ));
        }
        if pool.pods_per_node(pod_cpu, pod_memory) == 0 {
            warnings.push(format!(
                "{path}: a pod (requests {} cores, {} bytes) fits on no node of pool {:?}: it stays Pending there",
                pod_cpu, pod_memory, pool.name
            ));
        }
        pools.push(pool);
    }
    set_initial_nodes(
        &specs,
        &mut pools,
        pods.replicas,
        (pod_cpu, pod_memory),
        doc,
    )?;
    let room: u64 = pools
        .iter()
        .map(|p| p.initial as u64 * p.pods_per_node(pod_cpu, pod_memory).min(1_000_000) as u64)
        .sum();
    if (pods.replicas.max(0) as u64) > room {
        warnings.push(format!(
            "cluster.nodes: the initial nodes hold {room} of the {} initial pods; the rest start Pending",
            pods.replicas
        ));
    }
    Ok(Some(nodes::Cluster {
        pools,
        autoscaler,
        pod_cpu,
        pod_memory,
    }))
}

/// A node pool as written, with its field path and index (None for `cluster.nodes`).
type PoolSpecAt<'a> = (String, Option<usize>, &'a nodes::NodePoolSpec);

/// The node pools written (`cluster.nodes` or `cluster.node_pools`); None for an infinite
/// cluster.
fn node_pool_specs<'a>(
    c: &'a ClusterSpec,
    doc: &Document<'_>,
) -> Result<Option<Vec<PoolSpecAt<'a>>>, InputError> {
    Ok(Some(match (&c.nodes, &c.node_pools) {
        (Some(_), Some(_)) => {
            return Err(doc.error_at_path(
                "cluster.node_pools",
                "give either `cluster.nodes` (one pool) or `cluster.node_pools`, not both",
            ));
        }
        (Some(n), None) => vec![("cluster.nodes".into(), None, n)],
        (None, Some(list)) if list.is_empty() => {
            return Err(doc.error_at_path("cluster.node_pools", "give at least one node pool"));
        }
        (None, Some(list)) => list
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("cluster.node_pools[{i}]"), Some(i), n))
            .collect(),
        (None, None) => {
            if c.node_autoscaler.is_some() {
                return Err(doc.error_at_path(
                    "cluster.node_autoscaler",
                    "a node autoscaler needs nodes: add `cluster.nodes`",
                ));
            }
            return Ok(None);
        }
    }))
}

/// Initial nodes: as given; otherwise the first pool holds the initial pods.
fn set_initial_nodes(
    specs: &[PoolSpecAt<'_>],
    pools: &mut [nodes::NodePool],
    replicas: i32,
    (pod_cpu, pod_memory): (f64, f64),
    doc: &Document<'_>,
) -> Result<(), InputError> {
    for (i, (path, _, spec)) in specs.iter().enumerate() {
        let p = &mut pools[i];
        p.initial = match spec.initial {
            Some(n) => n,
            None if i == 0 => {
                let per = p.pods_per_node(pod_cpu, pod_memory).max(1);
                (replicas.max(0) as u32).div_ceil(per).max(p.min)
            }
            None => p.min,
        };
        if p.initial < p.min || p.initial > p.max {
            return Err(doc.error_at_path(
                &format!("{path}.initial"),
                format!(
                    "{} initial nodes is outside min {} .. max {}",
                    p.initial,
                    p.min,
                    if p.max == u32::MAX {
                        "∞".to_string()
                    } else {
                        p.max.to_string()
                    }
                ),
            ));
        }
    }
    Ok(())
}

fn nonneg(doc: &Document<'_>, field: &str, q: Option<Quantity>) -> Result<Option<f64>, InputError> {
    match q {
        Some(q) if q.milli < 0 => Err(doc.error_at_path(field, format!("{q} is negative"))),
        Some(q) => Ok(Some(q.as_f64())),
        None => Ok(None),
    }
}

fn positive(doc: &Document<'_>, field: &str, v: f64) -> Result<f64, InputError> {
    if v > 0.0 {
        Ok(v)
    } else {
        Err(doc.error_at_path(field, "must be above zero"))
    }
}

/// Read the first Deployment/StatefulSet-like object of a workload manifest file.
fn read_workload_manifest(
    path: &Path,
    patches: &[patch::Patch],
    used: &mut [bool],
) -> Result<PodTemplateFacts, InputError> {
    let source = manifest::read_source(path)?;
    let docs = manifest::documents(&source)?;
    for (h, d) in &docs {
        if matches!(
            h.kind.as_str(),
            "Deployment" | "StatefulSet" | "ReplicaSet" | "Rollout"
        ) {
            return match patch::patch_document(d, &h.kind, &h.name, patches, used)? {
                Some(src) => manifest::deployment::parse(&Document {
                    source: &src,
                    index: 0,
                    line_offset: 0,
                    text: &src.text,
                }),
                None => manifest::deployment::parse(d),
            };
        }
    }
    Err(InputError::new(
        Location::file(path),
        "no Deployment, StatefulSet, ReplicaSet or Rollout in this manifest",
    ))
}
