//! Placement: where a block goes. Text is legible where the background is calm, so every
//! candidate spot is scored by the background's texture energy (mean luminance gradient) under
//! it, read from an integral image in O(1); blocks must also stay clear of each other.

use image::RgbImage;

use crate::background::Thumbnail;
use crate::geometry::Rect;

/// Side of the square cells texture energy is summed over, in held (thumbnail) pixels.
const CELL: u32 = 2;

/// Per-cell luminance gradient energy of a background's thumbnail, as an integral table. The
/// energy only ranks spots (the calmest wins), so gradients between held pixels — a step
/// apart on the canvas — serve as well as the canvas's own.
pub struct TextureMap {
    cols: usize,
    rows: usize,
    /// Side of a cell in canvas pixels.
    cell_px: f64,
    /// `(cols + 1) × (rows + 1)` prefix sums of the per-cell energy.
    integral: Vec<u64>,
}

impl TextureMap {
    /// The map of the background `thumb` holds.
    pub fn new(thumb: &Thumbnail) -> TextureMap {
        Self::of_grid(&thumb.image, thumb.step)
    }

    crate::simd::avx2_dispatch! {
    /// The map of `img`, whose pixels lie `step` canvas pixels apart (its loops vectorise;
    /// compiled for AVX2 too).
    fn of_grid(img: &RgbImage, step: u32) -> TextureMap {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let (cols, rows) = (w.div_ceil(CELL as usize), h.div_ceil(CELL as usize));
        let raw = img.as_raw();
        // Integer luma (Rec. 709 weights in 1/256), two rows at a time.
        let luma_row = |y: usize, out: &mut [i32]| {
            for (l, p) in out
                .iter_mut()
                .zip(raw[y * w * 3..(y + 1) * w * 3].chunks_exact(3))
            {
                *l = (54 * i32::from(p[0]) + 183 * i32::from(p[1]) + 19 * i32::from(p[2])) >> 8;
            }
        };
        let mut cells = vec![0u64; cols * rows];
        let (mut row, mut below) = (vec![0i32; w], vec![0i32; w]);
        let mut grad = vec![0u32; w.div_ceil(CELL as usize) * CELL as usize];
        if h > 0 {
            luma_row(0, &mut row);
        }
        for y in 0..h.saturating_sub(1) {
            luma_row(y + 1, &mut below);
            // Gradients of the row first (a loop the compiler vectorises), then cell sums.
            for x in 0..w - 1 {
                grad[x] = (row[x + 1] - row[x]).unsigned_abs() + (below[x] - row[x]).unsigned_abs();
            }
            let cell_row = &mut cells[(y / CELL as usize) * cols..][..cols];
            for (cell, g) in cell_row.iter_mut().zip(grad.chunks_exact(CELL as usize)) {
                *cell += u64::from(g.iter().sum::<u32>());
            }
            std::mem::swap(&mut row, &mut below);
        }
        let mut integral = vec![0u64; (cols + 1) * (rows + 1)];
        for r in 0..rows {
            let mut run = 0;
            for c in 0..cols {
                run += cells[r * cols + c];
                integral[(r + 1) * (cols + 1) + c + 1] = integral[r * (cols + 1) + c + 1] + run;
            }
        }
        TextureMap {
            cols,
            rows,
            cell_px: f64::from(CELL * step),
            integral,
        }
    }
    }

    /// Mean gradient per held pixel over the cells that `rect` (canvas pixels) touches: ~0 on
    /// flat colour, tens on busy photos.
    pub fn mean_energy(&self, rect: &Rect) -> f64 {
        let cell = self.cell_px;
        let c0 = ((rect.x0 / cell).floor().max(0.0) as usize).min(self.cols);
        let r0 = ((rect.y0 / cell).floor().max(0.0) as usize).min(self.rows);
        let c1 = ((rect.x1 / cell).ceil().max(0.0) as usize).min(self.cols);
        let r1 = ((rect.y1 / cell).ceil().max(0.0) as usize).min(self.rows);
        if c1 <= c0 || r1 <= r0 {
            return 0.0;
        }
        let at = |r: usize, c: usize| self.integral[r * (self.cols + 1) + c];
        let sum = at(r1, c1) + at(r0, c0) - at(r0, c1) - at(r1, c0);
        sum as f64 / ((c1 - c0) * (r1 - r0)) as f64 / f64::from(CELL * CELL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_and_baseline_builds_agree() {
        for (i, (w, h)) in [(1, 1), (9, 2), (17, 13), (70, 33)].into_iter().enumerate() {
            let data = crate::simd::random_bytes(i as u64, (w * h * 3) as usize);
            let img = RgbImage::from_raw(w, h, data).unwrap();
            let fast = TextureMap::of_grid(&img, 4);
            let base = crate::simd::with_baseline(|| TextureMap::of_grid(&img, 4));
            assert_eq!((fast.cols, fast.rows), (base.cols, base.rows));
            assert_eq!(fast.integral, base.integral, "{w}×{h}");
        }
    }

    #[test]
    fn calm_regions_score_lower_than_busy_ones() {
        // A 256 × 128 canvas held every 4 pixels: left half flat, right half a checkerboard.
        let image = RgbImage::from_fn(64, 32, |x, y| {
            if x < 32 || (x + y) % 2 == 0 {
                image::Rgb([200, 200, 200])
            } else {
                image::Rgb([20, 20, 20])
            }
        });
        let map = TextureMap::new(&Thumbnail { image, step: 4 });
        let calm = map.mean_energy(&Rect::new(0.0, 0.0, 96.0, 128.0));
        let busy = map.mean_energy(&Rect::new(160.0, 0.0, 256.0, 128.0));
        assert_eq!(calm, 0.0);
        assert!(busy > 100.0, "{busy}");
        assert_eq!(map.mean_energy(&Rect::new(-50.0, -50.0, -10.0, -10.0)), 0.0);
    }
}
