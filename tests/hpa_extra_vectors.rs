//! scalesim's own HPA vectors (`tests/conformance/hpa_vectors_extra.yaml`) for the rules the public
//! sample does not show, run through the same harness as the conformance vectors.

mod support;

#[test]
fn extra_hpa_vectors_all_pass() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/hpa_vectors_extra.yaml");
    let report = support::hpa_vectors::run_file(&path).expect("vectors file loads");
    for line in &report.failures {
        println!("{line}");
    }
    // Worded so it never reads as the `N passed, M failed` total `hpa_conformance` prints.
    println!(
        "extras: {} of {} passed ({} failing)",
        report.passed,
        report.passed + report.failed,
        report.failed
    );
    assert_eq!(report.failed, 0, "{}", report.failures.join("\n"));
    assert!(report.passed >= 50, "expected the whole extra set to run");
}
