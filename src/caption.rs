//! Captions: a template per sample, in a language drawn by weight, quoting the rendered text.

use crate::recipe::{CaptionConfig, Language};
use crate::rng::Rng;

/// Fills a template with the block's lines joined by `line_joiner`; returns the caption, its
/// language and the template's index.
pub fn make_caption(
    cfg: &CaptionConfig,
    lines: &[String],
    rng: &mut Rng,
) -> (String, Language, usize) {
    let (langs, weights) = cfg.languages.options();
    let lang = langs[rng.weighted(&weights)];
    let list = templates(cfg, lang);
    let index = rng.below(list.len() as u64) as usize;
    (
        list[index].replace("{text}", &lines.join(&cfg.line_joiner)),
        lang,
        index,
    )
}

/// Words that only lead up to the quoted text ("a poster that reads …", "an image with the
/// words …"), dropped from the end of a scene phrase.
const LEAD_IN: [&str; 15] = [
    "that", "which", "reads", "reading", "says", "saying", "with", "the", "words", "word", "text",
    "written", "showing", "shows", "chinese",
];

/// An English phrase for the scene without its text: the English template's words before the
/// `{text}` slot, less the words that lead up to the text ("a poster that reads \"{text}\"" →
/// "a poster"; "Chinese characters \"{text}\" on a background" → "Chinese characters"). The
/// English template at the caption's template index is used whatever the caption's language:
/// AnyText's text encoder is English CLIP, and its loader appends the text itself as `*`
/// placeholders (", that reads * , * ."), so this caption must neither quote the text nor be
/// Chinese. "an image" when nothing is left.
pub fn scene_phrase_en(cfg: &CaptionConfig, template: usize) -> String {
    let Some(t) = cfg.en.get(template % cfg.en.len().max(1)) else {
        return "an image".into();
    };
    let before = t.split("{text}").next().unwrap_or_default();
    let mut words: Vec<&str> = before
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| "\"'“”‘’「」:：,，".contains(c)))
        .filter(|w| !w.is_empty())
        .collect();
    while words
        .last()
        .is_some_and(|w| LEAD_IN.contains(&w.to_lowercase().as_str()))
    {
        words.pop();
    }
    if words.is_empty() {
        "an image".into()
    } else {
        words.join(" ")
    }
}

/// The caption in English whatever language was drawn: the English template at the caption's
/// template index with the text (for trainers whose text encoder is English CLIP).
pub fn caption_en(cfg: &CaptionConfig, template: usize, lines: &[String]) -> String {
    cfg.en
        .get(template % cfg.en.len().max(1))
        .map_or_else(String::new, |t| {
            t.replace("{text}", &lines.join(&cfg.line_joiner))
        })
}

fn templates(cfg: &CaptionConfig, lang: Language) -> &[String] {
    match lang {
        Language::Zh => &cfg.zh,
        Language::En => &cfg.en,
    }
}

fn zh_position(word: &str) -> &'static str {
    match word {
        "top left" => "左上",
        "top" => "上方",
        "top right" => "右上",
        "left" => "左侧",
        "right" => "右侧",
        "bottom left" => "左下",
        "bottom" => "下方",
        "bottom right" => "右下",
        _ => "中间",
    }
}

/// Caption variants for caption dropout, always four, in this order: the caption itself; the
/// caption with where each line is (3×3 position words); the same template in the other
/// language (the caption again if that language has no templates); the quoted text alone.
/// `lines` are (text, position word) of the drawn lines.
pub fn caption_variants(
    cfg: &CaptionConfig,
    caption: &str,
    lang: Language,
    template: usize,
    lines: &[(String, &str)],
) -> Vec<String> {
    let texts: Vec<String> = lines.iter().map(|l| l.0.clone()).collect();
    let joined = texts.join(&cfg.line_joiner);
    let with_positions = match lang {
        Language::Zh => {
            let parts: Vec<String> = lines
                .iter()
                .map(|(t, p)| format!("“{t}”在{}", zh_position(p)))
                .collect();
            format!("{caption}，{}", parts.join("，"))
        }
        Language::En => {
            let parts: Vec<String> = lines
                .iter()
                .map(|(t, p)| {
                    let at = if *p == "center" { "in the" } else { "at the" };
                    format!("\"{t}\" {at} {p}")
                })
                .collect();
            format!("{caption}, with {}", parts.join(" and "))
        }
    };
    let other = match lang {
        Language::Zh => Language::En,
        Language::En => Language::Zh,
    };
    let other_list = templates(cfg, other);
    let translated = if other_list.is_empty() {
        caption.to_string()
    } else {
        other_list[template % other_list.len()].replace("{text}", &joined)
    };
    let quoted = match lang {
        Language::Zh => format!("“{joined}”"),
        Language::En => format!("\"{joined}\""),
    };
    vec![caption.to_string(), with_positions, translated, quoted]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scene_phrase_is_english_and_leaves_out_the_text() {
        let cfg = CaptionConfig::default();
        let phrases: Vec<String> = (0..cfg.en.len())
            .map(|i| scene_phrase_en(&cfg, i))
            .collect();
        assert_eq!(
            phrases,
            [
                "a poster",
                "a sign",
                "a photo",
                "an image",
                "Chinese characters"
            ]
        );
        // A Chinese caption's template index picks the English phrase at the same index.
        assert_eq!(scene_phrase_en(&cfg, 6), "a sign");
        let only_text = CaptionConfig {
            en: vec!["\"{text}\"".into()],
            ..Default::default()
        };
        assert_eq!(scene_phrase_en(&only_text, 0), "an image");
    }

    #[test]
    fn caption_quotes_exact_text() {
        let cfg = CaptionConfig::default();
        let mut rng = Rng::new(3);
        let mut langs = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let (c, l, _) = make_caption(&cfg, &["你好".into(), "世界".into()], &mut rng);
            assert!(c.contains("你好 世界"), "{c}");
            langs.insert(l);
        }
        assert_eq!(langs.len(), 2);
    }

    #[test]
    fn variants_quote_the_text_and_say_where_it_is() {
        let cfg = CaptionConfig::default();
        let lines = [
            ("北门".to_string(), "top left"),
            ("人民日报".to_string(), "center"),
        ];
        let v = caption_variants(
            &cfg,
            "a sign that says \"北门 人民日报\"",
            Language::En,
            1,
            &lines,
        );
        assert_eq!(v.len(), 4);
        assert_eq!(v[0], "a sign that says \"北门 人民日报\"");
        assert!(
            v[1].ends_with("with \"北门\" at the top left and \"人民日报\" in the center"),
            "{}",
            v[1]
        );
        assert_eq!(v[2], "一块招牌，上面写着“北门 人民日报”");
        assert_eq!(v[3], "\"北门 人民日报\"");
        let z = caption_variants(&cfg, "写着“北门”的标志", Language::Zh, 4, &lines[..1]);
        assert_eq!(z[1], "写着“北门”的标志，“北门”在左上");
        assert_eq!(z[3], "“北门”");
    }
}
