//! The run's character table: the characters a model is trained and judged on, their token ids,
//! and their frequency tiers (for per-tier metrics). Built from the recipe's corpus, stored with
//! every checkpoint so that `sample` and `eval` read prompts the way training did.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use crate::scene::Context;

/// Token 0 pads a prompt; token 1 is the empty prompt (classifier-free guidance's unconditional
/// input); characters start at 2.
pub const PAD: i64 = 0;
pub const EMPTY: i64 = 1;
const FIRST_CHAR: i64 = 2;

/// Frequency tier names, most frequent first.
pub const TIERS: [&str; 3] = ["head", "middle", "rare"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vocab {
    /// Characters in token order.
    pub chars: Vec<char>,
    /// Each character's share of the corpus frequency mass (the sampling weight at temperature
    /// 1), in token order.
    pub frequency: Vec<f64>,
    /// Longest prompt in characters.
    pub max_chars: usize,
}

impl Vocab {
    /// The characters of the context's corpus words, ranked by summed word frequency (ties by
    /// code point).
    pub fn from_context(ctx: &Context, max_chars: usize) -> Vocab {
        let mut freq: BTreeMap<char, f64> = BTreeMap::new();
        for w in &ctx.corpus.words {
            for c in w.text.chars() {
                *freq.entry(c).or_default() += w.freq as f64;
            }
        }
        Vocab::from_frequencies(freq, max_chars)
    }

    pub fn from_frequencies(freq: BTreeMap<char, f64>, max_chars: usize) -> Vocab {
        let total: f64 = freq.values().sum::<f64>().max(f64::MIN_POSITIVE);
        let mut ranked: Vec<(char, f64)> = freq.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Vocab {
            chars: ranked.iter().map(|r| r.0).collect(),
            frequency: ranked.iter().map(|r| r.1 / total).collect(),
            max_chars,
        }
    }

    /// Token ids including the special tokens.
    pub fn size(&self) -> usize {
        self.chars.len() + FIRST_CHAR as usize
    }

    pub fn id(&self, c: char) -> Option<i64> {
        self.chars
            .iter()
            .position(|&x| x == c)
            .map(|p| p as i64 + FIRST_CHAR)
    }

    pub fn char_of(&self, id: i64) -> Option<char> {
        usize::try_from(id - FIRST_CHAR)
            .ok()
            .and_then(|i| self.chars.get(i).copied())
    }

    /// A prompt as `max_chars` ids, padded. Errors name the character or the length.
    pub fn encode(&self, prompt: &str) -> Result<Vec<i64>> {
        let chars: Vec<char> = prompt.chars().filter(|c| !c.is_whitespace()).collect();
        if chars.len() > self.max_chars {
            bail!(
                "prompt \"{prompt}\" has {} characters; this model takes at most {}",
                chars.len(),
                self.max_chars
            );
        }
        let mut ids = Vec::with_capacity(self.max_chars);
        for c in chars {
            match self.id(c) {
                Some(id) => ids.push(id),
                None => bail!(
                    "\"{c}\" in prompt \"{prompt}\" is not in the model's character table \
                     ({} characters from its training recipe)",
                    self.chars.len()
                ),
            }
        }
        ids.resize(self.max_chars, PAD);
        Ok(ids)
    }

    /// The empty prompt (unconditional input).
    pub fn empty(&self) -> Vec<i64> {
        let mut ids = vec![PAD; self.max_chars];
        ids[0] = EMPTY;
        ids
    }

    /// Tier of a character: the vocabulary split in three equal parts by frequency rank.
    pub fn tier(&self, c: char) -> &'static str {
        let n = self.chars.len().max(1);
        match self.chars.iter().position(|&x| x == c) {
            Some(rank) => TIERS[(rank * 3 / n).min(2)],
            None => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        let freq = [
            ('的', 50.0),
            ('是', 30.0),
            ('了', 30.0),
            ('人', 10.0),
            ('我', 5.0),
            ('他', 1.0),
        ];
        Vocab::from_frequencies(freq.into_iter().collect(), 2)
    }

    #[test]
    fn ranks_by_frequency_then_code_point() {
        let v = vocab();
        assert_eq!(v.chars, vec!['的', '了', '是', '人', '我', '他']);
        assert_eq!(v.tier('的'), "head");
        assert_eq!(v.tier('是'), "middle");
        assert_eq!(v.tier('他'), "rare");
        assert!((v.frequency.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn encodes_pads_and_refuses() {
        let v = vocab();
        assert_eq!(v.encode("的").unwrap(), vec![2, PAD]);
        assert_eq!(v.encode("了是").unwrap(), vec![3, 4]);
        assert_eq!(v.char_of(7), Some('他'));
        let e = v.encode("猫").unwrap_err().to_string();
        assert!(e.contains("\"猫\"") && e.contains("character table"), "{e}");
        let e = v.encode("的是人").unwrap_err().to_string();
        assert!(e.contains("at most 2"), "{e}");
        assert_eq!(v.empty(), vec![EMPTY, PAD]);
    }
}
