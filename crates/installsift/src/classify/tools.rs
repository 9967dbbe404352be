//! Who built it: the installer engine or SFX module, packers and
//! protectors, compiler, linker and runtime of a node, each with the
//! version the file states and the evidence that named it (issue 21).
//!
//! Content decides. A version is reported only when the file carries it
//! (a branding string, a header field, a version resource of the engine's
//! own stub, a Rich header record); otherwise the tool is named alone.
//! Searches run over named regions (a section, the PE image without its
//! overlay, the last bytes of the file), each at most once per node and
//! bounded by [`SECTION_SEARCH`].

use super::{Classification, Subject};
use crate::formats::pe::toolchain::{self, Product};
use crate::formats::pe::PeInfo;
use crate::formats::Metadata;
use crate::report::{Family, Format, Tool, ToolKind, Verdict};
use memchr::memmem;

/// The most bytes of one section searched for a marker string.
const SECTION_SEARCH: usize = 16 << 20;
/// The tail searched for PyInstaller's cookie (it ends the archive, which
/// ends the file or precedes its signature).
const PYINSTALLER_TAIL: usize = 64 << 10;

/// Every tool identified on this node, installer first, then SFX, packers,
/// protectors, compilers, linkers, runtimes.
pub(crate) fn identify(s: &Subject<'_>, c: &Classification) -> Vec<Tool> {
    let mut out = Vec::new();
    installer(s, c, &mut out);
    if let Some(p) = s.pe() {
        pe_tools(s, p, c, &mut out);
    }
    out.sort_by_key(|t| t.kind);
    out
}

/// A family's name as the tool line shows it.
fn family_name(f: Family) -> Option<&'static str> {
    Some(match f {
        Family::Nsis => "NSIS",
        Family::Inno => "Inno Setup",
        Family::InstallShield => "InstallShield",
        Family::WixBurn => "WiX Burn",
        Family::Squirrel => "Squirrel",
        Family::Velopack => "Velopack",
        Family::IExpress => "IExpress",
        Family::SevenZSfx => "7-Zip",
        Family::RarSfx => "WinRAR",
        Family::ZipSfx => "Zip SFX",
        Family::CabSfx => "Cabinet SFX",
        Family::ArjSfx => "ARJ SFX",
        Family::SetupFactory => "Setup Factory",
        Family::Wise => "Wise",
        Family::AdvancedInstaller => "Advanced Installer",
        Family::InstallAware => "InstallAware",
        Family::Clickteam => "Clickteam Install Creator",
        Family::SmartInstallMaker => "Smart Install Maker",
        Family::GhostInstaller => "Ghost Installer",
        Family::BitRock => "BitRock InstallBuilder",
        Family::Install4j => "install4j",
        Family::QtIfw => "Qt Installer Framework",
        Family::Gentee => "Gentee",
        Family::CreateInstall => "CreateInstall",
        Family::Astrum => "Astrum InstallWizard",
        Family::Vise => "Installer VISE",
        Family::BdistWininst => "bdist_wininst",
        Family::Omaha => "Omaha",
        _ => return None,
    })
}

