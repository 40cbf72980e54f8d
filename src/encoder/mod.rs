//! The sentence encoder: BERT through candle, attention-masked mean pooling
//! and L2 normalisation — the sentence-transformers recipe for
//! all-MiniLM-L6-v2 — with length windows instead of silent truncation.
//!
//! ```no_run
//! use stance::encoder::{Encoder, ResolveOptions, DEFAULT_MODEL};
//! let encoder = Encoder::load(DEFAULT_MODEL, &ResolveOptions::default(), &mut |l| eprintln!("{l}"))?;
//! let vectors = encoder.embed(&["Talks resumed.", "The summit collapsed."], 32)?;
//! assert_eq!(vectors[0].len(), encoder.dims());
//! # Ok::<(), stance::Error>(())
//! ```

pub mod bert;
pub mod cache;
pub mod fetch;
pub mod files;
pub(crate) mod kernels;
pub mod lora;
pub mod pooling;
pub mod windows;

pub use fetch::resolve;
pub use files::{ModelFiles, ResolveOptions, Source, DEFAULT_MODEL, DEFAULT_WEIGHTS_SHA256};

use crate::error::{Error, Result};
use bert::{BertModel, Config};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use tokenizers::Tokenizer;

/// A loaded encoder.
pub struct Encoder {
    model: BertModel,
    tokenizer: Tokenizer,
    config: Config,
    files: ModelFiles,
    /// Longest token sequence fed to the model, special tokens included.
    window: usize,
    /// Most padded tokens (rows × longest) per forward pass.
    token_budget: usize,
    /// Shortest sequence length a batch is padded to (see `forward_batch`).
    min_padded_len: usize,
    /// Arithmetic of the linear layers.
    precision: Precision,
    /// Vectors already computed, on disk (`--cache`).
    cache: Option<cache::EmbeddingCache>,
    /// sha256 of the merged adapter's weights, if one is (see [`lora`]).
    adapter_sha256: Option<String>,
    device: Device,
}

/// Default for [`Encoder::with_token_budget`]: large enough that the
/// matmuls run at full speed, small enough that activations stay a few
/// tens of MB (8,192 tokens × 1,536 floats per intermediate row = 50 MB).
pub(crate) const DEFAULT_TOKEN_BUDGET: usize = 8192;

/// Matmul rows (rows × columns) above which gemm never takes its
/// small-product paths; see `forward_batch`.
const SMALL_PRODUCT: usize = 256;

/// The arithmetic of the encoder's linear layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Precision {
    /// f32 throughout: the reference; heads are trained on it.
    #[default]
    Fp32,
    /// int8 weights and per-token int8 activations in the linear layers
    /// (`kernels::int8`); about twice as fast, with vectors a little off fp32's.
    Int8,
}

impl Precision {
    /// Every precision, in the order the command line lists them.
    pub(crate) const ALL: [Precision; 2] = [Precision::Fp32, Precision::Int8];

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Int8 => "int8",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = Error;

    /// Parses a [`name`](Precision::name).
    fn from_str(name: &str) -> Result<Precision> {
        Precision::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| Error::Usage(format!("unknown precision {name:?} (fp32 or int8)")))
    }
}

/// sentence-transformers' per-model settings (`sentence_bert_config.json`).
#[derive(Debug, serde::Deserialize)]
struct SentenceConfig {
    max_seq_length: Option<usize>,
}

impl Encoder {
    /// Resolves `spec` (a directory or hub id, see [`resolve()`]) and loads it.
    pub fn load(spec: &str, options: &ResolveOptions, notify: &mut dyn FnMut(&str)) -> Result<Encoder> {
        Encoder::try_new(resolve(spec, options, notify)?)
    }

