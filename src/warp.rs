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
    let (lw, lh) = (layer.width as i64, layer.height as i64);
    let src = &layer.data;
    for row in 0..h {
        let cy = (y0 + i64::from(row)) as f64 + 0.5;
        for col in 0..w {
            let cx = (x0 + i64::from(col)) as f64 + 0.5;
            let wz = inv[6] * cx + inv[7] * cy + inv[8];
            // Source position relative to source pixel centres.
            let sx = (inv[0] * cx + inv[1] * cy + inv[2]) / wz - 0.5;
            let sy = (inv[3] * cx + inv[4] * cy + inv[5]) / wz - 0.5;
            if !(sx > -1.0 && sy > -1.0 && sx < lw as f64 && sy < lh as f64) {
                continue;
            }
            let fx = sx.floor();
            let fy = sy.floor();
            let (ix, iy) = (fx as i64, fy as i64);
            // 8-bit fixed-point weights keep the result identical on every platform.
            let ax = ((sx - fx) * 256.0) as u32;
            let ay = ((sy - fy) * 256.0) as u32;
            let at = |x: i64, y: i64| -> u32 {
                if x < 0 || y < 0 || x >= lw || y >= lh {
                    0
                } else {
                    u32::from(src[(y * lw + x) as usize])
                }
            };
            let top = at(ix, iy) * (256 - ax) + at(ix + 1, iy) * ax;
            let bottom = at(ix, iy + 1) * (256 - ax) + at(ix + 1, iy + 1) * ax;
            let v = (top * (256 - ay) + bottom * ay + (1 << 15)) >> 16;
            data[(row * w + col) as usize] = v as u8;
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
