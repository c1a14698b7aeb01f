//! Plan: one sample decided on the CPU, as data — its background, the coverage planes of its
//! text and the layers that put them on the canvas (homography, paint, opacity, blend), the
//! camera, the whole-image effects, and every label. A painter (`crate::paint`) turns a plan
//! into pixels and reads nothing else; labels come from the plan only, so every painter gives
//! the same labels byte for byte.
//!
//! The planner ([`crate::scene`]) makes plans; this module only says what one is.

use image::RgbImage;
use serde::Serialize;

use crate::background::{BackgroundInfo, BackgroundPlan};
use crate::composite::Paint;
use crate::effects::PixelEffect;
use crate::geometry::{Homography, Point, Quad};
use crate::layout::BlockLayout;
use crate::recipe::{Align, BlendMode, Direction, FillKind, Language};
use crate::render::AlphaLayer;

/// Everything a painter needs for one sample, and its labels.
pub struct Plan {
    pub width: u32,
    pub height: u32,
    pub background: BackgroundPlan,
    /// Coverage planes of the text (fill, outline, plate, shadow, glow of every block), in
    /// layer pixels; layers refer to them by index.
    pub planes: Vec<AlphaLayer>,
    /// What goes on the background, bottom first.
    pub layers: Vec<LayerPlan>,
    /// Camera reframing (old → new pixel coordinates), applied after the layers.
    pub camera: Option<Homography>,
    /// Whole-image effects, applied in order after the camera.
    pub effects: Vec<PixelEffect>,
    pub meta: SampleMeta,
    /// Geometry of every drawn block (camera included), for label checks, crops, conditions.
    pub blocks: Vec<RenderedBlock>,
}

/// One coverage plane put on the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerPlan {
    /// Index into [`Plan::planes`].
    pub plane: usize,
    /// Layer pixel coordinates → canvas pixel coordinates (before the camera).
    pub to_canvas: Homography,
    pub paint: Paint,
    /// 255 = opaque.
    pub opacity: u8,
    pub blend: BlendMode,
}

/// A quad as four `[x, y]` pairs (always floats in JSON).
pub type JsonQuad = [[f64; 2]; 4];

pub(crate) fn json_point(p: Point) -> [f64; 2] {
    [round4(p.x), round4(p.y)]
}

pub(crate) fn json_quad(q: &Quad) -> JsonQuad {
    q.map(json_point)
}

/// Four decimals: far below a pixel, and stable text in the JSON.
pub(crate) fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

#[derive(Clone, Debug, Serialize)]
pub struct FontMeta {
    pub family: String,
    pub file: String,
    pub index: u32,
    pub style: String,
    /// The synthetic type style drawn over the face (`fonts.synthetic`); always present.
    pub synthetic: SyntheticStyle,
}

/// A synthetic type style: emboldening (em of ink grown all round), oblique (degrees, leaning
/// right) and width (horizontal scale). `0, 0, 1` is the face as designed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SyntheticStyle {
    pub bold: f64,
    pub oblique: f64,
    pub width: f64,
}

