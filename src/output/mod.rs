//! Output formats: JSON Lines, JSON, CSV and a human table.
//!
//! Records are written as they are produced (JSON arrays included), so a
//! stream of any length is never held in memory.

use crate::error::{Error, Result};
use crate::results::rank::ArticleRank;
use crate::results::record::ParagraphRecord;
use crate::text::truncate;
use std::io::Write;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Aligned columns for people (the default on a terminal).
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line (the default in a pipe).
    Jsonl,
    /// Comma-separated values with a header row; nested scores flattened.
    Csv,
}

fn out_err(e: std::io::Error) -> Error {
    Error::Output(e)
}

/// Writes paragraph records in a format, batch by batch.
pub struct RecordWriter<W: Write> {
    out: W,
    format: Format,
    written: usize,
}

/// Column names of the CSV form of a record.
pub(crate) const RECORD_CSV_HEADER: [&str; 16] = [
    "article",
    "paragraph",
    "text",
    "boilerplate",
    "stance",
    "likely",
    "unlikely",
    "stance_neutral",
    "sentiment",
    "positive",
    "negative",
    "sentiment_neutral",
    "sentiment_score",
    "speaker",
    "speaker_role",
    "quotes",
];

/// Separator of a record's quotations in one CSV cell.
pub(crate) const CSV_QUOTE_SEPARATOR: &str = " | ";

impl<W: Write> RecordWriter<W> {
    /// A writer of `format` over `out`.
    pub fn new(out: W, format: Format) -> Self {
        RecordWriter { out, format, written: 0 }
    }

    /// Writes `records` and flushes, so a reader downstream sees each batch
    /// as soon as it is done.
    pub fn write(&mut self, records: &[ParagraphRecord]) -> Result<()> {
        for r in records {
            self.write_one(r)?;
            self.written += 1;
        }
        self.out.flush().map_err(out_err)
    }

    fn write_one(&mut self, r: &ParagraphRecord) -> Result<()> {
        let first = self.written == 0;
        let line = match self.format {
            Format::Jsonl => format!("{}\n", to_json(r)),
            Format::Json => format!("{}  {}", if first { "[\n" } else { ",\n" }, to_json(r)),
            Format::Csv => {
                let mut s = String::new();
                if first {
                    s.push_str(&csv_row(RECORD_CSV_HEADER.iter().map(|h| h.to_string())));
                }
                s.push_str(&csv_row([
                    r.article.clone(),
                    r.paragraph.to_string(),
                    r.text.clone(),
                    r.boilerplate.to_string(),
                    r.stance.to_string(),
                    r.stance_scores.likely.to_string(),
                    r.stance_scores.unlikely.to_string(),
                    r.stance_scores.neutral.to_string(),
                    r.sentiment.to_string(),
                    r.sentiment_scores.positive.to_string(),
                    r.sentiment_scores.negative.to_string(),
                    r.sentiment_scores.neutral.to_string(),
                    r.sentiment_score.to_string(),
                    r.speaker.clone(),
                    r.speaker_role.clone().unwrap_or_default(),
                    r.quotes.join(CSV_QUOTE_SEPARATOR),
                ]));
                s
            }
            Format::Table => {
                let mut s = String::new();
                if first {
                    s.push_str(&format!(
                        "{:<22} {:>4}  {:<8} {:>5}  {:<8} {:>6}  {:<20} {}\n",
                        "ARTICLE", "PARA", "STANCE", "P", "TONE", "VALUE", "SPEAKER", "TEXT"
                    ));
                }
                let p = r.stance_scores.get(r.stance);
                let stance = if r.boilerplate { "-" } else { r.stance.name() };
                s.push_str(&format!(
                    "{:<22} {:>4}  {:<8} {:>5.2}  {:<8} {:>+6.2}  {:<20} {}\n",
                    truncate(&r.article, 22),
                    r.paragraph,
                    stance,
                    p,
                    r.sentiment,
                    r.sentiment_score,
                    truncate(&r.speaker, 20),
                    truncate(&r.text, 70)
                ));
                s
            }
        };
        self.out.write_all(line.as_bytes()).map_err(out_err)
    }

