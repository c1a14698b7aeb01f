//! Corpus: the words to draw, their frequencies, and how lines of text are sampled from them.
//!
//! The bundled list (`corpora/top50k.tsv`) is derived from jieba's `dict.txt` by
//! [`derive_top_words`]; `hanzi-synth corpus build --dict corpora/jieba-dict.txt` reproduces it
//! byte for byte. The raw dictionary carries junk that must never reach a training set, so every
//! entry passes [`junk_reason`] first (see `corpora/README.md` for the rules and their counts).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::recipe::{CorpusConfig, SamplingMode, TextSourceConfig, TextUnit, BUNDLED_CLASSICAL};
use crate::rng::Rng;

/// The shipped top-50k list, `word<TAB>frequency` per line, most frequent first.
pub const BUNDLED_TSV: &str = include_str!("../corpora/top50k.tsv");

/// The shipped tail list (`corpus.tail`): words beyond the top 50,000 that carry the standard
/// characters the top list lacks, and single characters where no word has one; derived by
/// [`derive_tail_words`] (`hanzi-synth corpus tail`).
pub const TAIL_TSV: &str = include_str!("../corpora/tail-words.tsv");

/// The shipped paragraphs (`corpus.text.source: bundled-classical`): public-domain classical
/// prose and verse, one paragraph per line, derived by `tools/corpus/classical.py`.
pub const CLASSICAL_TXT: &str = include_str!("../corpora/classical-paragraphs.txt");

/// The longest paragraph a text file may hold, in characters: a longer line is skipped (a file
/// without line breaks between its paragraphs would otherwise be one huge paragraph, cut to its
/// first sentences in every block).
pub const MAX_PARAGRAPH_CHARS: usize = 1000;

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
    /// The tail's widened filter: a character outside both GB2312's hanzi and the 8,105
    /// standard characters.
    NotStandardHanzi,
}

impl Junk {
    /// What a user reads in `corpus build`'s report.
    pub fn describe(self) -> &'static str {
        match self {
            Junk::NotGb2312Hanzi => "with a character outside the 6,763 GB2312 hanzi",
            Junk::Mojibake => "single characters that are UTF-8 text mis-read as GBK",
            Junk::NotStandardHanzi => {
                "with a character outside GB2312's hanzi and the 8,105 standard characters"
            }
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

/// `c`'s two GBK bytes, when it is one double-byte character.
fn gbk_pair(c: char) -> Option<[u8; 2]> {
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    (!had_errors && bytes.len() == 2).then(|| [bytes[0], bytes[1]])
}

/// `c`'s GB2312 bytes when they are the first two bytes of a three-byte UTF-8 character of
/// Chinese text — a CJK lead E4–E9 plus a continuation byte, or EF BC (the fullwidth
/// punctuation ，：！？（）) — which is what the start of UTF-8 Chinese becomes when decoded as
/// GBK.
fn utf8_fragment(c: char) -> Option<[u8; 2]> {
    gbk_pair(c).filter(|[lead, next]| {
        ((0xE4..=0xE9).contains(lead) && (0x80..=0xBF).contains(next))
            || (*lead == 0xEF && *next == 0xBC)
    })
}

/// The characters whose UTF-8 encoding starts with the two bytes `pair`.
fn utf8_block(pair: [u8; 2]) -> impl Iterator<Item = char> {
    (0x80..=0xBFu8).filter_map(move |last| {
        std::str::from_utf8(&[pair[0], pair[1], last])
            .ok()
            .and_then(|s| s.chars().next())
    })
}

/// How much more often a suspicious single character may stand alone than inside words.
pub const MOJIBAKE_RATIO: f64 = 10.0;

/// Mis-decoded UTF-8 text yields about one standalone count of a fragment character per this
/// many uses of the characters it comes from: the median over the 52 cases of rule (a) with a
/// source frequency above 10,000 in jieba's dictionary (涓 from 中…: standalone / source ≈ 1/500).
pub const MOJIBAKE_YIELD: u64 = 500;

/// What the dictionary says about a single-character entry's character (all zero for longer
/// words, or when nothing is known).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CharUse {
    /// Summed frequency of the multi-character entries that contain it.
    pub in_words: u64,
    /// Summed frequency of the characters whose UTF-8 text, read as GBK, starts with it (zero
    /// unless its bytes look like such a fragment).
    pub as_mojibake: u64,
    /// For the tail's widened filter: summed frequency of the characters whose UTF-8 text
    /// ends with its two GBK bytes (zero unless both are continuation bytes).
    pub as_tail_mojibake: u64,
}

/// The junk verdict for `word` with frequency `freq`; `usage` describes the (single)
/// character elsewhere in the dictionary.
///
/// A single character whose bytes look like the start of UTF-8 Chinese is mojibake when (a) it
/// stands alone more than [`MOJIBAKE_RATIO`] times as often as it is used inside words, or
/// (b) mis-decoded text explains at least half of its standalone frequency (expected count
/// `as_mojibake / MOJIBAKE_YIELD`).
pub fn junk_reason(word: &str, freq: u64, usage: CharUse) -> Option<Junk> {
    if word.is_empty() || !word.chars().all(is_gb2312_hanzi) {
        return Some(Junk::NotGb2312Hanzi);
    }
    mojibake_reason(word, freq, usage)
}

/// True for the characters the tail's widened filter admits: GB2312's 6,763 hanzi and the
/// 8,105 characters of the 2013 standard list.
pub fn is_standard_hanzi(c: char) -> bool {
    is_gb2312_hanzi(c) || crate::tiers::standard().contains(c)
}

/// [`junk_reason`] with the character filter widened to [`is_standard_hanzi`] (the tail list's
/// filter); the mojibake rules are the same.
pub fn junk_reason_widened(word: &str, freq: u64, usage: CharUse) -> Option<Junk> {
    if word.is_empty() || !word.chars().all(is_standard_hanzi) {
        return Some(Junk::NotStandardHanzi);
    }
    widened_mojibake_reason(word, freq, usage)
}

/// The mojibake rules (a) and (b) of [`junk_reason`] for a word that passed a character filter.
fn mojibake_reason(word: &str, freq: u64, usage: CharUse) -> Option<Junk> {
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if utf8_fragment(c).is_some() {
            let dwarfs_use = freq as f64 > MOJIBAKE_RATIO * (usage.in_words + 1) as f64;
            let explained =
                freq.saturating_mul(MOJIBAKE_YIELD) < usage.as_mojibake.saturating_mul(2);
            if dwarfs_use || explained {
                return Some(Junk::Mojibake);
            }
        }
    }
    None
}

/// The widened filter's mojibake rules: those of [`mojibake_reason`], and the same two rules
/// for the byte shapes that only characters outside GB2312 can have — the last two bytes of
/// a UTF-8 character (two continuation bytes 80–BF: 湴 = 9C B0, from 鰰…) and a last byte
/// followed by the next character's lead (80–BF then E3–E9 or EF: 屾 = 8C E6, 佸 = 81 E5),
/// what UTF-8 Chinese read as GBK from an odd offset yields. Rule (b) needs the source
/// characters, known for the first shape only.
fn widened_mojibake_reason(word: &str, freq: u64, usage: CharUse) -> Option<Junk> {
    if let Some(j) = mojibake_reason(word, freq, usage) {
        return Some(j);
    }
    let mut chars = word.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    let [b0, b1] = gbk_pair(c)?;
    let cont = |b: u8| (0x80..=0xBF).contains(&b);
    let lead = |b: u8| (0xE3..=0xE9).contains(&b) || b == 0xEF;
    if !(cont(b0) && (cont(b1) || lead(b1))) {
        return None;
    }
    let dwarfs_use = freq as f64 > MOJIBAKE_RATIO * (usage.in_words + 1) as f64;
    let explained = freq.saturating_mul(MOJIBAKE_YIELD) < usage.as_tail_mojibake.saturating_mul(2);
    (dwarfs_use || explained).then_some(Junk::Mojibake)
}

/// The characters whose UTF-8 encoding is a CJK lead (E3–E9, EF) then the two bytes `pair`.
fn utf8_tail_block(pair: [u8; 2]) -> impl Iterator<Item = char> {
    (0xE3..=0xEFu8)
        .filter(|l| *l <= 0xE9 || *l == 0xEF)
        .filter_map(move |lead| {
            std::str::from_utf8(&[lead, pair[0], pair[1]])
                .ok()
                .and_then(|s| s.chars().next())
        })
}

