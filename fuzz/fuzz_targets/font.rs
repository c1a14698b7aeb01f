//! Font loader: any bytes give a face or an error; a face lays out what it claims to cover.
#![no_main]

use hanzi_synth::fonts::load_face_bytes;
use hanzi_synth::layout::{layout_block, BlockStyle, Spacing};
use hanzi_synth::recipe::Direction;
use libfuzzer_sys::fuzz_target;

const TEXT: &str = "中华人民共和国学习汉字，书写《文字》";

fuzz_target!(|data: &[u8]| {
    let mut chars: Vec<char> = TEXT.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    let Ok(face) = load_face_bytes(data.to_vec(), 0, &chars) else {
        return;
    };
    let line: String = TEXT.chars().filter(|c| face.coverage.has(*c)).collect();
    if line.is_empty() {
        return;
    }
    for direction in [Direction::Horizontal, Direction::Vertical] {
        let style = BlockStyle::plain(
            direction,
            24.0,
            Spacing {
                letter: 0.0,
                line: 1.2,
            },
        );
        if let Ok(layout) = layout_block(&face, std::slice::from_ref(&line), &style) {
            assert_eq!(layout.lines[0].chars.len(), line.chars().count());
        }
    }
});
