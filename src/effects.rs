//! Effects: whole-image post-processing after compositing — camera framing, colour jitter,
//! vignette, gaussian and motion blur, sensor noise, JPEG re-compression.
//!
//! Planning draws every parameter ([`plan_pixel_effects`] → [`PixelEffect`]); applying one is
//! pixel work only ([`PixelEffect::apply`]), so any painter applies the same plan. Only the
//! camera moves pixels; it returns its homography so the planner moves every label with it. Each effect draws from its own random sub-stream, so enabling one does not change the
//! others. All arithmetic that decides pixel values is integer or plain IEEE f64/f32 without
//! platform-dependent intrinsics.

use image::RgbImage;

use crate::blur::{gaussian_like, radius_for_sigma, Divider};
use crate::geometry::{Homography, Point};
use crate::noise;
use crate::recipe::{Effect, EffectsConfig};
use crate::rng::Rng;
use crate::warp::warp_rgb;

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
    warp_rgb(img, &inv)
}

/// A whole-image effect with every parameter drawn: what a painter applies. Planned by
/// [`plan_pixel_effects`]; the description in the metadata comes from these values only.
#[derive(Clone, Debug, PartialEq)]
pub enum PixelEffect {
    /// Brightness shift (levels), contrast and saturation scale.
    ColorJitter {
        brightness: f64,
        contrast: f64,
        saturation: f64,
    },
    /// Darkening towards the corners by up to `strength`.
    Vignette { strength: f64 },
    /// A box-cascade blur of `radius` (see [`gaussian_like`]) for the drawn `sigma`.
    GaussianBlur { sigma: f64, radius: usize },
    /// The mean of `taps` samples along `angle` (radians).
    MotionBlur { taps: i64, angle: f64 },
    /// Gaussian-like noise of `sigma` levels from the per-row stream of `seed`.
    Noise { sigma: f64, seed: u64 },
    /// JPEG re-compression at `quality`.
    Jpeg { quality: u8 },
}

impl PixelEffect {
    /// The effect as written in the metadata's `effects`.
    pub fn describe(&self) -> String {
        match *self {
            PixelEffect::ColorJitter {
                brightness,
                contrast,
                saturation,
            } => format!(
                "color_jitter brightness {brightness:.1} contrast {contrast:.3} saturation \
                 {saturation:.3}"
            ),
            PixelEffect::Vignette { strength } => format!("vignette {strength:.3}"),
            PixelEffect::GaussianBlur { sigma, .. } => format!("gaussian_blur {sigma:.2}"),
            PixelEffect::MotionBlur { taps, angle } => {
                format!("motion_blur {taps} px at {:.1}°", angle.to_degrees())
            }
            PixelEffect::Noise { sigma, .. } => format!("noise {sigma:.2}"),
            PixelEffect::Jpeg { quality } => format!("jpeg quality {quality}"),
        }
    }

    /// Applies the effect to `img` (the CPU reference).
    pub fn apply(&self, img: &mut RgbImage) {
        match *self {
            PixelEffect::ColorJitter {
                brightness,
                contrast,
                saturation,
            } => color_jitter(img, brightness, contrast, saturation),
            PixelEffect::Vignette { strength } => vignette(img, strength),
            PixelEffect::GaussianBlur { radius, .. } => {
                let (w, h) = (img.width() as usize, img.height() as usize);
                gaussian_like(img.as_mut(), w, h, 3, radius);
            }
            PixelEffect::MotionBlur { taps, angle } => motion_blur(img, taps, angle),
            PixelEffect::Noise { sigma, seed } => noise(img, sigma, seed),
            PixelEffect::Jpeg { quality } => jpeg_artefacts(img, quality),
        }
    }
}

/// Brightness shift, contrast and saturation scale.
fn color_jitter(img: &mut RgbImage, brightness: f64, contrast: f64, saturation: f64) {
    // Levels after brightness and contrast, in 1/256 steps; saturation in 1/256.
    let mut lut = [0i32; 256];
    for (v, l) in lut.iter_mut().enumerate() {
        *l = (((v as f64 - 128.0) * contrast + 128.0 + brightness) * 256.0).round() as i32;
    }
    let sat = (saturation * 256.0).round() as i32;
    jitter_pixels(img.as_mut(), &lut, sat);
}

