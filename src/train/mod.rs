//! The bundled trainer (cargo feature `train`): a tiny text-conditioned pixel diffusion model
//! trained on the generator's samples, an independent glyph judge, evaluation and recipe A/B.
//!
//! The seam to the generator is narrow: [`data`] asks the library for sample *i* exactly as
//! `generate` would write it ([`crate::generate::produce`]) and decodes it; nothing else of the
//! generator is touched. Model, diffusion process and training loop each live in one place
//! ([`model`], [`diffusion`], [`trainer`]), burn's examples' way.

pub mod ab;
pub mod checkpoint;
pub mod cli;
pub mod data;
pub mod diffusion;
pub mod ema;
pub mod eval;
pub mod grid;
pub mod judge;
pub mod metrics;
pub mod model;
pub mod plot;
pub mod sampler;
pub mod trainer;
pub mod vocab;
