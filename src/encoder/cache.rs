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
//! where `check` is the start of sha256 over key and vector. Only an index
//! (key → offset of its record) is held in memory, 40 bytes and change per
//! vector, and vectors are read from the file when asked for, so a large
//! cache costs little memory. New vectors are appended, one write per batch.
//!
//! Several runs may share a cache. The file is locked (an advisory lock,
//! `flock` on Unix, through `fd-lock`): appends and repairs take it
//! exclusively, reads share it. So a run never sees another's record half
//! written, and the damaged-tail repair — a damaged record (a crash
//! mid-write, a bad check) ends the readable part: the file is cut back to
//! the records before it, with a note at open, and rebuilt from there as
//! texts come by again — only ever cuts what is really damaged. Before an
//! append a run reads the records others appended since it last looked, so
//! a vector another run just stored is neither lost nor stored twice.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
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
    /// Where each key's record starts in the file.
    index: HashMap<[u8; 32], u64>,
    /// Where the intact records read so far end; anything past it was
    /// appended by another run since, or is a damaged tail.
    end: u64,
    file: fd_lock::RwLock<File>,
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
        let io = |e| Error::io(&path, e);
        // Not in append mode: appends seek to the end of the intact records
        // under the exclusive lock, where the end is known.
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path);
        let mut file = fd_lock::RwLock::new(file.map_err(io)?);
        let mut index = HashMap::new();
        // Under the shared lock no other run is mid-append, so a damaged
        // tail seen here is damage, not another run's record in progress.
        let (mut end, len) = scan(&*file.read().map_err(io)?, 0, dims, &mut index).map_err(io)?;
        if end < len {
            // Cut it under the exclusive lock only, looking again first:
            // between the two locks another run may have repaired the tail
            // and appended to it.
            let guard = file.write().map_err(io)?;
            let (good, len) = scan(&guard, end, dims, &mut index).map_err(io)?;
            if good < len {
                guard.set_len(good).map_err(io)?;
                notify(&format!(
                    "{}: damaged after {} vectors ({} bytes dropped); rebuilding from there",
                    path.display(),
                    good / record_size(dims) as u64,
                    len - good
                ));
            }
            end = good;
        }
        Ok(EmbeddingCache {
            path,
            salt: format!("{weights_sha256}\0{window}\0").into_bytes(),
            dims,
            state: Mutex::new(State { index, end, file }),
        })
    }

    /// The file the vectors live in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of vectors held (as of the last look at the file).
    pub fn len(&self) -> usize {
        self.lock().index.len()
    }

    /// Whether the cache holds no vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of `text`.
    pub(crate) fn key(&self, text: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(&self.salt);
        hash.update(text.as_bytes());
        hash.finalize().into()
    }

    /// The cached vector of `key`, if any.
    pub fn get(&self, key: &[u8; 32]) -> Option<Vec<f32>> {
        self.get_many(std::slice::from_ref(key)).pop().flatten()
    }

    /// The cached vectors of `keys`, in order, under one lock. Keys not
    /// found are looked for again among the records other runs appended
    /// since. A record that cannot be read back intact counts as absent
    /// (the caller computes the vector again); so does an I/O error.
    pub(crate) fn get_many(&self, keys: &[[u8; 32]]) -> Vec<Option<Vec<f32>>> {
        let mut state = self.lock();
        let State { index, end, file } = &mut *state;
        let Ok(guard) = file.read() else { return vec![None; keys.len()] };
        if keys.iter().any(|k| !index.contains_key(k)) {
            // Records past `end` are whole under the shared lock; a damaged
            // tail stops the scan and is left for a writer to cut.
            if let Ok((good, _)) = scan(&guard, *end, self.dims, index) {
                *end = good;
            }
        }
        let mut reader: &File = &guard;
        let mut record = vec![0u8; record_size(self.dims)];
        keys.iter()
            .map(|key| {
                let &at = index.get(key)?;
                reader.seek(SeekFrom::Start(at)).ok()?;
                reader.read_exact(&mut record).ok()?;
                verify(&record, self.dims).filter(|stored| stored == key)?;
                Some(vector(&record))
            })
            .collect()
    }

    /// Stores vectors (appending them to the file in one write, under the
    /// exclusive lock).
    pub fn insert(&self, entries: &[([u8; 32], &[f32])]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let io = |e| Error::io(&self.path, e);
        let mut state = self.lock();
        let State { index, end, file } = &mut *state;
        let mut guard = file.write().map_err(io)?;
        // What other runs appended since, so as not to store it twice; and
        // a damaged tail (a run that died mid-write: no one else can be
        // writing now) is cut before appending after it.
        let (good, len) = scan(&guard, *end, self.dims, index).map_err(io)?;
        if good < len {
            guard.set_len(good).map_err(io)?;
        }
        *end = good;
        let size = record_size(self.dims) as u64;
        let mut buffer = Vec::new();
        let mut fresh = HashMap::new();
        for (key, vector) in entries {
            if vector.len() != self.dims || index.contains_key(key) || fresh.contains_key(key) {
                continue;
            }
            fresh.insert(*key, good + (fresh.len() as u64) * size);
            buffer.extend_from_slice(&record(key, vector));
        }
        if buffer.is_empty() {
            return Ok(());
        }
        guard.seek(SeekFrom::Start(good)).map_err(io)?;
        guard.write_all(&buffer).map_err(io)?;
        // Only now: a failed write leaves the index without its records
        // (the next writer cuts whatever part of them reached the file).
        *end = good + buffer.len() as u64;
        index.extend(fresh);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-updated in a way
        // that matters: the index only ever gains whole records.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn record_size(dims: usize) -> usize {
    4 + 32 + 4 + dims * 4 + 8
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

/// The key of an intact record of `dims` (`rec` is one record long).
fn verify(rec: &[u8], dims: usize) -> Option<[u8; 32]> {
    let key: [u8; 32] = rec[4..36].try_into().expect("32 bytes");
    let stored_dims = u32::from_le_bytes(rec[36..40].try_into().expect("4 bytes")) as usize;
    let data = &rec[40..40 + dims * 4];
    (&rec[..4] == MAGIC && stored_dims == dims && rec[40 + dims * 4..] == check(&key, data)).then_some(key)
}

/// The vector of an intact record.
fn vector(rec: &[u8]) -> Vec<f32> {
    let data = &rec[40..rec.len() - 8];
    data.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect()
}

/// Reads the intact records from `start` on into `index` (a key seen twice
/// keeps its first record), streaming; returns where they end and the
/// file's length. The first damaged record, or a partial one at the end,
/// stops the scan.
fn scan(file: &File, start: u64, dims: usize, index: &mut HashMap<[u8; 32], u64>) -> std::io::Result<(u64, u64)> {
    let len = file.metadata()?.len();
    let size = record_size(dims) as u64;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    reader.seek(SeekFrom::Start(start))?;
    let mut rec = vec![0u8; size as usize];
    let mut at = start;
    while at + size <= len {
        reader.read_exact(&mut rec)?;
        let Some(key) = verify(&rec, dims) else { break };
        index.entry(key).or_insert(at);
        at += size;
    }
    Ok((at, len))
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

    /// Another run holds the exclusive lock with half a record written: an
    /// opener waits for it instead of taking the half record for a damaged
    /// tail and cutting it (which lost the other run's vectors).
    #[test]
    fn an_opener_waits_for_a_writer_instead_of_cutting_its_record() {
        let tmp = tempfile::tempdir().unwrap();
        let mut notes = Vec::new();
        let cache = open(tmp.path(), &mut notes);
        let (a, b) = (cache.key("a"), cache.key("b"));
        cache.insert(&[(a, &[1.0, 2.0, 3.0])]).unwrap();
        let path = cache.path().to_owned();
        drop(cache);

        let bytes = record(&b, &[4.0, 5.0, 6.0]);
        let mut writer = fd_lock::RwLock::new(std::fs::OpenOptions::new().append(true).open(&path).unwrap());
        let mut guard = writer.write().unwrap();
        guard.write_all(&bytes[..20]).unwrap();
        let dir = tmp.path().to_owned();
        let opener = std::thread::spawn(move || {
            let mut notes = Vec::new();
            let cache = open(&dir, &mut notes);
            (cache.get(&a), cache.get(&b), notes)
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        guard.write_all(&bytes[20..]).unwrap();
        drop(guard);
        let (got_a, got_b, notes) = opener.join().unwrap();
        assert_eq!(got_a, Some(vec![1.0, 2.0, 3.0]));
        assert_eq!(got_b, Some(vec![4.0, 5.0, 6.0]), "the other run's vector was cut");
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * record_size(3) as u64);
    }

    #[test]
    fn runs_sharing_a_cache_see_each_others_vectors_and_store_them_once() {
        let tmp = tempfile::tempdir().unwrap();
        let mut notes = Vec::new();
        let first = open(tmp.path(), &mut notes);
        let second = open(tmp.path(), &mut notes);
        let (a, b) = (first.key("a"), first.key("b"));
        first.insert(&[(a, &[1.0, 2.0, 3.0])]).unwrap();
        // Stored after `second` opened: found on the miss, and not stored again.
        assert_eq!(second.get(&a), Some(vec![1.0, 2.0, 3.0]));
        second.insert(&[(a, &[1.0, 2.0, 3.0]), (b, &[4.0, 5.0, 6.0])]).unwrap();
        first.insert(&[(b, &[4.0, 5.0, 6.0])]).unwrap();
        let size = record_size(3);
        assert_eq!(std::fs::metadata(first.path()).unwrap().len() as usize, 2 * size);
        assert_eq!((first.len(), second.len()), (2, 2));
        assert_eq!(first.get_many(&[b, a]), [Some(vec![4.0, 5.0, 6.0]), Some(vec![1.0, 2.0, 3.0])]);
        assert!(notes.is_empty(), "{notes:?}");

        // Vectors are read from the file on demand, and checked: a record
        // damaged since the open reads as absent (to be computed again),
        // never as a wrong vector.
        let mut bytes = std::fs::read(first.path()).unwrap();
        bytes[size + 45] ^= 0xff;
        std::fs::write(first.path(), &bytes).unwrap();
        assert_eq!(first.get(&b), None);
        assert_eq!(first.get(&a), Some(vec![1.0, 2.0, 3.0]));
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
