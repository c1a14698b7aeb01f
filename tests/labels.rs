//! Label exactness: every character quad holds its glyph's ink after curves, rotation,
//! perspective, camera moves, effects, carriers and synthetic bold, oblique and width; no ink
//! lies outside every quad; blocks never overlap;
//! and no drawn glyph is a missing-glyph box.

mod common;

use hanzi_synth::color::{contrast, luminance};
use hanzi_synth::geometry::{convex_separated, point_in_polygon, Point, Rect};
use hanzi_synth::layout::{BlockLayout, LineLayout};
use hanzi_synth::paint::CpuPainter;
use hanzi_synth::plan::Sample;
use hanzi_synth::recipe::Recipe;
use hanzi_synth::render::render_fill;
use hanzi_synth::scene::{render_sample, Context, StageTimes};
use hanzi_synth::warp::warp_alpha;

/// A recipe with strong warps and rotations on every block, curves, several blocks, every look,
/// synthetic type styles and the camera effect often; small canvas for speed.
fn harsh_context() -> Context {
    let recipe = Recipe::default()
        .with_overrides(&[
            "canvas={width: 320, height: 320}".into(),
            "warp.probability=1.0".into(),
            "warp.strength=[0.1, 0.25]".into(),
            "warp.rotation=[-30, 30]".into(),
            "text.size=[14, 60]".into(),
            // Small text on purpose: this context tests label geometry, not legibility.
            "text.min_size=10".into(),
            "corpus.digits=0.3".into(),
            "corpus.latin=0.3".into(),
            "corpus.lines=[1, 3]".into(),
            "layout.blocks=[1, 3]".into(),
            "layout.curve=0.5".into(),
            "layout.arc_bend=[0.1, 0.5]".into(),
            "layout.title=0.5".into(),
            "style.stroke=0.4".into(),
            "style.shadow=0.3".into(),
            "style.glow=0.2".into(),
            "style.plate=0.2".into(),
            "style.weathering=0.2".into(),
            // Carriers too: an LED sign's dotted letters must stay inside their quads.
            "carrier.probability=0.3".into(),
            "effects.camera={probability: 0.6, range: [1.0, 1.2]}".into(),
            "effects.camera_rotation=[-6, 6]".into(),
            "fonts.synthetic={bold: {probability: 0.3, range: [0.02, 0.06]}, \
             oblique: {probability: 0.4, range: [-16, 16]}, \
             width: {probability: 0.4, range: [0.7, 1.3]}}"
                .into(),
        ])
        .unwrap();
    Context::new(recipe).unwrap()
}

/// Lines of `sample` that belong to block `b`, in order.
fn block_lines(sample: &Sample, b: usize) -> Vec<&hanzi_synth::plan::LineMeta> {
    sample
        .meta
        .lines
        .iter()
        .filter(|l| l.block as usize == b)
        .collect()
}

fn polygon(q: &[[f64; 2]]) -> Vec<Point> {
    q.iter().map(|p| Point::new(p[0], p[1])).collect()
}

/// The same block with only the glyphs of character `c` of line `l` (same bounds, so the
/// layer has the same pixel grid).
fn only_char(block: &BlockLayout, l: usize, c: usize) -> BlockLayout {
    let line = &block.lines[l];
    BlockLayout {
        lines: vec![LineLayout {
            glyphs: line
                .glyphs
                .iter()
                .filter(|g| g.cluster == c)
                .cloned()
                .collect(),
            ..line.clone()
        }],
        ..block.clone()
    }
}