/// For every single-character entry's character: its use inside words and as mojibake.
fn single_char_use(entries: &[Word]) -> BTreeMap<char, CharUse> {
    let mut in_words: BTreeMap<char, u64> = BTreeMap::new();
    let mut char_freq: BTreeMap<char, u64> = BTreeMap::new();
    for w in entries {
        for c in w.text.chars() {
            *char_freq.entry(c).or_default() += w.freq;
        }
        if w.text.chars().nth(1).is_some() {
            let mut seen: Vec<char> = w.text.chars().collect();
            seen.sort_unstable();
            seen.dedup();
            for c in seen {
                *in_words.entry(c).or_default() += w.freq;
            }
        }
    }
    let mut out = BTreeMap::new();
    for w in entries {
        let mut it = w.text.chars();
        if let (Some(c), None) = (it.next(), it.next()) {
            let as_mojibake = utf8_fragment(c).map_or(0, |pair| {
                utf8_block(pair)
                    .map(|u| char_freq.get(&u).copied().unwrap_or(0))
                    .sum()
            });
            let as_tail_mojibake = gbk_pair(c)
                .filter(|p| p.iter().all(|b| (0x80..=0xBF).contains(b)))
                .map_or(0, |pair| {
                    utf8_tail_block(pair)
                        .map(|u| char_freq.get(&u).copied().unwrap_or(0))
                        .sum()
                });
            let in_words = in_words.get(&c).copied().unwrap_or(0);
            out.insert(
                c,
                CharUse {
                    in_words,
                    as_mojibake,
                    as_tail_mojibake,
                },
            );
        }
    }
    out
}

/// Counts of what a derivation kept and dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeriveReport {
    pub entries: usize,
    pub malformed_lines: usize,
    pub dropped: BTreeMap<Junk, usize>,
    pub kept: usize,
}

/// The entries of a jieba `word freq [tag]` dictionary, and the number of malformed lines.
fn dict_entries(dict: &str) -> (Vec<Word>, usize) {
    let mut entries: Vec<Word> = Vec::new();
    let mut malformed = 0;
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
            _ => malformed += 1,
        }
    }
    (entries, malformed)
}

/// Parses jieba's `word freq [tag]` dictionary, drops junk and returns the `top` most frequent
/// words (all when `top` is 0), ordered by frequency then by word (code point order).
pub fn derive_top_words(dict: &str, top: usize) -> (Vec<Word>, DeriveReport) {
    let (mut words, mut report) = clean_dict(dict, junk_reason);
    if top > 0 {
        words.truncate(top);
    }
    report.kept = words.len();
    (words, report)
}

/// Every clean entry of jieba's dictionary under `filter`, deduplicated (highest frequency),
/// ordered by frequency then code point.
fn clean_dict(
    dict: &str,
    filter: fn(&str, u64, CharUse) -> Option<Junk>,
) -> (Vec<Word>, DeriveReport) {
    let (entries, malformed_lines) = dict_entries(dict);
    let mut report = DeriveReport {
        entries: entries.len(),
        malformed_lines,
        ..DeriveReport::default()
    };
    let usage = single_char_use(&entries);
    let mut kept: BTreeMap<String, u64> = BTreeMap::new();
    for w in entries {
        let single = {
            let mut it = w.text.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => usage.get(&c).copied().unwrap_or_default(),
                _ => CharUse::default(),
            }
        };
        match filter(&w.text, w.freq, single) {
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
    report.kept = words.len();
    (words, report)
}

/// What the tail derivation found, for `corpus tail`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TailReport {
    pub clean: DeriveReport,
    /// Standard characters per level that the top list has / lacks.
    pub top_covers: [usize; 3],
    /// Tail words (multi-character words and single-character dictionary entries).
    pub words: usize,
    /// Standard characters no clean dictionary word has, shipped as single characters.
    pub single_fallbacks: String,
    /// Standard characters whose only words the default exclude list removes, also shipped as
    /// single characters.
    pub excluded_fallbacks: String,
}

/// Frequency of a fallback single character: below every dictionary word.
pub const FALLBACK_FREQ: u64 = 1;

/// The tail list: clean words of jieba's dictionary (the filter of [`derive_top_words`] with
/// its character test widened to [`is_standard_hanzi`]) that are not in `top` and hold a
/// standard character that no word of `top` holds (no word that `exclude` keeps); then every
/// standard character still in no word (or only in words that `exclude` removes) as a single
/// character of frequency [`FALLBACK_FREQ`]. Ordered by frequency then code point.
pub fn derive_tail_words(dict: &str, top: &[Word], exclude: &[String]) -> (Vec<Word>, TailReport) {
    let list = crate::tiers::standard();
    let (clean, clean_report) = clean_dict(dict, junk_reason_widened);
    let mut report = TailReport {
        clean: clean_report,
        ..TailReport::default()
    };
    let in_top: std::collections::HashSet<&str> = top.iter().map(|w| w.text.as_str()).collect();
    let raw: std::collections::HashSet<char> = top.iter().flat_map(|w| w.text.chars()).collect();
    for s in &list.chars {
        if raw.contains(&s.ch) {
            report.top_covers[s.tier.index()] += 1;
        }
    }
    // A character counts as covered only by a top word the exclude list keeps.
    let covered: std::collections::HashSet<char> = exclude_words(top.to_vec(), exclude)
        .0
        .iter()
        .flat_map(|w| w.text.chars())
        .collect();
    let lacking = |c: char| list.contains(c) && !covered.contains(&c);
    let mut words: Vec<Word> = clean
        .into_iter()
        .filter(|w| !in_top.contains(w.text.as_str()) && w.text.chars().any(lacking))
        .collect();
    let in_words: std::collections::HashSet<char> =
        words.iter().flat_map(|w| w.text.chars()).collect();
    let (kept, _) = exclude_words(words.clone(), exclude);
    let in_kept: std::collections::HashSet<char> =
        kept.iter().flat_map(|w| w.text.chars()).collect();
    let texts: std::collections::HashSet<String> = words.iter().map(|w| w.text.clone()).collect();
    for s in &list.chars {
        if !lacking(s.ch) || in_kept.contains(&s.ch) || texts.contains(&s.ch.to_string()) {
            continue;
        }
        if in_words.contains(&s.ch) {
            report.excluded_fallbacks.push(s.ch);
        } else {
            report.single_fallbacks.push(s.ch);
        }
        words.push(Word {
            text: s.ch.to_string(),
            freq: FALLBACK_FREQ,
        });
    }
    words.sort_by(|a, b| b.freq.cmp(&a.freq).then_with(|| a.text.cmp(&b.text)));
    report.words = words.len();
    (words, report)
}

/// Why `corpus build --text` left a token out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TextDrop {
    /// CJK or ASCII punctuation (kept with `--keep-punctuation`).
    Punctuation,
    /// Numbers.
    Digits,
    /// Latin letters (with or without digits).
    Latin,
    /// Hanzi outside the 6,763 of GB2312: traditional and variant forms, rare characters.
    NotGb2312Hanzi,
    /// Hanzi mixed with letters, digits or symbols (`4S店`, `T恤`).
    Mixed,
    /// Control or invisible format characters.
    Invisible,
    /// Anything else: symbols, emoji, kana, hangul …
    Other,
}

impl TextDrop {
    /// What a user reads in `corpus build --text`'s report.
    pub fn describe(self) -> &'static str {
        match self {
            TextDrop::Punctuation => "punctuation",
            TextDrop::Digits => "numbers",
            TextDrop::Latin => "Latin words",
            TextDrop::NotGb2312Hanzi => {
                "words with hanzi outside GB2312 (traditional, variant or rare characters)"
            }
            TextDrop::Mixed => "hanzi mixed with letters, digits or symbols",
            TextDrop::Invisible => "tokens with control or invisible characters",
            TextDrop::Other => "other symbols and scripts (emoji, kana, …)",
        }
    }
}

/// CJK and ASCII punctuation: the marks of Chinese text (，。、；：？！“”‘’《》「」【】（）…—·～)
/// and ASCII's.
pub fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0x00A1 | 0x00A7 | 0x00AB | 0x00B6 | 0x00B7 | 0x00BB | 0x00BF
            | 0x2010..=0x2027 | 0x2030..=0x205E | 0x3001..=0x3003 | 0x3008..=0x3011
            | 0x3014..=0x301F | 0x3030 | 0x303D | 0x30FB | 0xFE10..=0xFE19 | 0xFE30..=0xFE4F
            | 0xFE50..=0xFE6B | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40
            | 0xFF5B..=0xFF65)
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

fn is_latin(c: char) -> bool {
    (c.is_alphabetic() && (c as u32) < 0x0250)
        || matches!(c as u32, 0xFF21..=0xFF3A | 0xFF41..=0xFF5A)
}

/// What `corpus build --text` does with a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// Whitespace between words: not counted.
    Space,
    Keep,
    Drop(TextDrop),
}

