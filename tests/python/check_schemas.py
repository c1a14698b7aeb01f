"""Reads hanzi-synth's trainer annotation files the way those trainers' data loaders do.

Usage: check_schemas.py SCENES_DIR CROPS_DIR
SCENES_DIR: imagefolder output with labels anytext, textdiffuser2, glyphcontrol, glyph_byt5,
paddleocr_det (and conditions.glyph); CROPS_DIR: imagefolder line crops with paddleocr_rec.
Exits non-zero (with a message) on any mismatch.
"""
import glob
import json
import os
import re
import string
import sys

import numpy as np
from PIL import Image


def paddle_lines(data_dir, name):
    # PaddleOCR SimpleDataSet: label_file_list rows "path\tlabel", images at data_dir/path.
    rows = []
    for f in sorted(glob.glob(os.path.join(data_dir, "*", name))):
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                path, label = line.rstrip("\n").split("\t", 1)
                img = os.path.join(data_dir, path)
                assert os.path.exists(img), img
                rows.append((img, label))
    return rows


def check_det(data_dir):
    rows = paddle_lines(data_dir, "det_gt.txt")
    for img, label in rows:
        w, h = Image.open(img).size
        boxes = json.loads(label)  # DetLabelEncode: json.loads, then points as float32 arrays
        assert boxes, img
        for b in boxes:
            pts = np.array(b["points"], dtype=np.float32)
            assert pts.shape == (4, 2), (img, pts.shape)
            assert (pts[:, 0] >= -0.5).all() and (pts[:, 0] <= w + 0.5).all(), img
            assert (pts[:, 1] >= -0.5).all() and (pts[:, 1] <= h + 0.5).all(), img
            assert b["transcription"], img
    return len(rows)


