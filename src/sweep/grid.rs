//! What a sweep varies: `--vary PATH=VALUES` parsed into a patch target and a list of values,
//! and the points of the grid (the cross product, or a seeded random sample of it).
//!
//! Paths: `hpa.`, `scaledobject.`, `scaledjob.`, `deployment.` (also `statefulset.`) address the
//! only manifest object of that kind; `Kind[name].` (e.g. `ScaledObject[orders].`) one of
//! several; anything else is a path in the scenario file (`pods.startup.max`).
//!
//! Values: a comma-separated list (`40,50,60`) and/or ranges `a..b:step` (inclusive end;
//! `a..b` steps by 1). Ranges of integers give integers, of decimals decimals (`0.1..0.3:0.1`
//! gives 0.1, 0.2, 0.3), and of durations (any end or step with a unit: `30s..2m:30s`) give
//! whole-unit seconds (`30s, 60s, 90s, 120s`). Numbers become JSON numbers, `true`/`false`
//! booleans, anything else a string; the value then takes the type of the one it replaces
//! ([`crate::scenario::patch::coerce_like`]).

use crate::manifest::kind::ObjectKind;
use crate::scenario::patch::{Patch, PatchTarget};
use serde_json::Value;

/// Upper bound on the points of a full grid (use `--sample` beyond).
pub(crate) const MAX_POINTS: u128 = 1_000_000;
/// Upper bound on the values of one range.
pub(crate) const MAX_VALUES: usize = 100_000;

/// Short names of the manifest kinds a sweep path may start with.
const KIND_ALIASES: &[(&str, ObjectKind)] = &[
    ("hpa", ObjectKind::HorizontalPodAutoscaler),
    (
        "horizontalpodautoscaler",
        ObjectKind::HorizontalPodAutoscaler,
    ),
    ("scaledobject", ObjectKind::ScaledObject),
    ("scaledjob", ObjectKind::ScaledJob),
    ("deployment", ObjectKind::Deployment),
    ("statefulset", ObjectKind::StatefulSet),
];

/// One value of a varied parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct VaryValue {
    /// As shown in `sweep.csv` and tables (`30s`, `40`).
    pub(crate) label: String,
    pub(crate) value: Value,
}

/// One varied parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// The path as written (`hpa.spec.metrics[0].resource.target.averageUtilization`).
    pub(crate) path: String,
    pub(crate) target: PatchTarget,
    /// The path inside the target document.
    pub(crate) field: String,
    pub(crate) values: Vec<VaryValue>,
}

impl Vary {
    /// Parse `PATH=VALUES`.
    pub fn parse(spec: &str) -> Result<Vary, String> {
        let (path, values) = spec.split_once('=').ok_or_else(|| {
            format!("{spec:?}: expected PATH=VALUES, e.g. hpa.spec.maxReplicas=10,20,30")
        })?;
        Self::new(
            path.trim(),
            parse_values(values).map_err(|m| format!("{}: {m}", path.trim()))?,
        )
    }

    /// A varied parameter from a path and its values.
    pub(crate) fn new(path: &str, values: Vec<VaryValue>) -> Result<Vary, String> {
        let (target, field) = parse_path(path)?;
        if values.is_empty() {
            return Err(format!("{path}: no values"));
        }
        Ok(Vary {
            path: path.to_string(),
            target,
            field,
            values,
        })
    }

    /// The patch that sets value `i`.
    pub(crate) fn patch(&self, i: usize) -> Patch {
        Patch {
            target: self.target.clone(),
            path: self.field.clone(),
            value: self.values[i].value.clone(),
        }
    }
}

