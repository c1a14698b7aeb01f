//! Property tests (proptest): the loaders that read user files — recipes, corpora (word lists
//! and text files) and fonts — never panic on any input, and what they accept is consistent. The same entry points
//! are the `cargo fuzz` targets in `fuzz/` for long runs.

use proptest::prelude::*;

use hanzi_synth::corpus::{parse_paragraphs, parse_tsv, valid_utf8_lines, Corpus, BUNDLED_TSV};
use hanzi_synth::fonts::{load_face_bytes, BUNDLED_FONTS};
use hanzi_synth::layout::{layout_block, BlockStyle, Spacing};
use hanzi_synth::linebreak::{fit_paragraph, horizontal_width};
use hanzi_synth::recipe::{CorpusConfig, Direction, Recipe, SamplingMode, DEFAULT_RECIPE_YAML};
use hanzi_synth::rng::Rng;

/// Values that have broken parsers before: types, extremes, YAML features.
const NASTY: &[&str] = &[
    "-1",
    "0",
    "1e308",
    "-1e308",
    ".nan",
    ".inf",
    "[]",
    "{}",
    "[3, 1]",
    "[1, 2, 3]",
    "\"x\"",
    "~",
    "null",
    "true",
    "*a",
    "&a 1",
    "!!binary AAAA",
    "99999999999999999999",
    "0x10",
    "{probability: 2, range: [0, 1]}",
    "[[[[[]]]]]",
    "'\u{0}'",
    "中文",
    "\"\\uD800\"",
    "|\n  x",
];

