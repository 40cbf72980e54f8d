//! Segmentation, speaker attribution and JSONL reading on arbitrary bytes.
//! The invariants live in `tests/invariants/mod.rs`, shared with the
//! property tests; a crash found here becomes a regression test in
//! `tests/properties.rs`.

#![no_main]

#[path = "../../tests/invariants/mod.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    invariants::check_bytes(data);
});
