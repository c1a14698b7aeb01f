//! The GPU painter (cargo feature `gpu`): wgpu on Vulkan, WGSL compute kernels that repeat the
//! CPU painter's integer arithmetic (`paint.wgsl`), so that both painters give the same
//! pictures — bit for bit except where a layer is projective (f32 there, within one level).
//!
//! What runs where, version 1:
//! - background: painted on the CPU (the planner has usually painted it already) and uploaded;
//!   procedural backgrounds in shaders are a later step;
//! - layers (warp + blend, solid and gradient paints), the affine camera, colour jitter,
//!   vignette, gaussian and motion blur and noise: on the GPU;
//! - JPEG re-compression (always last), a projective camera and anything after either: on the
//!   CPU after readback, in plan order.
//!
//! Many samples go in one submission ([`GpuPainter::paint_batch`]).

mod prepare;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};
use image::RgbImage;
use wgpu::util::DeviceExt;

use super::{CpuPainter, Painter};
use crate::effects::warp_image;
use crate::plan::Plan;
use crate::scene::{Context, StageTimes};
use prepare::{Job, Kernel, PASS_STRIDE};

/// What the user reads when no adapter is found.
pub const NO_ADAPTER: &str = "no GPU adapter found (Vulkan); install a Vulkan driver (e.g. \
    apt-get install mesa-vulkan-drivers libvulkan1) or use --device cpu";

/// A wgpu device with the painter's pipelines; shared by every [`GpuPainter`] of a run.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    layout: wgpu::BindGroupLayout,
    pipelines: Vec<(Kernel, wgpu::ComputePipeline)>,
    /// "gpu: NAME (DRIVER INFO)", as the manifest records it.
    description: String,
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
            required_features: wgpu::Features::empty(),
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
        Ok(Gpu {
            device,
            queue,
            layout,
            pipelines,
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
    /// Painting backgrounds the planner did not paint (CPU).
    pub background: Duration,
    /// Tables and parameters from the plans (CPU).
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
    }
}

/// Paints plans on a [`Gpu`].
pub struct GpuPainter {
    gpu: Arc<Gpu>,
    pub times: GpuTimes,
}

impl GpuPainter {
    pub fn new(gpu: Arc<Gpu>) -> GpuPainter {
        GpuPainter {
            gpu,
            times: GpuTimes::default(),
        }
    }

    /// Paints `items` (a plan and, when the planner painted it, its background) in one
    /// submission; the pictures come back in order.
    pub fn paint_batch(
        &mut self,
        ctx: &Context,
        items: Vec<(&Plan, Option<RgbImage>)>,
        times: &mut StageTimes,
    ) -> Result<Vec<RgbImage>> {
        let n = items.len();
        let mut out: Vec<Option<RgbImage>> = (0..n).map(|_| None).collect();
        let mut jobs: Vec<(usize, Job)> = Vec::with_capacity(n);
        for (i, (plan, background)) in items.into_iter().enumerate() {
            let t = Instant::now();
            let background = match background {
                Some(bg) => bg,
                None => ctx
                    .backgrounds
                    .paint(&plan.background, plan.width, plan.height)?,
            };
            let dt = t.elapsed();
            self.times.background += dt;
            times.background += dt;
            let t = Instant::now();
            match prepare::prepare(plan, &background) {
                Ok(job) => jobs.push((i, job)),
                Err(prepare::NotOnGpu) => {
                    self.times.cpu_fallbacks += 1;
                    out[i] = Some(CpuPainter.paint(ctx, plan, Some(background), times)?);
                }
            }
            self.times.prepare += t.elapsed();
            times.composite += t.elapsed();
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
            let rgb = init(
                "rgb",
                &job.rgb,
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            );
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
                size: job.rgb.len() as u64,
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
                    ],
                })
            };
            let groups = [group(&a, &b), group(&b, &a)];
            {
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
            encoder.copy_buffer_to_buffer(&rgb, 0, &readback, 0, job.rgb.len() as u64);
            readbacks.push(readback);
            keep.push((rgb, tab, planes, uniform, a, b, groups));
        }
        self.times.upload += t.elapsed();
        let t = Instant::now();
        gpu.queue.submit([encoder.finish()]);
        for rb in &readbacks {
            rb.slice(..).map_async(wgpu::MapMode::Read, |r| {
                r.expect("mapping a readback buffer");
            });
        }
        dev.poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| anyhow!("the GPU did not finish: {e}"))?;
        self.times.gpu += t.elapsed();
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
