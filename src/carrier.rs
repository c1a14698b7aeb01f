//! Carriers: text printed on a thing that stands in the picture — a paper card, a wooden board,
//! cardboard, a fabric banner, an LED panel, a shop sign — with its own surface texture, edge,
//! drop shadow and shading, lit like the scene around it.
//!
//! A carrier is a handful of coverage planes on the block's own pixel grid, under the text's:
//! the block's one homography warps board and text together into the photo, so the text's
//! labels stay exact and the painters need nothing new. This module owns what a carrier looks
//! like (its planes, its colours, the luminances its text is judged against); the planner
//! ([`crate::scene`]) decides whether a block gets one and where it goes.

use std::f64::consts::TAU;

use crate::blur::radius_for_sigma;
use crate::color::{hsv, luminance, luminance_spread};
use crate::geometry::{Point, Rect};
use crate::noise::{add_value_noise, fractal_field};
use crate::recipe::{CarrierConfig, CarrierKind};
use crate::render::{rounded_rect, AlphaLayer};
use crate::rng::{mix64, Rng};

/// A block's carrier as drawn from the recipe, in em (sizes are known only after fitting).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CarrierDraw {
    pub kind: CarrierKind,
    /// Free border between the text and the carrier's edge.
    pub padding: f64,
    /// Drop shadow: offset and blur (em), opacity.
    pub shadow: Option<(f64, f64, f64)>,
    /// How much darker the side away from the light is (0–1).
    pub shade: f64,
    /// Seeds the surface texture.
    pub seed: u64,
}

impl CarrierDraw {
    /// Draws a carrier with `carrier.probability`; `None` for a block printed on the picture.
    pub fn draw(cfg: &CarrierConfig, rng: &mut Rng) -> Option<CarrierDraw> {
        if !rng.chance(cfg.probability.0) {
            return None;
        }
        let (kinds, weights) = cfg.kinds.options();
        let kind = kinds[rng.weighted(&weights)];
        let padding = rng.range_f64(cfg.padding.min, cfg.padding.max);
        let shadow = rng.chance(cfg.shadow.0).then(|| {
            (
                rng.range_f64(0.08, 0.25),
                rng.range_f64(0.06, 0.18),
                rng.range_f64(0.3, 0.6),
            )
        });
        Some(CarrierDraw {
            kind,
            padding,
            shadow,
            shade: rng.range_f64(0.08, 0.25),
            seed: rng.next_u64(),
        })
    }

    /// How far the carrier and its shadow reach beyond the text, in em.
    pub fn reach(&self) -> f64 {
        self.padding + self.shadow.map_or(0.0, |(o, b, _)| o + 3.0 * b)
    }
}

/// The coverage planes of a carrier, on the block's layer grid.
#[derive(Clone, Debug)]
pub struct CarrierPlanes {
    /// The carrier's outline (opaque inside).
    pub shape: AlphaLayer,
    /// The surface texture, painted in the grain colour over the base.
    pub grain: AlphaLayer,
    /// The edge: a bevel, frame, rim or hems, in the edge colour.
    pub edge: AlphaLayer,
    /// Shading away from the light (and a banner's folds), painted black.
    pub shade: AlphaLayer,
    /// The drop shadow (the shape blurred) and its offset in layer pixels.
    pub shadow: Option<(AlphaLayer, Point, u32)>,
    /// The carrier's rectangle in layer pixels.
    pub rect: Rect,
}

/// The kind as written in recipes and metadata.
pub fn kind_name(kind: CarrierKind) -> &'static str {
    match kind {
        CarrierKind::PaperCard => "paper_card",
        CarrierKind::WoodenBoard => "wooden_board",
        CarrierKind::Cardboard => "cardboard",
        CarrierKind::FabricBanner => "fabric_banner",
        CarrierKind::LedSign => "led_sign",
        CarrierKind::ShopSign => "shop_sign",
    }
}

/// The kind called `name` (see [`kind_name`]).
pub fn kind_from_name(name: &str) -> Option<CarrierKind> {
    CarrierKind::ALL.into_iter().find(|k| kind_name(*k) == name)
}

