//! # stance
//!
//! Reads news articles, splits them into paragraphs, embeds each paragraph
//! with a local transformer (all-MiniLM-L6-v2 through candle by default) and
//! classifies its **stance toward diplomacy** (is engagement between the
//! parties `likely`, `unlikely` or `neutral`) and **who speaks, with what
//! sentiment**. Articles are ranked by the mean of P(likely) - P(unlikely).
//!
//! The crate is a library with a thin command-line front end. The pieces,
//! one module per concept:
//!
//! * [`input`]: documents from files, directories, JSONL and stdin;
//! * [`article`] and [`boilerplate`]: paragraphs and site furniture;
//! * [`encoder`]: model resolution, tokenization, BERT forward, pooling;
//! * [`classify`]: the [`classify::Classifier`] trait and its zero-shot form;
//! * [`speaker`]: who voices a paragraph, and [`speakers`]: per-speaker
//!   summaries across articles;
//! * [`pipeline`]: the above, end to end, in bounded chunks;
//! * [`record`], [`rank`] and [`output`]: results and their formats;
//! * [`shard`]: splitting a corpus among independent processes.

pub mod article;
pub mod boilerplate;
pub mod classify;
pub mod digest;
pub mod encoder;
pub mod error;
pub mod heads;
pub mod input;
pub mod output;
pub mod pipeline;
pub mod rank;
pub mod record;
pub mod shard;
pub mod speaker;
pub mod speakers;

pub use error::{Error, Result};
pub mod baselines;
pub mod eval;
pub mod labels;
pub mod metrics;
pub mod nyt;
pub mod report;