    /// Loads an encoder from its files.
    pub fn try_new(files: ModelFiles) -> Result<Encoder> {
        let config: Config = read_json(&files.config)?;
        config.validate().map_err(|message| Error::ModelFile { path: files.config.clone(), message })?;
        // The model's tokenizer.json pads and truncates to 128 tokens;
        // sentence-transformers turns both off and windows by its own
        // max_seq_length. Do the same, or embeddings silently differ.
        let mut tokenizer = Tokenizer::from_file(&files.tokenizer).map_err(|e| Error::ModelFile {
            path: files.tokenizer.clone(),
            message: format!("cannot load tokenizer: {e}"),
        })?;
        tokenizer.with_padding(None);
        tokenizer.with_truncation(None).map_err(|e| Error::Tokenizer(e.to_string()))?;

        let configured = match &files.sentence_config {
            Some(path) => read_json::<SentenceConfig>(path)?.max_seq_length,
            None => None,
        };
        let window = configured.unwrap_or(512).min(config.max_position_embeddings);
        if window < 3 {
            return Err(Error::ModelFile {
                path: files.config.clone(),
                message: format!("window of {window} tokens leaves no room for text"),
            });
        }

        let device = Device::Cpu;
        // SAFETY: the weights file is memory-mapped read-only; the tool never
        // writes to it, and the usual caveat (another process truncating the
        // file while mapped) is outside what any loader can guard against.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(std::slice::from_ref(&files.weights), DType::F32, &device) }
                .map_err(|e| Error::ModelFile {
                path: files.weights.clone(),
                message: format!("cannot read weights: {e}"),
            })?;
        let model = BertModel::load(vb, &config).map_err(|e| Error::ModelFile {
            path: files.weights.clone(),
            message: format!("weights do not fit config.json: {}", files::one_line(&e.to_string())),
        })?;
        // The narrowest matmul output is hidden_size wide; enough rows
        // that rows × hidden_size > SMALL_PRODUCT, and always two or more.
        let min_padded_len = (SMALL_PRODUCT / config.hidden_size.max(1) + 1).max(2);
        Ok(Encoder {
            model,
            tokenizer,
            config,
            files,
            window,
            token_budget: DEFAULT_TOKEN_BUDGET,
            min_padded_len,
            precision: Precision::Fp32,
            cache: None,
            adapter_sha256: None,
            device,
        })
    }

    /// Opens an on-disk embedding cache under `dir` (see [`cache`]):
    /// [`embed`](Self::embed) then reads vectors of texts it has seen
    /// instead of running the model, and stores the new ones. Cached
    /// vectors are the computed bits, so output does not change.
    /// The cache is per encoder and precision: int8 vectors are kept apart
    /// from fp32 ones.
    pub(crate) fn with_cache(mut self, dir: &std::path::Path, notify: &mut dyn FnMut(&str)) -> Result<Encoder> {
        let sha = self.weights_sha256()?;
        let id = match self.precision {
            Precision::Fp32 => sha,
            other => format!("{sha}.{}", other.name()),
        };
        self.cache = Some(cache::EmbeddingCache::open(dir, &id, self.window, self.dims(), notify)?);
        Ok(self)
    }