#[test]
fn warped_ink_stays_inside_its_character_quad() {
    let ctx = harsh_context();
    let mut checked = 0;
    let mut worst = 1.0f64;
    for index in 0..40 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        for (b, block) in sample.blocks.iter().enumerate() {
            let face = &ctx.fonts.faces[block.face];
            let metas = block_lines(&sample, b);
            assert_eq!(metas.len(), block.layout.lines.len());
            for (l, line) in block.layout.lines.iter().enumerate() {
                let meta_line = metas[l];
                assert_eq!(meta_line.chars.len(), line.chars.len());
                for (c, cell) in line.chars.iter().enumerate() {
                    let layer =
                        render_fill(&only_char(&block.layout, l, c), face, block.pad, block.bold);
                    let warped = warp_alpha(&layer, &block.to_canvas, 320, 320);
                    let quad: Vec<Point> = meta_line.chars[c]
                        .quad
                        .iter()
                        .map(|p| Point::new(p[0], p[1]))
                        .collect();
                    let (mut inside, mut total) = (0u64, 0u64);
                    for y in 0..warped.height {
                        for x in 0..warped.width {
                            let a = u64::from(warped.data[(y * warped.width + x) as usize]);
                            if a == 0 {
                                continue;
                            }
                            total += a;
                            let p = Point::new(
                                f64::from(warped.x0 + x) + 0.5,
                                f64::from(warped.y0 + y) + 0.5,
                            );
                            if point_in_polygon(p, &quad) {
                                inside += a;
                            }
                        }
                    }
                    if total == 0 {
                        continue; // no ink (cannot happen for CJK, but spaces would)
                    }
                    let share = inside as f64 / total as f64;
                    worst = worst.min(share);
                    assert!(
                        share >= 0.99,
                        "sample {index}: {:?} in {:?} has only {:.2}% of its ink inside its quad",
                        cell.ch,
                        line.text,
                        share * 100.0
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} characters checked");
    eprintln!(
        "checked {checked} characters, worst containment {:.3}%",
        worst * 100.0
    );
}

#[test]
fn no_ink_lies_outside_every_character_quad_and_blocks_never_overlap() {
    let ctx = harsh_context();
    let (mut outside, mut total) = (0u64, 0u64);
    let mut max_outside = 0u8;
    let (mut multi, mut curved, mut camera) = (0, 0, 0);
    for index in 0..40 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        let quads: Vec<Vec<Point>> = sample
            .meta
            .lines
            .iter()
            .flat_map(|l| l.chars.iter().map(|c| polygon(&c.quad)))
            .collect();
        let footprints: Vec<Vec<Point>> = sample
            .meta
            .blocks
            .iter()
            .map(|b| polygon(&b.footprint))
            .collect();
        multi += usize::from(footprints.len() > 1);
        curved += usize::from(sample.meta.lines.iter().any(|l| l.curved));
        camera += usize::from(sample.meta.effects.starts_with("camera"));
        // Footprints (text plus every decoration) keep the configured gap (rounding aside); the
        // camera zooms, so the gap may only grow.
        let gap = ctx.recipe.layout.block_gap * 320.0 - 1e-6;
        for i in 0..footprints.len() {
            for j in i + 1..footprints.len() {
                assert!(
                    convex_separated(&footprints[i], &footprints[j], gap),
                    "sample {index}: blocks {i} and {j} overlap"
                );
            }
        }
        for (b, block) in sample.blocks.iter().enumerate() {
            let face = &ctx.fonts.faces[block.face];
            let layer = render_fill(&block.layout, face, block.pad, block.bold);
            let warped = warp_alpha(&layer, &block.to_canvas, 320, 320);
            for y in 0..warped.height {
                for x in 0..warped.width {
                    let a = warped.data[(y * warped.width + x) as usize];
                    if a == 0 {
                        continue;
                    }
                    let p = Point::new(
                        f64::from(warped.x0 + x) + 0.5,
                        f64::from(warped.y0 + y) + 0.5,
                    );
                    total += u64::from(a);
                    assert!(
                        point_in_polygon(p, &footprints[b]),
                        "sample {index}: ink of block {b} outside its footprint"
                    );
                    if !quads.iter().any(|q| point_in_polygon(p, q)) {
                        outside += u64::from(a);
                        max_outside = max_outside.max(a);
                    }
                }
            }
        }
    }
    let share = outside as f64 / total as f64;
    eprintln!(
        "ink outside every quad: {:.4}% (strongest pixel {max_outside}); {multi} multi-block, \
         {curved} curved, {camera} camera samples",
        share * 100.0
    );
    assert!(
        multi >= 10 && curved >= 5 && camera >= 5,
        "{multi} {curved} {camera}"
    );
    // Only faint resampling fringe may fall between quads.
    assert!(
        share < 0.001,
        "{:.4}% of the ink lies outside every quad",
        share * 100.0
    );
    assert!(
        max_outside < 64,
        "a pixel of alpha {max_outside} lies outside every quad"
    );
}

#[test]
fn line_quads_contain_their_character_quads() {
    let ctx = harsh_context();
    for index in 0..20 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        for line in &sample.meta.lines {
            let quad = polygon(&line.quad);
            // The line quad's box, slightly grown for rounding.
            let bb = Rect::of_points(quad.iter()).expand(0.01);
            if line.curved && line.chars.len() > 1 {
                // One box per character along the curve (a lone character is just its box).
                assert!(
                    line.polygon.len() > 4,
                    "a curved line's outline has more points: sample {index} {:?} {:?}",
                    line.text,
                    line.polygon
                );
            } else if !line.curved {
                assert_eq!(line.polygon, line.quad.to_vec());
            }
            for c in &line.chars {
                for p in c.quad {
                    assert!(p[0] >= bb.x0 && p[0] <= bb.x1 && p[1] >= bb.y0 && p[1] <= bb.y1);
                    assert!(
                        p[0] >= 0.0 && p[1] >= 0.0 && p[0] <= 320.0 && p[1] <= 320.0,
                        "quad leaves the image"
                    );
                }
            }
            assert_eq!(line.text.chars().count(), line.chars.len());
            assert_eq!(
                line.chars
                    .iter()
                    .map(|c| c.char.as_str())
                    .collect::<String>(),
                line.text
            );
        }
    }
}

#[test]
fn every_drawn_character_exists_in_its_font() {
    let ctx = harsh_context();
    for index in 0..60 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        for block in &sample.blocks {
            let face = &ctx.fonts.faces[block.face];
            for line in &block.layout.lines {
                assert!(
                    face.coverage.covers(&line.text),
                    "{} lacks a glyph of {}",
                    face.family,
                    line.text
                );
                assert!(
                    line.glyphs.iter().all(|g| g.glyph != 0),
                    "notdef glyph in {}",
                    line.text
                );
            }
        }
    }
}

