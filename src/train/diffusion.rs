//! The diffusion process: a cosine noise schedule in continuous time, the training target and
//! its loss weighting (DDPM-style training), and deterministic DDIM sampling with
//! classifier-free guidance. Pure arithmetic on tensors; the model is passed in.

use burn::prelude::*;
use burn::tensor::{Int, TensorData};
use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// What the network predicts. `v` (the velocity √ᾱ·ε − √(1−ᾱ)·x₀) is well-scaled at every noise
/// level; `x0` makes glyph shape the direct target; `eps` is the classic DDPM choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Prediction {
    Eps,
    V,
    X0,
}

/// ᾱ(t) of the cosine schedule (Nichol & Dhariwal), t ∈ [0, 1], kept inside (0, 1) so both
/// √ᾱ and √(1−ᾱ) stay usable at the ends.
pub fn alpha_bar(t: f64) -> f64 {
    let s = 0.008;
    let f = |t: f64| {
        ((t + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2)
            .cos()
            .powi(2)
    };
    (f(t) / f(0.0)).clamp(1e-5, 0.99999)
}

/// Per-sample loss weight: min-SNR-γ (Hang et al. 2023) expressed for each target, so that the
/// nearly clean steps (huge SNR) do not dominate and the mid-noise steps, where a glyph's
/// identity is decided, get their share.
pub fn loss_weight(prediction: Prediction, ab: f64, gamma: f64) -> f64 {
    let snr = ab / (1.0 - ab);
    let clipped = snr.min(gamma);
    match prediction {
        Prediction::Eps => clipped / snr,
        Prediction::V => clipped / (snr + 1.0),
        Prediction::X0 => clipped,
    }
}

/// A float tensor `[B, C, H, W]` of standard normal noise from `rng` (our own generator, so a
/// seed gives the same noise on every backend).
pub fn normal_noise(rng: &mut Rng, shape: [usize; 4], device: &Device) -> Tensor<4> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
    Tensor::from_data(TensorData::new(v, shape), device)
}

fn column(values: &[f64], device: &Device) -> Tensor<4> {
    let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
    Tensor::<1>::from_floats(v.as_slice(), device).reshape([values.len(), 1, 1, 1])
}

/// One training batch's noisy inputs and targets.
pub struct NoisedBatch {
    pub x_t: Tensor<4>,
    pub t: Tensor<1>,
    pub target: Tensor<4>,
    /// `[B, 1, 1, 1]` loss weights.
    pub weight: Tensor<4>,
}

/// Noises clean images `x0` at times drawn by `rng` (stratified over the batch, so every batch
/// sees the whole range of noise levels).
pub fn noise_batch(
    x0: Tensor<4>,
    prediction: Prediction,
    gamma: f64,
    rng: &mut Rng,
) -> NoisedBatch {
    let shape = x0.dims();
    let b = shape[0];
    let device = x0.device();
    let offset = rng.f64();
    let ts: Vec<f64> = (0..b)
        .map(|i| ((i as f64 + offset) / b as f64).min(1.0))
        .collect();
    let abs: Vec<f64> = ts.iter().map(|&t| alpha_bar(t)).collect();
    let a = column(&abs.iter().map(|x| x.sqrt()).collect::<Vec<_>>(), &device);
    let s = column(
        &abs.iter().map(|x| (1.0 - x).sqrt()).collect::<Vec<_>>(),
        &device,
    );
    let eps = normal_noise(rng, shape, &device);
    let x_t = x0.clone() * a.clone() + eps.clone() * s.clone();
    let target = match prediction {
        Prediction::Eps => eps,
        Prediction::V => eps * a - x0 * s,
        Prediction::X0 => x0,
    };
    let weights: Vec<f64> = abs
        .iter()
        .map(|&ab| loss_weight(prediction, ab, gamma))
        .collect();
    let tv: Vec<f32> = ts.iter().map(|&t| t as f32).collect();
    NoisedBatch {
        x_t,
        t: Tensor::from_floats(tv.as_slice(), &device),
        target,
        weight: column(&weights, &device),
    }
}

/// Weighted mean squared error between prediction and target.
pub fn loss(pred: Tensor<4>, batch: &NoisedBatch) -> Tensor<1> {
    let err = (pred - batch.target.clone()).powi_scalar(2);
    (err * batch.weight.clone()).mean()
}

/// (x̂₀, ε̂) from the model output at noise level ᾱ.
fn split_output(
    prediction: Prediction,
    x_t: Tensor<4>,
    out: Tensor<4>,
    ab: f64,
) -> (Tensor<4>, Tensor<4>) {
    let (a, s) = (ab.sqrt(), (1.0 - ab).sqrt());
    let x0 = match prediction {
        Prediction::Eps => (x_t.clone() - out * s) / a,
        Prediction::V => x_t.clone() * a - out * s,
        Prediction::X0 => out,
    };
    // Clipping x̂₀ to the image range, then re-deriving ε̂ from it, keeps guided sampling stable.
    let x0 = x0.clamp(-1.0, 1.0);
    let eps = (x_t - x0.clone() * a) / s;
    (x0, eps)
}

