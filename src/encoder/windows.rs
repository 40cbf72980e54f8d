//! Splitting long token sequences into overlapping windows and combining
//! the windows' vectors, so that a paragraph longer than the model's window
//! is read whole instead of being cut off.
//!
//! A text of `n` tokens `[CLS] t1 .. tk [SEP]` that does not fit a window of
//! `w` tokens becomes windows `[CLS] t_i .. t_j [SEP]` of at most `w - 2`
//! content tokens, each starting `stride = (w - 2) * 3 / 4` after the last
//! (a quarter of overlap, so no sentence is only seen cut at a border). Each
//! window is mean-pooled; the text's vector is the average of its windows'
//! vectors weighted by their token counts, then L2-normalised. For a text
//! that fits, this is exactly sentence-transformers' mean pooling.

use super::pooling::l2_normalize;
use crate::error::{Error, Result};

/// One forward-pass input: a window of one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Index of the text it belongs to.
    pub text: usize,
    /// Token ids with special tokens.
    pub ids: Vec<u32>,
}

/// Splits each tokenized text (special tokens included, as the tokenizer's
/// post-processor added them) into windows of at most `window` tokens.
pub fn split(tokenized: &[Vec<u32>], window: usize) -> Result<Vec<Window>> {
    let mut units = Vec::with_capacity(tokenized.len());
    for (text, ids) in tokenized.iter().enumerate() {
        if ids.len() <= window {
            units.push(Window { text, ids: ids.clone() });
            continue;
        }
        if ids.len() < 2 || window < 3 {
            return Err(Error::Tokenizer(format!("cannot window a sequence of {} tokens into {window}", ids.len())));
        }
        let (cls, sep) = (ids[0], ids[ids.len() - 1]);
        let content = &ids[1..ids.len() - 1];
        let width = window - 2;
        let stride = (width * 3 / 4).max(1);
        let mut start = 0;
        loop {
            let end = (start + width).min(content.len());
            let mut w = Vec::with_capacity(end - start + 2);
            w.push(cls);
            w.extend_from_slice(&content[start..end]);
            w.push(sep);
            units.push(Window { text, ids: w });
            if end == content.len() {
                break;
            }
            start += stride;
        }
    }
    Ok(units)
}

/// Combines windows' mean-pooled vectors into one normalised vector per text.
pub(crate) fn combine(units: &[Window], pooled: &[Vec<f32>], texts: usize, dims: usize) -> Vec<Vec<f32>> {
    let mut sums = vec![vec![0f32; dims]; texts];
    let mut weights = vec![0f32; texts];
    let mut counts = vec![0usize; texts];
    for (unit, vector) in units.iter().zip(pooled) {
        let weight = unit.ids.len() as f32;
        weights[unit.text] += weight;
        counts[unit.text] += 1;
        for (s, v) in sums[unit.text].iter_mut().zip(vector) {
            *s += weight * v;
        }
    }
    for (unit, vector) in units.iter().zip(pooled) {
        // A text that fits one window keeps its pooled vector untouched, so
        // it matches the reference without a multiply-divide round trip.
        if counts[unit.text] == 1 {
            sums[unit.text].copy_from_slice(vector);
            weights[unit.text] = 1.0;
        }
    }
    for (sum, weight) in sums.iter_mut().zip(weights) {
        if weight > 0.0 {
            sum.iter_mut().for_each(|x| *x /= weight);
        }
        l2_normalize(sum);
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_one_window() {
        let units = split(&[vec![101, 5, 6, 102]], 8).unwrap();
        assert_eq!(units, vec![Window { text: 0, ids: vec![101, 5, 6, 102] }]);
    }

    #[test]
    fn long_texts_overlap_and_cover_every_token() {
        let ids: Vec<u32> = std::iter::once(101).chain(1..=20).chain(std::iter::once(102)).collect();
        let units = split(&[ids], 10).unwrap();
        // width 8, stride 6: [1..8], [7..14], [13..20]
        let contents: Vec<Vec<u32>> = units.iter().map(|u| u.ids[1..u.ids.len() - 1].to_vec()).collect();
        assert_eq!(contents[0], (1..=8).collect::<Vec<_>>());
        assert_eq!(contents[1], (7..=14).collect::<Vec<_>>());
        assert_eq!(contents[2], (13..=20).collect::<Vec<_>>());
        assert!(units.iter().all(|u| u.ids[0] == 101 && *u.ids.last().unwrap() == 102 && u.ids.len() <= 10));
    }

    #[test]
    fn combine_weights_by_tokens_and_normalises() {
        let units = vec![
            Window { text: 0, ids: vec![0; 3] },
            Window { text: 0, ids: vec![0; 1] },
            Window { text: 1, ids: vec![0; 2] },
        ];
        let pooled = vec![vec![1.0, 0.0], vec![0.0, 3.0], vec![0.0, 2.0]];
        let out = combine(&units, &pooled, 2, 2);
        // text 0: (3*[1,0] + 1*[0,3]) / 4 = [0.75, 0.75] -> normalised
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((out[0][0] - h).abs() < 1e-6 && (out[0][1] - h).abs() < 1e-6);
        assert_eq!(out[1], vec![0.0, 1.0]);
    }
}
