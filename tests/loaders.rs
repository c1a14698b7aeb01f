//! Real-client test: the output loads with the `webdataset` and Hugging Face `datasets`
//! packages. Runs when a Python with both is available: `HANZI_SYNTH_PYTHON` (set by `.ci/run`,
//! which makes the venv) or `python3` if it can import them; otherwise it says it was skipped.

use std::path::PathBuf;
use std::process::Command;

fn python() -> Option<String> {
    if let Ok(p) = std::env::var("HANZI_SYNTH_PYTHON") {
        return Some(p); // required: a missing package must fail, not skip
    }
    let ok = Command::new("python3")
        .args(["-c", "import webdataset, datasets"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| "python3".to_string())
}

#[test]
fn webdataset_and_imagefolder_load_in_python() {
    let Some(py) = python() else {
        eprintln!(
            "SKIPPED: no Python with webdataset+datasets (set HANZI_SYNTH_PYTHON; .ci/run does)"
        );
        return;
    };
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
    let out = Command::new(&py)
        .args([script, wds.to_str().unwrap(), imf.to_str().unwrap(), "30"])
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_CACHE", root.join("hf-cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python loaders failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("\"webdataset\": 30") && report.contains("\"imagefolder\": 30"),
        "{report}"
    );
    std::fs::remove_dir_all(root).unwrap();
}
