//! Blur: three passes of a box blur approximate a gaussian in O(1) per pixel whatever the radius.
//!
//! Integer sliding sums make the result identical on every machine. Used on alpha planes (text
//! shadows and glows — blurring one plane instead of RGBA is the cheap part of those looks) and
//! on whole images (the blur effect).

/// Box radius whose three passes approximate a gaussian of `sigma` pixels (0 = no blur).
pub fn radius_for_sigma(sigma: f64) -> usize {
    if sigma <= 0.0 {
        0
    } else {
        // Three passes of radius r have variance r(r + 1).
        ((0.25 + sigma * sigma).sqrt() - 0.5).round().max(1.0) as usize
    }
}

crate::simd::avx2_dispatch! {
/// Blurs an interleaved image of `channels` bytes per pixel in place: three horizontal and three
/// vertical box passes of `radius`, with edges clamped. `channels` is 1, 3 or 4.
pub fn gaussian_like(data: &mut [u8], width: usize, height: usize, channels: usize, radius: usize) {
    if radius == 0 || width == 0 || height == 0 {
        return;
    }
    debug_assert_eq!(data.len(), width * height * channels);
    let div = Divider::new(2 * radius + 1);
    let mut padded = vec![0u8; (width + 2 * radius + 2) * channels];
    let mut prefix = vec![0u32; padded.len() + channels];
    for row in data.chunks_exact_mut(width * channels) {
        for _ in 0..3 {
            match channels {
                1 => box_row::<1>(row, &mut padded, &mut prefix, radius, div),
                3 => box_row::<3>(row, &mut padded, &mut prefix, radius, div),
                4 => box_row::<4>(row, &mut padded, &mut prefix, radius, div),
                _ => unimplemented!("{channels} channels"),
            }
        }
    }
    let mut src = vec![0u8; data.len()];
    let mut sums = vec![0u32; width * channels];
    for _ in 0..3 {
        box_columns(
            data,
            &mut src,
            &mut sums,
            width * channels,
            height,
            radius,
            div,
        );
    }
}
}

/// Rounded division of a window sum by the window size, as a multiply and a shift (a division
/// per pixel would dominate the blur). Exact for every sum of up to 2²⁴ / window 8-bit values.
#[derive(Clone, Copy)]
pub(crate) struct Divider {
    half: u32,
    recip: u64,
    /// For windows below 128: the same rounded division in 32-bit arithmetic, `(mul, shift)`,
    /// which a whole row of sums can do in SIMD lanes (a 64-bit multiply does not vectorise).
    narrow: Option<(u32, u32)>,
}

impl Divider {
    pub(crate) fn new(window: usize) -> Divider {
        let w = window as u64;
        // Granlund–Montgomery: with l = ⌈log₂ w⌉ and m = ⌊2^(15+l) / w⌋ + 1, ⌊n·m / 2^(15+l)⌋
        // = ⌊n / w⌋ for every n < 2^15, and n·m < 2^32. Rounded window sums are below
        // 256·w ≤ 2^15 for w < 128.
        let narrow = (window < 128).then(|| {
            let shift = 15 + w.next_power_of_two().trailing_zeros();
            (((1u64 << shift) / w + 1) as u32, shift)
        });
        Divider {
            half: (w / 2) as u32,
            recip: (1u64 << 32).div_ceil(w),
            narrow,
        }
    }

    #[inline(always)]
    fn div(self, sum: u32) -> u8 {
        (((u64::from(sum + self.half)) * self.recip) >> 32) as u8
    }

    /// `out[i] = div(sums[i])` for a whole row.
    #[inline(always)]
    pub(crate) fn div_row(self, sums: &[u32], out: &mut [u8]) {
        match self.narrow {
            Some((mul, shift)) => {
                for (o, s) in out.iter_mut().zip(sums) {
                    *o = (((s + self.half) * mul) >> shift) as u8;
                }
            }
            None => {
                for (o, s) in out.iter_mut().zip(sums) {
                    *o = self.div(*s);
                }
            }
        }
    }

