//! Sinks: where encoded samples go. Output formats sit behind the [`Sink`] trait.
//!
//! Both formats group samples into shards of `samples_per_shard` consecutive indices, so a
//! `--shard k/N` run writes exactly the shards `j` with `j % N == k` of the single-machine run,
//! byte for byte. A shard is written under a temporary name (`NNNNNN.tar.tmp`, `NNNNNN.tmp/`),
//! synced to disk and renamed only when complete: a reader never sees half a shard, and a killed
//! run leaves nothing that looks finished. The checksum is computed while writing, so finishing
//! a shard costs no second read.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
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
    /// Further members of the sample: (suffix after `KEY.`, bytes), e.g. condition rasters
    /// (`glyph.png`).
    pub extras: Vec<(&'static str, Vec<u8>)>,
    /// Rows for the chunk's annotation files (`output.labels`, imagefolder only).
    pub labels: Vec<crate::schemas::LabelRow>,
    /// Files of a folder of the sample's own, `KEY/NAME` (TextDiffuser-2's sample folders;
    /// imagefolder only), in name order.
    pub folder: Vec<(&'static str, Vec<u8>)>,
    /// Files in a folder the chunk's samples share, `DIR/NAME` (GlyphControl's hints; imagefolder
    /// only): kept until the chunk closes, since they sort after the chunk's label files.
    pub shared: Vec<(String, Vec<u8>)>,
}

/// A completed shard, for the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub name: String,
    /// Records in the shard: samples for scenes, lines for line crops.
    pub records: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// An output format. The writer opens a shard, writes its samples in index order, then
/// closes it (commit) or discards it (interrupted or failed run).
pub trait Sink: Send {
    fn open_shard(&mut self, shard: u64) -> Result<()>;
    fn write(&mut self, sample: &EncodedSample) -> Result<()>;
    /// Makes the open shard visible under its final name and describes it.
    fn close_shard(&mut self) -> Result<ShardInfo>;
    /// Removes the open shard's temporary files (best effort: this runs on error paths).
    fn discard(&mut self);
    /// Ends the output after its last shard (a stream's end-of-archive marker).
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The name of shard `shard` in a format: `000012.tar` or `000012/`.
pub fn shard_name(format: crate::recipe::OutputFormat, shard: u64) -> String {
    match format {
        crate::recipe::OutputFormat::Webdataset => format!("{shard:06}.tar"),
        crate::recipe::OutputFormat::Imagefolder => format!("{shard:06}/"),
        crate::recipe::OutputFormat::Lmdb => format!("{shard:06}.lmdb/"),
    }
}

/// A member name must stay inside its shard: plain file names only.
fn check_member_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.len() > 100
    {
        bail!("refusing to write a member named {name:?}: it could escape its shard");
    }
    Ok(())
}

/// Syncs a file's data to disk.
fn sync_file(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", path.display()))
}

/// Syncs a folder entry list, so a rename into it survives a crash.
pub fn sync_dir(dir: &Path) {
    // Not every platform lets a folder be opened for syncing; the rename is still atomic.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Counts and hashes what passes through, so a shard's checksum needs no read-back.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

// ---------------------------------------------------------------------------------------------
// WebDataset
// ---------------------------------------------------------------------------------------------

type TarWriter = tar::Builder<HashingWriter<BufWriter<File>>>;

/// `NNNNNN.tar` shards with `KEY.jpg`, `KEY.txt` (caption) and `KEY.json` (metadata) members.
/// Headers are fixed (mtime 0, mode 644, uid/gid 0) so shards are byte-reproducible. The
/// checksum is the SHA-256 of the tar file.
pub struct WebDatasetSink {
    dir: PathBuf,
    open: Option<(u64, u64, TarWriter)>,
}

impl WebDatasetSink {
    pub fn new(dir: &Path) -> WebDatasetSink {
        WebDatasetSink {
            dir: dir.to_path_buf(),
            open: None,
        }
    }

    fn paths(&self, shard: u64) -> (PathBuf, PathBuf) {
        let name = format!("{shard:06}.tar");
        (self.dir.join(format!("{name}.tmp")), self.dir.join(name))
    }
}

fn append<W: Write>(builder: &mut tar::Builder<W>, name: &str, data: &[u8]) -> Result<()> {
    check_member_name(name)?;
    let mut header = tar::Header::new_ustar();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, name, data)?;
    Ok(())
}

/// Appends one sample's members (`KEY.jpg`, `KEY.txt`, `KEY.json`) to a tar stream.
pub fn append_sample<W: Write>(builder: &mut tar::Builder<W>, s: &EncodedSample) -> Result<()> {
    append(builder, &format!("{}.{}", s.key, s.image_ext), &s.image)?;
    append(builder, &format!("{}.txt", s.key), s.caption.as_bytes())?;
    append(builder, &format!("{}.json", s.key), s.meta_json.as_bytes())?;
    for (suffix, data) in &s.extras {
        append(builder, &format!("{}.{suffix}", s.key), data)?;
    }
    Ok(())
}

impl Sink for WebDatasetSink {
    fn open_shard(&mut self, shard: u64) -> Result<()> {
        let (tmp, _) = self.paths(shard);
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut builder = tar::Builder::new(HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
        });
        builder.mode(tar::HeaderMode::Deterministic);
        self.open = Some((shard, 0, builder));
        Ok(())
    }

    fn write(&mut self, s: &EncodedSample) -> Result<()> {
        let (shard, count, builder) = self.open.as_mut().context("no open shard")?;
        let tmp = self.dir.join(format!("{:06}.tar.tmp", *shard));
        append_sample(builder, s).with_context(|| format!("cannot write {}", tmp.display()))?;
        *count += 1;
        Ok(())
    }

    fn close_shard(&mut self) -> Result<ShardInfo> {
        let (shard, samples, builder) = self.open.take().context("no open shard")?;
        let (tmp, dst) = self.paths(shard);
        let finish = || -> io::Result<HashingWriter<BufWriter<File>>> {
            let mut w = builder.into_inner()?;
            w.flush()?;
            Ok(w)
        };
        let w = match finish() {
            Ok(w) => w,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
            }
        };
        let (bytes, sha256) = (w.bytes, hex(&w.hasher.finalize()));
        sync_file(&tmp)?;
        fs::rename(&tmp, &dst)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), dst.display()))?;
        sync_dir(&self.dir);
        Ok(ShardInfo {
            name: format!("{shard:06}.tar"),
            records: samples,
            bytes,
            sha256,
        })
    }

    fn discard(&mut self) {
        if let Some((shard, _, builder)) = self.open.take() {
            drop(builder);
            let _ = fs::remove_file(self.paths(shard).0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One WebDataset tar stream (`generate -o -`)
// ---------------------------------------------------------------------------------------------

/// Every sample, in index order, as one tar stream on stdout: the members and bytes of the
/// shard files a folder run writes, concatenated without their end-of-archive blocks, then
/// one end-of-archive (two zero blocks). Each sample is built in memory by a fresh builder
/// (tar headers do not depend on what came before) and its end blocks cut off; the end marker
/// is written only by [`Sink::finish`], so a stream cut short by a signal or an error never
/// looks complete to a reader.
pub struct StreamSink<W: Write + Send> {
    out: W,
    open: Option<(u64, u64, u64)>,
}

/// The two zero blocks that end a tar archive.
const TAR_END: usize = 1024;

impl<W: Write + Send> StreamSink<W> {
    pub fn new(out: W) -> StreamSink<W> {
        StreamSink { out, open: None }
    }
}

/// What a write to the stream failing means for the user.
fn stream_error(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        anyhow::anyhow!("cannot write to stdout: the reading side of the pipe closed")
    } else {
        anyhow::anyhow!("cannot write to stdout: {e}")
    }
}

impl<W: Write + Send> Sink for StreamSink<W> {
    fn open_shard(&mut self, shard: u64) -> Result<()> {
        self.open = Some((shard, 0, 0));
        Ok(())
    }

    fn write(&mut self, s: &EncodedSample) -> Result<()> {
        let (_, records, bytes) = self.open.as_mut().context("no open shard")?;
        let mut builder = tar::Builder::new(Vec::new());
        builder.mode(tar::HeaderMode::Deterministic);
        append_sample(&mut builder, s)?;
        let mut data = builder.into_inner()?;
        data.truncate(data.len() - TAR_END);
        self.out.write_all(&data).map_err(stream_error)?;
        *records += 1;
        *bytes += data.len() as u64;
        Ok(())
    }

    fn close_shard(&mut self) -> Result<ShardInfo> {
        let (shard, records, bytes) = self.open.take().context("no open shard")?;
        self.out.flush().map_err(stream_error)?;
        Ok(ShardInfo {
            name: format!("{shard:06}.tar"),
            records,
            // What the shard file would hold; its checksum is not computed for a stream.
            bytes: bytes + TAR_END as u64,
            sha256: String::new(),
        })
    }

    fn discard(&mut self) {
        self.open = None;
        let _ = self.out.flush();
    }

    fn finish(&mut self) -> Result<()> {
        self.out.write_all(&[0; TAR_END]).map_err(stream_error)?;
        self.out.flush().map_err(stream_error)
    }
}

// ---------------------------------------------------------------------------------------------
// Hugging Face imagefolder
// ---------------------------------------------------------------------------------------------

/// The checksum of an imagefolder chunk: SHA-256 over its files in name order, each as
/// `name NUL size(u64 LE) bytes`. Shared by the sink (while writing) and `verify`.
#[derive(Default)]
pub struct ChunkHasher {
    hasher: Sha256,
    pub bytes: u64,
}

impl ChunkHasher {
    pub fn add(&mut self, name: &str, data: &[u8]) {
        self.hasher.update(name.as_bytes());
        self.hasher.update([0]);
        self.hasher.update((data.len() as u64).to_le_bytes());
        self.hasher.update(data);
        self.bytes += data.len() as u64;
    }
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

struct OpenChunk {
    shard: u64,
    samples: u64,
    /// Rows of the chunk's annotation files, by file name.
    labels: std::collections::BTreeMap<&'static str, Vec<String>>,
    metadata: Vec<u8>,
    /// `EncodedSample::shared` files of the chunk so far.
    shared: Vec<(String, Vec<u8>)>,
    hasher: ChunkHasher,
}

/// Chunk folders `NNNNNN/` holding the images and a `metadata.jsonl` whose rows carry
/// `file_name`, `text` (the caption) and the full metadata. `datasets.load_dataset("imagefolder",
/// data_dir=OUT)` reads every chunk's metadata relative to its own folder. A chunk is built in
/// `NNNNNN.tmp/` and renamed when complete.
pub struct ImageFolderSink {
    dir: PathBuf,
    /// What the trainers' label files need beyond their rows.
    labels: crate::schemas::ChunkContext,
    open: Option<OpenChunk>,
}

impl ImageFolderSink {
    pub fn new(dir: &Path, labels: crate::schemas::ChunkContext) -> ImageFolderSink {
        ImageFolderSink {
            dir: dir.to_path_buf(),
            labels,
            open: None,
        }
    }

    fn paths(&self, shard: u64) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{shard:06}.tmp")),
            self.dir.join(format!("{shard:06}")),
        )
    }
}

/// A metadata row: `file_name` and `text` first, then the sample's metadata fields.
fn metadata_row(s: &EncodedSample, file_name: &str) -> Result<String> {
    let mut row = serde_json::Map::new();
    row.insert("file_name".into(), file_name.into());
    row.insert("text".into(), s.caption.clone().into());
    // Extra files as `<name>_file` columns (`glyph_file`: KEY.glyph.png). Not `*_file_name`:
    // datasets (4.x) then hands the main `file_name` image to the first extra column.
    for (suffix, _) in &s.extras {
        let name = suffix.split('.').next().unwrap_or(suffix);
        row.insert(format!("{name}_file"), format!("{}.{suffix}", s.key).into());
    }
    let meta: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&s.meta_json)?;
    row.extend(meta);
    Ok(serde_json::to_string(&row)?)
}

