//! Inno Setup setup data: setup-0 (the `Inno Setup Setup Data (x.y.z)` ID,
//! then two compressed block streams: the setup header with its entry lists,
//! and the data entries) followed by setup-1 (the `zlb\x1a` chunks holding
//! the files).
//!
//! In an installer this data sits in the PE overlay after the compressed
//! `Setup.e32`; the PE parser carves it from the ID on (see
//! `formats::pe`), so this node starts at the ID and setup-1 follows the
//! second block stream directly, as the compiler writes them (the loader
//! table's `Offset1` points there). A bare `setup-0.bin` of a disk-spanning
//! setup is parsed the same way; its files are then reported missing.
//!
//! The layouts of every setup data version from 1.2.10 through 6.7.x are
//! implemented (16-bit, ANSI, Unicode and ISX variants; 6.4.2 to 6.7.x from
//! issrc's records at each release tag, see `spec.rs`). 6.5+ put a CRC'd
//! encryption header after the ID, whose facts are reported; with
//! `Encryption=full` setup-0's records are encrypted too, and the files are
//! not listed (an `encrypted` error). A newer ID (issrc's main says 7.0.0.x)
//! is recognised, its block CRCs checked, and named `unsupported`.
//! Encrypted chunks are listed and marked encrypted; before 6.4 they are
//! decrypted when a password the scan was given matches the header's
//! check value ([`crypt`]), and their files verified as any.
//!
//! A pure parser ([`open`], the pull protocol of
//! [`container`](crate::container)): setup-0 is read when the node
//! is opened; each file is decoded from its chunk as the engine pulls it
//! (a solid chunk's decoder kept open for the next file), its stored
//! checksum (CRC-32, Adler-32, MD5, SHA-1 or SHA-256) computed as its bytes
//! pass and checked when the engine has read it. The engine hashes the
//! files and applies every entry limit. Two files of one data entry: the
//! second is read again from the bytes the engine kept, or, when it
//! streamed them, is the same stored bytes as the first ([`Data::Copy`]).

mod crypt;
mod header;
mod loader;
#[cfg(test)]
pub(crate) mod spec;
mod stream;

use crate::container::Inspect;
use crate::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use crate::{Handler, Metadata, Parsed};
use header::{Checksum, DataEntry, FileEntry};
use installsift_model::error::Error;
use installsift_model::hash;
use installsift_model::limits::Limits;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
pub(crate) use loader::{check_loader_table, find_in_image, marks as loader_marks, message_tail};
pub use loader::{LoaderMarks, LoaderResource, MessageTail};
use std::collections::BTreeMap;

/// The loader table's checks, on the PE: the table's CRC, then the block
/// CRCs of the compressed Setup.e32 it points at.
pub(crate) fn check_loader(data: &[u8], resources: &[crate::pe::ResourceInfo], notes: &mut Notes) {
    let t = match check_loader_table(data, resources) {
        Some(Ok(t)) => t,
        Some(Err(e)) => return notes.error(e),
        None => return,
    };
    notes.verified(Check::InnoLoaderCrc32);
    match loader::check_setup_exe(data, &t) {
        Some(Ok(n)) => {
            notes.verified(Check::InnoBlockCrc32);
            notes.evidence(Evidence::strong(
                "inno-setup-e32-block",
                format!(
                    "compressed Setup.e32 at {:#x}: {n} block CRC32s match",
                    t.offset_exe
                ),
                Some(t.offset_exe),
            ));
        }
        Some(Err(e)) => notes.error(e),
        None => {}
    }
}
use serde::Serialize;
use sha1::Digest;
use std::io::Read;
pub(crate) use stream::ID_PREFIX;
use stream::{Fields, Method};

/// Inno Setup facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InnoInfo {
    /// The setup data ID as stored, e.g. `Inno Setup Setup Data (6.3.0)`.
    pub setup_data_id: String,
    /// Setup data version (the compiler's version can be newer: 6.3.1
    /// writes data version 6.3.0).
    pub version: String,
    /// Strings are UTF-16 (Unicode Inno Setup); ANSI otherwise.
    pub unicode: bool,
    /// `zlib`, `bzip2`, `lzma`, `lzma2` or `stored` (setup-1 chunks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// setup-0's block streams are LZMA-compressed.
    pub header_compressed: bool,
    /// `Password=` is set.
    pub password: bool,
    /// `Encryption=yes`: file chunks are encrypted.
    pub encrypted: bool,
    /// `AppName`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub app_name: String,
    /// `AppVerName`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub app_versioned_name: String,
    /// `AppVersion`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    /// `AppPublisher`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub app_publisher: String,
    /// `AppId`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub app_id: String,
    /// `DefaultDirName`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub default_dir_name: String,
    /// `PrivilegesRequired`: none, poweruser, admin or lowest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileges_required: Option<String>,
    /// `ArchitecturesAllowed` (empty: any).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub architectures_allowed: String,
    /// `ArchitecturesInstallIn64BitMode` (empty: never / any).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub architectures_64bit: String,
    /// `Uninstallable` expression (`yes` by default).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uninstallable: String,
    /// `[Files]` entries listed (files Setup installs; the uninstaller's own
    /// entry, which has no data, is not counted).
    pub files: u64,
    /// Data entries (stored file contents) declared.
    pub data_entries: u64,
    /// Distinct setup-1 chunks (fewer than data entries: solid).
    pub chunks: u64,
    /// `[Dirs]` entries.
    pub directories: u64,
    /// `[Icons]` entries.
    pub icons: u64,
    /// `[Registry]` entries.
    pub registry_entries: u64,
    /// `[Run]` entries.
    pub run_entries: u64,
    /// `[UninstallRun]` entries.
    pub uninstall_run_entries: u64,
    /// Setup data 6.5+: the encryption header's `EncryptionUse`: `none`,
    /// `files` (file chunks encrypted) or `full` (setup-0's blocks too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_use: Option<String>,
    /// Setup data 6.5+ with encryption: the key derivation's iterations
    /// (PBKDF2-SHA256 in issrc) from the encryption header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kdf_iterations: Option<u32>,
    /// Setup data 6.5+: `[ISSigKeys]` entries (public keys files are
    /// verified against).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issig_keys: Option<u64>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "inno",
    format: Format::Inno,
    sniff,
    open,
};

/// Either setup-0 on its own (the setup data ID and a parseable version),
/// or an installer's overlay: setup-1 chunks (`zlb\x1a`) with setup-0 after
/// them (SetupLdr writes setup-1 at the end of its image, then setup-0, then
/// the compressed `Setup.e32`).
///
/// An overlay that starts with the chunk magic is Inno's setup-1 even when
/// no setup-0 follows (the file was cut inside setup-1, or setup-0 was
/// damaged): the parser then says so in an error, and the node keeps its
/// format.
pub fn sniff(data: &[u8]) -> bool {
    if stream::looks_like_id(data) {
        return true;
    }
    data.starts_with(CHUNK_MAGIC) || SLICE_MAGICS.iter().any(|m| data.starts_with(m))
}

/// Disk slice magics (`setup-N.bin`, and setup-1 of some 1.x–3.x
/// single-file setups): 16/32-bit, and `idskb32` from 6.6 on.
const SLICE_MAGICS: &[&[u8]] = &[b"idska16\x1a", b"idska32\x1a", b"idskb32\x1a"];

