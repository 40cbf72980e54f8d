//! The word tables attribution runs on. Every rule in the speaker module is
//! driven by these lists, so widening coverage means adding a word here,
//! not another branch there.
//!
//! Entries are written as they appear in news copy (lower case unless the
//! word is a proper noun); lookups lower-case the text first where noted.

/// Finite speech and statement verbs (and reporting predicates) that make
/// their subject, or the name after them, the source of a claim. Multi-word
/// entries are phrasal verbs. Participles ("saying", "stating") are left out
/// on purpose: they hang off another clause's subject.
pub const SPEECH_VERBS: &[&str] = &[
    "said", "says", "say", "told", "tells", "tell", "stated", "states", "added", "adds", "remarked", "remarks",
    "noted", "notes", "argued", "argues", "argue", "insisted", "insists", "insist", "claimed", "claims", "claim",
    "wrote", "writes", "reported", "reports", "report", "warned", "warns", "warn", "vowed", "vows", "vow",
    "pledged", "pledges", "promised", "promises", "accused", "accuses", "accuse", "indicated", "indicates",
    "indicate", "suggested", "suggests", "suggest", "speculated", "speculates", "speculate", "believe",
    "believes", "believed", "bragged", "brags", "boasted", "boasts", "replied", "replies", "reiterated",
    "reiterates", "emphasized", "emphasised", "emphasizes", "stressed", "stresses", "announced", "announces",
    "declared", "declares", "denied", "denies", "deny", "predicted", "predicts", "predict", "explained",
    "explains", "asserted", "asserts", "acknowledged", "acknowledges", "admitted", "admits", "confirmed",
    "confirms", "estimated", "estimates", "estimate", "cautioned", "cautions", "threatened", "threatens",
    "urged", "urges", "urge", "criticized", "criticised", "criticizes", "condemned", "condemns", "praised",
    "praises", "hinted", "hints", "mentioned", "mentions", "tweeted", "posted", "complained", "complains",
    "informed", "called", "calls", "addressed", "addresses", "dismissed", "dismisses", "denounced",
    "denounces", "slammed", "slams", "rebuked", "rebukes", "decried", "decries", "blasted", "blasts",
    "described", "describes", "expect", "expects", "fear", "fears", "worry",
    "worry", "lashed out", "lashes out", "pointed to", "points to", "pointed out", "points out", "referred to",
    "refers to", "spoke of", "spoken of", "spoke about", "wrote in",
];

/// Adjectives that report a state of mind when they follow a copula ("are
/// now concerned that …"): their subject is the source.
pub const STATE_PREDICATES: &[&str] = &[
    "concerned", "worried", "alarmed", "optimistic", "pessimistic", "skeptical", "sceptical", "confident",
    "hopeful", "convinced", "wary",
];
pub const COPULAS: &[&str] = &["is", "are", "was", "were", "remain", "remains", "remained", "seem", "seems", "appear", "appears", "grew", "grow", "been"];

/// Words that open a subordinate clause: a source inside one backs up the
/// main clause rather than carrying the paragraph.
pub const SUBORDINATORS: &[&str] = &[
    "that", "which", "who", "whom", "when", "since", "because", "after", "before", "if", "unless", "until",
    "whether", "where", "once",
];

/// Days and months, which may sit inside a source's phrase ("a Friday
/// report by …").
pub const CALENDAR_WORDS: &[&str] = &[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "june", "july", "august", "september", "october", "november", "december", "weekend", "recent",
    "new", "latest", "weekly", "daily", "monthly",
];

/// Bullet markers that open a summary line (whose speaker, like a
/// heading's, is the narrator).
pub const BULLETS: &[&str] = &["- ", "* ", "• ", "– ", "— ", "# "];

/// A verb followed by one of these nouns is a speech act too: "expressed
/// concern", "issued a statement", "shared this assessment".
pub const SPEECH_ACT_VERBS: &[&str] = &[
    "expressed", "expresses", "voiced", "voices", "shared", "shares", "raised", "raises", "issued", "issues",
    "released", "releases",
];
pub const SPEECH_ACT_OBJECTS: &[&str] = &[
    "concern", "concerns", "suspicion", "suspicions", "hope", "hopes", "doubt", "doubts", "interest", "assessment",
    "view", "views", "worry", "worries", "skepticism", "scepticism", "optimism", "statement", "warning",
    "remarks", "comments", "frustration", "support", "opposition", "confidence", "regret",
];