/// Corner radius in em.
fn corner_radius(kind: CarrierKind) -> f64 {
    match kind {
        CarrierKind::PaperCard => 0.04,
        CarrierKind::WoodenBoard => 0.06,
        CarrierKind::Cardboard => 0.0,
        CarrierKind::FabricBanner => 0.0,
        CarrierKind::LedSign => 0.12,
        CarrierKind::ShopSign => 0.08,
    }
}

/// Edge width in em.
fn edge_width(kind: CarrierKind) -> f64 {
    match kind {
        CarrierKind::PaperCard => 0.015,
        CarrierKind::WoodenBoard => 0.07,
        CarrierKind::Cardboard => 0.03,
        CarrierKind::FabricBanner => 0.1,
        CarrierKind::LedSign => 0.12,
        CarrierKind::ShopSign => 0.11,
    }
}

/// Pitch of an LED panel's dots in pixels for text of `size` px per em: a dozen dots per em,
/// never under 2.5 px, so the letters keep their shapes.
pub fn led_pitch(size: f64) -> f64 {
    (size / 12.0).max(2.5)
}

/// Renders a carrier around `text` (the block's laid-out bounds in layer pixels) on a
/// `width × height` layer, for text `size` pixels per em, with the light coming from direction
/// `light` (radians, image coordinates).
pub fn render_carrier(
    draw: &CarrierDraw,
    (width, height): (u32, u32),
    text: Rect,
    size: f64,
    light: f64,
) -> CarrierPlanes {
    let kind = draw.kind;
    let rect = text.expand(draw.padding * size);
    let shape = rounded_rect(width, height, rect, corner_radius(kind) * size);
    let edge_px = (edge_width(kind) * size).max(1.0);
    let inner = rounded_rect(
        width,
        height,
        rect.expand(-edge_px),
        (corner_radius(kind) * size - edge_px).max(0.0),
    );
    let edge = match kind {
        // Hems along the top and bottom only.
        CarrierKind::FabricBanner => {
            let band = Rect::new(rect.x0, rect.y0 + edge_px, rect.x1, rect.y1 - edge_px);
            let band = rounded_rect(width, height, band, 0.0);
            minus(&shape, &band)
        }
        _ => minus(&shape, &inner),
    };
    let grain = masked(
        &surface(kind, (width, height), rect, size, draw.seed),
        &shape,
    );
    let shade = masked(
        &shading(kind, (width, height), rect, size, light, draw),
        &shape,
    );
    let shadow = draw.shadow.map(|(offset, blur, _)| {
        let radius = radius_for_sigma(blur * size) as u32;
        let d = offset * size;
        // Away from the light.
        let away = Point::new(-d * light.cos(), -d * light.sin());
        (shape.blurred(radius as usize, 1.0), away, radius)
    });
    CarrierPlanes {
        shape,
        grain,
        edge,
        shade,
        shadow,
        rect,
    }
}

/// `a` where `b` does not cover.
fn minus(a: &AlphaLayer, b: &AlphaLayer) -> AlphaLayer {
    AlphaLayer {
        data: a
            .data
            .iter()
            .zip(&b.data)
            .map(|(x, y)| ((u32::from(*x) * (255 - u32::from(*y)) + 127) / 255) as u8)
            .collect(),
        ..*a
    }
}

/// `a` scaled by the coverage of `mask`.
fn masked(a: &AlphaLayer, mask: &AlphaLayer) -> AlphaLayer {
    AlphaLayer {
        data: a
            .data
            .iter()
            .zip(&mask.data)
            .map(|(x, m)| ((u32::from(*x) * u32::from(*m) + 127) / 255) as u8)
            .collect(),
        ..*a
    }
}

fn to_alpha(field: &[f32], gain: f32) -> Vec<u8> {
    field
        .iter()
        .map(|v| (v * gain).round().clamp(0.0, 255.0) as u8)
        .collect()
}

