//! Composite: puts coloured text layers onto the background.
//!
//! The CPU kernel of the painter's layer step (see `crate::paint`): a layer's coverage, warped
//! to the canvas, blends its paint in. Blending is integer arithmetic on 8-bit values, so
//! results are bit-identical on every machine.

use image::RgbImage;

use crate::geometry::{Homography, Point};
use crate::recipe::BlendMode;
use crate::render::AlphaLayer;
use crate::warp::{warp_alpha, WarpedAlpha};

/// What a layer is painted with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Paint {
    Solid([u8; 3]),
    /// A linear gradient from `c0` at canvas point `p0` to `c1` at `p1`.
    Linear {
        p0: Point,
        p1: Point,
        c0: [u8; 3],
        c1: [u8; 3],
    },
}

/// One layer to put on the canvas.
pub struct TextLayer<'a> {
    pub alpha: &'a AlphaLayer,
    /// Layer pixel coordinates → canvas pixel coordinates.
    pub to_canvas: Homography,
    pub paint: Paint,
    /// 255 = opaque.
    pub opacity: u8,
    pub blend: BlendMode,
}

/// Draws `layers` in order onto `canvas`: bilinear inverse warp, then "over" or multiply.
pub fn composite(canvas: &mut RgbImage, layers: &[TextLayer<'_>]) {
    for layer in layers {
        let warped = warp_alpha(
            layer.alpha,
            &layer.to_canvas,
            canvas.width(),
            canvas.height(),
        );
        blend(canvas, &warped, layer.paint, layer.opacity, layer.blend);
    }
}

/// Blends `paint` through a canvas-space alpha box.
pub fn blend(
    canvas: &mut RgbImage,
    warped: &WarpedAlpha,
    paint: Paint,
    opacity: u8,
    mode: BlendMode,
) {
    let width = canvas.width();
    let buf: &mut [u8] = canvas.as_mut();
    let opacity = u32::from(opacity);
    let (p0, p1, c0, c1) = match paint {
        Paint::Solid(color) => return blend_solid(buf, width, warped, color, opacity, mode),
        Paint::Linear { p0, p1, c0, c1 } => (p0, p1, c0, c1),
    };
    // Gradient: position along p0→p1 as a 0..=256 weight, from canvas pixel centres.
    let (dx, dy) = (p1.x - p0.x, p1.y - p0.y);
    let len2 = (dx * dx + dy * dy).max(1e-9);
    let (gx, gy) = (dx / len2, dy / len2);
    for row in 0..warped.height {
        let y = warped.y0 + row;
        let src = &warped.data[(row * warped.width) as usize..((row + 1) * warped.width) as usize];
        let start = ((y * width + warped.x0) * 3) as usize;
        let dst = &mut buf[start..start + 3 * warped.width as usize];
        for (col, (px, &a)) in dst.chunks_exact_mut(3).zip(src).enumerate() {
            if a == 0 {
                continue;
            }
            let cx = f64::from(warped.x0) + col as f64 + 0.5 - p0.x;
            let cy = f64::from(y) + 0.5 - p0.y;
            let t = ((cx * gx + cy * gy).clamp(0.0, 1.0) * 256.0) as u32;
            let color = [0, 1, 2]
                .map(|i| ((u32::from(c0[i]) * (256 - t) + u32::from(c1[i]) * t + 128) >> 8) as u8);
            let a = (u32::from(a) * opacity + 127) / 255;
            for ch in 0..3 {
                let bg = u32::from(px[ch]);
                let ink = match mode {
                    BlendMode::Normal => u32::from(color[ch]),
                    BlendMode::Multiply => (bg * u32::from(color[ch]) + 127) / 255,
                };
                px[ch] = ((bg * (255 - a) + ink * a + 127) / 255) as u8;
            }
        }
    }
}

/// [`blend`] for a solid paint, row by row in SIMD lanes: every pixel is blended, transparent
/// ones included (they come out unchanged: `(bg · 255 + 127) / 255 = bg`).
fn blend_solid(
    buf: &mut [u8],
    width: u32,
    warped: &WarpedAlpha,
    color: [u8; 3],
    opacity: u32,
    mode: BlendMode,
) {
    let n = warped.width as usize;
    let ink: Vec<u32> = (0..3 * n).map(|i| u32::from(color[i % 3])).collect();
    let mut alpha = vec![0u32; 3 * n];
    for (row, src) in warped.data.chunks_exact(n.max(1)).enumerate() {
        if src.iter().all(|a| *a == 0) {
            continue;
        }
        for (a3, &a) in alpha.chunks_exact_mut(3).zip(src) {
            a3.fill((u32::from(a) * opacity + 127) / 255);
        }
        let start = (((warped.y0 + row as u32) * width + warped.x0) * 3) as usize;
        let dst = &mut buf[start..start + 3 * n];
        blend_solid_row(dst, &alpha, &ink, mode == BlendMode::Multiply);
    }
}

crate::simd::avx2_dispatch! {
/// One row of [`blend_solid`]: per value, its alpha and ink (both 0..=255).
fn blend_solid_row(dst: &mut [u8], alpha: &[u32], ink: &[u32], multiply: bool) {
    if multiply {
        for ((px, a), c) in dst.iter_mut().zip(alpha).zip(ink) {
            let bg = u32::from(*px);
            let ink = div255(bg * c + 127);
            *px = div255(bg * (255 - a) + ink * a + 127) as u8;
        }
    } else {
        for ((px, a), c) in dst.iter_mut().zip(alpha).zip(ink) {
            let bg = u32::from(*px);
            *px = div255(bg * (255 - a) + c * a + 127) as u8;
        }
    }
}
}

/// `x / 255` for `x < 2¹⁶` as a multiply and a shift (the form that vectorises).
#[inline(always)]
fn div255(x: u32) -> u32 {
    (x * 0x8081) >> 23
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div255_is_division_below_two_to_the_sixteen() {
        for x in 0..1u32 << 16 {
            assert_eq!(div255(x), x / 255, "{x}");
        }
    }

    #[test]
    fn solid_rows_match_per_pixel_blending_in_both_builds() {
        // The per-pixel formula of the gradient path, with a constant colour.
        fn reference(canvas: &mut RgbImage, w: &WarpedAlpha, c: [u8; 3], op: u32, m: BlendMode) {
            for row in 0..w.height {
                for col in 0..w.width {
                    let a = u32::from(w.data[(row * w.width + col) as usize]);
                    let a = (a * op + 127) / 255;
                    let px = canvas.get_pixel_mut(w.x0 + col, w.y0 + row);
                    for (v, ink) in px.0.iter_mut().zip(c.map(u32::from)) {
                        let bg = u32::from(*v);
                        let ink = match m {
                            BlendMode::Normal => ink,
                            BlendMode::Multiply => (bg * ink + 127) / 255,
                        };
                        *v = ((bg * (255 - a) + ink * a + 127) / 255) as u8;
                    }
                }
            }
        }
        for (i, (ww, wh)) in [(1, 1), (7, 3), (8, 2), (33, 9)].into_iter().enumerate() {
            let bytes = crate::simd::random_bytes(i as u64, 40 * 20 * 3);
            let canvas = RgbImage::from_raw(40, 20, bytes).unwrap();
            let mut data = crate::simd::random_bytes(100 + i as u64, (ww * wh) as usize);
            data[0] = 0;
            let warped = WarpedAlpha {
                x0: 3,
                y0: 5,
                width: ww,
                height: wh,
                data,
            };
            for (mode, op) in [(BlendMode::Normal, 255), (BlendMode::Multiply, 200)] {
                let c = [250, 7, 128];
                let mut want = canvas.clone();
                reference(&mut want, &warped, c, op, mode);
                let mut fast = canvas.clone();
                blend(&mut fast, &warped, Paint::Solid(c), op as u8, mode);
                let mut base = canvas.clone();
                crate::simd::with_baseline(|| {
                    blend(&mut base, &warped, Paint::Solid(c), op as u8, mode)
                });
                assert_eq!(fast, want, "{ww}×{wh} {mode:?}");
                assert_eq!(base, want, "{ww}×{wh} {mode:?} (baseline)");
            }
        }
    }

    #[test]
    fn opaque_and_half_coverage_blend() {
        let mut canvas = RgbImage::from_pixel(4, 4, image::Rgb([200, 100, 0]));
        let alpha = AlphaLayer {
            width: 2,
            height: 1,
            data: vec![255, 128],
        };
        let layer = TextLayer {
            alpha: &alpha,
            to_canvas: Homography::translate(1.0, 2.0),
            paint: Paint::Solid([0, 0, 255]),
            opacity: 255,
            blend: BlendMode::Normal,
        };
        composite(&mut canvas, &[layer]);
        assert_eq!(canvas.get_pixel(1, 2).0, [0, 0, 255]);
        assert_eq!(canvas.get_pixel(2, 2).0, [100, 50, 128]);
        assert_eq!(canvas.get_pixel(0, 0).0, [200, 100, 0]);
    }

    #[test]
    fn multiply_darkens_and_gradients_interpolate() {
        let alpha = AlphaLayer {
            width: 4,
            height: 1,
            data: vec![255; 4],
        };
        let mut canvas = RgbImage::from_pixel(4, 1, image::Rgb([200, 100, 50]));
        let layer = TextLayer {
            alpha: &alpha,
            to_canvas: Homography::IDENTITY,
            paint: Paint::Solid([128, 255, 0]),
            opacity: 255,
            blend: BlendMode::Multiply,
        };
        composite(&mut canvas, &[layer]);
        assert_eq!(canvas.get_pixel(0, 0).0, [100, 100, 0]);

        let mut canvas = RgbImage::from_pixel(4, 1, image::Rgb([0, 0, 0]));
        let layer = TextLayer {
            alpha: &alpha,
            to_canvas: Homography::IDENTITY,
            paint: Paint::Linear {
                p0: Point::new(0.0, 0.0),
                p1: Point::new(4.0, 0.0),
                c0: [0, 0, 0],
                c1: [255, 255, 255],
            },
            opacity: 128,
            blend: BlendMode::Normal,
        };
        composite(&mut canvas, &[layer]);
        let row: Vec<u8> = (0..4).map(|x| canvas.get_pixel(x, 0).0[0]).collect();
        assert!(row.windows(2).all(|w| w[0] < w[1]), "{row:?}");
        assert!(
            row[3] <= 128,
            "half opacity caps the brightest pixel: {row:?}"
        );
    }
}
