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

use crate::bcj2::Bcj2Reader;
use installsift_model::error::Error;
use std::io::Read;

const END: u8 = 0x00;
const HEADER: u8 = 0x01;
const ARCHIVE_PROPERTIES: u8 = 0x02;
const ADDITIONAL_STREAMS_INFO: u8 = 0x03;
const MAIN_STREAMS_INFO: u8 = 0x04;
const PACK_INFO: u8 = 0x06;
const UNPACK_INFO: u8 = 0x07;
const SIZE: u8 = 0x09;
const CRC: u8 = 0x0A;
const FOLDER: u8 = 0x0B;
const CODERS_UNPACK_SIZE: u8 = 0x0C;
const ENCODED_HEADER: u8 = 0x17;

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
}

struct Cur<'a> {
    d: &'a [u8],
    at: usize,
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
    let n = c.count(1, "packed streams")?;
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
                let d = c.defined(n)?;
                let k = d.iter().filter(|&&x| x).count();
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
    let n = c.count(2, "folders")?;
    if c.byte()? != 0 {
        return Err(bad("folders in an additional stream (External)"));
    }
    let mut folders = Vec::with_capacity(n);
    for _ in 0..n {
        folders.push(folder(c)?);
    }
    c.expect(CODERS_UNPACK_SIZE)?;
    for f in &mut folders {
        for _ in 0..f.coders.len() {
            f.unpack.push(c.number()?);
        }
    }
    loop {
        match c.byte()? {
            END => return Ok(folders),
            CRC => {
                let d = c.defined(folders.len())?;
                let k = d.iter().filter(|&&x| x).count();
                c.bytes(4 * k as u64)?;
            }
            b => return Err(bad(format!("property {b:#04x} in UnpackInfo"))),
        }
    }
}

/// `StreamsInfo` up to its folders (what follows them is not needed).
fn streams_info(c: &mut Cur<'_>) -> Result<(u64, Vec<u64>, Vec<Folder>), Error> {
    let mut pack = (0, Vec::new());
    loop {
        match c.byte()? {
            PACK_INFO => pack = pack_info(c)?,
            UNPACK_INFO => {
                let folders = unpack_info(c)?;
                return Ok((pack.0, pack.1, folders));
            }
            END => return Ok((pack.0, pack.1, Vec::new())),
            b => return Err(bad(format!("property {b:#04x} in StreamsInfo"))),
        }
    }
}

/// The folders of the archive in `data`, from the header its start header
/// locates (an encoded header is decoded with our stack, its output bounded
/// by `max_header` bytes).
pub(super) fn read_folders(
    data: &[u8],
    mem_kb: usize,
    max_header: u64,
) -> Result<Vec<Folder>, Error> {
    let off = super::super::le_u64(data, 12).ok_or_else(|| bad("no start header"))?;
    let size = super::super::le_u64(data, 20).ok_or_else(|| bad("no start header"))?;
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
    let mut owned: Vec<u8>;
    let mut head: &[u8] = data.get(start..end).unwrap_or(&[]);
    for _ in 0..MAX_ENCODED_LEVELS {
        let mut c = Cur { d: head, at: 0 };
        match c.byte()? {
            HEADER => return header(&mut c),
            ENCODED_HEADER => {
                let (pos, sizes, folders) = streams_info(&mut c)?;
                let f = folders
                    .first()
                    .ok_or_else(|| bad("encoded header without folder"))?;
                let first = pos
                    .checked_add(32)
                    .ok_or_else(|| bad("packed header position beyond memory"))?;
                let want = f.unpack.get(main_out(f)?).copied().unwrap_or(0);
                if want > max_header {
                    return Err(bad(format!(
                        "encoded header of {want} bytes, more than {max_header}"
                    )));
                }
                let mut r = folder_reader(data, first, &sizes, f, mem_kb)?;
                owned = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
                (&mut r)
                    .take(want)
                    .read_to_end(&mut owned)
                    .map_err(|e| bad(format!("encoded header: {e}")))?;
                head = &owned;
            }
            b => return Err(bad(format!("next header starts with {b:#04x}"))),
        }
    }
    Err(bad("encoded headers nested too deep"))
}

/// `Header` up to the main streams' folders.
fn header(c: &mut Cur<'_>) -> Result<Vec<Folder>, Error> {
    loop {
        match c.byte()? {
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
            MAIN_STREAMS_INFO => return Ok(streams_info(c)?.2),
            _ => return Ok(Vec::new()),
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
    out_reader(f, main_out(f)?, &slices, &mut used, mem_kb)
}

/// The reader of out-stream `o` (coder `o`: every coder has one output).
fn out_reader<'a>(
    f: &Folder,
    o: usize,
    slices: &[&'a [u8]],
    used: &mut [bool],
    mem_kb: usize,
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
            inputs.push(Input::Reader(out_reader(f, from, slices, used, mem_kb)?));
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
        Some(Input::Packed(s)) => {
            super::decode::add(None, s, &coder.id, &coder.props, size, mem, mem_kb)
        }
        Some(Input::Reader(r)) => {
            super::decode::add(Some(r), &[], &coder.id, &coder.props, size, mem, mem_kb)
        }
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
            let mut c = Cur { d: bytes, at: 0 };
            assert_eq!(c.number().unwrap(), want, "{bytes:02x?}");
            assert_eq!(c.at, bytes.len());
        }
    }

    #[test]
    fn counts_larger_than_the_bytes_left_are_refused_before_allocation() {
        // 2^40 coders declared in a 6-byte folder record.
        let d = [0xF8, 0, 0, 0, 0, 0x01];
        let e = folder(&mut Cur { d: &d, at: 0 }).unwrap_err();
        assert!(e.to_string().contains("coders"), "{e}");
    }
}
