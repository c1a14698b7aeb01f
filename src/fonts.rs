//! Fonts: the bundled CJK faces, system faces and user folders, with per-face coverage.
//!
//! All faces go through one `fontdb` database (bundled ones as static binary sources, files by
//! shared mmap). Coverage is read from each face's cmap once at start-up into a bitset, so the
//! "never draw tofu" check per line is a few bit tests.
//!
//! Policy (documented in the README): a text block is drawn in a single face that maps every
//! one of its characters. The face is drawn uniformly at random (with `fonts.styles`: by its
//! style's weight, shared by the faces of that style); if it lacks a character, the face is
//! redrawn (the same way) among the faces that cover the whole block; if none does, the text is
//! resampled and the resample is counted.

use std::sync::Arc;

use anyhow::{bail, Result};
use harfrust::{Direction as HbDirection, Script, ShapePlan, ShaperFont};
use skrifa::font::Font;

use crate::recipe::{Direction, FontsConfig};
use crate::rng::Rng;

/// A bundled font: file name under `fonts/`, style label, weight, and the bytes.
pub struct BundledFont {
    pub file: &'static str,
    /// `sans`, `serif`, `kai`, `display`, `rounded`, `brush` or `handwriting` (the keys of
    /// `fonts.styles`).
    pub style: &'static str,
    /// `thin`, `light`, `regular`, `bold`, `black`, `heavy`, `oblique`, `running`.
    pub weight: &'static str,
    /// One of the four faces of the first release, which `fonts.bundled_set: default` loads.
    pub in_default_set: bool,
    pub data: &'static [u8],
}

/// Every bundled face, the default set's four first (in their original order). Sources,
/// licences and sizes: `fonts/manifest.tsv`; built by `tools/fonts/subset.py`.
pub static BUNDLED_FONTS: &[BundledFont] = &[
    BundledFont {
        file: "SubsetSansSC-Regular.otf",
        style: "sans",
        weight: "regular",
        in_default_set: true,
        data: include_bytes!("../fonts/SubsetSansSC-Regular.otf"),
    },
    BundledFont {
        file: "SubsetSerifSC-Regular.otf",
        style: "serif",
        weight: "regular",
        in_default_set: true,
        data: include_bytes!("../fonts/SubsetSerifSC-Regular.otf"),
    },
    BundledFont {
        file: "SubsetKaiSC-Regular.ttf",
        style: "kai",
        weight: "regular",
        in_default_set: true,
        data: include_bytes!("../fonts/SubsetKaiSC-Regular.ttf"),
    },
    BundledFont {
        file: "SubsetDisplaySC-Oblique.ttf",
        style: "display",
        weight: "oblique",
        in_default_set: true,
        data: include_bytes!("../fonts/SubsetDisplaySC-Oblique.ttf"),
    },
    BundledFont {
        file: "SubsetSansSC-Thin.otf",
        style: "sans",
        weight: "thin",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSansSC-Thin.otf"),
    },
    BundledFont {
        file: "SubsetSansSC-Light.otf",
        style: "sans",
        weight: "light",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSansSC-Light.otf"),
    },
    BundledFont {
        file: "SubsetSansSC-Bold.otf",
        style: "sans",
        weight: "bold",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSansSC-Bold.otf"),
    },
    BundledFont {
        file: "SubsetSansSC-Black.otf",
        style: "sans",
        weight: "black",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSansSC-Black.otf"),
    },
    BundledFont {
        file: "SubsetSerifSC-Light.otf",
        style: "serif",
        weight: "light",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSerifSC-Light.otf"),
    },
    BundledFont {
        file: "SubsetSerifSC-Bold.otf",
        style: "serif",
        weight: "bold",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSerifSC-Bold.otf"),
    },
    BundledFont {
        file: "SubsetSerifSC-Black.otf",
        style: "serif",
        weight: "black",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSerifSC-Black.otf"),
    },
    BundledFont {
        file: "SubsetKaiSC-Light.ttf",
        style: "kai",
        weight: "light",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetKaiSC-Light.ttf"),
    },
    BundledFont {
        file: "SubsetKaiSC-Bold.ttf",
        style: "kai",
        weight: "bold",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetKaiSC-Bold.ttf"),
    },
    BundledFont {
        file: "SubsetRoundedSC-Regular.ttf",
        style: "rounded",
        weight: "regular",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetRoundedSC-Regular.ttf"),
    },
    BundledFont {
        file: "SubsetPosterSC-Regular.ttf",
        style: "display",
        weight: "heavy",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetPosterSC-Regular.ttf"),
    },
    BundledFont {
        file: "SubsetSongDisplaySC-Regular.ttf",
        style: "display",
        weight: "regular",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetSongDisplaySC-Regular.ttf"),
    },
    BundledFont {
        file: "SubsetBrushSC-Regular.ttf",
        style: "brush",
        weight: "regular",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetBrushSC-Regular.ttf"),
    },
    BundledFont {
        file: "SubsetBrushSC-Running.ttf",
        style: "brush",
        weight: "running",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetBrushSC-Running.ttf"),
    },
    BundledFont {
        file: "SubsetHandSC-Regular.ttf",
        style: "handwriting",
        weight: "regular",
        in_default_set: false,
        data: include_bytes!("../fonts/SubsetHandSC-Regular.ttf"),
    },
];