fn classify_token(token: &str, keep_punctuation: bool) -> Token {
    if token.chars().all(char::is_whitespace) {
        return Token::Space;
    }
    if junk_reason(token, 0, CharUse::default()).is_none() {
        return Token::Keep;
    }
    let all = |f: fn(char) -> bool| token.chars().all(f);
    let why = if unprintable(token).is_some() {
        TextDrop::Invisible
    } else if all(is_punctuation) {
        if keep_punctuation {
            return Token::Keep;
        }
        TextDrop::Punctuation
    } else if all(char::is_numeric) {
        TextDrop::Digits
    } else if all(|c| is_latin(c) || c.is_numeric()) {
        TextDrop::Latin
    } else if all(is_han) {
        TextDrop::NotGb2312Hanzi
    } else if token.chars().any(is_han) {
        TextDrop::Mixed
    } else {
        TextDrop::Other
    };
    Token::Drop(why)
}

/// What `corpus build --text` saw and left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextReport {
    /// Tokens jieba cut, whitespace not counted.
    pub tokens: u64,
    /// Tokens kept as words.
    pub kept_tokens: u64,
    /// Per reason: each distinct token left out and how often.
    pub dropped: BTreeMap<TextDrop, BTreeMap<String, u64>>,
}

impl TextReport {
    /// The `n` most frequent distinct tokens dropped for `why` (ties by code point).
    pub fn examples(&self, why: TextDrop, n: usize) -> Vec<&str> {
        let Some(tokens) = self.dropped.get(&why) else {
            return Vec::new();
        };
        let mut v: Vec<(&String, &u64)> = tokens.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        v.into_iter().take(n).map(|(t, _)| t.as_str()).collect()
    }
}

/// Segments free text with jieba and counts the clean words (GB2312 hanzi only; CJK and ASCII
/// punctuation too with `keep_punctuation`), reporting what it left out.
pub fn count_words_in_text(texts: &[String], keep_punctuation: bool) -> (Vec<Word>, TextReport) {
    let jieba = jieba_rs::Jieba::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut report = TextReport::default();
    for text in texts {
        for token in jieba.cut(text, true) {
            let slot = match classify_token(token.word, keep_punctuation) {
                Token::Space => continue,
                Token::Keep => {
                    report.kept_tokens += 1;
                    counts.entry(token.word.to_string()).or_default()
                }
                Token::Drop(why) => report
                    .dropped
                    .entry(why)
                    .or_default()
                    .entry(token.word.to_string())
                    .or_default(),
            };
            *slot += 1;
            report.tokens += 1;
        }
    }
    let mut words: Vec<Word> = counts
        .into_iter()
        .map(|(text, freq)| Word { text, freq })
        .collect();
    words.sort_by(|a, b| b.freq.cmp(&a.freq).then_with(|| a.text.cmp(&b.text)));
    (words, report)
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

/// Why a line of a word list was skipped (counted and reported, not an error).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LineSkip {
    /// The line's bytes are not UTF-8.
    NotUtf8,
    /// The word holds a whitespace character other than the ASCII space (which is refused as
    /// a column separator): U+3000, no-break space, line separators …
    Whitespace,
    /// The word holds a control character (general category Cc).
    ControlCharacter,
    /// The word holds an invisible format character (Cf: zero-width space and joiners, bidi
    /// marks, a byte-order mark, a soft hyphen …).
    InvisibleCharacter,
    /// A paragraph of a text file (`corpus.text.source`) longer than [`MAX_PARAGRAPH_CHARS`].
    TooLong,
}

impl LineSkip {
    /// What a user reads in the summaries.
    pub fn describe(self) -> &'static str {
        match self {
            LineSkip::NotUtf8 => "not valid UTF-8",
            LineSkip::Whitespace => "a word with a whitespace character",
            LineSkip::ControlCharacter => "a word with a control character",
            LineSkip::InvisibleCharacter => "a word with an invisible format character",
            LineSkip::TooLong => {
                "a paragraph longer than 1,000 characters (put one paragraph per line)"
            }
        }
    }
}

/// A skipped line of a word list: its 1-based number and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkippedLine {
    pub line: usize,
    pub reason: LineSkip,
}

/// A parsed word list: its words and the lines skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WordList {
    pub words: Vec<Word>,
    pub skipped: Vec<SkippedLine>,
}

/// Invisible format characters (Unicode general category Cf).
pub fn is_format_char(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// Why a word cannot be drawn as written: it holds whitespace (Zs, Zl, Zp), a control (Cc)
/// or an invisible format character (Cf).
pub fn unprintable(word: &str) -> Option<LineSkip> {
    word.chars().find_map(|c| {
        if c.is_whitespace() {
            Some(LineSkip::Whitespace)
        } else if c.is_control() {
            Some(LineSkip::ControlCharacter)
        } else if is_format_char(c) {
            Some(LineSkip::InvisibleCharacter)
        } else {
            None
        }
    })
}

/// A line as shown in an error message: quoted, at most 60 characters, tabs and invisible
/// characters spelled out.
fn shown(line: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in line.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        match c {
            '\t' => out.push_str("<TAB>"),
            ' ' => out.push(' '),
            c if c.is_whitespace() || c.is_control() || is_format_char(c) => {
                out.push_str(&format!("<U+{:04X}>", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A jieba dictionary line: `word freq` or `word freq tag`, separated by spaces.
fn is_jieba_line(line: &str) -> bool {
    let parts: Vec<&str> = line.split(' ').filter(|p| !p.is_empty()).collect();
    (2..=3).contains(&parts.len())
        && !line.contains('\t')
        && !parts[1].is_empty()
        && parts[1].bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` looks like a jieba dictionary: at least half of its first 20 lines of
/// content are `word freq [tag]` lines.
pub fn looks_like_jieba(text: &str) -> bool {
    let content: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .take(20)
        .collect();
    !content.is_empty() && 2 * content.iter().filter(|l| is_jieba_line(l)).count() >= content.len()
}

/// The hint for a file that is a jieba dictionary rather than a word list.
fn jieba_hint(text: &str, origin: &str) -> String {
    if looks_like_jieba(text) {
        format!(
            "; this file looks like a jieba dictionary (`word freq tag` lines separated by spaces): \
             derive a word list from it with `hanzi-synth corpus build --dict {origin} -o words.tsv`"
        )
    } else {
        String::new()
    }
}

const LINE_FORMAT: &str = "each line must be `word<TAB>frequency` (or just `word`)";

/// Reads `word<TAB>freq` lines (a bare `word` counts as frequency 1; `#` starts a comment
/// line; a byte-order mark at the start is ignored). A line of another shape — spaces in it,
/// more than one tab, an empty word, a frequency that is not a whole number — is an error that
/// names the line; a word with whitespace, control or invisible characters is skipped and
/// counted.
pub fn parse_tsv(text: &str, origin: &str) -> Result<WordList> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut list = WordList::default();
    for (no, line) in text.lines().enumerate() {
        let no = no + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() > 2 {
            bail!(
                "{origin}:{no}: {} has {} tab-separated columns; {LINE_FORMAT}{}",
                shown(line),
                fields.len(),
                jieba_hint(text, origin)
            );
        }
        let word = fields[0];
        if word.contains(' ') {
            bail!(
                "{origin}:{no}: {} has a space in it; {LINE_FORMAT}, without spaces{}",
                shown(line),
                jieba_hint(text, origin)
            );
        }
        if word.is_empty() {
            bail!(
                "{origin}:{no}: empty word in {}; {LINE_FORMAT}",
                shown(line)
            );
        }
        let freq = match fields.get(1).map(|f| f.trim()) {
            None | Some("") => 1,
            Some(f) => f.parse::<u64>().map_err(|_| {
                anyhow::anyhow!(
                    "{origin}:{no}: frequency {f:?} is not a whole number in {}; {LINE_FORMAT}",
                    shown(line)
                )
            })?,
        };
        match unprintable(word) {
            Some(reason) => list.skipped.push(SkippedLine { line: no, reason }),
            None => list.words.push(Word {
                text: word.to_string(),
                freq,
            }),
        }
    }
    Ok(list)
}

/// A `word<TAB>frequency` line: one field without spaces, a tab, a whole number.
fn is_word_list_line(line: &str) -> bool {
    line.split_once('\t').is_some_and(|(w, f)| {
        !w.is_empty() && !w.contains(' ') && {
            let f = f.trim();
            !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())
        }
    })
}

/// The first line of a file that looks like a word list (`word<TAB>freq`) or a jieba
/// dictionary rather than running text — at least half of its first 20 lines of content have
/// that shape — with its 1-based number.
fn word_list_line(text: &str) -> Option<(usize, &str)> {
    let content: Vec<(usize, &str)> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .take(20)
        .collect();
    // A jieba line's tag is ASCII letters: running text such as "第 3 章" is not one.
    let jieba = |l: &str| {
        is_jieba_line(l)
            && l.split(' ')
                .filter(|p| !p.is_empty())
                .nth(2)
                .is_none_or(|tag| tag.bytes().all(|b| b.is_ascii_alphabetic()))
    };
    let listed = |l: &str| is_word_list_line(l) || jieba(l);
    let hits = content.iter().filter(|(_, l)| listed(l)).count();
    (!content.is_empty() && 2 * hits >= content.len())
        .then(|| content.iter().find(|(_, l)| listed(l)))
        .flatten()
        .map(|(no, l)| (no + 1, *l))
}

/// A line of running text as one paragraph: whitespace at its ends removed (an indent of
/// ideographic spaces too), every run of whitespace inside it (tabs, U+3000 …) made one space.
pub fn normalise_paragraph(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for word in line.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Why a paragraph cannot be drawn as written: it holds a control (Cc) or an invisible format
/// character (Cf), or it is longer than [`MAX_PARAGRAPH_CHARS`].
fn paragraph_problem(p: &str) -> Option<LineSkip> {
    p.chars()
        .find_map(|c| {
            if c.is_control() {
                Some(LineSkip::ControlCharacter)
            } else if is_format_char(c) {
                Some(LineSkip::InvisibleCharacter)
            } else {
                None
            }
        })
        .or_else(|| (p.chars().count() > MAX_PARAGRAPH_CHARS).then_some(LineSkip::TooLong))
}

/// Reads running text, one paragraph per line (`corpus.text.source`): lines starting with `#`
/// are comments, empty lines are ignored, whitespace is normalised ([`normalise_paragraph`]), a
/// byte-order mark at the start is ignored. A paragraph with control or invisible characters,
/// or longer than [`MAX_PARAGRAPH_CHARS`], is skipped and counted. A file that looks like a
/// word list is an error naming its first such line.
pub fn parse_paragraphs(text: &str, origin: &str) -> Result<WordList> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((no, line)) = word_list_line(text) {
        bail!(
            "{origin}:{no}: {} looks like a word list (`word<TAB>frequency`, or a jieba \
             dictionary's `word freq tag`), not running text; \
             corpus.text.source wants UTF-8 text with one paragraph per line (a word list \
             belongs in corpus.source, without corpus.text)",
            shown(line)
        );
    }
    let mut list = WordList::default();
    for (no, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let paragraph = normalise_paragraph(line);
        if paragraph.is_empty() {
            continue;
        }
        match paragraph_problem(&paragraph) {
            Some(reason) => list.skipped.push(SkippedLine {
                line: no + 1,
                reason,
            }),
            None => list.words.push(Word {
                text: paragraph,
                freq: 1,
            }),
        }
    }
    Ok(list)
}

/// Reads a user's corpus file (`what` names it in errors): its valid UTF-8 lines parsed by
/// `parse`, lines that are not UTF-8 reported as skipped, in line order.
fn load_user_file(
    path: &Path,
    what: &str,
    parse: fn(&str, &str) -> Result<WordList>,
) -> Result<WordList> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))?;
    let (text, invalid) = valid_utf8_lines(&bytes);
    let mut list = parse(&text, &path.display().to_string())?;
    list.skipped
        .extend(invalid.into_iter().map(|line| SkippedLine {
            line,
            reason: LineSkip::NotUtf8,
        }));
    list.skipped.sort_by_key(|s| s.line);
    Ok(list)
}

/// The units `corpus.text` draws (paragraphs, or their sentences, each of frequency 1) and the
/// lines of the source skipped.
fn load_text_units(t: &TextSourceConfig) -> Result<WordList> {
    let mut list = if t.source == BUNDLED_CLASSICAL {
        parse_paragraphs(CLASSICAL_TXT, "corpora/classical-paragraphs.txt")?
    } else {
        load_user_file(Path::new(&t.source), "corpus.text.source", parse_paragraphs)?
    };
    if t.unit == TextUnit::Sentence {
        list.words = list
            .words
            .iter()
            .flat_map(|p| crate::linebreak::split_sentences(&p.text))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Word {
                text: s.to_string(),
                freq: 1,
            })
            .collect();
    }
    Ok(list)
}

/// What one drawn unit of a corpus is called in messages: `word`, or with `corpus.text` a
/// `paragraph` or `sentence`.
pub fn unit_noun(cfg: &CorpusConfig) -> &'static str {
    match cfg.text.as_ref().map(|t| t.unit) {
        None => "word",
        Some(TextUnit::Paragraph) => "paragraph",
        Some(TextUnit::Sentence) => "sentence",
    }
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
    /// Lines of the source skipped, with the reason, in line order.
    pub skipped_lines: Vec<SkippedLine>,
    /// With `corpus.exclude`: the list and how many words it removed.
    pub exclude: Option<ExcludeReport>,
    /// The recipe's charset, if any: what was left out, and the set that mixed-in digits and
    /// Latin words must fit.
    pub charset: Option<Charset>,
    /// With `corpus.tier_weights`: the weight per [`Tier`](crate::tiers::Tier) (indexed by
    /// `Tier::index`) and, for balanced sampling, the cumulative character weights.
    tier_weights: Option<TierWeights>,
}