impl Default for SyntheticStyle {
    fn default() -> Self {
        SyntheticStyle {
            bold: 0.0,
            oblique: 0.0,
            width: 1.0,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CharMeta {
    pub char: String,
    pub quad: JsonQuad,
}

#[derive(Clone, Debug, Serialize)]
pub struct LineMeta {
    pub text: String,
    pub block: u32,
    pub direction: Direction,
    pub font: FontMeta,
    /// Pixels per em as laid out (before the warp and camera).
    pub size: f64,
    /// Pixels per em of the line's least legible character as it ends up in the image: `size`
    /// times the warp's and camera's thinnest local scale there. Never below `text.min_size`.
    pub px_per_em: f64,
    pub color: [u8; 3],
    /// WCAG contrast reached against the background under the text (with opacity and blend).
    pub contrast: f64,
    /// A quad around all of the line's ink (for a curved line: its box before the warp).
    pub quad: JsonQuad,
    /// The line's outline: its quad's 4 corners for a straight line; for a curved line the top
    /// edges of its characters left to right, then their bottom edges right to left.
    pub polygon: Vec<[f64; 2]>,
    pub curved: bool,
    pub chars: Vec<CharMeta>,
    /// Where the line's centre lies on a 3×3 grid: "top left" … "center" … "bottom right".
    pub position: &'static str,
}

// Decorations are always present with an `on` flag (never null): Arrow-based loaders (HF
// `datasets`) infer column types from the first rows and cannot widen a null column later.

#[derive(Clone, Debug, Default, Serialize)]
pub struct StrokeMeta {
    pub on: bool,
    /// Outline width beyond the glyph, pixels (before the warp).
    pub width: f64,
    pub color: [u8; 3],
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ShadowMeta {
    pub on: bool,
    pub dx: f64,
    pub dy: f64,
    pub blur: u32,
    pub opacity: f64,
    pub color: [u8; 3],
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PlateMeta {
    pub on: bool,
    pub padding: f64,
    pub color: [u8; 3],
}

/// The thing a block is printed on (`carrier`); `on: false` and empty values when it has none.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CarrierMeta {
    pub on: bool,
    /// `paper_card`, `wooden_board`, `cardboard`, `fabric_banner`, `led_sign`, `shop_sign`.
    pub kind: &'static str,
    /// Its base colour as lit in the scene.
    pub color: [u8; 3],
    /// Free border around the text, pixels (before the warp).
    pub padding: f64,
    pub shadow: bool,
    /// The carrier's outline in the image (the camera effect may push it past the edge).
    pub quad: JsonQuad,
}

#[derive(Clone, Debug, Serialize)]
pub struct BlockMeta {
    /// Row-major 3×3 homography from the block's layer pixels to the image.
    pub homography: [f64; 9],
    /// Padding of the layer around the laid-out text: layout point (x, y) is layer (x+pad, y+pad).
    pub pad: f64,
    /// Where the layer (text and every decoration) lands; blocks' footprints never overlap.
    pub footprint: JsonQuad,
    pub rotation: f64,
    pub warp_strength: f64,
    pub direction: Direction,
    pub align: Align,
    pub curve: &'static str,
    pub fill: FillKind,
    pub colors: Vec<[u8; 3]>,
    pub opacity: f64,
    pub blend: BlendMode,
    pub stroke: StrokeMeta,
    pub shadow: ShadowMeta,
    pub glow: ShadowMeta,
    pub plate: PlateMeta,
    pub carrier: CarrierMeta,
    /// Depth of ink wear, 0 = none.
    pub weathering: f64,
    pub contrast: f64,
    /// How the contrast target was reached when the drawn looks could not reach it where the
    /// block fits: "none" (they could), "opaque", "outline" (then `contrast` is the fill's
    /// against its outline) or "plate" (see `color.keep_low_contrast`).
    pub contrast_fallback: &'static str,
    /// The block's role in a designed template (`title`, `body`, `list`, `price`, …); "" in a
    /// free layout.
    pub role: &'static str,
    /// Mean luminance gradient of the background under the block (lower = calmer).
    pub texture: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SampleMeta {
    pub key: String,
    pub index: u64,
    pub seed: u64,
    pub recipe_hash: String,
    pub width: u32,
    pub height: u32,
    pub caption: String,
    pub caption_language: Language,
    /// The caption with the text replaced by `caption.placeholder`.
    pub plain_caption: String,
    pub background: BackgroundInfo,
    pub blocks: Vec<BlockMeta>,
    pub lines: Vec<LineMeta>,
    /// Whole-image effects applied, in order, with their parameters, joined by "; ".
    pub effects: String,
    /// Texts redrawn because no face covered them or they could not fit the canvas.
    pub text_resamples: u32,
    /// Blocks left out because no spot clear of the other blocks was found, or (counted in
    /// `contrast_left_out` too) because no rescue reached the contrast target.
    pub blocks_dropped: u32,
    pub contrast_left_out: u32,
    /// Whether every line reached `color.min_contrast`.
    pub contrast_met: bool,
    /// What went wrong while placing, if anything (dropped blocks, unmet contrast, skipped
    /// camera), joined by "; ".
    pub notes: String,
    /// With `caption.variants`: four captions for caption dropout (see `caption_variants`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captions: Option<Vec<String>>,
    /// With `output.conditions.charseg`: the characters that `KEY.charseg.png` values 1, 2, …
    /// stand for, in reading order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charseg_table: Option<Vec<String>>,
    /// The designed template the page follows (`templates`), "" for a free layout.
    pub template: String,
    /// An English phrase for the scene without its text (AnyText's caption; see
    /// [`scene_phrase_en`]); not part of the metadata.
    #[serde(skip)]
    pub scene_phrase_en: String,
    /// The caption in English (TextDiffuser-2's caption; see [`caption_en`]); not part of the
    /// metadata.
    #[serde(skip)]
    pub caption_en: String,
}

/// The geometry of a drawn block, for label checks, crops and condition rasters.
pub struct RenderedBlock {
    /// Index into the context's `fonts.faces`.
    pub face: usize,
    pub layout: BlockLayout,
    /// Layer padding: layout point (x, y) is layer pixel (x + pad, y + pad).
    pub pad: f64,
    /// Synthetic emboldening in pixels (0 = none): the fill is the glyphs grown by it.
    pub bold: f64,
    /// Layer pixels → image pixels (the camera effect included).
    pub to_canvas: Homography,
}

impl RenderedBlock {
    /// Layout coordinates → image pixels.
    pub fn layout_to_canvas(&self) -> Homography {
        self.to_canvas
            .then_after(&Homography::translate(self.pad, self.pad))
    }
}

pub struct Sample {
    pub image: RgbImage,
    pub meta: SampleMeta,
    pub blocks: Vec<RenderedBlock>,
}

/// The sample key: the zero-padded index (no dots, as WebDataset requires).
pub fn sample_key(index: u64) -> String {
    format!("{index:09}")
}
