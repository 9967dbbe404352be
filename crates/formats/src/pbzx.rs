//! Apple pbzx streams: the `Payload` of newer macOS packages (`.pkg`
//! component packages since 10.10, Xcode and macOS installers). A container
//! of one child, the decoded bytes (a cpio archive in a package).
//!
//! Layout (as Apple's `installer` and the open-source `pbzx` readers take
//! it): `pbzx`, a big-endian u64 (the chunk size, 16 MiB, with bit 24
//! set), then chunks, each a big-endian u64 uncompressed size and u64
//! stored length, then the stored bytes: a complete xz stream, or the
//! plain bytes when the stored length equals the uncompressed size.
//!
//! - The chunk headers are walked when the node is opened: their sizes
//!   must fit the data (a cut chunk is a `truncated` error naming its
//!   offset) and add up to the child's declared size.
//! - Each xz chunk is decoded by liblzma (within
//!   `stream::decoder_memory`), which verifies its
//!   integrity check; each chunk must decode to the size its header states.
//!   A child whose chunks are all xz streams with a check, decoded to the
//!   end, is `verified_by: xz-check`; plain chunks carry no check.
//! - The child is named after the node (`Payload` holds `Payload`), minus
//!   `.pbzx`.

use super::container::{Notes, Opened, Options};
use super::stream::{child_name, decoder_memory, io_at, DecoderLimits, OneChild};
use super::{Handler, Metadata};
use installsift_model::error::Error;
use installsift_model::{Check, Evidence, Format};
use serde::Serialize;
use std::io::{self, Read};

/// pbzx facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PbzxInfo {
    /// The chunk size the header states.
    pub chunk_size: u64,
    /// Chunks.
    pub chunks: u64,
    /// Chunks stored plain (not xz).
    pub plain_chunks: u64,
    /// The decoded size (sum of the chunks' sizes).
    pub size: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "pbzx",
    format: Format::Pbzx,
    sniff,
    open,
};

fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    let b = data.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

/// `pbzx` and a first chunk header.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"pbzx") && data.len() >= 12
}

/// One chunk: its header's offset, the stored bytes' range, its size.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    at: usize,
    body: usize,
    len: usize,
    size: u64,
}

/// The chunk at `at`, or the error that stops the walk.
fn chunk(data: &[u8], at: usize) -> Result<Chunk, Error> {
    let (Some(size), Some(len)) = (be_u64(data, at), be_u64(data, at + 8)) else {
        return Err(
            Error::truncated(format!("pbzx chunk header at offset {at} is cut short"))
                .at(at as u64),
        );
    };
    let body = at + 16;
    let len_ok = usize::try_from(len)
        .ok()
        .filter(|l| body.checked_add(*l).is_some_and(|e| e <= data.len()));
    let Some(len) = len_ok else {
        return Err(Error::truncated(format!(
            "pbzx chunk at offset {at} declares {len} stored bytes; {} remain",
            data.len().saturating_sub(body)
        ))
        .at(at as u64));
    };
    Ok(Chunk {
        at,
        body,
        len,
        size,
    })
}

/// Whether a chunk's stored bytes are an xz stream (else plain).
fn is_xz(data: &[u8], c: &Chunk) -> bool {
    data.get(c.body..)
        .is_some_and(|b| b.starts_with(crate::xz::MAGIC))
        && c.len as u64 != c.size
}

