//! A scenario built from a user's manifests and a trace alone: what `scalesim run --manifest …
//! --trace …` simulates and what `scalesim init` writes down (see `docs/your-service.md`).
//!
//! The manifests say most of it: the autoscaler (its name names the run), the workload kind (a
//! queue scaler means a shared backlog, anything else HTTP), and — when the scale target's
//! Deployment/StatefulSet is among them — requests, limits, probes and replicas, which the
//! scenario loader reads from it. What no manifest says (service time, concurrency, start-up;
//! requests when there is no Deployment) is assumed, and every assumption is returned as a
//! note saying what was assumed and how to measure the real value. The scenario is YAML text
//! with a comment on every value saying where it came from, so the run and the written file are
//! the same scenario byte for byte.

use crate::error::{Error, InputError, Location};
use crate::manifest;
use crate::yaml::Source;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the user gave on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct ComposeInput {
    /// Manifest files (`-` for standard input), as given.
    pub(crate) manifests: Vec<PathBuf>,
    /// The load trace, as given.
    pub(crate) trace: PathBuf,
    /// `--service-time` (a duration such as `80ms`), else assumed.
    pub(crate) service_time: Option<String>,
    /// `--concurrency`, else assumed 1.
    pub(crate) concurrency: Option<u32>,
    /// `--workload`, else from the autoscaler's triggers.
    pub(crate) workload: Option<WorkloadKind>,
    /// `--duration`, else the trace's span.
    pub(crate) duration: Option<String>,
    /// A calibration fragment (`calibrate`'s `calibration.yaml`): its `workload:` and `pods:`
    /// values replace the assumptions.
    pub(crate) calibration: Option<PathBuf>,
    /// `--target`: the workload to simulate when the manifests autoscale several (by the name
    /// their autoscalers' `scaleTargetRef` gives it, or a ScaledJob's name); else the first.
    pub(crate) target: Option<String>,
}

/// The two workload kinds a one-command run can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkloadKind {
    Http,
    Queue,
}

impl WorkloadKind {
    fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Http => "http",
            WorkloadKind::Queue => "queue",
        }
    }
}

/// Whether `bytes` are a scenario [`compose`] wrote (so `init -o` may replace it).
pub(crate) fn is_own(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER_START.as_bytes())
}

const HEADER_START: &str = "# The scenario `scalesim run --manifest";

/// The composed scenario: its name, YAML text, and the values that had to be assumed.
#[derive(Debug, Clone)]
pub(crate) struct Composed {
    pub(crate) name: String,
    pub(crate) yaml: String,
    pub(crate) assumptions: Vec<String>,
}

/// KEDA trigger types whose metric is a backlog of messages pulled by workers: with one of
/// these the workload is a shared queue.
const QUEUE_TRIGGERS: &[&str] = &[
    "activemq",
    "apache-kafka",
    "artemis-queue",
    "aws-kinesis-stream",
    "aws-sqs-queue",
    "azure-eventhub",
    "azure-queue",
    "azure-servicebus",
    "beanstalkd",
    "gcp-cloudtasks",
    "gcp-pubsub",
    "ibmmq",
    "kafka",
    "liiklus",
    "nats-jetstream",
    "pulsar",
    "rabbitmq",
    "redis",
    "redis-cluster",
    "redis-sentinel",
    "redis-streams",
    "redis-cluster-streams",
    "redis-sentinel-streams",
    "solace-event-queue",
    "stan",
];

/// One autoscaler in the manifests: kind, name, the workload it scales, and its document.
#[derive(Debug)]
struct AutoscalerDoc {
    kind: String,
    name: String,
    scales: String,
    value: serde_json::Value,
}

