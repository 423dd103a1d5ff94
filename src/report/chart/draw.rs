//! Drawing a figure with plotters: the title, then each [`Panel`] stacked on the shared time
//! axis, with its legend in a column to the right of the plot (never over the data).
//!
//! plotters draws the frames, grids, tick labels and captions; the data are drawn here in pixel
//! space from the per-pixel-column reduction of [`super::downsample`], so a figure costs
//! O(pixels) whatever the number of rows, and polylines are simplified (repeated and collinear
//! pixels dropped) to keep SVGs small.

use super::ChartOptions;
use super::downsample::{Columns, Shape, bars, downsample, pixel, polylines};
use super::panels::{Dash, Layer, LegendEntry, Mark, NumFormat, Panel, Rgb, YAxis, fmt_seconds};
use super::timeaxis::TimeLabels;
use crate::text::label_number as fmt_num;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

/// Width of the legend column right of each plot.
pub const LEGEND_WIDTH: u32 = 280;
/// Room for the y tick labels and title.
const Y_LABEL_AREA: u32 = 86;
/// Room for the right axis, when a panel has one.
const RIGHT_LABEL_AREA: u32 = 80;
/// Height of the figure's title block.
pub(crate) const TITLE_HEIGHT: u32 = 66;
/// Extra height under the last panel for the time axis title.
pub(crate) const AXIS_TITLE_HEIGHT: u32 = 28;
/// The font family every text uses; registered with the embedded DejaVu Sans faces.
pub(crate) const FONT: &str = "sans-serif";

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Pixel columns the plots get for a figure `width` wide (same for every panel).
pub(crate) fn plot_width(width: u32) -> u32 {
    width
        .saturating_sub(LEGEND_WIDTH + Y_LABEL_AREA + RIGHT_LABEL_AREA + 8)
        .max(100)
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// How lines wider than a pixel are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stroke {
    /// As the backend strokes them (SVG: `stroke-width`, which viewers render exactly).
    Native,
    /// As 1-pixel lines repeated over a square brush. plotters' bitmap backend fills wide lines
    /// as polygons with the even-odd rule, so a path that doubles back on itself — every pixel
    /// column's min/max extent does — would cancel out and leave gaps.
    Brush,
}

/// Draw the whole figure onto `root`, the time axis spanning `[x0, x1]` seconds.
pub(crate) fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[Panel<'_>],
    opts: &ChartOptions,
    (x0, x1): (f64, f64),
    stroke: Stroke,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (title, mut rest) = root.split_vertically(TITLE_HEIGHT);
    title.draw(&Text::new(
        opts.title.clone(),
        (16, 12),
        (FONT, 26).into_font().style(FontStyle::Bold).color(&BLACK),
    ))?;
    title.draw(&Text::new(
        opts.subtitle.clone(),
        (16, 42),
        (FONT, 15).into_font().color(&RGBColor(90, 90, 90)),
    ))?;
    for (i, p) in panels.iter().enumerate() {
        let last = i + 1 == panels.len();
        let h = p.height + if last { AXIS_TITLE_HEIGHT } else { 0 };
        let (area, below) = rest.split_vertically(h);
        draw_panel(&area, p, opts, (x0, x1), last, stroke)?;
        rest = below;
    }
    Ok(())
}

