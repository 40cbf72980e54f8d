//! Who voices each paragraph of an article, and in which words.
//!
//! Attribution is article-level, because news copy names a source once and
//! then says "he said" or "the former official said" paragraphs later:
//!
//! 1. **Sources.** In each sentence, a speech verb from
//!    `rules::SPEECH_VERBS` ("said", "warned", "expressed concern",
//!    "according to") is paired with its subject, walking back over
//!    auxiliaries and appositives ("Bruce Lee, a former analyst, said"), or
//!    with the name after it ("…,” said Ana Lopez"). Words inside quotation
//!    marks are masked first: they are the speaker's, not the reporter's.
//! 2. **Names** are normalised by `names`: titles and initials dropped,
//!    bodies given their country's adjective ("North Korea's Foreign
//!    Ministry" → "North Korean Foreign Ministry"), groups reduced to plain
//!    nouns ("many experts" → "experts").
//! 3. **References** are resolved against earlier sources: short names to
//!    the fullest form used in the article ("Mr. Hong" → "Hong Min"),
//!    pronouns and definite descriptions to the latest matching source.
//! 4. **The paragraph's speaker** follows the labelling conventions: a
//!    source in a clause that turns the paragraph ("But analysts say …")
//!    wins; otherwise the source of the first sentence's main clause, or of
//!    a direct quotation anywhere; a paragraph that is one unattributed
//!    quotation continues the previous speaker; anything else is the
//!    [`NARRATOR`].

mod names;
pub(crate) mod rules;
pub mod tally;
mod text;

use names::Source;
use rules::{
    APPOSITIVE_OPENERS, AUXILIARIES, CLAUSE_OPENERS, CONCESSIVE_MARKERS, CONTRAST_MARKERS, COPULAS, INVERTING_VERBS,
    MIN_QUOTE_WORDS, NEGATORS, SPEECH_ACT_OBJECTS, SPEECH_ACT_VERBS, SPEECH_VERBS, STATE_PREDICATES, SUBORDINATORS,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use text::Token;

/// The speaker of a paragraph told in the reporter's own voice.
pub const NARRATOR: &str = "narrator";

/// Longest appositive or role read after a name, in tokens.
const MAX_APPOSITIVE_TOKENS: usize = 40;

/// A byte range of a paragraph, on character boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the range's first byte.
    pub start: usize,
    /// Byte offset one past its last byte.
    pub end: usize,
}

/// Who voices one paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// Normalised name, or [`NARRATOR`].
    pub speaker: String,
    /// What the article says the speaker is ("a former CIA analyst now
    /// with the Heritage Foundation"), when it says.
    pub role: Option<String>,
    /// The speaker's own words: the paragraph's quotations (scare quotes of
    /// one or two words left out). Empty for the narrator.
    pub quotes: Vec<Span>,
}

impl Attribution {
    /// The reporter's own account.
    pub fn narrator() -> Attribution {
        Attribution { speaker: NARRATOR.to_owned(), role: None, quotes: Vec::new() }
    }

    /// True when the reporter voices the paragraph.
    pub fn is_narrator(&self) -> bool {
        self.speaker == NARRATOR
    }

    /// The quoted words themselves, looked up in `paragraph` (the text the
    /// attribution was made from).
    pub fn quote_texts(&self, paragraph: &str) -> Vec<String> {
        self.quotes.iter().filter_map(|s| paragraph.get(s.start..s.end)).map(str::to_owned).collect()
    }
}

/// The speaker of a single paragraph read on its own (no earlier
/// paragraphs to resolve "he said" against).
pub fn attribute(paragraph: &str) -> Attribution {
    attribute_article(&[paragraph]).pop().unwrap_or_else(Attribution::narrator)
}

/// The speaker of every paragraph of one article, in order.
pub fn attribute_article(paragraphs: &[&str]) -> Vec<Attribution> {
    ArticleReader::new(paragraphs).read().into_iter().map(|(a, _)| a).collect()
}

/// What sort of source a resolved speaker is, for matching references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Person,
    Body,
    Country,
    Group,
    Anonymous,
}

/// A source after normalisation and reference resolution.
#[derive(Debug, Clone)]
struct Resolved {
    label: String,
    role: Option<String>,
    kind: Kind,
    country: Option<&'static str>,
    generic: bool,
}

