//! `verify DIR`: re-reads an output folder and checks it against its manifest(s).
//!
//! Shard level: every shard the manifest lists exists with the recorded size and SHA-256, and
//! nothing of ours is left over (temporary files, journals, unlisted shards). Record level:
//! every key has an image, a caption and metadata; the image decodes at the size the metadata
//! states; the caption matches; every label quad lies inside the image; each line's characters
//! match its text and exist in the font the label names (when that font can be read here).
//!
//! Fast mode (`--fast`, for huge sets) keeps the shard level whole — every shard is read once,
//! its size, checksum, member names and record count checked — and re-checks the records of a
//! seeded random sample only (decoding images is what costs). Each shard is read in one pass
//! either way: the checksum is taken from the bytes the tar reader consumes.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::fonts::{coverage_of, Coverage};
use crate::sink::{hex, ChunkHasher, ShardInfo};
use crate::stats::DatasetStats;

/// Problems listed in full; beyond this only the count grows.
const LISTED_PROBLEMS: usize = 50;

/// How much of every shard `verify` re-reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every record: image decoded, labels checked.
    Full,
    /// Every shard's size, checksum and record count; the records of a seeded random sample of
    /// `records` (the same sample for the same folder and seed).
    Fast { records: u64, seed: u64 },
}

#[derive(Default, Debug)]
pub struct VerifyReport {
    pub manifests: usize,
    pub shards: usize,
    pub records: u64,
    /// Records whose image and labels were re-checked (all of them unless in fast mode).
    pub records_checked: u64,
    /// Records whose font could not be opened here, so coverage was not re-checked.
    pub fonts_unchecked: u64,
    pub problem_count: u64,
    pub problems: Vec<String>,
    /// No manifest, only progress journals: the shards they list were checked.
    pub interrupted: bool,
    /// Statistics gathered from every record's metadata (for `stats`).
    pub stats: Option<DatasetStats>,
}

impl VerifyReport {
    fn problem(&mut self, p: String) {
        self.problem_count += 1;
        if self.problems.len() < LISTED_PROBLEMS {
            self.problems.push(p);
        }
    }

    fn absorb(&mut self, o: VerifyReport) {
        self.records += o.records;
        self.records_checked += o.records_checked;
        self.fonts_unchecked += o.fonts_unchecked;
        self.problem_count += o.problem_count;
        let room = LISTED_PROBLEMS.saturating_sub(self.problems.len());
        self.problems.extend(o.problems.into_iter().take(room));
        if let (Some(mine), Some(theirs)) = (self.stats.as_mut(), o.stats) {
            mine.absorb(theirs);
        }
    }

    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }
}

/// Fonts named by labels, opened once per verify run.
#[derive(Default)]
struct FontCache(Mutex<HashMap<(String, u32), Option<Coverage>>>);

impl FontCache {
    fn coverage(&self, file: &str, index: u32) -> Option<Coverage> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((file.to_string(), index))
            .or_insert_with(|| coverage_of(file, index))
            .clone()
    }
}

/// Verifies an output folder, every record.
pub fn verify(dir: &Path) -> Result<VerifyReport> {
    run(dir, None, Mode::Full)
}

/// Verifies an output folder in the given mode.
pub fn verify_mode(dir: &Path, mode: Mode) -> Result<VerifyReport> {
    run(dir, None, mode)
}

/// Verifies an output folder and feeds every record's metadata to `stats`.
pub fn verify_observing(dir: &Path, stats: DatasetStats) -> Result<(VerifyReport, DatasetStats)> {
    let mut report = run(dir, Some(stats), Mode::Full)?;
    let stats = report.stats.take().unwrap_or_default();
    Ok((report, stats))
}

/// `count` distinct numbers below `total`, drawn by Floyd's algorithm from `seed`: memory in
/// proportion to the sample, not to the dataset.
fn sample_positions(total: u64, count: u64, seed: u64) -> BTreeSet<u64> {
    let mut rng = crate::rng::Rng::new(seed);
    let mut picked = BTreeSet::new();
    for j in total.saturating_sub(count)..total {
        let t = rng.below(j + 1);
        if !picked.insert(t) {
            picked.insert(j);
        }
    }
    picked
}