impl Sink for ImageFolderSink {
    fn open_shard(&mut self, shard: u64) -> Result<()> {
        let (tmp, _) = self.paths(shard);
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        self.open = Some(OpenChunk {
            shard,
            samples: 0,
            labels: Default::default(),
            metadata: Vec::new(),
            shared: Vec::new(),
            hasher: ChunkHasher::default(),
        });
        Ok(())
    }

    fn write(&mut self, s: &EncodedSample) -> Result<()> {
        let open = self.open.as_mut().context("no open shard")?;
        let tmp = self.dir.join(format!("{:06}.tmp", open.shard));
        let file_name = format!("{}.{}", s.key, s.image_ext);
        let mut files = vec![(file_name.clone(), &s.image)];
        files.extend(
            s.extras
                .iter()
                .map(|(suffix, d)| (format!("{}.{suffix}", s.key), d)),
        );
        // Keys increase within a chunk and sort before `metadata.jsonl`: writing each
        // sample's files in name order makes hashing in write order hashing in name order.
        files.sort();
        for (name, data) in files {
            check_member_name(&name)?;
            let path = tmp.join(&name);
            fs::write(&path, data).with_context(|| format!("cannot write {}", path.display()))?;
            open.hasher.add(&name, data);
        }
        for (name, data) in &s.shared {
            let (dir, file) = name.split_once('/').unwrap_or(("", name));
            check_member_name(dir)?;
            check_member_name(file)?;
            open.shared.push((name.clone(), data.clone()));
        }
        // `KEY/…` sorts after `KEY.…` ('/' follows '.') and before the next key.
        if !s.folder.is_empty() {
            check_member_name(&s.key)?;
            let dir = tmp.join(&s.key);
            fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            for (name, data) in &s.folder {
                check_member_name(name)?;
                let path = dir.join(name);
                fs::write(&path, data)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                open.hasher.add(&format!("{}/{name}", s.key), data);
            }
        }
        open.metadata
            .extend_from_slice(metadata_row(s, &file_name)?.as_bytes());
        open.metadata.push(b'\n');
        for l in &s.labels {
            open.labels.entry(l.file).or_default().push(l.row.clone());
        }
        open.samples += 1;
        Ok(())
    }

