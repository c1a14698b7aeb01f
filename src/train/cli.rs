//! The trainer's subcommands (`train`, `sample`, `eval`, `ab`): arguments and what each runs.
//! `main.rs` adds them when the `train` feature is on.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use clap::Args;

use super::ab::{run_ab, AbOptions};
use super::checkpoint::{load_ema, DataSpec, RunState};
use super::diffusion::{Prediction, SampleSettings};
use super::eval::{
    append_curve, default_out, evaluate, judge_pictures, load_saved, write, EvalSettings, Report,
};
use super::judge::{default_dir, Judge};
use super::sampler::{draw, seeds};
use super::trainer::{device, open_data, train, TrainOptions, TrainSettings};
use crate::recipe::Recipe;

#[derive(Args, Clone, Debug)]
pub struct TrainArgs {
    /// Training recipe: samples are drawn from the generator in-process (e.g.
    /// recipes/train-glyphs.yaml).
    #[arg(short, long, conflicts_with = "data")]
    pub recipe: Option<PathBuf>,
    /// Override a recipe value: --set text.size=[20,28] (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", requires = "recipe")]
    pub sets: Vec<String>,
    /// Read a written dataset (WebDataset shards or imagefolder) instead of a recipe.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Continue the run in --out (Ctrl-C'd, or to raise --steps).
    #[arg(long, conflicts_with_all = ["recipe", "data"])]
    pub resume: bool,
    /// The run folder: checkpoints, train.jsonl, loss.png, curve.png.
    #[arg(short, long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub hyper: Hyper,
    /// Evaluate the EMA model every N steps (0 = only at the end): curve.jsonl and curve.png.
    #[arg(long, default_value_t = 0)]
    pub eval_every: u64,
    /// Pictures per character in those evaluations.
    #[arg(long, default_value_t = 2)]
    pub eval_per_prompt: usize,
    /// Skip the evaluation at the end.
    #[arg(long)]
    pub no_eval: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Training hyper-parameters (shared by `train` and `ab`).
#[derive(Args, Clone, Debug)]
pub struct Hyper {
    /// Total optimiser steps.
    #[arg(long, default_value_t = 3000)]
    pub steps: u64,
    /// Images per step.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub batch: u64,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    /// What the network predicts.
    #[arg(long, value_enum, default_value_t = Prediction::V)]
    pub prediction: Prediction,
    /// Training seed (weights, noise, prompt dropout); the data follow the recipe's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Model widths per level, e.g. 32,64,128 (default: by resolution).
    #[arg(long, value_delimiter = ',')]
    pub widths: Vec<usize>,
    /// Save a checkpoint every N steps.
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
}

impl Hyper {
    pub fn settings(&self) -> TrainSettings {
        TrainSettings {
            steps: self.steps,
            batch: self.batch as usize,
            lr: self.lr,
            prediction: self.prediction,
            seed: self.seed,
            widths: self.widths.clone(),
            checkpoint_every: self.checkpoint_every.max(1),
            ..TrainSettings::default()
        }
    }
}

#[derive(Args, Clone, Debug)]
pub struct SampleArgs {
    /// The run folder.
    pub run: PathBuf,
    /// Text to draw (repeatable); characters of the run's table.
    #[arg(short, long = "prompt", required = true)]
    pub prompts: Vec<String>,
    /// Pictures per prompt.
    #[arg(short = 'n', long, default_value_t = 4)]
    pub count: usize,
    #[command(flatten)]
    pub sampling: Sampling,
    /// Output folder for the PNGs.
    #[arg(short, long, default_value = "samples")]
    pub out: PathBuf,
}

#[derive(Args, Clone, Debug)]
pub struct Sampling {
    /// Classifier-free guidance scale (1 = none).
    #[arg(long, default_value_t = 3.0)]
    pub guidance: f64,
    /// DDIM steps.
    // Own ids: `ab` flattens these beside the training `--steps`/`--seed`, and clap keys
    // arguments by id, so shared ids would swallow `--steps`.
    #[arg(id = "sample_steps", long = "sample-steps", default_value_t = 25)]
    pub steps: usize,
    /// Noise seed.
    #[arg(id = "sample_seed", long = "sample-seed", default_value_t = 1234)]
    pub seed: u64,
}

#[derive(Args, Clone, Debug)]
pub struct EvalArgs {
    /// The run folder.
    pub run: PathBuf,
    /// Output folder (default: RUN/eval-STEP).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Pictures per prompt.
    #[arg(long, default_value_t = 4)]
    pub per_prompt: usize,
    /// Prompts to evaluate, e.g. --prompts 的是了 (default: every character of the run's table).
    #[arg(long)]
    pub prompts: Option<String>,
    #[command(flatten)]
    pub sampling: Sampling,
    /// A judge folder (default: RUN/judge, trained there on first use).
    #[arg(long)]
    pub judge: Option<PathBuf>,
    /// Evaluate the snapshot of this step (kept at each --eval-every step) instead of the
    /// latest weights.
    #[arg(long)]
    pub snapshot: Option<u64>,
    /// Read the saved pictures of an earlier `eval --out` folder again (with the current or
    /// given judge) instead of sampling new ones; writes to --out, or back into that folder.
    #[arg(long, value_name = "EVAL_DIR", conflicts_with_all = ["snapshot", "prompts"])]
    pub reread: Option<PathBuf>,
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Clone, Debug)]
pub struct AbArgs {
    /// Recipe A.
    #[arg(long = "a")]
    pub a: PathBuf,
    /// Recipe B.
    #[arg(long = "b")]
    pub b: PathBuf,
    /// Training seeds per recipe, from --seed on (seed-to-seed noise is part of every
    /// interval).
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    #[command(flatten)]
    pub hyper: Hyper,
    /// Pictures per character in each evaluation.
    #[arg(long, default_value_t = 8)]
    pub per_prompt: usize,
    #[command(flatten)]
    pub sampling: Sampling,
    /// Output folder: one run per recipe and seed, the shared judge, ab.json.
    #[arg(short, long)]
    pub out: PathBuf,
    #[arg(short, long)]
    pub quiet: bool,
}

