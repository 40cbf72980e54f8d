//! Trained classifier heads on frozen sentence embeddings.
//!
//! * `SoftmaxHead`: multinomial logistic regression (L2), used for stance.
//! * `ValenceHead`: ridge regression of a continuous valence (the NYT
//!   raters' mean rating / 4) on the embedding plus VADER lexicon scores,
//!   with 3-class thresholds and a probability scale chosen on out-of-fold
//!   predictions of the train split; used for sentiment.
//!
//! A head is a directory with `head.safetensors` (weights) and `head.json`
//! ([`HeadMetadata`]: labels, encoder id and weights sha256, training data
//! hashes, hyper-parameters, cross-validation scores). Loading checks the
//! encoder: a head trained on another encoder's embeddings is refused.
//! The shipped heads (`models/heads/`) are compiled into the binary.

#[cfg(feature = "eval")]
pub mod finetune;
#[cfg(feature = "eval")]
pub mod train;

use crate::classify::lexicon::LexiconSentiment;
use crate::classify::{softmax, Classifier, Probabilities, Task};
use crate::error::{Error, Result};
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Version of the head directory format.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// File names inside a head directory.
pub const WEIGHTS_FILE: &str = "head.safetensors";
/// Name of a head's metadata file.
pub const METADATA_FILE: &str = "head.json";

pub use crate::digest::DataFile;

/// What a head is and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadMetadata {
    /// Version of this metadata layout.
    pub format: u32,
    /// The head's name (reports show it as `head:NAME`).
    pub name: String,
    /// The task the head classifies.
    pub task: Task,
    /// How the head turns features into probabilities.
    pub kind: HeadKind,
    /// The task's labels, in the order of the weights' rows.
    pub labels: Vec<String>,
    /// Hub id (or directory) of the encoder whose embeddings it reads.
    pub encoder: String,
    /// sha256 of the encoder weights the head was trained on; a head refuses any other encoder.
    pub encoder_weights_sha256: String,
    /// Embedding size.
    pub dims: usize,
    /// Input features in weight order: `embedding` (dims values), then
    /// lexicon scores by name.
    pub features: Vec<String>,
    /// The files the head was trained on, with their hashes.
    pub training_data: Vec<DataFile>,
    /// The training settings, as the trainer records them.
    pub hyper_parameters: serde_json::Value,
    /// Cross-validation scores that chose the settings.
    pub cross_validation: serde_json::Value,
    /// Valence heads: class thresholds on the predicted valence and the
    /// residual spread used for probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    /// The tool and version that wrote the head.
    pub created_by: String,
}

/// The two head families, as `head.json` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeadKind {
    /// Three logits from a linear map, then a softmax (`softmax-regression`).
    SoftmaxRegression,
    /// One valence from a ridge regression, cut into three classes at two
    /// thresholds (`valence-ridge`; sentiment only).
    ValenceRidge,
}

/// Valence cut points: below `negative` is negative, above `positive` is
/// positive; `scale` sets how sharply probabilities change at the cuts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Valence at or below which a paragraph is `negative`.
    pub negative: f64,
    /// Valence at or above which a paragraph is `positive`.
    pub positive: f64,
    /// Width of the softmax over the thresholds' margins.
    pub scale: f64,
}

impl HeadMetadata {
    /// Refuses metadata whose parts disagree: labels other than the
    /// task's, in another order, or a valence head for stance.
    fn check_consistent(&self) -> std::result::Result<(), String> {
        if self.labels != self.task.labels().map(String::from) {
            return Err(format!(
                "labels {:?} are not the {} labels in order ({})",
                self.labels,
                self.task,
                self.task.labels().join(", ")
            ));
        }
        if self.kind == HeadKind::ValenceRidge && self.task != Task::Sentiment {
            return Err(format!("a valence-ridge head must be a sentiment head, not {}", self.task));
        }
        Ok(())
    }

    /// Refuses a head made for another encoder.
    pub(crate) fn check_encoder(&self, encoder_sha256: &str, origin: &Path) -> Result<()> {
        if self.encoder_weights_sha256 != encoder_sha256 {
            return Err(Error::ModelFile {
                path: origin.to_owned(),
                message: format!(
                    "head {:?} was trained on {} (weights sha256 {}…), not on the loaded encoder (sha256 {}…); retrain it with `stance train` or pick --classifier zero-shot",
                    self.name,
                    self.encoder,
                    &self.encoder_weights_sha256[..12.min(self.encoder_weights_sha256.len())],
                    &encoder_sha256[..12.min(encoder_sha256.len())]
                ),
            });
        }
        Ok(())
    }
}

