//! Evaluation: sample every prompt of the eval set from a model, read each picture with the
//! judge, and score — overall, per frequency tier, with intervals — next to the judge's own
//! validation and a shuffled-prompt control. Writes `report.json`, `samples/*.png`,
//! `samples.jsonl` and `grid.png`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use burn::prelude::*;
use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::checkpoint::RunState;
use super::diffusion::SampleSettings;
use super::judge::{Judge, JudgeInfo};
use super::metrics::{metrics, score, ItemScore, Metrics};
use super::model::Denoiser;
use super::sampler::{draw, seeds};
use super::vocab::TIERS;
use crate::rng::Rng;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvalSettings {
    /// Pictures per prompt.
    pub per_prompt: usize,
    pub sampling: SampleSettings,
    /// Base seed of the pictures' noise.
    pub seed: u64,
    /// Prompts (empty = every character of the run's table).
    pub prompts: Vec<String>,
    pub batch: usize,
}

impl Default for EvalSettings {
    fn default() -> Self {
        EvalSettings {
            per_prompt: 4,
            sampling: SampleSettings {
                steps: 25,
                guidance: 3.0,
            },
            seed: 1234,
            prompts: Vec::new(),
            batch: 64,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Controls {
    /// The same readings scored against the prompts shuffled among the pictures: what a
    /// model that ignores its prompt would score (near chance).
    pub shuffled_prompts: Metrics,
    /// The judge's validation (held-out clean renders, noise pictures).
    pub judge: JudgeInfo,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub run: String,
    pub step: u64,
    pub train_seconds: f64,
    pub settings: EvalSettings,
    /// Accuracy of a reader that guesses uniformly among the table's characters.
    pub chance: f64,
    pub overall: Metrics,
    /// Per frequency tier of the run's character table (thirds by frequency rank).
    pub tiers: BTreeMap<String, Metrics>,
    pub controls: Controls,
}

/// One picture's verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    pub file: String,
    pub prompt: String,
    pub reading: String,
    pub correct: bool,
    pub tier: String,
    pub seed: u64,
    /// The judge's probability of its most likely class (character or "no character").
    #[serde(default)]
    pub confidence: f32,
}

/// The eval set: each prompt `per_prompt` times, prompt-major.
fn eval_set(state: &RunState, s: &EvalSettings) -> Vec<String> {
    let prompts: Vec<String> = if s.prompts.is_empty() {
        state.vocab.chars.iter().map(|c| c.to_string()).collect()
    } else {
        s.prompts.clone()
    };
    prompts
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.clone(), s.per_prompt))
        .collect()
}

/// Samples and reads the eval set; returns the report, pictures and verdicts (nothing written).
pub fn evaluate(
    run: &Path,
    model: &Denoiser,
    state: &RunState,
    judge: &Judge,
    s: &EvalSettings,
    device: &Device,
) -> Result<(Report, Vec<RgbImage>, Vec<Verdict>)> {
    let prompts = eval_set(state, s);
    super::judge::check_prompts(&prompts)?;
    let noise_seeds = seeds(s.seed, prompts.len());
    let pictures = draw(
        model,
        state,
        &prompts,
        &noise_seeds,
        s.sampling,
        s.batch,
        device,
    )?;
    let (report, verdicts) =
        judge_pictures(run, state, judge, s, &prompts, &noise_seeds, &pictures);
    Ok((report, pictures, verdicts))
}

/// Reads sampled pictures with the judge and scores them against their prompts.
pub fn judge_pictures(
    run: &Path,
    state: &RunState,
    judge: &Judge,
    s: &EvalSettings,
    prompts: &[String],
    noise_seeds: &[u64],
    pictures: &[RgbImage],
) -> (Report, Vec<Verdict>) {
    let readings = judge.read(pictures);
    let mut verdicts = Vec::new();
    let mut scores = Vec::new();
    let mut by_tier: BTreeMap<String, Vec<ItemScore>> = BTreeMap::new();
    for (i, (p, r)) in prompts.iter().zip(&readings).enumerate() {
        let reading = r.text().map(String::from).unwrap_or_default();
        let sc = score(p, &reading);
        let tier = state
            .vocab
            .tier(p.chars().next().unwrap_or(' '))
            .to_string();
        by_tier.entry(tier.clone()).or_default().push(sc);
        scores.push(sc);
        verdicts.push(Verdict {
            file: format!("samples/{i:05}.png"),
            prompt: p.clone(),
            reading,
            correct: sc.exact,
            tier,
            seed: noise_seeds[i],
            confidence: r.confidence,
        });
    }
    // Control: readings against a shuffled assignment of the prompts.
    let mut shuffled = prompts.to_vec();
    let mut rng = Rng::new(s.seed).fork("shuffle");
    for i in (1..shuffled.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        shuffled.swap(i, j);
    }
    let shuffled_scores: Vec<ItemScore> = shuffled
        .iter()
        .zip(&verdicts)
        .map(|(p, v)| score(p, &v.reading))
        .collect();
    let rounds = 1000;
    let mut tiers = BTreeMap::new();
    for t in TIERS {
        if let Some(items) = by_tier.get(t) {
            tiers.insert(t.to_string(), metrics(items, rounds, s.seed));
        }
    }
    let report = Report {
        run: run.display().to_string(),
        step: state.step,
        train_seconds: state.train_seconds,
        settings: s.clone(),
        chance: 1.0 / state.vocab.chars.len().max(1) as f64,
        overall: metrics(&scores, rounds, s.seed),
        tiers,
        controls: Controls {
            shuffled_prompts: metrics(&shuffled_scores, rounds, s.seed),
            judge: judge.info.clone(),
        },
    };
    (report, verdicts)
}

