#!/usr/bin/env python3
"""Builds the bundled faces in fonts/ from their sources: subset, renamed as the SIL OFL requires.

Reproducible: the same sources and fontTools version (tools/fonts/requirements.txt) give the
same bytes (timestamps are kept from the source, nothing depends on the clock). Run from the
repository root, see tools/fonts/README.md:

    apt-get install -y fonts-noto-cjk fonts-noto-cjk-extra fonts-lxgw-wenkai
    python3 -m venv /work/venv-fonts && /work/venv-fonts/bin/pip install -r tools/fonts/requirements.txt
    /work/venv-fonts/bin/python tools/fonts/subset.py            # every face
    /work/venv-fonts/bin/python tools/fonts/subset.py SubsetSansSC-Bold.otf   # one face

The npm sources (@fontsource/*, Google Fonts' Chinese faces, cut into ~100 woff2 pieces by
unicode range) are fetched with `npm pack` into tools/fonts/.cache/ and merged back into one
font before subsetting.

Character set (tools/fonts/charset.txt is written for reference): the 8,105 characters of
corpora/tgh-2013.tsv, every character of the bundled word lists (corpora/top50k.tsv,
corpora/tail-words.tsv), printable ASCII, CJK punctuation and symbols (U+3000-303F), fullwidth
forms (U+FF01-FF65), vertical and small forms (U+FE10-FE19, U+FE30-FE6B), general punctuation
(U+2010-2027, U+2030-205E), the Latin-1 marks · « » § ¶ ¡ ¿ and everything the four GB2312 subsets
of the first release held (GB2312's 6,763 hanzi and its punctuation).
"""

import glob
import os
import subprocess
import sys

from fontTools import subset
from fontTools.merge import Merger, Options as MergeOptions
from fontTools.ttLib import TTFont

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, "tools", "fonts", ".cache")
NOTO = "/usr/share/fonts/opentype/noto"
LXGW = "/usr/share/fonts/truetype/lxgw-wenkai"

# Name records that carry the font's name (family, full, unique, PostScript, typographic and
# WWS family, PostScript CID findfont). Copyright (0), trademark (7), designer, URLs and licence
# records are kept as they are: the OFL requires the copyright notice to stay.
NAME_IDS = (1, 3, 4, 6, 16, 18, 20, 21)
# Reserved Font Names and trademarks that must not appear in those records.
RESERVED = ("Noto", "Source", "LXGW", "霞鹜", "Smiley", "得意黑", "思源", "ZCOOL", "站酷",
            "Ma Shan", "Zhi Mang", "Long Cang", "Adobe", "Google")


def noto(kind, weight):
    """Noto Sans/Serif CJK: face 2 of the collection is the Simplified Chinese one."""
    return {"path": f"{NOTO}/Noto{kind}CJK-{weight}.ttc", "index": 2,
            "names": [(f"Noto {kind} CJK SC", f"Subset{kind}SC"),
                      (f"Noto{kind}CJKsc", f"Subset{kind}SC"),
                      (f"Noto{kind}CJKjp", f"Subset{kind}SC")]}


def lxgw(weight):
    return {"path": f"{LXGW}/LXGWWenKai-{weight}.ttf", "index": 0,
            "names": [("LXGW WenKai", "SubsetKaiSC"), ("LXGWWenKai", "SubsetKaiSC"),
                      ("霞鹜文楷", "SubsetKaiSC")]}


def fontsource(package, version, family, ps, new):
    return {"npm": (package, version),
            "names": [(family, new), (ps, new)]}


