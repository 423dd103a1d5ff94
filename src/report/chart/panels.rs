//! What each panel of a figure shows: its series, axes, units and legend, for one run
//! ([`run_panels`]) or several overlaid ([`compare_panels`]). Pure data: nothing here draws
//! (that is [`super::draw`]), so the choice of what a person sees reads in one place.

use super::ChartOptions;
use super::data::{OBSERVED_LATENCY_P99, OBSERVED_REPLICAS, RunData};
use super::downsample::{Shape, finite_max, intervals, positive_min};
use crate::sim::metric_columns::{fallback_column, metric_column};
use crate::text::decimals as trim;
use crate::text::label_number as fmt_num;
use std::borrow::Cow;

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

pub(crate) const BLUE: Rgb = Rgb(31, 119, 180);
pub(crate) const GREEN: Rgb = Rgb(44, 160, 44);
pub(crate) const ORANGE: Rgb = Rgb(255, 127, 14);
pub(crate) const RED: Rgb = Rgb(214, 39, 40);
pub(crate) const PURPLE: Rgb = Rgb(148, 103, 189);
pub(crate) const BROWN: Rgb = Rgb(140, 86, 75);
pub(crate) const CYAN: Rgb = Rgb(23, 190, 207);
pub(crate) const GREY: Rgb = Rgb(127, 127, 127);
pub(crate) const BLACK: Rgb = Rgb(34, 34, 34);
pub(crate) const LIGHT_BLUE: Rgb = Rgb(107, 174, 214);
pub(crate) const DARK_BLUE: Rgb = Rgb(8, 81, 156);
/// Recorded series a backtest compares the run with (`observed:`), drawn over the simulated ones.
pub(crate) const PINK: Rgb = Rgb(227, 119, 194);

/// One colour per run when runs are compared (Tableau 10).
pub(crate) const RUN_COLOURS: [Rgb; 10] = [
    BLUE,
    ORANGE,
    GREEN,
    RED,
    PURPLE,
    BROWN,
    PINK,
    GREY,
    Rgb(188, 189, 34),
    CYAN,
];

/// A column to draw: row `r` covers `[time[r], time[r] + step)`; values are expected every
/// `spacing` seconds (see [`RunData::spacing`]).
#[derive(Debug, Clone)]
pub(crate) struct SeriesRef<'a> {
    pub(crate) time: &'a [f64],
    pub(crate) values: Cow<'a, [f64]>,
    pub(crate) step: f64,
    pub(crate) spacing: f64,
}

/// Which y axis a layer is drawn against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    Left,
    Right,
}

/// How a line is stroked: solid, or a repeating pattern of drawn and skipped pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dash {
    Solid,
    /// 8 on, 5 off (targets, SLO and timeout lines, desired replicas).
    Dashed,
    /// 2 on, 3 off.
    Dotted,
    /// 12 on, 4 off, 3 on, 4 off: a long dash and a short one (dash-dot).
    LongShort,
}

impl Dash {
    /// The pattern's drawn and skipped lengths in pixels, alternating (empty when solid).
    pub(crate) fn pattern(self) -> &'static [f64] {
        match self {
            Dash::Solid => &[],
            Dash::Dashed => &[8.0, 5.0],
            Dash::Dotted => &[2.0, 3.0],
            Dash::LongShort => &[12.0, 4.0, 3.0, 4.0],
        }
    }
}

/// One dash pattern per run when runs are compared, so a run drawn over another (or over an
/// identical one) leaves the first visible in its gaps.
pub(crate) const RUN_DASHES: [Dash; 4] = [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::LongShort];

