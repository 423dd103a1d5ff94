//! Patches: changes to a scenario or to one of the manifests it loads, applied to the parsed YAML
//! before it is read — how sweeps vary `hpa.spec.metrics[0].resource.target.averageUtilization`
//! or `pods.startup.max` without touching the user's files.

use serde_json::Value;

/// What a patch applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchTarget {
    /// The scenario file itself.
    Scenario,
    /// The manifest document of this kind (case-insensitive), optionally with this name.
    Manifest { kind: String, name: Option<String> },
}

/// Set the value at `path` (dots and `[index]`) of the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    pub target: PatchTarget,
    pub path: String,
    pub value: Value,
}

impl PatchTarget {
    /// Does this target select a document of `kind` named `name`?
    pub(crate) fn selects(&self, kind: &str, name: &str) -> bool {
        match self {
            PatchTarget::Scenario => false,
            PatchTarget::Manifest { kind: k, name: n } => {
                k.eq_ignore_ascii_case(kind) && n.as_deref().is_none_or(|n| n == name)
            }
        }
    }
}

#[derive(Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        if part.is_empty() {
            return Err(format!("empty segment in path {path:?}"));
        }
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in path {path:?}"))?;
            let idx: usize = r[..end]
                .parse()
                .map_err(|_| format!("`[{}]` is not a list index in path {path:?}", &r[..end]))?;
            out.push(Seg::Index(idx));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected {rest:?} in path {path:?}"));
        }
    }
    Ok(out)
}

/// Give a new value the JSON type of the value it replaces, so a patch keeps the document's
/// shape: a string stays a string (KEDA trigger metadata such as `queueLength: "5"` is all
/// strings, so `5` becomes `"5"`), a number stays a number (`"40"` becomes `40`; a duration
/// replacing a number of seconds such as `cooldownPeriod: 300` becomes seconds, `"30s"` → `30`,
/// `"1m30s"` → `90` — but a string that is also a Kubernetes quantity, such as `250m` or `2m`,
/// stays a string, since `m` is milli there), and `"true"`/`"false"` replacing a boolean become
/// booleans. Anything else, and any value with nothing to replace, is kept as given (the reader
/// of the document then judges it).
pub(crate) fn coerce_like(existing: Option<&Value>, value: Value) -> Value {
    match (existing, value) {
        (Some(Value::String(_)), Value::Number(n)) => Value::String(n.to_string()),
        (Some(Value::String(_)), Value::Bool(b)) => Value::String(b.to_string()),
        (Some(Value::Number(_)), Value::String(s)) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                Value::from(i)
            } else if let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                Value::Number(n)
            } else if crate::units::parse_quantity(t).is_ok() {
                // `250m`, `1Gi`: a quantity the reader parses itself; `2m` could also be two
                // minutes, so it is never guessed into seconds.
                Value::String(s)
            } else if let Ok(d) = crate::units::parse_duration(t) {
                seconds_value(d.0)
            } else {
                Value::String(s)
            }
        }
        (Some(Value::Bool(_)), Value::String(s)) => match s.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(s),
        },
        (_, v) => v,
    }
}

