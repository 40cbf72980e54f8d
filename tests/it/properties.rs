//! Property tests (proptest) of the robustness issue: segmentation keeps
//! every non-empty line, attribution spans stay inside their paragraph,
//! JSONL reading never panics, and every classifier's probabilities are
//! finite and sum to 1. The text invariants are shared with the fuzz target
//! (`tests/invariants/mod.rs`); inputs the fuzzer once crashed on are kept
//! at the end as regression tests.

use stance::testing as common;
use stance::testing::invariants;

use proptest::prelude::*;
use stance::classify::{softmax, Classifier, Probabilities, Task};

/// Words that steer attribution into its interesting paths: speech verbs,
/// titles, pronouns, quotation marks of every kind, names and bodies.
const WORDS: &[&str] = &[
    "said",
    "says",
    "told",
    "warned",
    "according",
    "to",
    "Mr.",
    "Ms.",
    "President",
    "Kim",
    "Jong",
    "Un",
    "Donald",
    "J.",
    "Trump",
    "he",
    "she",
    "they",
    "the",
    "former",
    "official",
    "officials",
    "North",
    "Korea's",
    "Foreign",
    "Ministry",
    "analysts",
    "experts",
    "but",
    "however",
    ",",
    ".",
    "\"",
    "“",
    "”",
    "‘",
    "’",
    "'",
    "—",
    "(",
    ")",
    "a",
    "an",
    "of",
    "in",
    "Seoul",
    "Washington",
    "talks",
    "will",
    "not",
    "meet",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "# ",
    "- ",
    "1. ",
    "\u{feff}",
    "😀",
    "שלום",
    "مرحبا",
    "é",
    "\u{200b}",
    "\u{2028}",
    "\u{85}",
];

fn newsy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..80).prop_map(|pieces| {
        let mut text = String::new();
        for p in pieces {
            if !text.is_empty() && !p.starts_with(['\n', '\r', ',', '.']) {
                text.push(' ');
            }
            text.push_str(&p);
        }
        text
    })
}

fn probabilities_ok(p: &Probabilities) -> bool {
    p.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)) && (p.iter().sum::<f32>() - 1.0).abs() < 1e-5
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn segmentation_preserves_every_non_empty_line(text in newsy_text()) {
        invariants::check_segmentation(&text);
    }

    #[test]
    fn segmentation_preserves_lines_of_any_string(text in any::<String>()) {
        invariants::check_segmentation(&text);
    }

    #[test]
    fn attribution_spans_lie_inside_their_paragraph(text in newsy_text()) {
        invariants::check_article(&text);
    }

    #[test]
    fn jsonl_reading_never_panics(lines in prop::collection::vec(
        prop_oneof![
            newsy_text().prop_map(|t| serde_json::json!({"text": t}).to_string()),
            newsy_text().prop_map(|t| serde_json::json!({"id": t.clone(), "text": t}).to_string()),
            any::<String>(),
            Just("{\"text\": 5}".to_owned()),
        ],
        0..8,
    ), lossy in any::<bool>()) {
        invariants::check_jsonl(lines.join("\n").as_bytes(), lossy);
    }

    #[test]
    fn jsonl_reading_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        invariants::check_jsonl(&bytes, false);
        invariants::check_jsonl(&bytes, true);
    }

    #[test]
    fn softmax_is_finite_and_sums_to_one(
        scores in prop::array::uniform3(-1e30f32..1e30),
        temperature in 1e-30f32..1e3,
    ) {
        let p = softmax(&scores, temperature);
        prop_assert!(probabilities_ok(&p), "{p:?} from {scores:?} / {temperature}");
    }

    #[test]
    fn valence_thresholds_give_probabilities(v in -1e6f64..1e6, negative in -1.0f64..0.0, width in 0.0f64..1.0, scale in 1e-6f64..10.0) {
        let t = stance::classify::heads::Thresholds { negative, positive: negative + width, scale };
        let p = stance::classify::heads::threshold_probabilities(v, &t);
        prop_assert!(probabilities_ok(&p), "{p:?} from {v} under {t:?}");
    }
}

