//! Random durations users describe: `{dist: exponential, mean: 80ms}`, `constant`, `uniform`,
//! `lognormal` (from mean and p99, or mean and coefficient of variation), or a bare duration
//! (`30s`, meaning constant).

use crate::rng::Stream;
use crate::units::{Seconds, format_seconds, parse_duration};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// z-score of the 99th percentile of the standard normal.
const Z99: f64 = 2.326_347_874_040_841;

/// Quantile function of the standard normal, by Acklam's rational approximation (relative
/// error below 1.2e-9 over (0, 1)); −∞ at 0.
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A distribution tabulated at equiprobable quantiles, for drawing many samples cheaply: a
/// uniform picks one of `BINS` equally likely bins and a point in it by linear interpolation
/// between its bounding quantiles; the top bin, where an unbounded distribution's quantiles
/// run off, is drawn exactly by its inverse CDF. Close to the distribution in every moment
/// and quantile that matters for latency (within a 1/`BINS` quantile step); not bit-equal to
/// [`Dist::sample`].
#[derive(Debug, Clone)]
pub(crate) struct QuantileTable {
    dist: Dist,
    /// `quantile(i / BINS)` for `i` in `0..BINS` (the top bin's upper bound is not needed).
    q: Vec<f64>,
}

impl QuantileTable {
    pub(crate) const BINS: usize = 1024;

    pub(crate) fn new(dist: Dist) -> QuantileTable {
        let q = (0..Self::BINS)
            .map(|i| dist.quantile(i as f64 / Self::BINS as f64))
            .collect();
        QuantileTable { dist, q }
    }

    #[inline]
    pub(crate) fn draw(&self, rng: &mut Stream) -> f64 {
        self.at(rng.uniform())
    }

    /// The quantile at `p` in `[0, 1)`, interpolated between the table's entries (the top bin
    /// from the distribution itself).
    #[inline]
    pub(crate) fn at(&self, p: f64) -> f64 {
        let u = p * Self::BINS as f64;
        let i = u as i64 as usize; // floor: u in [0, BINS), one conversion instruction
        if i + 1 >= Self::BINS {
            return self.dist.quantile(u / Self::BINS as f64);
        }
        let f = u - i as f64;
        self.q[i] + f * (self.q[i + 1] - self.q[i])
    }
}

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
    pub(crate) fn constant(value: f64) -> Dist {
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
    pub(crate) fn scv(&self) -> f64 {
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

    #[inline(always)]
    pub(crate) fn sample(&self, rng: &mut Stream) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => mean * rng.exp1(),
            Dist::Uniform { min, max } => min + (max - min) * rng.uniform(),
            Dist::Lognormal { mu, sigma } => (mu + sigma * rng.normal()).exp(),
        }
    }

    /// The `p`-quantile (inverse CDF), `0 ≤ p < 1`.
    pub(crate) fn quantile(&self, p: f64) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => -mean * (-p).ln_1p(),
            Dist::Uniform { min, max } => min + (max - min) * p,
            Dist::Lognormal { mu, sigma } => (mu + sigma * normal_quantile(p)).exp(),
        }
    }

    /// One-line description for tables and logs.
    pub(crate) fn describe(&self) -> String {
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
    pub(crate) fn lognormal_from_p99(mean: f64, p99: f64) -> Result<Dist, String> {
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
    pub(crate) fn lognormal_from_cv(mean: f64, cv: f64) -> Result<Dist, String> {
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

/// The JSON Schema of what [`Dist`]'s deserializer reads: a bare duration (a constant), or a
/// `{dist: …}` map with exactly the fields `from_input` lets that kind take.
impl schemars::JsonSchema for Dist {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Distribution".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let d = g.subschema_for::<Seconds>();
        let kind = |names: &[&str], fields: &[(&str, &schemars::Schema)], required: &[&str]| {
            let mut props = serde_json::Map::new();
            props.insert("dist".into(), serde_json::json!({ "enum": names }));
            for (name, schema) in fields {
                props.insert(
                    (*name).into(),
                    serde_json::to_value(schema).unwrap_or_default(),
                );
            }
            serde_json::json!({
                "type": "object",
                "properties": props,
                "required": required,
                "additionalProperties": false,
            })
        };
        let cv = schemars::json_schema!({ "type": "number", "minimum": 0 });
        schemars::json_schema!({
            "description": "A random duration: a bare duration (constant), or {dist: constant, value}, {dist: exponential, mean}, {dist: uniform, min, max}, {dist: lognormal, mean, p99} or {dist: lognormal, mean, cv}.",
            "anyOf": [
                d,
                kind(&["constant", "deterministic"], &[("value", &d)], &["dist", "value"]),
                kind(&["exponential"], &[("mean", &d)], &["dist", "mean"]),
                kind(&["uniform"], &[("min", &d), ("max", &d)], &["dist", "min", "max"]),
                kind(&["lognormal"], &[("mean", &d), ("p99", &d)], &["dist", "mean", "p99"]),
                kind(&["lognormal"], &[("mean", &d), ("cv", &cv)], &["dist", "mean", "cv"]),
            ],
        })
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

    #[test]
    fn normal_quantile_inverts_known_points() {
        assert!((normal_quantile(0.99) - Z99).abs() < 1e-8);
        assert!(normal_quantile(0.5).abs() < 1e-12);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813).abs() < 1e-8);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
    }

    #[test]
    fn quantile_table_draws_keep_mean_and_p99() {
        let dists = [
            Dist::lognormal_from_p99(0.05, 0.25).unwrap(),
            Dist::Exponential { mean: 0.08 },
            Dist::Uniform {
                min: 0.01,
                max: 0.03,
            },
            Dist::constant(0.2),
        ];
        for d in dists {
            let table = QuantileTable::new(d);
            let mut rng = Stream::new(7, "table");
            let n = 400_000;
            let mut xs: Vec<f64> = (0..n).map(|_| table.draw(&mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            assert!(
                (mean - d.mean()).abs() < 0.01 * d.mean(),
                "{d:?}: mean {mean}"
            );
            xs.sort_by(f64::total_cmp);
            let p99 = xs[(0.99 * n as f64) as usize];
            let want = d.quantile(0.99);
            assert!(
                (p99 - want).abs() <= 0.02 * want,
                "{d:?}: p99 {p99} vs {want}"
            );
            assert!(xs[0] >= 0.0);
        }
    }
}
