//! Behaviour rules for installer runs: what a process-creation rule for one
//! scanned installer can key on, shared by the Sigma ([`super::sigma`]) and
//! Cortex XDR XQL ([`super::xql`]) writers.
//!
//! One rule per installer node. Two shapes:
//!
//! - **Image** (a PE installer: NSIS, Inno Setup, InstallShield, Burn,
//!   Omaha, Squirrel, and every other PE family): the installer's own
//!   process. It matches this exact file by SHA-256 (any name, any
//!   arguments); where the family documents an unattended or install switch
//!   and the file has traits that survive renaming (version-info
//!   `OriginalFilename`, imphash, Authenticode signer), it also matches a
//!   program with those traits started with the switch. For Omaha the app
//!   GUID of the tag with `/install` matches the unpacked `GoogleUpdate.exe`
//!   too.
//! - **Msiexec** (an MSI package or MSP patch): `msiexec.exe` with `/i` or
//!   `/package` (`/p` or `/update` for a patch) and the package's file name
//!   or ProductCode on its command line. The package's own hash cannot be
//!   tested: process creation hashes `msiexec.exe`.
//!
//! The switch table ([`switches`]) states where each engine parses its
//! switches; README ("Behaviour rules") says per family what the rules can
//! and cannot catch.

use super::{Item, Warnings};
use installsift::formats::pe::SignatureInfo;
use installsift::hash::{Md5, Sha1, Sha256};
use installsift::{Family, Format, Strength, Verdict};

/// At most this many evidence lines and errors are quoted in a rule.
const MAX_QUOTED: usize = 4;

/// One command-line switch an engine documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Switch {
    /// As written, with its leading `/`, `-` or `--` (`/VERYSILENT`).
    pub text: &'static str,
    /// The engine also takes `-` where `text` has `/` (Sigma `windash`,
    /// `[-/]` in XQL).
    pub dash: bool,
    /// A value follows without a space (`/LOADINF=file`): matched as a
    /// prefix, not as a whole word.
    pub prefix: bool,
}

const fn word(text: &'static str, dash: bool) -> Switch {
    Switch {
        text,
        dash,
        prefix: false,
    }
}

/// The unattended (or install) switches of a family, and where the engine
/// reads them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Switches {
    pub family: Family,
    pub list: &'static [Switch],
    /// The engine compares them case-sensitively (NSIS's `/S`).
    pub case_sensitive: bool,
    /// Where this is stated (source file or documentation).
    pub source: &'static str,
}

/// The documented switches per family. Only families whose parser was read
/// are here; other PE families get a hash-only rule (with a warning).
pub(crate) const SWITCHES: &[Switches] = &[
    Switches {
        family: Family::Nsis,
        list: &[word("/S", false)],
        case_sensitive: true,
        source: "NSIS Source/exehead/Main.c: /S, uppercase, as its own word",
    },
    Switches {
        family: Family::Inno,
        list: &[
            word("/SILENT", false),
            word("/VERYSILENT", false),
            Switch {
                text: "/LOADINF=",
                dash: false,
                prefix: true,
            },
        ],
        case_sensitive: false,
        source: "issrc Projects/Src/Setup.MainFunc.pas: whole words, any case, / only; \
                 /LOADINF= reads Silent=/VerySilent= from the file's [Setup] section",
    },
    Switches {
        family: Family::InstallShield,
        list: &[word("/s", false)],
        case_sensitive: false,
        source: "InstallShield Setup.exe command line: /s (silent; /f1 names the response \
                 file, /v passes arguments to msiexec)",
    },
    Switches {
        family: Family::WixBurn,
        list: &[
            word("/q", true),
            word("/quiet", true),
            word("/s", true),
            word("/silent", true),
            word("/passive", true),
        ],
        case_sensitive: false,
        source: "WiX src/burn/engine/core.cpp: -q, -quiet, -s, -silent (no UI), -passive; \
                 - or /, any case",
    },
    Switches {
        family: Family::Omaha,
        list: &[word("/install", true), word("--install", false)],
        case_sensitive: false,
        source: "Omaha omaha/base/command_line_parser.cc: / or -, any case; \
                 mi_exe_stub/mi.cc passes /install and the tag to GoogleUpdate.exe",
    },
    Switches {
        family: Family::Squirrel,
        list: &[word("--silent", false), word("-s", false)],
        case_sensitive: false,
        source: "Squirrel.Windows src/Setup/winmain.cpp: -s anywhere on the line means \
                 quiet; the line goes on to Update.exe --install",
    },
];

