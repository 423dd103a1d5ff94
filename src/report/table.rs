//! The summary a person reads on the terminal after `scalesim run`.

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

/// Render the summary as a table.
pub fn summary_table(s: &Summary) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        format!(
            "{} (seed {}, {})",
            s.scenario,
            s.seed,
            format_seconds(s.duration_s)
        ),
        String::new(),
    ]);
    let r = &s.requests;
    t.add_row(vec!["requests arrived".to_string(), r.arrived.to_string()]);
    t.add_row(vec![
        "served".to_string(),
        format!("{}{}", r.served, pct(r.served, r.arrived)),
    ]);
    t.add_row(vec![
        "dropped".to_string(),
        format!("{}{}", r.dropped, pct(r.dropped, r.arrived)),
    ]);
    t.add_row(vec![
        "timed out".to_string(),
        format!("{}{}", r.timed_out, pct(r.timed_out, r.arrived)),
    ]);
    t.add_row(vec![
        "in flight at end".to_string(),
        r.in_flight_end.to_string(),
    ]);
    let l = &s.latency_s;
    t.add_row(vec![
        "latency mean / p50 / p95 / p99 / max".to_string(),
        format!(
            "{} / {} / {} / {} / {}",
            secs(l.mean),
            secs(l.p50),
            secs(l.p95),
            secs(l.p99),
            secs(l.max)
        ),
    ]);
    t.add_row(vec![
        "wait mean / p99".to_string(),
        format!("{} / {}", secs(s.wait_s.mean), secs(s.wait_s.p99)),
    ]);
    let p = &s.replicas;
    t.add_row(vec![
        "replicas min / mean / max".to_string(),
        format!("{} / {:.1} / {}", p.min, p.mean, p.max),
    ]);
    t.add_row(vec!["pod-hours".to_string(), format!("{:.2}", p.pod_hours)]);
    t.add_row(vec![
        "backlog max / mean".to_string(),
        format!("{} / {:.1}", s.backlog.max, s.backlog.mean),
    ]);
    t.add_row(vec!["scale events".to_string(), s.scale_events.to_string()]);
    t.to_string()
}
