//! InstallShield: the Setup Launcher's overlay records and InstallShield
//! cabinets (`ISc(`, `data1.hdr` + `data1.cab` …).
//!
//! A Setup Launcher (`setup.exe`) is a PE whose overlay holds the files of
//! the release, in one of these layouts (facts from ClamAV's
//! `libclamav/ishield.c`, unshield's `lib/` and ISx's `ISx.c`):
//!
//! | layout | header | record | data |
//! |---|---|---|---|
//! | `plain` | none, the first record starts the overlay | `name\0path\0version\0size\0` (ANSI, size in decimal) | stored |
//! | `plain-utf16` | `u32` record count | the same four strings in UTF-16LE | stored |
//! | `installshield` | `InstallShield\0`, `u16` count … (46 bytes) | 312 bytes: name (260), flags, size … | obfuscated (see below), zlib when the launcher is Unicode |
//! | `issetupstream` | `ISSetupStream\0`, `u16` count, `u32` type … (46 bytes) | 24 bytes (+24 for type 4) then the UTF-16LE name | the same scheme, keyed by the name's UTF-8 bytes |
//!
//! Obfuscation: key = name bytes XOR `13 35 86 07` (repeated); each data
//! byte `b` becomes `!(key[i] ^ swap_nibbles(b))`, where `i` restarts every
//! 1024 bytes when flag 4 is set (`i = (pos % 1024) % keylen`), or runs over
//! the whole record when only flag 2 is set (`InstallShield` layout only).
//! A Unicode launcher (the `u16` after the size) then zlib-compressed it.
//!
//! The parts of the PE: the PE module opens [`open_launcher`] on its
//! overlay, so every record becomes a child of the PE (a Microsoft cabinet,
//! an MSI, `setup.exe` are then scanned by their own handlers), and an
//! InstallShield cabinet set among the records (`data1.hdr`, `dataN.cab`)
//! is read as one: its files become children of the header record, named
//! as `unshield l` names them (`file group\directory\name`, `\` → `/`), and
//! are unpacked (stored, or unshield's chunked raw deflate, with or without
//! its byte obfuscation), checked against their MD5.
//!
//! The [`HANDLER`] takes an `ISc(` cabinet on its own (a `data1.hdr` found
//! on a share: files listed in metadata only, their data lies in the volumes;
//! a version 5 `data1.cab` that carries its own header: files unpacked) and,
//! when forced (fuzzing), any bytes as a launcher overlay.
//!
//! Not supported: cabinet sets split over several launcher files or media,
//! unshield's "old" compression (`-O`), the encrypted script `setup.inx`
//! (listed, not decoded). The `issetupstream`, `plain-utf16` and flag-2-only
//! layouts follow ISx's description and have no real sample in the corpus.

mod cabinet;
mod launcher;

pub use cabinet::CabinetInfo;
pub use launcher::{LauncherInfo, RecordInfo};

pub(crate) use launcher::{looks_like_launcher, open_launcher, LauncherWalk};

use super::container::{Notes, Opened, Options};
use super::{Handler, Parsed};
use installsift_model::Format;

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "installshield",
    format: Format::InstallShield,
    sniff,
    open,
};

/// An InstallShield cabinet (`ISc(` and a header that makes sense).
pub fn sniff(data: &[u8]) -> bool {
    cabinet::sniff(data)
}

/// Open an InstallShield cabinet (a header, a header with its data, or a
/// data volume); other bytes (only when forced, fuzzing) as a launcher
/// overlay.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let max = opts.limits.max_entries_per_container;
    if cabinet::sniff(data) {
        return cabinet::open_alone(data, max, notes);
    }
    match open_launcher(data, 0, opts.limits, notes) {
        Some(w) => Opened::Container(Box::new(w)),
        None => Opened::Leaf(Parsed {
            format: Format::InstallShield,
            metadata: None,
        }),
    }
}

/// Is this an InstallShield cabinet (a header, a header with its data, or
/// a data volume): a part of a set the engine may have to pair with its
/// sibling entries?
pub fn is_cabinet(data: &[u8]) -> bool {
    cabinet::sniff(data)
}

/// The cabinet sets among the entries of one directory (name, bytes), as
/// unshield pairs them (`<prefix>1.hdr`, else `<prefix>1.cab` carrying a
/// header, with the data volumes `<prefix>N.cab`): header entry → its
/// volumes (number, entry), sorted. The engine uses it for cabinets that
/// are sibling entries of a container, as the launcher does for its records.
pub fn cabinet_sets(
    parts: &[(&str, &[u8])],
) -> std::collections::HashMap<usize, Vec<(u32, usize)>> {
    launcher::sets_among(parts.iter().map(|&(n, d)| (n, Some(d))))
}

/// A cabinet header with the data volumes of its set (see
/// [`cabinet_sets`]): every file is an entry, unpacked where its volume is
/// among `volumes`.
pub fn open_cabinet_set<'a>(
    header: &'a [u8],
    volumes: Vec<(u32, &'a [u8])>,
    opts: &Options<'_>,
    notes: &mut Notes,
) -> Opened<'a> {
    cabinet::open_set(
        header,
        volumes,
        opts.limits.max_entries_per_container,
        notes,
    )
}

/// A data volume of a set whose header is the sibling entry `header`: its
/// files are listed (and unpacked) there, so it lists none.
pub fn open_volume_of_set<'a>(data: &'a [u8], header: &str, notes: &mut Notes) -> Opened<'a> {
    cabinet::open_volume_of_set(data, header, notes)
}

/// InstallShield facts of a node: a launcher overlay's records, or a cabinet.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
#[non_exhaustive]
pub enum InstallShieldInfo {
    /// Setup Launcher overlay records.
    Launcher(LauncherInfo),
    /// An InstallShield cabinet or header.
    Cabinet(CabinetInfo),
}

impl From<LauncherInfo> for InstallShieldInfo {
    fn from(i: LauncherInfo) -> Self {
        InstallShieldInfo::Launcher(i)
    }
}

impl From<CabinetInfo> for InstallShieldInfo {
    fn from(i: CabinetInfo) -> Self {
        InstallShieldInfo::Cabinet(i)
    }
}
