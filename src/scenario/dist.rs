//! Random durations users describe: `{dist: exponential, mean: 80ms}`, `constant`, `uniform`,
//! `lognormal` (from mean and p99, or mean and coefficient of variation), or a bare duration
//! (`30s`, meaning constant).

use crate::rng::Stream;
use crate::units::{Seconds, format_seconds, parse_duration};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// z-score of the 99th percentile of the standard normal.
const Z99: f64 = 2.326_347_874_040_841;

/// A distribution of non-negative durations (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Dist {
    Constant {
        value: f64,
    },
    Exponential {
        mean: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    /// ln X ~ N(mu, sigma²).
    Lognormal {
        mu: f64,
        sigma: f64,
    },
}

impl Dist {
    pub fn constant(value: f64) -> Dist {
        Dist::Constant { value }
    }

    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
        }
    }

    /// Squared coefficient of variation (variance / mean²).
    pub fn scv(&self) -> f64 {
        match *self {
            Dist::Constant { .. } => 0.0,
            Dist::Exponential { .. } => 1.0,
            Dist::Uniform { min, max } => {
                let m = (min + max) / 2.0;
                if m == 0.0 {
                    0.0
                } else {
                    (max - min).powi(2) / 12.0 / (m * m)
                }
            }
            Dist::Lognormal { sigma, .. } => (sigma * sigma).exp() - 1.0,
        }
    }

    pub fn max(&self) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Uniform { max, .. } => max,
            _ => f64::INFINITY,
        }
    }

    #[inline]
    pub fn sample(&self, rng: &mut Stream) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => mean * rng.exp1(),
            Dist::Uniform { min, max } => min + (max - min) * rng.uniform(),
            Dist::Lognormal { mu, sigma } => (mu + sigma * rng.normal()).exp(),
        }
    }

    /// One-line description for tables and logs.
    pub fn describe(&self) -> String {
        match *self {
            Dist::Constant { value } => format!("constant {}", format_seconds(value)),
            Dist::Exponential { mean } => format!("exponential, mean {}", format_seconds(mean)),
            Dist::Uniform { min, max } => {
                format!("uniform {}–{}", format_seconds(min), format_seconds(max))
            }
            Dist::Lognormal { .. } => format!(
                "lognormal, mean {}, cv {:.2}",
                format_seconds(self.mean()),
                self.scv().sqrt()
            ),
        }
    }

    /// Lognormal with the given mean and 99th percentile (the smaller σ root).
    pub fn lognormal_from_p99(mean: f64, p99: f64) -> Result<Dist, String> {
        if !(mean > 0.0 && p99 > 0.0) {
            return Err("lognormal needs mean > 0 and p99 > 0".into());
        }
        if p99 <= mean {
            return Err(format!(
                "lognormal p99 ({}) must be above the mean ({})",
                format_seconds(p99),
                format_seconds(mean)
            ));
        }
        let l = (p99 / mean).ln();
        let disc = Z99 * Z99 - 2.0 * l;
        if disc < 0.0 {
            return Err(format!(
                "lognormal p99 is {:.1}× the mean; no lognormal has a p99 above ~{:.1}× its mean (use {{mean, cv}} instead)",
                p99 / mean,
                (Z99 * Z99 / 2.0).exp()
            ));
        }
        let sigma = Z99 - disc.sqrt();
        let mu = mean.ln() - sigma * sigma / 2.0;
        Ok(Dist::Lognormal { mu, sigma })
    }

    /// Lognormal with the given mean and coefficient of variation.
    pub fn lognormal_from_cv(mean: f64, cv: f64) -> Result<Dist, String> {
        if !(mean > 0.0) || !(cv >= 0.0) || !cv.is_finite() {
            return Err("lognormal needs mean > 0 and cv ≥ 0".into());
        }
        let sigma = (1.0 + cv * cv).ln().sqrt();
        Ok(Dist::Lognormal {
            mu: mean.ln() - sigma * sigma / 2.0,
            sigma,
        })
    }
}

/// The user's spelling, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDist {
    dist: String,
    #[serde(default)]
    value: Option<Seconds>,
    #[serde(default)]
    mean: Option<Seconds>,
    #[serde(default)]
    min: Option<Seconds>,
    #[serde(default)]
    max: Option<Seconds>,
    #[serde(default)]
    p99: Option<Seconds>,
    #[serde(default)]
    cv: Option<f64>,
}

enum DistInput {
    Bare(Seconds),
    Full(RawDist),
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Accept a bare duration as a constant; otherwise a `{dist: ...}` map.
        let v = serde_json::Value::deserialize(d)?;
        let input = match &v {
            serde_json::Value::String(s) => {
                DistInput::Bare(parse_duration(s).map_err(de::Error::custom)?)
            }
            serde_json::Value::Number(n) => {
                DistInput::Bare(Seconds(n.as_f64().unwrap_or(f64::NAN)))
            }
            serde_json::Value::Object(_) => {
                DistInput::Full(RawDist::deserialize(v).map_err(de::Error::custom)?)
            }
            _ => {
                return Err(de::Error::custom(
                    "expected a duration or a map such as {dist: exponential, mean: 80ms}",
                ));
            }
        };
        from_input(input).map_err(de::Error::custom)
    }
}

