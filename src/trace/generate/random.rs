//! Seeded randomness for generators: one independent PCG stream per generator node, derived from
//! the scenario seed and the node's path (`trace.generate`, `trace.generate.of[1]`, …), so adding
//! a random part elsewhere, or any randomness outside traces, leaves each node's draws unchanged.
//! Uses `rand_pcg::Pcg64` (value-stable) and `rand_distr` (pinned by `Cargo.lock`).

use rand::RngExt;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal};
use rand_pcg::Pcg64;

/// The generator for stream `label` of `seed`. Stable across releases of scalesim: changing it
/// changes every generated trace.
pub(crate) fn stream_rng(seed: u64, label: &str) -> Pcg64 {
    let h = fnv1a(label);
    let a = splitmix64(seed ^ splitmix64(h));
    let b = splitmix64(a ^ 0x6a09_e667_f3bc_c909);
    Pcg64::new(((a as u128) << 64) | b as u128, h as u128)
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Noise distributions, all with mean 1 and the requested coefficient of variation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NoiseDist {
    /// Lognormal: σ² = ln(1 + cv²), μ = −σ²/2. Heavy right tail, never negative.
    #[default]
    Lognormal,
    /// Gamma with shape 1/cv² and scale cv².
    Gamma,
}

/// `n` independent mean-1 multipliers with coefficient of variation `cv`.
pub(crate) fn noise_factors(rng: &mut Pcg64, n: usize, cv: f64, dist: NoiseDist) -> Vec<f64> {
    if cv == 0.0 {
        return vec![1.0; n];
    }
    match dist {
        NoiseDist::Lognormal => {
            let s2 = (1.0 + cv * cv).ln();
            match LogNormal::new(-s2 / 2.0, s2.sqrt()) {
                Ok(d) => (0..n).map(|_| d.sample(rng)).collect(),
                Err(_) => vec![1.0; n],
            }
        }
        NoiseDist::Gamma => match Gamma::new(1.0 / (cv * cv), cv * cv) {
            Ok(d) => (0..n).map(|_| d.sample(rng)).collect(),
            Err(_) => vec![1.0; n],
        },
    }
}

/// A two-state Markov-modulated rate over `[0, span)`: pieces `(start, end, rate)`, starting in
/// state 0, each sojourn exponential with the state's mean.
pub(crate) fn mmpp_pieces(
    rng: &mut Pcg64,
    span: f64,
    rates: [f64; 2],
    sojourn: [f64; 2],
) -> Vec<(f64, f64, f64)> {
    let mut out = Vec::new();
    let mut t = 0.0;
    let mut s = 0usize;
    while t < span {
        let e: f64 = Exp1.sample(rng);
        let d = (e * sojourn[s]).max(1e-9);
        let end = (t + d).min(span);
        out.push((t, end, rates[s]));
        t = end;
        s ^= 1;
    }
    out
}

/// Keep each element with probability `p` (thinning exact arrivals).
pub(crate) fn thin(rng: &mut Pcg64, xs: &[f64], p: f64) -> Vec<f64> {
    xs.iter()
        .copied()
        .filter(|_| rng.random::<f64>() < p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_stable_and_distinct() {
        let a: u64 = stream_rng(7, "trace.generate").random();
        let b: u64 = stream_rng(7, "trace.generate").random();
        let c: u64 = stream_rng(7, "trace.generate.of[0]").random();
        let d: u64 = stream_rng(8, "trace.generate").random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn noise_has_mean_one_and_cv() {
        for dist in [NoiseDist::Lognormal, NoiseDist::Gamma] {
            let f = noise_factors(&mut stream_rng(1, "n"), 200_000, 0.3, dist);
            let m = f.iter().sum::<f64>() / f.len() as f64;
            let sd = (f.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / f.len() as f64).sqrt();
            assert!((m - 1.0).abs() < 0.01, "{dist:?} mean {m}");
            assert!((sd - 0.3).abs() < 0.01, "{dist:?} sd {sd}");
        }
    }

    #[test]
    fn mmpp_time_share_matches_sojourns() {
        let p = mmpp_pieces(&mut stream_rng(3, "m"), 1e7, [1.0, 0.0], [60.0, 20.0]);
        let high: f64 = p.iter().filter(|x| x.2 == 1.0).map(|x| x.1 - x.0).sum();
        assert!((high / 1e7 - 0.75).abs() < 0.01, "{}", high / 1e7);
    }
}