/// Candidate places of a setup data ID in `data`, last first: the three
/// ID forms (`Inno Setup Setup Data (`, the ISX one, legacy `i1.2.10--`).
fn id_positions(data: &[u8]) -> Vec<usize> {
    let mut at: Vec<usize> = memchr::memmem::find_iter(data, ID_PREFIX)
        .chain(memchr::memmem::find_iter(data, stream::ISX_PREFIX))
        .chain(
            memchr::memmem::find_iter(data, b"--32\x1a")
                .chain(memchr::memmem::find_iter(data, b"--16\x1a"))
                .filter_map(|k| k.checked_sub(7)),
        )
        .collect();
    at.sort_unstable_by(|a, b| b.cmp(a));
    at
}

/// A disk slice (`setup-N.bin` of a disk-spanning setup: the slice magic,
/// then its total size, then chunks) with no setup-0 in it: its files are
/// described by setup-0, which is elsewhere. Said so; a slice shorter than
/// its header says is `truncated`.
fn disk_slice(data: &[u8], notes: &mut Notes) {
    let magic = String::from_utf8_lossy(data.get(..7).unwrap_or(&[])).into_owned();
    // `TDiskSliceHeader.TotalSize`: a Cardinal, an Int64 with the
    // `idskb32` magic (issrc is-6_5_2).
    let total = if data.starts_with(b"idskb32\x1a") {
        crate::le_u64(data, 8)
    } else {
        crate::le_u32(data, 8).map(u64::from)
    };
    notes.evidence(Evidence::strong(
        "inno-disk-slice",
        format!(
            "Inno Setup disk slice `{magic}\\x1a`, {} bytes declared",
            total.map_or("no".into(), |t| t.to_string())
        ),
        Some(0),
    ));
    match total {
        Some(t) if t > data.len() as u64 => notes.error(Error::truncated(format!(
            "disk slice declares {t} bytes, the data has {}",
            data.len()
        ))),
        None => notes.error(Error::truncated("disk slice header cut short")),
        _ => {}
    }
    notes.error(Error::unsupported(
        "an Inno Setup disk slice on its own: the files it holds are listed by setup-0 \
         (in the setup .exe or setup-0.bin beside it); not read",
    ));
}

/// Does setup-0 start at `k`: an ID, then a block header (or, 6.5+, the
/// encryption header) whose CRC holds?
fn setup0_at(data: &[u8], k: usize) -> Option<stream::DataId> {
    let id = stream::parse_id(data.get(k..)?)?;
    let ok = if id.version >= stream::v(6, 5, 0) {
        stream::block_header_ok(data, k + id.len, 4 + stream::ENCRYPTION_HEADER)
    } else {
        stream::block_header_ok(data, k + id.len, stream::block_header_len(id.version))
    };
    ok.then_some(id)
}

/// Why no setup-0 was found after setup-1: a setup data ID whose block
/// header is cut or damaged, or no ID at all (the data ends inside
/// setup-1).
fn no_setup0(data: &[u8]) -> Error {
    let chunks = memchr::memmem::find_iter(data, CHUNK_MAGIC).count();
    let id = id_positions(data)
        .into_iter()
        .find_map(|k| Some((k, stream::parse_id(data.get(k..)?)?)));
    match id {
        Some((k, id)) => {
            let hdr = k + id.len;
            let len = if id.version >= stream::v(6, 5, 0) {
                4 + stream::ENCRYPTION_HEADER
            } else {
                stream::block_header_len(id.version)
            };
            if data.len() < hdr + len {
                Error::truncated(format!(
                    "setup data ID `{}` at {k:#x}, but the data ends at {:#x}, before its \
                     {len}-byte block header; {chunks} setup-1 chunk magic(s) before it",
                    id.text,
                    data.len()
                )).at(k as u64)
            } else {
                Error::checksum(format!(
                    "setup data ID `{}` at {k:#x}, but the header at {hdr:#x} fails its CRC32",
                    id.text
                )).at(k as u64)
            }
        }
        None => Error::truncated(format!(
            "setup-1 chunks (`zlb\\x1a` at 0, {chunks} chunk magic(s) in {} bytes) but no setup-0 \
             (`Inno Setup Setup Data (…)`) after them: the data is cut short or setup-0 is damaged; \
             files not listed",
            data.len()
        )),
    }
}

/// The offset of setup-0 in an overlay that starts with setup-1: the last
/// data ID followed by a block header with a valid CRC (an installer stored
/// uncompressed inside setup-1 has its own ID earlier).
fn find_setup0(data: &[u8]) -> Option<usize> {
    id_positions(data)
        .into_iter()
        .find(|&k| setup0_at(data, k).is_some())
}

/// The PE overlay at the loader table's setup-1 offset, when it does not
/// start with a chunk magic (altered or damaged): read as Inno all the same,
/// with an error saying so (setup-0, found by its own ID and CRC, says where
/// each file is; a file whose chunk lost its magic gets its own error).
pub(crate) fn open_unmarked<'a>(
    data: &'a [u8],
    opts: &Options<'_>,
    notes: &mut Notes,
) -> Opened<'a> {
    let shown: String = data
        .get(..4)
        .unwrap_or(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    notes.error(Error::malformed(format!(
        "Inno Setup setup-1 at the loader table's offset starts with {shown}, not the chunk \
         magic `zlb\\x1a` (altered or damaged); read as Inno anyway"
    )));
    notes.evidence(Evidence::strong(
        "inno-loader-offset1",
        "the loader offset table (CRC32 valid) puts setup-1 here",
        Some(0),
    ));
    open(data, opts, notes)
}

fn parsed(info: InnoInfo) -> Parsed {
    Parsed {
        format: Format::Inno,
        metadata: Some(Metadata::Inno(Box::new(info))),
    }
}

fn leaf<'a>(info: InnoInfo) -> Opened<'a> {
    Opened::Leaf(parsed(info))
}

