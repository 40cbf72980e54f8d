//! The labels every module shares: the two tasks, their label names in the
//! order every probability vector uses, and the arithmetic on those
//! vectors. It depends on nothing else in the crate, so records, label
//! files and speaker tallies can name labels without reaching into the
//! classifiers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Index, IndexMut};
use std::str::FromStr;

/// What is being classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Task {
    /// The prospect of diplomatic engagement: likely, unlikely, neutral.
    Stance,
    /// The speaker's tone: positive, negative, neutral.
    Sentiment,
}

/// Stance labels, in the order every probability vector uses.
pub const STANCE_LABELS: [&str; 3] = ["likely", "unlikely", "neutral"];
/// Sentiment labels, in the order every probability vector uses.
pub const SENTIMENT_LABELS: [&str; 3] = ["positive", "negative", "neutral"];

impl Task {
    /// The task's labels; probability vectors follow this order.
    pub fn labels(self) -> &'static [&'static str; 3] {
        match self {
            Task::Stance => &STANCE_LABELS,
            Task::Sentiment => &SENTIMENT_LABELS,
        }
    }

    /// The task's name as used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Task::Stance => "stance",
            Task::Sentiment => "sentiment",
        }
    }

    /// Index of `label` among [`labels`](Self::labels).
    pub fn index_of(self, label: &str) -> Option<usize> {
        self.labels().iter().position(|l| *l == label)
    }
}

/// A task's label: one of three values, in the order every probability
/// vector uses, written in files and output as its lower-case name.
pub trait Label:
    Copy + Eq + std::hash::Hash + fmt::Debug + fmt::Display + FromStr<Err = UnknownLabel> + 'static
{
    /// The task this label belongs to.
    const TASK: Task;
    /// Every label, in probability order.
    const ALL: [Self; 3];

    /// Position in [`ALL`](Self::ALL) and in every probability vector.
    fn index(self) -> usize;

    /// The label at `index` of a probability vector.
    ///
    /// # Panics
    /// When `index` is 3 or more: callers index with [`argmax`] or a
    /// label's own [`index`](Self::index).
    fn from_index(index: usize) -> Self {
        Self::ALL[index]
    }

    /// The label's name as files and output write it.
    fn name(self) -> &'static str {
        Self::TASK.labels()[self.index()]
    }

    /// The label a probability vector favours (ties go to the earlier
    /// label, as [`argmax`] says).
    fn argmax(p: &Probabilities) -> Self {
        Self::from_index(argmax(p))
    }
}

/// The prospect of diplomatic engagement a paragraph conveys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StanceLabel {
    /// Engagement looks more likely or more possible.
    Likely,
    /// Engagement looks less likely.
    Unlikely,
    /// No bearing on the prospects, or both directions evenly.
    Neutral,
}

/// The speaker's own tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SentimentLabel {
    /// Warmth, praise, approval, optimism.
    Positive,
    /// Criticism, hostility, threat, worry.
    Negative,
    /// Matter-of-fact, or halves that cancel out.
    Neutral,
}

impl Label for StanceLabel {
    const TASK: Task = Task::Stance;
    const ALL: [Self; 3] = [StanceLabel::Likely, StanceLabel::Unlikely, StanceLabel::Neutral];

    fn index(self) -> usize {
        self as usize
    }
}

impl Label for SentimentLabel {
    const TASK: Task = Task::Sentiment;
    const ALL: [Self; 3] = [SentimentLabel::Positive, SentimentLabel::Negative, SentimentLabel::Neutral];

    fn index(self) -> usize {
        self as usize
    }
}

/// A label name that is not one of its task's labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {task} label {found:?}; expected {}", task.labels().join(", "))]
pub struct UnknownLabel {
    /// The task whose labels were expected.
    pub task: Task,
    /// What was found instead.
    pub found: String,
}

fn parse_label<L: Label>(s: &str) -> Result<L, UnknownLabel> {
    L::ALL.into_iter().find(|l| l.name() == s).ok_or_else(|| UnknownLabel { task: L::TASK, found: s.to_owned() })
}