    /// `out[i] = div(hi[i] − lo[i])` for a whole row (window sums as prefix-sum differences).
    #[inline(always)]
    fn div_diff_row(self, hi: &[u32], lo: &[u32], out: &mut [u8]) {
        match self.narrow {
            Some((mul, shift)) => {
                for ((o, h), l) in out.iter_mut().zip(hi).zip(lo) {
                    *o = (((h - l + self.half) * mul) >> shift) as u8;
                }
            }
            None => {
                for ((o, h), l) in out.iter_mut().zip(hi).zip(lo) {
                    *o = self.div(h - l);
                }
            }
        }
    }
}

/// One horizontal box pass over a row of `C`-channel pixels. `padded` receives the row with
/// `radius + 1` edge pixels replicated on both sides and `prefix` its running sums per channel,
/// so every window sum is the difference of two prefix sums: the only sequential part is one
/// add per value, and the differences and divisions run in SIMD lanes.
#[inline(always)]
fn box_row<const C: usize>(
    row: &mut [u8],
    padded: &mut [u8],
    prefix: &mut [u32],
    radius: usize,
    div: Divider,
) {
    let len = row.len();
    let pad = (radius + 1) * C;
    let padded = &mut padded[..len + 2 * pad];
    padded[pad..pad + len].copy_from_slice(row);
    let (first, last) = (pad, pad + len - C);
    for i in 0..=radius {
        padded.copy_within(first..first + C, i * C);
        padded.copy_within(last..last + C, pad + len + i * C);
    }
    // prefix[p·C + c]: channel c summed over padded pixels 0..p.
    let prefix = &mut prefix[..padded.len() + C];
    let mut acc = [0u32; C];
    prefix[..C].copy_from_slice(&acc);
    for (p, v) in prefix[C..].chunks_exact_mut(C).zip(padded.chunks_exact(C)) {
        for ((a, p), v) in acc.iter_mut().zip(p).zip(v) {
            *a += u32::from(*v);
            *p = *a;
        }
    }
    // Window of source pixels x − radius ..= x = padded pixels x + 1 ..= x + 2·radius + 1.
    let (hi, lo) = (&prefix[(2 * radius + 2) * C..][..len], &prefix[C..][..len]);
    div.div_diff_row(hi, lo, row);
}