crate::simd::avx2_dispatch! {
/// [`color_jitter`]'s pixel loop: eight pixels at a time are looked up, then mixed in SIMD
/// lanes (the same integer operations per pixel as one at a time).
fn jitter_pixels(data: &mut [u8], lut: &[i32; 256], sat: i32) {
    let mut chunks = data.chunks_exact_mut(24);
    for chunk in &mut chunks {
        let mut v = [[0i32; 8]; 3];
        for (i, px) in chunk.chunks_exact(3).enumerate() {
            for c in 0..3 {
                v[c][i] = lut[usize::from(px[c])];
            }
        }
        let mut out = [[0u8; 8]; 3];
        for i in 0..8 {
            let grey = (77 * v[0][i] + 150 * v[1][i] + 29 * v[2][i]) >> 8;
            for c in 0..3 {
                out[c][i] = jitter_channel(grey, v[c][i], sat);
            }
        }
        for (i, px) in chunk.chunks_exact_mut(3).enumerate() {
            for c in 0..3 {
                px[c] = out[c][i];
            }
        }
    }
    for px in chunks.into_remainder().chunks_exact_mut(3) {
        let v = [0, 1, 2].map(|c| lut[usize::from(px[c])]);
        // Rec. 601 luma in 1/256 weights (77 + 150 + 29 = 256).
        let grey = (77 * v[0] + 150 * v[1] + 29 * v[2]) >> 8;
        for (o, c) in px.iter_mut().zip(v) {
            *o = jitter_channel(grey, c, sat);
        }
    }
}
}

/// One channel of [`color_jitter`]: `c` moved away from `grey` by the saturation, rounded.
#[inline(always)]
fn jitter_channel(grey: i32, c: i32, sat: i32) -> u8 {
    let out = grey + (((c - grey) * sat) >> 8);
    ((out + 128) >> 8).clamp(0, 255) as u8
}

/// Darkens towards the corners by up to `strength`.
fn vignette(img: &mut RgbImage, strength: f64) {
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let (cx, cy) = (w / 2.0, h / 2.0);
    let norm = strength / (cx * cx + cy * cy);
    // Kept share 1 − strength·r², r² split into its x and y parts, in 1/65536.
    let part = |d: f64| (d * d * norm * 65536.0).round() as i64;
    let xs: Vec<i64> = (0..img.width())
        .map(|x| part(f64::from(x) + 0.5 - cx))
        .collect();
    let width = img.width() as usize;
    let mut keep = vec![0u32; width * 3];
    for (y, row) in img.chunks_exact_mut(width * 3).enumerate() {
        let ry = part(y as f64 + 0.5 - cy);
        for (k, rx) in keep.chunks_exact_mut(3).zip(&xs) {
            k.fill(((65536 - ry - rx).max(0) >> 8) as u32);
        }
        scale_bytes(row, &keep);
    }
}

crate::simd::avx2_dispatch! {
/// `v ← (v · k + 128) >> 8` per byte (k ≤ 256): the vignette's per-value work.
fn scale_bytes(row: &mut [u8], keep: &[u32]) {
    for (v, k) in row.iter_mut().zip(keep) {
        *v = ((u32::from(*v) * k + 128) >> 8) as u8;
    }
}
}

