//! Scene: runs every stage for one sample. Sample *i* is a pure function of the loaded
//! [`Context`] (recipe and assets) and `(seed, i)`; each stage draws from its own named
//! sub-stream of the sample's random stream.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use image::RgbImage;
use serde::Serialize;

use crate::background::{BackgroundInfo, BackgroundPool};
use crate::caption::make_caption;
use crate::color::{choose_text_color, luminance, luminance_spread, worst_contrast};
use crate::composite::{Compositor, TextLayer};
use crate::corpus::Corpus;
use crate::fonts::FontSet;
use crate::geometry::{Homography, Point, Quad, Rect};
use crate::layout::{layout_block, BlockLayout, Spacing};
use crate::recipe::{Direction, Language, Recipe};
use crate::render::{render_block, AlphaLayer, LAYER_PAD};
use crate::rng::Rng;
use crate::warp::random_shape;

/// Everything loaded once per run and shared read-only by all threads.
pub struct Context {
    pub recipe: Recipe,
    pub recipe_hash: String,
    pub corpus: Corpus,
    pub fonts: FontSet,
    pub backgrounds: BackgroundPool,
    /// Corpus words dropped because no usable face draws all of their characters.
    pub words_without_font: usize,
}

impl Context {
    pub fn new(recipe: Recipe) -> Result<Context> {
        let corpus = Corpus::load(&recipe.corpus)?;
        let fonts = FontSet::load(&recipe.fonts, &corpus.chars)?;
        let before = corpus.words.len();
        let words: Vec<_> = corpus
            .words
            .into_iter()
            .filter(|w| fonts.any_covers(&w.text))
            .collect();
        let words_without_font = before - words.len();
        if words.is_empty() {
            bail!("no corpus word can be drawn with the available fonts");
        }
        let corpus = Corpus::new(words, recipe.corpus.sampling, recipe.corpus.temperature)?;
        let backgrounds = BackgroundPool::load(&recipe.backgrounds)?;
        Ok(Context {
            recipe_hash: recipe.hash(),
            recipe,
            corpus,
            fonts,
            backgrounds,
            words_without_font,
        })
    }
}

/// Time spent per stage (summed over samples), for `bench`.
#[derive(Clone, Debug, Default)]
pub struct StageTimes {
    pub sampling: Duration,
    pub layout: Duration,
    pub raster: Duration,
    pub background: Duration,
    pub composite: Duration,
    pub encode: Duration,
    pub write: Duration,
}

impl StageTimes {
    pub fn add(&mut self, o: &StageTimes) {
        self.sampling += o.sampling;
        self.layout += o.layout;
        self.raster += o.raster;
        self.background += o.background;
        self.composite += o.composite;
        self.encode += o.encode;
        self.write += o.write;
    }

