//! hanzi-synth: synthetic image–caption pairs for teaching image models to write Chinese.
//!
//! Pipeline stages, one module each, plain data between them:
//! corpus → fonts → layout → render → warp → composite → encode → sink.
//! [`scene`] plans one sample as pure data ([`plan::Plan`], every label included) and a
//! [`paint::Painter`] paints it; [`generate`] runs many samples in parallel and streams them,
//! in order, into a sink.

/// Version and JPEG encoder build, as `--version` prints it and the manifest's `tool` records it:
/// a dataset is byte-reproducible only with the same version and encoder.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (libjpeg-turbo-rs 0.9)");

pub mod background;
pub mod bench;
pub mod blur;
pub mod caption;
pub mod carrier;
pub mod color;
pub mod composite;
pub mod conditions;
pub mod corpus;
pub mod coverage;
pub mod crop;
pub mod describe;
pub mod effects;
pub mod encode;
pub mod files;
pub mod fonts;
pub mod generate;
pub mod geometry;
pub mod journal;
pub mod layout;
pub mod linebreak;
pub mod merge;
pub mod noise;
pub mod outlines;
pub mod paint;
pub mod placement;
pub mod plan;
pub mod preview;
pub mod quota;
pub mod recipe;
pub mod render;
pub mod rng;
pub mod scene;
pub mod schemas;
pub mod simd;
pub mod sink;
pub mod stats;
pub mod template;
pub mod tiers;
#[cfg(feature = "train")]
pub mod train;
pub mod verify;
pub mod warp;
