//! A small builder so a scenario-level test reads like the scenario it checks.
#![allow(dead_code)]

use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{LogEvent, RunOptions, RunResult, run};
use scalesim::yaml::Source;

/// A scenario under construction: YAML fragments plus manifests written into a temp folder.
pub(crate) struct Sim {
    dir: tempfile::TempDir,
    pub lines: Vec<String>,
    manifests: Vec<String>,
    deployment: Option<String>,
    metrics: Vec<String>,
    cluster: Vec<String>,
    phases: Option<String>,
}

impl Sim {
    /// `rate` requests/s for `duration`, an http workload, `replicas` pods requesting 500m CPU.
    pub(crate) fn new(rate: f64, duration: &str, replicas: u32) -> Sim {
        Sim {
            dir: tempfile::tempdir().unwrap(),
            lines: vec![
                "name: t".into(),
                format!("duration: {duration}"),
                "step: 5s".into(),
                format!("trace: {{generate: {{kind: constant, rate: {rate}}}}}"),
                "workload: {kind: http, service_time: {dist: exponential, mean: 50ms}, cpu_per_request: 10m, concurrency: 8}".into(),
                format!("pods:\n  replicas: {replicas}\n  cpu_request: 500m\n  startup: 10s\n  readiness: {{initial_delay: 5s, period: 5s}}"),
            ],
            manifests: Vec::new(),
            deployment: None,
            metrics: Vec::new(),
            cluster: Vec::new(),
            phases: None,
        }
    }

    /// Replace the `trace:` line.
    pub(crate) fn trace(mut self, yaml: &str) -> Sim {
        self.lines[3] = format!("trace: {yaml}");
        self
    }

    /// Append lines to the `pods:` block (each indented by two spaces).
    pub(crate) fn pods(mut self, yaml: &str) -> Sim {
        for l in yaml.lines() {
            self.lines[5].push_str(&format!("\n  {l}"));
        }
        self
    }

    /// An autoscaling/v2 HPA on the workload with this `spec` body (indented YAML under `spec:`,
    /// without scaleTargetRef).
    pub(crate) fn hpa(mut self, spec: &str) -> Sim {
        let body: String = spec.lines().map(|l| format!("  {l}\n")).collect();
        self.manifests.push(format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n{body}"
        ));
        self
    }

    /// Read the pods from this Deployment manifest (`pods.manifest`) instead of the builder's
    /// `cpu_request: 500m`.
    pub(crate) fn deployment(mut self, manifest: &str) -> Sim {
        self.lines[5] = self.lines[5].replace("cpu_request: 500m", "manifest: deploy.yaml");
        self.deployment = Some(manifest.to_string());
        self
    }

    pub(crate) fn metric(mut self, name: &str, binding: &str) -> Sim {
        self.metrics.push(format!("  {name}: {binding}"));
        self
    }

    /// A `cluster.controller_manager` setting, e.g. `cpu_initialization_period: 1s`.
    pub(crate) fn controller_manager(mut self, setting: &str) -> Sim {
        self.cluster.push(format!("    {setting}"));
        self
    }

    /// `cluster.metric_phases` (docs/metrics-pipeline.md): `aligned` or `seeded`.
    pub(crate) fn metric_phases(mut self, mode: &str) -> Sim {
        self.phases = Some(mode.to_string());
        self
    }

    pub(crate) fn yaml(&self) -> String {
        let mut y = self.lines.join("\n") + "\n";
        if !self.manifests.is_empty() {
            y += "autoscaler:\n  manifests: [hpa.yaml]\n";
        }
        if !self.metrics.is_empty() {
            y += &format!("metrics:\n{}\n", self.metrics.join("\n"));
        }
        if !self.cluster.is_empty() || self.phases.is_some() {
            y += "cluster:\n";
        }
        if let Some(mode) = &self.phases {
            y += &format!("  metric_phases: {mode}\n");
        }
        if !self.cluster.is_empty() {
            y += &format!("  controller_manager:\n{}\n", self.cluster.join("\n"));
        }
        y
    }

    pub(crate) fn run(self) -> Outcome {
        self.run_with(&RunOptions::default())
    }

    /// Run with these options (e.g. `log_every_sync` to see every HPA decision).
    pub(crate) fn run_with(self, options: &RunOptions) -> Outcome {
        std::fs::write(
            self.dir.path().join("hpa.yaml"),
            self.manifests.join("---\n"),
        )
        .unwrap();
        if let Some(d) = &self.deployment {
            std::fs::write(self.dir.path().join("deploy.yaml"), d).unwrap();
        }
        let path = self.dir.path().join("s.yaml");
        std::fs::write(&path, self.yaml()).unwrap();
        let src = Source::read(&path).unwrap();
        let scenario = Scenario::from_source(&src, &Overrides::default())
            .unwrap_or_else(|e| panic!("{e}\n{}", self.yaml()));
        Outcome {
            result: run(&scenario, options).unwrap(),
        }
    }
}

pub(crate) struct Outcome {
    pub result: RunResult,
}

/// One HPA rescale: (time, from, to, decision).
pub(crate) struct Rescale {
    pub t: f64,
    pub from: i32,
    pub to: i32,
    pub decision: scalesim::hpa::Decision,
}

impl Outcome {
    pub(crate) fn rescales(&self) -> Vec<Rescale> {
        self.result
            .events
            .iter()
            .filter_map(|e| match e {
                LogEvent::Autoscaler(a) if a.decision.rescale => Some(Rescale {
                    t: a.t,
                    from: a.decision.current_replicas,
                    to: a.decision.desired_replicas,
                    decision: (*a.decision).clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// spec.replicas at the time-series row containing `t`.
    pub(crate) fn replicas_at(&self, t: f64) -> i32 {
        let s = &self.result.series;
        s.spec_replicas[s.row(t)]
    }
}
