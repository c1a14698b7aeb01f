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

/// Blurs an interleaved image of `channels` bytes per pixel in place: three horizontal and three
/// vertical box passes of `radius`, with edges clamped.
pub fn gaussian_like(data: &mut [u8], width: usize, height: usize, channels: usize, radius: usize) {
    if radius == 0 || width == 0 || height == 0 {
        return;
    }
    debug_assert_eq!(data.len(), width * height * channels);
    let div = Divider::new(2 * radius + 1);
    let mut line = vec![0u8; (width + 2 * radius + 2) * channels];
    for row in data.chunks_exact_mut(width * channels) {
        for _ in 0..3 {
            box_row(row, &mut line, channels, radius, div);
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

/// Rounded division of a window sum by the window size, as a multiply and a shift (a division
/// per pixel would dominate the blur). Exact for every sum of up to 2²⁴ / window 8-bit values.
#[derive(Clone, Copy)]
struct Divider {
    half: u64,
    recip: u64,
}

impl Divider {
    fn new(window: usize) -> Divider {
        let w = window as u64;
        Divider {
            half: w / 2,
            recip: (1u64 << 32).div_ceil(w),
        }
    }

    #[inline]
    fn div(self, sum: u32) -> u8 {
        (((u64::from(sum) + self.half) * self.recip) >> 32) as u8
    }
}

/// One horizontal box pass over a row; `scratch` holds the row with `radius + 1` edge
/// pixels replicated on both sides, so the sliding sum needs no clamping.
fn box_row(row: &mut [u8], scratch: &mut [u8], channels: usize, radius: usize, div: Divider) {
    let n = row.len() / channels;
    let pad = (radius + 1) * channels;
    scratch[pad..pad + row.len()].copy_from_slice(row);
    for i in 0..=radius {
        let (l, r) = (i * channels, pad + row.len() + i * channels);
        scratch.copy_within(pad..pad + channels, l);
        scratch.copy_within(pad + row.len() - channels..pad + row.len(), r);
    }
    for c in 0..channels {
        // Window of source pixels x − radius ..= x; scratch index of pixel p is p + radius + 1.
        let at = |p: usize| u32::from(scratch[p * channels + c]);
        let mut sum: u32 = (1..=2 * radius + 1).map(at).sum();
        for x in 0..n {
            row[x * channels + c] = div.div(sum);
            sum += at(x + 2 * radius + 2);
            sum -= at(x + 1);
        }
    }
}

/// One vertical box pass, row by row with a running sum per column (cache-friendly); `src`
/// and `sums` are scratch buffers of the image's and a row's size.
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
        for (o, s) in out.iter_mut().zip(sums.iter()) {
            *o = div.div(*s);
        }
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
    fn divider_rounds_like_division() {
        for window in [1, 3, 5, 7, 21, 41, 201] {
            let d = Divider::new(window);
            for sum in 0..=255 * window as u32 {
                let exact = (sum + window as u32 / 2) / window as u32;
                assert_eq!(u32::from(d.div(sum)), exact, "window {window}, sum {sum}");
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
