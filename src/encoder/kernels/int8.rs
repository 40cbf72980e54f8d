//! Opt-in int8 linear layers (`--precision int8`): weights quantised once at
//! load time, activations quantised per row on the fly, products summed in
//! 32-bit integers.
//!
//! - Weights: per output unit (row of `W`), symmetric, scale = max|w| / 63,
//!   so every weight is an integer in [-63, 63].
//! - Activations: per row (token), asymmetric over [min(x, 0), max(x, 0)],
//!   so every value is an integer in [0, 255] with a zero point.
//! - Why 7-bit weights: AVX2's byte multiply (`vpmaddubsw`, u8 × i8) adds
//!   pairs of products into a saturating i16; 255 · 63 · 2 = 32,130 fits,
//!   255 · 127 · 2 would not. The integer sums are therefore exact, on
//!   every path: the AVX2 kernel and the portable one give the same bits,
//!   and a row's result does not depend on the other rows in its batch.
//!
//! `x·wᵀ ≈ sx·sw·(Σ xq·wq − zp·Σ wq)`; the second sum is stored per unit.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape};
use rayon::prelude::*;

/// Largest weight magnitude after quantisation (see the module docs).
const WEIGHT_LEVELS: f32 = 63.0;
/// Bytes per inner step of the kernel (one AVX2 register).
const STEP: usize = 32;
/// Rows and units of the micro-kernel's output tile.
const MR: usize = 4;
const NR: usize = 2;
/// Units per cache tile: this many rows of `W` stay in L2 while every row
/// block of the task passes over them.
const UNITS_PER_TILE: usize = 64;
/// Activation rows per parallel task (a multiple of `MR`).
const ROWS_PER_TASK: usize = 64;

/// A linear layer's weights in int8, plus the float bias.
pub(crate) struct QuantizedLinear {
    /// Output units (rows of `W`).
    units: usize,
    /// Input width (columns of `W`).
    inputs: usize,
    /// `inputs` rounded up to a multiple of [`STEP`]; rows are zero-padded.
    stride: usize,
    /// `[units rounded up to NR, stride]`, row-major.
    weights: Vec<i8>,
    scales: Vec<f32>,
    /// Σ_k wq[n, k], for the activations' zero point.
    sums: Vec<i32>,
    bias: Vec<f32>,
}

impl QuantizedLinear {
    /// Quantises `weight` (`[units, inputs]`, row-major, as stored) and keeps `bias`.
    pub fn new(weight: &[f32], bias: &[f32], units: usize, inputs: usize) -> QuantizedLinear {
        assert_eq!(weight.len(), units * inputs, "weight shape");
        assert_eq!(bias.len(), units, "bias shape");
        let stride = inputs.div_ceil(STEP) * STEP;
        let padded_units = units.div_ceil(NR) * NR;
        let mut weights = vec![0i8; padded_units * stride];
        let mut scales = vec![0f32; padded_units];
        let mut sums = vec![0i32; padded_units];
        for (n, row) in weight.chunks_exact(inputs).enumerate() {
            let max = row.iter().fold(0f32, |m, w| m.max(w.abs()));
            let scale = if max > 0.0 { max / WEIGHT_LEVELS } else { 1.0 };
            let out = &mut weights[n * stride..n * stride + inputs];
            for (q, &w) in out.iter_mut().zip(row) {
                *q = (w / scale).round().clamp(-WEIGHT_LEVELS, WEIGHT_LEVELS) as i8;
            }
            scales[n] = scale;
            sums[n] = out.iter().map(|&q| q as i32).sum();
        }
        QuantizedLinear { units, inputs, stride, weights, scales, sums, bias: bias.to_vec() }
    }

    /// `x·Wᵀ (+ bias)` for `x` of `[rows, inputs]`, row-major.
    pub fn forward(&self, x: &[f32], with_bias: bool) -> Vec<f32> {
        let rows = x.len() / self.inputs;
        let mut out = vec![0f32; rows * self.units];
        out.par_chunks_mut(ROWS_PER_TASK * self.units)
            .zip(x.par_chunks(ROWS_PER_TASK * self.inputs))
            .for_each(|(out, x)| self.forward_task(x, out, with_bias));
        out
    }

