//! Deterministic shapes (constant, step, ramp, spike, sawtooth) and the numerics every generator
//! shares: a bucket's value is the **mean of the shape over the bucket** (so a ramp's integral
//! is exact and a spike narrower than the step still carries its requests), computed with
//! 3-point Gauss–Legendre quadrature on the pieces between the shape's breakpoints (exact for
//! piecewise-linear shapes; never evaluated on a jump).

/// How a spike falls back to its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Curve {
    /// A straight line from peak to base over `decay`.
    #[default]
    Linear,
    /// The excess over base halves every `decay` (a half-life), for ever.
    Exponential,
}

/// A deterministic rate over local time (seconds from the generator's own start).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    Constant {
        rate: f64,
    },
    Step {
        from: f64,
        to: f64,
        at: f64,
    },
    Ramp {
        from: f64,
        to: f64,
        at: f64,
        over: f64,
    },
    Spike {
        base: f64,
        peak: f64,
        at: f64,
        rise: f64,
        hold: f64,
        decay: f64,
        curve: Curve,
    },
    Sawtooth {
        from: f64,
        to: f64,
        period: f64,
        at: f64,
    },
}

impl Shape {
    /// The rate at local time `t` (right-continuous at jumps).
    pub(crate) fn value(&self, t: f64) -> f64 {
        match *self {
            Shape::Constant { rate } => rate,
            Shape::Step { from, to, at } => {
                if t < at {
                    from
                } else {
                    to
                }
            }
            Shape::Ramp { from, to, at, over } => {
                if t < at {
                    from
                } else if t >= at + over {
                    to
                } else {
                    from + (to - from) * (t - at) / over
                }
            }
            Shape::Spike {
                base,
                peak,
                at,
                rise,
                hold,
                decay,
                curve,
            } => {
                let (t1, t2) = (at + rise, at + rise + hold);
                if t < at {
                    base
                } else if t < t1 {
                    base + (peak - base) * (t - at) / rise
                } else if t < t2 {
                    peak
                } else {
                    match curve {
                        Curve::Linear if t < t2 + decay => peak + (base - peak) * (t - t2) / decay,
                        Curve::Linear => base,
                        Curve::Exponential if decay > 0.0 => {
                            base + (peak - base) * (-(t - t2) / decay).exp2()
                        }
                        Curve::Exponential => base,
                    }
                }
            }
            Shape::Sawtooth {
                from,
                to,
                period,
                at,
            } => {
                let phase = ((t - at) / period).rem_euclid(1.0);
                from + (to - from) * phase
            }
        }
    }

    /// Points in `(a, b)` where the shape has a kink or a jump (or, for exponential decay, where
    /// quadrature should split for accuracy).
    pub(crate) fn breaks(&self, a: f64, b: f64, out: &mut Vec<f64>) {
        let mut push = |x: f64| {
            if x > a && x < b {
                out.push(x);
            }
        };
        match *self {
            Shape::Constant { .. } => {}
            Shape::Step { at, .. } => push(at),
            Shape::Ramp { at, over, .. } => {
                push(at);
                push(at + over);
            }
            Shape::Spike {
                at,
                rise,
                hold,
                decay,
                curve,
                ..
            } => {
                let t2 = at + rise + hold;
                push(at);
                push(at + rise);
                push(t2);
                match curve {
                    Curve::Linear => push(t2 + decay),
                    Curve::Exponential if decay > 0.0 => {
                        // Split every half of a half-life for the first 40 half-lives.
                        let h = decay / 2.0;
                        let first = ((a - t2) / h).floor().max(0.0) as i64 + 1;
                        let mut k = first;
                        while k <= 80 {
                            let x = t2 + k as f64 * h;
                            if x >= b {
                                break;
                            }
                            push(x);
                            k += 1;
                        }
                    }
                    Curve::Exponential => {}
                }
            }
            Shape::Sawtooth { period, at, .. } => {
                let mut k = ((a - at) / period).floor() + 1.0;
                loop {
                    let x = at + k * period;
                    if x >= b {
                        break;
                    }
                    push(x);
                    k += 1.0;
                }
            }
        }
    }
}

/// Mean of `f` over `[a, b)`, splitting at `breaks` (sorted or not) and integrating each piece
/// with 3-point Gauss–Legendre quadrature.
pub(crate) fn mean_over(f: &dyn Fn(f64) -> f64, a: f64, b: f64, breaks: &mut [f64]) -> f64 {
    if b <= a {
        return f(a);
    }
    breaks.sort_by(f64::total_cmp);
    let mut total = 0.0;
    let mut x0 = a;
    for &x in breaks.iter().chain(std::iter::once(&b)) {
        if x > x0 {
            total += gauss3(f, x0, x);
            x0 = x;
        }
    }
    total / (b - a)
}

