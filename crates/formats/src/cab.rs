//! Microsoft cabinet (MSCF): list every file and unpack it within the
//! [`Limits`](installsift_model::Limits).
//!
//! The tables (CFHEADER, CFFOLDER, CFFILE, CFDATA; MS-CAB §2) are read by our
//! own bounds-checked code and each folder is decoded by a streaming reader
//! over its CFDATA blocks: MSZIP with `flate2` (the decoder the `cab` crate
//! itself uses), LZX with our own decoder ([`lzx`]: exact E8 translation,
//! typed errors), Quantum with our own decoder ([`quantum`]). Not `cab::Cabinet`, because:
//! - its `read_file(name)` starts a new folder reader and decodes from the
//!   folder's first block for every file (quadratic in the folder size), finds
//!   files by name (wrong with duplicate names), and it panicked once in 5,000
//!   mutations (index out of bounds in `FolderReader::seek_to_uncompressed_offset`);
//! - it needs the whole cabinet to open: a cabinet cut short is not listed.
//!
//! Behaviour:
//! - Each folder is decoded once; its files are produced in uncompressed-offset
//!   order as soon as their bytes are decoded, so on damage (a CFDATA block cut
//!   short, a block that does not decode) the files before it are children
//!   and the files at or after it are `Missing` children with a `truncated`
//!   or `malformed` error naming the block and its offset.
//! - Every CFDATA checksum is checked. A file whose bytes were decoded from
//!   blocks whose checksums all match is `verified_by: cab-checksum`; one
//!   decoded from a block whose checksum fails keeps its bytes and carries a
//!   `checksum` error naming the block; a block with checksum 0 ("not set")
//!   vouches for nothing. An empty file is decoded from no block.
//! - The file table is read even when the data is cut, so every listed file
//!   is reported. Files whose entry lies past the cut are lost (the node gets
//!   a `truncated` error with the count).
//! - The signature is `MSCF`, the reserved zeros and version 1.3; damaged
//!   header fields are errors on the node, read around (a `cbCabinet` below
//!   the header: the data's length; a `coffFiles` outside the cabinet: the
//!   end of the folder table). Signs that files or bytes are missing from
//!   the listing are errors too: another CFFILE after the `cFiles` counted,
//!   folder bytes that belong to no file, data after a folder's last file,
//!   CFDATA blocks that run past the cabinet's end.
//! - Quantum folders are decoded by our own decoder ([`quantum`]), checked
//!   byte for byte against cabextract.
//! - Cabinet sets ([`open_set`], `set.rs`): a last folder that continues
//!   into the next cabinets is joined with them when the engine hands them
//!   over, its files listed here; files of a folder begun in a previous
//!   cabinet are left to it when it is present. Without the neighbour, the
//!   files that need it are `Missing` with an `unsupported` error naming it.
//! - Names are the stored names with `\` turned into `/` (as `7zz x` and
//!   cabextract create them); names without the UTF-8 attribute that are not
//!   valid UTF-8 are read as Latin-1.
//! - A panic in a decoder is contained per file by the engine: that file and
//!   the folder's remaining files become `Missing` with an [`Error::Panic`],
//!   the other folders go on.

use super::container::{self, Container, Data, Decoded, End, Notes, Opened, Options};
use super::{le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Read};

pub mod lzx;
pub mod quantum;
mod set;

/// Cabinet facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CabInfo {
    /// Cabinet set id (`setID`): the same for every cabinet of a multi-volume set.
    pub set_id: u16,
    /// Index of this cabinet in its set (`iCabinet`), from 0.
    pub cabinet_index: u16,
    /// Size the header declares (`cbCabinet`).
    pub declared_cabinet_size: u32,
    /// Format version, `major.minor` (1.3 for every known cabinet).
    pub version: String,
    /// Folders (compression units); each holds the data of one or more files.
    pub folders: Vec<CabFolder>,
    /// Files listed in the file table.
    pub entries: u64,
    /// Sum of the declared sizes of the files.
    pub declared_size: u64,
    /// Compression methods of the folders (`none`, `mszip`, `lzx`, `quantum`), sorted.
    pub methods: Vec<String>,
    /// Reserved-area sizes, when the cabinet has them (`cfhdrRESERVE_PRESENT`;
    /// signed cabinets keep their signature there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserve: Option<CabReserve>,
    /// Previous cabinet of a multi-volume set (`szCabinetPrev`, `szDiskPrev`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_cabinet: Option<CabLink>,
    /// Next cabinet of a multi-volume set (`szCabinetNext`, `szDiskNext`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cabinet: Option<CabLink>,
}

/// One CFFOLDER entry.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CabFolder {
    /// `none`, `mszip`, `lzx` or `quantum` (or `type-N` for an unknown one).
    pub compression: String,
    /// LZX window bits or Quantum memory bits, when the method has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_bits: Option<u8>,
    /// Offset of the first CFDATA block (`coffCabStart`).
    pub data_offset: u32,
    /// Number of CFDATA blocks (`cCFData`).
    pub data_blocks: u16,
}

/// Reserved-area sizes from the header.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CabReserve {
    /// Bytes reserved in the header (`cbCFHeader`).
    pub header: u16,
    /// Bytes reserved in each CFFOLDER (`cbCFFolder`).
    pub folder: u8,
    /// Bytes reserved in each CFDATA (`cbCFData`).
    pub data: u8,
}

/// A neighbouring cabinet of a set.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CabLink {
    /// Cabinet file name.
    pub cabinet: String,
    /// Disk label.
    pub disk: String,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "cab",
    format: Format::Cab,
    sniff,
    open,
};

/// `MSCF`, four reserved zero bytes and format version 1.3: the signature.
/// The size and offset fields are not part of it: a cabinet whose fields
/// are damaged stays a cabinet, and the parser says what is wrong.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"MSCF\0\0\0\0") && data.get(24..26) == Some(&[3, 1])
}

const FLAG_PREV: u16 = 1;
const FLAG_NEXT: u16 = 2;
const FLAG_RESERVE: u16 = 4;
const ATTR_NAME_IS_UTF: u16 = 0x80;
/// `iFolder` values of files that span cabinets (MS-CAB 2.3).
const IFOLD_CONTINUED_FROM_PREV: u16 = 0xFFFD;
const IFOLD_CONTINUED_TO_NEXT: u16 = 0xFFFE;
const IFOLD_CONTINUED_PREV_AND_NEXT: u16 = 0xFFFF;
/// Longest name read (MS-CAB: CB_MAX_FILENAME is 256).
const MAX_NAME: usize = 1024;

/// A folder's compression, as parsed from `typeCompress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    None,
    MsZip,
    Quantum(u8),
    Lzx(u8),
    Unknown(u16),
}

impl Method {
    fn from_bits(bits: u16) -> Method {
        let window = ((bits >> 8) & 0x1f) as u8;
        match bits & 0x000f {
            0 => Method::None,
            1 => Method::MsZip,
            2 => Method::Quantum(window),
            3 => Method::Lzx(window),
            _ => Method::Unknown(bits),
        }
    }

    fn name(self) -> String {
        match self {
            Method::None => "none".into(),
            Method::MsZip => "mszip".into(),
            Method::Quantum(_) => "quantum".into(),
            Method::Lzx(_) => "lzx".into(),
            Method::Unknown(bits) => format!("type-{:#06x}", bits),
        }
    }
}

/// A CFFILE entry.
struct FileEntry {
    name: String,
    size: u32,
    offset: u32,
    folder: u16,
    /// The CFFILE's MS-DOS date and time (local time).
    mtime: Option<installsift_model::Timestamp>,
    /// What a cabinet set made of it (files continued across cabinets).
    fate: Fate,
}

/// What becomes of a file of a cabinet set.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    /// Listed with its folder (or, when it spans cabinets and no sibling
    /// joined it, missing with `unsupported`).
    Normal,
    /// Its folder begins in the previous cabinet, which is present: the
    /// previous cabinet lists it (with the whole folder, joined).
    ListedByPrevious,
    /// Its folder begins in a previous cabinet that is not present.
    Missing(String),
}

struct Folder {
    method: Method,
    data_offset: u32,
    blocks: u16,
}

/// Open a cabinet: the header, folder and file tables are read here; the
/// folders are decoded as the engine pulls their files.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    walk(data, None, opts.read_ahead, notes)
}

/// Finds a cabinet of the same set by the name this one gives it
/// (`szCabinetNext`, `szCabinetPrev`): its bytes, when the engine can see
/// it (a file beside this one, read; or a sibling entry of the container
/// this cabinet is an entry of, borrowed). The parser stays pure: it never
/// looks for files itself. Content decides: the bytes handed over must
/// parse as the cabinet of the same set (`setID`) at the neighbouring
/// index (`iCabinet`), or nothing is joined.
pub type Siblings<'r, 'b> = &'r dyn Fn(&str) -> Option<std::borrow::Cow<'b, [u8]>>;

