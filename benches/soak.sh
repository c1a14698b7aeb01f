#!/usr/bin/env bash
# Soak test: generates SAMPLES samples of every example recipe for each of SEEDS seeds and runs
# `verify` (and `stats`' integrity checks) on every output: every label inside its image, every
# character in its font, every record readable. Not a CI test (CI runs a small version:
# `benches/soak.sh 60 1`). Default: 7 recipes × 3 seeds × 1,000 = 21,000 samples.
#   cargo build --release && benches/soak.sh [SAMPLES] [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-1000}"
seeds="${2:-3}"
bin=target/release/hanzi-synth
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
total=0
start=$(date +%s)
for recipe in recipes/*.yaml; do
  name="$(basename "$recipe" .yaml)"
  for seed in $(seq 1 "$seeds"); do
    out="$work/$name-$seed"
    # Seeds 21, 42, 63, …: different from the recipes' own seed 0.
    "$bin" generate -r "$recipe" --seed $((seed * 21)) -n "$samples" -o "$out" -q
    total=$((total + samples))
    if "$bin" verify "$out" > "$out.verify" 2>&1; then
      echo "ok      $name seed $((seed * 21)): $(tail -n 2 "$out.verify" | head -n 1)"
    else
      failed=$((failed + 1))
      echo "FAILED  $name seed $((seed * 21)):"
      grep -E '^problem|error' "$out.verify" | head -n 20
    fi
    rm -rf "$out"
  done
done
echo "soak: $total samples, $failed failed run(s), $(( $(date +%s) - start )) s"
[ "$failed" -eq 0 ]
