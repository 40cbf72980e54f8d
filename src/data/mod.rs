//! Data sets on disk that training and evaluation read: labelled paragraph
//! and outlook files ([`labels`], the labelling guide's format) and the NYT
//! editorial snippets ([`nyt`]). Readers only; scoring is [`crate::eval`]'s.

pub mod labels;
pub mod nyt;
