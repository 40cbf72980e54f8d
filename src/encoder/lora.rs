//! Low-rank adapters (LoRA) for the encoder: the adapter file format, the
//! merge into the base weights at load time, and a differentiable BERT
//! forward made of plain candle ops for training them.
//!
//! An adapter holds, for some linear layers `W` (`[out, in]`) of some
//! encoder layers, a pair `A` (`[rank, in]`) and `B` (`[out, rank]`); the
//! adapted layer computes `x·(W + (alpha/rank)·B·A)ᵀ + b`. At load the
//! product is added to `W` once (`merge`), before [`super::bert`] builds
//! its fused QKV weights, so inference costs exactly what the base model
//! costs. Training instead keeps `W` constant and `A`, `B` as variables
//! ([`TrainableBert`]): the fast forward's fused kernels have no backward
//! pass, so the training forward is written from ops that do (matmul,
//! broadcast arithmetic, exp/sum softmax, a layer norm from mean and
//! variance, `gelu_erf`).

use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor, Var, D};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Version of the adapter directory format.
pub const ADAPTER_FORMAT: u32 = 1;
/// Name of an adapter's weights file.
pub const ADAPTER_WEIGHTS: &str = "adapter.safetensors";
/// Name of an adapter's metadata file.
pub const ADAPTER_METADATA: &str = "adapter.json";

/// The linear layers an adapter may target: short name and the path of the
/// weight under `encoder.layer.N.` (the Hugging Face BERT layout).
pub const TARGETS: [(&str, &str); 6] = [
    ("query", "attention.self.query"),
    ("key", "attention.self.key"),
    ("value", "attention.self.value"),
    ("attention_output", "attention.output.dense"),
    ("intermediate", "intermediate.dense"),
    ("output", "output.dense"),
];

/// Path of a target module's weight prefix, e.g. `encoder.layer.5.attention.self.query`.
pub fn module_path(layer: usize, target: &str) -> Result<String> {
    let (_, path) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .ok_or_else(|| Error::Usage(format!("unknown LoRA target module {target:?}")))?;
    Ok(format!("encoder.layer.{layer}.{path}"))
}

/// What an adapter is and how it was made (`adapter.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterMetadata {
    /// Version of this metadata layout.
    pub format: u32,
    /// Hub id (or directory) of the base encoder.
    pub base_model: String,
    /// sha256 of the base `model.safetensors`; a different file is refused.
    pub base_weights_sha256: String,
    /// LoRA rank r.
    pub rank: usize,
    /// LoRA alpha: updates are scaled by alpha / r.
    pub alpha: f64,
    /// Short names from [`TARGETS`].
    pub target_modules: Vec<String>,
    /// Encoder layers (0-based) that carry adapters.
    pub layers: Vec<usize>,
    #[serde(default)]
    /// The files the adapter was trained on, with their hashes.
    pub training_data: Vec<crate::digest::DataFile>,
    #[serde(default)]
    /// The training settings.
    pub hyper_parameters: serde_json::Value,
    /// Development-split figures of the adapted encoder and its head.
    #[serde(default)]
    pub dev: serde_json::Value,
    /// The tool and version that wrote the adapter.
    pub created_by: String,
}

