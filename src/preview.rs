//! Preview: a contact sheet of samples with line outlines (green) and character quads (red)
//! drawn over them — for eyes, not for training. In line-crop mode, the crops themselves.

use anyhow::{Context as _, Result};
use image::RgbImage;
use tiny_skia::{Paint, PathBuilder, Pixmap, PixmapPaint, Stroke, Transform};

use crate::crop::{crops_for_mode, render_for_mode};
use crate::paint::Device;
use crate::scene::{render_sample, Context, StageTimes};

fn quad_path(q: &[[f64; 2]], scale: f32, dx: f32, dy: f32) -> Option<tiny_skia::Path> {
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

/// Lays the line crops of samples `start..start + n` out in rows `width` pixels wide (crop mode).
fn crop_sheet(ctx: &Context, start: u64, n: u64, width: u32, device: &Device) -> Result<Pixmap> {
    let gap = 4;
    let mut painter = device.painter();
    let mut crops = Vec::new();
    for k in 0..n {
        let mut sample =
            render_for_mode(ctx, start + k, &mut *painter, &mut StageTimes::default())?;
        crops.extend(crops_for_mode(&mut sample, &ctx.recipe.output));
    }
    // Row packing: horizontal crops in rows, then the vertical ones side by side.
    crops.sort_by_key(|c| c.meta.direction == crate::recipe::Direction::Vertical);
    let (mut x, mut y, mut row_h) = (gap, gap, 0);
    let mut spots = Vec::with_capacity(crops.len());
    for c in &crops {
        let (w, h) = (c.image.width().min(width - 2 * gap), c.image.height());
        if x + w + gap > width {
            x = gap;
            y += row_h + gap;
            row_h = 0;
        }
        spots.push((x, y));
        x += w + gap;
        row_h = row_h.max(h);
    }
    let height = y + row_h + gap;
    let mut sheet = Pixmap::new(width, height).context("preview sheet too large")?;
    sheet.fill(tiny_skia::Color::from_rgba8(40, 40, 40, 255));
    for (c, (x, y)) in crops.iter().zip(spots) {
        let pm = to_pixmap(&c.image);
        sheet.draw_pixmap(
            x as i32,
            y as i32,
            pm.as_ref(),
            &PixmapPaint::default(),
            Transform::identity(),
            None,
        );
    }
    Ok(sheet)
}

/// A tile with the canvas's aspect ratio, `tile` pixels on its longer side; square when the
/// recipe draws a size per sample (buckets), so that portrait and landscape both fit.
fn tile_size(r: &crate::recipe::Recipe, tile: u32) -> (u32, u32) {
    if !r.canvas.buckets.0.is_empty() {
        return (tile, tile);
    }
    let (w, h) = (r.canvas.width.0 as f64, r.canvas.height.0 as f64);
    let short = |a: f64, b: f64| ((f64::from(tile) * a / b).round() as u32).max(1);
    if w >= h {
        (tile, short(h, w))
    } else {
        (short(w, h), tile)
    }
}

/// Renders samples `start..start + n` into a grid with `columns` columns of `tile`-pixel tiles
/// (each sample scaled to fit its tile), with line (green) and character (red) outlines when
/// `boxes` is set, painted on `device`.
pub fn contact_sheet(
    ctx: &Context,
    start: u64,
    n: u64,
    columns: u32,
    tile: u32,
    boxes: bool,
    device: &Device,
) -> Result<Pixmap> {
    if ctx.recipe.output.mode.is_crops() {
        return crop_sheet(ctx, start, n, columns * (tile + 6) + 6, device);
    }
    let mut painter = device.painter();
    let rows = n.div_ceil(u64::from(columns)) as u32;
    let gap = 6;
    let (tw, th) = tile_size(&ctx.recipe, tile);
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
        let sample = render_sample(ctx, start + k, &mut *painter, &mut StageTimes::default())?;
        let pm = to_pixmap(&sample.image);
        let (cw, ch) = (sample.image.width(), sample.image.height());
        let scale = (tw as f32 / cw as f32).min(th as f32 / ch as f32);
        let col = (k % u64::from(columns)) as u32;
        let row = (k / u64::from(columns)) as u32;
        let (ox, oy) = (
            (gap + col * (tw + gap)) as f32 + (tw as f32 - cw as f32 * scale) / 2.0,
            (gap + row * (th + gap)) as f32 + (th as f32 - ch as f32 * scale) / 2.0,
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
        if !boxes {
            continue;
        }
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
            if let Some(p) = quad_path(&line.polygon, scale, ox, oy) {
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
