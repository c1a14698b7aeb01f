//! Drawing pictures from a trained model: prompts in, RGB images out, each from its own seeded
//! noise so a (run, prompt, seed) triple always gives the same picture on the CPU.

use anyhow::Result;
use burn::prelude::*;
use burn::tensor::{Int, TensorData};
use image::RgbImage;

use super::checkpoint::RunState;
use super::diffusion::{ddim_sample, SampleSettings};
use super::model::Denoiser;
use crate::rng::Rng;

/// The starting noise of one picture.
fn noise_for(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed).fork("sample-noise");
    (0..len).map(|_| rng.normal() as f32).collect()
}

/// Samples one image per prompt (prompt `i` from noise seed `seeds[i]`), `batch` at a time.
pub fn draw(
    model: &Denoiser,
    state: &RunState,
    prompts: &[String],
    seeds: &[u64],
    settings: SampleSettings,
    batch: usize,
    device: &Device,
) -> Result<Vec<RgbImage>> {
    let side = state.model.resolution;
    let ch = state.model.channels;
    let vocab = &state.vocab;
    let mut out = Vec::with_capacity(prompts.len());
    for (chunk, seed_chunk) in prompts.chunks(batch.max(1)).zip(seeds.chunks(batch.max(1))) {
        let b = chunk.len();
        let mut ids = Vec::with_capacity(b * vocab.max_chars);
        let mut null = Vec::with_capacity(b * vocab.max_chars);
        for p in chunk {
            ids.extend(vocab.encode(p)?);
            null.extend(vocab.empty());
        }
        let mut noise = Vec::with_capacity(b * ch * side * side);
        for &s in seed_chunk {
            noise.extend(noise_for(s, ch * side * side));
        }
        let ids: Tensor<2, Int> =
            Tensor::from_data(TensorData::new(ids, [b, vocab.max_chars]), device);
        let null: Tensor<2, Int> =
            Tensor::from_data(TensorData::new(null, [b, vocab.max_chars]), device);
        let noise: Tensor<4> =
            Tensor::from_data(TensorData::new(noise, [b, ch, side, side]), device);
        let forward = |x, t, i| model.forward(x, t, i);
        let x = ddim_sample(
            &forward,
            state.settings.prediction,
            ids,
            null,
            noise,
            settings,
        );
        let data: Vec<f32> = x
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let plane = side * side;
        for i in 0..b {
            let mut img = RgbImage::new(side as u32, side as u32);
            for (p, px) in img.pixels_mut().enumerate() {
                for c in 0..3 {
                    let v = data[i * ch * plane + c.min(ch - 1) * plane + p];
                    px.0[c] = ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8;
                }
            }
            out.push(img);
        }
    }
    Ok(out)
}

/// A noise seed per item: distinct, reproducible from one base seed.
pub fn seeds(base: u64, n: usize) -> Vec<u64> {
    (0..n as u64)
        .map(|i| crate::rng::mix64(base ^ crate::rng::mix64(i)))
        .collect()
}