    fn close_shard(&mut self) -> Result<ShardInfo> {
        let mut open = self.open.take().context("no open shard")?;
        let (tmp, dst) = self.paths(open.shard);
        // The chunk's own files (metadata, annotation files) sort after its images (digits
        // sort first), so hashing them here in name order keeps the whole hash in name order.
        let chunk = format!("{:06}", open.shard);
        let mut last: Vec<(String, Vec<u8>)> = open
            .labels
            .iter()
            .map(|(f, rows)| {
                let data = crate::schemas::chunk_file(f, &chunk, &self.labels, rows);
                (f.to_string(), data)
            })
            .collect();
        if open.labels.contains_key("glyph_byt5.json") {
            last.push((
                crate::schemas::BYT5_FONT_IDX.into(),
                crate::schemas::byt5_font_idx(&self.labels),
            ));
        }
        last.push(("metadata.jsonl".into(), std::mem::take(&mut open.metadata)));
        last.sort();
        last.append(&mut open.shared);
        last.sort();
        for (name, data) in &last {
            let path = tmp.join(name);
            if let Some(dir) = path.parent().filter(|d| !d.exists()) {
                fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            fs::write(&path, data).with_context(|| format!("cannot write {}", path.display()))?;
            open.hasher.add(name, data);
        }
        sync_tree(&tmp)?;
        fs::rename(&tmp, &dst)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), dst.display()))?;
        sync_dir(&self.dir);
        let bytes = open.hasher.bytes;
        Ok(ShardInfo {
            name: format!("{:06}/", open.shard),
            records: open.samples,
            bytes,
            sha256: open.hasher.finish(),
        })
    }

    fn discard(&mut self) {
        if let Some(open) = self.open.take() {
            let _ = fs::remove_dir_all(self.paths(open.shard).0);
        }
    }
}

