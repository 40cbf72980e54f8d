//! The evaluation harness: every method side by side on the same labelled
//! paragraphs, with the metrics of [`crate::metrics`].
//!
//! The report ([`EvalReport`]) is what `stance eval --format json` prints;
//! its schema is documented in the README and versioned by
//! `SCHEMA_VERSION`.

use crate::classify::{argmax, Probabilities, Task};
use crate::data::labels::{LabelRecord, OutlookRecord};
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use crate::eval::baselines::{keyword_stance, LexiconSentiment};
use crate::metrics::{self, Confusion};
use crate::pipeline::{Classifiers, Scores, BOILERPLATE_SCORES};
use crate::speaker::NARRATOR;
use crate::text::article::Article;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub mod agreement;
pub mod baselines;
pub mod loao;
pub mod nyt;
pub mod report;
pub mod speakers;

pub use crate::metrics::{task_metrics, TaskMetrics, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CALIBRATION_BINS};
pub use agreement::{agreement, FieldAgreement};
pub use loao::{loao_stance, LoaoFold};

/// Version of the JSON report's schema; bumped on any incompatible change.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// One method's predictions on the evaluated paragraphs (each `None` when
/// the method does not answer that question).
#[derive(Debug, Clone, Default)]
pub struct MethodOutput {
    /// The method's name in the report.
    pub method: String,
    /// Stance probabilities per item, if the method predicts stance.
    pub stance: Option<Vec<Probabilities>>,
    /// Sentiment probabilities per item, if the method predicts sentiment.
    pub sentiment: Option<Vec<Probabilities>>,
    /// Continuous valence in [-1, 1], for correlation with ratings.
    pub valence: Option<Vec<f64>>,
    /// Speaker per item, if the method attributes speakers.
    pub speaker: Option<Vec<String>>,
    /// The name of the sentiment method, when it differs from `method`.
    pub sentiment_method: Option<String>,
    /// The name of the speaker method, when it differs from `method`.
    pub speaker_method: Option<String>,
    /// Whether the method treats each paragraph as boilerplate (excluded
    /// from article scores).
    pub boilerplate: Option<Vec<bool>>,
}

/// Speaker accuracy of one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerMetrics {
    /// The method's name.
    pub method: String,
    /// Items with a gold speaker.
    pub n: usize,
    /// Share of paragraphs whose normalised speaker equals the gold one.
    pub accuracy: f64,
}

/// Article-level agreement of one method's scores with the outlook labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleMetrics {
    /// The method's name.
    pub method: String,
    /// Articles with an outlook label.
    pub n: usize,
    /// Spearman's rho between article scores and outlooks.
    pub spearman: f64,
    /// Kendall's tau-b between article scores and outlooks.
    pub kendall: f64,
    /// Each article's score beside its outlook.
    pub articles: Vec<ArticleScore>,
}

/// One article's score beside its outlook label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleScore {
    /// The article's id.
    pub article: String,
    /// The method's article score (mean P(likely) - P(unlikely)).
    pub score: f64,
    /// The hand outlook, -2..2.
    pub outlook: i8,
}

/// Boilerplate detection against the gold flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoilerplateMetrics {
    /// Items with a gold boilerplate flag.
    pub n: usize,
    /// Share of detected boilerplate that is boilerplate.
    pub precision: f64,
    /// Share of boilerplate detected.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Everything `stance eval` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Version of the report's layout (see the evaluation docs).
    pub schema_version: u32,
    /// `seeds` (paragraph labels) or `nyt` (sentence ratings).
    pub dataset: String,
    /// Label files or data file read.
    pub sources: Vec<String>,
    /// The encoder the model-based methods used.
    pub encoder: String,
    /// Labelled paragraphs evaluated.
    pub paragraphs: usize,
    /// One row per method that predicts stance.
    pub stance: Vec<TaskMetrics>,
    /// One row per method that predicts sentiment.
    pub sentiment: Vec<TaskMetrics>,
    /// One row per method that attributes speakers.
    pub speakers: Vec<SpeakerMetrics>,
    /// Ranking agreement per method, where outlooks exist.
    pub articles: Vec<ArticleMetrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The boilerplate detector's scores, where gold flags exist.
    pub boilerplate: Option<BoilerplateMetrics>,
}