/// Words allowed between a subject and its speech verb ("has also said").
pub const AUXILIARIES: &[&str] = &[
    "has", "have", "had", "also", "now", "once", "long", "previously", "repeatedly", "recently", "earlier",
    "again", "further", "reportedly", "publicly", "privately", "then", "still", "already", "often", "later",
    "separately", "likewise", "too", "will", "would", "did", "does", "do", "first", "openly", "explicitly",
];

/// A speech verb right after one of these is passive or negated and names
/// no source ("was called out", "neither confirmed nor denied").
pub const NEGATORS: &[&str] = &["not", "never", "nor", "neither", "no", "to", "was", "were", "been", "be", "being", "is", "yet"];

/// Opening words of a clause that turns against what came before; the
/// labelling conventions let the turn decide the paragraph.
pub const CONTRAST_MARKERS: &[&str] = &["but", "however", "nonetheless", "nevertheless", "yet", "still", "instead"];

/// Opening words of a concessive clause, whose source backs up the main
/// clause rather than carrying the paragraph.
pub const CONCESSIVE_MARKERS: &[&str] = &["though", "although", "while", "whereas", "despite"];

/// Words that end a subject when walking back from the verb (clause
/// openers; the subject lies after them).
pub const CLAUSE_OPENERS: &[&str] = &[
    "that", "which", "who", "whom", "whose", "though", "although", "while", "whereas", "because", "since", "as",
    "when", "after", "before", "if", "unless", "until", "so", "but", "however", "nonetheless", "nevertheless",
    "yet", "where", "then", "instead", "even", "than", "whether", "said", "says", "told",
];

/// Courtesy and office titles dropped from personal names (compared
/// without a trailing period, case-insensitively).
pub const TITLES: &[&str] = &[
    "mr", "ms", "mrs", "miss", "dr", "prof", "professor", "president", "president-elect", "vice", "prime",
    "minister", "secretary", "general", "gen", "sen", "senator", "rep", "representative", "chairman", "leader",
    "king", "queen", "pope", "ambassador", "governor", "gov", "mayor", "premier", "chancellor", "sir", "lord",
    "incoming", "outgoing", "former", "then", "then-president", "comrade", "marshal", "supreme",
    // Words of office titles ("Secretary of State", "National Security
    // Adviser") that are never part of a personal name.
    "state", "defense", "defence", "deputy", "foreign", "affairs", "national", "security", "adviser", "advisor",
    "spokesperson", "spokesman", "spokeswoman", "envoy", "special", "chief", "commander", "director", "justice",
    "attorney", "interior", "finance", "treasury", "trade", "commerce", "homeland", "lady", "rev",
];

/// Capitalised words that start sentences or clauses but are never part of
/// a personal name.
pub const NOT_NAME_WORDS: &[&str] = &[
    "the", "a", "an", "it", "he", "she", "they", "we", "i", "you", "this", "that", "these", "those", "but", "and",
    "when", "while", "after", "before", "in", "on", "at", "as", "if", "of", "for", "with", "from", "by", "to",
    "his", "her", "their", "its", "our", "my", "during", "since", "until", "asked", "now", "last", "next",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "many", "some", "most",
    "several", "one", "two", "both", "other", "others", "such", "here", "there", "what", "who", "why", "how",
];

/// Pronouns and what they can refer back to.
pub const PERSON_PRONOUNS: &[&str] = &["he", "she"];
pub const GROUP_PRONOUNS: &[&str] = &["they"];

/// Nouns naming an institution that can speak ("North Korea's Foreign
/// Ministry", "the South Korean military"). Multi-word entries first.
pub const BODY_NOUNS: &[&str] = &[
    "joint chiefs of staff", "foreign ministry", "defense ministry", "defence ministry", "unification ministry",
    "ministry of foreign affairs", "ministry of defense", "ministry of defence", "ministry of unification",
    "presidential office", "state media", "official media", "state-run media", "state news agency",
    "news agency", "intelligence agency", "intelligence service", "spy agency", "national intelligence service",
    "foreign office", "state department", "white house", "defense department", "ministry", "military", "army",
    "navy", "air force", "government", "cabinet", "office", "embassy", "mission", "administration", "agency",
    "media", "parliament", "legislature", "congress", "party", "command", "forces", "department", "kremlin",
    "pentagon",
];

