//! The `stance` binary end to end.

use crate::repo;
use stance::testing as common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn stance(args: &[&str], model: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(args)
        .arg("--model")
        .arg(model)
        .current_dir(repo())
        .env("STANCE_CACHE_DIR", model.parent().unwrap().join("cache"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn tiny_model() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::write_tiny_bert(&tmp.path().join("tiny"));
    (tmp, dir)
}

fn stdout_lines(out: &Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Checks one record against the output contract.
fn check_record(r: &serde_json::Value) {
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "article",
            "paragraph",
            "text",
            "boilerplate",
            "stance",
            "stance_scores",
            "sentiment",
            "sentiment_scores",
            "sentiment_score",
            "speaker",
            "speaker_role",
            "quotes"
        ]
    );
    let sum = |v: &serde_json::Value, keys: [&str; 3]| -> f64 { keys.iter().map(|k| v[*k].as_f64().unwrap()).sum() };
    assert!((sum(&r["stance_scores"], ["likely", "unlikely", "neutral"]) - 1.0).abs() < 1e-5);
    assert!((sum(&r["sentiment_scores"], ["positive", "negative", "neutral"]) - 1.0).abs() < 1e-5);
    assert!(["likely", "unlikely", "neutral"].contains(&r["stance"].as_str().unwrap()));
    assert!(["positive", "negative", "neutral"].contains(&r["sentiment"].as_str().unwrap()));
    let v = r["sentiment_score"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&v));
    assert!(!r["speaker"].as_str().unwrap().is_empty());
    assert!(r["speaker_role"].is_null() || r["speaker_role"].is_string());
    for q in r["quotes"].as_array().unwrap() {
        assert!(r["text"].as_str().unwrap().contains(q.as_str().unwrap()));
    }
}

fn check_seed_run(model: &Path) {
    let out = stance(&["classify", "seeds", "--format", "jsonl"], model);
    let records = stdout_lines(&out);
    assert_eq!(records.len(), 95);
    records.iter().for_each(check_record);
    let articles: std::collections::BTreeSet<&str> = records.iter().map(|r| r["article"].as_str().unwrap()).collect();
    assert_eq!(articles.len(), 5);
    // Paragraphs count from 1 within each article, in order.
    let mut expected = std::collections::HashMap::new();
    for r in &records {
        let next = expected.entry(r["article"].as_str().unwrap()).or_insert(1);
        assert_eq!(r["paragraph"].as_u64().unwrap(), *next);
        *next += 1;
    }
    let boilerplate = records.iter().filter(|r| r["boilerplate"] == true).count();
    assert!((3..=8).contains(&boilerplate), "{boilerplate} boilerplate paragraphs");

    let out = stance(&["rank", "seeds", "--format", "json"], model);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ranking: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ranking.len(), 5);
    let scores: Vec<f64> = ranking.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for (i, r) in ranking.iter().enumerate() {
        assert_eq!(r["rank"].as_u64().unwrap() as usize, i + 1);
        let counts: u64 = ["likely", "unlikely", "neutral"].iter().map(|k| r[*k].as_u64().unwrap()).sum();
        assert_eq!(counts, r["paragraphs"].as_u64().unwrap());
        // The score is the mean of P(likely) - P(unlikely) over scored paragraphs.
        let mine: Vec<&serde_json::Value> =
            records.iter().filter(|p| p["article"] == r["article"] && p["boilerplate"] == false).collect();
        let mean = mine
            .iter()
            .map(|p| p["stance_scores"]["likely"].as_f64().unwrap() - p["stance_scores"]["unlikely"].as_f64().unwrap())
            .sum::<f64>()
            / mine.len() as f64;
        assert!((mean - r["score"].as_f64().unwrap()).abs() < 2e-6);
    }
}

#[test]
fn seeds_end_to_end_with_a_tiny_model() {
    let (_tmp, model) = tiny_model();
    check_seed_run(&model);
}

#[test]
fn seeds_end_to_end_with_the_real_model() {
    let Some(files) = common::real_model() else { return };
    check_seed_run(files.weights.parent().unwrap());
}

#[test]
fn every_format_writes_every_paragraph() {
    let (_tmp, model) = tiny_model();
    let article = "seeds/003_03266776657738d3.txt";
    let json = stance(&["classify", article, "--format", "json"], &model);
    let parsed: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed.len(), 10);
    let csv = stance(&["classify", article, "--format", "csv"], &model);
    assert!(csv.status.success());
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    assert_eq!(reader.records().count(), 10);
    let table = stance(&["classify", article, "--format", "table"], &model);
    assert_eq!(String::from_utf8(table.stdout).unwrap().lines().count(), 11);
    let rank = stance(&["rank", article, "--format", "table"], &model);
    assert!(String::from_utf8(rank.stdout).unwrap().contains("003_03266776657738d3"));
}

#[test]
fn jsonl_from_stdin() {
    let (_tmp, model) = tiny_model();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["classify", "-", "--input", "jsonl", "--format", "jsonl", "--model"])
        .arg(&model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"id\": \"d1\", \"text\": \"Kim said no.\\nTrump said yes.\"}\n{\"text\": \"Talks.\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let records = stdout_lines(&out);
    let ids: Vec<(&str, u64)> =
        records.iter().map(|r| (r["article"].as_str().unwrap(), r["paragraph"].as_u64().unwrap())).collect();
    assert_eq!(ids, vec![("d1", 1), ("d1", 2), ("stdin:2", 1)]);
}

#[test]
fn bad_input_is_one_line_naming_the_file() {
    let (tmp, model) = tiny_model();
    let missing = tmp.path().join("nope.txt");
    let out = stance(&["classify", missing.to_str().unwrap()], &model);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("stance: error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("nope.txt") && errors[0].contains("No such file"), "{stderr}");
    assert_eq!(errors[0].matches("No such file").count(), 1, "cause repeated: {stderr}");

    let out = stance(&["rank", "seeds"], &tmp.path().join("no-model-here"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no-model-here") && stderr.contains("no such model directory"), "{stderr}");
}

#[test]
fn speakers_summarises_the_seeds() {
    let (_tmp, model) = tiny_model();
    let out = stance(&["speakers", "seeds", "--format", "json"], &model);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["speaker"].as_str().unwrap()).collect();
    for expected in ["Donald Trump", "Kim Jong Un", "experts", "Bruce Klingner"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    assert!(!names.contains(&"narrator"));
    let paragraphs: Vec<u64> = rows.iter().map(|r| r["paragraphs"].as_u64().unwrap()).collect();
    assert!(paragraphs.windows(2).all(|w| w[0] >= w[1]), "{paragraphs:?}");
    for r in &rows {
        let counts: u64 = ["likely", "unlikely", "neutral"].iter().map(|k| r[*k].as_u64().unwrap()).sum();
        assert_eq!(counts, r["paragraphs"].as_u64().unwrap());
        assert!((-1.0..=1.0).contains(&r["mean_sentiment"].as_f64().unwrap()));
        assert!(!r["quote"].as_str().unwrap().is_empty());
    }

    let with_narrator = stance(&["speakers", "seeds", "--format", "json", "--narrator"], &model);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&with_narrator.stdout).unwrap();
    assert!(rows.iter().any(|r| r["speaker"] == "narrator"));

    let table = stance(&["speakers", "seeds", "--format", "table"], &model);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.starts_with("SPEAKER") && table.contains("Donald Trump"), "{table}");
}
