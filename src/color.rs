//! Text colour: chosen against the background actually under the text to meet a WCAG contrast.

use crate::recipe::BlendMode;
use crate::rng::Rng;

/// Relative luminance of an sRGB colour (WCAG 2).
pub fn luminance(c: [u8; 3]) -> f64 {
    let lin = &*SRGB_TO_LINEAR;
    0.2126 * lin[c[0] as usize] + 0.7152 * lin[c[1] as usize] + 0.0722 * lin[c[2] as usize]
}

/// sRGB level → linear light, tabulated: placement asks for thousands of luminances per
/// block, and a `powf` each dominated it.
static SRGB_TO_LINEAR: std::sync::LazyLock<[f64; 256]> = std::sync::LazyLock::new(|| {
    std::array::from_fn(|v| {
        let s = v as f64 / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    })
});

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
    // Two order statistics: selection, not a sort (this runs for every spot and crop tried).
    let n = lums.len() - 1;
    let (lo, hi) = (
        (n as f64 * 0.1).round() as usize,
        (n as f64 * 0.9).round() as usize,
    );
    let (_, &mut high, _) = lums.select_nth_unstable_by(hi, f64::total_cmp);
    let (_, &mut low, _) = lums[..=hi].select_nth_unstable_by(lo, f64::total_cmp);
    (low, high)
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

/// The grey whose luminance is `l` (the inverse of [`luminance`] for greys).
pub fn grey_of_luminance(l: f64) -> [u8; 3] {
    let l = l.clamp(0.0, 1.0);
    let s = if l <= 0.04045 / 12.92 {
        l * 12.92
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    };
    [(s * 255.0).round() as u8; 3]
}

/// The colour a pixel of `bg` takes under fully covering ink of `color` at `opacity` (0–255)
/// with blend `mode`: the same integer arithmetic as the compositor.
pub fn blended(color: [u8; 3], bg: [u8; 3], opacity: u8, mode: BlendMode) -> [u8; 3] {
    let a = u32::from(opacity);
    [0, 1, 2].map(|i| {
        let b = u32::from(bg[i]);
        let ink = match mode {
            BlendMode::Normal => u32::from(color[i]),
            BlendMode::Multiply => (b * u32::from(color[i]) + 127) / 255,
        };
        ((b * (255 - a) + ink * a + 127) / 255) as u8
    })
}

/// The contrast the ink actually shows against backgrounds of luminance `dark` and `light`
/// (greys stand in for the background colour): the worse of the two.
pub fn effective_contrast(
    color: [u8; 3],
    opacity: u8,
    mode: BlendMode,
    dark: f64,
    light: f64,
) -> f64 {
    if opacity == 255 && mode == BlendMode::Normal {
        return worst_contrast(color, dark, light);
    }
    [dark, light]
        .iter()
        .map(|&l| {
            contrast(
                luminance(blended(color, grey_of_luminance(l), opacity, mode)),
                l,
            )
        })
        .fold(f64::INFINITY, f64::min)
}

/// Picks a text colour whose `judge`d contrast reaches `min_contrast`: palette colours first (in
/// random order), then `attempts` random colours, then the better of black and white. Returns
/// the colour and its contrast (below the target when nothing reaches it).
pub fn choose_color_by(
    palette: &[[u8; 3]],
    min_contrast: f64,
    attempts: u32,
    rng: &mut Rng,
    judge: impl Fn([u8; 3]) -> f64,
) -> ([u8; 3], f64) {
    let mut order: Vec<usize> = (0..palette.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    for c in order.into_iter().map(|i| palette[i]) {
        let k = judge(c);
        if k >= min_contrast {
            return (c, k);
        }
    }
    for _ in 0..attempts {
        let c = random_color(rng);
        let k = judge(c);
        if k >= min_contrast {
            return (c, k);
        }
    }
    let black = ([0, 0, 0], judge([0, 0, 0]));
    let white = ([255, 255, 255], judge([255, 255, 255]));
    if black.1 >= white.1 {
        black
    } else {
        white
    }
}

/// Picks an opaque text colour reaching `min_contrast` against background luminances spread
/// `(dark, light)`: random colours first, then black or white.
pub fn choose_text_color(
    dark: f64,
    light: f64,
    min_contrast: f64,
    attempts: u32,
    rng: &mut Rng,
) -> ([u8; 3], f64) {
    choose_color_by(&[], min_contrast, attempts, rng, |c| {
        worst_contrast(c, dark, light)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luminance_spread_is_the_10th_and_90th_percentile_of_the_sorted_values() {
        let mut rng = Rng::new(7);
        for n in [1usize, 2, 3, 10, 11, 157, 1500] {
            let lums: Vec<f64> = (0..n).map(|_| (rng.f64() * 8.0).floor() / 8.0).collect();
            let mut sorted = lums.clone();
            sorted.sort_by(f64::total_cmp);
            let at = |q: f64| sorted[((n - 1) as f64 * q).round() as usize];
            assert_eq!(luminance_spread(lums), (at(0.1), at(0.9)), "n = {n}");
        }
        assert_eq!(luminance_spread(Vec::new()), (0.5, 0.5));
    }

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

    #[test]
    fn translucent_and_printed_ink_is_judged_by_its_blended_colour() {
        for l in [0.0, 0.01, 0.2, 0.5, 1.0] {
            let g = grey_of_luminance(l);
            assert!((luminance(g) - l).abs() < 0.01, "{l} → {g:?}");
        }
        let paper = luminance([240, 240, 240]);
        let solid = effective_contrast([0, 0, 0], 255, BlendMode::Normal, paper, paper);
        let faint = effective_contrast([0, 0, 0], 100, BlendMode::Normal, paper, paper);
        assert!(faint < solid / 2.0, "{faint} vs {solid}");
        // Multiplying black is black; multiplying white changes nothing.
        let printed = effective_contrast([0, 0, 0], 255, BlendMode::Multiply, paper, paper);
        assert!((printed - solid).abs() < 0.2);
        let invisible = effective_contrast([255; 3], 255, BlendMode::Multiply, paper, paper);
        assert!(invisible < 1.05);
        let mut rng = Rng::new(3);
        let (c, k) = choose_color_by(&[[255, 255, 0], [20, 20, 120]], 4.5, 0, &mut rng, |c| {
            worst_contrast(c, paper, paper)
        });
        assert_eq!((c, k >= 4.5), ([20, 20, 120], true));
    }
}
