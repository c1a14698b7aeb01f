//! Layout: shapes the lines of a text block with harfrust and places glyphs and character cells.
//!
//! Horizontal lines are shaped left-to-right; vertical columns top-to-bottom, which makes the
//! shaper apply the font's `vert`/`vrt2` substitutions (so 「」，。 take their vertical forms) and
//! vertical advances and origins. Positions come out in font units; the block is then scaled to
//! pixels with y down and moved so that its bounds start at the origin.
//!
//! A character's cell is its advance box (advance × line box, or column width × vertical advance)
//! united with the ink box of its glyphs grown by one pixel, so the cell always contains all of
//! the character's ink, antialiased fringe included.

use anyhow::{bail, Result};
use harfrust::{Buffer, ClusterLevel, Direction as HbDirection, Script, ShapeOptions};

use crate::fonts::Face;
use crate::geometry::Rect;
use crate::outlines::outline;
use crate::recipe::Direction;

/// A glyph to draw: its id and its origin in block pixels (y down).
#[derive(Clone, Debug)]
pub struct PlacedGlyph {
    pub glyph: u32,
    /// Index of the character (in its line) this glyph draws.
    pub cluster: usize,
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Debug)]
pub struct CharCell {
    pub ch: char,
    pub rect: Rect,
}

#[derive(Clone, Debug)]
pub struct LineLayout {
    pub text: String,
    pub glyphs: Vec<PlacedGlyph>,
    pub chars: Vec<CharCell>,
    /// Union of the line's character cells.
    pub rect: Rect,
}

#[derive(Clone, Debug)]
pub struct BlockLayout {
    pub direction: Direction,
    /// Pixels per em.
    pub size: f64,
    /// Pixels per font unit.
    pub scale: f64,
    pub lines: Vec<LineLayout>,
    /// Bounds of every cell, starting at (0, 0).
    pub bounds: Rect,
}

/// Spacing parameters in em.
#[derive(Clone, Copy, Debug)]
pub struct Spacing {
    pub letter: f64,
    pub line: f64,
}

/// Shapes one line; returns glyphs and per-character cells in font units, y up, pen from (0, 0).
fn shape_line(
    face: &Face,
    text: &str,
    dir: Direction,
    letter_spacing: f64,
    ink_pad: f64,
) -> Result<(Vec<PlacedGlyph>, Vec<CharCell>)> {
    let chars: Vec<char> = text.chars().collect();
    let mut buffer = Buffer::new();
    for (i, c) in chars.iter().enumerate() {
        buffer.push(*c as u32, i as u32);
    }
    buffer.set_direction(match dir {
        Direction::Horizontal => HbDirection::LeftToRight,
        Direction::Vertical => HbDirection::TopToBottom,
    });
    buffer.set_script(Some(Script::HAN));
    buffer.set_cluster_level(ClusterLevel::MonotoneCharacters);
    let shaper = face.shaper();
    harfrust::shape(
        &shaper,
        &mut buffer,
        ShapeOptions::new().plan(Some(face.plan(dir))),
    )
    .map_err(|e| anyhow::anyhow!("shaping failed: {e:?}"))?;

    let upem = face.units_per_em;
    let spacing = letter_spacing * upem;
    let infos = buffer.glyph_infos();
    let positions = buffer.glyph_positions();
    let mut glyphs = Vec::with_capacity(infos.len());
    let mut cluster_rects: Vec<Option<Rect>> = vec![None; chars.len()];
    let (mut pen_x, mut pen_y) = (0.0f64, 0.0f64);
    for (g, (info, pos)) in infos.iter().zip(positions).enumerate() {
        if info.glyph_id == 0 {
            let c = chars.get(info.cluster as usize).copied().unwrap_or('?');
            bail!("{} has no glyph for {c:?} (tofu)", face.family);
        }
        let ox = pen_x + f64::from(pos.x_offset);
        let oy = pen_y + f64::from(pos.y_offset);
        let (adv_x, adv_y) = (f64::from(pos.x_advance), f64::from(pos.y_advance));
        let cell = match dir {
            Direction::Horizontal => Rect::new(pen_x, face.descender, pen_x + adv_x, face.ascender),
            Direction::Vertical => {
                Rect::new(pen_x - upem / 2.0, pen_y + adv_y, pen_x + upem / 2.0, pen_y)
            }
        };
        let ink = outline(face, info.glyph_id)
            .map(|o| o.bounds.translate(ox, oy).expand(ink_pad))
            .unwrap_or(Rect::EMPTY);
        let slot = &mut cluster_rects[(info.cluster as usize).min(chars.len() - 1)];
        let rect = slot.unwrap_or(Rect::EMPTY).union(&cell).union(&ink);
        *slot = Some(rect);
        glyphs.push(PlacedGlyph {
            glyph: info.glyph_id,
            cluster: info.cluster as usize,
            x: ox,
            y: oy,
        });
        pen_x += adv_x;
        pen_y += adv_y;
        let last_of_cluster = infos.get(g + 1).is_none_or(|n| n.cluster != info.cluster);
        if last_of_cluster && g + 1 < infos.len() {
            match dir {
                Direction::Horizontal => pen_x += spacing,
                Direction::Vertical => pen_y -= spacing,
            }
        }
    }
    // Characters merged into another's cluster (ligatures) share that cluster's cell.
    let mut cells = Vec::with_capacity(chars.len());
    let mut last = Rect::EMPTY;
    for (i, c) in chars.iter().enumerate() {
        if let Some(r) = cluster_rects[i] {
            last = r;
        }
        cells.push(CharCell { ch: *c, rect: last });
    }
    Ok((glyphs, cells))
}

