//! The recorded series calibration reads, on one clock, and their alignment.
//!
//! Each file is read by the trace readers ([`crate::trace::read`]): Prometheus `query_range`
//! JSON or CSV with a time column, strict by default (a bad value is an error naming its line),
//! lenient on request (a NaN — e.g. a latency quantile over a minute without requests — then
//! holds the previous value). A series keeps the readers' sample times on an absolute clock
//! (Unix seconds) when the file carried absolute times, else on the file's own seconds.
//!
//! **Alignment** ([`align`]): the request-rate series is the reference; every other series is
//! read at each of its timestamps — the sample at that instant (within 1 ms), else linear
//! interpolation between the two samples around it when they are at most two of that series'
//! steps apart (one missing scrape is bridged, a longer hole is not). A reference timestamp
//! where a required series (CPU, Ready replicas) has no value is dropped; a missing latency
//! quantile leaves only that quantile out.

use crate::error::{InputError, Location};
use crate::trace::{self, ReadOptions, Trace, Warning, rows};
use std::path::Path;

/// Two sample times closer than this (seconds) are the same instant.
const SAME_INSTANT: f64 = 1e-3;
/// Interpolate only between samples at most this many of the series' steps apart.
const MAX_BRIDGE_STEPS: f64 = 2.0;

/// One recorded series: sample times (seconds, increasing) and values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    /// The file name it came from (never the path it was given with).
    pub(crate) name: String,
    pub(crate) times: Vec<f64>,
    pub(crate) values: Vec<f64>,
    /// Times are Unix seconds (the file had absolute times), not seconds of the file's own.
    pub(crate) absolute: bool,
}

impl Series {
    #[cfg(test)]
    /// A series from already-known samples (tests and generators).
    pub(crate) fn new(name: &str, times: Vec<f64>, values: Vec<f64>, absolute: bool) -> Series {
        Series {
            name: name.to_string(),
            times,
            values,
            absolute,
        }
    }

    /// The samples of a trace as the readers returned it: each row's start is a sample.
    pub(crate) fn from_trace(name: &str, t: &Trace) -> Series {
        let origin = t.start_time.map(|s| s.timestamp_millis() as f64 / 1000.0);
        Series {
            name: name.to_string(),
            times: t.times.iter().map(|x| x + origin.unwrap_or(0.0)).collect(),
            values: t.rates.clone(),
            absolute: origin.is_some(),
        }
    }

    /// The most common interval between samples (0 for a single sample).
    pub(crate) fn step(&self) -> f64 {
        rows::most_common_step(&self.times).unwrap_or(0.0)
    }

    pub(crate) fn len(&self) -> usize {
        self.times.len()
    }

    /// The value at `t` (see the module docs), or `None` where the series cannot say.
    pub(crate) fn value_at(&self, t: f64) -> Option<f64> {
        self.value_with_step(t, || self.step())
    }

    /// [`Series::value_at`] given the series' [`Series::step`] (the same for every `t`: a
    /// caller reading many instants computes it once instead of once per read).
    pub(crate) fn value_at_step(&self, t: f64, step: f64) -> Option<f64> {
        self.value_with_step(t, || step)
    }

    fn value_with_step(&self, t: f64, step: impl FnOnce() -> f64) -> Option<f64> {
        let n = self.times.len();
        let k = self.times.partition_point(|&x| x < t - SAME_INSTANT);
        if k < n && (self.times[k] - t).abs() <= SAME_INSTANT {
            return Some(self.values[k]);
        }
        if k == 0 || k == n {
            return None;
        }
        let (t0, t1) = (self.times[k - 1], self.times[k]);
        let step = step();
        if step <= 0.0 || t1 - t0 > MAX_BRIDGE_STEPS * step * (1.0 + 1e-9) {
            return None;
        }
        let f = (t - t0) / (t1 - t0);
        Some(self.values[k - 1] + f * (self.values[k] - self.values[k - 1]))
    }
}