/// Which records of each shard a run re-checks: `None` for all of them.
fn record_picks(jobs: &[(String, ShardInfo)], mode: Mode) -> Vec<Option<BTreeSet<u64>>> {
    let Mode::Fast { records, seed } = mode else {
        return vec![None; jobs.len()];
    };
    let total: u64 = jobs.iter().map(|(_, s)| s.records).sum();
    let mut picked = sample_positions(total, records.min(total), seed)
        .into_iter()
        .peekable();
    let mut start = 0u64;
    jobs.iter()
        .map(|(_, s)| {
            let end = start + s.records;
            let mut mine = BTreeSet::new();
            while let Some(p) = picked.next_if(|p| *p < end) {
                mine.insert(p - start);
            }
            start = end;
            Some(mine)
        })
        .collect()
}

fn run(dir: &Path, stats: Option<DatasetStats>, mode: Mode) -> Result<VerifyReport> {
    let mut report = VerifyReport {
        stats,
        ..VerifyReport::default()
    };
    let names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    let mut manifests: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("manifest") && n.ends_with(".json"))
        .collect();
    manifests.sort();
    let mut jobs: Vec<(String, ShardInfo)> = Vec::new();
    let journals: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("progress") && n.ends_with(".jsonl"))
        .collect();
    if manifests.is_empty() {
        if journals.is_empty() {
            report.problem(format!(
                "{}: no manifest.json — not a hanzi-synth output folder",
                dir.display()
            ));
            return Ok(report);
        }
        // An interrupted run: the shards its journals list are complete; check those.
        for name in &journals {
            match crate::journal::Journal::read_file(&dir.join(name)) {
                Ok(Some((_, entries))) => jobs.extend(
                    entries
                        .into_iter()
                        .map(|e| (format_of_shard(&e.info.name).to_string(), e.info)),
                ),
                Ok(None) => {}
                Err(e) => report.problem(format!("{e:#}")),
            }
        }
        report.interrupted = true;
        report.problem(format!(
            "{}: no manifest — the run was interrupted with {} shard(s) complete (checked \
             below); finish it with `generate --resume`",
            dir.display(),
            jobs.len()
        ));
    }
    let mut read: Vec<(String, Value)> = Vec::new();
    for name in &manifests {
        report.manifests += 1;
        let path = dir.join(name);
        let m: Value = match std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(m) => m,
            None => {
                report.problem(format!("{name}: not readable JSON"));
                continue;
            }
        };
        let format = m["format"].as_str().unwrap_or_default().to_string();
        match serde_json::from_value::<Vec<ShardInfo>>(m["shards"].clone()) {
            Ok(shards) => jobs.extend(shards.into_iter().map(|s| (format.clone(), s))),
            Err(e) => report.problem(format!("{name}: unreadable shard list ({e})")),
        }
        read.push((name.to_string(), m));
    }
    for p in shard_set_problems(&read) {
        report.problem(p);
    }
    // Our names that no manifest lists: temporaries, journals, orphan shards.
    for n in &names {
        let listed = jobs
            .iter()
            .any(|(_, s)| s.name.trim_end_matches('/') == n.as_str());
        // An interrupted run's journal and unfinished shard are expected, not left over.
        let expected = report.interrupted && (n.ends_with(".tmp") || journals.contains(&n));
        let ours = n.ends_with(".tmp")
            || n.starts_with("progress")
            || (n.len() >= 6 && n[..6].bytes().all(|b| b.is_ascii_digit()));
        if ours && !listed && !expected {
            report.problem(format!("{n}: left over, not listed in any manifest"));
        }
    }
    report.shards = jobs.len();
    // Shards in name order, so a fast-mode sample depends only on the folder and the seed.
    jobs.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    let picks = record_picks(&jobs, mode);
    let fonts = FontCache::default();
    let parts: Vec<VerifyReport> = jobs
        .par_iter()
        .zip(picks.par_iter())
        .map(|((format, info), pick)| {
            let stats = report.stats.as_ref().map(DatasetStats::fork);
            check_shard(dir, format, info, &fonts, stats, pick.as_ref())
        })
        .collect();
    for p in parts {
        report.absorb(p);
    }
    Ok(report)
}

