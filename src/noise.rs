//! Noise: smooth random fields (procedural backgrounds, worn ink) and per-pixel grain.
//!
//! Value noise: random values on a lattice, smoothstep-interpolated. Each octave's lattice is
//! hashed once per field (hundreds of hashes, not four per pixel), and interpolation is
//! separable: a row of lattice values is blended in y once per image row, and each pixel then
//! blends in x only. Lattice values come from a counter-based hash of (seed, lattice point),
//! so a field is reproducible bit for bit whatever order it is computed in.

use crate::rng::mix64;

fn smoothstep(t: f64) -> f32 {
    (t * t * (3.0 - 2.0 * t)) as f32
}

/// Lattice value in [0, 1) at integer point `(i, j)`.
fn lattice(seed: u64, i: i64, j: i64) -> f32 {
    let h = mix64(seed ^ mix64((i as u64).wrapping_mul(0x9E37_79B9) ^ (j as u64) << 32));
    ((h >> 40) as f32) / (1u32 << 24) as f32
}

/// Per output coordinate: lattice cell index and smoothstep weight, for `n` pixels at
/// `cell` pixels per lattice step.
fn axis(n: u32, cell: f64) -> Vec<(usize, f32)> {
    (0..n)
        .map(|p| {
            let g = f64::from(p) / cell;
            let i = g.floor();
            (i as usize, smoothstep(g - i))
        })
        .collect()
}

/// Adds `amp ×` one octave of value noise with lattice steps `cell_x × cell_y` pixels to `out`
/// (`width × height`, row-major).
pub fn add_value_noise(
    out: &mut [f32],
    (width, height): (u32, u32),
    seed: u64,
    (cell_x, cell_y): (f64, f64),
    amp: f32,
) {
    debug_assert_eq!(out.len(), (width * height) as usize);
    let xs = axis(width, cell_x);
    let ys = axis(height, cell_y);
    let cols = xs.last().map_or(0, |x| x.0) + 2;
    let rows = ys.last().map_or(0, |y| y.0) + 2;
    let grid: Vec<f32> = (0..rows)
        .flat_map(|j| (0..cols).map(move |i| lattice(seed, i as i64, j as i64)))
        .collect();
    // Runs of pixels in the same lattice cell: (cell, first pixel, end), and the x weights.
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (p, &(i, _)) in xs.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.0 == i => run.2 = p + 1,
            _ => runs.push((i, p, p + 1)),
        }
    }
    let weights: Vec<f32> = xs.iter().map(|x| x.1).collect();
    let mut blended = vec![0f32; cols];
    for (row, &(j, sy)) in out.chunks_exact_mut(width as usize).zip(&ys) {
        let (top, bottom) = (&grid[j * cols..][..cols], &grid[(j + 1) * cols..][..cols]);
        for ((b, t), u) in blended.iter_mut().zip(top).zip(bottom) {
            *b = t + (u - t) * sy;
        }
        for &(i, start, end) in &runs {
            let (a, b) = (blended[i], blended[i + 1]);
            lerp_add(&mut row[start..end], &weights[start..end], a, b, amp);
        }
    }
}

/// `out[k] += amp · (a + (b − a) · t[k])` over one lattice cell's run of pixels: with `a`
/// and `b` fixed along the run, the compiler vectorises it.
#[inline(always)]
fn lerp_add(out: &mut [f32], t: &[f32], a: f32, b: f32, amp: f32) {
    for (o, s) in out.iter_mut().zip(t) {
        *o += amp * (a + (b - a) * s);
    }
}

/// Fractal value noise in [0, 1]: `octaves` octaves from `cell` pixels down, each half the
/// cell size (at least 1 px) and half the weight.
pub fn fractal_field(seed: u64, width: u32, height: u32, cell: f64, octaves: u32) -> Vec<f32> {
    let mut out = vec![0f32; (width * height) as usize];
    let (mut amp, mut norm, mut c) = (1f32, 0f32, cell);
    for o in 0..octaves {
        add_value_noise(
            &mut out,
            (width, height),
            seed.wrapping_add(u64::from(o)),
            (c, c),
            amp,
        );
        norm += amp;
        amp *= 0.5;
        c = (c / 2.0).max(1.0);
    }
    let inv = 1.0 / norm.max(f32::MIN_POSITIVE);
    for v in &mut out {
        *v *= inv;
    }
    out
}