/// Averages `n` samples along `angle`.
fn motion_blur(img: &mut RgbImage, n: i64, angle: f64) {
    let offsets: Vec<(i64, i64)> = (0..n)
        .map(|k| {
            let t = k as f64 - (n - 1) as f64 / 2.0;
            (
                (t * angle.cos()).round() as i64,
                (t * angle.sin()).round() as i64,
            )
        })
        .collect();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw().clone();
    let stride = w * 3;
    let mut sums = vec![0u32; stride];
    // Rounded division by the tap count as a multiply and a shift (exact, see `Divider`).
    let div = Divider::new(n as usize);
    for (y, out) in img.chunks_exact_mut(stride).enumerate() {
        sums.fill(0);
        // Each tap adds the source row shifted by its offset, edges clamped: interior pixels
        // are one contiguous slice per tap.
        for &(dx, dy) in &offsets {
            let sy = (y as i64 + dy).clamp(0, h as i64 - 1) as usize;
            let row = &src[sy * stride..][..stride];
            let lo = (-dx).clamp(0, w as i64) as usize;
            let hi = (w as i64 - dx).clamp(lo as i64, w as i64) as usize;
            for x in (0..lo).chain(hi..w) {
                let sx = (x as i64 + dx).clamp(0, w as i64 - 1) as usize;
                for c in 0..3 {
                    sums[x * 3 + c] += u32::from(row[sx * 3 + c]);
                }
            }
            // (An image narrower than the taps' reach has no interior.)
            if hi > lo {
                let shifted = &row[((lo as i64 + dx) as usize) * 3..][..(hi - lo) * 3];
                add_bytes(&mut sums[lo * 3..hi * 3], shifted);
            }
        }
        div.div_row(&sums, out);
    }
}

crate::simd::avx2_dispatch! {
/// `sums[i] += values[i]`: one motion-blur tap over a row.
fn add_bytes(sums: &mut [u32], values: &[u8]) {
    for (s, v) in sums.iter_mut().zip(values) {
        *s += u32::from(*v);
    }
}
}

/// Adds approximately gaussian noise of `sigma` levels per channel: one random byte per value
/// from a per-row stream, mapped through [`noise::GAUSSIAN`], so every row's noise is
/// independent of evaluation order.
fn noise(img: &mut RgbImage, sigma: f64, seed: u64) {
    // Noise in 1/256 levels per byte value, then rounded to whole levels:
    // ((256·v + t + 128) >> 8) = v + ((t + 128) >> 8) exactly, as 256·v is a whole level.
    let mut levels = [0i32; 256];
    for (l, g) in levels.iter_mut().zip(noise::GAUSSIAN.iter()) {
        *l = ((f64::from(*g) * sigma).round() as i32 + 128) >> 8;
    }
    let stride = img.width() as usize * 3;
    let mut bytes = vec![0u8; stride];
    for (y, row) in img.chunks_exact_mut(stride).enumerate() {
        noise::row_bytes(seed, y as u32, &mut bytes);
        add_noise(row, &bytes, &levels);
    }
}

crate::simd::avx2_dispatch! {
/// `v ← clamp(v + levels[u])` per value with its random byte `u`.
fn add_noise(row: &mut [u8], bytes: &[u8], levels: &[i32; 256]) {
    for (v, u) in row.iter_mut().zip(bytes) {
        *v = (i32::from(*v) + levels[usize::from(*u)]).clamp(0, 255) as u8;
    }
}
}

/// Re-encodes as JPEG at `quality` and decodes again: blocking and ringing artefacts.
fn jpeg_artefacts(img: &mut RgbImage, quality: u8) {
    if let Ok(bytes) = crate::encode::encode(img, crate::recipe::ImageFormat::Jpg, quality) {
        if let Ok(decoded) = crate::encode::decode_jpeg(&bytes) {
            *img = decoded;
        }
    }
}

/// Strongest gaussian blur (sigma, px) for text of `px` pixels per em: a 16-px character keeps
/// strokes about a pixel apart, so it tolerates sigma 1.
pub fn max_blur_sigma(px: f64) -> f64 {
    px / 16.0
}

/// Longest motion blur (px) for text of `px` pixels per em: a quarter of a character.
pub fn max_motion_blur(px: f64) -> f64 {
    px / 4.0
}

/// Lowest JPEG quality for text of `px` pixels per em: 8×8 blocks smear small characters, so
/// small text gets gentler compression (16 px: 58; from 30 px on: no bound beyond 30).
pub fn min_jpeg_quality(px: f64) -> f64 {
    (90.0 - 2.0 * px).clamp(30.0, 90.0)
}

