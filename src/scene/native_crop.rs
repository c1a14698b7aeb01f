//! Native line crops (`output.mode: native_crops`): each record is one text line drawn straight
//! into a crop-sized canvas — its own background patch, looks, a mild warp and the whole-image
//! effects on the crop alone — the way OCR recognisers' generators work. Nothing is painted that
//! the crop does not show, so a crop costs a fraction of a scene cut into crops
//! ([`crate::crop::line_crops`]), at the price of the context a scene gives (neighbouring text,
//! perspective of a whole sign, the camera).
//!
//! A native crop is planned as a [`Plan`] whose canvas is the crop, so any painter paints it and
//! its labels come from the plan alone. It is a child of `scene` so that it uses the planner's
//! own building blocks — looks, synthetic style, planes, contrast rescues, colours — unchanged:
//! the same recipe draws the same kinds of text in both modes.
//!
//! Guarantees, as in a scene: one face draws every character (no tofu), every character is at
//! least `text.min_size` pixels per em after the warp, and the text reaches `color.min_contrast`
//! against the background under it (through the scene's rescues: opaque ink, an outline, a
//! plate) unless `color.keep_low_contrast`.

use std::time::Instant;

use anyhow::{bail, Result};
use image::RgbImage;

use super::{
    color_block, draw_synthetic, font_meta, ink_points, lap, luminances_under, paint_planned,
    render_planes, Backdrop, Context, Looks, PlannedBlock, Rescue, Spot, StageTimes,
};
use crate::color::{effective_contrast, luminance_spread};
use crate::crop::{crop_key, CropChar, CropMeta, LineCrop, NativeCropMeta, MAX_LENGTH};
use crate::effects::plan_pixel_effects;
use crate::fonts::Face;
use crate::geometry::{Homography, Point, Rect};
use crate::layout::{
    block_px_per_em, layout_block, line_px_per_em, BlockLayout, BlockStyle, Curve, Spacing,
};
use crate::paint::Painter;
use crate::plan::{
    json_point, json_quad, round4, sample_key, BlockMeta, CharMeta, FontMeta, LineMeta, Plan,
    RenderedBlock, Sample, SampleMeta, SyntheticStyle,
};
use crate::recipe::{Align, Direction, Language, Recipe, WarpConfig};
use crate::render::LAYER_PAD;
use crate::rng::Rng;
use crate::warp::random_shape;

/// Steepest rotation of a native crop, degrees: a crop is a line a detector has already found
/// and levelled, so it is nearly level.
const MAX_TILT_DEG: f64 = 3.0;
/// Rotation is also bounded so that the line rises by at most this share of its own height
/// over its length: a long line would otherwise shrink to fit its tilt into the crop.
const MAX_RISE: f64 = 0.3;
/// Strongest perspective (corner displacement as a share of the line's size).
const MAX_STRENGTH: f64 = 0.05;
/// Texts tried before a sample fails.
const ATTEMPTS: u32 = 64;

/// The recipe's warp tamed for a line whose across/along ratio is `aspect`.
fn tamed_warp(cfg: &WarpConfig, aspect: f64) -> WarpConfig {
    let tilt = MAX_TILT_DEG.min((MAX_RISE * aspect).atan().to_degrees());
    let mut w = cfg.clone();
    w.rotation.min = cfg.rotation.min.clamp(-tilt, tilt);
    w.rotation.max = cfg.rotation.max.clamp(-tilt, tilt);
    w.strength.min = cfg.strength.min.min(MAX_STRENGTH);
    w.strength.max = cfg.strength.max.min(MAX_STRENGTH);
    w
}

/// A line set and placed in its crop.
struct Fitted {
    layout: BlockLayout,
    /// Layout coordinates → crop pixels.
    to_crop: Homography,
    width: u32,
    height: u32,
    strength: f64,
    rotation: f64,
}

