//! Training heads on frozen embeddings, deterministically.
//!
//! * Stance: multinomial logistic regression with an L2 penalty, fitted by
//!   full-batch AdamW through candle's autograd from a zero start (the
//!   objective is convex, so the start only fixes the path, and a fixed
//!   number of steps makes the result reproducible). The penalty is chosen
//!   by k-fold cross-validation on the training set (macro-F1).
//! * Sentiment: ridge regression of valence (rating / 4) on the embedding
//!   and VADER's scores, solved exactly (Cholesky, nalgebra); the penalty is
//!   chosen by grouped cross-validation (folds by editorial), and the class
//!   thresholds and the probability scale on the same out-of-fold
//!   predictions, so that every train sentence is dev data once; the final
//!   ridge is fitted on the whole train split. The test split is never read.

use super::{DataFile, HeadKind, HeadMetadata, Thresholds, Weights, FORMAT_VERSION, LEXICON_FEATURES};
use crate::classify::lexicon::LexiconSentiment;
use crate::classify::{argmax, softmax, Task};
use crate::data::nyt::{self, Split};
use crate::digest::sha256_file;
use crate::encoder::Encoder;
use crate::error::{Error, Result};
use crate::metrics::Confusion;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// Settings of the stance trainer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoftmaxConfig {
    /// Candidate L2 penalties, tried in order by cross-validation.
    pub l2_grid: Vec<f64>,
    /// Cross-validation folds.
    pub folds: usize,
    /// AdamW steps from a zero start.
    pub steps: usize,
    /// AdamW's learning rate.
    pub learning_rate: f64,
    /// Seed of the fold assignment.
    pub seed: u64,
}

