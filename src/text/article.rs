//! Articles and their segmentation into paragraphs.
//!
//! Two layouts are recognised, because news text arrives in both:
//!
//! * **one paragraph per line** (the seeds' convention, and what most
//!   scrapers write): every non-empty line is a paragraph;
//! * **blank-line paragraphs** (Markdown, hand-wrapped text): when a blank
//!   line separates two non-empty lines anywhere in the file, paragraphs are
//!   the blocks between blank lines and the wrapped lines inside a block are
//!   joined with a space. Markdown headings and list items still start a
//!   paragraph of their own, so a bullet list is not glued into one line.
//!
//! Paragraphs are numbered from 1, counting only non-empty paragraphs, which
//! is the numbering the labelling guide and the label files use.

use crate::text::boilerplate;

/// One paragraph of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// 1-based position among the article's paragraphs.
    pub index: usize,
    /// The paragraph's text, trimmed of surrounding white space.
    pub text: String,
    /// Navigation, byline, sign-up prompt or source line: still reported,
    /// never counted toward the article's score.
    pub boilerplate: bool,
}

/// A segmented article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The article id: a file's stem, or a JSONL record's `id`.
    pub id: String,
    /// Its paragraphs, in order.
    pub paragraphs: Vec<Paragraph>,
}

impl Article {
    /// Segments `text` into paragraphs and flags boilerplate.
    pub fn from_text(id: impl Into<String>, text: &str) -> Article {
        let paragraphs = segment(text)
            .into_iter()
            .enumerate()
            .map(|(i, text)| Paragraph { index: i + 1, boilerplate: boilerplate::is_boilerplate(&text), text })
            .collect();
        Article { id: id.into(), paragraphs }
    }
}

/// Splits an article's text into paragraphs (see the module docs for the
/// two layouts). Accepts a UTF-8 BOM and CRLF or CR line ends.
pub fn segment(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split(['\n', '\r']).collect();
    // `split` on "\r\n" yields an empty piece between \r and \n; that empty
    // piece must not count as a blank separator line, so decide the layout on
    // CR-normalised text instead.
    let normalised;
    let lines = if text.contains('\r') {
        normalised = text.replace("\r\n", "\n").replace('\r', "\n");
        normalised.split('\n').collect::<Vec<_>>()
    } else {
        lines
    };

    if !has_blank_separator(&lines) {
        return lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    }

    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, paragraphs: &mut Vec<String>| {
        if !current.is_empty() {
            paragraphs.push(std::mem::take(current));
        }
    };
    let mut previous_was_heading = false;
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            flush(&mut current, &mut paragraphs);
            previous_was_heading = false;
            continue;
        }
        let structural = starts_markdown_block(line);
        if structural || previous_was_heading {
            flush(&mut current, &mut paragraphs);
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
        previous_was_heading = line.starts_with('#');
    }
    flush(&mut current, &mut paragraphs);
    paragraphs
}

/// True when some blank line lies between two non-empty lines.
fn has_blank_separator(lines: &[&str]) -> bool {
    let mut seen_text = false;
    let mut blank_after_text = false;
    for line in lines {
        if line.trim().is_empty() {
            blank_after_text |= seen_text;
        } else {
            if blank_after_text {
                return true;
            }
            seen_text = true;
        }
    }
    false
}

/// Markdown headings and list items begin a paragraph of their own.
fn starts_markdown_block(line: &str) -> bool {
    if line.starts_with('#') {
        return true;
    }
    for bullet in ["- ", "* ", "+ ", "• ", "– "] {
        if line.starts_with(bullet) {
            return true;
        }
    }
    // "1. " or "1) "
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    digits > 0
        && digits < 4
        && matches!(line[digits..].chars().next(), Some('.') | Some(')'))
        && line[digits + 1..].starts_with(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_paragraph_per_line() {
        let text = "First paragraph.\nSecond one.\nThird.";
        assert_eq!(segment(text), vec!["First paragraph.", "Second one.", "Third."]);
    }

    #[test]
    fn trailing_and_leading_blank_lines_do_not_switch_layout() {
        let text = "\n\nOne.\nTwo.\n\n\n";
        assert_eq!(segment(text), vec!["One.", "Two."]);
    }

    #[test]
    fn a_whitespace_only_line_between_text_is_a_separator() {
        let text = "First paragraph.\nSecond one.\n \t\nThird.";
        assert_eq!(segment(text), vec!["First paragraph. Second one.", "Third."]);
    }

    #[test]
    fn blank_line_paragraphs_join_wrapped_lines() {
        let text = "The talks resumed on\nMonday in Geneva.\n\nBoth sides said\nlittle.\n";
        assert_eq!(segment(text), vec!["The talks resumed on Monday in Geneva.", "Both sides said little."]);
    }

    #[test]
    fn markdown_headings_and_bullets_stay_separate() {
        let text = "# Talks resume\nThe envoys met\nagain.\n\n- one point\n- another point\n\n1. first\n2. second";
        assert_eq!(
            segment(text),
            vec!["# Talks resume", "The envoys met again.", "- one point", "- another point", "1. first", "2. second"]
        );
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}Alpha line.\r\nBeta line.\r\n";
        assert_eq!(segment(text), vec!["Alpha line.", "Beta line."]);
        let text = "Alpha\r\nwrapped.\r\n\r\nBeta.\r\n";
        assert_eq!(segment(text), vec!["Alpha wrapped.", "Beta."]);
        let text = "Old Mac\rline ends.";
        assert_eq!(segment(text), vec!["Old Mac", "line ends."]);
    }

    #[test]
    fn empty_and_blank_only() {
        assert!(segment("").is_empty());
        assert!(segment(" \n\t\n\r\n").is_empty());
        assert!(segment("\u{feff}").is_empty());
    }

    #[test]
    fn article_numbers_paragraphs_from_one_and_flags_boilerplate() {
        let a = Article::from_text("x", "World\nKim met Trump.\nSign up here.\n");
        let idx: Vec<usize> = a.paragraphs.iter().map(|p| p.index).collect();
        assert_eq!(idx, vec![1, 2, 3]);
        let flags: Vec<bool> = a.paragraphs.iter().map(|p| p.boilerplate).collect();
        assert_eq!(flags, vec![true, false, true]);
    }

    #[test]
    fn seeds_have_95_paragraphs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
        let mut total = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            total += segment(&text).len();
        }
        assert_eq!(total, 95);
    }
}