/// A kind's surface texture as coverage of its grain colour (before masking by the shape).
fn surface(kind: CarrierKind, (w, h): (u32, u32), rect: Rect, size: f64, seed: u64) -> AlphaLayer {
    let n = (w * h) as usize;
    let data = match kind {
        // Paper fibres: fine two-octave noise, faint.
        CarrierKind::PaperCard => {
            let f = fractal_field(seed, w, h, (0.08 * size).max(2.0), 2);
            f.iter()
                .map(|v| ((v - 0.35).max(0.0) * 130.0).round().min(255.0) as u8)
                .collect()
        }
        // Wood: noise stretched along the board, turned into rings.
        CarrierKind::WoodenBoard => {
            let mut f = vec![0f32; n];
            add_value_noise(&mut f, (w, h), seed, (3.0 * size, 0.25 * size), 1.0);
            add_value_noise(&mut f, (w, h), seed ^ 1, (1.2 * size, 0.06 * size), 0.35);
            f.iter()
                .map(|v| {
                    let ring = 0.5 + 0.5 * (f64::from(*v) * TAU * 5.0).sin();
                    (ring.powi(3) * 150.0).round() as u8
                })
                .collect()
        }
        // Cardboard: specks and the faint ribs of the corrugation.
        CarrierKind::Cardboard => {
            let f = fractal_field(seed, w, h, 2.0, 2);
            let period = (0.35 * size).max(4.0);
            let mut out = Vec::with_capacity(n);
            for y in 0..h {
                for x in 0..w {
                    let v = f[(y * w + x) as usize];
                    let rib = 0.5 + 0.5 * (f64::from(y) / period * TAU).cos();
                    let speck = (mix64(seed ^ u64::from(y * w + x)) >> 58) == 0;
                    let a = 25.0 * rib + f64::from((v - 0.4).max(0.0)) * 120.0;
                    out.push(if speck {
                        110
                    } else {
                        a.round().min(255.0) as u8
                    });
                }
            }
            out
        }
        // Cloth: a two-pixel weave and slubs.
        CarrierKind::FabricBanner => {
            let f = fractal_field(seed, w, h, (0.3 * size).max(3.0), 2);
            let mut out = Vec::with_capacity(n);
            for y in 0..h {
                for x in 0..w {
                    let weave = if (x / 2 + y / 2) % 2 == 0 { 28.0 } else { 0.0 };
                    let slub = f64::from((f[(y * w + x) as usize] - 0.55).max(0.0)) * 150.0;
                    out.push((weave + slub).round().min(255.0) as u8);
                }
            }
            out
        }
        // Unlit dots of the panel (the lit ones are the letters).
        CarrierKind::LedSign => {
            let pitch = led_pitch(size);
            led_dots(w, h, rect, pitch)
                .data
                .iter()
                .map(|a| (u32::from(*a) * 70 / 255) as u8)
                .collect()
        }
        // Brushed lacquer: long, faint streaks.
        CarrierKind::ShopSign => {
            let mut f = vec![0f32; n];
            add_value_noise(&mut f, (w, h), seed, (2.0 * size, 0.05 * size + 1.0), 1.0);
            to_alpha(&f, 40.0)
        }
    };
    AlphaLayer {
        width: w,
        height: h,
        data,
    }
}

/// A grid of round dots `pitch` pixels apart over the layer, aligned to `rect`'s corner: the
/// lamps of an LED panel (coverage 1 at a dot's centre).
pub fn led_dots(w: u32, h: u32, rect: Rect, pitch: f64) -> AlphaLayer {
    let radius = 0.42 * pitch;
    let mut data = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        let fy = (f64::from(y) + 0.5 - rect.y0).rem_euclid(pitch) - pitch / 2.0;
        for x in 0..w {
            let fx = (f64::from(x) + 0.5 - rect.x0).rem_euclid(pitch) - pitch / 2.0;
            let d = (fx * fx + fy * fy).sqrt();
            // One pixel of antialiasing at the dot's rim.
            data.push(((radius + 0.5 - d).clamp(0.0, 1.0) * 255.0).round() as u8);
        }
    }
    AlphaLayer {
        width: w,
        height: h,
        data,
    }
}