/// Set of Unicode scalar values below U+30000 (BMP + SIP), one bit each.
#[derive(Clone)]
pub struct Coverage {
    bits: Vec<u64>,
}

const COVERAGE_LIMIT: u32 = 0x30000;

impl Coverage {
    fn from_font(font: &Font) -> Coverage {
        let mut bits = vec![0u64; (COVERAGE_LIMIT / 64) as usize];
        for (cp, gid) in font.charmap().unicodes() {
            if cp < COVERAGE_LIMIT && gid.to_u32() != 0 {
                bits[(cp / 64) as usize] |= 1 << (cp % 64);
            }
        }
        Coverage { bits }
    }

    fn remove(&mut self, c: char) {
        let cp = c as u32;
        if cp < COVERAGE_LIMIT {
            self.bits[(cp / 64) as usize] &= !(1 << (cp % 64));
        }
    }

    pub fn has(&self, c: char) -> bool {
        let cp = c as u32;
        cp < COVERAGE_LIMIT && self.bits[(cp / 64) as usize] & (1 << (cp % 64)) != 0
    }

    /// Whitespace is drawn as an advance only, so it needs no glyph.
    pub fn covers(&self, text: &str) -> bool {
        text.chars().all(|c| c.is_whitespace() || self.has(c))
    }
}

/// Loads one face from bytes the way [`FontSet::load`] does (parse, metrics, coverage, inkless
/// glyphs dropped): the entry point for fuzzing the font loader.
pub fn load_face_bytes(data: Vec<u8>, index: u32, chars: &[char]) -> Result<Face, String> {
    let mut face = build_face(
        Arc::new(data),
        index,
        "fuzzed".into(),
        "memory".into(),
        "user".into(),
    )?;
    face.drop_inkless(chars);
    Ok(face)
}

/// Font files under `dir` (the extensions fontdb reads); unreadable subfolders are reported.
fn font_files_in(
    dir: &std::path::Path,
    skipped: &mut Vec<(String, String)>,
) -> Vec<std::path::PathBuf> {
    crate::files::files_under(dir, skipped)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| crate::files::has_extension(p, &["ttf", "otf", "ttc", "otc"]))
        .collect()
}

/// The coverage of the face a label names (`bundled:fonts/NAME` or a path), for re-checking
/// labels after the fact; `None` when the file is gone or unreadable.
pub fn coverage_of(file: &str, index: u32) -> Option<Coverage> {
    let data: Arc<dyn AsRef<[u8]> + Send + Sync> = match file.strip_prefix("bundled:fonts/") {
        Some(name) => Arc::new(BUNDLED_FONTS.iter().find(|b| b.file == name)?.data),
        None => Arc::new(std::fs::read(file).ok()?),
    };
    Some(Coverage::from_font(&Font::new(data, index)?))
}