/// One thing drawn in a panel, back to front in the order given.
#[derive(Debug, Clone)]
pub(crate) enum Layer<'a> {
    /// A line (or steps) through every pixel column's extent.
    Series {
        data: SeriesRef<'a>,
        shape: Shape,
        width: u32,
        dash: Dash,
        colour: Rgb,
        axis: Axis,
    },
    /// Bars from zero, one per pixel column (its largest value).
    Bars { data: SeriesRef<'a>, colour: Rgb },
    /// Full-height shading over time intervals.
    Shade {
        intervals: Vec<(f64, f64)>,
        colour: Rgb,
        alpha: f64,
    },
    /// A horizontal reference line (SLO, timeout).
    HLine { y: f64, colour: Rgb, dash: Dash },
}

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mark {
    Line {
        width: u32,
        dash: Dash,
    },
    Area {
        alpha: f64,
    },
    /// Plain text (a note under the entries).
    Text,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LegendEntry {
    pub(crate) label: String,
    pub(crate) colour: Rgb,
    pub(crate) mark: Mark,
}

impl LegendEntry {
    fn line(label: impl Into<String>, colour: Rgb, width: u32) -> Self {
        LegendEntry {
            label: label.into(),
            colour,
            mark: Mark::Line {
                width,
                dash: Dash::Solid,
            },
        }
    }
    fn dashed(label: impl Into<String>, colour: Rgb) -> Self {
        LegendEntry {
            label: label.into(),
            colour,
            mark: Mark::Line {
                width: 2,
                dash: Dash::Dashed,
            },
        }
    }
    fn area(label: impl Into<String>, colour: Rgb, alpha: f64) -> Self {
        LegendEntry {
            label: label.into(),
            colour,
            mark: Mark::Area { alpha },
        }
    }
    fn note(label: impl Into<String>) -> Self {
        LegendEntry {
            label: label.into(),
            colour: GREY,
            mark: Mark::Text,
        }
    }
}

/// How axis numbers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumFormat {
    /// `1.5k`, `12`, `0.25`.
    Plain,
    /// `50 ms`, `2 s`, `1.5 min`: each tick in its own unit (for log axes, which span decades).
    Seconds,
    /// Seconds shown in one unit for the whole axis (named in its title): `0`, `30`, `60`.
    SecondsIn(TimeUnit),
}

/// The one unit of a linear time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Ms,
    S,
    Min,
    H,
}

impl TimeUnit {
    /// The unit that reads best up to `hi` seconds (the same thresholds as [`fmt_seconds`]).
    pub(crate) fn for_max(hi: f64) -> TimeUnit {
        if hi < 1.0 {
            TimeUnit::Ms
        } else if hi < 600.0 {
            TimeUnit::S
        } else if hi < 3.0 * 3600.0 {
            TimeUnit::Min
        } else {
            TimeUnit::H
        }
    }

    pub(crate) fn seconds(self) -> f64 {
        match self {
            TimeUnit::Ms => 1e-3,
            TimeUnit::S => 1.0,
            TimeUnit::Min => 60.0,
            TimeUnit::H => 3600.0,
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
            TimeUnit::Min => "min",
            TimeUnit::H => "h",
        }
    }
}

/// A y axis: range, scale, title and number format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YAxis {
    pub(crate) desc: String,
    pub(crate) range: (f64, f64),
    pub(crate) log: bool,
    pub(crate) format: NumFormat,
}

/// One panel of the figure.
#[derive(Debug, Clone)]
pub(crate) struct Panel<'a> {
    pub(crate) title: String,
    pub(crate) height: u32,
    pub(crate) y: YAxis,
    pub(crate) right: Option<YAxis>,
    pub(crate) layers: Vec<Layer<'a>>,
    pub(crate) legend: Vec<LegendEntry>,
}

fn series<'a>(run: &'a RunData, values: Cow<'a, [f64]>) -> SeriesRef<'a> {
    SeriesRef {
        time: &run.time,
        values,
        step: run.step,
        spacing: run.spacing,
    }
}

/// Whether column `name` exists and is ever above zero (optional mechanisms draw only then).
fn nonzero(run: &RunData, name: &str) -> bool {
    let optional = ["nodes_ready", "unschedulable_pods", "rejected", "retries"];
    !optional.contains(&name) || run.column(name).is_some_and(|c| c.iter().any(|&v| v > 0.0))
}

fn col<'a>(run: &'a RunData, name: &str) -> Option<SeriesRef<'a>> {
    run.column(name).map(|c| series(run, Cow::Borrowed(c)))
}

fn line<'a>(data: SeriesRef<'a>, shape: Shape, width: u32, colour: Rgb) -> Layer<'a> {
    Layer::Series {
        data,
        shape,
        width,
        dash: Dash::Solid,
        colour,
        axis: Axis::Left,
    }
}

