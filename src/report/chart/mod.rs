//! Charts of a run (or of several runs overlaid): one figure of stacked panels on a shared time
//! axis — load against ready capacity with overload shaded, replicas as steps, queue backlog and
//! its age, latency against the SLO, dropped and timed-out requests, and each autoscaler metric
//! as the autoscaler saw it against its target and its true value — as PNG and SVG.
//!
//! Text is rendered from the DejaVu Sans faces embedded by the `dejavu` crate (via plotters'
//! `ab_glyph` feature), so charts need no system font or library. A 24 h run at 1 s resolution
//! renders in well under a second: every column is reduced to its min/max per pixel column
//! first ([`downsample`]), which never drops a spike.
//!
//! Module map: [`data`] (what the charts read), [`downsample`], [`timeaxis`], [`panels`] (what
//! each panel shows), [`draw`] (plotters).

pub(crate) mod data;
pub(crate) mod downsample;
pub mod draw;
pub(crate) mod panels;
pub(crate) mod timeaxis;

pub use data::RunData;
pub(crate) use data::{ChartRows, OBSERVED_LATENCY_P99, OBSERVED_REPLICAS, ObservedColumn};
pub use timeaxis::TimeLabels;

use crate::error::Error;
use panels::Panel;
use plotters::prelude::*;
use std::sync::Once;

/// Everything about a figure that is not the data.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// Figure width in pixels (the PNG's width; at least 1200 reads well).
    pub width: u32,
    pub title: String,
    /// A line under the title (seed, duration, start time…).
    pub subtitle: String,
    pub time: TimeLabels,
    /// A p99 latency objective, seconds, drawn as a line on the latency panel.
    pub slo_latency_p99: Option<f64>,
    /// The client timeout, seconds, drawn as a reference on the latency panel.
    pub timeout: Option<f64>,
    /// Unit of each autoscaler metric by its column label (`cpu` → `% of CPU request`).
    pub metric_units: Vec<(String, String)>,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            width: 1400,
            title: String::new(),
            subtitle: String::new(),
            time: TimeLabels::Elapsed,
            slo_latency_p99: None,
            timeout: None,
            metric_units: Vec::new(),
        }
    }
}

impl ChartOptions {
    /// These options with the time axis, reference lines and metric units of a run's
    /// [`ChartInfo`] (as `summary.json` records them).
    pub(crate) fn with_info(mut self, info: &crate::sim::ChartInfo) -> ChartOptions {
        self.time = match info
            .start_time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        {
            Some(t) => TimeLabels::Clock(t),
            None => TimeLabels::Elapsed,
        };
        self.timeout = info.timeout_s;
        self.slo_latency_p99 = info.slo_latency_p99_s;
        self.metric_units = info
            .metric_units
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self
    }
}

/// Register the embedded fonts under the one family name the charts use. Idempotent.
pub(crate) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are the `dejavu` crate's own TTF files: parsing them cannot fail.
        let _ =
            plotters::style::register_font(draw::FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(draw::FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A figure ready to render: its panels and time range.
pub struct Figure<'a> {
    panels: Vec<Panel<'a>>,
    x0: f64,
    x1: f64,
    opts: &'a ChartOptions,
}

impl<'a> Figure<'a> {
    /// The panels of one run.
    pub fn run(run: &'a RunData, opts: &'a ChartOptions) -> Figure<'a> {
        let x1 = run.end().max(1.0);
        let pixel = x1 / draw::plot_width(opts.width) as f64;
        Figure {
            panels: panels::run_panels(run, opts, pixel),
            x0: 0.0,
            x1,
            opts,
        }
    }

    /// A load trace on its own: its rate and extra columns.
    pub(crate) fn trace(run: &'a RunData, end: f64, opts: &'a ChartOptions) -> Figure<'a> {
        Figure {
            panels: panels::trace_panels(run),
            x0: 0.0,
            x1: end.max(1.0),
            opts,
        }
    }

    /// Several runs overlaid, one colour each; the time axis spans the longest.
    pub(crate) fn compare(runs: &'a [RunData], opts: &'a ChartOptions) -> Figure<'a> {
        let x1 = runs.iter().map(RunData::end).fold(1.0, f64::max);
        Figure {
            panels: panels::compare_panels(runs, opts),
            x0: 0.0,
            x1,
            opts,
        }
    }

    /// The panels, top to bottom.
    pub(crate) fn panels(&self) -> &[Panel<'a>] {
        &self.panels
    }

    /// The time range drawn, seconds.
    pub(crate) fn x_range(&self) -> (f64, f64) {
        (self.x0, self.x1)
    }

    /// (width, height) in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.opts.width, draw::figure_height(&self.panels))
    }

    /// Each panel's title and vertical extent `(title, top, bottom)` in pixels, top to bottom.
    pub fn panel_bounds(&self) -> Vec<(String, u32, u32)> {
        let mut top = draw::TITLE_HEIGHT;
        self.panels
            .iter()
            .map(|p| {
                let b = (p.title.clone(), top, top + p.height);
                top += p.height;
                b
            })
            .collect()
    }

    /// The figure as an SVG document.
    pub fn svg(&self) -> Result<String, Error> {
        register_fonts();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, self.size()).into_drawing_area();
            let x = (self.x0, self.x1);
            draw::draw_figure(&root, &self.panels, self.opts, x, draw::Stroke::Native)
                .and_then(|_| root.present())
                .map_err(|e| chart_error("SVG", e))?;
        }
        if let Some(end) = out.find('>') {
            out.insert_str(end + 1, SVG_MARK);
        }
        Ok(out)
    }

    /// The figure as PNG bytes (RGB, 8 bits).
    pub fn png(&self) -> Result<Vec<u8>, Error> {
        register_fonts();
        let (w, h) = self.size();
        let mut pixels = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            let x = (self.x0, self.x1);
            draw::draw_figure(&root, &self.panels, self.opts, x, draw::Stroke::Brush)
                .and_then(|_| root.present())
                .map_err(|e| chart_error("PNG", e))?;
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        enc.add_text_chunk("Software".into(), SOFTWARE.into())
            .and_then(|_| enc.write_header())
            .and_then(|mut wr| wr.write_image_data(&pixels))
            .map_err(|e| Error::io("cannot encode the chart as PNG", std::io::Error::other(e)))?;
        Ok(out)
    }
}

/// The PNG `Software` text every chart carries: how `trace show --plot` recognises a picture it
/// drew before replacing it (see [`crate::output::write_single`]).
pub(crate) const SOFTWARE: &str = "scalesim";

/// The comment after the `<svg>` tag of every SVG chart, for the same purpose.
const SVG_MARK: &str = "\n<!-- drawn by scalesim -->";

/// Whether `bytes` are a PNG or SVG scalesim drew.
pub(crate) fn is_own_picture(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let needle: &[u8] = if bytes.starts_with(b"\x89PNG") {
        b"tEXtSoftware\0scalesim"
    } else {
        SVG_MARK.as_bytes()
    };
    head.windows(needle.len()).any(|w| w == needle)
}

fn chart_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::io(
        format!("cannot draw the {what} chart"),
        std::io::Error::other(e.to_string()),
    )
}
