//! The training loop: batches from the feeder, noised, one AdamW step, EMA update; progress bar,
//! `train.jsonl`, periodic checkpoints, optional periodic evaluation (the accuracy-vs-steps
//! curve), and Ctrl-C that saves before it stops. Same seed, data and thread count ⇒ same run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::{Int, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, DataSpec, RunState};
use super::data::{check_recipe, read_folder, Example, Feeder, Source};
use super::diffusion::{self, Prediction};
use super::ema;
use super::model::ModelConfig;
use super::vocab::Vocab;
use crate::recipe::Recipe;
use crate::rng::Rng;
use crate::scene::Context;

/// Everything that shapes a training run; stored in `state.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Total optimiser steps of the run.
    pub steps: u64,
    pub batch: usize,
    /// Peak learning rate (AdamW), reached after `warmup` steps, then cosine decay to a tenth.
    pub lr: f64,
    pub warmup: u64,
    /// Largest EMA decay.
    pub ema: f64,
    pub prediction: Prediction,
    /// γ of the min-SNR loss weighting.
    pub min_snr: f64,
    /// Share of prompts replaced by the empty prompt (classifier-free guidance training).
    pub prompt_dropout: f64,
    pub seed: u64,
    /// Model widths per level (empty = the default for the resolution).
    pub widths: Vec<usize>,
    pub checkpoint_every: u64,
    pub log_every: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            steps: 3000,
            batch: 32,
            lr: 2e-3,
            warmup: 100,
            ema: 0.995,
            prediction: Prediction::V,
            min_snr: 5.0,
            prompt_dropout: 0.1,
            seed: 0,
            widths: Vec::new(),
            checkpoint_every: 500,
            log_every: 25,
        }
    }
}

/// Learning rate at `step`: linear warm-up, then cosine decay to 10% at the last step.
pub fn lr_at(s: &TrainSettings, step: u64) -> f64 {
    if step < s.warmup {
        return s.lr * (step + 1) as f64 / s.warmup as f64;
    }
    let span = s.steps.saturating_sub(s.warmup).max(1) as f64;
    let p = ((step - s.warmup) as f64 / span).min(1.0);
    s.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
}

/// The data source, resolved: the generator context or the loaded folder, plus its character
/// table and image side.
pub struct Data {
    pub source: Arc<Source>,
    pub vocab: Vocab,
    pub side: usize,
    pub spec: DataSpec,
    /// The recipe, when the data comes from the generator (its fonts make the judge's renders).
    pub recipe: Option<Recipe>,
}

/// Longest prompt a recipe can draw, capped: the character table's prompts are padded to it.
fn max_prompt(recipe: &Recipe) -> usize {
    (recipe.corpus.lines.max * recipe.corpus.max_chars_per_line).clamp(1, 32) as usize
}

pub fn open_data(spec: &DataSpec) -> Result<Data> {
    match spec {
        DataSpec::Recipe { .. } => {
            let recipe = super::cli::spec_recipe(spec)?;
            let ctx = Context::new(recipe.clone())?;
            check_recipe(&ctx)?;
            let vocab = Vocab::from_context(&ctx, max_prompt(&recipe));
            let side = recipe.canvas.width.0 as usize;
            Ok(Data {
                source: Arc::new(Source::Recipe(Arc::new(ctx))),
                vocab,
                side,
                spec: spec.clone(),
                recipe: Some(recipe),
            })
        }
        DataSpec::Folder { path } => {
            let examples = read_folder(path)?;
            let side = examples[0].side;
            if let Some(e) = examples.iter().find(|e| e.side != side) {
                bail!(
                    "{} mixes image sizes ({side} and {} pixels); the trainer takes one size",
                    path.display(),
                    e.side
                );
            }
            let mut freq = std::collections::BTreeMap::new();
            let mut longest = 1;
            for e in &examples {
                longest = longest.max(e.text.chars().count());
                for c in e.text.chars() {
                    *freq.entry(c).or_insert(0.0) += 1.0;
                }
            }
            Ok(Data {
                source: Arc::new(Source::Folder(examples)),
                vocab: Vocab::from_frequencies(freq, longest),
                side,
                spec: spec.clone(),
                recipe: None,
            })
        }
    }
}

/// Image side the model shape supports: a power-of-two multiple of its downsampling.
fn check_side(side: usize, levels: usize) -> Result<()> {
    let unit = 1usize << (levels - 1);
    if !(16..=256).contains(&side) || !side.is_multiple_of(unit) {
        bail!(
            "the trainer takes square images of 16 to 256 pixels, a multiple of {unit}; these are \
             {side}x{side} (set the training recipe's canvas, e.g. canvas: {{width: 32, height: 32}})"
        );
    }
    Ok(())
}

