#!/usr/bin/env python3
"""Run `hanzi-synth generate` on a Ray cluster: one Ray task per shard set, then merge and verify.

Each task runs `hanzi-synth generate … -o OUT --shard k/N --resume` as a subprocess on a node
that can see OUT (a shared folder: NFS, Lustre, a mounted bucket with POSIX semantics). A task
that fails — the subprocess killed (OOM, node trouble), a non-zero exit, the Ray worker or its
node lost — is retried by Ray (`max_retries`, `retry_exceptions`); thanks to `--resume` the retry
keeps the shards its predecessor completed and makes the rest, and the bytes are the same as
without the failure. When every task has finished, the driver runs `hanzi-synth merge OUT` (one
`manifest.json`, byte-identical to a single machine's) and `hanzi-synth verify OUT`.

    pip install ray
    python deploy/ray/generate.py --out /shared/out --tasks 16 --threads 4 \\
        --address auto -- -r recipe.yaml -n 1000000 --seed 0

Arguments after `--` go to `hanzi-synth generate` unchanged (recipe, `--set`, `-n`, `--seed`);
`-o`, `--shard`, `--resume`, `-j` and `-q` are set by this launcher. The binary is `--bin`, else
`$HANZI_SYNTH_BIN`, else `hanzi-synth` on PATH — the same path on every node.

Without `--address` (or with `--address local`) the driver starts a local Ray cluster on this
machine (`ray.init(num_cpus=…)`: the same GCS, raylet and worker processes as `ray start
--head`); `--address auto` joins the cluster of `ray start` on this node; `ray://HOST:10001`
connects through Ray Client.
"""

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import ray


def die_with_parent():
    """Runs in the child before exec: if the Ray worker that started us dies (killed, node
    lost), we get SIGKILL too, so a retried task never races a leftover writer of its shard
    set. Linux only (prctl PR_SET_PDEATHSIG); elsewhere a no-op."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def describe(returncode):
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exit code {returncode}"


class ShardSetFailed(RuntimeError):
    """A hanzi-synth task failed; Ray retries the task (retry_exceptions)."""


def journal_shards(out, k, n):
    """Shards an interrupted attempt completed (its progress journal), or None without one."""
    path = os.path.join(out, f"progress-shard-{k}-of-{n}.jsonl")
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    return max(len(lines) - 1, 0)


def run_shard_set(binary, out, k, n, threads, generate_args):
    """One shard set, as a Ray task. Returns what happened, for the driver's summary."""
    resumed = journal_shards(out, k, n)
    cmd = [binary, "generate", *generate_args, "-o", out, "--shard", f"{k}/{n}",
           "--resume", "-q", "-j", str(threads)]
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          preexec_fn=die_with_parent)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip()[-2000:]
        # Printed by the worker; Ray forwards it to the driver's stderr.
        print(f"shard set {k}/{n}: hanzi-synth {describe(proc.returncode)}; Ray retries the "
              f"task if it has retries left", file=sys.stderr, flush=True)
        raise ShardSetFailed(f"shard set {k}/{n}: {' '.join(cmd)}: "
                             f"{describe(proc.returncode)}\n{tail}")
    return {"k": k, "host": socket.gethostname(), "seconds": time.monotonic() - start,
            "resumed_with": resumed}


def main():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s --out DIR --tasks N [options] -- GENERATE_ARGS…")
    p.add_argument("--out", required=True,
                   help="output folder, shared by every node (absolute paths recommended)")
    p.add_argument("--tasks", type=int, required=True,
                   help="number of shard sets N: one Ray task each, `--shard k/N`")
    p.add_argument("--bin", default=os.environ.get("HANZI_SYNTH_BIN") or "hanzi-synth",
                   help="hanzi-synth binary on the nodes (default: $HANZI_SYNTH_BIN or PATH)")
    p.add_argument("--address", default=None,
                   help="Ray cluster: `auto`, `HOST:PORT`, `ray://HOST:10001`; default or "
                        "`local`: start a local cluster")
    p.add_argument("--num-cpus", type=int, default=None,
                   help="CPUs of the local cluster (default: all)")
    p.add_argument("--threads", type=int, default=1,
                   help="hanzi-synth threads per task; also the task's CPU request")
    p.add_argument("--max-retries", type=int, default=3,
                   help="Ray retries per task (failed exits and lost workers)")
    p.add_argument("--verify", choices=["fast", "full", "none"], default="fast",
                   help="check after the merge: `verify --fast` (default), full, or none")
    p.add_argument("generate_args", nargs=argparse.REMAINDER,
                   help="after `--`: arguments for `hanzi-synth generate`")
    args = p.parse_args()
    generate_args = args.generate_args
    if generate_args[:1] == ["--"]:
        generate_args = generate_args[1:]
    for flag in ("-o", "--out", "--shard", "--overwrite"):
        if flag in generate_args:
            p.error(f"{flag} is set by the launcher; leave it out of the generate arguments")
    if args.tasks < 1:
        p.error("--tasks must be at least 1")
    binary = shutil.which(args.bin) or args.bin
    if not os.path.exists(binary):
        p.error(f"no hanzi-synth binary at {args.bin!r}: pass --bin or set HANZI_SYNTH_BIN")
    binary = os.path.abspath(binary)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)

    if args.address in (None, "local"):
        ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=True)
    else:
        ray.init(address=args.address, log_to_driver=True)

    task = ray.remote(run_shard_set).options(
        num_cpus=args.threads, max_retries=args.max_retries, retry_exceptions=True)
    n = args.tasks
    pending = {task.remote(binary, out, k, n, args.threads, generate_args): k for k in range(n)}
    started = time.monotonic()
    failed = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        ref = done[0]
        k = pending.pop(ref)
        try:
            r = ray.get(ref)
        except Exception as e:  # retries exhausted
            failed.append(k)
            print(f"shard set {k}/{n}: failed after {args.max_retries} retries: {e}",
                  file=sys.stderr, flush=True)
            continue
        how = ("" if r["resumed_with"] is None else
               f", resumed after an interrupted attempt ({r['resumed_with']} shard(s) kept)")
        print(f"shard set {k}/{n}: done on {r['host']} in {r['seconds']:.1f} s{how}",
              flush=True)
    ray.shutdown()
    if failed:
        sets = " ".join(str(k) for k in sorted(failed))
        sys.exit(f"shard sets {sets} of {n} failed; rerun this command to finish them "
                 f"(completed shards are kept)")
    print(f"all {n} shard sets done in {time.monotonic() - started:.1f} s; merging", flush=True)
    subprocess.run([binary, "merge", out], check=True)
    if args.verify != "none":
        subprocess.run([binary, "verify", out] + (["--fast"] if args.verify == "fast" else []),
                       check=True)


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as e:
        sys.exit(f"{' '.join(e.cmd)} failed with exit code {e.returncode}")
