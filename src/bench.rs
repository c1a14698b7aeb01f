//! Bench: images per second for a recipe, and where the time goes.
//!
//! Two measurements: a single-thread pass with per-stage timers, and a pass on `threads` cores
//! that makes and encodes samples without writing them (throughput of the generator proper).

use std::time::{Duration, Instant};

use anyhow::Result;
use rayon::prelude::*;

use crate::generate::produce;
use crate::scene::{Context, StageTimes};

pub struct BenchReport {
    pub samples: u64,
    pub threads: usize,
    pub single_thread: Duration,
    pub stages: StageTimes,
    pub parallel: Duration,
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
    let t = Instant::now();
    for i in 0..samples {
        let (records, _) = produce(ctx, i, &mut stages)?;
        bytes += records.iter().map(|r| r.image.len()).sum::<usize>();
        items += records.len() as u64;
    }
    let single_thread = t.elapsed();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let t = Instant::now();
    pool.install(|| {
        (0..samples)
            .into_par_iter()
            .try_for_each(|i| produce(ctx, i, &mut StageTimes::default()).map(|_| ()))
    })?;
    let parallel = t.elapsed();
    Ok(BenchReport {
        samples,
        threads,
        single_thread,
        stages,
        parallel,
        mean_bytes: bytes as f64 / items.max(1) as f64,
        records_per_sample: items as f64 / samples.max(1) as f64,
    })
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.samples as f64;
        writeln!(f, "samples            {}", self.samples)?;
        writeln!(
            f,
            "1 thread           {:.1} images/s ({:.2} ms/image)",
            n / self.single_thread.as_secs_f64(),
            self.single_thread.as_secs_f64() * 1000.0 / n
        )?;
        writeln!(
            f,
            "{} threads          {:.1} images/s",
            self.threads,
            n / self.parallel.as_secs_f64()
        )?;
        if (self.records_per_sample - 1.0).abs() > 1e-9 {
            writeln!(
                f,
                "records            {:.2} per sample: {:.1} records/s on 1 thread, {:.1} on {}",
                self.records_per_sample,
                n * self.records_per_sample / self.single_thread.as_secs_f64(),
                n * self.records_per_sample / self.parallel.as_secs_f64(),
                self.threads
            )?;
        }
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
