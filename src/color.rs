//! Text colour: chosen against the background actually under the text to meet a WCAG contrast.

use crate::rng::Rng;

/// Relative luminance of an sRGB colour (WCAG 2).
pub fn luminance(c: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG contrast ratio between two luminances (1 to 21).
pub fn contrast(l1: f64, l2: f64) -> f64 {
    let (hi, lo) = if l1 > l2 { (l1, l2) } else { (l2, l1) };
    (hi + 0.05) / (lo + 0.05)
}

/// The contrast of `color` against the worst of the background luminances `under` (their
/// 10th and 90th percentiles, so that a busy background is judged by its hard parts).
pub fn worst_contrast(color: [u8; 3], dark: f64, light: f64) -> f64 {
    let l = luminance(color);
    contrast(l, dark).min(contrast(l, light))
}

/// 10th and 90th percentile of luminances (`(0.5, 0.5)` when empty).
pub fn luminance_spread(mut lums: Vec<f64>) -> (f64, f64) {
    if lums.is_empty() {
        return (0.5, 0.5);
    }
    lums.sort_by(f64::total_cmp);
    let at = |q: f64| lums[((lums.len() - 1) as f64 * q).round() as usize];
    (at(0.1), at(0.9))
}

/// A random saturated or muted colour.
pub fn random_color(rng: &mut Rng) -> [u8; 3] {
    hsv(
        rng.f64() * 360.0,
        rng.range_f64(0.0, 1.0).powf(0.7),
        rng.range_f64(0.05, 1.0),
    )
}

pub fn hsv(h: f64, s: f64, v: f64) -> [u8; 3] {
    let c = v * s;
    let hp = (h.rem_euclid(360.0)) / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r, g, b].map(|t| ((t + m) * 255.0).round().clamp(0.0, 255.0) as u8)
}

/// Picks a text colour reaching `min_contrast` against background luminances spread
/// `(dark, light)`: random colours first, then black or white. Returns the colour and the contrast
/// it reaches (possibly below the target when even black or white cannot reach it).
pub fn choose_text_color(
    dark: f64,
    light: f64,
    min_contrast: f64,
    attempts: u32,
    rng: &mut Rng,
) -> ([u8; 3], f64) {
    for _ in 0..attempts {
        let c = random_color(rng);
        let k = worst_contrast(c, dark, light);
        if k >= min_contrast {
            return (c, k);
        }
    }
    let black = ([0, 0, 0], worst_contrast([0, 0, 0], dark, light));
    let white = (
        [255, 255, 255],
        worst_contrast([255, 255, 255], dark, light),
    );
    if black.1 >= white.1 {
        black
    } else {
        white
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wcag_reference_values() {
        assert!((contrast(luminance([0, 0, 0]), luminance([255, 255, 255])) - 21.0).abs() < 1e-9);
        assert!((contrast(0.3, 0.3) - 1.0).abs() < 1e-12);
        // #777 on white is the classic 4.48:1.
        let k = contrast(luminance([0x77; 3]), 1.0);
        assert!((k - 4.48).abs() < 0.01, "{k}");
    }

    #[test]
    fn chosen_colors_meet_the_target() {
        let mut rng = Rng::new(1);
        for bg in [
            [250, 250, 240],
            [10, 20, 30],
            [120, 130, 110],
            [200, 40, 40],
        ] {
            let l = luminance(bg);
            let (c, k) = choose_text_color(l, l, 4.5, 12, &mut rng);
            assert!(k >= 4.5, "{bg:?} → {c:?} {k}");
            assert!((worst_contrast(c, l, l) - k).abs() < 1e-12);
        }
        // A background spanning black to white cannot reach 4.5 with any colour.
        let (_, k) = choose_text_color(0.0, 1.0, 4.5, 12, &mut rng);
        assert!(k < 4.5);
    }
}
