//! Writing the calibration's files: staged in the output folder and moved into place complete,
//! so a reader never sees half a file; an existing `calibration.*` that scalesim did
//! not write is not replaced unless asked (`--overwrite`).
//!
//! The writing itself is `crate::output`'s, as for every other command.

use super::fragment::{JSON_MARK, YAML_MARK};
use crate::error::{Error, InputError, Location};
use crate::output::{OutputDir, Overwrite};
use std::path::Path;

/// Text every `calibration.png` carries (a PNG `tEXt` chunk).
pub const PNG_MARK: &str = "scalesim calibrate";

/// Does `bytes`, found at `name`, look like a file `scalesim calibrate` wrote?
pub fn looks_like_ours(name: &str, bytes: &[u8]) -> bool {
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    match name.rsplit('.').next() {
        Some("yaml") => bytes.starts_with(YAML_MARK.as_bytes()),
        Some("json") => has(&format!("\"written_by\": \"{JSON_MARK}\"")),
        Some("png") => bytes.starts_with(b"\x89PNG") && has(PNG_MARK),
        _ => false,
    }
}

/// Refuse when a file about to be written exists and was not written by scalesim.
pub fn check_overwrite(dir: &Path, names: &[&str], overwrite: bool) -> Result<(), InputError> {
    if overwrite {
        return Ok(());
    }
    for name in names {
        let path = dir.join(name);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if !looks_like_ours(name, &bytes) {
            return Err(InputError::new(
                Location::file(&path),
                "exists and was not written by `scalesim calibrate`: not replaced (pass --overwrite to replace it, or choose another --out folder)",
            ));
        }
    }
    Ok(())
}

/// Check, then write every file through [`crate::output::OutputDir`] (staged, moved into place
/// complete, recorded in the folder's ledger). Files that look like an earlier calibration's
/// count as scalesim's even without a ledger (they carry their own marks).
pub fn write_all(dir: &Path, files: &[(&str, Vec<u8>)], overwrite: bool) -> Result<(), Error> {
    let names: Vec<&str> = files.iter().map(|f| f.0).collect();
    check_overwrite(dir, &names, overwrite)?;
    let out = OutputDir::open(dir, &names, Overwrite::Any)?;
    for (name, bytes) in files {
        out.write_bytes(name, bytes)?;
    }
    out.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_foreign_file_unless_told() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("calibration.yaml"), "mine: true\n").unwrap();
        let files = [("calibration.yaml", format!("{YAML_MARK}\n").into_bytes())];
        let e = write_all(dir.path(), &files, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--overwrite"), "{e}");
        write_all(dir.path(), &files, true).unwrap();
        // Now it is ours: replaced without asking.
        write_all(dir.path(), &files, false).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 2, "no temporary file left behind: {left:?}");
        assert!(
            left.contains(&crate::output::LEDGER.to_string()),
            "{left:?}"
        );
    }
}
