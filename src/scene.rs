//! Scene: plans one sample. Sample *i* is a pure function of the loaded [`Context`] (recipe
//! and assets) and `(seed, i)`; each stage draws from its own named sub-stream of the sample's
//! random stream. The result is a [`Plan`] (pure data, every label); a [`Painter`] makes its
//! pixels.
//!
//! A scene is a background with one or more text blocks. Each block gets its text, face, layout
//! (lines, alignment, title, curve), looks (fill, outline, shadow, glow, plate, wear), size fitted
//! to the canvas, and a warp; then a spot that is clear of the other blocks, calm if possible,
//! and where a colour can meet the contrast target; then its colours. Whole-image effects come
//! last; the camera effect moves the labels with the pixels.

pub mod native_crop;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use image::RgbImage;

use crate::background::{BackgroundInfo, BackgroundPool, Thumbnail};
use crate::blur::radius_for_sigma;
use crate::caption::{
    caption_en, caption_variants, make_caption, plain_caption, scene_phrase_en, Facts,
};
use crate::carrier::{
    draw_colors, led_dots, led_pitch, render_carrier, CarrierColors, CarrierDraw, CarrierPlanes,
};
use crate::color::{choose_color_by, effective_contrast, luminance, luminance_spread};
use crate::composite::Paint;
use crate::corpus::Corpus;
use crate::effects::{camera, plan_pixel_effects};
use crate::fonts::FontSet;
use crate::geometry::{convex_separated, Homography, Point, Quad, Rect};
use crate::layout::{
    block_px_per_em, layout_block, line_px_per_em, BlockLayout, BlockStyle, Curve, Spacing,
};
use crate::paint::Painter;
use crate::placement::TextureMap;
use crate::plan::{
    json_point, json_quad, round4, sample_key, BlockMeta, CarrierMeta, CharMeta, FontMeta,
    LayerPlan, LineMeta, Plan, PlateMeta, RenderedBlock, Sample, SampleMeta, ShadowMeta,
    StrokeMeta, SyntheticStyle,
};
use crate::quota::QuotaPlan;
use crate::recipe::{
    Align, BlendMode, CurveShape, Direction, FillKind, FontStyle, Recipe, SyntheticStyles,
};
use crate::render::{render_fill, render_plate, render_stroke, weather, AlphaLayer, LAYER_PAD};
use crate::rng::Rng;
use crate::warp::random_shape;

mod page;
use page::{pick_template, plan_page, PageOut, TemplatePage};

/// Everything loaded once per run and shared read-only by all threads.
pub struct Context {
    pub recipe: Recipe,
    pub recipe_hash: String,
    pub corpus: Corpus,
    pub fonts: FontSet,
    pub backgrounds: BackgroundPool,
    /// Corpus words dropped because no usable face draws all of their characters.
    pub words_without_font: usize,
    /// With `corpus.quota`: which words each of the first samples must draw.
    pub quota: Option<QuotaPlan>,
    /// The designed templates (`templates`) with their weights.
    pub templates: Vec<(crate::template::Template, f64)>,
}

