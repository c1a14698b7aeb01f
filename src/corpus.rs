//! Corpus: the words to draw, their frequencies, and how lines of text are sampled from them.
//!
//! The bundled list (`corpora/top50k.tsv`) is derived from jieba's `dict.txt` by
//! [`derive_top_words`]; `hanzi-synth corpus build --dict corpora/jieba-dict.txt` reproduces it
//! byte for byte. The raw dictionary carries junk that must never reach a training set, so every
//! entry passes [`junk_reason`] first (see `corpora/README.md` for the rules and their counts).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::recipe::{CorpusConfig, SamplingMode};
use crate::rng::Rng;

/// The shipped top-50k list, `word<TAB>frequency` per line, most frequent first.
pub const BUNDLED_TSV: &str = include_str!("../corpora/top50k.tsv");

#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub freq: u64,
}

/// Why a dictionary entry is rejected (`None` = keep).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Junk {
    /// Contains a character that is not one of the 6,763 GB2312 hanzi (Latin, digits,
    /// punctuation, traditional or variant forms, and most mojibake).
    NotGb2312Hanzi,
    /// A single character whose GB2312 bytes look like the start of a UTF-8 sequence and whose
    /// standalone frequency dwarfs its use inside words: UTF-8 text mis-read as GBK.
    Mojibake,
}

impl Junk {
    /// What a user reads in `corpus build`'s report.
    pub fn describe(self) -> &'static str {
        match self {
            Junk::NotGb2312Hanzi => "with a character outside the 6,763 GB2312 hanzi",
            Junk::Mojibake => "single characters that are UTF-8 text mis-read as GBK",
        }
    }
}

/// True for the 6,763 hanzi of GB2312 (rows 16–87 of the GB2312 table).
pub fn is_gb2312_hanzi(c: char) -> bool {
    if !('\u{4e00}'..='\u{9fff}').contains(&c) {
        return false;
    }
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    !had_errors
        && bytes.len() == 2
        && (0xB0..=0xF7).contains(&bytes[0])
        && (0xA1..=0xFE).contains(&bytes[1])
}

/// GB2312 bytes shaped like a UTF-8 three-byte lead for CJK text (E4–E9) plus a continuation
/// byte (80–BF): what the first two bytes of UTF-8 Chinese become when decoded as GBK.
fn looks_like_utf8_fragment(c: char) -> bool {
    let mut buf = [0u8; 4];
    let (bytes, _, _) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    bytes.len() == 2 && (0xE4..=0xE9).contains(&bytes[0]) && (0x80..=0xBF).contains(&bytes[1])
}

/// How much more often a suspicious single character may stand alone than inside words.
pub const MOJIBAKE_RATIO: f64 = 10.0;

/// The junk verdict for `word` with frequency `freq`; `in_word_freq` is the summed frequency of
/// the multi-character entries that contain the (single) character.
pub fn junk_reason(word: &str, freq: u64, in_word_freq: u64) -> Option<Junk> {
    if word.is_empty() || !word.chars().all(is_gb2312_hanzi) {
        return Some(Junk::NotGb2312Hanzi);
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if looks_like_utf8_fragment(c) && freq as f64 > MOJIBAKE_RATIO * (in_word_freq + 1) as f64 {
            return Some(Junk::Mojibake);
        }
    }
    None
}

/// Counts of what a derivation kept and dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeriveReport {
    pub entries: usize,
    pub malformed_lines: usize,
    pub dropped: BTreeMap<Junk, usize>,
    pub kept: usize,
}

