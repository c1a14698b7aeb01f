//! Designed templates (Qwen-Image's "complex" renderer): page layouts — slides, menus, receipts,
//! book covers, product labels, app screens — declared in YAML as panels (filled boxes: header
//! bars, cards, buttons) and text regions with a role (title, subtitle, body, list, price,
//! label, button), a type style and an alignment, filled with corpus text.
//!
//! This module owns the template files: reading, checking (with the file and the region named),
//! and the text each region asks for. The planner ([`crate::scene`]) lays the regions out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;

use crate::corpus::Corpus;
use crate::geometry::Rect;
use crate::recipe::{Align, CorpusConfig, Direction, FontStyle, Rgb8};
use crate::rng::Rng;

/// The folder of the bundled templates (named in recipes without `.yaml`).
pub const BUNDLED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");

/// What a region's text is for; it decides how its lines are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// One line of a few words.
    Title,
    Subtitle,
    /// Lines of several words.
    Body,
    /// Numbered items ("1. 苹果").
    List,
    /// Items with a price ("宫保鸡丁 38元").
    Price,
    /// A short word or two (a tag, a field name).
    Label,
    /// One short word (a button, a tab).
    Button,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Title => "title",
            Role::Subtitle => "subtitle",
            Role::Body => "body",
            Role::List => "list",
            Role::Price => "price",
            Role::Label => "label",
            Role::Button => "button",
        }
    }
}

fn one() -> [u32; 2] {
    [1, 1]
}

/// A text region: where, what for, and how it is set.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub role: Role,
    /// `[x0, y0, x1, y1]` as fractions of the canvas.
    pub rect: [f64; 4],
    #[serde(default = "one")]
    pub lines: [u32; 2],
    /// Characters per line (words are drawn until the next would pass the maximum).
    #[serde(default = "default_chars")]
    pub chars: [u32; 2],
    #[serde(default)]
    pub align: Option<Align>,
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Type styles this region is set in (any face of them); empty = any face.
    #[serde(default)]
    pub styles: Vec<FontStyle>,
    /// Fill of a box behind the region (a button, a price tag): its colours, one drawn.
    #[serde(default)]
    pub panel: Vec<Rgb8>,
}

fn default_chars() -> [u32; 2] {
    [2, 10]
}

/// A filled box without text: header bars, cards, dividers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub rect: [f64; 4],
    /// Its colours, one drawn per sample.
    pub colors: Vec<Rgb8>,
    /// Corner radius as a fraction of the canvas's shorter side.
    #[serde(default)]
    pub radius: f64,
}

/// What the captions call the page.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub en: String,
    pub zh: String,
}

/// A template file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    pub subject: Subject,
    /// Page colours, one drawn per sample (a solid page).
    pub background: Vec<Rgb8>,
    #[serde(default)]
    pub panels: Vec<Panel>,
    pub regions: Vec<Region>,
    /// Where it was read from (for messages and metadata).
    #[serde(skip)]
    pub source: String,
}

impl Template {
    /// Reads a template: a bundled name (`slide`) or a `.yaml` path (relative to `base`).
    pub fn load(name: &str, base: &Path) -> Result<Template> {
        let path: PathBuf = if name.ends_with(".yaml") || name.ends_with(".yml") {
            base.join(name)
        } else {
            Path::new(BUNDLED_DIR).join(format!("{name}.yaml"))
        };
        let text = std::fs::read_to_string(&path).with_context(|| {
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                format!("cannot read template file {}", path.display())
            } else {
                format!(
                    "`{name}` is not a bundled template (bundled: {}); give a path ending in .yaml \
                     for your own",
                    bundled_names().join(", ")
                )
            }
        })?;
        let mut t: Template = serde_saphyr::from_str(&text)
            .map_err(|e| anyhow::anyhow!("template {}: {e}", path.display()))?;
        t.source = if name.ends_with(".yaml") || name.ends_with(".yml") {
            path.display().to_string()
        } else {
            format!("bundled:templates/{name}.yaml")
        };
        t.check()
            .with_context(|| format!("template {}", path.display()))?;
        Ok(t)
    }

    /// Boxes inside the page, not overlapping, ranges in order, colours given.
    pub fn check(&self) -> Result<()> {
        if self.background.is_empty() {
            bail!("background: give at least one colour");
        }
        if self.regions.is_empty() {
            bail!("regions: give at least one text region");
        }
        let inside =
            |r: &[f64; 4]| r.iter().all(|v| (0.0..=1.0).contains(v)) && r[0] < r[2] && r[1] < r[3];
        for (i, p) in self.panels.iter().enumerate() {
            if !inside(&p.rect) {
                bail!(
                    "panels[{i}].rect must be [x0, y0, x1, y1] within [0, 1] with x0 < x1, y0 < y1"
                );
            }
            if p.colors.is_empty() {
                bail!("panels[{i}].colors: give at least one colour");
            }
            if !(0.0..=0.5).contains(&p.radius) {
                bail!("panels[{i}].radius must lie within [0, 0.5]");
            }
        }
        for (i, r) in self.regions.iter().enumerate() {
            if !inside(&r.rect) {
                bail!("regions[{i}].rect must be [x0, y0, x1, y1] within [0, 1] with x0 < x1, y0 < y1");
            }
            if r.lines[0] < 1 || r.lines[0] > r.lines[1] || r.lines[1] > 20 {
                bail!("regions[{i}].lines must be [min, max] with 1 ≤ min ≤ max ≤ 20");
            }
            if r.chars[0] < 1 || r.chars[0] > r.chars[1] || r.chars[1] > 40 {
                bail!("regions[{i}].chars must be [min, max] with 1 ≤ min ≤ max ≤ 40");
            }
            for (j, o) in self.regions.iter().enumerate().take(i) {
                let overlap = r.rect[0] < o.rect[2]
                    && o.rect[0] < r.rect[2]
                    && r.rect[1] < o.rect[3]
                    && o.rect[1] < r.rect[3];
                if overlap {
                    bail!("regions[{j}] and regions[{i}] overlap: text regions must not");
                }
            }
        }
        Ok(())
    }

    /// A region's box in canvas pixels.
    pub fn pixels(rect: &[f64; 4], (w, h): (u32, u32)) -> Rect {
        let (w, h) = (f64::from(w), f64::from(h));
        Rect::new(rect[0] * w, rect[1] * h, rect[2] * w, rect[3] * h)
    }
}

