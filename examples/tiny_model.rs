//! Writes the tests' tiny random BERT (tests/common) into a directory, for
//! measuring memory and throughput of the pipeline without the real model:
//!
//!     cargo run --release --example tiny_model -- /tmp/tiny
//!     stance classify - --input jsonl --model /tmp/tiny < corpus.jsonl

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: tiny_model DIR");
        std::process::exit(2);
    };
    let dir = common::write_tiny_bert(std::path::Path::new(&dir));
    println!("{}", dir.display());
}
