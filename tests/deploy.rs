//! The launch files in `deploy/` without a cluster: the Kubernetes manifests parse and agree
//! with each other, and the Slurm scripts map array tasks to `--shard` as documented (run with
//! stand-ins for `sbatch` and the binary that record their arguments). The real runs on Ray and
//! Slurm are in `tests/cluster.rs`.

mod common;
use common::tmp;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn deploy(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn yaml(path: &str) -> Value {
    serde_saphyr::from_str(&deploy(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn kubernetes_indexed_job_maps_its_index_to_a_shard_set() {
    let job = yaml("k8s/job.yaml");
    let merge = yaml("k8s/merge-job.yaml");
    let pvc = yaml("k8s/pvc.yaml");
    assert_eq!(job["kind"], "Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(
        spec["podReplacementPolicy"], "Failed",
        "one pod per shard set at a time"
    );
    let n = spec["completions"].as_u64().expect("completions");
    let pod = &spec["template"]["spec"];
    assert_eq!(
        pod["restartPolicy"], "Never",
        "podFailurePolicy needs Never"
    );
    let container = &pod["containers"][0];
    let command = container["args"][0].as_str().unwrap();
    for needed in [
        format!("--shard \"${{JOB_COMPLETION_INDEX}}/{n}\""),
        "--resume".into(),
        "-o /data/out".into(),
    ] {
        assert!(
            command.contains(&needed),
            "job.yaml: {needed} not in {command:?}"
        );
    }
    assert_eq!(
        spec["podFailurePolicy"]["rules"][1]["onExitCodes"]["containerName"],
        container["name"]
    );
    let merge_command = merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap();
    assert!(merge_command.contains("hanzi-synth merge /data/out"));
    assert!(merge_command.contains("hanzi-synth verify /data/out"));
    let claim = &pvc["metadata"]["name"];
    for (what, j) in [("job", &job), ("merge", &merge)] {
        let pod = &j["spec"]["template"]["spec"];
        assert_eq!(
            &pod["volumes"][0]["persistentVolumeClaim"]["claimName"], claim,
            "{what}"
        );
        assert_eq!(
            pod["containers"][0]["volumeMounts"][0]["mountPath"],
            "/data"
        );
    }
    assert_eq!(pvc["spec"]["accessModes"][0], "ReadWriteMany");
}

/// A stand-in program that appends its arguments (one call per line) to `log`, and prints
/// `stdout`.
fn recorder(dir: &Path, name: &str, log: &Path, stdout: &str) {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nprintf '%s' '{stdout}'\n",
            log.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Runs generate.sbatch as array task `id` of an array `min..min+count` and returns the
/// hanzi-synth calls it made.
fn array_task(id: u64, min: u64, count: u64, sets: Option<u64>) -> (bool, Vec<String>) {
    let dir = tmp(&format!("sbatch-{id}-{min}-{count}-{sets:?}"));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("calls");
    recorder(&dir, "hanzi-synth", &log, "");
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/generate.sbatch"))
        .args(["-r", "my recipe.yaml", "-n", "1000"])
        .env("HANZI_SYNTH_OUT", "/shared/out")
        .env("HANZI_SYNTH_BIN", dir.join("hanzi-synth"))
        .env("SLURM_ARRAY_TASK_ID", id.to_string())
        .env("SLURM_ARRAY_TASK_MIN", min.to_string())
        .env("SLURM_ARRAY_TASK_COUNT", count.to_string())
        .env("SLURM_CPUS_PER_TASK", "4")
        .env_remove("HANZI_SYNTH_SETS");
    if let Some(s) = sets {
        cmd.env("HANZI_SYNTH_SETS", s.to_string());
    }
    let ok = cmd.output().unwrap().status.success();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    (ok, calls.lines().map(str::to_string).collect())
}

#[test]
fn slurm_array_tasks_map_to_shard_sets() {
    let base = "generate -r my recipe.yaml -n 1000 -o /shared/out";
    let (ok, calls) = array_task(2, 0, 4, None);
    assert!(ok);
    assert_eq!(calls, [format!("{base} --shard 2/4 --resume -q -j 4")]);
    // An array numbered from 1: task 1 is shard set 0.
    let (_, calls) = array_task(1, 1, 4, None);
    assert_eq!(calls, [format!("{base} --shard 0/4 --resume -q -j 4")]);
    // A capped array: 3 tasks for 8 shard sets; task 1 makes sets 1, 4 and 7.
    let (ok, calls) = array_task(1, 0, 3, Some(8));
    assert!(ok);
    assert_eq!(
        calls,
        [1, 4, 7].map(|k| format!("{base} --shard {k}/8 --resume -q -j 4"))
    );
    // Fewer sets than tasks, or a task outside a contiguous array: refused, nothing run.
    for (id, min, count, sets) in [(1, 0, 4, Some(2)), (9, 0, 4, None)] {
        let (ok, calls) = array_task(id, min, count, sets);
        assert!(!ok && calls.is_empty(), "{id} {min} {count} {sets:?}");
    }
}

#[test]
fn slurm_submit_makes_an_array_and_a_dependent_merge() {
    let dir = tmp("submit");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("calls");
    recorder(&dir, "sbatch", &log, "4242");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = dir.join("out");
    let o = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/submit.sh"))
        .args(["--sets", "10", out.to_str().unwrap(), "5", "-n", "100"])
        .env("PATH", path)
        .env("SBATCH_ARRAY_OPTS", "--partition=cpu")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let env = format!(
        "--export=ALL,HANZI_SYNTH_OUT={},HANZI_SYNTH_SETS=10",
        out.display()
    );
    assert!(
        calls[0].starts_with(&format!("--parsable --array=0-4 {env} --partition=cpu ")),
        "{}",
        calls[0]
    );
    assert!(
        calls[0].ends_with("deploy/slurm/generate.sbatch -n 100"),
        "{}",
        calls[0]
    );
    assert!(
        calls[1].contains("--dependency=afterok:4242 --kill-on-invalid-dep=yes"),
        "{}",
        calls[1]
    );
    assert!(
        calls[1].ends_with("deploy/slurm/merge.sbatch"),
        "{}",
        calls[1]
    );
    assert!(said.contains("array job 4242: 5 task(s)"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}
