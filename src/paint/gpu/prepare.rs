//! Plan → GPU job: everything the kernels need, decided on the CPU. Whatever the CPU painter
//! computes in f64 before it becomes an integer (16.16 row starts and steps, colour LUTs,
//! vignette parts, gradient weights, noise row seeds) is computed here with the same
//! expressions, so the kernels do integer work only and match bit for bit. The one exception is
//! the projective layer warp (the CPU divides in f64 per pixel with running sums): its row starts
//! and steps go to the kernel as f32, which can put a pixel's coverage one level off.
//!
//! The background is the first pass: a photo or texture crop (`background::paint_crop`'s
//! integer resample, from the axis tables it would use and the pool image, uploaded once per
//! `Gpu`), a solid fill, or a procedural kind from `background::procedural`'s tables (gradient
//! terms and ramp thresholds; value-noise octaves with their lattices; paper's octaves and
//! grain row seeds) is painted by a kernel; a photo decoded when drawn arrives painted by the
//! CPU and is unpacked.
//!
//! Anything the kernels cannot do exactly (a projective camera, JPEG, a value beyond i32) goes
//! to the CPU after readback — and with it every effect after it, so the order never changes.

use std::sync::Arc;

use image::RgbImage;

use crate::background::Procedural;
use crate::composite::Paint;
use crate::effects::PixelEffect;
use crate::geometry::{Homography, Rect};
use crate::noise;
use crate::noise::Octave16;
use crate::plan::Plan;
use crate::recipe::BlendMode;
use crate::rng::mix64;

/// Words per layer record (see `paint.wgsl`).
const LAYER_WORDS: usize = 18;
/// Bytes per pass parameter block (the uniform buffer's dynamic-offset alignment).
pub(super) const PASS_STRIDE: u64 = 256;
/// Canvas side above which 16.16 positions could leave i32 (the kernels' integer width).
const MAX_SIDE: u32 = 16384;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    Unpack,
    Fill,
    Crop,
    Gradient,
    ValueNoise,
    Paper,
    Layers,
    Camera,
    Jitter,
    Vignette,
    Noise,
    BoxBlur,
    Motion,
    Pack,
}

impl Kernel {
    pub(super) const ALL: [Kernel; 14] = [
        Kernel::Unpack,
        Kernel::Fill,
        Kernel::Crop,
        Kernel::Gradient,
        Kernel::ValueNoise,
        Kernel::Paper,
        Kernel::Layers,
        Kernel::Camera,
        Kernel::Jitter,
        Kernel::Vignette,
        Kernel::Noise,
        Kernel::BoxBlur,
        Kernel::Motion,
        Kernel::Pack,
    ];

    pub(super) fn entry(self) -> &'static str {
        match self {
            Kernel::Unpack => "unpack",
            Kernel::Fill => "fill",
            Kernel::Crop => "crop",
            Kernel::Gradient => "gradient",
            Kernel::ValueNoise => "value_noise",
            Kernel::Paper => "paper",
            Kernel::Layers => "layers",
            Kernel::Camera => "camera",
            Kernel::Jitter => "jitter",
            Kernel::Vignette => "vignette",
            Kernel::Noise => "noise",
            Kernel::BoxBlur => "box_blur",
            Kernel::Motion => "motion",
            Kernel::Pack => "pack",
        }
    }

    /// Writes `dst` (then the canvas is `dst`) rather than updating `src` in place.
    pub(super) fn swaps(self) -> bool {
        matches!(self, Kernel::Camera | Kernel::BoxBlur | Kernel::Motion)
    }
}

/// One dispatch: the kernel, its parameters (`Pass` in the shader: width, height, a..f) and
/// its workgroup counts.
#[derive(Clone, Debug)]
pub(super) struct PassRec {
    pub kernel: Kernel,
    pub params: [u32; 8],
    pub groups: (u32, u32),
}