/// Media names that all mean a government's own outlets.
pub const STATE_MEDIA_SYNONYMS: &[&str] = &["official media", "state-run media", "state news agency", "state media"];

/// Generic bodies: a more specific body named in the same paragraph wins
/// (the labelling conventions' "most specific body").
pub const GENERIC_BODIES: &[&str] = &["military", "government", "army", "forces", "administration", "authorities"];

/// Plural nouns for groups of sources ("experts said", "analysts say").
pub const GROUP_NOUNS: &[&str] = &[
    "experts", "analysts", "officials", "observers", "diplomats", "watchers", "sources", "critics", "lawmakers",
    "legislators", "scholars", "researchers", "academics", "commentators", "authorities", "governments",
    "leaders", "activists", "defectors", "residents", "investors", "economists", "specialists", "insiders",
    "allies", "proponents", "opponents", "advocates", "intelligence", "negotiators", "envoys", "strategists",
];

/// Singular nouns for an anonymous individual source ("a diplomatic source",
/// "the former official").
pub const ROLE_NOUNS: &[&str] = &[
    "official", "source", "analyst", "expert", "diplomat", "spokesperson", "spokesman", "spokeswoman",
    "observer", "researcher", "professor", "scholar", "adviser", "advisor", "aide", "envoy", "negotiator",
    "lawmaker", "legislator", "commentator", "defector", "insider", "person", "strategist", "economist",
];

/// Group nouns that speak for governments: a place after them ("officials in
/// Seoul") names the government.
pub const GOVERNMENT_GROUPS: &[&str] = &["officials", "authorities", "governments", "intelligence", "sources"];

/// Words in a source description that say nothing about who it is; dropped
/// from group and anonymous labels ("one diplomatic source" → "diplomatic
/// source", "other North Korea watchers" → "North Korea watchers").
pub const VAGUE_MODIFIERS: &[&str] = &[
    "a", "an", "the", "one", "some", "many", "most", "several", "other", "few", "various", "numerous", "certain",
    "senior", "top", "high-ranking", "unnamed", "anonymous", "two", "three", "more", "his", "her", "their", "its",
    "first", "second", "third", "current", "also", "now", "all", "both", "these", "those",
];

/// Lower-case modifiers allowed inside a source's noun phrase when walking
/// back from a speech verb.
pub const PHRASE_MODIFIERS: &[&str] = &[
    "former", "senior", "top", "high-ranking", "unnamed", "anonymous", "diplomatic", "government", "military",
    "intelligence", "presidential", "foreign", "defense", "defence", "state", "official", "state-run", "western",
    "allied", "independent", "local", "regional", "international", "security", "policy", "nuclear", "other",
    "many", "some", "most", "several", "few", "one", "a", "an", "the", "first", "second", "third", "current",
    "administration", "ministry", "office", "media", "agency", "party", "intelligence", "its", "their", "his",
    "her", "of", "in", "at", "from", "for", "with", "and", "two", "three", "more", "all", "both", "cabinet",
    "unification", "news", "spy", "foreign-policy", "watchers", "reports", "report", "by", "or",
];

