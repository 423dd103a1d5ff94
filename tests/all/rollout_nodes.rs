//! A rollout of new pod requests on a cluster with nodes (docs/rollouts.md, "Errors and
//! limits"; docs/nodes-and-overload.md), through the binary: bigger pods make the node
//! autoscaler add nodes as the new pods need them, no node is ever promised more than its
//! allocatable (replayed from `events.jsonl`), and a template no node can hold leaves its surge
//! pods Pending with an `unschedulable` event and a warning, as an oversized pod is today.

use super::helpers::run_in;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Node allocatable in the cases below: 1.9 cores, 8 GiB, no DaemonSets.
const NODE_CPU: f64 = 1.9;
const NODE_MEMORY: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

/// A workload of `kind` named `web`: 6 replicas, each pod requesting `cpu` and `memory`.
fn workload(kind: &str, cpu: &str, memory: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: web}}\nspec:\n  replicas: 6\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app\n        resources: {{requests: {{cpu: {cpu}, memory: {memory}}}}}\n"
    )
}

/// An HPA holding `web` at 6 pods.
const HPA: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 6\n  maxReplicas: 6\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n";

/// A 30-minute run of an http service at 50 requests/s on 6 pods of 500m / 512Mi (3 fit on a
/// node, so 2 initial nodes), applying `web` with `cpu` / `memory` at 10 min, under
/// `autoscaler` (at most 10 nodes). Returns the folder and the run's stderr.
fn run_rollout(cpu: &str, memory: &str, autoscaler: &str) -> (tempfile::TempDir, String) {
    run_workload_rollout("Deployment", cpu, memory, autoscaler)
}

