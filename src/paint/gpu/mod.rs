//! The GPU painter (cargo feature `gpu`): wgpu on Vulkan, WGSL compute kernels that repeat the
//! CPU painter's integer arithmetic (`paint.wgsl`), so that both painters give the same
//! pictures — bit for bit except where a layer is projective (f32 there, within one level).
//!
//! What runs where:
//! - background: every kind on the GPU — crops of the pool's decoded photos and textures (each
//!   image uploaded once per [`Gpu`] when first drawn), solid colours, gradients (one f32
//!   addition per pixel, then ramp thresholds), integer value noise and paper, from the tables
//!   the CPU painter computes; only photos decoded when drawn (user photos past the memory
//!   budget) are painted on the CPU and uploaded;
//! - layers (warp + blend, solid and gradient paints), the affine camera, colour jitter,
//!   vignette, gaussian and motion blur and noise: on the GPU;
//! - JPEG re-compression (always last), a projective camera and anything after either: on the
//!   CPU after readback, in plan order.
//!
//! Many samples go in one submission ([`GpuPainter::paint_batch`]).

mod prepare;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};
use image::RgbImage;
use wgpu::util::DeviceExt;

use super::{CpuPainter, Painter};
use crate::background::BackgroundPlan;
use crate::effects::warp_image;
use crate::plan::Plan;
use crate::scene::{Context, StageTimes};
use prepare::{rgb_bytes, Background, Job, Kernel, PASS_STRIDE};

/// What the user reads when no adapter is found.
pub const NO_ADAPTER: &str = "no GPU adapter found (Vulkan); install a Vulkan driver (e.g. \
    apt-get install mesa-vulkan-drivers libvulkan1) or use --device cpu";

/// A wgpu device with the painter's pipelines; shared by every [`GpuPainter`] of a run.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    layout: wgpu::BindGroupLayout,
    pipelines: Vec<(Kernel, wgpu::ComputePipeline)>,
    /// Background pool images uploaded so far, by the address of their pixels (`Arc::as_ptr`):
    /// the `Weak` keeps that address from being reused while the entry lives, so a key never
    /// names another image, even with several pools over the `Gpu`'s life (tests, benches).
    images: Mutex<HashMap<usize, (Weak<RgbImage>, wgpu::Buffer)>>,
    /// Bound as `image` by jobs that sample none.
    no_image: wgpu::Buffer,
    /// "gpu: NAME (DRIVER INFO)", as the manifest records it.
    description: String,
    /// Nanoseconds per timestamp tick, when the adapter can time kernels.
    timestamp_period: Option<f32>,
}

/// Runs a future that wgpu resolves on native backends without an executor.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

impl Gpu {
    /// Opens the first Vulkan adapter, headless. The error says what to install.
    pub fn new() -> Result<Gpu> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::VULKAN;
        let instance = wgpu::Instance::new(desc);
        let adapter = block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|_| anyhow!(NO_ADAPTER))?;
        let info = adapter.get_info();
        let have = adapter.limits();
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: have.max_storage_buffer_binding_size,
            max_buffer_size: have.max_buffer_size,
            ..wgpu::Limits::default()
        };
        let (device, queue) = block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("hanzi-synth painter"),
            required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
            required_limits: limits,
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .with_context(|| format!("cannot open the GPU adapter {}", info.name))?;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("paint.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("paint.wgsl").into()),
        });
        let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("paint"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: wgpu::BufferSize::new(32),
                    },
                    count: None,
                },
                storage(1, true),
                storage(2, true),
                storage(3, false),
                storage(4, false),
                storage(5, false),
                storage(6, true),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("paint"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipelines = Kernel::ALL
            .iter()
            .map(|&k| {
                let p = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(k.entry()),
                    layout: Some(&pipeline_layout),
                    module: &module,
                    entry_point: Some(k.entry()),
                    compilation_options: Default::default(),
                    cache: None,
                });
                (k, p)
            })
            .collect();
        let driver = if info.driver_info.is_empty() {
            info.driver.clone()
        } else {
            info.driver_info.clone()
        };
        let no_image = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("no image"),
            size: 4,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let timestamp_period = (device.features().contains(wgpu::Features::TIMESTAMP_QUERY))
            .then(|| queue.get_timestamp_period());
        Ok(Gpu {
            device,
            queue,
            layout,
            pipelines,
            images: Mutex::new(HashMap::new()),
            no_image,
            timestamp_period,
            description: if driver.is_empty() {
                format!("gpu: {}", info.name)
            } else {
                format!("gpu: {} ({driver})", info.name)
            },
        })
    }

    /// "gpu: NAME (DRIVER)", for the manifest and messages.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether `img` fits in one storage buffer (else its crops are painted on the CPU).
    fn can_hold(&self, img: &RgbImage) -> bool {
        let limits = self.device.limits();
        let max = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        rgb_bytes(img.width(), img.height()) <= max
    }

    /// `img`'s pixels on the GPU, uploaded on first use and kept; stale entries (their pool
    /// dropped) are freed when a new image is uploaded.
    fn image_buffer(&self, img: &Arc<RgbImage>) -> wgpu::Buffer {
        let mut images = self.images.lock().unwrap_or_else(|e| e.into_inner());
        let key = Arc::as_ptr(img) as usize;
        if let Some((_, buf)) = images.get(&key) {
            return buf.clone();
        }
        images.retain(|_, (pool, _)| pool.strong_count() > 0);
        let buf = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("background image"),
                contents: img.as_raw(),
                usage: wgpu::BufferUsages::STORAGE,
            });
        images.insert(key, (Arc::downgrade(img), buf.clone()));
        buf
    }

    fn pipeline(&self, k: Kernel) -> &wgpu::ComputePipeline {
        &self
            .pipelines
            .iter()
            .find(|(p, _)| *p == k)
            .expect("every kernel")
            .1
    }
}

