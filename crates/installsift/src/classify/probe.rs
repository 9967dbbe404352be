//! The tests behind the rule table: bounded byte lookups over a node and its
//! metadata, and the few checks that need a little code (loader tables, stub
//! headers, children).

use super::rules::VersionKey;
use super::{Hit, Subject};
use crate::formats::pe::{PeInfo, ResourceInfo};
use crate::report::{EntryKind, Family, Format, Node, Verdict};
use memchr::memmem;

/// Bytes of a file searched for image-wide markers (strings of a stub).
pub(crate) const IMAGE_SEARCH: usize = 16 << 20;

/// The PE overlay: its file offset and bytes (certificate table included).
pub(crate) fn overlay<'a>(s: &Subject<'a>) -> Option<(usize, &'a [u8])> {
    let o = s.pe()?.overlay?;
    let at = usize::try_from(o.offset).ok()?;
    Some((at, s.data.get(at..)?))
}

/// Overlay bytes other than zeros exist.
fn has_overlay_payload(s: &Subject<'_>) -> bool {
    overlay(s).is_some_and(|(_, b)| b.iter().take(1 << 16).any(|&x| x != 0))
}

/// Any child placed in the overlay, a resource or a carved region.
fn payload_children<'a>(s: &Subject<'a>) -> impl Iterator<Item = (&'a Node, &'static str)> {
    s.children.iter().filter_map(|c| {
        let place = match c.info.entry.as_ref()?.kind {
            EntryKind::Overlay => "overlay",
            EntryKind::Resource => "resource",
            EntryKind::Carved => "carved region",
            _ => return None,
        };
        Some((c, place))
    })
}

fn child_name(c: &Node) -> &str {
    c.info.path.last().map(String::as_str).unwrap_or_default()
}

fn child_offset(c: &Node) -> Option<u64> {
    c.info.entry.as_ref().and_then(|e| e.offset)
}

pub(crate) fn overlay_at(s: &Subject<'_>, off: usize, magic: &[u8]) -> Option<Hit> {
    let (at, bytes) = overlay(s)?;
    bytes.get(off..)?.starts_with(magic).then(|| {
        Hit::at(
            format!("overlay starts with `{}`", show(magic)),
            Some((at + off) as u64),
        )
    })
}

pub(crate) fn overlay_has(s: &Subject<'_>, window: usize, needle: &[u8]) -> Option<Hit> {
    let (at, bytes) = overlay(s)?;
    let hay = bytes.get(..window.min(bytes.len()))?;
    let i = memmem::find(hay, needle)?;
    Some(Hit::at(
        format!(
            "`{}` at overlay +{i} (within its first {window} bytes)",
            show(needle)
        ),
        Some((at + i) as u64),
    ))
}

pub(crate) fn tail_has(s: &Subject<'_>, window: usize, needle: &[u8]) -> Option<Hit> {
    let start = s.data.len().saturating_sub(window);
    let hay = s.data.get(start..)?;
    // A forward search first (vectorised; the reverse one is not): a
    // needle that is absent, the common case, costs one fast pass.
    memmem::find(hay, needle)?;
    let i = memmem::rfind(hay, needle)?;
    Some(Hit::at(
        format!(
            "`{}` within the last {window} bytes of the file",
            show(needle)
        ),
        Some((start + i) as u64),
    ))
}

pub(crate) fn file_at(s: &Subject<'_>, off: usize, magic: &[u8]) -> Option<Hit> {
    s.data.get(off..)?.starts_with(magic).then(|| {
        Hit::at(
            format!("`{}` at file offset {off:#x}", show(magic)),
            Some(off as u64),
        )
    })
}

/// The image-wide markers (PyInstaller and distlib/setuptools launcher
/// strings, the .NET bundle marker) belong to programs: a DLL or driver is
/// not searched (each search is a pass over the whole image; over an MSI's
/// DLLs they were 5 % of the scan). A PE whose headers could not be read
/// is searched.
fn program_image<'a>(s: &Subject<'a>) -> Option<&'a [u8]> {
    if s.pe().is_some_and(|p| p.kind != "exe") {
        return None;
    }
    s.data.get(..IMAGE_SEARCH.min(s.data.len()))
}

pub(crate) fn image_has_any(s: &Subject<'_>, needles: &[&[u8]]) -> Option<Hit> {
    let hay = program_image(s)?;
    needles.iter().find_map(|n| {
        memmem::find(hay, n).map(|i| Hit::at(format!("string `{}`", show(n)), Some(i as u64)))
    })
}

pub(crate) fn section(s: &Subject<'_>, name: &str) -> Option<Hit> {
    let sec = s
        .pe()?
        .sections
        .iter()
        .find(|x| x.name.eq_ignore_ascii_case(name))?;
    Some(Hit::at(
        format!("section `{}`", sec.name),
        Some(u64::from(sec.raw_offset)),
    ))
}

/// Resources of this type (and name) with their bytes.
fn resources_named<'a>(
    s: &Subject<'a>,
    ty: &'a str,
    name: Option<&'a str>,
) -> impl Iterator<Item = (&'a ResourceInfo, &'a [u8])> + 'a {
    let data = s.data;
    s.pe()
        .map(|p| p.resources.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(move |r| {
            let mut parts = r.path.split('/');
            parts.next().is_some_and(|t| t.eq_ignore_ascii_case(ty))
                && name.is_none_or(|n| parts.next().is_some_and(|x| x.eq_ignore_ascii_case(n)))
        })
        .filter_map(move |r| {
            let a = usize::try_from(r.offset).ok()?;
            let b = a.checked_add(usize::try_from(r.size).ok()?)?;
            Some((r, data.get(a..b)?))
        })
}