/// The installer engine (or SFX module, or MSI authoring tool).
fn installer(s: &Subject<'_>, c: &Classification, out: &mut Vec<Tool>) {
    // NSIS data states its engine whatever the verdict (an uninstaller is
    // built by the same makensis).
    if let Some(t) = nsis(s) {
        out.push(t);
        return;
    }
    if matches!(s.format, Format::Msi | Format::Msm | Format::Msp) {
        if let Some(t) = msi_author(s) {
            out.push(t);
        }
        return;
    }
    if let Some(t) = wix_burn(s) {
        out.push(t);
        return;
    }
    if let Some(t) = inno_uninstaller(s) {
        out.push(t);
        return;
    }
    let Some(f) = c.family.filter(|_| c.verdict == Verdict::Installer) else {
        return;
    };
    let Some(name) = family_name(f) else { return };
    let facts = c.installer.as_ref();
    let engine = facts.and_then(|i| i.engine_version.clone());
    let tool = match f {
        Family::Inno => {
            let inno = own_or_child(s, |m| match m {
                Metadata::Inno(i) => Some(i.as_ref()),
                _ => None,
            });
            let mut details = Vec::new();
            if let Some(i) = inno {
                if let Some(c) = &i.compression {
                    details.push(c.clone());
                }
                if i.unicode {
                    details.push("unicode".into());
                }
            }
            Tool::new(
                ToolKind::Installer,
                name,
                "`Inno Setup Setup Data (x.y.z)` ID of setup-0",
            )
            .version(engine)
            .details(Some(details.join(",")))
        }
        Family::InstallShield | Family::Omaha => Tool::new(
            ToolKind::Installer,
            name,
            "the launcher's own version resource (FixedFileInfo file version)",
        )
        .version(engine),
        Family::Velopack => Tool::new(
            ToolKind::Installer,
            name,
            "the Velopack setup stub's own version",
        )
        .version(engine),
        Family::SetupFactory | Family::SmartInstallMaker => Tool::new(
            ToolKind::Installer,
            name,
            "the engine's version string in the runtime",
        )
        .version(engine),
        Family::BdistWininst => Tool::new(
            ToolKind::Installer,
            name,
            "`build_info` of the appended configuration (`… with distutils-x.y`)",
        )
        .version(engine),
        Family::SevenZSfx => sfx_module(s, name, &["7z.sfx", "7zs.sfx", "7zsd.sfx", "7zs2.sfx"]),
        Family::IExpress => sfx_module(s, name, &["wextract"]),
        Family::RarSfx | Family::ZipSfx | Family::CabSfx | Family::ArjSfx => Tool::new(
            ToolKind::Sfx,
            name,
            format!("{} layout: a stub with an archive appended", f.as_str()),
        ),
        _ => Tool::new(
            ToolKind::Installer,
            name,
            format!("installer family {} (evidence above)", f.as_str()),
        ),
    };
    out.push(tool);
}

/// The metadata of this node, or else of the first child that has it.
fn own_or_child<'a, T>(s: &Subject<'a>, pick: impl Fn(&'a Metadata) -> Option<T>) -> Option<T> {
    s.metadata.and_then(&pick).or_else(|| {
        s.children
            .iter()
            .find_map(|c| c.info.metadata.as_ref().and_then(&pick))
    })
}

/// NSIS: the version of the default branding text (`Nullsoft Install
/// System v3.08`), the compression and solid flag of the first header.
fn nsis(s: &Subject<'_>) -> Option<Tool> {
    let n = own_or_child(s, |m| match m {
        Metadata::Nsis(n) => Some(n.as_ref()),
        _ => None,
    })?;
    let (version, evidence) = if n.format_version == "1.x" {
        (
            Some("1.x".to_owned()),
            "first header of NSIS 1.x data (`nsisinstall`)".to_owned(),
        )
    } else {
        match n
            .script
            .branding_text
            .as_deref()
            .and_then(|b| b.strip_prefix("Nullsoft Install System v"))
            .filter(|v| !v.is_empty() && v.len() <= 32 && !v.contains(char::is_whitespace))
        {
            Some(v) => (
                Some(v.to_owned()),
                format!("branding text `Nullsoft Install System v{v}` of the compiled script"),
            ),
            None => match manifest_version(s) {
                Some(v) => (
                    Some(v.clone()),
                    format!("manifest description `Nullsoft Install System v{v}` (makensis writes it)"),
                ),
                None => (
                    None,
                    "NSIS first header (`NullsoftInst`); no branding text or manifest states the version"
                        .to_owned(),
                ),
            },
        }
    };
    let mut details = vec![n.compression.clone()];
    if n.solid {
        details.push("solid".into());
    }
    if n.script.unicode {
        details.push("unicode".into());
    }
    Some(
        Tool::new(ToolKind::Installer, "NSIS", evidence)
            .version(version)
            .details(Some(details.join(","))),
    )
}

