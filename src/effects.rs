//! Effects: whole-image post-processing after compositing — camera framing, colour jitter,
//! vignette, gaussian and motion blur, sensor noise, JPEG re-compression.
//!
//! Only the camera moves pixels; it returns its homography so the scene moves every label with
//! it. Each effect draws from its own random sub-stream, so enabling one does not change the
//! others. All arithmetic that decides pixel values is integer or plain IEEE f64/f32 without
//! platform-dependent intrinsics.

use image::RgbImage;

use crate::blur::{gaussian_like, radius_for_sigma};
use crate::geometry::{Homography, Point};
use crate::recipe::{Effect, EffectsConfig};
use crate::rng::{mix64, Rng};
use crate::warp::bilinear_rgb;

/// Draws whether `effect` applies and, if so, its parameter.
fn draw(effect: &Effect, rng: &mut Rng) -> Option<f64> {
    rng.chance(effect.probability.0)
        .then(|| rng.range_f64(effect.range.min, effect.range.max))
}

/// A camera reframing of a `w × h` image: zoom ≥ 1 about a random point with a small rotation,
/// grown until the source window stays inside the image (no empty borders). Returns the map
/// from old to new pixel coordinates, and a description.
pub fn camera(cfg: &EffectsConfig, w: u32, h: u32, rng: &mut Rng) -> Option<(Homography, String)> {
    let mut zoom = draw(&cfg.camera, rng)?;
    let angle = rng
        .range_f64(cfg.camera_rotation.min, cfg.camera_rotation.max)
        .to_radians();
    let (fw, fh) = (f64::from(w), f64::from(h));
    let centre = Point::new(
        rng.range_f64(0.25, 0.75) * fw,
        rng.range_f64(0.25, 0.75) * fh,
    );
    let (sin, cos) = angle.sin_cos();
    for _ in 0..200 {
        // new = c + zoom · R · (old − c)
        let h_cam = Homography([
            zoom * cos,
            -zoom * sin,
            centre.x - zoom * (cos * centre.x - sin * centre.y),
            zoom * sin,
            zoom * cos,
            centre.y - zoom * (sin * centre.x + cos * centre.y),
            0.0,
            0.0,
            1.0,
        ]);
        let inv = h_cam.inverse()?;
        let corners = [(0.0, 0.0), (fw, 0.0), (fw, fh), (0.0, fh)];
        let inside = corners.iter().all(|&(x, y)| {
            let p = inv.apply(Point::new(x, y));
            p.x >= 0.0 && p.y >= 0.0 && p.x <= fw && p.y <= fh
        });
        if inside {
            let desc = format!("camera zoom {zoom:.3} rotation {:.2}", angle.to_degrees());
            return Some((h_cam, desc));
        }
        zoom *= 1.01;
    }
    None
}

/// Resamples `img` through `h_cam` (old → new pixel coordinates), bilinear, edges clamped.
pub fn warp_image(img: &RgbImage, h_cam: &Homography) -> RgbImage {
    let inv = h_cam.inverse().expect("camera transforms are invertible");
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let p = inv.apply(Point::new(f64::from(x) + 0.5, f64::from(y) + 0.5));
        image::Rgb(bilinear_rgb(img, p))
    })
}

/// Brightness shift, contrast and saturation scale, by up to `amount`.
fn color_jitter(img: &mut RgbImage, amount: f64, rng: &mut Rng) -> String {
    let brightness = rng.range_f64(-amount, amount) * 255.0;
    let contrast = 1.0 + rng.range_f64(-amount, amount) * 2.0;
    let saturation = 1.0 + rng.range_f64(-amount, amount) * 3.0;
    let lut: Vec<f64> = (0..256)
        .map(|v| (f64::from(v) - 128.0) * contrast + 128.0 + brightness)
        .collect();
    for px in img.pixels_mut() {
        let v = px.0.map(|c| lut[c as usize]);
        let grey = 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2];
        px.0 = v.map(|c| (grey + (c - grey) * saturation).round().clamp(0.0, 255.0) as u8);
    }
    format!(
        "color_jitter brightness {brightness:.1} contrast {contrast:.3} saturation {saturation:.3}"
    )
}

