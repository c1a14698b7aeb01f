#!/usr/bin/env bash
# Remakes every picture in docs/ (the README shows them) from the current binary, so that they
# always show what the tool draws today:
#   cargo build --release && docs/make-pictures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/hanzi-synth
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
mkdir -p docs/recipes
# The default recipe with line outlines (green) and character quads (red).
"$bin" preview -n 12 --tile 240 -o docs/preview.png
# Each example recipe as a model sees it.
for recipe in recipes/*.yaml; do
  name="$(basename "$recipe" .yaml)"
  [ "$name" = default ] && continue
  n=8
  [ "$name" = ocr-lines ] && n=12
  "$bin" preview --recipe "$recipe" -n "$n" --columns 4 --tile 240 --no-boxes -o "docs/recipes/$name.png"
done