/// `/S`, or `/SILENT, /VERYSILENT or /LOADINF=…`, with `(- for / too)` and
/// `(case-sensitive)` where they apply.
pub(crate) fn switch_words(s: &Switches) -> String {
    let words: Vec<String> = s
        .list
        .iter()
        .map(|w| {
            if w.prefix {
                format!("{}…", w.text)
            } else {
                w.text.to_owned()
            }
        })
        .collect();
    let mut out = match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    if s.list.iter().any(|w| w.dash) {
        out.push_str(" (- for / too)");
    }
    if s.case_sensitive {
        out.push_str(" (case-sensitive)");
    }
    out
}

/// The switch table entry of a family.
pub(crate) fn switches(f: Family) -> Option<&'static Switches> {
    SWITCHES.iter().find(|s| s.family == f)
}

/// Authenticode signer facts usable in a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignerFacts {
    /// Subject common name of the signing certificate.
    pub cn: String,
    /// Subject organisation, when present.
    pub org: Option<String>,
    pub issuer: String,
    pub serial: String,
}

/// What the scan says about an image rule's file.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageFacts {
    /// The file's own name when it is a program name (`*.exe`): matched as
    /// the process image's name with the switch.
    pub image_name: Option<String>,
    /// Version-info `OriginalFilename` without surrounding spaces, then as
    /// stored when that differs (InstallShield pads its strings; whether a
    /// product reports the padding is not known).
    pub original_names: Vec<String>,
    /// Stated, never matched: an installer's imports are its engine stub's,
    /// shared by every installer built with the same engine build.
    pub imphash: Option<Md5>,
    /// The signer, when the first signature's digest matches the file.
    pub signer: Option<SignerFacts>,
    /// The signature's digest does not match the file (changed after
    /// signing): the signer is stated but never used.
    pub signer_mismatch: Option<SignerFacts>,
    pub switches: Option<&'static Switches>,
    /// Omaha: the app GUID of the tag (`appguid=`).
    pub omaha_appguid: Option<String>,
}

/// What the scan says about a Windows Installer package or patch.
#[derive(Debug, Clone, Default)]
pub(crate) struct MsiFacts {
    pub patch: bool,
    /// The file name to look for on msiexec's command line: the input's
    /// name, or a nested entry's name when it is a package name (`*.msi`,
    /// `*.msp`); a container's internal id (Burn's `a0`) would match
    /// unrelated command lines.
    pub package_name: Option<String>,
    pub product_code: Option<String>,
    pub product_name: Option<String>,
    pub product_version: Option<String>,
    pub manufacturer: Option<String>,
    /// The package's signer (stated only: the image is msiexec.exe).
    pub signer: Option<SignerFacts>,
}

/// The two rule shapes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Image(ImageFacts),
    Msiexec(MsiFacts),
}

/// One behaviour rule, before rendering.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub family: Family,
    /// The node's file name (last path component).
    pub name: String,
    /// Input base name, then entry names (` > `): never an absolute path.
    pub display_path: String,
    pub sha256: Sha256,
    pub md5: Option<Md5>,
    pub sha1: Option<Sha1>,
    pub engine_version: Option<String>,
    /// The strong evidence behind the verdict, `signal: detail`.
    pub evidence: Vec<String>,
    /// The node's own errors (a damaged installer still gets its rule).
    pub errors: Vec<String>,
    pub target: Target,
}

impl Rule {
    /// `nsis installer`, `msi package` …
    pub(crate) fn what(&self) -> String {
        match &self.target {
            Target::Image(_) => format!("{} installer", self.family.as_str()),
            Target::Msiexec(m) if m.patch => "Windows Installer patch".to_owned(),
            Target::Msiexec(_) => "Windows Installer package".to_owned(),
        }
    }

