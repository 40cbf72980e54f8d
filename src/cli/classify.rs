//! `stance classify`, and the loop over the inputs that `rank` and
//! `speakers` share with it.

use super::{Context, InputArgs, Outcome};
use anyhow::Result;
use stance::output::{Format, RecordWriter};
use stance::results::record::ParagraphRecord;
use stance::text::input::{Document, Documents, InputOptions};

/// Prints one record per paragraph.
pub fn run(cx: &Context, input: &InputArgs, format: Format) -> Result<Outcome> {
    let stdout = std::io::stdout().lock();
    let mut writer = RecordWriter::new(std::io::BufWriter::new(stdout), format);
    let outcome = for_each_chunk(cx, input, &mut |records| writer.write(records))?;
    writer.finish()?;
    Ok(outcome)
}

/// The documents of the inputs (of one shard, with `--shard`). A document
/// that cannot be read has no id, so every shard reports it.
fn documents(input: &InputArgs) -> impl Iterator<Item = stance::Result<Document>> {
    let shard = input.shard;
    Documents::new(&input.paths, InputOptions { format: input.input, lossy: input.lossy }).filter(move |d| {
        match (shard, d) {
            (Some(shard), Ok(doc)) => shard.contains(&doc.id),
            _ => true,
        }
    })
}

/// Classifies the inputs, handing each chunk of records on; with
/// `--keep-going` an unreadable input is reported and skipped.
pub fn for_each_chunk(
    cx: &Context,
    input: &InputArgs,
    on_records: &mut dyn FnMut(&[ParagraphRecord]) -> stance::Result<()>,
) -> Result<Outcome> {
    let stance = cx.stance(input)?;
    let progress = progress_bar(cx.quiet);
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
    let mut on_chunk = |records: &[ParagraphRecord]| {
        progress.inc(records.len() as u64);
        on_records(records)
    };
    stance.classify_stream(documents(input), &mut on_error, &mut on_chunk)?;
    progress.finish_and_clear();
    Ok(Outcome::after(failed))
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