impl EvalReport {
    /// The metrics of `method` on `task`, if evaluated.
    pub fn task(&self, task: Task, method: &str) -> Option<&TaskMetrics> {
        let rows = match task {
            Task::Stance => &self.stance,
            Task::Sentiment => &self.sentiment,
        };
        rows.iter().find(|m| m.method == method)
    }
}

/// One-hot probabilities of the most frequent gold label (ties: label order).
pub fn majority(gold: &[usize], n: usize) -> Vec<Probabilities> {
    let mut counts = [0usize; 3];
    gold.iter().for_each(|&g| counts[g] += 1);
    let best = (0..3).fold(0, |b, i| if counts[i] > counts[b] { i } else { b });
    let mut p = [0.0; 3];
    p[best] = 1.0;
    vec![p; n]
}

/// Speaker names compared case-insensitively, without courtesy titles,
/// punctuation or possessive apostrophe variants.
pub(crate) fn normalise_speaker(name: &str) -> String {
    let lowered = name.to_lowercase().replace('’', "'");
    let words: Vec<String> = lowered
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'').to_owned())
        .filter(|w| !w.is_empty())
        .filter(|w| !matches!(w.as_str(), "mr" | "ms" | "mrs" | "dr" | "president"))
        .collect();
    words.join(" ")
}

/// A labelled paragraph ready for evaluation.
#[derive(Debug, Clone)]
pub struct EvalItem {
    /// The paragraph's text.
    pub text: String,
    /// The article it belongs to, when the label names one.
    pub article: Option<String>,
    /// The tool's boilerplate flag for it.
    pub boilerplate: bool,
    /// Its hand labels.
    pub gold: LabelRecord,
}

/// Builds evaluation items: texts resolved against `articles`, boilerplate
/// flags from the article's segmentation (or the rules, for text labels).
pub(crate) fn items(records: Vec<LabelRecord>, articles: &HashMap<String, Article>) -> Result<Vec<EvalItem>> {
    let texts = crate::data::labels::resolve_texts(&records, articles)?;
    Ok(records
        .into_iter()
        .zip(texts)
        .map(|(gold, text)| {
            let boilerplate = match (&gold.article, gold.paragraph, &gold.text) {
                (Some(a), Some(p), None) => articles[a].paragraphs[p - 1].boilerplate,
                _ => crate::text::boilerplate::is_boilerplate(&text),
            };
            EvalItem { article: if gold.text.is_none() { gold.article.clone() } else { None }, text, boilerplate, gold }
        })
        .collect())
}

/// The model-based methods to evaluate: one encoder, several classifier
/// sets, so every paragraph is embedded once.
pub struct Models<'a> {
    /// The encoder every classifier set reads.
    pub encoder: &'a Encoder,
    /// Windows per forward pass.
    pub batch_size: usize,
    /// The classifier sets to score, each as its own methods.
    pub sets: Vec<&'a Classifiers>,
    /// Score sentiment on the speaker's quoted words, as the pipeline does
    /// (off for data rated as whole sentences, like the NYT snippets).
    pub score_quotes: bool,
}

