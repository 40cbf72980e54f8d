//! Segmentation, speaker attribution and JSONL reading on arbitrary bytes.
//! The invariants live in `stance::testing::invariants`, shared with the
//! property tests; a crash found here becomes a regression test in
//! `tests/it/properties.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stance::testing::invariants::check_bytes(data);
});