fn recipe_spec(path: &Path, sets: &[String]) -> Result<DataSpec> {
    let recipe = Recipe::load(path)?.with_overrides(sets)?;
    // Absolute, so a run can be resumed or evaluated from another folder.
    let base_dir = if recipe.base_dir.as_os_str().is_empty() {
        std::env::current_dir()?
    } else {
        std::path::absolute(&recipe.base_dir)?
    };
    Ok(DataSpec::Recipe {
        recipe: serde_json::to_value(&recipe)?,
        base_dir,
    })
}

/// The recipe of a recipe data source.
pub fn spec_recipe(spec: &DataSpec) -> Result<Recipe> {
    match spec {
        DataSpec::Recipe { recipe, base_dir } => {
            let mut r: Recipe = serde_json::from_value(recipe.clone())
                .context("the run's stored recipe cannot be read by this version")?;
            r.base_dir = base_dir.clone();
            r.check()?;
            Ok(r)
        }
        DataSpec::Folder { .. } => bail!("this run reads a dataset folder, not a recipe"),
    }
}

/// The recipe that the judge's clean renders take their fonts from.
pub fn fonts_recipe(state: &RunState) -> Result<Recipe> {
    match &state.data {
        spec @ DataSpec::Recipe { .. } => spec_recipe(spec),
        DataSpec::Folder { .. } => Recipe::from_yaml(crate::recipe::DEFAULT_RECIPE_YAML, "default"),
    }
}

fn eval_settings(per_prompt: usize, sampling: &Sampling, prompts: Vec<String>) -> EvalSettings {
    EvalSettings {
        per_prompt: per_prompt.max(1),
        sampling: SampleSettings {
            steps: sampling.steps.max(1),
            guidance: sampling.guidance,
        },
        seed: sampling.seed,
        prompts,
        ..EvalSettings::default()
    }
}

