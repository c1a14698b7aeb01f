//! Plane geometry shared by layout, warp and labels: points, boxes, quads and homographies.
//!
//! Everything is `f64` so that a quad pushed through several transforms stays exact to far below
//! a pixel. Image coordinates: x to the right, y down, pixel centres at `i + 0.5`.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub const fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }
}

/// Axis-aligned box `[x0, x1] × [y0, y1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub const EMPTY: Rect = Rect {
        x0: f64::INFINITY,
        y0: f64::INFINITY,
        x1: f64::NEG_INFINITY,
        y1: f64::NEG_INFINITY,
    };

    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Self {
        Rect { x0, y0, x1, y1 }
    }

    pub fn is_empty(&self) -> bool {
        self.x1 < self.x0 || self.y1 < self.y0
    }

    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    pub fn union(&self, o: &Rect) -> Rect {
        Rect::new(
            self.x0.min(o.x0),
            self.y0.min(o.y0),
            self.x1.max(o.x1),
            self.y1.max(o.y1),
        )
    }

    pub fn expand(&self, d: f64) -> Rect {
        Rect::new(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)
    }

    pub fn translate(&self, dx: f64, dy: f64) -> Rect {
        Rect::new(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)
    }

    /// Corners clockwise in image coordinates, starting top-left.
    pub fn quad(&self) -> Quad {
        [
            Point::new(self.x0, self.y0),
            Point::new(self.x1, self.y0),
            Point::new(self.x1, self.y1),
            Point::new(self.x0, self.y1),
        ]
    }

    pub fn of_points<'a>(pts: impl IntoIterator<Item = &'a Point>) -> Rect {
        pts.into_iter().fold(Rect::EMPTY, |r, p| {
            Rect::new(r.x0.min(p.x), r.y0.min(p.y), r.x1.max(p.x), r.y1.max(p.y))
        })
    }
}

/// Four corners: top-left, top-right, bottom-right, bottom-left of the unwarped box.
pub type Quad = [Point; 4];

/// A projective transform `p' = H p` in homogeneous coordinates, row-major.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homography(pub [f64; 9]);

impl Homography {
    pub const IDENTITY: Homography = Homography([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);

    pub fn translate(dx: f64, dy: f64) -> Self {
        Homography([1.0, 0.0, dx, 0.0, 1.0, dy, 0.0, 0.0, 1.0])
    }

    pub fn scale(s: f64) -> Self {
        Homography([s, 0.0, 0.0, 0.0, s, 0.0, 0.0, 0.0, 1.0])
    }

    pub fn apply(&self, p: Point) -> Point {
        let m = &self.0;
        let w = m[6] * p.x + m[7] * p.y + m[8];
        Point::new(
            (m[0] * p.x + m[1] * p.y + m[2]) / w,
            (m[3] * p.x + m[4] * p.y + m[5]) / w,
        )
    }

    pub fn apply_quad(&self, q: &Quad) -> Quad {
        q.map(|p| self.apply(p))
    }

    /// The smallest factor by which the map scales a small neighbourhood of `p` (the smaller
    /// singular value of its Jacobian there): how much a glyph at `p` shrinks in its thinnest
    /// direction, which is what decides whether it can still be read.
    pub fn min_scale_at(&self, p: Point) -> f64 {
        let m = &self.0;
        let w = m[6] * p.x + m[7] * p.y + m[8];
        let q = self.apply(p);
        let (a, b) = ((m[0] - q.x * m[6]) / w, (m[1] - q.x * m[7]) / w);
        let (c, d) = ((m[3] - q.y * m[6]) / w, (m[4] - q.y * m[7]) / w);
        let sum = a * a + b * b + c * c + d * d;
        let det = a * d - b * c;
        ((sum - (sum * sum - 4.0 * det * det).max(0.0).sqrt()) / 2.0)
            .max(0.0)
            .sqrt()
    }

    /// `self ∘ other`: apply `other` first.
    pub fn then_after(&self, other: &Homography) -> Homography {
        let a = &self.0;
        let b = &other.0;
        let mut r = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                r[i * 3 + j] = (0..3).map(|k| a[i * 3 + k] * b[k * 3 + j]).sum();
            }
        }
        Homography(r)
    }

    pub fn inverse(&self) -> Option<Homography> {
        let m = &self.0;
        let c00 = m[4] * m[8] - m[5] * m[7];
        let c01 = m[5] * m[6] - m[3] * m[8];
        let c02 = m[3] * m[7] - m[4] * m[6];
        let det = m[0] * c00 + m[1] * c01 + m[2] * c02;
        if det.abs() < 1e-12 {
            return None;
        }
        let inv = [
            c00,
            m[2] * m[7] - m[1] * m[8],
            m[1] * m[5] - m[2] * m[4],
            c01,
            m[0] * m[8] - m[2] * m[6],
            m[2] * m[3] - m[0] * m[5],
            c02,
            m[1] * m[6] - m[0] * m[7],
            m[0] * m[4] - m[1] * m[3],
        ];
        Some(Homography(inv.map(|v| v / det)))
    }

    /// The homography taking each `src[i]` to `dst[i]` (direct linear transform, h33 = 1).
    pub fn from_quads(src: &Quad, dst: &Quad) -> Option<Homography> {
        let mut a = [[0.0f64; 9]; 8];
        for i in 0..4 {
            let (x, y) = (src[i].x, src[i].y);
            let (u, v) = (dst[i].x, dst[i].y);
            a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        let h = solve8(a)?;
        Some(Homography([
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0,
        ]))
    }
}