/// Is this a cabinet of a set: one whose header names a previous or a
/// next cabinet (`cfhdrPREV_CABINET`, `cfhdrNEXT_CABINET`)? The engine
/// asks it of a container's entries to know which ones to hold until
/// their siblings are met (a header read, no tables).
pub fn names_neighbours(data: &[u8]) -> bool {
    sniff(data) && le_u16(data, 30).is_some_and(|f| f & (FLAG_PREV | FLAG_NEXT) != 0)
}

/// [`open`] for a cabinet whose siblings the engine can hand over: a
/// folder that continues into the next cabinets is joined with them
/// (at most [`max_cabinets_per_set`](installsift_model::Limits::max_cabinets_per_set)
/// cabinets) and its files, the spanning ones too, are listed here; files
/// whose folder begins in a previous cabinet that is present are left to
/// it. Without a sibling, as [`open`]: files continued across cabinets are
/// missing with an error naming the cabinet not found.
pub fn open_set<'a>(
    data: &'a [u8],
    opts: &Options<'_>,
    notes: &mut Notes,
    siblings: Siblings<'_, '_>,
) -> Opened<'a> {
    walk_set(
        data,
        None,
        opts.read_ahead.then_some(AHEAD_MIN_PACKED),
        notes,
        Some((siblings, opts.limits.max_cabinets_per_set)),
    )
}

/// Maps a cabinet member name (its key) to the name the child is reported
/// under; the key is then kept in `entry.key`. Used by the MSI module to name
/// files by the File table.
pub(crate) type Namer<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// The header and tables read; a container over the files, or a leaf when
/// no file table can be reached.
/// `read_ahead`: as [`Options::read_ahead`].
pub(crate) fn walk<'a>(
    whole: &'a [u8],
    namer: Option<Namer<'a>>,
    read_ahead: bool,
    notes: &mut Notes,
) -> Opened<'a> {
    walk_set(
        whole,
        namer,
        read_ahead.then_some(AHEAD_MIN_PACKED),
        notes,
        None,
    )
}

/// [`walk`], with the set's other cabinets when the engine can find them;
/// folders whose run of blocks is at least `ahead_from` bytes are decoded
/// ahead of the reader.
fn walk_set<'a>(
    whole: &'a [u8],
    namer: Option<Namer<'a>>,
    ahead_from: Option<usize>,
    notes: &mut Notes,
    siblings: Option<(Siblings<'_, '_>, u64)>,
) -> Opened<'a> {
    let mut info = CabInfo::default();
    let tables = read(whole, &mut info, notes).map(|mut t| {
        // Without siblings, every neighbour is "not found": the spanning
        // files and those of a folder begun elsewhere are missing.
        let joined = match siblings {
            Some((find, max)) => set::arrange(&mut t, &info, find, max, notes),
            None => set::arrange(&mut t, &info, &|_| None, 0, notes),
        };
        (t, joined)
    });
    match tables {
        None => Opened::Leaf(Parsed {
            format: Format::Cab,
            metadata: Some(Metadata::Cab(Box::new(info))),
        }),
        Some((t, joined)) => Opened::Container(Box::new(Walk {
            last_continues: joined.is_none()
                && t.files.iter().any(|f| {
                    matches!(
                        f.folder,
                        IFOLD_CONTINUED_TO_NEXT | IFOLD_CONTINUED_PREV_AND_NEXT
                    )
                }),
            joined,
            data: t.data,
            namer,
            info,
            folders: t.folders,
            files: t.files,
            data_reserve: t.data_reserve,
            stage: Stage::Spanning(0),
            pulled: 0,
            folder: None,
            members: None,
            runs: std::collections::BTreeMap::new(),
            spare: None,
            ahead_from,
        })),
    }
}

/// What [`read`] found: the cabinet's bytes (as `cbCabinet` bounds them)
/// and its tables.
struct Tables<'a> {
    data: &'a [u8],
    folders: Vec<Folder>,
    files: Vec<FileEntry>,
    data_reserve: usize,
}

/// Where the walk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Files continued from or into another cabinet, from this index of
    /// the file table.
    Spanning(usize),
    /// Folder `k`'s files (the folder state is in `Walk::folder`).
    Folders(usize),
    /// Files naming a folder the cabinet does not have, from this index.
    NoFolder(usize),
    Done,
}

/// The files of a cabinet, handed over in the order the engine pulls them.
struct Walk<'a> {
    /// The last folder's blocks joined with those of the next cabinets
    /// (see [`set`]), when it continues into them and they were found.
    joined: Option<set::Joined>,
    /// The last folder continues in the next cabinet, which is not joined:
    /// its data going on past its last file here is no damage.
    last_continues: bool,
    data: &'a [u8],
    namer: Option<Namer<'a>>,
    info: CabInfo,
    folders: Vec<Folder>,
    files: Vec<FileEntry>,
    data_reserve: usize,
    stage: Stage,
    /// Entries handed over so far (the index of the next one).
    pulled: usize,
    /// The folder being decoded.
    folder: Option<FolderWalk<'a>>,
    /// Each folder's files (indices into `files`, in table order), made
    /// once when the first folder starts: finding them per folder cost
    /// folders × files (65,535 × 65,535 in a 2 MB cabinet).
    members: Option<Vec<Vec<usize>>>,
    /// CFDATA runs of the folders started so far: first block's offset →
    /// (end of the last block, folder). A folder whose run overlaps an
    /// earlier one's is not decoded: folders naming one run of blocks
    /// would decode it once per folder.
    runs: std::collections::BTreeMap<usize, (usize, usize)>,
    /// The MSZIP decoder of the last folder, for the next one.
    spare: Option<Decoder>,
    /// Folders whose run of blocks is at least this long are decoded ahead
    /// on a thread of their own ([`Options::read_ahead`]; `None`: none).
    ahead_from: Option<usize>,
}

