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
    let mut line = vec![0u8; width.max(height) * channels];
    for _ in 0..3 {
        for row in data.chunks_exact_mut(width * channels) {
            box_row(row, &mut line[..width * channels], channels, radius);
        }
    }
    for _ in 0..3 {
        box_columns(data, width, height, channels, radius);
    }
}

/// One horizontal box pass over a row; `scratch` is a row-sized buffer.
fn box_row(row: &mut [u8], scratch: &mut [u8], channels: usize, radius: usize) {
    let n = row.len() / channels;
    let window = (2 * radius + 1) as u32;
    let last = n as isize - 1;
    scratch.copy_from_slice(row);
    for c in 0..channels {
        let at = |i: isize| u32::from(scratch[i.clamp(0, last) as usize * channels + c]);
        let r = radius as isize;
        let mut sum: u32 = (-r..=r).map(at).sum();
        for x in 0..n as isize {
            row[x as usize * channels + c] = ((sum + window / 2) / window) as u8;
            sum += at(x + r + 1);
            sum -= at(x - r);
        }
    }
}

/// One vertical box pass, row by row with a running sum per column (cache-friendly).
fn box_columns(data: &mut [u8], width: usize, height: usize, channels: usize, radius: usize) {
    let stride = width * channels;
    let window = (2 * radius + 1) as u32;
    let src = data.to_vec();
    let row = |y: isize| {
        let y = y.clamp(0, height as isize - 1) as usize;
        &src[y * stride..(y + 1) * stride]
    };
    let r = radius as isize;
    let mut sums = vec![0u32; stride];
    for y in -r..=r {
        for (s, v) in sums.iter_mut().zip(row(y)) {
            *s += u32::from(*v);
        }
    }
    for y in 0..height as isize {
        let out = &mut data[y as usize * stride..(y as usize + 1) * stride];
        for (o, s) in out.iter_mut().zip(&sums) {
            *o = ((s + window / 2) / window) as u8;
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

    #[test]
    fn radius_follows_sigma() {
        assert_eq!(radius_for_sigma(0.0), 0);
        assert_eq!(radius_for_sigma(0.3), 1);
        assert_eq!(radius_for_sigma(3.0), 3);
        assert_eq!(radius_for_sigma(10.0), 10);
    }
}
