//! The 2013 通用规范汉字表 (Table of General Standard Chinese Characters): 8,105 characters in
//! three levels — numbers 1–3500 are level 1 (common), 3501–6500 level 2, 6501–8105 level 3.
//!
//! The bundled `corpora/tgh-2013.tsv` (`char<TAB>number<TAB>level`, in number order) is derived
//! from Unihan's `kTGH` field by [`derive_from_unihan`] (`hanzi-synth corpus tgh`); a test
//! checks its invariants and that the derivation reproduces it.
//!
//! Recipes use the levels in three places: `corpus.quota.tiers` (every character of a level at
//! least N times), `corpus.tier_weights` (sampling weight by the rarest level of a word) and
//! `stats` (coverage and appearances per level).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};

/// The shipped list, `char<TAB>number<TAB>level`, number order, one `#` comment line first.
pub const TGH_TSV: &str = include_str!("../corpora/tgh-2013.tsv");

/// The first line of the shipped file.
pub const TGH_HEADER: &str = "# 通用规范汉字表 (2013): character, number, level (1-3500: 1, \
     3501-6500: 2, 6501-8105: 3); from Unihan kTGH, see corpora/README.md";

/// Characters per level.
pub const LEVEL_SIZES: [usize; 3] = [3500, 3000, 1605];

/// All characters of the list.
pub const STANDARD_COUNT: usize = 8105;

/// A level of the list, or `other` for characters outside it (digits, Latin letters, GB2312
/// characters the 2013 list dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[serde(rename = "level_1")]
    Level1,
    #[serde(rename = "level_2")]
    Level2,
    #[serde(rename = "level_3")]
    Level3,
    Other,
}

impl Tier {
    pub const LEVELS: [Tier; 3] = [Tier::Level1, Tier::Level2, Tier::Level3];

    /// The level of list number `n` (1-based).
    pub fn of_number(n: u32) -> Tier {
        match n {
            0..=3500 => Tier::Level1,
            3501..=6500 => Tier::Level2,
            _ => Tier::Level3,
        }
    }

    /// 0, 1, 2 for the levels, 3 for `other`.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Level1 => "level_1",
            Tier::Level2 => "level_2",
            Tier::Level3 => "level_3",
            Tier::Other => "other",
        }
    }

    /// 1, 2 or 3 (0 for `other`).
    pub fn number(self) -> u8 {
        match self {
            Tier::Level1 => 1,
            Tier::Level2 => 2,
            Tier::Level3 => 3,
            Tier::Other => 0,
        }
    }
}

/// One character of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standard {
    pub ch: char,
    pub number: u32,
    pub tier: Tier,
}

/// The parsed list with a lookup by character.
pub struct StandardList {
    pub chars: Vec<Standard>,
    by_char: HashMap<char, u32>,
}

impl StandardList {
    /// The level of `c` (`Other` outside the list).
    pub fn tier(&self, c: char) -> Tier {
        self.by_char
            .get(&c)
            .map_or(Tier::Other, |n| Tier::of_number(*n))
    }

    pub fn contains(&self, c: char) -> bool {
        self.by_char.contains_key(&c)
    }

    /// The characters of one level, in list order.
    pub fn of(&self, tier: Tier) -> impl Iterator<Item = char> + '_ {
        self.chars
            .iter()
            .filter(move |s| s.tier == tier)
            .map(|s| s.ch)
    }
}

/// The bundled list (parsed once).
pub fn standard() -> &'static StandardList {
    static LIST: OnceLock<StandardList> = OnceLock::new();
    LIST.get_or_init(|| {
        let chars = parse_tgh_tsv(TGH_TSV, "corpora/tgh-2013.tsv").expect("bundled list parses");
        let by_char = chars.iter().map(|s| (s.ch, s.number)).collect();
        StandardList { chars, by_char }
    })
}

/// The level of `c` in the bundled list.
pub fn tier_of(c: char) -> Tier {
    standard().tier(c)
}

