//! Invariants of the text side of the pipeline (segmentation, speaker
//! attribution, JSONL reading), checked by the property tests
//! (`tests/properties.rs`) and by the fuzz target (`fuzz/`), which includes
//! this file by path. Each check panics on a violation, which is what
//! libFuzzer and proptest both treat as a failure.

use crate::text::article::{segment, Article};
use crate::text::input::{Documents, InputOptions};
use std::path::Path;

/// The non-empty lines of `text`, trimmed, as the README defines them:
/// a leading BOM dropped; LF, CRLF and CR all end a line.
pub fn non_empty_lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split(['\n', '\r']).map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// Segmentation keeps every non-empty line's text, in order: a paragraph is
/// one line, or consecutive lines joined by one space, so joining the
/// paragraphs with spaces gives back the lines joined with spaces. No
/// paragraph is empty or carries surrounding white space.
pub fn check_segmentation(text: &str) -> Vec<String> {
    let paragraphs = segment(text);
    for p in &paragraphs {
        assert!(!p.is_empty(), "empty paragraph from {text:?}");
        assert_eq!(p.trim(), p, "untrimmed paragraph from {text:?}");
    }
    assert_eq!(paragraphs.join(" "), non_empty_lines(text).join(" "), "lines lost or changed in {text:?}");
    paragraphs
}

/// Attribution gives one speaker per paragraph, and every quotation span
/// lies inside its paragraph, on character boundaries.
pub fn check_attribution(article: &Article) {
    let found = crate::pipeline::attribute(article);
    assert_eq!(found.len(), article.paragraphs.len());
    for (p, a) in article.paragraphs.iter().zip(&found) {
        assert!(!a.speaker.trim().is_empty(), "empty speaker for {:?}", p.text);
        if a.is_narrator() {
            assert!(a.quotes.is_empty(), "narrator with quotes in {:?}", p.text);
        }
        for span in &a.quotes {
            assert!(span.start <= span.end && span.end <= p.text.len(), "span {span:?} outside {:?}", p.text);
            assert!(
                p.text.is_char_boundary(span.start) && p.text.is_char_boundary(span.end),
                "span {span:?} splits a character of {:?}",
                p.text
            );
        }
        assert_eq!(a.quote_texts(&p.text).len(), a.quotes.len());
        if let Some(role) = &a.role {
            assert!(!role.trim().is_empty(), "empty role for {:?}", p.text);
        }
    }
}

/// One article's text through segmentation and attribution.
pub fn check_article(text: &str) {
    let paragraphs = check_segmentation(text);
    let article = Article::from_text("fuzz", text);
    assert_eq!(article.paragraphs.iter().map(|p| p.text.clone()).collect::<Vec<_>>(), paragraphs);
    for (i, p) in article.paragraphs.iter().enumerate() {
        assert_eq!(p.index, i + 1);
    }
    check_attribution(&article);
}

/// Arbitrary bytes as a JSONL stream: every document or error comes back
/// without a panic, errors name the stream and a line, and each document's
/// text goes through the article checks.
pub fn check_jsonl(bytes: &[u8], lossy: bool) {
    let name = Path::new("fuzz.jsonl");
    let options = InputOptions { lossy, ..Default::default() };
    let lines = bytes.split(|&b| b == b'\n').count();
    let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
    for item in Documents::from_jsonl_reader(reader, name, options) {
        match item {
            Ok(doc) => {
                let line = doc.origin.line.expect("a JSONL document has a line");
                assert!((1..=lines).contains(&line), "line {line} of {lines}");
                assert!(!doc.id.is_empty());
                check_article(&doc.text);
            }
            Err(e) => {
                let message = e.to_string();
                assert!(message.starts_with("fuzz.jsonl:"), "{message}");
                assert!(!message.contains('\n'), "multi-line error {message:?}");
            }
        }
    }
}

/// Everything the fuzz target runs on one input: the bytes as an article
/// (decoded with replacement) and as JSONL, strict and lossy.
pub fn check_bytes(bytes: &[u8]) {
    check_article(&String::from_utf8_lossy(bytes));
    check_jsonl(bytes, false);
    check_jsonl(bytes, true);
}