macro_rules! label_traits {
    ($label:ty) => {
        // The trait's methods, callable without importing it.
        impl $label {
            /// Position in [`Label::ALL`] and in every probability vector.
            pub fn index(self) -> usize {
                self as usize
            }

            /// The label's name as files and output write it.
            pub fn name(self) -> &'static str {
                <Self as Label>::name(self)
            }
        }

        impl fmt::Display for $label {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $label {
            type Err = UnknownLabel;

            fn from_str(s: &str) -> Result<Self, UnknownLabel> {
                parse_label(s)
            }
        }

        impl Serialize for $label {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        // By name, through `FromStr`, so that a file with an unknown label
        // gets the same message whichever reader meets it.
        impl<'de> Deserialize<'de> for $label {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                name.parse().map_err(serde::de::Error::custom)
            }
        }

        // A probability vector is read by label, never by a bare position.
        impl Index<$label> for Probabilities {
            type Output = f32;

            fn index(&self, label: $label) -> &f32 {
                &self[label.index()]
            }
        }

        impl IndexMut<$label> for Probabilities {
            fn index_mut(&mut self, label: $label) -> &mut f32 {
                &mut self[label.index()]
            }
        }
    };
}

label_traits!(StanceLabel);
label_traits!(SentimentLabel);

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Probabilities over a task's labels for one paragraph, in the order of
/// [`Label::ALL`]; index it with a label (`p[StanceLabel::Likely]`).
pub type Probabilities = [f32; 3];

/// Index of the largest probability; ties go to the earlier label, so
/// `neutral` (last) never wins a tie.
pub fn argmax(p: &Probabilities) -> usize {
    let mut best = 0;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    best
}

/// Softmax of `scores / temperature`, computed stably.
pub fn softmax(scores: &[f32; 3], temperature: f32) -> Probabilities {
    let max = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores.iter().map(|s| ((s - max) / temperature).exp()).collect();
    let total: f32 = exp.iter().sum();
    [exp[0] / total, exp[1] / total, exp[2] / total]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let p = softmax(&[0.5, 0.1, 0.3], 0.1);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > p[2] && p[2] > p[1]);
        assert_eq!(argmax(&p), 0);
        // Large scores stay finite.
        let p = softmax(&[1000.0, 0.0, -1000.0], 0.01);
        assert!(p.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn labels_round_trip() {
        for task in [Task::Stance, Task::Sentiment] {
            for (i, l) in task.labels().iter().enumerate() {
                assert_eq!(task.index_of(l), Some(i));
            }
        }
        assert_eq!(Task::Stance.index_of("positive"), None);
    }

    #[test]
    fn typed_labels_match_the_names_and_the_vector_order() {
        for (i, l) in StanceLabel::ALL.into_iter().enumerate() {
            assert_eq!(l.index(), i);
            assert_eq!(l.name(), STANCE_LABELS[i]);
            assert_eq!(l.to_string().parse::<StanceLabel>(), Ok(l));
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{}\"", STANCE_LABELS[i]));
        }
        for (i, l) in SentimentLabel::ALL.into_iter().enumerate() {
            assert_eq!(l.name(), SENTIMENT_LABELS[i]);
            assert_eq!(serde_json::from_str::<SentimentLabel>(&format!("\"{l}\"")).unwrap(), l);
        }
        let p: Probabilities = [0.2, 0.7, 0.1];
        assert_eq!(p[StanceLabel::Unlikely], 0.7);
        assert_eq!(p[SentimentLabel::Positive], 0.2);
        assert_eq!(StanceLabel::argmax(&p), StanceLabel::Unlikely);
        let err = "Likely".parse::<StanceLabel>().unwrap_err();
        assert_eq!(err.to_string(), "unknown stance label \"Likely\"; expected likely, unlikely, neutral");
        assert!(serde_json::from_str::<StanceLabel>("\"positive\"").is_err());
    }
}
