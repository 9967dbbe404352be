//! The scan engine: input → sniff → parse → children → recursion →
//! classification → report.
//!
//! A format parser receives its node's bytes and a [`Cx`]; it records metadata,
//! evidence and errors there and hands every child it finds to
//! [`Cx::child`], which scans that child at once (depth first) and drops its
//! bytes afterwards. Entry data is hashed while it is decompressed
//! ([`Cx::read_entry`]), so nothing is decoded or hashed twice.

use crate::classify;
use crate::feed::Feed;
use crate::formats;
use crate::hash::{hash_bytes, HashSelection, Hasher, Hashes, Sha256};
use crate::inputs::{self, Job, Skipped};
use crate::report::{Check, EntryInfo, Evidence, Format, Node, NodeInfo, Report, ScanStats};
use installsift_model::error::{io_to_error, Error, Result};
use installsift_model::limits::Limits;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// An error on the input's node when its file changed while it was scanned:
/// its size or modification time differs from when it was opened, fewer
/// bytes were read than it had, or (`faults`) pages of its map vanished and
/// read as zeros. The report then describes neither version of the file.
fn changed_under_scan(
    report: &mut Report,
    file: &std::fs::File,
    before: &std::fs::Metadata,
    got: u64,
    faults: u64,
) {
    let after = file.metadata().ok();
    let now = after.as_ref().map(|m| m.len());
    let moved = after
        .as_ref()
        .is_some_and(|m| m.modified().ok() != before.modified().ok());
    if faults == 0 && got == before.len() && now == Some(before.len()) && !moved {
        return;
    }
    let mut what = format!(
        "the file changed while it was scanned ({} bytes when opened, {got} read",
        before.len()
    );
    match now {
        Some(n) => what.push_str(&format!(", {n} now")),
        None => what.push_str(", its size now unknown"),
    }
    if faults > 0 {
        what.push_str(&format!("; {faults} pages past its new end read as zeros"));
    }
    what.push_str("): the hashes and listing describe neither version");
    let root = &mut report.root.info;
    if root.errors.is_empty() {
        report.stats.nodes_with_errors += 1;
    }
    root.errors.insert(0, Error::io(what));
}

/// The addresses `bytes` spans: how borrowed regions of a node are told
/// apart (the same region, or one overlapping another).
fn region_of(bytes: &[u8]) -> (usize, usize) {
    let start = bytes.as_ptr() as usize;
    (start, start + bytes.len())
}

/// Scans files and byte buffers. Cheap to clone; safe to share across threads.
#[derive(Debug, Clone, Default)]
pub struct Scanner {
    limits: Limits,
    hashes: HashSelection,
    hash_thread: bool,
    read_mode: ReadMode,
    /// Files are scanned one at a time on the calling thread: maps cost no
    /// lock contention, so [`ReadMode::Auto`] maps small files too (see
    /// `scan_path_inner`).
    one_at_a_time: bool,
    /// Passwords tried on encrypted content ([`Scanner::with_passwords`]).
    passwords: Vec<String>,
    /// Inputs of this size and more have their own hashes computed beside
    /// their scan when `hash_thread` is on ([`ROOT_HASH_THREAD_MIN`]; the
    /// tests lower it). `None`: the constant.
    pub(crate) root_hash_min: Option<usize>,
}

/// How [`Scanner::scan_path`] (and [`Scanner::scan_paths`],
/// [`extract`](crate::extract::extract)) gets a file's bytes: the caller's
/// choice, set with [`Scanner::with_read_mode`]. The report is the same in
/// every mode; only memory use and speed differ.
///
/// If another process truncates a mapped file while it is scanned, reading
/// the vanished pages raises `SIGBUS`, which kills a process by default.
/// Maps are therefore registered with a process-wide `SIGBUS` handler
/// while they are scanned (`guard.rs`): a vanished page reads as zeros and
/// the input's node gets an `io` error saying the file changed. The library
/// still maps nothing unless asked; the `installsift` CLI asks for
/// [`ReadMode::Auto`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadMode {
    /// Read the whole file into memory (the default): no map, but the
    /// process holds the file's size in memory while it is scanned. A file
    /// whose buffer cannot be allocated is an error, not an abort.
    #[default]
    Read,
    /// Map every file read-only. Files up to 8 MiB are mapped in one go
    /// (`MAP_POPULATE`); from 64 MiB the input is hashed a slice at a time
    /// and each hashed slice released from the resident set, so a multi-GB
    /// input does not count as this process's memory.
    Mmap,
    /// What the CLI uses: when worker threads scan side by side, read files
    /// up to 8 MiB (maps serialise threads on the address-space lock) and
    /// map bigger ones as [`ReadMode::Mmap`] does; when files are scanned
    /// one at a time, map them all.
    Auto,
}

/// Entries shorter than this are hashed on the decoding thread even when
/// [`Scanner::with_hash_thread`] is on. Each chunk handed over wakes the
/// other thread, which on this VM costs about what hashing a few hundred KB
/// does: on LZMA streams, where SHA-256 is 3 % of the work, a 2.2 MB entry
/// scanned 5 % slower with the thread (paired runs); on deflate it pays off.
pub(crate) const HASH_THREAD_MIN: u64 = 4 * 1024 * 1024;

/// Distinct errors kept per node; further ones are only counted.
pub(crate) const MAX_ERRORS_PER_NODE: usize = 32;

/// Bytes handed to [`Cx::child`].
pub(crate) enum ChildData<'a> {
    /// A sub-slice of the parent (overlay, resource, carved region); hashed by
    /// the child.
    Borrowed(&'a [u8]),
    /// A sub-slice overlapping one handed out already: hashed and
    /// classified, not opened (the error says why).
    Overlapping(&'a [u8], Error),
    /// Bytes produced by a decoder, already hashed while they streamed.
    Owned(Vec<u8>, Hashes),
    /// Such bytes, held by the engine past the entry (a cabinet of a set
    /// waiting for its sibling entries, see [`Shelf`]).
    Held(&'a [u8], Hashes),
    /// Bytes produced by a decoder, hashed while they streamed into a
    /// temporary file (a container above `max_buffered_entry`).
    Spilled(std::sync::Arc<Spilled>, Hashes),
    /// An entry hashed while it streamed but not kept whole (see
    /// [`Cx::read_entry`]): only its first bytes, for classification.
    Streamed(Unpacked),
    /// Content not available (encrypted, over a limit, damaged): the node is
    /// reported with this declared size, no hash, and the error.
    Missing { size: u64, error: Error },
}

pub(crate) use formats::container::Digest;

/// A parser given to [`Cx::child_parsed_by`] in place of a handler's.
type ParseFn<'f> = dyn Fn(&[u8], &mut Cx<'_>) -> formats::Parsed + 'f;
/// Entry bytes kept while it is still undecided whether the content is a
/// container: once an entry has produced this many bytes and they sniff as no
/// format we open, the rest is hashed as it streams and not kept (1 MiB; a
/// PE's headers, the deepest any sniff looks, fit easily). A UDIF image,
/// recognised by its trailer, is therefore not opened when it is an entry
/// larger than this.
pub(crate) const SNIFF_PREFIX: usize = 1 << 20;

/// An entry unpacked by [`Cx::read_entry`]: its bytes and hashes, or, when it
/// was streamed, its first bytes, full size and hashes.
#[derive(Clone)]
pub(crate) struct Unpacked {
    /// All the bytes, or the first [`SNIFF_PREFIX`] or so when streamed.
    bytes: Vec<u8>,
    hashes: Hashes,
    /// `Some(size)` when only the first bytes were kept.
    streamed: Option<u64>,
    /// Why a container was streamed rather than opened
    /// (`max_buffered_entry`).
    note: Option<Error>,
    /// A container above `max_buffered_entry`, all of it, in a temporary
    /// file ([`Limits::max_spilled_entry`]); `bytes` then holds its prefix.
    spilled: Option<std::sync::Arc<Spilled>>,
}

impl Unpacked {
    /// The entry's size.
    pub(crate) fn size(&self) -> u64 {
        match &self.spilled {
            Some(s) => s.map.len() as u64,
            None => self.streamed.unwrap_or(self.bytes.len() as u64),
        }
    }

    /// All of the entry's bytes, unless it was streamed (then only its first
    /// bytes were kept).
    pub(crate) fn whole(&self) -> Option<&[u8]> {
        match &self.spilled {
            Some(s) => Some(&s.map[..]),
            None => self.streamed.is_none().then_some(self.bytes.as_slice()),
        }
    }
}

impl From<Unpacked> for ChildData<'static> {
    fn from(u: Unpacked) -> Self {
        match u.spilled {
            Some(s) => ChildData::Spilled(s, u.hashes),
            None if u.streamed.is_some() => ChildData::Streamed(u),
            None => ChildData::Owned(u.bytes, u.hashes),
        }
    }
}

/// A container too large to keep in memory, written to an unlinked
/// temporary file (mode 0600, in `TMPDIR`) as it streamed and mapped
/// read-only to be opened ([`Limits::max_spilled_entry`]). Nobody else
/// holds the file; the SIGBUS guard covers the map all the same.
pub(crate) struct Spilled {
    _guard: Option<crate::guard::Guard>,
    map: memmap2::Mmap,
    _file: SpillFile,
}

/// The temporary file behind a [`Spilled`] entry: unlinked at once on
/// Unix, removed when dropped elsewhere.
struct SpillFile {
    file: std::fs::File,
    #[cfg_attr(unix, allow(dead_code))]
    path: std::path::PathBuf,
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        #[cfg(not(unix))]
        let _ = std::fs::remove_file(&self.path);
    }
}

impl SpillFile {
    fn create() -> std::io::Result<SpillFile> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = std::env::temp_dir();
        let mut last = None;
        for _ in 0..8 {
            let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = dir.join(format!(".installsift-spill-{}-{n}", std::process::id()));
            let mut o = std::fs::OpenOptions::new();
            o.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            match o.open(&path) {
                Ok(file) => {
                    #[cfg(unix)]
                    let _ = std::fs::remove_file(&path);
                    return Ok(SpillFile { file, path });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file")))
    }

    fn map(self) -> std::io::Result<Spilled> {
        // SAFETY: a read-only map of a file only this process holds (unlinked
        // on Unix); the guard (when one is free) turns a SIGBUS from the
        // file shrinking anyway into zeros, as for inputs (guard.rs).
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&self.file) }?;
        Ok(Spilled {
            _guard: crate::guard::Guard::new(&map),
            map,
            _file: self,
        })
    }
}

impl Budget {
    /// Wait for the input's hashes when they are being computed beside the
    /// scan: put in place of the ancestors' placeholder, counted as an open
    /// of that content (as [`reopening`] would have at the start). `None`
    /// when they were not pending.
    fn settle_root(&mut self, scanner: &Scanner) -> Option<Hashes> {
        let mut p = self.pending_root.take()?;
        if p.settled.is_none() {
            // The thread always sends; if it could not, the bytes are
            // hashed here (the caller's fallback).
            let hashes = p.hashes.recv().ok()?;
            if let Some(a) = self.ancestors.first_mut() {
                *a = hashes.sha256;
            }
            if let Some(format) = p.format {
                let _ = reopening(scanner, self, hashes.sha256, format);
            }
            p.settled = Some(hashes);
        }
        let hashes = p.settled;
        self.pending_root = Some(p);
        hashes
    }
}

/// The input's hashes, computed on a thread of their own while the scan
/// goes on: nothing in the walk needs them except the check of a node
/// against its ancestors, and a node can have the input's bytes only if it
/// has its length.
struct PendingRoot {
    len: usize,
    /// The input's format, for [`reopening`]'s count once the hash is known.
    format: Option<Format>,
    hashes: std::sync::mpsc::Receiver<Hashes>,
    /// The hashes once received (a node of the input's length may have
    /// asked for them before the input's end).
    settled: Option<Hashes>,
}

/// Inputs of this size and more have their hashes computed beside
/// the scan (when [`Scanner::with_hash_thread`] is on): starting a thread
/// costs about what hashing 50 KB does.
const ROOT_HASH_THREAD_MIN: usize = 256 * 1024;

/// Per-input counters shared by every level of one scan.
#[derive(Default)]
struct Budget {
    stats: ScanStats,
    /// Bytes of entries overlapping another entry's region hashed so far
    /// ([`Limits::max_overlapping_bytes`]).
    overlapping_bytes: u64,
    /// Receives every node's path and bytes before it is parsed (extraction).
    data_sink: Option<Box<dyn DataSink>>,
    /// The next node [`scan_node`] makes is the stream `data_sink` took
    /// last (a spilled container): it names it instead of writing it again.
    sink_has_stream: bool,
    /// SHA-256 of the nodes on the path from the input to the node being
    /// parsed: a container holding its own bytes (a quine) is not reopened.
    /// While the input's own hashes are computed on a thread of their own
    /// ([`PendingRoot`]) its entry is a placeholder that no node can equal
    /// (only a node of the input's length could, and that one settles it).
    ancestors: Vec<Sha256>,
    /// The input's hashes, being computed beside its scan.
    pending_root: Option<PendingRoot>,
    /// Times each container content (SHA-256) was opened in this input.
    opened: HashMap<Sha256, u64>,
    /// The directory of the input, when it is a file: a cabinet of a set
    /// finds its sibling cabinets there (see [`pull_cab_set`]).
    dir: Option<std::path::PathBuf>,
    /// Decoded bytes of set cabinets held by the containers being pulled
    /// until their end ([`Limits::max_held_set_bytes`], see [`Shelf`]).
    held_bytes: u64,
    /// An entry buffer done with, for the next entry to fill: its pages are
    /// already the process's, where a new allocation of that size would be
    /// mapped fresh (a page fault each) and unmapped again when freed.
    spare: Vec<u8>,
    /// The buffer a decoder fills for [`Cx::read_entry`], kept from one
    /// entry to the next: a fresh 64 KiB allocation per entry is zeroed
    /// each time, and (being a large request to malloc) first merges the
    /// small blocks freed since, so an MSI of a hundred small files paid
    /// for both a hundred times.
    chunk: Vec<u8>,
}