/// A head's weights: named tensors as flat f32 vectors.
pub(crate) type Weights = HashMap<String, (Vec<usize>, Vec<f32>)>;

/// Writes a head directory.
pub fn save(dir: &Path, metadata: &HeadMetadata, weights: &Weights) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tensors = HashMap::new();
    for (name, (shape, data)) in weights {
        tensors.insert(name.clone(), Tensor::from_vec(data.clone(), shape.as_slice(), &Device::Cpu)?);
    }
    let path = dir.join(WEIGHTS_FILE);
    candle_core::safetensors::save(&tensors, &path)?;
    let json = serde_json::to_string_pretty(metadata).expect("metadata serialises") + "\n";
    let meta_path = dir.join(METADATA_FILE);
    std::fs::write(&meta_path, json).map_err(|e| Error::io(meta_path, e))
}

/// A head read from disk or from the binary.
pub struct LoadedHead {
    /// What the head says about itself.
    pub metadata: HeadMetadata,
    /// Its parameters.
    pub weights: Weights,
    /// Where it came from, for messages.
    pub origin: PathBuf,
}

impl LoadedHead {
    /// Reads a head directory.
    pub fn from_dir(dir: &Path) -> Result<LoadedHead> {
        if !dir.is_dir() {
            return Err(Error::ModelFile {
                path: dir.to_owned(),
                message: "no such head directory (a head directory holds head.json and head.safetensors)".into(),
            });
        }
        let meta_path = dir.join(METADATA_FILE);
        let json = std::fs::read(&meta_path).map_err(|e| Error::io(&meta_path, e))?;
        let weights_path = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&weights_path).map_err(|e| Error::io(&weights_path, e))?;
        LoadedHead::from_bytes(&json, &bytes, dir)
    }

    /// Parses a head from its two files' bytes.
    pub(crate) fn from_bytes(metadata_json: &[u8], weights: &[u8], origin: &Path) -> Result<LoadedHead> {
        let metadata: HeadMetadata = serde_json::from_slice(metadata_json).map_err(|e| Error::ModelFile {
            path: origin.join(METADATA_FILE),
            message: format!("invalid head metadata: {e}"),
        })?;
        metadata
            .check_consistent()
            .map_err(|message| Error::ModelFile { path: origin.join(METADATA_FILE), message })?;
        if metadata.format != FORMAT_VERSION {
            return Err(Error::ModelFile {
                path: origin.join(METADATA_FILE),
                message: format!("head format {} is not supported (expected {FORMAT_VERSION})", metadata.format),
            });
        }
        let tensors = candle_core::safetensors::load_buffer(weights, &Device::Cpu).map_err(|e| Error::ModelFile {
            path: origin.join(WEIGHTS_FILE),
            message: format!("cannot read head weights: {e}"),
        })?;
        let mut out = Weights::new();
        for (name, t) in tensors {
            let shape = t.dims().to_vec();
            let data = t.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?;
            out.insert(name, (shape, data));
        }
        Ok(LoadedHead { metadata, weights: out, origin: origin.to_owned() })
    }

    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        match self.weights.get(name) {
            // A NaN or infinite weight would turn every probability into NaN.
            Some((s, data)) if s == shape && data.iter().all(|x| x.is_finite()) => Ok(data.clone()),
            Some((s, _)) if s == shape => Err(Error::ModelFile {
                path: self.origin.join(WEIGHTS_FILE),
                message: format!("tensor {name} holds a NaN or infinite value"),
            }),
            Some((s, _)) => Err(Error::ModelFile {
                path: self.origin.join(WEIGHTS_FILE),
                message: format!("tensor {name} has shape {s:?}, expected {shape:?}"),
            }),
            None => Err(Error::ModelFile {
                path: self.origin.join(WEIGHTS_FILE),
                message: format!("tensor {name} is missing"),
            }),
        }
    }

    /// Builds the classifier this head describes, after checking that it
    /// was trained on the encoder whose weights hash to `encoder_sha256`.
    pub fn into_classifier(self, encoder_sha256: &str, dims: usize) -> Result<Box<dyn Classifier>> {
        self.metadata.check_encoder(encoder_sha256, &self.origin)?;
        if self.metadata.dims != dims {
            return Err(Error::ModelFile {
                path: self.origin.clone(),
                message: format!("head expects {}-d embeddings, the encoder gives {dims}", self.metadata.dims),
            });
        }
        let features = feature_count(&self.metadata.features, dims, &self.origin)?;
        match self.metadata.kind {
            HeadKind::SoftmaxRegression => {
                let weight = self.tensor("weight", &[3, features])?;
                let bias = self.tensor("bias", &[3])?;
                Ok(Box::new(SoftmaxHead {
                    task: self.metadata.task,
                    name: format!("head:{}", self.metadata.name),
                    features: self.metadata.features.clone(),
                    weight,
                    bias: [bias[0], bias[1], bias[2]],
                    lexicon: LexiconSentiment::default(),
                }))
            }
            HeadKind::ValenceRidge => {
                let weight = self.tensor("weight", &[features])?;
                let bias = self.tensor("bias", &[1])?[0];
                let thresholds = self.metadata.thresholds.ok_or_else(|| Error::ModelFile {
                    path: self.origin.join(METADATA_FILE),
                    message: "a valence head needs thresholds".into(),
                })?;
                let t = thresholds;
                if !(t.negative.is_finite()
                    && t.positive.is_finite()
                    && t.negative <= t.positive
                    && t.scale.is_finite()
                    && t.scale > 0.0)
                {
                    return Err(Error::ModelFile {
                        path: self.origin.join(METADATA_FILE),
                        message: format!(
                            "thresholds must be finite with negative <= positive and scale > 0, found {} / {} / {}",
                            t.negative, t.positive, t.scale
                        ),
                    });
                }
                Ok(Box::new(ValenceHead {
                    name: format!("head:{}", self.metadata.name),
                    features: self.metadata.features.clone(),
                    weight,
                    bias,
                    thresholds,
                    lexicon: LexiconSentiment::default(),
                }))
            }
        }
    }
}

