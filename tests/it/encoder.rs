//! The encoder through its real loading code: a tiny random BERT always,
//! the real all-MiniLM-L6-v2 against sentence-transformers when installed.

use stance::testing as common;

use stance::encoder::{Encoder, ModelFiles, Source};

fn tiny() -> (tempfile::TempDir, Encoder) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::write_tiny_bert(&tmp.path().join("tiny"));
    let encoder = Encoder::try_new(ModelFiles::from_dir("tiny", &dir, Source::LocalDir).unwrap()).unwrap();
    (tmp, encoder)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn tiny_model_loads_and_embeds_unit_vectors() {
    let (_tmp, encoder) = tiny();
    assert_eq!(encoder.dims(), common::TINY_HIDDEN);
    assert_eq!(encoder.window(), common::TINY_MAX_POSITIONS);
    let v = encoder.embed(&["talks will resume", "kim said no"], 8).unwrap();
    assert_eq!(v.len(), 2);
    for e in &v {
        assert_eq!(e.len(), common::TINY_HIDDEN);
        let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    assert!(max_abs_diff(&v[0], &v[1]) > 1e-3, "different texts, different vectors");
}

#[test]
fn tokenizer_file_padding_and_truncation_are_ignored() {
    let (_tmp, encoder) = tiny();
    // The tiny tokenizer.json pads to 16 and truncates at 8, like the real
    // model's does at 128; the encoder must do neither.
    let ids = encoder.tokenize(&["the talks will not meet", "abcdefghij klm"]).unwrap();
    assert_eq!(ids[0].len(), 7, "{:?}", ids[0]);
    assert!(ids[1].len() > 8, "{:?}", ids[1]);
    assert!(ids.iter().all(|s| !s.contains(&0)), "no padding ids");
}

#[test]
fn embedding_does_not_depend_on_batch_company() {
    let (_tmp, encoder) = tiny();
    let text = "kim said the talks will meet";
    let alone = encoder.embed(&[text], 1).unwrap().remove(0);
    let others = ["north korea", text, "trump said talks will not meet the north korea kim said", "a"];
    for batch_size in [1, 2, 4] {
        let batched = encoder.embed(&others, batch_size).unwrap();
        let diff = max_abs_diff(&alone, &batched[1]);
        assert!(diff < 1e-5, "batch size {batch_size}: diff {diff}");
    }
}

#[test]
fn long_texts_are_windowed_not_truncated() {
    let (_tmp, encoder) = tiny();
    let shared = "the talks will meet ".repeat(6); // 24 word tokens, over the window
    let a = format!("{shared} kim said");
    let b = format!("{shared} trump said not");
    let ids = encoder.tokenize(&[a.as_str()]).unwrap();
    assert!(ids[0].len() > encoder.window());
    let v = encoder.embed(&[a.as_str(), b.as_str()], 4).unwrap();
    assert!(max_abs_diff(&v[0], &v[1]) > 1e-4, "texts that differ only after the first window must embed differently");
    let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
}

#[test]
fn broken_model_directories_are_named_in_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::write_tiny_bert(&tmp.path().join("m"));

    // Wrong shapes: config says a larger hidden size than the weights hold.
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    std::fs::write(dir.join("config.json"), config.replace("\"hidden_size\": 32", "\"hidden_size\": 48")).unwrap();
    let err = Encoder::try_new(ModelFiles::from_dir("m", &dir, Source::LocalDir).unwrap()).err().unwrap().to_string();
    assert!(err.contains("model.safetensors") && err.contains("do not fit"), "{err}");

    // Broken JSON.
    std::fs::write(dir.join("config.json"), "{ not json").unwrap();
    let err = Encoder::try_new(ModelFiles::from_dir("m", &dir, Source::LocalDir).unwrap()).err().unwrap().to_string();
    assert!(err.contains("config.json") && err.contains("invalid JSON"), "{err}");

    // A missing file.
    std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
    let err = ModelFiles::from_dir("m", &dir, Source::LocalDir).unwrap_err().to_string();
    assert!(err.contains("lacks tokenizer.json"), "{err}");
}

#[derive(serde::Deserialize)]
struct Golden {
    cases: Vec<GoldenCase>,
}

#[derive(serde::Deserialize)]
struct GoldenCase {
    text: String,
    tokens: usize,
    head: Vec<f32>,
    truncated: bool,
    tokens_untruncated: Option<usize>,
}

/// sentence-transformers' embeddings (tools/golden_embeddings.py) match
/// ours within 1e-4 in their leading dimensions.
#[test]
fn real_model_matches_sentence_transformers() {
    let Some(files) = common::real_model() else { return };
    let encoder = Encoder::try_new(files).unwrap();
    let golden: Golden = serde_json::from_str(include_str!("../fixtures/golden.json")).unwrap();
    assert!(golden.cases.len() >= 8);

    let texts: Vec<&str> = golden.cases.iter().map(|c| c.text.as_str()).collect();
    let tokenized = encoder.tokenize(&texts).unwrap();
    // All short cases in one padded batch: parity and padding invariance at once.
    let embedded = encoder.embed(&texts, 16).unwrap();
    let mut compared = 0;
    for ((case, ids), ours) in golden.cases.iter().zip(&tokenized).zip(&embedded) {
        if case.truncated {
            assert_eq!(Some(ids.len()), case.tokens_untruncated, "token count of {:?}", &case.text[..40]);
            // Reproduce the reference's truncation to compare like with like.
            let mut cut = ids[..case.tokens - 1].to_vec();
            cut.push(*ids.last().unwrap());
            let truncated = encoder.embed_tokens(&[cut], 1).unwrap().remove(0);
            let diff = max_abs_diff(&truncated[..case.head.len()], &case.head);
            assert!(diff < 1e-4, "truncated case: diff {diff}");
            // Our own embedding reads the whole text, so it differs.
            assert!(max_abs_diff(ours, &truncated) > 1e-4);
        } else {
            assert_eq!(ids.len(), case.tokens, "token count of {:?}", case.text);
            let diff = max_abs_diff(&ours[..case.head.len()], &case.head);
            assert!(diff < 1e-4, "{:?}: diff {diff}", case.text);
        }
        compared += 1;
    }
    assert_eq!(compared, golden.cases.len());
}
