// The GPU painter's kernels: the CPU painter's integer arithmetic, step for step, so that
// the pictures match bit for bit (see src/warp.rs, src/composite.rs, src/effects.rs,
// src/blur.rs, src/noise.rs). Every value that the CPU computes in f64 before it becomes an
// integer (fixed-point row starts and steps, LUTs, gradient weights) comes precomputed in `tab`;
// the only float work here is the projective warp (f32, within one level of the CPU).
//
// One canvas pixel is one u32 (r | g << 8 | b << 16) in `src`/`dst`; `rgb` is the packed RGB
// bytes that travel to and from the CPU; `image` is a background pool image, packed RGB (kept
// on the GPU across jobs). `P` is the current pass's parameters.

struct Pass {
    width: u32,
    height: u32,
    a: u32,
    b: u32,
    c: u32,
    d: u32,
    e: u32,
    f: u32,
}

@group(0) @binding(0) var<uniform> P: Pass;
@group(0) @binding(1) var<storage, read> tab: array<u32>;
@group(0) @binding(2) var<storage, read> planes: array<u32>;
@group(0) @binding(3) var<storage, read_write> src: array<u32>;
@group(0) @binding(4) var<storage, read_write> dst: array<u32>;
@group(0) @binding(5) var<storage, read_write> rgb: array<u32>;
@group(0) @binding(6) var<storage, read> image: array<u32>;

fn rgb_byte(i: u32) -> u32 {
    return (rgb[i >> 2u] >> ((i & 3u) * 8u)) & 255u;
}

fn chan(px: u32, c: u32) -> u32 {
    return (px >> (c * 8u)) & 255u;
}

@compute @workgroup_size(16, 16)
fn unpack(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let i = g.y * P.width + g.x;
    let b = 3u * i;
    src[i] = rgb_byte(b) | (rgb_byte(b + 1u) << 8u) | (rgb_byte(b + 2u) << 16u);
}

// ---- background -------------------------------------------------------------------------------

// A solid background: every pixel `P.a`.
@compute @workgroup_size(16, 16)
fn fill(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    src[g.y * P.width + g.x] = P.a;
}

fn image_byte(i: u32) -> u32 {
    return (image[i >> 2u] >> ((i & 3u) * 8u)) & 255u;
}

// background.rs `paint_crop` from `image` (`P.c` pixels wide): axis tables (x0, x1, fx per
// column) at tab[`P.a`] and (y0, y1, fy per row) at tab[`P.b`]. The CPU resamples source rows
// y0 and y1 horizontally into 1/256 levels, then blends the two rows; the same integers here.
@compute @workgroup_size(16, 16)
fn crop(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let xa = P.a + 3u * g.x;
    let ya = P.b + 3u * g.y;
    let x0 = 3u * tab[xa];
    let x1 = 3u * tab[xa + 1u];
    let fx = tab[xa + 2u];
    let r0 = 3u * P.c * tab[ya];
    let r1 = 3u * P.c * tab[ya + 1u];
    let fy = tab[ya + 2u];
    var out = 0u;
    for (var c = 0u; c < 3u; c++) {
        let top = image_byte(r0 + x0 + c) * (256u - fx) + image_byte(r0 + x1 + c) * fx;
        let bottom = image_byte(r1 + x0 + c) * (256u - fx) + image_byte(r1 + x1 + c) * fx;
        out |= ((top * (256u - fy) + bottom * fy + 32768u) >> 16u) << (8u * c);
    }
    src[g.y * P.width + g.x] = out;
}

// background.rs `Gradient`: v = col[x] + row[y], one f32 addition (correctly rounded on every
// Vulkan device, so equal to the CPU's), then its ramp index = how many of the 255 ascending
// thresholds are ≤ v, found by binary search instead of repeating the CPU's float steps after
// the addition. col at tab[`P.a`], row at tab[`P.b`], thresholds at tab[`P.c`], 256 packed
// colours at tab[`P.d`].
@compute @workgroup_size(16, 16)
fn gradient(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let v = bitcast<f32>(tab[P.a + g.x]) + bitcast<f32>(tab[P.b + g.y]);
    var k = 0u;
    for (var step = 128u; step > 0u; step = step >> 1u) {
        if (k + step <= 255u && bitcast<f32>(tab[P.c + k + step - 1u]) <= v) {
            k += step;
        }
    }
    src[g.y * P.width + g.x] = tab[P.d + k];
}

