//! The evaluation harness: every method side by side on the same labelled
//! paragraphs, with the metrics of [`crate::metrics`].
//!
//! The report ([`EvalReport`]) is what `stance eval --format json` prints;
//! its schema is documented in the README and versioned by
//! [`SCHEMA_VERSION`].

use crate::article::Article;
use crate::baselines::{keyword_stance, LexiconSentiment};
use crate::classify::{argmax, Probabilities, Task};
use crate::error::{Error, Result};
use crate::labels::{LabelRecord, OutlookRecord};
use crate::metrics::{self, Confusion, ReliabilityBin};
use crate::pipeline::Pipeline;
use crate::speaker::NARRATOR;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Version of the JSON report's schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;
/// Bootstrap resamples for the macro-F1 interval.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// Seed of the bootstrap, fixed so reports are reproducible.
pub const BOOTSTRAP_SEED: u64 = 2026;
/// Confidence bins of the calibration error.
pub const CALIBRATION_BINS: usize = 10;

/// One method's predictions on the evaluated paragraphs (each `None` when
/// the method does not answer that question).
#[derive(Debug, Clone, Default)]
pub struct MethodOutput {
    pub method: String,
    pub stance: Option<Vec<Probabilities>>,
    pub sentiment: Option<Vec<Probabilities>>,
    /// Continuous valence in [-1, 1], for correlation with ratings.
    pub valence: Option<Vec<f64>>,
    pub speaker: Option<Vec<String>>,
    /// The name of the speaker method, when it differs from `method`.
    pub speaker_method: Option<String>,
    /// Whether the method treats each paragraph as boilerplate (excluded
    /// from article scores).
    pub boilerplate: Option<Vec<bool>>,
}

/// The scores of one method on one classification task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskMetrics {
    pub method: String,
    /// Paragraphs with a gold label for the task.
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// 95% bootstrap interval of macro-F1.
    pub macro_f1_ci: [f64; 2],
    pub weighted_f1: f64,
    /// Cohen's kappa between the method and the gold labels.
    pub kappa: f64,
    /// Expected calibration error, 10 bins.
    pub ece: f64,
    pub per_class: Vec<metrics::ClassScores>,
    /// Label order of `confusion`.
    pub labels: Vec<String>,
    /// `confusion[gold][predicted]`.
    pub confusion: Vec<Vec<usize>>,
    pub reliability: Vec<ReliabilityBin>,
    /// Pearson's r between valence and gold ratings (rating data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pearson: Option<f64>,
    /// Spearman's rho between valence and gold ratings (rating data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
}

/// Speaker accuracy of one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerMetrics {
    pub method: String,
    pub n: usize,
    /// Share of paragraphs whose normalised speaker equals the gold one.
    pub accuracy: f64,
}

/// Article-level agreement of one method's scores with the outlook labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleMetrics {
    pub method: String,
    pub n: usize,
    pub spearman: f64,
    pub kendall: f64,
    pub articles: Vec<ArticleScore>,
}

/// One article's score beside its outlook label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleScore {
    pub article: String,
    pub score: f64,
    pub outlook: i8,
}

/// Boilerplate detection against the gold flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoilerplateMetrics {
    pub n: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Everything `stance eval` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub schema_version: u32,
    /// `seeds` (paragraph labels) or `nyt` (sentence ratings).
    pub dataset: String,
    /// Label files or data file read.
    pub sources: Vec<String>,
    /// The encoder the model-based methods used.
    pub encoder: String,
    /// Labelled paragraphs evaluated.
    pub paragraphs: usize,
    pub stance: Vec<TaskMetrics>,
    pub sentiment: Vec<TaskMetrics>,
    pub speakers: Vec<SpeakerMetrics>,
    pub articles: Vec<ArticleMetrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// Scores one method's probabilities against gold label indices.
