//! Recipe parser: any bytes, as YAML and as a `--set` override, must give a recipe or an error.
#![no_main]

use hanzi_synth::recipe::{Recipe, DEFAULT_RECIPE_YAML};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Recipe::from_yaml(text, "fuzz") {
        assert!(r.check().is_ok(), "accepted recipe fails its own check");
    }
    let base = Recipe::from_yaml(DEFAULT_RECIPE_YAML, "default").expect("default recipe");
    if let Some((path, value)) = text.split_once('=') {
        if let Ok(r) = base.with_overrides(&[format!("{path}={value}")]) {
            assert!(r.check().is_ok(), "accepted override fails the check");
        }
    }
});