fn mutated_recipe() -> impl Strategy<Value = String> {
    let lines: Vec<String> = DEFAULT_RECIPE_YAML.lines().map(str::to_string).collect();
    let n = lines.len();
    prop::collection::vec((0..n, 0..4u8, 0..NASTY.len()), 1..6).prop_map(move |edits| {
        let mut l = lines.clone();
        for (at, op, nasty) in edits {
            let at = at.min(l.len().saturating_sub(1));
            match op {
                0 => {
                    l.remove(at);
                }
                1 => {
                    let copy = l[at].clone();
                    l.insert(at, copy);
                }
                2 => {
                    // Replace the value after the key, keeping the indentation.
                    if let Some((key, _)) = l[at].split_once(':') {
                        l[at] = format!("{key}: {}", NASTY[nasty]);
                    }
                }
                _ => l[at] = format!("{}{}", " ".repeat(nasty % 5), l[at].trim_start()),
            }
            if l.is_empty() {
                break;
            }
        }
        l.join("\n")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn recipe_parser_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = Recipe::from_yaml(&text, "fuzz");
    }

    #[test]
    fn recipe_mutations_are_refused_or_valid(text in mutated_recipe()) {
        if let Ok(r) = Recipe::from_yaml(&text, "fuzz") {
            // Whatever is accepted passes validation again and hashes stably.
            prop_assert!(r.check().is_ok());
            let again = Recipe::from_yaml(&text, "fuzz").unwrap();
            prop_assert_eq!(r.hash(), again.hash());
        }
    }

    #[test]
    fn recipe_overrides_never_panic(
        path in prop::sample::select(vec![
            "seed", "count", "canvas.width", "canvas.buckets", "text.size", "corpus.lines",
            "effects.camera", "style.stroke", "output.format", "layout.blocks", "nonsense",
            "canvas", "canvas.width.x", "",
        ]),
        value in prop::sample::select(NASTY.to_vec()),
    ) {
        let base = Recipe::from_yaml(DEFAULT_RECIPE_YAML, "default").unwrap();
        if let Ok(r) = base.with_overrides(&[format!("{path}={value}")]) {
            prop_assert!(r.check().is_ok());
        }
    }

    #[test]
    fn corpus_loader_never_panics_and_keeps_only_clean_words(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        seed in any::<u64>(),
        mode in prop::sample::select(vec![SamplingMode::Frequency, SamplingMode::Uniform, SamplingMode::Balanced]),
    ) {
        let (text, invalid) = valid_utf8_lines(&bytes);
        prop_assert!(invalid.iter().all(|&n| n >= 1));
        if let Ok(words) = parse_tsv(&text, "fuzz").map(|l| l.words) {
            prop_assert!(words.iter().all(|w| !w.text.trim().is_empty()));
            if let Ok(corpus) = Corpus::new(words, mode, 1.0) {
                let mut rng = Rng::new(seed);
                for _ in 0..8 {
                    prop_assert!(corpus.sample_word(&mut rng) < corpus.words.len());
                }
                let _ = corpus.sample_line(&CorpusConfig::default(), &mut rng);
            }
        }
    }

    /// Text files (`corpus.text.source`): any bytes give clean paragraphs — trimmed, no
    /// control or invisible characters, no runs of whitespace — or an error; drawing and
    /// setting them into lines never panics, and the lines spell a prefix of the paragraph.
    #[test]
    fn paragraph_loader_never_panics_and_keeps_only_clean_paragraphs(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        seed in any::<u64>(),
        columns in 1usize..12,
        max_lines in 1usize..5,
    ) {
        let (text, _) = valid_utf8_lines(&bytes);
        if let Ok(list) = parse_paragraphs(&text, "fuzz") {
            for p in &list.words {
                prop_assert!(!p.text.is_empty() && p.text.trim() == p.text);
                prop_assert!(!p.text.contains("  "));
                prop_assert!(p.text.chars().all(|c| !c.is_control()));
            }
            if let Ok(corpus) = Corpus::new(list.words, SamplingMode::Balanced, 1.0) {
                let mut rng = Rng::new(seed);
                let cfg = CorpusConfig {
                    digits: hanzi_synth::recipe::Prob(0.5),
                    latin: hanzi_synth::recipe::Prob(0.5),
                    ..CorpusConfig::default()
                };
                let drawn = corpus.sample_text(&cfg, &mut rng);
                let set = fit_paragraph(&drawn, 2 * columns, max_lines, horizontal_width);
                prop_assert!(drawn.starts_with(set.text));
                prop_assert_eq!(set.lines.concat(), set.text);
                prop_assert!(set.lines.len() <= max_lines);
            }
        }
    }
}

/// A damaged copy of a real font: truncated, bytes flipped, or a range overwritten.
fn damaged_font() -> impl Strategy<Value = Vec<u8>> {
    let data = BUNDLED_FONTS[3].data; // the smallest bundled face
    let len = data.len();
    (0..3u8, 0..len, 0..len, any::<u8>(), 1..64usize).prop_map(move |(op, a, b, byte, n)| {
        let mut v = data.to_vec();
        match op {
            0 => v.truncate(a),
            1 => {
                // Flip bytes in the table directory and headers, where damage hurts most.
                for k in 0..n {
                    let at = (a + k * 7919) % 4096.min(len);
                    v[at] ^= byte | 1;
                }
            }
            _ => {
                let (lo, hi) = (a.min(b), a.max(b).min(a.min(b) + 65_536));
                v[lo..hi].fill(byte);
            }
        }
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn font_loader_never_panics_on_damaged_fonts(
        data in damaged_font(),
        vertical in any::<bool>(),
    ) {
        let words = parse_tsv(BUNDLED_TSV, "bundled").unwrap().words;
        let text: String = words.iter().take(40).map(|w| w.text.as_str()).collect();
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        if let Ok(face) = load_face_bytes(data, 0, &chars) {
            let line: String = text.chars().filter(|c| face.coverage.has(*c)).take(12).collect();
            prop_assume!(!line.is_empty());
            let style = BlockStyle::plain(if vertical { Direction::Vertical } else { Direction::Horizontal }, 32.0, Spacing { letter: 0.0, line: 1.2 });
            if let Ok(layout) = layout_block(&face, std::slice::from_ref(&line), &style) {
                prop_assert_eq!(layout.lines[0].chars.len(), line.chars().count());
            }
        }
    }
}
