//! Where the project's shared folder is (specs, conformance vectors, the real-world KEDA
//! corpus; read in place, never copied into this repository): `SCALESIM_SHARED_DIR` when set,
//! else `../shared` beside the repository.
//!
//! A test that needs it and does not find it says so on the process's standard error — written
//! directly, because libtest captures `eprintln!` of a passing test — and passes; with
//! `SCALESIM_REQUIRE_SHARED=1` (as CI sets) a missing folder fails the test instead.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// The shared folder (it may not exist).
pub(crate) fn shared_dir() -> PathBuf {
    match std::env::var_os("SCALESIM_SHARED_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// Is a missing shared folder a failure (`SCALESIM_REQUIRE_SHARED=1`)?
pub(crate) fn required() -> bool {
    std::env::var("SCALESIM_REQUIRE_SHARED").is_ok_and(|v| v == "1")
}

/// `test` could not find `wanted`: fail when the folder is required, else say plainly (on the
/// real standard error) that the test was skipped.
pub(crate) fn missing(test: &str, wanted: &Path) {
    if required() {
        panic!(
            "{test}: {} not found, and SCALESIM_REQUIRE_SHARED=1 requires it (point SCALESIM_SHARED_DIR at the shared folder)",
            wanted.display()
        );
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{test}: SKIPPED — {} not found (point SCALESIM_SHARED_DIR at the shared folder; SCALESIM_REQUIRE_SHARED=1 makes this a failure)",
        wanted.display()
    );
}

/// The real-world KEDA corpus in the shared folder (it may not exist).
pub(crate) fn keda_corpus_dir() -> PathBuf {
    shared_dir().join("conformance/keda-corpus")
}
