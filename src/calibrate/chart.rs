//! `calibration.png`: each fit against its data, three panels stacked —
//! observed CPU against the fitted `a·rate + b·Ready`, latency quantiles against the estimated
//! pod utilisation with the fitted service-time p50 and p99, and every start-up lag with its
//! mean and p90. A fit that found nothing shows its reason instead. Fonts are the charts'
//! embedded DejaVu faces ([`crate::report::chart::register_fonts`]).

use super::Calibration;
use super::output::PNG_MARK;
use crate::error::Error;
use plotters::coord::Shift;
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const PANEL: u32 = 330;
/// Draw at most this many points per panel (every k-th sample, deterministically).
const MAX_POINTS: usize = 4000;

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn grey() -> RGBColor {
    RGBColor(140, 140, 140)
}
fn red() -> RGBColor {
    RGBColor(210, 40, 40)
}
fn blue() -> RGBColor {
    RGBColor(40, 90, 200)
}
fn orange() -> RGBColor {
    RGBColor(230, 120, 20)
}

fn thin<T: Copy>(v: &[T]) -> Vec<T> {
    let k = v.len().div_ceil(MAX_POINTS).max(1);
    v.iter().step_by(k).copied().collect()
}

/// `lo..hi` from the data, starting at 0, padded 8 % at the top.
fn range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let hi = values.filter(|v| v.is_finite()).fold(0.0, f64::max);
    0.0..if hi > 0.0 { hi * 1.08 } else { 1.0 }
}

/// `calibration.png` as bytes.
pub(crate) fn png(c: &Calibration) -> Result<Vec<u8>, Error> {
    crate::report::chart::register_fonts();
    let (w, h) = (WIDTH, PANEL * 3);
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw(&root, c)
            .map_err(|e| Error::io("cannot draw calibration.png", std::io::Error::other(e)))?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.add_text_chunk("Software".into(), PNG_MARK.into())
        .map_err(|e| Error::io("cannot encode calibration.png", std::io::Error::other(e)))?;
    enc.write_header()
        .and_then(|mut wr| wr.write_image_data(&pixels))
        .map_err(|e| Error::io("cannot encode calibration.png", std::io::Error::other(e)))?;
    Ok(out)
}

fn draw(root: &Area<'_>, c: &Calibration) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((3, 1));
    cpu_panel(&panels[0], c)?;
    latency_panel(&panels[1], c)?;
    startup_panel(&panels[2], c)?;
    root.present().map_err(|e| e.to_string())
}

fn no_fit(area: &Area<'_>, title: &str, reason: &str) -> Result<(), String> {
    area.draw(&Text::new(
        title.to_string(),
        (20, 15),
        ("sans-serif", 18).into_font(),
    ))
    .and_then(|_| {
        area.draw(&Text::new(
            format!("not identified: {reason}"),
            (20, 60),
            ("sans-serif", 13).into_font(),
        ))
    })
    .map_err(|e| e.to_string())
}

fn cpu_panel(area: &Area<'_>, c: &Calibration) -> Result<(), String> {
    let a = &c.aligned;
    let (Some(k), b) = (c.cpu.per_request, c.cpu.idle_per_pod.unwrap_or(0.0)) else {
        return no_fit(
            area,
            "CPU",
            c.cpu.quality.reason.as_deref().unwrap_or("no fit"),
        );
    };
    let pts: Vec<(f64, f64)> = (0..a.len())
        .filter(|&i| a.ready[i] >= 1.0)
        .map(|i| (k * a.rate[i] + b * a.ready[i], a.cpu[i]))
        .collect();
    let pts = thin(&pts);
    let x = range(pts.iter().map(|p| p.0));
    let y = range(pts.iter().map(|p| p.1));
    let top = x.end.max(y.end);
    let title = format!(
        "CPU: observed against {} × rate + {} × Ready pods (r² {})",
        super::fragment::sig(k, 3),
        super::fragment::sig(b, 3),
        c.cpu
            .quality
            .r2
            .map_or("–".into(), |r| super::fragment::sig(r, 3))
    );
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let mut ch = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..top, 0.0..top)
        .map_err(e)?;
    ch.configure_mesh()
        .x_desc("fitted CPU (cores)")
        .y_desc("observed CPU (cores)")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    ch.draw_series(pts.iter().map(|&p| Circle::new(p, 2, grey().filled())))
        .map_err(e)?;
    ch.draw_series(LineSeries::new(
        vec![(0.0, 0.0), (top, top)],
        red().stroke_width(2),
    ))
    .map_err(e)?;
    Ok(())
}