/// Lays out `lines` (horizontal lines top to bottom, or vertical columns right to left) at
/// `size` pixels per em.
pub fn layout_block(
    face: &Face,
    lines: &[String],
    dir: Direction,
    size: f64,
    spacing: Spacing,
) -> Result<BlockLayout> {
    let upem = face.units_per_em;
    let scale = size / upem;
    let pitch = spacing.line * upem;
    let mut out_lines = Vec::with_capacity(lines.len());
    for (k, text) in lines.iter().enumerate() {
        // One pixel around the ink box holds the antialiased and resampled fringe.
        let (glyphs, cells) = shape_line(face, text, dir, spacing.letter, 1.0 / scale)?;
        // Shift line k; convert font units (y up) to pixels (y down).
        let (dx, dy) = match dir {
            Direction::Horizontal => (0.0, -(k as f64) * pitch),
            Direction::Vertical => (-(k as f64) * pitch, 0.0),
        };
        let to_px = |x: f64, y: f64| ((x + dx) * scale, -(y + dy) * scale);
        let glyphs: Vec<PlacedGlyph> = glyphs
            .into_iter()
            .map(|g| {
                let (x, y) = to_px(g.x, g.y);
                PlacedGlyph { x, y, ..g }
            })
            .collect();
        let chars: Vec<CharCell> = cells
            .into_iter()
            .map(|c| {
                let (x0, y0) = to_px(c.rect.x0, c.rect.y1);
                let (x1, y1) = to_px(c.rect.x1, c.rect.y0);
                CharCell {
                    ch: c.ch,
                    rect: Rect::new(x0, y0, x1, y1),
                }
            })
            .collect();
        let rect = chars.iter().fold(Rect::EMPTY, |r, c| r.union(&c.rect));
        out_lines.push(LineLayout {
            text: text.clone(),
            glyphs,
            chars,
            rect,
        });
    }
    let bounds = out_lines.iter().fold(Rect::EMPTY, |r, l| r.union(&l.rect));
    if bounds.is_empty() {
        bail!("empty text block");
    }
    let (ox, oy) = (-bounds.x0, -bounds.y0);
    for line in &mut out_lines {
        for g in &mut line.glyphs {
            g.x += ox;
            g.y += oy;
        }
        for c in &mut line.chars {
            c.rect = c.rect.translate(ox, oy);
        }
        line.rect = line.rect.translate(ox, oy);
    }
    Ok(BlockLayout {
        direction: dir,
        size,
        scale,
        lines: out_lines,
        bounds: bounds.translate(ox, oy),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::FontSet;
    use crate::recipe::FontsConfig;

    fn faces() -> FontSet {
        FontSet::load(&FontsConfig::default(), &['中']).unwrap()
    }

    const SPACING: Spacing = Spacing {
        letter: 0.0,
        line: 1.3,
    };

    #[test]
    fn horizontal_cells_advance_left_to_right() {
        let set = faces();
        let sans = set.faces.iter().find(|f| f.style == "sans").unwrap();
        let b = layout_block(
            sans,
            &["中国人".into()],
            Direction::Horizontal,
            40.0,
            SPACING,
        )
        .unwrap();
        let cells = &b.lines[0].chars;
        assert_eq!(cells.len(), 3);
        for w in cells.windows(2) {
            assert!(w[1].rect.x0 >= w[0].rect.x1 - 1e-6);
        }
        // CJK ideographs advance one em.
        assert!(
            (cells[0].rect.width() - 40.0).abs() < 2.0,
            "{:?}",
            cells[0].rect
        );
        assert!(b.bounds.x0.abs() < 1e-9 && b.bounds.y0.abs() < 1e-9);
    }

    #[test]
    fn vertical_columns_go_down_and_use_vertical_forms() {
        for face in &faces().faces {
            let h = layout_block(
                face,
                &["「中」，".into()],
                Direction::Horizontal,
                40.0,
                SPACING,
            )
            .unwrap();
            let v = layout_block(
                face,
                &["「中」，".into()],
                Direction::Vertical,
                40.0,
                SPACING,
            )
            .unwrap();
            let cells = &v.lines[0].chars;
            // Cells progress downwards (fonts without vertical metrics may ink slightly past
            // their default advance, so neighbouring cells can overlap by a little).
            for w in cells.windows(2) {
                assert!(w[1].rect.y0 >= w[0].rect.y0 + 20.0, "{}", face.family);
                assert!(w[1].rect.y0 >= w[0].rect.y1 - 6.0, "{}", face.family);
            }
            // The shaper substituted vertical forms for the brackets and the comma.
            let hg: Vec<u32> = h.lines[0].glyphs.iter().map(|g| g.glyph).collect();
            let vg: Vec<u32> = v.lines[0].glyphs.iter().map(|g| g.glyph).collect();
            assert_ne!(hg[0], vg[0], "{}: 「 kept its horizontal form", face.family);
            assert_ne!(hg[3], vg[3], "{}: ， kept its horizontal form", face.family);
            assert_eq!(hg[1], vg[1], "中 has no vertical variant");
        }
    }

    #[test]
    fn multiple_lines_stack() {
        let set = faces();
        let lines = ["中国".to_string(), "人民".to_string()];
        let h = layout_block(&set.faces[0], &lines, Direction::Horizontal, 30.0, SPACING).unwrap();
        assert!(h.lines[1].rect.y0 > h.lines[0].rect.y0 + 30.0);
        let v = layout_block(&set.faces[0], &lines, Direction::Vertical, 30.0, SPACING).unwrap();
        // Columns run right to left.
        assert!(v.lines[1].rect.x0 < v.lines[0].rect.x0 - 30.0);
    }

    #[test]
    fn letter_spacing_widens_lines() {
        let set = faces();
        let tight = layout_block(
            &set.faces[0],
            &["中国人".into()],
            Direction::Horizontal,
            40.0,
            SPACING,
        )
        .unwrap();
        let loose = layout_block(
            &set.faces[0],
            &["中国人".into()],
            Direction::Horizontal,
            40.0,
            Spacing {
                letter: 0.5,
                line: 1.3,
            },
        )
        .unwrap();
        assert!((loose.bounds.width() - tight.bounds.width() - 40.0).abs() < 1.0);
    }
}
