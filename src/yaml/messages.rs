//! The YAML reader's and serde's error wording turned into scalesim's own: no library option
//! names ("set DuplicateKeyPolicy in Options"), no API hints ("use from_str_multiple"), no Rust
//! type names (`u32`, `struct ScenarioFile`), and echoed values shortened. A duplicate key names
//! where the key was first given. See `docs/inputs.md`.

use crate::error::shorten;
use serde_saphyr::Error as E;

/// scalesim's wording for a failure to read one YAML document (`text`, whose first line is line
/// `line_offset + 1` of its file).
pub(crate) fn translate(e: &E, text: &str, line_offset: usize) -> String {
    let e = e.without_snippet();
    match e {
        E::DuplicateMappingKey { key, .. } => duplicate_key(key.as_deref(), text, line_offset),
        E::MultipleDocuments { .. } => "this file must be one YAML document, but a `---` line \
             starts another: remove it, or keep only one document"
            .into(),
        E::Eof { .. } => "the YAML ends where a value was expected".into(),
        E::Unexpected { expected, .. } => format!("expected {}", node_words(expected)),
        E::UnknownAnchor { .. } => {
            "an alias (`*name`) refers to an anchor (`&name`) not defined before it".into()
        }
        E::MergeValueNotMapOrSeqOfMaps { .. } => {
            "a merge key `<<` takes a mapping or a list of mappings (such as `*defaults`)".into()
        }
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::Budget { .. } => "this YAML is too large, or repeats aliases (`*name`) too often, \
             to be read (a limit against alias bombs)"
            .into(),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => format!(
            "expected {}, found {}",
            expected_words(expected),
            found_words(unexpected)
        ),
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => format!(
            "{} is not valid here: expected {}",
            found_words(unexpected),
            expected_words(expected)
        ),
        E::SerdeInvalidLength { len, expected, .. } => {
            format!("{len} items, expected {}", expected_words(expected))
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => format!(
            "unknown value `{}`, expected one of {}",
            shorten(variant),
            expected.join(", ")
        ),
        E::SerdeUnknownField {
            field, expected, ..
        } => format!(
            "unknown field `{}`, expected one of {}",
            shorten(field),
            expected.join(", ")
        ),
        E::SerdeMissingField { field, .. } => format!("missing field `{field}`"),
        E::NullIntoString { .. } => "expected text, found nothing (null)".into(),
        E::InvalidCharNull { .. } | E::InvalidCharNotSingleScalar { .. } => {
            "expected a single character".into()
        }
        E::BinaryNotUtf8 { .. }
        | E::TaggedScalarCannotDeserializeIntoString { .. }
        | E::BytesNotSupportedMissingBinaryTag { .. }
        | E::InvalidBinaryBase64 { .. } => "expected plain text, found a tagged value".into(),
        E::InvalidBooleanStrict { .. } => "expected true or false".into(),
        E::ExternallyTaggedEnumExpectedScalarOrMapping { .. }
        | E::ExpectedStringKeyForExternallyTaggedEnum { .. }
        | E::TaggedEnumMismatch { .. } => "expected one of the accepted values (a word)".into(),
        E::UnexpectedValueForUnitEnumVariant { .. }
        | E::UnexpectedValueForUnit { .. }
        | E::ExpectedEmptyMappingForUnitStruct { .. }
        | E::ExpectedMappingEndAfterEnumVariantValue { .. } => {
            "this value takes no settings here".into()
        }
        E::UnexpectedSequenceEnd { .. }
        | E::UnexpectedMappingEnd { .. }
        | E::UnexpectedContainerEndWhileSkippingNode { .. }
        | E::UnexpectedContainerEndWhileReadingKeyNode { .. }
        | E::ContainerEndMismatch { .. } => {
            "the list or mapping ends where a value was expected".into()
        }
        E::InternalSeedReusedForMapKey { .. }
        | E::InternalDepthUnderflow { .. }
        | E::InternalRecursionStackEmpty { .. }
        | E::ValueRequestedBeforeKey { .. }
        | E::RecursiveReferencesRequireWeakTypes { .. } => {
            "this YAML's structure cannot be read here (a recursive alias, or a key without a value)"
                .into()
        }
        E::FoldedBlockScalarMustIndentContent { .. } => {
            "a folded block (`>`) must indent its lines".into()
        }
        E::InvalidScalar { ty, .. } => format!("expected {}", expected_words(ty)),
        E::NonFiniteFloat { value, .. } => format!("{} is not a finite number", shorten(value)),
        E::InvalidUtf8Input => "not valid UTF-8 text".into(),
        E::ExternalMessage { msg, .. } => {
            let m = scrub(msg)
                .replace("unexpected EOF while parsing", "the file ends inside")
                .replace("EOF while parsing", "the file ends inside")
                .replace("scalar", "value");
            format!("not valid YAML: {m}")
        }
        E::Message { msg, .. } => scrub(msg),
        other => scrub(&super::bare_message(other)),
    }
}

/// "key `x` given twice in one mapping (first at line L, column C)".
fn duplicate_key(key: Option<&str>, text: &str, line_offset: usize) -> String {
    let first = first_duplicate(text);
    let key = key
        .map(str::to_string)
        .or_else(|| first.as_ref().map(|f| f.0.clone()));
    let mut out = match key {
        Some(k) => format!("key `{}` is given twice in one mapping", shorten(&k)),
        None => "a key is given twice in one mapping".to_string(),
    };
    if let Some((_, line, col)) = first {
        out += &format!(
            " (first at line {}, column {col}); keep one",
            line + line_offset
        );
    }
    out
}

/// The first key given twice in one mapping of `text`, with the (1-based) line and column of its
/// first occurrence.
pub(crate) fn first_duplicate(text: &str) -> Option<(String, usize, usize)> {
    use serde_saphyr::granit_parser::{Event, Parser};
    use std::collections::HashMap;
    enum Frame {
        Map {
            expecting_key: bool,
            seen: HashMap<String, (usize, usize)>,
        },
        Seq,
    }
    let mut stack: Vec<Frame> = Vec::new();
    for ev in Parser::new_from_str(text) {
        let (event, marker) = ev.ok()?;
        let pos = (marker.start.line(), marker.start.col() + 1);
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
                | Event::Alias(..)
        );
        if starts_node
            && let Some(Frame::Map {
                expecting_key,
                seen,
            }) = stack.last_mut()
        {
            let is_key = *expecting_key;
            *expecting_key = !*expecting_key;
            if is_key && let Event::Scalar(v, ..) = &event {
                let k = v.to_string();
                if let Some(&(l, c)) = seen.get(&k) {
                    return Some((k, l, c));
                }
                seen.insert(k, pos);
            }
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map {
                expecting_key: true,
                seen: HashMap::new(),
            }),
            Event::SequenceStart(..) => stack.push(Frame::Seq),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    None
}

/// The YAML reader's name for the node it wanted (`mapping start`), in words a user knows.
fn node_words(expected: &str) -> &'static str {
    match expected {
        "mapping start" | "empty mapping start" => "a mapping (`key: value` lines)",
        "sequence start" => "a list",
        "mapping end" | "empty mapping end" => "the end of the mapping",
        "string scalar" | "scalar" => "a single value",
        _ => "a value",
    }
}

