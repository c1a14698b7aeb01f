//! Bench: images per second for a recipe, and where the time goes.
//!
//! Three measurements: a single-thread pass with per-stage timers, a pass on `threads` cores
//! that makes and encodes samples without writing them (throughput of the generator proper),
//! and the encode-only floor: the same pictures encoded alone, the least any CPU generator that
//! writes this format can spend. Each pass reports wall time and CPU time (user + sys), so
//! images per CPU-second compare across machines and thread counts; peak RSS comes last.

use std::time::{Duration, Instant};

use anyhow::Result;
use rayon::prelude::*;

use crate::crop::{crops_for_mode, render_for_mode};
use crate::encode::encode;
use crate::generate::produce;
use crate::paint::CpuPainter;
use crate::recipe::OutputMode;
use crate::scene::{Context, StageTimes};
use crate::sink::append_sample;

/// Wall and CPU time of one pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pass {
    pub wall: Duration,
    pub cpu: Duration,
}

/// CPU time (user + sys) of this process so far, all threads.
fn cpu_time() -> Duration {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes into the struct we pass.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } == 0 {
            let tv = |t: libc::timeval| {
                Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
            };
            return tv(u.ru_utime) + tv(u.ru_stime);
        }
    }
    Duration::ZERO
}

/// Peak resident memory of this process in MiB (0 where unknown).
pub fn peak_rss_mib() -> f64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } == 0 {
            return u.ru_maxrss as f64 / 1024.0; // kilobytes on Linux
        }
    }
    0.0
}

/// CPU model and logical core count, for the report (benchmarks only compare on one machine).
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{model}, {cores} logical cores")
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Pass)> {
    let (w, c) = (Instant::now(), cpu_time());
    let out = f()?;
    Ok((
        out,
        Pass {
            wall: w.elapsed(),
            cpu: cpu_time().saturating_sub(c),
        },
    ))
}

pub struct BenchReport {
    pub samples: u64,
    pub threads: usize,
    pub single_thread: Pass,
    pub stages: StageTimes,
    pub parallel: Pass,
    /// Encoding the same records alone, one thread: per record.
    pub encode_floor: Pass,
    pub floor_records: u64,
    pub peak_rss_mib: f64,
    pub mean_bytes: f64,
    /// Records per sample: 1 for scenes, the mean line count for line crops.
    pub records_per_sample: f64,
}

pub fn run_bench(ctx: &Context, samples: u64, threads: usize) -> Result<BenchReport> {
    // Warm caches (outlines, shaping plans) so the numbers describe steady state.
    for i in 0..samples.min(8) {
        produce(ctx, u64::MAX - i, &mut StageTimes::default())?;
    }
    let mut stages = StageTimes::default();
    let mut bytes = 0usize;
    let mut items = 0u64;
    // "write" is the tar framing and hashing of a shard, into a null device: what a sink
    // costs apart from the disk.
    let mut shard = tar::Builder::new(std::io::sink());
    shard.mode(tar::HeaderMode::Deterministic);
    let ((), single_thread) = timed(|| {
        for i in 0..samples {
            let (records, _) = produce(ctx, i, &mut stages)?;
            let t = Instant::now();
            for r in &records {
                append_sample(&mut shard, r)?;
            }
            stages.write += t.elapsed();
            bytes += records.iter().map(|r| r.image.len()).sum::<usize>();
            items += records.len() as u64;
        }
        Ok(())
    })?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let ((), parallel) = timed(|| {
        pool.install(|| {
            (0..samples)
                .into_par_iter()
                .try_for_each(|i| produce(ctx, i, &mut StageTimes::default()).map(|_| ()))
        })
    })?;
    // Peak memory of the generator itself, before the floor pass renders more.
    let peak_rss_mib = peak_rss_mib();
    let (floor_records, encode_floor) = encode_floor(ctx, samples.min(50))?;
    Ok(BenchReport {
        samples,
        threads,
        single_thread,
        stages,
        parallel,
        encode_floor,
        floor_records,
        peak_rss_mib,
        mean_bytes: bytes as f64 / items.max(1) as f64,
        records_per_sample: items as f64 / samples.max(1) as f64,
    })
}