/// Draws the whole-image effects (all but the camera) in recipe order; `text_px` is the
/// smallest text in the picture (pixels per em as drawn), which bounds blur, motion blur and
/// JPEG strength so that it stays legible.
pub fn plan_pixel_effects(cfg: &EffectsConfig, rng: &Rng, text_px: f64) -> Vec<PixelEffect> {
    let mut planned = Vec::new();
    let mut r = rng.fork("color_jitter");
    if let Some(a) = draw(&cfg.color_jitter, &mut r) {
        planned.push(PixelEffect::ColorJitter {
            brightness: r.range_f64(-a, a) * 255.0,
            contrast: 1.0 + r.range_f64(-a, a) * 2.0,
            saturation: 1.0 + r.range_f64(-a, a) * 3.0,
        });
    }
    if let Some(strength) = draw(&cfg.vignette, &mut rng.fork("vignette")) {
        planned.push(PixelEffect::Vignette { strength });
    }
    if let Some(sigma) = draw(&cfg.gaussian_blur, &mut rng.fork("gaussian_blur")) {
        let sigma = sigma.min(max_blur_sigma(text_px));
        planned.push(PixelEffect::GaussianBlur {
            sigma,
            radius: radius_for_sigma(sigma),
        });
    }
    let mut r = rng.fork("motion_blur");
    if let Some(len) = draw(&cfg.motion_blur, &mut r) {
        let len = len.min(max_motion_blur(text_px));
        let angle = r.range_f64(0.0, std::f64::consts::PI);
        planned.push(PixelEffect::MotionBlur {
            taps: len.round().max(1.0) as i64,
            angle,
        });
    }
    let mut r = rng.fork("noise");
    if let Some(sigma) = draw(&cfg.noise, &mut r) {
        planned.push(PixelEffect::Noise {
            sigma,
            seed: r.next_u64(),
        });
    }
    if let Some(q) = draw(&cfg.jpeg, &mut rng.fork("jpeg")) {
        let q = q.max(min_jpeg_quality(text_px));
        planned.push(PixelEffect::Jpeg {
            quality: q.round().clamp(1.0, 100.0) as u8,
        });
    }
    planned
}

