//! Reading one number out of an HTTP body, as the `metrics-api` scaler does
//! (upstream `GetValueFromResponse`): GJSON paths for JSON, KEDA's dotted `GetValueByPath` for
//! YAML, and a metric selector over the Prometheus text exposition format. Strings found at the
//! path are read as Kubernetes quantities (`"64"`, `"1k"`); `"NaN"` is not a quantity.
//!
//! GJSON support covers what metric payloads use: dotted keys with `\` escapes, array indexes,
//! `#` (array length), and `*`/`?` wildcards in keys. Queries (`#(...)`) and modifiers (`@...`)
//! are reported as unsupported.

use serde_json::Value;

/// `valueLocationWrongErrorMsg`.
fn wrong_type(location: &str, got: &str) -> String {
    format!(
        "valueLocation must point to value of type number or a string representing a Quantity got: '{got}' ({location})"
    )
}

/// A Kubernetes quantity as a float (`ParseQuantity(...).AsApproximateFloat64()`).
pub(crate) fn quantity_f64(s: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {s:?}"
        )
    };
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let start = i;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    let num = &s[start..i];
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return Err(bad());
    }
    let mut v: f64 = num.parse().map_err(|_| bad())?;
    if s.starts_with('-') {
        v = -v;
    }
    let mult = match &s[i..] {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        suffix => {
            let exp = suffix.strip_prefix(['e', 'E']).ok_or_else(bad)?;
            let e: i32 = exp.parse().map_err(|_| bad())?;
            10f64.powi(e)
        }
    };
    Ok(v * mult)
}

fn number_or_quantity(v: &Value, location: &str) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| wrong_type(location, "Number")),
        Value::String(s) => quantity_f64(s).map_err(|_| {
            format!(
                "valueLocation {location:?} points to a string that is not parseable as a Quantity"
            )
        }),
        Value::Null => Err(wrong_type(location, "Null")),
        Value::Bool(_) => Err(wrong_type(location, "True/False")),
        _ => Err(wrong_type(location, "JSON")),
    }
}

fn glob_match(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

/// Split a GJSON path into components (`\` escapes the next character).
fn gjson_components(path: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut wild = false;
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '.' => {
                out.push((std::mem::take(&mut cur), wild));
                wild = false;
            }
            '*' | '?' => {
                wild = true;
                cur.push(c);
            }
            _ => cur.push(c),
        }
    }
    out.push((cur, wild));
    out
}