/// The first resource named `name` (second path part), whatever its type.
pub(crate) fn resource_any_type<'a>(
    s: &Subject<'a>,
    name: &str,
) -> Option<(&'a ResourceInfo, &'a [u8])> {
    let data = s.data;
    s.pe()?
        .resources
        .iter()
        .filter(|r| {
            r.path
                .split('/')
                .nth(1)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .find_map(|r| {
            let a = usize::try_from(r.offset).ok()?;
            let b = a.checked_add(usize::try_from(r.size).ok()?)?;
            Some((r, data.get(a..b)?))
        })
}

/// The raw data of the first section named `name`.
pub(crate) fn section_bytes<'a>(s: &Subject<'a>, name: &str) -> Option<&'a [u8]> {
    let sec = s.pe()?.sections.iter().find(|x| x.name == name)?;
    let a = sec.raw_offset as usize;
    let b = a.checked_add(sec.raw_size as usize)?.min(s.data.len());
    s.data.get(a..b)
}

pub(crate) fn resource(s: &Subject<'_>, ty: &str, name: Option<&str>, magic: &[u8]) -> Option<Hit> {
    let (r, _) = resources_named(s, ty, name).find(|(_, b)| b.starts_with(magic))?;
    Some(Hit::at(format!("resource {}", r.path), Some(r.offset)))
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub(crate) fn version_text(s: &Subject<'_>, text: &str) -> Option<Hit> {
    let needle = utf16(text);
    resources_named(s, "VERSION", None).find_map(|(r, b)| {
        memmem::find(b, &needle).map(|i| {
            Hit::at(
                format!("version info of {} holds `{text}`", r.path),
                Some(r.offset + i as u64),
            )
        })
    })
}

fn version_value(p: &PeInfo, key: VersionKey) -> Option<&str> {
    let v = p.version_info.as_ref()?;
    let s = match key {
        VersionKey::ProductName => &v.product_name,
        VersionKey::CompanyName => &v.company_name,
        VersionKey::FileDescription => &v.file_description,
        VersionKey::OriginalFilename => &v.original_filename,
        VersionKey::InternalName => &v.internal_name,
    };
    s.as_deref().map(str::trim)
}

fn key_name(key: VersionKey) -> &'static str {
    match key {
        VersionKey::ProductName => "ProductName",
        VersionKey::CompanyName => "CompanyName",
        VersionKey::FileDescription => "FileDescription",
        VersionKey::OriginalFilename => "OriginalFilename",
        VersionKey::InternalName => "InternalName",
    }
}

fn starts_ci(hay: &str, prefix: &str) -> bool {
    hay.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

pub(crate) fn version_starts(s: &Subject<'_>, key: VersionKey, text: &str) -> Option<Hit> {
    let v = version_value(s.pe()?, key)?;
    starts_ci(v, text).then(|| Hit::at(format!("{} is `{v}`", key_name(key)), None))
}

/// The manifest the PE parser read as text: its offset and text.
fn manifest_text<'a>(s: &Subject<'a>) -> Option<(u64, &'a str)> {
    let m = s.pe()?.manifest.as_ref()?;
    Some((m.offset, m.text.as_str()))
}

pub(crate) fn manifest_has(s: &Subject<'_>, text: &str) -> Option<Hit> {
    let (at, m) = manifest_text(s)?;
    m.to_ascii_lowercase()
        .contains(&text.to_ascii_lowercase())
        .then(|| Hit::at(format!("manifest mentions `{text}`"), Some(at)))
}

// ------------------------------------------------------------------ children

pub(crate) fn carried_installer(s: &Subject<'_>) -> Option<Hit> {
    payload_children(s).find_map(|(c, place)| {
        let f = c
            .info
            .family
            .filter(|_| c.info.verdict == Verdict::Installer)?;
        Some(
            Hit::at(
                format!(
                    "{place} `{}` is a {f} installer ({})",
                    child_name(c),
                    c.info.format
                ),
                child_offset(c),
            )
            .family(f),
        )
    })
}

pub(crate) fn carried_archive(s: &Subject<'_>) -> Option<Hit> {
    payload_children(s).find_map(|(c, place)| {
        let f = match c.info.format {
            Format::SevenZ => Family::SevenZSfx,
            Format::Zip => Family::ZipSfx,
            Format::Cab => Family::CabSfx,
            Format::Rar => Family::RarSfx,
            Format::Arj => Family::ArjSfx,
            _ => return None,
        };
        Some(
            Hit::at(
                format!(
                    "{place} `{}` holds a {} archive",
                    child_name(c),
                    c.info.format
                ),
                child_offset(c),
            )
            .family(f),
        )
    })
}

/// A zip child in a `DATA` resource (Squirrel's `Setup.exe`) or the overlay.
fn squirrel_zip<'a>(s: &Subject<'a>) -> Option<&'a Node> {
    payload_children(s)
        .map(|(c, _)| c)
        .find(|c| c.info.format == Format::Zip && child_name(c).starts_with(".rsrc/DATA/"))
}

pub(crate) fn squirrel_nupkg(s: &Subject<'_>) -> Option<Hit> {
    let zip = squirrel_zip(s)?;
    let pkg = zip
        .children
        .iter()
        .find(|c| child_name(c).to_ascii_lowercase().ends_with(".nupkg"))?;
    Some(Hit::at(
        format!(
            "resource `{}` is a zip holding the package `{}`",
            child_name(zip),
            child_name(pkg)
        ),
        child_offset(zip),
    ))
}

/// Version info of Squirrel's `Setup.exe` (ProductName or FileDescription
/// naming Squirrel).
fn squirrel_version_info(s: &Subject<'_>) -> bool {
    s.pe().is_some_and(|p| {
        [VersionKey::ProductName, VersionKey::FileDescription]
            .into_iter()
            .filter_map(|k| version_value(p, k))
            .any(|v| v.to_ascii_lowercase().contains("squirrel"))
    })
}

