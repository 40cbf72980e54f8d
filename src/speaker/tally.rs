//! Who says what across articles: one row per speaker with their stance
//! counts, tone and a representative quotation (`stance speakers`).

use crate::results::record::{round_score, ParagraphRecord};
use crate::speaker::NARRATOR;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Characters kept of a paragraph standing in for a speaker with no
/// quotation.
pub const PARAGRAPH_EXCERPT_CHARS: usize = 160;

/// One speaker's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerRow {
    /// The normalised speaker name.
    pub speaker: String,
    /// The role the articles give the speaker (the first one seen).
    pub role: Option<String>,
    /// Articles the speaker voices a paragraph in.
    pub articles: usize,
    /// Scored (non-boilerplate) paragraphs the speaker voices.
    pub paragraphs: usize,
    /// The speaker's paragraphs predicted `likely`.
    pub likely: usize,
    /// The speaker's paragraphs predicted `unlikely`.
    pub unlikely: usize,
    /// The speaker's paragraphs predicted `neutral`.
    pub neutral: usize,
    /// Mean of the paragraphs' `sentiment_score`, in [-1, 1].
    pub mean_sentiment: f64,
    /// The most frequent sentiment label of the paragraphs (ties go to
    /// `neutral`, then `negative`).
    pub tone: String,
    /// The longest quotation, or the start of the first paragraph when the
    /// speaker is only paraphrased.
    pub quote: String,
    /// Where `quote` comes from.
    pub quote_article: String,
    /// 1-based paragraph number of `quote`.
    pub quote_paragraph: usize,
}

#[derive(Debug, Default)]
struct Accumulator {
    role: Option<String>,
    articles: Vec<String>,
    paragraphs: usize,
    stance: [usize; 3],
    sentiment: [usize; 3],
    sentiment_sum: f64,
    quote: Option<(String, String, usize)>,
    excerpt: Option<(String, String, usize)>,
}

impl Accumulator {
    /// Adds another accumulator's paragraphs to this one.
    fn absorb(&mut self, other: Accumulator) {
        if self.role.is_none() {
            self.role = other.role;
        }
        for article in other.articles {
            if !self.articles.contains(&article) {
                self.articles.push(article);
            }
        }
        self.paragraphs += other.paragraphs;
        for i in 0..3 {
            self.stance[i] += other.stance[i];
            self.sentiment[i] += other.sentiment[i];
        }
        self.sentiment_sum += other.sentiment_sum;
        let length = |q: &Option<(String, String, usize)>| q.as_ref().map_or(0, |(t, _, _)| t.chars().count());
        if length(&other.quote) > length(&self.quote) {
            self.quote = other.quote;
        }
        if self.excerpt.is_none() {
            self.excerpt = other.excerpt;
        }
    }
}

/// Collects records into per-speaker rows; boilerplate is skipped, and so is
/// the narrator unless asked for.
#[derive(Debug, Default)]
pub struct SpeakerTally {
    include_narrator: bool,
    speakers: HashMap<String, Accumulator>,
}

impl SpeakerTally {
    /// An empty tally; the narrator gets a row only when `include_narrator`.
    pub fn new(include_narrator: bool) -> SpeakerTally {
        SpeakerTally { include_narrator, speakers: HashMap::new() }
    }

    /// Counts one record (boilerplate never counts).
    pub fn add(&mut self, r: &ParagraphRecord) {
        if r.boilerplate || (r.speaker == NARRATOR && !self.include_narrator) {
            return;
        }
        let acc = self.speakers.entry(r.speaker.clone()).or_default();
        if acc.role.is_none() {
            acc.role = r.speaker_role.clone();
        }
        if acc.articles.last() != Some(&r.article) && !acc.articles.contains(&r.article) {
            acc.articles.push(r.article.clone());
        }
        acc.paragraphs += 1;
        acc.stance[r.stance.index()] += 1;
        acc.sentiment[r.sentiment.index()] += 1;
        acc.sentiment_sum += r.sentiment_score;
        if let Some(q) = r.quotes.iter().max_by_key(|q| q.chars().count()) {
            let longer = acc.quote.as_ref().is_none_or(|(best, _, _)| q.chars().count() > best.chars().count());
            if longer {
                acc.quote = Some((q.clone(), r.article.clone(), r.paragraph));
            }
        }
        if acc.excerpt.is_none() {
            acc.excerpt =
                Some((crate::text::truncate(&r.text, PARAGRAPH_EXCERPT_CHARS), r.article.clone(), r.paragraph));
        }
    }

    /// A bare surname ("Trump", from an article that never spells out the
    /// full name) joins the one speaker across the tallied articles whose
    /// name ends with it ("Donald Trump"). Done here, over the whole
    /// tally, because records are attributed per article and must not
    /// depend on what else is in the run; the summary can.
    fn merge_surnames(&mut self) {
        let names: Vec<String> = self.speakers.keys().cloned().collect();
        for short in &names {
            if short.contains(' ') || !short.chars().next().is_some_and(char::is_uppercase) {
                continue;
            }
            let suffix = format!(" {short}");
            let full: Vec<&String> = names.iter().filter(|n| n.ends_with(&suffix)).collect();
            if let [full] = full.as_slice() {
                let absorbed = self.speakers.remove(short).expect("listed above");
                self.speakers.get_mut(*full).expect("listed above").absorb(absorbed);
            }
        }
    }

