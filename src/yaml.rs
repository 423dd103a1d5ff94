//! Reading YAML the user wrote: one place that turns files into typed values and turns every
//! failure into an [`InputError`] naming the file, line, column and field.
//!
//! Multi-document streams (`---`) are split here so each document can be deserialized into its
//! own type (a Deployment beside a ScaledObject) while errors keep file-wide line numbers.

pub(crate) mod messages;

use crate::error::{InputError, Location};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// A text file read for input: the path as the user named it (never made absolute, so outputs
/// hold no absolute paths) and its contents.
#[derive(Debug, Clone)]
pub struct Source {
    pub(crate) path: PathBuf,
    pub(crate) text: String,
}

impl Source {
    /// Read a UTF-8 text file; a missing, unreadable, empty or binary file is an input error.
    pub fn read(path: &Path) -> Result<Source, InputError> {
        let bytes = std::fs::read(path).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "file not found".to_string(),
                _ => format!("cannot read file: {e}"),
            };
            InputError::in_file(path, why)
        })?;
        Self::from_bytes(path, bytes)
    }

    /// Read from standard input (named `-` in messages).
    pub(crate) fn stdin() -> Result<Source, InputError> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| InputError::in_file("-", format!("cannot read standard input: {e}")))?;
        Self::from_bytes(Path::new("-"), bytes)
    }

    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Source, InputError> {
        if bytes.contains(&0) {
            return Err(InputError::in_file(path, "this is a binary file, not text"));
        }
        // A UTF-8 byte-order mark (Windows editors write one) is not part of the text.
        let bytes = match bytes.strip_prefix(b"\xef\xbb\xbf") {
            Some(rest) => rest.to_vec(),
            None => bytes,
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            InputError::in_file(
                path,
                format!(
                    "not valid UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        Ok(Source {
            path: path.to_path_buf(),
            text,
        })
    }

    pub fn from_string(path: impl Into<PathBuf>, text: impl Into<String>) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
        }
    }

    /// An error at a 1-based line (and optional column) of this file, with a caret excerpt.
    pub(crate) fn error_at(
        &self,
        line: usize,
        column: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> InputError {
        let mut loc = Location::file(&self.path).with_line(line, column);
        if let Some(f) = field {
            loc = loc.with_field(f);
        }
        let mut e = InputError::new(loc, message);
        e.snippet = self.excerpt(line, column);
        e
    }

    /// A three-line excerpt ending at `line` with a caret under `column`.
    pub(crate) fn excerpt(&self, line: usize, column: Option<usize>) -> Option<String> {
        let text_line = self.text.lines().nth(line.checked_sub(1)?)?;
        let width = line.to_string().len();
        let mut out = format!("{:width$} |\n{line:width$} | {text_line}\n", "");
        if let Some(c) = column {
            out += &format!("{:width$} | {}^", "", " ".repeat(c.saturating_sub(1)));
        } else {
            out.pop();
        }
        Some(out)
    }
}

/// One document of a (possibly multi-document) YAML file.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub(crate) source: &'a Source,
    /// Index of the document in the file (0-based, counting only non-empty documents).
    pub(crate) index: usize,
    /// Number of lines in the file before this document's text starts.
    pub(crate) line_offset: usize,
    pub(crate) text: &'a str,
}

/// Split a YAML stream at `---` / `...` markers. Documents holding only comments or blank lines
/// are skipped (Helm output is full of them).
pub(crate) fn split_documents<'a>(source: &'a Source) -> Vec<Document<'a>> {
    let text = source.text.as_str();
    let mut docs = Vec::new();
    let mut start_byte = 0usize;
    let mut start_line = 0usize;
    let mut byte = 0usize;
    let push = |from: usize, to: usize, first_line: usize, docs: &mut Vec<Document<'a>>| {
        let chunk = &text[from..to];
        let meaningful = chunk.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
        });
        if meaningful {
            let index = docs.len();
            docs.push(Document {
                source,
                index,
                line_offset: first_line,
                text: chunk,
            });
        }
    };
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_marker =
            bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") || bare == "...";
        if is_marker {
            push(start_byte, byte, start_line, &mut docs);
            // Content after `--- ` on the same line (e.g. `--- # comment` or `--- {a: 1}`) stays
            // with the next document: start it at this line with the marker blanked out.
            start_byte = byte + line.len();
            start_line = line_no + 1;
            if let Some(rest) = bare.strip_prefix("---") {
                let rest = rest.trim();
                if !rest.is_empty() && !rest.starts_with('#') {
                    start_byte = byte + 3;
                    start_line = line_no;
                }
            }
        }
        byte += line.len();
    }
    push(start_byte, text.len(), start_line, &mut docs);
    docs
}

