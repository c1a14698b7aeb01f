//! The judge: a small glyph classifier that reads which character of the vocabulary a picture
//! shows. It is trained only on clean renders of the vocabulary (plain light grounds, dark ink,
//! every font of the run, a range of sizes, small rotations and shifts) made by the generator
//! with a seed of its own, and never sees the diffusion model or its training pictures. Every
//! report carries its validation: accuracy on held-out clean renders and on noise pictures.
//! It has one more class than the vocabulary, "no character", trained on what a half-trained
//! model draws instead of a glyph — chimeras (halves of two different characters), blank grounds,
//! grain and blobs — so a fake hanzi reads as nothing rather than as its nearest character.
//! Pictures it is unsure of (top probability below [`CONFIDENT`]) read as nothing too.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Int, TensorData};
use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::data::example_from_generator;
use crate::recipe::{Recipe, DEFAULT_RECIPE_YAML};
use crate::rng::Rng;
use crate::scene::Context;

/// The judge's input side: every picture is resized to it.
pub const SIDE: usize = 32;
/// Below this top probability a picture reads as nothing (counted wrong). Calibrated against
/// an independent OCR (PP-OCR's recogniser, `benches/judge-vs-ocr.py --sweep`) on samples kept
/// apart from every reported evaluation: 0.7 agreed best with it (Cohen's kappa) and read as
/// many pictures as it; 0.5 accepted half-formed glyphs the OCR rejects (README, "The judge").
pub const CONFIDENT: f32 = 0.7;
/// Bumped whenever the judge's training changes, so saved judges are retrained.
pub const VERSION: u32 = 3;
/// Clean renders per character for training and for the held-out check.
const TRAIN_PER_CHAR: u64 = 240;
const HELD_OUT_PER_CHAR: u64 = 30;
const NOISE_PICTURES: usize = 400;

#[derive(Module, Debug)]
pub struct GlyphNet {
    c1: Conv2d,
    n1: GroupNorm,
    c2: Conv2d,
    n2: GroupNorm,
    c3: Conv2d,
    n3: GroupNorm,
    pool: MaxPool2d,
    gap: AdaptiveAvgPool2d,
    head: Linear,
}

impl GlyphNet {
    pub fn new(classes: usize, device: &Device) -> GlyphNet {
        let conv = |i, o| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        GlyphNet {
            c1: conv(1, 32),
            n1: GroupNormConfig::new(8, 32).init(device),
            c2: conv(32, 64),
            n2: GroupNormConfig::new(8, 64).init(device),
            c3: conv(64, 128),
            n3: GroupNormConfig::new(8, 128).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            gap: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            head: LinearConfig::new(128, classes).init(device),
        }
    }

    /// `[B, 1, 32, 32]` standardised grey pictures → logits `[B, classes]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(relu(self.n1.forward(self.c1.forward(x))));
        let x = self.pool.forward(relu(self.n2.forward(self.c2.forward(x))));
        let x = relu(self.n3.forward(self.c3.forward(x)));
        let [b, c, _, _] = x.dims();
        self.head.forward(self.gap.forward(x).reshape([b, c]))
    }
}

/// A picture as the judge sees it: grey, resized to 32², standardised (zero mean, unit spread),
/// so ink and ground colours do not matter, only shapes.
pub fn judge_input(img: &RgbImage) -> Vec<f32> {
    let small = if img.width() as usize == SIDE && img.height() as usize == SIDE {
        img.clone()
    } else {
        image::imageops::resize(
            img,
            SIDE as u32,
            SIDE as u32,
            image::imageops::FilterType::Triangle,
        )
    };
    let grey: Vec<f32> = small
        .pixels()
        .map(|p| 0.299 * f32::from(p.0[0]) + 0.587 * f32::from(p.0[1]) + 0.114 * f32::from(p.0[2]))
        .collect();
    let n = grey.len() as f32;
    let mean = grey.iter().sum::<f32>() / n;
    let var = grey.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
    let sd = var.sqrt().max(8.0);
    grey.iter().map(|v| (v - mean) / sd).collect()
}

