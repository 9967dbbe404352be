//! The protocol between a format and the engine: **a format opens bytes and
//! yields entries; the engine pulls them.**
//!
//! A format's `open(bytes, options, notes)` reads what it needs to decide
//! what the bytes are and returns an [`Opened`]: either the node is parsed
//! ([`Opened::Leaf`]: a document, a trailer-only image) or it is a
//! [`Container`] whose entries the engine pulls one at a time with
//! [`Container::next_entry`], then asks for the conclusion with
//! [`Container::finish`]. Problems, evidence and checks of the node's own
//! bytes go into the [`Notes`] the engine passes in each call; the engine
//! moves them onto the node after every call, so their order with its own
//! errors (limits) is the order things happened.
//!
//! What a container never does: recurse into an entry, hash an entry, or
//! check depth, entry-count, entry-size, ratio or budget limits. The engine
//! does all of that, uniformly, for every format, in its one walk: when a
//! limit stops a container, the engine simply stops pulling and calls
//! `finish` with [`End::Stopped`]. A format therefore cannot forget a limit.
//! What a container does check is its own structure, within the
//! parser-internal bounds its [`Options`] carry (table rows, search windows,
//! document sizes), and every checksum the format carries for an entry
//! (recorded on the entry's [`EntryInfo`]).
//!
//! Nothing here knows the engine: the module depends on the vocabulary
//! (`report`, `error`, `limits`, `hash`) alone, and a parser can be run, unit-tested,
//! fuzzed or benchmarked with [`list`], without a scan.

use super::{Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::hash::{self, HashSelection, Hashes};
use installsift_model::limits::Limits;
use installsift_model::{Check, EntryInfo, Evidence, Format};
use std::collections::HashMap;
use std::io::Read;

/// How many pieces of `evidence` have `signal`.
pub fn signal_count(evidence: &[Evidence], signal: &str) -> usize {
    evidence.iter().filter(|e| e.signal == signal).count()
}

/// What a parser says about its own node, outside its entries. The engine
/// drains it after each call into the parser.
#[derive(Debug, Default)]
pub struct Notes {
    /// Why the format, and what was read (strong only for structure read).
    pub evidence: Vec<Evidence>,
    /// Problems with the node's own structure, in the order met.
    pub errors: Vec<Error>,
    /// Checks the format carries that matched the node's own bytes.
    pub verified: Vec<Check>,
    /// Digests the node states for entries, by entry key
    /// ([`EntryInfo::key`]): an MSI's `MsiFileHash` rows for the files of
    /// its cabinets. The engine checks each keyed entry it reads (and each
    /// copy of one) and records the outcome on the entry.
    pub digests: HashMap<String, (Check, Digest)>,
    /// Errors [`Notes::error`] counted but did not keep (past
    /// [`MAX_NOTED_ERRORS`]); the engine adds them to the node's count of
    /// errors not listed.
    pub omitted_errors: u64,
    /// Evidence [`Notes::evidence`] counted but did not keep (past
    /// [`MAX_EVIDENCE_PER_SIGNAL`] of one signal).
    pub omitted_evidence: u64,
}

/// Errors one batch of [`Notes`] keeps; the engine keeps fewer per node
/// (32) and counts the rest, so these are enough to choose from, and a
/// file with a million bad entries costs a count, not a million messages.
pub const MAX_NOTED_ERRORS: usize = 64;

/// Pieces of evidence with the same signal one node keeps (a PE whose
/// resource tree lists a million leaves in memory says so 16 times and
/// counts the rest).
pub const MAX_EVIDENCE_PER_SIGNAL: usize = 16;

impl Notes {
    /// Record an error on the node (counted only, past [`MAX_NOTED_ERRORS`]).
    pub fn error(&mut self, e: Error) {
        if self.errors.len() >= MAX_NOTED_ERRORS {
            self.omitted_errors += 1;
        } else {
            self.errors.push(e);
        }
    }

    /// Record evidence on the node (counted only, past
    /// [`MAX_EVIDENCE_PER_SIGNAL`] with its signal).
    pub fn evidence(&mut self, e: Evidence) {
        if signal_count(&self.evidence, &e.signal) >= MAX_EVIDENCE_PER_SIGNAL {
            self.omitted_evidence += 1;
        } else {
            self.evidence.push(e);
        }
    }

    /// Record a check that matched the node's own bytes.
    pub fn verified(&mut self, c: Check) {
        self.verified.push(c);
    }

    /// State digests for entries by key (see [`Notes::digests`]).
    pub fn expect_digests(&mut self, digests: HashMap<String, (Check, Digest)>) {
        self.digests = digests;
    }

    /// Clear the offsets of the errors recorded from index `from` on (see
    /// [`Unlocated`]).
    pub fn clear_offsets_from(&mut self, from: usize) {
        for e in self.errors.iter_mut().skip(from) {
            e.clear_offset();
        }
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.evidence.is_empty()
            && self.errors.is_empty()
            && self.verified.is_empty()
            && self.digests.is_empty()
    }
}

/// A digest a container states for one of its entries (an MSI
/// `MsiFileHash` row …), checked by the engine against the bytes as they
/// stream (see [`Notes::expect_digests`]). The hash it needs is computed for that entry alone,
/// and reported beside `sha256` only when the scan asked for it.
/// Two digests are equal when algorithm and bytes are; `Display` is the
/// lowercase hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// MD5 of the entry's content.
    Md5(hash::Md5),
}

