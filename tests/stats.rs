//! `stats DIR` reads the records back and agrees with what the generator counted in
//! `manifest.json`, for tar shards, imagefolder chunks and line crops; it writes a PNG chart
//! page; and it fails on a damaged record.

mod common;

use std::path::Path;

use common::{bin, tmp};
use serde_json::Value;

fn generate(dir: &Path, extra: &[&str]) {
    let mut cmd = bin();
    cmd.args(["generate", "-q", "-n", "40", "-o", dir.to_str().unwrap()])
        .args(["--set", "canvas={width: 192, height: 192}"])
        .args(["--set", "text.size=[14, 44]"])
        .args(["--set", "output.samples_per_shard=16"]);
    for e in extra {
        cmd.args(["--set", e]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stats(dir: &Path, out: &Path) -> (bool, Value) {
    let run = bin()
        .args(["stats", dir.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    let json = std::fs::read(out.with_extension("json")).unwrap();
    (run.status.success(), serde_json::from_slice(&json).unwrap())
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn stats_agree_with_the_manifest_for_every_format() {
    let root = tmp("stats");
    for (name, extra) in [
        ("wds", vec![]),
        ("imf", vec!["output.format=imagefolder"]),
        ("crops", vec!["output.mode=line_crops"]),
    ] {
        let dir = root.join(name);
        generate(&dir, &extra);
        let (ok, s) = stats(&dir, &root.join(format!("{name}-stats")));
        assert!(ok, "{name}: {s}");
        let m = read_json(&dir.join("manifest.json"));
        assert_eq!(s["samples"], m["samples"], "{name}");
        assert_eq!(s["records"], m["records"], "{name}");
        assert_eq!(
            s["characters"]["distinct"], m["characters_covered"],
            "{name}"
        );
        assert_eq!(s["directions"], m["directions"], "{name}");
        if name != "crops" {
            // Per-sample counts (a crop record is one line, so crops count fonts per line).
            assert_eq!(s["fonts"], m["fonts"], "{name}");
            assert_eq!(s["backgrounds"], m["backgrounds"], "{name}");
            let curved: u64 = m["curved_lines"].as_u64().unwrap();
            let blocks: u64 = s["curves"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(_, v)| v.as_u64().unwrap())
                .sum();
            assert_eq!(blocks, m["blocks"].as_u64().unwrap(), "{name}");
            assert!(curved <= s["lines"].as_u64().unwrap());
        }
        let c = &s["characters"];
        assert!(c["min"].as_u64().unwrap() >= 1);
        assert!(c["min"].as_u64() <= c["median"].as_u64());
        assert!(c["median"].as_u64() <= c["max"].as_u64());
        let cov = &s["corpus_coverage"];
        assert_eq!(cov["corpus_words"], m["corpus_words"], "{name}");
        assert!(cov["words_seen"].as_u64().unwrap() > 20, "{name}: {cov}");
        assert_eq!(s["integrity"]["ok"], true, "{name}");
        let png = image::open(root.join(format!("{name}-stats.png"))).unwrap();
        assert!(png.width() >= 1000 && png.height() >= 600);
        // Not blank: the bars are drawn.
        let blue = png
            .to_rgb8()
            .pixels()
            .filter(|p| p.0 == [70, 110, 180])
            .count();
        assert!(blue > 10_000, "{name}: {blue} bar pixels");
    }

    // A record whose image no longer decodes: stats still reports, and fails.
    let imf = root.join("imf");
    let victim = std::fs::read_dir(imf.join("000000"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "jpg"))
        .unwrap();
    std::fs::write(&victim, b"not a jpeg").unwrap();
    let (ok, s) = stats(&imf, &root.join("broken-stats"));
    assert!(!ok);
    assert_eq!(s["integrity"]["ok"], false);
    assert!(s["integrity"]["problem_count"].as_u64().unwrap() >= 1);
    std::fs::remove_dir_all(root).unwrap();
}