impl AdapterMetadata {
    /// alpha / r.
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// A loaded adapter: metadata and `(A, B)` (f32) per module path.
pub struct Adapter {
    /// What the adapter says about itself.
    pub metadata: AdapterMetadata,
    /// A and B by module path.
    pub pairs: BTreeMap<String, (Tensor, Tensor)>,
    /// sha256 of `adapter.safetensors`, part of the adapted encoder's identity.
    pub weights_sha256: String,
}

impl Adapter {
    /// Reads `dir/adapter.json` and `dir/adapter.safetensors`, checking
    /// that every promised pair is present with the right rank.
    pub fn load(dir: &Path) -> Result<Adapter> {
        let meta_path = dir.join(ADAPTER_METADATA);
        let text = std::fs::read_to_string(&meta_path).map_err(|e| Error::io(&meta_path, e))?;
        let metadata: AdapterMetadata = serde_json::from_str(&text)
            .map_err(|e| Error::ModelFile { path: meta_path.clone(), message: format!("invalid adapter JSON: {e}") })?;
        let bad = |message: String| Error::ModelFile { path: meta_path.clone(), message };
        if metadata.format != ADAPTER_FORMAT {
            return Err(bad(format!("adapter format {} (this build reads {ADAPTER_FORMAT})", metadata.format)));
        }
        if metadata.rank == 0 || !metadata.alpha.is_finite() {
            return Err(bad(format!("rank {} / alpha {} is not a usable adapter", metadata.rank, metadata.alpha)));
        }
        let weights_path = dir.join(ADAPTER_WEIGHTS);
        let weights_sha256 = crate::digest::sha256_file(&weights_path)?;
        let tensors = candle_core::safetensors::load(&weights_path, &Device::Cpu).map_err(|e| Error::ModelFile {
            path: weights_path.clone(),
            message: format!("cannot read adapter weights: {}", super::files::one_line(&e.to_string())),
        })?;
        let bad_weights = |message: String| Error::ModelFile { path: weights_path.clone(), message };
        let mut pairs = BTreeMap::new();
        for &layer in &metadata.layers {
            for target in &metadata.target_modules {
                let module = module_path(layer, target).map_err(|e| bad(e.to_string()))?;
                let get = |suffix: &str| -> Result<Tensor> {
                    let t = tensors
                        .get(&format!("{module}.{suffix}"))
                        .ok_or_else(|| bad_weights(format!("missing {module}.{suffix}")))?;
                    Ok(t.to_dtype(DType::F32)?)
                };
                let (a, b) = (get("lora_a")?, get("lora_b")?);
                let (ar, _) = a.dims2().map_err(|_| bad_weights(format!("{module}.lora_a is not a matrix")))?;
                let (_, br) = b.dims2().map_err(|_| bad_weights(format!("{module}.lora_b is not a matrix")))?;
                if ar != metadata.rank || br != metadata.rank {
                    return Err(bad_weights(format!("{module}: rank {ar}/{br}, adapter.json says {}", metadata.rank)));
                }
                pairs.insert(module, (a, b));
            }
        }
        Ok(Adapter { metadata, pairs, weights_sha256 })
    }

    /// Writes the adapter: A and B in f16 (a few MB), metadata as pretty JSON.
    pub fn save(dir: &Path, metadata: &AdapterMetadata, pairs: &BTreeMap<String, (Tensor, Tensor)>) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut tensors = HashMap::new();
        for (module, (a, b)) in pairs {
            tensors.insert(format!("{module}.lora_a"), a.to_dtype(DType::F16)?);
            tensors.insert(format!("{module}.lora_b"), b.to_dtype(DType::F16)?);
        }
        let path = dir.join(ADAPTER_WEIGHTS);
        candle_core::safetensors::save(&tensors, &path)?;
        write_metadata(dir, metadata)
    }
}

/// Rewrites `adapter.json` alone (the dev figures come after the weights).
pub fn write_metadata(dir: &Path, metadata: &AdapterMetadata) -> Result<()> {
    let json = serde_json::to_string_pretty(metadata).expect("metadata serialises") + "\n";
    let path = dir.join(ADAPTER_METADATA);
    std::fs::write(&path, json).map_err(|e| Error::io(path, e))
}

