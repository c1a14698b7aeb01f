//! The denoiser: a small UNet in pixel space, conditioned on the prompt through a character-level
//! text encoder. Conditioning enters twice so that it bites early in training: the pooled prompt
//! embedding (added to the time embedding) scales and shifts every residual block's group norm
//! (adaptive group norm), and the per-character embeddings are attended to by cross-attention at
//! the low resolutions, where glyph identity is decided.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::interpolate::{Interpolate2d, Interpolate2dConfig, InterpolateMode};
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{
    Embedding, EmbeddingConfig, GroupNorm, GroupNormConfig, Initializer, LayerNorm,
    LayerNormConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::prelude::*;
use burn::tensor::activation::{silu, softmax};
use burn::tensor::{Bool, Int};
use serde::{Deserialize, Serialize};

/// Model size and shape; stored with every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Image side in pixels (32 or 64).
    pub resolution: usize,
    /// Image channels (3: RGB).
    pub channels: usize,
    /// Feature channels per level, from full resolution down; one level per entry.
    pub widths: Vec<usize>,
    /// Levels (counted from full resolution, 0-based) with self- and cross-attention.
    pub attention_levels: Vec<usize>,
    /// Vocabulary size of the text encoder (special tokens included).
    pub vocab: usize,
    /// Longest prompt in characters.
    pub max_chars: usize,
    /// Width of the text encoder and of the conditioning vector.
    pub text_width: usize,
    /// Transformer layers of the text encoder.
    pub text_layers: usize,
    /// Attention heads (text encoder and UNet attention).
    pub heads: usize,
}

impl ModelConfig {
    /// The default shape for a resolution: three levels at 32², four at 64², attention at 8²
    /// and below.
    pub fn for_resolution(resolution: usize, vocab: usize, max_chars: usize) -> ModelConfig {
        let (widths, attention_levels) = if resolution >= 64 {
            (vec![32, 64, 96, 128], vec![2, 3])
        } else {
            (vec![32, 64, 128], vec![2])
        };
        ModelConfig {
            resolution,
            channels: 3,
            widths,
            attention_levels,
            vocab,
            max_chars,
            text_width: 128,
            text_layers: 2,
            heads: 4,
        }
    }

    pub fn init(&self, device: &Device) -> Denoiser {
        let cond = self.text_width;
        let text = TextEncoder::new(self, device);
        let time_in = LinearConfig::new(self.widths[0], cond).init(device);
        let time_out = LinearConfig::new(cond, cond).init(device);
        let stem = conv3(self.channels, self.widths[0], device);
        let mut down = Vec::new();
        let mut downsample = Vec::new();
        let mut c_in = self.widths[0];
        for (level, &w) in self.widths.iter().enumerate() {
            down.push(Stage::new(
                c_in,
                w,
                cond,
                self,
                self.attention_levels.contains(&level),
                device,
            ));
            c_in = w;
            if level + 1 < self.widths.len() {
                downsample.push(
                    Conv2dConfig::new([w, w], [3, 3])
                        .with_stride([2, 2])
                        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                        .init(device),
                );
            }
        }
        let last = *self.widths.last().expect("widths are not empty");
        let middle = Stage::new(last, last, cond, self, true, device);
        let mut up = Vec::new();
        let mut upsample = Vec::new();
        let mut c = last;
        for (level, &w) in self.widths.iter().enumerate().rev() {
            up.push(Stage::new(
                c + w,
                w,
                cond,
                self,
                self.attention_levels.contains(&level),
                device,
            ));
            c = w;
            if level > 0 {
                upsample.push(conv3(w, w, device));
            }
        }
        Denoiser {
            text,
            time_in,
            time_out,
            stem,
            down,
            downsample,
            middle,
            up,
            upsample,
            out_norm: GroupNormConfig::new(groups(self.widths[0]), self.widths[0]).init(device),
            out: zero_conv3(self.widths[0], self.channels, device),
            upscale: Interpolate2dConfig::new()
                .with_scale_factor(Some([2.0, 2.0]))
                .with_mode(InterpolateMode::Nearest)
                .init(),
            time_width: self.widths[0],
        }
    }
}

fn groups(channels: usize) -> usize {
    [8, 4, 2, 1]
        .into_iter()
        .find(|g| channels.is_multiple_of(*g))
        .unwrap_or(1)
}

