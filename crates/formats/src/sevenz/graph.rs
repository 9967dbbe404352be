//! The coder graph of every 7z block ("folder"), read from the header by us,
//! and a block's output built from it: sevenz-rust2 keeps a block's bind
//! pairs and packed-stream order private, and a BCJ2 block (four inputs)
//! cannot be decoded as a stream without them.
//!
//! The header (7-Zip's `7zFormat.txt`, facts only): after the 32-byte
//! signature header, at `32 + NextHeaderOffset`, either a `Header` (0x01)
//! or an `EncodedHeader` (0x17): a `StreamsInfo` whose one folder decodes
//! to the header. `MainStreamsInfo` holds `PackInfo` (0x06) and
//! `UnpackInfo` (0x07): per folder its coders (flags, method id, numbers of
//! in and out streams, properties), bind pairs (an in-stream fed by an
//! out-stream), the in-streams read from packed streams, then the unpack
//! size of every out-stream. Numbers are 7z's variable-length integers.
//! Every count is checked against the bytes left before anything is
//! allocated.
//!
//! The same walk guards the crate: sevenz-rust2 bounds each count only by
//! the decoded header's length and keeps ~8 bytes per packed size and
//! ~270 bytes per folder, and an LZMA-encoded header compresses a run of
//! such records thousands of times (a 2.4 KB header declaring 4,000,000
//! folders made it allocate 1.1 GB). So before the crate reads a header,
//! [`read_header_at`] decodes it here, at most
//! [`Limits::max_toc_size`](installsift_model::Limits::max_toc_size)
//! bytes, and walks the whole of it (streams, substreams, files), refusing
//! more folders, substreams or files than
//! [`Limits::max_entries_per_container`](installsift_model::Limits::max_entries_per_container)
//! (7-Zip writes one folder per file at most) and more packed streams or
//! coders than four times that (a BCJ2 folder has four of each), before
//! anything is allocated for them.

use crate::bcj2::Bcj2Reader;
use installsift_model::error::Error;
use installsift_model::limits::Limit;
use std::io::Read;

const END: u8 = 0x00;
const HEADER: u8 = 0x01;
const ARCHIVE_PROPERTIES: u8 = 0x02;
const ADDITIONAL_STREAMS_INFO: u8 = 0x03;
const MAIN_STREAMS_INFO: u8 = 0x04;
const FILES_INFO: u8 = 0x05;
const PACK_INFO: u8 = 0x06;
const UNPACK_INFO: u8 = 0x07;
const SUBSTREAMS_INFO: u8 = 0x08;
const SIZE: u8 = 0x09;
const CRC: u8 = 0x0A;
const FOLDER: u8 = 0x0B;
const CODERS_UNPACK_SIZE: u8 = 0x0C;
const NUM_UNPACK_STREAM: u8 = 0x0D;
const ENCODED_HEADER: u8 = 0x17;

/// ID of the AES-256 + SHA-256 coder (an encrypted header).
const AES: &[u8] = &[0x06, 0xF1, 0x07, 0x01];

/// What a header may declare, checked before anything is allocated for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    /// Bytes an encoded header may decode to (`max_toc_size`).
    pub max_header: u64,
    /// Folders, substreams and files (`max_entries_per_container`); packed
    /// streams and coders (all folders together) up to four times this.
    pub max_items: usize,
}

impl Bounds {
    /// The bounds `limits` set.
    pub fn from(limits: &installsift_model::Limits) -> Self {
        Bounds {
            max_header: limits.max_toc_size,
            max_items: usize::try_from(limits.max_entries_per_container).unwrap_or(usize::MAX),
        }
    }
}

/// Packed streams and coders per item allowed (a BCJ2 folder has four of each).
const PACKED_PER_ITEM: usize = 4;

/// Coders in one folder: 7-Zip writes at most 4 (BCJ2 and its three LZMA
/// coders); its reader accepts 64.
const MAX_CODERS: u64 = 64;
/// In- or out-streams of one coder.
const MAX_STREAMS: u64 = 64;
/// Encoded headers nested in each other (7-Zip writes one level).
const MAX_ENCODED_LEVELS: usize = 4;

/// ID of the BCJ2 coder.
pub(super) const BCJ2: &[u8] = &[0x03, 0x03, 0x01, 0x1B];

