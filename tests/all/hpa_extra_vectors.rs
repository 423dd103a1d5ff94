//! scalesim's own HPA vectors (`tests/conformance/hpa_vectors_extra.yaml`) for the rules the public
//! sample does not show, run through the same harness as the conformance vectors.

use crate::helpers::hpa_vectors;

#[test]
fn extra_hpa_vectors_all_pass() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/hpa_vectors_extra.yaml");
    let report = hpa_vectors::run_file(&path).expect("vectors file loads");
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

/// The harness fails a vector it cannot fully check instead of passing it: an `expected` key it
/// does not know, or any other key outside the schema.
#[test]
fn keys_outside_the_schema_fail_the_vector() {
    let dir = tempfile::tempdir().unwrap();
    let vector = |expected: &str, pod_extra: &str| {
        format!(
            "schema_version: 1\nvectors:\n- id: v\n  kind: replica_calc\n  input:\n    current_replicas: 1\n    metric: {{type: Resource, resource: cpu, target: {{type: Utilization, average_utilization: 50}}}}\n    pods: [{{name: p0, request_m: 1000, usage_m: 500{pod_extra}}}]\n  expected: {{replicas: 1{expected}}}\n"
        )
    };
    let run = |text: String| {
        let path = dir.path().join("v.yaml");
        std::fs::write(&path, text).unwrap();
        hpa_vectors::run_file(&path).unwrap()
    };
    let ok = run(vector("", ""));
    assert_eq!((ok.passed, ok.failed), (1, 0), "{:?}", ok.failures);
    for (expected, pod_extra, key) in [
        (", ready_pods: 1", "", "ready_pods"),
        ("", ", restarts: 2", "restarts"),
    ] {
        let r = run(vector(expected, pod_extra));
        assert_eq!((r.passed, r.failed), (0, 1), "{key}");
        assert!(r.failures[0].contains(key), "{}", r.failures[0]);
    }
}
