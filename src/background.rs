//! Backgrounds: bundled and user photos (cropped and scaled to the canvas) and procedural ones.
//!
//! Bundled images are decoded once into a shared pool. User folders are indexed at start-up
//! (unreadable files are skipped and counted) and decoded when drawn. Procedural kinds use only
//! the sample's own random stream, so they are reproducible bit for bit.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use image::{Rgb, RgbImage};
use rayon::prelude::*;

use crate::color::hsv;
use crate::recipe::{BackgroundKind, BackgroundsConfig};
use crate::rng::{mix64, Rng};

/// A bundled image: file name under `backgrounds/` and its bytes.
pub struct BundledImage {
    pub file: &'static str,
    pub data: &'static [u8],
}

macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        &[$(BundledImage { file: $name, data: include_bytes!(concat!("../backgrounds/", $name)) }),*]
    };
}

pub const BUNDLED_IMAGES: &[BundledImage] = bundled!(
    "paper_mypaint_canvas01.jpg",
    "paper_mypaint_canvas02.jpg",
    "paper_mypaint_cork.jpg",
    "paper_mypaint_decopaper.jpg",
    "paper_mypaint_mamurk_a_1.jpg",
    "paper_mypaint_mamurk_a_2.jpg",
    "paper_mypaint_mamurk_b_1.jpg",
    "paper_mypaint_mamurk_c_3.jpg",
    "paper_mypaint_mamurk_e_1.jpg",
    "paper_mypaint_mamurk_e_2.jpg",
    "paper_mypaint_mamurk_f_1.jpg",
    "paper_mypaint_pastelpaper01.jpg",
    "paper_mypaint_pastelpaper02.jpg",
    "paper_mypaint_roughpaper.jpg",
    "paper_mypaint_sketchpaper.jpg",
    "paper_mypaint_sketchpaper02.jpg",
    "paper_mypaint_watercolor.jpg",
    "photo_lomiri_aitzgorri.jpg",
    "photo_lomiri_friends.jpg",
    "photo_lomiri_life.jpg",
    "photo_lomiri_picosdeeuropa.jpg",
    "photo_lomiri_picture_0b.jpg",
    "photo_lomiri_picture_1a.jpg",
    "photo_lomiri_seeding.jpg",
    "photo_lomiri_sunset.jpg",
    "photo_lomiri_umang.jpg",
    "photo_lomiri_wine.jpg",
    "photo_skimage_astronaut.jpg",
    "photo_skimage_camera.jpg",
    "photo_skimage_chelsea.jpg",
    "photo_skimage_coffee.jpg",
    "photo_skimage_hubble_deep_field.jpg",
    "photo_skimage_rocket.jpg",
    "texture_skimage_brick.jpg",
    "texture_skimage_grass.jpg",
    "texture_skimage_gravel.jpg",
);

/// Largest image side and area accepted from user folders (decompression-bomb guard: a
/// 16k × 16k image would cost 768 MB per decoding thread).
const MAX_SIDE: u32 = 16_384;
const MAX_PIXELS: u64 = 50_000_000;

enum PhotoSource {
    Decoded(Arc<RgbImage>),
    File(PathBuf),
}

struct Photo {
    /// `bundled:backgrounds/NAME` or the file path.
    name: String,
    source: PhotoSource,
}

/// What a background is, for the metadata.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BackgroundInfo {
    pub kind: BackgroundKind,
    /// The photo's file for `photo`, the recipe of a procedural kind otherwise.
    pub source: String,
}

pub struct BackgroundPool {
    photos: Vec<Photo>,
    kinds: Vec<BackgroundKind>,
    weights: Vec<f64>,
    zoom: (f64, f64),
    /// Base colours of the procedural kinds (empty = random).
    colors: Vec<[u8; 3]>,
    /// User files skipped at start-up, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Image files under `dir` (recursively), sorted; files of other types and unreadable
/// subfolders go to `skipped` with the reason. An unreadable `dir` itself is an error.
fn image_files_in(dir: &Path, skipped: &mut Vec<(String, String)>) -> Result<Vec<PathBuf>> {
    let all = crate::files::files_under(dir, skipped)
        .with_context(|| format!("backgrounds.dirs: cannot read folder {}", dir.display()))?;
    let (images, others): (Vec<PathBuf>, Vec<PathBuf>) = all
        .into_iter()
        .partition(|p| crate::files::has_extension(p, &["jpg", "jpeg", "png"]));
    for p in others {
        skipped.push((p.display().to_string(), "not a .jpg/.jpeg/.png file".into()));
    }
    Ok(images)
}

fn decode(bytes: &[u8]) -> Result<RgbImage> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    Ok(reader.decode()?.to_rgb8())
}