/// Wall time per phase of the GPU path, summed over the samples painted.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuTimes {
    /// Painting backgrounds the planner did not paint, of kinds the GPU does not paint (CPU).
    pub background: Duration,
    /// Tables and parameters from the plans, and the whole of the CPU fallbacks (CPU).
    pub prepare: Duration,
    /// Buffers created and filled, commands recorded (CPU + driver).
    pub upload: Duration,
    /// Submission to completion of the kernels and the copy back (GPU).
    pub gpu: Duration,
    /// Mapped buffers copied into images (CPU).
    pub readback: Duration,
    /// Effects left to the CPU after readback (JPEG re-compression, a projective camera).
    pub cpu_tail: Duration,
    pub samples: u64,
    /// Plans painted by the CPU painter instead (a canvas or coordinates beyond the kernels').
    pub cpu_fallbacks: u64,
    /// Backgrounds painted by the GPU (every kind but photos decoded when drawn).
    pub gpu_backgrounds: u64,
    /// GPU time per kernel (in [`Kernel::ALL`]'s order), measured by timestamp queries when
    /// [`GpuPainter::profile`] is set and the adapter has them.
    kernels: [Duration; Kernel::ALL.len()],
    /// Whether `kernels` was measured.
    pub kernels_timed: bool,
}

impl GpuTimes {
    pub fn add(&mut self, o: &GpuTimes) {
        self.background += o.background;
        self.prepare += o.prepare;
        self.upload += o.upload;
        self.gpu += o.gpu;
        self.readback += o.readback;
        self.cpu_tail += o.cpu_tail;
        self.samples += o.samples;
        self.cpu_fallbacks += o.cpu_fallbacks;
        self.gpu_backgrounds += o.gpu_backgrounds;
        for (k, d) in self.kernels.iter_mut().zip(o.kernels) {
            *k += d;
        }
        self.kernels_timed |= o.kernels_timed;
    }

    /// GPU time per kernel that ran: (entry point, time), in pipeline order.
    pub fn kernel_times(&self) -> impl Iterator<Item = (&'static str, Duration)> + '_ {
        Kernel::ALL
            .iter()
            .zip(self.kernels)
            .filter(|(_, d)| !d.is_zero())
            .map(|(k, d)| (k.entry(), d))
    }
}

/// Paints plans on a [`Gpu`].
pub struct GpuPainter {
    gpu: Arc<Gpu>,
    pub times: GpuTimes,
    /// Time every kernel on the GPU (`bench`): each dispatch gets its own compute pass with
    /// timestamps, which costs a little, so runs that only paint leave it off.
    pub profile: bool,
}

impl GpuPainter {
    pub fn new(gpu: Arc<Gpu>) -> GpuPainter {
        GpuPainter {
            gpu,
            times: GpuTimes::default(),
            profile: false,
        }
    }

