//! ARJ archives (ARJ 2.x/3.x, ARJ32): the main header and each file header
//! read and their CRC-32s checked; stored files unpacked, methods 1–3
//! (LZ77 + Huffman) and 4 (LZ77, fastest) decoded by our own decoders
//! ([`lzh`]); an ARJ after an executable stub (`arj -je` self-extractors)
//! is found by the PE overlay search and by carving.
//!
//! - A header is `60 EA`, the basic header's size (at most 2,600; 0 ends
//!   the archive), the basic header, its CRC-32, then extended headers
//!   (size, bytes, CRC-32) until a size of 0. Every header CRC is checked:
//!   a mismatch is a `checksum` error on the archive naming the header's
//!   offset, and the walk goes on with the sizes it states.
//! - Each file's CRC-32 is checked against its bytes: a match is
//!   `verified_by: arj-crc32`, a mismatch a `checksum` error on the child,
//!   which keeps its bytes.
//! - Garbled (password) files are `encrypted`; a file continued from or
//!   into another volume, or a method above 4, `unsupported`; data running
//!   past the end `truncated`. Directories, volume and chapter labels are
//!   counted, not reported as children.

mod lzh;

use super::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use super::{le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;

/// The header magic.
pub const MAGIC: &[u8] = b"\x60\xEA";
/// The largest basic header ARJ writes.
const MAX_BASIC: usize = 2600;
/// The fixed part of a main or file header.
const FIXED: usize = 30;

/// ARJ facts.
#[derive(Debug, Clone, Serialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArjInfo {
    /// The archive's name as its main header records it.
    pub archive_name: String,
    /// The archive comment, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The archiver version that wrote it.
    pub archiver_version: u8,
    /// The host OS code (0 MS-DOS, 2 Unix, 10 Windows 95, 11 Windows 32 …).
    pub host_os: u8,
    /// File entries listed (directories excluded).
    pub entries: u64,
    /// Directory entries.
    pub directories: u64,
    /// Files stored (method 0).
    pub stored_entries: u64,
    /// Garbled (password-protected) files.
    pub encrypted_entries: u64,
    /// Methods used by file entries (`stored`, `method-1` …), in order met.
    pub methods: Vec<String>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "arj",
    format: Format::Arj,
    sniff,
    open,
};

/// One header: its basic header's fields and where the next thing starts.
struct Header<'a> {
    basic: &'a [u8],
    /// Offset after the header and its extended headers.
    end: usize,
    /// The basic header's CRC matched.
    crc_ok: bool,
    /// Extended headers whose CRC failed (their offsets).
    bad_ext: Vec<usize>,
}

/// The header at `at`: `Ok(None)` for the end-of-archive marker.
fn header(data: &[u8], at: usize) -> Result<Option<Header<'_>>, Error> {
    if data.len() < at.saturating_add(4) {
        return Err(cut(at, data.len()));
    }
    if data.get(at..at + 2) != Some(MAGIC) {
        return Err(Error::malformed(format!("no ARJ header magic at offset {at}")).at(at as u64));
    }
    let size = usize::from(le_u16(data, at + 2).ok_or_else(|| cut(at, data.len()))?);
    if size == 0 {
        return Ok(None);
    }
    if !(FIXED..=MAX_BASIC).contains(&size) {
        return Err(Error::malformed(format!(
            "ARJ header at offset {at} declares a {size}-byte basic header (ARJ writes {FIXED} to {MAX_BASIC})"
        ))
        .at(at as u64));
    }
    let basic = data
        .get(at + 4..at + 4 + size)
        .ok_or_else(|| cut(at, data.len()))?;
    let crc = le_u32(data, at + 4 + size).ok_or_else(|| cut(at, data.len()))?;
    let crc_ok = crc32fast::hash(basic) == crc;
    let mut end = at + 8 + size;
    let mut bad_ext = Vec::new();
    loop {
        let ext = usize::from(le_u16(data, end).ok_or_else(|| cut(at, data.len()))?);
        if ext == 0 {
            end += 2;
            break;
        }
        let bytes = data
            .get(end + 2..end + 2 + ext)
            .ok_or_else(|| cut(end, data.len()))?;
        let c = le_u32(data, end + 2 + ext).ok_or_else(|| cut(end, data.len()))?;
        if crc32fast::hash(bytes) != c {
            bad_ext.push(end);
        }
        end += 2 + ext + 4;
    }
    Ok(Some(Header {
        basic,
        end,
        crc_ok,
        bad_ext,
    }))
}

