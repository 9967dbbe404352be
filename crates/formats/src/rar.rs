//! RAR archives (RAR 1.5–4.x and RAR 5): listed by our own header walk;
//! stored entries are unpacked, and compressed ones decoded by our own
//! decoders: RAR 5's ([`unpack5`]) and RAR 2.9's, the compression of RAR
//! 3.x and 4.x archives ([`unpack3`]: LZ, PPMd blocks, the standard RarVM
//! filters), solid archives included. The older RAR 1.5 and 2.0
//! compressions are not decoded. A RAR after a PE makes a RAR SFX.
//!
//! - Every block header's CRC is checked (RAR 4: the low 16 bits of the
//!   CRC-32 of the header after its CRC field; RAR 5: the CRC-32 of the
//!   header from its size field on). A mismatch is a `checksum` error on the
//!   archive naming the header's offset; the walk goes on.
//! - A stored (method 0) file is a child whose bytes are the stored data;
//!   its CRC-32 is checked: a match is `verified_by: rar-crc32`, a mismatch a
//!   `checksum` error on the child, which keeps its bytes. A RAR 5 hash
//!   record (BLAKE2sp) is checked the same way (`rar-blake2sp`).
//! - A RAR 5 compressed file is decoded (methods 1–5, format versions 0
//!   and 1) and its CRC-32 checked as a stored one's. Its dictionary is
//!   allocated as the decoding needs it, up to the declared size; a file
//!   whose dictionary would pass `max_dictionary` is missing with a limit
//!   error. A solid file is decoded only when every file before it in the
//!   solid stream was decoded to its end; otherwise it is missing, saying
//!   why.
//! - A RAR 4 file compressed by RAR 2.9's method (unpack version 29 or 36,
//!   what RAR 3.x and 4.x write) is decoded the same way, its window (at
//!   most 4 MiB) and any PPMd model memory it declares bounded by
//!   `max_dictionary`; a filter that is not one of RAR's standard RarVM
//!   programs, or a PPMd block that goes on with an earlier block's model,
//!   is an `unsupported` error. A file of the RAR 1.5 or 2.0 methods is a
//!   `Missing` child with an `unsupported` error; an encrypted one (RAR 4 flag 0x04, RAR 5 encryption record)
//!   `encrypted`. An encrypted RAR 5 header stops the listing with an
//!   `encrypted` error.
//! - Volume sets ([`open_set`], when the engine can hand over the volumes
//!   lying beside the input; see [`volume`] for names and flags): the first
//!   volume lists the whole set, walking on into each next volume its end
//!   block announces, a file that spans volumes joined (its parts' packed
//!   data put together; each non-last part's CRC-32, which covers that
//!   part's packed data, checked, and the last part's CRC-32 over the
//!   whole file), a solid stream decoded across volumes. A later volume
//!   whose first volume lies beside it lists nothing (its files are the
//!   first's); one without lists the files that begin in it, and a file
//!   continued from an earlier volume is `Missing` (`unsupported`). Opened
//!   alone ([`open`]), a file continued from or into another volume is
//!   `Missing` with an `unsupported` error.
//! - A header or data area that runs past the end is a `truncated` error
//!   naming its offset; the files before it are kept. So is an archive
//!   without an end-of-archive block (cut at a block boundary).
//! - Directories, and RAR 5 links (a redirection record: symbolic link,
//!   junction, hard link or file copy), are counted, not reported as
//!   children. A RAR 5 file version record names the file `name;N`, as
//!   unrar and bsdtar do.

use super::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use super::{le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format, Limit};
use serde::Serialize;

mod lz;
mod unpack3;
mod unpack5;
pub mod volume;
use std::borrow::Cow;
use unpack3::Unpack3;
use unpack5::Unpack5;
pub use volume::VolumeStore;

/// RAR 1.5–4.x signature.
pub const RAR4_MAGIC: &[u8] = b"Rar!\x1a\x07\x00";
/// RAR 5 signature.
pub const RAR5_MAGIC: &[u8] = b"Rar!\x1a\x07\x01\x00";

/// The signature of RAR `version` 4 (1.5–4.x) or 5.
/// The format version (4 or 5) the signature at the start of `data` names
/// (4 when neither does: the caller has sniffed it).
fn version_of(data: &[u8]) -> u8 {
    if data.starts_with(RAR5_MAGIC) {
        5
    } else {
        4
    }
}

fn magic(version: u8) -> &'static [u8] {
    if version == 5 {
        RAR5_MAGIC
    } else {
        RAR4_MAGIC
    }
}

/// RAR facts.
#[derive(Debug, Clone, Serialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RarInfo {
    /// `4` (RAR 1.5–4.x format) or `5`.
    pub rar_version: u8,
    /// File entries listed (directories excluded).
    pub entries: u64,
    /// Directory entries.
    pub directories: u64,
    /// RAR 5 links (symbolic links, junctions, hard links, file copies):
    /// counted, not reported as children (their data is their target's).
    pub links: u64,
    /// File entries stored without compression (unpacked and checked).
    pub stored_entries: u64,
    /// Compressed file entries handed to a decoder (RAR 2.9's or RAR 5's).
    pub decoded_entries: u64,
    /// File entries whose data is encrypted.
    pub encrypted_entries: u64,
    /// The headers are encrypted (nothing can be listed without the password).
    pub header_encrypted: bool,
    /// Volumes of a set walked from this one (itself included; 0 when it
    /// was read alone, as every archive inside a container is).
    #[serde(skip_serializing_if = "is_zero")]
    pub volumes_read: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A volume set's other volumes, by name (the engine looks for them beside
/// the input file, or among the entries of the container that holds the
/// volume): their whole bytes, read (kept in the [`VolumeStore`]) or
/// borrowed.
pub type Volumes<'r> = &'r dyn Fn(&str) -> Option<Cow<'r, [u8]>>;

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "rar",
    format: Format::Rar,
    sniff,
    open,
};

/// A RAR 4 or RAR 5 signature at the start.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(RAR4_MAGIC) || data.starts_with(RAR5_MAGIC)
}

/// A volume of a RAR set (its main header says so): the engine holds such
/// an entry of a container until the container's end, so that it is opened
/// with its set's other volumes among its sibling entries.
pub fn is_volume(data: &[u8]) -> bool {
    volume::place(data, version_of(data)).is_some_and(|p| p.volume)
}

/// Open a RAR archive: the signature is read; the blocks are walked as the
/// engine pulls entries.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    Opened::Container(Box::new(walk(data, opts, notes)))
}

/// [`open`] for a RAR given as a file whose volume set's other volumes
/// `find` hands over (the module docs say what is listed where), kept in
/// `store` while the walk lasts.
pub fn open_set<'a>(
    data: &'a [u8],
    opts: &Options<'_>,
    notes: &mut Notes,
    find: Volumes<'a>,
    store: &'a VolumeStore,
) -> Opened<'a> {
    let mut w = walk(data, opts, notes);
    let v = w.info.rar_version;
    let Some(place) = volume::place(data, v).filter(|p| p.volume) else {
        return Opened::Container(Box::new(w));
    };
    let name = opts.name.rsplit(['/', '\\']).next().unwrap_or("");
    let first = place
        .first
        .unwrap_or_else(|| volume::first_names(name, place.new_numbering).is_none());
    let is_first_of_set =
        |b: &[u8]| volume::place(b, v).is_some_and(|p| p.volume && p.first != Some(false));
    if !first {
        let beside = volume::first_names(name, place.new_numbering).and_then(|names| {
            names
                .into_iter()
                .find(|n| find(n).is_some_and(|b| is_first_of_set(&b)))
        });
        if let Some(first_name) = beside {
            notes.evidence(Evidence::strong(
                "rar-volume",
                format!(
                    "a later volume of a RAR set whose first volume `{first_name}` lies beside it: the set's files are listed under that volume"
                ),
                None,
            ));
            w.done = true;
            return Opened::Container(Box::new(w));
        }
    }
    w.info.volumes_read = 1;
    w.set = Some(VolumeSet {
        find,
        store,
        new_numbering: place.new_numbering,
        names: vec![name.to_owned()],
        loaded: vec![data],
        current: 0,
        max_volumes: opts.limits.max_volumes_per_set,
        max_bytes: opts.limits.max_volume_set_bytes,
        held: 0,
        joined: None,
        alone: !first,
        number: place.number.unwrap_or(0),
    });
    Opened::Container(Box::new(w))
}