/// An Inno Setup uninstaller (`unins000.exe`): its message tail `IMsg`
/// points at the messages it carries, which start `Inno Setup Messages
/// (5.5.3) (u)`: the version of the Inno Setup that built it.
fn inno_uninstaller(s: &Subject<'_>) -> Option<Tool> {
    let tail = s.pe()?.inno_message_tail.as_ref()?;
    let at = usize::try_from(tail.messages).ok()?;
    let head = s.data.get(at..at.checked_add(64)?.min(s.data.len()))?;
    let rest = head.strip_prefix(b"Inno Setup Messages (")?;
    let close = rest.iter().position(|&b| b == b')')?;
    let version = std::str::from_utf8(rest.get(..close)?)
        .ok()
        .filter(|v| {
            !v.is_empty() && v.len() <= 16 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        })
        .map(str::to_owned);
    let unicode = rest.get(close + 1..close + 5) == Some(b" (u)");
    let details = if unicode {
        "uninstall,unicode"
    } else {
        "uninstall"
    };
    Some(
        Tool::new(
            ToolKind::Installer,
            "Inno Setup",
            "uninstaller messages `Inno Setup Messages (x.y.z)` where its `IMsg` tail points",
        )
        .version(version)
        .details(Some(details.into()))
        .at(Some(at as u64)),
    )
}

/// The NSIS version in the PE manifest's description (`<description>Nullsoft
/// Install System v3.08</description>`, which makensis writes unless the
/// script supplies its own manifest).
fn manifest_version(s: &Subject<'_>) -> Option<String> {
    nsis_in_manifest(&s.pe()?.manifest.as_ref()?.text)
}