fn conv3(c_in: usize, c_out: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

/// A 3×3 convolution that starts at zero, so a residual branch starts as the identity.
fn zero_conv3(c_in: usize, c_out: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_initializer(Initializer::Zeros)
        .init(device)
}

/// Character embeddings plus learned positions, refined by a few transformer layers.
#[derive(Module, Debug)]
pub struct TextEncoder {
    tokens: Embedding,
    positions: Embedding,
    layers: TransformerEncoder,
    norm: LayerNorm,
}

impl TextEncoder {
    fn new(cfg: &ModelConfig, device: &Device) -> TextEncoder {
        TextEncoder {
            tokens: EmbeddingConfig::new(cfg.vocab, cfg.text_width).init(device),
            positions: EmbeddingConfig::new(cfg.max_chars, cfg.text_width).init(device),
            layers: TransformerEncoderConfig::new(
                cfg.text_width,
                cfg.text_width * 2,
                cfg.heads,
                cfg.text_layers,
            )
            .with_dropout(0.0)
            .with_norm_first(true)
            .init(device),
            norm: LayerNormConfig::new(cfg.text_width).init(device),
        }
    }

    /// Token ids `[B, L]` (0 = padding) → per-character features `[B, L, D]`, the pooled prompt
    /// `[B, D]` (mean over real tokens) and the padding mask `[B, L]` (true = padding).
    pub fn forward(&self, ids: Tensor<2, Int>) -> (Tensor<3>, Tensor<2>, Tensor<2, Bool>) {
        let [b, l] = ids.dims();
        let device = ids.device();
        let pad = ids.clone().equal_elem(0);
        let pos = Tensor::<1, Int>::arange(0..l as i64, &device)
            .reshape([1, l])
            .repeat_dim(0, b);
        let x = self.tokens.forward(ids) + self.positions.forward(pos);
        let x = self
            .layers
            .forward(TransformerEncoderInput::new(x).mask_pad(pad.clone()));
        let x = self.norm.forward(x);
        let keep = pad.clone().bool_not().float().reshape([b, l, 1]);
        let count = keep.clone().sum_dim(1).clamp_min(1.0);
        let d = x.dims()[2];
        let pooled = (x.clone() * keep).sum_dim(1).div(count).reshape([b, d]);
        (x, pooled, pad)
    }
}

/// One level's block: a residual block with adaptive group norm, then (optionally) self- and
/// cross-attention.
#[derive(Module, Debug)]
pub struct Stage {
    res: ResBlock,
    attn: Option<Attention>,
}

impl Stage {
    fn new(
        c_in: usize,
        c_out: usize,
        cond: usize,
        cfg: &ModelConfig,
        attention: bool,
        device: &Device,
    ) -> Stage {
        Stage {
            res: ResBlock::new(c_in, c_out, cond, device),
            attn: attention.then(|| Attention::new(c_out, cfg.text_width, cfg.heads, device)),
        }
    }

    fn forward(
        &self,
        x: Tensor<4>,
        cond: Tensor<2>,
        text: &Tensor<3>,
        pad: &Tensor<2, Bool>,
    ) -> Tensor<4> {
        let x = self.res.forward(x, cond);
        match &self.attn {
            Some(a) => a.forward(x, text.clone(), pad.clone()),
            None => x,
        }
    }
}

/// GroupNorm → SiLU → conv → adaptive GroupNorm (scale, shift from the conditioning vector) →
/// SiLU → zero-initialised conv, plus a (1×1-projected) skip.
#[derive(Module, Debug)]
pub struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    norm2: GroupNorm,
    modulation: Linear,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    fn new(c_in: usize, c_out: usize, cond: usize, device: &Device) -> ResBlock {
        ResBlock {
            norm1: GroupNormConfig::new(groups(c_in), c_in).init(device),
            conv1: conv3(c_in, c_out, device),
            norm2: GroupNormConfig::new(groups(c_out), c_out)
                .with_affine(false)
                .init(device),
            modulation: LinearConfig::new(cond, 2 * c_out)
                .with_initializer(Initializer::Zeros)
                .init(device),
            conv2: zero_conv3(c_out, c_out, device),
            skip: (c_in != c_out).then(|| Conv2dConfig::new([c_in, c_out], [1, 1]).init(device)),
        }
    }

    fn forward(&self, x: Tensor<4>, cond: Tensor<2>) -> Tensor<4> {
        let [b, _, _, _] = x.dims();
        let h = self.conv1.forward(silu(self.norm1.forward(x.clone())));
        let c_out = h.dims()[1];
        let m = self
            .modulation
            .forward(silu(cond))
            .reshape([b, 2 * c_out, 1, 1]);
        let scale = m.clone().narrow(1, 0, c_out);
        let shift = m.narrow(1, c_out, c_out);
        let h = self.norm2.forward(h) * (scale + 1.0) + shift;
        let h = self.conv2.forward(silu(h));
        let skip = match &self.skip {
            Some(s) => s.forward(x),
            None => x,
        };
        skip + h
    }
}

/// Multi-head self-attention over the feature map, then cross-attention from the feature map to
/// the prompt's characters (padding masked out). Outputs start at zero (residual identity).
#[derive(Module, Debug)]
pub struct Attention {
    norm_self: GroupNorm,
    qkv: Linear,
    out_self: Linear,
    norm_cross: GroupNorm,
    q: Linear,
    kv: Linear,
    out_cross: Linear,
    heads: usize,
}

impl Attention {
    fn new(c: usize, text: usize, heads: usize, device: &Device) -> Attention {
        let zero = |i, o| {
            LinearConfig::new(i, o)
                .with_initializer(Initializer::Zeros)
                .init(device)
        };
        Attention {
            norm_self: GroupNormConfig::new(groups(c), c).init(device),
            qkv: LinearConfig::new(c, 3 * c).init(device),
            out_self: zero(c, c),
            norm_cross: GroupNormConfig::new(groups(c), c).init(device),
            q: LinearConfig::new(c, c).init(device),
            kv: LinearConfig::new(text, 2 * c).init(device),
            out_cross: zero(c, c),
            heads,
        }
    }

