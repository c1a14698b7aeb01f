#!/usr/bin/env bash
# Images/s through the Python package's `g.batch` against the CLI's, same machine, all cores,
# no disk. Alternates CLI and Python runs ROUNDS times (a busy machine drifts) and prints every
# run, the medians and the ratios:
#   cargo build --release && pip install ./python
#   benches/python-throughput.sh [ROUNDS] [SAMPLES] [RECIPE] [PYTHON]
# CLI: `hanzi-synth bench`'s all-threads pass (make and encode every sample, nothing written),
# and `generate` into a tmpfs folder (/dev/shm: tar framing and checksums, no disk; its wall
# time includes loading the assets). Python: `Generator.batch` over the same samples in chunks
# of 64 (made and encoded as the CLI does, then handed to Python: pixels copied into numpy,
# metadata parsed), and `SyntheticIterableDataset` iterated in one process, after the same
# warm-up as `bench` and excluding the load. Images per CPU-second (user + sys of the whole
# process) are printed too: on a machine other jobs share, they move less than images/s.
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
cb=() cbc=() cg=() pb=() pbc=() pi=() pic=()
for round in $(seq "$rounds"); do
  read -r b bc < <("$bin" bench -r "$recipe" -n "$samples" |
    sed -nE 's/^[0-9]+ threads +([0-9.]+) images\/s, ([0-9.]+) images\/CPU-s.*/\1 \2/p')
  t0="$(date +%s.%N)"
  "$bin" generate -r "$recipe" -n "$samples" -o "$shm/out" --overwrite -q
  t1="$(date +%s.%N)"
  g="$(awk -v n="$samples" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')"
  read -r p pc i ic < <("$python" - "$recipe" "$samples" <<'PY'
import sys, time
from hanzi_synth import Generator
from hanzi_synth.torch import SyntheticIterableDataset
recipe, n = sys.argv[1], int(sys.argv[2])
g = Generator(recipe, count=n + 16)
g.batch(range(n, n + 16))  # warm the caches (outlines, shaping plans), as `bench` does
def timed(f):
    w, c = time.perf_counter(), time.process_time()
    made = f()
    return made / (time.perf_counter() - w), made / (time.process_time() - c)
def batches():
    for s in range(0, n, 64):
        g.batch(range(s, min(s + 64, n)))
    return n
first_n = Generator(recipe, count=n)  # the same samples 0..n-1 (count is part of the recipe)
first_n.batch(range(min(16, n)))
ds = SyntheticIterableDataset(first_n)
def iterate():  # samples, not records (line crops: several records per sample)
    return len({rec["index"] for rec in ds})
print(*(f"{x:.1f}" for x in (*timed(batches), *timed(iterate))))
PY
)
  cb+=("$b") cbc+=("$bc") cg+=("$g") pb+=("$p") pbc+=("$pc") pi+=("$i") pic+=("$ic")
  printf 'round %d: CLI bench %.1f (%.1f/CPU-s), CLI generate to tmpfs %.1f, Python g.batch %.1f (%.1f/CPU-s), iterable dataset %.1f (%.1f/CPU-s) images/s\n' \
    "$round" "$b" "$bc" "$g" "$p" "$pc" "$i" "$ic"
done
m() { printf '%s\n' "$@" | median; }
mb="$(m "${cb[@]}")" mbc="$(m "${cbc[@]}")" mg="$(m "${cg[@]}")"
mp="$(m "${pb[@]}")" mpc="$(m "${pbc[@]}")" mi="$(m "${pi[@]}")" mic="$(m "${pic[@]}")"
echo "medians, images/s (images/CPU-s):"
echo "  CLI bench, all threads      $mb ($mbc)"
echo "  CLI generate to tmpfs       $mg"
echo "  Python g.batch              $mp ($mpc): $(ratio "$mp" "$mb") of the CLI ($(ratio "$mpc" "$mbc") per CPU-s)"
echo "  Python iterable dataset     $mi ($mic): $(ratio "$mi" "$mb") of the CLI ($(ratio "$mic" "$mbc") per CPU-s)"