/// One usable face.
pub struct Face {
    /// Unique per loaded face in this process (keys the outline cache).
    pub uid: u64,
    pub family: String,
    /// `bundled:fonts/NAME` or the file path.
    pub file: String,
    pub index: u32,
    /// `sans`, `serif`, `kai`, `display` for bundled fonts, `system` or `user` otherwise.
    pub style: String,
    pub font: Font,
    pub coverage: Coverage,
    pub units_per_em: f64,
    /// Horizontal line box in font units (y up): ascender > 0 > descender.
    pub ascender: f64,
    pub descender: f64,
    plans: [ShapePlan; 2],
}

impl Face {
    /// Removes from the coverage every character of `chars` whose glyph draws no ink. A cmap
    /// entry is a promise, not a glyph: this keeps a damaged font from ever yielding a labelled
    /// character that is not drawn. Returns how many were removed.
    fn drop_inkless(&mut self, chars: &[char]) -> usize {
        let charmap = self.font.charmap();
        let inkless: Vec<char> = chars
            .iter()
            .copied()
            .filter(|c| self.coverage.has(*c) && !c.is_whitespace())
            .filter(|c| {
                charmap
                    .map_unicode(*c)
                    .is_none_or(|g| !crate::outlines::has_ink(self, g.to_u32()))
            })
            .collect();
        for c in &inkless {
            self.coverage.remove(*c);
        }
        inkless.len()
    }

    pub fn shaper(&self) -> ShaperFont<'_, '_> {
        ShaperFont::new(&self.font)
    }

    pub fn plan(&self, dir: Direction) -> &ShapePlan {
        &self.plans[dir as usize]
    }
}

/// What loading found, for `fonts` and the run summary.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FontLoadReport {
    pub faces_seen: usize,
    pub faces_used: usize,
    /// Faces skipped, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Faces that map corpus characters to glyphs without ink (damaged or empty outlines):
    /// those characters are treated as missing.
    pub inkless: Vec<(String, usize)>,
}

pub struct FontSet {
    pub faces: Vec<Face>,
    pub report: FontLoadReport,
    /// With `fonts.styles`: cumulative draw weights of `faces` (a style's weight shared by
    /// its faces); `None` draws every face equally.
    cumulative: Option<Vec<f64>>,
}

fn build_face(
    data: Arc<dyn AsRef<[u8]> + Send + Sync>,
    index: u32,
    family: String,
    file: String,
    style: String,
) -> Result<Face, String> {
    let font = Font::new(data, index).ok_or("not a readable font")?;
    if font.outline_glyphs().is_empty() {
        return Err("no glyph outlines".into());
    }
    let upem = f64::from(font.units_per_em());
    if upem < 16.0 {
        return Err(format!("implausible units per em {upem}"));
    }
    let metrics = font.metrics();
    let line = metrics
        .typo_line
        .filter(|_| metrics.use_typo_metrics)
        .or(metrics.hhea_line)
        .or(metrics.typo_line);
    let (ascender, descender) = match line {
        Some(l) => (l.ascender.to_f64(), l.descender.to_f64()),
        None => (0.88 * upem, -0.12 * upem),
    };
    if !(ascender > 0.0 && descender <= 0.0 && ascender - descender < 4.0 * upem) {
        return Err(format!("implausible line metrics {ascender}/{descender}"));
    }
    let coverage = Coverage::from_font(&font);
    let plans = {
        let plan = |d| ShapePlan::new(&font, d, Some(Script::HAN), None, &[]);
        [
            plan(HbDirection::LeftToRight),
            plan(HbDirection::TopToBottom),
        ]
    };
    static NEXT_UID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Ok(Face {
        uid: NEXT_UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        family,
        file,
        index,
        style,
        font,
        coverage,
        units_per_em: upem,
        ascender,
        descender,
        plans,
    })
}

