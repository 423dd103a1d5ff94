//! HPA conformance: runs every vector of `tests/conformance/hpa_vectors.yaml` (or of the file
//! named by `SCALESIM_HPA_VECTORS`), prints each failing id with expected vs got, and closes with
//! `N passed, M failed`; exits non-zero when anything failed.

#[path = "all/helpers/hpa_vectors.rs"]
mod hpa_vectors;

use std::path::PathBuf;

fn main() {
    let path = match std::env::var_os("SCALESIM_HPA_VECTORS") {
        Some(p) => PathBuf::from(p),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/hpa_vectors.yaml")
        }
    };
    println!("hpa conformance vectors: {}", path.display());
    let report = match hpa_vectors::run_file(&path) {
        Ok(r) => r,
        Err(e) => {
            println!("cannot run the vectors: {e}");
            println!("0 passed, 1 failed");
            std::process::exit(1);
        }
    };
    for line in &report.failures {
        println!("{line}");
    }
    println!("{} passed, {} failed", report.passed, report.failed);
    if report.failed > 0 {
        std::process::exit(1);
    }
}
