//! Helpers shared by the integration tests that drive the `hanzi-synth` binary.
#![allow(dead_code)] // each test file uses its own subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hanzi-synth"))
}

/// A fresh (removed) path under the temp folder, unique per test process.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hanzi-synth-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Every file under `dir` with its bytes, keyed by relative path; manifests only if asked.
pub fn files(dir: &Path, with_manifests: bool) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if with_manifests || !name.starts_with("manifest") {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The metadata (`KEY.json`) of every record in a WebDataset shard, in order.
pub fn shard_metas(tar_path: &Path) -> Vec<serde_json::Value> {
    let mut archive = tar::Archive::new(std::fs::File::open(tar_path).unwrap());
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        if entry
            .path()
            .unwrap()
            .extension()
            .is_some_and(|e| e == "json")
        {
            out.push(serde_json::from_reader(entry).unwrap());
        }
    }
    out
}

/// Overrides that switch every whole-image effect off, added to a test's own.
pub fn without_effects(mut sets: Vec<String>) -> Vec<String> {
    for e in [
        "camera",
        "color_jitter",
        "vignette",
        "gaussian_blur",
        "motion_blur",
        "noise",
        "jpeg",
    ] {
        sets.push(format!("effects.{e}.probability=0"));
    }
    sets
}
