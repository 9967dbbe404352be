//! Evidence → verdict and family.
//!
//! Rules, v1 (later work adds families and look-alikes):
//! - MSI / MSM / MSP → installer, family msi / msm / msp.
//! - A PE whose overlay or resource carries a 7z / zip / cab / MSI (a child
//!   placed as overlay, resource or carved region) → installer. The family is
//!   the carried installer's family when the child is itself an installer,
//!   otherwise 7z-sfx / zip-sfx / cab-sfx after the container.
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
    _metadata: Option<&Metadata>,
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
        Format::Pe => classify_pe(children),
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

fn classify_pe(children: &[Node]) -> (Verdict, Option<Family>, Vec<Evidence>) {
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
