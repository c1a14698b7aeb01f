//! The launchers in `deploy/` on real engines: a local Ray cluster (`deploy/ray/generate.py`)
//! and a single-node Slurm (`deploy/slurm/submit.sh`). Each run is disturbed mid-shard — a
//! hanzi-synth task SIGKILLed and a Ray worker SIGKILLed; a Slurm array task requeued — and
//! its merged output must still be byte-identical to the single-machine run, manifest included.
//!
//! They need Ray (`HANZI_SYNTH_RAY_PYTHON`: a Python with `ray`; `.ci/run` makes `.venv-ray`)
//! and a running Slurm (`sinfo` answers; `.ci/run` starts one with
//! `deploy/slurm/local-cluster.sh` and exports `SLURM_CONF`), so they are `#[ignore]`d and run
//! with `cargo test --release -- --include-ignored`, where a missing engine fails the test.

mod common;
use common::{bin, files, tmp};

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One cluster test at a time: each has its own processes to kill at the right moment.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// 480 samples of 256×256 in 12 shards of 40 (about a quarter second each on one thread): 4
/// shard sets of 3 shards, slow enough to be caught mid-shard.
const RUN: &[&str] = &[
    "-n",
    "480",
    "--seed",
    "3",
    "--set",
    "canvas={width: 256, height: 256}",
    "--set",
    "output.samples_per_shard=40",
];

const SETS: u64 = 4;

fn reference(root: &Path) -> PathBuf {
    let dir = root.join("single");
    let out = bin()
        .args(["generate", "-q", "-j", "1", "-o", dir.to_str().unwrap()])
        .args(RUN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn same_as_reference(reference: &Path, merged: &Path, what: &str) {
    let (a, b) = (files(reference, true), files(merged, true));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: other files than the single-machine run's"
    );
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{what}: {name} differs from the single-machine run's"
        );
    }
}

/// Shard set `k`'s task is mid-shard after completing one: its first shard is there and its
/// second is being written.
fn mid_second_shard(out: &Path, k: u64) -> bool {
    out.join(format!("{k:06}.tar")).exists()
        && out.join(format!("{:06}.tar.tmp", k + SETS)).exists()
}

