//! Conditions: the raster annotations diffusion text-rendering trainers condition on, made from
//! the same geometry as the image, so they line up with its text pixel for pixel.
//!
//! - glyph image (GlyphControl's glyph hint, AnyText's glyph input): the block fills alone, black
//!   on white, drawn through each block's final homography (camera included) with the same
//!   resampling and blending as the image;
//! - position mask (AnyText): every line's polygon filled;
//! - character segmentation (TextDiffuser): every inked pixel (coverage ≥ ½) labelled with the
//!   1-based index of the character whose quad holds it, in a table of the sample's characters
//!   in reading order (lines in order, characters in order).

use image::{GrayImage, ImageBuffer, Luma};
use tiny_skia::{FillRule, Mask, PathBuilder, Transform};

use crate::fonts::FontSet;
use crate::geometry::{point_in_polygon, Point, Rect};
use crate::plan::Sample;
use crate::recipe::ConditionsConfig;
use crate::render::render_fill;
use crate::warp::{warp_alpha, WarpedAlpha};

/// A character-segmentation map: 8-bit while the table fits, 16-bit past 255 characters.
pub enum CharSeg {
    Narrow(GrayImage),
    Wide(ImageBuffer<Luma<u16>, Vec<u16>>),
}

/// The rasters a recipe asked for, and the character table the segmentation indexes.
#[derive(Default)]
pub struct Conditions {
    pub glyph: Option<GrayImage>,
    pub mask: Option<GrayImage>,
    pub charseg: Option<CharSeg>,
    /// `charseg` value k (k ≥ 1) is character `table[k − 1]`.
    pub table: Vec<String>,
}

/// Each block's clean fill (no outline, no wear), warped onto the image grid exactly as the
/// image's own fill layer was.
fn warped_fills(sample: &Sample, fonts: &FontSet) -> Vec<WarpedAlpha> {
    let (w, h) = (sample.meta.width, sample.meta.height);
    sample
        .blocks
        .iter()
        .map(|b| {
            let layer = render_fill(&b.layout, &fonts.faces[b.face], b.pad, b.bold);
            warp_alpha(&layer, &b.to_canvas, w, h)
        })
        .collect()
}

/// Calls `f(pixel offset, coverage row)` for every row of every warped fill.
fn for_rows(fills: &[WarpedAlpha], image_w: u32, mut f: impl FnMut(usize, &[u8])) {
    for warped in fills {
        for (row, src) in warped
            .data
            .chunks_exact(warped.width.max(1) as usize)
            .enumerate()
        {
            f(
                ((warped.y0 + row as u32) * image_w + warped.x0) as usize,
                src,
            );
        }
    }
}

/// Black text on white: the compositor's "over" blend of black at each block's coverage.
fn glyph_image(fills: &[WarpedAlpha], w: u32, h: u32) -> GrayImage {
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    let buf: &mut [u8] = img.as_mut();
    for_rows(fills, w, |start, src| {
        for (px, a) in buf[start..start + src.len()].iter_mut().zip(src) {
            let a = u32::from(*a);
            *px = ((u32::from(*px) * (255 - a) + 127) / 255) as u8;
        }
    });
    img
}

/// Coverage of all fills together (maximum over blocks).
fn coverage(fills: &[WarpedAlpha], w: u32, h: u32) -> Vec<u8> {
    let mut cover = vec![0u8; (w * h) as usize];
    for_rows(fills, w, |start, src| {
        for (c, a) in cover[start..start + src.len()].iter_mut().zip(src) {
            *c = (*c).max(*a);
        }
    });
    cover
}

