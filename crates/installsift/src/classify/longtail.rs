//! Probes for the long tail of installer builders still in circulation, each
//! after a structural fact Detect It Easy's database states (`db/PE/
//! installer_*.sg`, `db/Binary/data_overlays.6.sg`; summarised with line
//! numbers in `/work/samples/DIE_FACTS.md`) or RetDec's installer YARA rules
//! (`support/yara_patterns/tools/pe/x86/installers.yara`). DIE gates most of
//! its overlay tests with an entry-point byte pattern; installsift matches no
//! entry-point code, so where DIE's overlay test alone is short (three or four
//! bytes), a second structure of the same builder must agree.

use super::probe::{overlay, overlay_has, resource_any_type, section_bytes};
use super::{Hit, Subject};
use crate::formats::le_u32;
use memchr::memmem;

/// Wise Installation System: a dword at overlay + 77 equal to the size of
/// the whole file (DIE `installer_Wise_Installer.1.sg` lines 8–10), in an
/// overlay larger than 80 bytes.
pub(crate) fn wise_overlay_size(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    if b.len() <= 80 {
        return None;
    }
    let v = le_u32(b, 77)?;
    (u64::from(v) == s.data.len() as u64).then(|| {
        Hit::at(
            format!("dword at overlay +77 is the file size ({v}): Wise's installer header"),
            Some(at as u64 + 77),
        )
    })
}

/// Gentee Installer's loader header (RetDec `gentee_installer`): the dword
/// at file offset 0x3F0 is the overlay's offset, the dwords at 0x3F4 and
/// 0x3F8 add up to no more than the overlay, and the overlay starts with the
/// dword at 0x3F8.
pub(crate) fn gentee_header(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    let off = le_u32(s.data, 0x3F0)?;
    let a = le_u32(s.data, 0x3F4)?;
    let c = le_u32(s.data, 0x3F8)?;
    let fits = u64::from(a) + u64::from(c) <= b.len() as u64;
    (off as usize == at && fits && c != 0 && le_u32(b, 0)? == c).then(|| {
        Hit::at(
            format!(
                "Gentee loader header at 0x3F0: overlay offset {off:#x}, sizes {a} and {c}, and the overlay starts with {c}"
            ),
            Some(0x3F0),
        )
    })
}

/// Gentee: `GEA` in the first 0x80 bytes of the overlay (DIE line 8) or at
/// the start of the resource named `SETUP_TEMP` (line 10), with a second
/// Gentee structure: the section `.gentee` (DIE heuristic), `gentee` in the
/// first 0x80 bytes of `.data` (line 15) or that resource.
pub(crate) fn gentee_gea(s: &Subject<'_>) -> Option<Hit> {
    let temp = resource_any_type(s, "SETUP_TEMP").filter(|(_, b)| b.starts_with(b"GEA"));
    let in_overlay = overlay_has(s, 0x80, b"GEA");
    let section = s
        .pe()?
        .sections
        .iter()
        .any(|x| x.name.eq_ignore_ascii_case(".gentee"));
    let data = section_bytes(s, ".data")
        .and_then(|d| memmem::find(d.get(..d.len().min(0x80))?, b"gentee"))
        .is_some();
    match (temp, in_overlay) {
        (Some((r, _)), _) => Some(Hit::at(
            format!(
                "resource {} starts with `GEA` (Gentee's packed setup)",
                r.path
            ),
            Some(r.offset),
        )),
        (None, Some(h)) if section || data => Some(Hit::at(
            format!(
                "{}, and {}",
                h.detail,
                if section {
                    "a section `.gentee`"
                } else {
                    "`gentee` at the start of `.data`"
                }
            ),
            h.offset,
        )),
        _ => None,
    }
}

/// Smart Install Maker: the overlay starts `Smart Install Maker v` (DIE
/// lines 9–10); the version is the text that follows.
pub(crate) fn smart_install_maker(s: &Subject<'_>) -> Option<Hit> {
    let v = smart_install_maker_version(s)?;
    let (at, _) = overlay(s)?;
    Some(Hit::at(
        format!("overlay starts `Smart Install Maker v`, version `{v}`"),
        Some(at as u64),
    ))
}