/// Weight scale of the integer value noise: smoothstep weights are in 1/4096.
pub const WEIGHT_ONE: u32 = 4096;

/// Lattice value in [0, 65535] at integer point `(i, j)`: the integer twin of [`lattice`].
pub fn lattice16(seed: u64, i: u32, j: u32) -> u32 {
    let h = mix64(seed ^ mix64(u64::from(i).wrapping_mul(0x9E37_79B9) ^ u64::from(j) << 32));
    (h >> 48) as u32
}

/// Per coordinate in `coords` (pixel indices): lattice cell and smoothstep weight in 1/4096,
/// for lattice steps of `cell` pixels. Computed in f64 once per axis, so pixels blend in
/// integers only (and a GPU kernel given these tables blends exactly alike).
pub fn axis16(coords: &[u32], cell: f64) -> Vec<(u32, u32)> {
    coords
        .iter()
        .map(|&p| {
            let g = f64::from(p) / cell;
            let i = g.floor();
            let t = g - i;
            let w = (t * t * (3.0 - 2.0 * t) * f64::from(WEIGHT_ONE)).round() as u32;
            (i as u32, w)
        })
        .collect()
}

/// `(a·(1 − w) + b·w)` with `w` in 1/4096, rounded: the one blend of the integer noise.
#[inline(always)]
pub fn blend16(a: u32, b: u32, w: u32) -> u32 {
    (a * (WEIGHT_ONE - w) + b * w + WEIGHT_ONE / 2) >> 12
}

/// One octave of integer value noise: what a painter needs to evaluate it at any pixel.
pub struct Octave16 {
    /// Per column asked for: (lattice column, weight).
    pub xs: Vec<(u32, u32)>,
    /// Per row asked for: (lattice row, weight).
    pub ys: Vec<(u32, u32)>,
    /// `cols × rows` lattice values in [0, 65535], row-major.
    pub grid: Vec<u32>,
    pub cols: usize,
    /// Left shift of this octave's values in the fractal sum (its weight).
    pub shift: u32,
}

impl Octave16 {
    /// The octave with lattice steps `cell` at columns `xs` and rows `ys`.
    pub fn new(
        seed: u64,
        xs: &[u32],
        ys: &[u32],
        (cell_x, cell_y): (f64, f64),
        shift: u32,
    ) -> Self {
        let xs = axis16(xs, cell_x);
        let ys = axis16(ys, cell_y);
        let cols = xs.iter().map(|x| x.0).max().map_or(0, |i| i as usize + 2);
        let rows = ys.iter().map(|y| y.0).max().map_or(0, |j| j as usize + 2);
        let grid = (0..rows as u32)
            .flat_map(|j| (0..cols as u32).map(move |i| lattice16(seed, i, j)))
            .collect();
        Octave16 {
            xs,
            ys,
            grid,
            cols,
            shift,
        }
    }

    /// Adds this octave at every asked pixel to `out` (`xs.len() × ys.len()`, row-major):
    /// lattice rows are blended in y once per output row, then each run of pixels in one
    /// lattice cell blends in x with both ends fixed (a loop the compiler vectorises).
    pub fn add_to(&self, out: &mut [u32]) {
        let w = self.xs.len();
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for (p, &(i, _)) in self.xs.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if run.0 == i as usize => run.2 = p + 1,
                _ => runs.push((i as usize, p, p + 1)),
            }
        }
        let weights: Vec<u32> = self.xs.iter().map(|x| x.1).collect();
        let mut blended = vec![0u32; self.cols];
        for (row, &(j, sy)) in out.chunks_exact_mut(w.max(1)).zip(&self.ys) {
            let j = j as usize;
            let top = &self.grid[j * self.cols..][..self.cols];
            let bottom = &self.grid[(j + 1) * self.cols..][..self.cols];
            for ((b, t), u) in blended.iter_mut().zip(top).zip(bottom) {
                *b = blend16(*t, *u, sy);
            }
            add_runs(&runs, &blended, &weights, self.shift, row);
        }
    }
}

