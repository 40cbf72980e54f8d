//! Classifiers over paragraph embeddings.
//!
//! A [`Classifier`] maps embeddings to probabilities over a [`Task`]'s
//! labels. The zero-shot classifier (`zero_shot::ZeroShot`) compares
//! embeddings with label prototypes; trained heads implement the same trait
//! and slot in without the pipeline knowing the difference.

pub mod heads;
pub mod lexicon;
pub mod zero_shot;

use crate::error::Result;
pub use crate::label::{argmax, softmax, Probabilities, Task, SENTIMENT_LABELS, STANCE_LABELS};

/// Which classifiers a pipeline uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ClassifierChoice {
    /// The shipped heads when they fit the encoder, else zero-shot.
    #[default]
    Auto,
    /// Label prototypes (models/prototypes.toml).
    ZeroShot,
    /// The shipped trained heads (an error if they do not fit the encoder).
    Head,
}

/// Anything that turns embeddings into label probabilities.
pub trait Classifier: Send + Sync {
    /// The task this classifier answers.
    fn task(&self) -> Task;
    /// A short name for reports ("zero-shot", "head:stance-minilm").
    fn name(&self) -> &str;
    /// Probabilities (summing to 1) over [`Task::labels`], one per input.
    /// `texts[i]` is the paragraph that `embeddings[i]` encodes (heads may
    /// use features of the text beside the embedding).
    fn predict(&self, texts: &[&str], embeddings: &[Vec<f32>]) -> Result<Vec<Probabilities>>;

    /// A continuous valence in [-1, 1] per input, for classifiers that
    /// model one (sentiment regression heads). `None`: the pipeline uses
    /// P(first label) - P(second label).
    fn valence(&self, _texts: &[&str], _embeddings: &[Vec<f32>]) -> Result<Option<Vec<f32>>> {
        Ok(None)
    }
}
