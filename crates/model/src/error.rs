//! The one error type of installsift.
//!
//! Errors are attached to the node where they happened; only an input that
//! cannot be read at all makes `installsift::Scanner::scan_path`
//! fail. Callers and the classifier tell kinds apart by variant, never by text.

use serde::Serialize;

/// What went wrong, with enough context to find the offending bytes.
///
/// An enum of kinds rather than one struct with a `kind` field: callers and
/// the classifier match on the variant, and the limit exists only where one
/// was hit ([`Error::LimitExceeded`]), so no `limit` can sit on a
/// `malformed` error. Every variant carries the same two other parts: a
/// `message` (what the report's `errors` strings show after the kind) and an
/// optional byte `offset`, read with [`Error::offset`] and set with
/// [`Error::at`].
///
/// The offset is where the problem lies **in the bytes the reporting parser
/// was given**: the node it parses, or for an error carried by an entry (a
/// missing entry, a checksum mismatch) the container the entry came from.
/// It can lie at or past the end of those bytes when the problem is a
/// structure declared there (a file cut short).
/// Parsers set it only where that is what their message's offset means;
/// an offset into a decoded stream (a decompressed header, an MSI stream, a
/// signature blob) stays in the message only, so the field is `None` rather
/// than a number in another coordinate system.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
#[allow(missing_docs)] // `message`, `offset` (and `limit`) are documented on the type
pub enum Error {
    /// The input could not be read (open, mmap, read failed).
    #[error("io: {message}")]
    Io {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// The data ends before a structure it declares.
    #[error("truncated: {message}")]
    Truncated {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// A structure is inconsistent (bad offsets, counts, cycles).
    #[error("malformed: {message}")]
    Malformed {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// Valid data using a feature installsift does not decode (e.g. a cabinet file continued in another cabinet).
    #[error("unsupported: {message}")]
    Unsupported {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// Content is encrypted; installsift does not guess passwords.
    #[error("encrypted: {message}")]
    Encrypted {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// A checksum or digest the format carries does not match the bytes it
    /// covers: the node's bytes (or the stored data they were decoded from)
    /// are not what the writer stored.
    #[error("checksum: {message}")]
    Checksum {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// A [`Limits`](crate::Limits) bound stopped the work.
    #[error("limit-exceeded: {limit}: {message}")]
    LimitExceeded {
        limit: crate::limits::Limit,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// A parser (ours or a dependency's) panicked on this node; the panic was
    /// contained and the scan went on. Always a bug worth a regression file.
    #[error("panic: {message}")]
    Panic {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
}

/// Short constructors with `format!`-style messages, and the parts every
/// kind shares.
impl Error {
    /// An [`Error::Io`].
    pub fn io(e: impl std::fmt::Display) -> Self {
        Error::Io {
            message: e.to_string(),
            offset: None,
        }
    }
    /// An [`Error::Truncated`].
    pub fn truncated(m: impl Into<String>) -> Self {
        Error::Truncated {
            message: m.into(),
            offset: None,
        }
    }
    /// An [`Error::Malformed`].
    pub fn malformed(m: impl Into<String>) -> Self {
        Error::Malformed {
            message: m.into(),
            offset: None,
        }
    }
    /// An [`Error::Unsupported`].
    pub fn unsupported(m: impl Into<String>) -> Self {
        Error::Unsupported {
            message: m.into(),
            offset: None,
        }
    }
    /// An [`Error::Encrypted`].
    pub fn encrypted(m: impl Into<String>) -> Self {
        Error::Encrypted {
            message: m.into(),
            offset: None,
        }
    }
    /// An [`Error::Checksum`].
    pub fn checksum(m: impl Into<String>) -> Self {
        Error::Checksum {
            message: m.into(),
            offset: None,
        }
    }
    /// An [`Error::LimitExceeded`] for `limit`.
    pub fn limit(limit: crate::limits::Limit, m: impl Into<String>) -> Self {
        Error::LimitExceeded {
            limit,
            message: m.into(),
            offset: None,
        }
    }
    /// An [`Error::Panic`].
    pub fn panic(m: impl Into<String>) -> Self {
        Error::Panic {
            message: m.into(),
            offset: None,
        }
    }

    /// The same error, located at byte `offset` of the parser's input (see
    /// [`Error`] for what the offset is relative to). Replaces an offset
    /// already set. The message is not touched: a parser whose message
    /// states the offset passes the same value to both.
    ///
    /// ```
    /// use installsift_model::Error;
    /// let e = Error::truncated(format!("block header at {:#x} cut short", 0x40)).at(0x40);
    /// assert_eq!(e.offset(), Some(0x40));
    /// assert_eq!(e.to_string(), "truncated: block header at 0x40 cut short");
    /// ```
    #[must_use]
    pub fn at(mut self, offset: u64) -> Self {
        *self.parts_mut().1 = Some(offset);
        self
    }

    /// [`Error::at`] when the offset is known (e.g. a `checked_add` of a
    /// base and a relative offset), the error unchanged when not.
    #[must_use]
    pub fn at_opt(self, offset: Option<u64>) -> Self {
        match offset {
            Some(o) => self.at(o),
            None => self,
        }
    }

    /// Forget the offset: for an error met in bytes that are not the
    /// node's (a stream a compound file assembled from its sectors), where
    /// the offset would be in other coordinates. The message keeps it.
    pub fn clear_offset(&mut self) {
        *self.parts_mut().1 = None;
    }

    /// The byte offset of the problem in the parser's input, when the
    /// parser knew one in that input's coordinates.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Io { offset, .. }
            | Error::Truncated { offset, .. }
            | Error::Malformed { offset, .. }
            | Error::Unsupported { offset, .. }
            | Error::Encrypted { offset, .. }
            | Error::Checksum { offset, .. }
            | Error::LimitExceeded { offset, .. }
            | Error::Panic { offset, .. } => *offset,
        }
    }

    /// The message, without the kind (the report's string is
    /// `kind: message`, or `limit-exceeded: limit: message`).
    pub fn message(&self) -> &str {
        match self {
            Error::Io { message, .. }
            | Error::Truncated { message, .. }
            | Error::Malformed { message, .. }
            | Error::Unsupported { message, .. }
            | Error::Encrypted { message, .. }
            | Error::Checksum { message, .. }
            | Error::LimitExceeded { message, .. }
            | Error::Panic { message, .. } => message,
        }
    }

    /// The limit hit, for an [`Error::LimitExceeded`].
    pub fn limit_hit(&self) -> Option<crate::limits::Limit> {
        match self {
            Error::LimitExceeded { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    fn parts_mut(&mut self) -> (&mut String, &mut Option<u64>) {
        match self {
            Error::Io { message, offset }
            | Error::Truncated { message, offset }
            | Error::Malformed { message, offset }
            | Error::Unsupported { message, offset }
            | Error::Encrypted { message, offset }
            | Error::Checksum { message, offset }
            | Error::LimitExceeded {
                message, offset, ..
            }
            | Error::Panic { message, offset } => (message, offset),
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
/// keeping its kind, its limit and its byte offset.
pub fn context(mut e: Error, what: &str) -> Error {
    let message = e.parts_mut().0;
    *message = format!("{what}: {message}");
    e
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A message with the byte offset it is about, for a decoding reader to
/// carry inside a [`std::io::Error`] (`io::Error::new(kind, AtOffset {..})`)
/// so that [`io_to_error`] keeps the offset as a field. It displays as its
/// message alone, so the text is what a plain string error would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtOffset {
    /// Offset in the bytes of the container whose reader failed.
    pub offset: u64,
    /// What went wrong there.
    pub message: String,
}

impl std::fmt::Display for AtOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AtOffset {}

/// A limit a decoding reader met, for it to carry inside a
/// [`std::io::Error`] so that [`io_to_error`] makes it a `limit-exceeded`
/// error naming the [`Limit`](crate::limits::Limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitAt {
    /// The limit the data would pass.
    pub limit: crate::limits::Limit,
    /// Offset in the bytes of the container whose reader stopped.
    pub offset: u64,
    /// What would have passed it.
    pub message: String,
}

impl std::fmt::Display for LimitAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LimitAt {}

/// Map an I/O error from a decoder to our kinds: early EOF is truncation,
/// `Unsupported` is unsupported, a [`LimitAt`] is the limit it names, the
/// rest is malformed. An [`AtOffset`] inside it gives the error its offset.
pub fn io_to_error(e: &std::io::Error, done: u64) -> Error {
    if let Some(l) = e.get_ref().and_then(|i| i.downcast_ref::<LimitAt>()) {
        return Error::limit(l.limit, l.message.clone()).at(l.offset);
    }
    let e_offset = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<AtOffset>())
        .map(|a| a.offset);
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            Error::truncated(format!("data ends after {done} bytes: {e}"))
        }
        std::io::ErrorKind::Unsupported => {
            Error::unsupported(format!("not decoded after {done} bytes: {e}"))
        }
        _ => Error::malformed(format!("decoding failed after {done} bytes: {e}")),
    }
    .at_opt(e_offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limit;

    #[test]
    fn offset_survives_context_and_text_is_unchanged() {
        let e = Error::malformed("block at 0x1f0 is bad").at(0x1f0);
        let e = context(context(e, "entry `a`"), "folder 0");
        assert_eq!(e.offset(), Some(0x1f0));
        assert_eq!(e.kind(), "malformed");
        assert_eq!(e.message(), "folder 0: entry `a`: block at 0x1f0 is bad");
        assert_eq!(
            e.to_string(),
            "malformed: folder 0: entry `a`: block at 0x1f0 is bad"
        );
    }

    #[test]
    fn limit_and_offset_survive_context() {
        let e = context(Error::limit(Limit::MaxEntrySize, "too big").at(7), "x");
        assert_eq!(e.limit_hit(), Some(Limit::MaxEntrySize));
        assert_eq!(e.offset(), Some(7));
        assert_eq!(e.to_string(), "limit-exceeded: max_entry_size: x: too big");
    }

    #[test]
    fn no_offset_unless_set_and_at_replaces() {
        let e = Error::checksum("crc");
        assert_eq!(e.offset(), None);
        assert_eq!(context(e.clone(), "y").offset(), None);
        let mut twice = e.at(1).at(2);
        assert_eq!(twice.offset(), Some(2));
        twice.clear_offset();
        assert_eq!(twice.offset(), None);
        assert_eq!(twice.to_string(), "checksum: crc");
        assert_eq!(Error::io("x").limit_hit(), None);
    }

    #[test]
    fn io_errors_keep_an_offset_they_carry() {
        let located = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            AtOffset {
                offset: 161,
                message: "block at offset 161 cut".into(),
            },
        );
        let e = io_to_error(&located, 5);
        assert_eq!(
            e.to_string(),
            "truncated: data ends after 5 bytes: block at offset 161 cut"
        );
        assert_eq!(e.offset(), Some(161));
        let plain = std::io::Error::other("block at offset 161 bad");
        let e = io_to_error(&plain, 0);
        assert_eq!(
            e.to_string(),
            "malformed: decoding failed after 0 bytes: block at offset 161 bad"
        );
        assert_eq!(e.offset(), None);
    }

    #[test]
    fn every_kind_carries_an_offset() {
        for e in [
            Error::io("m"),
            Error::truncated("m"),
            Error::malformed("m"),
            Error::unsupported("m"),
            Error::encrypted("m"),
            Error::checksum("m"),
            Error::limit(Limit::MaxDepth, "m"),
            Error::panic("m"),
        ] {
            let kind = e.kind();
            let text = e.to_string();
            let e = context(e.at(9), "c");
            assert_eq!((e.kind(), e.offset(), e.message()), (kind, Some(9), "c: m"));
            assert!(text.ends_with(": m"), "{text}");
        }
    }
}
