//! cpio archives in the three ASCII formats: odc (`070707`, POSIX.1
//! portable, what macOS `.pkg` Payloads use), newc (`070701`, SVR4, what
//! Linux initramfs and RPM use) and crc (`070702`, newc with a checksum).
//!
//! - odc: a 76-byte header of octal fields (dev, ino, mode, uid, gid,
//!   nlink, rdev, 11-digit mtime, name size, 11-digit file size), the
//!   NUL-terminated name, the data; no padding.
//! - newc/crc: a 110-byte header of 8-digit hex fields (ino, mode, uid, gid,
//!   nlink, mtime, file size, dev major/minor, rdev major/minor, name size,
//!   check), the name padded so header and name fill a multiple of 4
//!   bytes, the data padded to 4.
//! - The archive ends with the entry named `TRAILER!!!`; data after it (the
//!   writer's block padding) is not read. An archive that ends without it
//!   is a `truncated` error.
//!
//! Regular files are children whose bytes are a slice of the input; a crc
//! entry's check (the 32-bit sum of its data bytes) is verified: a match
//! is `verified_by: cpio-crc`, a mismatch a `checksum` error on the child,
//! which keeps its bytes. Directories, symbolic links, devices and FIFOs are
//! counted in the metadata; so are newc hard links that carry no data (the
//! last link of the set carries it). The binary (`0x71C7`) format is not
//! read.

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;

/// Longest name kept (bytes; longer ones are cut and counted).
pub const MAX_NAME: usize = 4096;

/// cpio facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CpioInfo {
    /// `odc`, `newc` or `crc`.
    pub variant: &'static str,
    /// Regular files.
    pub files: u64,
    /// Directories.
    pub directories: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Hard links without data of their own (newc).
    pub hardlinks: u64,
    /// Devices, FIFOs, sockets.
    pub special: u64,
    /// Entries whose crc check matched.
    pub crc_verified: u64,
    /// The `TRAILER!!!` entry was met.
    pub trailer: bool,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "cpio",
    format: Format::Cpio,
    sniff,
    open,
};

/// Which ASCII format a header magic names.
fn variant(magic: &[u8]) -> Option<&'static str> {
    match magic {
        b"070707" => Some("odc"),
        b"070701" => Some("newc"),
        b"070702" => Some("crc"),
        _ => None,
    }
}

/// An ASCII cpio magic whose first header's fields are all digits of
/// their base.
pub fn sniff(data: &[u8]) -> bool {
    match data.get(..6).and_then(variant) {
        Some("odc") => data
            .get(6..76)
            .is_some_and(|f| f.iter().all(|b| (b'0'..=b'7').contains(b))),
        Some(_) => data
            .get(6..110)
            .is_some_and(|f| f.iter().all(u8::is_ascii_hexdigit)),
        None => false,
    }
}

/// Open a cpio archive: headers are read as the engine pulls entries.
pub fn open<'a>(data: &'a [u8], _opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let v = data.get(..6).and_then(variant).unwrap_or("odc");
    notes.evidence(Evidence::strong(
        "cpio-header",
        format!("cpio header with the {v} magic"),
        Some(0),
    ));
    Opened::Container(Box::new(Walk {
        data,
        at: 0,
        done: false,
        info: CpioInfo {
            variant: v,
            ..CpioInfo::default()
        },
    }))
}

struct Walk<'a> {
    data: &'a [u8],
    at: usize,
    done: bool,
    info: CpioInfo,
}

/// One header's fields.
struct Head {
    mode: u64,
    nlink: u64,
    size: u64,
    name_size: u64,
    /// Modification time, seconds since 1970 (UTC), when the field reads.
    mtime: Option<u64>,
    check: Option<u32>,
    /// Offset of the name.
    name_at: usize,
    /// The header's length and the padding unit (1 for odc, 4 for newc).
    align: usize,
}

fn field(data: &[u8], at: usize, len: usize, radix: u32) -> Option<u64> {
    let s = std::str::from_utf8(data.get(at..at.checked_add(len)?)?).ok()?;
    u64::from_str_radix(s, radix).ok()
}