    /// One task: quantise its rows, then for each tile of units run the
    /// integer kernel over every block of rows and convert the tile's sums.
    fn forward_task(&self, x: &[f32], out: &mut [f32], with_bias: bool) {
        let rows = x.len() / self.inputs;
        let blocks = rows.div_ceil(MR);
        // Rows past the end (to fill the last block) stay zero and are
        // computed but never written out.
        let mut xq = vec![0u8; blocks * MR * self.stride];
        let mut row_scale = vec![0f32; rows];
        let mut zero_point = vec![0i32; rows];
        for r in 0..rows {
            let (scale, zp) = quantize_row(
                &x[r * self.inputs..(r + 1) * self.inputs],
                &mut xq[r * self.stride..r * self.stride + self.inputs],
            );
            row_scale[r] = scale;
            zero_point[r] = zp;
        }
        let padded_units = self.scales.len();
        let mut sums = vec![0i32; blocks * MR * UNITS_PER_TILE];
        for unit_start in (0..padded_units).step_by(UNITS_PER_TILE) {
            let width = UNITS_PER_TILE.min(padded_units - unit_start);
            let ws = &self.weights[unit_start * self.stride..(unit_start + width) * self.stride];
            for block in 0..blocks {
                let xs = &xq[block * MR * self.stride..(block + 1) * MR * self.stride];
                dot_block(xs, ws, self.stride, &mut sums[block * MR * width..(block + 1) * MR * width]);
            }
            // Integer sums to floats, a row at a time (a loop that vectorises).
            let units = unit_start..(unit_start + width).min(self.units);
            let (scales, unit_sums, bias) =
                (&self.scales[units.clone()], &self.sums[units.clone()], &self.bias[units.clone()]);
            for r in 0..rows {
                let (sx, zp) = (row_scale[r], zero_point[r]);
                let dst = &mut out[r * self.units + units.start..r * self.units + units.end];
                let src = &sums[r * width..r * width + units.len()];
                for ((((d, &acc), &sw), &ws), &b) in dst.iter_mut().zip(src).zip(scales).zip(unit_sums).zip(bias) {
                    let y = (acc - zp * ws) as f32 * (sx * sw);
                    *d = if with_bias { y + b } else { y };
                }
            }
        }
    }
}

/// Quantises one activation row into `out` (u8 with a zero point) and
/// returns (scale, zero point). The range always includes 0, so an exact
/// zero stays exact.
fn quantize_row(x: &[f32], out: &mut [u8]) -> (f32, i32) {
    let (lo, hi) = range(x);
    let scale = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
    let zero_point = round_small((-lo / scale).min(255.0));
    quantize_values(x, 1.0 / scale, zero_point, out);
    (scale, zero_point as i32)
}

/// (min(x, 0), max(x, 0)), in eight lanes so that it vectorises (min and
/// max give the same result in any order).
#[inline(always)]
fn range_generic(x: &[f32]) -> (f32, f32) {
    let (mut lo, mut hi) = ([0f32; 8], [0f32; 8]);
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(chunk) {
            *l = if v < *l { v } else { *l };
            *h = if v > *h { v } else { *h };
        }
    }
    let mut lo = lo.iter().fold(0f32, |m, &v| m.min(v));
    let mut hi = hi.iter().fold(0f32, |m, &v| m.max(v));
    for &v in rest {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

crate::encoder::kernels::dispatch!(fn range = range_generic(x: &[f32]) -> (f32, f32));

/// Rounds a value in [0, 2²²) to the nearest integer, ties to even, by
/// adding and subtracting 1.5·2²³ — no libm call, and it vectorises on the
/// portable baseline, which has no rounding instruction.
#[inline(always)]
fn round_small(v: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0;
    (v + ROUND) - ROUND
}

#[inline(always)]
fn quantize_values_generic(x: &[f32], inverse: f32, zero_point: f32, out: &mut [u8]) {
    for (q, &v) in out.iter_mut().zip(x) {
        // A whole number in [0, 255]; adding 2²³ puts it in the low
        // mantissa bits, a conversion without the scalar fallback of a
        // saturating float-to-int cast.
        let whole = round_small((v * inverse + zero_point).clamp(0.0, 255.0));
        *q = (whole + 8_388_608.0).to_bits() as u8;
    }
}
crate::encoder::kernels::dispatch!(
    fn quantize_values = quantize_values_generic(x: &[f32], inverse: f32, zero_point: f32, out: &mut [u8])
);

/// Integer dot products of `MR` activation rows (`xs`) with every unit of
/// a tile (`ws`, `NR`-aligned): `sums[i·units + n] = Σ_k xs[i][k] · ws[n][k]`.
fn dot_block(xs: &[u8], ws: &[i8], stride: usize, sums: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { avx2::dot_block(xs, ws, stride, sums) };
    }
    dot_block_portable(xs, ws, stride, sums)
}