impl FontSet {
    /// Loads the configured faces and keeps those covering at least `min_coverage` of `chars`.
    pub fn load(cfg: &FontsConfig, chars: &[char]) -> Result<FontSet> {
        let mut db = fontdb::Database::new();
        let mut origins: Vec<(fontdb::ID, String, String)> = Vec::new();
        let styles = &cfg.styles.0;
        let style_on = |style: &str| {
            styles.is_empty() || styles.iter().any(|(k, w)| k.name() == style && *w > 0.0)
        };
        if cfg.bundled {
            let set = BUNDLED_FONTS.iter().filter(|b| {
                (b.in_default_set || cfg.bundled_set == crate::recipe::BundledSet::All)
                    && style_on(b.style)
            });
            for b in set {
                let ids = db.load_font_source(fontdb::Source::Binary(Arc::new(b.data)));
                for id in ids {
                    origins.push((id, format!("bundled:fonts/{}", b.file), b.style.into()));
                }
            }
        }
        let before_system = db.len();
        if cfg.system {
            db.load_system_fonts();
        }
        let before_user = db.len();
        let mut report = FontLoadReport::default();
        let mut user_files = Vec::new();
        for dir in &cfg.dirs {
            if std::fs::read_dir(dir).is_err() {
                bail!("fonts.dirs: {} is not a readable folder", dir.display());
            }
            user_files.extend(font_files_in(dir, &mut report.skipped));
            db.load_fonts_dir(dir);
        }
        // fontdb drops files it cannot parse without a word; name and count them.
        let parsed: std::collections::HashSet<std::path::PathBuf> = db
            .faces()
            .filter_map(|f| match &f.source {
                fontdb::Source::File(p) | fontdb::Source::SharedFile(p, _) => Some(p.clone()),
                fontdb::Source::Binary(_) => None,
            })
            .collect();
        for f in user_files {
            if !parsed.contains(&f) {
                report.skipped.push((
                    f.display().to_string(),
                    "not a readable font (empty, truncated or corrupt)".into(),
                ));
            }
        }
        let ids: Vec<(fontdb::ID, usize)> = db
            .faces()
            .enumerate()
            .map(|(order, f)| (f.id, order))
            .collect();
        let mut faces = Vec::new();
        for (id, order) in ids {
            report.faces_seen += 1;
            let info = db.face(id).expect("listed face");
            let family = info
                .families
                .first()
                .map(|f| f.0.clone())
                .unwrap_or_else(|| info.post_script_name.clone());
            let (file, style) = match origins.iter().find(|o| o.0 == id) {
                Some((_, file, style)) => (file.clone(), style.clone()),
                None => {
                    let path = match &info.source {
                        fontdb::Source::File(p) | fontdb::Source::SharedFile(p, _) => {
                            p.display().to_string()
                        }
                        fontdb::Source::Binary(_) => "memory".into(),
                    };
                    let style = if order < before_user && order >= before_system {
                        "system"
                    } else {
                        "user"
                    };
                    (path, style.to_string())
                }
            };
            // SAFETY: fontdb maps the font file read-only; a file truncated by another process
            // while we run could fault, which is the accepted risk of every mmap-based font tool.
            let Some((data, index)) = (unsafe { db.make_shared_face_data(id) }) else {
                report.skipped.push((file, "cannot read the file".into()));
                continue;
            };
            match build_face(data, index, family, file.clone(), style) {
                Ok(mut face) => {
                    let dropped = face.drop_inkless(chars);
                    if dropped > 0 {
                        report.inkless.push((format!("{file}#{index}"), dropped));
                    }
                    let covered = chars.iter().filter(|c| face.coverage.has(**c)).count();
                    let share = covered as f64 / chars.len().max(1) as f64;
                    if share < cfg.min_coverage.0 {
                        report.skipped.push((
                            format!("{file}#{index}"),
                            format!(
                                "covers {:.1}% of the corpus characters (min_coverage {:.0}%)",
                                share * 100.0,
                                cfg.min_coverage.0 * 100.0
                            ),
                        ));
                    } else {
                        faces.push(face);
                    }
                }
                Err(why) => report.skipped.push((format!("{file}#{index}"), why)),
            }
        }
        // A fixed order, independent of directory listing order, keeps runs reproducible.
        faces.sort_by(|a, b| (&a.file, a.index).cmp(&(&b.file, b.index)));
        faces.dedup_by(|a, b| a.file == b.file && a.index == b.index);
        if !styles.is_empty() {
            for f in faces.iter().filter(|f| !style_on(&f.style)) {
                report.skipped.push((
                    format!("{}#{}", f.file, f.index),
                    format!("style {} is not in fonts.styles", f.style),
                ));
            }
            faces.retain(|f| style_on(&f.style));
        }
        report.faces_used = faces.len();
        if faces.is_empty() {
            bail!(
                "no usable font: {} face(s) seen, none covers {:.0}% of the corpus characters \
                 (check fonts.bundled, fonts.system, fonts.dirs and fonts.min_coverage)",
                report.faces_seen,
                cfg.min_coverage.0 * 100.0
            );
        }
        let cumulative = (!styles.is_empty()).then(|| {
            let weight = |style: &str| {
                styles
                    .iter()
                    .find(|(k, _)| k.name() == style)
                    .map_or(0.0, |(_, w)| *w)
            };
            let mut acc = 0.0;
            faces
                .iter()
                .map(|f| {
                    let same = faces.iter().filter(|g| g.style == f.style).count();
                    acc += weight(&f.style) / same as f64;
                    acc
                })
                .collect()
        });
        Ok(FontSet {
            faces,
            report,
            cumulative,
        })
    }