/// Syncs every file of a chunk folder and the folder itself. On Linux one `syncfs` does it
/// (a thousand per-file fsyncs would cost more than making the images).
fn sync_tree(dir: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let d = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
        // SAFETY: syncfs only reads the descriptor, which `d` keeps open for the call.
        if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error())
                .with_context(|| format!("cannot sync {}", dir.display()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for e in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
            sync_file(&e?.path())?;
        }
        sync_dir(dir);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// LMDB (OCR recognition layout)
// ---------------------------------------------------------------------------------------------

/// LMDB shards: `NNNNNN.lmdb/data.mdb` with 1-based `image-%09d`, `label-%09d`, `meta-%09d`
/// and `num-samples` — the layout of deep-text-recognition-benchmark and PaddleOCR's
/// `LMDBDataSet`. A shard's records are kept in memory and written in one transaction when it
/// closes (into `NNNNNN.lmdb.tmp/`, then renamed), so the file is complete or absent; the lock
/// file is removed (readers open with `lock=False`).
/// An open LMDB shard: number, key/value entries so far, records so far.
type OpenEnv = (u64, Vec<(String, Vec<u8>)>, u64);

pub struct LmdbSink {
    dir: PathBuf,
    open: Option<OpenEnv>,
}

impl LmdbSink {
    pub fn new(dir: &Path) -> LmdbSink {
        LmdbSink {
            dir: dir.to_path_buf(),
            open: None,
        }
    }

    fn paths(&self, shard: u64) -> (PathBuf, PathBuf) {
        let name = format!("{shard:06}.lmdb");
        (self.dir.join(format!("{name}.tmp")), self.dir.join(name))
    }
}

/// Writes `entries` as one LMDB environment in folder `path`.
fn write_lmdb(path: &Path, entries: &[(String, Vec<u8>)]) -> Result<()> {
    fs::create_dir_all(path)?;
    let payload: usize = entries.iter().map(|(k, v)| k.len() + v.len() + 64).sum();
    // Room for the data, its B-tree pages and overflow pages; whole 1 MiB steps.
    let map_size = (payload * 2 + (4 << 20)).div_ceil(1 << 20) << 20;
    // SAFETY: the folder is new and ours; nothing else maps it while we write.
    let env = unsafe {
        heed::EnvOpenOptions::new()
            .map_size(map_size)
            .max_dbs(1)
            .open(path)?
    };
    {
        let mut txn = env.write_txn()?;
        let db: heed::Database<heed::types::Bytes, heed::types::Bytes> =
            env.create_database(&mut txn, None)?;
        for (k, v) in entries {
            db.put(&mut txn, k.as_bytes(), v)?;
        }
        txn.commit()?;
    }
    env.force_sync()?;
    env.prepare_for_closing().wait();
    let _ = fs::remove_file(path.join("lock.mdb"));
    let data = path.join("data.mdb");
    // LMDB creates its file owner-only (0600); a dataset is for sharing, like every other file
    // we write (0644 under the usual umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&data, fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set permissions of {}", data.display()))?;
    }
    sync_file(&data)?;
    Ok(())
}