/// `[0, max × 1.08]` over the layers drawn against `axis`, at least `[0, floor]`.
fn linear_range(layers: &[Layer<'_>], axis: Axis, floor: f64) -> (f64, f64) {
    let mut max = floor;
    for l in layers {
        let m = match l {
            Layer::Series { data, axis: a, .. } if *a == axis => finite_max(&data.values),
            Layer::Bars { data, .. } if axis == Axis::Left => finite_max(&data.values),
            Layer::HLine { y, .. } if axis == Axis::Left => Some(*y),
            _ => None,
        };
        if let Some(m) = m {
            max = max.max(m);
        }
    }
    (0.0, max * 1.08)
}

fn y(desc: impl Into<String>, range: (f64, f64)) -> YAxis {
    YAxis {
        desc: desc.into(),
        range,
        log: false,
        format: NumFormat::Plain,
    }
}

/// A log axis spanning the latencies and reference lines, from 1 ms at least.
fn latency_axis(values: &[&[f64]], refs: &[f64]) -> YAxis {
    let lo = values
        .iter()
        .filter_map(|v| positive_min(v))
        .chain(refs.iter().copied())
        .fold(f64::INFINITY, f64::min);
    let hi = values
        .iter()
        .filter_map(|v| finite_max(v))
        .chain(refs.iter().copied())
        .fold(0.0, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > 0.0 {
        ((lo / 1.5).max(1e-3), (hi * 1.5).max(lo * 10.0))
    } else {
        (1e-3, 1.0)
    };
    YAxis {
        desc: "seconds (log scale)".into(),
        range: (lo, hi.max(lo * 10.0)),
        log: true,
        format: NumFormat::Seconds,
    }
}

/// Requests/s one Ready pod serves, as recorded (capacity ÷ ready pods at the first row with both).
fn pod_throughput(run: &RunData) -> Option<f64> {
    let cap = run.column("capacity_rps")?;
    let ready = run.column("ready_pods")?;
    cap.iter()
        .zip(ready)
        .find(|(c, r)| c.is_finite() && **r > 0.0)
        .map(|(c, r)| c / r)
}

/// A metric panel's y-axis title: the metric's unit (its name is the panel's title).
fn metric_desc(opts: &ChartOptions, name: &str) -> String {
    match opts.metric_units.iter().find(|(n, _)| n == name) {
        Some((_, unit)) => unit.clone(),
        None => "value".to_string(),
    }
}

fn reference_lines<'a>(opts: &ChartOptions, legend: &mut Vec<LegendEntry>) -> Vec<Layer<'a>> {
    let mut layers = Vec::new();
    if let Some(slo) = opts.slo_latency_p99 {
        layers.push(Layer::HLine {
            y: slo,
            colour: RED,
            dash: Dash::Dashed,
        });
        legend.push(LegendEntry::dashed(
            format!("SLO p99 {}", fmt_duration(slo)),
            RED,
        ));
    }
    if let Some(t) = opts.timeout {
        layers.push(Layer::HLine {
            y: t,
            colour: GREY,
            dash: Dash::Dashed,
        });
        legend.push(LegendEntry::dashed(
            format!("client timeout {}", fmt_duration(t)),
            GREY,
        ));
    }
    layers
}

/// A trace on its own (`scalesim trace show --plot`): its arrival rate, then one panel per extra
/// column (queue length, lag, …).
pub(crate) fn trace_panels<'a>(run: &'a RunData) -> Vec<Panel<'a>> {
    let mut panels = Vec::new();
    let colours = [PURPLE, ORANGE, BROWN, CYAN, GREEN];
    for (i, name) in run.column_names().into_iter().enumerate() {
        let Some(c) = col(run, &name) else { continue };
        let (title, desc, colour) = if name == "arrival_rate" {
            ("Arrival rate".to_string(), "requests/s".to_string(), BLUE)
        } else {
            (
                format!("Column {name}"),
                name.clone(),
                colours[i % colours.len()],
            )
        };
        let layers = vec![line(c, Shape::Step, 2, colour)];
        panels.push(Panel {
            title,
            height: 280,
            y: y(desc, linear_range(&layers, Axis::Left, 1.0)),
            right: None,
            layers,
            legend: vec![LegendEntry::line(name, colour, 2)],
        });
    }
    panels
}

