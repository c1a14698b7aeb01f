//! Native line crops (`output.mode: native_crops`): every label guarantee the scene-cut crops
//! give — character boxes around the ink, the transcription, no tofu, the legibility floor, the
//! contrast target — and the same bytes for any thread count and shard split.

mod common;

use common::{bin, files, shard_metas, tmp};
use hanzi_synth::crop::{crops_for_mode, render_for_mode};
use hanzi_synth::fonts::coverage_of;
use hanzi_synth::paint::CpuPainter;
use hanzi_synth::recipe::{Direction, Recipe};
use hanzi_synth::scene::{Context, StageTimes};

const NATIVE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/recipes/ocr-lines-native.yaml");

#[test]
fn native_crops_hold_their_characters_where_the_labels_say() {
    // Black text on white, no decorations or effects: dark crop pixels are ink.
    let recipe = Recipe::load(std::path::Path::new(NATIVE))
        .unwrap()
        .with_overrides(&common::without_effects(vec![
            "backgrounds.kinds={solid: 1}".into(),
            "backgrounds.colors=[\"#ffffff\"]".into(),
            "color.palette=[\"#000000\"]".into(),
            "style={fill: {solid: 1}, stroke: 0, shadow: 0, glow: 0, plate: 0, weathering: 0}"
                .into(),
            "text.direction={horizontal: 1, vertical: 1}".into(),
            "warp.probability=1".into(),
            "output.crop_height=40".into(),
        ]))
        .unwrap();
    let ctx = Context::new(recipe).unwrap();
    let (mut horizontal, mut vertical, mut tilted) = (0, 0, 0);
    for index in 0..40 {
        let mut sample =
            render_for_mode(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        let crops = crops_for_mode(&mut sample, &ctx.recipe.output);
        assert_eq!(crops.len(), 1, "one crop per sample");
        let crop = &crops[0];
        let m = &crop.meta;
        assert_eq!(m.key, format!("{index:09}_000"));
        assert_eq!((m.width, m.height), crop.image.dimensions());
        assert_eq!(
            m.chars.iter().map(|c| c.char.as_str()).collect::<String>(),
            m.text
        );
        match m.direction {
            Direction::Horizontal => {
                horizontal += 1;
                assert_eq!(crop.image.height(), 40);
            }
            Direction::Vertical => {
                vertical += 1;
                assert_eq!(crop.image.width(), 40);
            }
        }
        // No tofu: the face recorded draws every character.
        let cov = coverage_of(&m.font.file, m.font.index).expect("a bundled face");
        assert!(
            cov.covers(&m.text),
            "{:?} not all in {}",
            m.text,
            m.font.file
        );
        // The legibility floor holds after the warp.
        assert!(m.source_px_per_em >= ctx.recipe.text.min_size, "{m:?}");
        let native = m
            .native
            .as_ref()
            .expect("native crops say how they were drawn");
        assert!(native.rotation.abs() <= 3.0 + 1e-9);
        tilted += usize::from(native.rotation.abs() > 0.5 || native.warp_strength > 0.0);
        for c in &m.chars {
            let b = c.bbox;
            assert!(b[0] >= -0.5 && b[1] >= -0.5, "{b:?} leaves the crop");
            assert!(b[2] <= f64::from(m.width) + 0.5 && b[3] <= f64::from(m.height) + 0.5);
        }
        // Nearly all ink lies in the character boxes, and every visible character has ink.
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
                if cx >= b[0] - 1.0 && cx <= b[2] + 1.0 && cy >= b[1] - 1.0 && cy <= b[3] + 1.0 {
                    per_char[k] += dark;
                    hit = true;
                }
            }
            inside += u64::from(hit) * dark;
        }
        assert!(ink > 0, "crop {index} has no ink");
        assert!(
            inside as f64 >= 0.99 * ink as f64,
            "crop {index} ({:?}): {inside} of {ink} ink inside the boxes",
            m.text
        );
        for (c, k) in m.chars.iter().zip(&per_char) {
            if !c.char.trim().is_empty() && !".,·-_'\"".contains(c.char.as_str()) {
                assert!(*k > 0, "crop {index}: no ink in the box of {:?}", c.char);
            }
        }
    }
    assert!(horizontal > 5 && vertical > 5, "{horizontal} / {vertical}");
    assert!(tilted > 10, "the warp is applied ({tilted} of 40)");
}

