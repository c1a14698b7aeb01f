//! Captions: a template per sample, in a language drawn by weight, quoting the rendered text
//! and, through slots, saying what else is in the picture (see [`SLOTS`]).

use crate::describe::Named;
use crate::recipe::{CaptionConfig, Language};
use crate::rng::Rng;

/// The slots a template may use. `{text}` (exactly once) is the rendered text; the others
/// describe the picture: the background ("a photo of a cat", "a plain light grey
/// background"), its overall colour, the colour and type style of the (first) text, and
/// where that text is ("top left" … "center"), and what that text is on (`{carrier}`: "a red
/// fabric banner"; the background when it is printed on the picture itself).
pub const SLOTS: [&str; 7] = [
    "{text}",
    "{background}",
    "{background_color}",
    "{text_color}",
    "{style}",
    "{position}",
    "{carrier}",
];

/// What a sample's picture shows, for the descriptive slots.
#[derive(Clone, Debug)]
pub struct Facts {
    pub background: Named,
    pub background_color: Named,
    pub text_color: Named,
    /// `None` for a face whose style label has no caption words (a user's font).
    pub style: Option<Named>,
    /// The first line's place on the 3×3 grid ("top left" … "center").
    pub position: &'static str,
    /// The thing the first line is printed on, if any.
    pub carrier: Option<Named>,
}

/// `{slot}`-like names in a template that are not [`SLOTS`] (a typo such as `{colour}` would
/// otherwise reach every caption verbatim).
pub fn unknown_slots(template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        let slot = format!("{{{name}}}");
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !SLOTS.contains(&slot.as_str())
        {
            unknown.push(slot);
        }
        rest = &after[close + 1..];
    }
    unknown
}

/// Whether a template says anything about the picture besides the text.
fn describes(template: &str) -> bool {
    SLOTS[1..].iter().any(|s| template.contains(s))
}

/// Fills a template's slots. English text is re-spaced where an empty slot (a style without
/// words) left a double space.
pub fn fill(template: &str, lang: Language, text: &str, facts: &Facts) -> String {
    let pick = |n: &Named| match lang {
        Language::Zh => n.zh.clone(),
        Language::En => n.en.clone(),
    };
    let style = facts.style.as_ref().map(pick).unwrap_or_default();
    let position = match lang {
        Language::Zh => zh_position(facts.position).to_string(),
        Language::En => facts.position.to_string(),
    };
    let filled = template
        .replace("{background_color}", &pick(&facts.background_color))
        .replace("{background}", &pick(&facts.background))
        .replace("{text_color}", &pick(&facts.text_color))
        .replace("{style}", &style)
        .replace("{position}", &position)
        .replace(
            "{carrier}",
            &pick(facts.carrier.as_ref().unwrap_or(&facts.background)),
        );
    let filled = match lang {
        Language::En if facts.style.is_none() => filled
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        _ => filled,
    };
    // The text last, so text that looks like a slot stays as it is.
    filled.replacen("{text}", text, 1)
}

/// Fills a template with the block's lines joined by `line_joiner`; returns the caption, its
/// language and the template's index.
pub fn make_caption(
    cfg: &CaptionConfig,
    lines: &[String],
    facts: &Facts,
    rng: &mut Rng,
) -> (String, Language, usize) {
    let (langs, weights) = cfg.languages.options();
    let lang = langs[rng.weighted(&weights)];
    let list = templates(cfg, lang);
    let index = rng.below(list.len() as u64) as usize;
    (
        fill(&list[index], lang, &lines.join(&cfg.line_joiner), facts),
        lang,
        index,
    )
}

/// The caption with the text replaced by `caption.placeholder` (TextAtlas5M-style: a caption
/// for models that are told the text separately, or that should learn the layout alone).
pub fn plain_caption(
    cfg: &CaptionConfig,
    lang: Language,
    template: usize,
    facts: &Facts,
) -> String {
    let list = templates(cfg, lang);
    list.get(template % list.len().max(1))
        .map_or_else(String::new, |t| fill(t, lang, &cfg.placeholder, facts))
}

