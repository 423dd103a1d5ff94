//! Charts and the HTML report of a run (issue #3): the PNG decodes at the promised size and every
//! panel holds data, the SVG and the HTML are well-formed, the HTML references nothing outside
//! itself, and the same inputs give byte-identical files.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use scalesim::report::{self, chart};
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, RunResult, run};
use std::collections::HashSet;
use std::path::Path;

const SHIPPED: &str = "scenarios/checkout-spike.yaml";

fn shipped() -> (Scenario, RunResult) {
    let s = Scenario::load(Path::new(SHIPPED), &Overrides::default()).unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    (s, r)
}

/// Decode a PNG into (width, height, RGB bytes).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Parse as XML to the end: every tag closed and matched, every entity known. Returns the
/// element names met and every attribute (name, value).
fn parse_xml(text: &str) -> (Vec<String>, Vec<(String, String)>, String) {
    let mut reader = Reader::from_str(text);
    let mut elements = Vec::new();
    let mut attrs = Vec::new();
    let mut texts = String::new();
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                depth += 1;
                elements.push(e.name().as_ref().to_string());
                for a in e.attributes() {
                    let a = a.unwrap();
                    attrs.push((
                        a.key.as_ref().to_string(),
                        a.normalized_value(XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned(),
                    ));
                }
            }
            Ok(Event::Empty(e)) => {
                elements.push(e.name().as_ref().to_string());
                for a in e.attributes() {
                    let a = a.unwrap();
                    attrs.push((
                        a.key.as_ref().to_string(),
                        a.normalized_value(XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned(),
                    ));
                }
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => texts.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                let name = r.to_string();
                assert!(
                    ["amp", "lt", "gt", "quot", "apos"].contains(&name.as_str())
                        || name.starts_with('#'),
                    "unknown entity &{name};"
                );
            }
            Ok(_) => {}
            Err(e) => panic!("not well-formed at byte {}: {e}", reader.error_position()),
        }
    }
    assert_eq!(depth, 0, "unbalanced tags");
    (elements, attrs, texts)
}

fn assert_self_contained(html: &str) {
    let (elements, attrs, _) = parse_xml(html);
    // Two inline scripts: the figure's data and the explorer (src/report/explore.rs); `src`
    // is refused below.
    let scripts = elements
        .iter()
        .filter(|e| e.eq_ignore_ascii_case("script"))
        .count();
    assert!(scripts <= 2, "{scripts} scripts in the page");
    for banned in ["link", "img", "iframe", "object", "embed", "image", "use"] {
        assert!(
            !elements.iter().any(|e| e.eq_ignore_ascii_case(banned)),
            "<{banned}> in the page"
        );
    }
    for (k, v) in &attrs {
        let k = k.to_ascii_lowercase();
        assert!(
            !["src", "href", "xlink:href", "srcset", "action"].contains(&k.as_str()),
            "attribute {k}={v:?} refers to something"
        );
        assert!(!v.contains("http:") && !v.contains("https:"), "{k}={v:?}");
    }
    let lower = html.to_ascii_lowercase();
    for needle in [
        "http://",
        "https://",
        "@import",
        "url(",
        "<script src",
        "<link",
    ] {
        assert!(!lower.contains(needle), "{needle} in the page");
    }
}