/// Open a pbzx stream: the chunk headers are walked, the chunks decoded as
/// the engine reads the one child.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = PbzxInfo {
        chunk_size: be_u64(data, 4).unwrap_or(0),
        ..PbzxInfo::default()
    };
    notes.evidence(Evidence::strong(
        "pbzx-header",
        "pbzx magic and chunk size",
        Some(0),
    ));
    let mut at = 12;
    let mut all_checked = true;
    let mut total: Option<u64> = Some(0);
    let mut damaged = false;
    while at < data.len() {
        match chunk(data, at) {
            Ok(c) => {
                info.chunks += 1;
                if is_xz(data, &c) {
                    // Every stream of the chunk with a check liblzma verifies.
                    let chunk = data.get(c.body..c.body + c.len).unwrap_or(&[]);
                    all_checked &= crate::xz::stream_checks(chunk).is_some_and(|v| {
                        !v.is_empty() && v.iter().all(|c| matches!(c, 1 | 4 | 10))
                    });
                } else {
                    info.plain_chunks += 1;
                    all_checked = false;
                    if c.len as u64 != c.size {
                        notes.error(
                            Error::malformed(format!(
                                "pbzx chunk at offset {}: neither an xz stream nor plain ({} bytes stored for {})",
                                c.at, c.len, c.size
                            ))
                            .at(c.at as u64),
                        );
                        damaged = true;
                    }
                }
                total = total.and_then(|t| t.checked_add(c.size));
                at = c.body + c.len;
            }
            Err(e) => {
                notes.error(e);
                damaged = true;
                break;
            }
        }
    }
    info.size = total.unwrap_or(0);
    let name = child_name(opts.name, &[(".pbzx", "")], "[pbzx content]");
    let memory = decoder_memory(None, opts.limits.max_entry_size);
    Opened::Container(Box::new(OneChild {
        data,
        from: 0,
        name,
        method: "pbzx",
        // A damaged walk decodes what it can; the size is then unknown.
        declared: total.filter(|_| !damaged),
        format: Format::Pbzx,
        make: decoder,
        limits: DecoderLimits { memory },
        check: (all_checked && info.chunks > 0).then_some(Check::XzCheck),
        metadata: Some(Metadata::Pbzx(Box::new(info))),
        given: false,
    }))
}

fn decoder<'a>(src: &'a [u8], l: &DecoderLimits) -> Result<Box<dyn Read + 'a>, Error> {
    Ok(Box::new(Chunks {
        data: src,
        at: 12,
        current: None,
        memory: l.memory,
    }))
}

/// The chunks decoded one after the other.
struct Chunks<'a> {
    data: &'a [u8],
    /// The next chunk header.
    at: usize,
    /// The chunk being read, and the bytes it still owes.
    current: Option<(Chunk, Box<dyn Read + 'a>, u64)>,
    memory: u64,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some((c, r, left)) = self.current.as_mut() {
                let n = r.read(buf).map_err(|e| {
                    io_at(
                        e.kind(),
                        c.at,
                        format!("pbzx chunk at offset {}: {e}", c.at),
                    )
                })?;
                if n == 0 {
                    if *left != 0 {
                        return Err(io_at(
                            io::ErrorKind::InvalidData,
                            c.at,
                            format!(
                                "pbzx chunk at offset {} decodes to {} bytes, its header states {}",
                                c.at,
                                c.size - *left,
                                c.size
                            ),
                        ));
                    }
                    self.current = None;
                    continue;
                }
                if n as u64 > *left {
                    return Err(io_at(
                        io::ErrorKind::InvalidData,
                        c.at,
                        format!("pbzx chunk at offset {} decodes to more than the {} bytes its header states", c.at, c.size),
                    ));
                }
                *left -= n as u64;
                return Ok(n);
            }
            if self.at >= self.data.len() {
                return Ok(0);
            }
            let c = chunk(self.data, self.at).map_err(|e| {
                io_at(
                    io::ErrorKind::UnexpectedEof,
                    self.at,
                    e.message().to_owned(),
                )
            })?;
            self.at = c.body + c.len;
            let stored = self.data.get(c.body..c.body + c.len).unwrap_or(&[]);
            let r: Box<dyn Read> = if is_xz(self.data, &c) {
                let s = liblzma::stream::Stream::new_stream_decoder(self.memory, 0)
                    .map_err(|e| io_at(io::ErrorKind::Other, c.at, format!("xz decoder: {e}")))?;
                Box::new(liblzma::read::XzDecoder::new_stream(stored, s))
            } else {
                Box::new(stored)
            };
            self.current = Some((c, r, c.size));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;

    #[test]
    fn listing_without_the_engine() {
        let data = sample("streams/newc.cpio.pbzx").expect("sample");
        assert!(sniff(&data));
        let l = list(open, &data, &Default::default(), 10);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let cpio = sample("streams/newc.cpio").expect("sample");
        assert!(matches!(&l.entries[0].2, Listed::Decoded(Ok(b)) if *b == cpio));
        assert_eq!(l.entries[0].1.verified_by, vec![Check::XzCheck]);
    }

    #[test]
    fn a_cut_chunk_is_an_error_with_its_offset() {
        let data = sample("streams/newc.cpio.pbzx").expect("sample");
        let l = list(open, &data[..data.len() - 3], &Default::default(), 10);
        assert_eq!(l.notes.errors[0].kind(), "truncated");
        assert_eq!(l.notes.errors[0].offset(), Some(12));
    }
}
