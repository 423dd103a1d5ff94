//! The summary a person reads on the terminal after `scalesim run`.

use crate::manifest::kind::ObjectKind;
use crate::sim::Summary;
use crate::units::format_seconds;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

fn secs(v: Option<f64>) -> String {
    v.map_or("–".into(), format_seconds)
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "".into()
    } else {
        format!(" ({:.2}%)", 100.0 * part as f64 / whole as f64)
    }
}

/// The verdict of the run in one line, `verdict: …` (see [`super::verdict`]).
pub(crate) fn verdict_line(s: &Summary) -> String {
    match &s.verdict {
        Some(v) => super::verdict::line(v, s.chart.start_time.as_deref()),
        None => "verdict: none (the summary has no verdict)".into(),
    }
}

/// Render the summary as a two-column table.
pub(crate) fn summary_table(s: &Summary) -> String {
    let mut rows = Rows(Vec::new());
    request_rows(&mut rows, &s.requests);
    latency_rows(&mut rows, s);
    capacity_rows(&mut rows, s);
    backlog_rows(&mut rows, s);
    keda_rows(&mut rows, s);
    hpa_rows(&mut rows, s);
    render(s, rows.0)
}

/// The rows of [`summary_table`], being written.
struct Rows(Vec<(String, String)>);

impl Rows {
    fn row(&mut self, k: &str, v: String) {
        self.0.push((k.to_string(), v));
    }
}

/// Requests: arrived, served, dropped (and why), timed out, retried.
fn request_rows(rows: &mut Rows, r: &crate::record::RequestTotals) {
    rows.row("requests arrived", r.arrived.to_string());
    rows.row(
        "served",
        format!("{}{}", r.served, pct(r.served, r.arrived)),
    );
    let mut dropped = format!("{}{}", r.dropped, pct(r.dropped, r.arrived));
    let reasons: Vec<String> = [
        (r.dropped_no_endpoints, "no ready pod"),
        (r.dropped_refused_terminating, "refused by terminating pod"),
        (r.dropped_killed_on_shutdown, "killed at shutdown"),
        (r.dropped_rejected, "503 (pod queue full)"),
        (r.dropped_restarted, "lost to a liveness restart"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, why)| format!("{n} {why}"))
    .collect();
    if !reasons.is_empty() {
        dropped += &format!(": {}", reasons.join(", "));
    }
    rows.row("dropped", dropped);
    rows.row(
        "timed out",
        format!("{}{}", r.timed_out, pct(r.timed_out, r.arrived)),
    );
    rows.row("in flight at end", r.in_flight_end.to_string());
    if r.retries > 0 || r.rejected > 0 {
        rows.row(
            "retries / 503 answers",
            format!(
                "{} ({:.2} attempts per request) / {}{}",
                r.retries,
                if r.arrived > 0 {
                    (r.arrived + r.retries) as f64 / r.arrived as f64
                } else {
                    1.0
                },
                r.rejected,
                pct(r.rejected, r.arrived + r.retries)
            ),
        );
    }
}

fn latency_rows(rows: &mut Rows, s: &Summary) {
    let l = &s.latency_s;
    rows.row(
        "latency mean / p50 / p99",
        format!("{} / {} / {}", secs(l.mean), secs(l.p50), secs(l.p99)),
    );
    rows.row(
        "latency p95 / max",
        format!("{} / {}", secs(l.p95), secs(l.max)),
    );
    rows.row(
        "wait mean / p99",
        format!("{} / {}", secs(s.wait_s.mean), secs(s.wait_s.p99)),
    );
}

/// Replicas, nodes, restarts and CPU throttling.
fn capacity_rows(rows: &mut Rows, s: &Summary) {
    let p = &s.replicas;
    rows.row(
        "replicas min / mean / max",
        format!("{} / {:.1} / {}", p.min, p.mean, p.max),
    );
    rows.row("pod-hours", format!("{:.2}", p.pod_hours));
    if let Some(n) = &s.nodes {
        rows.row(
            &format!("nodes min / mean / max ({})", n.autoscaler),
            format!(
                "{} / {:.1} / {} (+{} −{})",
                n.min, n.mean, n.max, n.added, n.removed
            ),
        );
        rows.row(
            "node-hours / cost",
            format!("{:.2} / {:.2}", n.node_hours, n.cost),
        );
        rows.row(
            "pods pending without a node",
            format!("{:.0} pod-seconds", s.pending_pod_s),
        );
    }
    if s.restarts > 0 {
        rows.row("liveness restarts", s.restarts.to_string());
    }
    if s.throttled_s > 0.0 {
        rows.row("CPU throttled (CFS)", format_seconds(s.throttled_s));
    }
}

/// Backlog, overload, scale events and flapping.
fn backlog_rows(rows: &mut Rows, s: &Summary) {
    rows.row(
        "backlog max / mean",
        format!("{} / {:.1}", s.backlog.max, s.backlog.mean),
    );
    rows.row(
        "oldest waiting max / overload",
        format!(
            "{} / {}",
            format_seconds(s.backlog.max_age_s),
            format_seconds(s.overload_s)
        ),
    );
    rows.row("scale events", s.scale_events.to_string());
    if s.direction_changes_per_hour > 0.0 {
        rows.row(
            "direction changes / hour",
            format!("{:.1}", s.direction_changes_per_hour),
        );
    }
}

fn keda_rows(rows: &mut Rows, s: &Summary) {
    for k in &s.keda {
        let mut what = format!("{} polls", k.polls);
        if ObjectKind::ScaledJob.is(k.kind) {
            what += &format!(", {} jobs created", k.jobs_created);
        } else {
            what += &format!(
                ", {} activations, {} scale-ins to zero/idle",
                k.activations, k.deactivations
            );
        }
        if k.fallback_seconds > 0.0 {
            what += &format!(", fallback for {}", format_seconds(k.fallback_seconds));
        }
        if k.error_seconds > 0.0 {
            what += &format!(", trigger errors for {}", format_seconds(k.error_seconds));
        }
        rows.row(&format!("{} {}", k.kind, k.name), what);
    }
}

fn hpa_rows(rows: &mut Rows, s: &Summary) {
    for h in &s.hpa {
        rows.row(
            &format!("HPA {}", h.name),
            format!(
                "{} syncs, {} rescales ({} up, {} down)",
                h.syncs, h.rescales, h.scale_ups, h.scale_downs
            ),
        );
        for (what, secs) in &h.limited_seconds {
            rows.row(
                "  limited by",
                format!("{what} for {}", format_seconds(*secs)),
            );
        }
        for (what, secs) in &h.stabilized_seconds {
            rows.row(
                "  held by stabilization",
                format!("{what} for {}", format_seconds(*secs)),
            );
        }
        for (what, secs) in &h.inactive_seconds {
            rows.row(
                "  ScalingActive=False",
                format!("{what} for {}", format_seconds(*secs)),
            );
        }
    }
}

/// The rows as a two-column table headed by the scenario, seed and duration.
fn render(s: &Summary, rows: Vec<(String, String)>) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        s.scenario.clone(),
        format!(
            "seed {}, {} simulated",
            s.seed,
            format_seconds(s.duration_s)
        ),
    ]);
    for (k, v) in rows {
        t.add_row(vec![k, v]);
    }
    t.to_string()
}
