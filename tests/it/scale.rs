//! Scale-out contracts of the binary: stdin streaming, `--shard`, and
//! `rank --from-records`. A tiny random BERT stands in for the model: the
//! contracts concern which records come out, and when, not their quality.

use crate::repo;
use stance::testing as common;

use serde_json::Value;
use stance::results::shard::Shard;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn command(args: &[&str], model: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stance"));
    cmd.args(args)
        .arg("--model")
        .arg(model)
        .arg("--quiet")
        .current_dir(repo())
        .env("STANCE_CACHE_DIR", model.parent().unwrap().join("cache"));
    cmd
}

fn stance(args: &[&str], model: &Path) -> Output {
    command(args, model).stdin(Stdio::null()).output().unwrap()
}

fn ok(out: Output) -> Vec<u8> {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn jsonl(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn tiny_model() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::write_tiny_bert(&tmp.path().join("tiny"));
    (tmp, dir)
}

/// The seeds' paragraphs (one per line).
fn seed_paragraphs() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(repo().join("seeds")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// `docs` JSONL documents of `per_doc` seed paragraphs each, ids `doc-<i>`.
fn corpus(docs: usize, per_doc: usize) -> String {
    let pool = seed_paragraphs();
    (0..docs)
        .map(|i| {
            let text: Vec<&str> = (0..per_doc).map(|j| pool[(i * 7 + j * 3) % pool.len()].as_str()).collect();
            format!("{}\n", serde_json::json!({"id": format!("doc-{i}"), "text": text.join("\n")}))
        })
        .collect()
}

#[test]
fn shards_partition_the_unsharded_output() {
    let (tmp, model) = tiny_model();
    let feed = tmp.path().join("feed.jsonl");
    std::fs::write(&feed, corpus(40, 6)).unwrap();
    let feed = feed.to_str().unwrap();
    let n = 3u64;

    let whole = jsonl(&ok(stance(&["classify", feed, "--format", "jsonl"], &model)));
    assert_eq!(whole.len(), 240);
    let mut union = Vec::new();
    let mut owners: BTreeMap<String, u64> = BTreeMap::new();
    for k in 0..n {
        let part = jsonl(&ok(stance(&["classify", feed, "--format", "jsonl", "--shard", &format!("{k}/{n}")], &model)));
        for r in &part {
            let article = r["article"].as_str().unwrap().to_owned();
            // The documented hash decides the shard, and no article is split.
            assert_eq!(Shard::of(&article, n), k, "{article}");
            assert_eq!(*owners.entry(article).or_insert(k), k);
        }
        union.extend(part);
    }
    assert!(owners.values().collect::<BTreeSet<_>>().len() == n as usize, "some shard is empty");
    // The same records, each shard keeping input order.
    let position: BTreeMap<(String, u64), usize> = whole
        .iter()
        .enumerate()
        .map(|(i, r)| ((r["article"].as_str().unwrap().to_owned(), r["paragraph"].as_u64().unwrap()), i))
        .collect();
    union.sort_by_key(|r| position[&(r["article"].as_str().unwrap().to_owned(), r["paragraph"].as_u64().unwrap())]);
    assert_eq!(union.len(), whole.len());
    for (u, w) in union.iter().zip(&whole) {
        assert_eq!(u, w, "sharded vs unsharded record");
    }

    // Rankings of the shards hold the unsharded rows (ranks aside).
    let strip = |rows: Vec<Value>| -> BTreeMap<String, Value> {
        rows.into_iter()
            .map(|mut r| {
                r.as_object_mut().unwrap().remove("rank");
                (r["article"].as_str().unwrap().to_owned(), r)
            })
            .collect()
    };
    let whole_rank = strip(serde_json::from_slice(&ok(stance(&["rank", feed, "--format", "json"], &model))).unwrap());
    let mut union_rank = BTreeMap::new();
    for k in 0..n {
        let rows = serde_json::from_slice(&ok(stance(
            &["rank", feed, "--format", "json", "--shard", &format!("{k}/{n}")],
            &model,
        )))
        .unwrap();
        union_rank.extend(strip(rows));
    }
    assert_eq!(union_rank, whole_rank);

    // speakers takes the option too: a shard counts fewer paragraphs.
    let paragraphs = |out: Vec<u8>| -> u64 {
        let rows: Vec<Value> = serde_json::from_slice(&out).unwrap();
        rows.iter().map(|r| r["paragraphs"].as_u64().unwrap()).sum()
    };
    let all = paragraphs(ok(stance(&["speakers", feed, "--format", "json", "--narrator"], &model)));
    let part = paragraphs(ok(stance(&["speakers", feed, "--format", "json", "--narrator", "--shard", "1/3"], &model)));
    assert!(0 < part && part < all, "{part} of {all}");
}

#[test]
fn bad_shards_are_usage_errors() {
    let (_tmp, model) = tiny_model();
    for command in ["classify", "rank", "speakers"] {
        for bad in ["3/3", "0/0", "-1/2", "1", "a/b", "1/2/3"] {
            let out = stance(&[command, "seeds", &format!("--shard={bad}")], &model);
            assert_eq!(out.status.code(), Some(2), "{command} --shard {bad}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("--shard"), "{stderr}");
        }
    }
}

#[test]
fn rank_from_records_equals_rank() {
    let (tmp, model) = tiny_model();
    let records = ok(stance(&["classify", "seeds", "--format", "jsonl"], &model));
    let file = tmp.path().join("records.jsonl");
    std::fs::write(&file, &records).unwrap();
    for format in ["json", "jsonl", "csv", "table"] {
        let plain = ok(stance(&["rank", "seeds", "--format", format], &model));
        let from_file = ok(stance(&["rank", "--from-records", file.to_str().unwrap(), "--format", format], &model));
        assert_eq!(String::from_utf8(from_file).unwrap(), String::from_utf8(plain.clone()).unwrap(), "{format}");
    }

    // From stdin, without any model at all.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["rank", "--from-records", "-", "--format", "json", "--model"])
        .arg(tmp.path().join("no-model-here"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&records).unwrap();
    let from_stdin = ok(child.wait_with_output().unwrap());
    let plain = ok(stance(&["rank", "seeds", "--format", "json"], &model));
    assert_eq!(from_stdin, plain);

    // Records in any order (as shards and Spark partitions deliver them)
    // give the same ranking and evidence; sums may differ in the last bit.
    let mut lines: Vec<&[u8]> = records.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    lines.reverse();
    let reversed = tmp.path().join("reversed.jsonl");
    std::fs::write(&reversed, lines.join(&b'\n')).unwrap();
    let a: Vec<Value> = serde_json::from_slice(&plain).unwrap();
    let b: Vec<Value> =
        serde_json::from_slice(&ok(stance(&["rank", "--from-records", reversed.to_str().unwrap()], &model))).unwrap();
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(&b) {
        assert_eq!(a["article"], b["article"]);
        assert_eq!(a["evidence"], b["evidence"]);
        assert!((a["score"].as_f64().unwrap() - b["score"].as_f64().unwrap()).abs() <= 1e-6);
    }
}

#[test]
fn malformed_records_name_file_and_line() {
    let (tmp, model) = tiny_model();
    let records = ok(stance(&["classify", "seeds/003_03266776657738d3.txt", "--format", "jsonl"], &model));
    let first = records.split(|&b| b == b'\n').next().unwrap().to_vec();
    let file = tmp.path().join("recs.jsonl");
    for (bad, expected) in [
        (&b"{\"article\": \"x\"}"[..], "recs.jsonl:3: not a classify record: missing field"),
        (&b"[1, 2]"[..], "recs.jsonl:3: not a classify record"),
        (&b"{\"text\": \"an article, not a record\"}"[..], "recs.jsonl:3: not a classify record"),
    ] {
        let mut content = first.clone();
        content.extend_from_slice(b"\n\n");
        content.extend_from_slice(bad);
        content.push(b'\n');
        std::fs::write(&file, content).unwrap();
        let out = stance(&["rank", "--from-records", file.to_str().unwrap()], &model);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.lines().count() == 1 && stderr.contains(expected), "{stderr}");

        let out =
            stance(&["rank", "--from-records", file.to_str().unwrap(), "--keep-going", "--format", "json"], &model);
        assert_eq!(out.status.code(), Some(3));
        let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows.len(), 1);
    }
}

/// Records of the first chunk reach a reader while stdin is still open.
/// (A watchdog closes stdin if nothing comes, so a non-streaming binary
/// fails the test instead of hanging it.)
#[test]
fn stdin_streams_each_chunk_before_input_ends() {
    let (_tmp, model) = tiny_model();
    let mut child = command(&["classify", "-", "--input", "jsonl", "--format", "jsonl"], &model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // 60 documents of 10 paragraphs: more than one chunk of 512.
    stdin.write_all(corpus(60, 10).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let timed_out = wait.recv_timeout(std::time::Duration::from_secs(300)).is_err();
        stdin.write_all(corpus(1, 3).replace("doc-0", "last").as_bytes()).unwrap();
        drop(stdin);
        timed_out
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    done.send(()).ok();
    assert_eq!(first["article"], "doc-0");
    let rest: Vec<Value> = lines.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert!(!watchdog.join().unwrap(), "no record came out before stdin was closed");
    assert!(child.wait().unwrap().success());
    assert_eq!(rest.len(), 600 + 3 - 1);
    assert_eq!(rest.last().unwrap()["article"], "last");
}

#[test]
fn closed_stdout_exits_quietly() {
    let (_tmp, model) = tiny_model();
    let mut child = command(&["classify", "-", "--input", "jsonl", "--format", "jsonl"], &model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Far more output than a pipe buffers, so the binary must meet the closed pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(corpus(200, 10).as_bytes());
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("{\"article\":\"doc-0\""), "{line}");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// Records do not depend on what else is in the run (chunk, shard,
/// process) because a paragraph's vector is the same bit for bit in any
/// batch. With the real model, whose padded batches used to differ in the
/// last bit.
#[test]
fn real_model_vectors_are_identical_in_any_batch() {
    let Some(files) = common::real_model() else { return };
    let encoder = stance::encoder::Encoder::load(
        files.weights.parent().unwrap().to_str().unwrap(),
        &stance::encoder::ResolveOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let mut texts = seed_paragraphs();
    texts.sort();
    texts.dedup();
    let texts: Vec<&str> = texts.iter().take(48).map(String::as_str).collect();
    let together = encoder.embed(&texts, 32).unwrap();
    let lengths: BTreeSet<usize> = encoder.tokenize(&texts).unwrap().iter().map(Vec::len).collect();
    assert!(lengths.len() > 10, "the paragraphs should vary in length");
    for (text, batched) in texts.iter().zip(&together) {
        let alone = encoder.embed(&[text], 32).unwrap().remove(0);
        let same = alone.iter().zip(batched).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{text:?} differs alone and in a batch");
    }
}
