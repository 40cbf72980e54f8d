//! The Hugging Face Hub through hf-hub: its cache, then a download.

use crate::encoder::files::{one_line, ModelFiles, Source, REQUIRED_FILES, SENTENCE_CONFIG};

/// The model's files in the hf-hub cache (`HF_HOME`).
pub(super) fn from_cache(id: &str) -> std::result::Result<ModelFiles, String> {
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

/// The model's files downloaded through hf-hub (skipped when
/// `HF_HUB_OFFLINE` is set).
pub(super) fn download(id: &str) -> std::result::Result<ModelFiles, String> {
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