/// Seconds as a JSON number: an integer when whole (Kubernetes fields such as
/// `cooldownPeriod` or `stabilizationWindowSeconds` are integers).
fn seconds_value(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// Set `path` in `doc` to `value`, creating missing maps on the way. A list index must exist
/// (or be exactly one past the end, which appends). The value takes the type of the one it
/// replaces ([`coerce_like`]).
pub(crate) fn apply(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segs = segments(path)?;
    let Some((last, init)) = segs.split_last() else {
        return Err("empty path".into());
    };
    let mut cur = doc;
    for (i, seg) in init.iter().enumerate() {
        let next_is_index = matches!(segs[i + 1], Seg::Index(_));
        cur = match seg {
            Seg::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Object(Default::default());
                }
                let map = cur.as_object_mut().ok_or_else(|| {
                    format!("cannot set `{k}` in {path:?}: its parent is not a map")
                })?;
                map.entry(k.clone()).or_insert_with(|| {
                    if next_is_index {
                        Value::Array(Vec::new())
                    } else {
                        Value::Object(Default::default())
                    }
                })
            }
            Seg::Index(n) => {
                let list = cur
                    .as_array_mut()
                    .ok_or_else(|| format!("`[{n}]` in {path:?}: not a list"))?;
                let len = list.len();
                list.get_mut(*n)
                    .ok_or_else(|| format!("`[{n}]` in {path:?}: the list has {len} entries"))?
            }
        };
    }
    match last {
        Seg::Key(k) => {
            if cur.is_null() {
                *cur = Value::Object(Default::default());
            }
            let map = cur
                .as_object_mut()
                .ok_or_else(|| format!("cannot set `{k}` in {path:?}: its parent is not a map"))?;
            let value = coerce_like(map.get(k), value);
            map.insert(k.clone(), value);
        }
        Seg::Index(n) => {
            let list = cur
                .as_array_mut()
                .ok_or_else(|| format!("`[{n}]` in {path:?}: not a list"))?;
            match n.cmp(&list.len()) {
                std::cmp::Ordering::Less => list[*n] = coerce_like(Some(&list[*n]), value),
                std::cmp::Ordering::Equal => list.push(value),
                std::cmp::Ordering::Greater => {
                    return Err(format!(
                        "`[{n}]` in {path:?}: the list has {} entries",
                        list.len()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Read the value at `path`, if present.
#[cfg(test)]
fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = doc;
    for seg in segments(path).ok()? {
        cur = match seg {
            Seg::Key(k) => cur.get(&k)?,
            Seg::Index(i) => cur.get(i)?,
        };
    }
    Some(cur)
}

/// Apply the patches that select this document (`kind`, `name`); returns a re-rendered source
/// when any applied (JSON is YAML, so it parses the same way), and marks them in `used`.
pub(crate) fn patch_document(
    doc: &crate::yaml::Document<'_>,
    kind: &str,
    name: &str,
    patches: &[Patch],
    used: &mut [bool],
) -> Result<Option<crate::yaml::Source>, crate::error::InputError> {
    let mine: Vec<usize> = (0..patches.len())
        .filter(|&i| patches[i].target.selects(kind, name))
        .collect();
    if mine.is_empty() {
        return Ok(None);
    }
    let mut v = doc.value()?;
    for i in mine {
        used[i] = true;
        apply(&mut v, &patches[i].path, patches[i].value.clone()).map_err(|m| {
            doc.error_at_path(&patches[i].path, format!("cannot apply the override: {m}"))
        })?;
    }
    let text = serde_json::to_string_pretty(&v).unwrap_or_default();
    let mut path = doc.source.path.clone().into_os_string();
    path.push(" (with overrides)");
    Ok(Some(crate::yaml::Source::from_string(path, text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_nested_fields_and_list_entries() {
        let mut v =
            json!({"spec": {"metrics": [{"resource": {"target": {"averageUtilization": 50}}}]}});
        apply(
            &mut v,
            "spec.metrics[0].resource.target.averageUtilization",
            json!(70),
        )
        .unwrap();
        assert_eq!(
            get(&v, "spec.metrics[0].resource.target.averageUtilization"),
            Some(&json!(70))
        );
        apply(
            &mut v,
            "spec.behavior.scaleDown.stabilizationWindowSeconds",
            json!(60),
        )
        .unwrap();
        assert_eq!(
            get(&v, "spec.behavior.scaleDown.stabilizationWindowSeconds"),
            Some(&json!(60))
        );
        assert!(apply(&mut v, "spec.metrics[3].x", json!(1)).is_err());
        assert!(apply(&mut v, "spec..x", json!(1)).is_err());
    }

    #[test]
    fn replacing_keeps_the_json_type() {
        let mut v = json!({"meta": {"queueLength": "5", "n": 300, "on": true}, "l": ["a", 2]});
        apply(&mut v, "meta.queueLength", json!(10)).unwrap();
        apply(&mut v, "meta.n", json!("2min")).unwrap();
        apply(&mut v, "meta.on", json!("false")).unwrap();
        apply(&mut v, "l[0]", json!(7)).unwrap();
        apply(&mut v, "l[1]", json!("1.5s")).unwrap();
        apply(&mut v, "meta.fresh", json!(3)).unwrap();
        assert_eq!(
            v,
            json!({"meta": {"queueLength": "10", "n": 120, "on": false, "fresh": 3}, "l": ["7", 1.5]})
        );
        assert_eq!(coerce_like(Some(&json!(1)), json!("40")), json!(40));
        assert_eq!(coerce_like(Some(&json!(1)), json!("x")), json!("x"));
        // Quantities are never read as durations: `250m` is 0.25, not 250 minutes.
        assert_eq!(coerce_like(Some(&json!(1)), json!("250m")), json!("250m"));
        assert_eq!(coerce_like(Some(&json!(300)), json!("1m30s")), json!(90));
        assert_eq!(coerce_like(Some(&json!(300)), json!("1h")), json!(3600));
        assert_eq!(coerce_like(None, json!("30s")), json!("30s"));
    }

    #[test]
    fn targets_select_by_kind_and_name() {
        let t = PatchTarget::Manifest {
            kind: "scaledobject".into(),
            name: Some("a".into()),
        };
        assert!(t.selects("ScaledObject", "a"));
        assert!(!t.selects("ScaledObject", "b"));
        assert!(
            PatchTarget::Manifest {
                kind: "hpa".into(),
                name: None
            }
            .selects("HPA", "x")
        );
    }
}