/// Each classifier set's predictions on the items, as the pipeline makes
/// them (boilerplate `neutral`, speakers by the attribution rules).
pub(crate) fn model_methods(
    models: &Models,
    items: &[EvalItem],
    articles: &HashMap<String, Article>,
) -> Result<Vec<MethodOutput>> {
    // Attribution reads whole articles ("he said" needs the paragraphs
    // before), as `stance classify` does; text-only items are read alone.
    let mut by_article: HashMap<&str, Vec<crate::speaker::Attribution>> = HashMap::new();
    for id in items.iter().filter_map(|i| i.article.as_deref()) {
        if let (false, Some(article)) = (by_article.contains_key(id), articles.get(id)) {
            by_article.insert(id, crate::pipeline::attribute(article));
        }
    }
    let attributions: Vec<crate::speaker::Attribution> = items
        .iter()
        .map(|i| {
            if i.boilerplate {
                return crate::speaker::Attribution::narrator();
            }
            match (i.article.as_deref().and_then(|a| by_article.get(a)), i.gold.paragraph) {
                (Some(found), Some(p)) => found[p - 1].clone(),
                _ => crate::speaker::attribute(&i.text),
            }
        })
        .collect();
    let speakers: Vec<String> = attributions.iter().map(|a| a.speaker.clone()).collect();
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let voices: Vec<String> = if models.score_quotes {
        items.iter().zip(&attributions).map(|(i, a)| crate::pipeline::voice(&i.text, a)).collect()
    } else {
        texts.iter().map(|t| t.to_string()).collect()
    };
    let voice_refs: Vec<&str> = voices.iter().map(String::as_str).collect();
    let (embeddings, voice_embeddings) =
        crate::pipeline::embed_with_voices(models.encoder, models.batch_size, &texts, &voice_refs)?;
    let mut out = Vec::new();
    for set in &models.sets {
        let scores: Vec<Scores> = set
            .score(&texts, &embeddings, &voice_refs, &voice_embeddings)?
            .into_iter()
            .zip(items)
            .map(|(s, i)| if i.boilerplate { BOILERPLATE_SCORES } else { s })
            .collect();
        // Round as records are rounded, so eval sees what users see.
        let records: Vec<_> = scores
            .iter()
            .map(|s| crate::pipeline::record("", 1, "", false, s, crate::speaker::Attribution::narrator()))
            .collect();
        out.push(MethodOutput {
            method: set.stance.name().to_owned(),
            sentiment_method: Some(set.sentiment.name().to_owned()),
            stance: Some(
                records
                    .iter()
                    .map(|r| {
                        [r.stance_scores.likely as f32, r.stance_scores.unlikely as f32, r.stance_scores.neutral as f32]
                    })
                    .collect(),
            ),
            sentiment: Some(
                records
                    .iter()
                    .map(|r| {
                        [
                            r.sentiment_scores.positive as f32,
                            r.sentiment_scores.negative as f32,
                            r.sentiment_scores.neutral as f32,
                        ]
                    })
                    .collect(),
            ),
            valence: Some(records.iter().map(|r| r.sentiment_score).collect()),
            speaker: Some(speakers.clone()),
            speaker_method: Some("attribution-rules".into()),
            boilerplate: Some(items.iter().map(|i| i.boilerplate).collect()),
        });
    }
    Ok(out)
}

/// The baselines: majority class (of the evaluated gold labels), keyword
/// rules for stance, the VADER lexicon for sentiment, and `narrator` for
/// every speaker.
pub(crate) fn baseline_methods(items: &[EvalItem]) -> Vec<MethodOutput> {
    let gold = |task: Task| -> Vec<usize> { items.iter().filter_map(|i| i.gold.label_index(task)).collect() };
    let n = items.len();
    let lexicon = LexiconSentiment::default();
    let flags: Vec<bool> = items.iter().map(|i| i.boilerplate).collect();
    vec![
        MethodOutput {
            method: "majority".into(),
            stance: Some(majority(&gold(Task::Stance), n)),
            sentiment: Some(majority(&gold(Task::Sentiment), n)),
            speaker: Some(vec![NARRATOR.to_owned(); n]),
            speaker_method: Some("always-narrator".into()),
            boilerplate: Some(flags.clone()),
            ..Default::default()
        },
        MethodOutput {
            method: "keyword-rules".into(),
            stance: Some(items.iter().map(|i| keyword_stance(&i.text)).collect()),
            boilerplate: Some(flags.clone()),
            ..Default::default()
        },
        MethodOutput {
            method: "lexicon".into(),
            sentiment: Some(items.iter().map(|i| lexicon.classify(&i.text)).collect()),
            valence: Some(items.iter().map(|i| lexicon.valence(&i.text)).collect()),
            boilerplate: Some(flags),
            ..Default::default()
        },
    ]
}

