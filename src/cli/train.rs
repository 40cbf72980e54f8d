//! `stance train`: a classifier head on frozen embeddings, or (stance,
//! `--fine-tune`) LoRA adapters on the encoder trained jointly with the head.

use super::{Context, Outcome};
use anyhow::Result;
use stance::classify::heads::finetune::{train_fine_tuned, FineTuneConfig};
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
    /// Stance only: train LoRA adapters on the top encoder layers jointly
    /// with the head; the adapter goes to --adapter-out, the head to --out.
    #[arg(long)]
    fine_tune: bool,
    /// Where the adapter is written (adapter.safetensors + adapter.json).
    #[arg(long, default_value = "models/adapters/stance", requires = "fine_tune")]
    adapter_out: PathBuf,
    /// Development split: picks the epoch and is measured, never trained on.
    #[arg(long, num_args = 1.., requires = "fine_tune")]
    dev: Vec<PathBuf>,
    #[arg(long, default_value_t = 8, requires = "fine_tune")]
    rank: usize,
    #[arg(long, default_value_t = 16.0, requires = "fine_tune")]
    alpha: f64,
    /// How many of the top encoder layers to adapt.
    #[arg(long, default_value_t = 2, requires = "fine_tune")]
    layers: usize,
    #[arg(long, default_value_t = 3, requires = "fine_tune")]
    epochs: usize,
    #[arg(long, default_value_t = 16, requires = "fine_tune")]
    batch: usize,
    #[arg(long, default_value_t = 1e-3, requires = "fine_tune")]
    lr: f64,
    #[arg(long, default_value_t = 1e-2, requires = "fine_tune")]
    head_lr: f64,
    /// Training truncation in tokens (inference windows whole paragraphs).
    #[arg(long, default_value_t = 128, requires = "fine_tune")]
    max_tokens: usize,
}

/// Trains the head and writes it to `--out`.
pub fn run(cx: &Context, args: &TrainArgs) -> Result<Outcome> {
    let encoder = cx.encoder()?;
    let sha = encoder.weights_sha256()?;
    let name = args.name.clone().unwrap_or_else(|| stance::text::input::file_stem(&args.out));
    let mut log = cx.log();
    let jsonl = args.data.iter().all(|d| d.extension().is_some_and(|e| e == "jsonl"));
    anyhow::ensure!(!args.fine_tune || args.task == Task::Stance, "--fine-tune trains the stance task only");
    let (metadata, weights) = match args.task {
        Task::Stance if args.fine_tune => {
            let config = FineTuneConfig {
                rank: args.rank,
                alpha: args.alpha,
                layers: args.layers,
                epochs: args.epochs,
                batch: args.batch,
                learning_rate: args.lr,
                head_learning_rate: args.head_lr,
                max_tokens: args.max_tokens,
                ..Default::default()
            };
            train_fine_tuned(&name, &encoder, &args.data, &args.dev, &args.adapter_out, &config, &mut log)?
        }
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
