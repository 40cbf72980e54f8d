//! Fine-tuning the encoder for stance: LoRA adapters on the top layers'
//! attention and feed-forward projections, trained jointly with a softmax
//! head through candle's autograd on the CPU ([`crate::encoder::lora`]).
//!
//! Why: a head on frozen mean-pooled vectors plateaus, because topic
//! dominates the vector ("talks are likely to resume" and "talks are
//! unlikely to resume" sit close together). Adapting the encoder lets the
//! pooled vector move along stance.
//!
//! Cost: only the top `layers` encoder layers are adapted, so the hidden
//! states entering them are computed once per paragraph (no gradient) and
//! kept in memory; each step runs forward and backward through those layers
//! alone. Paragraphs are truncated to `max_tokens` for training only.
//!
//! Reproducible: A is drawn from a seeded ChaCha8, B starts at zero (so
//! step 0 is the base encoder), the head starts from the convex fit on the
//! frozen vectors, and batch order comes from a seeded shuffle per epoch.

use super::train::{fit_softmax, read_stance_data, SoftmaxConfig};
use super::{DataFile, HeadKind, HeadMetadata, Weights, FORMAT_VERSION};
use crate::classify::{Probabilities, Task};
use crate::encoder::bert::Config;
use crate::encoder::lora::{self, AdapterMetadata, LoraPair, TrainableBert};
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use crate::metrics::Confusion;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings of the fine-tuner (all chosen on the development split).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FineTuneConfig {
    /// LoRA rank r.
    pub rank: usize,
    /// LoRA scale numerator: updates are (alpha / r)·B·A.
    pub alpha: f64,
    /// How many of the top encoder layers carry adapters.
    pub layers: usize,
    /// Short names from [`lora::TARGETS`].
    pub targets: Vec<String>,
    /// Passes over the training data.
    pub epochs: usize,
    /// Paragraphs per step.
    pub batch: usize,
    /// AdamW's learning rate for the adapters.
    pub learning_rate: f64,
    /// AdamW's learning rate for the head.
    pub head_learning_rate: f64,
    /// AdamW's weight decay.
    pub weight_decay: f64,
    /// Training truncation (inference still windows the whole paragraph).
    pub max_tokens: usize,
    /// L2 penalty of the head's warm start on the frozen vectors.
    pub head_l2: f64,
    /// Seed of the adapters' initialisation and of the batch order.
    pub seed: u64,
}

impl FineTuneConfig {
    /// Refuses settings no model can train with: no layers or more than
    /// the encoder has, rank 0, or windows too short for [CLS] and [SEP].
    fn check(&self, n_layers: usize) -> Result<()> {
        if self.layers == 0 || self.layers > n_layers || self.rank == 0 || self.max_tokens < 3 {
            return Err(Error::Usage(format!(
                "fine-tuning needs 1..={n_layers} layers, rank >= 1 and max tokens >= 3 (got {}, {}, {})",
                self.layers, self.rank, self.max_tokens
            )));
        }
        Ok(())
    }
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        FineTuneConfig {
            rank: 8,
            alpha: 16.0,
            layers: 2,
            targets: lora::TARGETS.iter().map(|(n, _)| n.to_string()).collect(),
            epochs: 3,
            batch: 16,
            learning_rate: 1e-3,
            head_learning_rate: 1e-2,
            weight_decay: 0.0,
            max_tokens: 128,
            head_l2: 1e-3,
            seed: 2026,
        }
    }
}

/// One epoch's record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Dev macro-F1 through the training forward (truncated), if a dev split was given.
    pub dev_macro_f1: Option<f64>,
    #[serde(skip)]
    /// Wall-clock seconds the epoch took.
    pub seconds: f64,
}

/// Texts to token ids (the encoder's tokenizer, special tokens included).
type Tokenize<'a> = dyn Fn(&[&str]) -> Result<Vec<Vec<u32>>> + 'a;
/// The best epoch so far: (dev macro-F1, epoch, adapter pairs, head weight, head bias).
type Snapshot = (f64, usize, BTreeMap<String, (Tensor, Tensor)>, Vec<f32>, [f32; 3]);

