//! The `stance` command line: arguments (clap derive), one file per
//! subcommand, and the [`context::Context`] that turns the global options
//! into a [`stance::Stance`]. Errors become `anyhow` here, at the binary's
//! edge; everything else is the library's.

mod classify;
mod context;
mod eval;
mod model;
mod rank;
mod speakers;
mod train;

use anyhow::Result;
use clap::{Parser, Subcommand};
use context::Context;
use stance::classify::ClassifierChoice;
use stance::encoder::{self, Precision};
use stance::output::Format;
use stance::pipeline::DEFAULT_BATCH_SIZE;
use stance::results::shard::Shard;
use stance::text::input::InputFormat;
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
    #[arg(long, global = true, env = "STANCE_THREADS", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,

    /// Keep paragraph embeddings in this directory and reuse them: runs over
    /// the same texts skip the encoder (keyed by weights sha256 and text).
    #[arg(long, global = true, env = "STANCE_EMBED_CACHE")]
    cache: Option<PathBuf>,

    /// Arithmetic of the encoder's linear layers: fp32 (the reference the
    /// heads are trained on) or int8 (about twice as fast; see the README
    /// for its effect on the eval figures).
    #[arg(long, global = true, env = "STANCE_PRECISION", value_enum, default_value_t = Precision::Fp32)]
    precision: Precision,

    /// A LoRA adapter directory (from `stance train --fine-tune`) merged
    /// into the encoder at load; pair it with the head trained with it.
    #[arg(long, global = true, env = "STANCE_ADAPTER")]
    adapter: Option<PathBuf>,

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
        format: Option<Format>,
    },
    /// Rank articles from "engagement most likely" to "least likely".
    Rank {
        #[command(flatten)]
        input: InputArgs,
        /// The PATHs (files, or - for stdin) hold `classify` JSONL records:
        /// rank them without loading a model.
        #[arg(long)]
        from_records: bool,
        /// Output format [default: table on a terminal, json otherwise].
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// One row per speaker across the articles: paragraphs, stance counts,
    /// tone and a representative quotation.
    Speakers {
        #[command(flatten)]
        input: InputArgs,
        /// Output format [default: table on a terminal, json otherwise].
        #[arg(long, value_parser = speakers::format_parser())]
        format: Option<Format>,
        /// Include the reporter's own paragraphs as a `narrator` row.
        #[arg(long)]
        narrator: bool,
    },
    /// Score every method against hand labels (or the NYT ratings).
    #[command(args_conflicts_with_subcommands = true)]
    Eval {
        #[command(subcommand)]
        action: Option<eval::EvalAction>,
        #[command(flatten)]
        args: eval::EvalArgs,
    },
    /// Train a classifier head on frozen embeddings.
    Train(train::TrainArgs),
    /// Obtain or describe the encoder.
    Model {
        #[command(subcommand)]
        action: model::ModelAction,
    },
}

/// The articles a command reads and how it classifies them.
#[derive(Debug, clap::Args)]
struct InputArgs {
    /// Article files (.txt, .md), JSONL files, directories, or - for stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// How to read the inputs.
    #[arg(long, value_enum, default_value = "auto")]
    input: InputFormat,
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
    /// Classifiers: trained heads, or zero-shot prototypes.
    #[arg(long, value_enum, default_value = "auto")]
    classifier: ClassifierChoice,
    #[command(flatten)]
    heads: HeadArgs,
    /// Only the documents whose id hashes to shard K of N (0 <= K < N;
    /// hash: first 8 bytes of SHA-256 of the id, big-endian, mod N).
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
}

/// Heads named instead of the shipped ones.
#[derive(Debug, Clone, clap::Args)]
struct HeadArgs {
    /// A stance head directory (from `stance train`) instead of the shipped one.
    #[arg(long)]
    stance_head: Option<PathBuf>,
    /// A sentiment head directory instead of the shipped one.
    #[arg(long)]
    sentiment_head: Option<PathBuf>,
}

/// How a successful run ended.
pub enum Outcome {
    Done,
    SomeInputsFailed,
}

impl Outcome {
    /// The process exit code of this outcome.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::SomeInputsFailed => ExitCode::from(EXIT_SOME_INPUTS_FAILED),
        }
    }

    /// `SomeInputsFailed` (with a line saying how many) when any failed.
    fn after(failed: usize) -> Outcome {
        if failed > 0 {
            eprintln!("stance: {failed} input(s) failed");
            Outcome::SomeInputsFailed
        } else {
            Outcome::Done
        }
    }
}

/// Runs the parsed command.
pub fn run(args: Args) -> Result<Outcome> {
    let cx = Context {
        model: args.model,
        threads: args.threads,
        cache: args.cache,
        precision: args.precision,
        adapter: args.adapter,
        quiet: args.quiet,
    };
    match args.command {
        Command::Classify { input, format } => classify::run(&cx, &input, pick_format(format, Format::Jsonl)),
        Command::Rank { input, format, from_records: true } => {
            rank::from_records(&input, pick_format(format, Format::Json))
        }
        Command::Rank { input, format, from_records: false } => {
            rank::run(&cx, &input, pick_format(format, Format::Json))
        }
        Command::Speakers { input, format, narrator } => {
            speakers::run(&cx, &input, pick_format(format, Format::Json), narrator)
        }
        Command::Eval { action, args } => eval::run(&cx, action, &args),
        Command::Train(args) => train::run(&cx, &args),
        Command::Model { action } => model::run(&cx, action),
    }
}

/// The chosen format, else a table on a terminal and `piped` otherwise.
fn pick_format(chosen: Option<Format>, piped: Format) -> Format {
    match chosen {
        Some(format) => format,
        None if std::io::stdout().is_terminal() => Format::Table,
        None => piped,
    }
}