/// Open Inno Setup data: setup-0's header and entry lists are read here;
/// the files are decoded from setup-1 as the engine pulls them.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = InnoInfo::default();
    // setup-1 is the bytes before setup-0 (none for a bare setup-0.bin).
    let (setup0_at, setup1) = if stream::looks_like_id(data) {
        (0, None)
    } else {
        match find_setup0(data) {
            Some(k) => (k, data.get(..k)),
            None if SLICE_MAGICS.iter().any(|m| data.starts_with(m)) => {
                disk_slice(data, notes);
                return leaf(info);
            }
            None => {
                notes.evidence(Evidence::strong(
                    "inno-setup1-chunk",
                    "Inno Setup setup-1 chunk magic `zlb\\x1a`",
                    Some(0),
                ));
                notes.error(no_setup0(data));
                return leaf(info);
            }
        }
    };
    let data = data.get(setup0_at..).unwrap_or(&[]);
    let Some(id) = stream::parse_id(data) else {
        notes.error(Error::malformed("no Inno Setup setup data ID"));
        return leaf(info);
    };
    info.setup_data_id = id.text.clone();
    info.version = id.version.to_string();
    info.unicode = id.unicode;
    let variant = match (id.bits16, id.isx, id.unicode) {
        (true, _, _) => "16-bit",
        (_, true, _) => "ISX, ANSI",
        (_, _, true) => "Unicode",
        _ => "ANSI",
    };
    notes.evidence(Evidence::strong(
        "inno-setup-data",
        format!("`{}`: setup data {} ({variant})", id.text, id.version),
        Some(setup0_at as u64),
    ));
    let limits = opts.limits.clone();
    let mut first_block = id.len;
    if id.version >= stream::v(6, 5, 0) {
        match newer_setup0(data, setup0_at, &id, &limits, &mut info, notes) {
            Some(at) => first_block = at,
            None => return leaf(info),
        }
    }
    if !header::supported(id.version) {
        notes.error(Error::unsupported(format!(
            "Inno Setup setup data {} (layouts {} to 6.4 are known)",
            id.version,
            header::OLDEST
        )));
        return leaf(info);
    }
    let b1 = match stream::read_block(data, first_block, id.version, &limits) {
        Ok(b) => b,
        Err(e) => {
            notes.error(installsift_model::error::context(
                e,
                "setup-0 header stream",
            ));
            return leaf(info);
        }
    };
    info.header_compressed = b1.compressed;
    let max = limits.max_entries_per_container;
    let (layout, s0) = choose_layout(&b1.data, header::Layout::of(&id), max);
    let s0 = match s0 {
        Ok(s) => s,
        Err(e) => {
            notes.error(installsift_model::error::context(
                e,
                "setup-0 header stream",
            ));
            return leaf(info);
        }
    };
    if s0.trailing > 0 {
        notes.error(Error::malformed(format!(
            "setup-0 header stream: {} bytes after the last record the setup data {} layout \
             has; the layout may not be this setup's (file names may be wrong)",
            s0.trailing, layout.v
        )));
    } else if layout.v != id.version {
        notes.evidence(Evidence::strong(
            "inno-layout",
            format!(
                "ID says {}, the records are laid out as {} (the same ID was used by both)",
                id.version, layout.v
            ),
            None,
        ));
    }
    let h = &s0.header;
    info.app_name = h.app_name.clone();
    info.app_versioned_name = h.app_versioned_name.clone();
    info.app_version = h.app_version.clone();
    info.app_publisher = h.app_publisher.clone();
    info.app_id = h.app_id.clone();
    info.default_dir_name = h.default_dir_name.clone();
    info.privileges_required = h.privileges.map(str::to_owned);
    info.architectures_allowed = h.arch_allowed.clone();
    info.architectures_64bit = h.arch_64bit.clone();
    info.uninstallable = h.uninstallable.clone();
    info.compression = h.compression.map(|m| m.as_str().to_owned());
    info.password = h.password;
    if id.version >= stream::v(6, 5, 0) {
        // The encryption header said it (read above).
        info.password |= info.encrypted;
        info.issig_keys = Some(u64::from(h.counts.issig_keys));
    } else {
        info.encrypted = h.encryption;
    }
    let c = h.counts;
    info.data_entries = u64::from(c.data_entries);
    info.directories = u64::from(c.directories);
    info.icons = u64::from(c.icons);
    info.registry_entries = u64::from(c.registry_entries);
    info.run_entries = u64::from(c.run_entries);
    info.uninstall_run_entries = u64::from(c.uninstall_run_entries);
    if h.encryption && id.version < stream::v(6, 5, 0) {
        notes.evidence(Evidence::strong(
            "inno-encrypted",
            "EncryptionUsed: file chunks are encrypted with the setup password",
            None,
        ));
    }
    // Encrypted chunks (before 6.4): the password whose check value the
    // header holds decrypts them; without one they stay listed and marked.
    let key = if h.encryption && !opts.passwords.is_empty() {
        let found = crypt::find_password(
            opts.passwords,
            (&h.password_hash, &h.password_salt),
            id.version,
            id.unicode,
        );
        if let Ok((k, _)) = &found {
            notes.evidence(Evidence::strong(
                "inno-password",
                format!(
                    "password {} of those given matches the setup's password check",
                    k + 1
                ),
                None,
            ));
        }
        found.map(|(_, key)| key)
    } else {
        Err(Error::encrypted(
            "chunk encrypted with the setup password; not decrypted (no password given)",
        ))
    };
    let files = s0.files;
    info.files = files.len() as u64;
    let b2 = match stream::read_block(data, b1.end, id.version, &limits) {
        Ok(b) => b,
        Err(e) => {
            notes.error(installsift_model::error::context(
                e,
                "setup-0 data-entry stream",
            ));
            return list_without_data(files, info, &limits);
        }
    };
    notes.verified(Check::InnoBlockCrc32);
    notes.evidence(Evidence::strong(
        "inno-block-crc32",
        format!(
            "setup-0: {} block CRC32s match (two block headers and their 4 KiB chunks)",
            b1.crcs + b2.crcs
        ),
        Some(setup0_at as u64),
    ));
    let method = h.compression.unwrap_or(Method::Stored);
    let mut f2 = Fields::new(&b2.data);
    let entries = match header::parse_data_entries(&mut f2, layout, c.data_entries, method, max) {
        Ok(v) => {
            if f2.left() > 0 {
                notes.error(Error::malformed(format!(
                    "setup-0 data-entry stream: {} bytes after its {} data entries",
                    f2.left(),
                    c.data_entries
                )));
            }
            v
        }
        Err(e) => {
            notes.error(installsift_model::error::context(e, "data entries"));
            Vec::new()
        }
    };
    let mut chunks: Vec<(u32, u64)> = entries
        .iter()
        .map(|d| (d.first_slice, d.chunk_offset))
        .collect();
    chunks.sort_unstable();
    chunks.dedup();
    info.chunks = chunks.len() as u64;
    #[cfg(test)]
    let entries = {
        let mut entries = entries;
        if let Some(rewrite) = tests::REWRITE.with(std::cell::Cell::get) {
            rewrite(&mut entries);
        }
        entries
    };
    match setup1 {
        Some(s1) => {
            let mut walk = Walk::new(info, s1, files, entries, &limits, false);
            walk.key = key;
            Opened::Container(Box::new(walk))
        }
        None => {
            notes.error(Error::unsupported(
                "setup-0 without setup-1: file contents are in setup-1.bin / slices beside it",
            ));
            list_without_data(files, info, &limits)
        }
    }
}

/// The ID's layout, then the layouts released under the same ID: the
/// first that reads the whole first block exactly wins; else the first that
/// read at all (the caller reports the bytes left over), else its error.
fn choose_layout(
    block: &[u8],
    base: header::Layout,
    max: u64,
) -> (header::Layout, Result<header::Setup0, Error>) {
    let mut first: Option<(header::Layout, Result<header::Setup0, Error>)> = None;
    for cand in header::candidates(base) {
        let l = header::Layout { v: cand, ..base };
        let r = header::parse_setup0(block, l, max);
        if matches!(&r, Ok(s) if s.trailing == 0) {
            return (l, r);
        }
        // Prefer a layout that read everything but left bytes over one
        // that failed.
        let better = match &first {
            None => true,
            Some((_, Err(_))) => r.is_ok(),
            Some((_, Ok(_))) => false,
        };
        if better {
            first = Some((l, r));
        }
    }
    first.unwrap_or((base, Err(Error::malformed("no layout"))))
}

