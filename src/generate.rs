//! Generate: renders samples on all cores and streams them, in index order, into a sink.
//!
//! Samples are made in batches on a rayon pool and handed to one writer thread through a
//! bounded channel, so memory stays constant for any run length and the output order (hence
//! the bytes) never depends on the thread count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::composite::CpuCompositor;
use crate::crop::line_crops;
use crate::encode::encode;
use crate::recipe::{OutputFormat, OutputMode, Recipe};
use crate::scene::{render_sample, sample_key, Context, StageTimes};
use crate::sink::{EncodedSample, ImageFolderSink, ShardInfo, Sink, WebDatasetSink};

/// `--shard k/N`: this machine makes the output shards `j` with `j % N == k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
    pub out: PathBuf,
    pub threads: usize,
    pub shard: Option<ShardSpec>,
    pub progress: bool,
    pub overwrite: bool,
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
    blocks: u64,
    blocks_dropped: u64,
    curved_lines: u64,
    effects: Vec<String>,
    camera_skipped: bool,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub tool: String,
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
    pub corpus_characters: usize,
    pub corpus_words: usize,
    pub words_without_font: usize,
    pub text_resamples: u64,
    /// Samples where some block's colour could not reach `color.min_contrast`.
    pub contrast_unmet: u64,
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
    pub backgrounds_skipped: Vec<(String, String)>,
    pub threads: usize,
    pub elapsed_seconds: f64,
    pub recipe: Recipe,
}

impl Manifest {
    pub fn file_name(shard: Option<ShardSpec>) -> String {
        match shard {
            None => "manifest.json".into(),
            Some(s) => format!("manifest-shard-{}-of-{}.json", s.k, s.n),
        }
    }
}

/// Makes one sample ready to store: render, encode, serialise. A scene gives one record; in
/// line-crop mode it gives one record per text line.
pub fn produce(
    ctx: &Context,
    index: u64,
    times: &mut StageTimes,
) -> Result<(Vec<EncodedSample>, SampleFacts)> {
    let mut compositor = CpuCompositor;
    let sample = render_sample(ctx, index, &mut compositor, times)
        .with_context(|| format!("sample {index}"))?;
    let t = Instant::now();
    let out = &ctx.recipe.output;
    let ext = out.image_format.extension();
    let records = match out.mode {
        OutputMode::Scenes => vec![EncodedSample {
            index,
            key: sample_key(index),
            image: encode(&sample.image, out.image_format, out.jpeg_quality)?,
            image_ext: ext,
            caption: sample.meta.caption.clone(),
            meta_json: serde_json::to_string(&sample.meta)?,
        }],
        OutputMode::LineCrops => line_crops(&sample, out)
            .into_iter()
            .map(|c| {
                Ok(EncodedSample {
                    index,
                    key: c.meta.key.clone(),
                    image: encode(&c.image, out.image_format, out.jpeg_quality)?,
                    image_ext: ext,
                    caption: c.meta.text.clone(),
                    meta_json: serde_json::to_string(&c.meta)?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
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
        background_source: if meta.background.kind == crate::recipe::BackgroundKind::Photo {
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
    Ok((records, facts))
}

/// Running totals of the facts, kept by the writer: constant memory for any run length.
#[derive(Default)]
struct Tally {
    samples: u64,
    records: u64,
    fonts: BTreeMap<String, u64>,
    backgrounds: BTreeMap<String, u64>,
    background_sources: BTreeMap<String, u64>,
    directions: BTreeMap<String, u64>,
    chars: std::collections::BTreeSet<char>,
    text_resamples: u64,
    contrast_unmet: u64,
    blocks: u64,
    blocks_dropped: u64,
    samples_with_dropped_blocks: u64,
    curved_lines: u64,
    effects: BTreeMap<String, u64>,
    camera_skipped: u64,
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
        self.blocks += f.blocks;
        self.blocks_dropped += f.blocks_dropped;
        self.samples_with_dropped_blocks += u64::from(f.blocks_dropped > 0);
        self.curved_lines += f.curved_lines;
        for e in f.effects {
            *self.effects.entry(e).or_default() += 1;
        }
        self.camera_skipped += u64::from(f.camera_skipped);
    }
}

/// Names this tool writes into an output folder (anything else there is left alone).
fn is_our_output(name: &str) -> bool {
    let digits6 = |s: &str| s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_suffix(".tar").is_some_and(digits6)
        || name.strip_suffix(".tar.tmp").is_some_and(digits6)
        || digits6(name)
        || (name.starts_with("manifest") && name.ends_with(".json"))
}

/// Refuses a folder that already holds data unless `overwrite`, then removes our old outputs.
pub fn prepare_output_dir(dir: &Path, overwrite: bool) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("output {} exists and is not a folder", dir.display());
        }
        let entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read output folder {}", dir.display()))?
            .flatten()
            .collect();
        if !entries.is_empty() && !overwrite {
            bail!(
                "output folder {} is not empty; pass --overwrite to replace what hanzi-synth wrote there",
                dir.display()
            );
        }
        for e in entries {
            let name = e.file_name().to_string_lossy().to_string();
            if is_our_output(&name) {
                let p = e.path();
                if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                }
                .with_context(|| format!("cannot remove {}", p.display()))?;
            }
        }
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))
}

