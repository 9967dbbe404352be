//! A writer of Inno Setup setup data 6.4.2 to 6.7.x, for tests: no 6.5+
//! compiler could be had (see `corpus/README.md`), so the test files of
//! these layouts are written here, field by field, from jrsoftware/issrc's
//! record definitions (`Projects/Src/Shared.Struct.pas`) and its writer
//! (`Compiler.SetupCompiler.pas` `WriteSetup0`, `Shared.SetupEntFunc.pas`
//! `SECompressedBlockWrite`: each record's `String`s as UTF-16 with a byte
//! length, its `AnsiString`s with a length, then the record's bytes after
//! its string pointers as stored in the packed record) at each release tag:
//!
//! | ID | tags | what changed (from the previous ID) |
//! | --- | --- | --- |
//! | 6.4.2 | is-6_4_2 | header string `CloseApplicationsFilterExcludes` |
//! | 6.4.3 | is-6_4_3 | data entry flags cut to 5 (one byte), `Sign` byte gone |
//! | 6.5.0 | is-6_5_0, is-6_5_1 | encryption header after the ID (password test, KDF salt / iterations and base nonce leave the setup header); header string `SevenZipLibraryName`; `NumISSigKeyEntries` and `[ISSigKeys]` entries (3 strings) before the files; option `EncryptionUsed` gone; file entry: 5 more strings, `TSetupFileVerification` (AnsiString, SHA-256, type), options `Download`, `ExtractArchive` (34: 5 bytes); the 7-Zip DLL after the images when `SevenZipLibraryName` is set; loader table revision 2 |
//! | 6.5.2 | is-6_5_2 … is-6_5_4 | header `WizardImageBackColor`, `WizardSmallImageBackColor`; data entry `StartOffset` Int64; disk slice `idskb32` with an Int64 size |
//! | 6.6.0 | is-6_6_0 | header: `WizardStyle` gone, `WizardDarkStyle` after the size percents, two dynamic-dark back colours; options: `WizardResizable` gone, `WizardModern`, `WizardBorderStyled`, `WizardKeepAspectRatio`, `WizardLightButtonsUnstyled`; language entry: title/copyright fonts gone, `LanguageID` a Word, two base-scale sizes; dynamic-dark wizard image lists |
//! | 6.6.1 | is-6_6_1 | header `WizardImageOpacity`; a dark image list of count -1 is "same as light" |
//! | 6.7.0 | is-6_7_0 … is-6_7_3 | 13-byte block headers (Int64 size); header: 5 `UsePrevious*` strings (their options gone), `WizardBackColor` (+ dark), `WizardBackImageOpacity`, `WizardLightControlStyling`; options `RedirectionGuard`, `WizardBevelsHidden`, the header and file option sets padded to 57 members (8 bytes); component and task `Level` a Byte; back image lists |

use super::stream::{v, Version};
use sha2::Digest as _;
use std::io::Write as _;

/// How the test setup's file chunks are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comp {
    Stored,
    Zlib,
    Lzma1,
    Lzma2,
}

/// What to write.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// The ID's version text, e.g. `6.5.0`.
    pub id: &'static str,
    pub version: Version,
    pub comp: Comp,
    /// One chunk for all files (else one per file).
    pub solid: bool,
    /// `EncryptionUse`: 0 none, 1 files, 2 full (6.5+); 6.4: 1 sets
    /// `EncryptionUsed`.
    pub encrypt: u8,
    /// `[ISSigKeys]` entries (6.5+).
    pub issig_keys: u32,
    /// `SevenZipLibraryName` set (a 7-Zip DLL stored after the images).
    pub seven_zip: bool,
    /// Files: destination name and contents.
    pub files: Vec<(String, Vec<u8>)>,
}

struct W {
    out: Vec<u8>,
    ver: Version,
}