/// What the manifests tell about the service.
#[derive(Debug, Default)]
struct Found {
    /// Kind and name of the autoscaler simulated (ScaledObject, ScaledJob, HPA).
    autoscaler: Option<(String, String)>,
    /// The workloads the manifests' autoscalers scale, in order, when there are several: the
    /// scenario then names the simulated one (`autoscaler.target`).
    workloads_scaled: Vec<String>,
    /// The workload the simulated autoscaler scales (a ScaledJob: its own name).
    scales: Option<String>,
    target: Option<String>,
    trigger_types: Vec<String>,
    min_replicas: Option<u64>,
    /// The scale target's workload is among the manifests; with `spec.replicas` or not.
    workload: Option<WorkloadDoc>,
    uses_cpu: bool,
    uses_memory: bool,
}

#[derive(Debug)]
struct WorkloadDoc {
    kind: String,
    has_replicas: bool,
    has_cpu_request: bool,
    has_memory_request: bool,
}

/// Build the scenario for these inputs. `base` is the folder the scenario's paths are relative
/// to (the current folder for a run, the written file's folder for `init`).
pub(crate) fn compose(input: &ComposeInput, base: &Path) -> Result<Composed, Error> {
    if input.manifests.is_empty() {
        return Err(usage(
            "give the autoscaler with --manifest FILE (a ScaledObject, ScaledJob or HPA)",
        ));
    }
    let found = inspect(&input.manifests, input.target.as_deref())?;
    let Some((kind, name)) = found.autoscaler.clone() else {
        let files: Vec<String> = input
            .manifests
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        return Err(InputError::in_file(
            files.join(", "),
            "no ScaledObject, ScaledJob or HorizontalPodAutoscaler in these manifests: a one-command run simulates one of them",
        )
        .into());
    };
    let calibration = match &input.calibration {
        Some(p) => Some(Calibration::read(p)?),
        None => None,
    };
    let mut w = Writer::default();
    w.header(&kind, &name, input);
    w.line(
        &format!("name: {}", crate::yaml::scalar(&name)),
        &format!("the {kind}'s name"),
    );
    if let Some(d) = &input.duration {
        w.line(
            &format!("duration: {}", crate::yaml::scalar(d)),
            "--duration",
        );
    }
    w.plain("trace:");
    w.line(
        &format!(
            "  file: {}",
            crate::yaml::scalar(&relative(&input.trace, base))
        ),
        "--trace",
    );
    write_workload(&mut w, input, &found, calibration.as_ref());
    write_pods(&mut w, &found, calibration.as_ref());
    w.plain("autoscaler:");
    w.plain("  manifests:");
    for m in input.manifests.iter().filter(|m| m.as_os_str() != "-") {
        w.line(
            &format!("  - {}", crate::yaml::scalar(&relative(m, base))),
            "--manifest",
        );
    }
    if input.manifests.iter().all(|m| m.as_os_str() == "-") {
        w.plain("  []  # standard input (--manifest -) is added on the command line");
    }
    write_target(&mut w, input, &found);
    Ok(Composed {
        name,
        yaml: w.text,
        assumptions: w.assumptions,
    })
}

/// With autoscalers of several workloads, name the one simulated (`autoscaler.target`).
fn write_target(w: &mut Writer, input: &ComposeInput, found: &Found) {
    let (Some(target), [_, _, ..]) = (&found.scales, found.workloads_scaled.as_slice()) else {
        return;
    };
    let others: Vec<&str> = (found.workloads_scaled.iter())
        .filter(|s| *s != target)
        .map(String::as_str)
        .collect();
    let line = format!("  target: {}", crate::yaml::scalar(target));
    let why = format!("the others ({}) are not simulated", others.join(", "));
    match &input.target {
        Some(_) => w.line(&line, &format!("--target; {why}")),
        None => w.assumed(
            &line,
            &format!("the workload simulated is {target:?}, the first autoscaler's ({why})"),
            "--target NAME simulates another",
        ),
    }
}

