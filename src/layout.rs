//! Layout: shapes the lines of a text block with harfrust and places glyphs and character cells.
//!
//! Horizontal lines are shaped left-to-right; vertical columns top-to-bottom, which makes the
//! shaper apply the font's `vert`/`vrt2` substitutions (so 「」，。 take their vertical forms) and
//! vertical advances and origins. Positions come out in font units; each line is scaled to
//! pixels (a title line may be larger), y down, stacked with the line spacing and aligned.
//!
//! A character's cell is its advance box (advance × line box, or column width × vertical advance)
//! united with the ink box of its glyphs grown by 1.5 pixels, so the cell always contains all of
//! the character's ink, antialiased and resampled fringe included. Curved lines move every character rigidly
//! (rotation about its cell centre plus a shift onto the curve), and the same motion is applied to
//! its glyphs and its cell, so the cell quad still contains the ink.

use anyhow::{bail, Result};
use harfrust::{Buffer, ClusterLevel, Direction as HbDirection, Script, ShapeOptions};

use crate::fonts::Face;
use crate::geometry::{Homography, Point, Quad, Rect, Rigid};
use crate::outlines::outline;
use crate::recipe::{Align, Direction, Recipe};

/// A glyph to draw: its id and where its outline goes. The outline (font units, y up) is scaled
/// by `scale` with y flipped, rotated by `angle` (radians, clockwise on screen) and moved so that
/// its origin lands at `(x, y)` in block pixels.
#[derive(Clone, Debug)]
pub struct PlacedGlyph {
    pub glyph: u32,
    /// Index of the character (in its line) this glyph draws.
    pub cluster: usize,
    pub x: f64,
    pub y: f64,
    /// Pixels per font unit.
    pub scale: f64,
    pub angle: f64,
    /// Synthetic width and slant, applied to the outline (font units, y up) before `scale`:
    /// `x' = x_scale·x + shear·y`. 1 and 0 draw the face as designed.
    pub x_scale: f64,
    pub shear: f64,
}

#[derive(Clone, Debug)]
pub struct CharCell {
    pub ch: char,
    /// Corners top-left, top-right, bottom-right, bottom-left of the (possibly rotated) cell.
    pub quad: Quad,
}

impl CharCell {
    pub fn bbox(&self) -> Rect {
        Rect::of_points(self.quad.iter())
    }
}

#[derive(Clone, Debug)]
pub struct LineLayout {
    pub text: String,
    /// Pixels per em of this line.
    pub size: f64,
    pub glyphs: Vec<PlacedGlyph>,
    pub chars: Vec<CharCell>,
    /// The line's outline, clockwise: its box for a straight line; for a curved line the top
    /// edges of its cells left to right, then their bottom edges right to left.
    pub outline: Vec<Point>,
    /// Axis-aligned box around the outline.
    pub bounds: Rect,
    /// Whether the line follows a curve (its cells are rotated individually).
    pub curved: bool,
}

#[derive(Clone, Debug)]
pub struct BlockLayout {
    pub direction: Direction,
    /// Pixels per em of the body lines.
    pub size: f64,
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

/// The baseline a horizontal block's lines follow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Curve {
    Straight,
    /// Concentric circular arcs; `bend` = sagitta / longest line length (positive: arched up).
    Arc {
        bend: f64,
    },
    /// A sine wave; amplitude and wavelength in em, phase in radians.
    Wave {
        amplitude: f64,
        length: f64,
        phase: f64,
    },
}

/// Everything that shapes a block besides its text and face.
#[derive(Clone, Copy, Debug)]
pub struct BlockStyle {
    pub direction: Direction,
    /// Pixels per em of the body lines.
    pub size: f64,
    pub spacing: Spacing,
    pub align: Align,
    /// Size of the first line relative to the others (1 = no title).
    pub title_scale: f64,
    /// Ignored for vertical blocks.
    pub curve: Curve,
    /// Pixels of outline drawn around the glyphs: cells grow by it so they hold the outline
    /// (and a synthetic bold, which is an outline in the text's own colour).
    pub outline: f64,
    /// Synthetic oblique: the tangent of the slant (positive leans right), about each
    /// character's baseline (horizontal) or middle (vertical).
    pub slant: f64,
    /// Synthetic width: horizontal scale of the glyphs and their advances (condensed < 1).
    pub x_scale: f64,
}

