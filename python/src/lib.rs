//! `hanzi_synth._native`: the generator behind the `hanzi_synth` Python package.
//!
//! It loads a recipe exactly as the CLI does (same parser, same `--set` overrides, same errors)
//! and makes samples with the CLI's own [`produce`](hanzi_synth::generate::produce), so sample
//! *i* here is byte for byte the record `generate` writes for sample *i*. Rendering runs with
//! the GIL released; batches run on a rayon pool while finished samples are turned into Python
//! dicts and numpy arrays here. The pure-Python layer (`hanzi_synth/`) adds the documented API.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};
use rayon::prelude::*;

use hanzi_synth::generate::{guarded, produce_with_pixels};
use hanzi_synth::recipe::{OutputMode, Recipe, DEFAULT_RECIPE_YAML};
use hanzi_synth::scene::{Context, StageTimes};

pyo3::create_exception!(
    hanzi_synth,
    RecipeError,
    PyValueError,
    "A recipe or its inputs are invalid: the message is the CLI's (file, line and column)."
);

/// What `image` holds in a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ImageMode {
    /// The picture the stored bytes were encoded from (no decode, lossless).
    Pixels,
    /// The stored bytes decoded again: what a loader of the CLI's shards sees.
    Decoded,
    /// No array (bytes only, e.g. for GPU decoding).
    Skip,
}

/// A raster ready for numpy: raw bytes, height, width, channels, bytes per channel.
struct Raster {
    bytes: Vec<u8>,
    height: u32,
    width: u32,
    channels: u32,
    bytes_per_channel: u32,
}

/// One record made outside the GIL.
struct Made {
    key: String,
    index: u64,
    image: Option<Raster>,
    encoded: Vec<u8>,
    ext: &'static str,
    caption: String,
    meta_json: String,
    /// Members stored beside the image, as in the shard (`glyph.png`, …).
    extras: Vec<(&'static str, Vec<u8>)>,
    /// Those members decoded (`glyph`, `mask`, `charseg`).
    conditions: Vec<(String, Raster)>,
}

fn rgb_raster(img: image::RgbImage) -> Raster {
    Raster {
        height: img.height(),
        width: img.width(),
        channels: 3,
        bytes_per_channel: 1,
        bytes: img.into_raw(),
    }
}

/// Decodes a stored condition PNG (8-bit gray, or 16-bit for a large character table).
fn gray_raster(png: &[u8]) -> anyhow::Result<Raster> {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)?;
    let (width, height) = (img.width(), img.height());
    Ok(match img {
        image::DynamicImage::ImageLuma16(g) => Raster {
            bytes: g.into_raw().iter().flat_map(|v| v.to_ne_bytes()).collect(),
            height,
            width,
            channels: 1,
            bytes_per_channel: 2,
        },
        other => Raster {
            bytes: other.into_luma8().into_raw(),
            height,
            width,
            channels: 1,
            bytes_per_channel: 1,
        },
    })
}