/// One speech verb with its source, as found in a sentence.
#[derive(Debug, Clone)]
struct Candidate {
    source: Source,
    role: Option<String>,
    sentence: usize,
    /// The subject clause opens with "but", "however", …
    contrast: bool,
    /// The clause is subordinate: concessive ("though X said …") or
    /// embedded ("… that he had said").
    subordinate: bool,
    /// The source follows the claim ("…, X said."): it frames the sentence.
    postposed: bool,
    /// A real quotation belongs to its clause.
    quoted: bool,
    /// Byte offsets: where the clause (source or verb) starts, and where
    /// the verb ends; used to give quotations to clauses.
    clause_start: usize,
    verb_end: usize,
}

/// Full personal names used in an article, with how often.
#[derive(Debug, Default, Clone)]
struct NameRegistry {
    /// name → (mentions, order of first mention)
    names: HashMap<String, (usize, usize)>,
}

impl NameRegistry {
    fn add(&mut self, name: String) {
        let order = self.names.len();
        self.names.entry(name).or_insert((0, order)).0 += 1;
    }

    /// The fullest name that `short` abbreviates: one that starts or ends
    /// with it, the most mentioned (then the first mentioned).
    fn expand(&self, short: &str) -> Option<String> {
        let words: Vec<&str> = short.split(' ').collect();
        self.names
            .iter()
            .filter(|(full, _)| {
                let f: Vec<&str> = full.split(' ').collect();
                f.len() > words.len() && (f.starts_with(&words) || f.ends_with(&words))
            })
            .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
            .map(|(full, _)| full.clone())
    }

    /// Collects runs of two or more capitalised words that read as a
    /// personal name (no country, title, institution or calendar words).
    fn scan(&mut self, paragraph: &str) {
        let span = Span { start: 0, end: paragraph.len() };
        let tokens = text::tokens(paragraph, span);
        let name_word = |t: &Token| {
            t.is_capitalised()
                && !rules::contains(rules::NOT_NAME_WORDS, &t.lower)
                && !rules::contains(rules::TITLES, t.lower.trim_end_matches('.'))
                && rules::demonym(&t.lower).is_none()
                && rules::capital(&t.lower).is_none()
                && !t.lower.ends_with("'s")
        };
        let mut i = 0;
        while i < tokens.len() {
            let from = i;
            while i < tokens.len() && name_word(&tokens[i]) {
                i += 1;
            }
            // A possessive ends a name: "Trump's camp" still names Trump.
            let end = if i < tokens.len() && tokens[i].is_capitalised() && tokens[i].lower.ends_with("'s") {
                i + 1
            } else {
                i
            };
            if end - from >= 2 {
                let run = &tokens[from..end];
                let institution = run.iter().any(|t| is_institution_word(&t.lower));
                let pair_is_country = rules::demonym(&format!("{} {}", run[0].lower, run[1].lower)).is_some();
                if !institution && !pair_is_country {
                    let words: Vec<&str> = run.iter().map(|t| t.text.as_str()).collect();
                    let name = names::canonical_name(&words);
                    if name.contains(' ') {
                        self.add(name);
                    }
                }
            }
            i = end.max(from + 1);
        }
    }
}

fn is_institution_word(lower: &str) -> bool {
    rules::BODY_NOUNS.iter().any(|b| b.split(' ').any(|w| w == lower))
        || [
            "foundation",
            "institute",
            "center",
            "centre",
            "university",
            "college",
            "council",
            "news",
            "times",
            "show",
            "house",
            "security",
            "strategy",
            "nations",
            "union",
            "party",
            "war",
            "peninsula",
            "prize",
        ]
        .contains(&lower)
}

/// Reads one article's paragraphs in order, keeping the sources seen so far.
struct ArticleReader<'a> {
    paragraphs: &'a [&'a str],
    names: NameRegistry,
}

