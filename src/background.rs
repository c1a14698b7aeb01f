//! Backgrounds: bundled and user photos (cropped and scaled to the canvas) and procedural ones.
//!
//! Photos are decoded once at start-up into a pool shared by all threads, pre-scaled (2×2 box
//! halving) to about what the largest canvas needs at the largest zoom, so a sample's crop is a
//! small fixed-point resample. User photos are kept this way up to a memory budget; past it they
//! are decoded when drawn. Unreadable user files are skipped and counted. Procedural kinds use only
//! the sample's own random stream, so they are reproducible bit for bit.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use image::{Rgb, RgbImage};
use rayon::prelude::*;

use crate::color::hsv;
use crate::noise;
use crate::recipe::{BackgroundKind, BackgroundsConfig};
use crate::rng::Rng;

/// A bundled image: file name under `backgrounds/` and its bytes.
pub struct BundledImage {
    pub file: &'static str,
    pub data: &'static [u8],
}

impl BundledImage {
    /// Scanned papers and surfaces (`paper_*`, `texture_*`) are the `texture` kind; the rest
    /// (`photo_*`) are photos.
    pub fn is_texture(&self) -> bool {
        !self.file.starts_with("photo_")
    }
}

/// Above this many expected uses of each photo in one run, `generate` warns: the model would
/// learn the bundled photos by heart.
pub const PHOTO_REUSE_WARNING: f64 = 1000.0;

macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        &[$(BundledImage { file: $name, data: include_bytes!(concat!("../backgrounds/", $name)) }),*]
    };
}

pub static BUNDLED_IMAGES: &[BundledImage] = bundled!(
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
    /// Decoded when drawn; `size` is the file's full size (known from the start-up check).
    File {
        path: PathBuf,
        size: (u32, u32),
    },
}

struct Photo {
    /// `bundled:backgrounds/NAME` or the file path.
    name: String,
    source: PhotoSource,
}

/// A background with every random choice made: what a painter draws. Image coordinates are
/// those of the source as the painter sees it (for a photo decoded when drawn: after its
/// pre-scaling by [`prescaled_size`]).
#[derive(Clone, Debug, PartialEq)]
pub enum BackgroundPlan {
    /// A crop of image `index` of the photo (or texture) pool: canvas pixel centre (x + 0.5)
    /// samples source point `x0 + (x + 0.5) / scale − 0.5` (mirrored horizontally if asked).
    Image {
        texture: bool,
        index: usize,
        scale: f64,
        x0: f64,
        y0: f64,
        mirror: bool,
        /// The canvas the scale was chosen to cover (the painted size, or the scene a patch
        /// is cut from): a photo decoded when drawn is pre-scaled for it.
        cover_to: (u32, u32),
    },
    Solid {
        color: [u8; 3],
    },
    /// From `from` to `to` along `angle` (radians) across the canvas.
    LinearGradient {
        from: [u8; 3],
        to: [u8; 3],
        angle: f64,
    },
    /// From `from` at the centre to `to` at `radius` (pixels).
    RadialGradient {
        from: [u8; 3],
        to: [u8; 3],
        centre: (f64, f64),
        radius: f64,
    },
    /// Fractal value noise of cells of `cell` pixels between two colours.
    Noise {
        from: [u8; 3],
        to: [u8; 3],
        seed: u64,
        cell: f64,
    },
    /// Paper: blotches, fibres and grain around `base`.
    Paper {
        base: [u8; 3],
        seed: u64,
        blotch: f32,
        grain: f32,
    },
}

/// Spacing, in canvas pixels, of the pixels a [`Thumbnail`] holds.
pub const THUMB_STEP: u32 = 4;

/// A background's pixels on a coarse grid: pixel `(i, j)` is canvas pixel `(i·step, j·step)`.
#[derive(Clone, Debug)]
pub struct Thumbnail {
    pub image: RgbImage,
    pub step: u32,
}