impl Context {
    pub fn new(recipe: Recipe) -> Result<Context> {
        // Inputs are read through resolved paths; the recipe itself (and its hash) keeps the
        // paths as written.
        let inputs = recipe.with_resolved_paths();
        let corpus = Corpus::load(&inputs.corpus)?;
        let fonts = FontSet::load(&inputs.fonts, &corpus.chars)?;
        let before = corpus.words.len();
        let skipped_lines = corpus.skipped_lines;
        let exclude = corpus.exclude;
        let charset = corpus.charset;
        let words: Vec<_> = corpus
            .words
            .into_iter()
            .filter(|w| fonts.any_covers(&w.text))
            .collect();
        let words_without_font = before - words.len();
        if words.is_empty() {
            bail!(
                "no corpus {} can be drawn with the available fonts",
                crate::corpus::unit_noun(&recipe.corpus)
            );
        }
        let mut corpus = Corpus::new(words, recipe.corpus.sampling, recipe.corpus.temperature)?;
        // Level weights of the standard list apply to the words that can be drawn.
        if !recipe.corpus.tier_weights.0.is_empty() {
            corpus.set_tier_weights(&recipe.corpus.tier_weights);
            if !corpus.has_weight() {
                bail!("corpus.tier_weights: no drawable corpus word has a level with a weight > 0");
            }
        }
        corpus.skipped_lines = skipped_lines;
        corpus.exclude = exclude;
        corpus.charset = charset;
        let canvases: Vec<(u32, u32)> = {
            let (buckets, _) = recipe.canvas.buckets.options();
            if buckets.is_empty() {
                vec![(recipe.canvas.width.0, recipe.canvas.height.0)]
            } else {
                buckets.iter().map(|b| (b.width, b.height)).collect()
            }
        };
        let backgrounds = BackgroundPool::load(&inputs.backgrounds, &canvases)?;
        let q = &recipe.corpus.quota;
        let quota = if q.is_on() {
            let within = if q.within == 0 {
                recipe.count
            } else {
                q.within
            };
            Some(QuotaPlan::build_with_tiers(
                &corpus,
                q.min_count,
                &q.tiers,
                within,
                recipe.corpus.lines.max,
                recipe.corpus.max_chars_per_line as usize,
                recipe.seed,
            )?)
        } else {
            None
        };
        let templates = crate::template::load_all(&recipe.templates.0, &recipe.base_dir)?;
        Ok(Context {
            templates,
            quota,
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
    pub placement: Duration,
    pub composite: Duration,
    pub effects: Duration,
    pub encode: Duration,
    pub write: Duration,
}

impl StageTimes {
    pub fn add(&mut self, o: &StageTimes) {
        self.sampling += o.sampling;
        self.layout += o.layout;
        self.raster += o.raster;
        self.background += o.background;
        self.placement += o.placement;
        self.composite += o.composite;
        self.effects += o.effects;
        self.encode += o.encode;
        self.write += o.write;
    }

    pub fn rows(&self) -> [(&'static str, Duration); 9] {
        [
            ("sampling (text, font, looks)", self.sampling),
            ("layout (shaping, fit)", self.layout),
            ("glyph raster + looks", self.raster),
            ("background", self.background),
            ("placement (texture, contrast)", self.placement),
            ("warp + composite", self.composite),
            ("effects", self.effects),
            ("encode", self.encode),
            ("write", self.write),
        ]
    }
}

pub(crate) fn lap(clock: &mut Instant, slot: &mut Duration) {
    let now = Instant::now();
    *slot += now - *clock;
    *clock = now;
}

/// A block's looks as drawn from the recipe, in em (sizes are known only after fitting).
#[derive(Clone, Debug)]
struct Looks {
    fill: FillKind,
    opacity: u8,
    blend: BlendMode,
    stroke: Option<f64>,
    /// Offset, direction (radians), blur, opacity.
    shadow: Option<(f64, f64, f64, f64)>,
    glow: Option<f64>,
    plate: Option<f64>,
    weathering: Option<f64>,
    /// The thing the block is printed on (drawn apart, from the block's `carrier` stream).
    carrier: Option<CarrierDraw>,
}

impl Looks {
    fn draw(r: &Recipe, rng: &mut Rng) -> Looks {
        let st = &r.style;
        let (fills, fw) = st.fill.options();
        let (blends, bw) = st.blend.options();
        let fill = fills[rng.weighted(&fw)];
        let opacity = (rng.range_f64(st.opacity.min, st.opacity.max) * 255.0).round() as u8;
        let blend = blends[rng.weighted(&bw)];
        let stroke = rng
            .chance(st.stroke.0)
            .then(|| rng.range_f64(st.stroke_width.min, st.stroke_width.max));
        let shadow = rng.chance(st.shadow.0).then(|| {
            (
                rng.range_f64(st.shadow_offset.min, st.shadow_offset.max),
                rng.range_f64(0.15, 0.85) * std::f64::consts::FRAC_PI_2 + 0.2,
                rng.range_f64(st.shadow_blur.min, st.shadow_blur.max),
                rng.range_f64(st.shadow_opacity.min, st.shadow_opacity.max),
            )
        });
        let glow = rng
            .chance(st.glow.0)
            .then(|| rng.range_f64(st.glow_radius.min, st.glow_radius.max));
        let plate = rng
            .chance(st.plate.0)
            .then(|| rng.range_f64(st.plate_padding.min, st.plate_padding.max));
        let weathering = rng
            .chance(st.weathering.0)
            .then(|| rng.range_f64(st.weathering_strength.min, st.weathering_strength.max));
        Looks {
            fill,
            opacity,
            blend,
            stroke,
            shadow,
            glow,
            plate,
            weathering,
            carrier: None,
        }
    }

    /// These looks changed by a contrast rescue (see [`Rescue`]).
    fn rescued(mut self, rescue: Rescue) -> Looks {
        if rescue != Rescue::None {
            // Every rescue draws opaque ink: translucent or multiplied ink is what a busy
            // background swallows first.
            self.opacity = 255;
            self.blend = BlendMode::Normal;
        }
        match rescue {
            Rescue::None | Rescue::Opaque => {}
            Rescue::Outline => {
                self.fill = FillKind::Solid;
                self.stroke = Some(self.stroke.unwrap_or(0.0).max(RESCUE_OUTLINE_EM));
            }
            Rescue::Plate => {
                self.fill = FillKind::Solid;
                self.plate = Some(self.plate.unwrap_or(0.0).max(RESCUE_PLATE_EM));
            }
        }
        self
    }

    /// How far the decorations reach beyond the glyph cells, in em.
    fn reach(&self) -> f64 {
        let shadow = self.shadow.map_or(0.0, |(o, _, b, _)| o + 3.0 * b);
        let glow = self.glow.map_or(0.0, |g| 3.0 * g);
        let carrier = self.carrier.map_or(0.0, |c| c.reach());
        shadow.max(glow).max(self.plate.unwrap_or(0.0)).max(carrier)
    }
}

/// How a block whose colour cannot reach `color.min_contrast` where it lies is made legible,
/// tried in this order (unless `color.keep_low_contrast`): the same text, re-planned and
/// placed again with opaque normal ink; then with an outline in black or white opposite the
/// fill (the glyph edge is then the fill against its outline); then on a plate. A block none
/// of them can place is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rescue {
    None,
    Opaque,
    Outline,
    Plate,
}

impl Rescue {
    const ALL: [Rescue; 3] = [Rescue::Opaque, Rescue::Outline, Rescue::Plate];

    fn name(self) -> &'static str {
        match self {
            Rescue::None => "none",
            Rescue::Opaque => "opaque",
            Rescue::Outline => "outline",
            Rescue::Plate => "plate",
        }
    }
}

/// Outline width of the outline rescue, in em: thick enough to carry the glyph's edge alone.
const RESCUE_OUTLINE_EM: f64 = 0.1;
/// Plate padding of the plate rescue, in em.
const RESCUE_PLATE_EM: f64 = 0.3;

/// Alpha planes of a block, all on the same pixel grid.
#[derive(Default)]
struct Planes {
    fill: AlphaLayer,
    stroke: Option<AlphaLayer>,
    plate: Option<AlphaLayer>,
    shadow: Option<(AlphaLayer, Point, u32)>,
    glow: Option<(AlphaLayer, u32)>,
    carrier: Option<CarrierPlanes>,
    /// An LED panel's halo: the lit letters blurred.
    halo: Option<AlphaLayer>,
}

struct PlannedBlock {
    /// What the caption quotes for this block: its lines (word lines), or the paragraph as
    /// drawn, in one piece (real text: its lines are one text, not a list).
    caption: Vec<String>,
    face: usize,
    layout: BlockLayout,
    pad: f64,
    looks: Looks,
    synthetic: SyntheticStyle,
    planes: Planes,
    /// Where the layer's corners go before translation.
    shape: Quad,
    strength: f64,
    rotation: f64,
    align: Align,
    curve: &'static str,
    rescue: Rescue,
}

/// A block's synthetic type style, each part by its probability (`fonts.synthetic`).
fn draw_synthetic(cfg: &SyntheticStyles, rng: &mut Rng) -> SyntheticStyle {
    let mut part = |e: &crate::recipe::Effect, off: f64| {
        if rng.chance(e.probability.0) {
            round4(rng.range_f64(e.range.min, e.range.max))
        } else {
            off
        }
    };
    SyntheticStyle {
        bold: part(&cfg.bold, 0.0),
        oblique: part(&cfg.oblique, 0.0),
        width: part(&cfg.width, 1.0),
    }
}

/// A block's text before it is set: word lines (`n` drawn, after the quota's forced lines), or
/// one unit of real text (`corpus.text`) that is broken into lines once its direction is known.
enum Drawn {
    Words { n: u32, lines: Vec<String> },
    Paragraph(String),
}

impl Drawn {
    /// Every character of the block: what its face must draw.
    fn all_text(&self) -> String {
        match self {
            Drawn::Words { lines, .. } => lines.concat(),
            Drawn::Paragraph(text) => text.clone(),
        }
    }
}

/// Draws a block's text: real text with `corpus.text`, else `corpus.lines` word lines (the
/// quota's planned lines first, whole).
fn draw_text(ctx: &Context, r: &Recipe, forced: &[String], rng: &mut Rng) -> Drawn {
    if r.corpus.text.is_some() {
        return Drawn::Paragraph(ctx.corpus.sample_text(&r.corpus, rng));
    }
    let n = rng.range_u32(r.corpus.lines.min, r.corpus.lines.max);
    let mut lines: Vec<String> = forced.to_vec();
    while lines.len() < n as usize {
        lines.push(ctx.corpus.sample_line(&r.corpus, rng));
    }
    Drawn::Words { n, lines }
}

/// Room left around a paragraph's lines when their width and number are capped to the canvas:
/// rotation, warp, outlines and decorations need some, and the fit loop shrinks the rest.
const PARAGRAPH_SLACK: f64 = 0.85;

/// Sets one unit of real text as a block's lines (see [`crate::linebreak`]): a width in columns
/// drawn from `corpus.text.width`, at most `corpus.lines`' maximum lines, both capped to what
/// fits `avail` along and across the lines at the legibility floor `text.min_size`, so that
/// the fit loop can always shrink the block onto the canvas. A paragraph that needs more lines
/// is shortened ([`crate::linebreak::fit_paragraph`]). Returns the lines as drawn — a space at
/// a break hangs and is not drawn — and the text the caption quotes; `None` when nothing is
/// left to draw.
fn set_paragraph(
    r: &Recipe,
    text: &str,
    dir: Direction,
    spacing: Spacing,
    (avail_w, avail_h): (f64, f64),
    rng: &mut Rng,
) -> Option<(Vec<String>, String)> {
    use crate::linebreak::{fit_paragraph, horizontal_width, vertical_width};
    let t = r.corpus.text.as_ref()?;
    let (along, across) = match dir {
        Direction::Horizontal => (avail_w, avail_h),
        Direction::Vertical => (avail_h, avail_w),
    };
    let floor = r.text.min_size;
    let fit_columns = (along * PARAGRAPH_SLACK / (floor * (1.0 + spacing.letter))).floor();
    let fit_lines = ((across * PARAGRAPH_SLACK / floor - 1.0) / spacing.line).floor() + 1.0;
    let columns = rng
        .range_u32(t.width.0.min, t.width.0.max)
        .min(fit_columns.max(1.0) as u32);
    let max_lines = r.corpus.lines.max.min(fit_lines.max(1.0) as u32) as usize;
    let width = match dir {
        Direction::Horizontal => horizontal_width,
        Direction::Vertical => vertical_width,
    };
    let set = fit_paragraph(text, 2 * columns as usize, max_lines, width);
    let lines: Vec<String> = set
        .lines
        .iter()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| (lines, set.text.trim_end().to_string()))
}

fn draw_curve(r: &Recipe, dir: Direction, rng: &mut Rng) -> (Curve, &'static str) {
    let l = &r.layout;
    if dir != Direction::Horizontal || !rng.chance(l.curve.0) {
        return (Curve::Straight, "straight");
    }
    let (shapes, weights) = l.curve_shapes.options();
    match shapes[rng.weighted(&weights)] {
        CurveShape::Arc => {
            let bend = rng.range_f64(l.arc_bend.min, l.arc_bend.max);
            let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
            (Curve::Arc { bend: bend * sign }, "arc")
        }
        CurveShape::Wave => (
            Curve::Wave {
                amplitude: rng.range_f64(l.wave_amplitude.min, l.wave_amplitude.max),
                length: rng.range_f64(l.wave_length.min, l.wave_length.max),
                phase: rng.range_f64(0.0, std::f64::consts::TAU),
            },
            "wave",
        ),
    }
}

/// Renders the planes of a fitted block; a carrier's shading and shadow follow the scene's
/// `light` (radians).
fn render_planes(
    layout: &BlockLayout,
    face: &crate::fonts::Face,
    pad: f64,
    looks: &Looks,
    bold: f64,
    seed: u64,
    light: f64,
) -> Planes {
    let size = layout.size;
    let mut fill = render_fill(layout, face, pad, bold);
    let mut stroke = looks
        .stroke
        .map(|w| render_stroke(layout, face, pad, w * size + bold));
    let text = layout.bounds.translate(pad, pad);
    let carrier = looks.carrier.map(|c| {
        let grid = (fill.width, fill.height);
        render_carrier(&c, grid, text, size, light)
    });
    let mut halo = None;
    if let Some(c) = &looks.carrier {
        if c.kind == crate::recipe::CarrierKind::LedSign {
            // Letters of lamps: the ink only loses coverage between the dots, so every label
            // still holds.
            let dots = led_dots(fill.width, fill.height, text, led_pitch(size));
            for layer in std::iter::once(&mut fill).chain(stroke.as_mut()) {
                for (a, d) in layer.data.iter_mut().zip(&dots.data) {
                    *a = ((u32::from(*a) * u32::from(*d) + 127) / 255) as u8;
                }
            }
            let radius = radius_for_sigma(led_pitch(size) * 0.8).max(1);
            halo = Some(fill.blurred(radius, 1.2));
        }
    }
    if let Some(strength) = looks.weathering {
        let cell = (size * 0.6).max(6.0);
        weather(&mut fill, seed, strength, cell);
        if let Some(s) = stroke.as_mut() {
            weather(s, seed, strength, cell);
        }
    }
    let body = stroke.as_ref().unwrap_or(&fill);
    let shadow = looks.shadow.map(|(offset, dir, blur, _)| {
        let radius = radius_for_sigma(blur * size) as u32;
        let d = offset * size;
        (
            body.blurred(radius as usize, 1.0),
            Point::new(d * dir.cos(), d * dir.sin()),
            radius,
        )
    });
    let glow = looks.glow.map(|g| {
        let radius = radius_for_sigma(g * size).max(1) as u32;
        (body.blurred(radius as usize, 2.5), radius)
    });
    let plate = looks.plate.map(|p| render_plate(layout, pad, p * size));
    Planes {
        fill,
        stroke,
        plate,
        shadow,
        glow,
        carrier,
        halo,
    }
}

/// What a block is planned from: the recipe (the run's, or a template region's), lines it
/// must draw, the box it must fit, a size scale (secondary blocks), the contrast rescue, the
/// scene's light, and the type styles it may use (empty = any).
#[derive(Clone, Copy)]
struct BlockAsk<'a> {
    recipe: &'a Recipe,
    forced: &'a [String],
    avail: (f64, f64),
    scale: f64,
    rescue: Rescue,
    light: f64,
    styles: &'a [FontStyle],
}

