//! `merge DIR`: turns the manifests of a folder of `--shard k/N` tasks into the one
//! `manifest.json` a single machine writes for the same run.
//!
//! Every manifest total is a sum over shards except the number of distinct characters, so a
//! shard set's manifest also lists its characters (`characters`) and the merge counts their
//! union. The merged manifest is built with the same type and written by the same function as
//! a single run's, so its bytes are the single run's; the shard manifests are then removed, and
//! the folder is exactly what one machine writes. Only manifests are read and only file sizes
//! are checked (checksums are `verify`'s job), so a merge of a million samples takes moments
//! and memory in proportion to the number of shards.
//!
//! A merge refuses, naming what to do: a missing shard set, shard sets of different runs
//! (recipe, seed, count, tool, split, or inputs such as fonts seen by the task), an unfinished
//! task (its progress journal or a temporary file is there), a shard that is missing, has
//! another size than recorded, or is listed by no manifest, and a `manifest.json` of another
//! run. Run again on a merged folder (or one whose merge was killed after writing
//! `manifest.json`), it only finishes the tidying.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::generate::{our_output, run_shards, write_manifest, Manifest};
use crate::sink::ShardInfo;

/// What a merge did.
#[derive(Debug)]
pub enum Merged {
    /// `manifest.json` written from `sets` shard manifests.
    Written {
        sets: u64,
        shards: usize,
        samples: u64,
    },
    /// The folder already held the merged run; `removed` shard manifests of it were left over
    /// (a merge killed after writing `manifest.json`) and are gone now.
    Already { removed: usize },
}

/// A shard set's manifest name, `manifest-shard-k-of-N.json`, read back as (k, N).
fn shard_set_of(name: &str) -> Option<(u64, u64)> {
    let rest = name
        .strip_prefix("manifest-shard-")?
        .strip_suffix(".json")?;
    let (k, n) = rest.split_once("-of-")?;
    Some((k.parse().ok()?, n.parse().ok()?))
}

/// The shard number a shard's name starts with (`000012.tar`, `000012/`, `000012.lmdb/`).
fn shard_index(name: &str) -> Option<u64> {
    name.split(['.', '/']).next()?.parse().ok()
}

/// Manifest fields that a run's inputs decide rather than its shards: equal in every shard
/// set of one run. A difference means the tasks did not make the same run (e.g. machines
/// with different system fonts under `fonts.system`).
const SHARED_FIELDS: [&str; 15] = [
    "recipe",
    "format",
    "corpus_characters",
    "corpus_words",
    "words_without_font",
    "corpus_lines_skipped",
    "corpus_lines_skipped_by_reason",
    "exclude",
    "charset",
    "quota",
    "fonts_used",
    "fonts_skipped",
    "fonts_inkless_chars",
    "backgrounds_skipped",
    "tool",
];

fn sum_into(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", path.display()))
}

fn read_manifest(path: &Path) -> Result<Manifest> {
    serde_json::from_value(read_json(path)?).with_context(|| {
        format!(
            "{} is not a manifest this version of hanzi-synth can read",
            path.display()
        )
    })
}

/// Does the file or folder a manifest lists hold what it recorded? Sizes only.
fn shard_problem(dir: &Path, info: &ShardInfo) -> Option<String> {
    let path = dir.join(info.name.trim_end_matches('/'));
    let size = |p: &Path| std::fs::metadata(p).ok().map(|m| m.len());
    if info.name.ends_with(".lmdb/") {
        match size(&path.join("data.mdb")) {
            None => Some(format!("{}: missing", info.name)),
            Some(b) if b != info.bytes => Some(format!(
                "{}data.mdb: {b} bytes, the manifest says {}",
                info.name, info.bytes
            )),
            Some(_) => None,
        }
    } else if info.name.ends_with('/') {
        (!path.join("metadata.jsonl").is_file()).then(|| format!("{}: missing", info.name))
    } else {
        match size(&path) {
            None => Some(format!("{}: missing", info.name)),
            Some(b) if b != info.bytes => Some(format!(
                "{}: {b} bytes, the manifest says {}",
                info.name, info.bytes
            )),
            Some(_) => None,
        }
    }
}

