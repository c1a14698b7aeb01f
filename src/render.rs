//! Render: fills a block's glyph outlines into 8-bit coverage (alpha) layers.
//!
//! A layer is the block's bounds plus a padding `pad`, in the block's own pixel coordinates
//! (block point `(x, y)` is layer pixel `(x + pad, y + pad)`); the warp stage later maps it onto
//! the canvas. Only alpha is rendered: colour is applied at compositing, so one layer serves any
//! fill. The looks that need their own plane — outline, plate, shadow, glow — are derived here
//! on the same pixel grid, so one homography places them all.

use tiny_skia::{FillRule, LineJoin, Mask, PathBuilder, Stroke, Transform};

use crate::blur::gaussian_like;
use crate::fonts::Face;
use crate::geometry::Rect;
use crate::layout::{BlockLayout, PlacedGlyph};
use crate::noise::fractal_field;
use crate::outlines::outline;
use crate::rng::mix64;

/// Smallest padding around a block, so bilinear sampling fades out to zero.
pub const LAYER_PAD: f64 = 2.0;

/// An 8-bit coverage image.
#[derive(Clone, Debug, Default)]
pub struct AlphaLayer {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl AlphaLayer {
    pub fn get(&self, x: u32, y: u32) -> u8 {
        self.data[(y * self.width + x) as usize]
    }

    /// Per-pixel maximum with `other` (same size).
    pub fn max_with(&self, other: &AlphaLayer) -> AlphaLayer {
        AlphaLayer {
            data: self
                .data
                .iter()
                .zip(&other.data)
                .map(|(a, b)| *a.max(b))
                .collect(),
            ..*self
        }
    }