/// Bytes a decoder is asked for at a time by [`Cx::read_entry`].
const CHUNK: usize = 64 * 1024;

/// Entry buffers larger than this are freed rather than kept as
/// [`Budget`]'s spare.
const SPARE_MAX: usize = 16 << 20;

impl Budget {
    fn recycle(&mut self, bytes: Vec<u8>) {
        if bytes.capacity() > self.spare.capacity() && bytes.capacity() <= SPARE_MAX {
            self.spare = bytes;
        }
    }
}

/// A receiver of node bytes (extraction). Node numbers count from 1 in
/// pre-order over every node of the report (nodes without content, which
/// never reach the sink, included).
pub(crate) trait DataSink {
    /// Node `number` at `path` has these bytes.
    fn node(&mut self, number: u64, path: &[String], data: &[u8]);
    /// An entry too large to keep starts streaming: forget any stream that
    /// did not become a node.
    fn begin(&mut self);
    /// The next bytes of the stream begun last.
    fn chunk(&mut self, data: &[u8]);
    /// The stream begun last (or, when it was already given to a node, that
    /// node's bytes again) is node `number` at `path`.
    fn streamed(&mut self, number: u64, path: &[String]);
    /// Node `number` at `path` has the same bytes as node `from`.
    fn copy(&mut self, number: u64, path: &[String], from: u64);
}

/// What a parser sees of the node it is parsing.
pub(crate) struct Cx<'s> {
    scanner: &'s Scanner,
    budget: &'s mut Budget,
    path: &'s [String],
    depth: u32,
    container_entries: u64,
    /// Entries admitted already when they were held (see [`Shelf`]):
    /// the next [`Cx::admit`] calls take them without counting again.
    credit: u64,
    stopped: bool,
    errors_omitted: u64,
    /// Evidence counted but not kept (see [`Cx::evidence`]).
    evidence_omitted: u64,
    /// Address range of this node's bytes.
    range: (usize, usize),
    /// Borrowed children handed out so far: start address → (end, name).
    borrowed: BTreeMap<usize, (usize, String)>,
    /// Borrowed regions already scanned as a child: (start, end) → index of
    /// that child, so an entry naming the same region again is a copy of it
    /// (hashed and classified once, however many entries point there).
    regions: HashMap<(usize, usize), usize>,
    pub(crate) children: Vec<Node>,
    pub(crate) errors: Vec<Error>,
    pub(crate) evidence: Vec<Evidence>,
    /// Checks that matched this node's own bytes (see [`Cx::verified`]).
    verified: Vec<Check>,
    /// Digests this container states for its entries, by entry key (see
    /// [`Cx::expect_digests`]).
    expected: HashMap<String, (Check, Digest)>,
    /// Outcomes of those checks, by entry key, until [`Cx::child`] records
    /// them on the entry.
    outcomes: HashMap<String, std::result::Result<Check, Error>>,
    /// The digest computed for each key read by [`Cx::read_entry_keyed`]
    /// (lowercase hex), for a later copy of the same bytes.
    computed: HashMap<String, Digest>,
    /// The node number (pre-order, as the data sink counts) of each child
    /// in `children`, for [`Cx::child_copy`].
    child_numbers: Vec<u64>,
}

impl<'s> Cx<'s> {
    /// Record an error on the node being parsed.
    /// At most [`MAX_ERRORS_PER_NODE`] distinct errors are kept; the rest are
    /// counted and summarised in one last error, so a hostile file with a
    /// million bad entries costs neither time nor memory here.
    pub(crate) fn error(&mut self, e: Error) {
        if self.errors.len() >= MAX_ERRORS_PER_NODE {
            self.errors_omitted += 1;
        } else if !self.errors.contains(&e) {
            self.errors.push(e);
        }
    }

    /// Record evidence on the node being parsed: at most
    /// [`formats::container::MAX_EVIDENCE_PER_SIGNAL`] pieces with one
    /// signal are kept (the notes of every call into the parser count
    /// together), the rest counted and summarised in one last piece.
    fn evidence(&mut self, e: Evidence) {
        use formats::container::{signal_count, MAX_EVIDENCE_PER_SIGNAL};
        if signal_count(&self.evidence, &e.signal) >= MAX_EVIDENCE_PER_SIGNAL {
            self.evidence_omitted += 1;
        } else {
            self.evidence.push(e);
        }
    }

    /// Move a pull-based parser's notes onto the node.
    fn take_notes(&mut self, notes: &mut formats::container::Notes) {
        for e in notes.errors.drain(..) {
            self.error(e);
        }
        self.errors_omitted += std::mem::take(&mut notes.omitted_errors);
        self.evidence_omitted += std::mem::take(&mut notes.omitted_evidence);
        for e in notes.evidence.drain(..) {
            self.evidence(e);
        }
        for c in notes.verified.drain(..) {
            self.verified(c);
        }
        if !notes.digests.is_empty() {
            self.expect_digests(std::mem::take(&mut notes.digests));
        }
    }

    /// Record that a check the format carries matched the bytes of the node
    /// being parsed (e.g. its signed Authenticode digest). Checks of a
    /// child's bytes go on its [`EntryInfo::verified`] instead.
    pub(crate) fn verified(&mut self, check: Check) {
        if !self.verified.contains(&check) {
            self.verified.push(check);
        }
    }

    /// Turn a panic caught inside a parser (typically a dependency's) into an
    /// error, counted in the report's `panics`.
    pub(crate) fn contained_panic(
        &mut self,
        what: &str,
        payload: &(dyn std::any::Any + Send),
    ) -> Error {
        self.budget.stats.panics += 1;
        Error::panic(format!("{what}: {}", panic_message(payload)))
    }

    /// Count one more entry against the limits; false (with an error on this
    /// node) when the container or the input is full.
    fn admit(&mut self) -> bool {
        if self.credit > 0 {
            self.credit -= 1;
            return true;
        }
        if self.stopped {
            return false;
        }
        let l = &self.scanner.limits;
        if self.container_entries >= l.max_entries_per_container {
            self.stopped = true;
            self.error(Error::limit(
                installsift_model::limits::Limit::MaxEntriesPerContainer,
                format!("stopped after {} entries", self.container_entries),
            ));
            return false;
        }
        if self.budget.stats.nodes >= l.max_entries_per_input {
            self.stopped = true;
            self.error(Error::limit(
                installsift_model::limits::Limit::MaxEntriesPerInput,
                format!(
                    "stopped after {} nodes in this input",
                    self.budget.stats.nodes
                ),
            ));
            return false;
        }
        self.container_entries += 1;
        true
    }

    /// `entry` with the outcome of the digest its container stated for it
    /// (an MSI's `MsiFileHash` row), once that digest was checked.
    fn with_outcome(&mut self, entry: EntryInfo) -> EntryInfo {
        match entry.key.as_ref().and_then(|k| self.outcomes.remove(k)) {
            Some(Ok(check)) => entry.verified(check),
            Some(Err(e)) => entry.with_error(e),
            None => entry,
        }
    }

    /// Scan a child now and attach it. Returns false when the entry limits
    /// stop this container; the parser should then stop producing children.
    pub(crate) fn child(
        &mut self,
        name: impl Into<String>,
        entry: EntryInfo,
        data: ChildData<'_>,
    ) -> bool {
        self.child_with(name, entry, data, None)
    }

    /// [`Cx::child`], the child parsed by `parse` (when given) instead of
    /// its handler's parser.
    fn child_with(
        &mut self,
        name: impl Into<String>,
        entry: EntryInfo,
        data: ChildData<'_>,
        parse: Option<&ParseFn<'_>>,
    ) -> bool {
        let region = match &data {
            ChildData::Borrowed(bytes) if !bytes.is_empty() => Some(region_of(bytes)),
            _ => None,
        };
        if let Some(&of) = region.and_then(|r| self.regions.get(&r)) {
            return self.child_copy(name, entry, of);
        }
        if !self.admit() {
            return false;
        }
        let entry = self.with_outcome(entry);
        let name = name.into();
        let mut path = self.path.to_vec();
        path.push(name.clone());
        self.child_numbers.push(self.budget.stats.nodes + 1);
        let data = match data {
            ChildData::Borrowed(bytes) => match self.claim(bytes, &name) {
                Ok(()) => ChildData::Borrowed(bytes),
                // A region overlapping one handed out already (not the
                // same region: that is a copy, above) is hashed, not
                // opened; those bytes are counted, so that many entries
                // over one large region cost at most the limit.
                Err(overlap) => {
                    let len = bytes.len() as u64;
                    let max = self.scanner.limits.max_overlapping_bytes;
                    let spent = self.budget.overlapping_bytes.saturating_add(len);
                    if spent > max {
                        ChildData::Missing {
                            size: len,
                            error: Error::limit(
                                installsift_model::Limit::MaxOverlappingBytes,
                                format!(
                                    "overlaps another entry's bytes, and overlapping entries of this input already reached {max} bytes; not hashed"
                                ),
                            ),
                        }
                    } else {
                        self.budget.overlapping_bytes = spent;
                        ChildData::Overlapping(bytes, overlap)
                    }
                }
            },
            other => other,
        };
        if let (Some(r), ChildData::Borrowed(_) | ChildData::Overlapping(..)) = (region, &data) {
            self.regions.insert(r, self.children.len());
        }
        let node = match data {
            // A region overlapping another is scanned (hashed, classified)
            // but not opened: `open` carries why.
            ChildData::Borrowed(bytes) | ChildData::Overlapping(bytes, _) => {
                let open = match data {
                    ChildData::Overlapping(_, overlap) => Err(overlap),
                    _ => Ok(()),
                };
                scan_node_with(
                    self.scanner,
                    self.budget,
                    path,
                    self.depth + 1,
                    bytes,
                    None,
                    Some(entry),
                    open,
                    parse,
                )
            }
            ChildData::Held(bytes, hashes) => scan_node_with(
                self.scanner,
                self.budget,
                path,
                self.depth + 1,
                bytes,
                Some(hashes),
                Some(entry),
                Ok(()),
                parse,
            ),
            ChildData::Owned(bytes, hashes) => {
                let node = scan_node_with(
                    self.scanner,
                    self.budget,
                    path,
                    self.depth + 1,
                    &bytes,
                    Some(hashes),
                    Some(entry),
                    Ok(()),
                    parse,
                );
                self.budget.recycle(bytes);
                node
            }
            ChildData::Spilled(s, hashes) => {
                // An extraction sink already took these bytes as they
                // streamed (the stream begun last).
                self.budget.sink_has_stream = self.budget.data_sink.is_some();
                scan_node(
                    self.scanner,
                    self.budget,
                    path,
                    self.depth + 1,
                    &s.map,
                    Some(hashes),
                    Some(entry),
                    Ok(()),
                )
            }
            ChildData::Streamed(u) => scan_streamed(self.budget, path, self.depth + 1, u, entry),
            ChildData::Missing { size, error } => {
                self.budget.stats.nodes += 1;
                self.budget.stats.nodes_with_errors += 1;
                let mut entry = entry;
                let mut errors = std::mem::take(&mut entry.errors);
                errors.insert(0, error);
                Node {
                    info: NodeInfo {
                        path,
                        depth: self.depth + 1,
                        size,
                        sha256: None,
                        sha1: None,
                        md5: None,
                        verified_by: Vec::new(),
                        format: Format::Unknown,
                        verdict: crate::report::Verdict::Unknown,
                        family: None,
                        kind: None,
                        installer: None,
                        tools: None,
                        evidence: Vec::new(),
                        errors,
                        entry: Some(entry),
                        metadata: None,
                    },
                    children: Vec::new(),
                }
            }
        };
        self.children.push(node);
        true
    }

    /// Scan a region of this node as a child parsed by `parse` instead of
    /// the handler its sniff picks (the sniffed format stays the default).
    /// For a parser that needs more than the child's own bytes, e.g. an
    /// InstallShield cabinet header whose data lies in sibling volumes.
    /// Returns false when the entry limits stop this container.
    fn child_parsed_by(
        &mut self,
        name: impl Into<String>,
        entry: EntryInfo,
        bytes: &[u8],
        parse: &ParseFn<'_>,
    ) -> bool {
        if !self.admit() {
            return false;
        }
        let name = name.into();
        let mut path = self.path.to_vec();
        path.push(name.clone());
        let open = self.claim(bytes, &name);
        self.child_numbers.push(self.budget.stats.nodes + 1);
        let node = scan_node_with(
            self.scanner,
            self.budget,
            path,
            self.depth + 1,
            bytes,
            None,
            Some(entry),
            open,
            Some(parse),
        );
        self.children.push(node);
        true
    }