impl Thumbnail {
    /// The held pixel nearest canvas point `(x, y)` (clamped to the canvas).
    pub fn pixel_near(&self, x: f64, y: f64) -> [u8; 3] {
        let s = f64::from(self.step);
        let i = ((x / s).round().max(0.0) as u32).min(self.image.width() - 1);
        let j = ((y / s).round().max(0.0) as u32).min(self.image.height() - 1);
        self.image.get_pixel(i, j).0
    }
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
    textures: Vec<Photo>,
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
fn check_user_image(path: &Path) -> Result<RgbImage, String> {
    let (w, h) = image::image_dimensions(path).map_err(|e| e.to_string())?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        return Err(format!(
            "unsupported size {w}×{h} (at most {MAX_SIDE} px a side and {} megapixels)",
            MAX_PIXELS / 1_000_000
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let img = decode(&bytes).map_err(|e| format!("{e:#}"))?;
    // JPEG decoders fill a cut-off scan with grey instead of failing; the end marker tells.
    if bytes.starts_with(&[0xFF, 0xD8]) && !jpeg_is_complete(&bytes) {
        return Err("truncated JPEG (no end-of-image marker)".into());
    }
    Ok(img)
}

/// Whether a JPEG ends with its end-of-image marker (trailing zero padding allowed).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    bytes[..end].ends_with(&[0xFF, 0xD9])
}

/// A user image that passed the start-up check: pre-scaled, and its full size.
type CheckedImage = (RgbImage, (u32, u32));

/// Memory for pre-scaled user photos kept decoded; photos past it are decoded when drawn.
const DECODED_BUDGET_BYTES: usize = 256 << 20;

impl BackgroundPool {
    /// Loads the pool for canvases of the sizes in `canvases` (photos are pre-scaled to what
    /// the largest of them needs at the largest zoom).
    pub fn load(cfg: &BackgroundsConfig, canvases: &[(u32, u32)]) -> Result<BackgroundPool> {
        let zoom_max = cfg.zoom.max;
        let need = |img: &RgbImage| {
            canvases
                .iter()
                .map(|&(w, h)| {
                    (f64::from(w) / f64::from(img.width()))
                        .max(f64::from(h) / f64::from(img.height()))
                        * zoom_max
                })
                .fold(0.0, f64::max)
        };
        let mut photos = Vec::new();
        let mut textures = Vec::new();
        let mut skipped = Vec::new();
        if cfg.bundled {
            let decoded: Vec<Result<RgbImage>> = BUNDLED_IMAGES
                .par_iter()
                .map(|b| decode(b.data).with_context(|| format!("bundled {}", b.file)))
                .collect();
            for (b, img) in BUNDLED_IMAGES.iter().zip(decoded) {
                let img = img?;
                let n = need(&img);
                let photo = Photo {
                    name: format!("bundled:backgrounds/{}", b.file),
                    source: PhotoSource::Decoded(Arc::new(prescale(img, n))),
                };
                if b.is_texture() {
                    textures.push(photo);
                } else {
                    photos.push(photo);
                }
            }
        }
        let mut files = Vec::new();
        for dir in &cfg.dirs {
            files.extend(image_files_in(dir, &mut skipped)?);
        }
        // Every file is decoded once at start-up (a broken one costs start-up time, never a
        // sample), in parallel and in chunks so memory stays bounded; pre-scaled copies are
        // kept while the budget lasts.
        let mut kept_bytes = 0usize;
        for chunk in files.chunks(64) {
            let checked: Vec<Result<CheckedImage, String>> = chunk
                .par_iter()
                .map(|p| {
                    check_user_image(p).map(|img| {
                        let (n, size) = (need(&img), img.dimensions());
                        (prescale(img, n), size)
                    })
                })
                .collect();
            for (path, check) in chunk.iter().zip(checked) {
                let name = path.display().to_string();
                match check {
                    Ok((img, size)) => {
                        let source = if kept_bytes + img.len() <= DECODED_BUDGET_BYTES {
                            kept_bytes += img.len();
                            PhotoSource::Decoded(Arc::new(img))
                        } else {
                            PhotoSource::File {
                                path: path.clone(),
                                size,
                            }
                        };
                        photos.push(Photo { name, source });
                    }
                    Err(why) => skipped.push((name, why)),
                }
            }
        }
        let (mut kinds, mut weights) = cfg.kinds.options();
        for (kind, pool) in [
            (BackgroundKind::Photo, &photos),
            (BackgroundKind::Texture, &textures),
        ] {
            if pool.is_empty() {
                if let Some(i) = kinds.iter().position(|k| *k == kind) {
                    kinds.remove(i);
                    weights.remove(i);
                }
            }
        }
        if kinds.is_empty() {
            bail!(
                "backgrounds: only image kinds (photo, texture) are enabled but no image is \
                 available; add a photo folder to backgrounds.dirs, set backgrounds.bundled: \
                 true, or enable a procedural kind"
            );
        }
        Ok(BackgroundPool {
            photos,
            textures,
            kinds,
            weights,
            zoom: (cfg.zoom.min, cfg.zoom.max),
            colors: cfg.colors.iter().map(|c| c.0).collect(),
            skipped,
        })
    }

    /// Photos (bundled and user) the `photo` kind draws from.
    pub fn photo_count(&self) -> usize {
        self.photos.len()
    }

    /// How often each photo is used on average in a run of `samples` samples.
    pub fn expected_uses_per_photo(&self, samples: u64) -> f64 {
        let total: f64 = self.weights.iter().sum();
        match self.kinds.iter().position(|k| *k == BackgroundKind::Photo) {
            Some(i) if !self.photos.is_empty() => {
                samples as f64 * self.weights[i] / total / self.photos.len() as f64
            }
            _ => 0.0,
        }
    }

    /// A warning when each photo would be seen more than [`PHOTO_REUSE_WARNING`] times.
    pub fn reuse_warning(&self, samples: u64) -> Option<String> {
        let uses = self.expected_uses_per_photo(samples);
        (uses > PHOTO_REUSE_WARNING).then(|| {
            format!(
                "each of the {} photo(s) would be used about {uses:.0} times in {samples} \
                 samples; add your own photos (backgrounds.dirs) so that the model does not \
                 learn these by heart",
                self.photos.len()
            )
        })
    }

    /// Plans a background for a `width × height` canvas: every random choice, no pixels.
    pub fn plan(&self, width: u32, height: u32, rng: &mut Rng) -> (BackgroundPlan, BackgroundInfo) {
        self.plan_patch(width, height, (width, height), rng)
    }

    /// Plans a `width × height` patch of what a `scene` canvas would show: a photo or texture
    /// at the scale it takes to cover the scene (and the patch), so that a line crop's patch
    /// has the grain a line on a scene has instead of a whole photo shrunk into a strip;
    /// procedural kinds are planned for the patch itself.
    pub fn plan_patch(
        &self,
        width: u32,
        height: u32,
        scene: (u32, u32),
        rng: &mut Rng,
    ) -> (BackgroundPlan, BackgroundInfo) {
        let cover_to = (scene.0.max(width), scene.1.max(height));
        let kind = self.kinds[rng.weighted(&self.weights)];
        let (plan, source) = match kind {
            BackgroundKind::Photo | BackgroundKind::Texture => {
                let texture = kind == BackgroundKind::Texture;
                let pool = if texture {
                    &self.textures
                } else {
                    &self.photos
                };
                let index = rng.below(pool.len() as u64) as usize;
                let photo = &pool[index];
                let (sw, sh) = self.source_size(photo, cover_to.0, cover_to.1);
                let (scale, x0, y0, mirror) =
                    plan_crop((sw, sh), (width, height), cover_to, self.zoom, rng);
                let plan = BackgroundPlan::Image {
                    texture,
                    index,
                    scale,
                    x0,
                    y0,
                    mirror,
                    cover_to,
                };
                (plan, photo.name.clone())
            }
            BackgroundKind::Solid => {
                let color = pastel_or_any(&self.colors, rng);
                (BackgroundPlan::Solid { color }, format!("rgb{color:?}"))
            }
            BackgroundKind::LinearGradient => {
                let (from, to) = (
                    pastel_or_any(&self.colors, rng),
                    pastel_or_any(&self.colors, rng),
                );
                let angle = rng.f64() * std::f64::consts::TAU;
                let desc = format!("linear rgb{from:?}→rgb{to:?} {:.0}°", angle.to_degrees());
                (BackgroundPlan::LinearGradient { from, to, angle }, desc)
            }
            BackgroundKind::RadialGradient => {
                let (from, to) = (
                    pastel_or_any(&self.colors, rng),
                    pastel_or_any(&self.colors, rng),
                );
                let (w, h) = (f64::from(width), f64::from(height));
                let centre = (rng.range_f64(0.2, 0.8) * w, rng.range_f64(0.2, 0.8) * h);
                let radius = rng.range_f64(0.5, 1.2) * w.hypot(h) / 2.0;
                let desc = format!("radial rgb{from:?}→rgb{to:?}");
                let plan = BackgroundPlan::RadialGradient {
                    from,
                    to,
                    centre,
                    radius,
                };
                (plan, desc)
            }
            BackgroundKind::Noise => {
                let (from, to) = (
                    pastel_or_any(&self.colors, rng),
                    pastel_or_any(&self.colors, rng),
                );
                let seed = rng.next_u64();
                let cell = rng.range_f64(24.0, 160.0);
                let desc = format!("noise rgb{from:?}/rgb{to:?} cell {cell:.0}");
                (
                    BackgroundPlan::Noise {
                        from,
                        to,
                        seed,
                        cell,
                    },
                    desc,
                )
            }
            BackgroundKind::Paper => {
                let base = if self.colors.is_empty() {
                    PAPERS[rng.below(PAPERS.len() as u64) as usize]
                } else {
                    pastel_or_any(&self.colors, rng)
                };
                let seed = rng.next_u64();
                let blotch = rng.range_f64(6.0, 18.0) as f32;
                let grain = rng.range_f64(3.0, 9.0) as f32;
                let desc = format!("paper rgb{base:?}");
                (
                    BackgroundPlan::Paper {
                        base,
                        seed,
                        blotch,
                        grain,
                    },
                    desc,
                )
            }
        };
        (plan, BackgroundInfo { kind, source })
    }

    /// The size of `photo` as the painter samples it for a `width × height` canvas.
    fn source_size(&self, photo: &Photo, width: u32, height: u32) -> (u32, u32) {
        match &photo.source {
            PhotoSource::Decoded(img) => img.dimensions(),
            PhotoSource::File { size, .. } => {
                prescaled_size(*size, cover(*size, width, height) * self.zoom.1)
            }
        }
    }

    /// Paints a planned background (the CPU reference).
    pub fn paint(&self, plan: &BackgroundPlan, width: u32, height: u32) -> Result<RgbImage> {
        let (xs, ys): (Vec<u32>, Vec<u32>) = ((0..width).collect(), (0..height).collect());
        self.paint_on(plan, width, height, &xs, &ys)
    }

    /// Paints canvas columns `xs` × rows `ys` (increasing) of a planned `width × height`
    /// background: pixel `(i, j)` of the result is canvas pixel `(xs[i], ys[j])`, whatever else
    /// is painted. Every kind is a function of the pixel's coordinates, so a thumbnail holds
    /// exactly the values of the full picture.
    fn paint_on(
        &self,
        plan: &BackgroundPlan,
        width: u32,
        height: u32,
        xs: &[u32],
        ys: &[u32],
    ) -> Result<RgbImage> {
        let (w, h) = (xs.len() as u32, ys.len() as u32);
        Ok(match *plan {
            BackgroundPlan::Image {
                texture,
                index,
                scale,
                x0,
                y0,
                mirror,
                cover_to,
            } => {
                let pool = if texture {
                    &self.textures
                } else {
                    &self.photos
                };
                let crop = |src: &RgbImage| {
                    let cols = bilinear_axis_at(xs, width, x0, scale, src.width(), mirror);
                    let rows = bilinear_axis_at(ys, height, y0, scale, src.height(), false);
                    paint_crop_axes(src, &cols, &rows)
                };
                match &pool[index].source {
                    PhotoSource::Decoded(img) => crop(img),
                    PhotoSource::File { path, size } => {
                        let bytes = std::fs::read(path).with_context(|| {
                            format!("cannot read background {}", path.display())
                        })?;
                        let decoded = decode(&bytes).with_context(|| {
                            format!("cannot decode background {}", path.display())
                        })?;
                        let need = cover(*size, cover_to.0, cover_to.1) * self.zoom.1;
                        crop(&prescale(decoded, need))
                    }
                }
            }
            BackgroundPlan::Solid { color } => RgbImage::from_pixel(w, h, Rgb(color)),
            BackgroundPlan::LinearGradient { from, to, angle } => {
                let g = Gradient::linear(width, height, from, to, angle, xs, ys);
                g.paint()
            }
            BackgroundPlan::RadialGradient {
                from,
                to,
                centre,
                radius,
            } => Gradient::radial(from, to, centre, radius, xs, ys).paint(),
            BackgroundPlan::Noise {
                from,
                to,
                seed,
                cell,
            } => smooth_noise(from, to, seed, cell, xs, ys),
            BackgroundPlan::Paper {
                base,
                seed,
                blotch,
                grain,
            } => PaperParts::new(width, seed, blotch, grain, xs, ys).paint(base),
        })
    }

    /// What the planner reads of a planned background instead of painting it whole: its
    /// pixels at every [`THUMB_STEP`]-th column and row (x = 0, s, 2s, …), exactly the values
    /// the painter gives those pixels. A sixteenth of the work, and the GPU path never paints
    /// a background on the CPU.
    pub fn thumbnail(&self, plan: &BackgroundPlan, width: u32, height: u32) -> Result<Thumbnail> {
        let step = THUMB_STEP;
        let xs: Vec<u32> = (0..width).step_by(step as usize).collect();
        let ys: Vec<u32> = (0..height).step_by(step as usize).collect();
        let image = self.paint_on(plan, width, height, &xs, &ys)?;
        Ok(Thumbnail { image, step })
    }

    /// Plans and paints a background for a `width × height` canvas.
    pub fn draw(
        &self,
        width: u32,
        height: u32,
        rng: &mut Rng,
    ) -> Result<(RgbImage, BackgroundInfo)> {
        let (plan, info) = self.plan(width, height, rng);
        Ok((self.paint(&plan, width, height)?, info))
    }
}

/// How much a `size` image must be scaled to cover a `width × height` canvas.
fn cover(size: (u32, u32), width: u32, height: u32) -> f64 {
    (f64::from(width) / f64::from(size.0)).max(f64::from(height) / f64::from(size.1))
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

/// Per output coordinate of a scaled axis: the two source indices and the 8-bit weight of the
/// second. Computed once per axis, so the per-pixel work is integer only.
#[cfg(any(test, feature = "gpu"))]
fn bilinear_axis(
    n: u32,
    offset: f64,
    scale: f64,
    src_len: u32,
    mirror: bool,
) -> Vec<(u32, u32, u32)> {
    let coords: Vec<u32> = (0..n).collect();
    bilinear_axis_at(&coords, n, offset, scale, src_len, mirror)
}

/// [`bilinear_axis`] at the output coordinates `coords` of an axis of `n` pixels.
pub(crate) fn bilinear_axis_at(
    coords: &[u32],
    n: u32,
    offset: f64,
    scale: f64,
    src_len: u32,
    mirror: bool,
) -> Vec<(u32, u32, u32)> {
    let last = f64::from(src_len - 1);
    coords
        .iter()
        .map(|&i| {
            let o = if mirror { n - 1 - i } else { i };
            let s = (offset + (f64::from(o) + 0.5) / scale - 0.5).clamp(0.0, last);
            let i0 = s.floor();
            let f = ((s - i0) * 256.0) as u32;
            (i0 as u32, (i0 as u32 + 1).min(src_len - 1), f)
        })
        .collect()
}

/// A random crop of a `(sw, sh)` source scaled to cover the canvas, `zoom` times further,
/// maybe mirrored: (scale, window origin x, y, mirror).
fn plan_crop(
    (sw, sh): (u32, u32),
    (width, height): (u32, u32),
    cover_to: (u32, u32),
    zoom: (f64, f64),
    rng: &mut Rng,
) -> (f64, f64, f64, bool) {
    let scale = cover((sw, sh), cover_to.0, cover_to.1) * rng.range_f64(zoom.0, zoom.1);
    let (sw, sh) = (f64::from(sw), f64::from(sh));
    let (vw, vh) = (f64::from(width) / scale, f64::from(height) / scale);
    let ox = rng.range_f64(0.0, (sw - vw).max(0.0));
    let oy = rng.range_f64(0.0, (sh - vh).max(0.0));
    (scale, ox, oy, rng.chance(0.5))
}

/// Paints a planned crop of `src` (see [`BackgroundPlan::Image`]).
#[cfg(test)]
fn paint_crop(
    src: &RgbImage,
    width: u32,
    height: u32,
    scale: f64,
    (ox, oy): (f64, f64),
    mirror: bool,
) -> RgbImage {
    let xs = bilinear_axis(width, ox, scale, src.width(), mirror);
    let ys = bilinear_axis(height, oy, scale, src.height(), false);
    paint_crop_axes(src, &xs, &ys)
}

/// Resamples `src` by per-column and per-row [`bilinear_axis`] tables.
fn paint_crop_axes(src: &RgbImage, xs: &[(u32, u32, u32)], ys: &[(u32, u32, u32)]) -> RgbImage {
    let (width, height) = (xs.len() as u32, ys.len() as u32);
    let mut out = RgbImage::new(width, height);
    let stride = src.width() as usize * 3;
    let raw = src.as_raw();
    // Separable: each source row is resampled horizontally once (in 1/256 levels) and kept
    // while output rows still blend it.
    let resample_row = |y: u32, buf: &mut [u32]| {
        let line = &raw[y as usize * stride..][..stride];
        for (px, &(x0, x1, fx)) in buf.chunks_exact_mut(3).zip(xs) {
            let (a, b) = (x0 as usize * 3, x1 as usize * 3);
            for (c, v) in px.iter_mut().enumerate() {
                *v = u32::from(line[a + c]) * (256 - fx) + u32::from(line[b + c]) * fx;
            }
        }
    };
    let n = width as usize * 3;
    let (mut top, mut bottom) = ((u32::MAX, vec![0u32; n]), (u32::MAX, vec![0u32; n]));
    for (row, &(y0, y1, fy)) in out.chunks_exact_mut(n.max(1)).zip(ys) {
        if top.0 != y0 {
            if bottom.0 == y0 {
                std::mem::swap(&mut top, &mut bottom);
            } else {
                resample_row(y0, &mut top.1);
                top.0 = y0;
            }
        }
        if bottom.0 != y1 {
            resample_row(y1, &mut bottom.1);
            bottom.0 = y1;
        }
        blend_rows(&top.1, &bottom.1, fy, row);
    }
    out
}

crate::simd::avx2_dispatch! {
/// One output row of [`paint_crop`]: two resampled source rows blended with weight `fy`/256.
fn blend_rows(top: &[u32], bottom: &[u32], fy: u32, out: &mut [u8]) {
    for ((o, t), u) in out.iter_mut().zip(top).zip(bottom) {
        *o = ((t * (256 - fy) + u * fy + (1 << 15)) >> 16) as u8;
    }
}
}

/// Halves `img` (2×2 box average) while the size it is needed at, `need` times its own, is at
/// most half: pre-scaling once at start-up makes every later crop a small resample, and box
/// averaging before bilinear sampling keeps large photos from aliasing.
fn prescale(mut img: RgbImage, mut need: f64) -> RgbImage {
    while need <= 0.5 && img.width() >= 4 && img.height() >= 4 {
        img = halve(&img);
        need *= 2.0;
    }
    img
}

/// The size [`prescale`] gives a `size` image needed at `need` times its own.
fn prescaled_size((mut w, mut h): (u32, u32), mut need: f64) -> (u32, u32) {
    while need <= 0.5 && w >= 4 && h >= 4 {
        (w, h) = (w / 2, h / 2);
        need *= 2.0;
    }
    (w, h)
}

fn halve(img: &RgbImage) -> RgbImage {
    let (w, h) = (img.width() / 2, img.height() / 2);
    let stride = img.width() as usize * 3;
    let raw = img.as_raw();
    let mut out = RgbImage::new(w, h);
    for (y, row) in out.chunks_exact_mut(w as usize * 3).enumerate() {
        let (a, b) = (
            &raw[2 * y * stride..][..stride],
            &raw[(2 * y + 1) * stride..][..stride],
        );
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            for (c, v) in px.iter_mut().enumerate() {
                let (i, j) = (6 * x + c, 6 * x + 3 + c);
                let sum = u32::from(a[i]) + u32::from(a[j]) + u32::from(b[i]) + u32::from(b[j]);
                *v = ((sum + 2) / 4) as u8;
            }
        }
    }
    out
}

/// 256 colours from `a` to `b`: procedural kinds compute a position 0..=255 per pixel and look
/// its colour up, instead of interpolating three channels in floating point.
fn ramp(a: [u8; 3], b: [u8; 3]) -> Vec<[u8; 3]> {
    (0..256)
        .map(|i| lerp_color(a, b, f64::from(i) / 255.0))
        .collect()
}

fn lerp_color(a: [u8; 3], b: [u8; 3], t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (f64::from(a[i]) + (f64::from(b[i]) - f64::from(a[i])) * t).round() as u8)
}

/// The ramp index of position `t` in [0, 1] (clamped).
#[inline(always)]
fn ramp_index(t: f32) -> u8 {
    // At most 255.5, so truncating to u8 rounds.
    (t.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// A gradient as every painter evaluates it: per pixel one f32 addition `v = col[i] + row[j]`
/// (correctly rounded everywhere, GPUs included), then the ramp index of `v` — `v` itself for a
/// linear gradient, `√v / r` for a radial one (then `v` is the squared distance). The index is
/// a non-decreasing function of `v`, so a GPU can find it exactly by comparing `v` with
/// [`Gradient::thresholds`] instead of repeating the float steps after the addition.
pub(crate) struct Gradient {
    pub col: Vec<f32>,
    pub row: Vec<f32>,
    pub colors: Vec<[u8; 3]>,
    /// `None` for linear; `Some(1 / r)` for radial.
    inv_radius: Option<f32>,
}

impl Gradient {
    /// From `a` to `b` along `angle` across a `width × height` canvas, at columns `xs` × rows
    /// `ys`: `t = (p / half + 1) / 2` with `p` the projection of the pixel centre on the
    /// direction and `half` the canvas's half-extent along it.
    pub(crate) fn linear(
        width: u32,
        height: u32,
        a: [u8; 3],
        b: [u8; 3],
        angle: f64,
        xs: &[u32],
        ys: &[u32],
    ) -> Gradient {
        let (dx, dy) = (angle.cos(), angle.sin());
        let (w, h) = (f64::from(width), f64::from(height));
        let half = (w * dx.abs() + h * dy.abs()) / 2.0;
        let (kx, ky) = ((dx / (2.0 * half)) as f32, (dy / (2.0 * half)) as f32);
        let t0 = (0.5 + ((0.5 - w / 2.0) * dx + (0.5 - h / 2.0) * dy) / (2.0 * half)) as f32;
        Gradient {
            col: xs.iter().map(|&x| t0 + kx * x as f32).collect(),
            row: ys.iter().map(|&y| ky * y as f32).collect(),
            colors: ramp(a, b),
            inv_radius: None,
        }
    }

    /// From `a` at `centre` to `b` at distance `r`, at columns `xs` × rows `ys`.
    pub(crate) fn radial(
        a: [u8; 3],
        b: [u8; 3],
        (cx, cy): (f64, f64),
        r: f64,
        xs: &[u32],
        ys: &[u32],
    ) -> Gradient {
        let (cx, cy) = ((cx - 0.5) as f32, (cy - 0.5) as f32);
        let square = |d: f32| d * d;
        Gradient {
            col: xs.iter().map(|&x| square(x as f32 - cx)).collect(),
            row: ys.iter().map(|&y| square(y as f32 - cy)).collect(),
            colors: ramp(a, b),
            inv_radius: Some((1.0 / r) as f32),
        }
    }

    /// The ramp index of `v = col[i] + row[j]`.
    #[inline(always)]
    #[cfg_attr(not(any(test, feature = "gpu")), allow(dead_code))]
    fn index(&self, v: f32) -> u8 {
        match self.inv_radius {
            None => ramp_index(v),
            Some(inv_r) => ramp_index(v.sqrt() * inv_r),
        }
    }

    /// `thresholds[k − 1]`: the least `v ≥ 0` whose index is at least `k` (k = 1..=255), so a
    /// pixel's index is the number of thresholds at or below its `v` (0 for negative `v`).
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    pub(crate) fn thresholds(&self) -> [f32; 255] {
        let mut out = [0f32; 255];
        // Non-negative f32s are ordered as their bit patterns; +∞ has index 255.
        let (mut lo, hi_all) = (0u32, f32::INFINITY.to_bits());
        for (k, t) in (1u8..=255).zip(out.iter_mut()) {
            let mut hi = hi_all;
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.index(f32::from_bits(mid)) >= k {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            *t = f32::from_bits(lo);
        }
        out
    }

    fn paint(&self) -> RgbImage {
        let (w, h) = (self.col.len(), self.row.len());
        let colors: &[[u8; 3]; 256] = self.colors.as_slice().try_into().expect("256 colours");
        let mut img = RgbImage::new(w as u32, h as u32);
        let mut index = vec![0u8; w];
        for (row, &r) in img.chunks_exact_mut((w * 3).max(1)).zip(&self.row) {
            // Two SIMD-friendly loops: indices, then colours.
            match self.inv_radius {
                None => {
                    for (i, &c) in index.iter_mut().zip(&self.col) {
                        *i = ramp_index(c + r);
                    }
                }
                Some(inv_r) => {
                    for (i, &c) in index.iter_mut().zip(&self.col) {
                        *i = ramp_index((c + r).sqrt() * inv_r);
                    }
                }
            }
            for (px, i) in row.chunks_exact_mut(3).zip(&index) {
                px.copy_from_slice(&colors[usize::from(*i)]);
            }
        }
        img
    }
}

/// Octaves of the noise background's fractal field.
pub(crate) const NOISE_OCTAVES: u32 = 4;

/// The noise background's ramp index from its field sum (see [`noise::fractal_sum16`]):
/// `round(sum / (65535 · (2^octaves − 1)) · 255)`, exactly.
pub(crate) fn noise_index(sum: u32, div: &noise::Divisor) -> u8 {
    div.div(sum * 255 + div.d / 2) as u8
}

/// The divisor [`noise_index`] takes.
pub(crate) fn noise_divisor() -> noise::Divisor {
    noise::Divisor::new(65535 * ((1 << NOISE_OCTAVES) - 1))
}

fn smooth_noise(a: [u8; 3], b: [u8; 3], seed: u64, cell: f64, xs: &[u32], ys: &[u32]) -> RgbImage {
    let sums = noise::fractal_sum16(seed, xs, ys, cell, NOISE_OCTAVES);
    let colors = ramp(a, b);
    let div = noise_divisor();
    let mut img = RgbImage::new(xs.len() as u32, ys.len() as u32);
    for (px, &s) in img.chunks_exact_mut(3).zip(&sums) {
        px.copy_from_slice(&colors[usize::from(noise_index(s, &div))]);
    }
    img
}

/// Base colours of paper when the recipe gives none.
const PAPERS: [[u8; 3]; 6] = [
    [246, 242, 232],
    [238, 228, 204],
    [250, 250, 246],
    [214, 190, 150],
    [236, 222, 222],
    [226, 234, 222],
];

/// Paper's blotches: fractal noise from cells of 96 px, three octaves.
pub(crate) const PAPER_BLOTCH: (f64, u32) = (96.0, 3);
/// Paper's fibres: one octave stretched along x, cells of 12 × 2 px, on its own seed.
pub(crate) const PAPER_FIBRE: ((f64, f64), u64) = ((12.0, 2.0), 0xF1B2);

/// Paper at columns `xs` × rows `ys` of a `width`-wide canvas, in integers: blotches, fibres
/// and grain (a random byte per pixel) shift the base colour by [`paper_shift`].
pub(crate) struct PaperParts {
    /// Blotch field sums (weights 4, 2, 1) per asked pixel.
    blotches: Vec<u32>,
    /// Fibre values in [0, 65535] per asked pixel.
    fibres: Vec<u32>,
    /// The grain byte per asked pixel (from [`noise::row_bytes`] of whole canvas rows).
    specks: Vec<u8>,
    /// Blotch and grain amplitudes in 1/256 levels.
    pub amplitudes: (i32, i32),
    w: usize,
}

/// Blotch and grain amplitudes (levels) in 1/256 levels.
pub(crate) fn paper_amplitudes(blotch: f32, grain: f32) -> (i32, i32) {
    let fixed = |v: f32| (f64::from(v) * 256.0).round() as i32;
    (fixed(blotch), fixed(grain))
}

/// How far paper's pixel moves from the base colour, in 1/256 levels: blotch value `l` and
/// fibre value `f` (both in [0, 65535]) and grain byte `g`, each centred and scaled by its
/// amplitude. Arithmetic shifts floor negative products alike on CPUs and GPUs.
#[inline(always)]
pub(crate) fn paper_shift(l: u32, f: u32, g: u8, (b, gr): (i32, i32)) -> i32 {
    (((l as i32 - 32768) * b) >> 16)
        + (((f as i32 - 32768) * gr) >> 16)
        + (((i32::from(g) * 257 - 32768) * gr) >> 16)
}

/// A base channel moved by `shift` (1/256 levels), rounded and clamped to a byte.
#[inline(always)]
pub(crate) fn paper_channel(base: u8, shift: i32) -> u8 {
    ((i32::from(base) * 256 + shift + 128) >> 8).clamp(0, 255) as u8
}

impl PaperParts {
    fn new(width: u32, seed: u64, blotch: f32, grain: f32, xs: &[u32], ys: &[u32]) -> PaperParts {
        let blotches = noise::fractal_sum16(seed, xs, ys, PAPER_BLOTCH.0, PAPER_BLOTCH.1);
        let mut fibres = vec![0u32; xs.len() * ys.len()];
        noise::Octave16::new(seed ^ PAPER_FIBRE.1, xs, ys, PAPER_FIBRE.0, 0).add_to(&mut fibres);
        let mut row = vec![0u8; width as usize];
        let mut specks = Vec::with_capacity(xs.len() * ys.len());
        for &y in ys {
            noise::row_bytes(seed, y, &mut row);
            specks.extend(xs.iter().map(|&x| row[x as usize]));
        }
        PaperParts {
            blotches,
            fibres,
            specks,
            amplitudes: paper_amplitudes(blotch, grain),
            w: xs.len(),
        }
    }

    fn paint(&self, base: [u8; 3]) -> RgbImage {
        let h = self.specks.len().checked_div(self.w).unwrap_or(0);
        let mut img = RgbImage::new(self.w as u32, h as u32);
        let mut shift = vec![0i32; self.w];
        for (j, row) in img.chunks_exact_mut((self.w * 3).max(1)).enumerate() {
            let at = j * self.w..(j + 1) * self.w;
            paper_row(
                &self.blotches[at.clone()],
                &self.fibres[at.clone()],
                &self.specks[at],
                self.amplitudes,
                base,
                &mut shift,
                row,
            );
        }
        img
    }
}

crate::simd::avx2_dispatch! {
/// One row of paper in two SIMD-friendly steps: the shift per pixel, then per channel.
fn paper_row(
    blotches: &[u32],
    fibres: &[u32],
    specks: &[u8],
    amplitudes: (i32, i32),
    base: [u8; 3],
    shift: &mut [i32],
    out: &mut [u8],
) {
    for (((d, &l), &f), &g) in shift.iter_mut().zip(blotches).zip(fibres).zip(specks) {
        *d = paper_shift(blotch_value(l), f, g, amplitudes);
    }
    for (px, &d) in out.chunks_exact_mut(3).zip(&*shift) {
        px[0] = paper_channel(base[0], d);
        px[1] = paper_channel(base[1], d);
        px[2] = paper_channel(base[2], d);
    }
}
}

/// A blotch field sum (weights 4 + 2 + 1) as a value in [0, 65535]: `sum · 4681 / 2^15`
/// (4681 / 2^15 ≈ 1/7; a multiply and a shift, exact in u32, where a division would dominate
/// the pixel).
#[inline(always)]
pub(crate) fn blotch_value(sum: u32) -> u32 {
    (sum * 4681) >> 15
}

/// A procedural background as the GPU painter's kernels take it: the same tables the CPU
/// painter computes, for every canvas pixel.
#[cfg(feature = "gpu")]
pub(crate) enum Procedural {
    Gradient(Gradient),
    Noise {
        octaves: Vec<noise::Octave16>,
        colors: Vec<[u8; 3]>,
        divisor: u32,
    },
    Paper {
        blotches: Vec<noise::Octave16>,
        fibre: noise::Octave16,
        /// [`noise::row_seed`] per canvas row (the grain bytes).
        row_seeds: Vec<u64>,
        amplitudes: (i32, i32),
        base: [u8; 3],
    },
}

/// The kernel tables of a procedural `plan` on a `width × height` canvas; `None` for images
/// and solid colours.
#[cfg(feature = "gpu")]
pub(crate) fn procedural(plan: &BackgroundPlan, width: u32, height: u32) -> Option<Procedural> {
    if matches!(
        plan,
        BackgroundPlan::Image { .. } | BackgroundPlan::Solid { .. }
    ) {
        return None;
    }
    let (xs, ys): (Vec<u32>, Vec<u32>) = ((0..width).collect(), (0..height).collect());
    Some(match *plan {
        BackgroundPlan::Image { .. } | BackgroundPlan::Solid { .. } => {
            unreachable!("returned above")
        }
        BackgroundPlan::LinearGradient { from, to, angle } => {
            Procedural::Gradient(Gradient::linear(width, height, from, to, angle, &xs, &ys))
        }
        BackgroundPlan::RadialGradient {
            from,
            to,
            centre,
            radius,
        } => Procedural::Gradient(Gradient::radial(from, to, centre, radius, &xs, &ys)),
        BackgroundPlan::Noise {
            from,
            to,
            seed,
            cell,
        } => Procedural::Noise {
            octaves: noise::fractal_octaves16(seed, &xs, &ys, cell, NOISE_OCTAVES),
            colors: ramp(from, to),
            divisor: noise_divisor().d,
        },
        BackgroundPlan::Paper {
            base,
            seed,
            blotch,
            grain,
        } => Procedural::Paper {
            blotches: noise::fractal_octaves16(seed, &xs, &ys, PAPER_BLOTCH.0, PAPER_BLOTCH.1),
            fibre: noise::Octave16::new(seed ^ PAPER_FIBRE.1, &xs, &ys, PAPER_FIBRE.0, 0),
            row_seeds: ys.iter().map(|&y| noise::row_seed(seed, y)).collect(),
            amplitudes: paper_amplitudes(blotch, grain),
            base,
        },
    })
}

/// For the GPU painter, which repeats [`paint_crop`]'s integer arithmetic.
#[cfg(feature = "gpu")]
impl BackgroundPool {
    /// The decoded source of an image background and the axis tables [`paint_crop`] samples
    /// it with (same [`bilinear_axis`] calls); `None` for other kinds and for photos decoded
    /// when drawn.
    #[allow(clippy::type_complexity)]
    pub(crate) fn crop_source(
        &self,
        plan: &BackgroundPlan,
        width: u32,
        height: u32,
    ) -> Option<(&Arc<RgbImage>, Vec<(u32, u32, u32)>, Vec<(u32, u32, u32)>)> {
        let BackgroundPlan::Image {
            texture,
            index,
            scale,
            x0,
            y0,
            mirror,
            ..
        } = *plan
        else {
            return None;
        };
        let pool = if texture {
            &self.textures
        } else {
            &self.photos
        };
        let PhotoSource::Decoded(src) = &pool[index].source else {
            return None;
        };
        let xs = bilinear_axis(width, x0, scale, src.width(), mirror);
        let ys = bilinear_axis(height, y0, scale, src.height(), false);
        Some((src, xs, ys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_reuse_is_warned_about() {
        let pool = BackgroundPool::load(&BackgroundsConfig::default(), &[(96, 64)]).unwrap();
        // Default kinds: photo has weight 3 of 10, over 16 bundled photos.
        let per = pool.expected_uses_per_photo(1000);
        assert!((per - 1000.0 * 0.3 / 16.0).abs() < 1e-9, "{per}");
        assert!(pool.reuse_warning(10_000).is_none());
        let w = pool.reuse_warning(100_000).expect("1,875 uses per photo");
        assert!(
            w.contains("backgrounds.dirs") && w.contains("1875 times"),
            "{w}"
        );
    }

    #[test]
    fn every_kind_fills_the_canvas_reproducibly() {
        let pool = BackgroundPool::load(&BackgroundsConfig::default(), &[(96, 64)]).unwrap();
        let photos = BUNDLED_IMAGES.iter().filter(|b| !b.is_texture()).count();
        assert_eq!(pool.photo_count(), photos);
        assert_eq!(photos, 16, "10 Lomiri wallpapers and 6 scikit-image photos");
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..80 {
            let (a, info) = pool.draw(96, 64, &mut Rng::new(i)).unwrap();
            let (b, _) = pool.draw(96, 64, &mut Rng::new(i)).unwrap();
            assert_eq!((a.width(), a.height()), (96, 64));
            assert_eq!(a, b);
            // A photo is a photo and a texture is a texture, never the other.
            match info.kind {
                BackgroundKind::Photo => assert!(info.source.contains("/photo_"), "{info:?}"),
                BackgroundKind::Texture => assert!(!info.source.contains("/photo_"), "{info:?}"),
                _ => {}
            }
            seen.insert(info.kind);
        }
        assert_eq!(seen.len(), 7, "{seen:?}");
    }

    #[test]
    fn a_patch_keeps_the_photo_scale_of_its_scene() {
        let cfg = BackgroundsConfig {
            kinds: crate::recipe::Weights::from_pairs(&[(BackgroundKind::Photo, 1.0)]),
            ..BackgroundsConfig::default()
        };
        let pool = BackgroundPool::load(&cfg, &[(640, 480)]).unwrap();
        for i in 0..20 {
            let (patch, _) = pool.plan_patch(300, 48, (640, 480), &mut Rng::new(i));
            let (whole, _) = pool.plan(300, 48, &mut Rng::new(i));
            let (
                BackgroundPlan::Image { scale: s, .. },
                BackgroundPlan::Image {
                    scale: w, index, ..
                },
            ) = (patch, whole)
            else {
                panic!("photos only");
            };
            // Scaled to cover the scene, not the strip: at least as large, and never shrunk
            // below what covering 640×480 takes.
            let (sw, sh) = match &pool.photos[index].source {
                PhotoSource::Decoded(img) => img.dimensions(),
                PhotoSource::File { .. } => unreachable!("bundled photos are decoded"),
            };
            assert!(s >= w - 1e-12, "{s} < {w}");
            assert!(s >= cover((sw, sh), 640, 480) * pool.zoom.0 - 1e-12);
        }
    }

    #[test]
    fn separable_photo_crop_matches_per_pixel_bilinear() {
        let src = RgbImage::from_fn(90, 70, |x, y| {
            Rgb([(x * 3) as u8, (y * 3) as u8, ((x * y) % 255) as u8])
        });
        for seed in 0..8 {
            let (w, h) = (64, 48);
            let (scale, ox, oy, mirror) =
                plan_crop((90, 70), (w, h), (w, h), (1.0, 2.5), &mut Rng::new(seed));
            let fast = paint_crop(&src, w, h, scale, (ox, oy), mirror);
            // The same random draws, then the textbook per-pixel formula.
            let mut rng = Rng::new(seed);
            let cover = (64.0 / 90.0f64).max(48.0 / 70.0);
            let scale = cover * rng.range_f64(1.0, 2.5);
            let ox = rng.range_f64(0.0, (90.0 - 64.0 / scale).max(0.0));
            let oy = rng.range_f64(0.0, (70.0 - 48.0 / scale).max(0.0));
            let mirror = rng.chance(0.5);
            let xs = bilinear_axis(w, ox, scale, 90, mirror);
            let ys = bilinear_axis(h, oy, scale, 70, false);
            for (x, y, px) in fast.enumerate_pixels() {
                let ((x0, x1, fx), (y0, y1, fy)) = (xs[x as usize], ys[y as usize]);
                for c in 0..3 {
                    let at = |xx: u32, yy: u32| u32::from(src.get_pixel(xx, yy).0[c]);
                    let t = at(x0, y0) * (256 - fx) + at(x1, y0) * fx;
                    let b = at(x0, y1) * (256 - fx) + at(x1, y1) * fx;
                    assert_eq!(
                        u32::from(px.0[c]),
                        (t * (256 - fy) + b * fy + (1 << 15)) >> 16
                    );
                }
            }
        }
    }

    // The procedural kinds as first written, one pixel at a time: what the row-wise SIMD
    // versions must match.
    /// Fills a canvas from a per-pixel ramp position `t(x, y)` in [0, 1].
    fn reference_from_ramp(
        width: u32,
        height: u32,
        colors: &[[u8; 3]],
        t: impl Fn(u32, u32) -> f32,
    ) -> RgbImage {
        let mut img = RgbImage::new(width, height);
        for (y, row) in img.chunks_exact_mut(width as usize * 3).enumerate() {
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                let i = (t(x as u32, y as u32).clamp(0.0, 1.0) * 255.0 + 0.5) as usize;
                px.copy_from_slice(&colors[i]);
            }
        }
        img
    }

    fn reference_linear_gradient(
        width: u32,
        height: u32,
        a: [u8; 3],
        b: [u8; 3],
        angle: f64,
    ) -> RgbImage {
        let (dx, dy) = (angle.cos(), angle.sin());
        let (w, h) = (f64::from(width), f64::from(height));
        let half = (w * dx.abs() + h * dy.abs()) / 2.0;
        // t = (p / half + 1) / 2 with p the projection of the pixel centre on the direction.
        let (kx, ky) = ((dx / (2.0 * half)) as f32, (dy / (2.0 * half)) as f32);
        let t0 = (0.5 + ((0.5 - w / 2.0) * dx + (0.5 - h / 2.0) * dy) / (2.0 * half)) as f32;
        reference_from_ramp(width, height, &ramp(a, b), |x, y| {
            t0 + kx * x as f32 + ky * y as f32
        })
    }

    fn reference_radial_gradient(
        width: u32,
        height: u32,
        a: [u8; 3],
        b: [u8; 3],
        (cx, cy): (f64, f64),
        r: f64,
    ) -> RgbImage {
        let (cx, cy, inv_r) = ((cx - 0.5) as f32, (cy - 0.5) as f32, (1.0 / r) as f32);
        reference_from_ramp(width, height, &ramp(a, b), |x, y| {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            (dx * dx + dy * dy).sqrt() * inv_r
        })
    }

    /// One octave of integer value noise at pixel `(x, y)`, straight from the lattice.
    fn reference_octave16(seed: u64, x: u32, y: u32, (cx, cy): (f64, f64)) -> u32 {
        let ((i, sx), (j, sy)) = (noise::axis16(&[x], cx)[0], noise::axis16(&[y], cy)[0]);
        let at = |i, j| noise::lattice16(seed, i, j);
        let (a, b) = (
            noise::blend16(at(i, j), at(i, j + 1), sy),
            noise::blend16(at(i + 1, j), at(i + 1, j + 1), sy),
        );
        noise::blend16(a, b, sx)
    }

    fn reference_fractal_sum16(seed: u64, x: u32, y: u32, cell: f64, octaves: u32) -> u32 {
        let mut c = cell;
        let mut sum = 0;
        for o in 0..octaves {
            sum += reference_octave16(seed + u64::from(o), x, y, (c, c)) << (octaves - 1 - o);
            c = (c / 2.0).max(1.0);
        }
        sum
    }

    fn reference_smooth_noise(
        width: u32,
        height: u32,
        a: [u8; 3],
        b: [u8; 3],
        seed: u64,
        cell: f64,
    ) -> RgbImage {
        let colors = ramp(a, b);
        RgbImage::from_fn(width, height, |x, y| {
            let t =
                reference_fractal_sum16(seed, x, y, cell, NOISE_OCTAVES) as f64 / (65535.0 * 15.0);
            Rgb(colors[(t * 255.0).round() as usize])
        })
    }

    fn reference_paper(
        width: u32,
        height: u32,
        base: [u8; 3],
        seed: u64,
        blotch: f32,
        grain: f32,
    ) -> RgbImage {
        let amp = paper_amplitudes(blotch, grain);
        let mut specks = vec![0u8; width as usize];
        let mut img = RgbImage::new(width, height);
        for y in 0..height {
            noise::row_bytes(seed, y, &mut specks);
            for x in 0..width {
                let l = reference_fractal_sum16(seed, x, y, 96.0, 3) * 4681 / 32768;
                let f = reference_octave16(seed ^ 0xF1B2, x, y, (12.0, 2.0));
                let d = paper_shift(l, f, specks[x as usize], amp);
                img.put_pixel(x, y, Rgb(base.map(|c| paper_channel(c, d))));
            }
        }
        img
    }

    #[test]
    fn procedural_kinds_match_the_per_pixel_reference() {
        let (a, b) = ([250, 12, 90], [3, 200, 140]);
        for (w, h) in [(1, 1), (7, 3), (33, 17), (96, 64)] {
            let (xs, ys): (Vec<u32>, Vec<u32>) = ((0..w).collect(), (0..h).collect());
            for angle in [0.0, 0.7, 2.5, 4.0] {
                assert_eq!(
                    Gradient::linear(w, h, a, b, angle, &xs, &ys).paint(),
                    reference_linear_gradient(w, h, a, b, angle)
                );
            }
            let centre = (f64::from(w) * 0.3, f64::from(h) * 0.6);
            assert_eq!(
                Gradient::radial(a, b, centre, 40.0, &xs, &ys).paint(),
                reference_radial_gradient(w, h, a, b, centre, 40.0)
            );
            for (seed, cell) in [(1, 24.0), (2, 3.3), (3, 160.0)] {
                assert_eq!(
                    smooth_noise(a, b, seed, cell, &xs, &ys),
                    reference_smooth_noise(w, h, a, b, seed, cell)
                );
            }
            for (seed, base) in [(4, [246, 242, 232]), (5, [3, 250, 128])] {
                assert_eq!(
                    PaperParts::new(w, seed, 17.0, 8.5, &xs, &ys).paint(base),
                    reference_paper(w, h, base, seed, 17.0, 8.5)
                );
            }
        }
    }

    #[test]
    fn a_thumbnail_holds_the_painted_pixels_of_its_grid() {
        let pool = BackgroundPool::load(&BackgroundsConfig::default(), &[(97, 61)]).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for i in 0..60 {
            let (plan, info) = pool.plan(97, 61, &mut Rng::new(i));
            kinds.insert(info.kind);
            let full = pool.paint(&plan, 97, 61).unwrap();
            let thumb = pool.thumbnail(&plan, 97, 61).unwrap();
            assert_eq!(thumb.image.dimensions(), (25, 16));
            for (x, y, p) in thumb.image.enumerate_pixels() {
                assert_eq!(*p, *full.get_pixel(x * 4, y * 4), "{plan:?} at {x},{y}");
            }
        }
        assert_eq!(kinds.len(), 7, "{kinds:?}");
    }

    #[test]
    fn gradient_thresholds_give_the_ramp_index() {
        let xs: Vec<u32> = (0..64).collect();
        let grads = [
            Gradient::linear(64, 48, [0; 3], [255; 3], 0.9, &xs, &xs[..48]),
            Gradient::radial([0; 3], [255; 3], (20.0, 30.0), 37.5, &xs, &xs[..48]),
        ];
        for g in grads {
            let thr = g.thresholds();
            assert!(thr.windows(2).all(|w| w[0] <= w[1]) && thr[0] > 0.0);
            let mut rng = Rng::new(3);
            let samples = (0..20_000).map(|_| rng.range_f64(-0.2, 1.3) as f32).chain(
                // The thresholds themselves and their neighbours are where an error would be.
                thr.iter().flat_map(|t| [t.next_down(), *t, t.next_up()]),
            );
            for v in samples.chain(g.col.iter().flat_map(|c| g.row.iter().map(move |r| c + r))) {
                let by_count = thr.iter().filter(|t| **t <= v).count();
                assert_eq!(by_count, usize::from(g.index(v)), "v = {v}");
            }
        }
    }

    #[test]
    fn photo_crop_simd_and_baseline_builds_agree() {
        let src = RgbImage::from_raw(61, 47, crate::simd::random_bytes(8, 61 * 47 * 3)).unwrap();
        for (seed, (w, h)) in [(1, (40, 30)), (2, (33, 9)), (3, (7, 50))].into_iter() {
            let (scale, ox, oy, mirror) =
                plan_crop((61, 47), (w, h), (w, h), (1.0, 2.5), &mut Rng::new(seed));
            let fast = paint_crop(&src, w, h, scale, (ox, oy), mirror);
            let base =
                crate::simd::with_baseline(|| paint_crop(&src, w, h, scale, (ox, oy), mirror));
            assert_eq!(fast, base);
        }
    }

    #[test]
    fn large_photos_are_prescaled_by_box_halving() {
        let img = RgbImage::from_fn(2000, 1000, |x, y| {
            Rgb([(x % 2 * 200) as u8, (y % 2 * 100) as u8, 7])
        });
        // Needed at 0.2 of its size: halved twice (then needed at 0.8), never below.
        let small = prescale(img.clone(), 0.2);
        assert_eq!(small.dimensions(), (500, 250));
        // A 2×2 box average turns the pixel-level pattern into its mean.
        assert!(small.pixels().all(|p| p.0 == [100, 50, 7]));
        assert_eq!(prescale(img.clone(), 0.6).dimensions(), (2000, 1000));
        // The painter of a photo decoded when drawn relies on knowing the size beforehand.
        for need in [0.05, 0.2, 0.26, 0.5, 0.51, 1.0] {
            let odd = RgbImage::new(1999, 1001);
            assert_eq!(
                prescale(odd, need).dimensions(),
                prescaled_size((1999, 1001), need),
                "{need}"
            );
        }
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
        let pool = BackgroundPool::load(&cfg, &[(96, 64)]).unwrap();
        assert_eq!(pool.photo_count(), 0);
        assert_eq!(pool.skipped.len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