/// The version after `Smart Install Maker v` at the overlay start (DIE
/// reads the C string at overlay + 0x17).
pub(crate) fn smart_install_maker_version(s: &Subject<'_>) -> Option<String> {
    let (_, b) = overlay(s)?;
    let rest = b.strip_prefix(b"Smart Install Maker v")?;
    let end = rest
        .iter()
        .take(32)
        .position(|&c| c == 0 || c == b'\r' || c == b'\n')
        .unwrap_or(rest.len().min(32));
    let v = String::from_utf8_lossy(rest.get(..end)?)
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned();
    Some(v)
}

/// Smart Install Maker's second overlay form (DIE line 12): five bytes,
/// `87 00 00 01`, four bytes, then LZMA properties `5d 00 00 80 00 00`.
pub(crate) fn smart_install_maker_lzma(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    (b.get(5..9)? == b"\x87\x00\x00\x01" && b.get(13..19)? == b"\x5d\x00\x00\x80\x00\x00").then(
        || {
            Hit::at(
                "overlay header `?? ?? ?? ?? ?? 87 00 00 01 ?? ?? ?? ?? 5d 00 00 80 00 00` (Smart Install Maker's LZMA archive)",
                Some(at as u64),
            )
        },
    )
}

/// Astrum InstallWizard: an overlay, and a resource of type 77 holding
/// `AstrumInstallWizard` in its first 0x140 bytes (DIE `installer_Astrum`
/// lines 8–11).
pub(crate) fn astrum(s: &Subject<'_>) -> Option<Hit> {
    overlay(s).filter(|(_, b)| !b.is_empty())?;
    let p = s.pe()?;
    p.resources
        .iter()
        .filter(|r| r.path.split('/').next() == Some("77"))
        .find_map(|r| {
            let a = usize::try_from(r.offset).ok()?;
            let n = usize::try_from(r.size).ok()?.min(0x140);
            let b = s.data.get(a..a.checked_add(n)?)?;
            memmem::find(b, b"AstrumInstallWizard").map(|i| {
                Hit::at(
                    format!("resource {} names `AstrumInstallWizard`", r.path),
                    Some(r.offset + i as u64),
                )
            })
        })
}

/// Clickteam Install Creator's second overlay form `?? 12 01 00 ?? ?? 00 00`
/// (DIE `installer_ClickTeam` line 11) is four fixed bytes: it counts only
/// in a UPX-packed stub (`UPX0`, `UPX1`), as Install Creator's is (RetDec
/// `install_creator`).
pub(crate) fn clickteam_header(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    if b.get(1..4)? != b"\x12\x01\x00" || b.get(6..8)? != b"\x00\x00" {
        return None;
    }
    let p = s.pe()?;
    let upx = ["UPX0", "UPX1"]
        .iter()
        .all(|n| p.sections.iter().any(|x| x.name == *n));
    upx.then(|| {
        Hit::at(
            "overlay header `?? 12 01 00 ?? ?? 00 00` behind a UPX-packed stub (Clickteam Install Creator)",
            Some(at as u64),
        )
    })
}

/// BitRock InstallBuilder: `.eh_frame\0` at overlay + 8 (DIE
/// `installer_BitRock_Installer` line 7: the section-name table of the
/// runtime it appends).
pub(crate) fn bitrock_overlay(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    (b.get(8..18)? == b".eh_frame\0").then(|| {
        Hit::at(
            "`.eh_frame` at overlay +8 (BitRock InstallBuilder's appended runtime)",
            Some(at as u64 + 8),
        )
    })
}

