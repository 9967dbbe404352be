//! Evidence → verdict and family.
//!
//! Rules, v1 (later work adds families and look-alikes):
//! - MSI / MSM / MSP → installer, family msi / msm / msp.
//! - A PE whose overlay or resource carries a 7z / zip / cab / MSI (a child
//!   placed as overlay, resource or carved region) → installer. The family is
//!   the carried installer's family when the child is itself an installer,
//!   otherwise 7z-sfx / zip-sfx / cab-sfx after the container.
//! - NSIS data (first header + archive, normally a PE overlay) → installer,
//!   family nsis, even when damaged: the first header is decisive. A PE whose
//!   overlay is NSIS data is therefore family nsis by the rule above.
//! - A PE with the NSIS exehead's `.ndata` section and no NSIS data (a bare
//!   stub, e.g. `/usr/share/nsis/Stubs/*`) → not-installer, evidence
//!   `nsis-stub`.
//! - Any other PE, archive or compound file → not-installer.
//! - Unrecognised data → unknown.
//!
//! Names never enter these rules: a renamed MSI is still an MSI.

use crate::formats::Metadata;
use crate::report::{EntryKind, Evidence, Family, Format, Node, Verdict};

/// Decide verdict and family for a node whose parse produced `format`,
/// `metadata`, `evidence` and `children`. Returns the verdict evidence to
/// append to the node's evidence.
pub(crate) fn classify(
    format: Format,
    metadata: Option<&Metadata>,
    _evidence: &[Evidence],
    children: &[Node],
) -> (Verdict, Option<Family>, Vec<Evidence>) {
    match format {
        Format::Msi => installer(
            Family::Msi,
            "Windows Installer database (CFB with an MSI root CLSID or tables)",
        ),
        Format::Msm => installer(
            Family::Msm,
            "Windows Installer merge module (ModuleSignature table)",
        ),
        Format::Msp => installer(
            Family::Msp,
            "Windows Installer patch (CFB with the MSP root CLSID)",
        ),
        Format::Pe => classify_pe(metadata, children),
        Format::Nsis => installer(
            Family::Nsis,
            "NSIS data: first header (EF BE AD DE \"NullsoftInst\") and archive",
        ),
        Format::Cab | Format::Zip | Format::SevenZ => (
            Verdict::NotInstaller,
            None,
            vec![Evidence::strong(
                "plain-archive",
                format!("{format} archive without an executable stub"),
                None,
            )],
        ),
        Format::Cfb => (
            Verdict::NotInstaller,
            None,
            vec![Evidence::strong(
                "cfb-not-msi",
                "compound file without Windows Installer structures",
                None,
            )],
        ),
        Format::Unknown => (Verdict::Unknown, None, Vec::new()),
    }
}

fn installer(family: Family, why: &str) -> (Verdict, Option<Family>, Vec<Evidence>) {
    (
        Verdict::Installer,
        Some(family),
        vec![Evidence::strong("installer-format", why, None)],
    )
}

fn classify_pe(
    metadata: Option<&Metadata>,
    children: &[Node],
) -> (Verdict, Option<Family>, Vec<Evidence>) {
    for c in children {
        let Some(entry) = &c.entry else { continue };
        let place = match entry.kind {
            EntryKind::Overlay => "overlay",
            EntryKind::Resource => "resource",
            EntryKind::Carved => "carved region",
            _ => continue,
        };
        let name = c.path.last().map(String::as_str).unwrap_or_default();
        let at = entry.offset;
        if c.verdict == Verdict::Installer {
            if let Some(f) = c.family {
                let detail = format!(
                    "{place} `{name}` is a {} installer ({})",
                    f.as_str(),
                    c.format
                );
                return (
                    Verdict::Installer,
                    Some(f),
                    vec![Evidence::strong("pe-carries-installer", detail, at)],
                );
            }
        }
        let family = match c.format {
            Format::SevenZ => Family::SevenZSfx,
            Format::Zip => Family::ZipSfx,
            Format::Cab => Family::CabSfx,
            _ => continue,
        };
        let detail = format!("{place} `{name}` holds a {} archive", c.format);
        return (
            Verdict::Installer,
            Some(family),
            vec![Evidence::strong("pe-carries-archive", detail, at)],
        );
    }
    if let Some(Metadata::Pe(pe)) = metadata {
        if pe.sections.iter().any(|s| s.name == ".ndata") {
            return (
                Verdict::NotInstaller,
                None,
                vec![Evidence::strong(
                    "nsis-stub",
                    "NSIS exehead stub (`.ndata` section) without NSIS data: not an installer by itself",
                    None,
                )],
            );
        }
    }
    (
        Verdict::NotInstaller,
        None,
        vec![Evidence::strong(
            "pe-no-payload",
            "PE without an installer payload in overlay or resources",
            None,
        )],
    )
}
