//! Baselines that every method in the evaluation table must beat.
//!
//! * `keyword_stance`: cue-word rules for stance, written from the
//!   labelling guide's definitions (not from the seed articles).
//! * [`LexiconSentiment`]: the VADER lexicon on its own (see
//!   [`crate::classify::lexicon`], where the heads take it as features).

pub use crate::classify::lexicon::LexiconSentiment;
use crate::classify::Probabilities;

/// Phrases that make engagement look more likely: stated intent, openness,
/// warm ties offered as a basis for talks, incentives, expected talks.
const LIKELY_CUES: &[&str] = &[
    "reach out",
    "reached out",
    "reaching out",
    "willing to",
    "open to",
    "ready to talk",
    "ready to meet",
    "meet again",
    "would meet",
    "wants to meet",
    "want to meet",
    "resume talks",
    "resume negotiations",
    "resume dialogue",
    "resuming",
    "restart",
    "return to the table",
    "return to talks",
    "return to negotiations",
    "overture",
    "invitation",
    "invited",
    "get along",
    "good relationship",
    "good rapport",
    "rapport",
    "friendship",
    "incentive",
    "upside",
    "expected to meet",
    "expect talks",
    "could meet",
    "considering",
    "a deal",
    "breakthrough",
    "progress",
    "letters",
    "envoy",
    "back channel",
];

/// Phrases that make engagement look less likely: refusal, hostility,
/// rebukes, preconditions, silence, distraction, leverage, past failure,
/// predicted delay.
const UNLIKELY_CUES: &[&str] = &[
    "reject",
    "refus",
    "hostil",
    "rebuk",
    "lashed out",
    "condemn",
    "denounc",
    "criticis",
    "criticiz",
    "no interest",
    "not interested",
    "unless",
    "precondition",
    "slim",
    "collapsed",
    "stalled",
    "broke down",
    "failed",
    "no-deal",
    "no deal",
    "humiliat",
    "preoccupied",
    "distracted",
    "focused on",
    "leverage",
    "won't",
    "will not",
    "would not",
    "never",
    "unlikely",
    "doubt",
    "no response",
    "not responded",
    "yet to respond",
    "ignored",
    "silence",
    "deteriorat",
    "threat",
    "provocation",
    "wait",
];

fn count_cues(text: &str, cues: &[&str]) -> usize {
    cues.iter().filter(|c| text.contains(*c)).count()
}

/// Stance by cue counts: more likely cues than unlikely ones is `likely`,
/// fewer is `unlikely`, equal (including none) is `neutral`. One-hot.
pub(crate) fn keyword_stance(text: &str) -> Probabilities {
    let lower = text.to_lowercase();
    let likely = count_cues(&lower, LIKELY_CUES);
    let unlikely = count_cues(&lower, UNLIKELY_CUES);
    match likely.cmp(&unlikely) {
        std::cmp::Ordering::Greater => [1.0, 0.0, 0.0],
        std::cmp::Ordering::Less => [0.0, 1.0, 0.0],
        std::cmp::Ordering::Equal => [0.0, 0.0, 1.0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_rules_follow_the_cues() {
        assert_eq!(keyword_stance("He said he would reach out and is open to a deal."), [1.0, 0.0, 0.0]);
        assert_eq!(keyword_stance("The regime rejected talks unless sanctions are lifted."), [0.0, 1.0, 0.0]);
        assert_eq!(keyword_stance("Troops were deployed to the border region."), [0.0, 0.0, 1.0]);
    }
}