impl<'a> ArticleReader<'a> {
    fn new(paragraphs: &'a [&'a str]) -> ArticleReader<'a> {
        let mut names = NameRegistry::default();
        paragraphs.iter().for_each(|p| names.scan(p));
        ArticleReader { paragraphs, names }
    }

    fn read(&self) -> Vec<(Attribution, Option<Kind>)> {
        let mut history: Vec<Resolved> = Vec::new();
        let mut out: Vec<(Attribution, Option<Resolved>)> = Vec::new();
        for paragraph in self.paragraphs {
            if is_heading(paragraph) {
                out.push((Attribution::narrator(), None));
                continue;
            }
            let quotes = text::quotes(paragraph);
            let masked = text::mask_quotes(paragraph, &quotes);
            let sentences = text::sentences(&masked);
            let candidates = find_candidates(paragraph, &masked, &sentences, &quotes);
            let mut resolved: Vec<(Candidate, Resolved)> = Vec::new();
            for c in candidates {
                if let Some(r) = self.resolve(&c, &history) {
                    history.push(r.clone());
                    resolved.push((c, r));
                }
            }
            let real_quotes: Vec<Span> = quotes
                .iter()
                .copied()
                .filter(|q| text::word_count(&paragraph[q.start..q.end]) >= MIN_QUOTE_WORDS)
                .collect();
            let chosen = choose(&resolved).or_else(|| {
                // One unattributed quotation: the previous speaker goes on.
                let quoted: usize = real_quotes.iter().map(|q| q.end - q.start).sum();
                let opens = paragraph.trim_start().starts_with(|c: char| rules::OPEN_QUOTES.contains(&c) || c == '"');
                match out.last() {
                    Some((_, Some(previous))) if opens && quoted * 2 >= paragraph.len() => Some(previous.clone()),
                    _ => None,
                }
            });
            let attribution = match &chosen {
                Some(r) => Attribution { speaker: r.label.clone(), role: r.role.clone(), quotes: real_quotes },
                None => Attribution::narrator(),
            };
            out.push((attribution, chosen));
        }
        self.settle_countries(&mut out);
        out.into_iter().map(|(a, r)| (a, r.map(|r| r.kind))).collect()
    }

    /// A country speaking ("North Korea warned") is the body the article
    /// names for that country elsewhere, if it names one.
    fn settle_countries(&self, out: &mut [(Attribution, Option<Resolved>)]) {
        let mut bodies: HashMap<(&'static str, String), usize> = HashMap::new();
        for (_, r) in out.iter() {
            if let Some(r) = r {
                if let (Kind::Body, Some(country)) = (r.kind, r.country) {
                    *bodies.entry((country, r.label.clone())).or_default() += 1;
                }
            }
        }
        for (a, r) in out.iter_mut() {
            let Some(r) = r else { continue };
            if r.kind != Kind::Country {
                continue;
            }
            let best = bodies
                .iter()
                .filter(|((c, _), _)| Some(*c) == r.country)
                .max_by(|a, b| a.1.cmp(b.1).then(b.0 .1.cmp(&a.0 .1)));
            if let Some(((_, label), _)) = best {
                a.speaker = label.clone();
                r.label = label.clone();
                r.kind = Kind::Body;
            }
        }
    }

    /// Normalises a candidate's source and resolves references.
    fn resolve(&self, c: &Candidate, history: &[Resolved]) -> Option<Resolved> {
        let plain =
            |label: String, kind: Kind| Resolved { label, role: c.role.clone(), kind, country: None, generic: false };
        Some(match &c.source {
            Source::Person(name) => {
                let mut r = plain(self.names.expand(name).unwrap_or_else(|| name.clone()), Kind::Person);
                // A role given once holds for later mentions.
                if r.role.is_none() {
                    r.role = history
                        .iter()
                        .rev()
                        .find(|h| h.kind == Kind::Person && h.label == r.label)
                        .and_then(|h| h.role.clone());
                }
                r
            }
            Source::Body { label, country, generic } => Resolved {
                label: label.clone(),
                role: c.role.clone(),
                kind: Kind::Body,
                country: *country,
                generic: *generic,
            },
            Source::Country { adjective, name } => Resolved {
                label: name.clone(),
                role: c.role.clone(),
                kind: Kind::Country,
                country: Some(adjective),
                generic: true,
            },
            Source::Group(label) => plain(label.clone(), Kind::Group),
            Source::Anonymous(label) => plain(label.clone(), Kind::Anonymous),
            Source::Pronoun { plural: false } => history.iter().rev().find(|r| r.kind == Kind::Person)?.clone(),
            Source::Pronoun { plural: true } => history
                .iter()
                .rev()
                .find(|r| r.kind == Kind::Group)
                .or_else(|| history.iter().rev().find(|r| matches!(r.kind, Kind::Body | Kind::Country)))?
                .clone(),
            Source::Definite { head, former } => {
                let matches = |r: &&Resolved| {
                    let described = format!("{} {}", r.label, r.role.as_deref().unwrap_or("")).to_lowercase();
                    described
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == head || w.trim_end_matches('s') == head)
                        && (!former || described.contains("former"))
                };
                if let Some(r) = history.iter().rev().find(matches) {
                    r.clone()
                } else if rules::contains(rules::GENERIC_BODIES, head) {
                    history.iter().rev().find(|r| matches!(r.kind, Kind::Body | Kind::Country))?.clone()
                } else {
                    plain(if *former { format!("former {head}") } else { head.clone() }, Kind::Anonymous)
                }
            }
        })
    }
}