    /// The scan reference: file name chain and SHA-256.
    pub(crate) fn reference(&self) -> String {
        format!(
            "installsift scan of {} (SHA-256 {})",
            self.display_path, self.sha256
        )
    }

    /// The rule title: the name cut to 60 characters and the first 12 hex
    /// digits of the SHA-256 (two files of one name get distinct titles).
    pub(crate) fn title(&self) -> String {
        let name = cut(&self.name, 60);
        let mut short = self.sha256.to_string();
        short.truncate(12);
        match &self.target {
            Target::Image(_) => format!("installsift: {} {name} run ({short})", self.what()),
            Target::Msiexec(m) if m.patch => {
                format!("installsift: msiexec applies patch {name} ({short})")
            }
            Target::Msiexec(_) => format!("installsift: msiexec installs {name} ({short})"),
        }
    }

    /// The facts the rule came from, as sentences (shared by both formats'
    /// descriptions).
    pub(crate) fn facts(&self) -> Vec<String> {
        let mut out = vec![format!(
            "installsift scan: {} {} (SHA-256 {}{}{}){}",
            self.what(),
            quote(&self.name),
            self.sha256,
            self.md5.map(|h| format!(", MD5 {h}")).unwrap_or_default(),
            self.engine_version
                .as_deref()
                .map(|v| format!(", engine version {v}"))
                .unwrap_or_default(),
            if self.display_path == self.name {
                String::new()
            } else {
                format!(", found as {}", self.display_path)
            }
        )];
        if !self.evidence.is_empty() {
            out.push(format!("evidence: {}", self.evidence.join("; ")));
        }
        if !self.errors.is_empty() {
            out.push(format!(
                "the scan reported {} error(s) on this file: {}",
                self.errors.len(),
                self.errors
                    .iter()
                    .take(MAX_QUOTED)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        match &self.target {
            Target::Image(f) => {
                if let Some(n) = f.original_names.first() {
                    out.push(format!("version-info OriginalFilename {}", quote(n)));
                }
                if let Some(h) = &f.imphash {
                    out.push(format!(
                        "imphash {h:X} (not matched: it is the engine stub's, shared by every \
                         installer built with the same engine build)"
                    ));
                }
                if let Some(s) = &f.signer {
                    out.push(format!(
                        "Authenticode signer {}{} (issuer {}, serial {}; the signed digest \
                         matches the file; the chain was not validated)",
                        quote(&s.cn),
                        s.org
                            .as_deref()
                            .filter(|o| *o != s.cn)
                            .map(|o| format!(", O={}", quote(o)))
                            .unwrap_or_default(),
                        quote(&s.issuer),
                        s.serial
                    ));
                }
                if let Some(s) = &f.signer_mismatch {
                    out.push(format!(
                        "Authenticode signer {} whose signed digest does NOT match the file (left \
                         out of the rule)",
                        quote(&s.cn)
                    ));
                }
                if let Some(g) = &f.omaha_appguid {
                    out.push(format!("Omaha tag appguid {g}"));
                }
            }
            Target::Msiexec(m) => {
                let mut p = Vec::new();
                for (k, v) in [
                    ("ProductCode", &m.product_code),
                    ("ProductName", &m.product_name),
                    ("ProductVersion", &m.product_version),
                    ("Manufacturer", &m.manufacturer),
                ] {
                    if let Some(v) = v {
                        p.push(format!("{k} {}", quote(v)));
                    }
                }
                if !p.is_empty() {
                    out.push(format!("Property table: {}", p.join(", ")));
                }
                if let Some(s) = &m.signer {
                    out.push(format!(
                        "Authenticode signer {} (issuer {}; the image is msiexec.exe, so the \
                         rule cannot test it)",
                        quote(&s.cn),
                        quote(&s.issuer)
                    ));
                }
            }
        }
        out
    }
}

/// `'value'` for prose (quotes inside kept).
fn quote(s: &str) -> String {
    format!("'{s}'")
}

/// At most `max` characters.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Signer facts of the first (outer) signature: usable when its digest
/// matched the file, else only stated.
fn signer(sigs: &[SignatureInfo]) -> (Option<SignerFacts>, Option<SignerFacts>) {
    let Some(sig) = sigs.iter().find(|s| !s.nested) else {
        return (None, None);
    };
    let Some(s) = &sig.signer else {
        return (None, None);
    };
    let Some(cn) = s
        .subject_cn
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    else {
        return (None, None);
    };
    let facts = SignerFacts {
        cn: cn.to_owned(),
        org: s.subject_o.clone(),
        issuer: s.issuer.clone(),
        serial: s.serial.clone(),
    };
    match sig.digest_matches {
        Some(true) => (Some(facts), None),
        _ => (None, Some(facts)),
    }
}

/// Input base name, then entry names: never the analyst's directories.
fn display_path(path: &[String]) -> String {
    let mut parts = path.iter();
    let first = parts
        .next()
        .map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p).to_owned())
        .unwrap_or_default();
    std::iter::once(first)
        .chain(parts.cloned())
        .collect::<Vec<_>>()
        .join(" > ")
}

/// The rule for a node, or `None` with a warning saying why there is none.
pub(crate) fn rule_for(it: &Item<'_>, warn: &mut Warnings) -> Option<Rule> {
    if it.node.verdict != Verdict::Installer {
        warn.once(
            "bioc-not-installer",
            "nodes that are not installers get no behaviour rule; they are counted as skipped \
             (--only installers filters them out instead)",
        );
        return None;
    }
    let Some(family) = it.node.family else {
        warn.node(it, "skipped: installer without a family");
        return None;
    };
    let facts = it.node.installer.as_ref();
    let base = |target| Rule {
        family,
        name: it.name.to_owned(),
        display_path: display_path(&it.node.path),
        sha256: it.sha256,
        md5: it.md5(),
        sha1: it.sha1(),
        engine_version: facts.and_then(|f| f.engine_version.clone()),
        evidence: it
            .node
            .evidence
            .iter()
            .filter(|e| e.strength == Strength::Strong)
            .take(MAX_QUOTED)
            .map(|e| format!("{}: {}", e.signal, e.detail))
            .collect(),
        errors: it.node.errors.iter().map(ToString::to_string).collect(),
        target,
    };
    match (it.node.format, it.pe, it.cfb) {
        (Format::Pe, Some(pe), _) => {
            if pe.kind != "exe" {
                warn.node(
                    it,
                    format!("skipped: a PE {} is not started as a process", pe.kind),
                );
                return None;
            }
            let mut f = ImageFacts {
                image_name: Some(it.name.to_owned()).filter(|n| {
                    n.len() > 4
                        && n.get(n.len() - 4..)
                            .is_some_and(|e| e.eq_ignore_ascii_case(".exe"))
                }),
                ..ImageFacts::default()
            };
            if let Some(raw) = pe
                .version_info
                .as_ref()
                .and_then(|v| v.original_filename.as_deref())
            {
                let trimmed = raw.trim();
                if !trimmed.is_empty() {
                    f.original_names.push(trimmed.to_owned());
                    if trimmed != raw {
                        f.original_names.push(raw.to_owned());
                    }
                }
            }
            f.imphash = it.imphash();
            (f.signer, f.signer_mismatch) = signer(&pe.signatures);
            if f.signer_mismatch.is_some() {
                warn.node(
                    it,
                    "the Authenticode signature's digest does not match the file (changed after \
                     signing): the signer is left out of the rule",
                );
            }
            f.switches = switches(family);
            if family == Family::Omaha {
                f.omaha_appguid = facts
                    .and_then(|x| x.properties.get("tag.appguid"))
                    .map(|g| g.trim().to_owned())
                    .filter(|g| !g.is_empty());
            }
            if f.switches.is_none() {
                warn.node(
                    it,
                    format!(
                        "no unattended switch documented for {} here: the rule matches this exact \
                         file (SHA-256) only",
                        family.as_str()
                    ),
                );
            }
            Some(base(Target::Image(f)))
        }
        (Format::Msi | Format::Msp, _, cfb) => {
            let props = cfb.and_then(|c| c.msi.as_ref()).map(|m| &m.properties);
            let prop = |k: &str| {
                props
                    .and_then(|p| p.get(k))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            let (signer_ok, signer_bad) = cfb.map(|c| signer(&c.signatures)).unwrap_or_default();
            let package_name = Some(it.name.to_owned()).filter(|n| {
                it.node.depth == 0
                    || n.rsplit_once('.').is_some_and(|(stem, ext)| {
                        !stem.is_empty()
                            && (ext.eq_ignore_ascii_case("msi") || ext.eq_ignore_ascii_case("msp"))
                    })
            });
            let m = MsiFacts {
                patch: it.node.format == Format::Msp,
                package_name,
                product_code: prop("ProductCode"),
                product_name: prop("ProductName"),
                product_version: prop("ProductVersion"),
                manufacturer: prop("Manufacturer"),
                signer: signer_ok.or(signer_bad),
            };
            if m.package_name.is_none() {
                if m.product_code.is_none() {
                    warn.node(
                        it,
                        "skipped: a nested package whose entry name is not a package file name \
                         and which has no ProductCode: nothing on msiexec's command line names it",
                    );
                    return None;
                }
                warn.node(
                    it,
                    format!(
                        "its entry name `{}` is a container's id, not the file name msiexec \
                         would see: the rule looks for the ProductCode only",
                        it.name
                    ),
                );
            }
            if it.node.depth > 0 {
                warn.node(
                    it,
                    "nested package: a bootstrapper that carries it (Burn, usually InstallShield) \
                     installs it through the Windows Installer API with no msiexec command line; \
                     the rule catches msiexec runs of the extracted file only",
                );
            }
            Some(base(Target::Msiexec(m)))
        }
        (format, _, _) => {
            warn.node(
                it,
                format!(
                    "skipped: its format ({format}) is not a program Windows starts (behaviour \
                     rules cover PE installers and MSI packages and patches)"
                ),
            );
            None
        }
    }
}

/// A rule for a program that has no name to match (no `.exe` name, no
/// version-info OriginalFilename, no Omaha app id) matches its exact file
/// only: say so.
pub(super) fn warn_if_hash_only(rule: &Rule, it: &Item<'_>, warn: &mut Warnings) {
    if let Target::Image(f) = &rule.target {
        if f.switches.is_some()
            && f.original_names.is_empty()
            && f.image_name.is_none()
            && f.omaha_appguid.is_none()
        {
            warn.node(
                it,
                "no program name (.exe) or version-info OriginalFilename: the rule matches \
                 this exact file (SHA-256) only, not other copies run with the family's \
                 switch",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_in_the_table_is_unique_and_switches_are_well_formed() {
        let mut seen = Vec::new();
        for s in SWITCHES {
            assert!(!seen.contains(&s.family), "{:?} twice", s.family);
            seen.push(s.family);
            assert!(!s.list.is_empty());
            for w in s.list {
                assert!(w.text.starts_with(['/', '-']), "{}", w.text);
                assert!(!w.text.contains([' ', '"', '*', '?', '\\']), "{}", w.text);
                assert_eq!(w.prefix, w.text.ends_with('='), "{}", w.text);
                // `dash` replaces a leading `/`.
                assert!(!w.dash || w.text.starts_with('/'), "{}", w.text);
            }
        }
        assert_eq!(switches(Family::Nsis).map(|s| s.case_sensitive), Some(true));
        assert!(switches(Family::SevenZSfx).is_none());
    }

    #[test]
    fn display_path_drops_the_analysts_directories() {
        let p = |v: &[&str]| display_path(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(p(&["/home/ana/cases/x/setup.exe"]), "setup.exe");
        assert_eq!(
            p(&["C:\\Users\\ana\\b.exe", "[burn-attached-1]", "a0"]),
            "b.exe > [burn-attached-1] > a0"
        );
        assert_eq!(p(&["setup.exe"]), "setup.exe");
    }

    #[test]
    fn long_names_are_cut() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