/// One coder of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FolderCoder {
    pub id: Vec<u8>,
    pub ins: usize,
    pub outs: usize,
    pub props: Vec<u8>,
}

/// One folder: its coders, bind pairs `(in, out)`, the in-streams read from
/// packed streams (in packed-stream order), and each out-stream's size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Folder {
    pub coders: Vec<FolderCoder>,
    pub binds: Vec<(usize, usize)>,
    pub packed: Vec<usize>,
    pub unpack: Vec<u64>,
    /// The folder's output has a CRC-32 in `UnpackInfo`.
    pub crc: bool,
}

struct Cur<'a> {
    d: &'a [u8],
    at: usize,
    /// Bound on folders, substreams and files ([`Bounds::max_items`]).
    max_items: usize,
    /// Keep the folders' coder graphs (else only what the walk needs: a
    /// check costs no memory per folder beyond its CRC flag).
    keep: bool,
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::malformed(format!("7z header: {what}"))
}

impl<'a> Cur<'a> {
    fn left(&self) -> usize {
        self.d.len().saturating_sub(self.at)
    }
    fn byte(&mut self) -> Result<u8, Error> {
        let b = *self
            .d
            .get(self.at)
            .ok_or_else(|| bad(format!("ends at byte {}", self.at)))?;
        self.at += 1;
        Ok(b)
    }
    fn bytes(&mut self, n: u64) -> Result<&'a [u8], Error> {
        let n = usize::try_from(n).map_err(|_| bad("a size beyond memory"))?;
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.d.len())
            .ok_or_else(|| {
                bad(format!(
                    "{n} bytes declared at byte {}, past its end",
                    self.at
                ))
            })?;
        let s = self.d.get(self.at..end).unwrap_or(&[]);
        self.at = end;
        Ok(s)
    }
    /// 7z's NUMBER: the first byte's leading one bits count the bytes that
    /// follow (little-endian); its other bits are the high part.
    fn number(&mut self) -> Result<u64, Error> {
        let first = self.byte()?;
        let mut mask = 0x80u8;
        let mut value = 0u64;
        for i in 0..8 {
            if first & mask == 0 {
                let high = u64::from(first & mask.wrapping_sub(1));
                return Ok(value | (high << (8 * i)));
            }
            value |= u64::from(self.byte()?) << (8 * i);
            mask >>= 1;
        }
        Ok(value)
    }
    /// A count of items of at least `min` bytes each: never more than the
    /// bytes left allow.
    fn count(&mut self, min: usize, what: &str) -> Result<usize, Error> {
        let n = self.number()?;
        let max = self.left() / min.max(1);
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| bad(format!("{n} {what} in {} bytes", self.left())))
    }
    /// A count of items of at least `min` bytes each, at most `per_item`
    /// times [`Cur::max_items`] (`max_entries_per_container`).
    fn bounded(&mut self, min: usize, per_item: usize, what: &str) -> Result<usize, Error> {
        let at = self.at;
        let n = self.count(min, what)?;
        let max = self.max_items.saturating_mul(per_item);
        if n > max {
            return Err(Error::limit(
                Limit::MaxEntriesPerContainer,
                format!(
                    "7z header declares {n} {what} (byte {at}), more than {max} (max_entries_per_container{})",
                    if per_item > 1 { " × 4" } else { "" }
                ),
            ));
        }
        Ok(n)
    }
    /// Skip a bit vector of `n` items ("all defined" byte, else the bits);
    /// the number of items defined.
    fn skip_defined(&mut self, n: usize) -> Result<usize, Error> {
        if self.byte()? != 0 {
            return Ok(n);
        }
        let bytes = self.bytes(n.div_ceil(8) as u64)?;
        Ok((0..n)
            .filter(|&i| bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0))
            .count())
    }
    fn expect(&mut self, id: u8) -> Result<(), Error> {
        let b = self.byte()?;
        if b == id {
            Ok(())
        } else {
            Err(bad(format!(
                "property {b:#04x} at byte {} where {id:#04x} belongs",
                self.at - 1
            )))
        }
    }
    /// A vector of `n` bits, or "all defined" (a leading byte).
    fn defined(&mut self, n: usize) -> Result<Vec<bool>, Error> {
        if self.byte()? != 0 {
            return Ok(vec![true; n]);
        }
        let bytes = self.bytes(n.div_ceil(8) as u64)?;
        Ok((0..n)
            .map(|i| bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0))
            .collect())
    }
}