/// One vertical box pass, row by row with a running sum per column (cache-friendly); `src`
/// and `sums` are scratch buffers of the image's and a row's size.
#[inline(always)]
fn box_columns(
    data: &mut [u8],
    src: &mut [u8],
    sums: &mut [u32],
    stride: usize,
    height: usize,
    radius: usize,
    div: Divider,
) {
    src.copy_from_slice(data);
    let row = |y: isize| {
        let y = y.clamp(0, height as isize - 1) as usize;
        &src[y * stride..(y + 1) * stride]
    };
    let r = radius as isize;
    sums.fill(0);
    for y in -r..=r {
        for (s, v) in sums.iter_mut().zip(row(y)) {
            *s += u32::from(*v);
        }
    }
    for y in 0..height as isize {
        let out = &mut data[y as usize * stride..(y as usize + 1) * stride];
        div.div_row(sums, out);
        let (add, sub) = (row(y + r + 1), row(y - r));
        for ((s, a), b) in sums.iter_mut().zip(add).zip(sub) {
            *s = *s + u32::from(*a) - u32::from(*b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blur_spreads_a_point_symmetrically_and_keeps_flat_areas() {
        let (w, h) = (21, 21);
        let mut img = vec![0u8; w * h];
        img[10 * w + 10] = 255;
        let before: u32 = 255;
        gaussian_like(&mut img, w, h, 1, 2);
        assert!(img[10 * w + 10] < 255 && img[10 * w + 10] > 0);
        assert_eq!(img[10 * w + 8], img[10 * w + 12]);
        assert_eq!(img[8 * w + 10], img[12 * w + 10]);
        assert_eq!(img[10 * w + 8], img[8 * w + 10]);
        // Energy is roughly kept (rounding loses a little).
        let after: u32 = img.iter().map(|v| u32::from(*v)).sum();
        assert!(after.abs_diff(before) < 60, "{after}");
        let mut flat = vec![77u8; 5 * 4 * 3];
        gaussian_like(&mut flat, 5, 4, 3, 3);
        assert!(flat.iter().all(|v| *v == 77));
    }

    /// Straightforward clamped box passes, the definition the fast passes must match.
    fn reference(data: &[u8], w: usize, h: usize, ch: usize, r: usize) -> Vec<u8> {
        let mut img = data.to_vec();
        let win = (2 * r + 1) as u32;
        for vertical in [false, true] {
            for _ in 0..3 {
                let src = img.clone();
                for y in 0..h {
                    for x in 0..w {
                        for c in 0..ch {
                            let mut sum = 0u32;
                            for d in -(r as isize)..=r as isize {
                                let (sx, sy) = if vertical {
                                    (x as isize, (y as isize + d).clamp(0, h as isize - 1))
                                } else {
                                    ((x as isize + d).clamp(0, w as isize - 1), y as isize)
                                };
                                sum += u32::from(src[(sy as usize * w + sx as usize) * ch + c]);
                            }
                            img[(y * w + x) * ch + c] = ((sum + win / 2) / win) as u8;
                        }
                    }
                }
            }
        }
        img
    }

    #[test]
    fn fast_passes_match_the_reference() {
        let (w, h) = (23, 11);
        for (ch, r) in [(1, 1), (3, 2), (1, 7), (3, 15)] {
            let data: Vec<u8> = (0..w * h * ch).map(|i| (i * 97 % 251) as u8).collect();
            let mut fast = data.clone();
            gaussian_like(&mut fast, w, h, ch, r);
            assert_eq!(
                fast,
                reference(&data, w, h, ch, r),
                "channels {ch}, radius {r}"
            );
        }
    }

    #[test]
    fn simd_and_baseline_builds_agree_with_the_reference() {
        // Widths around the lane counts, one- and three-channel, small and large radii.
        for (i, (w, h, ch, r)) in [
            (1, 1, 1, 1),
            (7, 5, 3, 1),
            (15, 9, 1, 2),
            (17, 4, 3, 3),
            (33, 31, 3, 2),
            (64, 3, 4, 5),
            (37, 40, 1, 70),
        ]
        .into_iter()
        .enumerate()
        {
            let data = crate::simd::random_bytes(i as u64, w * h * ch);
            let (mut fast, mut base) = (data.clone(), data.clone());
            gaussian_like(&mut fast, w, h, ch, r);
            crate::simd::with_baseline(|| gaussian_like(&mut base, w, h, ch, r));
            let want = reference(&data, w, h, ch, r);
            assert_eq!(fast, want, "{w}×{h}×{ch}, radius {r}");
            assert_eq!(base, want, "{w}×{h}×{ch}, radius {r} (baseline)");
        }
    }

    #[test]
    fn divider_rounds_like_division() {
        for window in (1..=129).chain([201, 1001]) {
            let d = Divider::new(window);
            assert_eq!(d.narrow.is_some(), window < 128);
            let sums: Vec<u32> = (0..=255 * window as u32).collect();
            let mut row = vec![0u8; sums.len()];
            d.div_row(&sums, &mut row);
            for (&sum, &by_row) in sums.iter().zip(&row) {
                let exact = (sum + window as u32 / 2) / window as u32;
                assert_eq!(u32::from(d.div(sum)), exact, "window {window}, sum {sum}");
                assert_eq!(u32::from(by_row), exact, "window {window}, sum {sum} (row)");
            }
        }
    }

    #[test]
    fn radius_follows_sigma() {
        assert_eq!(radius_for_sigma(0.0), 0);
        assert_eq!(radius_for_sigma(0.3), 1);
        assert_eq!(radius_for_sigma(3.0), 3);
        assert_eq!(radius_for_sigma(10.0), 10);
    }
}