/// Checks a user image before it joins the pool: sane dimensions from the header first (a
/// decompression bomb is refused without decoding), then a full decode, so a truncated or
/// corrupt file is skipped at start-up instead of failing a sample hours later.
fn check_user_image(path: &Path) -> Result<(), String> {
    let (w, h) = image::image_dimensions(path).map_err(|e| e.to_string())?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        return Err(format!(
            "unsupported size {w}×{h} (at most {MAX_SIDE} px a side and {} megapixels)",
            MAX_PIXELS / 1_000_000
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    decode(&bytes).map_err(|e| format!("{e:#}"))?;
    // JPEG decoders fill a cut-off scan with grey instead of failing; the end marker tells.
    if bytes.starts_with(&[0xFF, 0xD8]) && !jpeg_is_complete(&bytes) {
        return Err("truncated JPEG (no end-of-image marker)".into());
    }
    Ok(())
}

/// Whether a JPEG ends with its end-of-image marker (trailing zero padding allowed).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    bytes[..end].ends_with(&[0xFF, 0xD9])
}

impl BackgroundPool {
    pub fn load(cfg: &BackgroundsConfig) -> Result<BackgroundPool> {
        let mut photos = Vec::new();
        let mut skipped = Vec::new();
        if cfg.bundled {
            for b in BUNDLED_IMAGES {
                let img = decode(b.data).with_context(|| format!("bundled {}", b.file))?;
                photos.push(Photo {
                    name: format!("bundled:backgrounds/{}", b.file),
                    source: PhotoSource::Decoded(Arc::new(img)),
                });
            }
        }
        let mut files = Vec::new();
        for dir in &cfg.dirs {
            files.extend(image_files_in(dir, &mut skipped)?);
        }
        // Decoding every file once costs start-up time but never a sample; in parallel.
        let checked: Vec<Result<(), String>> =
            files.par_iter().map(|p| check_user_image(p)).collect();
        for (path, check) in files.into_iter().zip(checked) {
            let name = path.display().to_string();
            match check {
                Ok(()) => photos.push(Photo {
                    name,
                    source: PhotoSource::File(path),
                }),
                Err(why) => skipped.push((name, why)),
            }
        }
        let (mut kinds, mut weights) = cfg.kinds.options();
        if photos.is_empty() {
            if let Some(i) = kinds.iter().position(|k| *k == BackgroundKind::Photo) {
                kinds.remove(i);
                weights.remove(i);
            }
            if kinds.is_empty() {
                bail!("backgrounds: only `photo` is enabled but no photo is available");
            }
        }
        Ok(BackgroundPool {
            photos,
            kinds,
            weights,
            zoom: (cfg.zoom.min, cfg.zoom.max),
            colors: cfg.colors.iter().map(|c| c.0).collect(),
            skipped,
        })
    }

    pub fn photo_count(&self) -> usize {
        self.photos.len()
    }

    /// Draws a background for a `width × height` canvas.
    pub fn draw(
        &self,
        width: u32,
        height: u32,
        rng: &mut Rng,
    ) -> Result<(RgbImage, BackgroundInfo)> {
        let kind = self.kinds[rng.weighted(&self.weights)];
        let (img, source) = match kind {
            BackgroundKind::Photo => {
                let photo = &self.photos[rng.below(self.photos.len() as u64) as usize];
                let img = match &photo.source {
                    PhotoSource::Decoded(img) => crop_photo(img, width, height, self.zoom, rng),
                    PhotoSource::File(path) => {
                        let bytes = std::fs::read(path).with_context(|| {
                            format!("cannot read background {}", path.display())
                        })?;
                        let decoded = decode(&bytes).with_context(|| {
                            format!("cannot decode background {}", path.display())
                        })?;
                        crop_photo(&decoded, width, height, self.zoom, rng)
                    }
                };
                (img, photo.name.clone())
            }
            BackgroundKind::Solid => {
                let c = pastel_or_any(&self.colors, rng);
                (
                    RgbImage::from_pixel(width, height, Rgb(c)),
                    format!("rgb{c:?}"),
                )
            }
            BackgroundKind::LinearGradient => linear_gradient(width, height, &self.colors, rng),
            BackgroundKind::RadialGradient => radial_gradient(width, height, &self.colors, rng),
            BackgroundKind::Noise => smooth_noise(width, height, &self.colors, rng),
            BackgroundKind::Paper => paper(width, height, &self.colors, rng),
        };
        Ok((img, BackgroundInfo { kind, source }))
    }
}

/// A base colour: from the recipe's palette (slightly varied) when it has one.
fn pastel_or_any(palette: &[[u8; 3]], rng: &mut Rng) -> [u8; 3] {
    if !palette.is_empty() {
        let c = palette[rng.below(palette.len() as u64) as usize];
        let k = rng.range_f64(0.9, 1.06);
        return c.map(|v| (f64::from(v) * k).round().clamp(0.0, 255.0) as u8);
    }
    if rng.chance(0.5) {
        hsv(
            rng.f64() * 360.0,
            rng.range_f64(0.05, 0.35),
            rng.range_f64(0.8, 1.0),
        )
    } else {
        hsv(
            rng.f64() * 360.0,
            rng.range_f64(0.2, 1.0),
            rng.range_f64(0.1, 0.9),
        )
    }
}

/// Random crop of `src` scaled to cover the canvas, `zoom` times further, maybe mirrored.
fn crop_photo(
    src: &RgbImage,
    width: u32,
    height: u32,
    zoom: (f64, f64),
    rng: &mut Rng,
) -> RgbImage {
    let (sw, sh) = (f64::from(src.width()), f64::from(src.height()));
    let cover = (f64::from(width) / sw).max(f64::from(height) / sh);
    let scale = cover * rng.range_f64(zoom.0, zoom.1);
    let (vw, vh) = (f64::from(width) / scale, f64::from(height) / scale);
    let ox = rng.range_f64(0.0, (sw - vw).max(0.0));
    let oy = rng.range_f64(0.0, (sh - vh).max(0.0));
    let mirror = rng.chance(0.5);
    let mut out = RgbImage::new(width, height);
    let (iw, ih) = (src.width() as i64, src.height() as i64);
    let raw = src.as_raw();
    let buf: &mut [u8] = out.as_mut();
    for y in 0..height {
        let sy = (oy + (f64::from(y) + 0.5) / scale - 0.5).clamp(0.0, sh - 1.0);
        let y0 = sy.floor() as i64;
        let fy = ((sy - y0 as f64) * 256.0) as u32;
        let y1 = (y0 + 1).min(ih - 1);
        for x in 0..width {
            let xx = if mirror { width - 1 - x } else { x };
            let sx = (ox + (f64::from(xx) + 0.5) / scale - 0.5).clamp(0.0, sw - 1.0);
            let x0 = sx.floor() as i64;
            let fx = ((sx - x0 as f64) * 256.0) as u32;
            let x1 = (x0 + 1).min(iw - 1);
            let px = |xi: i64, yi: i64, c: usize| u32::from(raw[((yi * iw + xi) * 3) as usize + c]);
            let o = ((y * width + x) * 3) as usize;
            for c in 0..3 {
                let top = px(x0, y0, c) * (256 - fx) + px(x1, y0, c) * fx;
                let bottom = px(x0, y1, c) * (256 - fx) + px(x1, y1, c) * fx;
                buf[o + c] = ((top * (256 - fy) + bottom * fy + (1 << 15)) >> 16) as u8;
            }
        }
    }
    out
}

fn lerp_color(a: [u8; 3], b: [u8; 3], t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (f64::from(a[i]) + (f64::from(b[i]) - f64::from(a[i])) * t).round() as u8)
}

