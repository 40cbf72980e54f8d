//! The speaker suite: short documents written in many news styles, each
//! paragraph with its gold speaker, role, quotations and the pattern family
//! it tests (`eval/labels/speakers-*.jsonl`, format in eval/README.md).
//!
//! Scoring needs no encoder: the attributor reads each document whole, as
//! it reads an article, and its speakers are compared with the gold ones
//! after the same normalisation the paragraph labels get (case, titles,
//! punctuation). The report gives accuracy overall, per family and per
//! source style, narrator precision and recall, and per-quotation speaker
//! accuracy, so a regression in one pattern shows even when the total
//! holds.

use super::normalise_speaker;
use crate::error::{Error, Result};
use crate::metrics::bootstrap_accuracy;
use crate::speaker::{Attribution, NARRATOR};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One quotation with its speaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldQuote {
    /// The characters between the quotation marks.
    pub text: String,
    /// Who says it, normalised as the guide says.
    pub speaker: String,
}

/// One paragraph of the suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerCase {
    /// The document (a short article) the paragraph belongs to.
    pub doc: String,
    /// 1-based position in the document.
    pub paragraph: usize,
    /// The source style imitated (`ap`, `kcna`, `liveblog`, …).
    pub style: String,
    /// The attribution pattern the paragraph tests.
    pub family: String,
    /// The paragraph.
    pub text: String,
    /// Gold speaker, or `narrator`.
    pub speaker: String,
    /// What the text says the speaker is, if it does.
    #[serde(default)]
    pub role: Option<String>,
    /// Every quotation, in order.
    #[serde(default)]
    pub quotes: Vec<GoldQuote>,
}

/// Reads suite files; every problem is an error naming the file and line:
/// malformed JSON, a missing field, an empty speaker, a quotation that is
/// not in its paragraph, or paragraphs not numbered 1, 2, … within a
/// document.
pub fn read_suite(paths: &[PathBuf]) -> Result<Vec<SpeakerCase>> {
    let mut cases = Vec::new();
    for path in paths {
        let text = crate::data::labels::read_text(path)?;
        let before = cases.len();
        let mut next: BTreeMap<String, usize> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let err = |m: String| Error::input(path, Some(i + 1), m);
            let case: SpeakerCase = serde_json::from_str(line).map_err(|e| err(format!("not a speaker case: {e}")))?;
            check_case(&case, &mut next).map_err(err)?;
            cases.push(case);
        }
        if cases.len() == before {
            return Err(Error::input(path, None, "speaker suite file holds no cases"));
        }
    }
    Ok(cases)
}

fn check_case(case: &SpeakerCase, next: &mut BTreeMap<String, usize>) -> std::result::Result<(), String> {
    for (field, value) in [("doc", &case.doc), ("speaker", &case.speaker), ("family", &case.family)] {
        if value.trim().is_empty() {
            return Err(format!("\"{field}\" must not be empty"));
        }
    }
    let expected = next.entry(case.doc.clone()).or_insert(1);
    if case.paragraph != *expected {
        return Err(format!("{} paragraph {} where {} was expected", case.doc, case.paragraph, expected));
    }
    *expected += 1;
    for q in &case.quotes {
        if q.text.is_empty() || !case.text.contains(&q.text) {
            return Err(format!("quotation {:?} is not in the paragraph", q.text));
        }
        if q.speaker.trim().is_empty() {
            return Err(format!("quotation {:?} has an empty speaker", q.text));
        }
    }
    Ok(())
}

/// Accuracy over one slice of the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SliceScore {
    /// The family or style.
    pub name: String,
    /// Paragraphs in it.
    pub n: usize,
    /// Share whose speaker is right.
    pub accuracy: f64,
}

/// How one attributor does on the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeakerSuiteReport {
    /// The attributor (`rules`).
    pub method: String,
    /// Paragraphs scored.
    pub n: usize,
    /// Share of paragraphs whose speaker is right.
    pub accuracy: f64,
    /// 95% bootstrap interval of the accuracy.
    pub accuracy_ci: [f64; 2],
    /// Of paragraphs called `narrator`, the share that are.
    pub narrator_precision: f64,
    /// Of narrator paragraphs, the share called `narrator`.
    pub narrator_recall: f64,
    /// Gold quotations.
    pub quotes: usize,
    /// Share of gold quotations the attributor finds (same text, give or
    /// take the punctuation at its ends).
    pub quotes_found: f64,
    /// Share of gold quotations found and credited to the right speaker.
    /// The record carries one speaker per paragraph, so every quotation of
    /// a paragraph is credited to the paragraph's speaker.
    pub quote_speaker_accuracy: f64,
    /// Accuracy per pattern family, by name.
    pub families: Vec<SliceScore>,
    /// Accuracy per source style, by name.
    pub styles: Vec<SliceScore>,
    /// The paragraphs it gets wrong: (doc, paragraph, gold, predicted).
    pub errors: Vec<(String, usize, String, String)>,
}

