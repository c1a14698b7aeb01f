//! Quota: coverage guaranteed by construction. Every character of the active corpus appears at
//! least `min_count` times within the first `within` samples (Kolors-style coverage of all
//! words' characters), because those samples are *told* which words to draw first.
//!
//! The plan is a pure function of the corpus, the recipe and the seed, computed once at
//! start-up: greedy cover, rarest character first, each pick the candidate word (among a seeded
//! window of the words containing that character) that serves the most still-needed
//! characters. The picked words are shuffled and dealt round-robin to samples `0..within`, so
//! sample *i* still depends only on (recipe, seed, *i*). Impossible quotas are refused with the
//! reason before anything is written.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::Serialize;

use crate::corpus::Corpus;
use crate::rng::Rng;
use crate::tiers::{tier_of, Tier};

/// Candidates weighed per pick (a seeded window of the words holding the character).
const WINDOW: usize = 64;

pub struct QuotaPlan {
    pub report: QuotaReport,
    /// Word indices, dealt round-robin: sample i gets `words[i], words[i + within], …`.
    words: Vec<u32>,
    within: u64,
    max_chars: usize,
}

/// The plan, for the manifest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct QuotaReport {
    pub min_count: u32,
    pub within: u64,
    pub characters: usize,
    /// Words the plan places (with repeats), and at most how many per sample.
    pub words_placed: usize,
    pub max_words_per_sample: usize,
    /// `corpus.quota.tiers`: appearances of every character of a level of the 2013 list.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiers: BTreeMap<Tier, u32>,
}

impl QuotaPlan {
    /// Plans `min_count` appearances of every corpus character within `within` samples whose
    /// first block holds at most `max_lines` lines of `max_chars` characters.
    pub fn build(
        corpus: &Corpus,
        min_count: u32,
        within: u64,
        max_lines: u32,
        max_chars: usize,
        seed: u64,
    ) -> Result<QuotaPlan> {
        let no_tiers = BTreeMap::new();
        Self::build_with_tiers(
            corpus, min_count, &no_tiers, within, max_lines, max_chars, seed,
        )
    }

    /// [`QuotaPlan::build`] where every character of a level of the 2013 list in `tiers` needs
    /// (at least) that many appearances; every character of such a level must be in the
    /// corpus. With no tiers the plan is exactly `build`'s.
    pub fn build_with_tiers(
        corpus: &Corpus,
        min_count: u32,
        tiers: &BTreeMap<Tier, u32>,
        within: u64,
        max_lines: u32,
        max_chars: usize,
        seed: u64,
    ) -> Result<QuotaPlan> {
        let n_chars = corpus.chars.len();
        for (tier, n) in tiers {
            if *n == 0 {
                continue;
            }
            let missing: Vec<char> = crate::tiers::standard()
                .of(*tier)
                .filter(|c| corpus.chars.binary_search(c).is_err())
                .collect();
            if !missing.is_empty() {
                bail!(
                    "corpus.quota.tiers is impossible: {} {} character(s) are in no usable \
                     corpus word, e.g. {} (corpus.exclude or corpus.charset may remove their \
                     words, no usable font may draw them, or the corpus lacks them: the bundled \
                     source mixes in corpora/tail-words.tsv, which has them all)",
                    missing.len(),
                    tier.name(),
                    missing.iter().take(20).collect::<String>()
                );
            }
        }
        let target = |c: usize| -> u32 {
            let t = tiers.get(&tier_of(corpus.chars[c])).copied().unwrap_or(0);
            min_count.max(t)
        };
        let usable = |w: u32| corpus.words[w as usize].text.chars().count() <= max_chars;
        let stranded: Vec<char> = (0..n_chars)
            .filter(|&c| target(c) > 0)
            .filter(|&c| !corpus.words_by_char[c].iter().any(|w| usable(*w)))
            .map(|c| corpus.chars[c])
            .collect();
        if !stranded.is_empty() {
            bail!(
                "corpus.quota is impossible: {} character(s) occur only in words longer than \
                 corpus.max_chars_per_line ({max_chars}), e.g. {}",
                stranded.len(),
                stranded.iter().take(10).collect::<String>()
            );
        }
        // A word's distinct characters, as indices into `corpus.chars`.
        let distinct = |w: u32| {
            let mut cs: Vec<usize> = corpus.words[w as usize]
                .text
                .chars()
                .filter_map(|ch| corpus.chars.binary_search(&ch).ok())
                .collect();
            cs.sort_unstable();
            cs.dedup();
            cs
        };
        let mut need: Vec<u32> = (0..n_chars).map(target).collect();
        let characters = need.iter().filter(|n| **n > 0).count();
        let mut order: Vec<usize> = (0..n_chars).collect();
        order.sort_by_key(|&c| (corpus.words_by_char[c].len(), c));
        let mut rng = Rng::for_sample(seed, u64::MAX).fork("quota");
        let mut words = Vec::new();
        for c in order {
            let list: Vec<u32> = corpus.words_by_char[c]
                .iter()
                .copied()
                .filter(|w| usable(*w))
                .collect();
            while need[c] > 0 {
                let start = rng.below(list.len() as u64) as usize;
                let gain = |w: u32| distinct(w).iter().filter(|&&d| need[d] > 0).count();
                let best = (0..list.len().min(WINDOW))
                    .map(|k| list[(start + k) % list.len()])
                    .max_by_key(|&w| (gain(w), std::cmp::Reverse(w)))
                    .expect("every character has a usable word");
                for d in distinct(best) {
                    need[d] = need[d].saturating_sub(1);
                }
                words.push(best);
            }
        }
        // Shuffle (Fisher–Yates, seeded) so each sample gets a mix of rare and common words.
        for i in (1..words.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            words.swap(i, j);
        }
        let per_sample = words.len().div_ceil(within.max(1) as usize);
        let plan = QuotaPlan {
            report: QuotaReport {
                min_count,
                within,
                characters,
                words_placed: words.len(),
                max_words_per_sample: per_sample,
                tiers: tiers
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(t, n)| (*t, *n))
                    .collect(),
            },
            words,
            within,
            max_chars,
        };
        // Every dealt share must fit one block.
        for i in 0..within.min(plan.words.len() as u64) {
            let lines = plan.forced_lines(corpus, i).len();
            if lines > max_lines as usize {
                bail!(
                    "corpus.quota is impossible: {} appearances of each of {characters} characters \
                     need {} words, {per_sample} per sample over {within} samples, but a block \
                     holds at most {max_lines} line(s) of {max_chars} characters (sample {i} \
                     needs {lines} lines): raise quota.within, corpus.lines or \
                     corpus.max_chars_per_line, or lower quota.min_count",
                    if tiers.is_empty() {
                        min_count.to_string()
                    } else {
                        format!("up to {}", need_max(min_count, tiers))
                    },
                    plan.words.len()
                );
            }
        }
        Ok(plan)
    }

    /// The lines sample `index` must open its first block with: its dealt words packed into
    /// lines of at most `max_chars` characters (none past `within`).
    pub fn forced_lines(&self, corpus: &Corpus, index: u64) -> Vec<String> {
        if index >= self.within {
            return Vec::new();
        }
        let mut lines: Vec<String> = Vec::new();
        let mut j = index as usize;
        while j < self.words.len() {
            let w = &corpus.words[self.words[j] as usize].text;
            let n = w.chars().count();
            match lines.last_mut() {
                Some(l) if l.chars().count() + n <= self.max_chars => l.push_str(w),
                _ => lines.push(w.clone()),
            }
            j += self.within as usize;
        }
        lines
    }
}