/// Renders `n` samples' final pictures (scenes or line crops) and times encoding them alone,
/// one at a time, so the floor costs no memory of its own.
fn encode_floor(ctx: &Context, n: u64) -> Result<(u64, Pass)> {
    let out = &ctx.recipe.output;
    let mut pass = Pass::default();
    let mut count = 0;
    for i in 0..n {
        let mut sample = render_for_mode(ctx, i, &mut CpuPainter, &mut StageTimes::default())?;
        let pictures = match out.mode {
            OutputMode::Scenes => vec![sample.image],
            OutputMode::LineCrops | OutputMode::NativeCrops => crops_for_mode(&mut sample, out)
                .into_iter()
                .map(|c| c.image)
                .collect(),
        };
        for p in &pictures {
            let ((), t) = timed(|| encode(p, out.image_format, out.jpeg_quality).map(|_| ()))?;
            pass.wall += t.wall;
            pass.cpu += t.cpu;
            count += 1;
        }
    }
    Ok((count, pass))
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.samples as f64;
        let rec = n * self.records_per_sample;
        let per_cpu = |p: &Pass, k: f64| k / p.cpu.as_secs_f64().max(1e-9);
        let per_wall = |p: &Pass, k: f64| k / p.wall.as_secs_f64().max(1e-9);
        writeln!(f, "machine            {}", machine())?;
        writeln!(f, "JPEG encoder       {}", crate::encode::JPEG_ENCODER)?;
        writeln!(f, "samples            {}", self.samples)?;
        writeln!(
            f,
            "1 thread           {:.1} images/s, {:.1} images/CPU-s ({:.2} ms/image)",
            per_wall(&self.single_thread, n),
            per_cpu(&self.single_thread, n),
            self.single_thread.wall.as_secs_f64() * 1000.0 / n
        )?;
        writeln!(
            f,
            "{} threads          {:.1} images/s, {:.1} images/CPU-s ({:.2}× one thread)",
            self.threads,
            per_wall(&self.parallel, n),
            per_cpu(&self.parallel, n),
            self.single_thread.wall.as_secs_f64() / self.parallel.wall.as_secs_f64().max(1e-9)
        )?;
        if (self.records_per_sample - 1.0).abs() > 1e-9 {
            writeln!(
                f,
                "records            {:.2} per sample: {:.1} records/CPU-s on 1 thread, {:.1} records/s on {}",
                self.records_per_sample,
                per_cpu(&self.single_thread, rec),
                per_wall(&self.parallel, rec),
                self.threads
            )?;
        }
        let floor = per_cpu(&self.encode_floor, self.floor_records as f64);
        writeln!(
            f,
            "encode-only floor  {:.1} records/CPU-s ({:.3} ms/record, {} records); generator at {:.1}× the floor",
            floor,
            self.encode_floor.cpu.as_secs_f64() * 1000.0 / self.floor_records.max(1) as f64,
            self.floor_records,
            floor / per_cpu(&self.single_thread, rec).max(1e-9)
        )?;
        writeln!(f, "peak RSS           {:.1} MiB", self.peak_rss_mib)?;
        writeln!(f, "mean record size   {:.1} KiB", self.mean_bytes / 1024.0)?;
        writeln!(f, "time per stage (1 thread, ms/image):")?;
        let total: f64 = self.stages.rows().iter().map(|r| r.1.as_secs_f64()).sum();
        for (name, d) in self.stages.rows() {
            if d.is_zero() {
                continue;
            }
            writeln!(
                f,
                "  {name:<30} {:>7.3}  {:>5.1}%",
                d.as_secs_f64() * 1000.0 / n,
                100.0 * d.as_secs_f64() / total.max(1e-12)
            )?;
        }
        Ok(())
    }
}

/// `bench --device gpu`: the GPU path as `generate` runs it — the workers plan a batch, one
/// submission paints it, the workers encode — with the wall time of each phase and the CPU time
/// left per image (planning, encoding, and the painter's CPU share). Phases are wall times
/// (the GPU share is submission to completion of the kernels and the copy back; wgpu
/// timestamp queries are not used, so kernels are not timed one by one).
#[cfg(feature = "gpu")]
pub struct GpuBenchReport {
    pub samples: u64,
    pub threads: usize,
    pub device: String,
    pub total: Pass,
    pub plan: Pass,
    pub encode: Pass,
    pub paint: Pass,
    pub gpu: crate::paint::gpu::GpuTimes,
}