/// Draws text, face, layout and looks for one block, and fits it (with its warp) into the
/// asked box.
fn plan_block(
    ctx: &Context,
    root: &Rng,
    ask: &BlockAsk,
    times: &mut StageTimes,
    clock: &mut Instant,
) -> Result<(PlannedBlock, u32)> {
    let BlockAsk {
        recipe: r,
        forced,
        avail: (avail_w, avail_h),
        scale,
        rescue,
        light,
        styles,
    } = *ask;
    let mut resamples = 0;
    for attempt in 0..64u32 {
        let mut rng = root.fork(&format!("text{attempt}"));
        let drawn = draw_text(ctx, r, forced, &mut rng);
        // No tofu: one face draws every character of the block, or the whole text (a whole
        // paragraph, never single characters of it) is drawn anew.
        let face = if styles.is_empty() {
            ctx.fonts.choose(&drawn.all_text(), &mut rng)
        } else {
            ctx.fonts.choose_styled(&drawn.all_text(), styles, &mut rng)
        };
        let Some(face) = face else {
            resamples += 1;
            continue;
        };
        let (dirs, weights) = r.text.direction.options();
        let dir = dirs[rng.weighted(&weights)];
        // Secondary blocks are drawn smaller, but never below the legibility floor.
        let mut size =
            (rng.range_f64(r.text.size.min, r.text.size.max) * scale).max(r.text.min_size);
        let spacing = Spacing {
            letter: rng.range_f64(r.text.letter_spacing.min, r.text.letter_spacing.max),
            line: rng.range_f64(r.text.line_spacing.min, r.text.line_spacing.max),
        };
        let (aligns, aw) = r.layout.align.options();
        let align = aligns[rng.weighted(&aw)];
        let (lines, caption, title_scale) = match drawn {
            Drawn::Words { n, lines } => {
                let title_scale = if n > 1 && rng.chance(r.layout.title.0) {
                    rng.range_f64(r.layout.title_scale.min, r.layout.title_scale.max)
                } else {
                    1.0
                };
                (lines.clone(), lines, title_scale)
            }
            // A paragraph's first line is not a title: one size throughout.
            Drawn::Paragraph(text) => {
                let avail = (avail_w, avail_h);
                let Some((lines, text)) = set_paragraph(r, &text, dir, spacing, avail, &mut rng)
                else {
                    resamples += 1;
                    continue;
                };
                (lines, vec![text], 1.0)
            }
        };
        let (curve, curve_name) = draw_curve(r, dir, &mut rng);
        let mut looks = Looks::draw(r, &mut rng.fork("looks")).rescued(rescue);
        // A block on a carrier needs no plate: the carrier is its ground.
        looks.carrier = CarrierDraw::draw(&r.carrier, &mut root.fork("carrier"));
        if looks.carrier.is_some() {
            looks.plate = None;
        }
        let synthetic = draw_synthetic(&r.fonts.synthetic, &mut rng.fork("synthetic"));
        let warp_rng = rng.fork("warp");
        let seed = rng.next_u64();
        lap(clock, &mut times.sampling);
        let face_ref = &ctx.fonts.faces[face];
        // Fit: layout is about linear in size, so shrink until the warped block fits; enlarge
        // when the warp thins characters below the floor (≤ 6 rounds).
        let mut shrunk = false;
        for _ in 0..6 {
            let style = BlockStyle {
                direction: dir,
                size,
                spacing,
                align,
                title_scale,
                curve,
                outline: looks.stroke.map_or(0.0, |w| w * size) + synthetic.bold * size,
                slant: synthetic.oblique.to_radians().tan(),
                x_scale: synthetic.width,
            };
            // A face that cannot draw this text after all (a glyph without ink) means new text.
            let Ok(layout) = layout_block(face_ref, &lines, &style) else {
                break;
            };
            let pad = (LAYER_PAD + looks.reach() * size).ceil();
            let (lw, lh) = (layout.bounds.x1 + 2.0 * pad, layout.bounds.y1 + 2.0 * pad);
            let (shape, strength, rotation) = random_shape(lw, lh, &r.warp, &mut warp_rng.clone());
            let bb = Rect::of_points(shape.iter());
            let factor = (avail_w / bb.width()).min(avail_h / bb.height());
            lap(clock, &mut times.layout);
            if factor >= 1.0 {
                let laid = Rect::new(0.0, 0.0, lw, lh).quad();
                let legible = Homography::from_quads(&laid, &shape).map_or(0.0, |h| {
                    block_px_per_em(&layout, &h.then_after(&Homography::translate(pad, pad)))
                });
                if legible < r.text.min_size {
                    if shrunk {
                        // It fits the canvas only below the floor: draw other text.
                        break;
                    }
                    size *= r.text.min_size / legible.max(1e-3) * 1.02;
                    continue;
                }
                let bold = synthetic.bold * size;
                let planes = render_planes(&layout, face_ref, pad, &looks, bold, seed, light);
                lap(clock, &mut times.raster);
                return Ok((
                    PlannedBlock {
                        caption,
                        face,
                        layout,
                        pad,
                        looks,
                        synthetic,
                        planes,
                        shape,
                        strength,
                        rotation,
                        align,
                        curve: curve_name,
                        rescue,
                    },
                    resamples,
                ));
            }
            size *= factor * 0.97;
            shrunk = true;
            if size < r.text.min_size {
                break;
            }
        }
        resamples += 1;
    }
    bail!(
        "no text could be placed after 64 attempts: the canvas is too small for text.size and \
         text.min_size (check with `hanzi-synth recipe check`), or no font covers the corpus"
    )
}

