//! Schemas: the annotation files other trainers read, written next to the images of each
//! imagefolder chunk so that no conversion script is needed.
//!
//! Each schema turns one record's metadata into one row of its file; the sink collects a
//! chunk's rows and writes the files when the chunk is complete (see [`chunk_file`]). Paths in
//! PaddleOCR label files are relative to the output folder (its `data_dir`); AnyText's
//! `data_root` is the chunk folder's absolute path (`output.labels_root`).

use serde_json::{json, Value};

use crate::crop::CropMeta;
use crate::recipe::LabelSchema;
use crate::scene::SampleMeta;

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
        LabelSchema::Textdiffuser2 => "textdiffuser2.jsonl",
        LabelSchema::Glyphcontrol => "glyphcontrol.jsonl",
        LabelSchema::GlyphByt5 => "glyph_byt5.jsonl",
        LabelSchema::PaddleocrDet => "det_gt.txt",
        LabelSchema::PaddleocrRec => "rec_gt.txt",
    }
}

/// Every label file name a chunk can hold (for `verify`).
pub const LABEL_FILES: [&str; 6] = [
    "anytext.json",
    "textdiffuser2.jsonl",
    "glyphcontrol.jsonl",
    "glyph_byt5.jsonl",
    "det_gt.txt",
    "rec_gt.txt",
];

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

/// A line's box as Glyph-ByT5 gives it: top-left corner, width, height, angle (degrees) of
/// its reading direction.
fn xywha(q: &[[f64; 2]; 4]) -> [f64; 5] {
    let (dx, dy) = (q[1][0] - q[0][0], q[1][1] - q[0][1]);
    let w = dx.hypot(dy);
    let h = (q[3][0] - q[0][0]).hypot(q[3][1] - q[0][1]);
    let r = |v: f64| (v * 100.0).round() / 100.0;
    [
        r(q[0][0]),
        r(q[0][1]),
        r(w),
        r(h),
        r(dy.atan2(dx).to_degrees()),
    ]
}

/// One of 64 colour classes (4 levels per channel): `<color-N>` in Glyph-ByT5 captions.
pub fn color_class(c: [u8; 3]) -> usize {
    usize::from(c[0] / 64) * 16 + usize::from(c[1] / 64) * 4 + usize::from(c[2] / 64)
}

/// Rows of a scene for the schemas asked for; `file_name` is the image's file in its chunk,
/// `font_id` numbers the run's faces.
pub fn scene_rows(
    schemas: &[LabelSchema],
    meta: &SampleMeta,
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
                // The layout in the prompt: each line's text and its box on a 128-step grid.
                let (w, h) = (f64::from(meta.width), f64::from(meta.height));
                let q = |v: f64, n: f64| ((v / n * 128.0).floor().clamp(0.0, 127.0)) as u32;
                let layout: Vec<String> = meta
                    .lines
                    .iter()
                    .map(|l| {
                        let xs = l.quad.iter().map(|p| p[0]);
                        let ys = l.quad.iter().map(|p| p[1]);
                        let (x0, x1) =
                            xs.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
                        let (y0, y1) =
                            ys.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
                        format!(
                            "{} {},{},{},{}",
                            l.text,
                            q(x0, w),
                            q(y0, h),
                            q(x1, w),
                            q(y1, h)
                        )
                    })
                    .collect();
                json!({
                    "file_name": file_name,
                    "caption": meta.caption,
                    "layout": layout,
                    "prompt": format!("{} <|endoftext|> {}", meta.caption, layout.join(" ")),
                })
                .to_string()
            }
            LabelSchema::Glyphcontrol => {
                let words: Vec<String> = meta
                    .lines
                    .iter()
                    .map(|l| format!("\"{}\"", l.text))
                    .collect();
                json!({
                    "file_name": file_name,
                    "glyph_file": format!("{}.glyph.png", meta.key),
                    "caption": meta.caption,
                    "caption_with_words": format!("{}, Words in the image: {}", meta.caption, words.join(", ")),
                    "ocr": meta.lines.iter().map(|l| json!({"text": l.text, "polygon": l.quad})).collect::<Vec<Value>>(),
                })
                .to_string()
            }
            LabelSchema::GlyphByt5 => {
                let texts: Vec<Value> = meta
                    .lines
                    .iter()
                    .map(|l| {
                        json!({
                            "text": l.text,
                            "font": format!("<font-{}>", font_id(&format!("{}#{}", l.font.file, l.font.index))),
                            "color": format!("<color-{}>", color_class(l.color)),
                            "bbox": xywha(&l.quad),
                        })
                    })
                    .collect();
                let glyph_caption: Vec<String> = texts
                    .iter()
                    .map(|t| {
                        format!(
                            "Text \"{}\" in {}, {}.",
                            t["text"].as_str().unwrap_or_default(),
                            t["color"].as_str().unwrap_or_default(),
                            t["font"].as_str().unwrap_or_default()
                        )
                    })
                    .collect();
                json!({
                    "file_name": file_name,
                    "caption": format!("{} {}", meta.caption, glyph_caption.join(" ")),
                    "texts": texts,
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

/// The bytes of a chunk's label file from its rows. PaddleOCR's files list paths relative to
/// the output folder (`chunk/file`); AnyText's JSON wraps its rows with `data_root` =
/// `root/chunk` (AnyText joins it with the image name from its own working folder, so `root` is
/// absolute: `output.labels_root` or the output folder); the JSON-lines files are the rows.
pub fn chunk_file(file: &str, chunk: &str, root: &str, rows: &[String]) -> Vec<u8> {
    let mut out = String::new();
    match file {
        "anytext.json" => {
            out.push_str(&format!(
                "{{\"data_root\": {}, \"data_list\": [\n",
                Value::from(format!("{}/{chunk}", root.trim_end_matches('/')))
            ));
            out.push_str(&rows.join(",\n"));
            out.push_str("\n]}\n");
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
