//! Encode: images to JPEG or PNG (fast compression).
//!
//! JPEG goes through `libjpeg-turbo-rs`, a pure-Rust port of libjpeg-turbo with SIMD kernels:
//! libjpeg-turbo's speed (about 1 ms for a 512² image) and its exact bytes, with no C compiler,
//! cmake or nasm on the user's machine. Chroma: full from quality 90 up, 4:2:0 below (what
//! trainers' own JPEG pipelines mostly see). Output is deterministic.

use anyhow::{anyhow, Result};
use image::RgbImage;
use libjpeg_turbo_rs::{PixelFormat, Subsampling};

use crate::recipe::ImageFormat;

/// The JPEG encoder build, for the bench report, `--version` and the manifest's `tool`: datasets
/// are byte-reproducible only with the same encoder.
pub const JPEG_ENCODER: &str = "libjpeg-turbo-rs 0.9";

pub fn encode(img: &RgbImage, format: ImageFormat, jpeg_quality: u8) -> Result<Vec<u8>> {
    match format {
        ImageFormat::Jpg => encode_jpeg(img, jpeg_quality),
        ImageFormat::Png => encode_png(img),
    }
}

fn encode_png(img: &RgbImage) -> Result<Vec<u8>> {
    let (w, h) = (img.width(), img.height());
    let mut out = Vec::with_capacity((w * h) as usize / 2);
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // The default level is ~20× slower for a few percent smaller files.
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header()?;
    writer.write_image_data(img.as_raw())?;
    writer.finish()?;
    Ok(out)
}

/// Chroma subsampling for a quality: full chroma keeps thin coloured strokes crisp at high
/// quality; below 90 the eye (and the file size) prefers 4:2:0.
fn subsampling_for(quality: u8) -> Subsampling {
    if quality < 90 {
        Subsampling::S420
    } else {
        Subsampling::S444
    }
}

fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>> {
    let quality = quality.clamp(1, 100);
    libjpeg_turbo_rs::compress(
        img.as_raw(),
        img.width() as usize,
        img.height() as usize,
        PixelFormat::Rgb,
        quality,
        subsampling_for(quality),
    )
    .map_err(|e| anyhow!("JPEG encoding failed: {e}"))
}

/// Decodes a JPEG this module encoded (the re-compression effect), with the same library.
pub fn decode_jpeg(bytes: &[u8]) -> Result<RgbImage> {
    let image = libjpeg_turbo_rs::decompress_to(bytes, PixelFormat::Rgb)
        .map_err(|e| anyhow!("JPEG decoding failed: {e}"))?;
    RgbImage::from_raw(image.width as u32, image.height as u32, image.data)
        .ok_or_else(|| anyhow!("decoded JPEG has the wrong size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_the_encoder() {
        assert!(crate::VERSION.contains(JPEG_ENCODER), "{}", crate::VERSION);
    }

    #[test]
    fn both_formats_decode_back() {
        let img = RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 100]));
        let png = encode(&img, ImageFormat::Png, 90).unwrap();
        assert_eq!(image::load_from_memory(&png).unwrap().to_rgb8(), img);
        for q in [95, 60] {
            let jpg = encode(&img, ImageFormat::Jpg, q).unwrap();
            // Any JPEG reader (here zune-jpeg through `image`) reads what we write.
            let back = image::load_from_memory(&jpg).unwrap().to_rgb8();
            assert_eq!((back.width(), back.height()), (64, 48));
            let err: u64 = img
                .as_raw()
                .iter()
                .zip(back.as_raw())
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            assert!(
                err / (64 * 48 * 3) < 4,
                "quality {q}: mean error {}",
                err / (64 * 48 * 3)
            );
            assert_eq!(decode_jpeg(&jpg).unwrap().dimensions(), (64, 48));
            assert_eq!(
                encode(&img, ImageFormat::Jpg, q).unwrap(),
                jpg,
                "deterministic"
            );
        }
    }
}
