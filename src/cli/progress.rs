//! Progress of long work on stderr: a bar on a terminal; elsewhere (CI logs, `kubectl logs`) a
//! plain line at the start, at least every 5 seconds, and at the end, e.g.
//! `sweep diurnal-day: 12/40 runs, 3.1/s, ETA 9s`. `--quiet` silences both.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a run works before its plain progress lines begin: 2 s, or
/// `SCALESIM_PROGRESS_AFTER` seconds (0 shows them for every run, e.g. to see them in a log).
pub(super) fn quiet_for_short_work() -> Duration {
    std::env::var("SCALESIM_PROGRESS_AFTER")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs(2), |s| {
            Duration::from_secs_f64(s.min(3600.0))
        })
}

/// How often the plain line is printed.
const EVERY: Duration = Duration::from_secs(5);

/// Progress over `total` units of work.
pub(super) struct Progress {
    bar: ProgressBar,
    plain: Option<Plain>,
}

/// A cloneable, thread-safe view of a [`Progress`] that can only move it.
#[derive(Clone)]
pub(super) struct Handle {
    bar: ProgressBar,
    done: Option<Arc<AtomicU64>>,
}

impl Handle {
    /// Set the units done so far.
    pub(super) fn set(&self, done: u64) {
        self.bar.set_position(done);
        if let Some(d) = &self.done {
            d.store(done, Ordering::Relaxed);
        }
    }
}

struct Plain {
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Progress {
    /// Start showing progress of `label` over `total` `unit`s (nothing when `quiet`).
    pub(super) fn start(label: &str, total: u64, unit: &'static str, quiet: bool) -> Progress {
        Self::start_after(label, total, unit, quiet, Duration::ZERO)
    }

    /// [`Progress::start`] for work that is often short: the plain lines begin only once it has
    /// run for `quiet_for` (the bar shows at once; indicatif hides it for quick work anyway).
    pub(super) fn start_after(
        label: &str,
        total: u64,
        unit: &'static str,
        quiet: bool,
        quiet_for: Duration,
    ) -> Progress {
        if quiet {
            return Progress {
                bar: ProgressBar::hidden(),
                plain: None,
            };
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit}, ETA {{eta}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(label.to_string());
            return Progress { bar, plain: None };
        }
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s, label) = (done.clone(), stop.clone(), label.to_string());
        if quiet_for.is_zero() {
            // The first line is printed here, before any work, so it always reads 0 done.
            eprintln!("{label}: 0/{total} {unit}, ETA unknown");
        }
        let thread =
            std::thread::spawn(move || plain_lines(&label, total, unit, quiet_for, &d, &s));
        Progress {
            bar: ProgressBar::hidden(),
            plain: Some(Plain { done, stop, thread }),
        }
    }

    /// `n` more units done.
    pub(super) fn inc(&self, n: u64) {
        self.bar.inc(n);
        if let Some(p) = &self.plain {
            p.done.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// A handle that can move this progress from anywhere (a simulation's callback).
    pub(super) fn handle(&self) -> Handle {
        Handle {
            bar: self.bar.clone(),
            done: self.plain.as_ref().map(|p| p.done.clone()),
        }
    }

    /// Stop: the bar is cleared; the plain form prints its last line.
    pub(super) fn finish(self) {
        self.bar.finish_and_clear();
        if let Some(p) = self.plain {
            p.stop.store(true, Ordering::Relaxed);
            let _ = p.thread.join();
        }
    }
}

/// The plain-line loop: a line after `quiet_for` (the caller prints the first one itself when
/// it is zero), one every [`EVERY`], and one when stopped (none at all for work that ended
/// within a non-zero `quiet_for`).
fn plain_lines(
    label: &str,
    total: u64,
    unit: &str,
    quiet_for: Duration,
    done: &AtomicU64,
    stop: &AtomicBool,
) {
    let started = Instant::now();
    let line = |finished: bool| {
        let n = done.load(Ordering::Relaxed).min(total);
        let secs = started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let tail = if finished {
            format!("done in {}", short_duration(secs))
        } else if rate > 0.0 {
            format!("ETA {}", short_duration((total - n) as f64 / rate))
        } else {
            "ETA unknown".into()
        };
        eprintln!("{label}: {n}/{total} {unit}, {rate:.1}/s, {tail}");
    };
    while started.elapsed() < quiet_for {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !quiet_for.is_zero() {
        line(false);
    }
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() >= EVERY {
            line(false);
            last = Instant::now();
        }
    }
    line(true);
}

/// `9s`, `4m10s`, `1h02m`.
fn short_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}
