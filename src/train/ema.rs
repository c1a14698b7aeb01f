//! Exponential moving average of the model's weights: what `sample` and `eval` use, since it
//! averages out the last steps' noise and gives cleaner glyphs than the raw weights early on.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

/// Collects every float parameter, flattened, in traversal order.
struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.0.push(t.reshape([n]));
    }
}

/// Blends each parameter with the collected one at the same position.
struct Blend {
    source: std::vec::IntoIter<Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let src = self
            .source
            .next()
            .expect("the EMA and the model have the same parameters");
        let decay = self.decay;
        param.map(|e| {
            let shape = e.shape();
            e * decay + src.reshape(shape) * (1.0 - decay)
        })
    }
}

/// `ema ← decay·ema + (1 − decay)·model` for modules of the same structure; `model` is read
/// without gradients.
pub fn update<M: Module>(ema: M, model: &M, decay: f64) -> M {
    let mut c = Collect(Vec::new());
    model.visit(&mut c);
    let mut blend = Blend {
        source: c
            .0
            .into_iter()
            .map(|t| t.detach())
            .collect::<Vec<_>>()
            .into_iter(),
        decay,
    };
    ema.map(&mut blend)
}

/// The decay for step `step`: warms up from 0 (so early EMA weights are not stuck near the
/// random initialisation) towards `max`.
pub fn decay_at(step: u64, max: f64) -> f64 {
    let warm = (1.0 + step as f64) / (10.0 + step as f64);
    warm.min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    #[test]
    fn ema_moves_towards_the_model() {
        let device = Device::flex();
        let a: Linear = LinearConfig::new(2, 2).init(&device);
        let b: Linear = LinearConfig::new(2, 2).init(&device);
        let before: Vec<f32> = a.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let target: Vec<f32> = b.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let a = update(a, &b, 0.75);
        let after: Vec<f32> = a.weight.val().into_data().try_to_vec::<f32>().unwrap();
        for i in 0..4 {
            let want = 0.75 * before[i] + 0.25 * target[i];
            assert!((after[i] - want).abs() < 1e-6);
        }
        assert!(decay_at(0, 0.999) < 0.2);
        assert_eq!(decay_at(1_000_000, 0.999), 0.999);
    }
}
