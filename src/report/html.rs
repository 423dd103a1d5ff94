//! `report.html`: one self-contained page per run — the scenario and its key settings, the
//! summary table, the charts (inline SVG), the autoscaler decisions that changed something, and
//! the warnings. Nothing outside the file is referenced (no external scripts, stylesheets, fonts,
//! images or links), every text is escaped, and the page is also well-formed XML. The one inline
//! script (`super::explore`) redraws the charts with a cursor readout and zoom, and filters the
//! decision log; without it the page reads the same, with the static figure. The pieces here
//! ([`Page`], [`inline_svg`], with [`crate::text::escape`]) also build `compare.html`.

use super::chart::TimeLabels;
use super::chart::timeaxis::format_elapsed;
use super::digest;
use crate::hpa::Decision;
use crate::scenario::Scenario;
use crate::sim::{DecisionLog, LogEvent, RunResult};
use crate::text::{Markup::Html, data_number, escape, label_number as fmt_num};
use crate::units::format_seconds;
use crate::world::WorldConfig;

/// At most this many decisions are listed; the rest are counted in a note.
pub(crate) const MAX_DECISION_ROWS: usize = crate::sim::LISTED_CAP;

const STYLE: &str = "\
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:24px auto;max-width:1440px;\
padding:0 16px;color:#222;line-height:1.4}\
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:32px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:14px;margin:8px 0}\
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.note{color:#666;font-size:13px}.small{font-size:12px;color:#555}\
.verdict{font-size:16px;font-weight:bold;padding:8px 12px;border-left:4px solid #888;background:#f6f6f6}\
table.log td{font-size:13px}code{font-size:12px;word-break:break-all}\
svg{max-width:100%;height:auto;display:block}\
.xbar{position:sticky;top:0;z-index:2;background:#fff;padding:6px 0;border-bottom:1px solid #ddd}\
.xbar button{margin-left:12px}.xbar .cursor-time{margin-left:16px;font-weight:bold}\
.xbar .note{margin:4px 0 0}.xpanel{margin:10px 0}.xtitle{font-weight:bold;font-size:14px}\
.readout{font-size:13px}.readout .item{margin-right:14px;white-space:nowrap}\
.readout .swatch{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}\
.readout .value{font-variant-numeric:tabular-nums}.readout .ref{color:#666}\
svg.xchart{max-width:none;cursor:crosshair;user-select:none}svg.xchart .tick{font-size:11px;fill:#555}\
";

/// A page under construction. Every method takes already-escaped HTML except where it says text.
pub(crate) struct Page {
    out: String,
}