/// A sample's background as the painter gets it.
pub(super) enum Background<'a> {
    /// Painted on the CPU: uploaded and unpacked.
    Pixels(&'a RgbImage),
    /// Filled by a kernel.
    Solid([u8; 3]),
    /// `paint_crop` by a kernel: the pool image and its axis tables (`bilinear_axis`'s
    /// source indices and weight per canvas column, then per row).
    Crop {
        source: &'a Arc<RgbImage>,
        xs: &'a [(u32, u32, u32)],
        ys: &'a [(u32, u32, u32)],
    },
    /// Gradients, noise and paper by their kernels, from `background::procedural`'s tables.
    Procedural(&'a Procedural),
}

/// A sample ready for the GPU.
pub(super) struct Job {
    pub width: u32,
    pub height: u32,
    /// The background's RGB bytes, padded to a multiple of 4, when the CPU painted it.
    pub upload: Option<Vec<u8>>,
    /// The pool image the crop pass samples (bound as `image`).
    pub source: Option<Arc<RgbImage>>,
    pub tab: Vec<u32>,
    /// Every coverage plane, concatenated, padded to a multiple of 4 (at least 4 bytes).
    pub planes: Vec<u8>,
    pub passes: Vec<PassRec>,
    /// Applied on the CPU after readback, in order (the camera first when it is here).
    pub cpu_camera: Option<Homography>,
    pub cpu_effects: Vec<PixelEffect>,
}

/// Why a plan is painted on the CPU instead (never for a picture the kernels can paint).
#[derive(Debug)]
pub(super) struct NotOnGpu;

fn groups16(w: u32, h: u32) -> (u32, u32) {
    (w.div_ceil(16), h.div_ceil(16))
}

fn fits_i32(v: i64) -> bool {
    i32::try_from(v).is_ok()
}

fn pack_rgb(c: [u8; 3]) -> u32 {
    u32::from(c[0]) | u32::from(c[1]) << 8 | u32::from(c[2]) << 16
}

/// Appends `octaves`' records (five words each, contiguous, as `fractal16` in the shader reads
/// them) and their tables to `tab`; returns where the records start.
fn push_octaves(tab: &mut Vec<u32>, octaves: &[&Octave16]) -> u32 {
    let records = tab.len();
    tab.resize(records + 5 * octaves.len(), 0);
    for (k, o) in octaves.iter().enumerate() {
        let xs = tab.len() as u32;
        tab.extend(o.xs.iter().flat_map(|&(i, w)| [i, w]));
        let ys = tab.len() as u32;
        tab.extend(o.ys.iter().flat_map(|&(j, w)| [j, w]));
        let grid = tab.len() as u32;
        tab.extend(&o.grid);
        tab[records + 5 * k..][..5].copy_from_slice(&[xs, ys, grid, o.cols as u32, o.shift]);
    }
    records as u32
}

/// The first pass for a procedural background, its tables appended to `tab`.
fn procedural_pass(p: &Procedural, w: u32, h: u32, tab: &mut Vec<u32>) -> PassRec {
    let colors = |tab: &mut Vec<u32>, c: &[[u8; 3]]| {
        let at = tab.len() as u32;
        tab.extend(c.iter().map(|c| pack_rgb(*c)));
        at
    };
    let (kernel, a) = match p {
        Procedural::Gradient(g) => {
            let col = tab.len() as u32;
            tab.extend(g.col.iter().map(|v| v.to_bits()));
            let row = tab.len() as u32;
            tab.extend(g.row.iter().map(|v| v.to_bits()));
            let thresholds = tab.len() as u32;
            tab.extend(g.thresholds().iter().map(|v| v.to_bits()));
            let ramp = colors(tab, &g.colors);
            (Kernel::Gradient, [col, row, thresholds, ramp, 0, 0])
        }
        Procedural::Noise {
            octaves,
            colors: c,
            divisor,
        } => {
            let refs: Vec<&Octave16> = octaves.iter().collect();
            let records = push_octaves(tab, &refs);
            let ramp = colors(tab, c);
            let n = octaves.len() as u32;
            (Kernel::ValueNoise, [records, n, ramp, *divisor, 0, 0])
        }
        Procedural::Paper {
            blotches,
            fibre,
            row_seeds,
            amplitudes: (b, g),
            base,
        } => {
            debug_assert_eq!(blotches.len(), 3, "the kernel sums three blotch octaves");
            let refs: Vec<&Octave16> = blotches.iter().collect();
            let blotch = push_octaves(tab, &refs);
            let fibre = push_octaves(tab, &[fibre]);
            let seeds = tab.len() as u32;
            tab.extend(row_seeds.iter().flat_map(|s| [*s as u32, (s >> 32) as u32]));
            let params = [blotch, fibre, seeds, *b as u32, *g as u32, pack_rgb(*base)];
            (Kernel::Paper, params)
        }
    };
    PassRec {
        kernel,
        params: [w, h, a[0], a[1], a[2], a[3], a[4], a[5]],
        groups: groups16(w, h),
    }
}

/// Bytes of a `w × h` picture's packed RGB, padded to a multiple of 4.
pub(super) fn rgb_bytes(w: u32, h: u32) -> u64 {
    (3 * u64::from(w) * u64::from(h)).div_ceil(4) * 4
}

pub(super) fn prepare(plan: &Plan, background: Background) -> Result<Job, NotOnGpu> {
    let (w, h) = (plan.width, plan.height);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(NotOnGpu);
    }
    let with = |a: [u32; 6]| [w, h, a[0], a[1], a[2], a[3], a[4], a[5]];
    let mut tab: Vec<u32> = Vec::new();

    // Background: the first pass writes every canvas pixel.
    let (mut upload, mut source) = (None, None);
    let first = match background {
        Background::Pixels(img) => {
            let raw = img.as_raw();
            let mut rgb = Vec::with_capacity(rgb_bytes(w, h) as usize);
            rgb.extend_from_slice(raw);
            rgb.resize(rgb_bytes(w, h) as usize, 0);
            upload = Some(rgb);
            PassRec {
                kernel: Kernel::Unpack,
                params: with([0; 6]),
                groups: groups16(w, h),
            }
        }
        Background::Solid(color) => PassRec {
            kernel: Kernel::Fill,
            params: with([pack_rgb(color), 0, 0, 0, 0, 0]),
            groups: groups16(w, h),
        },
        Background::Crop {
            source: img,
            xs,
            ys,
        } => {
            if xs.len() != w as usize || ys.len() != h as usize {
                return Err(NotOnGpu);
            }
            let at = tab.len() as u32;
            tab.extend(xs.iter().chain(ys).flat_map(|&(a, b, f)| [a, b, f]));
            source = Some(img.clone());
            PassRec {
                kernel: Kernel::Crop,
                params: with([at, at + 3 * w, img.width(), 0, 0, 0]),
                groups: groups16(w, h),
            }
        }
        Background::Procedural(p) => procedural_pass(p, w, h, &mut tab),
    };
    let mut passes = vec![first];

    // Planes, concatenated.
    let mut plane_off = Vec::with_capacity(plan.planes.len());
    let mut planes = Vec::new();
    for p in &plan.planes {
        plane_off.push(u32::try_from(planes.len()).map_err(|_| NotOnGpu)?);
        planes.extend_from_slice(&p.data);
    }
    planes.resize(planes.len().div_ceil(4).max(1) * 4, 0);

    // Layers: records first (their tables follow, so offsets are patched in).
    let mut records: Vec<[u32; LAYER_WORDS]> = Vec::new();
    let (mut ux0, mut uy0, mut ux1, mut uy1) = (u32::MAX, u32::MAX, 0u32, 0u32);
    let mut tables: Vec<u32> = Vec::new();
    let mut table_refs: Vec<(usize, usize, Option<usize>)> = Vec::new();
    for layer in &plan.layers {
        let alpha = &plan.planes[layer.plane];
        // warp_alpha's box, same expressions.
        let corners = Rect::new(0.0, 0.0, f64::from(alpha.width), f64::from(alpha.height)).quad();
        let bb = Rect::of_points(layer.to_canvas.apply_quad(&corners).iter());
        let x0 = bb.x0.floor().max(0.0) as i64;
        let y0 = bb.y0.floor().max(0.0) as i64;
        let x1 = (bb.x1.ceil() as i64).min(i64::from(w));
        let y1 = (bb.y1.ceil() as i64).min(i64::from(h));
        if x1 <= x0 || y1 <= y0 {
            continue;
        }
        let (bw, bh) = ((x1 - x0) as u32, (y1 - y0) as u32);
        if alpha.width >= 32768 || alpha.height >= 32768 {
            return Err(NotOnGpu);
        }
        let inv = layer.to_canvas.inverse().ok_or(NotOnGpu)?.0;
        let affine = inv[6] == 0.0 && inv[7] == 0.0 && inv[8] == 1.0;
        let rows_at = tables.len();
        let (kind, s0, s1, s2);
        let cx = x0 as f64 + 0.5;
        if affine {
            let fixed = |v: f64| (v * 65536.0).round() as i64;
            let (dx, dy) = (fixed(inv[0]), fixed(inv[3]));
            let span = i64::from(bw);
            for row in 0..i64::from(bh) {
                let cy = (y0 + row) as f64 + 0.5;
                let sx = fixed(inv[0] * cx + inv[1] * cy + inv[2] - 0.5);
                let sy = fixed(inv[3] * cx + inv[4] * cy + inv[5] - 0.5);
                for (s, d) in [(sx, dx), (sy, dy)] {
                    if !fits_i32(s) || !fits_i32(s + d * span) || !fits_i32(d * span) {
                        return Err(NotOnGpu);
                    }
                    tables.push(s as i32 as u32);
                }
            }
            kind = 0;
            (s0, s1, s2) = (dx as i32 as u32, dy as i32 as u32, 0);
        } else {
            for row in 0..i64::from(bh) {
                let cy = (y0 + row) as f64 + 0.5;
                let nx = inv[0] * cx + inv[1] * cy + inv[2];
                let ny = inv[3] * cx + inv[4] * cy + inv[5];
                let wz = inv[6] * cx + inv[7] * cy + inv[8];
                tables.extend([nx, ny, wz].map(|v| (v as f32).to_bits()));
            }
            kind = 1;
            (s0, s1, s2) = (
                (inv[0] as f32).to_bits(),
                (inv[3] as f32).to_bits(),
                (inv[6] as f32).to_bits(),
            );
        }
        let (c0, c1, grad) = match layer.paint {
            Paint::Solid(c) => (pack_rgb(c), 0, None),
            Paint::Linear { p0, p1, c0, c1 } => {
                // composite::blend's weight, per pixel of the box, same expressions.
                let (dx, dy) = (p1.x - p0.x, p1.y - p0.y);
                let len2 = (dx * dx + dy * dy).max(1e-9);
                let (gx, gy) = (dx / len2, dy / len2);
                let at = tables.len();
                for row in 0..bh {
                    let y = y0 as u32 + row;
                    let cy = f64::from(y) + 0.5 - p0.y;
                    for col in 0..bw {
                        let cx = x0 as f64 + f64::from(col) + 0.5 - p0.x;
                        tables.push(((cx * gx + cy * gy).clamp(0.0, 1.0) * 256.0) as u32);
                    }
                }
                (pack_rgb(c0), pack_rgb(c1), Some(at))
            }
        };
        let blend = match layer.blend {
            BlendMode::Normal => 0,
            BlendMode::Multiply => 1,
        };
        records.push([
            x0 as u32,
            y0 as u32,
            bw,
            bh,
            plane_off[layer.plane],
            alpha.width,
            alpha.height,
            kind,
            0, // rows, patched below
            s0,
            s1,
            s2,
            c0,
            c1,
            u32::from(layer.opacity),
            blend,
            u32::MAX, // gradient table, patched below
            0,
        ]);
        table_refs.push((records.len() - 1, rows_at, grad));
        ux0 = ux0.min(x0 as u32);
        uy0 = uy0.min(y0 as u32);
        ux1 = ux1.max(x1 as u32);
        uy1 = uy1.max(y1 as u32);
    }
    if !records.is_empty() {
        // Offsets into `tab`, which may hold the background's tables already.
        let at = tab.len();
        let tables_at = at + records.len() * LAYER_WORDS;
        for (r, rows, grad) in table_refs {
            records[r][8] = (tables_at + rows) as u32;
            if let Some(g) = grad {
                records[r][16] = (tables_at + g) as u32;
            }
        }
        let at = at as u32;
        tab.extend(records.iter().flatten());
        tab.extend(&tables);
        passes.push(PassRec {
            kernel: Kernel::Layers,
            params: with([records.len() as u32, at, ux0, uy0, 0, 0]),
            groups: groups16(ux1 - ux0, uy1 - uy0),
        });
    }

    // Camera: warp_rgb's affine path; a projective camera goes to the CPU with every effect.
    let mut cpu_camera = None;
    let mut cpu_from = 0;
    if let Some(h_cam) = &plan.camera {
        let m = h_cam.inverse().expect("camera transforms are invertible").0;
        let fixed = |v: f64| (v * 65536.0).round() as i64;
        let (step_x, step_y) = (fixed(m[0]), fixed(m[3]));
        let mut rows = Vec::with_capacity(2 * h as usize);
        let mut ok = m[6] == 0.0 && m[7] == 0.0 && m[8] == 1.0;
        for y in 0..h {
            let cy = f64::from(y) + 0.5;
            let sx = fixed(m[0] * 0.5 + m[1] * cy + m[2] - 0.5);
            let sy = fixed(m[3] * 0.5 + m[4] * cy + m[5] - 0.5);
            for (s, d) in [(sx, step_x), (sy, step_y)] {
                ok &= fits_i32(s) && fits_i32(s + d * i64::from(w)) && fits_i32(d * i64::from(w));
            }
            rows.extend([sx as i32 as u32, sy as i32 as u32]);
        }
        if ok {
            passes.push(PassRec {
                kernel: Kernel::Camera,
                params: with([
                    tab.len() as u32,
                    step_x as i32 as u32,
                    step_y as i32 as u32,
                    0,
                    0,
                    0,
                ]),
                groups: groups16(w, h),
            });
            tab.extend(rows);
        } else {
            cpu_camera = Some(*h_cam);
            cpu_from = plan.effects.len() + 1; // nothing else on the GPU
        }
    }

    // Effects, in order, until the first one that must run on the CPU.
    let mut cpu_effects = Vec::new();
    for (i, effect) in plan.effects.iter().enumerate() {
        if cpu_from > 0 || !effect_pass(effect, w, h, &mut tab, &mut passes) {
            cpu_effects.extend_from_slice(&plan.effects[i..]);
            break;
        }
    }

    let words = (3 * u64::from(w) * u64::from(h)).div_ceil(4);
    let per_row = words.div_ceil(256).min(32768) as u32 * 256;
    passes.push(PassRec {
        kernel: Kernel::Pack,
        params: with([per_row, 0, 0, 0, 0, 0]),
        groups: (per_row / 256, words.div_ceil(u64::from(per_row)) as u32),
    });
    if tab.is_empty() {
        tab.push(0);
    }
    Ok(Job {
        width: w,
        height: h,
        upload,
        source,
        tab,
        planes,
        passes,
        cpu_camera,
        cpu_effects,
    })
}