/// Runs `attribute_article` over every document and scores it.
pub fn evaluate(
    method: &str,
    cases: &[SpeakerCase],
    attribute_article: impl Fn(&[&str]) -> Vec<Attribution>,
) -> SpeakerSuiteReport {
    let mut docs: BTreeMap<&str, Vec<&SpeakerCase>> = BTreeMap::new();
    for c in cases {
        docs.entry(c.doc.as_str()).or_default().push(c);
    }
    let mut scored: Vec<(&SpeakerCase, Attribution)> = Vec::with_capacity(cases.len());
    for paragraphs in docs.values() {
        let texts: Vec<&str> = paragraphs.iter().map(|c| c.text.as_str()).collect();
        scored.extend(paragraphs.iter().copied().zip(attribute_article(&texts)));
    }
    let right: Vec<bool> =
        scored.iter().map(|(c, a)| normalise_speaker(&c.speaker) == normalise_speaker(&a.speaker)).collect();
    let gold_narrator = |c: &SpeakerCase| c.speaker == NARRATOR;
    let called = scored.iter().filter(|(_, a)| a.is_narrator()).count();
    let called_right = scored.iter().filter(|(c, a)| a.is_narrator() && gold_narrator(c)).count();
    let narrators = scored.iter().filter(|(c, _)| gold_narrator(c)).count();
    let (mut quotes, mut found, mut credited) = (0, 0, 0);
    for (c, a) in &scored {
        let predicted: Vec<String> = a.quote_texts(&c.text).iter().map(|q| trim_quote(q).to_owned()).collect();
        for q in &c.quotes {
            quotes += 1;
            if predicted.iter().any(|p| p == trim_quote(&q.text)) {
                found += 1;
                credited += usize::from(normalise_speaker(&q.speaker) == normalise_speaker(&a.speaker));
            }
        }
    }
    let slices = |key: fn(&SpeakerCase) -> &str| -> Vec<SliceScore> {
        let mut by: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for ((c, _), ok) in scored.iter().zip(&right) {
            let e = by.entry(key(c)).or_default();
            e.0 += 1;
            e.1 += usize::from(*ok);
        }
        by.into_iter().map(|(name, (n, k))| SliceScore { name: name.to_owned(), n, accuracy: ratio(k, n) }).collect()
    };
    SpeakerSuiteReport {
        method: method.to_owned(),
        n: scored.len(),
        accuracy: ratio(right.iter().filter(|&&r| r).count(), right.len()),
        accuracy_ci: bootstrap_accuracy(&right),
        narrator_precision: ratio(called_right, called),
        narrator_recall: ratio(called_right, narrators),
        quotes,
        quotes_found: ratio(found, quotes),
        quote_speaker_accuracy: ratio(credited, quotes),
        families: slices(|c| &c.family),
        styles: slices(|c| &c.style),
        errors: scored
            .iter()
            .zip(&right)
            .filter(|(_, ok)| !**ok)
            .map(|((c, a), _)| (c.doc.clone(), c.paragraph, c.speaker.clone(), a.speaker.clone()))
            .collect(),
    }
}

/// A quotation without the punctuation and spaces at its ends, which
/// writers and the attributor place inside or outside the marks.
fn trim_quote(q: &str) -> &str {
    q.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '…'))
}

fn ratio(k: usize, n: usize) -> f64 {
    crate::metrics::ratio(k as f64, n as f64)
}