/// GJSON `Get` on a parsed document (the subset described in the module doc).
pub(crate) fn gjson_get<'v>(doc: &'v Value, path: &str) -> Result<Option<GjsonValue<'v>>, String> {
    if path.starts_with('@') || path.contains("#(") || path.contains('|') {
        return Err(format!(
            "GJSON syntax in {path:?} (queries, modifiers, pipes) is not supported by scalesim"
        ));
    }
    let mut cur = doc;
    let comps = gjson_components(path);
    for (i, (key, wild)) in comps.iter().enumerate() {
        match cur {
            Value::Array(a) => {
                if key == "#" {
                    if i + 1 == comps.len() {
                        return Ok(Some(GjsonValue::Count(a.len())));
                    }
                    return Ok(Some(GjsonValue::Json));
                }
                match key.parse::<usize>() {
                    Ok(idx) => match a.get(idx) {
                        Some(v) => cur = v,
                        None => return Ok(None),
                    },
                    Err(_) => return Ok(None),
                }
            }
            Value::Object(m) => {
                let found = if *wild {
                    m.iter().find(|(k, _)| glob_match(key, k)).map(|(_, v)| v)
                } else {
                    m.get(key)
                };
                match found {
                    Some(v) => cur = v,
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(GjsonValue::Value(cur)))
}

/// What a GJSON path selected.
#[derive(Debug, PartialEq)]
pub(crate) enum GjsonValue<'v> {
    Value(&'v Value),
    Count(usize),
    /// A result of JSON type (e.g. `items.#.name`), never a number.
    Json,
}

/// `getValueFromJSONResponse`.
pub(crate) fn from_json(body: &str, location: &str) -> Result<f64, String> {
    let doc: Value =
        serde_json::from_str(body).map_err(|e| format!("invalid JSON response: {e}"))?;
    match gjson_get(&doc, location)? {
        None => Err(wrong_type(location, "Null")),
        Some(GjsonValue::Count(n)) => Ok(n as f64),
        Some(GjsonValue::Json) => Err(wrong_type(location, "JSON")),
        Some(GjsonValue::Value(v)) => number_or_quantity(v, location),
    }
}

/// `getValueFromYAMLResponse` with KEDA's `GetValueByPath`: dotted keys, numeric indexes into
/// lists; the first scalar met ends the walk (even before the path is used up).
pub(crate) fn from_yaml(body: &str, location: &str) -> Result<f64, String> {
    let doc: Value =
        serde_saphyr::from_str(body).map_err(|e| format!("invalid YAML response: {e}"))?;
    let Value::Object(_) = doc else {
        return Err("YAML response is not a mapping".into());
    };
    let mut cur = &doc;
    for key in location.split('.') {
        let next = match cur {
            Value::Object(m) => m.get(key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        let Some(v) = next else {
            return Err(format!("key '{key}' not found in path '{location}'"));
        };
        match v {
            Value::Object(_) | Value::Array(_) => cur = v,
            Value::Number(n) => return n.as_f64().ok_or_else(|| wrong_type(location, "number")),
            Value::String(s) => {
                return quantity_f64(s)
                    .map_err(|_| format!("valueLocation {location:?} points to a string that is not parseable as a Quantity"));
            }
            Value::Bool(_) => return Err(wrong_type(location, "bool")),
            Value::Null => return Err(wrong_type(location, "<nil>")),
        }
    }
    Err(format!("path '{location}' does not lead to a value"))
}

/// One label matcher of a metric selector (only name and value matter upstream).
#[derive(Debug, Clone, PartialEq)]
struct Matcher {
    name: String,
    value: String,
}

fn parse_selector(sel: &str) -> Result<(String, Vec<Matcher>), String> {
    let sel = sel.trim();
    let (name, rest) = match sel.find('{') {
        Some(i) => (sel[..i].trim().to_string(), &sel[i..]),
        None => (sel.to_string(), ""),
    };
    let mut matchers = Vec::new();
    if !rest.is_empty() {
        let inner = rest
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .ok_or("unclosed label matcher list")?;
        let mut s = inner.trim();
        while !s.is_empty() {
            let op_at = s
                .find(['=', '!'])
                .ok_or_else(|| format!("bad label matcher in {sel:?}"))?;
            let lname = s[..op_at].trim().to_string();
            let mut r = &s[op_at..];
            r = r
                .strip_prefix("=~")
                .or_else(|| r.strip_prefix("!~"))
                .or_else(|| r.strip_prefix("!="))
                .or_else(|| r.strip_prefix('='))
                .ok_or("bad operator")?;
            let r = r.trim_start();
            let quote = r
                .chars()
                .next()
                .filter(|c| matches!(c, '"' | '\'' | '`'))
                .ok_or("label value must be quoted")?;
            let (value, after) = read_quoted(&r[1..], quote)?;
            matchers.push(Matcher { name: lname, value });
            s = after.trim_start();
            s = s.strip_prefix(',').unwrap_or(s).trim_start();
        }
    }
    let name = match name.as_str() {
        "" => matchers
            .iter()
            .find(|m| m.name == "__name__")
            .map(|m| m.value.clone())
            .unwrap_or_default(),
        n => n.to_string(),
    };
    if name.is_empty() {
        return Err(format!("metric selector {sel:?} names no metric"));
    }
    Ok((name, matchers))
}

fn read_quoted(s: &str, quote: char) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((out, &s[i + c.len_utf8()..]));
        }
        if c == '\\' && quote != '`' {
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, e)) => out.push(e),
                None => break,
            }
        } else {
            out.push(c);
        }
    }
    Err("unterminated quoted string".into())
}