/// Total height of a figure with these panels.
pub(crate) fn figure_height(panels: &[Panel<'_>]) -> u32 {
    TITLE_HEIGHT + panels.iter().map(|p| p.height).sum::<u32>() + AXIS_TITLE_HEIGHT + 8
}

struct XAxis<'o> {
    x0: f64,
    x1: f64,
    labels: &'o TimeLabels,
    ticks: Vec<f64>,
    spacing: f64,
    last: bool,
    stroke: Stroke,
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel<'_>,
    opts: &ChartOptions,
    (x0, x1): (f64, f64),
    last: bool,
    stroke: Stroke,
) -> DrawResult<DB> {
    let (w, _) = area.dim_in_pixel();
    let (chart_area, legend_area) = area.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    let max_ticks = (plot_width(w) / 90).max(2) as usize;
    let x = XAxis {
        x0,
        x1,
        labels: &opts.time,
        ticks: opts.time.ticks(x0, x1, max_ticks),
        spacing: TimeLabels::spacing(x1 - x0, max_ticks),
        last,
        stroke,
    };
    let mut b = ChartBuilder::on(&chart_area);
    b.caption(&p.title, (FONT, 17).into_font().style(FontStyle::Bold))
        .margin_top(8)
        .margin_left(8)
        // Every panel keeps room for a right axis, so the plots share one time axis exactly.
        .margin_right(if p.right.is_some() {
            0
        } else {
            RIGHT_LABEL_AREA
        })
        .margin_bottom(4)
        .x_label_area_size(if last { 26 + AXIS_TITLE_HEIGHT } else { 26 })
        .y_label_area_size(Y_LABEL_AREA);
    if p.right.is_some() {
        b.right_y_label_area_size(RIGHT_LABEL_AREA);
    }
    // Axis titles run along the plot's height: shorten what would overflow it.
    let (_, h) = area.dim_in_pixel();
    let room = h as i32 - 40 - if last { 26 + AXIS_TITLE_HEIGHT } else { 26 } as i32;
    let desc_font = (FONT, 14).into_font().into_text_style(area);
    let descs = AxisTitles {
        left: fit(area, &p.y.desc, &desc_font, room),
        right: p
            .right
            .as_ref()
            .map(|r| fit(area, &r.desc, &desc_font, room))
            .unwrap_or_default(),
    };
    let chart =
        b.build_cartesian_2d(AxisSpec::linear(x0, x1, x.ticks.clone()), AxisSpec::y(&p.y))?;
    finish(chart, p, &x, &descs)?;
    draw_legend(&legend_area, &p.legend, stroke)
}

/// A panel's y-axis titles, shortened to fit.
struct AxisTitles {
    left: String,
    right: String,
}

/// `text`, shortened with an ellipsis if it is wider than `room` pixels in `font`.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle<'_>,
    room: i32,
) -> String {
    let wide = |t: &str| {
        area.estimate_text_size(t, font)
            .is_ok_and(|(w, _)| w as i32 > room)
    };
    if !wide(text) {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let t: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if !wide(&t) {
            return t;
        }
    }
    "…".into()
}

/// An axis as plotters sees it: linear or logarithmic, with tick positions chosen here
/// (round clock or elapsed times on x, 1–2–5 steps on y) rather than by plotters.
#[derive(Debug, Clone)]
pub(crate) struct AxisSpec {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

impl AxisSpec {
    fn linear(lo: f64, hi: f64, ticks: Vec<f64>) -> AxisSpec {
        AxisSpec {
            lo,
            hi: if hi > lo { hi } else { lo + 1.0 },
            log: false,
            ticks,
        }
    }

    fn y(axis: &YAxis) -> AxisSpec {
        let (lo, hi) = axis.range;
        if axis.log {
            let lo = lo.max(1e-12);
            let hi = hi.max(lo * 10.0);
            AxisSpec {
                lo,
                hi,
                log: true,
                ticks: log_ticks(lo, hi),
            }
        } else {
            AxisSpec::linear(lo, hi, linear_ticks(lo, hi, 6))
        }
    }

