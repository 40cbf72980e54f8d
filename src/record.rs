//! The per-paragraph output record: the contract other tools parse.
//!
//! Field names are stable (see the README). Scores are rounded to six
//! decimals when a record is made, so every output format, and every
//! aggregation over records, sees the same numbers on every run.

use crate::classify::Probabilities;
use serde::{Deserialize, Serialize};

/// Probabilities of the stance labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StanceScores {
    pub likely: f64,
    pub unlikely: f64,
    pub neutral: f64,
}

/// Probabilities of the sentiment labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SentimentScores {
    pub positive: f64,
    pub negative: f64,
    pub neutral: f64,
}

/// One classified paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParagraphRecord {
    pub article: String,
    /// 1-based paragraph number.
    pub paragraph: usize,
    pub text: String,
    pub boilerplate: bool,
    /// `likely`, `unlikely` or `neutral`.
    pub stance: String,
    pub stance_scores: StanceScores,
    /// `positive`, `negative` or `neutral`.
    pub sentiment: String,
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
    pub fn from_probabilities(p: &Probabilities) -> Self {
        StanceScores {
            likely: round_score(p[0] as f64),
            unlikely: round_score(p[1] as f64),
            neutral: round_score(p[2] as f64),
        }
    }
}

impl SentimentScores {
    pub fn from_probabilities(p: &Probabilities) -> Self {
        SentimentScores {
            positive: round_score(p[0] as f64),
            negative: round_score(p[1] as f64),
            neutral: round_score(p[2] as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_fixed_and_never_negative_zero() {
        assert_eq!(round_score(0.12345678), 0.123457);
        assert_eq!(round_score(-0.0000001), 0.0);
        assert!(round_score(-0.0000001).is_sign_positive());
    }
}