/// Countries, their capitals and their adjectives, each mapped to the
/// adjective the labelling conventions use ("US" without periods). Longer
/// spellings first so "North Korean" is not read as "Korean".
pub const DEMONYMS: &[(&str, &str)] = &[
    ("north korean", "North Korean"),
    ("north korea", "North Korean"),
    ("south korean", "South Korean"),
    ("south korea", "South Korean"),
    ("united states", "US"),
    ("u.s.", "US"),
    ("u.s", "US"),
    ("us", "US"),
    ("american", "US"),
    ("america", "US"),
    ("united kingdom", "British"),
    ("britain", "British"),
    ("british", "British"),
    ("uk", "British"),
    ("russia", "Russian"),
    ("russian", "Russian"),
    ("china", "Chinese"),
    ("chinese", "Chinese"),
    ("japan", "Japanese"),
    ("japanese", "Japanese"),
    ("ukraine", "Ukrainian"),
    ("ukrainian", "Ukrainian"),
    ("iran", "Iranian"),
    ("iranian", "Iranian"),
    ("israel", "Israeli"),
    ("israeli", "Israeli"),
    ("france", "French"),
    ("french", "French"),
    ("germany", "German"),
    ("german", "German"),
    ("india", "Indian"),
    ("indian", "Indian"),
    ("taiwan", "Taiwanese"),
    ("taiwanese", "Taiwanese"),
    ("vietnam", "Vietnamese"),
    ("vietnamese", "Vietnamese"),
    ("canada", "Canadian"),
    ("canadian", "Canadian"),
    ("australia", "Australian"),
    ("australian", "Australian"),
    ("europe", "European"),
    ("european", "European"),
    ("eu", "European"),
    ("nato", "NATO"),
    ("allies", "allied"),
    ("its allies", "allied"),
    ("their allies", "allied"),
    ("allied", "allied"),
    ("western", "Western"),
];

/// Capitals that stand for their governments ("officials in Seoul"), only
/// read so after a government group noun: "diplomats in Seoul" may be
/// anyone's diplomats.
pub const CAPITALS: &[(&str, &str)] = &[
    ("pyongyang", "North Korean"),
    ("seoul", "South Korean"),
    ("washington", "US"),
    ("moscow", "Russian"),
    ("beijing", "Chinese"),
    ("tokyo", "Japanese"),
    ("kyiv", "Ukrainian"),
    ("kiev", "Ukrainian"),
    ("tehran", "Iranian"),
    ("london", "British"),
    ("paris", "French"),
    ("berlin", "German"),
    ("new delhi", "Indian"),
    ("taipei", "Taiwanese"),
    ("hanoi", "Vietnamese"),
    ("ottawa", "Canadian"),
    ("canberra", "Australian"),
    ("brussels", "European"),
];

/// Abbreviations whose period does not end a sentence.
pub const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep",
    "rev", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs",
    "etc", "inc", "corp", "co", "ltd", "u.s", "u.n", "u.k", "e.u", "a.m", "p.m", "approx", "est", "dept",
];

/// Opening and closing quotation marks.
pub const OPEN_QUOTES: &[char] = &['“', '«', '„'];
pub const CLOSE_QUOTES: &[char] = &['”', '»'];

/// A quotation with fewer words than this is a scare quote ("rogue"),
/// not the speaker's own statement.
pub const MIN_QUOTE_WORDS: usize = 3;

/// Looks `word` up case-insensitively in `table` (whose entries are
/// ASCII), without allocating: it runs for every token.
pub fn contains(table: &[&str], word: &str) -> bool {
    table.iter().any(|t| t.eq_ignore_ascii_case(word))
}

/// The adjective of a country, capital-free spelling (`"South Korea"` →
/// `"South Korean"`), if `phrase` is one.
pub fn demonym(phrase: &str) -> Option<&'static str> {
    let p = phrase.trim().to_lowercase().replace('’', "'");
    let p = p.strip_prefix("the ").unwrap_or(&p);
    DEMONYMS.iter().find(|(k, _)| *k == p).map(|(_, v)| *v)
}

/// The adjective of the government seated in capital `phrase`, if any.
pub fn capital(phrase: &str) -> Option<&'static str> {
    let p = phrase.trim().to_lowercase();
    CAPITALS.iter().find(|(k, _)| *k == p).map(|(_, v)| *v)
}

/// Speech verbs that also come before their subject in news style
/// ("…,” said Moon; "…, added the official").
pub const INVERTING_VERBS: &[&str] = &[
    "said", "says", "added", "adds", "wrote", "stated", "noted", "explained", "continued", "remarked", "warned", "told",
];

/// Words that may open an appositive after a name ("Bruce Lee, a former
/// analyst now with …, said"): articles, relative pronouns, affiliations.
pub const APPOSITIVE_OPENERS: &[&str] = &[
    "a", "an", "the", "who", "from", "of", "now", "head", "chief", "director", "one", "president", "leader",
    "founder", "spokesperson", "spokesman", "spokeswoman", "professor", "senior", "former", "deputy", "author",
];