/// Squirrel's `Setup.exe` whose `DATA` zip could not be read whole: a
/// package may be in what is lost, so it is the installer with the damage
/// reported on the zip, not the empty template.
pub(crate) fn squirrel_damaged(s: &Subject<'_>) -> Option<Hit> {
    let zip = squirrel_zip(s)?;
    (!zip.info.errors.is_empty() && squirrel_version_info(s)).then(|| {
        Hit::at(
            format!(
                "Squirrel Setup.exe: resource `{}` is a zip that could not be read whole ({})",
                child_name(zip),
                zip.info
                    .errors
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
            child_offset(zip),
        )
    })
}

pub(crate) fn squirrel_template(s: &Subject<'_>) -> Option<Hit> {
    let zip = squirrel_zip(s)?;
    if !zip.info.errors.is_empty()
        || zip
            .children
            .iter()
            .any(|c| child_name(c).to_ascii_lowercase().ends_with(".nupkg"))
    {
        return None;
    }
    squirrel_version_info(s).then(|| {
        Hit::at(
            format!(
                "Squirrel Setup.exe template: resource `{}` holds no .nupkg",
                child_name(zip)
            ),
            child_offset(zip),
        )
    })
}

/// The package's `AppxManifest.xml` / bundle manifest child.
pub(crate) fn appx_manifest_child<'a>(s: &Subject<'a>) -> Option<&'a Node> {
    s.children.iter().find(|c| {
        matches!(
            c.info.path.last().map(String::as_str),
            Some("AppxManifest.xml" | "AppxMetadata/AppxBundleManifest.xml")
        )
    })
}

pub(crate) fn msix_manifest(s: &Subject<'_>) -> Option<Hit> {
    let c = appx_manifest_child(s)?;
    Some(Hit::at(
        format!("package manifest `{}`", child_name(c)),
        child_offset(c),
    ))
}

// ------------------------------------------------------------------ engines

/// The Inno Setup loader marks the PE parser recorded (`Inno` at 0x30, the
/// `RCDATA/11111` resources and the table magic each starts with).
fn inno_marks<'a>(s: &Subject<'a>) -> Option<&'a crate::formats::inno::LoaderMarks> {
    s.pe()?.inno_loader.as_ref()
}

pub(crate) fn inno_loader_table(s: &Subject<'_>) -> Option<Hit> {
    inno_marks(s)?.resources.iter().find_map(|r| {
        let v = r.magic?;
        Some(Hit::at(
            format!(
                "loader table in resource {} (magic of Inno Setup {v} or later)",
                r.path
            ),
            Some(r.offset),
        ))
    })
}

pub(crate) fn inno_offset_0x30(s: &Subject<'_>) -> Option<Hit> {
    let table = inno_marks(s)?.offset_0x30?;
    (table < s.data.len() as u64).then(|| {
        Hit::at(
            format!("`Inno` at 0x30 with loader table offset {table:#x} (and its complement)"),
            Some(0x30),
        )
    })
}

/// The `.wixburn` section; with the Burn magic, the parsed header. An engine
/// whose header declares no container and carries nothing after its image
/// (WiX's own `burn.exe`, before a bundle is bound to it) is the engine stub,
/// not an installer ([`burn_engine_stub`]).
pub(crate) fn burn_section(s: &Subject<'_>) -> Option<Hit> {
    if burn_engine_stub(s).is_some() {
        return None;
    }
    let p = s.pe()?;
    let sec = p
        .sections
        .iter()
        .find(|x| x.name.eq_ignore_ascii_case(".wixburn"))?;
    let detail = match p.burn.as_ref() {
        Some(b) => format!(
            "section `.wixburn` with the Burn header (magic 0x00F14300, version {}), bundle {}, {} container(s)",
            b.version, b.bundle_id, b.container_count
        ),
        None => "section `.wixburn` (no Burn magic)".to_owned(),
    };
    Some(Hit::at(detail, Some(u64::from(sec.raw_offset))))
}

/// The WiX Burn engine as the toolset ships it (`burn.exe`): the `.wixburn`
/// header (magic 0x00F14300) declares no container, and no payload follows
/// the image. A bundle always has its UX container.
pub(crate) fn burn_engine_stub(s: &Subject<'_>) -> Option<Hit> {
    let p = s.pe()?;
    let b = p.burn.as_ref()?;
    if b.container_count != 0 || has_overlay_payload(s) {
        return None;
    }
    let sec = p
        .sections
        .iter()
        .find(|x| x.name.eq_ignore_ascii_case(".wixburn"))?;
    Some(Hit::at(
        format!(
            "WiX Burn engine: `.wixburn` header declares no container (stub size {}, bundle {}) and nothing follows the image",
            b.stub_size, b.bundle_id
        ),
        Some(u64::from(sec.raw_offset)),
    ))
}

/// Velopack `Setup.exe`: its bundle placeholder names the package it
/// carries (`metadata.velopack`).
pub(crate) fn velopack(s: &Subject<'_>) -> Option<Hit> {
    let v = s.pe()?.velopack.as_ref()?;
    let what = match (&v.package_id, &v.package_version) {
        (Some(id), Some(ver)) => format!(
            "the package `{id}` {ver} (`{}`)",
            v.nuspec.as_deref().unwrap_or_default()
        ),
        _ if v.bundle_is_zip => "a zip without a readable .nuspec".to_owned(),
        _ => "no zip there (see errors)".to_owned(),
    };
    Some(Hit::at(
        format!(
            "Velopack bundle placeholder (offset, length, SHA-256 of \"squirrel bundle\"): {} bytes at {:#x} holding {what}",
            v.bundle_size, v.bundle_offset
        ),
        Some(v.placeholder_offset),
    ))
}