/// The judge's reading of one picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// The most likely class: a character, or None for "no character".
    pub best: Option<char>,
    /// That class's probability.
    pub confidence: f32,
    threshold: f32,
}

impl Reading {
    /// What the picture reads as: its most likely character when the judge is sure enough,
    /// else nothing (counted wrong).
    pub fn text(&self) -> Option<char> {
        self.best.filter(|_| self.confidence >= self.threshold)
    }
}

/// What the judge was trained on and how well it reads, stored as `judge.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JudgeInfo {
    pub chars: Vec<char>,
    /// The fonts of the clean renders (families and files).
    pub fonts: Vec<String>,
    pub train_pictures: usize,
    /// How the judge was made ([`VERSION`]); a judge folder of an older version is retrained.
    #[serde(default)]
    pub version: u32,
    /// The seed of its clean renders and training.
    #[serde(default)]
    pub seed: u64,
    /// Top probability below which a picture reads as nothing.
    #[serde(default = "old_threshold")]
    pub threshold: f32,
    pub validation: Validation,
}

/// Judges saved before the threshold was recorded used 0.5.
fn old_threshold() -> f32 {
    0.5
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Validation {
    /// Share of held-out clean renders (another seed) read correctly.
    pub clean_accuracy: f64,
    pub clean_pictures: usize,
    /// Share of noise pictures whose reading matches a random prompt (chance = 1 / classes,
    /// lower when the judge reads noise as nothing).
    pub noise_accuracy: f64,
    /// Share of noise pictures read as any character at all.
    pub noise_read_as_text: f64,
    pub noise_pictures: usize,
    /// Share of held-out chimeras (top and bottom, or left and right, from two different
    /// characters) read as a character: fake glyphs should read as nothing.
    pub chimeras_read_as_text: f64,
    pub chimera_pictures: usize,
    /// Share of held-out overlays (two characters drawn over each other) and partial glyphs
    /// (a third or more of the ink painted over) read as a character.
    #[serde(default)]
    pub near_misses_read_as_text: f64,
    #[serde(default)]
    pub near_miss_pictures: usize,
    pub chance: f64,
}

pub struct Judge {
    net: GlyphNet,
    pub info: JudgeInfo,
    device: Device,
}

/// The clean-render recipe: the vocabulary one character per picture in the run's fonts,
/// plain grounds, no effects.
fn clean_recipe(fonts_from: &Recipe, vocab_file: &Path, seed: u64) -> Result<Recipe> {
    let base = Recipe::from_yaml(DEFAULT_RECIPE_YAML, "judge recipe")?;
    let src = vocab_file.display().to_string();
    let sets: Vec<String> = [
        format!("seed={seed}"),
        "canvas.width=32".into(),
        "canvas.height=32".into(),
        format!("corpus.source=\"{}\"", src.replace('"', "\\\"")),
        "corpus.top=0".into(),
        "corpus.sampling=uniform".into(),
        "corpus.lines=[1,1]".into(),
        "corpus.words_per_line=[1,1]".into(),
        "corpus.max_chars_per_line=1".into(),
        "corpus.digits=0".into(),
        "corpus.latin=0".into(),
        "corpus.exclude=\"\"".into(),
        "text.direction={horizontal: 1}".into(),
        "text.size=[16.0, 28.0]".into(),
        "text.min_size=14.0".into(),
        "text.letter_spacing=[0.0, 0.0]".into(),
        "text.margin=0.03".into(),
        "layout.blocks=[1,1]".into(),
        "layout.title=0".into(),
        "layout.curve=0".into(),
        "placement.prefer_smooth=0".into(),
        "color.min_contrast=7.0".into(),
        "color.palette=[\"#000000\", \"#202020\", \"#102040\", \"#501010\"]".into(),
        "style.fill={solid: 1}".into(),
        "style.stroke=0".into(),
        "style.shadow=0".into(),
        "style.glow=0".into(),
        "style.plate=0".into(),
        "style.weathering=0".into(),
        "backgrounds.kinds={solid: 1, linear_gradient: 1}".into(),
        "backgrounds.colors=[\"#ffffff\", \"#f4f0e6\", \"#eeeeee\", \"#e4ecf2\"]".into(),
        "warp={probability: 0.3, strength: [0.01, 0.05], rotation: [-6.0, 6.0]}".into(),
        "effects.camera.probability=0".into(),
        "effects.color_jitter.probability=0".into(),
        "effects.vignette.probability=0".into(),
        "effects.gaussian_blur.probability=0".into(),
        "effects.motion_blur.probability=0".into(),
        "effects.noise.probability=0".into(),
        "effects.jpeg.probability=0".into(),
    ]
    .into();
    let mut r = base.with_overrides(&sets)?;
    r.fonts = fonts_from.fonts.clone();
    r.base_dir = fonts_from.base_dir.clone();
    // The corpus file is given as an absolute path (or relative to the current folder).
    r.corpus.source = std::path::absolute(vocab_file)?.display().to_string();
    Ok(r)
}

/// Renders `n` clean pictures of the clean recipe from index `first`, with their characters.
fn renders(ctx: &Context, first: u64, n: u64) -> Result<Vec<(Vec<f32>, char)>> {
    (first..first + n)
        .into_par_iter()
        .map(|i| {
            let e = example_from_generator(ctx, i)?;
            let img =
                RgbImage::from_raw(e.side as u32, e.side as u32, e.rgb).context("render size")?;
            let c = e.text.chars().next().context("a render without text")?;
            Ok((judge_input(&img), c))
        })
        .collect()
}

/// The held-out clean renders: far past the training indices (sample i depends only on the
/// seed and i).
fn held_out(ctx: &Context, chars: u64) -> Result<Vec<(Vec<f32>, char)>> {
    renders(ctx, 1 << 40, chars * HELD_OUT_PER_CHAR)
}

fn to_tensor(xs: &[&[f32]], device: &Device) -> Tensor<4> {
    let flat: Vec<f32> = xs.iter().flat_map(|x| x.iter().copied()).collect();
    Tensor::from_data(TensorData::new(flat, [xs.len(), 1, SIDE, SIDE]), device)
}

impl Judge {
    /// Trains a judge for `chars` (one character per picture) with the fonts of `fonts_from`,
    /// validates it and saves it in `dir`.
    pub fn train(
        dir: &Path,
        chars: &[char],
        fonts_from: &Recipe,
        seed: u64,
        quiet: bool,
    ) -> Result<Judge> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let vocab_file = dir.join("vocab.tsv");
        let list: String = chars.iter().map(|c| format!("{c}\t1\n")).collect();
        std::fs::write(&vocab_file, list)?;
        let ctx = Context::new(clean_recipe(fonts_from, &vocab_file, seed)?)?;
        let mut fonts: Vec<String> = ctx
            .fonts
            .faces
            .iter()
            .map(|f| format!("{} ({})", f.family, f.file))
            .collect();
        fonts.dedup();
        let n = chars.len() as u64;
        if !quiet {
            eprintln!(
                "judge: rendering {} clean pictures of {} characters in {} fonts",
                n * (TRAIN_PER_CHAR + HELD_OUT_PER_CHAR),
                n,
                fonts.len()
            );
        }
        let train = renders(&ctx, 0, n * TRAIN_PER_CHAR)?;
        let held = held_out(&ctx, n)?;
        let device = super::trainer::device().autodiff();
        device.seed(seed);
        let index_of = |c: char| chars.iter().position(|&x| x == c);
        let reject = chars.len();
        let mut train: Vec<(Vec<f32>, Option<char>)> =
            train.into_iter().map(|(x, c)| (x, Some(c))).collect();
        let mut neg_rng = Rng::new(seed).fork("judge-negatives");
        let negatives = negative_inputs(&train, train.len() / 2, &mut neg_rng);
        train.extend(negatives.into_iter().map(|x| (x, None)));
        let mut net = GlyphNet::new(chars.len() + 1, &device);
        let mut optim = AdamWConfig::new().with_weight_decay(1e-4).init();
        let loss_fn = CrossEntropyLossConfig::new()
            .with_smoothing(Some(0.05))
            .init(&device);
        let batch = 64;
        // 20, not 12 (version 2): burn's CPU kernels differ by instruction set (AVX2, AVX-512),
        // so the same seed trains a slightly different net on another CPU; after 12 epochs the
        // 20-character judge read 98.2% of held-out clean renders on one and 97.7% on another,
        // after 20 it reads 99.5% (chimeras and near misses read as text no more often).
        let epochs = 20;
        let steps = epochs * train.len().div_ceil(batch);
        let mut rng = Rng::new(seed).fork("judge-train");
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut step = 0;
        for _ in 0..epochs {
            // Fisher–Yates with our generator: the same judge for the same seed.
            for i in (1..order.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                order.swap(i, j);
            }
            for chunk in order.chunks(batch) {
                let xs: Vec<Vec<f32>> = chunk
                    .iter()
                    .map(|&k| {
                        // Light noise so sampled pictures' grain does not throw it.
                        let s = rng.range_f64(0.0, 0.25) as f32;
                        train[k]
                            .0
                            .iter()
                            .map(|v| v + s * rng.normal() as f32)
                            .collect()
                    })
                    .collect();
                let refs: Vec<&[f32]> = xs.iter().map(|x| x.as_slice()).collect();
                let ys: Vec<i64> = chunk
                    .iter()
                    .map(|&k| train[k].1.and_then(index_of).unwrap_or(reject) as i64)
                    .collect();
                let x = to_tensor(&refs, &device);
                let y: Tensor<1, Int> =
                    Tensor::from_data(TensorData::new(ys, [chunk.len()]), &device);
                let loss = loss_fn.forward(net.forward(x), y);
                let lr =
                    3e-3 * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / steps as f64).cos());
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optim.step(lr.max(1e-5), net, grads);
                step += 1;
            }
        }
        let net = net.valid();
        let mut judge = Judge {
            net,
            info: JudgeInfo {
                chars: chars.to_vec(),
                fonts,
                train_pictures: train.len(),
                version: VERSION,
                seed,
                threshold: CONFIDENT,
                validation: Validation::default(),
            },
            device: device.inner(),
        };
        judge.validate(held);
        judge.save(dir)?;
        Ok(judge)
    }

    /// Measures how the judge reads at its threshold: held-out clean renders, noise pictures,
    /// held-out chimeras and near misses.
    fn validate(&mut self, held: Vec<(Vec<f32>, char)>) {
        let seed = self.info.seed;
        let held_inputs: Vec<&[f32]> = held.iter().map(|h| h.0.as_slice()).collect();
        let correct = self
            .read_inputs(&held_inputs)
            .iter()
            .zip(&held)
            .filter(|(r, h)| r.text() == Some(h.1))
            .count();
        let (noise_accuracy, noise_read_as_text) = self.noise_control(seed);
        let held_chars: Vec<(Vec<f32>, Option<char>)> =
            held.iter().map(|(x, c)| (x.clone(), Some(*c))).collect();
        let chimeras = chimera_inputs(
            &held_chars,
            NOISE_PICTURES,
            &mut Rng::new(seed).fork("held-chimeras"),
        );
        let mut near_rng = Rng::new(seed).fork("held-near-misses");
        let mut near = overlay_inputs(&held_chars, NOISE_PICTURES / 2, &mut near_rng);
        near.extend(partial_inputs(
            &held_chars,
            NOISE_PICTURES / 2,
            &mut near_rng,
        ));
        self.info.validation = Validation {
            clean_accuracy: correct as f64 / held.len().max(1) as f64,
            clean_pictures: held.len(),
            noise_accuracy,
            noise_read_as_text,
            noise_pictures: NOISE_PICTURES,
            chimeras_read_as_text: self.share_read_as_text(&chimeras),
            chimera_pictures: chimeras.len(),
            near_misses_read_as_text: self.share_read_as_text(&near),
            near_miss_pictures: near.len(),
            chance: 1.0 / self.info.chars.len() as f64,
        };
    }

    fn share_read_as_text(&self, inputs: &[Vec<f32>]) -> f64 {
        let refs: Vec<&[f32]> = inputs.iter().map(|x| x.as_slice()).collect();
        let read = self
            .read_inputs(&refs)
            .iter()
            .filter(|r| r.text().is_some())
            .count();
        read as f64 / inputs.len().max(1) as f64
    }

    /// Noise pictures (uniform grain and smooth blobs) read against random prompts.
    fn noise_control(&self, seed: u64) -> (f64, f64) {
        let mut rng = Rng::new(seed).fork("judge-noise");
        let n = NOISE_PICTURES;
        let pictures: Vec<RgbImage> = (0..n).map(|k| noise_picture(k, &mut rng)).collect();
        let readings = self.read(&pictures);
        let classes = self.info.chars.len() as u64;
        let mut hits = 0;
        let mut text = 0;
        for r in &readings {
            let prompt = self.info.chars[rng.below(classes) as usize];
            if r.text().is_some() {
                text += 1;
            }
            if r.text() == Some(prompt) {
                hits += 1;
            }
        }
        (hits as f64 / n as f64, text as f64 / n as f64)
    }

    fn read_inputs(&self, inputs: &[&[f32]]) -> Vec<Reading> {
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(256) {
            let probs = softmax(self.net.forward(to_tensor(chunk, &self.device)), 1);
            let classes = self.info.chars.len() + 1;
            let p: Vec<f32> = probs.into_data().try_to_vec::<f32>().unwrap_or_default();
            for row in p.chunks(classes) {
                let (best, pb) =
                    row.iter()
                        .enumerate()
                        .fold((0, f32::MIN), |a, (i, &v)| if v > a.1 { (i, v) } else { a });
                // The last class is "no character" (`get` gives None for it).
                out.push(Reading {
                    best: self.info.chars.get(best).copied(),
                    confidence: pb,
                    threshold: self.info.threshold,
                });
            }
        }
        out
    }

    /// Reads each picture: the character it most likely shows and how sure the judge is.
    pub fn read(&self, pictures: &[RgbImage]) -> Vec<Reading> {
        let inputs: Vec<Vec<f32>> = pictures.iter().map(judge_input).collect();
        let refs: Vec<&[f32]> = inputs.iter().map(|x| x.as_slice()).collect();
        self.read_inputs(&refs)
    }

    fn save(&self, dir: &Path) -> Result<()> {
        let mut store = SafetensorsStore::from_file(dir.join("judge.safetensors"))
            .overwrite(true)
            .clear_metadata()
            .metadata("producer", super::checkpoint::PRODUCER);
        self.net
            .save_into(&mut store)
            .map_err(|e| anyhow::anyhow!("cannot write the judge: {e}"))?;
        super::checkpoint::canonical_header(&dir.join("judge.safetensors"))?;
        std::fs::write(
            dir.join("judge.json"),
            serde_json::to_string_pretty(&self.info)? + "\n",
        )?;
        Ok(())
    }

    /// Loads a judge saved in `dir`.
    pub fn load(dir: &Path) -> Result<Judge> {
        let info_path = dir.join("judge.json");
        let info: JudgeInfo = serde_json::from_str(
            &std::fs::read_to_string(&info_path)
                .with_context(|| format!("cannot read {}", info_path.display()))?,
        )
        .with_context(|| format!("{} is damaged", info_path.display()))?;
        let device = super::trainer::device();
        let mut net = GlyphNet::new(info.chars.len() + 1, &device);
        net.load_from(&mut SafetensorsStore::from_file(
            dir.join("judge.safetensors"),
        ))
        .map_err(|e| anyhow::anyhow!("cannot load the judge in {}: {e}", dir.display()))?;
        Ok(Judge { net, info, device })
    }

    /// The judge in `dir` if it was made for exactly these characters, else a new one trained
    /// there.
    pub fn load_or_train(
        dir: &Path,
        chars: &[char],
        fonts_from: &Recipe,
        seed: u64,
        quiet: bool,
    ) -> Result<Judge> {
        if dir.join("judge.json").exists() {
            let j = Judge::load(dir)?;
            if j.info.chars == chars && j.info.version == VERSION {
                if j.info.threshold == CONFIDENT {
                    return Ok(j);
                }
                // Same net, a new reading threshold: only the validation changes.
                let mut j = j;
                j.info.threshold = CONFIDENT;
                let ctx = Context::new(clean_recipe(
                    fonts_from,
                    &dir.join("vocab.tsv"),
                    j.info.seed,
                )?)?;
                let held = held_out(&ctx, chars.len() as u64)?;
                j.validate(held);
                j.save(dir)?;
                return Ok(j);
            }
            if !quiet {
                let why = if j.info.chars == chars {
                    "by an older version of the judge"
                } else {
                    "for other characters"
                };
                eprintln!(
                    "judge: {} was made {why}; training a new one",
                    dir.display()
                );
            }
        }
        Judge::train(dir, chars, fonts_from, seed, quiet)
    }
}