/// Parses jieba's `word freq [tag]` dictionary, drops junk and returns the `top` most frequent
/// words (all when `top` is 0), ordered by frequency then by word (code point order).
pub fn derive_top_words(dict: &str, top: usize) -> (Vec<Word>, DeriveReport) {
    let mut report = DeriveReport::default();
    let mut entries: Vec<Word> = Vec::new();
    for line in dict.lines() {
        let mut parts = line.split_whitespace();
        match (
            parts.next(),
            parts.next().and_then(|f| f.parse::<u64>().ok()),
        ) {
            (Some(w), Some(freq)) => entries.push(Word {
                text: w.to_string(),
                freq,
            }),
            _ if line.trim().is_empty() => {}
            _ => report.malformed_lines += 1,
        }
    }
    report.entries = entries.len();
    let mut in_word: BTreeMap<char, u64> = BTreeMap::new();
    for w in entries.iter().filter(|w| w.text.chars().nth(1).is_some()) {
        let mut seen: Vec<char> = w.text.chars().collect();
        seen.sort_unstable();
        seen.dedup();
        for c in seen {
            *in_word.entry(c).or_default() += w.freq;
        }
    }
    let mut kept: BTreeMap<String, u64> = BTreeMap::new();
    for w in entries {
        let single = {
            let mut it = w.text.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => in_word.get(&c).copied().unwrap_or(0),
                _ => 0,
            }
        };
        match junk_reason(&w.text, w.freq, single) {
            Some(j) => *report.dropped.entry(j).or_default() += 1,
            None => {
                let slot = kept.entry(w.text).or_default();
                *slot = (*slot).max(w.freq);
            }
        }
    }
    let mut words: Vec<Word> = kept
        .into_iter()
        .map(|(text, freq)| Word { text, freq })
        .collect();
    words.sort_by(|a, b| b.freq.cmp(&a.freq).then_with(|| a.text.cmp(&b.text)));
    if top > 0 {
        words.truncate(top);
    }
    report.kept = words.len();
    (words, report)
}

/// Segments free text with jieba and counts the clean words (GB2312 hanzi only).
pub fn count_words_in_text(texts: &[String]) -> Vec<Word> {
    let jieba = jieba_rs::Jieba::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for text in texts {
        for token in jieba.cut(text, true) {
            if junk_reason(token.word, 0, 0).is_none() {
                *counts.entry(token.word.to_string()).or_default() += 1;
            }
        }
    }
    let mut words: Vec<Word> = counts
        .into_iter()
        .map(|(text, freq)| Word { text, freq })
        .collect();
    words.sort_by(|a, b| b.freq.cmp(&a.freq).then_with(|| a.text.cmp(&b.text)));
    words
}

pub fn to_tsv(words: &[Word]) -> String {
    let mut out = String::with_capacity(words.len() * 12);
    for w in words {
        out.push_str(&w.text);
        out.push('\t');
        out.push_str(&w.freq.to_string());
        out.push('\n');
    }
    out
}

/// Reads `word<TAB>freq` lines (a missing frequency counts as 1; `#` starts a comment line).
pub fn parse_tsv(text: &str, origin: &str) -> Result<Vec<Word>> {
    let mut words = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split('\t');
        let word = parts.next().unwrap_or("").trim();
        let freq = match parts.next().map(str::trim) {
            None | Some("") => 1,
            Some(f) => f.parse::<u64>().with_context(|| {
                format!("{origin}:{}: frequency {f:?} is not a whole number", no + 1)
            })?,
        };
        if word.is_empty() {
            bail!("{origin}:{}: empty word", no + 1);
        }
        words.push(Word {
            text: word.to_string(),
            freq,
        });
    }
    Ok(words)
}

/// The text of `bytes` with every line that is not valid UTF-8 blanked (so later line numbers
/// stay right), and the 1-based numbers of those lines: one bad line costs one word, not the
/// whole file.
pub fn valid_utf8_lines(bytes: &[u8]) -> (String, Vec<usize>) {
    let mut text = String::with_capacity(bytes.len());
    let mut invalid = Vec::new();
    for (no, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if no > 0 {
            text.push('\n');
        }
        match std::str::from_utf8(line) {
            Ok(l) => text.push_str(l),
            Err(_) => invalid.push(no + 1),
        }
    }
    (text, invalid)
}

