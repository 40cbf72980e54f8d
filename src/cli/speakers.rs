//! `stance speakers`: one row per speaker across the articles.

use super::{classify, Context, InputArgs, Outcome};
use anyhow::Result;
use clap::builder::TypedValueParser as _;
use stance::output::{self, Format};
use stance::speaker::tally::SpeakerTally;

/// `--format` for speakers: a table or JSON (rows do not flatten to CSV).
pub fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    clap::builder::PossibleValuesParser::new(["table", "json"]).map(|s| {
        if s == "table" {
            Format::Table
        } else {
            Format::Json
        }
    })
}

/// Classifies the inputs and prints the per-speaker rows.
pub fn run(cx: &Context, input: &InputArgs, format: Format, narrator: bool) -> Result<Outcome> {
    let mut tally = SpeakerTally::new(narrator);
    let outcome = classify::for_each_chunk(cx, input, &mut |records| {
        records.iter().for_each(|r| tally.add(r));
        Ok(())
    })?;
    output::write_speakers(std::io::stdout().lock(), &tally.finish(), format)?;
    Ok(outcome)
}