/// `Nullsoft Install System v<version>` in a manifest's text: the version,
/// when it starts with a digit.
fn nsis_in_manifest(text: &str) -> Option<String> {
    let at = text.find("Nullsoft Install System v")?;
    let rest = text.get(at + "Nullsoft Install System v".len()..)?;
    let v: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~'))
        .take(32)
        .collect();
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

/// An MSI's authoring tool, from the summary information's Creating
/// Application (`Windows Installer XML Toolset (3.11.2.4516)`, `WiX Toolset
/// (5.0.0.51)`, `msitools 0.101`).
fn msi_author(s: &Subject<'_>) -> Option<Tool> {
    let Some(Metadata::Cfb(c)) = s.metadata else {
        return None;
    };
    let app = c
        .msi
        .as_ref()?
        .summary
        .as_ref()?
        .creating_application
        .as_deref()?
        .trim();
    if app.is_empty() {
        return None;
    }
    let (name, version) = creating_application(app);
    Some(
        Tool::new(
            ToolKind::Installer,
            name,
            format!("summary information Creating Application `{app}`"),
        )
        .version(version),
    )
}

/// The tool name and version a Creating Application string states.
fn creating_application(app: &str) -> (String, Option<String>) {
    let wix = ["Windows Installer XML", "WiX Toolset"];
    let version = version_token(app);
    if wix.iter().any(|w| app.starts_with(w)) {
        return ("WiX".into(), version);
    }
    if app.starts_with("msitools") || app.starts_with("libmsi") {
        return ("msitools".into(), version);
    }
    if app.starts_with("InstallShield") {
        return ("InstallShield".into(), version);
    }
    if app.starts_with("Advanced Installer") {
        return ("Advanced Installer".into(), version);
    }
    // Another tool: its name as written, without a version we cannot place.
    let name: String = app.chars().filter(|c| !c.is_control()).take(64).collect();
    (name, None)
}

/// The last word of `s` (inside parentheses, or after a `v`) that is a
/// dotted version of digits: `(3.11.2.4516)`, `v3.0.2925.0`, `0.101`.
fn version_token(s: &str) -> Option<String> {
    s.rsplit(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .find_map(|w| {
            let w = w.strip_prefix('v').unwrap_or(w);
            let parts: Vec<&str> = w.split('.').collect();
            (parts.len() >= 2
                && parts.len() <= 4
                && parts.iter().all(|p| {
                    !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit())
                }))
            .then(|| w.to_owned())
        })
}

/// WiX Burn: the `.wixburn` section (its format version), and the WiX
/// release when the engine's own version resource names the toolset (an
/// unbound engine; a bound bundle carries the bundle's version instead).
fn wix_burn(s: &Subject<'_>) -> Option<Tool> {
    let p = s.pe()?;
    let b = p.burn.as_ref()?;
    let vi = p.version_info.as_ref();
    let toolset = vi.is_some_and(|v| {
        v.product_name
            .as_deref()
            .is_some_and(|n| n.starts_with("Windows Installer XML") || n.starts_with("WiX Toolset"))
    });
    let version = vi
        .filter(|_| toolset)
        .and_then(|v| v.fixed_file_version.clone());
    let evidence = if version.is_some() {
        "`.wixburn` section; version from the engine's version resource (ProductName names the WiX toolset)"
    } else {
        "`.wixburn` section; the version resource is the bundle's, not the engine's: no WiX version"
    };
    let offset = p
        .sections
        .iter()
        .find(|x| x.name == ".wixburn")
        .map(|x| u64::from(x.raw_offset));
    Some(
        Tool::new(ToolKind::Installer, "WiX Burn", evidence)
            .version(version)
            .details(Some(format!("wixburn v{}", b.version)))
            .at(offset),
    )
}

/// A self-extractor module whose own version resource names it (its
/// InternalName is one of `internal`): that version; else the name alone.
fn sfx_module(s: &Subject<'_>, name: &str, internal: &[&str]) -> Tool {
    let vi = s.pe().and_then(|p| p.version_info.as_ref());
    let own = vi.filter(|v| {
        v.internal_name
            .as_deref()
            .is_some_and(|n| internal.contains(&n.trim().to_ascii_lowercase().as_str()))
    });
    match own {
        Some(v) => Tool::new(
            ToolKind::Sfx,
            name,
            format!(
                "the module's own version resource (InternalName `{}`)",
                v.internal_name.as_deref().unwrap_or("")
            ),
        )
        .version(
            v.file_version
                .as_deref()
                .map(|x| x.trim().to_owned())
                .or_else(|| v.fixed_file_version.clone()),
        ),
        None => Tool::new(
            ToolKind::Sfx,
            name,
            "SFX layout; the version resource is not the module's own: no version",
        ),
    }
}

/// A section's bytes, at most [`SECTION_SEARCH`] of them, and its offset.
fn section<'a>(s: &Subject<'a>, p: &PeInfo, name: &str) -> Option<(&'a [u8], u64)> {
    let sec = p.sections.iter().find(|x| x.name == name)?;
    let start = usize::try_from(sec.raw_offset).ok()?;
    let len = usize::try_from(sec.raw_size).ok()?.min(SECTION_SEARCH);
    let end = start.checked_add(len)?.min(s.data.len());
    Some((s.data.get(start..end)?, u64::from(sec.raw_offset)))
}

