//! Our BERT forward pass against candle-transformers' own `BertModel` on
//! the same weights and ids: the tiny random model always, the real model
//! when installed. Padding included: the second row is shorter and masked.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use std::path::Path;

/// Largest absolute difference between the two models' last hidden states
/// over the unmasked positions of a two-row batch.
fn largest_difference(dir: &Path, ids: [&[u32]; 2]) -> f32 {
    let dev = Device::Cpu;
    let config_text = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let weights = [dir.join("model.safetensors")];
    // SAFETY: the weights file is not modified while mapped (a test's own file
    // or the installed model).
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&weights, DType::F32, &dev).unwrap() };
    let ours_config: stance::encoder::bert::Config = serde_json::from_str(&config_text).unwrap();
    let ours = stance::encoder::bert::BertModel::load(vb.clone(), &ours_config).unwrap();
    let reference_config: candle_transformers::models::bert::Config = serde_json::from_str(&config_text).unwrap();
    let reference = candle_transformers::models::bert::BertModel::load(vb, &reference_config).unwrap();

    let seq = ids[0].len().max(ids[1].len());
    let mut flat = Vec::new();
    let mut mask = Vec::new();
    for row in ids {
        flat.extend(row.iter().copied().chain(std::iter::repeat_n(0, seq - row.len())));
        mask.extend((0..seq).map(|j| u32::from(j < row.len())));
    }
    let input = Tensor::from_vec(flat, (2, seq), &dev).unwrap();
    let mask = Tensor::from_vec(mask.clone(), (2, seq), &dev).unwrap();
    let types = input.zeros_like().unwrap();
    let a = ours.forward(&input, Some(&types), Some(&mask)).unwrap().to_vec3::<f32>().unwrap();
    let b = reference.forward(&input, &types, Some(&mask)).unwrap().to_vec3::<f32>().unwrap();
    let mut largest = 0f32;
    for (r, row) in ids.iter().enumerate() {
        for t in 0..row.len() {
            for (x, y) in a[r][t].iter().zip(&b[r][t]) {
                largest = largest.max((x - y).abs());
            }
        }
    }
    largest
}

#[test]
fn tiny_model_matches_candle_transformers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = stance::testing::write_tiny_bert(&tmp.path().join("tiny"));
    let d = largest_difference(&dir, [&[2, 7, 9, 11, 40, 3], &[2, 12, 3]]);
    assert!(d < 1e-5, "tiny model: largest difference {d}");
}

#[test]
fn real_model_matches_candle_transformers() {
    let Some(files) = stance::testing::real_model() else { return };
    let dir = files.weights.parent().unwrap();
    let encoder = stance::encoder::Encoder::try_new(files.clone()).unwrap();
    let ids = encoder.tokenize(&["North Korea said talks with Washington would not resume soon.", "Talks."]).unwrap();
    let d = largest_difference(dir, [&ids[0], &ids[1]]);
    assert!(d < 1e-4, "real model: largest difference {d}");
}
