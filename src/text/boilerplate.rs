//! Boilerplate detection: navigation labels, bylines, credits, sign-up
//! prompts and source lines that news sites wrap around an article.
//!
//! The rules are a table of patterns (written from the labelling guide's
//! examples and common wire-service furniture), so adding a site's furniture
//! is a one-line change. Boilerplate is still output, but never scored.

use regex::RegexSet;
use std::sync::OnceLock;

/// Whole-paragraph patterns, matched against the trimmed paragraph. Most are
/// case-insensitive (`(?i)`); the byline rule is not, because it relies on
/// capitalised names to tell "By Jane Roe" from "By the end of the week".
const PATTERNS: &[&str] = &[
    // Section labels standing alone on a line.
    r"(?i)^(world|u\.?s\.?|politics|business|asia|asia[- ]pacific|europe|americas|africa|middle east|opinion|analysis|technology|science|sports?|world news|national|international|breaking news|live|latest|advertisement|ad|share|save|listen|print)$",
    // Sign-up and follow prompts.
    r"(?i)^sign up\b.*",
    r"(?i)^(subscribe|follow us|follow)\b.{0,80}$",
    r"(?i)^(click|tap) here\b.*",
    r"(?i)^(read more|related|see also|more on this story|recommended)\b.{0,120}$",
    // Credits and bylines.
    r"(?i)^(reporting|additional reporting|writing|editing|compiled|produced) by\b.*",
    r"^(?i:by)\s+[\p{Lu}][\w.'’-]*(\s+[\p{Lu}][\w.'’-]*){0,3}(\s*(,|and|&)\s*[\p{Lu}][\w.'’-]*(\s+[\p{Lu}][\w.'’-]*){0,3})*\.?$",
    r"(?i)^article by\s*:.*",
    r"(?i)^source\s*:.{0,80}$",
    r"(?i)^(photo|image|video|credit|graphic)s?\s*(by|:).{0,120}$",
    // Standards, copyright and link furniture.
    r"(?i).*\btrust principles\b.*",
    r"(?i)^our standards\s*:.*",
    r"(?i)^(copyright|©|\(c\)).{0,160}$",
    r"(?i).*\ball rights reserved\.?$",
    r"(?i)^opens new tab$",
];

fn rules() -> &'static RegexSet {
    static RULES: OnceLock<RegexSet> = OnceLock::new();
    RULES.get_or_init(|| RegexSet::new(PATTERNS).expect("boilerplate patterns are valid regexes"))
}

/// True when the paragraph is site furniture rather than article content.
pub(crate) fn is_boilerplate(paragraph: &str) -> bool {
    let text = paragraph.trim();
    if text.is_empty() {
        return true;
    }
    rules().is_match(text)
}

#[cfg(test)]
mod tests {
    use super::is_boilerplate;

    #[test]
    fn flags_site_furniture() {
        for text in [
            "World",
            "Sign up here.",
            "Reporting by Josh Smith; Additional reporting by Jane Roe in Washington; Editing by Ann Lee.",
            "Article by:Source:",
            "Our Standards: The Thomson Reuters Trust Principles., opens new tab",
            "By Jane Roe and John Doe",
            "Editing by Lincoln Feast.",
            "Copyright 2025 The Associated Press. All rights reserved.",
        ] {
            assert!(is_boilerplate(text), "should be boilerplate: {text}");
        }
    }

    #[test]
    fn keeps_content_headings_and_sentences() {
        for text in [
            "Trump hints at return to negotiations with Kim",
            "UPSIDES FOR NORTH KOREA?",
            "World leaders gathered in Geneva to discuss the ceasefire.",
            "By the end of the week, envoys had met twice.",
            "Kim Jong Un boasts expanded missile arsenal, closer ties with Russia",
            "by then the envoys had left",
        ] {
            assert!(!is_boilerplate(text), "should be content: {text}");
        }
    }
}
