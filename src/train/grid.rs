//! `grid.png`: the evaluation's pictures, enlarged, each framed green (read as its prompt) or
//! red, with "prompt → reading" under it and the headline numbers on top — what a person looks
//! at first.

use std::path::Path;

use anyhow::Result;
use image::{imageops, RgbImage};
use plotters::prelude::*;

use super::eval::{Report, Verdict};

const CELL: u32 = 96;
const LABEL: u32 = 26;
const HEADER: u32 = 40;
const MOST: usize = 480;

pub fn grid_png(
    path: &Path,
    pictures: &[RgbImage],
    verdicts: &[Verdict],
    report: &Report,
) -> Result<()> {
    let n = pictures.len().min(MOST);
    let per_row = report.settings.per_prompt.max(1);
    // Whole prompts per row: up to 16 pictures wide.
    let cols = (16 / per_row).max(1) * per_row;
    let cols = cols.min(n.max(1)) as u32;
    let rows = n.div_ceil(cols as usize).max(1) as u32;
    let (w, h) = (
        cols * (CELL + 4) + 4,
        HEADER + rows * (CELL + LABEL + 4) + 4,
    );
    let mut canvas = RgbImage::from_pixel(w, h, image::Rgb([255, 255, 255]));
    let mut frames = Vec::new();
    for (i, (img, v)) in pictures.iter().zip(verdicts).take(n).enumerate() {
        let (c, r) = (i as u32 % cols, i as u32 / cols);
        let (x, y) = (4 + c * (CELL + 4), HEADER + 4 + r * (CELL + LABEL + 4));
        let big = imageops::resize(img, CELL, CELL, imageops::FilterType::Nearest);
        imageops::replace(&mut canvas, &big, i64::from(x), i64::from(y));
        frames.push((x, y, v));
    }
    let mut buf = canvas.into_raw();
    {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            crate::fonts::BUNDLED_FONTS[0].data,
        );
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let m = &report.overall.char_accuracy;
        root.draw_text(
            &format!(
                "step {}: {:.1}% read as prompted (95% CI {:.1}-{:.1}), chance {:.1}%, shuffled prompts {:.1}%",
                report.step,
                100.0 * m.value,
                100.0 * m.low,
                100.0 * m.high,
                100.0 * report.chance,
                100.0 * report.controls.shuffled_prompts.char_accuracy.value
            ),
            &("sans-serif", 20).into_font().color(&BLACK),
            (8, 10),
        )?;
        for (x, y, v) in frames {
            let colour = if v.correct {
                RGBColor(30, 160, 60)
            } else {
                RGBColor(210, 40, 40)
            };
            let (x, y) = (x as i32, y as i32);
            let c = CELL as i32;
            root.draw(&Rectangle::new(
                [(x - 2, y - 2), (x + c + 1, y + c + 1)],
                colour.stroke_width(2),
            ))?;
            let reading = if v.reading.is_empty() {
                "?".to_string()
            } else {
                v.reading.clone()
            };
            root.draw_text(
                &format!("{} -> {}", v.prompt, reading),
                &("sans-serif", 18).into_font().color(&colour),
                (x + 4, y + c + 4),
            )?;
        }
        root.present()?;
    }
    let img = RgbImage::from_raw(w, h, buf).expect("buffer of the canvas size");
    img.save(path)?;
    Ok(())
}
