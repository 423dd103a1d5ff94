//! `scalesim trace`: look at a trace before feeding it in (`show`), and make one (`gen`).
//!
//! `trace gen KIND --field value …` builds the same generator a scenario's
//! `trace.generate: {kind: KIND, field: value, …}` would, so a file written here and the block
//! in a scenario give the same trace for the same seed. Composites (`sum`, `product`, `concat`,
//! `noise` over another generator) are given whole with `--spec 'YAML'`.

use super::shared::OverwriteOption;
use crate::output::{self, Overwrite};
use crate::report::chart::is_own_picture;
use crate::trace::csv::{self, TimeOut, WriteOptions};
use crate::trace::generate::{self, FieldError, GenContext, GeneratorSpec};
use crate::trace::prometheus::{Combine, Selector};
use crate::trace::rows::{GapFill, Repair};
use crate::trace::timefmt::TimeFormat;
use crate::trace::{self as tr, Format, RateUnit, ReadOptions};
use crate::units::parse_duration;
use crate::{Error, InputError, Location};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Look at a trace file, or generate one.
#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    #[command(subcommand)]
    pub(crate) command: TraceCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TraceCommand {
    /// Print what a trace holds: span, resolution, rows, min/mean/p99/peak rate, peak/mean,
    /// p99/mean, the largest rise from one minute's mean rate to the next, idle time, extra
    /// columns.
    Show(ShowArgs),
    /// Generate a synthetic trace and write it as CSV (`time,rps`) to standard output.
    #[command(after_long_help = GEN_HELP)]
    Gen(GenArgs),
}

/// `scalesim trace show FILE`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Trace file: CSV, Prometheus `query_range` JSON, or a request log (one timestamp per
    /// line). `-` reads standard input.
    pub(crate) file: PathBuf,
    /// File format [auto, csv, prometheus, requests].
    #[arg(long, default_value = "auto")]
    pub(crate) format: Format,
    /// How times are written [auto, seconds, millis, epoch_seconds, epoch_millis, epoch_micros,
    /// epoch_nanos, rfc3339].
    #[arg(long, default_value = "auto")]
    pub(crate) time_format: TimeFormat,
    /// What the rate values count [per_second, per_minute, per_hour, count] (count: requests in
    /// each row's bucket); default per_second.
    #[arg(long)]
    pub(crate) rate_unit: Option<RateUnit>,
    /// Prometheus: the series to use, by label matchers, e.g. '{job="api",code!="500"}'.
    #[arg(long)]
    pub(crate) series: Option<Selector>,
    /// Prometheus: add up all matching series.
    #[arg(long)]
    pub(crate) sum: bool,
    /// Request logs: bin width of the rate (e.g. 1s, 1m).
    #[arg(long, value_parser = seconds)]
    pub(crate) bin: Option<f64>,
    /// Repair what can be repaired (sort, drop duplicates, clamp, fill), with warnings.
    #[arg(long)]
    pub(crate) lenient: bool,
    /// With --lenient: gaps hold the previous rate (hold) or carry no load (zero).
    #[arg(long, default_value = "hold")]
    pub(crate) gap_fill: GapFill,
    /// Also draw the trace to this file (PNG, or SVG when it ends in .svg).
    #[arg(long, value_name = "FILE")]
    pub(crate) plot: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
}

/// `scalesim trace gen KIND [--field value …]`.
#[derive(Debug, Args)]
pub(crate) struct GenArgs {
    /// Generator kind: constant, step, ramp, spike, diurnal, sawtooth, mmpp, noise (see below).
    pub(crate) kind: Option<String>,
    /// The whole generator as YAML instead of KIND and fields, e.g.
    /// '{kind: sum, of: [{kind: constant, rate: 10}, {kind: spike, base: 0, peak: 90, at: 5m}]}'.
    #[arg(long, conflicts_with = "kind")]
    pub(crate) spec: Option<String>,
    /// Length of the trace (unless the generator sets `duration`), e.g. 1h, 7d.
    #[arg(long, value_parser = seconds)]
    pub(crate) duration: Option<f64>,
    /// Seed of the random generators (mmpp, noise).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Wall-clock instant of t = 0 (RFC 3339); diurnal shapes follow it, and times are then
    /// written as RFC 3339 unless --time-format says otherwise.
    #[arg(long, value_parser = instant)]
    pub(crate) start: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// How to write times [seconds, rfc3339, epoch] (default: rfc3339 with --start, else seconds).
    #[arg(long)]
    pub(crate) time_format: Option<TimeOut>,
    /// Round rates to this many decimals (default: full precision, which reads back exactly).
    #[arg(long)]
    pub(crate) decimals: Option<usize>,
    /// Write to this file instead of standard output (an existing file only with --overwrite).
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
    /// The kind's fields as `--field value` (durations as 30s, 5m, 1h30m; lists as 1,2,3).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "--FIELD VALUE"
    )]
    pub(crate) fields: Vec<String>,
}