/// Scores every method against the items' gold labels and the outlooks.
pub fn evaluate(
    dataset: &str,
    sources: Vec<String>,
    encoder: &str,
    items: &[EvalItem],
    outlooks: &[OutlookRecord],
    methods: &[MethodOutput],
) -> EvalReport {
    let mut report = EvalReport {
        schema_version: SCHEMA_VERSION,
        dataset: dataset.to_owned(),
        sources,
        encoder: encoder.to_owned(),
        paragraphs: items.len(),
        stance: Vec::new(),
        sentiment: Vec::new(),
        speakers: Vec::new(),
        articles: Vec::new(),
        boilerplate: None,
    };
    for task in [Task::Stance, Task::Sentiment] {
        let rows = task_rows(task, items, methods);
        match task {
            Task::Stance => report.stance = rows,
            Task::Sentiment => report.sentiment = rows,
        }
    }
    report.speakers = speaker_rows(items, methods);
    if !outlooks.is_empty() {
        for m in methods {
            if report.articles.iter().any(|a| a.method == m.method) {
                continue;
            }
            if let Some(row) = article_metrics(m, items, outlooks) {
                report.articles.push(row);
            }
        }
    }

    report.boilerplate = boilerplate_metrics(items);
    report
}

/// One row per method that predicts `task`, over the items labelled for it.
fn task_rows(task: Task, items: &[EvalItem], methods: &[MethodOutput]) -> Vec<TaskMetrics> {
    let labelled: Vec<(usize, usize)> =
        items.iter().enumerate().filter_map(|(i, item)| item.gold.label_index(task).map(|g| (i, g))).collect();
    let mut rows: Vec<TaskMetrics> = Vec::new();
    if labelled.is_empty() {
        return rows;
    }
    let gold: Vec<usize> = labelled.iter().map(|&(_, g)| g).collect();
    for m in methods {
        let (predictions, name) = match task {
            Task::Stance => (&m.stance, m.method.as_str()),
            Task::Sentiment => (&m.sentiment, m.sentiment_method.as_deref().unwrap_or(&m.method)),
        };
        let Some(predictions) = predictions else { continue };
        // Sets that share a classifier would repeat its row.
        if rows.iter().any(|r| r.method == name) {
            continue;
        }
        let probabilities: Vec<Probabilities> = labelled.iter().map(|&(i, _)| predictions[i]).collect();
        rows.push(task_metrics(task, name, &gold, &probabilities));
    }
    rows
}

/// Speaker accuracy per method that attributes speakers.
fn speaker_rows(items: &[EvalItem], methods: &[MethodOutput]) -> Vec<SpeakerMetrics> {
    let with_speaker: Vec<(usize, String)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| item.gold.speaker.as_ref().map(|s| (i, normalise_speaker(s))))
        .collect();
    let mut rows = Vec::new();
    if !with_speaker.is_empty() {
        for m in methods {
            let Some(speakers) = &m.speaker else { continue };
            let right = with_speaker.iter().filter(|(i, gold)| normalise_speaker(&speakers[*i]) == *gold).count();
            rows.push(SpeakerMetrics {
                method: m.speaker_method.clone().unwrap_or_else(|| m.method.clone()),
                n: with_speaker.len(),
                accuracy: right as f64 / with_speaker.len() as f64,
            });
        }
    }
    rows
}

/// The boilerplate detector against the gold flags, where there are any.
fn boilerplate_metrics(items: &[EvalItem]) -> Option<BoilerplateMetrics> {
    let flagged: Vec<(bool, bool)> =
        items.iter().filter_map(|i| i.gold.boilerplate.map(|g| (g, i.boilerplate))).collect();
    if flagged.is_empty() {
        return None;
    }
    let tp = flagged.iter().filter(|(g, p)| *g && *p).count() as f64;
    let predicted = flagged.iter().filter(|(_, p)| *p).count() as f64;
    let actual = flagged.iter().filter(|(g, _)| *g).count() as f64;
    let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
    let recall = if actual > 0.0 { tp / actual } else { 0.0 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Some(BoilerplateMetrics { n: flagged.len(), precision, recall, f1 })
}

/// Article scores of a method (the README's formula over its stance
/// probabilities) against the outlook labels.
fn article_metrics(m: &MethodOutput, items: &[EvalItem], outlooks: &[OutlookRecord]) -> Option<ArticleMetrics> {
    let stance = m.stance.as_ref()?;
    let flags = m.boilerplate.as_ref()?;
    let mut sums: HashMap<&str, (f64, usize)> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some(article) = item.article.as_deref() else { continue };
        if flags[i] {
            continue;
        }
        let entry = sums.entry(article).or_default();
        entry.0 += (stance[i][0] - stance[i][1]) as f64;
        entry.1 += 1;
    }
    let articles: Vec<ArticleScore> = outlooks
        .iter()
        .filter_map(|o| {
            sums.get(o.article.as_str()).map(|(sum, n)| ArticleScore {
                article: o.article.clone(),
                score: crate::results::record::round_score(sum / *n as f64),
                outlook: o.outlook,
            })
        })
        .collect();
    if articles.len() < 2 {
        return None;
    }
    let scores: Vec<f64> = articles.iter().map(|a| a.score).collect();
    let gold: Vec<f64> = articles.iter().map(|a| a.outlook as f64).collect();
    // A method that scores every article alike has no ranking to correlate.
    if scores.iter().all(|&s| s == scores[0]) || gold.iter().all(|&g| g == gold[0]) {
        return None;
    }
    Some(ArticleMetrics {
        method: m.method.clone(),
        n: articles.len(),
        spearman: metrics::spearman(&scores, &gold),
        kendall: metrics::kendall_tau_b(&scores, &gold),
        articles,
    })
}