/// Gaussian elimination with partial pivoting on an 8×8 system given as augmented rows.
fn solve8(mut a: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        for row in 0..8 {
            if row != col {
                let f = a[row][col] / a[col][col];
                if f != 0.0 {
                    let pivot_row = a[col];
                    for (v, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                        *v -= f * p;
                    }
                }
            }
        }
    }
    let mut x = [0.0; 8];
    for i in 0..8 {
        x[i] = a[i][8] / a[i][i];
    }
    Some(x)
}

/// A rotation by `angle` radians (clockwise on screen, y down) about `from`, then a move of
/// `from` to `to`: how one character is placed along a curved baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rigid {
    pub angle: f64,
    pub from: Point,
    pub to: Point,
}

impl Rigid {
    pub fn apply(&self, p: Point) -> Point {
        let (sin, cos) = self.angle.sin_cos();
        let (dx, dy) = (p.x - self.from.x, p.y - self.from.y);
        Point::new(
            self.to.x + dx * cos - dy * sin,
            self.to.y + dx * sin + dy * cos,
        )
    }
}

/// True when convex polygons `a` and `b` are at least `gap` apart along one of their edge
/// normals (the separating axis theorem): then they do not overlap and no point of one lies
/// within `gap` of the other along that axis.
pub fn convex_separated(a: &[Point], b: &[Point], gap: f64) -> bool {
    let project = |pts: &[Point], nx: f64, ny: f64| {
        pts.iter()
            .map(|p| p.x * nx + p.y * ny)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            })
    };
    [a, b].iter().any(|poly| {
        (0..poly.len()).any(|i| {
            let (p, q) = (poly[i], poly[(i + 1) % poly.len()]);
            let (ex, ey) = (q.x - p.x, q.y - p.y);
            let len = (ex * ex + ey * ey).sqrt();
            if len < 1e-12 {
                return false;
            }
            let (nx, ny) = (-ey / len, ex / len);
            let (a0, a1) = project(a, nx, ny);
            let (b0, b1) = project(b, nx, ny);
            a1 + gap <= b0 || b1 + gap <= a0
        })
    })
}

