//! The integration tests: one binary (links candle once), one module per
//! area. Tests that need no model build a tiny random BERT
//! ([`stance::testing`]); tests of the real model run when it is installed
//! and fail instead of skipping under `STANCE_REQUIRE_MODEL=1` (CI).

mod bad_input;
mod cli;
mod determinism;
mod docs;
mod encoder;
mod eval;
mod expected;
mod heads;
mod hygiene;
mod lora;
mod odd_input;
mod parity;
mod properties;
mod scale;

use std::path::PathBuf;

/// The repository root (where `seeds/`, `models/` and `eval/` are).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