fn from_input(input: DistInput) -> Result<Dist, String> {
    let r = match input {
        DistInput::Bare(s) => {
            if !(s.0 >= 0.0) {
                return Err("a duration must be zero or more".into());
            }
            return Ok(Dist::constant(s.0));
        }
        DistInput::Full(r) => r,
    };
    let need = |v: Option<Seconds>, name: &str| {
        v.map(|s| s.0)
            .ok_or_else(|| format!("dist `{}` needs `{name}`", r.dist))
    };
    let unexpected = |names: &[(&str, bool)]| -> Result<(), String> {
        for (n, present) in names {
            if *present {
                return Err(format!("dist `{}` does not take `{n}`", r.dist));
            }
        }
        Ok(())
    };
    match r.dist.as_str() {
        "constant" | "deterministic" => {
            unexpected(&[
                ("mean", r.mean.is_some()),
                ("min", r.min.is_some()),
                ("max", r.max.is_some()),
                ("p99", r.p99.is_some()),
                ("cv", r.cv.is_some()),
            ])?;
            Ok(Dist::constant(need(r.value, "value")?))
        }
        "exponential" => {
            unexpected(&[
                ("value", r.value.is_some()),
                ("min", r.min.is_some()),
                ("max", r.max.is_some()),
                ("p99", r.p99.is_some()),
                ("cv", r.cv.is_some()),
            ])?;
            let mean = need(r.mean, "mean")?;
            if mean <= 0.0 {
                return Err("exponential mean must be above zero".into());
            }
            Ok(Dist::Exponential { mean })
        }
        "uniform" => {
            unexpected(&[
                ("value", r.value.is_some()),
                ("mean", r.mean.is_some()),
                ("p99", r.p99.is_some()),
                ("cv", r.cv.is_some()),
            ])?;
            let (min, max) = (need(r.min, "min")?, need(r.max, "max")?);
            if min > max {
                return Err(format!(
                    "uniform min ({}) is above max ({})",
                    format_seconds(min),
                    format_seconds(max)
                ));
            }
            Ok(Dist::Uniform { min, max })
        }
        "lognormal" => {
            unexpected(&[
                ("value", r.value.is_some()),
                ("min", r.min.is_some()),
                ("max", r.max.is_some()),
            ])?;
            let mean = need(r.mean, "mean")?;
            match (r.p99, r.cv) {
                (Some(p99), None) => Dist::lognormal_from_p99(mean, p99.0),
                (None, Some(cv)) => Dist::lognormal_from_cv(mean, cv),
                (Some(_), Some(_)) => Err("lognormal takes either `p99` or `cv`, not both".into()),
                (None, None) => Err("lognormal needs `p99` or `cv` besides `mean`".into()),
            }
        }
        other => Err(format!(
            "unknown dist {other:?}: expected one of constant, exponential, uniform, lognormal"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Dist, String> {
        serde_saphyr::from_str::<Dist>(s).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            parse("{dist: exponential, mean: 80ms}").unwrap(),
            Dist::Exponential { mean: 0.08 }
        );
        assert_eq!(parse("30s").unwrap(), Dist::constant(30.0));
        assert_eq!(
            parse("{dist: uniform, min: 20s, max: 40s}").unwrap(),
            Dist::Uniform {
                min: 20.0,
                max: 40.0
            }
        );
        let ln = parse("{dist: lognormal, mean: 100ms, p99: 500ms}").unwrap();
        assert!((ln.mean() - 0.1).abs() < 1e-12);
        let ln = parse("{dist: lognormal, mean: 100ms, cv: 1.0}").unwrap();
        assert!((ln.scv() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_forms() {
        assert!(
            parse("{dist: gamma, mean: 1s}")
                .unwrap_err()
                .contains("unknown dist")
        );
        assert!(
            parse("{dist: lognormal, mean: 10ms, p99: 1s}")
                .unwrap_err()
                .contains("15")
        );
        assert!(
            parse("{dist: exponential}")
                .unwrap_err()
                .contains("needs `mean`")
        );
        assert!(parse("{dist: uniform, min: 5s, max: 1s}").is_err());
        assert!(parse("-3s").is_err());
    }

    #[test]
    fn lognormal_p99_is_right() {
        let d = Dist::lognormal_from_p99(0.1, 0.5).unwrap();
        let Dist::Lognormal { mu, sigma } = d else {
            panic!()
        };
        assert!(((mu + Z99 * sigma).exp() - 0.5).abs() < 1e-9);
    }
}