/// The rarest level among a word's characters (`Other` when none is in the list).
pub fn rarest_tier(word: &str) -> Tier {
    word.chars()
        .map(tier_of)
        .filter(|t| *t != Tier::Other)
        .max()
        .unwrap_or(Tier::Other)
}

/// Reads `char<TAB>number<TAB>level` lines (`#` comment lines ignored), checking that the level
/// agrees with the number.
pub fn parse_tgh_tsv(text: &str, origin: &str) -> Result<Vec<Standard>> {
    let mut out = Vec::new();
    for (no, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let mut chars = f[0].chars();
        let (Some(ch), None, 3) = (chars.next(), chars.next(), f.len()) else {
            bail!("{origin}:{}: expected `char<TAB>number<TAB>level`", no + 1);
        };
        let number: u32 = f[1]
            .parse()
            .with_context(|| format!("{origin}:{}: number {:?}", no + 1, f[1]))?;
        let tier = Tier::of_number(number);
        if f[2] != tier.number().to_string() {
            bail!(
                "{origin}:{}: number {number} is level {}, not {}",
                no + 1,
                tier.number(),
                f[2]
            );
        }
        out.push(Standard { ch, number, tier });
    }
    Ok(out)
}

/// The list from Unihan text (`U+XXXX<TAB>kTGH<TAB>2013:N` lines, e.g. Unihan_OtherMappings.txt
/// or Unihan.zip's files concatenated), in number order. Refuses anything but exactly 8,105
/// distinct characters numbered 1–8105.
pub fn derive_from_unihan(text: &str) -> Result<Vec<Standard>> {
    let mut by_number: BTreeMap<u32, char> = BTreeMap::new();
    for (no, line) in text.lines().enumerate() {
        let mut f = line.split('\t');
        let (Some(cp), Some("kTGH"), Some(value)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let bad = || format!("line {}: {line:?}", no + 1);
        let ch = cp
            .strip_prefix("U+")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
            .with_context(bad)?;
        // One value per list edition: `2013:N` (space-separated if a character is ever in
        // several editions).
        for v in value.split(' ') {
            let Some(n) = v.strip_prefix("2013:") else {
                continue;
            };
            let n: u32 = n.parse().ok().with_context(bad)?;
            if let Some(prev) = by_number.insert(n, ch) {
                bail!("number {n} given to both {prev} and {ch}");
            }
        }
    }
    let list: Vec<Standard> = by_number
        .into_iter()
        .map(|(number, ch)| Standard {
            ch,
            number,
            tier: Tier::of_number(number),
        })
        .collect();
    check_list(&list)?;
    Ok(list)
}

/// The invariants of the list: 8,105 distinct characters numbered 1–8105 in order, 3,500 /
/// 3,000 / 1,605 per level.
pub fn check_list(list: &[Standard]) -> Result<()> {
    if list.len() != STANDARD_COUNT {
        bail!(
            "{} kTGH characters, expected {STANDARD_COUNT} (is this Unihan's OtherMappings?)",
            list.len()
        );
    }
    for (i, s) in list.iter().enumerate() {
        if s.number != i as u32 + 1 {
            bail!(
                "numbers are not 1..={STANDARD_COUNT}: {} at {}",
                s.number,
                i + 1
            );
        }
    }
    let distinct: std::collections::HashSet<char> = list.iter().map(|s| s.ch).collect();
    if distinct.len() != list.len() {
        bail!("a character appears twice in the list");
    }
    for (t, n) in Tier::LEVELS.iter().zip(LEVEL_SIZES) {
        let got = list.iter().filter(|s| s.tier == *t).count();
        if got != n {
            bail!("{} has {got} characters, expected {n}", t.name());
        }
    }
    Ok(())
}

/// The shipped file's text.
pub fn to_tsv(list: &[Standard]) -> String {
    let mut out = String::from(TGH_HEADER);
    out.push('\n');
    for s in list {
        out.push_str(&format!("{}\t{}\t{}\n", s.ch, s.number, s.tier.number()));
    }
    out
}

/// Coverage of one level by a set of characters (a corpus, a font, a dataset).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TierCoverage {
    pub tier: String,
    /// Characters of the level.
    pub size: usize,
    /// How many of them are present.
    pub covered: usize,
    /// Appearances of the level's characters (0 where only presence is known).
    pub appearances: u64,
    /// Fewest appearances of one of the level's characters (0 when one is missing).
    pub min_count: u64,
    /// The first missing characters in list order (at most 20).
    pub missing: String,
}