impl Digest {
    /// The hashes needed to check it.
    pub fn selection(&self) -> HashSelection {
        match self {
            Digest::Md5(_) => HashSelection {
                md5: true,
                ..HashSelection::SHA256
            },
        }
    }

    /// The digest of the same algorithm computed over the entry (from its
    /// hashes), to compare with this one.
    pub fn computed(&self, h: &Hashes) -> Option<Digest> {
        match self {
            Digest::Md5(_) => h.md5.map(Digest::Md5),
        }
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Digest::Md5(d) => std::fmt::Display::fmt(d, f),
        }
    }
}

/// What a parser may read besides the bytes: the parser-internal bounds.
/// (The entry, depth, ratio and budget limits among [`Limits`] are the
/// engine's; a parser reads only the bounds on its own structures, such as
/// `max_document_size`, `max_table_rows` or `overlay_search_window`.)
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The scan's limits.
    pub limits: &'a Limits,
    /// The hashes the scan asked for (a parser computes a format-specific
    /// one, such as an MSI's Authenticode hash, only when asked).
    pub hashes: HashSelection,
    /// The node's own name as its parent gave it (the last part of its
    /// path; empty when unknown): a compressed stream without a stored name
    /// names its one child after it (`x.tar.gz` holds `x.tar`).
    pub name: &'a str,
    /// Passwords to try on encrypted content (7z AES blocks and headers), in
    /// order; empty: encrypted content is listed as encrypted, not read.
    pub passwords: &'a [String],
    /// The engine has a core to spare: a format may decode a long
    /// compressed run ahead of the reader on a thread of its own (a
    /// cabinet's folder: at most one thread per folder being read, a
    /// bounded number of blocks ahead, ending when the reader is dropped).
    /// The bytes and errors are the same either way.
    pub read_ahead: bool,
}

