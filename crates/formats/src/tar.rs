//! tar archives: POSIX ustar, pax (extended headers) and GNU (long names
//! and links) as GNU tar, bsdtar and Python's tarfile write them.
//!
//! Layout: 512-byte headers (name, mode, uid, gid, size, mtime, checksum,
//! type, link name, `ustar` magic, owner names, device numbers, ustar's
//! 155-byte name prefix), each followed by its data rounded up to 512
//! bytes; two zero blocks end the archive. Sizes are octal, or GNU's
//! base-256 when the first byte's high bit is set.
//!
//! - Every header's checksum (the sum of its bytes with the checksum field
//!   as spaces; the signed sum of old tars is accepted too) is verified: a
//!   match is `verified_by: tar-header-checksum` on the entry it describes
//!   (which covers the header, not the content: tar carries no content
//!   checksum), a mismatch a `checksum` error on that entry, which keeps its
//!   bytes; the walk goes on with the size the header gives.
//! - pax extended headers (`x`) override the next entry's `path`,
//!   `linkpath` and `size`; global headers (`g`) every later entry's.
//!   GNU `././@LongLink` records (`L` name, `K` link) name the next entry.
//! - Regular files (types `0`, NUL, `7`) are children whose bytes are a
//!   slice of the input. Directories, symbolic and hard links, devices and
//!   FIFOs are counted in the metadata. GNU sparse files (type `S`, or pax
//!   `GNU.sparse.*`) and multi-volume continuations (`M`) are reported
//!   missing with an `unsupported` error.
//! - A header or data cut short is a `truncated` error naming its offset;
//!   so is an archive that ends without its zero blocks. Names are cut at
//!   [`MAX_NAME`] bytes.

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;

/// Block size.
const BLOCK: usize = 512;
/// Longest name kept (bytes; longer ones are cut and counted).
pub const MAX_NAME: usize = 4096;

/// tar facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TarInfo {
    /// `ustar` (POSIX), `gnu` (`ustar  ` magic) or `pax` (ustar with
    /// extended headers).
    pub variant: &'static str,
    /// Regular files.
    pub files: u64,
    /// Directories.
    pub directories: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Hard links.
    pub hardlinks: u64,
    /// Devices, FIFOs and other special entries.
    pub special: u64,
    /// pax extended headers read (`x` and `g`).
    pub pax_headers: u64,
    /// GNU long name or long link records read.
    pub gnu_long_names: u64,
    /// GNU sparse files (listed, not extracted).
    pub sparse: u64,
    /// Headers whose checksum matched.
    pub headers_verified: u64,
    /// Names cut at [`MAX_NAME`] bytes.
    #[serde(skip_serializing_if = "is_zero")]
    pub names_cut: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "tar",
    format: Format::Tar,
    sniff,
    open,
};

/// A first header with the full 8-byte magic and version (POSIX
/// `ustar\0` `00`, GNU `ustar  \0`), or with `ustar` and a checksum that
/// matches (other writers' versions). A damaged checksum under a full
/// magic is still a tar, reported with a `checksum` error.
pub fn sniff(data: &[u8]) -> bool {
    let Some(h) = data.get(..BLOCK) else {
        return false;
    };
    matches!(h.get(257..265), Some(b"ustar\x0000") | Some(b"ustar  \0"))
        || (h.get(257..262) == Some(b"ustar") && checksum_ok(h) == Some(true))
}