/// Packers, protectors, compilers, linkers and runtimes of a PE.
fn pe_tools(s: &Subject<'_>, p: &PeInfo, c: &Classification, out: &mut Vec<Tool>) {
    packers(s, p, out);
    if let Some((at, v)) = toolchain::pyinstaller_cookie(s.data, PYINSTALLER_TAIL) {
        out.push(
            Tool::new(
                ToolKind::Packer,
                "PyInstaller",
                "archive cookie `MEI\\x0c\\x0b\\x0a\\x0b\\x0e` (its Python version field)",
            )
            .at(Some(at)),
        );
        if let Some(v) = v {
            out.push(
                Tool::new(
                    ToolKind::Library,
                    "Python",
                    "the Python version field of PyInstaller's cookie",
                )
                .version(Some(v))
                .at(Some(at)),
            );
        }
    } else if let Some((dll, v)) = python_import(p) {
        out.push(
            Tool::new(ToolKind::Library, "Python", format!("imports `{dll}`")).version(Some(v)),
        );
    }
    if c.kind.as_deref() == Some("pyinstaller") && !out.iter().any(|t| t.name == "PyInstaller") {
        out.push(Tool::new(
            ToolKind::Packer,
            "PyInstaller",
            "PyInstaller bootloader (look-alike rule above)",
        ));
    }
    let rdata = section(s, p, ".rdata");
    if let Some((r, base)) = rdata {
        if let Some(at) = memmem::find(r, b"PY2EXE_VERBOSE") {
            out.push(
                Tool::new(
                    ToolKind::Packer,
                    "py2exe",
                    "py2exe run-stub string `PY2EXE_VERBOSE` in .rdata",
                )
                .at(Some(base + at as u64)),
            );
        }
    }
    compilers(s, p, rdata, out);
    if p.dotnet {
        dotnet(s, p, out);
    }
}

/// `python3XX.dll` / `python2X.dll` among the imports: the DLL and its
/// version.
fn python_import(p: &PeInfo) -> Option<(String, String)> {
    p.imports.as_ref()?.dlls.iter().find_map(|d| {
        let l = d.to_ascii_lowercase();
        let digits = l.strip_prefix("python")?.strip_suffix(".dll")?;
        if !(2..=3).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (major, minor) = digits.split_at(1);
        Some((d.clone(), format!("{major}.{minor}")))
    })
}

/// UPX (pack header, else its section names), and the packers and
/// protectors known by section names only.
fn packers(s: &Subject<'_>, p: &PeInfo, out: &mut Vec<Tool>) {
    let has = |n: &str| p.sections.iter().any(|x| x.name.eq_ignore_ascii_case(n));
    let upx_sections = has("UPX0") || has("UPX1");
    if let Some(u) = toolchain::upx_header(s.data) {
        let mut details = Vec::new();
        if let Some(m) = u.method_name() {
            details.push(m.to_owned());
        }
        details.push(format!("level {}", u.level));
        let evidence = match &u.release {
            Some(r) => format!(
                "pack header `UPX!` (format {}, checksum verified); release string `{r}` before it",
                u.format
            ),
            None => format!(
                "pack header `UPX!` (format {}, checksum verified); no release string before it",
                u.format
            ),
        };
        out.push(
            Tool::new(ToolKind::Packer, "UPX", evidence)
                .version(u.release.clone())
                .details(Some(details.join(",")))
                .at(Some(u.offset)),
        );
    } else if upx_sections {
        out.push(Tool::new(
            ToolKind::Packer,
            "UPX",
            "sections `UPX0`/`UPX1`; no pack header with a valid checksum (modified or damaged): name only",
        ));
    }
    for (section, kind, name) in [
        (".aspack", ToolKind::Packer, "ASPack"),
        (".adata", ToolKind::Packer, "ASPack"),
        (".MPRESS1", ToolKind::Packer, "MPRESS"),
        (".petite", ToolKind::Packer, "Petite"),
        (".WWP32", ToolKind::Packer, "WWPack32"),
        ("MEW", ToolKind::Packer, "MEW"),
        (" KuNgBiM", ToolKind::Packer, "PESpin"),
        (".themida", ToolKind::Protector, "Themida"),
        (".winlice", ToolKind::Protector, "WinLicense"),
        (".vmp0", ToolKind::Protector, "VMProtect"),
        (".enigma1", ToolKind::Protector, "Enigma Protector"),
    ] {
        if has(section) && !out.iter().any(|t| t.name == name) {
            out.push(Tool::new(
                kind,
                name,
                format!("section `{section}`; the packer leaves no version we read: name only"),
            ));
        }
    }
}

