#!/usr/bin/env bash
# Images/s through the Python package's `g.batch` against the CLI's, same machine, all cores,
# no disk. Alternates CLI and Python runs ROUNDS times (a busy machine drifts) and prints every
# run, the medians and the ratio:
#   cargo build --release && pip install ./python
#   benches/python-throughput.sh [ROUNDS] [SAMPLES] [RECIPE] [PYTHON]
# CLI: `hanzi-synth bench`'s all-threads pass (make and encode every sample, nothing written)
# and `generate` into a tmpfs folder (/dev/shm: tar framing and checksums, no disk; its wall
# time includes loading the assets). Python: `Generator.batch` over the same samples in chunks
# of 64 (made and encoded as the CLI does, then handed to Python: pixels copied into numpy,
# metadata parsed), after the same warm-up as `bench` and excluding the load.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
samples="${2:-300}"
recipe="${3:-recipes/default.yaml}"
python="${4:-.venv/bin/python}"
bin=target/release/hanzi-synth
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
"$python" -c "import hanzi_synth" || { echo "install first: pip install ./python" >&2; exit 1; }
shm="$(mktemp -d /dev/shm/hanzi-synth-bench-XXXXXX)"
trap 'rm -rf "$shm"' EXIT
"$bin" bench -n 1 -j 1 | grep -E '^(machine|JPEG encoder)' || true
echo "recipe $recipe, $samples samples, $(nproc) threads, $rounds rounds"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cli_bench=() cli_gen=() py_batch=() py_iter=()
for round in $(seq "$rounds"); do
  b="$("$bin" bench -r "$recipe" -n "$samples" | sed -nE 's/^[0-9]+ threads +([0-9.]+) images\/s.*/\1/p')"
  cli_bench+=("$b")
  t0="$(date +%s.%N)"
  "$bin" generate -r "$recipe" -n "$samples" -o "$shm/out" --overwrite -q
  t1="$(date +%s.%N)"
  g="$(awk -v n="$samples" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')"
  cli_gen+=("$g")
  read -r p i < <("$python" - "$recipe" "$samples" <<'PY'
import sys, time
from hanzi_synth import Generator
from hanzi_synth.torch import SyntheticIterableDataset
recipe, n = sys.argv[1], int(sys.argv[2])
g = Generator(recipe, count=n + 16)
g.batch(range(n, n + 16))  # warm the caches (outlines, shaping plans), as `bench` does
t = time.perf_counter()
for s in range(0, n, 64):
    g.batch(range(s, min(s + 64, n)))
batch = n / (time.perf_counter() - t)
ds = SyntheticIterableDataset(g)
t = time.perf_counter()
made = sum(1 for _ in ds)
it = made / (time.perf_counter() - t)
print(f"{batch:.1f} {it:.1f}")
PY
)
  py_batch+=("$p")
  py_iter+=("$i")
  printf 'round %d: CLI bench %.1f, CLI generate to tmpfs %.1f, Python g.batch %.1f, Python iterable dataset %.1f images/s\n' \
    "$round" "$b" "$g" "$p" "$i"
done
mb="$(printf '%s\n' "${cli_bench[@]}" | median)"
mg="$(printf '%s\n' "${cli_gen[@]}" | median)"
mp="$(printf '%s\n' "${py_batch[@]}" | median)"
mi="$(printf '%s\n' "${py_iter[@]}" | median)"
printf 'medians: CLI bench %.1f, CLI generate to tmpfs %.1f, Python g.batch %.1f (%.0f%% of CLI bench), iterable dataset %.1f (%.0f%%) images/s\n' \
  "$mb" "$mg" "$mp" "$(awk -v a="$mp" -v b="$mb" 'BEGIN { print 100 * a / b }')" \
  "$mi" "$(awk -v a="$mi" -v b="$mb" 'BEGIN { print 100 * a / b }')"
