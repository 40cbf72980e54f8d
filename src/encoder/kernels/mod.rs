//! CPU kernels the BERT forward pass needs beyond candle's matmul and layer
//! norm: GELU with a vectorisable erf, and one fused attention kernel.
//!
//! Why our own: candle's `gelu_erf` calls a scalar erf per element and its
//! attention is a chain of copies, many tiny per-head matmuls and an
//! unfused softmax. The kernels here are plain loops over contiguous
//! slices, written so the compiler vectorises them; on x86-64 they are
//! compiled twice, for the portable baseline and for AVX2, and picked at
//! run time. Neither version uses fused multiply-add, and every reduction
//! has a fixed order, so both give the same bits: a result does not depend
//! on the CPU's features, the thread count or what else is in the batch.
//!
//! The unit tests also run under Miri, on smaller shapes there:
//! `MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-ignore-leaks" cargo +nightly miri
//! test --lib --no-default-features kernels` (Tree Borrows because rayon's
//! crossbeam-epoch is not Stacked-Borrows clean; rayon's pool threads
//! outlive the tests, hence ignore-leaks). Miri runs the baseline path; the
//! AVX2 one needs `RUSTFLAGS="-C target-feature=+avx2"` as well.

mod attention;
mod gelu;
pub mod int8;
mod math;

pub use attention::{Attention, AttentionShape};
pub use gelu::BiasGelu;

/// Rows per parallel task of the elementwise kernels: big enough that a
/// task outweighs its scheduling, and a fixed split, so results never
/// depend on the thread count (they would not anyway: rows are independent).
const ROWS_PER_TASK: usize = 16;

/// Defines `$name`, which runs `$generic` (an `#[inline(always)]` function)
/// compiled for AVX2 when the CPU has it, else for the baseline.
macro_rules! dispatch {
    ($(#[$doc:meta])* $vis:vis fn $name:ident = $generic:ident ($($arg:ident : $ty:ty),*) $(-> $ret:ty)?) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            /// `$generic` compiled for AVX2.
            ///
            /// # Safety
            ///
            /// The CPU must support AVX2; nothing else (the body is safe code).
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                $generic($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                return unsafe { avx2($($arg),*) };
            }
            $generic($($arg),*)
        }
    };
}
pub(crate) use dispatch;