    /// A child whose bytes are the same stored bytes as the earlier child
    /// `of` (an index into this container's children, in the order they
    /// were handed over): two cabinet entries pointing at one range of a
    /// folder, as WiX and makecab write identical files once. The node
    /// repeats that child's hashes, format, verdict and errors, says whose
    /// bytes it shares, and is not opened again (its contents are listed
    /// under the first), so repeating one range costs nothing per copy.
    /// The caller's `entry` carries its own checks. Returns false when the
    /// entry limits stop this container.
    pub(crate) fn child_copy(
        &mut self,
        name: impl Into<String>,
        entry: EntryInfo,
        of: usize,
    ) -> bool {
        let (Some(first), Some(&from)) = (self.children.get(of), self.child_numbers.get(of)) else {
            return true;
        };
        let first_info = first.info.clone();
        if !self.admit() {
            return false;
        }
        // The copy's own stated digest (an MSI's MsiFileHash row), checked
        // against the one computed when the shared bytes were read.
        let first_key = first_info.entry.as_ref().and_then(|e| e.key.clone());
        if let (Some(k), Some(fk)) = (entry.key.clone(), first_key) {
            if let (Some((check, digest)), Some(got)) = (
                self.expected.get(&k).cloned(),
                self.computed.get(&fk).cloned(),
            ) {
                let want = digest;
                let outcome = if got == want {
                    Ok(check)
                } else {
                    Err(Error::checksum(format!(
                        "{}: the entry's bytes hash to {got}, the container states {want}",
                        check.as_str()
                    )))
                };
                self.outcomes.insert(k, outcome);
            }
        }
        let mut entry = self.with_outcome(entry);
        let name = name.into();
        let mut path = self.path.to_vec();
        path.push(name);
        self.budget.stats.nodes += 1;
        let number = self.budget.stats.nodes;
        self.child_numbers.push(number);
        if first_info.sha256.is_some() {
            if let Some(sink) = self.budget.data_sink.as_mut() {
                sink.copy(number, &path, from);
            }
        }
        let mut errors = first_info.errors;
        errors.append(&mut entry.errors);
        if !errors.is_empty() {
            self.budget.stats.nodes_with_errors += 1;
        }
        let verified_by = sorted_checks(std::mem::take(&mut entry.verified_by));
        let mut evidence = first_info.evidence;
        let first_name = first_info.path.last().cloned().unwrap_or_default();
        evidence.push(Evidence::strong(
            "same-stored-data",
            format!(
                "stored once with `{first_name}`: the same bytes (its hashes); not opened again, its contents are listed there"
            ),
            entry.offset,
        ));
        self.children.push(Node {
            info: NodeInfo {
                path,
                depth: self.depth + 1,
                verified_by,
                evidence,
                errors,
                entry: Some(entry),
                ..first_info
            },
            children: Vec::new(),
        });
        true
    }

    /// A context for the node at `path`, `depth`, whose bytes span the
    /// addresses `range`, with nothing pulled yet.
    fn new(
        scanner: &'s Scanner,
        budget: &'s mut Budget,
        path: &'s [String],
        depth: u32,
        range: (usize, usize),
    ) -> Self {
        Cx {
            scanner,
            budget,
            path,
            depth,
            container_entries: 0,
            credit: 0,
            stopped: false,
            errors_omitted: 0,
            evidence_omitted: 0,
            range,
            borrowed: BTreeMap::new(),
            regions: HashMap::new(),
            children: Vec::new(),
            errors: Vec::new(),
            evidence: Vec::new(),
            verified: Vec::new(),
            expected: HashMap::new(),
            outcomes: HashMap::new(),
            computed: HashMap::new(),
            child_numbers: Vec::new(),
        }
    }

    /// May a borrowed child (a region of this node: overlay, resource, carved
    /// container) be opened? Not when it is this whole node again, nor when it
    /// overlaps a region already handed out: hostile tables can point many
    /// entries at the same bytes (or at the file itself), and opening each
    /// would multiply the work at every level. Regions of a well-formed file
    /// are disjoint, so the work per level stays within the node's size.
    fn claim(&mut self, bytes: &[u8], name: &str) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let (start, end) = region_of(bytes);
        if (start, end) == self.range {
            return Err(Error::malformed(
                "the same bytes as its parent; not opened again",
            ));
        }
        let before = self.borrowed.range(..end).next_back();
        if let Some((&s, (e, other))) = before {
            if s < end && *e > start {
                let at = start.wrapping_sub(self.range.0);
                return Err(Error::malformed(format!(
                    "overlaps `{other}` (bytes {at:#x}..{:#x} of the parent); not opened again",
                    at + bytes.len()
                ))
                .at(at as u64));
            }
        }
        self.borrowed.insert(start, (end, name.to_owned()));
        Ok(())
    }

    /// Copy an entry out of `reader` (a decompressor), hashing it as it
    /// streams, within the entry-size, total-unpacked and ratio limits.
    /// `declared` is the size the container claims, `stored` its compressed
    /// size when known (for the ratio check).
    ///
    /// Declared sizes are checked before anything is decoded (size, ratio,
    /// what is left of the input's budget), and decoding stops as soon as the
    /// output passes the declared size. The bytes are kept only while they may
    /// be a container to open: past [`SNIFF_PREFIX`] bytes that sniff as no
    /// format we open, or past [`Limits::max_buffered_entry`], the rest is
    /// hashed (and handed to an extraction sink) as it streams, and the node
    /// keeps only its first bytes. Memory per entry is thereby bounded by
    /// `max_buffered_entry` for containers and about 1 MiB for anything else.
    pub(crate) fn read_entry(
        &mut self,
        reader: &mut dyn Read,
        declared: Option<u64>,
        stored: Option<u64>,
    ) -> Result<Unpacked> {
        self.read_entry_hashing(reader, declared, stored, HashSelection::SHA256)
    }

    /// State digests for some entries of this container, by entry key (the
    /// name the container itself gives the entry, [`EntryInfo::key`]):
    /// [`Cx::read_entry_keyed`] checks them, and [`Cx::child`] records the
    /// outcome on the child whose `key` it is (`verified_by`, or a checksum
    /// error with the bytes kept).
    pub(crate) fn expect_digests(&mut self, digests: HashMap<String, (Check, Digest)>) {
        self.expected = digests;
    }

    /// [`Cx::read_entry`] for the entry with this key: when the container
    /// stated a digest for it ([`Cx::expect_digests`]), the hash that needs
    /// is computed as the entry streams (for this entry only), compared, and
    /// dropped again unless the scan asked for it.
    pub(crate) fn read_entry_keyed(
        &mut self,
        key: &str,
        reader: &mut dyn Read,
        declared: Option<u64>,
        stored: Option<u64>,
    ) -> Result<Unpacked> {
        let Some((check, digest)) = self.expected.get(key).cloned() else {
            return self.read_entry(reader, declared, stored);
        };
        let mut u = self.read_entry_hashing(reader, declared, stored, digest.selection())?;
        let want = digest;
        let got = digest.computed(&u.hashes);
        if let Some(g) = got {
            self.computed.insert(key.to_owned(), g);
        }
        let outcome = match got {
            Some(got) if got == want => Ok(check),
            Some(got) => Err(Error::checksum(format!(
                "{}: the entry's bytes hash to {got}, the container states {want}",
                check.as_str()
            ))),
            None => Err(Error::malformed(format!(
                "{}: digest not computed",
                check.as_str()
            ))),
        };
        self.outcomes.insert(key.to_owned(), outcome);
        let asked = self.scanner.hashes;
        if !asked.md5 {
            u.hashes.md5 = None;
        }
        if !asked.sha1 {
            u.hashes.sha1 = None;
        }
        Ok(u)
    }

    /// [`Cx::read_entry`], computing `extra` hashes besides the scan's.
    fn read_entry_hashing(
        &mut self,
        reader: &mut dyn Read,
        declared: Option<u64>,
        stored: Option<u64>,
        extra: HashSelection,
    ) -> Result<Unpacked> {
        let l = &self.scanner.limits;
        let remaining = l
            .max_total_unpacked
            .saturating_sub(self.budget.stats.unpacked_bytes);
        if let Some(d) = declared {
            if d > l.max_entry_size {
                return Err(Error::limit(
                    installsift_model::limits::Limit::MaxEntrySize,
                    format!("entry declares {d} bytes, limit is {}", l.max_entry_size),
                ));
            }
            if let Some(s) = stored {
                if d > l.ratio_floor && d / s.max(1) > l.max_ratio {
                    return Err(Error::limit(
                        installsift_model::limits::Limit::MaxRatio,
                        format!(
                            "entry declares {d} bytes out of {s} stored, ratio above {}",
                            l.max_ratio
                        ),
                    ));
                }
            }
            if d > remaining {
                return Err(Error::limit(
                    installsift_model::limits::Limit::MaxTotalUnpacked,
                    format!(
                        "entry declares {d} bytes; input already unpacked {} of {}",
                        self.budget.stats.unpacked_bytes, l.max_total_unpacked
                    ),
                ));
            }
        }
        let cap = l.max_entry_size.min(remaining);
        let buffered_cap = l.max_buffered_entry;
        // A container declaring more than can be buffered is streamed from
        // the start (decided on its prefix).
        let too_big = declared.is_some_and(|d| d > buffered_cap);
        // Hashing moves to a second thread, when the scanner has one to
        // spare, once the entry is long enough to be worth it.
        let hash_thread = self.scanner.hash_thread;
        let selection = self.scanner.hashes.union(extra);
        std::thread::scope(|scope| {
            let mut hasher = Feed::Here(Hasher::new(selection));
            // Room for the declared size up front (it passed the checks
            // above; at most the prefix kept while undecided): no copy and
            // no fresh pages each time the buffer doubles.
            let mut kept: Vec<u8> = std::mem::take(&mut self.budget.spare);
            kept.clear();
            kept.reserve(declared.map_or(0, |d| {
                usize::try_from(d.min(SNIFF_PREFIX as u64)).unwrap_or(0)
            }));
            let mut len: u64 = 0;
            // None: undecided; Some(false): keep whole; Some(true): streaming.
            let mut streaming: Option<bool> = None;
            let mut note = None;
            // A container too big for memory goes to a temporary file.
            let mut spill: Option<SpillFile> = None;
            let spill_cap = l.max_spilled_entry.min(cap);
            let spill_error = |e: std::io::Error, len: u64| {
                Error::io(format!(
                    "a container above max_buffered_entry, {len} bytes so far, could not be written to a temporary file in {}: {e}; hashed, not opened",
                    std::env::temp_dir().display()
                ))
            };
            // A small entry of known size needs no 64 KiB buffer (zeroed for
            // every entry); one byte more shows a decoder running long.
            let want = declared.map_or(CHUNK, |d| {
                usize::try_from(d.saturating_add(1)).map_or(CHUNK, |d| d.min(CHUNK))
            });
            let mut chunk_buf = std::mem::take(&mut self.budget.chunk);
            if chunk_buf.len() < want {
                chunk_buf.resize(want, 0);
            }
            let buf = chunk_buf.get_mut(..want).unwrap_or(&mut []);
            let fail = |budget: &mut Budget, len: u64, e: Error| {
                budget.stats.unpacked_bytes += len;
                Err(e)
            };
            loop {
                let n = match reader.read(buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return fail(self.budget, len, io_to_error(&e, len)),
                };
                let chunk = buf.get(..n).unwrap_or(&[]);
                let out = len + n as u64;
                if out > cap {
                    let e = if cap == remaining && remaining < l.max_entry_size {
                        Error::limit(
                            installsift_model::limits::Limit::MaxTotalUnpacked,
                            format!(
                                "input already unpacked {} bytes",
                                self.budget.stats.unpacked_bytes + len
                            ),
                        )
                    } else {
                        Error::limit(
                            installsift_model::limits::Limit::MaxEntrySize,
                            format!("entry grew past {} bytes", l.max_entry_size),
                        )
                    };
                    return fail(self.budget, len, e);
                }
                if let Some(d) = declared {
                    if out > d {
                        let e = Error::malformed(format!(
                            "entry declares {d} bytes but decodes to more; stopped at {out}"
                        ));
                        return fail(self.budget, len, e);
                    }
                }
                if let Some(stored) = stored {
                    if out > l.ratio_floor && out / stored.max(1) > l.max_ratio {
                        let e = Error::limit(
                            installsift_model::limits::Limit::MaxRatio,
                            format!(
                                "{out} bytes out of {stored} stored exceeds ratio {}",
                                l.max_ratio
                            ),
                        );
                        return fail(self.budget, len, e);
                    }
                }
                // From the first chunk when the entry declares that much.
                if hash_thread && out.max(declared.unwrap_or(0)) >= HASH_THREAD_MIN {
                    hasher.move_to(scope);
                }
                hasher.update(chunk);
                len = out;
                // A stream goes to an extraction sink as it comes, spilled
                // or not (a spilled container's node then names the stream).
                if streaming == Some(true) {
                    if let Some(sink) = self.budget.data_sink.as_mut() {
                        sink.chunk(chunk);
                    }
                }
                if let Some(f) = spill.as_mut() {
                    if len > spill_cap {
                        spill = None;
                        note = Some(Error::limit(
                            installsift_model::limits::Limit::MaxSpilledEntry,
                            format!(
                                "a container above max_buffered_entry grew past {spill_cap} bytes; hashed, not opened"
                            ),
                        ));
                    } else if let Err(e) = std::io::Write::write_all(&mut f.file, chunk) {
                        spill = None;
                        note = Some(spill_error(e, len));
                    }
                    continue;
                }
                if streaming == Some(true) {
                    continue;
                }
                kept.extend_from_slice(chunk);
                let decide = match streaming {
                    None if kept.len() >= SNIFF_PREFIX => {
                        let container = formats::sniff(&kept).is_some();
                        if container && too_big {
                            note = Some(buffered_limit(declared.unwrap_or(len), buffered_cap));
                        }
                        !container || too_big
                    }
                    Some(false) if len > buffered_cap => {
                        note = Some(buffered_limit(len, buffered_cap));
                        true
                    }
                    _ => false,
                };
                // A container too big for memory: spilled when allowed
                // (while extracting too: the sink takes the same bytes as
                // they stream, and the spilled node names that stream).
                if decide && note.is_some() && declared.unwrap_or(len) <= spill_cap {
                    match SpillFile::create()
                        .and_then(|mut f| std::io::Write::write_all(&mut f.file, &kept).map(|()| f))
                    {
                        Ok(f) => {
                            spill = Some(f);
                            note = None;
                        }
                        Err(e) => note = Some(spill_error(e, len)),
                    }
                }
                if decide {
                    if let Some(sink) = self.budget.data_sink.as_mut() {
                        sink.begin();
                        sink.chunk(&kept);
                    }
                    kept.truncate(SNIFF_PREFIX);
                    kept.shrink_to_fit();
                    streaming = Some(true);
                } else if streaming.is_none() && kept.len() >= SNIFF_PREFIX {
                    // A container, kept whole: room for the rest it declares
                    // (address space only until written; at most the
                    // buffering cap).
                    streaming = Some(false);
                    if let Some(d) = declared {
                        let rest = d.min(buffered_cap).saturating_sub(len);
                        kept.reserve_exact(usize::try_from(rest).unwrap_or(0));
                    }
                }
            }
            self.budget.chunk = chunk_buf;
            self.budget.stats.unpacked_bytes += len;
            if let Some(d) = declared {
                if len != d {
                    return Err(Error::malformed(format!(
                        "entry declares {d} bytes but decodes to {len}"
                    )));
                }
            }
            let spilled = match spill.map(SpillFile::map) {
                None => None,
                Some(Ok(s)) if s.map.len() as u64 == len => Some(std::sync::Arc::new(s)),
                Some(Ok(_)) => {
                    note = Some(Error::io(
                        "the temporary file of a container above max_buffered_entry changed size; hashed, not opened",
                    ));
                    None
                }
                Some(Err(e)) => {
                    note = Some(spill_error(e, len));
                    None
                }
            };
            Ok(Unpacked {
                bytes: kept,
                hashes: hasher.finish(),
                streamed: (streaming == Some(true) && spilled.is_none()).then_some(len),
                note,
                spilled,
            })
        })
    }
}