/// Advanced Installer: the UTF-16LE `[GeneralOptions]` section of its
/// configuration at overlay + 2, after a byte-order mark (DIE line 30).
pub(crate) fn advanced_installer_options(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    let want: Vec<u8> = "[GeneralOptions]"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    (b.get(2..2 + want.len())? == want.as_slice()).then(|| {
        Hit::at(
            "UTF-16 `[GeneralOptions]` at overlay +2 (Advanced Installer's configuration)",
            Some(at as u64 + 2),
        )
    })
}

/// Advanced Installer's footer (76 bytes: 0, the footer's own file offset,
/// file count, version, info offset, table pointer, file data start, a
/// 32-character hex string, a dword, `ADVINSTSFX\0`; Komac
/// `installers/advanced/footer.rs` after SabreTools' model) at the end of
/// the file, or just before the certificate table of a signed setup. DIE
/// looks for `ADVINSTSFX` in the last 0x50 bytes of the file only, which a
/// signature appended after the footer hides. Returns (footer offset, file
/// count).
pub(crate) fn advanced_installer_footer(s: &Subject<'_>) -> Option<(usize, u32)> {
    let mut ends = vec![s.data.len()];
    if let Some(c) = s.pe().and_then(|p| p.certificate_table) {
        ends.push(usize::try_from(c.offset).ok()?);
    }
    ends.into_iter().find_map(|end| {
        let from = end.checked_sub(0x50)?;
        let tail = s.data.get(from..end)?;
        let i = memmem::rfind(tail, b"ADVINSTSFX\0")?;
        let footer = (from + i).checked_sub(64)?;
        let own = le_u32(s.data, footer + 4)?;
        (own as usize == footer).then(|| (footer, le_u32(s.data, footer + 8).unwrap_or(0)))
    })
}

pub(crate) fn advanced_installer(s: &Subject<'_>) -> Option<Hit> {
    let (at, files) = advanced_installer_footer(s)?;
    Some(Hit::at(
        format!(
            "Advanced Installer footer at {at:#x} (`ADVINSTSFX`, its own offset recorded at +4), file count {files}"
        ),
        Some(at as u64),
    ))
}

/// Visual Studio's setup bootstrapper (`setup.exe` beside a Setup project's
/// MSI; RetDec `ms_setup_installer_8x`): a resource named `SETUPCFG` whose
/// UTF-16LE text starts `Begin Application` and names the files it installs
/// (`Name="Setup1.msi"`). Returns the resource and the first file named.
pub(crate) fn vs_bootstrapper(s: &Subject<'_>) -> Option<(u64, Option<String>)> {
    let (r, b) = resource_any_type(s, "SETUPCFG")?;
    let text: Vec<u16> = b
        .get(..b.len().min(64 << 10))?
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16_lossy(&text);
    if !text.starts_with("Begin Application") {
        return None;
    }
    let file = text.find("Begin File").and_then(|i| {
        let rest = text.get(i..)?;
        let a = rest.find("Name=\"")? + 6;
        let b = a + rest.get(a..)?.find('"')?;
        rest.get(a..b).map(|v| v.chars().take(256).collect())
    });
    Some((r.offset, file))
}

pub(crate) fn vs_bootstrapper_hit(s: &Subject<'_>) -> Option<Hit> {
    let (at, file) = vs_bootstrapper(s)?;
    Some(Hit::at(
        format!(
            "resource SETUPCFG (`Begin Application`): Visual Studio's setup bootstrapper, installing {}",
            file.map_or_else(|| "the packages it lists".to_owned(), |f| format!("`{f}` beside it"))
        ),
        Some(at),
    ))
}

