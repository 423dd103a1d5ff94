//! Seeded randomness split into independent named streams.
//!
//! Every source of randomness (arrivals, service times, pod startup, the load balancer, …) draws
//! from its own generator derived from the scenario seed and the stream's name. Changing how many
//! pods start, or which pod a request lands on, therefore never changes the arrival sequence: two
//! configurations in a sweep face exactly the same requests (common random numbers).

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, StandardNormal};
use rand_pcg::Pcg64Mcg;

/// A value-stable generator (PCG 128/64 MCG): fast, and its output never changes across crate
/// releases, so seeded runs stay byte-identical.
#[derive(Debug, Clone)]
pub(crate) struct Stream(Pcg64Mcg);

impl Stream {
    /// The stream `name` of the run seeded with `seed`.
    pub(crate) fn new(seed: u64, name: &str) -> Stream {
        // FNV-1a of the name, mixed with the seed by SplitMix64: distinct, well-spread states.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let a = splitmix64(seed ^ h);
        let b = splitmix64(a ^ 0x9e37_79b9_7f4a_7c15);
        let state = ((a as u128) << 64) | b as u128 | 1;
        Stream(Pcg64Mcg::new(state))
    }

    /// Uniform in [0, 1).
    #[inline]
    pub(crate) fn uniform(&mut self) -> f64 {
        // 53 random bits → [0, 1)
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exp(1).
    #[inline]
    pub(crate) fn exp1(&mut self) -> f64 {
        Exp1.sample(&mut self.0)
    }

    /// Standard normal.
    #[inline]
    pub(crate) fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.0)
    }

    /// Uniform integer in `0..n` (n > 0).
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        // Lemire's multiply-shift; bias is < n / 2^64, negligible for simulation.
        ((self.0.next_u64() as u128 * n as u128) >> 64) as usize
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl SeedableRng for Stream {
    type Seed = [u8; 16];
    fn from_seed(seed: Self::Seed) -> Self {
        Stream(Pcg64Mcg::from_seed(seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(1, "arrivals");
                move |_| s.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(1, "arrivals");
                move |_| s.next_u64()
            })
            .collect();
        let c = Stream::new(1, "service").next_u64();
        let d = Stream::new(2, "arrivals").next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
        assert_ne!(a[0], d);
    }

    #[test]
    fn uniform_and_below_in_range() {
        let mut s = Stream::new(7, "x");
        for _ in 0..10_000 {
            let u = s.uniform();
            assert!((0.0..1.0).contains(&u));
            assert!(s.below(3) < 3);
        }
    }
}
