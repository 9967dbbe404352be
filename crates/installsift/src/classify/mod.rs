//! Evidence → verdict, family and kind.
//!
//! The classifier is a table of rules ([`rules::RULES`]). Each rule names its
//! signal id, its strength, what it means (an installer family, a look-alike
//! kind, a carried payload, a packer, or a weak UAC-style keyword), the format
//! it applies to, and a test over what the node has: its bytes, its parsed
//! metadata (sections, resources, version info, manifest, imports) and its
//! already-scanned children. Every rule that fires becomes one line of
//! evidence, with the offset it fired at.
//!
//! The decision takes the first tier that fired, in this order (the table
//! order breaks ties inside a tier):
//!
//! 1. [`Means::Installer`] / [`Means::CarriedInstaller`]: a structural marker of
//!    an installer engine, or a child that is itself an installer.
//! 2. [`Means::LookAlike`]: a structural marker of something that is *not* an
//!    installer although it looks like one (PyInstaller, script launchers,
//!    AutoIt, .NET single-file bundles, engine stubs without payload, system
//!    tools). Verdict not-installer, with a `kind`.
//! 3. [`Means::Payload`]: an archive carried in the overlay or a resource
//!    (generic SFX: 7z / zip / cab / rar).
//! 4. [`Means::Packed`]: a packer's sections, nothing else known.
//! 5. [`Means::Uac`]: weak keywords after Microsoft's UAC installer detection.
//!    Three distinct categories agreeing make an installer of family `other`;
//!    fewer leave a parsed PE without payload a not-installer (the weak hits
//!    are still listed). `docs/CLASSIFICATION.md` explains the threshold.
//!
//! `unknown` is the verdict for data no format recognised.
//!
//! [`Means::Hint`] signals (e.g. `SquirrelAwareVersion`) are reported but never
//! decide. Names are weak evidence at most: a renamed MSI is still an MSI.

mod facts;
mod longtail;
mod probe;
pub(crate) mod rules;
mod tools;

use crate::formats::pe::PeInfo;
use crate::formats::Metadata;
use crate::report::{Evidence, Family, Format, InstallerFacts, Node, Strength, Tool, Verdict};
pub(crate) use rules::{Means, Rule, UacCategory, RULES};

/// Everything the rules may look at for one node.
pub(crate) struct Subject<'a> {
    /// The node's final format.
    pub format: Format,
    /// The node's own name (last path segment, file name only).
    pub name: &'a str,
    /// The node's bytes.
    pub data: &'a [u8],
    /// Parsed metadata.
    pub metadata: Option<&'a Metadata>,
    /// Children, already scanned and classified.
    pub children: &'a [Node],
    /// Why the node's recognised format was not opened (a limit, a region
    /// already opened), when it was not: its structure was never read.
    pub not_opened: Option<&'a str>,
    /// Errors of the node itself (its children carry their own).
    pub errors: &'a [installsift_model::error::Error],
}

/// The classifier's answer for one node.
#[derive(Debug, Clone)]
pub(crate) struct Classification {
    pub verdict: Verdict,
    pub family: Option<Family>,
    pub kind: Option<String>,
    pub evidence: Vec<Evidence>,
    pub installer: Option<InstallerFacts>,
    /// Who built, packed or protected it ([`tools::identify`]).
    pub tools: Vec<Tool>,
}

/// One rule that fired.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// What was seen.
    pub detail: String,
    /// Where, in this node's bytes.
    pub offset: Option<u64>,
    /// The family, for rules whose family comes from what they saw
    /// ([`Means::CarriedInstaller`], [`Means::Payload`]).
    pub family: Option<Family>,
    /// What was seen is weaker than the rule's usual structure (e.g. an MSI
    /// known only from table names in raw bytes): the evidence says weak.
    pub weak: bool,
}