/// Sampling settings.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct SampleSettings {
    /// DDIM steps.
    pub steps: usize,
    /// Classifier-free guidance scale (1 = no guidance).
    pub guidance: f64,
}

/// Deterministic DDIM (η = 0) from pure noise: `ids` are the prompts `[B, L]`, `null_ids` the
/// empty prompt repeated `[B, L]`; `noise` the starting point `[B, C, H, W]`.
pub fn ddim_sample(
    forward: &dyn Fn(Tensor<4>, Tensor<1>, Tensor<2, Int>) -> Tensor<4>,
    prediction: Prediction,
    ids: Tensor<2, Int>,
    null_ids: Tensor<2, Int>,
    noise: Tensor<4>,
    settings: SampleSettings,
) -> Tensor<4> {
    let [b, _, _, _] = noise.dims();
    let device = noise.device();
    let guided = settings.guidance != 1.0;
    let both_ids = if guided {
        Tensor::cat(vec![ids.clone(), null_ids], 0)
    } else {
        ids.clone()
    };
    let mut x = noise;
    let steps = settings.steps.max(1);
    for k in (1..=steps).rev() {
        let t = k as f64 / steps as f64;
        let ab = alpha_bar(t);
        let ab_prev = if k == 1 {
            1.0
        } else {
            alpha_bar((k - 1) as f64 / steps as f64)
        };
        let out = if guided {
            let x2 = Tensor::cat(vec![x.clone(), x.clone()], 0);
            let tt = Tensor::<1>::full([2 * b], t as f32, &device);
            let o = forward(x2, tt, both_ids.clone());
            let cond = o.clone().narrow(0, 0, b);
            let uncond = o.narrow(0, b, b);
            uncond.clone() + (cond - uncond) * settings.guidance
        } else {
            let tt = Tensor::<1>::full([b], t as f32, &device);
            forward(x.clone(), tt, both_ids.clone())
        };
        let (x0, eps) = split_output(prediction, x.clone(), out, ab);
        x = if ab_prev >= 1.0 {
            x0
        } else {
            x0 * ab_prev.sqrt() + eps * (1.0 - ab_prev).sqrt()
        };
    }
    x.clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_runs_from_clean_to_noise() {
        assert!(alpha_bar(0.0) > 0.9999);
        assert!(alpha_bar(1.0) < 1e-4);
        let mut last = 1.0;
        for i in 0..=100 {
            let ab = alpha_bar(i as f64 / 100.0);
            assert!(ab <= last, "ᾱ must fall with t");
            last = ab;
        }
    }

    #[test]
    fn min_snr_weights_cap_the_clean_end() {
        // At high SNR (nearly clean) ε-prediction's weight falls as γ/SNR; at low SNR it is 1.
        assert!((loss_weight(Prediction::Eps, 0.01, 5.0) - 1.0).abs() < 1e-9);
        assert!(loss_weight(Prediction::Eps, 0.999, 5.0) < 0.01);
        // v-prediction's weight is at most 1 and equals SNR/(SNR+1) below γ.
        let ab: f64 = 0.5;
        assert!((loss_weight(Prediction::V, ab, 5.0) - 0.5).abs() < 1e-9);
        assert!(loss_weight(Prediction::X0, 0.999, 5.0) <= 5.0);
    }

    #[test]
    fn split_output_inverts_each_target() {
        let device = Device::flex();
        let mut rng = Rng::new(3);
        let x0 = normal_noise(&mut rng, [2, 3, 4, 4], &device).clamp(-1.0, 1.0);
        let eps = normal_noise(&mut rng, [2, 3, 4, 4], &device);
        let ab: f64 = 0.3;
        let (a, s) = (ab.sqrt(), (1.0 - ab).sqrt());
        let x_t = x0.clone() * a + eps.clone() * s;
        for (p, out) in [
            (Prediction::Eps, eps.clone()),
            (Prediction::V, eps.clone() * a - x0.clone() * s),
            (Prediction::X0, x0.clone()),
        ] {
            let (x0_hat, eps_hat) = split_output(p, x_t.clone(), out, ab);
            let e1: f32 = (x0_hat - x0.clone()).abs().max().into_scalar();
            let e2: f32 = (eps_hat - eps.clone()).abs().max().into_scalar();
            assert!(e1 < 1e-4 && e2 < 1e-3, "{p:?}: {e1} {e2}");
        }
    }
}