/// The note on a container too large to buffer.
fn buffered_limit(size: u64, cap: u64) -> Error {
    Error::limit(
        installsift_model::limits::Limit::MaxBufferedEntry,
        format!("{size} bytes; containers above {cap} bytes are hashed, not opened"),
    )
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

#[allow(clippy::too_many_arguments)] // private, two callers; a struct would only rename them
fn scan_node(
    scanner: &Scanner,
    budget: &mut Budget,
    path: Vec<String>,
    depth: u32,
    data: &[u8],
    hashes: Option<Hashes>,
    entry: Option<EntryInfo>,
    open: Result<()>,
) -> Node {
    scan_node_with(
        scanner, budget, path, depth, data, hashes, entry, open, None,
    )
}

/// [`scan_node`], parsing with `parse` (when given) instead of the
/// handler's own parser.
#[allow(clippy::too_many_arguments)] // private; see scan_node
fn scan_node_with(
    scanner: &Scanner,
    budget: &mut Budget,
    path: Vec<String>,
    depth: u32,
    data: &[u8],
    hashes: Option<Hashes>,
    entry: Option<EntryInfo>,
    open: Result<()>,
    parse: Option<&ParseFn<'_>>,
) -> Node {
    budget.stats.nodes += 1;
    let streamed = std::mem::take(&mut budget.sink_has_stream);
    if let Some(sink) = budget.data_sink.as_mut() {
        if streamed {
            sink.streamed(budget.stats.nodes, &path);
        } else {
            sink.node(budget.stats.nodes, &path, data);
        }
    }
    let handler = formats::sniff(data);
    // The input whose hashes a thread computes (`scan_root`): settled at
    // its end; a node of its length first settles them, since it may be
    // the same bytes.
    let pending = depth == 0 && budget.pending_root.is_some();
    if pending {
        if let Some(p) = budget.pending_root.as_mut() {
            p.format = handler.map(|h| h.format);
        }
    } else if budget
        .pending_root
        .as_ref()
        .is_some_and(|p| p.len == data.len())
    {
        budget.settle_root(scanner);
    }
    let hashes = match hashes {
        Some(h) => Some(h),
        None if pending => None,
        None => Some(hash_bytes(scanner.hashes, data)),
    };
    let open = match (open, &hashes) {
        (Ok(()), Some(hashes)) => match handler {
            Some(h) => reopening(scanner, budget, hashes.sha256, h.format),
            None => Ok(()),
        },
        // The input itself: no ancestor to equal, and its open is counted
        // when its hashes are known.
        (Ok(()), None) => Ok(()),
        (other, _) => other,
    };
    budget
        .ancestors
        .push(hashes.as_ref().map_or(Sha256::new([0; 32]), |h| h.sha256));
    let range = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
    let mut cx = Cx::new(scanner, budget, &path, depth, range);
    let mut format = handler.map_or(Format::Unknown, |h| h.format);
    let mut metadata = None;
    let name_of = |h: Option<&formats::Handler>| h.map_or("custom", |h| h.name);
    let pulled;
    // What no handler sniffed is searched for an embedded cabinet, zip or
    // 7z (formats::carve), when it may be opened at all: never a region
    // the engine refused to open (already opened, an overlapping claim) and
    // never past max_depth, so carving adds no error of its own.
    let carve = handler.is_none() && open.is_ok() && depth <= scanner.limits.max_depth;
    let opener: Option<(&str, formats::container::OpenFn)> = match handler {
        Some(h) => Some((h.name, h.open)),
        None if carve => Some(("carve", formats::carve::open)),
        None => None,
    };
    let parser: Option<(&str, &ParseFn<'_>)> = match (parse, opener) {
        (Some(p), _) => Some((name_of(handler), p)),
        (None, Some((name, open))) => {
            let (cab, rar) = (name == "cab", name == "rar");
            pulled = move |d: &[u8], cx: &mut Cx<'_>| {
                if cab && cx.depth == 0 && cx.budget.dir.is_some() {
                    pull_cab_set(d, cx)
                } else if rar && cx.depth == 0 && cx.budget.dir.is_some() {
                    pull_rar_set(d, cx)
                } else {
                    pull(d, cx, open)
                }
            };
            Some((name, &pulled as &ParseFn<'_>))
        }
        (None, None) => None,
    };
    let mut entry = entry;
    if let Some(e) = entry.as_mut() {
        for err in std::mem::take(&mut e.errors) {
            cx.error(err);
        }
    }
    // Why a recognised format was not opened, when it was not.
    let mut not_opened: Option<String> = None;
    if let Some((hname, parse)) = parser {
        if let Err(e) = open {
            not_opened = Some(e.to_string());
            cx.error(e);
        } else if depth > scanner.limits.max_depth {
            let e = Error::limit(
                installsift_model::limits::Limit::MaxDepth,
                format!(
                    "not opened at depth {depth}; the deepest level opened is {}",
                    scanner.limits.max_depth
                ),
            );
            not_opened = Some(e.to_string());
            cx.error(e);
        } else {
            match catch_unwind(AssertUnwindSafe(|| parse(data, &mut cx))) {
                Ok(parsed) => {
                    format = parsed.format;
                    metadata = parsed.metadata;
                }
                Err(p) => {
                    cx.budget.stats.panics += 1;
                    let msg = panic_message(p.as_ref());
                    cx.error(Error::panic(format!("{hname} parser: {msg}")));
                }
            }
        }
    }
    let Cx {
        children,
        mut errors,
        mut evidence,
        errors_omitted,
        evidence_omitted,
        verified,
        ..
    } = cx;
    budget.ancestors.pop();
    let hashes = match hashes {
        Some(h) => h,
        None => {
            let settled = budget.settle_root(scanner);
            budget.pending_root = None;
            settled.unwrap_or_else(|| hash_bytes(scanner.hashes, data))
        }
    };
    if errors_omitted > 0 {
        errors.push(Error::malformed(format!(
            "{errors_omitted} more errors on this node not listed"
        )));
    }
    if evidence_omitted > 0 {
        evidence.push(Evidence::weak(
            "more-evidence",
            format!(
                "{evidence_omitted} more pieces of evidence not listed (at most {} with one signal are kept)",
                formats::container::MAX_EVIDENCE_PER_SIGNAL
            ),
            None,
        ));
    }
    let name = path.last().map_or("", String::as_str);
    let verdict = classify::classify(&classify::Subject {
        format,
        name,
        data,
        metadata: metadata.as_ref(),
        children: &children,
        not_opened: not_opened.as_deref(),
        errors: &errors,
    });
    evidence.extend(verdict.evidence);
    if !errors.is_empty() {
        budget.stats.nodes_with_errors += 1;
    }
    let mut verified_by = verified;
    if let Some(e) = entry.as_mut() {
        verified_by.append(&mut e.verified_by);
    }
    Node {
        info: NodeInfo {
            path,
            depth,
            size: data.len() as u64,
            sha256: Some(hashes.sha256),
            sha1: hashes.sha1,
            md5: hashes.md5,
            verified_by: sorted_checks(verified_by),
            format,
            verdict: verdict.verdict,
            family: verdict.family,
            kind: verdict.kind,
            installer: verdict.installer.map(Box::new),
            tools: (!verdict.tools.is_empty()).then(|| Box::new(verdict.tools)),
            evidence,
            errors,
            entry,
            metadata,
        },
        children,
    }
}

/// Drive a pull-based parser ([`formats::container`]): open the node, pull
/// each entry and hand it to [`Cx::child`] (which admits it against the
/// limits, scans it and attaches it), stop pulling when the limits say so,
/// and move the parser's notes onto the node after every call, so its
/// errors and the engine's stay in the order they happened.
fn pull(data: &[u8], cx: &mut Cx<'_>, open: formats::container::OpenFn) -> formats::Parsed {
    pull_with(data, cx, open)
}

/// [`pull`] with an opener that needs more than the node's bytes (a
/// closure over the node's siblings).
fn pull_with<'d>(
    data: &'d [u8],
    cx: &mut Cx<'_>,
    open: impl FnOnce(
        &'d [u8],
        &formats::container::Options<'_>,
        &mut formats::container::Notes,
    ) -> formats::container::Opened<'d>,
) -> formats::Parsed {
    let opts = parser_options(cx.scanner, cx.path);
    let mut notes = formats::container::Notes::default();
    let opened = open(data, &opts, &mut notes);
    cx.take_notes(&mut notes);
    conclude(cx, data, opened)
}

/// What a parser is told of the scan: its limits, hashes, passwords, the
/// node's name (the last part of `path`), and whether a spare core lets it
/// decode ahead (the hashing thread's flag).
fn parser_options<'a>(scanner: &'a Scanner, path: &'a [String]) -> formats::container::Options<'a> {
    formats::container::Options {
        limits: &scanner.limits,
        hashes: scanner.hashes,
        name: path.last().map_or("", String::as_str),
        passwords: &scanner.passwords,
        read_ahead: scanner.hash_thread,
    }
}

/// [`pull`] for a cabinet given as a file: the cabinets of its set that
/// lie beside it (same directory, name compared without case, as Windows
/// does) are handed to the parser, which joins a folder that spans them
/// ([`formats::cab::open_set`]). Each is read whole within
/// `max_entry_size`.
fn pull_cab_set(data: &[u8], cx: &mut Cx<'_>) -> formats::Parsed {
    let dir = cx.budget.dir.clone();
    let max = cx.scanner.limits.max_entry_size;
    let find = |name: &str| read_sibling(dir.as_deref(), max, name);
    pull_cab_with(data, cx, &find)
}

/// [`pull`] for a RAR given as a file: the volumes of its set that lie
/// beside it (as [`pull_cab_set`] finds a cabinet's) are handed to the
/// parser, which lists the set from its first volume
/// ([`formats::rar::open_set`]).
fn pull_rar_set(data: &[u8], cx: &mut Cx<'_>) -> formats::Parsed {
    let dir = cx.budget.dir.clone();
    // A volume is read whole: never more than the set may hold at all.
    let limits = &cx.scanner.limits;
    let max = limits.max_entry_size.min(limits.max_volume_set_bytes);
    let find = |name: &str| read_sibling(dir.as_deref(), max, name);
    let store = formats::rar::VolumeStore::new(&cx.scanner.limits);
    pull_with(data, cx, |d, opts, notes| {
        formats::rar::open_set(d, opts, notes, &find, &store)
    })
}

/// The file `name` in `dir` (compared without case), read whole when it
/// is a regular file within `max` bytes.
fn read_sibling(dir: Option<&Path>, max: u64, name: &str) -> Option<Cow<'static, [u8]>> {
    // A name, not a path: no separators, no `..`.
    if !plain_name(name) {
        return None;
    }
    let entry = std::fs::read_dir(dir?).ok()?.flatten().find(|e| {
        e.file_name()
            .to_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })?;
    let meta = entry.metadata().ok()?;
    if !meta.is_file() || meta.len() > max {
        return None;
    }
    std::fs::read(entry.path()).ok().map(Cow::Owned)
}

/// A cabinet's neighbour's name as it names it: a name, never a path (no
/// separators, not `..`).
fn plain_name(name: &str) -> bool {
    !(name.is_empty() || name.contains(['/', '\\']) || name == "." || name == "..")
}

/// Open a cabinet with its set's other cabinets found by `find`
/// ([`formats::cab::open_set`]) and pull it.
fn pull_cab_with(
    data: &[u8],
    cx: &mut Cx<'_>,
    find: formats::cab::Siblings<'_, '_>,
) -> formats::Parsed {
    pull_with(data, cx, |d, opts, notes| {
        formats::cab::open_set(d, opts, notes, find)
    })
}

/// The node's conclusion from what opening it gave: a leaf's, or the
/// container's once pulled to its end. `whole` is the node's bytes, which
/// the container's regions lie in.
fn conclude(
    cx: &mut Cx<'_>,
    whole: &[u8],
    opened: formats::container::Opened<'_>,
) -> formats::Parsed {
    use formats::container::Opened;
    match opened {
        Opened::Leaf(parsed) => parsed,
        Opened::Container(c) => drive(cx, whole, c).0,
    }
}

