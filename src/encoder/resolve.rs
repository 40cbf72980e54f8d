//! Finding the encoder's files: a local directory, the hf-hub cache, the
//! tool's own cache, an hf-hub download, or the offline package mirror.
//!
//! Each step that fails says why in one line (through the `notify` callback)
//! before the next is tried; when every step fails the error lists them all.

use super::mirror;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The default encoder.
pub const DEFAULT_MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";

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
    pub config: PathBuf,
    pub tokenizer: PathBuf,
    pub weights: PathBuf,
    pub sentence_config: Option<PathBuf>,
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
fn looks_like_path(spec: &str) -> bool {
    Path::new(spec).exists()
        || spec.starts_with('.')
        || spec.starts_with('/')
        || spec.starts_with('~')
        || spec.matches('/').count() != 1
}

/// Resolves `spec` (a directory or a hub id) to files on disk, trying each
/// step in turn. `notify` receives one line per failed step.
pub fn resolve(spec: &str, options: &ResolveOptions, notify: &mut dyn FnMut(&str)) -> Result<ModelFiles> {
    if looks_like_path(spec) {
        // A directory the user named always wins, and never falls through to
        // a download of something else.
        let dir = Path::new(spec);
        if !dir.is_dir() {
            return Err(Error::ModelFile { path: dir.to_owned(), message: "no such model directory".into() });
        }
        return ModelFiles::from_dir(spec, dir, Source::LocalDir);
    }

    // Cache misses are only worth a line when no cache has the model and the
    // network steps come next; a warm run stays quiet.
    let mut failures: Vec<String> = Vec::new();
    match from_hub_cache(spec) {
        Ok(files) => return Ok(files),
        Err(why) => failures.push(format!("hf-hub cache: {why}")),
    }
    let cached = tool_cache_dir(&options.cache_dir, spec);
    match ModelFiles::from_dir(spec, &cached, Source::ToolCache) {
        Ok(files) => return Ok(files),
        Err(_) => failures.push(format!("stance cache: not in {}", cached.display())),
    }
    failures.iter().for_each(|line| notify(line));
    let mut fail = |line: String, notify: &mut dyn FnMut(&str)| {
        notify(&line);
        failures.push(line);
    };
    if !options.allow_fetch {
        fail("download: fetching is turned off".into(), notify);
    } else {
        match from_hub_download(spec) {
            Ok(files) => return Ok(files),
            Err(why) => fail(format!("hf-hub download: {why}"), notify),
        }
        match mirror::fetch(spec, &options.cache_dir) {
            Ok(dir) => return ModelFiles::from_dir(spec, &dir, Source::Mirror),
            Err(why) => fail(format!("package mirror: {why}"), notify),
        }
    }
    Err(Error::Model(format!(
        "could not find or fetch {spec} ({}); pass --model DIR with config.json, tokenizer.json and model.safetensors",
        failures.join("; ")
    )))
}

fn from_hub_cache(id: &str) -> std::result::Result<ModelFiles, String> {
    let cache = hf_hub::Cache::from_env();
    let repo = cache.model(id.to_owned());
    let mut found = Vec::new();
    for file in REQUIRED_FILES {
        match repo.get(file) {
            Some(path) => found.push(path),
            None => return Err(format!("{file} not cached under {}", cache.path().display())),
        }
    }
    Ok(ModelFiles {
        id: id.to_owned(),
        config: found[0].clone(),
        tokenizer: found[1].clone(),
        weights: found[2].clone(),
        sentence_config: repo.get(SENTENCE_CONFIG),
        source: Source::HubCache,
    })
}

fn from_hub_download(id: &str) -> std::result::Result<ModelFiles, String> {
    if std::env::var_os("HF_HUB_OFFLINE").is_some_and(|v| v != "0" && !v.is_empty()) {
        return Err("HF_HUB_OFFLINE is set".into());
    }
    let api = hf_hub::api::sync::ApiBuilder::from_env().with_progress(false).build().map_err(|e| e.to_string())?;
    let repo = api.model(id.to_owned());
    let mut found = Vec::new();
    for file in REQUIRED_FILES {
        let path = repo.get(file).map_err(|e| one_line(&e.to_string()))?;
        found.push(path);
    }
    Ok(ModelFiles {
        id: id.to_owned(),
        config: found[0].clone(),
        tokenizer: found[1].clone(),
        weights: found[2].clone(),
        sentence_config: repo.get(SENTENCE_CONFIG).ok(),
        source: Source::HubDownload,
    })
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

    #[test]
    fn a_local_directory_must_hold_the_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("config.json"), "{}").unwrap();
        let err =
            resolve(tmp.path().to_str().unwrap(), &ResolveOptions::default(), &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("lacks tokenizer.json, model.safetensors"), "{err}");
        let err = resolve("./no/such/dir", &ResolveOptions::default(), &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("no such model directory"), "{err}");
    }

    #[test]
    fn every_failed_step_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let options = ResolveOptions { cache_dir: tmp.path().to_owned(), allow_fetch: false };
        let mut lines = Vec::new();
        let err = resolve("nobody/no-such-model", &options, &mut |l| lines.push(l.to_owned())).unwrap_err().to_string();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("hf-hub cache: "));
        assert!(lines[1].starts_with("stance cache: "));
        assert!(lines[2].starts_with("download: "));
        assert!(err.contains("could not find or fetch nobody/no-such-model"), "{err}");
    }
}