#[test]
fn native_crops_reach_the_contrast_target_on_photos() {
    // Photos only, no effects: the contrast is judged against the patch under the ink.
    let recipe = Recipe::load(std::path::Path::new(NATIVE))
        .unwrap()
        .with_overrides(&common::without_effects(vec![
            "backgrounds.kinds={photo: 1}".into(),
        ]))
        .unwrap();
    let ctx = Context::new(recipe).unwrap();
    let min = ctx.recipe.color.min_contrast;
    for index in 0..60 {
        let mut sample =
            render_for_mode(&ctx, index, &mut CpuPainter, &mut StageTimes::default()).unwrap();
        assert!(sample.meta.contrast_met, "{}", sample.meta.notes);
        let crop = crops_for_mode(&mut sample, &ctx.recipe.output).remove(0);
        let native = crop.meta.native.unwrap();
        assert_eq!(
            native.background.kind,
            hanzi_synth::recipe::BackgroundKind::Photo
        );
        assert!(native.contrast >= min, "crop {index}: {}", native.contrast);
    }
}

fn generate(out: &std::path::Path, args: &[&str]) {
    let o = bin()
        .args(["generate", "-r", NATIVE, "-n", "48", "-o"])
        .arg(out)
        .args(["--set", "output.samples_per_shard=10"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn native_crops_are_the_same_bytes_for_any_thread_count_and_shard_split_and_verify() {
    let one = tmp("native-j1");
    let two = tmp("native-j2");
    let split = tmp("native-split");
    generate(&one, &["-j", "1"]);
    generate(&two, &["-j", "2"]);
    for k in 0..2 {
        generate(&split, &["-j", "1", "--shard", &format!("{k}/2")]);
    }
    let a = files(&one, false);
    assert_eq!(a.keys().filter(|k| k.ends_with(".tar")).count(), 5);
    assert_eq!(a, files(&two, false), "-j 1 and -j 2 differ");
    assert_eq!(
        a,
        files(&split, false),
        "one run and a 2-way shard split differ"
    );
    // One record per sample, with the crop-style metadata.
    let metas = shard_metas(&one.join("000000.tar"));
    assert_eq!(metas.len(), 10);
    for (i, m) in metas.iter().enumerate() {
        assert_eq!(m["key"], format!("{i:09}_000"));
        assert!(m["chars"].as_array().is_some_and(|c| !c.is_empty()));
        assert!(m["native"]["contrast"].as_f64().unwrap() >= 4.5);
    }
    let v = bin().arg("verify").arg(&one).output().unwrap();
    assert!(
        v.status.success(),
        "verify: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    for d in [one, two, split] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn native_crops_write_paddleocr_and_lmdb_output_that_verifies() {
    let rec = tmp("native-rec");
    generate(
        &rec,
        &[
            "-j",
            "1",
            "--set",
            "output.format=imagefolder",
            "--set",
            "output.labels=[paddleocr_rec]",
        ],
    );
    let written = files(&rec, false);
    let gt: String = written
        .iter()
        .filter(|(k, _)| k.ends_with("rec_gt.txt"))
        .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        .collect();
    let rows: Vec<&str> = gt.lines().collect();
    assert_eq!(rows.len(), 48, "one rec_gt.txt row per crop");
    for row in rows {
        let (image, text) = row.split_once('\t').expect("PATH<TAB>TEXT");
        assert!(image.ends_with("_000.jpg"), "{image}");
        assert!(!text.is_empty());
    }
    let lmdb = tmp("native-lmdb");
    generate(&lmdb, &["-j", "1", "--set", "output.format=lmdb"]);
    for out in [&rec, &lmdb] {
        let v = bin().arg("verify").arg(out).output().unwrap();
        assert!(
            v.status.success(),
            "verify {}: {}{}",
            out.display(),
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
    }
    std::fs::remove_dir_all(rec).unwrap();
    std::fs::remove_dir_all(lmdb).unwrap();
}

#[test]
fn recipe_check_refuses_what_native_crops_cannot_do() {
    let check = |set: &str| {
        let o = bin()
            .args(["recipe", "check", NATIVE, "--set", set])
            .output()
            .unwrap();
        assert!(!o.status.success(), "{set} was accepted");
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert!(check("output.conditions.mask=true").contains("output.mode: scenes"));
    assert!(check("output.crop_height=24").contains("text.min_size"));
    assert!(check("corpus.text={source: bundled-classical}").contains("line_crops"));
    assert!(check("carrier.probability=0.5").contains("carrier.probability: 0"));
    let ok = bin()
        .args(["recipe", "check", NATIVE, "--set", "output.crop_height=32"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}
