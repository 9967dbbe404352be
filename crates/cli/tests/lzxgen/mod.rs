//! A test-only LZX compressor and cabinet writer, with seeded input
//! generators: no LZX compressor is packaged for Debian, so the LZX decoder
//! is tested against cabextract (libmspack) and 7-Zip on streams made here.
//!
//! Never part of the library: it is compiled into the library's unit tests,
//! `crates/cli/tests/it` and `crates/cli/examples/lzx_gen.rs` through `#[path]` module
//! declarations. Every choice (data, block plan, quirks) comes from a
//! seeded PRNG, so a case number always gives the same bytes.

pub mod cab;
pub mod cases;
pub mod data;
pub mod encoder;
pub mod rng;