/// Sets `text` in `face` and sizes it so that the warped line's box spans the crop's thickness
/// less `output.crop_padding` on each side (as a scene-cut crop does), centred across and with
/// that padding along. `None` when the face cannot draw it, the crop would exceed
/// [`MAX_LENGTH`], or a character ends up below `text.min_size`.
#[allow(clippy::too_many_arguments)]
fn fit_line(
    r: &Recipe,
    face: &Face,
    text: &str,
    dir: Direction,
    spacing: Spacing,
    looks: &Looks,
    synthetic: SyntheticStyle,
    warp_rng: &Rng,
) -> Option<Fitted> {
    let out = &r.output;
    let thick = f64::from(out.crop_height);
    let target = thick / (1.0 + 2.0 * out.crop_padding);
    let lines = [text.to_string()];
    // A line box is about an em across; two rounds correct that guess and the warp's growth
    // (layout and warp scale linearly with the size).
    let mut size = target;
    for round in 0..4 {
        let style = BlockStyle {
            direction: dir,
            size,
            spacing,
            align: Align::Start,
            title_scale: 1.0,
            curve: Curve::Straight,
            outline: looks.stroke.map_or(0.0, |w| w * size) + synthetic.bold * size,
            slant: synthetic.oblique.to_radians().tan(),
            x_scale: synthetic.width,
        };
        let layout = layout_block(face, &lines, &style).ok()?;
        let b = layout.bounds;
        let (along, across) = match dir {
            Direction::Horizontal => (b.width(), b.height()),
            Direction::Vertical => (b.height(), b.width()),
        };
        if along <= 0.0 || across <= 0.0 {
            return None;
        }
        let warp = tamed_warp(&r.warp, across / along);
        let (shape, strength, rotation) =
            random_shape(b.width(), b.height(), &warp, &mut warp_rng.clone());
        let sb = Rect::of_points(shape.iter());
        let (reach_along, reach_across) = match dir {
            Direction::Horizontal => (sb.width(), sb.height()),
            Direction::Vertical => (sb.height(), sb.width()),
        };
        let k = target / reach_across;
        if (k - 1.0).abs() > 0.01 && round < 3 {
            size *= k;
            continue;
        }
        if reach_across > thick - 1.0 {
            return None;
        }
        let pad = out.crop_padding * target;
        let length = (reach_along + 2.0 * pad).ceil();
        if length > f64::from(MAX_LENGTH) {
            return None;
        }
        // Centred both ways: the box sits `pad` from the ends and mid-way across.
        let (width, height) = match dir {
            Direction::Horizontal => (length, thick),
            Direction::Vertical => (thick, length),
        };
        let centre = Point::new((sb.x0 + sb.x1) / 2.0, (sb.y0 + sb.y1) / 2.0);
        let to_shape = Homography::from_quads(&b.quad(), &shape)?;
        let to_crop = Homography::translate(width / 2.0 - centre.x, height / 2.0 - centre.y)
            .then_after(&to_shape);
        if block_px_per_em(&layout, &to_crop) < r.text.min_size {
            return None;
        }
        return Some(Fitted {
            layout,
            to_crop,
            width: width as u32,
            height: height as u32,
            strength,
            rotation,
        });
    }
    None
}

