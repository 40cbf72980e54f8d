//! Text in: documents from files, directories, JSONL and stdin
//! ([`input`]), their paragraphs ([`article`]) and the site furniture among
//! them ([`boilerplate`]).

pub mod article;
pub mod boilerplate;
pub mod input;

/// Shortens `s` to at most `max` characters, marking the cut with "…".
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