/// One folder being decoded: its files in the order of their data.
struct FolderWalk<'a> {
    k: usize,
    method: Method,
    /// Indices into `Walk::files`, sorted by offset.
    members: Vec<usize>,
    next: usize,
    reader: FolderReader<'a>,
    /// Packed size of the folder, for the ratio check.
    packed: Option<u64>,
    /// Set when a file hit a limit or a decoder panicked: the rest of the
    /// folder is not decoded (skipping a bomb's remainder would cost what
    /// the limit saved), and each remaining file carries this error (with
    /// its name, unless `bare`).
    abandoned: Option<(Error, bool)>,
    /// (offset, size) of each file handed over → its entry index: a later
    /// file with the same range has the same bytes (WiX and makecab store
    /// identical files once and point two entries at them).
    ranges: HashMap<(u64, u64), usize>,
    /// Entries whose bytes the folder's block checksums vouched for.
    vouched: HashSet<usize>,
    /// The file the engine is reading: its first block, name and index.
    reading: Option<(usize, String, usize)>,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<container::Entry<'_>> {
        loop {
            match self.stage {
                Stage::Spanning(i) => {
                    let Some(f) = self.files.get(i) else {
                        self.stage = Stage::Folders(0);
                        continue;
                    };
                    self.stage = Stage::Spanning(i + 1);
                    match &f.fate {
                        Fate::ListedByPrevious => continue,
                        Fate::Missing(why) => {
                            let error = Error::unsupported(format!("cab file `{}` {why}", f.name));
                            let (name, size) = (f.name.clone(), u64::from(f.size));
                            return Some(self.missing(&name, None, size, error));
                        }
                        Fate::Normal => {}
                    }
                    if f.folder < IFOLD_CONTINUED_FROM_PREV {
                        continue;
                    }
                    let next = self.info.next_cabinet.as_ref().map_or(String::new(), |l| {
                        format!(" (`{}` was not found beside it)", l.cabinet)
                    });
                    let prev = self.info.prev_cabinet.as_ref().map_or(String::new(), |l| {
                        format!(" (`{}` was not found beside it)", l.cabinet)
                    });
                    let why = match f.folder {
                        IFOLD_CONTINUED_FROM_PREV => {
                            format!("begins in the previous cabinet of the set{prev}")
                        }
                        IFOLD_CONTINUED_TO_NEXT => {
                            format!("continues in the next cabinet of the set{next}")
                        }
                        IFOLD_CONTINUED_PREV_AND_NEXT => {
                            format!("spans the previous and the next cabinet of the set{prev}")
                        }
                        _ => "spans cabinets".to_owned(),
                    };
                    let error = Error::unsupported(format!("cab file `{}` {why}", f.name));
                    let (name, size) = (f.name.clone(), u64::from(f.size));
                    return Some(self.missing(&name, None, size, error));
                }
                Stage::Folders(k) => {
                    if self.folder.is_none() {
                        if k >= self.folders.len() {
                            self.stage = Stage::NoFolder(0);
                            continue;
                        }
                        self.folder = self.start_folder(k, notes);
                        if self.folder.is_none() {
                            self.stage = Stage::Folders(k + 1);
                            continue;
                        }
                    }
                    match self.folder_step(notes) {
                        Step::Entry(e) => return Some(e),
                        Step::Decode { name, info, size } => {
                            // The reader borrows the folder: made here,
                            // where nothing follows it.
                            let fw = self.folder.as_mut()?;
                            return Some(container::Entry {
                                name,
                                info,
                                data: Data::Decode {
                                    reader: Box::new((&mut fw.reader).take(size)),
                                    declared: Some(size),
                                    stored: fw.packed,
                                },
                            });
                        }
                        Step::FolderDone => {
                            if let Some(fw) = self.folder.take() {
                                self.spare = fw.reader.into_decoder();
                            }
                            self.stage = Stage::Folders(k + 1);
                        }
                    }
                }
                Stage::NoFolder(i) => {
                    let Some(f) = self.files.get(i) else {
                        self.stage = Stage::Done;
                        continue;
                    };
                    self.stage = Stage::NoFolder(i + 1);
                    if f.folder >= IFOLD_CONTINUED_FROM_PREV
                        || usize::from(f.folder) < self.folders.len()
                        || f.fate != Fate::Normal
                    {
                        continue;
                    }
                    let error = Error::malformed(format!(
                        "cab file `{}` is in folder {}, the cabinet has {} folders",
                        f.name,
                        f.folder,
                        self.folders.len()
                    ));
                    let (name, size) = (f.name.clone(), u64::from(f.size));
                    return Some(self.missing(&name, None, size, error));
                }
                Stage::Done => return None,
            }
        }
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        entry: &mut EntryInfo,
        notes: &mut Notes,
    ) {
        let Some(fw) = self.folder.as_mut() else {
            return;
        };
        let Some((first, key, index)) = fw.reading.take() else {
            return;
        };
        let Some(f) = fw
            .members
            .get(fw.next.wrapping_sub(1))
            .and_then(|&i| self.files.get(i))
        else {
            return;
        };
        let what = format!("cab file `{key}` (folder {}, offset {})", fw.k, f.offset);
        match read {
            Ok(_) => {
                if f.size > 0 {
                    let e = std::mem::replace(entry, EntryInfo::new(EntryKind::File));
                    *entry = fw.reader.vouch(first, e, &what);
                    if entry.verified_by.contains(&Check::CabChecksum) {
                        fw.vouched.insert(index);
                    }
                }
            }
            Err(e) => {
                match e {
                    Error::LimitExceeded { limit, .. } => {
                        fw.abandoned = Some((
                            Error::limit(
                                *limit,
                                format!(
                                    "not decoded: an earlier file of folder {} (`{key}`) hit a limit",
                                    fw.k
                                ),
                            ),
                            false,
                        ));
                    }
                    Error::Panic { .. } => {
                        // The decoder's state is lost with the panic: the
                        // folder's other files carry it too.
                        fw.abandoned = Some((e.clone(), true));
                        notes.error(e.clone());
                        return;
                    }
                    _ => {}
                }
                *e = context(e.clone(), &what);
            }
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Cab,
            metadata: Some(Metadata::Cab(Box::new(self.info))),
        }
    }
}

/// What the folder being decoded gives next.
// Made and consumed at once, one per file.
#[allow(clippy::large_enum_variant)]
enum Step<'s> {
    /// An entry that needs no reader (missing, or a copy).
    Entry(container::Entry<'s>),
    /// A file to decode from the folder's reader.
    Decode {
        name: String,
        info: EntryInfo,
        size: u64,
    },
    /// The folder has no more files.
    FolderDone,
}

impl<'a> Walk<'a> {
    /// An entry without content, named through the namer.
    fn missing<'s>(
        &mut self,
        key: &str,
        method: Option<Method>,
        size: u64,
        error: Error,
    ) -> container::Entry<'s> {
        self.pulled += 1;
        let mut info = entry_info(method);
        let name = entry_name(self.namer.as_deref(), key, &mut info);
        container::Entry {
            name,
            info,
            data: Data::Missing { size, error },
        }
    }

    /// Set up folder `k`'s decoding; none when it has no files. A folder
    /// whose method cannot be decoded is walked with every file missing.
    fn start_folder(&mut self, k: usize, notes: &mut Notes) -> Option<FolderWalk<'a>> {
        let folder = self.folders.get(k)?;
        let files = &self.files;
        let n_folders = self.folders.len();
        let all = self.members.get_or_insert_with(|| {
            let mut all = vec![Vec::new(); n_folders];
            for (i, f) in files.iter().enumerate() {
                if f.fate != Fate::Normal {
                    continue;
                }
                if let Some(m) = all.get_mut(usize::from(f.folder)) {
                    m.push(i);
                }
            }
            all
        });
        let mut members = std::mem::take(all.get_mut(k)?);
        members.sort_by_key(|&i| self.files.get(i).map_or(0, |f| f.offset));
        if members.is_empty() {
            return None;
        }
        let data = self.data;
        // The folder's run of CFDATA blocks, walked once and claimed; a run
        // overlapping an earlier folder's is not decoded again.
        let (extent, shared) = match claim_run(data, folder, self.data_reserve, &mut self.runs, k) {
            Ok(extent) => (extent, None),
            Err((start, at, s, e, j)) => (
                None,
                Some(Error::malformed(format!(
                    "folder {k}: its CFDATA blocks (from byte {start}, at {at}) run into those of folder {j} ({s}..{e}); its files are not decoded again"
                ))),
            ),
        };
        let decoder = match (shared, folder.method) {
            (Some(e), _) => {
                notes.error(e.clone());
                Decoder::Failed(e)
            }
            (None, Method::None) => Decoder::Stored,
            (None, Method::MsZip) => match self.spare.take() {
                // The inflater of an earlier folder (reset before every
                // block), not one allocated per folder.
                Some(Decoder::MsZip {
                    mut window,
                    inflater,
                }) => {
                    window.clear();
                    Decoder::MsZip { window, inflater }
                }
                _ => Decoder::MsZip {
                    window: Vec::new(),
                    inflater: Box::new(flate2::Decompress::new(false)),
                },
            },
            (None, Method::Lzx(w)) => match match self.spare.take() {
                // An earlier folder's decoder, for its window's allocation.
                Some(Decoder::Lzx(old)) => old.renew(w, 0, 0),
                _ => lzx::Lzx::new(w).map(Box::new),
            } {
                Some(d) => Decoder::Lzx(d),
                None => Decoder::Failed(Error::malformed(format!(
                    "folder {k}: LZX window of 2^{w} bytes is invalid (cabinets use 2^15 to 2^21)"
                ))),
            },
            (None, Method::Quantum(w)) => match quantum::Quantum::new(w) {
                Some(d) => Decoder::Quantum(Box::new(d)),
                None => Decoder::Failed(Error::malformed(format!(
                    "folder {k}: Quantum window of 2^{w} bytes is invalid (Quantum uses 2^10 to 2^21)"
                ))),
            },
            (None, Method::Unknown(bits)) => Decoder::Failed(Error::malformed(format!(
                "folder {k}: unknown compression type {bits:#06x}"
            ))),
        };
        let failed = match &decoder {
            Decoder::Failed(e) => Some((e.clone(), false)),
            _ => None,
        };
        let joined = if k + 1 == self.folders.len() {
            self.joined.take()
        } else {
            None
        };
        let packed = match &joined {
            Some(j) => Some(j.packed),
            None => extent.map(|(total, _)| total),
        };
        let fits = joined.is_some() || extent.is_some_and(|(_, end)| end <= data.len());
        if !fits && failed.is_none() {
            // Said on the cabinet too: its files lose bytes because the
            // cabinet (as cbCabinet bounds it) ends before its data does.
            notes.error(Error::truncated(format!(
                "folder {k}: its {} CFDATA blocks (from offset {}) run past the cabinet's end at offset {}",
                folder.blocks,
                folder.data_offset,
                data.len()
            )).at(u64::from(folder.data_offset)));
        }
        let total_blocks = joined
            .as_ref()
            .map_or(u32::from(folder.blocks), |j| j.blocks);
        let blocks = Blocks {
            next_at: if joined.is_some() {
                0
            } else {
                folder.data_offset as usize
            },
            blocks_left: total_blocks,
            reserve: if joined.is_some() {
                0
            } else {
                self.data_reserve
            },
            data: match joined {
                Some(j) => std::borrow::Cow::Owned(j.records),
                None => std::borrow::Cow::Borrowed(data),
            },
            folder: k,
            block_index: 0,
        };
        // A long run is decoded ahead on a thread of its own when the
        // engine allows it.
        let long = packed.is_some_and(|p| {
            self.ahead_from
                .is_some_and(|m| p >= u64::try_from(m).unwrap_or(u64::MAX))
        });
        let source = if long && failed.is_none() {
            match ahead(decoder, k) {
                Ok(s) => s,
                Err(d) => Source::Here(d),
            }
        } else {
            Source::Here(decoder)
        };
        Some(FolderWalk {
            k,
            method: folder.method,
            members,
            next: 0,
            reader: FolderReader {
                blocks,
                source,
                folder: k,
                total: total_blocks,
                out: Vec::new(),
                out_pos: 0,
                position: 0,
                failed: None,
                sums: Vec::new(),
            },
            packed,
            abandoned: failed,
            ranges: HashMap::new(),
            vouched: HashSet::new(),
            reading: None,
        })
    }

    /// The folder's next file.
    fn folder_step<'s>(&mut self, notes: &mut Notes) -> Step<'s> {
        let namer = self.namer.as_deref();
        let index = self.pulled;
        let n_folders = self.folders.len();
        let last_continues = self.last_continues;
        let Some(fw) = self.folder.as_mut() else {
            return Step::FolderDone;
        };
        let Some(f) = fw.members.get(fw.next).and_then(|&i| self.files.get(i)) else {
            // Data after the last file: a file's size is wrong or a file
            // is missing from the table (the blocks are counted, not
            // decoded).
            let r = &fw.reader;
            let left_over = r.out.len().saturating_sub(r.out_pos);
            let continues = last_continues && fw.k + 1 == n_folders;
            if fw.abandoned.is_none()
                && r.failed.is_none()
                && !continues
                && (r.blocks_left() > 0 || left_over > 0)
            {
                notes.error(Error::malformed(format!(
                    "folder {}: data continues after its last file (which ends at {}): {left_over} more bytes decoded, {} more CFDATA blocks; a file's size is wrong or a file is missing from the table",
                    fw.k, r.position, r.blocks_left()
                )));
            }
            return Step::FolderDone;
        };
        fw.next += 1;
        self.pulled += 1;
        let k = fw.k;
        let what = format!("cab file `{}` (folder {k}, offset {})", f.name, f.offset);
        let size = u64::from(f.size);
        let start = u64::from(f.offset);
        let mut info = entry_info(Some(fw.method)).modified(f.mtime);
        let name = entry_name(namer, &f.name, &mut info);
        let entry = |info, data| {
            Step::Entry(container::Entry {
                name: name.clone(),
                info,
                data,
            })
        };
        if start < fw.reader.position && size > 0 {
            if let Some(&of) = fw.ranges.get(&(start, size)) {
                if fw.vouched.contains(&of) {
                    info.add_verified(Check::CabChecksum);
                }
                return entry(info, Data::Copy { of });
            }
        }
        fw.ranges.entry((start, size)).or_insert(index);
        let missing = |error| Data::Missing { size, error };
        if let Some((e, bare)) = &fw.abandoned {
            let error = if *bare {
                e.clone()
            } else {
                context(e.clone(), &what)
            };
            return entry(info, missing(error));
        }
        if start < fw.reader.position {
            // Overlapping entries would need the folder decoded again.
            let error = Error::malformed(format!(
                "{what}: overlaps the previous file (which ends at {}); not decoded twice",
                fw.reader.position
            ));
            return entry(info, missing(error));
        }
        // (After a failed block the position says nothing.)
        if start > fw.reader.position && fw.reader.failed.is_none() {
            notes.error(Error::malformed(format!(
                "folder {k}: bytes {}..{start} of its data belong to no file (a file's size or offset is wrong, or a file is missing from the table)",
                fw.reader.position
            )));
        }
        if let Err(e) = fw.reader.skip_to(start) {
            let error = context(installsift_model::error::io_to_error(&e, 0), &what);
            return entry(info, missing(error));
        }
        fw.reading = Some((fw.reader.current_block(), f.name.clone(), index));
        Step::Decode { name, info, size }
    }
}
/// The name a cabinet file is reported under: the namer's (an MSI's install
/// path, with the cabinet key kept on the entry) or the key itself.
fn entry_name(namer: Option<&dyn Fn(&str) -> String>, key: &str, entry: &mut EntryInfo) -> String {
    match namer {
        Some(f) => {
            entry.key = Some(key.to_owned());
            f(key)
        }
        None => key.to_owned(),
    }
}