const GEN_HELP: &str = "\
Kinds and fields (rates in req/s, durations as 30s, 5m, 1h30m or seconds):
  constant   --rate
  step       --from --to --at
  ramp       --from --to [--at 0] [--over rest-of-span]
  spike      --base --peak --at [--rise 0] [--hold 0] [--decay 0] [--decay-curve linear|exponential]
  diurnal    --min --max [--peak-at 14:00] | --profile r0,r1,…,r23   [--weekend-factor 1] [--timezone Europe/Paris]
  sawtooth   --from --to --period [--at 0]
  mmpp       --rates low,high --sojourn mean_low,mean_high
  noise      --cv [--distribution lognormal|gamma] [--every step]   (alone: a mean-1 multiplier; over another generator: --spec)
  every kind [--step 1s up to a day, else 60s] [--duration]
Composites (sum, product, concat, noise of another generator) need --spec.

Examples:
  scalesim trace gen spike --base 50 --peak 400 --at 10m --rise 30s --hold 5m --decay 2m --duration 1h > flash.csv
  scalesim trace gen diurnal --min 20 --max 300 --weekend-factor 0.6 --step 5m --duration 7d --start 2024-03-04T00:00:00Z
  scalesim trace gen --spec '{kind: noise, cv: 0.2, of: {kind: constant, rate: 100}}' --duration 1h --seed 7";

/// Descriptions of generator fields, for `trace gen KIND --help`.
const FIELD_DOCS: &[(&str, &str)] = &[
    ("rate", "the rate (req/s)"),
    ("from", "rate at the start (req/s)"),
    ("to", "rate at the end (req/s)"),
    ("at", "when it happens (offset from the start, e.g. 10m)"),
    (
        "over",
        "how long the ramp lasts (default: the rest of the span)",
    ),
    ("base", "rate outside the spike (req/s)"),
    ("peak", "rate at the top of the spike (req/s)"),
    ("rise", "time from base to peak"),
    ("hold", "time at the peak"),
    (
        "decay",
        "time from peak back to base (exponential: the half-life)",
    ),
    ("decay_curve", "linear or exponential"),
    ("min", "lowest rate of the day (req/s)"),
    ("max", "highest rate of the day (req/s)"),
    ("peak_at", "time of day of the maximum, e.g. 14:00"),
    (
        "profile",
        "24 hourly rates (00:30 … 23:30), comma-separated",
    ),
    ("weekend_factor", "multiplies Saturday and Sunday"),
    (
        "timezone",
        "IANA time zone of the wall clock (default: --start's offset)",
    ),
    ("period", "length of one tooth"),
    ("rates", "the two state rates, low,high"),
    ("sojourn", "mean time in each state, e.g. 10m,1m"),
    (
        "cv",
        "coefficient of variation of the mean-1 factors, e.g. 0.2",
    ),
    ("distribution", "lognormal or gamma"),
    (
        "every",
        "how often the noise factor changes (default: every row)",
    ),
    ("of", "the generator(s) it applies to (use --spec)"),
];

/// Run `scalesim trace …`; returns the exit code.
pub(super) fn run(args: TraceArgs) -> i32 {
    let r = match args.command {
        TraceCommand::Show(a) => show(a),
        TraceCommand::Gen(a) => gen_trace(a),
    };
    match r {
        Ok(()) => 0,
        Err(e) => super::report_error(&e),
    }
}