/// Noise picture `k`: uniform grain (even k) or a few soft dark blobs on a light ground (odd k):
/// ink-like, but no glyph.
fn noise_picture(k: usize, rng: &mut Rng) -> RgbImage {
    let mut img = RgbImage::new(SIDE as u32, SIDE as u32);
    if k.is_multiple_of(2) {
        for p in img.pixels_mut() {
            let v = rng.below(256) as u8;
            p.0 = [v, v, v];
        }
    } else {
        let blobs: Vec<(f64, f64, f64)> = (0..rng.range_u32(1, 4))
            .map(|_| {
                (
                    rng.range_f64(6.0, 26.0),
                    rng.range_f64(6.0, 26.0),
                    rng.range_f64(2.0, 7.0),
                )
            })
            .collect();
        for (x, y, p) in img.enumerate_pixels_mut() {
            let ink: f64 = blobs
                .iter()
                .map(|b| {
                    let d2 = (x as f64 - b.0).powi(2) + (y as f64 - b.1).powi(2);
                    (-d2 / (2.0 * b.2 * b.2)).exp()
                })
                .fold(0.0, f64::max);
            let v = (240.0 - 220.0 * ink) as u8;
            p.0 = [v, v, v];
        }
    }
    img
}

/// `n` chimeras: the top (or left) part of one character's render joined to the rest of
/// another's, cut between 35% and 65% — the "convincing fake hanzi" of a model that has
/// learnt strokes but not identity.
fn chimera_inputs(renders: &[(Vec<f32>, Option<char>)], n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(n);
    if renders.len() < 2 {
        return out;
    }
    while out.len() < n {
        let a = &renders[rng.below(renders.len() as u64) as usize];
        let b = &renders[rng.below(renders.len() as u64) as usize];
        if a.1 == b.1 {
            continue;
        }
        let cut = (rng.range_f64(0.35, 0.65) * SIDE as f64) as usize;
        let rows = rng.chance(0.5);
        let x: Vec<f32> = (0..SIDE * SIDE)
            .map(|i| {
                let (r, c) = (i / SIDE, i % SIDE);
                let first = if rows { r < cut } else { c < cut };
                if first {
                    a.0[i]
                } else {
                    b.0[i]
                }
            })
            .collect();
        out.push(x);
    }
    out
}

