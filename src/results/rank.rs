//! Ranking articles by the outlook for engagement.
//!
//! An article's score is the mean, over its non-boilerplate paragraphs, of
//! `P(likely) - P(unlikely)`: +1 when every paragraph is surely `likely`,
//! -1 when every one is surely `unlikely`. Articles are ranked by score,
//! highest first; ties go to the smaller article id. An article with no
//! scorable paragraph (all boilerplate) scores 0; an article with no
//! paragraph at all has no record and so never reaches the ranker.

use crate::label::StanceLabel;
use crate::results::record::{round_score, ParagraphRecord};
use serde::{Deserialize, Serialize};

/// A paragraph quoted as evidence for one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceParagraph {
    /// 1-based paragraph number.
    pub paragraph: usize,
    /// The paragraph's probability of this side.
    pub probability: f64,
    /// The paragraph.
    pub text: String,
}

/// The strongest paragraph for each side, if any paragraph takes that side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The paragraph most surely `likely`, if any is predicted so.
    pub likely: Option<EvidenceParagraph>,
    /// The paragraph most surely `unlikely`, if any is predicted so.
    pub unlikely: Option<EvidenceParagraph>,
}

/// One ranked article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRank {
    /// The article's id.
    pub article: String,
    /// 1 = engagement most likely.
    pub rank: usize,
    /// Mean of P(likely) - P(unlikely) over scored paragraphs.
    pub score: f64,
    /// Scored (non-boilerplate) paragraphs.
    pub paragraphs: usize,
    /// Scored paragraphs per predicted stance.
    pub likely: usize,
    /// Scored paragraphs predicted `unlikely`.
    pub unlikely: usize,
    /// Scored paragraphs predicted `neutral`.
    pub neutral: usize,
    /// The strongest paragraph for each side.
    pub evidence: Evidence,
}

/// Ranks the articles that `records` belong to. Records of one article need
/// not be adjacent.
pub fn rank(records: &[ParagraphRecord]) -> Vec<ArticleRank> {
    let mut ranker = Ranker::default();
    records.iter().for_each(|r| ranker.add(r));
    ranker.finish()
}

/// Accumulates records one at a time, keeping per article only sums, counts
/// and the best evidence, so ranking a stream costs memory per article, not
/// per paragraph.
#[derive(Debug, Default)]
pub struct Ranker {
    index: std::collections::HashMap<String, usize>,
    articles: Vec<Tally>,
}

#[derive(Debug)]
struct Tally {
    article: String,
    sum: f64,
    paragraphs: usize,
    counts: [usize; 3],
    likely: Option<EvidenceParagraph>,
    unlikely: Option<EvidenceParagraph>,
}

impl Ranker {
    /// Adds one paragraph record.
    pub fn add(&mut self, r: &ParagraphRecord) {
        let i = match self.index.get(&r.article) {
            Some(&i) => i,
            None => {
                self.index.insert(r.article.clone(), self.articles.len());
                self.articles.push(Tally {
                    article: r.article.clone(),
                    sum: 0.0,
                    paragraphs: 0,
                    counts: [0; 3],
                    likely: None,
                    unlikely: None,
                });
                self.articles.len() - 1
            }
        };
        if r.boilerplate {
            return;
        }
        let tally = &mut self.articles[i];
        tally.sum += r.stance_scores.likely - r.stance_scores.unlikely;
        tally.paragraphs += 1;
        tally.counts[r.stance.index()] += 1;
        let probability = r.stance_scores.get(r.stance);
        let slot = match r.stance {
            StanceLabel::Likely => Some(&mut tally.likely),
            StanceLabel::Unlikely => Some(&mut tally.unlikely),
            StanceLabel::Neutral => None,
        };
        if let Some(slot) = slot {
            // On equal probability the smaller paragraph number wins, so the
            // evidence does not depend on the order records arrive in.
            if slot.as_ref().is_none_or(|e| {
                probability > e.probability || (probability == e.probability && r.paragraph < e.paragraph)
            }) {
                *slot = Some(EvidenceParagraph { paragraph: r.paragraph, probability, text: r.text.clone() });
            }
        }
    }

    /// The ranking of everything added.
    pub fn finish(self) -> Vec<ArticleRank> {
        let mut ranked: Vec<ArticleRank> = self
            .articles
            .into_iter()
            .map(|t| ArticleRank {
                score: if t.paragraphs == 0 { 0.0 } else { round_score(t.sum / t.paragraphs as f64) },
                article: t.article,
                rank: 0,
                paragraphs: t.paragraphs,
                likely: t.counts[0],
                unlikely: t.counts[1],
                neutral: t.counts[2],
                evidence: Evidence { likely: t.likely, unlikely: t.unlikely },
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.article.cmp(&b.article)));
        for (i, r) in ranked.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::record::{SentimentScores, StanceScores};

    fn record(article: &str, paragraph: usize, likely: f64, unlikely: f64, boilerplate: bool) -> ParagraphRecord {
        let neutral = 1.0 - likely - unlikely;
        let stance = if likely >= unlikely && likely >= neutral {
            "likely"
        } else if unlikely >= neutral {
            "unlikely"
        } else {
            "neutral"
        };
        ParagraphRecord {
            article: article.into(),
            paragraph,
            text: format!("{article} {paragraph}"),
            boilerplate,
            stance: stance.parse().unwrap(),
            stance_scores: StanceScores { likely, unlikely, neutral },
            sentiment: crate::SentimentLabel::Neutral,
            sentiment_scores: SentimentScores { positive: 0.0, negative: 0.0, neutral: 1.0 },
            sentiment_score: 0.0,
            speaker: "narrator".into(),
            speaker_role: None,
            quotes: Vec::new(),
        }
    }

    #[test]
    fn score_is_mean_difference_and_skips_boilerplate() {
        let records = vec![
            record("a", 1, 0.8, 0.1, false),
            record("b", 1, 0.1, 0.7, false),
            record("a", 2, 0.2, 0.6, false),
            record("a", 3, 0.0, 1.0, true),
            record("b", 2, 0.3, 0.3, false),
        ];
        let ranked = rank(&records);
        assert_eq!(ranked[0].article, "a");
        assert_eq!(ranked[0].rank, 1);
        assert!((ranked[0].score - 0.15).abs() < 1e-9); // ((0.7) + (-0.4)) / 2
        assert_eq!(ranked[0].paragraphs, 2);
        assert_eq!((ranked[0].likely, ranked[0].unlikely, ranked[0].neutral), (1, 1, 0));
        assert_eq!(ranked[0].evidence.likely.as_ref().unwrap().paragraph, 1);
        assert_eq!(ranked[0].evidence.unlikely.as_ref().unwrap().paragraph, 2);
        assert!((ranked[1].score - (-0.3)).abs() < 1e-9);
        assert!(ranked[1].evidence.likely.is_none());
    }

    #[test]
    fn ties_break_by_article_id() {
        let records =
            vec![record("z", 1, 0.5, 0.5, false), record("m", 1, 0.5, 0.5, false), record("e", 1, 0.0, 0.0, true)];
        let ids: Vec<_> = rank(&records).into_iter().map(|r| r.article).collect();
        assert_eq!(ids, vec!["e", "m", "z"]);
    }
}
