//! Preview: a contact sheet of samples with line quads (green) and character quads (red)
//! drawn over them — for eyes, not for training.

use anyhow::{Context as _, Result};
use image::RgbImage;
use tiny_skia::{Paint, PathBuilder, Pixmap, PixmapPaint, Stroke, Transform};

use crate::composite::CpuCompositor;
use crate::scene::{render_sample, Context, JsonQuad, StageTimes};

fn quad_path(q: &JsonQuad, scale: f32, dx: f32, dy: f32) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    for (i, p) in q.iter().enumerate() {
        let (x, y) = (p[0] as f32 * scale + dx, p[1] as f32 * scale + dy);
        if i == 0 {
            pb.move_to(x, y);
        } else {
            pb.line_to(x, y);
        }
    }
    pb.close();
    pb.finish()
}

fn to_pixmap(img: &RgbImage) -> Pixmap {
    let mut pm = Pixmap::new(img.width(), img.height()).expect("non-empty image");
    for (dst, src) in pm
        .data_mut()
        .chunks_exact_mut(4)
        .zip(img.as_raw().chunks_exact(3))
    {
        dst.copy_from_slice(&[src[0], src[1], src[2], 255]);
    }
    pm
}

/// Renders samples `start..start + n` into a grid with `columns` columns of `tile`-pixel tiles.
pub fn contact_sheet(ctx: &Context, start: u64, n: u64, columns: u32, tile: u32) -> Result<Pixmap> {
    let rows = n.div_ceil(u64::from(columns)) as u32;
    let gap = 6;
    let (cw, ch) = (ctx.recipe.canvas.width.0, ctx.recipe.canvas.height.0);
    let scale = tile as f32 / cw.max(ch) as f32;
    let (tw, th) = ((cw as f32 * scale) as u32, (ch as f32 * scale) as u32);
    let mut sheet = Pixmap::new(columns * (tw + gap) + gap, rows * (th + gap) + gap)
        .context("preview sheet too large")?;
    sheet.fill(tiny_skia::Color::from_rgba8(40, 40, 40, 255));
    let mut line_paint = Paint::default();
    line_paint.set_color_rgba8(0, 230, 60, 255);
    line_paint.anti_alias = true;
    let mut char_paint = Paint::default();
    char_paint.set_color_rgba8(255, 40, 40, 220);
    char_paint.anti_alias = true;
    for k in 0..n {
        let sample = render_sample(
            ctx,
            start + k,
            &mut CpuCompositor,
            &mut StageTimes::default(),
        )?;
        let pm = to_pixmap(&sample.image);
        let col = (k % u64::from(columns)) as u32;
        let row = (k / u64::from(columns)) as u32;
        let (ox, oy) = (
            (gap + col * (tw + gap)) as f32,
            (gap + row * (th + gap)) as f32,
        );
        let paint = PixmapPaint {
            quality: tiny_skia::FilterQuality::Bilinear,
            ..PixmapPaint::default()
        };
        sheet.draw_pixmap(
            0,
            0,
            pm.as_ref(),
            &paint,
            Transform::from_row(scale, 0.0, 0.0, scale, ox, oy),
            None,
        );
        for line in &sample.meta.lines {
            for c in &line.chars {
                if let Some(p) = quad_path(&c.quad, scale, ox, oy) {
                    sheet.stroke_path(
                        &p,
                        &char_paint,
                        &Stroke {
                            width: 1.0,
                            ..Stroke::default()
                        },
                        Transform::identity(),
                        None,
                    );
                }
            }
            if let Some(p) = quad_path(&line.quad, scale, ox, oy) {
                sheet.stroke_path(
                    &p,
                    &line_paint,
                    &Stroke {
                        width: 1.5,
                        ..Stroke::default()
                    },
                    Transform::identity(),
                    None,
                );
            }
        }
    }
    Ok(sheet)
}
