//! The `stance` command line: parse arguments, run, map the outcome to an
//! exit code. Everything else lives in the library (`src/lib.rs`) and in the
//! command handlers (`src/cli.rs`).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = <cli::Args as clap::Parser>::parse();
    match cli::run(args) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            // A closed pipe (`stance classify ... | head`) is not a failure.
            if err.downcast_ref::<stance::Error>().is_some_and(stance::Error::is_broken_pipe) {
                return ExitCode::SUCCESS;
            }
            eprintln!("stance: error: {err:#}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
