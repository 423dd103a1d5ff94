//! `calibration.yaml` (a scenario fragment: `workload:` and `pods:` keys in the scenario
//! file's own schema, each value commented with where it came from and how good its fit is),
//! `calibration.json` (the same numbers for programs, `null` where the data cannot identify a
//! value), and [`load_fragment`], which reads a fragment back as scenario patches.

use super::Calibration;
use super::stats::Quality;
use crate::error::{Error, InputError, Location};
use crate::scenario::patch::{Patch, PatchTarget};
use crate::settings::dist::Dist;
use crate::units::Quantity;
use crate::yaml::{Source, split_documents};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The first line of every `calibration.yaml`, and how an existing one is recognised.
pub(crate) const YAML_MARK: &str = "# scalesim calibration";
/// `written_by` in every `calibration.json`.
pub(crate) const JSON_MARK: &str = "scalesim calibrate";
/// z-score of the 99th percentile (the loader's lognormal takes the smaller σ root below it).
const Z99: f64 = 2.326_347_874_040_841;

/// `x` to `n` significant digits, without trailing zeros.
pub(crate) fn sig(x: f64, n: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (n - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A duration as the scenario reads it, to 3 significant digits: `40.1ms`, `29.5s`.
pub(crate) fn duration(s: f64) -> String {
    if s < 1.0 {
        format!("{}ms", sig(s * 1e3, 3))
    } else {
        format!("{}s", sig(s, 3))
    }
}

/// A number rounded to 6 significant digits for the JSON (None stays null).
fn round6(x: Option<f64>) -> Option<f64> {
    x.and_then(|v| sig(v, 6).parse().ok())
}

fn interval(i: Option<[f64; 2]>) -> Option<[f64; 2]> {
    i.map(|[a, b]| [round6(Some(a)).unwrap_or(a), round6(Some(b)).unwrap_or(b)])
}

/// The `service_time:` value, when the fit gave one.
pub(crate) fn service_time_value(c: &Calibration) -> Option<String> {
    let (mean, p99) = (c.service.mean?, c.service.p99?);
    // σ from the mean and p99: p99/mean = exp(Zσ − σ²/2).
    let l = (p99 / mean).ln();
    let disc = Z99 * Z99 - 2.0 * l;
    if disc >= 0.0 && l > 0.0 {
        return Some(format!(
            "{{dist: lognormal, mean: {}, p99: {}}}",
            duration(mean),
            duration(p99)
        ));
    }
    // Heavy tails the {mean, p99} spelling cannot reach (or rounds away): mean and cv.
    let median = c.service.median.unwrap_or(mean);
    let sigma2 = (2.0 * (mean / median).ln()).max(0.0);
    let cv = (sigma2.exp() - 1.0).sqrt();
    Some(format!(
        "{{dist: lognormal, mean: {}, cv: {}}}",
        duration(mean),
        sig(cv, 3)
    ))
}

/// Start-up as the scenario's pods see it: the measured created → Ready lag less the readiness
/// delay the scenario adds itself.
pub(crate) fn startup_value(c: &Calibration) -> Option<String> {
    let delay = c.options.readiness.as_ref().map_or(0.0, |r| r.0);
    let mean = c.startup.mean? - delay;
    if mean <= 0.0 {
        return None;
    }
    let cv = c.startup.cv.unwrap_or(0.0) * c.startup.mean? / mean;
    Some(if cv < 1e-3 {
        duration(mean)
    } else {
        format!(
            "{{dist: lognormal, mean: {}, cv: {}}}",
            duration(mean),
            sig(cv, 3)
        )
    })
}

/// Comment lines (`  # …`) wrapping `text` at about 96 columns.
fn comment(out: &mut String, indent: &str, text: &str) {
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && indent.len() + 2 + line.len() + 1 + word.len() > 96 {
            out.push_str(&format!("{indent}# {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{indent}# {line}\n"));
    }
}

fn quality_words(q: &Quality) -> String {
    q.reason
        .clone()
        .map(|r| format!(" Note: {r}."))
        .unwrap_or_default()
}

/// `calibration.yaml` (see the module docs).
pub(crate) fn to_yaml(c: &Calibration) -> String {
    let mut out = format!("{YAML_MARK}: a scenario fragment written by `scalesim calibrate`.\n");
    comment(
        &mut out,
        "",
        "Its `workload:` and `pods:` keys replace the scenario's own (paste them in, or give the file to `scalesim run --calibration` / `scalesim init --calibration`). A value the data could not identify is left as a comment saying why.",
    );
    let inputs: Vec<String> = c
        .inputs
        .iter()
        .map(|(r, f)| format!("--{} {f}", r.replace('_', "-")))
        .collect();
    comment(&mut out, "", &format!("Inputs: {}.", inputs.join(", ")));
    comment(
        &mut out,
        "",
        &format!(
            "Aligned on the request rate's {} timestamps ({} dropped where CPU or Ready replicas had no value).",
            c.aligned.len(),
            c.aligned.dropped
        ),
    );
    out.push_str(&workload_block(c));
    out.push_str(&pods_block(c));
    out
}

fn workload_block(c: &Calibration) -> String {
    let mut body = String::new();
    service_time_lines(&mut body, c);
    cpu_lines(&mut body, c);
    concurrency_lines(&mut body, c);
    block("workload", &body)
}

fn service_time_lines(body: &mut String, c: &Calibration) {
    let s = &c.service;
    match service_time_value(c) {
        Some(v) => {
            let spread = s
                .quality
                .interval
                .map(|[a, b]| {
                    format!(
                        " Per-sample means {}–{} (10th–90th percentile).",
                        duration(a),
                        duration(b)
                    )
                })
                .unwrap_or_default();
            comment(
                body,
                "  ",
                &format!(
                    "Service time: lognormal through the median p50 and p99 latency of {} low-load samples (under 1 % of requests waiting at concurrency {}).{spread}",
                    s.quality.samples, c.options.concurrency
                ),
            );
            body.push_str(&format!("  service_time: {v}\n"));
        }
        None => comment(
            body,
            "  ",
            &format!(
                "service_time: not identified: {}.",
                s.quality.reason.as_deref().unwrap_or("no fit")
            ),
        ),
    }
}

fn cpu_lines(body: &mut String, c: &Calibration) {
    let f = &c.cpu;
    let fit_words = match (f.quality.r2, f.quality.interval) {
        (Some(r2), Some([lo, hi])) => format!(
            "least squares over {} samples, r² {}; CPU per request 95 % interval {}–{} CPU-s.",
            f.quality.samples,
            sig(r2, 3),
            sig(lo, 3),
            sig(hi, 3)
        ),
        _ => format!("{} samples.", f.quality.samples),
    };
    match f.per_request {
        Some(a) => {
            let b = f.idle_per_pod.unwrap_or(0.0);
            comment(
                body,
                "  ",
                &format!(
                    "CPU = {} CPU-s × requests/s + {} cores × Ready pods: {fit_words}{} Idle CPU per pod ({} cores) has no scenario key: it is shown here for reference.",
                    sig(a, 4),
                    sig(b, 4),
                    quality_words(&f.quality),
                    sig(b, 3)
                ),
            );
            let milli = (a * 1e3).round().max(1.0) as i64;
            body.push_str(&format!(
                "  cpu_per_request: {}\n",
                Quantity::from_milli(milli)
            ));
        }
        None => comment(
            body,
            "  ",
            &format!(
                "cpu_per_request: not identified: {}.",
                f.quality.reason.as_deref().unwrap_or("no fit")
            ),
        ),
    }
}

fn concurrency_lines(body: &mut String, c: &Calibration) {
    match c.options.concurrency_source {
        super::ConcurrencySource::Default => comment(
            body,
            "  ",
            "concurrency: 1 was assumed for the fits (no --concurrency and no manifest said); set it here if you know it.",
        ),
        ref src => {
            comment(
                body,
                "  ",
                &format!(
                    "Concurrency (requests in service per pod), from {}.",
                    src.describe()
                ),
            );
            body.push_str(&format!("  concurrency: {}\n", c.options.concurrency));
        }
    }
}

fn pods_block(c: &Calibration) -> String {
    let mut body = String::new();
    let s = &c.startup;
    match (startup_value(c), s.mean, s.p90) {
        (Some(v), Some(mean), Some(p90)) => {
            let delay = match &c.options.readiness {
                Some((d, from)) => format!(" The scenario adds the readiness delay itself: {} ({from}) is taken off.", duration(*d)),
                None => " No manifest given: if the scenario's pods have a readiness probe delay, take it off the mean.".into(),
            };
            comment(
                &mut body,
                "  ",
                &format!(
                    "Start-up (created → Ready): mean {}, p90 {} over {} new pods in {} scale-ups.{delay}{}",
                    duration(mean),
                    duration(p90),
                    s.quality.samples,
                    s.events,
                    quality_words(&s.quality)
                ),
            );
            body.push_str(&format!("  startup: {v}\n"));
        }
        (None, Some(mean), _) => comment(
            &mut body,
            "  ",
            &format!(
                "startup: the measured created → Ready lag ({}) is no longer than the readiness delay; nothing is left for start-up.",
                duration(mean)
            ),
        ),
        _ => comment(
            &mut body,
            "  ",
            &format!(
                "startup: not identified: {}.",
                s.quality.reason.as_deref().unwrap_or("no fit")
            ),
        ),
    }
    block("pods", &body)
}

/// `key:` with its body, or `key: {}` after the comments when no value was identified.
fn block(key: &str, body: &str) -> String {
    if body.lines().any(|l| !l.trim_start().starts_with('#')) {
        format!("{key}:\n{body}")
    } else {
        format!(
            "{}{key}: {{}}\n",
            body.replace("\n  #", "\n#").trim_start_matches("  ")
        )
    }
}

#[derive(Serialize)]
struct Json<'a> {
    written_by: &'static str,
    cpu_per_request_s: Option<f64>,
    idle_cpu_per_pod_cores: Option<f64>,
    service_time: MeanP99,
    startup: MeanP90,
    concurrency: ConcurrencyJson,
    inputs: std::collections::BTreeMap<&'static str, &'a str>,
    alignment: AlignmentJson,
    fit: FitJson,
}

#[derive(Serialize)]
struct MeanP99 {
    mean_s: Option<f64>,
    p99_s: Option<f64>,
}

#[derive(Serialize)]
struct MeanP90 {
    mean_s: Option<f64>,
    p90_s: Option<f64>,
}

#[derive(Serialize)]
struct ConcurrencyJson {
    value: u32,
    source: String,
}

#[derive(Serialize)]
struct AlignmentJson {
    reference: &'static str,
    samples: usize,
    dropped: usize,
}

#[derive(Serialize)]
struct FitJson {
    cpu: QualityJson,
    service_time: QualityJson,
    startup: QualityJson,
}

#[derive(Serialize)]
struct QualityJson {
    samples: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    r2: Option<f64>,
    interval: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    readiness_delay_s: Option<f64>,
    reason: Option<String>,
}

impl QualityJson {
    fn of(q: &Quality) -> QualityJson {
        QualityJson {
            samples: q.samples,
            r2: round6(q.r2),
            interval: interval(q.interval),
            events: None,
            readiness_delay_s: None,
            reason: q.reason.clone(),
        }
    }
}

/// `calibration.json` (see the module docs), pretty-printed, ending in a newline.
pub(crate) fn to_json(c: &Calibration) -> String {
    let mut startup = QualityJson::of(&c.startup.quality);
    startup.events = Some(c.startup.events);
    startup.readiness_delay_s = c.options.readiness.as_ref().map(|r| r.0);
    let cpu = QualityJson::of(&c.cpu.quality);
    let j = Json {
        written_by: JSON_MARK,
        cpu_per_request_s: round6(c.cpu.per_request),
        idle_cpu_per_pod_cores: round6(c.cpu.idle_per_pod),
        service_time: MeanP99 {
            mean_s: round6(c.service.mean),
            p99_s: round6(c.service.p99),
        },
        startup: MeanP90 {
            mean_s: round6(c.startup.mean),
            p90_s: round6(c.startup.p90),
        },
        concurrency: ConcurrencyJson {
            value: c.options.concurrency,
            source: c.options.concurrency_source.describe(),
        },
        inputs: c.inputs.iter().map(|(r, f)| (*r, f.as_str())).collect(),
        alignment: AlignmentJson {
            reference: "rate",
            samples: c.aligned.len(),
            dropped: c.aligned.dropped,
        },
        fit: FitJson {
            cpu,
            service_time: QualityJson::of(&c.service.quality),
            startup,
        },
    };
    let mut s = serde_json::to_string_pretty(&j).unwrap_or_default();
    s.push('\n');
    s
}

/// A calibration fragment read back: the values it sets, and the scenario patches that set
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationFragment {
    pub(crate) service_time: Option<Dist>,
    /// CPU-seconds per request.
    pub(crate) cpu_per_request: Option<f64>,
    pub(crate) concurrency: Option<u32>,
    pub startup: Option<Dist>,
    /// `(scenario path, value as written)` of every key the fragment sets.
    values: Vec<(String, serde_json::Value)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    workload: Option<WorkloadPart>,
    #[serde(default)]
    pods: Option<PodsPart>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadPart {
    #[serde(default)]
    service_time: Option<Dist>,
    #[serde(default)]
    cpu_per_request: Option<Quantity>,
    #[serde(default)]
    concurrency: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PodsPart {
    #[serde(default)]
    startup: Option<Dist>,
}

impl CalibrationFragment {
    /// The scenario patches that put the fragment's values into a scenario (as `--set` and
    /// sweeps do): pass them in [`crate::scenario::Overrides::patches`].
    pub fn patches(&self) -> Vec<Patch> {
        self.values
            .iter()
            .map(|(path, value)| Patch {
                target: PatchTarget::Scenario,
                path: path.clone(),
                value: value.clone(),
            })
            .collect()
    }
}

/// Read a calibration fragment (`calibration.yaml`); errors name the file, line and field.
pub fn load_fragment(path: &Path) -> Result<CalibrationFragment, Error> {
    let source = Source::read(path)?;
    let docs = split_documents(&source);
    let Some(doc) = docs.first() else {
        return Err(InputError::in_file(
            path,
            "empty calibration file: expected `workload:` and `pods:` keys",
        )
        .into());
    };
    if docs.len() > 1 {
        return Err(InputError::new(
            Location::file(path),
            "a calibration file is one YAML document, this one has several",
        )
        .into());
    }
    let shape: FileShape = doc.parse()?;
    let raw = doc.value()?;
    let mut values = Vec::new();
    for section in ["workload", "pods"] {
        if let Some(map) = raw.get(section).and_then(|v| v.as_object()) {
            for (k, v) in map {
                values.push((format!("{section}.{k}"), v.clone()));
            }
        }
    }
    let w = shape.workload;
    Ok(CalibrationFragment {
        service_time: w.as_ref().and_then(|w| w.service_time),
        cpu_per_request: w
            .as_ref()
            .and_then(|w| w.cpu_per_request)
            .map(Quantity::as_f64),
        concurrency: w.as_ref().and_then(|w| w.concurrency),
        startup: shape.pods.and_then(|p| p.startup),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.040123, 3), "0.0401");
        assert_eq!(sig(29.54, 3), "29.5");
        assert_eq!(sig(125.4, 3), "125");
        assert_eq!(duration(0.0401), "40.1ms");
        assert_eq!(duration(29.54), "29.5s");
        assert_eq!(duration(0.15), "150ms");
    }

    #[test]
    fn fragment_errors_name_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("calibration.yaml");
        std::fs::write(
            &p,
            "workload:\n  service_time: {dist: lognormal, mean: 40ms, p99: 150ms}\n  speed: 3\n",
        )
        .unwrap();
        let e = load_fragment(&p).unwrap_err().to_string();
        assert!(
            e.contains("calibration.yaml:3") && e.contains("speed"),
            "{e}"
        );
        std::fs::write(
            &p,
            "workload:\n  cpu_per_request: 20m\npods:\n  startup: 30s\n",
        )
        .unwrap();
        let f = load_fragment(&p).unwrap();
        assert_eq!(f.cpu_per_request, Some(0.02));
        assert_eq!(f.startup, Some(Dist::constant(30.0)));
        assert_eq!(f.patches().len(), 2);
    }
}