/// An entry's content, as the container can give it, borrowed from the
/// container while the engine reads it (`'s`: a region of the parsed bytes,
/// or a decoder that uses the container's state).
pub enum Data<'s> {
    /// A region of the container's bytes (a stored entry, an overlay, a
    /// resource). The engine hashes it and may open it; regions that
    /// overlap one already handed out are not opened twice.
    Slice(&'s [u8]),
    /// Bytes a decoder produces. The engine reads them within its limits
    /// (entry size, total unpacked, ratio against `stored`, buffering),
    /// hashing as they stream, stops past `declared`, and then tells the
    /// container how the read went ([`Container::entry_read`]) so it can
    /// check its own checksums. When the read fails the entry is reported
    /// missing with the size [`Container::failed_size`] gives (`declared`,
    /// else `stored`, else 0, unless the format says otherwise).
    Decode {
        /// The decoder.
        reader: Box<dyn Read + 's>,
        /// The size the format declares for the decoded entry.
        declared: Option<u64>,
        /// The size of its stored (compressed) data, for the ratio check.
        stored: Option<u64>,
    },
    /// The content cannot be had (encrypted, compressed by a method not
    /// decoded, cut short, damaged): reported with its declared size, no
    /// hash, and this error.
    Missing {
        /// Declared size.
        size: u64,
        /// Why it is missing.
        error: Error,
    },
    /// Bytes the parser had to read whole itself (a compound file's
    /// stream). The engine reads them within its limits, as for `Decode`.
    Owned(Vec<u8>),
    /// The entries of another container, reported as entries of this node
    /// (an MSI's embedded cabinet: its files are the MSI's children, named
    /// by the File table). The engine pulls it to the end, then calls
    /// [`Container::spliced`] with its conclusion. The entry's name and
    /// info are not used.
    Splice(Box<dyn Container + 's>),
    /// A region the container has already opened with a parser of its
    /// own instead of the one its magic picks (an InstallShield cabinet
    /// header whose files lie in sibling records: only the launcher knows
    /// the siblings). The engine scans the region as a child whose parse is
    /// this one: `notes` are the child's, `opened` its container or leaf.
    /// When the engine does not open the child (depth, reopening), both are
    /// dropped unread; opening first costs only the parse of its tables.
    Opened {
        /// The region.
        bytes: &'s [u8],
        /// What opening it gave.
        child: Box<Preopened<'s>>,
    },
    /// The same stored bytes as this container's earlier entry number `of`
    /// (counting from 0 in the order they were pulled): two cabinet files
    /// pointing at one range of a folder, as WiX and makecab store
    /// identical files once. The engine repeats that entry's hashes and
    /// verdict without reading or opening anything again, so repeating one
    /// range costs nothing per copy.
    Copy {
        /// Index of the earlier entry.
        of: usize,
    },
}

impl std::fmt::Debug for Data<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Data::Slice(b) => write!(f, "Slice({} bytes)", b.len()),
            Data::Decode {
                declared, stored, ..
            } => write!(f, "Decode {{ declared: {declared:?}, stored: {stored:?} }}"),
            Data::Missing { size, error } => write!(f, "Missing({size}, {error})"),
            Data::Copy { of } => write!(f, "Copy(of entry {of})"),
            Data::Owned(b) => write!(f, "Owned({} bytes)", b.len()),
            Data::Splice(_) => write!(f, "Splice"),
            Data::Opened { bytes, .. } => write!(f, "Opened({} bytes)", bytes.len()),
        }
    }
}

/// A region a container opened itself (see [`Data::Opened`]).
pub struct Preopened<'s> {
    /// The child's notes from opening it.
    pub notes: Notes,
    /// What opening it gave.
    pub opened: Opened<'s>,
}

/// One entry of a container.
#[derive(Debug)]
pub struct Entry<'s> {
    /// The name the container gives it (a path inside, `/`-separated).
    pub name: String,
    /// How it sits in the container, with the checks that vouched for its
    /// bytes ([`EntryInfo::verified`]) or failed ([`EntryInfo::with_error`]).
    pub info: EntryInfo,
    /// Its content.
    pub data: Data<'s>,
}

/// How the engine's read of a [`Data::Decode`] entry went.
#[derive(Debug)]
pub struct Decoded<'r> {
    /// Bytes the decoder produced.
    pub size: u64,
    /// All of them, when the engine kept them whole (it keeps only the first
    /// bytes of a large entry that is no container).
    pub whole: Option<&'r [u8]>,
    /// Their hashes (SHA-256 always; others when the scan asked).
    pub hashes: &'r Hashes,
}