struct TierWeights {
    per_tier: [f64; 4],
    char_cumulative: Vec<f64>,
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

/// The bundled word filter (`corpus.exclude: default`).
pub const BUNDLED_EXCLUDE: &str = include_str!("../corpora/exclude-default.txt");

/// What `corpus.exclude` removed, for the manifest.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExcludeReport {
    /// `default` (the bundled list) or the file's path.
    pub file: String,
    /// Entries in the list.
    pub entries: usize,
    /// Corpus words removed because they contain an entry.
    pub words_removed: usize,
}

/// Reads an exclude list: one entry per line (a character or a word); `#` comment lines and
/// blank lines are ignored, spaces around an entry are trimmed. An entry with spaces or
/// invisible characters inside is an error naming the line.
pub fn parse_exclude(text: &str, origin: &str) -> Result<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let entry = line.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        if unprintable(entry).is_some() {
            bail!(
                "{origin}:{}: {} holds a space or an invisible character; write one word or \
                 character per line",
                no + 1,
                shown(line)
            );
        }
        entries.push(entry.to_string());
    }
    entries.sort();
    entries.dedup();
    Ok(entries)
}

/// Splits `words` into those that contain none of `entries` (as a substring: a character
/// entry removes every word with that character, a word entry every word containing it) and
/// the number removed.
pub fn exclude_words(words: Vec<Word>, entries: &[String]) -> (Vec<Word>, usize) {
    let before = words.len();
    if entries.iter().any(String::is_empty) {
        // The empty string is in every word.
        return (Vec::new(), before);
    }
    // Entries by first character: each word is read once, not once per entry (this runs on
    // every start, over every corpus word).
    let mut by_first: HashMap<char, Vec<&str>> = HashMap::new();
    for e in entries {
        let first = e.chars().next().expect("not empty");
        by_first.entry(first).or_default().push(e);
    }
    let excluded = |text: &str| {
        text.char_indices().any(|(i, c)| {
            by_first
                .get(&c)
                .is_some_and(|es| es.iter().any(|e| text[i..].starts_with(e)))
        })
    };
    let kept: Vec<Word> = words.into_iter().filter(|w| !excluded(&w.text)).collect();
    let removed = before - kept.len();
    (kept, removed)
}

