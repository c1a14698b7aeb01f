//! Captions: a template per sample, in a language drawn by weight, quoting the rendered text.

use crate::recipe::{CaptionConfig, Language};
use crate::rng::Rng;

/// Fills a template with the block's lines joined by `line_joiner`.
pub fn make_caption(cfg: &CaptionConfig, lines: &[String], rng: &mut Rng) -> (String, Language) {
    let (langs, weights) = cfg.languages.options();
    let lang = langs[rng.weighted(&weights)];
    let list = match lang {
        Language::Zh => &cfg.zh,
        Language::En => &cfg.en,
    };
    let template = &list[rng.below(list.len() as u64) as usize];
    (
        template.replace("{text}", &lines.join(&cfg.line_joiner)),
        lang,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caption_quotes_exact_text() {
        let cfg = CaptionConfig::default();
        let mut rng = Rng::new(3);
        let mut langs = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let (c, l) = make_caption(&cfg, &["你好".into(), "世界".into()], &mut rng);
            assert!(c.contains("你好 世界"), "{c}");
            langs.insert(l);
        }
        assert_eq!(langs.len(), 2);
    }
}
