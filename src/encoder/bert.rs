//! BERT's forward pass (inference only), written for this tool so that the
//! kernels are ours to choose. It loads the same safetensors as the
//! Hugging Face layout (and candle's `bert.rs`) and computes the same
//! function; what differs is how:
//!
//! - the query, key and value projections are one matmul against weights
//!   concatenated once at load time (`[3·hidden, hidden]`);
//! - attention is one fused kernel (`kernels::Attention`) that reads the
//!   projection in place, skips masked positions and writes the heads side
//!   by side: no transposes, no per-head matmul calls, no mask tensor;
//! - the intermediate bias and GELU are one pass with a vectorised erf
//!   (`kernels::BiasGelu`);
//! - activations stay two-dimensional (`[batch·seq, hidden]`) throughout, so
//!   every linear layer is a single matmul;
//! - layer norm is candle's fused kernel.

use super::kernels::int8::{QuantizedLinear, QuantizedMatmul};
use super::kernels::{self, AttentionShape};
use candle_core::{DType, Module, Result, Tensor};
use candle_nn::VarBuilder;

/// The fields of a Hugging Face BERT `config.json` this forward pass reads.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Config {
    /// Tokens in the WordPiece vocabulary.
    pub vocab_size: usize,
    /// Width of every token vector.
    pub hidden_size: usize,
    /// Encoder blocks.
    pub num_hidden_layers: usize,
    /// Attention heads per block; divides `hidden_size`.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    /// The feed-forward activation.
    pub hidden_act: HiddenAct,
    /// Longest sequence the position table covers.
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    /// Token types (segments) in the type table.
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f64,
    #[serde(default)]
    /// Id of the padding token.
    pub pad_token_id: usize,
    /// Only "absolute" is supported (all-MiniLM and its kin).
    #[serde(default)]
    pub position_embedding_type: Option<String>,
    /// The weights' name prefix (`bert` when absent).
    pub model_type: Option<String>,
}

impl Config {
    /// Checks the sizes the forward pass divides by, chunks by or indexes
    /// with, so that a bad config.json is refused at load with a message
    /// instead of reaching a kernel (a zero `hidden_size` would otherwise
    /// end in `chunks_exact(0)`). The message names the offending field.
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        for (field, value) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ] {
            if value == 0 {
                return Err(format!("{field} must be positive, not 0"));
            }
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if self.pad_token_id >= self.vocab_size {
            return Err(format!("pad_token_id {} is outside the vocabulary of {}", self.pad_token_id, self.vocab_size));
        }
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps > 0.0) {
            return Err(format!("layer_norm_eps must be a small positive number, not {}", self.layer_norm_eps));
        }
        Ok(())
    }
}

fn default_act() -> HiddenAct {
    HiddenAct::Gelu
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

/// The activation after the intermediate layer. Only the exact (erf) GELU
/// that BERT uses is implemented; a config asking for another is refused at
/// load time rather than silently computed differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HiddenAct {
    /// The exact, erf-based GELU.
    Gelu,
}

/// A linear layer `x·Wᵀ + b` with `W` as stored (`[out, in]`), in f32 or,
/// once [`quantize`](Linear::quantize)d, in int8.
struct Linear {
    weight: Tensor,
    bias: Tensor,
    int8: Option<QuantizedLinear>,
}

impl Linear {
    fn load(vb: &VarBuilder, inputs: usize, outputs: usize) -> Result<Linear> {
        Ok(Linear { weight: vb.get((outputs, inputs), "weight")?, bias: vb.get(outputs, "bias")?, int8: None })
    }

    /// Switches the layer to int8 weights (see [`super::kernels::int8`]).
    fn quantize(&mut self) -> Result<()> {
        let (outputs, inputs) = self.weight.dims2()?;
        let weight = self.weight.flatten_all()?.to_vec1::<f32>()?;
        let bias = self.bias.to_vec1::<f32>()?;
        self.int8 = Some(QuantizedLinear::new(&weight, &bias, outputs, inputs));
        Ok(())
    }

