//! gzip streams (RFC 1952): a container of one child, the decoded bytes.
//!
//! A member is a 10-byte header (`1F 8B`, method 8 = deflate, flags,
//! mtime, extra flags, OS), the optional fields the flags name (`FEXTRA`
//! length-prefixed, `FNAME` and `FCOMMENT` NUL-terminated Latin-1,
//! `FHCRC` the low 16 bits of the header's CRC-32), raw deflate data, then
//! the trailer: CRC-32 and ISIZE (size mod 2^32) of the member's decoded
//! bytes. A stream may hold several members, decoded as one output (what
//! `gzip -d` writes); padding zeros after the last member are accepted, any
//! other trailing bytes are an error on the node (gzip warns and ignores
//! them).
//!
//! - The child is named by the first member's `FNAME`, else after the
//!   node (`x.tar.gz` → `x.tar`, `x.tgz` → `x.tar`).
//! - Every member's CRC-32 and ISIZE are checked against the bytes it
//!   decoded to: all matching is `verified_by: gzip-crc32`; a mismatch is a
//!   `checksum` error on the child, which keeps its bytes (decoding goes on
//!   past it, as `gzip -d` writes the bytes before it complains).
//! - A header's `FHCRC` is checked (a mismatch is a `checksum` error on the
//!   node); reserved flag bits, a method other than deflate, a header or
//!   deflate data cut short are errors naming their offset.
//! - Decoding streams through flate2 as the engine pulls; the engine's
//!   entry, total and ratio limits bound it (no size is declared: ISIZE
//!   is a size modulo 2^32 of the last member only).

use super::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use super::stream::{child_name, io_at};
use super::{le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::io::{self, Read};

/// Checksum errors kept per stream (the rest are counted).
const MAX_KEPT: usize = 8;
/// Longest `FNAME` / `FCOMMENT` kept (characters).
const MAX_TEXT: usize = 1024;

/// gzip facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GzipInfo {
    /// The first member's stored file name (`FNAME`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// The first member's comment (`FCOMMENT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The first member's modification time (Unix seconds; 0: none).
    pub mtime: u32,
    /// The first member's OS byte (3: Unix, 0: FAT, 11: NTFS, 255: unknown).
    pub os: u8,
    /// Members decoded whole (header, data and trailer read).
    pub members: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "gzip",
    format: Format::Gzip,
    sniff,
    open,
};

/// `1F 8B`, method 8 (deflate) and no reserved flag bit.
pub fn sniff(data: &[u8]) -> bool {
    data.len() >= 10
        && data.starts_with(&[0x1f, 0x8b, 8])
        && data.get(3).is_some_and(|f| f & 0xE0 == 0)
}

/// A member header as read.
struct Header {
    /// Offset of the deflate data.
    body: usize,
    name: Option<String>,
    comment: Option<String>,
    mtime: u32,
    os: u8,
    /// `FHCRC` stored and computed, when present.
    hcrc: Option<(u16, u16)>,
}

/// Latin-1 text (RFC 1952) at `at` up to its NUL: the text and the offset
/// after the NUL.
fn zstring(data: &[u8], at: usize, field: &str, member: usize) -> Result<(String, usize), Error> {
    let rest = data.get(at..).unwrap_or(&[]);
    let Some(n) = rest.iter().position(|&b| b == 0) else {
        return Err(Error::truncated(format!(
            "gzip member at offset {member}: its {field} (from offset {at}) has no terminating NUL before the data ends"
        ))
        .at(member as u64));
    };
    let text = rest
        .get(..n)
        .unwrap_or(&[])
        .iter()
        .take(MAX_TEXT)
        .map(|&b| char::from(b))
        .collect();
    Ok((text, at + n + 1))
}

