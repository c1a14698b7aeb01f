//! Recipes: every knob of a generation run, in YAML, validated on load.
//!
//! Parsing goes through serde-saphyr so that an unknown key, a wrong type or a bad value is
//! reported with file, line, column and a snippet. Value checks (ranges with min > max,
//! probabilities outside 0–1, absurd canvas sizes) run inside `Deserialize` so they get the same
//! location. `--set path=value` overrides are applied to the parsed recipe and re-validated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::tiers::Tier;

/// The bundled default recipe, with comments; `recipe init` prints it verbatim.
pub const DEFAULT_RECIPE_YAML: &str = include_str!("../recipes/default.yaml");

// ---------------------------------------------------------------------------------------------
// Value types with validation
// ---------------------------------------------------------------------------------------------

/// A closed interval `[min, max]` drawn uniformly; written `[min, max]` or a single number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(into = "[T; 2]")]
#[serde(bound(serialize = "T: Serialize + Copy"))]
pub struct Range<T: Copy> {
    pub min: T,
    pub max: T,
}

/// Reads `[min, max]` or one number by hand (not an untagged enum), so that a wrong value is
/// reported as "expected a range …" instead of naming an internal type.
impl<'de, T> Deserialize<'de> for Range<T>
where
    T: Deserialize<'de> + Copy + PartialOrd + std::fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IntoDeserializer, SeqAccess, Visitor};
        struct RangeVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Copy> RangeVisitor<T> {
            fn one<E: Error>(d: impl serde::Deserializer<'de, Error = E>) -> Result<Range<T>, E> {
                let v = T::deserialize(d)?;
                Ok(Range { min: v, max: v })
            }
        }
        impl<'de, T: Deserialize<'de> + Copy> Visitor<'de> for RangeVisitor<T> {
            type Value = Range<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a range: [min, max] or one number, e.g. [40, 60]")
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<Range<T>, E> {
                Self::one(v.into_deserializer())
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<Range<T>, E> {
                Self::one(v.into_deserializer())
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<Range<T>, E> {
                Self::one(v.into_deserializer())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Range<T>, A::Error> {
                let mut items: Vec<T> = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                match items[..] {
                    [min, max] => Ok(Range { min, max }),
                    _ => Err(A::Error::custom(format!(
                        "a range is [min, max] or one number, got a list of {}",
                        items.len()
                    ))),
                }
            }
        }
        let r = d.deserialize_any(RangeVisitor(std::marker::PhantomData))?;
        if r.min > r.max {
            return Err(D::Error::custom(format!(
                "range min {} is greater than max {}",
                r.min, r.max
            )));
        }
        Ok(r)
    }
}

impl<T: Copy> From<Range<T>> for [T; 2] {
    fn from(r: Range<T>) -> [T; 2] {
        [r.min, r.max]
    }
}

impl<T: Copy> Range<T> {
    pub const fn new(min: T, max: T) -> Self {
        Range { min, max }
    }
}

/// A probability in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Prob(pub f64);

impl TryFrom<f64> for Prob {
    type Error = String;
    fn try_from(p: f64) -> Result<Self, String> {
        if (0.0..=1.0).contains(&p) {
            Ok(Prob(p))
        } else {
            Err(format!("probability must be between 0 and 1, got {p}"))
        }
    }
}

impl From<Prob> for f64 {
    fn from(p: Prob) -> f64 {
        p.0
    }
}

/// Weighted choice among named options: `{horizontal: 3, vertical: 1}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<K, f64>", into = "BTreeMap<K, f64>")]
pub struct Weights<K: Ord + Clone>(pub BTreeMap<K, f64>);

impl<K: Ord + Clone> TryFrom<BTreeMap<K, f64>> for Weights<K> {
    type Error = String;
    fn try_from(map: BTreeMap<K, f64>) -> Result<Self, String> {
        if map.values().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err("weights must be finite and ≥ 0".into());
        }
        if !map.is_empty() && !map.values().any(|w| *w > 0.0) {
            return Err("at least one weight must be > 0".into());
        }
        Ok(Weights(map))
    }
}

impl<K: Ord + Clone> From<Weights<K>> for BTreeMap<K, f64> {
    fn from(w: Weights<K>) -> Self {
        w.0
    }
}

impl<K: Ord + Clone> Weights<K> {
    pub fn from_pairs(pairs: &[(K, f64)]) -> Self {
        Weights(pairs.iter().cloned().collect())
    }

    /// Options with positive weight, in a fixed (sorted) order, and their weights.
    pub fn options(&self) -> (Vec<K>, Vec<f64>) {
        self.0
            .iter()
            .filter(|(_, w)| **w > 0.0)
            .map(|(k, w)| (k.clone(), *w))
            .unzip()
    }
}

/// Canvas side in pixels, 16 to 8192.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Side(pub u32);

impl TryFrom<u32> for Side {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, String> {
        if (16..=8192).contains(&v) {
            Ok(Side(v))
        } else {
            Err(format!("canvas side must be 16 to 8192 pixels, got {v}"))
        }
    }
}

impl From<Side> for u32 {
    fn from(s: Side) -> u32 {
        s.0
    }
}

/// An sRGB colour written `"#rrggbb"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rgb8(pub [u8; 3]);

impl TryFrom<String> for Rgb8 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let hex = s.strip_prefix('#').unwrap_or(&s);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("colour must be \"#rrggbb\", got {s:?}"));
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked hex digits");
        Ok(Rgb8([byte(0), byte(2), byte(4)]))
    }
}

impl From<Rgb8> for String {
    fn from(c: Rgb8) -> String {
        format!("#{:02x}{:02x}{:02x}", c.0[0], c.0[1], c.0[2])
    }
}

/// A canvas size written `"WIDTHxHEIGHT"` (an aspect bucket, e.g. `1152x896`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bucket {
    pub width: u32,
    pub height: u32,
}

impl TryFrom<String> for Bucket {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let parsed = s.split_once('x').and_then(|(w, h)| {
            Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?))
        });
        match parsed {
            Some((w, h)) if (16..=8192).contains(&w) && (16..=8192).contains(&h) => Ok(Bucket {
                width: w,
                height: h,
            }),
            Some(_) => Err(format!("bucket {s:?}: sides must be 16 to 8192 pixels")),
            None => Err(format!(
                "bucket {s:?}: expected WIDTHxHEIGHT, e.g. 1152x896"
            )),
        }
    }
}

impl From<Bucket> for String {
    fn from(b: Bucket) -> String {
        format!("{}x{}", b.width, b.height)
    }
}

// ---------------------------------------------------------------------------------------------
// The recipe
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Recipe {
    /// Base seed: sample *i* is a pure function of (recipe, seed, i).
    pub seed: u64,
    /// Number of samples of a `generate` run.
    pub count: u64,
    pub canvas: Canvas,
    pub corpus: CorpusConfig,
    pub fonts: FontsConfig,
    pub text: TextConfig,
    pub layout: LayoutConfig,
    pub placement: PlacementConfig,
    pub color: ColorConfig,
    pub style: StyleConfig,
    /// Text on things: blocks printed on cards, boards, banners and signs in the picture.
    /// Absent = none (and existing recipes keep their hash and output).
    #[serde(default, skip_serializing_if = "CarrierConfig::is_default")]
    pub carrier: CarrierConfig,
    /// Designed page templates by weight: bundled names (`slide`, `menu`, …) or `.yaml` files
    /// (relative to the recipe). Each sample is one template's page with its regions filled.
    /// Empty = free layout.
    #[serde(default = "no_templates", skip_serializing_if = "no_weights")]
    pub templates: Weights<String>,
    pub backgrounds: BackgroundsConfig,
    pub warp: WarpConfig,
    pub effects: EffectsConfig,
    pub caption: CaptionConfig,
    pub output: OutputConfig,
    /// The folder that relative input paths (`corpus.source`, `corpus.charset`,
    /// `corpus.exclude`, `fonts.dirs`,
    /// `backgrounds.dirs`) are read from: the recipe file's folder, so a recipe and its word
    /// list can travel together; empty (the current folder) for the bundled recipe. Not part of
    /// the recipe's hash: the same recipe run from another folder is the same recipe.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    pub width: Side,
    pub height: Side,
    /// Aspect buckets drawn per sample by weight; when empty every sample is `width × height`.
    #[serde(default = "no_buckets")]
    pub buckets: Weights<Bucket>,
}