/// The panels of one run: load vs capacity, replicas, backlog, latency, errors, and each
/// autoscaler metric.
pub(crate) fn run_panels<'a>(run: &'a RunData, opts: &ChartOptions, pixel: f64) -> Vec<Panel<'a>> {
    let mut panels = vec![
        load_panel(run, pixel),
        replicas_panel(run, pixel),
        backlog_panel(run),
        latency_panel(run, opts),
        losses_panel(run),
    ];
    for name in run.metric_names() {
        panels.push(metric_panel(run, opts, &name, pixel));
    }
    panels
}

/// The windows during which a control-plane component was down (`faults:`, columns
/// `fault_<component>`), shaded in a colour and labelled per component.
fn fault_shades<'a>(run: &RunData, pixel: f64) -> (Vec<Layer<'a>>, Vec<LegendEntry>) {
    use crate::settings::faults::Component;
    let (mut layers, mut legend) = (Vec::new(), Vec::new());
    for c in Component::ALL {
        let Some(flag) = run.column(&c.column()) else {
            continue;
        };
        let on = intervals(&run.time, run.step, |r| flag[r] > 0.5, pixel);
        if on.is_empty() {
            continue;
        }
        let (colour, label) = fault_style(c);
        layers.push(Layer::Shade {
            intervals: on,
            colour,
            alpha: 0.15,
        });
        legend.push(LegendEntry::area(label, colour, 0.15));
    }
    (layers, legend)
}

/// The shade and legend label of a control-plane outage.
fn fault_style(c: crate::settings::faults::Component) -> (Rgb, &'static str) {
    use crate::settings::faults::Component;
    match c {
        Component::KedaMetricsApiserver => (PURPLE, "KEDA metrics adapter down"),
        Component::KedaOperator => (BROWN, "KEDA operator down (no leader)"),
        Component::MetricsServer => (CYAN, "metrics-server down"),
        Component::ControllerManager => (PINK, "controller manager restarting"),
    }
}

/// Load against ready capacity, overload shaded.
fn load_panel<'a>(run: &'a RunData, pixel: f64) -> Panel<'a> {
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    if let (Some(rate), Some(cap)) = (run.column("arrival_rate"), run.column("capacity_rps")) {
        let over = intervals(&run.time, run.step, |r| rate[r] > cap[r], pixel);
        if !over.is_empty() {
            layers.push(Layer::Shade {
                intervals: over,
                colour: RED,
                alpha: 0.13,
            });
        }
    }
    if let Some(c) = col(run, "capacity_rps") {
        layers.push(line(c, Shape::Step, 2, GREEN));
        let per_pod = pod_throughput(run)
            .map(|p| format!(" × {} req/s", fmt_num(p)))
            .unwrap_or_default();
        // The long part on a note line of its own: the legend column is narrow.
        legend.push(LegendEntry::line("ready capacity", GREEN, 2));
        legend.push(LegendEntry::note(format!("= Ready pods{per_pod}")));
    }
    if let Some(c) = col(run, "arrival_rate") {
        layers.push(line(c, Shape::Step, 2, BLUE));
        legend.push(LegendEntry::line("arrival rate (trace)", BLUE, 2));
    }
    legend.push(LegendEntry::area("overload: load > capacity", RED, 0.13));
    Panel {
        title: "Load and ready capacity".into(),
        height: 280,
        y: y("requests/s", linear_range(&layers, Axis::Left, 1.0)),
        right: None,
        layers,
        legend,
    }
}

/// A step series of the replicas panel: its column, legend label, colour, width and dash.
struct ReplicaLine {
    column: &'static str,
    label: &'static str,
    colour: Rgb,
    width: u32,
    dash: Dash,
}

/// The replicas panel's series, back to front (the legend lists them front to back).
const REPLICA_LINES: [ReplicaLine; 7] = [
    ReplicaLine {
        column: "nodes_ready",
        label: "Ready nodes",
        colour: GREY,
        width: 1,
        dash: Dash::Dashed,
    },
    ReplicaLine {
        column: "unschedulable_pods",
        label: "Pending: fits on no node",
        colour: RED,
        width: 2,
        dash: Dash::Solid,
    },
    ReplicaLine {
        column: "terminating_pods",
        label: "terminating pods",
        colour: PURPLE,
        width: 1,
        dash: Dash::Solid,
    },
    ReplicaLine {
        column: "starting_pods",
        label: "starting pods (not Ready)",
        colour: CYAN,
        width: 1,
        dash: Dash::Solid,
    },
    ReplicaLine {
        column: "ready_pods",
        label: "Ready pods",
        colour: GREEN,
        width: 2,
        dash: Dash::Solid,
    },
    ReplicaLine {
        column: "spec_replicas",
        label: "spec.replicas",
        colour: BLACK,
        width: 3,
        dash: Dash::Solid,
    },
    ReplicaLine {
        column: "desired_replicas",
        label: "desired (autoscaler)",
        colour: ORANGE,
        width: 2,
        dash: Dash::Dashed,
    },
];

