//! Generate: renders samples on all cores and streams them, in index order, into a sink.
//!
//! Samples are made in batches on a rayon pool and handed to one writer thread through a
//! bounded channel, so memory stays constant for any run length and the output order (hence
//! the bytes) never depends on the thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::conditions::{encode_charseg, encode_gray, render_conditions};
use crate::crop::{crops_for_mode, render_for_mode};
use crate::encode::encode;
use crate::journal::{journal_name, Journal, RunHeader, ShardEntry};
use crate::paint::{CpuPainter, Device};
use crate::plan::sample_key;
use crate::recipe::{OutputFormat, OutputMode, Recipe};
use crate::scene::{Context, StageTimes};
use crate::schemas::{crop_rows, scene_rows};
use crate::sink::{
    EncodedSample, ImageFolderSink, LmdbSink, ShardInfo, Sink, StreamSink, WebDatasetSink,
};

/// `--shard k/N`: this machine makes the output shards `j` with `j % N == k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub k: u64,
    pub n: u64,
}

impl std::str::FromStr for ShardSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s.split_once('/').ok_or("expected k/N, e.g. 0/4")?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("bad shard number {k:?}"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("bad shard count {n:?}"))?;
        if n == 0 || k >= n {
            return Err(format!("shard {k}/{n}: need 0 ≤ k < N"));
        }
        Ok(ShardSpec { k, n })
    }
}

/// The sample indices a run produces, in order.
pub fn run_indices(
    count: u64,
    per_shard: u64,
    shard: Option<ShardSpec>,
) -> impl Iterator<Item = u64> {
    (0..count).filter(move |i| shard.is_none_or(|s| (i / per_shard) % s.n == s.k))
}

pub struct RunOptions {
    /// The output folder, or `-`: one WebDataset tar stream on stdout (see [`RunOptions::streams`]).
    pub out: PathBuf,
    pub threads: usize,
    pub shard: Option<ShardSpec>,
    pub progress: bool,
    pub overwrite: bool,
    /// Finish an interrupted run in `out` (see [`crate::journal`]).
    pub resume: bool,
    /// Set (to the signal number) by SIGINT/SIGTERM: stop after discarding the open shard.
    pub stop: Arc<AtomicUsize>,
    /// The painter (`--device`).
    pub device: Device,
}

impl RunOptions {
    /// `-o -`: the samples go to stdout as one tar stream; nothing is written to disk (no
    /// journal, no manifest), so there is nothing to resume or overwrite.
    pub fn streams(&self) -> bool {
        self.out.as_os_str() == "-"
    }
}

/// Per-sample facts aggregated into the manifest.
pub struct SampleFacts {
    fonts: Vec<String>,
    background_kind: String,
    background_source: String,
    directions: Vec<String>,
    text: String,
    resamples: u32,
    contrast_met: bool,
    /// Per block rescued or left out for contrast: "opaque", "outline", "plate", "left_out".
    contrast_fallbacks: Vec<String>,
    blocks: u64,
    blocks_dropped: u64,
    curved_lines: u64,
    effects: Vec<String>,
    camera_skipped: bool,
}

/// The record of a finished run. It holds nothing that depends on timing or thread count, so
/// the same recipe, seed and count give the same manifest bytes (resumed or not). It is read
/// back by `merge`, which sums shard sets' manifests into the single run's.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    /// The painter that made the pictures: "cpu", or "gpu: ADAPTER (DRIVER)" (a merge of shard
    /// sets painted on different devices lists each, joined by " + "). Labels never depend on
    /// it; pixels may differ slightly between the kinds (see `paint::gpu`).
    #[serde(default = "cpu_device")]
    pub device: String,
    pub recipe_hash: String,
    pub seed: u64,
    pub count: u64,
    pub samples: u64,
    /// Records written: one per sample for scenes, one per line for line crops.
    pub records: u64,
    pub shard: Option<ShardSpec>,
    pub format: OutputFormat,
    pub shards: Vec<ShardInfo>,
    pub fonts: BTreeMap<String, u64>,
    pub backgrounds: BTreeMap<String, u64>,
    pub background_sources: BTreeMap<String, u64>,
    pub directions: BTreeMap<String, u64>,
    pub characters_covered: usize,
    /// Shard-set manifests only: the distinct characters drawn, in code point order, so that
    /// `merge` can count the union (`characters_covered` of the whole run). Absent from a
    /// single run's manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub characters: Option<String>,
    pub corpus_characters: usize,
    pub corpus_words: usize,
    pub words_without_font: usize,
    /// Corpus lines skipped (not valid UTF-8, or a word with whitespace, control or invisible
    /// characters); `corpus_lines_skipped_by_reason` splits the count.
    pub corpus_lines_skipped: usize,
    #[serde(default)]
    pub corpus_lines_skipped_by_reason: BTreeMap<String, crate::corpus::LineSkipCount>,
    /// With `corpus.exclude`: the word filter and how many corpus words it removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<crate::corpus::ExcludeReport>,
    /// With `corpus.charset`: the charset's size and what it left out of the corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<crate::corpus::CharsetReport>,
    /// With `corpus.quota`: the coverage plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<crate::quota::QuotaReport>,
    pub text_resamples: u64,
    /// Samples where some block's colour could not reach `color.min_contrast` (only with
    /// `color.keep_low_contrast`, or when no rescue could place a sample's first block).
    pub contrast_unmet: u64,
    /// Blocks whose drawn looks could not reach the contrast target where they fit, by what
    /// made them legible: "opaque", "outline", "plate"; "left_out" when nothing could.
    pub contrast_fallbacks: BTreeMap<String, u64>,
    pub blocks: u64,
    /// Blocks left out because no spot clear of the other blocks was found.
    pub blocks_dropped: u64,
    pub samples_with_dropped_blocks: u64,
    pub curved_lines: u64,
    /// Samples per applied whole-image effect.
    pub effects: BTreeMap<String, u64>,
    /// Samples whose camera effect was skipped because it would push text out of the frame.
    pub camera_skipped: u64,
    pub fonts_used: Vec<String>,
    pub fonts_skipped: Vec<(String, String)>,
    /// Faces that map corpus characters to glyphs without ink, and how many (those characters
    /// are treated as missing from that face).
    pub fonts_inkless_chars: Vec<(String, usize)>,
    pub backgrounds_skipped: Vec<(String, String)>,
    pub recipe: Recipe,
}