/// Words that only lead up to the quoted text ("a poster that reads …", "an image with the
/// words …"), dropped from the end of a scene phrase.
const LEAD_IN: [&str; 15] = [
    "that", "which", "reads", "reading", "says", "saying", "with", "the", "words", "word", "text",
    "written", "showing", "shows", "chinese",
];

/// An English phrase for the scene without its text: the background's description when the
/// English template describes the picture; otherwise the template's words before the `{text}`
/// slot, less the words that lead up to the text ("a poster that reads \"{text}\"" →
/// "a poster"; "Chinese characters \"{text}\" on a background" → "Chinese characters"). The
/// English template at the caption's template index is used whatever the caption's language:
/// AnyText's text encoder is English CLIP, and its loader appends the text itself as `*`
/// placeholders (", that reads * , * ."), so this caption must neither quote the text nor be
/// Chinese. "an image" when nothing is left.
pub fn scene_phrase_en(cfg: &CaptionConfig, template: usize, facts: &Facts) -> String {
    let Some(t) = cfg.en.get(template % cfg.en.len().max(1)) else {
        return "an image".into();
    };
    if describes(t) {
        return facts.background.en.clone();
    }
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
pub fn caption_en(cfg: &CaptionConfig, template: usize, lines: &[String], facts: &Facts) -> String {
    cfg.en
        .get(template % cfg.en.len().max(1))
        .map_or_else(String::new, |t| {
            fill(t, Language::En, &lines.join(&cfg.line_joiner), facts)
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
    facts: &Facts,
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
        fill(
            &other_list[template % other_list.len()],
            other,
            &joined,
            facts,
        )
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

    /// Templates that only quote the text (the defaults before captions described pictures).
    fn quoting() -> CaptionConfig {
        CaptionConfig {
            zh: [
                "一张海报，上面写着“{text}”",
                "一块招牌，上面写着“{text}”",
                "一张照片，画面中有文字“{text}”",
                "印有“{text}”字样的图片",
                "写着“{text}”的标志",
            ]
            .map(String::from)
            .to_vec(),
            en: [
                "a poster that reads \"{text}\"",
                "a sign that says \"{text}\"",
                "a photo with the Chinese text \"{text}\"",
                "an image with the words \"{text}\" written on it",
                "Chinese characters \"{text}\" on a background",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        }
    }

    fn cat_facts() -> Facts {
        Facts {
            background: Named {
                en: "a photo of a cat".into(),
                zh: "一只猫的照片".into(),
            },
            background_color: Named {
                en: "brown".into(),
                zh: "棕色".into(),
            },
            text_color: Named {
                en: "white".into(),
                zh: "白色".into(),
            },
            style: Some(Named {
                en: "serif".into(),
                zh: "宋体".into(),
            }),
            position: "top left",
            carrier: None,
        }
    }

    #[test]
    fn the_carrier_slot_names_the_carrier_or_else_the_background() {
        let board = Facts {
            carrier: Some(crate::describe::carrier_phrase(
                crate::recipe::CarrierKind::FabricBanner,
                [200, 24, 30],
            )),
            ..cat_facts()
        };
        let t = "\"{text}\" on {carrier}";
        assert_eq!(
            fill(t, Language::En, "北门", &board),
            "\"北门\" on a red fabric banner"
        );
        assert_eq!(
            fill("{carrier}上写着“{text}”", Language::Zh, "北门", &board),
            "一条红色的布横幅上写着“北门”"
        );
        assert_eq!(
            fill(t, Language::En, "北门", &cat_facts()),
            "\"北门\" on a photo of a cat"
        );
    }

    #[test]
    fn scene_phrase_is_english_and_leaves_out_the_text() {
        let cfg = quoting();
        let facts = cat_facts();
        let phrases: Vec<String> = (0..cfg.en.len())
            .map(|i| scene_phrase_en(&cfg, i, &facts))
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
        assert_eq!(scene_phrase_en(&cfg, 6, &facts), "a sign");
        let only_text = CaptionConfig {
            en: vec!["\"{text}\"".into()],
            ..Default::default()
        };
        assert_eq!(scene_phrase_en(&only_text, 0, &facts), "an image");
        // Describing templates: the scene is what the background is.
        let described = CaptionConfig::default();
        for i in 0..described.en.len() {
            assert_eq!(scene_phrase_en(&described, i, &facts), "a photo of a cat");
        }
    }

    #[test]
    fn caption_quotes_exact_text() {
        let cfg = CaptionConfig::default();
        let mut rng = Rng::new(3);
        let mut langs = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let (c, l, _) = make_caption(
                &cfg,
                &["你好".into(), "世界".into()],
                &cat_facts(),
                &mut rng,
            );
            assert!(c.contains("你好 世界"), "{c}");
            assert_eq!(unknown_slots(&c), Vec::<String>::new(), "{c}");
            assert!(!c.contains('{'), "a slot left unfilled: {c}");
            langs.insert(l);
        }
        assert_eq!(langs.len(), 2);
    }

    #[test]
    fn default_captions_describe_the_picture() {
        let cfg = CaptionConfig::default();
        let facts = cat_facts();
        for (lang, list) in [(Language::En, &cfg.en), (Language::Zh, &cfg.zh)] {
            for t in list {
                let c = fill(t, lang, "北门", &facts);
                let says_background = match lang {
                    Language::En => c.contains("a photo of a cat"),
                    Language::Zh => c.contains("一只猫的照片"),
                };
                assert!(says_background, "{t} → {c}");
                assert!(c.contains("北门") && !c.contains('{'), "{c}");
            }
        }
        assert_eq!(
            fill(&cfg.en[0], Language::En, "北门", &facts),
            "white serif text \"北门\" on a photo of a cat"
        );
        assert_eq!(
            fill(&cfg.zh[0], Language::Zh, "北门", &facts),
            "一只猫的照片上写着白色的宋体文字“北门”"
        );
        // A face without style words leaves no double space behind.
        let plain = Facts {
            style: None,
            ..facts
        };
        assert_eq!(
            fill(&cfg.en[0], Language::En, "北门", &plain),
            "white text \"北门\" on a photo of a cat"
        );
    }

    #[test]
    fn text_that_looks_like_a_slot_is_quoted_as_it_is() {
        let c = fill(
            "{text_color} \"{text}\"",
            Language::En,
            "{background}",
            &cat_facts(),
        );
        assert_eq!(c, "white \"{background}\"");
    }

    #[test]
    fn plain_caption_hides_the_text() {
        let cfg = CaptionConfig::default();
        let p = plain_caption(&cfg, Language::En, 0, &cat_facts());
        assert_eq!(
            p,
            format!(
                "white serif text \"{}\" on a photo of a cat",
                cfg.placeholder
            )
        );
    }

    #[test]
    fn unknown_slots_are_found() {
        assert_eq!(
            unknown_slots("{text} on {colour} and {style}"),
            ["{colour}"]
        );
        assert!(unknown_slots("{text} {background_color} {position}").is_empty());
        // Braces that are not slot-like names are left alone.
        assert!(unknown_slots("{text} {a b} { }").is_empty());
    }

    #[test]
    fn variants_quote_the_text_and_say_where_it_is() {
        let cfg = quoting();
        let facts = cat_facts();
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
            &facts,
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
        let z = caption_variants(
            &cfg,
            "写着“北门”的标志",
            Language::Zh,
            4,
            &lines[..1],
            &facts,
        );
        assert_eq!(z[1], "写着“北门”的标志，“北门”在左上");
        assert_eq!(z[3], "“北门”");
        // The other-language variant fills the descriptive slots too.
        let d = caption_variants(
            &CaptionConfig::default(),
            "x",
            Language::En,
            0,
            &lines[..1],
            &facts,
        );
        assert_eq!(d[2], "一只猫的照片上写着白色的宋体文字“北门”");
    }
}