/// Setup data 6.5 and later: the ID, then the CRC'd `TSetupEncryptionHeader`
/// (issrc `Shared.Struct.pas`, tag is-6_5_0: `EncryptionUse` byte, 16-byte
/// KDF salt, Int32 KDF iterations, 24-byte base nonce, Int32 password
/// test), then the block streams (13-byte block headers from 6.7). `data`
/// starts at the ID, which is at `setup0_at` in the node. Returns
/// where the first block starts when the records can be read: not when the
/// header is cut or fails its CRC, not when setup-0's blocks are themselves
/// encrypted (`euFull`: their CRCs are checked and the files are not
/// listed), and not for a data version newer than the layouts known.
fn newer_setup0(
    data: &[u8],
    setup0_at: usize,
    id: &stream::DataId,
    limits: &installsift_model::limits::Limits,
    info: &mut InnoInfo,
    notes: &mut Notes,
) -> Option<usize> {
    let at = id.len;
    let Some(eh) = data.get(at..at + 4 + stream::ENCRYPTION_HEADER) else {
        notes.error(Error::truncated(format!(
            "setup data {}: the encryption header after the ID is cut short",
            id.version
        )));
        return None;
    };
    let (crc, body) = eh.split_at(4);
    let want = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let got = crc32fast::hash(body);
    if got != want {
        notes.error(Error::checksum(format!(
            "setup data {}: encryption header CRC32 {got:#010x}, stored {want:#010x}",
            id.version
        )));
        return None;
    }
    // TSetupEncryptionHeader.EncryptionUse: euNone, euFiles, euFull.
    let usage = body.first().copied().unwrap_or(0);
    let iterations = crate::le_u32(body, 17);
    info.encrypted = usage != 0;
    info.password = usage != 0;
    info.encryption_use = Some(
        match usage {
            0 => "none",
            1 => "files",
            2 => "full",
            _ => "unknown",
        }
        .to_owned(),
    );
    if usage != 0 {
        info.kdf_iterations = iterations;
    }
    notes.evidence(Evidence::strong(
        "inno-encryption-header",
        format!(
            "setup data {}: encryption header (CRC32 matches): {}{}",
            id.version,
            match usage {
                0 => "no encryption",
                1 => "file chunks encrypted",
                2 => "everything encrypted, setup-0 headers too",
                _ => "unknown EncryptionUse",
            },
            match (usage, iterations) {
                (1 | 2, Some(n)) => format!(", key derived with {n} iterations"),
                _ => String::new(),
            }
        ),
        Some((setup0_at + at) as u64),
    ));
    if usage > 2 {
        notes.error(Error::malformed(format!(
            "setup data {}: EncryptionUse {usage} (0 to 2 are defined)",
            id.version
        )));
        return None;
    }
    let first = stream::first_block_at(id);
    if usage != 2 && header::supported(id.version) {
        return Some(first);
    }
    // Not readable: still check the block CRCs (encrypted blocks are not
    // decoded, only walked).
    let checked = if usage == 2 {
        stream::walk_crcs(data, first, id.version)
            .and_then(|(end, n)| Ok(n + stream::walk_crcs(data, end, id.version)?.1))
    } else {
        stream::read_block(data, first, id.version, limits).and_then(|b1| {
            let b2 = stream::read_block(data, b1.end, id.version, limits)?;
            Ok(b1.crcs + b2.crcs)
        })
    };
    match checked {
        Ok(n) => {
            notes.verified(Check::InnoBlockCrc32);
            notes.evidence(Evidence::strong(
                "inno-block-crc32",
                format!("setup-0: {n} block CRC32s match"),
                None,
            ));
        }
        Err(e) => notes.error(installsift_model::error::context(
            e,
            "setup-0 block streams",
        )),
    }
    if usage == 2 {
        notes.error(Error::encrypted(format!(
            "Inno Setup setup data {}: `Encryption=full`: setup-0's records are encrypted \
             with the setup password (XChaCha20); files not listed",
            id.version
        )));
    } else {
        notes.error(Error::unsupported(format!(
            "Inno Setup setup data {}: newer than the layouts known ({} to 6.7); files not listed",
            id.version,
            header::OLDEST
        )));
    }
    None
}

/// A file's entry info.
fn file_entry(method: Option<Method>, d: Option<&DataEntry>) -> EntryInfo {
    let mut e = EntryInfo::new(EntryKind::File);
    e.method = method.map(|m| m.as_str().to_owned());
    if let Some(d) = d {
        e.encrypted = d.encrypted;
        // Contiguous in the node only when stored: chunk, magic, offset.
        if method == Some(Method::Stored) && !d.encrypted {
            e.offset = d
                .chunk_offset
                .checked_add(4)
                .and_then(|o| o.checked_add(d.file_offset));
        }
    }
    e
}

/// Files whose data entries could not be read: listed with their sizes.
fn list_without_data<'a>(files: Vec<FileEntry>, info: InnoInfo, limits: &Limits) -> Opened<'a> {
    Opened::Container(Box::new(Walk::new(
        info,
        &[],
        files,
        Vec::new(),
        limits,
        true,
    )))
}

/// The decoder of the chunk being read; `reader.n` is how far it got.
struct Open<'a> {
    chunk: u64,
    reader: Counting<Box<dyn Read + 'a>>,
}

/// Counts what passes through.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// The files of setup-0, their contents decoded from setup-1, handed over
/// in the order the chunks store them (files without data last), so a
/// solid chunk is decoded once.
struct Walk<'a> {
    /// The metadata, given back at the end.
    info: InnoInfo,
    setup1: &'a [u8],
    files: Vec<FileEntry>,
    entries: Vec<DataEntry>,
    /// Indices into `files`, in data order.
    order: Vec<usize>,
    /// The next position in `order` (or in `files`, without data).
    next: usize,
    /// Files per data entry (a data entry used by more than one is kept).
    shared: BTreeMap<u32, u32>,
    /// Data entries per chunk (by chunk offset): a chunk of several
    /// (solid compression) has no packed size of one file's own.
    per_chunk: BTreeMap<u64, u32>,
    /// Per chunk, the furthest decoded byte any file needs: the LZMA
    /// dictionary never has to be larger.
    need: BTreeMap<u64, u64>,
    open: Option<Open<'a>>,
    /// The last data entry read for several files.
    last: Option<Last>,
    /// Bytes decoded only to be skipped, bounded like unpacked bytes.
    skipped: u64,
    /// A chunk whose decoder failed and how far it got: its later files
    /// are not decoded again up to the same failure (each would reopen
    /// the chunk and decode up to it: files × position).
    broken: Option<(u64, u64, Error)>,
    /// Entries handed over so far (the index of the next one).
    pulled: usize,
    /// The file the engine is reading.
    reading: Option<Reading>,
    /// Its stored checksum, computed as its bytes pass.
    sum: Option<Summer>,
    /// The key of encrypted chunks, or why there is none.
    key: Result<crypt::ChunkKey, Error>,
    /// Why the call-filtered read failed, as the reader saw it.
    failed: Option<Error>,
    /// List every file as missing its contents.
    without_data: bool,
    /// Bound on a chunk decoder's dictionary.
    max_entry: u64,
    /// Bound on the bytes decoded only to be skipped.
    max_unpacked: u64,
}

/// A data entry read for several files.
struct Last {
    location: u32,
    /// The entry it was read for.
    of: usize,
    /// Its bytes when the engine kept them whole (else it was streamed).
    bytes: Option<Vec<u8>>,
    /// The outcome of its checksum.
    checked: Result<Check, Error>,
}

/// A file being read.
struct Reading {
    location: u32,
    /// Entry index.
    index: usize,
    checksum: Checksum,
}

/// What [`Walk::step`] decided.
enum Step<'a> {
    /// An entry that borrows nothing of the walk.
    Ready(Entry<'a>),
    /// `size` bytes from the open chunk decoder (through the call filter).
    Decode {
        name: String,
        info: EntryInfo,
        size: u64,
        stored: u64,
        filter: Option<stream::CallFilter>,
    },
    /// The last shared data entry's kept bytes again.
    Again {
        name: String,
        info: EntryInfo,
        size: u64,
    },
}

