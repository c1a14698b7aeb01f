//! Schemas: the annotation files other trainers read, written next to the images of each
//! imagefolder chunk so that no conversion script is needed.
//!
//! Each schema turns one record's metadata into one row of its file; the sink collects a
//! chunk's rows and writes the files when the chunk is complete (see [`chunk_file`]). Paths in
//! PaddleOCR label files are relative to the output folder (its `data_dir`); AnyText's
//! `data_root` is the chunk folder's absolute path (`output.labels_root`).

use serde_json::{json, Value};

use crate::crop::CropMeta;
use crate::plan::SampleMeta;
use crate::recipe::LabelSchema;

/// One row for a chunk's label file.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelRow {
    pub file: &'static str,
    pub row: String,
}

/// The file a schema writes in each chunk folder.
pub fn file_of(schema: LabelSchema) -> &'static str {
    match schema {
        LabelSchema::Anytext => "anytext.json",
        LabelSchema::Textdiffuser2 => "textdiffuser2_index.txt",
        LabelSchema::Glyphcontrol => GC_CAPTIONS,
        LabelSchema::GlyphByt5 => "glyph_byt5.json",
        LabelSchema::PaddleocrDet => "det_gt.txt",
        LabelSchema::PaddleocrRec => "rec_gt.txt",
        LabelSchema::Textatlas => "textatlas.jsonl",
    }
}

/// Every label file name a chunk can hold (for `verify`), with one row per record.
pub const LABEL_FILES: [&str; 8] = [
    "textatlas.jsonl",
    "anytext.json",
    "textdiffuser2_index.txt",
    GC_CAPTIONS,
    GC_OCR,
    "glyph_byt5.json",
    "det_gt.txt",
    "rec_gt.txt",
];

/// GlyphControl's TextCaps-style files: one caption file and one OCR file (`{"data": [...]}`),
/// and the glyph hints in a folder of their own (`glyphcontrol_hint/KEY.jpg`).
pub const GC_CAPTIONS: &str = "glyphcontrol_captions.json";
pub const GC_OCR: &str = "glyphcontrol_ocr.json";
pub const GC_HINT_DIR: &str = "glyphcontrol_hint";

/// The characters of a chunk's TextDiffuser-2 texts, one per line: what its 95-character
/// `alphabet` must be extended with (`[c]` tokens) to learn them.
pub const TD2_ALPHABET: &str = "textdiffuser2_alphabet.txt";

/// The files of one TextDiffuser-2 sample folder (`CHUNK/KEY/`), in name order.
pub const TD2_SAMPLE_FILES: [&str; 3] = ["caption.txt", "image.jpg", "ocr.txt"];

/// TextDiffuser-2's `ocr.txt` for a scene: one `WORD x1,y1,x2,y2,x3,y3,x4,y4 1.0` row per
/// whitespace-free word (its loader splits a row on whitespace into exactly three fields), the
/// word's axis-aligned box in integer pixels of the 512×512 image (it parses them with `int`),
/// clockwise from the top left, never empty.
pub fn td2_ocr(meta: &SampleMeta) -> String {
    let mut out = String::new();
    for line in &meta.lines {
        let mut chars = line.chars.iter();
        for word in line.text.split_whitespace() {
            let quads: Vec<&[[f64; 2]; 4]> = chars
                .by_ref()
                .take(word.chars().count())
                .map(|c| &c.quad)
                .collect();
            let Some([x0, y0, x1, y1]) = bounds(quads.iter().flat_map(|q| q.iter())) else {
                continue;
            };
            let (w, h) = (i64::from(meta.width), i64::from(meta.height));
            let x0 = (x0.floor() as i64).clamp(0, w - 1);
            let y0 = (y0.floor() as i64).clamp(0, h - 1);
            let x1 = (x1.ceil() as i64).clamp(x0 + 1, w);
            let y1 = (y1.ceil() as i64).clamp(y0 + 1, h);
            out.push_str(&format!(
                "{word} {x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1} 1.0\n"
            ));
        }
    }
    out
}