/// Adds the passes of `effect`; false when it must run on the CPU.
fn effect_pass(
    effect: &PixelEffect,
    w: u32,
    h: u32,
    tab: &mut Vec<u32>,
    passes: &mut Vec<PassRec>,
) -> bool {
    let at = tab.len() as u32;
    let with = |a: [u32; 6]| [w, h, a[0], a[1], a[2], a[3], a[4], a[5]];
    let full = groups16(w, h);
    match *effect {
        PixelEffect::ColorJitter {
            brightness,
            contrast,
            saturation,
        } => {
            // effects::color_jitter's LUT and saturation, same expressions.
            tab.extend((0..256).map(|v| {
                ((((f64::from(v) - 128.0) * contrast + 128.0 + brightness) * 256.0).round() as i32)
                    as u32
            }));
            let sat = (saturation * 256.0).round() as i32;
            passes.push(PassRec {
                kernel: Kernel::Jitter,
                params: with([at, sat as u32, 0, 0, 0, 0]),
                groups: full,
            });
        }
        PixelEffect::Vignette { strength } => {
            // effects::vignette's parts, same expressions.
            let (fw, fh) = (f64::from(w), f64::from(h));
            let (cx, cy) = (fw / 2.0, fh / 2.0);
            let norm = strength / (cx * cx + cy * cy);
            let part = |d: f64| (d * d * norm * 65536.0).round() as i64;
            let xs: Vec<i64> = (0..w).map(|x| part(f64::from(x) + 0.5 - cx)).collect();
            let ys: Vec<i64> = (0..h).map(|y| part(f64::from(y) + 0.5 - cy)).collect();
            let (mx, my) = (
                xs.iter().map(|v| v.abs()).max().unwrap_or(0),
                ys.iter().map(|v| v.abs()).max().unwrap_or(0),
            );
            if mx + my + 65536 >= i64::from(i32::MAX) {
                return false;
            }
            tab.extend(xs.iter().chain(&ys).map(|v| *v as i32 as u32));
            passes.push(PassRec {
                kernel: Kernel::Vignette,
                params: with([at, at + w, 0, 0, 0, 0]),
                groups: full,
            });
        }
        PixelEffect::GaussianBlur { radius, .. } => {
            // blur::gaussian_like: three horizontal, then three vertical box passes.
            if radius > 0 {
                for dir in [0, 0, 0, 1, 1, 1] {
                    passes.push(PassRec {
                        kernel: Kernel::BoxBlur,
                        params: with([radius as u32, dir, 0, 0, 0, 0]),
                        groups: full,
                    });
                }
            }
        }
        PixelEffect::MotionBlur { taps, angle } => {
            // effects::motion_blur's offsets, same expressions.
            let n = taps;
            if !(1..=4096).contains(&n) {
                return false;
            }
            for k in 0..n {
                let t = k as f64 - (n - 1) as f64 / 2.0;
                let (dx, dy) = (
                    (t * angle.cos()).round() as i64,
                    (t * angle.sin()).round() as i64,
                );
                tab.extend([dx as i32 as u32, dy as i32 as u32]);
            }
            passes.push(PassRec {
                kernel: Kernel::Motion,
                params: with([n as u32, at, 0, 0, 0, 0]),
                groups: full,
            });
        }
        PixelEffect::Noise { sigma, seed } => {
            // effects::noise's table and noise::row_bytes's row seeds.
            tab.extend(
                noise::GAUSSIAN
                    .iter()
                    .map(|g| (f64::from(*g) * sigma).round() as i32 as u32),
            );
            for y in 0..h {
                let s = mix64(seed ^ (u64::from(y) << 32 | 0x5EED));
                tab.extend([s as u32, (s >> 32) as u32]);
            }
            passes.push(PassRec {
                kernel: Kernel::Noise,
                params: with([at, at + 256, 0, 0, 0, 0]),
                groups: full,
            });
        }
        PixelEffect::Jpeg { .. } => return false,
    }
    true
}
