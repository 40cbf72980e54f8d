//! Classification, calibration, agreement and correlation metrics.
//!
//! Conventions follow scikit-learn and scipy where they have one, so the
//! numbers can be checked against them: a class's precision, recall or F1
//! with a zero denominator is 0; macro averages run over the labels that
//! occur in the gold labels or the predictions; Spearman's rho is Pearson's
//! r on average ranks; Kendall's tau is tau-b (ties corrected).

use crate::label::{argmax, Probabilities, Task};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Bootstrap resamples for the macro-F1 interval.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// Seed of the bootstrap, fixed so reports are reproducible.
pub const BOOTSTRAP_SEED: u64 = 2026;
/// Confidence bins of the calibration error.
pub const CALIBRATION_BINS: usize = 10;

/// The scores of one method on one classification task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskMetrics {
    /// The method's name.
    pub method: String,
    /// Paragraphs with a gold label for the task.
    pub n: usize,
    /// Share of items whose most probable label is the gold one.
    pub accuracy: f64,
    /// Unweighted mean of the per-class F1.
    pub macro_f1: f64,
    /// 95% bootstrap interval of macro-F1.
    pub macro_f1_ci: [f64; 2],
    /// Per-class F1 weighted by support.
    pub weighted_f1: f64,
    /// Cohen's kappa between the method and the gold labels.
    pub kappa: f64,
    /// Expected calibration error, 10 bins.
    pub ece: f64,
    /// Precision, recall and F1 per label.
    pub per_class: Vec<ClassScores>,
    /// Label order of `confusion`.
    pub labels: Vec<String>,
    /// `confusion[gold][predicted]`.
    pub confusion: Vec<Vec<usize>>,
    /// Reliability diagram bins (confidence against accuracy).
    pub reliability: Vec<ReliabilityBin>,
    /// Pearson's r between valence and gold ratings (rating data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pearson: Option<f64>,
    /// Spearman's rho between valence and gold ratings (rating data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
}

/// Scores one method's probabilities against gold label indices.
pub fn task_metrics(task: Task, method: &str, gold: &[usize], probabilities: &[Probabilities]) -> TaskMetrics {
    let labels = task.labels();
    let predicted: Vec<usize> = probabilities.iter().map(argmax).collect();
    let confusion = Confusion::new(labels.len(), gold, &predicted);
    let confidence: Vec<f64> = probabilities.iter().map(|p| p[argmax(p)] as f64).collect();
    let correct: Vec<bool> = gold.iter().zip(&predicted).map(|(g, p)| g == p).collect();
    let (lo, hi) = bootstrap_macro_f1(labels.len(), gold, &predicted, BOOTSTRAP_RESAMPLES, 0.95, BOOTSTRAP_SEED);
    TaskMetrics {
        method: method.to_owned(),
        n: gold.len(),
        accuracy: confusion.accuracy(),
        macro_f1: confusion.macro_f1(),
        macro_f1_ci: [lo, hi],
        weighted_f1: confusion.weighted_f1(),
        kappa: confusion.kappa(),
        ece: expected_calibration_error(&confidence, &correct, CALIBRATION_BINS),
        per_class: confusion.class_scores(labels),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        confusion: confusion.counts,
        reliability: reliability(&confidence, &correct, CALIBRATION_BINS),
        pearson: None,
        spearman: None,
    }
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// The label.
    pub label: String,
    /// Share of predictions of this label that are right.
    pub precision: f64,
    /// Share of this label's items predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Gold examples of the class.
    pub support: usize,
}

/// A confusion matrix over `k` labels: `counts[gold][predicted]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Confusion {
    /// `counts[gold][predicted]`.
    pub counts: Vec<Vec<usize>>,
}

impl Confusion {
    /// Counts pairs of (gold, predicted) label indices below `k`.
    pub fn new(k: usize, gold: &[usize], predicted: &[usize]) -> Confusion {
        let mut counts = vec![vec![0; k]; k];
        for (&g, &p) in gold.iter().zip(predicted) {
            counts[g][p] += 1;
        }
        Confusion { counts }
    }