/// What [`fine_tune`] returns: the adapter pairs, the head, and the log.
pub struct FineTuned {
    /// Adapter pairs (A, B) by module path.
    pub pairs: BTreeMap<String, (Tensor, Tensor)>,
    /// The head's weights, `[3, dims]` row-major.
    pub head_weight: Vec<f32>,
    /// The head's biases.
    pub head_bias: [f32; 3],
    /// One entry per epoch.
    pub epochs: Vec<EpochLog>,
    /// The epoch whose state was kept (chosen on the dev split).
    pub chosen_epoch: usize,
    /// The training files with their hashes.
    pub data: Vec<DataFile>,
    /// The dev files with their hashes.
    pub dev_data: Vec<DataFile>,
    /// Dev macro-F1 of the frozen-embedding head, for comparison.
    pub frozen_dev_macro_f1: Option<f64>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// Paragraphs as the hidden states entering the first adapted layer.
struct Cached {
    rows: Vec<Vec<f32>>,
    lens: Vec<usize>,
}

fn truncate(ids: &[u32], max: usize) -> Vec<u32> {
    if ids.len() <= max {
        return ids.to_vec();
    }
    // Keep [SEP] last, as the model always saw it.
    let mut out = ids[..max - 1].to_vec();
    out.push(*ids.last().expect("non-empty"));
    out
}

fn cache_prefix(model: &TrainableBert, tokens: &[Vec<u32>], start: usize, pad: u32) -> Result<Cached> {
    let h = model.config.hidden_size;
    let mut order: Vec<usize> = (0..tokens.len()).collect();
    order.sort_by_key(|&i| (tokens[i].len(), i));
    let mut rows = vec![Vec::new(); tokens.len()];
    for chunk in order.chunks(32) {
        let ids: Vec<&[u32]> = chunk.iter().map(|&i| tokens[i].as_slice()).collect();
        let (t, mask) = lora::pad_ids(&ids, pad)?;
        let seq = mask[0].len();
        let hidden = model.hidden_until(start, &t, &mask)?.flatten_all()?.to_vec1::<f32>()?;
        for (row, &i) in chunk.iter().enumerate() {
            let from = row * seq * h;
            rows[i] = hidden[from..from + tokens[i].len() * h].to_vec();
        }
    }
    Ok(Cached { rows, lens: tokens.iter().map(Vec::len).collect() })
}

/// A padded batch of cached paragraphs: `[batch·seq, hidden]` and the mask.
fn batch_of(cached: &Cached, idx: &[usize], h: usize) -> Result<(Tensor, Vec<Vec<bool>>)> {
    let seq = idx.iter().map(|&i| cached.lens[i]).max().unwrap_or(0);
    let mut flat = vec![0f32; idx.len() * seq * h];
    let mut mask = Vec::with_capacity(idx.len());
    for (row, &i) in idx.iter().enumerate() {
        flat[row * seq * h..row * seq * h + cached.rows[i].len()].copy_from_slice(&cached.rows[i]);
        mask.push((0..seq).map(|j| j < cached.lens[i]).collect());
    }
    Ok((Tensor::from_vec(flat, (idx.len() * seq, h), &Device::Cpu)?, mask))
}

fn pooled_all(model: &TrainableBert, cached: &Cached, start: usize) -> Result<Vec<Vec<f32>>> {
    let h = model.config.hidden_size;
    let mut order: Vec<usize> = (0..cached.lens.len()).collect();
    order.sort_by_key(|&i| (cached.lens[i], i));
    let mut out = vec![Vec::new(); order.len()];
    for chunk in order.chunks(32) {
        let (x, mask) = batch_of(cached, chunk, h)?;
        let pooled = model.pooled_from(start, &x, &mask)?.to_vec2::<f32>()?;
        for (&i, v) in chunk.iter().zip(pooled) {
            out[i] = v;
        }
    }
    Ok(out)
}

fn head_predict(w: &[f32], b: &[f32; 3], x: &[f32]) -> Probabilities {
    super::train::softmax_probabilities(w, b, x)
}

fn macro_f1(w: &[f32], b: &[f32; 3], x: &[Vec<f32>], y: &[usize]) -> f64 {
    let predicted: Vec<usize> = x.iter().map(|v| crate::classify::argmax(&head_predict(w, b, v))).collect();
    Confusion::new(3, y, &predicted).macro_f1()
}

/// Head weights out of the variables: row-major `[3, features]` and bias.
fn head_values(w: &Var, b: &Var) -> Result<(Vec<f32>, [f32; 3])> {
    let weight = w.as_tensor().t()?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
    let bias = b.as_tensor().to_vec1::<f32>()?;
    Ok((weight, [bias[0], bias[1], bias[2]]))
}

/// Trains adapters and head on `files`; `dev` (optional) only picks the
/// epoch and is reported, never trained on.
pub fn fine_tune(
    config_json: &Config,
    base_weights: &Path,
    tokenize: &Tokenize<'_>,
    files: &[PathBuf],
    dev: &[PathBuf],
    config: &FineTuneConfig,
    log: &mut dyn FnMut(&str),
) -> Result<FineTuned> {
    let started = Instant::now();
    let n_layers = config_json.num_hidden_layers;
    config.check(n_layers)?;
    let start = n_layers - config.layers;
    let max = config.max_tokens.min(config_json.max_position_embeddings);
    let (texts, y, data, tokens) = read_tokenized(files, tokenize, max)?;
    if texts.is_empty() {
        return Err(Error::Usage("no training paragraphs".into()));
    }
    let (dev_texts, dev_y, dev_data, dev_tokens) = read_tokenized(dev, tokenize, max)?;

    let mut model =
        TrainableBert::new(config_json.clone(), lora::load_base(base_weights)?, config.alpha / config.rank as f64);
    let pad = config_json.pad_token_id as u32;
    let t0 = Instant::now();
    let cached = cache_prefix(&model, &tokens, start, pad)?;
    let dev_cached = cache_prefix(&model, &dev_tokens, start, pad)?;
    let (n, n_dev, seconds) = (texts.len(), dev_texts.len(), t0.elapsed().as_secs_f64());
    log(&format!("cached hidden states entering layer {start} for {n} + {n_dev} dev paragraphs ({seconds:.0} s)"));

    let (head_w, head_b, frozen_dev_macro_f1) =
        warm_start_head(&model, (&cached, &y), (&dev_cached, &dev_y), start, config)?;
    log(&format!("frozen head warm start; dev macro-F1 {frozen_dev_macro_f1:?}"));
    let dev0 = Device::Cpu;

    add_lora_pairs(&mut model, start, config)?;
    // Two optimisers: the adapter decays its weights, the head does not.
    let lora_params = ParamsAdamW { lr: config.learning_rate, weight_decay: config.weight_decay, ..Default::default() };
    let mut opt_lora = AdamW::new(model.vars(), lora_params)?;
    let head_params = ParamsAdamW { lr: config.head_learning_rate, weight_decay: 0.0, ..Default::default() };
    let mut opt_head = AdamW::new(vec![head_w.clone(), head_b.clone()], head_params)?;
    let labels = Tensor::from_vec(y.iter().map(|&v| v as u32).collect::<Vec<_>>(), y.len(), &dev0)?;

    let mut epochs = Vec::new();
    let mut best: Option<Snapshot> = None;
    for epoch in 1..=config.epochs {
        let t = Instant::now();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(epoch as u64)));
        let step = Step { model: &model, head_w: &head_w, head_b: &head_b, labels: &labels, cached: &cached, start };
        let train_loss = step.epoch(&order, config.batch, &mut opt_lora, &mut opt_head, &mut |k, loss| {
            if k % 50 == 0 {
                log(&format!("epoch {epoch} step {k}: loss {loss:.4} ({:.0} s)", t.elapsed().as_secs_f64()));
            }
        })?;
        let (w, b) = head_values(&head_w, &head_b)?;
        let dev_f1 = dev_macro_f1(&model, (&dev_cached, &dev_y), start, &w, &b)?;
        let seconds = t.elapsed().as_secs_f64();
        log(&format!("epoch {epoch}: train loss {train_loss:.4}, dev macro-F1 {dev_f1:?}, {seconds:.0} s"));
        epochs.push(EpochLog { epoch, train_loss, dev_macro_f1: dev_f1, seconds });
        // Keep the epoch the dev split likes best (the last one without dev).
        let score = dev_f1.unwrap_or(epoch as f64);
        if best.as_ref().is_none_or(|(s, ..)| score > *s) {
            let pairs =
                model.pairs().into_iter().map(|(m, (a, b))| Ok((m, (a.copy()?, b.copy()?)))).collect::<Result<_>>()?;
            best = Some((score, epoch, pairs, w, b));
        }
    }
    let (_, chosen_epoch, pairs, head_weight, head_bias) = best.ok_or_else(|| Error::Usage("zero epochs".into()))?;
    Ok(FineTuned {
        pairs,
        head_weight,
        head_bias,
        epochs,
        chosen_epoch,
        data,
        dev_data,
        frozen_dev_macro_f1,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Texts, labels, data files and truncated token ids of stance label files
/// (all empty for no files).
#[allow(clippy::type_complexity)]
fn read_tokenized(
    files: &[PathBuf],
    tokenize: &Tokenize<'_>,
    max: usize,
) -> Result<(Vec<String>, Vec<usize>, Vec<DataFile>, Vec<Vec<u32>>)> {
    if files.is_empty() {
        return Ok(Default::default());
    }
    let (texts, y, data) = read_stance_data(files)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens = tokenize(&refs)?.iter().map(|t| truncate(t, max)).collect();
    Ok((texts, y, data, tokens))
}

/// The head's starting point: the convex softmax fit on the frozen
/// (truncated) vectors, as trainable variables (weight transposed to
/// hidden x 3), and its dev macro-F1 when there is a dev split.
fn warm_start_head(
    model: &TrainableBert,
    (cached, y): (&Cached, &[usize]),
    (dev_cached, dev_y): (&Cached, &[usize]),
    start: usize,
    config: &FineTuneConfig,
) -> Result<(Var, Var, Option<f64>)> {
    let frozen = pooled_all(model, cached, start)?;
    let (w0, b0) = fit_softmax(&frozen, y, config.head_l2, &SoftmaxConfig::default())?;
    let frozen_dev_macro_f1 = dev_macro_f1(model, (dev_cached, dev_y), start, &w0, &b0)?;
    let h = model.config.hidden_size;
    let head_w = Var::from_tensor(&Tensor::from_vec(w0, (3, h), &Device::Cpu)?.t()?.contiguous()?)?;
    let head_b = Var::from_tensor(&Tensor::from_vec(b0.to_vec(), 3, &Device::Cpu)?)?;
    Ok((head_w, head_b, frozen_dev_macro_f1))
}

/// Macro-F1 of the head (`w`, `b`) on the dev split's cached states, or
/// `None` without a dev split.
fn dev_macro_f1(
    model: &TrainableBert,
    (dev_cached, dev_y): (&Cached, &[usize]),
    start: usize,
    w: &[f32],
    b: &[f32; 3],
) -> Result<Option<f64>> {
    if dev_y.is_empty() {
        return Ok(None);
    }
    Ok(Some(macro_f1(w, b, &pooled_all(model, dev_cached, start)?, dev_y)))
}

/// Adds a LoRA pair to every target module of layers `start..`: A drawn
/// kaiming-uniform (bound 1/sqrt(in)) from the config's seed, B zero, as
/// PEFT does by default, so the adapted model starts as the base.
fn add_lora_pairs(model: &mut TrainableBert, start: usize, config: &FineTuneConfig) -> Result<()> {
    let dev0 = Device::Cpu;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    for l in start..model.config.num_hidden_layers {
        for target in &config.targets {
            let module = lora::module_path(l, target)?;
            let (out, inp) = model
                .base_dims(&format!("{module}.weight"))
                .ok_or_else(|| Error::Model(format!("base weights lack {module}.weight")))?;
            let bound = 1.0 / (inp as f32).sqrt();
            let a: Vec<f32> = (0..config.rank * inp).map(|_| rng.random_range(-bound..bound)).collect();
            let a = Var::from_tensor(&Tensor::from_vec(a, (config.rank, inp), &dev0)?)?;
            let b = Var::zeros((out, config.rank), DType::F32, &dev0)?;
            model.lora.insert(module, LoraPair { a, b });
        }
    }
    Ok(())
}

/// What one optimisation step reads: the model, the head being trained
/// with it, the gold labels and the cached hidden states entering `start`.
struct Step<'a> {
    model: &'a TrainableBert,
    head_w: &'a Var,
    head_b: &'a Var,
    labels: &'a Tensor,
    cached: &'a Cached,
    start: usize,
}

impl Step<'_> {
    /// One pass over `order` in batches; `progress(step, mean loss so far)`
    /// after every step. Returns the mean training loss.
    fn epoch(
        &self,
        order: &[usize],
        batch: usize,
        opt_lora: &mut AdamW,
        opt_head: &mut AdamW,
        progress: &mut dyn FnMut(usize, f64),
    ) -> Result<f64> {
        let dev0 = Device::Cpu;
        let h = self.model.config.hidden_size;
        let (mut loss_sum, mut steps) = (0.0, 0usize);
        for (k, idx) in order.chunks(batch.max(1)).enumerate() {
            let (x, mask) = batch_of(self.cached, idx, h)?;
            let emb = self.model.pooled_from(self.start, &x, &mask)?;
            let logits = emb.matmul(self.head_w.as_tensor())?.broadcast_add(self.head_b.as_tensor())?;
            let ids = Tensor::from_vec(idx.iter().map(|&i| i as u32).collect::<Vec<_>>(), idx.len(), &dev0)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &self.labels.index_select(&ids, 0)?)?;
            let grads = loss.backward()?;
            opt_lora.step(&grads)?;
            opt_head.step(&grads)?;
            loss_sum += loss.to_scalar::<f32>()? as f64;
            steps += 1;
            progress(k, loss_sum / steps as f64);
        }
        Ok(loss_sum / steps.max(1) as f64)
    }
}

