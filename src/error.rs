//! The library's error type.
//!
//! Every variant renders as one line that names the file (and line, where
//! there is one) so that a user running over thousands of articles can find
//! the culprit without a backtrace.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read. (The I/O error is part of
    /// the message rather than a `source`, so that reports that print the
    /// chain do not repeat it.)
    #[error("{path}: {cause}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        cause: std::io::Error,
    },

    /// Input that is present but unusable (bad encoding, bad JSON, a
    /// record without text, ...). `line` is 1-based where it applies.
    #[error("{}: {message}", location(path, *line))]
    Input {
        /// The input file (`stdin` for standard input).
        path: PathBuf,
        /// 1-based line, for line-oriented inputs.
        line: Option<usize>,
        /// What is wrong, in one line.
        message: String,
    },

    /// The encoder could not be found, downloaded or loaded.
    #[error("model: {0}")]
    Model(String),

    /// A model file exists but is not what the loader expects.
    #[error("{path}: {message}")]
    ModelFile {
        /// The model file.
        path: PathBuf,
        /// What is wrong, in one line.
        message: String,
    },

    /// A tokenizer failure.
    #[error("tokenizer: {0}")]
    Tokenizer(String),

    /// A tensor operation failed inside candle.
    #[error("encoder: {0}")]
    Candle(candle_core::Error),

    /// Writing output failed (a closed pipe is reported as this too).
    #[error("output: {0}")]
    Output(std::io::Error),

    /// Invalid arguments that clap cannot check on its own.
    #[error("{0}")]
    Usage(String),
}

impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        Error::Candle(e)
    }
}

fn location(path: &std::path::Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), cause: source }
    }

    /// An input error at `path`, optionally at a 1-based `line`.
    pub fn input(path: impl Into<PathBuf>, line: Option<usize>, message: impl Into<String>) -> Self {
        Error::Input { path: path.into(), line, message: message.into() }
    }

    /// True when the error is a closed output pipe (`stance ... | head`),
    /// which the binary treats as a quiet, successful exit.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