/// `PackInfo`: the packed streams' position and sizes.
fn pack_info(c: &mut Cur<'_>) -> Result<(u64, Vec<u64>), Error> {
    let pos = c.number()?;
    let n = c.bounded(1, PACKED_PER_ITEM, "packed streams")?;
    let mut sizes = Vec::new();
    loop {
        match c.byte()? {
            END => return Ok((pos, sizes)),
            SIZE => {
                sizes = Vec::with_capacity(n);
                for _ in 0..n {
                    sizes.push(c.number()?);
                }
            }
            CRC => {
                let k = c.skip_defined(n)?;
                c.bytes(4 * k as u64)?;
            }
            b => return Err(bad(format!("property {b:#04x} in PackInfo"))),
        }
    }
}

fn folder(c: &mut Cur<'_>) -> Result<Folder, Error> {
    let n = c.count(1, "coders")?;
    if n == 0 || n as u64 > MAX_CODERS {
        return Err(bad(format!("a folder of {n} coders")));
    }
    let mut f = Folder::default();
    let (mut ins, mut outs) = (0usize, 0usize);
    for _ in 0..n {
        let flags = c.byte()?;
        if flags & 0x80 != 0 {
            return Err(bad("alternative coder methods (reserved bit 7)"));
        }
        let id = c.bytes(u64::from(flags & 0x0F))?.to_vec();
        let (i, o) = if flags & 0x10 != 0 {
            (c.number()?, c.number()?)
        } else {
            (1, 1)
        };
        if i == 0 || i > MAX_STREAMS || o != 1 {
            return Err(bad(format!("a coder of {i} inputs and {o} outputs")));
        }
        let props = if flags & 0x20 != 0 {
            let len = c.number()?;
            c.bytes(len)?.to_vec()
        } else {
            Vec::new()
        };
        ins += i as usize;
        outs += 1;
        f.coders.push(FolderCoder {
            id,
            ins: i as usize,
            outs: 1,
            props,
        });
    }
    for _ in 0..outs - 1 {
        let (i, o) = (c.number()?, c.number()?);
        let (Ok(i), Ok(o)) = (usize::try_from(i), usize::try_from(o)) else {
            return Err(bad("a bind pair beyond memory"));
        };
        if i >= ins || o >= outs {
            return Err(bad(format!("bind pair {i} ← {o} outside the folder")));
        }
        f.binds.push((i, o));
    }
    let packed = ins
        .checked_sub(outs - 1)
        .filter(|&p| p >= 1)
        .ok_or_else(|| bad("more bind pairs than inputs"))?;
    if packed == 1 {
        let free = (0..ins).find(|i| !f.binds.iter().any(|b| b.0 == *i));
        f.packed.push(free.ok_or_else(|| bad("every input bound"))?);
    } else {
        for _ in 0..packed {
            let i = usize::try_from(c.number()?).unwrap_or(usize::MAX);
            if i >= ins {
                return Err(bad(format!(
                    "packed stream of input {i} outside the folder"
                )));
            }
            f.packed.push(i);
        }
    }
    Ok(f)
}

/// `UnpackInfo`: the folders and their out-streams' sizes.
fn unpack_info(c: &mut Cur<'_>) -> Result<Vec<Folder>, Error> {
    c.expect(FOLDER)?;
    let n = c.bounded(2, 1, "folders")?;
    if c.byte()? != 0 {
        return Err(bad("folders in an additional stream (External)"));
    }
    let mut folders = Vec::with_capacity(n);
    let mut per_folder = Vec::with_capacity(n);
    let most = c.max_items.saturating_mul(PACKED_PER_ITEM);
    let mut coders = 0usize;
    for k in 0..n {
        let f = folder(c)?;
        per_folder.push(f.coders.len());
        coders = coders.saturating_add(f.coders.len());
        if coders > most {
            return Err(Error::limit(
                Limit::MaxEntriesPerContainer,
                format!(
                    "7z header declares more than {most} coders by folder {k} (byte {}) (max_entries_per_container × 4)",
                    c.at
                ),
            ));
        }
        folders.push(if c.keep { f } else { Folder::default() });
    }
    c.expect(CODERS_UNPACK_SIZE)?;
    for (f, &n) in folders.iter_mut().zip(&per_folder) {
        for _ in 0..n {
            let size = c.number()?;
            if c.keep {
                f.unpack.push(size);
            }
        }
    }
    loop {
        match c.byte()? {
            END => return Ok(folders),
            CRC => {
                let d = c.defined(folders.len())?;
                for (f, &has) in folders.iter_mut().zip(&d) {
                    f.crc = has;
                }
                let k = d.iter().filter(|&&x| x).count();
                c.bytes(4 * k as u64)?;
            }
            b => return Err(bad(format!("property {b:#04x} in UnpackInfo"))),
        }
    }
}