// noise.rs `blend16`: a·(1 − w) + b·w with w in 1/4096, rounded.
fn blend16(a: u32, b: u32, w: u32) -> u32 {
    return (a * (4096u - w) + b * w + 2048u) >> 12u;
}

// noise.rs `Octave16` at pixel (x, y), shifted by its weight. Its record at tab[`o`]: offsets of
// the column table (cell, weight per column), the row table and the lattice grid, the grid's
// columns, the shift. The CPU blends the two lattice rows first, then along x: same here.
fn octave16(o: u32, x: u32, y: u32) -> u32 {
    let xs = tab[o] + 2u * x;
    let ys = tab[o + 1u] + 2u * y;
    let cols = tab[o + 3u];
    let top = tab[o + 2u] + tab[ys] * cols + tab[xs];
    let bottom = top + cols;
    let sy = tab[ys + 1u];
    let a = blend16(tab[top], tab[bottom], sy);
    let b = blend16(tab[top + 1u], tab[bottom + 1u], sy);
    return blend16(a, b, tab[xs + 1u]) << tab[o + 4u];
}

// noise.rs `fractal_sum16`: `count` octave records from tab[`first`].
fn fractal16(first: u32, count: u32, x: u32, y: u32) -> u32 {
    var sum = 0u;
    for (var k = 0u; k < count; k++) {
        sum += octave16(first + 5u * k, x, y);
    }
    return sum;
}

// background.rs `smooth_noise`: octave records at tab[`P.a`] (`P.b` of them), ramp index
// (sum·255 + d/2) / d with d = `P.d`, 256 packed colours at tab[`P.c`].
@compute @workgroup_size(16, 16)
fn value_noise(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let sum = fractal16(P.a, P.b, g.x, g.y);
    src[g.y * P.width + g.x] = tab[P.c + (sum * 255u + P.d / 2u) / P.d];
}

// background.rs `PaperParts`: blotch octave records at tab[`P.a`] (three), the fibre octave's
// at tab[`P.b`], per-row mixed grain seeds (lo, hi) at tab[`P.c`], blotch and grain amplitudes
// (1/256 levels) `P.d`, `P.e`, base colour `P.f`; `paper_shift` and `paper_channel` per pixel.
@compute @workgroup_size(16, 16)
fn paper(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let l = i32((fractal16(P.a, 3u, g.x, g.y) * 4681u) >> 15u);
    let f = i32(octave16(P.b, g.x, g.y));
    let s0 = vec2<u32>(tab[P.c + 2u * g.y], tab[P.c + 2u * g.y + 1u]);
    let r = wyrand_chunk(s0, g.x >> 3u);
    let j = g.x & 7u;
    var u = 0u;
    if (j < 4u) {
        u = (r.x >> (8u * j)) & 255u;
    } else {
        u = (r.y >> (8u * (j - 4u))) & 255u;
    }
    let b = bitcast<i32>(P.d);
    let gr = bitcast<i32>(P.e);
    let d = (((l - 32768) * b) >> 16u) + (((f - 32768) * gr) >> 16u)
        + (((i32(u) * 257 - 32768) * gr) >> 16u);
    var out = 0u;
    for (var c = 0u; c < 3u; c++) {
        let base = i32((P.f >> (8u * c)) & 255u);
        out |= u32(clamp((base * 256 + d + 128) >> 8u, 0, 255)) << (8u * c);
    }
    src[g.y * P.width + g.x] = out;
}

// One output word (4 bytes of packed RGB) per invocation; dispatched as rows of `P.a` words.
@compute @workgroup_size(256)
fn pack(@builtin(global_invocation_id) g: vec3<u32>) {
    let k = g.y * P.a + g.x;
    let total = 3u * P.width * P.height;
    if (g.x >= P.a || 4u * k >= total) {
        return;
    }
    var w = 0u;
    for (var j = 0u; j < 4u; j++) {
        let b = 4u * k + j;
        if (b < total) {
            w |= chan(src[b / 3u], b % 3u) << (8u * j);
        }
    }
    rgb[k] = w;
}

// ---- layers: warp_alpha + blend --------------------------------------------------------------

const LAYER_WORDS: u32 = 18u;

fn plane_byte(i: u32) -> u32 {
    return (planes[i >> 2u] >> ((i & 3u) * 8u)) & 255u;
}