#[cfg(feature = "gpu")]
pub fn run_gpu_bench(
    ctx: &Context,
    samples: u64,
    threads: usize,
    gpu: &std::sync::Arc<crate::paint::gpu::Gpu>,
) -> Result<GpuBenchReport> {
    use crate::crop::plan_for_mode as plan_sample;
    use crate::generate::finish_sample;
    use crate::paint::gpu::GpuPainter;
    use crate::plan::Sample;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let mut painter = GpuPainter::new(gpu.clone());
    painter.profile = true;
    // Warm caches and the pipelines.
    for i in 0..samples.min(4) {
        let (plan, bg) = plan_sample(ctx, u64::MAX - i, &mut StageTimes::default())?;
        painter.paint_batch(ctx, vec![(&plan, bg)], &mut StageTimes::default())?;
    }
    painter.times = Default::default();
    let batch = (threads as u64 * 16).max(16);
    let (mut plan_t, mut paint_t, mut encode_t) =
        (Pass::default(), Pass::default(), Pass::default());
    let add = |into: &mut Pass, p: Pass| {
        into.wall += p.wall;
        into.cpu += p.cpu;
    };
    let ((), total) = timed(|| {
        let mut start = 0;
        while start < samples {
            let end = (start + batch).min(samples);
            let (planned, t) = timed(|| {
                pool.install(|| {
                    (start..end)
                        .into_par_iter()
                        .map(|i| plan_sample(ctx, i, &mut StageTimes::default()))
                        .collect::<Result<Vec<_>>>()
                })
            })?;
            add(&mut plan_t, t);
            let (plans, bgs): (Vec<_>, Vec<_>) = planned.into_iter().unzip();
            let (images, t) = timed(|| {
                painter.paint_batch(
                    ctx,
                    plans.iter().zip(bgs).collect(),
                    &mut StageTimes::default(),
                )
            })?;
            add(&mut paint_t, t);
            let ((), t) = timed(|| {
                pool.install(|| {
                    plans
                        .into_par_iter()
                        .zip(images)
                        .zip((start..end).collect::<Vec<u64>>())
                        .try_for_each(|((plan, image), i)| {
                            let sample = Sample {
                                image,
                                meta: plan.meta,
                                blocks: plan.blocks,
                            };
                            finish_sample(ctx, i, sample, &mut StageTimes::default()).map(|_| ())
                        })
                })
            })?;
            add(&mut encode_t, t);
            start = end;
        }
        Ok(())
    })?;
    Ok(GpuBenchReport {
        samples,
        threads,
        device: gpu.description().to_string(),
        total,
        plan: plan_t,
        encode: encode_t,
        paint: paint_t,
        gpu: painter.times,
    })
}

#[cfg(feature = "gpu")]
impl std::fmt::Display for GpuBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.samples as f64;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / n;
        writeln!(f, "machine            {}", machine())?;
        writeln!(f, "device             {}", self.device)?;
        writeln!(f, "samples            {}", self.samples)?;
        writeln!(
            f,
            "{} threads + GPU    {:.1} images/s ({:.2} ms/image wall, {:.1} images/CPU-s)",
            self.threads,
            n / self.total.wall.as_secs_f64().max(1e-9),
            ms(self.total.wall),
            n / self.total.cpu.as_secs_f64().max(1e-9)
        )?;
        writeln!(
            f,
            "phases (wall, ms/image; plan and encode on {} threads):",
            self.threads
        )?;
        let g = &self.gpu;
        for (name, d) in [
            ("plan (CPU)", self.plan.wall),
            ("paint, all", self.paint.wall),
            (
                "  background not painted by the planner (CPU)",
                g.background,
            ),
            ("  prepare tables (CPU)", g.prepare),
            ("  upload + record commands", g.upload),
            ("  GPU: submit to done (kernels + copy back)", g.gpu),
            ("  readback into images (CPU)", g.readback),
            ("  CPU tail (JPEG effect, projective camera)", g.cpu_tail),
            ("encode + labels (CPU)", self.encode.wall),
        ] {
            writeln!(f, "  {name:<46} {:>8.3}", ms(d))?;
        }
        let painter_cpu = g.background + g.prepare + g.upload + g.readback + g.cpu_tail;
        writeln!(
            f,
            "CPU time left      {:.3} ms/image (plan {:.3} + encode {:.3} CPU-ms, painter's CPU share {:.3} ms)",
            ms(self.plan.cpu + self.encode.cpu + painter_cpu),
            ms(self.plan.cpu),
            ms(self.encode.cpu),
            ms(painter_cpu)
        )?;
        writeln!(f, "GPU backgrounds    {} samples", g.gpu_backgrounds)?;
        if g.kernels_timed {
            writeln!(f, "GPU time per kernel (timestamp queries, ms/image):")?;
            for (name, d) in g.kernel_times() {
                writeln!(f, "  {name:<46} {:>8.3}", ms(d))?;
            }
        } else {
            writeln!(
                f,
                "GPU time per kernel: this adapter has no timestamp queries"
            )?;
        }
        if g.cpu_fallbacks > 0 {
            writeln!(
                f,
                "painted on the CPU {} of {} samples (beyond the kernels' range)",
                g.cpu_fallbacks, g.samples
            )?;
        }
        Ok(())
    }
}