/// One sample of the text format.
#[derive(Debug, Clone)]
struct Sample {
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parse the text exposition format into families (name → (type, samples)). Histogram and
/// summary sub-series are filed under their family and never carry a plain value.
fn parse_text_format(
    body: &str,
) -> Result<std::collections::BTreeMap<String, (String, Vec<Sample>)>, String> {
    use std::collections::BTreeMap;
    let mut fams: BTreeMap<String, (String, Vec<Sample>)> = BTreeMap::new();
    for (n, line) in body.replace("\r\n", "\n").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let parts: Vec<&str> = c.split_whitespace().collect();
            if parts.first() == Some(&"TYPE") {
                let (Some(name), Some(t)) = (parts.get(1), parts.get(2)) else {
                    return Err(format!(
                        "text format parsing error in line {}: bad TYPE line",
                        n + 1
                    ));
                };
                let e = fams
                    .entry(name.to_string())
                    .or_insert_with(|| (String::new(), Vec::new()));
                if !e.0.is_empty() || !e.1.is_empty() {
                    return Err(format!(
                        "text format parsing error in line {}: second TYPE line for metric name {name:?}, or TYPE reported after samples",
                        n + 1
                    ));
                }
                e.0 = t.to_string();
            }
            continue;
        }
        let name_end = line
            .find(|c: char| c == '{' || c.is_whitespace())
            .unwrap_or(line.len());
        let name = &line[..name_end];
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(r) = rest.strip_prefix('{') {
            let mut r = r.trim_start();
            loop {
                if let Some(after) = r.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let eq = r.find('=').ok_or_else(|| {
                    format!("text format parsing error in line {}: bad label", n + 1)
                })?;
                let lname = r[..eq].trim().to_string();
                let after_eq = r[eq + 1..].trim_start();
                let after_q = after_eq.strip_prefix('"').ok_or_else(|| {
                    format!(
                        "text format parsing error in line {}: label value not quoted",
                        n + 1
                    )
                })?;
                let (v, after) = read_quoted(after_q, '"')?;
                labels.push((lname, v));
                r = after.trim_start();
                r = r.strip_prefix(',').unwrap_or(r).trim_start();
            }
        }
        let value_text = rest
            .split_whitespace()
            .next()
            .ok_or_else(|| format!("text format parsing error in line {}: missing value", n + 1))?;
        let value = crate::keda::go::parse_float(value_text)
            .map_err(|e| format!("text format parsing error in line {}: {e}", n + 1))?;
        // File histogram/summary sub-series under their family.
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suf| {
                let base = name.strip_suffix(suf)?;
                fams.get(base)
                    .filter(|(t, _)| t == "histogram" || t == "summary")
                    .map(|_| base.to_string())
            })
            .or_else(|| {
                if fams.get(name).is_some_and(|(t, _)| t == "summary") {
                    Some(name.to_string())
                } else {
                    None
                }
            })
            .unwrap_or_else(|| name.to_string());
        let e = fams
            .entry(family)
            .or_insert_with(|| ("untyped".to_string(), Vec::new()));
        if e.0.is_empty() {
            e.0 = "untyped".into();
        }
        e.1.push(Sample { labels, value });
    }
    Ok(fams)
}

/// `getValueFromPrometheusResponse`: the first sample of the family whose labels match every
/// matcher's name and value (the matcher's operator is not looked at upstream).
pub(crate) fn from_prometheus_text(body: &str, location: &str) -> Result<f64, String> {
    let (name, matchers) = parse_selector(location)?;
    let fams =
        parse_text_format(body).map_err(|e| format!("prometheus format parsing error: {e}"))?;
    let (kind, samples) = fams
        .get(&name)
        .ok_or_else(|| format!("metric '{name}' not found"))?;
    if matches!(kind.as_str(), "counter" | "gauge" | "untyped") {
        for s in samples {
            let ok = matchers
                .iter()
                .filter(|m| m.name != "__name__")
                .all(|m| s.labels.iter().any(|(k, v)| *k == m.name && *v == m.value));
            if ok {
                return Ok(s.value);
            }
        }
    }
    Err(format!("value {location} not found"))
}