/// `train`: returns whether it was interrupted (Ctrl-C saved a checkpoint).
pub fn run_train(a: &TrainArgs) -> Result<bool> {
    let data = if a.resume {
        None
    } else if let Some(r) = &a.recipe {
        Some(recipe_spec(r, &a.sets)?)
    } else if let Some(d) = &a.data {
        Some(DataSpec::Folder {
            path: std::path::absolute(d)?,
        })
    } else {
        bail!("give a training recipe (-r), a dataset folder (--data) or --resume");
    };
    let opts = TrainOptions {
        out: a.out.clone(),
        data,
        settings: a.hyper.settings(),
        resume: a.resume,
        quiet: a.quiet,
        eval_every: a.eval_every,
    };
    let sampling = Sampling {
        guidance: 3.0,
        steps: 25,
        seed: 1234,
    };
    let settings = eval_settings(a.eval_per_prompt, &sampling, Vec::new());
    let mut judge: Option<Judge> = None;
    let run = a.out.clone();
    let quiet = a.quiet;
    let mut on_eval = |_step: u64, ema: &super::model::Denoiser, state: &RunState| -> Result<()> {
        if judge.is_none() {
            judge = Some(Judge::load_or_train(
                &default_dir(&run),
                &state.vocab.chars,
                &fonts_recipe(state)?,
                0,
                quiet,
            )?);
        }
        let j = judge.as_ref().expect("set above");
        let (report, _, _) = evaluate(&run, ema, state, j, &settings, &device())?;
        append_curve(&run, &report)?;
        if !quiet {
            eprintln!(
                "eval at step {}: {:.1}% of {} pictures read as prompted (95% CI {:.1}-{:.1}; chance {:.1}%)",
                report.step,
                100.0 * report.overall.char_accuracy.value,
                report.overall.items,
                100.0 * report.overall.char_accuracy.low,
                100.0 * report.overall.char_accuracy.high,
                100.0 * report.chance
            );
        }
        Ok(())
    };
    let outcome = train(&opts, &mut on_eval)?;
    let s = &outcome.state;
    eprintln!(
        "{} at step {}/{} after {:.0} s of training; weights in {}",
        if outcome.interrupted {
            "stopped (checkpoint saved)"
        } else {
            "trained"
        },
        s.step,
        s.settings.steps,
        s.train_seconds,
        a.out.join("ema.safetensors").display()
    );
    if !outcome.interrupted && !a.no_eval {
        let args = EvalArgs {
            run: a.out.clone(),
            out: None,
            per_prompt: 4,
            prompts: None,
            sampling,
            judge: None,
            snapshot: None,
            reread: None,
            quiet: a.quiet,
        };
        run_eval(&args)?;
    }
    Ok(outcome.interrupted)
}

