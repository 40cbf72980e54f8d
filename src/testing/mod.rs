//! Test support, behind the `test-util` feature: a tiny random BERT the
//! real loading code can run without the 87 MB model, a locator for the real
//! model when it is installed, and the text invariants shared by the
//! property tests and the fuzz target.

pub mod invariants;
mod tiny_bert;

pub use tiny_bert::{real_model, write_tiny_bert, TINY_HIDDEN, TINY_MAX_POSITIONS};
