//! Paint: turns a [`Plan`] into pixels. Painters read the plan and the loaded assets only, and
//! never decide anything: every random choice and every label is already in the plan, so two
//! painters differ at most in pixels. [`CpuPainter`] is the reference.

mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

pub use cpu::CpuPainter;

use anyhow::Result;
use image::RgbImage;

use crate::plan::Plan;
use crate::scene::{Context, StageTimes};

pub trait Painter {
    /// Paints `plan`. `background`, when given, is `plan.background` already painted (a native
    /// crop's planner paints its small patch to read it whole); otherwise the painter paints it.
    /// `times` accumulates the background, composite and effects stages.
    fn paint(
        &mut self,
        ctx: &Context,
        plan: &Plan,
        background: Option<RgbImage>,
        times: &mut StageTimes,
    ) -> Result<RgbImage>;
}

/// `--device`: which painter paints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceChoice {
    /// The CPU painter (the reference).
    #[default]
    Cpu,
    /// The GPU painter; an error when this build has none or no adapter is found.
    Gpu,
    /// The GPU painter when this build has one and an adapter is found, else the CPU painter.
    Auto,
}

/// What `--device gpu` says in a build without the feature.
pub const NO_GPU_BUILD: &str = "this build has no GPU painter; rebuild with `cargo build \
    --release --features gpu`";

/// The painter a run uses, opened once and shared by its workers.
#[derive(Clone, Default)]
pub enum Device {
    #[default]
    Cpu,
    #[cfg(feature = "gpu")]
    Gpu(std::sync::Arc<gpu::Gpu>),
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}

impl Device {
    /// Opens the device `choice` asks for. `Err` is for the user (what to install or
    /// rebuild); `Ok` with a note when `auto` falls back to the CPU.
    pub fn open(choice: DeviceChoice) -> std::result::Result<(Device, Option<String>), String> {
        match choice {
            DeviceChoice::Cpu => Ok((Device::Cpu, None)),
            #[cfg(feature = "gpu")]
            DeviceChoice::Gpu => gpu::Gpu::new()
                .map(|g| (Device::Gpu(std::sync::Arc::new(g)), None))
                .map_err(|e| format!("{e:#}")),
            #[cfg(not(feature = "gpu"))]
            DeviceChoice::Gpu => Err(NO_GPU_BUILD.into()),
            #[cfg(feature = "gpu")]
            DeviceChoice::Auto => Ok(match gpu::Gpu::new() {
                Ok(g) => (Device::Gpu(std::sync::Arc::new(g)), None),
                Err(e) => {
                    let why = format!("{e:#}");
                    let why = if why == gpu::NO_ADAPTER {
                        "no GPU adapter found (Vulkan)".to_string()
                    } else {
                        why
                    };
                    (
                        Device::Cpu,
                        Some(format!("note: --device auto: painting on the CPU ({why})")),
                    )
                }
            }),
            #[cfg(not(feature = "gpu"))]
            DeviceChoice::Auto => Ok((
                Device::Cpu,
                Some(
                    "note: --device auto: painting on the CPU (this build has no GPU painter)"
                        .into(),
                ),
            )),
        }
    }

    /// "cpu", or "gpu: ADAPTER (DRIVER)": what the manifest records.
    pub fn description(&self) -> String {
        match self {
            Device::Cpu => "cpu".into(),
            #[cfg(feature = "gpu")]
            Device::Gpu(g) => g.description().into(),
        }
    }

    /// "cpu" or "gpu": pictures may differ between kinds, not within one.
    pub fn kind(&self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            #[cfg(feature = "gpu")]
            Device::Gpu(_) => "gpu",
        }
    }

    /// A painter for one worker (or one batching loop).
    pub fn painter(&self) -> Box<dyn Painter + Send> {
        match self {
            Device::Cpu => Box::new(CpuPainter),
            #[cfg(feature = "gpu")]
            Device::Gpu(g) => Box::new(gpu::GpuPainter::new(g.clone())),
        }
    }
}