pub fn run_sample(a: &SampleArgs) -> Result<()> {
    let state = RunState::load(&a.run)?;
    let dev = device();
    let model = load_ema(&a.run, &state, &dev)?;
    let prompts: Vec<String> = a
        .prompts
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.clone(), a.count.max(1)))
        .collect();
    for p in &a.prompts {
        state.vocab.encode(p)?;
    }
    let noise = seeds(a.sampling.seed, prompts.len());
    let settings = SampleSettings {
        steps: a.sampling.steps.max(1),
        guidance: a.sampling.guidance,
    };
    let pictures = draw(&model, &state, &prompts, &noise, settings, 64, &dev)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    for (i, (img, p)) in pictures.iter().zip(&prompts).enumerate() {
        let path = a.out.join(format!("{:04}-{}.png", i, p));
        img.save(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("wrote {} pictures to {}", pictures.len(), a.out.display());
    Ok(())
}

pub fn run_eval(a: &EvalArgs) -> Result<()> {
    let mut state = RunState::load(&a.run)?;
    if let Some(dir) = &a.reread {
        return reread(a, dir, &mut state);
    }
    let dev = device();
    let model = match a.snapshot {
        Some(step) => {
            let m = super::checkpoint::load_snapshot(&a.run, &state, step, &dev)?;
            state.step = step;
            m
        }
        None => load_ema(&a.run, &state, &dev)?,
    };
    let prompts: Vec<String> = a
        .prompts
        .as_deref()
        .map(|p| {
            p.chars()
                .filter(|c| !c.is_whitespace())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let judge_dir = a.judge.clone().unwrap_or_else(|| default_dir(&a.run));
    let judge = Judge::load_or_train(
        &judge_dir,
        &state.vocab.chars,
        &fonts_recipe(&state)?,
        0,
        a.quiet,
    )?;
    let settings = eval_settings(a.per_prompt, &a.sampling, prompts);
    let (report, pictures, verdicts) = evaluate(&a.run, &model, &state, &judge, &settings, &dev)?;
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.run, &state));
    write(&out, &report, &pictures, &verdicts)?;
    print_report(&report, &out);
    Ok(())
}

/// `eval --reread DIR`: the saved pictures of DIR judged again, scored and written.
fn reread(a: &EvalArgs, dir: &Path, state: &mut RunState) -> Result<()> {
    let saved = load_saved(dir)?;
    for p in &saved.prompts {
        if p.chars().any(|c| !state.vocab.chars.contains(&c)) {
            bail!(
                "{} holds a sample of \"{p}\", which is not in the character table of {}: \
                 reread an evaluation of this run",
                dir.display(),
                a.run.display()
            );
        }
    }
    let judge_dir = a.judge.clone().unwrap_or_else(|| default_dir(&a.run));
    let judge = Judge::load_or_train(
        &judge_dir,
        &state.vocab.chars,
        &fonts_recipe(state)?,
        0,
        a.quiet,
    )?;
    state.step = saved.report.step;
    state.train_seconds = saved.report.train_seconds;
    let (report, verdicts) = judge_pictures(
        &a.run,
        state,
        &judge,
        &saved.report.settings,
        &saved.prompts,
        &saved.seeds,
        &saved.pictures,
    );
    let out = a.out.clone().unwrap_or_else(|| dir.to_path_buf());
    write(&out, &report, &saved.pictures, &verdicts)?;
    print_report(&report, &out);
    Ok(())
}

fn print_report(report: &Report, out: &Path) {
    let v = &report.controls.judge.validation;
    let pct = |x: f64| 100.0 * x;
    println!(
        "step {}: {:.1}% of {} pictures read as prompted (95% CI {:.1}-{:.1}); chance {:.1}%",
        report.step,
        pct(report.overall.char_accuracy.value),
        report.overall.items,
        pct(report.overall.char_accuracy.low),
        pct(report.overall.char_accuracy.high),
        pct(report.chance)
    );
    for (tier, m) in &report.tiers {
        println!(
            "  {tier:<7} {:.1}% (95% CI {:.1}-{:.1}, {} pictures)",
            pct(m.char_accuracy.value),
            pct(m.char_accuracy.low),
            pct(m.char_accuracy.high),
            m.items
        );
    }
    println!(
        "  controls: shuffled prompts {:.1}%; judge on held-out clean renders {:.1}% ({} pictures), on noise {:.1}% ({:.0}% read as text)",
        pct(report.controls.shuffled_prompts.char_accuracy.value),
        pct(v.clean_accuracy),
        v.clean_pictures,
        pct(v.noise_accuracy),
        pct(v.noise_read_as_text)
    );
    println!("wrote {}", out.join("report.json").display());
}

pub fn run_ab_command(a: &AbArgs) -> Result<bool> {
    let opts = AbOptions {
        a: recipe_spec(&a.a, &[])?,
        b: recipe_spec(&a.b, &[])?,
        names: [a.a.display().to_string(), a.b.display().to_string()],
        seeds: a.seeds.max(1),
        settings: a.hyper.settings(),
        eval: eval_settings(a.per_prompt, &a.sampling, Vec::new()),
        out: a.out.clone(),
        quiet: a.quiet,
    };
    run_ab(&opts)
}

/// Checks that a data spec opens (used by tests and `recipe check`-like flows).
pub fn probe(spec: &DataSpec) -> Result<usize> {
    Ok(open_data(spec)?.vocab.chars.len())
}