/// The walk of one archive (the signature read, its evidence noted).
fn walk<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Walk<'a> {
    let w = Walk::bare(data, opts.limits.max_dictionary);
    notes.evidence(Evidence::strong(
        "rar-signature",
        format!("RAR {} signature", w.info.rar_version),
        Some(0),
    ));
    w
}

/// A volume set being walked from the input: the volumes read so far and
/// where they and the joined files are kept.
struct VolumeSet<'a> {
    find: Volumes<'a>,
    store: &'a VolumeStore,
    new_numbering: bool,
    /// Names and bytes of the volumes read, the input first.
    names: Vec<String>,
    loaded: Vec<&'a [u8]>,
    /// The volume being walked (an index into `loaded`).
    current: usize,
    max_volumes: u64,
    max_bytes: u64,
    /// Bytes of the volumes read after the input and of joined files.
    held: u64,
    /// A file joined across volumes and the last volume its parts reach:
    /// the continued headers that open the volumes after the one it
    /// begins in, up to that one, are its parts.
    joined: Option<(String, usize)>,
    /// A later volume whose first volume is not beside it: its own files
    /// are listed (a spanning one joined with the volumes after it), the
    /// walk does not go on into the next volume (that one lists its own).
    alone: bool,
    /// The input's RAR 5 volume number (0: the first volume): volume `i`
    /// of the walk must say `number + i`.
    number: u64,
}

/// The block walk, one block at a time.
struct Walk<'a> {
    data: &'a [u8],
    /// Offset of the next block header.
    at: usize,
    /// The walk is over: the end-of-archive block was met, or the walk
    /// could not go on (the error is already noted).
    done: bool,
    info: RarInfo,
    /// The largest dictionary the decoder may allocate.
    max_dictionary: u64,
    /// The RAR 5 decoder of the current (solid) stream.
    unpack: Option<Unpack5>,
    /// The RAR 2.9 decoder of the current (solid) stream.
    unpack3: Option<Unpack3<'a>>,
    /// Every file of the current solid stream so far was decoded to its
    /// end: the next solid file can be.
    chain: bool,
    /// Checksums of the entry being decoded.
    sums: Sums,
    /// The entry being decoded: name, its stored CRC-32 and BLAKE2sp, data
    /// offset.
    pending: Option<Pending>,
    /// The volume set walked from this archive ([`open_set`]).
    set: Option<VolumeSet<'a>>,
    /// The current volume's end block says the set goes on in the next.
    end_next: bool,
    /// A RAR 4 header showed the archive to be RAR 2.9's or later's, which
    /// always end with an end-of-archive block.
    ends_with_block: bool,
}

impl<'a> Walk<'a> {
    /// A walk of `data` from just after its signature, nothing read yet.
    fn bare(data: &'a [u8], max_dictionary: u64) -> Walk<'a> {
        let v = version_of(data);
        Walk {
            data,
            at: magic(v).len(),
            done: false,
            info: RarInfo {
                rar_version: v,
                ..RarInfo::default()
            },
            max_dictionary,
            unpack: None,
            unpack3: None,
            chain: false,
            sums: Sums::default(),
            pending: None,
            set: None,
            end_next: false,
            ends_with_block: false,
        }
    }

    /// The next block describing a file, in this volume.
    fn next_file(&mut self, notes: &mut Notes) -> Option<File<'a>> {
        while !self.done && self.at < self.data.len() {
            let f = if self.info.rar_version == 5 {
                self.rar5_block(notes)
            } else {
                self.rar4_block(notes)
            };
            if f.is_some() {
                return f;
            }
        }
        None
    }

    /// Is `f`, a file continued from an earlier volume, a part of the file
    /// joined across volumes (so already listed)?
    fn part_of_joined(&mut self, f: &File<'_>) -> bool {
        let Some(set) = self.set.as_mut() else {
            return false;
        };
        let Some((name, upto)) = &set.joined else {
            return false;
        };
        if *name != f.name || set.current > *upto {
            return false;
        }
        if set.current == *upto {
            set.joined = None;
        }
        true
    }

