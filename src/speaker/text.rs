//! The text units attribution works on: quotations, sentences and words,
//! each located by byte offsets into the paragraph so that results can
//! point back into it.

use super::rules::{self, ABBREVIATIONS, CLOSE_QUOTES, OPEN_QUOTES};
use super::Span;

/// The quoted passages of `text`: the words between curly (or guillemet)
/// quotation marks, or between pairs of straight double quotes. A quote
/// left open runs to the end of the paragraph, as news copy does when a
/// quotation continues into the next paragraph. Spans exclude the marks
/// and surrounding white space, and are never empty.
pub fn quotes(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let after = i + c.len_utf8();
        match (open, c) {
            (None, c) if OPEN_QUOTES.contains(&c) || c == '"' => open = Some(after),
            (Some(start), c) if CLOSE_QUOTES.contains(&c) || c == '"' => {
                push_trimmed(text, start, i, &mut spans);
                open = None;
            }
            // A new opening mark inside an open quote: the first was never
            // closed; start again here.
            (Some(_), c) if OPEN_QUOTES.contains(&c) => open = Some(after),
            _ => {}
        }
    }
    if let Some(start) = open {
        push_trimmed(text, start, text.len(), &mut spans);
    }
    spans
}

fn push_trimmed(text: &str, start: usize, end: usize, spans: &mut Vec<Span>) {
    let inner = &text[start..end];
    let lead = inner.len() - inner.trim_start().len();
    let trail = inner.len() - inner.trim_end().len();
    if start + lead < end - trail {
        spans.push(Span { start: start + lead, end: end - trail });
    }
}

/// Words in a span of text.
pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()
}

/// `text` with every quoted passage overwritten by `_`, byte for byte, so
/// that offsets still match but words inside quotations (a speaker's "he
/// wrote me letters") are never read as attribution.
pub(crate) fn mask_quotes(text: &str, quotes: &[Span]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for q in quotes {
        bytes[q.start..q.end].fill(b'_');
    }
    // Whole characters were replaced by ASCII, so this cannot fail; fall
    // back to the original rather than panic if it somehow did.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

/// Sentences of `text` (byte spans). A sentence ends at `.`, `!` or `?`
/// (with any closing quotes or brackets) followed by white space and a
/// capital, digit or opening quote, except after a known abbreviation or
/// an initial ("Mr.", "U.S.", "J.") and never inside a quotation.
pub(crate) fn sentences(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        if OPEN_QUOTES.contains(&c) {
            in_quote = true;
        } else if CLOSE_QUOTES.contains(&c) {
            in_quote = false;
        } else if c == '"' {
            in_quote = !in_quote;
        }
        if matches!(c, '.' | '!' | '?') {
            // Closing marks belong to the sentence that ends here.
            let mut j = k + 1;
            let mut closes_quote = false;
            while j < chars.len() && (CLOSE_QUOTES.contains(&chars[j].1) || matches!(chars[j].1, ')' | '’' | '"')) {
                closes_quote |= chars[j].1 != ')';
                j += 1;
            }
            let quote_state = if closes_quote { false } else { in_quote };
            let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
            let next_starts = chars[j..].iter().skip_while(|(_, ch)| ch.is_whitespace()).map(|&(_, ch)| ch).next();
            let spaced = chars.get(j).is_some_and(|(_, ch)| ch.is_whitespace());
            let opens = next_starts
                .is_some_and(|ch| ch.is_uppercase() || ch.is_numeric() || OPEN_QUOTES.contains(&ch) || ch == '"');
            let abbreviation =
                c == '.' && is_abbreviation(&text[start..i]) && !acronym_ends_sentence(&text[start..i], &text[end..]);
            if spaced && opens && !quote_state && !abbreviation {
                push_trimmed(text, start, end, &mut spans);
                start = end;
                in_quote = false;
            }
            if closes_quote {
                in_quote = false;
            }
            k = j;
            continue;
        }
        k += 1;
    }
    push_trimmed(text, start, text.len(), &mut spans);
    spans
}

