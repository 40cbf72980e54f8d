//! Splitting a corpus among independent processes (`--shard K/N`).
//!
//! The contract, which other tools (a Spark job, a shell loop over
//! machines) may rely on:
//!
//! * shards are numbered from 0: `K/N` with `0 <= K < N`;
//! * a document belongs to shard `h(id) mod N`, where `h(id)` is the first
//!   8 bytes of the SHA-256 digest of the document id's UTF-8 bytes, read
//!   as a big-endian unsigned 64-bit integer;
//! * the id is the one records carry in their `article` field (the JSONL
//!   `id`, or the default `<file stem>:<line>`, or a text file's stem).
//!
//! The hash depends on the id alone, so N processes need no coordination,
//! every document lands in exactly one shard, and the union of the N
//! outputs is the unsharded output. SHA-256 rather than a faster hash
//! because every language has it in its standard library, so the split can
//! be reproduced anywhere (Python: `int.from_bytes(hashlib.sha256(id.encode()).digest()[:8], "big") % N`).

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// One shard of `count`: documents whose id hashes to `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard number, below `count`.
    pub index: u64,
    /// How many shards the corpus is split into (at least 1).
    pub count: u64,
}

/// The 64-bit hash a shard is chosen by: the first 8 bytes of SHA-256 of
/// the id's UTF-8 bytes, big-endian.
pub(crate) fn id_hash(id: &str) -> u64 {
    let digest = Sha256::digest(id.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
}

impl Shard {
    /// Shard `index` of `count`; refused unless `index < count`.
    pub fn new(index: u64, count: u64) -> Result<Shard> {
        if count == 0 {
            return Err(Error::Usage("shard count must be at least 1".into()));
        }
        if index >= count {
            return Err(Error::Usage(format!(
                "shard {index}/{count} does not exist: shards are numbered 0 to {}",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// The shard (of `count`) that document `id` belongs to.
    pub fn of(id: &str, count: u64) -> u64 {
        id_hash(id) % count
    }

    /// True when document `id` belongs to this shard.
    pub fn contains(&self, id: &str) -> bool {
        Shard::of(id, self.count) == self.index
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// Parses `K/N`.
    fn from_str(s: &str) -> Result<Shard> {
        let bad = || Error::Usage(format!("{s:?} is not a shard: expected K/N with 0 <= K < N, e.g. 0/4"));
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the contract: these values were computed independently
    /// (Python's hashlib, as in the module documentation) and must never
    /// change, or shards written by an older version would overlap.
    #[test]
    fn hash_is_pinned() {
        assert_eq!(id_hash(""), 0xe3b0c44298fc1c14);
        assert_eq!(id_hash("000_9bd1d7fa154eed65"), 0x5786e3d438d2176b);
        assert_eq!(id_hash("feed:1"), 0x953282193e6e7776);
        assert_eq!(id_hash("Séoul"), 0x64a4809df75e79c0);
        assert_eq!(Shard::of("000_9bd1d7fa154eed65", 4), 3); // 0x...6b = 107 ≡ 3 (mod 4)
    }

    #[test]
    fn every_id_is_in_exactly_one_shard() {
        for id in ["a", "b", "feed:17", "東京", ""] {
            for n in 1..7 {
                let owners = (0..n).filter(|&k| Shard::new(k, n).unwrap().contains(id)).count();
                assert_eq!(owners, 1, "{id} over {n} shards");
            }
        }
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!("2/5".parse::<Shard>().unwrap(), Shard { index: 2, count: 5 });
        assert_eq!("0/1".parse::<Shard>().unwrap().to_string(), "0/1");
        for bad in ["5/5", "1/0", "0/0", "-1/3", "1", "a/b", "1/2/3", "", "/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad} accepted");
        }
    }
}