impl W {
    fn ge(&self, a: u32, b: u32, c: u32) -> bool {
        self.ver >= v(a, b, c)
    }
    fn u8(&mut self, x: u8) {
        self.out.push(x);
    }
    fn u16(&mut self, x: u16) {
        self.out.extend_from_slice(&x.to_le_bytes());
    }
    fn u32(&mut self, x: u32) {
        self.out.extend_from_slice(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.out.extend_from_slice(&x.to_le_bytes());
    }
    fn zeros(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(0u8, n));
    }
    /// A `String` (UTF-16LE, byte length first).
    fn s(&mut self, t: &str) {
        let u: Vec<u8> = t.encode_utf16().flat_map(u16::to_le_bytes).collect();
        self.u32(u.len() as u32);
        self.out.extend_from_slice(&u);
    }
    /// An `AnsiString` / a stream.
    fn a(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.out.extend_from_slice(b);
    }
    /// Two `TSetupVersionData` (min: Windows 6.1; only-below: none).
    fn versions(&mut self) {
        self.u32(0);
        self.u32(0x0601_0000);
        self.u16(0);
        self.zeros(10);
    }
    /// A set of `members` members with the bits `set` (Delphi: 1, 2, 4
    /// bytes up to 32 members, then one byte per 8).
    fn set(&mut self, members: usize, bits: &[usize]) {
        let mut n = members.div_ceil(8);
        if n == 3 {
            n = 4;
        }
        let mut b = vec![0u8; n];
        for &i in bits {
            b[i / 8] |= 1 << (i % 8);
        }
        self.out.extend_from_slice(&b);
    }
    /// The 6 condition strings of an item.
    fn condition(&mut self) {
        for _ in 0..6 {
            self.s("");
        }
    }
}

/// Raw LZMA1 by liblzma, with Inno's 5 property bytes in front.
fn lzma1(data: &[u8]) -> Vec<u8> {
    let mut opts = liblzma::stream::LzmaOptions::new_preset(6).expect("preset");
    opts.dict_size(1 << 16);
    let mut filters = liblzma::stream::Filters::new();
    filters.lzma1(&opts);
    let stream = liblzma::stream::Stream::new_raw_encoder(&filters).expect("encoder");
    let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    enc.write_all(data).expect("encode");
    let raw = enc.finish().expect("finish");
    let mut out = vec![93u8];
    out.extend_from_slice(&(1u32 << 16).to_le_bytes());
    out.extend_from_slice(&raw);
    out
}

/// Raw LZMA2 by liblzma, with Inno's dictionary property byte in front.
fn lzma2(data: &[u8]) -> Vec<u8> {
    let mut opts = liblzma::stream::LzmaOptions::new_preset(6).expect("preset");
    opts.dict_size(1 << 16);
    let mut filters = liblzma::stream::Filters::new();
    filters.lzma2(&opts);
    let stream = liblzma::stream::Stream::new_raw_encoder(&filters).expect("encoder");
    let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    enc.write_all(data).expect("encode");
    let raw = enc.finish().expect("finish");
    // Property 8: (2 | 0) << (8 / 2 + 11) = 64 KiB.
    let mut out = vec![8u8];
    out.extend_from_slice(&raw);
    out
}

/// A block stream: the CRC'd header (Int64 size from 6.7), then the LZMA1
/// data in 4 KiB chunks, each after its CRC32.
fn block(payload: &[u8], ver: Version) -> Vec<u8> {
    let packed = lzma1(payload);
    let mut body = Vec::new();
    for c in packed.chunks(4096) {
        body.extend_from_slice(&crc32fast::hash(c).to_le_bytes());
        body.extend_from_slice(c);
    }
    let mut head = Vec::new();
    if ver >= v(6, 7, 0) {
        head.extend_from_slice(&(body.len() as u64).to_le_bytes());
    } else {
        head.extend_from_slice(&(body.len() as u32).to_le_bytes());
    }
    head.push(1);
    let mut out = crc32fast::hash(&head).to_le_bytes().to_vec();
    out.extend_from_slice(&head);
    out.extend_from_slice(&body);
    out
}

/// Stand-in bytes for an encrypted chunk (never decrypted by the reader).
fn scramble(data: &[u8]) -> Vec<u8> {
    data.iter()
        .enumerate()
        .map(|(i, b)| b ^ (i as u8).wrapping_mul(151).wrapping_add(7))
        .collect()
}