    /// Items counted.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    fn row(&self, i: usize) -> usize {
        self.counts[i].iter().sum()
    }

    fn column(&self, j: usize) -> usize {
        self.counts.iter().map(|r| r[j]).sum()
    }

    /// Labels that occur in gold or predictions.
    fn present(&self) -> Vec<usize> {
        (0..self.counts.len()).filter(|&i| self.row(i) + self.column(i) > 0).collect()
    }

    /// Share of items on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let n = self.total();
        if n == 0 {
            return 0.0;
        }
        (0..self.counts.len()).map(|i| self.counts[i][i]).sum::<usize>() as f64 / n as f64
    }

    /// Per-class scores, in label order.
    pub(crate) fn class_scores(&self, labels: &[&str]) -> Vec<ClassScores> {
        (0..self.counts.len())
            .map(|i| {
                let tp = self.counts[i][i] as f64;
                let predicted = self.column(i) as f64;
                let support = self.row(i);
                let precision = ratio(tp, predicted);
                let recall = ratio(tp, support as f64);
                ClassScores {
                    label: labels[i].to_owned(),
                    precision,
                    recall,
                    f1: ratio(2.0 * precision * recall, precision + recall),
                    support,
                }
            })
            .collect()
    }

    /// Unweighted mean F1 over the labels present.
    pub fn macro_f1(&self) -> f64 {
        let present = self.present();
        if present.is_empty() {
            return 0.0;
        }
        let scores = self.class_scores(&vec![""; self.counts.len()]);
        present.iter().map(|&i| scores[i].f1).sum::<f64>() / present.len() as f64
    }

    /// Mean F1 weighted by gold support.
    pub(crate) fn weighted_f1(&self) -> f64 {
        let n = self.total();
        if n == 0 {
            return 0.0;
        }
        let scores = self.class_scores(&vec![""; self.counts.len()]);
        scores.iter().map(|s| s.f1 * s.support as f64).sum::<f64>() / n as f64
    }

    /// Cohen's kappa between the two raters the matrix compares. When chance
    /// agreement is already total (one label everywhere), kappa is 1 for
    /// perfect agreement and 0 otherwise.
    pub fn kappa(&self) -> f64 {
        let n = self.total() as f64;
        if n == 0.0 {
            return 0.0;
        }
        let observed = self.accuracy();
        let expected: f64 =
            (0..self.counts.len()).map(|i| (self.row(i) as f64 / n) * (self.column(i) as f64 / n)).sum();
        if (1.0 - expected).abs() < 1e-12 {
            return if observed >= 1.0 { 1.0 } else { 0.0 };
        }
        (observed - expected) / (1.0 - expected)
    }
}

