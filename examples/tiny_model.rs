//! Writes the tests' tiny random BERT (`stance::testing`) into a directory, for
//! measuring memory and throughput of the pipeline without the real model:
//!
//!     cargo run --release --example tiny_model -- /tmp/tiny
//!     stance classify - --input jsonl --model /tmp/tiny < corpus.jsonl

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: tiny_model DIR");
        std::process::exit(2);
    };
    let dir = stance::testing::write_tiny_bert(std::path::Path::new(&dir));
    println!("{}", dir.display());
}