crate::simd::avx2_dispatch! {
/// One output row of [`Octave16::add_to`]: per run of pixels in one lattice cell, both ends
/// fixed, so the inner loop vectorises.
fn add_runs(
    runs: &[(usize, usize, usize)],
    blended: &[u32],
    weights: &[u32],
    shift: u32,
    row: &mut [u32],
) {
    for &(i, start, end) in runs {
        let (a, b) = (blended[i], blended[i + 1]);
        for (o, &sx) in row[start..end].iter_mut().zip(&weights[start..end]) {
            *o += blend16(a, b, sx) << shift;
        }
    }
}
}

/// The octaves of an integer fractal field: `octaves` octaves from `cell` pixels down, each
/// half the cell size (at least 1 px) and half the weight — the integer twin of
/// [`fractal_field`].
pub fn fractal_octaves16(
    seed: u64,
    xs: &[u32],
    ys: &[u32],
    cell: f64,
    octaves: u32,
) -> Vec<Octave16> {
    let mut c = cell;
    (0..octaves)
        .map(|o| {
            let oct = Octave16::new(
                seed.wrapping_add(u64::from(o)),
                xs,
                ys,
                (c, c),
                octaves - 1 - o,
            );
            c = (c / 2.0).max(1.0);
            oct
        })
        .collect()
}

/// Integer fractal value noise at columns `xs` × rows `ys`: the weighted sum of
/// [`fractal_octaves16`], in [0, 65535 · (2^octaves − 1)] (callers fold the normalisation into
/// their own integer mapping, so no pixel pays a division).
pub fn fractal_sum16(seed: u64, xs: &[u32], ys: &[u32], cell: f64, octaves: u32) -> Vec<u32> {
    let mut out = vec![0u32; xs.len() * ys.len()];
    for o in fractal_octaves16(seed, xs, ys, cell, octaves) {
        o.add_to(&mut out);
    }
    out
}

/// Exact `n / d` for `n < 2^28` by a multiply and a shift (a per-pixel hardware division
/// costs more than the rest of a background pixel): `m = ⌈2^k / d⌉` with
/// `k = 28 + ⌈log2 d⌉` makes `⌊n·m / 2^k⌋ = ⌊n / d⌋` for every such `n`.
#[derive(Clone, Copy, Debug)]
pub struct Divisor {
    pub d: u32,
    m: u64,
    k: u32,
}

impl Divisor {
    pub const MAX_DIVIDEND: u32 = 1 << 28;

    pub fn new(d: u32) -> Divisor {
        assert!(d > 0);
        let k = 28 + (32 - (d - 1).leading_zeros());
        let m = (1u64 << k).div_ceil(u64::from(d));
        Divisor { d, m, k }
    }

    #[inline(always)]
    pub fn div(&self, n: u32) -> u32 {
        debug_assert!(n < Self::MAX_DIVIDEND);
        ((u64::from(n) * self.m) >> self.k) as u32
    }
}

/// The mixed seed [`row_bytes`] starts row `y` from.
pub fn row_seed(seed: u64, y: u32) -> u64 {
    mix64(seed ^ (u64::from(y) << 32 | 0x5EED))
}

/// Uniform random bytes for pixel row `y`: a counter-based hash seeds each row, a cheap
/// generator runs along it, so rows are independent of each other and of thread order.
pub fn row_bytes(seed: u64, y: u32, out: &mut [u8]) {
    let mut state = row_seed(seed, y);
    for chunk in out.chunks_mut(8) {
        // wyrand step: one multiply per eight bytes.
        state = state.wrapping_add(0xA076_1D64_78BD_642F);
        let t = u128::from(state) * u128::from(state ^ 0xE703_7ED1_A0B4_28DB);
        let r = ((t >> 64) as u64) ^ (t as u64);
        chunk.copy_from_slice(&r.to_le_bytes()[..chunk.len()]);
    }
}