impl Hit {
    pub(crate) fn at(detail: impl Into<String>, offset: Option<u64>) -> Self {
        Hit {
            detail: detail.into(),
            offset,
            family: None,
            weak: false,
        }
    }
    pub(crate) fn family(mut self, f: Family) -> Self {
        self.family = Some(f);
        self
    }
    /// Report this hit as weak evidence whatever the rule's strength.
    pub(crate) fn weak(mut self) -> Self {
        self.weak = true;
        self
    }
}

impl<'a> Subject<'a> {
    /// PE metadata, when the node is a PE that parsed.
    pub(crate) fn pe(&self) -> Option<&'a PeInfo> {
        match self.metadata {
            Some(Metadata::Pe(p)) => Some(p),
            _ => None,
        }
    }
}

/// UAC categories that must agree before weak signals alone make an installer.
pub(crate) const UAC_INSTALLER_THRESHOLD: usize = 3;

/// Decide verdict, family and kind for a node.
pub(crate) fn classify(s: &Subject<'_>) -> Classification {
    let mut fired: Vec<(&'static Rule, Hit)> = Vec::new();
    for rule in RULES.iter().filter(|r| r.on == s.format) {
        if let Some(hit) = rule.test.eval(s) {
            fired.push((rule, hit));
        }
    }
    let evidence: Vec<Evidence> = fired
        .iter()
        .map(|(r, h)| Evidence {
            signal: r.signal.to_owned(),
            detail: h.detail.clone(),
            offset: h.offset,
            strength: if h.weak { Strength::Weak } else { r.strength },
        })
        .collect();
    let mut out = Classification {
        verdict: Verdict::NotInstaller,
        family: None,
        kind: None,
        evidence,
        installer: None,
        tools: Vec::new(),
    };

    let installer = fired.iter().find_map(|(r, h)| match r.means {
        Means::Installer(f) => Some(f),
        Means::CarriedInstaller => h.family,
        _ => None,
    });
    let look_alike = fired.iter().find_map(|(r, _)| match r.means {
        Means::LookAlike(k) => Some(k),
        _ => None,
    });
    let payload = fired.iter().find_map(|(r, h)| match r.means {
        Means::Payload => h.family,
        _ => None,
    });
    let packed = fired.iter().find_map(|(r, _)| match r.means {
        Means::Packed(k) => Some(k),
        _ => None,
    });
    let mut uac: Vec<UacCategory> = fired
        .iter()
        .filter_map(|(r, _)| match r.means {
            Means::Uac(c) => Some(c),
            _ => None,
        })
        .collect();
    uac.sort();
    uac.dedup();

    // Windows applies its installer detection to programs being started: a
    // DLL or driver is never a self-extractor, whatever it carries (WiX's
    // SfxCA custom-action DLLs append a cabinet of managed assemblies).
    let program = s.format != Format::Pe || s.pe().is_none_or(|p| p.kind == "exe");
    let dll_payload = payload.is_some() && !program;
    let payload = match payload {
        Some(f) if !program => {
            out.evidence.push(Evidence::strong(
                "pe-dll-payload",
                format!(
                    "a {} carrying an archive ({f} layout): not started by itself, so not a self-extractor",
                    s.pe().map_or("dll", |p| p.kind.as_str())
                ),
                None,
            ));
            None
        }
        p => p,
    };
    if let Some(f) = installer.or(if look_alike.is_none() { payload } else { None }) {
        out.verdict = Verdict::Installer;
        out.family = Some(f);
        out.installer = Some(facts::installer_facts(f, s));
    } else if let Some(k) = look_alike.or(packed) {
        out.kind = Some(k.to_owned());
    } else if s.format == Format::Pe {
        if program && uac.len() >= UAC_INSTALLER_THRESHOLD {
            out.verdict = Verdict::Installer;
            out.family = Some(Family::Other);
            out.installer = Some(facts::installer_facts(Family::Other, s));
            out.evidence.push(Evidence::weak(
                "uac-heuristic",
                format!(
                    "{} of the UAC installer-detection categories agree ({}); threshold {UAC_INSTALLER_THRESHOLD}",
                    uac.len(),
                    uac_names(&uac)
                ),
                None,
            ));
        } else if !dll_payload {
            out.evidence.push(Evidence::strong(
                "pe-no-payload",
                "PE without an installer payload in overlay or resources",
                None,
            ));
        }
    } else if s.format == Format::Unknown {
        out.verdict = Verdict::Unknown;
        out.evidence.push(Evidence::weak(
            "no-format",
            "no known format signature: nothing to decide from",
            None,
        ));
    } else if matches!(
        s.format,
        Format::Xml | Format::SquirrelReleases | Format::MsuProperties
    ) {
        let what = match s.metadata {
            _ if s.format == Format::MsuProperties => {
                "Windows update package properties: describe the update, install nothing themselves"
                    .to_owned()
            }
            Some(Metadata::Xml(x)) => match x.document {
                Some(d) => format!(
                    "{d} (root `{}`): describes an installation, installs nothing itself",
                    x.root
                ),
                None => format!("XML document (root `{}`), no installer schema", x.root),
            },
            _ => "Squirrel RELEASES list: names packages, installs nothing itself".to_owned(),
        };
        out.evidence
            .push(Evidence::strong("plain-document", what, None));
    } else if s.format == Format::Xar {
        if matches!(s.metadata, Some(Metadata::Xar(x)) if x.toc_listed) {
            out.evidence.push(Evidence::strong(
                "plain-archive",
                "xar archive without a flat-package layout (no top-level Distribution or PackageInfo)",
                None,
            ));
        } else {
            out.verdict = Verdict::Unknown;
            out.evidence.push(Evidence::weak(
                "xar-toc-unread",
                "xar header only: its table of contents could not be read, so the package layout is unknown",
                None,
            ));
        }
    } else if s.format == Format::Hfs {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            "HFS+ volume: a disk image's file system, the image is the installer",
            None,
        ));
    } else if s.format == Format::Apfs {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            "APFS container: a disk image's file system, the image is the installer",
            None,
        ));
    } else if matches!(
        s.format,
        Format::Cab
            | Format::Zip
            | Format::SevenZ
            | Format::Rar
            | Format::Arj
            | Format::Tar
            | Format::Cpio
    ) {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            format!("{} archive without an executable stub", s.format),
            None,
        ));
    } else if s.format == Format::QtRcc {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            "Qt resource file (`qres`): an application's or a Qt IFW installer's resources, no installer of its own",
            None,
        ));
    } else if s.format == Format::Chm {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            "Compiled HTML Help file: a help file's pages, no installer of its own",
            None,
        ));
    } else if matches!(s.format, Format::Iso | Format::Udf) {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            format!(
                "{} disk image: install media are judged by the files on them",
                if s.format == Format::Iso {
                    "ISO 9660"
                } else {
                    "UDF"
                }
            ),
            None,
        ));
    } else if matches!(s.format, Format::Szdd | Format::Kwaj) {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            format!(
                "{} file (COMPRESS.EXE): one compressed file, no installer of its own",
                s.format
            ),
            None,
        ));
    } else if matches!(
        s.format,
        Format::Gzip | Format::Bzip2 | Format::Xz | Format::Lzma | Format::Pbzx | Format::Bcj2
    ) {
        out.evidence.push(Evidence::strong(
            "plain-archive",
            format!(
                "{} stream: a compressed file, whose content is judged on its own",
                s.format
            ),
            None,
        ));
    }
    out.tools = tools::identify(s, &out);
    could_not_tell(s, &mut out);
    out
}

