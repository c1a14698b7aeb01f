//! `stats DIR`: what a dataset holds, read back from its records (not from its manifest, which
//! it is compared with): sample and record counts, character counts, corpus word coverage, and
//! the distributions of fonts, backgrounds, directions, layouts, text sizes and rotations — as
//! JSON and as a chart page — plus the integrity checks of `verify`.
//!
//! Records are observed while `verify` re-reads every shard, so one pass does both; shard
//! totals are merged, so memory does not grow with the record count (only with the number of
//! distinct characters and corpus words).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::corpus::Corpus;
use crate::recipe::CorpusConfig;

/// Corpus words by text, for coverage: which of them appear in the drawn lines.
pub struct WordIndex {
    ids: HashMap<String, usize>,
    longest: usize,
    pub count: usize,
}

impl WordIndex {
    pub fn new(words: impl IntoIterator<Item = String>) -> WordIndex {
        let mut ids = HashMap::new();
        let mut longest = 0;
        for w in words {
            longest = longest.max(w.chars().count());
            let n = ids.len();
            ids.entry(w).or_insert(n);
        }
        WordIndex {
            count: ids.len(),
            ids,
            longest,
        }
    }

    /// Marks every corpus word that occurs in `text` (any substring).
    fn mark(&self, text: &str, seen: &mut [bool]) {
        let chars: Vec<char> = text.chars().collect();
        let mut buf = String::new();
        for start in 0..chars.len() {
            buf.clear();
            for c in chars.iter().skip(start).take(self.longest) {
                buf.push(*c);
                if let Some(&id) = self.ids.get(&buf) {
                    seen[id] = true;
                }
            }
        }
    }
}

/// Running totals over records (mergeable across shards).
#[derive(Default)]
pub struct DatasetStats {
    words: Option<Arc<WordIndex>>,
    words_seen: Vec<bool>,
    pub scenes: u64,
    pub crops: u64,
    /// Scene indices the line crops come from.
    crop_scenes: std::collections::BTreeSet<u64>,
    pub lines: u64,
    pub chars: BTreeMap<char, u64>,
    pub fonts: BTreeMap<String, u64>,
    pub backgrounds: BTreeMap<String, u64>,
    pub directions: BTreeMap<String, u64>,
    pub curves: BTreeMap<String, u64>,
    pub aligns: BTreeMap<String, u64>,
    pub lines_per_block: BTreeMap<String, u64>,
    pub blocks_per_scene: BTreeMap<String, u64>,
    /// Text size (pixels per em) in 8-px bins, keyed by the bin's lower edge.
    pub sizes: BTreeMap<i64, u64>,
    /// Block rotation in 5° bins, keyed by the bin's lower edge.
    pub rotations: BTreeMap<i64, u64>,
    pub effects: BTreeMap<String, u64>,
    pub sizes_px: BTreeMap<String, u64>,
}

impl std::fmt::Debug for DatasetStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DatasetStats({} scenes, {} crops)",
            self.scenes, self.crops
        )
    }
}

fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, k: K) {
    *map.entry(k).or_default() += 1;
}

fn merge<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

fn bin(v: f64, width: f64) -> i64 {
    ((v / width).floor() * width) as i64
}

impl DatasetStats {
    pub fn new(words: Option<Arc<WordIndex>>) -> DatasetStats {
        let words_seen = vec![false; words.as_ref().map_or(0, |w| w.count)];
        DatasetStats {
            words,
            words_seen,
            ..DatasetStats::default()
        }
    }

    /// A fresh accumulator sharing this one's word index (one per shard).
    pub fn fork(&self) -> DatasetStats {
        DatasetStats::new(self.words.clone())
    }