fn no_buckets() -> Weights<Bucket> {
    Weights(BTreeMap::new())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplingMode {
    /// Probability ∝ frequency^temperature.
    Frequency,
    /// Every word equally likely.
    Uniform,
    /// Pick a character uniformly, then a word containing it: rare characters get coverage.
    Balanced,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorpusConfig {
    /// `bundled` (the shipped top-50k list) or a path to a `word<TAB>freq` file.
    pub source: String,
    /// Keep only the N most frequent words (0 = all).
    pub top: usize,
    pub sampling: SamplingMode,
    /// Exponent on frequency for `frequency` sampling: 1 = true frequency, 0 = uniform.
    pub temperature: f64,
    pub lines: Range<u32>,
    pub words_per_line: Range<u32>,
    /// Lines longer than this (in characters) are cut back to whole words.
    pub max_chars_per_line: u32,
    /// Probability that a line gets a number (digits) mixed in.
    pub digits: Prob,
    /// Probability that a line gets a Latin word mixed in.
    pub latin: Prob,
    /// A charset file (characters, e.g. one per line like PP-OCR's key list): only words made
    /// of these characters are drawn, and mixed-in digits/Latin words must fit it too. Empty =
    /// no restriction.
    pub charset: String,
    /// A word filter: `default` (the bundled `corpora/exclude-default.txt`), a file of
    /// characters and words (one per line) — corpus words that contain any of them are not
    /// drawn — or empty (off).
    pub exclude: String,
    /// Guaranteed coverage: every corpus character at least `min_count` times within the first
    /// `within` samples (0 = off).
    pub quota: QuotaConfig,
    /// Also draw from `corpora/tail-words.tsv`: the words (and, where no word has one, single
    /// characters) that carry the standard characters the top-50k list lacks, so that all
    /// 8,105 characters of the 2013 list occur. Bundled source only; on by itself when
    /// `quota.tiers` is set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub tail: bool,
    /// Sampling weight per level of the 2013 list (`level_1`, `level_2`, `level_3`, `other`):
    /// a word weighs as its rarest character's level (times its frequency weight); `balanced`
    /// sampling picks characters by their level's weight. Empty = no weighting.
    #[serde(default = "no_tier_weights", skip_serializing_if = "no_weights")]
    pub tier_weights: Weights<Tier>,
    /// Real text instead of word lines: paragraphs (or their sentences) from the bundled
    /// classical corpus or a user file, broken into lines by Chinese typesetting rules. Absent
    /// = word lines (and the default recipe's hash and output stay as they were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextSourceConfig>,
}

/// The keyword of `corpus.text.source` for the bundled paragraphs
/// (`corpora/classical-paragraphs.txt`).
pub const BUNDLED_CLASSICAL: &str = "bundled-classical";

/// `corpus.text`: where real text comes from and how it is cut and set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextSourceConfig {
    /// `bundled-classical` (public-domain classical prose and verse,
    /// `corpora/classical-paragraphs.txt`) or a UTF-8 text file, one paragraph per line.
    pub source: String,
    /// What one block draws: a whole paragraph, or one sentence of it.
    pub unit: TextUnit,
    /// Line width in columns (a hanzi or CJK mark is one column, an ASCII character half a
    /// column in horizontal text), drawn per block and capped by what fits the canvas at
    /// `text.min_size`.
    pub width: LineWidth,
}

impl Default for TextSourceConfig {
    fn default() -> Self {
        TextSourceConfig {
            source: BUNDLED_CLASSICAL.into(),
            unit: TextUnit::Paragraph,
            width: LineWidth(Range::new(8, 20)),
        }
    }
}

/// What a block of real text draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextUnit {
    /// A whole paragraph (a line of the source), shortened at a sentence end when it needs
    /// more than `corpus.lines`' maximum.
    Paragraph,
    /// One sentence: a paragraph cut after every 。！？ (with the closing quotes after it).
    Sentence,
}

/// A line width in columns, `[min, max]` within 2 to 64.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Range<u32>", into = "Range<u32>")]
pub struct LineWidth(pub Range<u32>);

impl TryFrom<Range<u32>> for LineWidth {
    type Error = String;
    fn try_from(r: Range<u32>) -> Result<Self, String> {
        if r.min >= 2 && r.max <= 64 {
            Ok(LineWidth(r))
        } else {
            Err(format!(
                "a line width must lie within [2, 64] columns, got [{}, {}]",
                r.min, r.max
            ))
        }
    }
}

impl From<LineWidth> for Range<u32> {
    fn from(w: LineWidth) -> Range<u32> {
        w.0
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn no_tier_weights() -> Weights<Tier> {
    Weights(BTreeMap::new())
}

fn no_templates() -> Weights<String> {
    Weights(BTreeMap::new())
}

fn no_weights<K: Ord + Clone>(w: &Weights<K>) -> bool {
    w.0.is_empty()
}

/// Which bundled faces `fonts.bundled` loads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BundledSet {
    /// The four faces of the first release (sans, serif, kai, display): the default recipe's.
    #[default]
    Default,
    /// Every bundled face (`hanzi-synth fonts --all-bundled` lists them).
    All,
}

impl BundledSet {
    fn is_default(&self) -> bool {
        *self == BundledSet::Default
    }
}

/// A type style, for `fonts.styles` weights: the bundled faces' styles, and `system` / `user`
/// for faces from `fonts.system` / `fonts.dirs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FontStyle {
    Sans,
    Serif,
    Kai,
    Display,
    Rounded,
    Brush,
    Handwriting,
    System,
    User,
}