/// A not-installer verdict says "we looked and found no installer". When the
/// node was not opened, or its own structure failed to parse, we did not
/// look at all of it: the honest verdict is `unknown`, and conclusions drawn
/// from the *absence* of installer structures (`pe-no-payload`,
/// `plain-archive`, `cfb-not-msi`) are withdrawn. Look-alike kinds stay
/// (their rule saw a positive structure), but the verdict is still `unknown`
/// when the node could not be read: a damaged stub may carry a payload.
fn could_not_tell(s: &Subject<'_>, out: &mut Classification) {
    if out.verdict != Verdict::NotInstaller {
        return;
    }
    let why = if let Some(reason) = s.not_opened {
        Evidence::weak(
            "not-opened",
            format!("{} recognised but not opened: {reason}", s.format),
            None,
        )
    } else if let Some(e) = s.errors.iter().find(|e| hides_structure(e)) {
        Evidence::weak(
            "damaged",
            format!(
                "{} could not be read whole ({e}); what is missing may hold an installer",
                s.format
            ),
            None,
        )
    } else {
        return;
    };
    out.verdict = Verdict::Unknown;
    let before = out.evidence.len();
    out.evidence
        .retain(|e| !ABSENCE_SIGNALS.contains(&e.signal.as_str()));
    if out.evidence.len() != before && out.kind.as_deref() == Some("compound-document") {
        // That kind is itself a conclusion from absence (`cfb-not-msi`).
        out.kind = None;
    }
    out.evidence.push(why);
}

