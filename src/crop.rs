//! Line crops: every text line of a scene cut out, rectified and scaled to a fixed height, with
//! its transcription — recognition data for OCR.
//!
//! A straight line is one slice: its box in layout space, which the block's homography maps onto
//! the image, so the inverse map rectifies it exactly. A curved line is one slice per character
//! (each character is a rotated box along the curve), laid side by side: the crop reads straight.
//! Vertical columns stay upright: their crops have a fixed *width* and read top to bottom.

use anyhow::Result;
use image::RgbImage;
use serde::Serialize;

use crate::background::BackgroundInfo;
use crate::geometry::{Homography, Point, Quad, Rect};
use crate::layout::LineLayout;
use crate::paint::Painter;
use crate::plan::{FontMeta, Plan, Sample};
use crate::recipe::{Direction, OutputConfig, OutputMode};
use crate::scene::native_crop::{native_crop_record, plan_native_crop, render_native_crop};
use crate::scene::{plan_sample, render_sample, Context, StageTimes};
use crate::warp::bilinear_rgb;

/// Longest crop side, in pixels (longer scene lines are scaled down to fit; longer native lines
/// are drawn anew).
pub const MAX_LENGTH: u32 = 8192;

#[derive(Clone, Debug, Serialize)]
pub struct CropChar {
    pub char: String,
    /// `[x0, y0, x1, y1]` in crop pixels.
    #[serde(rename = "box")]
    pub bbox: [f64; 4],
}

#[derive(Clone, Debug, Serialize)]
pub struct CropMeta {
    pub key: String,
    /// The scene this line comes from, and the line's position in it.
    pub index: u64,
    pub line: u32,
    pub block: u32,
    pub text: String,
    pub direction: Direction,
    pub curved: bool,
    pub font: FontMeta,
    pub width: u32,
    pub height: u32,
    /// The line's outline in the scene image.
    pub source_polygon: Vec<[f64; 2]>,
    /// Pixels per em of the line's least legible character in the scene (after warp and
    /// camera), before the crop is scaled to `crop_height`: filter on it for hard cases.
    pub source_px_per_em: f64,
    /// The scene's whole-image effects, as in the scene's metadata ("gaussian_blur 0.80; …").
    pub effects: String,
    pub chars: Vec<CropChar>,
    pub seed: u64,
    pub recipe_hash: String,
    /// Native crops only: what was drawn behind and into the crop (a scene-cut crop's scene
    /// has these in its own metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeCropMeta>,
}

/// How a native crop was drawn.
#[derive(Clone, Debug, Serialize)]
pub struct NativeCropMeta {
    pub background: BackgroundInfo,
    /// The fill colour (two for a gradient).
    pub colors: Vec<[u8; 3]>,
    /// WCAG contrast of the text against the background under it (see the scene's `contrast`).
    pub contrast: f64,
    /// "none", "opaque", "outline" or "plate": see the scene's `contrast_fallback`.
    pub contrast_fallback: &'static str,
    /// Degrees.
    pub rotation: f64,
    pub warp_strength: f64,
}

pub struct LineCrop {
    pub image: RgbImage,
    pub meta: CropMeta,
}

/// The crop key: scene key, underscore, line number (no dots, as WebDataset requires).
pub fn crop_key(index: u64, line: usize) -> String {
    format!("{index:09}_{line:03}")
}

/// One piece of a line: a box in layout space (given as its quad, possibly rotated) whose
/// `along × across` local frame is copied into the crop.
struct Slice {
    quad: Quad,
    along: f64,
    across: f64,
}

fn dist(a: Point, b: Point) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Plans sample `index` as the recipe's mode asks: a scene, or a native crop's crop-sized
/// canvas. Also returns the background when the planner painted it (a native crop's patch;
/// a scene's is left to the painter).
pub fn plan_for_mode(
    ctx: &Context,
    index: u64,
    times: &mut StageTimes,
) -> Result<(Plan, Option<RgbImage>)> {
    match ctx.recipe.output.mode {
        OutputMode::NativeCrops => {
            plan_native_crop(ctx, index, times).map(|(plan, bg)| (plan, Some(bg)))
        }
        OutputMode::Scenes | OutputMode::LineCrops => Ok((plan_sample(ctx, index, times)?, None)),
    }
}

/// Plans and paints sample `index` as the recipe's mode asks (see [`plan_for_mode`]).
pub fn render_for_mode(
    ctx: &Context,
    index: u64,
    painter: &mut dyn Painter,
    times: &mut StageTimes,
) -> Result<Sample> {
    match ctx.recipe.output.mode {
        OutputMode::NativeCrops => render_native_crop(ctx, index, painter, times),
        OutputMode::Scenes | OutputMode::LineCrops => render_sample(ctx, index, painter, times),
    }
}

/// The crops of a painted sample: every line cut out of a scene, or the native crop itself
/// (whose picture is then taken out of `sample`). None for `scenes`.
pub fn crops_for_mode(sample: &mut Sample, cfg: &OutputConfig) -> Vec<LineCrop> {
    match cfg.mode {
        OutputMode::Scenes => Vec::new(),
        OutputMode::LineCrops => line_crops(sample, cfg),
        OutputMode::NativeCrops => vec![native_crop_record(sample)],
    }
}

