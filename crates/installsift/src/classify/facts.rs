//! BIOC hints per family (how it runs silently, what it spawns, where it
//! unpacks) and properties read from the installer's own configuration.

use super::probe;
use super::Subject;
use crate::formats::xml::XmlInfo;
use crate::formats::Metadata;
use crate::report::{Family, Format, InstallerFacts, Node};
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
        Family::Msu => (
            Some("wusa.exe <package.msu> /quiet /norestart"),
            Some("wusa.exe, then TrustedInstaller.exe (Component Based Servicing)"),
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
        Family::Velopack => (
            Some("--silent (or -s)"),
            Some("Update.exe (unpacked to the install root) applies the bundled package"),
            Some("%LOCALAPPDATA%\\<package id> (current/, packages/)"),
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
        Family::BdistWininst => (
            None,
            Some("the stub itself, which unpacks into the Python installation it finds in the registry"),
            Some("%TEMP% (the install script), the chosen Python's site-packages"),
        ),
        Family::InstallAware => (Some("/s"), None, None),
        Family::Wise => (Some("/s"), None, None),
        Family::SetupFactory => (Some("/S"), None, None),
        Family::BitRock => (Some("--mode unattended"), None, None),
        Family::Install4j => (Some("-q"), None, None),
        Family::Omaha => (
            Some("/silent /install \"<tag>\" (the tag names the app: appguid=…&appname=…&needsadmin=…)"),
            Some("GoogleUpdate.exe /installsource taggedmi /install \"<tag>\" (unpacked from the metainstaller)"),
            Some("%ProgramFiles(x86)%\\Google\\Temp\\GUMxxxx.tmp, or %TEMP%\\GUMxxxx.tmp"),
        ),
        Family::ClickOnce => (
            None,
            Some("dfsvc.exe (ClickOnce service) via rundll32.exe dfshim.dll,ShOpenVerbApplication"),
            Some("%LOCALAPPDATA%\\Apps\\2.0"),
        ),
        Family::Pkg => (
            Some("installer -pkg <package> -target / (command line: no UI)"),
            Some("Installer.app or installer(8), via installd; pre/postinstall scripts run by package_script_service"),
            Some("/Library/InstallerSandboxes/.PKInstallSandboxManager (receipts: /var/db/receipts)"),
        ),
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
        Family::Nsis => nsis_version(s, &mut facts),
        Family::Msix => msix_identity(s, &mut facts),
        Family::Squirrel => squirrel_releases(s, &mut facts),
        Family::Velopack => velopack_package(s, &mut facts),
        Family::SmartInstallMaker => {
            facts.engine_version =
                super::longtail::smart_install_maker_version(s).filter(|v| !v.is_empty());
        }
        Family::BdistWininst => {
            if let Some((_, cfg)) = super::longtail::bdist_wininst(s) {
                for (k, key) in [
                    ("package.name", "name"),
                    ("package.version", "version"),
                    ("title", "title"),
                ] {
                    if let Some(v) = super::longtail::ini_value(&cfg, key) {
                        facts.properties.insert(k.into(), cut(v));
                    }
                }
                facts.engine_version = super::longtail::ini_value(&cfg, "build_info")
                    .and_then(|b| b.rsplit_once("with distutils-"))
                    .map(|(_, v)| v.trim().to_owned());
            }
        }
        Family::AdvancedInstaller => {
            if let Some((at, files)) = super::longtail::advanced_installer_footer(s) {
                facts
                    .properties
                    .insert("footer.offset".into(), at.to_string());
                facts.properties.insert("files".into(), files.to_string());
            }
        }
        Family::Other => {
            if let Some((name, _)) = super::longtail::overlay_builder(s) {
                facts.properties.insert("builder".into(), name.into());
            } else if let Some((_, file)) = super::longtail::vs_bootstrapper(s) {
                facts
                    .properties
                    .insert("builder".into(), "Visual Studio setup bootstrapper".into());
                if let Some(f) = file {
                    facts.properties.insert("installs".into(), f);
                }
            }
        }
        Family::SetupFactory => {
            facts.engine_version = super::longtail::setup_factory_version(s).map(|(_, v)| v);
        }
        Family::ClickOnce => clickonce(s, &mut facts),
        Family::Omaha => omaha_tag(s, &mut facts),
        Family::InstallShield => installshield_facts(s, &mut facts),
        Family::Pkg => pkg_facts(s, &mut facts),
        Family::Msu => msu_facts(s, &mut facts),
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

/// IExpress's RCDATA strings (wextract reads each with FindResource by
/// name; `<None>` means unset): the commands it runs and its prompts.
const IEXPRESS_KEYS: &[&str] = &[
    "RUNPROGRAM",
    "POSTRUNPROGRAM",
    "ADMQCMD",
    "USRQCMD",
    "TITLE",
    "UPROMPT",
    "FINISHMSG",
];

fn iexpress_programs(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some(p) = s.pe() else { return };
    for key in IEXPRESS_KEYS {
        let Some(r) = p.resources.iter().find(|r| {
            let mut parts = r.path.split('/');
            parts.next() == Some("RCDATA") && parts.next() == Some(*key)
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
        if !v.is_empty() && !v.eq_ignore_ascii_case("<None>") {
            if *key == "RUNPROGRAM" {
                facts.runs = Some(format!(
                    "{v} (RUNPROGRAM, started in the extraction directory)"
                ));
            }
            facts.properties.insert((*key).to_owned(), v);
        }
    }
}

/// A descendant (at most `depth` levels down) that matches.
fn find_node<'a>(nodes: &'a [Node], depth: u32, f: &dyn Fn(&Node) -> bool) -> Option<&'a Node> {
    for n in nodes {
        if f(n) {
            return Some(n);
        }
    }
    if depth == 0 {
        return None;
    }
    nodes
        .iter()
        .find_map(|n| find_node(&n.children, depth - 1, f))
}

fn xml_of(n: &Node) -> Option<&XmlInfo> {
    match n.info.metadata.as_ref() {
        Some(Metadata::Xml(x)) => Some(x),
        _ => None,
    }
}

fn cut(v: &str) -> String {
    v.chars().take(MAX_VALUE).collect()
}

/// Bundle id and containers from the `.wixburn` section; registration and
/// chain from the Burn manifest (`0` in the UX container).
fn burn_bundle(s: &Subject<'_>, facts: &mut InstallerFacts) {
    if let Some(b) = s.pe().and_then(|p| p.burn.as_ref()) {
        facts
            .properties
            .insert("bundle-id".into(), b.bundle_id.clone());
        facts.properties.insert(
            "attached-containers".into(),
            b.container_count.saturating_sub(1).to_string(),
        );
        facts
            .properties
            .insert("burn-section-version".into(), b.version.to_string());
    }
    let manifest = find_node(s.children, 2, &|n| {
        xml_of(n).is_some_and(|x| x.document == Some("burn-manifest"))
    })
    .and_then(xml_of);
    let Some(m) = manifest else { return };
    for k in [
        "bundle-version",
        "display-name",
        "publisher",
        "provider-key",
        "per-machine",
        "executable-name",
    ] {
        if let Some(v) = m.properties.get(k) {
            facts.properties.insert(k.into(), cut(v));
        }
    }
    facts.engine_version = m.properties.get("bundle-version").cloned();
    let chain: Vec<String> = m
        .packages
        .iter()
        .take(64)
        .map(|p| {
            let files: Vec<&str> = p
                .payloads
                .iter()
                .filter_map(|x| x.source_path.as_deref().or(x.file_path.as_deref()))
                .collect();
            format!("{}:{} [{}]", p.kind, p.id, files.join(", "))
        })
        .collect();
    if !chain.is_empty() {
        facts
            .properties
            .insert("chain".into(), cut(&chain.join("; ")));
    }
}

/// MSIX identity from the package's manifest (or an .appinstaller's main
/// package).
fn msix_identity(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let own = match s.metadata {
        Some(Metadata::Xml(x)) => Some(&**x),
        _ => None,
    };
    let x = own.or_else(|| probe::appx_manifest_child(s).and_then(xml_of));
    let Some(x) = x else { return };
    xml_properties(x, facts);
    if let Some(d) = x.document {
        if d == "appinstaller" {
            facts.silent_args = Some("Add-AppxPackage -AppInstallerFile <file>".into());
        }
    }
}

/// A flat package's Distribution and PackageInfo facts (read by the xar
/// parser).
fn pkg_facts(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some(Metadata::Xar(x)) = s.metadata else {
        return;
    };
    let Some(p) = &x.pkg else { return };
    let props = &mut facts.properties;
    props.insert("package".into(), p.kind.into());
    if let Some(t) = &p.title {
        props.insert("title".into(), cut(t));
    }
    for (k, v) in &p.product {
        props.insert(format!("product.{k}"), cut(v));
    }
    if let Some(a) = &p.host_architectures {
        props.insert("host-architectures".into(), cut(a));
    }
    let refs: Vec<String> = p
        .pkg_refs
        .iter()
        .map(|r| match &r.version {
            Some(v) => format!("{} {v}", r.id),
            None => r.id.clone(),
        })
        .collect();
    if !refs.is_empty() {
        props.insert("pkg-refs".into(), cut(&refs.join("; ")));
    }
    let comps: Vec<String> = p
        .packages
        .iter()
        .map(|c| {
            let a = |k: &str| c.attributes.get(k).map_or("?", String::as_str);
            format!(
                "{} {} -> {}",
                a("identifier"),
                a("version"),
                a("install-location")
            )
        })
        .collect();
    if !comps.is_empty() {
        props.insert("components".into(), cut(&comps.join("; ")));
    }
    if let Some(sc) = p.packages.iter().find_map(|c| c.attributes.get("scripts")) {
        props.insert("scripts".into(), cut(sc));
    }
    if !x.signatures.is_empty() {
        props.insert("signature".into(), x.signatures.join(","));
    }
}

/// RELEASES lines from Squirrel's embedded zip.
fn squirrel_releases(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let rel = find_node(s.children, 2, &|n| {
        n.info.format == Format::SquirrelReleases
    });
    let Some(Metadata::Releases(r)) = rel.and_then(|n| n.info.metadata.as_ref()) else {
        return;
    };
    let lines: Vec<String> = r
        .entries
        .iter()
        .take(64)
        .map(|e| format!("{} {} {}", e.sha1, e.filename, e.size))
        .collect();
    facts
        .properties
        .insert("releases".into(), cut(&lines.join("; ")));
    if let Some(e) = r.entries.first() {
        facts
            .properties
            .insert("package".into(), e.filename.clone());
    }
}

/// A Windows update package: its `<name>-pkgProperties.txt` (KB number,
/// applicability, package type …) and the package its servicing answer file
/// names (identity); without the properties the KB number is read from the
/// package or member names.
fn msu_facts(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let answer = s
        .children
        .iter()
        .find_map(|c| match c.info.metadata.as_ref() {
            Some(Metadata::Xml(x)) if x.document == Some("unattend-servicing") => Some(x),
            _ => None,
        });
    if let Some(x) = answer {
        for (k, v) in &x.identity {
            facts.properties.insert(format!("package.{k}"), cut(v));
        }
        if let Some(v) = x.properties.get("source") {
            facts.properties.insert("source".into(), cut(v));
        }
    }
    let props = s
        .children
        .iter()
        .find_map(|c| match c.info.metadata.as_ref() {
            Some(Metadata::PkgProperties(p)) => Some(&p.properties),
            _ => None,
        });
    if let Some(p) = props {
        for (key, name) in [
            ("KB Article Number", "kb"),
            ("ApplicabilityInfo", "applicability"),
            ("Applies to", "applies-to"),
            ("Package Type", "package-type"),
            ("Processor Architecture", "architecture"),
            ("Installer Engine", "installer-engine"),
            ("Build Date", "build-date"),
            ("Company", "company"),
            ("Support Link", "support-link"),
        ] {
            if let Some(v) = p.get(key) {
                facts.properties.insert(name.into(), cut(v));
            }
        }
    }
    if facts.properties.contains_key("kb") {
        return;
    }
    let names = answer
        .and_then(|x| x.identity.get("name"))
        .map(String::as_str)
        .into_iter()
        .chain(
            s.children
                .iter()
                .filter_map(|c| c.info.path.last().map(String::as_str)),
        );
    if let Some(kb) = names.filter_map(kb_number).next() {
        facts.properties.insert("kb".into(), kb);
    }
}

/// The digits after `KB` in a Windows update name (`Package_for_KB2937592`,
/// `Windows8.1-KB2937592-x86.cab`).
fn kb_number(name: &str) -> Option<String> {
    let at = name.find("KB")?;
    let digits: String = name
        .get(at + 2..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .take(10)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// The package a Velopack `Setup.exe` bundles (its `.nuspec`), and the
/// setup stub's own version.
fn velopack_package(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some(v) = s.pe().and_then(|p| p.velopack.as_ref()) else {
        return;
    };
    facts.engine_version = v.setup_version.clone();
    for (k, val) in [
        ("package.id", &v.package_id),
        ("package.version", &v.package_version),
        ("package.title", &v.title),
        ("package.authors", &v.authors),
    ] {
        if let Some(val) = val {
            facts.properties.insert(k.into(), cut(val));
        }
    }
    facts
        .properties
        .insert("bundle.offset".into(), v.bundle_offset.to_string());
    facts
        .properties
        .insert("bundle.size".into(), v.bundle_size.to_string());
}

fn clickonce(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let Some(Metadata::Xml(x)) = s.metadata else {
        return;
    };
    xml_properties(x, facts);
}

/// An installation document's identity (as `identity.<attr>`), its other
/// properties and its kind (as `manifest`).
fn xml_properties(x: &XmlInfo, facts: &mut InstallerFacts) {
    for (k, v) in &x.identity {
        facts.properties.insert(format!("identity.{k}"), cut(v));
    }
    for (k, v) in &x.properties {
        facts.properties.insert(k.clone(), cut(v));
    }
    if let Some(d) = x.document {
        facts.properties.insert("manifest".into(), d.into());
    }
}

/// The Omaha tag and the app it names.
fn omaha_tag(s: &Subject<'_>, facts: &mut InstallerFacts) {
    if probe::omaha(s).is_some_and(|h| h.detail.starts_with("Chromium updater")) {
        facts.runs = Some(
            "updater.exe --install (unpacked from the metainstaller; the tag names the app)".into(),
        );
        facts.unpacks_to = Some("%TEMP%\\UPDATERxxxx (the metainstaller's temp directory)".into());
        facts.silent_args =
            Some("--install --silent (tag from the certificate, `Gact2.0Omaha`)".into());
    }
    // The metainstaller stub carries the Omaha release it was built from as
    // its file version (1.2.121.9, 1.3.21.165 …).
    facts.engine_version = s
        .pe()
        .and_then(|p| p.version_info.as_ref())
        .and_then(|v| v.fixed_file_version.clone());
    let Some(tag) = probe::omaha_tag(s).map(|t| t.text.as_str()) else {
        return;
    };
    for pair in tag.split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            if matches!(
                k,
                "appguid" | "appname" | "needsadmin" | "lang" | "ap" | "brand"
            ) {
                facts.properties.insert(format!("tag.{k}"), cut(v));
            }
        }
    }
    facts.properties.insert("tag".into(), cut(tag));
}

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

/// `Inno Setup Setup Data (x.y.z)` at the setup-0 offset the loader table
/// names (its revision and `Offset0` as the PE parser read them,
/// [`crate::formats::inno::LoaderResource`]).
fn inno_version(s: &Subject<'_>, facts: &mut InstallerFacts) {
    inno_parsed(s, facts);
    let Some(t) = s
        .pe()
        .and_then(|p| p.inno_loader.as_ref())
        .and_then(|m| m.resources.first())
    else {
        return;
    };
    facts.properties.insert(
        "loader-table-revision".into(),
        t.revision.unwrap_or(0).to_string(),
    );
    let Some(o) = t.offset0.and_then(|o| usize::try_from(o).ok()) else {
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

/// The NSIS version the data states: `1.x` for NSIS 1.x data, else the
/// version in the default `BrandingText` (`Nullsoft Install System
/// v3.08-3+deb12u1`) when the script kept it. On the NSIS node or the PE
/// whose overlay it is.
fn nsis_version(s: &Subject<'_>, facts: &mut InstallerFacts) {
    let own = match s.metadata {
        Some(Metadata::Nsis(n)) => Some(n.as_ref()),
        _ => None,
    };
    let info = own.or_else(|| {
        s.children.iter().find_map(|c| match &c.info.metadata {
            Some(Metadata::Nsis(n)) => Some(n.as_ref()),
            _ => None,
        })
    });
    let Some(n) = info else { return };
    if n.format_version == "1.x" {
        facts.engine_version = Some("1.x".into());
    } else if let Some(v) = n
        .script
        .branding_text
        .as_deref()
        .and_then(|b| b.strip_prefix("Nullsoft Install System v"))
        .filter(|v| !v.is_empty() && v.len() <= 32)
    {
        facts.engine_version = Some(v.to_owned());
    }
}

/// Facts the Inno parser read from setup-0: on the Inno node itself, or on
/// the PE whose overlay it is.
fn inno_parsed(s: &Subject<'_>, facts: &mut InstallerFacts) {
    use crate::formats::Metadata;
    let own = match s.metadata {
        Some(Metadata::Inno(i)) => Some(i.as_ref()),
        _ => None,
    };
    let info = own.or_else(|| {
        s.children.iter().find_map(|c| match &c.info.metadata {
            Some(Metadata::Inno(i)) => Some(i.as_ref()),
            _ => None,
        })
    });
    let Some(i) = info else { return };
    if !i.version.is_empty() {
        facts.engine_version = Some(i.version.clone());
    }
    let p = &mut facts.properties;
    p.insert("unicode".into(), i.unicode.to_string());
    if let Some(c) = &i.compression {
        p.insert("compression".into(), c.clone());
    }
    p.insert("encrypted".into(), i.encrypted.to_string());
    p.insert("password".into(), i.password.to_string());
    for (k, v) in [
        ("AppName", &i.app_name),
        ("AppVersion", &i.app_version),
        ("AppPublisher", &i.app_publisher),
        ("AppId", &i.app_id),
        ("ArchitecturesInstallIn64BitMode", &i.architectures_64bit),
    ] {
        if !v.is_empty() {
            p.insert(k.into(), v.clone());
        }
    }
    if let Some(pr) = &i.privileges_required {
        p.insert("PrivilegesRequired".into(), pr.clone());
    }
}