impl Default for SoftmaxConfig {
    fn default() -> Self {
        SoftmaxConfig {
            l2_grid: vec![1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
            folds: 5,
            steps: 400,
            learning_rate: 0.05,
            seed: 2026,
        }
    }
}

/// Fits `softmax(W x + b)` to labels `y` (0..3): returns `W` row-major
/// `[3, features]` and `b`.
pub fn fit_softmax(x: &[Vec<f32>], y: &[usize], l2: f64, config: &SoftmaxConfig) -> Result<(Vec<f32>, [f32; 3])> {
    let dev = Device::Cpu;
    let Some(first) = x.first() else { return Err(Error::Usage("softmax regression: no examples to fit".into())) };
    let (n, f) = (x.len(), first.len());
    let xs = Tensor::from_vec(x.concat(), (n, f), &dev)?;
    let ys = Tensor::from_vec(y.iter().map(|&v| v as u32).collect::<Vec<_>>(), n, &dev)?;
    let w = Var::zeros((f, 3), DType::F32, &dev)?;
    let b = Var::zeros(3, DType::F32, &dev)?;
    let params = ParamsAdamW { lr: config.learning_rate, weight_decay: 0.0, ..Default::default() };
    let mut optimiser = AdamW::new(vec![w.clone(), b.clone()], params)?;
    for _ in 0..config.steps {
        let logits = xs.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
        let loss = candle_nn::loss::cross_entropy(&logits, &ys)?;
        let penalty = (w.as_tensor().sqr()?.sum_all()? * l2)?;
        optimiser.backward_step(&(loss + penalty)?)?;
    }
    let weight = w.as_tensor().t()?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
    let bias = b.as_tensor().to_vec1::<f32>()?;
    Ok((weight, [bias[0], bias[1], bias[2]]))
}

/// Probabilities of a fitted softmax regression for one input.
pub(crate) fn softmax_probabilities(weight: &[f32], bias: &[f32; 3], x: &[f32]) -> crate::classify::Probabilities {
    let n = x.len();
    let mut z = [0f32; 3];
    for (k, zk) in z.iter_mut().enumerate() {
        *zk = weight[k * n..(k + 1) * n].iter().zip(x).map(|(a, b)| a * b).sum::<f32>() + bias[k];
    }
    softmax(&z, 1.0)
}

fn predict_softmax(weight: &[f32], bias: &[f32; 3], x: &[f32]) -> usize {
    argmax(&softmax_probabilities(weight, bias, x))
}

/// The penalty with the best cross-validation score; on a tie the later
/// (larger) penalty, the simpler model.
pub(crate) fn best_penalty(scores: &[(f64, f64)]) -> (f64, f64) {
    scores
        .iter()
        .copied()
        .fold((f64::NAN, f64::NEG_INFINITY), |best, (l2, score)| if score >= best.1 { (l2, score) } else { best })
}

/// Deterministic fold of each example: a seeded shuffle dealt round-robin.
pub fn folds(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let mut fold = vec![0; n];
    for (position, &i) in order.iter().enumerate() {
        fold[i] = position % k;
    }
    fold
}

/// Macro-F1 of each candidate penalty under k-fold cross-validation.
pub(crate) fn cross_validate_softmax(x: &[Vec<f32>], y: &[usize], config: &SoftmaxConfig) -> Result<Vec<(f64, f64)>> {
    check_folds(x.len(), config.folds).map_err(Error::Usage)?;
    let fold = folds(x.len(), config.folds, config.seed);
    let mut scores = Vec::new();
    for &l2 in &config.l2_grid {
        let mut predicted = vec![0; x.len()];
        for k in 0..config.folds {
            let train: Vec<usize> = (0..x.len()).filter(|&i| fold[i] != k).collect();
            let xs: Vec<Vec<f32>> = train.iter().map(|&i| x[i].clone()).collect();
            let ys: Vec<usize> = train.iter().map(|&i| y[i]).collect();
            let (w, b) = fit_softmax(&xs, &ys, l2, config)?;
            for i in (0..x.len()).filter(|&i| fold[i] == k) {
                predicted[i] = predict_softmax(&w, &b, &x[i]);
            }
        }
        scores.push((l2, Confusion::new(3, y, &predicted).macro_f1()));
    }
    Ok(scores)
}

/// Refuses a cross-validation that cannot run: fewer than two folds, or
/// fewer examples than folds (a fold without examples scores nothing, and
/// a single example leaves its fold nothing to train on).
fn check_folds(examples: usize, folds: usize) -> std::result::Result<(), String> {
    if folds < 2 {
        return Err(format!("cross-validation needs at least 2 folds, not {folds}"));
    }
    if examples < folds {
        return Err(format!(
            "{examples} labelled record(s); training needs at least {folds}, one per cross-validation fold"
        ));
    }
    Ok(())
}

/// The files of a training run, as one path for an error message.
fn named(files: &[PathBuf]) -> PathBuf {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ").into()
}

/// Texts and stance labels of label files that carry their own text.
pub(crate) fn read_stance_data(files: &[PathBuf]) -> Result<(Vec<String>, Vec<usize>, Vec<DataFile>)> {
    read_label_data(Task::Stance, files)
}

/// Texts and `task` labels of label files that carry their own text.
pub(crate) fn read_label_data(task: Task, files: &[PathBuf]) -> Result<(Vec<String>, Vec<usize>, Vec<DataFile>)> {
    let (mut texts, mut labels, mut data) = (Vec::new(), Vec::new(), Vec::new());
    for path in files {
        let records = crate::data::labels::read_labels(path)?;
        let mut used = 0;
        for r in &records {
            let (Some(text), Some(label)) = (&r.text, r.label_index(task)) else {
                return Err(Error::input(
                    path,
                    Some(r.origin.1),
                    format!("a training record needs \"text\" and \"{}\"", task.name()),
                ));
            };
            texts.push(text.clone());
            labels.push(label);
            used += 1;
        }
        data.push(DataFile { path: path.display().to_string(), sha256: sha256_file(path)?, records: used });
    }
    Ok((texts, labels, data))
}

/// Metadata fields every head shares.
fn metadata(
    name: &str,
    task: Task,
    kind: HeadKind,
    encoder: &Encoder,
    encoder_sha256: &str,
    features: Vec<String>,
) -> HeadMetadata {
    HeadMetadata {
        format: FORMAT_VERSION,
        name: name.to_owned(),
        task,
        kind,
        labels: task.labels().iter().map(|l| l.to_string()).collect(),
        encoder: encoder.files().id.clone(),
        encoder_weights_sha256: encoder_sha256.to_owned(),
        dims: encoder.dims(),
        features,
        training_data: Vec::new(),
        hyper_parameters: serde_json::Value::Null,
        cross_validation: serde_json::Value::Null,
        thresholds: None,
        created_by: format!("stance {}", env!("CARGO_PKG_VERSION")),
    }
}

/// Embedding batch size used for training (fixed: part of reproducibility).
pub(crate) const TRAIN_BATCH: usize = 32;

/// Trains a softmax head for `task` on labelled paragraphs.
pub fn train_softmax_head(
    task: Task,
    name: &str,
    encoder: &Encoder,
    encoder_sha256: &str,
    files: &[PathBuf],
    config: &SoftmaxConfig,
    log: &mut dyn FnMut(&str),
) -> Result<(HeadMetadata, Weights)> {
    let (texts, y, data) = read_label_data(task, files)?;
    // Before embedding: a run that cannot cross-validate fails at once.
    check_folds(texts.len(), config.folds).map_err(|why| Error::input(named(files), None, why))?;
    log(&format!("embedding {} training paragraphs", texts.len()));
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let x = encoder.embed(&refs, TRAIN_BATCH)?;
    let cv = cross_validate_softmax(&x, &y, config)?;
    let (l2, best) = best_penalty(&cv);
    log(&format!("cross-validation: {cv:?}; chose l2 = {l2} (macro-F1 {best:.3})"));
    let (weight, bias) = fit_softmax(&x, &y, l2, config)?;
    let features = x[0].len();
    let mut meta = metadata(name, task, HeadKind::SoftmaxRegression, encoder, encoder_sha256, vec!["embedding".into()]);
    meta.training_data = data;
    meta.hyper_parameters = serde_json::json!({
        "l2": l2, "steps": config.steps, "learning_rate": config.learning_rate,
        "optimiser": "AdamW (full batch, zero start)", "folds": config.folds, "seed": config.seed,
        "l2_grid": config.l2_grid, "embedding_batch": TRAIN_BATCH,
    });
    meta.cross_validation = serde_json::json!({
        "metric": "macro_f1", "scores": cv.iter().map(|(l, s)| serde_json::json!({"l2": l, "macro_f1": s})).collect::<Vec<_>>(),
    });
    let mut weights = Weights::new();
    weights.insert("weight".into(), (vec![3, features], weight));
    weights.insert("bias".into(), (vec![3], bias.to_vec()));
    Ok((meta, weights))
}

/// Ridge regression with an unpenalised intercept, solved exactly.
pub(crate) fn fit_ridge(x: &[Vec<f32>], y: &[f64], l2: f64) -> Result<(Vec<f32>, f32)> {
    let Some(first) = x.first() else { return Err(Error::Usage("ridge regression: no examples to fit".into())) };
    let (n, f) = (x.len(), first.len());
    let mean_x: Vec<f64> = (0..f).map(|j| x.iter().map(|r| r[j] as f64).sum::<f64>() / n as f64).collect();
    let mean_y = y.iter().sum::<f64>() / n as f64;
    let xc = nalgebra::DMatrix::from_fn(n, f, |i, j| x[i][j] as f64 - mean_x[j]);
    let yc = nalgebra::DVector::from_iterator(n, y.iter().map(|v| v - mean_y));
    let mut gram = xc.transpose() * &xc;
    for j in 0..f {
        gram[(j, j)] += l2 * n as f64;
    }
    let rhs = xc.transpose() * yc;
    let w = gram.cholesky().ok_or_else(|| Error::Model("ridge system is not positive definite".into()))?.solve(&rhs);
    let bias = mean_y - w.iter().zip(&mean_x).map(|(a, b)| a * b).sum::<f64>();
    Ok((w.iter().map(|v| *v as f32).collect(), bias as f32))
}

fn predict_linear(w: &[f32], b: f32, x: &[f32]) -> f64 {
    (w.iter().zip(x).map(|(a, c)| a * c).sum::<f32>() + b) as f64
}

/// Settings of the sentiment trainer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RidgeConfig {
    /// Ridge penalties tried by cross-validation.
    pub l2_grid: Vec<f64>,
    /// Cross-validation folds over the fit part, grouped by editorial.
    pub folds: u32,
}