/// Read one series file with the trace readers; `lenient` repairs what strict reading rejects.
/// A CSV of a time column and one value column of any name (`time,cpu_cores`) is read as
/// `time,value`.
pub(crate) fn read(path: &Path, lenient: bool) -> Result<(Series, Vec<Warning>), InputError> {
    let bytes = trace::read::read_bytes(path)?;
    let (bytes, renamed) = match name_value_column(path, &bytes) {
        Some((b, name)) => (b, Some(name)),
        None => (bytes, None),
    };
    let opts = ReadOptions {
        repair: rows::Repair {
            lenient,
            ..Default::default()
        },
        ..Default::default()
    };
    let loaded = trace::read::parse(path, &bytes, &opts).map_err(|mut e| {
        if let Some(name) = &renamed {
            e.message = e.message.replace("`value`", &format!("`{name}`"));
        }
        e
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "-".to_string());
    Ok((Series::from_trace(&name, &loaded.trace), loaded.warnings))
}

/// A CSV header of a time column and one other column the trace readers do not know as a
/// value (`time,cpu_cores`): the file with that column renamed `value` (the rest untouched),
/// and the column's own name; `None` for any other file.
fn name_value_column(path: &Path, bytes: &[u8]) -> Option<(Vec<u8>, String)> {
    if trace::read::detect(path, bytes) == trace::Format::Prometheus {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text
        .split_inclusive('\n')
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    let cells: Vec<&str> = line.trim_end().split(',').collect();
    let unquote = |c: &str| c.trim().trim_matches('"').to_string();
    let (time, rate) = trace::csv::find_columns(cells.iter().copied().map(str::trim));
    let (time, rate) = match (time, rate) {
        (Some(t), None) if cells.len() == 2 => (t, 1 - t),
        _ => {
            // Quoted names (`"Time","api"`, as Grafana exports them) are compared unquoted.
            let names: Vec<String> = cells.iter().map(|c| unquote(c)).collect();
            match trace::csv::find_columns(names.iter().map(String::as_str)) {
                (Some(t), None) if cells.len() == 2 => (t, 1 - t),
                _ => return None,
            }
        }
    };
    let mut header = vec![String::new(); 2];
    header[time] = unquote(cells[time]);
    header[rate] = "value".to_string();
    let start = line.as_ptr() as usize - text.as_ptr() as usize;
    let end = start + line.trim_end_matches(['\n', '\r']).len();
    let out = format!("{}{}{}", &text[..start], header.join(","), &text[end..]);
    Some((out.into_bytes(), unquote(cells[rate])))
}

/// Series on a common set of timestamps (those of the request rate).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Aligned {
    pub(crate) times: Vec<f64>,
    /// Requests per second.
    pub(crate) rate: Vec<f64>,
    /// CPU cores used by the workload's pods (sum).
    pub(crate) cpu: Vec<f64>,
    /// Ready replicas.
    pub(crate) ready: Vec<f64>,
    /// Latency quantiles (seconds); NaN where the series had no value.
    pub(crate) p50: Vec<f64>,
    pub(crate) p99: Vec<f64>,
    /// Reference timestamps dropped because a required series had no value there.
    pub dropped: usize,
}

impl Aligned {
    pub(crate) fn len(&self) -> usize {
        self.times.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
}

/// Check that every series counts time the same way (all absolute or all relative).
pub(crate) fn check_clocks(all: &[&Series]) -> Result<(), InputError> {
    let Some(first) = all.first() else {
        return Ok(());
    };
    if let Some(other) = all.iter().find(|s| s.absolute != first.absolute) {
        let (abs, rel) = if first.absolute {
            (first, other)
        } else {
            (other, first)
        };
        return Err(InputError::new(
            Location::file(&rel.name),
            format!(
                "its times are seconds from its own start, but {} has absolute times (Unix or RFC 3339): the series cannot be put on one clock; export them all with absolute timestamps",
                abs.name
            ),
        ));
    }
    Ok(())
}

/// Align the series on the request rate's timestamps (see the module docs).
pub(crate) fn align(
    rate: &Series,
    cpu: &Series,
    ready: &Series,
    p50: Option<&Series>,
    p99: Option<&Series>,
) -> Aligned {
    let mut a = Aligned::default();
    for (&t, &r) in rate.times.iter().zip(&rate.values) {
        let (Some(c), Some(n)) = (cpu.value_at(t), ready.value_at(t)) else {
            a.dropped += 1;
            continue;
        };
        let q = |s: Option<&Series>| s.and_then(|s| s.value_at(t)).unwrap_or(f64::NAN);
        a.times.push(t);
        a.rate.push(r);
        a.cpu.push(c);
        a.ready.push(n);
        a.p50.push(q(p50));
        a.p99.push(q(p99));
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(times: &[f64], values: &[f64]) -> Series {
        Series::new("x", times.to_vec(), values.to_vec(), true)
    }

    #[test]
    fn value_at_exact_interpolated_and_holes() {
        let x = s(
            &[0.0, 15.0, 30.0, 45.0, 90.0, 105.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        );
        assert_eq!(x.value_at(15.0), Some(2.0));
        assert_eq!(x.value_at(15.0005), Some(2.0));
        assert_eq!(x.value_at(7.5), Some(1.5));
        // 45 → 90 is three steps: a hole, not bridged.
        assert_eq!(x.value_at(60.0), None);
        assert_eq!(x.value_at(-1.0), None);
        assert_eq!(x.value_at(200.0), None);
    }

    #[test]
    fn align_drops_reference_times_without_required_values() {
        let rate = s(&[0.0, 15.0, 30.0, 45.0], &[10.0, 20.0, 30.0, 40.0]);
        let cpu = s(&[7.0, 22.0, 37.0, 52.0], &[1.0, 2.0, 3.0, 4.0]);
        let ready = s(&[0.0, 15.0, 30.0, 45.0], &[2.0, 2.0, 3.0, 3.0]);
        let a = align(&rate, &cpu, &ready, None, None);
        assert_eq!(a.times, vec![15.0, 30.0, 45.0]);
        assert_eq!(a.dropped, 1);
        assert!((a.cpu[0] - (1.0 + 8.0 / 15.0)).abs() < 1e-12);
        assert!(a.p50.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn a_csv_value_column_of_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cpu.csv");
        std::fs::write(
            &p,
            "# cores\n\"Time\",\"api cpu\"\n1700000000,0.5\n1700000015,0.75\n",
        )
        .unwrap();
        let (s, _) = read(&p, false).unwrap();
        assert_eq!(s.values, vec![0.5, 0.75]);
        assert!(s.absolute);
        assert_eq!(s.times[1], 1_700_000_015.0);
        std::fs::write(&p, "time,cpu\n0,0.5\n15,x\n").unwrap();
        let e = read(&p, false).unwrap_err().to_string();
        assert!(e.contains("cpu.csv:3") && e.contains("column `cpu`"), "{e}");
    }

    #[test]
    fn mixed_clocks_are_an_error_naming_the_file() {
        let a = Series::new("rate.json", vec![0.0], vec![1.0], true);
        let b = Series::new("cpu.csv", vec![0.0], vec![1.0], false);
        let e = check_clocks(&[&a, &b]).unwrap_err().to_string();
        assert!(e.starts_with("cpu.csv:"), "{e}");
        assert!(e.contains("rate.json"), "{e}");
    }
}
