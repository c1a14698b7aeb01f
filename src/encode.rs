//! Encode: images to JPEG or PNG (fast compression).
//!
//! JPEG goes through libjpeg-turbo (the `turbojpeg` feature, on by default: about 1 ms for a
//! 512² image, 3–4× the pure-Rust encoder) or, built without it, the pure-Rust `jpeg-encoder`.
//! Both take the same chroma choice (full chroma from quality 90 up, 4:2:0 below), so only the
//! entropy-coded bytes differ between builds; within one build output is deterministic.

use anyhow::Result;
use image::RgbImage;

use crate::recipe::ImageFormat;

/// Which JPEG encoder this build uses, for the bench report and the manifest.
pub const JPEG_ENCODER: &str = if cfg!(feature = "turbojpeg") {
    "libjpeg-turbo"
} else {
    "jpeg-encoder (pure Rust)"
};

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

#[cfg(feature = "turbojpeg")]
mod turbo {
    use std::cell::RefCell;

    use anyhow::Result;
    use image::RgbImage;

    thread_local! {
        /// One libjpeg-turbo handle per thread: creating one costs more than a small crop.
        static COMPRESSOR: RefCell<Option<turbojpeg::Compressor>> = const { RefCell::new(None) };
        static DECOMPRESSOR: RefCell<Option<turbojpeg::Decompressor>> = const { RefCell::new(None) };
    }

    pub fn encode(img: &RgbImage, quality: u8) -> Result<Vec<u8>> {
        COMPRESSOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            let c = match slot.as_mut() {
                Some(c) => c,
                None => slot.insert(turbojpeg::Compressor::new()?),
            };
            c.set_quality(i32::from(quality.clamp(1, 100)))?;
            c.set_subsamp(if quality < 90 {
                turbojpeg::Subsamp::Sub2x2
            } else {
                turbojpeg::Subsamp::None
            })?;
            let image = turbojpeg::Image {
                pixels: img.as_raw().as_slice(),
                width: img.width() as usize,
                pitch: img.width() as usize * 3,
                height: img.height() as usize,
                format: turbojpeg::PixelFormat::RGB,
            };
            Ok(c.compress_to_vec(image)?)
        })
    }

    pub fn decode(bytes: &[u8]) -> Result<RgbImage> {
        DECOMPRESSOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            let d = match slot.as_mut() {
                Some(d) => d,
                None => slot.insert(turbojpeg::Decompressor::new()?),
            };
            let header = d.read_header(bytes)?;
            let (w, h) = (header.width, header.height);
            let mut pixels = vec![0u8; w * h * 3];
            let image = turbojpeg::Image {
                pixels: pixels.as_mut_slice(),
                width: w,
                pitch: w * 3,
                height: h,
                format: turbojpeg::PixelFormat::RGB,
            };
            d.decompress(bytes, image)?;
            RgbImage::from_raw(w as u32, h as u32, pixels)
                .ok_or_else(|| anyhow::anyhow!("decoded JPEG has the wrong size"))
        })
    }
}

fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>> {
    #[cfg(feature = "turbojpeg")]
    {
        turbo::encode(img, quality)
    }
    #[cfg(not(feature = "turbojpeg"))]
    {
        let (w, h) = (img.width(), img.height());
        let mut out = Vec::with_capacity((w * h) as usize / 4);
        // jpeg-encoder picks 4:2:0 below quality 90 and full chroma from 90 up, like `turbo`.
        let enc = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
        enc.encode(
            img.as_raw(),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgb,
        )?;
        Ok(out)
    }
}

/// Decodes a JPEG this module encoded (the re-compression effect), with the same library.
pub fn decode_jpeg(bytes: &[u8]) -> Result<RgbImage> {
    #[cfg(feature = "turbojpeg")]
    {
        turbo::decode(bytes)
    }
    #[cfg(not(feature = "turbojpeg"))]
    {
        Ok(image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)?.to_rgb8())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