/// Chunk magic.
const CHUNK_MAGIC: &[u8] = b"zlb\x1a";

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let step = self.step(notes)?;
        self.pulled += 1;
        Some(match step {
            Step::Ready(e) => e,
            Step::Decode {
                name,
                info,
                size,
                stored,
                filter,
            } => {
                let o = self.open.as_mut()?;
                let sum = &mut self.sum;
                let inner = (&mut o.reader).take(size);
                let reader: Box<dyn Read + '_> = match filter {
                    Some(filter) => Box::new(Filtered {
                        inner,
                        filter,
                        out: None,
                        at: 0,
                        sum,
                        failed: &mut self.failed,
                    }),
                    None => Box::new(Inspect {
                        inner,
                        see: move |b: &[u8]| {
                            if let Some(h) = sum.as_mut() {
                                h.update(b);
                            }
                        },
                    }),
                };
                Entry {
                    name,
                    info,
                    data: Data::Decode {
                        reader,
                        declared: Some(size),
                        stored: Some(stored),
                    },
                }
            }
            Step::Again { name, info, size } => {
                let bytes = self.last.as_ref().and_then(|l| l.bytes.as_deref())?;
                Entry {
                    name,
                    info,
                    data: Data::Decode {
                        reader: Box::new(bytes),
                        declared: Some(size),
                        stored: None,
                    },
                }
            }
        })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        let failed = self.failed.take();
        let sum = self.sum.take();
        let Some(r) = self.reading.take() else {
            return;
        };
        match read {
            Ok(d) => {
                // A SHA-256 the engine computed already, over the same
                // bytes: not computed a second time here.
                let sum = match &r.checksum {
                    Checksum::Sha256(_) => Some(Sum::Sha256(d.hashes.sha256)),
                    _ => sum.map(Summer::finish),
                };
                let checked = verify(sum, &r.checksum);
                match &checked {
                    Ok(check) => info.add_verified(*check),
                    Err(e) => info.add_error(e.clone()),
                }
                if self.shared.get(&r.location).is_some_and(|&n| n > 1) {
                    self.last = Some(Last {
                        location: r.location,
                        of: r.index,
                        bytes: d.whole.map(<[u8]>::to_vec),
                        checked,
                    });
                }
            }
            Err(e) => {
                if let Some(f) = failed {
                    *e = f;
                }
                // The chunk decoder's state is lost with the read. A
                // decoder failure (not a limit the engine applied to this
                // file) is remembered: the chunk's later files would fail
                // at the same byte.
                if let Some(o) = self.open.take() {
                    if e.kind() != "limit-exceeded" {
                        self.broken = Some((o.chunk, o.reader.n, e.clone()));
                    }
                }
            }
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        parsed(self.info)
    }
}

impl<'a> Walk<'a> {
    /// A walk over `files`, in the order their data is stored.
    fn new(
        info: InnoInfo,
        setup1: &'a [u8],
        files: Vec<FileEntry>,
        entries: Vec<DataEntry>,
        limits: &Limits,
        without_data: bool,
    ) -> Self {
        let mut files = files;
        let canon = same_bytes(&entries);
        for f in &mut files {
            if let Some(&c) = canon.get(f.location as usize) {
                f.location = c;
            }
        }
        let mut order: Vec<usize> = (0..files.len()).collect();
        let key = |i: &usize| {
            let d = files.get(*i).and_then(|f| entries.get(f.location as usize));
            match d {
                Some(d) => (0u8, d.chunk_offset, d.file_offset, *i),
                None => (1u8, 0, 0, *i),
            }
        };
        order.sort_by_key(key);
        let mut shared: BTreeMap<u32, u32> = BTreeMap::new();
        for f in &files {
            let n = shared.entry(f.location).or_insert(0);
            *n = n.saturating_add(1);
        }
        let mut per_chunk: BTreeMap<u64, u32> = BTreeMap::new();
        for d in &entries {
            let n = per_chunk.entry(d.chunk_offset).or_insert(0);
            *n = n.saturating_add(1);
        }
        let mut need: BTreeMap<u64, u64> = BTreeMap::new();
        for d in &entries {
            let end = d.file_offset.saturating_add(d.file_size);
            let e = need.entry(d.chunk_offset).or_insert(0);
            *e = (*e).max(end);
        }
        Walk {
            info,
            setup1,
            files,
            entries,
            order,
            next: 0,
            shared,
            per_chunk,
            need,
            open: None,
            last: None,
            skipped: 0,
            broken: None,
            pulled: 0,
            reading: None,
            sum: None,
            failed: None,
            without_data,
            key: Err(Error::encrypted(
                "chunk encrypted with the setup password; not decrypted",
            )),
            max_entry: limits.max_entry_size,
            max_unpacked: limits.max_total_unpacked,
        }
    }

