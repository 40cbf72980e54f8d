//! What a source's noun phrase names, in the labelling conventions' form:
//! a person ("Donald Trump"), a body ("North Korean Foreign Ministry"), a
//! group ("South Korean analysts and officials"), an anonymous source
//! ("diplomatic source"), or a reference to resolve against earlier
//! paragraphs ("he", "the former official").

use super::rules::{
    self, BODY_NOUNS, GENERIC_BODIES, GOVERNMENT_GROUPS, GROUP_NOUNS, NOT_NAME_WORDS, PERSON_PRONOUNS, ROLE_NOUNS,
    STATE_MEDIA_SYNONYMS, TITLES, VAGUE_MODIFIERS,
};
use super::text::Token;

/// What a noun phrase refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A named person, titles and initials removed.
    Person(String),
    /// An institution, with its country's adjective when known.
    Body { label: String, country: Option<&'static str>, generic: bool },
    /// A government named only by its country ("North Korea warned").
    Country { adjective: &'static str, name: String },
    /// A plural group of sources.
    Group(String),
    /// An unnamed individual ("diplomatic source").
    Anonymous(String),
    /// "he", "she" (`plural: false`) or "they".
    Pronoun { plural: bool },
    /// A definite description to resolve ("the former official", "the
    /// regime"); `head` is its noun.
    Definite { head: String, former: bool },
}

/// Joins items as in prose: "a", "a and b", "a, b and c".
pub(crate) fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

const EDGE_WORDS: &[&str] = &["of", "in", "at", "from", "for", "with", "and", "or", ",", "by", "to"];
const PLACE_PREPOSITIONS: &[&str] = &["in", "from", "at", "of", "based"];
/// Words that make a capitalised name an organisation, not a person.
const ORGANISATION_WORDS: &[&str] = &[
    "foundation",
    "institute",
    "center",
    "centre",
    "university",
    "college",
    "council",
    "times",
    "news",
    "agency",
    "reuters",
    "kcna",
    "yonhap",
    "post",
    "journal",
    "network",
    "bank",
    "fund",
    "group",
    "association",
    "committee",
    "commission",
    "service",
    "house",
    "pentagon",
    "kremlin",
    "department",
    "ministry",
];

/// Classifies the phrase `np` (tokens of one source's noun phrase).
pub fn classify(np: &[Token]) -> Option<Source> {
    let np = trim_edges(np);
    if np.is_empty() || !np.iter().any(Token::is_word) {
        return None;
    }
    if np.len() == 1 && np[0].is_word() {
        if rules::contains(PERSON_PRONOUNS, &np[0].lower) {
            return Some(Source::Pronoun { plural: false });
        }
        if rules::contains(rules::GROUP_PRONOUNS, &np[0].lower) {
            return Some(Source::Pronoun { plural: true });
        }
    }
    // "a report by X", "reports from X": the source is X.
    if let Some(i) = np.windows(2).position(|w| {
        matches!(w[0].lower.as_str(), "report" | "reports" | "statement")
            && matches!(w[1].lower.as_str(), "by" | "from" | "of")
    }) {
        return classify(&np[i + 2..]);
    }
    if let Some(source) = country_list(np) {
        return Some(source);
    }
    if let Some(source) = body(np) {
        return Some(source);
    }
    if np.iter().any(|t| rules::contains(GROUP_NOUNS, &t.lower)) {
        return group(np);
    }
    if let Some(r) = np.iter().position(|t| rules::contains(ROLE_NOUNS, &t.lower)) {
        let former = np.iter().any(|t| t.is("former"));
        let definite = np[0].is("the") && !np[1..r].iter().any(Token::is_capitalised);
        if definite {
            return Some(Source::Definite { head: np[r].lower.clone(), former });
        }
        let mut words: Vec<String> = np[..=r]
            .iter()
            .filter(|t| t.is_word() && !rules::contains(VAGUE_MODIFIERS, &t.lower))
            .map(|t| if t.is_capitalised() && !proper_word(t) { t.lower.clone() } else { t.text.clone() })
            .collect();
        if words.is_empty() {
            words.push(np[r].lower.clone());
        }
        return Some(Source::Anonymous(words.join(" ")));
    }
    person(np)
}

/// A capitalised word that stays capitalised in a label (a name or a
/// country), as opposed to a sentence-initial common noun.
fn proper_word(t: &Token) -> bool {
    !rules::contains(GROUP_NOUNS, &t.lower)
        && !rules::contains(ROLE_NOUNS, &t.lower)
        && !rules::contains(VAGUE_MODIFIERS, &t.lower)
        && !rules::contains(rules::PHRASE_MODIFIERS, &t.lower)
}

fn trim_edges(np: &[Token]) -> &[Token] {
    let mut np = np;
    while let Some(first) = np.first() {
        if rules::contains(EDGE_WORDS, &first.lower) || !first.is_word() {
            np = &np[1..];
        } else {
            break;
        }
    }
    while let Some(last) = np.last() {
        if rules::contains(EDGE_WORDS, &last.lower) || !last.is_word() {
            np = &np[..np.len() - 1];
        } else {
            break;
        }
    }
    np
}

/// Splits at commas and "and"/"or" into the phrases of a list.
fn list_items(np: &[Token]) -> Vec<&[Token]> {
    np.split(|t| t.text == "," || t.is("and") || t.is("or")).filter(|part| !part.is_empty()).collect()
}

fn phrase(tokens: &[Token]) -> String {
    tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// "The US, South Korea and Ukraine" → "US, South Korean and Ukrainian
/// officials"; "South Korea" alone → a country.
fn country_list(np: &[Token]) -> Option<Source> {
    let items = list_items(np);
    let last = items.last()?;
    // "U.S., South Korean, and Ukrainian intelligence": the head noun rides
    // on the last item.
    let (items, head_given) = match last.last() {
        Some(t)
            if matches!(t.lower.as_str(), "intelligence" | "governments" | "officials" | "authorities")
                && last.len() > 1 =>
        {
            let mut items = items.clone();
            let n = items.len();
            items[n - 1] = &last[..last.len() - 1];
            (items, true)
        }
        _ => (items, false),
    };
    let adjectives: Option<Vec<String>> = items
        .iter()
        .map(|item| {
            let p = phrase(item);
            rules::demonym(&p).or_else(|| rules::capital(&p)).map(str::to_owned)
        })
        .collect();
    let mut adjectives = adjectives?;
    adjectives.dedup();
    if items.len() >= 2 || head_given {
        return Some(Source::Group(format!("{} officials", join_list(&adjectives))));
    }
    let name = phrase(items[0]);
    let name = name.strip_prefix("The ").or_else(|| name.strip_prefix("the ")).unwrap_or(&name).to_owned();
    Some(Source::Country { adjective: rules::demonym(&name).or_else(|| rules::capital(&name))?, name })
}

/// Finds the first body noun phrase in `tokens`: (start, end, entry).
fn find_body(tokens: &[Token]) -> Option<(usize, usize)> {
    for i in 0..tokens.len() {
        for entry in BODY_NOUNS {
            let words: Vec<&str> = entry.split(' ').collect();
            if i + words.len() <= tokens.len() && words.iter().zip(&tokens[i..]).all(|(w, t)| t.lower == *w) {
                return Some((i, i + words.len()));
            }
        }
    }
    None
}

/// The country adjective of the capitalised words just before index `at`
/// ("South Korea's", "North Korean") or of an "of COUNTRY" after `end`.
fn body_country(tokens: &[Token], at: usize, end: usize) -> Option<&'static str> {
    let mut i = at;
    while i > 0 && tokens[i - 1].is_capitalised() {
        i -= 1;
    }
    if i < at {
        let owner = phrase(&tokens[i..at]);
        let owner = owner.trim_end_matches("'s").trim_end_matches("’s");
        // Possessive or adjective: try the whole run, then its tail.
        let words: Vec<&str> = owner.split(' ').collect();
        for k in 0..words.len() {
            if let Some(adj) = rules::demonym(&words[k..].join(" ")) {
                return Some(adj);
            }
        }
    }
    if end + 1 < tokens.len() && tokens[end].is("of") {
        return rules::demonym(&phrase(&tokens[end + 1..]));
    }
    None
}

fn body_label(tokens: &[Token], start: usize, end: usize) -> (String, Option<&'static str>, bool) {
    let country = body_country(tokens, start, end);
    let written = phrase(&tokens[start..end]);
    let lower = written.to_lowercase();
    let state_media = rules::contains(STATE_MEDIA_SYNONYMS, &lower);
    let body = if state_media { "state media".to_owned() } else { written };
    let generic = rules::contains(GENERIC_BODIES, &lower);
    let label = match country {
        Some(adj) => format!("{adj} {body}"),
        // Whose media is not said; a common noun, in lower case.
        None if state_media => body,
        None => {
            // An owner that is not a country: "the Trump administration".
            let mut i = start;
            while i > 0 && tokens[i - 1].is_capitalised() && !rules::contains(NOT_NAME_WORDS, &tokens[i - 1].lower) {
                i -= 1;
            }
            phrase(&tokens[i..end]).replace("'s ", " ").replace("’s ", " ")
        }
    };
    (label, country, generic)
}

fn body(np: &[Token]) -> Option<Source> {
    let (start, end) = find_body(np)?;
    let role = np[..start]
        .iter()
        .position(|t| rules::contains(ROLE_NOUNS, &t.lower) || rules::contains(GROUP_NOUNS, &t.lower));
    let (label, country, generic) = body_label(np, start, end);
    if let Some(r) = role {
        // "a senior official at South Korea's presidential office" speaks
        // for the office; a former official speaks only for himself.
        let former = np[..r].iter().any(|t| t.is("former"));
        if former {
            return Some(Source::Anonymous(format!("former {label} {}", np[r].lower)));
        }
        if rules::contains(GROUP_NOUNS, &np[r].lower) && country.is_none() {
            return None;
        }
    }
    if country.is_none() && label.split(' ').count() == end - start && generic {
        // "the government", "the regime": whose depends on context.
        return Some(Source::Definite { head: np[start].lower.clone(), former: false });
    }
    Some(Source::Body { label, country, generic })
}

/// One coordinated part of a group phrase: its words and the places after
/// it ("officials in Washington, Seoul and Kyiv").
#[derive(Default)]
struct Conjunct {
    words: Vec<String>,
    head: bool,
    government: bool,
    places: Vec<String>,
}

/// The noun phrase split at "and", "or" and commas, each part with its
/// words, its places ("officials in Seoul and Tokyo") and whether it has a
/// group noun as its head.
fn split_conjuncts(np: &[Token]) -> Vec<Conjunct> {
    let mut conjuncts: Vec<Conjunct> = vec![Conjunct::default()];
    let mut i = 0;
    while i < np.len() {
        let t = &np[i];
        let current = conjuncts.last_mut().expect("never empty");
        if t.is("and") || t.is("or") || t.text == "," {
            if !current.words.is_empty() || !current.places.is_empty() {
                conjuncts.push(Conjunct::default());
            }
            i += 1;
            continue;
        }
        if rules::contains(PLACE_PREPOSITIONS, &t.lower) && np.get(i + 1).is_some_and(Token::is_capitalised) {
            // Places: capitalised runs separated by commas or "and".
            i += 1;
            loop {
                let from = i;
                while i < np.len() && np[i].is_capitalised() {
                    i += 1;
                }
                if from == i {
                    break;
                }
                current.places.push(phrase(&np[from..i]));
                let mut j = i;
                while j < np.len() && (np[j].text == "," || np[j].is("and")) {
                    j += 1;
                }
                if j > i && np.get(j).is_some_and(Token::is_capitalised) && is_place(&np[j..]) {
                    i = j;
                } else {
                    break;
                }
            }
            continue;
        }
        if rules::contains(VAGUE_MODIFIERS, &t.lower) {
            i += 1;
            continue;
        }
        if rules::contains(GROUP_NOUNS, &t.lower) {
            current.head = true;
            current.government |= rules::contains(GOVERNMENT_GROUPS, &t.lower);
            current.words.push(t.lower.clone());
        } else if t.is_capitalised() && !proper_word(t) {
            current.words.push(t.lower.clone());
        } else {
            current.words.push(t.text.clone());
        }
        i += 1;
    }
    conjuncts.retain(|c| !c.words.is_empty());
    // Demonym adjectives: "American" → "US". Only adjective forms, so that
    // "North Korea watchers" stays a compound.
    for c in &mut conjuncts {
        c.words = normalise_adjectives(&c.words);
    }
    conjuncts
}

fn group(np: &[Token]) -> Option<Source> {
    let conjuncts = split_conjuncts(np);
    // Places become the adjective when every one is a country, or a capital
    // after a government noun ("officials in Seoul").
    let adjectives = |c: &Conjunct| -> Option<Vec<String>> {
        if c.places.is_empty() {
            return None;
        }
        let mut adjs: Vec<String> = c
            .places
            .iter()
            .map(|p| {
                rules::demonym(p).or_else(|| if c.government { rules::capital(p) } else { None }).map(str::to_owned)
            })
            .collect::<Option<Vec<_>>>()?;
        adjs.dedup();
        Some(adjs)
    };
    let headed: Vec<&Conjunct> = conjuncts.iter().filter(|c| c.head).collect();
    if headed.is_empty() {
        return None;
    }
    // Adjective-only parts ("American and South Korean officials") qualify
    // the next head.
    let mut parts: Vec<String> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let last_adjs = conjuncts.last().and_then(adjectives);
    let shared =
        last_adjs.is_some() && conjuncts[..conjuncts.len() - 1].iter().all(|c| c.places.is_empty()) && headed.len() > 1;
    for c in &conjuncts {
        if !c.head {
            pending.push(c.words.join(" "));
            continue;
        }
        let mut words = c.words.clone();
        if words.last().is_some_and(|w| w == "intelligence" || w == "governments") {
            if let Some(w) = words.last_mut() {
                *w = "officials".into();
            }
        }
        let mut adjs = std::mem::take(&mut pending);
        if !shared {
            if let Some(place_adjs) = adjectives(c) {
                adjs.extend(place_adjs);
            }
        }
        // Adjectives already inside the words lead the list.
        let text = if adjs.is_empty() {
            words.join(" ")
        } else if words.len() > 1 && rules::demonym(&words[..words.len() - 1].join(" ")).is_some() {
            let mut all = vec![words[..words.len() - 1].join(" ")];
            all.extend(adjs);
            format!("{} {}", join_list(&all), words[words.len() - 1])
        } else {
            format!("{} {}", join_list(&adjs), words.join(" "))
        };
        parts.push(text);
    }
    let body = join_list(&parts);
    Some(Source::Group(match (shared, last_adjs) {
        (true, Some(adjs)) => format!("{} {}", join_list(&adjs), body),
        _ => body,
    }))
}

fn is_place(tokens: &[Token]) -> bool {
    let mut end = 0;
    while end < tokens.len() && tokens[end].is_capitalised() {
        end += 1;
    }
    let p = phrase(&tokens[..end]);
    rules::demonym(&p).is_some() || rules::capital(&p).is_some()
}

/// Rewrites demonym adjectives ("American" → "US") in a word list, longest
/// spelling first ("South Korean" is one adjective).
fn normalise_adjectives(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    'outer: while i < words.len() {
        for len in (1..=2).rev() {
            if i + len <= words.len() {
                let joined = words[i..i + len].join(" ");
                if is_adjective_form(&joined) {
                    if let Some(adj) = rules::demonym(&joined) {
                        out.push(adj.to_owned());
                        i += len;
                        continue 'outer;
                    }
                }
            }
        }
        out.push(words[i].clone());
        i += 1;
    }
    out
}

