//! The layer order of the library's modules, and the test that keeps it: every `use crate::…`
//! or `crate::x::…` path in non-test code must point to a lower layer (`docs/architecture.md`
//! draws the diagram). The test reads the source tree, so it needs no build of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules, lowest layer first. A module may use only modules of lower layers.
const LAYERS: &[&[&str]] = &[
    // Foundations: quantities, randomness, text (escaping, numbers), floor and rounding without
    // libm, errors, resource limits.
    &["units", "rng", "text", "numeric"],
    &["error", "limits"],
    &["yaml", "output"],
    // Input formats, each parsed and validated on its own: load traces, Kubernetes manifests,
    // the HPA and KEDA controllers (pure decision logic over specs; they never see the world).
    &["trace", "manifest"],
    &["hpa"],
    &["keda"],
    // The resolved, typed run configuration.
    &["settings"],
    // The event engine and the recorder.
    &["engine", "record"],
    // The simulated cluster and how the control plane measures it.
    &["world"],
    &["metrics"],
    // One run: the controllers driven against the world.
    &["sim"],
    // The scenario loader (YAML → settings). It needs nothing above `settings`, but sits above
    // `sim` so that nothing in the simulation can read the YAML side.
    &["scenario"],
    // What is made of runs.
    &["report", "export"],
    &["calibrate"],
    &["backtest"],
    &["check"],
    &["sweep"],
    // The command line, on top of everything.
    &["cli"],
];

/// Known edges against the order, each owned by a change in flight elsewhere; the lead removes
/// them as those changes merge. Do not add to this list: move the code instead.
const KNOWN_UPWARD: &[(&str, &str)] = &[];

/// Names the crate root re-exports, by the module that defines them.
const ROOT_REEXPORTS: &[(&str, &str)] = &[
    ("Error", "error"),
    ("InputError", "error"),
    ("Location", "error"),
    ("Result", "error"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments, string and char literals, and `#[cfg(test)]` items.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if let Some(len) = raw_string_len(rest) {
            i += len;
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if let Some(len) = char_literal_len(rest) {
            i += len;
            out.push_str("' '");
        } else {
            let c = rest.chars().next().expect("non-empty");
            out.push(c);
            i += c.len_utf8();
        }
    }
    drop_test_items(&out)
}

fn raw_string_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("br").or_else(|| s.strip_prefix('r'))?;
    let hashes = body.len() - body.trim_start_matches('#').len();
    if !body[hashes..].starts_with('"') {
        return None;
    }
    let close = format!("\"{}", "#".repeat(hashes));
    let start = s.len() - body.len() + hashes + 1;
    Some(
        s[start..]
            .find(&close)
            .map_or(s.len(), |e| start + e + close.len()),
    )
}

/// `'x'`, `'\n'`, `'\u{1F600}'` — not a lifetime such as `'a`.
fn char_literal_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('\'')?;
    if let Some(esc) = rest.strip_prefix('\\') {
        // The escaped character (itself maybe a quote), then up to the closing quote.
        let c = esc.chars().next()?;
        return esc[c.len_utf8()..]
            .find('\'')
            .map(|e| 2 + c.len_utf8() + e + 1);
    }
    let c = rest.chars().next()?;
    rest[c.len_utf8()..]
        .starts_with('\'')
        .then_some(c.len_utf8() + 2)
}

/// Cut every item under `#[cfg(test)]` (a test module or a test-only function).
fn drop_test_items(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let end = match (item.find('{'), item.find(';')) {
            (Some(open), semi) if semi.is_none_or(|s| open < s) => {
                let mut depth = 0usize;
                let mut end = item.len();
                for (k, ch) in item[open..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semi)) => semi + 1,
            _ => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a file's code names through `crate::`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let preceded = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if preceded {
            continue;
        }
        let after = &code[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            for item in top_level_items(group) {
                found.insert(ident_at(item.trim()).to_string());
            }
        } else {
            found.insert(ident_at(after).to_string());
        }
    }
    found.remove("");
    found
}

/// The comma-separated items of a `{…}` group (the text after its `{`), at its top level.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (k, ch) in group.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..k]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    items
}

/// (from module, to module) → files with that edge, for the library's modules.
fn module_edges() -> BTreeMap<(String, String), Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("utf-8 path")
            .trim_end_matches(".rs")
            .to_string();
        // The crate roots, and the binary's own modules (`crate::` there is the binary).
        if ["lib", "main", "layers"].contains(&top.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source is readable");
        for to in crate_paths(&code_only(&text)) {
            let to = ROOT_REEXPORTS
                .iter()
                .find(|(name, _)| *name == to)
                .map_or(to.clone(), |(_, m)| m.to_string());
            if to != top {
                edges
                    .entry((top.clone(), to))
                    .or_default()
                    .push(rel.display().to_string());
            }
        }
    }
    edges
}

#[test]
fn every_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let lib = std::fs::read_to_string(src).expect("lib.rs");
    let missing: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("pub(crate) mod ")
                .or_else(|| l.strip_prefix("mod "))
        })
        .map(|m| m.trim_end_matches(';'))
        .filter(|m| *m != "layers")
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a layer in src/layers.rs (and docs/architecture.md): {missing:?}"
    );
}

#[test]
fn every_use_crate_edge_points_down() {
    let mut wrong = Vec::new();
    for ((from, to), files) in module_edges() {
        let (Some(f), Some(t)) = (layer_of(&from), layer_of(&to)) else {
            wrong.push(format!(
                "{from} → {to}: a module without a layer ({files:?})"
            ));
            continue;
        };
        let known = KNOWN_UPWARD.contains(&(from.as_str(), to.as_str()));
        if t >= f && !known {
            wrong.push(format!("{from} → {to} goes up or sideways, in {files:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer order (docs/architecture.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn known_upward_edges_still_exist() {
    // An entry whose edge is gone must be deleted, so the list only ever shrinks.
    let edges = module_edges();
    for (from, to) in KNOWN_UPWARD {
        assert!(
            edges.contains_key(&(from.to_string(), to.to_string())),
            "{from} → {to} no longer exists: remove it from KNOWN_UPWARD"
        );
    }
}

#[test]
fn the_scanner_sees_grouped_and_inline_paths() {
    let code = code_only(
        "use crate::{a::B, c::{d, e}};\n// use crate::f;\nlet s = \"crate::g\";\nlet q = '\\'';\nfn x<'a>() { crate::h::i(); }\n#[cfg(test)]\nmod tests { use crate::j; }\n",
    );
    let found: Vec<String> = crate_paths(&code).into_iter().collect();
    assert_eq!(found, ["a", "c", "h"]);
}