    /// Paints `items` (a plan and, when the planner painted it, its background) in one
    /// submission; the pictures come back in order. A background of a kind the GPU paints is
    /// painted there even when given (same bytes; nothing to upload).
    pub fn paint_batch(
        &mut self,
        ctx: &Context,
        items: Vec<(&Plan, Option<RgbImage>)>,
        times: &mut StageTimes,
    ) -> Result<Vec<RgbImage>> {
        let n = items.len();
        let mut out: Vec<Option<RgbImage>> = (0..n).map(|_| None).collect();
        let mut jobs: Vec<(usize, Job)> = Vec::with_capacity(n);
        for (i, (plan, mut given)) in items.into_iter().enumerate() {
            let (w, h) = (plan.width, plan.height);
            let t = Instant::now();
            let crop = ctx
                .backgrounds
                .crop_source(&plan.background, w, h)
                .filter(|(source, ..)| self.gpu.can_hold(source));
            let procedural = crate::background::procedural(&plan.background, w, h);
            let (mut painted, mut bg_dt) = (None, Duration::ZERO);
            let background = if let Some((source, xs, ys)) = &crop {
                Background::Crop { source, xs, ys }
            } else if let BackgroundPlan::Solid { color } = plan.background {
                Background::Solid(color)
            } else if let Some(p) = &procedural {
                Background::Procedural(p)
            } else {
                let t = Instant::now();
                let bg = match given.take() {
                    Some(bg) => bg,
                    None => ctx.backgrounds.paint(&plan.background, w, h)?,
                };
                bg_dt = t.elapsed();
                self.times.background += bg_dt;
                times.background += bg_dt;
                Background::Pixels(painted.insert(bg))
            };
            let on_gpu = !matches!(background, Background::Pixels(_));
            let job = prepare::prepare(plan, background);
            let dt = t.elapsed() - bg_dt;
            times.composite += dt;
            match job {
                Ok(job) => {
                    self.times.gpu_backgrounds += u64::from(on_gpu);
                    jobs.push((i, job));
                }
                Err(prepare::NotOnGpu) => {
                    self.times.cpu_fallbacks += 1;
                    out[i] = Some(CpuPainter.paint(ctx, plan, painted.or(given), times)?);
                }
            }
            self.times.prepare += t.elapsed() - bg_dt;
        }
        self.times.samples += n as u64;
        if !jobs.is_empty() {
            let t = Instant::now();
            let images = self.run(&jobs)?;
            times.composite += t.elapsed();
            let t = Instant::now();
            for ((i, job), mut img) in jobs.iter().zip(images) {
                if let Some(h_cam) = &job.cpu_camera {
                    img = warp_image(&img, h_cam);
                }
                for e in &job.cpu_effects {
                    e.apply(&mut img);
                }
                out[*i] = Some(img);
            }
            self.times.cpu_tail += t.elapsed();
            times.effects += t.elapsed();
        }
        Ok(out
            .into_iter()
            .map(|o| o.expect("every sample painted"))
            .collect())
    }

