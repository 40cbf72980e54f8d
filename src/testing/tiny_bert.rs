//! Test helpers: a tiny random BERT written to disk (config, WordPiece
//! tokenizer.json, safetensors) so the real loading code runs without the
//! 87 MB model, and a locator for the real model when it is installed.

use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Width of the tiny model's vectors.
pub const TINY_HIDDEN: usize = 32;
/// Small on purpose, so that windowing is easy to exercise.
pub const TINY_MAX_POSITIONS: usize = 24;

/// Deterministic pseudo-random numbers in [-scale, scale] (an LCG: the test
/// must not depend on the thread RNG).
fn numbers(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let unit = ((state >> 40) as f32) / ((1u64 << 24) as f32);
            (unit * 2.0 - 1.0) * scale
        })
        .collect()
}

fn vocab() -> Vec<String> {
    let mut v: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map(String::from).to_vec();
    for c in 'a'..='z' {
        v.push(c.to_string());
        v.push(format!("##{c}"));
    }
    for c in '0'..='9' {
        v.push(c.to_string());
        v.push(format!("##{c}"));
    }
    for p in [".", ",", "'", "\"", "-", ":", ";", "?", "!", "(", ")", "’", "“", "”", "–"] {
        v.push(p.to_string());
    }
    for w in ["the", "talks", "said", "kim", "trump", "north", "korea", "will", "not", "meet"] {
        v.push(w.to_string());
    }
    v
}

/// Writes a tiny random BERT into `dir` and returns `dir`. Its
/// tokenizer.json carries fixed padding and truncation, like the real
/// model's, so a loader that forgets to turn them off fails the tests.
pub fn write_tiny_bert(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let vocab = vocab();
    let (h, inter, layers) = (TINY_HIDDEN, 64, 2);
    let config = serde_json::json!({
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": h,
        "initializer_range": 0.02,
        "intermediate_size": inter,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": TINY_MAX_POSITIONS,
        "model_type": "bert",
        "num_attention_heads": 4,
        "num_hidden_layers": layers,
        "pad_token_id": 0,
        "type_vocab_size": 2,
        "vocab_size": vocab.len(),
    });
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config).unwrap()).unwrap();

    let vocab_file = dir.join("vocab.txt");
    std::fs::write(&vocab_file, vocab.join("\n") + "\n").unwrap();
    let wordpiece = WordPiece::from_file(vocab_file.to_str().unwrap()).unk_token("[UNK]".into()).build().unwrap();
    let mut tokenizer = Tokenizer::new(wordpiece);
    tokenizer.with_normalizer(Some(BertNormalizer::default()));
    tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
    tokenizer.with_post_processor(Some(BertProcessing::new(("[SEP]".into(), 3), ("[CLS]".into(), 2))));
    tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::Fixed(16), ..Default::default() }));
    tokenizer.with_truncation(Some(TruncationParams { max_length: 8, ..Default::default() })).unwrap();
    tokenizer.save(dir.join("tokenizer.json"), false).unwrap();

    let dev = Device::Cpu;
    let mut seed = 1u64;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let mut add = |name: String, shape: &[usize], kind: &str| {
        let n: usize = shape.iter().product();
        let data = match kind {
            "ones" => vec![1f32; n],
            "zeros" => vec![0f32; n],
            _ => {
                seed += 1;
                numbers(n, seed, 0.2)
            }
        };
        tensors.insert(name, Tensor::from_vec(data, shape, &dev).unwrap());
    };
    add("embeddings.word_embeddings.weight".into(), &[vocab.len(), h], "rand");
    add("embeddings.position_embeddings.weight".into(), &[TINY_MAX_POSITIONS, h], "rand");
    add("embeddings.token_type_embeddings.weight".into(), &[2, h], "rand");
    add("embeddings.LayerNorm.weight".into(), &[h], "ones");
    add("embeddings.LayerNorm.bias".into(), &[h], "zeros");
    for l in 0..layers {
        let p = format!("encoder.layer.{l}");
        for m in ["query", "key", "value"] {
            add(format!("{p}.attention.self.{m}.weight"), &[h, h], "rand");
            add(format!("{p}.attention.self.{m}.bias"), &[h], "rand");
        }
        add(format!("{p}.attention.output.dense.weight"), &[h, h], "rand");
        add(format!("{p}.attention.output.dense.bias"), &[h], "rand");
        add(format!("{p}.attention.output.LayerNorm.weight"), &[h], "ones");
        add(format!("{p}.attention.output.LayerNorm.bias"), &[h], "zeros");
        add(format!("{p}.intermediate.dense.weight"), &[inter, h], "rand");
        add(format!("{p}.intermediate.dense.bias"), &[inter], "rand");
        add(format!("{p}.output.dense.weight"), &[h, inter], "rand");
        add(format!("{p}.output.dense.bias"), &[h], "rand");
        add(format!("{p}.output.LayerNorm.weight"), &[h], "ones");
        add(format!("{p}.output.LayerNorm.bias"), &[h], "zeros");
    }
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
    dir.to_owned()
}

/// The real default model, if installed (never fetched by a test). With
/// `STANCE_REQUIRE_MODEL=1` (as CI sets it) a missing model fails the test
/// instead of skipping it.
pub fn real_model() -> Option<crate::encoder::ModelFiles> {
    use crate::encoder::{resolve, ResolveOptions, DEFAULT_MODEL};
    let spec = std::env::var("STANCE_MODEL").unwrap_or_else(|_| DEFAULT_MODEL.to_owned());
    let options = ResolveOptions { allow_fetch: false, ..Default::default() };
    match resolve(&spec, &options, &mut |_| {}) {
        Ok(files) => Some(files),
        Err(e) if std::env::var_os("STANCE_REQUIRE_MODEL").is_some_and(|v| v == "1") => {
            panic!("STANCE_REQUIRE_MODEL=1 but the model is not installed: {e}")
        }
        Err(e) => {
            eprintln!("skipping: real model not installed ({e}); run `stance model fetch`");
            None
        }
    }
}