/// Signals that conclude "not an installer" from something *not* found.
const ABSENCE_SIGNALS: &[&str] = &[
    "pe-no-payload",
    "plain-archive",
    "cfb-not-msi",
    "plain-document",
];

/// Whether a node's own error means part of its structure was not read.
/// A checksum mismatch does not (the structure was read; the bytes are
/// reported with the error), nor does an entry-count or size limit that
/// only stopped unpacking data.
fn hides_structure(e: &installsift_model::error::Error) -> bool {
    use installsift_model::error::Error as E;
    match e {
        E::Checksum { .. } => false,
        E::LimitExceeded { limit, .. } => !matches!(
            *limit,
            installsift_model::limits::Limit::MaxEntrySize
                | installsift_model::limits::Limit::MaxRatio
        ),
        _ => true,
    }
}

fn uac_names(c: &[UacCategory]) -> String {
    c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample;

    fn subject<'a>(data: &'a [u8], name: &'a str) -> Subject<'a> {
        Subject {
            format: Format::Pe,
            name,
            data,
            metadata: None,
            children: &[],
            not_opened: None,
            errors: &[],
        }
    }

    #[test]
    fn rules_have_unique_signals_and_consistent_strength() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(
                seen.insert((r.signal, r.on)),
                "duplicate signal {}",
                r.signal
            );
            let weak = matches!(r.means, Means::Uac(_) | Means::Hint(_));
            assert_eq!(
                r.strength == Strength::Weak,
                weak,
                "{}: weak rules are exactly the hints and UAC keywords",
                r.signal
            );
        }
    }

    #[test]
    fn a_dll_carrying_an_archive_is_no_self_extractor() {
        // The layout of WiX's SfxCA custom-action DLLs: a DLL with a cabinet
        // appended. The same cabinet after an exe is a cab-sfx.
        let scan = |pe: &str| {
            let mut d = sample(pe).unwrap_or_default();
            d.extend(sample("cab/mszip.cab").unwrap_or_default());
            crate::Scanner::new().scan_bytes("x", &d).root
        };
        let dll = scan("pe/lib_x64.dll");
        assert_eq!(dll.info.verdict, Verdict::NotInstaller);
        assert!(dll
            .info
            .evidence
            .iter()
            .any(|e| e.signal == "pe-dll-payload"));
        assert!(dll
            .info
            .evidence
            .iter()
            .all(|e| e.signal != "pe-no-payload"));
        assert_eq!(dll.children.len(), 1, "the cabinet is still opened");
        let exe = scan("pe/hello_x64.exe");
        assert_eq!(exe.info.verdict, Verdict::Installer);
        assert_eq!(exe.info.family, Some(Family::CabSfx));
    }

    #[test]
    fn a_name_alone_is_not_an_installer() {
        let data = sample("pe/hello_x64.exe").unwrap_or_default();
        let c = classify(&subject(&data, "setup.exe"));
        assert_eq!(c.verdict, Verdict::NotInstaller);
        assert!(c.evidence.iter().any(|e| e.signal == "uac-name-keyword"));
    }
}