/// Omaha's metainstaller stub before a payload is added (`mi_exe_stub`):
/// its `GOOGLEUPDATE` resource and no `B` payload resource, nothing after
/// the image.
pub(crate) fn omaha_stub(s: &Subject<'_>) -> Option<Hit> {
    let (r, _) = resources_named(s, "GOOGLEUPDATE", None).next()?;
    if resources_named(s, "B", None).next().is_some() || has_overlay_payload(s) {
        return None;
    }
    Some(Hit::at(
        format!(
            "Omaha metainstaller stub: resource {} and no payload resource `B/102`",
            r.path
        ),
        Some(r.offset),
    ))
}

/// Google Update (Omaha) metainstaller: the compressed tarball in resource
/// `B/102` (`IDR_PAYLOAD`, google/omaha `mi_exe_stub/mi.cc`), confirmed by a
/// `Gact` tag in the certificate table or Omaha's version-info names.
pub(crate) fn omaha(s: &Subject<'_>) -> Option<Hit> {
    // The Chromium updater's metainstaller (today's ChromeSetup.exe /
    // GoogleUpdateSetup.exe, chrome/updater/win/installer): the updater
    // archive in a resource of type `B7` named `updater…`.
    if let Some((r, _)) = resources_named(s, "B7", None).find(|(r, b)| {
        !b.is_empty()
            && r.path
                .split('/')
                .nth(1)
                .is_some_and(|n| n.to_ascii_lowercase().starts_with("updater"))
    }) {
        return Some(Hit::at(
            format!(
                "Chromium updater metainstaller: updater archive in resource {}",
                r.path
            ),
            Some(r.offset),
        ));
    }
    let (r, _) = resources_named(s, "B", Some("102")).find(|(_, b)| !b.is_empty())?;
    let why = if let Some(tag) = omaha_tag(s) {
        return Some(Hit::at(
            format!(
                "metainstaller payload resource {} and the tag `Gact` at {:#x}: `{}`",
                r.path, tag.offset, tag.text
            ),
            Some(r.offset),
        ));
    } else if let Some(first) = s.pe()?.omaha_payload_member.as_deref() {
        return Some(Hit::at(
            format!(
                "metainstaller payload resource {}: an LZMA-compressed tar archive (first member `{first}`); no tag",
                r.path
            ),
            Some(r.offset),
        ));
    } else {
        let p = s.pe()?;
        [VersionKey::ProductName, VersionKey::FileDescription]
            .into_iter()
            .filter_map(|k| version_value(p, k))
            .find(|v| {
                let l = v.to_ascii_lowercase();
                l.contains("google update")
                    || l.contains("google installer")
                    || l.contains("update setup")
            })?
            .to_owned()
    };
    Some(Hit::at(
        format!(
            "metainstaller payload resource {} and the version info `{why}`",
            r.path
        ),
        Some(r.offset),
    ))
}

/// Chrome's `mini_installer` (the product installer Omaha downloads, e.g.
/// `chrome_installer.exe`): the browser archive `chrome.packed.7z` in a `B7`
/// resource (chrome/installer/mini_installer), beside `setup.ex_` (`BL`) or
/// `setup.exe` (`BN`).
pub(crate) fn chromium_mini_installer(s: &Subject<'_>) -> Option<Hit> {
    let (r, _) = resources_named(s, "B7", None).find(|(r, b)| {
        !b.is_empty()
            && r.path
                .split('/')
                .nth(1)
                .map(str::to_ascii_lowercase)
                .is_some_and(|n| n.ends_with(".packed.7z") && !n.starts_with("updater"))
    })?;
    Some(Hit::at(
        format!("Chromium mini_installer archive in resource {}", r.path),
        Some(r.offset),
    ))
}

/// The Omaha tag the PE parser read from the certificate table.
pub(crate) fn omaha_tag<'a>(s: &Subject<'a>) -> Option<&'a crate::formats::pe::OmahaTag> {
    s.pe()?.omaha_tag.as_ref()
}

/// NSIS data whose first header has flag 1 (FH_FLAGS_UNINSTALL): the data
/// of an uninstaller, which removes software and installs nothing.
fn nsis_uninstall_flag(m: Option<&crate::formats::Metadata>) -> Option<bool> {
    match m {
        Some(crate::formats::Metadata::Nsis(n)) => Some(n.uninstaller_data),
        _ => None,
    }
}

pub(crate) fn nsis_installer_data(s: &Subject<'_>) -> Option<Hit> {
    if s.data.len() < 28 {
        // Cut inside its first header: the start of the signature is all
        // that was read (the node carries the truncation error).
        return Some(
            Hit::at(
                "the start of an NSIS first header (EF BE AD DE …), cut before its sizes",
                None,
            )
            .weak(),
        );
    }
    (nsis_uninstall_flag(s.metadata) != Some(true)).then(|| {
        Hit::at(
            "NSIS data: first header (EF BE AD DE \"NullsoftInst\") and archive",
            None,
        )
    })
}

pub(crate) fn nsis_uninstaller_data(s: &Subject<'_>) -> Option<Hit> {
    nsis_uninstall_flag(s.metadata)?.then(|| {
        Hit::at(
            "NSIS first header flag 1 (FH_FLAGS_UNINSTALL): an uninstaller's data",
            None,
        )
    })
}

/// A PE whose NSIS payload is uninstaller data (an `uninstall.exe` as an NSIS
/// installer writes it, or as 7-Zip rebuilds it).
pub(crate) fn nsis_uninstaller_pe(s: &Subject<'_>) -> Option<Hit> {
    let (c, place) = payload_children(s).find(|(c, _)| c.info.format == Format::Nsis)?;
    nsis_uninstall_flag(c.info.metadata.as_ref())?.then(|| {
        Hit::at(
            format!(
                "{place} `{}` is NSIS uninstaller data (first header flag 1)",
                child_name(c)
            ),
            child_offset(c),
        )
    })
}

