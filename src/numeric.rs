//! Exact integer part, floor and rounding of an `f64` without a call into libm.
//!
//! On x86-64's baseline instruction set `f64::floor`, `f64::round` and `f64::trunc` are library
//! calls (the rounding instruction came with SSE4.1). Below 2^52 in magnitude a float converts
//! to an `i64` and back exactly, truncated toward zero, and its fraction `x - whole` is exact,
//! so each of them is a conversion and a comparison there. From 2^52 on every float is whole;
//! there, and for NaN and the infinities, the library function answers. Every function here
//! gives what its library counterpart gives, to the bit (the tests below hold them to it).

/// 2^52: every `f64` of this magnitude or more is a whole number.
const WHOLE_FROM: f64 = 4_503_599_627_370_496.0;

/// `x` split into its integer part, toward zero, and what is left (of `x`'s sign, or zero),
/// both exact: `Some` when `|x| < 2^52`, `None` otherwise (NaN, the infinities, huge values).
#[inline(always)]
pub(crate) fn whole_and_fraction(x: f64) -> Option<(i64, f64)> {
    if x.abs() < WHOLE_FROM {
        let whole = x as i64;
        Some((whole, x - whole as f64))
    } else {
        None
    }
}

/// `x.floor()`, to the bit (a zero keeps its sign). The non-negative branch comes first: the
/// CFS quota's period count on the hot path (`src/world/pod.rs`) is never negative.
#[inline(always)]
pub(crate) fn floor(x: f64) -> f64 {
    if (0.0..WHOLE_FROM).contains(&x) {
        // The truncation, -0.0 included (the conversion gives +0.0, hence `copysign`).
        (x as i64 as f64).copysign(x)
    } else if (-WHOLE_FROM..0.0).contains(&x) {
        // A floor at most `x`, so never zero: no sign to restore.
        let whole = x as i64 as f64;
        if whole > x { whole - 1.0 } else { whole }
    } else {
        x.floor()
    }
}

/// `x.round() as i64`: half away from zero, saturating, NaN to 0.
#[inline(always)]
pub(crate) fn round_to_i64(x: f64) -> i64 {
    match whole_and_fraction(x) {
        Some((whole, fraction)) => whole + i64::from(fraction >= 0.5) - i64::from(fraction <= -0.5),
        None => x.round() as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2^53: from here on the floats are whole and two apart.
    const TWO_APART_FROM: f64 = 9_007_199_254_740_992.0;

    /// Any float, and the ones these functions turn on: halves and whole numbers, the floats a
    /// few ulps either side of them, values around 2^52 and 2^53, huge ones.
    fn interesting() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            -1e7..1e7f64,
            (-100_000_000i64..100_000_000).prop_map(|k| k as f64 / 2.0),
            (-100_000_000i64..100_000_000, -3i64..=3).prop_map(|(k, d)| near(k as f64 / 2.0, d)),
            (-100_000_000i64..100_000_000).prop_map(|k| k as f64 / 2000.0 * 1000.0),
            (-4i64..=4, -3i64..=3, any::<bool>()).prop_map(|(k, d, neg)| {
                let x = near(WHOLE_FROM + k as f64 * 0.5, d);
                if neg { -x } else { x }
            }),
            (-4i64..=4, -3i64..=3, any::<bool>()).prop_map(|(k, d, neg)| {
                let x = near(TWO_APART_FROM + k as f64, d);
                if neg { -x } else { x }
            }),
            -1e16..1e16f64,
            -1e300..1e300f64,
        ]
    }

    /// The float whose bit pattern is `ulps` from `x`'s: that many ulps away (below +0.0, a NaN).
    fn near(x: f64, ulps: i64) -> f64 {
        f64::from_bits(x.to_bits().wrapping_add(ulps as u64))
    }

    /// The edges by name: zeros of both signs, halves, the last fractions below 2^52, 2^52 and
    /// 2^53 and their neighbours, the extremes, NaN and the infinities.
    const EDGES: &[f64] = &[
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.0,
        -1.0,
        1.5,
        -1.5,
        2.5,
        -2.5,
        0.49999999999999994,
        -0.49999999999999994,
        1.0 - f64::EPSILON / 2.0,
        -(1.0 - f64::EPSILON / 2.0),
        4_503_599_627_370_495.5,
        -4_503_599_627_370_495.5,
        4_503_599_627_370_496.0,
        -4_503_599_627_370_496.0,
        4_503_599_627_370_497.0,
        9_007_199_254_740_991.0,
        9_007_199_254_740_992.0,
        -9_007_199_254_740_992.0,
        9_007_199_254_740_994.0,
        9.223_372_036_854_776e18,
        -9.223_372_036_854_776e18,
        1e300,
        -1e300,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];

    fn check(x: f64) -> Result<(), TestCaseError> {
        prop_assert_eq!(floor(x).to_bits(), x.floor().to_bits(), "floor({:e})", x);
        prop_assert_eq!(round_to_i64(x), x.round() as i64, "round({:e})", x);
        match whole_and_fraction(x) {
            Some((whole, fraction)) => {
                prop_assert!(x.abs() < WHOLE_FROM);
                prop_assert_eq!(whole, x.trunc() as i64, "trunc({:e})", x);
                prop_assert_eq!(fraction, x - x.trunc(), "fract({:e})", x);
            }
            None => prop_assert!(x.is_nan() || x.abs() >= WHOLE_FROM, "{:e} is in range", x),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Each function gives what `f64::floor`, `f64::round` and `f64::trunc` give.
        #[test]
        fn they_are_the_library_functions(x in interesting()) {
            check(x)?;
        }
    }

    #[test]
    fn they_are_the_library_functions_at_the_edges() {
        for &x in EDGES {
            check(x).unwrap_or_else(|e| panic!("{x:e}: {e}"));
        }
    }
}
