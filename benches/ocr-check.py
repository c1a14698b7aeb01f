#!/usr/bin/env python3
"""An independent OCR reads a line-crop output and scores it against its labels.

The reader is PP-OCR's recogniser as shipped in the `rapidocr_onnxruntime` wheel (Apache-2.0),
which has never seen hanzi-synth's fonts or pictures. Use it to compare recipes: a recipe whose
labels are exact and whose text is legible reads about as well as the plain ones.

    python -m venv /tmp/ocr && /tmp/ocr/bin/pip install rapidocr_onnxruntime
    hanzi-synth generate -r recipes/NAME.yaml -n 100 -o /tmp/NAME \\
        --set output.mode=line_crops --set output.format=imagefolder
    /tmp/ocr/bin/python benches/ocr-check.py /tmp/NAME [--limit 300]

Vertical columns are read as a row: their characters' boxes (`chars[].box` in the crop) are
cut out and set side by side, upright, since the recogniser reads left to right only.
Prints exact-line accuracy (Sen.ACC), mean normalised edit distance (NED) and character
accuracy (1 − CER), also over letters and digits alone (punctuation left out), per direction
and overall, as one JSON object.
"""

import argparse
import json
import pathlib
import sys

import unicodedata

import numpy as np
from PIL import Image


def letters(text: str) -> str:
    """Only letters and digits: vertical forms of punctuation (，。 drawn in the top right of a
    column cell) read as ‘ and ° once a column is set as a row, which says nothing of the labels."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def as_row(img: Image.Image, chars: list) -> Image.Image:
    """A vertical column's characters set side by side, each on a square tile."""
    tiles = []
    for c in chars:
        x0, y0, x1, y1 = (int(round(v)) for v in c["box"])
        tiles.append(img.crop((max(x0, 0), max(y0, 0), min(x1, img.width), min(y1, img.height))))
    h = max((t.height for t in tiles), default=1)
    row = Image.new("RGB", (sum(max(t.width, 1) for t in tiles) + 8, h + 8), img.getpixel((0, 0)))
    x = 4
    for t in tiles:
        row.paste(t, (x, 4 + (h - t.height) // 2))
        x += max(t.width, 1)
    return row


def rows(out: pathlib.Path):
    for meta in sorted(out.glob("*/metadata.jsonl")):
        for line in meta.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            yield meta.parent / r["file_name"], r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=pathlib.Path, help="an imagefolder line_crops output")
    ap.add_argument("--limit", type=int, default=0, help="read at most N crops (0 = all)")
    a = ap.parse_args()
    from rapidocr_onnxruntime import RapidOCR

    ocr = RapidOCR()
    stats = {}
    examples = []
    n = 0
    for path, r in rows(a.out):
        if a.limit and n >= a.limit:
            break
        n += 1
        img = Image.open(path).convert("RGB")
        direction = r.get("direction", "horizontal")
        if direction == "vertical":
            img = as_row(img, r["chars"])
        result, _ = ocr(np.asarray(img)[:, :, ::-1], use_det=False, use_cls=False, use_rec=True)
        read = "".join(t[0] for t in (result or [])).replace(" ", "")
        truth = r["text"].replace(" ", "")
        d = edit_distance(read, truth)
        dl = edit_distance(letters(read), letters(truth))
        for key in (direction, "all"):
            s = stats.setdefault(
                key, {"lines": 0, "exact": 0, "ned": 0.0, "chars": 0, "errors": 0, "letters": 0, "letter_errors": 0}
            )
            s["lines"] += 1
            s["exact"] += read == truth
            s["ned"] += 1 - d / max(len(read), len(truth), 1)
            s["chars"] += len(truth)
            s["errors"] += d
            s["letters"] += len(letters(truth))
            s["letter_errors"] += dl
        if read != truth and len(examples) < 10:
            examples.append({"file": str(path.relative_to(a.out)), "text": truth, "read": read})
    report = {
        key: {
            "lines": s["lines"],
            "sen_acc": round(s["exact"] / s["lines"], 4),
            "ned": round(s["ned"] / s["lines"], 4),
            "char_acc": round(1 - s["errors"] / max(s["chars"], 1), 4),
            "char_acc_no_punct": round(1 - s["letter_errors"] / max(s["letters"], 1), 4),
        }
        for key, s in stats.items()
    }
    report["misread_examples"] = examples
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0 if stats else 1


if __name__ == "__main__":
    sys.exit(main())