    /// A gaussian-like blur of the plane, scaled by `gain` (a glow is brighter than a shadow).
    pub fn blurred(&self, radius: usize, gain: f64) -> AlphaLayer {
        let mut data = self.data.clone();
        gaussian_like(
            &mut data,
            self.width as usize,
            self.height as usize,
            1,
            radius,
        );
        if gain != 1.0 {
            let lut: Vec<u8> = (0..=255u32)
                .map(|v| (f64::from(v) * gain).round().min(255.0) as u8)
                .collect();
            data.iter_mut().for_each(|v| *v = lut[*v as usize]);
        }
        AlphaLayer { data, ..*self }
    }
}

/// The layer size for a block drawn with padding `pad`.
pub fn layer_size(block: &BlockLayout, pad: f64) -> (u32, u32) {
    (
        (block.bounds.x1 + 2.0 * pad).ceil().max(1.0) as u32,
        (block.bounds.y1 + 2.0 * pad).ceil().max(1.0) as u32,
    )
}

fn glyph_transform(g: &PlacedGlyph, pad: f64) -> Transform {
    let s = g.scale as f32;
    let (sin, cos) = (g.angle.sin() as f32, g.angle.cos() as f32);
    let (w, k) = (g.x_scale as f32, g.shear as f32);
    // Rotation after the y-flipping scale after the synthetic width and slant:
    // [cos −sin; sin cos] · [s 0; 0 −s] · [w k; 0 1].
    Transform::from_row(
        cos * s * w,
        sin * s * w,
        cos * s * k + sin * s,
        sin * s * k - cos * s,
        (g.x + pad) as f32,
        (g.y + pad) as f32,
    )
}

fn empty_mask(block: &BlockLayout, pad: f64) -> Mask {
    let (w, h) = layer_size(block, pad);
    Mask::new(w, h).expect("layer size is positive")
}

fn into_layer(mask: Mask) -> AlphaLayer {
    AlphaLayer {
        width: mask.width(),
        height: mask.height(),
        data: mask.data().to_vec(),
    }
}

/// Fills the glyphs of the block (exact-area coverage, see [`crate::coverage`]).
pub fn render_block(block: &BlockLayout, face: &Face, pad: f64) -> AlphaLayer {
    let (width, height) = layer_size(block, pad);
    let mut acc = crate::coverage::Accumulator::new(width, height);
    for g in block.lines.iter().flat_map(|l| &l.glyphs) {
        if let Some(o) = outline(face, g.glyph) {
            acc.fill(&o.path, glyph_transform(g, pad));
        }
    }
    AlphaLayer {
        width,
        height,
        data: acc.finish(),
    }
}

/// The text's own ink: the glyphs, grown by `bold` pixels for a synthetic bold.
pub fn render_fill(block: &BlockLayout, face: &Face, pad: f64, bold: f64) -> AlphaLayer {
    if bold > 0.0 {
        render_stroke(block, face, pad, bold)
    } else {
        render_block(block, face, pad)
    }
}

/// The glyphs grown by an outline `width` pixels wide (the glyph area included).
pub fn render_stroke(block: &BlockLayout, face: &Face, pad: f64, width: f64) -> AlphaLayer {
    let mut mask = empty_mask(block, pad);
    for g in block.lines.iter().flat_map(|l| &l.glyphs) {
        let Some(o) = outline(face, g.glyph) else {
            continue;
        };
        let t = glyph_transform(g, pad);
        mask.fill_path(&o.path, FillRule::Winding, true, t);
        // The stroke is centred on the outline: twice the width shows `width` outside.
        let stroke = Stroke {
            width: (2.0 * width / g.scale) as f32,
            line_join: LineJoin::Round,
            ..Stroke::default()
        };
        if let Some(p) = o.path.stroke(&stroke, g.scale as f32) {
            mask.fill_path(&p, FillRule::Winding, true, t);
        }
    }
    into_layer(mask)
}

/// A rounded plate around the block's bounds grown by `margin` pixels.
pub fn render_plate(block: &BlockLayout, pad: f64, margin: f64) -> AlphaLayer {
    let (w, h) = layer_size(block, pad);
    let b = block.bounds.translate(pad, pad).expand(margin);
    rounded_rect(w, h, b, margin * 0.8)
}

/// A `width × height` layer covering `rect` (layer pixels) with corners rounded by `radius`
/// (capped to half the shorter side), antialiased.
pub fn rounded_rect(width: u32, height: u32, rect: Rect, radius: f64) -> AlphaLayer {
    let mut mask = Mask::new(width.max(1), height.max(1)).expect("layer size is positive");
    let r = radius
        .min(rect.width() / 2.0)
        .min(rect.height() / 2.0)
        .max(0.0) as f32;
    let (x0, y0, x1, y1) = (
        rect.x0 as f32,
        rect.y0 as f32,
        rect.x1 as f32,
        rect.y1 as f32,
    );
    let mut pb = PathBuilder::new();
    pb.move_to(x0 + r, y0);
    pb.line_to(x1 - r, y0);
    pb.quad_to(x1, y0, x1, y0 + r);
    pb.line_to(x1, y1 - r);
    pb.quad_to(x1, y1, x1 - r, y1);
    pb.line_to(x0 + r, y1);
    pb.quad_to(x0, y1, x0, y1 - r);
    pb.line_to(x0, y0 + r);
    pb.quad_to(x0, y0, x0 + r, y0);
    pb.close();
    if let Some(path) = pb.finish() {
        mask.fill_path(&path, FillRule::Winding, true, Transform::identity());
    }
    into_layer(mask)
}

/// Wears ink away in patches (and a few specks): coverage is scaled down by up to `strength`
/// where a smooth noise field is high. Ink only ever decreases, so labels stay valid.
pub fn weather(layer: &mut AlphaLayer, seed: u64, strength: f64, cell: f64) {
    let (w, h) = (layer.width, layer.height);
    let field = fractal_field(seed, w, h, cell, 3);
    for (i, a) in layer.data.iter_mut().enumerate() {
        if *a == 0 {
            continue;
        }
        let patch = ((f64::from(field[i]) - 0.45) / 0.2).clamp(0.0, 1.0);
        let speck = (mix64(seed ^ i as u64) >> 56) < (40.0 * strength) as u64;
        let keep = if speck { 0.0 } else { 1.0 - strength * patch };
        *a = (f64::from(*a) * keep).round() as u8;
    }
}
