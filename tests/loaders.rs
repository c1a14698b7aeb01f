//! Real-client tests: the output loads with the `webdataset` and Hugging Face `datasets`
//! packages, and with PaddleOCR's own training data pipeline. They need those Python packages,
//! so they are `#[ignore]`d by default (a plain `cargo test --release` lists them as ignored,
//! never as passed) and run with `cargo test --release -- --include-ignored`, which `.ci/run`
//! does after making the venvs: `HANZI_SYNTH_PYTHON` / `HANZI_SYNTH_PADDLE_PYTHON` (PaddleOCR
//! needs numpy < 2, hence its own), or `python3` if it can import the packages. The
//! TextDiffuser-2 check also needs `HANZI_SYNTH_CLIP_BPE` (OpenAI's CLIP BPE merges file).

use std::path::PathBuf;
use std::process::Command;

/// The Python for a test: `$var` if set, else `python3` if it can `import` the modules. A test
/// that runs without one fails: once asked for, a loader test is never skipped.
fn python(var: &str, modules: &str) -> String {
    if let Ok(p) = std::env::var(var) {
        return p;
    }
    let ok = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "no Python with {modules}: set {var} to one (.ci/run makes it), or leave out \
         --include-ignored"
    );
    "python3".to_string()
}

/// Runs a Python check; fails the test with its output unless it succeeds; returns stdout.
fn run_check(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

#[test]
#[ignore = "needs the Python clients: run with --include-ignored (.ci/run does)"]
fn webdataset_and_imagefolder_load_in_python() {
    let py = python("HANZI_SYNTH_PYTHON", "webdataset, datasets");
    let root = std::env::temp_dir().join(format!("hanzi-synth-loaders-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let wds: PathBuf = root.join("wds");
    let imf: PathBuf = root.join("imf");
    for (dir, format) in [(&wds, "webdataset"), (&imf, "imagefolder")] {
        let out = Command::new(env!("CARGO_BIN_EXE_hanzi-synth"))
            .args(["generate", "-q", "-n", "30", "-o", dir.to_str().unwrap()])
            .args([
                "--set",
                "canvas={width: 160, height: 160}",
                "--set",
                "text.size=[12, 36]",
                "--set",
                "output.conditions={glyph: true, mask: true, charseg: true}",
            ])
            .args([
                "--set",
                "output.samples_per_shard=8",
                "--set",
                &format!("output.format={format}"),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_loaders.py");
    let report = run_check(
        Command::new(&py)
            .args([script, wds.to_str().unwrap(), imf.to_str().unwrap(), "30"])
            .env("HF_DATASETS_OFFLINE", "1")
            .env("HF_HUB_OFFLINE", "1")
            .env("HF_DATASETS_CACHE", root.join("hf-cache")),
        "python loaders",
    );
    assert!(
        report.contains("\"webdataset\": 30") && report.contains("\"imagefolder\": 30"),
        "{report}"
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
#[ignore = "needs the Python clients: run with --include-ignored (.ci/run does)"]
fn trainer_annotation_files_parse_as_their_loaders_read_them() {
    let py = python(
        "HANZI_SYNTH_PYTHON",
        "numpy, PIL, cv2, webcolors, transformers",
    );
    let root = std::env::temp_dir().join(format!("hanzi-synth-schemas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (scenes, crops, td2) = (root.join("scenes"), root.join("crops"), root.join("td2"));
    for (dir, sets) in [
        (
            &scenes,
            vec![
                "output.conditions.glyph=true",
                "output.labels=[anytext, glyphcontrol, glyph_byt5, paddleocr_det, textatlas]",
                "layout.blocks=[1, 3]",
            ],
        ),
        // TextDiffuser-2 trains on 512×512 only.
        (
            &td2,
            vec![
                "output.labels=[textdiffuser2]",
                "canvas={width: 512, height: 512}",
            ],
        ),
        (
            &crops,
            vec!["output.mode=line_crops", "output.labels=[paddleocr_rec]"],
        ),
    ] {
        // Not 512²: AnyText's polygons must be scaled into its 512×512 space.
        let common = [
            "canvas={width: 240, height: 200}",
            "text.size=[12, 40]",
            "output.samples_per_shard=10",
            "output.format=imagefolder",
        ];
        generate_verified(dir, "24", &[&common[..], &sets[..]].concat());
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_schemas.py");
    let report = run_check(
        Command::new(&py).args([
            script,
            scenes.to_str().unwrap(),
            crops.to_str().unwrap(),
            td2.to_str().unwrap(),
        ]),
        "schema check",
    );
    for schema in [
        "\"paddleocr_det\": 24",
        "\"anytext\": 24",
        "\"textdiffuser2\": 24",
        "\"glyphcontrol\": 24",
        "\"glyph_byt5\": 24",
        "\"textatlas\": 24",
    ] {
        assert!(report.contains(schema), "{schema} missing in {report}");
    }
    assert!(!report.contains("\"paddleocr_rec\": 0"), "{report}");
    std::fs::remove_dir_all(root).unwrap();
}

/// The `hanzi_synth` Python package (python/, installed into the venv by .ci/run) makes the
/// CLI's samples byte for byte, splits them exactly once over DataLoader workers and ranks,
/// raises recipe errors with their line, and its README examples run (tests/python/
/// test_package.py). A stale install (Rust changed since `pip install ./python`) fails here.
#[test]
#[ignore = "needs the Python package: run with --include-ignored (.ci/run installs it)"]
fn python_package_makes_the_clis_samples() {
    let py = python("HANZI_SYNTH_PYTHON", "hanzi_synth, datasets, PIL");
    let root = std::env::temp_dir().join(format!("hanzi-synth-pypkg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/test_package.py");
    let report = run_check(
        Command::new(&py)
            .args([script, env!("CARGO_BIN_EXE_hanzi-synth")])
            .env("TMPDIR", &root)
            .env("HF_DATASETS_OFFLINE", "1")
            .env("HF_HUB_OFFLINE", "1")
            .env("HF_DATASETS_CACHE", root.join("hf-cache")),
        "python package checks (after changing Rust code, reinstall: pip install ./python)",
    );
    assert!(report.contains(" checks passed, 0 failed"), "{report}");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
#[ignore = "needs the Python clients: run with --include-ignored (.ci/run does)"]
fn lmdb_shards_read_as_ocr_trainers_read_them() {
    let py = python("HANZI_SYNTH_PYTHON", "lmdb, PIL");
    let dir = std::env::temp_dir().join(format!("hanzi-synth-lmdb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    generate_verified(
        &dir,
        "30",
        &[
            "canvas={width: 256, height: 192}",
            "text.size=[14, 40]",
            "output.mode=line_crops",
            "output.format=lmdb",
            "output.samples_per_shard=12",
        ],
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let records = manifest["records"].as_u64().unwrap();
    assert!(records >= 30);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_lmdb.py");
    run_check(
        Command::new(&py).args([script, dir.to_str().unwrap(), &records.to_string()]),
        "LMDB check",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[ignore = "needs the Python clients: run with --include-ignored (.ci/run does)"]
fn paddleocr_data_pipeline_reads_det_rec_and_lmdb_output() {
    let py = python("HANZI_SYNTH_PADDLE_PYTHON", "paddleocr.ppocr.data");
    // The bundled PP-OCR key list must be the wheel's; the data is drawn within it, and
    // PaddleOCR's CTC label encoder must keep every character.
    let wheel_keys = run_check(
        Command::new(&py).args([
            "-c",
            "import os, paddleocr; print(os.path.join(os.path.dirname(paddleocr.__file__), \
             'ppocr', 'utils', 'ppocr_keys_v1.txt'))",
        ]),
        "locating ppocr_keys_v1.txt",
    );
    let wheel_keys = wheel_keys.trim();
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/ppocr_keys_v1.txt");
    assert!(
        std::fs::read(wheel_keys).unwrap() == std::fs::read(keys).unwrap(),
        "corpora/ppocr_keys_v1.txt differs from {wheel_keys}"
    );
    let charset = format!("corpus.charset={keys}");

    let root = std::env::temp_dir().join(format!("hanzi-synth-paddle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (det, rec, lmdb) = (root.join("det"), root.join("rec"), root.join("lmdb"));
    let common = [
        "canvas={width: 256, height: 192}",
        "text.size=[14, 40]",
        "output.samples_per_shard=8",
        "layout.blocks=[1, 3]",
        charset.as_str(),
    ];
    for (dir, sets) in [
        (
            &det,
            vec!["output.format=imagefolder", "output.labels=[paddleocr_det]"],
        ),
        (
            &rec,
            vec![
                "output.format=imagefolder",
                "output.mode=line_crops",
                "output.labels=[paddleocr_rec]",
            ],
        ),
        (&lmdb, vec!["output.format=lmdb", "output.mode=line_crops"]),
    ] {
        generate_verified(dir, "20", &[&common[..], &sets[..]].concat());
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/check_paddleocr.py"
    );
    let report = run_check(
        Command::new(&py).arg(script).args([&det, &rec, &lmdb]),
        "PaddleOCR check",
    );
    let counts: serde_json::Value = serde_json::from_str(report.lines().last().unwrap()).unwrap();
    assert_eq!(counts["det_images"], 20, "{report}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lmdb.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(counts["lmdb"], manifest["records"], "{report}");
    assert_eq!(counts["rec"], manifest["records"], "{report}");
    std::fs::remove_dir_all(root).unwrap();
}

/// Runs `generate -n N` into `dir` with `--set` overrides, then `verify`; both must succeed.
fn generate_verified(dir: &std::path::Path, n: &str, sets: &[&str]) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hanzi-synth"));
    cmd.args(["generate", "-q", "-n", n, "-o", dir.to_str().unwrap()]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = Command::new(env!("CARGO_BIN_EXE_hanzi-synth"))
        .args(["verify", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
#[ignore = "needs the Python clients: run with --include-ignored (.ci/run does)"]
fn a_tar_stream_loads_through_a_webdataset_pipe_url() {
    // `generate -o -` as the `pipe:` URL webdataset reads shards from (as for object storage:
    // `pipe:aws s3 cp s3://… -`): every sample, in order, with its members.
    let py = python("HANZI_SYNTH_PYTHON", "webdataset");
    let url = format!(
        // No braces: webdataset brace-expands URLs.
        "pipe:'{}' generate -o - -n 12 -q --set canvas.width=128 --set canvas.height=128 \
         --set 'text.size=[12, 28]'",
        env!("CARGO_BIN_EXE_hanzi-synth")
    );
    let script = r#"
import json, sys, webdataset as wds
keys = []
for s in wds.WebDataset(sys.argv[1], shardshuffle=False):
    meta = json.loads(s["json"])
    assert meta["key"] == s["__key__"], (meta["key"], s["__key__"])
    assert s["txt"].decode() == meta["caption"]
    assert s["jpg"][:2] == b"\xff\xd8"
    keys.append(s["__key__"])
print(json.dumps(keys))
"#;
    let report = run_check(
        Command::new(&py).args(["-c", script, &url]),
        "webdataset pipe:",
    );
    let keys: Vec<String> = serde_json::from_str(report.trim()).unwrap();
    let expected: Vec<String> = (0..12).map(|i| format!("{i:09}")).collect();
    assert_eq!(keys, expected);
}
