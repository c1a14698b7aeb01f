//! Training examples: straight from the generator (sample *i* is exactly the image `generate`
//! writes for index *i*, decoded; nothing touches the disk) or read from a written WebDataset or
//! imagefolder output. Batches from the generator are made on the rayon pool by a feeder thread,
//! a couple of batches ahead of the training step.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{bail, Context as _, Result};
use rayon::prelude::*;

use crate::encode::decode_jpeg;
use crate::generate::produce;
use crate::recipe::OutputMode;
use crate::scene::{Context, StageTimes};

/// One image and the text drawn in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Generator index (recipe source) or position in the folder (data source).
    pub index: u64,
    /// RGB bytes, row-major, `side × side`.
    pub rgb: Vec<u8>,
    pub side: usize,
    /// The drawn text, lines joined without separator.
    pub text: String,
}

/// The text of a sample from its metadata JSON (`lines[].text`).
pub fn text_of_metadata(meta: &serde_json::Value) -> Result<String> {
    let lines = meta
        .get("lines")
        .and_then(|l| l.as_array())
        .context("metadata has no \"lines\" list")?;
    Ok(lines
        .iter()
        .filter_map(|l| l.get("text").and_then(|t| t.as_str()))
        .collect::<Vec<_>>()
        .join(""))
}

fn decode_image(bytes: &[u8], name: &str) -> Result<(Vec<u8>, usize)> {
    let img = if bytes.starts_with(&[0xff, 0xd8]) {
        decode_jpeg(bytes)?
    } else {
        image::load_from_memory(bytes)
            .with_context(|| format!("cannot decode {name}"))?
            .to_rgb8()
    };
    if img.width() != img.height() {
        bail!(
            "{name} is {}x{}; the trainer takes square images (set canvas.width = canvas.height)",
            img.width(),
            img.height()
        );
    }
    Ok((img.as_raw().clone(), img.width() as usize))
}

/// Checks that a recipe can feed the trainer: scenes (not line crops), and no mixed-in digits or
/// Latin words (the character table is the corpus).
pub fn check_recipe(ctx: &Context) -> Result<()> {
    let r = &ctx.recipe;
    if r.output.mode != OutputMode::Scenes {
        bail!("the trainer reads scenes: set output.mode to scenes in the training recipe");
    }
    if r.corpus.digits.0 > 0.0 || r.corpus.latin.0 > 0.0 {
        bail!(
            "the trainer's character table is the recipe's corpus: set corpus.digits and \
             corpus.latin to 0 in the training recipe"
        );
    }
    if r.canvas.width.0 != r.canvas.height.0 || !r.canvas.buckets.0.is_empty() {
        bail!("the trainer takes square images: set canvas.width = canvas.height and no buckets");
    }
    Ok(())
}

/// Sample `index` of the recipe, as `generate` writes it, decoded.
pub fn example_from_generator(ctx: &Context, index: u64) -> Result<Example> {
    let (records, _) = produce(ctx, index, &mut StageTimes::default())?;
    let record = records
        .into_iter()
        .next()
        .with_context(|| format!("sample {index} produced no record"))?;
    let meta: serde_json::Value = serde_json::from_str(&record.meta_json)?;
    let (rgb, side) = decode_image(&record.image, &record.key)?;
    Ok(Example {
        index,
        rgb,
        side,
        text: text_of_metadata(&meta)?,
    })
}

/// Where training examples come from.
pub enum Source {
    /// The generator, in-process; indices wrap at the recipe's `count`.
    Recipe(Arc<Context>),
    /// A written dataset, loaded once.
    Folder(Vec<Example>),
}