/// Glyph-ByT5's font table, written next to `glyph_byt5.json`: every face of the run.
pub const BYT5_FONT_IDX: &str = "glyph_byt5_font_idx.json";

/// What chunk files need beyond their rows.
#[derive(Clone, Debug, Default)]
pub struct ChunkContext {
    /// Absolute folder trainers read the output from (AnyText's `data_root`).
    pub root: String,
    /// The run's faces as Glyph-ByT5 font names, in the run's order (`<font-N>` = position).
    pub font_names: Vec<String>,
}

/// Glyph-ByT5 draws its glyph images itself on a 1645×1645 canvas, scaled down to 224².
const BYT5_CANVAS: f64 = 1645.0;

/// The 138 CSS3 colours as webcolors 1.13's `CSS3_HEX_TO_NAMES` lists them (its order decides
/// ties), with Glyph-ByT5's token index for each (`assets/color_idx.json`, Apache-2.0).
const CSS3_COLORS: [(&str, [u8; 3], usize); 138] = [
    ("aliceblue", [240, 248, 255], 106),
    ("antiquewhite", [250, 235, 215], 27),
    ("cyan", [0, 255, 255], 127),
    ("aquamarine", [127, 255, 212], 129),
    ("azure", [240, 255, 255], 132),
    ("beige", [245, 245, 220], 44),
    ("bisque", [255, 228, 196], 63),
    ("black", [0, 0, 0], 1),
    ("blanchedalmond", [255, 235, 205], 75),
    ("blue", [0, 0, 255], 110),
    ("blueviolet", [138, 43, 226], 84),
    ("brown", [165, 42, 42], 25),
    ("burlywood", [222, 184, 135], 35),
    ("cadetblue", [95, 158, 160], 71),
    ("chartreuse", [127, 255, 0], 133),
    ("chocolate", [210, 105, 30], 23),
    ("coral", [255, 127, 80], 43),
    ("cornflowerblue", [100, 149, 237], 77),
    ("cornsilk", [255, 248, 220], 86),
    ("crimson", [220, 20, 60], 22),
    ("darkblue", [0, 0, 139], 121),
    ("darkcyan", [0, 139, 139], 48),
    ("darkgoldenrod", [184, 134, 11], 55),
    ("darkgray", [169, 169, 169], 37),
    ("darkgreen", [0, 100, 0], 32),
    ("darkkhaki", [189, 183, 107], 34),
    ("darkmagenta", [139, 0, 139], 122),
    ("darkolivegreen", [85, 107, 47], 4),
    ("darkorange", [255, 140, 0], 57),
    ("darkorchid", [153, 50, 204], 111),
    ("darkred", [139, 0, 0], 64),
    ("darksalmon", [233, 150, 122], 65),
    ("darkseagreen", [143, 188, 143], 94),
    ("darkslateblue", [72, 61, 139], 9),
    ("darkslategray", [47, 79, 79], 2),
    ("darkturquoise", [0, 206, 209], 105),
    ("darkviolet", [148, 0, 211], 126),
    ("deeppink", [255, 20, 147], 72),
    ("deepskyblue", [0, 191, 255], 123),
    ("dimgray", [105, 105, 105], 3),
    ("dodgerblue", [30, 144, 255], 67),
    ("firebrick", [178, 34, 34], 21),
    ("floralwhite", [255, 250, 240], 30),
    ("forestgreen", [34, 139, 34], 54),
    ("magenta", [255, 0, 255], 124),
    ("gainsboro", [220, 220, 220], 16),
    ("ghostwhite", [248, 248, 255], 60),
    ("gold", [255, 215, 0], 19),
    ("goldenrod", [218, 165, 32], 26),
    ("gray", [128, 128, 128], 15),
    ("green", [0, 128, 0], 134),
    ("greenyellow", [173, 255, 47], 79),
    ("honeydew", [240, 255, 240], 118),
    ("hotpink", [255, 105, 180], 59),
    ("indianred", [205, 92, 92], 10),
    ("indigo", [75, 0, 130], 62),
    ("ivory", [255, 255, 240], 56),
    ("khaki", [240, 230, 140], 13),
    ("lavender", [230, 230, 250], 47),
    ("lavenderblush", [255, 240, 245], 92),
    ("lawngreen", [124, 252, 0], 130),
    ("lemonchiffon", [255, 250, 205], 98),
    ("lightblue", [173, 216, 230], 120),
    ("lightcoral", [240, 128, 128], 61),
    ("lightcyan", [224, 255, 255], 114),
    ("lightgoldenrodyellow", [250, 250, 210], 115),
    ("lightgray", [211, 211, 211], 41),
    ("lightgreen", [144, 238, 144], 131),
    ("lightpink", [255, 182, 193], 68),
    ("lightsalmon", [255, 160, 122], 87),
    ("lightseagreen", [32, 178, 170], 76),
    ("lightskyblue", [135, 206, 250], 113),
    ("lightslategray", [119, 136, 153], 66),
    ("lightsteelblue", [176, 196, 222], 102),
    ("lightyellow", [255, 255, 224], 101),
    ("lime", [0, 255, 0], 136),
    ("limegreen", [50, 205, 50], 125),
    ("linen", [250, 240, 230], 11),
    ("maroon", [128, 0, 0], 12),
    ("mediumaquamarine", [102, 205, 170], 107),
    ("mediumblue", [0, 0, 205], 93),
    ("mediumorchid", [186, 85, 211], 103),
    ("mediumpurple", [147, 112, 219], 88),
    ("mediumseagreen", [60, 179, 113], 91),
    ("mediumslateblue", [123, 104, 238], 82),
    ("mediumspringgreen", [0, 250, 154], 135),
    ("mediumturquoise", [72, 209, 204], 95),
    ("mediumvioletred", [199, 21, 133], 70),
    ("midnightblue", [25, 25, 112], 5),
    ("mintcream", [245, 255, 250], 119),
    ("mistyrose", [255, 228, 225], 69),
    ("moccasin", [255, 228, 181], 89),
    ("navajowhite", [255, 222, 173], 80),
    ("navy", [0, 0, 128], 116),
    ("oldlace", [253, 245, 230], 33),
    ("olive", [128, 128, 0], 99),
    ("olivedrab", [107, 142, 35], 53),
    ("orange", [255, 165, 0], 38),
    ("orangered", [255, 69, 0], 51),
    ("orchid", [218, 112, 214], 108),
    ("palegoldenrod", [238, 232, 170], 74),
    ("palegreen", [152, 251, 152], 128),
    ("paleturquoise", [175, 238, 238], 96),
    ("palevioletred", [219, 112, 147], 45),
    ("papayawhip", [255, 239, 213], 81),
    ("peachpuff", [255, 218, 185], 100),
    ("peru", [205, 133, 63], 18),
    ("pink", [255, 192, 203], 85),
    ("plum", [221, 160, 221], 104),
    ("powderblue", [176, 224, 230], 109),
    ("purple", [128, 0, 128], 83),
    ("red", [255, 0, 0], 36),
    ("rosybrown", [188, 143, 143], 28),
    ("royalblue", [65, 105, 225], 39),
    ("saddlebrown", [139, 69, 19], 6),
    ("salmon", [250, 128, 114], 73),
    ("sandybrown", [244, 164, 96], 14),
    ("seagreen", [46, 139, 87], 40),
    ("seashell", [255, 245, 238], 31),
    ("sienna", [160, 82, 45], 7),
    ("silver", [192, 192, 192], 52),
    ("skyblue", [135, 206, 235], 97),
    ("slateblue", [106, 90, 205], 49),
    ("slategray", [112, 128, 144], 50),
    ("snow", [255, 250, 250], 20),
    ("springgreen", [0, 255, 127], 137),
    ("steelblue", [70, 130, 180], 29),
    ("tan", [210, 180, 140], 42),
    ("teal", [0, 128, 128], 17),
    ("thistle", [216, 191, 216], 117),
    ("tomato", [255, 99, 71], 24),
    ("turquoise", [64, 224, 208], 90),
    ("violet", [238, 130, 238], 112),
    ("wheat", [245, 222, 179], 46),
    ("white", [255, 255, 255], 0),
    ("whitesmoke", [245, 245, 245], 8),
    ("yellow", [255, 255, 0], 58),
    ("yellowgreen", [154, 205, 50], 78),
];

