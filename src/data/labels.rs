//! Hand-label files (JSON Lines, as the labelling guide defines them).
//!
//! A paragraph record names its paragraph by `article` + `paragraph` (the
//! text is looked up in the articles) or carries its own `text`. Every
//! problem is an error naming the file and line: malformed JSON, a missing
//! or mistyped field, an unknown label value, a duplicate paragraph, or a
//! paragraph number the article does not have.

use crate::error::{Error, Result};
use crate::label::{Label, SentimentLabel, StanceLabel, Task};
use crate::text::article::Article;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One labelled paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRecord {
    /// The article's id (its file stem), when the record names a paragraph of an article.
    pub article: Option<String>,
    /// 1-based paragraph number within the article.
    pub paragraph: Option<usize>,
    /// The paragraph's own text, when the record carries it.
    pub text: Option<String>,
    /// Gold stance label.
    pub stance: Option<StanceLabel>,
    /// Gold sentiment label.
    pub sentiment: Option<SentimentLabel>,
    /// Gold speaker, normalised as the guide says.
    pub speaker: Option<String>,
    /// Whether the paragraph is site furniture.
    pub boilerplate: Option<bool>,
    /// Where the record was read: file and 1-based line.
    pub origin: (PathBuf, usize),
}

impl LabelRecord {
    /// The gold label of `task`, as its position in the task's
    /// probability vectors, if the record has one.
    pub fn label_index(&self, task: Task) -> Option<usize> {
        match task {
            Task::Stance => self.stance.map(Label::index),
            Task::Sentiment => self.sentiment.map(Label::index),
        }
    }
}

/// An article-level outlook label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlookRecord {
    /// The article's id.
    pub article: String,
    /// -2 (engagement very unlikely) .. +2 (very likely).
    pub outlook: i8,
}

/// Reads a paragraph label file.
pub fn read_labels(path: &Path) -> Result<Vec<LabelRecord>> {
    let text = read_text(path)?;
    let mut records = Vec::new();
    let mut seen: HashSet<(String, usize)> = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let err = |m: String| Error::input(path, Some(line_no), m);
        let object = parse_object(line).map_err(&err)?;
        let record = LabelRecord {
            article: optional_string(&object, "article").map_err(&err)?,
            paragraph: optional_index(&object, "paragraph").map_err(&err)?,
            text: optional_string(&object, "text").map_err(&err)?,
            stance: optional_label(&object).map_err(&err)?,
            sentiment: optional_label(&object).map_err(&err)?,
            speaker: optional_string(&object, "speaker").map_err(&err)?,
            boilerplate: match object.get("boilerplate") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(_) => return Err(err("\"boilerplate\" must be true or false".into())),
            },
            origin: (path.to_owned(), line_no),
        };
        match (&record.article, record.paragraph, &record.text) {
            (Some(article), Some(paragraph), _) => {
                if !seen.insert((article.clone(), paragraph)) {
                    return Err(err(format!("duplicate label for {article} paragraph {paragraph}")));
                }
            }
            (_, _, Some(_)) => {}
            _ => return Err(err("a label needs \"article\" and \"paragraph\", or its own \"text\"".into())),
        }
        if record.stance.is_none() && record.sentiment.is_none() {
            return Err(err("a label needs \"stance\" or \"sentiment\"".into()));
        }
        records.push(record);
    }
    if records.is_empty() {
        return Err(Error::input(path, None, "label file holds no records"));
    }
    Ok(records)
}

/// Reads an article outlook file.
pub fn read_outlooks(path: &Path) -> Result<Vec<OutlookRecord>> {
    let text = read_text(path)?;
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |m: String| Error::input(path, Some(i + 1), m);
        let object = parse_object(line).map_err(&err)?;
        let article = optional_string(&object, "article")
            .map_err(&err)?
            .ok_or_else(|| err("an outlook needs \"article\"".into()))?;
        let outlook = match object.get("outlook").and_then(Value::as_i64) {
            Some(o) if (-2..=2).contains(&o) => o as i8,
            Some(o) => return Err(err(format!("\"outlook\" must be -2..2, found {o}"))),
            None => return Err(err("an outlook needs an integer \"outlook\"".into())),
        };
        if !seen.insert(article.clone()) {
            return Err(err(format!("duplicate outlook for {article}")));
        }
        records.push(OutlookRecord { article, outlook });
    }
    Ok(records)
}

/// The text of each record: its own `text`, or the named paragraph of the
/// named article. An unknown article or paragraph is an error at the
/// record's line.
pub fn resolve_texts(records: &[LabelRecord], articles: &HashMap<String, Article>) -> Result<Vec<String>> {
    records
        .iter()
        .map(|r| {
            if let Some(text) = &r.text {
                return Ok(text.clone());
            }
            let (path, line) = &r.origin;
            let (article, paragraph) = (r.article.as_deref().unwrap_or(""), r.paragraph.unwrap_or(0));
            let a = articles
                .get(article)
                .ok_or_else(|| Error::input(path, Some(*line), format!("no article {article:?} among the articles")))?;
            a.paragraphs.get(paragraph.wrapping_sub(1)).map(|p| p.text.clone()).ok_or_else(|| {
                Error::input(
                    path,
                    Some(*line),
                    format!("{article} has {} paragraphs, not {paragraph}", a.paragraphs.len()),
                )
            })
        })
        .collect()
}

/// A label file's text; invalid UTF-8 is an error at its line.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    crate::text::input::decode(&bytes, path, None, false)
}

