#!/usr/bin/env python3
"""Does the trainer's judge agree with an independent OCR? Reads an `eval --out E` folder's
saved samples (`E/samples.jsonl`, `E/samples/*.png`) with PP-OCR's recogniser (the
`rapidocr_onnxruntime` wheel, Apache-2.0: it has never seen our fonts, pictures or model) and
compares its verdicts with the judge's.

    python -m venv /tmp/ocr && /tmp/ocr/bin/pip install rapidocr_onnxruntime
    hanzi-synth eval RUN --per-prompt 4 --out E        # or the evaluation a train run writes
    hanzi-synth generate -r RECIPE -n 400 -o CLEAN --set output.format=imagefolder
    /tmp/ocr/bin/python benches/judge-vs-ocr.py E --clean CLEAN

`--clean` also reads the training recipe's own pictures (real renders, the model's targets): the
OCR's ceiling on such small single characters, against which its reading of the samples is
to be set. With it the comparison is also made on the prompts whose clean renders the OCR reads
(≥ 90%): there a miss is the model's, not the OCR's (a lone 一 in a tile reads as 口).

Each 32×32 (or 64×64) sample is scaled to 48 px and set on a margin of its own border colour
(the recogniser wants a line, not a tile). A picture counts as read by the OCR when its reading,
spaces removed, is exactly the prompt. Prints one JSON object: both accuracies with 95%
bootstrap intervals, their agreement, and Cohen's kappa.

`--dump FILE` writes each picture's OCR reading next to the judge's (JSON lines). `--sweep`
adds what the judge would have scored at other confidence thresholds (from `samples.jsonl`'s
`confidence`) against the OCR — how the judge's threshold is calibrated, on a set of samples
kept apart from the ones it is then reported on.
"""

import argparse
import json
import math
import pathlib
import random
import sys

import numpy as np
from PIL import Image


def as_line(img: Image.Image) -> Image.Image:
    """The tile scaled to 48 px high, on a margin of its own corner colour."""
    img = img.convert("RGB").resize((48, 48), Image.BICUBIC)
    corner = img.getpixel((0, 0))
    line = Image.new("RGB", (48 + 2 * 24, 48 + 2 * 8), corner)
    line.paste(img, (24, 8))
    return line


def interval(hits: list, rounds: int = 2000, seed: int = 0) -> list:
    rng = random.Random(seed)
    n = len(hits)
    if n == 0:
        return [0.0, 0.0]
    means = sorted(sum(hits[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    return [round(means[int(0.025 * rounds)], 4), round(means[int(0.975 * rounds) - 1], 4)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_dir", type=pathlib.Path, help="an `eval --out` folder")
    ap.add_argument("--clean", type=pathlib.Path, help="an imagefolder output of the training recipe")
    ap.add_argument("--dump", type=pathlib.Path, help="write each picture's readings here (JSON lines)")
    ap.add_argument("--sweep", action="store_true", help="score the judge at other thresholds too")
    a = ap.parse_args()
    from rapidocr_onnxruntime import RapidOCR

    ocr = RapidOCR()

    def reads(img: Image.Image) -> str:
        result, _ = ocr(np.asarray(as_line(img))[:, :, ::-1], use_det=False, use_cls=False, use_rec=True)
        return "".join(t[0] for t in (result or [])).replace(" ", "")

    clean = None
    # Per character: the share of clean renders the OCR reads (its ceiling for that character).
    ceiling = {}
    if a.clean:
        hits = []
        per = {}
        for meta in sorted(a.clean.glob("**/metadata.jsonl")):
            for line in meta.read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                truth = "".join(l["text"] for l in r["lines"])
                hit = int(reads(Image.open(meta.parent / r["file_name"])) == truth)
                hits.append(hit)
                per.setdefault(truth, []).append(hit)
        ceiling = {c: sum(h) / len(h) for c, h in per.items()}
        blind = sorted(c for c, v in ceiling.items() if v < 0.9)
        clean = {
            "pictures": len(hits),
            "ocr_accuracy": round(sum(hits) / max(len(hits), 1), 4),
            "characters_the_ocr_reads_under_90pct": "".join(blind),
        }
    judge, reader, legible, rows = [], [], [], []
    for line in (a.eval_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        read = reads(Image.open(a.eval_dir / r["file"]))
        judge.append(int(bool(r["correct"])))
        reader.append(int(read == r["prompt"]))
        legible.append(ceiling.get(r["prompt"], 1.0) >= 0.9)
        rows.append({**r, "ocr": read, "ocr_correct": read == r["prompt"], "legible": legible[-1]})
    if a.dump:
        a.dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    n = len(judge)
    if n == 0:
        print("no samples", file=sys.stderr)
        return 1
    report = compare(judge, reader)
    if a.clean:
        # Only the prompts the OCR reads on clean renders: there a miss is the model's.
        kept = [i for i in range(n) if legible[i]]
        report["where_the_ocr_reads_clean_renders"] = compare(
            [judge[i] for i in kept], [reader[i] for i in kept]
        )
    report["ocr_on_clean_renders"] = clean
    if a.sweep:
        # The judge's best reading is its reading whenever it read something; a picture it read
        # as nothing at the saved threshold stays nothing (its best class is unknown here).
        kept = [r for r in rows if r["legible"]]
        sweep = {}
        for t in [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99]:
            j = [int(r["correct"] and r.get("confidence", 1.0) >= t) for r in kept]
            c = compare(j, [int(r["ocr_correct"]) for r in kept])
            sweep[str(t)] = {k: c[k] for k in ("judge_accuracy", "ocr_accuracy", "judge_only", "ocr_only", "kappa")}
        report["threshold_sweep_where_the_ocr_reads_clean_renders"] = sweep
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def mcnemar(judge_only: int, ocr_only: int) -> float:
    """Exact two-sided McNemar p-value: could the pictures only one reader reads split this
    unevenly if both readers read as many pictures in the long run?"""
    n = judge_only + ocr_only
    if n == 0:
        return 1.0
    k = min(judge_only, ocr_only)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare(judge: list, reader: list) -> dict:
    n = max(len(judge), 1)
    both = sum(j and o for j, o in zip(judge, reader))
    neither = sum((not j) and (not o) for j, o in zip(judge, reader))
    agree = (both + neither) / n
    pj, po = sum(judge) / n, sum(reader) / n
    expected = pj * po + (1 - pj) * (1 - po)
    kappa = (agree - expected) / (1 - expected) if expected < 1 else 1.0
    return {
        "pictures": len(judge),
        "judge_accuracy": round(pj, 4), "judge_ci": interval(judge),
        "ocr_accuracy": round(po, 4), "ocr_ci": interval(reader),
        "both_read": both, "judge_only": sum(judge) - both, "ocr_only": sum(reader) - both,
        "agreement": round(agree, 4), "kappa": round(kappa, 3),
        "mcnemar_p": round(mcnemar(sum(judge) - both, sum(reader) - both), 4),
    }


if __name__ == "__main__":
    sys.exit(main())
