//! Pages from designed templates (`templates`): the template's page colour, its panels (header
//! bars, cards, buttons) as layers, and one block per text region, set in the region's styles
//! and alignment, sized to the region and placed in it. Colours are chosen against what lies
//! under the ink — page and panels — as in a free layout; labels come out the same way.

use super::*;
use crate::recipe::{Prob, Range, Weights};
use crate::render::rounded_rect;
use crate::template::{region_lines, Region, Role, Template};

/// The sample's template, drawn by weight; `None` for a free layout.
pub(super) fn pick_template<'a>(ctx: &'a Context, root: &Rng) -> Option<&'a Template> {
    if ctx.templates.is_empty() {
        return None;
    }
    let weights: Vec<f64> = ctx.templates.iter().map(|(_, w)| *w).collect();
    let i = root.fork("template").weighted(&weights);
    Some(&ctx.templates[i].0)
}

/// What a page is planned on.
pub(super) struct TemplatePage<'a> {
    pub template: &'a Template,
    /// The page as read (its solid colour).
    pub canvas: &'a Backdrop,
    pub light: f64,
}

/// Where a page's blocks and layers go (the planner's own lists).
pub(super) struct PageOut<'a> {
    pub drawn: &'a mut Vec<(PlannedBlock, Spot, Painted)>,
    pub roles: &'a mut Vec<&'static str>,
    pub planes: &'a mut Vec<AlphaLayer>,
    pub layers: &'a mut Vec<LayerPlan>,
    pub notes: &'a mut Vec<String>,
}

/// Plans the template's panels and a block per region. Returns how many regions were left out
/// (text that cannot fit its region above `text.min_size`, or that no face draws).
pub(super) fn plan_page(
    ctx: &Context,
    page: &TemplatePage,
    root: &Rng,
    out: &mut PageOut,
    times: &mut StageTimes,
    clock: &mut Instant,
) -> Result<u32> {
    let t = page.template;
    let size = (page.canvas.width, page.canvas.height);
    let short = f64::from(size.0.min(size.1));
    // The page with its panels painted in: what the text colours are judged against.
    let mut reading = page.canvas.clone();
    let mut rng = root.fork("panels");
    let mut boxes: Vec<(Rect, f64, [u8; 3])> = Vec::new();
    for p in &t.panels {
        let color = p.colors[rng.below(p.colors.len() as u64) as usize].0;
        boxes.push((Template::pixels(&p.rect, size), p.radius * short, color));
    }
    for r in t.regions.iter().filter(|r| !r.panel.is_empty()) {
        let color = r.panel[rng.below(r.panel.len() as u64) as usize].0;
        let rect = Template::pixels(&r.rect, size);
        boxes.push((rect, 0.25 * rect.width().min(rect.height()), color));
    }
    for (rect, radius, color) in boxes {
        let (x0, y0) = (rect.x0.floor(), rect.y0.floor());
        let w = (rect.x1.ceil() - x0).max(1.0) as u32;
        let h = (rect.y1.ceil() - y0).max(1.0) as u32;
        let plane = rounded_rect(w, h, rect.translate(-x0, -y0), radius);
        paint_into(&mut reading, &plane, (x0 as u32, y0 as u32), color);
        out.planes.push(plane);
        out.layers.push(LayerPlan {
            plane: out.planes.len() - 1,
            to_canvas: Homography::translate(x0, y0),
            paint: Paint::Solid(color),
            opacity: 255,
            blend: BlendMode::Normal,
        });
    }
    lap(clock, &mut times.background);

    let mut dropped = 0;
    for (i, region) in t.regions.iter().enumerate() {
        let brng = root.fork(&format!("region{i}"));
        let rect = Template::pixels(&region.rect, size);
        let r = &ctx.recipe;
        let lines = region_lines(&ctx.corpus, &r.corpus, region, &mut brng.fork("text"));
        let dir = region.direction.unwrap_or(Direction::Horizontal);
        let rr = region_recipe(r, region, dir, rect, lines.len());
        let ask = BlockAsk {
            recipe: &rr,
            forced: &lines,
            avail: (rect.width(), rect.height()),
            scale: 1.0,
            rescue: Rescue::None,
            light: page.light,
            styles: &region.styles,
        };
        let Ok((mut plan, _)) = plan_block(ctx, &brng, &ask, times, clock) else {
            dropped += 1;
            out.notes.push(format!(
                "region {i} ({}): its text fits no face or not its box; left out",
                region.role.name()
            ));
            continue;
        };
        let spot = region_spot(&plan, rect, region, dir, &reading);
        lap(clock, &mut times.placement);
        let painted = color_block(
            ctx,
            &mut plan,
            &spot,
            out.planes,
            out.layers,
            &mut brng.fork("color"),
        );
        if painted.contrast < r.color.min_contrast {
            out.notes.push(format!(
                "region {i}: contrast {:.2} below the target {}",
                painted.contrast, r.color.min_contrast
            ));
        }
        out.drawn.push((plan, spot, painted));
        out.roles.push(region.role.name());
    }
    Ok(dropped)
}