/// Gaussian noise for one random byte: entry `i` is the `(i + ½)/256` quantile of a sum of
/// four uniform bytes (a close approximation of a normal distribution), standardised, in
/// 1/256 units. One byte per value instead of four keeps image noise cheap.
pub static GAUSSIAN: std::sync::LazyLock<[i32; 256]> = std::sync::LazyLock::new(|| {
    // Distribution of the sum of four uniform bytes (0..=1020), by repeated convolution.
    let mut pmf = vec![1u64; 256];
    for _ in 0..3 {
        let mut next = vec![0u64; pmf.len() + 255];
        for (s, p) in pmf.iter().enumerate() {
            for n in &mut next[s..s + 256] {
                *n += p;
            }
        }
        pmf = next;
    }
    // Standard deviation of the sum: sqrt(4 · (256² − 1) / 12).
    let sd = (4.0 * (65536.0 - 1.0) / 12.0f64).sqrt();
    let mut table = [0i32; 256];
    let (mut cdf, mut s) = (0u64, 0usize);
    for (i, t) in table.iter_mut().enumerate() {
        // Total mass is 2^32; the quantile (2i + 1)/512.
        let target = (2 * i as u64 + 1) << 23;
        while cdf + pmf[s] < target {
            cdf += pmf[s];
            s += 1;
        }
        *t = ((s as f64 - 510.0) / sd * 256.0).round() as i32;
    }
    table
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_smooth_bounded_and_reproducible() {
        let a = fractal_field(7, 97, 53, 24.0, 4);
        assert_eq!(a, fractal_field(7, 97, 53, 24.0, 4));
        assert_ne!(a, fractal_field(8, 97, 53, 24.0, 4));
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
        // Neighbours differ little (smooth), the field as a whole varies.
        let max_step = a
            .chunks_exact(97)
            .flat_map(|r| r.windows(2).map(|w| (w[0] - w[1]).abs()))
            .fold(0f32, f32::max);
        let (lo, hi) = a
            .iter()
            .fold((1f32, 0f32), |(l, h), v| (l.min(*v), h.max(*v)));
        assert!(max_step < 0.2, "{max_step}");
        assert!(hi - lo > 0.2, "{lo}..{hi}");
    }

    // One octave as first written (a lattice-cell lookup per pixel): what the run-wise
    // version must match.
    fn reference_add_value_noise(
        out: &mut [f32],
        (width, height): (u32, u32),
        seed: u64,
        (cell_x, cell_y): (f64, f64),
        amp: f32,
    ) {
        debug_assert_eq!(out.len(), (width * height) as usize);
        let xs = axis(width, cell_x);
        let ys = axis(height, cell_y);
        let cols = xs.last().map_or(0, |x| x.0) + 2;
        let rows = ys.last().map_or(0, |y| y.0) + 2;
        let grid: Vec<f32> = (0..rows)
            .flat_map(|j| (0..cols).map(move |i| lattice(seed, i as i64, j as i64)))
            .collect();
        let mut blended = vec![0f32; cols];
        for (row, &(j, sy)) in out.chunks_exact_mut(width as usize).zip(&ys) {
            let (top, bottom) = (&grid[j * cols..][..cols], &grid[(j + 1) * cols..][..cols]);
            for ((b, t), u) in blended.iter_mut().zip(top).zip(bottom) {
                *b = t + (u - t) * sy;
            }
            for (o, &(i, sx)) in row.iter_mut().zip(&xs) {
                let (a, b) = (blended[i], blended[i + 1]);
                *o += amp * (a + (b - a) * sx);
            }
        }
    }

    #[test]
    fn runs_of_lattice_cells_match_the_per_pixel_reference() {
        for (w, h, cell) in [
            (1, 1, (1.0, 1.0)),
            (37, 9, (0.6, 2.5)),
            (97, 53, (12.0, 2.0)),
        ] {
            for amp in [1.0, 0.35] {
                let (mut fast, mut slow) = (vec![0.25f32; w * h], vec![0.25f32; w * h]);
                add_value_noise(&mut fast, (w as u32, h as u32), 9, cell, amp);
                reference_add_value_noise(&mut slow, (w as u32, h as u32), 9, cell, amp);
                assert_eq!(fast, slow, "{w}×{h}, cell {cell:?}");
            }
        }
    }

    #[test]
    fn octave_passes_through_lattice_values() {
        let mut out = vec![0f32; 40 * 20];
        add_value_noise(&mut out, (40, 20), 3, (10.0, 5.0), 1.0);
        assert_eq!(out[0], lattice(3, 0, 0));
        assert_eq!(out[10 * 40 + 30], lattice(3, 3, 2));
    }

    #[test]
    fn divisor_is_exact_division() {
        let mut rng = crate::rng::Rng::new(5);
        for d in [
            1,
            2,
            3,
            7,
            15,
            255,
            65535,
            65535 * 15,
            65535 * 7,
            1 << 27,
            (1 << 28) - 1,
        ] {
            let div = Divisor::new(d);
            let edges = [0, 1, d - 1, d, d + 1, Divisor::MAX_DIVIDEND - 1];
            let random = (0..2000).map(|_| rng.below(u64::from(Divisor::MAX_DIVIDEND)) as u32);
            for n in edges
                .into_iter()
                .filter(|n| *n < Divisor::MAX_DIVIDEND)
                .chain(random)
            {
                assert_eq!(div.div(n), n / d, "{n} / {d}");
            }
        }
    }

    #[test]
    fn integer_fields_are_smooth_bounded_and_pass_through_the_lattice() {
        let (xs, ys): (Vec<u32>, Vec<u32>) = ((0..97).collect(), (0..53).collect());
        let a = fractal_sum16(7, &xs, &ys, 24.0, 4);
        assert_eq!(a, fractal_sum16(7, &xs, &ys, 24.0, 4));
        assert_ne!(a, fractal_sum16(8, &xs, &ys, 24.0, 4));
        assert!(a.iter().all(|v| *v <= 65535 * 15));
        let max_step = a
            .chunks_exact(97)
            .flat_map(|r| r.windows(2).map(|w| w[0].abs_diff(w[1])))
            .max()
            .unwrap();
        let (lo, hi) = (a.iter().min().unwrap(), a.iter().max().unwrap());
        assert!(max_step < 65535 * 15 / 5, "{max_step}");
        assert!(hi - lo > 65535 * 15 / 5, "{lo}..{hi}");
        let mut one = vec![0u32; 97 * 53];
        Octave16::new(3, &xs, &ys, (10.0, 5.0), 0).add_to(&mut one);
        assert_eq!(one[0], lattice16(3, 0, 0));
        assert_eq!(one[10 * 97 + 30], lattice16(3, 3, 2));
    }

    #[test]
    fn gaussian_table_is_standard_normal() {
        let t = &*GAUSSIAN;
        let mean = t.iter().map(|v| f64::from(*v)).sum::<f64>() / 256.0 / 256.0;
        let var = t
            .iter()
            .map(|v| (f64::from(*v) / 256.0).powi(2))
            .sum::<f64>()
            / 256.0;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var.sqrt() - 1.0).abs() < 0.05, "{}", var.sqrt());
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(t[0], -t[255]);
        // Tails reach about ±2.9σ (the 1/512 quantile).
        assert!(t[0] < -2 * 256 && t[0] > -3 * 256, "{}", t[0]);
    }

    #[test]
    fn row_bytes_are_reproducible_and_uniform_enough() {
        let (mut a, mut b) = (vec![0u8; 1000], vec![0u8; 1000]);
        row_bytes(1, 5, &mut a);
        row_bytes(1, 5, &mut b);
        assert_eq!(a, b);
        row_bytes(1, 6, &mut b);
        assert_ne!(a, b);
        let mean = a.iter().map(|v| f64::from(*v)).sum::<f64>() / 1000.0;
        assert!((mean - 127.5).abs() < 10.0, "{mean}");
    }
}