/// Split a sweep path into its target and the path inside it.
pub(crate) fn parse_path(path: &str) -> Result<(PatchTarget, String), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    let bad = |why: &str| format!("{path:?}: {why}");
    // `Kind[name].rest` (a non-numeric index on the first segment names a manifest object).
    if let Some(open) = path.find('[') {
        let first_dot = path.find('.').unwrap_or(path.len());
        if open < first_dot {
            let close = path[open..]
                .find(']')
                .map(|c| open + c)
                .ok_or_else(|| bad("unclosed `[`"))?;
            let inner = &path[open + 1..close];
            if !inner.chars().all(|c| c.is_ascii_digit()) {
                let kind = &path[..open];
                let rest = path[close + 1..]
                    .strip_prefix('.')
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| bad("expected a field after `Kind[name].`"))?;
                if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(bad("expected `Kind[name].field`"));
                }
                if inner.is_empty() {
                    return Err(bad("empty object name in `Kind[]`"));
                }
                return Ok((
                    PatchTarget::Manifest {
                        kind: alias(kind).unwrap_or(kind).to_string(),
                        name: Some(inner.to_string()),
                    },
                    rest.to_string(),
                ));
            }
        }
    }
    if let Some((first, rest)) = path.split_once('.')
        && let Some(kind) = alias(first)
    {
        if rest.is_empty() {
            return Err(bad("expected a field after the kind"));
        }
        return Ok((
            PatchTarget::Manifest {
                kind: kind.to_string(),
                name: None,
            },
            rest.to_string(),
        ));
    }
    Ok((PatchTarget::Scenario, path.to_string()))
}

fn alias(s: &str) -> Option<&'static str> {
    KIND_ALIASES
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(s))
        .map(|(_, k)| k.as_str())
}

/// A value written on the command line, typed: number, boolean or string.
pub(crate) fn infer(text: &str) -> VaryValue {
    let t = text.trim();
    let value = if let Ok(i) = t.parse::<i64>() {
        Value::from(i)
    } else if let Some(n) = t
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .and_then(serde_json::Number::from_f64)
    {
        Value::Number(n)
    } else if t == "true" || t == "false" {
        Value::Bool(t == "true")
    } else {
        Value::String(t.to_string())
    };
    VaryValue {
        label: t.to_string(),
        value,
    }
}

/// Parse `40,50,60`, `60..600:60`, `30s..2m:30s`, or a mix (`1,5..7,10`).
pub fn parse_values(text: &str) -> Result<Vec<VaryValue>, String> {
    let mut out = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("empty value in {text:?}"));
        }
        match item.split_once("..") {
            Some((a, rest)) => out.extend(parse_range(item, a, rest)?),
            None => out.push(infer(item)),
        }
        if out.len() > MAX_VALUES {
            return Err(format!("more than {MAX_VALUES} values"));
        }
    }
    Ok(out)
}

fn parse_range(item: &str, a: &str, rest: &str) -> Result<Vec<VaryValue>, String> {
    let (b, step) = match rest.split_once(':') {
        Some((b, s)) => (b, Some(s)),
        None => (rest, None),
    };
    let bad = |why: String| format!("range {item:?}: {why}");
    let (a, b, step) = (a.trim(), b.trim(), step.map(str::trim));
    let plain = |s: &str| s.parse::<f64>().is_ok();
    let is_duration = !plain(a) || !plain(b) || step.is_some_and(|s| !plain(s));
    let num = |s: &str| -> Result<f64, String> {
        if is_duration {
            crate::units::parse_duration(s).map(|d| d.0).map_err(bad)
        } else {
            s.parse::<f64>()
                .map_err(|_| bad(format!("{s:?} is not a number")))
        }
    };
    let (lo, hi) = (num(a)?, num(b)?);
    let integer = !is_duration
        && [Some(a), Some(b), step]
            .iter()
            .flatten()
            .all(|s| s.parse::<i64>().is_ok());
    let step = match step {
        Some(s) => num(s)?,
        None if integer => 1.0,
        None => return Err(bad("give a step: a..b:step".into())),
    };
    if ![lo, hi, step].iter().all(|v| v.is_finite()) {
        return Err(bad("the ends and the step must be finite numbers".into()));
    }
    if step <= 0.0 {
        return Err(bad("the step must be above zero".into()));
    }
    if hi < lo {
        return Err(bad("the end is below the start".into()));
    }
    let n = ((hi - lo) / step + 1e-9).floor() + 1.0;
    if n > MAX_VALUES as f64 {
        return Err(bad(format!("more than {MAX_VALUES} values")));
    }
    Ok((0..n as usize)
        .map(|i| {
            let v = round9(lo + i as f64 * step);
            if integer {
                let v = v as i64;
                VaryValue {
                    label: v.to_string(),
                    value: Value::from(v),
                }
            } else if is_duration {
                VaryValue {
                    label: format!("{v}s"),
                    value: Value::String(format!("{v}s")),
                }
            } else {
                VaryValue {
                    label: format!("{v}"),
                    value: serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
                }
            }
        })
        .collect())
}