fn cut(at: usize, len: usize) -> Error {
    Error::truncated(format!(
        "ARJ header at offset {at} is cut short: the data ends at offset {len}"
    ))
    .at(at as u64)
}

impl Header<'_> {
    fn first_size(&self) -> usize {
        usize::from(self.basic.first().copied().unwrap_or(0))
    }

    /// The name and comment (NUL-terminated strings after the first
    /// `first_hdr_size` bytes).
    fn strings(&self) -> (String, String) {
        let rest = self.basic.get(self.first_size()..).unwrap_or(&[]);
        let mut parts = rest.splitn(3, |&b| b == 0);
        let name = parts.next().unwrap_or(&[]);
        let comment = parts.next().unwrap_or(&[]);
        (text(name), text(comment))
    }

    fn u8_at(&self, i: usize) -> u8 {
        self.basic.get(i).copied().unwrap_or(0)
    }

    fn u32_at(&self, i: usize) -> u32 {
        le_u32(self.basic, i).unwrap_or(0)
    }
}

/// A name or comment: UTF-8 when it is, else each byte as its Latin-1
/// character (DOS code pages are not guessed).
fn text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// An ARJ main header at the start: magic, a plausible size, a matching
/// CRC-32 and file type 2.
pub fn sniff(data: &[u8]) -> bool {
    matches!(header(data, 0), Ok(Some(h)) if h.crc_ok && h.u8_at(6) == 2 && h.first_size() >= FIXED && h.first_size() <= h.basic.len())
}

/// The length of the archive that starts `data`: its headers and data
/// walked to the end-of-archive marker (for carving and overlays).
pub(crate) fn archive_len(data: &[u8]) -> Option<usize> {
    let main = header(data, 0).ok()??;
    let mut at = main.end;
    // Each header takes at least 10 bytes: the walk ends.
    loop {
        match header(data, at).ok()? {
            None => return Some(at + 4),
            Some(h) => {
                let packed = usize::try_from(h.u32_at(12)).ok()?;
                at = h.end.checked_add(packed)?;
            }
        }
    }
}

/// Open an ARJ archive: the main header is read; file headers are walked as
/// the engine pulls entries.
pub fn open<'a>(data: &'a [u8], _opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = ArjInfo::default();
    let at = match header(data, 0) {
        Ok(Some(h)) => {
            notes.evidence(Evidence::strong(
                "arj-main-header",
                "ARJ main header with a matching CRC-32",
                Some(0),
            ));
            if !h.crc_ok {
                notes.error(
                    Error::checksum("ARJ main header at offset 0: CRC-32 does not match").at(0),
                );
            }
            for x in &h.bad_ext {
                notes.error(
                    Error::checksum(format!(
                        "ARJ extended header at offset {x}: CRC-32 does not match"
                    ))
                    .at(*x as u64),
                );
            }
            let (name, comment) = h.strings();
            info.archive_name = name;
            info.comment = (!comment.is_empty()).then_some(comment);
            info.archiver_version = h.u8_at(1);
            info.host_os = h.u8_at(3);
            Some(h.end)
        }
        Ok(None) => {
            notes.error(
                Error::malformed("ARJ archive has an end marker where its main header should be")
                    .at(0),
            );
            None
        }
        Err(e) => {
            notes.error(e);
            None
        }
    };
    Opened::Container(Box::new(Walk {
        data,
        at: at.unwrap_or(data.len()),
        done: at.is_none(),
        ended: false,
        info,
        pending: None,
        crc: crc32fast::Hasher::new(),
    }))
}

struct Walk<'a> {
    data: &'a [u8],
    at: usize,
    done: bool,
    /// The end-of-archive marker was met, or the error that stopped the
    /// walk is noted.
    ended: bool,
    info: ArjInfo,
    /// The file being decoded: its name, stored CRC and data offset.
    pending: Option<(String, u32, usize)>,
    crc: crc32fast::Hasher,
}

