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
    pub fn selects(&self, kind: &str, name: &str) -> bool {
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

/// Set `path` in `doc` to `value`, creating missing maps on the way. A list index must exist
/// (or be exactly one past the end, which appends).
pub fn apply(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
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
            cur.as_object_mut()
                .ok_or_else(|| format!("cannot set `{k}` in {path:?}: its parent is not a map"))?
                .insert(k.clone(), value);
        }
        Seg::Index(n) => {
            let list = cur
                .as_array_mut()
                .ok_or_else(|| format!("`[{n}]` in {path:?}: not a list"))?;
            match n.cmp(&list.len()) {
                std::cmp::Ordering::Less => list[*n] = value,
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
pub fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = doc;
    for seg in segments(path).ok()? {
        cur = match seg {
            Seg::Key(k) => cur.get(&k)?,
            Seg::Index(i) => cur.get(i)?,
        };
    }
    Some(cur)
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

/// Apply the patches that select this document (`kind`, `name`); returns a re-rendered source
/// when any applied (JSON is YAML, so it parses the same way), and marks them in `used`.
pub fn patch_document(
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
