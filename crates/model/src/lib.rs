//! The vocabulary of installsift: what every other crate speaks.
//!
//! Formats, families, verdicts, evidence, how an entry sits in its container
//! ([`model`]); the one error type with its kinds ([`error`]); the limits of a
//! scan, declared once ([`limits`]); the digests of a node's bytes
//! ([`hash`]). No file I/O, no parsing, no tree: the parsers
//! (`installsift-formats`), the engine (`installsift`) and the exports all
//! depend on this crate, and it depends on none of them.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod hash;
pub mod limits;
pub mod model;
pub mod time;

pub use error::{Error, Result};
pub use hash::{HashSelection, Hashes};
pub use limits::{Limit, LimitInfo, Limits, LIMITS};
pub use model::*;
pub use time::Timestamp;
