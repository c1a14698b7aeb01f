//! Condition rasters line up with the image: with plain looks and no effects, the image is
//! exactly the background blended with the text colour at the glyph image's coverage, pixel for
//! pixel; the position mask holds the ink; the segmentation labels only ink, with the character
//! whose quad holds it.

use hanzi_synth::conditions::{render_conditions, CharSeg};
use hanzi_synth::geometry::{point_in_polygon, Point};
use hanzi_synth::paint::CpuPainter;
use hanzi_synth::recipe::{ConditionsConfig, Recipe};
use hanzi_synth::scene::{render_sample, Context, StageTimes};

const ALL: ConditionsConfig = ConditionsConfig {
    glyph: true,
    mask: true,
    charseg: true,
};

fn context(extra: &[&str]) -> Context {
    let mut sets: Vec<String> = [
        "canvas={width: 224, height: 224}",
        "text.size=[16, 56]",
        "layout.blocks=[1, 1]",
        "layout.curve=0.4",
        "warp.probability=0.8",
        "warp.rotation=[-20, 20]",
        "backgrounds.kinds={solid: 1}",
        "style={fill: {solid: 1}, stroke: 0, shadow: 0, glow: 0, plate: 0, weathering: 0, opacity: [1, 1]}",
        "effects={camera: {probability: 0, range: [1, 1]}, color_jitter: {probability: 0, range: [0, 0]}, vignette: {probability: 0, range: [0, 0]}, gaussian_blur: {probability: 0, range: [0.5, 0.5]}, motion_blur: {probability: 0, range: [3, 3]}, noise: {probability: 0, range: [1, 1]}, jpeg: {probability: 0, range: [50, 50]}}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    sets.extend(extra.iter().map(|s| s.to_string()));
    Context::new(Recipe::default().with_overrides(&sets).unwrap()).unwrap()
}

#[test]
fn glyph_image_reproduces_the_image_text_pixel_for_pixel() {
    let ctx = context(&[]);
    for index in 0..12 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        let c = render_conditions(&sample, &ctx.fonts, &ALL);
        let glyph = c.glyph.unwrap();
        let bg = sample.image.get_pixel(0, 0).0; // the margin never holds text
        let ink = sample.meta.blocks[0].colors[0];
        let mut inked = 0;
        for (x, y, px) in sample.image.enumerate_pixels() {
            // The compositor's blend at the coverage the glyph image records (255 − grey).
            let a = 255 - u32::from(glyph.get_pixel(x, y).0[0]);
            let expected = [0, 1, 2].map(|i| {
                ((u32::from(bg[i]) * (255 - a) + u32::from(ink[i]) * a + 127) / 255) as u8
            });
            assert_eq!(px.0, expected, "sample {index} pixel ({x}, {y})");
            inked += usize::from(a > 0);
        }
        assert!(inked > 50, "sample {index}: {inked} inked pixels");
    }
}

#[test]
fn mask_holds_the_ink_and_charseg_labels_each_characters_ink() {
    // With every look and the camera on, too: the rasters follow the final geometry.
    let ctx = context(&[
        "effects.camera={probability: 0.7, range: [1.0, 1.2]}",
        "layout.blocks=[1, 3]",
        "corpus.lines=[1, 3]",
    ]);
    for index in 0..12 {
        let sample =
            render_sample(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        let c = render_conditions(&sample, &ctx.fonts, &ALL);
        let (glyph, mask) = (c.glyph.unwrap(), c.mask.unwrap());
        let CharSeg::Narrow(seg) = c.charseg.unwrap() else {
            panic!("a small sample has an 8-bit map");
        };
        let chars: Vec<_> = sample.meta.lines.iter().flat_map(|l| &l.chars).collect();
        assert_eq!(
            c.table,
            chars.iter().map(|c| c.char.clone()).collect::<Vec<_>>()
        );
        let (mut ink, mut outside_mask, mut unlabelled) = (0usize, 0usize, 0usize);
        for (x, y, g) in glyph.enumerate_pixels() {
            let inked = g.0[0] < 128;
            let k = usize::from(seg.get_pixel(x, y).0[0]);
            if k > 0 {
                assert!(inked, "sample {index}: ({x}, {y}) labelled {k} without ink");
                let quad: Vec<Point> = chars[k - 1]
                    .quad
                    .iter()
                    .map(|p| Point::new(p[0], p[1]))
                    .collect();
                let centre = Point::new(f64::from(x) + 0.5, f64::from(y) + 0.5);
                assert!(
                    point_in_polygon(centre, &quad),
                    "sample {index}: ({x}, {y}) outside character {k}"
                );
            }
            if inked {
                ink += 1;
                outside_mask += usize::from(mask.get_pixel(x, y).0[0] == 0);
                unlabelled += usize::from(k == 0);
            }
        }
        assert!(ink > 50, "sample {index}");
        // Only anti-aliased fringe may fall outside the polygons and quads.
        assert!(
            outside_mask * 200 < ink,
            "sample {index}: {outside_mask} of {ink} ink pixels outside the mask"
        );
        assert!(
            unlabelled * 100 < ink,
            "sample {index}: {unlabelled} of {ink} ink pixels unlabelled"
        );
        assert!(
            mask.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255),
            "binary mask"
        );
    }
}