def check_rec(data_dir):
    rows = paddle_lines(data_dir, "rec_gt.txt")
    for img, text in rows:
        meta_rows = {}
        chunk = os.path.dirname(img)
        with open(os.path.join(chunk, "metadata.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                meta_rows[r["file_name"]] = r
        assert meta_rows[os.path.basename(img)]["text"] == text, (img, text)
        Image.open(img).verify()
    return len(rows)


ANYTEXT_POS = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom",
               "bottom right"]


def anytext_load_data(json_path):
    # AnyText t3_dataset.T3DataSet.load_data, step by step: the image path is
    # os.path.join(data_root, img_name) resolved from the trainer's own working folder;
    # annotations with an empty polygon are skipped; `valid is False` ones only go to the loss
    # mask; texts, languages and `pos` are collected from the valid ones.
    content = json.load(open(json_path, encoding="utf-8"))
    items = []
    for gt in content["data_list"]:
        item = {"img_path": os.path.join(content["data_root"], gt["img_name"]),
                "caption": gt.get("caption", ""), "polygons": [], "invalid_polygons": [],
                "texts": [], "language": [], "pos": []}
        for a in gt.get("annotations", []):
            if len(a["polygon"]) == 0:
                continue
            if a.get("valid", True) is False:
                item["invalid_polygons"].append(a["polygon"])
                continue
            item["polygons"].append(a["polygon"])
            item["texts"].append(a["text"][:20])
            item["language"].append(a["language"])
            if "pos" in a:
                item["pos"].append(a["pos"])
        items.append(item)
    return items


def anytext_caption(caption, n_lines):
    # AnyText __getitem__ with caption_pos_prob=0 (train.py): `*` in the stored caption become
    # spaces, then a phrase and one `*` per line: "<caption>, that reads * , * ."
    caption = caption.replace("*", " ")
    pos = "".join("*" + " , " for _ in range(n_lines))
    return caption + ", that reads " + pos[:-2] + "."


def check_anytext(data_dir):
    import cv2  # AnyText's own calls, on AnyText's arrays

    n = 0
    here = os.getcwd()
    # The trainer runs from its repository, not from our output folder.
    os.chdir("/")
    try:
        for f in sorted(glob.glob(os.path.join(data_dir, "*", "anytext.json"))):
            meta = {}
            with open(os.path.join(os.path.dirname(f), "metadata.jsonl"), encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    meta[r["file_name"]] = r
            root = json.load(open(f, encoding="utf-8"))["data_root"]
            assert os.path.isabs(root), root
            for item in anytext_load_data(f):
                assert os.path.exists(item["img_path"]), item["img_path"]
                target = np.array(Image.open(item["img_path"]).convert("RGB"))
                row = meta[os.path.basename(item["img_path"])]
                lines = row["lines"]
                # The loader stretches every image to 512×512 and keeps the polygons as they are.
                if target.shape[:2] != (512, 512):
                    target = cv2.resize(target, (512, 512))
                assert item["texts"] and len(item["texts"]) <= 5, item["img_path"]
                assert len(item["texts"]) + len(item["invalid_polygons"]) == len(lines)
                valid = [l for i, l in enumerate(lines) if i < 5 and len(l["text"]) <= 20]
                assert len(valid) == len(item["texts"]) == len(item["pos"]), item["img_path"]
                positions = np.zeros((512, 512), dtype=np.uint8)
                for poly in item["polygons"] + item["invalid_polygons"]:
                    poly = np.array(poly)
                    # JSON floats would make float64 arrays, which these calls reject.
                    assert poly.dtype.kind == "i", (item["img_path"], poly.dtype)
                    cv2.minAreaRect(poly)
                    cv2.minAreaRect(poly * 2)  # draw_glyph2 at glyph_scale 2
                    cv2.fillPoly(positions, [poly.reshape((-1, 1, 2))], 255)
                for text, lang, pos, line in zip(item["texts"], item["language"], item["pos"],
                                                 valid):
                    assert lang in ("Chinese", "Latin") and text == line["text"]
                    assert ANYTEXT_POS[pos] == line["position"], (pos, line["position"])
                # Meaning: the ink (our glyph raster, resized as the loader resizes the image)
                # lies inside the loader's position masks.
                glyph = np.array(Image.open(os.path.join(
                    os.path.dirname(item["img_path"]), row["glyph_file"])).convert("L"))
                ink = cv2.resize(glyph, (512, 512)) < 128
                inside = (ink & (positions > 0)).sum() / max(int(ink.sum()), 1)
                assert inside >= 0.98, (item["img_path"], inside)
                # The caption is English (CLIP) and holds no text: the loader adds one `*` per
                # line, each replaced by that line's OCR embedding.
                assert item["caption"] and item["caption"].isascii(), item["caption"]
                assert "*" not in item["caption"] and '"' not in item["caption"], item["caption"]
                caption = anytext_caption(item["caption"], len(item["texts"]))
                assert caption.count("*") == len(item["texts"]), caption
                n += 1
    finally:
        os.chdir(here)
    return n


def jsonl(data_dir, name):
    for f in sorted(glob.glob(os.path.join(data_dir, "*", name))):
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                yield os.path.dirname(f), json.loads(line)


TD2_ALPHABET = (string.digits + string.ascii_lowercase + string.ascii_uppercase
                + string.punctuation + " ")


def td2_merge_lines(words):
    # TextDiffuser-2 preprocess_train: words sorted by x-centre are joined into one line when
    # each one's y-centre lies inside the other's y-range and they nearly touch
    # ((w1 + w2) / (x_max2 - x_min1) >= 0.8); merged texts join with a space.
    words = sorted(words, key=lambda w: (w[0] + w[2]) // 2)
    lines = []
    for w in words:
        for i, l in enumerate(lines):
            yc_w, yc_l = (w[1] + w[3]) // 2, (l[1] + l[3]) // 2
            a, b = (l, w) if l[0] <= w[0] else (w, l)
            span = b[2] - a[0]
            if (l[1] <= yc_w <= l[3] and w[1] <= yc_l <= w[3] and span > 0
                    and ((a[2] - a[0]) + (b[2] - b[0])) / span >= 0.8):
                lines[i] = [min(l[0], w[0]), min(l[1], w[1]), max(l[2], w[2]), max(l[3], w[3]),
                            l[4] + " " + w[4]]
                break
        else:
            lines.append(list(w))
    return lines


def clip_tokenizer():
    # The SD-1.5 CLIP tokenizer TextDiffuser-2 loads, built from OpenAI's BPE merges (shipped in
    # the open_clip_torch wheel; .ci/run puts them at $HANZI_SYNTH_CLIP_BPE): byte-level
    # unicode symbols, their `</w>` forms, the merges, then the start and end tokens.
    import gzip
    import tempfile

    from transformers import CLIPTokenizer

    path = os.environ.get("HANZI_SYNTH_CLIP_BPE")
    assert path and os.path.exists(path), "set HANZI_SYNTH_CLIP_BPE (.ci/run does)"
    byte_symbols = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                    + list(range(ord("®"), ord("ÿ") + 1)))
    symbols, extra = byte_symbols[:], 0
    for b in range(256):
        if b not in byte_symbols:
            byte_symbols.append(b)
            symbols.append(256 + extra)
            extra += 1
    base = [chr(c) for c in symbols]
    merges = gzip.open(path).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    vocab = base + [v + "</w>" for v in base] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    folder = tempfile.mkdtemp()
    json.dump({v: i for i, v in enumerate(vocab)}, open(os.path.join(folder, "vocab.json"), "w"))
    open(os.path.join(folder, "merges.txt"), "w").write("#version: 0.2\n" + "\n".join(merges) + "\n")
    return CLIPTokenizer(os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt"))


def check_textdiffuser2(data_dir):
    # Its --index_file_path is the chunks' index files joined; --dataset_path is the output.
    index = []
    alphabet = set(TD2_ALPHABET)
    for f in sorted(glob.glob(os.path.join(data_dir, "*", "textdiffuser2_index.txt"))):
        index += open(f, encoding="utf-8").readlines()
        chunk = os.path.dirname(f)
        alphabet |= {l.rstrip("\n") for l in
                     open(os.path.join(chunk, "textdiffuser2_alphabet.txt"), encoding="utf-8")}
    # Its tokenizer changes: 520 coordinate tokens of each kind, then `[c]` per alphabet
    # character (the 95 ASCII ones, then ours, in a fixed order).
    tok = clip_tokenizer()
    for i in range(520):
        for kind in "ltrb":
            tok.add_tokens([kind + str(i)])
    letters = TD2_ALPHABET + "".join(sorted(alphabet - set(TD2_ALPHABET)))
    for c in letters:
        tok.add_tokens(["[%s]" % c])
    n = 0
    for line in index:
        first, second = line.strip().split("_")  # exactly one `_`
        folder = os.path.join(data_dir, first, second)
        image = Image.open(os.path.join(folder, "image.jpg")).convert("RGB")
        assert image.size == (512, 512), image.size  # it never resizes
        caption = open(os.path.join(folder, "caption.txt"), encoding="utf-8").readlines()[0]
        assert caption.strip(), folder
        meta = {}
        for row in map(json.loads, open(os.path.join(data_dir, first, "metadata.jsonl"),
                                        encoding="utf-8")):
            meta[row["file_name"]] = row
        lines = meta[second + ".jpg"]["lines"]
        words = []
        for row in open(os.path.join(folder, "ocr.txt"), encoding="utf-8").readlines():
            pred, box, prob = row.strip().split()
            x1, y1, x2, y2, x3, y3, x4, y4 = [int(v) for v in box.split(",")]
            x_min, x_max = min(x1, x2, x3, x4), max(x1, x2, x3, x4)
            y_min, y_max = min(y1, y2, y3, y4), max(y1, y2, y3, y4)
            assert x_max > x_min and y_max > y_min, row
            words.append((x_min, y_min, x_max, y_max, pred))
        assert [w[4] for w in words] == ["".join(l["text"].split()) for l in lines], folder
        for (x_min, y_min, x_max, y_max, pred), line in zip(words, lines):
            # Its box tokens l/t/r/b = coordinate // 4 (granularity 128), clipped to 0..128,
            # must hold the word's ink (every character quad).
            q = lambda v: int(np.clip(v // (512 // 128), 0, 128))
            l, t, r, b = q(x_min), q(y_min), q(x_max), q(y_max)
            pts = np.array([p for c in line["chars"] for p in c["quad"]])
            assert 4 * l <= pts[:, 0].min() + 1 and 4 * (r + 1) >= pts[:, 0].max() - 1, (pred, l, r)
            assert 4 * t <= pts[:, 1].min() + 1 and 4 * (b + 1) >= pts[:, 1].max() - 1, (pred, t, b)
            # Every character has its `[c]` token once the alphabet is extended.
            assert all(c in alphabet for c in pred), pred
        merged = td2_merge_lines(words)
        assert sum(len(m[4].replace(" ", "")) for m in merged) == sum(len(w[4]) for w in words)
        # Its prompt, as token ids: per line l/t/r/b box tokens, a `[c]` token per character,
        # the end token; characters outside the alphabet would silently become the end token.
        ids = []
        for x_min, y_min, x_max, y_max, pred in merged:
            q = lambda v: int(np.clip(v // (512 // 128), 0, 128))
            box = ["l%d" % q(x_min), "t%d" % q(y_min), "r%d" % q(x_max), "b%d" % q(y_max)]
            ids += tok.convert_tokens_to_ids(box)
            assert ids[-4:] == [49408 + 4 * q(x_min), 49409 + 4 * q(y_min),
                                49410 + 4 * q(x_max), 49411 + 4 * q(y_max)], (box, ids[-4:])
            chars = tok.convert_tokens_to_ids(["[%s]" % c for c in pred])
            assert tok.eos_token_id not in chars and tok.unk_token_id not in chars, pred
            # `[c]` ids follow the coordinate tokens in alphabet order (49408 + 4·520 = 51488).
            assert chars == [51488 + letters.index(c) for c in pred], (pred, chars)
            ids += chars + [tok.eos_token_id]
        caption_ids = tok(caption, truncation=True).input_ids
        assert len(caption_ids) <= 77, len(caption_ids)
        n += 1
    return n


def check_glyphcontrol(data_dir):
    # GlyphControl's TextCaps loader (textcaps_control.py): one caption file and one OCR file
    # (the chunks' `data` lists joined, as the README says), images at FOLDER/ID.jpg, hints at
    # HINTS/ID.jpg, where HINTS is a tree of links to the chunks' glyphcontrol_hint folders.
    import tempfile

    captions, ocr = [], {}
    hints = tempfile.mkdtemp()
    for f in sorted(glob.glob(os.path.join(data_dir, "*", "glyphcontrol_captions.json"))):
        chunk = os.path.dirname(f)
        captions += json.load(open(f, encoding="utf-8"))["data"]
        for row in json.load(open(os.path.join(chunk, "glyphcontrol_ocr.json"),
                                  encoding="utf-8"))["data"]:
            ocr[row["image_id"]] = row
        os.symlink(os.path.join(os.path.abspath(chunk), "glyphcontrol_hint"),
                   os.path.join(hints, os.path.basename(chunk)))
    n = 0
    for row in captions:
        image_id = row["image_id"]
        # Empty lists make it draw another sample: every one must be filled.
        assert row["reference_strs"] and row["image_classes"], row
        info = ocr[image_id]
        assert info["ocr_tokens"] and info["ocr_info"], info
        image = Image.open(os.path.join(data_dir, image_id + ".jpg")).convert("RGB")
        hint = Image.open(os.path.join(hints, image_id + ".jpg")).convert("RGB")
        assert hint.size == image.size, (hint.size, image.size)
        w, h = image.size
        chunk, key = image_id.split("/")
        meta = {}
        for m in map(json.loads, open(os.path.join(data_dir, chunk, "metadata.jsonl"),
                                      encoding="utf-8")):
            meta[m["file_name"]] = m
        lines = meta[key + ".jpg"]["lines"]
        caption = row["reference_strs"][0]
        assert caption.isascii() is False or all(l["text"] in caption for l in lines)
        for l in lines:
            assert '"' + l["text"] in caption or l["text"] in caption, (l["text"], caption)
        polys = []
        for box, line in zip(info["ocr_info"], lines):
            b = box["bounding_box"]
            # Its arithmetic: int() of the normalised values times the image size, then the
            # box turned by `yaw` degrees about its top-left corner.
            x, y = int(b["top_left_x"] * w), int(b["top_left_y"] * h)
            bw, bh = int(b["width"] * w), int(b["height"] * h)
            a = np.deg2rad(b["yaw"])
            rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            corners = np.array([[0, 0], [bw, 0], [bw, bh], [0, bh]]) @ rot.T + [x, y]
            polys.append(corners)
            assert box["word"] == line["text"]
            for ch in line["chars"]:
                for px, py in ch["quad"]:
                    # Inside the turned box (2 px for the int() truncations).
                    rel = np.linalg.solve(rot, np.array([px - x, py - y]))
                    assert -2 <= rel[0] <= bw + 2 and -2 <= rel[1] <= bh + 2, (line["text"], rel)
        # Meaning: the hint's dark pixels (black on white, as its loader expects) lie in the
        # boxes.
        dark = np.array(hint.convert("L")) < 128
        assert dark.any() and np.array(hint.convert("L"))[0, 0] > 200
        ys, xs = np.nonzero(dark)
        inside = np.zeros(len(xs), dtype=bool)
        for poly in polys:
            a = np.deg2rad(0)
            x0, y0 = poly[0]
            e1, e2 = poly[1] - poly[0], poly[3] - poly[0]
            rel_x = ((xs + 0.5 - x0) * e1[0] + (ys + 0.5 - y0) * e1[1]) / max(e1 @ e1, 1e-9)
            rel_y = ((xs + 0.5 - x0) * e2[0] + (ys + 0.5 - y0) * e2[1]) / max(e2 @ e2, 1e-9)
            pad_x, pad_y = 3 / max(np.sqrt(e1 @ e1), 1), 3 / max(np.sqrt(e2 @ e2), 1)
            inside |= ((rel_x >= -pad_x) & (rel_x <= 1 + pad_x)
                       & (rel_y >= -pad_y) & (rel_y <= 1 + pad_y))
        assert inside.mean() >= 0.99, (image_id, inside.mean())
        n += 1
    return n


def byt5_color_name(hex_color):
    # Glyph-ByT5 glyph_data.convert_rgb_to_names: the exact CSS3 name, else the nearest CSS3
    # colour by squared RGB distance over webcolors.CSS3_HEX_TO_NAMES (webcolors 1.13).
    import webcolors

    rgb = webcolors.hex_to_rgb(hex_color)
    try:
        return webcolors.rgb_to_name(rgb)
    except ValueError:
        best = {}
        for key, name in webcolors.CSS3_HEX_TO_NAMES.items():
            r, g, b = webcolors.hex_to_rgb(key)
            best[(r - rgb[0]) ** 2 + (g - rgb[1]) ** 2 + (b - rgb[2]) ** 2] = name
        return best[min(best)]


def byt5_caption(texts, styles, font_idx, color_idx):
    # Glyph-ByT5 glyph_data.get_caption_text, step by step.
    prompt = ""
    for text, style in zip(texts, styles):
        attrs = ["<color-%d>" % color_idx[byt5_color_name(style["color"])],
                 "<font-%d>" % font_idx[style["font-family"]]]
        prompt += 'Text "%s"' % text + " in " + ", ".join(attrs) + ". "
    return prompt


def check_glyph_byt5(data_dir):
    from transformers import ByT5Tokenizer

    color_idx = json.load(open(os.path.join(os.path.dirname(__file__), "byt5_color_idx.json")))
    n = 0
    for f in sorted(glob.glob(os.path.join(data_dir, "*", "glyph_byt5.json"))):
        chunk = os.path.dirname(f)
        items = json.load(open(f, encoding="utf-8"))  # its --meta_path: one JSON array
        font_idx = json.load(open(os.path.join(chunk, "glyph_byt5_font_idx.json")))
        # Its tokens are added as range(len(dict)): the indices must be 0..N-1.
        assert sorted(font_idx.values()) == list(range(len(font_idx))), font_idx
        tok = ByT5Tokenizer()
        tok.add_tokens(["<color-%d>" % i for i in range(len(color_idx))] +
                       ["<font-%d>" % i for i in range(len(font_idx))], special_tokens=True)
        meta = {}
        with open(os.path.join(chunk, "metadata.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                meta[r["file_name"]] = r
        for item in items:
            row = meta[item["file_name"]]
            w, h = row["width"], row["height"]
            assert len(item["texts"]) == len(item["styles"]) == len(item["bbox"]) == len(row["lines"])
            for style in item["styles"]:
                assert "font-family" in style and style["font-family"] in font_idx, style
            prompt = byt5_caption(item["texts"], item["styles"], font_idx, color_idx)
            assert prompt == item["text_prompt"], (prompt, item["text_prompt"])
            ids = tok(prompt).input_ids
            assert len(ids) <= 512, len(ids)
            # The prompt tokenizes as its pieces one after another (colour and font tokens are
            # single tokens, text is UTF-8 bytes), each starting with `Text "`: the spans the
            # glyph attention masks are built on.
            total = 0
            for text, style in zip(item["texts"], item["styles"]):
                piece = byt5_caption([text], [style], font_idx, color_idx)
                piece_ids = tok(piece, add_special_tokens=False).input_ids
                assert tok.decode(piece_ids[:6]) == 'Text "', tok.decode(piece_ids[:6])
                assert len(piece_ids) == len(piece.encode("utf-8")) - sum(
                    len(a) - 1 for a in re.findall(r"<(?:color|font)-\d+>", piece)), piece
                total += len(piece_ids)
            assert len(tok(prompt, add_special_tokens=False).input_ids) == total
            glyph = np.array(Image.open(os.path.join(chunk, row["glyph_file"])).convert("L"))
            for text, (x, y, bw, bh, angle), line in zip(item["texts"], item["bbox"], row["lines"]):
                assert text == line["text"] and angle == 0
                # Boxes live on its 1645×1645 canvas; back in pixels they hold the line's ink.
                x0, y0 = x * w / 1645, y * h / 1645
                x1, y1 = (x + bw) * w / 1645, (y + bh) * h / 1645
                quad = np.array(line["quad"])
                assert x0 <= quad[:, 0].min() + 0.1 and x1 >= quad[:, 0].max() - 0.1, (x0, x1)
                assert y0 <= quad[:, 1].min() + 0.1 and y1 >= quad[:, 1].max() - 0.1, (y0, y1)
                px = [(round(c[0]), round(c[1])) for ch in line["chars"] for c in ch["quad"]]
                cx = min(max(sum(p[0] for p in px) // len(px), 0), w - 1)
                cy = min(max(sum(p[1] for p in px) // len(px), 0), h - 1)
                assert x0 <= cx <= x1 and y0 <= cy <= y1
            # The ink of the whole picture lies within the union of the boxes.
            ink = glyph < 128
            inside = np.zeros_like(ink)
            for x, y, bw, bh, _ in item["bbox"]:
                inside[int(y * h / 1645):int(np.ceil((y + bh) * h / 1645)) + 1,
                       int(x * w / 1645):int(np.ceil((x + bw) * w / 1645)) + 1] = True
            share = (ink & inside).sum() / max(int(ink.sum()), 1)
            assert share >= 0.99, (item["file_name"], share)
            n += 1
    return n


def check_textatlas(data_dir):
    # TextAtlas5M rows: image_path (relative to the dataset root), annotation (the prompt with the
    # text in it), raw_text; and the announced detailed fields.
    n = 0
    for chunk, row in jsonl(data_dir, "textatlas.jsonl"):
        path = os.path.join(data_dir, row["image_path"])
        assert os.path.exists(path), path
        meta = {}
        for m in map(json.loads, open(os.path.join(chunk, "metadata.jsonl"), encoding="utf-8")):
            meta[m["file_name"]] = m
        lines = meta[os.path.basename(path)]["lines"]
        assert row["raw_text"] == " ".join(l["text"] for l in lines)
        for l in lines:
            assert l["text"] in row["annotation"], (l["text"], row["annotation"])
        assert row["plain_caption"].count("<>") == len(lines), row["plain_caption"]
        for item, l in zip(row["image_text"], lines):
            x0, y0, x1, y1 = item["bbox"]
            pts = np.array([p for c in l["chars"] for p in c["quad"]])
            assert x0 <= pts[:, 0].min() + 0.01 and x1 >= pts[:, 0].max() - 0.01, item
            assert y0 <= pts[:, 1].min() + 0.01 and y1 >= pts[:, 1].max() - 0.01, item
            assert item["text"] == l["text"] and item["size"] >= 16, item
        n += 1
    return n


def main():
    scenes, crops, td2 = sys.argv[1], sys.argv[2], sys.argv[3]
    counts = {
        "paddleocr_det": check_det(scenes),
        "anytext": check_anytext(scenes),
        "textdiffuser2": check_textdiffuser2(td2),
        "glyphcontrol": check_glyphcontrol(scenes),
        "glyph_byt5": check_glyph_byt5(scenes),
        "paddleocr_rec": check_rec(crops),
        "textatlas": check_textatlas(scenes),
    }
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