/// The identity of an adapted encoder: heads and the embedding cache key
/// on it, so vectors of the base and of the adapted encoder never mix.
pub(crate) fn adapted_sha256(base: &str, adapter_weights: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{base}+lora:{adapter_weights}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Base weights by name, without the optional `bert.` prefix, in f32.
pub fn load_base(weights: &Path) -> Result<HashMap<String, Tensor>> {
    let tensors = candle_core::safetensors::load(weights, &Device::Cpu).map_err(|e| Error::ModelFile {
        path: weights.to_owned(),
        message: format!("cannot read weights: {}", super::files::one_line(&e.to_string())),
    })?;
    tensors
        .into_iter()
        .map(|(name, t)| {
            let name = name.strip_prefix("bert.").map(str::to_owned).unwrap_or(name);
            Ok((name, t.to_dtype(DType::F32)?))
        })
        .collect()
}

/// Adds `(alpha/rank)·B·A` to every adapted weight of `base`, refusing
/// shapes that do not fit.
pub(crate) fn merge(base: &mut HashMap<String, Tensor>, adapter: &Adapter, origin: &Path) -> Result<()> {
    let scale = adapter.metadata.scale();
    for (module, (a, b)) in &adapter.pairs {
        let name = format!("{module}.weight");
        let w = base.get(&name).ok_or_else(|| Error::ModelFile {
            path: origin.to_owned(),
            message: format!("the base model has no {name} for the adapter"),
        })?;
        let delta = (b.matmul(a)? * scale)?;
        if delta.dims() != w.dims() {
            return Err(Error::ModelFile {
                path: origin.to_owned(),
                message: format!("adapter for {name} is {:?}, the weight {:?}", delta.dims(), w.dims()),
            });
        }
        let merged = (w + delta)?;
        base.insert(name, merged);
    }
    Ok(())
}

/// A trainable pair; `b` starts at zero, so training starts at the base model.
pub struct LoraPair {
    /// `[r, in]`, from a seeded draw.
    pub a: Var,
    /// `[out, r]`, zeros at the start.
    pub b: Var,
}

/// BERT as plain differentiable candle ops over constant base weights, with
/// optional LoRA pairs (module path → pair). Activations are
/// `[batch·seq, hidden]` as in the fast forward.
pub struct TrainableBert {
    /// The base model's configuration.
    pub config: super::bert::Config,
    base: HashMap<String, Tensor>,
    /// Trainable pairs by module path.
    pub lora: BTreeMap<String, LoraPair>,
    /// alpha / r.
    pub scale: f64,
}

impl TrainableBert {
    /// The base model with no pairs yet.
    pub fn new(config: super::bert::Config, base: HashMap<String, Tensor>, scale: f64) -> TrainableBert {
        TrainableBert { config, base, lora: BTreeMap::new(), scale }
    }

    fn get(&self, name: &str) -> Result<&Tensor> {
        self.base.get(name).ok_or_else(|| Error::Model(format!("base weights lack {name}")))
    }

    /// `[out, in]` of a base weight, if present.
    pub fn base_dims(&self, name: &str) -> Option<(usize, usize)> {
        self.base.get(name).and_then(|t| t.dims2().ok())
    }

    /// The trainable variables in a fixed (module path) order.
    pub fn vars(&self) -> Vec<Var> {
        self.lora.values().flat_map(|p| [p.a.clone(), p.b.clone()]).collect()
    }

    /// The current pairs as plain tensors, for [`Adapter::save`].
    pub fn pairs(&self) -> BTreeMap<String, (Tensor, Tensor)> {
        self.lora.iter().map(|(m, p)| (m.clone(), (p.a.as_tensor().clone(), p.b.as_tensor().clone()))).collect()
    }

    fn linear(&self, x: &Tensor, module: &str) -> Result<Tensor> {
        let w = self.get(&format!("{module}.weight"))?;
        let bias = self.get(&format!("{module}.bias"))?;
        let mut y = x.matmul(&w.t()?)?.broadcast_add(bias)?;
        if let Some(pair) = self.lora.get(module) {
            // x·Aᵀ first: [n, rank] is tiny, so the update costs 2·rank·(in+out) per row.
            let low = x.matmul(&pair.a.as_tensor().t()?)?.matmul(&pair.b.as_tensor().t()?)?;
            y = (y + (low * self.scale)?)?;
        }
        Ok(y)
    }

    /// Layer norm from mean and variance (candle's fused one has no backward).
    fn layer_norm(&self, x: &Tensor, prefix: &str) -> Result<Tensor> {
        let w = self.get(&format!("{prefix}.weight"))?;
        let b = self.get(&format!("{prefix}.bias"))?;
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centred.broadcast_div(&(var + self.config.layer_norm_eps)?.sqrt()?)?;
        Ok(normed.broadcast_mul(w)?.broadcast_add(b)?)
    }

    /// Hidden states after the embedding layer, `[batch·seq, hidden]`.
    pub fn embed(&self, ids: &Tensor) -> Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let h = self.config.hidden_size;
        if seq > self.config.max_position_embeddings {
            return Err(Error::Model(format!(
                "{seq} tokens exceed the model's {} positions",
                self.config.max_position_embeddings
            )));
        }
        let words = self.get("embeddings.word_embeddings.weight")?.index_select(&ids.flatten_all()?, 0)?;
        let types = self.get("embeddings.token_type_embeddings.weight")?.get(0)?.unsqueeze(0)?;
        let positions = self.get("embeddings.position_embeddings.weight")?.narrow(0, 0, seq)?;
        let summed = words.broadcast_add(&types)?.reshape((batch, seq, h))?.broadcast_add(&positions)?;
        self.layer_norm(&summed.reshape((batch * seq, h))?, "embeddings.LayerNorm")
    }

    /// One encoder layer. `mask_bias` is `[batch, 1, 1, seq]`: 0 for tokens,
    /// a large negative number for padding (exp of it is exactly 0, so a
    /// sequence's rows never depend on its padding).
    pub fn layer(&self, l: usize, x: &Tensor, batch: usize, seq: usize, mask_bias: &Tensor) -> Result<Tensor> {
        let h = self.config.hidden_size;
        let heads = self.config.num_attention_heads;
        let d = h / heads;
        let p = format!("encoder.layer.{l}");
        let split =
            |t: Tensor| -> Result<Tensor> { Ok(t.reshape((batch, seq, heads, d))?.transpose(1, 2)?.contiguous()?) };
        let q = split(self.linear(x, &format!("{p}.attention.self.query"))?)?;
        let k = split(self.linear(x, &format!("{p}.attention.self.key"))?)?;
        let v = split(self.linear(x, &format!("{p}.attention.self.value"))?)?;
        let scores = (q.matmul(&k.t()?.contiguous()?)? / (d as f64).sqrt())?.broadcast_add(mask_bias)?;
        let probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let context = probs.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((batch * seq, h))?;
        let attended = self.layer_norm(
            &(self.linear(&context, &format!("{p}.attention.output.dense"))? + x)?,
            &format!("{p}.attention.output.LayerNorm"),
        )?;
        let inner = self.linear(&attended, &format!("{p}.intermediate.dense"))?.gelu_erf()?;
        self.layer_norm(
            &(self.linear(&inner, &format!("{p}.output.dense"))? + attended)?,
            &format!("{p}.output.LayerNorm"),
        )
    }

    /// Runs layers `from..` over `x` and mean-pools and L2-normalises:
    /// `[batch, hidden]`, the sentence-transformers recipe.
    pub fn pooled_from(&self, from: usize, x: &Tensor, mask: &[Vec<bool>]) -> Result<Tensor> {
        let batch = mask.len();
        let seq = mask.first().map_or(0, Vec::len);
        let (bias, weights) = mask_tensors(mask)?;
        let mut x = x.clone();
        for l in from..self.config.num_hidden_layers {
            x = self.layer(l, &x, batch, seq, &bias)?;
        }
        pool(&x.reshape((batch, seq, self.config.hidden_size))?, &weights)
    }

    /// Hidden states entering layer `until` (`[batch·seq, hidden]`).
    pub fn hidden_until(&self, until: usize, ids: &Tensor, mask: &[Vec<bool>]) -> Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let (bias, _) = mask_tensors(mask)?;
        let mut x = self.embed(ids)?;
        for l in 0..until {
            x = self.layer(l, &x, batch, seq, &bias)?;
        }
        Ok(x)
    }
}