fn plane_at(off: u32, lw: i32, lh: i32, x: i32, y: i32) -> u32 {
    if (x < 0 || y < 0 || x >= lw || y >= lh) {
        return 0u;
    }
    return plane_byte(off + u32(y * lw + x));
}

// warp.rs `sample_fixed`: bilinear alpha at 16.16 source position (px, py).
fn sample_fixed(off: u32, lw: i32, lh: i32, px: i32, py: i32) -> u32 {
    let one = 65536;
    if (px <= -one || py <= -one || px >= (lw << 16u) || py >= (lh << 16u)) {
        return 0u;
    }
    let ix = px >> 16u;
    let iy = py >> 16u;
    let ax = u32((px >> 8u) & 255);
    let ay = u32((py >> 8u) & 255);
    let top = plane_at(off, lw, lh, ix, iy) * (256u - ax) + plane_at(off, lw, lh, ix + 1, iy) * ax;
    let bottom = plane_at(off, lw, lh, ix, iy + 1) * (256u - ax) + plane_at(off, lw, lh, ix + 1, iy + 1) * ax;
    return (top * (256u - ay) + bottom * ay + 32768u) >> 16u;
}

// warp.rs `to_fixed`, in f32.
fn to_fixed(v: f32) -> i32 {
    let s = v * 65536.0;
    if (s >= 0.0) {
        return i32(s + 0.5);
    }
    return i32(s - 0.5);
}

// Layer record (LAYER_WORDS u32): x0 y0 bw bh | plane_off lw lh kind | rows s0 s1 s2 |
// c0 c1 opacity blend grad_off pad. kind 0: affine (rows: 2 i32 per row, 16.16 starts; s0, s1:
// i32 steps); kind 1: projective (rows: 3 f32 per row; s0..s2: f32 steps).
// `P.a` layers from tab[`P.b`]; the dispatch covers the box at (`P.c`, `P.d`).
@compute @workgroup_size(16, 16)
fn layers(@builtin(global_invocation_id) g: vec3<u32>) {
    let x = g.x + P.c;
    let y = g.y + P.d;
    if (x >= P.width || y >= P.height) {
        return;
    }
    let pi = y * P.width + x;
    var px = src[pi];
    var changed = false;
    for (var l = 0u; l < P.a; l++) {
        let r = P.b + l * LAYER_WORDS;
        let x0 = tab[r];
        let y0 = tab[r + 1u];
        if (x < x0 || y < y0 || x >= x0 + tab[r + 2u] || y >= y0 + tab[r + 3u]) {
            continue;
        }
        let col = x - x0;
        let row = y - y0;
        let off = tab[r + 4u];
        let lw = i32(tab[r + 5u]);
        let lh = i32(tab[r + 6u]);
        var alpha = 0u;
        if (tab[r + 7u] == 0u) {
            let rows = tab[r + 8u] + 2u * row;
            let sx = bitcast<i32>(tab[rows]) + bitcast<i32>(tab[r + 9u]) * i32(col);
            let sy = bitcast<i32>(tab[rows + 1u]) + bitcast<i32>(tab[r + 10u]) * i32(col);
            alpha = sample_fixed(off, lw, lh, sx, sy);
        } else {
            let rows = tab[r + 8u] + 3u * row;
            let c = f32(col);
            let nx = bitcast<f32>(tab[rows]) + c * bitcast<f32>(tab[r + 9u]);
            let ny = bitcast<f32>(tab[rows + 1u]) + c * bitcast<f32>(tab[r + 10u]);
            let wz = bitcast<f32>(tab[rows + 2u]) + c * bitcast<f32>(tab[r + 11u]);
            alpha = sample_fixed(off, lw, lh, to_fixed(nx / wz - 0.5), to_fixed(ny / wz - 0.5));
        }
        if (alpha == 0u) {
            continue;
        }
        var color = tab[r + 12u];
        let grad = tab[r + 16u];
        if (grad != 0xffffffffu) {
            let t = tab[grad + row * tab[r + 2u] + col];
            let c0 = tab[r + 12u];
            let c1 = tab[r + 13u];
            color = 0u;
            for (var i = 0u; i < 3u; i++) {
                color |= ((chan(c0, i) * (256u - t) + chan(c1, i) * t + 128u) >> 8u) << (8u * i);
            }
        }
        let a = (alpha * tab[r + 14u] + 127u) / 255u;
        let multiply = tab[r + 15u] == 1u;
        var out = 0u;
        for (var i = 0u; i < 3u; i++) {
            let bg = chan(px, i);
            var ink = chan(color, i);
            if (multiply) {
                ink = (bg * ink + 127u) / 255u;
            }
            out |= ((bg * (255u - a) + ink * a + 127u) / 255u) << (8u * i);
        }
        px = out;
        changed = true;
    }
    if (changed) {
        src[pi] = px;
    }
}