    /// Without the bias, for callers that fuse it into what follows.
    fn matmul(&self, x: &Tensor) -> Result<Tensor> {
        match &self.int8 {
            Some(linear) => x.apply_op1_no_bwd(&QuantizedMatmul { linear, with_bias: false }),
            None => x.matmul(&self.weight.t()?),
        }
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match &self.int8 {
            Some(linear) => x.apply_op1_no_bwd(&QuantizedMatmul { linear, with_bias: true }),
            None => self.matmul(x)?.broadcast_add(&self.bias),
        }
    }
}

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn load(vb: &VarBuilder, size: usize, eps: f64) -> Result<LayerNorm> {
        Ok(LayerNorm { weight: vb.get(size, "weight")?, bias: vb.get(size, "bias")?, eps: eps as f32 })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

struct Layer {
    /// Query, key and value projections, concatenated.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    /// The intermediate bias as a slice, for the fused bias-GELU kernel.
    intermediate_bias: Vec<f32>,
    output: Linear,
    output_norm: LayerNorm,
}

impl Layer {
    fn load(vb: VarBuilder, config: &Config) -> Result<Layer> {
        let (h, i) = (config.hidden_size, config.intermediate_size);
        let attention = vb.pp("attention");
        let projection = attention.pp("self");
        let parts = ["query", "key", "value"]
            .iter()
            .map(|name| Linear::load(&projection.pp(name), h, h))
            .collect::<Result<Vec<_>>>()?;
        let qkv = Linear {
            weight: Tensor::cat(&parts.iter().map(|p| &p.weight).collect::<Vec<_>>(), 0)?,
            bias: Tensor::cat(&parts.iter().map(|p| &p.bias).collect::<Vec<_>>(), 0)?,
            int8: None,
        };
        let intermediate = Linear::load(&vb.pp("intermediate").pp("dense"), h, i)?;
        let intermediate_bias = intermediate.bias.to_vec1::<f32>()?;
        Ok(Layer {
            qkv,
            attention_out: Linear::load(&attention.pp("output").pp("dense"), h, h)?,
            attention_norm: LayerNorm::load(&attention.pp("output").pp("LayerNorm"), h, config.layer_norm_eps)?,
            intermediate,
            intermediate_bias,
            output: Linear::load(&vb.pp("output").pp("dense"), i, h)?,
            output_norm: LayerNorm::load(&vb.pp("output").pp("LayerNorm"), h, config.layer_norm_eps)?,
        })
    }

    fn quantize(&mut self) -> Result<()> {
        for linear in [&mut self.qkv, &mut self.attention_out, &mut self.intermediate, &mut self.output] {
            linear.quantize()?;
        }
        Ok(())
    }

    /// `x` is `[batch·seq, hidden]`.
    fn forward(&self, x: &Tensor, shape: AttentionShape, keys: &[Vec<usize>]) -> Result<Tensor> {
        let qkv = self.qkv.forward(x)?;
        let context = qkv.apply_op1_no_bwd(&kernels::Attention { shape, keys })?;
        let attended = self.attention_norm.forward(&(self.attention_out.forward(&context)? + x)?)?;
        let inner = self
            .intermediate
            .matmul(&attended)?
            .apply_op1_no_bwd(&kernels::BiasGelu { bias: &self.intermediate_bias })?;
        self.output_norm.forward(&(self.output.forward(&inner)? + attended)?)
    }
}

/// A BERT encoder without pooler: token ids in, last hidden states out.
pub struct BertModel {
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type_embeddings: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    config: Config,
}

impl BertModel {
    /// Loads the weights, with or without a `bert.` (model type) prefix.
    pub fn load(vb: VarBuilder, config: &Config) -> Result<BertModel> {
        if config.hidden_act != HiddenAct::Gelu {
            candle_core::bail!("unsupported hidden_act {:?}", config.hidden_act)
        }
        if let Some(kind) = config.position_embedding_type.as_deref().filter(|k| *k != "absolute") {
            candle_core::bail!("unsupported position_embedding_type {kind:?}")
        }
        if let Err(why) = config.validate() {
            candle_core::bail!("{why}")
        }
        let prefix = config.model_type.clone().unwrap_or_else(|| "bert".to_owned());
        let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") { vb } else { vb.pp(prefix) };
        let h = config.hidden_size;
        let embeddings = vb.pp("embeddings");
        let layers = (0..config.num_hidden_layers)
            .map(|l| Layer::load(vb.pp("encoder").pp("layer").pp(l), config))
            .collect::<Result<Vec<_>>>()?;
        Ok(BertModel {
            word_embeddings: embeddings.get((config.vocab_size, h), "word_embeddings.weight")?,
            position_embeddings: embeddings.get((config.max_position_embeddings, h), "position_embeddings.weight")?,
            token_type_embeddings: embeddings.get((config.type_vocab_size, h), "token_type_embeddings.weight")?,
            embedding_norm: LayerNorm::load(&embeddings.pp("LayerNorm"), h, config.layer_norm_eps)?,
            layers,
            config: config.clone(),
        })
    }

    /// Switches every linear layer of the encoder blocks to int8 weights and
    /// dynamically quantised activations (`kernels::int8`). Embeddings,
    /// layer norms and attention stay f32.
    pub(crate) fn quantize(&mut self) -> Result<()> {
        self.layers.iter_mut().try_for_each(Layer::quantize)
    }

    /// The last hidden states, `[batch, seq, hidden]`, of `input_ids`
    /// (`[batch, seq]`, u32). `token_type_ids` defaults to zeros;
    /// `attention_mask` (`[batch, seq]`, 1 for tokens, 0 for padding)
    /// defaults to all ones. Masked positions are never attended to, and
    /// their own output rows are meaningless (pool them out).
    pub fn forward(
        &self,
        input_ids: &Tensor,
        token_type_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
    ) -> Result<Tensor> {
        let (batch, seq) = input_ids.dims2()?;
        let h = self.config.hidden_size;
        if seq > self.config.max_position_embeddings {
            candle_core::bail!("{seq} tokens exceed the model's {} positions", self.config.max_position_embeddings)
        }
        let keys: Vec<Vec<usize>> = match attention_mask {
            None => vec![(0..seq).collect(); batch],
            Some(mask) => mask
                .to_dtype(DType::U32)?
                .to_vec2::<u32>()?
                .iter()
                .map(|row| row.iter().enumerate().filter(|(_, &m)| m != 0).map(|(j, _)| j).collect())
                .collect(),
        };

        let ids = input_ids.flatten_all()?;
        let words = self.word_embeddings.index_select(&ids, 0)?;
        let types = match token_type_ids {
            Some(t) => self.token_type_embeddings.index_select(&t.flatten_all()?, 0)?,
            None => self.token_type_embeddings.get(0)?.unsqueeze(0)?.broadcast_as((batch * seq, h))?,
        };
        let positions = self.position_embeddings.narrow(0, 0, seq)?;
        // The reference adds in this order: (words + types) + positions.
        let summed = (words + types)?.reshape((batch, seq, h))?.broadcast_add(&positions)?.reshape((batch * seq, h))?;
        let mut x = self.embedding_norm.forward(&summed)?;

        let shape = AttentionShape {
            batch,
            seq,
            heads: self.config.num_attention_heads,
            head_dim: h / self.config.num_attention_heads,
        };
        for layer in &self.layers {
            x = layer.forward(&x, shape, &keys)?;
        }
        x.reshape((batch, seq, h))
    }
}

impl Module for BertModel {
    fn forward(&self, input_ids: &Tensor) -> Result<Tensor> {
        BertModel::forward(self, input_ids, None, None)
    }
}