/// Whether a country word is its adjective ("Korean", "US"), not its name.
fn is_adjective_form(word: &str) -> bool {
    let w = word.to_lowercase();
    ["an", "ese", "ish", "ch", "i", "ed"].iter().any(|s| w.ends_with(s))
        || matches!(w.as_str(), "us" | "u.s." | "u.s" | "eu" | "nato")
}

/// A personal name: the last run of capitalised words, without titles or
/// middle initials, Korean given names unhyphenated ("Jong-un" → "Jong Un").
fn person(np: &[Token]) -> Option<Source> {
    let mut start = np.len();
    while start > 0 && np[start - 1].is_capitalised() && !rules::contains(NOT_NAME_WORDS, &np[start - 1].lower) {
        start -= 1;
    }
    let skip = title_words(&np[start..]);
    let words: Vec<&Token> = np[start + skip..].iter().collect();
    if words.is_empty() {
        return None;
    }
    let name = canonical_name(&words.iter().map(|t| t.text.as_str()).collect::<Vec<_>>());
    if name.is_empty() {
        return None;
    }
    if let Some(adjective) = rules::demonym(&name) {
        return Some(Source::Country { adjective, name });
    }
    if words.iter().any(|t| rules::contains(ORGANISATION_WORDS, &t.lower))
        || words.len() == 1 && words[0].text.chars().all(|c| c.is_uppercase())
    {
        return Some(Source::Body { label: name, country: None, generic: false });
    }
    Some(Source::Person(name))
}