fn dot_block_portable(xs: &[u8], ws: &[i8], stride: usize, sums: &mut [i32]) {
    let units = ws.len() / stride;
    for i in 0..MR {
        let x = &xs[i * stride..(i + 1) * stride];
        for (n, w) in ws.chunks_exact(stride).enumerate() {
            sums[i * units + n] = x.iter().zip(w).map(|(&a, &b)| a as i32 * b as i32).sum();
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{MR, NR, STEP};
    use std::arch::x86_64::*;

    /// `dot_block` with the AVX2 tile kernel, one `MR × NR` tile at a time.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2. The slices' shapes are checked here (a
    /// mismatch panics instead of reading out of bounds).
    #[target_feature(enable = "avx2")]
    pub unsafe fn dot_block(xs: &[u8], ws: &[i8], stride: usize, sums: &mut [i32]) {
        let units = ws.len() / stride;
        assert!(xs.len() == MR * stride && ws.len() == units * stride && units % NR == 0 && stride % STEP == 0);
        assert!(sums.len() >= MR * units);
        let mut tile = [0i32; MR * NR];
        for n in (0..units).step_by(NR) {
            // SAFETY: the caller vouches for AVX2; as asserted above, `xs`
            // holds MR rows of `stride` bytes, rows n and n + 1 of `ws` lie
            // inside it, and `stride` is a multiple of STEP: dot_tile's
            // contract.
            unsafe { dot_tile(xs, &ws[n * stride..(n + NR) * stride], stride, &mut tile) };
            for i in 0..MR {
                sums[i * units + n..i * units + n + NR].copy_from_slice(&tile[i * NR..(i + 1) * NR]);
            }
        }
    }

    /// One `MR × NR` tile of `dot_block`: `vpmaddubsw` multiplies u8 by
    /// i8 and adds pairs into i16 (exact: see the module docs), `vpmaddwd`
    /// by ones widens pairs into i32, and the eight accumulators are
    /// reduced with horizontal adds at the end.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2, `xs.len() >= MR * stride`,
    /// `ws.len() >= NR * stride` and `stride` must be a multiple of
    /// [`STEP`]: the loads are unchecked.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn dot_tile(xs: &[u8], ws: &[i8], stride: usize, tile: &mut [i32; MR * NR]) {
        debug_assert!(xs.len() >= MR * stride && ws.len() >= NR * stride && stride % STEP == 0);
        // SAFETY: AVX2 is there (the caller's promise), so every intrinsic
        // may run. Each load reads STEP bytes at row offset k with
        // k + STEP <= stride, inside rows the caller guarantees exist, and
        // the store writes four i32 at `pair * 4 + 4 <= MR * NR` of `tile`.
        // One block for the whole body: on older compilers the arithmetic
        // intrinsics are unsafe too, on newer ones only the loads and store.
        unsafe {
            let ones = _mm256_set1_epi16(1);
            let mut acc = [_mm256_setzero_si256(); MR * NR];
            let (xp, wp) = (xs.as_ptr(), ws.as_ptr());
            let mut k = 0;
            while k < stride {
                let w0 = _mm256_loadu_si256(wp.add(k) as *const __m256i);
                let w1 = _mm256_loadu_si256(wp.add(stride + k) as *const __m256i);
                for i in 0..MR {
                    let x = _mm256_loadu_si256(xp.add(i * stride + k) as *const __m256i);
                    let p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(x, w0), ones);
                    let p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(x, w1), ones);
                    acc[i * NR] = _mm256_add_epi32(acc[i * NR], p0);
                    acc[i * NR + 1] = _mm256_add_epi32(acc[i * NR + 1], p1);
                }
                k += STEP;
            }
            // Each pair of rows: [r0c0, r0c1, r1c0, r1c1].
            for pair in 0..MR / 2 {
                let a = &acc[pair * 2 * NR..(pair + 1) * 2 * NR];
                let t0 = _mm256_hadd_epi32(a[0], a[1]);
                let t1 = _mm256_hadd_epi32(a[2], a[3]);
                let u = _mm256_hadd_epi32(t0, t1);
                let sum = _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
                _mm_storeu_si128(tile.as_mut_ptr().add(pair * 4) as *mut __m128i, sum);
            }
        }
    }
}

/// A quantised linear layer as a candle op on a contiguous `[rows, inputs]` f32 tensor.
pub(crate) struct QuantizedMatmul<'a> {
    pub linear: &'a QuantizedLinear,
    pub with_bias: bool,
}