/// Every point of every label a block's layout yields (line quads, line outlines, character
/// quads), in layer coordinates: what must stay inside the image, whatever moves the block.
fn label_points(layout: &BlockLayout) -> impl Iterator<Item = Point> + '_ {
    layout.lines.iter().flat_map(|l| {
        l.bounds
            .quad()
            .into_iter()
            .chain(l.outline.iter().copied())
            .chain(l.chars.iter().flat_map(|c| c.quad))
    })
}

/// A chosen spot for a block.
struct Spot {
    to_canvas: Homography,
    footprint: Quad,
    /// Background luminance spread under the ink (10th/90th percentiles).
    dark: f64,
    light: f64,
    /// The best contrast black or white could reach there.
    reachable: f64,
    texture: f64,
    /// The mean background colour under the footprint (what lights a carrier there).
    ambient: [u8; 3],
}

/// Tries `placement.tries` random spots inside the margins that keep `gap` pixels from every
/// placed footprint. Among spots where the contrast target is reachable, the calmest wins (with
/// probability `prefer_smooth`, else the first); otherwise the spot with the best reachable
/// contrast. `None` when no spot is clear of the other blocks.
#[allow(clippy::too_many_arguments)]
fn choose_spot(
    ctx: &Context,
    block: &PlannedBlock,
    canvas: &Backdrop,
    texture: Option<&TextureMap>,
    placed: &[Quad],
    gap: f64,
    margin: f64,
    rng: &mut Rng,
) -> Option<Spot> {
    let r = &ctx.recipe;
    let (cw, ch) = (f64::from(canvas.width), f64::from(canvas.height));
    let bb = Rect::of_points(block.shape.iter());
    let tx_range = (margin - bb.x0, cw - margin - bb.x1);
    let ty_range = (margin - bb.y0, ch - margin - bb.y1);
    let (lw, lh) = (
        block.layout.bounds.x1 + 2.0 * block.pad,
        block.layout.bounds.y1 + 2.0 * block.pad,
    );
    let laid = Rect::new(0.0, 0.0, lw, lh).quad();
    let ink = ink_points(&block.planes.fill);
    // A plate brings its own background, and an outline rescue its own edge: any colour can
    // be chosen against them.
    let plated = block.looks.plate.is_some()
        || block.looks.carrier.is_some()
        || block.rescue == Rescue::Outline;
    let calm = rng.chance(r.placement.prefer_smooth.0);
    let mut best: Option<Spot> = None;
    for _ in 0..r.placement.tries {
        let tx = rng.range_f64(tx_range.0, tx_range.1.max(tx_range.0));
        let ty = rng.range_f64(ty_range.0, ty_range.1.max(ty_range.0));
        let footprint = block.shape.map(|p| Point::new(p.x + tx, p.y + ty));
        if !placed.iter().all(|f| convex_separated(f, &footprint, gap)) {
            continue;
        }
        let Some(h) = Homography::from_quads(&laid, &footprint) else {
            continue;
        };
        let (dark, light) = luminance_spread(luminances_under(&ink, &h, canvas));
        let reachable = if plated {
            21.0
        } else {
            [[0, 0, 0], [255, 255, 255]]
                .map(|c| effective_contrast(c, block.looks.opacity, block.looks.blend, dark, light))
                .into_iter()
                .fold(0.0, f64::max)
        };
        let texture = texture.map_or(0.0, |t| t.mean_energy(&Rect::of_points(footprint.iter())));
        let ambient = if block.looks.carrier.is_some() {
            mean_color_under(canvas, &h, lw, lh)
        } else {
            [0, 0, 0]
        };
        let spot = Spot {
            to_canvas: h,
            footprint,
            dark,
            light,
            reachable,
            texture,
            ambient,
        };
        let meets = spot.reachable >= r.color.min_contrast;
        let better = match &best {
            None => true,
            Some(b) => {
                let b_meets = b.reachable >= r.color.min_contrast;
                match (meets, b_meets) {
                    (true, false) => true,
                    (false, true) => false,
                    (true, true) => calm && spot.texture < b.texture,
                    (false, false) => spot.reachable > b.reachable,
                }
            }
        };
        if better {
            best = Some(spot);
            if meets && !calm {
                break;
            }
        }
    }
    best
}

/// Colours of a placed block, and the layers that draw it.
struct Painted {
    colors: Vec<[u8; 3]>,
    contrast: f64,
    blend: BlendMode,
    stroke: Option<StrokeMeta>,
    shadow: Option<ShadowMeta>,
    glow: Option<ShadowMeta>,
    plate: Option<PlateMeta>,
    /// The carrier and its rectangle in layer pixels.
    carrier: Option<(CarrierMeta, Rect)>,
}

/// Black or white, whichever stands out more from `c`.
fn opposite_extreme(c: [u8; 3]) -> [u8; 3] {
    if luminance(c) > 0.18 {
        [0, 0, 0]
    } else {
        [255, 255, 255]
    }
}