/// The cabinets of a set among one container's entries, held until the
/// container's end so that each finds its sibling entries (ARCHITECTURE.md,
/// "Cabinet sets"). An entry is held when it is a cabinet whose header
/// names a neighbour ([`formats::cab::names_neighbours`]), an
/// InstallShield cabinet, or a RAR volume ([`formats::rar::is_volume`]),
/// and the engine would open it (depth). A cabinet lying in the node's own
/// bytes is held as that region (no copy); one decoded from the container
/// is kept, within [`Limits::max_held_set_bytes`] per input. Every entry's
/// name is noted (a hash of its directory and name, without case, as
/// Windows compares them), with its region when it has one, so a neighbour
/// that is an entry but not a cabinet of the set is found and refused as on
/// disk.
/// Held entries are admitted when held, and scanned after the container's
/// last entry (or before a limit stops it, or before an entry that copies
/// one of them), in the order met: they are its last children.
struct Shelf<'d> {
    held: Vec<HeldCab<'d>>,
    /// The held entries not scanned yet: name, info, entry number (for
    /// the container's `Data::Copy`) and index in `held`.
    meta: Vec<(String, EntryInfo, usize, usize)>,
    /// Every entry of the container by hashed (directory, name).
    names: HashMap<u64, Sib<'d>>,
    keys: std::collections::hash_map::RandomState,
    /// Decoded bytes held (counted in `Budget::held_bytes`).
    bytes: u64,
    /// Whether anything was held in this container (entry numbers then no
    /// longer equal child indices).
    ever: bool,
}

/// A held cabinet (or RAR volume): its bytes, its directory in the
/// container (where its neighbours are looked for), its name, and its kind.
/// Kept to the container's end (a cabinet scanned early, before a copy of
/// it, is still a sibling of the later ones).
struct HeldCab<'d> {
    data: HeldData<'d>,
    dir: String,
    name: String,
    kind: SetKind,
}

/// What a held entry is a part of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetKind {
    /// A Microsoft cabinet naming a neighbour.
    Cab,
    /// An InstallShield cabinet (a header or a data volume).
    InstallShield,
    /// A RAR volume.
    Rar,
}

/// What an InstallShield cabinet held is in its directory's sets.
enum IsRole {
    /// In no set: opened alone (its handler's parser).
    Alone,
    /// A set's header, with its volumes (number, held index).
    Header(Vec<(u32, usize)>),
    /// A data volume of the set whose header is this entry.
    Volume(String),
}

enum HeldData<'d> {
    /// A region of the container's node.
    Region(&'d [u8]),
    /// Decoded bytes, with the hashes computed as they streamed.
    Owned(Vec<u8>, Hashes),
}

impl HeldData<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            HeldData::Region(b) => b,
            HeldData::Owned(v, _) => v,
        }
    }
}

/// What an entry's name finds in a [`Shelf`].
#[derive(Clone, Copy)]
enum Sib<'d> {
    /// The held cabinet at this index.
    Held(usize),
    /// An entry that is a region of the container's node.
    Region(&'d [u8]),
    /// An entry whose bytes were not kept (not a cabinet of a set).
    Gone,
}

/// Where `part` lies in `whole`, as a slice of `whole` (so it outlives
/// the container that lent it), when it does.
fn region_in<'d>(whole: &'d [u8], part: &[u8]) -> Option<&'d [u8]> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    whole.get(start..start.checked_add(part.len())?)
}

/// An entry's directory and name in a container (`/`-separated).
fn split_name(name: &str) -> (&str, &str) {
    name.rsplit_once('/').unwrap_or(("", name))
}

impl<'d> Shelf<'d> {
    fn new() -> Self {
        Shelf {
            held: Vec::new(),
            meta: Vec::new(),
            names: HashMap::new(),
            keys: std::collections::hash_map::RandomState::new(),
            bytes: 0,
            ever: false,
        }
    }

    fn key(&self, dir: &str, name: &str) -> u64 {
        use std::hash::{BuildHasher, Hasher as _};
        let mut h = self.keys.build_hasher();
        for b in dir.bytes() {
            h.write_u8(b.to_ascii_lowercase());
        }
        h.write_u8(b'/');
        for b in name.bytes() {
            h.write_u8(b.to_ascii_lowercase());
        }
        h.finish()
    }

    /// The bytes of the entry `name` in `dir`, for a held cabinet's set.
    fn find<'s>(&'s self, dir: &str, name: &str) -> Option<Cow<'s, [u8]>> {
        if !plain_name(name) {
            return None;
        }
        match self.names.get(&self.key(dir, name))? {
            Sib::Held(j) => self.held.get(*j).map(|c| Cow::Borrowed(c.data.bytes())),
            Sib::Region(b) => Some(Cow::Borrowed(*b)),
            // Present, but its bytes were not kept: not a cabinet of a set.
            Sib::Gone => Some(Cow::Borrowed(&[][..])),
        }
    }

    fn note(&mut self, name: &str, sib: Sib<'d>) {
        let (dir, base) = split_name(name);
        let k = self.key(dir, base);
        self.names.entry(k).or_insert(sib);
    }

    /// Hold entry number `ordinal` when it is a cabinet of a set the
    /// engine will open (admitted here, against the entry limits);
    /// otherwise hand it back, its name noted.
    fn offer<'s>(
        &mut self,
        cx: &mut Cx<'_>,
        whole: &'d [u8],
        ordinal: usize,
        name: String,
        mut info: EntryInfo,
        data: ChildData<'s>,
    ) -> Offer<'s> {
        let l = &cx.scanner.limits;
        let opened = cx.depth.saturating_add(1) <= l.max_depth;
        // A cabinet naming a neighbour, or an InstallShield cabinet (a
        // header or a volume: its set is paired by name).
        // The header checks first (a few bytes), the handler table (what
        // the child's scan will pick) only for a candidate.
        let set_kind = |b: &[u8]| {
            let (kind, want) = if formats::cab::names_neighbours(b) {
                (SetKind::Cab, Format::Cab)
            } else if formats::installshield::is_cabinet(b) {
                (SetKind::InstallShield, Format::InstallShield)
            } else if formats::rar::is_volume(b) {
                (SetKind::Rar, Format::Rar)
            } else {
                return None;
            };
            (opened && formats::sniff(b).is_some_and(|h| h.format == want)).then_some(kind)
        };
        let kind = match &data {
            ChildData::Borrowed(b) => set_kind(b),
            ChildData::Owned(v, _) => set_kind(v),
            ChildData::Spilled(s, _) => set_kind(&s.map),
            _ => None,
        };
        let held = match data {
            ChildData::Borrowed(b) if kind.is_some() => match region_in(whole, b) {
                Some(r) => HeldData::Region(r),
                None => {
                    // A region of a buffer of the container's own: copied.
                    let len = b.len() as u64;
                    if !self.room(cx, len, &mut info) {
                        self.note(&name, Sib::Gone);
                        return Offer::Back(name, info, ChildData::Borrowed(b));
                    }
                    HeldData::Owned(b.to_vec(), hash_bytes(cx.scanner.hashes, b))
                }
            },
            ChildData::Owned(v, hashes) if kind.is_some() => {
                if !self.room(cx, v.len() as u64, &mut info) {
                    self.note(&name, Sib::Gone);
                    return Offer::Back(name, info, ChildData::Owned(v, hashes));
                }
                HeldData::Owned(v, hashes)
            }
            ChildData::Spilled(s, hashes) => {
                if kind.is_some() {
                    info = info.with_error(Error::limit(
                        installsift_model::Limit::MaxBufferedEntry,
                        "a cabinet or RAR volume of a set above max_buffered_entry is opened alone, not held for its sibling entries",
                    ));
                }
                self.note(&name, Sib::Gone);
                return Offer::Back(name, info, ChildData::Spilled(s, hashes));
            }
            other => {
                let sib = match &other {
                    ChildData::Borrowed(b) | ChildData::Overlapping(b, _) => {
                        region_in(whole, b).map_or(Sib::Gone, Sib::Region)
                    }
                    _ => Sib::Gone,
                };
                self.note(&name, sib);
                return Offer::Back(name, info, other);
            }
        };
        if !cx.admit() {
            if let HeldData::Owned(v, _) = &held {
                let len = v.len() as u64;
                cx.budget.held_bytes = cx.budget.held_bytes.saturating_sub(len);
                self.bytes = self.bytes.saturating_sub(len);
            }
            return Offer::Stopped;
        }
        let (dir, _) = split_name(&name);
        let kind = kind.unwrap_or(SetKind::Cab);
        let index = self.held.len();
        self.held.push(HeldCab {
            data: held,
            dir: dir.to_owned(),
            name: name.clone(),
            kind,
        });
        self.note(&name, Sib::Held(index));
        self.meta.push((name, info, ordinal, index));
        self.ever = true;
        Offer::Held
    }

    /// What each held InstallShield cabinet is in the sets of its
    /// directory (paired by name as unshield does, one pass per
    /// directory), by held index.
    fn installshield_roles(&self) -> Vec<IsRole> {
        let mut roles: Vec<IsRole> = self.held.iter().map(|_| IsRole::Alone).collect();
        let mut by_dir: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, h) in self.held.iter().enumerate() {
            if h.kind == SetKind::InstallShield {
                by_dir.entry(h.dir.as_str()).or_default().push(i);
            }
        }
        for held in by_dir.values() {
            let parts: Vec<(&str, &[u8])> = held
                .iter()
                .filter_map(|&i| {
                    let h = self.held.get(i)?;
                    Some((split_name(&h.name).1, h.data.bytes()))
                })
                .collect();
            if parts.len() != held.len() {
                continue;
            }
            for (h, vols) in formats::installshield::cabinet_sets(&parts) {
                let (Some(&hi), Some(head)) =
                    (held.get(h), held.get(h).and_then(|&i| self.held.get(i)))
                else {
                    continue;
                };
                let vols: Vec<(u32, usize)> = vols
                    .into_iter()
                    .filter_map(|(n, v)| Some((n, *held.get(v)?)))
                    .collect();
                for &(_, vi) in &vols {
                    if vi != hi {
                        if let Some(r) = roles.get_mut(vi) {
                            *r = IsRole::Volume(head.name.clone());
                        }
                    }
                }
                if let Some(r) = roles.get_mut(hi) {
                    *r = IsRole::Header(vols);
                }
            }
        }
        roles
    }

    /// Count `len` decoded bytes as held, when the limit allows; else an
    /// error on the entry, which is then opened alone.
    fn room(&mut self, cx: &mut Cx<'_>, len: u64, info: &mut EntryInfo) -> bool {
        let max = cx.scanner.limits.max_held_set_bytes;
        let spent = cx.budget.held_bytes.saturating_add(len);
        if spent > max {
            info.add_error(Error::limit(
                installsift_model::Limit::MaxHeldSetBytes,
                format!(
                    "a cabinet or RAR volume of a set ({len} bytes) is opened alone, not held for its sibling entries: the input holds {} bytes of held set parts already, the limit is {max}",
                    cx.budget.held_bytes
                ),
            ));
            return false;
        }
        cx.budget.held_bytes = spent;
        self.bytes = self.bytes.saturating_add(len);
        true
    }

    /// Scan the held cabinets, in the order met, each opened with the
    /// held and noted entries of its directory as its set's siblings;
    /// record the child index of each entry number in `placed`.
    fn flush(&mut self, cx: &mut Cx<'_>, placed: &mut [Option<usize>]) {
        let meta = std::mem::take(&mut self.meta);
        cx.credit = meta.len() as u64;
        let roles = self.installshield_roles();
        let shelf = &*self;
        for (name, info, ordinal, i) in meta {
            let Some(h) = shelf.held.get(i) else {
                break;
            };
            let dir = h.dir.as_str();
            let find = |n: &str| shelf.find(dir, n);
            let ms = |d: &[u8], cx: &mut Cx<'_>| pull_cab_with(d, cx, &find);
            let role = roles.get(i).unwrap_or(&IsRole::Alone);
            let header = |d: &[u8], cx: &mut Cx<'_>| {
                let IsRole::Header(vols) = role else {
                    return pull(d, cx, formats::installshield::open);
                };
                let volumes: Vec<(u32, &[u8])> = vols
                    .iter()
                    .filter_map(|&(n, j)| Some((n, shelf.held.get(j)?.data.bytes())))
                    .collect();
                pull_with(d, cx, |d, opts, notes| {
                    formats::installshield::open_cabinet_set(d, volumes, opts, notes)
                })
            };
            let volume = |d: &[u8], cx: &mut Cx<'_>| {
                let IsRole::Volume(head) = role else {
                    return pull(d, cx, formats::installshield::open);
                };
                pull_with(d, cx, |d, _, notes| {
                    formats::installshield::open_volume_of_set(d, head, notes)
                })
            };
            // A RAR volume: its set walked from the first volume, the
            // others found among the held entries of its directory
            // (borrowed, not copied: the shelf outlives the walk).
            let rar = |d: &[u8], cx: &mut Cx<'_>| {
                let store = formats::rar::VolumeStore::new(&cx.scanner.limits);
                let find = |n: &str| -> Option<Cow<'_, [u8]>> { shelf.find(dir, n) };
                pull_with(d, cx, |d, opts, notes| {
                    formats::rar::open_set(d, opts, notes, &find, &store)
                })
            };
            let parse: Option<&ParseFn<'_>> = match (h.kind, role) {
                (SetKind::Cab, _) => Some(&ms),
                (SetKind::Rar, _) => Some(&rar),
                (SetKind::InstallShield, IsRole::Header(_)) => Some(&header),
                (SetKind::InstallShield, IsRole::Volume(_)) => Some(&volume),
                (SetKind::InstallShield, IsRole::Alone) => None,
            };
            let data = match &h.data {
                HeldData::Region(b) => ChildData::Borrowed(b),
                HeldData::Owned(v, hashes) => ChildData::Held(v, *hashes),
            };
            let before = cx.children.len();
            cx.child_with(name, info, data, parse);
            if cx.children.len() > before {
                if let Some(p) = placed.get_mut(ordinal) {
                    *p = Some(before);
                }
            }
        }
        cx.credit = 0;
    }

    /// The container's end: the decoded bytes held are given back to the
    /// input's count.
    fn release(&mut self, cx: &mut Cx<'_>) {
        cx.budget.held_bytes = cx.budget.held_bytes.saturating_sub(self.bytes);
        self.bytes = 0;
    }
}

