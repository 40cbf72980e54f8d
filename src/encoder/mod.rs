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

pub mod mirror;
pub mod pooling;
pub mod resolve;
pub mod windows;

pub use resolve::{resolve, ModelFiles, ResolveOptions, Source, DEFAULT_MODEL};

use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::Tokenizer;

/// A loaded encoder.
pub struct Encoder {
    model: BertModel,
    tokenizer: Tokenizer,
    config: Config,
    files: ModelFiles,
    /// Longest token sequence fed to the model, special tokens included.
    window: usize,
    device: Device,
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
        // The model's tokenizer.json pads and truncates to 128 tokens;
        // sentence-transformers turns both off and windows by its own
        // max_seq_length. Do the same, or embeddings silently differ.
        let mut tokenizer = Tokenizer::from_file(&files.tokenizer).map_err(|e| Error::ModelFile {
            path: files.tokenizer.clone(),
            message: format!("cannot load tokenizer: {e}"),
        })?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;

        let configured = match &files.sentence_config {
            Some(path) => read_json::<SentenceConfig>(path)?.max_seq_length,
            None => None,
        };
        let window = configured
            .unwrap_or(512)
            .min(config.max_position_embeddings);
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
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(std::slice::from_ref(&files.weights), DType::F32, &device)
        }
        .map_err(|e| Error::ModelFile {
            path: files.weights.clone(),
            message: format!("cannot read weights: {e}"),
        })?;
        let model = BertModel::load(vb, &config).map_err(|e| Error::ModelFile {
            path: files.weights.clone(),
            message: format!("weights do not fit config.json: {}", resolve::one_line(&e.to_string())),
        })?;
        Ok(Encoder {
            model,
            tokenizer,
            config,
            files,
            window,
            device,
        })
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
    /// [`crate::digest::sha256_file_memo`]); heads record it to refuse
    /// embeddings from another encoder.
    pub fn weights_sha256(&self) -> Result<String> {
        crate::digest::sha256_file_memo(&self.files.weights, &resolve::default_cache_dir())
    }

    /// The model's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Token ids of `texts`, special tokens included, untruncated.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(encodings.into_iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Embeds `texts`: one L2-normalised vector of [`dims`](Self::dims) per
    /// text. Texts longer than the window are split into overlapping windows
    /// whose mean-pooled vectors are averaged, weighted by their token
    /// counts, before normalisation. At most `batch_size` windows go through
    /// the model at once, all of one length (see `forward_units`).
    pub fn embed(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        self.embed_tokens(&self.tokenize(texts)?, batch_size)
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
    /// A batch holds windows of one length only, so nothing is padded. With
    /// padding, the last bits of a window's vector depended on how far its
    /// batch was padded (the CPU kernels' row reductions group a row's
    /// elements by the padded length): 39 of 60 seed paragraphs came out up
    /// to 1e-7 apart alone and in a batch, enough to move a 6-decimal score.
    /// Unpadded, a window's vector is the same bit for bit in any batch, so
    /// records do not depend on chunking, sharding or process count.
    fn forward_units(&self, units: &[windows::Window], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by_key(|&i| (units[i].ids.len(), i));
        let mut pooled = vec![Vec::new(); units.len()];
        let batches = order
            .chunk_by(|&a, &b| units[a].ids.len() == units[b].ids.len())
            .flat_map(|same_length| same_length.chunks(batch_size));
        for batch in batches {
            let ids: Vec<&[u32]> = batch.iter().map(|&i| units[i].ids.as_slice()).collect();
            let vectors = self.forward_batch(&ids)?;
            for (&i, v) in batch.iter().zip(vectors) {
                pooled[i] = v;
            }
        }
        Ok(pooled)
    }

    /// One padded batch through BERT and mean pooling.
    fn forward_batch(&self, ids: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let longest = ids.iter().map(|s| s.len()).max().unwrap_or(0);
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
        let token_type_ids = input_ids.zeros_like()?;
        let hidden = self.model.forward(&input_ids, &token_type_ids, Some(&mask))?;
        let pooled = pooling::masked_mean(&hidden, &mask)?;
        Ok(pooled.to_vec2::<f32>()?)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::ModelFile {
        path: path.to_owned(),
        message: format!("invalid JSON: {e}"),
    })
}