/// Reads the exclude list that `corpus.exclude` names: `default` for the bundled one.
fn load_exclude(spec: &str) -> Result<Vec<String>> {
    if spec == "default" {
        return parse_exclude(BUNDLED_EXCLUDE, "corpora/exclude-default.txt");
    }
    let bytes =
        std::fs::read(spec).with_context(|| format!("cannot read corpus.exclude {spec}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("corpus.exclude {spec} is not UTF-8 text"))?;
    parse_exclude(&text, spec)
}

/// Skipped lines of one reason, for the manifest.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LineSkipCount {
    pub lines: usize,
    /// The first few line numbers (1-based).
    pub first: Vec<usize>,
}

/// Skipped lines per reason (`not_utf8`, `whitespace`, `control_character`,
/// `invisible_character`).
pub fn count_skips(skipped: &[SkippedLine]) -> BTreeMap<String, LineSkipCount> {
    let mut out: BTreeMap<String, LineSkipCount> = BTreeMap::new();
    for s in skipped {
        let key = serde_json::to_value(s.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let entry = out.entry(key).or_default();
        entry.lines += 1;
        if entry.first.len() < 5 {
            entry.first.push(s.line);
        }
    }
    out
}

/// "2 not valid UTF-8 (first: line 1), 1 a word with …" for a summary or an error.
pub fn describe_skips(skipped: &[SkippedLine]) -> String {
    let mut by_reason: BTreeMap<LineSkip, (usize, usize)> = BTreeMap::new();
    for s in skipped {
        by_reason.entry(s.reason).or_insert((0, s.line)).0 += 1;
    }
    by_reason
        .iter()
        .map(|(reason, (n, first))| format!("{n} {} (first: line {first})", reason.describe()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Corpus {
    /// Loads what `cfg` draws: the word list, or with `corpus.text` the paragraphs (or
    /// sentences) of the text, each a "word" of frequency 1 — so the word filter, the charset,
    /// the font check and every sampling mode apply to them alike.
    pub fn load(cfg: &CorpusConfig) -> Result<Corpus> {
        let noun = unit_noun(cfg);
        let origin = match &cfg.text {
            Some(t) => format!("corpus.text.source {}", t.source),
            None => format!("corpus {}", cfg.source),
        };
        let list = if let Some(t) = &cfg.text {
            load_text_units(t)?
        } else if cfg.source == "bundled" {
            let mut list = parse_tsv(BUNDLED_TSV, "corpora/top50k.tsv")?;
            if cfg.top > 0 {
                list.words.truncate(cfg.top);
            }
            if cfg.tail || cfg.quota.tiers.values().any(|n| *n > 0) {
                let tail = parse_tsv(TAIL_TSV, "corpora/tail-words.tsv")?;
                let have: std::collections::HashSet<String> =
                    list.words.iter().map(|w| w.text.clone()).collect();
                list.words
                    .extend(tail.words.into_iter().filter(|w| !have.contains(&w.text)));
            }
            list
        } else {
            load_user_file(Path::new(&cfg.source), "corpus", parse_tsv)?
        };
        let WordList {
            mut words,
            skipped: skipped_lines,
        } = list;
        if cfg.top > 0 && cfg.source != "bundled" && cfg.text.is_none() {
            words.truncate(cfg.top);
        }
        let mut exclude = None;
        if !cfg.exclude.is_empty() && !words.is_empty() {
            let entries = load_exclude(&cfg.exclude)?;
            let (kept, removed) = exclude_words(words, &entries);
            if kept.is_empty() {
                bail!(
                    "corpus.exclude {}: its {} entries remove every corpus {noun}",
                    cfg.exclude,
                    entries.len()
                );
            }
            words = kept;
            exclude = Some(ExcludeReport {
                file: cfg.exclude.clone(),
                entries: entries.len(),
                words_removed: removed,
            });
        }
        let mut charset = None;
        if !cfg.charset.is_empty() {
            let set = load_charset(Path::new(&cfg.charset))?;
            let (kept, report) = restrict(words, &set, &cfg.charset);
            if kept.is_empty() {
                bail!(
                    "corpus.charset {}: no corpus {noun} is made only of its {} characters",
                    cfg.charset,
                    set.len()
                );
            }
            words = kept;
            charset = Some(Charset { chars: set, report });
        }
        if words.is_empty() && !skipped_lines.is_empty() {
            bail!(
                "{origin}: no usable {noun}s ({} line(s) skipped: {})",
                skipped_lines.len(),
                describe_skips(&skipped_lines)
            );
        }
        if words.is_empty() && cfg.text.is_some() {
            bail!(
                "{origin}: the file holds no paragraph; it must be UTF-8 text with one \
                 paragraph per line"
            );
        }
        let mut corpus =
            Corpus::new(words, cfg.sampling, cfg.temperature).with_context(|| origin.clone())?;
        corpus.skipped_lines = skipped_lines;
        corpus.exclude = exclude;
        corpus.charset = charset;
        corpus.set_tier_weights(&cfg.tier_weights);
        if !corpus.has_weight() {
            bail!(
                "corpus.tier_weights: no corpus word has a level with a weight > 0 \
                 (levels: level_1, level_2, level_3, other)"
            );
        }
        Ok(corpus)
    }

    /// The corpus with `corpus.tier_weights` applied (no change when empty): a word's sampling
    /// weight is multiplied by the weight of its rarest character's level; balanced sampling
    /// picks characters by their level's weight.
    pub fn set_tier_weights(&mut self, weights: &crate::recipe::Weights<crate::tiers::Tier>) {
        use crate::tiers::{rarest_tier, tier_of, Tier};
        if weights.0.is_empty() || self.tier_weights.is_some() {
            return;
        }
        let mut per_tier = [0.0; 4];
        for t in [Tier::Level1, Tier::Level2, Tier::Level3, Tier::Other] {
            per_tier[t.index()] = weights.0.get(&t).copied().unwrap_or(0.0);
        }
        let mut acc = 0.0;
        for (i, w) in self.words.iter().enumerate() {
            let base = match self.mode {
                SamplingMode::Frequency => {
                    let prev = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
                    self.cumulative[i] - prev
                }
                _ => 1.0,
            };
            acc += base * per_tier[rarest_tier(&w.text).index()];
            self.cumulative[i] = acc;
        }
        let mut acc = 0.0;
        let char_cumulative = self
            .chars
            .iter()
            .map(|c| {
                acc += per_tier[tier_of(*c).index()];
                acc
            })
            .collect();
        self.tier_weights = Some(TierWeights {
            per_tier,
            char_cumulative,
        });
    }

    /// The weight per level that `corpus.tier_weights` set (`None` without one).
    pub fn tier_weights(&self) -> Option<[f64; 4]> {
        self.tier_weights.as_ref().map(|t| t.per_tier)
    }

    /// Whether any word can be drawn under the tier weights (always without them).
    pub fn has_weight(&self) -> bool {
        self.cumulative.last().is_some_and(|t| *t > 0.0)
            && self
                .tier_weights
                .as_ref()
                .is_none_or(|t| t.char_cumulative.last().is_some_and(|c| *c > 0.0))
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
            skipped_lines: Vec::new(),
            exclude: None,
            charset: None,
            tier_weights: None,
        })
    }

    /// One word index according to the sampling mode.
    pub fn sample_word(&self, rng: &mut Rng) -> usize {
        let pick = |cumulative: &[f64], rng: &mut Rng| {
            let total = *cumulative.last().expect("non-empty");
            let target = rng.f64() * total;
            cumulative
                .partition_point(|c| *c <= target)
                .min(cumulative.len() - 1)
        };
        match (self.mode, &self.tier_weights) {
            (SamplingMode::Uniform, None) => rng.below(self.words.len() as u64) as usize,
            (SamplingMode::Frequency, _) | (SamplingMode::Uniform, Some(_)) => {
                pick(&self.cumulative, rng)
            }
            (SamplingMode::Balanced, _) => {
                let c = match &self.tier_weights {
                    None => rng.below(self.chars.len() as u64) as usize,
                    Some(t) => pick(&t.char_cumulative, rng),
                };
                let list = &self.words_by_char[c];
                list[rng.below(list.len() as u64) as usize] as usize
            }
        }
    }

    /// One line of text: whole words, optionally with digits or a Latin word mixed in. The
    /// mixed-in tokens are chosen first so the character limit never cuts them off.
    pub fn sample_line(&self, cfg: &CorpusConfig, rng: &mut Rng) -> String {
        let max = cfg.max_chars_per_line as usize;
        let mut extras = draw_extras(cfg, rng);
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

    /// One unit of real text (`corpus.text`): a paragraph or sentence drawn by the sampling
    /// mode, with a number and a Latin word mixed in as `digits` and `latin` say, each at a
    /// random place between two hanzi (left out when there is none, or when it falls outside
    /// the charset). The unit itself is never cut or changed here: what does not fit a block
    /// is shortened when it is set ([`crate::linebreak::fit_paragraph`]).
    pub fn sample_text(&self, cfg: &CorpusConfig, rng: &mut Rng) -> String {
        let mut text = self.words[self.sample_word(rng)].text.clone();
        for extra in draw_extras(cfg, rng) {
            let spots = between_hanzi(&text);
            if spots.is_empty() || !self.fits(&extra) {
                continue;
            }
            let at = spots[rng.below(spots.len() as u64) as usize];
            text.insert_str(at, &extra);
        }
        text
    }
}

/// A number (1–4 digits, no leading zero) with probability `corpus.digits`, then a Latin word
/// with probability `corpus.latin`: what a line or paragraph gets mixed in.
fn draw_extras(cfg: &CorpusConfig, rng: &mut Rng) -> Vec<String> {
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
    extras
}

/// Byte offsets in `text` between two hanzi: where a mixed-in number or Latin word can go
/// without splitting a Latin word or parting a mark from the character it follows.
fn between_hanzi(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev_han = false;
    for (i, c) in text.char_indices() {
        let han = is_han(c);
        if han && prev_han {
            out.push(i);
        }
        prev_han = han;
    }
    out
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

    fn use_of(in_words: u64, as_mojibake: u64) -> CharUse {
        CharUse {
            as_tail_mojibake: 0,
            in_words,
            as_mojibake,
        }
    }

    #[test]
    fn filter_drops_junk_and_keeps_words() {
        let none = CharUse::default();
        assert_eq!(junk_reason("中国", 100, none), None);
        assert_eq!(junk_reason("4S店", 3, none), Some(Junk::NotGb2312Hanzi));
        assert_eq!(junk_reason("簡", 3221, none), Some(Junk::NotGb2312Hanzi));
        assert_eq!(junk_reason("紝", 11651, none), Some(Junk::NotGb2312Hanzi));
        // 涓 is "中" (E4 B8 AD) read as GBK: frequent alone, rare in words.
        assert_eq!(
            junk_reason("涓", 12958, use_of(104, 0)),
            Some(Junk::Mojibake)
        );
        // 瑜 has the same byte shape but is a real character used in many words.
        assert_eq!(junk_reason("瑜", 1671, use_of(1298, 9156)), None);
        // Ordinary common single characters are never suspected.
        assert_eq!(junk_reason("的", 318825, none), None);
    }

    /// The single characters that rule (b) newly catches, with their numbers in jieba's
    /// dictionary (standalone frequency, in words, source frequency), and real characters of
    /// the same byte shape or none that must stay.
    #[test]
    fn mojibake_explained_by_its_utf8_source_is_dropped() {
        let caught = [
            // 浠 = E4 BB: the start of 他 们 以 从 代 件 … (U+4EC0–4EFF)
            ("浠", 4587, 792, 2_312_978),
            // 璇 = E8 AF: 说 该 话 识 请 读 … (U+8BC0–8BFF)
            ("璇", 2251, 288, 951_350),
            ("寰", 1701, 457, 710_097),
            ("宸", 1027, 2808, 738_527),
            ("琛", 583, 625, 646_687),
        ];
        for (c, freq, in_words, source) in caught {
            assert_eq!(
                junk_reason(c, freq, use_of(in_words, source)),
                Some(Junk::Mojibake),
                "{c}"
            );
            // Without the source evidence rule (a) alone lets it through.
            assert_eq!(junk_reason(c, freq, use_of(in_words, 0)), None, "{c}");
        }
        // 锛 = EF BC: the start of the fullwidth ，：！？（） — 12,605 alone, 3 in words.
        assert_eq!(junk_reason("锛", 12605, use_of(3, 0)), Some(Junk::Mojibake));
        // Real characters of the same shape whose standalone use exceeds what mis-decoded
        // text explains: 姊 (姊妹; source 梦 …), 瑜, 绮.
        assert_eq!(junk_reason("姊", 4076, use_of(2158, 63_406)), None);
        assert_eq!(junk_reason("绮", 1318, use_of(287, 113_486)), None);
        // Common characters are not fragments at all, whatever the numbers.
        for c in ["的", "我", "中", "是", "人"] {
            assert_eq!(utf8_fragment(c.chars().next().unwrap()), None, "{c}");
            assert_eq!(junk_reason(c, 1, use_of(0, u64::MAX)), None, "{c}");
        }
    }

    #[test]
    fn utf8_blocks_are_the_sources_of_a_fragment() {
        let pair = utf8_fragment('浠').unwrap();
        assert_eq!(pair, [0xE4, 0xBB]);
        let block: String = utf8_block(pair).collect();
        assert_eq!(block.chars().count(), 64);
        assert!(block.contains('他') && block.contains('们') && block.contains('以'));
        assert_eq!(utf8_fragment('锛'), Some([0xEF, 0xBC]));
        assert!(utf8_block([0xEF, 0xBC]).any(|c| c == '，'));
        // The derivation measures the source frequency from the dictionary itself.
        let dict = "他 900 r\n们 100 k\n浠 50 x\n浠水 1 ns\n";
        let usage = single_char_use(&dict_entries(dict).0);
        assert_eq!(usage[&'浠'], use_of(1, 1000));
        let (words, report) = derive_top_words(dict, 0);
        assert!(words.iter().all(|w| w.text != "浠"), "{words:?}");
        assert_eq!(report.dropped.get(&Junk::Mojibake), Some(&1));
    }

    #[test]
    fn bundled_list_keeps_common_single_characters_and_no_fragment_survives() {
        let words = parse_tsv(BUNDLED_TSV, "bundled").unwrap().words;
        for c in ["的", "我", "中", "姊", "瑜"] {
            assert!(words.iter().any(|w| w.text == c), "{c} missing");
        }
        for c in ["浠", "璇", "锛", "涓", "宸"] {
            assert!(words.iter().all(|w| w.text != c), "{c} survived");
        }
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
        let list = parse_tsv(BUNDLED_TSV, "bundled").unwrap();
        assert!(list.skipped.is_empty());
        let words = list.words;
        assert_eq!(words.len(), 50_000);
        assert!(words.windows(2).all(|w| w[0].freq >= w[1].freq));
        assert!(words
            .iter()
            .all(|w| junk_reason(&w.text, 0, use_of(u64::MAX / 100, 0)).is_none()));
    }

    #[test]
    fn widened_filter_drops_odd_offset_mojibake_and_keeps_rare_characters() {
        let none = CharUse::default();
        // Standard characters outside GB2312 pass the widened filter only.
        assert_eq!(junk_reason("硚口区", 256, none), Some(Junk::NotGb2312Hanzi));
        assert_eq!(junk_reason_widened("硚口区", 256, none), None);
        assert_eq!(
            junk_reason_widened("簡", 3, none),
            Some(Junk::NotStandardHanzi)
        );
        // 屾 = 8C E6: the last byte of one UTF-8 character and the lead of the next; 3,031
        // alone, never in a word.
        assert_eq!(gbk_pair('屾'), Some([0x8C, 0xE6]));
        assert_eq!(
            junk_reason_widened("屾", 3031, use_of(0, 0)),
            Some(Junk::Mojibake)
        );
        // 湴 = 9C B0: the last two bytes of a UTF-8 character.
        assert_eq!(
            junk_reason_widened("湴", 1211, use_of(0, 0)),
            Some(Junk::Mojibake)
        );
        // Rule (b) on the tail shape: explained by its sources.
        let explained = CharUse {
            in_words: 100,
            as_mojibake: 0,
            as_tail_mojibake: 1_000_000,
        };
        assert_eq!(
            junk_reason_widened("湴", 900, explained),
            Some(Junk::Mojibake)
        );
        // 啰 (86 AA, level 1: 啰嗦) is used in words about as often as alone: kept.
        assert_eq!(junk_reason_widened("啰", 275, use_of(27, 0)), None);
        // Characters whose bytes cannot come from UTF-8 Chinese are never suspected.
        assert_eq!(junk_reason_widened("龢", 732, use_of(0, 0)), None);
        assert!(utf8_tail_block([0xB8, 0xAD]).any(|c| c == '中'));
    }

    #[test]
    fn top_and_tail_lists_hold_every_standard_character() {
        let list = crate::tiers::standard();
        let top = parse_tsv(BUNDLED_TSV, "top").unwrap().words;
        let tail = parse_tsv(TAIL_TSV, "tail").unwrap();
        assert!(tail.skipped.is_empty());
        let tail = tail.words;
        assert!(tail.windows(2).all(|w| w[0].freq >= w[1].freq));
        let in_top: std::collections::HashSet<&str> = top.iter().map(|w| w.text.as_str()).collect();
        let top_chars: std::collections::HashSet<char> =
            top.iter().flat_map(|w| w.text.chars()).collect();
        for w in &tail {
            assert!(w.text.chars().all(is_standard_hanzi), "{}", w.text);
            assert!(
                w.text.chars().any(|c| list.contains(c)),
                "{} holds no standard character",
                w.text
            );
            if w.freq == FALLBACK_FREQ && w.text.chars().count() == 1 {
                continue;
            }
            assert!(
                !in_top.contains(w.text.as_str()),
                "{} is in the top list",
                w.text
            );
        }
        let all: std::collections::HashSet<char> = top_chars
            .iter()
            .copied()
            .chain(tail.iter().flat_map(|w| w.text.chars()))
            .collect();
        assert!(list.chars.iter().all(|s| all.contains(&s.ch)));
        // The top list alone lacks most of levels 2 and 3.
        let lacking = list
            .chars
            .iter()
            .filter(|s| !top_chars.contains(&s.ch))
            .count();
        assert!(lacking > 2700, "{lacking}");
        // Loaded with the tail and no exclude list: all 8,105, the top list unchanged first.
        let cfg = CorpusConfig {
            tail: true,
            exclude: String::new(),
            ..CorpusConfig::default()
        };
        let corpus = Corpus::load(&cfg).unwrap();
        assert_eq!(corpus.words[..50_000], top[..]);
        assert!(list
            .chars
            .iter()
            .all(|s| corpus.chars.binary_search(&s.ch).is_ok()));
        // The default word filter removes every word of 婊 嫖 妓 娼 (single-character entries).
        let corpus = Corpus::load(&CorpusConfig {
            tail: true,
            ..CorpusConfig::default()
        })
        .unwrap();
        let missing: String = list
            .chars
            .iter()
            .map(|s| s.ch)
            .filter(|c| corpus.chars.binary_search(c).is_err())
            .collect();
        assert_eq!(missing, "妓婊娼嫖");
    }

    #[test]
    fn tier_weights_shift_sampling_towards_rare_levels() {
        use crate::recipe::Weights;
        use crate::tiers::Tier;
        let words = vec![
            Word {
                text: "中国".into(),
                freq: 1000,
            },
            Word {
                text: "㑇".into(),
                freq: 1,
            },
        ];
        let count_rare = |mode, weights: &Weights<Tier>| {
            let mut c = Corpus::new(words.clone(), mode, 1.0).unwrap();
            c.set_tier_weights(weights);
            let mut rng = Rng::new(4);
            (0..20_000).filter(|_| c.sample_word(&mut rng) == 1).count()
        };
        let none = Weights(BTreeMap::new());
        let heavy = Weights::from_pairs(&[(Tier::Level1, 1.0), (Tier::Level3, 1000.0)]);
        // Frequency: 1/1001 of draws without weights, about half with level_3 × 1000.
        assert!(count_rare(SamplingMode::Frequency, &none) < 60);
        let f = count_rare(SamplingMode::Frequency, &heavy);
        assert!((9_000..11_000).contains(&f), "{f}");
        // Uniform: half without, nearly all with.
        let u = count_rare(SamplingMode::Uniform, &heavy);
        assert!(u > 19_900, "{u}");
        // Balanced: 3 characters, 㑇 one of them; weighted it dominates.
        let b = count_rare(SamplingMode::Balanced, &none);
        assert!((6_000..7_400).contains(&b), "{b}");
        assert!(count_rare(SamplingMode::Balanced, &heavy) > 19_900);
        // A level with weight 0 is never drawn (unless a word has a weighted character too).
        let off = Weights::from_pairs(&[(Tier::Level1, 1.0), (Tier::Level3, 0.0)]);
        assert_eq!(count_rare(SamplingMode::Uniform, &off), 0);
    }

    #[test]
    fn text_segmentation_counts_words() {
        let text = "我们喜欢学习中文。我们喜欢中国。Hello 2024".to_string();
        let (words, report) = count_words_in_text(std::slice::from_ref(&text), false);
        let get = |t: &str| words.iter().find(|w| w.text == t).map(|w| w.freq);
        assert_eq!(get("我们"), Some(2));
        assert_eq!(get("喜欢"), Some(2));
        assert!(words.iter().all(|w| w.text.chars().all(is_gb2312_hanzi)));
        assert_eq!(report.examples(TextDrop::Punctuation, 3), ["。"]);
        assert_eq!(report.dropped[&TextDrop::Punctuation]["。"], 2);
        assert_eq!(report.examples(TextDrop::Latin, 3), ["Hello"]);
        assert_eq!(report.examples(TextDrop::Digits, 3), ["2024"]);
        assert_eq!(report.tokens - report.kept_tokens, 4);
        let (words, report) = count_words_in_text(&[text], true);
        assert_eq!(
            words.iter().find(|w| w.text == "。").map(|w| w.freq),
            Some(2)
        );
        assert!(!report.dropped.contains_key(&TextDrop::Punctuation));
    }

    #[test]
    fn text_tokens_are_classified_by_what_they_hold() {
        let drop = |t: &str| classify_token(t, false);
        assert_eq!(drop("中国"), Token::Keep);
        assert_eq!(drop(" \n"), Token::Space);
        for p in ["，", "。", "《", "》", "……", "——", "“", "!", "·", "～"] {
            assert_eq!(drop(p), Token::Drop(TextDrop::Punctuation), "{p}");
            assert_eq!(classify_token(p, true), Token::Keep, "{p}");
        }
        assert_eq!(drop("們"), Token::Drop(TextDrop::NotGb2312Hanzi));
        assert_eq!(drop("說話"), Token::Drop(TextDrop::NotGb2312Hanzi));
        assert_eq!(drop("１２３"), Token::Drop(TextDrop::Digits));
        assert_eq!(drop("WiFi"), Token::Drop(TextDrop::Latin));
        assert_eq!(drop("4S店"), Token::Drop(TextDrop::Mixed));
        assert_eq!(drop("中\u{200b}国"), Token::Drop(TextDrop::Invisible));
        assert_eq!(drop("😀"), Token::Drop(TextDrop::Other));
        assert_eq!(drop("カタカナ"), Token::Drop(TextDrop::Other));
    }

    #[test]
    fn word_lists_are_strict_about_their_lines() {
        let list = parse_tsv("\u{feff}中国\t50\n# note\n\n人民\n的\t7\r\n", "w.tsv").unwrap();
        let texts: Vec<(&str, u64)> = list
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.freq))
            .collect();
        assert_eq!(texts, [("中国", 50), ("人民", 1), ("的", 7)]);
        assert!(list.skipped.is_empty());
        let err = |text: &str| format!("{:#}", parse_tsv(text, "w.tsv").unwrap_err());
        // A jieba line: refused, with the line shown and the way to derive a word list.
        let e = err("一代人 66 n\n一代 100 n\n");
        assert!(e.contains("w.tsv:1:"), "{e}");
        assert!(e.contains("\"一代人 66 n\""), "{e}");
        assert!(
            e.contains("hanzi-synth corpus build --dict w.tsv -o words.tsv"),
            "{e}"
        );
        // Spaces elsewhere, extra columns, empty words, bad numbers: refused, no jieba hint.
        let e = err("中国\t5\n中 国\t3\n");
        assert!(e.contains("w.tsv:2:") && e.contains("space"), "{e}");
        assert!(!e.contains("jieba"), "{e}");
        let e = err("中国\t5\tn\n");
        assert!(
            e.contains("w.tsv:1:") && e.contains("\"中国<TAB>5<TAB>n\""),
            "{e}"
        );
        assert!(err("\t5\n").contains("empty word"));
        assert!(err("中国\tlots\n").contains("w.tsv:1: frequency \"lots\""));
        // Whitespace, control and invisible characters inside a word: skipped and counted.
        let text = "中国\t5\n中\u{3000}国\t4\n人\u{200b}民\t3\n中\u{1}\t2\n\u{feff}的\t1\n\
                    阿\u{00ad}\t1\n左\u{202e}右\t1\n好\u{00a0}\t1\n";
        let list = parse_tsv(text, "w.tsv").unwrap();
        assert_eq!(list.words.len(), 1);
        let reasons: Vec<(usize, LineSkip)> =
            list.skipped.iter().map(|s| (s.line, s.reason)).collect();
        assert_eq!(
            reasons,
            [
                (2, LineSkip::Whitespace),
                (3, LineSkip::InvisibleCharacter),
                (4, LineSkip::ControlCharacter),
                (5, LineSkip::InvisibleCharacter),
                (6, LineSkip::InvisibleCharacter),
                (7, LineSkip::InvisibleCharacter),
                (8, LineSkip::Whitespace),
            ]
        );
        let counts = count_skips(&list.skipped);
        assert_eq!(counts["invisible_character"].lines, 4);
        assert_eq!(counts["invisible_character"].first, [3, 5, 6, 7]);
        assert_eq!(counts["whitespace"].lines, 2);
        let described = describe_skips(&list.skipped);
        assert!(
            described.contains("1 a word with a control character (first: line 4)"),
            "{described}"
        );
    }

    #[test]
    fn jieba_dictionaries_are_recognised() {
        assert!(looks_like_jieba("AT&T 3 nz\n一代人 66 n\n一代 100\n"));
        assert!(!looks_like_jieba("中国\t5\n人民\t3\n"));
        assert!(!looks_like_jieba("中国\t5\n人民 3\n中 国\t1\n"));
    }

    #[test]
    fn exclude_removes_words_containing_an_entry() {
        let entries =
            parse_exclude("# profanity\n\n他妈的\n  屌 \n傻逼\n他妈的\n", "ban.txt").unwrap();
        assert_eq!(entries, ["他妈的", "傻逼", "屌"]);
        let words: Vec<Word> = ["他妈的", "你他妈的", "他妈", "屌丝", "傻逼们", "傻", "中国"]
            .iter()
            .map(|t| Word {
                text: t.to_string(),
                freq: 1,
            })
            .collect();
        let (kept, removed) = exclude_words(words, &entries);
        let kept: Vec<&str> = kept.iter().map(|w| w.text.as_str()).collect();
        // A character entry removes every word with it; a word entry every word containing it.
        assert_eq!(kept, ["他妈", "傻", "中国"]);
        assert_eq!(removed, 4);
        let e = format!("{:#}", parse_exclude("好\n他 妈\n", "ban.txt").unwrap_err());
        assert!(e.contains("ban.txt:2:"), "{e}");
    }

    #[test]
    fn exclude_by_first_character_removes_exactly_the_words_containing_an_entry() {
        let mut entries = parse_exclude(BUNDLED_EXCLUDE, "default").unwrap();
        // Overlapping entries and ones that start inside a word.
        entries.extend(["国".to_string(), "中国人".to_string(), "ab".to_string()]);
        let mut words = parse_tsv(BUNDLED_TSV, "bundled").unwrap().words;
        words.extend(["xabx", "a", "人中国", "中国"].map(|t| Word {
            text: t.to_string(),
            freq: 1,
        }));
        let naive: Vec<String> = words
            .iter()
            .filter(|w| !entries.iter().any(|e| w.text.contains(e.as_str())))
            .map(|w| w.text.clone())
            .collect();
        let (kept, removed) = exclude_words(words.clone(), &entries);
        let kept: Vec<String> = kept.into_iter().map(|w| w.text).collect();
        assert_eq!(kept, naive);
        assert_eq!(removed, words.len() - naive.len());
        assert!(removed > 100 && kept.iter().any(|w| w == "a"), "{removed}");
        let (none, all) = exclude_words(words.clone(), &[String::new()]);
        assert!(none.is_empty() && all == words.len());
    }

    #[test]
    fn default_exclude_list_cleans_the_bundled_corpus() {
        let entries = parse_exclude(BUNDLED_EXCLUDE, "default").unwrap();
        assert!(entries.len() >= 200, "{}", entries.len());
        let words = parse_tsv(BUNDLED_TSV, "bundled").unwrap().words;
        assert!(words.iter().any(|w| w.text == "他妈的"));
        let (kept, removed) = exclude_words(words, &entries);
        assert!(kept
            .iter()
            .all(|w| w.text != "他妈的" && w.text != "法轮功"));
        for keep in [
            "中国",
            "操作",
            "体操",
            "我们",
            "人民",
            "鸡蛋",
            "日本",
            "杂种优势",
        ] {
            let in_bundled = BUNDLED_TSV
                .lines()
                .any(|l| l.split('\t').next() == Some(keep));
            assert!(
                !in_bundled || kept.iter().any(|w| w.text == keep),
                "{keep} removed"
            );
        }
        assert_eq!(removed, 87);
        let corpus = Corpus::load(&CorpusConfig::default()).unwrap();
        let report = corpus.exclude.unwrap();
        assert_eq!(report.file, "default");
        assert_eq!(report.words_removed, 87);
        assert_eq!(corpus.words.len(), 50_000 - 87);
        // Off: nothing removed, no report.
        let off = CorpusConfig {
            exclude: String::new(),
            ..CorpusConfig::default()
        };
        let corpus = Corpus::load(&off).unwrap();
        assert!(corpus.exclude.is_none());
        assert_eq!(corpus.words.len(), 50_000);
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

    #[test]
    fn paragraphs_are_normalised_and_bad_lines_skipped_with_their_numbers() {
        let text = "\u{feff}# a comment\n　　子曰：学而时习之。\r\n\n  Hello\t world  中文 \n\
                    坏\u{7}行\n零宽\u{200b}空格\n";
        let list = parse_paragraphs(text, "t.txt").unwrap();
        let paragraphs: Vec<&str> = list.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(paragraphs, ["子曰：学而时习之。", "Hello world 中文"]);
        assert_eq!(
            list.skipped,
            [
                SkippedLine {
                    line: 5,
                    reason: LineSkip::ControlCharacter
                },
                SkippedLine {
                    line: 6,
                    reason: LineSkip::InvisibleCharacter
                }
            ]
        );
        let long = "天".repeat(MAX_PARAGRAPH_CHARS + 1);
        let list = parse_paragraphs(&format!("短句。\n{long}\n"), "t.txt").unwrap();
        assert_eq!(list.words.len(), 1);
        assert_eq!(list.skipped[0].line, 2);
        assert_eq!(list.skipped[0].reason, LineSkip::TooLong);
        // A word list given as running text: an error naming the file, the line and the fix.
        let err = parse_paragraphs("# words\n的\t884\n是\t796\n", "w.tsv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("w.tsv:2: \"的<TAB>884\" looks like a word list"),
            "{err}"
        );
        assert!(err.contains("corpus.source"), "{err}");
        let err = parse_paragraphs("一代人 66 n\n一代 10 m\n", "dict.txt").unwrap_err();
        assert!(err.to_string().starts_with("dict.txt:1: "), "{err}");
        // Running text that only looks a little like one is text.
        let list = parse_paragraphs("第 3 章\n第 4 章\n", "t.txt").unwrap();
        assert_eq!(list.words.len(), 2);
        // Invalid UTF-8 lines and empty files, through the loader.
        let dir =
            std::env::temp_dir().join(format!("hanzi-synth-paragraphs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("p.txt");
        std::fs::write(&file, b"\xff\xfe bad\n\xc3\n").unwrap();
        let cfg = CorpusConfig {
            text: Some(TextSourceConfig {
                source: file.display().to_string(),
                ..TextSourceConfig::default()
            }),
            ..CorpusConfig::default()
        };
        let err = format!("{:#}", Corpus::load(&cfg).err().unwrap());
        assert!(
            err.contains(
                "no usable paragraphs (2 line(s) skipped: 2 not valid UTF-8 (first: line 1))"
            ),
            "{err}"
        );
        std::fs::write(&file, "\n# only a comment\n").unwrap();
        let err = format!("{:#}", Corpus::load(&cfg).err().unwrap());
        assert!(err.contains("holds no paragraph"), "{err}");
        std::fs::write(
            &file,
            ["甲曰：“可。”乙曰：“否！”\n".as_bytes(), b"\xff\n"].concat(),
        )
        .unwrap();
        let mut cfg = cfg;
        cfg.exclude = String::new();
        cfg.text.as_mut().unwrap().unit = TextUnit::Sentence;
        let c = Corpus::load(&cfg).unwrap();
        let units: Vec<&str> = c.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(units, ["甲曰：“可。”", "乙曰：“否！”"]);
        assert_eq!(c.skipped_lines[0].line, 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bundled_paragraphs_load_through_the_word_filter() {
        let cfg = CorpusConfig {
            text: Some(TextSourceConfig::default()),
            ..CorpusConfig::default()
        };
        let c = Corpus::load(&cfg).unwrap();
        let exclude = c.exclude.as_ref().unwrap();
        assert!(
            exclude.words_removed > 0 && exclude.words_removed < 100,
            "{exclude:?}"
        );
        assert_eq!((c.words.len(), exclude.words_removed), (6211, 33));
        assert!(c.skipped_lines.is_empty());
    }

    /// The shipped file keeps what `tools/corpus/classical.py` promises (the derivation itself
    /// needs the npm tarball and OpenCC, so it is not rerun here).
    #[test]
    fn bundled_paragraphs_keep_the_derivation_rules() {
        let standard = crate::tiers::standard();
        let pairs = [
            ('“', '”'),
            ('‘', '’'),
            ('「', '」'),
            ('『', '』'),
            ('《', '》'),
            ('（', '）'),
        ];
        let lines: Vec<&str> = CLASSICAL_TXT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        assert_eq!(lines.len(), 6244);
        let distinct: std::collections::HashSet<&str> = lines.iter().copied().collect();
        assert_eq!(distinct.len(), lines.len(), "duplicates");
        for p in lines {
            assert!((8..=120).contains(&p.chars().count()), "{p}");
            assert!(
                p.chars()
                    .any(|c| "，。、；：？！“”‘’「」『』《》（）—…·".contains(c)),
                "{p}"
            );
            let mut open = Vec::new();
            for c in p.chars() {
                if let Some(&(_, close)) = pairs.iter().find(|(o, _)| *o == c) {
                    open.push(close);
                } else if pairs.iter().any(|(_, cl)| *cl == c) {
                    assert_eq!(open.pop(), Some(c), "{p}");
                } else {
                    assert!(
                        standard.contains(c) || "，。、；：？！—…·".contains(c),
                        "{c:?} in {p}"
                    );
                }
            }
            assert!(open.is_empty(), "{p}");
        }
    }

    #[test]
    fn mixed_in_numbers_and_words_go_between_two_hanzi() {
        let c = Corpus::new(
            vec![Word {
                text: "子曰：“学而时习之，不亦说乎？”".into(),
                freq: 1,
            }],
            SamplingMode::Uniform,
            1.0,
        )
        .unwrap();
        let cfg = CorpusConfig {
            digits: Prob(1.0),
            latin: Prob(1.0),
            ..CorpusConfig::default()
        };
        let mut rng = Rng::new(5);
        for _ in 0..50 {
            let text = c.sample_text(&cfg, &mut rng);
            let kept: String = text.chars().filter(|ch| !ch.is_ascii()).collect();
            assert_eq!(kept, "子曰：“学而时习之，不亦说乎？”", "{text}");
            // Every run of ASCII sits between two hanzi.
            let chars: Vec<char> = text.chars().collect();
            for (i, ch) in chars.iter().enumerate() {
                if ch.is_ascii() && (i == 0 || !chars[i - 1].is_ascii()) {
                    assert!(i > 0 && is_han(chars[i - 1]), "{text}");
                    let end = (i..chars.len()).find(|&j| !chars[j].is_ascii()).unwrap();
                    assert!(is_han(chars[end]), "{text}");
                }
            }
        }
        // Deterministic: the same stream draws the same text.
        let (mut a, mut b) = (Rng::new(9), Rng::new(9));
        assert_eq!(c.sample_text(&cfg, &mut a), c.sample_text(&cfg, &mut b));
    }
}