    /// A face index drawn by weight among `candidates`.
    fn weighted(&self, cumulative: &[f64], candidates: &[usize], rng: &mut Rng) -> usize {
        let w = |i: usize| cumulative[i] - if i == 0 { 0.0 } else { cumulative[i - 1] };
        let total: f64 = candidates.iter().map(|&i| w(i)).sum();
        let mut target = rng.f64() * total;
        for &i in candidates {
            if target < w(i) {
                return i;
            }
            target -= w(i);
        }
        *candidates.last().expect("non-empty")
    }

    /// True when at least one face can draw all of `text`.
    pub fn any_covers(&self, text: &str) -> bool {
        self.faces.iter().any(|f| f.coverage.covers(text))
    }

    /// The face for a block whose characters are `text` (see the module docs), or `None`.
    /// A face of one of `styles` that draws all of `text` (equally likely), or else any face
    /// that does ([`FontSet::choose`]): a template's wish, never a reason for tofu.
    pub fn choose_styled(
        &self,
        text: &str,
        styles: &[crate::recipe::FontStyle],
        rng: &mut Rng,
    ) -> Option<usize> {
        let fitting: Vec<usize> = (0..self.faces.len())
            .filter(|&i| styles.iter().any(|s| s.name() == self.faces[i].style))
            .filter(|&i| self.faces[i].coverage.covers(text))
            .collect();
        if fitting.is_empty() {
            return self.choose(text, rng);
        }
        Some(fitting[rng.below(fitting.len() as u64) as usize])
    }