/// A saved evaluation's pictures and what they were sampled for, to be read again (by a newer
/// judge) without sampling: its settings, prompts, noise seeds and pictures.
pub struct SavedSamples {
    pub report: Report,
    pub prompts: Vec<String>,
    pub seeds: Vec<u64>,
    pub pictures: Vec<RgbImage>,
}

/// Loads the `report.json`, `samples.jsonl` and `samples/*.png` of an `eval --out` folder.
pub fn load_saved(dir: &Path) -> Result<SavedSamples> {
    let report_path = dir.join("report.json");
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(&report_path).with_context(|| {
            format!(
                "cannot read {} (is {} an `eval --out` folder?)",
                report_path.display(),
                dir.display()
            )
        })?)
        .with_context(|| format!("{} is damaged", report_path.display()))?;
    let list = dir.join("samples.jsonl");
    let text = std::fs::read_to_string(&list)
        .with_context(|| format!("cannot read {}", list.display()))?;
    let mut saved = SavedSamples {
        report,
        prompts: Vec::new(),
        seeds: Vec::new(),
        pictures: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let v: Verdict = serde_json::from_str(line)
            .with_context(|| format!("{} line {} is damaged", list.display(), n + 1))?;
        let file = dir.join(&v.file);
        let img = image::open(&file)
            .with_context(|| format!("cannot read the sample {}", file.display()))?
            .to_rgb8();
        saved.prompts.push(v.prompt);
        saved.seeds.push(v.seed);
        saved.pictures.push(img);
    }
    Ok(saved)
}

/// Writes an evaluation to `out`: report, pictures, verdicts and the grid.
pub fn write(
    out: &Path,
    report: &Report,
    pictures: &[RgbImage],
    verdicts: &[Verdict],
) -> Result<()> {
    let samples = out.join("samples");
    std::fs::create_dir_all(&samples)
        .with_context(|| format!("cannot create {}", samples.display()))?;
    for (img, v) in pictures.iter().zip(verdicts) {
        img.save(out.join(&v.file))
            .with_context(|| format!("cannot write {}", out.join(&v.file).display()))?;
    }
    let mut f = std::fs::File::create(out.join("samples.jsonl"))?;
    for v in verdicts {
        writeln!(f, "{}", serde_json::to_string(v)?)?;
    }
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(report)? + "\n",
    )?;
    super::grid::grid_png(&out.join("grid.png"), pictures, verdicts, report)?;
    Ok(())
}

/// One line of `curve.jsonl`: the accuracy-vs-steps curve during training.
#[derive(Serialize)]
pub struct CurvePoint {
    pub step: u64,
    pub train_seconds: f64,
    pub char_accuracy: f64,
    pub char_accuracy_low: f64,
    pub char_accuracy_high: f64,
    pub tiers: BTreeMap<String, f64>,
    pub shuffled_prompts: f64,
    pub chance: f64,
}

/// Appends a curve point to `run/curve.jsonl` and redraws `curve.png`.
pub fn append_curve(run: &Path, report: &Report) -> Result<()> {
    let p = CurvePoint {
        step: report.step,
        train_seconds: report.train_seconds,
        char_accuracy: report.overall.char_accuracy.value,
        char_accuracy_low: report.overall.char_accuracy.low,
        char_accuracy_high: report.overall.char_accuracy.high,
        tiers: report
            .tiers
            .iter()
            .map(|(k, m)| (k.clone(), m.char_accuracy.value))
            .collect(),
        shuffled_prompts: report.controls.shuffled_prompts.char_accuracy.value,
        chance: report.chance,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run.join("curve.jsonl"))?;
    writeln!(f, "{}", serde_json::to_string(&p)?)?;
    super::plot::curve_png(run)
}

/// The default output folder of `eval RUN`: `RUN/eval-STEP`.
pub fn default_out(run: &Path, state: &RunState) -> PathBuf {
    run.join(format!("eval-{:06}", state.step))
}