/// What is wrong with a folder's set of manifests as one dataset: a single run's
/// `manifest.json` next to shard manifests, shard manifests of different runs (recipe, seed,
/// count, tool or split), missing shard sets (naming the `--shard k/N` to run), or shards
/// listed twice or in the wrong set. Empty when the manifests make one whole run.
pub fn shard_set_problems(manifests: &[(String, Value)]) -> Vec<String> {
    let mut problems = Vec::new();
    let sharded: Vec<(u64, u64, &Value, &str)> = manifests
        .iter()
        .filter_map(|(name, m)| {
            let rest = name
                .strip_prefix("manifest-shard-")?
                .strip_suffix(".json")?;
            let (k, n) = rest.split_once("-of-")?;
            Some((k.parse().ok()?, n.parse().ok()?, m, name.as_str()))
        })
        .collect();
    if sharded.is_empty() {
        return problems;
    }
    if manifests.iter().any(|(n, _)| n == "manifest.json") {
        problems.push(
            "manifest.json (a run made without --shard) lies beside manifest-shard-*.json files: \
             the folder mixes two runs"
                .into(),
        );
    }
    let (_, n0, m0, name0) = sharded[0];
    let identity = |m: &Value| {
        format!(
            "recipe {} seed {} count {} ({})",
            m["recipe_hash"].as_str().unwrap_or("?"),
            m["seed"],
            m["count"],
            m["tool"].as_str().unwrap_or("?")
        )
    };
    for &(_, n, m, name) in &sharded[1..] {
        if n != n0 {
            problems.push(format!(
                "{name} belongs to a run split into {n} shard sets, {name0} to one split into {n0}"
            ));
        } else if identity(m) != identity(m0) {
            problems.push(format!(
                "{name} is {}, but {name0} is {}: the shard sets come from different runs",
                identity(m),
                identity(m0)
            ));
        }
    }
    let present: BTreeSet<u64> = sharded.iter().filter(|s| s.1 == n0).map(|s| s.0).collect();
    let missing: Vec<String> = (0..n0)
        .filter(|k| !present.contains(k))
        .map(|k| format!("manifest-shard-{k}-of-{n0}.json (run --shard {k}/{n0})"))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "incomplete shard set: {} of {n0} shard sets present; missing {}",
            present.len(),
            missing.join(", ")
        ));
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for &(k, n, m, name) in &sharded {
        for shard in m["shards"].as_array().into_iter().flatten() {
            let shard_name = shard["name"].as_str().unwrap_or_default().to_string();
            let index = shard_name.get(..6).and_then(|d| d.parse::<u64>().ok());
            if index.is_some_and(|j| n > 0 && j % n != k) {
                problems.push(format!(
                    "{name} lists {shard_name}, which belongs to another shard set"
                ));
            }
            if !seen.insert(shard_name.clone()) {
                problems.push(format!("{shard_name} is listed by more than one manifest"));
            }
        }
    }
    problems
}

/// The output format a shard's name implies (journals do not record the format).
fn format_of_shard(name: &str) -> &'static str {
    if name.ends_with(".tar") {
        "webdataset"
    } else if name.trim_end_matches('/').ends_with(".lmdb") {
        "lmdb"
    } else {
        "imagefolder"
    }
}

fn check_shard(
    dir: &Path,
    format: &str,
    info: &ShardInfo,
    fonts: &FontCache,
    stats: Option<DatasetStats>,
    pick: Option<&BTreeSet<u64>>,
) -> VerifyReport {
    let mut r = VerifyReport {
        stats,
        ..VerifyReport::default()
    };
    let path = dir.join(info.name.trim_end_matches('/'));
    let chosen = Chosen(pick);
    let outcome = match format {
        "webdataset" => check_tar(&path, info, fonts, chosen, &mut r),
        "imagefolder" => check_chunk(&path, info, fonts, chosen, &mut r),
        "lmdb" => check_lmdb(&path, info, fonts, chosen, &mut r),
        other => {
            r.problem(format!("{}: unknown format {other:?}", info.name));
            Ok(())
        }
    };
    if let Err(e) = outcome {
        r.problem(format!("{}: {e:#}", info.name));
    }
    r
}

fn check_sums(info: &ShardInfo, bytes: u64, sha: &str, r: &mut VerifyReport) {
    if bytes != info.bytes {
        r.problem(format!(
            "{}: {bytes} bytes, the manifest says {}",
            info.name, info.bytes
        ));
    }
    if sha != info.sha256 {
        r.problem(format!("{}: checksum differs from the manifest", info.name));
    }
}