impl Sink for LmdbSink {
    fn open_shard(&mut self, shard: u64) -> Result<()> {
        let (tmp, _) = self.paths(shard);
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        self.open = Some((shard, Vec::new(), 0));
        Ok(())
    }

    fn write(&mut self, s: &EncodedSample) -> Result<()> {
        let (_, entries, count) = self.open.as_mut().context("no open shard")?;
        *count += 1;
        entries.push((format!("image-{:09}", *count), s.image.clone()));
        entries.push((
            format!("label-{:09}", *count),
            s.caption.clone().into_bytes(),
        ));
        entries.push((
            format!("meta-{:09}", *count),
            s.meta_json.clone().into_bytes(),
        ));
        Ok(())
    }

    fn close_shard(&mut self) -> Result<ShardInfo> {
        let (shard, mut entries, count) = self.open.take().context("no open shard")?;
        let (tmp, dst) = self.paths(shard);
        entries.push(("num-samples".into(), count.to_string().into_bytes()));
        if let Err(e) = write_lmdb(&tmp, &entries) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
        }
        let data = fs::read(tmp.join("data.mdb"))
            .with_context(|| format!("cannot read back {}", tmp.display()))?;
        fs::rename(&tmp, &dst)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), dst.display()))?;
        sync_dir(&self.dir);
        Ok(ShardInfo {
            name: format!("{shard:06}.lmdb/"),
            records: count,
            bytes: data.len() as u64,
            sha256: hex(&Sha256::digest(&data)),
        })
    }

    fn discard(&mut self) {
        if let Some((shard, _, _)) = self.open.take() {
            let _ = fs::remove_dir_all(self.paths(shard).0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn lmdb_files_are_readable_by_everyone_like_the_rest() {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("hanzi-synth-lmdb-mode-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        write_lmdb(&dir, &[("num-samples".into(), b"0".to_vec())]).unwrap();
        let mode = fs::metadata(dir.join("data.mdb"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{mode:o}");
        assert!(!dir.join("lock.mdb").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn member_names_cannot_leave_the_shard() {
        for bad in ["../x.jpg", "a/b.jpg", ".hidden", "", "x\0.jpg", "c:\\x.jpg"] {
            assert!(check_member_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_member_name("000000001.jpg").is_ok());
        assert!(check_member_name("000000001_002.json").is_ok());
    }

    #[test]
    fn chunk_checksum_depends_on_names_and_bytes() {
        let sum = |files: &[(&str, &[u8])]| {
            let mut h = ChunkHasher::default();
            for (n, d) in files {
                h.add(n, d);
            }
            h.finish()
        };
        let a = sum(&[("a.jpg", b"xy"), ("metadata.jsonl", b"{}")]);
        assert_eq!(a, sum(&[("a.jpg", b"xy"), ("metadata.jsonl", b"{}")]));
        assert_ne!(a, sum(&[("a.jpg", b"x"), ("metadata.jsonl", b"y{}")]));
        assert_ne!(a, sum(&[("b.jpg", b"xy"), ("metadata.jsonl", b"{}")]));
    }
}