fn write_workload(w: &mut Writer, input: &ComposeInput, found: &Found, cal: Option<&Calibration>) {
    w.plain("workload:");
    let (kind, why) = match input.workload {
        Some(k) => (k, "--workload".to_string()),
        None => match found
            .trigger_types
            .iter()
            .find(|t| QUEUE_TRIGGERS.contains(&t.as_str()))
        {
            Some(t) => (
                WorkloadKind::Queue,
                format!("the {t} trigger reads a queue"),
            ),
            None if found
                .autoscaler
                .as_ref()
                .is_some_and(|(k, _)| k == "ScaledJob") =>
            {
                (
                    WorkloadKind::Queue,
                    "a ScaledJob's jobs take work from a queue".into(),
                )
            }
            None => (
                WorkloadKind::Http,
                "no queue trigger: requests served by the pods".into(),
            ),
        },
    };
    w.line(&format!("  kind: {}", kind.as_str()), &why);
    let unit = if kind == WorkloadKind::Queue {
        "message"
    } else {
        "request"
    };
    match (&input.service_time, cal.and_then(|c| c.workload_line("service_time"))) {
        (Some(s), _) => w.line(&format!("  service_time: {}", crate::yaml::scalar(s)), "--service-time"),
        (None, Some(l)) => w.line(&format!("  service_time: {l}"), &cal_note(cal)),
        (None, None) => w.assumed(
            "  service_time: {dist: exponential, mean: 100ms}",
            &format!("service time per {unit}: 100 ms (exponential)"),
            "measure it (p50 latency at low load) and pass --service-time, or fit it with `scalesim calibrate`",
        ),
    }
    match (
        input.concurrency,
        cal.and_then(|c| c.workload_line("concurrency")),
    ) {
        (Some(c), _) => w.line(&format!("  concurrency: {c}"), "--concurrency"),
        (None, Some(l)) => w.line(&format!("  concurrency: {l}"), &cal_note(cal)),
        (None, None) => w.assumed(
            "  concurrency: 1",
            &format!("{unit}s in service at once per pod: 1"),
            "pass --concurrency N (worker threads, or the server's request concurrency)",
        ),
    }
    match cal.and_then(|c| c.workload_line("cpu_per_request")) {
        Some(l) => w.line(&format!("  cpu_per_request: {l}"), &cal_note(cal)),
        None => w.note_only(
            &format!("CPU per {unit}: the service time at one full core (the scenario default)"),
            "fit it from your CPU and request-rate series with `scalesim calibrate`",
        ),
    }
}

fn write_pods(w: &mut Writer, found: &Found, cal: Option<&Calibration>) {
    w.plain("pods:");
    match &found.workload {
        Some(d) if d.has_replicas => {}
        Some(d) => w.line(
            "  replicas: 1",
            &format!("the {} sets no spec.replicas: Kubernetes' default", d.kind),
        ),
        None => {
            let n = found.min_replicas.unwrap_or(1).max(1);
            w.assumed(
                &format!("  replicas: {n}"),
                &format!("no Deployment for {} among the manifests: {n} pod(s) running at the start", found.target.as_deref().unwrap_or("the scale target")),
                "pass the Deployment with another --manifest so requests, probes and replicas come from it",
            );
        }
    }
    let has = |f: fn(&WorkloadDoc) -> bool| found.workload.as_ref().is_some_and(f);
    if found.uses_cpu && !has(|d| d.has_cpu_request) {
        w.assumed(
            "  cpu_request: 500m",
            "CPU request 500m (a CPU trigger divides usage by it)",
            "pass the Deployment with --manifest, or set pods.cpu_request",
        );
    }
    if found.uses_memory && !has(|d| d.has_memory_request) {
        w.assumed(
            "  memory_request: 256Mi",
            "memory request 256Mi (a memory trigger divides usage by it)",
            "pass the Deployment with --manifest, or set pods.memory_request",
        );
    }
    match cal.and_then(|c| c.pods_line("startup")) {
        Some(l) => w.line(&format!("  startup: {l}"), &cal_note(cal)),
        None => w.assumed(
            "  startup: 30s",
            "pod start-up (created → container running): 30 s",
            "fit it from your desired and Ready replica series with `scalesim calibrate`",
        ),
    }
    if let Some(c) = cal {
        for (key, value) in &c.pods {
            if key != "startup" {
                w.line(&format!("  {key}: {value}"), &cal_note(cal));
            }
        }
    }
}

