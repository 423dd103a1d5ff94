//! The service-time distribution (lognormal: mean and p99) from latency quantiles recorded
//! while queueing was negligible.
//!
//! Latency is service time plus waiting. Where almost no request waits, the recorded p50 and
//! p99 *are* the service time's, and a lognormal is fixed by them: `μ = ln p50`,
//! `σ = ln(p99/p50) / z₀.₉₉`, mean `exp(μ + σ²/2)`.
//!
//! Which samples are "low load" depends on the service time itself, so the fit iterates: a
//! first estimate from the least-loaded tenth of the samples (lowest requests per Ready pod),
//! then each pod is taken as an M/M/c station with `c` = concurrency and offered load
//! `rate × mean / Ready pods`, and only samples where Erlang C says under [`MAX_WAIT`] of
//! requests wait are kept; the estimate is redone on them (medians of p50 and of p99 across the
//! kept samples) until the kept set stops changing. With fewer than [`MIN_SAMPLES`] kept
//! samples there is no low-load period to learn from: null, with the least-loaded sample's wait
//! probability in the reason.
//!
//! The interval is the 10–90 % spread of the per-sample mean estimates among the kept samples.

use super::stats::{self, Quality};
use crate::settings::dist::normal_quantile;

/// Samples where more than this fraction of requests wait for a slot are not "low load".
pub(crate) const MAX_WAIT: f64 = 0.01;
/// At least this many low-load samples.
pub(crate) const MIN_SAMPLES: usize = 5;
const MAX_ROUNDS: usize = 50;

/// The service-time fit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceFit {
    pub(crate) mean: Option<f64>,
    pub(crate) p99: Option<f64>,
    /// The median service time (the lognormal's `exp μ`).
    pub(crate) median: Option<f64>,
    pub(crate) quality: Quality,
    /// Per aligned sample: the estimated utilisation of a pod's slots (NaN where unusable).
    pub(crate) utilisation: Vec<f64>,
    /// Per aligned sample: kept as low load.
    pub(crate) kept: Vec<bool>,
}

/// Inputs per aligned sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Samples<'a> {
    pub(crate) rate: &'a [f64],
    pub(crate) ready: &'a [f64],
    pub(crate) p50: Option<&'a [f64]>,
    pub(crate) p99: Option<&'a [f64]>,
}

/// Fit (see the module docs). `concurrency`: requests in service per pod.
pub(crate) fn fit(s: Samples<'_>, concurrency: u32) -> ServiceFit {
    let n = s.rate.len();
    let mut out = ServiceFit {
        mean: None,
        p99: None,
        median: None,
        quality: Quality::default(),
        utilisation: vec![f64::NAN; n],
        kept: vec![false; n],
    };
    let (p50, p99) = match (s.p50, s.p99) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => {
            let missing: Vec<&str> = [
                ("--latency-p50", a.is_none()),
                ("--latency-p99", b.is_none()),
            ]
            .iter()
            .filter(|x| x.1)
            .map(|x| x.0)
            .collect();
            out.quality = Quality::null(
                0,
                format!(
                    "no {} series: a lognormal service time needs both the p50 and the p99 latency",
                    missing.join(" and ")
                ),
            );
            return out;
        }
    };
    let usable: Vec<usize> = (0..n)
        .filter(|&i| {
            s.rate[i] > 0.0
                && s.ready[i] >= 1.0
                && p50[i] > 0.0
                && p99[i] > p50[i]
                && p99[i].is_finite()
        })
        .collect();
    if usable.is_empty() {
        out.quality = Quality::null(
            0,
            "no aligned sample has traffic, a Ready pod and a p99 above a positive p50".into(),
        );
        return out;
    }
    match low_load(&usable, s, p50, p99, concurrency) {
        Ok(kept) => finish(out, &kept, &usable, s, p50, p99, concurrency),
        Err(q) => {
            out.quality = q;
            out
        }
    }
}

/// The low-load samples among `usable`, found by iterating the service-time estimate (see the
/// module docs), or the quality of a null fit.
fn low_load(
    usable: &[usize],
    s: Samples<'_>,
    p50: &[f64],
    p99: &[f64],
    concurrency: u32,
) -> Result<Vec<usize>, Quality> {
    let per_pod = |i: usize| s.rate[i] / s.ready[i];
    let mut first = usable.to_vec();
    first.sort_by(|&a, &b| per_pod(a).total_cmp(&per_pod(b)).then(a.cmp(&b)));
    first.truncate((usable.len() / 10).max(MIN_SAMPLES.min(usable.len())));
    let Some(mut mean) = estimate(&first, p50, p99).map(|e| e.0) else {
        return Err(Quality::null(
            first.len(),
            "the latency quantiles give no lognormal".into(),
        ));
    };
    let mut kept: Vec<usize> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let wait = |i: usize| stats::erlang_c(concurrency, per_pod(i) * mean);
        let next: Vec<usize> = usable
            .iter()
            .copied()
            .filter(|&i| wait(i) <= MAX_WAIT)
            .collect();
        if next.len() < MIN_SAMPLES {
            let least = usable
                .iter()
                .map(|&i| wait(i))
                .fold(f64::INFINITY, f64::min);
            return Err(Quality::null(
                next.len(),
                format!(
                    "no low-load period to learn from: with a {:.1} ms service time and concurrency {concurrency}, even the least-loaded sample has {:.1} % of requests waiting; the fit needs at least {MIN_SAMPLES} samples where under {:.0} % wait (record a quiet period, e.g. a night at minReplicas)",
                    mean * 1e3,
                    least * 100.0,
                    MAX_WAIT * 100.0
                ),
            ));
        }
        let Some((m, _)) = estimate(&next, p50, p99) else {
            break;
        };
        let settled = next == kept;
        mean = m;
        kept = next;
        if settled {
            break;
        }
    }
    Ok(kept)
}

