//! The plan/paint seam: a plan alone decides a sample. Painting a plan from scratch gives the
//! same pixels as the planner's own background plus the layers, for every example recipe; and
//! the labels `generate` writes are the plan's. These are the checks a second painter (GPU) must
//! pass against the CPU reference.

use hanzi_synth::crop::{plan_for_mode, render_for_mode};
use hanzi_synth::paint::{CpuPainter, Painter};
use hanzi_synth::recipe::Recipe;
use hanzi_synth::scene::{Context, StageTimes};

fn example_recipes() -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/recipes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    assert!(out.len() >= 7, "{out:?}");
    out
}

#[test]
fn a_plan_alone_paints_the_sample_for_every_example_recipe() {
    for path in example_recipes() {
        let ctx = Context::new(Recipe::load(&path).unwrap()).unwrap();
        for index in 0..4 {
            let times = &mut StageTimes::default();
            // Planned as the recipe's output mode asks (a native crop is a plan of its own).
            let (plan, background) = plan_for_mode(&ctx, index, times).unwrap();
            // A scene's planner reads a thumbnail and hands over no background; a native
            // crop's reads its small patch whole and hands it over.
            if let Some(bg) = &background {
                assert_eq!(bg.dimensions(), (plan.width, plan.height));
            }
            assert!(plan.layers.iter().all(|l| l.plane < plan.planes.len()));
            assert!(
                !plan.layers.is_empty(),
                "{}: a sample has text",
                path.display()
            );
            let given = CpuPainter.paint(&ctx, &plan, background, times).unwrap();
            let scratch = CpuPainter.paint(&ctx, &plan, None, times).unwrap();
            assert!(
                given == scratch,
                "{} sample {index}: painting the plan's background differs from the planner's",
                path.display()
            );
            let sample = render_for_mode(&ctx, index, &mut CpuPainter, times).unwrap();
            assert!(sample.image == scratch, "{} sample {index}", path.display());
            assert_eq!(
                serde_json::to_string(&sample.meta).unwrap(),
                serde_json::to_string(&plan.meta).unwrap()
            );
        }
    }
}
