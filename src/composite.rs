//! Composite: puts coloured text layers onto the background.
//!
//! Compositing sits behind the [`Compositor`] trait so that a GPU implementation can produce the
//! same pictures; [`CpuCompositor`] is the reference. Blending is integer arithmetic on 8-bit
//! values, so results are bit-identical on every machine.

use image::RgbImage;

use crate::geometry::Homography;
use crate::render::AlphaLayer;
use crate::warp::{warp_alpha, WarpedAlpha};

/// One text layer to put on the canvas.
pub struct TextLayer<'a> {
    pub alpha: &'a AlphaLayer,
    /// Layer pixel coordinates → canvas pixel coordinates.
    pub to_canvas: Homography,
    pub color: [u8; 3],
}

pub trait Compositor {
    /// Draws `layers` in order onto `canvas`.
    fn composite(&mut self, canvas: &mut RgbImage, layers: &[TextLayer<'_>]);
}

/// The reference CPU compositor: bilinear inverse warp, then "over" blending.
#[derive(Default)]
pub struct CpuCompositor;

/// Blends a solid colour through a canvas-space alpha box.
pub fn blend_solid(canvas: &mut RgbImage, warped: &WarpedAlpha, color: [u8; 3]) {
    let width = canvas.width();
    let buf: &mut [u8] = canvas.as_mut();
    for row in 0..warped.height {
        let y = warped.y0 + row;
        let src = &warped.data[(row * warped.width) as usize..((row + 1) * warped.width) as usize];
        let start = ((y * width + warped.x0) * 3) as usize;
        let dst = &mut buf[start..start + 3 * warped.width as usize];
        for (px, &a) in dst.chunks_exact_mut(3).zip(src) {
            if a == 0 {
                continue;
            }
            let a = u32::from(a);
            for ch in 0..3 {
                let v = u32::from(px[ch]) * (255 - a) + u32::from(color[ch]) * a;
                px[ch] = ((v + 127) / 255) as u8;
            }
        }
    }
}

impl Compositor for CpuCompositor {
    fn composite(&mut self, canvas: &mut RgbImage, layers: &[TextLayer<'_>]) {
        for layer in layers {
            let warped = warp_alpha(
                layer.alpha,
                &layer.to_canvas,
                canvas.width(),
                canvas.height(),
            );
            blend_solid(canvas, &warped, layer.color);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_and_half_coverage_blend() {
        let mut canvas = RgbImage::from_pixel(4, 4, image::Rgb([200, 100, 0]));
        let alpha = AlphaLayer {
            width: 2,
            height: 1,
            data: vec![255, 128],
        };
        let layer = TextLayer {
            alpha: &alpha,
            to_canvas: Homography::translate(1.0, 2.0),
            color: [0, 0, 255],
        };
        CpuCompositor.composite(&mut canvas, &[layer]);
        assert_eq!(canvas.get_pixel(1, 2).0, [0, 0, 255]);
        assert_eq!(canvas.get_pixel(2, 2).0, [100, 50, 128]);
        assert_eq!(canvas.get_pixel(0, 0).0, [200, 100, 0]);
    }
}
