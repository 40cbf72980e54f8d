//! Pooling token vectors into one sentence vector.

use candle_core::{Result, Tensor};

/// Attention-masked mean over the sequence: `hidden` is `[batch, len, dim]`,
/// `mask` is `[batch, len]` with 1 for real tokens and 0 for padding.
/// Padding never contributes, so a text's vector does not depend on what
/// else shares its batch.
pub fn masked_mean(hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let mask = mask.to_dtype(hidden.dtype())?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    // sentence-transformers clamps the count at 1e-9; a window always holds
    // at least [CLS] and [SEP], so the clamp only guards degenerate input.
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    summed.broadcast_div(&counts)
}

/// Scales `v` to unit L2 norm, as `torch.nn.functional.normalize` does
/// (dividing by `max(norm, 1e-12)`).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn padding_is_ignored() {
        let hidden = Tensor::new(
            &[[[1f32, 2.], [3., 4.], [100., 100.]], [[5., 6.], [7., 8.], [9., 10.]]],
            &Device::Cpu,
        )
        .unwrap();
        let mask = Tensor::new(&[[1u32, 1, 0], [1, 1, 1]], &Device::Cpu).unwrap();
        let pooled = masked_mean(&hidden, &mask).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(pooled, vec![vec![2., 3.], vec![7., 8.]]);
    }

    #[test]
    fn normalises_to_unit_length() {
        let mut v = vec![3f32, 4.];
        l2_normalize(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut zero = vec![0f32; 3];
        l2_normalize(&mut zero);
        assert_eq!(zero, vec![0.; 3]);
    }
}
