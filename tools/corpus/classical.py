#!/usr/bin/env python3
"""Derives corpora/classical-paragraphs.txt, the bundled paragraph corpus (`corpus.text.source:
bundled-classical`), from the texts of the npm package chinese-poetry 2.0.1.

The package is MIT-licensed (Copyright (c) 2016 JackeyGao; corpora/LICENSE-chinese-poetry.txt);
the texts themselves are classical Chinese in the public domain. Reproducible: the same tarball
(its SHA-256 is pinned below) and OpenCC version (tools/corpus/requirements.txt) give the same
bytes. Run from the repository root:

    python3 -m venv /work/venv-corpus && /work/venv-corpus/bin/pip install -r tools/corpus/requirements.txt
    /work/venv-corpus/bin/python tools/corpus/classical.py

The script fetches the package itself (`npm pack chinese-poetry@2.0.1` into tools/corpus/.cache/,
then unpacks it there); `--package DIR` uses an already unpacked `package/` folder instead.

What it keeps (see corpora/README.md for the counts it prints):

1. Sources, in this order: prose — 论语 (lunyu), 孟子, 大学, 中庸 (sishuwujing), 古文观止, 幼学琼林
   (mengxue); verse — 诗经 (each stanza), 唐诗三百首 and 宋词 (each poem, its lines joined: 宋词三百首, then
   every tenth ci of songci's ci.song.N.json files, to keep the file small and prose and
   verse about even), 三字经 (sanzijing-new).
2. Traditional sources are converted to simplified with OpenCC's `t2s` configuration (the
   simplified ones — lunyu, shijing, songci — are taken as they are).
3. Paragraphs longer than MAX_CHARS are cut into consecutive pieces of whole sentences (a
   sentence ends after 。！？ and the closing quotes or brackets that follow, outside any quote);
   a sentence longer than MAX_CHARS on its own is left out.
4. A paragraph (or piece) is kept only if every character is one of the 8,105 standard
   characters (corpora/tgh-2013.tsv) or one of the CJK punctuation marks in PUNCTUATION, its
   quotes and brackets are balanced and properly nested, it holds at least one mark, and it is
   MIN_CHARS to MAX_CHARS characters long.
5. Exact duplicates are dropped (the first one stays); order is source order.

Output: UTF-8, one paragraph per line, after `#` header lines naming the source and licence.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile

import opencc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, "tools", "corpus", ".cache")
PACKAGE = "chinese-poetry@2.0.1"
TARBALL = "chinese-poetry-2.0.1.tgz"
TARBALL_SHA256 = "25b549e46919c3a0569db6b68ddc96956b04a484ea4518ad2bbd4f137e307e86"
OUT = os.path.join(ROOT, "corpora", "classical-paragraphs.txt")

MIN_CHARS = 8
MAX_CHARS = 120
SONGCI_EVERY = 10

PUNCTUATION = set("，。、；：？！“”‘’「」『』《》（）—…·")
PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "（": "）"}
CLOSERS = set(PAIRS.values())
ENDS = set("。！？")


def fetch(cache):
    """The unpacked package folder in `cache`, fetched with `npm pack` when missing."""
    package = os.path.join(cache, "package")
    if os.path.isdir(package):
        return package
    os.makedirs(cache, exist_ok=True)
    tgz = os.path.join(cache, TARBALL)
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", "--silent", PACKAGE, "--pack-destination", cache], check=True)
    digest = hashlib.sha256(open(tgz, "rb").read()).hexdigest()
    if digest != TARBALL_SHA256:
        sys.exit(f"{tgz}: SHA-256 {digest}, expected {TARBALL_SHA256}")
    with tarfile.open(tgz) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("package/")]
        tar.extractall(cache, members=members, filter="data")
    return package


def load(package, path):
    with open(os.path.join(package, "dist", path), encoding="utf-8") as f:
        return json.load(f)


def sources(package):
    """(name, simplified?, [paragraph]) per source, in output order."""
    lunyu = [p for c in load(package, "lunyu/lunyu.json") for p in c["paragraphs"]]
    mengzi = [p for c in load(package, "sishuwujing/mengzi.json") for p in c["paragraphs"]]
    daxue = load(package, "sishuwujing/daxue.json")["paragraphs"]
    zhongyong = load(package, "sishuwujing/zhongyong.json")["paragraphs"]
    guwen = [
        p
        for volume in load(package, "mengxue/guwenguanzhi.json")["content"]
        for piece in volume["content"]
        for p in piece["paragraphs"]
    ]
    youxue = [
        p
        for volume in load(package, "mengxue/youxueqionglin.json")["content"]
        for chapter in volume["content"]
        for p in chapter["paragraphs"]
    ]
    shijing = [s for poem in load(package, "shijing/shijing.json") for s in poem["content"]]
    tangshi = [
        "".join(poem["paragraphs"])
        for kind in load(package, "mengxue/tangshisanbaishou.json")["content"]
        for poem in kind["content"]
    ]
    # ci.song.N.json, N = 0, 1000, …, 21000 (ci.song.2019y.json, a later addition of three ci
    # partly in traditional characters, is left out).
    songci_files = sorted(
        (f for f in os.listdir(os.path.join(package, "dist", "songci")) if re.fullmatch(r"ci\.song\.\d+\.json", f)),
        key=lambda f: int(f.split(".")[2]),
    )
    songci_300 = ["".join(ci["paragraphs"]) for ci in load(package, "songci/宋词三百首.json")]
    songci = [
        "".join(ci["paragraphs"]) for f in songci_files for ci in load(package, "songci/" + f)
    ][::SONGCI_EVERY]
    sanzijing = load(package, "mengxue/sanzijing-new.json")["paragraphs"]
    return [
        ("lunyu", True, lunyu),
        ("mengzi", False, mengzi),
        ("daxue", False, daxue),
        ("zhongyong", False, zhongyong),
        ("guwenguanzhi", False, guwen),
        ("youxueqionglin", False, youxue),
        ("shijing", True, shijing),
        ("tangshisanbaishou", False, tangshi),
        ("songci-300", True, songci_300),
        ("songci", True, songci),
        ("sanzijing", False, sanzijing),
    ]


def sentences(text):
    """`text` cut after every sentence end (。！？ and the closers after it) outside quotes."""
    out, start, depth, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in PAIRS:
            depth += 1
        elif c in CLOSERS:
            depth = max(depth - 1, 0)
        i += 1
        if c in ENDS:
            while i < len(text) and (text[i] in ENDS or (text[i] in CLOSERS and depth > 0)):
                if text[i] in CLOSERS:
                    depth -= 1
                i += 1
            if depth == 0:
                out.append(text[start:i])
                start = i
    if start < len(text):
        out.append(text[start:])
    return out


def pieces(text):
    """`text` if short enough, else consecutive runs of whole sentences of at most MAX_CHARS."""
    if len(text) <= MAX_CHARS:
        return [text]
    out, cur = [], ""
    for s in sentences(text):
        if len(s) > MAX_CHARS:
            if cur:
                out.append(cur)
            cur = ""
            continue
        if len(cur) + len(s) > MAX_CHARS:
            out.append(cur)
            cur = ""
        cur += s
    if cur:
        out.append(cur)
    return out


def balanced(text):
    stack = []
    for c in text:
        if c in PAIRS:
            stack.append(PAIRS[c])
        elif c in CLOSERS:
            if not stack or stack.pop() != c:
                return False
    return not stack


def why_not(text, standard):
    """The reason a piece is left out, or None."""
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        return "length"
    if any(c not in standard and c not in PUNCTUATION for c in text):
        return "character outside the standard list and the punctuation"
    if not any(c in PUNCTUATION for c in text):
        return "no punctuation"
    if not balanced(text):
        return "unbalanced quotes or brackets"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--package", help="an unpacked chinese-poetry 2.0.1 `package/` folder")
    ap.add_argument("-o", "--out", default=OUT)
    args = ap.parse_args()
    package = args.package or fetch(CACHE)
    with open(os.path.join(ROOT, "corpora", "tgh-2013.tsv"), encoding="utf-8") as f:
        standard = {line.split("\t")[0] for line in f if not line.startswith("#")}
    assert len(standard) == 8105, len(standard)
    t2s = opencc.OpenCC("t2s")
    seen, kept = set(), []
    for name, simplified, paragraphs in sources(package):
        dropped, duplicates, before = {}, 0, len(kept)
        for p in paragraphs:
            p = p.strip()
            if not simplified:
                p = t2s.convert(p)
            for piece in pieces(p):
                why = why_not(piece, standard)
                if why:
                    dropped[why] = dropped.get(why, 0) + 1
                elif piece in seen:
                    duplicates += 1
                else:
                    seen.add(piece)
                    kept.append(piece)
        chars = sum(len(k) for k in kept[before:])
        print(
            f"{name}: {len(paragraphs)} paragraphs, kept {len(kept) - before} pieces "
            f"({chars} characters); dropped {duplicates} duplicates, "
            + ", ".join(f"{n} {why}" for why, n in sorted(dropped.items())),
            file=sys.stderr,
        )
    header = (
        "# Classical Chinese paragraphs (public domain texts) from the npm package chinese-poetry 2.0.1\n"
        "# (MIT License, Copyright (c) 2016 JackeyGao; corpora/LICENSE-chinese-poetry.txt), converted\n"
        "# to simplified characters with OpenCC and filtered by tools/corpus/classical.py; see\n"
        "# corpora/README.md. One paragraph per line.\n"
    )
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(header)
        for k in kept:
            f.write(k + "\n")
    total = sum(len(k) for k in kept)
    distinct = len({c for k in kept for c in k})
    print(
        f"wrote {len(kept)} paragraphs, {total} characters ({distinct} distinct), "
        f"{os.path.getsize(args.out)} bytes to {os.path.relpath(args.out, ROOT)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