/// Plans native crop `index`. Also returns its background as painted: a crop's patch is
/// small, so it is read whole (unlike a scene's, see [`super::plan_sample`]) and the painter
/// may start from it.
pub fn plan_native_crop(
    ctx: &Context,
    index: u64,
    times: &mut StageTimes,
) -> Result<(Plan, RgbImage)> {
    let mut clock = Instant::now();
    let r = &ctx.recipe;
    let root = Rng::for_sample(r.seed, index);
    let mut resamples = 0;
    for attempt in 0..ATTEMPTS {
        let mut rng = root.fork(&format!("text{attempt}"));
        let text = ctx.corpus.sample_line(&r.corpus, &mut rng);
        // No tofu: one face draws every character, or the text is drawn anew.
        let Some(face) = ctx.fonts.choose(&text, &mut rng) else {
            resamples += 1;
            continue;
        };
        let (dirs, weights) = r.text.direction.options();
        let dir = dirs[rng.weighted(&weights)];
        let spacing = Spacing {
            letter: rng.range_f64(r.text.letter_spacing.min, r.text.letter_spacing.max),
            line: 1.0,
        };
        let looks = Looks::draw(r, &mut rng.fork("looks"));
        let synthetic = draw_synthetic(&r.fonts.synthetic, &mut rng.fork("synthetic"));
        let warp_rng = rng.fork("warp");
        let background_rng = rng.fork("background");
        let color_rng = rng.fork("color");
        let seed = rng.next_u64();
        lap(&mut clock, &mut times.sampling);
        let face_ref = &ctx.fonts.faces[face];
        // A photo patch has the scale it would have on the recipe's canvas.
        let scene_size = super::canvas_size(r, &mut rng.fork("canvas"));
        // Like a scene's block, which tries `placement.tries` spots on its background, a crop
        // tries as many background patches for one where the contrast target is reachable,
        // then the scene's rescues (each changes the looks, an outline also the layout).
        let mut chosen = None;
        'rescues: for rescue in std::iter::once(Rescue::None).chain(Rescue::ALL) {
            let looks = looks.clone().rescued(rescue);
            let Some(fit) = fit_line(
                r, face_ref, &text, dir, spacing, &looks, synthetic, &warp_rng,
            ) else {
                break;
            };
            lap(&mut clock, &mut times.layout);
            let size = fit.layout.size;
            let pad = (LAYER_PAD + looks.reach() * size).ceil();
            let planes = render_planes(
                &fit.layout,
                face_ref,
                pad,
                &looks,
                synthetic.bold * size,
                seed,
                // The scene's light shades carriers only; native crops draw none.
                0.0,
            );
            lap(&mut clock, &mut times.raster);
            let to_canvas = fit.to_crop.then_after(&Homography::translate(-pad, -pad));
            let ink = ink_points(&planes.fill);
            let (w, h) = (fit.width, fit.height);
            for patch in 0..r.placement.tries {
                let bg_rng = background_rng.fork(&format!("patch{patch}"));
                let (bg_plan, info) =
                    ctx.backgrounds
                        .plan_patch(w, h, scene_size, &mut bg_rng.clone());
                // A patch is small: read whole, and handed to the painter.
                let canvas = Backdrop::whole(ctx.backgrounds.paint(&bg_plan, w, h)?);
                lap(&mut clock, &mut times.background);
                let (dark, light) = luminance_spread(luminances_under(&ink, &to_canvas, &canvas));
                let plated = looks.plate.is_some() || rescue == Rescue::Outline;
                let reachable = if plated {
                    21.0
                } else {
                    [[0, 0, 0], [255, 255, 255]]
                        .map(|c| effective_contrast(c, looks.opacity, looks.blend, dark, light))
                        .into_iter()
                        .fold(0.0, f64::max)
                };
                lap(&mut clock, &mut times.placement);
                if reachable >= r.color.min_contrast || r.color.keep_low_contrast {
                    let spot = Spot {
                        to_canvas,
                        footprint: [Point::new(0.0, 0.0); 4],
                        dark,
                        light,
                        reachable,
                        texture: 0.0,
                        ambient: [0, 0, 0],
                    };
                    chosen = Some((rescue, looks, fit, pad, planes, spot, bg_plan, info, canvas));
                    break 'rescues;
                }
            }
        }
        if let Some((rescue, looks, fit, pad, planes, spot, background_plan, info, canvas)) = chosen
        {
            let (w, h) = (fit.width, fit.height);
            let to_canvas = spot.to_canvas;
            let size = fit.layout.size;
            let laid = Rect::new(
                0.0,
                0.0,
                fit.layout.bounds.x1 + 2.0 * pad,
                fit.layout.bounds.y1 + 2.0 * pad,
            );
            let footprint = to_canvas.apply_quad(&laid.quad());
            let spot = Spot { footprint, ..spot };
            let mut block = PlannedBlock {
                caption: vec![text.clone()],
                face,
                layout: fit.layout,
                pad,
                looks,
                synthetic,
                planes,
                shape: footprint,
                strength: fit.strength,
                rotation: fit.rotation,
                align: Align::Start,
                curve: "straight",
                rescue,
            };
            let (mut planes, mut layers) = (Vec::new(), Vec::new());
            let painted = color_block(
                ctx,
                &mut block,
                &spot,
                &mut planes,
                &mut layers,
                &mut color_rng.clone(),
            );
            let to_image = fit.to_crop;
            let text_px = block_px_per_em(&block.layout, &to_image);
            let effects = plan_pixel_effects(&r.effects, &root.fork("effects"), text_px);
            let font = FontMeta {
                synthetic,
                ..font_meta(ctx, face)
            };
            let line = &block.layout.lines[0];
            let line_meta = LineMeta {
                text: line.text.clone(),
                block: 0,
                direction: dir,
                font,
                size: round4(line.size),
                px_per_em: round4(line_px_per_em(line, &to_image)),
                color: painted.colors[0],
                contrast: round4(painted.contrast),
                quad: json_quad(&to_image.apply_quad(&line.bounds.quad())),
                polygon: line
                    .outline
                    .iter()
                    .map(|p| json_point(to_image.apply(*p)))
                    .collect(),
                curved: false,
                chars: line
                    .chars
                    .iter()
                    .map(|c| CharMeta {
                        char: c.ch.to_string(),
                        quad: json_quad(&to_image.apply_quad(&c.quad)),
                    })
                    .collect(),
                position: "center",
            };
            let block_meta = BlockMeta {
                homography: to_canvas.0.map(|v| (v * 1e9).round() / 1e9),
                pad,
                footprint: json_quad(&footprint),
                rotation: round4(block.rotation),
                warp_strength: round4(block.strength),
                direction: dir,
                align: Align::Start,
                curve: "straight",
                fill: block.looks.fill,
                colors: painted.colors,
                opacity: round4(f64::from(block.looks.opacity) / 255.0),
                blend: painted.blend,
                stroke: painted.stroke.unwrap_or_default(),
                shadow: painted.shadow.unwrap_or_default(),
                glow: painted.glow.unwrap_or_default(),
                plate: painted.plate.unwrap_or_default(),
                weathering: round4(block.looks.weathering.unwrap_or(0.0)),
                contrast: round4(painted.contrast),
                contrast_fallback: rescue.name(),
                role: "",
                carrier: crate::plan::CarrierMeta::default(),
                texture: 0.0,
            };
            let contrast_met = painted.contrast >= r.color.min_contrast;
            let meta = SampleMeta {
                key: sample_key(index),
                index,
                seed: r.seed,
                recipe_hash: ctx.recipe_hash.clone(),
                width: w,
                height: h,
                caption: line.text.clone(),
                caption_language: Language::Zh,
                plain_caption: String::new(),
                background: info,
                blocks: vec![block_meta],
                lines: vec![line_meta],
                effects: effects
                    .iter()
                    .map(|e| e.describe())
                    .collect::<Vec<_>>()
                    .join("; "),
                text_resamples: resamples,
                blocks_dropped: 0,
                contrast_left_out: 0,
                contrast_met,
                notes: if contrast_met {
                    String::new()
                } else {
                    format!(
                        "contrast {:.2} below the target {}",
                        painted.contrast, r.color.min_contrast
                    )
                },
                captions: None,
                charseg_table: None,
                template: String::new(),
                scene_phrase_en: String::new(),
                caption_en: String::new(),
            };
            let rendered = RenderedBlock {
                face,
                layout: block.layout,
                pad,
                bold: synthetic.bold * size,
                to_canvas,
            };
            lap(&mut clock, &mut times.sampling);
            let plan = Plan {
                width: w,
                height: h,
                background: background_plan,
                planes,
                layers,
                camera: None,
                effects,
                meta,
                blocks: vec![rendered],
            };
            return Ok((plan, canvas.thumb.image));
        }
        resamples += 1;
    }
    bail!(
        "sample {index}: no line fits a {}-pixel native crop after {ATTEMPTS} attempts: \
         text.min_size ({}) is too large for output.crop_height and output.crop_padding, or \
         corpus.max_chars_per_line makes lines longer than {MAX_LENGTH} pixels (check with \
         `hanzi-synth recipe check`)",
        r.output.crop_height,
        r.text.min_size
    )
}