fn count_records(info: &ShardInfo, records: u64, r: &mut VerifyReport) {
    if records != info.records {
        r.problem(format!(
            "{}: {records} records, the manifest says {}",
            info.name, info.records
        ));
    }
    r.records += records;
}

/// One record's members, gathered by key.
#[derive(Default)]
struct Record {
    key: String,
    image: Option<(String, Vec<u8>)>,
    caption: Option<String>,
    meta: Option<Vec<u8>>,
    /// Condition rasters: (member suffix such as `glyph.png`, bytes).
    conditions: Vec<(String, Vec<u8>)>,
}

/// The records of a shard to re-check, by position: all, or a fast-mode sample.
#[derive(Clone, Copy)]
struct Chosen<'a>(Option<&'a BTreeSet<u64>>);

impl Chosen<'_> {
    fn has(&self, position: u64) -> bool {
        self.0.is_none_or(|p| p.contains(&position))
    }
}

/// Reads through to its inner reader, hashing and counting what passes: a shard's checksum
/// from the same read that parses it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Member suffixes of condition rasters (see `conditions.rs`).
const CONDITION_MEMBERS: [&str; 3] = ["glyph.png", "mask.png", "charseg.png"];

fn check_tar(
    path: &Path,
    info: &ShardInfo,
    fonts: &FontCache,
    chosen: Chosen,
    r: &mut VerifyReport,
) -> Result<()> {
    let mut archive = tar::Archive::new(HashingReader {
        inner: BufReader::with_capacity(1 << 20, File::open(path).context("cannot open")?),
        hasher: Sha256::new(),
        bytes: 0,
    });
    let mut records = 0u64;
    let parsed = (|| -> Result<()> {
        let mut current = Record::default();
        // Whether the record being gathered is re-checked (its members are read).
        let mut checked = false;
        for entry in archive.entries().context("not a tar file")? {
            let mut entry = entry.context("damaged tar entry")?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).to_string();
            if name.contains('/') || name.starts_with('.') {
                r.problem(format!(
                    "{}: member {name:?} is not a plain file name",
                    info.name
                ));
                continue;
            }
            // WebDataset's key is the name up to the first dot of the base name.
            let (key, ext) = name.split_once('.').unwrap_or((&name, ""));
            if key != current.key {
                if !current.key.is_empty() {
                    records += 1;
                    let done = std::mem::take(&mut current);
                    if checked {
                        check_record(&info.name, done, fonts, r);
                    }
                }
                current.key = key.to_string();
                checked = chosen.has(records);
            }
            let known =
                matches!(ext, "jpg" | "png" | "txt" | "json") || CONDITION_MEMBERS.contains(&ext);
            if !known {
                r.problem(format!("{}: unexpected member {key}.{ext}", info.name));
            }
            if !checked || !known {
                continue; // the tar reader skips the data (reading it: the checksum sees it)
            }
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .with_context(|| format!("cannot read member {name}"))?;
            match ext {
                "jpg" | "png" => current.image = Some((ext.to_string(), data)),
                "txt" => current.caption = Some(String::from_utf8_lossy(&data).to_string()),
                "json" => current.meta = Some(data),
                c => current.conditions.push((c.to_string(), data)),
            }
        }
        if !current.key.is_empty() {
            records += 1;
            if checked {
                check_record(&info.name, current, fonts, r);
            }
        }
        Ok(())
    })();
    // The end-of-archive blocks (and anything after them) count for the checksum too.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).context("cannot read")?;
    check_sums(info, rest.bytes, &hex(&rest.hasher.finalize()), r);
    parsed?;
    count_records(info, records, r);
    Ok(())
}