/// Glyph-ByT5's `<color-K>` for an RGB colour: its CSS3 name when exact, else the nearest
/// CSS3 colour by squared RGB distance, the later one in webcolors' order on a tie (as its
/// `closest_color` does), mapped through its colour index.
pub fn byt5_color_index(c: [u8; 3]) -> usize {
    let dist = |p: [u8; 3]| -> i32 {
        (0..3)
            .map(|i| (i32::from(p[i]) - i32::from(c[i])).pow(2))
            .sum()
    };
    let mut best = (i32::MAX, 0);
    for (_, rgb, index) in CSS3_COLORS {
        let d = dist(rgb);
        if d <= best.0 {
            best = (d, index);
        }
    }
    best.1
}

/// A face as Glyph-ByT5 names fonts: the file stem (its loader opens `assets/fonts/NAME.ttf`),
/// with the face index appended for faces past the first of a collection.
pub fn byt5_font_name(file: &str, index: u32) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    if index == 0 {
        stem.to_string()
    } else {
        format!("{stem}-{index}")
    }
}

/// The axis-aligned bounds `[x0, y0, x1, y1]` of some points; `None` for no point.
fn bounds<'a>(points: impl Iterator<Item = &'a [f64; 2]>) -> Option<[f64; 4]> {
    points.fold(None, |b, p| {
        let [x0, y0, x1, y1] = b.unwrap_or([p[0], p[1], p[0], p[1]]);
        Some([x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1])])
    })
}

