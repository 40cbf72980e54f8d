//! The encoder alone, timed by hand: `cargo bench --bench encoder [-- OPTIONS]`.
//!
//! No benchmark framework: `bench/run` wants one JSON object per setting on
//! stdout that it can put beside the Python peers' figures, and a warm-up
//! batch followed by one timed pass over a whole corpus is what the other
//! systems get too.
//!
//! Options (all optional):
//!
//! ```text
//! --corpus FILE.jsonl    one {"text": ...} per line [default: the seed paragraphs]
//! --model SPEC           directory or hub id [default: the stance default]
//! --threads N            worker threads (rayon and candle's matmul) [default: all cores]
//! --batch-sizes 1,8,32   windows per forward pass; one timed pass per size [default: 32]
//! --dump FILE            also write the embeddings (little-endian f32, row-major)
//! --precision fp32|int8  arithmetic of the linear layers [default: fp32]
//! ```
//!
//! Each output line: `{"system", "threads", "batch_size", "paragraphs",
//! "windows", "tokens", "tokens_sq", "padded_tokens", "seconds",
//! "cpu_seconds", "load_seconds"}`. `tokens` counts the ids fed to the model without
//! padding (windows of long paragraphs included, overlap and all), and
//! `tokens_sq` the sum of squared window lengths, from which the caller
//! works out attention's share of the FLOPs.

use anyhow::{bail, Context, Result};
use stance::encoder::{windows, Encoder, Precision, ResolveOptions, DEFAULT_MODEL};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

struct Options {
    corpus: Option<PathBuf>,
    model: String,
    threads: Option<usize>,
    batch_sizes: Vec<usize>,
    dump: Option<PathBuf>,
    precision: Precision,
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        corpus: None,
        model: std::env::var("STANCE_MODEL").unwrap_or_else(|_| DEFAULT_MODEL.to_string()),
        threads: None,
        batch_sizes: vec![32],
        dump: None,
        precision: Precision::Fp32,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            // `cargo bench` passes --bench to every bench target.
            "--bench" => {}
            "--corpus" => options.corpus = Some(PathBuf::from(value("--corpus")?)),
            "--model" => options.model = value("--model")?,
            "--threads" => {
                let n: usize = value("--threads")?.parse().context("--threads takes a number")?;
                if n == 0 {
                    bail!("--threads must be at least 1");
                }
                options.threads = Some(n);
            }
            "--batch-sizes" => {
                options.batch_sizes = value("--batch-sizes")?
                    .split(',')
                    .map(|s| s.trim().parse::<usize>().ok().filter(|&n| n > 0))
                    .collect::<Option<Vec<_>>>()
                    .context("--batch-sizes takes positive numbers separated by commas")?;
            }
            "--dump" => options.dump = Some(PathBuf::from(value("--dump")?)),
            "--precision" => {
                options.precision = value("--precision")?.parse().context("--precision")?;
            }
            other => bail!("unknown argument {other:?} (see benches/encoder.rs)"),
        }
    }
    Ok(options)
}

/// The texts of a JSONL corpus, or the seed paragraphs (non-empty lines).
fn read_corpus(path: Option<&PathBuf>) -> Result<Vec<String>> {
    let Some(path) = path else {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("{}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        files.sort();
        let mut texts = Vec::new();
        for file in files.iter().filter(|p| p.extension().is_some_and(|e| e == "txt")) {
            let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
            texts.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from));
        }
        return Ok(texts);
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut texts = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{}:{}: invalid JSON", path.display(), n + 1))?;
        let Some(t) = value.get("text").and_then(|t| t.as_str()) else {
            bail!("{}:{}: no \"text\" string", path.display(), n + 1);
        };
        texts.push(t.to_string());
    }
    Ok(texts)
}

/// CPU time of this process so far (all threads, user + system), from
/// /proc/self/stat in clock ticks of 1/100 s (Linux's USER_HZ on every
/// mainstream architecture). On a shared machine, tokens per CPU-second
/// moves far less with other people's load than tokens per wall-second.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Token ids the model would pad to: windows sorted by length, as the
/// encoder batches them, each batch padded to its longest.
fn padded_tokens(lengths: &[usize], batch_size: usize) -> usize {
    let mut sorted = lengths.to_vec();
    sorted.sort_unstable();
    sorted.chunks(batch_size).map(|c| c.len() * c.last().copied().unwrap_or(0)).sum()
}

fn main() -> Result<()> {
    let options = parse_args()?;
    // Candle's matmul threads read RAYON_NUM_THREADS; set it before the
    // first tensor operation so both pools agree, as `stance --threads` does.
    if let Some(n) = options.threads {
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let threads = rayon::current_num_threads();
    let texts = read_corpus(options.corpus.as_ref())?;
    if texts.is_empty() {
        bail!("the corpus has no texts");
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();

    let started = Instant::now();
    let encoder = Encoder::load(&options.model, &ResolveOptions::default(), &mut |l| eprintln!("{l}"))?
        .with_precision(options.precision)?;
    let load_seconds = started.elapsed().as_secs_f64();

    let tokenized = encoder.tokenize(&refs)?;
    let units = windows::split(&tokenized, encoder.window())?;
    let lengths: Vec<usize> = units.iter().map(|u| u.ids.len()).collect();
    let tokens: usize = lengths.iter().sum();
    let tokens_sq: usize = lengths.iter().map(|n| n * n).sum();

    let mut stdout = std::io::stdout().lock();
    for (i, &batch_size) in options.batch_sizes.iter().enumerate() {
        // Warm-up: one batch, so first-touch costs (page faults on the
        // mapped weights, allocator growth, thread start) are not timed.
        let warm = refs.len().min(batch_size.max(8));
        encoder.embed(&refs[..warm], batch_size)?;

        let cpu = cpu_seconds();
        let t = Instant::now();
        let vectors = encoder.embed(&refs, batch_size)?;
        let seconds = t.elapsed().as_secs_f64();
        let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
        if i == 0 {
            if let Some(path) = &options.dump {
                let mut bytes = Vec::with_capacity(vectors.len() * encoder.dims() * 4);
                for v in &vectors {
                    for x in v {
                        bytes.extend_from_slice(&x.to_le_bytes());
                    }
                }
                std::fs::write(path, bytes).with_context(|| format!("{}", path.display()))?;
            }
        }
        let line = serde_json::json!({
            "system": match options.precision {
                Precision::Fp32 => "stance-encoder",
                Precision::Int8 => "stance-int8",
            },
            "threads": threads,
            "batch_size": batch_size,
            "paragraphs": texts.len(),
            "windows": units.len(),
            "tokens": tokens,
            "tokens_sq": tokens_sq,
            "padded_tokens": padded_tokens(&lengths, batch_size),
            "seconds": seconds,
            "cpu_seconds": cpu,
            "load_seconds": load_seconds,
        });
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
    }
    Ok(())
}