/// An LMDB shard: `data.mdb` against the manifest, then every record (key from its metadata).
fn check_lmdb(
    path: &Path,
    info: &ShardInfo,
    fonts: &FontCache,
    chosen: Chosen,
    r: &mut VerifyReport,
) -> Result<()> {
    let data_path = path.join("data.mdb");
    let data = std::fs::read(&data_path).context("cannot read data.mdb")?;
    check_sums(info, data.len() as u64, &hex(&Sha256::digest(&data)), r);
    drop(data);
    // SAFETY: read-only and without a lock file; nothing writes a finished shard.
    let env = unsafe {
        heed::EnvOpenOptions::new()
            .flags(heed::EnvFlags::READ_ONLY | heed::EnvFlags::NO_LOCK)
            .max_dbs(1)
            .open(path)
    }
    .context("not an LMDB environment")?;
    let txn = env.read_txn()?;
    let db: heed::Database<heed::types::Bytes, heed::types::Bytes> = env
        .open_database(&txn, None)?
        .context("no database in the environment")?;
    let get = |k: &str| -> Result<Option<Vec<u8>>> {
        Ok(db.get(&txn, k.as_bytes())?.map(<[u8]>::to_vec))
    };
    let n: u64 = get("num-samples")?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .context("no readable num-samples")?;
    for i in 1..=n {
        if !chosen.has(i - 1) {
            continue;
        }
        let meta = get(&format!("meta-{i:09}"))?;
        let key = meta
            .as_deref()
            .and_then(|m| serde_json::from_slice::<Value>(m).ok())
            .and_then(|m| m["key"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("#{i}"));
        let image = get(&format!("image-{i:09}"))?.map(|d| {
            let ext = if d.starts_with(&[0xFF, 0xD8]) {
                "jpg"
            } else {
                "png"
            };
            (ext.to_string(), d)
        });
        let record = Record {
            key,
            image,
            caption: get(&format!("label-{i:09}"))?
                .map(|l| String::from_utf8_lossy(&l).to_string()),
            meta,
            conditions: Vec::new(),
        };
        check_record(&info.name, record, fonts, r);
    }
    drop(txn);
    env.prepare_for_closing().wait();
    count_records(info, n, r);
    Ok(())
}

fn check_chunk(
    path: &Path,
    info: &ShardInfo,
    fonts: &FontCache,
    chosen: Chosen,
    r: &mut VerifyReport,
) -> Result<()> {
    // The chunk's files, and those of its sample folders as `KEY/NAME` (TextDiffuser-2), in
    // name order, as the writer hashed them.
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(path)
        .context("cannot read the chunk folder")?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().to_string();
        if e.path().is_dir() {
            for f in std::fs::read_dir(e.path())
                .with_context(|| format!("cannot read {name}/"))?
                .flatten()
            {
                files.push((
                    format!("{name}/{}", f.file_name().to_string_lossy()),
                    f.path(),
                ));
            }
        } else {
            files.push((name, e.path()));
        }
    }
    files.sort();
    let mut hasher = ChunkHasher::default();
    let mut contents: HashMap<String, Vec<u8>> = HashMap::new();
    for (name, p) in &files {
        let data = std::fs::read(p).with_context(|| format!("cannot read {name}"))?;
        hasher.add(name, &data);
        contents.insert(name.clone(), data);
    }
    let bytes = hasher.bytes;
    check_sums(info, bytes, &hasher.finish(), r);
    contents.remove(crate::schemas::TD2_ALPHABET);
    // TextDiffuser-2 sample folders: the same image, an integer box per word.
    // GlyphControl hints: one JPEG of the image's size per sample image.
    let hints: Vec<String> = contents
        .keys()
        .filter(|n| n.starts_with(&format!("{}/", crate::schemas::GC_HINT_DIR)))
        .cloned()
        .collect();
    for name in hints {
        let data = contents.remove(&name).unwrap_or_default();
        let key = name
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".jpg");
        // Sizes from the headers: the image itself is decoded once, with its record.
        let size = |bytes: &[u8]| {
            image::ImageReader::new(std::io::Cursor::new(bytes))
                .with_guessed_format()
                .ok()
                .and_then(|r| r.into_dimensions().ok())
        };
        let image = contents.get(&format!("{key}.jpg")).and_then(|i| size(i));
        let same_size = image.is_some() && size(&data) == image;
        if !same_size {
            r.problem(format!(
                "{}{name}: not a JPEG hint of the size of {key}.jpg",
                info.name
            ));
        }
    }
    let folders: Vec<String> = contents
        .keys()
        .filter_map(|n| n.split_once('/').map(|(k, _)| k.to_string()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for key in folders {
        let at = format!("{}{key}/", info.name);
        let copy = contents.remove(&format!("{key}/image.jpg"));
        if copy.is_none() || copy.as_ref() != contents.get(&format!("{key}.jpg")) {
            r.problem(format!("{at}image.jpg: not the sample's image {key}.jpg"));
        }
        match contents.remove(&format!("{key}/ocr.txt")) {
            Some(ocr) => {
                let ok = std::str::from_utf8(&ocr).is_ok_and(|t| {
                    t.lines().all(|l| {
                        let fields: Vec<&str> = l.split_whitespace().collect();
                        fields.len() == 3
                            && fields[1].split(',').count() == 8
                            && fields[1].split(',').all(|v| v.parse::<u32>().is_ok())
                    })
                });
                if !ok {
                    r.problem(format!(
                        "{at}ocr.txt: rows must be `WORD x1,y1,…,y4 PROB` in integers"
                    ));
                }
            }
            None => r.problem(format!("{at}ocr.txt: missing")),
        }
        if contents.remove(&format!("{key}/caption.txt")).is_none() {
            r.problem(format!("{at}caption.txt: missing"));
        }
    }

    let metadata = contents
        .remove("metadata.jsonl")
        .context("no metadata.jsonl")?;
    let mut records = 0u64;
    for (no, line) in metadata.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        records += 1;
        let Ok(row) = serde_json::from_slice::<Value>(line) else {
            r.problem(format!("{}metadata.jsonl:{}: not JSON", info.name, no + 1));
            continue;
        };
        let file_name = row["file_name"].as_str().unwrap_or_default().to_string();
        let (key, ext) = file_name.split_once('.').unwrap_or((&file_name, ""));
        let mut conditions = Vec::new();
        for suffix in CONDITION_MEMBERS {
            let column = format!("{}_file", suffix.split('.').next().unwrap_or(suffix));
            if let Some(name) = row[column.as_str()].as_str() {
                match contents.remove(name) {
                    Some(d) => conditions.push((suffix.to_string(), d)),
                    None => r.problem(format!("{}{name}: listed but missing", info.name)),
                }
            }
        }
        let record = Record {
            key: key.to_string(),
            image: contents.remove(&file_name).map(|d| (ext.to_string(), d)),
            caption: row["text"].as_str().map(str::to_string),
            meta: Some(line.to_vec()),
            conditions,
        };
        if chosen.has(records - 1) {
            check_record(&info.name, record, fonts, r);
        }
    }
    for file in crate::schemas::LABEL_FILES {
        let Some(data) = contents.remove(file) else {
            continue;
        };
        // One row per record: lines, `data_list` entries for AnyText's JSON, `data` entries
        // for GlyphControl's, array entries for Glyph-ByT5's.
        let rows = if file.ends_with(".json") {
            serde_json::from_slice::<Value>(&data).ok().and_then(|v| {
                v["data_list"]
                    .as_array()
                    .or(v["data"].as_array())
                    .or(v.as_array())
                    .map(|l| l.len() as u64)
            })
        } else {
            std::str::from_utf8(&data)
                .ok()
                .map(|t| t.lines().count() as u64)
        };
        if rows != Some(records) {
            r.problem(format!(
                "{}{file}: {rows:?} rows for {records} records",
                info.name
            ));
        }
    }
    if let Some(data) = contents.remove(crate::schemas::BYT5_FONT_IDX) {
        if serde_json::from_slice::<Value>(&data).map_or(true, |v| !v.is_object()) {
            r.problem(format!(
                "{}{}: not a JSON object",
                info.name,
                crate::schemas::BYT5_FONT_IDX
            ));
        }
    }
    for name in contents.keys() {
        r.problem(format!("{}{name}: not listed in metadata.jsonl", info.name));
    }
    count_records(info, records, r);
    Ok(())
}

