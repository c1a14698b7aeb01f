//! Chinese line breaking (禁则): a paragraph broken into lines of at most a given width, and the
//! sentence and clause ends a paragraph may be cut at.
//!
//! The rules follow the W3C's *Requirements for Chinese Text Layout* (clreq): no line starts
//! with a stop, a closing quote or bracket, an ellipsis, a dash or an interpunct
//! ([`no_line_start`]); no line ends with an opening quote or bracket ([`no_line_end`]); a run
//! of ASCII letters, digits and marks (a Latin word, a number such as `3.14`) is never split;
//! a space stays at the end of the line before a break (it hangs), and a combining mark stays
//! with its base. Everything else — between two hanzi, between a hanzi and a Latin word — is a
//! break opportunity.
//!
//! Everything here is pure and works on slices of the input: the lines of [`break_lines`] are
//! consecutive slices, so their concatenation is the paragraph, byte for byte, and labels built
//! from them spell exactly what was given.
//!
//! **When the width cannot be kept.** Where a rule forbids a break, the characters around it
//! form one unbreakable cluster and move to the next line together (the character before a
//! line-start-forbidden mark is pulled down with it; punctuation never hangs past the width).
//! A line is wider than the width only when a single cluster is wider than the whole width — a
//! Latin word longer than the line, or a run of marks glued to their neighbours — and then that
//! cluster starts its own line, alone; the rules are never broken to keep the width.

/// Characters that must not start a line: stops (。，、；：？！ and their fullwidth and ASCII
/// forms), closing quotes and brackets, ellipses, dashes, interpuncts, and the percent signs.
pub fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '。' | '，'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '．'
            | '」'
            | '』'
            | '”'
            | '’'
            | '）'
            | '》'
            | '〉'
            | '】'
            | '〕'
            | '〗'
            | '〙'
            | '〛'
            | '］'
            | '｝'
            | '〞'
            | '〟'
            | '…'
            | '‥'
            | '—'
            | '―'
            | '⸺'
            | '·'
            | '・'
            | '％'
            | '‰'
            | ')'
            | ']'
            | '}'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | '%'
    )
}

/// Characters that must not end a line: opening quotes and brackets.
pub fn no_line_end(c: char) -> bool {
    matches!(
        c,
        '「' | '『'
            | '“'
            | '‘'
            | '（'
            | '《'
            | '〈'
            | '【'
            | '〔'
            | '〖'
            | '〘'
            | '〚'
            | '［'
            | '｛'
            | '〝'
            | '('
            | '['
            | '{'
    )
}

/// Combining marks and variation selectors: they belong to the character before them.
fn is_combining(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0x3099..=0x309A
        | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0xE0100..=0xE01EF)
}

/// Whether a line may end after `prev` and the next line start with `next`.
pub fn may_break_between(prev: char, next: char) -> bool {
    !(no_line_start(next)
        || no_line_end(prev)
        || next.is_whitespace()
        || is_combining(next)
        || (prev.is_ascii_graphic() && next.is_ascii_graphic()))
}

/// Display width in half-columns for horizontal text: ASCII is half a column (1), everything
/// else — hanzi, CJK punctuation, fullwidth forms — a whole column (2).
pub fn horizontal_width(c: char) -> usize {
    if c.is_ascii() {
        1
    } else {
        2
    }
}

/// Display width in half-columns for vertical text: every character takes a whole cell (2),
/// Latin letters and digits included (they stand upright, one per cell).
pub fn vertical_width(_: char) -> usize {
    2
}

/// The width of `s` under `width`, trailing whitespace not counted (it hangs at a break).
pub fn visible_width(s: &str, width: impl Fn(char) -> usize) -> usize {
    s.trim_end().chars().map(width).sum()
}

/// Breaks `text` into lines of at most `max` width units (`width` gives each character's
/// units, e.g. [`horizontal_width`] with `max` = 2 × columns) by the rules of the module docs:
/// greedy, each line as full as the rules allow. The lines are consecutive slices of `text`
/// (their concatenation is `text`); a space at a break ends the line before it and does not
/// count towards its width. A line is wider than `max` only when it is one unbreakable cluster
/// wider than `max`. `max` below 1 counts as 1. No lines for an empty text.
pub fn break_lines(text: &str, max: usize, width: impl Fn(char) -> usize) -> Vec<&str> {
    let max = max.max(1);
    let mut lines = Vec::new();
    // The current line starts at `line_start` and holds `line_w` units of whole clusters; the
    // cluster being read starts at `cluster_start`, `cluster_w` units, `hanging` of them
    // trailing whitespace.
    let (mut line_start, mut line_w) = (0, 0);
    let (mut cluster_start, mut cluster_w, mut hanging) = (0, 0, 0);
    let mut place = |cluster_start: usize, cluster_w: usize, hanging: usize| {
        if line_w > 0 && line_w + cluster_w - hanging > max {
            lines.push(&text[line_start..cluster_start]);
            line_start = cluster_start;
            line_w = 0;
        }
        line_w += cluster_w;
    };
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if prev.is_some_and(|p| may_break_between(p, c)) {
            place(cluster_start, cluster_w, hanging);
            (cluster_start, cluster_w, hanging) = (i, 0, 0);
        }
        let w = width(c);
        cluster_w += w;
        hanging = if c.is_whitespace() { hanging + w } else { 0 };
        prev = Some(c);
    }
    if !text.is_empty() {
        place(cluster_start, cluster_w, hanging);
        lines.push(&text[line_start..]);
    }
    lines
}