    /// Position of `v` along the axis, 0 at `lo` and 1 at `hi`.
    fn fraction(&self, v: f64) -> f64 {
        if self.log {
            (v.max(self.lo).ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

impl Ranged for AxisSpec {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = self.fraction(*value);
        limit.0 + ((limit.1 - limit.0) as f64 * f + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Grid lines and labels at the ticks only (no light lines in between).
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Round ticks (1, 2 or 5 × 10ⁿ apart), at most `max` of them, in `[lo, hi]`.
pub(crate) fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || span.is_infinite() {
        return vec![lo];
    }
    let raw = span / max.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= max as f64)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Ticks at 1, 2 and 5 × 10ⁿ in `[lo, hi]` (only powers of ten when that gives too many).
pub(crate) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let pick = |ms: &[f64]| -> Vec<f64> {
        let mut out = Vec::new();
        let mut p = 10f64.powf(lo.log10().floor());
        while p <= hi * 1.000_001 {
            for m in ms {
                let v = m * p;
                if v >= lo * 0.999_999 && v <= hi * 1.000_001 {
                    out.push(v);
                }
            }
            p *= 10.0;
        }
        out
    };
    let fine = pick(&[1.0, 2.0, 5.0]);
    if fine.len() <= 9 { fine } else { pick(&[1.0]) }
}

fn finish<DB: DrawingBackend>(
    chart: ChartContext<'_, DB, Cartesian2d<AxisSpec, AxisSpec>>,
    p: &Panel<'_>,
    x: &XAxis<'_>,
    titles: &AxisTitles,
) -> DrawResult<DB> {
    match &p.right {
        Some(r) => {
            let xs = AxisSpec::linear(x.x0, x.x1, Vec::new());
            let mut dual = chart.set_secondary_coord(xs, AxisSpec::y(r));
            mesh(&mut dual, p, x, &titles.left)?;
            let fmt = number_format(r);
            dual.configure_secondary_axes()
                .y_desc(titles.right.clone())
                .y_labels(6)
                .y_label_formatter(&fmt)
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .draw()?;
            draw_layers(&dual, p, x)
        }
        None => {
            let mut chart = chart;
            mesh(&mut chart, p, x, &titles.left)?;
            draw_layers(&chart, p, x)
        }
    }
}

fn number_format(axis: &YAxis) -> impl Fn(&f64) -> String + use<> {
    let format = axis.format;
    move |v: &f64| match format {
        NumFormat::Plain => fmt_num(*v),
        NumFormat::Seconds => fmt_seconds(*v),
        NumFormat::SecondsIn(unit) => fmt_num(*v / unit.seconds()),
    }
}

fn mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<AxisSpec, AxisSpec>>,
    p: &Panel<'_>,
    x: &XAxis<'_>,
    y_title: &str,
) -> DrawResult<DB> {
    let span = x.x1 - x.x0;
    let xfmt = |t: &f64| x.labels.format(*t, span, x.spacing);
    let yfmt = number_format(&p.y);
    let mut m = chart.configure_mesh();
    m.x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .y_desc(y_title.to_string())
        .y_labels(6)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .bold_line_style(RGBColor(222, 222, 222))
        .light_line_style(RGBColor(244, 244, 244));
    if x.last {
        m.x_desc(x.labels.title(span));
    }
    m.draw()
}

fn style(colour: Rgb, width: u32) -> ShapeStyle {
    ShapeStyle {
        color: rgb(colour).to_rgba(),
        filled: false,
        stroke_width: width,
    }
}

fn draw_layers<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, Cartesian2d<AxisSpec, AxisSpec>>,
    p: &Panel<'_>,
    x: &XAxis<'_>,
) -> DrawResult<DB> {
    let area = chart.plotting_area().strip_coord_spec();
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (w, h) = (xr.end - xr.start, yr.end - yr.start);
    if w < 2 || h < 2 {
        return Ok(());
    }
    let cols = Columns::new(x.x0, x.x1, w as usize);
    let (lo, hi) = p.y.range;
    let left = |v: f64| chart.backend_coord(&(x.x0, v.clamp(lo, hi))).1 - yr.start;
    let right_axis = p.right.as_ref().map(AxisSpec::y);
    let right = |v: f64| {
        let f = right_axis
            .as_ref()
            .map_or(0.0, |a| a.fraction(v).clamp(0.0, 1.0));
        ((1.0 - f) * (h - 1) as f64).round() as i32
    };
    let px = |t: f64| pixel(t, x.x0, x.x1, w);
    for layer in &p.layers {
        match layer {
            Layer::Shade {
                intervals,
                colour,
                alpha,
            } => {
                let fill = rgb(*colour).mix(*alpha).filled();
                for &(a, b) in intervals {
                    let (a, b) = (px(a), px(b).max(px(a) + 1));
                    area.draw(&Rectangle::new([(a, 0), (b, h - 1)], fill))?;
                }
            }
            Layer::HLine { y, colour, dash } => {
                let y = left(*y);
                draw_path(
                    &area,
                    vec![(0, y), (w - 1, y)],
                    style(*colour, 2),
                    *dash,
                    x.stroke,
                )?;
            }
            Layer::Bars { data, colour } => {
                let buckets = downsample(data.time, &data.values, &cols, data.spacing);
                let base = left(lo.max(0.0));
                let mut rects: Vec<(i32, i32, i32)> = Vec::new();
                for (a, b, v) in bars(&buckets, &cols, data.step) {
                    let (a, b, top) = (px(a), px(b).max(px(a) + 1), left(v));
                    match rects.last_mut() {
                        Some(r) if r.2 == top && r.1 >= a => r.1 = r.1.max(b),
                        _ => rects.push((a, b, top)),
                    }
                }
                let fill = rgb(*colour).filled();
                for (a, b, top) in rects {
                    area.draw(&Rectangle::new([(a, top.min(base - 1)), (b, base)], fill))?;
                }
            }
            Layer::Series {
                data,
                shape,
                width,
                dash,
                colour,
                axis,
            } => {
                let buckets = downsample(data.time, &data.values, &cols, data.spacing);
                for line in polylines(&buckets, &cols, *shape, data.step) {
                    let pts: Vec<(i32, i32)> = line
                        .iter()
                        .map(|&(t, v)| {
                            let y = match axis {
                                super::panels::Axis::Left => left(v),
                                super::panels::Axis::Right => right(v),
                            };
                            (px(t), y)
                        })
                        .collect();
                    let mut pts = simplify(pts);
                    if pts.len() == 1 && *shape == Shape::Line {
                        let (a, b) = pts[0];
                        pts.push((a + 1, b));
                    }
                    draw_path(&area, pts, style(*colour, *width), *dash, x.stroke)?;
                }
            }
        }
    }
    Ok(())
}

/// Drop repeated pixels and the middle of straight horizontal or vertical runs.
pub(crate) fn simplify(pts: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    fn between(a: i32, b: i32, c: i32) -> bool {
        (a <= b && b <= c) || (a >= b && b >= c)
    }
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(pts.len());
    for p in pts {
        if out.last() == Some(&p) {
            continue;
        }
        if let [.., a, b] = out[..] {
            let vertical = a.0 == b.0 && b.0 == p.0 && between(a.1, b.1, p.1);
            let horizontal = a.1 == b.1 && b.1 == p.1 && between(a.0, b.0, p.0);
            if vertical || horizontal {
                *out.last_mut().expect("two points") = p;
                continue;
            }
        }
        out.push(p);
    }
    out
}

/// Split a pixel polyline into the drawn pieces of a dash `pattern` (drawn and skipped lengths
/// in pixels, alternating), the pattern running on along the whole path.
fn dashes(pts: &[(i32, i32)], pattern: &[f64]) -> Vec<Vec<(i32, i32)>> {
    let mut out: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut cur: Vec<(i32, i32)> = Vec::new();
    let period: f64 = pattern.iter().sum();
    if pattern.len() < 2 || period <= 0.0 {
        return vec![pts.to_vec()];
    }
    // Where `phase` (distance modulo the period) falls: (index in the pattern, length left).
    let locate = |phase: f64| {
        let mut start = 0.0;
        for (k, len) in pattern.iter().enumerate() {
            if phase < start + len {
                return (k, start + len - phase);
            }
            start += len;
        }
        (0, pattern[0])
    };
    let mut pos = 0.0f64; // distance along the path
    for seg in pts.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            continue;
        }
        let at = |d: f64| {
            (
                (a.0 as f64 + dx * d / len).round() as i32,
                (a.1 as f64 + dy * d / len).round() as i32,
            )
        };
        let mut d = 0.0;
        while d < len {
            let (k, left) = locate(pos % period);
            let run = left.min(len - d);
            if k % 2 == 0 {
                if cur.is_empty() {
                    cur.push(at(d));
                }
                cur.push(at(d + run));
            } else if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            d += run;
            pos += run;
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

fn draw_path<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pts: Vec<(i32, i32)>,
    style: ShapeStyle,
    dash: Dash,
    stroke: Stroke,
) -> DrawResult<DB> {
    if pts.len() < 2 {
        return Ok(());
    }
    let pieces = if dash == Dash::Solid {
        vec![pts]
    } else {
        dashes(&pts, dash.pattern())
    };
    let w = style.stroke_width as i32;
    for piece in pieces {
        if stroke == Stroke::Native || w <= 1 {
            area.draw(&PathElement::new(piece, style))?;
            continue;
        }
        let thin = ShapeStyle {
            stroke_width: 1,
            ..style
        };
        let (lo, hi) = (-(w - 1) / 2, w / 2);
        for dx in lo..=hi {
            for dy in lo..=hi {
                let moved: Vec<(i32, i32)> = piece.iter().map(|&(x, y)| (x + dx, y + dy)).collect();
                area.draw(&PathElement::new(moved, thin))?;
            }
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    stroke: Stroke,
) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    let font = (FONT, 13).into_font().color(&BLACK);
    let note = (FONT, 12).into_font().color(&RGBColor(90, 90, 90));
    let mut y = 40i32;
    for (i, e) in entries.iter().enumerate() {
        if y > h as i32 - 12 {
            break;
        }
        let more = i + 1 < entries.len() && y + 20 > h as i32 - 12;
        let c = rgb(e.colour);
        let text_x = match e.mark {
            Mark::Line { width, dash } => {
                draw_path(
                    area,
                    vec![(8, y), (38, y)],
                    style(e.colour, width),
                    dash,
                    stroke,
                )?;
                46
            }
            Mark::Area { alpha } => {
                area.draw(&Rectangle::new(
                    [(8, y - 6), (38, y + 6)],
                    c.mix(alpha).filled(),
                ))?;
                46
            }
            Mark::Text => 8,
        };
        let style = if e.mark == Mark::Text { &note } else { &font };
        let room = w as i32 - text_x - 6;
        let mut label = if more {
            format!("{} …", e.label)
        } else {
            e.label.clone()
        };
        while label.chars().count() > 2
            && area
                .estimate_text_size(&label, style)
                .is_ok_and(|(tw, _)| tw as i32 > room)
        {
            let n = label.chars().count();
            label = label.chars().take(n - 2).collect::<String>() + "…";
        }
        area.draw(&Text::new(label, (text_x, y - 8), style.clone()))?;
        y += 20;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify_keeps_extremes_and_corners() {
        let pts = vec![
            (0, 5),
            (1, 5),
            (2, 5),
            (2, 5),
            (2, 0),
            (2, 9),
            (2, 5),
            (3, 5),
        ];
        assert_eq!(
            simplify(pts),
            vec![(0, 5), (2, 5), (2, 0), (2, 9), (2, 5), (3, 5)]
        );
        let steps = vec![(0, 1), (0, 3), (0, 8), (4, 8)];
        assert_eq!(simplify(steps), vec![(0, 1), (0, 8), (4, 8)]);
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            linear_ticks(0.0, 1620.0, 6),
            vec![0.0, 500.0, 1000.0, 1500.0]
        );
        assert_eq!(linear_ticks(0.0, 4.32, 6), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        let t = log_ticks(0.02, 15.0);
        assert_eq!(t.len(), 9);
        assert!((t[0] - 0.02).abs() < 1e-12 && (t[8] - 10.0).abs() < 1e-9);
        assert_eq!(log_ticks(1e-3, 1e3).len(), 7);
    }

    #[test]
    fn dashes_alternate() {
        let d = dashes(&[(0, 0), (30, 0)], Dash::Dashed.pattern());
        assert_eq!(d[0], vec![(0, 0), (8, 0)]);
        assert_eq!(d[1], vec![(13, 0), (21, 0)]);
        assert_eq!(d[2], vec![(26, 0), (30, 0)]);
        // Dash-dot: 12 on, 4 off, 3 on, 4 off, across a corner.
        let d = dashes(&[(0, 0), (20, 0), (20, 20)], Dash::LongShort.pattern());
        assert_eq!(d[0], vec![(0, 0), (12, 0)]);
        assert_eq!(d[1], vec![(16, 0), (19, 0)]);
        assert_eq!(d[2], vec![(20, 3), (20, 15)]);
        assert_eq!(dashes(&[(0, 0), (5, 0)], &[]), vec![vec![(0, 0), (5, 0)]]);
    }
}