/// The bundled templates' names.
pub fn bundled_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(BUNDLED_DIR)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let p = e.path();
                    if p.extension()? != "yaml" {
                        return None;
                    }
                    Some(p.file_stem()?.to_string_lossy().into_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Loads every template a recipe names, with its weight.
pub fn load_all(names: &BTreeMap<String, f64>, base: &Path) -> Result<Vec<(Template, f64)>> {
    names
        .iter()
        .filter(|(_, w)| **w > 0.0)
        .map(|(n, w)| Ok((Template::load(n, base).context("templates")?, *w)))
        .collect()
}

/// The lines of a region: drawn from the corpus by its role, `n` of them.
pub fn region_lines(
    corpus: &Corpus,
    cfg: &CorpusConfig,
    region: &Region,
    rng: &mut Rng,
) -> Vec<String> {
    let n = rng.range_u32(region.lines[0], region.lines[1]);
    let max = rng.range_u32(region.chars[0], region.chars[1]) as usize;
    let line = |rng: &mut Rng, budget: usize| -> String {
        let mut text = String::new();
        // Words until the next would not fit; at least one word, cut to the budget.
        for _ in 0..8 {
            let w = corpus.sample_line(cfg, rng);
            let (len, wl) = (text.chars().count(), w.chars().count());
            if text.is_empty() {
                text = w.chars().take(budget.max(1)).collect();
            } else if len + wl <= budget {
                text.push_str(&w);
            } else {
                break;
            }
            if text.chars().count() >= budget {
                break;
            }
        }
        text
    };
    (0..n)
        .map(|i| match region.role {
            Role::List => format!("{}. {}", i + 1, line(rng, max.saturating_sub(3).max(1))),
            Role::Price => {
                let price = 5 + rng.below(195);
                format!("{} {price}元", line(rng, max.saturating_sub(5).max(1)))
            }
            Role::Button | Role::Label => line(rng, max.min(6)),
            _ => line(rng, max),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_template_loads() {
        let names = bundled_names();
        assert!(names.len() >= 5, "{names:?}");
        for n in names {
            let t = Template::load(&n, Path::new(".")).unwrap();
            assert_eq!(t.name, n);
        }
    }

    #[test]
    fn overlapping_regions_are_refused_with_their_numbers() {
        let yaml = "name: x\nsubject: {en: a page, zh: 一页}\nbackground: ['#ffffff']\nregions:\n  - {role: title, rect: [0, 0, 1, 0.5]}\n  - {role: body, rect: [0, 0.4, 1, 1]}\n";
        let t: Template = serde_saphyr::from_str(yaml).unwrap();
        let e = t.check().unwrap_err().to_string();
        assert!(e.contains("regions[0] and regions[1] overlap"), "{e}");
    }

    #[test]
    fn an_unknown_name_lists_the_bundled_ones() {
        let e = format!("{:#}", Template::load("nope", Path::new(".")).unwrap_err());
        assert!(e.contains("slide") && e.contains(".yaml"), "{e}");
    }
}