/// Every line polygon filled white (no anti-aliasing: a mask is binary).
fn position_mask(sample: &Sample) -> GrayImage {
    let (w, h) = (sample.meta.width, sample.meta.height);
    let mut mask = Mask::new(w, h).expect("image size is positive");
    for line in &sample.meta.lines {
        let mut pb = PathBuilder::new();
        for (i, p) in line.polygon.iter().enumerate() {
            let (x, y) = (p[0] as f32, p[1] as f32);
            if i == 0 {
                pb.move_to(x, y);
            } else {
                pb.line_to(x, y);
            }
        }
        pb.close();
        if let Some(path) = pb.finish() {
            mask.fill_path(&path, FillRule::Winding, false, Transform::identity());
        }
    }
    let data = mask
        .data()
        .iter()
        .map(|v| if *v > 0 { 255 } else { 0 })
        .collect();
    GrayImage::from_raw(w, h, data).expect("mask has the image's size")
}

/// Per-pixel character indices over the ink of `cover`; returns the map and the table.
fn char_segmentation(sample: &Sample, cover: &[u8]) -> (Vec<u16>, Vec<String>) {
    let (w, h) = (sample.meta.width, sample.meta.height);
    let mut map = vec![0u16; (w * h) as usize];
    let mut table = Vec::new();
    for c in sample.meta.lines.iter().flat_map(|l| &l.chars) {
        table.push(c.char.clone());
        let k = table.len().min(usize::from(u16::MAX)) as u16;
        let quad: Vec<Point> = c.quad.iter().map(|p| Point::new(p[0], p[1])).collect();
        let bb = Rect::of_points(quad.iter());
        let x0 = bb.x0.floor().max(0.0) as u32;
        let y0 = bb.y0.floor().max(0.0) as u32;
        let x1 = (bb.x1.ceil().max(0.0) as u32).min(w);
        let y1 = (bb.y1.ceil().max(0.0) as u32).min(h);
        for y in y0..y1 {
            for x in x0..x1 {
                let i = (y * w + x) as usize;
                let centre = Point::new(f64::from(x) + 0.5, f64::from(y) + 0.5);
                if cover[i] >= 128 && point_in_polygon(centre, &quad) {
                    map[i] = k;
                }
            }
        }
    }
    (map, table)
}

/// Builds the rasters `cfg` asks for.
pub fn render_conditions(sample: &Sample, fonts: &FontSet, cfg: &ConditionsConfig) -> Conditions {
    let mut out = Conditions::default();
    let (w, h) = (sample.meta.width, sample.meta.height);
    let fills = if cfg.glyph || cfg.charseg {
        warped_fills(sample, fonts)
    } else {
        Vec::new()
    };
    if cfg.glyph {
        out.glyph = Some(glyph_image(&fills, w, h));
    }
    if cfg.mask {
        out.mask = Some(position_mask(sample));
    }
    if cfg.charseg {
        let (map, table) = char_segmentation(sample, &coverage(&fills, w, h));
        out.charseg = Some(if table.len() <= 255 {
            let narrow = map.iter().map(|v| *v as u8).collect();
            CharSeg::Narrow(GrayImage::from_raw(w, h, narrow).expect("image size"))
        } else {
            CharSeg::Wide(ImageBuffer::from_raw(w, h, map).expect("image size"))
        });
        out.table = table;
    }
    out
}

/// PNG bytes of a greyscale raster (fast compression: these compress well anyway).
pub fn encode_gray(img: &GrayImage) -> anyhow::Result<Vec<u8>> {
    png_bytes(
        img.width(),
        img.height(),
        png::BitDepth::Eight,
        img.as_raw(),
    )
}

/// PNG bytes of a segmentation map.
pub fn encode_charseg(map: &CharSeg) -> anyhow::Result<Vec<u8>> {
    match map {
        CharSeg::Narrow(img) => encode_gray(img),
        CharSeg::Wide(img) => {
            // PNG stores 16-bit samples big-endian.
            let bytes: Vec<u8> = img.as_raw().iter().flat_map(|v| v.to_be_bytes()).collect();
            png_bytes(img.width(), img.height(), png::BitDepth::Sixteen, &bytes)
        }
    }
}

fn png_bytes(w: u32, h: u32, depth: png::BitDepth, data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(depth);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header()?;
    writer.write_image_data(data)?;
    writer.finish()?;
    Ok(out)
}