    pub fn choose(&self, text: &str, rng: &mut Rng) -> Option<usize> {
        if let Some(cum) = &self.cumulative {
            let all: Vec<usize> = (0..self.faces.len()).collect();
            let first = self.weighted(cum, &all, rng);
            if self.faces[first].coverage.covers(text) {
                return Some(first);
            }
            let covering: Vec<usize> = all
                .into_iter()
                .filter(|&i| self.faces[i].coverage.covers(text))
                .collect();
            return (!covering.is_empty()).then(|| self.weighted(cum, &covering, rng));
        }
        let first = rng.below(self.faces.len() as u64) as usize;
        if self.faces[first].coverage.covers(text) {
            return Some(first);
        }
        let covering: Vec<usize> = (0..self.faces.len())
            .filter(|&i| self.faces[i].coverage.covers(text))
            .collect();
        if covering.is_empty() {
            None
        } else {
            Some(covering[rng.below(covering.len() as u64) as usize])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Prob;

    fn bundled() -> FontSet {
        let chars: Vec<char> = "中国的人".chars().collect();
        FontSet::load(&FontsConfig::default(), &chars).unwrap()
    }

    #[test]
    fn bundled_faces_load_with_coverage() {
        let set = bundled();
        assert_eq!(set.faces.len(), 4);
        for f in &set.faces {
            assert!(f.coverage.covers("中华人民共和国ABC123"), "{}", f.file);
            assert!(!f.coverage.has('簡'), "{} has a traditional form", f.file);
            assert!(f.ascender > 0.0 && f.descender < 0.0);
        }
    }

    #[test]
    fn choose_never_returns_a_face_missing_a_character() {
        let set = bundled();
        let mut rng = Rng::new(5);
        for _ in 0..50 {
            let i = set.choose("汉字", &mut rng).unwrap();
            assert!(set.faces[i].coverage.covers("汉字"));
        }
        // 簡 is in none of the GB2312 subsets.
        assert_eq!(set.choose("簡体", &mut rng), None);
        assert!(!set.any_covers("簡"));
    }

    #[test]
    fn all_bundled_faces_load_and_twelve_draw_every_standard_character() {
        let cfg = FontsConfig {
            bundled_set: crate::recipe::BundledSet::All,
            ..FontsConfig::default()
        };
        let set = FontSet::load(&cfg, &['中']).unwrap();
        assert_eq!(set.faces.len(), BUNDLED_FONTS.len());
        let list = crate::tiers::standard();
        let complete = set
            .faces
            .iter()
            .filter(|f| list.chars.iter().all(|s| f.coverage.has(s.ch)))
            .count();
        assert!(complete >= 12, "{complete}");
        // Google Fonts' Chinese faces lack the Latin middle dot ·; the no-tofu policy draws
        // a line with one in another face.
        let punctuation = "，。、；：？！“”‘’《》「」【】（）…—ABCxyz019";
        for f in &set.faces {
            assert!(f.coverage.covers(punctuation), "{}", f.file);
            if list.chars.iter().all(|s| f.coverage.has(s.ch)) {
                assert!(f.coverage.has('·'), "{}", f.file);
            }
            assert!(
                list.of(crate::tiers::Tier::Level1)
                    .filter(|c| f.coverage.has(*c))
                    .count()
                    >= 3498
            );
        }
        let styles: std::collections::BTreeSet<&str> =
            BUNDLED_FONTS.iter().map(|b| b.style).collect();
        assert_eq!(styles.len(), 7, "{styles:?}");
        // The default set is the four faces of the first release.
        let four: Vec<&str> = BUNDLED_FONTS
            .iter()
            .filter(|b| b.in_default_set)
            .map(|b| b.file)
            .collect();
        assert_eq!(
            four,
            [
                "SubsetSansSC-Regular.otf",
                "SubsetSerifSC-Regular.otf",
                "SubsetKaiSC-Regular.ttf",
                "SubsetDisplaySC-Oblique.ttf"
            ]
        );
    }

    #[test]
    fn style_weights_pick_faces_by_style_and_never_tofu() {
        use crate::recipe::{FontStyle, Weights};
        let cfg = FontsConfig {
            bundled_set: crate::recipe::BundledSet::All,
            styles: Weights::from_pairs(&[(FontStyle::Serif, 3.0), (FontStyle::Brush, 1.0)]),
            ..FontsConfig::default()
        };
        let set = FontSet::load(&cfg, &['中']).unwrap();
        assert!(set
            .faces
            .iter()
            .all(|f| f.style == "serif" || f.style == "brush"));
        assert_eq!(set.faces.len(), 6);
        let mut rng = Rng::new(11);
        let mut serif = 0;
        for _ in 0..4000 {
            let i = set.choose("汉字", &mut rng).unwrap();
            serif += usize::from(set.faces[i].style == "serif");
        }
        assert!((2800..3200).contains(&serif), "{serif}");
        // 㑇 (level 3) is in no brush face: always a serif one.
        for _ in 0..200 {
            let i = set.choose("㑇", &mut rng).unwrap();
            assert_eq!(set.faces[i].style, "serif");
        }
        // A style no face has: no usable font.
        let none = FontsConfig {
            styles: Weights::from_pairs(&[(FontStyle::Rounded, 1.0)]),
            ..FontsConfig::default()
        };
        assert!(FontSet::load(&none, &['中']).is_err());
    }

    #[test]
    fn no_usable_font_is_an_error() {
        let cfg = FontsConfig {
            bundled: false,
            ..FontsConfig::default()
        };
        let err = FontSet::load(&cfg, &['中']).err().expect("must fail");
        assert!(err.to_string().contains("no usable font"));
        let strict = FontsConfig {
            min_coverage: Prob(1.0),
            ..FontsConfig::default()
        };
        assert!(FontSet::load(&strict, &['中', '簡']).is_err());
    }
}