/// Per-level coverage of `count(c)` (appearances; 0 = absent).
pub fn coverage(count: impl Fn(char) -> u64) -> Vec<TierCoverage> {
    let list = standard();
    Tier::LEVELS
        .iter()
        .map(|&t| {
            let mut cov = TierCoverage {
                tier: t.name().into(),
                min_count: u64::MAX,
                ..TierCoverage::default()
            };
            for c in list.of(t) {
                let n = count(c);
                cov.size += 1;
                cov.appearances += n;
                cov.min_count = cov.min_count.min(n);
                if n > 0 {
                    cov.covered += 1;
                } else if cov.missing.chars().count() < 20 {
                    cov.missing.push(c);
                }
            }
            cov
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_list_has_its_invariants() {
        let list = standard();
        check_list(&list.chars).unwrap();
        assert_eq!(TGH_TSV.lines().next(), Some(TGH_HEADER));
        assert_eq!(to_tsv(&list.chars), TGH_TSV);
        assert_eq!(tier_of('一'), Tier::Level1);
        assert_eq!(tier_of('的'), Tier::Level1);
        // U+3447 㑇 is number 6602; 𠳐 (U+20CD0) is beyond the BMP.
        assert_eq!(tier_of('㑇'), Tier::Level3);
        assert!(list.chars.iter().any(|s| s.ch as u32 > 0xFFFF));
        assert_eq!(tier_of('簡'), Tier::Other);
        assert_eq!(tier_of('A'), Tier::Other);
        assert_eq!(list.of(Tier::Level2).count(), 3000);
        assert_eq!(rarest_tier("中国"), Tier::Level1);
        assert_eq!(rarest_tier("A中㑇"), Tier::Level3);
        assert_eq!(rarest_tier("42"), Tier::Other);
    }

    #[test]
    fn derivation_reads_unihan_lines() {
        let list = standard();
        let mut unihan = String::from("# Unihan_OtherMappings.txt\nU+4E00\tkGB0\t5027\n");
        for s in list.chars.iter().rev() {
            unihan.push_str(&format!("U+{:04X}\tkTGH\t2013:{}\n", s.ch as u32, s.number));
        }
        let derived = derive_from_unihan(&unihan).unwrap();
        assert_eq!(to_tsv(&derived), TGH_TSV);
        // A missing line or a duplicate number is refused.
        let short: String = unihan.lines().skip(3).map(|l| format!("{l}\n")).collect();
        assert!(derive_from_unihan(&short).is_err());
        let dup = format!("{unihan}U+4E01\tkTGH\t2013:1\n");
        assert!(format!("{:#}", derive_from_unihan(&dup).unwrap_err()).contains("number 1"));
    }

    #[test]
    fn coverage_counts_per_level() {
        let cov = coverage(|c| u64::from(c == '一' || c == '㑇') * 3);
        assert_eq!(cov[0].covered, 1);
        assert_eq!(cov[0].appearances, 3);
        assert_eq!(cov[0].min_count, 0);
        assert_eq!(cov[1].covered, 0);
        assert_eq!(cov[2].covered, 1);
        assert_eq!(cov[2].size, 1605);
        assert_eq!(cov[1].missing.chars().count(), 20);
        let full = coverage(|_| 2);
        assert!(full.iter().all(|t| t.covered == t.size && t.min_count == 2));
    }
}