/// The setup data: setup-1 (the chunks), then setup-0 (ID, encryption
/// header from 6.5, the two block streams), as a setup's PE overlay holds
/// them.
pub(crate) fn build(spec: &Spec) -> Vec<u8> {
    let ver = spec.version;
    let encrypted = spec.encrypt != 0;
    // ---- setup-1: the chunks, and one data entry per file.
    struct Loc {
        start: u64,
        sub: u64,
        size: u64,
        csize: u64,
        sha: [u8; 32],
    }
    let mut setup1 = Vec::new();
    let mut locs = Vec::new();
    let groups: Vec<Vec<usize>> = if spec.solid {
        vec![(0..spec.files.len()).collect()]
    } else {
        (0..spec.files.len()).map(|i| vec![i]).collect()
    };
    for g in groups {
        let plain: Vec<u8> = g
            .iter()
            .flat_map(|&i| spec.files[i].1.iter().copied())
            .collect();
        let packed = match spec.comp {
            Comp::Stored => plain.clone(),
            Comp::Zlib => {
                let mut e =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(&plain).expect("zlib");
                e.finish().expect("zlib")
            }
            Comp::Lzma1 => lzma1(&plain),
            Comp::Lzma2 => lzma2(&plain),
        };
        let packed = if encrypted { scramble(&packed) } else { packed };
        let start = setup1.len() as u64;
        setup1.extend_from_slice(b"zlb\x1a");
        setup1.extend_from_slice(&packed);
        let mut sub = 0u64;
        for &i in &g {
            let d = &spec.files[i].1;
            locs.push(Loc {
                start,
                sub,
                size: d.len() as u64,
                csize: packed.len() as u64,
                sha: sha2::Sha256::digest(d).into(),
            });
            sub += d.len() as u64;
        }
    }

    // ---- setup-0, first block: header and entries.
    let mut w = W {
        out: Vec::new(),
        ver,
    };
    let strings = if w.ge(6, 7, 0) {
        39
    } else if w.ge(6, 5, 0) {
        34
    } else {
        33
    };
    for i in 0..strings {
        match i {
            0 => w.s("Spec App"),
            1 => w.s("Spec App 1.0"),
            2 => w.s("SpecAppId"),
            4 => w.s("installsift tests"),
            9 => w.s("1.0"),
            10 => w.s("{autopf}\\Spec App"),
            // SevenZipLibraryName.
            33 if spec.seven_zip => w.s("is7z.dll"),
            _ => w.s(""),
        }
    }
    for _ in 0..4 {
        w.a(b"");
    }
    let n = spec.files.len() as u32;
    // Languages, messages, permissions, types, components, tasks, dirs.
    for c in [1u32, 1, 0, 1, 1, 1, 1] {
        w.u32(c);
    }
    if w.ge(6, 5, 0) {
        w.u32(spec.issig_keys);
    }
    // Files (+ the uninstaller's entry), data entries, icons, ini,
    // registry, install/uninstall delete, run, uninstall run.
    for c in [n + 1, n, 1, 1, 1, 1, 1, 1, 1] {
        w.u32(c);
    }
    w.versions();
    if w.ge(6, 6, 0) {
        w.u32(100);
        w.u32(100);
        w.u8(0); // WizardDarkStyle
    } else {
        w.u8(1); // WizardStyle modern
        w.u32(100);
        w.u32(100);
    }
    w.u8(0); // WizardImageAlphaFormat
    if w.ge(6, 7, 0) {
        w.zeros(12 + 12);
        w.u8(255);
        w.u8(255);
        w.u8(0);
    } else {
        if w.ge(6, 5, 2) {
            w.zeros(8);
        }
        if w.ge(6, 6, 0) {
            w.zeros(8);
        }
        if ver >= v(6, 6, 1) {
            w.u8(255);
        }
    }
    if !w.ge(6, 5, 0) {
        // PasswordTest, KDF salt, iterations, base nonce (6.4).
        w.zeros(4 + 16);
        w.u32(220_000);
        w.zeros(24);
    }
    w.u64(0); // ExtraDiskSpaceRequired
    w.u32(1); // SlicesPerDisk
    w.u8(0); // UninstallLogMode
    w.u8(0); // DirExistsWarning
    w.u8(2); // PrivilegesRequired: admin
    w.set(2, &[]);
    w.u8(2); // ShowLanguageDialog
    w.u8(0); // LanguageDetectionMethod
    w.u8(match spec.comp {
        Comp::Stored => 0,
        Comp::Zlib => 1,
        Comp::Lzma1 => 3,
        Comp::Lzma2 => 4,
    });
    w.u8(0);
    w.u8(0);
    w.u64(4096); // UninstallDisplaySize
    let mut opts = vec![1]; // CreateAppDir
    if encrypted {
        opts.push(6); // Password
        if !w.ge(6, 5, 0) {
            opts.push(31); // EncryptionUsed
        }
    }
    let (members, last) = if w.ge(6, 7, 0) {
        (57, 36)
    } else if w.ge(6, 6, 0) {
        (46, 41)
    } else if w.ge(6, 5, 0) {
        (43, 42)
    } else {
        (44, 43)
    };
    opts.push(last); // UninstallLogging
    w.set(members, &opts);

    // Language.
    if w.ge(6, 6, 0) {
        for t in ["english", "English", "Segoe UI", "Segoe UI"] {
            w.s(t);
        }
        for _ in 0..4 {
            w.a(b"");
        }
        w.u16(0x0409);
        w.u32(9);
        w.u32(96);
        w.u32(96);
        w.u32(14);
        w.u8(0);
    } else {
        for t in [
            "english", "English", "Segoe UI", "Tahoma", "Segoe UI", "Arial",
        ] {
            w.s(t);
        }
        for _ in 0..4 {
            w.a(b"");
        }
        w.u32(0x0409);
        for x in [9u32, 29, 14, 8] {
            w.u32(x);
        }
        w.u8(0);
    }
    // Custom message.
    w.s("NameAndVersion");
    w.s("%1 version %2");
    w.u32(u32::MAX);
    // Type.
    for t in ["full", "Full installation", "", ""] {
        w.s(t);
    }
    w.versions();
    w.set(1, &[]);
    w.u8(1);
    w.u64(0);
    // Component.
    for t in ["main", "Main files", "full", "", ""] {
        w.s(t);
    }
    w.u64(0);
    if w.ge(6, 7, 0) {
        w.u8(0);
    } else {
        w.u32(0);
    }
    w.u8(1);
    w.versions();
    w.set(5, &[0]);
    w.u64(0);
    // Task.
    for t in [
        "desktopicon",
        "Desktop icon",
        "Additional icons:",
        "",
        "",
        "",
    ] {
        w.s(t);
    }
    if w.ge(6, 7, 0) {
        w.u8(0);
    } else {
        w.u32(0);
    }
    w.u8(1);
    w.versions();
    w.set(5, &[]);
    // Dir.
    w.s("{app}\\data");
    w.condition();
    w.u32(0);
    w.versions();
    w.u16(u16::MAX);
    w.set(5, &[]);
    // ISSig keys.
    for k in 0..spec.issig_keys {
        w.s(&format!("{k:064x}"));
        w.s(&format!("{:064x}", k + 1));
        w.s(&format!("key{k}"));
    }
    // Files: the user files, then the uninstaller's entry.
    for i in 0..=spec.files.len() {
        let user = i < spec.files.len();
        let dest = if user {
            format!("{{app}}\\{}", spec.files[i].0)
        } else {
            "{uninstallexe}".to_owned()
        };
        w.s(if user { "payload" } else { "" });
        w.s(&dest);
        w.s("");
        w.s("");
        w.condition();
        if w.ge(6, 5, 0) {
            for _ in 0..5 {
                w.s("");
            }
            w.a(b"");
            w.zeros(32);
            w.u8(0);
        }
        w.versions();
        w.u32(if user { i as u32 } else { u32::MAX });
        w.u32(0);
        w.u64(0);
        w.u16(u16::MAX);
        let members = if w.ge(6, 7, 0) {
            57
        } else if w.ge(6, 5, 0) {
            34
        } else {
            32
        };
        // IgnoreVersion, CreateAllSubDirs.
        w.set(members, &[17, 25]);
        w.u8(if user { 0 } else { 1 });
    }
    // Icon.
    for t in ["{group}\\Spec App", "{app}\\payload", "", "", "", ""] {
        w.s(t);
    }
    w.condition();
    w.s("");
    w.zeros(16);
    w.versions();
    w.u32(0);
    w.u32(1);
    w.u8(0);
    w.u16(0);
    w.set(6, &[]);
    // Ini.
    for t in ["{app}\\spec.ini", "Main", "Key", "Value"] {
        w.s(t);
    }
    w.condition();
    w.versions();
    w.set(5, &[]);
    // Registry.
    for t in ["Software\\Spec", "Path", "{app}"] {
        w.s(t);
    }
    w.condition();
    w.versions();
    w.u32(0x8000_0002);
    w.u16(u16::MAX);
    w.u8(1);
    w.set(12, &[3]);
    // Install delete, uninstall delete.
    for _ in 0..2 {
        w.s("{app}\\old.txt");
        w.condition();
        w.versions();
        w.u8(0);
    }
    // Run, uninstall run.
    for _ in 0..2 {
        for t in ["{app}\\payload", "/x", "", "", "", "", ""] {
            w.s(t);
        }
        w.condition();
        w.versions();
        w.u32(1);
        w.u8(0);
        w.set(12, &[]);
    }
    // Wizard images, small images (and their dark / back variants).
    let image = |w: &mut W, tag: u8| {
        w.u32(1);
        w.a(&[b'B', b'M', tag, 0, 0, 0]);
    };
    image(&mut w, 1);
    image(&mut w, 2);
    if w.ge(6, 7, 0) {
        w.u32(0); // back images
        w.u32(u32::MAX); // dark = light
        w.u32(u32::MAX);
        w.u32(0);
    } else if ver >= v(6, 6, 1) {
        w.u32(u32::MAX);
        w.u32(u32::MAX);
    } else if w.ge(6, 6, 0) {
        w.u32(0);
        w.u32(0);
    }
    if spec.comp == Comp::Zlib {
        w.a(b"MZ isunzlib.dll stand-in");
    }
    if spec.seven_zip {
        w.a(b"MZ is7z.dll stand-in");
    }
    let first = w.out;

    // ---- second block: the data entries.
    let mut w = W {
        out: Vec::new(),
        ver,
    };
    for l in &locs {
        w.u32(0);
        w.u32(0);
        if w.ge(6, 5, 2) {
            w.u64(l.start);
        } else {
            w.u32(l.start as u32);
        }
        w.u64(l.sub);
        w.u64(l.size);
        w.u64(l.csize);
        w.out.extend_from_slice(&l.sha);
        w.u64(0x01DA_0000_0000_0000); // a FILETIME
        w.u64(0);
        let compressed = spec.comp != Comp::Stored;
        if w.ge(6, 4, 3) {
            // VersionInfoValid, TimeStampInUTC, CallInstructionOptimized,
            // ChunkEncrypted, ChunkCompressed.
            let mut bits = vec![1];
            if encrypted {
                bits.push(3);
            }
            if compressed {
                bits.push(4);
            }
            w.set(5, &bits);
        } else {
            // … TimeStampInUTC 2, ChunkEncrypted 6, ChunkCompressed 7;
            // then the Sign byte.
            let mut bits = vec![2];
            if encrypted {
                bits.push(6);
            }
            if compressed {
                bits.push(7);
            }
            w.set(9, &bits);
            w.u8(0);
        }
    }
    let second = w.out;

    let mut out = setup1;
    let mut id = format!("Inno Setup Setup Data ({})", spec.id).into_bytes();
    id.resize(64, 0);
    out.extend_from_slice(&id);
    if ver >= v(6, 5, 0) {
        let mut eh = vec![spec.encrypt];
        eh.extend((0..16u8).map(|i| i.wrapping_mul(37)));
        eh.extend_from_slice(&220_000u32.to_le_bytes());
        eh.extend((0..24u8).map(|i| i.wrapping_mul(11)));
        eh.extend_from_slice(&0x1234_5678u32.to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&eh).to_le_bytes());
        out.extend_from_slice(&eh);
    }
    let (first, second) = if spec.encrypt == 2 {
        (scramble(&first), scramble(&second))
    } else {
        (first, second)
    };
    out.extend_from_slice(&block(&first, ver));
    out.extend_from_slice(&block(&second, ver));
    out
}