/// Replicas as steps (and nodes, when the run has them), with the observed replicas of a
/// backtest drawn over them.
fn replicas_panel<'a>(run: &'a RunData, pixel: f64) -> Panel<'a> {
    let (mut layers, faults) = fault_shades(run, pixel);
    let mut legend = Vec::new();
    for l in &REPLICA_LINES {
        if let Some(c) = col(run, l.column).filter(|_| nonzero(run, l.column)) {
            layers.push(Layer::Series {
                data: c,
                shape: Shape::Step,
                width: l.width,
                dash: l.dash,
                colour: l.colour,
                axis: Axis::Left,
            });
            legend.push(match l.dash {
                Dash::Dashed => LegendEntry::dashed(l.label, l.colour),
                _ => LegendEntry::line(l.label, l.colour, l.width),
            });
        }
    }
    if let Some(c) = col(run, OBSERVED_REPLICAS) {
        layers.push(line(c, Shape::Step, 2, PINK));
        legend.push(LegendEntry::line("observed replicas", PINK, 2));
    }
    legend.reverse();
    legend.extend(faults);
    // With nodes the panel counts both, and says so.
    let (title, unit) = if nonzero(run, "nodes_ready") {
        ("Replicas and nodes", "pods, nodes")
    } else {
        ("Replicas", "pods")
    };
    Panel {
        title: title.into(),
        height: 280,
        y: y(unit, linear_range(&layers, Axis::Left, 4.0)),
        right: None,
        layers,
        legend,
    }
}

/// Backlog, and the age of its oldest request on the right axis.
fn backlog_panel<'a>(run: &'a RunData) -> Panel<'a> {
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    if let Some(c) = col(run, "backlog") {
        layers.push(line(c, Shape::Step, 2, PURPLE));
        legend.push(LegendEntry::line("requests waiting", PURPLE, 2));
    }
    let mut right = None;
    if let Some(c) = col(run, "backlog_age") {
        layers.push(Layer::Series {
            data: c,
            shape: Shape::Line,
            width: 1,
            dash: Dash::Solid,
            colour: BROWN,
            axis: Axis::Right,
        });
        legend.push(LegendEntry::line(
            "oldest waiting (age, right axis)",
            BROWN,
            1,
        ));
        let range = linear_range(&layers, Axis::Right, 1.0);
        let unit = TimeUnit::for_max(range.1);
        right = Some(YAxis {
            desc: format!("age of oldest waiting ({})", unit.symbol()),
            range,
            log: false,
            format: NumFormat::SecondsIn(unit),
        });
    }
    Panel {
        title: "Queue backlog".into(),
        height: 240,
        y: y("requests waiting", linear_range(&layers, Axis::Left, 1.0)),
        right,
        layers,
        legend,
    }
}

/// The SLO and client timeout, seconds: what a latency axis must also span.
fn latency_refs(opts: &ChartOptions) -> Vec<f64> {
    opts.slo_latency_p99
        .into_iter()
        .chain(opts.timeout)
        .collect()
}

/// Latency per step against the SLO, with the observed p99 of a backtest drawn over it.
fn latency_panel<'a>(run: &'a RunData, opts: &ChartOptions) -> Panel<'a> {
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    let mut vals: Vec<&[f64]> = Vec::new();
    for (name, label, colour, width) in [
        ("latency_p50_s", "p50 latency", LIGHT_BLUE, 1),
        ("latency_p99_s", "p99 latency", DARK_BLUE, 1),
        (OBSERVED_LATENCY_P99, "observed p99", PINK, 2),
    ] {
        if let Some(c) = run.column(name) {
            vals.push(c);
            layers.push(line(
                series(run, Cow::Borrowed(c)),
                Shape::Line,
                width,
                colour,
            ));
            legend.push(LegendEntry::line(label, colour, 2));
        }
    }
    layers.extend(reference_lines(opts, &mut legend));
    legend.push(LegendEntry::note("per step, served requests"));
    Panel {
        title: "Latency (arrival to completion)".into(),
        height: 280,
        y: latency_axis(&vals, &latency_refs(opts)),
        right: None,
        layers,
        legend,
    }
}

