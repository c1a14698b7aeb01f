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

/// The bundled default recipe, with comments; `recipe init` prints it verbatim.
pub const DEFAULT_RECIPE_YAML: &str = include_str!("../recipes/default.yaml");

// ---------------------------------------------------------------------------------------------
// Value types with validation
// ---------------------------------------------------------------------------------------------

/// A closed interval `[min, max]` drawn uniformly; written `[min, max]` or a single number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRange<T>", into = "[T; 2]")]
#[serde(bound(
    deserialize = "T: Deserialize<'de> + Copy + PartialOrd + std::fmt::Display",
    serialize = "T: Serialize + Copy"
))]
pub struct Range<T: Copy> {
    pub min: T,
    pub max: T,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRange<T> {
    One(T),
    Two(Vec<T>),
}

impl<T: Copy + PartialOrd + std::fmt::Display> TryFrom<RawRange<T>> for Range<T> {
    type Error = String;
    fn try_from(raw: RawRange<T>) -> Result<Self, String> {
        let (min, max) = match raw {
            RawRange::One(v) => (v, v),
            RawRange::Two(v) if v.len() == 2 => (v[0], v[1]),
            RawRange::Two(v) => {
                return Err(format!(
                    "a range is [min, max] or one number, got a list of {}",
                    v.len()
                ))
            }
        };
        if min > max {
            return Err(format!("range min {min} is greater than max {max}"));
        }
        Ok(Range { min, max })
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
        if !map.values().any(|w| *w > 0.0) {
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
    pub color: ColorConfig,
    pub backgrounds: BackgroundsConfig,
    pub warp: WarpConfig,
    pub caption: CaptionConfig,
    pub output: OutputConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    pub width: Side,
    pub height: Side,
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FontsConfig {
    /// Use the four bundled CJK fonts in `fonts/`.
    pub bundled: bool,
    /// Also use the system's fonts (fontconfig folders) that cover CJK text.
    pub system: bool,
    /// Extra font folders (searched recursively; `.ttf`, `.otf`, `.ttc`, `.otc`).
    pub dirs: Vec<PathBuf>,
    /// A face must cover at least this share of the corpus characters to be used at all.
    pub min_coverage: Prob,
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
    /// Extra space between characters, in em.
    pub letter_spacing: Range<f64>,
    /// Distance between line (or column) centres, in em.
    pub line_spacing: Range<f64>,
    /// Free border around the text, as a fraction of the canvas's shorter side.
    pub margin: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColorConfig {
    /// WCAG contrast ratio (1–21) the text colour must reach against the background under it.
    pub min_contrast: f64,
    /// Random colours tried before falling back to black or white.
    pub attempts: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackgroundKind {
    Photo,
    Solid,
    LinearGradient,
    RadialGradient,
    Noise,
    Paper,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackgroundsConfig {
    pub kinds: Weights<BackgroundKind>,
    /// Use the bundled photos and textures in `backgrounds/`.
    pub bundled: bool,
    /// Extra image folders (searched recursively; JPEG and PNG).
    pub dirs: Vec<PathBuf>,
    /// Photo zoom on top of the scale that covers the canvas (1 = just covers).
    pub zoom: Range<f64>,
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
    /// Chinese templates; `{text}` is replaced by the rendered text.
    pub zh: Vec<String>,
    /// English templates; `{text}` is replaced by the rendered text.
    pub en: Vec<String>,
    /// Joins the lines of a block when quoted in a caption.
    pub line_joiner: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    Webdataset,
    Imagefolder,
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
    pub format: OutputFormat,
    pub image_format: ImageFormat,
    pub jpeg_quality: u8,
    /// Samples per tar shard (webdataset) or per folder chunk (imagefolder).
    pub samples_per_shard: u32,
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
            },
            corpus: CorpusConfig::default(),
            fonts: FontsConfig::default(),
            text: TextConfig::default(),
            color: ColorConfig::default(),
            backgrounds: BackgroundsConfig::default(),
            warp: WarpConfig::default(),
            caption: CaptionConfig::default(),
            output: OutputConfig::default(),
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
            letter_spacing: Range::new(0.0, 0.15),
            line_spacing: Range::new(1.2, 1.6),
            margin: 0.04,
        }
    }
}

impl Default for ColorConfig {
    fn default() -> Self {
        ColorConfig {
            min_contrast: 4.5,
            attempts: 12,
        }
    }
}

impl Default for BackgroundsConfig {
    fn default() -> Self {
        BackgroundsConfig {
            kinds: Weights::from_pairs(&[
                (BackgroundKind::Photo, 4.0),
                (BackgroundKind::Solid, 1.0),
                (BackgroundKind::LinearGradient, 1.0),
                (BackgroundKind::RadialGradient, 1.0),
                (BackgroundKind::Noise, 1.0),
                (BackgroundKind::Paper, 2.0),
            ]),
            bundled: true,
            dirs: Vec::new(),
            zoom: Range::new(1.0, 1.6),
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
                "一张海报，上面写着“{text}”",
                "一块招牌，上面写着“{text}”",
                "一张照片，画面中有文字“{text}”",
                "印有“{text}”字样的图片",
                "写着“{text}”的标志",
            ]
            .map(String::from)
            .to_vec(),
            en: [
                "a poster that reads \"{text}\"",
                "a sign that says \"{text}\"",
                "a photo with the Chinese text \"{text}\"",
                "an image with the words \"{text}\" written on it",
                "Chinese characters \"{text}\" on a background",
            ]
            .map(String::from)
            .to_vec(),
            line_joiner: " ".into(),
        }
    }
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            format: OutputFormat::Webdataset,
            image_format: ImageFormat::Jpg,
            jpeg_quality: 90,
            samples_per_shard: 1000,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading, overriding, checking, hashing
// ---------------------------------------------------------------------------------------------

impl Recipe {
    /// Parses YAML text; `origin` names the source in error messages.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Recipe> {
        let recipe: Recipe = serde_saphyr::from_str(text)
            .map_err(|e| anyhow::anyhow!("{origin}: invalid recipe\n{e}"))?;
        recipe
            .check()
            .with_context(|| format!("{origin}: invalid recipe"))?;
        Ok(recipe)
    }

    pub fn load(path: &Path) -> Result<Recipe> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read recipe {}", path.display()))?;
        Recipe::from_yaml(&text, &path.display().to_string())
    }

    /// Applies `path.to.key=value` overrides; the value is read as YAML (`3`, `[1, 2]`, `png`).
    pub fn with_overrides(&self, sets: &[String]) -> Result<Recipe> {
        if sets.is_empty() {
            return Ok(self.clone());
        }
        let mut tree = serde_json::to_value(self)?;
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
                    let known: Vec<&String> = obj.keys().collect();
                    bail!("--set {set}: unknown key `{key}` (known here: {known:?})");
                }
                node = obj.get_mut(*key).expect("checked above");
            }
            *node = value;
        }
        let recipe: Recipe = serde_json::from_value(tree)
            .map_err(|e| anyhow::anyhow!("--set {}: {e}", sets.join(" ")))?;
        recipe.check().context("after --set overrides")?;
        Ok(recipe)
    }

    /// Checks that span several fields (single fields check themselves while parsing).
    pub fn check(&self) -> Result<()> {
        let c = &self.corpus;
        if c.lines.min == 0 || c.words_per_line.min == 0 {
            bail!("corpus.lines and corpus.words_per_line must be at least 1");
        }
        if c.lines.max > 12 {
            bail!("corpus.lines: at most 12 lines per block");
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
        if !(t.letter_spacing.min >= -0.3 && t.letter_spacing.max <= 3.0) {
            bail!("text.letter_spacing must lie within [-0.3, 3] em");
        }
        if !(t.line_spacing.min >= 1.0 && t.line_spacing.max <= 5.0) {
            bail!("text.line_spacing must lie within [1, 5] em");
        }
        if !(0.0..0.4).contains(&t.margin) {
            bail!("text.margin must be a fraction in [0, 0.4)");
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
            }
        }
        let o = &self.output;
        if !(1..=100).contains(&o.jpeg_quality) {
            bail!("output.jpeg_quality must be 1 to 100");
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
    fn hash_is_stable_for_equal_recipes() {
        assert_eq!(Recipe::default().hash(), Recipe::default().clone().hash());
        assert_eq!(Recipe::default().hash().len(), 16);
    }
}
