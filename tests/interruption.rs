//! Never lose work: a run killed at any moment (SIGKILL), stopped by SIGINT/SIGTERM or cut off
//! by a full disk resumes to exactly the bytes of an uninterrupted run; `verify` catches damage.

mod common;
use common::{bin, files, tmp};

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// 60 small samples in shards of 6 on one thread: slow enough to stop mid-shard.
fn args(out: &Path, seed: u64, extra: &[&str]) -> Vec<String> {
    args_n(out, seed, 60, extra)
}

fn args_n(out: &Path, seed: u64, count: u64, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "generate",
        "-o",
        out.to_str().unwrap(),
        "--set",
        "canvas={width: 160, height: 128}",
        "--set",
        "text.size=[14, 36]",
        "--set",
        "output.samples_per_shard=6",
        "-j",
        "1",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend([
        "-n".into(),
        count.to_string(),
        "--seed".into(),
        seed.to_string(),
    ]);
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn run_ok(a: &[String]) -> Output {
    let out = bin().args(a).output().expect("binary runs");
    assert!(
        out.status.success(),
        "hanzi-synth {a:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn spawn(a: &[String]) -> Child {
    bin()
        .args(a)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn is_shard_number(n: &str) -> bool {
    n.len() == 6 && n.bytes().all(|b| b.is_ascii_digit())
}

/// Finished shards: `NNNNNN.tar` files or `NNNNNN/` imagefolder chunks.
fn complete_shards(dir: &Path) -> usize {
    names(dir)
        .iter()
        .filter(|n| is_shard_number(n.strip_suffix(".tar").unwrap_or(n)))
        .count()
}

/// A shard being written: `NNNNNN.tar.tmp` or `NNNNNN.tmp/`.
fn has_tmp_shard(dir: &Path) -> bool {
    names(dir).iter().any(|n| {
        n.strip_suffix(".tmp")
            .is_some_and(|b| is_shard_number(b.strip_suffix(".tar").unwrap_or(b)))
    })
}

fn same_files(reference: &Path, other: &Path, what: &str) {
    let (a, b) = (files(reference, true), files(other, true));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: different files"
    );
    for (k, v) in &a {
        assert!(b[k] == *v, "{what}: {k} differs");
    }
}

/// Waits until `ready(dir)` holds while the child still runs, then sends `signal`. Returns
/// whether the condition was met before the child finished on its own.
fn signal_when(child: &mut Child, dir: &Path, signal: i32, ready: impl Fn(&Path) -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if ready(dir) {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe { libc::kill(child.id() as i32, signal) };
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("condition never met");
}

#[test]
fn sigkill_at_any_moment_then_resume_gives_identical_bytes() {
    let reference = tmp("kill-ref");
    run_ok(&args(&reference, 3, &[]));
    assert!(reference.join("manifest.json").exists());
    assert!(
        !reference.join("progress.jsonl").exists(),
        "journal removed"
    );

    // (name, kill condition, must the kill land mid-shard?)
    type Ready = fn(&Path) -> bool;
    let points: [(&str, Ready, bool); 4] = [
        ("at start", |d: &Path| d.exists(), false),
        ("mid first shard", |d: &Path| has_tmp_shard(d), true),
        (
            "mid fourth shard",
            |d: &Path| complete_shards(d) >= 3 && has_tmp_shard(d),
            true,
        ),
        ("near the end", |d: &Path| complete_shards(d) >= 9, false),
    ];
    let mut mid_shard_kills = 0;
    for (what, ready, mid) in points {
        let out = tmp(&format!("kill-{}", what.replace(' ', "-")));
        let mut child = spawn(&args(&out, 3, &[]));
        let hit = signal_when(&mut child, &out, libc::SIGKILL, ready);
        let status = child.wait().unwrap();
        // On a busy machine the run may finish between the check and the kill.
        let killed = hit && status.signal() == Some(libc::SIGKILL);
        eprintln!(
            "kill {what}: killed {killed}, shards {}, tmp {}",
            complete_shards(&out),
            has_tmp_shard(&out)
        );
        if killed {
            if mid && has_tmp_shard(&out) {
                mid_shard_kills += 1;
            }
            assert!(
                !out.join("manifest.json").exists() || complete_shards(&out) == 10,
                "{what}: a killed run must not look finished"
            );
            // Without --resume a folder holding data is refused, and nothing is touched.
            if !names(&out).is_empty() {
                let before = files(&out, true);
                let refused = bin().args(args(&out, 3, &[])).output().unwrap();
                assert!(
                    !refused.status.success(),
                    "{what}: refused without --resume"
                );
                assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));
                assert_eq!(
                    before,
                    files(&out, true),
                    "{what}: a refused run changes nothing"
                );
            }
        }
        run_ok(&args(&out, 3, &["--resume"]));
        same_files(&reference, &out, what);
        std::fs::remove_dir_all(&out).unwrap();
    }
    assert!(mid_shard_kills >= 1, "no kill landed inside a shard");

    // Killed twice (the second time while resuming), then finished.
    let out = tmp("kill-twice");
    let mut child = spawn(&args(&out, 3, &[]));
    signal_when(&mut child, &out, libc::SIGKILL, |d| complete_shards(d) >= 2);
    child.wait().unwrap();
    let mut child = spawn(&args(&out, 3, &["--resume"]));
    signal_when(&mut child, &out, libc::SIGKILL, |d| {
        complete_shards(d) >= 5 && has_tmp_shard(d)
    });
    child.wait().unwrap();
    run_ok(&args(&out, 3, &["--resume"]));
    same_files(&reference, &out, "killed twice");

    // Resuming a finished folder changes nothing; a different seed is refused.
    let again = run_ok(&args(&out, 3, &["--resume"]));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already complete"));
    same_files(&reference, &out, "resumed when complete");
    let other = bin().args(args(&out, 4, &["--resume"])).output().unwrap();
    assert!(!other.status.success());
    same_files(&reference, &out, "refused different seed");
    for d in [reference, out] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn sigint_and_sigterm_stop_cleanly_and_resume() {
    let reference = tmp("sig-ref");
    run_ok(&args(&reference, 5, &[]));
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let out = tmp(&format!("sig-{signal}"));
        let mut child = spawn(&args(&out, 5, &[]));
        let hit = signal_when(&mut child, &out, signal, |d| {
            complete_shards(d) >= 2 && has_tmp_shard(d)
        });
        let result = child.wait_with_output().unwrap();
        assert!(hit, "the run ended before it could be stopped");
        {
            let stderr = String::from_utf8_lossy(&result.stderr);
            assert_eq!(
                result.status.code(),
                Some(code),
                "signal {signal}: {stderr}"
            );
            assert!(stderr.contains("interrupted"), "{stderr}");
            assert!(stderr.contains("--resume"), "{stderr}");
            assert!(!has_tmp_shard(&out), "the unfinished shard is discarded");
            assert!(!out.join("manifest.json").exists());
            assert!(complete_shards(&out) >= 2);
        }
        if signal == libc::SIGINT {
            // The journal holds the recipe and options: no flag needs repeating.
            let bare: Vec<String> = ["generate", "--resume", "-q", "-o", out.to_str().unwrap()]
                .iter()
                .map(|s| s.to_string())
                .collect();
            run_ok(&bare);
        } else {
            run_ok(&args(&out, 5, &["--resume"]));
        }
        same_files(&reference, &out, "after a signal");
        std::fs::remove_dir_all(&out).unwrap();
    }
    std::fs::remove_dir_all(reference).unwrap();
}

#[test]
fn imagefolder_chunks_resume_too() {
    let extra = ["--set", "output.format=imagefolder"];
    let reference = tmp("if-ref");
    run_ok(&args(&reference, 9, &extra));
    let out = tmp("if-kill");
    let mut child = spawn(&args(&out, 9, &extra));
    let hit = signal_when(&mut child, &out, libc::SIGKILL, |d| {
        complete_shards(d) >= 2 && has_tmp_shard(d)
    });
    child.wait().unwrap();
    assert!(hit);
    run_ok(&args(&out, 9, &[&extra[..], &["--resume"]].concat()));
    same_files(&reference, &out, "imagefolder");
    let v = bin().arg("verify").arg(&out).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    for d in [reference, out] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

/// Shard sizes of a finished run, in shard order.
fn shard_sizes(dir: &Path) -> Vec<u64> {
    let mut n: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| n.ends_with(".tar"))
        .collect();
    n.sort();
    n.iter()
        .map(|n| std::fs::metadata(dir.join(n)).unwrap().len())
        .collect()
}

#[test]
fn a_write_error_names_the_file_and_keeps_completed_shards() {
    // A file-size limit (as on a quota'd cluster node) that the first shards fit under and a
    // later one does not: the run fails on that shard, and what it completed stays valid.
    let (seed, reference, sizes, fail_at) = (7..20)
        .find_map(|seed| {
            let reference = tmp(&format!("full-ref-{seed}"));
            run_ok(&args(&reference, seed, &[]));
            let sizes = shard_sizes(&reference);
            let j = (1..sizes.len()).find(|&j| sizes[j] > *sizes[..j].iter().max().unwrap())?;
            Some((seed, reference, sizes, j))
        })
        .expect("some seed has a shard larger than all before it");
    let limit = *sizes[..fail_at].iter().max().unwrap();
    let out = tmp("full");
    let mut cmd = bin();
    cmd.args(args(&out, seed, &[]));
    // SAFETY: setrlimit is async-signal-safe; it only lowers this child's file-size limit.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let failed = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    let failing = format!("{fail_at:06}.tar.tmp");
    assert!(
        stderr.contains(&failing),
        "the message names the file: {stderr}"
    );
    assert!(stderr.contains("--resume"), "{stderr}");
    assert_eq!(complete_shards(&out), fail_at, "completed shards are kept");
    assert!(!has_tmp_shard(&out), "the broken shard is removed");
    let reference_files = files(&reference, true);
    for j in 0..fail_at {
        let name = format!("{j:06}.tar");
        assert!(
            std::fs::read(out.join(&name)).unwrap() == reference_files[&name],
            "{name} is complete and correct"
        );
    }
    run_ok(&args(&out, seed, &["--resume"]));
    same_files(&reference, &out, "resumed after a write error");
    for d in [reference, out] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

fn verify(dir: &Path) -> Output {
    bin().arg("verify").arg(dir).output().unwrap()
}

#[test]
fn verify_accepts_good_output_and_catches_damage() {
    let out = tmp("verify");
    run_ok(&args_n(&out, 1, 18, &[])); // three shards
    let ok = verify(&out);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("18 record(s)"));

    // One flipped bit in a shard.
    let shard = out.join("000001.tar");
    let pristine = std::fs::read(&shard).unwrap();
    let mut bytes = pristine.clone();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x01;
    std::fs::write(&shard, &bytes).unwrap();
    let bad = verify(&out);
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(!bad.status.success());
    assert!(report.contains("000001.tar: checksum differs"), "{report}");
    std::fs::write(&shard, &pristine).unwrap();

    // A label that disagrees with its image, with the manifest's checksum updated to match:
    // the record-level checks must still catch it.
    let mut archive = tar::Archive::new(std::fs::File::open(&shard).unwrap());
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        members.push((name, data));
    }
    let json = members
        .iter_mut()
        .find(|(n, _)| n.ends_with(".json"))
        .unwrap();
    let mut meta: serde_json::Value = serde_json::from_slice(&json.1).unwrap();
    meta["lines"][0]["quad"][0] = serde_json::json!([-50.0, 10.0]);
    meta["width"] = serde_json::json!(999);
    json.1 = serde_json::to_vec(&meta).unwrap();
    let txt = members
        .iter_mut()
        .find(|(n, _)| n.ends_with(".txt"))
        .unwrap();
    txt.1 = "a different caption".as_bytes().to_vec();
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in &members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        builder.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    let forged = builder.into_inner().unwrap();
    std::fs::write(&shard, &forged).unwrap();
    let manifest_path = out.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    use sha2::Digest;
    let sum: String = sha2::Sha256::digest(&forged)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    manifest["shards"][1]["sha256"] = sum.into();
    manifest["shards"][1]["bytes"] = (forged.len() as u64).into();
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let bad = verify(&out);
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(!bad.status.success());
    assert!(!report.contains("checksum"), "{report}");
    assert!(report.contains("metadata says 999×"), "{report}");
    assert!(report.contains("caption differs"), "{report}");
    assert!(report.contains("leaves the"), "{report}");

    // An interrupted run is reported as such.
    std::fs::remove_file(&manifest_path).unwrap();
    std::fs::write(out.join("progress.jsonl"), "{}\n").unwrap();
    let report = String::from_utf8_lossy(&verify(&out).stdout).to_string();
    assert!(report.contains("interrupted"), "{report}");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_resume_of_another_run_says_what_differs() {
    let out = tmp("resume-diff");
    let mut child = spawn(&args(&out, 5, &[]));
    let hit = signal_when(&mut child, &out, libc::SIGINT, |d| complete_shards(d) >= 1);
    child.wait().unwrap();
    assert!(hit, "the run ended before it could be stopped");
    let o = bin()
        .args(args(&out, 6, &["--resume", "--set", "text.size=[20, 36]"]))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("seed 6 here, 5 in the folder's run"), "{err}");
    assert!(
        err.contains("text.size is [20.0,36.0] here, [14.0,36.0] in the folder's run"),
        "{err}"
    );
    assert!(err.contains("generate --resume -o"), "{err}");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn shard_sets_are_verified_whole_and_never_mixed() {
    let (a, b) = (tmp("set-a"), tmp("set-b"));
    run_ok(&args_n(&a, 1, 24, &["--shard", "0/2"]));
    // One task of two: verify names the missing one.
    let o = verify(&a);
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("missing manifest-shard-1-of-2.json (run --shard 1/2)"),
        "{text}"
    );
    // The other task of another run (another count) cannot join the folder …
    let o = bin()
        .args(args_n(&a, 1, 18, &["--shard", "1/2"]))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("manifest-shard-0-of-2.json: recipe"), "{err}");
    // … and copied in by hand, verify says the sets come from different runs.
    run_ok(&args_n(&b, 1, 18, &["--shard", "1/2"]));
    for (name, _) in files(&b, true) {
        if name.contains("shard-1") || name.starts_with("000001") || name.starts_with("000003") {
            std::fs::copy(b.join(&name), a.join(&name)).unwrap();
        }
    }
    let o = verify(&a);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the shard sets come from different runs"),
        "{text}"
    );
    // The matching task completes the set.
    std::fs::remove_dir_all(&a).unwrap();
    run_ok(&args_n(&a, 1, 24, &["--shard", "0/2"]));
    run_ok(&args_n(&a, 1, 24, &["--shard", "1/2"]));
    assert!(verify(&a).status.success());
    // An unsharded run's folder refuses a --shard task, even with --overwrite.
    run_ok(&args_n(&b, 1, 12, &["--overwrite"]));
    let o = bin()
        .args(args_n(&b, 1, 12, &["--shard", "0/2", "--overwrite"]))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("manifest.json: a run made without --shard"),
        "{err}"
    );
    assert!(verify(&b).status.success(), "the folder is left as it was");
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