fn linear_gradient(
    width: u32,
    height: u32,
    palette: &[[u8; 3]],
    rng: &mut Rng,
) -> (RgbImage, String) {
    let (a, b) = (pastel_or_any(palette, rng), pastel_or_any(palette, rng));
    let angle = rng.f64() * std::f64::consts::TAU;
    let (dx, dy) = (angle.cos(), angle.sin());
    let (w, h) = (f64::from(width), f64::from(height));
    let half = (w * dx.abs() + h * dy.abs()) / 2.0;
    let img = RgbImage::from_fn(width, height, |x, y| {
        let p = (f64::from(x) + 0.5 - w / 2.0) * dx + (f64::from(y) + 0.5 - h / 2.0) * dy;
        Rgb(lerp_color(a, b, (p / half + 1.0) / 2.0))
    });
    (
        img,
        format!("linear rgb{a:?}→rgb{b:?} {:.0}°", angle.to_degrees()),
    )
}

fn radial_gradient(
    width: u32,
    height: u32,
    palette: &[[u8; 3]],
    rng: &mut Rng,
) -> (RgbImage, String) {
    let (a, b) = (pastel_or_any(palette, rng), pastel_or_any(palette, rng));
    let (w, h) = (f64::from(width), f64::from(height));
    let (cx, cy) = (rng.range_f64(0.2, 0.8) * w, rng.range_f64(0.2, 0.8) * h);
    let r = rng.range_f64(0.5, 1.2) * w.hypot(h) / 2.0;
    let img = RgbImage::from_fn(width, height, |x, y| {
        let d = (f64::from(x) + 0.5 - cx).hypot(f64::from(y) + 0.5 - cy);
        Rgb(lerp_color(a, b, d / r))
    });
    (img, format!("radial rgb{a:?}→rgb{b:?}"))
}