/// Python distutils' `bdist_wininst` installer (CPython
/// `Lib/distutils/command/bdist_wininst.py` `create_exe`, read by
/// `PC/bdist_wininst/install.c`): the `wininst` stub, an optional bitmap,
/// the configuration text (`[metadata]` …, NUL-terminated), a 12-byte
/// header — tag `0x1234567A`/`0x1234567B`, the configuration's length, the
/// bitmap's length — and then the zip of the files. Found from the zip the
/// overlay carries: the header right before it, the configuration before
/// that. Returns (configuration offset, its text).
pub(crate) fn bdist_wininst(s: &Subject<'_>) -> Option<(usize, String)> {
    let (ov, _) = overlay(s)?;
    s.children.iter().find_map(|c| {
        if c.info.format != installsift_model::Format::Zip {
            return None;
        }
        let z = usize::try_from(c.info.entry.as_ref()?.offset?).ok()?;
        let h = z.checked_sub(12)?;
        let tag = le_u32(s.data, h)?;
        let cfg_len = usize::try_from(le_u32(s.data, h + 4)?).ok()?;
        if !matches!(tag, 0x1234_567A | 0x1234_567B) || cfg_len == 0 || cfg_len > 1 << 20 {
            return None;
        }
        let at = h.checked_sub(cfg_len)?;
        if at < ov {
            return None;
        }
        let cfg = s.data.get(at..h)?;
        cfg.starts_with(b"[metadata]").then(|| {
            let end = cfg.iter().position(|&b| b == 0).unwrap_or(cfg.len());
            (
                at,
                String::from_utf8_lossy(cfg.get(..end).unwrap_or(cfg)).into_owned(),
            )
        })
    })
}

pub(crate) fn bdist_wininst_hit(s: &Subject<'_>) -> Option<Hit> {
    let (at, cfg) = bdist_wininst(s)?;
    Some(Hit::at(
        format!(
            "Python distutils bdist_wininst: `[metadata]` configuration ({} bytes) and the header tag 0x1234567A/B before the zip of the files",
            cfg.len()
        ),
        Some(at as u64),
    ))
}

/// `key=value` of one line of a bdist_wininst configuration.
pub(crate) fn ini_value<'a>(cfg: &'a str, key: &str) -> Option<&'a str> {
    cfg.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// Setup Factory 7's runtime: version-info `Comments` `Created with Setup
/// Factory x` (RetDec `setup_factory_install_app_upx`); returns the version.
pub(crate) fn setup_factory_version(s: &Subject<'_>) -> Option<(u64, String)> {
    let needle: Vec<u8> = "Created with Setup Factory "
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let p = s.pe()?;
    p.resources
        .iter()
        .filter(|r| r.path.starts_with("VERSION/"))
        .find_map(|r| {
            let a = usize::try_from(r.offset).ok()?;
            let b = s
                .data
                .get(a..a.checked_add(usize::try_from(r.size).ok()?)?)?;
            let i = memmem::find(b, &needle)? + needle.len();
            let units: Vec<u16> = b
                .get(i..)?
                .chunks_exact(2)
                .take(16)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect();
            Some((r.offset, String::from_utf16_lossy(&units).trim().to_owned()))
        })
}

pub(crate) fn setup_factory_runtime(s: &Subject<'_>) -> Option<Hit> {
    let (at, v) = setup_factory_version(s)?;
    Some(Hit::at(
        format!("version info `Created with Setup Factory {v}` (Setup Factory runtime)"),
        Some(at),
    ))
}

/// InstallShield 3 (DIE `installer_InstallShield.1.sg` lines 8–11): the
/// overlay's first byte is the length of a record, and 12 bytes after it
/// starts an InstallShield 3 archive, magic `13 5d 65 8c`.
pub(crate) fn installshield3(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    let n = usize::from(*b.first()?);
    (b.get(n + 12..n + 16)? == b"\x13\x5d\x65\x8c").then(|| {
        Hit::at(
            format!(
                "overlay record of {n} bytes, then an InstallShield 3 archive (`13 5d 65 8c`) at overlay +{}",
                n + 12
            ),
            Some((at + n + 12) as u64),
        )
    })
}

