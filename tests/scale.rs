//! Beyond one machine: `merge` of shard sets into the single run's manifest (and what it
//! refuses), `generate -o -` as one tar stream, and `verify --fast`.

mod common;
use common::{bin, files, tmp};

use std::io::Read;
use std::path::Path;
use std::process::Output;

/// 24 small samples in shards of 5: shards 0–4, the last one short.
const SMALL: &[&str] = &[
    "--set",
    "canvas={width: 160, height: 128}",
    "--set",
    "text.size=[14, 32]",
    "--set",
    "output.samples_per_shard=5",
    "-n",
    "24",
    "-q",
];

fn output(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn ok(args: &[&str]) -> Output {
    let o = output(args);
    assert!(
        o.status.success(),
        "hanzi-synth {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn generate(out: &Path, extra: &[&str]) {
    let mut args = vec!["generate", "-o", out.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    ok(&args);
}

/// stdout + stderr, and the exit code.
fn fails(args: &[&str]) -> (Option<i32>, String) {
    let o = output(args);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
    )
}

fn merge(dir: &Path) -> Output {
    output(&["merge", dir.to_str().unwrap()])
}

/// The shard sets k of n, all made into `dir`.
fn shard_sets(dir: &Path, n: u64, only: impl Fn(u64) -> bool, extra: &[&str]) {
    for k in (0..n).filter(|k| only(*k)) {
        let spec = format!("{k}/{n}");
        let mut args = vec!["--shard", spec.as_str()];
        args.extend_from_slice(extra);
        generate(dir, &args);
    }
}

#[test]
fn merged_shard_sets_are_the_single_run_byte_for_byte() {
    for format in ["webdataset", "imagefolder"] {
        let set = format!("output.format={format}");
        let single = tmp(&format!("merge-single-{format}"));
        let sets = tmp(&format!("merge-sets-{format}"));
        generate(&single, &["--set", &set]);
        shard_sets(&sets, 3, |_| true, &["--set", &set]);
        let o = merge(&sets);
        let said = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(
            o.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            said.contains("merged 3 shard set(s) into manifest.json (5 shard(s), 24 samples)"),
            "{said}"
        );
        let (a, b) = (files(&single, true), files(&sets, true));
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{format}: the merged folder holds other files than the single run's"
        );
        assert!(
            a == b,
            "{format}: merged bytes differ from the single run's"
        );

        // Again: nothing to do, nothing changed.
        let o = merge(&sets);
        assert!(o.status.success());
        assert!(String::from_utf8_lossy(&o.stdout).contains("already one run"));
        assert!(files(&sets, true) == b);
        // verify and stats see one run.
        let v = ok(&["verify", sets.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&v.stdout).contains("1 manifest(s), 5 shard(s)"));
        let stats = sets.with_extension("stats");
        ok(&[
            "stats",
            sets.to_str().unwrap(),
            "-o",
            stats.to_str().unwrap(),
        ]);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(stats.with_extension("json")).unwrap()).unwrap();
        assert_eq!(report["samples"], 24);
        assert_eq!(report["complete"], true);
        // A retried or requeued task of the merged run finds nothing to do.
        let o = output(&[
            "generate",
            "-o",
            sets.to_str().unwrap(),
            "--resume",
            "--shard",
            "1/3",
            "-n",
            "24",
            "--set",
            "canvas={width: 160, height: 128}",
            "--set",
            "text.size=[14, 32]",
            "--set",
            "output.samples_per_shard=5",
            "--set",
            &set,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("already complete"));
        assert!(files(&sets, true) == b);
        for d in [single, sets] {
            std::fs::remove_dir_all(d).unwrap();
        }
        let _ = std::fs::remove_file(stats.with_extension("json"));
        let _ = std::fs::remove_file(stats.with_extension("png"));
    }
}

#[test]
fn merge_refuses_incomplete_mixed_and_unfinished_sets() {
    let dir = tmp("merge-refuse");
    let refused = |what: &str, needle: &str| {
        let (code, text) = fails(&["merge", dir.to_str().unwrap()]);
        assert_eq!(code, Some(1), "{what}: {text}");
        assert!(
            text.contains(needle),
            "{what}: expected {needle:?} in:\n{text}"
        );
        assert!(
            !dir.join("manifest.json").exists(),
            "{what}: wrote a manifest"
        );
    };
    // Sets 0 and 2 of 3: set 1 is named with the command that makes it.
    shard_sets(&dir, 3, |k| k != 1, &[]);
    refused(
        "incomplete",
        "missing manifest-shard-1-of-3.json (run --shard 1/3)",
    );
    // Set 1 of another run (seed) copied in: mixed.
    let other = tmp("merge-refuse-other");
    shard_sets(&other, 3, |k| k == 1, &["--seed", "9"]);
    for (name, _) in files(&other, true) {
        std::fs::copy(other.join(&name), dir.join(&name)).unwrap();
    }
    refused("mixed seeds", "the shard sets come from different runs");
    // The right set 1, but a set of another split beside it.
    shard_sets(&dir, 3, |k| k == 1, &["--overwrite"]);
    std::fs::write(
        dir.join("manifest-shard-0-of-2.json"),
        std::fs::read(dir.join("manifest-shard-0-of-3.json")).unwrap(),
    )
    .unwrap();
    refused("mixed splits", "belongs to a run split into");
    std::fs::remove_file(dir.join("manifest-shard-0-of-2.json")).unwrap();
    // An unfinished task: its journal, or a shard being written.
    std::fs::write(dir.join("progress-shard-2-of-3.jsonl"), "{}\n").unwrap();
    refused(
        "journal",
        "shard set 2/3 is unfinished; finish it with `hanzi-synth generate --resume -o",
    );
    std::fs::remove_file(dir.join("progress-shard-2-of-3.jsonl")).unwrap();
    std::fs::write(dir.join("000004.tar.tmp"), "").unwrap();
    refused(
        "temporary",
        "000004.tar.tmp: a shard being written or left by a killed task (shard set 1/3)",
    );
    std::fs::remove_file(dir.join("000004.tar.tmp")).unwrap();
    // A shard gone, one cut short, one no manifest lists.
    let pristine = std::fs::read(dir.join("000003.tar")).unwrap();
    std::fs::remove_file(dir.join("000003.tar")).unwrap();
    refused("missing shard", "000003.tar: missing");
    std::fs::write(dir.join("000003.tar"), &pristine[..pristine.len() - 512]).unwrap();
    refused("short shard", "000003.tar: ");
    std::fs::write(dir.join("000003.tar"), &pristine).unwrap();
    std::fs::write(dir.join("000007.tar"), &pristine).unwrap();
    refused(
        "orphan",
        "000007.tar: left over, not listed in any manifest",
    );
    std::fs::remove_file(dir.join("000007.tar")).unwrap();
    // A manifest.json of another run beside the sets.
    let single = tmp("merge-refuse-single");
    generate(&single, &["--seed", "9"]);
    std::fs::copy(single.join("manifest.json"), dir.join("manifest.json")).unwrap();
    let (code, text) = fails(&["merge", dir.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("manifest.json of another run"), "{text}");
    std::fs::remove_file(dir.join("manifest.json")).unwrap();
    // Nothing wrong any more: it merges.
    assert!(merge(&dir).status.success());
    // No shard sets at all.
    let empty = tmp("merge-refuse-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, text) = fails(&["merge", empty.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("nothing to merge"), "{text}");
    for d in [dir, other, single, empty] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn a_merge_killed_before_its_tidying_is_finished_by_the_next() {
    let dir = tmp("merge-tidy");
    shard_sets(&dir, 2, |_| true, &[]);
    let set0 = std::fs::read(dir.join("manifest-shard-0-of-2.json")).unwrap();
    assert!(merge(&dir).status.success());
    let merged = files(&dir, true);
    // As if killed after writing manifest.json, before removing the shard manifests.
    std::fs::write(dir.join("manifest-shard-0-of-2.json"), &set0).unwrap();
    std::fs::write(dir.join("manifest.json.tmp"), "{").unwrap();
    let o = merge(&dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("removed 1 leftover shard manifest"));
    assert!(files(&dir, true) == merged);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The bytes of a tar file without its end-of-archive blocks.
fn tar_body(path: &Path) -> Vec<u8> {
    let mut b = std::fs::read(path).unwrap();
    assert!(b.ends_with(&[0; 1024]));
    b.truncate(b.len() - 1024);
    b
}

fn stream(extra: &[&str], cwd: &Path) -> Vec<u8> {
    let mut args = vec!["generate", "-o", "-"];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    let o = bin().args(&args).current_dir(cwd).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

#[test]
fn a_stream_is_the_shards_records_as_one_tar() {
    let cwd = tmp("stream-cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let one = stream(&["-j", "1"], &cwd);
    let two = stream(&["-j", "2"], &cwd);
    assert!(one == two, "the stream depends on the thread count");
    assert!(
        std::fs::read_dir(&cwd).unwrap().next().is_none(),
        "a stream wrote to disk"
    );
    // The shard files' records, concatenated, then one end-of-archive.
    let folder = tmp("stream-folder");
    generate(&folder, &[]);
    let mut expected: Vec<u8> = (0..5)
        .flat_map(|j| tar_body(&folder.join(format!("{j:06}.tar"))))
        .collect();
    expected.extend([0; 1024]);
    assert!(one == expected, "the stream is not the shards' records");
    // `tar` lists its members: three per sample, in order.
    let listed = std::process::Command::new("tar")
        .args(["-tf", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(&one)?;
            c.wait_with_output()
        })
        .unwrap();
    let names = String::from_utf8(listed.stdout).unwrap();
    let names: Vec<&str> = names.lines().collect();
    assert_eq!(names.len(), 72);
    assert_eq!(
        names[..3],
        ["000000000.jpg", "000000000.txt", "000000000.json"]
    );
    assert_eq!(names[71], "000000023.json");
    // A shard set streams its own shards' records.
    let part = stream(&["--shard", "1/2"], &cwd);
    let mut expected: Vec<u8> = [1, 3]
        .iter()
        .flat_map(|j| tar_body(&folder.join(format!("{j:06}.tar"))))
        .collect();
    expected.extend([0; 1024]);
    assert!(part == expected);
    // The tar crate reads it back whole.
    let mut archive = tar::Archive::new(one.as_slice());
    let mut members = 0;
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        members += 1;
    }
    assert_eq!(members, 72);
    for d in [cwd, folder] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn a_stream_refuses_what_it_cannot_do() {
    for (extra, needle) in [
        (&["--resume"][..], "nothing to --resume or --overwrite"),
        (&["--overwrite"][..], "nothing to --resume or --overwrite"),
        (
            &["--set", "output.format=imagefolder"][..],
            "output.format is not webdataset",
        ),
    ] {
        let mut args = vec!["generate", "-o", "-"];
        args.extend_from_slice(SMALL);
        args.extend_from_slice(extra);
        let (code, text) = fails(&args);
        assert_eq!(code, Some(2), "{extra:?}: {text}");
        assert!(text.contains(needle), "{extra:?}: {text}");
    }
}

/// Rewrites one record's caption inside a shard and fixes the manifest's checksum and size, so
/// only re-reading that record finds it.
fn forge_caption(dir: &Path, shard: usize) {
    let path = dir.join(format!("{shard:06}.tar"));
    let mut archive = tar::Archive::new(std::fs::File::open(&path).unwrap());
    let mut builder = tar::Builder::new(Vec::new());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let mut header = e.header().clone();
        let name = e.path().unwrap().to_string_lossy().to_string();
        if name.ends_with(".txt") && name.starts_with(&format!("{:09}", shard * 5)) {
            data = "不是这个".as_bytes().to_vec();
            header.set_size(data.len() as u64);
            header.set_cksum();
        }
        builder.append(&header, data.as_slice()).unwrap();
    }
    let forged = builder.into_inner().unwrap();
    std::fs::write(&path, &forged).unwrap();
    let mpath = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    use sha2::Digest;
    let sum: String = sha2::Sha256::digest(&forged)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    m["shards"][shard]["sha256"] = sum.into();
    m["shards"][shard]["bytes"] = (forged.len() as u64).into();
    std::fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

#[test]
fn fast_verify_checks_every_shard_and_a_seeded_sample_of_records() {
    let dir = tmp("fast");
    generate(&dir, &[]);
    let d = dir.to_str().unwrap();
    let o = ok(&["verify", d, "--fast", "--records", "5", "--seed", "3"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("5 shard(s), 24 record(s)"), "{text}");
    assert!(
        text.contains("mode: fast")
            && text.contains("5 of 24 record(s) re-checked, sampled with seed 3"),
        "{text}"
    );
    let o = ok(&["verify", d]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("mode: full"));
    // A flipped byte anywhere: every shard's checksum is still checked.
    let shard = dir.join("000002.tar");
    let pristine = std::fs::read(&shard).unwrap();
    let mut bytes = pristine.clone();
    bytes[700] ^= 1;
    std::fs::write(&shard, &bytes).unwrap();
    let (code, text) = fails(&["verify", d, "--fast", "--records", "1"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("000002.tar: checksum differs from the manifest"),
        "{text}"
    );
    std::fs::write(&shard, &pristine).unwrap();
    // A wrong caption under a correct checksum: only re-reading its record finds it.
    forge_caption(&dir, 4);
    let (code, text) = fails(&["verify", d, "--fast", "--records", "24"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("000004.tar 000000020: caption differs"),
        "{text}"
    );
    let (code, text) = fails(&["verify", d]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("000004.tar 000000020: caption differs"),
        "{text}"
    );
    // --records belongs to --fast.
    let (code, text) = fails(&["verify", d, "--records", "5"]);
    assert_eq!(code, Some(2), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A reader that stops early (`generate -o - | head -c 1`) ends the stream with an error
/// that says so (exit status 1), never a panic.
#[test]
fn a_stream_whose_reader_stops_early_says_so() {
    let cwd = tmp("stream-stop-cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let mut args = vec!["generate", "-o", "-"];
    args.extend_from_slice(SMALL);
    let mut child = bin()
        .args(&args)
        .current_dir(&cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is closed here; 24 samples are far more than a pipe's buffer.
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the reading side of the pipe closed"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