/// Read the member header at `at`.
fn header(data: &[u8], at: usize) -> Result<Header, Error> {
    let cut = |what: &str| {
        Error::truncated(format!(
            "gzip member at offset {at}: the header is cut short ({what})"
        ))
        .at(at as u64)
    };
    let h = data
        .get(at..at.checked_add(10).ok_or_else(|| cut("fixed fields"))?)
        .ok_or_else(|| cut("fixed fields"))?;
    if h.get(..2) != Some(&[0x1f, 0x8b][..]) {
        return Err(
            Error::malformed(format!("gzip member at offset {at}: no 1F 8B magic")).at(at as u64),
        );
    }
    let (method, flags) = (
        h.get(2).copied().unwrap_or(0),
        h.get(3).copied().unwrap_or(0),
    );
    if method != 8 {
        return Err(Error::unsupported(format!(
            "gzip member at offset {at}: compression method {method} (only 8, deflate, is defined)"
        ))
        .at(at as u64));
    }
    if flags & 0xE0 != 0 {
        return Err(Error::malformed(format!(
            "gzip member at offset {at}: reserved flag bits set ({flags:#04x})"
        ))
        .at(at as u64));
    }
    let mtime = le_u32(h, 4).unwrap_or(0);
    let os = h.get(9).copied().unwrap_or(255);
    let mut p = at + 10;
    if flags & 0x04 != 0 {
        let xlen = usize::from(le_u16(data, p).ok_or_else(|| cut("FEXTRA length"))?);
        p = p + 2 + xlen;
        if p > data.len() {
            return Err(cut("FEXTRA field"));
        }
    }
    let mut name = None;
    let mut comment = None;
    if flags & 0x08 != 0 {
        let (t, next) = zstring(data, p, "FNAME", at)?;
        name = Some(t);
        p = next;
    }
    if flags & 0x10 != 0 {
        let (t, next) = zstring(data, p, "FCOMMENT", at)?;
        comment = Some(t);
        p = next;
    }
    let mut hcrc = None;
    if flags & 0x02 != 0 {
        let stored = le_u16(data, p).ok_or_else(|| cut("FHCRC"))?;
        let got = (crc32fast::hash(data.get(at..p).unwrap_or(&[])) & 0xFFFF) as u16;
        hcrc = Some((stored, got));
        p += 2;
    }
    Ok(Header {
        body: p,
        name,
        comment,
        mtime,
        os,
        hcrc,
    })
}

/// Open a gzip stream: the first member's header is read; the members are
/// decoded as the engine reads the one child.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = GzipInfo::default();
    let first = match header(data, 0) {
        Ok(h) => h,
        Err(e) => {
            notes.error(e);
            return Opened::Leaf(Parsed {
                format: Format::Gzip,
                metadata: Some(Metadata::Gzip(Box::new(info))),
            });
        }
    };
    notes.evidence(Evidence::strong(
        "gzip-header",
        "gzip member header (1F 8B, deflate)",
        Some(0),
    ));
    info.file_name = first.name.clone();
    info.comment = first.comment.clone();
    info.mtime = first.mtime;
    info.os = first.os;
    let name = match first
        .name
        .as_deref()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
    {
        Some(n) if !n.is_empty() && n != "." && n != ".." => n.to_owned(),
        _ => child_name(
            opts.name,
            &[
                (".tgz", ".tar"),
                (".taz", ".tar"),
                (".gz", ""),
                ("-gz", ""),
                ("_z", ""),
                (".z", ""),
            ],
            "[gzip content]",
        ),
    };
    Opened::Container(Box::new(Gzip {
        data,
        name,
        info,
        given: false,
        run: Run::default(),
    }))
}

/// What the decoder found, read by `entry_read`.
#[derive(Debug, Default)]
struct Run {
    /// Members whose trailer was read.
    members: u64,
    /// Members whose CRC-32 and ISIZE matched.
    matched: u64,
    /// Checksum mismatches (at most [`MAX_KEPT`]) and how many more.
    mismatches: Vec<Error>,
    more_mismatches: u64,
    /// Header CRC mismatches, trailing bytes: errors on the node.
    node_errors: Vec<Error>,
}

struct Gzip<'a> {
    data: &'a [u8],
    name: String,
    info: GzipInfo,
    given: bool,
    run: Run,
}