/// [`run_rollout`] for a workload of `kind` (Deployment or StatefulSet).
fn run_workload_rollout(
    kind: &str,
    cpu: &str,
    memory: &str,
    autoscaler: &str,
) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("deploy.yaml", &workload(kind, "500m", "512Mi"));
    write("deploy-v2.yaml", &workload(kind, cpu, memory));
    write(
        "hpa.yaml",
        &HPA.replace("kind: Deployment", &format!("kind: {kind}")),
    );
    write(
        "s.yaml",
        &format!(
            "name: r\nstep: 1s\nduration: 30m\ntrace: {{generate: {{kind: constant, rate: 50}}}}\n\
             workload: {{kind: http, service_time: {{dist: constant, value: 100ms}}, cpu_per_request: 10m, concurrency: 16}}\n\
             pods:\n  manifest: deploy.yaml\n  startup: {{dist: uniform, min: 5s, max: 25s}}\n  readiness: {{initial_delay: 0s, period: 5s}}\n\
             autoscaler: {{manifests: [hpa.yaml]}}\n\
             cluster:\n  nodes: {{cpu: 1900m, memory: 8Gi, max: 10}}\n  node_autoscaler: {{kind: {autoscaler}}}\n\
             changes:\n- {{at: 10m, apply: deploy-v2.yaml}}\n"
        ),
    );
    let (code, _, err) = run_in(dir.path(), &["run", "s.yaml", "-q", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    (dir, err)
}

fn out(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("out")
}

fn events(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The last row of `timeseries.csv`, by column name.
fn last_row(out: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let last: Vec<&str> = text.lines().last().unwrap().split(',').collect();
    header
        .iter()
        .zip(last)
        .map(|(h, v)| (h.to_string(), v.parse().unwrap_or(f64::NAN)))
        .collect()
}

/// What a pod of revision `rev` requests (cores, bytes) for a rollout to `cpu` / `memory`.
fn requests(rev: u64, new: (f64, f64)) -> (f64, f64) {
    if rev == 0 {
        (0.5, 512.0 * 1024.0 * 1024.0)
    } else {
        new
    }
}

/// Replay `events.jsonl`: each pod's requests are added to its node when it is scheduled and
/// taken off when it exits; after every event no node holds more than its allocatable. Returns
/// the most pods of revision 1 ever bound, and the node ids provisioned after `t`.
fn replay(events: &[serde_json::Value], new: (f64, f64), t: f64) -> (usize, Vec<u64>) {
    let mut revision: BTreeMap<u64, u64> = BTreeMap::new();
    let mut bound: BTreeMap<u64, u64> = BTreeMap::new(); // pod → node
    let mut on_node: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    let mut most_new = 0;
    let mut added = Vec::new();
    for e in events {
        if e["type"] == "node" {
            if e["event"] == "provisioning" && e["t"].as_f64().unwrap() >= t {
                added.push(e["node"].as_u64().unwrap());
            }
            continue;
        }
        if e["type"] != "pod" {
            continue;
        }
        let pod = e["pod"].as_u64().unwrap();
        match e["event"].as_str().unwrap() {
            "created" => {
                revision.insert(pod, e["revision"].as_u64().unwrap_or(0));
            }
            "scheduled" => {
                let node = e["node"].as_u64().unwrap();
                let (cpu, mem) = requests(revision[&pod], new);
                let n = on_node.entry(node).or_default();
                n.0 += cpu;
                n.1 += mem;
                bound.insert(pod, node);
                assert!(
                    n.0 <= NODE_CPU + 1e-9 && n.1 <= NODE_MEMORY,
                    "t = {}: node {node} holds {} cores, {} bytes",
                    e["t"],
                    n.0,
                    n.1
                );
            }
            "exited" | "killed" => {
                if let Some(node) = bound.remove(&pod) {
                    let (cpu, mem) = requests(revision[&pod], new);
                    let n = on_node.get_mut(&node).unwrap();
                    n.0 -= cpu;
                    n.1 -= mem;
                }
            }
            _ => {}
        }
        let new_bound = bound.keys().filter(|p| revision[p] == 1).count();
        most_new = most_new.max(new_bound);
    }
    (most_new, added)
}

#[test]
fn bigger_pods_get_new_nodes_and_no_node_is_overcommitted() {
    // 500m → 1 core: 3 old pods fit on a 1.9-core node, 1 new one. The 2 initial nodes hold
    // the 6 old pods; the 6 new ones need 6 nodes, which the autoscaler must add as they wait.
    // Were the pods placed by one shape for the workload, 3 new pods would share a node.
    for autoscaler in ["cluster-autoscaler", "karpenter"] {
        let (dir, _) = run_rollout("1", "512Mi", autoscaler);
        let out = out(&dir);
        let ev = events(&out);
        let gib = 512.0 * 1024.0 * 1024.0;
        let (most_new, added) = replay(&ev, (1.0, gib), 600.0);
        assert_eq!(most_new, 6, "{autoscaler}: every new pod got a node");
        assert!(
            added.len() >= 4,
            "{autoscaler}: nodes added after the rollout: {added:?}"
        );
        let first = ev
            .iter()
            .find(|e| e["type"] == "node" && e["event"] == "provisioning");
        assert!(
            first.unwrap()["t"].as_f64().unwrap() >= 600.0,
            "{autoscaler}: no node before the rollout"
        );
        let last = last_row(&out);
        assert_eq!(last["ready_pods"], 6.0, "{autoscaler}: {last:?}");
        assert_eq!(last["unschedulable_pods"], 0.0, "{autoscaler}");
        assert!(last["nodes_ready"] >= 6.0, "{autoscaler}: {last:?}");
    }
}

#[test]
fn more_memory_alone_also_needs_new_nodes() {
    // 512Mi → 5Gi: one new pod per 8 GiB node by memory, CPU unchanged.
    let (dir, _) = run_rollout("500m", "5Gi", "cluster-autoscaler");
    let out = out(&dir);
    let (most_new, added) = replay(&events(&out), (0.5, 5.0 * 1024.0 * 1024.0 * 1024.0), 600.0);
    assert_eq!(most_new, 6);
    assert!(added.len() >= 4, "{added:?}");
    assert!(last_row(&out)["nodes_ready"] >= 6.0);
}

#[test]
fn a_template_no_node_can_hold_leaves_its_surge_pods_pending() {
    // 4 cores on 1.9-core nodes: no node type holds one. maxSurge 25 % of 6 = 2 and
    // maxUnavailable 1: one old pod goes, three new ones wait for ever, five old ones serve.
    let (dir, err) = run_rollout("4", "512Mi", "cluster-autoscaler");
    assert!(
        err.contains("changes[0]: a pod of the new template (requests 4 cores")
            && err.contains("fits on no node of pool"),
        "{err}"
    );
    let out = out(&dir);
    let ev = events(&out);
    let new: Vec<u64> = ev
        .iter()
        .filter(|e| e["event"] == "created" && e["revision"] == 1)
        .map(|e| e["pod"].as_u64().unwrap())
        .collect();
    assert_eq!(new.len(), 3, "surge pods");
    for pod in &new {
        let of = |kind: &str| {
            ev.iter()
                .any(|e| e["type"] == "pod" && e["pod"] == *pod && e["event"] == kind)
        };
        assert!(of("unschedulable") && !of("scheduled"), "pod {pod}");
    }
    let (_, added) = replay(&ev, (4.0, 512.0 * 1024.0 * 1024.0), 600.0);
    assert!(added.is_empty(), "no node is added for a pod no node holds");
    let last = last_row(&out);
    assert_eq!(last["unschedulable_pods"], 3.0, "{last:?}");
    assert_eq!(last["ready_pods"], 5.0, "{last:?}");
}

#[test]
fn a_stateful_set_rolls_bigger_pods_onto_new_nodes_one_ordinal_at_a_time() {
    // The StatefulSet controller replaces ordinals 5 … 0 one at a time (docs/statefulsets.md);
    // each new 1-core pod needs a node of its own, which the autoscaler adds as it waits, and
    // no node is ever promised more than its allocatable.
    let (dir, _) = run_workload_rollout("StatefulSet", "1", "512Mi", "cluster-autoscaler");
    let out = out(&dir);
    let ev = events(&out);
    let (most_new, added) = replay(&ev, (1.0, 512.0 * 1024.0 * 1024.0), 600.0);
    assert_eq!(most_new, 6, "every new pod got a node");
    assert!(added.len() >= 4, "nodes added after the rollout: {added:?}");
    let ordinals: Vec<u64> = ev
        .iter()
        .filter(|e| e["event"] == "created" && e["revision"] == 1)
        .map(|e| e["ordinal"].as_u64().unwrap())
        .collect();
    assert_eq!(ordinals, [5, 4, 3, 2, 1, 0], "highest ordinal first");
    let last = last_row(&out);
    assert_eq!(last["ready_pods"], 6.0, "{last:?}");
    assert_eq!(last["unschedulable_pods"], 0.0, "{last:?}");
}
