//! Warp: where a text layer lands on the canvas, as one homography, and the pixel resampling.
//!
//! The same homography moves pixels (here, by inverse mapping with bilinear sampling) and every
//! character and line quad (in the scene), so labels follow the ink exactly.

use image::RgbImage;

use crate::geometry::{is_convex, Homography, Point, Quad, Rect};
use crate::recipe::WarpConfig;
use crate::render::AlphaLayer;
use crate::rng::Rng;

/// The shape a layer of size `w × h` takes before translation: rotation about its centre and,
/// with the configured probability, a random perspective (corner jitter). Returns the quad the
/// layer's corners map to, centred on the origin, and the warp strength used (0 = none).
pub fn random_shape(w: f64, h: f64, cfg: &WarpConfig, rng: &mut Rng) -> (Quad, f64, f64) {
    let angle = rng
        .range_f64(cfg.rotation.min, cfg.rotation.max)
        .to_radians();
    let perspective = rng.chance(cfg.probability.0);
    let strength = if perspective {
        rng.range_f64(cfg.strength.min, cfg.strength.max)
    } else {
        0.0
    };
    let base = Rect::new(-w / 2.0, -h / 2.0, w / 2.0, h / 2.0).quad();
    let (sin, cos) = angle.sin_cos();
    for _ in 0..16 {
        let quad = base.map(|p| {
            // Jitter each axis relative to the block's extent on that axis, so a thin line
            // tilts in perspective without collapsing.
            let jx = rng.range_f64(-strength, strength) * w;
            let jy = rng.range_f64(-strength, strength) * h;
            let (x, y) = (p.x + jx, p.y + jy);
            Point::new(x * cos - y * sin, x * sin + y * cos)
        });
        if is_convex(&quad) {
            return (quad, strength, angle.to_degrees());
        }
    }
    let quad = base.map(|p| Point::new(p.x * cos - p.y * sin, p.x * sin + p.y * cos));
    (quad, 0.0, angle.to_degrees())
}