/// Light falling off across the carrier away from `light`, plus a banner's folds: coverage
/// of black.
fn shading(
    kind: CarrierKind,
    (w, h): (u32, u32),
    rect: Rect,
    size: f64,
    light: f64,
    draw: &CarrierDraw,
) -> AlphaLayer {
    let (cx, cy) = ((rect.x0 + rect.x1) / 2.0, (rect.y0 + rect.y1) / 2.0);
    let (lx, ly) = (light.cos(), light.sin());
    let reach = (rect.width().abs() * lx.abs() + rect.height().abs() * ly.abs()).max(1.0) / 2.0;
    let folds = kind == CarrierKind::FabricBanner;
    let fold_len = 2.2 * size;
    let phase = (draw.seed % 1000) as f64 / 1000.0 * TAU;
    let mut data = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        let py = f64::from(y) + 0.5 - cy;
        for x in 0..w {
            let px = f64::from(x) + 0.5 - cx;
            // 0 on the lit side, 1 on the far side.
            let t = (0.5 - 0.5 * (px * lx + py * ly) / reach).clamp(0.0, 1.0);
            let mut a = draw.shade * t;
            if folds {
                a += 0.18 * (0.5 + 0.5 * ((f64::from(x) / fold_len) * TAU + phase).sin());
            }
            data.push((a.min(1.0) * 255.0).round() as u8);
        }
    }
    AlphaLayer {
        width: w,
        height: h,
        data,
    }
}

/// A carrier's colours: base, surface texture, edge; and the ink colours that belong on it,
/// best first.
#[derive(Clone, Debug, PartialEq)]
pub struct CarrierColors {
    pub base: [u8; 3],
    pub grain: [u8; 3],
    pub edge: [u8; 3],
    pub inks: Vec<[u8; 3]>,
}

impl CarrierColors {
    /// The same carrier mixed `t` of the way to white (inks unchanged).
    pub fn lightened(&self, t: f64) -> CarrierColors {
        let white = [255, 255, 255];
        CarrierColors {
            base: mix(self.base, white, t),
            grain: mix(self.grain, white, t),
            edge: mix(self.edge, white, t),
            inks: self.inks.clone(),
        }
    }
}

fn scaled(c: [u8; 3], f: f64) -> [u8; 3] {
    c.map(|v| (f64::from(v) * f).round().clamp(0.0, 255.0) as u8)
}

fn mix(a: [u8; 3], b: [u8; 3], t: f64) -> [u8; 3] {
    [0, 1, 2].map(|i| (f64::from(a[i]) * (1.0 - t) + f64::from(b[i]) * t).round() as u8)
}

