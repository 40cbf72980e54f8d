//! The VADER lexicon (Hutto & Gilbert, 2014) through the `vader_sentiment`
//! crate, a port of the reference implementation with its lexicon: the
//! compound score is the valence, and the 3-class label uses VADER's own
//! ±0.05 thresholds. The sentiment heads read its four scores as features
//! beside the embedding; the evaluation scores it alone as a baseline.

use crate::classify::Probabilities;

/// VADER's compound threshold for a non-neutral label.
pub(crate) const VADER_THRESHOLD: f64 = 0.05;

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
    fn lexicon_scores_polarity() {
        let lexicon = LexiconSentiment::default();
        assert!(lexicon.valence("a wonderful, warm and friendly meeting") > 0.5);
        assert!(lexicon.valence("a hostile, disgusting and terrible insult") < -0.5);
        assert_eq!(lexicon.classify("The meeting is on Tuesday."), [0.0, 0.0, 1.0]);
    }
}
