//! The command line as users meet it: generation, determinism across threads and shards,
//! output layouts, and clear errors.

mod common;
use common::{bin, files, shard_metas, tmp};

use std::path::Path;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("binary runs");
    assert!(
        out.status.success(),
        "hanzi-synth {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Small, fast settings shared by the tests: 24 samples, shards of 5.
const SMALL: &[&str] = &[
    "--set",
    "canvas={width: 192, height: 160}",
    "--set",
    "text.size=[14, 40]",
    "--set",
    "output.samples_per_shard=5",
    "-n",
    "24",
    "-q",
];

fn generate(out: &Path, extra: &[&str]) {
    let mut args = vec!["generate", "-o", out.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    run(&args);
}

fn tar_members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut ar = tar::Archive::new(std::fs::File::open(path).unwrap());
    ar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().to_string();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            (name, data)
        })
        .collect()
}

#[test]
fn webdataset_output_is_complete_and_well_formed() {
    let out = tmp("wds");
    generate(&out, &[]);
    let shards: Vec<_> = (0..5).map(|k| out.join(format!("{k:06}.tar"))).collect();
    assert!(shards.iter().all(|s| s.exists()));
    assert!(!out.join("000005.tar").exists());
    let mut keys = Vec::new();
    for s in &shards {
        let members = tar_members(s);
        assert_eq!(members.len() % 3, 0);
        for m in members.chunks(3) {
            let key = m[0].0.split('.').next().unwrap().to_string();
            assert!(!key.contains('.'));
            assert_eq!(m[0].0, format!("{key}.jpg"));
            assert_eq!(m[1].0, format!("{key}.txt"));
            assert_eq!(m[2].0, format!("{key}.json"));
            let img = image::load_from_memory(&m[0].1).unwrap();
            assert_eq!((img.width(), img.height()), (192, 160));
            let caption = String::from_utf8(m[1].1.clone()).unwrap();
            let meta: serde_json::Value = serde_json::from_slice(&m[2].1).unwrap();
            assert_eq!(meta["key"], key.as_str());
            assert_eq!(meta["caption"], caption.as_str());
            let text: Vec<&str> = meta["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["text"].as_str().unwrap())
                .collect();
            assert!(caption.contains(&text.join(" ")), "{caption} / {text:?}");
            // Coordinates are always JSON floats.
            let q = &meta["lines"][0]["chars"][0]["quad"][0][0];
            assert!(q.is_f64(), "{q}");
            keys.push(key);
        }
    }
    let expected: Vec<String> = (0..24).map(|i| format!("{i:09}")).collect();
    assert_eq!(keys, expected);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["samples"], 24);
    assert_eq!(manifest["shards"].as_array().unwrap().len(), 5);
    let by_font: u64 = manifest["fonts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    // Each sample counts once per face it uses (a face per block).
    let blocks = manifest["blocks"].as_u64().unwrap();
    assert!(by_font >= 24 && by_font <= blocks, "{by_font} {blocks}");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn line_crop_mode_writes_one_record_per_line() {
    let scenes = tmp("scenes");
    let crops = tmp("crops");
    generate(&scenes, &[]);
    generate(&crops, &["--set", "output.mode=line_crops"]);
    let mut lines = Vec::new();
    for name in files(&scenes, false).keys().filter(|n| n.ends_with(".tar")) {
        for (member, data) in tar_members(&scenes.join(name)) {
            if member.ends_with(".json") {
                let meta: serde_json::Value = serde_json::from_slice(&data).unwrap();
                for l in meta["lines"].as_array().unwrap() {
                    lines.push(l["text"].as_str().unwrap().to_string());
                }
            }
        }
    }
    let mut crop_texts = Vec::new();
    for name in files(&crops, false).keys().filter(|n| n.ends_with(".tar")) {
        let members = tar_members(&crops.join(name));
        for m in members.chunks(3) {
            let key = m[0].0.strip_suffix(".jpg").unwrap();
            assert!(!key.contains('.') && key.contains('_'), "{key}");
            let text = String::from_utf8(m[1].1.clone()).unwrap();
            let meta: serde_json::Value = serde_json::from_slice(&m[2].1).unwrap();
            assert_eq!(meta["text"], text.as_str());
            let img = image::load_from_memory(&m[0].1).unwrap();
            let fixed = if meta["direction"] == "vertical" {
                img.width()
            } else {
                img.height()
            };
            assert_eq!(fixed, 48);
            crop_texts.push(text);
        }
    }
    // Same recipe and seed: the crops are exactly the scenes' lines, in order.
    assert_eq!(crop_texts, lines);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(crops.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["records"], lines.len());
    assert_eq!(manifest["samples"], 24);
    std::fs::remove_dir_all(scenes).unwrap();
    std::fs::remove_dir_all(crops).unwrap();
}

#[test]
fn output_bytes_do_not_depend_on_thread_count_or_shard_split() {
    let one = tmp("t1");
    let two = tmp("t2");
    let again = tmp("t1again");
    generate(&one, &["-j", "1"]);
    generate(&two, &["-j", "2"]);
    generate(&again, &["-j", "1"]);
    let reference = files(&one, false);
    assert_eq!(reference.len(), 5);
    assert_eq!(reference, files(&two, false), "1 vs 2 threads differ");
    assert_eq!(reference, files(&again, false), "two identical runs differ");

    let s0 = tmp("s0");
    let s1 = tmp("s1");
    generate(&s0, &["--shard", "0/2"]);
    generate(&s1, &["--shard", "1/2"]);
    let mut union = files(&s0, false);
    let f1 = files(&s1, false);
    assert!(union.keys().all(|k| !f1.contains_key(k)), "shards overlap");
    union.extend(f1);
    assert_eq!(
        reference, union,
        "--shard 0/2 ∪ 1/2 differs from the single run"
    );
    assert!(s0.join("manifest-shard-0-of-2.json").exists());

    let other_seed = tmp("seed");
    generate(&other_seed, &["--seed", "7"]);
    assert_ne!(reference, files(&other_seed, false));
    for d in [one, two, again, s0, s1, other_seed] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn imagefolder_output_has_metadata_rows() {
    let out = tmp("imf");
    generate(
        &out,
        &[
            "--set",
            "output.format=imagefolder",
            "--set",
            "output.image_format=png",
        ],
    );
    let mut rows = 0;
    for k in 0..5 {
        let chunk = out.join(format!("{k:06}"));
        let meta = std::fs::read_to_string(chunk.join("metadata.jsonl")).unwrap();
        for line in meta.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let file = row["file_name"].as_str().unwrap();
            assert!(file.ends_with(".png"));
            assert!(!row["text"].as_str().unwrap().is_empty());
            image::open(chunk.join(file)).unwrap();
            rows += 1;
        }
    }
    assert_eq!(rows, 24);
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn existing_output_is_refused_without_overwrite() {
    let out = tmp("refuse");
    generate(&out, &[]);
    std::fs::write(out.join("keep.txt"), "user file").unwrap();
    let mut args = vec!["generate", "-o", out.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    let o = bin().args(&args).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--overwrite"));
    args.push("--overwrite");
    run(&args);
    assert!(
        out.join("keep.txt").exists(),
        "--overwrite removed a file it did not write"
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn recipe_errors_name_the_line_and_fail() {
    let dir = tmp("recipe");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "seed: 1\ntext:\n  size: [60, 20]\n").unwrap();
    let o = bin()
        .args(["recipe", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.yaml") && err.contains("line 3"), "{err}");

    std::fs::write(&bad, "seed: 1\nwrap: {}\n").unwrap();
    let o = bin()
        .args([
            "generate",
            "-r",
            bad.to_str().unwrap(),
            "-o",
            dir.join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrap"));
    assert!(
        !dir.join("o").exists(),
        "a failed recipe must not create output"
    );

    let init = run(&["recipe", "init"]);
    let good = dir.join("good.yaml");
    std::fs::write(&good, &init.stdout).unwrap();
    let ok = run(&["recipe", "check", good.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ok"));

    let o = bin()
        .args([
            "generate",
            "--set",
            "warp.probability=2",
            "-o",
            dir.join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("probability"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn corpus_build_reproduces_the_bundled_list() {
    let out = tmp("corpus");
    std::fs::create_dir_all(&out).unwrap();
    let list = out.join("top.tsv");
    let root = env!("CARGO_MANIFEST_DIR");
    run(&[
        "corpus",
        "build",
        "--dict",
        &format!("{root}/corpora/jieba-dict.txt"),
        "-o",
        list.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&list).unwrap(),
        std::fs::read(format!("{root}/corpora/top50k.tsv")).unwrap(),
        "corpora/top50k.tsv is not what `corpus build` derives from corpora/jieba-dict.txt"
    );
    let text = out.join("t.txt");
    std::fs::write(&text, "今天天气很好。我们去公园散步，公园里有很多人。").unwrap();
    let words = out.join("w.tsv");
    run(&[
        "corpus",
        "build",
        "--text",
        text.to_str().unwrap(),
        "-o",
        words.to_str().unwrap(),
    ]);
    let built = std::fs::read_to_string(&words).unwrap();
    assert!(built.starts_with("公园\t2\n"), "{built}");
    // What --text leaves out is reported by reason, with examples; punctuation can be kept.
    std::fs::write(&text, "我們去公園。他说：“OK，2024年见！”\n").unwrap();
    let o = run(&[
        "corpus",
        "build",
        "--text",
        text.to_str().unwrap(),
        "-o",
        words.to_str().unwrap(),
    ]);
    let report = String::from_utf8_lossy(&o.stderr);
    for expected in [
        "punctuation",
        "--keep-punctuation",
        "outside GB2312",
        "我們",
        "Latin words",
        "OK",
        "numbers",
        "2024",
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} missing in {report}"
        );
    }
    assert!(!std::fs::read_to_string(&words).unwrap().contains('，'));
    run(&[
        "corpus",
        "build",
        "--text",
        text.to_str().unwrap(),
        "--keep-punctuation",
        "-o",
        words.to_str().unwrap(),
    ]);
    let built = std::fs::read_to_string(&words).unwrap();
    assert!(built.contains("，\t") && built.contains("。\t"), "{built}");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn exclude_list_removes_words_from_the_drawn_text_and_the_manifest_counts_them() {
    let out = tmp("exclude");
    std::fs::create_dir_all(&out).unwrap();
    let corpus = out.join("words.tsv");
    std::fs::write(
        &corpus,
        "中国\t100\n北京\t90\n北方\t80\n上海\t70\n上海市\t60\n人民\t50\n",
    )
    .unwrap();
    // One character (removes 北京 and 北方) and one word (removes 上海 and 上海市).
    let ban = out.join("ban.txt");
    std::fs::write(&ban, "# my list\n北\n\n上海\n").unwrap();
    let data = out.join("data");
    run(&[
        "generate",
        "-q",
        "-n",
        "16",
        "-o",
        data.to_str().unwrap(),
        "--set",
        &format!("corpus.source={}", corpus.display()),
        "--set",
        &format!("corpus.exclude={}", ban.display()),
        "--set",
        "corpus.sampling=uniform",
        "--set",
        "canvas={width: 192, height: 192}",
        "--set",
        "text.size=[14, 40]",
    ]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("manifest.json")).unwrap()).unwrap();
    let report = &manifest["exclude"];
    assert_eq!(report["words_removed"], 4, "{report}");
    assert_eq!(report["entries"], 2, "{report}");
    assert_eq!(manifest["corpus_words"], 2);
    let mut lines = 0;
    for meta in shard_metas(&data.join("000000.tar")) {
        for line in meta["lines"].as_array().unwrap() {
            let text = line["text"].as_str().unwrap();
            assert!(!text.contains('北') && !text.contains("上海"), "{text:?}");
            lines += 1;
        }
    }
    assert!(lines >= 16);
    // The default list is on by default and the summary says what it removed.
    let o = run(&[
        "generate",
        "-n",
        "2",
        "-o",
        out.join("d").to_str().unwrap(),
        "--set",
        "canvas={width: 128, height: 128}",
        "--set",
        "text.size=[14, 30]",
    ]);
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(
        summary.contains("exclude       corpora/exclude-default.txt")
            && summary.contains("87 corpus word(s) removed"),
        "{summary}"
    );
    // A missing list is an error naming it.
    let o = bin()
        .args(["generate", "-n", "1", "-o"])
        .arg(out.join("x"))
        .args(["--set", "corpus.exclude=/nonexistent/ban.txt"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/ban.txt"));
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn preview_fonts_and_bench_run() {
    let out = tmp("preview");
    std::fs::create_dir_all(&out).unwrap();
    let png = out.join("p.png");
    run(&[
        "preview",
        "-n",
        "4",
        "--tile",
        "96",
        "-o",
        png.to_str().unwrap(),
    ]);
    let img = image::open(&png).unwrap();
    assert!(img.width() > 96 * 2);
    let fonts = run(&["fonts"]);
    assert!(String::from_utf8_lossy(&fonts.stdout).contains("4 usable face(s)"));
    let bench = run(&[
        "bench",
        "-n",
        "3",
        "-j",
        "1",
        "--set",
        "canvas={width: 128, height: 128}",
        "--set",
        "text.size=[12, 30]",
    ]);
    let text = String::from_utf8_lossy(&bench.stdout);
    for expected in [
        "images/s",
        "images/CPU-s",
        "encode-only floor",
        "peak RSS",
        "encode",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in {text}");
    }
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn charset_restricts_the_text_and_the_manifest_reports_what_it_left_out() {
    let out = tmp("charset");
    std::fs::create_dir_all(&out).unwrap();
    let keys = out.join("keys.txt");
    // A small charset, one character per line as PP-OCR key lists are.
    let chars = "的一是了不在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里0123456789";
    let list: String = chars.chars().map(|c| format!("{c}\n")).collect();
    std::fs::write(&keys, list).unwrap();
    let data = out.join("data");
    run(&[
        "generate",
        "-q",
        "-n",
        "12",
        "-o",
        data.to_str().unwrap(),
        "--set",
        &format!("corpus.charset={}", keys.display()),
        "--set",
        "corpus.digits=0.5",
        "--set",
        "corpus.latin=0.5",
        "--set",
        "canvas={width: 192, height: 192}",
        "--set",
        "text.size=[14, 40]",
    ]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("manifest.json")).unwrap()).unwrap();
    let report = &manifest["charset"];
    assert_eq!(report["size"], chars.chars().count());
    assert!(
        report["words_dropped"].as_u64().unwrap() > 40_000,
        "{report}"
    );
    let outside = report["chars_outside"].as_str().unwrap();
    assert!(outside.chars().count() > 5_000 && !outside.contains('的'));
    let mut lines = 0;
    for meta in shard_metas(&data.join("000000.tar")) {
        for line in meta["lines"].as_array().unwrap() {
            let text = line["text"].as_str().unwrap();
            assert!(
                text.chars().all(|c| c.is_whitespace() || chars.contains(c)),
                "{text:?} leaves the charset"
            );
            lines += 1;
        }
    }
    assert!(lines >= 12);
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn coverage_quota_reaches_its_guarantee_or_says_why_not() {
    let out = tmp("quota");
    std::fs::create_dir_all(&out).unwrap();
    // A small corpus with a Zipf-like skew: rare characters would be missed by chance.
    let words = [
        "中国", "人民", "发展", "经济", "社会", "国家", "工作", "问题", "政府", "企业", "市场",
        "技术", "文化", "历史", "教育", "科学", "研究", "生活", "世界", "城市", "农村", "环境",
        "资源", "能源", "交通", "医疗", "健康", "安全", "法律", "制度", "麒麟", "饕餮", "魑魅",
        "蝙蝠", "琵琶", "枇杷", "葡萄", "鹦鹉", "蟋蟀", "蜻蜓",
    ];
    let tsv: String = words
        .iter()
        .enumerate()
        .map(|(i, w)| format!("{w}\t{}\n", 100_000 / (i + 1).pow(2)))
        .collect();
    let corpus = out.join("words.tsv");
    std::fs::write(&corpus, tsv).unwrap();
    let data = out.join("data");
    let common = [
        "--set".to_string(),
        format!("corpus.source={}", corpus.display()),
        "--set".into(),
        "canvas={width: 256, height: 256}".into(),
        "--set".into(),
        "text.size=[14, 36]".into(),
        "--set".into(),
        "corpus.lines=[1, 4]".into(),
        "--set".into(),
        "corpus.max_chars_per_line=8".into(),
        "--set".into(),
        "corpus.digits=0".into(),
        "--set".into(),
        "corpus.latin=0".into(),
    ];
    let mut args: Vec<String> = ["generate", "-q", "-n", "30", "-o"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(data.to_str().unwrap().into());
    args.extend(common.iter().cloned());
    args.extend([
        "--set".into(),
        "corpus.quota={min_count: 3, within: 20}".into(),
    ]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&argv);
    let mut counts: std::collections::BTreeMap<char, u32> = Default::default();
    for meta in shard_metas(&data.join("000000.tar")) {
        if meta["index"].as_u64().unwrap() >= 20 {
            continue;
        }
        for line in meta["lines"].as_array().unwrap() {
            for c in line["text"].as_str().unwrap().chars() {
                *counts.entry(c).or_default() += 1;
            }
        }
    }
    for w in words {
        for c in w.chars() {
            assert!(
                counts.get(&c).copied().unwrap_or(0) >= 3,
                "{c} appears {:?} times in the first 20 samples",
                counts.get(&c)
            );
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["quota"]["min_count"], 3);
    assert_eq!(manifest["quota"]["within"], 20);

    // Too many appearances for too few samples of one short line each: refused, nothing written.
    let mut args: Vec<String> = ["generate", "-q", "-n", "5", "-o"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let refused = out.join("refused");
    args.push(refused.to_str().unwrap().into());
    args.extend(common.iter().cloned());
    args.extend([
        "--set".into(),
        "corpus.quota={min_count: 40}".into(),
        "--set".into(),
        "corpus.lines=[1, 1]".into(),
    ]);
    let out_run = bin().args(&args).output().unwrap();
    assert!(!out_run.status.success());
    let err = String::from_utf8_lossy(&out_run.stderr);
    assert!(err.contains("quota is impossible"), "{err}");
    assert!(!refused.exists());
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn corpus_tgh_and_tail_reproduce_the_bundled_lists() {
    let out = tmp("tail");
    std::fs::create_dir_all(&out).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let tail = out.join("tail.tsv");
    run(&[
        "corpus",
        "tail",
        "--dict",
        &format!("{root}/corpora/jieba-dict.txt"),
        "--top",
        &format!("{root}/corpora/top50k.tsv"),
        "-o",
        tail.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&tail).unwrap(),
        std::fs::read(format!("{root}/corpora/tail-words.tsv")).unwrap(),
        "corpora/tail-words.tsv is not what `corpus tail` derives from the dictionary"
    );
    // The standard list from Unihan-style lines (the shipped list written back as kTGH lines).
    let mut unihan = String::from("# Unihan_OtherMappings.txt\n");
    for line in std::fs::read_to_string(format!("{root}/corpora/tgh-2013.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split('\t').collect();
        let cp = f[0].chars().next().unwrap() as u32;
        unihan.push_str(&format!("U+{cp:04X}\tkTGH\t2013:{}\n", f[1]));
    }
    let src = out.join("unihan.txt");
    std::fs::write(&src, unihan).unwrap();
    let tgh = out.join("tgh.tsv");
    run(&[
        "corpus",
        "tgh",
        "--unihan",
        src.to_str().unwrap(),
        "-o",
        tgh.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&tgh).unwrap(),
        std::fs::read(format!("{root}/corpora/tgh-2013.tsv")).unwrap()
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn tier_quota_draws_every_level_3_character_and_stats_counts_the_levels() {
    let out = tmp("tiers");
    std::fs::create_dir_all(&out).unwrap();
    let data = out.join("data");
    run(&[
        "generate",
        "-q",
        "-n",
        "300",
        "-o",
        data.to_str().unwrap(),
        "--set",
        "canvas={width: 160, height: 160}",
        "--set",
        "text.size=[12, 30]",
        "--set",
        "text.min_size=10",
        "--set",
        "corpus.lines=[1, 4]",
        "--set",
        "corpus.quota.tiers={level_3: 1}",
        "--set",
        "fonts.bundled_set=all",
        "--set",
        "fonts.styles={sans: 1, kai: 1, brush: 1}",
        "--set",
        "effects.gaussian_blur.probability=0",
    ]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["quota"]["tiers"]["level_3"], 1);
    assert_eq!(manifest["quota"]["characters"], 1605);
    let stats = out.join("stats");
    let o = run(&[
        "stats",
        data.to_str().unwrap(),
        "-o",
        stats.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("level_3: 1605 of 1605 appear"), "{text}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(stats.with_extension("json")).unwrap()).unwrap();
    let levels = report["standard_levels"].as_array().unwrap();
    assert_eq!(levels[2]["covered"], 1605);
    assert!(levels[2]["min_count"].as_u64().unwrap() >= 1);
    // Only the styles asked for are used: no serif face drew anything.
    let fonts = report["fonts"].as_object().unwrap();
    assert!(fonts.keys().all(|f| !f.contains("Serif")), "{fonts:?}");
    assert!(fonts.keys().any(|f| f.contains("Brush")), "{fonts:?}");

    // With the default exclude list four standard characters have no word left: refused.
    let (code, err) = run_any(&[
        "generate",
        "-q",
        "-n",
        "5",
        "-o",
        out.join("refused").to_str().unwrap(),
        "--set",
        "corpus.quota.tiers={level_2: 1}",
    ]);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("level_2 character(s) are in no usable corpus word"),
        "{err}"
    );
    std::fs::remove_dir_all(out).unwrap();
}

/// Runs and returns (exit code, stdout + stderr).
fn run_any(args: &[&str]) -> (Option<i32>, String) {
    let o = bin().args(args).output().expect("binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code(), text)
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let out = tmp("usage");
    let o = out.to_str().unwrap();
    let png = out.join("p.png");
    let p = png.to_str().unwrap();
    for (args, expected) in [
        (vec!["generate", "-n", "0", "-o", o], "must be at least 1"),
        (vec!["generate", "-j", "0", "-o", o], "must be at least 1"),
        (vec!["generate", "-n", "ten", "-o", o], "not a whole number"),
        (vec!["preview", "-n", "0", "-o", p], "must be at least 1"),
        (vec!["preview", "--tile", "5", "-o", p], "32..=2048"),
        (vec!["preview", "--columns", "0", "-o", p], "1..=64"),
        (vec!["bench", "-n", "0"], "must be at least 1"),
        (vec!["bench", "-j", "0"], "must be at least 1"),
        (vec!["corpus", "build", "-o", o], "--dict"),
        (vec!["recipe", "check"], "FILE"),
    ] {
        let (code, text) = run_any(&args);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(
            text.contains(expected),
            "{args:?}: expected {expected:?} in {text}"
        );
        assert!(!text.contains("panicked"), "{args:?}: {text}");
    }
    assert!(!out.exists(), "a usage error writes nothing");
}

#[test]
fn too_many_threads_are_capped_with_a_warning() {
    let out = tmp("threads");
    let (code, text) = run_any(&[
        "generate",
        "-o",
        out.to_str().unwrap(),
        "--set",
        "canvas={width: 96, height: 96}",
        "--set",
        "text.size=[12, 24]",
        "-n",
        "2",
        "-j",
        "100000",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("warning: -j 100000") && text.contains("threads per core"),
        "{text}"
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn errors_speak_the_users_language_not_rusts() {
    let dir = tmp("words");
    std::fs::create_dir_all(&dir).unwrap();
    // A range that is not a range.
    let (code, text) = run_any(&[
        "generate",
        "--set",
        "text.size=abc",
        "-o",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("expected a range: [min, max] or one number"),
        "{text}"
    );
    assert!(
        !text.contains("RawRange") && !text.contains("untagged"),
        "{text}"
    );
    // An unknown --set key lists the keys in words.
    let (_, text) = run_any(&[
        "generate",
        "--set",
        "text.sise=3",
        "-o",
        dir.join("o").to_str().unwrap(),
    ]);
    assert!(
        text.contains("unknown key `sise`; the keys here are: direction, "),
        "{text}"
    );
    assert!(!text.contains("[\""), "{text}");
    // Recipe files: the snippet names the file; a duplicate key is named.
    let bad = dir.join("dup.yaml");
    std::fs::write(&bad, "canvas:\n  width: 64\n  width: 96\n").unwrap();
    let (code, text) = run_any(&["recipe", "check", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("duplicate mapping key `width`"), "{text}");
    assert!(
        text.contains("dup.yaml:3:3") && !text.contains("<input>"),
        "{text}"
    );
    assert!(!text.contains("DuplicateKeyPolicy"), "{text}");
    let typo = dir.join("typo.yaml");
    std::fs::write(&typo, "canvas:\n  widht: 64\n").unwrap();
    let (_, text) = run_any(&["recipe", "check", typo.to_str().unwrap()]);
    assert!(
        text.contains("unknown field `widht`, expected one of width, height, buckets"),
        "{text}"
    );
    // A missing folder is said once.
    let missing = dir.join("nope");
    let (code, text) = run_any(&["stats", missing.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(text.matches("cannot read").count(), 1, "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn recipe_paths_are_relative_to_the_recipe_and_check_matches_generate() {
    let dir = tmp("relpaths");
    let sub = dir.join("recipes");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("words.tsv"), "北门\t10\n人民\t5\n").unwrap();
    let recipe = sub.join("r.yaml");
    std::fs::write(
        &recipe,
        "canvas: {width: 160, height: 128}\ntext: {size: [16, 28]}\ncorpus: {source: words.tsv}\n",
    )
    .unwrap();
    let r = recipe.to_str().unwrap();
    // Run from another folder: the word list is found beside the recipe.
    let check = bin()
        .current_dir(&dir)
        .args(["recipe", "check", r, "-n", "3", "--seed", "7"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout).to_string();
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = dir.join("out");
    let g = bin()
        .args([
            "generate",
            "-r",
            r,
            "-n",
            "3",
            "--seed",
            "7",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let hash = manifest["recipe_hash"].as_str().unwrap();
    assert!(
        said.contains(&format!("recipe hash {hash}")),
        "{said} vs {hash}"
    );
    assert_eq!(
        manifest["recipe"]["corpus"]["source"], "words.tsv",
        "paths stay as written"
    );
    for meta in shard_metas(&out.join("000000.tar")) {
        for line in meta["lines"].as_array().unwrap() {
            let t = line["text"].as_str().unwrap();
            assert!(t.chars().all(|c| "北门人民 ".contains(c)), "{t}");
        }
    }
    // A missing file named by the recipe, and text that cannot fit, are caught by check.
    std::fs::write(&recipe, "corpus: {source: missing.tsv}\n").unwrap();
    let (code, text) = run_any(&["recipe", "check", r]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("missing.tsv"), "{text}");
    std::fs::write(
        &recipe,
        "canvas: {width: 64, height: 64}\ntext: {size: [40, 60], min_size: 40}\n",
    )
    .unwrap();
    let (code, text) = run_any(&["recipe", "check", r]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("does not fit the 64×64 canvas"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A report printed into a pipe whose reader has gone (`recipe init | head -0`) ends the
/// process by SIGPIPE, as other Unix tools end, not with a panic about the failed print.
#[cfg(unix)]
#[test]
fn a_report_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = bin()
        .args(["recipe", "init"])
        .stdout(writer)
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.signal(),
        Some(13),
        "status {:?}: {stderr}",
        o.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