/// What one file header asks for.
enum Plan<'a> {
    Skip,
    Missing(Error),
    Stored(&'a [u8]),
    Decode(&'a [u8], u8),
}

impl<'a> Walk<'a> {
    /// The next file header: its name, entry info, stated CRC, size, data
    /// offset and plan; `None` when the walk is over or the header was not
    /// a file.
    #[allow(clippy::type_complexity)]
    fn step(
        &mut self,
        notes: &mut Notes,
    ) -> Option<(String, EntryInfo, u32, u64, usize, Plan<'a>)> {
        let at = self.at;
        let h = match header(self.data, at) {
            Ok(Some(h)) => h,
            Ok(None) => {
                self.done = true;
                self.ended = true;
                return None;
            }
            Err(e) => {
                notes.error(e);
                self.done = true;
                self.ended = true;
                return None;
            }
        };
        if !h.crc_ok {
            notes.error(
                Error::checksum(format!(
                    "ARJ file header at offset {at}: CRC-32 does not match"
                ))
                .at(at as u64),
            );
        }
        for x in &h.bad_ext {
            notes.error(
                Error::checksum(format!(
                    "ARJ extended header at offset {x}: CRC-32 does not match"
                ))
                .at(*x as u64),
            );
        }
        let (flags, method, kind) = (h.u8_at(4), h.u8_at(5), h.u8_at(6));
        let packed = u64::from(h.u32_at(12));
        let size = u64::from(h.u32_at(16));
        let crc = h.u32_at(20);
        let data_at = h.end;
        match usize::try_from(packed)
            .ok()
            .and_then(|p| data_at.checked_add(p))
        {
            Some(next) => self.at = next,
            None => self.done = true,
        }
        let (name, _) = h.strings();
        let name = name.replace('\\', "/");
        match kind {
            0 | 1 => {}
            3 => {
                self.info.directories += 1;
                return Some((
                    name,
                    EntryInfo::new(EntryKind::File),
                    crc,
                    size,
                    data_at,
                    Plan::Skip,
                ));
            }
            _ => {
                return Some((
                    name,
                    EntryInfo::new(EntryKind::File),
                    crc,
                    size,
                    data_at,
                    Plan::Skip,
                ))
            }
        }
        self.info.entries += 1;
        let m = method_name(method);
        if !self.info.methods.contains(&m) && self.info.methods.len() < 8 {
            self.info.methods.push(m.clone());
        }
        // Date and time modified: MS-DOS time in the low word, date in the
        // high word (local time).
        let stamp = h.u32_at(8);
        let mtime = installsift_model::Timestamp::dos((stamp >> 16) as u16, stamp as u16);
        let mut e = EntryInfo::new(EntryKind::File)
            .at(data_at as u64)
            .modified(mtime);
        e.compressed_size = Some(packed);
        e.method = Some(m.clone());
        let what = format!("ARJ entry `{name}` (data at offset {data_at})");
        let plan = if flags & 0x01 != 0 {
            e.encrypted = true;
            self.info.encrypted_entries += 1;
            Plan::Missing(
                Error::encrypted(format!("{what} is garbled (password); not decrypted"))
                    .at(data_at as u64),
            )
        } else if flags & 0x0C != 0 {
            Plan::Missing(
                Error::unsupported(format!(
                    "{what} continues across volumes; volumes are read one at a time"
                ))
                .at(data_at as u64),
            )
        } else if method > 4 {
            Plan::Missing(
                Error::unsupported(format!("{what}: ARJ {m} is not decoded")).at(data_at as u64),
            )
        } else {
            match usize::try_from(packed)
                .ok()
                .and_then(|p| self.data.get(data_at..data_at.checked_add(p)?))
            {
                None => Plan::Missing(
                    Error::truncated(format!(
                        "{what}: {packed} stored bytes declared, the archive ends first"
                    ))
                    .at(data_at as u64),
                ),
                Some(b) if method == 0 && b.len() as u64 != size => Plan::Missing(
                    Error::malformed(format!(
                        "{what}: stored, but {packed} bytes packed for {size} unpacked"
                    ))
                    .at(data_at as u64),
                ),
                Some(b) if method == 0 => Plan::Stored(b),
                Some(b) => Plan::Decode(b, method),
            }
        };
        Some((name, e, crc, size, data_at, plan))
    }
}

fn method_name(m: u8) -> String {
    match m {
        0 => "stored".into(),
        other => format!("method-{other}"),
    }
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        while !self.done {
            let Some((name, mut e, crc, size, data_at, plan)) = self.step(notes) else {
                continue;
            };
            let data = match plan {
                Plan::Skip => continue,
                Plan::Missing(error) => Data::Missing { size, error },
                Plan::Stored(b) => {
                    self.info.stored_entries += 1;
                    let got = crc32fast::hash(b);
                    e = if got == crc {
                        e.verified(Check::ArjCrc32)
                    } else {
                        e.with_error(
                            Error::checksum(format!(
                                "ARJ entry `{name}` (data at offset {data_at}): CRC-32 stored {crc:08x}, data hashes to {got:08x}"
                            ))
                            .at(data_at as u64),
                        )
                    };
                    Data::Slice(b)
                }
                Plan::Decode(b, method) => {
                    self.crc = crc32fast::Hasher::new();
                    self.pending = Some((name.clone(), crc, data_at));
                    Data::Decode {
                        reader: Box::new(CrcReader {
                            inner: lzh::Decoder::new(b, data_at as u64, method, size),
                            crc: &mut self.crc,
                        }),
                        declared: Some(size),
                        stored: Some(b.len() as u64),
                    }
                }
            };
            return Some(Entry {
                name,
                info: e,
                data,
            });
        }
        None
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        let Some((name, want, at)) = self.pending.take() else {
            return;
        };
        let what = format!("ARJ entry `{name}` (data at offset {at})");
        if let Err(e) = read {
            *e = context(e.clone(), &what);
            return;
        }
        let got = std::mem::take(&mut self.crc).finalize();
        if got == want {
            info.add_verified(Check::ArjCrc32);
        } else {
            info.add_error(
                Error::checksum(format!(
                    "{what}: CRC-32 stored {want:08x}, data decodes to {got:08x}"
                ))
                .at(at as u64),
            );
        }
    }

    fn finish(self: Box<Self>, end: End, notes: &mut Notes) -> Parsed {
        if !self.ended && end == End::Exhausted {
            notes.error(
                Error::truncated(format!(
                    "ARJ archive has no end-of-archive marker: the walk stopped at offset {}",
                    self.at
                ))
                .at(self.at.min(self.data.len()) as u64),
            );
        }
        Parsed {
            format: Format::Arj,
            metadata: Some(Metadata::Arj(Box::new(self.info))),
        }
    }
}

