//! Same input, same output, byte for byte: across runs, thread counts and
//! batch sizes (issue #9, "Determinism"). The binary's printed records are
//! compared whole, with the tiny random BERT always and the real model when
//! installed; and the property the encoder's design rests on — the matmul
//! backend computes each output row the same way whatever the number of
//! rows or threads — is checked directly.

use crate::repo;
use stance::testing as common;

use candle_core::{Device, Tensor};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// Serialises the tests of this file: one of them changes the process
/// environment (the matmul thread count), which must not race with another
/// reading it or spawning a process.
static ENV: Mutex<()> = Mutex::new(());

/// Deterministic values in [-1, 1] (an LCG, no RNG crate state).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// The encoder's matmuls are `x · Wᵀ` with `W` stored `[out, in]`; for the
/// shapes of all-MiniLM-L6-v2 (and of the tiny test model, above the
/// encoder's minimum padded length), the first rows of the product must be
/// the same bits whether 2 rows or 1,000 go through, on 1 thread or 2.
#[test]
fn matmul_rows_do_not_depend_on_row_count_or_threads() {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let saved = std::env::var_os("RAYON_NUM_THREADS");
    // (inputs, outputs, smallest row count the encoder feeds it)
    let shapes = [(384, 1152, 2), (384, 384, 2), (384, 1536, 2), (1536, 384, 2), (32, 96, 9), (32, 32, 9), (64, 32, 9)];
    let dev = Device::Cpu;
    let largest = 1000;
    for (k, n, smallest) in shapes {
        let x = Tensor::from_vec(values(largest * k, k as u64), (largest, k), &dev).unwrap();
        let w = Tensor::from_vec(values(n * k, n as u64 + 7), (n, k), &dev).unwrap();
        let mut reference: Option<Vec<Vec<f32>>> = None;
        for threads in ["2", "1"] {
            std::env::set_var("RAYON_NUM_THREADS", threads);
            let full = x.matmul(&w.t().unwrap()).unwrap().to_vec2::<f32>().unwrap();
            let reference = reference.get_or_insert_with(|| full.clone());
            assert!(full == *reference, "{k}x{n}: {threads} thread(s) change the product");
            for m in [smallest, smallest + 1, 7, 16, 17, 50, 333] {
                if m < smallest {
                    continue;
                }
                let part = x.narrow(0, 0, m).unwrap().matmul(&w.t().unwrap()).unwrap().to_vec2::<f32>().unwrap();
                assert!(
                    part[..] == reference[..m],
                    "{k}x{n}, {threads} thread(s): {m} rows differ from the same rows of 1000"
                );
            }
        }
    }
    match saved {
        Some(v) => std::env::set_var("RAYON_NUM_THREADS", v),
        None => std::env::remove_var("RAYON_NUM_THREADS"),
    }
}

/// A JSONL file of texts of very different lengths: fragments, sentences,
/// whole seed articles (longer than the model's window), and the same text
/// twice in different company.
fn mixed_lengths(dir: &Path) -> PathBuf {
    let mut texts: Vec<String> = vec!["Talks.".into(), "No.".into(), "Kim said the talks will meet.".into()];
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(repo().join("seeds")).unwrap().map(|e| e.unwrap().path()).collect();
    seeds.sort();
    for (i, path) in seeds.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        // One long paragraph made of a whole article, and a few single lines.
        texts.push(lines.join(" "));
        texts.extend(lines.iter().skip(i).step_by(5).map(|l| l.to_string()));
        texts.push(lines.iter().take(3).copied().collect::<Vec<_>>().join(" "));
    }
    texts.push("Kim said the talks will meet.".into());
    let path = dir.join("mixed.jsonl");
    let body: String = texts
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": format!("m{i}"), "text": t}).to_string() + "\n")
        .collect();
    std::fs::write(&path, body).unwrap();
    path
}