// ---- camera: warp_rgb's affine fixed-point path -----------------------------------------------

// Row starts (2 i32 per row) at tab[`P.a`]; steps `P.b`, `P.c` (i32).
@compute @workgroup_size(16, 16)
fn camera(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = P.width;
    let h = P.height;
    if (g.x >= w || g.y >= h) {
        return;
    }
    let rows = P.a + 2u * g.y;
    let sx = bitcast<i32>(tab[rows]) + bitcast<i32>(P.b) * i32(g.x);
    let sy = bitcast<i32>(tab[rows + 1u]) + bitcast<i32>(P.c) * i32(g.x);
    let cx = clamp(sx, 0, i32(w - 1u) << 16u);
    let cy = clamp(sy, 0, i32(h - 1u) << 16u);
    let x0 = u32(cx >> 16u);
    let y0 = u32(cy >> 16u);
    let fx = u32((cx >> 8u) & 255);
    let fy = u32((cy >> 8u) & 255);
    let x1 = min(x0 + 1u, w - 1u);
    let y1 = min(y0 + 1u, h - 1u);
    let p00 = src[y0 * w + x0];
    let p10 = src[y0 * w + x1];
    let p01 = src[y1 * w + x0];
    let p11 = src[y1 * w + x1];
    var out = 0u;
    for (var c = 0u; c < 3u; c++) {
        let top = chan(p00, c) * (256u - fx) + chan(p10, c) * fx;
        let bottom = chan(p01, c) * (256u - fx) + chan(p11, c) * fx;
        out |= ((top * (256u - fy) + bottom * fy + 32768u) >> 16u) << (8u * c);
    }
    dst[g.y * w + g.x] = out;
}

// ---- pixel effects -----------------------------------------------------------------------------

// effects.rs `color_jitter`: LUT (256 i32) at tab[`P.a`], saturation `P.b` (i32, 1/256).
@compute @workgroup_size(16, 16)
fn jitter(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let i = g.y * P.width + g.x;
    let px = src[i];
    let sat = bitcast<i32>(P.b);
    let v = vec3<i32>(
        bitcast<i32>(tab[P.a + chan(px, 0u)]),
        bitcast<i32>(tab[P.a + chan(px, 1u)]),
        bitcast<i32>(tab[P.a + chan(px, 2u)]),
    );
    let grey = (77 * v.x + 150 * v.y + 29 * v.z) >> 8u;
    var out = 0u;
    for (var c = 0u; c < 3u; c++) {
        let o = grey + (((v[c] - grey) * sat) >> 8u);
        out |= u32(clamp((o + 128) >> 8u, 0, 255)) << (8u * c);
    }
    src[i] = out;
}

// effects.rs `vignette`: x parts (width i32) at tab[`P.a`], y parts (height i32) at tab[`P.b`].
@compute @workgroup_size(16, 16)
fn vignette(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let i = g.y * P.width + g.x;
    let px = src[i];
    let k = u32(max(65536 - bitcast<i32>(tab[P.b + g.y]) - bitcast<i32>(tab[P.a + g.x]), 0) >> 8u);
    var out = 0u;
    for (var c = 0u; c < 3u; c++) {
        out |= ((chan(px, c) * k + 128u) >> 8u) << (8u * c);
    }
    src[i] = out;
}