/// InstallShield 2 (DIE line 20–25): a resource of numeric type 3000 that
/// starts `SZDD` (a compressed file of the setup).
pub(crate) fn installshield_szdd(s: &Subject<'_>) -> Option<Hit> {
    let p = s.pe()?;
    p.resources
        .iter()
        .filter(|r| r.path.split('/').next() == Some("3000"))
        .find_map(|r| {
            let a = usize::try_from(r.offset).ok()?;
            (s.data.get(a..a + 4)? == b"SZDD").then(|| {
                Hit::at(
                    format!("resource {} starts `SZDD` (InstallShield 2)", r.path),
                    Some(r.offset),
                )
            })
        })
}

/// Further builders Detect It Easy recognises by the start of the overlay
/// (`db/PE/<name>.1.sg`, each an overlay comparison behind an entry-point
/// gate): (builder, offset in the overlay, magic, what DIE's rule file is).
/// Only magics long enough to stand without DIE's entry-point gate are kept
/// (at least six fixed bytes, or a distinctive text); four-byte ones such as
/// `EPSF`, `CK16`, `1CNT`, `FILE`, `MPQ\x1a` and generic ones (a bare
/// `BZh91`, `PK\3\4`, a cabinet) are left out.
pub(crate) const OVERLAY_BUILDERS: &[(&str, usize, &[u8], &str)] = &[
    (
        "Aeco Systems installer",
        0,
        b"EWETAR DATA FILE!! VER 1.00 <<<>>>",
        "Aeco_installer",
    ),
    (
        "AutoPlay Media Studio",
        0,
        b"\x0b\x0b\xaf\xaf\x0b\x0b\xa4",
        "AutoPlay_Media_Studio",
    ),
    (
        "Bytessence Install Maker",
        0,
        b"$_BIM_CONFIG_START_$",
        "Bytessence_Install_Maker",
    ),
    (
        "Chaos Software installer",
        0,
        b"\x27\x63\x27\x63\x12\x26\x09\x75\x13\x18\x01\x78",
        "Chaos_Software_installer",
    ),
    (
        "Codegear Installer",
        8,
        b"GRCSETUPINFORMATION",
        "Codegear_Installer",
    ),
    (
        "Excelsior Installer",
        0,
        b"ExcelsiorII1",
        "Excelsior_Installer",
    ),
    ("FDM Installer", 0, b"###FDMDATA###", "FDM_Installer"),
    ("GPInstall", 8, b"SPIS\x1aLH5", "GPInstall"),
    (
        "I-D Media installer",
        0,
        b"XXataDfOnigeB",
        "I-D_Media_installer",
    ),
    (
        "Internet Download Manager installer",
        0,
        b"\x2a\x33\x00\x00\xda\x05\x00\x00\xfe\xc1\xcd\x66\x6e\xbc\xcf\x01",
        "IDM_Installer",
    ),
    ("INTENIUM install system", 0, b"stgc_hdr", "INTENIUM"),
    (
        "MiKTeX Installer",
        0,
        b"TARTARTARTARTART",
        "Miktex_Installer",
    ),
    (
        "Mioplanet installer",
        0,
        b"[(*|*)]MZ",
        "Mioplanet_installer",
    ),
    (
        "Multimedia Fusion Installer",
        0,
        b"wwwwI\x87\x47\x12",
        "Multimedia_Fusion_Installer",
    ),
    ("NOS Installer", 0, b"NOS_PO", "NOS_Installer"),
    ("NOS Installer", 4, b"NOS_PO", "NOS_Installer"),
    ("PCInstall", 0, b"[20/20]", "PCInstall"),
    ("PIMP Installer", 0, b"PIMPFILE\0", "PIMP"),
    (
        "STATICSUP",
        0,
        b"\x67\x15\x52\x34\xff\x4d\x36\x42",
        "STATICSUP",
    ),
    (
        "SwiftView installer",
        0,
        b"This is the end of the executable",
        "SwiftView_installer",
    ),
    (
        "VeraCrypt installer",
        0,
        b"VCINSTRT",
        "TrueCrypt-VeraCrypt_installer",
    ),
    (
        "TrueCrypt installer",
        2,
        b"CINSTRT",
        "TrueCrypt-VeraCrypt_installer",
    ),
    ("WinRAR installer", 0, b"***messages***", "WinRAR_Installer"),
];

