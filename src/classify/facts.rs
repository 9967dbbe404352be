//! BIOC hints per family (how it runs silently, what it spawns, where it
//! unpacks) and properties read from the installer's own configuration.

use super::probe;
use super::Subject;
use crate::report::{Family, InstallerFacts};
use memchr::memmem;

/// The hints a defender's behavioural rules key on, per family, as each
/// engine documents them: (silent arguments, process it runs or spawns,
/// where it unpacks).
fn hints(
    f: Family,
) -> (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
) {
    match f {
        Family::Msi => (
            Some("msiexec.exe /i <package> /qn"),
            Some("msiexec.exe"),
            Some("%WINDIR%\\Installer (cached package)"),
        ),
        Family::Msp => (
            Some("msiexec.exe /p <patch> /qn"),
            Some("msiexec.exe"),
            None,
        ),
        Family::Nsis => (
            Some("/S (install directory: /D=<path>, last on the line)"),
            Some("the installer itself; an uninstaller copies itself to %TEMP%\\~nsu.tmp\\Au_.exe"),
            Some("%TEMP%\\nsXXXX.tmp (plugins, $PLUGINSDIR)"),
        ),
        Family::Inno => (
            Some("/VERYSILENT /SUPPRESSMSGBOXES /NORESTART"),
            Some("<name>.tmp (setup loader spawns the unpacked Setup)"),
            Some("%TEMP%\\is-XXXXX.tmp"),
        ),
        Family::InstallShield => (
            Some("/s (InstallScript: /s /f1<setup.iss>; Basic MSI: /s /v\"/qn\")"),
            Some("msiexec.exe for MSI-based setups"),
            Some("%TEMP%\\{GUID}"),
        ),
        Family::WixBurn => (
            Some("/quiet /norestart"),
            Some("a copy of itself from %TEMP%\\{GUID}\\.cr, then msiexec.exe / chained packages"),
            Some("%TEMP%\\{GUID}\\.ba and %ProgramData%\\Package Cache"),
        ),
        Family::Squirrel => (
            Some("--silent"),
            Some("Update.exe --install"),
            Some("%LOCALAPPDATA%\\<app>"),
        ),
        Family::IExpress => (
            Some("/Q (with /T:<dir> /C to only extract)"),
            Some("the RUNPROGRAM command"),
            Some("%TEMP%\\IXP000.TMP"),
        ),
        Family::SevenZSfx => (
            None,
            Some("the RunProgram / ExecuteFile command"),
            Some("%TEMP%\\7zSXXXX.tmp"),
        ),
        Family::Msix => (
            Some("Add-AppxPackage -Path <package>"),
            Some("AppXDeploymentServer (svchost), AppInstaller.exe"),
            Some("%ProgramFiles%\\WindowsApps"),
        ),
        Family::AdvancedInstaller => (Some("/exenoui /qn"), Some("msiexec.exe"), None),
        Family::InstallAware => (Some("/s"), None, None),
        Family::Wise => (Some("/s"), None, None),
        Family::SetupFactory => (Some("/S"), None, None),
        Family::BitRock => (Some("--mode unattended"), None, None),
        Family::Install4j => (Some("-q"), None, None),
        Family::Pkg => (None, Some("installer -pkg <package> -target /"), None),
        Family::Dmg => (None, Some("hdiutil attach"), None),
        _ => (None, None, None),
    }
}

/// Hints plus the properties this family's configuration states.
pub(crate) fn installer_facts(f: Family, s: &Subject<'_>) -> InstallerFacts {
    let (silent, runs, unpacks) = hints(f);
    let mut facts = InstallerFacts {
        engine_version: None,
        silent_args: silent.map(str::to_owned),
        runs: runs.map(str::to_owned),
        unpacks_to: unpacks.map(str::to_owned),
        properties: Default::default(),
    };
    match f {
        Family::SevenZSfx => sevenz_config(s, &mut facts),
        Family::IExpress => iexpress_programs(s, &mut facts),
        Family::WixBurn => burn_bundle(s, &mut facts),
        Family::Inno => inno_version(s, &mut facts),
        Family::InstallShield => installshield_facts(s, &mut facts),
        _ => {}
    }
    facts
}

/// Keys kept from a 7z SFX config, and the longest value kept.
const MAX_CONFIG_KEYS: usize = 32;
const MAX_VALUE: usize = 512;