fn latency_panel(area: &Area<'_>, c: &Calibration) -> Result<(), String> {
    let a = &c.aligned;
    let s = &c.service;
    let (Some(mean), Some(p99)) = (s.mean, s.p99) else {
        return no_fit(
            area,
            "Service time",
            s.quality.reason.as_deref().unwrap_or("no fit"),
        );
    };
    let idx: Vec<usize> = thin(
        &(0..a.len())
            .filter(|&i| s.utilisation[i].is_finite())
            .collect::<Vec<_>>(),
    );
    let x = range(idx.iter().map(|&i| s.utilisation[i]));
    let y = range(idx.iter().map(|&i| a.p99[i] * 1e3).chain([p99 * 1.2e3]));
    let y = 0.0..y.end.min(p99 * 1e3 * 6.0);
    let title = format!(
        "Latency against pod utilisation: service time mean {}, p99 {} from {} low-load samples (dark)",
        super::fragment::duration(mean),
        super::fragment::duration(p99),
        s.quality.samples
    );
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let mut ch = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(e)?;
    ch.configure_mesh()
        .x_desc("estimated utilisation of a pod's slots (rate × mean / (Ready × concurrency))")
        .y_desc("latency (ms)")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    let dot = |i: usize, q: &[f64], colour: RGBColor| {
        let alpha = if s.kept[i] { 1.0 } else { 0.25 };
        Circle::new(
            (s.utilisation[i], (q[i] * 1e3).min(y.end)),
            2,
            colour.mix(alpha).filled(),
        )
    };
    ch.draw_series(idx.iter().map(|&i| dot(i, &a.p50, blue())))
        .map_err(e)?
        .label("recorded p50")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, blue().filled()));
    ch.draw_series(idx.iter().map(|&i| dot(i, &a.p99, orange())))
        .map_err(e)?
        .label("recorded p99")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, orange().filled()));
    let median = s.median.unwrap_or(mean);
    for (v, colour, label) in [
        (median, blue(), "fitted service p50"),
        (p99, orange(), "fitted service p99"),
    ] {
        ch.draw_series(DashedLineSeries::new(
            vec![(x.start, v * 1e3), (x.end, v * 1e3)],
            8,
            5,
            colour.stroke_width(2),
        ))
        .map_err(e)?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    ch.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(e)
}

fn startup_panel(area: &Area<'_>, c: &Calibration) -> Result<(), String> {
    let s = &c.startup;
    let (Some(mean), Some(p90)) = (s.mean, s.p90) else {
        return no_fit(
            area,
            "Start-up",
            s.quality.reason.as_deref().unwrap_or("no fit"),
        );
    };
    let pts: Vec<(f64, f64)> = s
        .lags
        .iter()
        .enumerate()
        .map(|(i, l)| (i as f64 + 1.0, l.1))
        .collect();
    let pts = thin(&pts);
    let n = s.lags.len() as f64 + 1.0;
    let y = range(pts.iter().map(|p| p.1).chain([p90]));
    let title = format!(
        "Start-up (created → Ready): mean {}, p90 {} over {} new pods in {} scale-ups",
        super::fragment::duration(mean),
        super::fragment::duration(p90),
        s.lags.len(),
        s.events
    );
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let mut ch = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..n, y)
        .map_err(e)?;
    ch.configure_mesh()
        .x_desc("new pod, in time order")
        .y_desc("asked-for → Ready (s)")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    ch.draw_series(pts.iter().map(|&p| Circle::new(p, 3, grey().filled())))
        .map_err(e)?;
    ch.draw_series(LineSeries::new(
        vec![(0.0, mean), (n, mean)],
        red().stroke_width(2),
    ))
    .map_err(e)?
    .label("mean")
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red()));
    ch.draw_series(DashedLineSeries::new(
        vec![(0.0, p90), (n, p90)],
        8,
        5,
        blue().stroke_width(2),
    ))
    .map_err(e)?
    .label("p90")
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue()));
    ch.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(e)
}