/// `StreamsInfo`: the packed streams' position and sizes and the folders
/// (its `SubStreamsInfo` walked for its counts, not kept).
fn streams_info(c: &mut Cur<'_>) -> Result<(u64, Vec<u64>, Vec<Folder>), Error> {
    let mut pack = (0, Vec::new());
    let mut folders = Vec::new();
    let mut seen = 0u8;
    loop {
        let at = c.at;
        let id = c.byte()?;
        // Each part at most once, in this order (7zFormat.txt).
        let order = match id {
            PACK_INFO => 1,
            UNPACK_INFO => 2,
            SUBSTREAMS_INFO => 3,
            END => return Ok((pack.0, pack.1, folders)),
            b => {
                return Err(bad(format!(
                    "property {b:#04x} at byte {at} in StreamsInfo"
                )))
            }
        };
        if order <= seen {
            return Err(bad(format!(
                "property {id:#04x} at byte {at} out of order in StreamsInfo"
            )));
        }
        seen = order;
        match id {
            PACK_INFO => pack = pack_info(c)?,
            UNPACK_INFO => folders = unpack_info(c)?,
            _ => substreams_info(c, &folders)?,
        }
    }
}

/// `SubStreamsInfo`: how many files each folder holds (their sum at most
/// [`Bounds::max_items`]), their sizes and CRC-32s; skipped over.
fn substreams_info(c: &mut Cur<'_>, folders: &[Folder]) -> Result<(), Error> {
    let mut counts: Option<Vec<u64>> = None;
    let mut id = c.byte()?;
    if id == NUM_UNPACK_STREAM {
        let mut total = 0u64;
        let mut v = Vec::with_capacity(folders.len());
        for _ in folders {
            let at = c.at;
            let n = c.number()?;
            total = total.saturating_add(n);
            if total > c.max_items as u64 {
                return Err(Error::limit(
                    Limit::MaxEntriesPerContainer,
                    format!(
                        "7z header declares more than {} substreams (byte {at}) (max_entries_per_container)",
                        c.max_items
                    ),
                ));
            }
            v.push(n);
        }
        counts = Some(v);
        id = c.byte()?;
    }
    // One stream per folder unless counted.
    let count = |k: usize| {
        counts
            .as_ref()
            .map_or(1, |v| v.get(k).copied().unwrap_or(0))
    };
    if id == SIZE {
        for k in 0..folders.len() {
            for _ in 1..count(k) {
                c.number()?;
            }
        }
        id = c.byte()?;
    }
    loop {
        match id {
            END => return Ok(()),
            CRC => {
                // Streams whose CRC the folder does not already give.
                let n: u64 = folders
                    .iter()
                    .enumerate()
                    .map(|(k, f)| match count(k) {
                        1 if f.crc => 0,
                        n => n,
                    })
                    .sum();
                let n = usize::try_from(n).map_err(|_| bad("digests beyond memory"))?;
                let k = c.skip_defined(n)?;
                c.bytes(4 * k as u64)?;
            }
            _ => {
                let n = c.number()?;
                c.bytes(n)?;
            }
        }
        id = c.byte()?;
    }
}

/// `FilesInfo`: the number of files (at most [`Bounds::max_items`]) and
/// their properties, each skipped over by its size.
fn files_info(c: &mut Cur<'_>) -> Result<(), Error> {
    c.bounded(1, 1, "files")?;
    loop {
        if c.byte()? == END {
            return Ok(());
        }
        let n = c.number()?;
        c.bytes(n)?;
    }
}