/// `;!@Install@!UTF-8!` … `;!@InstallEnd@!`: `Key="value"` lines.
fn sevenz_config(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some((_, ov)) = probe::overlay(s) else {
        return;
    };
    let window = &ov[..ov.len().min(64 << 10)];
    let Some(start) = memmem::find(window, b";!@Install@!UTF-8!") else {
        return;
    };
    let body = &window[start..];
    let end = memmem::find(body, b";!@InstallEnd@!").unwrap_or(body.len());
    let text = String::from_utf8_lossy(&body[..end]);
    for line in text.lines().skip(1) {
        if facts.properties.len() >= MAX_CONFIG_KEYS {
            break;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let v: String = v.trim().trim_matches('"').chars().take(MAX_VALUE).collect();
        facts.properties.insert(format!("7z-config.{k}"), v);
    }
}

/// IExpress RUNPROGRAM / POSTRUNPROGRAM resources (NUL-terminated text).
fn iexpress_programs(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some(p) = s.pe() else { return };
    for key in ["RUNPROGRAM", "POSTRUNPROGRAM"] {
        let Some(r) = p.resources.iter().find(|r| {
            let mut parts = r.path.split('/');
            parts.next() == Some("RCDATA") && parts.next() == Some(key)
        }) else {
            continue;
        };
        let (Ok(a), Ok(n)) = (usize::try_from(r.offset), usize::try_from(r.size)) else {
            continue;
        };
        let Some(b) = s.data.get(a..a.saturating_add(n.min(MAX_VALUE))) else {
            continue;
        };
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        let v = String::from_utf8_lossy(&b[..end]).trim().to_owned();
        if !v.is_empty() {
            facts.properties.insert(key.to_owned(), v);
        }
    }
}

/// Bundle id from the `.wixburn` stub (magic, version, then the GUID).
fn burn_bundle(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some(sec) = s
        .pe()
        .and_then(|p| p.sections.iter().find(|x| x.name == ".wixburn"))
    else {
        return;
    };
    let at = sec.raw_offset as usize;
    if crate::formats::le_u32(s.data, at) != Some(0x00F1_4300) {
        return;
    }
    if let Some(g) = probe::bundle_guid(s.data, at + 8) {
        facts.properties.insert("bundle-id".into(), g);
    }
    if let Some(n) = crate::formats::le_u32(s.data, at + 40) {
        facts
            .properties
            .insert("attached-containers".into(), n.to_string());
    }
}

/// `Inno Setup Setup Data (x.y.z)` at the setup-0 offset named by the loader
/// table (revision 1: u32 fields after the 12-byte magic and revision;
/// revision 2 of Inno 6.5+ widens them and is only reported).
/// The launcher's file version (the InstallShield release that built it)
/// and what its records carry.
fn installshield_facts(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some(p) = s.pe() else { return };
    facts.engine_version = p
        .version_info
        .as_ref()
        .and_then(|v| v.fixed_file_version.clone());
    let Some(is) = p.installshield.as_ref() else {
        return;
    };
    facts.properties.insert("layout".into(), is.layout.clone());
    facts
        .properties
        .insert("records".into(), is.record_count.to_string());
    if !is.msi_packages.is_empty() {
        facts
            .properties
            .insert("msi".into(), is.msi_packages.join(", "));
    }
    if let Some(c) = &is.cabinet {
        facts
            .properties
            .insert("cabinet-version".into(), c.version.clone());
        facts
            .properties
            .insert("cabinet-files".into(), c.files.unwrap_or(0).to_string());
    }
}

fn inno_version(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let table = s.pe().and_then(|p| {
        p.resources
            .iter()
            .find(|r| r.path.starts_with("RCDATA/11111/"))
    });
    let Some(r) = table else { return };
    let Ok(t) = usize::try_from(r.offset) else {
        return;
    };
    // magic (12) + revision (4) + TotalSize, OffsetEXE, UncompressedSizeEXE,
    // CRCEXE, Offset0, Offset1 (u32 each in revision 1).
    let rev = crate::formats::le_u32(s.data, t + 12);
    let offset0 = match rev {
        Some(1) => crate::formats::le_u32(s.data, t + 16 + 16).map(u64::from),
        _ => None,
    };
    facts
        .properties
        .insert("loader-table-revision".into(), rev.unwrap_or(0).to_string());
    let Some(o) = offset0.and_then(|o| usize::try_from(o).ok()) else {
        return;
    };
    let Some(head) = s.data.get(o..o.saturating_add(64)) else {
        return;
    };
    if let Some(rest) = head.strip_prefix(b"Inno Setup Setup Data (") {
        let end = rest.iter().position(|&c| c == b')').unwrap_or(0);
        facts.engine_version = Some(String::from_utf8_lossy(&rest[..end]).into_owned());
    }
}