/// Sample `index`, every record of it; a panic becomes an error naming the sample, as in the
/// CLI.
fn make(ctx: &Context, index: u64, mode: ImageMode) -> anyhow::Result<Vec<Made>> {
    let produced = guarded(index, || {
        produce_with_pixels(ctx, index, &mut StageTimes::default())
    });
    let (records, _, pixels) = produced?;
    records
        .into_iter()
        .zip(pixels)
        .map(|(r, px)| {
            let image = match mode {
                ImageMode::Pixels => Some(rgb_raster(px)),
                ImageMode::Decoded => Some(rgb_raster(
                    image::load_from_memory(&r.image)
                        .map_err(|e| anyhow::anyhow!("sample {index}: cannot decode: {e}"))?
                        .into_rgb8(),
                )),
                ImageMode::Skip => None,
            };
            let conditions = r
                .extras
                .iter()
                .filter_map(|(suffix, data)| {
                    let name = suffix.strip_suffix(".png")?;
                    Some(gray_raster(data).map(|g| (name.to_string(), g)))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(Made {
                key: r.key,
                index: r.index,
                image,
                encoded: r.image,
                ext: r.image_ext,
                caption: r.caption,
                meta_json: r.meta_json,
                extras: r.extras,
                conditions,
            })
        })
        .collect()
}

/// Python's `json.loads` and `numpy.frombuffer`, looked up once per generator.
struct PyHelpers {
    loads: Py<PyAny>,
    frombuffer: Py<PyAny>,
    uint8: Py<PyAny>,
    uint16: Py<PyAny>,
}

impl PyHelpers {
    fn new(py: Python<'_>) -> PyResult<Self> {
        let np = py.import("numpy")?;
        Ok(PyHelpers {
            loads: py.import("json")?.getattr("loads")?.unbind(),
            frombuffer: np.getattr("frombuffer")?.unbind(),
            uint8: np.getattr("uint8")?.unbind(),
            uint16: np.getattr("uint16")?.unbind(),
        })
    }

    /// A numpy array over a copy of the raster (a bytearray, so the array is writable, as
    /// `torch.from_numpy` wants).
    fn array<'py>(&self, py: Python<'py>, r: &Raster) -> PyResult<Bound<'py, PyAny>> {
        let dtype = if r.bytes_per_channel == 1 {
            &self.uint8
        } else {
            &self.uint16
        };
        let flat = self
            .frombuffer
            .bind(py)
            .call1((PyByteArray::new(py, &r.bytes), dtype.bind(py)))?;
        if r.channels == 1 {
            flat.call_method1("reshape", ((r.height, r.width),))
        } else {
            flat.call_method1("reshape", ((r.height, r.width, r.channels),))
        }
    }

    /// The record as the dict the package documents (see `hanzi_synth.Generator`).
    fn record<'py>(&self, py: Python<'py>, m: Made) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("key", m.key)?;
        d.set_item("index", m.index)?;
        match &m.image {
            Some(r) => d.set_item("image", self.array(py, r)?)?,
            None => d.set_item("image", py.None())?,
        }
        let name = if m.ext == "jpg" { "jpeg" } else { m.ext };
        d.set_item(name, PyBytes::new(py, &m.encoded))?;
        d.set_item("caption", m.caption)?;
        d.set_item("metadata", self.loads.bind(py).call1((&m.meta_json,))?)?;
        d.set_item("metadata_json", m.meta_json)?;
        if !m.extras.is_empty() {
            let extras = PyDict::new(py);
            for (suffix, data) in &m.extras {
                extras.set_item(*suffix, PyBytes::new(py, data))?;
            }
            d.set_item("extras", extras)?;
            for (name, r) in &m.conditions {
                d.set_item(name, self.array(py, r)?)?;
            }
        }
        Ok(d)
    }

    fn records<'py>(&self, py: Python<'py>, made: Vec<Made>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        made.into_iter().map(|m| self.record(py, m)).collect()
    }
}

fn recipe_error(e: anyhow::Error) -> PyErr {
    RecipeError::new_err(format!("{e:#}"))
}

fn sample_error(e: anyhow::Error) -> PyErr {
    PyRuntimeError::new_err(format!("{e:#}"))
}

/// Rayon pools by thread count, each tagged with the process that started it. A pool's
/// threads do not survive a fork (DataLoader workers): a forked child that finds its parent's
/// pool starts its own instead of queueing work no thread will run. Loading a recipe runs in
/// one of these too, never in rayon's global pool, for the same reason.
static POOLS: Mutex<Vec<(usize, u32, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());

fn pool(threads: usize) -> PyResult<Arc<rayon::ThreadPool>> {
    let pid = std::process::id();
    let mut pools = POOLS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, _, pool)) = pools.iter().find(|(t, p, _)| *t == threads && *p == pid) {
        return Ok(pool.clone());
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start threads: {e}")))?,
    );
    // A parent's pools: their threads are not in this process, so never tell them to stop (or
    // wait for them); just forget them.
    let (mut mine, stale): (Vec<_>, Vec<_>) = pools.drain(..).partition(|(_, p, _)| *p == pid);
    std::mem::forget(stale);
    mine.push((threads, pid, pool.clone()));
    *pools = mine;
    Ok(pool)
}

fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The generator for one recipe and seed: assets loaded once, samples made on demand.
#[pyclass(frozen, module = "hanzi_synth._native")]
struct Generator {
    ctx: Context,
    mode: ImageMode,
    helpers: PyHelpers,
}

