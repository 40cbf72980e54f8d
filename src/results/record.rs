//! The per-paragraph output record: the contract other tools parse.
//!
//! Field names are stable (see the README). Scores are rounded to six
//! decimals when a record is made, so every output format, and every
//! aggregation over records, sees the same numbers on every run.

use crate::label::{Probabilities, SentimentLabel, StanceLabel};
use serde::{Deserialize, Serialize};

/// Probabilities of the stance labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StanceScores {
    /// P(likely).
    pub likely: f64,
    /// P(unlikely).
    pub unlikely: f64,
    /// P(neutral).
    pub neutral: f64,
}

/// Probabilities of the sentiment labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SentimentScores {
    /// P(positive).
    pub positive: f64,
    /// P(negative).
    pub negative: f64,
    /// P(neutral).
    pub neutral: f64,
}

/// One classified paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParagraphRecord {
    /// The article's id.
    pub article: String,
    /// 1-based paragraph number.
    pub paragraph: usize,
    /// The paragraph's text.
    pub text: String,
    /// Site furniture, not scored.
    pub boilerplate: bool,
    /// `likely`, `unlikely` or `neutral`.
    pub stance: StanceLabel,
    /// Probabilities of the stance labels.
    pub stance_scores: StanceScores,
    /// `positive`, `negative` or `neutral`.
    pub sentiment: SentimentLabel,
    /// Probabilities of the sentiment labels.
    pub sentiment_scores: SentimentScores,
    /// Valence in [-1, 1]: P(positive) - P(negative).
    pub sentiment_score: f64,
    /// Normalised speaker name, or `narrator`.
    pub speaker: String,
    /// What the article says the speaker is ("an analyst at …"), if it does.
    #[serde(default)]
    pub speaker_role: Option<String>,
    /// The speaker's own words: the paragraph's quotations.
    #[serde(default)]
    pub quotes: Vec<String>,
}

/// Decimal places kept in every score.
pub const SCORE_DECIMALS: i32 = 6;