impl Source {
    pub fn len(&self) -> u64 {
        match self {
            Source::Recipe(ctx) => ctx.recipe.count,
            Source::Folder(v) => v.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Examples `start .. start + n` (wrapping), made in parallel.
    pub fn batch(&self, start: u64, n: usize) -> Result<Vec<Example>> {
        let len = self.len().max(1);
        let indices: Vec<u64> = (0..n as u64).map(|k| (start + k) % len).collect();
        match self {
            Source::Recipe(ctx) => indices
                .par_iter()
                .map(|&i| example_from_generator(ctx, i))
                .collect(),
            Source::Folder(v) => Ok(indices.iter().map(|&i| v[i as usize].clone()).collect()),
        }
    }
}

/// Batches `first, first + 1, …` (batch k holds examples `k·size ..`), made by a feeder thread
/// two batches ahead of the consumer.
pub struct Feeder {
    rx: Receiver<Result<Vec<Example>>>,
    _thread: JoinHandle<()>,
}

impl Feeder {
    pub fn start(source: Arc<Source>, first_batch: u64, size: usize) -> Feeder {
        let (tx, rx) = sync_channel(2);
        let thread = std::thread::spawn(move || {
            let mut k = first_batch;
            loop {
                let b = source.batch(k * size as u64, size);
                let failed = b.is_err();
                if tx.send(b).is_err() || failed {
                    return;
                }
                k += 1;
            }
        });
        Feeder {
            rx,
            _thread: thread,
        }
    }

    pub fn next(&self) -> Result<Vec<Example>> {
        self.rx.recv().context("the training data feeder stopped")?
    }
}

/// Reads a written dataset: WebDataset shards (`*.tar`: `KEY.jpg`/`KEY.png` + `KEY.json`) or an
/// imagefolder output (`*/metadata.jsonl` next to the images), in name order.
pub fn read_folder(dir: &Path) -> Result<Vec<Example>> {
    let mut tars = Vec::new();
    let mut metas = Vec::new();
    collect_files(dir, &mut tars, &mut metas)?;
    tars.sort();
    metas.sort();
    let mut out = Vec::new();
    for t in &tars {
        read_tar(t, &mut out)?;
    }
    for m in &metas {
        read_imagefolder_chunk(m, &mut out)?;
    }
    if out.is_empty() {
        bail!(
            "{} holds no WebDataset shards (*.tar) or imagefolder chunks (metadata.jsonl); \
             write one with `hanzi-synth generate -r RECIPE -o {}`",
            dir.display(),
            dir.display()
        );
    }
    for (i, e) in out.iter_mut().enumerate() {
        e.index = i as u64;
    }
    Ok(out)
}

fn collect_files(dir: &Path, tars: &mut Vec<PathBuf>, metas: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for e in entries {
        let p = e?.path();
        if p.is_dir() {
            collect_files(&p, tars, metas)?;
        } else if p.extension().is_some_and(|x| x == "tar") {
            tars.push(p);
        } else if p.file_name().is_some_and(|n| n == "metadata.jsonl") {
            metas.push(p);
        }
    }
    Ok(())
}

fn read_tar(path: &Path, out: &mut Vec<Example>) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(file);
    let mut image: Option<(String, Vec<u8>)> = None;
    let mut meta: Option<(String, serde_json::Value)> = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let Some((key, ext)) = name.split_once('.') else {
            continue;
        };
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        match ext {
            "jpg" | "png" => image = Some((key.to_string(), bytes)),
            "json" => {
                let v = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{}: {name} is not JSON", path.display()))?;
                meta = Some((key.to_string(), v));
            }
            _ => {}
        }
        if let (Some((ik, _)), Some((mk, _))) = (&image, &meta) {
            if ik == mk {
                let (_, bytes) = image.take().expect("checked");
                let (_, m) = meta.take().expect("checked");
                let (rgb, side) = decode_image(&bytes, &format!("{}:{name}", path.display()))?;
                out.push(Example {
                    index: 0,
                    rgb,
                    side,
                    text: text_of_metadata(&m)?,
                });
            }
        }
    }
    Ok(())
}

fn read_imagefolder_chunk(path: &Path, out: &mut Vec<Example>) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for (no, line) in text.lines().enumerate() {
        let m: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", path.display(), no + 1))?;
        let file = m
            .get("file_name")
            .and_then(|f| f.as_str())
            .with_context(|| format!("{}:{}: no file_name", path.display(), no + 1))?;
        let img = dir.join(file);
        let bytes =
            std::fs::read(&img).with_context(|| format!("cannot read {}", img.display()))?;
        let (rgb, side) = decode_image(&bytes, &img.display().to_string())?;
        out.push(Example {
            index: 0,
            rgb,
            side,
            text: text_of_metadata(&m)?,
        });
    }
    Ok(())
}