    fn line(&mut self, text: &str, direction: &Value, size: Option<f64>) {
        self.lines += 1;
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            *self.chars.entry(c).or_default() += 1;
        }
        if let Some(w) = &self.words {
            w.mark(text, &mut self.words_seen);
        }
        bump(
            &mut self.directions,
            direction.as_str().unwrap_or("?").to_string(),
        );
        if let Some(s) = size {
            bump(&mut self.sizes, bin(s, 8.0));
        }
    }

    /// Takes one record's metadata (a scene's `KEY.json` or a line crop's).
    pub fn observe(&mut self, meta: &Value) {
        let empty = Vec::new();
        if let Some(lines) = meta["lines"].as_array() {
            self.scenes += 1;
            bump(
                &mut self.sizes_px,
                format!("{}×{}", meta["width"], meta["height"]),
            );
            bump(
                &mut self.backgrounds,
                meta["background"]["kind"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string(),
            );
            let mut fonts: Vec<String> = Vec::new();
            for l in lines {
                let text = l["text"].as_str().unwrap_or_default();
                self.line(text, &l["direction"], l["size"].as_f64());
                if !l["chars"].as_array().unwrap_or(&empty).is_empty() {
                    fonts.push(font_name(&l["font"]));
                }
            }
            // Fonts count once per sample per face, as in the manifest.
            fonts.sort();
            fonts.dedup();
            for f in fonts {
                bump(&mut self.fonts, f);
            }
            let blocks = meta["blocks"].as_array().unwrap_or(&empty);
            bump(&mut self.blocks_per_scene, blocks.len().to_string());
            for (b, block) in blocks.iter().enumerate() {
                bump(
                    &mut self.curves,
                    block["curve"].as_str().unwrap_or("none").to_string(),
                );
                bump(
                    &mut self.aligns,
                    block["align"].as_str().unwrap_or("?").to_string(),
                );
                if let Some(r) = block["rotation"].as_f64() {
                    bump(&mut self.rotations, bin(r, 5.0));
                }
                let n = lines.iter().filter(|l| l["block"] == b).count();
                bump(&mut self.lines_per_block, n.to_string());
            }
            for e in meta["effects"].as_str().unwrap_or_default().split("; ") {
                if let Some(name) = e.split(' ').next().filter(|n| !n.is_empty()) {
                    bump(&mut self.effects, name.to_string());
                }
            }
        } else {
            // A line crop: one line per record.
            self.crops += 1;
            if let Some(i) = meta["index"].as_u64() {
                self.crop_scenes.insert(i);
            }
            let text = meta["text"].as_str().unwrap_or_default();
            self.line(text, &meta["direction"], None);
            bump(&mut self.fonts, font_name(&meta["font"]));
            bump(
                &mut self.sizes_px,
                format!("{}×{}", meta["width"], meta["height"]),
            );
        }
    }

    pub fn absorb(&mut self, o: DatasetStats) {
        self.scenes += o.scenes;
        self.crops += o.crops;
        self.crop_scenes.extend(o.crop_scenes);
        self.lines += o.lines;
        merge(&mut self.chars, &o.chars);
        merge(&mut self.fonts, &o.fonts);
        merge(&mut self.backgrounds, &o.backgrounds);
        merge(&mut self.directions, &o.directions);
        merge(&mut self.curves, &o.curves);
        merge(&mut self.aligns, &o.aligns);
        merge(&mut self.lines_per_block, &o.lines_per_block);
        merge(&mut self.blocks_per_scene, &o.blocks_per_scene);
        merge(&mut self.sizes, &o.sizes);
        merge(&mut self.rotations, &o.rotations);
        merge(&mut self.effects, &o.effects);
        merge(&mut self.sizes_px, &o.sizes_px);
        for (a, b) in self.words_seen.iter_mut().zip(o.words_seen) {
            *a |= b;
        }
    }
}

fn font_name(font: &Value) -> String {
    format!(
        "{}#{}",
        font["file"].as_str().unwrap_or("?"),
        font["index"].as_u64().unwrap_or(0)
    )
}

/// Counts of the characters seen: how evenly the dataset covers them.
#[derive(Debug, Serialize)]
pub struct CharCounts {
    pub distinct: usize,
    pub total: u64,
    pub min: u64,
    pub median: u64,
    pub max: u64,
    /// The ten most and least frequent characters with their counts.
    pub most: Vec<(String, u64)>,
    pub least: Vec<(String, u64)>,
}

