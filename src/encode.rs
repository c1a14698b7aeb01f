//! Encode: images to JPEG (pure-Rust `jpeg-encoder`) or PNG (fast compression).

use anyhow::Result;
use image::RgbImage;

use crate::recipe::ImageFormat;

pub fn encode(img: &RgbImage, format: ImageFormat, jpeg_quality: u8) -> Result<Vec<u8>> {
    let (w, h) = (img.width(), img.height());
    let mut out = Vec::with_capacity((w * h) as usize / 4);
    match format {
        ImageFormat::Jpg => {
            let enc = jpeg_encoder::Encoder::new(&mut out, jpeg_quality);
            enc.encode(
                img.as_raw(),
                w as u16,
                h as u16,
                jpeg_encoder::ColorType::Rgb,
            )?;
        }
        ImageFormat::Png => {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Fast);
            let mut writer = enc.write_header()?;
            writer.write_image_data(img.as_raw())?;
            writer.finish()?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_decode_back() {
        let img = RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 100]));
        let png = encode(&img, ImageFormat::Png, 90).unwrap();
        assert_eq!(image::load_from_memory(&png).unwrap().to_rgb8(), img);
        let jpg = encode(&img, ImageFormat::Jpg, 95).unwrap();
        let back = image::load_from_memory(&jpg).unwrap().to_rgb8();
        assert_eq!((back.width(), back.height()), (64, 48));
        let err: u64 = img
            .as_raw()
            .iter()
            .zip(back.as_raw())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        assert!(err / (64 * 48 * 3) < 4);
    }
}