/// serde's name for what a field takes, in words a user knows.
fn expected_words(expected: &str) -> String {
    let e = expected.trim();
    let words = match e {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" | "a float" | "float" => "a number",
        "a string" | "a borrowed string" | "string" | "str" => "text",
        "a sequence" | "sequence" | "a list" => "a list",
        "a map" | "map" | "mapping" => "a mapping (`key: value` lines)",
        "a boolean" | "bool" | "boolean" => "true or false",
        "a character" | "char" => "a single character",
        "unit" => "nothing",
        "option" => "a value",
        _ => "",
    };
    if !words.is_empty() {
        return words.to_string();
    }
    if e.starts_with("struct ") || e.starts_with("struct variant ") {
        return "a mapping (`key: value` lines)".into();
    }
    if e.starts_with("tuple") {
        return "a list".into();
    }
    if e.starts_with("enum ") || e.starts_with("variant ") {
        return "one of the accepted values".into();
    }
    if e.starts_with("newtype ") || e.starts_with("unit struct ") {
        return "a value".into();
    }
    scrub(e)
}

/// serde's description of the value found (`string "x"`, `integer \`-3\``, `map`).
fn found_words(unexpected: &str) -> String {
    let u = unexpected.trim();
    match u {
        "map" => return "a mapping".into(),
        "sequence" => return "a list".into(),
        "unit value" | "unit" => return "nothing (null)".into(),
        "option" => return "a value".into(),
        _ => {}
    }
    let u = u
        .strip_prefix("floating point ")
        .map(|r| format!("the number {r}"))
        .or_else(|| {
            u.strip_prefix("integer ")
                .map(|r| format!("the number {r}"))
        })
        .unwrap_or_else(|| u.to_string());
    shorten(&u)
}

