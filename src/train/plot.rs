//! Pictures of a run: `loss.png` (training loss per logged window, log scale) from
//! `train.jsonl`, and `curve.png` (judge accuracy vs steps, with 95% intervals) from
//! `curve.jsonl`.

use std::path::Path;

use anyhow::{Context as _, Result};
use plotters::prelude::*;

fn register_font() {
    // Labels in the bundled sans face; registering twice is harmless.
    let _ = plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        crate::fonts::BUNDLED_FONTS[0].data,
    );
}

fn read_jsonl(path: &Path) -> Result<Vec<serde_json::Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

fn get(v: &serde_json::Value, k: &str) -> f64 {
    v.get(k).and_then(|x| x.as_f64()).unwrap_or(f64::NAN)
}

/// Writes `dir/loss.png` from `dir/train.jsonl` (nothing when it has no lines yet).
pub fn loss_png(dir: &Path) -> Result<()> {
    let rows = read_jsonl(&dir.join("train.jsonl"))?;
    let points: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (get(r, "step"), get(r, "loss")))
        .filter(|p| p.0.is_finite() && p.1.is_finite() && p.1 > 0.0)
        .collect();
    if points.is_empty() {
        return Ok(());
    }
    draw_png(&dir.join("loss.png"), |root| {
        let max_step = points.iter().map(|p| p.0).fold(1.0, f64::max);
        let lo = points.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        let hi = points.iter().map(|p| p.1).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption("training loss (weighted MSE)", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..max_step, (lo * 0.9..hi * 1.1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("loss")
            .label_style(("sans-serif", 14))
            .draw()?;
        chart.draw_series(LineSeries::new(points, &RGBColor(40, 90, 170)))?;
        Ok(())
    })
}

/// Writes `dir/curve.png` from `dir/curve.jsonl` (overall character accuracy per evaluation,
/// with its bootstrap interval, and the judge's chance level).
pub fn curve_png(dir: &Path) -> Result<()> {
    let rows = read_jsonl(&dir.join("curve.jsonl"))?;
    if rows.is_empty() {
        return Ok(());
    }
    draw_png(&dir.join("curve.png"), |root| {
        let max_step = rows.iter().map(|r| get(r, "step")).fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption(
                "judge character accuracy of samples vs training steps",
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_step * 1.02, 0f64..100f64)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("% correct")
            .label_style(("sans-serif", 14))
            .draw()?;
        let pts: Vec<(f64, f64, f64, f64)> = rows
            .iter()
            .map(|r| {
                (
                    get(r, "step"),
                    100.0 * get(r, "char_accuracy"),
                    100.0 * get(r, "char_accuracy_low"),
                    100.0 * get(r, "char_accuracy_high"),
                )
            })
            .collect();
        let blue = RGBColor(40, 90, 170);
        chart.draw_series(
            pts.iter()
                .map(|p| PathElement::new(vec![(p.0, p.2), (p.0, p.3)], blue)),
        )?;
        chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), &blue))?;
        chart.draw_series(
            pts.iter()
                .map(|p| Circle::new((p.0, p.1), 3, blue.filled())),
        )?;
        if let Some(chance) = rows.last().map(|r| 100.0 * get(r, "chance")) {
            if chance.is_finite() {
                chart.draw_series(LineSeries::new(
                    vec![(0.0, chance), (max_step, chance)],
                    &RGBColor(180, 60, 60),
                ))?;
            }
        }
        Ok(())
    })
}

/// A 900×500 white chart page drawn by `draw` in the bundled sans face, written as a PNG.
fn draw_png(
    path: &Path,
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<()> {
    register_font();
    let (w, h) = (900u32, 500u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    image::RgbImage::from_raw(w, h, buf)
        .expect("buffer of the chart size")
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))
}
