//! Sentiment on the NYT editorial snippets' test split (the data is read
//! by [`crate::data::nyt`]).

use crate::data::labels::LabelRecord;
use crate::data::nyt::{read, Split};
use crate::error::{Error, Result};
use crate::eval::{self, EvalItem, EvalReport, MethodOutput};
use crate::metrics;
use std::path::Path;

/// Evaluates sentiment on the test split: the majority class of the train
/// split, the lexicon, and the `models`, with 3-class
/// metrics and Pearson/Spearman of valence against the ratings.
pub fn evaluate(path: &Path, models: Option<&eval::Models>) -> Result<EvalReport> {
    let test = read(path, Split::Test)?;
    let train = read(path, Split::Train)?;
    if test.is_empty() {
        return Err(Error::input(path, None, "no test-split sentences"));
    }
    let items: Vec<EvalItem> = test
        .iter()
        .map(|s| EvalItem {
            text: s.text.clone(),
            article: None,
            boilerplate: false,
            gold: LabelRecord {
                article: None,
                paragraph: None,
                text: Some(s.text.clone()),
                stance: None,
                sentiment: Some(s.class()),
                speaker: None,
                boilerplate: None,
                origin: (path.to_owned(), 0),
            },
        })
        .collect();

    let train_gold: Vec<usize> = train.iter().map(|s| s.class().index()).collect();
    let lexicon = crate::eval::baselines::LexiconSentiment::default();
    let mut methods = vec![
        MethodOutput {
            method: "majority".into(),
            sentiment: Some(eval::majority(&train_gold, items.len())),
            ..Default::default()
        },
        MethodOutput {
            method: "lexicon".into(),
            sentiment: Some(items.iter().map(|i| lexicon.classify(&i.text)).collect()),
            valence: Some(items.iter().map(|i| lexicon.valence(&i.text)).collect()),
            ..Default::default()
        },
    ];
    let mut encoder = String::from("-");
    if let Some(models) = models {
        // The ratings are of whole sentences: score them whole.
        let whole = eval::Models {
            encoder: models.encoder,
            batch_size: models.batch_size,
            sets: models.sets.clone(),
            score_quotes: false,
        };
        methods.extend(eval::model_methods(&whole, &items, &Default::default())?);
        encoder = models.encoder.files().id.clone();
    }
    let mut report =
        eval::evaluate("nyt", vec![format!("{} (test split)", path.display())], &encoder, &items, &[], &methods);
    let ratings: Vec<f64> = test.iter().map(|s| s.rating).collect();
    for row in &mut report.sentiment {
        let valence = methods
            .iter()
            .find(|m| m.sentiment_method.as_deref().unwrap_or(&m.method) == row.method)
            .and_then(|m| m.valence.as_ref());
        if let Some(v) = valence {
            row.pearson = Some(metrics::pearson(v, &ratings));
            row.spearman = Some(metrics::spearman(v, &ratings));
        }
    }
    Ok(report)
}