#[test]
fn layout_refuses_characters_the_face_lacks() {
    let ctx = harsh_context();
    let face = &ctx.fonts.faces[0];
    // 簡 (traditional) is not in the GB2312 subsets.
    let style = hanzi_synth::layout::BlockStyle::plain(
        hanzi_synth::recipe::Direction::Horizontal,
        30.0,
        hanzi_synth::layout::Spacing {
            letter: 0.0,
            line: 1.2,
        },
    );
    let err = hanzi_synth::layout::layout_block(face, &["簡单".into()], &style).unwrap_err();
    assert!(err.to_string().contains("tofu"), "{err}");
}

fn contrast_met_share(kinds: &str) -> f64 {
    let recipe = Recipe::default()
        .with_overrides(&[
            "canvas={width: 256, height: 256}".into(),
            format!("backgrounds.kinds={kinds}"),
        ])
        .unwrap();
    let ctx = Context::new(recipe).unwrap();
    let mut met = 0;
    for index in 0..40 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        let lines_met = sample.meta.lines.iter().all(|l| l.contrast >= 4.5);
        assert_eq!(lines_met, sample.meta.contrast_met);
        met += usize::from(sample.meta.contrast_met);
    }
    met as f64 / 40.0
}

#[test]
fn text_color_meets_the_contrast_target() {
    // On a uniform background black or white always reaches 4.58:1, and random colours often do.
    assert_eq!(contrast_met_share("{solid: 1, paper: 1}"), 1.0);
    // Across a wide gradient no single colour may reach it against both ends; most still do.
    let share = contrast_met_share("{linear_gradient: 1, radial_gradient: 1}");
    assert!(
        share >= 0.8,
        "only {:.0}% met the contrast target",
        share * 100.0
    );
}