/// `n` overlays: two different characters drawn over each other (the darker of the two at each
/// pixel) — a model torn between two prompts draws both.
fn overlay_inputs(renders: &[(Vec<f32>, Option<char>)], n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(n);
    if renders.len() < 2 {
        return out;
    }
    while out.len() < n {
        let a = &renders[rng.below(renders.len() as u64) as usize];
        let b = &renders[rng.below(renders.len() as u64) as usize];
        if a.1 == b.1 {
            continue;
        }
        out.push(a.0.iter().zip(&b.0).map(|(x, y)| x.min(*y)).collect());
    }
    out
}

/// `n` partial glyphs: a render with a rectangle of it painted over with its own ground, where
/// the rectangle takes away at least a third of the ink — a glyph missing a component.
fn partial_inputs(renders: &[(Vec<f32>, Option<char>)], n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n && !renders.is_empty() && tries < 50 * n {
        tries += 1;
        let a = &renders[rng.below(renders.len() as u64) as usize].0;
        // Inputs are standardised: the ground is the most common (high) value, ink lies below.
        let ground = a.iter().copied().fold(f32::MIN, f32::max);
        let is_ink = |v: f32| v < ground - 1.0;
        let ink = a.iter().filter(|&&v| is_ink(v)).count();
        let w = (rng.range_f64(0.3, 0.6) * SIDE as f64) as usize;
        let h = (rng.range_f64(0.3, 0.6) * SIDE as f64) as usize;
        let x0 = rng.below((SIDE - w) as u64 + 1) as usize;
        let y0 = rng.below((SIDE - h) as u64 + 1) as usize;
        let inside =
            |i: usize| (x0..x0 + w).contains(&(i % SIDE)) && (y0..y0 + h).contains(&(i / SIDE));
        let removed = (0..a.len()).filter(|&i| inside(i) && is_ink(a[i])).count();
        if ink == 0 || removed * 3 < ink {
            continue;
        }
        out.push(
            (0..a.len())
                .map(|i| if inside(i) { ground } else { a[i] })
                .collect(),
        );
    }
    out
}