/// A line's axis-aligned box `[x, y, w, h]` in pixels.
fn aabb(q: &[[f64; 2]; 4]) -> [f64; 4] {
    let [x0, y0, x1, y1] = bounds(q.iter()).unwrap_or_default();
    [x0, y0, x1 - x0, y1 - y0]
}

/// AnyText's limits: at most 5 lines of at most 20 characters are used for training.
const ANYTEXT_LINES: usize = 5;
const ANYTEXT_CHARS: usize = 20;
/// AnyText trains at 512×512: its loader stretches every image to that size (aspect not kept)
/// and draws its masks and glyphs from the polygons as they are, in that space.
const ANYTEXT_SIDE: f64 = 512.0;

/// A polygon as AnyText's loader needs it: integer pixels of the image stretched to 512×512.
/// Integers matter: `np.array` of JSON floats is float64, which its `cv2.minAreaRect` and
/// `cv2.fillPoly` (OpenCV 4.7) reject.
fn anytext_polygon(points: &[[f64; 2]], width: u32, height: u32) -> Vec<[i64; 2]> {
    let (sx, sy) = (
        ANYTEXT_SIDE / f64::from(width),
        ANYTEXT_SIDE / f64::from(height),
    );
    points
        .iter()
        .map(|p| {
            [
                (p[0] * sx).round().clamp(0.0, ANYTEXT_SIDE - 1.0) as i64,
                (p[1] * sy).round().clamp(0.0, ANYTEXT_SIDE - 1.0) as i64,
            ]
        })
        .collect()
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// AnyText's position index (`idx2pos` in its data loader): the 3×3 cell in reading order,
/// 0 = top left … 8 = bottom right.
fn anytext_pos(word: &str) -> usize {
    const WORDS: [&str; 9] = [
        "top left",
        "top",
        "top right",
        "left",
        "center",
        "right",
        "bottom left",
        "bottom",
        "bottom right",
    ];
    WORDS.iter().position(|w| *w == word).unwrap_or(4)
}

/// Rows of a scene for the schemas asked for; `file_name` is the image's file in its chunk,
/// `font_id` numbers the run's faces.
pub fn scene_rows(
    schemas: &[LabelSchema],
    meta: &SampleMeta,
    chunk: &str,
    file_name: &str,
    font_id: &dyn Fn(&str) -> usize,
) -> Vec<LabelRow> {
    let mut rows = Vec::new();
    for &schema in schemas {
        let row = match schema {
            LabelSchema::Anytext => json!({
                "img_name": file_name,
                // AnyText's loader appends ", that reads * , * ." itself (one `*` per line,
                // replaced by the line's OCR embedding): the caption is an English phrase for
                // the scene, without the text.
                "caption": meta.scene_phrase_en,
                "annotations": meta.lines.iter().enumerate().map(|(i, l)| json!({
                    "polygon": anytext_polygon(&l.polygon, meta.width, meta.height),
                    "text": l.text,
                    "language": if l.text.chars().any(is_han) { "Chinese" } else { "Latin" },
                    "valid": i < ANYTEXT_LINES && l.text.chars().count() <= ANYTEXT_CHARS,
                    "pos": anytext_pos(l.position),
                })).collect::<Vec<Value>>(),
            })
            .to_string(),
            LabelSchema::Textdiffuser2 => {
                // The index row (`CHUNK_KEY`, the chunk is added with the file) and the
                // characters for the alphabet file; the sample folder itself is written with
                // the sample (`td2_sample_files`).
                rows.push(LabelRow {
                    file: TD2_ALPHABET,
                    row: meta.lines.iter().map(|l| l.text.as_str()).collect(),
                });
                meta.key.clone()
            }
            LabelSchema::Glyphcontrol => {
                // GlyphControl's TextCaps loader: `image_id` names `FOLDER/ID.jpg` and
                // `HINTS/ID.jpg`; boxes are normalised, rotated by `yaw` degrees about their
                // top-left corner; captions are English (OpenCLIP).
                let id = format!("{chunk}/{}", meta.key);
                let (w, h) = (f64::from(meta.width), f64::from(meta.height));
                let r6 = |v: f64| (v * 1e6).round() / 1e6;
                let words: Vec<&str> = meta
                    .lines
                    .iter()
                    .flat_map(|l| l.text.split_whitespace())
                    .collect();
                let info: Vec<Value> = meta
                    .lines
                    .iter()
                    .map(|l| {
                        // The rectangle along the line's top edge that holds its whole
                        // (possibly perspective) quad: its top-left corner, sides and turn.
                        let q = l.quad;
                        let yaw = (q[1][1] - q[0][1]).atan2(q[1][0] - q[0][0]);
                        let (c, sn) = (yaw.cos(), yaw.sin());
                        let along = |p: &[f64; 2]| p[0] * c + p[1] * sn;
                        let across = |p: &[f64; 2]| -p[0] * sn + p[1] * c;
                        let (u0, u1) = q
                            .iter()
                            .map(along)
                            .fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
                        let (v0, v1) = q
                            .iter()
                            .map(across)
                            .fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
                        let (x, y) = (u0 * c - v0 * sn, u0 * sn + v0 * c);
                        json!({
                            "word": l.text,
                            "bounding_box": {
                                "top_left_x": r6(x / w),
                                "top_left_y": r6(y / h),
                                "width": r6((u1 - u0) / w),
                                "height": r6((v1 - v0) / h),
                                "yaw": r6(yaw.to_degrees()),
                            }
                        })
                    })
                    .collect();
                rows.push(LabelRow {
                    file: GC_OCR,
                    row: json!({"image_id": id, "ocr_tokens": words, "ocr_info": info}).to_string(),
                });
                let class = meta.scene_phrase_en.split_whitespace().last().map_or(
                    "Image".to_string(),
                    |w| {
                        let mut c = w.chars();
                        c.next()
                            .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
                    },
                );
                json!({
                    "image_id": id,
                    "reference_strs": [meta.caption_en],
                    "image_classes": [class],
                })
                .to_string()
            }
            LabelSchema::GlyphByt5 => {
                // GlyphBoxDataset's meta format: texts, styles and axis-aligned boxes on its
                // 1645×1645 canvas (angle 0); plus the normalised boxes and the ByT5 text prompt
                // a Glyph-SDXL trainer forms from them.
                let (w, h) = (f64::from(meta.width), f64::from(meta.height));
                let r2 = |v: f64| (v * 100.0).round() / 100.0;
                let r4 = |v: f64| (v * 1e4).round() / 1e4;
                let boxes: Vec<[f64; 4]> = meta.lines.iter().map(|l| aabb(&l.quad)).collect();
                let prompt: String = meta
                    .lines
                    .iter()
                    .map(|l| {
                        format!(
                            "Text \"{}\" in <color-{}>, <font-{}>. ",
                            l.text,
                            byt5_color_index(l.color),
                            font_id(&format!("{}#{}", l.font.file, l.font.index))
                        )
                    })
                    .collect();
                json!({
                    "file_name": file_name,
                    "texts": meta.lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>(),
                    "styles": meta.lines.iter().map(|l| json!({
                        "color": format!("#{:02x}{:02x}{:02x}", l.color[0], l.color[1], l.color[2]),
                        "font-family": byt5_font_name(&l.font.file, l.font.index),
                    })).collect::<Vec<_>>(),
                    "bbox": boxes.iter().map(|b| [
                        r2(b[0] * BYT5_CANVAS / w), r2(b[1] * BYT5_CANVAS / h),
                        r2(b[2] * BYT5_CANVAS / w), r2(b[3] * BYT5_CANVAS / h), 0.0,
                    ]).collect::<Vec<_>>(),
                    "bbox_norm": boxes.iter().map(|b| [
                        r4(b[0] / w), r4(b[1] / h), r4(b[2] / w), r4(b[3] / h),
                    ]).collect::<Vec<_>>(),
                    "bg_prompt": meta.scene_phrase_en,
                    "text_prompt": prompt,
                })
                .to_string()
            }
            LabelSchema::PaddleocrDet => {
                let boxes: Vec<Value> = meta
                    .lines
                    .iter()
                    .map(|l| json!({"transcription": l.text, "points": l.quad}))
                    .collect();
                format!("{file_name}\t{}", Value::from(boxes))
            }
            LabelSchema::PaddleocrRec => continue,
            LabelSchema::Textatlas => {
                // Released TextAtlas5M rows hold `image_path` and `annotation` (the prompt with
                // the rendered text in it; TextAtlasEval adds `raw_text`); its detailed release
                // announces a caption with the text replaced by `<>` and per-box text, box, font
                // and size, which are given here in that spirit (boxes: [x0, y0, x1, y1] pixels).
                let mut plain = meta.caption_en.clone();
                for l in &meta.lines {
                    plain = plain.replacen(&l.text, "<>", 1);
                }
                json!({
                    "image_path": format!("{chunk}/{file_name}"),
                    "annotation": meta.caption_en,
                    "raw_text": meta.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" "),
                    "plain_caption": plain,
                    "image_text": meta.lines.iter().map(|l| {
                        let b = aabb(&l.quad);
                        let corners = [b[0], b[1], b[0] + b[2], b[1] + b[3]]
                            .map(|v| (v * 100.0).round() / 100.0);
                        json!({
                            "text": l.text,
                            "bbox": corners,
                            "font": l.font.family,
                            "size": l.px_per_em,
                        })
                    }).collect::<Vec<_>>(),
                })
                .to_string()
            }
        };
        rows.push(LabelRow {
            file: file_of(schema),
            row,
        });
    }
    rows
}