/// Compiler and linker: the Rich header (MSVC), else the optional header's
/// linker version with the marks of Delphi or MinGW; Go and Rust.
fn compilers(s: &Subject<'_>, p: &PeInfo, rdata: Option<(&[u8], u64)>, out: &mut Vec<Tool>) {
    let linker = toolchain::linker_version(s.data);
    if let Some(r) = toolchain::rich_header(s.data) {
        msvc(&r, linker, out);
    } else if let Some((major, minor, at)) = linker {
        let delphi_resource = p.resources.iter().any(|r| {
            r.path.starts_with("RCDATA/DVCLAL/") || r.path.starts_with("RCDATA/PACKAGEINFO/")
        });
        let delphi_sections = p
            .sections
            .iter()
            .any(|x| x.name == "CODE" || x.name == ".itext");
        if (major, minor) == (2, 25) && (delphi_resource || delphi_sections) {
            out.push(
                Tool::new(
                    ToolKind::Linker,
                    "Turbo Linker",
                    "linker version 2.25 in the optional header",
                )
                .version(Some("2.25".into()))
                .at(Some(at)),
            );
            let what = if delphi_resource {
                "resource DVCLAL/PACKAGEINFO of the Delphi runtime"
            } else {
                "sections CODE or .itext of Delphi's linker"
            };
            out.push(Tool::new(
                ToolKind::Compiler,
                "Delphi",
                format!("{what}; Delphi leaves no compiler version: name only"),
            ));
        } else if major == 2 && p.sections.iter().any(|x| x.name == ".CRT") {
            out.push(
                Tool::new(
                    ToolKind::Linker,
                    "GNU ld",
                    format!(
                        "linker version {major}.{minor} in the optional header (binutils), a `.CRT` section, no Rich header"
                    ),
                )
                .version(Some(format!("{major}.{minor}")))
                .at(Some(at)),
            );
            if let Some((v, off)) = rdata.and_then(|(r, base)| gcc_version(r, base)) {
                out.push(
                    Tool::new(
                        ToolKind::Compiler,
                        "GCC",
                        "`GCC: (…) version` identification string in .rdata",
                    )
                    .version(Some(v))
                    .at(Some(off)),
                );
            }
        }
    }
    // Go puts its build information at the start of .data.
    if let Some((d, base)) = section(s, p, ".data") {
        if let Some((at, v)) = toolchain::go_buildinfo(d.get(..d.len().min(1 << 20)).unwrap_or(d)) {
            let evidence = if v.is_some() {
                "`\\xff Go buildinf:` header with the Go release inline"
            } else {
                "`\\xff Go buildinf:` header; its version is not inline: name only"
            };
            out.push(
                Tool::new(ToolKind::Compiler, "Go", evidence)
                    .version(v.map(|v| v.trim_start_matches("go").to_owned()))
                    .at(Some(base + at)),
            );
        }
    }
    if let Some((r, base)) = rdata {
        if let Some((at, commit)) = toolchain::rustc_commit(r) {
            out.push(
                Tool::new(
                    ToolKind::Compiler,
                    "Rust",
                    format!("rustc source path `/rustc/{commit}/` in .rdata (the commit names the release; no version string)"),
                )
                .details(Some(format!("commit {}", commit.get(..9).unwrap_or(&commit))))
                .at(Some(base + at)),
            );
        }
    }
}

/// `GCC: (GNU) 12-win32` → `12-win32`: the first word after the
/// parenthesis, when it starts with a digit.
fn gcc_version(r: &[u8], base: u64) -> Option<(String, u64)> {
    let at = memmem::find(r, b"GCC: (")?;
    let rest = r.get(at + 6..)?;
    let close = rest.iter().take(64).position(|&b| b == b')')?;
    let after = rest.get(close + 1..)?;
    let word: Vec<u8> = after
        .iter()
        .skip_while(|&&b| b == b' ')
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        .take(32)
        .copied()
        .collect();
    let w = String::from_utf8(word).ok()?;
    w.starts_with(|c: char| c.is_ascii_digit())
        .then_some((w, base + at as u64))
}