/// The shipped heads, loaded for the encoder they were made for.
fn shipped_heads() -> Vec<Box<dyn Classifier>> {
    [Task::Stance, Task::Sentiment]
        .into_iter()
        .map(|task| {
            let head = stance::classify::heads::builtin(task).unwrap();
            let sha = head.metadata.encoder_weights_sha256.clone();
            let dims = head.metadata.dims;
            head.into_classifier(&sha, dims).unwrap()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Heads on random embeddings (unit vectors, as the encoder gives, and
    /// raw ones of any size) and random text for the lexicon features.
    #[test]
    fn head_probabilities_are_finite_and_sum_to_one(
        raw in prop::collection::vec(-1e3f32..1e3, 384),
        normalise in any::<bool>(),
        text in newsy_text(),
    ) {
        let mut e = raw;
        if normalise {
            let norm = e.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            e.iter_mut().for_each(|x| *x /= norm);
        }
        for head in shipped_heads() {
            let p = head.predict(&[&text], std::slice::from_ref(&e)).unwrap();
            prop_assert_eq!(p.len(), 1);
            prop_assert!(probabilities_ok(&p[0]), "{} gave {:?}", head.name(), p[0]);
            if let Some(v) = head.valence(&[&text], std::slice::from_ref(&e)).unwrap() {
                prop_assert!(v[0].is_finite() && (-1.0..=1.0).contains(&v[0]));
            }
        }
    }
}

/// Zero-shot and the whole pipeline with the tiny random BERT: scores of
/// random paragraphs are finite and sum to 1 (after the 6-decimal rounding
/// of the output, within 1e-5).
#[test]
fn zero_shot_and_pipeline_scores_are_finite_and_sum_to_one() {
    use stance::encoder::{Encoder, ResolveOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::write_tiny_bert(&tmp.path().join("tiny"));
    let encoder = Encoder::load(dir.to_str().unwrap(), &ResolveOptions::default(), &mut |_| {}).unwrap();
    let prototypes = stance::classify::zero_shot::PrototypeFile::builtin().unwrap();
    let pipeline = stance::pipeline::Pipeline::zero_shot(encoder, &prototypes).unwrap();

    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 48, ..ProptestConfig::default() });
    let dims = pipeline.encoder().dims();
    runner
        .run(&(prop::collection::vec(-10f32..10.0, dims), newsy_text()), |(e, text)| {
            for c in [&pipeline.classifiers().stance, &pipeline.classifiers().sentiment] {
                let p = c.predict(&[&text], std::slice::from_ref(&e)).unwrap();
                prop_assert!(probabilities_ok(&p[0]), "zero-shot gave {:?}", p[0]);
            }
            let article = stance::text::article::Article::from_text("a", &text);
            for r in pipeline.classify(&[article]).unwrap() {
                let s = &r.stance_scores;
                let m = &r.sentiment_scores;
                for (x, total) in
                    [(s.likely, s.likely + s.unlikely + s.neutral), (m.positive, m.positive + m.negative + m.neutral)]
                {
                    prop_assert!(x.is_finite() && (total - 1.0).abs() < 1e-5, "{r:?}");
                }
                prop_assert!((-1.0..=1.0).contains(&r.sentiment_score));
            }
            Ok(())
        })
        .unwrap();
}

/// A mutation search on the stable toolchain, for machines where the
/// cargo-fuzz target (`fuzz/`, nightly) cannot be built or run: inputs from
/// the seeds, training and label files, cut and mutated at random (byte
/// flips, insertions of bytes and of [`WORDS`], deletions, repeats,
/// splices), then run through [`invariants::check_bytes`]. Unlike
/// libFuzzer it is not guided by coverage. Ignored by default; run with
///
/// ```text
/// STANCE_FUZZ_SECONDS=600 cargo test --release --test properties -- --ignored --nocapture mutation_search
/// ```
///
/// Inputs that fail are written to `target/fuzz-failures/` and fail the test.
#[test]
#[ignore = "a long random search; see the doc comment"]
fn mutation_search() {
    use rand::{Rng, SeedableRng};
    let seconds: u64 = std::env::var("STANCE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = std::env::var("STANCE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(2026);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    for dir in ["seeds", "eval/train", "eval/labels"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        corpus.extend(files.iter().filter(|p| p.is_file()).map(|p| std::fs::read(p).unwrap()));
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let failures = root.join("target/fuzz-failures");
    let start = std::time::Instant::now();
    let (mut executions, mut failed) = (0u64, 0u64);
    while start.elapsed().as_secs() < seconds {
        let source = &corpus[rng.random_range(0..corpus.len())];
        let from = rng.random_range(0..source.len());
        let len = rng.random_range(0..=4096.min(source.len() - from));
        let mut input = source[from..from + len].to_vec();
        for _ in 0..rng.random_range(1..=8) {
            let at = rng.random_range(0..=input.len());
            match rng.random_range(0..7) {
                0 if !input.is_empty() => {
                    let i = at.min(input.len() - 1);
                    input[i] ^= 1 << rng.random_range(0..8);
                }
                1 => input.insert(at, rng.random()),
                2 => {
                    let word = WORDS[rng.random_range(0..WORDS.len())].as_bytes();
                    input.splice(at..at, word.iter().copied());
                }
                3 => {
                    let end = rng.random_range(at..=input.len().min(at + 64));
                    input.drain(at..end);
                }
                4 => {
                    let end = rng.random_range(at..=input.len().min(at + 64));
                    let piece = input[at..end].to_vec();
                    for _ in 0..rng.random_range(1..16) {
                        input.splice(at..at, piece.iter().copied());
                    }
                }
                5 => {
                    let other = &corpus[rng.random_range(0..corpus.len())];
                    let from = rng.random_range(0..other.len());
                    let end = rng.random_range(from..=other.len().min(from + 512));
                    input.splice(at..at, other[from..end].iter().copied());
                }
                _ => {
                    let marks: [&[u8]; 8] = [
                        b"\"",
                        "\u{201c}".as_bytes(),
                        "\u{201d}".as_bytes(),
                        b"\r",
                        b"\n\n",
                        b"{\"text\": \"",
                        b"\\",
                        b"'",
                    ];
                    input.splice(at..at, marks[rng.random_range(0..marks.len())].iter().copied());
                }
            }
        }
        executions += 1;
        if std::panic::catch_unwind(|| invariants::check_bytes(&input)).is_err() {
            failed += 1;
            std::fs::create_dir_all(&failures).unwrap();
            std::fs::write(failures.join(format!("failure-{seed}-{executions}.bin")), &input).unwrap();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "mutation search: seed {seed}, {executions} executions in {secs:.0} s ({:.0}/s), {failed} failing inputs",
        executions as f64 / secs
    );
    assert_eq!(failed, 0, "failing inputs are in {}", failures.display());
}