/// Corpus words that appear in the drawn text.
#[derive(Debug, Serialize)]
pub struct WordCoverage {
    pub corpus_words: usize,
    pub words_seen: usize,
    pub share: f64,
}

/// The JSON `stats` writes.
#[derive(Debug, Serialize)]
pub struct StatsReport {
    pub dir: String,
    /// False for an interrupted run (no manifest): the counts cover its completed shards.
    pub complete: bool,
    pub samples: u64,
    pub records: u64,
    pub lines: u64,
    pub characters: CharCounts,
    /// Per level of the 2013 standard list (3,500 / 3,000 / 1,605 characters): how many of
    /// its characters appear, their appearances, the fewest appearances of one, the first
    /// missing ones.
    pub standard_levels: Vec<crate::tiers::TierCoverage>,
    /// Absent when the corpus named by the manifest's recipe cannot be read here.
    pub corpus_coverage: Option<WordCoverage>,
    pub fonts: BTreeMap<String, u64>,
    pub backgrounds: BTreeMap<String, u64>,
    pub directions: BTreeMap<String, u64>,
    pub curves: BTreeMap<String, u64>,
    pub aligns: BTreeMap<String, u64>,
    pub lines_per_block: BTreeMap<String, u64>,
    pub blocks_per_scene: BTreeMap<String, u64>,
    pub text_size_px_bins: BTreeMap<i64, u64>,
    pub rotation_deg_bins: BTreeMap<i64, u64>,
    pub effects: BTreeMap<String, u64>,
    pub image_sizes: BTreeMap<String, u64>,
    /// `verify`'s findings: every image decodes at its size, every label's characters exist in
    /// its font, every quad lies inside the image, shards match the manifest.
    pub integrity: Integrity,
}

#[derive(Debug, Serialize)]
pub struct Integrity {
    pub ok: bool,
    pub problem_count: u64,
    pub problems: Vec<String>,
    pub lines_with_unreadable_font: u64,
}

/// Corpus words of the run whose manifest is in `dir` (the recipe's corpus settings).
fn corpus_words(dir: &Path) -> Option<WordIndex> {
    let name = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("manifest") && n.ends_with(".json"))
        .min()?;
    let m: Value = serde_json::from_slice(&std::fs::read(dir.join(name)).ok()?).ok()?;
    let cfg: CorpusConfig = serde_json::from_value(m["recipe"]["corpus"].clone()).ok()?;
    // Real text (`corpus.text`) is drawn as paragraphs broken over lines: no word list to count.
    if cfg.text.is_some() {
        return None;
    }
    let corpus = Corpus::load(&cfg).ok()?;
    Some(WordIndex::new(corpus.words.into_iter().map(|w| w.text)))
}