    /// Decide the next entry (owned data, so the borrowing reader can be
    /// made afterwards, unconditionally).
    fn step(&mut self, _notes: &mut Notes) -> Option<Step<'a>> {
        if self.without_data {
            let fe = self.files.get(self.next)?;
            self.next += 1;
            return Some(Step::Ready(Entry {
                name: fe.destination.clone(),
                info: file_entry(None, None),
                data: Data::Missing {
                    size: fe.external_size,
                    error: Error::malformed("file contents not available"),
                },
            }));
        }
        let i = *self.order.get(self.next)?;
        self.next += 1;
        let fe = self.files.get(i)?;
        let name = fe.destination.clone();
        let missing = |name, info, size, error| {
            Some(Step::Ready(Entry {
                name,
                info,
                data: Data::Missing { size, error },
            }))
        };
        let Some(d) = self.entries.get(fe.location as usize) else {
            let why = if fe.location == u32::MAX {
                format!("external file `{}`: not stored in the installer", fe.source)
            } else {
                format!(
                    "data entry {} out of range ({} entries)",
                    fe.location,
                    self.entries.len()
                )
            };
            return missing(
                name,
                file_entry(None, None),
                fe.external_size,
                Error::malformed(why),
            );
        };
        let m = d.method;
        let mut info = file_entry(Some(m), Some(d)).modified(d.mtime);
        // The chunk's packed size is this file's only when the chunk holds
        // no other (in a solid chunk it is shared: 7-Zip shows none).
        if self.per_chunk.get(&d.chunk_offset).copied() == Some(1) {
            info.compressed_size = Some(d.chunk_size);
        }
        if d.encrypted {
            if let Err(e) = &self.key {
                return missing(name, info, d.file_size, e.clone());
            }
        }
        if d.first_slice != 0 || d.last_slice != 0 {
            return missing(
                name,
                info,
                d.file_size,
                Error::unsupported(format!(
                    "data in disk slice {} (setup-*.bin beside the installer)",
                    d.first_slice
                )),
            );
        }
        if let Some(l) = self.last.as_ref().filter(|l| l.location == fe.location) {
            // The same bytes: the same checksum verdict.
            if l.bytes.is_some() {
                let info = match &l.checked {
                    Ok(check) => info.verified(*check),
                    Err(e) => info.with_error(e.clone()),
                };
                // Another file with the same contents: read again through
                // the limits, so a hostile table cannot multiply the work
                // for free.
                self.reading = None;
                return Some(Step::Again {
                    name,
                    info,
                    size: d.file_size,
                });
            }
            // Streamed (too big to keep): the same bytes as that entry,
            // its hashes repeated (and its checksum error, if any).
            let mut info = info;
            if let Ok(check) = &l.checked {
                info.add_verified(*check);
            }
            info.streamed = true;
            return Some(Step::Ready(Entry {
                name,
                info,
                data: Data::Copy { of: l.of },
            }));
        }
        if let Some((chunk, at, e)) = self.broken.as_ref().filter(|b| b.0 == d.chunk_offset) {
            // Decoding this chunk failed at `at` for an earlier file: not
            // decoded again up to the same failure.
            let e = installsift_model::error::context(
                e.clone(),
                &format!(
                    "chunk at setup-1 offset {chunk:#x} failed at decoded byte {at} for an earlier file"
                ),
            );
            return missing(name, info, d.file_size, e);
        }
        if let Some(o) = self
            .open
            .as_ref()
            .filter(|o| o.chunk == d.chunk_offset && o.reader.n > d.file_offset && d.file_size > 0)
        {
            // Files come in offset order within a chunk, so this one (not
            // empty) starts inside bytes already decoded for an earlier
            // file: Inno never
            // writes that (files with the same contents share one data
            // entry, and equal data entries are merged above). Decoding it
            // would reopen the chunk and decode it again from its start,
            // once per such file.
            let e = Error::malformed(format!(
                "data entry {} starts at decoded byte {} of the chunk at setup-1 offset {:#x}, \
                 inside the {} bytes already decoded for an earlier file; not decoded again",
                fe.location, d.file_offset, d.chunk_offset, o.reader.n
            ));
            return missing(name, info, d.file_size, e);
        }
        let dict_cap = self.need.get(&d.chunk_offset).copied().unwrap_or(0);
        let (d, location) = (d.clone(), fe.location);
        match self.seek(&d, m, dict_cap) {
            Ok(()) => {
                self.sum = Summer::new(&d.checksum);
                self.failed = None;
                self.reading = Some(Reading {
                    location,
                    index: self.pulled,
                    checksum: d.checksum.clone(),
                });
                Some(Step::Decode {
                    name,
                    info,
                    size: d.file_size,
                    stored: d.chunk_size,
                    filter: d.call_filter,
                })
            }
            Err(e) => {
                self.open = None;
                missing(name, info, d.file_size, e)
            }
        }
    }

    /// Bring the chunk decoder to the start of `d`'s bytes: reuse the open
    /// one when the file lies ahead of it, else open its chunk; skip to the
    /// file.
    fn seek(&mut self, d: &DataEntry, m: Method, dict_cap: u64) -> Result<(), Error> {
        let setup1 = self.setup1;
        let reuse = self.open.as_ref().is_some_and(|o| {
            // An empty file reads nothing: any position of its chunk will
            // do (one at the offset of the next file is legitimate).
            o.chunk == d.chunk_offset && (o.reader.n <= d.file_offset || d.file_size == 0)
        });
        if !reuse {
            let at = usize::try_from(d.chunk_offset).unwrap_or(usize::MAX);
            let magic = setup1.get(at..at.saturating_add(4));
            if magic != Some(CHUNK_MAGIC) {
                return Err(Error::malformed(format!(
                    "no chunk magic `zlb\\x1a` at setup-1 offset {at:#x}"
                ))
                .at(at as u64));
            }
            let start = at + 4;
            // An encrypted chunk's 8-byte salt precedes its data and is not
            // counted in its size (innoextract reads the size after it).
            let salt = if d.encrypted { 8 } else { 0 };
            let end = usize::try_from(d.chunk_size)
                .ok()
                .and_then(|n| start.checked_add(n)?.checked_add(salt))
                .unwrap_or(usize::MAX)
                .min(setup1.len());
            let bytes = setup1.get(start..end).unwrap_or(&[]);
            let cap = dict_cap.min(self.max_entry);
            let reader = match (&self.key, d.encrypted) {
                (Ok(key), true) => {
                    stream::chunk_stream_reader(m, crypt::Arc4Reader::new(key, bytes)?, cap)?
                }
                (Err(e), true) => return Err(e.clone()),
                (_, false) => stream::chunk_reader(m, bytes, cap)?,
            };
            self.open = Some(Open {
                chunk: d.chunk_offset,
                reader: Counting {
                    inner: reader,
                    n: 0,
                },
            });
        }
        let Some(o) = self.open.as_mut() else {
            return Err(Error::malformed("no chunk decoder"));
        };
        let gap = d.file_offset.saturating_sub(o.reader.n);
        if gap > 0 {
            self.skipped = self.skipped.saturating_add(gap);
            if self.skipped > self.max_unpacked {
                return Err(Error::limit(
                    installsift_model::limits::Limit::MaxTotalUnpacked,
                    format!("{} bytes decoded only to be skipped", self.skipped),
                ));
            }
            let n = std::io::copy(&mut (&mut o.reader).take(gap), &mut std::io::sink())
                .map_err(|e| installsift_model::error::io_to_error(&e, 0))?;
            if n < gap {
                return Err(Error::truncated(format!(
                    "chunk ends {} bytes before the file starts",
                    gap - n
                )));
            }
        }
        Ok(())
    }
}

/// For each data entry, the first data entry naming the same bytes: the
/// same chunk, offset, size, compression, filter and checksum (Inno writes
/// one data entry per distinct file, so equal ones come from a rewritten
/// header). Files naming either are then copies of one read. Linear after
/// the sort: an entry is compared with the first of its (chunk, offset,
/// size) only.
fn same_bytes(entries: &[DataEntry]) -> Vec<u32> {
    let mut by_place: Vec<usize> = (0..entries.len()).collect();
    let place = |i: &usize| {
        entries.get(*i).map(|d| {
            (
                d.first_slice,
                d.chunk_offset,
                d.file_offset,
                d.file_size,
                *i,
            )
        })
    };
    by_place.sort_by_key(place);
    let mut canon: Vec<u32> = (0..entries.len())
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    let mut first: Option<usize> = None;
    for &i in &by_place {
        let (Some(d), f) = (
            entries.get(i),
            first.and_then(|f| entries.get(f).map(|e| (f, e))),
        ) else {
            continue;
        };
        match f {
            Some((f, e))
                if (e.first_slice, e.chunk_offset, e.file_offset, e.file_size)
                    == (d.first_slice, d.chunk_offset, d.file_offset, d.file_size) =>
            {
                let same = e.last_slice == d.last_slice
                    && e.chunk_size == d.chunk_size
                    && e.method == d.method
                    && e.call_filter == d.call_filter
                    && e.encrypted == d.encrypted
                    && e.checksum == d.checksum;
                if same {
                    if let (Some(c), Ok(f)) = (canon.get_mut(i), u32::try_from(f)) {
                        *c = f;
                    }
                }
            }
            _ => first = Some(i),
        }
    }
    canon
}

/// A call-filtered file: read whole from the chunk, the filter undone, the
/// stored checksum computed, then handed over.
struct Filtered<'r, R> {
    inner: R,
    filter: stream::CallFilter,
    out: Option<Vec<u8>>,
    at: usize,
    sum: &'r mut Option<Summer>,
    /// Why reading the chunk failed (with how far it got).
    failed: &'r mut Option<Error>,
}

impl<R: Read> Read for Filtered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.out.is_none() {
            let mut v = Vec::new();
            if let Err(e) = self.inner.read_to_end(&mut v) {
                *self.failed = Some(installsift_model::error::io_to_error(&e, v.len() as u64));
                return Err(e);
            }
            self.filter.undo(&mut v);
            if let Some(h) = self.sum.as_mut() {
                h.update(&v);
            }
            self.out = Some(v);
        }
        let out = self.out.as_deref().unwrap_or(&[]);
        let rest = out.get(self.at..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or(&mut [])
            .copy_from_slice(rest.get(..n).unwrap_or(&[]));
        self.at += n;
        Ok(n)
    }
}

/// A running checksum of the kind a data entry stores.
enum Summer {
    Adler32 { a: u32, b: u32 },
    Crc32(crc32fast::Hasher),
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
}

/// A finished checksum, of the kind its [`Checksum`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sum {
    U32(u32),
    Md5(hash::Md5),
    Sha1(hash::Sha1),
    /// The engine's SHA-256 of the entry.
    Sha256(hash::Sha256),
}

impl Sum {
    /// The value the setup stores.
    fn stored(c: &Checksum) -> Sum {
        match *c {
            Checksum::Adler32(x) | Checksum::Crc32(x) => Sum::U32(x),
            Checksum::Md5(d) => Sum::Md5(d),
            Checksum::Sha1(d) => Sum::Sha1(d),
            Checksum::Sha256(d) => Sum::Sha256(d),
        }
    }
}

impl std::fmt::Display for Sum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sum::U32(x) => write!(f, "{x:08x}"),
            Sum::Md5(d) => write!(f, "{d}"),
            Sum::Sha1(d) => write!(f, "{d}"),
            Sum::Sha256(d) => write!(f, "{d}"),
        }
    }
}