#[pymethods]
impl Generator {
    /// `yaml` (recipe text, or None for the bundled default) or `path` (a recipe file); `sets`
    /// are the CLI's `--set path=value` strings; `seed` and `count` are `--seed` and `-n`.
    #[new]
    #[pyo3(signature = (yaml=None, path=None, origin=None, sets=Vec::new(), seed=None, count=None, image="pixels"))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        yaml: Option<String>,
        path: Option<String>,
        origin: Option<String>,
        sets: Vec<String>,
        seed: Option<u64>,
        count: Option<u64>,
        image: &str,
    ) -> PyResult<Self> {
        let mode = match image {
            "pixels" => ImageMode::Pixels,
            "decoded" => ImageMode::Decoded,
            "none" => ImageMode::Skip,
            other => {
                return Err(PyValueError::new_err(format!(
                    "image={other:?}: expected \"pixels\", \"decoded\" or None"
                )))
            }
        };
        let loader = pool(all_cores())?;
        let ctx = py.detach(|| -> anyhow::Result<Context> {
            let base = match (&yaml, &path) {
                (_, Some(p)) => Recipe::load(Path::new(p))?,
                (Some(text), None) => {
                    Recipe::from_yaml(text, origin.as_deref().unwrap_or("<string>"))?
                }
                (None, None) => Recipe::from_yaml(DEFAULT_RECIPE_YAML, "default recipe")?,
            };
            let mut r = base.with_overrides(&sets)?;
            if let Some(s) = seed {
                r.seed = s;
            }
            if let Some(n) = count {
                r.count = n;
                r.check().map_err(|e| e.context("count"))?;
            }
            loader.install(|| Context::new(r))
        });
        Ok(Generator {
            ctx: ctx.map_err(recipe_error)?,
            mode,
            helpers: PyHelpers::new(py)?,
        })
    }

    /// Samples in the recipe (`count`, or `-n`).
    #[getter]
    fn count(&self) -> u64 {
        self.ctx.recipe.count
    }

    #[getter]
    fn seed(&self) -> u64 {
        self.ctx.recipe.seed
    }

    /// The hash `generate` stores in every sample and the manifest.
    #[getter]
    fn recipe_hash(&self) -> String {
        self.ctx.recipe_hash.clone()
    }

    /// `scenes` (one record per sample), `line_crops` (one per text line) or `native_crops` (one
    /// line per sample).
    #[getter]
    fn mode(&self) -> &'static str {
        match self.ctx.recipe.output.mode {
            OutputMode::Scenes => "scenes",
            OutputMode::LineCrops => "line_crops",
            OutputMode::NativeCrops => "native_crops",
        }
    }

    /// The whole recipe after overrides, as JSON (what the manifest's `recipe` holds).
    #[getter]
    fn recipe_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.ctx.recipe).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// The records of sample `index` (dicts), made on this thread with the GIL released.
    fn records<'py>(&self, py: Python<'py>, index: u64) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let made = py
            .detach(|| make(&self.ctx, index, self.mode))
            .map_err(sample_error)?;
        self.helpers.records(py, made)
    }

    /// The records of many samples (one list of dicts per index, in order), made on a pool of
    /// `threads` threads without the GIL. Each sample is turned into Python objects as soon as
    /// it is made, on this thread, while the pool makes the next ones: no pause between
    /// making and handing over.
    fn batch<'py>(
        &self,
        py: Python<'py>,
        indices: Vec<u64>,
        threads: usize,
    ) -> PyResult<Vec<Vec<Bound<'py, PyDict>>>> {
        let pool = pool(threads.max(1))?;
        let stop = AtomicBool::new(false);
        let (ctx, mode) = (&self.ctx, self.mode);
        let mut out: Vec<Option<Vec<Bound<'py, PyDict>>>> =
            (0..indices.len()).map(|_| None).collect();
        std::thread::scope(|scope| -> PyResult<()> {
            let (tx, rx) = mpsc::channel::<(usize, anyhow::Result<Vec<Made>>)>();
            let (indices, stop) = (&indices, &stop);
            scope.spawn(move || {
                pool.install(|| {
                    indices
                        .par_iter()
                        .enumerate()
                        .for_each_with(tx, |tx, (pos, &i)| {
                            if !stop.load(Ordering::Relaxed) {
                                let _ = tx.send((pos, make(ctx, i, mode)));
                            }
                        })
                })
            });
            let mut rx = Some(rx);
            let mut failure = None;
            for _ in 0..indices.len() {
                let receiver = rx.take().expect("kept between iterations");
                let (receiver, next) = py.detach(move || {
                    let next = receiver.recv();
                    (receiver, next)
                });
                rx = Some(receiver);
                let Ok((pos, made)) = next else { break };
                // Ctrl-C stops a long batch here, between samples.
                match made
                    .map_err(sample_error)
                    .and_then(|m| self.helpers.records(py, m))
                    .and_then(|r| py.check_signals().map(|()| r))
                {
                    Ok(records) => out[pos] = Some(records),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            // Let the pool finish (skipping what is left) without holding the GIL.
            stop.store(true, Ordering::Relaxed);
            if let Some(receiver) = rx {
                py.detach(move || while receiver.recv().is_ok() {});
            }
            failure.map_or(Ok(()), Err)
        })?;
        out.into_iter()
            .map(|r| r.ok_or_else(|| PyRuntimeError::new_err("a sample was not made")))
            .collect()
    }
}

/// The tool version and JPEG encoder, as `hanzi-synth --version` prints them: byte-identical
/// output needs the same.
#[pyfunction]
fn version() -> &'static str {
    hanzi_synth::VERSION
}

#[pymodule]
mod _native {
    #[pymodule_export]
    use super::{version, Generator, RecipeError};
}