/// Merges the shard sets in `dir` (see the module documentation).
pub fn merge(dir: &Path) -> Result<Merged> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    // A merge killed while writing leaves its own temporary: harmless, it is written again.
    if names.iter().any(|n| n == "manifest.json.tmp")
        && !names.iter().any(|n| n == "progress.jsonl")
    {
        let tmp = dir.join("manifest.json.tmp");
        std::fs::remove_file(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        names.retain(|n| n != "manifest.json.tmp");
    }
    let mut sets: Vec<(u64, u64, String)> = names
        .iter()
        .filter_map(|n| shard_set_of(n).map(|(k, m)| (k, m, n.clone())))
        .collect();
    sets.sort();
    let split = sets.first().map(|s| s.1);
    let resume = |k: u64, n: u64| {
        format!(
            "finish it with `hanzi-synth generate --resume -o {} --shard {k}/{n}`",
            dir.display()
        )
    };

    // Unfinished tasks: their journals and temporaries.
    let mut unfinished = Vec::new();
    for name in &names {
        if let Some(spec) = name
            .strip_prefix("progress-shard-")
            .and_then(|r| r.strip_suffix(".jsonl"))
        {
            let (k, n) = spec.split_once("-of-").unwrap_or((spec, "?"));
            unfinished.push(format!(
                "{name}: shard set {k}/{n} is unfinished; {}",
                resume(k.parse().unwrap_or(0), n.parse().unwrap_or(0))
            ));
        } else if name == "progress.jsonl" {
            unfinished.push(format!(
                "{name}: a run made without --shard is unfinished in this folder; finish it \
                 with `hanzi-synth generate --resume -o {}`",
                dir.display()
            ));
        } else if name.ends_with(".tmp") && our_output(name).is_some() {
            let why = match (our_output(name), split) {
                (Some(Some(j)), Some(n)) => format!(
                    "a shard being written or left by a killed task (shard set {}/{n}); {}",
                    j % n,
                    resume(j % n, n)
                ),
                _ => "a temporary file being written or left by a killed task; finish that \
                      task with `generate --resume`"
                    .into(),
            };
            unfinished.push(format!("{name}: {why}"));
        }
    }
    if !unfinished.is_empty() {
        bail!(
            "cannot merge {}: not every task has finished:\n  {}",
            dir.display(),
            unfinished.join("\n  ")
        );
    }

    let single = dir.join("manifest.json");
    if single.exists() {
        return tidy_merged(dir, &single, &sets);
    }
    if sets.is_empty() {
        bail!(
            "{} holds no manifest-shard-k-of-N.json: nothing to merge (merge joins the output \
             of `generate --shard k/N` tasks)",
            dir.display()
        );
    }

    let values: Vec<(String, Value)> = sets
        .iter()
        .map(|(_, _, name)| Ok((name.clone(), read_json(&dir.join(name))?)))
        .collect::<Result<_>>()?;
    let mut problems = crate::verify::shard_set_problems(&values);
    let (first_name, first) = &values[0];
    for (name, v) in &values[1..] {
        for field in SHARED_FIELDS {
            if v[field] != first[field] && !problems.iter().any(|p| p.starts_with(name.as_str())) {
                problems.push(format!(
                    "{name}: {field} differs from {first_name}'s: the tasks did not make the \
                     same run (every machine needs the same recipe, tool build, fonts, photos \
                     and word lists)"
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "cannot merge {}:\n  {}",
            dir.display(),
            problems.join("\n  ")
        );
    }

    let mut manifests: Vec<Manifest> = sets
        .iter()
        .map(|(_, _, name)| read_manifest(&dir.join(name)))
        .collect::<Result<_>>()?;
    for (m, (_, _, name)) in manifests.iter().zip(&sets) {
        if m.characters.is_none() {
            bail!(
                "cannot merge {}: {name} does not list its characters (made by a hanzi-synth \
                 without `merge`); make that shard set again with this version (`generate \
                 --overwrite … --shard k/N`)",
                dir.display()
            );
        }
    }
    let rest = manifests.split_off(1);
    let mut merged = manifests.pop().expect("at least one shard set");
    let mut chars: BTreeSet<char> = merged
        .characters
        .take()
        .unwrap_or_default()
        .chars()
        .collect();
    for m in rest {
        merged.samples += m.samples;
        merged.records += m.records;
        merged.shards.extend(m.shards);
        sum_into(&mut merged.fonts, &m.fonts);
        sum_into(&mut merged.backgrounds, &m.backgrounds);
        sum_into(&mut merged.background_sources, &m.background_sources);
        sum_into(&mut merged.directions, &m.directions);
        chars.extend(m.characters.unwrap_or_default().chars());
        merged.text_resamples += m.text_resamples;
        merged.contrast_unmet += m.contrast_unmet;
        sum_into(&mut merged.contrast_fallbacks, &m.contrast_fallbacks);
        merged.blocks += m.blocks;
        merged.blocks_dropped += m.blocks_dropped;
        merged.samples_with_dropped_blocks += m.samples_with_dropped_blocks;
        merged.curved_lines += m.curved_lines;
        sum_into(&mut merged.effects, &m.effects);
        merged.camera_skipped += m.camera_skipped;
        if !merged.device.split(" + ").any(|d| d == m.device) {
            merged.device = format!("{} + {}", merged.device, m.device);
        }
    }
    merged.shard = None;
    merged.characters_covered = chars.len();
    merged.shards.sort_by_key(|s| shard_index(&s.name));

    // Every shard of the run is listed once, is there with its recorded size, and nothing else
    // of ours lies beside it.
    let per_shard = u64::from(merged.recipe.output.samples_per_shard);
    let expected = run_shards(merged.count, per_shard, None);
    let listed: Vec<Option<u64>> = merged.shards.iter().map(|s| shard_index(&s.name)).collect();
    let n = split.unwrap_or(1);
    let mut problems: Vec<String> = expected
        .iter()
        .filter(|j| !listed.contains(&Some(**j)))
        .map(|j| {
            format!(
                "shard {j:06} is listed by no manifest (its set manifest-shard-{}-of-{n}.json is \
                 short of it: make that set again with --overwrite)",
                j % n
            )
        })
        .collect();
    problems.extend(merged.shards.iter().filter_map(|s| shard_problem(dir, s)));
    for name in &names {
        let listed = merged
            .shards
            .iter()
            .any(|s| s.name.trim_end_matches('/') == name.as_str());
        if matches!(our_output(name), Some(Some(_))) && !listed {
            problems.push(format!(
                "{name}: left over, not listed in any manifest (remove it, or make its shard \
                 set again with --overwrite)"
            ));
        }
    }
    if merged.samples != merged.count {
        problems.push(format!(
            "the shard sets hold {} samples, the run has {}",
            merged.samples, merged.count
        ));
    }
    if !problems.is_empty() {
        bail!(
            "cannot merge {}:\n  {}",
            dir.display(),
            problems.join("\n  ")
        );
    }

    write_manifest(dir, "manifest.json", &merged)?;
    remove_set_manifests(dir, &sets)?;
    Ok(Merged::Written {
        sets: n,
        shards: merged.shards.len(),
        samples: merged.samples,
    })
}

fn remove_set_manifests(dir: &Path, sets: &[(u64, u64, String)]) -> Result<()> {
    for (_, _, name) in sets {
        let path = dir.join(name);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    crate::sink::sync_dir(dir);
    Ok(())
}

/// `manifest.json` is there: a merged (or single-machine) run. Shard manifests beside it are
/// removed if they are parts of that run (a merge stopped before its tidying), refused
/// otherwise.
fn tidy_merged(dir: &Path, single: &Path, sets: &[(u64, u64, String)]) -> Result<Merged> {
    let whole = read_json(single)?;
    if !whole["shard"].is_null() {
        bail!("{} is not a whole run's manifest", single.display());
    }
    let identity = |m: &Value| {
        ["tool", "recipe_hash", "seed", "count"]
            .iter()
            .map(|f| m[f].clone())
            .collect::<Vec<_>>()
    };
    let shards: Vec<ShardInfo> = serde_json::from_value(whole["shards"].clone())
        .with_context(|| format!("{}: unreadable shard list", single.display()))?;
    let mut foreign = Vec::new();
    for (_, _, name) in sets {
        let part = read_json(&dir.join(name))?;
        let part_shards: Vec<ShardInfo> =
            serde_json::from_value(part["shards"].clone()).unwrap_or_default();
        if identity(&part) != identity(&whole) || part_shards.iter().any(|s| !shards.contains(s)) {
            foreign.push(name.clone());
        }
    }
    if !foreign.is_empty() {
        bail!(
            "cannot merge {}: it holds manifest.json of another run than {}; move that \
             manifest.json (or those shard sets) to another folder",
            dir.display(),
            foreign.join(", ")
        );
    }
    remove_set_manifests(dir, sets)?;
    Ok(Merged::Already {
        removed: sets.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        assert_eq!(shard_set_of("manifest-shard-3-of-10.json"), Some((3, 10)));
        assert_eq!(shard_set_of("manifest.json"), None);
        assert_eq!(shard_set_of("manifest-shard-3-of-10.json.tmp"), None);
        assert_eq!(shard_index("000012.tar"), Some(12));
        assert_eq!(shard_index("000012/"), Some(12));
        assert_eq!(shard_index("1000000.lmdb/"), Some(1_000_000));
    }
}