fn need_max(min_count: u32, tiers: &BTreeMap<Tier, u32>) -> u32 {
    tiers.values().copied().fold(min_count, u32::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Word;
    use crate::recipe::SamplingMode;

    fn corpus() -> Corpus {
        let words = ["中国", "人民", "㑇人", "㑊", "国家", "㑇国"]
            .iter()
            .map(|t| Word {
                text: t.to_string(),
                freq: 10,
            })
            .collect();
        Corpus::new(words, SamplingMode::Frequency, 1.0).unwrap()
    }

    #[test]
    fn tier_targets_raise_the_count_of_their_level_only() {
        let c = corpus();
        let plain = QuotaPlan::build(&c, 1, 4, 3, 10, 7).unwrap();
        let same = QuotaPlan::build_with_tiers(&c, 1, &BTreeMap::new(), 4, 3, 10, 7).unwrap();
        assert_eq!(plain.words, same.words);
        assert_eq!(plain.report, same.report);
        // Level 3 only: the plan places words for 㑇 and 㑊 (twice each), nothing else needed.
        // Every level-3 character must be in the corpus: this toy corpus lacks most.
        let tiers = BTreeMap::from([(Tier::Level3, 2)]);
        let err = QuotaPlan::build_with_tiers(&c, 0, &tiers, 4, 3, 10, 7)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("level_3 character(s) are in no usable corpus word"),
            "{err}"
        );
    }

    #[test]
    fn tier_quota_covers_a_whole_level_of_the_bundled_corpus() {
        let cfg = crate::recipe::CorpusConfig {
            tail: true,
            exclude: String::new(),
            ..crate::recipe::CorpusConfig::default()
        };
        let c = Corpus::load(&cfg).unwrap();
        let tiers = BTreeMap::from([(Tier::Level3, 2)]);
        let plan = QuotaPlan::build_with_tiers(&c, 0, &tiers, 2000, 3, 10, 1).unwrap();
        assert_eq!(plan.report.characters, 1605);
        let mut seen: BTreeMap<char, u32> = BTreeMap::new();
        for i in 0..2000 {
            for line in plan.forced_lines(&c, i) {
                for ch in line.chars() {
                    *seen.entry(ch).or_default() += 1;
                }
            }
        }
        for ch in crate::tiers::standard().of(Tier::Level3) {
            assert!(seen.get(&ch).copied().unwrap_or(0) >= 2, "{ch}");
        }
    }
}
