//! Odd but valid input, run through the built binary with the tiny random
//! BERT: it must be read, not rejected (exit 0, nothing on stderr).
//!
//! * empty and blank-only files give zero paragraphs; `rank` leaves an
//!   article without paragraphs out (it has no paragraph to score), while
//!   an article of boilerplate only is ranked with score 0 (README, "The
//!   article score");
//! * CRLF, a BOM, tabs, emoji and right-to-left text keep their text;
//! * a 100,000-word paragraph is one record (read in windows);
//! * a directory of 10,000 articles gives every article, in sorted order.

use stance::testing as common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn stance(args: &[&str], dir: &Path, model: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["--quiet", "--model"])
        .arg(model)
        .args(args)
        .args(["--classifier", "zero-shot"])
        .current_dir(dir)
        .env("STANCE_CACHE_DIR", dir.join("cache"))
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok_stdout(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "valid input must not draw a message: {err}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn classify(paths: &[&str], dir: &Path, model: &Path) -> Vec<serde_json::Value> {
    let mut args = vec!["classify", "--format", "jsonl"];
    args.extend_from_slice(paths);
    ok_stdout(&stance(&args, dir, model)).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let model = common::write_tiny_bert(&tmp.path().join("tiny"));
    (tmp, model)
}

fn texts(records: &[serde_json::Value], article: &str) -> Vec<String> {
    records.iter().filter(|r| r["article"] == article).map(|r| r["text"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn empty_and_blank_files_have_no_paragraphs() {
    let (tmp, model) = setup();
    let dir = tmp.path();
    std::fs::write(dir.join("empty.txt"), b"").unwrap();
    std::fs::write(dir.join("blank.txt"), " \n\t\n\r\n \u{3000}\n").unwrap();
    std::fs::write(dir.join("bom-only.txt"), "\u{feff}").unwrap();
    std::fs::write(dir.join("furniture.txt"), "World\nSign up here.\n").unwrap();
    std::fs::write(dir.join("good.txt"), "Talks will resume.\n").unwrap();
    std::fs::write(dir.join("empty.jsonl"), "{\"id\": \"e\", \"text\": \"\"}\n\n").unwrap();

    assert!(classify(&["empty.txt", "blank.txt", "bom-only.txt", "empty.jsonl"], dir, &model).is_empty());

    // rank: the articles without paragraphs are left out; the one made of
    // boilerplate is ranked with score 0 and no scored paragraph.
    let all = [
        "rank",
        "--format",
        "json",
        "empty.txt",
        "blank.txt",
        "bom-only.txt",
        "furniture.txt",
        "good.txt",
        "empty.jsonl",
    ];
    let ranking: Vec<serde_json::Value> = serde_json::from_str(&ok_stdout(&stance(&all, dir, &model))).unwrap();
    let ids: Vec<&str> = ranking.iter().map(|r| r["article"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ["furniture", "good"]);
    let furniture = ranking.iter().find(|r| r["article"] == "furniture").unwrap();
    assert_eq!(furniture["score"], 0.0);
    assert_eq!(furniture["paragraphs"], 0);

    // Only empty articles: an empty ranking, still a success.
    let out = stance(&["rank", "--format", "json", "empty.txt", "blank.txt"], dir, &model);
    assert_eq!(ok_stdout(&out).trim(), "[]");
    let out = stance(&["rank", "--format", "table", "empty.txt"], dir, &model);
    ok_stdout(&out);
    let out = stance(&["speakers", "--format", "json", "empty.txt"], dir, &model);
    assert_eq!(ok_stdout(&out).trim(), "[]");
}

#[test]
fn line_ends_bom_tabs_emoji_and_right_to_left_text_are_kept() {
    let (tmp, model) = setup();
    let dir = tmp.path();
    let files: &[(&str, &str, &[&str])] = &[
        ("crlf.txt", "First line.\r\nSecond line.\r\n", &["First line.", "Second line."]),
        ("crlf-blocks.txt", "Wrapped\r\nline.\r\n\r\nNext.\r\n", &["Wrapped line.", "Next."]),
        ("cr.txt", "Old\rMac.", &["Old", "Mac."]),
        ("bom.txt", "\u{feff}Kim met Trump.\nThey talked.", &["Kim met Trump.", "They talked."]),
        ("tabs.txt", "\tIndented\twith tabs.\t\nNext\tline.", &["Indented\twith tabs.", "Next\tline."]),
        ("emoji.txt", "Peace 🕊️ talks 🇰🇷🇰🇵 resume 👍🏽.\n😀\n", &["Peace 🕊️ talks 🇰🇷🇰🇵 resume 👍🏽.", "😀"]),
        (
            "rtl.txt",
            "השיחות יתחדשו בשבוע הבא, אמר השליח.\nقال المبعوث إن المحادثات ستستأنف.\nMixed: \u{202b}עברית\u{202c} and English.",
            &["השיחות יתחדשו בשבוע הבא, אמר השליח.", "قال المبعوث إن المحادثات ستستأنف.", "Mixed: \u{202b}עברית\u{202c} and English."],
        ),
    ];
    let mut names = Vec::new();
    for (name, text, _) in files {
        std::fs::write(dir.join(name), text).unwrap();
        names.push(*name);
    }
    let records = classify(&names, dir, &model);
    for (name, _, expected) in files {
        let stem = name.trim_end_matches(".txt");
        assert_eq!(texts(&records, stem), *expected, "{name}");
    }
    for r in &records {
        let sum: f64 = ["likely", "unlikely", "neutral"].iter().map(|k| r["stance_scores"][*k].as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-5, "{r}");
    }

    // The same texts as JSONL records (CRLF line ends on the JSONL lines too).
    let mut jsonl = String::from("\u{feff}");
    for (name, text, _) in files {
        jsonl.push_str(&serde_json::json!({"id": name, "text": text}).to_string());
        jsonl.push_str("\r\n");
    }
    std::fs::write(dir.join("all.jsonl"), jsonl).unwrap();
    let records = classify(&["all.jsonl"], dir, &model);
    for (name, _, expected) in files {
        assert_eq!(texts(&records, name), *expected, "{name} in JSONL");
    }
}

#[test]
fn a_100000_word_paragraph_is_one_record() {
    let (tmp, model) = setup();
    let dir = tmp.path();
    let words = ["the", "talks", "said", "kim", "trump", "north", "korea", "will", "not", "meet"];
    let mut text = String::new();
    for i in 0..100_000 {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(words[(i * 7 + i / 13) % words.len()]);
        if i % 17 == 16 {
            text.push('.');
        }
    }
    text.push('\n');
    std::fs::write(dir.join("huge.txt"), &text).unwrap();
    let records = classify(&["huge.txt"], dir, &model);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["text"].as_str().unwrap(), text.trim_end());
    assert_eq!(records[0]["text"].as_str().unwrap().split(' ').count(), 100_000);
}

#[test]
fn a_directory_of_10000_articles() {
    let (tmp, model) = setup();
    let dir = tmp.path();
    let corpus = dir.join("corpus");
    for i in 0..10_000 {
        let sub = corpus.join(format!("{:02}", i % 100));
        if i < 100 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(sub.join(format!("a{i:05}.txt")), format!("Article {i} says talks will resume.\n")).unwrap();
    }
    let records = classify(&["corpus"], dir, &model);
    assert_eq!(records.len(), 10_000);
    // Sorted by path: directory 00 first (a00000, a00100, ...), then 01.
    let ids: Vec<&str> = records.iter().map(|r| r["article"].as_str().unwrap()).collect();
    assert_eq!(&ids[..3], ["a00000", "a00100", "a00200"]);
    assert_eq!(ids[100], "a00001");
    let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 10_000);
}