    /// Closes the output (the JSON array's bracket).
    pub fn finish(mut self) -> Result<W> {
        if self.format == Format::Json {
            let close = if self.written == 0 { "[]\n" } else { "\n]\n" };
            self.out.write_all(close.as_bytes()).map_err(out_err)?;
        }
        self.out.flush().map_err(out_err)?;
        Ok(self.out)
    }
}

/// Writes an article ranking.
pub fn write_ranking<W: Write>(mut out: W, ranking: &[ArticleRank], format: Format) -> Result<()> {
    let text = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(ranking).expect("rankings serialise")),
        Format::Jsonl => ranking.iter().map(|r| format!("{}\n", to_json(r))).collect(),
        Format::Csv => {
            let mut s = csv_row(
                [
                    "rank",
                    "article",
                    "score",
                    "paragraphs",
                    "likely",
                    "unlikely",
                    "neutral",
                    "likely_evidence",
                    "unlikely_evidence",
                ]
                .map(String::from),
            );
            for r in ranking {
                let evidence = |e: &Option<crate::results::rank::EvidenceParagraph>| {
                    e.as_ref().map(|e| e.paragraph.to_string()).unwrap_or_default()
                };
                s.push_str(&csv_row([
                    r.rank.to_string(),
                    r.article.clone(),
                    r.score.to_string(),
                    r.paragraphs.to_string(),
                    r.likely.to_string(),
                    r.unlikely.to_string(),
                    r.neutral.to_string(),
                    evidence(&r.evidence.likely),
                    evidence(&r.evidence.unlikely),
                ]));
            }
            s
        }
        Format::Table => ranking_table(ranking),
    };
    out.write_all(text.as_bytes()).map_err(out_err)?;
    out.flush().map_err(out_err)
}

/// Writes per-speaker rows (`stance speakers`): a table, or JSON (an
/// array; one object per line for `Jsonl`).
pub fn write_speakers<W: Write>(mut out: W, rows: &[crate::speaker::tally::SpeakerRow], format: Format) -> Result<()> {
    let text = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(rows).expect("rows serialise")),
        Format::Jsonl => rows.iter().map(|r| format!("{}\n", to_json(r))).collect(),
        Format::Csv => {
            let mut s = csv_row(
                [
                    "speaker",
                    "role",
                    "articles",
                    "paragraphs",
                    "likely",
                    "unlikely",
                    "neutral",
                    "mean_sentiment",
                    "tone",
                    "quote",
                ]
                .map(String::from),
            );
            for r in rows {
                s.push_str(&csv_row([
                    r.speaker.clone(),
                    r.role.clone().unwrap_or_default(),
                    r.articles.to_string(),
                    r.paragraphs.to_string(),
                    r.likely.to_string(),
                    r.unlikely.to_string(),
                    r.neutral.to_string(),
                    r.mean_sentiment.to_string(),
                    r.tone.clone(),
                    r.quote.clone(),
                ]));
            }
            s
        }
        Format::Table => {
            let mut s = format!(
                "{:<40} {:>5} {:>4} {:>6} {:>8} {:>7}  {:<8} {:>6}  {}\n",
                "SPEAKER", "PARAS", "ARTS", "LIKELY", "UNLIKELY", "NEUTRAL", "TONE", "MEAN", "QUOTE"
            );
            for r in rows {
                s.push_str(&format!(
                    "{:<40} {:>5} {:>4} {:>6} {:>8} {:>7}  {:<8} {:>+6.2}  {}\n",
                    truncate(&r.speaker, 40),
                    r.paragraphs,
                    r.articles,
                    r.likely,
                    r.unlikely,
                    r.neutral,
                    r.tone,
                    r.mean_sentiment,
                    truncate(&r.quote, 70)
                ));
            }
            s
        }
    };
    out.write_all(text.as_bytes()).map_err(out_err)?;
    out.flush().map_err(out_err)
}