/// The additive attention bias `[batch, 1, 1, seq]` and the pooling
/// weights `[batch, seq, 1]` of a padding mask (true = token).
fn mask_tensors(mask: &[Vec<bool>]) -> Result<(Tensor, Tensor)> {
    let batch = mask.len();
    let seq = mask.first().map_or(0, Vec::len);
    let flat: Vec<f32> = mask.iter().flatten().map(|&m| if m { 1.0 } else { 0.0 }).collect();
    let bias: Vec<f32> = flat.iter().map(|&m| if m > 0.0 { 0.0 } else { -1e30 }).collect();
    Ok((
        Tensor::from_vec(bias, (batch, 1, 1, seq), &Device::Cpu)?,
        Tensor::from_vec(flat, (batch, seq, 1), &Device::Cpu)?,
    ))
}

/// Masked mean over tokens, then L2 normalisation (`max(norm, 1e-12)`), as
/// [`super::pooling`] does at inference.
fn pool(hidden: &Tensor, weights: &Tensor) -> Result<Tensor> {
    let summed = hidden.broadcast_mul(weights)?.sum(1)?;
    let count = weights.sum(1)?.clamp(1e-9, f64::MAX)?;
    let mean = summed.broadcast_div(&count)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    Ok(mean.broadcast_div(&norm)?)
}

/// Pads token id sequences into a `[batch, longest]` tensor and its mask.
pub fn pad_ids(ids: &[&[u32]], pad: u32) -> Result<(Tensor, Vec<Vec<bool>>)> {
    let longest = ids.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut flat = Vec::with_capacity(ids.len() * longest);
    let mut mask = Vec::with_capacity(ids.len());
    for s in ids {
        flat.extend_from_slice(s);
        flat.extend(std::iter::repeat_n(pad, longest - s.len()));
        mask.push((0..longest).map(|j| j < s.len()).collect());
    }
    Ok((Tensor::from_vec(flat, (ids.len(), longest), &Device::Cpu)?, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_follow_the_hf_layout() {
        assert_eq!(module_path(5, "query").unwrap(), "encoder.layer.5.attention.self.query");
        assert_eq!(module_path(0, "output").unwrap(), "encoder.layer.0.output.dense");
        assert!(module_path(0, "pooler").is_err());
    }

    #[test]
    fn pooling_ignores_padding_and_normalises() {
        let hidden = Tensor::from_vec(vec![3f32, 0., 0., 4., 100., 100.], (1, 3, 2), &Device::Cpu).unwrap();
        let (_, weights) = mask_tensors(&[vec![true, true, false]]).unwrap();
        let v = pool(&hidden, &weights).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6, "{v:?}");
    }

    #[test]
    fn identity_changes_with_the_adapter() {
        assert_ne!(adapted_sha256("a", "b"), adapted_sha256("a", "c"));
        assert_eq!(adapted_sha256("a", "b").len(), 64);
    }
}