/// Darkens towards the corners by up to `strength`.
fn vignette(img: &mut RgbImage, strength: f64) -> String {
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let (cx, cy) = (w / 2.0, h / 2.0);
    let norm = 1.0 / (cx * cx + cy * cy);
    let width = img.width();
    for (i, px) in img.pixels_mut().enumerate() {
        let (x, y) = (
            (i as u32 % width) as f64 + 0.5,
            (i as u32 / width) as f64 + 0.5,
        );
        let r2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) * norm;
        let k = ((1.0 - strength * r2) * 256.0) as u32;
        px.0 = px.0.map(|c| ((u32::from(c) * k + 128) >> 8) as u8);
    }
    format!("vignette {strength:.3}")
}

/// Averages `length` samples along a random direction.
fn motion_blur(img: &mut RgbImage, length: f64, rng: &mut Rng) -> String {
    let angle = rng.range_f64(0.0, std::f64::consts::PI);
    let n = length.round().max(1.0) as i64;
    let offsets: Vec<(i64, i64)> = (0..n)
        .map(|k| {
            let t = k as f64 - (n - 1) as f64 / 2.0;
            (
                (t * angle.cos()).round() as i64,
                (t * angle.sin()).round() as i64,
            )
        })
        .collect();
    let (w, h) = (i64::from(img.width()), i64::from(img.height()));
    let src = img.as_raw().clone();
    let buf: &mut [u8] = img.as_mut();
    for y in 0..h {
        for x in 0..w {
            let mut sum = [0u32; 3];
            for (dx, dy) in &offsets {
                let (sx, sy) = ((x + dx).clamp(0, w - 1), (y + dy).clamp(0, h - 1));
                let o = ((sy * w + sx) * 3) as usize;
                for c in 0..3 {
                    sum[c] += u32::from(src[o + c]);
                }
            }
            let o = ((y * w + x) * 3) as usize;
            for c in 0..3 {
                buf[o + c] = ((sum[c] + n as u32 / 2) / n as u32) as u8;
            }
        }
    }
    format!("motion_blur {n} px at {:.1}°", angle.to_degrees())
}

/// Adds approximately gaussian noise of `sigma` levels per channel (a sum of four uniforms
/// from a counter-based hash, so every pixel's noise is independent of evaluation order).
fn noise(img: &mut RgbImage, sigma: f64, rng: &mut Rng) -> String {
    let seed = rng.next_u64();
    // Sum of four 16-bit uniforms: mean 2, variance 1/3 (in units of 65536).
    let scale = sigma * 3f64.sqrt() / 65536.0;
    for (i, v) in img.iter_mut().enumerate() {
        let r = mix64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let s: u64 = (0..4).map(|k| (r >> (16 * k)) & 0xFFFF).sum();
        let n = (s as f64 - 2.0 * 65536.0) * scale;
        *v = (f64::from(*v) + n).round().clamp(0.0, 255.0) as u8;
    }
    format!("noise {sigma:.2}")
}

/// Re-encodes as JPEG at `quality` and decodes again: blocking and ringing artefacts.
fn jpeg_artefacts(img: &mut RgbImage, quality: f64) -> String {
    let q = quality.round().clamp(1.0, 100.0) as u8;
    let mut bytes = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut bytes, q);
    let ok = enc
        .encode(
            img.as_raw(),
            img.width() as u16,
            img.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .is_ok();
    if ok {
        if let Ok(decoded) = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg) {
            *img = decoded.to_rgb8();
        }
    }
    format!("jpeg quality {q}")
}

