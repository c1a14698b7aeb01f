"""Driver of benches/peers/run.sh: neots against hanzi-synth's crop modes, one thread each,
alternately, crops per CPU-second (user + sys of the whole process, startup included).

neots is configured from its own README and bundled configs (`neots/data/configs/*.yaml` in the
venv) for what hanzi-synth's OCR recipes draw:
- the same four faces (hanzi-synth's `fonts.bundled_set: default`);
- the same word list (corpora/top50k.tsv, one word per line) sampled as units ("random" type,
  one line = one target), 1–4 words per image as `corpus.words_per_line: [1, 4]`;
- the bundled photos and textures (backgrounds/) with the share of image backgrounds that
  hanzi-synth's default `backgrounds.kinds` gives them (IMAGE_SHARE), the rest neots' own solid
  and gradient grounds;
- 48-px single-line crops, vertical text 1 in 10 as `text.direction: {horizontal: 9, vertical: 1}`;
- font_size 40: near the pixels per em text gets in a 48-px crop, and faster for neots than its
  default 55 (measured 770 vs 505 crops/CPU-s), so the comparison does not favour hanzi-synth;
- its default text effects, paste jitter, rotation and distortion; PNG output (its only format;
  hanzi-synth writes JPEG in WebDataset shards as the recipes say).

For neots the figure used for the ratio is the CPU time of `generate()` alone (its interpreter
start and imports, which pull in numpy, PIL and datasets, are left out); hanzi-synth's is its
whole process (recipe, corpus, fonts and photos loaded included). Both are printed.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

FACES = [
    "SubsetSansSC-Regular.otf",
    "SubsetSerifSC-Regular.otf",
    "SubsetKaiSC-Regular.ttf",
    "SubsetDisplaySC-Oblique.ttf",
]
# hanzi-synth's default backgrounds.kinds: photo 3, texture 1, solid 1, linear 1, radial 1,
# noise 1, paper 2 — photos and textures are 4 of 10.
IMAGE_SHARE = 0.4
# Line crops: one scene of recipes/ocr-lines.yaml gives about 3.8 crops.
CROPS_PER_SCENE = 3.8


def neots_config(repo, work):
    fonts = os.path.join(work, "fonts")
    os.makedirs(fonts, exist_ok=True)
    for f in FACES:
        link = os.path.join(fonts, f)
        if not os.path.exists(link):
            os.symlink(os.path.join(repo, "fonts", f), link)
    words = os.path.join(work, "words.txt")
    with open(os.path.join(repo, "corpora", "top50k.tsv"), encoding="utf-8") as src, open(
        words, "w", encoding="utf-8"
    ) as dst:
        for line in src:
            word = line.split("\t", 1)[0].strip()
            if word:
                dst.write(word + "\n")
    return {
        "text_sampler": {
            "min_targets": 1,
            "max_targets": 4,
            "font_size": 40,
            "vertical_prob": 0.1,
            "sample_strategy": "sample-first",
            "font_list": [fonts],
        },
        "random_config": [{"type": "random", "prob": 1.0, "from_file": words}],
        "bg_sampler": {
            "bg_image_prob": IMAGE_SHARE,
            "gray_bg_prob": 0.7,
            "text_color": "auto",
            "bg_color": "auto",
            "bg_list": [os.path.join(repo, "backgrounds")],
        },
        "post_process": {
            "text_effects": {"effect_prob": 0.2, "partial_effect_prob": 0.8},
            "text_paste": {
                "scale_range": [0.7, 1.1],
                "margin_range": [-5, 20],
                "offset_prob": 0.5,
                "h_offset_range": [-7, 7],
                "v_offset_range": [-5, 5],
            },
            "transforms": {
                "rotation_prob": 0.3,
                "rotation_range": [-2.5, 2.5],
                "distortion_prob": 0.2,
                "distortion_level": 0.03,
            },
        },
        "generate": {
            "output_height": 48,
            "retry_on_error": True,
            "batchsize": 1000,
            "hierarchical_structure": [100, 625],
        },
    }


def neots_child(config_path, total):
    """Runs in its own process: one neots generate() on one worker thread."""
    from neots import SingleLineTextGenerator

    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    gen = SingleLineTextGenerator.from_config(config)
    before = resource.getrusage(resource.RUSAGE_SELF)
    made, failed = gen.generate(total=total, workers=1, show_progress=False)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(config["generate"]["out_jsonl"], encoding="utf-8") as f:
        written = sum(1 for _ in f)
    print(json.dumps({"made": made, "failed": failed, "written": written, "cpu": cpu}))


def timed_child(cmd, cwd):
    """Runs `cmd`; returns (stdout, CPU seconds of the child, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.stdout, cpu, wall


def run_neots(args, config, round_no):
    out = os.path.join(args.work, f"neots-{round_no}")
    config = json.loads(json.dumps(config))
    config["generate"]["out_dir"] = os.path.join(out, "generated")
    config["generate"]["out_jsonl"] = os.path.join(out, "generated.jsonl")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "config.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False)
    stdout, cpu, wall = timed_child(
        [sys.executable, __file__, "--neots-child", path, str(args.crops)], out
    )
    r = json.loads(stdout.strip().splitlines()[-1])
    return {"records": r["written"], "cpu": r["cpu"], "process_cpu": cpu, "wall": wall}


def run_ours(args, recipe, samples, round_no, name):
    out = os.path.join(args.work, f"{name}-{round_no}")
    cmd = [args.bin, "generate", "-r", os.path.join(args.repo, "recipes", recipe)]
    cmd += ["-n", str(samples), "-j", "1", "-o", out]
    _, cpu, wall = timed_child(cmd, args.repo)
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        records = json.load(f)["records"]
    return {"records": records, "cpu": cpu, "process_cpu": cpu, "wall": wall}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--neots-child":
        neots_child(sys.argv[2], int(sys.argv[3]))
        return
    p = argparse.ArgumentParser()
    p.add_argument("--repo", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--crops", type=int, default=3000)
    args = p.parse_args()
    config = neots_config(args.repo, args.work)
    scenes = max(1, round(args.crops / CROPS_PER_SCENE))
    arms = [
        ("neots", lambda r: run_neots(args, config, r)),
        ("line_crops", lambda r: run_ours(args, "ocr-lines.yaml", scenes, r, "line")),
        ("native_crops", lambda r: run_ours(args, "ocr-lines-native.yaml", args.crops, r, "native")),
    ]
    rates = {name: [] for name, _ in arms}
    print(f"{'round':<6} {'generator':<13} {'records':>8} {'CPU-s':>8} {'records/CPU-s':>14} "
          f"{'process CPU-s':>14} {'wall s':>7}")
    for r in range(args.rounds):
        for name, run in arms:
            m = run(r)
            rate = m["records"] / m["cpu"]
            rates[name].append(rate)
            print(f"{r + 1:<6} {name:<13} {m['records']:>8} {m['cpu']:>8.2f} {rate:>14.1f} "
                  f"{m['process_cpu']:>14.2f} {m['wall']:>7.2f}", flush=True)
    med = {name: statistics.median(v) for name, v in rates.items()}
    print()
    print("medians (records per CPU-second, one thread):")
    for name in med:
        print(f"  {name:<13} {med[name]:>8.1f}")
    print("ratios of the medians:")
    print(f"  native_crops / neots       {med['native_crops'] / med['neots']:.2f}×")
    print(f"  line_crops / neots         {med['line_crops'] / med['neots']:.2f}×")
    print(f"  native_crops / line_crops  {med['native_crops'] / med['line_crops']:.2f}×")


if __name__ == "__main__":
    main()
