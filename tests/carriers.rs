//! Carriers (text on cards, boards, banners, signs): the text sits on its carrier, the carrier
//! stays inside the block's footprint, the text meets the contrast target against the carrier
//! as painted, captions name the carrier, and every kind appears.
//! (Ink-in-quad checks with carriers, LED dots included, are in `tests/labels.rs`.)

use std::collections::BTreeSet;

use hanzi_synth::color::{contrast, luminance};
use hanzi_synth::composite::Paint;
use hanzi_synth::geometry::{point_in_polygon, Point};
use hanzi_synth::paint::{CpuPainter, Painter};
use hanzi_synth::plan::Sample;
use hanzi_synth::recipe::Recipe;
use hanzi_synth::render::render_fill;
use hanzi_synth::scene::{plan_sample, render_sample, Context, StageTimes};
use hanzi_synth::warp::warp_alpha;

fn context(extra: &[&str]) -> Context {
    let mut sets: Vec<String> = [
        "canvas={width: 320, height: 320}",
        "carrier.probability=1",
        "backgrounds.kinds={photo: 2, solid: 1, noise: 1}",
        "warp.probability=0.8",
        "warp.strength=[0.05, 0.2]",
        "warp.rotation=[-15, 15]",
        "text.size=[20, 60]",
        "text.min_size=14",
        "layout.blocks=[1, 3]",
        "corpus.lines=[1, 2]",
        "effects.camera={probability: 0.3, range: [1.0, 1.15]}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    sets.extend(extra.iter().map(|s| s.to_string()));
    Context::new(Recipe::default().with_overrides(&sets).unwrap()).unwrap()
}

fn polygon(q: &[[f64; 2]]) -> Vec<Point> {
    q.iter().map(|p| Point::new(p[0], p[1])).collect()
}

fn sample(ctx: &Context, index: u64) -> Sample {
    render_sample(ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap()
}

#[test]
fn text_sits_on_its_carrier_inside_the_blocks_footprint() {
    let ctx = context(&[]);
    let mut kinds = BTreeSet::new();
    let mut checked = 0;
    for index in 0..60 {
        let s = sample(&ctx, index);
        for (b, block) in s.meta.blocks.iter().enumerate() {
            let c = &block.carrier;
            assert!(
                c.on,
                "sample {index} block {b}: no carrier at probability 1"
            );
            kinds.insert(c.kind);
            assert!(c.padding > 0.0);
            let carrier = polygon(&c.quad);
            // The carrier is the block's ground: it lies within the block's footprint, which
            // keeps every block apart.
            let footprint = polygon(&block.footprint);
            let centre = Point::new(
                (footprint[0].x + footprint[2].x) / 2.0,
                (footprint[0].y + footprint[2].y) / 2.0,
            );
            for p in &carrier {
                // A hair towards the centre: a corner may lie on the footprint's edge.
                let near = Point::new(p.x + (centre.x - p.x) * 1e-6, p.y + (centre.y - p.y) * 1e-6);
                assert!(
                    point_in_polygon(near, &footprint),
                    "sample {index} block {b}: carrier corner {p:?} outside the footprint"
                );
            }
            for line in s.meta.lines.iter().filter(|l| l.block as usize == b) {
                for ch in &line.chars {
                    for p in polygon(&ch.quad) {
                        assert!(
                            point_in_polygon(p, &carrier),
                            "sample {index}: {:?} of {:?} is off its {} carrier",
                            ch.char,
                            line.text,
                            c.kind
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 400, "only {checked} corners checked");
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "cardboard",
            "fabric_banner",
            "led_sign",
            "paper_card",
            "shop_sign",
            "wooden_board"
        ]
    );
}

#[test]
fn text_meets_the_contrast_target_against_its_carrier_as_painted() {
    // No effects, no worn ink: the image under fully covered ink is exactly the text colour.
    // The carrier under it is painted again from the plan with the text's layers left out.
    let ctx = context(&[
        "effects.camera.probability=0",
        "effects.color_jitter.probability=0",
        "effects.vignette.probability=0",
        "effects.gaussian_blur.probability=0",
        "effects.motion_blur.probability=0",
        "effects.noise.probability=0",
        "effects.jpeg.probability=0",
        "style={fill: {solid: 1}, stroke: 0, shadow: 0, glow: 0, plate: 0, weathering: 0, opacity: [1, 1]}",
    ]);
    let target = ctx.recipe.color.min_contrast;
    let (mut met, mut total) = (0u64, 0u64);
    let mut worst_block = 1.0f64;
    for index in 0..40 {
        let times = &mut StageTimes::default();
        let plan = plan_sample(&ctx, index, times).unwrap();
        let background = ctx
            .backgrounds
            .paint(&plan.background, plan.width, plan.height)
            .unwrap();
        let image = CpuPainter
            .paint(&ctx, &plan, Some(background.clone()), times)
            .unwrap();
        let inks: Vec<[u8; 3]> = plan.meta.lines.iter().map(|l| l.color).collect();
        let mut bare = plan;
        let text_colored = |paint: &Paint| matches!(paint, Paint::Solid(c) if inks.contains(c));
        bare.layers.retain(|l| !text_colored(&l.paint));
        let ground = CpuPainter
            .paint(&ctx, &bare, Some(background), times)
            .unwrap();
        let (w, h) = (ctx.recipe.canvas.width.0, ctx.recipe.canvas.height.0);
        for (b, block) in bare.blocks.iter().enumerate() {
            let meta = &bare.meta.blocks[b];
            let lamps = meta.carrier.kind == "led_sign";
            let face = &ctx.fonts.faces[block.face];
            let layer = render_fill(&block.layout, face, block.pad, block.bold);
            let warped = warp_alpha(&layer, &block.to_canvas, w, h);
            let (mut b_met, mut b_total) = (0u64, 0u64);
            for y in 0..warped.height {
                for x in 0..warped.width {
                    // LED letters are lamps: only their fully lit centres are the ink colour.
                    if warped.data[(y * warped.width + x) as usize] < 255 {
                        continue;
                    }
                    let (px, py) = (warped.x0 + x, warped.y0 + y);
                    let ink = image.get_pixel(px, py).0;
                    let under = ground.get_pixel(px, py).0;
                    if lamps && ink != meta.colors[0] {
                        continue; // between an LED sign's lamps, or on a lamp's rim
                    }
                    assert_eq!(ink, meta.colors[0], "sample {index} block {b}");
                    let k = contrast(luminance(ink), luminance(under));
                    b_total += 1;
                    b_met += u64::from(k >= target * 0.99);
                }
            }
            if b_total > 0 {
                worst_block = worst_block.min(b_met as f64 / b_total as f64);
            }
            met += b_met;
            total += b_total;
        }
    }
    let share = met as f64 / total as f64;
    eprintln!(
        "{:.2}% of {total} ink pixels meet {target}:1 against the carrier; worst block {:.1}%",
        share * 100.0,
        worst_block * 100.0
    );
    assert!(total > 5_000, "only {total} ink pixels");
    // The planner judges the colour against the 10th–90th percentile of the carrier under the
    // ink, so the darkest grain may fall short; nearly all ink must not.
    assert!(share >= 0.97, "{:.2}% meet the target", share * 100.0);
    assert!(
        worst_block >= 0.8,
        "a block has {:.1}%",
        worst_block * 100.0
    );
}

#[test]
fn captions_name_the_carrier_of_the_first_line() {
    let ctx = context(&[
        "caption.languages={en: 1}",
        r#"caption.en=["{carrier} that reads \"{text}\""]"#,
    ]);
    for index in 0..30 {
        let s = sample(&ctx, index);
        let first = &s.meta.blocks[s.meta.lines[0].block as usize].carrier;
        let words = match first.kind {
            "paper_card" => "paper card",
            "wooden_board" => "wooden board",
            "cardboard" => "piece of cardboard",
            "fabric_banner" => "fabric banner",
            "led_sign" => "an LED sign",
            "shop_sign" => "shop sign",
            other => panic!("unknown kind {other}"),
        };
        let before = s.meta.caption.split(" that reads").next().unwrap();
        assert!(
            before.ends_with(words),
            "sample {index}: {:?} for a {}",
            s.meta.caption,
            first.kind
        );
    }
}

#[test]
fn carrier_pictures_are_deterministic_and_the_default_recipe_has_none() {
    let on = context(&[]);
    for index in [0, 7] {
        let a = sample(&on, index);
        let b = sample(&on, index);
        assert!(a.image == b.image, "sample {index} differs between runs");
    }
    let off = Context::new(Recipe::default()).unwrap();
    assert!((0..5).all(|i| sample(&off, i).meta.blocks.iter().all(|b| !b.carrier.on)));
    // An absent section is not written into the recipe (nor its hash): recipes from before
    // carriers keep their hash.
    let json = serde_json::to_string(&Recipe::default()).unwrap();
    assert!(
        !json.contains("carrier"),
        "the default recipe writes a carrier section"
    );
}