#[test]
fn a_run_writes_charts_that_show_every_panel() {
    let (s, r) = shipped();
    let dir = tempfile::tempdir().unwrap();
    report::write_charts(dir.path(), &r, &s).unwrap();

    // PNG: at least 1200 px wide, and every panel has lines in several colours.
    let png = std::fs::read(dir.path().join("chart.png")).unwrap();
    let (w, h, px) = decode_png(&png);
    assert!(w >= 1200, "width {w}");
    let opts = report::chart_options(&r, &s);
    let data = chart::RunData::from_series(&s.name, &r.series);
    let figure = chart::Figure::run(&data, &opts);
    assert_eq!(figure.size(), (w, h));
    let bounds = figure.panel_bounds();
    let titles: Vec<&str> = bounds.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Load and ready capacity",
            "Replicas",
            "Queue backlog",
            "Latency (arrival to completion)",
            "Dropped and timed-out requests",
            "Autoscaler metric: cpu",
        ]
    );
    let plot_right = w - chart::draw::LEGEND_WIDTH;
    let mut all_colours = HashSet::new();
    for (title, top, bottom) in &bounds {
        let mut series_colours = HashSet::new();
        let (mut inked, mut non_white) = (0usize, 0usize);
        for y in *top..*bottom {
            for x in 100..plot_right {
                let i = ((y * w + x) * 3) as usize;
                let c = (px[i], px[i + 1], px[i + 2]);
                all_colours.insert(c);
                if c != (255, 255, 255) {
                    non_white += 1;
                }
                // Saturated pixels: data, not the grey grid or black text.
                let (mx, mn) = (c.0.max(c.1).max(c.2), c.0.min(c.1).min(c.2));
                if mx - mn > 60 {
                    inked += 1;
                    series_colours.insert(c);
                }
            }
        }
        let area = ((bottom - top) * (plot_right - 100)) as usize;
        assert!(inked > 200, "{title}: only {inked} coloured pixels");
        assert!(
            non_white * 50 > area,
            "{title}: {non_white} of {area} pixels drawn"
        );
        // Every panel but the errors one (this run drops nothing; it only times out) shows two
        // series or more.
        let want = if title.starts_with("Dropped") { 1 } else { 2 };
        assert!(
            series_colours.len() >= want,
            "{title}: {} series colours",
            series_colours.len()
        );
    }
    assert!(
        all_colours.len() >= 50,
        "{} colours in the plots",
        all_colours.len()
    );

    // SVG: well-formed, with the panel titles as text.
    let svg = std::fs::read_to_string(dir.path().join("chart.svg")).unwrap();
    let (elements, _, texts) = parse_xml(&svg);
    assert_eq!(elements.first().map(String::as_str), Some("svg"));
    assert!(texts.contains("Queue backlog") && texts.contains("time since start (h:mm)"));
    assert!(svg.len() < 2_000_000, "SVG of {} bytes", svg.len());

    // HTML: well-formed, self-contained, with the parts a person looks for.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_self_contained(&html);
    for needle in [
        "<h2>Scenario</h2>",
        "<h2>Summary</h2>",
        "<h2>Charts</h2>",
        "<h2>Autoscaler decisions</h2>",
        "<h2>Warnings</h2>",
        "<svg ",
        "requests arrived",
        "New size: 8; reason: cpu resource utilization (percentage of request) above target",
        "Service &quot;checkout&quot;: not modelled (ignored)",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
}