/// Applies the pixel effects (all but the camera) in recipe order; returns what was applied.
pub fn apply_pixel_effects(img: &mut RgbImage, cfg: &EffectsConfig, rng: &Rng) -> Vec<String> {
    let mut applied = Vec::new();
    let mut r = rng.fork("color_jitter");
    if let Some(a) = draw(&cfg.color_jitter, &mut r) {
        applied.push(color_jitter(img, a, &mut r));
    }
    if let Some(s) = draw(&cfg.vignette, &mut rng.fork("vignette")) {
        applied.push(vignette(img, s));
    }
    if let Some(sigma) = draw(&cfg.gaussian_blur, &mut rng.fork("gaussian_blur")) {
        let (w, h) = (img.width() as usize, img.height() as usize);
        gaussian_like(img.as_mut(), w, h, 3, radius_for_sigma(sigma));
        applied.push(format!("gaussian_blur {sigma:.2}"));
    }
    let mut r = rng.fork("motion_blur");
    if let Some(len) = draw(&cfg.motion_blur, &mut r) {
        applied.push(motion_blur(img, len, &mut r));
    }
    let mut r = rng.fork("noise");
    if let Some(s) = draw(&cfg.noise, &mut r) {
        applied.push(noise(img, s, &mut r));
    }
    if let Some(q) = draw(&cfg.jpeg, &mut rng.fork("jpeg")) {
        applied.push(jpeg_artefacts(img, q));
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_image() -> RgbImage {
        RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
        })
    }

    #[test]
    fn camera_keeps_the_frame_covered_and_maps_points() {
        let cfg = EffectsConfig {
            camera: Effect::new(1.0, 1.0, 1.05),
            camera_rotation: crate::recipe::Range::new(-5.0, 5.0),
            ..EffectsConfig::default()
        };
        for seed in 0..20 {
            let (h, _) = camera(&cfg, 64, 48, &mut Rng::new(seed)).unwrap();
            let inv = h.inverse().unwrap();
            for (x, y) in [(0.0, 0.0), (64.0, 0.0), (64.0, 48.0), (0.0, 48.0)] {
                let p = inv.apply(Point::new(x, y));
                assert!(p.x >= -1e-9 && p.y >= -1e-9 && p.x <= 64.0 + 1e-9 && p.y <= 48.0 + 1e-9);
            }
        }
        // A pure zoom maps the image content consistently with the homography.
        let img = test_image();
        let h = Homography([2.0, 0.0, -32.0, 0.0, 2.0, -24.0, 0.0, 0.0, 1.0]);
        let out = warp_image(&img, &h);
        // New pixel (32, 24) comes from old (32, 24) (the fixed point of this zoom).
        assert!(out.get_pixel(32, 24).0[0].abs_diff(img.get_pixel(32, 24).0[0]) <= 2);
    }

    #[test]
    fn effects_are_deterministic_and_change_pixels() {
        let cfg = EffectsConfig {
            camera: Effect::new(0.0, 1.0, 1.0),
            color_jitter: Effect::new(1.0, 0.1, 0.1),
            vignette: Effect::new(1.0, 0.5, 0.5),
            gaussian_blur: Effect::new(1.0, 1.0, 1.0),
            motion_blur: Effect::new(1.0, 5.0, 5.0),
            noise: Effect::new(1.0, 4.0, 4.0),
            jpeg: Effect::new(1.0, 40.0, 40.0),
            ..EffectsConfig::default()
        };
        let (mut a, mut b) = (test_image(), test_image());
        let applied = apply_pixel_effects(&mut a, &cfg, &Rng::new(9));
        apply_pixel_effects(&mut b, &cfg, &Rng::new(9));
        assert_eq!(applied.len(), 6, "{applied:?}");
        assert_eq!(a, b);
        assert_ne!(a, test_image());
        let none = EffectsConfig {
            camera: Effect::new(0.0, 1.0, 1.0),
            color_jitter: Effect::new(0.0, 0.1, 0.1),
            vignette: Effect::new(0.0, 0.5, 0.5),
            gaussian_blur: Effect::new(0.0, 1.0, 1.0),
            motion_blur: Effect::new(0.0, 5.0, 5.0),
            noise: Effect::new(0.0, 4.0, 4.0),
            jpeg: Effect::new(0.0, 40.0, 40.0),
            ..EffectsConfig::default()
        };
        let mut c = test_image();
        assert!(apply_pixel_effects(&mut c, &none, &Rng::new(9)).is_empty());
        assert_eq!(c, test_image());
    }
}
