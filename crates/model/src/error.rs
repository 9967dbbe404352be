//! The one error type of installsift.
//!
//! Errors are attached to the node where they happened; only an input that
//! cannot be read at all makes `installsift::Scanner::scan_path`
//! fail. Callers and the classifier tell kinds apart by variant, never by text.

use serde::Serialize;

/// What went wrong, with enough context to find the offending bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
#[allow(missing_docs)] // `message` (and `limit`) fields say what their variant does
pub enum Error {
    /// The input could not be read (open, mmap, read failed).
    #[error("io: {message}")]
    Io { message: String },
    /// The data ends before a structure it declares.
    #[error("truncated: {message}")]
    Truncated { message: String },
    /// A structure is inconsistent (bad offsets, counts, cycles).
    #[error("malformed: {message}")]
    Malformed { message: String },
    /// Valid data using a feature installsift does not decode (e.g. Quantum).
    #[error("unsupported: {message}")]
    Unsupported { message: String },
    /// Content is encrypted; installsift does not guess passwords.
    #[error("encrypted: {message}")]
    Encrypted { message: String },
    /// A checksum or digest the format carries does not match the bytes it
    /// covers: the node's bytes (or the stored data they were decoded from)
    /// are not what the writer stored.
    #[error("checksum: {message}")]
    Checksum { message: String },
    /// A [`Limits`](crate::Limits) bound stopped the work.
    #[error("limit-exceeded: {limit}: {message}")]
    LimitExceeded {
        limit: crate::limits::Limit,
        message: String,
    },
    /// A parser (ours or a dependency's) panicked on this node; the panic was
    /// contained and the scan went on. Always a bug worth a regression file.
    #[error("panic: {message}")]
    Panic { message: String },
}

/// Short constructors with `format!`-style messages.
impl Error {
    /// An [`Error::Io`].
    pub fn io(e: impl std::fmt::Display) -> Self {
        Error::Io {
            message: e.to_string(),
        }
    }
    /// An [`Error::Truncated`].
    pub fn truncated(m: impl Into<String>) -> Self {
        Error::Truncated { message: m.into() }
    }
    /// An [`Error::Malformed`].
    pub fn malformed(m: impl Into<String>) -> Self {
        Error::Malformed { message: m.into() }
    }
    /// An [`Error::Unsupported`].
    pub fn unsupported(m: impl Into<String>) -> Self {
        Error::Unsupported { message: m.into() }
    }
    /// An [`Error::Encrypted`].
    pub fn encrypted(m: impl Into<String>) -> Self {
        Error::Encrypted { message: m.into() }
    }
    /// An [`Error::Checksum`].
    pub fn checksum(m: impl Into<String>) -> Self {
        Error::Checksum { message: m.into() }
    }
    /// An [`Error::LimitExceeded`] for `limit`.
    pub fn limit(limit: crate::limits::Limit, m: impl Into<String>) -> Self {
        Error::LimitExceeded {
            limit,
            message: m.into(),
        }
    }

    /// The kind as it appears in reports: `io`, `truncated`, `malformed`,
    /// `unsupported`, `encrypted`, `checksum`, `limit-exceeded`, `panic`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::Truncated { .. } => "truncated",
            Error::Malformed { .. } => "malformed",
            Error::Unsupported { .. } => "unsupported",
            Error::Encrypted { .. } => "encrypted",
            Error::Checksum { .. } => "checksum",
            Error::LimitExceeded { .. } => "limit-exceeded",
            Error::Panic { .. } => "panic",
        }
    }
}

/// Prefix an error's message with where it happened (entry name, offset),
/// keeping its kind.
pub fn context(e: Error, what: &str) -> Error {
    match e {
        Error::Io { message } => Error::io(format!("{what}: {message}")),
        Error::Truncated { message } => Error::truncated(format!("{what}: {message}")),
        Error::Malformed { message } => Error::malformed(format!("{what}: {message}")),
        Error::Unsupported { message } => Error::unsupported(format!("{what}: {message}")),
        Error::Encrypted { message } => Error::encrypted(format!("{what}: {message}")),
        Error::Checksum { message } => Error::checksum(format!("{what}: {message}")),
        Error::LimitExceeded { limit, message } => {
            Error::limit(limit, format!("{what}: {message}"))
        }
        Error::Panic { message } => Error::Panic {
            message: format!("{what}: {message}"),
        },
    }
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Map an I/O error from a decoder to our kinds: early EOF is truncation.
pub fn io_to_error(e: &std::io::Error, done: u64) -> Error {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            Error::truncated(format!("data ends after {done} bytes: {e}"))
        }
        _ => Error::malformed(format!("decoding failed after {done} bytes: {e}")),
    }
}