/// Rounds a score to [`SCORE_DECIMALS`] places.
pub fn round_score(x: f64) -> f64 {
    let scale = 10f64.powi(SCORE_DECIMALS);
    let r = (x * scale).round() / scale;
    // Avoid "-0.0" in output.
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

impl StanceScores {
    /// The probability of `label`.
    pub fn get(&self, label: StanceLabel) -> f64 {
        match label {
            StanceLabel::Likely => self.likely,
            StanceLabel::Unlikely => self.unlikely,
            StanceLabel::Neutral => self.neutral,
        }
    }

    /// Rounded scores from probabilities in label order.
    pub fn from_probabilities(p: &Probabilities) -> Self {
        StanceScores {
            likely: round_score(p[0] as f64),
            unlikely: round_score(p[1] as f64),
            neutral: round_score(p[2] as f64),
        }
    }
}

impl SentimentScores {
    /// The probability of `label`.
    pub fn get(&self, label: SentimentLabel) -> f64 {
        match label {
            SentimentLabel::Positive => self.positive,
            SentimentLabel::Negative => self.negative,
            SentimentLabel::Neutral => self.neutral,
        }
    }

    /// Rounded scores from probabilities in label order.
    pub fn from_probabilities(p: &Probabilities) -> Self {
        SentimentScores {
            positive: round_score(p[0] as f64),
            negative: round_score(p[1] as f64),
            neutral: round_score(p[2] as f64),
        }
    }
}

/// Reads `classify` JSONL records back (`stance rank --from-records`), a
/// line at a time, so a stream of any length is never held in memory.
///
/// Each line must be one record as `classify --format jsonl` writes it;
/// blank lines are skipped. A line that is not a record is an error naming
/// the file and line.
pub struct RecordReader {
    lines: crate::text::input::JsonLines,
}

impl RecordReader {
    /// Records from `path`, or from standard input when `path` is `-`.
    pub fn open(path: &std::path::Path) -> crate::Result<RecordReader> {
        let (reader, path): (Box<dyn std::io::Read>, std::path::PathBuf) = if path.as_os_str() == "-" {
            (Box::new(std::io::stdin()), crate::text::input::STDIN_NAME.into())
        } else {
            let file = std::fs::File::open(path).map_err(|e| crate::Error::io(path, e))?;
            (Box::new(file), path.to_owned())
        };
        Ok(RecordReader::new(reader, path))
    }

    /// Records from any reader; `path` names it in errors.
    pub fn new(reader: Box<dyn std::io::Read>, path: std::path::PathBuf) -> RecordReader {
        RecordReader { lines: crate::text::input::JsonLines::new(reader, path) }
    }

    fn parse(&self, bytes: &[u8]) -> crate::Result<ParagraphRecord> {
        let err = |message: String| crate::Error::input(&self.lines.path, Some(self.lines.line), message);
        let text =
            std::str::from_utf8(bytes).map_err(|e| err(format!("not valid UTF-8 (byte {})", e.valid_up_to())))?;
        let record: ParagraphRecord =
            serde_json::from_str(text).map_err(|e| err(format!("not a classify record: {e}")))?;
        validate(&record).map_err(err)?;
        Ok(record)
    }
}

/// Checks what serde cannot: probabilities in [0, 1], paragraphs numbered
/// from 1 (the label types themselves refuse unknown labels).
fn validate(r: &ParagraphRecord) -> Result<(), String> {
    if r.paragraph == 0 {
        return Err("\"paragraph\" must be 1 or more".into());
    }
    let s = &r.stance_scores;
    for (name, p) in [("likely", s.likely), ("unlikely", s.unlikely), ("neutral", s.neutral)] {
        if !(0.0..=1.0).contains(&p) {
            return Err(format!("\"stance_scores.{name}\" must be a probability, found {p}"));
        }
    }
    Ok(())
}

impl Iterator for RecordReader {
    type Item = crate::Result<ParagraphRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.lines.next_line()?.and_then(|bytes| self.parse(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<crate::Result<ParagraphRecord>> {
        RecordReader::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), "recs.jsonl".into()).collect()
    }

    const GOOD: &str = r#"{"article":"a","paragraph":1,"text":"T","boilerplate":false,"stance":"likely","stance_scores":{"likely":0.7,"unlikely":0.1,"neutral":0.2},"sentiment":"neutral","sentiment_scores":{"positive":0.1,"negative":0.1,"neutral":0.8},"sentiment_score":0.0,"speaker":"narrator","speaker_role":null,"quotes":[]}"#;

    #[test]
    fn records_read_back_and_skip_blank_lines() {
        let records = read(&format!("{GOOD}\n\n{}\n", GOOD.replace("\"paragraph\":1", "\"paragraph\":2")));
        let records: Vec<ParagraphRecord> = records.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(records.iter().map(|r| r.paragraph).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(records[0].stance_scores.likely, 0.7);
    }

    #[test]
    fn bad_record_lines_name_file_and_line() {
        let cases = [
            ("not json".to_owned(), "recs.jsonl:2: not a classify record"),
            (
                GOOD.replace("\"stance\":\"likely\"", "\"stance\":\"maybe\""),
                "recs.jsonl:2: not a classify record: unknown stance label \"maybe\"",
            ),
            (
                GOOD.replace("\"sentiment\":\"neutral\"", "\"sentiment\":\"Neutral\""),
                "recs.jsonl:2: not a classify record: unknown sentiment label \"Neutral\"",
            ),
            (GOOD.replace("\"likely\":0.7", "\"likely\":1.7"), "recs.jsonl:2: \"stance_scores.likely\""),
            (GOOD.replace("\"paragraph\":1", "\"paragraph\":0"), "recs.jsonl:2: \"paragraph\" must be"),
            (GOOD.replace("\"article\":\"a\",", ""), "recs.jsonl:2: not a classify record: missing field `article`"),
        ];
        for (line, expected) in cases {
            let results = read(&format!("{GOOD}\n{line}\n"));
            let message = results[1].as_ref().unwrap_err().to_string();
            assert!(message.starts_with(expected), "{message:?} lacks {expected:?}");
        }
    }

    #[test]
    fn rounding_is_fixed_and_never_negative_zero() {
        assert_eq!(round_score(0.12345678), 0.123457);
        assert_eq!(round_score(-0.0000001), 0.0);
        assert!(round_score(-0.0000001).is_sign_positive());
    }
}