/// The paragraph's speaker among its sources (see the module docs).
fn choose(resolved: &[(Candidate, Resolved)]) -> Option<Resolved> {
    let chosen = if let Some((_, r)) = resolved.iter().rev().find(|(c, _)| c.contrast) {
        r
    } else {
        let eligible = |c: &Candidate| (c.sentence == 0 && !c.subordinate) || c.quoted;
        let first = resolved.iter().filter(|(c, _)| eligible(c)).map(|(c, _)| c.sentence).min()?;
        let in_first: Vec<&(Candidate, Resolved)> =
            resolved.iter().filter(|(c, _)| c.sentence == first && eligible(c)).collect();
        // A source after the claim frames its whole sentence.
        &in_first.iter().find(|(c, _)| c.postposed).unwrap_or(&in_first[0]).1
    };
    // The most specific body the paragraph names for the same country.
    if chosen.kind == Kind::Body && chosen.generic || chosen.kind == Kind::Country {
        if let Some((_, specific)) = resolved
            .iter()
            .find(|(_, r)| r.kind == Kind::Body && !r.generic && r.country.is_some() && r.country == chosen.country)
        {
            return Some(specific.clone());
        }
    }
    Some(chosen.clone())
}

/// The candidate source of the speech verb of `len` tokens at token `i`
/// (`according`: the verb is "according to"), unless it is negated or has
/// no source; `sentence` is left for the caller to fill in.
fn candidate_at(
    original: &str,
    toks: &[Token],
    i: usize,
    len: usize,
    according: bool,
    concessive_before: &[bool],
) -> Option<Candidate> {
    let state = rules::contains(STATE_PREDICATES, &toks[i].lower);
    let negated = if state {
        toks[..i].iter().rev().take(3).any(|t| t.is("not") || t.is("never"))
    } else {
        i > 0 && rules::contains(NEGATORS, &toks[i - 1].lower)
    };
    if negated {
        return None;
    }
    let found = if according {
        source_after(original, toks, i + len, i == 0)
    } else {
        source_before(original, toks, i).or_else(|| {
            let inverted = (i == 0 || toks[i - 1].text == "," || toks[i - 1].is_close_quote())
                && rules::contains(INVERTING_VERBS, &toks[i].lower);
            if inverted {
                source_after(original, toks, i + len, false).map(|(np, role, _)| (np, role, i))
            } else {
                None
            }
        })
    };
    let (source, role, np_start) = found?;
    let before = |k: usize| if k > 0 { toks.get(k - 1) } else { None };
    let boundary = before(np_start);
    let postposed = according || boundary.is_some_and(|b| b.text == "," || b.is_close_quote()) || np_start == i;
    let marker = |t: Option<&Token>| t.is_some_and(|t| rules::contains(CONTRAST_MARKERS, &t.lower));
    let contrast = marker(boundary) || boundary.is_some_and(|b| b.text == ",") && marker(before(np_start - 1));
    let subordinate = concessive_before[np_start.min(toks.len())]
        || boundary.is_some_and(|b| rules::contains(SUBORDINATORS, &b.lower));
    let clause_start = toks.get(np_start).map_or(toks[i].start, |t| t.start.min(toks[i].start));
    Some(Candidate {
        source,
        role,
        sentence: 0,
        contrast,
        subordinate,
        postposed,
        quoted: false,
        clause_start,
        verb_end: toks[i + len - 1].end,
    })
}