/// Negatives for the "no character" class: near misses of real glyphs (chimeras, overlays,
/// partial glyphs) and pictures with no glyph at all (noise, blobs, blank grounds).
fn negative_inputs(renders: &[(Vec<f32>, Option<char>)], n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let mut out = chimera_inputs(renders, n * 7 / 20, rng);
    out.extend(overlay_inputs(renders, n / 5, rng));
    out.extend(partial_inputs(renders, n / 4, rng));
    let mut k = 0;
    while out.len() < n {
        let img = if k % 3 == 2 {
            // A blank ground with a faint gradient.
            let base = rng.range_f64(200.0, 250.0);
            let slope = rng.range_f64(-1.0, 1.0);
            let mut img = RgbImage::new(SIDE as u32, SIDE as u32);
            for (x, y, p) in img.enumerate_pixels_mut() {
                let v = (base + slope * (x as f64 - y as f64) * 0.5).clamp(0.0, 255.0) as u8;
                p.0 = [v, v, v];
            }
            img
        } else {
            noise_picture(k, rng)
        };
        out.push(judge_input(&img));
        k += 1;
    }
    out
}

/// Where a run keeps its judge unless told otherwise.
pub fn default_dir(run: &Path) -> PathBuf {
    run.join("judge")
}

/// Refuses prompts the glyph judge cannot read.
pub fn check_prompts(prompts: &[String]) -> Result<()> {
    if let Some(p) = prompts.iter().find(|p| p.chars().count() != 1) {
        bail!(
            "the glyph judge reads one character per picture; prompt \"{p}\" has {} (evaluate \
             single-character prompts)",
            p.chars().count()
        );
    }
    Ok(())
}