/// The run's recipe narrowed to one region: its lines as given, its direction and alignment,
/// a size that fills the region's height (width for columns), no warp, curve, title or
/// carrier.
fn region_recipe(base: &Recipe, region: &Region, dir: Direction, rect: Rect, n: usize) -> Recipe {
    let mut r = base.clone();
    r.corpus.text = None;
    r.corpus.lines = Range::new(1, 1);
    r.text.direction = Weights([(dir, 1.0)].into_iter().collect());
    let align = region.align.unwrap_or(Align::Start);
    r.layout.align = Weights([(align, 1.0)].into_iter().collect());
    r.layout.title = Prob(0.0);
    r.layout.curve = Prob(0.0);
    r.warp.probability = Prob(0.0);
    r.warp.rotation = Range::new(0.0, 0.0);
    r.carrier.probability = Prob(0.0);
    let across = match dir {
        Direction::Horizontal => rect.height(),
        Direction::Vertical => rect.width(),
    };
    let per_line = across / (n.max(1) as f64 * r.text.line_spacing.max.max(1.0));
    let top = (per_line * 0.9).max(r.text.min_size);
    r.text.size = Range::new((top * 0.8).max(r.text.min_size), top);
    r
}

/// Puts a planned block in its region: along its alignment (columns start at the right), a
/// heading centred across, running text from the region's top.
fn region_spot(
    plan: &PlannedBlock,
    rect: Rect,
    region: &Region,
    dir: Direction,
    reading: &Backdrop,
) -> Spot {
    let bb = Rect::of_points(plan.shape.iter());
    let (w, h) = (bb.width(), bb.height());
    let align = region.align.unwrap_or(Align::Start);
    let x = match (dir, align) {
        (_, Align::Center) => (rect.x0 + rect.x1 - w) / 2.0,
        (Direction::Horizontal, Align::Start) | (Direction::Vertical, Align::End) => rect.x0,
        (Direction::Horizontal, Align::End) | (Direction::Vertical, Align::Start) => rect.x1 - w,
    };
    let heading = matches!(
        region.role,
        Role::Title | Role::Subtitle | Role::Label | Role::Button
    );
    let y = if heading && dir == Direction::Horizontal {
        (rect.y0 + rect.y1 - h) / 2.0
    } else {
        rect.y0
    };
    let (tx, ty) = ((x - bb.x0).round(), (y - bb.y0).round());
    let footprint = plan.shape.map(|p| Point::new(p.x + tx, p.y + ty));
    let (lw, lh) = (
        plan.layout.bounds.x1 + 2.0 * plan.pad,
        plan.layout.bounds.y1 + 2.0 * plan.pad,
    );
    let laid = Rect::new(0.0, 0.0, lw, lh).quad();
    let to_canvas =
        Homography::from_quads(&laid, &footprint).unwrap_or_else(|| Homography::translate(tx, ty));
    let ink = ink_points(&plan.planes.fill);
    let (dark, light) = luminance_spread(luminances_under(&ink, &to_canvas, reading));
    let reachable = [[0, 0, 0], [255, 255, 255]]
        .map(|c| effective_contrast(c, plan.looks.opacity, plan.looks.blend, dark, light))
        .into_iter()
        .fold(0.0, f64::max);
    Spot {
        to_canvas,
        footprint,
        dark,
        light,
        reachable,
        texture: 0.0,
        ambient: [0, 0, 0],
    }
}

/// Blends `color` into the held pixels of `img` with the coverage of `plane` placed at `at`
/// (canvas pixels): each held pixel as the canvas pixel it is would be painted.
fn paint_into(img: &mut Backdrop, plane: &AlphaLayer, at: (u32, u32), color: [u8; 3]) {
    let t = &mut img.thumb;
    let (s, tw, th) = (t.step, t.image.width(), t.image.height());
    for j in at.1.div_ceil(s)..(at.1 + plane.height).div_ceil(s).min(th) {
        for i in at.0.div_ceil(s)..(at.0 + plane.width).div_ceil(s).min(tw) {
            let a = u32::from(plane.get(i * s - at.0, j * s - at.1));
            if a == 0 {
                continue;
            }
            let p = t.image.get_pixel_mut(i, j);
            for (v, c) in p.0.iter_mut().zip(color) {
                *v = ((u32::from(*v) * (255 - a) + u32::from(c) * a + 127) / 255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_painted_into_held_pixels_are_the_canvas_painted_then_held() {
        let (w, h) = (37, 29);
        let data = crate::simd::random_bytes(3, (w * h * 3) as usize);
        let canvas = RgbImage::from_raw(w, h, data).unwrap();
        let held = |img: &RgbImage| {
            RgbImage::from_fn(w.div_ceil(4), h.div_ceil(4), |x, y| {
                *img.get_pixel(x * 4, y * 4)
            })
        };
        let mut whole = Backdrop::whole(canvas.clone());
        let mut thumb = Backdrop {
            thumb: Thumbnail {
                image: held(&canvas),
                step: 4,
            },
            width: w,
            height: h,
        };
        for (at, size) in [((0, 0), (5, 5)), ((3, 7), (30, 9)), ((21, 13), (20, 20))] {
            let rect = Rect::new(0.0, 0.0, f64::from(size.0), f64::from(size.1));
            let plane = rounded_rect(size.0, size.1, rect, 3.0);
            paint_into(&mut whole, &plane, at, [250, 10, 90]);
            paint_into(&mut thumb, &plane, at, [250, 10, 90]);
        }
        assert!(held(&whole.thumb.image) == thumb.thumb.image);
    }
}