pub fn task_metrics(task: Task, method: &str, gold: &[usize], probabilities: &[Probabilities]) -> TaskMetrics {
    let labels = task.labels();
    let predicted: Vec<usize> = probabilities.iter().map(argmax).collect();
    let confusion = Confusion::new(labels.len(), gold, &predicted);
    let confidence: Vec<f64> = probabilities.iter().map(|p| p[argmax(p)] as f64).collect();
    let correct: Vec<bool> = gold.iter().zip(&predicted).map(|(g, p)| g == p).collect();
    let (lo, hi) = metrics::bootstrap_macro_f1(labels.len(), gold, &predicted, BOOTSTRAP_RESAMPLES, 0.95, BOOTSTRAP_SEED);
    TaskMetrics {
        method: method.to_owned(),
        n: gold.len(),
        accuracy: confusion.accuracy(),
        macro_f1: confusion.macro_f1(),
        macro_f1_ci: [lo, hi],
        weighted_f1: confusion.weighted_f1(),
        kappa: confusion.kappa(),
        ece: metrics::expected_calibration_error(&confidence, &correct, CALIBRATION_BINS),
        per_class: confusion.class_scores(labels),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        confusion: confusion.counts,
        reliability: metrics::reliability(&confidence, &correct, CALIBRATION_BINS),
        pearson: None,
        spearman: None,
    }
}

/// One-hot probabilities of the most frequent gold label (ties: label order).
pub fn majority(task: Task, gold: &[usize], n: usize) -> Vec<Probabilities> {
    let mut counts = [0usize; 3];
    gold.iter().for_each(|&g| counts[g] += 1);
    let best = (0..3).fold(0, |b, i| if counts[i] > counts[b] { i } else { b });
    let _ = task;
    let mut p = [0.0; 3];
    p[best] = 1.0;
    vec![p; n]
}

/// Speaker names compared case-insensitively, without courtesy titles,
/// punctuation or possessive apostrophe variants.
pub fn normalise_speaker(name: &str) -> String {
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
    pub text: String,
    /// The article it belongs to, when the label names one.
    pub article: Option<String>,
    /// The tool's boilerplate flag for it.
    pub boilerplate: bool,
    pub gold: LabelRecord,
}

/// Builds evaluation items: texts resolved against `articles`, boilerplate
/// flags from the article's segmentation (or the rules, for text labels).
pub fn items(records: Vec<LabelRecord>, articles: &HashMap<String, Article>) -> Result<Vec<EvalItem>> {
    let texts = crate::labels::resolve_texts(&records, articles)?;
    Ok(records
        .into_iter()
        .zip(texts)
        .map(|(gold, text)| {
            let boilerplate = match (&gold.article, gold.paragraph, &gold.text) {
                (Some(a), Some(p), None) => articles[a].paragraphs[p - 1].boilerplate,
                _ => crate::boilerplate::is_boilerplate(&text),
            };
            EvalItem {
                article: if gold.text.is_none() { gold.article.clone() } else { None },
                text,
                boilerplate,
                gold,
            }
        })
        .collect())
}

