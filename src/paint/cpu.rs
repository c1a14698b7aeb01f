//! The CPU painter: the reference every other painter is compared with. Integer arithmetic
//! wherever pixel values are decided, so its output is the same on every machine.

use std::time::Instant;

use anyhow::Result;
use image::RgbImage;

use super::Painter;
use crate::composite::blend;
use crate::effects::warp_image;
use crate::plan::Plan;
use crate::scene::{lap, Context, StageTimes};
use crate::warp::warp_alpha;

/// Paints on the calling thread (generate runs one per worker).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuPainter;

impl Painter for CpuPainter {
    fn paint(
        &mut self,
        ctx: &Context,
        plan: &Plan,
        background: Option<RgbImage>,
        times: &mut StageTimes,
    ) -> Result<RgbImage> {
        let mut clock = Instant::now();
        let (w, h) = (plan.width, plan.height);
        let mut canvas = match background {
            Some(painted) => painted,
            None => ctx.backgrounds.paint(&plan.background, w, h)?,
        };
        lap(&mut clock, &mut times.background);
        for layer in &plan.layers {
            let warped = warp_alpha(&plan.planes[layer.plane], &layer.to_canvas, w, h);
            blend(
                &mut canvas,
                &warped,
                layer.paint,
                layer.opacity,
                layer.blend,
            );
        }
        lap(&mut clock, &mut times.composite);
        if let Some(h_cam) = &plan.camera {
            canvas = warp_image(&canvas, h_cam);
        }
        for effect in &plan.effects {
            effect.apply(&mut canvas);
        }
        lap(&mut clock, &mut times.effects);
        Ok(canvas)
    }
}