/// Round away binary noise (`0.1 + 2 × 0.1`) so values print as written.
fn round9(v: f64) -> f64 {
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { 0.0 } else { r }
}

/// One point of a sweep: which value of each varied parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// Position in the sweep (row of `sweep.csv`), from 0.
    pub(crate) index: usize,
    /// Value index per varied parameter, in `--vary` order.
    pub(crate) choice: Vec<usize>,
}

/// The varied parameters together.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Grid {
    pub(crate) varies: Vec<Vary>,
}

impl Grid {
    /// Number of points of the full cross product (saturating).
    pub(crate) fn size(&self) -> u128 {
        self.varies
            .iter()
            .fold(1u128, |n, v| n.saturating_mul(v.values.len() as u128))
    }

    /// The `k`-th point of the cross product; the first `--vary` changes slowest, like nested
    /// loops in the order given.
    fn choice(&self, mut k: u128) -> Vec<usize> {
        let mut c = vec![0; self.varies.len()];
        for (i, v) in self.varies.iter().enumerate().rev() {
            let n = v.values.len() as u128;
            c[i] = (k % n) as usize;
            k /= n;
        }
        c
    }

    /// Every point of the cross product.
    pub(crate) fn full(&self) -> Result<Vec<Point>, String> {
        let n = self.size();
        if n > MAX_POINTS {
            return Err(format!(
                "the grid has {n} points (more than {MAX_POINTS}): vary fewer values or use --sample N"
            ));
        }
        Ok((0..n)
            .map(|k| Point {
                index: k as usize,
                choice: self.choice(k),
            })
            .collect())
    }

    /// `n` distinct points drawn at random (seeded) from the cross product, in grid order; the
    /// whole grid when it has no more than `n` points.
    pub(crate) fn sample(&self, n: usize, seed: u64) -> Result<Vec<Point>, String> {
        let size = self.size();
        if (n as u128) >= size {
            return self.full();
        }
        if n as u128 > MAX_POINTS {
            return Err(format!("--sample {n} is more than {MAX_POINTS} points"));
        }
        // Floyd's algorithm: n distinct draws from 0..size without materialising the grid.
        let mut rng = crate::rng::Stream::new(seed, "sweep-sample");
        let mut chosen = std::collections::BTreeSet::new();
        for j in (size - n as u128)..size {
            let t = below(&mut rng, j + 1);
            if !chosen.insert(t) {
                chosen.insert(j);
            }
        }
        Ok(chosen
            .into_iter()
            .enumerate()
            .map(|(index, k)| Point {
                index,
                choice: self.choice(k),
            })
            .collect())
    }

    /// The patches of a point.
    pub(crate) fn patches(&self, p: &Point) -> Vec<Patch> {
        self.varies
            .iter()
            .zip(&p.choice)
            .map(|(v, &i)| v.patch(i))
            .collect()
    }

    /// The labels of a point's values, in `--vary` order.
    pub(crate) fn labels(&self, p: &Point) -> Vec<&str> {
        self.varies
            .iter()
            .zip(&p.choice)
            .map(|(v, &i)| v.values[i].label.as_str())
            .collect()
    }

