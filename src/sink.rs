//! Sinks: where encoded samples go. Output formats sit behind the [`Sink`] trait.
//!
//! Both formats group samples into shards of `samples_per_shard` consecutive indices, so a
//! `--shard k/N` run writes exactly the shards `j` with `j % N == k` of the single-machine run,
//! byte for byte. A shard is written under a temporary name and renamed when complete.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One encoded sample, ready to store.
pub struct EncodedSample {
    pub index: u64,
    pub key: String,
    pub image: Vec<u8>,
    pub image_ext: &'static str,
    pub caption: String,
    /// The sample's metadata as one line of JSON.
    pub meta_json: String,
}

/// A completed shard, for the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct ShardInfo {
    pub name: String,
    pub samples: u64,
    pub bytes: u64,
    pub sha256: String,
}

pub trait Sink: Send {
    /// Stores one sample; samples arrive in increasing index order.
    fn write(&mut self, sample: &EncodedSample) -> Result<()>;
    /// Completes the open shard and returns every shard written.
    fn finish(&mut self) -> Result<Vec<ShardInfo>>;
}

fn sha256_file(path: &Path) -> Result<String> {
    let bytes = fs::read(path).with_context(|| format!("cannot read back {}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Renames `tmp` to `dst` after syncing it to disk.
fn commit(tmp: &Path, dst: &Path) -> Result<()> {
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", tmp.display()))?;
    fs::rename(tmp, dst)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), dst.display()))
}

// ---------------------------------------------------------------------------------------------
// WebDataset
// ---------------------------------------------------------------------------------------------

/// `NNNNNN.tar` shards with `KEY.jpg`, `KEY.txt` (caption) and `KEY.json` (metadata) members.
/// Headers are fixed (mtime 0, mode 644, uid/gid 0) so shards are byte-reproducible.
pub struct WebDatasetSink {
    dir: PathBuf,
    per_shard: u64,
    open: Option<(u64, u64, tar::Builder<BufWriter<File>>)>,
    done: Vec<ShardInfo>,
}

impl WebDatasetSink {
    pub fn new(dir: &Path, per_shard: u32) -> WebDatasetSink {
        WebDatasetSink {
            dir: dir.to_path_buf(),
            per_shard: u64::from(per_shard),
            open: None,
            done: Vec::new(),
        }
    }

    fn shard_name(shard: u64) -> String {
        format!("{shard:06}.tar")
    }

    fn close_open(&mut self) -> Result<()> {
        if let Some((shard, samples, builder)) = self.open.take() {
            let name = Self::shard_name(shard);
            let tmp = self.dir.join(format!("{name}.tmp"));
            let mut inner = builder
                .into_inner()
                .with_context(|| format!("cannot finish {}", tmp.display()))?;
            inner
                .flush()
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            drop(inner);
            let dst = self.dir.join(&name);
            commit(&tmp, &dst)?;
            self.done.push(ShardInfo {
                name,
                samples,
                bytes: fs::metadata(&dst)?.len(),
                sha256: sha256_file(&dst)?,
            });
        }
        Ok(())
    }
}

fn append(
    builder: &mut tar::Builder<BufWriter<File>>,
    name: &str,
    data: &[u8],
) -> std::io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, name, data)
}