/// Chooses the block's colours against what lies under it, and plans its layers: its planes
/// move to `planes`, the layers that put them on the canvas go to `layers`.
fn color_block(
    ctx: &Context,
    block: &mut PlannedBlock,
    spot: &Spot,
    planes: &mut Vec<AlphaLayer>,
    layers: &mut Vec<LayerPlan>,
    rng: &mut Rng,
) -> Painted {
    let r = &ctx.recipe;
    let looks = &block.looks;
    let size = block.layout.size;
    let palette: Vec<[u8; 3]> = r.color.palette.iter().map(|c| c.0).collect();
    let (mut dark, mut light) = (spot.dark, spot.light);
    let plate = looks.plate.map(|padding| {
        let plates: Vec<[u8; 3]> = r.style.plate_colors.iter().map(|c| c.0).collect();
        let color = if block.rescue == Rescue::Plate {
            // A light plate: dark text on it reaches any contrast target.
            crate::color::hsv(
                rng.f64() * 360.0,
                rng.range_f64(0.05, 0.3),
                rng.range_f64(0.92, 1.0),
            )
        } else if plates.is_empty() {
            crate::color::random_color(rng)
        } else {
            plates[rng.below(plates.len() as u64) as usize]
        };
        PlateMeta {
            on: true,
            padding: round4(padding * size),
            color,
        }
    });
    if let Some(p) = &plate {
        dark = luminance(p.color);
        light = dark;
    }
    // On a carrier the text is judged against the carrier as painted, and inked the way such
    // a thing is lettered.
    let mut carrier_colors = looks
        .carrier
        .map(|c| draw_colors(c.kind, spot.ambient, &mut rng.fork("carrier")));
    if let (Some(planes), Some(colors)) = (&block.planes.carrier, carrier_colors.as_mut()) {
        let ink = ink_points(&block.planes.fill);
        let reach = |colors: &CarrierColors| {
            let (dark, light) = crate::carrier::luminance_under(planes, colors, &ink);
            let best = [[0, 0, 0], [255, 255, 255]]
                .map(|c| effective_contrast(c, looks.opacity, looks.blend, dark, light))
                .into_iter()
                .fold(0.0, f64::max);
            (dark, light, best)
        };
        // A carrier too mid-toned (or too grainy) for any ink to reach the target is made a
        // lighter one, as a sign maker would pick a lighter board.
        let mut judged = reach(colors);
        for _ in 0..8 {
            if judged.2 >= r.color.min_contrast {
                break;
            }
            *colors = colors.lightened(0.2);
            judged = reach(colors);
        }
        (dark, light) = (judged.0, judged.1);
    }
    let palette = match &carrier_colors {
        Some(c) => c.inks.clone(),
        None => palette,
    };
    // Printing dark ink on dark paper shows nothing: multiply needs a light background.
    let blend = if looks.blend == BlendMode::Multiply && light < 0.35 {
        BlendMode::Normal
    } else {
        looks.blend
    };
    let outlined = block.rescue == Rescue::Outline;
    let judge = |c| {
        if outlined {
            // The glyph's edge is the fill against its outline (black or white opposite it).
            let edge = luminance(opposite_extreme(c));
            effective_contrast(c, looks.opacity, blend, edge, edge)
        } else {
            effective_contrast(c, looks.opacity, blend, dark, light)
        }
    };
    let min = r.color.min_contrast;
    let (c0, k0) = choose_color_by(&palette, min, r.color.attempts, rng, judge);
    let mut colors = vec![c0];
    let mut contrast = k0;
    if looks.fill == FillKind::Gradient {
        // Both ends on the same side of the background, so no mix between them matches it.
        let darker = luminance(c0) < (dark + light) / 2.0;
        let same_side = |c| {
            if (luminance(c) < (dark + light) / 2.0) == darker {
                judge(c)
            } else {
                0.0
            }
        };
        let (c1, k1) = choose_color_by(&palette, min, r.color.attempts, rng, same_side);
        colors.push(c1);
        contrast = contrast.min(k1);
    }
    let h = spot.to_canvas;
    let laid = block.layout.bounds.translate(block.pad, block.pad);
    let paint = match colors[..] {
        [c] => Paint::Solid(c),
        [c0, c1, ..] => {
            // Top to bottom or left to right across the block, as drawn.
            let (a, b) = if rng.chance(0.5) {
                (Point::new(laid.x0, laid.y0), Point::new(laid.x0, laid.y1))
            } else {
                (Point::new(laid.x0, laid.y0), Point::new(laid.x1, laid.y0))
            };
            Paint::Linear {
                p0: h.apply(a),
                p1: h.apply(b),
                c0,
                c1,
            }
        }
        [] => unreachable!("at least one colour is chosen"),
    };
    let stroke = looks.stroke.map(|w| StrokeMeta {
        on: true,
        width: round4(w * size),
        color: opposite_extreme(c0),
    });
    let shadow = block.planes.shadow.as_ref().map(|(_, d, blur)| ShadowMeta {
        on: true,
        dx: round4(d.x),
        dy: round4(d.y),
        blur: *blur,
        opacity: round4(looks.shadow.map_or(0.0, |s| s.3)),
        color: if luminance(c0) > 0.5 {
            [0, 0, 0]
        } else {
            [20, 20, 20]
        },
    });
    let glow = block.planes.glow.as_ref().map(|(_, radius)| ShadowMeta {
        on: true,
        dx: 0.0,
        dy: 0.0,
        blur: *radius,
        opacity: 0.9,
        color: opposite_extreme(c0),
    });

    let Planes {
        fill,
        stroke: stroke_plane,
        plate: plate_plane,
        shadow: shadow_plane,
        glow: glow_plane,
        carrier: carrier_planes,
        halo,
    } = std::mem::take(&mut block.planes);
    let mut put = |alpha: AlphaLayer, to_canvas, paint, opacity, blend| {
        planes.push(alpha);
        layers.push(LayerPlan {
            plane: planes.len() - 1,
            to_canvas,
            paint,
            opacity,
            blend,
        });
    };
    let solid = |color, opacity: f64| (Paint::Solid(color), (opacity * 255.0).round() as u8);
    let mut carrier = None;
    if let (Some(cp), Some(cc), Some(draw)) = (carrier_planes, &carrier_colors, looks.carrier) {
        if let (Some((alpha, d, _)), Some((_, _, opacity))) = (cp.shadow, draw.shadow) {
            let moved = h.then_after(&Homography::translate(d.x, d.y));
            let (paint, opacity) = solid([0, 0, 0], opacity);
            put(alpha, moved, paint, opacity, BlendMode::Normal);
        }
        for (alpha, color) in [
            (cp.shape, cc.base),
            (cp.grain, cc.grain),
            (cp.edge, cc.edge),
            (cp.shade, [0, 0, 0]),
        ] {
            put(alpha, h, Paint::Solid(color), 255, BlendMode::Normal);
        }
        carrier = Some((
            CarrierMeta {
                on: true,
                kind: crate::carrier::kind_name(draw.kind),
                color: cc.base,
                padding: round4(draw.padding * size),
                shadow: draw.shadow.is_some(),
                quad: [[0.0; 2]; 4],
            },
            cp.rect,
        ));
    }
    if let (Some(alpha), Some(p)) = (plate_plane, &plate) {
        let (paint, opacity) = solid(p.color, 1.0);
        put(alpha, h, paint, opacity, BlendMode::Normal);
    }
    if let (Some((alpha, _)), Some(g)) = (glow_plane, &glow) {
        let (paint, opacity) = solid(g.color, g.opacity);
        put(alpha, h, paint, opacity, BlendMode::Normal);
    }
    if let (Some((alpha, d, _)), Some(s)) = (shadow_plane, &shadow) {
        let moved = h.then_after(&Homography::translate(d.x, d.y));
        let (paint, opacity) = solid(s.color, s.opacity);
        put(alpha, moved, paint, opacity, BlendMode::Normal);
    }
    if let Some(alpha) = halo {
        put(alpha, h, Paint::Solid(c0), 150, BlendMode::Normal);
    }
    if let (Some(alpha), Some(s)) = (stroke_plane, &stroke) {
        put(alpha, h, Paint::Solid(s.color), looks.opacity, blend);
    }
    put(fill, h, paint, looks.opacity, blend);
    Painted {
        colors,
        contrast,
        blend,
        stroke,
        shadow,
        glow,
        plate,
        carrier,
    }
}