/// A dotted acronym ("U.S.") ends a sentence when a function word that
/// only starts sentences ("In", "The", "But") follows it.
fn acronym_ends_sentence(before: &str, after: &str) -> bool {
    let word = before.rsplit(char::is_whitespace).next().unwrap_or("");
    let next = after.split_whitespace().next().unwrap_or("");
    let dotted = word.len() > 1
        && word.chars().filter(|&c| c == '.').count() >= 1
        && word.chars().all(|c| c.is_uppercase() || c == '.');
    let next_lower = next.to_lowercase();
    dotted
        && next.chars().next().is_some_and(char::is_uppercase)
        && rules::contains(rules::NOT_NAME_WORDS, next_lower.trim_end_matches(','))
}

/// Whether the word ending `before` (the text up to a period) is an
/// abbreviation or an initial.
fn is_abbreviation(before: &str) -> bool {
    let word = before.rsplit(|c: char| c.is_whitespace() || c == '(' || OPEN_QUOTES.contains(&c)).next().unwrap_or("");
    let lower = word.to_lowercase();
    let single_capital = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
    single_capital || rules::contains(ABBREVIATIONS, &lower) || lower.contains('.')
}

/// A word or punctuation mark of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte offsets in the paragraph.
    pub start: usize,
    pub end: usize,
    /// The token as written, a trailing period removed unless it is part
    /// of an abbreviation ("U.S." keeps its periods).
    pub text: String,
    /// Lower case, curly apostrophes made straight.
    pub lower: String,
}

impl Token {
    pub(crate) fn is_word(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_alphanumeric)
    }

    pub(crate) fn is_capitalised(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }

    pub fn is(&self, s: &str) -> bool {
        self.lower == s
    }

    /// A closing quotation mark.
    pub(crate) fn is_close_quote(&self) -> bool {
        self.text.chars().next().is_some_and(|c| CLOSE_QUOTES.contains(&c) || c == '"')
    }
}

/// Words and punctuation of `text[span]`. Quoted passages should already be
/// masked: masked runs come out as one `_` token.
pub fn tokens(text: &str, span: Span) -> Vec<Token> {
    let mut out = Vec::new();
    let slice = &text[span.start..span.end];
    let mut iter = slice.char_indices().peekable();
    let in_word = |c: char| c.is_alphanumeric() || matches!(c, '\'' | '’' | '.' | '-' | '_');
    while let Some((i, c)) = iter.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = i + c.len_utf8();
        if in_word(c) && c != '.' {
            while let Some(&(j, d)) = iter.peek() {
                if !in_word(d) {
                    break;
                }
                end = j + d.len_utf8();
                iter.next();
            }
        }
        let mut word = &slice[i..end];
        // A sentence's last period, or a period after a plain word, is
        // punctuation; periods inside a word ("U.S.", "J.") are part of it.
        if word.len() > 1 && word.ends_with('.') && !word[..word.len() - 1].contains('.') && word.chars().count() > 2 {
            word = &word[..word.len() - 1];
            end -= 1;
        }
        let lower = word.to_lowercase().replace('’', "'");
        out.push(Token { start: span.start + i, end: span.start + end, text: word.to_owned(), lower });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(text: &'a str, spans: &[Span]) -> Vec<&'a str> {
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn quotations_curly_straight_and_open() {
        let t = "“We will talk,” she said. He called it \"a good start\" and “it goes on";
        assert_eq!(texts(t, &quotes(t)), ["We will talk,", "a good start", "it goes on"]);
    }

    #[test]
    fn sentences_respect_abbreviations_and_quotes() {
        let t = "Mr. Lee met U.S. envoys. “Talks. More talks,” he said. Donald J. Trump agreed.";
        assert_eq!(
            texts(t, &sentences(t)),
            ["Mr. Lee met U.S. envoys.", "“Talks. More talks,” he said.", "Donald J. Trump agreed."]
        );
        let t = "He met the U.S. President. He left the U.S. In May, he came back.";
        assert_eq!(
            texts(t, &sentences(t)),
            ["He met the U.S. President.", "He left the U.S.", "In May, he came back."]
        );
    }

    #[test]
    fn masking_keeps_offsets() {
        let t = "“Ça va,” dit-il.";
        let q = quotes(t);
        let m = mask_quotes(t, &q);
        assert_eq!(m.len(), t.len());
        assert!(m.contains("__"));
    }

    #[test]
    fn tokens_keep_abbreviations() {
        let t = "The U.S. envoy said.";
        let toks: Vec<String> = tokens(t, Span { start: 0, end: t.len() }).into_iter().map(|t| t.text).collect();
        assert_eq!(toks, ["The", "U.S.", "envoy", "said"]);
    }
}
