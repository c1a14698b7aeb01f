//! The progress journal: what makes a killed run resumable.
//!
//! A run appends one line per completed shard (name, size, checksum and that shard's manifest
//! totals) to `progress.jsonl` right after the shard's rename, and syncs it. After a crash the
//! journal lists exactly the shards that are complete; `generate --resume` keeps those, removes
//! anything else this run wrote, and makes the rest. Because every sample depends only on
//! (recipe, seed, index) and the manifest totals are sums over shards, the resumed output is
//! byte-identical to an uninterrupted run. The journal is removed once `manifest.json` is written.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::generate::{ShardSpec, Tally};
use crate::sink::{sync_dir, ShardInfo};

/// What a run is making; a resume must be making the same thing. It holds the whole recipe
/// (and the folder its relative paths start from), so `generate --resume -o DIR` can finish a
/// run without its options being repeated.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunHeader {
    pub tool: String,
    /// The painter's kind, "cpu" or "gpu" (`--device`): a resume must not mix pictures of
    /// both kinds.
    #[serde(default = "cpu_kind")]
    pub device: String,
    pub recipe_hash: String,
    pub seed: u64,
    pub count: u64,
    pub shard: Option<ShardSpec>,
    /// The recipe as `Recipe` serialises it (count and seed included).
    #[serde(default)]
    pub recipe: serde_json::Value,
    /// `Recipe::base_dir`, absolute.
    #[serde(default)]
    pub base_dir: PathBuf,
}

fn cpu_kind() -> String {
    "cpu".into()
}

impl RunHeader {
    /// The differences that make `other` another run than `self`, in words ("seed 3 here, 0
    /// in the folder's run"; recipe keys with both values): empty when it is the same run.
    pub fn differences(&self, folder: &RunHeader) -> Vec<String> {
        let mut d = Vec::new();
        if self.tool != folder.tool {
            d.push(format!(
                "tool {} here, {} in the folder's run",
                self.tool, folder.tool
            ));
        }
        if self.device != folder.device {
            d.push(format!(
                "--device {} here, {} in the folder's run (resume with --device {})",
                self.device, folder.device, folder.device
            ));
        }
        if self.seed != folder.seed {
            d.push(format!(
                "seed {} here, {} in the folder's run",
                self.seed, folder.seed
            ));
        }
        if self.count != folder.count {
            d.push(format!(
                "count {} here, {} in the folder's run",
                self.count, folder.count
            ));
        }
        if self.shard != folder.shard {
            let show =
                |s: Option<ShardSpec>| s.map_or("none".to_string(), |s| format!("{}/{}", s.k, s.n));
            d.push(format!(
                "--shard {} here, {} in the folder's run",
                show(self.shard),
                show(folder.shard)
            ));
        }
        if self.recipe_hash != folder.recipe_hash {
            let mut keys = Vec::new();
            json_differences("", &self.recipe, &folder.recipe, &mut keys);
            keys.retain(|k| !k.starts_with("seed") && !k.starts_with("count"));
            if keys.is_empty() {
                d.push(format!(
                    "recipe {} here, {} in the folder's run",
                    self.recipe_hash, folder.recipe_hash
                ));
            }
            for k in keys.iter().take(5) {
                d.push(k.clone());
            }
            if keys.len() > 5 {
                d.push(format!("and {} more recipe value(s)", keys.len() - 5));
            }
        }
        d
    }
}

/// Dotted paths where two recipe trees differ, with both values.
fn json_differences(
    path: &str,
    here: &serde_json::Value,
    there: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (here, there) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                json_differences(
                    &p,
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(format!("{path} is {a} here, {b} in the folder's run")),
        _ => {}
    }
}

/// One completed shard.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardEntry {
    pub shard: u64,
    pub info: ShardInfo,
    pub tally: Tally,
}

pub fn journal_name(shard: Option<ShardSpec>) -> String {
    match shard {
        None => "progress.jsonl".into(),
        Some(s) => format!("progress-shard-{}-of-{}.jsonl", s.k, s.n),
    }
}

pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Starts a journal holding `header` and the shards already `done` (written to a temporary
    /// name and renamed, so a crash here leaves the old journal or the new one, never half).
    pub fn create(
        dir: &Path,
        header: &RunHeader,
        spec: Option<ShardSpec>,
        done: &[ShardEntry],
    ) -> Result<Journal> {
        let path = dir.join(journal_name(spec));
        let tmp = dir.join(format!("{}.tmp", journal_name(spec)));
        let mut text = serde_json::to_string(header)?;
        text.push('\n');
        for e in done {
            text.push_str(&serde_json::to_string(e)?);
            text.push('\n');
        }
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().with_context(|| format!("cannot write {}", path.display()))?;
        sync_dir(dir);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Journal { path, file })
    }

    /// Reads a journal: its header and every complete entry. A line cut short by a crash ends
    /// the list (its shard is simply made again).
    pub fn read(
        dir: &Path,
        spec: Option<ShardSpec>,
    ) -> Result<Option<(RunHeader, Vec<ShardEntry>)>> {
        Journal::read_file(&dir.join(journal_name(spec)))
    }

    /// [`Journal::read`] for a journal file found by name (`verify` and `stats` on an
    /// interrupted run).
    pub fn read_file(path: &Path) -> Result<Option<(RunHeader, Vec<ShardEntry>)>> {
        let text = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut lines = text.split(|b| *b == b'\n');
        let header: RunHeader = lines
            .next()
            .and_then(|l| serde_json::from_slice(l).ok())
            .with_context(|| format!("{} has no readable header", path.display()))?;
        let mut entries = Vec::new();
        for line in lines {
            match serde_json::from_slice::<ShardEntry>(line) {
                Ok(e) => entries.push(e),
                Err(_) => break,
            }
        }
        Ok(Some((header, entries)))
    }

    /// Records a completed shard durably.
    pub fn append(&mut self, entry: &ShardEntry) -> Result<()> {
        let mut line = serde_json::to_string(entry)?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Deletes the journal once the manifest holds everything it said.
    pub fn remove(self) -> Result<()> {
        drop(self.file);
        fs::remove_file(&self.path)
            .with_context(|| format!("cannot remove {}", self.path.display()))
    }
}