/// The outlook file that goes with a label file: `<stem>-outlook.jsonl`
/// beside it, if present.
pub(crate) fn sibling_outlook(labels: &std::path::Path) -> Option<std::path::PathBuf> {
    let sibling = labels.with_file_name(format!("{}-outlook.jsonl", crate::text::input::file_stem(labels)));
    sibling.is_file().then_some(sibling)
}

/// Evaluates every method on hand-labelled paragraphs: reads the label
/// files and outlooks (default: `sibling_outlook` of the first file),
/// looks texts up in the articles under `articles_dir`, and runs the
/// baselines and the `models`.
pub fn evaluate_label_files(
    models: &Models,
    label_files: &[std::path::PathBuf],
    outlook: Option<&std::path::Path>,
    articles_dir: &std::path::Path,
) -> Result<EvalReport> {
    let records = crate::data::labels::read_label_files(label_files)?;
    let outlook =
        outlook.map(std::path::Path::to_owned).or_else(|| label_files.first().and_then(|f| sibling_outlook(f)));
    let outlooks = match &outlook {
        Some(path) => crate::data::labels::read_outlooks(path)?,
        None => Vec::new(),
    };
    let articles = load_articles(articles_dir)?;
    let items = items(records, &articles)?;
    let mut methods = baseline_methods(&items);
    let first_model = methods.len();
    methods.extend(model_methods(models, &items, &articles)?);
    // Every model method shares the attribution rules: one speaker row.
    for m in methods.iter_mut().skip(first_model + 1) {
        m.speaker = None;
    }
    let mut sources: Vec<String> = label_files.iter().map(|p| p.display().to_string()).collect();
    sources.extend(outlook.iter().map(|p| p.display().to_string()));
    // The data set is named by its first label file ("seeds", "articles", "stance-dev").
    let dataset = label_files.first().map_or_else(|| "labels".to_owned(), |f| crate::text::input::file_stem(f));
    Ok(evaluate(&dataset, sources, &models.encoder.files().id, &items, &outlooks, &methods))
}

/// Loads the articles under `dir` (any layout `stance classify` reads) by id.
pub(crate) fn load_articles(dir: &std::path::Path) -> Result<HashMap<String, Article>> {
    let mut articles = HashMap::new();
    for doc in crate::text::input::Documents::new(&[dir.to_owned()], Default::default()) {
        let doc = doc?;
        let article = Article::from_text(doc.id.clone(), &doc.text);
        if articles.insert(doc.id.clone(), article).is_some() {
            return Err(Error::input(&doc.origin.path, doc.origin.line, format!("duplicate article id {:?}", doc.id)));
        }
    }
    Ok(articles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_names_normalise() {
        assert_eq!(normalise_speaker("Mr. Trump"), "trump");
        assert_eq!(normalise_speaker("North Korea’s Foreign Ministry"), "north korea's foreign ministry");
        assert_eq!(normalise_speaker("  Kim  Jong Un "), "kim jong un");
    }

    #[test]
    fn majority_picks_the_most_frequent_label() {
        let p = majority(&[2, 2, 1, 0, 2], 3);
        assert_eq!(p, vec![[0.0, 0.0, 1.0]; 3]);
    }
}
