//! Pod start-up (created → Ready) from the lag between the replica count the autoscaler asked
//! for and the Ready count reaching it.
//!
//! Each rise of the asked-for count from `d` to `d + k` at sample time `t` creates `k` pods; the
//! `j`-th of them is taken as Ready when the Ready count first reaches `d + j` at or after `t`.
//! Each new pod gives one lag sample (a scale-up event of `k` pods gives `k`; their order
//! statistics average to the mean start-up, where the time to reach the full count alone would
//! overstate it). A level the Ready count already held at `t` (pods still terminating) gives no
//! sample; a level the autoscaler withdrew before it was reached (the asked-for count fell back
//! below it), or never reached before the data ends, is left out and counted in the reason.
//!
//! Both series are sampled (typically every 15–60 s), so each lag is known to within one step
//! at each end; the differences average out in the mean, and [`StartupFit::cv`] removes their
//! variance (`(Δ_desired² + Δ_ready²) / 12`) from the spread.

use super::series::Series;
use super::stats::{self, Quality};

/// The start-up fit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StartupFit {
    pub(crate) mean: Option<f64>,
    pub(crate) p90: Option<f64>,
    /// Coefficient of variation of the start-up time, sampling noise removed (for the
    /// scenario's lognormal); `None` when there is no fit.
    pub(crate) cv: Option<f64>,
    /// Scale-up events that gave at least one lag.
    pub(crate) events: usize,
    /// (time of the rise, lag) of every lag sample, for the chart.
    pub(crate) lags: Vec<(f64, f64)>,
    pub(crate) quality: Quality,
}

impl StartupFit {
    fn null(samples: usize, reason: String) -> StartupFit {
        StartupFit {
            mean: None,
            p90: None,
            cv: None,
            events: 0,
            lags: Vec::new(),
            quality: Quality::null(samples, reason),
        }
    }

    /// The fit when there is no asked-for series at all.
    pub(crate) fn without_desired() -> StartupFit {
        Self::null(
            0,
            "no --desired-replicas series: start-up is measured from the replica count the autoscaler asked for to the Ready count".into(),
        )
    }
}

/// Value of a step series at `t`: its last sample at or before `t`.
fn held_at(s: &Series, t: f64) -> Option<f64> {
    let k = s.times.partition_point(|&x| x <= t + 1e-3);
    (k > 0).then(|| s.values[k - 1])
}

/// The lag of the pod that makes the Ready count `level`, asked for at `desired.times[i]`:
/// `Ok(Some(lag))`, `Ok(None)` when it was already Ready, `Err(())` when withdrawn or never seen.
fn lag_for_level(
    desired: &Series,
    ready: &Series,
    i: usize,
    level: f64,
) -> Result<Option<f64>, ()> {
    let t = desired.times[i];
    if held_at(ready, t).is_some_and(|r| r.round() >= level) {
        return Ok(None);
    }
    let start = ready.times.partition_point(|&x| x < t - 1e-3);
    let j = (start..ready.len())
        .find(|&j| ready.values[j].round() >= level)
        .ok_or(())?;
    let reached = ready.times[j];
    let withdrawn = desired.times[i..]
        .iter()
        .zip(&desired.values[i..])
        .take_while(|(dt, _)| **dt < reached)
        .any(|(_, v)| v.round() < level);
    if withdrawn {
        return Err(());
    }
    Ok(Some(reached - t))
}

/// Fit (see the module docs).
pub(crate) fn fit(desired: &Series, ready: &Series) -> StartupFit {
    let mut lags: Vec<(f64, f64)> = Vec::new();
    let (mut rises, mut events, mut lost) = (0usize, 0usize, 0usize);
    for i in 1..desired.len() {
        let (from, to) = (desired.values[i - 1].round(), desired.values[i].round());
        if to <= from {
            continue;
        }
        rises += 1;
        let before = lags.len();
        let mut level = from + 1.0;
        while level <= to {
            match lag_for_level(desired, ready, i, level) {
                Ok(Some(lag)) => lags.push((desired.times[i], lag)),
                Ok(None) => {}
                Err(()) => lost += 1,
            }
            level += 1.0;
        }
        if lags.len() > before {
            events += 1;
        }
    }
    if rises == 0 {
        return StartupFit::null(
            0,
            "the asked-for replica count never rises in this data: no scale-up to time".into(),
        );
    }
    if lags.is_empty() {
        return StartupFit::null(
            0,
            format!(
                "{rises} scale-ups, but the Ready count reached none of the new levels before it was withdrawn or the data ended ({lost} pods)"
            ),
        );
    }
    summarise(lags, events, lost, desired.step(), ready.step())
}

