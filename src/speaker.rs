//! Who voices a paragraph: a first, rule-based attribution.
//!
//! Finds a named source next to a speech verb ("Trump said", "said Moon
//! Seong Mook", "according to Hong Min") and strips courtesy titles. Anything
//! else — the reporter's own account, or a pronoun whose referent lies in an
//! earlier paragraph — is `narrator` for now.

use regex::Regex;
use std::sync::OnceLock;

/// The speaker of a paragraph told in the reporter's own voice.
pub const NARRATOR: &str = "narrator";

/// Verbs that introduce speech or a statement.
const SPEECH_VERBS: &str =
    "said|says|told|tells|warned|warns|vowed|vows|stated|states|added|adds|remarked|noted|argued|insisted|claimed|wrote|reported";

/// Words that start sentences but never name a speaker.
const NOT_NAMES: &[&str] = &[
    "The", "A", "An", "It", "He", "She", "They", "We", "I", "You", "This", "That", "These", "Those",
    "But", "And", "When", "While", "After", "Before", "In", "On", "At", "As", "If", "Mr", "Mr.", "Ms",
    "Ms.", "Mrs", "Mrs.", "Dr", "Dr.", "President",
];

/// Courtesy titles dropped from names.
const TITLES: &[&str] = &["Mr.", "Mr", "Ms.", "Ms", "Mrs.", "Mrs", "Dr.", "Dr", "President"];

// A name: one to four capitalised words, optionally joined by a possessive
// ("North Korea's Foreign Ministry").
const NAME: &str = r"(?:(?:Mr|Ms|Mrs|Dr)\.?\s+)?\p{Lu}[\p{L}.\-]*(?:(?:['’]s)?\s+\p{Lu}[\p{L}.\-]*){0,4}";

fn patterns() -> &'static [Regex] {
    static PATTERNS: OnceLock<Vec<Regex>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            // "...," said Moon Seong Mook / ...” said Trump
            format!(r#"[”"’]\s*,?\s*(?:{SPEECH_VERBS})\s+(?P<name>{NAME})"#),
            // "...," Trump said
            format!(r#"[”"’]\s*,?\s*(?P<name>{NAME})\s+(?:{SPEECH_VERBS})\b"#),
            // according to Hong Min
            format!(r"\baccording to\s+(?P<name>{NAME})"),
            // Trump said / North Korea's Foreign Ministry said
            format!(r"(?P<name>{NAME})\s+(?:{SPEECH_VERBS})\b"),
            // ..., said Bruce Klingner, a former analyst
            format!(r"\b(?:{SPEECH_VERBS})\s+(?P<name>{NAME})"),
        ]
        .iter()
        .map(|p| Regex::new(p).expect("speaker patterns are valid"))
        .collect()
    })
}

/// The speaker of `paragraph`, or [`NARRATOR`].
pub fn attribute(paragraph: &str) -> String {
    for pattern in patterns() {
        for caps in pattern.captures_iter(paragraph) {
            if let Some(name) = clean_name(&caps["name"]) {
                return name;
            }
        }
    }
    NARRATOR.to_owned()
}

fn clean_name(raw: &str) -> Option<String> {
    let mut words: Vec<&str> = raw.split_whitespace().collect();
    while words.first().is_some_and(|w| TITLES.contains(w)) && words.len() > 1 {
        words.remove(0);
    }
    let first = *words.first()?;
    if NOT_NAMES.contains(&first) {
        return None;
    }
    Some(words.join(" ").trim_end_matches(['.', ',']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_sources() {
        assert_eq!(attribute("“We will talk,” Trump said on Monday."), "Trump");
        assert_eq!(attribute("\"No deal yet,\" said Ana Lopez, an analyst at a think tank."), "Ana Lopez");
        assert_eq!(attribute("Mr. Lee said the envoy would travel to Hanoi."), "Lee");
        assert_eq!(attribute("Talks may wait, according to Hong Min of a research institute."), "Hong Min");
        assert_eq!(
            attribute("North Korea’s Foreign Ministry said the drills were a provocation."),
            "North Korea’s Foreign Ministry"
        );
    }

    #[test]
    fn narrator_when_no_named_source() {
        assert_eq!(attribute("The envoys met twice in 2019."), NARRATOR);
        assert_eq!(attribute("“It will take time,” he said."), NARRATOR);
        assert_eq!(attribute("The talks, he said, would resume."), NARRATOR);
    }
}