/// Dispatch on the metrics-api `format`.
pub(crate) fn value_from_body(body: &str, location: &str, format: &str) -> Result<f64, String> {
    match format {
        "json" => from_json(body, location),
        "yaml" => from_yaml(body, location),
        "prometheus" => from_prometheus_text(body, location),
        // Go's encoding/xml cannot decode into map[string]interface{}: every XML fetch fails.
        "xml" => Err("unknown type map[string]interface {}".into()),
        other => Err(format!("format {other} not supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"components":[{"id": "82328e93e", "tasks": 32, "str": "64", "k":"1k","wrong":"NaN"}],"count":2.43}"#;

    #[test]
    fn json_paths() {
        assert_eq!(from_json(BODY, "count"), Ok(2.43));
        assert_eq!(from_json(BODY, "components.0.tasks"), Ok(32.0));
        assert_eq!(from_json(BODY, "components.0.str"), Ok(64.0));
        assert_eq!(from_json(BODY, "components.0.k"), Ok(1000.0));
        assert!(from_json(BODY, "components.0.wrong").is_err());
        assert!(
            from_json(BODY, "components.0.id").is_err(),
            "82328e93e is not a quantity"
        );
        assert_eq!(from_json(BODY, "components.#"), Ok(1.0));
        assert_eq!(from_json(BODY, "comp*.0.tasks"), Ok(32.0));
        assert!(from_json(BODY, "missing").is_err());
        assert!(from_json(BODY, "components").is_err());
    }

    #[test]
    fn yaml_paths() {
        let y =
            "{components: [{id: 82328e93e, tasks: 32, str: '64', k: 1k, wrong: NaN}], count: 2.43}";
        assert_eq!(from_yaml(y, "count"), Ok(2.43));
        assert_eq!(from_yaml(y, "components.0.str"), Ok(64.0));
        assert_eq!(from_yaml(y, "components.0.tasks"), Ok(32.0));
        assert!(from_yaml(y, "components.0.wrong").is_err());
        // The walk stops at the first scalar: `count.extra` still reads `count`.
        assert_eq!(from_yaml(y, "count.extra"), Ok(2.43));
    }

    #[test]
    fn prometheus_text() {
        let body = "# HELP backend_queue_size x\n# TYPE backend_queue_size counter\nbackend_queue_size{queueName=\"zero\"} 0\nbackend_queue_size{queueName=\"one\"} 1\nbackend_queue_size{queueName=\"two\", instance=\"random\"} 2\nbackend_queue_size{queueName=\"two\", instance=\"zero\"} 20\n# TYPE other gauge\nother 7";
        assert_eq!(
            from_prometheus_text(
                body,
                "backend_queue_size{queueName=\"two\", instance=\"zero\"}"
            ),
            Ok(20.0)
        );
        assert_eq!(
            from_prometheus_text(body, "backend_queue_size{queueName=\"two\"}"),
            Ok(2.0)
        );
        assert_eq!(from_prometheus_text(body, "backend_queue_size"), Ok(0.0));
        assert_eq!(from_prometheus_text(body, "other"), Ok(7.0));
        assert!(from_prometheus_text(body, "backend_queue_size{queueName=\"three\"}").is_err());
        assert!(from_prometheus_text(body, "missing").is_err());
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity_f64("1k"), Ok(1000.0));
        assert_eq!(quantity_f64("500m"), Ok(0.5));
        assert_eq!(quantity_f64("1Ki"), Ok(1024.0));
        assert!(quantity_f64("NaN").is_err());
        assert!(quantity_f64("").is_err());
    }
}
