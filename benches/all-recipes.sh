#!/usr/bin/env bash
# Runs `hanzi-synth bench` on every recipe in recipes/ RUNS times (default 3) and prints the
# median figures as the Markdown table used in BENCHMARKS.md. Run on a quiet machine:
#   cargo build --release && benches/all-recipes.sh [RUNS] [SAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
samples="${2:-300}"
bin=target/release/hanzi-synth
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
"$bin" bench -n 1 -j 1 | grep -E '^(machine|JPEG encoder)' || true
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "| recipe | canvas | records/sample | 1 thread: images/CPU-s | records/CPU-s | ms/image | 2 threads: images/s | speed-up | encode floor records/CPU-s | × floor | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for recipe in recipes/*.yaml; do
  name="$(basename "$recipe" .yaml)"
  out="$(mktemp)"
  for _ in $(seq "$runs"); do
    "$bin" bench -r "$recipe" -n "$samples" >> "$out"
  done
  col() { grep -E "$1" "$out" | sed -E "s#$2#\1#" | median; }
  canvas="$(grep -m1 '^recipe' "$out" | sed -E 's/.*\(([0-9]+×[0-9]+).*/\1/')"
  per_cpu="$(col '^1 thread' '.*images/s, ([0-9.]+) images/CPU-s.*')"
  ms="$(col '^1 thread' '.*\(([0-9.]+) ms/image\).*')"
  par="$(col '^[0-9]+ threads' '^[0-9]+ threads +([0-9.]+) images/s.*')"
  speedup="$(col '^[0-9]+ threads' '.*\(([0-9.]+)× one thread\).*')"
  if grep -q '^records' "$out"; then
    rps="$(col '^records' '^records +([0-9.]+) per sample.*')"
    rec_cpu="$(col '^records' '.*: ([0-9.]+) records/CPU-s.*')"
  else
    rps=1
    rec_cpu="$per_cpu"
  fi
  floor="$(col '^encode-only floor' '^encode-only floor +([0-9.]+) records/CPU-s.*')"
  ratio="$(col '^encode-only floor' '.*generator at ([0-9.]+)× the floor.*')"
  rss="$(col '^peak RSS' '^peak RSS +([0-9.]+) MiB.*')"
  echo "| $name | $canvas | $rps | $per_cpu | $rec_cpu | $ms | $par | ${speedup}× | $floor | ${ratio}× | $rss |"
  rm -f "$out"
done