/// Integral of `f` over `[a, b]` by 3-point Gauss–Legendre (exact for degree ≤ 5).
pub(crate) fn gauss3(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const X: f64 = 0.774_596_669_241_483_4; // sqrt(3/5)
    let (m, h) = ((a + b) / 2.0, (b - a) / 2.0);
    h * (5.0 / 9.0 * f(m - h * X) + 8.0 / 9.0 * f(m) + 5.0 / 9.0 * f(m + h * X))
}

/// A uniform grid of buckets `[origin + k·step, origin + (k+1)·step)` in trace time, `k < n`.
/// Local time `k·step` is the generator's own clock; `origin` places it in the whole trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Grid {
    pub(crate) origin: f64,
    pub(crate) step: f64,
    pub(crate) n: usize,
}

impl Grid {
    pub(crate) fn span(&self) -> f64 {
        self.n as f64 * self.step
    }
}

/// Bucket means of a deterministic shape on a grid (local times).
pub(crate) fn render_shape(shape: &Shape, grid: &Grid) -> Vec<f64> {
    let mut breaks = Vec::new();
    (0..grid.n)
        .map(|k| {
            let (a, b) = (k as f64 * grid.step, (k + 1) as f64 * grid.step);
            breaks.clear();
            shape.breaks(a, b, &mut breaks);
            mean_over(&|t| shape.value(t), a, b, &mut breaks)
        })
        .collect()
}

/// Time-weighted means over a target grid (local times `[k·step, (k+1)·step)`) of
/// piecewise-constant pieces `(start, end, value)` given in the same local frame, sorted by
/// start and not overlapping. Time not covered by any piece counts as 0.
pub(crate) fn regrid(pieces: impl IntoIterator<Item = (f64, f64, f64)>, grid: &Grid) -> Vec<f64> {
    let mut acc = vec![0.0; grid.n];
    let span = grid.span();
    for (a, b, v) in pieces {
        let (a, b) = (a.max(0.0), b.min(span));
        if b <= a || v == 0.0 {
            continue;
        }
        let mut k = ((a / grid.step).floor() as usize).min(grid.n.saturating_sub(1));
        let mut x = a;
        while x < b && k < grid.n {
            let bucket_end = (k + 1) as f64 * grid.step;
            let until = bucket_end.min(b);
            acc[k] += v * (until - x);
            x = until;
            k += 1;
        }
    }
    for a in &mut acc {
        *a /= grid.step;
    }
    acc
}

/// Pieces of values rendered on `grid`, clipped at local time `limit`.
pub(crate) fn pieces(values: &[f64], grid: &Grid, offset: f64, limit: f64) -> Vec<(f64, f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            (
                offset + k as f64 * grid.step,
                offset + ((k + 1) as f64 * grid.step).min(limit),
                v,
            )
        })
        .filter(|p| p.1 > p.0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_means_are_exact_for_linear_pieces() {
        let g = Grid {
            origin: 0.0,
            step: 60.0,
            n: 3,
        };
        let ramp = Shape::Ramp {
            from: 0.0,
            to: 90.0,
            at: 30.0,
            over: 90.0,
        };
        // [0,60): 0 until 30, then 0→30 over 30 s: mean 7.5; [60,120): 30→90: mean 60; [120,180): 90
        assert_eq!(render_shape(&ramp, &g), vec![7.5, 60.0, 90.0]);
        let step = Shape::Step {
            from: 10.0,
            to: 20.0,
            at: 90.0,
        };
        assert_eq!(render_shape(&step, &g), vec![10.0, 15.0, 20.0]);
    }

    #[test]
    fn spike_integral() {
        let s = Shape::Spike {
            base: 10.0,
            peak: 110.0,
            at: 100.0,
            rise: 20.0,
            hold: 30.0,
            decay: 40.0,
            curve: Curve::Linear,
        };
        let g = Grid {
            origin: 0.0,
            step: 7.0,
            n: 40,
        };
        let total: f64 = render_shape(&s, &g).iter().sum::<f64>() * 7.0;
        let expect = 10.0 * 280.0 + 100.0 * (10.0 + 30.0 + 20.0);
        assert!((total - expect).abs() < 1e-9, "{total} vs {expect}");
        let e = Shape::Spike {
            base: 0.0,
            peak: 100.0,
            at: 0.0,
            rise: 0.0,
            hold: 0.0,
            decay: 10.0,
            curve: Curve::Exponential,
        };
        let g = Grid {
            origin: 0.0,
            step: 60.0,
            n: 20,
        };
        let total: f64 = render_shape(&e, &g).iter().sum::<f64>() * 60.0;
        let expect = 100.0 * 10.0 / std::f64::consts::LN_2;
        assert!(
            (total - expect).abs() / expect < 1e-6,
            "{total} vs {expect}"
        );
    }

    #[test]
    fn regrid_weights_overlaps() {
        let g = Grid {
            origin: 0.0,
            step: 10.0,
            n: 2,
        };
        assert_eq!(
            regrid([(0.0, 5.0, 2.0), (5.0, 15.0, 4.0)], &g),
            vec![3.0, 2.0]
        );
    }
}