    /// Uploads, runs and reads back `jobs` in one submission.
    fn run(&mut self, jobs: &[(usize, Job)]) -> Result<Vec<RgbImage>> {
        let gpu = &*self.gpu;
        let dev = &gpu.device;
        let t = Instant::now();
        let mut encoder = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("paint batch"),
        });
        let mut readbacks = Vec::with_capacity(jobs.len());
        // Two timestamps per dispatch when profiling (within wgpu's per-set maximum).
        let dispatches: usize = jobs.iter().map(|(_, j)| j.passes.len()).sum();
        let queries = (self.profile && 2 * dispatches <= wgpu::QUERY_SET_MAX_QUERIES as usize)
            .then_some(self.gpu.timestamp_period)
            .flatten()
            .map(|period| {
                let set = dev.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("kernel times"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2 * dispatches as u32,
                });
                (set, period)
            });
        // The kernel of each timed dispatch, in query order.
        let mut timed: Vec<Kernel> = Vec::new();
        // Kept alive until the submission is done.
        let mut keep = Vec::new();
        for (_, job) in jobs {
            let init = |label, contents: &[u8], usage| {
                dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage,
                })
            };
            let rgb_size = rgb_bytes(job.width, job.height);
            let rgb_usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
            let rgb = match &job.upload {
                Some(bytes) => init("rgb", bytes, rgb_usage),
                None => dev.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("rgb"),
                    size: rgb_size,
                    usage: rgb_usage,
                    mapped_at_creation: false,
                }),
            };
            let image = match &job.source {
                Some(img) => gpu.image_buffer(img),
                None => gpu.no_image.clone(),
            };
            let tab = init(
                "tab",
                bytemuck::cast_slice(&job.tab),
                wgpu::BufferUsages::STORAGE,
            );
            let planes = init("planes", &job.planes, wgpu::BufferUsages::STORAGE);
            let mut uniform = vec![0u8; job.passes.len() * PASS_STRIDE as usize];
            for (p, pass) in job.passes.iter().enumerate() {
                for (k, v) in pass.params.iter().enumerate() {
                    let at = p * PASS_STRIDE as usize + 4 * k;
                    uniform[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            let uniform = init("passes", &uniform, wgpu::BufferUsages::UNIFORM);
            let canvas_size = u64::from(job.width) * u64::from(job.height) * 4;
            let canvas = |label| {
                dev.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: canvas_size,
                    usage: wgpu::BufferUsages::STORAGE,
                    mapped_at_creation: false,
                })
            };
            let (a, b) = (canvas("canvas a"), canvas("canvas b"));
            let readback = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size: rgb_size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let group = |src: &wgpu::Buffer, dst: &wgpu::Buffer| {
                dev.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("paint"),
                    layout: &gpu.layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &uniform,
                                offset: 0,
                                size: wgpu::BufferSize::new(32),
                            }),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: tab.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: planes.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 3,
                            resource: src.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 4,
                            resource: dst.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 5,
                            resource: rgb.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 6,
                            resource: image.as_entire_binding(),
                        },
                    ],
                })
            };
            let groups = [group(&a, &b), group(&b, &a)];
            if let Some((set, _)) = &queries {
                // One pass per dispatch, timed at its start and end.
                let mut cur = 0;
                for (p, rec) in job.passes.iter().enumerate() {
                    if rec.groups.0 == 0 || rec.groups.1 == 0 {
                        continue;
                    }
                    let q = 2 * timed.len() as u32;
                    timed.push(rec.kernel);
                    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some(rec.kernel.entry()),
                        timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                            query_set: set,
                            beginning_of_pass_write_index: Some(q),
                            end_of_pass_write_index: Some(q + 1),
                        }),
                    });
                    pass.set_pipeline(gpu.pipeline(rec.kernel));
                    pass.set_bind_group(0, &groups[cur], &[(p as u64 * PASS_STRIDE) as u32]);
                    pass.dispatch_workgroups(rec.groups.0, rec.groups.1, 1);
                    if rec.kernel.swaps() {
                        cur = 1 - cur;
                    }
                }
            } else {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("paint"),
                    timestamp_writes: None,
                });
                let mut cur = 0;
                for (p, rec) in job.passes.iter().enumerate() {
                    if rec.groups.0 == 0 || rec.groups.1 == 0 {
                        continue;
                    }
                    pass.set_pipeline(gpu.pipeline(rec.kernel));
                    pass.set_bind_group(0, &groups[cur], &[(p as u64 * PASS_STRIDE) as u32]);
                    pass.dispatch_workgroups(rec.groups.0, rec.groups.1, 1);
                    if rec.kernel.swaps() {
                        cur = 1 - cur;
                    }
                }
            }
            encoder.copy_buffer_to_buffer(&rgb, 0, &readback, 0, rgb_size);
            readbacks.push(readback);
            keep.push((rgb, image, tab, planes, uniform, a, b, groups));
        }
        // Timestamps resolved and copied where the CPU can read them, after the kernels.
        let stamps = queries
            .as_ref()
            .filter(|_| !timed.is_empty())
            .map(|(set, period)| {
                let n = 2 * timed.len() as u32;
                let size = u64::from(n) * 8;
                let resolve = dev.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("timestamps"),
                    size,
                    usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                });
                let read = dev.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("timestamps readback"),
                    size,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                encoder.resolve_query_set(set, 0..n, &resolve, 0);
                encoder.copy_buffer_to_buffer(&resolve, 0, &read, 0, size);
                (resolve, read, *period)
            });
        self.times.upload += t.elapsed();
        let t = Instant::now();
        gpu.queue.submit([encoder.finish()]);
        if let Some((_, read, _)) = &stamps {
            read.slice(..).map_async(wgpu::MapMode::Read, |r| {
                r.expect("mapping the timestamps");
            });
        }
        for rb in &readbacks {
            rb.slice(..).map_async(wgpu::MapMode::Read, |r| {
                r.expect("mapping a readback buffer");
            });
        }
        dev.poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| anyhow!("the GPU did not finish: {e}"))?;
        self.times.gpu += t.elapsed();
        if let Some((_, read, period)) = &stamps {
            let view = read
                .slice(..)
                .get_mapped_range()
                .map_err(|e| anyhow!("cannot read the GPU's timestamps: {e}"))?;
            for (k, pair) in timed.iter().zip(view.chunks_exact(16)) {
                let at = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
                let ticks = at(&pair[8..]).saturating_sub(at(&pair[..8]));
                let slot = Kernel::ALL.iter().position(|x| x == k).expect("a kernel");
                self.times.kernels[slot] +=
                    Duration::from_nanos((ticks as f64 * f64::from(*period)) as u64);
            }
            self.times.kernels_timed = true;
            drop(view);
            read.unmap();
        }
        let t = Instant::now();
        let mut images = Vec::with_capacity(jobs.len());
        for ((_, job), rb) in jobs.iter().zip(&readbacks) {
            let view = rb
                .slice(..)
                .get_mapped_range()
                .map_err(|e| anyhow!("cannot read the GPU's picture: {e}"))?;
            let len = 3 * job.width as usize * job.height as usize;
            let img = RgbImage::from_raw(job.width, job.height, view[..len].to_vec())
                .expect("a whole picture");
            drop(view);
            rb.unmap();
            images.push(img);
        }
        self.times.readback += t.elapsed();
        drop(keep);
        Ok(images)
    }
}

