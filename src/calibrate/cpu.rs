//! CPU per request and idle CPU per pod, from CPU used against request rate and Ready pods.
//!
//! The model is `cpu = a·rate + b·ready` with no intercept: `a` CPU-seconds per request, `b`
//! cores a Ready pod burns doing nothing (runtime, health checks, GC). It is fitted by ordinary
//! least squares on every aligned sample with at least one Ready pod. The fit reports `r²`
//! (1 − SSE/SST, SST about the mean CPU, so it compares against a flat line) and a 95 %
//! interval for `a` (±1.96 standard errors).
//!
//! It cannot separate the two when rate and Ready pods move in lockstep (an autoscaler that
//! keeps requests per pod constant makes them nearly proportional); then both are null with
//! that reason. A negative idle CPU (no physical meaning) is refitted with `b = 0`.

use super::stats::Quality;

/// Rate and Ready pods closer to collinear than this (cos² of their angle) cannot be told apart.
const MAX_COLLINEARITY: f64 = 0.9999;
/// `a`'s 95 % half-interval above this fraction of `a` means the data does not identify it.
const MAX_RELATIVE_HALF_INTERVAL: f64 = 0.5;
/// At least this many samples.
pub(crate) const MIN_SAMPLES: usize = 5;

/// The CPU fit: both values, or null with a reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CpuFit {
    /// CPU-seconds per request.
    pub(crate) per_request: Option<f64>,
    /// Cores per Ready pod at zero load.
    pub(crate) idle_per_pod: Option<f64>,
    pub(crate) quality: Quality,
}

/// Fit `cpu = a·rate + b·ready` (see the module docs).
pub(crate) fn fit(rate: &[f64], ready: &[f64], cpu: &[f64]) -> CpuFit {
    let pts: Vec<(f64, f64, f64)> = rate
        .iter()
        .zip(ready)
        .zip(cpu)
        .map(|((&r, &p), &c)| (r, p, c))
        .filter(|&(r, p, c)| r.is_finite() && p.is_finite() && c.is_finite() && p >= 1.0)
        .collect();
    let n = pts.len();
    let null = |reason: String| CpuFit {
        per_request: None,
        idle_per_pod: None,
        quality: Quality::null(n, reason),
    };
    if n < MIN_SAMPLES {
        return null(format!(
            "{n} aligned samples with a Ready pod; the CPU fit needs at least {MIN_SAMPLES}"
        ));
    }
    let sum = |f: &dyn Fn(&(f64, f64, f64)) -> f64| pts.iter().map(f).sum::<f64>();
    let (srr, spp, srp) = (
        sum(&|x| x.0 * x.0),
        sum(&|x| x.1 * x.1),
        sum(&|x| x.0 * x.1),
    );
    let (src, spc) = (sum(&|x| x.0 * x.2), sum(&|x| x.1 * x.2));
    if srr <= 0.0 {
        return null("the request rate is zero throughout: CPU per request cannot be seen".into());
    }
    let cos2 = srp * srp / (srr * spp);
    if cos2 > MAX_COLLINEARITY {
        return null(format!(
            "request rate and Ready pods move together (cos² {cos2:.5}): CPU per request and idle CPU per pod cannot be told apart; include a period where requests per pod change (e.g. night at minReplicas)"
        ));
    }
    let det = srr * spp - srp * srp;
    let (mut a, mut b) = ((src * spp - spc * srp) / det, (spc * srr - src * srp) / det);
    let mut note = None;
    let mut var_a_factor = spp / det;
    if b < 0.0 {
        a = src / srr;
        b = 0.0;
        var_a_factor = 1.0 / srr;
        note = Some(
            "the free fit gave a negative idle CPU per pod; refitted with idle CPU 0".to_string(),
        );
    }
    let predicted: Vec<f64> = pts.iter().map(|x| a * x.0 + b * x.1).collect();
    let observed: Vec<f64> = pts.iter().map(|x| x.2).collect();
    let r2 = super::stats::r_squared(&observed, &predicted);
    let sse: f64 = observed
        .iter()
        .zip(&predicted)
        .map(|(o, p)| (o - p).powi(2))
        .sum();
    let half = 1.96 * (sse / (n - 2) as f64 * var_a_factor).sqrt();
    let mut quality = Quality::fitted(n, note);
    quality.r2 = r2;
    quality.interval = Some([a - half, a + half]);
    if a.is_nan() || a <= 0.0 || half > MAX_RELATIVE_HALF_INTERVAL * a {
        return CpuFit {
            per_request: None,
            idle_per_pod: Some(b),
            quality: Quality {
                reason: Some(format!(
                    "CPU per request is not identified by this data: {a:.4} ± {half:.4} CPU-seconds (95 %)"
                )),
                ..quality
            },
        };
    }
    CpuFit {
        per_request: Some(a),
        idle_per_pod: Some(b),
        quality,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_exact_parameters() {
        let rate: Vec<f64> = (0..50).map(|i| 10.0 + i as f64 * 3.0).collect();
        let ready: Vec<f64> = (0..50).map(|i| 2.0 + (i % 7) as f64).collect();
        let cpu: Vec<f64> = rate
            .iter()
            .zip(&ready)
            .map(|(r, p)| 0.02 * r + 0.05 * p)
            .collect();
        let f = fit(&rate, &ready, &cpu);
        assert!((f.per_request.unwrap() - 0.02).abs() < 1e-12);
        assert!((f.idle_per_pod.unwrap() - 0.05).abs() < 1e-12);
        assert!((f.quality.r2.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(f.quality.samples, 50);
        assert!(f.quality.reason.is_none());
    }

    #[test]
    fn proportional_rate_and_pods_are_not_separable() {
        let ready: Vec<f64> = (1..40).map(|i| i as f64).collect();
        let rate: Vec<f64> = ready.iter().map(|p| 10.0 * p).collect();
        let cpu: Vec<f64> = ready.iter().map(|p| 0.25 * p).collect();
        let f = fit(&rate, &ready, &cpu);
        assert_eq!(f.per_request, None);
        assert_eq!(f.idle_per_pod, None);
        assert!(f.quality.reason.unwrap().contains("move together"));
    }

    #[test]
    fn negative_idle_is_refitted_at_zero() {
        let rate: Vec<f64> = (0..30).map(|i| 5.0 + i as f64).collect();
        let ready: Vec<f64> = (0..30).map(|i| 1.0 + (i % 4) as f64).collect();
        let cpu: Vec<f64> = rate
            .iter()
            .zip(&ready)
            .map(|(r, p)| 0.03 * r - 0.01 * p)
            .collect();
        let f = fit(&rate, &ready, &cpu);
        assert_eq!(f.idle_per_pod, Some(0.0));
        assert!(f.quality.reason.unwrap().contains("negative idle"));
    }

    #[test]
    fn too_few_samples_and_no_pods() {
        let f = fit(&[1.0, 2.0], &[1.0, 1.0], &[0.1, 0.2]);
        assert!(f.per_request.is_none());
        assert!(f.quality.reason.unwrap().contains("at least"));
        let f = fit(&[1.0; 10], &[0.0; 10], &[0.1; 10]);
        assert_eq!(f.quality.samples, 0);
    }
}
