//! Designed templates: every bundled template fills its regions with text that stays inside
//! them, with every character's ink inside its quad; pages are deterministic; captions name
//! the page; a user's template file is read beside its recipe; a broken one is refused with
//! its file and region named.

mod common;

use hanzi_synth::geometry::{convex_separated, point_in_polygon, Point};
use hanzi_synth::paint::CpuPainter;
use hanzi_synth::plan::Sample;
use hanzi_synth::recipe::Recipe;
use hanzi_synth::render::render_fill;
use hanzi_synth::scene::{render_sample, Context, StageTimes};
use hanzi_synth::template::{bundled_names, Template};
use hanzi_synth::warp::warp_alpha;

const SIDE: u32 = 512;

fn context(template: &str) -> Context {
    let sets: Vec<String> = vec![
        "canvas={width: 512, height: 512}".into(),
        format!("templates={{{template}: 1}}"),
        "fonts.bundled_set=all".into(),
        "text.min_size=12".into(),
        "effects.camera.probability=0".into(),
        "caption.languages={en: 1}".into(),
        r#"caption.en=["{background} that reads \"{text}\""]"#.into(),
    ];
    Context::new(Recipe::default().with_overrides(&sets).unwrap()).unwrap()
}

fn polygon(q: &[[f64; 2]]) -> Vec<Point> {
    q.iter().map(|p| Point::new(p[0], p[1])).collect()
}

fn sample(ctx: &Context, index: u64) -> Sample {
    render_sample(ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap()
}

#[test]
fn every_bundled_template_keeps_its_text_in_its_regions() {
    let names = bundled_names();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let ctx = context(&name);
        let t = Template::load(&name, std::path::Path::new(".")).unwrap();
        let mut drawn = 0;
        for index in 0..8 {
            let s = sample(&ctx, index);
            assert_eq!(s.meta.template, name);
            assert!(
                s.meta.caption.starts_with(&t.subject.en),
                "{name}: {:?}",
                s.meta.caption
            );
            let footprints: Vec<Vec<Point>> = s
                .meta
                .blocks
                .iter()
                .map(|b| polygon(&b.footprint))
                .collect();
            for i in 0..footprints.len() {
                for j in i + 1..footprints.len() {
                    assert!(
                        convex_separated(&footprints[i], &footprints[j], 0.0),
                        "{name} sample {index}: blocks {i} and {j} overlap"
                    );
                }
            }
            for (b, block) in s.meta.blocks.iter().enumerate() {
                assert!(!block.role.is_empty(), "{name}: block {b} has no role");
                // The block of region k lies inside region k's box (grown by the layer's pad).
                let inside_some_region = t.regions.iter().any(|r| {
                    let rect = Template::pixels(&r.rect, (SIDE, SIDE)).expand(block.pad + 1.0);
                    polygon(&block.footprint).iter().all(|p| {
                        p.x >= rect.x0 && p.x <= rect.x1 && p.y >= rect.y0 && p.y <= rect.y1
                    })
                });
                assert!(
                    inside_some_region,
                    "{name} sample {index}: block {b} outside its region"
                );
                drawn += 1;
            }
        }
        assert!(
            drawn >= 8 * t.regions.len() * 3 / 4,
            "{name}: only {drawn} blocks drawn"
        );
    }
}

#[test]
fn template_ink_lies_inside_its_character_quads() {
    let (mut outside, mut total) = (0u64, 0u64);
    for name in bundled_names() {
        let ctx = context(&name);
        for index in 0..3 {
            let s = sample(&ctx, index);
            let quads: Vec<Vec<Point>> = s
                .meta
                .lines
                .iter()
                .flat_map(|l| l.chars.iter().map(|c| polygon(&c.quad)))
                .collect();
            for block in &s.blocks {
                let face = &ctx.fonts.faces[block.face];
                let layer = render_fill(&block.layout, face, block.pad, block.bold);
                let warped = warp_alpha(&layer, &block.to_canvas, SIDE, SIDE);
                for y in 0..warped.height {
                    for x in 0..warped.width {
                        let a = warped.data[(y * warped.width + x) as usize];
                        if a == 0 {
                            continue;
                        }
                        total += u64::from(a);
                        let p = Point::new(
                            f64::from(warped.x0 + x) + 0.5,
                            f64::from(warped.y0 + y) + 0.5,
                        );
                        if !quads.iter().any(|q| point_in_polygon(p, q)) {
                            outside += u64::from(a);
                        }
                    }
                }
            }
        }
    }
    let share = outside as f64 / total as f64;
    eprintln!("template ink outside every quad: {:.4}%", share * 100.0);
    assert!(total > 100_000, "only {total} ink");
    assert!(
        share < 0.001,
        "{:.4}% of the ink lies outside every quad",
        share * 100.0
    );
}

#[test]
fn pages_are_deterministic() {
    let ctx = context("menu");
    let (a, b) = (sample(&ctx, 5), sample(&ctx, 5));
    assert!(a.image == b.image);
    assert_eq!(
        serde_json::to_string(&a.meta).unwrap(),
        serde_json::to_string(&b.meta).unwrap()
    );
}

#[test]
fn a_users_template_is_read_beside_its_recipe_and_a_broken_one_is_refused() {
    let dir = common::tmp("user-template");
    std::fs::create_dir_all(&dir).unwrap();
    let template = "name: ticket\nsubject: {en: a cinema ticket, zh: 一张电影票}\n\
        background: ['#fff3d6']\nregions:\n  - {role: title, rect: [0.1, 0.1, 0.9, 0.4]}\n  \
        - {role: label, rect: [0.1, 0.6, 0.9, 0.8], align: end}\n";
    std::fs::write(dir.join("ticket.yaml"), template).unwrap();
    let recipe = "canvas: {width: 384, height: 256}\ntemplates: {ticket.yaml: 1}\n";
    std::fs::write(dir.join("r.yaml"), recipe).unwrap();
    let ctx = Context::new(Recipe::load(&dir.join("r.yaml")).unwrap()).unwrap();
    let s = sample(&ctx, 0);
    assert_eq!(s.meta.template, "ticket");
    assert_eq!(s.meta.blocks.len(), 2);
    assert_eq!(s.meta.blocks[1].role, "label");

    let broken = template.replace("[0.1, 0.6, 0.9, 0.8]", "[0.1, 0.3, 0.9, 0.8]");
    std::fs::write(dir.join("ticket.yaml"), broken).unwrap();
    let err = Context::new(Recipe::load(&dir.join("r.yaml")).unwrap())
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap();
    assert!(
        err.contains("ticket.yaml") && err.contains("regions[0] and regions[1] overlap"),
        "{err}"
    );
}