impl Page {
    /// A page with its head and inline style; `title` is text.
    pub(crate) fn new(title: &str) -> Page {
        let mut out = String::with_capacity(64 * 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
        out.push_str(&format!("<title>{}</title>\n", escape(title, Html)));
        out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
        Page { out }
    }

    /// Raw HTML.
    pub(crate) fn raw(&mut self, html: &str) {
        self.out.push_str(html);
        self.out.push('\n');
    }

    /// A heading (`level` 1–3) from text.
    pub(crate) fn heading(&mut self, level: u8, text: &str) {
        self.raw(&format!("<h{level}>{}</h{level}>", escape(text, Html)));
    }

    /// A paragraph from text, with an optional class.
    pub(crate) fn para(&mut self, text: &str, class: Option<&str>) {
        match class {
            Some(c) => self.raw(&format!("<p class=\"{c}\">{}</p>", escape(text, Html))),
            None => self.raw(&format!("<p>{}</p>", escape(text, Html))),
        }
    }

    /// A table: header texts, and rows of cells already in HTML (use [`crate::text::escape`]). Cells whose
    /// index is in `numeric` are right-aligned.
    pub(crate) fn table(
        &mut self,
        class: &str,
        headers: &[String],
        rows: &[Vec<String>],
        numeric: &[usize],
    ) {
        self.table_with_row_attrs(class, headers, rows, numeric, &[]);
    }

    /// [`Page::table`] whose row `i` carries the attributes `row_attrs[i]` (already escaped,
    /// e.g. `data-t="12"`); rows past the end of `row_attrs` carry none.
    pub(crate) fn table_with_row_attrs(
        &mut self,
        class: &str,
        headers: &[String],
        rows: &[Vec<String>],
        numeric: &[usize],
        row_attrs: &[String],
    ) {
        let mut t = format!("<table class=\"{class}\">\n<thead><tr>");
        for h in headers {
            t.push_str(&format!("<th>{}</th>", escape(h, Html)));
        }
        t.push_str("</tr></thead>\n<tbody>\n");
        for (i, r) in rows.iter().enumerate() {
            match row_attrs.get(i) {
                Some(a) => t.push_str(&format!("<tr {a}>")),
                None => t.push_str("<tr>"),
            }
            for (i, c) in r.iter().enumerate() {
                if numeric.contains(&i) {
                    t.push_str(&format!("<td class=\"num\">{c}</td>"));
                } else {
                    t.push_str(&format!("<td>{c}</td>"));
                }
            }
            t.push_str("</tr>\n");
        }
        t.push_str("</tbody>\n</table>");
        self.raw(&t);
    }

    /// A bullet list from texts.
    pub(crate) fn list(&mut self, items: &[String]) {
        let mut l = String::from("<ul>\n");
        for i in items {
            l.push_str(&format!("<li>{}</li>\n", escape(i, Html)));
        }
        l.push_str("</ul>");
        self.raw(&l);
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push_str(&format!(
            "<p class=\"note\">Written by scalesim {}.</p>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        ));
        self.out
    }
}

/// An SVG document made fit to sit inside HTML: no XML declaration, no namespace URL, scalable,
/// labelled for screen readers (`label` is text).
pub(crate) fn inline_svg(svg: &str, label: &str) -> String {
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    body.replacen(
        " xmlns=\"http://www.w3.org/2000/svg\"",
        &format!(" role=\"img\" aria-label=\"{}\"", escape(label, Html)),
        1,
    )
}

/// The page of one run; `chart_svg` is the run's figure.
pub(crate) fn run_report(
    scenario: &Scenario,
    result: &RunResult,
    chart_svg: &str,
    explore_json: &str,
    time: &TimeLabels,
) -> String {
    let mut page = Page::new(&format!("scalesim: {}", scenario.name));
    page.heading(1, &format!("scalesim run: {}", scenario.name));
    verdict_section(&mut page, &result.summary);
    if let Some(d) = &scenario.description {
        page.para(d, None);
    }
    page.heading(2, "Scenario");
    let settings: Vec<Vec<String>> = scenario_settings(scenario)
        .into_iter()
        .map(|(g, k, v)| vec![escape(&g, Html), escape(&k, Html), escape(&v, Html)])
        .collect();
    page.table(
        "settings",
        &["part".into(), "setting".into(), "value".into()],
        &settings,
        &[],
    );

    page.heading(2, "Summary");
    let summary = serde_json::to_value(&result.summary).unwrap_or_default();
    let rows: Vec<Vec<String>> = digest::summary_rows(&summary)
        .into_iter()
        .map(|r| vec![escape(&r.label, Html), escape(&r.text, Html)])
        .collect();
    page.table("summary", &["".into(), "value".into()], &rows, &[1]);

    page.heading(2, "Charts");
    page.para(
        "The same figure is beside this file as chart.png and chart.svg. Each pixel column shows the \
         full range (minimum to maximum) of the steps it covers, so no spike is hidden.",
        Some("note"),
    );
    page.raw("<div id=\"explore\" hidden=\"hidden\"></div>\n<div id=\"static-figure\">");
    page.raw(&inline_svg(
        chart_svg,
        &format!("charts of the run {}", scenario.name),
    ));
    page.raw("</div>");

    page.heading(2, "Autoscaler decisions");
    decision_log(&mut page, &result.decisions, time);

    page.heading(2, "Warnings");
    if result.warnings.is_empty() {
        page.para("None.", None);
    } else {
        page.list(&result.warnings);
    }
    explore_scripts(&mut page, explore_json);
    page.finish()
}

/// The figure's data and the script that explores it. The script sits in a CDATA section
/// behind line comments, so the page stays well-formed XML and the browser reads plain script.
fn explore_scripts(page: &mut Page, explore_json: &str) {
    page.raw(&format!(
        "<script type=\"application/json\" id=\"{}\">{explore_json}</script>",
        super::explore::DATA_ID
    ));
    page.raw(&format!(
        "<script>//<![CDATA[\n{}//]]></script>",
        super::explore::SCRIPT
    ));
}

/// The verdict line, then what limited the autoscaler and each `slo:` bound.
fn verdict_section(page: &mut Page, summary: &crate::sim::Summary) {
    page.para(&super::table::verdict_line(summary), Some("verdict"));
    let Some(v) = &summary.verdict else { return };
    let clock = super::verdict::Clock::new(summary.chart.start_time.as_deref());
    if !v.limited_by.is_empty() {
        let rows: Vec<Vec<String>> = v
            .limited_by
            .iter()
            .map(|l| {
                vec![
                    escape(&super::verdict::limit_words(l), Html),
                    escape(&l.autoscaler, Html),
                    escape(&clock.span(l.from_s, l.to_s), Html),
                    escape(&super::verdict::duration(l.seconds), Html),
                    escape(&super::verdict::duration(l.overloaded_s), Html),
                ]
            })
            .collect();
        page.table(
            "limits",
            &[
                "limited by".into(),
                "of".into(),
                "first–last".into(),
                "for".into(),
                "while behind".into(),
            ],
            &rows,
            &[3, 4],
        );
    }
    if let Some(slo) = &v.slo {
        let items: Vec<String> = slo
            .iter()
            .map(|b| format!("{} {}", if b.met { "met:" } else { "FAILED:" }, b.text))
            .collect();
        page.list(&items);
    }
}

/// `(part, setting, value)` rows describing what was simulated.
pub(crate) fn scenario_settings(s: &Scenario) -> Vec<(String, String, String)> {
    let mut rows = Settings(Vec::new());
    // No "scenario file" row: outputs are the same however the scenario file is named (and a
    // one-command run has none).
    run_settings(&mut rows, s);
    trace_settings(&mut rows, &s.trace);
    workload_settings(&mut rows, &s.workload);
    pod_settings(&mut rows, s);
    for h in &s.autoscalers.hpas {
        hpa_settings(&mut rows, h);
    }
    for so in &s.autoscalers.scaled_objects {
        scaled_object_settings(&mut rows, so);
    }
    for sj in &s.autoscalers.scaled_jobs {
        scaled_job_settings(&mut rows, sj);
    }
    controller_settings(&mut rows, s);
    rows.0
}

/// The rows of [`scenario_settings`], being written.
struct Settings(Vec<(String, String, String)>);

impl Settings {
    fn row(&mut self, part: &str, setting: &str, value: String) {
        self.0.push((part.into(), setting.into(), value));
    }
}

fn run_settings(rows: &mut Settings, s: &Scenario) {
    rows.row("run", "seed", s.seed.to_string());
    rows.row("run", "duration", format_seconds(s.duration));
    rows.row("run", "step", format_seconds(s.step));
    rows.row("run", "start time (t = 0)", s.start_time.to_rfc3339());
    let model = match s.fidelity {
        crate::scenario::Fidelity::Request => "request (every request simulated)".into(),
        crate::scenario::Fidelity::Fluid { step } => {
            format!("fluid (whole counts every {})", format_seconds(step))
        }
    };
    rows.row("run", "traffic model", model);
}

fn trace_settings(rows: &mut Settings, t: &crate::trace::Trace) {
    rows.row(
        "trace",
        "rows, span",
        format!("{}, {}", t.times.len(), format_seconds(t.span())),
    );
    rows.row(
        "trace",
        "mean / peak rate",
        format!(
            "{} / {} requests/s",
            fmt_num(t.mean_rate()),
            fmt_num(t.peak_rate())
        ),
    );
}

fn workload_settings(rows: &mut Settings, w: &crate::scenario::Workload) {
    rows.row("workload", "kind", format!("{:?}", w.kind).to_lowercase());
    rows.row("workload", "service time", w.service_time.describe());
    rows.row(
        "workload",
        "CPU per request",
        format!("{} CPU-seconds", fmt_num(w.cpu_per_request)),
    );
    rows.row("workload", "concurrency per pod", w.concurrency.to_string());
    rows.row(
        "workload",
        "client timeout",
        w.timeout.map_or("none".into(), format_seconds),
    );
    if w.kind == crate::scenario::WorkloadKind::Http {
        rows.row("workload", "balancer", format!("{:?}", w.balancer));
    }
}

fn pod_settings(rows: &mut Settings, s: &Scenario) {
    let p = &s.pods;
    rows.row("pods", "initial replicas", p.replicas.to_string());
    let cores = |v: Option<f64>| v.map_or("none".into(), |c| format!("{}m", (c * 1000.0).round()));
    rows.row(
        "pods",
        "CPU request / limit",
        format!("{} / {}", cores(p.cpu_request), cores(p.cpu_limit)),
    );
    rows.row("pods", "startup", p.startup.describe());
    rows.row(
        "pods",
        "running → Ready",
        format_seconds(p.readiness.time_to_ready()),
    );
    rows.row(
        "pods",
        "termination grace / preStop",
        format!(
            "{} / {}",
            format_seconds(p.termination_grace),
            format_seconds(p.pre_stop)
        ),
    );
    let tp = WorldConfig::from_scenario(s).pod_throughput();
    if tp.is_finite() {
        rows.row(
            "pods",
            "nominal throughput per Ready pod",
            format!("{} requests/s", fmt_num(tp)),
        );
    }
}

fn hpa_settings(rows: &mut Settings, h: &crate::hpa::LoadedHpa) {
    let g = format!("HPA {}", h.name);
    rows.row(
        &g,
        "target",
        format!("{} {}", h.scale_target_ref.kind, h.scale_target_ref.name),
    );
    rows.row(
        &g,
        "min / max replicas",
        format!(
            "{} / {}",
            h.spec.min_replicas.unwrap_or(1),
            h.spec.max_replicas
        ),
    );
    for m in h.spec.effective_metrics() {
        let target = m.target().map_or(String::new(), |t| {
            let v = t
                .average_utilization
                .map(|u| format!("{u}%"))
                .or(t.average_value.map(|q| q.to_string()))
                .or(t.value.map(|q| q.to_string()))
                .unwrap_or_default();
            format!("{} {v}", t.target_type)
        });
        rows.row(
            &g,
            &format!("metric {} {}", m.type_name(), m.name()),
            target,
        );
    }
    rows.row(
        &g,
        "behavior",
        if h.spec.behavior.is_some() {
            "spec.behavior set (stabilization windows and policies)".into()
        } else {
            "none (legacy: scale-up at most max(2 × current, 4) per sync)".into()
        },
    );
}

fn scaled_object_settings(rows: &mut Settings, so: &crate::keda::ScaledObjectModel) {
    let g = format!("ScaledObject {}", so.name);
    rows.row(
        &g,
        "target",
        format!("{} {}", so.target.kind, so.target.name),
    );
    rows.row(
        &g,
        "min / max replicas",
        format!("{} / {}", so.min_replicas(), so.hpa_max_replicas()),
    );
    rows.row(
        &g,
        "polling interval / cooldown",
        format!(
            "{} / {}",
            format_seconds(so.polling_interval_s),
            format_seconds(so.cooldown_period_s)
        ),
    );
    for t in &so.triggers {
        rows.row(&g, &format!("trigger {}", t.index), t.display_name());
    }
}

fn scaled_job_settings(rows: &mut Settings, sj: &crate::keda::ScaledJobModel) {
    let g = format!("ScaledJob {}", sj.name);
    rows.row(
        &g,
        "min / max jobs",
        format!("{} / {}", sj.min_rc(), sj.max_rc()),
    );
    rows.row(
        &g,
        "polling interval",
        format_seconds(sj.polling_interval_s),
    );
    for t in &sj.triggers {
        rows.row(&g, &format!("trigger {}", t.index), t.display_name());
    }
}

fn controller_settings(rows: &mut Settings, s: &Scenario) {
    let c = &s.controller_manager;
    rows.row(
        "controller",
        "sync period / tolerance",
        format!("{} / {}", format_seconds(c.sync_period.0), c.tolerance),
    );
    rows.row(
        "controller",
        "downscale stabilization",
        format_seconds(c.downscale_stabilization.0),
    );
    rows.row(
        "controller",
        "CPU initialization period / initial readiness delay",
        format!(
            "{} / {}",
            format_seconds(c.cpu_initialization_period.0),
            format_seconds(c.initial_readiness_delay.0)
        ),
    );
    rows.row(
        "metrics",
        "metrics-server resolution",
        format_seconds(s.metrics_server_resolution),
    );
}

fn when(t: f64, time: &TimeLabels) -> String {
    let elapsed = format_elapsed(t, 3600.0, 1.0);
    match time {
        TimeLabels::Elapsed => elapsed,
        TimeLabels::Clock(start) => {
            let at = *start + chrono::Duration::milliseconds((t * 1000.0).round() as i64);
            format!("{elapsed} ({})", at.format("%H:%M:%S"))
        }
    }
}

/// The autoscaler decisions that changed the replicas or a condition, then any event kind this
/// page does not know (shown as its JSON). Which are listed was decided as the run logged them
/// (`crate::sim::DecisionLog`), so the events need not be kept.
fn decision_log(page: &mut Page, log: &DecisionLog, time: &TimeLabels) {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut times: Vec<String> = Vec::new();
    for listed in &log.listed {
        let e = &listed.event;
        let row = match e {
            LogEvent::Autoscaler(a) => decision_row(
                a.t,
                &a.autoscaler,
                &a.decision,
                &listed.changed_conditions,
                time,
            ),
            // Event kinds this page has no columns for (KEDA's polls, …): who, what and why
            // when the JSON says so, and the whole event folded underneath.
            other => generic_row(other, time),
        };
        times.push(format!("data-t=\"{}\"", data_number(e.time())));
        rows.push(row);
    }
    let (total, skipped) = (log.total, log.total - log.listed.len());
    if total == 0 {
        page.para("No autoscaler decision changed anything.", None);
        return;
    }
    page.para(
        "Only decisions that changed the replicas or a condition; every logged decision, with its \
         full inputs, is in events.jsonl.",
        Some("note"),
    );
    page.raw(&format!(
        "<p class=\"note\" id=\"log-filter\">{} decisions listed.</p>",
        rows.len()
    ));
    page.table_with_row_attrs(
        "log",
        &[
            "time".into(),
            "autoscaler".into(),
            "metrics (current / target → proposal)".into(),
            "replicas".into(),
            "raw".into(),
            "stabilized".into(),
            "limited by".into(),
            "reason".into(),
        ],
        &rows,
        &[4],
        &times,
    );
    if skipped > 0 {
        page.para(
            &format!(
                "{skipped} more decisions are not shown (the first {MAX_DECISION_ROWS} are); see events.jsonl."
            ),
            Some("note"),
        );
    }
}

fn generic_row(event: &LogEvent, time: &TimeLabels) -> Vec<String> {
    let v = serde_json::to_value(event).unwrap_or_default();
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let who = [text("type"), text("kind"), text("autoscaler")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    // A `reason` at the top level or one level down.
    let reason = v
        .get("reason")
        .and_then(|r| r.as_str())
        .or_else(|| {
            v.as_object()?
                .values()
                .find_map(|c| c.get("reason").and_then(|r| r.as_str()))
        })
        .unwrap_or("");
    let json = serde_json::to_string(&v).unwrap_or_default();
    let blank = String::new;
    vec![
        escape(&when(event.time(), time), Html),
        escape(&who, Html),
        blank(),
        blank(),
        blank(),
        blank(),
        blank(),
        format!(
            "{}<details><summary class=\"small\">event</summary><code>{}</code></details>",
            escape(reason, Html),
            escape(&json, Html)
        ),
    ]
}

fn decision_row(
    t: f64,
    autoscaler: &str,
    d: &Decision,
    changed: &[String],
    time: &TimeLabels,
) -> Vec<String> {
    let metrics: Vec<String> = d
        .metrics
        .iter()
        .map(|m| {
            let tail = match (&m.error, m.proposal) {
                (Some(e), _) => format!(" — {e}"),
                (None, Some(p)) => format!(" → {p}"),
                (None, None) => String::new(),
            };
            escape(
                &format!(
                    "{} {}: {} / {}{tail}",
                    m.metric_type, m.name, m.current, m.target
                ),
                Html,
            )
        })
        .collect();
    let replicas = match d.failed_rescale_to {
        Some(to) => format!("{} → {to} (write failed)", d.current_replicas),
        None if d.desired_replicas != d.current_replicas => {
            format!("{} → {}", d.current_replicas, d.desired_replicas)
        }
        None => d.current_replicas.to_string(),
    };
    let stabilized = match &d.stabilization {
        Some(s) => match &s.window {
            Some(w) if s.to != s.from => format!("{} (held by {w})", s.to),
            _ => s.to.to_string(),
        },
        None => "–".into(),
    };
    let mut reason = escape(&d.reason.to_string(), Html);
    if !changed.is_empty() {
        reason.push_str(&format!(
            "<br/><span class=\"small\">{}</span>",
            escape(&changed.join("; "), Html)
        ));
    }
    vec![
        escape(&when(t, time), Html),
        escape(autoscaler, Html),
        metrics.join("<br/>"),
        escape(&replicas, Html),
        d.proposal.map_or("–".into(), |p| p.to_string()),
        escape(&stabilized, Html),
        escape(&d.limited_by().unwrap_or_else(|| "–".into()), Html),
        reason,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>", Html),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{1}b", Html), "a\u{FFFD}b");
    }

    #[test]
    fn inline_svg_drops_the_namespace_url() {
        let s = inline_svg(
            "<svg width=\"1\" height=\"1\" viewBox=\"0 0 1 1\" xmlns=\"http://www.w3.org/2000/svg\">\n</svg>",
            "a <chart>",
        );
        assert!(!s.contains("http"));
        assert!(s.contains("aria-label=\"a &lt;chart&gt;\""));
    }
}