/// MSVC from the Rich header: the linker (the optional header's version and
/// the linker record's build), and the compiler record of the same build
/// (else the newest), its language; a checksum mismatch is said on both.
fn msvc(r: &toolchain::RichHeader, linker: Option<(u8, u8, u64)>, out: &mut Vec<Tool>) {
    let bad = (!r.checksum_ok()).then(|| {
        format!(
            "Rich checksum mismatch (stored {:#010x}, computed {:#010x})",
            r.stored_checksum, r.computed_checksum
        )
    });
    let link = r
        .entries
        .iter()
        .filter(|e| matches!(toolchain::product(e.product), Product::Linker(_)))
        .max_by_key(|e| e.build);
    let verified = if r.checksum_ok() {
        ", checksum verified"
    } else {
        ""
    };
    match (link, linker) {
        // The record's product names the linker release before 2015
        // (Linker620 is 6.20 whatever the header says); from 2015 on it
        // says only 14, and the optional header gives the minor.
        (Some(l), header) => {
            let version = match (toolchain::product(l.product), header) {
                (Product::Linker("14"), Some((14, minor, _))) => {
                    Some(format!("14.{minor:02}.{}", l.build))
                }
                (Product::Linker("14"), _) => None,
                (Product::Linker(v), _) => Some(format!("{v}.{}", l.build)),
                _ => None,
            };
            let mut details: Vec<String> = Vec::new();
            if version.is_none() {
                details.push(format!("build {}", l.build));
            }
            details.extend(bad.clone());
            out.push(
                Tool::new(
                    ToolKind::Linker,
                    "MSVC",
                    format!(
                        "Rich header linker record (product {}, build {}){verified}; optional header linker version {}",
                        l.product,
                        l.build,
                        header.map_or("unreadable".to_owned(), |(a, b, _)| format!("{a}.{b}"))
                    ),
                )
                .version(version)
                .details(Some(details.join(",")))
                .at(Some(r.offset)),
            );
        }
        (None, Some((major, minor, at))) => out.push(
            Tool::new(
                ToolKind::Linker,
                "MSVC",
                format!(
                    "optional header linker version {major}.{minor}; a Rich header{verified} but no linker record in it"
                ),
            )
            .version(Some(format!("{major}.{minor:02}")))
            .details(bad.clone())
            .at(Some(at)),
        ),
        (None, None) => {}
    }
    let compilers = r
        .entries
        .iter()
        .filter_map(|e| match toolchain::product(e.product) {
            Product::Compiler(v, lang) => Some((e, v, lang)),
            _ => None,
        });
    let same = link.and_then(|l| compilers.clone().find(|(e, _, _)| e.build == l.build));
    // Else the newest: by the release the product id names (a VC6 object
    // of build 9044 is older than a 13.10 one of build 2190), then build.
    let newest = compilers.max_by_key(|(e, v, _)| (release_key(v), e.build));
    let Some((e, v, lang)) = same.or(newest) else {
        return;
    };
    let version = if v == "19" {
        // The product id says 2015 or later; the minor is the linker's of
        // the same toolset (19.xx ships with link 14.xx), so only a
        // compiler of the linker's build gets it.
        match (link, linker) {
            (Some(l), Some((14, minor, _))) if l.build == e.build => {
                Some(format!("19.{minor:02}.{}", e.build))
            }
            _ => None,
        }
    } else {
        Some(format!("{v}.{}", e.build))
    };
    let mut details = vec![lang.to_owned()];
    if version.is_none() {
        details.push(format!("build {}", e.build));
    }
    details.extend(bad);
    out.push(
        Tool::new(
            ToolKind::Compiler,
            "MSVC",
            format!(
                "Rich header compiler record (product {}, build {}, {} objects)",
                e.product, e.build, e.count
            ),
        )
        .version(version)
        .details(Some(details.join(",")))
        .at(Some(r.offset)),
    );
}

/// `"13.10"` → (13, 10); `"19"` (2015 and later, minor unknown) sorts
/// after every 18.x.
fn release_key(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    (major, parts.next().unwrap_or(u32::MAX))
}