impl Container for Gzip<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        if self.given {
            return None;
        }
        self.given = true;
        self.run = Run::default();
        let reader = Members {
            data: self.data,
            at: 0,
            state: State::Header,
            z: flate2::Decompress::new(false),
            crc: crc32fast::Hasher::new(),
            size: 0,
            member: 0,
            run: &mut self.run,
        };
        // MTIME 0: "no time stamp is available" (RFC 1952).
        let mtime = (self.info.mtime != 0)
            .then(|| installsift_model::Timestamp::unix(i64::from(self.info.mtime)))
            .flatten();
        let mut info = EntryInfo::new(EntryKind::File).at(0).modified(mtime);
        info.method = Some("deflate".into());
        info.compressed_size = Some(self.data.len() as u64);
        Some(Entry {
            name: self.name.clone(),
            info,
            data: Data::Decode {
                reader: Box::new(reader),
                declared: None,
                stored: Some(self.data.len() as u64),
            },
        })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        notes: &mut Notes,
    ) {
        let run = std::mem::take(&mut self.run);
        self.info.members = run.members;
        for e in run.node_errors {
            notes.error(e);
        }
        let mismatched = !run.mismatches.is_empty();
        for e in run.mismatches {
            info.add_error(e);
        }
        if run.more_mismatches > 0 {
            info.add_error(Error::checksum(format!(
                "{} more gzip members fail their CRC-32 or ISIZE",
                run.more_mismatches
            )));
        }
        match read {
            Ok(_) if !mismatched && run.members > 0 && run.matched == run.members => {
                info.add_verified(Check::GzipCrc32);
            }
            Ok(_) => {}
            Err(e) => notes.error(crate::stream::undecoded(e)),
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
            format: Format::Gzip,
            metadata: Some(Metadata::Gzip(Box::new(self.info))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Body,
    Trailer,
    Done,
}

/// The members decoded one after the other, checking each trailer.
struct Members<'a, 's> {
    data: &'a [u8],
    /// Offset of the next byte to read.
    at: usize,
    state: State,
    z: flate2::Decompress,
    crc: crc32fast::Hasher,
    /// Bytes the current member decoded to.
    size: u64,
    /// Offset of the current member.
    member: usize,
    run: &'s mut Run,
}

impl Members<'_, '_> {
    /// The header at `self.at`; then the body.
    fn start_member(&mut self) -> io::Result<()> {
        let h = header(self.data, self.at).map_err(|e| {
            let kind = if e.kind() == "truncated" {
                io::ErrorKind::UnexpectedEof
            } else {
                io::ErrorKind::InvalidData
            };
            io_at(kind, self.at, e.message().to_owned())
        })?;
        if let Some((stored, got)) = h.hcrc {
            if stored != got {
                self.run.node_errors.push(
                    Error::checksum(format!(
                        "gzip member at offset {}: header CRC {stored:04x}, the header hashes to {got:04x}",
                        self.at
                    ))
                    .at(self.at as u64),
                );
            }
        }
        self.member = self.at;
        self.at = h.body;
        self.z.reset(false);
        self.crc = crc32fast::Hasher::new();
        self.size = 0;
        self.state = State::Body;
        Ok(())
    }

    /// The trailer at `self.at`, checked; then the next member, padding,
    /// or trailing bytes.
    fn end_member(&mut self) -> io::Result<()> {
        let (Some(crc), Some(isize)) = (le_u32(self.data, self.at), le_u32(self.data, self.at + 4))
        else {
            return Err(io_at(
                io::ErrorKind::UnexpectedEof,
                self.at,
                format!(
                    "gzip member at offset {}: the 8-byte trailer at offset {} is cut short",
                    self.member, self.at
                ),
            ));
        };
        let got = std::mem::replace(&mut self.crc, crc32fast::Hasher::new()).finalize();
        self.run.members += 1;
        if crc == got && isize == self.size as u32 {
            self.run.matched += 1;
        } else if self.run.mismatches.len() < MAX_KEPT {
            self.run.mismatches.push(
                Error::checksum(format!(
                    "gzip member at offset {}: trailer (offset {}) states CRC-32 {crc:08x} and size {isize}, the member decodes to CRC-32 {got:08x} and {} bytes",
                    self.member, self.at, self.size
                ))
                .at(self.at as u64),
            );
        } else {
            self.run.more_mismatches += 1;
        }
        self.at += 8;
        let rest = self.data.get(self.at..).unwrap_or(&[]);
        if rest.starts_with(&[0x1f, 0x8b]) {
            self.state = State::Header;
        } else {
            self.state = State::Done;
            if rest.iter().any(|&b| b != 0) {
                self.run.node_errors.push(
                    Error::malformed(format!(
                        "{} bytes after the last gzip member (offset {}) are no gzip member; ignored, as gzip does",
                        rest.len(),
                        self.at
                    ))
                    .at(self.at as u64),
                );
            }
        }
        Ok(())
    }
}

impl Read for Members<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header => self.start_member()?,
                State::Trailer => self.end_member()?,
                State::Body => {
                    let input = self.data.get(self.at..).unwrap_or(&[]);
                    let (in0, out0) = (self.z.total_in(), self.z.total_out());
                    let status = self
                        .z
                        .decompress(input, buf, flate2::FlushDecompress::None)
                        .map_err(|e| {
                            io_at(
                                io::ErrorKind::InvalidData,
                                self.member,
                                format!(
                                    "gzip member at offset {}: deflate data is corrupt ({e})",
                                    self.member
                                ),
                            )
                        })?;
                    let used = usize::try_from(self.z.total_in() - in0).unwrap_or(usize::MAX);
                    let made = usize::try_from(self.z.total_out() - out0)
                        .unwrap_or(0)
                        .min(buf.len());
                    self.at = self.at.saturating_add(used);
                    let out = buf.get(..made).unwrap_or(&[]);
                    self.crc.update(out);
                    self.size += made as u64;
                    if status == flate2::Status::StreamEnd {
                        self.state = State::Trailer;
                    } else if made == 0 && used == 0 {
                        return Err(io_at(
                            io::ErrorKind::UnexpectedEof,
                            self.member,
                            format!(
                                "gzip member at offset {}: deflate data ends early (at offset {})",
                                self.member, self.at
                            ),
                        ));
                    }
                    if made > 0 {
                        return Ok(made);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;

    fn gz(members: &[&[u8]]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Vec::new();
        for m in members {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(m).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    fn decoded(l: &crate::container::Listing) -> Vec<u8> {
        match &l.entries[0].2 {
            Listed::Decoded(Ok(b)) => b.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn listing_without_the_engine() {
        let data = sample("streams/hello.txt.gz").expect("sample");
        let l = list(open, &data, &Default::default(), 10);
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].0, "hello.txt");
        assert_eq!(l.entries[0].1.verified_by, vec![Check::GzipCrc32]);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let stopped = list(open, &data, &Default::default(), 0);
        assert!(stopped.entries.is_empty() && stopped.notes.errors.is_empty());
    }

    #[test]
    fn members_decode_as_one_and_each_is_checked() {
        let data = gz(&[b"first ", b"second"]);
        let l = list(open, &data, &Default::default(), 10);
        assert_eq!(decoded(&l), b"first second");
        assert_eq!(l.entries[0].1.verified_by, vec![Check::GzipCrc32]);
        match l.parsed.metadata {
            Some(Metadata::Gzip(g)) => assert_eq!(g.members, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_crc_mismatch_keeps_the_bytes_with_a_checksum_error() {
        let mut data = gz(&[b"first ", b"second"]);
        // The second member's CRC-32: 8 bytes before the end.
        let at = data.len() - 8;
        data[at] ^= 0xFF;
        let l = list(open, &data, &Default::default(), 10);
        assert_eq!(decoded(&l), b"first second");
        let info = &l.entries[0].1;
        assert!(info.verified_by.is_empty());
        assert_eq!(info.errors.len(), 1);
        assert_eq!(info.errors[0].kind(), "checksum");
        assert_eq!(info.errors[0].offset(), Some(at as u64));
    }

    #[test]
    fn truncation_and_trailing_garbage_are_errors() {
        let data = gz(&[b"some text that compresses somewhat, some text"]);
        let cut = &data[..data.len() - 4];
        let l = list(open, cut, &Default::default(), 10);
        match &l.entries[0].2 {
            Listed::Decoded(Err(e)) => assert!(e.to_string().contains("trailer"), "{e}"),
            other => panic!("{other:?}"),
        }
        let mut tail = data.clone();
        tail.extend_from_slice(b"junk");
        let l = list(open, &tail, &Default::default(), 10);
        assert_eq!(l.entries[0].1.verified_by, vec![Check::GzipCrc32]);
        assert_eq!(l.notes.errors.len(), 1, "{:?}", l.notes.errors);
        let mut zeros = data;
        zeros.extend_from_slice(&[0; 16]);
        let l = list(open, &zeros, &Default::default(), 10);
        assert!(l.notes.errors.is_empty());
    }

    #[test]
    fn reserved_flags_are_no_gzip() {
        let mut data = gz(&[b"x"]);
        assert!(sniff(&data));
        data[3] = 0x20;
        assert!(!sniff(&data));
    }
}