/// (mean, p99) of the lognormal through the medians of p50 and p99 over `idx`.
fn estimate(idx: &[usize], p50: &[f64], p99: &[f64]) -> Option<(f64, f64)> {
    let m50 = stats::median(&idx.iter().map(|&i| p50[i]).collect::<Vec<_>>())?;
    let m99 = stats::median(&idx.iter().map(|&i| p99[i]).collect::<Vec<_>>())?;
    let (mu, sigma) = stats::lognormal_from_quantiles(m50, m99, 0.99)?;
    Some((
        stats::lognormal_mean(mu, sigma),
        (mu + sigma * normal_quantile(0.99)).exp(),
    ))
}

fn finish(
    mut out: ServiceFit,
    kept: &[usize],
    usable: &[usize],
    s: Samples<'_>,
    p50: &[f64],
    p99: &[f64],
    concurrency: u32,
) -> ServiceFit {
    let Some((mean, q99)) = estimate(kept, p50, p99) else {
        out.quality = Quality::null(kept.len(), "the latency quantiles give no lognormal".into());
        return out;
    };
    let per_sample: Vec<f64> = kept
        .iter()
        .filter_map(|&i| stats::lognormal_from_quantiles(p50[i], p99[i], 0.99))
        .map(|(mu, sigma)| stats::lognormal_mean(mu, sigma))
        .collect();
    for &i in usable {
        out.utilisation[i] = s.rate[i] * mean / (s.ready[i] * concurrency.max(1) as f64);
    }
    for &i in kept {
        out.kept[i] = true;
    }
    out.mean = Some(mean);
    out.p99 = Some(q99);
    out.median = stats::median(&kept.iter().map(|&i| p50[i]).collect::<Vec<_>>());
    out.quality = Quality {
        samples: kept.len(),
        interval: stats::quantile(&per_sample, 0.1)
            .zip(stats::quantile(&per_sample, 0.9))
            .map(|(a, b)| [a, b]),
        ..Default::default()
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Latency quantiles of a lognormal service time, with waiting added where the per-pod
    /// load is high (a crude stand-in for queueing).
    fn data(rates: &[f64], pods: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (mu, sigma) = (f64::ln(0.032), 0.66);
        let (s50, s99) = (mu.exp(), (mu + sigma * normal_quantile(0.99)).exp());
        let ready = vec![pods; rates.len()];
        let extra = |r: f64| if r / pods * 0.04 > 0.5 { 0.2 } else { 0.0 };
        let p50 = rates.iter().map(|&r| s50 + extra(r)).collect();
        let p99 = rates.iter().map(|&r| s99 + 3.0 * extra(r)).collect();
        (ready, p50, p99)
    }

    #[test]
    fn learns_from_the_quiet_samples_only() {
        let rates: Vec<f64> = (0..100).map(|i| if i < 30 { 2.0 } else { 200.0 }).collect();
        let (ready, p50, p99) = data(&rates, 4.0);
        let f = fit(
            Samples {
                rate: &rates,
                ready: &ready,
                p50: Some(&p50),
                p99: Some(&p99),
            },
            2,
        );
        let mean = f.mean.unwrap();
        let want = stats::lognormal_mean(f64::ln(0.032), 0.66);
        assert!((mean - want).abs() / want < 1e-9, "{mean} vs {want}");
        assert_eq!(f.quality.samples, 30);
        assert!(f.kept[0] && !f.kept[50]);
    }

    #[test]
    fn no_quiet_period_is_null_with_reason() {
        let rates = vec![200.0; 40];
        let (ready, p50, p99) = data(&rates, 4.0);
        let f = fit(
            Samples {
                rate: &rates,
                ready: &ready,
                p50: Some(&p50),
                p99: Some(&p99),
            },
            1,
        );
        assert_eq!(f.mean, None);
        assert!(f.quality.reason.unwrap().contains("no low-load period"));
    }

    #[test]
    fn a_missing_quantile_is_null_with_reason() {
        let rates = vec![1.0; 10];
        let ready = vec![1.0; 10];
        let f = fit(
            Samples {
                rate: &rates,
                ready: &ready,
                p50: None,
                p99: Some(&rates),
            },
            1,
        );
        assert!(f.quality.reason.unwrap().contains("--latency-p50"));
    }
}