fn show(a: ShowArgs) -> Result<(), Error> {
    let opts = ReadOptions {
        format: a.format,
        time_format: a.time_format,
        series: a.series,
        combine: if a.sum { Combine::Sum } else { Combine::One },
        bin: a.bin,
        repair: Repair {
            lenient: a.lenient,
            gap_fill: a.gap_fill,
        },
        rate_unit: a.rate_unit,
    };
    let overwrite = a.overwrite.mode();
    if let Some(plot) = &a.plot {
        output::check_single(plot, overwrite, is_own_picture)?;
    }
    let loaded = tr::read::read(&a.file, &opts)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let stats = tr::stats::stats(&loaded.trace);
    super::out::print(format_args!("{}\n{stats}\n", a.file.display()))?;
    if let Some(plot) = &a.plot {
        let label = a
            .file
            .file_stem()
            .map_or_else(|| "trace".into(), |s| s.to_string_lossy().into_owned());
        let bytes = crate::report::plot_trace(plot, &loaded.trace, &label)?;
        output::write_single(plot, &bytes, overwrite, is_own_picture)?;
        super::out::println(format_args!("chart in {}", plot.display()))?;
    }
    Ok(())
}

fn gen_trace(a: GenArgs) -> Result<(), Error> {
    let mut duration = a.duration;
    let mut seed = a.seed;
    let mut start = a.start;
    let mut time_format = a.time_format;
    let mut decimals = a.decimals;
    let mut output = a.output.clone();
    let mut overwrite = a.overwrite.mode();
    let spec: GeneratorSpec = match (&a.kind, &a.spec) {
        (_, Some(text)) => {
            if let Some(f) = a.fields.first() {
                return Err(usage(format!("unexpected {f:?}: with --spec, the generator's fields go in the YAML")));
            }
            let src = crate::yaml::Source::from_string("--spec", text.as_str());
            crate::yaml::parse(&src)?
        }
        (Some(kind), None) => {
            let pairs = pairs(&a.fields)?;
            if pairs.iter().any(|(k, _)| k == "help" || k == "h") {
                return super::out::print(kind_help(kind));
            }
            let mut map = serde_json::Map::new();
            map.insert("kind".into(), serde_json::Value::String(kind.clone()));
            for (key, value) in pairs {
                let flag = format!("--{}", key.replace('_', "-"));
                let v = value.clone();
                match key.as_str() {
                    "duration" => duration = Some(seconds(&v).map_err(|m| flag_error(&flag, m))?),
                    "seed" => seed = v.parse().map_err(|_| flag_error(&flag, format!("{v:?} is not a seed (a whole number)")))?,
                    "start" => start = Some(instant(&v).map_err(|m| flag_error(&flag, m))?),
                    "time_format" => time_format = Some(v.parse().map_err(|m: String| flag_error(&flag, m))?),
                    "decimals" => decimals = Some(v.parse().map_err(|_| flag_error(&flag, format!("{v:?} is not a number of decimals")))?),
                    "output" | "o" => output = Some(PathBuf::from(v)),
                    "overwrite" => overwrite = Overwrite::Any,
                    "of" => return Err(flag_error(&flag, "generators of generators are given whole with --spec 'YAML'".into())),
                    _ => {
                        if map.insert(key.clone(), json_value(&key, &value)).is_some() {
                            return Err(flag_error(&flag, "given twice".into()));
                        }
                    }
                }
            }
            let value = serde_json::Value::Object(map);
            serde_path_to_error::deserialize(value).map_err(|e| {
                let field = e.path().to_string();
                let msg = e.into_inner().to_string();
                if msg.starts_with("unknown field") {
                    let flag = unknown_flag(&msg);
                    return flag_error(&flag, format!("`trace gen {kind}` has no option {flag}\n{}", kind_help(kind)));
                }
                let flag = if field.is_empty() || field == "." { "trace gen".to_string() } else { format!("--{}", field.replace('_', "-")) };
                flag_error(&flag, msg)
            })?
        }
        (None, None) => return Err(usage("give a generator kind (e.g. `scalesim trace gen spike --base 50 --peak 400 --at 10m`) or --spec 'YAML'".into())),
    };
    let from_cli = a.kind.is_some();
    let field_err = |e: FieldError| -> Error {
        if from_cli {
            flag_error(&format!("--{}", e.field.replace('_', "-")), e.message)
        } else {
            InputError::new(Location::file("--spec").with_field(e.field), e.message).into()
        }
    };
    let generator = spec.build().map_err(field_err)?;
    let ctx = GenContext {
        seed,
        start_time: start,
        duration,
    };
    if let Some(path) = &output {
        crate::output::check_single(path, overwrite, |_| false)?;
    }
    let trace = generator.generate(&ctx).map_err(|e| {
        if e.field == "duration" && generator.natural_duration().is_none() {
            usage("a generated trace needs a length: add --duration (e.g. --duration 1h)".into())
        } else {
            field_err(e)
        }
    })?;
    let time = time_format.unwrap_or(if start.is_some() {
        TimeOut::Rfc3339
    } else {
        TimeOut::Seconds
    });
    let opts = WriteOptions { time, decimals };
    match output {
        Some(path) => {
            let mut bytes = Vec::new();
            csv::write(&trace, &mut bytes, &opts)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            crate::output::write_single(&path, &bytes, overwrite, |_| false)
        }
        None => super::out::with_stdout(|w| csv::write(&trace, w, &opts)),
    }
}