fn summarise(
    lags: Vec<(f64, f64)>,
    events: usize,
    lost: usize,
    step_d: f64,
    step_r: f64,
) -> StartupFit {
    let values: Vec<f64> = lags.iter().map(|l| l.1).collect();
    let mean = stats::mean(&values).unwrap_or(0.0);
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
        / values.len().max(2).saturating_sub(1) as f64;
    let var = (var - (step_d * step_d + step_r * step_r) / 12.0).max(0.0);
    let note = (lost > 0).then(|| {
        format!("{lost} asked-for pods were withdrawn before Ready or not Ready when the data ended: left out")
    });
    StartupFit {
        mean: Some(mean),
        p90: stats::quantile(&values, 0.9),
        cv: (mean > 0.0).then(|| var.sqrt() / mean),
        events,
        quality: Quality {
            samples: values.len(),
            interval: stats::quantile(&values, 0.1)
                .zip(stats::quantile(&values, 0.9))
                .map(|(a, b)| [a, b]),
            ..Quality::fitted(values.len(), note)
        },
        lags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(pts: &[(f64, f64)]) -> Series {
        Series::new(
            "x",
            pts.iter().map(|p| p.0).collect(),
            pts.iter().map(|p| p.1).collect(),
            true,
        )
    }

    #[test]
    fn one_lag_per_new_pod() {
        // Asked 2 → 4 at t=30; Ready 3 at t=60, 4 at t=90.
        let d = s(&[
            (0.0, 2.0),
            (30.0, 4.0),
            (60.0, 4.0),
            (90.0, 4.0),
            (120.0, 4.0),
        ]);
        let r = s(&[
            (0.0, 2.0),
            (30.0, 2.0),
            (60.0, 3.0),
            (90.0, 4.0),
            (120.0, 4.0),
        ]);
        let f = fit(&d, &r);
        assert_eq!(
            f.lags.iter().map(|l| l.1).collect::<Vec<_>>(),
            vec![30.0, 60.0]
        );
        assert_eq!(f.mean, Some(45.0));
        assert_eq!(f.events, 1);
        assert!(f.quality.reason.is_none());
    }

    #[test]
    fn withdrawn_and_already_ready_levels_give_no_sample() {
        // 3 → 5 at t=10, withdrawn to 3 at t=20 before Ready reaches 4.
        let d = s(&[
            (0.0, 3.0),
            (10.0, 5.0),
            (20.0, 3.0),
            (30.0, 3.0),
            (40.0, 3.0),
        ]);
        let r = s(&[
            (0.0, 3.0),
            (10.0, 3.0),
            (20.0, 3.0),
            (30.0, 4.0),
            (40.0, 3.0),
        ]);
        let f = fit(&d, &r);
        assert_eq!(f.mean, None);
        assert!(f.quality.reason.unwrap().contains("withdrawn"));
        // Ready still 5 (terminating pods) when asked back up from 3 to 5: no new pods.
        let d = s(&[(0.0, 3.0), (10.0, 5.0), (20.0, 5.0)]);
        let r = s(&[(0.0, 5.0), (10.0, 5.0), (20.0, 5.0)]);
        assert!(fit(&d, &r).quality.reason.unwrap().contains("reached none"));
    }

    #[test]
    fn no_rise_is_null_with_reason() {
        let d = s(&[(0.0, 3.0), (10.0, 3.0)]);
        let f = fit(&d, &d);
        assert!(f.quality.reason.unwrap().contains("never rises"));
    }
}