/// Why the engine called [`Container::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// [`Container::next_entry`] returned `None`: the container was read
    /// to its end (or to the point its damage allowed).
    Exhausted,
    /// The engine stopped pulling (a limit); the container must not report
    /// what it did not reach as missing or damaged.
    Stopped,
}

/// A container being read: the engine pulls its entries.
pub trait Container {
    /// The next entry, or `None` when there are no more. Structural
    /// problems met on the way go to `notes`. The entry borrows the
    /// container until the engine is done with it.
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>>;

    /// After the engine read a [`Data::Decode`] entry (the reader is
    /// dropped by then): the format checks what streamed against the
    /// checksums it carries (recorded on `info`), may put context on a
    /// read error, and may read the decoded bytes for its own metadata.
    fn entry_read(
        &mut self,
        _read: Result<Decoded<'_>, &mut Error>,
        _info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
    }

    /// After the engine scanned the entry it pulled last (opened it when it
    /// could): the child's format and metadata. A container whose own facts
    /// depend on what its entries turned out to be (an InstallShield
    /// launcher listing its MSI packages) reads them here.
    fn entry_scanned(&mut self, _format: Format, _metadata: Option<&Metadata>) {}

    /// After the engine pulled a [`Data::Splice`] container to its end:
    /// its conclusion (and its notes, already in `notes`).
    fn spliced(&mut self, _parsed: Parsed, _notes: &mut Notes) {}

    /// The size to report for a [`Data::Decode`] entry whose read failed
    /// (asked after [`Container::entry_read`]): by default the declared
    /// size, else the stored size, else 0. A format whose blocks declare
    /// only their compressed size (NSIS's non-solid data) says 0 rather
    /// than report the stored size as the entry's.
    fn failed_size(&self, declared: Option<u64>, stored: Option<u64>) -> u64 {
        declared.or(stored).unwrap_or(0)
    }

    /// The conclusion once the engine is done pulling: the final format
    /// and the metadata, with any last notes (an archive without its end
    /// record, say, when `end` is [`End::Exhausted`]).
    fn finish(self: Box<Self>, end: End, notes: &mut Notes) -> Parsed;
}

/// What `open` made of the bytes.
// Returned once per node and consumed at once: boxing the leaf would buy
// nothing.
#[allow(clippy::large_enum_variant)]
pub enum Opened<'a> {
    /// Parsed whole; no entries.
    Leaf(Parsed),
    /// A container to pull entries from.
    Container(Box<dyn Container + 'a>),
}

impl<'a> Opened<'a> {
    /// A container in every case: a leaf becomes one with no entries.
    pub fn into_container(self) -> Box<dyn Container + 'a> {
        match self {
            Opened::Container(c) => c,
            Opened::Leaf(p) => Box::new(Finished(p)),
        }
    }
}

/// A container with no entries and a conclusion already drawn.
struct Finished(Parsed);

impl Container for Finished {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        None
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        self.0
    }
}

/// A container over bytes that are not the node's own (an MSI's embedded
/// cabinet: a stream the compound file assembled from its sectors), spliced
/// into the node: every error it gives, on the node, on an entry, or from
/// an entry's decoder, keeps its text and loses its offset, which is in
/// the stream's coordinates and would be wrong read as the node's. The
/// caller clears the offsets of what the inner `open` noted
/// ([`Notes::clear_offsets_from`]).
pub struct Unlocated<'a>(pub Box<dyn Container + 'a>);

