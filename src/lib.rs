#![deny(missing_docs)]
//! # stance
//!
//! Reads news articles, splits them into paragraphs, embeds each paragraph
//! with a local transformer (all-MiniLM-L6-v2 through candle by default) and
//! classifies its **stance toward diplomacy** (is engagement between the
//! parties `likely`, `unlikely` or `neutral`) and **who speaks, with what
//! sentiment**. Articles are ranked by the mean of P(likely) - P(unlikely).
//!
//! The crate is a library with a thin command-line front end. The pieces,
//! one folder per concern, each depending only on those above it:
//!
//! * [`text`]: documents from files, directories, JSONL and stdin;
//!   paragraphs and site furniture;
//! * [`encoder`]: model files and fetching, the BERT forward and its
//!   kernels, pooling, windows, the embedding cache;
//! * [`classify`]: the [`classify::Classifier`] trait, zero-shot
//!   prototypes, the lexicon features and the trained heads;
//! * [`speaker`]: who voices a paragraph, and the per-speaker tally;
//! * [`pipeline`]: the above, end to end, in bounded chunks;
//! * [`results`] and [`output`]: records, the ranking, shards; their formats;
//! * [`data`] and [`eval`]: data sets on disk; the evaluation harness.

// Every unsafe operation, even inside an `unsafe fn`, sits in its own
// `unsafe` block with a SAFETY comment: the fn's contract and the
// operation's justification are separate things.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod classify;
pub mod data;
pub mod digest;
pub mod encoder;
pub mod error;
#[cfg(feature = "eval")]
pub mod eval;
mod facade;
pub mod label;
#[cfg(feature = "eval")]
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod results;
pub mod speaker;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod text;

pub use error::{Error, Result};
pub use facade::{Notice, NoticeFn, Stance, StanceBuilder};
pub use label::{Label, SentimentLabel, StanceLabel, Task};