/// A JSON reader's error in scalesim's words, without its own " at line L column C" (the error's
/// location says where).
pub(crate) fn json_words(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let bare = match full.rfind(" at line ") {
        Some(i) if full[i..].contains(" column ") => &full[..i],
        _ => full.as_str(),
    };
    scrub(bare)
        .replace("expected ident", "expected true, false or null")
        .replace("EOF while parsing", "the file ends inside")
}

/// What an "invalid length" error expected, in scalesim's words: a mapping for a struct, else a
/// list of the length named ("a tuple of size 2", "an array of length 2", "… with 2 elements").
fn length_expected_words(expected: &str) -> String {
    let e = expected.trim();
    if e.starts_with("struct ") {
        return "a mapping (`key: value` lines)".into();
    }
    let count = ["with ", "of size ", "of length "]
        .iter()
        .find_map(|lead| e.rfind(lead).map(|k| &e[k + lead.len()..]))
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|n| n.chars().all(|c| c.is_ascii_digit()));
    match count {
        Some("1") => "a list of 1 item".into(),
        Some(n) => format!("a list of {n} items"),
        None => expected_words(e),
    }
}

/// Remove library advice and Rust type names from a free-form message.
pub(crate) fn scrub(msg: &str) -> String {
    let mut m = msg.to_string();
    if let Some(i) = m.find("data did not match any variant of untagged enum") {
        m.replace_range(i.., "this value has none of the accepted forms");
    }
    // "invalid type: X, expected Y" from serde's own wording inside a custom message.
    for (lead, is_type) in [("invalid type: ", true), ("invalid value: ", false)] {
        if let Some(i) = m.find(lead)
            && let Some(j) = m[i..].find(", expected ")
        {
            let found = m[i + lead.len()..i + j].to_string();
            let expected = m[i + j + ", expected ".len()..].to_string();
            let words = if is_type {
                format!(
                    "expected {}, found {}",
                    expected_words(&expected),
                    found_words(&found)
                )
            } else {
                format!(
                    "{} is not valid here: expected {}",
                    found_words(&found),
                    expected_words(&expected)
                )
            };
            m.replace_range(i.., &words);
        }
    }
    // "invalid length N, expected X": a list where X (a mapping, or a list of another length)
    // was expected.
    if let Some(i) = m.find("invalid length ")
        && let Some(j) = m[i..].find(", expected ")
    {
        let n = m[i + "invalid length ".len()..i + j].to_string();
        let expected = length_expected_words(&m[i + j + ", expected ".len()..]);
        let items = if n == "1" { "item" } else { "items" };
        let words = format!("a list of {n} {items} is not valid here: expected {expected}");
        m.replace_range(i.., &words);
    }
    for cut in [
        ", set DuplicateKeyPolicy",
        "; use ",
        ". If you just use",
        " in Options",
        "; set ",
    ] {
        if let Some(i) = m.find(cut) {
            m.truncate(i);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_a_duplicate_key_was_first_given() {
        let text = "a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\n";
        assert_eq!(first_duplicate(text), Some(("c".into(), 3, 3)));
        assert_eq!(first_duplicate("a: 1\nb: {a: 2}\n"), None);
        assert_eq!(
            first_duplicate("- {x: 1}\n- {x: 2, x: 3}\n"),
            Some(("x".into(), 2, 4))
        );
    }

    #[test]
    fn scrubs_library_advice_and_type_names() {
        assert_eq!(
            scrub("duplicate mapping key: a, set DuplicateKeyPolicy in Options if acceptable"),
            "duplicate mapping key: a"
        );
        assert_eq!(
            scrub("data did not match any variant of untagged enum VaryEntry"),
            "this value has none of the accepted forms"
        );
        assert_eq!(
            scrub("invalid type: string \"x\", expected u32"),
            "expected a whole number, 0 or more, found string \"x\""
        );
        assert_eq!(
            scrub("invalid length 0, expected struct Data with 2 elements"),
            "a list of 0 items is not valid here: expected a mapping (`key: value` lines)"
        );
        assert_eq!(
            scrub("invalid length 1, expected a tuple of size 2"),
            "a list of 1 item is not valid here: expected a list of 2 items"
        );
        assert_eq!(
            expected_words("struct ScenarioFile"),
            "a mapping (`key: value` lines)"
        );
    }
}