fn round(n: usize, to: usize) -> Option<usize> {
    n.checked_add(to - 1).map(|v| v / to * to)
}

impl Walk<'_> {
    fn head(&self, at: usize) -> Result<Head, Error> {
        let data = self.data;
        let magic = data.get(at..at + 6);
        let Some(v) = magic.and_then(variant) else {
            return Err(if data.len() < at + 6 {
                Error::truncated(format!("cpio header at offset {at} is cut short"))
            } else {
                Error::malformed(format!("no cpio header magic at offset {at}"))
            }
            .at(at as u64));
        };
        let bad = |what: &str| {
            if data.len() < at + if v == "odc" { 76 } else { 110 } {
                Error::truncated(format!("cpio header at offset {at} is cut short"))
            } else {
                Error::malformed(format!(
                    "cpio header at offset {at}: {what} is not a number"
                ))
            }
            .at(at as u64)
        };
        if v == "odc" {
            Ok(Head {
                mode: field(data, at + 18, 6, 8).ok_or_else(|| bad("mode"))?,
                nlink: field(data, at + 36, 6, 8).ok_or_else(|| bad("nlink"))?,
                name_size: field(data, at + 59, 6, 8).ok_or_else(|| bad("namesize"))?,
                size: field(data, at + 65, 11, 8).ok_or_else(|| bad("filesize"))?,
                mtime: field(data, at + 48, 11, 8),
                check: None,
                name_at: at + 76,
                align: 1,
            })
        } else {
            let h =
                |i: usize, what: &str| field(data, at + 6 + 8 * i, 8, 16).ok_or_else(|| bad(what));
            Ok(Head {
                mode: h(1, "mode")?,
                nlink: h(4, "nlink")?,
                size: h(6, "filesize")?,
                name_size: h(11, "namesize")?,
                mtime: field(data, at + 6 + 8 * 5, 8, 16),
                check: if v == "crc" {
                    Some(h(12, "check")? as u32)
                } else {
                    None
                },
                name_at: at + 110,
                align: 4,
            })
        }
    }

    /// The next header: an entry to hand out (name, info, data range or
    /// error), or none (counted, or the end).
    #[allow(clippy::type_complexity)]
    fn step(
        &mut self,
        notes: &mut Notes,
    ) -> Option<(String, EntryInfo, Result<(usize, usize), Error>)> {
        let at = self.at;
        if at >= self.data.len() {
            self.done = true;
            notes.error(
                Error::truncated(format!(
                    "cpio archive ends at offset {at} without its TRAILER!!! entry; it may have been cut short"
                ))
                .at(at as u64),
            );
            return None;
        }
        let h = match self.head(at) {
            Ok(h) => h,
            Err(e) => {
                self.done = true;
                notes.error(e);
                return None;
            }
        };
        let name_end = usize::try_from(h.name_size)
            .ok()
            .and_then(|n| h.name_at.checked_add(n));
        let Some(raw) = name_end.and_then(|e| self.data.get(h.name_at..e)) else {
            self.done = true;
            notes.error(
                Error::truncated(format!(
                    "cpio entry at offset {at}: its {}-byte name runs past the end",
                    h.name_size
                ))
                .at(at as u64),
            );
            return None;
        };
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        let raw = raw.get(..raw.len().min(MAX_NAME)).unwrap_or(raw);
        let name = crate::stream::member_path(String::from_utf8_lossy(raw).into_owned());
        let body = name_end
            .and_then(|e| round(e, h.align))
            .unwrap_or(usize::MAX);
        let end = usize::try_from(h.size)
            .ok()
            .and_then(|s| body.checked_add(s));
        let next = end.and_then(|e| round(e, h.align));
        if name == "TRAILER!!!" {
            self.done = true;
            self.info.trailer = true;
            return None;
        }
        match next {
            Some(n) => self.at = n,
            None => self.done = true,
        }
        let mut info = EntryInfo::new(EntryKind::File).at(at as u64).modified(
            h.mtime
                .and_then(|t| i64::try_from(t).ok())
                .and_then(installsift_model::Timestamp::unix),
        );
        info.compressed_size = Some(h.size);
        match h.mode & 0o170000 {
            0o100000 | 0 => {}
            0o040000 => {
                self.info.directories += 1;
                return None;
            }
            0o120000 => {
                self.info.symlinks += 1;
                return None;
            }
            _ => {
                self.info.special += 1;
                return None;
            }
        }
        if h.align == 4 && h.nlink > 1 && h.size == 0 {
            self.info.hardlinks += 1;
            return None;
        }
        self.info.files += 1;
        let Some(bytes) = end.and_then(|e| self.data.get(body..e)) else {
            self.done = true;
            let e = Error::truncated(format!(
                "cpio entry `{name}` (header at offset {at}) declares {} bytes of data; the archive ends first",
                h.size
            ))
            .at(at as u64);
            // The archive is cut: what followed is lost (the node's error).
            notes.error(e.clone());
            return Some((name, info, Err(e)));
        };
        if let Some(want) = h.check {
            let got = bytes
                .iter()
                .fold(0u32, |s, &b| s.wrapping_add(u32::from(b)));
            if got == want {
                self.info.crc_verified += 1;
                info.add_verified(Check::CpioCrc);
            } else {
                info.add_error(
                    Error::checksum(format!(
                        "cpio entry `{name}` (header at offset {at}): check {want:08x}, the data sums to {got:08x}"
                    ))
                    .at(at as u64),
                );
            }
        }
        Some((name, info, Ok((body, bytes.len()))))
    }
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        while !self.done {
            if let Some((name, info, data)) = self.step(notes) {
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
        None
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Cpio,
            metadata: Some(Metadata::Cpio(Box::new(self.info))),
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
        for (f, v) in [
            ("streams/odc.cpio", "odc"),
            ("streams/newc.cpio", "newc"),
            ("streams/crc.cpio", "crc"),
        ] {
            let data = sample(f).expect("sample");
            assert!(sniff(&data), "{f}");
            let l = list(open, &data, &Default::default(), 100);
            assert!(l.notes.errors.is_empty(), "{f}: {:?}", l.notes.errors);
            assert!(!l.entries.is_empty());
            for (n, info, d) in &l.entries {
                assert!(matches!(d, Listed::Slice { .. }), "{f} {n}");
                let want: &[Check] = if v == "crc" { &[Check::CpioCrc] } else { &[] };
                assert_eq!(info.verified_by, want, "{f} {n}");
            }
            match &l.parsed.metadata {
                Some(Metadata::Cpio(c)) => {
                    assert_eq!(c.variant, v);
                    assert!(c.trailer);
                }
                other => panic!("{other:?}"),
            }
            let stopped = list(open, &data, &Default::default(), 1);
            assert!(stopped.notes.errors.is_empty(), "{f}");
        }
    }

    #[test]
    fn a_crc_mismatch_keeps_the_bytes() {
        let mut data = sample("streams/crc.cpio").expect("sample");
        let good = list(open, &data, &Default::default(), 100);
        let Listed::Slice { at, .. } = good.entries[0].2 else {
            panic!()
        };
        data[at] ^= 0x01;
        let l = list(open, &data, &Default::default(), 100);
        let info = &l.entries[0].1;
        assert!(info.verified_by.is_empty());
        assert_eq!(info.errors[0].kind(), "checksum");
        assert!(matches!(l.entries[0].2, Listed::Slice { .. }));
    }

    #[test]
    fn truncation_is_an_error() {
        let data = sample("streams/odc.cpio").expect("sample");
        let l = list(open, &data[..100], &Default::default(), 100);
        assert!(
            l.notes.errors.iter().any(|e| e.kind() == "truncated")
                || l.entries.iter().any(
                    |e| matches!(&e.2, Listed::Missing { error, .. } if error.kind() == "truncated")
                ),
            "{:?} {:?}",
            l.notes.errors,
            l.entries
        );
    }
}
