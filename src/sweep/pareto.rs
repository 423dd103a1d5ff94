//! The Pareto front of a sweep — points no other point beats on both cost (pod-hours) and the
//! objective (latency p99 by default) — and its chart, `pareto.png` and `pareto.svg`: every
//! point in grey, the front in red and joined, each point labelled by its index (front points
//! also by their values), the SLO bound on the objective as a dashed line when there is one.
//!
//! Fonts come from the embedded DejaVu Sans (no system fonts needed).

use super::output::{SweepMeta, SweepRow, SweepTable};
use crate::error::Error;
use crate::sim::{figures, slo};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The charts' embedded fonts (one registration for every chart scalesim draws).
pub(crate) use crate::report::chart::register_fonts;

/// Which of `points` (cost, objective), both minimised, are on the Pareto front: no other point
/// is at least as good on both and better on one. Ties on both count as on the front.
pub(crate) fn front(points: &[(f64, f64)]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
    });
    let mut on = vec![false; points.len()];
    let mut best = f64::INFINITY;
    let mut last: Option<(f64, f64)> = None;
    for i in order {
        let p = points[i];
        if p.1 < best || last == Some(p) {
            on[i] = true;
            best = best.min(p.1);
            last = Some(p);
        }
    }
    on
}

/// The rows of `table` on the front of (cost column, objective column); rows missing either
/// value are left out.
pub(crate) fn front_rows(table: &SweepTable, cost: usize, objective: usize) -> Vec<&SweepRow> {
    let rows: Vec<(&SweepRow, (f64, f64))> = table
        .rows
        .iter()
        .filter_map(|r| Some((r, (table.num(r, cost)?, table.num(r, objective)?))))
        .collect();
    let pts: Vec<(f64, f64)> = rows.iter().map(|r| r.1).collect();
    front(&pts)
        .into_iter()
        .zip(rows)
        .filter(|(on, _)| *on)
        .map(|(_, (r, _))| r)
        .collect()
}

/// A point to draw.
struct Dot {
    x: f64,
    y: f64,
    label: String,
    on_front: bool,
}

/// Label every point when there are at most this many; otherwise only the front.
const LABEL_ALL_UP_TO: usize = 40;

/// Write `pareto.png` and `pareto.svg` into `dir`.
pub(crate) fn write_charts(dir: &Path, meta: &SweepMeta, table: &SweepTable) -> Result<(), Error> {
    register_fonts();
    let (Some(cost), Some(obj)) = (table.column(&meta.cost), table.column(&meta.objective)) else {
        return Ok(());
    };
    let rows: Vec<(&SweepRow, f64, f64)> = table
        .rows
        .iter()
        .filter_map(|r| Some((r, table.num(r, cost)?, table.num(r, obj)?)))
        .collect();
    let on = front(&rows.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>());
    let label_all = rows.len() <= LABEL_ALL_UP_TO;
    let dots: Vec<Dot> = rows
        .iter()
        .zip(on)
        .map(|((r, x, y), on_front)| {
            let values: Vec<&str> = (0..meta.vary.len()).map(|i| table.cell(r, 1 + i)).collect();
            let label = if on_front && !values.is_empty() {
                format!("#{} {}", r.point, values.join(", "))
            } else if on_front || label_all {
                format!("#{}", r.point)
            } else {
                String::new()
            };
            Dot {
                x: *x,
                y: *y,
                label,
                on_front,
            }
        })
        .collect();
    let objective = figures::find(&meta.objective);
    let limit = match (&meta.slo, objective) {
        (Some(s), Some(m)) => slo::limit_for(s, m).map(|l| {
            (
                l,
                format!("SLO: {} <= {}", meta.objective, m.display(Some(l))),
            )
        }),
        _ => None,
    };
    let y_desc = match objective.map(|m| m.unit) {
        Some(figures::Unit::Seconds) => format!("{} (seconds)", meta.objective),
        _ => meta.objective.clone(),
    };
    let caption = format!(
        "{}: cost against {} ({} points)",
        meta.scenario,
        meta.objective,
        table.rows.len()
    );
    let chart = Chart {
        caption,
        y_desc,
        dots,
        limit,
    };
    let png = dir.join("pareto.png");
    let svg = dir.join("pareto.svg");
    let size = (1000, 700);
    chart
        .draw(BitMapBackend::new(&png, size).into_drawing_area())
        .map_err(|e| {
            Error::io(
                format!("cannot draw {}", png.display()),
                std::io::Error::other(e),
            )
        })?;
    chart
        .draw(SVGBackend::new(&svg, size).into_drawing_area())
        .map_err(|e| {
            Error::io(
                format!("cannot draw {}", svg.display()),
                std::io::Error::other(e),
            )
        })
}