impl Container for Unlocated<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let from = notes.errors.len();
        let entry = self.0.next_entry(notes);
        notes.clear_offsets_from(from);
        let mut entry = entry?;
        for e in &mut entry.info.errors {
            e.clear_offset();
        }
        entry.data = match entry.data {
            Data::Missing { size, mut error } => {
                error.clear_offset();
                Data::Missing { size, error }
            }
            Data::Decode {
                reader,
                declared,
                stored,
            } => Data::Decode {
                reader: Box::new(PlainIoErrors(reader)),
                declared,
                stored,
            },
            Data::Splice(inner) => Data::Splice(Box::new(Unlocated(inner))),
            other => other,
        };
        Some(entry)
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        notes: &mut Notes,
    ) {
        let from = notes.errors.len();
        let read = match read {
            Err(e) => {
                e.clear_offset();
                Err(e)
            }
            ok => ok,
        };
        self.0.entry_read(read, info, notes);
        notes.clear_offsets_from(from);
        for e in &mut info.errors {
            e.clear_offset();
        }
    }

    fn entry_scanned(&mut self, format: Format, metadata: Option<&Metadata>) {
        self.0.entry_scanned(format, metadata);
    }

    fn spliced(&mut self, parsed: Parsed, notes: &mut Notes) {
        let from = notes.errors.len();
        self.0.spliced(parsed, notes);
        notes.clear_offsets_from(from);
    }

    fn failed_size(&self, declared: Option<u64>, stored: Option<u64>) -> u64 {
        self.0.failed_size(declared, stored)
    }

    fn finish(self: Box<Self>, end: End, notes: &mut Notes) -> Parsed {
        let from = notes.errors.len();
        let parsed = self.0.finish(end, notes);
        notes.clear_offsets_from(from);
        parsed
    }
}

/// A decoder whose errors lose the offset an
/// [`AtOffset`](installsift_model::error::AtOffset) gave them (same text).
struct PlainIoErrors<R>(R);

impl<R: Read> Read for PlainIoErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let located = e
                .get_ref()
                .is_some_and(|i| i.is::<installsift_model::error::AtOffset>());
            if located {
                std::io::Error::new(e.kind(), e.to_string())
            } else {
                e
            }
        })
    }
}

/// A format's entry point: the bytes, the options, the notes for the node./// A format's entry point: the bytes, the options, the notes for the node.
pub type OpenFn = for<'a> fn(&'a [u8], &Options<'_>, &mut Notes) -> Opened<'a>;

/// An entry as [`list`] keeps it.
#[derive(Debug)]
pub enum Listed {
    /// A region of the input: its offset and length.
    Slice {
        /// Offset in the input.
        at: usize,
        /// Length.
        len: usize,
    },
    /// Bytes that are no region of the input: decoded, read whole by the
    /// parser, or a region of bytes the container holds (at most the
    /// `max_entry_size` limit).
    Decoded(Result<Vec<u8>, Error>),
    /// Not available.
    Missing {
        /// Declared size.
        size: u64,
        /// Why.
        error: Error,
    },
    /// The same bytes as the listing's entry at this index.
    Copy(usize),
}

/// Everything a parser produced, pulled to the end without an engine: for
/// unit tests, fuzz targets and benchmarks of one parser.
#[derive(Debug)]
pub struct Listing {
    /// Entries in the order the container gave them, with their content;
    /// a spliced container's entries in their place.
    pub entries: Vec<(String, EntryInfo, Listed)>,
    /// The conclusion.
    pub parsed: Parsed,
    /// Evidence, errors and checks of the node.
    pub notes: Notes,
}

/// Open `data` with `open` and pull every entry, at most `max_entries`
/// (then the container is finished as [`End::Stopped`], as the engine
/// would). Decoded entries are read whole, each at most
/// `limits.max_entry_size` bytes (more is an error, as in a scan).
pub fn list(open: OpenFn, data: &[u8], limits: &Limits, max_entries: usize) -> Listing {
    list_with_passwords(open, data, limits, max_entries, &[])
}

