//! Results: the per-paragraph record other tools parse ([`record`]), the
//! article ranking built from records ([`rank`]), and the stable id hash
//! that splits a corpus among processes ([`shard`]).

pub mod rank;
pub mod record;
pub mod shard;
