//! `stance model`: obtain or describe the encoder.

use super::{Context, Outcome};
use anyhow::Result;
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum ModelAction {
    /// Resolve the encoder, downloading or fetching it if needed.
    Fetch,
    /// Print where the encoder was found, its weights' sha256 and sizes.
    Info {
        #[arg(long, value_enum, default_value = "table")]
        format: InfoFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InfoFormat {
    Table,
    Json,
}

/// Runs `model fetch` or `model info`.
pub fn run(cx: &Context, action: ModelAction) -> Result<Outcome> {
    let encoder = cx.encoder()?;
    let files = encoder.files();
    let format = match action {
        ModelAction::Fetch => {
            println!("{}", files.weights.parent().unwrap_or(&files.weights).display());
            return Ok(Outcome::Done);
        }
        ModelAction::Info { format } => format,
    };
    let config = encoder.config();
    let info = serde_json::json!({
        "id": files.id,
        "source": files.source.as_str(),
        "path": files.weights.parent().unwrap_or(&files.weights),
        "weights": files.weights,
        "weights_sha256": encoder.weights_sha256()?,
        "dims": encoder.dims(),
        "layers": config.num_hidden_layers,
        "heads": config.num_attention_heads,
        "vocab": config.vocab_size,
        "window": encoder.window(),
    });
    match format {
        InfoFormat::Json => println!("{}", serde_json::to_string_pretty(&info)?),
        InfoFormat::Table => {
            for (k, v) in info.as_object().expect("an object") {
                let v = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
                println!("{k:<15} {v}");
            }
        }
    }
    Ok(Outcome::Done)
}