    pub fn rows(&self) -> [(&'static str, Duration); 7] {
        [
            ("sampling (text, font)", self.sampling),
            ("layout (shaping)", self.layout),
            ("glyph raster", self.raster),
            ("background", self.background),
            ("warp + composite", self.composite),
            ("encode", self.encode),
            ("write", self.write),
        ]
    }
}

fn lap(clock: &mut Instant, slot: &mut Duration) {
    let now = Instant::now();
    *slot += now - *clock;
    *clock = now;
}

/// A quad as four `[x, y]` pairs (always floats in JSON).
pub type JsonQuad = [[f64; 2]; 4];

fn json_quad(q: &Quad) -> JsonQuad {
    q.map(|p| [round4(p.x), round4(p.y)])
}

/// Four decimals: far below a pixel, and stable text in the JSON.
fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

#[derive(Clone, Debug, Serialize)]
pub struct FontMeta {
    pub family: String,
    pub file: String,
    pub index: u32,
    pub style: String,
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
    /// Pixels per em.
    pub size: f64,
    pub color: [u8; 3],
    /// WCAG contrast reached against the background under the text.
    pub contrast: f64,
    pub quad: JsonQuad,
    pub chars: Vec<CharMeta>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BlockMeta {
    /// Row-major 3×3 homography from the unwarped block (layer pixels) to the image.
    pub homography: [f64; 9],
    pub rotation: f64,
    pub warp_strength: f64,
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
    pub background: BackgroundInfo,
    pub blocks: Vec<BlockMeta>,
    pub lines: Vec<LineMeta>,
    /// Texts redrawn because no face covered them or they could not fit the canvas.
    pub text_resamples: u32,
    /// Whether every line reached `color.min_contrast`.
    pub contrast_met: bool,
}

/// The geometry of a drawn block, for label checks and condition rasters.
pub struct RenderedBlock {
    /// Index into the context's `fonts.faces`.
    pub face: usize,
    pub layout: BlockLayout,
    /// Layer pixels → image pixels; layout coordinates are layer pixels minus `LAYER_PAD`.
    pub to_canvas: Homography,
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

/// Positions tried per block in search of one where the text can reach the contrast target.
const PLACEMENT_TRIES: u32 = 6;

/// Smallest font size (pixels per em) a block may shrink to before its text is redrawn.
const MIN_FIT_SIZE: f64 = 8.0;

struct PlannedText {
    lines: Vec<String>,
    face: usize,
    layout: BlockLayout,
    layer: AlphaLayer,
    shape: Quad,
    strength: f64,
    rotation: f64,
}

/// Draws text and face, lays it out and fits it (with its rotation and warp) to the canvas.
fn plan_text(
    ctx: &Context,
    root: &Rng,
    times: &mut StageTimes,
    clock: &mut Instant,
) -> Result<(PlannedText, u32)> {
    let r = &ctx.recipe;
    let (w, h) = (f64::from(r.canvas.width.0), f64::from(r.canvas.height.0));
    let margin = r.text.margin * w.min(h);
    let (avail_w, avail_h) = (w - 2.0 * margin, h - 2.0 * margin);
    let mut resamples = 0;
    for attempt in 0..64u32 {
        let mut rng = root.fork(&format!("text{attempt}"));
        let n = rng.range_u32(r.corpus.lines.min, r.corpus.lines.max);
        let lines: Vec<String> = (0..n)
            .map(|_| ctx.corpus.sample_line(&r.corpus, &mut rng))
            .collect();
        let Some(face) = ctx.fonts.choose(&lines.concat(), &mut rng) else {
            resamples += 1;
            continue;
        };
        let (dirs, weights) = r.text.direction.options();
        let dir = dirs[rng.weighted(&weights)];
        let mut size = rng.range_f64(r.text.size.min, r.text.size.max);
        let spacing = Spacing {
            letter: rng.range_f64(r.text.letter_spacing.min, r.text.letter_spacing.max),
            line: rng.range_f64(r.text.line_spacing.min, r.text.line_spacing.max),
        };
        let warp_rng = rng.fork("warp");
        lap(clock, &mut times.sampling);
        let face_ref = &ctx.fonts.faces[face];
        // Fit: layout is linear in size, so shrink until the warped block fits (≤ 4 rounds).
        for _ in 0..4 {
            let layout = layout_block(face_ref, &lines, dir, size, spacing)?;
            let lw = layout.bounds.x1 + 2.0 * LAYER_PAD;
            let lh = layout.bounds.y1 + 2.0 * LAYER_PAD;
            let (shape, strength, rotation) = random_shape(lw, lh, &r.warp, &mut warp_rng.clone());
            let bb = Rect::of_points(shape.iter());
            let factor = (avail_w / bb.width()).min(avail_h / bb.height());
            lap(clock, &mut times.layout);
            if factor >= 1.0 {
                let layer = render_block(&layout, face_ref);
                lap(clock, &mut times.raster);
                return Ok((
                    PlannedText {
                        lines,
                        face,
                        layout,
                        layer,
                        shape,
                        strength,
                        rotation,
                    },
                    resamples,
                ));
            }
            size *= factor * 0.97;
            if size < MIN_FIT_SIZE {
                break;
            }
        }
        resamples += 1;
    }
    bail!("no text could be placed after 64 attempts (canvas too small for text.size, or no font covers the corpus)")
}

/// Produces sample `index`. `times` accumulates per-stage durations.
pub fn render_sample(
    ctx: &Context,
    index: u64,
    compositor: &mut dyn Compositor,
    times: &mut StageTimes,
) -> Result<Sample> {
    let mut clock = Instant::now();
    let r = &ctx.recipe;
    let (cw, ch) = (r.canvas.width.0, r.canvas.height.0);
    let root = Rng::for_sample(r.seed, index);
    let (text, text_resamples) = plan_text(ctx, &root, times, &mut clock)?;

    // Background.
    let (mut canvas, background) = ctx.backgrounds.draw(cw, ch, &mut root.fork("background"))?;
    lap(&mut clock, &mut times.background);

    // Placement: translate the centred shape to a random spot inside the margins. Up to
    // PLACEMENT_TRIES spots are tried; the first where black or white can reach the contrast
    // target wins, else the one with the best reachable contrast.
    let margin = r.text.margin * f64::from(cw.min(ch));
    let bb = Rect::of_points(text.shape.iter());
    let tx_range = (margin - bb.x0, f64::from(cw) - margin - bb.x1);
    let ty_range = (margin - bb.y0, f64::from(ch) - margin - bb.y1);
    // The layer's pixel grid may be up to one pixel larger than the laid-out box; the box
    // (plus padding) maps exactly and the extra pixels follow the same transform.
    let laid = Rect::new(
        0.0,
        0.0,
        text.layout.bounds.x1 + 2.0 * LAYER_PAD,
        text.layout.bounds.y1 + 2.0 * LAYER_PAD,
    );
    let ink = ink_points(&text.layer);
    let mut best: Option<(f64, Homography, (f64, f64))> = None;
    for attempt in 0..PLACEMENT_TRIES {
        let mut place_rng = root.fork(&format!("place{attempt}"));
        let tx = place_rng.range_f64(tx_range.0, tx_range.1.max(tx_range.0));
        let ty = place_rng.range_f64(ty_range.0, ty_range.1.max(ty_range.0));
        let dst = text.shape.map(|p| Point::new(p.x + tx, p.y + ty));
        let Some(h) = Homography::from_quads(&laid.quad(), &dst) else {
            continue;
        };
        let spread = luminance_spread(luminances_under(&ink, &h, &canvas));
        let reachable = worst_contrast([0, 0, 0], spread.0, spread.1).max(worst_contrast(
            [255, 255, 255],
            spread.0,
            spread.1,
        ));
        if best.as_ref().is_none_or(|b| reachable > b.0) {
            best = Some((reachable, h, spread));
        }
        if reachable >= r.color.min_contrast {
            break;
        }
    }
    let (_, to_canvas, (dark, light)) = best.context("no placement has an invertible warp")?;

    // Colour against the background under the ink.
    let (color, contrast) = choose_text_color(
        dark,
        light,
        r.color.min_contrast,
        r.color.attempts,
        &mut root.fork("color"),
    );
    compositor.composite(
        &mut canvas,
        &[TextLayer {
            alpha: &text.layer,
            to_canvas,
            color,
        }],
    );
    lap(&mut clock, &mut times.composite);

    // Labels: every cell goes through the same homography as the pixels.
    let face = &ctx.fonts.faces[text.face];
    let font = FontMeta {
        family: face.family.clone(),
        file: face.file.clone(),
        index: face.index,
        style: face.style.clone(),
    };
    let to_quad = |rect: &Rect| {
        json_quad(&to_canvas.apply_quad(&rect.translate(LAYER_PAD, LAYER_PAD).quad()))
    };
    let lines: Vec<LineMeta> = text
        .layout
        .lines
        .iter()
        .map(|line| LineMeta {
            text: line.text.clone(),
            block: 0,
            direction: text.layout.direction,
            font: font.clone(),
            size: round4(text.layout.size),
            color,
            contrast: round4(contrast),
            quad: to_quad(&line.rect),
            chars: line
                .chars
                .iter()
                .map(|c| CharMeta {
                    char: c.ch.to_string(),
                    quad: to_quad(&c.rect),
                })
                .collect(),
        })
        .collect();
    let (caption, caption_language) =
        make_caption(&r.caption, &text.lines, &mut root.fork("caption"));
    let meta = SampleMeta {
        key: sample_key(index),
        index,
        seed: r.seed,
        recipe_hash: ctx.recipe_hash.clone(),
        width: cw,
        height: ch,
        caption,
        caption_language,
        background,
        blocks: vec![BlockMeta {
            homography: to_canvas.0.map(|v| (v * 1e9).round() / 1e9),
            rotation: round4(text.rotation),
            warp_strength: round4(text.strength),
        }],
        lines,
        text_resamples,
        contrast_met: contrast >= r.color.min_contrast,
    };
    lap(&mut clock, &mut times.sampling);
    Ok(Sample {
        image: canvas,
        meta,
        blocks: vec![RenderedBlock {
            face: text.face,
            layout: text.layout,
            to_canvas,
        }],
    })
}

/// Centres of (a subsample of, at most ~1,500) the inked layer pixels: where the background
/// decides legibility. Independent of placement, so computed once per block.
fn ink_points(layer: &AlphaLayer) -> Vec<Point> {
    let inked = layer.data.iter().filter(|a| **a >= 128).count();
    let stride = (inked / 1500).max(1);
    let mut out = Vec::with_capacity(inked / stride + 1);
    let mut seen = 0usize;
    for y in 0..layer.height {
        for x in 0..layer.width {
            if layer.get(x, y) < 128 {
                continue;
            }
            seen += 1;
            if seen.is_multiple_of(stride) {
                out.push(Point::new(f64::from(x) + 0.5, f64::from(y) + 0.5));
            }
        }
    }
    out
}

/// Luminances of the background under `points` (layer coordinates) placed by `to_canvas`.
fn luminances_under(points: &[Point], to_canvas: &Homography, canvas: &RgbImage) -> Vec<f64> {
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    points
        .iter()
        .map(|p| to_canvas.apply(*p))
        .filter(|p| p.x >= 0.0 && p.y >= 0.0 && p.x < w && p.y < h)
        .map(|p| luminance(canvas.get_pixel(p.x as u32, p.y as u32).0))
        .collect()
}