/// The test setups: every 6.4.2+ ID, each compression, solid and not,
/// encrypted files and `Encryption=full`.
pub(crate) fn specs() -> Vec<(&'static str, Spec)> {
    let files = || {
        vec![
            ("readme.txt".to_owned(), b"Spec App readme\r\n".repeat(40)),
            (
                "bin\\tool.dat".to_owned(),
                (0..5000u32).flat_map(|i| (i * 7).to_le_bytes()).collect(),
            ),
            ("empty.txt".to_owned(), Vec::new()),
        ]
    };
    let s = |id, version, comp, solid, encrypt, issig_keys, seven_zip| Spec {
        id,
        version,
        comp,
        solid,
        encrypt,
        issig_keys,
        seven_zip,
        files: files(),
    };
    vec![
        (
            "inno642_zlib",
            s("6.4.2", v(6, 4, 2), Comp::Zlib, false, 0, 0, false),
        ),
        (
            "inno643_lzma2_solid",
            s("6.4.3", v(6, 4, 3), Comp::Lzma2, true, 0, 0, false),
        ),
        (
            "inno650_lzma2_solid",
            s("6.5.0", v(6, 5, 0), Comp::Lzma2, true, 0, 2, false),
        ),
        (
            "inno650_zlib_7zdll",
            s("6.5.0", v(6, 5, 0), Comp::Zlib, false, 0, 0, true),
        ),
        (
            "inno652_lzma_encrypted",
            s("6.5.2", v(6, 5, 2), Comp::Lzma1, false, 1, 0, false),
        ),
        (
            "inno652_stored",
            s("6.5.2", v(6, 5, 2), Comp::Stored, false, 0, 1, false),
        ),
        (
            "inno660_lzma2",
            s("6.6.0", v(6, 6, 0), Comp::Lzma2, false, 0, 0, false),
        ),
        (
            "inno661_zlib_solid",
            s("6.6.1", v(6, 6, 1), Comp::Zlib, true, 0, 0, false),
        ),
        (
            "inno670_lzma2_solid",
            s("6.7.0", v(6, 7, 0), Comp::Lzma2, true, 0, 1, false),
        ),
        (
            "inno670_stored",
            s("6.7.0", v(6, 7, 0), Comp::Stored, false, 0, 0, false),
        ),
        (
            "inno670_full_encryption",
            s("6.7.0", v(6, 7, 0), Comp::Lzma2, false, 2, 0, false),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed, Listing};
    use crate::inno::{open, InnoInfo};
    use crate::Metadata;
    use installsift_model::{error::Error, Check, Limits};

    fn listing(data: &[u8]) -> Listing {
        list(open, data, &Limits::default(), usize::MAX)
    }

    fn info(l: &Listing) -> &InnoInfo {
        match &l.parsed.metadata {
            Some(Metadata::Inno(i)) => i,
            other => panic!("inno metadata: {other:?}"),
        }
    }

    /// The bytes an entry listed.
    fn bytes(data: &[u8], l: &Listing, e: &Listed) -> Vec<u8> {
        match e {
            Listed::Decoded(Ok(b)) => b.clone(),
            Listed::Slice { at, len } => data[*at..*at + *len].to_vec(),
            Listed::Copy(i) => bytes(data, l, &l.entries[*i].2),
            other => panic!("{other:?}"),
        }
    }

    /// Every layout written from issrc's records, listed without the
    /// engine: names, bytes and SHA-256 checks of every file; encrypted
    /// files listed as encrypted with the encryption header's facts.
    #[test]
    fn each_layout_lists_and_extracts() {
        for (name, spec) in specs() {
            if spec.encrypt == 2 {
                continue;
            }
            let data = build(&spec);
            let l = listing(&data);
            assert!(l.notes.errors.is_empty(), "{name}: {:?}", l.notes.errors);
            assert_eq!(l.notes.verified, [Check::InnoBlockCrc32], "{name}");
            let i = info(&l);
            assert_eq!(
                i.setup_data_id,
                format!("Inno Setup Setup Data ({})", spec.id)
            );
            assert_eq!(i.app_name, "Spec App", "{name}");
            assert_eq!(i.app_version, "1.0", "{name}");
            assert_eq!(i.app_publisher, "installsift tests", "{name}");
            assert_eq!(i.privileges_required.as_deref(), Some("admin"), "{name}");
            assert_eq!(i.files, 3, "{name}");
            assert_eq!(i.data_entries, 3, "{name}");
            assert_eq!(i.chunks, if spec.solid { 1 } else { 3 }, "{name}");
            assert_eq!(i.encrypted, spec.encrypt == 1, "{name}");
            assert_eq!(i.password, spec.encrypt == 1, "{name}");
            if spec.version >= v(6, 5, 0) {
                let usage = if spec.encrypt == 1 { "files" } else { "none" };
                assert_eq!(i.encryption_use.as_deref(), Some(usage), "{name}");
                assert_eq!(
                    i.kdf_iterations,
                    (spec.encrypt == 1).then_some(220_000),
                    "{name}"
                );
                assert_eq!(i.issig_keys, Some(u64::from(spec.issig_keys)), "{name}");
            } else {
                assert_eq!(i.encryption_use, None, "{name}");
            }
            assert_eq!(l.entries.len(), 3, "{name}");
            for (want_name, want) in &spec.files {
                let (_, e, listed) = l
                    .entries
                    .iter()
                    .find(|e| e.0 == format!("{{app}}\\{want_name}"))
                    .unwrap_or_else(|| panic!("{name}: {want_name}"));
                if spec.encrypt == 1 {
                    assert!(e.encrypted, "{name}: {want_name}");
                    match listed {
                        Listed::Missing { size, error } => {
                            assert_eq!(*size, want.len() as u64);
                            assert!(matches!(error, Error::Encrypted { .. }), "{error:?}");
                        }
                        other => panic!("{name}: {want_name}: {other:?}"),
                    }
                    continue;
                }
                assert_eq!(&bytes(&data, &l, listed), want, "{name}: {want_name}");
                assert_eq!(e.verified_by, [Check::InnoSha256], "{name}: {want_name}");
                assert!(e.errors.is_empty(), "{name}: {want_name}: {:?}", e.errors);
            }
        }
    }

    /// `Encryption=full`: the records are encrypted; the block CRCs are
    /// checked, the encryption header's facts reported, an `encrypted`
    /// error says why nothing is listed (not damage).
    #[test]
    fn full_encryption_is_said() {
        let (_, spec) = specs()
            .into_iter()
            .find(|(_, s)| s.encrypt == 2)
            .expect("spec");
        let l = listing(&build(&spec));
        assert!(l.entries.is_empty());
        assert_eq!(l.notes.verified, [Check::InnoBlockCrc32]);
        assert_eq!(l.notes.errors.len(), 1, "{:?}", l.notes.errors);
        assert!(matches!(l.notes.errors[0], Error::Encrypted { .. }));
        let i = info(&l);
        assert_eq!(i.encryption_use.as_deref(), Some("full"));
        assert!(i.encrypted && i.password);
    }

    /// The position of setup-0 (its ID) in a built setup.
    fn setup0(data: &[u8]) -> usize {
        memchr::memmem::rfind(data, b"Inno Setup Setup Data (").expect("id")
    }

    #[test]
    fn damaged_headers_are_checksum_errors() {
        let (_, spec) = specs()
            .into_iter()
            .find(|(n, _)| *n == "inno650_lzma2_solid")
            .expect("spec");
        let good = build(&spec);
        let at = setup0(&good);
        // A byte of the encryption header (its KDF salt).
        let mut d = good.clone();
        d[at + 64 + 4 + 3] ^= 1;
        let l = listing(&d);
        assert!(l.entries.is_empty());
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| matches!(e, Error::Checksum { .. })),
            "{:?}",
            l.notes.errors
        );
        // A byte of the first block's data.
        let mut d = good.clone();
        let b = at + 64 + 4 + 49 + 9 + 4 + 10;
        d[b] ^= 0x40;
        let l = listing(&d);
        assert!(l.entries.is_empty());
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| matches!(e, Error::Checksum { .. })),
            "{:?}",
            l.notes.errors
        );
        // A file chunk: the file's SHA-256 fails, it keeps its bytes.
        let (_, spec) = specs()
            .into_iter()
            .find(|(n, _)| *n == "inno652_stored")
            .expect("spec");
        let mut d = build(&spec);
        d[4 + 5] ^= 1;
        let l = listing(&d);
        let (_, e, _) = &l
            .entries
            .iter()
            .find(|e| e.0 == "{app}\\readme.txt")
            .expect("readme");
        assert!(
            e.errors.iter().any(|e| matches!(e, Error::Checksum { .. })),
            "{:?}",
            e.errors
        );
    }

    /// Records cut short (the first block ends inside the file entries) and
    /// records read with the neighbouring layout: errors, never a listing.
    #[test]
    fn truncated_records_and_wrong_layouts_are_errors() {
        for (name, spec) in specs() {
            if spec.encrypt == 2 {
                continue;
            }
            let data = build(&spec);
            let at = setup0(&data);
            let hdr = if spec.version >= v(6, 5, 0) {
                64 + 4 + 49
            } else {
                64
            };
            // Re-block the first block's records, cut to half.
            let lim = Limits::default();
            let b1 = crate::inno::stream::read_block(&data, at + hdr, spec.version, &lim)
                .expect("block");
            let mut cut = data[..at + hdr].to_vec();
            cut.extend_from_slice(&block(&b1.data[..b1.data.len() / 2], spec.version));
            cut.extend_from_slice(&data[b1.end..]);
            let l = listing(&cut);
            assert!(l.entries.is_empty(), "{name}");
            assert!(
                l.notes
                    .errors
                    .iter()
                    .any(|e| matches!(e, Error::Truncated { .. })),
                "{name}: {:?}",
                l.notes.errors
            );
            // The same bytes under each other known ID of 6.4.2+: the
            // layout does not fit (wrong lengths, bytes left over); never
            // a clean listing.
            for other in [
                "6.4.2", "6.4.3", "6.5.0", "6.5.2", "6.6.0", "6.6.1", "6.7.0",
            ] {
                if other == spec.id {
                    continue;
                }
                let o: Version = crate::inno::stream::parse_id(
                    format!("Inno Setup Setup Data ({other})").as_bytes(),
                )
                .expect("id")
                .version;
                // Moving across 6.5 or 6.7 changes the framing (encryption
                // header, block header size): those are other tests.
                if (o >= v(6, 5, 0)) != (spec.version >= v(6, 5, 0))
                    || (o >= v(6, 7, 0)) != (spec.version >= v(6, 7, 0))
                {
                    continue;
                }
                let mut d = data.clone();
                let id = format!("Inno Setup Setup Data ({other})");
                d[at..at + 64].fill(0);
                d[at..at + id.len()].copy_from_slice(id.as_bytes());
                let l = listing(&d);
                let clean =
                    l.notes.errors.is_empty() && l.entries.iter().all(|e| e.1.errors.is_empty());
                assert!(!clean, "{name} read as {other}: {:?}", l.entries);
            }
        }
    }

    /// The committed test files are this writer's output (rewritten with
    /// `UPDATE_CORPUS=1`).
    #[test]
    fn committed_spec_files_are_the_writers() {
        let dir = crate::test_support::corpus().join("inno/spec");
        for (name, spec) in specs() {
            let data = build(&spec);
            let p = dir.join(format!("{name}.bin"));
            if std::env::var_os("UPDATE_CORPUS").is_some() {
                std::fs::create_dir_all(&dir).expect("dir");
                std::fs::write(&p, &data).expect("write");
            }
            let have = std::fs::read(&p)
                .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_CORPUS=1 writes it)", p.display()));
            assert!(
                have == data,
                "{} differs from the writer's output",
                p.display()
            );
        }
    }
}
