"""Loads hanzi-synth output with PaddleOCR's own training data pipeline (the `paddleocr` wheel's
`ppocr.data`): `SimpleDataSet` over `det_gt.txt` and `rec_gt.txt`, `LMDBDataSet` over the LMDB
shards, each with the transforms of PaddleOCR's stock DB-detection and CTC-recognition configs
and PP-OCR's 6,623-character dictionary (`ppocr_keys_v1.txt`, the charset the data was drawn
from). A label PaddleOCR would drop, truncate or skip makes this fail.

Usage: check_paddleocr.py DET_DIR REC_DIR LMDB_DIR
DET_DIR: imagefolder scenes with paddleocr_det; REC_DIR: imagefolder line crops with
paddleocr_rec; LMDB_DIR: the same crops as LMDB shards. Prints a JSON line of counts.
"""
import glob
import json
import os
import sys

import numpy as np
from paddleocr.ppocr.data.lmdb_dataset import LMDBDataSet
from paddleocr.ppocr.data.simple_dataset import SimpleDataSet

KEYS = os.path.join(
    os.path.dirname(__import__("paddleocr").__file__), "ppocr", "utils", "ppocr_keys_v1.txt"
)


class StrictLogger:
    """PaddleOCR datasets log a failed sample and quietly return another one; fail instead."""

    def info(self, *a, **k):
        pass

    warning = debug = info

    def error(self, msg, *a, **k):
        raise AssertionError(msg)


def config(dataset, data_dir, transforms, max_text_length=25, label_files=None):
    ds = {"name": dataset, "data_dir": data_dir, "transforms": transforms}
    if label_files:
        ds["label_file_list"] = label_files
    return {
        "Global": {
            "character_dict_path": KEYS,
            "max_text_length": max_text_length,
            "use_space_char": True,
        },
        "Eval": {
            "dataset": ds,
            "loader": {"shuffle": False, "drop_last": False, "batch_size_per_card": 1, "num_workers": 0},
        },
    }


def labels(data_dir, name):
    rows = []
    files = sorted(glob.glob(os.path.join(data_dir, "*", name)))
    for f in files:
        with open(f, encoding="utf-8") as fh:
            rows += [line.rstrip("\n").split("\t", 1) for line in fh]
    return files, rows


def metadata(image_path):
    chunk, name = os.path.split(image_path)
    with open(os.path.join(chunk, "metadata.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["file_name"] == name:
                return row
    raise AssertionError(f"{image_path}: no metadata row")


def check_det(data_dir):
    files, rows = labels(data_dir, "det_gt.txt")
    # det_mv3_db.yml's training transforms, without the random augmentation and crop.
    transforms = [
        {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
        {"DetLabelEncode": None},
        {"MakeBorderMap": {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}},
        {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": 8}},
        {"KeepKeys": {"keep_keys": ["image", "polys", "texts", "ignore_tags", "shrink_map", "threshold_mask"]}},
    ]
    ds = SimpleDataSet(config("SimpleDataSet", data_dir, transforms, label_files=files), "Eval", StrictLogger())
    assert len(ds) == len(rows), (len(ds), len(rows))
    boxes = 0
    for i, (path, label) in enumerate(rows):
        image, polys, texts, ignore, shrink, thresh_mask = ds[i]
        want = json.loads(label)
        # The dataset returns another sample when one fails: make sure this is ours.
        assert texts == [b["transcription"] for b in want], (path, texts)
        assert np.allclose(polys, np.array([b["points"] for b in want], dtype=np.float32)), path
        assert not ignore.any(), (path, "a line was marked ###/ignored")
        # ...and that it says what the sample's metadata says was drawn.
        meta = metadata(os.path.join(data_dir, path))
        assert texts == [l["text"] for l in meta["lines"]], (path, texts)
        assert np.allclose(polys, np.array([l["quad"] for l in meta["lines"]]), atol=0.01), path
        h, w = image.shape[:2]
        assert (polys[..., 0] >= -0.5).all() and (polys[..., 0] <= w + 0.5).all(), path
        assert (polys[..., 1] >= -0.5).all() and (polys[..., 1] <= h + 0.5).all(), path
        assert shrink.sum() > 0 and thresh_mask.sum() > 0, (path, "no text pixels in DB targets")
        boxes += len(want)
    return len(rows), boxes


def rec_transforms():
    # rec_chinese_lite_train_v2.0.yml without RecAug.
    return [
        {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
        {"CTCLabelEncode": None},
        {"RecResizeImg": {"image_shape": [3, 48, 320]}},
        {"KeepKeys": {"keep_keys": ["image", "label", "length"]}},
    ]


def decode(ds, label, length):
    chars = ds.ops[1].character
    return "".join(chars[int(k)] for k in label[: int(length)])


def check_rec(data_dir, max_len):
    files, rows = labels(data_dir, "rec_gt.txt")
    ds = SimpleDataSet(
        config("SimpleDataSet", data_dir, rec_transforms(), max_len, files), "Eval", StrictLogger()
    )
    assert len(ds) == len(rows)
    for i, (path, text) in enumerate(rows):
        image, label, length = ds[i]
        assert image.shape == (3, 48, 320), (path, image.shape)
        # CTCLabelEncode silently drops characters outside the dictionary: all must survive.
        assert decode(ds, label, length) == text, (path, text, decode(ds, label, length))
    return [t for _, t in rows]


def check_lmdb(data_dir, max_len):
    ds = LMDBDataSet(config("LMDBDataSet", data_dir, rec_transforms(), max_len), "Eval", StrictLogger())
    read = []
    for i in range(len(ds)):
        image, label, length = ds[i]
        assert image.shape == (3, 48, 320), (i, image.shape)
        lno, index = (int(v) for v in ds.data_idx_order_list[i])
        read.append((ds.lmdb_sets[lno]["dirpath"], index, decode(ds, label, length)))
    # os.walk finds the shards in directory order: put them back in shard order.
    return [text for _, _, text in sorted(read)]


def main():
    det_dir, rec_dir, lmdb_dir = sys.argv[1:4]
    images, boxes = check_det(det_dir)
    _, rec_rows = labels(rec_dir, "rec_gt.txt")
    max_len = max(len(t) for _, t in rec_rows)
    rec = check_rec(rec_dir, max_len)
    lmdb_texts = check_lmdb(lmdb_dir, max_len)
    # The same recipe and seed in two formats: the same crops in the same order.
    assert lmdb_texts == rec, "LMDB and rec_gt.txt disagree"
    print(json.dumps({"det_images": images, "det_boxes": boxes, "rec": len(rec), "lmdb": len(lmdb_texts),
                      "max_text_length": max_len}))


if __name__ == "__main__":
    main()
