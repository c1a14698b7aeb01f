"""Reads hanzi-synth LMDB shards the way OCR recognition trainers do (PaddleOCR's LMDBDataSet,
deep-text-recognition-benchmark): lmdb.open(readonly, lock=False), `num-samples`, then
`image-%09d` / `label-%09d` from 1.

Usage: check_lmdb.py OUT_DIR EXPECTED_RECORDS
"""
import glob
import io
import json
import os
import sys

import lmdb
from PIL import Image


def main():
    out, expected = sys.argv[1], int(sys.argv[2])
    total = 0
    for path in sorted(glob.glob(os.path.join(out, "*.lmdb"))):
        env = lmdb.open(path, max_readers=32, readonly=True, lock=False, readahead=False, meminit=False)
        with env.begin(write=False) as txn:
            n = int(txn.get(b"num-samples"))
            for i in range(1, n + 1):
                label = txn.get(b"label-%09d" % i).decode("utf-8")
                img = Image.open(io.BytesIO(txn.get(b"image-%09d" % i))).convert("RGB")
                meta = json.loads(txn.get(b"meta-%09d" % i))
                assert label == meta["text"] and label, (path, i)
                assert img.size == (meta["width"], meta["height"]), (path, i, img.size)
                assert len(meta["chars"]) == len(label.replace(" ", "")), (path, i)
            total += n
    assert total == expected, f"read {total} records, expected {expected}"
    print(json.dumps({"lmdb": total}))


if __name__ == "__main__":
    main()
