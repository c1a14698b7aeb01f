//! Corpus loader: any bytes give words (clean, samplable) or an error.
#![no_main]

use hanzi_synth::corpus::{parse_tsv, valid_utf8_lines, Corpus};
use hanzi_synth::recipe::{CorpusConfig, SamplingMode};
use hanzi_synth::rng::Rng;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, _) = valid_utf8_lines(data);
    let Ok(words) = parse_tsv(&text, "fuzz").map(|l| l.words) else {
        return;
    };
    assert!(words.iter().all(|w| !w.text.trim().is_empty()));
    for mode in [
        SamplingMode::Frequency,
        SamplingMode::Uniform,
        SamplingMode::Balanced,
    ] {
        if let Ok(corpus) = Corpus::new(words.clone(), mode, 1.0) {
            let mut rng = Rng::new(data.len() as u64);
            assert!(corpus.sample_word(&mut rng) < corpus.words.len());
            let _ = corpus.sample_line(&CorpusConfig::default(), &mut rng);
        }
    }
});