/// Signed area (shoelace); positive for clockwise quads in image coordinates (y down).
pub fn polygon_area(pts: &[Point]) -> f64 {
    let n = pts.len();
    (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum::<f64>()
        / 2.0
}

/// Even-odd point-in-polygon test.
pub fn point_in_polygon(p: Point, pts: &[Point]) -> bool {
    let n = pts.len();
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (pts[i], pts[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// True when the quad is convex and not degenerate (all turns the same way).
/// Where a point lies on a 3×3 grid over a `w × h` image: "top left" … "bottom right", and
/// "center" in the middle cell (AnyText-style position words).
pub fn position_word(p: Point, w: f64, h: f64) -> &'static str {
    const WORDS: [[&str; 3]; 3] = [
        ["top left", "top", "top right"],
        ["left", "center", "right"],
        ["bottom left", "bottom", "bottom right"],
    ];
    let cell = |v: f64, n: f64| ((v / n * 3.0).floor().clamp(0.0, 2.0)) as usize;
    WORDS[cell(p.y, h)][cell(p.x, w)]
}

pub fn is_convex(q: &Quad) -> bool {
    let mut sign = 0.0;
    for i in 0..4 {
        let (a, b, c) = (q[i], q[(i + 1) % 4], q[(i + 2) % 4]);
        let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
        if cross.abs() < 1e-9 || (sign != 0.0 && cross.signum() != sign) {
            return false;
        }
        sign = cross.signum();
    }
    true
}

#[cfg(test)]
mod tests {

    #[test]
    fn min_scale_is_the_thinnest_direction() {
        let p = Point::new(10.0, 20.0);
        assert!((Homography::scale(2.5).min_scale_at(p) - 2.5).abs() < 1e-12);
        // Squeezed to 0.5 vertically, stretched 3× horizontally, rotated: 0.5.
        let (s, c) = 0.7f64.sin_cos();
        let rot = Homography([c, -s, 5.0, s, c, -3.0, 0.0, 0.0, 1.0]);
        let squeeze = Homography([3.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0]);
        assert!((rot.then_after(&squeeze).min_scale_at(p) - 0.5).abs() < 1e-9);
        // A perspective map: compare with finite differences.
        let h = Homography([1.1, 0.2, 3.0, -0.1, 0.9, 4.0, 0.001, 0.0005, 1.0]);
        let e = 1e-5;
        let (q, qx, qy) = (
            h.apply(p),
            h.apply(Point::new(p.x + e, p.y)),
            h.apply(Point::new(p.x, p.y + e)),
        );
        let (a, b, c, d) = (
            (qx.x - q.x) / e,
            (qy.x - q.x) / e,
            (qx.y - q.y) / e,
            (qy.y - q.y) / e,
        );
        // The smallest stretch over many directions.
        let numeric = (0..3600)
            .map(|k| {
                let t = f64::from(k) * std::f64::consts::PI / 3600.0;
                let (u, v) = (t.cos(), t.sin());
                ((a * u + b * v).powi(2) + (c * u + d * v).powi(2)).sqrt()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(
            (h.min_scale_at(p) - numeric).abs() < 1e-4,
            "{} vs {numeric}",
            h.min_scale_at(p)
        );
    }

    use super::*;

    fn close(a: Point, b: Point) -> bool {
        (a.x - b.x).abs() < 1e-7 && (a.y - b.y).abs() < 1e-7
    }

    #[test]
    fn homography_maps_quad_corners_exactly() {
        let src = Rect::new(0.0, 0.0, 200.0, 50.0).quad();
        let dst = [
            Point::new(10.0, 20.0),
            Point::new(230.0, 5.0),
            Point::new(250.0, 90.0),
            Point::new(0.0, 70.0),
        ];
        let h = Homography::from_quads(&src, &dst).unwrap();
        for i in 0..4 {
            assert!(close(h.apply(src[i]), dst[i]));
        }
        let inv = h.inverse().unwrap();
        let p = Point::new(37.5, 12.25);
        assert!(close(inv.apply(h.apply(p)), p));
        let composed = Homography::translate(5.0, -3.0).then_after(&h);
        let q = h.apply(p);
        assert!(close(composed.apply(p), Point::new(q.x + 5.0, q.y - 3.0)));
    }

    #[test]
    fn degenerate_quads_have_no_homography() {
        let src = Rect::new(0.0, 0.0, 1.0, 1.0).quad();
        let line = [Point::new(0.0, 0.0); 4];
        assert!(Homography::from_quads(&src, &line).is_none());
    }

    #[test]
    fn rigid_rotates_about_its_pivot() {
        let r = Rigid {
            angle: std::f64::consts::FRAC_PI_2,
            from: Point::new(1.0, 1.0),
            to: Point::new(10.0, 10.0),
        };
        assert!(close(r.apply(Point::new(1.0, 1.0)), Point::new(10.0, 10.0)));
        // Quarter turn clockwise on screen: +x goes to +y.
        assert!(close(r.apply(Point::new(2.0, 1.0)), Point::new(10.0, 11.0)));
    }

    #[test]
    fn separation_respects_the_gap() {
        let a = Rect::new(0.0, 0.0, 10.0, 10.0).quad();
        let b = Rect::new(13.0, 0.0, 20.0, 10.0).quad();
        assert!(convex_separated(&a, &b, 2.0));
        assert!(!convex_separated(&a, &b, 4.0));
        let overlapping = Rect::new(5.0, 5.0, 20.0, 20.0).quad();
        assert!(!convex_separated(&a, &overlapping, 0.0));
        // A diamond off a square's corner.
        let diamond = [
            Point::new(14.0, 12.0),
            Point::new(18.0, 16.0),
            Point::new(14.0, 20.0),
            Point::new(10.0, 16.0),
        ];
        assert!(convex_separated(&a, &diamond, 0.5));
    }

    #[test]
    fn polygon_helpers() {
        let q = Rect::new(0.0, 0.0, 4.0, 2.0).quad();
        assert_eq!(polygon_area(&q), 8.0);
        assert!(point_in_polygon(Point::new(1.0, 1.0), &q));
        assert!(!point_in_polygon(Point::new(5.0, 1.0), &q));
        assert!(is_convex(&q));
        let bow = [q[0], q[2], q[1], q[3]];
        assert!(!is_convex(&bow));
    }
}