impl Painter for GpuPainter {
    fn paint(
        &mut self,
        ctx: &Context,
        plan: &Plan,
        background: Option<RgbImage>,
        times: &mut StageTimes,
    ) -> Result<RgbImage> {
        Ok(self
            .paint_batch(ctx, vec![(plan, background)], times)?
            .pop()
            .expect("one picture"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Recipe;
    use crate::rng::Rng;
    use crate::scene::plan_sample;

    /// Photo and texture crops (both pools, mirrored or not, enlarged and shrunk, clamped at
    /// the source's edges, odd and one-pixel canvases), solid colours, gradients, noise and
    /// paper painted by the kernels are the CPU reference's bytes. Like tests/gpu.rs it fails,
    /// never skips, without an adapter (CI installs lavapipe).
    #[test]
    fn gpu_backgrounds_match_the_cpu_reference() {
        let gpu = Arc::new(Gpu::new().unwrap_or_else(|e| panic!("{e:#}")));
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/recipes/default.yaml");
        let ctx = Context::new(Recipe::load(std::path::Path::new(path)).unwrap()).unwrap();
        let textures = crate::background::BUNDLED_IMAGES
            .iter()
            .filter(|b| b.is_texture())
            .count();
        let photos = ctx.backgrounds.photo_count();
        let mut backgrounds = Vec::new();
        for (w, h) in [(97, 61), (1, 1), (1, 37), (53, 1), (256, 192)] {
            for (k, scale) in [0.07, 0.5, 1.0, 1.37, 6.3, 40.0].into_iter().enumerate() {
                for mirror in [false, true] {
                    let texture = (k + usize::from(mirror)) % 2 == 0;
                    let index = (3 * k + 5 * usize::from(mirror)) % photos.min(textures);
                    // Inside the image, then past its far edges (every index clamped).
                    for (x0, y0) in [(0.0, 0.0), (13.7, 2.25), (1e5, 1e5)] {
                        let plan = BackgroundPlan::Image {
                            texture,
                            index,
                            scale,
                            x0,
                            y0,
                            mirror,
                            cover_to: (w, h),
                        };
                        backgrounds.push((w, h, plan));
                    }
                }
            }
            // As the planner draws them (every kind, the pool's own crops).
            for seed in 0..12 {
                let (plan, _) = ctx.backgrounds.plan(w, h, &mut Rng::new(seed));
                backgrounds.push((w, h, plan));
            }
            let color = [w as u8, 200, h as u8];
            backgrounds.push((w, h, BackgroundPlan::Solid { color }));
            let gradient = BackgroundPlan::LinearGradient {
                from: [250, 12, 90],
                to: [3, 200, 140],
                angle: 0.7,
            };
            backgrounds.push((w, h, gradient));
            let (fw, fh) = (f64::from(w), f64::from(h));
            for (k, radius) in [0.5, 3.0, 170.0].into_iter().enumerate() {
                let radial = BackgroundPlan::RadialGradient {
                    from: [10, 240, 30],
                    to: [200, 20, 250],
                    centre: (fw * 0.3 * k as f64, fh * 0.7),
                    radius,
                };
                backgrounds.push((w, h, radial));
            }
            for (seed, cell) in [(1u64, 24.0), (2, 3.3), (3, 160.0)] {
                let noise = BackgroundPlan::Noise {
                    from: [0, 0, 0],
                    to: [255, 128, 7],
                    seed,
                    cell,
                };
                backgrounds.push((w, h, noise));
            }
            for (seed, base) in [(4u64, [246, 242, 232]), (5, [3, 250, 128])] {
                let paper = BackgroundPlan::Paper {
                    base,
                    seed,
                    blotch: 17.0,
                    grain: 8.5,
                };
                backgrounds.push((w, h, paper));
            }
        }
        // Plans that paint their background only: a sample's plan stripped of everything else.
        let template = plan_sample(&ctx, 0, &mut StageTimes::default()).unwrap();
        let plans: Vec<Plan> = backgrounds
            .iter()
            .map(|(w, h, background)| Plan {
                width: *w,
                height: *h,
                background: background.clone(),
                planes: Vec::new(),
                layers: Vec::new(),
                camera: None,
                effects: Vec::new(),
                meta: template.meta.clone(),
                blocks: Vec::new(),
            })
            .collect();
        let cpu: Vec<RgbImage> = plans
            .iter()
            .map(|p| {
                ctx.backgrounds
                    .paint(&p.background, p.width, p.height)
                    .unwrap()
            })
            .collect();
        // Every kind of the bundled pool (its images are held decoded) is painted there.
        let expected_on_gpu = plans.len() as u64;
        let mut painter = GpuPainter::new(gpu);
        let times = &mut StageTimes::default();
        // From the plans alone, then with the CPU's pictures given (ignored where the GPU
        // paints): the second batch samples the images uploaded by the first.
        let bare = painter
            .paint_batch(&ctx, plans.iter().map(|p| (p, None)).collect(), times)
            .unwrap();
        // The second batch also times its kernels (one pass per dispatch): same bytes.
        painter.profile = true;
        let given = painter
            .paint_batch(
                &ctx,
                plans
                    .iter()
                    .zip(&cpu)
                    .map(|(p, c)| (p, Some(c.clone())))
                    .collect(),
                times,
            )
            .unwrap();
        for (((plan, c), b), g) in plans.iter().zip(&cpu).zip(&bare).zip(&given) {
            let what = format!("{}×{} {:?}", plan.width, plan.height, plan.background);
            assert!(c == b, "{what}: the GPU's background differs");
            assert!(
                c == g,
                "{what}: the GPU's background differs (given the CPU's)"
            );
        }
        if painter.gpu.timestamp_period.is_some() {
            assert!(painter.times.kernels_timed);
            let names: Vec<&str> = painter.times.kernel_times().map(|(k, _)| k).collect();
            for k in ["fill", "crop", "gradient", "value_noise", "paper", "pack"] {
                assert!(names.contains(&k), "{k} not timed: {names:?}");
            }
        }
        assert_eq!(painter.times.cpu_fallbacks, 0);
        assert_eq!(painter.times.gpu_backgrounds, 2 * expected_on_gpu);
        assert!(expected_on_gpu > 150, "{expected_on_gpu}");

        // Under layers, a camera and effects (whose tables follow the crop's in `tab`): the
        // pictures the CPU's background uploaded gives.
        for i in 0..4u64 {
            let mut plan = plan_sample(&ctx, i, &mut StageTimes::default()).unwrap();
            assert!(!plan.layers.is_empty());
            plan.background = BackgroundPlan::Image {
                texture: i % 2 == 0,
                index: i as usize,
                scale: 1.3,
                x0: 3.5,
                y0: 7.25,
                mirror: i % 3 == 1,
                cover_to: (plan.width, plan.height),
            };
            let (w, h) = (plan.width, plan.height);
            let uploaded = ctx.backgrounds.paint(&plan.background, w, h).unwrap();
            let (source, xs, ys) = ctx.backgrounds.crop_source(&plan.background, w, h).unwrap();
            let crop = Background::Crop {
                source,
                xs: &xs,
                ys: &ys,
            };
            let jobs = [
                (0, prepare::prepare(&plan, crop).unwrap()),
                (
                    1,
                    prepare::prepare(&plan, Background::Pixels(&uploaded)).unwrap(),
                ),
            ];
            let pictures = painter.run(&jobs).unwrap();
            assert!(pictures[0] == pictures[1], "sample {i}");
        }
    }
}