impl BlockStyle {
    /// A plain block: one size, start-aligned, straight.
    pub fn plain(direction: Direction, size: f64, spacing: Spacing) -> BlockStyle {
        BlockStyle {
            direction,
            size,
            spacing,
            align: Align::Start,
            title_scale: 1.0,
            curve: Curve::Straight,
            outline: 0.0,
            slant: 0.0,
            x_scale: 1.0,
        }
    }
}

/// The synthetic width and slant in font units (y up) about a reference height `y_ref`.
fn synthetic_map(p: Point, x_scale: f64, slant: f64, y_ref: f64) -> Point {
    Point::new(x_scale * p.x + slant * (p.y - y_ref), p.y)
}

/// Shapes one line; returns glyphs and per-character cells in font units, y up, pen from (0, 0),
/// with the synthetic width and slant applied (cells then are parallelograms that hold the
/// slanted ink exactly as the boxes held the upright ink: the map is linear).
fn shape_line(
    face: &Face,
    text: &str,
    dir: Direction,
    letter_spacing: f64,
    ink_pad: f64,
    (x_scale, slant): (f64, f64),
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
    // Height each cluster slants about: the baseline, or a vertical cell's middle.
    let mut cluster_ref: Vec<Option<f64>> = vec![None; chars.len()];
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
        let k = (info.cluster as usize).min(chars.len() - 1);
        let slot = &mut cluster_rects[k];
        let rect = slot.unwrap_or(Rect::EMPTY).union(&cell).union(&ink);
        *slot = Some(rect);
        let y_ref = *cluster_ref[k].get_or_insert(match dir {
            Direction::Horizontal => 0.0,
            Direction::Vertical => (cell.y0 + cell.y1) / 2.0,
        });
        let origin = synthetic_map(Point::new(ox, oy), x_scale, slant, y_ref);
        glyphs.push(PlacedGlyph {
            glyph: info.glyph_id,
            cluster: info.cluster as usize,
            x: origin.x,
            y: origin.y,
            scale: 1.0,
            angle: 0.0,
            x_scale,
            shear: slant,
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
    // A visible character whose cluster has no ink would be labelled but not drawn.
    for (i, c) in chars.iter().enumerate() {
        let inked = glyphs
            .iter()
            .any(|g| g.cluster == i && outline(face, g.glyph).is_some());
        if cluster_rects[i].is_some() && !inked && !c.is_whitespace() {
            bail!(
                "{} draws nothing for {c:?} (empty or broken outline)",
                face.family
            );
        }
    }
    // Characters merged into another's cluster (ligatures) share that cluster's cell.
    let mut cells = Vec::with_capacity(chars.len());
    let (mut last, mut last_ref) = (Rect::EMPTY, 0.0);
    for (i, c) in chars.iter().enumerate() {
        if let Some(r) = cluster_rects[i] {
            last = r;
            last_ref = cluster_ref[i].unwrap_or(0.0);
        }
        cells.push(CharCell {
            ch: *c,
            quad: last
                .quad()
                .map(|p| synthetic_map(p, x_scale, slant, last_ref)),
        });
    }
    Ok((glyphs, cells))
}

/// Lays out `lines` (horizontal lines top to bottom, or vertical columns right to left).
pub fn layout_block(face: &Face, lines: &[String], style: &BlockStyle) -> Result<BlockLayout> {
    let dir = style.direction;
    let upem = face.units_per_em;
    let mut out_lines = Vec::with_capacity(lines.len());
    // Cross-axis position of the current line's baseline (horizontal) or centre (vertical).
    let mut cross = 0.0;
    let mut prev_size: Option<f64> = None;
    for (k, text) in lines.iter().enumerate() {
        let size = if k == 0 && lines.len() > 1 {
            style.size * style.title_scale
        } else {
            style.size
        };
        let scale = size / upem;
        if let Some(p) = prev_size {
            let step = style.spacing.line * (p + size) / 2.0;
            match dir {
                Direction::Horizontal => cross += step,
                Direction::Vertical => cross -= step,
            }
        }
        prev_size = Some(size);
        // Bilinear resampling spreads a layer pixel's ink over neighbours whose centres lie
        // within one pixel, and a pixel that only touches the ink box holds ink: 1.5 pixels
        // around the ink box (and the outline) hold the whole fringe.
        // A condensing width squeezes that margin too; widen it so 1.5 pixels remain.
        let ink_pad = (1.5 + style.outline) / scale / style.x_scale.min(1.0);
        let (glyphs, cells) = shape_line(
            face,
            text,
            dir,
            style.spacing.letter,
            ink_pad,
            (style.x_scale, style.slant),
        )?;
        let to_px = |x: f64, y: f64| match dir {
            Direction::Horizontal => Point::new(x * scale, cross - y * scale),
            Direction::Vertical => Point::new(cross + x * scale, -y * scale),
        };
        let glyphs: Vec<PlacedGlyph> = glyphs
            .into_iter()
            .map(|g| {
                let p = to_px(g.x, g.y);
                PlacedGlyph {
                    x: p.x,
                    y: p.y,
                    scale,
                    ..g
                }
            })
            .collect();
        let chars: Vec<CharCell> = cells
            .into_iter()
            .map(|c| {
                // A font-unit cell runs bottom-left, bottom-right, top-right, top-left (y up);
                // on the y-down pixel grid that order reversed is top-left … bottom-left.
                let [bl, br, tr, tl] = c.quad.map(|p| to_px(p.x, p.y));
                CharCell {
                    ch: c.ch,
                    quad: [tl, tr, br, bl],
                }
            })
            .collect();
        let bounds = Rect::of_points(chars.iter().flat_map(|c| c.quad.iter()));
        out_lines.push(LineLayout {
            text: text.clone(),
            size,
            glyphs,
            chars,
            outline: bounds.quad().to_vec(),
            bounds,
            curved: false,
        });
    }
    align_lines(&mut out_lines, dir, style.align);
    if dir == Direction::Horizontal && style.curve != Curve::Straight {
        bend_lines(&mut out_lines, style.curve, style.size);
    }
    let bounds = out_lines
        .iter()
        .fold(Rect::EMPTY, |r, l| r.union(&l.bounds));
    if bounds.is_empty() {
        bail!("empty text block");
    }
    for line in &mut out_lines {
        shift_line(line, -bounds.x0, -bounds.y0);
    }
    Ok(BlockLayout {
        direction: dir,
        size: style.size,
        lines: out_lines,
        bounds: bounds.translate(-bounds.x0, -bounds.y0),
    })
}

fn shift_line(line: &mut LineLayout, dx: f64, dy: f64) {
    let mv = |p: &mut Point| {
        p.x += dx;
        p.y += dy;
    };
    for g in &mut line.glyphs {
        g.x += dx;
        g.y += dy;
    }
    for c in &mut line.chars {
        c.quad.iter_mut().for_each(mv);
    }
    line.outline.iter_mut().for_each(mv);
    line.bounds = line.bounds.translate(dx, dy);
}

/// Moves lines along the reading direction so that they share a start, centre or end.
fn align_lines(lines: &mut [LineLayout], dir: Direction, align: Align) {
    let extent = |b: &Rect| match dir {
        Direction::Horizontal => (b.x0, b.x1),
        Direction::Vertical => (b.y0, b.y1),
    };
    let longest = lines
        .iter()
        .map(|l| extent(&l.bounds))
        .map(|(a, b)| b - a)
        .fold(0.0, f64::max);
    for line in lines.iter_mut() {
        let (a, b) = extent(&line.bounds);
        let slack = longest - (b - a);
        let offset = -a
            + match align {
                Align::Start => 0.0,
                Align::Center => slack / 2.0,
                Align::End => slack,
            };
        match dir {
            Direction::Horizontal => shift_line(line, offset, 0.0),
            Direction::Vertical => shift_line(line, 0.0, offset),
        }
    }
}

/// The radius of the middle arc: the circle through the ends and the middle of the longest
/// line (R = (L²/4 + s²) / 2s), widened when needed so that every line of a tall block stays on
/// its own side of the centre. Signed like `bend`.
fn arc_radius(bend: f64, longest: f64, block_height: f64, size: f64) -> f64 {
    let s = bend * longest;
    let radius = (longest * longest / 4.0 + s * s) / (2.0 * s);
    radius.signum() * radius.abs().max(block_height / 2.0 + size)
}

/// The rigid motion that puts a character whose straight cell is centred at `c` onto `curve`.
/// `mid` is the block's centre; `size` its body size (pixels per em); `radius` the middle arc's.
fn curve_motion(curve: Curve, c: Point, mid: Point, radius: f64, size: f64) -> Rigid {
    let d = c.x - mid.x;
    let (to, angle) = match curve {
        Curve::Straight => (c, 0.0),
        Curve::Arc { .. } => {
            // Lines further from the centre of the circle run on larger circles; every line
            // keeps its arc length (its letter spacing).
            let r = radius - (c.y - mid.y);
            let theta = d / r;
            let centre = Point::new(mid.x, mid.y + radius);
            (
                Point::new(centre.x + r * theta.sin(), centre.y - r * theta.cos()),
                theta,
            )
        }
        Curve::Wave {
            amplitude,
            length,
            phase,
        } => {
            let (a, k) = (amplitude * size, std::f64::consts::TAU / (length * size));
            let arg = k * d + phase;
            (
                Point::new(c.x, c.y + a * arg.sin()),
                (a * k * arg.cos()).atan(),
            )
        }
    };
    Rigid { angle, from: c, to }
}

/// Moves every character of every line onto the curve, and rebuilds the line outlines.
fn bend_lines(lines: &mut [LineLayout], curve: Curve, size: f64) {
    let all = lines.iter().fold(Rect::EMPTY, |r, l| r.union(&l.bounds));
    let mid = Point::new((all.x0 + all.x1) / 2.0, (all.y0 + all.y1) / 2.0);
    let longest = lines.iter().map(|l| l.bounds.width()).fold(0.0, f64::max);
    let radius = match curve {
        Curve::Arc { bend } if bend.abs() >= 1e-3 => arc_radius(bend, longest, all.height(), size),
        Curve::Arc { .. } | Curve::Straight => return,
        Curve::Wave { .. } => 0.0,
    };
    for line in lines.iter_mut() {
        let motions: Vec<Rigid> = line
            .chars
            .iter()
            .map(|c| {
                let b = Rect::of_points(c.quad.iter());
                let centre =
                    Point::new((b.x0 + b.x1) / 2.0, (line.bounds.y0 + line.bounds.y1) / 2.0);
                curve_motion(curve, centre, mid, radius, size)
            })
            .collect();
        for g in &mut line.glyphs {
            let m = motions[g.cluster.min(motions.len() - 1)];
            let p = m.apply(Point::new(g.x, g.y));
            g.x = p.x;
            g.y = p.y;
            g.angle += m.angle;
        }
        for (c, m) in line.chars.iter_mut().zip(&motions) {
            c.quad = c.quad.map(|p| m.apply(p));
        }
        let top = line.chars.iter().flat_map(|c| [c.quad[0], c.quad[1]]);
        let bottom = line.chars.iter().rev().flat_map(|c| [c.quad[2], c.quad[3]]);
        line.outline = top.chain(bottom).collect();
        line.bounds = Rect::of_points(line.outline.iter());
        line.curved = true;
    }
}

/// The smallest size, in pixels per em, at which any character of `line` ends up in the image
/// through `to_image` (layout coordinates → image): its line's size times the map's thinnest
/// scale at the character's centre. `INFINITY` for a line without characters.
pub fn line_px_per_em(line: &LineLayout, to_image: &Homography) -> f64 {
    line.chars
        .iter()
        .map(|c| {
            let centre = c.quad.iter().fold(Point::new(0.0, 0.0), |a, p| {
                Point::new(a.x + p.x / 4.0, a.y + p.y / 4.0)
            });
            line.size * to_image.min_scale_at(centre)
        })
        .fold(f64::INFINITY, f64::min)
}

/// [`line_px_per_em`] over every line of a block: its least legible character.
pub fn block_px_per_em(layout: &BlockLayout, to_image: &Homography) -> f64 {
    layout
        .lines
        .iter()
        .map(|l| line_px_per_em(l, to_image))
        .fold(f64::INFINITY, f64::min)
}

/// What `recipe check` says about the recipe's text sizes against its canvases.
#[derive(Debug, Default, PartialEq)]
pub struct FitReport {
    /// Text that can never be drawn: `generate` would fail.
    pub problem: Option<String>,
    /// Text drawn smaller than `text.size` says.
    pub warnings: Vec<String>,
}

/// Checks, from the recipe alone, how text fits the smallest canvas inside its margins. The
/// longest block (`corpus.lines` lines of `corpus.max_chars_per_line` characters — with
/// `corpus.text`, of its widest `width` in columns — at the tightest spacing) must fit at `text.size.min` (else a warning: such blocks are drawn smaller) and at
/// the legibility floor `text.min_size` (else a warning: such text is drawn anew, so short
/// words are favoured); the shortest text (one line of a two-character word) must fit at the
/// floor (else an error: nothing could be drawn). One em per character is the advance of a CJK
/// character; outlines, warps and rotation only need more room, so these are lower bounds.
pub fn check_text_fits(r: &Recipe) -> FitReport {
    let (buckets, _) = r.canvas.buckets.options();
    let (cw, ch) = buckets
        .iter()
        .map(|b| (b.width, b.height))
        .min_by_key(|&(w, h)| w.min(h))
        .unwrap_or((r.canvas.width.0, r.canvas.height.0));
    let margin = r.text.margin * f64::from(cw.min(ch));
    let (avail_w, avail_h) = (f64::from(cw) - 2.0 * margin, f64::from(ch) - 2.0 * margin);
    let spacing = r.text.letter_spacing.min;
    let line_ems = |chars: f64| chars * (1.0 + spacing) - spacing;
    let block_ems = |lines: f64| 1.0 + (lines - 1.0) * r.text.line_spacing.min;
    // Real text (`corpus.text`) sets lines of up to `width.max` columns; when they do not fit,
    // it sets them narrower and cuts paragraphs shorter instead of drawing other text.
    let (columns, unit, what, knob) = match &r.corpus.text {
        Some(t) => (
            t.width.0.max,
            "columns",
            "lines are set narrower and paragraphs cut shorter to fit",
            "corpus.text.width",
        ),
        None => (
            r.corpus.max_chars_per_line,
            "characters",
            "such text is drawn anew, so shorter text is favoured",
            "corpus.max_chars_per_line",
        ),
    };
    let (longest, tallest) = (
        line_ems(f64::from(columns)),
        block_ems(f64::from(r.corpus.lines.max)),
    );
    let shortest = line_ems(f64::from(columns.min(2)));
    let floor = r.text.min_size;
    let (dirs, _) = r.text.direction.options();
    let mut report = FitReport::default();
    for dir in dirs {
        // Along the line and across the lines, for this direction.
        let (along, across, name) = match dir {
            Direction::Horizontal => (avail_w, avail_h, "horizontal"),
            Direction::Vertical => (avail_h, avail_w, "vertical"),
        };
        let largest = (along / longest).min(across / tallest);
        if (along / shortest).min(across) < floor {
            report.problem = Some(format!(
                "{name} text does not fit the {cw}×{ch} canvas: even a two-character word needs \
                 {:.0}×{floor:.0} px at the legibility floor (text.min_size {floor} px per em) \
                 inside the margins; enlarge the canvas or lower text.min_size",
                shortest * floor
            ));
        } else if largest < floor {
            report.warnings.push(format!(
                "{name} blocks of {} line(s) of {columns} {unit} do not fit the {cw}×{ch} canvas \
                 at the legibility floor (text.min_size {floor}): {what}; lower {knob} or \
                 corpus.lines, or enlarge the canvas",
                r.corpus.lines.max
            ));
        } else if largest < r.text.size.min {
            report.warnings.push(format!(
                "{name} blocks of {} line(s) of {columns} {unit} fit the {cw}×{ch} canvas only up \
                 to about {largest:.0} px per em, below text.size's minimum {}: such blocks are \
                 drawn smaller than text.size says",
                r.corpus.lines.max, r.text.size.min
            ));
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use crate::recipe::Recipe;

    #[test]
    fn text_fit_check_warns_then_refuses() {
        let mut r = Recipe::default();
        assert_eq!(
            check_text_fits(&r),
            FitReport::default(),
            "the defaults fit"
        );
        // 20 characters of at least 60 px cannot cross a 512-px canvas: drawn smaller.
        r.text.size = crate::recipe::Range::new(60.0, 80.0);
        r.corpus.max_chars_per_line = 20;
        let fit = check_text_fits(&r);
        assert!(fit.problem.is_none(), "{fit:?}");
        assert!(
            fit.warnings
                .iter()
                .any(|w| w.contains("below text.size's minimum 60")),
            "{fit:?}"
        );
        // 64 characters do not fit even at the floor: drawn anew (shorter text), a warning.
        r.corpus.max_chars_per_line = 64;
        let fit = check_text_fits(&r);
        assert!(fit.problem.is_none(), "{fit:?}");
        assert!(
            fit.warnings.iter().any(|w| w.contains("drawn anew")),
            "{fit:?}"
        );
        // Real text names its own knob: lines are set narrower rather than drawn anew.
        let mut t = Recipe::default();
        t.corpus.text = Some(crate::recipe::TextSourceConfig {
            width: crate::recipe::LineWidth(crate::recipe::Range::new(8, 64)),
            ..Default::default()
        });
        let fit = check_text_fits(&t);
        assert!(
            fit.warnings.iter().any(|w| w.contains("64 columns")
                && w.contains("set narrower")
                && w.contains("corpus.text.width")),
            "{fit:?}"
        );
        // A floor no word can reach on this canvas is an error.
        r.text.min_size = 300.0;
        r.text.size = crate::recipe::Range::new(300.0, 400.0);
        assert!(check_text_fits(&r).problem.is_some());
    }

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
    fn synthetic_width_and_slant_shape_the_cells() {
        let set = faces();
        let sans = set.faces.iter().find(|f| f.style == "sans").unwrap();
        let plain = BlockStyle::plain(Direction::Horizontal, 40.0, SPACING);
        let slant = 12f64.to_radians().tan();
        let styled = BlockStyle {
            x_scale: 0.8,
            slant,
            ..plain
        };
        let a = layout_block(sans, &["中国人".into()], &plain).unwrap();
        let b = layout_block(sans, &["中国人".into()], &styled).unwrap();
        let (ca, cb) = (&a.lines[0].chars, &b.lines[0].chars);
        // Condensed: each cell's baseline edge is 0.8 as long (up to the ink margin, which is
        // widened so that 1.5 pixels remain after condensing).
        let bottom = |q: &Quad| q[2].x - q[3].x;
        for (x, y) in ca.iter().zip(cb) {
            let (wx, wy) = (bottom(&x.quad), bottom(&y.quad));
            assert!((wy - 0.8 * wx).abs() < 1.5, "{wy} vs 0.8 × {wx}");
            // Oblique: the top edge sits right of the bottom edge by slant × height.
            let height = y.quad[3].y - y.quad[0].y;
            let lean = y.quad[0].x - y.quad[3].x;
            assert!(
                (lean - slant * height).abs() < 1e-6,
                "{lean} vs {}",
                slant * height
            );
        }
        // The glyphs carry the same map, so the drawn ink leans with its cell.
        let g = &b.lines[0].glyphs[0];
        assert_eq!((g.x_scale, g.shear), (0.8, slant));
        // Vertical columns slant each character about its own middle: the column stays put.
        let vs = BlockStyle {
            direction: Direction::Vertical,
            ..styled
        };
        let v = layout_block(sans, &["中国人".into()], &vs).unwrap();
        let mids: Vec<f64> = v.lines[0]
            .chars
            .iter()
            .map(|c| c.quad.iter().map(|p| p.x).sum::<f64>() / 4.0)
            .collect();
        // (up to the ink margin, which can reach past a cell's em box by a pixel or two)
        assert!(
            mids.windows(2).all(|w| (w[0] - w[1]).abs() < 1.0),
            "{mids:?}"
        );
    }

    #[test]
    fn horizontal_cells_advance_left_to_right() {
        let set = faces();
        let sans = set.faces.iter().find(|f| f.style == "sans").unwrap();
        let b = layout_block(
            sans,
            &["中国人".into()],
            &BlockStyle::plain(Direction::Horizontal, 40.0, SPACING),
        )
        .unwrap();
        let cells = &b.lines[0].chars;
        assert_eq!(cells.len(), 3);
        for w in cells.windows(2) {
            assert!(w[1].bbox().x0 >= w[0].bbox().x1 - 1e-6);
        }
        // CJK ideographs advance one em.
        assert!(
            (cells[0].bbox().width() - 40.0).abs() < 2.0,
            "{:?}",
            cells[0].bbox()
        );
        assert!(b.bounds.x0.abs() < 1e-9 && b.bounds.y0.abs() < 1e-9);
    }

    #[test]
    fn vertical_columns_go_down_and_use_vertical_forms() {
        for face in &faces().faces {
            let h = layout_block(
                face,
                &["「中」，".into()],
                &BlockStyle::plain(Direction::Horizontal, 40.0, SPACING),
            )
            .unwrap();
            let v = layout_block(
                face,
                &["「中」，".into()],
                &BlockStyle::plain(Direction::Vertical, 40.0, SPACING),
            )
            .unwrap();
            let cells = &v.lines[0].chars;
            // Cells progress downwards (fonts without vertical metrics may ink slightly past
            // their default advance, so neighbouring cells can overlap by a little).
            for w in cells.windows(2) {
                assert!(w[1].bbox().y0 >= w[0].bbox().y0 + 20.0, "{}", face.family);
                assert!(w[1].bbox().y0 >= w[0].bbox().y1 - 6.0, "{}", face.family);
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
        let h = layout_block(
            &set.faces[0],
            &lines,
            &BlockStyle::plain(Direction::Horizontal, 30.0, SPACING),
        )
        .unwrap();
        assert!(h.lines[1].bounds.y0 > h.lines[0].bounds.y0 + 30.0);
        let v = layout_block(
            &set.faces[0],
            &lines,
            &BlockStyle::plain(Direction::Vertical, 30.0, SPACING),
        )
        .unwrap();
        // Columns run right to left.
        assert!(v.lines[1].bounds.x0 < v.lines[0].bounds.x0 - 30.0);
    }

    #[test]
    fn letter_spacing_widens_lines() {
        let set = faces();
        let tight = layout_block(
            &set.faces[0],
            &["中国人".into()],
            &BlockStyle::plain(Direction::Horizontal, 40.0, SPACING),
        )
        .unwrap();
        let loose = layout_block(
            &set.faces[0],
            &["中国人".into()],
            &BlockStyle::plain(
                Direction::Horizontal,
                40.0,
                Spacing {
                    letter: 0.5,
                    line: 1.3,
                },
            ),
        )
        .unwrap();
        assert!((loose.bounds.width() - tight.bounds.width() - 40.0).abs() < 1.0);
    }

    fn ink_box_of(block: &BlockLayout, face: &Face, l: usize, c: usize) -> Option<Rect> {
        // Transform the glyph outline's box corners the way the renderer does.
        let line = &block.lines[l];
        let mut pts = Vec::new();
        for g in line.glyphs.iter().filter(|g| g.cluster == c) {
            let Some(o) = outline(face, g.glyph) else {
                continue;
            };
            let (sin, cos) = g.angle.sin_cos();
            for p in o.bounds.quad() {
                let (x, y) = (p.x * g.scale, -p.y * g.scale);
                pts.push(Point::new(g.x + x * cos - y * sin, g.y + x * sin + y * cos));
            }
        }
        (!pts.is_empty()).then(|| Rect::of_points(pts.iter()))
    }

    #[test]
    fn titles_are_larger_and_lines_align() {
        let set = faces();
        let lines = ["中国人民".to_string(), "人".to_string()];
        for (align, expect) in [(Align::Start, 0.0), (Align::Center, 0.5), (Align::End, 1.0)] {
            let style = BlockStyle {
                align,
                title_scale: 1.5,
                ..BlockStyle::plain(Direction::Horizontal, 30.0, SPACING)
            };
            let b = layout_block(&set.faces[0], &lines, &style).unwrap();
            assert_eq!(b.lines[0].size, 45.0);
            assert_eq!(b.lines[1].size, 30.0);
            let (l0, l1) = (&b.lines[0].bounds, &b.lines[1].bounds);
            let slack = l0.width() - l1.width();
            assert!((l1.x0 - l0.x0 - slack * expect).abs() < 1e-6, "{align:?}");
            // Title and body lines do not overlap.
            assert!(l1.y0 >= l0.y1 - 1.0);
        }
    }

    #[test]
    fn curved_lines_rotate_cells_and_keep_ink_inside() {
        let set = faces();
        let face = &set.faces[0];
        let lines = ["中华人民共和国".to_string(), "万岁".to_string()];
        for curve in [
            Curve::Arc { bend: 0.3 },
            Curve::Arc { bend: -0.5 },
            Curve::Wave {
                amplitude: 0.4,
                length: 4.0,
                phase: 1.0,
            },
        ] {
            let style = BlockStyle {
                curve,
                align: Align::Center,
                ..BlockStyle::plain(Direction::Horizontal, 40.0, SPACING)
            };
            let b = layout_block(face, &lines, &style).unwrap();
            let first = &b.lines[0];
            assert!(first.curved);
            assert!(first.outline.len() > 4, "{curve:?}");
            let angles: Vec<f64> = first.glyphs.iter().map(|g| g.angle).collect();
            assert!(
                angles.iter().any(|a| a.abs() > 0.05),
                "{curve:?}: {angles:?}"
            );
            for (l, line) in b.lines.iter().enumerate() {
                for (c, cell) in line.chars.iter().enumerate() {
                    // The rotated ink box's corners lie in the rotated cell (the cell holds the
                    // ink box grown by 1.5 pixels, so the ink centre is strictly inside).
                    let ink = ink_box_of(&b, face, l, c).unwrap();
                    let centre = Point::new((ink.x0 + ink.x1) / 2.0, (ink.y0 + ink.y1) / 2.0);
                    assert!(
                        crate::geometry::point_in_polygon(centre, &cell.quad),
                        "{curve:?}"
                    );
                    for p in &cell.quad {
                        assert!(b.bounds.expand(1e-6).x1 >= p.x && p.x >= -1e-6);
                    }
                }
            }
        }
    }
}
