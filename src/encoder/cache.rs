//! An on-disk embedding cache (`--cache DIR`): re-ranking or re-evaluating
//! the same articles skips the encoder for every text it has seen.
//!
//! A vector is keyed by sha256 over the encoder's weights sha256, its
//! window length and the exact text, so another model (or the same model
//! windowed differently) never reads it. The cache is one append-only file
//! per encoder, `DIR/<weights sha256>.vectors`, of records
//!
//! ```text
//! "STV1" | key: 32 bytes | dims: u32 LE | dims × f32 LE | check: 8 bytes
//! ```
//!
//! where `check` is the start of sha256 over key and vector. The file is
//! read whole when the cache opens and new vectors are appended, one
//! write per batch. A damaged record (a crash mid-write, a bad check) ends
//! the readable part: the file is cut back to the records before it, with a
//! note, and rebuilt from there as texts come by again.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MAGIC: &[u8; 4] = b"STV1";

/// Vectors by key, backed by an append-only file.
pub struct EmbeddingCache {
    path: PathBuf,
    /// The prefix every key hashes first: weights sha256 and window.
    salt: Vec<u8>,
    dims: usize,
    state: Mutex<State>,
}

struct State {
    vectors: HashMap<[u8; 32], Vec<f32>>,
    file: std::fs::File,
}

impl EmbeddingCache {
    /// Opens (or creates) the cache of the encoder with `weights_sha256`,
    /// `window` and `dims` under `dir`. `notify` hears about repairs.
    pub fn open(
        dir: &Path,
        weights_sha256: &str,
        window: usize,
        dims: usize,
        notify: &mut dyn FnMut(&str),
    ) -> Result<EmbeddingCache> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(format!("{weights_sha256}.vectors"));
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let (vectors, good) = parse(&bytes, dims);
        let file =
            std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| Error::io(&path, e))?;
        if good < bytes.len() {
            file.set_len(good as u64).map_err(|e| Error::io(&path, e))?;
            notify(&format!(
                "{}: damaged after {} vectors ({} bytes dropped); rebuilding from there",
                path.display(),
                vectors.len(),
                bytes.len() - good
            ));
        }
        Ok(EmbeddingCache {
            path,
            salt: format!("{weights_sha256}\0{window}\0").into_bytes(),
            dims,
            state: Mutex::new(State { vectors, file }),
        })
    }

    /// The file the vectors live in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of vectors held.
    pub fn len(&self) -> usize {
        self.lock().vectors.len()
    }

    /// Whether the cache holds no vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of `text`.
    pub fn key(&self, text: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(&self.salt);
        hash.update(text.as_bytes());
        hash.finalize().into()
    }

    /// The cached vector of `key`, if any.
    pub fn get(&self, key: &[u8; 32]) -> Option<Vec<f32>> {
        self.lock().vectors.get(key).cloned()
    }

    /// Stores vectors (appending them to the file in one write).
    pub fn insert(&self, entries: &[([u8; 32], &[f32])]) -> Result<()> {
        let mut state = self.lock();
        let mut buffer = Vec::new();
        for (key, vector) in entries {
            if vector.len() != self.dims || state.vectors.contains_key(key) {
                continue;
            }
            buffer.extend_from_slice(&record(key, vector));
            state.vectors.insert(*key, vector.to_vec());
        }
        state.file.write_all(&buffer).map_err(|e| Error::io(&self.path, e))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the map half-updated in a way that
        // matters: entries are whole vectors.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn check(key: &[u8], data: &[u8]) -> [u8; 8] {
    let mut hash = Sha256::new();
    hash.update(key);
    hash.update(data);
    let digest = hash.finalize();
    digest[..8].try_into().expect("8 bytes")
}

fn record(key: &[u8; 32], vector: &[f32]) -> Vec<u8> {
    let data: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    let mut out = Vec::with_capacity(48 + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(key);
    out.extend_from_slice(&(vector.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&check(key, &data));
    out
}

/// The vectors of the file's intact leading records, and where they end.
fn parse(bytes: &[u8], dims: usize) -> (HashMap<[u8; 32], Vec<f32>>, usize) {
    let size = 4 + 32 + 4 + dims * 4 + 8;
    let mut vectors = HashMap::new();
    let mut at = 0;
    while let Some(rec) = bytes.get(at..at + size) {
        let key: [u8; 32] = rec[4..36].try_into().expect("32 bytes");
        let stored_dims = u32::from_le_bytes(rec[36..40].try_into().expect("4 bytes")) as usize;
        let data = &rec[40..40 + dims * 4];
        if &rec[..4] != MAGIC || stored_dims != dims || rec[40 + dims * 4..] != check(&key, data) {
            break;
        }
        let vector = data.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
        vectors.insert(key, vector);
        at += size;
    }
    (vectors, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path, notes: &mut Vec<String>) -> EmbeddingCache {
        EmbeddingCache::open(dir, "abc", 256, 3, &mut |n| notes.push(n.to_owned())).unwrap()
    }

    #[test]
    fn vectors_survive_reopening_and_keys_depend_on_the_encoder() {
        let tmp = tempfile::tempdir().unwrap();
        let mut notes = Vec::new();
        let cache = open(tmp.path(), &mut notes);
        let key = cache.key("Talks resumed.");
        cache.insert(&[(key, &[1.0, -2.5, 0.25])]).unwrap();
        drop(cache);
        let cache = open(tmp.path(), &mut notes);
        assert_eq!(cache.get(&key), Some(vec![1.0, -2.5, 0.25]));
        assert!(notes.is_empty(), "{notes:?}");
        let other = EmbeddingCache::open(tmp.path(), "abd", 256, 3, &mut |_| {}).unwrap();
        assert_ne!(other.key("Talks resumed."), key);
        assert_eq!(other.get(&key), None);
        let windowed = EmbeddingCache::open(tmp.path(), "abc", 128, 3, &mut |_| {}).unwrap();
        assert_ne!(windowed.key("Talks resumed."), key);
    }

    #[test]
    fn a_damaged_tail_is_cut_off_with_a_note_and_rebuilt() {
        let tmp = tempfile::tempdir().unwrap();
        let mut notes = Vec::new();
        let cache = open(tmp.path(), &mut notes);
        let (a, b) = (cache.key("a"), cache.key("b"));
        cache.insert(&[(a, &[1.0, 2.0, 3.0]), (b, &[4.0, 5.0, 6.0])]).unwrap();
        let path = cache.path().to_owned();
        drop(cache);
        // Flip a byte in the second vector, and leave half a record behind it.
        let mut bytes = std::fs::read(&path).unwrap();
        let size = bytes.len() / 2;
        bytes[size + 45] ^= 0xff;
        bytes.extend_from_within(..20);
        std::fs::write(&path, &bytes).unwrap();

        let cache = open(tmp.path(), &mut notes);
        assert_eq!(cache.get(&a), Some(vec![1.0, 2.0, 3.0]));
        assert_eq!(cache.get(&b), None);
        assert!(notes.len() == 1 && notes[0].contains("damaged after 1 vectors"), "{notes:?}");
        assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, size);
        cache.insert(&[(b, &[4.0, 5.0, 6.0])]).unwrap();
        drop(cache);
        let cache = open(tmp.path(), &mut notes);
        assert_eq!(cache.get(&b), Some(vec![4.0, 5.0, 6.0]));
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn garbage_files_are_rebuilt_not_fatal() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("abc.vectors"), b"not a cache at all").unwrap();
        let mut notes = Vec::new();
        let cache = open(tmp.path(), &mut notes);
        assert!(cache.is_empty());
        assert_eq!(notes.len(), 1);
    }
}
