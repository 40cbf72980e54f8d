//! GELU with its bias added, fused after the intermediate matmul.

use super::dispatch;
use super::math::erf;
use super::ROWS_PER_TASK;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape};
use rayon::prelude::*;

#[inline(always)]
fn bias_gelu_generic(src: &[f32], bias: &[f32], dst: &mut [f32]) {
    for (src, dst) in src.chunks_exact(bias.len()).zip(dst.chunks_exact_mut(bias.len())) {
        for ((&x, &b), d) in src.iter().zip(bias).zip(dst.iter_mut()) {
            let x = x + b;
            *d = 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
}
dispatch!(
    /// `dst = gelu(src + bias)` row by row (rows of `bias.len()`), GELU being
    /// BERT's exact form `x/2 · (1 + erf(x/√2))`.
    pub(crate) fn bias_gelu = bias_gelu_generic(src: &[f32], bias: &[f32], dst: &mut [f32])
);

/// GELU of a `[rows, bias.len()]` matmul result plus its bias, as a candle op.
pub struct BiasGelu<'a> {
    pub bias: &'a [f32],
}

impl CustomOp1 for BiasGelu<'_> {
    fn name(&self) -> &'static str {
        "bias-gelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else { candle_core::bail!("bias-gelu: f32 only") };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("bias-gelu: input must be contiguous")
        };
        let width = self.bias.len();
        let src = &data[start..end];
        if width == 0 || src.len() % width != 0 {
            candle_core::bail!("bias-gelu: {} values are not rows of {width}", src.len())
        }
        let mut dst = vec![0f32; src.len()];
        let chunk = width * ROWS_PER_TASK;
        src.par_chunks(chunk).zip(dst.par_chunks_mut(chunk)).for_each(|(s, d)| bias_gelu(s, self.bias, d));
        Ok((CpuStorage::F32(dst), layout.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    #[test]
    fn gelu_matches_candles_exact_gelu() {
        // Every 37th point under Miri, which interprets each operation.
        let step = if cfg!(miri) { 37 } else { 1 };
        let xs: Vec<f32> = (-4000..=4000).step_by(step).map(|i| i as f32 * 0.0025).collect();
        let reference = Tensor::new(xs.as_slice(), &Device::Cpu).unwrap().gelu_erf().unwrap().to_vec1::<f32>().unwrap();
        let mut ours = vec![0f32; xs.len()];
        bias_gelu(&xs, &[0.0], &mut ours);
        let worst = ours.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 2e-6, "max abs diff {worst}");
        let mut generic = vec![0f32; xs.len()];
        bias_gelu_generic(&xs, &[0.0], &mut generic);
        assert_eq!(ours, generic, "the AVX2 and baseline builds agree bit for bit");
    }
}