impl Default for RidgeConfig {
    fn default() -> Self {
        RidgeConfig { l2_grid: vec![1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1], folds: 4 }
    }
}

/// Trains the sentiment head on the NYT train split.
pub fn train_sentiment(
    name: &str,
    encoder: &Encoder,
    encoder_sha256: &str,
    nyt_path: &Path,
    config: &RidgeConfig,
    log: &mut dyn FnMut(&str),
) -> Result<(HeadMetadata, Weights)> {
    let train = nyt::read(nyt_path, Split::Train)?;
    if config.folds < 2 {
        return Err(Error::Usage(format!("cross-validation needs at least 2 folds, not {}", config.folds)));
    }
    let fold_of = |i: usize| (train[i].editorial / 5) % config.folds;
    check_editorial_folds(&train, config.folds, nyt_path)?;
    let lexicon = LexiconSentiment::default();
    let features: Vec<String> =
        std::iter::once("embedding".to_owned()).chain(LEXICON_FEATURES.iter().map(|s| s.to_string())).collect();
    log(&format!("embedding {} train-split sentences", train.len()));
    let refs: Vec<&str> = train.iter().map(|s| s.text.as_str()).collect();
    let embeddings = encoder.embed(&refs, TRAIN_BATCH)?;
    let x: Vec<Vec<f32>> =
        train.iter().zip(&embeddings).map(|(s, e)| super::featurise(&features, &s.text, e, &lexicon)).collect();
    let y: Vec<f64> = train.iter().map(|s| s.rating / 4.0).collect();
    let all: Vec<usize> = (0..train.len()).collect();

    // Out-of-fold predictions for every train sentence, folds grouped by
    // editorial, so each sentence is predicted by a model that never saw
    // its editorial: the penalty is chosen on them (Pearson's r), and so
    // are the thresholds and the scale below. Every sentence of the train
    // split serves as dev once, instead of a fifth of them.
    let out_of_fold = |l2: f64| -> Result<Vec<f64>> {
        let mut predicted = vec![0.0; train.len()];
        for k in 0..config.folds {
            let tr: Vec<usize> = all.iter().copied().filter(|&i| fold_of(i) != k).collect();
            let (w, b) = fit_ridge(&pick(&x, &tr), &pick(&y, &tr), l2)?;
            for i in all.iter().copied().filter(|&i| fold_of(i) == k) {
                predicted[i] = predict_linear(&w, b, &x[i]);
            }
        }
        Ok(predicted)
    };
    let mut cv = Vec::new();
    for &l2 in &config.l2_grid {
        cv.push((l2, crate::metrics::pearson(&out_of_fold(l2)?, &y)));
    }
    let (l2, best) = best_penalty(&cv);
    log(&format!("cross-validation (Pearson): {cv:?}; chose l2 = {l2} (r {best:.3})"));
    let (weight, bias) = fit_ridge(&x, &y, l2)?;

    // Thresholds and spread on the out-of-fold predictions.
    let dev_pred = out_of_fold(l2)?;
    let dev_gold: Vec<usize> = train.iter().map(|s| s.class().index()).collect();
    let (best_t, best_f1) = fit_thresholds(&dev_pred, &dev_gold);
    let scale = fit_scale(&dev_pred, &dev_gold, best_t);
    let dev_r = crate::metrics::pearson(&dev_pred, &y);
    log(&format!("out of fold: Pearson {dev_r:.3}, macro-F1 {best_f1:.3} at thresholds {best_t:?}, scale {scale:.3}"));

    let mut meta = metadata(name, Task::Sentiment, HeadKind::ValenceRidge, encoder, encoder_sha256, features);
    meta.training_data =
        vec![DataFile { path: nyt_path.display().to_string(), sha256: sha256_file(nyt_path)?, records: train.len() }];
    meta.hyper_parameters = serde_json::json!({
        "l2": l2, "target": "rating / 4", "solver": "Cholesky (nalgebra)", "l2_grid": config.l2_grid,
        "folds": config.folds, "fold_of": "(editorial / 5) % folds",
        "thresholds_from": "out-of-fold predictions of the whole train split",
        "fit_sentences": train.len(), "embedding_batch": TRAIN_BATCH,
    });
    meta.cross_validation = serde_json::json!({
        "metric": "pearson", "scores": cv.iter().map(|(l, s)| serde_json::json!({"l2": l, "pearson": s})).collect::<Vec<_>>(),
        "out_of_fold": {"pearson": dev_r, "macro_f1": best_f1},
    });
    meta.thresholds = Some(Thresholds { negative: best_t.0, positive: best_t.1, scale });
    let n = weight.len();
    let mut weights = Weights::new();
    weights.insert("weight".into(), (vec![n], weight));
    weights.insert("bias".into(), (vec![1], vec![bias]));
    Ok((meta, weights))
}