/// A word list ready for sampling.
pub struct Corpus {
    pub words: Vec<Word>,
    /// Distinct characters, sorted.
    pub chars: Vec<char>,
    cumulative: Vec<f64>,
    /// For balanced sampling: indices of words containing each character of `chars`.
    pub words_by_char: Vec<Vec<u32>>,
    mode: SamplingMode,
    /// Line numbers (1-based) of the source skipped as invalid UTF-8.
    pub invalid_lines: Vec<usize>,
    /// The recipe's charset, if any: what was left out, and the set that mixed-in digits and
    /// Latin words must fit.
    pub charset: Option<Charset>,
}

/// A charset restriction and what it removed from the corpus.
#[derive(Clone, Debug)]
pub struct Charset {
    pub chars: std::collections::BTreeSet<char>,
    pub report: CharsetReport,
}

/// What a charset left out, for the manifest.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CharsetReport {
    pub file: String,
    /// Characters in the charset file.
    pub size: usize,
    /// Corpus words dropped because a character lies outside the charset.
    pub words_dropped: usize,
    /// Corpus characters outside the charset, most frequent (summed word frequency) first.
    pub chars_outside: String,
}

/// Reads a charset file: every non-whitespace character of it (one per line, as in PP-OCR's
/// key lists, or any text).
pub fn load_charset(path: &Path) -> Result<std::collections::BTreeSet<char>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read charset {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("charset {} is not UTF-8 text", path.display()))?;
    // One character per line (PaddleOCR's key files) keeps even a whitespace key such as
    // U+3000; a line of running text contributes its visible characters.
    let mut set = std::collections::BTreeSet::new();
    for line in text.lines() {
        let mut chars = line.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => {
                set.insert(c);
            }
            _ => set.extend(line.chars().filter(|c| !c.is_whitespace())),
        }
    }
    if set.is_empty() {
        bail!("charset {} holds no characters", path.display());
    }
    Ok(set)
}

/// Splits `words` into those made only of `set`'s characters and a report on the rest.
fn restrict(
    words: Vec<Word>,
    set: &std::collections::BTreeSet<char>,
    file: &str,
) -> (Vec<Word>, CharsetReport) {
    let (kept, dropped): (Vec<Word>, Vec<Word>) = words
        .into_iter()
        .partition(|w| w.text.chars().all(|c| set.contains(&c)));
    let mut outside: BTreeMap<char, u64> = BTreeMap::new();
    for w in &dropped {
        for c in w.text.chars().filter(|c| !set.contains(c)) {
            *outside.entry(c).or_default() += w.freq;
        }
    }
    let mut order: Vec<(char, u64)> = outside.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let report = CharsetReport {
        file: file.to_string(),
        size: set.len(),
        words_dropped: dropped.len(),
        chars_outside: order.into_iter().map(|(c, _)| c).collect(),
    };
    (kept, report)
}

impl Corpus {
    pub fn load(cfg: &CorpusConfig) -> Result<Corpus> {
        let mut invalid_lines = Vec::new();
        let mut words = if cfg.source == "bundled" {
            parse_tsv(BUNDLED_TSV, "corpora/top50k.tsv")?
        } else {
            let path = Path::new(&cfg.source);
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read corpus {}", path.display()))?;
            let (text, invalid) = valid_utf8_lines(&bytes);
            invalid_lines = invalid;
            parse_tsv(&text, &path.display().to_string())?
        };
        if cfg.top > 0 {
            words.truncate(cfg.top);
        }
        let mut charset = None;
        if !cfg.charset.is_empty() {
            let set = load_charset(Path::new(&cfg.charset))?;
            let (kept, report) = restrict(words, &set, &cfg.charset);
            if kept.is_empty() {
                bail!(
                    "corpus.charset {}: no corpus word is made only of its {} characters",
                    cfg.charset,
                    set.len()
                );
            }
            words = kept;
            charset = Some(Charset { chars: set, report });
        }
        if words.is_empty() && !invalid_lines.is_empty() {
            bail!(
                "corpus {}: no usable words ({} line(s) are not valid UTF-8, first: line {})",
                cfg.source,
                invalid_lines.len(),
                invalid_lines[0]
            );
        }
        let mut corpus = Corpus::new(words, cfg.sampling, cfg.temperature)
            .with_context(|| format!("corpus {}", cfg.source))?;
        corpus.invalid_lines = invalid_lines;
        corpus.charset = charset;
        Ok(corpus)
    }

