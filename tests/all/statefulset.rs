//! A StatefulSet as the simulated workload (docs/statefulsets.md), through the binary: pods by
//! ordinal, created one after another under OrderedReady and together under Parallel, removed
//! from the highest ordinal, a new template rolled out from the highest ordinal down to the
//! partition, nothing replaced under OnDelete, and bad fields as located errors.

use super::helpers::run_in;
use std::path::Path;

/// Pods start in 10 s and are Ready 5 s later.
const STARTUP: f64 = 10.0;
const TO_READY: f64 = 5.0;

/// StatefulSet `db` with `replicas`, each pod requesting `cpu`, and `extra` spec lines
/// (indented two spaces, or empty). Its pods sleep 5 s in `preStop`.
fn statefulset(replicas: u32, cpu: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db}}\nspec:\n  replicas: {replicas}\n{extra}  template:\n    spec:\n      containers:\n      - name: app\n        image: app\n        resources: {{requests: {{cpu: {cpu}}}}}\n        lifecycle: {{preStop: {{sleep: {{seconds: 5}}}}}}\n"
    )
}

/// A scenario folder whose workload is `sts.yaml` (`first`), with `changes` applying the
/// other files at their times.
fn case(first: String, later: &[(&str, String)], changes: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sts.yaml"), first).unwrap();
    for (name, text) in later {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let scenario = format!(
        "name: s\nstep: 1s\nduration: 8m\ntrace: {{generate: {{kind: constant, rate: 5}}}}\n\
         workload: {{kind: http, service_time: {{dist: constant, value: 100ms}}, cpu_per_request: 10m, concurrency: 16}}\n\
         pods:\n  manifest: sts.yaml\n  startup: {{dist: constant, value: {STARTUP}s}}\n  readiness: {{initial_delay: {TO_READY}s, period: 5s}}\n\
         changes:\n{changes}"
    );
    std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
    dir
}

/// One pod event of `events.jsonl`.
#[derive(Debug, Clone, PartialEq)]
struct Ev {
    t: f64,
    pod: u64,
    event: String,
    revision: Option<u64>,
    ordinal: Option<u64>,
}

/// Run the case (exit 0) and read its pod events.
fn run(dir: &Path) -> Vec<Ev> {
    let (code, _, err) = run_in(dir, &["run", "s.yaml", "-q", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    std::fs::read_to_string(dir.join("out/events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "pod")
        .map(|v| Ev {
            t: v["t"].as_f64().unwrap(),
            pod: v["pod"].as_u64().unwrap(),
            event: v["event"].as_str().unwrap().to_string(),
            revision: v["revision"].as_u64(),
            ordinal: v["ordinal"].as_u64(),
        })
        .collect()
}

fn of<'a>(events: &'a [Ev], kind: &str) -> Vec<&'a Ev> {
    events.iter().filter(|e| e.event == kind).collect()
}

/// When pod `pod` had event `kind`.
fn when(events: &[Ev], pod: u64, kind: &str) -> f64 {
    events
        .iter()
        .find(|e| e.pod == pod && e.event == kind)
        .unwrap_or_else(|| panic!("pod {pod} has no `{kind}` in {events:?}"))
        .t
}

/// When pod `pod` was gone (exited or killed).
fn gone(events: &[Ev], pod: u64) -> f64 {
    events
        .iter()
        .find(|e| e.pod == pod && (e.event == "exited" || e.event == "killed"))
        .unwrap_or_else(|| panic!("pod {pod} never went in {events:?}"))
        .t
}

#[test]
fn ordered_ready_creates_pods_one_after_another() {
    let dir = case(
        statefulset(1, "250m", ""),
        &[("five.yaml", statefulset(5, "250m", ""))],
        "- {at: 10s, apply: five.yaml}\n",
    );
    let events = run(dir.path());
    let created = of(&events, "created");
    let ordinals: Vec<_> = created.iter().map(|e| e.ordinal).collect();
    assert_eq!(ordinals, [Some(1), Some(2), Some(3), Some(4)], "{events:?}");
    assert_eq!(created[0].t, 10.0);
    for pair in created.windows(2) {
        let ready = when(&events, pair[0].pod, "ready");
        // Each pod is created only once the one before it is Ready, at that instant.
        assert!(ready >= pair[0].t + STARTUP + TO_READY, "{pair:?}");
        assert_eq!(pair[1].t, ready, "{pair:?}");
    }
    // Four pods, one after another: 10 s + 4 × 15 s.
    let last = when(&events, created[3].pod, "ready");
    assert_eq!(last, 10.0 + 4.0 * (STARTUP + TO_READY));
}

#[test]
fn parallel_creates_pods_together() {
    let parallel = "  podManagementPolicy: Parallel\n";
    let dir = case(
        statefulset(1, "250m", parallel),
        &[("five.yaml", statefulset(5, "250m", parallel))],
        "- {at: 10s, apply: five.yaml}\n",
    );
    let events = run(dir.path());
    let created = of(&events, "created");
    assert_eq!(created.len(), 4, "{events:?}");
    assert!(created.iter().all(|e| e.t == 10.0), "{created:?}");
    let mut ordinals: Vec<_> = created.iter().map(|e| e.ordinal.unwrap()).collect();
    ordinals.sort();
    assert_eq!(ordinals, [1, 2, 3, 4]);
}

/// Scaling 5 → 2: ordinals 4, 3, 2 go (the pods of t = 0 have their ordinals as ids), 0 and 1
/// stay. OrderedReady deletes each only once the one above is gone; Parallel all at once.
#[test]
fn scale_down_removes_the_highest_ordinals() {
    for (extra, ordered) in [("", true), ("  podManagementPolicy: Parallel\n", false)] {
        let dir = case(
            statefulset(5, "250m", extra),
            &[("two.yaml", statefulset(2, "250m", extra))],
            "- {at: 30s, apply: two.yaml}\n",
        );
        let events = run(dir.path());
        let deleted: Vec<u64> = of(&events, "terminating").iter().map(|e| e.pod).collect();
        assert_eq!(deleted, [4, 3, 2], "{extra}: {events:?}");
        assert!(of(&events, "created").is_empty(), "{events:?}");
        let t = |pod| when(&events, pod, "terminating");
        if ordered {
            // preStop sleeps 5 s: each next deletion waits for the pod above to be gone.
            assert_eq!(t(4), 30.0);
            assert!(gone(&events, 4) >= 35.0);
            assert_eq!(t(3), gone(&events, 4));
            assert_eq!(t(2), gone(&events, 3));
        } else {
            assert!([t(4), t(3), t(2)].iter().all(|&x| x == 30.0), "{events:?}");
        }
    }
}

#[test]
fn a_rolling_update_with_a_partition_replaces_the_ordinals_above_it_highest_first() {
    let partition =
        "  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {partition: 2}\n";
    let dir = case(
        statefulset(5, "250m", ""),
        &[("v2.yaml", statefulset(5, "500m", partition))],
        "- {at: 30s, apply: v2.yaml}\n",
    );
    let events = run(dir.path());
    let deleted: Vec<u64> = of(&events, "terminating").iter().map(|e| e.pod).collect();
    assert_eq!(deleted, [4, 3, 2], "{events:?}");
    let created = of(&events, "created");
    let ordinals: Vec<_> = created.iter().map(|e| e.ordinal).collect();
    assert_eq!(ordinals, [Some(4), Some(3), Some(2)], "{events:?}");
    assert!(created.iter().all(|e| e.revision == Some(1)), "{created:?}");
    assert_eq!(when(&events, 4, "terminating"), 30.0);
    for (old, new) in [(4, created[0]), (3, created[1]), (2, created[2])] {
        // The new pod of an ordinal is created once the old one is gone…
        assert_eq!(new.t, gone(&events, old), "{new:?}");
        // …and the next lower ordinal is deleted once the new one is Ready.
        if old > 2 {
            let ready = when(&events, new.pod, "ready");
            assert_eq!(when(&events, old - 1, "terminating"), ready);
        }
    }
}

#[test]
fn on_delete_replaces_nothing_until_a_pod_is_created_again() {
    let on_delete = "  updateStrategy: {type: OnDelete}\n";
    let dir = case(
        statefulset(3, "250m", on_delete),
        &[
            ("v2.yaml", statefulset(3, "500m", on_delete)),
            ("four.yaml", statefulset(4, "500m", on_delete)),
        ],
        "- {at: 30s, apply: v2.yaml}\n- {at: 3m, apply: four.yaml}\n",
    );
    let events = run(dir.path());
    assert!(of(&events, "terminating").is_empty(), "{events:?}");
    // Only the scale-up creates a pod, of the new template.
    let created = of(&events, "created");
    assert_eq!(created.len(), 1, "{events:?}");
    assert_eq!((created[0].t, created[0].ordinal), (180.0, Some(3)));
    assert_eq!(created[0].revision, Some(1));
}

#[test]
fn a_staged_rollout_goes_on_when_the_partition_is_lowered() {
    let at = |p: u32| format!("  updateStrategy: {{rollingUpdate: {{partition: {p}}}}}\n");
    let dir = case(
        statefulset(3, "250m", ""),
        &[
            ("v2.yaml", statefulset(3, "500m", &at(2))),
            ("all.yaml", statefulset(3, "500m", &at(0))),
        ],
        "- {at: 30s, apply: v2.yaml}\n- {at: 3m, apply: all.yaml}\n",
    );
    let events = run(dir.path());
    let deleted: Vec<(u64, bool)> = of(&events, "terminating")
        .iter()
        .map(|e| (e.pod, e.t >= 180.0))
        .collect();
    assert_eq!(deleted, [(2, false), (1, true), (0, true)], "{events:?}");
}

#[test]
fn bad_statefulset_fields_are_located_errors() {
    let cases = [
        (
            "  podManagementPolicy: Sequential\n",
            6,
            &["podManagementPolicy", "`Sequential`", "`Parallel`"][..],
        ),
        (
            "  updateStrategy: {type: Recreate}\n",
            6,
            &["spec.updateStrategy.type", "`Recreate`", "`OnDelete`"][..],
        ),
        (
            "  updateStrategy:\n    rollingUpdate: {partition: -1}\n",
            7,
            &[
                "spec.updateStrategy.rollingUpdate.partition",
                "zero or more",
            ][..],
        ),
        (
            "  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}\n",
            6,
            &["spec.updateStrategy.rollingUpdate", "OnDelete"][..],
        ),
    ];
    for (extra, line, wanted) in cases {
        // In the workload's own manifest, and in a file applied during the run.
        for applied in [false, true] {
            let (first, file) = if applied {
                (statefulset(3, "250m", ""), format!("v2.yaml:{line}"))
            } else {
                (statefulset(3, "250m", extra), format!("sts.yaml:{line}"))
            };
            let dir = case(
                first,
                &[("v2.yaml", statefulset(3, "500m", extra))],
                "- {at: 30s, apply: v2.yaml}\n",
            );
            let (code, _, err) = run_in(dir.path(), &["run", "s.yaml", "-q", "--out", "out"]);
            assert_eq!(code, 2, "{extra}: {err}");
            assert!(err.contains(&file), "{extra}: `{file}` not in {err}");
            for w in wanted {
                assert!(err.contains(w), "{extra}: `{w}` not in {err}");
            }
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn the_pod_management_policy_cannot_change() {
    let dir = case(
        statefulset(3, "250m", ""),
        &[(
            "v2.yaml",
            statefulset(3, "500m", "  podManagementPolicy: Parallel\n"),
        )],
        "- {at: 30s, apply: v2.yaml}\n",
    );
    let (code, _, err) = run_in(dir.path(), &["run", "s.yaml", "-q", "--out", "out"]);
    assert_eq!(code, 2, "{err}");
    for w in [
        "s.yaml",
        "changes[0]",
        "podManagementPolicy",
        "`OrderedReady`",
    ] {
        assert!(err.contains(w), "`{w}` not in {err}");
    }
}

/// An HPA scaling the StatefulSet (CPU at 50 % of 250 m, 100 requests/s × 10 m = 1 core: 8
/// pods wanted from 1): OrderedReady adds them one at a time in ordinal order, each once the
/// one before is Ready, where Parallel adds the first step's pods at once.
#[test]
fn an_hpa_scales_a_statefulset_in_ordinal_order() {
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: db}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}\n  minReplicas: 1\n  maxReplicas: 8\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n";
    for (extra, ordered) in [("", true), ("  podManagementPolicy: Parallel\n", false)] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sts.yaml"), statefulset(1, "250m", extra)).unwrap();
        std::fs::write(dir.path().join("hpa.yaml"), hpa).unwrap();
        let scenario = format!(
            "name: s\nstep: 1s\nduration: 10m\ntrace: {{generate: {{kind: constant, rate: 100}}}}\n\
             workload: {{kind: http, service_time: {{dist: constant, value: 100ms}}, cpu_per_request: 10m, concurrency: 64}}\n\
             pods:\n  manifest: sts.yaml\n  startup: {{dist: constant, value: {STARTUP}s}}\n  readiness: {{initial_delay: {TO_READY}s, period: 5s}}\n\
             autoscaler: {{manifests: [hpa.yaml]}}\n"
        );
        std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
        let events = run(dir.path());
        let created = of(&events, "created");
        assert!(created.len() >= 4, "{extra}: {events:?}");
        let ordinals: Vec<u64> = created.iter().map(|e| e.ordinal.unwrap()).collect();
        let first_step = created.iter().filter(|e| e.t == created[0].t).count();
        if ordered {
            assert_eq!(ordinals, (1..=created.len() as u64).collect::<Vec<_>>());
            for pair in created.windows(2) {
                assert!(pair[1].t >= when(&events, pair[0].pod, "ready"), "{pair:?}");
            }
            assert_eq!(first_step, 1);
        } else {
            assert!(first_step > 1, "{created:?}");
        }
    }
}

/// `maxUnavailable: 2`: the rolling update deletes the two highest ordinals at once, then the
/// next two once no pod is unavailable, then the last.
#[test]
fn max_unavailable_replaces_that_many_pods_at_once() {
    let strategy = "  updateStrategy:\n    rollingUpdate: {maxUnavailable: 2}\n";
    let dir = case(
        statefulset(5, "250m", ""),
        &[("v2.yaml", statefulset(5, "500m", strategy))],
        "- {at: 30s, apply: v2.yaml}\n",
    );
    let events = run(dir.path());
    let t = |pod| when(&events, pod, "terminating");
    assert_eq!((t(4), t(3)), (30.0, 30.0), "{events:?}");
    assert!(t(2) > 30.0 && t(2) == t(1), "{events:?}");
    assert!(t(0) > t(1), "{events:?}");
    let created = of(&events, "created");
    assert_eq!(created.len(), 5);
    assert!(created.iter().all(|e| e.revision == Some(1)), "{created:?}");
}