/// Images `[B, C, H, W]` in [-1, 1] and prompt ids `[B, L]` (a share replaced by the empty
/// prompt) for one batch.
pub fn batch_tensors(
    examples: &[Example],
    vocab: &Vocab,
    dropout: f64,
    rng: &mut Rng,
    device: &Device,
) -> Result<(Tensor<4>, Tensor<2, Int>)> {
    let b = examples.len();
    let side = examples[0].side;
    let mut pixels = vec![0f32; b * 3 * side * side];
    let mut ids = Vec::with_capacity(b * vocab.max_chars);
    for (i, e) in examples.iter().enumerate() {
        let plane = side * side;
        for (p, rgb) in e.rgb.chunks_exact(3).enumerate() {
            for c in 0..3 {
                pixels[i * 3 * plane + c * plane + p] = f32::from(rgb[c]) / 127.5 - 1.0;
            }
        }
        if rng.chance(dropout) {
            ids.extend(vocab.empty());
        } else {
            ids.extend(
                vocab
                    .encode(&e.text)
                    .with_context(|| format!("training example {}", e.index))?,
            );
        }
    }
    Ok((
        Tensor::from_data(TensorData::new(pixels, [b, 3, side, side]), device),
        Tensor::from_data(TensorData::new(ids, [b, vocab.max_chars]), device),
    ))
}

pub struct TrainOptions {
    pub out: PathBuf,
    /// Start a new run from this data (None: `--resume`).
    pub data: Option<DataSpec>,
    pub settings: TrainSettings,
    /// Continue the run in `out`; `settings.steps` may raise its step budget.
    pub resume: bool,
    pub quiet: bool,
    /// Called every `every` steps (and at the end) with the EMA model: the evaluation curve.
    pub eval_every: u64,
}

pub struct TrainOutcome {
    pub state: RunState,
    pub interrupted: bool,
}

#[derive(Serialize)]
struct LogLine {
    step: u64,
    loss: f64,
    lr: f64,
    steps_per_s: f64,
    seconds: f64,
}

/// The device the trainer runs on: the first GPU of an enabled GPU backend (features
/// `train-wgpu`, `train-cuda`), else the pure-Rust CPU backend.
pub fn device() -> Device {
    Device::default()
}

