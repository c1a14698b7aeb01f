"""Loads hanzi-synth output with the real Python clients: webdataset and HF datasets.

Usage: check_loaders.py WEBDATASET_DIR IMAGEFOLDER_DIR EXPECTED_COUNT
Exits non-zero (with a message) on any mismatch.
"""
import glob
import json
import os
import sys

import numpy as np
import webdataset as wds
from datasets import load_dataset
from PIL import Image

CONDITIONS = ("glyph.png", "mask.png", "charseg.png")


def check_conditions(key, size, meta, rasters):
    """Condition rasters: the image's size; glyph ink where the mask is; charseg within its table."""
    glyph, mask, charseg = (np.array(r) for r in rasters)
    for name, r in zip(CONDITIONS, rasters):
        assert r.size == size, (key, name, r.size, size)
    ink = glyph < 128
    assert ink.any(), (key, "glyph image has no text")
    assert (mask[ink] > 0).mean() > 0.99, (key, "glyph ink outside the position mask")
    table = meta["charseg_table"]
    assert table == [c["char"] for line in meta["lines"] for c in line["chars"]], key
    assert 0 < int(charseg.max()) <= len(table), (key, int(charseg.max()), len(table))
    assert (glyph[charseg > 0] < 128).all(), (key, "charseg labels a pixel without ink")


def check_webdataset(wds_dir, expected):
    shards = sorted(glob.glob(os.path.join(wds_dir, "*.tar")))
    assert shards, f"no shards in {wds_dir}"
    ds = wds.WebDataset(shards, shardshuffle=False).decode("pil").to_tuple(
        "__key__", "jpg", "txt", "json", *CONDITIONS
    )
    n = 0
    for key, img, txt, meta, *rasters in ds:
        assert img.size == (meta["width"], meta["height"]), (key, img.size)
        check_conditions(key, img.size, meta, rasters)
        assert txt and txt == meta["caption"], key
        for line in meta["lines"]:
            assert line["text"] in txt, (key, line["text"], txt)
            assert len(line["chars"]) == len(line["text"])
        n += 1
    assert n == expected, f"webdataset read {n} samples, expected {expected}"

    hf = load_dataset("webdataset", data_files={"train": shards}, split="train")
    assert len(hf) == expected, f"datasets(webdataset) read {len(hf)} rows"
    row = hf[0]
    assert row["jpg"].size[0] > 0 and row["txt"], row.keys()
    for name in CONDITIONS:
        assert row[name].size == row["jpg"].size, (name, row.keys())
    return n


def check_imagefolder(img_dir, expected):
    hf = load_dataset("imagefolder", data_dir=img_dir, split="train")
    assert len(hf) == expected, f"datasets(imagefolder) read {len(hf)} rows, expected {expected}"
    chunks = sorted(glob.glob(os.path.join(img_dir, "*", "metadata.jsonl")))
    for row in hf.select(range(min(8, len(hf)))):
        assert row["image"].size == (row["width"], row["height"])
        assert row["text"] and row["text"] == row["caption"]
        # Extra files are listed as `<name>_file` next to `file_name`, in the same chunk folder.
        folder = next(os.path.dirname(c) for c in chunks if os.path.exists(
            os.path.join(os.path.dirname(c), row["glyph_file"])))
        rasters = [Image.open(os.path.join(folder, row[n.split(".")[0] + "_file"])) for n in CONDITIONS]
        check_conditions(row["key"], row["image"].size, row, rasters)
    return len(hf)


def main():
    wds_dir, img_dir, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    a = check_webdataset(wds_dir, expected)
    b = check_imagefolder(img_dir, expected)
    print(json.dumps({"webdataset": a, "imagefolder": b}))


if __name__ == "__main__":
    main()
