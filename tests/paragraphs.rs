//! Real text (`corpus.text`, recipes/paragraphs.yaml): paragraphs of the bundled classical
//! corpus or a user file, set into lines by Chinese line-breaking rules, labelled exactly as
//! drawn, never in a face that lacks one of their characters, and the same bytes on every run.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{bin, files, shard_metas, tmp};
use hanzi_synth::corpus::CLASSICAL_TXT;
use hanzi_synth::fonts::coverage_of;
use hanzi_synth::plan::SampleMeta;
use hanzi_synth::recipe::{Direction, Recipe};
use hanzi_synth::scene::{plan_sample, Context, StageTimes};

const NO_LINE_START: &str = "。，、；：？！」』”’）》…—·";
const NO_LINE_END: &str = "「『“‘（《";

fn recipe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recipes/paragraphs.yaml")
}

fn plans(sets: &[&str], n: u64) -> Vec<SampleMeta> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let recipe = Recipe::load(&recipe_path())
        .unwrap()
        .with_overrides(&sets)
        .unwrap();
    let ctx = Context::new(recipe).unwrap();
    (0..n)
        .map(|i| {
            plan_sample(&ctx, i, &mut StageTimes::default())
                .unwrap()
                .meta
        })
        .collect()
}

/// The lines of each block of a sample, in order.
fn blocks(meta: &SampleMeta) -> Vec<Vec<&hanzi_synth::plan::LineMeta>> {
    let mut out: Vec<Vec<_>> = vec![Vec::new(); meta.blocks.len()];
    for line in &meta.lines {
        out[line.block as usize].push(line);
    }
    out
}

/// Counts of what the blocks of `metas` look like: (vertical, 3 lines or more, shortened,
/// most lines), after checking every block: it is a prefix of a bundled paragraph, quoted in
/// the caption, each line spelled by its character labels, and no line starts or ends with a
/// mark the rules keep from there.
fn check_blocks(metas: &[SampleMeta]) -> (usize, usize, usize, usize) {
    let paragraphs: Vec<&str> = CLASSICAL_TXT
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    let (mut vertical, mut multi_line, mut shortened, mut most) = (0, 0, 0, 0);
    for meta in metas {
        for lines in blocks(meta) {
            let text: String = lines.iter().map(|l| l.text.as_str()).collect();
            let source = paragraphs.iter().find(|p| p.starts_with(text.as_str()));
            let Some(source) = source else {
                panic!("{}: {text:?} is no paragraph's prefix", meta.key);
            };
            shortened += usize::from(source.len() > text.len());
            // The caption quotes the paragraph in one piece.
            assert!(
                meta.caption.contains(&text),
                "{}: {}",
                meta.key,
                meta.caption
            );
            multi_line += usize::from(lines.len() >= 3);
            most = most.max(lines.len());
            vertical += usize::from(lines[0].direction == Direction::Vertical);
            for (k, line) in lines.iter().enumerate() {
                let spelled: String = line.chars.iter().map(|c| c.char.as_str()).collect();
                assert_eq!(spelled, line.text, "{}", meta.key);
                let first = line.text.chars().next().unwrap();
                let last = line.text.chars().last().unwrap();
                assert!(
                    k == 0 || !NO_LINE_START.contains(first),
                    "{}: line {k} of {text:?} starts with {first}",
                    meta.key
                );
                assert!(
                    k + 1 == lines.len() || !NO_LINE_END.contains(last),
                    "{}: line {k} of {text:?} ends with {last}",
                    meta.key
                );
            }
        }
    }
    (vertical, multi_line, shortened, most)
}

#[test]
fn paragraphs_are_set_by_the_rules_and_labelled_as_drawn() {
    // Without mixed-in numbers and words every block is a prefix of a bundled paragraph.
    let metas = plans(&["corpus.digits=0", "corpus.latin=0"], 24);
    let (vertical, multi_line, _, most) = check_blocks(&metas);
    assert!(
        vertical >= 2 && multi_line >= 10 && most <= 10,
        "vertical {vertical}, multi-line {multi_line}, most lines {most}"
    );
    // Blocks of at most 3 lines: long paragraphs end early, at a sentence or clause.
    let metas = plans(
        &["corpus.digits=0", "corpus.latin=0", "corpus.lines=[1, 3]"],
        12,
    );
    let (_, _, shortened, most) = check_blocks(&metas);
    assert!(
        shortened >= 3 && most == 3,
        "shortened {shortened}, most lines {most}"
    );
}

#[test]
fn no_paragraph_is_drawn_in_a_face_that_lacks_one_of_its_characters() {
    // The recipe's faces include brush faces that hold only part of the standard list.
    let metas = plans(&[], 24);
    let mut faces = BTreeSet::new();
    for meta in &metas {
        for line in &meta.lines {
            let coverage = coverage_of(&line.font.file, line.font.index).unwrap();
            assert!(coverage.covers(&line.text), "{}: {line:?}", meta.key);
            faces.insert(line.font.file.clone());
        }
    }
    assert!(faces.len() >= 4, "{faces:?}");
}