/// The builder whose overlay magic (from [`OVERLAY_BUILDERS`]) this PE's
/// overlay carries; also Tarma InstallMate's sections `.tsustub` +
/// `.tsuarch` (DIE `Tarma_Installer.1.sg`).
pub(crate) fn overlay_builder(s: &Subject<'_>) -> Option<(&'static str, Hit)> {
    if let Some((at, b)) = overlay(s) {
        for &(name, off, magic, file) in OVERLAY_BUILDERS {
            if b.get(off..).is_some_and(|x| x.starts_with(magic)) {
                return Some((
                    name,
                    Hit::at(
                        format!(
                            "{name}: overlay +{off} is `{}` (DIE `{file}.1.sg`)",
                            String::from_utf8_lossy(magic).escape_debug()
                        ),
                        Some((at + off) as u64),
                    ),
                ));
            }
        }
    }
    let p = s.pe()?;
    let has = |n: &str| p.sections.iter().find(|x| x.name == n);
    if let (Some(stub), Some(_)) = (has(".tsustub"), has(".tsuarch")) {
        return Some((
            "Tarma InstallMate",
            Hit::at(
                "Tarma InstallMate: sections `.tsustub` and `.tsuarch` (DIE `Tarma_Installer.1.sg`)",
                Some(u64::from(stub.raw_offset)),
            ),
        ));
    }
    None
}