impl Summer {
    fn new(c: &Checksum) -> Option<Summer> {
        Some(match c {
            Checksum::Adler32(_) => Summer::Adler32 { a: 1, b: 0 },
            Checksum::Crc32(_) => Summer::Crc32(crc32fast::Hasher::new()),
            Checksum::Md5(_) => Summer::Md5(md5::Md5::new()),
            Checksum::Sha1(_) => Summer::Sha1(sha1::Sha1::new()),
            // The engine hashes every entry with SHA-256 (`Decoded::hashes`).
            Checksum::Sha256(_) => return None,
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Summer::Adler32 { a, b } => {
                // 5552 bytes is the most that cannot overflow before the
                // modulo (zlib's NMAX).
                for part in data.chunks(5552) {
                    for &x in part {
                        *a += u32::from(x);
                        *b += *a;
                    }
                    *a %= 65521;
                    *b %= 65521;
                }
            }
            Summer::Crc32(h) => h.update(data),
            Summer::Md5(h) => h.update(data),
            Summer::Sha1(h) => h.update(data),
        }
    }

    fn finish(self) -> Sum {
        match self {
            Summer::Adler32 { a, b } => Sum::U32((b << 16) | a),
            Summer::Crc32(h) => Sum::U32(h.finalize()),
            Summer::Md5(h) => Sum::Md5(hash::Md5(h.finalize().into())),
            Summer::Sha1(h) => Sum::Sha1(hash::Sha1(h.finalize().into())),
        }
    }
}

/// Compare the stored checksum with the decoded bytes: the check that
/// matched, or a `checksum` error.
fn verify(sum: Option<Sum>, want: &Checksum) -> Result<Check, Error> {
    let (algo, check) = match want {
        Checksum::Adler32(_) => ("Adler-32", Check::InnoAdler32),
        Checksum::Crc32(_) => ("CRC-32", Check::InnoCrc32),
        Checksum::Md5(_) => ("MD5", Check::InnoMd5),
        Checksum::Sha1(_) => ("SHA-1", Check::InnoSha1),
        Checksum::Sha256(_) => ("SHA-256", Check::InnoSha256),
    };
    let exp = Sum::stored(want);
    if sum == Some(exp) {
        Ok(check)
    } else {
        let got = sum.map_or_else(String::new, |s| s.to_string());
        Err(Error::checksum(format!(
            "Inno Setup data entry: {algo} of the decoded file is {got}, the setup stores {exp}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample;

    /// A rewrite of the data entries.
    type Rewrite = fn(&mut Vec<DataEntry>);

    thread_local! {
        /// Rewrites the data entries as a hostile header would, between
        /// parsing and the walk: the header is CRC-protected and
        /// compressed, so this stands for decoding it, rewriting the
        /// records and encoding it again.
        pub(super) static REWRITE: std::cell::Cell<Option<Rewrite>> =
            const { std::cell::Cell::new(None) };
    }

    /// `rel`'s setup-1 + setup-0 listed with its data entries rewritten by
    /// `rewrite`.
    fn list_rewritten(rel: &str, rewrite: fn(&mut Vec<DataEntry>)) -> crate::container::Listing {
        let file = sample(rel).unwrap_or_default();
        let z = memchr::memmem::find(&file, CHUNK_MAGIC).expect("setup-1");
        let limits = installsift_model::Limits::default();
        REWRITE.with(|r| r.set(Some(rewrite)));
        let l = crate::container::list(open, &file[z..], &limits, usize::MAX);
        REWRITE.with(|r| r.set(None));
        l
    }

    /// Issue 16: data entries read out of order, overlapping, or naming
    /// the same bytes cost one decode of the chunk, not one per entry. In
    /// a real solid setup (11 files, one LZMA2 chunk), rewritten:
    /// - the data entries reversed: files still come in chunk order, all
    ///   decoded and verified;
    /// - every entry the same bytes: copies of one read;
    /// - every entry starting at byte 0 of the chunk and ending where it
    ///   did (each overlapping all the earlier ones): the shortest decoded,
    ///   the others `malformed` without being decoded (before, each reopened
    ///   the chunk and decoded it from its start to its end: the sum of
    ///   the ends, bounded only by `max_total_unpacked`).
    #[test]
    fn data_entries_out_of_order_or_overlapping_decode_the_chunk_once() {
        use crate::container::Listed;
        let rel = "inno/inno64_lzma2_solid.exe";
        let entries = data_entries(rel);
        assert!(entries.len() > 5);
        assert!(entries
            .iter()
            .all(|d| d.chunk_offset == entries[0].chunk_offset));
        let decoded = |l: &crate::container::Listing| {
            l.entries
                .iter()
                .filter(|e| matches!(e.2, Listed::Decoded(Ok(_))))
                .count()
        };

        let l = list_rewritten(rel, |e| e.reverse());
        assert_eq!(decoded(&l), 11);
        assert!(l
            .entries
            .iter()
            .all(|e| e.1.verified_by == [Check::InnoSha256]));

        let l = list_rewritten(rel, |e| {
            let last = e.last().cloned().expect("an entry");
            e.iter_mut().for_each(|d| *d = last.clone());
        });
        let copies = l
            .entries
            .iter()
            .filter(|e| matches!(e.2, Listed::Copy(_)))
            .count();
        let again = l
            .entries
            .iter()
            .filter(|e| matches!(e.2, Listed::Decoded(Ok(_))))
            .count();
        assert_eq!(copies + again, 11, "{:?}", l.entries);
        assert!(l.entries.iter().all(|e| e.1.errors.is_empty()));

        let ends: Vec<u64> = entries
            .iter()
            .map(|d| d.file_offset + d.file_size)
            .collect();
        let l = list_rewritten(rel, |e| {
            for d in e.iter_mut() {
                d.file_size += d.file_offset;
                d.file_offset = 0;
            }
        });
        let over: Vec<_> = l
            .entries
            .iter()
            .filter(|e| {
                matches!(&e.2, Listed::Missing { error: Error::Malformed { message, .. }, .. }
                    if message.contains("already decoded for an earlier file"))
            })
            .collect();
        assert_eq!(
            over.len(),
            ends.iter().filter(|&&n| n > 0).count() - 1,
            "{:?}",
            l.entries
        );
        assert_eq!(decoded(&l), 11 - over.len());
        let now: usize = l
            .entries
            .iter()
            .map(|e| match &e.2 {
                Listed::Decoded(Ok(b)) => b.len(),
                _ => 0,
            })
            .sum();
        let before: u64 = ends.iter().sum();
        assert!((now as u64) < before / 4, "{now} of {before}");
        eprintln!(
            "overlapping entries: decoded before {before} bytes (sum of the ends), now {now}"
        );
    }

    /// Issue 16: a chunk whose decoder fails (here: its stored size cut to
    /// 64 bytes) fails once; its later files say so without reopening the
    /// chunk and decoding it up to the same failure each.
    #[test]
    fn a_chunk_that_fails_is_not_decoded_again_for_each_file() {
        use crate::container::Listed;
        let l = list_rewritten("inno/inno64_lzma2_solid.exe", |e| {
            e.iter_mut().for_each(|d| d.chunk_size = 64);
        });
        let again =
            |m: &str| m.contains("failed at decoded byte") && m.contains("for an earlier file");
        let (mut failed, mut told) = (0, 0);
        for (name, _, data) in &l.entries {
            match data {
                Listed::Decoded(Err(_)) => failed += 1,
                Listed::Missing { error, .. } if again(error.message()) => told += 1,
                Listed::Decoded(Ok(b)) if b.is_empty() => {}
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(failed, 1, "{:?}", l.entries);
        assert!(told >= 8, "{:?}", l.entries);
    }

    /// The data entries of a sample's setup-0.
    fn data_entries(rel: &str) -> Vec<DataEntry> {
        let data = sample(rel).unwrap_or_default();
        let at = find_setup0(&data).expect("setup-0");
        let s0 = &data[at..];
        let id = stream::parse_id(s0).expect("id");
        let lim = installsift_model::limits::Limits::default();
        let b1 = stream::read_block(s0, id.len, id.version, &lim).expect("block 1");
        let (l, h) = choose_layout(&b1.data, header::Layout::of(&id), 100);
        let h = h.expect("setup-0");
        assert_eq!(h.trailing, 0, "{rel}");
        let b2 = stream::read_block(s0, b1.end, id.version, &lim).expect("block 2");
        let mut f2 = Fields::new(&b2.data);
        let m = h.header.compression.expect("method");
        header::parse_data_entries(&mut f2, l, h.header.counts.data_entries, m, 100).expect("data")
    }

    #[test]
    fn listing_without_the_engine() {
        use crate::container::{list, Listed};
        let limits = installsift_model::Limits::default();
        for (rel, check, files) in [
            ("inno/inno_lzma2.exe", Check::InnoSha1, 1),
            ("inno/inno64_lzma2_solid.exe", Check::InnoSha256, 11),
            ("inno/inno556_zip_solid.exe", Check::InnoSha1, 12),
            // A call-filtered executable among the files.
            ("inno/inno5_lzma_nonsolid.exe", Check::InnoSha1, 12),
        ] {
            let Some(file) = sample(rel) else { return };
            // The PE overlay: setup-1, then setup-0.
            let z = memchr::memmem::find(&file, CHUNK_MAGIC).expect("setup-1");
            let d = &file[z..];
            let l = list(open, d, &limits, usize::MAX);
            assert!(l.notes.errors.is_empty(), "{rel}: {:?}", l.notes.errors);
            assert_eq!(l.notes.verified, [Check::InnoBlockCrc32], "{rel}");
            assert_eq!(l.entries.len(), files, "{rel}");
            for (name, info, data) in &l.entries {
                assert!(matches!(data, Listed::Decoded(Ok(_))), "{rel}: {name}");
                assert_eq!(info.verified_by, [check], "{rel}: {name}");
                assert!(info.errors.is_empty(), "{rel}: {name}");
            }
            let Some(Metadata::Inno(info)) = &l.parsed.metadata else {
                panic!("inno metadata")
            };
            assert_eq!(info.files, files as u64);
            // Stopped by the engine after one entry: nothing said missing.
            let l = list(open, d, &limits, 1);
            assert_eq!(l.entries.len(), 1);
            assert!(l.notes.errors.is_empty(), "{rel}: {:?}", l.notes.errors);
        }
        // Two files of one data entry: the second is read again from the
        // bytes kept, with the first's check.
        let Some(file) = sample("inno/inno556_zip_solid.exe") else {
            return;
        };
        let z = memchr::memmem::find(&file, CHUNK_MAGIC).expect("setup-1");
        let l = list(open, &file[z..], &limits, usize::MAX);
        let bytes = |name: &str| {
            l.entries
                .iter()
                .find(|e| e.0 == name)
                .map(|e| match &e.2 {
                    Listed::Decoded(Ok(b)) => b.clone(),
                    other => panic!("{name}: {other:?}"),
                })
                .expect(name)
        };
        assert_eq!(bytes("{app}\\readme.txt").len(), 322);
        assert_eq!(
            bytes("{app}\\readme.txt"),
            bytes("{app}\\copy\\readme-kopie.txt")
        );
    }

    /// A data entry of two files that the engine did not keep whole (it
    /// streamed it): the second file is the same stored bytes as the
    /// first ([`Data::Copy`]) with the first's check, nothing decoded twice.
    #[test]
    fn a_shared_data_entry_streamed_is_a_copy_of_the_first() {
        use std::io::Read as _;
        let Some(file) = sample("inno/inno556_zip_solid.exe") else {
            return;
        };
        let z = memchr::memmem::find(&file, CHUNK_MAGIC).expect("setup-1");
        let limits = installsift_model::Limits::default();
        let mut n = Notes::default();
        let mut c = match open(
            &file[z..],
            &Options {
                limits: &limits,
                hashes: installsift_model::HashSelection::SHA256,
                name: "",
                passwords: &[],
                read_ahead: false,
            },
            &mut n,
        ) {
            Opened::Container(c) => c,
            Opened::Leaf(_) => panic!("a container"),
        };
        fn drain(data: Data<'_>) -> Option<Vec<u8>> {
            let Data::Decode { mut reader, .. } = data else {
                return None;
            };
            let mut out = Vec::new();
            reader.read_to_end(&mut out).ok()?;
            Some(out)
        }
        let mut names = Vec::new();
        let mut copies = Vec::new();
        loop {
            let Some(Entry {
                name,
                mut info,
                data,
            }) = c.next_entry(&mut n)
            else {
                break;
            };
            match data {
                Data::Copy { of } => {
                    assert!(info.streamed);
                    assert_eq!(info.verified_by, [Check::InnoSha1]);
                    copies.push((name.clone(), of));
                }
                other => {
                    if let Some(out) = drain(other) {
                        // As the engine says of an entry it streamed.
                        let h = installsift_model::hash::hash_bytes(
                            installsift_model::HashSelection::SHA256,
                            &out,
                        );
                        let r = Decoded {
                            size: out.len() as u64,
                            whole: None,
                            hashes: &h,
                        };
                        c.entry_read(Ok(r), &mut info, &mut n);
                        assert_eq!(info.verified_by, [Check::InnoSha1], "{name}");
                    }
                }
            }
            names.push(name);
        }
        assert!(n.errors.is_empty(), "{:?}", n.errors);
        assert_eq!(copies.len(), 1, "{copies:?}");
        let (copy, of) = &copies[0];
        let mut pair = [copy.as_str(), names[*of].as_str()];
        pair.sort_unstable();
        assert_eq!(pair, ["{app}\\copy\\readme-kopie.txt", "{app}\\readme.txt"]);
    }

    #[test]
    fn executables_carry_the_call_filter() {
        for rel in [
            "inno/inno5_lzma_nonsolid.exe",
            "inno/inno6_zlib_admin_x64.exe",
        ] {
            let d = data_entries(rel);
            let filtered: Vec<u64> = d
                .iter()
                .filter(|e| e.call_filter.is_some())
                .map(|e| e.file_size)
                .collect();
            assert_eq!(filtered, vec![14848], "{rel}");
        }
        // Encrypted chunks are flagged per data entry.
        assert!(data_entries("inno/inno6_encrypted.exe")
            .iter()
            .all(|e| e.encrypted));
    }

    #[test]
    fn sniff_wants_an_id_or_chunks_then_an_id() {
        assert!(sniff(b"Inno Setup Setup Data (6.3.0)\0"));
        assert!(!sniff(b"Inno Setup Setup Data (x)"));
        // setup-1 without setup-0 is still Inno (cut short): the parser
        // says so.
        assert!(sniff(b"zlb\x1a and nothing"));
        assert!(!sniff(b"zlb and nothing"));
        // An ID without a valid block header after it is not setup-0.
        let mut d = b"zlb\x1a".to_vec();
        d.extend_from_slice(b"Inno Setup Setup Data (6.3.0)");
        d.resize(4 + 64 + 9, 0);
        assert_eq!(find_setup0(&d), None);
        assert!(matches!(no_setup0(&d), Error::Checksum { .. }));
        d.truncate(4 + 64 + 3);
        assert!(matches!(no_setup0(&d), Error::Truncated { .. }));
    }
}
