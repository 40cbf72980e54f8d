//! `stance train`: a classifier head on frozen embeddings.

use super::{Context, Outcome};
use anyhow::Result;
use stance::classify::heads::train::{train_sentiment, train_softmax_head};
use stance::classify::Task;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// What the head classifies.
    #[arg(long, value_enum)]
    task: Task,
    /// Training data: label JSONL files with "text" and the task's label
    /// (a softmax head), or, for sentiment, the NYT editorial-snippets
    /// TSV (a valence head on its train split only).
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Output directory (head.safetensors + head.json).
    #[arg(long)]
    out: PathBuf,
    /// The head's name [default: the output directory's name].
    #[arg(long)]
    name: Option<String>,
}

/// Trains the head and writes it to `--out`.
pub fn run(cx: &Context, args: &TrainArgs) -> Result<Outcome> {
    let encoder = cx.encoder()?;
    let sha = encoder.weights_sha256()?;
    let name = args.name.clone().unwrap_or_else(|| stance::text::input::file_stem(&args.out));
    let mut log = cx.log();
    let jsonl = args.data.iter().all(|d| d.extension().is_some_and(|e| e == "jsonl"));
    let (metadata, weights) = match args.task {
        Task::Sentiment if !jsonl => {
            anyhow::ensure!(
                args.data.len() == 1,
                "sentiment trains on one NYT ratings file (or on JSONL labels), got {}",
                args.data.len()
            );
            train_sentiment(&name, &encoder, &sha, &args.data[0], &Default::default(), &mut log)?
        }
        task => train_softmax_head(task, &name, &encoder, &sha, &args.data, &Default::default(), &mut log)?,
    };
    stance::classify::heads::save(&args.out, &metadata, &weights)?;
    if !cx.quiet {
        eprintln!("stance: wrote {}", args.out.display());
    }
    Ok(Outcome::Done)
}