/// Dropped and timed-out requests, as bars (timed out stacked on dropped); with a queue cap or
/// client retries, every 503 answer and every retry as lines over the bars.
fn losses_panel<'a>(run: &'a RunData) -> Panel<'a> {
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    if let (Some(d), Some(t)) = (run.column("dropped"), run.column("timed_out")) {
        let total: Vec<f64> = d.iter().zip(t).map(|(a, b)| (a + b) / run.step).collect();
        layers.push(Layer::Bars {
            data: series(run, Cow::Owned(total)),
            colour: ORANGE,
        });
        legend.push(LegendEntry::area(
            "timed out (on top of dropped)",
            ORANGE,
            1.0,
        ));
    }
    if let Some(d) = run.per_second("dropped") {
        layers.push(Layer::Bars {
            data: series(run, Cow::Owned(d)),
            colour: RED,
        });
        legend.push(LegendEntry::area("dropped", RED, 1.0));
    }
    let mut title = "Dropped and timed-out requests";
    for (name, label, colour) in [
        ("rejected", "503 answers (every attempt)", PURPLE),
        ("retries", "client retries", BLACK),
    ] {
        if let Some(c) = run.per_second(name).filter(|_| nonzero(run, name)) {
            layers.push(line(series(run, Cow::Owned(c)), Shape::Step, 1, colour));
            legend.push(LegendEntry::line(label, colour, 2));
            title = "Dropped, timed-out, rejected and retried requests";
        }
    }
    Panel {
        title: title.into(),
        height: 170,
        y: y("requests/s", linear_range(&layers, Axis::Left, 1.0)),
        right: None,
        layers,
        legend,
    }
}

/// One autoscaler metric: as the autoscaler saw it, its target, and the true value; shaded
/// where reading it failed and where KEDA's fallback stood in for it.
fn metric_panel<'a>(run: &'a RunData, opts: &ChartOptions, name: &str, pixel: f64) -> Panel<'a> {
    let (mut layers, mut legend) = fault_shades(run, pixel);
    for (column, colour, label) in [
        (metric_column(name, "failed"), GREY, "metric read failed"),
        (fallback_column(name), ORANGE, "KEDA fallback active"),
    ] {
        let Some(flag) = run.column(&column) else {
            continue;
        };
        let on = intervals(&run.time, run.step, |r| flag[r] > 0.5, pixel);
        if !on.is_empty() {
            layers.push(Layer::Shade {
                intervals: on,
                colour,
                alpha: 0.18,
            });
            legend.push(LegendEntry::area(label, colour, 0.18));
        }
    }
    if let Some(c) = col(run, &metric_column(name, "true")) {
        layers.push(line(c, Shape::Line, 1, GREY));
        legend.push(LegendEntry::line("true value (no delay or cap)", GREY, 1));
    }
    if let Some(c) = col(run, &metric_column(name, "seen")) {
        layers.push(line(c, Shape::Step, 2, BLUE));
        legend.push(LegendEntry::line("as the autoscaler saw it", BLUE, 2));
    }
    if let Some(c) = col(run, &metric_column(name, "target")) {
        layers.push(Layer::Series {
            data: c,
            shape: Shape::Step,
            width: 2,
            dash: Dash::Dashed,
            colour: RED,
            axis: Axis::Left,
        });
        legend.push(LegendEntry::dashed("target", RED));
    }
    Panel {
        title: format!("Autoscaler metric: {name}"),
        height: 240,
        y: y(
            metric_desc(opts, name),
            linear_range(&layers, Axis::Left, 1.0),
        ),
        right: None,
        layers,
        legend,
    }
}

/// `c` mixed with white (`amount` 0: `c`, 1: white).
pub(crate) fn pale(c: Rgb, amount: f64) -> Rgb {
    let mix = |v: u8| (v as f64 + (255.0 - v as f64) * amount).round() as u8;
    Rgb(mix(c.0), mix(c.1), mix(c.2))
}

