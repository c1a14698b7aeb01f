//! Scores of readings against prompts: character accuracy, exact-line accuracy (AnyText's
//! Sen.ACC), normalised edit distance (AnyText's NED, as 1 − distance / longer length), each with
//! a percentile-bootstrap 95% interval over prompts. Pure functions.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Levenshtein distance between two character sequences.
pub fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Per-item scores of one reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ItemScore {
    /// Prompt characters read correctly at their position.
    pub chars_right: usize,
    pub chars: usize,
    pub exact: bool,
    /// 1 − edit distance / max(len).
    pub ned: f64,
}

pub fn score(prompt: &str, reading: &str) -> ItemScore {
    let p: Vec<char> = prompt.chars().collect();
    let r: Vec<char> = reading.chars().collect();
    let chars_right = p.iter().zip(&r).filter(|(a, b)| a == b).count();
    let longest = p.len().max(r.len()).max(1);
    ItemScore {
        chars_right,
        chars: p.len(),
        exact: p == r,
        ned: 1.0 - edit_distance(&p, &r) as f64 / longest as f64,
    }
}

/// A value with its bootstrap 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Metrics of a set of items.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub items: usize,
    pub char_accuracy: Estimate,
    pub sentence_accuracy: Estimate,
    pub ned: Estimate,
}

fn stats(items: &[ItemScore]) -> (f64, f64, f64) {
    let chars: usize = items.iter().map(|s| s.chars).sum();
    let right: usize = items.iter().map(|s| s.chars_right).sum();
    let n = items.len().max(1) as f64;
    (
        right as f64 / chars.max(1) as f64,
        items.iter().filter(|s| s.exact).count() as f64 / n,
        items.iter().map(|s| s.ned).sum::<f64>() / n,
    )
}

/// The 2.5% and 97.5% quantiles of `v` (sorted in place).
fn interval(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
    (q(0.025), q(0.975))
}

/// Metrics with intervals from `rounds` bootstrap resamples of the items (seeded).
pub fn metrics(items: &[ItemScore], rounds: usize, seed: u64) -> Metrics {
    let (ca, sa, ned) = stats(items);
    if items.is_empty() {
        let e = |v| Estimate {
            value: v,
            low: v,
            high: v,
        };
        return Metrics {
            items: 0,
            char_accuracy: e(0.0),
            sentence_accuracy: e(0.0),
            ned: e(0.0),
        };
    }
    let mut rng = Rng::new(seed).fork("bootstrap");
    let mut draws = (Vec::new(), Vec::new(), Vec::new());
    let mut sample = Vec::with_capacity(items.len());
    for _ in 0..rounds {
        sample.clear();
        for _ in 0..items.len() {
            sample.push(items[rng.below(items.len() as u64) as usize]);
        }
        let (a, b, c) = stats(&sample);
        draws.0.push(a);
        draws.1.push(b);
        draws.2.push(c);
    }
    let est = |value, v: &mut Vec<f64>| {
        let (low, high) = interval(v);
        Estimate { value, low, high }
    };
    Metrics {
        items: items.len(),
        char_accuracy: est(ca, &mut draws.0),
        sentence_accuracy: est(sa, &mut draws.1),
        ned: est(ned, &mut draws.2),
    }
}

/// Difference of two independent groups' means (b − a) with a bootstrap 95% interval that
/// resamples both the seeds of each arm and the items within each seed: seed-to-seed noise is
/// part of the interval. `arms[k][s]` = the per-item values of arm k, seed s.
pub fn difference(a: &[Vec<f64>], b: &[Vec<f64>], rounds: usize, seed: u64) -> Estimate {
    let mean_of = |arm: &[Vec<f64>]| {
        let all: Vec<f64> = arm.iter().flatten().copied().collect();
        all.iter().sum::<f64>() / all.len().max(1) as f64
    };
    let value = mean_of(b) - mean_of(a);
    let mut rng = Rng::new(seed).fork("ab-bootstrap");
    let resample = |arm: &[Vec<f64>], rng: &mut Rng| {
        let mut total = 0.0;
        let mut n = 0usize;
        for _ in 0..arm.len() {
            let s = &arm[rng.below(arm.len() as u64) as usize];
            for _ in 0..s.len() {
                total += s[rng.below(s.len() as u64) as usize];
                n += 1;
            }
        }
        total / n.max(1) as f64
    };
    let mut diffs: Vec<f64> = (0..rounds)
        .map(|_| {
            let db = resample(b, &mut rng);
            let da = resample(a, &mut rng);
            db - da
        })
        .collect();
    let (low, high) = interval(&mut diffs);
    Estimate { value, low, high }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_scores() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(edit_distance(&c("中国人"), &c("中国人")), 0);
        assert_eq!(edit_distance(&c("中国人"), &c("中人")), 1);
        assert_eq!(edit_distance(&c(""), &c("中人")), 2);
        assert_eq!(edit_distance(&c("kitten"), &c("sitting")), 3);
        let s = score("中国", "中");
        assert_eq!((s.chars_right, s.chars, s.exact), (1, 2, false));
        assert!((s.ned - 0.5).abs() < 1e-12);
        assert!(score("的", "的").exact);
        assert_eq!(score("的", "").ned, 0.0);
    }

    #[test]
    fn bootstrap_interval_brackets_the_value_and_narrows_with_items() {
        let items = |n: usize| -> Vec<ItemScore> {
            (0..n)
                .map(|i| score("的", if i % 4 == 0 { "了" } else { "的" }))
                .collect()
        };
        let small = metrics(&items(40), 500, 1);
        let large = metrics(&items(4000), 500, 1);
        assert!((small.char_accuracy.value - 0.75).abs() < 1e-12);
        assert!(small.char_accuracy.low < 0.75 && small.char_accuracy.high > 0.75);
        let w = |m: &Metrics| m.char_accuracy.high - m.char_accuracy.low;
        assert!(w(&large) < w(&small) / 3.0);
    }

    #[test]
    fn difference_sees_a_real_gap_and_not_noise() {
        let arm = |p: f64, seed: u64| -> Vec<Vec<f64>> {
            let mut rng = Rng::new(seed);
            (0..3)
                .map(|_| {
                    (0..200)
                        .map(|_| f64::from(u8::from(rng.chance(p))))
                        .collect()
                })
                .collect()
        };
        let gap = difference(&arm(0.5, 1), &arm(0.8, 2), 500, 3);
        assert!(gap.low > 0.0, "{gap:?}");
        let none = difference(&arm(0.5, 4), &arm(0.5, 5), 500, 6);
        assert!(none.low < 0.0 && none.high > 0.0, "{none:?}");
    }
}