/// Lexicon features a head may use, by name.
pub(crate) const LEXICON_FEATURES: [&str; 4] = ["vader:compound", "vader:pos", "vader:neg", "vader:neu"];

fn feature_count(features: &[String], dims: usize, origin: &Path) -> Result<usize> {
    let mut n = 0;
    for f in features {
        n += match f.as_str() {
            "embedding" => dims,
            f if LEXICON_FEATURES.contains(&f) => 1,
            other => {
                return Err(Error::ModelFile {
                    path: origin.join(METADATA_FILE),
                    message: format!("unknown feature {other:?}"),
                })
            }
        };
    }
    Ok(n)
}

/// The feature vector of one input, in `features` order.
pub(crate) fn featurise(features: &[String], text: &str, embedding: &[f32], lexicon: &LexiconSentiment) -> Vec<f32> {
    let mut out = Vec::with_capacity(embedding.len() + 4);
    let scores = if features.iter().any(|f| f.starts_with("vader:")) { Some(lexicon.scores(text)) } else { None };
    for f in features {
        match f.as_str() {
            "embedding" => out.extend_from_slice(embedding),
            name => {
                let key = name.trim_start_matches("vader:");
                out.push(scores.as_ref().and_then(|s| s.get(key)).copied().unwrap_or(0.0) as f32);
            }
        }
    }
    out
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Multinomial logistic regression: `softmax(W x + b)`.
pub(crate) struct SoftmaxHead {
    task: Task,
    name: String,
    features: Vec<String>,
    /// Row-major `[3, features]`.
    weight: Vec<f32>,
    bias: [f32; 3],
    lexicon: LexiconSentiment,
}

impl SoftmaxHead {
    fn logits(&self, x: &[f32]) -> [f32; 3] {
        let n = x.len();
        let mut z = [0f32; 3];
        for (k, zk) in z.iter_mut().enumerate() {
            *zk = dot(&self.weight[k * n..(k + 1) * n], x) + self.bias[k];
        }
        z
    }
}

impl Classifier for SoftmaxHead {
    fn task(&self) -> Task {
        self.task
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn predict(&self, texts: &[&str], embeddings: &[Vec<f32>]) -> Result<Vec<Probabilities>> {
        Ok(texts
            .iter()
            .zip(embeddings)
            .map(|(t, e)| softmax(&self.logits(&featurise(&self.features, t, e, &self.lexicon)), 1.0))
            .collect())
    }
}

/// Ridge regression of valence with threshold-consistent probabilities:
/// with predicted valence `v`, cut points `t_neg < t_pos` and scale `s`,
/// the logits are `[(v − t_pos)/s, (t_neg − v)/s, 0]` (positive, negative,
/// neutral), so the most probable class is exactly the class the
/// thresholds give, and `s` (fitted on out-of-fold predictions)
/// calibrates confidence.
pub(crate) struct ValenceHead {
    name: String,
    features: Vec<String>,
    weight: Vec<f32>,
    bias: f32,
    thresholds: Thresholds,
    lexicon: LexiconSentiment,
}

impl ValenceHead {
    fn raw(&self, text: &str, embedding: &[f32]) -> f64 {
        (dot(&self.weight, &featurise(&self.features, text, embedding, &self.lexicon)) + self.bias) as f64
    }
}

/// Class probabilities of a predicted valence under [`Thresholds`].
pub fn threshold_probabilities(v: f64, t: &Thresholds) -> Probabilities {
    let logits = [((v - t.positive) / t.scale) as f32, ((t.negative - v) / t.scale) as f32, 0.0];
    softmax(&logits, 1.0)
}

impl Classifier for ValenceHead {
    fn task(&self) -> Task {
        Task::Sentiment
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn predict(&self, texts: &[&str], embeddings: &[Vec<f32>]) -> Result<Vec<Probabilities>> {
        Ok(texts
            .iter()
            .zip(embeddings)
            .map(|(t, e)| threshold_probabilities(self.raw(t, e), &self.thresholds))
            .collect())
    }

    fn valence(&self, texts: &[&str], embeddings: &[Vec<f32>]) -> Result<Option<Vec<f32>>> {
        Ok(Some(texts.iter().zip(embeddings).map(|(t, e)| self.raw(t, e).clamp(-1.0, 1.0) as f32).collect()))
    }
}

/// The heads compiled into the binary: (task, metadata JSON, weights).
pub(crate) const BUILTIN: &[(Task, &str, &[u8])] = &[
    (
        Task::Stance,
        include_str!("../../../models/heads/stance/head.json"),
        include_bytes!("../../../models/heads/stance/head.safetensors"),
    ),
    (
        Task::Sentiment,
        include_str!("../../../models/heads/sentiment/head.json"),
        include_bytes!("../../../models/heads/sentiment/head.safetensors"),
    ),
];

/// The shipped head of `task`.
pub fn builtin(task: Task) -> Result<LoadedHead> {
    let (_, json, bytes) = BUILTIN.iter().find(|(t, _, _)| *t == task).expect("a head per task");
    LoadedHead::from_bytes(json.as_bytes(), bytes, &PathBuf::from(format!("models/heads/{}", task.name())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_probabilities_agree_with_the_cut_points() {
        let t = Thresholds { negative: -0.1, positive: 0.1, scale: 0.05 };
        for (v, class) in [(-1.0, 1), (-0.11, 1), (-0.09, 2), (0.0, 2), (0.09, 2), (0.11, 0), (1.0, 0)] {
            let p = threshold_probabilities(v, &t);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{p:?}");
            assert_eq!(crate::classify::argmax(&p), class, "v = {v}: {p:?}");
        }
        assert!(threshold_probabilities(0.8, &t)[0] > 0.99);
    }

    #[test]
    fn shipped_heads_parse() {
        for task in [Task::Stance, Task::Sentiment] {
            let head = builtin(task).unwrap();
            assert_eq!(head.metadata.task, task);
            assert_eq!(head.metadata.labels, task.labels().map(String::from));
        }
    }

    #[test]
    fn metadata_that_disagrees_with_itself_is_refused() {
        let (_, json, weights) = BUILTIN[0];
        let swapped = json.replacen("\"likely\",\n    \"unlikely\"", "\"unlikely\",\n    \"likely\"", 1);
        assert_ne!(swapped, json, "the shipped head.json layout changed");
        let err = LoadedHead::from_bytes(swapped.as_bytes(), weights, Path::new("h")).err().unwrap().to_string();
        assert!(err.starts_with("h/head.json: labels [\"unlikely\", \"likely\""), "{err}");
        let valence_stance = json.replacen("softmax-regression", "valence-ridge", 1);
        let err = LoadedHead::from_bytes(valence_stance.as_bytes(), weights, Path::new("h")).err().unwrap().to_string();
        assert!(err.contains("a valence-ridge head must be a sentiment head"), "{err}");
        let unknown = json.replacen("softmax-regression", "random-forest", 1);
        let err = LoadedHead::from_bytes(unknown.as_bytes(), weights, Path::new("h")).err().unwrap().to_string();
        assert!(err.contains("invalid head metadata: unknown variant `random-forest`"), "{err}");
    }

    #[test]
    fn a_head_for_another_encoder_is_refused() {
        let head = builtin(Task::Stance).unwrap();
        let err = head.into_classifier("0000", 384).err().unwrap().to_string();
        assert!(err.contains("was trained on") && err.contains("stance train"), "{err}");
    }
}