/// A NUL-terminated string at `at`: (text, offset after the NUL).
fn c_string(data: &[u8], at: usize, utf8: bool) -> Option<(String, usize)> {
    let rest = data.get(at..)?;
    let n = rest.iter().take(MAX_NAME + 1).position(|&b| b == 0)?;
    let raw = rest.get(..n)?;
    let text = match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) if utf8 => String::from_utf8_lossy(raw).into_owned(),
        Err(_) => raw.iter().map(|&b| char::from(b)).collect(),
    };
    Some((text, at + n + 1))
}

/// The header, folder table and file table (damage noted, read around);
/// none when the tables cannot be reached.
fn read<'a>(whole: &'a [u8], info: &mut CabInfo, notes: &mut Notes) -> Option<Tables<'a>> {
    let short = |what: &str, at: usize| {
        Error::truncated(format!(
            "cabinet {what} at offset {at} runs past the end of the data ({} bytes)",
            whole.len()
        ))
        .at(at as u64)
    };
    let (
        Some(size),
        Some(coff_files),
        Some(n_folders),
        Some(n_files),
        Some(flags),
        Some(set_id),
        Some(index),
    ) = (
        le_u32(whole, 8),
        le_u32(whole, 16),
        le_u16(whole, 26),
        le_u16(whole, 28),
        le_u16(whole, 30),
        le_u16(whole, 32),
        le_u16(whole, 34),
    )
    else {
        notes.error(short("header", 0));
        return None;
    };
    info.declared_cabinet_size = size;
    info.set_id = set_id;
    info.cabinet_index = index;
    info.version = format!(
        "{}.{}",
        whole.get(25).copied().unwrap_or(0),
        whole.get(24).copied().unwrap_or(0)
    );
    // The cabinet is what the header declares; trailing bytes are not ours.
    let data = match whole.get(..size as usize) {
        _ if size < 36 => {
            notes.error(Error::malformed(format!(
                "cbCabinet (offset 8) is {size}, less than the 36-byte header: the data's own length ({}) is used",
                whole.len()
            )).at(8));
            whole
        }
        Some(d) => d,
        None => {
            notes.error(Error::truncated(format!(
                "cabinet declares {size} bytes, the data has {}: files past the cut are missing",
                whole.len()
            )));
            whole
        }
    };
    notes.evidence(Evidence::strong(
        "cab-header",
        format!("cabinet {index} of set {set_id:#06x}: {n_folders} folders, {n_files} files"),
        Some(0),
    ));

    let mut at = 36usize;
    let (mut folder_reserve, mut data_reserve) = (0usize, 0usize);
    if flags & FLAG_RESERVE != 0 {
        let (Some(h), Some(f), Some(d)) = (le_u16(data, 36), data.get(38), data.get(39)) else {
            notes.error(short("reserve sizes", 36));
            return None;
        };
        info.reserve = Some(CabReserve {
            header: h,
            folder: *f,
            data: *d,
        });
        folder_reserve = usize::from(*f);
        data_reserve = usize::from(*d);
        at = 40 + usize::from(h);
    }
    for (flag, slot) in [
        (FLAG_PREV, &mut info.prev_cabinet),
        (FLAG_NEXT, &mut info.next_cabinet),
    ] {
        if flags & flag == 0 {
            continue;
        }
        let Some((cabinet, next)) = c_string(data, at, false) else {
            notes.error(short("set link", at));
            return None;
        };
        let Some((disk, next)) = c_string(data, next, false) else {
            notes.error(short("set link", at));
            return None;
        };
        *slot = Some(CabLink { cabinet, disk });
        at = next;
    }

    let mut folders = Vec::new();
    let mut methods = BTreeSet::new();
    for i in 0..usize::from(n_folders) {
        let (Some(off), Some(blocks), Some(bits)) =
            (le_u32(data, at), le_u16(data, at + 4), le_u16(data, at + 6))
        else {
            notes.error(
                Error::truncated(format!(
                    "CFFOLDER {i} at offset {at} runs past the end of the data"
                ))
                .at(at as u64),
            );
            break;
        };
        let method = Method::from_bits(bits);
        methods.insert(method.name());
        info.folders.push(CabFolder {
            compression: method.name(),
            window_bits: match method {
                Method::Lzx(w) | Method::Quantum(w) => Some(w),
                _ => None,
            },
            data_offset: off,
            data_blocks: blocks,
        });
        folders.push(Folder {
            method,
            data_offset: off,
            blocks,
        });
        at += 8 + folder_reserve;
    }
    info.methods = methods.into_iter().collect();

    let mut files = Vec::new();
    // The file table normally follows the folder table; a coffFiles that
    // points outside the cabinet is reported and that place used instead.
    // An empty cabinet (no files: WiX writes one for an MSI whose Media row
    // has nothing to carry) ends where its file table would start.
    let no_files_at_end = n_files == 0 && coff_files as usize == data.len();
    let mut at = if coff_files < 36 || (coff_files as usize >= data.len() && !no_files_at_end) {
        notes.error(Error::malformed(format!(
            "coffFiles (offset 16) is {coff_files}, outside the cabinet (36..{}): the file table is read where the folder table ends, at offset {at}",
            data.len()
        )).at(16));
        at
    } else {
        coff_files as usize
    };
    for i in 0..usize::from(n_files) {
        let (Some(fsize), Some(offset), Some(folder), Some(attribs)) = (
            le_u32(data, at),
            le_u32(data, at + 4),
            le_u16(data, at + 8),
            le_u16(data, at + 14),
        ) else {
            notes.error(Error::truncated(format!(
                "CFFILE {i} of {n_files} at offset {at} runs past the end of the data: {} files not listed",
                usize::from(n_files) - i
            )).at(at as u64));
            break;
        };
        let Some((name, next)) = c_string(data, at + 16, attribs & ATTR_NAME_IS_UTF != 0) else {
            notes.error(Error::truncated(format!(
                "name of CFFILE {i} at offset {} is cut short or longer than {MAX_NAME} bytes: {} files not listed",
                at + 16,
                usize::from(n_files) - i
            )).at((at + 16) as u64));
            break;
        };
        info.entries += 1;
        info.declared_size = info.declared_size.saturating_add(u64::from(fsize));
        files.push(FileEntry {
            name: name.replace('\\', "/"),
            size: fsize,
            offset,
            folder,
            mtime: match (le_u16(data, at + 10), le_u16(data, at + 12)) {
                (Some(date), Some(time)) => installsift_model::Timestamp::dos(date, time),
                _ => None,
            },
            fate: Fate::Normal,
        });
        at = next;
    }
    // A file table that ends before the data, with another well-formed
    // CFFILE there: cFiles says fewer files than the table holds.
    let first_data = folders.iter().map(|f| f.data_offset as usize).min();
    if files.len() == usize::from(n_files) && first_data.is_some_and(|d| d >= at + 17) {
        let more = (le_u16(data, at + 8), le_u16(data, at + 14));
        let named = c_string(data, at + 16, false)
            .is_some_and(|(n, end)| !n.is_empty() && first_data.is_some_and(|d| end <= d));
        if let ((Some(folder), Some(_)), true) = (more, named) {
            if usize::from(folder) < folders.len() || folder >= IFOLD_CONTINUED_FROM_PREV {
                notes.error(Error::malformed(format!(
                    "cFiles (offset 28) says {n_files} files, but another CFFILE follows the table at offset {at}: files are missing from the listing"
                )).at(28));
            }
        }
    }

    Some(Tables {
        data,
        folders,
        files,
        data_reserve,
    })
}

