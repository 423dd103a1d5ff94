//! The test suite's own layout (docs/testing.md): at most three integration-test binaries.
//! Cargo builds every `tests/*.rs` as a binary of its own, each linking the whole library, so
//! a test file added there instead of as a module of `tests/all/` fails here.

use crate::helpers::root;

#[test]
fn only_the_conformance_runners_sit_beside_tests_all() {
    let mut top: Vec<String> = std::fs::read_dir(root().join("tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(
        top,
        ["hpa_conformance.rs", "keda_conformance.rs"],
        "each tests/*.rs file is a test binary of its own: move new ones into tests/all/ as a module (`mod NAME;` in tests/all/main.rs)"
    );
}

#[test]
fn every_module_file_of_tests_all_is_declared() {
    let dir = root().join("tests/all");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let Some(stem) = p.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        if p.extension().is_some_and(|x| x == "rs") && stem != "main" {
            assert!(
                main.contains(&format!("\nmod {stem};")),
                "tests/all/{stem}.rs is not declared in tests/all/main.rs, so none of its tests run"
            );
        }
    }
}