/// The canvas size of a sample: an aspect bucket drawn by weight, or the recipe's size.
pub fn canvas_size(r: &Recipe, rng: &mut Rng) -> (u32, u32) {
    let (buckets, weights) = r.canvas.buckets.options();
    if buckets.is_empty() {
        (r.canvas.width.0, r.canvas.height.0)
    } else {
        let b = buckets[rng.weighted(&weights)];
        (b.width, b.height)
    }
}

fn font_meta(ctx: &Context, face: usize) -> FontMeta {
    let face = &ctx.fonts.faces[face];
    FontMeta {
        family: face.family.clone(),
        file: face.file.clone(),
        index: face.index,
        style: face.style.clone(),
        synthetic: SyntheticStyle::default(),
    }
}

/// Produces sample `index`: plans it and paints it with `painter`. `times` accumulates
/// per-stage durations.
pub fn render_sample(
    ctx: &Context,
    index: u64,
    painter: &mut dyn Painter,
    times: &mut StageTimes,
) -> Result<Sample> {
    paint_planned(ctx, plan_sample(ctx, index, times)?, None, painter, times)
}

/// Paints a plan into a sample; `background`, when given, is `plan.background` already painted.
pub fn paint_planned(
    ctx: &Context,
    plan: Plan,
    background: Option<RgbImage>,
    painter: &mut dyn Painter,
    times: &mut StageTimes,
) -> Result<Sample> {
    let image = painter.paint(ctx, &plan, background, times)?;
    Ok(Sample {
        image,
        meta: plan.meta,
        blocks: plan.blocks,
    })
}