/// The command line of a process, split at NULs.
fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The hanzi-synth process making shard set `k` into `out`.
fn generate_process(out: &Path, k: u64) -> Option<u32> {
    let spec = format!("{k}/{SETS}");
    let out = out.to_str().unwrap();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let args = cmdline(pid);
        let mine = args.iter().any(|a| a == "generate")
            && args.windows(2).any(|w| w[0] == "--shard" && w[1] == spec)
            && args.iter().any(|a| a == out);
        mine.then_some(pid)
    })
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`; comm may hold spaces, so split after its closing parenthesis.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn kill(pid: u32) {
    // SAFETY: sends a signal; no memory is involved.
    assert_eq!(
        unsafe { libc::kill(pid as i32, libc::SIGKILL) },
        0,
        "kill {pid}"
    );
}

fn ray_python() -> String {
    if let Ok(p) = std::env::var("HANZI_SYNTH_RAY_PYTHON") {
        return p;
    }
    let ok = Command::new("python3")
        .args(["-c", "import ray"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "no Python with ray: set HANZI_SYNTH_RAY_PYTHON to one (.ci/run makes .venv-ray), or \
         leave out --include-ignored"
    );
    "python3".into()
}

#[test]
#[ignore = "needs Ray (HANZI_SYNTH_RAY_PYTHON): run with --include-ignored (.ci/run does)"]
fn ray_run_with_killed_tasks_matches_the_single_machine_run() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let python = ray_python();
    let root = tmp("ray");
    let single = reference(&root);
    let out = root.join("ray-out");
    let log = root.join("launcher.log");
    let launcher = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/ray/generate.py");
    let mut child = Command::new(&python)
        .arg(launcher)
        .args(["--out", out.to_str().unwrap(), "--tasks", &SETS.to_string()])
        .args([
            "--bin",
            env!("CARGO_BIN_EXE_hanzi-synth"),
            "--num-cpus",
            "4",
        ])
        .args([
            "--threads",
            "1",
            "--max-retries",
            "3",
            "--verify",
            "full",
            "--",
        ])
        .args(RUN)
        .env("RAY_AUTH_MODE", "disabled")
        .env("RAY_USAGE_STATS_ENABLED", "0")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::from(
            std::fs::File::create(root.join("launcher.err")).unwrap(),
        ))
        .spawn()
        .unwrap();
    // Shard set 1: its hanzi-synth process is SIGKILLed (as by the OOM killer). Shard set 2:
    // the Ray worker running it is SIGKILLed (its hanzi-synth child dies with it).
    let (mut killed_task, mut killed_worker) = (false, false);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the Ray run hangs"
        );
        if !killed_task && mid_second_shard(&out, 1) {
            if let Some(pid) = generate_process(&out, 1) {
                kill(pid);
                killed_task = true;
            }
        }
        if !killed_worker && mid_second_shard(&out, 2) {
            if let Some(worker) = generate_process(&out, 2).and_then(parent_of) {
                let args = cmdline(worker).join(" ");
                assert!(
                    args.contains("ray"),
                    "the parent is not a Ray worker: {args}"
                );
                kill(worker);
                killed_worker = true;
            }
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    let said = std::fs::read_to_string(&log).unwrap();
    let err = std::fs::read_to_string(root.join("launcher.err")).unwrap();
    assert!(status.success(), "launcher failed:\n{said}\n{err}");
    assert!(
        killed_task && killed_worker,
        "a kill did not land mid-shard (task {killed_task}, worker {killed_worker}):\n{said}"
    );
    for k in [1, 2] {
        assert!(
            said.contains(&format!("shard set {k}/{SETS}: done"))
                && said
                    .lines()
                    .any(|l| l.starts_with(&format!("shard set {k}/{SETS}"))
                        && l.contains("resumed after an interrupted attempt")),
            "shard set {k} was not retried with --resume:\n{said}"
        );
    }
    assert!(
        said.contains("merged 4 shard set(s) into manifest.json (12 shard(s), 480 samples)"),
        "{said}"
    );
    assert!(
        said.contains("mode: full") && said.contains("\nok"),
        "{said}"
    );
    same_as_reference(&single, &out, "Ray");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
#[ignore = "needs a Slurm cluster (sinfo): run with --include-ignored (.ci/run starts one)"]
fn slurm_array_with_a_requeue_then_merge_matches_the_single_machine_run() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let up = Command::new("sinfo")
        .args(["-h", "-o", "%t"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    assert!(
        up,
        "no Slurm cluster answers `sinfo`: start one with `deploy/slurm/local-cluster.sh start` \
         and export the SLURM_CONF it prints (.ci/run does), or leave out --include-ignored"
    );
    let root = tmp("slurm");
    let single = reference(&root);
    let out = root.join("slurm-out");
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let submit = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/slurm/submit.sh");
    let mut child = Command::new("bash")
        .arg(submit)
        .args(["--wait", out.to_str().unwrap(), &SETS.to_string()])
        .args(RUN)
        .env("HANZI_SYNTH_BIN", env!("CARGO_BIN_EXE_hanzi-synth"))
        // The CI machine has 2 cores; the script asks for 4 per task by default.
        .env("SBATCH_ARRAY_OPTS", "--cpus-per-task=1")
        .current_dir(&logs)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let array: u64 = first
        .strip_prefix("array job ")
        .and_then(|r| r.split(':').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("submit.sh said {first:?}"));
    // Array task 1 is requeued mid-shard (as a preempted or failed node's job is).
    let start = Instant::now();
    let mut requeued = false;
    while !requeued && start.elapsed() < Duration::from_secs(120) {
        if mid_second_shard(&out, 1) {
            let o = Command::new("scontrol")
                .args(["requeue", &format!("{array}_1")])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            requeued = true;
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    let result = child.wait_with_output().unwrap();
    let mut said = first;
    std::io::Read::read_to_string(&mut stdout, &mut said).unwrap();
    let task_log = std::fs::read_to_string(logs.join(format!("hanzi-synth-{array}_1.log")))
        .unwrap_or_default();
    assert!(
        result.status.success(),
        "submit.sh failed:\n{said}{}\n{task_log}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        requeued,
        "array task 1 was never caught mid-shard:\n{task_log}"
    );
    assert!(
        task_log.contains("interrupted by signal 15") && task_log.contains("(restart 1)"),
        "the requeued task did not stop on SIGTERM and resume:\n{task_log}"
    );
    let merge_log: String = std::fs::read_dir(&logs)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("hanzi-synth-merge-")
        })
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        merge_log.contains("merged 4 shard set(s) into manifest.json (12 shard(s), 480 samples)")
            && merge_log.contains("\nok"),
        "{merge_log}"
    );
    same_as_reference(&single, &out, "Slurm");
    std::fs::remove_dir_all(root).unwrap();
}