/// How many leading tokens of a capitalised run are titles or country
/// words ("South Korean President Lee" → 3).
fn title_words(run: &[Token]) -> usize {
    let mut i = 0;
    while i < run.len() {
        let word = run[i].lower.trim_end_matches('.');
        if rules::contains(TITLES, word) || rules::demonym(word).is_some() {
            i += 1;
        } else if i + 1 < run.len() && rules::demonym(&format!("{word} {}", run[i + 1].lower)).is_some() {
            i += 2;
        } else {
            break;
        }
    }
    // A name needs at least one word.
    i.min(run.len().saturating_sub(1))
}

/// The office a person's phrase gives before the name ("South Korean
/// President", "Secretary of State"); courtesy titles ("Mr.") are no office.
pub(crate) fn office(np: &[Token]) -> Option<String> {
    let np = trim_edges(np);
    let mut start = np.len();
    while start > 0 && np[start - 1].is_capitalised() && !rules::contains(NOT_NAME_WORDS, &np[start - 1].lower) {
        start -= 1;
    }
    let name_start = start + title_words(&np[start..]);
    let first = np[..name_start].iter().position(|t| t.is_word() && !rules::contains(VAGUE_MODIFIERS, &t.lower))?;
    let prefix = &np[first..name_start];
    let courtesy = |t: &Token| matches!(t.lower.trim_end_matches('.'), "mr" | "ms" | "mrs" | "miss" | "dr" | "sir");
    if prefix.is_empty()
        || prefix.iter().all(courtesy)
        || !prefix.iter().any(|t| rules::contains(TITLES, t.lower.trim_end_matches('.')))
    {
        return None;
    }
    Some(phrase(prefix))
}

