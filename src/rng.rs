//! Deterministic random streams.
//!
//! Every sample draws from its own stream seeded by `(seed, index)` only, so sample *i* is the
//! same bytes whatever the thread count, shard split or `count`. Each pipeline stage forks a named
//! sub-stream so that a change in how one stage consumes randomness never shifts another stage.
//! The generator is SplitMix64: tiny, fast, and fixed forever (no crate version can change it).

/// A SplitMix64 stream.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

/// SplitMix64's output function; also a good 64-bit mixer for seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a of a label, used to name sub-streams.
fn label_hash(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: mix64(seed) }
    }

    /// The stream of sample `index` of a run seeded with `seed`.
    pub fn for_sample(seed: u64, index: u64) -> Self {
        Rng::new(mix64(seed ^ 0x6a09_e667_f3bc_c909).wrapping_add(mix64(index)))
    }

    /// An independent sub-stream named `label`; does not advance `self`.
    pub fn fork(&self, label: &str) -> Rng {
        Rng::new(self.state ^ label_hash(label).rotate_left(17))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.state)
    }

    /// Uniform in `[0, 1)` with 53 bits.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi]` (returns `lo` when the range is empty).
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            lo
        } else {
            lo + (hi - lo) * self.f64()
        }
    }

    /// Uniform integer in `[lo, hi]` inclusive.
    pub fn range_u32(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(u64::from(hi - lo) + 1) as u32
    }

    /// Uniform in `[0, n)`; `n` must be > 0. Lemire's multiply-shift (bias < 2^-64·n).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Index drawn with probability proportional to `weights` (all ≥ 0, some > 0).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(f64::MIN_POSITIVE);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::for_sample(7, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_sample(7, 3).next_u64(),
            Rng::for_sample(7, 4).next_u64()
        );
        assert_ne!(
            Rng::for_sample(7, 3).next_u64(),
            Rng::for_sample(8, 3).next_u64()
        );
        let base = Rng::for_sample(1, 1);
        assert_ne!(base.fork("a").next_u64(), base.fork("b").next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            let x = r.range_f64(2.0, 3.0);
            assert!((2.0..=3.0).contains(&x));
            let k = r.range_u32(5, 9);
            assert!((5..=9).contains(&k));
            assert!(r.below(3) < 3);
        }
    }

    #[test]
    fn weighted_follows_weights() {
        let mut r = Rng::new(2);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[r.weighted(&[1.0, 0.0, 3.0])] += 1;
        }
        assert_eq!(counts[1], 0);
        let ratio = counts[2] as f64 / counts[0] as f64;
        assert!((2.7..3.3).contains(&ratio), "ratio {ratio}");
    }
}
