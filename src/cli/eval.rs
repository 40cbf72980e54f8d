//! `stance eval`: every method against hand labels or the NYT ratings,
//! label agreement, and leave-one-article-out cross-validation.

use super::{Context, HeadArgs, Outcome};
use anyhow::{Context as _, Result};
use clap::{Subcommand, ValueEnum};
use stance::classify::zero_shot::PrototypeFile;
use stance::encoder::Encoder;
use stance::eval::EvalReport;
use stance::pipeline::{Classifiers, DEFAULT_BATCH_SIZE};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum EvalAction {
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
    /// Speaker attribution against a speaker suite (no model needed):
    /// accuracy overall, per pattern family and per source style.
    Speakers {
        /// Suite files (`eval/labels/speakers-*.jsonl`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "markdown")]
        format: ReportFormat,
        /// Also list every paragraph whose speaker is wrong.
        #[arg(long)]
        errors: bool,
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
pub struct EvalArgs {
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
pub enum ReportFormat {
    Markdown,
    Json,
}

/// Runs `eval`, or one of its subcommands.
pub fn run(cx: &Context, action: Option<EvalAction>, args: &EvalArgs) -> Result<Outcome> {
    match action {
        Some(EvalAction::Agreement { first, second, format }) => agreement(&first, &second, format),
        Some(EvalAction::Speakers { files, format, errors }) => speakers(&files, format, errors),
        Some(EvalAction::Loao { train, labels, articles, format }) => loao(cx, &train, &labels, &articles, format),
        None => evaluate(cx, args),
    }
}

/// The classifier sets to score: zero-shot, the shipped heads when they fit
/// the encoder, and any heads named on the command line.
fn classifier_sets(cx: &Context, encoder: &Encoder, args: &EvalArgs) -> Result<Vec<Classifiers>> {
    let prototypes = PrototypeFile::load_or_builtin(args.prototypes.as_deref())?;
    let mut sets = vec![Classifiers::zero_shot(encoder, &prototypes)?];
    let sha = encoder.weights_sha256()?;
    match Classifiers::heads(encoder, &sha) {
        Ok(heads) => sets.push(heads),
        Err(e) if !cx.quiet => eprintln!("stance: evaluating without trained heads: {e}"),
        Err(_) => {}
    }
    let HeadArgs { stance_head, sentiment_head } = &args.heads;
    if stance_head.is_some() || sentiment_head.is_some() {
        sets.push(Classifiers::heads_from(encoder, &sha, stance_head.as_deref(), sentiment_head.as_deref())?);
    }
    Ok(sets)
}

fn evaluate(cx: &Context, args: &EvalArgs) -> Result<Outcome> {
    let encoder = cx.encoder()?;
    let sets = classifier_sets(cx, &encoder, args)?;
    let models = stance::eval::Models {
        encoder: &encoder,
        batch_size: args.batch_size as usize,
        sets: sets.iter().collect(),
        score_quotes: true,
    };
    let report = match args.dataset {
        Some(Dataset::Nyt) => {
            let path = args.nyt.clone().unwrap_or_else(stance::data::nyt::default_path);
            stance::eval::nyt::evaluate(&path, Some(&models))?
        }
        None => stance::eval::evaluate_label_files(&models, &args.labels, args.outlook.as_deref(), &args.articles)?,
    };
    print_report(&report, args.format)?;
    if let Some(path) = &args.report {
        std::fs::write(path, stance::eval::report::html(&report))
            .with_context(|| format!("{}: cannot write report", path.display()))?;
        if !cx.quiet {
            eprintln!("stance: wrote {}", path.display());
        }
    }
    Ok(Outcome::Done)
}

fn print_report(report: &EvalReport, format: ReportFormat) -> Result<()> {
    match format {
        ReportFormat::Markdown => print!("{}", stance::eval::report::markdown(report)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(report)?),
    }
    Ok(())
}

fn speakers(files: &[PathBuf], format: ReportFormat, errors: bool) -> Result<Outcome> {
    use stance::eval::speakers;
    let cases = speakers::read_suite(files)?;
    let reports = [speakers::evaluate("rules", &cases, stance::speaker::attribute_article)];
    match format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
        ReportFormat::Markdown => {
            print!("{}", speakers::markdown(&reports, files));
            if errors {
                println!(
                    "\n## Wrong speakers ({})\n\n| doc | para | gold | rules |\n|---|---:|---|---|",
                    reports[0].method
                );
                for (doc, paragraph, gold, got) in &reports[0].errors {
                    println!("| {doc} | {paragraph} | {gold} | {got} |");
                }
            }
        }
    }
    Ok(Outcome::Done)
}

fn agreement(first: &Path, second: &Path, format: ReportFormat) -> Result<Outcome> {
    let a = stance::data::labels::read_labels(first)?;
    let b = stance::data::labels::read_labels(second)?;
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

fn loao(cx: &Context, train: &[PathBuf], labels: &[PathBuf], articles: &Path, format: ReportFormat) -> Result<Outcome> {
    let encoder = cx.encoder()?;
    let (report, folds) = stance::eval::loao_stance(
        &encoder,
        DEFAULT_BATCH_SIZE,
        train,
        labels,
        articles,
        &Default::default(),
        &mut cx.log(),
    )?;
    match format {
        ReportFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({"report": report, "folds": folds}))?)
        }
        ReportFormat::Markdown => {
            print!("{}", stance::eval::report::markdown(&report));
            println!("## Per held-out article (stance macro-F1)\n\n| article | corpus only | corpus + other seed articles |\n|---|---:|---:|");
            for f in folds {
                println!("| {} | {:.3} | {:.3} |", f.article, f.corpus_only_macro_f1, f.with_seeds_macro_f1);
            }
        }
    }
    Ok(Outcome::Done)
}