impl Document<'_> {
    /// Deserialize the document into `T`, failing with file-wide line/column and the field path.
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T, InputError> {
        parse_text(self.source, self.text, self.line_offset)
    }

    /// Deserialize into `T`, calling `unknown` with the dotted path of every key `T` ignores.
    pub(crate) fn parse_reporting_unknown<T: DeserializeOwned>(
        &self,
        unknown: &mut dyn FnMut(String),
    ) -> Result<T, InputError> {
        let mut path = String::new();
        let r = serde_saphyr::with_deserializer_from_str(self.text, |de| {
            let mut report = |p: serde_ignored::Path<'_>| unknown(field_path(&p));
            let tracked =
                serde_path_to_error::deserialize(serde_ignored::Deserializer::new(de, &mut report));
            tracked.map_err(|e| {
                path = e.path().to_string();
                e.into_inner()
            })
        });
        r.map_err(|e| saphyr_error(self.source, self.text, self.line_offset, &path, &e))
    }

    /// The document as an untyped JSON value (for `kind` dispatch and path lookups); parsed
    /// once per text of late (see [`ParsedMemo`]).
    pub(crate) fn value(&self) -> Result<serde_json::Value, InputError> {
        static VALUES: ParsedMemo<serde_json::Value> = ParsedMemo::new();
        if let Some(v) = VALUES.find(self.text) {
            return Ok(v);
        }
        let v = self.parse()?;
        VALUES.keep(self.text, &v);
        Ok(v)
    }

    /// Line (file-wide, 1-based) and column of the node at a dotted path such as
    /// `spec.triggers[0].metadata.queueLength`, when it can be found.
    pub(crate) fn locate(&self, path: &str) -> Option<(usize, usize)> {
        locate_in(self.text, path).map(|(l, c)| (l + self.line_offset, c))
    }

    /// An error about the field at `path` of this document, located when possible.
    pub(crate) fn error_at_path(&self, path: &str, message: impl Into<String>) -> InputError {
        match self.locate(path) {
            Some((line, col)) => self.source.error_at(line, Some(col), Some(path), message),
            None => InputError::new(Location::file(&self.source.path).with_field(path), message),
        }
    }
}

/// What texts parsed into lately, by text: a sweep loads its scenario and manifests once per
/// point, and every load reads a manifest's documents several times (headers, KEDA's view of
/// the cluster, the sweep's patches). A parse depends on the text alone (the file's name and
/// line offset only place its errors), so a kept result is what parsing again would give;
/// failures are not kept. Holds the last [`ParsedMemo::KEPT`] texts of at most
/// [`ParsedMemo::LONGEST`] bytes.
pub(crate) struct ParsedMemo<T> {
    kept: std::sync::Mutex<Vec<(String, T)>>,
}

impl<T: Clone> ParsedMemo<T> {
    /// How many texts are kept.
    const KEPT: usize = 16;
    /// The longest text kept, in bytes.
    const LONGEST: usize = 1 << 16;