/// Refuses a train split whose sentences all fall in one cross-validation
/// fold: every fold's model trains on the other folds, so a single fold
/// would leave its fit nothing to learn from.
fn check_editorial_folds(train: &[nyt::Sentence], folds: u32, nyt_path: &Path) -> Result<()> {
    let used: std::collections::BTreeSet<u32> = train.iter().map(|s| (s.editorial / 5) % folds).collect();
    if used.len() >= 2 {
        return Ok(());
    }
    let why = match train.first() {
        None => "the train split is empty (editorials divisible by 5 are the test split)".to_owned(),
        Some(_) => format!(
            "the train split's {} sentence(s) all fall in one cross-validation fold (fold = (editorial / 5) % {}); \
             training needs editorials from at least two folds",
            train.len(),
            folds
        ),
    };
    Err(Error::input(nyt_path, None, why))
}

/// The (negative, positive) cut points, on a 0.01 grid in [-0.5, 0] and
/// [0, 0.5], that give the out-of-fold predictions the best macro-F1.
fn fit_thresholds(predicted: &[f64], gold: &[usize]) -> ((f64, f64), f64) {
    let (mut best_t, mut best_f1) = ((0.0, 0.0), f64::NEG_INFINITY);
    for a in 0..=50 {
        for c in 0..=50 {
            let (neg, pos) = (-(a as f64) * 0.01, c as f64 * 0.01);
            let classes: Vec<usize> = predicted.iter().map(|&v| class_of(v, neg, pos)).collect();
            let f1 = Confusion::new(3, gold, &classes).macro_f1();
            if f1 > best_f1 {
                (best_t, best_f1) = ((neg, pos), f1);
            }
        }
    }
    (best_t, best_f1)
}