# out file -> source. The four faces of the first release keep their names (and style); the
# Regular sans, serif and kai now hold the whole 8,105-character list.
FACES = {
    "SubsetSansSC-Thin.otf": noto("Sans", "Thin"),
    "SubsetSansSC-Light.otf": noto("Sans", "Light"),
    "SubsetSansSC-Regular.otf": noto("Sans", "Regular"),
    "SubsetSansSC-Bold.otf": noto("Sans", "Bold"),
    "SubsetSansSC-Black.otf": noto("Sans", "Black"),
    "SubsetSerifSC-Light.otf": noto("Serif", "Light"),
    "SubsetSerifSC-Regular.otf": noto("Serif", "Regular"),
    "SubsetSerifSC-Bold.otf": noto("Serif", "Bold"),
    "SubsetSerifSC-Black.otf": noto("Serif", "Black"),
    "SubsetKaiSC-Light.ttf": lxgw("Light"),
    "SubsetKaiSC-Regular.ttf": lxgw("Regular"),
    "SubsetKaiSC-Bold.ttf": lxgw("Bold"),
    "SubsetRoundedSC-Regular.ttf": fontsource(
        "@fontsource/zcool-kuaile", "5.3.0", "ZCOOL KuaiLe", "ZCOOLKuaiLe", "SubsetRoundedSC"),
    "SubsetPosterSC-Regular.ttf": fontsource(
        "@fontsource/zcool-qingke-huangyou", "5.3.0", "ZCOOL QingKe HuangYou",
        "ZCOOLQingKeHuangYou", "SubsetPosterSC"),
    "SubsetSongDisplaySC-Regular.ttf": fontsource(
        "@fontsource/zcool-xiaowei", "5.3.0", "ZCOOL XiaoWei", "ZCOOLXiaoWei",
        "SubsetSongDisplaySC"),
    "SubsetBrushSC-Regular.ttf": fontsource(
        "@fontsource/ma-shan-zheng", "5.3.1", "Ma Shan Zheng", "MaShanZheng", "SubsetBrushSC"),
    "SubsetBrushSC-Running.ttf": fontsource(
        "@fontsource/zhi-mang-xing", "5.3.0", "Zhi Mang Xing", "ZhiMangXing",
        "SubsetBrushSC-Running"),
    "SubsetHandSC-Regular.ttf": fontsource(
        "@fontsource/long-cang", "5.3.0", "Long Cang", "LongCang", "SubsetHandSC"),
}

# Kept OpenType features: vertical forms and metrics, kerning, proportional CJK widths.
FEATURES = ["vert", "vrt2", "kern", "palt", "vpal", "vkrn"]


