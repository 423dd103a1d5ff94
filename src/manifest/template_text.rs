//! Template text left in a manifest that otherwise reads as YAML: `{{ .Values.x }}` (Helm, Go
//! templates) or `${VAR}` (envsubst, Kustomize replacements, CI variables) inside a quoted
//! value. The API server would take it literally (a replica count of `"{{ .Values.max }}"`
//! fails, a name of `"${APP}"` is just odd), so `validate` warns about each field that holds
//! some. A file whose template syntax breaks the YAML itself is an unrendered Helm template and
//! is rejected elsewhere (`keda::validate`).

use serde_json::Value;

/// One field holding template text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateText {
    /// Dotted field path, e.g. `spec.triggers[0].metadata.query`.
    pub(crate) field: String,
    /// The template expression as written, e.g. `{{ .Values.max }}`.
    pub(crate) text: String,
}

/// The first template expression in `s`, if any.
pub(crate) fn find_in(s: &str) -> Option<&str> {
    let curly = s.find("{{").and_then(|a| {
        let end = s[a..].find("}}")?;
        Some((a, a + end + 2))
    });
    let dollar = s.find("${").and_then(|a| {
        let end = s[a..].find('}')?;
        // `${}` is no variable.
        (end > 2).then_some((a, a + end + 1))
    });
    let (a, b) = match (curly, dollar) {
        (Some(c), Some(d)) => {
            if c.0 <= d.0 {
                c
            } else {
                d
            }
        }
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => return None,
    };
    Some(&s[a..b])
}

/// `line` with its quoted scalars (`'…'`, `"…"`) removed: what is left is YAML syntax, where
/// `{{` means an unrendered template rather than text inside a value.
pub(crate) fn outside_quotes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        match quote {
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && (out.is_empty() || out.ends_with(' ')) => break,
            None => out.push(c),
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
        }
    }
    out
}

/// Every field (and key) of `v` that holds template text.
pub(crate) fn fields_with_template_text(v: &Value) -> Vec<TemplateText> {
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

fn walk(v: &Value, path: String, out: &mut Vec<TemplateText>) {
    match v {
        Value::String(s) => {
            if let Some(t) = find_in(s) {
                out.push(TemplateText {
                    field: path,
                    text: t.to_string(),
                });
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let field = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if let Some(t) = find_in(k) {
                    out.push(TemplateText {
                        field: field.clone(),
                        text: t.to_string(),
                    });
                }
                walk(item, field, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_helm_and_envsubst_text_with_its_field() {
        let v = json!({
            "metadata": {"name": "${APP_NAME}"},
            "spec": {"maxReplicaCount": "{{ .Values.max }}", "triggers": [
                {"metadata": {"query": "sum(rate(x[1m]))", "threshold": "10"}}
            ]}
        });
        let got = fields_with_template_text(&v);
        assert_eq!(
            got,
            vec![
                TemplateText {
                    field: "metadata.name".into(),
                    text: "${APP_NAME}".into()
                },
                TemplateText {
                    field: "spec.maxReplicaCount".into(),
                    text: "{{ .Values.max }}".into()
                },
            ]
        );
    }

    #[test]
    fn quoted_text_is_not_yaml_syntax() {
        assert_eq!(outside_quotes("name: \"{{ .Values.n }}\""), "name: ");
        assert_eq!(
            outside_quotes("name: {{ .Values.n }}"),
            "name: {{ .Values.n }}"
        );
        assert_eq!(outside_quotes("q: 'a''b' # {{ x }}"), "q:  ");
        assert_eq!(
            outside_quotes("{{- if .Values.on }}"),
            "{{- if .Values.on }}"
        );
    }

    #[test]
    fn plain_braces_and_dollars_are_not_templates() {
        assert_eq!(find_in("sum by (pod) (x{job=\"a\"})"), None);
        assert_eq!(find_in("costs $5 {per pod}"), None);
        assert_eq!(find_in("${}"), None);
        assert_eq!(find_in("a {{ b }} c"), Some("{{ b }}"));
    }
}
