//! The labels every module shares: the two tasks, their label names in the
//! order every probability vector uses, and the arithmetic on those
//! vectors. It depends on nothing else in the crate, so records, label
//! files and speaker tallies can name labels without reaching into the
//! classifiers.

/// What is being classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Task {
    /// The prospect of diplomatic engagement: likely, unlikely, neutral.
    Stance,
    /// The speaker's tone: positive, negative, neutral.
    Sentiment,
}

/// Stance labels, in the order every probability vector uses.
pub const STANCE_LABELS: [&str; 3] = ["likely", "unlikely", "neutral"];
/// Sentiment labels, in the order every probability vector uses.
pub const SENTIMENT_LABELS: [&str; 3] = ["positive", "negative", "neutral"];

impl Task {
    /// The task's labels; probability vectors follow this order.
    pub fn labels(self) -> &'static [&'static str; 3] {
        match self {
            Task::Stance => &STANCE_LABELS,
            Task::Sentiment => &SENTIMENT_LABELS,
        }
    }

    /// The task's name as used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Task::Stance => "stance",
            Task::Sentiment => "sentiment",
        }
    }

    /// Index of `label` among [`labels`](Self::labels).
    pub fn index_of(self, label: &str) -> Option<usize> {
        self.labels().iter().position(|l| *l == label)
    }
}

/// Probabilities over a task's labels for one paragraph.
pub type Probabilities = [f32; 3];

/// Index of the largest probability; ties go to the earlier label, so
/// `neutral` (last) never wins a tie.
pub fn argmax(p: &Probabilities) -> usize {
    let mut best = 0;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    best
}

/// Softmax of `scores / temperature`, computed stably.
pub fn softmax(scores: &[f32; 3], temperature: f32) -> Probabilities {
    let max = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores.iter().map(|s| ((s - max) / temperature).exp()).collect();
    let total: f32 = exp.iter().sum();
    [exp[0] / total, exp[1] / total, exp[2] / total]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let p = softmax(&[0.5, 0.1, 0.3], 0.1);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > p[2] && p[2] > p[1]);
        assert_eq!(argmax(&p), 0);
        // Large scores stay finite.
        let p = softmax(&[1000.0, 0.0, -1000.0], 0.01);
        assert!(p.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn labels_round_trip() {
        for task in [Task::Stance, Task::Sentiment] {
            for (i, l) in task.labels().iter().enumerate() {
                assert_eq!(task.index_of(l), Some(i));
            }
        }
        assert_eq!(Task::Stance.index_of("positive"), None);
    }
}
