//! The bundled trainer (feature `train`): the data stream is `generate`'s samples, a few-step
//! train → sample → eval run writes what the README promises, resume and Ctrl-C keep a run
//! whole, and the judge reads clean renders and not noise.
#![cfg(feature = "train")]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{bin, tmp};
use hanzi_synth::recipe::Recipe;
use hanzi_synth::scene::Context;
use hanzi_synth::train::data::{example_from_generator, read_folder, Source};
use hanzi_synth::train::judge::Judge;

fn recipe_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recipes")
        .join(name)
}

fn run_ok(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// The decoded images of a WebDataset shard, in order.
fn shard_images(tar: &Path) -> Vec<Vec<u8>> {
    let mut archive = tar::Archive::new(std::fs::File::open(tar).unwrap());
    let mut out = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().extension().is_some_and(|x| x == "jpg") {
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            out.push(hanzi_synth::encode::decode_jpeg(&b).unwrap().into_raw());
        }
    }
    out
}

#[test]
fn training_stream_is_what_generate_writes() {
    let dir = tmp("train-stream");
    run_ok(
        bin()
            .args(["generate", "-q", "-n", "12", "-o"])
            .arg(&dir)
            .arg("-r")
            .arg(recipe_path("train-glyphs.yaml")),
    );
    let written = shard_images(&dir.join("000000.tar"));
    let metas = common::shard_metas(&dir.join("000000.tar"));
    assert_eq!(written.len(), 12);

    let ctx = Context::new(Recipe::load(&recipe_path("train-glyphs.yaml")).unwrap()).unwrap();
    let source = Source::Recipe(std::sync::Arc::new(ctx));
    // A batch that starts mid-run, as a training step after the first does.
    let batch = source.batch(4, 8).unwrap();
    for (k, e) in batch.iter().enumerate() {
        let i = 4 + k;
        assert_eq!(e.index, i as u64);
        assert_eq!(e.side, 32);
        assert!(
            e.rgb == written[i],
            "sample {i}: pixels differ from generate's"
        );
        let text: String = metas[i]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["text"].as_str().unwrap())
            .collect();
        assert_eq!(e.text, text, "sample {i}");
    }
    // The folder path reads the same examples back.
    let from_folder = read_folder(&dir).unwrap();
    assert_eq!(from_folder.len(), 12);
    for i in 0..12 {
        assert_eq!(from_folder[i].rgb, written[i]);
    }
    let Source::Recipe(ctx) = &source else {
        unreachable!()
    };
    assert_eq!(example_from_generator(ctx, 4).unwrap(), batch[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn judge_reads_clean_renders_and_not_noise() {
    let dir = tmp("judge");
    let chars: Vec<char> = "的是了在和有他不我人".chars().collect();
    let recipe = Recipe::load(&recipe_path("train-glyphs.yaml")).unwrap();
    let judge = Judge::train(&dir, &chars, &recipe, 0, true).unwrap();
    let v = &judge.info.validation;
    assert!(v.clean_accuracy >= 0.98, "held-out clean renders: {v:?}");
    assert!(v.noise_accuracy <= 2.0 * v.chance, "noise pictures: {v:?}");
    // Near misses of real glyphs (two drawn over each other, a third of the ink painted over)
    // read as nothing, not as the nearest character.
    assert!(v.near_miss_pictures > 0, "{v:?}");
    assert!(v.near_misses_read_as_text <= 0.25, "near misses: {v:?}");
    // Saved and loaded, it reads the same.
    let again = Judge::load(&dir).unwrap();
    assert_eq!(again.info.chars, chars);
    let _ = std::fs::remove_dir_all(&dir);
}

fn state(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("state.json")).unwrap()).unwrap()
}