def read_tsv_column(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            out.append(line.rstrip("\n").split("\t")[0])
    return out


def charset():
    cps = set()
    for c in read_tsv_column(os.path.join(ROOT, "corpora", "tgh-2013.tsv")):
        cps.add(ord(c))
    for name in ("top50k.tsv", "tail-words.tsv"):
        path = os.path.join(ROOT, "corpora", name)
        if os.path.exists(path):
            for w in read_tsv_column(path):
                cps.update(ord(c) for c in w)
    # GB2312's hanzi and punctuation rows (everything the first release's subsets held).
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                cps.add(ord(bytes([b1, b2]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    ranges = [(0x20, 0x7E), (0x3000, 0x303F), (0xFF01, 0xFF65), (0xFE10, 0xFE19),
              (0xFE30, 0xFE6B), (0x2010, 0x2027), (0x2030, 0x205E)]
    for lo, hi in ranges:
        cps.update(range(lo, hi + 1))
    cps.update([0xA1, 0xA7, 0xAB, 0xB6, 0xB7, 0xBB, 0xBF])
    return sorted(cps)


def npm_source(package, version):
    """The merged font of an @fontsource package (numbered unicode-range pieces + latin)."""
    os.makedirs(CACHE, exist_ok=True)
    stem = package.replace("@", "").replace("/", "-") + "-" + version
    merged = os.path.join(CACHE, stem + ".ttf")
    if os.path.exists(merged):
        return merged
    tgz = os.path.join(CACHE, stem + ".tgz")
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=CACHE,
                       check=True, stdout=subprocess.DEVNULL)
    unpacked = os.path.join(CACHE, stem)
    os.makedirs(unpacked, exist_ok=True)
    subprocess.run(["tar", "xzf", tgz, "-C", unpacked], check=True)
    files = glob.glob(os.path.join(unpacked, "package", "files", "*-400-normal.woff2"))
    # The numbered pieces cover more than the one-file `chinese-simplified` subset.
    pieces = sorted(f for f in files if "-chinese-simplified-" not in f)
    ttfs = []
    for i, f in enumerate(pieces):
        t = TTFont(f, recalcTimestamp=False)
        t.flavor = None
        out = os.path.join(unpacked, f"piece{i:03d}.ttf")
        t.save(out)
        ttfs.append(out)
    # Layout tables of the pieces only hold lookups for their own glyphs; hinting programs
    # differ per piece. Neither is used by hanzi-synth's renderer.
    m = Merger(options=MergeOptions(drop_tables=["GSUB", "GPOS", "GDEF", "fpgm", "prep", "cvt ",
                                                 "gasp"]))
    font = m.merge(ttfs)
    # The merger stamps the current time; keep the pieces' own dates (reproducible bytes).
    first = TTFont(ttfs[0])
    font["head"].created = first["head"].created
    font["head"].modified = first["head"].modified
    font.recalcTimestamp = False
    font.save(merged)
    return merged


def rename(font, pairs, out_name):
    """Replaces the original names in the name records (all languages) and the CFF names."""
    stem = os.path.splitext(out_name)[0]
    ps = stem if "-" in stem else stem + "-Regular"
    name = font["name"]
    english = {}
    for r in name.names:
        if r.nameID in NAME_IDS:
            s = r.toUnicode()
            for old, new in pairs:
                s = s.replace(old, new)
            if r.nameID == 6:
                s = ps
            if r.nameID == 3:
                s = ps + ";subset"
            if r.nameID == 20:
                s = ps
            r.string = s
            if r.platformID == 3 and r.langID == 0x409:
                english[r.nameID] = s
    # Localised names (霞鹜文楷 …) that no pair caught take the English value.
    for r in name.names:
        if r.nameID in NAME_IDS and any(t in r.toUnicode() for t in RESERVED):
            if r.nameID in english:
                r.string = english[r.nameID]
    name.names = [r for r in name.names if r.nameID not in (21, 22)]
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [ps]
        td = cff.topDictIndex[0]
        for attr in ("FullName", "FamilyName"):
            if hasattr(td, attr):
                v = getattr(td, attr)
                for old, new in pairs:
                    v = v.replace(old, new)
                setattr(td, attr, v)
        if hasattr(td, "FDArray"):
            for fd in td.FDArray:
                v = fd.FontName
                for old, new in pairs:
                    v = v.replace(old, new)
                fd.FontName = v
    for r in name.names:
        if r.nameID in NAME_IDS:
            s = r.toUnicode()
            bad = [t for t in RESERVED if t in s]
            if bad:
                raise SystemExit(f"{out_name}: name {r.nameID} still holds {bad}: {s!r}")


def build(out_name, spec, cps):
    if "npm" in spec:
        path, index, hinting = npm_source(*spec["npm"]), 0, False
    else:
        path, index, hinting = spec["path"], spec["index"], True
    opts = subset.Options()
    opts.layout_features = FEATURES
    opts.layout_scripts = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.name_legacy = True
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.hinting = hinting
    opts.recalc_timestamp = False
    opts.drop_tables = [t for t in opts.drop_tables if t != "BASE"]
    opts.font_number = index
    font = subset.load_font(path, opts, lazy=False)
    sub = subset.Subsetter(options=opts)
    sub.populate(unicodes=cps)
    sub.subset(font)
    rename(font, spec["names"], out_name)
    out = os.path.join(ROOT, "fonts", out_name)
    subset.save_font(font, out, opts)
    cmap = font.getBestCmap()
    print(f"{out_name}: {font['maxp'].numGlyphs} glyphs, {len(cmap)} characters, "
          f"{os.path.getsize(out)} bytes", flush=True)


def main():
    cps = charset()
    with open(os.path.join(ROOT, "tools", "fonts", "charset.txt"), "w", encoding="utf-8") as f:
        for cp in cps:
            f.write(chr(cp) + "\n")
    wanted = sys.argv[1:] or list(FACES)
    for name in wanted:
        build(name, FACES[name], cps)


if __name__ == "__main__":
    main()