#[test]
fn measured_pixel_contrast_meets_the_target_on_plain_backgrounds() {
    // Effects off, so the image pixels under fully covered ink are exactly the text colour.
    let recipe = Recipe::default()
        .with_overrides(&common::without_effects(vec![
            "canvas={width: 256, height: 256}".into(),
            "backgrounds.kinds={solid: 1}".into(),
            "layout.blocks=[1, 3]".into(),
            "style.fill={solid: 1, gradient: 1}".into(),
            "style.glow=0".into(),
            "style.shadow=0".into(),
            // Worn ink is lighter by design.
            "style.weathering=0".into(),
        ]))
        .unwrap();
    let ctx = Context::new(recipe).unwrap();
    let mut worst = f64::INFINITY;
    for index in 0..30 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        for (b, block) in sample.blocks.iter().enumerate() {
            let plate = &sample.meta.blocks[b].plate;
            // The margin keeps text off the corner, so it shows the background.
            let bg = if plate.on {
                plate.color
            } else {
                sample.image.get_pixel(0, 0).0
            };
            let face = &ctx.fonts.faces[block.face];
            let layer = render_fill(&block.layout, face, block.pad, block.bold);
            let warped = warp_alpha(&layer, &block.to_canvas, 256, 256);
            for y in 0..warped.height {
                for x in 0..warped.width {
                    if warped.data[(y * warped.width + x) as usize] < 255 {
                        continue;
                    }
                    let px = sample.image.get_pixel(warped.x0 + x, warped.y0 + y).0;
                    let k = contrast(luminance(px), luminance(bg));
                    worst = worst.min(k);
                }
            }
        }
    }
    eprintln!("worst measured contrast {worst:.2}");
    assert!(worst >= 4.45, "measured contrast {worst:.2} below 4.5");
}

#[test]
fn line_crops_hold_their_characters_where_the_labels_say() {
    // Black text on white, no decorations or effects: dark crop pixels are ink.
    let recipe = Recipe::default()
        .with_overrides(&common::without_effects(vec![
            "canvas={width: 384, height: 384}".into(),
            "backgrounds.kinds={solid: 1}".into(),
            "backgrounds.colors=[\"#ffffff\"]".into(),
            "color.palette=[\"#000000\"]".into(),
            "style={fill: {solid: 1}, stroke: 0, shadow: 0, glow: 0, plate: 0, weathering: 0}"
                .into(),
            // One line per block and wide gaps: a crop's padding then shows no other text.
            "layout.blocks=[1, 3]".into(),
            "layout.block_gap=0.1".into(),
            "layout.curve=0.4".into(),
            "corpus.lines=[1, 1]".into(),
            "warp.probability=1".into(),
            "output.mode=line_crops".into(),
            "output.crop_height=40".into(),
        ]))
        .unwrap();
    let ctx = Context::new(recipe).unwrap();
    let (mut crops, mut curved, mut vertical) = (0, 0, 0);
    for index in 0..25 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        let cut = hanzi_synth::crop::line_crops(&sample, &ctx.recipe.output);
        assert_eq!(cut.len(), sample.meta.lines.len());
        for (crop, line) in cut.iter().zip(&sample.meta.lines) {
            crops += 1;
            curved += usize::from(line.curved);
            let m = &crop.meta;
            assert_eq!(m.text, line.text);
            assert_eq!(
                m.chars.iter().map(|c| c.char.as_str()).collect::<String>(),
                line.text
            );
            assert!(!m.key.contains('.'));
            match m.direction {
                hanzi_synth::recipe::Direction::Horizontal => assert_eq!(crop.image.height(), 40),
                hanzi_synth::recipe::Direction::Vertical => {
                    vertical += 1;
                    assert_eq!(crop.image.width(), 40)
                }
            }
            let (mut ink, mut inside) = (0u64, 0u64);
            let mut per_char = vec![0u64; m.chars.len()];
            for (x, y, px) in crop.image.enumerate_pixels() {
                let dark = 255 - u64::from(*px.0.iter().max().unwrap());
                if dark < 128 {
                    continue;
                }
                ink += dark;
                let (cx, cy) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
                let mut hit = false;
                for (k, c) in m.chars.iter().enumerate() {
                    let b = c.bbox;
                    if cx >= b[0] - 1.0 && cx <= b[2] + 1.0 && cy >= b[1] - 1.0 && cy <= b[3] + 1.0
                    {
                        per_char[k] += dark;
                        hit = true;
                    }
                }
                inside += u64::from(hit) * dark;
            }
            assert!(ink > 0, "crop {} is blank", m.key);
            let share = inside as f64 / ink as f64;
            assert!(
                share >= 0.99,
                "crop {}: {:.2}% of ink in char boxes",
                m.key,
                share * 100.0
            );
            for (k, c) in m.chars.iter().enumerate() {
                if c.char.chars().all(|ch| !ch.is_whitespace()) {
                    assert!(
                        per_char[k] > 0,
                        "crop {}: no ink in the box of {:?}",
                        m.key,
                        c.char
                    );
                }
            }
        }
    }
    assert!(
        crops > 30 && curved >= 3 && vertical >= 3,
        "{crops} {curved} {vertical}"
    );
}