/// Reads several paragraph label files as one set: a paragraph labelled in
/// two files is a duplicate too (it would be scored twice).
pub fn read_label_files(paths: &[PathBuf]) -> Result<Vec<LabelRecord>> {
    let mut records: Vec<LabelRecord> = Vec::new();
    let mut seen: HashMap<(String, usize), (PathBuf, usize)> = HashMap::new();
    for path in paths {
        for record in read_labels(path)? {
            if let (Some(article), Some(paragraph)) = (&record.article, record.paragraph) {
                if let Some((first, line)) = seen.insert((article.clone(), paragraph), record.origin.clone()) {
                    let (path, here) = &record.origin;
                    return Err(Error::input(
                        path,
                        Some(*here),
                        format!(
                            "duplicate label for {article} paragraph {paragraph} (first in {}:{line})",
                            first.display()
                        ),
                    ));
                }
            }
            records.push(record);
        }
    }
    Ok(records)
}

fn parse_object(line: &str) -> std::result::Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err("a label must be a JSON object".into()),
        Err(e) => Err(crate::text::input::json_error(&e)),
    }
}

fn optional_string(o: &Map<String, Value>, key: &str) -> std::result::Result<Option<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(format!("\"{key}\" must be a non-empty string")),
    }
}

fn optional_index(o: &Map<String, Value>, key: &str) -> std::result::Result<Option<usize>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Ok(Some(n as usize)),
            _ => Err(format!("\"{key}\" must be a positive integer")),
        },
    }
}

/// The label under the task's own key ("stance", "sentiment").
fn optional_label<L: Label>(o: &Map<String, Value>) -> std::result::Result<Option<L>, String> {
    match optional_string(o, L::TASK.name())? {
        None => Ok(None),
        Some(label) => label.parse().map(Some).map_err(|e: crate::label::UnknownLabel| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("labels.jsonl");
        std::fs::write(&path, text).unwrap();
        (tmp, path)
    }

    #[test]
    fn reads_guide_records() {
        let (_t, path) = write(concat!(
            r#"{"article": "a", "paragraph": 1, "stance": "likely", "speaker": "Kim Jong Un", "sentiment": "positive", "boilerplate": false}"#,
            "\n\n",
            r#"{"text": "Talks resumed.", "stance": "likely"}"#,
            "\n"
        ));
        let records = read_labels(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].sentiment, Some(SentimentLabel::Positive));
        assert_eq!(records[0].label_index(Task::Sentiment), Some(0));
        assert_eq!(records[1].origin.1, 3);
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            ("{\"article\": \"a\", \"paragraph\": 1, \"stance\": \"maybe\"}", "labels.jsonl:1: unknown stance label \"maybe\""),
            ("{\"article\": \"a\", \"paragraph\": 0, \"stance\": \"likely\"}", "labels.jsonl:1: \"paragraph\" must be a positive integer"),
            ("{\"stance\": \"likely\"}", "labels.jsonl:1: a label needs \"article\" and \"paragraph\""),
            ("{\"article\": \"a\", \"paragraph\": 1}", "labels.jsonl:1: a label needs \"stance\" or \"sentiment\""),
            ("{oops", "labels.jsonl:1: not valid JSON"),
            (
                "{\"article\": \"a\", \"paragraph\": 1, \"stance\": \"likely\"}\n{\"article\": \"a\", \"paragraph\": 1, \"stance\": \"neutral\"}",
                "labels.jsonl:2: duplicate label for a paragraph 1",
            ),
            ("{\"article\": \"a\", \"paragraph\": 1, \"stance\": \"likely\", \"boilerplate\": \"no\"}", "labels.jsonl:1: \"boilerplate\" must be true or false"),
        ];
        for (text, expected) in cases {
            let (_t, path) = write(text);
            let err = read_labels(&path).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
    }

    #[test]
    fn unknown_paragraphs_are_errors_at_their_line() {
        let (_t, path) = write("{\"article\": \"a\", \"paragraph\": 3, \"stance\": \"likely\"}\n");
        let records = read_labels(&path).unwrap();
        let mut articles = HashMap::new();
        articles.insert("a".to_owned(), Article::from_text("a", "One.\nTwo."));
        let err = resolve_texts(&records, &articles).unwrap_err().to_string();
        assert!(err.contains("labels.jsonl:1: a has 2 paragraphs, not 3"), "{err}");
        articles.clear();
        let err = resolve_texts(&records, &articles).unwrap_err().to_string();
        assert!(err.contains("no article \"a\""), "{err}");
    }

    #[test]
    fn duplicates_across_files_and_bad_utf8_are_errors() {
        let (tmp, first) = write("{\"article\": \"a\", \"paragraph\": 1, \"stance\": \"likely\"}\n");
        let second = tmp.path().join("more.jsonl");
        std::fs::write(&second, "{\"text\": \"x\", \"stance\": \"likely\"}\n{\"article\": \"a\", \"paragraph\": 1, \"sentiment\": \"positive\"}\n").unwrap();
        let err = read_label_files(&[first.clone(), second]).unwrap_err().to_string();
        assert!(err.contains("more.jsonl:2: duplicate label for a paragraph 1 (first in "), "{err}");
        assert!(err.ends_with("labels.jsonl:1)"), "{err}");

        std::fs::write(&first, b"{\"text\": \"ok\", \"stance\": \"likely\"}\n{\"text\": \"\xff\"}\n").unwrap();
        let err = read_labels(&first).unwrap_err().to_string();
        assert!(err.contains("labels.jsonl:2: not valid UTF-8"), "{err}");
    }

    #[test]
    fn outlooks_are_checked() {
        let (_t, path) = write("{\"article\": \"a\", \"outlook\": -2}\n{\"article\": \"b\", \"outlook\": 3}\n");
        let err = read_outlooks(&path).unwrap_err().to_string();
        assert!(err.contains("labels.jsonl:2: \"outlook\" must be -2..2"), "{err}");
    }
}