    /// The rows, most paragraphs first (ties: by name).
    pub fn finish(mut self) -> Vec<SpeakerRow> {
        self.merge_surnames();
        let mut rows: Vec<SpeakerRow> = self
            .speakers
            .into_iter()
            .map(|(speaker, acc)| {
                let [positive, negative, neutral] = acc.sentiment;
                let tone = if neutral >= positive && neutral >= negative {
                    "neutral"
                } else if negative >= positive {
                    "negative"
                } else {
                    "positive"
                };
                let (quote, quote_article, quote_paragraph) = acc.quote.or(acc.excerpt).unwrap_or_default();
                SpeakerRow {
                    speaker,
                    role: acc.role,
                    articles: acc.articles.len(),
                    paragraphs: acc.paragraphs,
                    likely: acc.stance[0],
                    unlikely: acc.stance[1],
                    neutral: acc.stance[2],
                    mean_sentiment: round_score(acc.sentiment_sum / acc.paragraphs.max(1) as f64),
                    tone: tone.to_owned(),
                    quote,
                    quote_article,
                    quote_paragraph,
                }
            })
            .collect();
        rows.sort_by(|a, b| b.paragraphs.cmp(&a.paragraphs).then_with(|| a.speaker.cmp(&b.speaker)));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::record::{SentimentScores, StanceScores};

    fn record(
        article: &str,
        paragraph: usize,
        speaker: &str,
        stance: &str,
        sentiment: &str,
        score: f64,
        quotes: &[&str],
    ) -> ParagraphRecord {
        ParagraphRecord {
            article: article.into(),
            paragraph,
            text: format!("paragraph {paragraph} of {article}"),
            boilerplate: false,
            stance: stance.parse().unwrap(),
            stance_scores: StanceScores { likely: 0.4, unlikely: 0.3, neutral: 0.3 },
            sentiment: sentiment.parse().unwrap(),
            sentiment_scores: SentimentScores { positive: 0.4, negative: 0.3, neutral: 0.3 },
            sentiment_score: score,
            speaker: speaker.into(),
            speaker_role: None,
            quotes: quotes.iter().map(|q| q.to_string()).collect(),
        }
    }

    #[test]
    fn a_bare_surname_joins_the_one_full_name() {
        let mut tally = SpeakerTally::new(false);
        tally.add(&record("a", 1, "Ana Lopez", "likely", "positive", 0.5, &["short"]));
        tally.add(&record("b", 1, "Lopez", "unlikely", "negative", -0.5, &["the longest quotation"]));
        tally.add(&record("b", 2, "Lee", "neutral", "neutral", 0.0, &[]));
        tally.add(&record("c", 1, "Bo Lee", "neutral", "neutral", 0.0, &[]));
        tally.add(&record("c", 2, "Min Lee", "neutral", "neutral", 0.0, &[]));
        let rows = tally.finish();
        let ana = rows.iter().find(|r| r.speaker == "Ana Lopez").unwrap();
        assert_eq!((ana.paragraphs, ana.articles, ana.likely, ana.unlikely), (2, 2, 1, 1));
        assert_eq!(ana.quote, "the longest quotation");
        assert!(!rows.iter().any(|r| r.speaker == "Lopez"));
        // "Lee" could be either Lee: it stays apart.
        assert!(rows.iter().any(|r| r.speaker == "Lee" && r.paragraphs == 1));
    }

    #[test]
    fn rows_count_stances_and_pick_the_longest_quote() {
        let mut tally = SpeakerTally::new(false);
        tally.add(&record("a", 1, "Ana Lopez", "likely", "positive", 0.5, &["short one"]));
        tally.add(&record("b", 2, "Ana Lopez", "unlikely", "positive", 0.1, &["a much longer quotation"]));
        tally.add(&record("a", 3, "experts", "unlikely", "negative", -0.4, &[]));
        tally.add(&record("a", 4, NARRATOR, "neutral", "neutral", 0.0, &[]));
        let rows = tally.finish();
        assert_eq!(rows.len(), 2);
        let ana = &rows[0];
        assert_eq!((ana.speaker.as_str(), ana.paragraphs, ana.articles), ("Ana Lopez", 2, 2));
        assert_eq!((ana.likely, ana.unlikely, ana.neutral), (1, 1, 0));
        assert_eq!(ana.mean_sentiment, 0.3);
        assert_eq!(ana.tone, "positive");
        assert_eq!(
            (ana.quote.as_str(), ana.quote_article.as_str(), ana.quote_paragraph),
            ("a much longer quotation", "b", 2)
        );
        // No quotation: the paragraph stands in.
        assert_eq!(rows[1].quote, "paragraph 3 of a");
    }

    #[test]
    fn boilerplate_never_counts_and_the_narrator_only_on_request() {
        let mut b = record("a", 1, NARRATOR, "neutral", "neutral", 0.0, &[]);
        b.boilerplate = true;
        let mut tally = SpeakerTally::new(true);
        tally.add(&b);
        tally.add(&record("a", 2, NARRATOR, "neutral", "neutral", 0.0, &[]));
        let rows = tally.finish();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].paragraphs, 1);
    }
}