fn entry_info(method: Option<Method>) -> EntryInfo {
    let mut e = EntryInfo::new(EntryKind::File);
    e.method = method.map(Method::name);
    e
}

/// Sum of the folder's `cbData`, for the ratio check (a lower bound of each
/// file's own ratio); `None` when the block headers cannot all be read.
/// Walk folder `k`'s CFDATA block headers and claim the bytes they span
/// in `runs` (first block → (end, folder)): the sum of their `cbData` and
/// the offset where the last block ends (which may lie past the data), or
/// none when a block header cannot be read (the bytes walked are claimed
/// still). When the run reaches bytes an earlier folder claimed, the walk
/// stops there: `Err((start, at, earlier start, earlier end, earlier
/// folder))`. Each byte is walked for one folder only, so folders naming
/// one run of blocks (65,535 folders × 65,535 blocks in 1 MB) cost the
/// run once, not once per folder.
#[allow(clippy::type_complexity)]
fn claim_run(
    data: &[u8],
    folder: &Folder,
    reserve: usize,
    runs: &mut std::collections::BTreeMap<usize, (usize, usize)>,
    k: usize,
) -> Result<Option<(u64, usize)>, (usize, usize, usize, usize, usize)> {
    let start = folder.data_offset as usize;
    let mut at = start;
    let mut total = 0u64;
    let mut extent = None;
    let mut blocks = 0;
    let hit = loop {
        if blocks == folder.blocks {
            extent = Some((total, at));
            break None;
        }
        let Some(cb) = le_u16(data, at + 4) else {
            break None;
        };
        let Some(next) = at.checked_add(8 + reserve + usize::from(cb)) else {
            break None;
        };
        // A claimed run holding `at`, or starting before `next`.
        let earlier = runs
            .range(..=at)
            .next_back()
            .filter(|(_, (e, _))| *e > at)
            .or_else(|| runs.range(at..next).next())
            .map(|(&s, &(e, j))| (s, e, j));
        if let Some((s, e, j)) = earlier {
            break Some((start, at, s, e, j));
        }
        total += u64::from(cb);
        at = next;
        blocks += 1;
    };
    if at > start {
        runs.insert(start, (at, k));
    }
    match hit {
        Some(h) => Err(h),
        None => Ok(extent),
    }
}

enum Decoder {
    Stored,
    /// MSZIP: each block is a raw deflate stream that may refer to the last
    /// 32 KiB of the previous block's output.
    MsZip {
        window: Vec<u8>,
        /// One inflater for the folder, reset before each block (a new one
        /// per 32 KiB block allocated and cleared its state and window).
        inflater: Box<flate2::Decompress>,
    },
    Lzx(Box<lzx::Lzx>),
    Quantum(Box<quantum::Quantum>),
    /// The folder cannot be decoded (bad parameters, unknown method).
    Failed(Error),
}

const MSZIP_WINDOW: usize = 32 * 1024;

impl Decoder {
    /// Decode one block into `out` (cleared first; its allocation is reused
    /// from block to block).
    /// `last`: the folder's last block.
    fn block(
        &mut self,
        packed: &[u8],
        out_len: usize,
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        out.clear();
        match self {
            Decoder::Stored => {
                if packed.len() != out_len {
                    return Err(format!(
                        "stored block holds {} bytes but declares {out_len}",
                        packed.len()
                    ));
                }
                out.extend_from_slice(packed);
                Ok(())
            }
            Decoder::MsZip { window, inflater } => {
                let body = packed
                    .strip_prefix(b"CK")
                    .ok_or("MSZIP block does not start with `CK`")?;
                inflater.reset(false);
                // Back-references may reach into the previous block's output:
                // it is the inflater's preset dictionary.
                if !window.is_empty() {
                    inflater
                        .set_dictionary(window)
                        .map_err(|e| format!("MSZIP window: {e}"))?;
                }
                out.reserve(out_len + 1);
                let status = inflater
                    .decompress_vec(body, out, flate2::FlushDecompress::Finish)
                    .map_err(|e| format!("MSZIP block does not inflate: {e}"))?;
                if status != flate2::Status::StreamEnd || out.len() != out_len {
                    return Err(format!(
                        "MSZIP block inflates to {} bytes (stream end: {}), declares {out_len}",
                        out.len(),
                        status == flate2::Status::StreamEnd
                    ));
                }
                // The next block's window: the last 32 KiB of all output so far.
                if out.len() >= MSZIP_WINDOW {
                    window.clear();
                    window.extend_from_slice(out.get(out.len() - MSZIP_WINDOW..).unwrap_or(&[]));
                } else {
                    let keep = MSZIP_WINDOW - out.len();
                    let drop = window.len().saturating_sub(keep);
                    window.drain(..drop);
                    window.extend_from_slice(out);
                }
                Ok(())
            }
            Decoder::Lzx(lzx) => lzx.decode_frame(packed, out_len, out).map_err(|e| match e {
                Error::Malformed { message, .. } => message,
                other => other.to_string(),
            }),
            Decoder::Quantum(q) => {
                q.decode_block(packed, out_len, last, out)
                    .map_err(|e| match e {
                        Error::Malformed { message, .. } => message,
                        other => other.to_string(),
                    })
            }
            Decoder::Failed(e) => Err(e.to_string()),
        }
    }
}

