//! The NYT editorial-snippets sentiment benchmark: 5,190 sentences with
//! the mean rating of 20 human raters (-4..+4), read at run time from the
//! shared data folder (never copied into the repository).
//!
//! Split: a sentence's editorial number is the part of its id before `_`;
//! editorials divisible by 5 are the **test** split (974 sentences), the
//! rest is train/dev. Gold classes: rating >= 0.5 positive, <= -0.5
//! negative, otherwise neutral.

use crate::error::{Error, Result};
use crate::label::SentimentLabel;
use std::path::{Path, PathBuf};

/// Where the data lives relative to the repository root.
pub const DEFAULT_PATH: &str = "../shared/data/nyt-editorial-snippets.tsv";
/// Environment variable that overrides [`DEFAULT_PATH`].
pub(crate) const PATH_ENV: &str = "STANCE_NYT";

/// One rated sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// The sentence's id, `EDITORIAL_SENTENCE`.
    pub id: String,
    /// The editorial number (the part of the id before `_`).
    pub editorial: u32,
    /// Mean human rating, -4..+4.
    pub rating: f64,
    /// The sentence.
    pub text: String,
}

/// Which part of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Editorial number not divisible by 5.
    Train,
    /// Editorial number divisible by 5.
    Test,
}

impl Sentence {
    /// Test when the editorial number is divisible by 5, else train.
    pub fn split(&self) -> Split {
        if self.editorial % 5 == 0 {
            Split::Test
        } else {
            Split::Train
        }
    }

    /// The 3-class gold label of the rating.
    pub fn class(&self) -> SentimentLabel {
        rating_class(self.rating)
    }
}

/// positive at >= 0.5, negative at <= -0.5, else neutral.
pub fn rating_class(rating: f64) -> SentimentLabel {
    if rating >= 0.5 {
        SentimentLabel::Positive
    } else if rating <= -0.5 {
        SentimentLabel::Negative
    } else {
        SentimentLabel::Neutral
    }
}

/// The data path: `$STANCE_NYT`, else [`DEFAULT_PATH`].
pub fn default_path() -> PathBuf {
    std::env::var_os(PATH_ENV).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEFAULT_PATH))
}

/// Reads the TSV (`id<TAB>rating<TAB>text`), keeping one split.
pub fn read(path: &Path, split: Split) -> Result<Vec<Sentence>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |m: &str| Error::input(path, Some(i + 1), m.to_owned());
        let mut fields = line.splitn(3, '\t');
        let (Some(id), Some(rating), Some(sentence)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(err("expected id, rating and text separated by tabs"));
        };
        let editorial = id
            .split('_')
            .next()
            .and_then(|e| e.parse::<u32>().ok())
            .ok_or_else(|| err("id must start with an editorial number (\"12_3\")"))?;
        let rating: f64 = rating.trim().parse().map_err(|_| err("rating is not a number"))?;
        // `parse` takes "nan" and "inf"; either would poison the ridge fit
        // and every metric without a word, and so would a rating off the scale.
        if !(-4.0..=4.0).contains(&rating) {
            return Err(err(&format!("rating {rating} is outside the scale of -4 to 4")));
        }
        let s = Sentence { id: id.to_owned(), editorial, rating, text: sentence.to_owned() };
        if s.split() == split {
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_classes() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nyt.tsv");
        std::fs::write(&path, "5_1\t0.5\tGood.\n5_2\t-0.45\tMeh.\n6_1\t-2\tBad.\n10_3\t-0.5\tWorse.\n").unwrap();
        let test = read(&path, Split::Test).unwrap();
        assert_eq!(test.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), vec!["5_1", "5_2", "10_3"]);
        assert_eq!(
            test.iter().map(Sentence::class).collect::<Vec<_>>(),
            [SentimentLabel::Positive, SentimentLabel::Neutral, SentimentLabel::Negative]
        );
        assert_eq!(read(&path, Split::Train).unwrap().len(), 1);
    }

    #[test]
    fn malformed_lines_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nyt.tsv");
        std::fs::write(&path, "5_1\t0.5\tGood.\nx_1\tzz\tBad.\n").unwrap();
        let err = read(&path, Split::Test).unwrap_err().to_string();
        assert!(err.contains("nyt.tsv:2:"), "{err}");
    }

    #[test]
    fn non_finite_and_off_scale_ratings_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nyt.tsv");
        for (rating, shown) in
            [("nan", "NaN"), ("inf", "inf"), ("-infinity", "-inf"), ("4.5", "4.5"), ("-4.01", "-4.01")]
        {
            std::fs::write(&path, format!("5_1\t0.5\tGood.\n6_1\t{rating}\tOdd.\n")).unwrap();
            let err = read(&path, Split::Test).unwrap_err().to_string();
            assert!(err.contains("nyt.tsv:2: ") && err.contains(&format!("rating {shown} is outside")), "{err}");
        }
        std::fs::write(&path, "5_1\t4\tBest.\n6_1\t-4.0\tWorst.\n").unwrap();
        assert_eq!(read(&path, Split::Train).unwrap()[0].rating, -4.0);
    }

    /// The real data, when present: the documented split sizes.
    #[test]
    fn shared_data_split_sizes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH);
        if !path.is_file() {
            eprintln!("skipping: {} not present", path.display());
            return;
        }
        let test = read(&path, Split::Test).unwrap();
        let train = read(&path, Split::Train).unwrap();
        assert_eq!(test.len(), 974);
        assert_eq!(test.len() + train.len(), 5190);
    }
}