    /// Whether mixed-in text fits the charset (always, without one).
    fn fits(&self, text: &str) -> bool {
        self.charset
            .as_ref()
            .is_none_or(|c| text.chars().all(|ch| c.chars.contains(&ch)))
    }

    pub fn new(words: Vec<Word>, mode: SamplingMode, temperature: f64) -> Result<Corpus> {
        if words.is_empty() {
            bail!("the corpus holds no words");
        }
        let mut acc = 0.0;
        let cumulative = words
            .iter()
            .map(|w| {
                acc += (w.freq.max(1) as f64).powf(temperature);
                acc
            })
            .collect();
        let mut by_char: BTreeMap<char, Vec<u32>> = BTreeMap::new();
        for (i, w) in words.iter().enumerate() {
            let mut cs: Vec<char> = w.text.chars().collect();
            cs.sort_unstable();
            cs.dedup();
            for c in cs {
                by_char.entry(c).or_default().push(i as u32);
            }
        }
        let (chars, words_by_char) = by_char.into_iter().unzip();
        Ok(Corpus {
            words,
            chars,
            cumulative,
            words_by_char,
            mode,
            invalid_lines: Vec::new(),
            charset: None,
        })
    }

    /// One word index according to the sampling mode.
    pub fn sample_word(&self, rng: &mut Rng) -> usize {
        match self.mode {
            SamplingMode::Uniform => rng.below(self.words.len() as u64) as usize,
            SamplingMode::Frequency => {
                let total = *self.cumulative.last().expect("non-empty");
                let target = rng.f64() * total;
                self.cumulative
                    .partition_point(|c| *c <= target)
                    .min(self.words.len() - 1)
            }
            SamplingMode::Balanced => {
                let c = rng.below(self.chars.len() as u64) as usize;
                let list = &self.words_by_char[c];
                list[rng.below(list.len() as u64) as usize] as usize
            }
        }
    }

    /// One line of text: whole words, optionally with digits or a Latin word mixed in. The
    /// mixed-in tokens are chosen first so the character limit never cuts them off.
    pub fn sample_line(&self, cfg: &CorpusConfig, rng: &mut Rng) -> String {
        let max = cfg.max_chars_per_line as usize;
        let mut extras: Vec<String> = Vec::new();
        if rng.chance(cfg.digits.0) {
            let digits = rng.range_u32(1, 4);
            extras.push(
                (0..digits)
                    .map(|i| {
                        let lo = if i == 0 && digits > 1 { 1 } else { 0 };
                        char::from(b'0' + rng.range_u32(lo, 9) as u8)
                    })
                    .collect(),
            );
        }
        if rng.chance(cfg.latin.0) {
            extras.push(LATIN_WORDS[rng.below(LATIN_WORDS.len() as u64) as usize].to_string());
        }
        // Drawn as without a charset (the random stream stays the same), then left out if
        // they fall outside it.
        extras.retain(|e| self.fits(e));
        let extra_len: usize = extras.iter().map(|e| e.chars().count()).sum();
        if extra_len + 1 > max {
            extras.clear();
        }
        let budget = max - extras.iter().map(|e| e.chars().count()).sum::<usize>();
        let n = rng.range_u32(cfg.words_per_line.min, cfg.words_per_line.max);
        let mut tokens: Vec<String> = Vec::new();
        let mut len = 0;
        for _ in 0..n {
            let w = &self.words[self.sample_word(rng)].text;
            let wl = w.chars().count();
            if tokens.is_empty() && wl > budget {
                tokens.push(w.chars().take(budget).collect());
                break;
            }
            if len + wl > budget {
                break;
            }
            tokens.push(w.clone());
            len += wl;
        }
        for extra in extras {
            let at = rng.range_u32(0, tokens.len() as u32) as usize;
            tokens.insert(at, extra);
        }
        tokens.concat()
    }
}

