//! The global options of one invocation, handed to every subcommand in
//! place of process-wide state.

use super::InputArgs;
use stance::encoder::{Encoder, Precision};
use stance::{Notice, Stance, StanceBuilder};
use std::path::PathBuf;

/// `--model`, `--threads`, `--cache`, `--precision` and `--quiet`.
pub struct Context {
    pub model: String,
    pub threads: Option<usize>,
    pub cache: Option<PathBuf>,
    pub precision: Precision,
    pub adapter: Option<PathBuf>,
    pub quiet: bool,
}

impl Context {
    /// A builder with the global options; notices go to stderr (warnings
    /// even under `--quiet`: a repaired cache is worth knowing about).
    fn builder(&self) -> StanceBuilder {
        let quiet = self.quiet;
        let mut builder = Stance::builder().model(&self.model).precision(self.precision).on_notice(move |n| match n {
            Notice::Info(line) if !quiet => eprintln!("stance: {line}"),
            Notice::Info(_) => {}
            Notice::Warning(line) => eprintln!("stance: warning: {line}"),
        });
        if let Some(dir) = &self.adapter {
            builder = builder.adapter(dir);
        }
        if let Some(n) = self.threads {
            builder = builder.threads(n);
        }
        if let Some(dir) = &self.cache {
            builder = builder.cache(dir);
        }
        builder
    }

    /// The encoder and the classifiers `input` asks for.
    pub fn stance(&self, input: &InputArgs) -> anyhow::Result<Stance> {
        let mut builder = self.builder().classifier(input.classifier).batch_size(input.batch_size as usize);
        if let Some(path) = &input.prototypes {
            builder = builder.prototypes(path);
        }
        if let Some(dir) = &input.heads.stance_head {
            builder = builder.stance_head(dir);
        }
        if let Some(dir) = &input.heads.sentiment_head {
            builder = builder.sentiment_head(dir);
        }
        Ok(builder.build()?)
    }

    /// The encoder alone, for training, evaluation and `model`.
    pub fn encoder(&self) -> anyhow::Result<Encoder> {
        Ok(self.builder().build_encoder()?)
    }

    /// A logger for long commands' progress lines (silent under `--quiet`).
    pub fn log(&self) -> impl FnMut(&str) {
        let quiet = self.quiet;
        move |line: &str| {
            if !quiet {
                eprintln!("stance: {line}");
            }
        }
    }
}