    fn forward(&self, x: Tensor<4>, text: Tensor<3>, pad: Tensor<2, Bool>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let n = h * w;
        let tokens = |t: Tensor<4>| t.reshape([b, c, n]).swap_dims(1, 2);
        // Self-attention.
        let y = tokens(self.norm_self.forward(x.clone()));
        let qkv = self.qkv.forward(y);
        let q = qkv.clone().narrow(2, 0, c);
        let k = qkv.clone().narrow(2, c, c);
        let v = qkv.narrow(2, 2 * c, c);
        let a = self.attend(q, k, v, None);
        let x = x + self
            .out_self
            .forward(a)
            .swap_dims(1, 2)
            .reshape([b, c, h, w]);
        // Cross-attention to the prompt.
        let y = tokens(self.norm_cross.forward(x.clone()));
        let q = self.q.forward(y);
        let kv = self.kv.forward(text);
        let k = kv.clone().narrow(2, 0, c);
        let v = kv.narrow(2, c, c);
        let a = self.attend(q, k, v, Some(pad));
        x + self
            .out_cross
            .forward(a)
            .swap_dims(1, 2)
            .reshape([b, c, h, w])
    }

    /// Scaled dot-product attention with `heads` heads: q `[B, N, C]`, k and v `[B, M, C]`;
    /// `pad` `[B, M]` marks keys to ignore.
    fn attend(
        &self,
        q: Tensor<3>,
        k: Tensor<3>,
        v: Tensor<3>,
        pad: Option<Tensor<2, Bool>>,
    ) -> Tensor<3> {
        let [b, n, c] = q.dims();
        let m = k.dims()[1];
        let hd = c / self.heads;
        let split = |t: Tensor<3>, len: usize| {
            t.reshape([b, len, self.heads, hd]).swap_dims(1, 2) // [B, H, len, hd]
        };
        let (q, k, v) = (split(q, n), split(k, m), split(v, m));
        let mut scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt();
        if let Some(pad) = pad {
            let mask = pad.reshape([b, 1, 1, m]).expand([b, self.heads, n, m]);
            scores = scores.mask_fill(mask, -1.0e4);
        }
        let weights = softmax(scores, 3);
        weights.matmul(v).swap_dims(1, 2).reshape([b, n, c])
    }
}

/// The whole denoiser. `forward(x_t, t, prompt ids)` predicts the diffusion target (ε, v or x₀,
/// see [`super::diffusion`]).
#[derive(Module, Debug)]
pub struct Denoiser {
    text: TextEncoder,
    time_in: Linear,
    time_out: Linear,
    stem: Conv2d,
    down: Vec<Stage>,
    downsample: Vec<Conv2d>,
    middle: Stage,
    up: Vec<Stage>,
    upsample: Vec<Conv2d>,
    out_norm: GroupNorm,
    out: Conv2d,
    upscale: Interpolate2d,
    time_width: usize,
}

impl Denoiser {
    /// `x` `[B, C, H, W]` in [-1, 1]; `t` `[B]` continuous time in [0, 1]; `ids` `[B, L]`.
    pub fn forward(&self, x: Tensor<4>, t: Tensor<1>, ids: Tensor<2, Int>) -> Tensor<4> {
        let (text, pooled, pad) = self.text.forward(ids);
        let temb = timestep_embedding(t, self.time_width);
        let cond = self.time_out.forward(silu(self.time_in.forward(temb))) + pooled;
        let mut h = self.stem.forward(x);
        let mut skips = Vec::new();
        for (i, stage) in self.down.iter().enumerate() {
            h = stage.forward(h, cond.clone(), &text, &pad);
            skips.push(h.clone());
            if let Some(d) = self.downsample.get(i) {
                h = d.forward(h);
            }
        }
        h = self.middle.forward(h, cond.clone(), &text, &pad);
        for (i, stage) in self.up.iter().enumerate() {
            let skip = skips.pop().expect("one skip per level");
            h = stage.forward(Tensor::cat(vec![h, skip], 1), cond.clone(), &text, &pad);
            if let Some(u) = self.upsample.get(i) {
                h = u.forward(self.upscale.forward(h));
            }
        }
        self.out.forward(silu(self.out_norm.forward(h)))
    }
}

/// Sinusoidal features of continuous time `t` ∈ [0, 1], `[B] → [B, width]`.
fn timestep_embedding(t: Tensor<1>, width: usize) -> Tensor<2> {
    let [b] = t.dims();
    let device = t.device();
    let half = width / 2;
    let freqs: Vec<f32> = (0..half)
        .map(|i| (-(10_000f32.ln()) * i as f32 / half as f32).exp() * 1000.0)
        .collect();
    let freqs = Tensor::<1>::from_floats(freqs.as_slice(), &device).reshape([1, half]);
    let args = t.reshape([b, 1]) * freqs;
    Tensor::cat(vec![args.clone().sin(), args.cos()], 1)
}