fn cal_note(cal: Option<&Calibration>) -> String {
    match cal {
        Some(c) => format!("from calibration {}", c.file),
        None => String::new(),
    }
}

/// Read every manifest and gather what the scenario needs.
fn inspect(paths: &[PathBuf], target: Option<&str>) -> Result<Found, Error> {
    let mut found = Found::default();
    let mut autoscalers: Vec<AutoscalerDoc> = Vec::new();
    let mut workloads: Vec<(String, String, serde_json::Value)> = Vec::new();
    for p in paths {
        let source = manifest::read_source(p)?;
        for (h, doc) in manifest::documents(&source)? {
            let Ok(v) = doc.value() else { continue };
            match h.kind.as_str() {
                "ScaledObject" | "ScaledJob" | "HorizontalPodAutoscaler" => {
                    autoscalers.push(autoscaler_doc(h.kind, h.name, v))
                }
                "Deployment" | "StatefulSet" | "Job" => workloads.push((h.kind, h.name, v)),
                _ => {}
            }
        }
    }
    found.workloads_scaled = workloads_scaled(&autoscalers);
    if let Some(a) = choose_autoscaler(&autoscalers, target, &found.workloads_scaled)? {
        found.autoscaler = Some((a.kind.clone(), a.name.clone()));
        found.scales = Some(a.scales.clone());
        read_autoscaler(&a.kind, &a.value, &mut found);
    }
    let target = found.target.clone();
    let doc = workloads
        .iter()
        .find(|(_, n, _)| Some(n) == target.as_ref())
        .or_else(|| workloads.first().filter(|_| target.is_none()));
    found.workload = doc.map(|(kind, _, v)| WorkloadDoc {
        kind: kind.clone(),
        has_replicas: v.pointer("/spec/replicas").is_some(),
        has_cpu_request: has_request(v, "cpu"),
        has_memory_request: has_request(v, "memory"),
    });
    Ok(found)
}

fn autoscaler_doc(kind: String, name: String, value: serde_json::Value) -> AutoscalerDoc {
    let scales = match kind.as_str() {
        "ScaledJob" => name.clone(),
        _ => (value.pointer("/spec/scaleTargetRef/name"))
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string(),
    };
    AutoscalerDoc {
        kind,
        name,
        scales,
        value,
    }
}

/// The workloads the autoscalers scale, each once, in the order they first appear.
fn workloads_scaled(all: &[AutoscalerDoc]) -> Vec<String> {
    let mut scaled: Vec<String> = Vec::new();
    for a in all {
        if !scaled.contains(&a.scales) {
            scaled.push(a.scales.clone());
        }
    }
    scaled
}

/// The autoscaler of the workload named `target` (`--target`), else the first one. `scaled`
/// (the workloads there are) names the choices when `target` is none of them.
fn choose_autoscaler<'a>(
    all: &'a [AutoscalerDoc],
    target: Option<&str>,
    scaled: &[String],
) -> Result<Option<&'a AutoscalerDoc>, Error> {
    let Some(t) = target else {
        return Ok(all.first());
    };
    match all.iter().find(|a| a.scales == t) {
        Some(a) => Ok(Some(a)),
        None if scaled.is_empty() => Err(usage(&format!(
            "--target {t}: no autoscaler in these manifests scales it; they scale nothing"
        ))),
        None => {
            let names: Vec<String> = scaled.iter().map(|n| format!("{n:?}")).collect();
            Err(usage(&format!(
                "--target {t}: no autoscaler in these manifests scales it; they scale {}",
                names.join(", ")
            )))
        }
    }
}

