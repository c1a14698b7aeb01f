//! Recipe A/B: train one model per recipe and seed with the same budget, evaluate all of them
//! with one judge on one eval set, and report each metric's difference (B − A) with a bootstrap
//! interval that resamples seeds and pictures — so it says whether a difference exceeds
//! seed-to-seed noise. Runs that already finished are reused, so an interrupted A/B continues.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Result};
use serde::Serialize;

use super::checkpoint::{load_ema, DataSpec, RunState};
use super::eval::{evaluate, write, EvalSettings, Verdict};
use super::judge::Judge;
use super::metrics::{difference, score, Estimate};
use super::trainer::{device, train, TrainOptions, TrainSettings};
use super::vocab::TIERS;

pub struct AbOptions {
    pub a: DataSpec,
    pub b: DataSpec,
    pub names: [String; 2],
    pub seeds: u64,
    pub settings: TrainSettings,
    pub eval: EvalSettings,
    pub out: PathBuf,
    pub quiet: bool,
}

#[derive(Serialize)]
struct ArmSeed {
    seed: u64,
    run: String,
    char_accuracy: f64,
    tiers: BTreeMap<String, f64>,
    train_seconds: f64,
}

#[derive(Serialize)]
struct Comparison {
    metric: String,
    a: f64,
    b: f64,
    /// B − A with its 95% interval (seeds and pictures resampled).
    difference: Estimate,
    /// The interval excludes zero.
    beyond_noise: bool,
    /// Spread of the per-seed values (standard deviation), each arm.
    seed_sd: [f64; 2],
}

#[derive(Serialize)]
struct AbReport {
    a: String,
    b: String,
    seeds: u64,
    steps: u64,
    batch: usize,
    eval: EvalSettings,
    chance: f64,
    arms: [Vec<ArmSeed>; 2],
    comparisons: Vec<Comparison>,
}