struct Chart {
    caption: String,
    y_desc: String,
    dots: Vec<Dot>,
    /// The SLO bound on the objective and its legend.
    limit: Option<(f64, String)>,
}

/// `lo..hi` widened by 8 % on each side (or by 1 when flat).
fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return 0.0..1.0;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.08
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad)..(hi + pad)
}

impl Chart {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let xs = self.dots.iter().map(|d| d.x);
        let mut ys: Vec<f64> = self.dots.iter().map(|d| d.y).collect();
        ys.extend(self.limit.as_ref().map(|l| l.0));
        let x = padded(
            xs.clone().fold(f64::INFINITY, f64::min),
            xs.fold(f64::NEG_INFINITY, f64::max),
        );
        // The objective axis starts at zero when every value is positive (latencies, ratios).
        let y_lo = ys.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
        let y = padded(y_lo, ys.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let y = if y_lo >= 0.0 { 0.0..y.end } else { y };
        let (x0, x1) = (x.start, x.end);
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.caption, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x, y)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("cost (pod-hours)")
            .y_desc(self.y_desc.as_str())
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        if let Some((l, legend)) = &self.limit {
            let l = *l;
            let blue = RGBColor(40, 90, 200);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x0, l), (x1, l)],
                    8,
                    6,
                    blue.stroke_width(2),
                ))
                .map_err(e)?
                .label(legend.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
        }
        let grey = RGBColor(150, 150, 150);
        chart
            .draw_series(self.dots.iter().filter(|d| !d.on_front).map(|d| {
                EmptyElement::at((d.x, d.y))
                    + Circle::new((0, 0), 4, grey.filled())
                    + Text::new(d.label.clone(), (6, -14), ("sans-serif", 12).into_font())
            }))
            .map_err(e)?
            .label("point")
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, grey.filled()));
        let mut front: Vec<(f64, f64)> = self
            .dots
            .iter()
            .filter(|d| d.on_front)
            .map(|d| (d.x, d.y))
            .collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let red = RGBColor(210, 40, 40);
        chart
            .draw_series(LineSeries::new(front, red.stroke_width(2)))
            .map_err(e)?
            .label("Pareto front")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red));
        chart
            .draw_series(self.dots.iter().filter(|d| d.on_front).map(|d| {
                EmptyElement::at((d.x, d.y))
                    + Circle::new((0, 0), 6, red.filled())
                    + Text::new(d.label.clone(), (8, -16), ("sans-serif", 13).into_font())
            }))
            .map_err(e)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(e)?;
        root.present().map_err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_keeps_undominated_points() {
        let pts = [
            (1.0, 10.0), // cheapest
            (2.0, 5.0),  // on the front
            (2.0, 6.0),  // dominated by (2, 5)
            (3.0, 5.0),  // dominated by (2, 5)
            (4.0, 1.0),  // best objective
            (4.0, 1.0),  // tie: also on the front
            (5.0, 2.0),  // dominated
        ];
        assert_eq!(front(&pts), [true, true, false, false, true, true, false]);
    }
}