fn read_autoscaler(kind: &str, v: &serde_json::Value, found: &mut Found) {
    let spec = &v["spec"];
    found.target = spec
        .pointer("/scaleTargetRef/name")
        .and_then(|n| n.as_str())
        .map(String::from);
    if kind == "HorizontalPodAutoscaler" {
        found.min_replicas = spec["minReplicas"].as_u64();
        for m in spec["metrics"].as_array().into_iter().flatten() {
            let name = m
                .pointer("/resource/name")
                .or_else(|| m.pointer("/containerResource/name"));
            match name.and_then(|n| n.as_str()) {
                Some("cpu") => found.uses_cpu = true,
                Some("memory") => found.uses_memory = true,
                _ => {}
            }
        }
        if spec.get("metrics").is_none() {
            found.uses_cpu = true; // autoscaling/v1 and an empty v2 list default to 80 % CPU
        }
        return;
    }
    found.min_replicas = spec["minReplicaCount"].as_u64();
    for t in spec["triggers"].as_array().into_iter().flatten() {
        let ty = t["type"].as_str().unwrap_or_default().to_string();
        found.uses_cpu |= ty == "cpu";
        found.uses_memory |= ty == "memory";
        found.trigger_types.push(ty);
    }
}

/// Whether every container of a pod template requests `resource` (or the pod does).
fn has_request(v: &serde_json::Value, resource: &str) -> bool {
    let pod = v
        .pointer("/spec/template/spec")
        .or_else(|| v.pointer("/spec/jobTemplate/spec/template/spec"));
    let Some(pod) = pod else { return false };
    if pod
        .pointer(&format!("/resources/requests/{resource}"))
        .is_some()
    {
        return true;
    }
    let containers = pod["containers"].as_array();
    containers.is_some_and(|cs| {
        !cs.is_empty()
            && cs.iter().all(|c| {
                c.pointer(&format!("/resources/requests/{resource}"))
                    .is_some()
                    || c.pointer(&format!("/resources/limits/{resource}"))
                        .is_some()
            })
    })
}

/// A calibration fragment's `workload:` and `pods:` values, as YAML flow text.
#[derive(Debug, Default)]
struct Calibration {
    file: String,
    workload: Vec<(String, String)>,
    pods: Vec<(String, String)>,
}