fn sd(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if v.len() < 2 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Runs the A/B; returns true when interrupted (runs so far are kept).
pub fn run_ab(o: &AbOptions) -> Result<bool> {
    std::fs::create_dir_all(&o.out)?;
    let mut per_arm: [Vec<(u64, RunState, Vec<Verdict>)>; 2] = [Vec::new(), Vec::new()];
    let mut judge: Option<Judge> = None;
    for (arm, spec) in [&o.a, &o.b].into_iter().enumerate() {
        let label = ["a", "b"][arm];
        // Seeds `--seed`, `--seed` + 1, …: another first seed gives an independent replication.
        let first = o.settings.seed;
        for seed in first..first + o.seeds {
            let run = o.out.join(format!("{label}-seed{seed}"));
            let mut settings = o.settings.clone();
            settings.seed = seed;
            let resume = run.join(super::checkpoint::STATE).exists();
            if !o.quiet {
                eprintln!(
                    "A/B: {} ({}), seed {seed} → {}",
                    label,
                    o.names[arm],
                    run.display()
                );
            }
            let opts = TrainOptions {
                out: run.clone(),
                data: (!resume).then(|| spec.clone()),
                settings,
                resume,
                quiet: o.quiet,
                eval_every: 0,
            };
            let outcome = train(&opts, &mut |_, _, _| Ok(()))?;
            if outcome.interrupted {
                return Ok(true);
            }
            let state = outcome.state;
            if judge.is_none() {
                judge = Some(Judge::load_or_train(
                    &o.out.join("judge"),
                    &state.vocab.chars,
                    &super::cli::fonts_recipe(&state)?,
                    0,
                    o.quiet,
                )?);
            }
            let j = judge.as_ref().expect("set above");
            if j.info.chars != state.vocab.chars {
                bail!(
                    "recipes A and B have different character tables; an A/B compares recipes \
                     over the same vocabulary (same corpus, different sampling, fonts, looks…)"
                );
            }
            let dev = device();
            let model = load_ema(&run, &state, &dev)?;
            let (report, pictures, verdicts) = evaluate(&run, &model, &state, j, &o.eval, &dev)?;
            write(
                &super::eval::default_out(&run, &state),
                &report,
                &pictures,
                &verdicts,
            )?;
            per_arm[arm].push((seed, state, verdicts));
        }
    }
    let vocab = &per_arm[0][0].1.vocab;
    let values = |arm: usize, tier: Option<&str>| -> Vec<Vec<f64>> {
        per_arm[arm]
            .iter()
            .map(|(_, _, vs)| {
                vs.iter()
                    .filter(|v| tier.is_none_or(|t| v.tier == t))
                    .map(|v| {
                        score(&v.prompt, &v.reading).chars_right as f64
                            / v.prompt.chars().count().max(1) as f64
                    })
                    .collect()
            })
            .collect()
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let mut comparisons = Vec::new();
    let metrics: Vec<(String, Option<&str>)> = std::iter::once(("char_accuracy".to_string(), None))
        .chain(
            TIERS
                .iter()
                .map(|t| (format!("char_accuracy_{t}"), Some(*t))),
        )
        .collect();
    for (name, tier) in metrics {
        let (a, b) = (values(0, tier), values(1, tier));
        if a.iter().all(|s| s.is_empty()) {
            continue;
        }
        let flat = |x: &[Vec<f64>]| x.iter().flatten().copied().collect::<Vec<_>>();
        let d = difference(&a, &b, 2000, 7);
        comparisons.push(Comparison {
            metric: name,
            a: mean(&flat(&a)),
            b: mean(&flat(&b)),
            beyond_noise: d.low > 0.0 || d.high < 0.0,
            difference: d,
            seed_sd: [
                sd(&a.iter().map(|s| mean(s)).collect::<Vec<_>>()),
                sd(&b.iter().map(|s| mean(s)).collect::<Vec<_>>()),
            ],
        });
    }
    let arm_rows = |arm: usize| -> Vec<ArmSeed> {
        per_arm[arm]
            .iter()
            .map(|(seed, state, vs)| {
                let acc = |tier: Option<&str>| {
                    let sel: Vec<&Verdict> = vs
                        .iter()
                        .filter(|v| tier.is_none_or(|t| v.tier == t))
                        .collect();
                    sel.iter().filter(|v| v.correct).count() as f64 / sel.len().max(1) as f64
                };
                ArmSeed {
                    seed: *seed,
                    run: o
                        .out
                        .join(format!("{}-seed{seed}", ["a", "b"][arm]))
                        .display()
                        .to_string(),
                    char_accuracy: acc(None),
                    tiers: TIERS
                        .iter()
                        .map(|t| (t.to_string(), acc(Some(t))))
                        .collect(),
                    train_seconds: state.train_seconds,
                }
            })
            .collect()
    };
    let report = AbReport {
        a: o.names[0].clone(),
        b: o.names[1].clone(),
        seeds: o.seeds,
        steps: o.settings.steps,
        batch: o.settings.batch,
        eval: o.eval.clone(),
        chance: 1.0 / vocab.chars.len().max(1) as f64,
        arms: [arm_rows(0), arm_rows(1)],
        comparisons,
    };
    std::fs::write(
        o.out.join("ab.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    println!("A = {}\nB = {}", report.a, report.b);
    println!(
        "{:<22} {:>7} {:>7} {:>24}  beyond seed noise?",
        "metric", "A", "B", "B - A (95% CI)"
    );
    for c in &report.comparisons {
        println!(
            "{:<22} {:>6.1}% {:>6.1}% {:>+7.1} ({:+.1} to {:+.1})  {}",
            c.metric,
            100.0 * c.a,
            100.0 * c.b,
            100.0 * c.difference.value,
            100.0 * c.difference.low,
            100.0 * c.difference.high,
            if c.beyond_noise { "yes" } else { "no" }
        );
    }
    println!("wrote {}", o.out.join("ab.json").display());
    Ok(false)
}