/// [`list`] with passwords to try on encrypted content
/// ([`Options::passwords`]).
pub fn list_with_passwords(
    open: OpenFn,
    data: &[u8],
    limits: &Limits,
    max_entries: usize,
    passwords: &[String],
) -> Listing {
    let mut notes = Notes::default();
    let opts = Options {
        limits,
        hashes: HashSelection::SHA256,
        name: "",
        passwords,
        read_ahead: false,
    };
    let input = data.as_ptr() as usize..data.as_ptr() as usize + data.len();
    let mut entries = Vec::new();
    let parsed = match open(data, &opts, &mut notes) {
        Opened::Leaf(p) => p,
        Opened::Container(c) => {
            let (p, _) = pull_all(c, &input, limits, max_entries, &mut entries, &mut notes);
            p
        }
    };
    Listing {
        entries,
        parsed,
        notes,
    }
}

/// Pull `c` into `entries` (copies re-based on where it starts), then
/// finish it: its conclusion, and whether `max_entries` stopped it.
pub(crate) fn pull_all(
    mut c: Box<dyn Container + '_>,
    input: &std::ops::Range<usize>,
    limits: &Limits,
    max_entries: usize,
    entries: &mut Vec<(String, EntryInfo, Listed)>,
    notes: &mut Notes,
) -> (Parsed, bool) {
    let base = entries.len();
    let mut end = End::Exhausted;
    loop {
        if entries.len() >= max_entries {
            end = End::Stopped;
            break;
        }
        let Some(Entry {
            name,
            mut info,
            data,
        }) = c.next_entry(notes)
        else {
            break;
        };
        let read = read_whole(data, input, limits.max_entry_size);
        // A spliced container is pulled (and dropped) first, inside a call,
        // so nothing borrows `c` when it is told the conclusion.
        let whole = match splice_first(read, input, limits, max_entries, entries, notes) {
            Ok(w) => w,
            Err(done) => {
                let (parsed, stopped) = *done;
                c.spliced(parsed, notes);
                if stopped {
                    end = End::Stopped;
                    break;
                }
                continue;
            }
        };
        let listed = match whole {
            Whole::Listed(Listed::Copy(of)) => Listed::Copy(base + of),
            Whole::Listed(l) => l,
            Whole::Read(mut r) => {
                tell(&mut *c, &mut r, &mut info, notes);
                Listed::Decoded(r)
            }
        };
        entries.push((name, info, listed));
    }
    let stopped = end == End::Stopped;
    (c.finish(end, notes), stopped)
}

/// [`read_whole`]'s answer, with a spliced container pulled into
/// `entries` (its conclusion, and whether it was stopped).
#[allow(clippy::type_complexity)]
fn splice_first(
    read: Result<Whole, Box<dyn Container + '_>>,
    input: &std::ops::Range<usize>,
    limits: &Limits,
    max_entries: usize,
    entries: &mut Vec<(String, EntryInfo, Listed)>,
    notes: &mut Notes,
) -> Result<Whole, Box<(Parsed, bool)>> {
    match read {
        Ok(w) => Ok(w),
        Err(sub) => Err(Box::new(pull_all(
            sub,
            input,
            limits,
            max_entries,
            entries,
            notes,
        ))),
    }
}

/// What [`read_whole`] made of an entry's data.
enum Whole {
    /// Kept as it is.
    Listed(Listed),
    /// What a decoder gave (at most the limit), for `entry_read`.
    Read(Result<Vec<u8>, Error>),
}