#[test]
fn train_sample_eval_smoke_and_resume() {
    let run = tmp("train-run");
    let small = [
        "--widths",
        "8,16",
        "--batch",
        "4",
        "--checkpoint-every",
        "2",
    ];
    let out = run_ok(
        bin()
            .args(["train", "-q", "--no-eval", "--steps", "3"])
            .args(small)
            .arg("-r")
            .arg(recipe_path("train-glyphs.yaml"))
            .arg("-o")
            .arg(&run),
    );
    assert!(out.contains("trained at step 3/3"), "{out}");
    for f in [
        "state.json",
        "ema.safetensors",
        "model.safetensors",
        "model.bpk",
        "optimizer.bpk",
        "train.jsonl",
        "loss.png",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    assert_eq!(state(&run)["step"], 3);
    // A second start in the same folder is refused; --resume raises the budget and continues.
    let refused = bin()
        .args(["train", "-q", "--steps", "3"])
        .arg("-r")
        .arg(recipe_path("train-glyphs.yaml"))
        .arg("-o")
        .arg(&run)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));
    run_ok(
        bin()
            .args(["train", "-q", "--no-eval", "--resume", "--steps", "5", "-o"])
            .arg(&run),
    );
    assert_eq!(state(&run)["step"], 5);
    let log = std::fs::read_to_string(run.join("train.jsonl")).unwrap();
    assert!(log.lines().count() >= 2);

    let pics = run.join("pics");
    run_ok(
        bin()
            .args([
                "sample",
                "-p",
                "的",
                "-p",
                "是",
                "-n",
                "2",
                "--sample-steps",
                "2",
                "-o",
            ])
            .arg(&pics)
            .arg(&run),
    );
    assert_eq!(std::fs::read_dir(&pics).unwrap().count(), 4);
    let bad = bin()
        .args(["sample", "-p", "猫", "-o"])
        .arg(&pics)
        .arg(&run)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not in the model's character table"));

    let eval = run.join("eval");
    let out = run_ok(
        bin()
            .args([
                "eval",
                "-q",
                "--per-prompt",
                "1",
                "--sample-steps",
                "2",
                "--prompts",
                "的是了",
                "-o",
            ])
            .arg(&eval)
            .arg(&run),
    );
    assert!(out.contains("read as prompted"), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["overall"]["items"], 3);
    assert!(
        report["controls"]["judge"]["validation"]["clean_accuracy"]
            .as_f64()
            .unwrap()
            >= 0.98
    );
    let lines = std::fs::read_to_string(eval.join("samples.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3);
    assert!(eval.join("grid.png").is_file() && eval.join("samples/00002.png").is_file());
    // The saved pictures read again (as after a judge upgrade) give the same verdicts.
    let again = run.join("eval-again");
    run_ok(
        bin()
            .args(["eval", "-q", "--reread"])
            .arg(&eval)
            .arg("-o")
            .arg(&again)
            .arg(&run),
    );
    assert_eq!(
        std::fs::read_to_string(again.join("samples.jsonl")).unwrap(),
        lines
    );
    let _ = std::fs::remove_dir_all(&run);
}

#[test]
fn same_seed_same_weights() {
    let mut weights = Vec::new();
    for k in 0..2 {
        let run = tmp(&format!("train-det{k}"));
        run_ok(
            bin()
                .args([
                    "train",
                    "-q",
                    "--no-eval",
                    "--steps",
                    "2",
                    "--widths",
                    "8,16",
                    "--batch",
                    "4",
                    "--seed",
                    "9",
                ])
                .arg("-r")
                .arg(recipe_path("train-glyphs.yaml"))
                .arg("-o")
                .arg(&run),
        );
        weights.push(std::fs::read(run.join("ema.safetensors")).unwrap());
        let _ = std::fs::remove_dir_all(&run);
    }
    assert!(
        weights[0] == weights[1],
        "two runs with one seed gave different weights"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_saves_a_checkpoint() {
    let run = tmp("train-sigint");
    let mut child = bin()
        .args([
            "train",
            "-q",
            "--no-eval",
            "--steps",
            "100000",
            "--widths",
            "8,16",
            "--batch",
            "4",
            "--checkpoint-every",
            "100000",
        ])
        .arg("-r")
        .arg(recipe_path("train-glyphs.yaml"))
        .arg("-o")
        .arg(&run)
        .spawn()
        .unwrap();
    // Wait for the first logged window (25 steps), then interrupt.
    let log = run.join("train.jsonl");
    let start = std::time::Instant::now();
    while std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(start.elapsed().as_secs() < 600, "training never logged");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // SAFETY: sends SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let step = state(&run)["step"].as_u64().unwrap();
    assert!(step >= 25, "checkpoint at step {step}");
    let _ = std::fs::remove_dir_all(&run);
}