/// Read the header at `off` (after the signature header) of `size` bytes:
/// decode it if it is encoded (at most `bounds.max_header` bytes, with our
/// own decoders), walk all of it with every count bounded, and return the
/// main streams' folders (their coder graphs when `keep`, else empty
/// records: a check that allocates nothing per folder). An encrypted header is an `encrypted` error:
/// it cannot be read here, and the crate reads nothing of it without a
/// password either.
pub(super) fn read_header_at(
    data: &[u8],
    (off, size): (u64, u64),
    mem_kb: usize,
    bounds: Bounds,
    keep: bool,
    passwords: &[String],
) -> Result<(Vec<Folder>, Option<usize>), Error> {
    let start = off
        .checked_add(32)
        .and_then(|s| usize::try_from(s).ok())
        .ok_or_else(|| bad("next header offset beyond memory"))?;
    let end = usize::try_from(size)
        .ok()
        .and_then(|s| start.checked_add(s))
        .filter(|&e| e <= data.len())
        .ok_or_else(|| {
            bad(format!(
                "next header at {start} ({size} bytes) past the end"
            ))
        })?;
    let head = data.get(start..end).unwrap_or(&[]);
    walk_header(data, head, 0, (mem_kb, bounds, keep), passwords)
}

/// [`read_header_at`] from the header bytes `head` (nested `level` deep in
/// encoded headers). An AES-encrypted encoded header is decoded with each
/// of `passwords` in turn until one gives a header that reads: the index
/// of that password comes back with the folders.
fn walk_header(
    data: &[u8],
    head: &[u8],
    level: usize,
    (mem_kb, bounds, keep): (usize, Bounds, bool),
    passwords: &[String],
) -> Result<(Vec<Folder>, Option<usize>), Error> {
    if level >= MAX_ENCODED_LEVELS {
        return Err(bad("encoded headers nested too deep"));
    }
    let mut c = Cur {
        d: head,
        at: 0,
        max_items: bounds.max_items,
        keep: true,
    };
    match c.byte()? {
        HEADER => {
            c.keep = keep;
            return Ok((header(&mut c)?, None));
        }
        ENCODED_HEADER => {}
        b => return Err(bad(format!("next header starts with {b:#04x}"))),
    }
    let (pos, sizes, folders) = streams_info(&mut c)?;
    let f = folders
        .first()
        .ok_or_else(|| bad("encoded header without folder"))?;
    let first = pos
        .checked_add(32)
        .ok_or_else(|| bad("packed header position beyond memory"))?;
    let want = f.unpack.get(main_out(f)?).copied().unwrap_or(0);
    if want > bounds.max_header {
        return Err(Error::limit(
            Limit::MaxTocSize,
            format!(
                "7z encoded header decodes to {want} bytes, more than {} (max_toc_size)",
                bounds.max_header
            ),
        ));
    }
    let decode = |password: Option<&str>| -> Result<Vec<u8>, Error> {
        let mut r = folder_reader(data, first, &sizes, f, mem_kb, password)?;
        let mut owned = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
        (&mut r)
            .take(want)
            .read_to_end(&mut owned)
            .map_err(|e| bad(format!("encoded header: {e}")))?;
        if (owned.len() as u64) < want {
            return Err(Error::truncated(format!(
                "7z encoded header ends after {} of {want} bytes",
                owned.len()
            )));
        }
        Ok(owned)
    };
    let next = |owned: Vec<u8>, passwords: &[String]| {
        walk_header(data, &owned, level + 1, (mem_kb, bounds, keep), passwords)
    };
    if !f.coders.iter().any(|k| k.id == AES) {
        return next(decode(None)?, passwords);
    }
    if passwords.is_empty() {
        return Err(Error::encrypted(
            "7z header is encrypted; entries cannot be listed without the password",
        ));
    }
    for (k, p) in passwords.iter().enumerate() {
        // A wrong password decodes to bytes that do not read as a header; a
        // limit met means the header read (and the password was right).
        match decode(Some(p)).and_then(|h| next(h, std::slice::from_ref(p))) {
            Ok((folders, _)) => return Ok((folders, Some(k))),
            Err(e) if e.limit_hit().is_some() => return Err(e),
            Err(_) => {}
        }
    }
    Err(Error::encrypted(format!(
        "7z header is encrypted and none of the {} passwords given decrypts it",
        passwords.len()
    )))
}

