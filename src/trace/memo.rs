//! Trace files parsed once and shared by the runs that read them with the same options: every
//! point of a sweep reads its scenario's trace, and only the first one parses it
//! (docs/performance.md, "Sweeps"). What the parse returns is the same whichever run asks, so
//! sharing it changes no output.

use super::Loaded;
use super::read::ReadOptions;
use crate::error::InputError;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The traces parsed so far: (file, read options, what the parse returned).
#[derive(Debug, Default)]
pub(crate) struct TraceMemo {
    parsed: Mutex<Vec<(PathBuf, ReadOptions, Loaded)>>,
}

impl TraceMemo {
    /// What `parse` returns for `path` read with `opts`: parsed by an earlier run, or now (and
    /// kept). Errors are not kept: a run that fails says so itself.
    pub(crate) fn parsed(
        &self,
        path: &Path,
        opts: &ReadOptions,
        parse: impl FnOnce() -> Result<Loaded, InputError>,
    ) -> Result<Loaded, InputError> {
        if let Some(loaded) = self.find(path, opts) {
            return Ok(loaded);
        }
        let loaded = parse()?;
        if let Ok(mut parsed) = self.parsed.lock() {
            parsed.push((path.to_path_buf(), opts.clone(), loaded.clone()));
        }
        Ok(loaded)
    }

    fn find(&self, path: &Path, opts: &ReadOptions) -> Option<Loaded> {
        let parsed = self.parsed.lock().ok()?;
        parsed
            .iter()
            .find(|(p, o, _)| p == path && o == opts)
            .map(|(_, _, loaded)| loaded.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_is_parsed_once_per_file_and_options() {
        let memo = TraceMemo::default();
        let parses = std::cell::Cell::new(0);
        let parse = |rows: &[u8]| {
            parses.set(parses.get() + 1);
            crate::trace::read::parse(Path::new("t.csv"), rows, &ReadOptions::default())
        };
        let csv = b"t,rps\n0,10\n60,20\n";
        let opts = ReadOptions::default();
        let a = memo
            .parsed(Path::new("t.csv"), &opts, || parse(csv))
            .unwrap();
        let b = memo
            .parsed(Path::new("t.csv"), &opts, || parse(csv))
            .unwrap();
        assert_eq!((a, parses.get()), (b, 1));
        let lenient = ReadOptions {
            repair: crate::trace::rows::Repair {
                lenient: true,
                ..Default::default()
            },
            ..Default::default()
        };
        memo.parsed(Path::new("t.csv"), &lenient, || parse(csv))
            .unwrap();
        memo.parsed(Path::new("u.csv"), &opts, || parse(csv))
            .unwrap();
        assert_eq!(parses.get(), 3);
    }
}
