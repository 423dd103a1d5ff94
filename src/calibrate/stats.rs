//! Small statistics the fits share: fit quality, quantiles, r², Erlang C, and the lognormal
//! from two quantiles.

use crate::settings::dist::normal_quantile;

/// How good a fit is, as `calibration.json` reports it under `fit.<name>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Quality {
    /// Samples the value was learned from.
    pub(crate) samples: usize,
    /// Coefficient of determination, for regressions.
    pub(crate) r2: Option<f64>,
    /// A range for the value: 95 % interval (regressions) or the 10–90 % spread of the
    /// per-sample estimates.
    pub(crate) interval: Option<[f64; 2]>,
    /// Why the value is null, or what was adjusted; `None` for a plain fit.
    pub(crate) reason: Option<String>,
}

impl Quality {
    pub(crate) fn null(samples: usize, reason: String) -> Quality {
        Quality {
            samples,
            reason: Some(reason),
            ..Default::default()
        }
    }

    pub(crate) fn fitted(samples: usize, note: Option<String>) -> Quality {
        Quality {
            samples,
            reason: note,
            ..Default::default()
        }
    }
}

/// `1 − SSE/SST` with SST about the mean of `observed`; `None` when the observations are flat.
pub(crate) fn r_squared(observed: &[f64], predicted: &[f64]) -> Option<f64> {
    let n = observed.len() as f64;
    if n == 0.0 {
        return None;
    }
    let mean = observed.iter().sum::<f64>() / n;
    let sst: f64 = observed.iter().map(|o| (o - mean).powi(2)).sum();
    let sse: f64 = observed
        .iter()
        .zip(predicted)
        .map(|(o, p)| (o - p).powi(2))
        .sum();
    (sst > 0.0).then(|| 1.0 - sse / sst)
}

/// The `p`-quantile of `values` (linear between order statistics, as numpy's default);
/// `None` when empty. NaNs are left out.
pub(crate) fn quantile(values: &[f64], p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let h = p.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

pub(crate) fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Erlang C: the probability that an arrival waits at a station of `servers` servers offered
/// `load` erlangs (arrival rate × mean service time). 1 at or above saturation.
pub(crate) fn erlang_c(servers: u32, load: f64) -> f64 {
    let c = servers.max(1) as f64;
    if load.is_nan() || load <= 0.0 {
        return 0.0;
    }
    if load >= c {
        return 1.0;
    }
    // Erlang B by its recurrence, then C from B.
    let mut b = 1.0;
    for k in 1..=servers.max(1) {
        b = load * b / (k as f64 + load * b);
    }
    c * b / (c - load * (1.0 - b))
}

/// A lognormal's (μ, σ) from its median and `p`-quantile (`q > median`).
pub(crate) fn lognormal_from_quantiles(median: f64, q: f64, p: f64) -> Option<(f64, f64)> {
    if !(median > 0.0 && q > median) {
        return None;
    }
    let z = normal_quantile(p);
    Some((median.ln(), (q / median).ln() / z))
}

/// Mean of a lognormal (μ, σ).
pub(crate) fn lognormal_mean(mu: f64, sigma: f64) -> f64 {
    (mu + sigma * sigma / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[1.0, f64::NAN, 5.0], 1.0), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn erlang_c_known_values() {
        // One server: the wait probability is the utilisation.
        assert!((erlang_c(1, 0.3) - 0.3).abs() < 1e-12);
        // Two servers at 1 erlang: C = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(erlang_c(4, 5.0), 1.0);
        assert_eq!(erlang_c(4, 0.0), 0.0);
    }

    #[test]
    fn lognormal_round_trip() {
        let (mu, sigma) = (-3.4, 0.66);
        let med = f64::exp(mu);
        let p99 = (mu + sigma * normal_quantile(0.99)).exp();
        let (m2, s2) = lognormal_from_quantiles(med, p99, 0.99).unwrap();
        assert!((m2 - mu).abs() < 1e-9 && (s2 - sigma).abs() < 1e-9);
        assert!(lognormal_from_quantiles(1.0, 0.5, 0.99).is_none());
    }

    #[test]
    fn r_squared_flat_is_none() {
        assert_eq!(r_squared(&[1.0, 1.0], &[1.0, 1.0]), None);
        assert_eq!(r_squared(&[1.0, 2.0], &[1.0, 2.0]), Some(1.0));
    }
}