/// Reads every record of `dir` once: statistics and integrity; also returns every distinct
/// character's count (for the chart).
pub fn dataset_stats(dir: &Path) -> Result<(StatsReport, Vec<u64>)> {
    let words = corpus_words(dir).map(Arc::new);
    let (report, stats) = crate::verify::verify_observing(dir, DatasetStats::new(words.clone()))?;
    let mut counts: Vec<(char, u64)> = stats.chars.iter().map(|(c, n)| (*c, *n)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let sorted: Vec<u64> = {
        let mut v: Vec<u64> = counts.iter().map(|c| c.1).collect();
        v.sort_unstable();
        v
    };
    let pick = |it: &mut dyn Iterator<Item = &(char, u64)>| -> Vec<(String, u64)> {
        it.take(10).map(|(c, n)| (c.to_string(), *n)).collect()
    };
    let characters = CharCounts {
        distinct: counts.len(),
        total: sorted.iter().sum(),
        min: sorted.first().copied().unwrap_or(0),
        median: sorted.get(sorted.len() / 2).copied().unwrap_or(0),
        max: sorted.last().copied().unwrap_or(0),
        most: pick(&mut counts.iter()),
        least: pick(&mut counts.iter().rev()),
    };
    let standard_levels = crate::tiers::coverage(|c| stats.chars.get(&c).copied().unwrap_or(0));
    let corpus_coverage = words.map(|w| {
        let seen = stats.words_seen.iter().filter(|s| **s).count();
        WordCoverage {
            corpus_words: w.count,
            words_seen: seen,
            share: (seen as f64 / w.count.max(1) as f64 * 1e4).round() / 1e4,
        }
    });
    let samples = stats.scenes + stats.crop_scenes.len() as u64;
    Ok((
        StatsReport {
            dir: dir.display().to_string(),
            complete: !report.interrupted,
            samples,
            records: report.records,
            lines: stats.lines,
            characters,
            standard_levels,
            corpus_coverage,
            fonts: stats.fonts,
            backgrounds: stats.backgrounds,
            directions: stats.directions,
            curves: stats.curves,
            aligns: stats.aligns,
            lines_per_block: stats.lines_per_block,
            blocks_per_scene: stats.blocks_per_scene,
            text_size_px_bins: stats.sizes,
            rotation_deg_bins: stats.rotations,
            effects: stats.effects,
            image_sizes: stats.sizes_px,
            integrity: Integrity {
                ok: report.ok(),
                problem_count: report.problem_count,
                problems: report.problems,
                lines_with_unreadable_font: report.fonts_unchecked,
            },
        },
        sorted,
    ))
}

/// Bars for one panel: (label, count).
type Bars = Vec<(String, u64)>;

fn bars<K: ToString>(map: &BTreeMap<K, u64>) -> Bars {
    map.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Bars for binned values: each bin labelled with its range (`16 to 24`: from 16, below 24).
fn bins(map: &BTreeMap<i64, u64>, width: i64) -> Bars {
    map.iter()
        .map(|(k, v)| (format!("{k} to {}", k + width), *v))
        .collect()
}

/// The largest `keep` bars by count, in their original order, the rest summed as "other": a
/// panel stays readable with many fonts or effects.
fn largest(mut data: Bars, keep: usize) -> Bars {
    if data.len() <= keep {
        return data;
    }
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|a, b| data[*b].1.cmp(&data[*a].1).then(a.cmp(b)));
    let shown: std::collections::BTreeSet<usize> = order[..keep - 1].iter().copied().collect();
    let other: u64 = (0..data.len())
        .filter(|i| !shown.contains(i))
        .map(|i| data[i].1)
        .sum();
    let mut i = 0;
    data.retain(|_| {
        i += 1;
        shown.contains(&(i - 1))
    });
    data.push(("other".into(), other));
    data
}

/// A font as a person names it: the file name without folder, extension or face index 0.
fn font_label(key: &str) -> String {
    let (file, index) = key.rsplit_once('#').unwrap_or((key, "0"));
    let name = file.rsplit('/').next().unwrap_or(file);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    if index == "0" {
        stem.to_string()
    } else {
        format!("{stem} #{index}")
    }
}

/// Distinct characters per count band (1, 2–3, 4–7, …): how evenly characters are covered.
fn count_bands(all: &[u64]) -> Bars {
    let mut bands: BTreeMap<u32, u64> = BTreeMap::new();
    for n in all {
        *bands.entry(63 - n.max(&1).leading_zeros()).or_default() += 1;
    }
    bands
        .into_iter()
        .map(|(b, k)| {
            let lo = 1u64 << b;
            let label = if lo == 1 {
                "1".to_string()
            } else {
                format!("{lo}-{}", 2 * lo - 1)
            };
            (label, k)
        })
        .collect()
}

/// The chart page: one horizontal bar panel per distribution `stats.json` holds, labels in the
/// bundled sans face, counts on integer axes.
pub fn chart_png(report: &StatsReport, char_counts: &[u64]) -> Result<Vec<u8>> {
    use plotters::prelude::*;
    // Labels in the bundled sans face (ab_glyph reads its CFF outlines); registering twice
    // is harmless.
    let _ = plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        crate::fonts::BUNDLED_FONTS[0].data,
    );
    const MOST_BARS: usize = 16;
    let panels: Vec<(&str, Bars)> = vec![
        ("distinct characters by count", count_bands(char_counts)),
        (
            "fonts (samples)",
            report
                .fonts
                .iter()
                .map(|(k, v)| (font_label(k), *v))
                .collect(),
        ),
        ("backgrounds (samples)", bars(&report.backgrounds)),
        ("image sizes (samples)", bars(&report.image_sizes)),
        ("blocks per scene", bars(&report.blocks_per_scene)),
        ("lines per block", bars(&report.lines_per_block)),
        ("directions (lines)", bars(&report.directions)),
        ("curves (lines)", bars(&report.curves)),
        ("alignment (blocks)", bars(&report.aligns)),
        (
            "text size, px per em (lines)",
            bins(&report.text_size_px_bins, 8),
        ),
        (
            "block rotation, degrees",
            bins(&report.rotation_deg_bins, 5),
        ),
        ("effects (samples)", bars(&report.effects)),
    ];
    let (w, h) = (1800u32, 1320u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let (title, body) = root.split_vertically(50);
        title.draw_text(
            &format!(
                "{}{}: {} samples, {} records, {} lines, {} distinct characters{}",
                report.dir,
                if report.complete {
                    ""
                } else {
                    " (interrupted run: completed shards)"
                },
                report.samples,
                report.records,
                report.lines,
                report.characters.distinct,
                report
                    .corpus_coverage
                    .as_ref()
                    .map(|c| format!(
                        ", {:.1}% of {} corpus words",
                        c.share * 100.0,
                        c.corpus_words
                    ))
                    .unwrap_or_default()
            ),
            &("sans-serif", 22).into_font().color(&BLACK),
            (16, 14),
        )?;
        for (area, (name, data)) in body.split_evenly((3, 4)).iter().zip(panels) {
            let data = largest(data, MOST_BARS);
            // The bundled fonts draw no `×`.
            let data: Bars = data
                .into_iter()
                .map(|(l, v)| (l.replace('×', "x"), v))
                .collect();
            let n = data.len().max(1) as u32;
            let top = data.iter().map(|d| d.1).max().unwrap_or(0).max(1);
            // Room past the longest bar for its count.
            let right = top + top / 5 + 1;
            let mut chart = ChartBuilder::on(area)
                .caption(name, ("sans-serif", 20))
                .margin(10)
                .x_label_area_size(28)
                .y_label_area_size(150)
                // n segments (a segmented 0..k range has k + 1; at least two).
                .build_cartesian_2d(0u64..right, (0..(n - 1).max(1)).into_segmented())?;
            let labels: Vec<String> = data.iter().map(|d| d.0.clone()).collect();
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE)
                .y_labels(n as usize + 1)
                .y_label_formatter(&|y| match y {
                    SegmentValue::CenterOf(i) => (n - 1)
                        .checked_sub(*i)
                        .and_then(|row| labels.get(row as usize))
                        .map(|l| l.chars().take(22).collect())
                        .unwrap_or_default(),
                    _ => String::new(),
                })
                .x_labels(5)
                .x_label_formatter(&|x| x.to_string())
                .label_style(("sans-serif", 14))
                .draw()?;
            // First category at the top.
            chart.draw_series(data.iter().enumerate().map(|(i, d)| {
                let row = n - 1 - i as u32;
                let mut bar = Rectangle::new(
                    [
                        (0, SegmentValue::Exact(row)),
                        (d.1, SegmentValue::Exact(row + 1)),
                    ],
                    RGBColor(70, 110, 180).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }))?;
            chart.draw_series(data.iter().enumerate().map(|(i, d)| {
                let row = n - 1 - i as u32;
                Text::new(
                    d.1.to_string(),
                    (d.1 + top / 100, SegmentValue::CenterOf(row)),
                    ("sans-serif", 13).into_font(),
                )
            }))?;
        }
        root.present()?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).context("chart buffer size")?;
    crate::encode::encode(&img, crate::recipe::ImageFormat::Png, 90)
}
