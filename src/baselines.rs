//! Baselines that every method in the evaluation table must beat.
//!
//! * [`keyword_stance`]: cue-word rules for stance, written from the
//!   labelling guide's definitions (not from the seed articles).
//! * [`LexiconSentiment`]: VADER (Hutto & Gilbert, 2014) through the
//!   `vader_sentiment` crate, a port of the reference implementation with its
//!   lexicon; the compound score is the valence, and the 3-class label uses
//!   VADER's own ±0.05 thresholds.

use crate::classify::Probabilities;

/// Phrases that make engagement look more likely: stated intent, openness,
/// warm ties offered as a basis for talks, incentives, expected talks.
const LIKELY_CUES: &[&str] = &[
    "reach out",
    "reached out",
    "reaching out",
    "willing to",
    "open to",
    "ready to talk",
    "ready to meet",
    "meet again",
    "would meet",
    "wants to meet",
    "want to meet",
    "resume talks",
    "resume negotiations",
    "resume dialogue",
    "resuming",
    "restart",
    "return to the table",
    "return to talks",
    "return to negotiations",
    "overture",
    "invitation",
    "invited",
    "get along",
    "good relationship",
    "good rapport",
    "rapport",
    "friendship",
    "incentive",
    "upside",
    "expected to meet",
    "expect talks",
    "could meet",
    "considering",
    "a deal",
    "breakthrough",
    "progress",
    "letters",
    "envoy",
    "back channel",
];

/// Phrases that make engagement look less likely: refusal, hostility,
/// rebukes, preconditions, silence, distraction, leverage, past failure,
/// predicted delay.
const UNLIKELY_CUES: &[&str] = &[
    "reject",
    "refus",
    "hostil",
    "rebuk",
    "lashed out",
    "condemn",
    "denounc",
    "criticis",
    "criticiz",
    "no interest",
    "not interested",
    "unless",
    "precondition",
    "slim",
    "collapsed",
    "stalled",
    "broke down",
    "failed",
    "no-deal",
    "no deal",
    "humiliat",
    "preoccupied",
    "distracted",
    "focused on",
    "leverage",
    "won't",
    "will not",
    "would not",
    "never",
    "unlikely",
    "doubt",
    "no response",
    "not responded",
    "yet to respond",
    "ignored",
    "silence",
    "deteriorat",
    "threat",
    "provocation",
    "wait",
];

fn count_cues(text: &str, cues: &[&str]) -> usize {
    cues.iter().filter(|c| text.contains(*c)).count()
}

/// Stance by cue counts: more likely cues than unlikely ones is `likely`,
/// fewer is `unlikely`, equal (including none) is `neutral`. One-hot.
pub fn keyword_stance(text: &str) -> Probabilities {
    let lower = text.to_lowercase();
    let likely = count_cues(&lower, LIKELY_CUES);
    let unlikely = count_cues(&lower, UNLIKELY_CUES);
    match likely.cmp(&unlikely) {
        std::cmp::Ordering::Greater => [1.0, 0.0, 0.0],
        std::cmp::Ordering::Less => [0.0, 1.0, 0.0],
        std::cmp::Ordering::Equal => [0.0, 0.0, 1.0],
    }
}

/// VADER's compound threshold for a non-neutral label.
pub const VADER_THRESHOLD: f64 = 0.05;

/// The VADER lexicon scorer.
pub struct LexiconSentiment {
    analyzer: vader_sentiment::SentimentIntensityAnalyzer<'static>,
}

impl Default for LexiconSentiment {
    fn default() -> Self {
        LexiconSentiment { analyzer: vader_sentiment::SentimentIntensityAnalyzer::new() }
    }
}

impl LexiconSentiment {
    /// VADER's compound valence in [-1, 1].
    pub fn valence(&self, text: &str) -> f64 {
        self.analyzer.polarity_scores(text).get("compound").copied().unwrap_or(0.0)
    }

    /// VADER's four scores: `compound`, `pos`, `neg`, `neu`.
    pub fn scores(&self, text: &str) -> std::collections::HashMap<String, f64> {
        self.analyzer.polarity_scores(text).into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// One-hot sentiment from the compound score.
    pub fn classify(&self, text: &str) -> Probabilities {
        let v = self.valence(text);
        if v >= VADER_THRESHOLD {
            [1.0, 0.0, 0.0]
        } else if v <= -VADER_THRESHOLD {
            [0.0, 1.0, 0.0]
        } else {
            [0.0, 0.0, 1.0]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_rules_follow_the_cues() {
        assert_eq!(keyword_stance("He said he would reach out and is open to a deal."), [1.0, 0.0, 0.0]);
        assert_eq!(keyword_stance("The regime rejected talks unless sanctions are lifted."), [0.0, 1.0, 0.0]);
        assert_eq!(keyword_stance("Troops were deployed to the border region."), [0.0, 0.0, 1.0]);
    }

    #[test]
    fn lexicon_scores_polarity() {
        let lexicon = LexiconSentiment::default();
        assert!(lexicon.valence("a wonderful, warm and friendly meeting") > 0.5);
        assert!(lexicon.valence("a hostile, disgusting and terrible insult") < -0.5);
        assert_eq!(lexicon.classify("The meeting is on Tuesday."), [0.0, 0.0, 1.0]);
    }
}