/// An ICE validation database (`.cub`): MSI format with `_ICESequence` and
/// no `InstallExecuteSequence` (Windows Installer SDK, "ICE Reference").
fn is_cube(s: &Subject<'_>) -> Option<bool> {
    let Some(crate::formats::Metadata::Cfb(c)) = s.metadata else {
        return None;
    };
    let t = &c.msi.as_ref()?.tables;
    let has = |n: &str| t.iter().any(|x| x == n);
    Some(has("_ICESequence") && !has("InstallExecuteSequence"))
}

/// Whether a Windows Installer file was recognised only from table names
/// found in its raw bytes: its directory (root entry) could not be read, so
/// no structure was.
fn msi_from_raw_strings(s: &Subject<'_>) -> bool {
    matches!(s.metadata, Some(crate::formats::Metadata::Cfb(c)) if c.kind == "unknown")
}

/// Whether damage hid the tables that tell a product from a merge module.
fn msi_undecided(s: &Subject<'_>) -> bool {
    matches!(s.metadata, Some(crate::formats::Metadata::Cfb(c))
        if c.msi.as_ref().and_then(|m| m.package.as_deref()) == Some("undecided"))
}

pub(crate) fn msi_package(s: &Subject<'_>) -> Option<Hit> {
    if msi_from_raw_strings(s) {
        return Some(
            Hit::at(
                "Windows Installer database, known only from standard table names in the raw bytes (the compound file's directory could not be read)",
                None,
            )
            .weak(),
        );
    }
    if msi_undecided(s) {
        return Some(
            Hit::at(
                "Windows Installer database (root CLSID or tables); whether product or merge module could not be read (see msi-undecided)",
                None,
            )
            .weak(),
        );
    }
    (is_cube(s) != Some(true)).then(|| {
        Hit::at(
            "Windows Installer product database (CFB with an MSI root CLSID or tables; see the msi-* evidence for what decided it)",
            None,
        )
    })
}

pub(crate) fn msm_package(s: &Subject<'_>) -> Option<Hit> {
    Some(if msi_undecided(s) && !msi_from_raw_strings(s) {
        Hit::at(
            "Windows Installer merge module by its `MergeModule.CABinet` stream and `ModuleSignature`; the tables that would prove it could not be read (see msi-undecided)",
            None,
        )
        .weak()
    } else if msi_from_raw_strings(s) {
        Hit::at(
            "Windows Installer merge module, known only from table names in the raw bytes (`ModuleSignature`, no `ProductCode`; the compound file's directory could not be read)",
            None,
        )
        .weak()
    } else {
        Hit::at(
            "Windows Installer merge module (`ModuleSignature`, no `ProductCode`, no `Media` rows; see msi-module-signature)",
            None,
        )
    })
}

pub(crate) fn msi_cube(s: &Subject<'_>) -> Option<Hit> {
    is_cube(s)?.then(|| {
        Hit::at(
            "ICE validation database: `_ICESequence` table and no `InstallExecuteSequence` (validates MSIs, installs nothing)",
            None,
        )
    })
}