/// Every speech verb with a source in the paragraph's sentences.
fn find_candidates(original: &str, masked: &str, sentences: &[Span], quotes: &[Span]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (si, sentence) in sentences.iter().enumerate() {
        let toks = text::tokens(masked, *sentence);
        let real: Vec<&Span> = quotes
            .iter()
            .filter(|q| q.start >= sentence.start && q.end <= sentence.end)
            .filter(|q| text::word_count(&original[q.start..q.end]) >= MIN_QUOTE_WORDS)
            .collect();
        let first_here = out.len();
        // concessive_before[k]: a concessive marker occurs before token k.
        let mut concessive_before = Vec::with_capacity(toks.len() + 1);
        let mut seen = false;
        for t in &toks {
            concessive_before.push(seen);
            seen |= rules::contains(CONCESSIVE_MARKERS, &t.lower);
        }
        concessive_before.push(seen);
        let mut i = 0;
        while i < toks.len() {
            let according = toks[i].is("according") && toks.get(i + 1).is_some_and(|t| t.is("to"));
            let verb = if according { Some(2) } else { verb_at(&toks, i) };
            let Some(len) = verb else {
                i += 1;
                continue;
            };
            if let Some(candidate) = candidate_at(original, &toks, i, len, according, &concessive_before) {
                out.push(Candidate { sentence: si, ..candidate });
            }
            i += len;
        }
        // A quotation belongs to the clause whose verb it follows, or,
        // before a postposed source ("“…,” X said"), to that source.
        let here = &mut out[first_here..];
        for k in 0..here.len() {
            let next = here.get(k + 1).map_or(sentence.end, |c| c.clause_start);
            let previous = if k == 0 { sentence.start } else { here[k - 1].verb_end };
            let (verb_end, clause_start, postposed) = (here[k].verb_end, here[k].clause_start, here[k].postposed);
            here[k].quoted = real.iter().any(|q| {
                (q.start >= verb_end && q.start < next) || (postposed && q.start >= previous && q.end <= clause_start)
            });
        }
    }
    out
}

/// Headings and bullet summaries are the narrator's (labelling
/// conventions): a bulleted line, or a short line with no closing
/// punctuation.
fn is_heading(paragraph: &str) -> bool {
    let p = paragraph.trim();
    let bulleted = rules::BULLETS.iter().any(|b| p.starts_with(b));
    let closed = p.ends_with(['.', '!', '”', '"', '’', ':', ';', ')']) || p.ends_with(rules::CLOSE_QUOTES);
    bulleted || (!closed && text::word_count(p) <= 20)
}

/// The length in tokens of the speech verb starting at `i`, if one does.
fn verb_at(toks: &[Token], i: usize) -> Option<usize> {
    // A capitalised word mid-sentence is a name ("the United States").
    if !toks[i].text.starts_with(char::is_lowercase) {
        return None;
    }
    if rules::contains(STATE_PREDICATES, &toks[i].lower) {
        let mut k = i;
        while k > 0 && rules::contains(AUXILIARIES, &toks[k - 1].lower) {
            k -= 1;
        }
        return (k > 0 && rules::contains(COPULAS, &toks[k - 1].lower)).then_some(1);
    }
    let mut best = None;
    for entry in SPEECH_VERBS {
        let words: Vec<&str> = entry.split(' ').collect();
        if i + words.len() <= toks.len() && words.iter().zip(&toks[i..]).all(|(w, t)| t.lower == *w) {
            best = best.max(Some(words.len()));
        }
    }
    if best.is_none() && rules::contains(SPEECH_ACT_VERBS, &toks[i].lower) {
        let object = toks[i + 1..toks.len().min(i + 4)].iter().any(|t| rules::contains(SPEECH_ACT_OBJECTS, &t.lower));
        if object {
            best = Some(1);
        }
    }
    best
}

/// May this word be part of a source's noun phrase?
fn phrase_word(t: &Token) -> bool {
    if !t.is_word() || t.text.starts_with('_') {
        return false;
    }
    let lower = t.lower.as_str();
    if rules::contains(rules::PHRASE_MODIFIERS, lower)
        || rules::contains(rules::GROUP_NOUNS, lower)
        || rules::contains(rules::ROLE_NOUNS, lower)
        || rules::BODY_NOUNS.iter().any(|b| b.split(' ').any(|w| w == lower))
    {
        return true;
    }
    t.is_capitalised() && !rules::contains(rules::NOT_NAME_WORDS, lower) && !rules::contains(CLAUSE_OPENERS, lower)
}

/// Is the comma at `k` inside a list of names ("the US, South Korea and
/// Ukraine"), rather than a clause boundary?
fn list_comma(toks: &[Token], k: usize) -> bool {
    toks[k].text == ","
        && k > 0
        && toks[k - 1].is_capitalised()
        && toks.get(k + 1).is_some_and(|n| n.is_capitalised() || n.is("and") || n.is("or"))
}