/// Rows of a line crop (PaddleOCR recognition: `path<TAB>text`).
pub fn crop_rows(schemas: &[LabelSchema], meta: &CropMeta, file_name: &str) -> Vec<LabelRow> {
    schemas
        .iter()
        .filter(|s| **s == LabelSchema::PaddleocrRec)
        .map(|&s| LabelRow {
            file: file_of(s),
            row: format!("{file_name}\t{}", meta.text),
        })
        .collect()
}

/// Glyph-ByT5's font table (`--font_ann_path`): every face of the run by name, numbered
/// 0..N-1 in the run's order, as its `<font-N>` tokens are added.
pub fn byt5_font_idx(ctx: &ChunkContext) -> Vec<u8> {
    let map: serde_json::Map<String, Value> = ctx
        .font_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), Value::from(i)))
        .collect();
    (Value::Object(map).to_string() + "\n").into_bytes()
}

/// The bytes of a chunk's label file from its rows. PaddleOCR's files list paths relative to
/// the output folder (`chunk/file`); AnyText's JSON wraps its rows with `data_root` =
/// `root/chunk` (AnyText joins it with the image name from its own working folder, so `root` is
/// absolute: `output.labels_root` or the output folder); the JSON-lines files are the rows.
pub fn chunk_file(file: &str, chunk: &str, ctx: &ChunkContext, rows: &[String]) -> Vec<u8> {
    let mut out = String::new();
    match file {
        "anytext.json" => {
            out.push_str(&format!(
                "{{\"data_root\": {}, \"data_list\": [\n",
                Value::from(format!("{}/{chunk}", ctx.root.trim_end_matches('/')))
            ));
            out.push_str(&rows.join(",\n"));
            out.push_str("\n]}\n");
        }
        // GlyphControl reads `{"data": [...]}` (`--textcaps_caption`, `--textcaps_ocr_file`).
        GC_CAPTIONS | GC_OCR => {
            out.push_str("{\"data\": [\n");
            out.push_str(&rows.join(",\n"));
            out.push_str("\n]}\n");
        }
        // Glyph-ByT5 reads one JSON array (its `--meta_path`).
        "glyph_byt5.json" => {
            out.push_str("[\n");
            out.push_str(&rows.join(",\n"));
            out.push_str("\n]\n");
        }
        "textdiffuser2_index.txt" => {
            for r in rows {
                out.push_str(chunk);
                out.push('_');
                out.push_str(r);
                out.push('\n');
            }
        }
        TD2_ALPHABET => {
            let chars: std::collections::BTreeSet<char> = rows
                .iter()
                .flat_map(|r| r.chars())
                .filter(|c| !c.is_whitespace())
                .collect();
            for c in chars {
                out.push(c);
                out.push('\n');
            }
        }
        "det_gt.txt" | "rec_gt.txt" => {
            for r in rows {
                out.push_str(chunk);
                out.push('/');
                out.push_str(r);
                out.push('\n');
            }
        }
        _ => {
            for r in rows {
                out.push_str(r);
                out.push('\n');
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byt5_colours_follow_its_css3_table() {
        // Exact CSS3 colours take their own token.
        assert_eq!(byt5_color_index([255, 255, 255]), 0); // white
        assert_eq!(byt5_color_index([0, 0, 0]), 1); // black
        assert_eq!(byt5_color_index([255, 0, 0]), 36); // red
                                                       // Others the nearest one: near-black is black, a dark red maroon (128, 0, 0).
        assert_eq!(byt5_color_index([10, 8, 6]), 1);
        assert_eq!(byt5_color_index([120, 5, 3]), 12);
        // The table holds every index 0..137 once.
        let mut seen: Vec<usize> = CSS3_COLORS.iter().map(|c| c.2).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..138).collect::<Vec<_>>());
    }

    #[test]
    fn byt5_font_names_are_file_stems() {
        assert_eq!(
            byt5_font_name("bundled:fonts/SubsetSansSC-Regular.otf", 0),
            "SubsetSansSC-Regular"
        );
        assert_eq!(
            byt5_font_name("/usr/share/fonts/NotoSansCJK.ttc", 2),
            "NotoSansCJK-2"
        );
    }

    #[test]
    fn anytext_polygons_are_integers_in_its_512_space() {
        let p = anytext_polygon(&[[0.4, 10.6], [767.9, 1023.9]], 768, 1024);
        assert_eq!(p, vec![[0, 5], [511, 511]]);
    }
}