/// `a / b`, or 0 when `b` is 0 (an empty class or set).
pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// A two-sided bootstrap confidence interval of macro-F1: `resamples`
/// resamples of the items with replacement (ChaCha8 seeded with `seed`, so
/// the interval is the same on every machine), percentile method.
pub(crate) fn bootstrap_macro_f1(
    k: usize,
    gold: &[usize],
    predicted: &[usize],
    resamples: usize,
    level: f64,
    seed: u64,
) -> (f64, f64) {
    let n = gold.len();
    if n == 0 || resamples == 0 {
        return (0.0, 0.0);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut values: Vec<f64> = (0..resamples)
        .map(|_| {
            let mut counts = vec![vec![0; k]; k];
            for _ in 0..n {
                let i = rng.random_range(0..n);
                counts[gold[i]][predicted[i]] += 1;
            }
            Confusion { counts }.macro_f1()
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    (quantile(&values, tail), quantile(&values, 1.0 - tail))
}

/// The 95% bootstrap interval of an accuracy (the share of `right`), with
/// the resamples and seed every other interval in the reports uses.
pub(crate) fn bootstrap_accuracy(right: &[bool]) -> [f64; 2] {
    let n = right.len();
    if n == 0 {
        return [0.0, 0.0];
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut values: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| (0..n).filter(|_| right[rng.random_range(0..n)]).count() as f64 / n as f64)
        .collect();
    values.sort_by(f64::total_cmp);
    [quantile(&values, 0.025), quantile(&values, 0.975)]
}

/// Linear-interpolated quantile of sorted values (numpy's default).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Expected calibration error with `bins` equal-width confidence bins:
/// the support-weighted mean |accuracy - mean confidence| per bin, where a
/// prediction's confidence is its top probability.
pub(crate) fn expected_calibration_error(confidence: &[f64], correct: &[bool], bins: usize) -> f64 {
    reliability(confidence, correct, bins)
        .iter()
        .map(|b| b.count as f64 * (b.accuracy - b.confidence).abs())
        .sum::<f64>()
        / confidence.len().max(1) as f64
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lowest confidence in the bin.
    pub lower: f64,
    /// Highest confidence in the bin (exclusive, but for the last bin).
    pub upper: f64,
    /// Items in the bin.
    pub count: usize,
    /// Mean confidence of the bin's predictions (0 when empty).
    pub confidence: f64,
    /// Share of the bin's predictions that were right (0 when empty).
    pub accuracy: f64,
}

/// The bins behind `expected_calibration_error`: bin `i` holds confidences
/// in `(i/bins, (i+1)/bins]`, with 0 in the first bin.
pub fn reliability(confidence: &[f64], correct: &[bool], bins: usize) -> Vec<ReliabilityBin> {
    let mut out: Vec<ReliabilityBin> = (0..bins)
        .map(|i| ReliabilityBin {
            lower: i as f64 / bins as f64,
            upper: (i + 1) as f64 / bins as f64,
            count: 0,
            confidence: 0.0,
            accuracy: 0.0,
        })
        .collect();
    for (&c, &ok) in confidence.iter().zip(correct) {
        let i = ((c * bins as f64).ceil() as usize).clamp(1, bins) - 1;
        out[i].count += 1;
        out[i].confidence += c;
        out[i].accuracy += ok as u8 as f64;
    }
    for b in &mut out {
        if b.count > 0 {
            b.confidence /= b.count as f64;
            b.accuracy /= b.count as f64;
        }
    }
    out
}

/// Pearson's correlation; NaN when either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Average ranks (1-based), ties sharing the mean of their positions.
pub(crate) fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation (Pearson on average ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// Kendall's tau-b.
pub(crate) fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let (mut concordant, mut discordant, mut ties_x, mut ties_y) = (0f64, 0f64, 0f64, 0f64);
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let dx = x[i] - x[j];
            let dy = y[i] - y[j];
            if dx == 0.0 && dy == 0.0 {
                continue;
            } else if dx == 0.0 {
                ties_x += 1.0;
            } else if dy == 0.0 {
                ties_y += 1.0;
            } else if dx.signum() == dy.signum() {
                concordant += 1.0;
            } else {
                discordant += 1.0;
            }
        }
    }
    let n1 = concordant + discordant + ties_x;
    let n2 = concordant + discordant + ties_y;
    (concordant - discordant) / (n1 * n2).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// gold×predicted counts [[5,1,0],[2,3,1],[0,1,7]], worked by hand:
    /// n = 20, observed agreement 15/20; rows 6,6,8; columns 7,5,8;
    /// chance agreement (42+30+64)/400 = 0.34; kappa = 0.41/0.66.
    /// F1: 10/13, 6/11, 14/16; macro = their mean; weighted by 6,6,8.
    fn worked_example() -> Confusion {
        let mut gold = Vec::new();
        let mut predicted = Vec::new();
        for (g, row) in [[5, 1, 0], [2, 3, 1], [0, 1, 7]].iter().enumerate() {
            for (p, &n) in row.iter().enumerate() {
                for _ in 0..n {
                    gold.push(g);
                    predicted.push(p);
                }
            }
        }
        Confusion::new(3, &gold, &predicted)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn hand_computed_confusion_metrics() {
        let c = worked_example();
        assert!(close(c.accuracy(), 0.75));
        assert!(close(c.kappa(), 0.41 / 0.66));
        let f1 = [10.0 / 13.0, 6.0 / 11.0, 14.0 / 16.0];
        let scores = c.class_scores(&["a", "b", "c"]);
        for (s, f) in scores.iter().zip(f1) {
            assert!(close(s.f1, f), "{s:?}");
        }
        assert!(close(scores[0].precision, 5.0 / 7.0));
        assert!(close(scores[0].recall, 5.0 / 6.0));
        assert!(close(c.macro_f1(), f1.iter().sum::<f64>() / 3.0));
        assert!(close(c.weighted_f1(), (6.0 * f1[0] + 6.0 * f1[1] + 8.0 * f1[2]) / 20.0));
    }

    #[test]
    fn macro_f1_skips_labels_nobody_used() {
        // Only labels 0 and 1 occur: macro-F1 averages two classes, not three.
        let c = Confusion::new(3, &[0, 0, 1, 1], &[0, 1, 1, 1]);
        let f0 = 2.0 / 3.0; // P=1, R=1/2
        let f1 = 0.8; // P=2/3, R=1
        assert!(close(c.macro_f1(), (f0 + f1) / 2.0));
    }

    #[test]
    fn kappa_edge_cases() {
        assert!(close(Confusion::new(3, &[2, 2], &[2, 2]).kappa(), 1.0));
        assert!(close(Confusion::new(2, &[0, 1], &[1, 0]).kappa(), -1.0));
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let c = worked_example();
        let (gold, predicted): (Vec<usize>, Vec<usize>) = (0..3)
            .flat_map(|g| {
                (0..3).flat_map(move |p| std::iter::repeat_n((g, p), [[5, 1, 0], [2, 3, 1], [0, 1, 7]][g][p]))
            })
            .unzip();
        let a = bootstrap_macro_f1(3, &gold, &predicted, 1000, 0.95, 7);
        let b = bootstrap_macro_f1(3, &gold, &predicted, 1000, 0.95, 7);
        assert_eq!(a, b);
        assert!(a.0 < c.macro_f1() && c.macro_f1() < a.1, "{a:?}");
    }

    #[test]
    fn calibration_error_by_hand() {
        // Bin (0.9, 1.0]: confidences 0.95, 0.95, right 1 of 2 -> |0.5-0.95|.
        // Bin (0.5, 0.6]: confidence 0.6, right -> |1-0.6|.
        let ece = expected_calibration_error(&[0.95, 0.95, 0.6], &[true, false, true], 10);
        assert!(close(ece, (2.0 * 0.45 + 0.4) / 3.0), "{ece}");
        let bins = reliability(&[0.0, 1.0], &[true, true], 10);
        assert_eq!(bins[0].count, 1);
        assert_eq!(bins[9].count, 1);
    }

    #[test]
    fn correlations_by_hand() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [1.0, 3.0, 2.0, 4.0];
        assert!(close(spearman(&x, &y), 0.8)); // 1 - 6*2/(4*15)
        assert!(close(kendall_tau_b(&x, &y), 4.0 / 6.0)); // 5 concordant, 1 discordant
        assert!(close(pearson(&x, &[2.0, 4.0, 6.0, 8.0]), 1.0));
        assert_eq!(ranks(&[10.0, 20.0, 10.0]), vec![1.5, 3.0, 1.5]);
        // tau-b with ties: x ties once, y never.
        let t = kendall_tau_b(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]);
        assert!(close(t, 2.0 / (2f64 * 3.0).sqrt()), "{t}");
    }

    #[test]
    fn quantile_interpolates() {
        assert!(close(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5));
        assert!(close(quantile(&[1.0, 2.0, 3.0], 0.0), 1.0));
    }
}