/// `stance classify --format jsonl` output bytes.
fn classify(model: &Path, cache: &Path, inputs: &[PathBuf], threads: usize, batch: usize, extra: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .arg("classify")
        .args(inputs)
        .args(["--format", "jsonl", "--quiet"])
        .args(["--threads", &threads.to_string(), "--batch-size", &batch.to_string()])
        .args(extra)
        .arg("--model")
        .arg(model)
        .current_dir(repo())
        .env("STANCE_CACHE_DIR", cache)
        .env_remove("RAYON_NUM_THREADS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!out.stdout.is_empty());
    out.stdout
}

/// Runs every (threads, batch size) combination on the inputs (in one
/// invocation each) and requires the same bytes as the first run; also a
/// repeat of the first run.
fn check_all_combinations(model: &Path, cache: &Path, inputs: &[PathBuf], extra: &[&str]) {
    let reference = classify(model, cache, inputs, 2, 32, extra);
    assert_eq!(reference, classify(model, cache, inputs, 2, 32, extra), "a second run differs");
    for threads in [1, 2] {
        for batch in [1, 7, 32, 256] {
            let out = classify(model, cache, inputs, threads, batch, extra);
            if out != reference {
                let first = String::from_utf8_lossy(&reference)
                    .lines()
                    .zip(String::from_utf8_lossy(&out).lines())
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("\n  expected {a}\n  got      {b}"))
                    .unwrap_or_default();
                panic!("--threads {threads} --batch-size {batch} differs from --threads 2 --batch-size 32{first}");
            }
        }
    }
}

#[test]
fn tiny_model_output_is_byte_identical_across_threads_and_batch_sizes() {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let model = common::write_tiny_bert(&tmp.path().join("tiny"));
    let inputs = [repo().join("seeds"), mixed_lengths(tmp.path())];
    // The shipped heads belong to the real encoder; zero-shot runs on any.
    check_all_combinations(&model, &tmp.path().join("cache"), &inputs, &["--classifier", "zero-shot"]);
}

#[test]
fn real_model_output_is_byte_identical_across_threads_and_batch_sizes() {
    let Some(files) = common::real_model() else { return };
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let model = files.weights.parent().unwrap().to_owned();
    let inputs = [repo().join("seeds"), mixed_lengths(tmp.path())];
    check_all_combinations(&model, &tmp.path().join("cache"), &inputs, &[]);
}

/// `--precision int8` is as deterministic as fp32 (integer sums are exact
/// and every row is quantised on its own), and really is another model: its
/// output differs from fp32's.
#[test]
fn int8_output_is_byte_identical_across_threads_and_batch_sizes() {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let model = common::write_tiny_bert(&tmp.path().join("tiny"));
    let inputs = [repo().join("seeds"), mixed_lengths(tmp.path())];
    let int8 = ["--classifier", "zero-shot", "--precision", "int8"];
    check_all_combinations(&model, &tmp.path().join("cache"), &inputs, &int8);
    let fp32 = classify(&model, &tmp.path().join("cache"), &inputs, 2, 32, &["--classifier", "zero-shot"]);
    assert_ne!(fp32, classify(&model, &tmp.path().join("cache"), &inputs, 2, 32, &int8));
}