/// The source before the verb at `verb`: (source, role, first token).
fn source_before(original: &str, toks: &[Token], verb: usize) -> Option<(Source, Option<String>, usize)> {
    let mut end = verb;
    let state = rules::contains(STATE_PREDICATES, &toks[verb].lower);
    while end > 0
        && (rules::contains(AUXILIARIES, &toks[end - 1].lower)
            || state && rules::contains(COPULAS, &toks[end - 1].lower))
    {
        end -= 1;
    }
    // "Trump's remarks": a possessive is never the subject of the verb.
    if end > 0 && toks[end - 1].lower.ends_with("'s") {
        return None;
    }
    let mut role = None;
    if end > 0 && toks[end - 1].text == "," {
        // "Name, appositive, said": find the appositive's opening comma.
        let close = end - 1;
        // Appositives are short; bounding the search keeps long run-on
        // sentences linear.
        let open = (close.saturating_sub(MAX_APPOSITIVE_TOKENS)..close).rev().find(|&k| toks[k].text == ",")?;
        let first = toks.get(open + 1)?;
        let participle = first.lower.ends_with("ing") && !first.is_capitalised();
        let age = open + 2 == close && first.text.chars().all(|c| c.is_ascii_digit());
        if age {
            // "Trump, 70, said": an age is not a role.
        } else if !(participle || rules::contains(APPOSITIVE_OPENERS, &first.lower)) || open + 1 >= close {
            return named_appositive(original, toks, open, close);
        } else if !participle {
            role = Some(role_text(&original[first.start..toks[close - 1].end]));
        }
        end = open;
    }
    let mut start = end;
    while start > 0 && end - start < 12 {
        let t = &toks[start - 1];
        let pronoun = start == end
            && (rules::contains(rules::PERSON_PRONOUNS, &t.lower) || rules::contains(rules::GROUP_PRONOUNS, &t.lower));
        if pronoun {
            start -= 1;
            break;
        }
        if phrase_word(t) || list_comma(toks, start - 1) {
            start -= 1;
        } else {
            break;
        }
    }
    // Skip edge words so the clause boundary is the token before the phrase.
    while start < end
        && (matches!(toks[start].lower.as_str(), "and" | "or" | "of" | "in" | "at" | "from" | "for" | "with" | "by")
            || toks[start].text == ",")
    {
        start += 1;
    }
    if start == end {
        return None;
    }
    let source = names::classify(&toks[start..end])?;
    let role = role.or_else(|| matches!(source, Source::Person(_)).then(|| names::office(&toks[start..end])).flatten());
    Some((source, role, start))
}

/// "The agency's spokesman, Adi Prasetyo, said": the name is the
/// appositive between the commas at `open` and `close`, and the phrase
/// before it, ending in a role noun, is the office.
fn named_appositive(
    original: &str,
    toks: &[Token],
    open: usize,
    close: usize,
) -> Option<(Source, Option<String>, usize)> {
    if close - open > 7
        || !toks[open + 1..close].iter().all(|t| t.is_capitalised() || NAME_PARTICLES.contains(&t.lower.as_str()))
    {
        return None;
    }
    let Source::Person(name) = names::classify(&toks[open + 1..close])? else { return None };
    let head = toks.get(open.checked_sub(1)?)?;
    if !head.is_word() || head.is_capitalised() {
        return None;
    }
    // Walk back over the office: its words, possessives and determiners.
    let mut start = open;
    while start > 0 && open - start < 10 {
        let t = &toks[start - 1];
        let word =
            t.is_word() && !rules::contains(CLAUSE_OPENERS, &t.lower) && !rules::contains(SPEECH_VERBS, &t.lower);
        if word && (phrase_word(t) || t.lower.ends_with("'s") || is_determiner(t) || !t.is_capitalised()) {
            start -= 1;
        } else {
            break;
        }
        if is_determiner(t) {
            break;
        }
    }
    // An office is introduced by a possessive or a determiner ("the
    // agency's spokesman", "her grandson"), not a bare clause.
    if !toks[start..open].iter().any(|t| is_determiner(t) || t.lower.ends_with("'s")) {
        return None;
    }
    let from = if is_determiner(&toks[start]) { start + 1 } else { start };
    let role = role_text(&original[toks[from].start..head.end]);
    Some((Source::Person(name), Some(role), start))
}