pub(crate) fn die_overlay_builder(s: &Subject<'_>) -> Option<Hit> {
    overlay_builder(s).map(|(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::pe::{PeInfo, Region, SectionInfo};
    use crate::formats::Metadata;
    use installsift_model::Format;

    fn subject<'a>(data: &'a [u8], meta: &'a Option<Metadata>) -> Subject<'a> {
        Subject {
            format: Format::Pe,
            name: "x.exe",
            data,
            metadata: meta.as_ref(),
            children: &[],
            not_opened: None,
            errors: &[],
        }
    }

    fn pe_with_overlay(at: usize, sections: Vec<SectionInfo>) -> Option<Metadata> {
        Some(Metadata::Pe(Box::new(PeInfo {
            kind: "exe".into(),
            sections,
            overlay: Some(Region {
                offset: at as u64,
                size: 0,
            }),
            ..PeInfo::default()
        })))
    }

    #[test]
    fn wise_size_dword_must_equal_the_file_size() {
        let mut d = vec![0u8; 0x400];
        let len = d.len() as u32 + 200;
        d.extend_from_slice(&[0u8; 200]);
        let at = 0x400;
        d[at + 77..at + 81].copy_from_slice(&len.to_le_bytes());
        let m = pe_with_overlay(at, vec![]);
        assert!(wise_overlay_size(&subject(&d, &m)).is_some());
        d[at + 77] ^= 1;
        assert!(wise_overlay_size(&subject(&d, &m)).is_none());
    }

    #[test]
    fn short_magics_need_their_second_structure() {
        let mut d = vec![0u8; 0x400];
        d.extend_from_slice(b"\x00\x12\x01\x00\x00\x00\x00\x00rest");
        let plain = pe_with_overlay(0x400, vec![]);
        assert!(clickteam_header(&subject(&d, &plain)).is_none());
        let sec = |n: &str| SectionInfo {
            name: n.into(),
            virtual_address: 0,
            virtual_size: 0,
            raw_offset: 0,
            raw_size: 0,
        };
        let upx = pe_with_overlay(0x400, vec![sec("UPX0"), sec("UPX1")]);
        assert!(clickteam_header(&subject(&d, &upx)).is_some());
        let mut g = vec![0u8; 0x400];
        g.extend_from_slice(b"..GEA....");
        assert!(gentee_gea(&subject(&g, &plain)).is_none());
        let gentee = pe_with_overlay(0x400, vec![sec(".gentee")]);
        assert!(gentee_gea(&subject(&g, &gentee)).is_some());
    }

    #[test]
    fn every_overlay_builder_is_found_at_its_offset_and_only_there() {
        for &(name, off, magic, _) in OVERLAY_BUILDERS {
            let mut d = vec![0u8; 0x400];
            d.extend(std::iter::repeat_n(0x20u8, off));
            d.extend_from_slice(magic);
            d.extend_from_slice(b"payload follows");
            let m = pe_with_overlay(0x400, vec![]);
            let (got, hit) = overlay_builder(&subject(&d, &m)).expect(name);
            // Two rows may share a builder name (NOS at 0 and at 4).
            assert_eq!(got, name);
            assert_eq!(hit.offset, Some((0x400 + off) as u64), "{name}");
            // One byte later it is not the builder's header any more.
            let mut moved = vec![0u8; 0x400];
            moved.push(b'#');
            moved.extend_from_slice(&d[0x400..]);
            let r = overlay_builder(&subject(&moved, &m));
            assert!(
                r.is_none_or(|(n, _)| n != name || off == 0 && name == "NOS Installer"),
                "{name}"
            );
        }
    }

    #[test]
    fn advanced_installer_footer_before_a_signature_and_at_the_end() {
        let footer = |at: u32| {
            let mut f = vec![0u8; 4];
            f.extend_from_slice(&at.to_le_bytes());
            f.extend_from_slice(&3u32.to_le_bytes());
            f.resize(64, b'a');
            f.extend_from_slice(b"ADVINSTSFX\0\0");
            f
        };
        let mut d = vec![0u8; 0x400];
        d.extend(footer(0x400));
        let m = pe_with_overlay(0x400, vec![]);
        assert_eq!(
            advanced_installer_footer(&subject(&d, &m)),
            Some((0x400, 3))
        );
        // Its own offset wrong: not a footer.
        let mut bad = d.clone();
        bad[0x404] ^= 1;
        assert_eq!(advanced_installer_footer(&subject(&bad, &m)), None);
        // A certificate table after it.
        let cert = d.len();
        d.extend_from_slice(&[0x55; 600]);
        let signed = Some(Metadata::Pe(Box::new(PeInfo {
            kind: "exe".into(),
            overlay: Some(Region {
                offset: 0x400,
                size: 0,
            }),
            certificate_table: Some(Region {
                offset: cert as u64,
                size: 600,
            }),
            ..PeInfo::default()
        })));
        assert_eq!(
            advanced_installer_footer(&subject(&d, &signed)),
            Some((0x400, 3))
        );
    }

    #[test]
    fn installshield3_archive_after_the_length_prefixed_record() {
        let mut d = vec![0u8; 0x400];
        // n = 5: the magic at overlay + 5 + 12.
        d.push(5);
        d.extend_from_slice(b"SETUP");
        d.extend_from_slice(&[0u8; 11]);
        d.extend_from_slice(b"\x13\x5d\x65\x8crest");
        let m = pe_with_overlay(0x400, vec![]);
        assert!(installshield3(&subject(&d, &m)).is_some());
        d[0x400] = 6;
        assert!(installshield3(&subject(&d, &m)).is_none());
    }

    #[test]
    fn ini_values() {
        let cfg =
            "[metadata]\nname=demo\nversion=1.0\n[Setup]\nbuild_info=Built x with distutils-3.7.16";
        assert_eq!(ini_value(cfg, "name"), Some("demo"));
        assert_eq!(
            ini_value(cfg, "build_info"),
            Some("Built x with distutils-3.7.16")
        );
        assert_eq!(ini_value(cfg, "nope"), None);
    }

    #[test]
    fn smart_install_maker_version_after_the_marker() {
        let mut d = vec![0u8; 0x400];
        d.extend_from_slice(b"Smart Install Maker v. 5.04\0more");
        let m = pe_with_overlay(0x400, vec![]);
        assert_eq!(
            smart_install_maker_version(&subject(&d, &m)).as_deref(),
            Some("5.04")
        );
    }
}