/// A name's canonical spelling: no single-letter initials, possessive
/// dropped, and hyphenated given names with a lower-case second part
/// split ("Kim Jong-un" → "Kim Jong Un").
pub(crate) fn canonical_name(words: &[&str]) -> String {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let w = w.trim_end_matches("'s").trim_end_matches("’s");
        let bare = w.trim_end_matches('.');
        if bare.chars().count() == 1 || bare.is_empty() {
            continue;
        }
        match bare.split_once('-') {
            Some((a, b))
                if !a.is_empty()
                    && b.chars().next().is_some_and(char::is_lowercase)
                    && a.chars().next().is_some_and(char::is_uppercase) =>
            {
                out.push(a.to_owned());
                let mut c = b.chars();
                let first = c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default();
                out.push(first + c.as_str());
            }
            _ => out.push(bare.to_owned()),
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::text::tokens;
    use super::super::Span;
    use super::*;

    fn np(s: &str) -> Option<Source> {
        classify(&tokens(s, Span { start: 0, end: s.len() }))
    }

    fn group_label(s: &str) -> String {
        match np(s) {
            Some(Source::Group(g)) => g,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn people_lose_titles_and_initials() {
        assert_eq!(np("President George W. Bush"), Some(Source::Person("George Bush".into())));
        assert_eq!(np("Mr. Lee"), Some(Source::Person("Lee".into())));
        assert_eq!(np("Secretary of State Ana Q. Lopez"), Some(Source::Person("Ana Lopez".into())));
        assert_eq!(np("Prime Minister Lee Jae-myung"), Some(Source::Person("Lee Jae Myung".into())));
        assert_eq!(np("South Korean President Lee Jae-myung"), Some(Source::Person("Lee Jae Myung".into())));
        let t = |s: &str| tokens(s, Span { start: 0, end: s.len() });
        assert_eq!(office(&t("Incoming US president Ana Lopez")).as_deref(), Some("Incoming US president"));
        assert_eq!(office(&t("Japanese Prime Minister Ana Lopez")).as_deref(), Some("Japanese Prime Minister"));
        assert_eq!(office(&t("Mr. Lopez")), None);
    }

    #[test]
    fn bodies_take_the_country_adjective() {
        let label = |s: &str| match np(s) {
            Some(Source::Body { label, .. }) => label,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(label("Japan's Defense Ministry"), "Japanese Defense Ministry");
        assert_eq!(label("the Chinese military"), "Chinese military");
        assert_eq!(label("the Joint Chiefs of Staff of South Korea"), "South Korean Joint Chiefs of Staff");
        assert_eq!(label("Russian official media"), "Russian state media");
        assert_eq!(label("an aide in Ukraine's presidential office"), "Ukrainian presidential office");
    }

    #[test]
    fn groups_are_plain_nouns() {
        assert_eq!(group_label("Many experts"), "experts");
        assert_eq!(group_label("some analysts"), "analysts");
        assert_eq!(group_label("British and French officials"), "British and French officials");
        assert_eq!(group_label("officials in Tokyo, Paris and Berlin"), "Japanese, French and German officials");
        assert_eq!(group_label("economists and lawmakers in Japan"), "Japanese economists and lawmakers");
        assert_eq!(group_label("diplomats in Berlin"), "diplomats");
        assert_eq!(group_label("The UK, France and Germany"), "British, French and German officials");
        assert_eq!(group_label("Israel and its allies"), "Israeli and allied officials");
    }

    #[test]
    fn anonymous_and_definite_sources() {
        assert_eq!(np("one diplomatic source in Tokyo"), Some(Source::Anonymous("diplomatic source".into())));
        assert_eq!(
            np("a former official in the Obama administration"),
            Some(Source::Anonymous("former Obama administration official".into()))
        );
        assert_eq!(np("the former official"), Some(Source::Definite { head: "official".into(), former: true }));
        assert_eq!(np("she"), Some(Source::Pronoun { plural: false }));
    }

    #[test]
    fn countries_alone() {
        assert!(matches!(np("Japan"), Some(Source::Country { adjective: "Japanese", .. })));
    }
}
