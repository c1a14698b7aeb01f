"""Loads hanzi-synth output with the real Python clients: webdataset and HF datasets.

Usage: check_loaders.py WEBDATASET_DIR IMAGEFOLDER_DIR EXPECTED_COUNT
Exits non-zero (with a message) on any mismatch.
"""
import glob
import json
import os
import sys

import webdataset as wds
from datasets import load_dataset


def check_webdataset(wds_dir, expected):
    shards = sorted(glob.glob(os.path.join(wds_dir, "*.tar")))
    assert shards, f"no shards in {wds_dir}"
    ds = wds.WebDataset(shards, shardshuffle=False).decode("pil").to_tuple("__key__", "jpg", "txt", "json")
    n = 0
    for key, img, txt, meta in ds:
        assert img.size == (meta["width"], meta["height"]), (key, img.size)
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
    return n


def check_imagefolder(img_dir, expected):
    hf = load_dataset("imagefolder", data_dir=img_dir, split="train")
    assert len(hf) == expected, f"datasets(imagefolder) read {len(hf)} rows, expected {expected}"
    for row in hf.select(range(min(8, len(hf)))):
        assert row["image"].size == (row["width"], row["height"])
        assert row["text"] and row["text"] == row["caption"]
    return len(hf)


def main():
    wds_dir, img_dir, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    a = check_webdataset(wds_dir, expected)
    b = check_imagefolder(img_dir, expected)
    print(json.dumps({"webdataset": a, "imagefolder": b}))


if __name__ == "__main__":
    main()