/// `--cache`: a second run reads every vector from the cache and prints the
/// same bytes; a damaged cache file is repaired with a warning, not fatal.
#[test]
fn cached_embeddings_give_the_same_output() {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let model = common::write_tiny_bert(&tmp.path().join("tiny"));
    let cache_dir = tmp.path().join("vectors");
    let inputs = [repo().join("seeds")];
    let plain = classify(&model, &tmp.path().join("cache"), &inputs, 2, 32, &["--classifier", "zero-shot"]);
    let cached_args = ["--classifier", "zero-shot", "--cache", cache_dir.to_str().unwrap()];
    let cold = classify(&model, &tmp.path().join("cache"), &inputs, 2, 32, &cached_args);
    let files: Vec<PathBuf> = std::fs::read_dir(&cache_dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let size = std::fs::metadata(&files[0]).unwrap().len();
    assert!(size > 0);
    let warm = classify(&model, &tmp.path().join("cache"), &inputs, 1, 7, &cached_args);
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), size, "a warm run adds nothing");
    assert!(plain == cold && cold == warm, "the cache changes the output");

    // int8 vectors go to a file of their own and never answer for fp32.
    let int8_args = [&cached_args[..], &["--precision", "int8"]].concat();
    let int8 = classify(&model, &tmp.path().join("cache"), &inputs, 2, 32, &int8_args);
    assert_ne!(int8, plain);
    assert_eq!(std::fs::read_dir(&cache_dir).unwrap().count(), 2, "one cache file per precision");
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), size, "int8 wrote into the fp32 file");
    assert_eq!(classify(&model, &tmp.path().join("cache"), &inputs, 1, 7, &int8_args), int8);

    // Cut the file mid-record: the next run warns, repairs and still agrees.
    std::fs::OpenOptions::new().write(true).open(&files[0]).unwrap().set_len(size - 5).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["classify", "seeds", "--format", "jsonl", "--quiet"])
        .args(cached_args)
        .arg("--model")
        .arg(&model)
        .current_dir(repo())
        .env("STANCE_CACHE_DIR", tmp.path().join("cache"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, plain);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("embedding cache") && stderr.contains("damaged"), "{stderr}");
}

/// Two runs sharing a `--cache` at the same time, on different inputs,
/// lose nothing: every vector either of them stored is in the file after
/// (the cache file is locked; an open during the other run's append used to
/// take its half-written record for damage and cut the file back). The
/// truth is the same two runs one after the other; a few rounds start the
/// second run a little later each time, so that it opens while the first
/// appends.
#[test]
fn concurrent_runs_sharing_a_cache_lose_nothing() {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let model = common::write_tiny_bert(&tmp.path().join("tiny"));
    // Several chunks of paragraphs per run, so each appends many times.
    let inputs: Vec<PathBuf> = (0..2)
        .map(|run| {
            let path = tmp.path().join(format!("run-{run}.jsonl"));
            let body: String = (0..2500)
                .map(|i| serde_json::json!({"id": format!("r{run}-{i}"), "text": format!("Run {run}, talk {i}.")}))
                .map(|record| record.to_string() + "\n")
                .collect();
            std::fs::write(&path, body).unwrap();
            path
        })
        .collect();
    let start = |input: &Path, cache: &Path| {
        Command::new(env!("CARGO_BIN_EXE_stance"))
            .arg("classify")
            .arg(input)
            .args(["--format", "jsonl", "--quiet", "--classifier", "zero-shot", "--cache"])
            .arg(cache)
            .arg("--model")
            .arg(&model)
            .env("STANCE_CACHE_DIR", tmp.path().join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let finish = |child: std::process::Child, what: &str| {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.is_empty(), "{what}: {stderr}");
    };
    let encoder = stance::encoder::Encoder::try_new(
        stance::encoder::ModelFiles::from_dir("tiny", &model, stance::encoder::Source::LocalDir).unwrap(),
    )
    .unwrap();
    let sha = stance::digest::sha256_file(&model.join("model.safetensors")).unwrap();
    let count = |dir: &Path| {
        stance::encoder::cache::EmbeddingCache::open(dir, &sha, encoder.window(), encoder.dims(), &mut |note| {
            panic!("{}: {note}", dir.display())
        })
        .unwrap()
        .len()
    };

    let sequential = tmp.path().join("sequential");
    for input in &inputs {
        finish(start(input, &sequential), "sequential run");
    }
    let expected = count(&sequential);
    assert!(expected > 5000, "{expected} vectors");
    for round in 0..4 {
        let shared = tmp.path().join(format!("shared-{round}"));
        let first = start(&inputs[0], &shared);
        std::thread::sleep(std::time::Duration::from_millis(150 * round));
        let second = start(&inputs[1], &shared);
        finish(first, &format!("round {round}, first run"));
        finish(second, &format!("round {round}, second run"));
        assert_eq!(count(&shared), expected, "round {round}: vectors lost");
    }
}