/// Whether the header's stored checksum equals its sum (unsigned, or the
/// signed sum of old writers); `None` when the field is not a number.
fn checksum_ok(h: &[u8]) -> Option<bool> {
    let stored = octal(h.get(148..156)?)?;
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in h.iter().enumerate().take(BLOCK) {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    Some(stored == unsigned || i64::try_from(stored).ok() == Some(signed))
}

/// An octal field (spaces and NULs around it allowed); `None` when it
/// holds anything else.
fn octal(f: &[u8]) -> Option<u64> {
    let s: Vec<u8> = f
        .iter()
        .copied()
        .skip_while(|&b| b == b' ' || b == 0)
        .take_while(|&b| b != b' ' && b != 0)
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// A numeric field: octal, or GNU base-256 (first byte's high bit set;
/// negative values refused).
fn number(f: &[u8]) -> Option<u64> {
    match f.first() {
        Some(&b) if b & 0x80 != 0 => {
            if b & 0x40 != 0 {
                return None;
            }
            let mut v = u64::from(b & 0x3F);
            for &b in f.get(1..)? {
                v = v.checked_mul(256)?.checked_add(u64::from(b))?;
            }
            Some(v)
        }
        _ => octal(f),
    }
}

/// A NUL-terminated text field.
fn text(f: &[u8]) -> &[u8] {
    let n = f.iter().position(|&b| b == 0).unwrap_or(f.len());
    f.get(..n).unwrap_or(&[])
}

/// Open a tar archive: headers are read as the engine pulls entries.
pub fn open<'a>(data: &'a [u8], _opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let gnu = data.get(257..265) == Some(b"ustar  \0");
    notes.evidence(Evidence::strong(
        "tar-header",
        if gnu {
            "tar header with the GNU `ustar  ` magic"
        } else {
            "tar header with the POSIX `ustar` magic"
        },
        Some(0),
    ));
    Opened::Container(Box::new(Walk {
        data,
        at: 0,
        done: false,
        global: Overrides::default(),
        info: TarInfo {
            variant: if gnu { "gnu" } else { "ustar" },
            ..TarInfo::default()
        },
    }))
}

/// Values an extended header (pax, GNU long name) gives the next entry.
#[derive(Debug, Default, Clone)]
struct Overrides {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
    sparse: bool,
    /// An extended header's own checksum failed (said on the entry).
    bad: Vec<Error>,
}

struct Walk<'a> {
    data: &'a [u8],
    /// Offset of the next header.
    at: usize,
    done: bool,
    global: Overrides,
    info: TarInfo,
}

/// One step of the walk: an entry to hand out, or go on.
// Made and consumed at once, one per header: boxing buys nothing.
#[allow(clippy::large_enum_variant)]
enum Step {
    Entry {
        name: String,
        info: EntryInfo,
        data: Result<(usize, usize), Error>,
    },
    Next,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let mut local = Overrides::default();
        while !self.done {
            match self.step(&mut local, notes) {
                Step::Next => continue,
                Step::Entry { name, info, data } => {
                    let data = match data {
                        Ok((at, len)) => Data::Slice(self.data.get(at..at + len).unwrap_or(&[])),
                        Err(error) => Data::Missing {
                            size: info.compressed_size.unwrap_or(0),
                            error,
                        },
                    };
                    return Some(Entry { name, info, data });
                }
            }
        }
        None
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Tar,
            metadata: Some(Metadata::Tar(Box::new(self.info))),
        }
    }
}