impl Sink for WebDatasetSink {
    fn write(&mut self, s: &EncodedSample) -> Result<()> {
        let shard = s.index / self.per_shard;
        if self.open.as_ref().is_some_and(|o| o.0 != shard) {
            self.close_open()?;
        }
        if self.open.is_none() {
            let tmp = self.dir.join(format!("{}.tmp", Self::shard_name(shard)));
            let file =
                File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut builder = tar::Builder::new(BufWriter::with_capacity(1 << 20, file));
            builder.mode(tar::HeaderMode::Deterministic);
            self.open = Some((shard, 0, builder));
        }
        let (shard, count, builder) = self.open.as_mut().expect("opened above");
        let tar_name = Self::shard_name(*shard);
        let ctx = || format!("cannot write to {}.tmp in {}", tar_name, self.dir.display());
        append(builder, &format!("{}.{}", s.key, s.image_ext), &s.image).with_context(ctx)?;
        append(builder, &format!("{}.txt", s.key), s.caption.as_bytes()).with_context(ctx)?;
        append(builder, &format!("{}.json", s.key), s.meta_json.as_bytes()).with_context(ctx)?;
        *count += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<Vec<ShardInfo>> {
        self.close_open()?;
        Ok(std::mem::take(&mut self.done))
    }
}

// ---------------------------------------------------------------------------------------------
// Hugging Face imagefolder
// ---------------------------------------------------------------------------------------------

/// Chunk folders `NNNNNN/` holding the images and a `metadata.jsonl` whose rows carry
/// `file_name`, `text` (the caption) and the full metadata. `datasets.load_dataset("imagefolder",
/// data_dir=OUT)` reads every chunk's metadata relative to its own folder.
pub struct ImageFolderSink {
    dir: PathBuf,
    per_shard: u64,
    open: Option<(u64, u64, BufWriter<File>)>,
    done: Vec<ShardInfo>,
}

impl ImageFolderSink {
    pub fn new(dir: &Path, per_shard: u32) -> ImageFolderSink {
        ImageFolderSink {
            dir: dir.to_path_buf(),
            per_shard: u64::from(per_shard),
            open: None,
            done: Vec::new(),
        }
    }

    fn chunk_dir(&self, shard: u64) -> PathBuf {
        self.dir.join(format!("{shard:06}"))
    }

    fn close_open(&mut self) -> Result<()> {
        if let Some((shard, samples, mut meta)) = self.open.take() {
            let chunk = self.chunk_dir(shard);
            meta.flush()
                .with_context(|| format!("cannot write {}", chunk.display()))?;
            drop(meta);
            let tmp = chunk.join("metadata.jsonl.tmp");
            let dst = chunk.join("metadata.jsonl");
            commit(&tmp, &dst)?;
            let mut hasher = Sha256::new();
            let mut bytes = 0;
            let mut names: Vec<PathBuf> =
                fs::read_dir(&chunk)?.flatten().map(|e| e.path()).collect();
            names.sort();
            for p in names {
                let data = fs::read(&p)?;
                bytes += data.len() as u64;
                hasher.update(p.file_name().unwrap_or_default().as_encoded_bytes());
                hasher.update(&data);
            }
            self.done.push(ShardInfo {
                name: format!("{shard:06}/"),
                samples,
                bytes,
                sha256: hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            });
        }
        Ok(())
    }
}

/// A metadata row: `file_name` and `text` first, then the sample's metadata fields.
fn metadata_row(s: &EncodedSample, file_name: &str) -> Result<String> {
    let mut row = serde_json::Map::new();
    row.insert("file_name".into(), file_name.into());
    row.insert("text".into(), s.caption.clone().into());
    let meta: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&s.meta_json)?;
    row.extend(meta);
    Ok(serde_json::to_string(&row)?)
}

impl Sink for ImageFolderSink {
    fn write(&mut self, s: &EncodedSample) -> Result<()> {
        let shard = s.index / self.per_shard;
        if self.open.as_ref().is_some_and(|o| o.0 != shard) {
            self.close_open()?;
        }
        if self.open.is_none() {
            let chunk = self.chunk_dir(shard);
            fs::create_dir_all(&chunk)
                .with_context(|| format!("cannot create {}", chunk.display()))?;
            let tmp = chunk.join("metadata.jsonl.tmp");
            let file =
                File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            self.open = Some((shard, 0, BufWriter::new(file)));
        }
        let chunk = self.chunk_dir(s.index / self.per_shard);
        let file_name = format!("{}.{}", s.key, s.image_ext);
        let path = chunk.join(&file_name);
        fs::write(&path, &s.image).with_context(|| format!("cannot write {}", path.display()))?;
        let row = metadata_row(s, &file_name)?;
        let (_, count, meta) = self.open.as_mut().expect("opened above");
        writeln!(meta, "{row}")
            .with_context(|| format!("cannot write metadata in {}", chunk.display()))?;
        *count += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<Vec<ShardInfo>> {
        self.close_open()?;
        Ok(std::mem::take(&mut self.done))
    }
}