    /// Volume `i` of the set (0 is the input), read beside the input when
    /// it was not yet: it must be the next volume of the same set, within
    /// the limits.
    fn volume(&mut self, i: usize) -> Result<&'a [u8], Error> {
        let v = self.info.rar_version;
        let Some(set) = self.set.as_mut() else {
            return Err(Error::unsupported(
                "this volume was read alone, without its set's other volumes",
            ));
        };
        if let Some(&d) = set.loaded.get(i) {
            return Ok(d);
        }
        let last = set.names.last().cloned().unwrap_or_default();
        if set.loaded.len() as u64 >= set.max_volumes {
            return Err(Error::limit(
                Limit::MaxVolumesPerSet,
                format!(
                    "the set goes on after `{last}`, its volume {}: past the limit of {} volumes",
                    set.loaded.len(),
                    set.max_volumes
                ),
            ));
        }
        let Some(name) = volume::next_name(&last, set.new_numbering) else {
            return Err(Error::unsupported(format!(
                "the set goes on after `{last}`, and no next volume name follows from that name"
            )));
        };
        if set.names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            return Err(Error::malformed(format!(
                "the set goes on after `{last}` into `{name}`, a volume read already"
            )));
        }
        let Some(bytes) = (set.find)(&name) else {
            return Err(Error::unsupported(format!(
                "the set goes on in volume `{name}`, which was not found beside `{}` (or is larger than max_entry_size or max_volume_set_bytes allow): the files from there on are not listed",
                set.names.first().map_or("", String::as_str)
            )));
        };
        let place = volume::place(&bytes, v);
        let number = set.number.checked_add(i as u64);
        match place {
            Some(p) if p.volume && p.first != Some(true) && (v != 5 || p.number == number) => {}
            _ => {
                return Err(Error::malformed(format!(
                    "`{name}`, beside `{last}`, is not volume {} of this RAR {v} set",
                    set.number.saturating_add(i as u64 + 1)
                )));
            }
        }
        let len = bytes.len() as u64;
        if set.held.saturating_add(len) > set.max_bytes {
            return Err(Error::limit(
                Limit::MaxVolumeSetBytes,
                format!(
                    "volume `{name}` ({len} bytes) would take the set's held bytes past the {}-byte limit",
                    set.max_bytes
                ),
            ));
        }
        let kept = match bytes {
            // Held by the engine for longer than the walk: used as it is.
            Cow::Borrowed(b) => b,
            Cow::Owned(v) => {
                let Some(kept) = set.store.keep(v) else {
                    return Err(Error::limit(
                        Limit::MaxVolumesPerSet,
                        format!("volume `{name}`: no room left to keep it"),
                    ));
                };
                kept
            }
        };
        set.held += len;
        set.names.push(name);
        set.loaded.push(kept);
        Ok(kept)
    }

    /// Go on into the next volume when the current one's end block
    /// announced it and the set is walked from here; false when the walk
    /// is over.
    fn next_volume(&mut self, notes: &mut Notes) -> bool {
        let Some(set) = self.set.as_ref() else {
            return false;
        };
        if !(self.done && self.end_next) || set.alone {
            return false;
        }
        let i = set.current + 1;
        match self.volume(i) {
            Ok(data) => {
                self.data = data;
                self.at = magic(self.info.rar_version).len();
                self.done = false;
                self.end_next = false;
                self.info.volumes_read += 1;
                if let Some(set) = self.set.as_mut() {
                    set.current = i;
                }
                true
            }
            Err(e) => {
                notes.error(e);
                false
            }
        }
    }

    /// Join `f`, a file that goes on into the next volumes, with its parts
    /// there: on success its data is the parts' packed data together (kept
    /// in the store) and its checksums the last part's; else `split_error`
    /// says why not.
    fn join(&mut self, f: &mut File<'a>) {
        let Some(first) = f.data else {
            return;
        };
        let mut parts = vec![first];
        let mut errors = Vec::new();
        let part_crc = |errors: &mut Vec<Error>, crc: Option<u32>, d: &[u8], part: usize| {
            if let Some(want) = crc {
                let got = crc32fast::hash(d);
                if got != want {
                    errors.push(Error::checksum(format!(
                        "part {part} of the file: CRC-32 stored {want:08x}, its packed data hashes to {got:08x}"
                    )));
                }
            }
        };
        part_crc(&mut errors, f.crc, first, 1);
        let Some(mut i) = self.set.as_ref().map(|s| s.current + 1) else {
            return;
        };
        let last = loop {
            let data = match self.volume(i) {
                Ok(d) => d,
                Err(e) => {
                    f.spread.split_error = Some(e);
                    return;
                }
            };
            let vname = self
                .set
                .as_ref()
                .and_then(|s| s.names.get(i).cloned())
                .unwrap_or_default();
            let p = Walk::bare(data, 0).next_file(&mut Notes::default());
            let Some(p) = p.filter(|p| p.split_before && p.name == f.name) else {
                f.spread.split_error = Some(Error::malformed(format!(
                    "it goes on into volume `{vname}`, whose first file is not its next part"
                )));
                return;
            };
            // This volume's first header is a part of this file: when the
            // walk reaches it, it is skipped (listed here, joined or not).
            if let Some(set) = self.set.as_mut() {
                set.joined = Some((f.name.clone(), i));
            }
            let Some(d) = p.data else {
                f.spread.split_error = Some(Error::truncated(format!(
                    "its part in volume `{vname}` runs past that volume's end"
                )));
                return;
            };
            parts.push(d);
            if !p.split_after {
                break p;
            }
            part_crc(&mut errors, p.crc, d, parts.len());
            i += 1;
        };
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let Some(set) = self.set.as_mut() else {
            return;
        };
        if set.held.saturating_add(total as u64) > set.max_bytes {
            f.spread.split_error = Some(Error::limit(
                Limit::MaxVolumeSetBytes,
                format!(
                    "its {total} packed bytes in {} volumes would take the set's held bytes past the {}-byte limit",
                    parts.len(),
                    set.max_bytes
                ),
            ));
            return;
        }
        let mut joined = Vec::with_capacity(total);
        for p in &parts {
            joined.extend_from_slice(p);
        }
        let Some(kept) = set.store.keep(joined) else {
            f.spread.split_error = Some(Error::limit(
                Limit::MaxVolumesPerSet,
                "no room left to keep its joined parts",
            ));
            return;
        };
        set.held += total as u64;
        set.joined = Some((f.name.clone(), i));
        f.data = Some(kept);
        f.packed = total as u64;
        f.crc = last.crc;
        f.blake = last.blake;
        f.split_after = false;
        f.spread.joined = true;
        f.spread.part_errors = errors;
    }

    /// The entry for a stored file whose bytes are not a region of the
    /// node (a later volume's, or joined): read through, and checked as a
    /// decoded file's.
    fn stored_elsewhere(&mut self, f: File<'a>) -> Entry<'_> {
        self.info.entries += 1;
        let e = f.entry_info();
        let size = f.size;
        let bytes = match f.stored_bytes() {
            Ok(b) => b,
            Err(error) => {
                return Entry {
                    name: f.name,
                    info: e,
                    data: Data::Missing { size, error },
                }
            }
        };
        let what = f.what();
        self.info.stored_entries += 1;
        self.sums = Sums::new(f.blake.is_some());
        self.pending = Some((what, f.crc, f.blake, f.here()));
        Entry {
            name: f.name,
            info: e,
            data: Data::Decode {
                reader: Box::new(SumReader {
                    inner: bytes,
                    sums: &mut self.sums,
                }),
                declared: Some(size),
                stored: Some(f.packed),
            },
        }
    }
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        loop {
            while let Some(mut f) = self.next_file(notes) {
                if f.split_before && self.part_of_joined(&f) {
                    continue;
                }
                if let Some(set) = &self.set {
                    if set.current > 0 {
                        f.spread.volume = set.names.get(set.current).cloned();
                    }
                    if f.split_before {
                        f.spread.split_error = Some(Error::unsupported(format!(
                            "{} goes on from an earlier volume, which is not beside this one: only the volume it begins in can list it",
                            f.what()
                        )));
                    } else if f.split_after && !f.encrypted {
                        self.join(&mut f);
                        if let Some(e) = f.spread.split_error.take() {
                            f.spread.split_error = Some(context(
                                e,
                                &format!("{} goes on into the next volume", f.what()),
                            ));
                        }
                    }
                }
                let whole = !(f.encrypted || f.split_before || f.split_after);
                if f.stored && whole && f.elsewhere() {
                    return Some(self.stored_elsewhere(f));
                }
                return Some(if self.info.rar_version == 5 {
                    self.rar5_entry(f)
                } else {
                    self.rar4_entry(f)
                });
            }
            if !self.next_volume(notes) {
                return None;
            }
        }
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        let Some((what, want, blake, at)) = self.pending.take() else {
            return;
        };
        // A solid stream goes on only from a file decoded to its end.
        let finished = if self.info.rar_version == 5 {
            self.unpack.as_ref().is_some_and(Unpack5::finished)
        } else {
            self.unpack3.as_ref().is_some_and(Unpack3::finished)
        };
        self.chain = read.is_ok() && finished;
        if let Err(e) = read {
            *e = context(e.clone(), &what);
            return;
        }
        let sums = std::mem::take(&mut self.sums);
        sums.check(want, blake, info, &what, at, "decodes");
    }

    fn finish(self: Box<Self>, end: End, notes: &mut Notes) -> Parsed {
        // RAR 1.5–2.x archives end after their last file; only RAR 2.9 and
        // later (RAR 5 always) write the block whose absence means a cut.
        let expects_end = self.info.rar_version == 5 || self.ends_with_block;
        if !self.done && end == End::Exhausted && expects_end {
            notes.error(no_end_block(self.info.rar_version, self.data.len()));
        }
        Parsed {
            format: Format::Rar,
            metadata: Some(Metadata::Rar(Box::new(self.info))),
        }
    }
}

/// One file entry, whichever version described it.
struct File<'a> {
    name: String,
    size: u64,
    packed: u64,
    /// Offset of the stored data in the archive.
    at: usize,
    data: Option<&'a [u8]>,
    crc: Option<u32>,
    stored: bool,
    method: String,
    encrypted: bool,
    /// The data goes on from the previous volume (RAR 4 flag 0x01, RAR 5
    /// block flag 0x08) or into the next (0x02, 0x10).
    split_before: bool,
    split_after: bool,
    /// Where it stands in a volume set (nothing when read alone).
    spread: Spread,
    /// RAR 5 compression information (format version, solid flag, method,
    /// dictionary size).
    comp: Option<u64>,
    /// RAR 5 BLAKE2sp hash record.
    blake: Option<[u8; 32]>,
    /// Modification time (RAR 4: the packer's local DOS time; RAR 5: UTC).
    mtime: Option<installsift_model::Timestamp>,
    /// RAR 4: the unpack version (29: RAR 2.9's method) and the solid flag.
    rar4: Option<(u8, bool)>,
}

