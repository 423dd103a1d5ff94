//! The explorable part of `report.html`: the figure's series as compact JSON ([`figure_json`])
//! and the small hand-written script ([`SCRIPT`], `explore.js`) that draws them again with a
//! cursor readout across every panel, zoom to a dragged time range, and the decision log
//! filtered to that range (see docs/outputs.md, "Exploring the report"). The static SVG stays
//! in the page, so it reads without the script.
//!
//! The JSON holds no `<`, `>` or `&` (escaped as `\u003c`…), so it sits inside a `<script>`
//! element of a page that is also well-formed XML; numbers are written by
//! [`crate::text::decimals`], so the page is byte-identical between runs.

use super::chart::panels::{Axis, Layer, LegendEntry, Mark, NumFormat, Panel, Rgb, SeriesRef};
use super::chart::{Figure, TimeLabels};
use crate::text::decimals;
use std::fmt::Write;

/// A series is held with at most this many points; a longer one as the minimum and maximum of
/// each group of consecutive rows (so no spike is lost).
pub(crate) const MAX_POINTS: usize = 4000;

/// The script that makes the figure explorable; it reads the JSON of [`figure_json`].
pub(crate) const SCRIPT: &str = include_str!("explore.js");

/// The id of the `<script type="application/json">` element holding [`figure_json`].
pub(crate) const DATA_ID: &str = "scalesim-data";

/// The figure's panels, series, reference lines and shading as JSON.
pub(crate) fn figure_json(figure: &Figure<'_>, time: &TimeLabels) -> String {
    let (x0, x1) = figure.x_range();
    let mut out = format!("{{\"x0\":{},\"x1\":{}", num(x0), num(x1));
    if let TimeLabels::Clock(start) = time {
        let day = chrono::Timelike::num_seconds_from_midnight(&start.time());
        let _ = write!(
            out,
            ",\"clock\":{{\"start\":{day},\"zone\":{}}}",
            text(&start.format("UTC%:z").to_string())
        );
    }
    out.push_str(",\"panels\":[");
    for (i, p) in figure.panels().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        panel_json(&mut out, p);
    }
    out.push_str("]}");
    out
}

fn panel_json(out: &mut String, p: &Panel<'_>) {
    let _ = write!(
        out,
        "{{\"title\":{},\"unit\":{},\"log\":{},\"fmt\":{}",
        text(&p.title),
        text(&p.y.desc),
        p.y.log,
        text(fmt_name(p.y.format))
    );
    if let Some(r) = &p.right {
        let _ = write!(
            out,
            ",\"right\":{{\"unit\":{},\"fmt\":{}}}",
            text(&r.desc),
            text(fmt_name(r.format))
        );
    }
    let (mut series, mut refs, mut shades) = (Vec::new(), Vec::new(), Vec::new());
    for layer in &p.layers {
        match layer {
            Layer::Series {
                data,
                shape,
                colour,
                axis,
                dash,
                ..
            } => {
                let label = label_of(&p.legend, *colour, false);
                let step = matches!(shape, super::chart::downsample::Shape::Step);
                let right = *axis == Axis::Right;
                let dashed = !dash.pattern().is_empty();
                series.push(series_json(data, &label, *colour, step, right, dashed));
            }
            Layer::Bars { data, colour } => {
                let label = label_of(&p.legend, *colour, true);
                series.push(series_json(data, &label, *colour, true, false, false));
            }
            Layer::HLine { y, colour, .. } => refs.push(format!(
                "{{\"y\":{},\"colour\":\"{}\",\"label\":{}}}",
                num(*y),
                hex(*colour),
                text(&label_of(&p.legend, *colour, false))
            )),
            Layer::Shade {
                intervals, colour, ..
            } => shades.extend(
                intervals
                    .iter()
                    .map(|(a, b)| format!("[{},{},\"{}\"]", num(*a), num(*b), hex(*colour))),
            ),
        }
    }
    let _ = write!(
        out,
        ",\"series\":[{}],\"refs\":[{}],\"shades\":[{}]}}",
        series.join(","),
        refs.join(","),
        shades.join(",")
    );
}

/// The legend's name for what is drawn in `colour` (an area for bars, a line otherwise).
fn label_of(legend: &[LegendEntry], colour: Rgb, area: bool) -> String {
    legend
        .iter()
        .find(|e| {
            e.colour == colour
                && match e.mark {
                    Mark::Area { .. } => area,
                    Mark::Line { .. } => !area,
                    Mark::Text => false,
                }
        })
        .map_or_else(|| "series".to_string(), |e| e.label.clone())
}

fn fmt_name(f: NumFormat) -> &'static str {
    match f {
        NumFormat::Plain => "n",
        NumFormat::Seconds | NumFormat::SecondsIn(_) => "s",
    }
}

fn series_json(
    data: &SeriesRef<'_>,
    label: &str,
    colour: Rgb,
    step: bool,
    right: bool,
    dashed: bool,
) -> String {
    let mut out = format!(
        "{{\"label\":{},\"colour\":\"{}\",\"step\":{step},\"right\":{right},\"dashed\":{dashed}",
        text(label),
        hex(colour)
    );
    let rows = data.values.len().min(data.time.len());
    let group = rows.div_ceil(MAX_POINTS).max(1);
    let _ = write!(out, ",\"dt\":{}", num(data.step * group as f64));
    let t0 = data.time.first().copied().unwrap_or(0.0);
    let _ = write!(out, ",\"t0\":{}", num(t0));
    let uniform = data
        .time
        .iter()
        .enumerate()
        .all(|(r, t)| (t - (t0 + r as f64 * data.step)).abs() < 1e-6);
    if !uniform {
        let times: Vec<String> = data.time.iter().step_by(group).map(|&t| num(t)).collect();
        let _ = write!(out, ",\"t\":[{}]", times.join(","));
    }
    let chunks = data.values[..rows].chunks(group);
    if group == 1 {
        let v: Vec<String> = data.values[..rows].iter().map(|&v| num(v)).collect();
        let _ = write!(out, ",\"v\":[{}]}}", v.join(","));
    } else {
        let (lo, hi): (Vec<String>, Vec<String>) = chunks
            .map(|c| {
                let finite = c.iter().copied().filter(|v| v.is_finite());
                let lo = finite.clone().fold(f64::INFINITY, f64::min);
                let hi = finite.fold(f64::NEG_INFINITY, f64::max);
                (num(lo), num(hi))
            })
            .unzip();
        let _ = write!(out, ",\"lo\":[{}],\"v\":[{}]}}", lo.join(","), hi.join(","));
    }
    out
}

/// A number for the page's data: at most 6 decimals (as `timeseries.csv`), `null` when undefined.
fn num(v: f64) -> String {
    if v.is_finite() {
        decimals(v, 6)
    } else {
        "null".into()
    }
}

/// A JSON string that holds no `<`, `>` or `&`.
fn text(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_holds_no_markup_characters() {
        assert_eq!(text("a<b>&\"c\""), "\"a\\u003cb\\u003e\\u0026\\\"c\\\"\"");
    }

    #[test]
    fn numbers_are_trimmed_and_undefined_is_null() {
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(f64::NAN), "null");
        assert_eq!(num(12.0), "12");
    }

    #[test]
    fn the_script_holds_nothing_that_ends_its_element_or_cdata() {
        assert!(!SCRIPT.contains("</"));
        assert!(!SCRIPT.contains("]]>"));
    }
}
