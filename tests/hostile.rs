//! Hostile and broken inputs (fixtures in `tests/hostile/`): every one gives a clear error or a
//! counted skip — never a panic, never a wrong label, and nothing written when the run cannot
//! happen at all.

mod common;
use common::{bin, tmp};

use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(rel)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Exit code 1 with `expected` in the message: an error, not a panic (101) or a signal.
fn assert_clear_error(o: &Output, expected: &str, what: &str) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(1), "{what}: {t}");
    assert!(t.contains("error:"), "{what}: {t}");
    assert!(!t.contains("panicked"), "{what}: {t}");
    assert!(t.contains(expected), "{what}: expected {expected:?} in {t}");
}

const SMALL: &[&str] = &[
    "--set",
    "canvas={width: 160, height: 128}",
    "--set",
    "text.size=[14, 36]",
    "-n",
    "12",
    "-q",
];

fn generate(out: &Path, sets: &[String]) -> Output {
    let mut args: Vec<String> = vec!["generate".into(), "-o".into(), out.display().to_string()];
    args.extend(SMALL.iter().map(|s| s.to_string()));
    for s in sets {
        args.push("--set".into());
        args.push(s.clone());
    }
    bin().args(&args).output().expect("binary runs")
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// Overwrites one table of an sfnt font with zeros.
fn wipe_table(font: &mut [u8], tag: &[u8; 4]) {
    let tables = u16::from_be_bytes([font[4], font[5]]) as usize;
    for t in 0..tables {
        let rec = 12 + 16 * t;
        if &font[rec..rec + 4] == tag {
            let at = |i: usize| u32::from_be_bytes(font[i..i + 4].try_into().unwrap()) as usize;
            let (offset, length) = (at(rec + 8), at(rec + 12));
            font[offset..offset + length].fill(0);
            return;
        }
    }
    panic!("no {tag:?} table");
}

#[test]
fn broken_fonts_are_named_and_counted_and_never_drawn() {
    let dir = tmp("fonts");
    std::fs::create_dir_all(&dir).unwrap();
    for f in std::fs::read_dir(fixture("fonts")).unwrap().flatten() {
        std::fs::copy(f.path(), dir.join(f.file_name())).unwrap();
    }
    let kai =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts/SubsetKaiSC-Regular.ttf"))
            .unwrap();
    let mut no_cmap = kai.clone();
    wipe_table(&mut no_cmap, b"cmap");
    std::fs::write(dir.join("no-cmap.ttf"), no_cmap).unwrap();
    let mut no_outlines = kai;
    wipe_table(&mut no_outlines, b"glyf");
    std::fs::write(dir.join("no-outlines.ttf"), no_outlines).unwrap();

    let out = tmp("fonts-out");
    let o = generate(&out, &[format!("fonts.dirs=[{}]", dir.display())]);
    assert!(o.status.success(), "{}", text(&o));
    let m = manifest(&out);
    let skipped: Vec<String> = m["fonts_skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s[0].as_str().unwrap(), s[1].as_str().unwrap()))
        .collect();
    for name in [
        "truncated.ttf",
        "garbage.otf",
        "empty.ttf",
        "not-a-font.ttc",
    ] {
        assert!(
            skipped
                .iter()
                .any(|s| s.contains(name) && s.contains("not a readable font")),
            "{name} not counted: {skipped:?}"
        );
    }
    // Both damaged Kai copies map characters yet cannot draw them: skipped for coverage.
    for name in ["no-cmap.ttf", "no-outlines.ttf"] {
        assert!(
            skipped
                .iter()
                .any(|s| s.contains(name) && s.contains("covers 0.0%")),
            "{name} not counted: {skipped:?}"
        );
    }
    let inkless = m["fonts_inkless_chars"].as_array().unwrap();
    assert!(
        inkless
            .iter()
            .any(|e| e[0].as_str().unwrap().contains("no-outlines.ttf")),
        "{inkless:?}"
    );
    let used = m["fonts_used"].to_string();
    assert!(!used.contains(&dir.display().to_string()), "{used}");
    let v = run(&["verify", out.to_str().unwrap()]);
    assert!(v.status.success(), "{}", text(&v));

    // With only broken fonts there is nothing to draw with: fail before writing anything.
    let out2 = tmp("fonts-none");
    let o = generate(
        &out2,
        &[
            format!("fonts.dirs=[{}]", dir.display()),
            "fonts.bundled=false".into(),
            "fonts.system=false".into(),
        ],
    );
    assert_clear_error(&o, "no usable font", "only broken fonts");
    assert!(!out2.exists(), "nothing may be written");
    for d in [dir, out] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn broken_backgrounds_are_skipped_and_counted() {
    let dir = tmp("bg");
    std::fs::create_dir_all(&dir).unwrap();
    for f in std::fs::read_dir(fixture("backgrounds")).unwrap().flatten() {
        std::fs::copy(f.path(), dir.join(f.file_name())).unwrap();
    }
    // An unreadable subfolder (only meaningful when not running as root).
    let locked = dir.join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let out = tmp("bg-out");
    let o = generate(
        &out,
        &[
            format!("backgrounds.dirs=[{}]", dir.display()),
            "backgrounds.bundled=false".into(),
            "backgrounds.kinds={photo: 1}".into(),
        ],
    );
    if !root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert!(o.status.success(), "{}", text(&o));
    let m = manifest(&out);
    let skipped: Vec<(String, String)> = m["backgrounds_skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s[0].as_str().unwrap().into(), s[1].as_str().unwrap().into()))
        .collect();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, why)| why.clone())
            .unwrap_or_else(|| panic!("{name} not counted: {skipped:?}"))
    };
    assert!(reason("truncated.jpg").contains("truncated"));
    assert!(reason("bomb-40000.png").contains("40000×40000"));
    assert!(reason("bomb-9000.png").contains("megapixels"));
    for name in [
        "zero-bytes.png",
        "garbage.jpg",
        "zero-width.png",
        "gif-named.png",
    ] {
        reason(name);
    }
    assert!(reason("notes.txt").contains("not a .jpg"));
    if !root {
        assert!(reason("locked").contains("unreadable folder"));
    }
    let sources = m["background_sources"].as_object().unwrap();
    assert_eq!(sources.len(), 1, "only the good image is used: {sources:?}");
    assert!(sources.keys().next().unwrap().ends_with("good.png"));
    assert_eq!(m["samples"], 12);

    // No usable photo and only photos asked for: a clear error, nothing written.
    std::fs::remove_file(dir.join("good.png")).unwrap();
    let out2 = tmp("bg-none");
    let o = generate(
        &out2,
        &[
            format!("backgrounds.dirs=[{}]", dir.display()),
            "backgrounds.bundled=false".into(),
            "backgrounds.kinds={photo: 1}".into(),
        ],
    );
    assert_clear_error(&o, "no image is available", "only broken photos");
    assert!(!out2.exists());
    // A folder that does not exist is an error naming it.
    let o = generate(&out2, &["backgrounds.dirs=[/nonexistent/pictures]".into()]);
    assert_clear_error(&o, "/nonexistent/pictures", "missing folder");
    for d in [dir, out] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn broken_corpora_give_counted_skips_or_clear_errors() {
    let out = tmp("corpus-ok");
    let o = generate(
        &out,
        &[format!(
            "corpus.source={}",
            fixture("corpus/invalid-utf8.tsv").display()
        )],
    );
    assert!(o.status.success(), "{}", text(&o));
    let m = manifest(&out);
    assert_eq!(m["corpus_lines_skipped"], 2);
    assert_eq!(m["words_without_font"], 1, "the Extension B word");
    assert_eq!(m["corpus_words"], 3);
    std::fs::remove_dir_all(&out).unwrap();

    // Words with invisible, control or whitespace characters: skipped, counted per reason.
    let out = tmp("corpus-invisible");
    let o = generate(
        &out,
        &[format!(
            "corpus.source={}",
            fixture("corpus/invisible.tsv").display()
        )],
    );
    assert!(o.status.success(), "{}", text(&o));
    let m = manifest(&out);
    assert_eq!(m["corpus_lines_skipped"], 5, "{m}");
    let by = &m["corpus_lines_skipped_by_reason"];
    assert_eq!(by["invisible_character"]["lines"], 3, "{by}");
    assert_eq!(
        by["invisible_character"]["first"],
        serde_json::json!([3, 4, 5])
    );
    assert_eq!(by["whitespace"]["lines"], 1, "{by}");
    assert_eq!(by["control_character"]["lines"], 1, "{by}");
    assert_eq!(m["corpus_words"], 3, "the BOM at the start is ignored");
    std::fs::remove_dir_all(&out).unwrap();

    for (file, expected) in [
        ("empty.tsv", "holds no words"),
        ("comments-only.tsv", "holds no words"),
        ("all-invalid.tsv", "not valid UTF-8"),
        ("no-font.tsv", "none covers 50% of the corpus characters"),
        ("bad-frequency.tsv", ":2: frequency \"lots\""),
        (
            "jieba-format.tsv",
            "jieba-format.tsv:1: \"AT&T 3 nz\" has a space in it",
        ),
        ("jieba-format.tsv", "corpus build --dict"),
        (
            "extra-column.tsv",
            ":2: \"人民<TAB>90<TAB>n\" has 3 tab-separated columns",
        ),
    ] {
        let out = tmp("corpus-bad");
        let o = generate(
            &out,
            &[format!(
                "corpus.source={}",
                fixture(&format!("corpus/{file}")).display()
            )],
        );
        assert_clear_error(&o, expected, file);
        assert!(!out.exists(), "{file}: nothing may be written");
    }
}

#[test]
fn hostile_recipes_are_refused_with_the_reason() {
    let cases = [
        ("deep-nesting.yaml", "recursion limit"),
        ("alias-bomb.yaml", "line 4"),
        ("duplicate-key.yaml", "duplicate mapping key `width`"),
        ("count-zero.yaml", "count must be at least 1"),
        (
            "canvas-zero.yaml",
            "canvas side must be 16 to 8192 pixels, got 0",
        ),
        ("canvas-huge.yaml", "got 100000"),
        ("negative-range.yaml", "text.size"),
        ("min-above-max.yaml", "range min 60 is greater than max 20"),
        (
            "probability-above-one.yaml",
            "probability must be between 0 and 1",
        ),
        ("unknown-key.yaml", "unknown field `widht`"),
        ("wrong-type.yaml", "line 1"),
        ("not-utf8.yaml", "valid UTF-8"),
        ("huge-count.yaml", "line 1"),
        ("nan.yaml", "min_contrast"),
    ];
    for (file, expected) in cases {
        let path = fixture(&format!("recipes/{file}"));
        let o = run(&["recipe", "check", path.to_str().unwrap()]);
        assert_clear_error(&o, expected, file);
        let out = tmp("recipe");
        let o = run(&[
            "generate",
            "-r",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_clear_error(&o, expected, file);
        assert!(!out.exists(), "{file}: nothing may be written");
    }
    // An alias bomb in a --set value (read as free-form YAML) hits the parser's budget.
    let mut bomb = String::from("{x0: &a0 [ha, ha, ha, ha, ha, ha, ha, ha, ha, ha]");
    for i in 1..10 {
        bomb += &format!(
            ", x{i}: &a{i} [{}]",
            vec![format!("*a{}", i - 1); 10].join(", ")
        );
    }
    bomb.push('}');
    let o = run(&[
        "recipe",
        "check",
        "recipes/default.yaml",
        "--set",
        &format!("caption.zh={bomb}"),
    ]);
    assert_clear_error(&o, "--set caption.zh", "alias bomb in --set");
    // Absurd command-line values.
    let out = tmp("cli");
    let o = run(&["generate", "-n", "0", "-o", out.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "-n 0 is a usage error: {}",
        text(&o)
    );
    assert!(text(&o).contains("must be at least 1"), "{}", text(&o));
    let o = run(&[
        "generate",
        "--set",
        "text.nonsense=3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_clear_error(&o, "nonsense", "unknown --set path");
    assert!(!out.exists());
    // An output path that is a file, not a folder.
    let file = tmp("a-file");
    std::fs::write(&file, b"x").unwrap();
    let o = run(&["generate", "-n", "1", "-o", file.to_str().unwrap()]);
    assert_clear_error(&o, "not a folder", "output is a file");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    std::fs::remove_file(file).unwrap();
}