/// The folders of the archive in `data`, from the header its start header
/// locates ([`read_header_at`]).
#[cfg(test)]
pub(super) fn read_folders(
    data: &[u8],
    mem_kb: usize,
    bounds: Bounds,
) -> Result<Vec<Folder>, Error> {
    let off = super::super::le_u64(data, 12).ok_or_else(|| bad("no start header"))?;
    let size = super::super::le_u64(data, 20).ok_or_else(|| bad("no start header"))?;
    read_header_at(data, (off, size), mem_kb, bounds, true, &[]).map(|(f, _)| f)
}

/// `Header`: archive properties, additional and main streams, files; the
/// main streams' folders.
fn header(c: &mut Cur<'_>) -> Result<Vec<Folder>, Error> {
    let mut folders = Vec::new();
    let mut seen = 0u8;
    loop {
        let at = c.at;
        let id = c.byte()?;
        let order = match id {
            ARCHIVE_PROPERTIES => 1,
            ADDITIONAL_STREAMS_INFO => 2,
            MAIN_STREAMS_INFO => 3,
            FILES_INFO => 4,
            END => return Ok(folders),
            b => return Err(bad(format!("property {b:#04x} at byte {at} in Header"))),
        };
        if order <= seen {
            return Err(bad(format!(
                "property {id:#04x} at byte {at} out of order in Header"
            )));
        }
        seen = order;
        match id {
            ARCHIVE_PROPERTIES => loop {
                if c.byte()? == END {
                    break;
                }
                let n = c.number()?;
                c.bytes(n)?;
            },
            ADDITIONAL_STREAMS_INFO => {
                streams_info(c)?;
            }
            MAIN_STREAMS_INFO => folders = streams_info(c)?.2,
            _ => files_info(c)?,
        }
    }
}

/// The out-stream of `f` that no bind pair consumes: the folder's output.
pub(super) fn main_out(f: &Folder) -> Result<usize, Error> {
    (0..f.coders.len())
        .find(|o| !f.binds.iter().any(|b| b.1 == *o))
        .ok_or_else(|| bad("a folder whose every output is bound"))
}

/// The output of folder `f` as a reader: its packed streams follow each
/// other from `first` (an offset into `data`), `sizes` long.
pub(super) fn folder_reader<'a>(
    data: &'a [u8],
    first: u64,
    sizes: &[u64],
    f: &Folder,
    mem_kb: usize,
    password: Option<&str>,
) -> Result<Box<dyn Read + 'a>, Error> {
    let mut slices = Vec::with_capacity(f.packed.len());
    let mut at = first;
    for (k, _) in f.packed.iter().enumerate() {
        let len = *sizes
            .get(k)
            .ok_or_else(|| bad(format!("packed stream {k} has no size")))?;
        let end = at
            .checked_add(len)
            .ok_or_else(|| bad("packed sizes overflow"))?;
        let s = usize::try_from(at)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(a, e)| data.get(a..e))
            .ok_or_else(|| {
                Error::truncated(format!(
                    "7z packed stream {k} at {at} ({len} bytes) lies past the end of the data ({} bytes)",
                    data.len()
                ))
            })?;
        slices.push(s);
        at = end;
    }
    let mut used = vec![false; f.coders.len()];
    out_reader(f, main_out(f)?, &slices, &mut used, (mem_kb, password))
}