/// Draws a kind's colours, matched to the scene: `ambient` is the mean colour of the
/// background where the carrier stands. A carrier in a dim photo is dimmer, and takes a little
/// of the scene's colour cast, as a real object there would.
pub fn draw_colors(kind: CarrierKind, ambient: [u8; 3], rng: &mut Rng) -> CarrierColors {
    const GOLD: [u8; 3] = [222, 184, 82];
    const WHITE: [u8; 3] = [250, 248, 240];
    const BLACK: [u8; 3] = [22, 20, 18];
    let pick =
        |rng: &mut Rng, options: &[[u8; 3]]| options[rng.below(options.len() as u64) as usize];
    let (base, grain, edge, inks) = match kind {
        CarrierKind::PaperCard => {
            let base = hsv(
                rng.range_f64(30.0, 60.0),
                rng.range_f64(0.02, 0.12),
                rng.range_f64(0.9, 1.0),
            );
            let inks = vec![BLACK, [20, 35, 90], [130, 20, 20], [20, 70, 40]];
            (base, scaled(base, 0.8), scaled(base, 0.7), inks)
        }
        CarrierKind::WoodenBoard => {
            let base = hsv(
                rng.range_f64(20.0, 38.0),
                rng.range_f64(0.4, 0.7),
                rng.range_f64(0.45, 0.85),
            );
            let light = luminance(base) > 0.25;
            let inks = if light {
                vec![BLACK, [60, 30, 15], [120, 20, 15]]
            } else {
                vec![WHITE, GOLD, [245, 230, 200]]
            };
            (base, scaled(base, 0.6), scaled(base, 0.5), inks)
        }
        CarrierKind::Cardboard => {
            let base = hsv(
                rng.range_f64(28.0, 40.0),
                rng.range_f64(0.35, 0.55),
                rng.range_f64(0.7, 0.88),
            );
            let inks = vec![BLACK, [20, 30, 110], [150, 20, 20]];
            (base, scaled(base, 0.75), scaled(base, 0.6), inks)
        }
        CarrierKind::FabricBanner => {
            let base = pick(
                rng,
                &[
                    [200, 24, 30],
                    [185, 18, 28],
                    [200, 24, 30],
                    [25, 60, 150],
                    [245, 242, 232],
                    [240, 200, 40],
                ],
            );
            let inks = if luminance(base) > 0.4 {
                vec![[200, 20, 25], BLACK, [20, 40, 120]]
            } else {
                vec![[255, 220, 60], WHITE, [255, 236, 150]]
            };
            (base, scaled(base, 0.78), scaled(base, 0.7), inks)
        }
        CarrierKind::LedSign => {
            let v = rng.range_f64(0.04, 0.1);
            let base = hsv(rng.range_f64(0.0, 360.0), 0.15, v);
            let inks = vec![
                [255, 45, 30],
                [255, 170, 20],
                [60, 255, 90],
                [250, 250, 250],
                [40, 220, 255],
            ];
            (base, [70, 60, 55], [110, 112, 118], inks)
        }
        CarrierKind::ShopSign => {
            let base = pick(
                rng,
                &[
                    [170, 20, 25],
                    [20, 35, 80],
                    [25, 25, 28],
                    [20, 80, 50],
                    [245, 242, 235],
                    [30, 90, 170],
                ],
            );
            let frame = pick(rng, &[GOLD, [190, 192, 198], [40, 40, 44], [120, 70, 30]]);
            let inks = if luminance(base) > 0.4 {
                vec![[170, 20, 25], BLACK, [20, 35, 80]]
            } else {
                vec![GOLD, WHITE, [255, 230, 120]]
            };
            (base, scaled(base, 1.15), frame, inks)
        }
    };
    // An LED panel makes its own light; everything else is lit by the scene.
    if kind == CarrierKind::LedSign {
        return CarrierColors {
            base,
            grain,
            edge,
            inks,
        };
    }
    let lum = luminance(ambient);
    let dim = (0.62 + 0.8 * lum).clamp(0.62, 1.0);
    let lit = |c: [u8; 3]| mix(scaled(c, dim), ambient, 0.08);
    CarrierColors {
        base: lit(base),
        grain: lit(grain),
        edge: lit(edge),
        inks,
    }
}

/// The carrier's colour at a layer pixel: base, then grain, edge and shading over it, as the
/// painter composites them (normal blend, straight coverage).
pub fn color_at(planes: &CarrierPlanes, colors: &CarrierColors, x: u32, y: u32) -> [u8; 3] {
    let over = |under: [u8; 3], c: [u8; 3], a: u8| mix(under, c, f64::from(a) / 255.0);
    let mut c = colors.base;
    c = over(c, colors.grain, planes.grain.get(x, y));
    c = over(c, colors.edge, planes.edge.get(x, y));
    over(c, [0, 0, 0], planes.shade.get(x, y))
}

