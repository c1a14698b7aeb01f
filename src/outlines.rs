//! Glyph outlines as tiny-skia paths in font units (y up), cached per thread.
//!
//! Both layout (which needs each glyph's ink box for exact character quads) and render (which
//! fills the paths) read outlines from here, so every glyph is decoded once per thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use skrifa::font::glyph::outline::PathSink;
use skrifa::{GlyphId, ScalerFont};
use tiny_skia::{Path, PathBuilder};

use crate::fonts::Face;
use crate::geometry::Rect;

struct SkiaSink(PathBuilder);

impl PathSink for SkiaSink {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to(x, y);
    }
    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        self.0.quad_to(cx0, cy0, x, y);
    }
    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        self.0.cubic_to(cx0, cy0, cx1, cy1, x, y);
    }
    fn close(&mut self) {
        self.0.close();
    }
}

/// A glyph outline and its ink bounds, in font units, y up.
pub struct Outline {
    pub path: Path,
    pub bounds: Rect,
}

type Cache = HashMap<(u64, u32), Option<Rc<Outline>>>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(HashMap::new());
}

/// Entries kept per thread before the cache is cleared (bounds memory for huge fonts/corpora).
const CACHE_LIMIT: usize = 12_000;

fn draw(face: &Face, glyph: u32) -> Option<Rc<Outline>> {
    let scaler = ScalerFont::unhinted(face.font.clone(), None);
    let outline = scaler.outline(GlyphId::new(glyph))?;
    let mut sink = SkiaSink(PathBuilder::new());
    outline.draw(skrifa::DrawMemory::Scratch, &mut sink).ok()?;
    let path = sink.0.finish()?;
    let b = path.bounds();
    let bounds = Rect::new(
        f64::from(b.left()),
        f64::from(b.top()),
        f64::from(b.right()),
        f64::from(b.bottom()),
    );
    Some(Rc::new(Outline { path, bounds }))
}

/// The outline of `glyph` in `face`; `None` for glyphs without ink (spaces).
pub fn outline(face: &Face, glyph: u32) -> Option<Rc<Outline>> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > CACHE_LIMIT {
            cache.clear();
        }
        cache
            .entry((face.uid, glyph))
            .or_insert_with(|| draw(face, glyph))
            .clone()
    })
}

/// Whether `glyph` draws any ink: a cmap entry whose outline is missing or damaged does not.
/// Uncached, for the one-off coverage check at font loading.
pub fn has_ink(face: &Face, glyph: u32) -> bool {
    draw(face, glyph).is_some_and(|o| o.bounds.width() > 0.0 && o.bounds.height() > 0.0)
}