/// A Windows update standalone package (`.msu`): a cabinet whose members
/// are the update's payload (a `.cab`, or `.psf`/`.wim` with their
/// cabinets) and at least two of the three things wusa.exe reads besides
/// it: `WSUSSCAN.cab` (applicability scan data), `<name>-pkgProperties.txt`
/// and the servicing answer file `<name>.xml` (`unattend/servicing`). Names
/// are the members' own (the cabinet's file table is structure), and one
/// alone decides nothing.
pub(crate) fn msu_layout(s: &Subject<'_>) -> Option<Hit> {
    let mut scan = None;
    let mut props = None;
    let mut answer = None;
    let mut payload: Vec<&str> = Vec::new();
    for c in s.children {
        let name = child_name(c);
        let lower = name.to_ascii_lowercase();
        if lower == "wsusscan.cab" {
            scan = Some(name);
        } else if lower.ends_with("-pkgproperties.txt")
            || c.info.format == installsift_model::Format::MsuProperties
        {
            props = Some(name);
        } else if matches!(c.info.metadata.as_ref(), Some(crate::formats::Metadata::Xml(x)) if x.document == Some("unattend-servicing"))
        {
            answer = Some(name);
        } else if [".cab", ".psf", ".wim"].iter().any(|e| lower.ends_with(e)) {
            payload.push(name);
        }
    }
    let found: Vec<String> = [
        scan.map(|n| format!("`{n}` (scan data)")),
        props.map(|n| format!("`{n}` (package properties)")),
        answer.map(|n| format!("`{n}` (servicing answer file)")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if found.len() < 2 || payload.is_empty() {
        return None;
    }
    let shown: Vec<String> = payload.iter().take(8).map(|p| format!("`{p}`")).collect();
    Some(Hit::at(
        format!(
            "Windows update package: {}; payload {}{}",
            found.join(", "),
            shown.join(", "),
            if payload.len() > shown.len() {
                " …"
            } else {
                ""
            }
        ),
        None,
    ))
}

/// The XML document kind of a node, when it is one installsift knows.
/// A xar laid out as a macOS flat package: `Distribution` (product archive)
/// or `PackageInfo` (component package) at the top of its TOC.
/// A 16-bit InstallShield setup launcher (InstallShield 3–5's `SETUP.EXE`):
/// an NE program (not a library) whose version-info company or module
/// description names InstallShield (or Stirling Technologies, its first
/// name) and whose file description or module name says setup (`Setup
/// Launcher`, `ISSET_SE`). Other InstallShield NE files (`_ISDEL.EXE`, the
/// resource DLL `_setup.dll`) are components, not the installer.
pub(crate) fn ne_installshield(s: &Subject<'_>) -> Option<Hit> {
    let Some(crate::formats::Metadata::Ne(ne)) = s.metadata else {
        return None;
    };
    if ne.dll {
        return None;
    }
    let lower = |t: &str| t.to_ascii_lowercase();
    let company = ne.version("CompanyName").map(lower).unwrap_or_default();
    let desc = lower(&ne.description);
    let maker = ["installshield", "stirling technologies"]
        .iter()
        .find(|m| company.contains(*m) || desc.contains(*m))?;
    let what = ne.version("FileDescription").map(lower).unwrap_or_default();
    let module = lower(&ne.module_name);
    if !(what.contains("setup") || module.starts_with("isset") || module == "setup") {
        return None;
    }
    Some(Hit::at(
        format!(
            "16-bit NE setup program by {maker}: module `{}`, description `{}`, FileDescription `{}`",
            ne.module_name,
            ne.description,
            ne.version("FileDescription").unwrap_or_default()
        ),
        Some(ne.header_offset),
    ))
}

pub(crate) fn xar_pkg(s: &Subject<'_>) -> Option<Hit> {
    let Some(crate::formats::Metadata::Xar(x)) = s.metadata else {
        return None;
    };
    let p = x.pkg.as_ref()?;
    Some(Hit::at(
        match p.kind {
            "product" => "xar with a top-level `Distribution`: macOS product archive (flat .pkg)",
            _ => "xar with a top-level `PackageInfo`: macOS component package (flat .pkg)",
        },
        None,
    ))
}

pub(crate) fn xml_document(s: &Subject<'_>) -> Option<&'static str> {
    match s.metadata {
        Some(crate::formats::Metadata::Xml(x)) => x.document,
        _ => None,
    }
}

pub(crate) fn clickonce_deployment(s: &Subject<'_>) -> Option<Hit> {
    (xml_document(s)? == "clickonce-deployment").then(|| {
        Hit::at(
            "ClickOnce deployment manifest: `deployment` element in the urn:schemas-microsoft-com:asm.v2 namespace",
            None,
        )
    })
}

pub(crate) fn clickonce_application(s: &Subject<'_>) -> Option<Hit> {
    (xml_document(s)? == "clickonce-application").then(|| {
        Hit::at(
            "ClickOnce application manifest: `entryPoint` in an asm.v2 assembly manifest",
            None,
        )
    })
}

pub(crate) fn appinstaller(s: &Subject<'_>) -> Option<Hit> {
    (xml_document(s)? == "appinstaller").then(|| {
        Hit::at(
            "App Installer file: `AppInstaller` root in the appx/appinstaller namespace (installs the MSIX it names)",
            None,
        )
    })
}

pub(crate) fn iexpress(s: &Subject<'_>) -> Option<Hit> {
    let (cab, _) = resources_named(s, "RCDATA", Some("CABINET"))
        .find(|(_, b)| b.starts_with(b"MSCF\0\0\0\0"))?;
    let p = s.pe()?;
    let why = if let Some((r, _)) = resources_named(s, "RCDATA", Some("RUNPROGRAM")).next() {
        format!("resource {}", r.path)
    } else if let Some(v) = [VersionKey::InternalName, VersionKey::OriginalFilename]
        .into_iter()
        .filter_map(|k| version_value(p, k))
        .find(|v| v.to_ascii_lowercase().starts_with("wextract"))
    {
        format!("version info names `{v}`")
    } else {
        return None;
    };
    Some(Hit::at(
        format!(
            "cabinet in resource {} and the wextract marker {why}",
            cab.path
        ),
        Some(cab.offset),
    ))
}

/// The InstallShield launcher records the PE parser found in the overlay
/// (`metadata.installshield`): layout, record count, the cabinet set and any
/// MSI package among them.
pub(crate) fn installshield_records(s: &Subject<'_>) -> Option<Hit> {
    let is = s.pe()?.installshield.as_ref()?;
    let mut names: Vec<String> = is
        .records
        .iter()
        .take(6)
        .map(|r| format!("`{}`", r.name))
        .collect();
    if is.record_count > 6 {
        names.push("…".into());
    }
    let mut detail = format!(
        "{} overlay records in the `{}` layout ({})",
        is.record_count,
        is.layout,
        names.join(", ")
    );
    if let Some(c) = &is.cabinet {
        detail.push_str(&format!(
            "; InstallShield cabinet {} with {} files",
            c.version,
            c.files.unwrap_or(0)
        ));
    }
    if !is.msi_packages.is_empty() {
        detail.push_str(&format!("; MSI package `{}`", is.msi_packages.join("`, `")));
    }
    Some(Hit::at(detail, Some(is.offset)))
}

/// The InstallShield Setup launcher (`setup.exe`) of an uncompressed
/// release, which installs from the files beside it (`setup.ini`,
/// `data1.hdr`/`data1.cab`, `setup.inx`): its manifest's assembly identity
/// is `InstallShield.Setup` (DIE: manifest mentions InstallShield).
pub(crate) fn installshield_launcher(s: &Subject<'_>) -> Option<Hit> {
    if s.pe()?.kind != "exe" {
        return None;
    }
    let (at, m) = manifest_text(s)?;
    let l = m.to_ascii_lowercase();
    let i = l.find("assemblyidentity")?;
    let ident = l.get(i..i + l.get(i..)?.find('>')?)?;
    ident.contains("name=\"installshield.setup\"").then(|| {
        Hit::at(
            "manifest assembly identity `InstallShield.Setup`: the InstallShield Setup launcher (installs from setup.ini and the data files beside it when nothing is attached)",
            Some(at),
        )
    })
}

/// Version info naming InstallShield's makers over the years.
pub(crate) fn installshield_company(s: &Subject<'_>) -> Option<Hit> {
    let v = version_value(s.pe()?, VersionKey::CompanyName)?;
    ["InstallShield", "Macrovision", "Acresso", "Flexera"]
        .iter()
        .any(|p| starts_ci(v, p))
        .then(|| Hit::at(format!("CompanyName is `{v}`"), None))
}

/// InstallShield's setup-launcher overlay: a file table whose first record
/// is `name\0Disk1\name\0version\0size\0` (data follows).
pub(crate) fn installshield_disk1(s: &Subject<'_>) -> Option<Hit> {
    let (at, b) = overlay(s)?;
    let head = b.get(..b.len().min(512))?;
    let mut fields = head.split(|&c| c == 0);
    let name = fields.next()?;
    let path = fields.next()?;
    (!name.is_empty() && path.starts_with(b"Disk1\\")).then(|| {
        Hit::at(
            format!(
                "overlay file table starts with `{}` stored as `{}`",
                String::from_utf8_lossy(name),
                String::from_utf8_lossy(path)
            ),
            Some(at as u64),
        )
    })
}

// ------------------------------------------------------------------ look-alikes

/// A launcher with `#!` and a zip after it (pip/distlib script exe).
pub(crate) fn shebang_launcher(s: &Subject<'_>) -> Option<Hit> {
    let (at, bytes) = overlay(s)?;
    if !bytes.starts_with(b"#!") {
        return None;
    }
    let line_end = bytes.iter().take(4096).position(|&b| b == b'\n')?;
    let line = String::from_utf8_lossy(bytes.get(..line_end)?);
    Some(Hit::at(
        format!(
            "overlay is a shebang line `{}` then a script archive",
            line.trim_end()
        ),
        Some(at as u64),
    ))
}

/// A Java launcher (launch4j, exe4j, JSmooth): the payload is a JAR (a zip
/// whose entries include `META-INF/MANIFEST.MF`) that the stub hands to a
/// JVM. An installer engine built on Java has its own marker and is decided
/// in the installer tier first.
pub(crate) fn jar_launcher(s: &Subject<'_>) -> Option<Hit> {
    let (zip, place) = payload_children(s).find(|(c, _)| {
        c.info.format == Format::Zip
            && c.children
                .iter()
                .any(|e| child_name(e).eq_ignore_ascii_case("META-INF/MANIFEST.MF"))
    })?;
    Some(Hit::at(
        format!(
            "{place} `{}` is a Java archive (META-INF/MANIFEST.MF): a launcher that runs it",
            child_name(zip)
        ),
        child_offset(zip),
    ))
}

pub(crate) fn setuptools_launcher(s: &Subject<'_>) -> Option<Hit> {
    let hay = program_image(s)?;
    let a = memmem::find(hay, b"-script.py")?;
    memmem::find(hay, b"#!python.exe")?;
    Some(Hit::at(
        "setuptools launcher strings `-script.py` and `#!python.exe`",
        Some(a as u64),
    ))
}

/// .NET apphost bundle marker (SHA-256 of ".net core bundle") with a
/// non-zero bundle header offset before it.
const DOTNET_BUNDLE_SIGNATURE: &[u8] = b"\x8b\x12\x02\xb9\x6a\x61\x20\x38\x72\x7b\x93\x02\x14\xd7\xa0\x32\x13\xf5\xb9\xe6\xef\xae\x33\x18\xee\x3b\x2d\xce\x24\xb3\x6a\xae";

pub(crate) fn dotnet_bundle(s: &Subject<'_>) -> Option<Hit> {
    let hay = program_image(s)?;
    let i = memmem::find(hay, DOTNET_BUNDLE_SIGNATURE)?;
    let off = crate::formats::le_u64(s.data, i.checked_sub(8)?)?;
    (off != 0 && off < s.data.len() as u64).then(|| {
        Hit::at(
            format!(".NET single-file bundle marker, bundle header at {off:#x}"),
            Some(i as u64),
        )
    })
}

/// Windows tools that run installers but are none.
const SYSTEM_TOOLS: &[&str] = &["msiexec.exe", "wusa.exe", "pkgmgr.exe", "dism.exe"];

pub(crate) fn system_tool(s: &Subject<'_>) -> Option<Hit> {
    let p = s.pe()?;
    let v = version_value(p, VersionKey::OriginalFilename)?;
    let company = version_value(p, VersionKey::CompanyName).unwrap_or_default();
    let tool = SYSTEM_TOOLS.iter().find(|t| v.eq_ignore_ascii_case(t))?;
    let c = company.to_ascii_lowercase();
    (c.contains("microsoft") || c.contains("wine")).then(|| {
        Hit::at(
            format!("{tool} by {company}: a system tool that runs installers"),
            None,
        )
    })
}

/// An Inno uninstaller ends with `TUninstallerMsgTail`: `IMsg` and the
/// offset of the messages it carries, as the PE parser read it.
pub(crate) fn inno_uninstaller_messages(s: &Subject<'_>) -> Option<Hit> {
    let t = s.pe()?.inno_message_tail?;
    Some(Hit::at(
        format!(
            "uninstaller message tail `IMsg`: messages at {:#x}",
            t.messages
        ),
        Some(t.offset),
    ))
}

pub(crate) fn inno_stub(s: &Subject<'_>) -> Option<Hit> {
    if has_overlay_payload(s) {
        return None;
    }
    if let Some(r) = inno_marks(s).and_then(|m| m.resources.iter().find(|r| r.magic.is_none())) {
        return Some(Hit::at(
            format!(
                "Inno Setup loader stub: resource {} holds no loader table",
                r.path
            ),
            Some(r.offset),
        ));
    }
    let d = version_value(s.pe()?, VersionKey::FileDescription)?;
    (d == "Setup/Uninstall").then(|| {
        Hit::at(
            "Inno Setup Setup.e32 stub (FileDescription `Setup/Uninstall`) without setup data",
            None,
        )
    })
}

/// An NSIS exehead with nothing attached. A stub followed by data is an
/// installer even when that data's first header was altered: the PE
/// module then parses it as NSIS (with the damage as an error), and
/// `pe-carries-installer` decides.
pub(crate) fn nsis_stub(s: &Subject<'_>) -> Option<Hit> {
    let sec = s
        .pe()?
        .sections
        .iter()
        .find(|x| x.name.eq_ignore_ascii_case(".ndata"))?;
    if payload_children(s).any(|(c, _)| c.info.format == Format::Nsis || c.info.size >= 28) {
        return None;
    }
    if let Some((_, b)) = overlay(s) {
        let window = b.get(..b.len().min(1 << 20))?;
        if memmem::find(window, b"\xEF\xBE\xAD\xDENullsoftInst").is_some() {
            return None;
        }
    }
    Some(Hit::at(
        "NSIS exehead (section `.ndata`) without an NSIS first header",
        Some(u64::from(sec.raw_offset)),
    ))
}

pub(crate) fn sevenz_sfx_stub(s: &Subject<'_>) -> Option<Hit> {
    if has_overlay_payload(s) {
        return None;
    }
    let v = version_value(s.pe()?, VersionKey::InternalName)?;
    let l = v.to_ascii_lowercase();
    (l.starts_with("7z") && l.ends_with(".sfx")).then(|| {
        Hit::at(
            format!("7-Zip SFX module `{v}` with nothing appended"),
            None,
        )
    })
}

// ------------------------------------------------------------------ UAC keywords

/// File-name keywords of UAC installer detection.
const NAME_KEYWORDS: &[&str] = &["setup", "instal", "update", "patch", "upgrad"];

fn keyword(text: &str) -> Option<&'static str> {
    let l = text.to_ascii_lowercase();
    NAME_KEYWORDS.iter().copied().find(|k| l.contains(k))
}

pub(crate) fn name_keyword(s: &Subject<'_>) -> Option<Hit> {
    let base = s.name.rsplit(['/', '\\']).next().unwrap_or(s.name);
    let k = keyword(base)?;
    Some(Hit::at(format!("file name `{base}` contains `{k}`"), None))
}

pub(crate) fn version_keyword(s: &Subject<'_>) -> Option<Hit> {
    let p = s.pe()?;
    [
        VersionKey::FileDescription,
        VersionKey::ProductName,
        VersionKey::OriginalFilename,
        VersionKey::InternalName,
        VersionKey::CompanyName,
    ]
    .into_iter()
    .find_map(|key| {
        let v = version_value(p, key)?;
        let k = keyword(v)?;
        Some(Hit::at(
            format!("{} `{v}` contains `{k}`", key_name(key)),
            None,
        ))
    })
}

pub(crate) fn require_admin(s: &Subject<'_>) -> Option<Hit> {
    let level = s.pe()?.requested_execution_level.as_deref()?;
    (level == "requireAdministrator").then(|| {
        Hit::at(
            "manifest requestedExecutionLevel requireAdministrator",
            None,
        )
    })
}

pub(crate) fn msi_import(s: &Subject<'_>) -> Option<Hit> {
    let dll = s
        .pe()?
        .imports
        .as_ref()?
        .dlls
        .iter()
        .find(|d| d.eq_ignore_ascii_case("msi.dll"))?;
    Some(Hit::at(
        format!("imports {dll} (Windows Installer API)"),
        None,
    ))
}

/// Printable form of a marker for evidence details.
fn show(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                (c as char).to_string()
            } else {
                format!("\\x{c:02x}")
            }
        })
        .collect()
}