/// "…, said her grandson, Daisuke Nakahara, 52": an office opened by a
/// possessive or determiner, a comma, then the name.
fn office_then_name(original: &str, toks: &[Token], from: usize) -> Option<(Source, Option<String>, usize)> {
    let first = toks.get(from)?;
    if !(is_determiner(first) || first.lower.ends_with("'s")) {
        return None;
    }
    let comma = (from + 1..toks.len().min(from + 8)).find(|&k| toks[k].text == ",")?;
    let office = &toks[from..comma];
    if !office.iter().all(|t| t.is_word()) || office.last()?.is_capitalised() {
        return None;
    }
    let name_end = (comma + 1..toks.len().min(comma + 8)).find(|&k| !toks[k].is_word()).unwrap_or(toks.len());
    let name = &toks[comma + 1..name_end];
    if name.is_empty() || !name.iter().all(|t| t.is_capitalised() || NAME_PARTICLES.contains(&t.lower.as_str())) {
        return None;
    }
    let Source::Person(person) = names::classify(name)? else { return None };
    let start = if is_determiner(first) { from + 1 } else { from };
    Some((Source::Person(person), Some(role_text(&original[toks[start].start..office.last()?.end])), from))
}

fn is_determiner(t: &Token) -> bool {
    matches!(t.lower.as_str(), "the" | "a" | "an" | "his" | "her" | "its" | "their")
}

/// Lower-case words inside personal names ("Pieter van der Berg").
const NAME_PARTICLES: [&str; 9] = ["van", "der", "den", "de", "von", "bin", "al", "da", "la"];

/// The source after position `from` ("said Ana Lopez, an analyst at …";
/// "according to officials in Seoul"): (source, role, `from`). When the
/// phrase opens the sentence (`fronted`), the comma after the source opens
/// the main clause, so an appositive must close with a second comma.
fn source_after(original: &str, toks: &[Token], from: usize, fronted: bool) -> Option<(Source, Option<String>, usize)> {
    if let Some(found) = office_then_name(original, toks, from) {
        return Some(found);
    }
    let mut end = from;
    let mut role = None;
    while end < toks.len() && end - from < 14 {
        let t = &toks[end];
        let proper_so_far = end > from && toks[from..end].iter().all(|t| t.is_capitalised());
        if proper_so_far && matches!(t.lower.as_str(), "of" | "at" | "from" | "with") {
            // An affiliation: "Ana Lopez of the Asia Institute".
            let rest = &toks[end + 1..toks.len().min(end + 1 + MAX_APPOSITIVE_TOKENS)];
            let stop = rest.iter().position(|t| t.text == "," || t.text == ";").unwrap_or(rest.len());
            if stop > 0 {
                role = Some(role_text(&original[rest[0].start..rest[stop - 1].end]));
            }
            break;
        }
        if phrase_word(t) || list_comma(toks, end) || rules::contains(rules::CALENDAR_WORDS, &t.lower) {
            end += 1;
        } else {
            break;
        }
    }
    while end > from && !toks[end - 1].is_word() {
        end -= 1;
    }
    if end == from {
        return None;
    }
    if role.is_none() && toks.get(end).is_some_and(|t| t.text == ",") {
        if let Some(next) = toks.get(end + 1) {
            if rules::contains(APPOSITIVE_OPENERS, &next.lower) {
                let rest = &toks[end + 1..toks.len().min(end + 1 + MAX_APPOSITIVE_TOKENS)];
                let closing = if fronted { [","].as_slice() } else { [";"].as_slice() };
                let stop = rest.iter().position(|t| closing.contains(&t.text.as_str()));
                let stop = if fronted { stop } else { Some(stop.unwrap_or(rest.len())) };
                if let Some(last) = stop.and_then(|stop| rest[..stop].iter().rev().find(|t| t.is_word())) {
                    role = Some(role_text(&original[next.start..last.end]));
                }
            }
        }
    }
    let source = names::classify(&toks[from..end])?;
    let role = role.or_else(|| matches!(source, Source::Person(_)).then(|| names::office(&toks[from..end])).flatten());
    Some((source, role, from))
}

/// An appositive as a role: without its leading article or preposition.
fn role_text(raw: &str) -> String {
    let mut s = raw.trim().trim_end_matches(['.', ',']).trim();
    // "from the Center for …" → "Center for …".
    for _ in 0..2 {
        for prefix in ["a ", "an ", "the ", "from ", "of ", "who is ", "who was ", "now "] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest;
                break;
            }
        }
    }
    s.to_owned()
}

#[cfg(test)]
mod tests;