/// The model-based method: the pipeline's own records for each item.
///
/// Items that point into one of `articles` are classified with their whole
/// article, as `stance classify` would (speaker attribution reads earlier
/// paragraphs); other items are classified on their own.
pub fn pipeline_method(pipeline: &Pipeline, items: &[EvalItem], articles: &HashMap<String, Article>) -> Result<MethodOutput> {
    let mut ids: Vec<&str> = items
        .iter()
        .filter_map(|i| i.article.as_deref())
        .filter(|id| articles.contains_key(*id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut batch: Vec<Article> = ids.iter().map(|id| articles[*id].clone()).collect();
    let standalone = |i: usize| format!("\u{0}item:{i}");
    for (i, item) in items.iter().enumerate() {
        if !item.article.as_deref().is_some_and(|id| articles.contains_key(id)) {
            batch.push(Article {
                id: standalone(i),
                paragraphs: vec![crate::article::Paragraph {
                    index: 1,
                    text: item.text.clone(),
                    boilerplate: item.boilerplate,
                }],
            });
        }
    }
    let all = pipeline.classify(&batch)?;
    let by_key: HashMap<(&str, usize), &crate::record::ParagraphRecord> =
        all.iter().map(|r| ((r.article.as_str(), r.paragraph), r)).collect();
    let keys: Vec<(String, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| match (item.article.as_deref(), item.gold.paragraph) {
            (Some(id), Some(p)) if articles.contains_key(id) => (id.to_owned(), p),
            _ => (standalone(i), 1),
        })
        .collect();
    let records: Vec<crate::record::ParagraphRecord> = keys
        .iter()
        .map(|(id, p)| {
            by_key
                .get(&(id.as_str(), *p))
                .map(|r| (*r).clone())
                .ok_or_else(|| Error::Usage(format!("no paragraph {p} in article {id}")))
        })
        .collect::<Result<_>>()?;
    let (stance_name, _) = pipeline.classifier_names();
    Ok(MethodOutput {
        method: stance_name.to_owned(),
        stance: Some(
            records
                .iter()
                .map(|r| [r.stance_scores.likely as f32, r.stance_scores.unlikely as f32, r.stance_scores.neutral as f32])
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
        speaker: Some(records.iter().map(|r| r.speaker.clone()).collect()),
        speaker_method: Some("attribution-rules".into()),
        boilerplate: Some(items.iter().map(|i| i.boilerplate).collect()),
    })
}

/// The baselines: majority class (of the evaluated gold labels), keyword
/// rules for stance, the VADER lexicon for sentiment, and `narrator` for
/// every speaker.
pub fn baseline_methods(items: &[EvalItem]) -> Vec<MethodOutput> {
    let gold = |task: Task| -> Vec<usize> {
        items
            .iter()
            .filter_map(|i| i.gold.label(task).and_then(|l| task.index_of(l)))
            .collect()
    };
    let n = items.len();
    let lexicon = LexiconSentiment::default();
    let flags: Vec<bool> = items.iter().map(|i| i.boilerplate).collect();
    vec![
        MethodOutput {
            method: "majority".into(),
            stance: Some(majority(Task::Stance, &gold(Task::Stance), n)),
            sentiment: Some(majority(Task::Sentiment, &gold(Task::Sentiment), n)),
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
        let labelled: Vec<(usize, usize)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| item.gold.label(task).and_then(|l| task.index_of(l)).map(|g| (i, g)))
            .collect();
        if labelled.is_empty() {
            continue;
        }
        let gold: Vec<usize> = labelled.iter().map(|&(_, g)| g).collect();
        for m in methods {
            let predictions = match task {
                Task::Stance => &m.stance,
                Task::Sentiment => &m.sentiment,
            };
            let Some(predictions) = predictions else { continue };
            let probabilities: Vec<Probabilities> = labelled.iter().map(|&(i, _)| predictions[i]).collect();
            let row = task_metrics(task, &m.method, &gold, &probabilities);
            match task {
                Task::Stance => report.stance.push(row),
                Task::Sentiment => report.sentiment.push(row),
            }
        }
    }

    let with_speaker: Vec<(usize, String)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| item.gold.speaker.as_ref().map(|s| (i, normalise_speaker(s))))
        .collect();
    if !with_speaker.is_empty() {
        for m in methods {
            let Some(speakers) = &m.speaker else { continue };
            let right = with_speaker
                .iter()
                .filter(|(i, gold)| normalise_speaker(&speakers[*i]) == *gold)
                .count();
            report.speakers.push(SpeakerMetrics {
                method: m.speaker_method.clone().unwrap_or_else(|| m.method.clone()),
                n: with_speaker.len(),
                accuracy: right as f64 / with_speaker.len() as f64,
            });
        }
    }

    if !outlooks.is_empty() {
        for m in methods {
            if let Some(row) = article_metrics(m, items, outlooks) {
                report.articles.push(row);
            }
        }
    }

    let flagged: Vec<(bool, bool)> = items
        .iter()
        .filter_map(|i| i.gold.boilerplate.map(|g| (g, i.boilerplate)))
        .collect();
    if !flagged.is_empty() {
        let tp = flagged.iter().filter(|(g, p)| *g && *p).count() as f64;
        let predicted = flagged.iter().filter(|(_, p)| *p).count() as f64;
        let actual = flagged.iter().filter(|(g, _)| *g).count() as f64;
        let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
        let recall = if actual > 0.0 { tp / actual } else { 0.0 };
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        report.boilerplate = Some(BoilerplateMetrics {
            n: flagged.len(),
            precision,
            recall,
            f1,
        });
    }
    report
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
                score: crate::record::round_score(sum / *n as f64),
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
pub fn sibling_outlook(labels: &std::path::Path) -> Option<std::path::PathBuf> {
    let sibling = labels.with_file_name(format!("{}-outlook.jsonl", crate::input::file_stem(labels)));
    sibling.is_file().then_some(sibling)
}

/// Evaluates every method on hand-labelled paragraphs: reads the label
/// files and outlooks (default: [`sibling_outlook`] of the first file),
/// looks texts up in the articles under `articles_dir`, and runs the
/// baselines and `pipeline`.
pub fn evaluate_label_files(
    pipeline: &Pipeline,
    label_files: &[std::path::PathBuf],
    outlook: Option<&std::path::Path>,
    articles_dir: &std::path::Path,
) -> Result<EvalReport> {
    let mut records = Vec::new();
    for path in label_files {
        records.extend(crate::labels::read_labels(path)?);
    }
    let outlook = outlook
        .map(std::path::Path::to_owned)
        .or_else(|| label_files.first().and_then(|f| sibling_outlook(f)));
    let outlooks = match &outlook {
        Some(path) => crate::labels::read_outlooks(path)?,
        None => Vec::new(),
    };
    let articles = load_articles(articles_dir)?;
    let items = items(records, &articles)?;
    let mut methods = baseline_methods(&items);
    methods.push(pipeline_method(pipeline, &items, &articles)?);
    let mut sources: Vec<String> = label_files.iter().map(|p| p.display().to_string()).collect();
    sources.extend(outlook.iter().map(|p| p.display().to_string()));
    Ok(evaluate("seeds", sources, &pipeline.encoder().files().id, &items, &outlooks, &methods))
}

/// Loads the articles under `dir` (any layout `stance classify` reads) by id.
pub fn load_articles(dir: &std::path::Path) -> Result<HashMap<String, Article>> {
    let mut articles = HashMap::new();
    for doc in crate::input::Documents::new(&[dir.to_owned()], Default::default()) {
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
        let p = majority(Task::Stance, &[2, 2, 1, 0, 2], 3);
        assert_eq!(p, vec![[0.0, 0.0, 1.0]; 3]);
    }
}

/// Agreement between two label files on one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldAgreement {
    pub field: String,
    /// Paragraphs labelled in both files with this field.
    pub n: usize,
    /// Share of identical labels.
    pub agreement: f64,
    pub kappa: f64,
}

/// Cohen's kappa per field (stance, sentiment, speaker after
/// normalisation, boilerplate) over the paragraphs both files label.
pub fn agreement(a: &[LabelRecord], b: &[LabelRecord]) -> Vec<FieldAgreement> {
    let key = |r: &LabelRecord| match (&r.article, r.paragraph, &r.text) {
        (Some(a), Some(p), _) => format!("{a}#{p}"),
        (_, _, Some(t)) => t.clone(),
        _ => String::new(),
    };
    let by_key: HashMap<String, &LabelRecord> = b.iter().map(|r| (key(r), r)).collect();
    let pairs: Vec<(&LabelRecord, &LabelRecord)> = a.iter().filter_map(|r| by_key.get(&key(r)).map(|s| (r, *s))).collect();
    type Field = fn(&LabelRecord) -> Option<String>;
    let fields: [(&str, Field); 4] = [
        ("stance", |r| r.stance.clone()),
        ("sentiment", |r| r.sentiment.clone()),
        ("speaker", |r| r.speaker.as_deref().map(normalise_speaker)),
        ("boilerplate", |r| r.boilerplate.map(|b| b.to_string())),
    ];
    fields
        .iter()
        .filter_map(|(name, get)| {
            let both: Vec<(String, String)> = pairs.iter().filter_map(|(x, y)| Some((get(x)?, get(y)?))).collect();
            if both.is_empty() {
                return None;
            }
            let mut categories: Vec<&String> = both.iter().flat_map(|(x, y)| [x, y]).collect();
            categories.sort();
            categories.dedup();
            let index = |s: &String| categories.binary_search(&s).expect("collected above");
            let gold: Vec<usize> = both.iter().map(|(x, _)| index(x)).collect();
            let other: Vec<usize> = both.iter().map(|(_, y)| index(y)).collect();
            let confusion = Confusion::new(categories.len(), &gold, &other);
            Some(FieldAgreement {
                field: name.to_string(),
                n: both.len(),
                agreement: confusion.accuracy(),
                kappa: confusion.kappa(),
            })
        })
        .collect()
}