impl Walk<'_> {
    fn step(&mut self, local: &mut Overrides, notes: &mut Notes) -> Step {
        let at = self.at;
        let data = self.data;
        if at >= data.len() {
            self.done = true;
            notes.error(
                Error::truncated(format!(
                    "tar archive ends at offset {at} without its end-of-archive zero blocks; it may have been cut short"
                ))
                .at(at as u64),
            );
            return Step::Next;
        }
        let Some(h) = data.get(at..at + BLOCK) else {
            self.done = true;
            notes.error(
                Error::truncated(format!(
                    "tar header at offset {at} is cut short: {} bytes remain of 512",
                    data.len() - at
                ))
                .at(at as u64),
            );
            return Step::Next;
        };
        if h.iter().all(|&b| b == 0) {
            // End of archive (one zero block suffices to stop, as GNU tar).
            self.done = true;
            return Step::Next;
        }
        let sum = checksum_ok(h);
        let kind = h.get(156).copied().unwrap_or(0);
        let Some(size) = h.get(124..136).and_then(number) else {
            self.done = true;
            notes.error(
                Error::malformed(format!(
                    "tar header at offset {at}: the size field is not a number"
                ))
                .at(at as u64),
            );
            return Step::Next;
        };
        let sum_error = match sum {
            Some(true) => None,
            _ => Some(
                Error::checksum(format!(
                    "tar header at offset {at}: the stored header checksum does not match the header's bytes"
                ))
                .at(at as u64),
            ),
        };
        if sum_error.is_none() {
            self.info.headers_verified += 1;
        }
        // Extension headers describe the next entry; their size is their
        // own data's (a pax size override applies to the entry after).
        let body = at + BLOCK;
        let padded = size
            .checked_add(BLOCK as u64 - 1)
            .map(|s| s / BLOCK as u64 * BLOCK as u64)
            .and_then(|s| usize::try_from(s).ok())
            .and_then(|s| body.checked_add(s));
        let ext_size = if matches!(kind, b'x' | b'g' | b'L' | b'K') {
            Some(size)
        } else {
            None
        };
        let size = if ext_size.is_none() {
            local.size.or(self.global.size).unwrap_or(size)
        } else {
            size
        };
        let next = if ext_size.is_some() {
            padded
        } else {
            size.checked_add(BLOCK as u64 - 1)
                .map(|s| s / BLOCK as u64 * BLOCK as u64)
                .and_then(|s| usize::try_from(s).ok())
                .and_then(|s| body.checked_add(s))
        };
        let Some(next) = next else {
            self.done = true;
            notes.error(
                Error::malformed(format!(
                    "tar header at offset {at}: size {size} is out of range"
                ))
                .at(at as u64),
            );
            return Step::Next;
        };
        self.at = next;
        let content = usize::try_from(size).ok().and_then(|s| {
            Some((body, s)).filter(|_| body.checked_add(s).is_some_and(|e| e <= data.len()))
        });
        if let Some(e) = sum_error.clone() {
            if ext_size.is_some() {
                local.bad.push(e);
            }
        }
        match kind {
            b'x' | b'g' => {
                self.info.pax_headers += 1;
                if self.info.variant == "ustar" {
                    self.info.variant = "pax";
                }
                let Some((b, n)) = content else {
                    self.done = true;
                    notes.error(cut_data("pax extended header", at, size, data.len()));
                    return Step::Next;
                };
                let target = if kind == b'x' {
                    &mut *local
                } else {
                    &mut self.global
                };
                pax(data.get(b..b + n).unwrap_or(&[]), target, at, notes);
                Step::Next
            }
            b'L' | b'K' => {
                self.info.gnu_long_names += 1;
                let Some((b, n)) = content else {
                    self.done = true;
                    notes.error(cut_data("GNU long name record", at, size, data.len()));
                    return Step::Next;
                };
                let value = text(data.get(b..b + n).unwrap_or(&[])).to_vec();
                if kind == b'L' {
                    local.path = Some(value);
                } else {
                    local.linkpath = Some(value);
                }
                Step::Next
            }
            _ => {
                let over = std::mem::take(local);
                self.entry(h, at, kind, size, content, over, sum_error, notes)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn entry(
        &mut self,
        h: &[u8],
        at: usize,
        kind: u8,
        size: u64,
        content: Option<(usize, usize)>,
        over: Overrides,
        sum_error: Option<Error>,
        notes: &mut Notes,
    ) -> Step {
        let posix = h.get(257..263) == Some(b"ustar\0");
        let raw: Vec<u8> = match over.path.clone().or_else(|| self.global.path.clone()) {
            Some(p) => p,
            None => {
                let name = text(h.get(..100).unwrap_or(&[]));
                let prefix = if posix {
                    text(h.get(345..500).unwrap_or(&[]))
                } else {
                    &[]
                };
                if prefix.is_empty() {
                    name.to_vec()
                } else {
                    [prefix, b"/", name].concat()
                }
            }
        };
        let mut name = crate::stream::member_path(String::from_utf8_lossy(&raw).into_owned());
        if name.len() > MAX_NAME {
            let mut end = MAX_NAME;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
            self.info.names_cut += 1;
        }
        let mtime = h
            .get(136..148)
            .and_then(number)
            .and_then(|t| i64::try_from(t).ok())
            .and_then(installsift_model::Timestamp::unix);
        let mut info = EntryInfo::new(EntryKind::File)
            .at(at as u64)
            .modified(mtime);
        info.compressed_size = Some(size);
        let mut errors = over.bad;
        match sum_error {
            Some(e) => errors.push(e),
            None if errors.is_empty() => info.add_verified(Check::TarHeaderChecksum),
            None => {}
        }
        let sparse = kind == b'S' || over.sparse || self.global.sparse;
        // Entries that are no child: counted; a bad header of theirs is
        // the node's error (nothing else would carry it).
        let counted = match kind {
            b'0' | 0 | b'7' | b'S' | b'M' => None,
            b'5' | b'D' => Some(&mut self.info.directories),
            b'2' => Some(&mut self.info.symlinks),
            b'1' => Some(&mut self.info.hardlinks),
            b'3' | b'4' | b'6' | b'V' => Some(&mut self.info.special),
            // Unknown types are regular files (POSIX).
            _ => None,
        };
        let dir_like = name.ends_with('/') && matches!(kind, b'0' | 0) && size == 0;
        let counted = match counted {
            Some(c) => Some(c),
            None if dir_like => Some(&mut self.info.directories),
            None => None,
        };
        if let Some(c) = counted {
            *c += 1;
            for e in errors {
                notes.error(e);
            }
            return Step::Next;
        }
        if kind == b'M' {
            let e = Error::unsupported(format!(
                "tar entry `{name}` (header at offset {at}) continues a file from another volume"
            ))
            .at(at as u64);
            return self.missing(name, info, errors, e);
        }
        self.info.files += 1;
        if sparse {
            self.info.sparse += 1;
            let e = Error::unsupported(format!(
                "tar entry `{name}` (header at offset {at}) is a GNU sparse file; its holes are not rebuilt"
            ))
            .at(at as u64);
            return self.missing(name, info, errors, e);
        }
        let Some((b, n)) = content else {
            self.done = true;
            let e = cut_data(&format!("tar entry `{name}`"), at, size, self.data.len());
            // The archive is cut: what followed is lost (the node's error).
            notes.error(e.clone());
            return self.missing(name, info, errors, e);
        };
        info.errors = errors;
        Step::Entry {
            name,
            info,
            data: Ok((b, n)),
        }
    }

    fn missing(&mut self, name: String, mut info: EntryInfo, errors: Vec<Error>, e: Error) -> Step {
        info.errors = errors;
        Step::Entry {
            name,
            info,
            data: Err(e),
        }
    }
}

/// The error for data that runs past the end of the archive.
fn cut_data(what: &str, at: usize, size: u64, len: usize) -> Error {
    Error::truncated(format!(
        "{what} (header at offset {at}) declares {size} bytes of data; {} remain",
        len.saturating_sub(at + BLOCK)
    ))
    .at(at as u64)
}

/// Read pax records (`LEN key=value\n`) into `o`; a malformed record is
/// noted and ends the header.
fn pax(mut rec: &[u8], o: &mut Overrides, at: usize, notes: &mut Notes) {
    while !rec.is_empty() && rec.first() != Some(&0) {
        let Some(sp) = rec.iter().position(|&b| b == b' ') else {
            break;
        };
        let len = std::str::from_utf8(rec.get(..sp).unwrap_or(&[]))
            .ok()
            .and_then(|s| s.parse::<usize>().ok());
        let Some(one) = len
            .filter(|&l| l > sp + 1 && l <= rec.len())
            .and_then(|l| rec.get(sp + 1..l))
        else {
            notes.error(
                Error::malformed(format!(
                    "pax extended header at offset {at}: a record's length is not valid"
                ))
                .at(at as u64),
            );
            return;
        };
        let one = one.strip_suffix(b"\n").unwrap_or(one);
        if let Some(eq) = one.iter().position(|&b| b == b'=') {
            let (k, v) = (
                one.get(..eq).unwrap_or(&[]),
                one.get(eq + 1..).unwrap_or(&[]),
            );
            match k {
                b"path" => o.path = Some(v.to_vec()),
                b"linkpath" => o.linkpath = Some(v.to_vec()),
                b"size" => match std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()) {
                    Some(s) => o.size = Some(s),
                    None => notes.error(
                        Error::malformed(format!(
                            "pax extended header at offset {at}: size is not a number"
                        ))
                        .at(at as u64),
                    ),
                },
                k if k.starts_with(b"GNU.sparse.") => o.sparse = true,
                _ => {}
            }
        }
        let used = len.unwrap_or(rec.len());
        rec = rec.get(used..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;

    fn names(l: &crate::container::Listing) -> Vec<&str> {
        l.entries.iter().map(|e| e.0.as_str()).collect()
    }

    #[test]
    fn listing_without_the_engine() {
        for (f, variant) in [
            ("streams/ustar.tar", "ustar"),
            ("streams/pax.tar", "pax"),
            ("streams/gnu.tar", "gnu"),
        ] {
            let data = sample(f).expect("sample");
            assert!(sniff(&data), "{f}");
            let l = list(open, &data, &Default::default(), 100);
            assert!(l.notes.errors.is_empty(), "{f}: {:?}", l.notes.errors);
            assert!(!l.entries.is_empty(), "{f}");
            for (n, info, d) in &l.entries {
                assert_eq!(info.verified_by, vec![Check::TarHeaderChecksum], "{f} {n}");
                assert!(matches!(d, Listed::Slice { .. }), "{f} {n}");
            }
            match &l.parsed.metadata {
                Some(Metadata::Tar(t)) => assert_eq!(t.variant, variant, "{f}"),
                other => panic!("{other:?}"),
            }
            let stopped = list(open, &data, &Default::default(), 1);
            assert_eq!(stopped.entries.len(), 1);
            assert!(stopped.notes.errors.is_empty(), "{f}");
        }
        let gnu = sample("streams/gnu.tar").expect("sample");
        let l = list(open, &gnu, &Default::default(), 100);
        assert!(names(&l).iter().any(|n| n.len() > 100), "{:?}", names(&l));
    }

    #[test]
    fn a_bad_header_checksum_keeps_the_entry_with_an_error() {
        let mut data = sample("streams/ustar.tar").expect("sample");
        let good = list(open, &data, &Default::default(), 100);
        let at = good.entries[0].1.offset.unwrap() as usize;
        // The first file's header, mtime field: covered by the checksum only.
        data[at + 140] ^= 0x01;
        let l = list(open, &data, &Default::default(), 100);
        assert_eq!(names(&l), names(&good));
        let first = &l.entries[0].1;
        assert!(first.verified_by.is_empty());
        assert_eq!(first.errors[0].kind(), "checksum");
        assert_eq!(first.errors[0].offset(), Some(at as u64));
        // A directory's header (the first, `./`): the error is the node's.
        let mut dir = sample("streams/ustar.tar").expect("sample");
        dir[140] ^= 0x01;
        let l = list(open, &dir, &Default::default(), 100);
        assert_eq!(names(&l), names(&good));
        assert_eq!(l.notes.errors[0].kind(), "checksum");
        assert_eq!(l.notes.errors[0].offset(), Some(0));
    }

    #[test]
    fn truncations_are_errors_with_offsets() {
        let data = sample("streams/ustar.tar").expect("sample");
        let good = list(open, &data, &Default::default(), 100);
        let (i, at) = good
            .entries
            .iter()
            .enumerate()
            .find_map(|(i, e)| match e.2 {
                Listed::Slice { at, len } if len > 100 => Some((i, at)),
                _ => None,
            })
            .unwrap();
        // Cut inside a file's data.
        let l = list(open, &data[..at + 50], &Default::default(), 100);
        assert!(
            matches!(&l.entries[i].2, Listed::Missing { error, .. } if error.kind() == "truncated")
        );
        // Cut at a header boundary: no end blocks.
        let l = list(open, &data[..at - 512], &Default::default(), 100);
        assert!(
            l.notes.errors.iter().any(|e| e.kind() == "truncated"),
            "{:?}",
            l.notes.errors
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(octal(b"0000644 \0"), Some(0o644));
        assert_eq!(octal(b"12x"), None);
        assert_eq!(number(&[0x80, 0, 0, 1, 0]), Some(256));
        assert_eq!(number(&[0xFF, 0xFF]), None);
    }
}