/// The sharpness (0.005 .. 0.5) that gives the out-of-fold classes the
/// least log loss at the chosen cut points.
fn fit_scale(predicted: &[f64], gold: &[usize], (negative, positive): (f64, f64)) -> f64 {
    let nll = |scale: f64| -> f64 {
        let t = Thresholds { negative, positive, scale };
        predicted
            .iter()
            .zip(gold)
            .map(|(&v, &g)| -(super::threshold_probabilities(v, &t)[g] as f64).max(1e-12).ln())
            .sum::<f64>()
            / predicted.len() as f64
    };
    (1..=100)
        .map(|i| i as f64 * 0.005)
        .fold((f64::NAN, f64::INFINITY), |best, s| {
            let loss = nll(s);
            if loss < best.1 {
                (s, loss)
            } else {
                best
            }
        })
        .0
}

fn class_of(v: f64, negative: f64, positive: f64) -> usize {
    if v > positive {
        0
    } else if v < negative {
        1
    } else {
        2
    }
}

fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
    idx.iter().map(|&i| v[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_regression_separates_and_is_reproducible() {
        // Three clusters along three axes, with a little overlap.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..60 {
            let k = i % 3;
            let mut v = vec![0.1f32 * ((i % 7) as f32 / 7.0); 4];
            v[k] += 1.0;
            x.push(v);
            y.push(k);
        }
        let config = SoftmaxConfig { steps: 200, ..Default::default() };
        let (w1, b1) = fit_softmax(&x, &y, 1e-3, &config).unwrap();
        let (w2, b2) = fit_softmax(&x, &y, 1e-3, &config).unwrap();
        assert_eq!((w1.clone(), b1), (w2, b2), "same data, same weights, bit for bit");
        let right = x.iter().zip(&y).filter(|(v, &k)| predict_softmax(&w1, &b1, v) == k).count();
        assert_eq!(right, 60);
        let cv = cross_validate_softmax(&x, &y, &config).unwrap();
        assert_eq!(cv.len(), config.l2_grid.len());
        assert!(cv.iter().all(|(_, f1)| *f1 > 0.9), "{cv:?}");
    }

    #[test]
    fn ridge_recovers_a_linear_function() {
        let x: Vec<Vec<f32>> = (0..50).map(|i| vec![i as f32 / 50.0, ((i * 7) % 11) as f32 / 11.0]).collect();
        let y: Vec<f64> = x.iter().map(|v| 0.5 + 2.0 * v[0] as f64 - 1.0 * v[1] as f64).collect();
        let (w, b) = fit_ridge(&x, &y, 1e-9).unwrap();
        assert!((w[0] - 2.0).abs() < 1e-3 && (w[1] + 1.0).abs() < 1e-3 && (b - 0.5).abs() < 1e-3, "{w:?} {b}");
    }

    #[test]
    fn too_few_examples_are_refused_not_a_panic() {
        let config = SoftmaxConfig { steps: 5, ..Default::default() };
        let err = fit_softmax(&[], &[], 1e-3, &config).unwrap_err().to_string();
        assert!(err.contains("no examples"), "{err}");
        let err = fit_ridge(&[], &[], 1e-3).unwrap_err().to_string();
        assert!(err.contains("no examples"), "{err}");
        let x = vec![vec![1.0, 0.0]; 4];
        let err = cross_validate_softmax(&x, &[0, 1, 2, 0], &config).unwrap_err().to_string();
        assert!(err.contains("4 labelled record(s); training needs at least 5"), "{err}");
        let err = cross_validate_softmax(&x, &[0, 1, 2, 0], &SoftmaxConfig { folds: 1, ..config }).unwrap_err();
        assert!(err.to_string().contains("at least 2 folds"), "{err}");
    }

    #[test]
    fn folds_are_balanced_and_seeded() {
        let f = folds(10, 5, 1);
        assert_eq!(f, folds(10, 5, 1));
        for k in 0..5 {
            assert_eq!(f.iter().filter(|&&v| v == k).count(), 2);
        }
    }
}