/// The uncompressed stream of one folder, decoded block by block as it is
/// read (here, or ahead of the reader on a thread of its own: [`Source`]).
/// After an error every read fails with the same error.
struct FolderReader<'a> {
    /// The run of blocks, read on this thread in both modes.
    blocks: Blocks<'a>,
    source: Source,
    folder: usize,
    /// The folder's blocks in all.
    total: u32,
    out: Vec<u8>,
    out_pos: usize,
    /// Uncompressed offset in the folder of the next byte `read` returns.
    position: u64,
    failed: Option<Fail>,
    /// What the checksum of each block decoded so far said (index: block).
    sums: Vec<BlockSum>,
}

/// What a CFDATA block's checksum says about its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BlockSum {
    /// The stored checksum matches.
    Matched,
    /// No checksum stored (0): the block vouches for nothing.
    Unset,
    /// The stored checksum does not match: the message says where and
    /// what; the block's offset in the cabinet.
    Mismatch(String, usize),
}

/// A decoding error about the CFDATA block at `at`, carrying that offset
/// (see [`installsift_model::error::AtOffset`]).
fn located(kind: io::ErrorKind, at: usize, message: String) -> io::Error {
    io::Error::new(
        kind,
        installsift_model::error::AtOffset {
            offset: at as u64,
            message,
        },
    )
}

/// A block's failure: its kind, message and offset.
type Fail = (io::ErrorKind, String, usize);

/// The run of CFDATA blocks of one folder.
struct Blocks<'a> {
    /// The cabinet's bytes, or a joined folder's CFDATA records (see
    /// [`set`]).
    data: std::borrow::Cow<'a, [u8]>,
    folder: usize,
    next_at: usize,
    blocks_left: u32,
    block_index: u32,
    reserve: usize,
}

/// A block read from the run, its checksum computed, not decoded yet.
struct Taken {
    /// Its data, in the run.
    body: std::ops::Range<usize>,
    /// Its declared uncompressed size.
    size: usize,
    /// The folder's last block.
    last: bool,
    sum: BlockSum,
    /// Its offset in the cabinet, and its index in the folder.
    at: usize,
    index: u32,
}

/// Where a folder's decoded blocks come from.
enum Source {
    /// Decoded on the reader's thread as it reads.
    Here(Decoder),
    /// Decoded ahead on a thread of its own (see [`ahead`]): this thread
    /// reads each block and hands its data over, at most [`AHEAD_BLOCKS`]
    /// blocks before the reader.
    Ahead {
        /// Blocks to decode, in order; `None` once the last one (or a
        /// block that cannot be read) was met.
        jobs: Option<std::sync::mpsc::Sender<(Vec<u8>, Taken)>>,
        done: std::sync::mpsc::Receiver<Ahead>,
        /// Buffers the reader is done with, back to the decoding thread.
        spent: std::sync::mpsc::Sender<Vec<u8>>,
        /// Blocks handed over and not received back.
        in_flight: usize,
        /// A block that could not be read, reported once the blocks
        /// before it are received.
        stop: Option<Fail>,
    },
    /// Ahead, and the decoding thread's last message received.
    Ended(Option<Decoder>),
}

/// From a folder's decoding thread to its reader.
enum Ahead {
    Block(Vec<u8>, BlockSum),
    Failed(Fail),
    /// Every block handed over was decoded: the decoder, for the next folder.
    End(Decoder),
    /// The decoder panicked: raised again on the reader's thread, where the
    /// engine catches it as it would a panic while decoding there.
    Panicked(Box<dyn std::any::Any + Send>),
}

/// Blocks handed to a decoding thread and not read back at most (32 KiB
/// each out, in cabinets made by Microsoft's tools; at most 64 KiB + 6,144
/// by the format).
const AHEAD_BLOCKS: usize = 16;

/// A folder is decoded ahead (when the engine allows it) from this many
/// packed bytes up: a thread costs tens of microseconds to start, which a
/// shorter run does not repay. Runs do not overlap, so a cabinet starts at
/// most one thread per this many bytes of its input.
const AHEAD_MIN_PACKED: usize = 64 * 1024;

/// Start a thread that decodes the blocks handed to it with `decoder`, in
/// order, and sends each back. It ends when the reader has handed over the
/// last block and has it back (then it returns the decoder), at a failure,
/// or as soon as the reader is gone (the engine stopped reading): it only
/// decodes blocks the reader read for it, at most [`AHEAD_BLOCKS`] ahead.
/// Each block's data is copied for it (the thread cannot borrow the
/// cabinet), so memory stays bounded by that window, not the run's size.
/// If no thread can be started the decoder is handed back, to decode here.
fn ahead(decoder: Decoder, folder: usize) -> Result<Source, Decoder> {
    use std::sync::mpsc;
    let (jobs_tx, jobs) = mpsc::channel::<(Vec<u8>, Taken)>();
    let (tx, done) = mpsc::channel::<Ahead>();
    let (spent, spent_rx) = mpsc::channel::<Vec<u8>>();
    // The decoder moves to the thread through a slot the caller takes it
    // back from if the thread cannot start (the closure is dropped then).
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(decoder)));
    let theirs = std::sync::Arc::clone(&slot);
    let started = std::thread::Builder::new()
        .name("cab-folder".to_owned())
        .spawn(move || {
            let taken = theirs.lock().unwrap_or_else(|e| e.into_inner()).take();
            let Some(mut decoder) = taken else {
                return;
            };
            drop(theirs);
            while let Ok((body, t)) = jobs.recv() {
                let mut out = spent_rx.try_recv().unwrap_or_default();
                let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decode(&mut decoder, &body, &t, folder, &mut out)
                }));
                let msg = match step {
                    Ok(Ok(())) => Ahead::Block(out, t.sum),
                    Ok(Err(f)) => Ahead::Failed(f),
                    Err(p) => Ahead::Panicked(p),
                };
                let go_on = matches!(msg, Ahead::Block(..));
                if tx.send(msg).is_err() || !go_on {
                    return;
                }
            }
            // The reader handed over its last block (or stopped).
            let _ = tx.send(Ahead::End(decoder));
        });
    let source = move || Source::Ahead {
        jobs: Some(jobs_tx),
        done,
        spent,
        in_flight: 0,
        stop: None,
    };
    // A thread that did not start never took the decoder from the slot.
    let unstarted = started
        .is_err()
        .then(|| slot.lock().unwrap_or_else(|e| e.into_inner()).take())
        .flatten();
    unstarted.map_or_else(|| Ok(source()), Err)
}

impl Blocks<'_> {
    /// Read the next block's header and compute its checksum; `None` at
    /// the folder's end.
    fn take(&mut self) -> Result<Option<Taken>, Fail> {
        if self.blocks_left == 0 {
            return Ok(None);
        }
        let (k, i, at) = (self.folder, self.block_index, self.next_at);
        let (Some(csum), Some(cb), Some(ucb)) = (
            le_u32(&self.data, at),
            le_u16(&self.data, at + 4),
            le_u16(&self.data, at + 6),
        ) else {
            return Err((
                io::ErrorKind::UnexpectedEof,
                format!("CFDATA block {i} of folder {k} at offset {at}: header runs past the end of the data"),
                at,
            ));
        };
        let reserve_at = at + 8;
        let body_at = reserve_at + self.reserve;
        let end = body_at + usize::from(cb);
        let (Some(reserve), Some(body)) = (
            self.data.get(reserve_at..body_at),
            self.data.get(body_at..end),
        ) else {
            return Err((
                io::ErrorKind::UnexpectedEof,
                format!(
                    "CFDATA block {i} of folder {k} at offset {at}: {cb} bytes declared, {} remain",
                    self.data.len().saturating_sub(body_at)
                ),
                at,
            ));
        };
        // A mismatch does not stop decoding: the files decoded from this
        // block keep their bytes and carry the mismatch (see `sums`).
        let sum = if csum == 0 {
            BlockSum::Unset
        } else {
            let actual = checksum(reserve, body) ^ (u32::from(cb) | (u32::from(ucb) << 16));
            if actual == csum {
                BlockSum::Matched
            } else {
                BlockSum::Mismatch(
                    format!(
                        "CFDATA block {i} of folder {k} at offset {at}: checksum {csum:08x}, computed {actual:08x}"
                    ),
                    at,
                )
            }
        };
        let taken = Taken {
            body: body_at..end,
            size: usize::from(ucb),
            last: self.blocks_left == 1,
            sum,
            at,
            index: i,
        };
        self.next_at = end;
        self.blocks_left -= 1;
        self.block_index += 1;
        Ok(Some(taken))
    }
}