/// What [`Shelf::offer`] did with an entry.
// Returned once per entry and taken apart at once: boxing the entry would
// cost an allocation per entry for nothing.
#[allow(clippy::large_enum_variant)]
enum Offer<'s> {
    /// Held until the container's end.
    Held,
    /// Not held: the entry, for the loop to place now.
    Back(String, EntryInfo, ChildData<'s>),
    /// It was to be held, and the limits stopped the container.
    Stopped,
}

/// Pull every entry of `c` into the node of `cx` (see [`pull`]): the
/// container's conclusion, and whether the limits stopped the pulling.
fn drive<'a>(
    cx: &mut Cx<'_>,
    whole: &[u8],
    mut c: Box<dyn formats::container::Container + 'a>,
) -> (formats::Parsed, formats::container::End) {
    use formats::container::{Decoded, End, Entry, Notes};
    let mut notes = Notes::default();
    let mut end = End::Exhausted;
    // Children of this node before the container's first entry (a spliced
    // container's entries follow those its parent gave before it).
    let base = cx.children.len();
    // Cabinets of a set held to the container's end, and the child index
    // each entry became (entry number → index; see `Shelf`).
    let mut shelf = Shelf::new();
    let mut slots: Vec<Option<usize>> = Vec::new();
    loop {
        let Some(Entry { name, info, data }) = c.next_entry(&mut notes) else {
            cx.take_notes(&mut notes);
            break;
        };
        cx.take_notes(&mut notes);
        let ordinal = slots.len();
        slots.push(Some(cx.children.len()));
        // A spliced container is pulled to its end (and dropped) first:
        // nothing of this entry then borrows the container, which is free
        // to be told its conclusion.
        let took = take_data(cx, data, info.key.as_deref());
        // A spliced container is pulled, and a region with its own parser
        // opened, inside a call that consumes them: nothing of this entry
        // then borrows the container, which is free to be told the outcome.
        let placed = place_special(cx, whole, took, name, info);
        let (taken, name, mut info) = match placed {
            Ok(t) => t,
            Err(done) => {
                match *done {
                    Special::Spliced(parsed, sub_end) => {
                        c.spliced(parsed, &mut notes);
                        cx.take_notes(&mut notes);
                        if sub_end == End::Stopped {
                            end = End::Stopped;
                            break;
                        }
                    }
                    Special::Opened(added) => {
                        if !added {
                            end = End::Stopped;
                            break;
                        }
                        tell_scanned(cx, &mut *c);
                    }
                }
                continue;
            }
        };
        let data = match taken {
            Taken::Copy(of) => {
                // A copy of a held cabinet: the held ones are scanned now.
                if shelf.ever && matches!(slots.get(of), Some(None)) {
                    shelf.flush(cx, &mut slots);
                }
                let index = if shelf.ever {
                    slots.get(of).copied().flatten().unwrap_or(usize::MAX)
                } else {
                    base + of
                };
                if !cx.child_copy(name, info, index) {
                    end = End::Stopped;
                    break;
                }
                tell_scanned(cx, &mut *c);
                continue;
            }
            Taken::Child(d) => d,
            Taken::Read(read, declared, stored) => {
                let data = match read {
                    Ok(u) => {
                        let d = Decoded {
                            size: u.size(),
                            whole: u.whole(),
                            hashes: &u.hashes,
                        };
                        c.entry_read(Ok(d), &mut info, &mut notes);
                        u.into()
                    }
                    Err(mut error) => {
                        c.entry_read(Err(&mut error), &mut info, &mut notes);
                        let size = c.failed_size(declared, stored);
                        ChildData::Missing { size, error }
                    }
                };
                cx.take_notes(&mut notes);
                data
            }
        };
        let (name, info, data) = match shelf.offer(cx, whole, ordinal, name, info, data) {
            Offer::Back(name, info, data) => (name, info, data),
            Offer::Held => {
                if let Some(p) = slots.get_mut(ordinal) {
                    *p = None;
                }
                continue;
            }
            Offer::Stopped => {
                end = End::Stopped;
                break;
            }
        };
        if !cx.child(name, info, data) {
            end = End::Stopped;
            break;
        }
        tell_scanned(cx, &mut *c);
    }
    if !shelf.meta.is_empty() {
        shelf.flush(cx, &mut slots);
    }
    if shelf.ever {
        let n = shelf.held.len();
        cx.evidence(Evidence::strong(
            "cab-set-entries",
            format!(
                "{n} cabinets of a set among the entries: opened with their sibling entries as their set, after the container's other entries"
            ),
            None,
        ));
    }
    shelf.release(cx);
    let parsed = c.finish(end, &mut notes);
    cx.take_notes(&mut notes);
    (parsed, end)
}

/// A pulled entry's data as a child's, or, for a decoded entry, the
/// engine's read of it (the decoder consumed and dropped here, so the
/// container may be asked about the read) and its declared sizes.
///
/// A decoder that panics costs its entry, not the node: the panic becomes
/// the read's error (counted in the report's `panics`), and the container
/// is told through `entry_read` like any other failed read. An entry with
/// a key the node states a digest for is read with that digest checked
/// ([`Cx::read_entry_keyed`]).
///
/// A spliced container comes back as the error side, for the caller to
/// drive before it does anything else with the outer container.
#[allow(clippy::type_complexity)]
fn take_data<'s>(
    cx: &mut Cx<'_>,
    data: formats::container::Data<'s>,
    key: Option<&str>,
) -> Took<'s> {
    use formats::container::Data;
    Took::Plain(match data {
        Data::Splice(sub) => return Took::Splice(sub),
        Data::Opened { bytes, child } => return Took::Opened(bytes, child),
        Data::Slice(b) => Taken::Child(ChildData::Borrowed(b)),
        Data::Missing { size, error } => Taken::Child(ChildData::Missing { size, error }),
        Data::Copy { of } => Taken::Copy(of),
        Data::Owned(bytes) => {
            let size = bytes.len() as u64;
            let read = cx.read_entry(&mut bytes.as_slice(), Some(size), None);
            match read {
                Ok(u) => Taken::Child(u.into()),
                Err(error) => Taken::Child(ChildData::Missing { size, error }),
            }
        }
        Data::Decode {
            mut reader,
            declared,
            stored,
        } => {
            let read = catch_unwind(AssertUnwindSafe(|| match key {
                Some(k) => cx.read_entry_keyed(k, &mut *reader, declared, stored),
                None => cx.read_entry(&mut *reader, declared, stored),
            }));
            let read =
                read.unwrap_or_else(|p| Err(cx.contained_panic("entry decoder", p.as_ref())));
            Taken::Read(read, declared, stored)
        }
    })
}

/// Tell a container what its last entry turned out to be.
fn tell_scanned<C: formats::container::Container + ?Sized>(cx: &Cx<'_>, c: &mut C) {
    if let Some(n) = cx.children.last() {
        c.entry_scanned(n.info.format, n.info.metadata.as_ref());
    }
}

/// A spliced container or a region with its own parser, taken care of.
// Always boxed (the error side of `place_special`).
#[allow(clippy::large_enum_variant)]
enum Special {
    /// The spliced container's conclusion and how it ended.
    Spliced(formats::Parsed, formats::container::End),
    /// Whether the region became a child (false: the limits stopped).
    Opened(bool),
}

/// Drive a spliced container into the node, or open a region with the
/// container's parser as a child; other data is handed back with the
/// entry's name and info.
#[allow(clippy::type_complexity)]
fn place_special<'s>(
    cx: &mut Cx<'_>,
    whole: &[u8],
    took: Took<'s>,
    name: String,
    info: EntryInfo,
) -> std::result::Result<(Taken<'s>, String, EntryInfo), Box<Special>> {
    match took {
        Took::Opened(bytes, child) => {
            // Handed to the child's parse (at most once), unless the engine
            // does not open the child.
            let pending = std::cell::RefCell::new(Some(child));
            let parse = |d: &[u8], cx: &mut Cx<'_>| match pending.borrow_mut().take() {
                Some(child) => {
                    let formats::container::Preopened { mut notes, opened } = *child;
                    cx.take_notes(&mut notes);
                    conclude(cx, d, opened)
                }
                None => formats::Parsed {
                    format: Format::Unknown,
                    metadata: None,
                },
            };
            Err(Box::new(Special::Opened(
                cx.child_parsed_by(name, info, bytes, &parse),
            )))
        }
        Took::Plain(t) => Ok((t, name, info)),
        Took::Splice(sub) => {
            let (parsed, end) = drive(cx, whole, sub);
            Err(Box::new(Special::Spliced(parsed, end)))
        }
    }
}

/// What [`take_data`] made of an entry's data.
enum Taken<'s> {
    /// The child's data as it is.
    Child(ChildData<'s>),
    /// The engine's read of a decoded entry, and its declared and stored
    /// sizes (for its size if missing, see `Container::failed_size`).
    Read(Result<Unpacked>, Option<u64>, Option<u64>),
    /// A copy of the container's earlier entry.
    Copy(usize),
}