/// Image/label consistency of one record.
fn check_record(shard: &str, rec: Record, fonts: &FontCache, r: &mut VerifyReport) {
    r.records_checked += 1;
    let at = format!("{shard} {}", rec.key);
    let Some((ext, image)) = rec.image else {
        return r.problem(format!("{at}: no image"));
    };
    let Some(caption) = rec.caption else {
        return r.problem(format!("{at}: no caption"));
    };
    let Some(meta) = rec
        .meta
        .and_then(|m| serde_json::from_slice::<Value>(&m).ok())
    else {
        return r.problem(format!("{at}: no readable metadata"));
    };
    let (w, h) = match decoded_size(&image) {
        Ok(size) => size,
        Err(e) => return r.problem(format!("{at}.{ext}: does not decode ({e})")),
    };
    for (suffix, data) in &rec.conditions {
        match image::load_from_memory(data) {
            Err(e) => r.problem(format!("{at}.{suffix}: does not decode ({e})")),
            Ok(c) if (c.width(), c.height()) != (w, h) => r.problem(format!(
                "{at}.{suffix}: {}×{}, the image is {w}×{h}",
                c.width(),
                c.height()
            )),
            Ok(c) if suffix == "charseg.png" => {
                let table = meta["charseg_table"].as_array().map_or(0, Vec::len);
                let max = c.to_luma16().pixels().map(|p| p.0[0]).max().unwrap_or(0);
                // 8-bit maps decode scaled to 16 bits (v · 257).
                let max = if c.color() == image::ColorType::L8 {
                    max / 257
                } else {
                    max
                };
                if usize::from(max) > table {
                    r.problem(format!(
                        "{at}.{suffix}: index {max} past the {table}-entry charseg_table"
                    ));
                }
            }
            Ok(_) => {}
        }
    }
    if let Some(s) = r.stats.as_mut() {
        s.observe(&meta);
    }
    if meta["key"] != rec.key.as_str() {
        r.problem(format!("{at}: metadata key is {}", meta["key"]));
    }
    if meta["width"] != w || meta["height"] != h {
        r.problem(format!(
            "{at}: image is {w}×{h}, metadata says {}×{}",
            meta["width"], meta["height"]
        ));
    }
    // Scenes caption their lines; a line crop's caption is its transcription.
    let expected = meta.get("caption").or_else(|| meta.get("text"));
    if expected.and_then(Value::as_str) != Some(caption.as_str()) {
        r.problem(format!("{at}: caption differs from the metadata"));
    }
    let inside = |p: &Value| {
        let (x, y) = (p[0].as_f64(), p[1].as_f64());
        matches!((x, y), (Some(x), Some(y))
            if (-0.5..=f64::from(w) + 0.5).contains(&x) && (-0.5..=f64::from(h) + 0.5).contains(&y))
    };
    let mut check_line = |text: &str, chars: &[Value], font: &Value, points: Vec<&Value>| {
        if points.iter().any(|p| !inside(p)) {
            r.problem(format!(
                "{at}: a quad of line {text:?} leaves the {w}×{h} image"
            ));
        }
        let labelled: String = chars.iter().filter_map(|c| c["char"].as_str()).collect();
        let visible: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if labelled
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            != visible
        {
            r.problem(format!(
                "{at}: character labels {labelled:?} do not spell {text:?}"
            ));
        }
        let file = font["file"].as_str().unwrap_or_default();
        let index = font["index"].as_u64().unwrap_or(0) as u32;
        match fonts.coverage(file, index) {
            Some(cov) => {
                if let Some(c) = visible.chars().find(|c| !cov.has(*c)) {
                    r.problem(format!("{at}: {c:?} is not in its font {file}#{index}"));
                }
            }
            None => r.fonts_unchecked += 1,
        }
    };
    let empty = Vec::new();
    if let Some(lines) = meta["lines"].as_array() {
        for line in lines {
            let chars = line["chars"].as_array().unwrap_or(&empty);
            let mut points: Vec<&Value> =
                line["quad"].as_array().unwrap_or(&empty).iter().collect();
            for c in chars {
                points.extend(c["quad"].as_array().unwrap_or(&empty));
            }
            check_line(
                line["text"].as_str().unwrap_or_default(),
                chars,
                &line["font"],
                points,
            );
        }
    } else {
        // A line crop: character boxes `[x0, y0, x1, y1]` in crop pixels.
        let chars = meta["chars"].as_array().unwrap_or(&empty);
        let corners: Vec<Value> = chars
            .iter()
            .flat_map(|c| {
                let b = &c["box"];
                [
                    serde_json::json!([b[0], b[1]]),
                    serde_json::json!([b[2], b[3]]),
                ]
            })
            .collect();
        check_line(
            meta["text"].as_str().unwrap_or_default(),
            chars,
            &meta["font"],
            corners.iter().collect(),
        );
    }
}

/// Decodes an image (with size limits: a label must never make us allocate without bound).
fn decoded_size(bytes: &[u8]) -> Result<(u32, u32)> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(1 << 15);
    limits.max_image_height = Some(1 << 15);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let img = reader.decode()?;
    Ok((img.width(), img.height()))
}