/// A file's place in a volume set, as the set walk finds it.
#[derive(Default)]
struct Spread {
    /// Why a file going on into the next volume could not be joined, or
    /// why one going on from an earlier volume is not listed here.
    split_error: Option<Error>,
    /// The volume its header lies in, when not the node itself.
    volume: Option<String>,
    /// Its data was joined from parts in several volumes.
    joined: bool,
    /// Mismatched CRC-32s of the joined parts before the last.
    part_errors: Vec<Error>,
}

/// The entry being decoded: what it is (for messages), its stored CRC-32
/// and BLAKE2sp, and its data offset in the node (none in another volume).
type Pending = (String, Option<u32>, Option<[u8; 32]>, Option<u64>);

impl<'a> File<'a> {
    /// A stored file's bytes: its data, all there and as long as the file.
    fn stored_bytes(&self) -> Result<&'a [u8], Error> {
        let what = self.what();
        match self.data {
            Some(b) if b.len() as u64 == self.size => Ok(b),
            Some(_) => Err(Error::malformed(format!(
                "{what}: stored, but {} bytes packed for {} unpacked",
                self.packed, self.size
            ))),
            None => Err(Error::truncated(format!(
                "{what}: {} stored bytes declared, the archive ends first",
                self.packed
            ))),
        }
        .map_err(|e| e.at_opt(self.here()))
    }

    /// The data's offset in the node's bytes (none when it lies in
    /// another volume).
    fn here(&self) -> Option<u64> {
        self.spread.volume.is_none().then_some(self.at as u64)
    }

    /// The file, for messages.
    fn what(&self) -> String {
        match &self.spread.volume {
            None => format!("RAR entry `{}` (data at offset {})", self.name, self.at),
            Some(v) => format!(
                "RAR entry `{}` (volume `{v}`, data at offset {})",
                self.name, self.at
            ),
        }
    }

    /// Are its bytes somewhere else than a region of the node?
    fn elsewhere(&self) -> bool {
        self.spread.volume.is_some() || self.spread.joined
    }

    /// Its entry info: offset, time, sizes, method, and the errors of its
    /// joined parts.
    fn entry_info(&self) -> EntryInfo {
        let mut e = EntryInfo::new(EntryKind::File).modified(self.mtime);
        e.offset = self.here();
        e.compressed_size = Some(self.packed);
        e.method = Some(self.method.clone());
        e.encrypted = self.encrypted;
        let what = self.what();
        for err in &self.spread.part_errors {
            e.add_error(context(err.clone(), &what));
        }
        e
    }
}

/// The checksums a RAR file may carry, computed over its bytes.
#[derive(Default)]
struct Sums {
    crc: crc32fast::Hasher,
    blake: Option<blake2s_simd::blake2sp::State>,
}

impl Sums {
    fn new(blake: bool) -> Sums {
        Sums {
            crc: crc32fast::Hasher::new(),
            blake: blake.then(blake2s_simd::blake2sp::State::new),
        }
    }

    fn update(&mut self, b: &[u8]) {
        self.crc.update(b);
        if let Some(s) = &mut self.blake {
            s.update(b);
        }
    }

