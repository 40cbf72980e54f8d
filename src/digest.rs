//! Content hashes: model weights and training data are identified by their
//! sha256, so heads can refuse an encoder they were not trained for and a
//! retrain can prove it used the committed data.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Hex sha256 of a file, streamed in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// [`sha256_file`], remembered in `memo_dir` under the file's path, size
/// and modification time, so the 87 MB encoder weights are hashed once per
/// install rather than on every run. A memo that cannot be written only
/// costs the hash next time.
pub(crate) fn sha256_file_memo(path: &Path, memo_dir: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let key = sha256_bytes(format!("{}|{}|{modified}", canonical.display(), meta.len()).as_bytes());
    let memo = memo_dir.join("hashes").join(&key[..32]);
    if let Ok(text) = std::fs::read_to_string(&memo) {
        let text = text.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(text.to_owned());
        }
    }
    let digest = sha256_file(path)?;
    if std::fs::create_dir_all(memo.parent().expect("has a parent")).is_ok() {
        let _ = std::fs::write(&memo, &digest);
    }
    Ok(digest)
}

/// Hex sha256 of bytes.
pub(crate) fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One training file and its content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    /// As given to `stance train` (relative to the repository for shipped heads).
    pub path: String,
    /// sha256 of the file's bytes when the head was trained.
    pub sha256: String,
    /// Examples used from it.
    pub records: usize,
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(super::sha256_bytes(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(super::sha256_file(&path).unwrap(), super::sha256_bytes(b"abc"));
    }
}