/// The same panels with several runs overlaid: one colour and one dash pattern per run
/// ([`RUN_COLOURS`], [`RUN_DASHES`]), so a run drawn over an identical one still shows the
/// first in its gaps. Within a run, line widths tell the series apart (noted in the legend).
pub(crate) fn compare_panels<'a>(runs: &'a [RunData], opts: &ChartOptions) -> Vec<Panel<'a>> {
    let o = Overlay { runs };
    let mut panels = vec![
        o.linear_panel(
            "Load and ready capacity",
            280,
            "requests/s",
            &[
                ("arrival_rate", Shape::Step, 1),
                ("capacity_rps", Shape::Step, 3),
            ],
            1.0,
            &["thick: ready capacity", "thin: arrival rate"],
        ),
        o.linear_panel(
            "Replicas",
            280,
            "pods",
            &[
                ("ready_pods", Shape::Step, 1),
                ("spec_replicas", Shape::Step, 3),
            ],
            4.0,
            &["thick: spec.replicas", "thin: Ready pods"],
        ),
        o.linear_panel(
            "Queue backlog",
            240,
            "requests waiting",
            &[("backlog", Shape::Step, 2)],
            1.0,
            &[],
        ),
        o.latency_panel(opts),
        o.losses_panel(),
    ];
    for name in o.metric_names() {
        panels.push(o.metric_panel(opts, &name));
    }
    panels
}

/// Several runs drawn over each other: run `i` in its colour and dash pattern.
struct Overlay<'a> {
    runs: &'a [RunData],
}

impl<'a> Overlay<'a> {
    fn colour(i: usize) -> Rgb {
        RUN_COLOURS[i % RUN_COLOURS.len()]
    }

    fn dash(i: usize) -> Dash {
        RUN_DASHES[i % RUN_DASHES.len()]
    }

    /// Run `i`'s line.
    fn line(data: SeriesRef<'a>, shape: Shape, width: u32, i: usize) -> Layer<'a> {
        Layer::Series {
            data,
            shape,
            width,
            dash: Self::dash(i),
            colour: Self::colour(i),
            axis: Axis::Left,
        }
    }

    /// One legend entry per run, then the notes.
    fn legend(&self, notes: &[&str]) -> Vec<LegendEntry> {
        let mut legend: Vec<LegendEntry> = (self.runs.iter().enumerate())
            .map(|(i, r)| LegendEntry {
                label: r.label.clone(),
                colour: Self::colour(i),
                mark: Mark::Line {
                    width: 2,
                    dash: Self::dash(i),
                },
            })
            .collect();
        legend.extend(notes.iter().map(|n| LegendEntry::note(*n)));
        legend
    }

    /// A panel of columns `(name, shape, width)` of every run on a linear axis from zero.
    fn linear_panel(
        &self,
        title: &str,
        height: u32,
        unit: &str,
        specs: &[(&str, Shape, u32)],
        floor: f64,
        notes: &[&str],
    ) -> Panel<'a> {
        let mut layers = Vec::new();
        for &(name, shape, width) in specs {
            for (i, r) in self.runs.iter().enumerate() {
                if let Some(c) = col(r, name) {
                    layers.push(Self::line(c, shape, width, i));
                }
            }
        }
        Panel {
            title: title.into(),
            height,
            y: y(unit, linear_range(&layers, Axis::Left, floor)),
            right: None,
            layers,
            legend: self.legend(notes),
        }
    }