impl Calibration {
    fn read(path: &Path) -> Result<Calibration, Error> {
        let source = Source::read(path)?;
        let v: serde_json::Value = crate::yaml::parse(&source)?;
        let section = |key: &str| -> Vec<(String, String)> {
            v[key]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, val)| (k.clone(), flow_yaml(val)))
                .collect()
        };
        let cal = Calibration {
            file: file_name(path),
            workload: section("workload"),
            pods: section("pods"),
        };
        if cal.workload.is_empty() && cal.pods.is_empty() {
            return Err(InputError::in_file(
                path,
                "not a calibration: no `workload:` or `pods:` values (write one with `scalesim calibrate`)",
            )
            .into());
        }
        Ok(cal)
    }

    fn workload_line(&self, key: &str) -> Option<String> {
        self.workload
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn pods_line(&self, key: &str) -> Option<String> {
        self.pods
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

/// A JSON value as one line of YAML flow syntax.
fn flow_yaml(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => crate::yaml::scalar(s),
        serde_json::Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow_yaml(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        serde_json::Value::Array(a) => {
            let inner: Vec<String> = a.iter().map(flow_yaml).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// The scenario text under construction, with the assumptions said aloud.
#[derive(Default)]
struct Writer {
    text: String,
    assumptions: Vec<String>,
}

impl Writer {
    fn header(&mut self, kind: &str, name: &str, input: &ComposeInput) {
        let trace = file_name(&input.trace);
        let _ = writeln!(
            self.text,
            "# The scenario `scalesim run --manifest … --trace {trace}` simulates for {kind} {name}.\n\
             # Written by `scalesim init`: every value says where it came from; edit the assumed\n\
             # ones to what your service measures (see docs/scenario.md for every key)."
        );
    }

    fn plain(&mut self, line: &str) {
        let _ = writeln!(self.text, "{line}");
    }

    fn line(&mut self, line: &str, why: &str) {
        if why.is_empty() {
            self.plain(line);
        } else {
            let _ = writeln!(self.text, "{line:<44} # {why}");
        }
    }

    fn assumed(&mut self, line: &str, what: &str, how: &str) {
        self.line(line, &format!("ASSUMED: {how}"));
        self.assumptions.push(format!("assumed {what}; {how}"));
    }

    fn note_only(&mut self, what: &str, how: &str) {
        self.assumptions.push(format!("assumed {what}; {how}"));
    }
}

/// `path` relative to `base` when both are relative or both absolute and `path` lies below
/// `base`'s ancestors; otherwise as given.
fn relative(path: &Path, base: &Path) -> String {
    if base.as_os_str().is_empty() || base == Path::new(".") {
        return path.display().to_string();
    }
    let (abs_path, abs_base) = match (std::path::absolute(path), std::path::absolute(base)) {
        (Ok(p), Ok(b)) => (p, b),
        _ => return path.display().to_string(),
    };
    let p: Vec<_> = abs_path.components().collect();
    let b: Vec<_> = abs_base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return path.display().to_string();
    }
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &p[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Add a `metrics:` block (as the run's missing-metric error suggests it: `metrics:` then one
/// `  key: {signal: …}` line each) to a composed scenario, each binding marked as assumed.
pub(crate) fn add_bindings(composed: &mut Composed, snippet: &str) {
    let mut w = Writer {
        text: std::mem::take(&mut composed.yaml),
        assumptions: std::mem::take(&mut composed.assumptions),
    };
    w.plain("metrics:");
    for line in snippet.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let (key, signal) = line
            .trim()
            .split_once(": {signal: ")
            .map_or((line.trim(), "?"), |(k, v)| (k, v.trim_end_matches('}')));
        w.assumed(
            line,
            &format!("metric {key} measures the {}", signal.replace('_', " ")),
            "bind it to what its query measures in `metrics:` (docs/scenario.md, Metric bindings)",
        );
    }
    composed.yaml = w.text;
    composed.assumptions = w.assumptions;
}

/// How a composed scenario is named in messages (it has no file; its paths are relative to
/// the current folder, so the label holds no `/`).
pub(crate) fn label(name: &str) -> String {
    format!("({name}: the scenario built from --manifest and --trace)")
}

fn usage(message: &str) -> Error {
    InputError::new(Location::default(), message).into()
}

/// The error for a manifest given where a scenario file was expected, with the one-command form
/// to use instead; `None` when the text does not look like a Kubernetes object.
pub(crate) fn manifest_as_scenario(source: &Source) -> Option<InputError> {
    let docs = manifest::documents(source).ok()?;
    let is_object = |h: &manifest::Header| !h.kind.is_empty() && !h.api_version.is_empty();
    // A scenario file's first document is a scenario; a manifest file's is an object.
    let first = docs.iter().find(|(_, d)| !d.text.trim().is_empty())?;
    if !is_object(&first.0) {
        return None;
    }
    let objects: Vec<&manifest::Header> = docs
        .iter()
        .map(|(h, _)| h)
        .filter(|h| is_object(h))
        .collect();
    let autoscaler = objects.iter().find(|h| {
        matches!(
            h.kind.as_str(),
            "ScaledObject" | "ScaledJob" | "HorizontalPodAutoscaler"
        )
    });
    let h = *autoscaler.or(objects.first())?;
    let what = match h.kind.as_str() {
        "ScaledObject" | "ScaledJob" | "HorizontalPodAutoscaler" => format!("a {}", h.kind),
        other => format!("a Kubernetes {other}"),
    };
    let file = source.path.display();
    Some(InputError::in_file(
        &source.path,
        format!(
            "this is {what} ({}), not a scenario file. Simulate it in one command:\n  \
             scalesim run --manifest {file} --trace YOUR_TRACE.csv\n\
             (add the Deployment with another --manifest; `scalesim init --manifest {file} --trace …` \
             writes the scenario that run uses)",
            h.api_version
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn so(dir: &Path, trigger: &str, with_deploy: bool) -> PathBuf {
        let mut text = format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: worker}}\nspec:\n  \
             scaleTargetRef: {{name: worker}}\n  triggers:\n  - type: {trigger}\n    metadata: {{queueURL: q, queueLength: '5', awsRegion: eu-west-1, value: '60'}}\n"
        );
        if with_deploy {
            text.push_str(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: w\n        resources: {requests: {cpu: 250m}}\n",
            );
        }
        let p = dir.join("so.yaml");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn input(m: PathBuf) -> ComposeInput {
        ComposeInput {
            manifests: vec![m],
            trace: PathBuf::from("trace.csv"),
            ..Default::default()
        }
    }

    #[test]
    fn a_queue_trigger_makes_a_queue_workload_and_says_what_it_assumed() {
        let t = tempfile::tempdir().unwrap();
        let c = compose(&input(so(t.path(), "aws-sqs-queue", false)), t.path()).unwrap();
        assert_eq!(c.name, "worker");
        assert!(c.yaml.contains("kind: queue"), "{}", c.yaml);
        assert!(c.yaml.contains("replicas: 1"), "{}", c.yaml);
        assert!(c.assumptions.iter().any(|a| a.contains("service time")));
        assert!(c.assumptions.iter().any(|a| a.contains("no Deployment")));
    }

    #[test]
    fn a_cpu_trigger_with_its_deployment_needs_no_request_assumed() {
        let t = tempfile::tempdir().unwrap();
        let c = compose(&input(so(t.path(), "cpu", true)), t.path()).unwrap();
        assert!(c.yaml.contains("kind: http"), "{}", c.yaml);
        assert!(!c.yaml.contains("cpu_request"), "{}", c.yaml);
        assert!(!c.yaml.contains("replicas:"), "{}", c.yaml);
        let c = compose(&input(so(t.path(), "cpu", false)), t.path()).unwrap();
        assert!(c.yaml.contains("cpu_request: 500m"), "{}", c.yaml);
    }

    #[test]
    fn paths_are_relative_to_the_scenario_folder() {
        assert_eq!(relative(Path::new("a/b.yaml"), Path::new("")), "a/b.yaml");
        assert_eq!(relative(Path::new("a/b.yaml"), Path::new("a")), "b.yaml");
        assert_eq!(relative(Path::new("t.csv"), Path::new("out")), "../t.csv");
    }

    /// Regression: the names a bad `--target` is offered were deduplicated only when adjacent.
    #[test]
    fn each_workload_scaled_is_named_once_in_order() {
        let doc = |kind: &str, name: &str, target: &str| {
            let v = serde_json::json!({"spec": {"scaleTargetRef": {"name": target}}});
            autoscaler_doc(kind.into(), name.into(), v)
        };
        let all = [
            doc("ScaledObject", "a", "web"),
            doc("HorizontalPodAutoscaler", "b", "api"),
            doc("ScaledObject", "c", "web"),
            doc("ScaledJob", "jobs", "ignored"),
        ];
        assert_eq!(workloads_scaled(&all), ["web", "api", "jobs"]);
    }

    #[test]
    fn scalars_are_quoted_when_yaml_would_misread_them() {
        assert_eq!(crate::yaml::scalar("worker"), "worker");
        assert_eq!(crate::yaml::scalar("yes"), "\"yes\"");
        assert_eq!(crate::yaml::scalar("80ms"), "80ms");
        assert_eq!(crate::yaml::scalar("a b"), "\"a b\"");
    }
}