/// Short Latin words of the kind seen on Chinese signs and packaging.
const LATIN_WORDS: &[&str] = &[
    "OPEN", "SALE", "NEW", "VIP", "WiFi", "Coffee", "Tea", "Hotel", "Taxi", "Bus", "Metro", "Shop",
    "Bar", "Cafe", "Exit", "Hi", "OK", "App", "Club", "Mall", "Bank", "Park", "Art", "Pay",
];

/// Summary numbers of a word list, for `corpus stats`.
pub struct CorpusStats {
    pub words: usize,
    pub distinct_chars: usize,
    pub total_freq: u64,
    pub length_histogram: BTreeMap<usize, usize>,
    pub chars_outside_gb2312: usize,
}

pub fn stats(words: &[Word]) -> CorpusStats {
    let mut chars: Vec<char> = words.iter().flat_map(|w| w.text.chars()).collect();
    chars.sort_unstable();
    chars.dedup();
    let mut hist = BTreeMap::new();
    for w in words {
        *hist.entry(w.text.chars().count()).or_default() += 1;
    }
    CorpusStats {
        words: words.len(),
        distinct_chars: chars.len(),
        total_freq: words.iter().map(|w| w.freq).sum(),
        length_histogram: hist,
        chars_outside_gb2312: chars.iter().filter(|c| !is_gb2312_hanzi(**c)).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::{Prob, Range};

    #[test]
    fn charset_keeps_words_within_it_and_reports_the_rest() {
        let words = vec![
            Word {
                text: "中国".into(),
                freq: 50,
            },
            Word {
                text: "中心".into(),
                freq: 40,
            },
            Word {
                text: "国家".into(),
                freq: 30,
            },
            Word {
                text: "家".into(),
                freq: 5,
            },
        ];
        let set: std::collections::BTreeSet<char> = "中国家0".chars().collect();
        let (kept, report) = restrict(words, &set, "keys.txt");
        let texts: Vec<&str> = kept.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["中国", "国家", "家"]);
        assert_eq!(report.words_dropped, 1);
        assert_eq!(report.chars_outside, "心");
        assert_eq!(report.size, 4);
        // Mixed-in digits and Latin words must fit the charset too.
        let mut corpus = Corpus::new(kept, SamplingMode::Uniform, 1.0).unwrap();
        corpus.charset = Some(Charset { chars: set, report });
        let cfg = CorpusConfig {
            digits: Prob(1.0),
            latin: Prob(1.0),
            max_chars_per_line: 12,
            ..CorpusConfig::default()
        };
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let line = corpus.sample_line(&cfg, &mut rng);
            assert!(line.chars().all(|c| "中国家0".contains(c)), "{line}");
        }
    }

    #[test]
    fn gb2312_membership() {
        for c in ['的', '中', '国', '阿', '齄'] {
            assert!(is_gb2312_hanzi(c), "{c}");
        }
        // Traditional forms, mojibake fragments, Latin, punctuation, rare CJK.
        for c in ['簡', '購', '紝', '銆', '鐨', 'A', '。', '硚', '㐀'] {
            assert!(!is_gb2312_hanzi(c), "{c}");
        }
    }

    #[test]
    fn filter_drops_junk_and_keeps_words() {
        assert_eq!(junk_reason("中国", 100, 0), None);
        assert_eq!(junk_reason("4S店", 3, 0), Some(Junk::NotGb2312Hanzi));
        assert_eq!(junk_reason("簡", 3221, 0), Some(Junk::NotGb2312Hanzi));
        assert_eq!(junk_reason("紝", 11651, 0), Some(Junk::NotGb2312Hanzi));
        // 涓 is "中" (E4 B8 AD) read as GBK: frequent alone, rare in words.
        assert_eq!(junk_reason("涓", 12958, 104), Some(Junk::Mojibake));
        // 瑜 has the same byte shape but is a real character used in many words.
        assert_eq!(junk_reason("瑜", 1671, 1298), None);
        // Ordinary common single characters are never suspected.
        assert_eq!(junk_reason("的", 318825, 0), None);
    }

    #[test]
    fn derivation_is_ordered_and_deduplicated() {
        let dict = "中国 50 ns\n4S店 3 n\n的 900 uj\n你好 50\nbroken\n涓 5000 x\n涓水 1 n\n";
        let (words, report) = derive_top_words(dict, 0);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["的", "中国", "你好", "涓水"]);
        assert_eq!(report.malformed_lines, 1);
        assert_eq!(report.dropped.get(&Junk::Mojibake), Some(&1));
        assert_eq!(report.dropped.get(&Junk::NotGb2312Hanzi), Some(&1));
        let (top2, _) = derive_top_words(dict, 2);
        assert_eq!(top2.len(), 2);
    }

    #[test]
    fn bundled_list_is_clean_and_sorted() {
        let words = parse_tsv(BUNDLED_TSV, "bundled").unwrap();
        assert_eq!(words.len(), 50_000);
        assert!(words.windows(2).all(|w| w[0].freq >= w[1].freq));
        assert!(words
            .iter()
            .all(|w| junk_reason(&w.text, 0, u64::MAX / 100).is_none()));
    }

    #[test]
    fn text_segmentation_counts_words() {
        let words = count_words_in_text(&["我们喜欢学习中文。我们喜欢中国。Hello 2024".into()]);
        let get = |t: &str| words.iter().find(|w| w.text == t).map(|w| w.freq);
        assert_eq!(get("我们"), Some(2));
        assert_eq!(get("喜欢"), Some(2));
        assert!(words.iter().all(|w| w.text.chars().all(is_gb2312_hanzi)));
    }

    fn toy(mode: SamplingMode) -> Corpus {
        let words = vec![
            Word {
                text: "的的".into(),
                freq: 1_000_000,
            },
            Word {
                text: "中国".into(),
                freq: 1000,
            },
            Word {
                text: "饕餮".into(),
                freq: 1,
            },
        ];
        Corpus::new(words, mode, 1.0).unwrap()
    }

    fn histogram(c: &Corpus, n: usize) -> [usize; 3] {
        let mut rng = Rng::new(9);
        let mut h = [0; 3];
        for _ in 0..n {
            h[c.sample_word(&mut rng)] += 1;
        }
        h
    }

    #[test]
    fn sampling_modes_behave() {
        let f = histogram(&toy(SamplingMode::Frequency), 20_000);
        assert!(f[0] > 19_000 && f[2] < 5, "{f:?}");
        let u = histogram(&toy(SamplingMode::Uniform), 30_000);
        assert!(u.iter().all(|c| (9_000..11_000).contains(c)), "{u:?}");
        // Balanced: 5 distinct characters, each chosen uniformly; 饕 and 餮 only occur in word 2.
        let b = histogram(&toy(SamplingMode::Balanced), 30_000);
        assert!((b[2] as f64 / 30_000.0 - 0.4).abs() < 0.03, "{b:?}");
    }

    #[test]
    fn lines_respect_limits_and_mixing() {
        let c = toy(SamplingMode::Uniform);
        let mut cfg = CorpusConfig {
            words_per_line: Range::new(3, 3),
            max_chars_per_line: 8,
            digits: Prob(1.0),
            latin: Prob(0.0),
            ..CorpusConfig::default()
        };
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let line = c.sample_line(&cfg, &mut rng);
            assert!(line.chars().count() <= 8);
            assert!(line.chars().any(|ch| ch.is_ascii_digit()), "{line}");
        }
        cfg.digits = Prob(0.0);
        let line = c.sample_line(&cfg, &mut rng);
        assert!(line.chars().all(is_gb2312_hanzi));
    }
}