impl CustomOp1 for QuantizedMatmul<'_> {
    fn name(&self) -> &'static str {
        "int8-matmul"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else { candle_core::bail!("int8-matmul: f32 input only") };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("int8-matmul: input must be contiguous")
        };
        let x = &data[start..end];
        let inputs = self.linear.inputs;
        if x.len() % inputs != 0 {
            candle_core::bail!("int8-matmul: {} values are not rows of {inputs}", x.len())
        }
        let rows = x.len() / inputs;
        Ok((CpuStorage::F32(self.linear.forward(x, self.with_bias)), Shape::from((rows, self.linear.units))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn reference(x: &[f32], w: &[f32], b: &[f32], inputs: usize) -> Vec<f32> {
        x.chunks(inputs)
            .flat_map(|row| {
                w.chunks(inputs)
                    .zip(b)
                    .map(move |(wr, &bias)| row.iter().zip(wr).map(|(a, c)| a * c).sum::<f32>() + bias)
            })
            .collect()
    }

    #[test]
    fn close_to_float_matmul_on_odd_shapes() {
        // Shapes that exercise every padding path: rows not a multiple of
        // MR or of a task, units odd, inputs not a multiple of 32.
        // Under Miri (an interpreter, thousands of times slower) smaller
        // shapes that still cross a task boundary and every padding path.
        let shapes: &[(usize, usize, usize)] = if cfg!(miri) {
            &[(1, 1, 1), (5, 3, 33), (67, 5, 40)]
        } else {
            &[(1, 1, 1), (5, 3, 33), (67, 65, 100), (130, 7, 384)]
        };
        for &(rows, units, inputs) in shapes {
            let x = values(rows * inputs, 1);
            let w = values(units * inputs, 2);
            let b = values(units, 3);
            let q = QuantizedLinear::new(&w, &b, units, inputs);
            let got = q.forward(&x, true);
            let want = reference(&x, &w, &b, inputs);
            assert_eq!(got.len(), want.len());
            // Error bound: each product is off by at most about
            // |x|·sw/2 + |w|·sx/2; summed over the inputs.
            let bound = inputs as f32 * (0.5 / WEIGHT_LEVELS + 1.0 / 255.0) + 1e-4;
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= bound, "{rows}x{units}x{inputs}: {g} vs {w} (bound {bound})");
            }
            // And much closer than the bound on average.
            let mean_err = got.iter().zip(&want).map(|(g, w)| (g - w).abs()).sum::<f32>() / got.len() as f32;
            assert!(mean_err < bound / 4.0, "{rows}x{units}x{inputs}: mean error {mean_err}");
        }
    }

    #[test]
    fn without_bias_leaves_it_out() {
        let (rows, units, inputs) = (3, 4, 40);
        let x = values(rows * inputs, 4);
        let w = values(units * inputs, 5);
        let b = vec![10.0; units];
        let q = QuantizedLinear::new(&w, &b, units, inputs);
        let with = q.forward(&x, true);
        let without = q.forward(&x, false);
        for (a, c) in with.iter().zip(&without) {
            assert_eq!(*a, c + 10.0);
        }
    }

    #[test]
    fn row_result_does_not_depend_on_batch() {
        let (units, inputs) = if cfg!(miri) { (3, 40) } else { (9, 70) };
        let x = values(150 * inputs, 6);
        let w = values(units * inputs, 7);
        let q = QuantizedLinear::new(&w, &vec![0.0; units], units, inputs);
        let all = q.forward(&x, true);
        for r in [0, 3, 64, 149] {
            let alone = q.forward(&x[r * inputs..(r + 1) * inputs], true);
            assert_eq!(alone, all[r * units..(r + 1) * units], "row {r}");
        }
    }

    #[test]
    fn avx2_and_portable_kernels_agree_at_the_extremes() {
        // All-255 activations against ±63 weights: the largest pair sums
        // the i16 step must hold without saturating.
        let stride = 64;
        let xs = vec![255u8; MR * stride];
        let mut ws = vec![63i8; 4 * stride];
        ws[stride..2 * stride].fill(-63);
        let mut portable = vec![0; MR * 4];
        dot_block_portable(&xs, &ws, stride, &mut portable);
        let mut picked = vec![0; MR * 4];
        dot_block(&xs, &ws, stride, &mut picked);
        assert_eq!(portable, picked);
        assert_eq!(portable[0], 255 * 63 * stride as i32);
        assert_eq!(portable[1], -255 * 63 * stride as i32);
        // And on mixed values.
        let xs: Vec<u8> = (0..MR * stride).map(|i| (i * 37 % 256) as u8).collect();
        let ws: Vec<i8> = (0..4 * stride).map(|i| ((i * 53 % 127) as i32 - 63) as i8).collect();
        dot_block_portable(&xs, &ws, stride, &mut portable);
        dot_block(&xs, &ws, stride, &mut picked);
        assert_eq!(portable, picked);
    }

    #[test]
    fn quantised_rows_round_trip_within_half_a_step() {
        let x = values(300, 8);
        let mut q = vec![0u8; x.len()];
        let (scale, zp) = quantize_row(&x, &mut q);
        for (&v, &q) in x.iter().zip(&q) {
            let back = (q as i32 - zp) as f32 * scale;
            assert!((back - v).abs() <= scale * 0.5 + 1e-6, "{v} -> {q} -> {back}");
        }
        let mut q = vec![7u8; 4];
        assert_eq!(quantize_row(&[0.0; 4], &mut q).1, 0);
        assert_eq!(q, [0; 4]);
    }
}
