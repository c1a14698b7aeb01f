//! Render: fills a block's glyph outlines into an 8-bit coverage (alpha) layer.
//!
//! The layer is the block's bounds plus a small padding, in the block's own pixel coordinates;
//! the warp stage later maps it onto the canvas. Only alpha is rendered: colour is applied at
//! compositing, so one layer serves any fill.

use tiny_skia::{FillRule, Mask, Transform};

use crate::fonts::Face;
use crate::layout::BlockLayout;
use crate::outlines::outline;

/// Pixels of empty border around the block, so bilinear sampling fades out to zero.
pub const LAYER_PAD: f64 = 2.0;

/// An 8-bit coverage image.
#[derive(Clone, Debug)]
pub struct AlphaLayer {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl AlphaLayer {
    pub fn get(&self, x: u32, y: u32) -> u8 {
        self.data[(y * self.width + x) as usize]
    }
}

/// Renders the block; block coordinates `(x, y)` land at layer pixel `(x + LAYER_PAD, y + LAYER_PAD)`.
pub fn render_block(block: &BlockLayout, face: &Face) -> AlphaLayer {
    let width = (block.bounds.x1 + 2.0 * LAYER_PAD).ceil().max(1.0) as u32;
    let height = (block.bounds.y1 + 2.0 * LAYER_PAD).ceil().max(1.0) as u32;
    let mut mask = Mask::new(width, height).expect("layer size is positive");
    let s = block.scale as f32;
    for line in &block.lines {
        for g in &line.glyphs {
            if let Some(o) = outline(face, g.glyph) {
                let t = Transform::from_row(
                    s,
                    0.0,
                    0.0,
                    -s,
                    (g.x + LAYER_PAD) as f32,
                    (g.y + LAYER_PAD) as f32,
                );
                mask.fill_path(&o.path, FillRule::Winding, true, t);
            }
        }
    }
    AlphaLayer {
        width,
        height,
        data: mask.data().to_vec(),
    }
}
