//! Standard output for every subcommand: written through one locked handle, and a reader that
//! went away (`scalesim trace show f.csv | head -4`) is not an error: the command stops
//! printing and exits as it would have (`println!` would panic with exit 101 instead).

use crate::Error;
use std::fmt::Display;
use std::io::{self, ErrorKind, Write};

/// Write to standard output with `f`, then flush. A closed pipe counts as success; any other
/// failure is an I/O error ("writing standard output").
pub(super) fn with_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    match f(&mut lock).and_then(|()| lock.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| Error::io("writing standard output", e)),
    }
}

/// `print!` that survives a closed pipe (see the module docs).
pub(super) fn print(text: impl Display) -> Result<(), Error> {
    with_stdout(|w| write!(w, "{text}"))
}

/// `println!` that survives a closed pipe (see the module docs).
pub(super) fn println(text: impl Display) -> Result<(), Error> {
    with_stdout(|w| writeln!(w, "{text}"))
}