fn cpu_device() -> String {
    "cpu".into()
}

impl Manifest {
    pub fn file_name(shard: Option<ShardSpec>) -> String {
        match shard {
            None => "manifest.json".into(),
            Some(s) => format!("manifest-shard-{}-of-{}.json", s.k, s.n),
        }
    }
}

/// A face's number among the run's faces (`<font-N>` in Glyph-ByT5 captions), from the
/// `file#index` a label names.
fn font_id(ctx: &Context, font: &str) -> usize {
    ctx.fonts
        .faces
        .iter()
        .position(|f| format!("{}#{}", f.file, f.index) == font)
        .unwrap_or(0)
}

/// The condition rasters the recipe asks for, encoded, as extra sample members; records the
/// segmentation's character table in the sample's metadata.
/// GlyphControl's hint for a sample: the glyph raster (black on white, the image's size) as
/// the JPEG its TextCaps loader opens (`HINTS/ID.jpg`).
type Hint = Option<Vec<u8>>;

/// A sample's extra members (`KEY.glyph.png`, …) and its GlyphControl hint.
type Conditions = (Vec<(&'static str, Vec<u8>)>, Hint);

fn condition_members(ctx: &Context, sample: &mut crate::plan::Sample) -> Result<Conditions> {
    let cfg = &ctx.recipe.output.conditions;
    if !cfg.any() {
        return Ok((Vec::new(), None));
    }
    let c = render_conditions(sample, &ctx.fonts, cfg);
    let mut extras = Vec::new();
    let mut hint = None;
    if let Some(g) = &c.glyph {
        extras.push(("glyph.png", encode_gray(g)?));
        if ctx
            .recipe
            .output
            .labels
            .contains(&crate::recipe::LabelSchema::Glyphcontrol)
        {
            let rgb = image::RgbImage::from_fn(g.width(), g.height(), |x, y| {
                let v = g.get_pixel(x, y).0[0];
                image::Rgb([v, v, v])
            });
            hint = Some(encode(&rgb, crate::recipe::ImageFormat::Jpg, 95)?);
        }
    }
    if let Some(m) = &c.mask {
        extras.push(("mask.png", encode_gray(m)?));
    }
    if let Some(s) = &c.charseg {
        extras.push(("charseg.png", encode_charseg(s)?));
        sample.meta.charseg_table = Some(c.table);
    }
    Ok((extras, hint))
}

/// Makes one sample ready to store: render, encode, serialise. A scene gives one record; in
/// line-crop mode it gives one record per text line.
pub fn produce(
    ctx: &Context,
    index: u64,
    times: &mut StageTimes,
) -> Result<(Vec<EncodedSample>, SampleFacts)> {
    let (records, facts, _) = produce_with_pixels(ctx, index, times)?;
    Ok((records, facts))
}

/// [`produce`], also giving each record's picture as it was just before encoding (the same
/// order as the records): the Python package hands out pixels without decoding its own JPEGs.
pub fn produce_with_pixels(
    ctx: &Context,
    index: u64,
    times: &mut StageTimes,
) -> Result<(Vec<EncodedSample>, SampleFacts, Vec<image::RgbImage>)> {
    let mut painter = CpuPainter;
    let sample = render_for_mode(ctx, index, &mut painter, times)
        .with_context(|| format!("sample {index}"))?;
    finish_sample(ctx, index, sample, times)
}

/// The rest of [`produce_with_pixels`] once the sample is painted (by any painter): encode,
/// serialise, tally.
pub fn finish_sample(
    ctx: &Context,
    index: u64,
    mut sample: crate::plan::Sample,
    times: &mut StageTimes,
) -> Result<(Vec<EncodedSample>, SampleFacts, Vec<image::RgbImage>)> {
    let t = Instant::now();
    let out = &ctx.recipe.output;
    let ext = out.image_format.extension();
    let (records, pixels) = match out.mode {
        OutputMode::Scenes => {
            let (extras, hint) = condition_members(ctx, &mut sample)?;
            let key = sample_key(index);
            let chunk = format!("{:06}", index / u64::from(out.samples_per_shard));
            let labels = scene_rows(
                &out.labels,
                &sample.meta,
                &chunk,
                &format!("{key}.{ext}"),
                &|font| font_id(ctx, font),
            );
            let image = encode(&sample.image, out.image_format, out.jpeg_quality)?;
            // TextDiffuser-2 reads a folder per sample (MARIO-10M layout).
            let folder = if out
                .labels
                .contains(&crate::recipe::LabelSchema::Textdiffuser2)
            {
                vec![
                    (
                        "caption.txt",
                        format!("{}\n", sample.meta.caption_en).into_bytes(),
                    ),
                    ("image.jpg", image.clone()),
                    (
                        "ocr.txt",
                        crate::schemas::td2_ocr(&sample.meta).into_bytes(),
                    ),
                ]
            } else {
                Vec::new()
            };
            let record = EncodedSample {
                index,
                key,
                image,
                image_ext: ext,
                caption: sample.meta.caption.clone(),
                meta_json: serde_json::to_string(&sample.meta)?,
                extras,
                labels,
                folder,
                shared: hint
                    .map(|h| {
                        vec![(
                            format!("{}/{}.jpg", crate::schemas::GC_HINT_DIR, sample_key(index)),
                            h,
                        )]
                    })
                    .unwrap_or_default(),
            };
            let pixels = std::mem::replace(&mut sample.image, image::RgbImage::new(0, 0));
            (vec![record], vec![pixels])
        }
        OutputMode::LineCrops | OutputMode::NativeCrops => crops_for_mode(&mut sample, out)
            .into_iter()
            .map(|c| {
                let record = EncodedSample {
                    index,
                    key: c.meta.key.clone(),
                    image: encode(&c.image, out.image_format, out.jpeg_quality)?,
                    image_ext: ext,
                    caption: c.meta.text.clone(),
                    meta_json: serde_json::to_string(&c.meta)?,
                    extras: Vec::new(),
                    labels: crop_rows(&out.labels, &c.meta, &format!("{}.{ext}", c.meta.key)),
                    folder: Vec::new(),
                    shared: Vec::new(),
                };
                Ok((record, c.image))
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip(),
    };
    times.encode += t.elapsed();
    let meta = &sample.meta;
    let facts = SampleFacts {
        fonts: meta
            .lines
            .iter()
            .filter(|l| !l.chars.is_empty())
            .map(|l| format!("{}#{}", l.font.file, l.font.index))
            .collect(),
        background_kind: serde_json::to_value(meta.background.kind)?
            .as_str()
            .unwrap_or_default()
            .to_string(),
        // Procedural backgrounds describe their parameters; only files are worth a table.
        background_source: if matches!(
            meta.background.kind,
            crate::recipe::BackgroundKind::Photo | crate::recipe::BackgroundKind::Texture
        ) {
            meta.background.source.clone()
        } else {
            String::new()
        },
        directions: meta
            .lines
            .iter()
            .map(|l| format!("{:?}", l.direction).to_lowercase())
            .collect(),
        text: meta.lines.iter().map(|l| l.text.as_str()).collect(),
        resamples: meta.text_resamples,
        contrast_met: meta.contrast_met,
        contrast_fallbacks: meta
            .blocks
            .iter()
            .filter(|b| b.contrast_fallback != "none")
            .map(|b| b.contrast_fallback.to_string())
            .chain((0..meta.contrast_left_out).map(|_| "left_out".to_string()))
            .collect(),
        blocks: meta.blocks.len() as u64,
        blocks_dropped: u64::from(meta.blocks_dropped),
        curved_lines: meta.lines.iter().filter(|l| l.curved).count() as u64,
        effects: meta
            .effects
            .split("; ")
            .filter(|e| !e.is_empty())
            .map(|e| e.split(' ').next().unwrap_or_default().to_string())
            .collect(),
        camera_skipped: meta.notes.contains("camera skipped"),
    };
    Ok((records, facts, pixels))
}

/// Running totals of the facts, kept by the writer per shard and summed for the manifest:
/// constant memory for any run length, and the same totals whether a run was resumed or not.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Tally {
    samples: u64,
    records: u64,
    fonts: BTreeMap<String, u64>,
    backgrounds: BTreeMap<String, u64>,
    background_sources: BTreeMap<String, u64>,
    directions: BTreeMap<String, u64>,
    #[serde(with = "chars_as_string")]
    chars: BTreeSet<char>,
    text_resamples: u64,
    contrast_unmet: u64,
    contrast_fallbacks: BTreeMap<String, u64>,
    blocks: u64,
    blocks_dropped: u64,
    samples_with_dropped_blocks: u64,
    curved_lines: u64,
    effects: BTreeMap<String, u64>,
    camera_skipped: u64,
}

/// The character set as one string (compact in the journal).
mod chars_as_string {
    use std::collections::BTreeSet;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(set: &BTreeSet<char>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&set.iter().collect::<String>())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeSet<char>, D::Error> {
        Ok(String::deserialize(d)?.chars().collect())
    }
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

impl Tally {
    fn add(&mut self, f: SampleFacts) {
        self.samples += 1;
        // Fonts count once per sample per face.
        let mut fonts = f.fonts;
        fonts.sort();
        fonts.dedup();
        for font in fonts {
            *self.fonts.entry(font).or_default() += 1;
        }
        *self.backgrounds.entry(f.background_kind).or_default() += 1;
        if !f.background_source.is_empty() {
            *self
                .background_sources
                .entry(f.background_source)
                .or_default() += 1;
        }
        for d in f.directions {
            *self.directions.entry(d).or_default() += 1;
        }
        self.chars.extend(f.text.chars());
        self.text_resamples += u64::from(f.resamples);
        self.contrast_unmet += u64::from(!f.contrast_met);
        for c in f.contrast_fallbacks {
            *self.contrast_fallbacks.entry(c).or_default() += 1;
        }
        self.blocks += f.blocks;
        self.blocks_dropped += f.blocks_dropped;
        self.samples_with_dropped_blocks += u64::from(f.blocks_dropped > 0);
        self.curved_lines += f.curved_lines;
        for e in f.effects {
            *self.effects.entry(e).or_default() += 1;
        }
        self.camera_skipped += u64::from(f.camera_skipped);
    }

    fn merge(&mut self, o: &Tally) {
        self.samples += o.samples;
        self.records += o.records;
        add_counts(&mut self.fonts, &o.fonts);
        add_counts(&mut self.backgrounds, &o.backgrounds);
        add_counts(&mut self.background_sources, &o.background_sources);
        add_counts(&mut self.directions, &o.directions);
        self.chars.extend(o.chars.iter().copied());
        self.text_resamples += o.text_resamples;
        self.contrast_unmet += o.contrast_unmet;
        add_counts(&mut self.contrast_fallbacks, &o.contrast_fallbacks);
        self.blocks += o.blocks;
        self.blocks_dropped += o.blocks_dropped;
        self.samples_with_dropped_blocks += o.samples_with_dropped_blocks;
        self.curved_lines += o.curved_lines;
        add_counts(&mut self.effects, &o.effects);
        self.camera_skipped += o.camera_skipped;
    }
}

/// A file or folder name this tool writes into an output folder, read back: the shard number
/// for shards (finished or temporary), `None` for manifests and journals. Anything else in
/// the folder is not ours and is left alone.
pub(crate) fn our_output(name: &str) -> Option<Option<u64>> {
    let shard = |s: &str| {
        (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let base = name.strip_suffix(".tmp").unwrap_or(name);
    let stem = base
        .strip_suffix(".tar")
        .or_else(|| base.strip_suffix(".lmdb"))
        .unwrap_or(base);
    if let Some(n) = shard(stem) {
        return Some(Some(n));
    }
    let ours = (base.starts_with("manifest") && base.ends_with(".json"))
        || (base.starts_with("progress") && base.ends_with(".jsonl"));
    ours.then_some(None)
}

/// `Some(why)` when the manifest or journal `name` in an output folder belongs to a run other
/// than `header`'s (split into `spec.n` shards): an unsharded run, another split, or another
/// recipe, seed, count or tool.
fn other_run(name: &str, path: &Path, spec: ShardSpec, header: &RunHeader) -> Option<String> {
    let base = name;
    if base == "manifest.json" && merged_here(path, header) {
        return Some(format!(
            "{base}: a run made without --shard — this very run, merged or made on one \
             machine (`--resume` finds nothing to do)"
        ));
    }
    if base == "manifest.json" || base == "progress.jsonl" {
        return Some(format!("{base}: a run made without --shard"));
    }
    let split = base
        .rsplit_once("-of-")
        .and_then(|(_, n)| n.split('.').next()?.parse::<u64>().ok());
    if let Some(n) = split.filter(|n| *n != spec.n) {
        return Some(format!(
            "{base}: a run split into {n} shard sets, not {}",
            spec.n
        ));
    }
    let identity = if base.ends_with(".jsonl") {
        Journal::read_file(path)
            .ok()
            .flatten()
            .map(|(h, _)| (h.recipe_hash, h.seed, h.count, h.tool))
    } else {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .map(|m| {
                (
                    m["recipe_hash"].as_str().unwrap_or_default().to_string(),
                    m["seed"].as_u64().unwrap_or_default(),
                    m["count"].as_u64().unwrap_or_default(),
                    m["tool"].as_str().unwrap_or_default().to_string(),
                )
            })
    };
    match identity {
        Some((hash, seed, count, tool))
            if hash == header.recipe_hash
                && seed == header.seed
                && count == header.count
                && tool == header.tool =>
        {
            None
        }
        Some((hash, seed, count, _)) => Some(format!(
            "{base}: recipe {hash} seed {seed} count {count} (this task: recipe {} seed {} count {})",
            header.recipe_hash, header.seed, header.count
        )),
        None => Some(format!("{base}: unreadable")),
    }
}

/// Is `manifest` (a folder's `manifest.json`) the whole run that a `--shard` task with
/// `header` is part of, i.e. the task's shard set is already made and merged?
fn merged_here(manifest: &Path, header: &RunHeader) -> bool {
    std::fs::read(manifest)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|m| {
            m["shard"].is_null()
                && m["recipe_hash"] == header.recipe_hash.as_str()
                && m["seed"] == header.seed
                && m["count"] == header.count
                && m["tool"] == header.tool.as_str()
        })
}

/// How a run begins, decided from what the output folder holds.
pub enum Start {
    /// Nothing of this run is there: make every shard.
    Fresh,
    /// An interrupted run: these shards are complete and kept.
    Resume(Vec<ShardEntry>),
    /// The run already finished (its manifest is there).
    Complete,
}

fn remove_path(p: &Path) -> Result<()> {
    if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    }
    .with_context(|| format!("cannot remove {}", p.display()))
}

/// Checks the output folder against `--resume` / `--overwrite` and tidies it: a folder that
/// already holds data is refused unless one of them is given; `--overwrite` removes what
/// hanzi-synth wrote there (for a `--shard` run: only that shard set's files); `--resume`
/// keeps the shards the journal lists as complete and removes this run's other files.
pub fn prepare_output_dir(
    dir: &Path,
    header: &RunHeader,
    per_shard: u64,
    overwrite: bool,
    resume: bool,
) -> Result<Start> {
    let spec = header.shard;
    if dir.exists() && !dir.is_dir() {
        bail!("output {} exists and is not a folder", dir.display());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))?;
    let entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read output folder {}", dir.display()))?
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().to_string(), e.path()))
        .collect();
    let manifest_name = Manifest::file_name(spec);
    let journal = journal_name(spec);
    // Files this run would write: its shards, its journal, its manifest (and their temporaries).
    let is_this_run = |name: &str| match our_output(name) {
        Some(Some(shard)) => spec.is_none_or(|s| shard % s.n == s.k),
        Some(None) => {
            let base = name.strip_suffix(".tmp").unwrap_or(name);
            spec.is_none() || base == manifest_name || base == journal
        }
        None => false,
    };
    let mine: Vec<&(String, PathBuf)> = entries.iter().filter(|(n, _)| is_this_run(n)).collect();
    // A retried or requeued task whose run has been merged meanwhile: done.
    if spec.is_some() && resume && merged_here(&dir.join("manifest.json"), header) {
        return Ok(Start::Complete);
    }
    // A `--shard` task shares its folder only with the other tasks of the same run.
    if let Some(s) = spec {
        let others: Vec<String> = entries
            .iter()
            // Temporaries are half-written by a sibling task starting at the same moment.
            .filter(|(n, _)| our_output(n) == Some(None) && !n.ends_with(".tmp") && !is_this_run(n))
            .filter_map(|(n, p)| other_run(n, p, s, header))
            .collect();
        if !others.is_empty() {
            bail!(
                "{} also holds another run's files, which a --shard {}/{} task would mix with its \
                 own:\n  {}\nUse another output folder (or remove those files first)",
                dir.display(),
                s.k,
                s.n,
                others.join("\n  ")
            );
        }
    }
    // A `--shard` run shares its folder with the other machines' shard sets.
    let foreign = entries
        .iter()
        .any(|(n, _)| our_output(n).is_none() || (spec.is_none() && !is_this_run(n)));

    if resume {
        let manifest_path = dir.join(&manifest_name);
        let journal_entries = Journal::read(dir, spec)?;
        if journal_entries.is_none() && manifest_path.exists() {
            let m: serde_json::Value = std::fs::read(&manifest_path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .with_context(|| format!("cannot read {}", manifest_path.display()))?;
            let same = m["recipe_hash"] == header.recipe_hash.as_str()
                && m["seed"] == header.seed
                && m["count"] == header.count
                && m["tool"] == header.tool.as_str();
            if !same {
                bail!(
                    "{} holds a finished run of a different recipe, seed, count or tool version/build; \
                     pass --overwrite to replace it",
                    dir.display()
                );
            }
            return Ok(Start::Complete);
        }
        let Some((old, done)) = journal_entries else {
            // Killed before its journal existed: only temporaries can be there.
            if mine.iter().all(|(name, _)| name.ends_with(".tmp")) {
                for (_, path) in &mine {
                    remove_path(path)?;
                }
                return Ok(Start::Fresh);
            }
            bail!(
                "{} holds output but no progress journal ({journal}) to resume from; \
                 pass --overwrite to start again",
                dir.display()
            );
        };
        let differences = header.differences(&old);
        if !differences.is_empty() {
            bail!(
                "cannot resume {}: this is not the run the folder holds:\n  {}\nRun \
                 `hanzi-synth generate --resume -o {}{}` with no recipe options to finish the \
                 folder's run with its own recipe, or pass --overwrite to replace it",
                dir.display(),
                differences.join("\n  "),
                dir.display(),
                old.shard
                    .map(|s| format!(" --shard {}/{}", s.k, s.n))
                    .unwrap_or_default()
            );
        }
        // Keep journalled shards whose files are intact; everything else of this run goes.
        let mut kept: Vec<ShardEntry> = Vec::new();
        for e in done {
            let path = dir.join(e.info.name.trim_end_matches('/'));
            let intact = if e.info.name.ends_with(".lmdb/") {
                std::fs::metadata(path.join("data.mdb")).is_ok_and(|m| m.len() == e.info.bytes)
            } else if e.info.name.ends_with('/') {
                path.join("metadata.jsonl").is_file()
            } else {
                std::fs::metadata(&path).is_ok_and(|m| m.len() == e.info.bytes)
            };
            let expected =
                e.shard * per_shard < header.count && spec.is_none_or(|s| e.shard % s.n == s.k);
            if intact && expected && !kept.iter().any(|k| k.shard == e.shard) {
                kept.push(e);
            }
        }
        for (name, path) in &mine {
            let keep = *name == journal
                || kept
                    .iter()
                    .any(|k| k.info.name.trim_end_matches('/') == name.as_str());
            if !keep {
                remove_path(path)?;
            }
        }
        return Ok(Start::Resume(kept));
    }
    if !mine.is_empty() || foreign {
        if !overwrite {
            bail!(
                "output folder {} is not empty; pass --resume to finish an interrupted run \
                 or --overwrite to replace what hanzi-synth wrote there",
                dir.display()
            );
        }
        for (_, path) in &mine {
            remove_path(path)?;
        }
    }
    Ok(Start::Fresh)
}

/// How a run ended.
pub enum Outcome {
    Complete(Box<Manifest>),
    /// The output was already complete (`--resume` on a finished folder).
    AlreadyComplete,
    /// Stopped by a signal: completed shards are kept, the open one was discarded.
    Interrupted {
        signal: i32,
        shards_done: usize,
        shards_total: usize,
        samples_done: u64,
    },
}

/// The shards a run makes, in order.
pub(crate) fn run_shards(count: u64, per_shard: u64, shard: Option<ShardSpec>) -> Vec<u64> {
    (0..count.div_ceil(per_shard))
        .filter(|j| shard.is_none_or(|s| j % s.n == s.k))
        .collect()
}

type Made = (u64, Vec<EncodedSample>, SampleFacts);

/// The writer's side of a run: groups samples into shards, commits each completed shard and
/// records it in the journal before starting the next.
struct ShardWriter {
    sink: Box<dyn Sink>,
    /// `None` for a stream, which cannot be resumed.
    journal: Option<Journal>,
    per_shard: u64,
    open: Option<(u64, Tally)>,
    completed: Vec<ShardEntry>,
}

impl ShardWriter {
    fn accept(&mut self, (index, records, facts): Made) -> Result<()> {
        let shard = index / self.per_shard;
        if self.open.as_ref().is_some_and(|o| o.0 != shard) {
            self.close()?;
        }
        if self.open.is_none() {
            self.sink.open_shard(shard)?;
            self.open = Some((shard, Tally::default()));
        }
        for record in &records {
            self.sink.write(record)?;
        }
        let tally = &mut self.open.as_mut().expect("opened above").1;
        tally.records += records.len() as u64;
        tally.add(facts);
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if let Some((shard, tally)) = self.open.take() {
            let info = self.sink.close_shard()?;
            let entry = ShardEntry { shard, info, tally };
            if let Some(journal) = self.journal.as_mut() {
                journal.append(&entry)?;
            }
            self.completed.push(entry);
        }
        Ok(())
    }
}

/// The recipe an interrupted run in `dir` was started with, read from its progress journal (with
/// the folder its relative paths start from), so that `generate --resume -o DIR` needs no
/// repeated options. `None` when there is no journal (or it predates recipes in journals).
pub fn journal_recipe(dir: &Path, shard: Option<ShardSpec>) -> Result<Option<Recipe>> {
    let Some((header, _)) = Journal::read(dir, shard)? else {
        return Ok(None);
    };
    if header.recipe.is_null() {
        return Ok(None);
    }
    let mut recipe: Recipe = serde_json::from_value(header.recipe).with_context(|| {
        format!(
            "the recipe in {}'s progress journal cannot be read by this version",
            dir.display()
        )
    })?;
    recipe.base_dir = header.base_dir;
    Ok(Some(recipe))
}

/// Runs a whole generation (or the rest of an interrupted one) and writes the manifest.
pub fn run(ctx: &Context, opts: &RunOptions) -> Result<Outcome> {
    let recipe = &ctx.recipe;
    let per_shard = u64::from(recipe.output.samples_per_shard);
    let header = RunHeader {
        // The JPEG encoder is part of the tool's identity: another encoder writes other bytes,
        // so a resume must not mix them and the manifest says which one made the data.
        tool: format!("hanzi-synth {}", crate::VERSION),
        device: opts.device.kind().to_string(),
        recipe_hash: ctx.recipe_hash.clone(),
        seed: recipe.seed,
        count: recipe.count,
        shard: opts.shard,
        recipe: serde_json::to_value(recipe)?,
        base_dir: std::path::absolute(&recipe.base_dir).unwrap_or_default(),
    };
    let streams = opts.streams();
    if streams && (opts.resume || opts.overwrite) {
        bail!("-o - writes to stdout: there is nothing to resume or overwrite");
    }
    if streams && recipe.output.format != OutputFormat::Webdataset {
        bail!("-o - streams WebDataset tar: the recipe's output.format must be webdataset");
    }
    let start = if streams {
        Start::Fresh
    } else {
        prepare_output_dir(&opts.out, &header, per_shard, opts.overwrite, opts.resume)?
    };
    let done = match start {
        Start::Complete => return Ok(Outcome::AlreadyComplete),
        Start::Fresh => Vec::new(),
        Start::Resume(done) => done,
    };
    let journal = if streams {
        None
    } else {
        Some(Journal::create(&opts.out, &header, opts.shard, &done)?)
    };
    let all_shards = run_shards(recipe.count, per_shard, opts.shard);
    let todo: Vec<u64> = all_shards
        .iter()
        .copied()
        .filter(|j| !done.iter().any(|d| d.shard == *j))
        .collect();
    let indices: Vec<u64> = todo
        .iter()
        .flat_map(|j| j * per_shard..((j + 1) * per_shard).min(recipe.count))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .context("cannot start worker threads")?;
    let sink: Box<dyn Sink> = match recipe.output.format {
        OutputFormat::Webdataset if streams => Box::new(StreamSink::new(
            std::io::BufWriter::with_capacity(1 << 20, std::io::stdout()),
        )),
        OutputFormat::Webdataset => Box::new(WebDatasetSink::new(&opts.out)),
        OutputFormat::Imagefolder => {
            let root = if recipe.output.labels_root.is_empty() {
                std::path::absolute(&opts.out)
                    .with_context(|| format!("cannot resolve {}", opts.out.display()))?
                    .display()
                    .to_string()
            } else {
                recipe.output.labels_root.clone()
            };
            let font_names = ctx
                .fonts
                .faces
                .iter()
                .map(|f| crate::schemas::byt5_font_name(&f.file, f.index))
                .collect();
            Box::new(ImageFolderSink::new(
                &opts.out,
                crate::schemas::ChunkContext { root, font_names },
            ))
        }
        OutputFormat::Lmdb => Box::new(LmdbSink::new(&opts.out)),
    };
    let bar = if opts.progress {
        let bar =
            ProgressBar::with_draw_target(Some(indices.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta}",
            )
            .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let stopped = || opts.stop.load(Ordering::SeqCst) != 0;
    let batch = (opts.threads * 16).max(16);
    let (tx, rx) = mpsc::sync_channel::<Vec<Made>>(2);
    let writer_bar = bar.clone();
    let stop = opts.stop.clone();
    let mut shard_writer = ShardWriter {
        sink,
        journal,
        per_shard,
        open: None,
        completed: done,
    };
    let writer = std::thread::spawn(move || -> (ShardWriter, Result<()>) {
        let body = || -> Result<()> {
            for chunk in rx {
                for made in chunk {
                    if stop.load(Ordering::SeqCst) != 0 {
                        return Ok(());
                    }
                    shard_writer.accept(made)?;
                    writer_bar.inc(1);
                }
            }
            if stop.load(Ordering::SeqCst) == 0 {
                shard_writer.close()?;
                shard_writer.sink.finish()?;
            }
            Ok(())
        };
        let result = body();
        // An error or a stop leaves the open shard unfinished: it must not survive.
        shard_writer.sink.discard();
        (shard_writer, result)
    });

    let failure: Option<anyhow::Error> = match &opts.device {
        Device::Cpu => {
            let mut failure = None;
            for next in indices.chunks(batch) {
                if stopped() {
                    break;
                }
                let made: Result<Vec<Made>> = pool.install(|| {
                    next.par_iter()
                        .map(|&i| {
                            produce_guarded(ctx, i).map(|(records, facts)| (i, records, facts))
                        })
                        .collect()
                });
                match made {
                    Ok(chunk) => {
                        if tx.send(chunk).is_err() {
                            break; // the writer failed; its error is reported below
                        }
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            failure
        }
        #[cfg(feature = "gpu")]
        Device::Gpu(g) => produce_on_gpu(ctx, indices.chunks(batch), &pool, g, &stopped, &tx),
    };
    drop(tx);
    let (shard_writer, written) = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer thread panicked"))?;
    bar.finish_and_clear();
    let mut completed = shard_writer.completed;
    let kept = completed.len();
    let kept_note = |e: anyhow::Error| {
        if streams {
            return e;
        }
        anyhow::anyhow!(
            "{e:#}\n{kept} completed shard(s) in {} are kept. If the cause lies outside the \
             recipe (disk space, permissions, an input file), fix it and finish with \
             `hanzi-synth generate --resume -o {}{}`; if the recipe must change, rerun with \
             --overwrite",
            opts.out.display(),
            opts.out.display(),
            opts.shard
                .map(|s| format!(" --shard {}/{}", s.k, s.n))
                .unwrap_or_default()
        )
    };
    if let Some(e) = failure.or(written.err()) {
        return Err(kept_note(e));
    }
    if completed.len() < all_shards.len() {
        let signal = opts.stop.load(Ordering::SeqCst) as i32;
        return Ok(Outcome::Interrupted {
            signal,
            shards_done: completed.len(),
            shards_total: all_shards.len(),
            samples_done: completed.iter().map(|e| e.tally.samples).sum(),
        });
    }
    completed.sort_by_key(|e| e.shard);
    let mut tally = Tally::default();
    for e in &completed {
        tally.merge(&e.tally);
    }
    let m = Manifest {
        tool: header.tool.clone(),
        device: opts.device.description(),
        recipe_hash: ctx.recipe_hash.clone(),
        seed: recipe.seed,
        count: recipe.count,
        samples: tally.samples,
        records: tally.records,
        shard: opts.shard,
        format: recipe.output.format,
        shards: completed.iter().map(|e| e.info.clone()).collect(),
        fonts: tally.fonts,
        backgrounds: tally.backgrounds,
        background_sources: tally.background_sources,
        directions: tally.directions,
        characters_covered: tally.chars.len(),
        characters: opts.shard.map(|_| tally.chars.iter().collect::<String>()),
        corpus_characters: ctx.corpus.chars.len(),
        corpus_words: ctx.corpus.words.len(),
        words_without_font: ctx.words_without_font,
        corpus_lines_skipped: ctx.corpus.skipped_lines.len(),
        corpus_lines_skipped_by_reason: crate::corpus::count_skips(&ctx.corpus.skipped_lines),
        exclude: ctx.corpus.exclude.clone(),
        charset: ctx.corpus.charset.as_ref().map(|c| c.report.clone()),
        quota: ctx.quota.as_ref().map(|q| q.report.clone()),
        text_resamples: tally.text_resamples,
        contrast_unmet: tally.contrast_unmet,
        contrast_fallbacks: tally.contrast_fallbacks.clone(),
        blocks: tally.blocks,
        blocks_dropped: tally.blocks_dropped,
        samples_with_dropped_blocks: tally.samples_with_dropped_blocks,
        curved_lines: tally.curved_lines,
        effects: tally.effects,
        camera_skipped: tally.camera_skipped,
        fonts_used: ctx
            .fonts
            .faces
            .iter()
            .map(|f| format!("{}#{}", f.file, f.index))
            .collect(),
        fonts_skipped: ctx.fonts.report.skipped.clone(),
        fonts_inkless_chars: ctx.fonts.report.inkless.clone(),
        backgrounds_skipped: ctx.backgrounds.skipped.clone(),
        recipe: recipe.clone(),
    };
    if streams {
        return Ok(Outcome::Complete(Box::new(m)));
    }
    write_manifest(&opts.out, &Manifest::file_name(opts.shard), &m).map_err(kept_note)?;
    if let Some(journal) = shard_writer.journal {
        journal.remove()?;
    }
    Ok(Outcome::Complete(Box::new(m)))
}

/// Writes a manifest atomically (a temporary file, synced, renamed): a folder with a manifest
/// is complete. `generate` and `merge` share it, so a merged manifest has the same bytes as
/// the single run's.
pub(crate) fn write_manifest(dir: &Path, name: &str, m: &Manifest) -> Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let text = serde_json::to_string_pretty(m)?;
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|()| std::fs::rename(&tmp, &path))
        .with_context(|| format!("cannot write {}", path.display()))?;
    crate::sink::sync_dir(dir);
    Ok(())
}

/// Chunks of samples on the GPU painter, as a three-stage pipeline so that no stage waits for
/// another: while the GPU paints chunk n (on a thread of its own), the worker pool plans chunk
/// n + 1 and encodes chunk n − 1. Chunks reach `tx` in order, so the output is the same bytes
/// as a sequential run; at most one chunk waits between two stages. Returns the first error.
#[cfg(feature = "gpu")]
fn produce_on_gpu<'a>(
    ctx: &Context,
    chunks: impl Iterator<Item = &'a [u64]>,
    pool: &rayon::ThreadPool,
    gpu: &Arc<crate::paint::gpu::Gpu>,
    stopped: &dyn Fn() -> bool,
    tx: &mpsc::SyncSender<Vec<Made>>,
) -> Option<anyhow::Error> {
    let (to_paint, planned) = mpsc::sync_channel::<Result<Vec<PlannedOnCpu>>>(1);
    let (to_encode, painted) = mpsc::sync_channel::<Result<Vec<(u64, crate::plan::Sample)>>>(1);
    std::thread::scope(|scope| {
        let painter = scope.spawn(move || {
            let mut painter = crate::paint::gpu::GpuPainter::new(gpu.clone());
            for chunk in planned {
                let made = chunk.and_then(|c| paint_chunk_on_gpu(ctx, &mut painter, c));
                let failed = made.is_err();
                if to_encode.send(made).is_err() || failed {
                    break;
                }
            }
        });
        let encoder = scope.spawn(move || -> Option<anyhow::Error> {
            for chunk in painted {
                let made = chunk.and_then(|c| encode_chunk(ctx, pool, c));
                match made {
                    Ok(chunk) => {
                        if tx.send(chunk).is_err() {
                            return None; // the writer failed; its error is reported later
                        }
                    }
                    Err(e) => return Some(e),
                }
            }
            None
        });
        for next in chunks {
            if stopped() {
                break;
            }
            let plans = plan_chunk(ctx, pool, next);
            let failed = plans.is_err();
            if to_paint.send(plans).is_err() || failed {
                break;
            }
        }
        drop(to_paint);
        let lost = |stage: &str| {
            anyhow::anyhow!(
                "internal error: the {stage} thread stopped unexpectedly (please report it)"
            )
        };
        let painted = painter.join().map_err(|_| lost("GPU painter"));
        let encoded = encoder.join().map_err(|_| lost("encoding"));
        painted.err().or(encoded.unwrap_or_else(Some))
    })
}

/// A plan made on the CPU and the background, if the planner painted it.
#[cfg(feature = "gpu")]
type PlannedOnCpu = (u64, crate::plan::Plan, Option<image::RgbImage>);

/// The planning stage of [`produce_on_gpu`]: every sample of the chunk planned on the pool.
#[cfg(feature = "gpu")]
fn plan_chunk(
    ctx: &Context,
    pool: &rayon::ThreadPool,
    indices: &[u64],
) -> Result<Vec<PlannedOnCpu>> {
    pool.install(|| {
        indices
            .par_iter()
            .map(|&i| {
                guarded(i, || {
                    crate::crop::plan_for_mode(ctx, i, &mut StageTimes::default())
                        .with_context(|| format!("sample {i}"))
                })
                .map(|(plan, bg)| (i, plan, bg))
            })
            .collect()
    })
}

/// The painting stage of [`produce_on_gpu`]: one submission per slice of at most
/// `GPU_BATCH_PIXELS` canvas pixels.
#[cfg(feature = "gpu")]
fn paint_chunk_on_gpu(
    ctx: &Context,
    painter: &mut crate::paint::gpu::GpuPainter,
    planned: Vec<PlannedOnCpu>,
) -> Result<Vec<(u64, crate::plan::Sample)>> {
    use crate::plan::{Plan, Sample};
    const GPU_BATCH_PIXELS: u64 = 16 << 20;
    let mut samples = Vec::with_capacity(planned.len());
    let mut rest = planned;
    while !rest.is_empty() {
        let (mut take, mut pixels) = (0, 0u64);
        while take < rest.len() && (take == 0 || pixels < GPU_BATCH_PIXELS) {
            pixels += u64::from(rest[take].1.width) * u64::from(rest[take].1.height);
            take += 1;
        }
        let tail = rest.split_off(take);
        let batch = std::mem::replace(&mut rest, tail);
        let (plans, backgrounds): (Vec<(u64, Plan)>, Vec<Option<image::RgbImage>>) =
            batch.into_iter().map(|(i, p, bg)| ((i, p), bg)).unzip();
        let images = painter
            .paint_batch(
                ctx,
                plans
                    .iter()
                    .zip(backgrounds)
                    .map(|((_, p), bg)| (p, bg))
                    .collect(),
                &mut StageTimes::default(),
            )
            .with_context(|| format!("samples {}..", plans[0].0))?;
        samples.extend(plans.into_iter().zip(images).map(|((i, plan), image)| {
            (
                i,
                Sample {
                    image,
                    meta: plan.meta,
                    blocks: plan.blocks,
                },
            )
        }));
    }
    Ok(samples)
}

/// The encoding stage of [`produce_on_gpu`]: every painted sample encoded on the pool.
#[cfg(feature = "gpu")]
fn encode_chunk(
    ctx: &Context,
    pool: &rayon::ThreadPool,
    samples: Vec<(u64, crate::plan::Sample)>,
) -> Result<Vec<Made>> {
    pool.install(|| {
        samples
            .into_par_iter()
            .map(|(i, sample)| {
                guarded(i, || {
                    finish_sample(ctx, i, sample, &mut StageTimes::default())
                })
                .map(|(records, facts, _)| (i, records, facts))
            })
            .collect()
    })
}

/// [`produce`], with a panic turned into an error naming the sample: one bad sample must stop
/// the run cleanly (completed shards kept), not abort the process mid-write.
fn produce_guarded(ctx: &Context, index: u64) -> Result<(Vec<EncodedSample>, SampleFacts)> {
    guarded(index, || produce(ctx, index, &mut StageTimes::default()))
}

/// Runs `make` (the making of sample `index`) with a panic turned into an error that names the
/// sample; shared by the CLI and the Python package.
pub fn guarded<T>(index: u64, make: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(make)).unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(anyhow::anyhow!(
            "internal error while making sample {index} (please report it): {why}"
        ))
    })
}