    pub(crate) const fn new() -> Self {
        ParsedMemo {
            kept: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// What `text` parsed into, when kept.
    pub(crate) fn find(&self, text: &str) -> Option<T> {
        if text.len() > Self::LONGEST {
            return None;
        }
        let kept = self.kept.lock().ok()?;
        kept.iter().find(|(t, _)| t == text).map(|(_, v)| v.clone())
    }

    /// Keep what `text` parsed into (a text too long is not kept).
    pub(crate) fn keep(&self, text: &str, parsed: &T) {
        if text.len() > Self::LONGEST {
            return;
        }
        if let Ok(mut kept) = self.kept.lock()
            && !kept.iter().any(|(t, _)| t == text)
        {
            if kept.len() >= Self::KEPT {
                kept.remove(0);
            }
            kept.push((text.to_owned(), parsed.clone()));
        }
    }
}

/// An ignored field's path as scalesim writes paths everywhere (`spec.triggers[0].foo`), not
/// serde_ignored's own form (`spec.triggers.?.0.foo`, with `?` for every `Option`).
fn field_path(p: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match p {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => {
            let base = field_path(parent);
            if base.is_empty() {
                key.clone()
            } else {
                format!("{base}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

/// A string as a YAML scalar (value or key) that reads back as the same string: plain when
/// that is safe, double-quoted otherwise (spaces, `:`, `*`, a leading `-`, or text YAML would
/// read as a number, boolean or null).
pub(crate) fn scalar(s: &str) -> String {
    let safe_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    let misread = s.parse::<f64>().is_ok()
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        );
    if !s.is_empty() && safe_chars && !s.starts_with('-') && !misread {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

/// Deserialize a whole single-document file into `T`.
pub fn parse<T: DeserializeOwned>(source: &Source) -> Result<T, InputError> {
    parse_text(source, &source.text, 0)
}

fn parse_text<T: DeserializeOwned>(
    source: &Source,
    text: &str,
    line_offset: usize,
) -> Result<T, InputError> {
    let mut path = String::new();
    let r = serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    });
    r.map_err(|e| saphyr_error(source, text, line_offset, &path, &e))
}

fn saphyr_error(
    source: &Source,
    text: &str,
    line_offset: usize,
    path: &str,
    e: &serde_saphyr::Error,
) -> InputError {
    let message = messages::translate(e, text, line_offset);
    let field = if path.is_empty() || path == "." {
        None
    } else {
        Some(path)
    };
    match e.location() {
        Some(loc) if loc.line() > 0 => source.error_at(
            loc.line() as usize + line_offset,
            Some(loc.column() as usize),
            field,
            message,
        ),
        _ => {
            let mut l = Location::file(&source.path);
            if let Some(f) = field {
                l = l.with_field(f);
            }
            InputError::new(l, message)
        }
    }
}

/// The error text without serde-saphyr's own `error: line X column Y:` prefix and snippet.
pub(crate) fn bare_message(e: &serde_saphyr::Error) -> String {
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("").trim();
    let first = first.strip_prefix("error:").unwrap_or(first).trim();
    // Strip a leading "line N column M:" and a trailing " at line N, column M" if present.
    let mut msg = first;
    if let Some(rest) = msg.strip_prefix("line ")
        && let Some(idx) = rest.find(": ")
        && rest[..idx].contains("column")
    {
        msg = &rest[idx + 2..];
    }
    if let Some(idx) = msg.rfind(" at line ")
        && msg[idx..].contains("column")
    {
        msg = &msg[..idx];
    }
    msg.to_string()
}

/// Find the (1-based line, column) of the node at `path` inside one YAML document's text.
///
/// Uses the parser's event stream so it works on any valid YAML, whatever its layout.
fn locate_in(text: &str, path: &str) -> Option<(usize, usize)> {
    use serde_saphyr::granit_parser::{Event, Parser};
    let want = parse_path(path);
    // Walk events keeping a stack of containers; for maps, track whether the next scalar is a key.
    #[derive(Debug)]
    enum Frame {
        Map {
            expecting_key: bool,
            current_key: Option<String>,
        },
        Seq {
            index: usize,
        },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut cur_path: Vec<PathSeg> = Vec::new();
    let parser = Parser::new_from_str(text);
    let mut key_pos: Option<(usize, usize)> = None;
    for ev in parser {
        let (event, marker) = ev.ok()?;
        let pos = (marker.start.line(), marker.start.col() + 1);
        // Determine the path of the node that this event starts (if it starts a node).
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
                | Event::Alias(..)
        );
        if starts_node {
            let item_of_list = matches!(stack.last(), Some(Frame::Seq { .. }));
            match stack.last_mut() {
                Some(Frame::Map {
                    expecting_key,
                    current_key,
                }) if *expecting_key => {
                    // This node is a key.
                    if let Event::Scalar(v, ..) = &event {
                        *current_key = Some(v.to_string());
                    } else {
                        *current_key = None;
                    }
                    *expecting_key = false;
                    key_pos = Some(pos);
                    // A key never is a container we descend into for lookups.
                    if matches!(event, Event::MappingStart(..) | Event::SequenceStart(..)) {
                        // complex key: skip by pushing a frame; rare in manifests
                        stack.push(if matches!(event, Event::MappingStart(..)) {
                            Frame::Map {
                                expecting_key: true,
                                current_key: None,
                            }
                        } else {
                            Frame::Seq { index: 0 }
                        });
                        cur_path.push(PathSeg::Key(String::new()));
                    }
                    continue;
                }
                Some(Frame::Map {
                    expecting_key,
                    current_key,
                }) => {
                    *expecting_key = true;
                    cur_path.push(PathSeg::Key(current_key.clone().unwrap_or_default()));
                }
                Some(Frame::Seq { index }) => {
                    cur_path.push(PathSeg::Index(*index));
                    *index += 1;
                }
                None => {}
            }
            if cur_path == want {
                // For a mapping value, point at the value; for a missing value prefer the key.
                return Some(if matches!(event, Event::Scalar(..)) || item_of_list {
                    pos
                } else {
                    key_pos.unwrap_or(pos)
                });
            }
            match event {
                Event::MappingStart(..) => stack.push(Frame::Map {
                    expecting_key: true,
                    current_key: None,
                }),
                Event::SequenceStart(..) => stack.push(Frame::Seq { index: 0 }),
                _ => {
                    cur_path.pop();
                }
            }
        } else if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
            stack.pop();
            cur_path.pop();
        }
    }
    // Fall back to the deepest existing ancestor (e.g. the map a required key is missing from).
    if want.len() > 1 {
        let parent = path_to_string(&want[..want.len() - 1]);
        return locate_in(text, &parent);
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum PathSeg {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<PathSeg> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(b) = rest.find('[') {
            let key = &rest[..b];
            if !key.is_empty() {
                out.push(PathSeg::Key(key.to_string()));
            }
            rest = &rest[b..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let end = stripped.find(']').unwrap_or(stripped.len());
                let inner = &stripped[..end];
                match inner.parse::<usize>() {
                    Ok(i) => out.push(PathSeg::Index(i)),
                    Err(_) => out.push(PathSeg::Key(inner.trim_matches(['"', '\'']).to_string())),
                }
                rest = stripped.get(end + 1..).unwrap_or("");
            }
        } else {
            out.push(PathSeg::Key(rest.to_string()));
        }
    }
    out
}

fn path_to_string(p: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in p {
        match seg {
            PathSeg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSeg::Index(i) => s += &format!("[{i}]"),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept parse is found by its text only; the oldest goes once more are kept.
    #[test]
    fn a_memo_keeps_the_last_texts() {
        let memo: ParsedMemo<usize> = ParsedMemo::new();
        assert_eq!(memo.find("a"), None);
        memo.keep("a", &1);
        memo.keep("a", &2);
        assert_eq!(memo.find("a"), Some(1), "the first parse of a text stays");
        for k in 0..ParsedMemo::<usize>::KEPT {
            memo.keep(&format!("t{k}"), &k);
        }
        assert_eq!(memo.find("a"), None, "the oldest went");
        assert_eq!(memo.find("t0"), Some(0));
        let long = "x".repeat(ParsedMemo::<usize>::LONGEST + 1);
        memo.keep(&long, &7);
        assert_eq!(memo.find(&long), None);
    }

    /// A document's value is the same parsed or kept, and a failing one fails every time.
    #[test]
    fn a_documents_value_is_the_same_kept_or_parsed() {
        let source = Source::from_string("m.yaml", "a: 1\nb: [x, {c: 2.5}]\n---\nd: [\n");
        let docs = split_documents(&source);
        let parsed: serde_json::Value = docs[0].parse().unwrap();
        assert_eq!(docs[0].value().unwrap(), parsed);
        assert_eq!(docs[0].value().unwrap(), parsed);
        assert!(docs[1].value().is_err());
        assert!(docs[1].value().is_err());
    }

    #[test]
    fn splits_documents_and_skips_comment_only_ones() {
        let src = Source::from_string(
            "x.yaml",
            "# header\n---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n",
        );
        let docs = split_documents(&src);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].line_offset, 2);
        assert_eq!(docs[1].line_offset, 6);
    }

    #[test]
    fn locates_nested_paths() {
        let text = "spec:\n  triggers:\n  - type: cpu\n    metadata:\n      value: \"50\"\n  - type: kafka\n    metadata: {lagThreshold: '5'}\n";
        assert_eq!(
            locate_in(text, "spec.triggers[0].metadata.value"),
            Some((5, 14))
        );
        assert_eq!(locate_in(text, "spec.triggers[1].type"), Some((6, 11)));
        assert_eq!(
            locate_in(text, "spec.triggers[1].metadata.lagThreshold"),
            Some((7, 30))
        );
        // missing key: falls back to its parent
        assert_eq!(
            locate_in(text, "spec.triggers[1].metadata.missing").map(|p| p.0),
            Some(7)
        );
    }

    #[test]
    fn typed_errors_carry_file_line_and_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            n: u32,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
        }
        let src = Source::from_string("s.yaml", "---\ninner:\n  n: -3\n");
        let docs = split_documents(&src);
        let e = docs[0].parse::<Outer>().unwrap_err();
        assert_eq!(e.location.line, Some(3));
        assert_eq!(e.location.field.as_deref(), Some("inner.n"));
        assert!(e.to_string().starts_with("s.yaml:3:"), "{e}");
    }
}