/// The marker of Qt IFW binary content, as its metadata names it.
fn qtifw_marker<'a>(s: &Subject<'a>) -> Option<&'a crate::formats::qtifw::QtIfwInfo> {
    match s.metadata {
        Some(crate::formats::Metadata::QtIfw(i)) => Some(i),
        _ => None,
    }
}

/// Qt IFW binary content whose marker is the installer's (or that was cut
/// short before its trailer: the meta resources of an installer).
pub(crate) fn qtifw_installer(s: &Subject<'_>) -> Option<Hit> {
    let i = qtifw_marker(s)?;
    match i.marker_value {
        None => Some(Hit::at(
            "Qt IFW binary content cut short: a Qt resource file (`qres`) followed by more data, no trailer",
            Some(0),
        )),
        Some(m) if i.marker != "uninstaller" && i.marker != "updater" && i.marker != "package-manager" => {
            Some(Hit::at(
                format!(
                    "Qt IFW binary content: magic cookie {}, marker {m:#x} ({})",
                    i.cookie.unwrap_or("?"),
                    i.marker
                ),
                None,
            ))
        }
        _ => None,
    }
}

/// Qt IFW binary content of a maintenance tool (uninstaller, updater or
/// package manager marker): the program an installation keeps to change
/// itself, not an installer to deploy.
pub(crate) fn qtifw_maintenance_tool(s: &Subject<'_>) -> Option<Hit> {
    let i = qtifw_marker(s)?;
    let m = i.marker_value?;
    matches!(i.marker, "uninstaller" | "updater" | "package-manager").then(|| {
        Hit::at(
            format!(
                "Qt IFW binary content with the {} marker {m:#x}: a maintenance tool",
                i.marker
            ),
            None,
        )
    })
}