/// Decode the block `t` (its data `body`) of folder `k` into `out`.
fn decode(
    decoder: &mut Decoder,
    body: &[u8],
    t: &Taken,
    k: usize,
    out: &mut Vec<u8>,
) -> Result<(), Fail> {
    decoder.block(body, t.size, t.last, out).map_err(|msg| {
        let also = match &t.sum {
            BlockSum::Mismatch(m, _) => format!(" (and its checksum fails: {m})"),
            _ => String::new(),
        };
        (
            io::ErrorKind::InvalidData,
            format!(
                "CFDATA block {} of folder {k} at offset {}: {msg}{also}",
                t.index, t.at
            ),
            t.at,
        )
    })
}

/// Keep a decoding thread fed: hand it the run's next blocks until
/// [`AHEAD_BLOCKS`] are in flight. `jobs` is closed after the last block,
/// or at a block that cannot be read (kept in `stop`, reported once the
/// blocks before it are back), or when the thread is gone (it said why).
fn feed(
    blocks: &mut Blocks<'_>,
    jobs: &mut Option<std::sync::mpsc::Sender<(Vec<u8>, Taken)>>,
    in_flight: &mut usize,
    stop: &mut Option<Fail>,
) {
    while *in_flight < AHEAD_BLOCKS {
        let Some(tx) = jobs.as_ref() else {
            return;
        };
        match blocks.take() {
            Ok(Some(t)) => {
                let body = blocks.data.get(t.body.clone()).unwrap_or(&[]).to_vec();
                let last = t.last;
                if tx.send((body, t)).is_err() {
                    *jobs = None;
                    return;
                }
                *in_flight += 1;
                if last {
                    *jobs = None;
                }
            }
            Ok(None) => *jobs = None,
            Err(f) => {
                *stop = Some(f);
                *jobs = None;
            }
        }
    }
}

impl FolderReader<'_> {
    /// Decode (or receive) the next CFDATA block into `out`; false at the
    /// folder's end.
    fn next_block(&mut self) -> io::Result<bool> {
        if let Some((kind, msg, at)) = &self.failed {
            return Err(located(*kind, *at, msg.clone()));
        }
        let step = match &mut self.source {
            Source::Here(decoder) => match self.blocks.take() {
                Ok(Some(t)) => {
                    let body = self.blocks.data.get(t.body.clone()).unwrap_or(&[]);
                    decode(decoder, body, &t, self.folder, &mut self.out).map(|()| Some(t.sum))
                }
                Ok(None) => Ok(None),
                Err(f) => Err(f),
            },
            Source::Ahead {
                jobs,
                done,
                spent,
                in_flight,
                stop,
            } => {
                feed(&mut self.blocks, jobs, in_flight, stop);
                let mut ended = None;
                let got = if *in_flight == 0 && jobs.is_none() {
                    match stop.take() {
                        Some(f) => {
                            ended = Some(None);
                            Err(f)
                        }
                        // Every block is back: the thread returns the decoder.
                        None => {
                            ended = Some(match done.recv() {
                                Ok(Ahead::End(d)) => Some(d),
                                _ => None,
                            });
                            Ok(None)
                        }
                    }
                } else {
                    match done.recv() {
                        Ok(Ahead::Block(bytes, sum)) => {
                            *in_flight -= 1;
                            let old = std::mem::replace(&mut self.out, bytes);
                            let _ = spent.send(old);
                            Ok(Some(sum))
                        }
                        Ok(Ahead::Failed(f)) => {
                            ended = Some(None);
                            Err(f)
                        }
                        Ok(Ahead::Panicked(p)) => std::panic::resume_unwind(p),
                        // Neither can be: the thread ends only after every
                        // block handed over is back, or with a message. If
                        // it did, the folder is not silently short.
                        Ok(Ahead::End(_)) | Err(_) => {
                            ended = Some(None);
                            Err((
                                io::ErrorKind::Other,
                                format!("folder {}: its decoding thread ended early", self.folder),
                                self.blocks.next_at,
                            ))
                        }
                    }
                };
                if let Some(d) = ended {
                    self.source = Source::Ended(d);
                }
                got
            }
            Source::Ended(_) => Ok(None),
        };
        match step {
            Ok(Some(sum)) => {
                self.out_pos = 0;
                self.sums.push(sum);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err((kind, msg, at)) => {
                // Nothing of a bad block is delivered.
                self.out.clear();
                self.out_pos = 0;
                self.failed = Some((kind, msg.clone(), at));
                Err(located(kind, at, msg))
            }
        }
    }

    /// Blocks not decoded yet (as far as the reader knows).
    fn blocks_left(&self) -> u32 {
        self.total
            .saturating_sub(u32::try_from(self.sums.len()).unwrap_or(u32::MAX))
    }

    /// The decoder, for the next folder's use, when this one is done with it.
    fn into_decoder(self) -> Option<Decoder> {
        match self.source {
            Source::Here(d) => Some(d),
            Source::Ahead { .. } => None,
            Source::Ended(d) => d,
        }
    }

    /// The block the next byte `read` returns comes from (it may not be
    /// decoded yet).
    fn current_block(&self) -> usize {
        let decoded = self.sums.len();
        if self.out_pos < self.out.len() {
            decoded.saturating_sub(1)
        } else {
            decoded
        }
    }

    /// The checks of blocks `first..` up to the last decoded one, on an
    /// entry decoded from them: every block's checksum matched → verified;
    /// one failed → a checksum error; a block without one → neither.
    fn vouch(&self, first: usize, entry: EntryInfo, what: &str) -> EntryInfo {
        let blocks = self.sums.get(first..).unwrap_or(&[]);
        if blocks.is_empty() {
            return entry;
        }
        if let Some(BlockSum::Mismatch(m, at)) =
            blocks.iter().find(|b| matches!(b, BlockSum::Mismatch(..)))
        {
            return entry.with_error(Error::checksum(format!("{what}: {m}")).at(*at as u64));
        }
        if blocks.iter().all(|b| *b == BlockSum::Matched) {
            return entry.verified(Check::CabChecksum);
        }
        entry
    }

    /// Read and drop bytes up to folder offset `target` (gaps between files).
    fn skip_to(&mut self, target: u64) -> io::Result<()> {
        while self.position < target {
            let avail = self.out.len().saturating_sub(self.out_pos) as u64;
            if avail == 0 {
                if !self.next_block()? {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "folder {} ends at offset {} before the file starts",
                            self.folder, self.position
                        ),
                    ));
                }
                continue;
            }
            let n = avail.min(target - self.position);
            self.out_pos += n as usize;
            self.position += n;
        }
        Ok(())
    }
}

impl Read for FolderReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.out_pos >= self.out.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let src = self.out.get(self.out_pos..).unwrap_or(&[]);
        let n = src.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or(&mut [])
            .copy_from_slice(src.get(..n).unwrap_or(&[]));
        self.out_pos += n;
        self.position += n as u64;
        Ok(n)
    }
}

/// [`open`] with every folder decoded ahead of the reader, however short
/// (for the tests and the `cab` fuzz target).
fn open_ahead<'a>(data: &'a [u8], _opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    walk_set(data, None, Some(0), notes, None)
}

/// A listing as text, for comparing two: the entries, the notes (their
/// digests sorted: a hash map) and the format.
fn listing_text(l: &crate::container::Listing) -> String {
    let n = &l.notes;
    let mut digests: Vec<String> = n.digests.iter().map(|d| format!("{d:?}")).collect();
    digests.sort();
    format!(
        "{:?}\n{:?} {:?} {:?} {digests:?} {} {}\n{:?}",
        l.entries,
        n.evidence,
        n.errors,
        n.verified,
        n.omitted_errors,
        n.omitted_evidence,
        l.parsed.format
    )
}

/// Does `data` list the same with every folder decoded ahead as decoded
/// here (pulled to the end, and stopped after one entry)? For the `cab`
/// fuzz target: the two must never differ.
pub(crate) fn decoded_ahead_agrees(data: &[u8], limits: &installsift_model::Limits) -> bool {
    use crate::container::list;
    [usize::MAX, 1].into_iter().all(|max| {
        listing_text(&list(open, data, limits, max))
            == listing_text(&list(open_ahead, data, limits, max))
    })
}

/// The CFDATA checksum over the reserved area and the data (MS-CAB 2.5,
/// computed as the `cab` crate does: 32-bit little-endian words XORed, the
/// tail bytes folded in reverse order).
fn checksum(reserve: &[u8], body: &[u8]) -> u32 {
    if !reserve.len().is_multiple_of(4) {
        return checksum_bytes(0, reserve.iter().chain(body));
    }
    // The checksum XORs little-endian words: whole words a chunk at a time
    // (this loop vectorises; byte by byte it was a tenth of a CAB scan), then
    // the tail with its odd byte order.
    let words = |b: &[u8]| {
        b.chunks_exact(4).fold(0u32, |v, c| {
            v ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        })
    };
    let whole = body.len() - body.len() % 4;
    let value = words(reserve) ^ words(body.get(..whole).unwrap_or(&[]));
    checksum_bytes(value, body.get(whole..).unwrap_or(&[]).iter())
}

