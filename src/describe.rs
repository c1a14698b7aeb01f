//! Words for what is in the picture, in English and Chinese, for captions that describe it:
//! colour names, the background (kind, colour, a bundled photo's subject) and type styles.
//!
//! Captions that only quote the text ("a poster that reads …" over a close-up of a cat) teach a
//! model nothing about the scene, and contradict it. Qwen-Image's synthetic captions name the
//! background and the text colour ("On a <background_color> background, displaying
//! <word_color> text …"); these are the words for such templates.

use crate::recipe::BackgroundKind;

/// A name in both caption languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub en: String,
    pub zh: String,
}

impl Named {
    fn new(en: impl Into<String>, zh: impl Into<String>) -> Named {
        Named {
            en: en.into(),
            zh: zh.into(),
        }
    }
}

/// Hue in degrees, saturation and lightness (0–1) of an sRGB colour.
fn hsl(rgb: [u8; 3]) -> (f64, f64, f64) {
    let [r, g, b] = rgb.map(|v| f64::from(v) / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    let d = max - min;
    if d < 1e-9 {
        return (0.0, 0.0, l);
    }
    let s = d / (1.0 - (2.0 * l - 1.0).abs());
    let h = if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    (h, s, l)
}

/// The everyday name of a colour ("light blue" / "浅蓝色"), from its hue, saturation and
/// lightness: the words a person would use, not a paint catalogue's.
pub fn color_name(rgb: [u8; 3]) -> Named {
    let (h, _, l) = hsl(rgb);
    // Chroma, not HSL saturation: a near-white with a faint tint has a large HSL saturation
    // but looks white (paper at [236, 222, 222] is not "pink").
    let chroma = f64::from(rgb.iter().max().unwrap() - rgb.iter().min().unwrap()) / 255.0;
    if l < 0.13 {
        return Named::new("black", "黑色");
    }
    if chroma < 0.07 {
        return match l {
            l if l > 0.88 => Named::new("white", "白色"),
            l if l > 0.65 => Named::new("light grey", "浅灰色"),
            l if l < 0.32 => Named::new("dark grey", "深灰色"),
            _ => Named::new("grey", "灰色"),
        };
    }
    // Warm, pale and muted: paper, sand, cream, tan.
    if (20.0..65.0).contains(&h) && l > 0.65 && chroma < 0.3 {
        return Named::new("beige", "米色");
    }
    let (en, zh) = match h {
        h if !(12.0..335.0).contains(&h) => {
            if l > 0.72 {
                // Pale red is pink, not "light pink".
                return Named::new("pink", "粉色");
            }
            ("red", "红色")
        }
        h if h < 42.0 => {
            if l < 0.42 {
                return Named::new("brown", "棕色");
            }
            ("orange", "橙色")
        }
        h if h < 68.0 => {
            if l < 0.32 {
                return Named::new("olive", "橄榄色");
            }
            ("yellow", "黄色")
        }
        h if h < 160.0 => ("green", "绿色"),
        h if h < 195.0 => ("cyan", "青色"),
        h if h < 255.0 => ("blue", "蓝色"),
        h if h < 290.0 => ("purple", "紫色"),
        _ => {
            if l > 0.65 {
                return Named::new("pink", "粉色");
            }
            ("magenta", "品红色")
        }
    };
    if l > 0.75 {
        Named::new(format!("light {en}"), format!("浅{zh}"))
    } else if l < 0.3 {
        Named::new(format!("dark {en}"), format!("深{zh}"))
    } else {
        Named::new(en, zh)
    }
}

/// The mean colour of an image, from every `step`-th pixel of every `step`-th row (a summary,
/// not a measurement: the background's overall tone).
pub fn mean_color(img: &image::RgbImage, step: u32) -> [u8; 3] {
    let step = step.max(1);
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for y in (0..img.height()).step_by(step as usize) {
        for x in (0..img.width()).step_by(step as usize) {
            let p = img.get_pixel(x, y).0;
            for c in 0..3 {
                sum[c] += u64::from(p[c]);
            }
            n += 1;
        }
    }
    if n == 0 {
        return [0; 3];
    }
    sum.map(|v| ((v + n / 2) / n) as u8)
}

/// What a bundled photo or texture shows, from the `subject_en`/`subject_zh` columns of
/// `backgrounds/manifest.tsv` (the one place its assets are described). `file` is the
/// manifest's file name.
pub fn bundled_subject(file: &str) -> Option<Named> {
    const MANIFEST: &str = include_str!("../backgrounds/manifest.tsv");
    let mut rows = MANIFEST.lines();
    let header: Vec<&str> = rows.next()?.split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (f, en, zh) = (col("file")?, col("subject_en")?, col("subject_zh")?);
    rows.map(|r| r.split('\t').collect::<Vec<_>>())
        .find(|r| r.get(f) == Some(&file))
        .and_then(|r| Some(Named::new(*r.get(en)?, *r.get(zh)?)))
        .filter(|n| !n.en.is_empty() && !n.zh.is_empty())
}

/// The background as a caption phrase: "a plain light grey background" / "浅灰色纯色背景",
/// "a photo of a cat" / "一只猫的照片". `source` is the metadata's background source
/// (`bundled:backgrounds/FILE` names a bundled asset); `color` its mean colour. A user's photo
/// is described by its tone, since nothing says what it shows.
pub fn background_phrase(kind: BackgroundKind, source: &str, color: [u8; 3]) -> Named {
    let c = color_name(color);
    let subject = source
        .strip_prefix("bundled:backgrounds/")
        .and_then(bundled_subject);
    match kind {
        BackgroundKind::Solid => Named::new(
            format!("a plain {} background", c.en),
            format!("{}纯色背景", c.zh),
        ),
        BackgroundKind::LinearGradient | BackgroundKind::RadialGradient => Named::new(
            format!("a {} gradient background", c.en),
            format!("{}渐变背景", c.zh),
        ),
        BackgroundKind::Noise => Named::new(
            format!("a mottled {} background", c.en),
            format!("{}斑驳背景", c.zh),
        ),
        BackgroundKind::Paper => Named::new(
            format!("a sheet of {} paper", c.en),
            format!("{}的纸张", c.zh),
        ),
        BackgroundKind::Texture => subject.unwrap_or_else(|| {
            Named::new(
                format!("a {} textured surface", c.en),
                format!("{}纹理表面", c.zh),
            )
        }),
        BackgroundKind::Photo => match subject {
            Some(s) => Named::new(format!("a photo of {}", s.en), format!("{}的照片", s.zh)),
            None => Named::new(
                format!("a photo in {} tones", c.en),
                format!("{}色调的照片", c.zh.trim_end_matches('色')),
            ),
        },
    }
}

/// A font style label (`fonts` lists them: sans, serif, kai, …) as caption words; `None` for
/// a label these captions have no words for (a user's own label).
/// What a carrier is called in captions, with its colour: "a red fabric banner",
/// "一条红色的布横幅".
pub fn carrier_phrase(kind: crate::recipe::CarrierKind, base: [u8; 3]) -> Named {
    use crate::recipe::CarrierKind as K;
    let c = color_name(base);
    let (en, zh) = match kind {
        K::PaperCard => ("paper card", "一张{}的纸卡"),
        K::WoodenBoard => ("wooden board", "一块{}的木板"),
        K::Cardboard => ("piece of cardboard", "一块{}的纸板"),
        K::FabricBanner => ("fabric banner", "一条{}的布横幅"),
        // An LED panel is named by its lamps, not its dark face.
        K::LedSign => return Named::new("an LED sign", "一块LED显示屏"),
        K::ShopSign => ("shop sign", "一块{}的店铺招牌"),
    };
    let article = if c.en.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    Named::new(format!("{article} {} {en}", c.en), zh.replace("{}", &c.zh))
}

pub fn style_name(style: &str) -> Option<Named> {
    let (en, zh) = match style {
        "sans" => ("sans-serif", "黑体"),
        "serif" => ("serif", "宋体"),
        "kai" => ("regular-script", "楷体"),
        "fangsong" => ("fangsong", "仿宋"),
        "rounded" => ("rounded", "圆体"),
        "display" => ("display", "艺术字"),
        "brush" => ("brush-calligraphy", "毛笔"),
        "handwriting" => ("handwritten", "手写"),
        _ => return None,
    };
    Some(Named::new(en, zh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_get_everyday_names() {
        let en = |rgb| color_name(rgb).en;
        assert_eq!(en([0, 0, 0]), "black");
        assert_eq!(en([20, 20, 20]), "black");
        assert_eq!(en([255, 255, 255]), "white");
        assert_eq!(en([245, 245, 245]), "white");
        assert_eq!(en([128, 128, 128]), "grey");
        assert_eq!(en([200, 200, 200]), "light grey");
        assert_eq!(en([60, 60, 60]), "dark grey");
        assert_eq!(en([220, 30, 30]), "red");
        assert_eq!(en([90, 15, 15]), "dark red");
        assert_eq!(en([250, 150, 30]), "orange");
        assert_eq!(en([110, 60, 20]), "brown");
        assert_eq!(en([240, 220, 40]), "yellow");
        assert_eq!(en([30, 160, 40]), "green");
        assert_eq!(en([30, 60, 200]), "blue");
        assert_eq!(en([15, 25, 60]), "dark blue");
        assert_eq!(en([170, 200, 250]), "light blue");
        assert_eq!(en([130, 40, 180]), "purple");
        assert_eq!(en([250, 180, 200]), "pink");
        // Paper and cream tones from the recipes' palettes.
        assert_eq!(en([250, 248, 240]), "white");
        assert_eq!(en([236, 230, 214]), "beige");
        assert_eq!(color_name([15, 25, 60]).zh, "深蓝色");
        assert_eq!(color_name([236, 230, 214]).zh, "米色");
        assert_eq!(en([236, 222, 222]), "white");
        assert_eq!(en([214, 190, 150]), "beige");
        assert_eq!(en([250, 200, 120]), "orange");
    }

    #[test]
    fn mean_colour_summarises_the_image() {
        let mut img = image::RgbImage::from_pixel(8, 8, image::Rgb([200, 0, 0]));
        for y in 0..4 {
            for x in 0..8 {
                img.put_pixel(x, y, image::Rgb([0, 0, 100]));
            }
        }
        assert_eq!(mean_color(&img, 1), [100, 0, 50]);
        assert_eq!(mean_color(&image::RgbImage::new(0, 0), 4), [0, 0, 0]);
    }

    #[test]
    fn every_bundled_background_says_what_it_shows() {
        for b in crate::background::BUNDLED_IMAGES {
            let s = bundled_subject(b.file)
                .unwrap_or_else(|| panic!("{}: no subject_en/subject_zh in the manifest", b.file));
            assert!(s.en.is_ascii() && !s.zh.is_ascii(), "{}: {s:?}", b.file);
        }
        assert_eq!(
            bundled_subject("photo_skimage_chelsea.jpg").unwrap().en,
            "a cat"
        );
        assert_eq!(bundled_subject("no_such_file.jpg"), None);
    }

    #[test]
    fn backgrounds_are_named_by_kind_colour_and_subject() {
        let p = background_phrase(BackgroundKind::Solid, "solid", [200, 200, 200]);
        assert_eq!(
            p,
            Named::new("a plain light grey background", "浅灰色纯色背景")
        );
        let cat = background_phrase(
            BackgroundKind::Photo,
            "bundled:backgrounds/photo_skimage_chelsea.jpg",
            [120, 100, 90],
        );
        assert_eq!(cat, Named::new("a photo of a cat", "一只猫的照片"));
        let user = background_phrase(BackgroundKind::Photo, "/data/x.jpg", [30, 60, 200]);
        assert_eq!(user, Named::new("a photo in blue tones", "蓝色调的照片"));
        let brick = background_phrase(
            BackgroundKind::Texture,
            "bundled:backgrounds/texture_skimage_brick.jpg",
            [150, 80, 60],
        );
        assert_eq!(brick.en, "a brick wall");
    }
}