/// Wall time helper for summaries.
pub fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_parse_and_partition() {
        assert_eq!(
            "1/3".parse::<ShardSpec>().unwrap(),
            ShardSpec { k: 1, n: 3 }
        );
        assert!("3/3".parse::<ShardSpec>().is_err());
        assert!("x".parse::<ShardSpec>().is_err());
        let all: Vec<u64> = run_indices(25, 4, None).collect();
        let mut union: Vec<u64> = (0..3)
            .flat_map(|k| run_indices(25, 4, Some(ShardSpec { k, n: 3 })).collect::<Vec<_>>())
            .collect();
        union.sort();
        assert_eq!(all, union);
        let s1: Vec<u64> = run_indices(25, 4, Some(ShardSpec { k: 1, n: 3 })).collect();
        assert_eq!(s1, [4, 5, 6, 7, 16, 17, 18, 19]);
    }

    #[test]
    fn only_our_outputs_are_recognised() {
        assert_eq!(our_output("000001.tar"), Some(Some(1)));
        assert_eq!(our_output("000001.tar.tmp"), Some(Some(1)));
        assert_eq!(our_output("000012"), Some(Some(12)));
        assert_eq!(our_output("000012.tmp"), Some(Some(12)));
        for other in [
            "manifest.json",
            "manifest-shard-0-of-2.json.tmp",
            "progress.jsonl",
            "progress-shard-1-of-4.jsonl",
        ] {
            assert_eq!(our_output(other), Some(None), "{other}");
        }
        for theirs in ["notes.txt", "1.tar", "data", "0000001.tar", "00000a.tar"] {
            assert_eq!(our_output(theirs), None, "{theirs}");
        }
    }

    fn header(shard: Option<ShardSpec>) -> RunHeader {
        RunHeader {
            tool: "t".into(),
            device: "cpu".into(),
            recipe_hash: "h".into(),
            seed: 1,
            count: 10,
            shard,
            recipe: serde_json::Value::Null,
            base_dir: PathBuf::new(),
        }
    }

    fn folder(name: &str, files: &[&str]) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("hanzi-synth-prep-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for f in files {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        d
    }

    fn listing(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn output_folder_rules() {
        // Data present: refused without a flag; --overwrite removes only our files.
        let d = folder("refuse", &["000000.tar", "notes.txt"]);
        assert!(prepare_output_dir(&d, &header(None), 4, false, false).is_err());
        assert!(matches!(
            prepare_output_dir(&d, &header(None), 4, true, false).unwrap(),
            Start::Fresh
        ));
        assert_eq!(listing(&d), ["notes.txt"]);

        // A --shard run shares the folder with the other shard sets and clears only its own.
        let d = folder(
            "shards",
            &["000000.tar", "000001.tar", "manifest-shard-0-of-2.json"],
        );
        std::fs::write(
            d.join("manifest-shard-0-of-2.json"),
            r#"{"tool": "t", "recipe_hash": "h", "seed": 1, "count": 10}"#,
        )
        .unwrap();
        let spec = Some(ShardSpec { k: 1, n: 2 });
        assert!(prepare_output_dir(&d, &header(spec), 4, false, false).is_err());
        prepare_output_dir(&d, &header(spec), 4, true, false).unwrap();
        assert_eq!(listing(&d), ["000000.tar", "manifest-shard-0-of-2.json"]);
        assert!(prepare_output_dir(&d, &header(spec), 4, false, false).is_ok());
        // … but not with another run's shard set, even with --overwrite.
        let other = RunHeader {
            seed: 2,
            ..header(spec)
        };
        let err = prepare_output_dir(&d, &other, 4, true, false)
            .err()
            .expect("another run's shard set refuses this task");
        assert!(
            format!("{err:#}").contains("manifest-shard-0-of-2.json: recipe h seed 1"),
            "{err:#}"
        );

        // --resume of a run killed before its journal existed: temporaries go, start afresh.
        let d = folder("early-kill", &["progress.jsonl.tmp"]);
        assert!(matches!(
            prepare_output_dir(&d, &header(None), 4, false, true).unwrap(),
            Start::Fresh
        ));
        assert!(listing(&d).is_empty());
        // ... but finished shards without a journal cannot be trusted.
        let d = folder("no-journal", &["000000.tar"]);
        assert!(prepare_output_dir(&d, &header(None), 4, false, true).is_err());
        for name in ["refuse", "shards", "early-kill", "no-journal"] {
            std::fs::remove_dir_all(
                d.with_file_name(format!("hanzi-synth-prep-{}-{name}", std::process::id())),
            )
            .unwrap();
        }
    }

    #[test]
    fn shard_lists_partition_the_run() {
        assert_eq!(run_shards(10, 4, None), [0, 1, 2]);
        assert_eq!(run_shards(0, 4, None), Vec::<u64>::new());
        let s = Some(ShardSpec { k: 1, n: 2 });
        assert_eq!(run_shards(17, 4, s), [1, 3]);
    }
}