fn ranking_table(ranking: &[ArticleRank]) -> String {
    let mut s = format!(
        "{:>4}  {:>7}  {:<26} {:>5} {:>7} {:>9} {:>8}\n",
        "RANK", "SCORE", "ARTICLE", "PARAS", "LIKELY", "UNLIKELY", "NEUTRAL"
    );
    for r in ranking {
        s.push_str(&format!(
            "{:>4}  {:>+7.3}  {:<26} {:>5} {:>7} {:>9} {:>8}\n",
            r.rank,
            r.score,
            truncate(&r.article, 26),
            r.paragraphs,
            r.likely,
            r.unlikely,
            r.neutral
        ));
        for (side, e) in [("likely", &r.evidence.likely), ("unlikely", &r.evidence.unlikely)] {
            match e {
                Some(e) => s.push_str(&format!(
                    "{:>15} {:<8} ¶{:<3} {:.2}  {}\n",
                    "",
                    side,
                    e.paragraph,
                    e.probability,
                    truncate(&e.text, 90)
                )),
                None => s.push_str(&format!("{:>15} {:<8} (no paragraph)\n", "", side)),
            }
        }
    }
    s
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("records serialise")
}

fn csv_row(fields: impl IntoIterator<Item = String>) -> String {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    writer.write_record(fields.into_iter().collect::<Vec<_>>()).expect("writing to memory cannot fail");
    String::from_utf8(writer.into_inner().expect("in-memory writer")).expect("CSV of UTF-8 is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::record::{SentimentScores, StanceScores};

    fn sample(paragraph: usize) -> ParagraphRecord {
        ParagraphRecord {
            article: "a".into(),
            paragraph,
            text: "He said, \"talks\", then left".into(),
            boilerplate: false,
            stance: crate::StanceLabel::Likely,
            stance_scores: StanceScores { likely: 0.5, unlikely: 0.25, neutral: 0.25 },
            sentiment: crate::SentimentLabel::Neutral,
            sentiment_scores: SentimentScores { positive: 0.1, negative: 0.2, neutral: 0.7 },
            sentiment_score: -0.1,
            speaker: "narrator".into(),
            speaker_role: None,
            quotes: Vec::new(),
        }
    }

    #[test]
    fn json_array_streams_and_parses() {
        for n in [0, 1, 3] {
            let mut w = RecordWriter::new(Vec::new(), Format::Json);
            for i in 0..n {
                w.write(&[sample(i + 1)]).unwrap();
            }
            let out = w.finish().unwrap();
            let parsed: Vec<ParagraphRecord> = serde_json::from_slice(&out).unwrap();
            assert_eq!(parsed.len(), n);
        }
    }

    #[test]
    fn jsonl_keeps_contract_field_order() {
        let mut w = RecordWriter::new(Vec::new(), Format::Jsonl);
        w.write(&[sample(1)]).unwrap();
        let line = String::from_utf8(w.finish().unwrap()).unwrap();
        let keys: Vec<&str> = [
            "article",
            "paragraph",
            "text",
            "boilerplate",
            "stance",
            "stance_scores",
            "sentiment",
            "sentiment_scores",
            "sentiment_score",
            "speaker",
            "speaker_role",
            "quotes",
        ]
        .to_vec();
        let mut last = 0;
        for k in keys {
            let at = line.find(&format!("\"{k}\"")).unwrap_or_else(|| panic!("{k} missing"));
            assert!(at >= last, "{k} out of order");
            last = at;
        }
    }

    #[test]
    fn csv_quotes_text() {
        let mut w = RecordWriter::new(Vec::new(), Format::Csv);
        w.write(&[sample(1)]).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[2], "He said, \"talks\", then left");
        assert_eq!(reader.headers().unwrap().len(), RECORD_CSV_HEADER.len());
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
    }
}
