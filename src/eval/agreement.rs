//! Agreement between two label files: Cohen's kappa per field, for blind
//! second passes.

use super::normalise_speaker;
use crate::data::labels::LabelRecord;
use crate::metrics::Confusion;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Agreement between two label files on one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldAgreement {
    /// The label field compared.
    pub field: String,
    /// Paragraphs labelled in both files with this field.
    pub n: usize,
    /// Share of identical labels.
    pub agreement: f64,
    /// Cohen's kappa: agreement beyond chance.
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
    let pairs: Vec<(&LabelRecord, &LabelRecord)> =
        a.iter().filter_map(|r| by_key.get(&key(r)).map(|s| (r, *s))).collect();
    type Field = fn(&LabelRecord) -> Option<String>;
    let fields: [(&str, Field); 4] = [
        ("stance", |r| r.stance.map(|l| l.to_string())),
        ("sentiment", |r| r.sentiment.map(|l| l.to_string())),
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