    /// Record on `info` what the stored CRC-32 and BLAKE2sp say of the
    /// bytes summed.
    fn check(
        self,
        crc: Option<u32>,
        blake: Option<[u8; 32]>,
        info: &mut EntryInfo,
        what: &str,
        at: Option<u64>,
        verb: &str,
    ) {
        if let Some(want) = crc {
            let got = self.crc.finalize();
            if got == want {
                info.add_verified(Check::RarCrc32);
            } else {
                info.add_error(
                    Error::checksum(format!(
                        "{what}: CRC-32 stored {want:08x}, data {verb} to {got:08x}"
                    ))
                    .at_opt(at),
                );
            }
        }
        if let (Some(want), Some(state)) = (blake, self.blake) {
            let got = state.finalize();
            if *got.as_bytes() == want {
                info.add_verified(Check::RarBlake2sp);
            } else {
                info.add_error(
                    Error::checksum(format!(
                        "{what}: BLAKE2sp stored {}, data {verb} to {}",
                        hex(&want),
                        got.to_hex()
                    ))
                    .at_opt(at),
                );
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The entry for a file: its stored bytes when they can be had, checked
/// against the stored CRC-32.
fn emit<'a>(f: File<'a>, info: &mut RarInfo) -> Entry<'a> {
    info.entries += 1;
    let mut e = f.entry_info();
    let what = f.what();
    let here = f.here();
    let size = f.size;
    let missing = |name: String, info: EntryInfo, error| Entry {
        name,
        info,
        data: Data::Missing { size, error },
    };
    if f.encrypted {
        info.encrypted_entries += 1;
        let err = Error::encrypted(format!("{what} is encrypted; not decrypted")).at_opt(here);
        return missing(f.name, e, err);
    }
    if f.split_before || f.split_after {
        let err = match f.spread.split_error {
            Some(err) => err,
            None => Error::unsupported(format!(
                "{what} continues in another volume; this volume was read alone, without its set's other volumes"
            )),
        }
        .at_opt(here);
        return missing(f.name, e, err);
    }
    if !f.stored {
        let (version, _) = f.rar4.unwrap_or((0, false));
        let err = match version {
            15 | 20 | 26 => Error::unsupported(format!(
                "{what}: the RAR {} compression ({}, unpack version {version}) is not decoded",
                if version < 20 { "1.5" } else { "2.0" },
                f.method
            )),
            _ => Error::malformed(format!(
                "{what}: compressed ({}) with unpack version {version}, which no RAR writes (15, 20, 26, 29, 36)",
                f.method
            )),
        }
        .at_opt(here);
        return missing(f.name, e, err);
    }
    let bytes = match f.stored_bytes() {
        Ok(b) => b,
        Err(err) => return missing(f.name, e, err),
    };
    info.stored_entries += 1;
    let mut sums = Sums::new(f.blake.is_some());
    sums.update(bytes);
    sums.check(f.crc, f.blake, &mut e, &what, here, "hashes");
    Entry {
        name: f.name,
        info: e,
        data: Data::Slice(bytes),
    }
}

/// The slice `at..at+len` when it is inside `data`.
fn span(data: &[u8], at: usize, len: u64) -> Option<&[u8]> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    data.get(at..end)
}

/// RAR 1.5–4.x: blocks of `HEAD_CRC u16, HEAD_TYPE u8, HEAD_FLAGS u16,
/// HEAD_SIZE u16` (+ `ADD_SIZE u32` for long blocks; a file header's
/// PACK_SIZE is its add size).
/// The error for an archive whose walk met the end of the data before an
/// end-of-archive block (WinRAR 2.9 and later always write one).
fn no_end_block(v: u8, at: usize) -> Error {
    Error::truncated(format!(
        "RAR {v} archive has no end-of-archive block: the data ends at offset {at}, the archive was cut short"
    )).at(at as u64)
}

impl<'a> Walk<'a> {
    /// One RAR 1.5–4.x block at `self.at`: the file it describes, if any;
    /// the walk moves past it (or is done).
    fn rar4_block(&mut self, notes: &mut Notes) -> Option<File<'a>> {
        let (data, at) = (self.data, self.at);
        let (Some(crc), Some(&kind), Some(flags), Some(size)) = (
            le_u16(data, at),
            data.get(at + 2),
            le_u16(data, at + 3),
            le_u16(data, at + 5),
        ) else {
            notes.error(
                Error::truncated(format!("RAR block header at offset {at} is cut short"))
                    .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let size = usize::from(size);
        let Some(head) = data.get(at..at + size).filter(|_| size >= 7) else {
            notes.error(
                Error::truncated(format!(
                    "RAR block at offset {at} declares a {size}-byte header; {} bytes remain",
                    data.len() - at
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        if let Some(covered) = rar4_crc_span(head, kind, flags) {
            let got = crc32fast::hash(covered) & 0xFFFF;
            if got != u32::from(crc) {
                notes.error(Error::checksum(format!(
                    "RAR block header (type {kind:#04x}) at offset {at}: CRC {crc:04x}, header hashes to {got:04x}"
                )).at(at as u64));
            }
        }
        // RAR 2.9 and later write an end-of-archive block; what only they
        // write says the archive is one of theirs (a first-volume flag, a
        // service sub-block (type 0x7a), extended times, Unicode names,
        // salt, an unpack version of 29 and up). So does an unpack version
        // none of the older ones wrote (15, 20, 26): a damaged header is not
        // let off the end-block check.
        if (kind == 0x73 && flags & 0x0100 != 0)
            || kind == 0x7a
            || (kind == 0x74
                && (flags & 0x1600 != 0
                    || head.get(24).is_some_and(|&v| !matches!(v, 15 | 20 | 26))))
        {
            self.ends_with_block = true;
        }
        // File headers (and long blocks) are followed by their data.
        let add = if kind == 0x74 || kind == 0x7a || flags & 0x8000 != 0 {
            le_u32(head, 7).map_or(0, u64::from)
        } else {
            0
        };
        let file = if kind == 0x74 {
            rar4_file(data, at, head, flags, &mut self.info, notes)
        } else if kind == 0x73 && flags & 0x80 != 0 {
            // The main header says every header after it is encrypted.
            self.info.header_encrypted = true;
            notes.error(
                Error::encrypted(format!(
                    "RAR 4 archive's headers after offset {} are encrypted (main header flag 0x80): nothing can be listed without the password",
                    at + size
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        } else if kind == 0x7b {
            // End-block flag 0x0001: the set goes on in the next volume.
            self.end_next = flags & 0x0001 != 0;
            self.done = true;
            return None;
        } else {
            None
        };
        match usize::try_from(add)
            .ok()
            .and_then(|a| at.checked_add(size)?.checked_add(a))
        {
            // A block other than a file's whose data runs past the end:
            // the archive was cut inside it (a file's own entry says so).
            Some(next) if next > data.len() && kind != 0x74 => {
                notes.error(
                    Error::truncated(format!(
                        "RAR block (type {kind:#04x}) at offset {at} declares {add} bytes of data; {} remain after its header",
                        data.len().saturating_sub(at + size)
                    ))
                    .at(at as u64),
                );
                self.done = true;
            }
            Some(next) => self.at = next,
            None => self.done = true,
        }
        file
    }
}

/// The bytes of a RAR 1.5–4.x block header its 16-bit CRC covers (from
/// after the CRC field), as unrar and rarfile read them: the whole header,
/// except that an archive comment embedded in the main header (flag
/// 0x0002, RAR 1.5–2.x) and a file comment embedded in a file header (flag
/// 0x0008) lie outside it, and an old-style Unix or Mac owner sub-block
/// (type 0x77, sub-type 0x101/0x102) covers its data instead (not checked:
/// `None`).
fn rar4_crc_span(head: &[u8], kind: u8, flags: u16) -> Option<&[u8]> {
    let long = if flags & 0x8000 != 0 { 4 } else { 0 };
    let end = match kind {
        0x73 if flags & 0x0002 != 0 => 7 + long + 6 + usize::from(flags & 0x0200 != 0),
        0x74 if flags & 0x0008 != 0 => rar4_file_fields_end(head, flags)?,
        0x77 if matches!(le_u16(head, 7 + long), Some(0x101 | 0x102)) => return None,
        _ => head.len(),
    };
    head.get(2..end.min(head.len()))
}

/// Where a RAR 4 file header's fields end: after the name, the salt (flag
/// 0x0400) and the extended times (flag 0x1000), before any embedded
/// comment.
fn rar4_file_fields_end(head: &[u8], flags: u16) -> Option<usize> {
    let mut p = if flags & 0x100 != 0 { 40 } else { 32 };
    p += usize::from(le_u16(head, 26)?);
    if flags & 0x0400 != 0 {
        p += 8;
    }
    if flags & 0x1000 != 0 {
        let times = le_u16(head, p)?;
        p += 2;
        // Four times (modification, creation, access, archiving), four
        // bits each from the top: 8 present, low two bits the count of
        // extra precision bytes; all but the modification time carry a
        // DOS time of their own.
        for i in 0..4 {
            let mode = (times >> ((3 - i) * 4)) & 0xF;
            if mode & 8 != 0 {
                if i != 0 {
                    p += 4;
                }
                p += usize::from(mode & 3);
            }
        }
    }
    Some(p)
}

/// One RAR 4 file header: the file, none for a directory or a header too
/// short for its fields (noted).
fn rar4_file<'a>(
    data: &'a [u8],
    at: usize,
    head: &[u8],
    flags: u16,
    info: &mut RarInfo,
    notes: &mut Notes,
) -> Option<File<'a>> {
    let (Some(pack), Some(unp), Some(crc), Some(&method), Some(name_len)) = (
        le_u32(head, 7),
        le_u32(head, 11),
        le_u32(head, 16),
        head.get(25),
        le_u16(head, 26),
    ) else {
        notes.error(
            Error::malformed(format!(
                "RAR file header at offset {at} is too short for its fields"
            ))
            .at(at as u64),
        );
        return None;
    };
    let large = flags & 0x100 != 0;
    let (mut pack, mut unp) = (u64::from(pack), u64::from(unp));
    let mut name_at = 32;
    if large {
        let (Some(hp), Some(hu)) = (le_u32(head, 32), le_u32(head, 36)) else {
            notes.error(
                Error::malformed(format!(
                    "RAR file header at offset {at}: 64-bit sizes cut short"
                ))
                .at(at as u64),
            );
            return None;
        };
        pack |= u64::from(hp) << 32;
        unp |= u64::from(hu) << 32;
        name_at = 40;
    }
    let raw = head
        .get(name_at..name_at + usize::from(name_len))
        .unwrap_or(&[]);
    let name = rar4_name(raw, flags & 0x200 != 0).replace('\\', "/");
    if flags & 0xE0 == 0xE0 {
        info.directories += 1;
        return None;
    }
    // A Unix symbolic link (its data is the target's name): counted, as
    // RAR 5's links are, not reported as a file.
    if head.get(15) == Some(&3) && le_u32(head, 28).is_some_and(|a| a & 0xF000 == 0xA000) {
        info.links += 1;
        return None;
    }
    let data_at = at + head.len();
    Some(File {
        name,
        size: unp,
        packed: pack,
        at: data_at,
        data: span(data, data_at, pack),
        crc: Some(crc),
        stored: method == 0x30,
        method: format!("rar-{}", method.wrapping_sub(0x30)),
        encrypted: flags & 0x04 != 0,
        split_before: flags & 0x01 != 0,
        split_after: flags & 0x02 != 0,
        spread: Spread::default(),
        comp: None,
        blake: None,
        mtime: le_u32(head, 20)
            .and_then(|t| installsift_model::Timestamp::dos((t >> 16) as u16, t as u16)),
        rar4: Some((head.get(24).copied().unwrap_or(0), flags & 0x10 != 0)),
    })
}

impl<'a> Walk<'a> {
    /// The entry for a RAR 4 file: decoded when it is compressed by RAR
    /// 2.9's method and can be, else as [`emit`] gives it.
    fn rar4_entry(&mut self, f: File<'a>) -> Entry<'_> {
        let (version, solid) = f.rar4.unwrap_or((0, false));
        let split = f.split_before || f.split_after;
        if f.stored || f.encrypted || split || !matches!(version, 29 | 36) {
            if !f.stored {
                self.chain = false;
            }
            return emit(f, &mut self.info);
        }
        self.info.entries += 1;
        let e = f.entry_info();
        let what = f.what();
        let here = f.here();
        let size = f.size;
        let missing = |name: String, info: EntryInfo, error: Error| Entry {
            name,
            info,
            data: Data::Missing {
                size,
                error: error.at_opt(here),
            },
        };
        let chain = std::mem::replace(&mut self.chain, false);
        let Some(src) = f.data else {
            let err = Error::truncated(format!(
                "{what}: {} packed bytes declared, the archive ends first",
                f.packed
            ));
            return missing(f.name, e, err);
        };
        let history = match (&self.unpack3, solid) {
            (Some(u), true) => u.history(),
            _ => 0,
        };
        let need = unpack3::WINDOW.min(history.saturating_add(size));
        if need > self.max_dictionary {
            let err = Error::limit(
                Limit::MaxDictionary,
                format!(
                    "{what}: its window would need {need} bytes of memory, past the {}-byte limit",
                    self.max_dictionary
                ),
            );
            return missing(f.name, e, err);
        }
        if solid {
            if !(chain && self.unpack3.is_some()) {
                let err = Error::unsupported(format!(
                    "{what}: solid, and the file before it in the solid stream was not decoded to its end"
                ));
                return missing(f.name, e, err);
            }
        } else {
            self.unpack3 = Some(Unpack3::new(self.max_dictionary));
        }
        let Some(u) = self.unpack3.as_mut() else {
            return missing(f.name, e, Error::malformed(format!("{what}: no decoder")));
        };
        u.start_file(size);
        self.info.decoded_entries += 1;
        self.sums = Sums::new(false);
        self.pending = Some((what, f.crc, None, here));
        Entry {
            name: f.name,
            info: e,
            data: Data::Decode {
                reader: Box::new(SumReader {
                    inner: u.reader(src, f.at as u64),
                    sums: &mut self.sums,
                }),
                declared: Some(size),
                stored: Some(f.packed),
            },
        }
    }
}

/// A RAR 4 file name. With the Unicode flag (0x200) the field is either
/// UTF-8 (no zero byte in it) or "name in the packer's code page \0
/// encoded name", the encoding spelling each UTF-16 unit as a low byte
/// under a shared high byte, a whole unit, or a run copied from the first
/// part (with a correction); the encoded name is used. Without the flag,
/// the bytes are taken as UTF-8, lossily.
fn rar4_name(raw: &[u8], unicode: bool) -> String {
    let (name, enc) = match raw.iter().position(|&b| b == 0) {
        Some(z) => (raw.get(..z).unwrap_or(&[]), raw.get(z + 1..).unwrap_or(&[])),
        None => (raw, &[][..]),
    };
    if !unicode || enc.is_empty() {
        return String::from_utf8_lossy(name).into_owned();
    }
    let mut out: Vec<u16> = Vec::with_capacity(enc.len() * 2);
    let mut it = enc.iter().copied();
    let high = u16::from(it.next().unwrap_or(0));
    let (mut flags, mut left) = (0u8, 0u32);
    let limit = 0x1_0000;
    'outer: while out.len() < limit {
        if left == 0 {
            let Some(f) = it.next() else { break };
            flags = f;
            left = 8;
        }
        match flags >> 6 {
            0 => match it.next() {
                Some(c) => out.push(u16::from(c)),
                None => break,
            },
            1 => match it.next() {
                Some(c) => out.push(u16::from(c) | (high << 8)),
                None => break,
            },
            2 => match (it.next(), it.next()) {
                (Some(lo), Some(hi)) => out.push(u16::from(lo) | (u16::from(hi) << 8)),
                _ => break,
            },
            _ => {
                let Some(len) = it.next() else { break };
                let correction = if len & 0x80 != 0 {
                    match it.next() {
                        Some(c) => Some(c),
                        None => break,
                    }
                } else {
                    None
                };
                for _ in 0..(usize::from(len & 0x7F) + 2) {
                    let Some(&c) = name.get(out.len()) else {
                        continue 'outer;
                    };
                    out.push(match correction {
                        Some(k) => u16::from(c.wrapping_add(k)) | (high << 8),
                        None => u16::from(c),
                    });
                }
            }
        }
        flags <<= 2;
        left -= 2;
    }
    String::from_utf16_lossy(&out)
}

/// A RAR 5 variable-length integer at `*at` (7 bits a byte, at most 10
/// bytes), moving `*at` past it.
fn vint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..10 {
        let b = *data.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7F).checked_shl(7 * i)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// RAR 5: blocks of `CRC32 u32, header size vint, type vint, flags vint
/// [extra size vint] [data size vint]`, the header followed by its data.
impl<'a> Walk<'a> {
    /// One RAR 5 block at `self.at`: the file it describes, if any; the
    /// walk moves past it (or is done).
    fn rar5_block(&mut self, notes: &mut Notes) -> Option<File<'a>> {
        let (data, at) = (self.data, self.at);
        let mut p = at + 4;
        let (Some(crc), Some(size)) = (le_u32(data, at), vint(data, &mut p)) else {
            notes.error(
                Error::truncated(format!("RAR 5 block header at offset {at} is cut short"))
                    .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let body_at = p;
        let Some(head_end) = usize::try_from(size)
            .ok()
            .and_then(|s| body_at.checked_add(s))
            .filter(|&e| e <= data.len() && size > 0)
        else {
            notes.error(
                Error::truncated(format!(
                    "RAR 5 block at offset {at} declares a {size}-byte header; {} bytes remain",
                    data.len() - body_at
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let got = crc32fast::hash(data.get(at + 4..head_end).unwrap_or(&[]));
        if got != crc {
            notes.error(
                Error::checksum(format!(
                "RAR 5 block header at offset {at}: CRC-32 {crc:08x}, header hashes to {got:08x}"
            ))
                .at(at as u64),
            );
        }
        let head = data.get(..head_end).unwrap_or(&[]);
        let (Some(kind), Some(flags)) = (vint(head, &mut p), vint(head, &mut p)) else {
            notes.error(
                Error::malformed(format!(
                    "RAR 5 block at offset {at}: type and flags do not fit its header"
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let extra = if flags & 1 != 0 {
            vint(head, &mut p)
        } else {
            Some(0)
        };
        let data_size = if flags & 2 != 0 {
            vint(head, &mut p)
        } else {
            Some(0)
        };
        let (Some(extra), Some(data_size)) = (extra, data_size) else {
            notes.error(
                Error::malformed(format!(
                    "RAR 5 block at offset {at}: sizes do not fit its header"
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let mut file = None;
        match kind {
            2 => {
                let extra_at = usize::try_from(extra)
                    .ok()
                    .and_then(|e| head_end.checked_sub(e))
                    .filter(|&e| e >= p);
                let f = rar5_file(data, head, p, extra_at, head_end, data_size, flags);
                match f {
                    Some(Rar5Entry::Dir) => self.info.directories += 1,
                    Some(Rar5Entry::Link) => self.info.links += 1,
                    Some(Rar5Entry::File(f)) => file = Some(*f),
                    None => notes.error(
                        Error::malformed(format!(
                            "RAR 5 file header at offset {at}: its fields do not fit the header"
                        ))
                        .at(at as u64),
                    ),
                }
            }
            4 => {
                self.info.header_encrypted = true;
                notes.error(Error::encrypted(
                    "RAR 5 headers are encrypted; entries cannot be listed without the password",
                ));
                self.done = true;
                return None;
            }
            5 => {
                // End-of-archive flag 0x0001: a volume, not the last.
                self.end_next = vint(head, &mut p).is_some_and(|f| f & 1 != 0);
                self.done = true;
                return None;
            }
            _ => {}
        }
        match usize::try_from(data_size)
            .ok()
            .and_then(|d| head_end.checked_add(d))
        {
            Some(next) => self.at = next,
            None => self.done = true,
        }
        file
    }
}

enum Rar5Entry<'a> {
    Dir,
    /// A symbolic link, junction, hard link or file copy (a redirection
    /// record): no data of its own.
    Link,
    File(Box<File<'a>>),
}

/// The fields of a RAR 5 file header from `p` (after the common fields).
fn rar5_file<'a>(
    data: &'a [u8],
    head: &[u8],
    mut p: usize,
    extra_at: Option<usize>,
    head_end: usize,
    data_size: u64,
    block_flags: u64,
) -> Option<Rar5Entry<'a>> {
    let file_flags = vint(head, &mut p)?;
    let size = vint(head, &mut p)?;
    let _attributes = vint(head, &mut p)?;
    let mut mtime = None;
    if file_flags & 0x2 != 0 {
        mtime = le_u32(head, p).and_then(|t| installsift_model::Timestamp::unix(i64::from(t)));
        p += 4;
    }
    let crc = if file_flags & 0x4 != 0 {
        let c = le_u32(head, p)?;
        p += 4;
        Some(c)
    } else {
        None
    };
    let comp = vint(head, &mut p)?;
    let _host = vint(head, &mut p)?;
    let name_len = vint(head, &mut p)?;
    let name_end = p.checked_add(usize::try_from(name_len).ok()?)?;
    let name = String::from_utf8_lossy(head.get(p..name_end)?).into_owned();
    if file_flags & 0x1 != 0 {
        return Some(Rar5Entry::Dir);
    }
    // Extra records: size vint, type vint; type 1 is file encryption, 4 a
    // file version (unrar and bsdtar name the file `name;N`), 5 a file
    // system redirection (a link: its target is named, no data is stored).
    let mut encrypted = false;
    let mut blake = None;
    let mut name = name;
    if let Some(mut q) = extra_at {
        let mut records = 0;
        while q < head_end && records < 64 {
            records += 1;
            let rec_size = vint(head, &mut q)?;
            let rec_at = q;
            match vint(head, &mut q)? {
                1 => encrypted = true,
                // File times: flags (0x1 Unix seconds, else FILETIME; 0x2
                // the modification time is present, and comes first).
                3 => {
                    let flags = vint(head, &mut q)?;
                    if flags & 0x2 != 0 {
                        mtime = if flags & 0x1 != 0 {
                            le_u32(head, q)
                                .and_then(|t| installsift_model::Timestamp::unix(i64::from(t)))
                        } else {
                            le_u32(head, q)
                                .zip(le_u32(head, q + 4))
                                .and_then(|(lo, hi)| {
                                    installsift_model::Timestamp::filetime(
                                        u64::from(lo) | (u64::from(hi) << 32),
                                    )
                                })
                        };
                    }
                }
                // Hash type 0: BLAKE2sp, 32 bytes.
                2 if vint(head, &mut q)? == 0 => {
                    let h = head.get(q..q.checked_add(32)?)?;
                    blake = <[u8; 32]>::try_from(h).ok();
                }
                5 => return Some(Rar5Entry::Link),
                4 => {
                    let _flags = vint(head, &mut q)?;
                    let version = vint(head, &mut q)?;
                    name = format!("{name};{version}");
                }
                _ => {}
            }
            q = rec_at.checked_add(usize::try_from(rec_size).ok()?)?;
        }
    }
    let method = (comp >> 7) & 7;
    Some(Rar5Entry::File(Box::new(File {
        name,
        size,
        packed: data_size,
        at: head_end,
        data: span(data, head_end, data_size),
        crc,
        stored: method == 0,
        method: format!("rar5-{method}"),
        encrypted,
        // Block flags 0x08/0x10: data continues from / into another volume.
        split_before: block_flags & 0x08 != 0,
        split_after: block_flags & 0x10 != 0,
        spread: Spread::default(),
        comp: Some(comp),
        blake,
        mtime,
        rar4: None,
    })))
}

impl<'a> Walk<'a> {
    /// The entry for a RAR 5 file: decoded when it is compressed and can
    /// be, else as [`emit`] gives it.
    fn rar5_entry(&mut self, f: File<'a>) -> Entry<'_> {
        let comp = f.comp.unwrap_or(0);
        let split = f.split_before || f.split_after;
        if f.stored || f.encrypted || split {
            if !f.stored {
                self.chain = false;
            }
            return emit(f, &mut self.info);
        }
        self.info.entries += 1;
        let e = f.entry_info();
        let what = f.what();
        let here = f.here();
        let size = f.size;
        let missing = |name: String, info: EntryInfo, error: Error| Entry {
            name,
            info,
            data: Data::Missing {
                size,
                error: error.at_opt(here),
            },
        };
        let chain = std::mem::replace(&mut self.chain, false);
        let Some((dict, v7)) = unpack5::dictionary(comp) else {
            let err = Error::unsupported(format!(
                "{what}: RAR 5 compression format version {} is not known",
                comp & 0x3F
            ));
            return missing(f.name, e, err);
        };
        let Some(src) = f.data else {
            let err = Error::truncated(format!(
                "{what}: {} packed bytes declared, the archive ends first",
                f.packed
            ));
            return missing(f.name, e, err);
        };
        let solid = comp & 0x40 != 0;
        // A solid file goes on from the stream's history and dictionary.
        let (history, stream_dict) = match (&self.unpack, solid) {
            (Some(u), true) => (u.history(), u.dict().0.max(dict)),
            _ => (0, dict),
        };
        let need = stream_dict.min(history.saturating_add(size));
        if need > self.max_dictionary {
            let err = Error::limit(
                Limit::MaxDictionary,
                format!(
                    "{what}: its {dict}-byte dictionary would need {need} bytes of memory, past the {}-byte limit",
                    self.max_dictionary
                ),
            );
            return missing(f.name, e, err);
        }
        if solid {
            match &self.unpack {
                Some(u) if chain && u.dict().1 == v7 && dict <= u.dict().0 => {}
                Some(_) if chain => {
                    let err = Error::malformed(format!(
                        "{what}: a solid file declaring a {dict}-byte dictionary after a stream of {} bytes",
                        self.unpack.as_ref().map_or(0, |u| u.dict().0)
                    ));
                    return missing(f.name, e, err);
                }
                _ => {
                    let err = Error::unsupported(format!(
                        "{what}: solid, and the file before it in the solid stream was not decoded to its end"
                    ));
                    return missing(f.name, e, err);
                }
            }
        } else {
            self.unpack = Some(Unpack5::new(dict, v7));
        }
        let Some(u) = self.unpack.as_mut() else {
            return missing(f.name, e, Error::malformed(format!("{what}: no decoder")));
        };
        u.start_file(size);
        self.info.decoded_entries += 1;
        self.sums = Sums::new(f.blake.is_some());
        self.pending = Some((what, f.crc, f.blake, here));
        Entry {
            name: f.name,
            info: e,
            data: Data::Decode {
                reader: Box::new(SumReader {
                    inner: u.reader(src, f.at as u64),
                    sums: &mut self.sums,
                }),
                declared: Some(size),
                stored: Some(f.packed),
            },
        }
    }
}

/// A reader that sums what passes through it.
struct SumReader<'c, R> {
    inner: R,
    sums: &'c mut Sums,
}

impl<R: std::io::Read> std::io::Read for SumReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sums.update(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

#[cfg(test)]
mod name_tests {
    use super::rar4_name;

    #[test]
    fn rar4_unicode_names_are_decoded() {
        // High byte 0x20; flags 00 00 01: two low bytes alone, one under
        // the high byte (U+20AC).
        let raw = [b'a', b'?', b'?', 0, 0x20, 0x04, b'a', 0xE9, 0xAC];
        assert_eq!(rar4_name(&raw, true), "aé€");
        // A run copied from the first part (flags 11, length 3 + 2).
        let raw = [b'h', b'e', b'l', b'l', b'o', 0, 0, 0xC0, 0x03];
        assert_eq!(rar4_name(&raw, true), "hello");
        // The Unicode flag without a second part: UTF-8.
        assert_eq!(rar4_name("表だよ".as_bytes(), true), "表だよ");
        // No flag: the bytes as they are.
        assert_eq!(rar4_name(b"plain.txt", false), "plain.txt");
        // A hostile encoding ends where its bytes do.
        assert_eq!(rar4_name(&[b'x', 0, 0, 0xFF], true), "");
    }
}

#[cfg(test)]
mod set_tests {
    use super::*;
    use crate::container::{pull_all, Listed};
    use crate::test_support::{corpus, reference_rows};
    use installsift_model::Limits;
    use sha2::{Digest, Sha256};

    /// Every set of `corpus/rar_volumes/`, read by the parser alone from
    /// its first volume with the others handed over by name: the files
    /// decoded are libarchive's (the reference listings); and the same
    /// volumes cut from one buffer by the fuzz harness list without a
    /// failed assertion.
    #[test]
    fn the_parser_reads_each_set_from_its_first_volume() {
        let dir = corpus().join("rar_volumes");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // First volumes: `.part1.rar` / `.part01.rar`, or `.rar` in the old
        // numbering (its later volumes are `.r00`, `.r01` …).
        let firsts: Vec<&String> = names
            .iter()
            .filter(|n| {
                n.ends_with(".part1.rar")
                    || n.ends_with(".part01.rar")
                    || (n.ends_with(".rar") && !n.contains(".part"))
            })
            .collect();
        assert_eq!(firsts.len(), 6);
        let limits = Limits::default();
        for first in firsts {
            let bytes = |n: &str| std::fs::read(dir.join(n)).ok();
            let find = |n: &str| bytes(n).map(Cow::Owned);
            let data = bytes(first).expect("first");
            let store = VolumeStore::new(&limits);
            let mut notes = Notes::default();
            let opts = Options {
                limits: &limits,
                hashes: installsift_model::hash::HashSelection::SHA256,
                name: first,
                passwords: &[],
                read_ahead: false,
            };
            let Opened::Container(c) = open_set(&data, &opts, &mut notes, &find, &store) else {
                panic!("{first}: not a container");
            };
            let input = data.as_ptr() as usize..data.as_ptr() as usize + data.len();
            let mut entries = Vec::new();
            let _ = pull_all(c, &input, &limits, 4_096, &mut entries, &mut notes);
            assert!(notes.errors.is_empty(), "{first}: {:?}", notes.errors);
            let mut got: Vec<(String, u64, String)> = entries
                .iter()
                .map(|(name, _, listed)| {
                    let b = match listed {
                        Listed::Decoded(Ok(b)) => b.clone(),
                        Listed::Slice { at, len } => data[*at..at + len].to_vec(),
                        other => panic!("{first}: `{name}` {other:?}"),
                    };
                    let h: String = Sha256::digest(&b)
                        .iter()
                        .map(|x| format!("{x:02x}"))
                        .collect();
                    (name.clone(), b.len() as u64, h)
                })
                .collect();
            got.sort();
            assert_eq!(
                got,
                reference_rows(&format!("rar_volumes__{first}.bsdtar.tsv")),
                "{first}"
            );
            // The fuzz harness's view: the set's volumes in one buffer.
            let mut all = bytes(first).expect("first");
            let stem = first
                .trim_end_matches(".rar")
                .trim_end_matches(char::is_numeric);
            for n in names.iter().filter(|n| n.starts_with(stem) && *n != first) {
                all.extend(bytes(n).expect("volume"));
            }
            crate::fuzzing::exercise_rar_set(&all);
        }
    }
}

#[cfg(test)]
mod old_format_tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;
    use installsift_model::Limits;

    fn listing(data: &[u8]) -> (Vec<String>, Vec<(String, EntryInfo, bool)>) {
        let l = list(HANDLER.open, data, &Limits::default(), 64);
        let errors = l.notes.errors.iter().map(ToString::to_string).collect();
        let entries = l
            .entries
            .into_iter()
            .map(|(n, i, d)| (n, i, matches!(d, Listed::Slice { .. })))
            .collect();
        (errors, entries)
    }

    /// RAR 1.5 and 2.0 archives from rarfile's tests: comments embedded in
    /// the main and file headers lie outside the header CRCs, an old Unix
    /// owner sub-block's CRC covers its data, and there is no end block:
    /// none of that is damage. The stored files are checked by CRC-32.
    #[test]
    fn old_archives_are_not_reported_damaged() {
        for (name, stored) in [
            ("rar/rar15_comment.rar", 1),
            ("rar/rar20_comment.rar", 2),
            ("rar/rar20_unix_owner.rar", 0),
        ] {
            let data = sample(name).expect("sample");
            let (errors, entries) = listing(&data);
            assert!(errors.is_empty(), "{name}: {errors:?}");
            let verified = entries
                .iter()
                .filter(|(_, i, slice)| *slice && i.verified_by.contains(&Check::RarCrc32))
                .count();
            assert_eq!(verified, stored, "{name}: {entries:?}");
        }
    }

    /// A byte the CRC covers changed is still a checksum error; a byte of
    /// the embedded comment is not covered.
    #[test]
    fn old_header_crcs_cover_what_they_cover() {
        let data = sample("rar/rar15_comment.rar").expect("sample");
        // The main header's high AV position byte (covered) …
        let mut covered = data.clone();
        covered[7 + 7] ^= 1;
        let (errors, _) = listing(&covered);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("checksum") && e.contains("0x73")),
            "{errors:?}"
        );
        // … and the last byte of its embedded comment (not covered).
        let main_size = usize::from(le_u16(&data, 7 + 5).expect("size"));
        let mut comment = data.clone();
        comment[7 + main_size - 1] ^= 1;
        let (errors, _) = listing(&comment);
        assert!(!errors.iter().any(|e| e.contains("0x73")), "{errors:?}");
        // The end-of-archive block is still required of a RAR 2.9+ archive.
        let noeof = sample("rar/rar4_bad_noeof.rar").expect("sample");
        let (errors, _) = listing(&noeof);
        assert!(
            errors.iter().any(|e| e.starts_with("truncated")),
            "{errors:?}"
        );
    }

    /// An archive cut inside a block that is not a file's (here RAR 3's
    /// service sub-block, before the only file) says so, whatever its
    /// version: the file it lost is not lost silently.
    #[test]
    fn a_cut_inside_a_sub_block_is_truncation() {
        let data = sample("rar/rar4_subblock.rar").expect("sample");
        // The sub-block's header ends at 55, its data at 89.
        for cut in [56, 60, 83, 88] {
            let (errors, entries) = listing(&data[..cut]);
            assert!(entries.is_empty(), "{cut}");
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with("truncated") && e.contains("type 0x7a")),
                "{cut}: {errors:?}"
            );
        }
    }
}