/// A reader that computes the CRC-32 of what passes through it.
struct CrcReader<'c, R> {
    inner: R,
    crc: &'c mut crc32fast::Hasher,
}

impl<R: std::io::Read> std::io::Read for CrcReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed, Listing};
    use crate::test_support::sample;
    use installsift_model::Limits;

    fn listing(d: &[u8]) -> Listing {
        list(open, d, &Limits::default(), 100)
    }

    /// Each entry's bytes (a slice of the input or decoded).
    fn bytes<'a>(d: &'a [u8], l: &'a Listed) -> Option<&'a [u8]> {
        match l {
            Listed::Slice { at, len } => d.get(*at..at + len),
            Listed::Decoded(Ok(b)) => Some(b),
            _ => None,
        }
    }

    #[test]
    fn listing_without_the_engine() {
        let stored = sample("arj/m0.arj").expect("sample");
        let want = listing(&stored);
        assert!(sniff(&stored));
        let names: Vec<&str> = want.entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            ["text.txt", "sub/mixed.bin", "sub/rand.bin", "empty.txt"]
        );
        for m in 1..=4 {
            let d = sample(&format!("arj/m{m}.arj")).expect("sample");
            let l = listing(&d);
            assert!(l.notes.errors.is_empty(), "m{m}: {:?}", l.notes.errors);
            assert_eq!(l.entries.len(), 4, "m{m}");
            for ((name, info, got), (_, _, exp)) in l.entries.iter().zip(&want.entries) {
                assert_eq!(info.verified_by, [Check::ArjCrc32], "m{m} {name}");
                assert!(info.errors.is_empty(), "m{m} {name}: {:?}", info.errors);
                assert_eq!(bytes(&d, got), bytes(&stored, exp), "m{m} {name}");
            }
            // text.txt is compressed with method m, rand.bin stored.
            assert_eq!(
                l.entries[0].1.method.as_deref(),
                Some(format!("method-{m}").as_str())
            );
            assert_eq!(l.entries[2].1.method.as_deref(), Some("stored"));
            let Some(Metadata::Arj(info)) = &l.parsed.metadata else {
                panic!("metadata")
            };
            assert_eq!((info.entries, info.stored_entries), (4, 2));
            assert_eq!(info.archive_name, format!("m{m}.arj"));
        }
        // Stopped by the engine after one entry: no false damage.
        let d = sample("arj/m1.arj").expect("sample");
        let l = list(open, &d, &Limits::default(), 1);
        assert_eq!(l.entries.len(), 1);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
    }

    #[test]
    fn garbled_entries_are_encrypted() {
        let d = sample("arj/garbled.arj").expect("sample");
        let l = listing(&d);
        assert_eq!(l.entries.len(), 1);
        assert!(l.entries[0].1.encrypted);
        let Listed::Missing { error, .. } = &l.entries[0].2 else {
            panic!("{:?}", l.entries[0].2)
        };
        assert_eq!(error.kind(), "encrypted");
    }

    /// Offset of the first file header (after the main header).
    fn first_file(d: &[u8]) -> Header<'_> {
        let main = header(d, 0).expect("main").expect("header");
        header(d, main.end).expect("file").expect("header")
    }

    #[test]
    fn damage_is_reported() {
        let good = sample("arj/m1.arj").expect("sample");
        let main_end = header(&good, 0).expect("main").expect("header").end;
        let f = first_file(&good);
        // A flipped byte in the first file's name: its header CRC fails; the
        // walk goes on and the data still decodes and matches its CRC.
        let mut d = good.clone();
        d[main_end + 4 + f.first_size()] ^= 0x20;
        let l = listing(&d);
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| e.kind() == "checksum" && e.offset() == Some(main_end as u64)),
            "{:?}",
            l.notes.errors
        );
        assert_eq!(l.entries.len(), 4);
        // A flipped byte in the first file's compressed data: a checksum
        // error on that entry or a decode error, never a verified entry.
        let mut d = good.clone();
        d[f.end + 100] ^= 0x01;
        let l = listing(&d);
        let (_, info, got) = &l.entries[0];
        let failed = match got {
            Listed::Decoded(Err(_)) => true,
            _ => info.errors.iter().any(|e| e.kind() == "checksum"),
        };
        assert!(failed && info.verified_by.is_empty(), "{info:?} {got:?}");
        assert_eq!(l.entries.len(), 4);
        // Cut inside the second file's data: the first is kept, the second
        // is missing (truncated), no end marker.
        let cut_at = f.end + usize::try_from(f.u32_at(12)).expect("size") + 150;
        let l = listing(&good[..cut_at]);
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[0].1.verified_by, [Check::ArjCrc32]);
        let Listed::Missing { error, .. } = &l.entries[1].2 else {
            panic!("{:?}", l.entries[1].2)
        };
        assert_eq!(error.kind(), "truncated");
        assert!(l.notes.errors.iter().any(|e| e.kind() == "truncated"));
        // A stored file's CRC-32 changed: a checksum error on the entry,
        // which keeps its bytes.
        let stored = sample("arj/m0.arj").expect("sample");
        let f = first_file(&stored);
        let mut d = stored.clone();
        let crc_at = header(&stored, 0).expect("m").expect("h").end + 4 + 20;
        d[crc_at] ^= 1;
        // The header CRC no longer matches either: both are reported.
        let l = listing(&d);
        assert!(matches!(l.entries[0].2, Listed::Slice { .. }));
        assert_eq!(l.entries[0].1.errors[0].kind(), "checksum");
        assert!(l.notes.errors.iter().any(|e| e.kind() == "checksum"));
        assert!(f.end > crc_at);
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        let good = sample("arj/m2.arj").expect("sample");
        for n in 0..good.len().min(400) {
            let _ = listing(&good[..n]);
            let mut d = good.clone();
            d[n] ^= 0xFF;
            let _ = listing(&d);
        }
        // Decoding garbage with every method: an error or bytes, bounded.
        for m in 1..=4u8 {
            let mut out = Vec::new();
            let r = std::io::Read::read_to_end(
                &mut std::io::Read::take(
                    lzh::Decoder::new(&good[200..3000], 0, m, 1 << 20),
                    1 << 21,
                ),
                &mut out,
            );
            assert!(r.is_err() || out.len() <= 1 << 20);
        }
        assert!(!sniff(b"\x60\xEA\x00\x00"));
        assert_eq!(archive_len(&good), Some(good.len()));
    }
}