/// Fine-tunes on `files`, writes the adapter to `adapter_dir`, measures the
/// merged encoder (the inference path: full windows, no truncation) on
/// `dev`, and returns the head (trained on the adapted encoder) for saving.
#[allow(clippy::too_many_arguments)]
pub fn train_fine_tuned(
    name: &str,
    encoder: &Encoder,
    files: &[PathBuf],
    dev: &[PathBuf],
    adapter_dir: &Path,
    config: &FineTuneConfig,
    log: &mut dyn FnMut(&str),
) -> Result<(HeadMetadata, Weights)> {
    let base_sha = encoder.base_weights_sha256()?;
    if base_sha != encoder.weights_sha256()? {
        return Err(Error::Usage("fine-tune from the base encoder, without --adapter".into()));
    }
    let tokenize = |t: &[&str]| encoder.tokenize(t);
    let tuned = fine_tune(encoder.config(), &encoder.files().weights, &tokenize, files, dev, config, log)?;
    let mut meta = AdapterMetadata {
        format: lora::ADAPTER_FORMAT,
        base_model: encoder.files().id.clone(),
        base_weights_sha256: base_sha.clone(),
        rank: config.rank,
        alpha: config.alpha,
        target_modules: config.targets.clone(),
        layers: (encoder.config().num_hidden_layers - config.layers..encoder.config().num_hidden_layers).collect(),
        training_data: tuned.data.clone(),
        hyper_parameters: serde_json::json!({
            "config": config, "optimiser": "AdamW (LoRA and head separately)",
            "init": "A ~ U(-1/sqrt(in), 1/sqrt(in)) from ChaCha8(seed), B = 0; head from the frozen convex fit",
            "epochs_log": tuned.epochs, "chosen_epoch": tuned.chosen_epoch,
        }),
        dev: serde_json::Value::Null,
        created_by: format!("stance {}", env!("CARGO_PKG_VERSION")),
    };
    lora::Adapter::save(adapter_dir, &meta, &tuned.pairs)?;
    log(&format!(
        "trained in {:.0} s (chose epoch {}); wrote {}",
        tuned.seconds,
        tuned.chosen_epoch,
        adapter_dir.display()
    ));

    // Measure what ships: the saved (f16) adapter merged into a fresh encoder.
    let adapted = Encoder::try_new(encoder.files().clone())?.with_adapter(adapter_dir)?;
    let identity = adapted.weights_sha256()?;
    if let Some(dev_report) = measure_merged(&adapted, dev, &tuned, log)? {
        meta.dev = dev_report;
        lora::write_metadata(adapter_dir, &meta)?;
    }

    let head = HeadMetadata {
        format: FORMAT_VERSION,
        name: name.to_owned(),
        task: Task::Stance,
        kind: HeadKind::SoftmaxRegression,
        labels: Task::Stance.labels().iter().map(|l| l.to_string()).collect(),
        encoder: format!("{} + LoRA {}", encoder.files().id, adapter_dir.display()),
        encoder_weights_sha256: identity,
        dims: encoder.dims(),
        features: vec!["embedding".into()],
        training_data: tuned.data.clone(),
        hyper_parameters: serde_json::json!({
            "trained": "jointly with the LoRA adapter", "adapter": adapter_dir.display().to_string(),
            "chosen_epoch": tuned.chosen_epoch,
        }),
        cross_validation: meta.dev.clone(),
        thresholds: None,
        created_by: format!("stance {}", env!("CARGO_PKG_VERSION")),
    };
    let mut weights = Weights::new();
    weights.insert("weight".into(), (vec![3, encoder.dims()], tuned.head_weight));
    weights.insert("bias".into(), (vec![3], tuned.head_bias.to_vec()));
    Ok((head, weights))
}

