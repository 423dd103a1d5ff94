//! Errors and exit codes.
//!
//! Two kinds of failure reach a user: bad input (a scenario, trace or manifest that cannot be
//! used: exit 2) and a failed check (an SLO or a regression: exit 1). Every input error names the
//! file, the line and column when known, the field, and what was expected. Nothing in the library
//! prints or exits; the CLI maps these to messages and exit codes.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a user's file something is: file, optional 1-based line/column, optional field path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub(crate) column: Option<usize>,
    /// Dotted field path such as `workload.service_time.mean` or `spec.metrics[0].type`.
    pub(crate) field: Option<String>,
}

impl Location {
    pub(crate) fn file(file: impl AsRef<Path>) -> Self {
        Location {
            file: Some(file.as_ref().to_path_buf()),
            ..Default::default()
        }
    }
    pub(crate) fn with_line(mut self, line: usize, column: Option<usize>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }
    pub(crate) fn with_field(mut self, field: impl Into<String>) -> Self {
        let f = field.into();
        if !f.is_empty() && f != "." {
            self.field = Some(f);
        }
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            wrote = true;
        }
        if let Some(line) = self.line {
            if wrote {
                write!(f, ":")?;
            }
            write!(f, "{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
            wrote = true;
        }
        if let Some(field) = &self.field {
            if wrote {
                write!(f, ": ")?;
            }
            write!(f, "field `{field}`")?;
        }
        Ok(())
    }
}

/// How many characters of a user's value an error message repeats.
pub(crate) const ECHO_CHARS: usize = 40;

/// A user's value as an error message repeats it: at most [`ECHO_CHARS`] characters, then `…`
/// (a 100,000-character CSV cell is not printed whole). See `docs/inputs.md`.
pub(crate) fn shorten(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

/// A user's input cannot be used. Rendered as `file:line:col: field `x`: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub location: Location,
    pub message: String,
    /// Optional source excerpt (already formatted) shown under the message.
    pub(crate) snippet: Option<String>,
}

impl InputError {
    pub(crate) fn new(location: Location, message: impl Into<String>) -> Self {
        InputError {
            location,
            message: message.into(),
            snippet: None,
        }
    }
    /// An error about a file as a whole (missing, unreadable, empty).
    pub(crate) fn in_file(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self::new(Location::file(file), message)
    }
    pub(crate) fn at_line(file: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        Self::new(Location::file(file).with_line(line, None), message)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = self.location.to_string();
        if loc.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{loc}: {}", self.message)?;
        }
        if let Some(s) = &self.snippet {
            write!(f, "\n{s}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: exit code 2.
    #[error("{0}")]
    Input(Box<InputError>),
    /// Several input problems found at once (validation reports them all).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<InputError>),
    /// A check failed (SLO or regression): exit code 1.
    #[error("{0}")]
    CheckFailed(String),
    /// Writing outputs failed.
    #[error("{context}: {}", os_reason(source))]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl Error {
    /// Process exit code: 1 a failed check; 2 bad input, and outputs that cannot be written
    /// (a full disk, a read-only folder): 1 means only "a check failed".
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Inputs(_) | Error::Io { .. } => 2,
            Error::CheckFailed(_) => 1,
        }
    }
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(Box::new(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The system's reason for an I/O failure in plain words, without Rust's `(os error N)`.
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shorten_keeps_short_values_and_cuts_long_ones_at_a_character() {
        assert_eq!(super::shorten("abc"), "abc");
        let long = "é".repeat(100);
        assert_eq!(super::shorten(&long), format!("{}…", "é".repeat(40)));
    }
}