/// The reports side by side: the totals, then one row per family and per
/// style, one column per method.
pub fn markdown(reports: &[SpeakerSuiteReport], files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let mut s = format!("# Speaker suite: {}\n\n", names.join(", "));
    let header = |first: &str| {
        let cols: String = reports.iter().map(|r| format!(" {} |", r.method)).collect();
        format!("| {first} | n |{cols}\n|---|---:|{}\n", "---:|".repeat(reports.len()))
    };
    s += &header("measure");
    let Some(first) = reports.first() else { return s };
    let row = |name: &str, n: usize, f: &dyn Fn(&SpeakerSuiteReport) -> String| {
        let cols: String = reports.iter().map(|r| format!(" {} |", f(r))).collect();
        format!("| {name} | {n} |{cols}\n")
    };
    s += &row("speaker accuracy", first.n, &|r| {
        format!("{:.3} [{:.3}, {:.3}]", r.accuracy, r.accuracy_ci[0], r.accuracy_ci[1])
    });
    s += &row("narrator precision", first.n, &|r| format!("{:.3}", r.narrator_precision));
    s += &row("narrator recall", first.n, &|r| format!("{:.3}", r.narrator_recall));
    s += &row("quotations found", first.quotes, &|r| format!("{:.3}", r.quotes_found));
    s += &row("quotation speaker", first.quotes, &|r| format!("{:.3}", r.quote_speaker_accuracy));
    for (title, slices) in [("family", 0), ("style", 1)] {
        s += &format!("\n## Speaker accuracy by {title}\n\n");
        s += &header(title);
        let pick = |r: &SpeakerSuiteReport| if slices == 0 { r.families.clone() } else { r.styles.clone() };
        for (i, slice) in pick(first).iter().enumerate() {
            s += &row(&slice.name, slice.n, &|r| format!("{:.3}", pick(r)[i].accuracy));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("speakers.jsonl");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const CASE: &str = r#"{"doc":"d","paragraph":1,"style":"ap","family":"quote-last","text":"Ada Quill said: \"We will talk.\"","speaker":"Ada Quill","role":null,"quotes":[{"text":"We will talk.","speaker":"Ada Quill"}]}"#;

    #[test]
    fn bad_suite_lines_name_file_and_line() {
        // The second paragraph of document "d", broken one way at a time.
        let next = CASE.replace("\"paragraph\":1", "\"paragraph\":2");
        let cases = [
            ("nope".to_owned(), "speakers.jsonl:2: not a speaker case"),
            (
                CASE.replace("\"paragraph\":1", "\"paragraph\":3"),
                "speakers.jsonl:2: d paragraph 3 where 2 was expected",
            ),
            (
                next.replace("\"text\":\"We will talk.\"", "\"text\":\"Elsewhere\""),
                "speakers.jsonl:2: quotation \"Elsewhere\"",
            ),
            (
                next.replace("\"speaker\":\"Ada Quill\",\"role\"", "\"speaker\":\" \",\"role\""),
                "speakers.jsonl:2: \"speaker\" must not",
            ),
            (CASE.to_owned(), "speakers.jsonl:2: d paragraph 1 where 2 was expected"),
            (next.replace("\"style\"", "\"styel\""), "speakers.jsonl:2: not a speaker case: unknown field `styel`"),
        ];
        for (line, expected) in cases {
            let (_d, path) = write(&format!("{CASE}\n{line}\n"));
            let err = read_suite(&[path]).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
        let (_d, path) = write("\n");
        assert!(read_suite(&[path]).unwrap_err().to_string().contains("holds no cases"));
    }

    #[test]
    fn scores_speakers_narrators_quotes_and_slices() {
        let second = CASE
            .replace("\"paragraph\":1", "\"paragraph\":2")
            .replace("Ada Quill said: \\\"We will talk.\\\"", "Rain fell.")
            .replace("\"speaker\":\"Ada Quill\",\"role\"", "\"speaker\":\"narrator\",\"role\"")
            .replace("\"family\":\"quote-last\"", "\"family\":\"narrator\"")
            .replace(",\"quotes\":[{\"text\":\"We will talk.\",\"speaker\":\"Ada Quill\"}]", "");
        let (_d, path) = write(&format!("{CASE}\n{second}\n"));
        let cases = read_suite(&[path]).unwrap();
        assert_eq!(cases.len(), 2);
        let rules = evaluate("rules", &cases, crate::speaker::attribute_article);
        assert_eq!((rules.n, rules.accuracy, rules.quotes), (2, 1.0, 1));
        assert_eq!((rules.narrator_precision, rules.narrator_recall), (1.0, 1.0));
        assert_eq!((rules.quotes_found, rules.quote_speaker_accuracy), (1.0, 1.0));
        // An attributor that calls everything narrator: half right, the
        // narrator found but diluted, the quotation missed.
        let lazy = evaluate("lazy", &cases, |p: &[&str]| p.iter().map(|_| Attribution::narrator()).collect());
        assert_eq!((lazy.accuracy, lazy.narrator_precision, lazy.narrator_recall), (0.5, 0.5, 1.0));
        assert_eq!(lazy.quotes_found, 0.0);
        assert_eq!(lazy.errors, vec![("d".to_owned(), 1, "Ada Quill".to_owned(), "narrator".to_owned())]);
        let families: Vec<(&str, f64)> = lazy.families.iter().map(|f| (f.name.as_str(), f.accuracy)).collect();
        assert_eq!(families, vec![("narrator", 1.0), ("quote-last", 0.0)]);
        let table = markdown(&[rules, lazy], &[PathBuf::from("s.jsonl")]);
        assert!(table.contains("| quote-last | 1 | 1.000 | 0.000 |"), "{table}");
    }
}