impl FontStyle {
    pub fn name(self) -> &'static str {
        match self {
            FontStyle::Sans => "sans",
            FontStyle::Serif => "serif",
            FontStyle::Kai => "kai",
            FontStyle::Display => "display",
            FontStyle::Rounded => "rounded",
            FontStyle::Brush => "brush",
            FontStyle::Handwriting => "handwriting",
            FontStyle::System => "system",
            FontStyle::User => "user",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotaConfig {
    /// Appearances of every corpus character (0 = no quota).
    pub min_count: u32,
    /// Within this many first samples (0 = the run's count).
    pub within: u64,
    /// Per level of the 2013 list (`level_1`, `level_2`, `level_3`): every character of the
    /// level at least this many times (more than `min_count` raises it for those characters).
    /// Mixes in `corpora/tail-words.tsv` for the bundled source.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiers: BTreeMap<Tier, u32>,
}

impl QuotaConfig {
    /// Whether a quota plan is needed at all.
    pub fn is_on(&self) -> bool {
        self.min_count > 0 || self.tiers.values().any(|n| *n > 0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FontsConfig {
    /// Use the bundled CJK faces in `fonts/` (which ones: `bundled_set`).
    pub bundled: bool,
    /// Also use the system's fonts (fontconfig folders) that cover CJK text.
    pub system: bool,
    /// Extra font folders (searched recursively; `.ttf`, `.otf`, `.ttc`, `.otc`).
    pub dirs: Vec<PathBuf>,
    /// A face must cover at least this share of the corpus characters to be used at all.
    pub min_coverage: Prob,
    /// `default` (the four faces of the first release) or `all` (every bundled face).
    #[serde(default, skip_serializing_if = "BundledSet::is_default")]
    pub bundled_set: BundledSet,
    /// Weight per type style (`sans`, `serif`, `kai`, `display`, `rounded`, `brush`,
    /// `handwriting`, `system`, `user`): a block's face is drawn by its style's weight, shared
    /// by the faces of that style; styles left out (or 0) are not used. Empty = every face
    /// equally likely.
    #[serde(default = "no_font_styles", skip_serializing_if = "no_weights")]
    pub styles: Weights<FontStyle>,
    /// Synthetic type styles over any face: faux bold, oblique and width.
    #[serde(default, skip_serializing_if = "SyntheticStyles::is_default")]
    pub synthetic: SyntheticStyles,
}

/// Synthetic type styles, each drawn per block with its probability: what sign makers and
/// word processors do when a family lacks the weight or the italic, so a model meets
/// emboldened, slanted and condensed Chinese too. Recorded per line as `font.synthetic`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticStyles {
    /// Emboldening: ink grown all round by this many em (an outline in the text's colour).
    pub bold: Effect,
    /// Oblique: slant in degrees, positive leaning right.
    pub oblique: Effect,
    /// Width: horizontal scale of the glyphs and their advances (condensed < 1 < expanded).
    pub width: Effect,
}

impl Default for SyntheticStyles {
    fn default() -> Self {
        SyntheticStyles {
            bold: Effect::new(0.0, 0.02, 0.04),
            oblique: Effect::new(0.0, 8.0, 14.0),
            width: Effect::new(0.0, 0.8, 1.2),
        }
    }
}

impl SyntheticStyles {
    fn is_default(&self) -> bool {
        *self == SyntheticStyles::default()
    }
}

fn no_font_styles() -> Weights<FontStyle> {
    Weights(BTreeMap::new())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Horizontal,
    Vertical,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextConfig {
    pub direction: Weights<Direction>,
    /// Font size in pixels per em.
    pub size: Range<f64>,
    /// Legibility floor: no labelled character is smaller than this many pixels per em in the
    /// image, after every scaling, warp and camera zoom (measured in the thinnest direction). A
    /// block that would be smaller is enlarged or drawn anew, or left out; never labelled.
    pub min_size: f64,
    /// Extra space between characters, in em.
    pub letter_spacing: Range<f64>,
    /// Distance between line (or column) centres, in em.
    pub line_spacing: Range<f64>,
    /// Free border around the text, as a fraction of the canvas's shorter side.
    pub margin: f64,
}

/// Alignment of the lines of a multi-line block along the reading direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    Start,
    Center,
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveShape {
    /// Lines follow concentric circular arcs.
    Arc,
    /// Lines follow a sine wave.
    Wave,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LayoutConfig {
    /// Text blocks per scene; blocks never overlap.
    pub blocks: Range<u32>,
    /// Smallest free gap between two blocks, as a fraction of the canvas's shorter side.
    pub block_gap: f64,
    /// Size of each further block relative to the first (blocks after the first are often smaller).
    pub secondary_scale: Range<f64>,
    pub align: Weights<Align>,
    /// Probability that a block of several lines starts with a larger title line.
    pub title: Prob,
    /// Title size relative to the body lines.
    pub title_scale: Range<f64>,
    /// Probability that the lines of a horizontal block follow a curve.
    pub curve: Prob,
    pub curve_shapes: Weights<CurveShape>,
    /// Arc bend: sagitta over line length (sign picks up or down); 0.5 is a half circle.
    pub arc_bend: Range<f64>,
    /// Wave amplitude in em and wavelength in em.
    pub wave_amplitude: Range<f64>,
    pub wave_length: Range<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlacementConfig {
    /// Candidate positions tried per block.
    pub tries: u32,
    /// Prefer low-texture regions (0 = ignore texture; 1 = pick the calmest spot that meets
    /// the contrast target).
    pub prefer_smooth: Prob,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColorConfig {
    /// WCAG contrast ratio (1–21) the text colour must reach against the background under it.
    pub min_contrast: f64,
    /// Random colours tried before falling back to black or white.
    pub attempts: u32,
    /// Preferred text colours, tried (in random order) before random ones.
    pub palette: Vec<Rgb8>,
    /// Keep blocks whose colour cannot reach `min_contrast` as they are (marked
    /// `contrast_met: false`), for hard cases. Off: such a block gets an outline, else a plate,
    /// else is left out, so every shipped line meets the target.
    pub keep_low_contrast: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillKind {
    Solid,
    /// A linear gradient between two colours that both meet the contrast target.
    Gradient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlendMode {
    /// Ordinary "over" compositing.
    Normal,
    /// Ink multiplies the background, like print on paper (light backgrounds only).
    Multiply,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StyleConfig {
    pub fill: Weights<FillKind>,
    /// Text opacity; the contrast check uses the blended colour.
    pub opacity: Range<f64>,
    pub blend: Weights<BlendMode>,
    /// Probability of an outline around the glyphs; width in em.
    pub stroke: Prob,
    pub stroke_width: Range<f64>,
    /// Probability of a drop shadow; offset and blur radius in em, opacity 0–1.
    pub shadow: Prob,
    pub shadow_offset: Range<f64>,
    pub shadow_blur: Range<f64>,
    pub shadow_opacity: Range<f64>,
    /// Probability of a glow (a blurred halo in a contrasting colour); radius in em.
    pub glow: Prob,
    pub glow_radius: Range<f64>,
    /// Probability of a solid plate (a sign board) behind the block; padding in em.
    pub plate: Prob,
    pub plate_padding: Range<f64>,
    /// Plate colours; empty = random.
    pub plate_colors: Vec<Rgb8>,
    /// Probability of weathered ink (worn patches); strength 0–1 is the deepest wear.
    pub weathering: Prob,
    pub weathering_strength: Range<f64>,
}

/// A thing the text is printed on (see [`crate::carrier`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierKind {
    /// A white or cream card with paper grain.
    PaperCard,
    /// A board with wood grain and a darker bevelled edge.
    WoodenBoard,
    /// Corrugated brown cardboard, lettered with markers.
    Cardboard,
    /// A cloth banner (often red with yellow or white letters), with weave, hems and folds.
    FabricBanner,
    /// A dark LED panel: letters made of lit dots with a halo, unlit dots around them.
    LedSign,
    /// A lacquered shop sign with a metal or painted frame.
    ShopSign,
}

/// Carriers: with `probability` a block is printed on a thing — card, board, cardboard,
/// banner, LED panel, shop sign — that stands in the picture with its own texture, edge,
/// drop shadow and shading, lit like the scene, and warped with its text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CarrierConfig {
    /// Probability that a block has a carrier.
    pub probability: Prob,
    pub kinds: Weights<CarrierKind>,
    /// Free border between the text and the carrier's edge, in em.
    pub padding: Range<f64>,
    /// Probability of a drop shadow cast by the carrier (away from the scene's light).
    pub shadow: Prob,
}

impl Default for CarrierConfig {
    fn default() -> Self {
        CarrierConfig {
            probability: Prob(0.0),
            kinds: Weights(CarrierKind::ALL.into_iter().map(|k| (k, 1.0)).collect()),
            padding: Range::new(0.35, 0.9),
            shadow: Prob(0.7),
        }
    }
}

impl CarrierKind {
    /// Every kind, in the recipe's order.
    pub const ALL: [CarrierKind; 6] = [
        CarrierKind::PaperCard,
        CarrierKind::WoodenBoard,
        CarrierKind::Cardboard,
        CarrierKind::FabricBanner,
        CarrierKind::LedSign,
        CarrierKind::ShopSign,
    ];
}

impl CarrierConfig {
    fn is_default(&self) -> bool {
        *self == CarrierConfig::default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackgroundKind {
    /// A photo: the bundled ones (few; real runs add their own with `backgrounds.dirs`).
    Photo,
    /// A bundled scanned texture (papers, canvas, cork, brick, grass, gravel): a surface to
    /// print on, never passed off as a photo.
    Texture,
    Solid,
    LinearGradient,
    RadialGradient,
    Noise,
    /// Procedural paper.
    Paper,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackgroundsConfig {
    pub kinds: Weights<BackgroundKind>,
    /// Use the bundled photos and textures in `backgrounds/`.
    pub bundled: bool,
    /// Extra photo folders (searched recursively; JPEG and PNG): drawn by the `photo` kind.
    pub dirs: Vec<PathBuf>,
    /// Photo zoom on top of the scale that covers the canvas (1 = just covers).
    pub zoom: Range<f64>,
    /// Base colours of the procedural kinds; empty = random.
    pub colors: Vec<Rgb8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WarpConfig {
    /// Probability that a text block gets a perspective warp.
    pub probability: Prob,
    /// Corner displacement as a fraction of the block's size.
    pub strength: Range<f64>,
    /// In-plane rotation in degrees, applied to every block.
    pub rotation: Range<f64>,
}

/// A whole-image effect: its probability and its parameter range.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    pub probability: Prob,
    pub range: Range<f64>,
}

impl Effect {
    pub const fn new(probability: f64, min: f64, max: f64) -> Effect {
        Effect {
            probability: Prob(probability),
            range: Range::new(min, max),
        }
    }
}

/// Whole-image effects after compositing, in this order. Only `camera` moves pixels; the labels
/// move with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EffectsConfig {
    /// Camera framing: zoom factor ≥ 1 about a random point with a small rotation (`camera_rotation`).
    pub camera: Effect,
    pub camera_rotation: Range<f64>,
    /// Colour jitter: brightness shift (fraction of full scale); contrast and saturation use
    /// `1 ± range.max`.
    pub color_jitter: Effect,
    /// Vignette: darkening at the corners (0–1).
    pub vignette: Effect,
    /// Gaussian blur: sigma in pixels.
    pub gaussian_blur: Effect,
    /// Motion blur: length in pixels, random direction.
    pub motion_blur: Effect,
    /// Sensor noise: standard deviation in 8-bit levels.
    pub noise: Effect,
    /// JPEG re-compression: quality.
    pub jpeg: Effect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Zh,
    En,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptionConfig {
    pub languages: Weights<Language>,
    /// Chinese templates; `{text}` is replaced by the rendered text, the other slots
    /// (`caption::SLOTS`: `{background}`, `{background_color}`, `{text_color}`, `{style}`,
    /// `{position}`) by words for what the picture shows.
    pub zh: Vec<String>,
    /// English templates, with the same slots.
    pub en: Vec<String>,
    /// Stands for the text in `plain_caption` (the caption without its text).
    pub placeholder: String,
    /// Joins the lines of a block when quoted in a caption.
    pub line_joiner: String,
    /// Also write `captions`: several captions per sample for caption dropout (see README).
    pub variants: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    Webdataset,
    Imagefolder,
    /// LMDB environments (`NNNNNN.lmdb/data.mdb`) in the layout OCR recognition trainers read:
    /// `image-%09d`, `label-%09d` (the `.txt` text), `meta-%09d` (the JSON), `num-samples`.
    Lmdb,
}

/// What a sample becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputMode {
    /// The whole scene with a caption.
    Scenes,
    /// Every text line cut out, rectified to a fixed height, with its transcription (OCR
    /// recognition data).
    LineCrops,
    /// One text line per record, drawn straight into a crop of `crop_height` with its own
    /// background patch, looks, mild warp and effects: OCR recognition data at a fraction of
    /// the cost of `line_crops`, without a scene's context.
    NativeCrops,
}

impl OutputMode {
    /// Whether records are line crops (of either kind) rather than scenes.
    pub fn is_crops(self) -> bool {
        self != OutputMode::Scenes
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Jpg,
    Png,
}

impl ImageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpg => "jpg",
            ImageFormat::Png => "png",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    pub mode: OutputMode,
    /// Line crops: height in pixels (width for vertical columns, which stay upright).
    pub crop_height: u32,
    /// Line crops: free border around the line, as a fraction of its height.
    pub crop_padding: f64,
    pub format: OutputFormat,
    pub image_format: ImageFormat,
    pub jpeg_quality: u8,
    /// Samples per tar shard (webdataset) or per folder chunk (imagefolder).
    pub samples_per_shard: u32,
    /// Condition rasters written next to each scene image.
    pub conditions: ConditionsConfig,
    /// Annotation files for other trainers, written into every imagefolder chunk.
    pub labels: Vec<LabelSchema>,
    /// Absolute folder the trainers will read this output from, for label files that need
    /// absolute paths (AnyText's `data_root`). Empty: this run's output folder, made absolute —
    /// then those files (and so their chunks' checksums) depend on where the run wrote.
    #[serde(default)]
    pub labels_root: String,
}

/// Annotation formats of other trainers (see `schemas.rs` and the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelSchema {
    /// AnyText (AnyWord-3M): `anytext.json`.
    Anytext,
    /// TextDiffuser-2: its MARIO-10M folders (`KEY/image.jpg`, `caption.txt`, `ocr.txt`) and an
    /// index file per chunk; 512×512 JPEG scenes only.
    Textdiffuser2,
    /// GlyphControl: its TextCaps caption and OCR files and JPEG glyph hints (needs
    /// `conditions.glyph`).
    Glyphcontrol,
    /// Glyph-ByT5: `glyph_byt5.json` (its pretraining meta format) and its font index.
    #[serde(alias = "glyph-byt5")]
    GlyphByt5,
    /// PaddleOCR detection: `det_gt.txt`.
    #[serde(alias = "paddleocr-det")]
    PaddleocrDet,
    /// PaddleOCR recognition (line crops): `rec_gt.txt`.
    #[serde(alias = "paddleocr-rec")]
    PaddleocrRec,
    /// TextAtlas5M's released rows (`image_path`, `annotation`, `raw_text`), with the
    /// detailed fields it announced: `textatlas.jsonl`.
    Textatlas,
}

/// Condition rasters for diffusion trainers, each a PNG of the image's size stored as an extra
/// member of the sample (`KEY.glyph.png`: WebDataset groups members by the name up to the first
/// dot, so they stay with `KEY.jpg`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConditionsConfig {
    /// `KEY.glyph.png`: the text alone, black on white, where it is in the image.
    pub glyph: bool,
    /// `KEY.mask.png`: every line's polygon filled white on black.
    pub mask: bool,
    /// `KEY.charseg.png`: per pixel of ink, the 1-based index of its character in the
    /// metadata's `charseg_table` (0 = no text); 8-bit, or 16-bit past 255 characters.
    pub charseg: bool,
}

impl ConditionsConfig {
    pub fn any(&self) -> bool {
        self.glyph || self.mask || self.charseg
    }
}

// ---------------------------------------------------------------------------------------------
// Defaults (kept equal to recipes/default.yaml by a test)
// ---------------------------------------------------------------------------------------------

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            seed: 0,
            count: 1000,
            canvas: Canvas {
                width: Side(512),
                height: Side(512),
                buckets: no_buckets(),
            },
            corpus: CorpusConfig::default(),
            fonts: FontsConfig::default(),
            text: TextConfig::default(),
            layout: LayoutConfig::default(),
            placement: PlacementConfig::default(),
            color: ColorConfig::default(),
            style: StyleConfig::default(),
            carrier: CarrierConfig::default(),
            templates: no_templates(),
            backgrounds: BackgroundsConfig::default(),
            warp: WarpConfig::default(),
            effects: EffectsConfig::default(),
            caption: CaptionConfig::default(),
            output: OutputConfig::default(),
            base_dir: PathBuf::new(),
        }
    }
}

impl Default for CorpusConfig {
    fn default() -> Self {
        CorpusConfig {
            source: "bundled".into(),
            top: 50_000,
            sampling: SamplingMode::Frequency,
            temperature: 0.5,
            lines: Range::new(1, 2),
            words_per_line: Range::new(1, 3),
            max_chars_per_line: 10,
            digits: Prob(0.05),
            latin: Prob(0.03),
            charset: String::new(),
            exclude: "default".into(),
            quota: QuotaConfig::default(),
            tail: false,
            tier_weights: no_tier_weights(),
            text: None,
        }
    }
}

impl Default for FontsConfig {
    fn default() -> Self {
        FontsConfig {
            bundled: true,
            system: false,
            dirs: Vec::new(),
            min_coverage: Prob(0.5),
            bundled_set: BundledSet::Default,
            styles: no_font_styles(),
            synthetic: SyntheticStyles::default(),
        }
    }
}

impl Default for TextConfig {
    fn default() -> Self {
        TextConfig {
            direction: Weights::from_pairs(&[
                (Direction::Horizontal, 3.0),
                (Direction::Vertical, 1.0),
            ]),
            size: Range::new(28.0, 88.0),
            min_size: 16.0,
            letter_spacing: Range::new(0.0, 0.15),
            line_spacing: Range::new(1.2, 1.6),
            margin: 0.04,
        }
    }
}

impl Default for LayoutConfig {
    fn default() -> Self {
        LayoutConfig {
            blocks: Range::new(1, 2),
            block_gap: 0.02,
            secondary_scale: Range::new(0.4, 0.8),
            align: Weights::from_pairs(&[
                (Align::Start, 2.0),
                (Align::Center, 2.0),
                (Align::End, 1.0),
            ]),
            title: Prob(0.3),
            title_scale: Range::new(1.3, 1.8),
            curve: Prob(0.1),
            curve_shapes: Weights::from_pairs(&[(CurveShape::Arc, 2.0), (CurveShape::Wave, 1.0)]),
            arc_bend: Range::new(0.08, 0.3),
            wave_amplitude: Range::new(0.1, 0.3),
            wave_length: Range::new(3.0, 8.0),
        }
    }
}

impl Default for PlacementConfig {
    fn default() -> Self {
        PlacementConfig {
            tries: 8,
            prefer_smooth: Prob(0.8),
        }
    }
}

impl Default for ColorConfig {
    fn default() -> Self {
        ColorConfig {
            min_contrast: 4.5,
            attempts: 12,
            palette: Vec::new(),
            keep_low_contrast: false,
        }
    }
}

impl Default for StyleConfig {
    fn default() -> Self {
        StyleConfig {
            fill: Weights::from_pairs(&[(FillKind::Solid, 4.0), (FillKind::Gradient, 1.0)]),
            opacity: Range::new(1.0, 1.0),
            blend: Weights::from_pairs(&[(BlendMode::Normal, 1.0)]),
            stroke: Prob(0.15),
            stroke_width: Range::new(0.03, 0.08),
            shadow: Prob(0.15),
            shadow_offset: Range::new(0.03, 0.08),
            shadow_blur: Range::new(0.0, 0.06),
            shadow_opacity: Range::new(0.4, 0.8),
            glow: Prob(0.05),
            glow_radius: Range::new(0.06, 0.15),
            plate: Prob(0.05),
            plate_padding: Range::new(0.2, 0.5),
            plate_colors: Vec::new(),
            weathering: Prob(0.05),
            weathering_strength: Range::new(0.2, 0.6),
        }
    }
}

impl Default for EffectsConfig {
    fn default() -> Self {
        EffectsConfig {
            camera: Effect::new(0.1, 1.0, 1.1),
            camera_rotation: Range::new(-2.0, 2.0),
            color_jitter: Effect::new(0.3, 0.0, 0.1),
            vignette: Effect::new(0.1, 0.2, 0.5),
            gaussian_blur: Effect::new(0.1, 0.4, 1.2),
            motion_blur: Effect::new(0.05, 3.0, 7.0),
            noise: Effect::new(0.2, 2.0, 6.0),
            jpeg: Effect::new(0.1, 30.0, 70.0),
        }
    }
}

impl Default for BackgroundsConfig {
    fn default() -> Self {
        BackgroundsConfig {
            kinds: Weights::from_pairs(&[
                (BackgroundKind::Photo, 3.0),
                (BackgroundKind::Texture, 1.0),
                (BackgroundKind::Solid, 1.0),
                (BackgroundKind::LinearGradient, 1.0),
                (BackgroundKind::RadialGradient, 1.0),
                (BackgroundKind::Noise, 1.0),
                (BackgroundKind::Paper, 2.0),
            ]),
            bundled: true,
            dirs: Vec::new(),
            zoom: Range::new(1.0, 1.6),
            colors: Vec::new(),
        }
    }
}

impl Default for WarpConfig {
    fn default() -> Self {
        WarpConfig {
            probability: Prob(0.5),
            strength: Range::new(0.03, 0.15),
            rotation: Range::new(-8.0, 8.0),
        }
    }
}

impl Default for CaptionConfig {
    fn default() -> Self {
        CaptionConfig {
            languages: Weights::from_pairs(&[(Language::Zh, 1.0), (Language::En, 1.0)]),
            zh: [
                "{background}上写着{text_color}的{style}文字“{text}”",
                "在{background}上，{text_color}文字写着“{text}”",
                "{background}，{position}有{text_color}的文字“{text}”",
                "{background}，上面用{text_color}{style}字写着“{text}”",
                "写有“{text}”的{background}",
            ]
            .map(String::from)
            .to_vec(),
            en: [
                "{text_color} {style} text \"{text}\" on {background}",
                "on {background}, {text_color} characters read \"{text}\"",
                "{background} with the words \"{text}\" in {text_color} at the {position}",
                "{background}, with the Chinese text \"{text}\" in {text_color} {style} type",
                "\"{text}\" written in {text_color} {style} characters on {background}",
            ]
            .map(String::from)
            .to_vec(),
            placeholder: "<>".into(),
            line_joiner: " ".into(),
            variants: false,
        }
    }
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            mode: OutputMode::Scenes,
            crop_height: 48,
            crop_padding: 0.15,
            format: OutputFormat::Webdataset,
            image_format: ImageFormat::Jpg,
            jpeg_quality: 90,
            samples_per_shard: 1000,
            conditions: ConditionsConfig::default(),
            labels: Vec::new(),
            labels_root: String::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading, overriding, checking, hashing
// ---------------------------------------------------------------------------------------------

impl Recipe {
    /// Parses YAML text; `origin` names the source in error messages.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Recipe> {
        let recipe: Recipe = serde_saphyr::from_str(text).map_err(|e| {
            // The user-facing wording (no parser option names) and the file's own name in the
            // snippet header.
            let shown = e.render_with_options(serde_saphyr::render_options! {
                formatter: &serde_saphyr::UserMessageFormatter,
                source_name: Some(origin),
            });
            anyhow::anyhow!("{origin}: invalid recipe\n{shown}")
        })?;
        recipe
            .check()
            .with_context(|| format!("{origin}: invalid recipe"))?;
        Ok(recipe)
    }

    pub fn load(path: &Path) -> Result<Recipe> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read recipe {}", path.display()))?;
        let mut recipe = Recipe::from_yaml(&text, &path.display().to_string())?;
        recipe.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(recipe)
    }

    /// The recipe with its relative input paths joined to `base_dir`: what the loaders read.
    /// `bundled` stays a keyword and absolute paths stay as they are.
    pub fn with_resolved_paths(&self) -> Recipe {
        let join = |p: &Path| -> PathBuf {
            if p.is_relative() {
                self.base_dir.join(p)
            } else {
                p.to_path_buf()
            }
        };
        let mut r = self.clone();
        if r.corpus.source != "bundled" {
            r.corpus.source = join(Path::new(&r.corpus.source)).display().to_string();
        }
        if !r.corpus.charset.is_empty() {
            r.corpus.charset = join(Path::new(&r.corpus.charset)).display().to_string();
        }
        if !r.corpus.exclude.is_empty() && r.corpus.exclude != "default" {
            r.corpus.exclude = join(Path::new(&r.corpus.exclude)).display().to_string();
        }
        if let Some(t) = r
            .corpus
            .text
            .as_mut()
            .filter(|t| t.source != BUNDLED_CLASSICAL)
        {
            t.source = join(Path::new(&t.source)).display().to_string();
        }
        r.fonts.dirs = r.fonts.dirs.iter().map(|d| join(d)).collect();
        r.backgrounds.dirs = r.backgrounds.dirs.iter().map(|d| join(d)).collect();
        r.base_dir = PathBuf::new();
        r
    }

    /// Applies `path.to.key=value` overrides; the value is read as YAML (`3`, `[1, 2]`, `png`).
    pub fn with_overrides(&self, sets: &[String]) -> Result<Recipe> {
        if sets.is_empty() {
            return Ok(self.clone());
        }
        let mut tree = self.full_tree()?;
        for set in sets {
            let (path, value) = set
                .split_once('=')
                .with_context(|| format!("--set {set}: expected path.to.key=value"))?;
            let value: serde_json::Value = serde_saphyr::from_str(value)
                .map_err(|e| anyhow::anyhow!("--set {set}: cannot read the value: {e}"))?;
            let mut node = &mut tree;
            let keys: Vec<&str> = path.split('.').collect();
            for (depth, key) in keys.iter().enumerate() {
                let obj = node.as_object_mut().with_context(|| {
                    format!(
                        "--set {set}: `{}` is not a section",
                        keys[..depth].join(".")
                    )
                })?;
                if !obj.contains_key(*key) {
                    let known: Vec<&str> = obj.keys().map(String::as_str).collect();
                    bail!(
                        "--set {set}: unknown key `{key}`; the keys here are: {}",
                        known.join(", ")
                    );
                }
                node = obj.get_mut(*key).expect("checked above");
            }
            *node = value;
        }
        let mut recipe: Recipe = serde_json::from_value(tree)
            .map_err(|e| anyhow::anyhow!("--set {}: {e}", sets.join(" ")))?;
        recipe.base_dir = self.base_dir.clone();
        recipe.anchor_new_paths_to_current_dir(self)?;
        recipe.check().context("after --set overrides")?;
        Ok(recipe)
    }

    /// The recipe as JSON with every key, also those left out of the canonical form (and so
    /// of the hash) while at their defaults, so that `--set` can reach them.
    fn full_tree(&self) -> Result<serde_json::Value> {
        let mut tree = serde_json::to_value(self)?;
        let synthetic = serde_json::to_value(SyntheticStyles::default())?;
        let carrier = serde_json::to_value(CarrierConfig::default())?;
        let optional: [(&[&str], &str, serde_json::Value); 9] = [
            (&["corpus"], "tail", false.into()),
            // Absent: word lines; `--set corpus.text={}` turns real text on.
            (&["corpus"], "text", serde_json::Value::Null),
            (&["corpus"], "tier_weights", serde_json::json!({})),
            (&["corpus", "quota"], "tiers", serde_json::json!({})),
            (&["fonts"], "bundled_set", "default".into()),
            (&["fonts"], "styles", serde_json::json!({})),
            (&["fonts"], "synthetic", synthetic),
            (&[], "carrier", carrier),
            (&[], "templates", serde_json::json!({})),
        ];
        for (section, key, value) in optional {
            let mut node = &mut tree;
            for s in section {
                node = &mut node[*s];
            }
            if let Some(obj) = node.as_object_mut() {
                obj.entry(key.to_string()).or_insert(value);
            }
        }
        Ok(tree)
    }

    /// Input paths that `--set` brought in are relative to the current folder, where the user
    /// typed them, not to the recipe's folder: they are made absolute here.
    fn anchor_new_paths_to_current_dir(&mut self, before: &Recipe) -> Result<()> {
        let absolute = |p: &Path| -> Result<PathBuf> {
            std::path::absolute(p).with_context(|| format!("cannot resolve path {}", p.display()))
        };
        let c = &mut self.corpus;
        if c.source != before.corpus.source && c.source != "bundled" {
            c.source = absolute(Path::new(&c.source))?.display().to_string();
        }
        if c.charset != before.corpus.charset && !c.charset.is_empty() {
            c.charset = absolute(Path::new(&c.charset))?.display().to_string();
        }
        if c.exclude != before.corpus.exclude && !c.exclude.is_empty() && c.exclude != "default" {
            c.exclude = absolute(Path::new(&c.exclude))?.display().to_string();
        }
        let old_text = before.corpus.text.as_ref().map(|t| t.source.as_str());
        if let Some(t) = c.text.as_mut() {
            if Some(t.source.as_str()) != old_text && t.source != BUNDLED_CLASSICAL {
                t.source = absolute(Path::new(&t.source))?.display().to_string();
            }
        }
        for (dirs, old) in [
            (&mut self.fonts.dirs, &before.fonts.dirs),
            (&mut self.backgrounds.dirs, &before.backgrounds.dirs),
        ] {
            for d in dirs.iter_mut() {
                if !old.contains(d) {
                    *d = absolute(d)?;
                }
            }
        }
        Ok(())
    }

    /// What `output.mode: native_crops` cannot do, and whether its crops can hold text at the
    /// legibility floor.
    fn check_native_crops(&self) -> Result<()> {
        if self.corpus.text.is_some() {
            bail!(
                "corpus.text: paragraphs of real text need output.mode: line_crops (native crops \
                 draw one word line each, from corpus.words_per_line)"
            );
        }
        if self.carrier.probability.0 > 0.0 {
            bail!(
                "carrier: native crops draw no carriers (boards, cards, signs belong to a scene); \
                 set carrier.probability: 0, or use output.mode: line_crops"
            );
        }
        if !self.templates.0.is_empty() {
            bail!(
                "templates: designed pages are scenes; native crops draw one line each — drop \
                 templates, or use output.mode: line_crops"
            );
        }
        if self.corpus.quota.is_on() {
            bail!(
                "corpus.quota is not supported with output.mode: native_crops yet; use \
                 output.mode: line_crops, or drop the quota"
            );
        }
        // A line's box is up to about 1.5 em across (Latin ascenders and descenders): that
        // much must fit inside the padding at the floor.
        let o = &self.output;
        let across = f64::from(o.crop_height) / (1.0 + 2.0 * o.crop_padding);
        let em = across / 1.5;
        if em < self.text.min_size {
            bail!(
                "output.crop_height {} with crop_padding {} leaves about {em:.0} px per em for \
                 native crops, below text.min_size {}: raise output.crop_height to at least {}, \
                 lower output.crop_padding, or lower text.min_size to {:.0}",
                o.crop_height,
                o.crop_padding,
                self.text.min_size,
                (self.text.min_size * 1.5 * (1.0 + 2.0 * o.crop_padding)).ceil(),
                em.floor().max(6.0)
            );
        }
        Ok(())
    }

    /// Checks that span several fields (single fields check themselves while parsing).
    pub fn check(&self) -> Result<()> {
        if self.count == 0 {
            bail!("count must be at least 1");
        }
        for schema in &self.output.labels {
            let name = crate::schemas::file_of(*schema);
            if self.output.format != OutputFormat::Imagefolder {
                bail!("output.labels: {name} needs output.format: imagefolder (its trainer reads image files)");
            }
            let crops = *schema == LabelSchema::PaddleocrRec;
            if crops != self.output.mode.is_crops() {
                bail!(
                    "output.labels: {name} needs output.mode: {}",
                    if crops {
                        "line_crops or native_crops"
                    } else {
                        "scenes"
                    }
                );
            }
            if *schema == LabelSchema::Glyphcontrol && !self.output.conditions.glyph {
                bail!("output.labels: glyphcontrol needs output.conditions.glyph: true");
            }
            if *schema == LabelSchema::Glyphcontrol && self.output.image_format != ImageFormat::Jpg
            {
                bail!("output.labels: glyphcontrol needs output.image_format: jpg (its loader opens ID.jpg)");
            }
            if *schema == LabelSchema::Textdiffuser2 {
                let square = self.canvas.buckets.0.is_empty()
                    && self.canvas.width.0 == 512
                    && self.canvas.height.0 == 512;
                if !square || self.output.image_format != ImageFormat::Jpg {
                    bail!(
                        "output.labels: textdiffuser2 needs 512×512 JPEG images (canvas 512×512 \
                         without buckets, output.image_format: jpg): its trainer never resizes \
                         and divides pixel boxes by 4"
                    );
                }
            }
        }
        let root = &self.output.labels_root;
        if !root.is_empty() && !Path::new(root).is_absolute() {
            bail!("output.labels_root must be an absolute folder (trainers resolve it from their own working folder), got {root:?}");
        }
        if self.output.conditions.any() && self.output.format == OutputFormat::Lmdb {
            bail!("output.conditions need output.format webdataset or imagefolder (LMDB records hold one image)");
        }
        if self.output.conditions.any() && self.output.mode != OutputMode::Scenes {
            bail!("output.conditions need output.mode: scenes (line crops have no scene to condition)");
        }
        if self.output.mode == OutputMode::NativeCrops {
            self.check_native_crops()?;
        }
        let c = &self.corpus;
        if c.lines.min == 0 || c.words_per_line.min == 0 {
            bail!("corpus.lines and corpus.words_per_line must be at least 1");
        }
        if c.lines.max > 12 {
            bail!("corpus.lines: at most 12 lines per block");
        }
        if c.quota.min_count > 10_000 {
            bail!("corpus.quota.min_count: at most 10,000 appearances per character");
        }
        for (tier, n) in &c.quota.tiers {
            if *tier == Tier::Other {
                bail!(
                    "corpus.quota.tiers: `other` is not a level of the standard list; use \
                     level_1, level_2 or level_3 (min_count covers every other character)"
                );
            }
            if *n > 10_000 {
                bail!(
                    "corpus.quota.tiers.{}: at most 10,000 appearances per character",
                    tier.name()
                );
            }
        }
        if c.tail && c.source != "bundled" {
            bail!(
                "corpus.tail: the tail list extends the bundled top-50k list, but corpus.source \
                 is {:?}; add the words to your own list instead",
                c.source
            );
        }
        if c.text.is_some() {
            if c.quota.is_on() {
                bail!(
                    "corpus.quota plans words into word lines and cannot be used with \
                     corpus.text, which draws whole paragraphs; remove one of them"
                );
            }
            if c.tail {
                bail!(
                    "corpus.tail extends the bundled word list, which corpus.text replaces; \
                     remove one of them"
                );
            }
            if c.source != "bundled" {
                bail!(
                    "corpus.source names a word list ({:?}), which corpus.text replaces; remove \
                     corpus.source, or corpus.text to draw words",
                    c.source
                );
            }
        }
        if c.max_chars_per_line == 0 || c.max_chars_per_line > 64 {
            bail!("corpus.max_chars_per_line must be 1 to 64");
        }
        if !(c.temperature.is_finite() && (0.0..=4.0).contains(&c.temperature)) {
            bail!("corpus.temperature must be between 0 and 4");
        }
        let t = &self.text;
        if !(t.size.min >= 6.0 && t.size.max <= 2000.0) {
            bail!("text.size must lie within [6, 2000] pixels per em");
        }
        if !(t.min_size >= 6.0 && t.min_size <= t.size.max) {
            bail!(
                "text.min_size must be at least 6 and at most text.size's maximum {} (it is {})",
                t.size.max,
                t.min_size
            );
        }
        if !(t.letter_spacing.min >= -0.3 && t.letter_spacing.max <= 3.0) {
            bail!("text.letter_spacing must lie within [-0.3, 3] em");
        }
        if !(t.line_spacing.min >= 1.0 && t.line_spacing.max <= 5.0) {
            bail!("text.line_spacing must lie within [1, 5] em");
        }
        if !(0.0..0.4).contains(&t.margin) {
            bail!("text.margin must be a fraction in [0, 0.4)");
        }
        let l = &self.layout;
        if l.blocks.min == 0 || l.blocks.max > 16 {
            bail!("layout.blocks must lie within [1, 16]");
        }
        if !(0.0..0.5).contains(&l.block_gap) {
            bail!("layout.block_gap must be a fraction in [0, 0.5)");
        }
        if !(l.secondary_scale.min > 0.05 && l.secondary_scale.max <= 1.0) {
            bail!("layout.secondary_scale must lie within (0.05, 1]");
        }
        if !(l.title_scale.min >= 1.0 && l.title_scale.max <= 4.0) {
            bail!("layout.title_scale must lie within [1, 4]");
        }
        if !(l.arc_bend.min >= -0.5 && l.arc_bend.max <= 0.5) {
            bail!("layout.arc_bend must lie within [-0.5, 0.5]");
        }
        if !(l.wave_amplitude.min >= 0.0 && l.wave_amplitude.max <= 2.0) {
            bail!("layout.wave_amplitude must lie within [0, 2] em");
        }
        if !(l.wave_length.min >= 1.0 && l.wave_length.max <= 100.0) {
            bail!("layout.wave_length must lie within [1, 100] em");
        }
        for (key, w) in [
            ("layout.align", l.align.0.is_empty()),
            ("layout.curve_shapes", l.curve_shapes.0.is_empty()),
            ("style.fill", self.style.fill.0.is_empty()),
            ("style.blend", self.style.blend.0.is_empty()),
            ("text.direction", t.direction.0.is_empty()),
            ("backgrounds.kinds", self.backgrounds.kinds.0.is_empty()),
            ("carrier.kinds", self.carrier.kinds.0.is_empty()),
            ("caption.languages", self.caption.languages.0.is_empty()),
        ] {
            if w {
                bail!("{key}: give at least one option with a weight > 0");
            }
        }
        if self.placement.tries == 0 || self.placement.tries > 256 {
            bail!("placement.tries must be 1 to 256");
        }
        let st = &self.style;
        for (key, r, lo, hi) in [
            ("style.opacity", st.opacity, 0.05, 1.0),
            ("style.stroke_width", st.stroke_width, 0.0, 0.5),
            ("style.shadow_offset", st.shadow_offset, 0.0, 1.0),
            ("style.shadow_blur", st.shadow_blur, 0.0, 1.0),
            ("style.shadow_opacity", st.shadow_opacity, 0.0, 1.0),
            ("style.glow_radius", st.glow_radius, 0.0, 1.0),
            ("style.plate_padding", st.plate_padding, 0.0, 3.0),
            ("carrier.padding", self.carrier.padding, 0.05, 3.0),
            (
                "style.weathering_strength",
                st.weathering_strength,
                0.0,
                1.0,
            ),
            (
                "effects.camera_rotation",
                self.effects.camera_rotation,
                -15.0,
                15.0,
            ),
        ] {
            if !(r.min >= lo && r.max <= hi) {
                bail!("{key} must lie within [{lo}, {hi}]");
            }
        }
        let e = &self.effects;
        for (key, eff, lo, hi) in [
            ("effects.camera", e.camera, 1.0, 2.0),
            ("effects.color_jitter", e.color_jitter, 0.0, 0.5),
            ("effects.vignette", e.vignette, 0.0, 1.0),
            ("effects.gaussian_blur", e.gaussian_blur, 0.0, 20.0),
            ("effects.motion_blur", e.motion_blur, 1.0, 64.0),
            ("effects.noise", e.noise, 0.0, 64.0),
            ("effects.jpeg", e.jpeg, 1.0, 100.0),
            ("fonts.synthetic.bold", self.fonts.synthetic.bold, 0.0, 0.1),
            (
                "fonts.synthetic.oblique",
                self.fonts.synthetic.oblique,
                -30.0,
                30.0,
            ),
            (
                "fonts.synthetic.width",
                self.fonts.synthetic.width,
                0.5,
                2.0,
            ),
        ] {
            if !(eff.range.min >= lo && eff.range.max <= hi) {
                bail!("{key}.range must lie within [{lo}, {hi}]");
            }
        }
        if !(1.0..=21.0).contains(&self.color.min_contrast) {
            bail!("color.min_contrast is a WCAG ratio between 1 and 21");
        }
        let b = &self.backgrounds;
        if !(b.zoom.min >= 1.0 && b.zoom.max <= 8.0) {
            bail!("backgrounds.zoom must lie within [1, 8]");
        }
        let w = &self.warp;
        if !(w.strength.min >= 0.0 && w.strength.max <= 0.4) {
            bail!("warp.strength must lie within [0, 0.4]");
        }
        if !(w.rotation.min >= -90.0 && w.rotation.max <= 90.0) {
            bail!("warp.rotation must lie within [-90, 90] degrees");
        }
        let cap = &self.caption;
        for (lang, list) in [("zh", &cap.zh), ("en", &cap.en)] {
            let weight = cap
                .languages
                .0
                .get(&if lang == "zh" {
                    Language::Zh
                } else {
                    Language::En
                })
                .copied()
                .unwrap_or(0.0);
            if weight > 0.0 && list.is_empty() {
                bail!("caption.{lang}: no templates, but the language has weight {weight}");
            }
            for t in list {
                if t.matches("{text}").count() != 1 {
                    bail!("caption.{lang}: template {t:?} must contain {{text}} exactly once");
                }
                if let Some(slot) = crate::caption::unknown_slots(t).first() {
                    bail!(
                        "caption.{lang}: template {t:?} has the unknown slot {slot}; the slots are {}",
                        crate::caption::SLOTS.join(" ")
                    );
                }
            }
        }
        let o = &self.output;
        if !(1..=100).contains(&o.jpeg_quality) {
            bail!("output.jpeg_quality must be 1 to 100");
        }
        if !(8..=1024).contains(&o.crop_height) {
            bail!("output.crop_height must be 8 to 1024 pixels");
        }
        if !(0.0..=2.0).contains(&o.crop_padding) {
            bail!("output.crop_padding must lie within [0, 2]");
        }
        if o.samples_per_shard == 0 {
            bail!("output.samples_per_shard must be at least 1");
        }
        Ok(())
    }

    /// SHA-256 of the recipe's canonical JSON form; stored with every sample.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("a recipe always serialises");
        let digest = Sha256::digest(&json);
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_default_yaml_equals_code_defaults() {
        let parsed = Recipe::from_yaml(DEFAULT_RECIPE_YAML, "default.yaml").unwrap();
        assert_eq!(parsed, Recipe::default());
    }

    #[test]
    fn empty_recipe_is_all_defaults() {
        assert_eq!(Recipe::from_yaml("{}", "x").unwrap(), Recipe::default());
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let err = Recipe::from_yaml("seed: 1\ntext:\n  sise: [10, 20]\n", "r.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("r.yaml"), "{err}");
        assert!(err.contains("sise"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn label_schemas_and_conditions_need_the_right_output() {
        let check = |sets: &[&str]| {
            let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
            Recipe::default()
                .with_overrides(&sets)
                .and_then(|r| r.check().map(|_| r))
        };
        let err = |sets: &[&str]| format!("{:#}", check(sets).unwrap_err());
        assert!(err(&["output.labels=[anytext]"]).contains("imagefolder"));
        assert!(
            err(&["output.format=imagefolder", "output.labels=[paddleocr_rec]"])
                .contains("line_crops")
        );
        assert!(
            err(&["output.format=imagefolder", "output.labels=[glyphcontrol]"])
                .contains("conditions.glyph")
        );
        assert!(err(&[
            "output.format=imagefolder",
            "output.conditions.glyph=true",
            "output.image_format=png",
            "output.labels=[glyphcontrol]"
        ])
        .contains("jpg"));
        assert!(err(&[
            "output.format=imagefolder",
            "canvas={width: 768, height: 512}",
            "output.labels=[textdiffuser2]"
        ])
        .contains("512×512"));
        assert!(err(&["output.mode=line_crops", "output.conditions.mask=true"]).contains("scenes"));
        assert!(err(&["output.labels=[yolo]"]).contains("yolo"));
        let ok = check(&[
            "output.format=imagefolder",
            "output.conditions.glyph=true",
            "output.labels=[anytext, textdiffuser2, glyphcontrol, glyph-byt5, paddleocr-det]",
        ])
        .unwrap();
        assert_eq!(ok.output.labels.len(), 5);
    }

    #[test]
    fn bad_values_are_errors_with_location() {
        let cases = [
            ("text:\n  size: [90, 20]\n", "greater than max"),
            ("warp:\n  probability: 1.5\n", "between 0 and 1"),
            ("canvas: {width: 100000, height: 512}\n", "16 to 8192"),
            ("text:\n  direction: {sideways: 1}\n", "sideways"),
            (
                "text:\n  direction: {horizontal: 0}\n",
                "at least one weight",
            ),
        ];
        for (yaml, needle) in cases {
            let err = Recipe::from_yaml(yaml, "r.yaml").unwrap_err().to_string();
            assert!(err.contains(needle), "{yaml:?} → {err}");
            assert!(err.contains("line "), "{yaml:?} → {err}");
        }
    }

    #[test]
    fn cross_field_checks() {
        let err = Recipe::from_yaml("caption:\n  zh: [\"no placeholder\"]\n", "r").unwrap_err();
        assert!(format!("{err:#}").contains("{text}"), "{err:#}");
    }

    #[test]
    fn overrides_apply_and_validate() {
        let r = Recipe::default()
            .with_overrides(&[
                "text.size=[10, 20]".into(),
                "output.image_format=png".into(),
            ])
            .unwrap();
        assert_eq!(r.text.size, Range::new(10.0, 20.0));
        assert_eq!(r.output.image_format, ImageFormat::Png);
        assert_ne!(r.hash(), Recipe::default().hash());
        assert!(Recipe::default()
            .with_overrides(&["text.nope=1".into()])
            .is_err());
        assert!(Recipe::default()
            .with_overrides(&["warp.probability=3".into()])
            .is_err());
        assert!(Recipe::default().with_overrides(&["count".into()]).is_err());
    }

    #[test]
    fn exclude_is_a_keyword_or_a_path_like_charset() {
        let mut r = Recipe {
            base_dir: PathBuf::from("recipes/mine"),
            ..Recipe::default()
        };
        assert_eq!(r.with_resolved_paths().corpus.exclude, "default");
        r.corpus.exclude = String::new();
        assert_eq!(r.with_resolved_paths().corpus.exclude, "");
        r.corpus.exclude = "words/ban.txt".into();
        r.corpus.charset = "keys.txt".into();
        let resolved = r.with_resolved_paths();
        assert_eq!(
            Path::new(&resolved.corpus.exclude),
            Path::new("recipes/mine/words/ban.txt")
        );
        assert_eq!(
            Path::new(&resolved.corpus.charset),
            Path::new("recipes/mine/keys.txt")
        );
        // From --set: relative to the current folder, made absolute; `default` stays a keyword.
        let set = r
            .with_overrides(&["corpus.exclude=ban.txt".into()])
            .unwrap();
        assert!(Path::new(&set.corpus.exclude).is_absolute());
        assert!(set.corpus.exclude.ends_with("ban.txt"));
        let set = r
            .with_overrides(&["corpus.exclude=default".into()])
            .unwrap();
        assert_eq!(set.corpus.exclude, "default");
    }

    #[test]
    fn tier_and_style_keys_parse_validate_and_stay_out_of_the_default_hash() {
        let json = serde_json::to_string(&Recipe::default()).unwrap();
        for key in [
            "tail",
            "tier_weights",
            "tiers",
            "bundled_set",
            "styles",
            "synthetic",
        ] {
            assert!(
                !json.contains(key),
                "{key} in the default recipe's canonical form"
            );
        }
        let r = Recipe::from_yaml(
            "corpus:\n  tail: true\n  tier_weights: {level_3: 2, other: 1}\n  quota:\n    \
             tiers: {level_2: 1}\nfonts:\n  bundled_set: all\n  styles: {kai: 2, brush: 1}\n",
            "r.yaml",
        )
        .unwrap();
        assert!(r.corpus.tail);
        assert_eq!(r.corpus.quota.tiers[&Tier::Level2], 1);
        assert!(r.corpus.quota.is_on());
        assert_eq!(r.fonts.bundled_set, BundledSet::All);
        assert_eq!(r.fonts.styles.0[&FontStyle::Kai], 2.0);
        assert_ne!(r.hash(), Recipe::default().hash());
        for (yaml, needle) in [
            ("fonts:\n  styles: {gothic: 1}\n", "gothic"),
            ("corpus:\n  tier_weights: {level_4: 1}\n", "level_4"),
            ("fonts:\n  bundled_set: some\n", "some"),
        ] {
            let err = Recipe::from_yaml(yaml, "r.yaml").unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains("line "), "{err}");
        }
        for (yaml, needle) in [
            ("corpus:\n  quota:\n    tiers: {other: 1}\n", "not a level"),
            ("corpus:\n  source: w.tsv\n  tail: true\n", "corpus.tail"),
            ("corpus:\n  quota:\n    tiers: {level_1: 20000}\n", "10,000"),
            (
                "fonts:\n  synthetic:\n    oblique: {probability: 1, range: [0, 45]}\n",
                "fonts.synthetic.oblique",
            ),
        ] {
            let err = format!("{:#}", Recipe::from_yaml(yaml, "r.yaml").unwrap_err());
            assert!(err.contains(needle), "{err}");
        }
        // --set reaches the keys the canonical form leaves out.
        let set = Recipe::default()
            .with_overrides(&[
                "corpus.quota.tiers={level_3: 2}".into(),
                "fonts.bundled_set=all".into(),
                "fonts.styles={sans: 1}".into(),
                "fonts.synthetic.width={probability: 0.5, range: [0.8, 1.0]}".into(),
                "corpus.tail=true".into(),
                "corpus.tier_weights={level_1: 1, level_2: 3}".into(),
            ])
            .unwrap();
        assert_eq!(set.corpus.quota.tiers[&Tier::Level3], 2);
        assert_eq!(set.fonts.bundled_set, BundledSet::All);
        assert!(set.corpus.tail);
        assert_eq!(set.fonts.synthetic.width.probability.0, 0.5);
        assert!(Recipe::default()
            .with_overrides(&["fonts.styles={gothic: 1}".into()])
            .is_err());
    }

    #[test]
    fn real_text_keys_parse_validate_and_resolve() {
        // Absent from the default recipe's canonical form (and so from its hash).
        let canonical = serde_json::to_value(Recipe::default()).unwrap();
        assert!(canonical["corpus"].get("text").is_none(), "{canonical}");
        let r = Recipe::from_yaml(
            "corpus:\n  text:\n    source: my/para.txt\n    unit: sentence\n    width: [4, 12]\n",
            "r.yaml",
        )
        .unwrap();
        let t = r.corpus.text.as_ref().unwrap();
        assert_eq!((t.unit, t.width.0), (TextUnit::Sentence, Range::new(4, 12)));
        assert_ne!(r.hash(), Recipe::default().hash());
        // An empty section is the bundled paragraphs.
        let r = Recipe::from_yaml("corpus:\n  text: {}\n", "r.yaml").unwrap();
        assert_eq!(r.corpus.text, Some(TextSourceConfig::default()));
        // Bad values name the line and column.
        for (yaml, needle) in [
            ("corpus:\n  text:\n    unit: word\n", "word"),
            ("corpus:\n  text:\n    width: [1, 10]\n", "[2, 64] columns"),
            ("corpus:\n  text:\n    width: [12, 4]\n", "greater than max"),
            ("corpus:\n  text:\n    sorce: x.txt\n", "sorce"),
        ] {
            let err = Recipe::from_yaml(yaml, "r.yaml").unwrap_err().to_string();
            assert!(
                err.contains(needle) && err.contains("line 3"),
                "{yaml:?} → {err}"
            );
        }
        // Word-list keys that cannot work with paragraphs are refused.
        for (yaml, needle) in [
            (
                "corpus:\n  text: {}\n  quota: {min_count: 1}\n",
                "corpus.quota",
            ),
            ("corpus:\n  text: {}\n  tail: true\n", "corpus.tail"),
            ("corpus:\n  text: {}\n  source: w.tsv\n", "corpus.source"),
        ] {
            let err = format!("{:#}", Recipe::from_yaml(yaml, "r.yaml").unwrap_err());
            assert!(err.contains(needle), "{err}");
        }
        // A user file is relative to the recipe; the keyword stays a keyword.
        let mut r = Recipe {
            base_dir: PathBuf::from("recipes/mine"),
            ..Recipe::default()
        };
        r.corpus.text = Some(TextSourceConfig::default());
        assert_eq!(
            r.with_resolved_paths().corpus.text.unwrap().source,
            BUNDLED_CLASSICAL
        );
        r.corpus.text.as_mut().unwrap().source = "p.txt".into();
        assert_eq!(
            Path::new(&r.with_resolved_paths().corpus.text.unwrap().source),
            Path::new("recipes/mine/p.txt")
        );
        // --set turns it on (relative to the current folder) and reaches its keys.
        let set = Recipe::default()
            .with_overrides(&["corpus.text={source: p.txt, width: [6, 9]}".into()])
            .unwrap();
        let t = set.corpus.text.as_ref().unwrap();
        assert!(Path::new(&t.source).is_absolute() && t.source.ends_with("p.txt"));
        let set = set
            .with_overrides(&["corpus.text.unit=sentence".into()])
            .unwrap();
        assert_eq!(set.corpus.text.unwrap().unit, TextUnit::Sentence);
    }

    #[test]
    fn hash_is_stable_for_equal_recipes() {
        assert_eq!(Recipe::default().hash(), Recipe::default().clone().hash());
        assert_eq!(Recipe::default().hash().len(), 16);
    }
}
