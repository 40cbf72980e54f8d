//! LoRA adapters on the tiny random BERT: the merged fast forward equals the
//! unmerged training forward, a foreign base is refused, and training is
//! reproducible bit for bit.

use candle_core::{Device, Tensor, Var};
use stance::classify::heads::finetune::{fine_tune, FineTuneConfig};
use stance::encoder::lora::{self, Adapter, AdapterMetadata, LoraPair, TrainableBert};
use stance::encoder::{Encoder, ModelFiles, Source};
use std::collections::BTreeMap;
use std::path::Path;

fn numbers(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (((state >> 40) as f32) / ((1u64 << 24) as f32) * 2.0 - 1.0) * scale
        })
        .collect()
}

fn tiny(dir: &Path) -> (ModelFiles, Encoder) {
    stance::testing::write_tiny_bert(dir);
    let files = ModelFiles::from_dir(dir.display().to_string(), dir, Source::LocalDir).unwrap();
    let encoder = Encoder::try_new(files.clone()).unwrap();
    (files, encoder)
}

/// A random adapter on every target of both tiny layers (B non-zero, so it changes the model).
fn write_adapter(dir: &Path, encoder: &Encoder) {
    let h = encoder.config().hidden_size;
    let i = encoder.config().intermediate_size;
    let rank = 4;
    let mut pairs = BTreeMap::new();
    let mut seed = 10;
    for layer in 0..2 {
        for (target, _) in lora::TARGETS {
            let (out, inp) = match target {
                "intermediate" => (i, h),
                "output" => (h, i),
                _ => (h, h),
            };
            seed += 2;
            let a = Tensor::from_vec(numbers(rank * inp, seed, 0.3), (rank, inp), &Device::Cpu).unwrap();
            let b = Tensor::from_vec(numbers(out * rank, seed + 1, 0.3), (out, rank), &Device::Cpu).unwrap();
            pairs.insert(lora::module_path(layer, target).unwrap(), (a, b));
        }
    }
    let meta = AdapterMetadata {
        format: lora::ADAPTER_FORMAT,
        base_model: "tiny".into(),
        base_weights_sha256: encoder.base_weights_sha256().unwrap(),
        rank,
        alpha: 8.0,
        target_modules: lora::TARGETS.iter().map(|(n, _)| n.to_string()).collect(),
        layers: vec![0, 1],
        training_data: vec![],
        hyper_parameters: serde_json::Value::Null,
        dev: serde_json::Value::Null,
        created_by: "test".into(),
    };
    Adapter::save(dir, &meta, &pairs).unwrap();
}

const TEXTS: [&str; 4] = ["talks will resume", "kim said the talks will not", "north korea", "trump will meet kim."];

#[test]
fn merged_forward_equals_the_training_forward() {
    let tmp = tempfile::tempdir().unwrap();
    let (files, encoder) = tiny(&tmp.path().join("model"));
    let dir = tmp.path().join("adapter");
    write_adapter(&dir, &encoder);

    let adapter = Adapter::load(&dir).unwrap();
    let mut model = TrainableBert::new(
        encoder.config().clone(),
        lora::load_base(&files.weights).unwrap(),
        adapter.metadata.scale(),
    );
    for (module, (a, b)) in &adapter.pairs {
        model
            .lora
            .insert(module.clone(), LoraPair { a: Var::from_tensor(a).unwrap(), b: Var::from_tensor(b).unwrap() });
    }
    let tokens = encoder.tokenize(&TEXTS).unwrap();
    let ids: Vec<&[u32]> = tokens.iter().map(Vec::as_slice).collect();
    let (t, mask) = lora::pad_ids(&ids, 0).unwrap();
    let x = model.embed(&t).unwrap();
    let training = model.pooled_from(0, &x, &mask).unwrap().to_vec2::<f32>().unwrap();

    let base = encoder.embed(&TEXTS, 8).unwrap();
    let merged_encoder = Encoder::try_new(files).unwrap().with_adapter(&dir).unwrap();
    let merged = merged_encoder.embed(&TEXTS, 8).unwrap();
    let mut moved = 0f32;
    for ((m, t), b) in merged.iter().zip(&training).zip(&base) {
        for ((x, y), z) in m.iter().zip(t).zip(b) {
            assert!((x - y).abs() < 1e-5, "merged {x} vs training {y}");
            moved = moved.max((x - z).abs());
        }
    }
    assert!(moved > 1e-2, "the adapter should change the vectors (moved {moved})");
    // The adapted encoder has its own identity: base heads and caches do not fit it.
    assert_ne!(merged_encoder.weights_sha256().unwrap(), encoder.weights_sha256().unwrap());
    assert_eq!(merged_encoder.base_weights_sha256().unwrap(), encoder.base_weights_sha256().unwrap());
}

#[test]
fn a_foreign_base_is_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (files, encoder) = tiny(&tmp.path().join("model"));
    let dir = tmp.path().join("adapter");
    write_adapter(&dir, &encoder);
    let path = dir.join(lora::ADAPTER_METADATA);
    let mut meta: AdapterMetadata = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    meta.base_weights_sha256 = "0".repeat(64);
    lora::write_metadata(&dir, &meta).unwrap();
    let err = Encoder::try_new(files.clone()).unwrap().with_adapter(&dir).err().expect("refused").to_string();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("adapter.json") && err.contains("000000000000"), "{err}");

    // A damaged weights file is an error naming it, not a panic.
    std::fs::write(dir.join(lora::ADAPTER_WEIGHTS), b"not safetensors").unwrap();
    let err = Encoder::try_new(files).unwrap().with_adapter(&dir).err().expect("refused").to_string();
    assert!(err.contains("adapter.safetensors"), "{err}");
}

#[test]
fn seeded_training_is_reproducible_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let (files, encoder) = tiny(&tmp.path().join("model"));
    let data = tmp.path().join("train.jsonl");
    let stances = ["likely", "unlikely", "neutral"];
    let lines: Vec<String> = (0..24)
        .map(|i| {
            let text = format!("{} {} {}", TEXTS[i % 4], ["will meet", "will not meet", "said"][i % 3], i);
            serde_json::json!({"id": format!("t-{i}"), "pair": "A-B", "text": text, "stance": stances[i % 3]})
                .to_string()
        })
        .collect();
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let config = FineTuneConfig { rank: 2, layers: 1, epochs: 2, batch: 5, ..Default::default() };
    let tokenize = |t: &[&str]| encoder.tokenize(t);
    let run = || {
        let tuned = fine_tune(
            encoder.config(),
            &files.weights,
            &tokenize,
            std::slice::from_ref(&data),
            &[],
            &config,
            &mut |_| {},
        )
        .unwrap();
        let mut bits = Vec::new();
        for (module, (a, b)) in &tuned.pairs {
            assert!(module.starts_with("encoder.layer.1."), "only the top layer: {module}");
            bits.extend(a.flatten_all().unwrap().to_vec1::<f32>().unwrap().iter().map(|v| v.to_bits()));
            bits.extend(b.flatten_all().unwrap().to_vec1::<f32>().unwrap().iter().map(|v| v.to_bits()));
        }
        bits.extend(tuned.head_weight.iter().chain(&tuned.head_bias).map(|v| v.to_bits()));
        (bits, tuned.pairs.len())
    };
    let (first, modules) = run();
    assert_eq!(modules, 6);
    assert_eq!(first, run().0, "same data and seed, same adapter and head bits");
}
