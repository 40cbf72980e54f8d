//! `stance rank`: articles by outlook, from text or from `classify` records.

use super::{classify, Context, InputArgs, Outcome};
use anyhow::Result;
use stance::output::{self, Format};
use stance::results::rank::Ranker;
use stance::results::record::RecordReader;

/// Classifies the inputs and ranks their articles.
pub fn run(cx: &Context, input: &InputArgs, format: Format) -> Result<Outcome> {
    let mut ranker = Ranker::default();
    let outcome = classify::for_each_chunk(cx, input, &mut |records| {
        records.iter().for_each(|r| ranker.add(r));
        Ok(())
    })?;
    output::write_ranking(std::io::stdout().lock(), &ranker.finish(), format)?;
    Ok(outcome)
}

/// `rank --from-records`: the same ranking, aggregated from `classify`
/// records produced anywhere (other processes, shards, a Spark job).
pub fn from_records(input: &InputArgs, format: Format) -> Result<Outcome> {
    let mut ranker = Ranker::default();
    let mut failed = 0usize;
    let mut skip = |e: stance::Error| -> Result<()> {
        if !input.keep_going {
            return Err(e.into());
        }
        eprintln!("stance: skipped: {e}");
        failed += 1;
        Ok(())
    };
    for path in &input.paths {
        let reader = match RecordReader::open(path) {
            Ok(reader) => reader,
            Err(e) => {
                skip(e)?;
                continue;
            }
        };
        for record in reader {
            match record {
                Ok(r) if input.shard.is_none_or(|s| s.contains(&r.article)) => ranker.add(&r),
                Ok(_) => {}
                Err(e) => skip(e)?,
            }
        }
    }
    output::write_ranking(std::io::stdout().lock(), &ranker.finish(), format)?;
    Ok(Outcome::after(failed))
}