/// A layer resampled into canvas space: the covered box and its alpha.
#[derive(Clone, Debug)]
pub struct WarpedAlpha {
    pub x0: u32,
    pub y0: u32,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// Maps `layer` onto a `canvas_w × canvas_h` canvas with `to_canvas` (layer pixel coordinates
/// → canvas pixel coordinates). Only the bounding box of the warped layer is visited.
pub fn warp_alpha(
    layer: &AlphaLayer,
    to_canvas: &Homography,
    canvas_w: u32,
    canvas_h: u32,
) -> WarpedAlpha {
    let corners = Rect::new(0.0, 0.0, f64::from(layer.width), f64::from(layer.height)).quad();
    let bb = Rect::of_points(to_canvas.apply_quad(&corners).iter());
    let x0 = bb.x0.floor().max(0.0) as i64;
    let y0 = bb.y0.floor().max(0.0) as i64;
    let x1 = (bb.x1.ceil() as i64).min(i64::from(canvas_w));
    let y1 = (bb.y1.ceil() as i64).min(i64::from(canvas_h));
    if x1 <= x0 || y1 <= y0 {
        return WarpedAlpha {
            x0: 0,
            y0: 0,
            width: 0,
            height: 0,
            data: Vec::new(),
        };
    }
    let (w, h) = ((x1 - x0) as u32, (y1 - y0) as u32);
    let inv = to_canvas.inverse().expect("warps are invertible").0;
    let mut data = vec![0u8; (w * h) as usize];
    let affine = inv[6] == 0.0 && inv[7] == 0.0 && inv[8] == 1.0;
    let reach = ink_reach(layer, to_canvas);
    for (row, out) in data.chunks_exact_mut(w as usize).enumerate() {
        let cy = (y0 + row as i64) as f64 + 0.5;
        let cx = x0 as f64 + 0.5;
        // Columns outside the span stay 0: every bilinear tap there lies outside the layer.
        let (c0, c1) = reach
            .as_ref()
            .map_or((0, out.len()), |q| row_span(q, cy, x0, out.len()));
        if affine {
            // Source position (relative to source pixel centres) in 16.16 fixed point,
            // stepped along the row.
            let fixed = |v: f64| (v * 65536.0).round() as i64;
            let sx = fixed(inv[0] * cx + inv[1] * cy + inv[2] - 0.5);
            let sy = fixed(inv[3] * cx + inv[4] * cy + inv[5] - 0.5);
            let (dx, dy) = (fixed(inv[0]), fixed(inv[3]));
            for (col, o) in out.iter_mut().enumerate().take(c1).skip(c0) {
                let (px, py) = (sx + dx * col as i64, sy + dy * col as i64);
                *o = sample_fixed(layer, px, py);
            }
        } else {
            // Homogeneous source coordinates, stepped along the row (running sums, so the
            // columns before the span are stepped too); one division per pixel.
            let mut nx = inv[0] * cx + inv[1] * cy + inv[2];
            let mut ny = inv[3] * cx + inv[4] * cy + inv[5];
            let mut wz = inv[6] * cx + inv[7] * cy + inv[8];
            for _ in 0..c0 {
                nx += inv[0];
                ny += inv[3];
                wz += inv[6];
            }
            if layer.width >= 1 << 14 || layer.height >= 1 << 14 {
                // Too wide for the 32-bit positions of `project_row` (never drawn in practice).
                for o in &mut out[c0..c1] {
                    let (px, py) = (to_fixed(nx / wz - 0.5), to_fixed(ny / wz - 0.5));
                    *o = sample_fixed(layer, px, py);
                    nx += inv[0];
                    ny += inv[3];
                    wz += inv[6];
                }
                continue;
            }
            // In chunks: the running sums stay sequential, the divisions run in lanes.
            const CHUNK: usize = 32;
            let (mut xs, mut ys, mut ws) = ([0.0; CHUNK], [0.0; CHUNK], [0.0; CHUNK]);
            let (mut pxs, mut pys) = ([0i32; CHUNK], [0i32; CHUNK]);
            for chunk in out[c0..c1].chunks_mut(CHUNK) {
                let n = chunk.len();
                for k in 0..n {
                    (xs[k], ys[k], ws[k]) = (nx, ny, wz);
                    nx += inv[0];
                    ny += inv[3];
                    wz += inv[6];
                }
                project_row(&xs[..n], &ws[..n], &mut pxs[..n]);
                project_row(&ys[..n], &ws[..n], &mut pys[..n]);
                for (k, o) in chunk.iter_mut().enumerate() {
                    *o = sample_fixed(layer, i64::from(pxs[k]), i64::from(pys[k]));
                }
            }
        }
    }
    WarpedAlpha {
        x0: x0 as u32,
        y0: y0 as u32,
        width: w,
        height: h,
        data,
    }
}

/// The canvas outline of everything a bilinear tap can reach: the layer grown by 1.5 source
/// pixels (a sample is non-zero only within 0.5 pixel of the layer), mapped to the canvas.
/// `None` when the map may fold that outline (its corners on both sides of the horizon): then
/// every column is visited.
fn ink_reach(layer: &AlphaLayer, to_canvas: &Homography) -> Option<Quad> {
    const GROW: f64 = 1.5;
    let grown = Rect::new(
        -GROW,
        -GROW,
        f64::from(layer.width) + GROW,
        f64::from(layer.height) + GROW,
    )
    .quad();
    let m = &to_canvas.0;
    let w = grown.map(|p| m[6] * p.x + m[7] * p.y + m[8]);
    let one_side = w.iter().all(|&v| v > 0.0) || w.iter().all(|&v| v < 0.0);
    let quad = to_canvas.apply_quad(&grown);
    (one_side && quad.iter().all(|p| p.x.is_finite() && p.y.is_finite())).then_some(quad)
}

/// Columns `[c0, c1)` of a canvas row (pixel centres at height `cy`, the row starting at canvas
/// column `x0`, `len` columns) where the row crosses the convex quad `reach`, widened by two
/// columns each side against rounding. Empty (`c0 == c1`) when the row misses it.
fn row_span(reach: &Quad, cy: f64, x0: i64, len: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..4 {
        let (p, q) = (reach[i], reach[(i + 1) % 4]);
        if (p.y - cy) * (q.y - cy) > 0.0 {
            continue; // the edge lies wholly above or below the row
        }
        let xs = if p.y == q.y {
            [p.x, q.x]
        } else {
            let x = p.x + (cy - p.y) * (q.x - p.x) / (q.y - p.y);
            [x, x]
        };
        for x in xs {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    if lo > hi {
        return (0, 0);
    }
    // Column c has its centre at x0 + c + 0.5.
    let first = (lo - x0 as f64 - 0.5).floor() - 2.0;
    let last = (hi - x0 as f64 - 0.5).ceil() + 3.0;
    let clamp = |v: f64| v.clamp(0.0, len as f64) as usize;
    (clamp(first), clamp(last))
}

crate::simd::avx2_dispatch! {
    /// `out[k] = to_fixed(n[k] / w[k] - 0.5)` for layers narrower than 2¹⁴ pixels, in 32 bits:
    /// positions beyond ±2¹⁴ pixels are clamped there, which keeps them outside the layer (a
    /// sample there is 0 either way), and NaN becomes 0 as `as i64` makes it.
    fn project_row(n: &[f64], w: &[f64], out: &mut [i32]) {
        const LIMIT: f64 = (1u64 << 30) as f64;
        for ((o, &n), &w) in out.iter_mut().zip(n).zip(w) {
            let s = (n / w - 0.5) * 65536.0;
            let r = if s >= 0.0 { s + 0.5 } else { s - 0.5 };
            let r = if r.is_nan() { 0.0 } else { r.clamp(-LIMIT, LIMIT) };
            // SAFETY: `r` is finite and within ±2³⁰.
            *o = unsafe { r.to_int_unchecked::<i32>() };
        }
    }
}

/// `v` in 16.16 fixed point, rounded half away from zero (`f64::round` is a libm call on
/// baseline x86-64, and this runs per pixel).
#[inline]
fn to_fixed(v: f64) -> i64 {
    let s = v * 65536.0;
    (if s >= 0.0 { s + 0.5 } else { s - 0.5 }) as i64
}

/// Bilinear alpha at source position `(px, py)` (16.16 fixed point, relative to pixel centres);
/// outside the layer is transparent.
#[inline(always)]
fn sample_fixed(layer: &AlphaLayer, px: i64, py: i64) -> u8 {
    const ONE: i64 = 1 << 16;
    let (lw, lh) = (i64::from(layer.width), i64::from(layer.height));
    if px <= -ONE || py <= -ONE || px >= lw << 16 || py >= lh << 16 {
        return 0;
    }
    let (ix, iy) = (px >> 16, py >> 16);
    let (ax, ay) = (((px >> 8) & 255) as u32, ((py >> 8) & 255) as u32);
    let src = &layer.data;
    if ix >= 0 && iy >= 0 && ix + 1 < lw && iy + 1 < lh {
        // All four taps inside (the common case): no per-tap checks.
        let i = (iy * lw + ix) as usize;
        let (r0, r1) = (&src[i..i + 2], &src[i + lw as usize..i + lw as usize + 2]);
        let top = u32::from(r0[0]) * (256 - ax) + u32::from(r0[1]) * ax;
        let bottom = u32::from(r1[0]) * (256 - ax) + u32::from(r1[1]) * ax;
        return ((top * (256 - ay) + bottom * ay + (1 << 15)) >> 16) as u8;
    }
    let at = |x: i64, y: i64| -> u32 {
        if x < 0 || y < 0 || x >= lw || y >= lh {
            0
        } else {
            u32::from(src[(y * lw + x) as usize])
        }
    };
    let top = at(ix, iy) * (256 - ax) + at(ix + 1, iy) * ax;
    let bottom = at(ix, iy + 1) * (256 - ax) + at(ix + 1, iy + 1) * ax;
    ((top * (256 - ay) + bottom * ay + (1 << 15)) >> 16) as u8
}

/// Resamples `img` into a same-sized image: output pixel centre `c` takes the bilinear sample
/// at `inv(c)`, edges clamped (the camera effect). An affine `inv` (the camera's) steps source
/// coordinates along each row in 16.16 fixed point: integer work per pixel only.
pub fn warp_rgb(img: &RgbImage, inv: &Homography) -> RgbImage {
    let (w, h) = (img.width(), img.height());
    let m = inv.0;
    let mut out = RgbImage::new(w, h);
    if m[6] != 0.0 || m[7] != 0.0 || m[8] != 1.0 {
        for (x, y, px) in out.enumerate_pixels_mut() {
            px.0 = bilinear_rgb(
                img,
                inv.apply(Point::new(f64::from(x) + 0.5, f64::from(y) + 0.5)),
            );
        }
        return out;
    }
    let (max_x, max_y) = (i64::from(w - 1) << 16, i64::from(h - 1) << 16);
    let fixed = |v: f64| (v * 65536.0).round() as i64;
    let (step_x, step_y) = (fixed(m[0]), fixed(m[3]));
    let raw = img.as_raw();
    let stride = w as usize * 3;
    for (y, row) in out.chunks_exact_mut(stride).enumerate() {
        let cy = y as f64 + 0.5;
        // Source position of this row's first pixel centre, relative to source pixel centres.
        let mut sx = fixed(m[0] * 0.5 + m[1] * cy + m[2] - 0.5);
        let mut sy = fixed(m[3] * 0.5 + m[4] * cy + m[5] - 0.5);
        for px in row.chunks_exact_mut(3) {
            let (cx, cy) = (sx.clamp(0, max_x), sy.clamp(0, max_y));
            let (x0, y0) = ((cx >> 16) as usize, (cy >> 16) as usize);
            let (fx, fy) = (((cx >> 8) & 255) as u32, ((cy >> 8) & 255) as u32);
            let x1 = (x0 + 1).min(w as usize - 1);
            let y1 = (y0 + 1).min(h as usize - 1);
            let (r0, r1) = (&raw[y0 * stride..][..stride], &raw[y1 * stride..][..stride]);
            for c in 0..3 {
                let top = u32::from(r0[x0 * 3 + c]) * (256 - fx) + u32::from(r0[x1 * 3 + c]) * fx;
                let bottom =
                    u32::from(r1[x0 * 3 + c]) * (256 - fx) + u32::from(r1[x1 * 3 + c]) * fx;
                px[c] = ((top * (256 - fy) + bottom * fy + (1 << 15)) >> 16) as u8;
            }
            sx += step_x;
            sy += step_y;
        }
    }
    out
}

/// Fixed-point bilinear sample of `img` at image coordinates `p` (pixel centres at +0.5), edges
/// clamped: shared by the camera effect and line crops.
pub fn bilinear_rgb(img: &RgbImage, p: Point) -> [u8; 3] {
    let (w, h) = (i64::from(img.width()), i64::from(img.height()));
    let sx = (p.x - 0.5).clamp(0.0, (w - 1) as f64);
    let sy = (p.y - 0.5).clamp(0.0, (h - 1) as f64);
    let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (
        ((sx - x0 as f64) * 256.0) as u32,
        ((sy - y0 as f64) * 256.0) as u32,
    );
    let raw = img.as_raw();
    let px = |x: i64, y: i64, c: usize| u32::from(raw[((y * w + x) * 3) as usize + c]);
    [0, 1, 2].map(|c| {
        let top = px(x0, y0, c) * (256 - fx) + px(x1, y0, c) * fx;
        let bottom = px(x0, y1, c) * (256 - fx) + px(x1, y1, c) * fx;
        ((top * (256 - fy) + bottom * fy + (1 << 15)) >> 16) as u8
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `warp_alpha` as it was before row spans: every column of the bounding box sampled.
    fn warp_alpha_every_column(
        layer: &AlphaLayer,
        to_canvas: &Homography,
        w: u32,
        h: u32,
    ) -> WarpedAlpha {
        let full = warp_alpha(layer, to_canvas, w, h);
        let inv = to_canvas.inverse().unwrap().0;
        let affine = inv[6] == 0.0 && inv[7] == 0.0 && inv[8] == 1.0;
        let mut data = vec![0u8; full.data.len()];
        let width = full.width.max(1) as usize;
        for (row, out) in data.chunks_exact_mut(width).enumerate() {
            let cy = (full.y0 as usize + row) as f64 + 0.5;
            let cx = f64::from(full.x0) + 0.5;
            if affine {
                let fixed = |v: f64| (v * 65536.0).round() as i64;
                let sx = fixed(inv[0] * cx + inv[1] * cy + inv[2] - 0.5);
                let sy = fixed(inv[3] * cx + inv[4] * cy + inv[5] - 0.5);
                let (dx, dy) = (fixed(inv[0]), fixed(inv[3]));
                for (col, o) in out.iter_mut().enumerate() {
                    *o = sample_fixed(layer, sx + dx * col as i64, sy + dy * col as i64);
                }
            } else {
                let mut nx = inv[0] * cx + inv[1] * cy + inv[2];
                let mut ny = inv[3] * cx + inv[4] * cy + inv[5];
                let mut wz = inv[6] * cx + inv[7] * cy + inv[8];
                for o in out.iter_mut() {
                    *o = sample_fixed(layer, to_fixed(nx / wz - 0.5), to_fixed(ny / wz - 0.5));
                    nx += inv[0];
                    ny += inv[3];
                    wz += inv[6];
                }
            }
        }
        WarpedAlpha { data, ..full }
    }

    #[test]
    fn row_spans_and_lanes_give_the_per_pixel_result() {
        // Layers with ink up to every edge (the worst case for a span), under rotations,
        // scalings and perspective warps like the scenes' and native crops'.
        let mut rng = Rng::new(11);
        for case in 0..300 {
            let (lw, lh) = (1 + rng.below(120) as u32, 1 + rng.below(60) as u32);
            let layer = AlphaLayer {
                width: lw,
                height: lh,
                data: (0..lw * lh).map(|_| 1 + rng.below(255) as u8).collect(),
            };
            let src = Rect::new(0.0, 0.0, f64::from(lw), f64::from(lh)).quad();
            let scale = rng.range_f64(0.3, 3.0);
            let cfg = WarpConfig {
                probability: crate::recipe::Prob(if case % 3 == 0 { 0.0 } else { 1.0 }),
                strength: crate::recipe::Range { min: 0.0, max: 0.3 },
                rotation: crate::recipe::Range {
                    min: -40.0,
                    max: 40.0,
                },
            };
            let (shape, _, _) =
                random_shape(f64::from(lw) * scale, f64::from(lh) * scale, &cfg, &mut rng);
            let (ox, oy) = (rng.range_f64(-20.0, 200.0), rng.range_f64(-20.0, 120.0));
            let dst = shape.map(|p| Point::new(p.x + ox, p.y + oy));
            let Some(h) = Homography::from_quads(&src, &dst) else {
                continue;
            };
            let got = warp_alpha(&layer, &h, 220, 140);
            let want = warp_alpha_every_column(&layer, &h, 220, 140);
            assert_eq!(got.data, want.data, "case {case}");
            let baseline = crate::simd::with_baseline(|| warp_alpha(&layer, &h, 220, 140));
            assert_eq!(baseline.data, want.data, "case {case}, baseline build");
        }
    }

    #[test]
    fn identity_translation_copies_pixels() {
        let layer = AlphaLayer {
            width: 3,
            height: 2,
            data: vec![0, 255, 10, 20, 30, 40],
        };
        let w = warp_alpha(&layer, &Homography::translate(5.0, 7.0), 100, 100);
        assert_eq!((w.x0, w.y0, w.width, w.height), (5, 7, 3, 2));
        assert_eq!(w.data, layer.data);
    }

    #[test]
    fn warp_is_clipped_to_the_canvas() {
        let layer = AlphaLayer {
            width: 4,
            height: 4,
            data: vec![255; 16],
        };
        let w = warp_alpha(&layer, &Homography::translate(-2.0, 98.0), 100, 100);
        assert_eq!((w.x0, w.y0, w.width, w.height), (0, 98, 2, 2));
        assert!(w.data.iter().all(|v| *v == 255));
    }

    #[test]
    fn affine_fast_paths_match_per_pixel_sampling() {
        let img = RgbImage::from_fn(40, 30, |x, y| {
            image::Rgb([(x * 6) as u8, (y * 8) as u8, ((x * y) % 256) as u8])
        });
        let (s, c) = 0.3f64.sin_cos();
        let inv = Homography([
            1.1 * c,
            -1.1 * s,
            4.0,
            1.1 * s,
            1.1 * c,
            -3.0,
            0.0,
            0.0,
            1.0,
        ]);
        let fast = warp_rgb(&img, &inv);
        for (x, y, px) in fast.enumerate_pixels() {
            let slow = bilinear_rgb(
                &img,
                inv.apply(Point::new(f64::from(x) + 0.5, f64::from(y) + 0.5)),
            );
            for ch in 0..3 {
                assert!(
                    px.0[ch].abs_diff(slow[ch]) <= 1,
                    "({x}, {y}): {:?} vs {slow:?}",
                    px.0
                );
            }
        }
        // Alpha: an affine and a (barely) projective map of the same layer agree.
        let layer = AlphaLayer {
            width: 30,
            height: 12,
            data: (0..360).map(|i| (i * 7 % 256) as u8).collect(),
        };
        let affine = Homography([
            0.9 * c,
            -0.9 * s,
            20.0,
            0.9 * s,
            0.9 * c,
            10.0,
            0.0,
            0.0,
            1.0,
        ]);
        let mut projective = affine;
        projective.0[6] = 1e-12;
        let (a, p) = (
            warp_alpha(&layer, &affine, 80, 60),
            warp_alpha(&layer, &projective, 80, 60),
        );
        assert_eq!(
            (a.x0, a.y0, a.width, a.height),
            (p.x0, p.y0, p.width, p.height)
        );
        assert!(a.data.iter().zip(&p.data).all(|(u, v)| u.abs_diff(*v) <= 1));
        assert!(a.data.iter().any(|v| *v > 0));
    }

    #[test]
    fn random_shapes_are_convex_and_centered() {
        let cfg = WarpConfig::default();
        let mut rng = Rng::new(4);
        for _ in 0..200 {
            let (q, s, _) = random_shape(300.0, 60.0, &cfg, &mut rng);
            assert!(is_convex(&q));
            assert!(s <= cfg.strength.max);
            let c = q
                .iter()
                .fold((0.0, 0.0), |a, p| (a.0 + p.x / 4.0, a.1 + p.y / 4.0));
            assert!(c.0.abs() < 100.0 && c.1.abs() < 100.0);
        }
    }
}
