//! The commands' outputs on the seeds, byte for byte, against files under
//! `tests/expected/`. They pin what users see: a refactor must not move a
//! byte; a change of model or method regenerates them on purpose with
//! `STANCE_BLESS=1 cargo test --release expected` and says so in its commit.

use crate::repo;
use std::process::{Command, Stdio};

/// Runs `stance ARGS` on the real model from the repository root; `None`
/// (skipped) when the model is not installed.
fn run(args: &[&str]) -> Option<Vec<u8>> {
    stance::testing::real_model()?;
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(args)
        .arg("--quiet")
        .current_dir(repo())
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "stance {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Some(out.stdout)
}

fn check(file: &str, args: &[&str]) {
    let Some(actual) = run(args) else { return };
    let path = repo().join("tests/expected").join(file);
    if std::env::var_os("STANCE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap();
    if actual != expected {
        let (a, e) = (String::from_utf8_lossy(&actual), String::from_utf8_lossy(&expected));
        let line = a.lines().zip(e.lines()).position(|(x, y)| x != y).map_or(0, |i| i + 1);
        panic!("stance {args:?} differs from tests/expected/{file} (first at line {line})");
    }
}

#[test]
fn classify_output_is_unchanged() {
    check("classify.jsonl", &["classify", "seeds", "--format", "jsonl"]);
}

#[test]
fn rank_output_is_unchanged() {
    check("rank.json", &["rank", "seeds", "--format", "json"]);
}

#[test]
fn speakers_output_is_unchanged() {
    check("speakers.json", &["speakers", "seeds", "--format", "json"]);
}

#[test]
fn eval_output_is_unchanged() {
    check("eval-seeds.md", &["eval", "--labels", "eval/labels/seeds.jsonl", "--format", "markdown"]);
}

#[test]
fn nyt_eval_output_is_unchanged() {
    if !repo().join(stance::data::nyt::DEFAULT_PATH).is_file() {
        eprintln!("skipping: {} not present", stance::data::nyt::DEFAULT_PATH);
        return;
    }
    check("eval-nyt.md", &["eval", "--dataset", "nyt", "--format", "markdown"]);
}
