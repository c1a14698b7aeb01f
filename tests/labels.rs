//! Label exactness: every character quad holds its glyph's ink after rotation and perspective,
//! and no drawn glyph is a missing-glyph box.

use hanzi_synth::composite::CpuCompositor;
use hanzi_synth::geometry::{point_in_polygon, Point, Rect};
use hanzi_synth::layout::{BlockLayout, LineLayout};
use hanzi_synth::recipe::Recipe;
use hanzi_synth::render::render_block;
use hanzi_synth::scene::{render_sample, Context, StageTimes};
use hanzi_synth::warp::warp_alpha;

/// A recipe with strong warps and rotations on every block, small canvas for speed.
fn harsh_context() -> Context {
    let recipe = Recipe::default()
        .with_overrides(&[
            "canvas={width: 320, height: 320}".into(),
            "warp.probability=1.0".into(),
            "warp.strength=[0.1, 0.25]".into(),
            "warp.rotation=[-30, 30]".into(),
            "text.size=[14, 60]".into(),
            "corpus.digits=0.3".into(),
            "corpus.latin=0.3".into(),
        ])
        .unwrap();
    Context::new(recipe).unwrap()
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
            render_sample(&ctx, index, &mut CpuCompositor, &mut StageTimes::default()).unwrap();
        for (b, block) in sample.blocks.iter().enumerate() {
            let face = &ctx.fonts.faces[block.face];
            for (l, line) in block.layout.lines.iter().enumerate() {
                let meta_line = &sample.meta.lines[l];
                assert_eq!(meta_line.block as usize, b);
                assert_eq!(meta_line.chars.len(), line.chars.len());
                for (c, cell) in line.chars.iter().enumerate() {
                    let layer = render_block(&only_char(&block.layout, l, c), face);
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
fn line_quads_contain_their_character_quads() {
    let ctx = harsh_context();
    for index in 0..20 {
        let sample =
            render_sample(&ctx, index, &mut CpuCompositor, &mut StageTimes::default()).unwrap();
        for line in &sample.meta.lines {
            let quad: Vec<Point> = line.quad.iter().map(|p| Point::new(p[0], p[1])).collect();
            // The line quad's box, slightly grown for rounding.
            let bb = Rect::of_points(quad.iter()).expand(0.01);
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
            render_sample(&ctx, index, &mut CpuCompositor, &mut StageTimes::default()).unwrap();
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
    let err = hanzi_synth::layout::layout_block(
        face,
        &["簡单".into()],
        hanzi_synth::recipe::Direction::Horizontal,
        30.0,
        hanzi_synth::layout::Spacing {
            letter: 0.0,
            line: 1.2,
        },
    )
    .unwrap_err();
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
            render_sample(&ctx, index, &mut CpuCompositor, &mut StageTimes::default()).unwrap();
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
