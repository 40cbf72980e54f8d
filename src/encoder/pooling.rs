//! Pooling token vectors into one sentence vector.

/// Mean of consecutive rows of `dims` values (one window's token vectors,
/// padding excluded), summed in token order: the same bits whatever else
/// was in the window's batch.
pub(crate) fn mean_rows(rows: &[f32], dims: usize) -> Vec<f32> {
    let mut sum = vec![0f32; dims];
    let count = rows.len() / dims.max(1);
    for row in rows.chunks_exact(dims) {
        sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
    }
    // sentence-transformers divides by max(count, 1e-9); a window always
    // holds at least [CLS] and [SEP].
    let count = (count as f32).max(1e-9);
    sum.iter_mut().for_each(|s| *s /= count);
    sum
}

/// Scales `v` to unit L2 norm, as `torch.nn.functional.normalize` does
/// (dividing by `max(norm, 1e-12)`).
pub(crate) fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_rows_averages_tokens() {
        assert_eq!(mean_rows(&[1., 2., 3., 6.], 2), vec![2., 4.]);
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