/// The reader of out-stream `o` (coder `o`: every coder has one output).
fn out_reader<'a>(
    f: &Folder,
    o: usize,
    slices: &[&'a [u8]],
    used: &mut [bool],
    (mem_kb, password): (usize, Option<&str>),
) -> Result<Box<dyn Read + 'a>, Error> {
    let coder = f
        .coders
        .get(o)
        .ok_or_else(|| bad("out-stream without coder"))?;
    match used.get_mut(o) {
        Some(u) if !*u => *u = true,
        _ => return Err(bad(format!("coder {o} feeds two inputs or itself"))),
    }
    let size = f.unpack.get(o).copied().unwrap_or(0);
    let base: usize = f.coders.iter().take(o).map(|c| c.ins).sum();
    enum Input<'a> {
        Packed(&'a [u8]),
        Reader(Box<dyn Read + 'a>),
    }
    let mut inputs = Vec::with_capacity(coder.ins);
    for i in base..base + coder.ins {
        if let Some(&(_, from)) = f.binds.iter().find(|b| b.0 == i) {
            inputs.push(Input::Reader(out_reader(
                f,
                from,
                slices,
                used,
                (mem_kb, password),
            )?));
        } else {
            let k = f
                .packed
                .iter()
                .position(|&p| p == i)
                .ok_or_else(|| bad(format!("input {i} neither bound nor packed")))?;
            inputs.push(Input::Packed(slices.get(k).copied().unwrap_or(&[])));
        }
    }
    let mem = u64::try_from(mem_kb)
        .unwrap_or(u64::MAX)
        .saturating_mul(1024);
    if coder.id == BCJ2 {
        if coder.ins != 4 || !coder.props.is_empty() {
            return Err(bad(format!("BCJ2 coder of {} inputs", coder.ins)));
        }
        let mut r = inputs.into_iter().map(|i| match i {
            Input::Packed(s) => Box::new(s) as Box<dyn Read + 'a>,
            Input::Reader(r) => r,
        });
        let (Some(main), Some(call), Some(jump), Some(rc)) =
            (r.next(), r.next(), r.next(), r.next())
        else {
            return Err(bad("BCJ2 coder without its four inputs"));
        };
        return Ok(Box::new(Bcj2Reader::new(main, call, jump, rc, size)));
    }
    if coder.ins != 1 {
        return Err(Error::unsupported(format!(
            "7z coder {} of {} inputs",
            super::decode::name(&coder.id),
            coder.ins
        )));
    }
    match inputs.pop() {
        Some(Input::Packed(s)) => super::decode::add(
            None,
            s,
            &coder.id,
            &coder.props,
            size,
            (mem, mem_kb),
            password,
        ),
        Some(Input::Reader(r)) => super::decode::add(
            Some(r),
            &[],
            &coder.id,
            &coder.props,
            size,
            (mem, mem_kb),
            password,
        ),
        None => Err(bad("coder without input")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_7zip_writes_them() {
        for (bytes, want) in [
            (&[0x05][..], 5u64),
            (&[0x80, 0xFF], 0xFF),
            (&[0xC1, 0x02, 0x03], 0x01_0302),
            (&[0xFF, 1, 2, 3, 4, 5, 6, 7, 8], 0x0807_0605_0403_0201),
        ] {
            let mut c = Cur {
                d: bytes,
                at: 0,
                max_items: usize::MAX,
                keep: true,
            };
            assert_eq!(c.number().unwrap(), want, "{bytes:02x?}");
            assert_eq!(c.at, bytes.len());
        }
    }

    /// A 7z of `header` (plain, after no packed data) behind a signature
    /// header that locates it.
    fn archive(header: &[u8]) -> Vec<u8> {
        let mut d = b"7z\xBC\xAF\x27\x1C\x00\x04".to_vec();
        d.extend_from_slice(&[0; 4]);
        d.extend_from_slice(&0u64.to_le_bytes());
        d.extend_from_slice(&(header.len() as u64).to_le_bytes());
        d.extend_from_slice(&crc32fast::hash(header).to_le_bytes());
        d.extend_from_slice(header);
        d
    }

    fn limited(header: &[u8], max_items: usize) -> Result<Vec<Folder>, Error> {
        let d = archive(header);
        read_header_at(
            &d,
            (0, header.len() as u64),
            1 << 10,
            Bounds {
                max_header: 1 << 20,
                max_items,
            },
            true,
            &[],
        )
        .map(|(f, _)| f)
    }

    /// Copy folders (one coder each) with their unpack sizes.
    fn copy_folders(n: u8) -> Vec<u8> {
        let mut h = vec![UNPACK_INFO, FOLDER, n, 0];
        for _ in 0..n {
            h.extend_from_slice(&[1, 0x01, 0x00]);
        }
        h.push(CODERS_UNPACK_SIZE);
        h.extend(std::iter::repeat_n(1, n.into()));
        h.push(END);
        h
    }

    fn is_limit(r: Result<Vec<Folder>, Error>, what: &str) {
        let e = r.unwrap_err();
        assert_eq!(e.limit_hit(), Some(Limit::MaxEntriesPerContainer), "{e}");
        assert!(e.to_string().contains(what), "{e}");
    }

    #[test]
    fn every_count_the_crate_allocates_for_is_bounded_first() {
        // Packed streams: 9 > 4 × 2.
        let mut h = vec![HEADER, MAIN_STREAMS_INFO, PACK_INFO, 0, 9, SIZE];
        h.extend([1; 9]);
        h.extend([END, END, END]);
        is_limit(limited(&h, 2), "9 packed streams");
        assert!(limited(&h, 3).is_ok());
        // Folders: 3 > 2.
        let mut h = vec![HEADER, MAIN_STREAMS_INFO];
        h.extend(copy_folders(3));
        h.extend([END, END]);
        is_limit(limited(&h, 2), "3 folders");
        assert_eq!(limited(&h, 3).unwrap().len(), 3);
        // Substreams: 2 + 2 > 3, with their sizes and the files after.
        let mut h = vec![HEADER, MAIN_STREAMS_INFO];
        h.extend(copy_folders(2));
        h.extend([
            SUBSTREAMS_INFO,
            NUM_UNPACK_STREAM,
            2,
            2,
            SIZE,
            1,
            1,
            END,
            END,
        ]);
        h.extend([FILES_INFO, 4, 0x19, 1, 0, END, END]);
        is_limit(limited(&h, 3), "substreams");
        assert_eq!(limited(&h, 4).unwrap().len(), 2);
        // Files: 5 > 4 (no streams).
        let h = [HEADER, FILES_INFO, 5, 0x0E, 1, 0xF8, END, END];
        is_limit(limited(&h, 4), "5 files");
        assert!(limited(&h, 5).is_ok());
    }

    #[test]
    fn coders_of_all_folders_together_are_bounded() {
        // Two folders of five chained Copy coders: 10 coders > 4 × 2.
        let mut h = vec![HEADER, MAIN_STREAMS_INFO, UNPACK_INFO, FOLDER, 2, 0];
        for _ in 0..2 {
            h.extend([5, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 2, 2, 3, 3, 4]);
        }
        h.push(CODERS_UNPACK_SIZE);
        h.extend([1; 10]);
        h.extend([END, END, END]);
        let folders = limited(&h, 3).unwrap();
        assert_eq!(folders.len(), 2);
        assert_eq!(folders[0].binds, [(0, 1), (1, 2), (2, 3), (3, 4)]);
        assert_eq!(folders[0].packed, [4]);
        let e = limited(&h, 2).unwrap_err();
        assert_eq!(e.limit_hit(), Some(Limit::MaxEntriesPerContainer), "{e}");
        assert!(e.to_string().contains("more than 8 coders"), "{e}");
    }

    #[test]
    fn an_encoded_header_larger_than_max_toc_size_is_not_decoded() {
        // kEncodedHeader: one LZMA folder declaring a 2 MiB header.
        let h = [
            ENCODED_HEADER,
            PACK_INFO,
            0,
            1,
            SIZE,
            5,
            END,
            UNPACK_INFO,
            FOLDER,
            1,
            0,
            1,
            0x23,
            0x03,
            0x01,
            0x01,
            0x05,
            0x5D,
            0,
            0,
            0x10,
            0,
            CODERS_UNPACK_SIZE,
            0xE0,
            0,
            0,
            0x20,
            END,
            END,
        ];
        let e = limited(&h, 10).unwrap_err();
        assert_eq!(e.limit_hit(), Some(Limit::MaxTocSize), "{e}");
        assert!(e.to_string().contains("2097152 bytes"), "{e}");
    }

    #[test]
    fn an_encrypted_header_is_reported_encrypted_not_decoded() {
        let h = [
            ENCODED_HEADER,
            PACK_INFO,
            0,
            1,
            SIZE,
            5,
            END,
            UNPACK_INFO,
            FOLDER,
            1,
            0,
            1,
            0x04,
            0x06,
            0xF1,
            0x07,
            0x01,
            CODERS_UNPACK_SIZE,
            0x10,
            END,
            END,
        ];
        let e = limited(&h, 10).unwrap_err();
        assert!(matches!(e, Error::Encrypted { .. }), "{e}");
    }

    #[test]
    fn counts_larger_than_the_bytes_left_are_refused_before_allocation() {
        // 2^40 coders declared in a 6-byte folder record.
        let d = [0xF8, 0, 0, 0, 0, 0x01];
        let e = folder(&mut Cur {
            d: &d,
            at: 0,
            max_items: usize::MAX,
            keep: true,
        })
        .unwrap_err();
        assert!(e.to_string().contains("coders"), "{e}");
    }
}