/// Plans sample `index`. What lies under the text (placement and colour choice) is read from a
/// [`Backdrop`], a thumbnail of the background: the full background is left to the painter.
pub fn plan_sample(ctx: &Context, index: u64, times: &mut StageTimes) -> Result<Plan> {
    let mut clock = Instant::now();
    let r = &ctx.recipe;
    let root = Rng::for_sample(r.seed, index);
    let (cw, ch) = canvas_size(r, &mut root.fork("canvas"));
    let short = f64::from(cw.min(ch));
    let margin = r.text.margin * short;
    let gap = r.layout.block_gap * short;
    let avail = (f64::from(cw) - 2.0 * margin, f64::from(ch) - 2.0 * margin);
    let n_blocks = root
        .fork("blocks")
        .range_u32(r.layout.blocks.min, r.layout.blocks.max);
    // Where the scene's light comes from (radians): carriers are shaded and cast shadows
    // accordingly, all the same way.
    let light = root.fork("light").range_f64(0.0, std::f64::consts::TAU);
    lap(&mut clock, &mut times.sampling);

    // A designed template brings its own page (a solid colour) and its own blocks.
    let page_template = pick_template(ctx, &root);
    let (background_plan, background) = match page_template {
        Some(t) => {
            let mut rng = root.fork("page");
            let color = t.background[rng.below(t.background.len() as u64) as usize].0;
            let info = BackgroundInfo {
                kind: crate::recipe::BackgroundKind::Solid,
                source: t.source.clone(),
            };
            (crate::background::BackgroundPlan::Solid { color }, info)
        }
        None => ctx.backgrounds.plan(cw, ch, &mut root.fork("background")),
    };
    // Blocks never overlap, so what lies under a block's ink is the background alone (and a
    // template's panels, which `reading` has painted in).
    let canvas = Backdrop {
        thumb: ctx.backgrounds.thumbnail(&background_plan, cw, ch)?,
        width: cw,
        height: ch,
    };
    lap(&mut clock, &mut times.background);
    let texture = (r.placement.prefer_smooth.0 > 0.0).then(|| TextureMap::new(&canvas.thumb));
    lap(&mut clock, &mut times.placement);

    let mut text_resamples = 0;
    let mut blocks_dropped = 0;
    let mut contrast_left_out = 0;
    let mut notes = Vec::new();
    let mut placed: Vec<Quad> = Vec::new();
    // (plan, spot, paint) of every drawn block.
    let mut drawn = Vec::new();
    let (mut planes, mut layers) = (Vec::new(), Vec::new());
    // Each drawn block's template role ("" in a free layout).
    let mut roles: Vec<&'static str> = Vec::new();
    let n_blocks = if let Some(t) = page_template {
        let page = TemplatePage {
            template: t,
            canvas: &canvas,
            light,
        };
        let mut out = PageOut {
            drawn: &mut drawn,
            roles: &mut roles,
            planes: &mut planes,
            layers: &mut layers,
            notes: &mut notes,
        };
        blocks_dropped += plan_page(ctx, &page, &root, &mut out, times, &mut clock)?;
        0
    } else {
        n_blocks
    };
    for b in 0..n_blocks {
        let brng = root.fork(&format!("block{b}"));
        let scale = if b == 0 {
            1.0
        } else {
            let s = &r.layout.secondary_scale;
            brng.fork("scale").range_f64(s.min, s.max)
        };
        let forced = match (&ctx.quota, b) {
            (Some(q), 0) => q.forced_lines(&ctx.corpus, index),
            _ => Vec::new(),
        };
        let ask = BlockAsk {
            recipe: r,
            forced: &forced,
            avail,
            scale,
            rescue: Rescue::None,
            light,
            styles: &[],
        };
        let planned = plan_block(ctx, &brng, &ask, times, &mut clock);
        let (plan, resamples) = match planned {
            Ok(p) => p,
            Err(e) if b == 0 => return Err(e),
            Err(_) => {
                blocks_dropped += 1;
                notes.push(format!("block {b}: no text fits"));
                continue;
            }
        };
        text_resamples += resamples;
        let spot = choose_spot(
            ctx,
            &plan,
            &canvas,
            texture.as_ref(),
            &placed,
            gap,
            margin,
            &mut brng.fork("place"),
        );
        lap(&mut clock, &mut times.placement);
        let Some(spot) = spot else {
            if b == 0 {
                bail!("no placement has an invertible warp");
            }
            blocks_dropped += 1;
            notes.push(format!(
                "block {b}: no spot clear of the other blocks in {} tries; left out",
                r.placement.tries
            ));
            continue;
        };
        // A block no colour can lift to the contrast target where it lies: the same text,
        // made legible by the first rescue that can be placed (see `Rescue`).
        let (plan, spot) = if spot.reachable < r.color.min_contrast && !r.color.keep_low_contrast {
            let mut rescued = None;
            for rescue in Rescue::ALL {
                let ask = BlockAsk { rescue, ..ask };
                let Ok((p, _)) = plan_block(ctx, &brng, &ask, times, &mut clock) else {
                    continue;
                };
                let s = choose_spot(
                    ctx,
                    &p,
                    &canvas,
                    texture.as_ref(),
                    &placed,
                    gap,
                    margin,
                    &mut brng.fork(&format!("place-{}", rescue.name())),
                );
                lap(&mut clock, &mut times.placement);
                if let Some(s) = s.filter(|s| s.reachable >= r.color.min_contrast) {
                    rescued = Some((p, s));
                    break;
                }
            }
            match rescued {
                Some(found) => found,
                None if b == 0 => {
                    notes.push("block 0: no rescue reached the contrast target".into());
                    (plan, spot)
                }
                None => {
                    blocks_dropped += 1;
                    contrast_left_out += 1;
                    notes.push(format!(
                        "block {b}: left out, no colour, outline or plate reaches the contrast \
                         target where it fits"
                    ));
                    continue;
                }
            }
        } else {
            (plan, spot)
        };
        let mut plan = plan;
        let painted = color_block(
            ctx,
            &mut plan,
            &spot,
            &mut planes,
            &mut layers,
            &mut brng.fork("color"),
        );
        lap(&mut clock, &mut times.sampling);
        if painted.contrast < r.color.min_contrast {
            notes.push(format!(
                "block {b}: contrast {:.2} below the target {} (best reachable {:.2})",
                painted.contrast, r.color.min_contrast, spot.reachable
            ));
        }
        placed.push(spot.footprint);
        drawn.push((plan, spot, painted));
        roles.push("");
    }

    // Camera framing moves pixels, so it moves every block's homography too; it is skipped
    // when it would push text out of the frame.
    let mut effects = Vec::new();
    let mut cam = camera(&r.effects, cw, ch, &mut root.fork("camera"));
    if let Some((h_cam, _)) = &cam {
        let (w, h) = (f64::from(cw), f64::from(ch));
        let inside = drawn.iter().all(|(plan, spot, _)| {
            let to = h_cam
                .then_after(&spot.to_canvas)
                .then_after(&Homography::translate(plan.pad, plan.pad));
            label_points(&plan.layout).all(|p| {
                let q = to.apply(p);
                q.x >= 0.0 && q.y >= 0.0 && q.x <= w && q.y <= h
            })
        });
        if !inside {
            notes.push("camera skipped: it would push text out of the frame".into());
            cam = None;
        }
    }
    if let Some((_, desc)) = &cam {
        effects.push(desc.clone());
    }
    // Blur and compression strength are bounded by the smallest text in the picture.
    let text_px = drawn
        .iter()
        .map(|(plan, spot, _)| {
            let to = match &cam {
                Some((h_cam, _)) => h_cam.then_after(&spot.to_canvas),
                None => spot.to_canvas,
            };
            block_px_per_em(
                &plan.layout,
                &to.then_after(&Homography::translate(plan.pad, plan.pad)),
            )
        })
        .fold(f64::INFINITY, f64::min);
    let pixel_effects = plan_pixel_effects(&r.effects, &root.fork("effects"), text_px);
    effects.extend(pixel_effects.iter().map(|e| e.describe()));

    // Labels: every cell and outline goes through the same homography as the pixels.
    let mut blocks = Vec::with_capacity(drawn.len());
    let mut block_metas = Vec::with_capacity(drawn.len());
    let mut lines = Vec::new();
    let mut caption_lines = Vec::new();
    for (b, (plan, spot, painted)) in drawn.into_iter().enumerate() {
        let to_canvas = match &cam {
            Some((h_cam, _)) => h_cam.then_after(&spot.to_canvas),
            None => spot.to_canvas,
        };
        let bold = plan.synthetic.bold * plan.layout.size;
        let rendered = RenderedBlock {
            face: plan.face,
            layout: plan.layout,
            pad: plan.pad,
            bold,
            to_canvas,
        };
        let to_image = rendered.layout_to_canvas();
        let font = FontMeta {
            synthetic: plan.synthetic,
            ..font_meta(ctx, plan.face)
        };
        for line in &rendered.layout.lines {
            lines.push(LineMeta {
                text: line.text.clone(),
                block: b as u32,
                direction: rendered.layout.direction,
                font: font.clone(),
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
                curved: line.curved,
                position: {
                    let q = to_image.apply_quad(&line.bounds.quad());
                    let c = q.iter().fold(Point::new(0.0, 0.0), |a, p| {
                        Point::new(a.x + p.x / 4.0, a.y + p.y / 4.0)
                    });
                    crate::geometry::position_word(c, f64::from(cw), f64::from(ch))
                },
                chars: line
                    .chars
                    .iter()
                    .map(|c| CharMeta {
                        char: c.ch.to_string(),
                        quad: json_quad(&to_image.apply_quad(&c.quad)),
                    })
                    .collect(),
            });
        }
        let laid = Rect::new(
            0.0,
            0.0,
            rendered.layout.bounds.x1 + 2.0 * rendered.pad,
            rendered.layout.bounds.y1 + 2.0 * rendered.pad,
        );
        block_metas.push(BlockMeta {
            homography: to_canvas.0.map(|v| (v * 1e9).round() / 1e9),
            pad: rendered.pad,
            footprint: json_quad(&to_canvas.apply_quad(&laid.quad())),
            rotation: round4(plan.rotation),
            warp_strength: round4(plan.strength),
            direction: rendered.layout.direction,
            align: plan.align,
            curve: plan.curve,
            fill: plan.looks.fill,
            colors: painted.colors,
            opacity: round4(f64::from(plan.looks.opacity) / 255.0),
            blend: painted.blend,
            stroke: painted.stroke.unwrap_or_default(),
            shadow: painted.shadow.unwrap_or_default(),
            glow: painted.glow.unwrap_or_default(),
            plate: painted.plate.unwrap_or_default(),
            carrier: painted
                .carrier
                .map_or_else(CarrierMeta::default, |(meta, rect)| CarrierMeta {
                    quad: json_quad(&to_canvas.apply_quad(&rect.quad())),
                    ..meta
                }),
            weathering: round4(plan.looks.weathering.unwrap_or(0.0)),
            contrast: round4(painted.contrast),
            contrast_fallback: plan.rescue.name(),
            role: roles[b],
            texture: round4(spot.texture),
        });
        caption_lines.extend(plan.caption);
        blocks.push(rendered);
    }
    let first_carrier = lines
        .first()
        .map(|l| &block_metas[l.block as usize].carrier)
        .filter(|c| c.on);
    let mut facts = picture_facts(&background, &canvas.thumb, &lines, first_carrier);
    if let Some(t) = page_template {
        facts.background = crate::describe::Named {
            en: t.subject.en.clone(),
            zh: t.subject.zh.clone(),
        };
    }
    let (caption, caption_language, template) = make_caption(
        &r.caption,
        &caption_lines,
        &facts,
        &mut root.fork("caption"),
    );
    let english = caption_en(&r.caption, template, &caption_lines, &facts);
    let plain = plain_caption(&r.caption, caption_language, template, &facts);
    let captions = r.caption.variants.then(|| {
        let placed: Vec<(String, &str)> =
            lines.iter().map(|l| (l.text.clone(), l.position)).collect();
        caption_variants(
            &r.caption,
            &caption,
            caption_language,
            template,
            &placed,
            &facts,
        )
    });
    let contrast_met = block_metas
        .iter()
        .all(|b| b.contrast >= r.color.min_contrast);
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
        blocks: block_metas,
        lines,
        effects: effects.join("; "),
        text_resamples,
        blocks_dropped,
        contrast_left_out,
        contrast_met,
        notes: notes.join("; "),
        charseg_table: None,
        template: page_template.map_or_else(String::new, |t| t.name.clone()),
        scene_phrase_en: scene_phrase_en(&r.caption, template, &facts),
        plain_caption: plain,
        caption_en: english,
        captions,
    };
    lap(&mut clock, &mut times.sampling);
    let plan = Plan {
        width: cw,
        height: ch,
        background: background_plan,
        planes,
        layers,
        camera: cam.map(|(h, _)| h),
        effects: pixel_effects,
        meta,
        blocks,
    };
    Ok(plan)
}

