#!/usr/bin/env bash
# Side by side, one thread: neots (a C++-core OCR line generator, `pip install neots`) against
# hanzi-synth's two crop modes — line crops cut out of scenes (recipes/ocr-lines.yaml) and
# native crops (recipes/ocr-lines-native.yaml) — on the same four bundled fonts, bundled
# photos and textures, word list and 48-px line height. Runs them alternately for a few rounds
# and prints crops per CPU-second (user + sys of the process) and the ratios.
#
#   benches/peers/run.sh [ROUNDS] [CROPS]        (defaults: 3 rounds of about 3000 crops each)
#
# Environment: NEOTS_VERSION (default 0.3.4), VENV (default target/peers-venv), HANZI_SYNTH
# (a built binary; default: cargo build --release, then target/release/hanzi-synth).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rounds="${1:-3}"
crops="${2:-3000}"
version="${NEOTS_VERSION:-0.3.4}"
target="${CARGO_TARGET_DIR:-$repo/target}"
venv="${VENV:-$target/peers-venv}"

if [[ -z "${HANZI_SYNTH:-}" ]]; then
    (cd "$repo" && cargo build --release --quiet)
    HANZI_SYNTH="$target/release/hanzi-synth"
fi
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import neots, importlib.metadata as m; assert m.version('neots') == '$version'" 2>/dev/null; then
    "$venv/bin/pip" install --quiet "neots==$version"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" "$here/peers.py" --repo "$repo" --bin "$HANZI_SYNTH" --work "$work" \
    --rounds "$rounds" --crops "$crops"