/// An entry's data as [`list`] keeps it; for a decoded entry, what its
/// decoder gave (at most `max` bytes; the decoder is dropped here); a
/// spliced container as the error side, to be pulled first.
fn read_whole<'s>(
    data: Data<'s>,
    input: &std::ops::Range<usize>,
    max: u64,
) -> Result<Whole, Box<dyn Container + 's>> {
    Ok(match data {
        Data::Slice(b) => Whole::Listed(slice_listed(b, input, max)),
        Data::Missing { size, error } => Whole::Listed(Listed::Missing { size, error }),
        Data::Copy { of } => Whole::Listed(Listed::Copy(of)),
        Data::Owned(b) => Whole::Listed(Listed::Decoded(Ok(b))),
        Data::Splice(sub) => return Err(sub),
        // One level only: the region, not what its parser made of it.
        Data::Opened { bytes, .. } => Whole::Listed(slice_listed(bytes, input, max)),
        Data::Decode { reader, .. } => {
            let mut out = Vec::new();
            let mut reader = reader.take(max.saturating_add(1));
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                reader.read_to_end(&mut out)
            }))
            .unwrap_or_else(|_| Err(std::io::Error::other("the decoder panicked")));
            Whole::Read(match read {
                Err(e) => Err(Error::malformed(format!("decoding: {e}"))),
                Ok(_) if out.len() as u64 > max => Err(Error::limit(
                    installsift_model::limits::Limit::MaxEntrySize,
                    format!("decodes past {max} bytes"),
                )),
                Ok(_) => Ok(out),
            })
        }
    })
}

/// Tell a container how the read of its `Decode` entry went (as the engine
/// does, with the SHA-256 of what it decoded).
fn tell<C: Container + ?Sized>(
    c: &mut C,
    r: &mut Result<Vec<u8>, Error>,
    info: &mut EntryInfo,
    notes: &mut Notes,
) {
    match r {
        Ok(b) => {
            let hashes = installsift_model::hash::hash_bytes(HashSelection::SHA256, b);
            let d = Decoded {
                size: b.len() as u64,
                whole: Some(b.as_slice()),
                hashes: &hashes,
            };
            c.entry_read(Ok(d), info, notes);
        }
        Err(e) => c.entry_read(Err(e), info, notes),
    }
}

/// A region as [`list`] keeps it: where it lies in the input, or (a region
/// of bytes the container holds) its first `max` bytes.
fn slice_listed(b: &[u8], input: &std::ops::Range<usize>, max: u64) -> Listed {
    let at = b.as_ptr() as usize;
    // An empty slice may point anywhere (a static, another buffer): it is a
    // region of the input only when it lies within it like any other.
    let inside = at >= input.start && at.checked_add(b.len()).is_some_and(|e| e <= input.end);
    if inside {
        Listed::Slice {
            at: at.wrapping_sub(input.start),
            len: b.len(),
        }
    } else {
        let keep = usize::try_from(max).unwrap_or(usize::MAX).min(b.len());
        Listed::Decoded(Ok(b.get(..keep).unwrap_or(b).to_vec()))
    }
}

/// A reader that shows every byte it reads to `see`: a format's own
/// checksum (CRC, MD5, SHA-1 of a file table) computed while the entry
/// streams to the engine (a [`Data::Decode`] reader), so an entry too big to keep
/// whole is still checked.
pub struct Inspect<R, F> {
    /// The reader whose bytes are shown.
    pub inner: R,
    /// Called with every chunk read.
    pub see: F,
}

impl<R: std::io::Read, F: FnMut(&[u8])> std::io::Read for Inspect<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.see)(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use installsift_model::error::{io_to_error, AtOffset};

    /// A reader that fails with a located error.
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                AtOffset {
                    offset: 161,
                    message: "block at offset 161 cut".into(),
                },
            ))
        }
    }

    #[test]
    fn decoders_of_unlocated_containers_lose_the_offset_not_the_text() {
        let mut buf = [0u8; 4];
        let located = Failing.read(&mut buf).expect_err("fails");
        let plain = PlainIoErrors(Failing).read(&mut buf).expect_err("fails");
        assert_eq!(located.kind(), plain.kind());
        let (located, plain) = (io_to_error(&located, 0), io_to_error(&plain, 0));
        assert_eq!(located.offset(), Some(161));
        assert_eq!(plain.offset(), None);
        assert_eq!(located.to_string(), plain.to_string());
    }
}