/// A user file: paragraphs with Latin words and numbers, a line that is not UTF-8, a line with
/// a control character, and a paragraph with a character no bundled face draws.
fn user_recipe(dir: &Path, unit: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = Vec::new();
    text.extend_from_slice("# my paragraphs\n".as_bytes());
    text.extend_from_slice(
        "今天我们在Hotel Lobby见面，房间号是2024。请带上WiFi密码！\n".as_bytes(),
    );
    text.extend_from_slice(b"\xff\xfe not text\n");
    text.extend_from_slice("控制\u{7}字符\n".as_bytes());
    text.extend_from_slice("私用区\u{e000}字符不能画。\n".as_bytes());
    text.extend_from_slice("\n“你好，”她说，“明天见。”然后走了。\n".as_bytes());
    std::fs::write(dir.join("mine.txt"), text).unwrap();
    let recipe = dir.join("r.yaml");
    std::fs::write(
        &recipe,
        format!(
            "canvas: {{width: 256, height: 256}}\ntext: {{size: [16, 24]}}\n\
             corpus:\n  text: {{source: mine.txt, unit: {unit}, width: [4, 8]}}\n  lines: [1, 6]\n  \
             digits: 0\n  latin: 0\n"
        ),
    )
    .unwrap();
    recipe
}

#[test]
fn user_text_files_are_read_with_their_problems_reported() {
    let dir = tmp("user-text");
    let ctx = Context::new(Recipe::load(&user_recipe(&dir, "sentence")).unwrap()).unwrap();
    let skipped: Vec<usize> = ctx.corpus.skipped_lines.iter().map(|s| s.line).collect();
    assert_eq!(skipped, [3, 4]);
    // The sentence with U+E000 is dropped before drawing: no face draws it.
    assert_eq!(ctx.words_without_font, 1);
    let sentences: BTreeSet<&str> = ctx.corpus.words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(
        sentences,
        BTreeSet::from([
            "今天我们在Hotel Lobby见面，房间号是2024。",
            "请带上WiFi密码！",
            "“你好，”她说，“明天见。”",
            "然后走了。"
        ])
    );
    let mut seen = BTreeSet::new();
    for i in 0..16 {
        let meta = plan_sample(&ctx, i, &mut StageTimes::default())
            .unwrap()
            .meta;
        for lines in blocks(&meta) {
            let drawn: String = lines.iter().map(|l| l.text.as_str()).collect();
            // A space at a break is not drawn; nothing else is lost or added.
            let source = sentences
                .iter()
                .find(|s| s.replace(' ', "").starts_with(&drawn.replace(' ', "")))
                .unwrap_or_else(|| panic!("{drawn:?}"));
            seen.insert(*source);
            for w in ["Hotel", "Lobby", "2024", "WiFi"] {
                let cut = lines.windows(2).any(|p| {
                    (p[0].text.clone() + &p[1].text).contains(w)
                        && !p[0].text.contains(w)
                        && !p[1].text.contains(w)
                });
                assert!(!cut, "{w} split across lines: {lines:?}");
            }
        }
    }
    assert!(seen.len() >= 3, "{seen:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_word_list_or_a_missing_file_is_a_clear_error() {
    let dir = tmp("user-text-bad");
    let recipe = user_recipe(&dir, "paragraph");
    std::fs::write(dir.join("mine.txt"), "北门\t10\n人民\t5\n").unwrap();
    let (code, said) = run(&["recipe", "check", recipe.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("mine.txt:1: \"北门<TAB>10\" looks like a word list"),
        "{said}"
    );
    std::fs::remove_file(dir.join("mine.txt")).unwrap();
    let (code, said) = run(
        &["generate", "-r", recipe.to_str().unwrap(), "-n", "1", "-o"]
            .into_iter()
            .chain([dir.join("out").to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("cannot read corpus.text.source"), "{said}");
    assert!(said.contains("mine.txt"), "{said}");
    assert!(!dir.join("out").join("000000.tar").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = bin().args(args).output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), said)
}

#[test]
fn generating_the_recipe_twice_gives_the_same_bytes() {
    let (a, b) = (tmp("para-a"), tmp("para-b"));
    let recipe = recipe_path();
    for out in [&a, &b] {
        let (code, said) = run(&[
            "generate",
            "-r",
            recipe.to_str().unwrap(),
            "-n",
            "3",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{said}");
    }
    let (fa, fb) = (files(&a, true), files(&b, true));
    assert!(fa.len() >= 2 && fa == fb, "the two runs differ");
    // Every record's caption quotes each block's lines, joined as drawn.
    for meta in shard_metas(&a.join("000000.tar")) {
        let caption = meta["caption"].as_str().unwrap();
        let lines = meta["lines"].as_array().unwrap();
        for b in 0..meta["blocks"].as_array().unwrap().len() {
            let text: String = lines
                .iter()
                .filter(|l| l["block"] == b)
                .map(|l| l["text"].as_str().unwrap())
                .collect();
            assert!(caption.contains(&text), "{caption} / {text}");
        }
    }
    let (code, said) = run(&["verify", a.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{said}");
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