/// Slices of a line, in reading order, with corners reordered so that corner 0→1 runs along
/// the reading direction and 0→3 across it.
fn slices(line: &LineLayout, dir: Direction) -> Vec<Slice> {
    let quads: Vec<Quad> = if line.curved {
        line.chars.iter().map(|c| c.quad).collect()
    } else {
        vec![line.bounds.quad()]
    };
    quads
        .into_iter()
        .map(|q| {
            // A column is read downwards: along = top-left→bottom-left, across =
            // top-left→top-right; the strip built this way is transposed afterwards.
            let q = match dir {
                Direction::Horizontal => q,
                Direction::Vertical => [q[0], q[3], q[2], q[1]],
            };
            Slice {
                quad: q,
                along: dist(q[0], q[1]),
                across: dist(q[0], q[3]),
            }
        })
        .collect()
}

/// Cuts every line of `sample` out of its image.
pub fn line_crops(sample: &Sample, cfg: &OutputConfig) -> Vec<LineCrop> {
    let mut out = Vec::new();
    let mut line_no = 0usize;
    let meta_lines = &sample.meta.lines;
    for (b, block) in sample.blocks.iter().enumerate() {
        let to_image = block.layout_to_canvas();
        let dir = block.layout.direction;
        for line in &block.layout.lines {
            let meta_line = &meta_lines[line_no];
            let pieces = slices(line, dir);
            let across = pieces.iter().map(|s| s.across).fold(0.0, f64::max);
            if across <= 0.0 || pieces.is_empty() {
                line_no += 1;
                continue;
            }
            let pad = cfg.crop_padding * across;
            let total_along: f64 = pieces.iter().map(|s| s.along).sum::<f64>() + 2.0 * pad;
            let mut k = f64::from(cfg.crop_height) / (across + 2.0 * pad);
            if total_along * k > f64::from(MAX_LENGTH) {
                k = f64::from(MAX_LENGTH) / total_along;
            }
            let thick = cfg.crop_height;
            let length = (total_along * k).round().max(1.0) as u32;
            // Build the strip as `length × thick` (reading left to right), turn it for columns.
            let mut strip = RgbImage::new(length, thick);
            let mut chars = Vec::new();
            // Local frame of each slice: x along from −pad, y across from −pad.
            let mut start = 0.0f64;
            for (s_idx, s) in pieces.iter().enumerate() {
                let first = s_idx == 0;
                let last = s_idx + 1 == pieces.len();
                let lead = if first { pad } else { 0.0 };
                let trail = if last { pad } else { 0.0 };
                let local = Rect::new(0.0, 0.0, s.along, s.across).quad();
                let Some(to_layout) = Homography::from_quads(&local, &s.quad) else {
                    continue;
                };
                let map = to_image.then_after(&to_layout);
                let u0 = (start * k).round() as u32;
                let u1 = (((start + lead + s.along + trail) * k).round() as u32).min(length);
                for u in u0..u1 {
                    let x = (f64::from(u) + 0.5) / k - start - lead;
                    for v in 0..thick {
                        // Centre the slice across the strip (slices of a curve may differ).
                        let y = (f64::from(v) + 0.5) / k - pad - (across - s.across) / 2.0;
                        let p = map.apply(Point::new(x, y));
                        strip.put_pixel(u, v, image::Rgb(bilinear_rgb(&sample.image, p)));
                    }
                }
                if line.curved {
                    let c = &line.chars[s_idx];
                    chars.push((c.ch, (start + lead) * k, (start + lead + s.along) * k));
                } else {
                    // Straight line: each character's box along the slice.
                    let inv = to_layout.inverse().expect("a slice maps a box");
                    for c in &line.chars {
                        let lb = Rect::of_points(c.quad.map(|p| inv.apply(p)).iter());
                        chars.push((c.ch, (lead + lb.x0) * k, (lead + lb.x1) * k));
                    }
                }
                start += lead + s.along + trail;
            }
            let across_box = (pad * k, f64::from(thick) - pad * k);
            let (image, boxes): (RgbImage, Vec<[f64; 4]>) = match dir {
                Direction::Horizontal => (
                    strip,
                    chars
                        .iter()
                        .map(|(_, a0, a1)| [*a0, across_box.0, *a1, across_box.1])
                        .collect(),
                ),
                // The strip runs down the column (along) by left to right (across): its
                // transpose is the upright column.
                Direction::Vertical => {
                    let upright = transpose(&strip);
                    let boxes = chars
                        .iter()
                        .map(|(_, a0, a1)| [across_box.0, *a0, across_box.1, *a1])
                        .collect();
                    (upright, boxes)
                }
            };
            let round2 = |v: f64| (v * 100.0).round() / 100.0;
            out.push(LineCrop {
                meta: CropMeta {
                    key: crop_key(sample.meta.index, line_no),
                    index: sample.meta.index,
                    line: line_no as u32,
                    block: b as u32,
                    text: line.text.clone(),
                    direction: dir,
                    curved: line.curved,
                    font: meta_line.font.clone(),
                    width: image.width(),
                    height: image.height(),
                    source_polygon: meta_line.polygon.clone(),
                    source_px_per_em: meta_line.px_per_em,
                    effects: sample.meta.effects.clone(),
                    chars: chars
                        .iter()
                        .zip(boxes)
                        .map(|((ch, _, _), bx)| CropChar {
                            char: ch.to_string(),
                            bbox: bx.map(round2),
                        })
                        .collect(),
                    seed: sample.meta.seed,
                    recipe_hash: sample.meta.recipe_hash.clone(),
                    native: None,
                },
                image,
            });
            line_no += 1;
        }
    }
    out
}

/// Swaps rows and columns.
fn transpose(img: &RgbImage) -> RgbImage {
    RgbImage::from_fn(img.height(), img.width(), |x, y| *img.get_pixel(y, x))
}