/// Trains (or continues) a run; returns its final state. `on_eval(step, ema)` runs every
/// `opts.eval_every` steps.
pub fn train(
    opts: &TrainOptions,
    on_eval: &mut dyn FnMut(u64, &super::model::Denoiser, &RunState) -> Result<()>,
) -> Result<TrainOutcome> {
    let out = &opts.out;
    let (mut state, data) = if opts.resume {
        let mut state = RunState::load(out)?;
        if opts.settings.steps > state.settings.steps {
            state.settings.steps = opts.settings.steps;
        }
        let data = open_data(&state.data)?;
        (state, data)
    } else {
        let spec = opts.data.clone().context("no training data given")?;
        prepare_out(out)?;
        let data = open_data(&spec)?;
        let model = if opts.settings.widths.is_empty() {
            ModelConfig::for_resolution(data.side, data.vocab.size(), data.vocab.max_chars)
        } else {
            let mut m =
                ModelConfig::for_resolution(data.side, data.vocab.size(), data.vocab.max_chars);
            m.widths = opts.settings.widths.clone();
            m.attention_levels = vec![m.widths.len() - 1];
            m
        };
        check_side(data.side, model.widths.len())?;
        let state = RunState {
            tool: crate::VERSION.to_string(),
            step: 0,
            train_seconds: 0.0,
            settings: opts.settings.clone(),
            model,
            vocab: data.vocab.clone(),
            data: spec,
        };
        (state, data)
    };
    // Frequencies pass through JSON text: compare the table itself.
    if data.vocab.chars != state.vocab.chars || data.vocab.max_chars != state.vocab.max_chars {
        bail!(
            "the training data's character table differs from the one the run in {} started \
             with; resume with the same recipe or folder",
            out.display()
        );
    }
    let s = state.settings.clone();
    let device = device().autodiff();
    device.seed(s.seed);
    let optim_cfg = AdamWConfig::new()
        .with_weight_decay(0.0)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(1.0)));
    let (mut model, mut ema_model, mut optim): (_, _, ModuleOptimizer) = if state.step > 0 {
        checkpoint::load_training(out, &state, &device, optim_cfg.init())?
    } else {
        let m = state.model.init(&device);
        let e = m.valid();
        (m, e, optim_cfg.init())
    };

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let feeder = Feeder::start(Arc::clone(&data.source), state.step, s.batch);
    let bar = if opts.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(s.steps)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} steps  {msg}  [{elapsed_precise} < {eta_precise}]",
        )
        .expect("valid template"),
    );
    bar.set_position(state.step);
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out.join("train.jsonl"))
        .with_context(|| format!("cannot write {}", out.join("train.jsonl").display()))?;
    let session = Instant::now();
    let seconds_before = state.train_seconds;
    // Evaluations (and the judge they may train first) are not training time.
    let mut evaluating = 0.0;
    let mut window = (0.0, 0u64, Instant::now(), state.step);
    let mut interrupted = false;
    while state.step < s.steps {
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let step = state.step;
        let examples = feeder.next()?;
        let rng = Rng::for_sample(s.seed, step);
        let (x0, ids) = batch_tensors(
            &examples,
            &data.vocab,
            s.prompt_dropout,
            &mut rng.fork("dropout"),
            &device,
        )?;
        let noised = diffusion::noise_batch(x0, s.prediction, s.min_snr, &mut rng.fork("noise"));
        let pred = model.forward(noised.x_t.clone(), noised.t.clone(), ids);
        let loss = diffusion::loss(pred, &noised);
        let loss_value: f64 = loss.clone().into_scalar::<f32>() as f64;
        if !loss_value.is_finite() {
            bail!(
                "the loss became {loss_value} at step {step}; lower --lr (now {}) and start again",
                s.lr
            );
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr_at(&s, step), model, grads);
        ema_model = ema::update(ema_model, &model.valid(), ema::decay_at(step, s.ema));
        state.step += 1;
        state.train_seconds = seconds_before + session.elapsed().as_secs_f64() - evaluating;
        window.0 += loss_value;
        window.1 += 1;
        bar.set_position(state.step);
        if state.step % s.log_every == 0 || state.step == s.steps {
            let dt = window.2.elapsed().as_secs_f64().max(1e-9);
            let line = LogLine {
                step: state.step,
                loss: window.0 / window.1 as f64,
                lr: lr_at(&s, step),
                steps_per_s: (state.step - window.3) as f64 / dt,
                seconds: state.train_seconds,
            };
            bar.set_message(format!(
                "loss {:.4}  {:.2} steps/s",
                line.loss, line.steps_per_s
            ));
            writeln!(log, "{}", serde_json::to_string(&line)?)?;
            window = (0.0, 0, Instant::now(), state.step);
        }
        if state.step % s.checkpoint_every == 0 {
            checkpoint::save(out, &state, &model, &ema_model, &optim)?;
            super::plot::loss_png(out)?;
        }
        if opts.eval_every > 0 && state.step % opts.eval_every == 0 {
            checkpoint::save_snapshot(out, state.step, &ema_model)?;
            let started = Instant::now();
            bar.suspend(|| on_eval(state.step, &ema_model, &state))?;
            let took = started.elapsed();
            evaluating += took.as_secs_f64();
            // Nor do they count against the steps/s of the log window.
            window.2 += took;
        }
    }
    bar.finish_and_clear();
    checkpoint::save(out, &state, &model, &ema_model, &optim)?;
    super::plot::loss_png(out)?;
    if !interrupted && opts.eval_every > 0 && state.step % opts.eval_every != 0 {
        checkpoint::save_snapshot(out, state.step, &ema_model)?;
        on_eval(state.step, &ema_model, &state)?;
    }
    Ok(TrainOutcome { state, interrupted })
}

/// A new run needs an empty (or new) folder: a run is never mixed into another.
fn prepare_out(out: &Path) -> Result<()> {
    if out.join(checkpoint::STATE).exists() {
        bail!(
            "{} already holds a training run; continue it with `hanzi-synth train --resume -o {}` \
             or choose another folder",
            out.display(),
            out.display()
        );
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!(
            "{} is not empty; choose a new folder for the training run",
            out.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_rate_warms_up_then_decays_to_a_tenth() {
        let s = TrainSettings {
            steps: 1000,
            warmup: 100,
            lr: 1.0,
            ..TrainSettings::default()
        };
        assert!((lr_at(&s, 0) - 0.01).abs() < 1e-12);
        assert!((lr_at(&s, 99) - 1.0).abs() < 1e-12);
        assert!((lr_at(&s, 100) - 1.0).abs() < 1e-12);
        assert!((lr_at(&s, 1000) - 0.1).abs() < 1e-9);
        assert!(lr_at(&s, 550) < 0.6 && lr_at(&s, 550) > 0.5);
    }
}
