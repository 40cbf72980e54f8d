//! Near-duplicate paragraphs in labelled JSONL files (records with `id` and
//! `text`), by cosine similarity of their embeddings: how the stance corpus
//! was deduplicated, and how it is checked against the test sets.
//!
//!     cargo run --release --example near_duplicates -- 0.92 eval/train/stance-*.jsonl
//!     cargo run --release --example near_duplicates -- 0.92 eval/train/stance-*.jsonl -- seeds/*.txt
//!
//! Without `--`, prints every pair within the files at or above the
//! threshold. With `--`, prints each file record's nearest paragraph among
//! the articles after it (one paragraph per non-empty line) when at or above
//! the threshold: leakage from a test set into the corpus. One JSON line per
//! pair: `{"cosine", "a", "b"}`.

use stance::text::article::Article;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let threshold: f32 = args.next().ok_or("usage: near_duplicates THRESHOLD FILE... [-- ARTICLE...]")?.parse()?;
    let rest: Vec<String> = args.collect();
    let split = rest.iter().position(|a| a == "--").unwrap_or(rest.len());
    let (mut ids, mut texts) = (Vec::new(), Vec::new());
    for path in &rest[..split] {
        for (n, line) in std::fs::read_to_string(path)?.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let r: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{path}:{}: {e}", n + 1))?;
            ids.push(r["id"].as_str().map_or_else(|| format!("{path}:{}", n + 1), str::to_owned));
            texts.push(r["text"].as_str().ok_or_else(|| format!("{path}:{}: no text", n + 1))?.to_owned());
        }
    }
    let (mut other_ids, mut other_texts) = (Vec::new(), Vec::new());
    for path in rest.iter().skip(split + 1) {
        let path = PathBuf::from(path);
        let article = Article::from_text(stance::text::input::file_stem(&path), &std::fs::read_to_string(&path)?);
        for p in article.paragraphs {
            other_ids.push(format!("{}#{}", article.id, p.index));
            other_texts.push(p.text);
        }
    }
    let encoder = stance::Stance::builder().build_encoder()?;
    let embed = |t: &[String]| encoder.embed(&t.iter().map(String::as_str).collect::<Vec<_>>(), 32);
    let vectors = embed(&texts)?;
    let cosine = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let print = |c: f32, a: &str, b: &str| println!("{}", serde_json::json!({"cosine": c, "a": a, "b": b}));
    if split == rest.len() {
        for i in 0..vectors.len() {
            for j in i + 1..vectors.len() {
                let c = cosine(&vectors[i], &vectors[j]);
                if c >= threshold {
                    print(c, &ids[i], &ids[j]);
                }
            }
        }
    } else {
        let others = embed(&other_texts)?;
        for (i, v) in vectors.iter().enumerate() {
            let best = others.iter().enumerate().map(|(j, o)| (cosine(v, o), j)).fold((f32::MIN, 0), |a, b| {
                if b.0 > a.0 {
                    b
                } else {
                    a
                }
            });
            if best.0 >= threshold {
                print(best.0, &ids[i], &other_ids[best.1]);
            }
        }
    }
    Ok(())
}