/// .NET: the metadata root's runtime version, and the target framework
/// the assembly's attribute names.
fn dotnet(s: &Subject<'_>, p: &PeInfo, out: &mut Vec<Tool>) {
    let Some((at, v)) = toolchain::dotnet_runtime(s.data, &p.sections) else {
        out.push(Tool::new(
            ToolKind::Library,
            ".NET",
            "CLR header data directory; the metadata root could not be read: name only",
        ));
        return;
    };
    let framework = section(s, p, ".text").and_then(|(t, _)| toolchain::target_framework(t));
    out.push(
        Tool::new(
            ToolKind::Library,
            ".NET",
            "metadata root (`BSJB`) version string through the CLR header",
        )
        .version(Some(v))
        .details(framework.map(|(_, f)| f))
        .at(Some(at)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creating_application_names_and_versions() {
        for (app, name, v) in [
            (
                "Windows Installer XML Toolset (3.11.2.4516)",
                "WiX",
                Some("3.11.2.4516"),
            ),
            (
                "Windows Installer XML v3.0.2925.0",
                "WiX",
                Some("3.0.2925.0"),
            ),
            ("WiX Toolset (5.0.0.51)", "WiX", Some("5.0.0.51")),
            ("Windows Installer XML Toolset ()", "WiX", None),
            ("msitools 0.101", "msitools", Some("0.101")),
            ("libmsi msibuild", "msitools", None),
            (
                "InstallShield® 2010 - Express Edition 16",
                "InstallShield",
                None,
            ),
            ("Windows Installer", "Windows Installer", None),
            // Garbage after a version-like word: no version invented.
            ("WiX Toolset (5.0.x.51)", "WiX", None),
        ] {
            let (n, got) = creating_application(app);
            assert_eq!((n.as_str(), got.as_deref()), (name, v), "{app}");
        }
    }

    #[test]
    fn nsis_version_from_the_manifest_description() {
        let m = "<assembly><description>Nullsoft Install System v2.46</description></assembly>";
        assert_eq!(nsis_in_manifest(m).as_deref(), Some("2.46"));
        let deb = "<description>Nullsoft Install System v3.08-3+deb12u1</description>";
        assert_eq!(nsis_in_manifest(deb).as_deref(), Some("3.08-3+deb12u1"));
        // Garbage where the version should be: none, not a guess.
        assert_eq!(nsis_in_manifest("Nullsoft Install System v<script>"), None);
        assert_eq!(nsis_in_manifest("Nullsoft Install System v"), None);
        let long = format!("Nullsoft Install System v{}", "9".repeat(100));
        assert_eq!(nsis_in_manifest(&long).map(|v| v.len()), Some(32));
    }

    #[test]
    fn newest_compiler_release_sorts_by_release_then_build() {
        assert!(release_key("13.10") > release_key("12.00"));
        assert!(release_key("19") > release_key("18.10"));
        assert!(release_key("14.00") > release_key("13.10"));
    }

    #[test]
    fn gcc_identification_string() {
        let r = b"\0\0GCC: (GNU) 12-win32\0GCC: (GNU) 10";
        assert_eq!(gcc_version(r, 100), Some(("12-win32".into(), 102)));
        assert_eq!(gcc_version(b"GCC: (GNU) \xff\xfe", 0), None);
        assert_eq!(gcc_version(b"GCC: (", 0), None);
    }

    #[test]
    fn tool_line_is_die_style() {
        use crate::render::tools_line as line;
        let t = vec![
            Tool::new(ToolKind::Installer, "NSIS", "x")
                .version(Some("3.08".into()))
                .details(Some("lzma,solid".into())),
            Tool::new(ToolKind::Packer, "UPX", "y"),
        ];
        assert_eq!(
            line(&t).as_deref(),
            Some("Installer: NSIS(3.08)[lzma,solid]; Packer: UPX")
        );
        assert_eq!(line(&[]), None);
    }
}