/// `--key value` / `--key=value` pairs; keys with `-` read as `_`.
fn pairs(args: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let Some(key) = a
            .strip_prefix("--")
            .or_else(|| (a == "-h" || a == "-o").then(|| &a[1..]))
        else {
            return Err(usage(format!(
                "unexpected {a:?}: fields are given as --field value (e.g. --peak 400)"
            )));
        };
        if matches!(key, "help" | "h" | "overwrite") {
            out.push((key.to_string(), String::new()));
            i += 1;
            continue;
        }
        let (k, v) = match key.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => {
                let v = args
                    .get(i + 1)
                    .filter(|v| !v.starts_with("--"))
                    .ok_or_else(|| flag_error(a, "missing value".into()))?;
                i += 1;
                (key.to_string(), v.clone())
            }
        };
        out.push((k.replace('-', "_"), v));
        i += 1;
    }
    Ok(out)
}

/// A command-line value as JSON: lists for list fields, numbers where they parse, else text.
fn json_value(key: &str, v: &str) -> serde_json::Value {
    let scalar = |s: &str| match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        _ => serde_json::Value::String(s.trim().to_string()),
    };
    if matches!(key, "profile" | "rates" | "sojourn") {
        serde_json::Value::Array(
            v.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(scalar)
                .collect(),
        )
    } else if matches!(key, "timezone" | "peak_at" | "kind") {
        serde_json::Value::String(v.to_string())
    } else {
        scalar(v)
    }
}

fn kind_help(kind: &str) -> String {
    let Some(canon) = generate::canonical_kind(kind) else {
        let names: Vec<&str> = generate::KINDS.iter().map(|k| k.0).collect();
        return format!("unknown kind {kind:?}; kinds: {}\n", names.join(", "));
    };
    let (req, opt) = generate::kind_fields(canon).unwrap_or((&[], &[]));
    let mut s = format!("scalesim trace gen {canon}: fields\n");
    let doc = |f: &str| {
        FIELD_DOCS
            .iter()
            .find(|d| d.0 == f)
            .map(|d| d.1)
            .unwrap_or("")
    };
    for f in req.iter() {
        s += &format!("  --{:<16} {} (required)\n", f.replace('_', "-"), doc(f));
    }
    for f in opt.iter() {
        s += &format!("  --{:<16} {}\n", f.replace('_', "-"), doc(f));
    }
    s += "  --step             resolution (default 1s up to a day, else 60s)\n";
    s += "  --duration         length of the trace\n";
    s
}

fn unknown_flag(msg: &str) -> String {
    // serde: "unknown field `bse`, expected one of …"
    msg.split('`')
        .nth(1)
        .map(|f| format!("--{}", f.replace('_', "-")))
        .unwrap_or_else(|| "trace gen".into())
}

fn flag_error(flag: &str, msg: String) -> Error {
    let msg = msg
        .replace("unknown field", "unknown option")
        .replace("field `", "`");
    InputError::new(Location::default().with_field(flag), msg).into()
}

fn usage(msg: String) -> Error {
    InputError::new(Location::default(), msg).into()
}

fn seconds(s: &str) -> Result<f64, String> {
    parse_duration(s).map(|d| d.0)
}

fn instant(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map_err(|_| format!("{s:?} is not an RFC 3339 instant (e.g. 2024-03-04T00:00:00Z)"))
}