/// Plans native crop `index` and paints it with `painter`.
pub fn render_native_crop(
    ctx: &Context,
    index: u64,
    painter: &mut dyn Painter,
    times: &mut StageTimes,
) -> Result<Sample> {
    let (plan, background) = plan_native_crop(ctx, index, times)?;
    paint_planned(ctx, plan, Some(background), painter, times)
}

/// The record of a painted native crop: the same metadata as a scene-cut crop, with boxes
/// around each character's warped cell in crop pixels; the picture is taken out of `sample`.
pub fn native_crop_record(sample: &mut Sample) -> LineCrop {
    let meta = &sample.meta;
    let line = &meta.lines[0];
    let block = &meta.blocks[0];
    let round2 = |v: f64| (v * 100.0).round() / 100.0;
    let chars = line
        .chars
        .iter()
        .map(|c| {
            let b = Rect::of_points(
                c.quad
                    .iter()
                    .map(|p| Point::new(p[0], p[1]))
                    .collect::<Vec<_>>()
                    .iter(),
            );
            CropChar {
                char: c.char.clone(),
                bbox: [b.x0, b.y0, b.x1, b.y1].map(round2),
            }
        })
        .collect();
    let crop = CropMeta {
        key: crop_key(meta.index, 0),
        index: meta.index,
        line: 0,
        block: 0,
        text: line.text.clone(),
        direction: line.direction,
        curved: false,
        font: line.font.clone(),
        width: meta.width,
        height: meta.height,
        source_polygon: line.polygon.clone(),
        source_px_per_em: line.px_per_em,
        effects: meta.effects.clone(),
        chars,
        seed: meta.seed,
        recipe_hash: meta.recipe_hash.clone(),
        native: Some(NativeCropMeta {
            background: meta.background.clone(),
            colors: block.colors.clone(),
            contrast: block.contrast,
            contrast_fallback: block.contrast_fallback,
            rotation: block.rotation,
            warp_strength: block.warp_strength,
        }),
    };
    LineCrop {
        image: std::mem::replace(&mut sample.image, RgbImage::new(0, 0)),
        meta: crop,
    }
}