    /// Merges the LoRA adapter in `dir` ([`lora`]) into the f32 base weights
    /// and rebuilds the model from them, so the adapted encoder runs at the
    /// base model's speed. The base weights' sha256 must be the one the
    /// adapter was trained on. Call it before [`with_precision`](Self::with_precision)
    /// and `with_cache`: both key on the merged weights.
    pub fn with_adapter(mut self, dir: &std::path::Path) -> Result<Encoder> {
        if self.cache.is_some() || self.precision != Precision::Fp32 || self.adapter_sha256.is_some() {
            return Err(Error::Usage("load the adapter first: before --precision, --cache or another adapter".into()));
        }
        let adapter = lora::Adapter::load(dir)?;
        let base_sha = self.base_weights_sha256()?;
        if adapter.metadata.base_weights_sha256 != base_sha {
            return Err(Error::ModelFile {
                path: dir.join(lora::ADAPTER_METADATA),
                message: format!(
                    "adapter was trained on base weights sha256 {}…, the loaded encoder's are {}…; load its base model",
                    &adapter.metadata.base_weights_sha256[..12.min(adapter.metadata.base_weights_sha256.len())],
                    &base_sha[..12]
                ),
            });
        }
        let mut tensors = lora::load_base(&self.files.weights)?;
        lora::merge(&mut tensors, &adapter, &dir.join(lora::ADAPTER_WEIGHTS))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &self.device);
        self.model = BertModel::load(vb, &self.config).map_err(|e| Error::ModelFile {
            path: dir.to_owned(),
            message: format!("merged weights do not fit config.json: {}", files::one_line(&e.to_string())),
        })?;
        self.adapter_sha256 = Some(adapter.weights_sha256);
        Ok(self)
    }

    /// Sets the arithmetic of the linear layers (see [`Precision`]). Call it
    /// before `with_cache`, which keys vectors by it.
    pub fn with_precision(mut self, precision: Precision) -> Result<Encoder> {
        if self.cache.is_some() {
            return Err(Error::Usage("set the precision before opening the embedding cache".into()));
        }
        match precision {
            Precision::Fp32 if self.precision != Precision::Fp32 => {
                return Err(Error::Usage("an int8 encoder cannot go back to fp32; load it again".into()))
            }
            Precision::Int8 if self.precision != Precision::Int8 => self.model.quantize()?,
            _ => {}
        }
        self.precision = precision;
        Ok(self)
    }

    /// The arithmetic of the linear layers.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Sets the most padded tokens per forward pass (at least one window
    /// always goes through, whatever its length).
    pub fn with_token_budget(mut self, tokens: usize) -> Encoder {
        self.token_budget = tokens.max(1);
        self
    }

    /// Embedding size.
    pub fn dims(&self) -> usize {
        self.config.hidden_size
    }

    /// Longest token sequence per forward pass, special tokens included.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Where the model came from.
    pub fn files(&self) -> &ModelFiles {
        &self.files
    }

    /// sha256 of the weights file (memoised in the tool's cache, see
    /// `crate::digest::sha256_file_memo`); heads record it to refuse
    /// embeddings from another encoder. With an adapter merged it is the
    /// hash of base and adapter together (`lora::adapted_sha256`), so a
    /// head of the base encoder is refused by the adapted one and back.
    pub fn weights_sha256(&self) -> Result<String> {
        let base = self.base_weights_sha256()?;
        Ok(match &self.adapter_sha256 {
            Some(adapter) => lora::adapted_sha256(&base, adapter),
            None => base,
        })
    }

    /// sha256 of the base weights file, adapter or not.
    pub fn base_weights_sha256(&self) -> Result<String> {
        crate::digest::sha256_file_memo(&self.files.weights, &files::default_cache_dir())
    }

    /// The model's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Token ids of `texts`, special tokens included, untruncated.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let encodings =
            self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(encodings.into_iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Embeds `texts`: one L2-normalised vector of [`dims`](Self::dims) per
    /// text. Texts longer than the window are split into overlapping windows
    /// whose mean-pooled vectors are averaged, weighted by their token
    /// counts, before normalisation. At most `batch_size` windows go through
    /// the model at once (fewer when they would exceed the token budget),
    /// grouped by length so that padding stays small. A text's vector does
    /// not depend on the batch size or on the other texts, bit for bit.
    pub fn embed(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        let Some(cache) = &self.cache else {
            return self.embed_tokens(&self.tokenize(texts)?, batch_size);
        };
        let keys: Vec<[u8; 32]> = texts.iter().map(|t| cache.key(t)).collect();
        let mut vectors = cache.get_many(&keys);
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| vectors[i].is_none()).collect();
        if !missing.is_empty() {
            let fresh_texts: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let fresh = self.embed_tokens(&self.tokenize(&fresh_texts)?, batch_size)?;
            let entries: Vec<([u8; 32], &[f32])> =
                missing.iter().zip(&fresh).map(|(&i, v)| (keys[i], v.as_slice())).collect();
            cache.insert(&entries)?;
            for (i, v) in missing.into_iter().zip(fresh) {
                vectors[i] = Some(v);
            }
        }
        Ok(vectors.into_iter().map(|v| v.expect("every text embedded")).collect())
    }

    /// Embeds already tokenized texts (ids with special tokens, as
    /// [`tokenize`](Self::tokenize) returns them), windowing long ones.
    pub fn embed_tokens(&self, tokenized: &[Vec<u32>], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        let units = windows::split(tokenized, self.window)?;
        let pooled = self.forward_units(&units, batch_size.max(1))?;
        Ok(windows::combine(&units, &pooled, tokenized.len(), self.dims()))
    }

    /// Mean-pooled (not normalised) vectors of the windows, in their order.
    ///
    /// Windows go through the model shortest first, in batches of at most
    /// `batch_size` rows whose padded size (rows × the batch's longest)
    /// stays within the token budget, so padding stays small and a batch of
    /// long windows does not grow without bound. Which batch a window lands
    /// in never changes its vector: see [`bert`] and `forward_batch`.
    fn forward_units(&self, units: &[windows::Window], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by_key(|&i| (units[i].ids.len(), i));
        let mut pooled = vec![Vec::new(); units.len()];
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && end - start < batch_size {
                // Sorted ascending: the candidate is the batch's new longest.
                let longest = self.padded_len(units[order[end]].ids.len());
                if (end + 1 - start) * longest > self.token_budget {
                    break;
                }
                end += 1;
            }
            let batch = &order[start..end];
            let ids: Vec<&[u32]> = batch.iter().map(|&i| units[i].ids.as_slice()).collect();
            let vectors = self.forward_batch(&ids)?;
            for (&i, v) in batch.iter().zip(vectors) {
                pooled[i] = v;
            }
            start = end;
        }
        Ok(pooled)
    }

    /// The sequence length a batch whose longest window has `len` tokens is
    /// padded to: `len`, but at least the minimum that keeps gemm off its
    /// small-product paths, within the model's positions.
    fn padded_len(&self, len: usize) -> usize {
        len.max(self.min_padded_len).min(self.config.max_position_embeddings)
    }

    /// One padded batch through BERT and mean pooling.
    ///
    /// A window's vector does not depend on its batch, bit for bit: the
    /// attention kernel reads only a sequence's own unmasked keys, every
    /// other step is per token, pooling sums a window's own tokens in
    /// order, and the matmul backend (gemm) computes each output row with
    /// the same sequence of operations whatever the number of rows — except
    /// on paths it takes for tiny products (one row; rows × columns ≤ 256),
    /// which the minimum padded length keeps every batch out of.
    /// `tests/determinism.rs` checks all of it.
    fn forward_batch(&self, ids: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let longest = self.padded_len(ids.iter().map(|s| s.len()).max().unwrap_or(0));
        let pad = self.config.pad_token_id as u32;
        let mut flat_ids = Vec::with_capacity(ids.len() * longest);
        let mut flat_mask = Vec::with_capacity(ids.len() * longest);
        for seq in ids {
            flat_ids.extend_from_slice(seq);
            flat_ids.extend(std::iter::repeat_n(pad, longest - seq.len()));
            flat_mask.extend(std::iter::repeat_n(1u32, seq.len()));
            flat_mask.extend(std::iter::repeat_n(0u32, longest - seq.len()));
        }
        let shape = (ids.len(), longest);
        let input_ids = Tensor::from_vec(flat_ids, shape, &self.device)?;
        let mask = Tensor::from_vec(flat_mask, shape, &self.device)?;
        let padded = ids.iter().any(|s| s.len() < longest);
        let hidden = self.model.forward(&input_ids, None, padded.then_some(&mask))?;
        let hidden = hidden.flatten_all()?.to_vec1::<f32>()?;
        let dims = self.dims();
        Ok(ids
            .iter()
            .enumerate()
            .map(|(row, seq)| {
                let start = row * longest * dims;
                pooling::mean_rows(&hidden[start..start + seq.len() * dims], dims)
            })
            .collect())
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::ModelFile { path: path.to_owned(), message: format!("invalid JSON: {e}") })
}
