//! Paint: turns a [`Plan`] into pixels. Painters read the plan and the loaded assets only, and
//! never decide anything: every random choice and every label is already in the plan, so two
//! painters differ at most in pixels. [`CpuPainter`] is the reference.

mod cpu;

pub use cpu::CpuPainter;

use anyhow::Result;
use image::RgbImage;

use crate::plan::Plan;
use crate::scene::{Context, StageTimes};

pub trait Painter {
    /// Paints `plan`. `background`, when given, is `plan.background` already painted (the
    /// planner paints it to read what lies under the text); otherwise the painter paints it.
    /// `times` accumulates the background, composite and effects stages.
    fn paint(
        &mut self,
        ctx: &Context,
        plan: &Plan,
        background: Option<RgbImage>,
        times: &mut StageTimes,
    ) -> Result<RgbImage>;
}