    /// `path=value, …` for messages.
    pub(crate) fn describe(&self, p: &Point) -> String {
        self.varies
            .iter()
            .zip(self.labels(p))
            .map(|(v, l)| format!("{}={l}", v.path))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Uniform integer in `0..n` from 128 random bits (unbiased enough for any grid size).
fn below(rng: &mut crate::rng::Stream, n: u128) -> u128 {
    let x = ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128;
    x % n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: &[VaryValue]) -> Vec<&str> {
        v.iter().map(|v| v.label.as_str()).collect()
    }

    #[test]
    fn paths_pick_targets() {
        let (t, f) = parse_path("hpa.spec.metrics[0].resource.target.averageUtilization").unwrap();
        assert_eq!(
            t,
            PatchTarget::Manifest {
                kind: "HorizontalPodAutoscaler".into(),
                name: None
            }
        );
        assert_eq!(f, "spec.metrics[0].resource.target.averageUtilization");
        let (t, f) = parse_path("ScaledObject[orders].spec.cooldownPeriod").unwrap();
        assert_eq!(
            t,
            PatchTarget::Manifest {
                kind: "ScaledObject".into(),
                name: Some("orders".into())
            }
        );
        assert_eq!(f, "spec.cooldownPeriod");
        let (t, _) = parse_path("hpa[web].spec.maxReplicas").unwrap();
        assert!(t.selects("HorizontalPodAutoscaler", "web"));
        assert_eq!(
            parse_path("pods.startup.max").unwrap(),
            (PatchTarget::Scenario, "pods.startup.max".into())
        );
        assert_eq!(
            parse_path("trace.parts[0].rate").unwrap().0,
            PatchTarget::Scenario
        );
        assert!(parse_path("hpa.").is_err());
        assert!(parse_path("Foo[x]").is_err());
    }

    #[test]
    fn lists_and_ranges() {
        let v = parse_values("40,50,60").unwrap();
        assert_eq!(labels(&v), ["40", "50", "60"]);
        assert_eq!(v[0].value, json!(40));
        assert_eq!(labels(&parse_values("60..600:60").unwrap()).len(), 10);
        assert_eq!(labels(&parse_values("1..3").unwrap()), ["1", "2", "3"]);
        let d = parse_values("30s..2m:30s").unwrap();
        assert_eq!(labels(&d), ["30s", "60s", "90s", "120s"]);
        assert_eq!(d[0].value, json!("30s"));
        let f = parse_values("0.1..0.3:0.1").unwrap();
        assert_eq!(labels(&f), ["0.1", "0.2", "0.3"]);
        assert_eq!(f[2].value, json!(0.3));
        assert_eq!(
            labels(&parse_values("1,5..7,x").unwrap()),
            ["1", "5", "6", "7", "x"]
        );
        assert_eq!(parse_values("true").unwrap()[0].value, json!(true));
        assert_eq!(parse_values("30s").unwrap()[0].value, json!("30s"));
        assert!(parse_values("1,,2").is_err());
        assert!(parse_values("5..1:1").is_err());
        assert!(parse_values("1..5:0").is_err());
        assert!(parse_values("0.5..1").is_err());
        assert!(parse_values("1..1000000000").is_err());
        assert!(parse_values("nan..5:1").is_err());
    }

    #[test]
    fn grid_order_and_sample() {
        let g = Grid {
            varies: vec![
                Vary::parse("a=1,2").unwrap(),
                Vary::parse("b=x,y,z").unwrap(),
            ],
        };
        assert_eq!(g.size(), 6);
        let pts = g.full().unwrap();
        assert_eq!(g.describe(&pts[1]), "a=1, b=y");
        assert_eq!(g.describe(&pts[3]), "a=2, b=x");
        let s = g.sample(4, 7).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s, g.sample(4, 7).unwrap());
        let idx: Vec<usize> = s.iter().map(|p| p.index).collect();
        assert_eq!(idx, [0, 1, 2, 3]);
        let mut uniq = s.iter().map(|p| p.choice.clone()).collect::<Vec<_>>();
        uniq.dedup();
        assert_eq!(uniq.len(), 4);
        assert_eq!(g.sample(10, 7).unwrap().len(), 6);
        let big = Grid {
            varies: (0..8)
                .map(|i| Vary::parse(&format!("v{i}=1..100")).unwrap())
                .collect(),
        };
        assert!(big.full().is_err());
        assert_eq!(big.sample(5, 1).unwrap().len(), 5);
    }
}