/// Centres of (a subsample of, at most ~1,500) the inked layer pixels: where the background
/// decides legibility. Independent of placement, so computed once per block.
/// What the caption's descriptive slots say: the background (kind, overall colour, a bundled
/// asset's subject) and the first line's colour, type style and place.
fn picture_facts(
    background: &BackgroundInfo,
    thumb: &Thumbnail,
    lines: &[LineMeta],
    carrier: Option<&CarrierMeta>,
) -> Facts {
    use crate::describe::{background_phrase, color_name, mean_color, style_name};
    // Every held pixel: canvas pixels (4i, 4j), what the tone was always averaged over.
    let tone = mean_color(&thumb.image, 1);
    let first = lines.first();
    Facts {
        background: background_phrase(background.kind, &background.source, tone),
        background_color: color_name(tone),
        text_color: color_name(first.map_or([0, 0, 0], |l| l.color)),
        style: first.and_then(|l| style_name(&l.font.style)),
        position: first.map_or("center", |l| l.position),
        carrier: carrier.and_then(|c| {
            let kind = crate::carrier::kind_from_name(c.kind)?;
            Some(crate::describe::carrier_phrase(kind, c.color))
        }),
    }
}

fn ink_points(layer: &AlphaLayer) -> Vec<Point> {
    let inked = layer.data.iter().filter(|a| **a >= 128).count();
    let stride = (inked / 1500).max(1);
    let mut out = Vec::with_capacity(inked / stride + 1);
    let mut seen = 0usize;
    let w = layer.width as usize;
    if w == 0 {
        return out;
    }
    // Blocks of 32 pixels are counted at once (a loop the compiler vectorises); only a block
    // holding the next pick (the next multiple of `stride`) is walked pixel by pixel.
    const BLOCK: usize = 32;
    for (y, row) in layer.data.chunks_exact(w).enumerate() {
        for (b, block) in row.chunks(BLOCK).enumerate() {
            let n = block.iter().filter(|a| **a >= 128).count();
            let next_pick = (seen / stride + 1) * stride;
            if seen + n < next_pick {
                seen += n;
                continue;
            }
            for (i, &a) in block.iter().enumerate() {
                if a < 128 {
                    continue;
                }
                seen += 1;
                if seen.is_multiple_of(stride) {
                    let x = (b * BLOCK + i) as f64;
                    out.push(Point::new(x + 0.5, y as f64 + 0.5));
                }
            }
        }
    }
    out
}

/// The mean background colour over a 5×5 grid of a `w × h` layer placed by `to_canvas`.
fn mean_color_under(canvas: &Backdrop, to_canvas: &Homography, w: f64, h: f64) -> [u8; 3] {
    let mut sum = [0u32; 3];
    let mut n = 0;
    for j in 0..5 {
        for i in 0..5 {
            let p = to_canvas.apply(Point::new(
                w * (f64::from(i) + 0.5) / 5.0,
                h * (f64::from(j) + 0.5) / 5.0,
            ));
            if let Some(px) = canvas.at(p) {
                for c in 0..3 {
                    sum[c] += u32::from(px[c]);
                }
                n += 1;
            }
        }
    }
    if n == 0 {
        return [128, 128, 128];
    }
    sum.map(|v| (v / n) as u8)
}

/// Luminances of the background under `points` (layer coordinates) placed by `to_canvas`.
fn luminances_under(points: &[Point], to_canvas: &Homography, canvas: &Backdrop) -> Vec<f64> {
    points
        .iter()
        .filter_map(|p| canvas.at(to_canvas.apply(*p)))
        .map(luminance)
        .collect()
}

/// The background as the planner reads it: a [`Thumbnail`] of a `width × height` canvas.
/// Reading a sixteenth of the pixels is enough to place and colour text, and leaves painting
/// the background whole to the painter (on the GPU, off the CPU altogether).
#[derive(Clone)]
pub(crate) struct Backdrop {
    pub thumb: Thumbnail,
    pub width: u32,
    pub height: u32,
}

impl Backdrop {
    /// The whole canvas held (step 1): reads as the canvas itself.
    fn whole(image: RgbImage) -> Backdrop {
        let (width, height) = image.dimensions();
        Backdrop {
            thumb: Thumbnail { image, step: 1 },
            width,
            height,
        }
    }

    /// What stands for canvas pixel `floor(p)`: its nearest held pixel. `None` off the canvas.
    fn at(&self, p: Point) -> Option<[u8; 3]> {
        let inside =
            p.x >= 0.0 && p.y >= 0.0 && p.x < f64::from(self.width) && p.y < f64::from(self.height);
        inside.then(|| {
            let t = &self.thumb;
            let i = nearest_held(p.x as u32, t.step, t.image.width());
            let j = nearest_held(p.y as u32, t.step, t.image.height());
            t.image.get_pixel(i, j).0
        })
    }
}

/// Index of the held pixel (held every `step` pixels, `held` of them) nearest pixel `k`; a
/// tie goes to the later one.
fn nearest_held(k: u32, step: u32, held: u32) -> u32 {
    ((k + step / 2) / step).min(held - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ink_points_are_every_stride_th_inked_pixel() {
        let mut rng = Rng::new(4);
        for (w, h, density) in [
            (1, 1, 1.0),
            (5, 7, 0.5),
            (97, 61, 0.3),
            (300, 200, 0.6),
            (33, 900, 0.9),
        ] {
            let data = (0..w * h)
                .map(|_| {
                    if rng.chance(density) {
                        200
                    } else {
                        rng.below(128) as u8
                    }
                })
                .collect();
            let layer = AlphaLayer {
                width: w,
                height: h,
                data,
            };
            // The plain scan: every pixel in order.
            let inked: Vec<Point> = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| layer.get(x, y) >= 128)
                .map(|(x, y)| Point::new(f64::from(x) + 0.5, f64::from(y) + 0.5))
                .collect();
            let stride = (inked.len() / 1500).max(1);
            let want: Vec<Point> = inked
                .iter()
                .skip(stride - 1)
                .step_by(stride)
                .copied()
                .collect();
            let got = ink_points(&layer);
            assert_eq!(got.len(), want.len(), "{w}×{h}");
            assert!(
                got.iter().zip(&want).all(|(a, b)| a.x == b.x && a.y == b.y),
                "{w}×{h}"
            );
        }
    }

    #[test]
    fn a_canvas_pixel_reads_its_nearest_held_pixel() {
        // Held every 4 pixels, 3 of them (a 9-pixel-wide canvas: pixels 0, 4, 8).
        let got: Vec<u32> = (0..9).map(|k| nearest_held(k, 4, 3)).collect();
        assert_eq!(got, [0, 0, 1, 1, 1, 1, 2, 2, 2]);
        // The last pixels of a canvas not a multiple of the step wide go to the last held one.
        assert_eq!(nearest_held(10, 4, 3), 2);
        // Every pixel held: itself.
        assert!((0..9).all(|k| nearest_held(k, 1, 9) == k));
        let backdrop = Backdrop {
            thumb: Thumbnail {
                image: RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8, y as u8, 0])),
                step: 4,
            },
            width: 9,
            height: 5,
        };
        assert_eq!(backdrop.at(Point::new(5.9, 1.99)), Some([1, 0, 0]));
        assert_eq!(backdrop.at(Point::new(8.5, 4.5)), Some([2, 1, 0]));
        assert_eq!(backdrop.at(Point::new(9.0, 0.0)), None);
        assert_eq!(backdrop.at(Point::new(-0.1, 0.0)), None);
    }
}