/// Marks that end a sentence.
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？')
}

/// Marks that end a clause inside a sentence.
fn ends_clause(c: char) -> bool {
    matches!(c, '，' | '、' | '；' | '：')
}

/// Closing quotes and brackets: they stay with the sentence or clause they close.
fn closes(c: char) -> bool {
    matches!(
        c,
        '」' | '』' | '”' | '’' | '）' | '》' | '〉' | '】' | '〕' | '〗' | '］' | '｝'
    )
}

/// Byte offsets just after every run of marks for which `ends` holds, together with the
/// closing quotes and brackets that follow it (。” ends after ”), in order. The end of the text
/// is included only when the text ends with such a run.
fn cut_points(text: &str, ends: impl Fn(char) -> bool) -> Vec<usize> {
    let mut out = Vec::new();
    let mut open = false;
    for (i, c) in text.char_indices() {
        if ends(c) || (open && closes(c)) {
            open = true;
            continue;
        }
        if open {
            out.push(i);
            open = false;
        }
    }
    if open {
        out.push(text.len());
    }
    out
}

/// Byte offsets just after each sentence end (。！？ and the closing quotes or brackets after
/// them).
pub fn sentence_ends(text: &str) -> Vec<usize> {
    cut_points(text, ends_sentence)
}

/// `text` cut after every sentence end (see [`sentence_ends`]); the pieces are consecutive
/// slices, so they concatenate to `text`. A text without a sentence end is one piece.
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in sentence_ends(text) {
        out.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// A paragraph set into at most `max_lines` lines: the prefix of the paragraph that is drawn
/// and its lines (consecutive slices of that prefix, trailing spaces of a line included).
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted<'a> {
    pub text: &'a str,
    pub lines: Vec<&'a str>,
}