/// Value noise in [0, 1] at `(x, y)` on a lattice of `cell` pixels, smoothstep-interpolated.
fn value_noise(seed: u64, x: f64, y: f64, cell: f64) -> f64 {
    let (gx, gy) = (x / cell, y / cell);
    let (ix, iy) = (gx.floor() as i64, gy.floor() as i64);
    let (fx, fy) = (gx - ix as f64, gy - iy as f64);
    let lattice = |i: i64, j: i64| {
        let h = mix64(seed ^ mix64((i as u64).wrapping_mul(0x9E37_79B9) ^ (j as u64) << 32));
        (h >> 11) as f64 / (1u64 << 53) as f64
    };
    let s = |t: f64| t * t * (3.0 - 2.0 * t);
    let (sx, sy) = (s(fx), s(fy));
    let top = lattice(ix, iy) * (1.0 - sx) + lattice(ix + 1, iy) * sx;
    let bottom = lattice(ix, iy + 1) * (1.0 - sx) + lattice(ix + 1, iy + 1) * sx;
    top * (1.0 - sy) + bottom * sy
}

pub(crate) fn fractal_noise(seed: u64, x: f64, y: f64, cell: f64, octaves: u32) -> f64 {
    let (mut sum, mut amp, mut norm, mut c) = (0.0, 1.0, 0.0, cell);
    for o in 0..octaves {
        sum += amp * value_noise(seed.wrapping_add(u64::from(o)), x, y, c);
        norm += amp;
        amp *= 0.5;
        c = (c / 2.0).max(1.0);
    }
    sum / norm
}

