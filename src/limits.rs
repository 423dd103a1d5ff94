//! The resource limits of a run, in one place: what scalesim refuses so that memory and time
//! stay bounded whatever an input asks for (a rate of 1e20 requests/s, a `fluid_step` of 1 ns,
//! a duration of 30,000 years). Each limit is refused by the code that reads the field at fault,
//! naming the field and the limit; `docs/limits.md` lists them for users.

/// Longest simulated duration (366 days): every periodic loop (syncs, polls, scrapes, probes)
/// runs `duration / period` times, so the duration bounds a run's work.
pub(crate) const MAX_DURATION_S: f64 = 366.0 * 86_400.0;

/// Highest rate a trace may reach after its transforms (`scale`), requests per second. Per-step
/// counts are kept as 32-bit integers; beyond this, a real service is many workloads.
pub(crate) const MAX_RATE: f64 = 1e7;

/// Largest value a trace file's rate cell may hold (in its own unit, e.g. a count per bucket):
/// bigger numbers cannot be counted exactly and are refused where they are read, naming the line.
pub(crate) const MAX_TRACE_VALUE: f64 = 1e15;

/// Most requests (and retries) one step of `timeseries.csv` may count: 2³¹, half the range of
/// its 32-bit counters, leaving room for Poisson noise and retries.
pub(crate) const MAX_REQUESTS_PER_ROW: f64 = 2_147_483_648.0;

/// Most requests a request-level run may expect (the trace's integral over the duration): each
/// waiting request costs ~50 bytes, so 20 million stay under 1 GiB even when none is served.
/// `fidelity: auto` picks the flow-level model long before (above 2 million).
pub(crate) const MAX_REQUEST_LEVEL_REQUESTS: f64 = 20_000_000.0;

/// Most times any periodic loop may run over a run (`duration / period`): flow-level intervals,
/// autoscaler syncs and polls, scrapes, probes. At ~20 µs an interval this is minutes of work.
pub(crate) const MAX_PERIODIC_ITERATIONS: f64 = 20_000_000.0;

/// Shortest flow-level interval (`fluid_step`, 1 ms): below it a run is all bookkeeping.
pub(crate) const MIN_PERIOD_S: f64 = 0.001;

/// Shortest period of a control loop (1 s): autoscaler syncs, metric resolutions and scrapes,
/// probes, node autoscaler scans. Kubernetes itself counts these in whole seconds, and each
/// iteration costs far more than a flow-level interval.
pub(crate) const MIN_CONTROL_PERIOD_S: f64 = 1.0;

/// Most requests one pod may run at once (`workload.concurrency`): the flow-level queueing
/// formulas loop over a pod's request slots.
pub(crate) const MAX_CONCURRENCY: u32 = 100_000;

/// Most pods a run may ask for (`pods.replicas`, an autoscaler's `maxReplicas`).
pub(crate) const MAX_REPLICAS: i64 = 100_000;

/// Most nodes a pool may have (`initial`, `min`, `max`).
pub(crate) const MAX_NODES: i64 = 10_000;

/// Most retries a client may make per request (`workload.retries.max`): with no backoff each is
/// simulated at once.
pub(crate) const MAX_RETRIES: u32 = 100;

/// Entries of the flow-level wait table (a memo of the queueing wait by requests offered per
/// interval): offers beyond it are computed each time, so its memory does not grow with the rate.
pub(crate) const FLUID_WAIT_TABLE_ENTRIES: usize = 1 << 16;

/// Most worker threads `--jobs` may start, per core of the machine.
pub(crate) const JOBS_PER_CORE: usize = 4;

/// Characters of a value compared for a "did you mean" suggestion or quoted in a message.
pub(crate) const MAX_QUOTED_CHARS: usize = 64;

/// `duration / period` as a loop's iteration count, refused above [`MAX_PERIODIC_ITERATIONS`]
/// and for periods under `floor` ([`MIN_PERIOD_S`] or [`MIN_CONTROL_PERIOD_S`]): the message to
/// attach to the period's field.
pub(crate) fn check_period(period: f64, floor: f64, duration: f64) -> Result<(), String> {
    use crate::units::format_seconds;
    if !(period >= floor) {
        return Err(format!(
            "{period}s is below the shortest period scalesim simulates here ({}; see docs/limits.md)",
            format_seconds(floor)
        ));
    }
    let n = duration / period;
    if n > MAX_PERIODIC_ITERATIONS {
        return Err(format!(
            "{} repeats {:.3e} times over the {} run, more than scalesim's limit of {:.0e} (docs/limits.md): use a period of at least {}",
            format_seconds(period),
            n,
            format_seconds(duration),
            MAX_PERIODIC_ITERATIONS,
            format_seconds((duration / MAX_PERIODIC_ITERATIONS * 1000.0).ceil() / 1000.0)
        ));
    }
    Ok(())
}

/// Most worker threads for `--jobs` on this machine.
pub(crate) fn max_jobs() -> usize {
    cores() * JOBS_PER_CORE
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The threads to start for `--jobs` (`None`: one per core), capped at [`max_jobs`], with the
/// warning to print when the request was cut.
pub(crate) fn capped_jobs(requested: Option<usize>) -> (usize, Option<String>) {
    let max = max_jobs();
    match requested {
        None => (cores(), None),
        Some(n) if n > max => (
            max,
            Some(format!(
                "--jobs {n} is more than {JOBS_PER_CORE} threads per core of this machine: using {max} ({} cores × {JOBS_PER_CORE})",
                cores()
            )),
        ),
        Some(n) => (n, None),
    }
}

/// `s` as quoted in a message: whole when short, else its first [`MAX_QUOTED_CHARS`] characters,
/// an ellipsis and how many characters it has.
pub(crate) fn quoted_short(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        None => std::borrow::Cow::Borrowed(s),
        Some((cut, _)) => {
            std::borrow::Cow::Owned(format!("{}… ({} characters)", &s[..cut], s.chars().count()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_have_a_floor_and_a_count() {
        assert!(
            check_period(1e-9, MIN_PERIOD_S, 1.0)
                .unwrap_err()
                .contains("below the shortest")
        );
        assert!(check_period(0.001, MIN_PERIOD_S, 1.0).is_ok());
        assert!(check_period(0.5, MIN_CONTROL_PERIOD_S, 1.0).is_err());
        assert!(check_period(f64::NAN, MIN_PERIOD_S, 1.0).is_err());
        let e = check_period(1.0, MIN_CONTROL_PERIOD_S, MAX_DURATION_S).unwrap_err();
        assert!(e.contains("at least 1.582s"), "{e}");
        assert!(check_period(15.0, MIN_CONTROL_PERIOD_S, MAX_DURATION_S).is_ok());
    }

    #[test]
    fn jobs_are_capped_with_a_warning() {
        assert_eq!(capped_jobs(Some(1)), (1, None));
        let (n, w) = capped_jobs(Some(usize::MAX));
        assert_eq!(n, max_jobs());
        assert!(w.unwrap().contains("using"));
        assert!(capped_jobs(None).0 >= 1);
    }

    #[test]
    fn long_values_are_quoted_shortened() {
        assert_eq!(quoted_short("cpu"), "cpu");
        let long = "é".repeat(1000);
        let q = quoted_short(&long);
        assert!(q.starts_with(&"é".repeat(MAX_QUOTED_CHARS)) && q.ends_with("(1000 characters)"));
    }
}