/// Sets `text` into lines of at most `max` units (see [`break_lines`]) and at most
/// `max_lines` lines (at least 1). A paragraph that needs more lines is shortened — never
/// reflowed into a character salad — to its longest prefix that fits, cut preferably after a
/// sentence end, else after a clause end (，、；：), else after its first `max_lines` lines.
/// The drawn text is always a prefix of `text`, so a label never holds what the source
/// does not.
pub fn fit_paragraph(
    text: &str,
    max: usize,
    max_lines: usize,
    width: impl Fn(char) -> usize + Copy,
) -> Fitted<'_> {
    let max_lines = max_lines.max(1);
    let lines = break_lines(text, max, width);
    if lines.len() <= max_lines {
        return Fitted { text, lines };
    }
    for cuts in [sentence_ends(text), cut_points(text, ends_clause)] {
        for &cut in cuts.iter().rev() {
            let prefix = &text[..cut];
            let lines = break_lines(prefix, max, width);
            if lines.len() <= max_lines {
                return Fitted {
                    text: prefix,
                    lines,
                };
            }
        }
    }
    let end: usize = lines[..max_lines].iter().map(|l| l.len()).sum();
    Fitted {
        text: &text[..end],
        lines: lines[..max_lines].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(text: &str, columns: usize) -> Vec<&str> {
        break_lines(text, 2 * columns, horizontal_width)
    }

    #[test]
    fn closing_marks_pull_the_previous_character_down() {
        // 8 columns: the ninth character is "，", which may not start a line, so "说" moves
        // down with it.
        assert_eq!(
            h("学而时习之不亦说，不亦乐乎？", 8),
            ["学而时习之不亦", "说，不亦乐乎？"]
        );
        // A run of closers: "乎" would fit the 9 columns, but "？”" may not start a line.
        assert_eq!(h("子曰：“不亦君子乎？”", 9), ["子曰：“不亦君子", "乎？”"]);
        // No break after an opening quote: "“" goes down with "学".
        assert_eq!(h("子曰：“学而时习之", 4), ["子曰：", "“学而时", "习之"]);
    }

    #[test]
    fn latin_words_and_numbers_stay_whole_and_spaces_hang() {
        assert_eq!(
            h("共计12345元Hello world好", 5),
            ["共计12345", "元Hello ", "world好"]
        );
        // A word wider than the line starts its own line, alone (the documented exception).
        assert_eq!(
            h("中Internationalization中", 3),
            ["中", "Internationalization", "中"]
        );
        assert_eq!(h("", 3), Vec::<&str>::new());
        // Vertical text counts every character as a whole cell.
        assert_eq!(
            break_lines("ABCD中文", 4, vertical_width),
            ["ABCD", "中文"],
            "a Latin word is not split in vertical text either"
        );
    }

    #[test]
    fn sentences_keep_their_closing_marks() {
        assert_eq!(
            split_sentences("子曰：“学而时习之，不亦说乎？有朋自远方来，不亦乐乎！”曰：善。"),
            [
                "子曰：“学而时习之，不亦说乎？",
                "有朋自远方来，不亦乐乎！”",
                "曰：善。"
            ]
        );
        assert_eq!(split_sentences("无句号的一段"), ["无句号的一段"]);
        assert_eq!(split_sentences("何也？！然则"), ["何也？！", "然则"]);
    }

    #[test]
    fn long_paragraphs_are_cut_after_a_sentence_then_a_clause_then_a_line() {
        let text = "天下皆知美之为美，斯恶已。皆知善之为善，斯不善已。故有无相生，难易相成。";
        // Two lines of 8 columns hold the first sentence only.
        let f = fit_paragraph(text, 16, 2, horizontal_width);
        assert_eq!(f.text, "天下皆知美之为美，斯恶已。");
        assert_eq!(f.lines.concat(), f.text);
        // One line of 9: no sentence fits; the first clause does.
        let f = fit_paragraph(text, 18, 1, horizontal_width);
        assert_eq!(f.text, "天下皆知美之为美，");
        // One line of 8: not even a clause; the first line.
        let f = fit_paragraph(text, 16, 1, horizontal_width);
        assert_eq!(f.lines, ["天下皆知美之为"]);
        // No punctuation at all: the first lines.
        let f = fit_paragraph("一二三四五六七八九十", 6, 2, horizontal_width);
        assert_eq!(f.lines, ["一二三", "四五六"]);
        // Short enough: untouched.
        let f = fit_paragraph(text, 200, 1, horizontal_width);
        assert_eq!((f.text, f.lines.len()), (text, 1));
    }

    /// Paragraph-like strings: hanzi, CJK punctuation, Latin words, digits and spaces.
    fn paragraph() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => "[天地玄黄宇宙洪荒日月盈昃辰宿列张]{1,6}",
            3 => "[。，、；：？！」』”’）》…—·]",
            2 => "[「『“‘（《]",
            1 => "[A-Za-z]{1,12}",
            1 => "[0-9]{1,6}",
            1 => " ",
            1 => "[a-z]{1,3}[.,!?]",
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    /// Where a break between `prev` and `next` would break a rule (the spec, restated here
    /// independently of the breaker's own predicate).
    fn forbidden(prev: char, next: char) -> bool {
        "。，、；：？！」』”’）》…—·".contains(next)
            || "「『“‘（《".contains(prev)
            || next == ' '
            || (prev.is_ascii_alphanumeric() || ".,!?".contains(prev))
                && (next.is_ascii_alphanumeric() || ".,!?".contains(next))
    }

    /// Whether `line` holds no position where the rules allow a break.
    fn unbreakable(line: &str) -> bool {
        let cs: Vec<char> = line.trim_end().chars().collect();
        cs.windows(2).all(|w| forbidden(w[0], w[1]))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        #[test]
        fn lines_concatenate_to_the_paragraph_and_keep_the_rules(
            text in paragraph(),
            columns in 1usize..16,
            vertical in any::<bool>(),
        ) {
            let width = if vertical { vertical_width } else { horizontal_width };
            let lines = break_lines(&text, 2 * columns, width);
            prop_assert_eq!(lines.concat(), text.clone());
            prop_assert!(lines.iter().all(|l| !l.is_empty()));
            for (k, line) in lines.iter().enumerate() {
                // The width bound, except for one unbreakable cluster wider than the line.
                let w = visible_width(line, width);
                prop_assert!(w <= 2 * columns || unbreakable(line), "{:?} {}", line, w);
                if k > 0 {
                    let prev = lines[k - 1].chars().last().unwrap();
                    let first = line.chars().next().unwrap();
                    prop_assert!(!forbidden(prev, first), "break between {:?} and {:?}", lines[k - 1], line);
                    prop_assert!(!"。，、；：？！」』”’）》…—·".contains(first), "{:?} starts a line", first);
                    prop_assert!(!"「『“‘（《".contains(prev), "{:?} ends a line", prev);
                }
            }
        }

        #[test]
        fn fitted_paragraphs_are_prefixes_within_the_line_limit(
            text in paragraph(),
            columns in 2usize..12,
            max_lines in 1usize..6,
        ) {
            let f = fit_paragraph(&text, 2 * columns, max_lines, horizontal_width);
            prop_assert!(text.starts_with(f.text));
            prop_assert_eq!(f.lines.concat(), f.text);
            prop_assert!(f.lines.len() <= max_lines);
            prop_assert_eq!(text.is_empty(), f.text.is_empty());
            // Shortened only when the whole paragraph does not fit.
            if f.text.len() < text.len() {
                prop_assert!(break_lines(&text, 2 * columns, horizontal_width).len() > max_lines);
            }
        }

        #[test]
        fn sentences_concatenate_to_the_paragraph(text in paragraph()) {
            let s = split_sentences(&text);
            prop_assert_eq!(s.concat(), text.clone());
            for piece in &s[..s.len().saturating_sub(1)] {
                let last = piece.chars().last().unwrap();
                prop_assert!("。！？」』”’）》".contains(last), "{:?}", piece);
            }
        }
    }
}
