//! What the compressed-stream formats share (gzip, bzip2, xz, `.lzma`,
//! pbzx): each is a container of one child, the decoded bytes, named by
//! the stream when it stores a name (gzip's `FNAME`) or after the node
//! itself minus its suffix (`x.tar.gz` holds `x.tar`, `x.tgz` holds
//! `x.tar`), as gzip, xz and 7-Zip name what they decode.

use super::container::{Container, Data, Decoded, End, Entry, Notes};
use super::{Metadata, Parsed};
use installsift_model::error::{AtOffset, Error};
use installsift_model::{Check, EntryInfo, EntryKind, Format};
use std::io::{self, Read};

/// Makes the decoder of a stream's bytes.
pub(crate) type MakeFn = for<'a> fn(&'a [u8], &DecoderLimits) -> Result<Box<dyn Read + 'a>, Error>;

/// What a decoder maker may read: the memory a decoder may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecoderLimits {
    /// Bytes of dictionary or other state a decoder may allocate.
    pub memory: u64,
}

/// The memory a decoder of one stream may take: the output's declared
/// size (a dictionary larger than the output is never referred to), at
/// least 64 MiB (the dictionary of `xz -9` and `lzma -9`), at most the
/// entry limit, plus 1 MiB of state. A hostile header asking more gets an
/// error from the decoder, not gigabytes.
pub(crate) fn decoder_memory(declared: Option<u64>, max_entry: u64) -> u64 {
    declared
        .unwrap_or(64 << 20)
        .clamp(64 << 20, max_entry.max(64 << 20))
        + (1 << 20)
}

/// A stream of one child, decoded as the engine reads it: the child is
/// `name`, decoded by `make` from `data[from..]`; when the read went
/// through, `check` (if any) is recorded as verified: the decoder
/// itself verifies it and fails on a mismatch.
pub(crate) struct OneChild<'a> {
    /// The whole stream.
    pub data: &'a [u8],
    /// Offset of the bytes the decoder reads.
    pub from: usize,
    /// The child's name.
    pub name: String,
    /// The method reported on the child.
    pub method: &'static str,
    /// The size the stream declares for its output, if it does.
    pub declared: Option<u64>,
    /// The node's format.
    pub format: Format,
    /// The decoder.
    pub make: MakeFn,
    /// The decoder's memory.
    pub limits: DecoderLimits,
    /// The check the decoder verifies, when the stream carries one.
    pub check: Option<Check>,
    /// The node's facts.
    pub metadata: Option<Metadata>,
    /// The child was handed out.
    pub given: bool,
}

impl Container for OneChild<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        if self.given {
            return None;
        }
        self.given = true;
        let mut info = EntryInfo::new(EntryKind::File).at(self.from as u64);
        info.method = Some(self.method.into());
        let src = self.data.get(self.from..).unwrap_or(&[]);
        info.compressed_size = Some(src.len() as u64);
        let data = match (self.make)(src, &self.limits) {
            Ok(reader) => Data::Decode {
                reader,
                declared: self.declared,
                stored: Some(src.len() as u64),
            },
            Err(error) => Data::Missing {
                size: self.declared.unwrap_or(0),
                error,
            },
        };
        Some(Entry {
            name: self.name.clone(),
            info,
            data,
        })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        notes: &mut Notes,
    ) {
        match (read, self.check) {
            (Ok(_), Some(c)) => info.add_verified(c),
            (Ok(_), None) => {}
            (Err(e), _) => notes.error(undecoded(e)),
        }
    }

    /// A stream that failed to decode has no size of its own: the
    /// declared one when the header gives it, else 0 (never the stored
    /// size, which is the compressed stream's).
    fn failed_size(&self, declared: Option<u64>, _stored: Option<u64>) -> u64 {
        declared.unwrap_or(0)
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: self.format,
            metadata: self.metadata,
        }
    }
}

/// The decoded child's name when the stream stores none: the node's own
/// name (its last path part) minus one of `suffixes` (pairs of suffix and
/// replacement, compared without case); the node's name unchanged when
/// none matches; `fallback` when the node has no name.
pub(crate) fn child_name(node: &str, suffixes: &[(&str, &str)], fallback: &str) -> String {
    let base = node.rsplit(['/', '\\']).next().unwrap_or(node);
    if base.is_empty() {
        return fallback.to_owned();
    }
    let lower = base.to_ascii_lowercase();
    for (suffix, with) in suffixes {
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            let stem = base.get(..base.len() - suffix.len()).unwrap_or(base);
            return format!("{stem}{with}");
        }
    }
    base.to_owned()
}

/// The node's error when its one child could not be decoded to its end:
/// the stream is all the node holds, so what was lost is its content (the
/// child carries the same error).
pub(crate) fn undecoded(e: &Error) -> Error {
    installsift_model::error::context(e.clone(), "the stream could not be decoded to its end")
}

/// A member's path as archivers show it: leading `./` parts dropped
/// (`find . | cpio -o` and `tar -C dir .` store `./a/b`; bsdtar, 7-Zip and
/// cpio extract it as `a/b`). `.` alone stays `.`.
pub(crate) fn member_path(name: String) -> String {
    let mut s = name.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.trim_start_matches('/');
    }
    if s.len() == name.len() || s.is_empty() {
        name
    } else {
        s.to_owned()
    }
}

/// An I/O error that names where in the stream it happened (the engine
/// keeps the offset as the error's field).
pub(crate) fn io_at(kind: io::ErrorKind, offset: usize, message: String) -> io::Error {
    io::Error::new(
        kind,
        AtOffset {
            offset: offset as u64,
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_suffix() {
        let gz = &[(".tgz", ".tar"), (".gz", ""), ("-gz", ""), (".z", "")];
        assert_eq!(child_name("dir/x.tar.gz", gz, "data"), "x.tar");
        assert_eq!(child_name("X.TGZ", gz, "data"), "X.tar");
        assert_eq!(child_name("Payload", gz, "data"), "Payload");
        assert_eq!(child_name("", gz, "data"), "data");
        assert_eq!(child_name(".gz", gz, "data"), ".gz");
        assert_eq!(member_path("./a/b".into()), "a/b");
        assert_eq!(member_path("././/a".into()), "a");
        assert_eq!(member_path("./".into()), "./");
        assert_eq!(member_path("a/./b".into()), "a/./b");
    }
}
