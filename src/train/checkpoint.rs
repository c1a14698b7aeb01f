//! A training run's folder: `state.json` (settings, model shape, character table, data source,
//! step), the sampling weights `ema.safetensors` (and the raw `model.safetensors`), and the exact
//! training state for `--resume` (`model.bpk` and `optimizer.bpk`, burn's format, which keeps the
//! parameter ids the optimizer state is keyed by). Files are written under temporary names and
//! renamed, `state.json` last, so an interrupted save leaves the previous checkpoint whole.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot, SafetensorsStore};
use serde::{Deserialize, Serialize};

use super::model::{Denoiser, ModelConfig};
use super::trainer::TrainSettings;
use super::vocab::Vocab;

/// Where the training images come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSpec {
    /// The generator, with this recipe (as `Recipe` serialises it, overrides applied) and the
    /// folder its paths are relative to.
    Recipe {
        recipe: serde_json::Value,
        base_dir: PathBuf,
    },
    /// A written dataset folder.
    Folder { path: PathBuf },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunState {
    /// `hanzi-synth` version that wrote it.
    pub tool: String,
    /// Optimiser steps done.
    pub step: u64,
    /// Seconds of training so far (over all sessions of the run).
    pub train_seconds: f64,
    pub settings: TrainSettings,
    pub model: ModelConfig,
    pub vocab: Vocab,
    pub data: DataSpec,
}

pub const STATE: &str = "state.json";

impl RunState {
    pub fn load(dir: &Path) -> Result<RunState> {
        let p = dir.join(STATE);
        let text = std::fs::read_to_string(&p).with_context(|| {
            format!(
                "cannot read {}: is {} a training run folder (made by `hanzi-synth train -o`)?",
                p.display(),
                dir.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is damaged", p.display()))
    }
}

fn tmp(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn commit(dir: &Path, name: &str) -> Result<()> {
    let p = dir.join(name);
    std::fs::rename(tmp(&p), &p).with_context(|| format!("cannot write {}", p.display()))
}

fn save_safetensors(module: &Denoiser, path: &Path) -> Result<()> {
    let mut store =
        SafetensorsStore::from_file(tmp(path)).metadata("format", "hanzi-synth denoiser");
    module
        .save_into(&mut store)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

/// Saves a checkpoint: training weights, optimiser state, EMA weights, then the state.
pub fn save(
    dir: &Path,
    state: &RunState,
    model: &Denoiser,
    ema: &Denoiser,
    optim: &ModuleOptimizer,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut bp = BurnpackStore::from_file(tmp(&dir.join("model.bpk")));
    model
        .save_into(&mut bp)
        .map_err(|e| anyhow::anyhow!("cannot write the training state: {e}"))?;
    optim
        .save(tmp(&dir.join("optimizer.bpk")))
        .map_err(|e| anyhow::anyhow!("cannot write the optimiser state: {e}"))?;
    save_safetensors(&model.valid(), &dir.join("model.safetensors"))?;
    save_safetensors(ema, &dir.join("ema.safetensors"))?;
    let json = serde_json::to_string_pretty(state)?;
    std::fs::write(tmp(&dir.join(STATE)), json + "\n")?;
    for name in [
        "model.bpk",
        "optimizer.bpk",
        "model.safetensors",
        "ema.safetensors",
        STATE,
    ] {
        commit(dir, name)?;
    }
    Ok(())
}

/// Keeps the EMA weights of `step` as `snapshots/ema-STEP.safetensors` (with `--eval-every`),
/// so every point of the accuracy curve can be sampled and judged again later
/// (`eval --snapshot STEP`).
pub fn save_snapshot(dir: &Path, step: u64, ema: &Denoiser) -> Result<()> {
    let snaps = dir.join("snapshots");
    std::fs::create_dir_all(&snaps)?;
    let path = snapshot_path(dir, step);
    save_safetensors(ema, &path)?;
    std::fs::rename(tmp(&path), &path).with_context(|| format!("cannot write {}", path.display()))
}

pub fn snapshot_path(dir: &Path, step: u64) -> PathBuf {
    dir.join("snapshots")
        .join(format!("ema-{step:06}.safetensors"))
}

/// The EMA weights of snapshot `step`.
pub fn load_snapshot(dir: &Path, state: &RunState, step: u64, device: &Device) -> Result<Denoiser> {
    let path = snapshot_path(dir, step);
    if !path.exists() {
        bail!(
            "{} has no snapshot of step {step} (snapshots are kept at each --eval-every step)",
            dir.display()
        );
    }
    load_into(state.model.init(device), &path)
}

/// Loads weights saved by [`save`] into a freshly initialised model of the state's shape.
fn load_into(mut model: Denoiser, path: &Path) -> Result<Denoiser> {
    if !path.exists() {
        bail!(
            "{} is missing: the run folder is incomplete",
            path.display()
        );
    }
    let failed = |e: String| anyhow::anyhow!("cannot load {}: {e}", path.display());
    if path.extension().is_some_and(|e| e == "bpk") {
        model
            .load_from(&mut BurnpackStore::from_file(path))
            .map_err(|e| failed(e.to_string()))?;
    } else {
        model
            .load_from(&mut SafetensorsStore::from_file(path))
            .map_err(|e| failed(e.to_string()))?;
    }
    Ok(model)
}

/// The sampling (EMA) weights of a run, on `device`.
pub fn load_ema(dir: &Path, state: &RunState, device: &Device) -> Result<Denoiser> {
    load_into(state.model.init(device), &dir.join("ema.safetensors"))
}

/// The training weights, EMA weights and optimiser of a run, to continue it.
pub fn load_training(
    dir: &Path,
    state: &RunState,
    device: &Device,
    optim: ModuleOptimizer,
) -> Result<(Denoiser, Denoiser, ModuleOptimizer)> {
    let model = load_into(state.model.init(device), &dir.join("model.bpk"))?;
    let ema = load_ema(dir, state, &device.clone().inner())?;
    let optim = optim
        .load(dir.join("optimizer.bpk"))
        .map_err(|e| anyhow::anyhow!("cannot load {}: {e}", dir.join("optimizer.bpk").display()))?;
    Ok((model, ema, optim))
}
