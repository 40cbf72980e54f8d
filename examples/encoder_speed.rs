//! Encoder throughput on the seed paragraphs, repeated: real tokens per
//! second (padding excluded). A quick A/B tool for kernel work; the
//! side-by-side benchmark against the Python stacks lives in `bench/`.
//!
//! ```sh
//! cargo run --release --example encoder_speed -- [PARAGRAPHS] [BATCH_SIZE] [ROUNDS]
//! ```
//! Threads follow RAYON_NUM_THREADS, as in the binary; STANCE_PRECISION=int8
//! times the int8 encoder.

use stance::encoder::{Encoder, Precision, ResolveOptions, DEFAULT_MODEL};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2000);
    let batch: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(32);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let spec = std::env::var("STANCE_MODEL").unwrap_or_else(|_| DEFAULT_MODEL.to_owned());
    let precision: Precision = match std::env::var("STANCE_PRECISION") {
        Ok(name) => name.parse().map_err(|e: stance::Error| format!("STANCE_PRECISION: {e}"))?,
        Err(_) => Precision::Fp32,
    };
    let encoder =
        Encoder::load(&spec, &ResolveOptions::default(), &mut |l| eprintln!("{l}"))?.with_precision(precision)?;

    let mut seeds = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("seeds")?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        seeds.extend(stance::text::article::segment(&text));
    }
    let texts: Vec<&str> = seeds.iter().cycle().take(count).map(String::as_str).collect();
    let tokens: usize = encoder.tokenize(&texts)?.iter().map(Vec::len).sum();

    // Warm-up batch.
    encoder.embed(&texts[..texts.len().min(64)], batch)?;
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let (start, cpu_start) = (Instant::now(), cpu_seconds());
        let vectors = encoder.embed(&texts, batch)?;
        let (secs, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu_start);
        assert_eq!(vectors.len(), texts.len());
        best = best.min(secs);
        println!(
            "{} paragraphs, {tokens} tokens: {secs:.3} s wall, {cpu:.3} s cpu, {:.0} tokens/s, {:.0} tokens per cpu-second",
            texts.len(),
            tokens as f64 / secs,
            tokens as f64 / cpu
        );
    }
    println!("best: {:.0} tokens/s", tokens as f64 / best);
    Ok(())
}

/// User + system CPU time of this process so far (Linux; 0 elsewhere): on a
/// shared machine it moves less with the load than wall time does.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|t| t.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|t| t.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}