/// Plans and applies the whole-image effects; returns their descriptions.
#[cfg(test)]
fn apply_pixel_effects(
    img: &mut RgbImage,
    cfg: &EffectsConfig,
    rng: &Rng,
    text_px: f64,
) -> Vec<String> {
    let planned = plan_pixel_effects(cfg, rng, text_px);
    for e in &planned {
        e.apply(img);
    }
    planned.iter().map(PixelEffect::describe).collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn small_text_bounds_blur_and_compression() {
        let cfg = EffectsConfig {
            camera: Effect::new(0.0, 1.0, 1.0),
            gaussian_blur: Effect::new(1.0, 3.0, 3.0),
            motion_blur: Effect::new(1.0, 12.0, 12.0),
            jpeg: Effect::new(1.0, 20.0, 20.0),
            ..EffectsConfig::default()
        };
        let cfg = EffectsConfig {
            color_jitter: Effect::new(0.0, 0.0, 0.0),
            vignette: Effect::new(0.0, 0.0, 0.0),
            noise: Effect::new(0.0, 0.0, 0.0),
            ..cfg
        };
        let mut img = test_image();
        let applied = apply_pixel_effects(&mut img, &cfg, &Rng::new(3), 16.0).join("; ");
        assert!(applied.contains("gaussian_blur 1.00"), "{applied}");
        assert!(applied.contains("jpeg quality 58"), "{applied}");
        assert!(applied.contains("motion_blur 4 px"), "{applied}");
        // Large text keeps the drawn strengths.
        let mut img = test_image();
        let applied = apply_pixel_effects(&mut img, &cfg, &Rng::new(3), 200.0).join("; ");
        assert!(
            applied.contains("gaussian_blur 3.00") && applied.contains("jpeg quality 30"),
            "{applied}"
        );
    }

    use super::*;

    fn test_image() -> RgbImage {
        RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
        })
    }

    // The effects as first written, one value at a time: what the SIMD kernels must match.
    /// Brightness shift, contrast and saturation scale.
    fn reference_color_jitter(img: &mut RgbImage, brightness: f64, contrast: f64, saturation: f64) {
        // Levels after brightness and contrast, in 1/256 steps; saturation in 1/256.
        let lut: Vec<i32> = (0..256)
            .map(|v| {
                (((f64::from(v) - 128.0) * contrast + 128.0 + brightness) * 256.0).round() as i32
            })
            .collect();
        let sat = (saturation * 256.0).round() as i32;
        for px in img.chunks_exact_mut(3) {
            let v = [
                lut[px[0] as usize],
                lut[px[1] as usize],
                lut[px[2] as usize],
            ];
            // Rec. 601 luma in 1/256 weights (77 + 150 + 29 = 256).
            let grey = (77 * v[0] + 150 * v[1] + 29 * v[2]) >> 8;
            for (o, c) in px.iter_mut().zip(v) {
                let out = grey + (((c - grey) * sat) >> 8);
                *o = ((out + 128) >> 8).clamp(0, 255) as u8;
            }
        }
    }

    /// Darkens towards the corners by up to `strength`.
    fn reference_vignette(img: &mut RgbImage, strength: f64) {
        let (w, h) = (f64::from(img.width()), f64::from(img.height()));
        let (cx, cy) = (w / 2.0, h / 2.0);
        let norm = strength / (cx * cx + cy * cy);
        // Kept share 1 − strength·r², r² split into its x and y parts, in 1/65536.
        let part = |d: f64| (d * d * norm * 65536.0).round() as i64;
        let xs: Vec<i64> = (0..img.width())
            .map(|x| part(f64::from(x) + 0.5 - cx))
            .collect();
        let width = img.width() as usize;
        for (y, row) in img.chunks_exact_mut(width * 3).enumerate() {
            let ry = part(y as f64 + 0.5 - cy);
            for (px, rx) in row.chunks_exact_mut(3).zip(&xs) {
                let k = ((65536 - ry - rx).max(0) >> 8) as u32;
                for c in px {
                    *c = ((u32::from(*c) * k + 128) >> 8) as u8;
                }
            }
        }
    }

    /// Averages `n` samples along `angle`.
    fn reference_motion_blur(img: &mut RgbImage, n: i64, angle: f64) {
        let offsets: Vec<(i64, i64)> = (0..n)
            .map(|k| {
                let t = k as f64 - (n - 1) as f64 / 2.0;
                (
                    (t * angle.cos()).round() as i64,
                    (t * angle.sin()).round() as i64,
                )
            })
            .collect();
        let (w, h) = (img.width() as usize, img.height() as usize);
        let src = img.as_raw().clone();
        let stride = w * 3;
        let mut sums = vec![0u32; stride];
        for (y, out) in img.chunks_exact_mut(stride).enumerate() {
            sums.fill(0);
            // Each tap adds the source row shifted by its offset, edges clamped: interior pixels
            // are one contiguous slice per tap.
            for &(dx, dy) in &offsets {
                let sy = (y as i64 + dy).clamp(0, h as i64 - 1) as usize;
                let row = &src[sy * stride..][..stride];
                let lo = (-dx).clamp(0, w as i64) as usize;
                let hi = (w as i64 - dx).clamp(lo as i64, w as i64) as usize;
                for x in (0..lo).chain(hi..w) {
                    let sx = (x as i64 + dx).clamp(0, w as i64 - 1) as usize;
                    for c in 0..3 {
                        sums[x * 3 + c] += u32::from(row[sx * 3 + c]);
                    }
                }
                let shifted = &row[((lo as i64 + dx) as usize) * 3..][..(hi - lo) * 3];
                for (s, v) in sums[lo * 3..hi * 3].iter_mut().zip(shifted) {
                    *s += u32::from(*v);
                }
            }
            for (o, s) in out.iter_mut().zip(&sums) {
                *o = ((s + n as u32 / 2) / n as u32) as u8;
            }
        }
    }

    /// Adds approximately gaussian noise of `sigma` levels per channel: one random byte per value
    /// from a per-row stream, mapped through [`crate::noise::GAUSSIAN`], so every row's noise is
    /// independent of evaluation order.
    fn reference_noise(img: &mut RgbImage, sigma: f64, seed: u64) {
        // Noise in 1/256 levels per byte value.
        let table: Vec<i32> = crate::noise::GAUSSIAN
            .iter()
            .map(|g| (f64::from(*g) * sigma).round() as i32)
            .collect();
        let stride = img.width() as usize * 3;
        let mut bytes = vec![0u8; stride];
        for (y, row) in img.chunks_exact_mut(stride).enumerate() {
            crate::noise::row_bytes(seed, y as u32, &mut bytes);
            for (v, u) in row.iter_mut().zip(&bytes) {
                let out = i32::from(*v) * 256 + table[*u as usize];
                *v = ((out + 128) >> 8).clamp(0, 255) as u8;
            }
        }
    }

    #[test]
    fn simd_kernels_match_the_scalar_reference() {
        // Widths around the lane counts (8 pixels, 32 bytes) and odd remainders.
        // (The reference motion blur needs images wider than its taps reach.)
        for (i, (w, h)) in [(5, 1), (7, 5), (8, 3), (9, 4), (31, 6), (64, 7), (65, 2)]
            .into_iter()
            .enumerate()
        {
            let data = crate::simd::random_bytes(i as u64, (w * h * 3) as usize);
            let img = RgbImage::from_raw(w, h, data).unwrap();
            type Reference = fn(&mut RgbImage);
            let effects: [(PixelEffect, Reference); 5] = [
                (
                    PixelEffect::ColorJitter {
                        brightness: 9.5,
                        contrast: 1.17,
                        saturation: 1.9,
                    },
                    |m| reference_color_jitter(m, 9.5, 1.17, 1.9),
                ),
                (
                    PixelEffect::ColorJitter {
                        brightness: -30.0,
                        contrast: 0.8,
                        saturation: 0.2,
                    },
                    |m| reference_color_jitter(m, -30.0, 0.8, 0.2),
                ),
                (PixelEffect::Vignette { strength: 0.7 }, |m| {
                    reference_vignette(m, 0.7)
                }),
                (
                    PixelEffect::MotionBlur {
                        taps: 6,
                        angle: 0.4,
                    },
                    |m| reference_motion_blur(m, 6, 0.4),
                ),
                (
                    PixelEffect::Noise {
                        sigma: 40.0,
                        seed: 3,
                    },
                    |m| reference_noise(m, 40.0, 3),
                ),
            ];
            for (effect, reference) in effects {
                let mut want = img.clone();
                reference(&mut want);
                let mut simd = img.clone();
                effect.apply(&mut simd);
                let mut base = img.clone();
                crate::simd::with_baseline(|| effect.apply(&mut base));
                assert_eq!(simd, want, "{w}×{h}: {effect:?}");
                assert_eq!(base, want, "{w}×{h}: {effect:?} (baseline)");
            }
        }
    }

    #[test]
    fn motion_blur_on_an_image_narrower_than_its_reach() {
        let mut img = RgbImage::from_pixel(1, 2, image::Rgb([10, 20, 30]));
        motion_blur(&mut img, 9, 0.2);
        assert!(img.pixels().all(|p| p.0 == [10, 20, 30]));
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
        let applied = apply_pixel_effects(&mut a, &cfg, &Rng::new(9), f64::INFINITY);
        apply_pixel_effects(&mut b, &cfg, &Rng::new(9), f64::INFINITY);
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
        assert!(apply_pixel_effects(&mut c, &none, &Rng::new(9), f64::INFINITY).is_empty());
        assert_eq!(c, test_image());
    }
}