#[test]
fn example_recipes_load_and_render_deterministically() {
    for name in [
        "default",
        "poster",
        "street-sign",
        "document",
        "couplet",
        "ocr-lines",
        "kolors-50k",
        "paragraphs",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("recipes")
            .join(format!("{name}.yaml"));
        let recipe = Recipe::load(&path).unwrap();
        let ctx = Context::new(recipe).unwrap();
        for index in [3, 11] {
            let a =
                render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
            let b =
                render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
            assert_eq!(a.image, b.image, "{name} sample {index}");
            assert_eq!(
                serde_json::to_string(&a.meta).unwrap(),
                serde_json::to_string(&b.meta).unwrap()
            );
            assert!(!a.meta.lines.is_empty(), "{name}: no text");
            if name == "kolors-50k" {
                assert!(a.image.width() >= 768 && a.image.height() >= 768);
            }
        }
    }
}

/// Every labelled line is at least `text.min_size` pixels per em in the image, measured on its
/// character quads (the label geometry, independent of the metadata's own `px_per_em`), and
/// every shipped block meets the contrast target (rescued when its drawn looks did not).
#[test]
fn every_line_is_legible_and_meets_the_contrast_target() {
    let recipe = Recipe::default()
        .with_overrides(&["canvas={width: 384, height: 384}".into()])
        .unwrap();
    let ctx = Context::new(recipe).unwrap();
    let floor = ctx.recipe.text.min_size;
    let mut rescued = 0;
    for index in 0..60 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        assert!(
            sample.meta.contrast_met,
            "sample {index}: {}",
            sample.meta.notes
        );
        for b in &sample.meta.blocks {
            assert!(
                b.contrast >= ctx.recipe.color.min_contrast,
                "sample {index}: {b:?}"
            );
            rescued += usize::from(b.contrast_fallback != "none");
        }
        for line in &sample.meta.lines {
            assert!(line.px_per_em >= floor - 1e-6, "sample {index}: {line:?}");
            for c in &line.chars {
                // A character's quad holds its ink, so it is at least about an em tall in its
                // thinnest direction less the cell's margins: the shorter side of the quad.
                let q = c.quad;
                let side = |a: [f64; 2], b: [f64; 2]| {
                    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
                };
                let thinnest = side(q[0], q[3]).min(side(q[1], q[2]));
                let across = if line.direction == hanzi_synth::recipe::Direction::Horizontal {
                    thinnest
                } else {
                    side(q[0], q[1]).min(side(q[3], q[2]))
                };
                assert!(
                    across >= 0.8 * floor,
                    "sample {index}: {:?} of {:?} is {across:.1} px across",
                    c.char,
                    line.text
                );
            }
        }
    }
    assert!(
        rescued > 0,
        "60 default samples should include some rescued block"
    );
}