/// The CAB checksum of `bytes`, starting from `value` (cabextract's order).
fn checksum_bytes<'a>(mut value: u32, bytes: impl Iterator<Item = &'a u8>) -> u32 {
    let mut rem = 0u32;
    let mut shift = 0u32;
    for &b in bytes {
        rem |= u32::from(b) << shift;
        if shift == 24 {
            value ^= rem;
            rem = 0;
            shift = 0;
        } else {
            shift += 8;
        }
    }
    match shift {
        0 => value,
        8 => value ^ rem,
        16 => value ^ (rem >> 8) ^ ((rem & 0xff) << 8),
        _ => value ^ (rem >> 16) ^ (rem & 0xff00) ^ ((rem & 0xff) << 16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_checksum_equals_byte_checksum() {
        let data: Vec<u8> = (0..1031u32).map(|i| (i * 7 + 3) as u8).collect();
        for reserve in [0usize, 3, 4, 8] {
            for len in [0usize, 1, 2, 3, 4, 5, 6, 7, 100, 1023] {
                let (r, b) = data.split_at(reserve);
                let b = &b[..len];
                assert_eq!(
                    checksum(r, b),
                    checksum_bytes(0, r.iter().chain(b)),
                    "reserve {reserve}, len {len}"
                );
            }
        }
    }

    #[test]
    fn checksum_matches_the_cab_crate() {
        // Value from the cab crate's own test (checksum.rs).
        assert_eq!(checksum(b"", b"\x0e\0\x0e\0Hello, world!\n"), 0x7f2e1a4c);
        assert_eq!(checksum(b"", b""), 0);
    }

    /// A real cabinet (gcab) cut inside its file table: the error names
    /// the first CFFILE, and its typed offset is where the table starts
    /// (`coffFiles`, read here from the header, not from the parser).
    #[test]
    fn cut_file_table_error_carries_its_offset() {
        use crate::container::list;
        use crate::test_support::sample;
        let Some(d) = sample("cab/stored.cab") else {
            unreachable!("sample() panics when cab/stored.cab is missing");
        };
        let coff_files = u32::from_le_bytes([d[16], d[17], d[18], d[19]]);
        let cut = &d[..coff_files as usize + 5];
        let l = list(open, cut, &installsift_model::Limits::default(), usize::MAX);
        let e = l
            .notes
            .errors
            .iter()
            .find(|e| e.message().starts_with("CFFILE 0 "))
            .unwrap_or_else(|| panic!("no CFFILE error: {:?}", l.notes.errors));
        assert_eq!(e.kind(), "truncated");
        assert_eq!(e.offset(), Some(u64::from(coff_files)));
        assert!(
            e.message().contains(&format!("at offset {coff_files} ")),
            "{e}"
        );
        // The whole sample has no error and so no offset to report.
        let whole = list(open, &d, &installsift_model::Limits::default(), usize::MAX);
        assert!(whole.notes.errors.is_empty(), "{:?}", whole.notes.errors);
    }

    /// Decoding ahead on a thread of its own changes nothing: the same
    /// entries, bytes, checks and errors (with their offsets), on every
    /// cabinet of the corpus and on damaged ones (a flipped byte in the
    /// blocks: checksum and decoding errors; cut short; a block header
    /// past the end), and when the reader stops early (the thread is then
    /// dropped mid-folder).
    #[test]
    fn decoding_ahead_changes_nothing() {
        use crate::container::list;
        use crate::test_support::sample;
        let limits = installsift_model::Limits::default();
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
        for rel in [
            "cab/large_mszip.cab",
            "cab/lzx_blocks.cab",
            "cab/lzx_e8.cab",
            "cab/lzx_far_match.cab",
            "cab/lzx_two_folders.cab",
            "cab/mszip.cab",
            "cab/stored.cab",
            "cab_real/libarchive_lzx_e8.cab",
            "cab_real/libmspack_mszip_lzx_qtm.cab",
            "cab_real/wix_native_test.cab",
            "cab_real/wix_signed_cab1.cab",
            "malformed/corrupt_mszip.cab",
            "malformed/trunc_mszip.cab",
        ] {
            let Some(d) = sample(rel) else {
                unreachable!("sample() panics when {rel} is missing");
            };
            inputs.push((rel.to_owned(), d));
        }
        let mut mutants = Vec::new();
        for (rel, d) in &inputs {
            if !rel.starts_with("cab/") {
                continue;
            }
            let data_at = le_u32(d, 36).map_or(0, |o| o as usize); // the first folder's blocks
            for frac in [1usize, 2, 3] {
                let at = data_at + (d.len() - data_at) * frac / 4;
                for flip in [0x01u8, 0x80] {
                    let mut m = d.clone();
                    m[at] ^= flip;
                    mutants.push((format!("{rel} ^{flip:#x}@{at}"), m));
                }
                mutants.push((format!("{rel} cut@{at}"), d[..at].to_vec()));
            }
            // The first block's cbData made huge: its body runs past the end.
            let mut m = d.clone();
            if let Some(b) = m.get_mut(data_at + 4..data_at + 6) {
                b.copy_from_slice(&[0xff, 0xff]);
            }
            mutants.push((format!("{rel} cbData"), m));
        }
        inputs.extend(mutants);
        let mut failed_blocks = 0;
        for (what, d) in &inputs {
            for max in [usize::MAX, 1, 2] {
                let here = listing_text(&list(open, d, &limits, max));
                let ahead = listing_text(&list(open_ahead, d, &limits, max));
                assert!(
                    here == ahead,
                    "{what}, {max} entries: decoded ahead differs"
                );
                failed_blocks += usize::from(here.contains("CFDATA block"));
            }
        }
        // The damaged ones did reach the failure paths.
        assert!(failed_blocks >= 20, "{failed_blocks}");
    }

    /// An MSI's embedded cabinet decoded ahead when the engine allows it
    /// (the real Google Gears MSI: one LZX:21 folder of 870 KB, past
    /// the threshold) lists the same as decoded here.
    #[test]
    fn an_msi_cabinet_decoded_ahead_changes_nothing() {
        use crate::container::list;
        use crate::test_support::sample;
        fn cfb_ahead<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
            crate::cfb::open(
                data,
                &Options {
                    read_ahead: true,
                    ..*opts
                },
                notes,
            )
        }
        let Some(d) = sample("msi_real/gears-win32-opt.msi") else {
            unreachable!("sample() panics when the Gears MSI is missing");
        };
        let limits = installsift_model::Limits::default();
        let here = list(crate::cfb::open, &d, &limits, usize::MAX);
        let ahead = list(cfb_ahead, &d, &limits, usize::MAX);
        assert!(here.entries.len() > 20, "{}", here.entries.len());
        assert!(listing_text(&here) == listing_text(&ahead));
        assert_eq!(here.parsed.format, ahead.parsed.format);
    }

    fn open_unlocated<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
        let from = notes.errors.len();
        let c = open(data, opts, notes).into_container();
        notes.clear_offsets_from(from);
        Opened::Container(Box::new(crate::container::Unlocated(c)))
    }

    /// A damaged cabinet read as an MSI reads its embedded one (through
    /// `Unlocated`): the same errors, word for word, none with an offset;
    /// read directly, the same errors are located.
    #[test]
    fn a_cabinet_in_a_stream_gives_no_offsets() {
        use crate::container::{list, Listed, Listing};
        use crate::test_support::sample;
        let Some(d) = sample("malformed/trunc_mszip.cab") else {
            unreachable!("sample() panics when malformed/trunc_mszip.cab is missing");
        };
        let all = |l: &Listing| -> Vec<Error> {
            let mut v = l.notes.errors.clone();
            for (_, info, listed) in &l.entries {
                v.extend(info.errors.iter().cloned());
                match listed {
                    Listed::Missing { error, .. } | Listed::Decoded(Err(error)) => {
                        v.push(error.clone());
                    }
                    _ => {}
                }
            }
            v
        };
        let limits = installsift_model::Limits::default();
        let direct = all(&list(open, &d, &limits, usize::MAX));
        let unlocated = all(&list(open_unlocated, &d, &limits, usize::MAX));
        assert!(direct.len() >= 2, "{direct:?}");
        assert!(
            direct.iter().filter(|e| e.offset().is_some()).count() >= 2,
            "{direct:?}"
        );
        assert!(
            unlocated.iter().all(|e| e.offset().is_none()),
            "{unlocated:?}"
        );
        let text = |v: &[Error]| v.iter().map(Error::to_string).collect::<Vec<_>>();
        assert_eq!(text(&direct), text(&unlocated));
    }
}