/// Scores the shipped form, the merged encoder with full windows, on `dev`
/// with the jointly trained head; `None` without a dev split.
fn measure_merged(
    adapted: &Encoder,
    dev: &[PathBuf],
    tuned: &FineTuned,
    log: &mut dyn FnMut(&str),
) -> Result<Option<serde_json::Value>> {
    if dev.is_empty() {
        return Ok(None);
    }
    let (dev_texts, dev_y, dev_data) = read_stance_data(dev)?;
    let refs: Vec<&str> = dev_texts.iter().map(String::as_str).collect();
    let vectors = adapted.embed(&refs, super::train::TRAIN_BATCH)?;
    let probs: Vec<Probabilities> =
        vectors.iter().map(|v| head_predict(&tuned.head_weight, &tuned.head_bias, v)).collect();
    let m = crate::metrics::task_metrics(Task::Stance, "fine-tuned", &dev_y, &probs);
    log(&format!(
        "dev (merged encoder, full windows): macro-F1 {:.4} [{:.3}, {:.3}], accuracy {:.4}, ECE {:.4}; frozen warm start {:?}",
        m.macro_f1, m.macro_f1_ci[0], m.macro_f1_ci[1], m.accuracy, m.ece, tuned.frozen_dev_macro_f1
    ));
    Ok(Some(serde_json::json!({
        "data": dev_data, "macro_f1": m.macro_f1, "macro_f1_ci": m.macro_f1_ci, "accuracy": m.accuracy,
        "ece": m.ece, "frozen_head_truncated_macro_f1": tuned.frozen_dev_macro_f1,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_the_separator() {
        assert_eq!(truncate(&[2, 5, 6, 7, 3], 4), vec![2, 5, 6, 3]);
        assert_eq!(truncate(&[2, 5, 3], 4), vec![2, 5, 3]);
    }
}