/// An entry's data as [`take_data`] found it.
enum Took<'s> {
    /// Data the loop handles.
    Plain(Taken<'s>),
    /// Another container's entries, for this node.
    Splice(Box<dyn formats::container::Container + 's>),
    /// A region the container opened with its own parser.
    Opened(&'s [u8], Box<formats::container::Preopened<'s>>),
}

/// Checks sorted and without repeats (the report's order).
fn sorted_checks(mut v: Vec<Check>) -> Vec<Check> {
    v.sort();
    v.dedup();
    v
}

/// Inputs up to this size are read into memory rather than mapped.
const READ_MAX: u64 = 8 << 20;

/// Mapped inputs at least this big are hashed in slices of
/// [`RELEASE_SLICE`] bytes, each released from the resident set once hashed
/// (see [`Scanner::scan_path`]).
const RELEASE_MIN: usize = 64 << 20;
/// See [`RELEASE_MIN`].
const RELEASE_SLICE: usize = 8 << 20;
/// May a container with this SHA-256 be opened? Not when an ancestor has the
/// same bytes (an archive that contains itself, like r.zip, would recurse to
/// the depth limit), nor when the same bytes were opened
/// [`Limits::max_opens_per_content`] times already in this input (42.zip
/// repeats each level 16 times: a million leaves from 42 KB).
///
/// Only formats that decompress are counted: repetition multiplies work only
/// through compression, and the same DLL in twenty folders of an installer
/// should keep its metadata every time. A PE or compound file repeated is
/// parsed again (cheap, its size is real), and any archive inside it is
/// counted on its own.
fn reopening(scanner: &Scanner, budget: &mut Budget, sha256: Sha256, format: Format) -> Result<()> {
    if let Some(level) = budget.ancestors.iter().position(|a| *a == sha256) {
        return Err(Error::malformed(format!(
            "same bytes as its ancestor at depth {level} (an archive containing itself); not opened again"
        )));
    }
    if matches!(
        format,
        Format::Pe | Format::Cfb | Format::Msi | Format::Msm | Format::Msp | Format::Mst
    ) {
        return Ok(());
    }
    let max = scanner.limits.max_opens_per_content;
    let count = budget.opened.entry(sha256).or_insert(0);
    if *count >= max {
        return Err(Error::limit(
            installsift_model::limits::Limit::MaxOpensPerContent,
            format!("the same bytes were opened {max} times in this input already"),
        ));
    }
    *count += 1;
    Ok(())
}

/// The node of an entry that was hashed while it streamed: its format is
/// sniffed and it is classified from its first bytes, never parsed.
fn scan_streamed(
    budget: &mut Budget,
    path: Vec<String>,
    depth: u32,
    u: Unpacked,
    mut entry: EntryInfo,
) -> Node {
    budget.stats.nodes += 1;
    if let Some(sink) = budget.data_sink.as_mut() {
        sink.streamed(budget.stats.nodes, &path);
    }
    entry.streamed = true;
    let format = formats::sniff(&u.bytes).map_or(Format::Unknown, |h| h.format);
    let name = path.last().map_or("", String::as_str);
    let children = Vec::new();
    let size = u.size();
    let mut errors: Vec<Error> = std::mem::take(&mut entry.errors);
    errors.extend(u.note);
    // A recognised container streamed past the buffer limit was not opened.
    let not_opened = errors
        .iter()
        .find(|e| matches!(e, Error::LimitExceeded { .. }))
        .map(ToString::to_string);
    let verdict = classify::classify(&classify::Subject {
        format,
        name,
        data: &u.bytes,
        metadata: None,
        children: &children,
        not_opened: not_opened.as_deref(),
        errors: &errors,
    });
    let verified_by = sorted_checks(std::mem::take(&mut entry.verified_by));
    if !errors.is_empty() {
        budget.stats.nodes_with_errors += 1;
    }
    Node {
        info: NodeInfo {
            path,
            depth,
            size,
            sha256: Some(u.hashes.sha256),
            sha1: u.hashes.sha1,
            md5: u.hashes.md5,
            verified_by,
            format,
            verdict: verdict.verdict,
            family: verdict.family,
            kind: verdict.kind,
            installer: verdict.installer.map(Box::new),
            tools: (!verdict.tools.is_empty()).then(|| Box::new(verdict.tools)),
            evidence: verdict.evidence,
            errors,
            entry: Some(entry),
            metadata: None,
        },
        children,
    }
}

impl Scanner {
    /// A scanner with default [`Limits`] computing SHA-256 only.
    pub fn new() -> Self {
        Scanner::default()
    }

    /// Use these limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Compute these hashes (SHA-256 is always computed).
    pub fn with_hashes(mut self, hashes: HashSelection) -> Self {
        self.hashes = hashes;
        self
    }

    /// Get files' bytes this way (default [`ReadMode::Read`]: no memory
    /// map unless asked).
    pub fn with_read_mode(mut self, mode: ReadMode) -> Self {
        self.read_mode = mode;
        self
    }

    /// Hash the entries that decoders produce on a second thread, while
    /// this one goes on decoding (entries of 4 MiB and more). Worth it when a core would otherwise idle: one input scanned
    /// at a time. Off by default; [`Scanner::scan_paths_map`] turns it on for
    /// a single file given more than one thread. Output is the same either
    /// way.
    pub fn with_hash_thread(mut self, on: bool) -> Self {
        self.hash_thread = on;
        self
    }

    /// Passwords to try, in order, on encrypted content: 7z archives whose
    /// blocks or header are AES-encrypted (the password that decrypts the
    /// header is tried first on the blocks). Without any, encrypted
    /// entries are listed and marked `encrypted`, not read. A password is
    /// accepted for a block when the block's first file decodes to its
    /// CRC-32; none matching is an `encrypted` error naming how many were
    /// tried.
    pub fn with_passwords(mut self, passwords: Vec<String>) -> Self {
        self.passwords = passwords;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Scan a buffer; `name` becomes the first path segment.
    pub fn scan_bytes(&self, name: &str, data: &[u8]) -> Report {
        self.scan_bytes_inner(name, data, None, None)
    }

    /// Scan a buffer, handing every node's bytes to `sink` as it is reached.
    pub(crate) fn scan_bytes_inner(
        &self,
        name: &str,
        data: &[u8],
        sink: Option<Box<dyn DataSink>>,
        dir: Option<&Path>,
    ) -> Report {
        self.scan_root(name, data, None, sink, dir)
    }

    /// Scan `data` as the root, with its hashes when already computed.
    fn scan_root(
        &self,
        name: &str,
        data: &[u8],
        hashes: Option<Hashes>,
        sink: Option<Box<dyn DataSink>>,
        dir: Option<&Path>,
    ) -> Report {
        let mut budget = Budget {
            stats: ScanStats::default(),
            data_sink: sink,
            dir: dir.map(Path::to_path_buf),
            ..Budget::default()
        };
        let root = std::thread::scope(|scope| {
            // With a core to spare, the input's hashes are computed beside
            // its scan (`PendingRoot`).
            let min = self.root_hash_min.unwrap_or(ROOT_HASH_THREAD_MIN);
            if hashes.is_none() && self.hash_thread && data.len() >= min {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let selection = self.hashes;
                let started = std::thread::Builder::new()
                    .name("input-hash".to_owned())
                    .spawn_scoped(scope, move || {
                        let _ = tx.send(hash_bytes(selection, data));
                    });
                if started.is_ok() {
                    budget.pending_root = Some(PendingRoot {
                        len: data.len(),
                        format: None,
                        hashes: rx,
                        settled: None,
                    });
                }
            }
            scan_node(
                self,
                &mut budget,
                vec![name.to_owned()],
                0,
                data,
                hashes,
                None,
                Ok(()),
            )
        });
        Report {
            root,
            stats: budget.stats,
        }
    }

    /// Scan one file, read or mapped as the [`ReadMode`] says (a symlink is
    /// followed). Fails only when the file cannot be read, or is not a
    /// regular file: a FIFO, socket, device, directory or dangling symlink
    /// is an error at once and is never opened. A file whose size the file
    /// system gives as 0 (a `/proc` file) is read to its end, at most
    /// [`Limits::max_unsized_input`] bytes. Damaged content is reported on
    /// the nodes.
    pub fn scan_path(&self, path: &Path) -> Result<Report> {
        self.scan_path_inner(path, None)
    }

    /// [`scan_path`](Self::scan_path) with a sink for every node's bytes.
    pub(crate) fn scan_path_inner(
        &self,
        path: &Path,
        sink: Option<Box<dyn DataSink>>,
    ) -> Result<Report> {
        // A FIFO, socket or device is refused here, unopened (`inputs`).
        let (file, meta) = inputs::open(path)?;
        let name = path.to_string_lossy();
        let dir = Some(path.parent().unwrap_or(Path::new("."))).map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        });
        if meta.len() == 0 {
            // Empty, or a /proc or /sys file whose content exists only
            // when read: read it (bounded) rather than trust the size.
            let buf = inputs::read_unsized(&file, path, self.limits.max_unsized_input)?;
            return Ok(self.scan_bytes_inner(&name, &buf, sink, dir));
        }
        let read = match self.read_mode {
            ReadMode::Read => Some(meta.len()),
            ReadMode::Mmap => None,
            // Small files are read when worker threads scan side by side: a
            // map costs a page fault per 4 KiB and an munmap, which serialise
            // them on the process's address-space lock.
            ReadMode::Auto => (meta.len() <= READ_MAX && !self.one_at_a_time).then_some(READ_MAX),
        };
        let read_whole = |at_most: u64| -> Result<Vec<u8>> {
            let mut buf = Vec::new();
            buf.try_reserve_exact(usize::try_from(meta.len()).unwrap_or(usize::MAX))
                .map_err(|e| Error::io(format!("{}: {e}", path.display())))?;
            (&file)
                .take(at_most)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(format!("{}: {e}", path.display())))?;
            Ok(buf)
        };
        if let Some(at_most) = read {
            let buf = read_whole(at_most)?;
            let mut report = self.scan_bytes_inner(&name, &buf, sink, dir);
            // What was read is one consistent copy, unless the file changed
            // while it was being read.
            changed_under_scan(&mut report, &file, &meta, buf.len() as u64, 0);
            return Ok(report);
        }
        // SAFETY: the map is read-only and lives only for this call. If another
        // process truncates the file meanwhile, reading the vanished pages
        // raises SIGBUS: the guard registered below makes them read as zeros
        // instead (guard.rs), and the change becomes an error on the input.
        #[allow(unsafe_code)]
        let map = unsafe {
            let mut o = memmap2::MmapOptions::new();
            if meta.len() <= READ_MAX {
                // Mapped in one go: no fault per page, and unlike a read no
                // copy into fresh memory.
                o.populate();
            }
            o.map(&file)
        };
        let map = match map {
            Ok(map) => map,
            // A file system that cannot map files (sysfs: its attributes
            // give their size as 4096 and hold a few bytes): read instead.
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => {
                return Ok(self.scan_bytes_inner(&name, &read_whole(meta.len())?, sink, dir));
            }
            Err(e) => return Err(Error::io(format!("{}: mmap: {e}", path.display()))),
        };
        let Some(guard) = crate::guard::Guard::new(&map) else {
            // No guard to be had (every slot taken): read the file instead
            // of risking the process.
            drop(map);
            return self
                .clone()
                .with_read_mode(ReadMode::Read)
                .scan_path_inner(path, sink);
        };
        // A big file is hashed first, a slice at a time, and each hashed
        // slice is dropped from this process's resident set: otherwise the
        // mapped pages of a multi-GB input would all count as our memory.
        // The parsers then fault in only what they read.
        let hashes = (map.len() >= RELEASE_MIN).then(|| {
            let mut h = Hasher::new(self.hashes);
            for (i, chunk) in map.chunks(RELEASE_SLICE).enumerate() {
                h.update(chunk);
                // SAFETY: the map is a read-only shared file mapping; dropping
                // its pages only makes later reads fault them in again from
                // the page cache, with the same bytes.
                #[allow(unsafe_code)]
                let _ = unsafe {
                    map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        i * RELEASE_SLICE,
                        chunk.len(),
                    )
                };
            }
            h.finish()
        });
        let mut report = self.scan_root(&name, &map, hashes, sink, dir);
        changed_under_scan(&mut report, &file, &meta, map.len() as u64, guard.faults());
        drop(guard);
        Ok(report)
    }

    /// Scan one file and hand every node to `visit`, parent before children.
    /// Nodes of the input are delivered once its scan is complete (a parent's
    /// errors can come from its last entry), then the tree is dropped.
    pub fn scan_path_with(
        &self,
        path: &Path,
        visit: &mut dyn FnMut(&NodeInfo),
    ) -> Result<ScanStats> {
        let report = self.scan_path(path)?;
        report.root.walk(&mut |n| visit(&n.info));
        Ok(report.stats)
    }

    /// Scan files and directories on `threads` worker threads. A directory
    /// (or a symlink to one) is walked recursively, sorted by name; in the
    /// walk only regular files are scanned, and symlinks (never followed),
    /// FIFOs, sockets and devices are skipped and counted: the counts are
    /// returned. A path given in `roots` that is not a directory is
    /// scanned as [`Scanner::scan_path`] does (a FIFO, socket, device or
    /// dangling symlink there is an error result, never opened).
    /// `on_result` receives each input's result in a deterministic order
    /// (the order of `roots`, then walk order), whatever the thread count.
    pub fn scan_paths(
        &self,
        roots: &[PathBuf],
        threads: usize,
        on_result: &mut dyn FnMut(&Path, Result<Report>),
    ) -> Skipped {
        self.scan_paths_map(roots, threads, &|_, r| r, &mut |p, r| on_result(p, r))
    }

    /// [`Scanner::scan_paths`] with a `map` step that runs on the worker
    /// threads (render a report to bytes, say) before `sink` receives its
    /// output on the calling thread, in the same deterministic order.
    ///
    /// Files are handed to workers one at a time as they free up, so one big
    /// file does not hold the others back; results that finish early wait in
    /// a reorder window (64 per thread, plus 64), which bounds memory
    /// whatever the number of files.
    pub fn scan_paths_map<T: Send>(
        &self,
        roots: &[PathBuf],
        threads: usize,
        map: &(dyn Fn(&Path, Result<Report>) -> T + Sync),
        sink: &mut dyn FnMut(&Path, T),
    ) -> Skipped {
        use std::sync::mpsc;
        use std::sync::{Condvar, Mutex};

        let threads = threads.max(1);
        // One file to scan, or one thread: no threads to start (they cost
        // more than a small file's whole scan).
        if threads == 1 || (roots.len() == 1 && roots.iter().all(|r| r.is_file())) {
            // A single file given spare threads: one hashes what the other
            // decodes.
            let mut me = self.clone();
            me.one_at_a_time = true;
            me.hash_thread |= threads > 1;
            let mut skipped = Skipped::default();
            for job in inputs::walk(roots) {
                let (p, result) = match job {
                    Job::Scan(p) => {
                        let r = me.scan_path(&p);
                        (p, r)
                    }
                    Job::Failed(p, err) => (p, Err(err)),
                    Job::Skip(kind) => {
                        skipped.add(kind);
                        continue;
                    }
                };
                let out = map(&p, result);
                sink(&p, out);
            }
            return skipped;
        }
        // At most this many inputs are taken from the walk and not yet
        // delivered: what finished out of order waits here. It must be wide
        // enough that one slow file (a bomb stopped at its limits takes a
        // few hundred ms) does not leave the other workers idle: with 4 per
        // thread, 2 threads reached only 161 % CPU on corpus/ × 20.
        let window = 64 * threads as u64 + 64;
        // (next sequence number to deliver, walk finished)
        let delivered = (Mutex::new(0u64), Condvar::new());
        let (work_tx, work_rx) = mpsc::sync_channel::<(u64, PathBuf)>(threads);
        let work_rx = Mutex::new(work_rx);
        let (done_tx, done_rx) = mpsc::channel::<(u64, PathBuf, T)>();

        std::thread::scope(|s| {
            // The walk: hands out sequence numbers in walk order, never more
            // than `window` ahead of delivery.
            let walk_done = done_tx.clone();
            let delivered_ref = &delivered;
            let walker = s.spawn(move || {
                let mut skipped = Skipped::default();
                let mut seq = 0u64;
                let wait_turn = |seq: u64| {
                    let (lock, cv) = delivered_ref;
                    let mut next = lock.lock().unwrap_or_else(|e| e.into_inner());
                    while seq >= next.saturating_add(window) {
                        next = cv.wait(next).unwrap_or_else(|e| e.into_inner());
                    }
                };
                for job in inputs::walk(roots) {
                    if let Job::Skip(kind) = job {
                        skipped.add(kind);
                        continue;
                    }
                    wait_turn(seq);
                    let sent = match job {
                        Job::Scan(p) => work_tx.send((seq, p)).is_ok(),
                        Job::Failed(p, err) => {
                            let out = map(&p, Err(err));
                            walk_done.send((seq, p, out)).is_ok()
                        }
                        Job::Skip(_) => true,
                    };
                    if !sent {
                        return skipped;
                    }
                    seq += 1;
                }
                skipped
            });
            for _ in 0..threads {
                let done_tx = done_tx.clone();
                let work_rx = &work_rx;
                s.spawn(move || loop {
                    let job = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((seq, path)) = job else { return };
                    let out = map(&path, self.scan_path(&path));
                    if done_tx.send((seq, path, out)).is_err() {
                        return;
                    }
                });
            }
            drop(done_tx);
            // Delivery, in order, on the calling thread.
            let mut pending: BTreeMap<u64, (PathBuf, T)> = BTreeMap::new();
            let mut next = 0u64;
            for (seq, path, out) in done_rx {
                pending.insert(seq, (path, out));
                while let Some((path, out)) = pending.remove(&next) {
                    sink(&path, out);
                    next += 1;
                }
                let (lock, cv) = &delivered;
                *lock.lock().unwrap_or_else(|e| e.into_inner()) = next;
                cv.notify_all();
            }
            // Every worker is gone (only a panic ends them early): release the
            // walk so the scope can end.
            let (lock, cv) = &delivered;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = u64::MAX;
            cv.notify_all();
            // The walk only counts and sends; it panics only if walkdir does.
            walker.join().unwrap_or_default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Truncates a file when the scan hands over the input's bytes, as
    /// another process may at any moment.
    struct Truncate(PathBuf);

    impl DataSink for Truncate {
        fn node(&mut self, number: u64, _: &[String], _: &[u8]) {
            if number == 1 {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&self.0)
                    .and_then(|f| f.set_len(100))
                    .expect("truncate");
            }
        }
        fn begin(&mut self) {}
        fn chunk(&mut self, _: &[u8]) {}
        fn streamed(&mut self, _: u64, _: &[String]) {}
        fn copy(&mut self, _: u64, _: &[String], _: u64) {}
    }

    /// A mapped input truncated to 100 bytes while it is parsed: the
    /// process lives (the vanished pages read as zeros), the scan ends,
    /// and the input's node says the file changed. Read, the copy is
    /// consistent, and the change is said all the same.
    #[test]
    fn a_file_truncated_during_its_scan_is_an_error_not_a_crash() {
        let src = crate::test_support::sample("zip/deflate.zip").expect("sample");
        let dir = std::env::temp_dir().join(format!("installsift-shrink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for mode in [ReadMode::Mmap, ReadMode::Read, ReadMode::Auto] {
            let path = dir.join(format!("{mode:?}.zip"));
            std::fs::write(&path, &src).expect("write");
            let report = Scanner::new()
                .with_read_mode(mode)
                .scan_path_inner(&path, Some(Box::new(Truncate(path.clone()))))
                .expect("scanned");
            let first = report.root.info.errors.first().map(|e| e.to_string());
            assert!(
                first.as_deref().is_some_and(|e| e
                    .starts_with("io: the file changed while it was scanned")
                    && e.contains(&format!("{} bytes when opened", src.len()))
                    && e.contains("100 now")),
                "{mode:?}: {first:?}"
            );
            if mode == ReadMode::Mmap {
                assert!(first.is_some_and(|e| e.contains("pages past its new end read as zeros")));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_read_mode_gives_the_same_report_and_the_default_maps_nothing() {
        assert_eq!(Scanner::new().read_mode, ReadMode::Read);
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus");
        let dir = std::env::temp_dir().join(format!("installsift-readmode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        // Over READ_MAX, so Auto maps it even beside other workers.
        let big = dir.join("big.cab");
        let mut bytes = std::fs::read(corpus.join("cab/lzx_two_folders.cab")).expect("corpus");
        bytes.resize(usize::try_from(READ_MAX).expect("fits") + 4096, 0x5a);
        std::fs::write(&big, &bytes).expect("write");
        let inputs = [
            corpus.join("nested/zip_7z_zip.zip"),
            corpus.join("cab/mszip.cab"),
            big,
        ];
        let json =
            |r: &Report| crate::render::render(r, crate::render::Format::Json).expect("render");
        let each = |mode: ReadMode, threads: usize| {
            let mut out = Vec::new();
            Scanner::new()
                .with_read_mode(mode)
                .scan_paths(&inputs, threads, &mut |_, r| {
                    out.push(json(&r.expect("readable")))
                });
            out
        };
        let want = each(ReadMode::Read, 1);
        assert_eq!(want.len(), 3);
        for (mode, threads) in [
            (ReadMode::Read, 2),
            (ReadMode::Mmap, 1),
            (ReadMode::Mmap, 2),
            (ReadMode::Auto, 1),
            (ReadMode::Auto, 2),
        ] {
            assert!(each(mode, threads) == want, "{mode:?} on {threads} threads");
        }
        let one = Scanner::new()
            .with_read_mode(ReadMode::Mmap)
            .scan_path(&inputs[0]);
        assert!(json(&one.expect("readable")) == want[0]);
        let _ = std::fs::remove_dir_all(&dir);
        // The nested zip was opened: the report is not of an unread file.
        assert!(String::from_utf8_lossy(&want[0]).contains("\"depth\":2"));
    }

    /// The input's hashes computed beside its scan give the same report:
    /// a quine (a zip holding its own bytes, so a node of the input's
    /// length settles the hashes early and is refused as its ancestor), an
    /// MSI, nested archives, a cabinet; each at once and one at a time.
    #[test]
    fn hashing_the_input_beside_its_scan_changes_nothing() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus");
        let json =
            |r: &Report| crate::render::render(r, crate::render::Format::Json).expect("render");
        for rel in [
            "traps/quine.zip",
            "nested/zip_7z_zip.zip",
            "msi_real/gears-win32-opt.msi",
            "cab/lzx_two_folders.cab",
        ] {
            let data = std::fs::read(corpus.join(rel)).expect("corpus");
            let here = json(&Scanner::new().scan_bytes(rel, &data));
            let mut beside = Scanner::new().with_hash_thread(true);
            beside.root_hash_min = Some(0);
            assert!(json(&beside.scan_bytes(rel, &data)) == here, "{rel}");
            if rel == "traps/quine.zip" {
                assert!(String::from_utf8_lossy(&here)
                    .contains("same bytes as its ancestor at depth 0"));
            }
        }
    }

    /// Run `f` with a context over an empty node.
    fn with_cx<R>(limits: Limits, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
        let scanner = Scanner::new().with_limits(limits);
        let mut budget = Budget::default();
        let path = vec!["t".to_owned()];
        let mut cx = Cx::new(&scanner, &mut budget, &path, 0, (0, 0));
        f(&mut cx)
    }

    /// A slice that overlaps one already opened is refused with the
    /// offset, in the parent's bytes, that its message states.
    #[test]
    fn overlapping_claim_is_located_in_the_parent() {
        let parent = [0u8; 64];
        let e = with_cx(Limits::default(), |cx| {
            cx.range = (parent.as_ptr() as usize, parent.as_ptr() as usize + 64);
            assert!(cx.claim(&parent[8..24], "a").is_ok());
            cx.claim(&parent[16..40], "b").err()
        });
        let e = e.expect("an overlap is refused");
        assert_eq!(e.offset(), Some(16));
        assert_eq!(
            e.to_string(),
            "malformed: overlaps `a` (bytes 0x10..0x28 of the parent); not opened again"
        );
    }

    fn limit_of(r: Result<Unpacked>) -> &'static str {
        match r {
            Err(Error::LimitExceeded { limit, .. }) => limit.as_str(),
            Err(e) => panic!("not a limit: {e}"),
            Ok(_) => panic!("no error"),
        }
    }

    #[test]
    fn content_that_is_no_container_streams() {
        let data: Vec<u8> = (0..3 * SNIFF_PREFIX as u32)
            .map(|i| (i % 251) as u8)
            .collect();
        let u = with_cx(Limits::default(), |cx| {
            cx.read_entry(&mut data.as_slice(), Some(data.len() as u64), None)
        })
        .expect("read");
        assert_eq!(u.streamed, Some(data.len() as u64));
        assert_eq!(u.bytes.len(), SNIFF_PREFIX, "only the prefix is kept");
        assert_eq!(u.hashes, hash_bytes(HashSelection::SHA256, &data));
        // Small entries are kept whole.
        let small = with_cx(Limits::default(), |cx| {
            cx.read_entry(&mut &data[..1000], None, None)
        })
        .expect("read");
        assert_eq!((small.streamed, small.bytes.len()), (None, 1000));
    }

    /// The decoder's read buffer is one allocation for the whole input,
    /// whatever the entries' sizes, and reusing it (with an earlier entry's
    /// bytes still in it) changes no entry's bytes or hashes.
    #[test]
    fn the_read_buffer_is_kept_from_one_entry_to_the_next() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let small = b"a small entry".to_vec();
        with_cx(Limits::default(), |cx| {
            let a = cx
                .read_entry(&mut big.as_slice(), Some(big.len() as u64), None)
                .expect("big");
            let kept = cx.budget.chunk.as_ptr();
            assert_eq!(cx.budget.chunk.len(), CHUNK);
            for declared in [Some(small.len() as u64), None] {
                let b = cx
                    .read_entry(&mut small.as_slice(), declared, None)
                    .expect("small");
                assert_eq!(b.bytes, small);
                assert_eq!(b.hashes, hash_bytes(HashSelection::SHA256, &small));
                assert_eq!(cx.budget.chunk.as_ptr(), kept, "the same buffer");
            }
            assert_eq!(a.bytes, big);
            assert_eq!(a.hashes, hash_bytes(HashSelection::SHA256, &big));
        });
    }

    #[test]
    fn stated_digests_are_checked_for_their_entries_only() {
        // MD5("abc") and a wrong one; MD5 itself is not asked for.
        let abc: installsift_model::hash::Md5 =
            "900150983cd24fb0d6963f7d28e17f72".parse().expect("hex");
        let mut wrong = abc;
        wrong.0[0] ^= 1;
        let (good, bad, other, outcomes) = with_cx(Limits::default(), |cx| {
            cx.expect_digests(HashMap::from([
                ("g".to_owned(), (Check::MsiFileHash, Digest::Md5(abc))),
                ("b".to_owned(), (Check::MsiFileHash, Digest::Md5(wrong))),
            ]));
            let mut r = |k: &str| {
                cx.read_entry_keyed(k, &mut &b"abc"[..], Some(3), None)
                    .expect("read")
            };
            let (g, b, o) = (r("g"), r("b"), r("other"));
            (g, b, o, std::mem::take(&mut cx.outcomes))
        });
        for u in [&good, &bad, &other] {
            assert_eq!(u.hashes.md5, None, "MD5 reported although not asked for");
        }
        assert_eq!(outcomes.get("g"), Some(&Ok(Check::MsiFileHash)));
        assert!(matches!(
            outcomes.get("b"),
            Some(Err(Error::Checksum { .. }))
        ));
        assert!(!outcomes.contains_key("other"), "no digest, no check");
    }

    #[test]
    fn containers_are_kept_up_to_the_buffer_limit() {
        // A zip end record followed by filler: sniffed as a container.
        let mut data = b"PK\x05\x06".to_vec();
        data.resize(2 * SNIFF_PREFIX + 5, 0);
        let limits = Limits {
            max_buffered_entry: 4 * SNIFF_PREFIX as u64,
            max_spilled_entry: 0,
            ..Limits::default()
        };
        let u = with_cx(limits.clone(), |cx| {
            cx.read_entry(&mut data.as_slice(), None, None)
        })
        .expect("read");
        assert_eq!((u.streamed, u.bytes.len()), (None, data.len()));
        data.resize(5 * SNIFF_PREFIX, 0);
        // Above the buffer, within max_spilled_entry: all of it, from a
        // temporary file (decided on the prefix, or when it grows past).
        for declared in [None, Some(data.len() as u64)] {
            let spilling = Limits {
                max_spilled_entry: 8 * SNIFF_PREFIX as u64,
                ..limits.clone()
            };
            let u = with_cx(spilling, |cx| {
                cx.read_entry(&mut data.as_slice(), declared, None)
            })
            .expect("read");
            assert!(u.note.is_none(), "{:?}", u.note);
            assert_eq!(u.streamed, None);
            assert_eq!(u.size(), data.len() as u64);
            assert!(
                u.whole() == Some(&data[..]),
                "the spilled bytes are the entry's"
            );
            assert_eq!(
                u.hashes.sha256,
                installsift_model::hash::Sha256::digest(&data)
            );
            assert!(matches!(ChildData::from(u), ChildData::Spilled(..)));
        }
        // Past max_spilled_entry: hashed, not opened, and said so.
        let small = Limits {
            max_spilled_entry: 9 * SNIFF_PREFIX as u64 / 2,
            ..limits.clone()
        };
        let u = with_cx(small, |cx| cx.read_entry(&mut data.as_slice(), None, None)).expect("read");
        assert_eq!(u.streamed, Some(data.len() as u64));
        assert!(matches!(
            u.note,
            Some(Error::LimitExceeded {
                limit: installsift_model::limits::Limit::MaxSpilledEntry,
                ..
            })
        ));
        for declared in [None, Some(data.len() as u64)] {
            let u = with_cx(limits.clone(), |cx| {
                cx.read_entry(&mut data.as_slice(), declared, None)
            })
            .expect("read");
            assert_eq!(u.streamed, Some(data.len() as u64));
            assert!(matches!(
                u.note,
                Some(Error::LimitExceeded {
                    limit: installsift_model::limits::Limit::MaxBufferedEntry,
                    ..
                })
            ));
        }
    }

    #[test]
    fn declared_sizes_are_checked_before_decoding() {
        let mut never = std::io::repeat(0);
        let l = Limits::default();
        assert_eq!(
            limit_of(with_cx(l.clone(), |cx| cx.read_entry(
                &mut never,
                Some(2 << 30),
                None
            ))),
            "max_entry_size"
        );
        assert_eq!(
            limit_of(with_cx(l.clone(), |cx| {
                cx.read_entry(&mut never, Some(100 << 20), Some(1000))
            })),
            "max_ratio"
        );
        let tight = Limits {
            max_total_unpacked: 10,
            ..Limits::default()
        };
        assert_eq!(
            limit_of(with_cx(tight, |cx| cx.read_entry(
                &mut never,
                Some(11),
                None
            ))),
            "max_total_unpacked"
        );
        // Output past the declared size stops at once (not after the stream).
        let (r, unpacked) = with_cx(l, |cx| {
            let r = cx.read_entry(&mut (&mut never).take(1 << 30), Some(10), None);
            (r, cx.budget.stats.unpacked_bytes)
        });
        assert!(matches!(r, Err(Error::Malformed { .. })));
        assert!(unpacked <= 10);
    }

    #[test]
    fn the_same_container_is_reopened_a_bounded_number_of_times() {
        let scanner = Scanner::new().with_limits(Limits {
            max_opens_per_content: 2,
            ..Limits::default()
        });
        let mut budget = Budget::default();
        let zip = Format::Zip;
        let (aa, bb, pe) = (Sha256([0xaa; 32]), Sha256([0xbb; 32]), Sha256([0x0e; 32]));
        assert!(reopening(&scanner, &mut budget, aa, zip).is_ok());
        assert!(reopening(&scanner, &mut budget, aa, zip).is_ok());
        // A PE's repetition is real bytes, not compression: never counted.
        for _ in 0..3 {
            assert!(reopening(&scanner, &mut budget, pe, Format::Pe).is_ok());
        }
        assert!(matches!(
            reopening(&scanner, &mut budget, aa, zip),
            Err(Error::LimitExceeded {
                limit: installsift_model::limits::Limit::MaxOpensPerContent,
                ..
            })
        ));
        budget.ancestors.push(bb);
        assert!(matches!(
            reopening(&scanner, &mut budget, bb, Format::Pe),
            Err(Error::Malformed { .. })
        ));
    }
}