/// The luminance spread (10th/90th percentiles) of the carrier under `points` (layer
/// pixels): what the text's colour is judged against.
pub fn luminance_under(
    planes: &CarrierPlanes,
    colors: &CarrierColors,
    points: &[Point],
) -> (f64, f64) {
    let (w, h) = (planes.shape.width, planes.shape.height);
    let lums: Vec<f64> = points
        .iter()
        .filter(|p| p.x >= 0.0 && p.y >= 0.0 && p.x < f64::from(w) && p.y < f64::from(h))
        .map(|p| luminance(color_at(planes, colors, p.x as u32, p.y as u32)))
        .collect();
    if lums.is_empty() {
        let l = luminance(colors.base);
        return (l, l);
    }
    luminance_spread(lums)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(kind: CarrierKind) -> CarrierDraw {
        CarrierDraw {
            kind,
            padding: 0.5,
            shadow: Some((0.2, 0.1, 0.5)),
            shade: 0.3,
            seed: 7,
        }
    }

    #[test]
    fn the_carrier_covers_its_rectangle_and_nothing_far_outside() {
        for kind in CarrierKind::ALL {
            let text = Rect::new(40.0, 40.0, 160.0, 80.0);
            let p = render_carrier(&draw(kind), (200, 120), text, 32.0, 1.0);
            assert_eq!(p.rect, text.expand(16.0));
            // Every text pixel lies on the opaque carrier.
            for y in 40..80 {
                for x in 40..160 {
                    assert_eq!(p.shape.get(x, y), 255, "{kind:?} at {x},{y}");
                }
            }
            // Beyond the carrier (plus a pixel of antialiasing) there is no carrier.
            for y in 0..120u32 {
                for x in 0..200u32 {
                    let (fx, fy) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
                    if fx < p.rect.x0 - 1.0 || fx > p.rect.x1 + 1.0 || fy < p.rect.y0 - 1.0 {
                        assert_eq!(p.shape.get(x, y), 0);
                        assert_eq!(p.grain.get(x, y), 0);
                        assert_eq!(p.edge.get(x, y), 0);
                        assert_eq!(p.shade.get(x, y), 0);
                    }
                }
            }
        }
    }

    #[test]
    fn the_shadow_falls_away_from_the_light() {
        let text = Rect::new(40.0, 40.0, 160.0, 80.0);
        // Light from the left (angle π): the shadow moves right.
        let p = render_carrier(
            &draw(CarrierKind::PaperCard),
            (220, 140),
            text,
            32.0,
            std::f64::consts::PI,
        );
        let (_, d, _) = p.shadow.unwrap();
        assert!(d.x > 0.0 && d.y.abs() < 1e-9, "{d:?}");
        // And the shading darkens the right side, not the left.
        let (l, r) = (p.shade.get(30, 60), p.shade.get(170, 60));
        assert!(r > l + 30, "left {l}, right {r}");
    }

    #[test]
    fn kind_names_are_the_recipe_keys() {
        for kind in CarrierKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json.trim_matches('"'), kind_name(kind));
            assert_eq!(kind_from_name(kind_name(kind)), Some(kind));
        }
    }

    #[test]
    fn led_dots_have_the_given_pitch() {
        let dots = led_dots(40, 8, Rect::new(0.0, 0.0, 40.0, 8.0), 4.0);
        // Lamps at 2, 6, 10, … (centres), dark between them.
        assert_eq!(dots.get(1, 1), 255);
        assert_eq!(dots.get(5, 1), 255);
        let row: Vec<u8> = (0..8).map(|x| dots.get(x, 0)).collect();
        assert!(row.iter().any(|a| *a < 128), "{row:?}");
    }

    #[test]
    fn carriers_in_dim_scenes_are_dimmer_but_led_panels_are_not() {
        for kind in CarrierKind::ALL {
            let bright = draw_colors(kind, [230, 230, 230], &mut Rng::new(3));
            let dim = draw_colors(kind, [20, 20, 20], &mut Rng::new(3));
            if kind == CarrierKind::LedSign {
                assert_eq!(bright, dim);
            } else {
                assert!(
                    luminance(dim.base) < luminance(bright.base),
                    "{kind:?}: {:?} vs {:?}",
                    dim.base,
                    bright.base
                );
            }
        }
    }

    #[test]
    fn text_is_judged_against_the_carrier_as_painted() {
        let text = Rect::new(40.0, 40.0, 160.0, 80.0);
        let p = render_carrier(&draw(CarrierKind::WoodenBoard), (200, 120), text, 32.0, 1.0);
        let colors = draw_colors(CarrierKind::WoodenBoard, [128, 128, 128], &mut Rng::new(5));
        let points: Vec<Point> = (0..40)
            .map(|i| Point::new(45.0 + f64::from(i) * 2.8, 60.0))
            .collect();
        let (dark, light) = luminance_under(&p, &colors, &points);
        assert!(dark <= light);
        // Grain and shading only darken the base.
        assert!(light <= luminance(colors.base) + 1e-9);
        assert!(dark < luminance(colors.base));
    }
}
