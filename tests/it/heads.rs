//! The shipped heads: provenance, bit-for-bit retraining, and refusal of a
//! foreign encoder.

use crate::repo;
use stance::testing as common;

use stance::classify::heads::{self, train};
use stance::classify::Task;
use stance::encoder::Encoder;
use std::path::PathBuf;
use std::process::Command;

/// The stance head's metadata names the committed corpus by hash.
#[test]
fn stance_head_records_the_committed_training_data() {
    let head = heads::builtin(Task::Stance).unwrap();
    // The two original files and the six writing passes; never the dev split.
    assert_eq!(head.metadata.training_data.len(), 8);
    assert!(head.metadata.training_data.iter().all(|d| d.path.starts_with("eval/train/")));
    for data in &head.metadata.training_data {
        let actual = stance::digest::sha256_file(&repo().join(&data.path)).unwrap();
        assert_eq!(actual, data.sha256, "{} changed since the head was trained; retrain it", data.path);
    }
    assert_eq!(head.metadata.encoder, stance::encoder::DEFAULT_MODEL);
    assert_eq!(head.metadata.encoder_weights_sha256, stance::encoder::DEFAULT_WEIGHTS_SHA256);
}

fn retrain_matches(task: Task, out: &std::path::Path, encoder: &Encoder) {
    let shipped = heads::builtin(task).unwrap();
    retrain_dir_matches(task, shipped, &repo().join("models/heads").join(task.name()), out, encoder);
}

fn retrain_dir_matches(
    task: Task,
    shipped: heads::LoadedHead,
    dir: &std::path::Path,
    out: &std::path::Path,
    encoder: &Encoder,
) {
    let sha = encoder.weights_sha256().unwrap();
    let data: Vec<PathBuf> = shipped.metadata.training_data.iter().map(|d| PathBuf::from(&d.path)).collect();
    let (meta, weights) = match shipped.metadata.kind {
        heads::HeadKind::SoftmaxRegression => train::train_softmax_head(
            task,
            &shipped.metadata.name,
            encoder,
            &sha,
            &data,
            &Default::default(),
            &mut |_| {},
        ),
        heads::HeadKind::ValenceRidge => {
            train::train_sentiment(&shipped.metadata.name, encoder, &sha, &data[0], &Default::default(), &mut |_| {})
        }
    }
    .unwrap();
    heads::save(out, &meta, &weights).unwrap();
    for file in [heads::WEIGHTS_FILE, heads::METADATA_FILE] {
        let retrained = std::fs::read(out.join(file)).unwrap();
        let committed = std::fs::read(dir.join(file)).unwrap();
        assert!(retrained == committed, "retrained {} {file} differs from the shipped one", task.name());
    }
}

/// `stance train` on the committed data reproduces the shipped stance head
/// byte for byte (weights and metadata).
#[test]
fn retraining_reproduces_the_stance_head() {
    let Some(files) = common::real_model() else { return };
    // Paths in the metadata are relative to the repository.
    std::env::set_current_dir(repo()).unwrap();
    let encoder = Encoder::try_new(files).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    retrain_matches(Task::Stance, tmp.path(), &encoder);
    // The default sentiment head (speaker tone) comes from the same corpus.
    retrain_matches(Task::Sentiment, &tmp.path().join("tone"), &encoder);
}

/// Likewise the NYT-ratings sentiment head, from the NYT train split (when
/// the shared data is beside the repository).
#[test]
fn retraining_reproduces_the_nyt_sentiment_head() {
    if !repo().join(stance::data::nyt::DEFAULT_PATH).is_file() {
        eprintln!("skipping: NYT data not present");
        return;
    }
    let Some(files) = common::real_model() else { return };
    std::env::set_current_dir(repo()).unwrap();
    let encoder = Encoder::try_new(files).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo().join("models/heads/sentiment-nyt");
    let shipped = heads::LoadedHead::from_dir(&dir).unwrap();
    retrain_dir_matches(Task::Sentiment, shipped, &dir, tmp.path(), &encoder);
}

/// With an encoder the heads were not trained for, `--classifier head` is a
/// clear error and the default falls back to zero-shot with a note.
#[test]
fn heads_refuse_a_foreign_encoder() {
    let tmp = tempfile::tempdir().unwrap();
    let model = common::write_tiny_bert(&tmp.path().join("tiny"));
    let run = |classifier: &str| {
        Command::new(env!("CARGO_BIN_EXE_stance"))
            .args([
                "classify",
                "seeds/003_03266776657738d3.txt",
                "--format",
                "jsonl",
                "--classifier",
                classifier,
                "--model",
            ])
            .arg(&model)
            .env("STANCE_CACHE_DIR", tmp.path().join("cache"))
            .current_dir(repo())
            .output()
            .unwrap()
    };
    let out = run("head");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("was trained on") && stderr.lines().count() == 1, "{stderr}");

    let out = run("auto");
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("using the zero-shot classifier"), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 10);
}

/// A small retrain is deterministic: same data, same bytes.
#[test]
fn a_small_retrain_is_deterministic() {
    let x: Vec<Vec<f32>> = (0..30).map(|i| vec![(i % 3) as f32, ((i * 5) % 7) as f32 / 7.0, 1.0]).collect();
    let y: Vec<usize> = (0..30).map(|i| i % 3).collect();
    let config = train::SoftmaxConfig { steps: 50, ..Default::default() };
    let a = train::fit_softmax(&x, &y, 1e-3, &config).unwrap();
    let b = train::fit_softmax(&x, &y, 1e-3, &config).unwrap();
    assert_eq!(
        a.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(a.1, b.1);
}
