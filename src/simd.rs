//! Runtime CPU-feature dispatch for the per-pixel kernels.
//!
//! The kernels are plain loops written so that the compiler vectorises them; [`avx2_dispatch`]
//! compiles such a function twice, for the baseline target and with AVX2 enabled, and picks
//! the AVX2 build at run time when the CPU has it. Both builds do the same integer and IEEE
//! f32/f64 operations in the same order (Rust never fuses a multiply and an add on its own), so
//! they give the same bytes; the tests compare them where it matters.

/// Defines a function whose body is compiled for the baseline target and for AVX2, the latter
/// used when `is_x86_feature_detected!("avx2")`. Helpers the body calls should be
/// `#[inline(always)]` so that they are compiled into the AVX2 build too. Non-x86 targets get
/// the baseline build only.
macro_rules! avx2_dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if $crate::simd::has_avx2() {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;

thread_local! {
    /// Set by [`with_baseline`]: this thread runs the baseline builds.
    static BASELINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the AVX2 builds may run: the CPU has AVX2 (detected once, then cached), the
/// environment does not say `HANZI_SYNTH_NO_SIMD=1` (to measure the baseline builds), and the
/// thread is not inside [`with_baseline`].
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static ON: OnceLock<bool> = OnceLock::new();
        let on = *ON.get_or_init(|| {
            std::env::var_os("HANZI_SYNTH_NO_SIMD").is_none_or(|v| v != "1")
                && std::arch::is_x86_feature_detected!("avx2")
        });
        on && !BASELINE.with(std::cell::Cell::get)
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Runs `f` with the baseline builds on this thread (tests compare them with the AVX2 ones).
pub fn with_baseline<R>(f: impl FnOnce() -> R) -> R {
    let before = BASELINE.with(|b| b.replace(true));
    let out = f();
    BASELINE.with(|b| b.set(before));
    out
}

/// Random bytes for the tests that compare SIMD and baseline builds.
#[cfg(test)]
pub(crate) fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = crate::rng::Rng::new(seed);
    (0..n).map(|_| rng.next_u64() as u8).collect()
}