/// Samples the smooth function `f` every `step` pixels and fills a `width × height` field by
/// bilinear interpolation: smooth noise needs no per-pixel evaluation.
pub(crate) fn coarse_field(
    width: u32,
    height: u32,
    step: u32,
    f: impl Fn(f64, f64) -> f64,
) -> Vec<f32> {
    let gw = width.div_ceil(step) + 1;
    let gh = height.div_ceil(step) + 1;
    let grid: Vec<f32> = (0..gh)
        .flat_map(|j| (0..gw).map(move |i| (i, j)))
        .map(|(i, j)| f(f64::from(i * step), f64::from(j * step)) as f32)
        .collect();
    let inv = 1.0 / step as f32;
    let mut out = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        let (j, ty) = ((y / step) as usize, (y % step) as f32 * inv);
        for x in 0..width {
            let (i, tx) = ((x / step) as usize, (x % step) as f32 * inv);
            let at = |di: usize, dj: usize| grid[(j + dj) * gw as usize + i + di];
            let top = at(0, 0) + (at(1, 0) - at(0, 0)) * tx;
            let bottom = at(0, 1) + (at(1, 1) - at(0, 1)) * tx;
            out.push(top + (bottom - top) * ty);
        }
    }
    out
}

fn smooth_noise(width: u32, height: u32, palette: &[[u8; 3]], rng: &mut Rng) -> (RgbImage, String) {
    let (a, b) = (pastel_or_any(palette, rng), pastel_or_any(palette, rng));
    let seed = rng.next_u64();
    let cell = rng.range_f64(24.0, 160.0);
    // The finest octave has a cell of cell/8 ≥ 3 px: a 2-px grid keeps it.
    let field = coarse_field(width, height, 2, |x, y| fractal_noise(seed, x, y, cell, 4));
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb(lerp_color(a, b, f64::from(field[(y * width + x) as usize])))
    });
    (img, format!("noise rgb{a:?}/rgb{b:?} cell {cell:.0}"))
}

fn paper(width: u32, height: u32, palette: &[[u8; 3]], rng: &mut Rng) -> (RgbImage, String) {
    const PAPERS: [[u8; 3]; 6] = [
        [246, 242, 232],
        [238, 228, 204],
        [250, 250, 246],
        [214, 190, 150],
        [236, 222, 222],
        [226, 234, 222],
    ];
    let base = if palette.is_empty() {
        PAPERS[rng.below(PAPERS.len() as u64) as usize]
    } else {
        pastel_or_any(palette, rng)
    };
    let seed = rng.next_u64();
    let blotch = rng.range_f64(6.0, 18.0);
    let grain = rng.range_f64(3.0, 9.0);
    // Blotches: cells of 96, 48 and 24 px, sampled every 6 px.
    let blotches = coarse_field(width, height, 6, |x, y| fractal_noise(seed, x, y, 96.0, 3));
    let img = RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let low = f64::from(blotches[(y * width + x) as usize]) - 0.5;
        // Fibres: noise stretched along x.
        let fibre = value_noise(seed ^ 0xF1B2, fx / 6.0, fy, 2.0) - 0.5;
        let g = (mix64(seed ^ (u64::from(y) << 32 | u64::from(x))) >> 56) as f64 / 255.0 - 0.5;
        let d = low * blotch + fibre * grain + g * grain;
        Rgb(base.map(|c| (f64::from(c) + d).round().clamp(0.0, 255.0) as u8))
    });
    (img, format!("paper rgb{base:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_fills_the_canvas_reproducibly() {
        let pool = BackgroundPool::load(&BackgroundsConfig::default()).unwrap();
        assert_eq!(pool.photo_count(), BUNDLED_IMAGES.len());
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..60 {
            let (a, info) = pool.draw(96, 64, &mut Rng::new(i)).unwrap();
            let (b, _) = pool.draw(96, 64, &mut Rng::new(i)).unwrap();
            assert_eq!((a.width(), a.height()), (96, 64));
            assert_eq!(a, b);
            seen.insert(info.kind);
        }
        assert_eq!(seen.len(), 6, "{seen:?}");
    }

    #[test]
    fn unreadable_user_images_are_skipped_and_counted() {
        let dir = std::env::temp_dir().join(format!("hs-bg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("broken.jpg"), b"not a jpeg").unwrap();
        std::fs::write(dir.join("empty.png"), b"").unwrap();
        let cfg = BackgroundsConfig {
            bundled: false,
            dirs: vec![dir.clone()],
            ..BackgroundsConfig::default()
        };
        let pool = BackgroundPool::load(&cfg).unwrap();
        assert_eq!(pool.photo_count(), 0);
        assert_eq!(pool.skipped.len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