/// Runs a whole generation and writes the manifest.
pub fn run(ctx: &Context, opts: &RunOptions) -> Result<Manifest> {
    let started = Instant::now();
    let recipe = &ctx.recipe;
    prepare_output_dir(&opts.out, opts.overwrite)?;
    let per_shard = u64::from(recipe.output.samples_per_shard);
    let total = run_indices(recipe.count, per_shard, opts.shard).count() as u64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .context("cannot start worker threads")?;
    let mut sink: Box<dyn Sink> = match recipe.output.format {
        OutputFormat::Webdataset => Box::new(WebDatasetSink::new(
            &opts.out,
            recipe.output.samples_per_shard,
        )),
        OutputFormat::Imagefolder => Box::new(ImageFolderSink::new(
            &opts.out,
            recipe.output.samples_per_shard,
        )),
    };
    let bar = if opts.progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
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

    let batch = (opts.threads * 16).max(16);
    let (tx, rx) = mpsc::sync_channel::<Vec<(Vec<EncodedSample>, SampleFacts)>>(2);
    let writer_bar = bar.clone();
    let writer = std::thread::spawn(move || -> Result<(Tally, Vec<ShardInfo>)> {
        let mut tally = Tally::default();
        for chunk in rx {
            for (records, f) in chunk {
                for record in &records {
                    sink.write(record)?;
                }
                tally.records += records.len() as u64;
                tally.add(f);
                writer_bar.inc(1);
            }
        }
        let shards = sink.finish()?;
        Ok((tally, shards))
    });

    let mut indices = run_indices(recipe.count, per_shard, opts.shard);
    let mut failure: Option<anyhow::Error> = None;
    loop {
        let next: Vec<u64> = indices.by_ref().take(batch).collect();
        if next.is_empty() {
            break;
        }
        let made: Result<Vec<_>> = pool.install(|| {
            next.par_iter()
                .map(|&i| produce(ctx, i, &mut StageTimes::default()))
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
    drop(tx);
    let written = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer thread panicked"))?;
    bar.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    let (tally, shards) = written?;

    let mut m = Manifest {
        tool: format!("hanzi-synth {}", env!("CARGO_PKG_VERSION")),
        recipe_hash: ctx.recipe_hash.clone(),
        seed: recipe.seed,
        count: recipe.count,
        samples: tally.samples,
        records: tally.records,
        shard: opts.shard,
        format: recipe.output.format,
        shards,
        fonts: tally.fonts,
        backgrounds: tally.backgrounds,
        background_sources: tally.background_sources,
        directions: tally.directions,
        characters_covered: tally.chars.len(),
        corpus_characters: ctx.corpus.chars.len(),
        corpus_words: ctx.corpus.words.len(),
        words_without_font: ctx.words_without_font,
        text_resamples: tally.text_resamples,
        contrast_unmet: tally.contrast_unmet,
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
        backgrounds_skipped: ctx.backgrounds.skipped.clone(),
        threads: opts.threads,
        elapsed_seconds: 0.0,
        recipe: recipe.clone(),
    };
    m.elapsed_seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let path = opts.out.join(Manifest::file_name(opts.shard));
    let text = serde_json::to_string_pretty(&m)?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(m)
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
        for ours in [
            "000001.tar",
            "000001.tar.tmp",
            "000002",
            "manifest.json",
            "manifest-shard-0-of-2.json",
        ] {
            assert!(is_our_output(ours), "{ours}");
        }
        for theirs in ["notes.txt", "1.tar", "data", "0000001.tar"] {
            assert!(!is_our_output(theirs), "{theirs}");
        }
    }
}