// 32 × 32 → 64 bits as (lo, hi).
fn mul32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    return vec2<u32>((p00 & 0xffffu) | (mid << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

fn carry(sum: u32, addend: u32) -> u32 {
    return select(0u, 1u, sum < addend);
}

// noise.rs `row_bytes`: the 8 bytes of chunk `k` of a row whose mixed seed is `s0`
// (state_k = s0 + (k + 1)·C; r = hi ^ lo of state_k · (state_k ^ D)), as (bytes 0-3, 4-7).
fn wyrand_chunk(s0: vec2<u32>, k: u32) -> vec2<u32> {
    let k1 = k + 1u;
    let m = mul32(k1, 0x78BD642Fu);
    let inc = vec2<u32>(m.x, m.y + k1 * 0xA0761D64u);
    let lo = s0.x + inc.x;
    let st = vec2<u32>(lo, s0.y + inc.y + carry(lo, inc.x));
    let b = vec2<u32>(st.x ^ 0xA0B428DBu, st.y ^ 0xE7037ED1u);
    let ll = mul32(st.x, b.x);
    let lh = mul32(st.x, b.y);
    let hl = mul32(st.y, b.x);
    let hh = mul32(st.y, b.y);
    var w1 = ll.y + lh.x;
    var c1 = carry(w1, lh.x);
    w1 = w1 + hl.x;
    c1 += carry(w1, hl.x);
    var w2 = hh.x + lh.y;
    var c2 = carry(w2, lh.y);
    w2 = w2 + hl.y;
    c2 += carry(w2, hl.y);
    w2 = w2 + c1;
    c2 += carry(w2, c1);
    let w3 = hh.y + c2;
    return vec2<u32>(w2 ^ ll.x, w3 ^ w1);
}

// effects.rs `noise`: table (256 i32) at tab[`P.a`], per-row mixed seeds (lo, hi) at tab[`P.b`].
@compute @workgroup_size(16, 16)
fn noise(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let i = g.y * P.width + g.x;
    let px = src[i];
    let s0 = vec2<u32>(tab[P.b + 2u * g.y], tab[P.b + 2u * g.y + 1u]);
    var out = 0u;
    var have = 0xffffffffu;
    var r = vec2<u32>(0u, 0u);
    for (var c = 0u; c < 3u; c++) {
        let bi = 3u * g.x + c;
        let k = bi / 8u;
        if (k != have) {
            r = wyrand_chunk(s0, k);
            have = k;
        }
        let j = bi % 8u;
        var u = 0u;
        if (j < 4u) {
            u = (r.x >> (8u * j)) & 255u;
        } else {
            u = (r.y >> (8u * (j - 4u))) & 255u;
        }
        let o = i32(chan(px, c)) * 256 + bitcast<i32>(tab[P.a + u]);
        out |= u32(clamp((o + 128) >> 8u, 0, 255)) << (8u * c);
    }
    src[i] = out;
}

// blur.rs: one box pass of radius `P.a`, horizontal (`P.b` = 0) or vertical, edges clamped.
@compute @workgroup_size(16, 16)
fn box_blur(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = i32(P.width);
    let h = i32(P.height);
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    let r = i32(P.a);
    var s = vec3<u32>(0u, 0u, 0u);
    for (var d = -r; d <= r; d++) {
        var x = i32(g.x);
        var y = i32(g.y);
        if (P.b == 0u) {
            x = clamp(x + d, 0, w - 1);
        } else {
            y = clamp(y + d, 0, h - 1);
        }
        let p = src[u32(y * w + x)];
        s += vec3<u32>(chan(p, 0u), chan(p, 1u), chan(p, 2u));
    }
    let win = u32(2 * r + 1);
    let o = (s + vec3<u32>(win / 2u)) / win;
    dst[g.y * P.width + g.x] = o.x | (o.y << 8u) | (o.z << 16u);
}

// effects.rs `motion_blur`: `P.a` taps, offsets (2 i32 each) at tab[`P.b`], edges clamped.
@compute @workgroup_size(16, 16)
fn motion(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = i32(P.width);
    let h = i32(P.height);
    if (g.x >= P.width || g.y >= P.height) {
        return;
    }
    var s = vec3<u32>(0u, 0u, 0u);
    for (var t = 0u; t < P.a; t++) {
        let x = clamp(i32(g.x) + bitcast<i32>(tab[P.b + 2u * t]), 0, w - 1);
        let y = clamp(i32(g.y) + bitcast<i32>(tab[P.b + 2u * t + 1u]), 0, h - 1);
        let p = src[u32(y * w + x)];
        s += vec3<u32>(chan(p, 0u), chan(p, 1u), chan(p, 2u));
    }
    let o = (s + vec3<u32>(P.a / 2u)) / P.a;
    dst[g.y * P.width + g.x] = o.x | (o.y << 8u) | (o.z << 16u);
}