    /// Each run's p99 latency per step, against the SLO and client timeout.
    fn latency_panel(&self, opts: &ChartOptions) -> Panel<'a> {
        let mut layers = Vec::new();
        let mut legend = self.legend(&[]);
        let mut vals: Vec<&[f64]> = Vec::new();
        for (i, r) in self.runs.iter().enumerate() {
            if let Some(c) = r.column("latency_p99_s") {
                vals.push(c);
                layers.push(Self::line(series(r, Cow::Borrowed(c)), Shape::Line, 2, i));
            }
        }
        layers.extend(reference_lines(opts, &mut legend));
        legend.push(LegendEntry::note("p99 per step"));
        Panel {
            title: "p99 latency".into(),
            height: 280,
            y: latency_axis(&vals, &latency_refs(opts)),
            right: None,
            layers,
            legend,
        }
    }

    /// Each run's dropped plus timed-out requests per second.
    fn losses_panel(&self) -> Panel<'a> {
        let mut layers = Vec::new();
        for (i, r) in self.runs.iter().enumerate() {
            if let (Some(d), Some(t)) = (r.column("dropped"), r.column("timed_out")) {
                let lost: Vec<f64> = d.iter().zip(t).map(|(a, b)| (a + b) / r.step).collect();
                layers.push(Self::line(series(r, Cow::Owned(lost)), Shape::Step, 2, i));
            }
        }
        Panel {
            title: "Dropped and timed-out requests".into(),
            height: 200,
            y: y("requests/s", linear_range(&layers, Axis::Left, 1.0)),
            right: None,
            layers,
            legend: self.legend(&["dropped + timed out"]),
        }
    }

    /// Every autoscaler metric any run recorded, in order of first appearance.
    fn metric_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for r in self.runs {
            for n in r.metric_names() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        names
    }

    /// One autoscaler metric of every run: targets first (behind), pale; then true values
    /// (thin), then what the HPA saw (thick).
    fn metric_panel(&self, opts: &ChartOptions, name: &str) -> Panel<'a> {
        let mut layers = Vec::new();
        for (i, r) in self.runs.iter().enumerate() {
            if let Some(c) = col(r, &metric_column(name, "target")) {
                layers.push(Layer::Series {
                    data: c,
                    shape: Shape::Step,
                    width: 3,
                    dash: Self::dash(i),
                    colour: pale(Self::colour(i), 0.55),
                    axis: Axis::Left,
                });
            }
        }
        for (suffix, shape, width) in [("true", Shape::Line, 1), ("seen", Shape::Step, 3)] {
            for (i, r) in self.runs.iter().enumerate() {
                if let Some(c) = col(r, &metric_column(name, suffix)) {
                    layers.push(Self::line(c, shape, width, i));
                }
            }
        }
        let notes = [
            "thick: as the autoscaler saw it",
            "thin: true value",
            "pale: target",
        ];
        Panel {
            title: format!("Autoscaler metric: {name}"),
            height: 240,
            y: y(
                metric_desc(opts, name),
                linear_range(&layers, Axis::Left, 1.0),
            ),
            right: None,
            layers,
            legend: self.legend(&notes),
        }
    }
}

/// Seconds for an axis: `ms` under one second, `s` under ten minutes, then `min`, `h`.
pub(crate) fn fmt_seconds(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a < 1.0 {
        format!("{} ms", trim(v * 1e3, 1))
    } else if a < 600.0 {
        format!("{} s", trim(v, 1))
    } else if a < 3.0 * 3600.0 {
        format!("{} min", trim(v / 60.0, 1))
    } else {
        format!("{} h", trim(v / 3600.0, 1))
    }
}

/// A duration for people: `500 ms`, `2.16 s`, `10 s`, `4 min 30 s`, `2 h`, `1 h 30 min`.
pub(crate) fn fmt_duration(s: f64) -> String {
    if !s.is_finite() {
        return format!("{s}");
    }
    let a = s.abs();
    let sign = if s < 0.0 { "-" } else { "" };
    if a == 0.0 {
        return "0 s".into();
    }
    if a < 1.0 {
        return format!("{sign}{} ms", trim(a * 1e3, 3));
    }
    if (a - a.round()).abs() > 1e-6 || a < 60.0 {
        return format!("{sign}{} s", trim(a, 3));
    }
    let secs = a.round() as u64;
    let (h, m, sec) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 {
        parts.push(format!("{sec} s"));
    }
    format!("{sign}{}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(2.16), "2.16 s");
        assert_eq!(fmt_duration(8.64), "8.64 s");
        assert_eq!(fmt_duration(1.0), "1 s");
        assert_eq!(fmt_duration(0.5), "500 ms");
        assert_eq!(fmt_duration(86_400.0), "24 h");
        assert_eq!(fmt_duration(270.0), "4 min 30 s");
        assert_eq!(fmt_duration(5_400.0), "1 h 30 min");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(350.0), "350");
        assert_eq!(fmt_num(12_500.0), "12.5k");
        assert_eq!(fmt_seconds(0.05), "50 ms");
        assert_eq!(fmt_seconds(10.0), "10 s");
        assert_eq!(fmt_seconds(900.0), "15 min");
    }
}