#[test]
fn same_inputs_give_byte_identical_charts_and_report() {
    let (s, r1) = shipped();
    let r2 = run(&s, &RunOptions::default()).unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    report::write_charts(a.path(), &r1, &s).unwrap();
    report::write_charts(b.path(), &r2, &s).unwrap();
    for f in ["chart.png", "chart.svg", "report.html"] {
        let (x, y) = (
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between two identical runs");
    }
}

#[test]
fn text_from_the_scenario_is_escaped() {
    let (mut s, r) = shipped();
    s.description = Some("p99 < 1s & \"no\" <script>alert(1)</script>".into());
    let html = {
        let dir = tempfile::tempdir().unwrap();
        report::write_charts(dir.path(), &r, &s).unwrap();
        std::fs::read_to_string(dir.path().join("report.html")).unwrap()
    };
    assert_self_contained(&html);
    assert!(html.contains("p99 &lt; 1s &amp; &quot;no&quot; &lt;script&gt;"));
}

#[test]
fn clock_time_when_the_scenario_sets_a_start_time() {
    let (mut s, r) = shipped();
    assert_eq!(
        report::chart_options(&r, &s).time,
        chart::TimeLabels::Elapsed,
        "the placeholder start time reads as elapsed time"
    );
    s.start_time = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:00:00+09:00").unwrap();
    let opts = report::chart_options(&r, &s);
    assert!(matches!(opts.time, chart::TimeLabels::Clock(_)));
    let svg = chart::Figure::run(&chart::RunData::from_series("x", &r.series), &opts)
        .svg()
        .unwrap();
    assert!(
        svg.contains(">\n08:10\n<") || svg.contains(">08:10<"),
        "no 08:10 tick"
    );
    assert!(svg.contains("clock time (UTC+09:00)"));
}

#[test]
fn an_slo_line_is_drawn_when_one_is_set() {
    let (s, r) = shipped();
    let mut opts = report::chart_options(&r, &s);
    opts.slo_latency_p99 = Some(0.5);
    let data = chart::RunData::from_series("x", &r.series);
    let svg = chart::Figure::run(&data, &opts).svg().unwrap();
    assert!(svg.contains("SLO p99 500 ms"));
}

fn from_yaml(yaml: &str) -> (Scenario, RunResult) {
    let s = Scenario::from_source(
        &scalesim::yaml::Source::from_string("edge.yaml", yaml),
        &Overrides::default(),
    )
    .unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    (s, r)
}

#[test]
fn odd_runs_still_chart_without_an_autoscaler_with_one_row_or_nothing_served() {
    for yaml in [
        // A queue workload, no autoscaler, no CPU limit.
        "name: q\nduration: 10m\ntrace: {generate: {kind: constant, rate: 20}}\n\
         workload: {kind: queue, service_time: {dist: constant, value: 200ms}, concurrency: 2}\n\
         pods: {replicas: 3}\n",
        // One row only.
        "name: one\nduration: 1s\ntrace: {generate: {kind: constant, rate: 5}}\n\
         workload: {kind: http, service_time: 10ms}\npods: {replicas: 1}\n",
        // No pods: nothing is ever served, every latency cell is empty.
        "name: none\nduration: 2m\nstep: 10s\ntrace: {generate: {kind: constant, rate: 5}}\n\
         workload: {kind: http, service_time: 10ms}\npods: {replicas: 0}\n",
    ] {
        let (s, r) = from_yaml(yaml);
        let dir = tempfile::tempdir().unwrap();
        report::write_charts(dir.path(), &r, &s).unwrap();
        let (w, _, _) = decode_png(&std::fs::read(dir.path().join("chart.png")).unwrap());
        assert!(w >= 1200);
        parse_xml(&std::fs::read_to_string(dir.path().join("chart.svg")).unwrap());
        assert_self_contained(&std::fs::read_to_string(dir.path().join("report.html")).unwrap());
    }
}

#[test]
fn a_one_step_spike_in_a_day_of_rows_reaches_the_top_of_its_panel() {
    let n = 86_400;
    let time: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut backlog = vec![0.0; n];
    backlog[51_234] = 1_000.0;
    let data = chart::RunData::from_columns("spike", time, 1.0, vec![("backlog".into(), backlog)]);
    let opts = chart::ChartOptions::default();
    let figure = chart::Figure::run(&data, &opts);
    let (w, _, px) = decode_png(&figure.png().unwrap());
    let (_, top, bottom) = figure
        .panel_bounds()
        .into_iter()
        .find(|b| b.0 == "Queue backlog")
        .unwrap();
    // The backlog line's purple, in the upper half of the panel: only the spike gets there.
    let purple = |x: u32, y: u32| {
        let i = ((y * w + x) * 3) as usize;
        (px[i], px[i + 1], px[i + 2]) == (148, 103, 189)
    };
    let mid = (top + bottom) / 2;
    let plot_right = w - chart::draw::LEGEND_WIDTH;
    let hits: Vec<(u32, u32)> = (top..mid)
        .flat_map(|y| (0..plot_right).map(move |x| (x, y)))
        .filter(|&(x, y)| purple(x, y))
        .collect();
    assert!(
        hits.len() >= 10,
        "the spike is not drawn: {} pixels",
        hits.len()
    );
    let xs: HashSet<u32> = hits.iter().map(|h| h.0).collect();
    assert!(xs.len() <= 3, "the spike spans {} pixel columns", xs.len());
    // And it is a continuous vertical stroke: every row between its top and the middle is hit.
    let x = *xs.iter().next().unwrap();
    let top_hit = hits.iter().filter(|h| h.0 == x).map(|h| h.1).min().unwrap();
    assert!((top_hit..mid).all(|y| xs.iter().any(|&x| purple(x, y))));
}

/// Run a shipped scenario and draw its charts: (well-formed chart.svg, report.html).
fn charts_of(scenario: &str) -> (String, String) {
    let s = Scenario::load(Path::new(scenario), &Overrides::default()).unwrap();
    let r = run(&s, &RunOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    report::write_charts(dir.path(), &r, &s).unwrap();
    let svg = std::fs::read_to_string(dir.path().join("chart.svg")).unwrap();
    parse_xml(&svg);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    (svg, html)
}

#[test]
fn keda_runs_chart_their_generated_hpa_and_list_keda_polls() {
    let (svg, html) = charts_of("scenarios/sqs-worker.yaml");
    assert!(svg.contains("Autoscaler metric: s0_aws_sqs_orders"));
    assert_self_contained(&html);
    // KEDA's polls have no columns of their own: who, why, and the event folded underneath.
    assert!(html.contains("<td>keda ScaledObject order-worker</td>"));
    assert!(html.contains("active: scale 0 → 1 (activation)<details>"));
}

#[test]
fn the_metric_panel_shades_failed_reads_and_keda_fallback() {
    let (svg, _) = charts_of("scenarios/prometheus-outage.yaml");
    assert!(svg.contains("KEDA fallback active"), "fallback legend");
    assert!(svg.contains("metric read failed"), "failed-read legend");
    // checkout-spike has no KEDA: no fallback legend.
    let (svg, _) = charts_of(SHIPPED);
    assert!(!svg.contains("KEDA fallback active"));
}

#[test]
fn trace_show_plots_a_trace_and_its_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "time,rps,queue_length\n0,10,0\n60,50,5\n120,20,40\n").unwrap();
    let png = dir.path().join("t.png");
    let out = assert_cmd::Command::cargo_bin("scalesim")
        .unwrap()
        .args([
            "trace",
            "show",
            &csv.to_string_lossy(),
            "--plot",
            &png.to_string_lossy(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (w, h, pixels) = decode_png(&std::fs::read(&png).unwrap());
    assert!(w >= 1200 && h > 400, "{w}×{h}: two panels expected");
    let inked = pixels
        .chunks(3)
        .filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200)
        .count();
    assert!(inked > 1000, "the chart is blank");
    let svg = dir.path().join("t.svg");
    let out = assert_cmd::Command::cargo_bin("scalesim")
        .unwrap()
        .args([
            "trace",
            "show",
            &csv.to_string_lossy(),
            "--plot",
            &svg.to_string_lossy(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&svg)
            .unwrap()
            .contains("queue_length")
    );
}

/// The pixel columns of the plots (left of the legend and the right axis) in which `hit` holds
/// for some pixel between `top` and `bottom`.
fn columns_where(
    (w, px): (u32, &[u8]),
    (top, bottom): (u32, u32),
    hit: impl Fn((u8, u8, u8)) -> bool,
) -> Vec<u32> {
    (0..w - chart::draw::LEGEND_WIDTH)
        .filter(|&x| {
            (top..bottom).any(|y| {
                let i = ((y * w + x) * 3) as usize;
                hit((px[i], px[i + 1], px[i + 2]))
            })
        })
        .collect()
}

#[test]
fn a_flow_level_day_at_one_second_steps_has_no_blank_latency_columns() {
    // diurnal-day at 1 s steps: the flow-level model computes latency every 3 s, so two rows
    // in three have no latency; the line must still run through every pixel column.
    let overrides = Overrides {
        patches: vec![scalesim::scenario::patch::Patch {
            target: scalesim::scenario::patch::PatchTarget::Scenario,
            path: "step".into(),
            value: "1s".into(),
        }],
        ..Overrides::default()
    };
    let s = Scenario::load(Path::new("scenarios/diurnal-day.yaml"), &overrides).unwrap();
    assert_eq!(s.fluid_step(), Some(3.0));
    let r = run(&s, &RunOptions::default()).unwrap();
    assert!(r.series.latency_p99[..3].iter().any(|v| v.is_nan()));
    let dir = tempfile::tempdir().unwrap();
    report::write_charts(dir.path(), &r, &s).unwrap();
    let (w, _, px) = decode_png(&std::fs::read(dir.path().join("chart.png")).unwrap());
    let opts = report::chart_options(&r, &s);
    let data = chart::RunData::from_series(&s.name, &r.series).with_spacing(s.fluid_step());
    let (_, top, bottom) = chart::Figure::run(&data, &opts)
        .panel_bounds()
        .into_iter()
        .find(|b| b.0.starts_with("Latency"))
        .unwrap();
    // The p99 line's dark blue.
    let p99 = columns_where((w, &px), (top, bottom), |c| c == (8, 81, 156));
    let (first, last) = (p99[0], *p99.last().unwrap());
    assert!(last - first > 900, "p99 drawn over {first}..{last} only");
    let blank: Vec<u32> = (first..=last).filter(|x| !p99.contains(x)).collect();
    assert!(blank.is_empty(), "blank p99 columns: {blank:?}");
}

#[test]
fn a_metric_axis_reads_its_unit_and_a_long_one_is_shortened_to_the_panel() {
    let n = 600;
    let time: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let name = "s0_cron_Asia_Tokyo_3011xxx_3013xxx";
    let columns = vec![
        (format!("metric_{name}_seen"), vec![1.0; n]),
        (format!("metric_{name}_target"), vec![1.0; n]),
        ("metric_cpu_seen".to_string(), vec![50.0; n]),
    ];
    let data = chart::RunData::from_columns("x", time, 1.0, columns);
    let long = "desired replicas per replica, ".repeat(6);
    let opts = chart::ChartOptions {
        metric_units: vec![
            (name.to_string(), long.clone()),
            ("cpu".to_string(), "% of CPU request".to_string()),
        ],
        ..chart::ChartOptions::default()
    };
    let svg = chart::Figure::run(&data, &opts).svg().unwrap();
    let (_, _, texts) = parse_xml(&svg);
    // The metric's name is the panel's title, not its axis title.
    assert!(texts.contains(&format!("Autoscaler metric: {name}")));
    assert!(texts.contains("% of CPU request"));
    assert!(!texts.contains(&format!("{name} (")));
    // 180 characters would overflow the 240-pixel panel: cut with an ellipsis.
    assert!(!texts.contains(long.trim_end()));
    let at = svg.find("desired replicas").expect("the axis title");
    let cut = svg[at..].split('<').next().unwrap().trim_end();
    assert!(cut.ends_with('…') && cut.len() > 20, "{cut:?}");
}
