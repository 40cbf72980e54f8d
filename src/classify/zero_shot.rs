//! Zero-shot classification by similarity to label prototypes.
//!
//! Each label has a handful of descriptive sentences (`models/prototypes.toml`,
//! compiled into the binary and overridable with `--prototypes`). A
//! paragraph's score for a label is its mean cosine similarity to that
//! label's prototype sentences; probabilities are the softmax of the scores
//! divided by the file's temperature.

use super::{softmax, Classifier, Probabilities, Task};
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The prototypes shipped with the tool.
pub(crate) const BUILTIN_PROTOTYPES: &str = include_str!("../../models/prototypes.toml");
/// How the shipped prototypes are named in messages.
pub(crate) const BUILTIN_NAME: &str = "models/prototypes.toml";

/// A prototype file: one section per task.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrototypeFile {
    /// Prototypes of the stance labels.
    pub stance: TaskPrototypes,
    /// Prototypes of the sentiment labels.
    pub sentiment: TaskPrototypes,
}

/// The prototypes of one task.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPrototypes {
    /// Softmax temperature applied to mean cosine similarities.
    pub temperature: f32,
    /// Label name to descriptive sentences.
    pub labels: BTreeMap<String, Vec<String>>,
}

impl PrototypeFile {
    /// The shipped prototypes.
    pub fn builtin() -> Result<PrototypeFile> {
        PrototypeFile::parse(BUILTIN_PROTOTYPES, Path::new(BUILTIN_NAME))
    }

    /// The file at `path` when one is given, else the shipped prototypes.
    pub fn load_or_builtin(path: Option<&Path>) -> Result<PrototypeFile> {
        path.map_or_else(PrototypeFile::builtin, PrototypeFile::load)
    }

    /// Reads a prototype file.
    pub fn load(path: &Path) -> Result<PrototypeFile> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        PrototypeFile::parse(&crate::text::input::decode(&bytes, path, None, false)?, path)
    }

    /// Parses and validates prototype TOML; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<PrototypeFile> {
        let file: PrototypeFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            Error::input(origin, line, e.message().to_owned())
        })?;
        for task in [Task::Stance, Task::Sentiment] {
            file.task(task).validate(task, origin)?;
        }
        Ok(file)
    }

    /// The section for `task`.
    pub fn task(&self, task: Task) -> &TaskPrototypes {
        match task {
            Task::Stance => &self.stance,
            Task::Sentiment => &self.sentiment,
        }
    }
}

impl TaskPrototypes {
    fn validate(&self, task: Task, origin: &Path) -> Result<()> {
        let bad = |m: String| Error::input(PathBuf::from(origin), None, format!("[{}] {m}", task.name()));
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(bad(format!("temperature must be positive, found {}", self.temperature)));
        }
        for name in self.labels.keys() {
            if task.index_of(name).is_none() {
                return Err(bad(format!("unknown label {name:?}; expected {}", task.labels().join(", "))));
            }
        }
        for label in task.labels() {
            match self.labels.get(*label) {
                Some(sentences) if !sentences.is_empty() => {}
                _ => return Err(bad(format!("label {label:?} needs at least one sentence"))),
            }
        }
        Ok(())
    }
}

/// The zero-shot classifier of one task.
pub(crate) struct ZeroShot {
    task: Task,
    temperature: f32,
    /// Prototype embeddings per label, in [`Task::labels`] order.
    prototypes: [Vec<Vec<f32>>; 3],
}

impl ZeroShot {
    /// Embeds the task's prototype sentences with `encoder`.
    pub fn new(task: Task, prototypes: &TaskPrototypes, encoder: &Encoder) -> Result<ZeroShot> {
        let mut embedded: [Vec<Vec<f32>>; 3] = Default::default();
        for (i, label) in task.labels().iter().enumerate() {
            let sentences: Vec<&str> = prototypes.labels[*label].iter().map(String::as_str).collect();
            embedded[i] = encoder.embed(&sentences, 64)?;
        }
        Ok(ZeroShot { task, temperature: prototypes.temperature, prototypes: embedded })
    }

    /// Mean cosine similarity of a unit vector to each label's prototypes.
    pub(crate) fn similarities(&self, embedding: &[f32]) -> [f32; 3] {
        let mut scores = [0f32; 3];
        for (score, protos) in scores.iter_mut().zip(&self.prototypes) {
            let total: f32 = protos.iter().map(|p| dot(p, embedding)).sum();
            *score = total / protos.len() as f32;
        }
        scores
    }
}

impl Classifier for ZeroShot {
    fn task(&self) -> Task {
        self.task
    }

    fn name(&self) -> &str {
        "zero-shot"
    }

    fn predict(&self, _texts: &[&str], embeddings: &[Vec<f32>]) -> Result<Vec<Probabilities>> {
        Ok(embeddings.iter().map(|e| softmax(&self.similarities(e), self.temperature)).collect())
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_prototypes_are_valid() {
        let file = PrototypeFile::builtin().unwrap();
        for task in [Task::Stance, Task::Sentiment] {
            for label in task.labels() {
                assert!(file.task(task).labels[*label].len() >= 4, "{label}");
            }
        }
    }

    #[test]
    fn invalid_files_are_rejected_with_their_name() {
        let good = BUILTIN_PROTOTYPES;
        let unknown = good.replacen("[stance.labels]", "[stance.labels]\nmaybe = [\"x\"]", 1);
        let err = PrototypeFile::parse(&unknown, Path::new("p.toml")).unwrap_err().to_string();
        assert!(err.contains("p.toml") && err.contains("unknown label \"maybe\""), "{err}");

        let err = PrototypeFile::parse("[stance]\ntemperature = ", Path::new("p.toml")).unwrap_err().to_string();
        assert!(err.starts_with("p.toml:2:"), "{err}");
    }
}
