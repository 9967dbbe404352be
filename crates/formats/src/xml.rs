//! XML documents that describe installations: the WiX Burn manifest, MSIX /
//! AppX package and bundle manifests, `.appinstaller` files and ClickOnce
//! deployment and application manifests. Other XML is reported as `xml` with
//! its root element only.
//!
//! Only start tags and their attributes are read, by a small bounded scanner
//! (comments, CDATA, processing instructions and DOCTYPE are skipped; the five
//! predefined entities and numeric references are decoded). No DTD, no entity
//! expansion, no external fetch: a hostile document costs one pass over at
//! most [`Limits::max_document_size`](installsift_model::Limits::max_document_size) bytes.
//!
//! Facts: WiX `src/burn/engine` (manifest `Registration`, `Chain`,
//! `Payload`, `Container`), the MSIX `AppxManifest.xml` / `AppxBundleManifest`
//! schemas (`Identity`), the App Installer file schema (`AppInstaller`,
//! `MainPackage` / `MainBundle`), the ClickOnce manifest schema
//! (`urn:schemas-microsoft-com:asm.v2`: `deployment`, `entryPoint`).

use super::container::{Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Evidence, Format};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Packages listed from one Burn chain, payloads per package, and attribute
/// values kept (longer ones are cut).
const MAX_PACKAGES: usize = 1_000;
const MAX_PAYLOADS_PER_PACKAGE: usize = 64;
const MAX_VALUE: usize = 1_024;

/// The ClickOnce manifest namespace.
pub(crate) const ASM_V2: &str = "urn:schemas-microsoft-com:asm.v2";

/// Facts of an XML document.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct XmlInfo {
    /// Root element (as written, prefix included).
    pub root: String,
    /// Its default namespace (`xmlns`), when declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// What the document is, when installsift knows it: `burn-manifest`,
    /// `appx-manifest`, `appx-bundle-manifest`, `appinstaller`,
    /// `clickonce-deployment`, `clickonce-application`, and a macOS flat
    /// package's `pkg-distribution` (`Distribution`) or `pkg-info`
    /// (`PackageInfo`), and a Windows update package's servicing answer file
    /// (`unattend-servicing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<&'static str>,
    /// Package identity (`Identity`, `MainPackage`/`MainBundle` or the
    /// ClickOnce `assemblyIdentity`): Name, Publisher, Version,
    /// ProcessorArchitecture … as written.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub identity: BTreeMap<String, String>,
    /// Other facts of the document (Burn registration, ClickOnce install
    /// mode and provider, App Installer URI, bundle architectures).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Burn: the chained packages, in chain order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<ChainPackage>,
}

/// One package of a Burn chain.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChainPackage {
    /// `MsiPackage`, `ExePackage`, `MspPackage`, `MsuPackage`, `BundlePackage`.
    pub kind: String,
    /// Package id.
    pub id: String,
    /// Version, when stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Payloads: `FilePath` (the name it installs from) and `SourcePath`
    /// (its entry in a container, e.g. `a0`), and the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub payloads: Vec<ChainPayload>,
}

/// A payload of a chained package.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChainPayload {
    /// Payload id.
    pub id: String,
    /// File name as installed/cached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    /// Name inside its container (or a download path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
    /// Container id (absent for external or downloaded payloads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "xml",
    format: Format::Xml,
    sniff,
    open,
};

/// Roots recognised without an XML declaration.
const KNOWN_ROOTS: &[&str] = &[
    "BurnManifest",
    "AppInstaller",
    "Package",
    "Bundle",
    "assembly",
    "asmv1:assembly",
];

/// An XML declaration (UTF-8, optional BOM, or UTF-16 with BOM), or one of
/// the known roots.
pub fn sniff(data: &[u8]) -> bool {
    let head = &data[..data.len().min(256)];
    if !matches!(head, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..]) {
        // UTF-8: unless the first byte after the BOM and blanks is `<`,
        // the decoded text cannot start with one (a stray byte decodes to
        // U+FFFD), so binary data is turned away without decoding it.
        let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
        let first = body
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        if first != Some(&b'<') {
            return false;
        }
    }
    let text = match head {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(head).into_owned(),
    };
    let t = text.trim_start_matches([' ', '\t', '\r', '\n']);
    if t.starts_with("<?xml") {
        return true;
    }
    let Some(rest) = t.strip_prefix('<') else {
        return false;
    };
    KNOWN_ROOTS.iter().any(|r| {
        rest.strip_prefix(r)
            .is_some_and(|after| after.starts_with([' ', '>', '/', '\t', '\r', '\n']))
    })
}

fn utf16(b: &[u8], be: bool) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| {
            if be {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        })
        .collect();
    String::from_utf16_lossy(&units)
}

/// The document as text, within the size limit: borrowed when it is valid
/// UTF-8 (the common case), so a large document is neither copied nor
/// decoded a character at a time; otherwise as `String::from_utf8_lossy`
/// gives it (U+FFFD for each bad sequence).
fn decode(data: &[u8], max: usize) -> Cow<'_, str> {
    let d = &data[..data.len().min(max)];
    match d {
        [0xFF, 0xFE, rest @ ..] => Cow::Owned(utf16(rest, false)),
        [0xFE, 0xFF, rest @ ..] => Cow::Owned(utf16(rest, true)),
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest),
        _ => utf8(d),
    }
}

/// `String::from_utf8_lossy`, checked first with the standard library's
/// word-at-a-time validation (the lossy decoder goes byte by byte).
fn utf8(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Parse the whole document (a leaf: no entries).
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let max = usize::try_from(opts.limits.max_document_size).unwrap_or(usize::MAX);
    if data.len() > max {
        notes.error(Error::limit(
            installsift_model::limits::Limit::MaxDocumentSize,
            format!("XML document of {} bytes; read the first {max}", data.len()),
        ));
    }
    let text = decode(data, max);
    let info = read(&text);
    if let Some(d) = info.document {
        notes.evidence(Evidence::strong(
            "xml-document",
            format!("{d} (root `{}`)", info.root),
            None,
        ));
    }
    Opened::Leaf(Parsed {
        format: Format::Xml,
        metadata: Some(Metadata::Xml(Box::new(info))),
    })
}

/// One start (or empty-element) tag.
#[derive(Debug)]
pub(crate) struct Tag<'a> {
    pub(crate) name: &'a str,
    pub(crate) attrs: Vec<(&'a str, String)>,
    /// `</name>`
    pub(crate) end: bool,
    /// `<name … />`
    pub(crate) empty: bool,
    /// Byte offset just past the tag's `>` (where its text content starts).
    pub(crate) after: usize,
}

impl Tag<'_> {
    pub(crate) fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(self.name)
    }
    pub(crate) fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n.rsplit(':').next() == Some(k))
            .map(|(_, v)| v.as_str())
    }
}

/// Every tag of the document, in order. Each step consumes at least one
/// byte, so the scan ends.
pub(crate) fn tags(text: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || loop {
        let rest = text.get(pos..)?;
        let lt = rest.find('<')?;
        let at = pos + lt;
        let t = text.get(at..)?;
        let skip_to = |close: &str| t.find(close).map_or(text.len(), |e| at + e + close.len());
        if t.starts_with("<!--") {
            pos = skip_to("-->");
            continue;
        }
        if t.starts_with("<![CDATA[") {
            pos = skip_to("]]>");
            continue;
        }
        if t.starts_with("<?") {
            pos = skip_to("?>");
            continue;
        }
        if t.starts_with("<!") {
            pos = skip_to(">");
            continue;
        }
        let (end, body_at) = match t.strip_prefix("</") {
            Some(_) => (true, at + 2),
            None => (false, at + 1),
        };
        let body = text.get(body_at..)?;
        let name_len = body
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(body.len());
        let name = body.get(..name_len)?;
        let mut i = body_at + name_len;
        let mut attrs = Vec::new();
        let mut empty = false;
        loop {
            let r = text.get(i..).unwrap_or("");
            let trimmed = r.trim_start();
            i += r.len() - trimmed.len();
            if trimmed.is_empty() {
                break;
            }
            if let Some(x) = trimmed.strip_prefix("/>") {
                empty = true;
                i = text.len() - x.len();
                break;
            }
            if let Some(x) = trimmed.strip_prefix('>') {
                i = text.len() - x.len();
                break;
            }
            // name = "value"
            let n_len = trimmed
                .find(|c: char| c == '=' || c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(trimmed.len());
            if n_len == 0 {
                // A stray character: step over it.
                i += trimmed.chars().next().map_or(1, char::len_utf8);
                continue;
            }
            let an = &trimmed[..n_len];
            let after = trimmed[n_len..].trim_start();
            let Some(v) = after.strip_prefix('=') else {
                i = text.len() - after.len();
                continue;
            };
            let v = v.trim_start();
            let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                i = text.len() - v.len();
                continue;
            };
            let inner = &v[1..];
            let close = inner.find(q).unwrap_or(inner.len());
            attrs.push((an, unescape(&inner[..close])));
            i = text.len() - inner.len() + (close + 1).min(inner.len());
        }
        pos = i.max(at + 1);
        if name.is_empty() {
            continue;
        }
        return Some(Tag {
            name,
            attrs,
            end,
            empty,
            after: pos,
        });
    })
}

/// Decode the predefined entities and character references; cut long values.
pub(crate) fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let r = &rest[i..];
        let Some(semi) = r.find(';').filter(|&s| s <= 10) else {
            out.push('&');
            rest = &r[1..];
            continue;
        };
        let ent = &r[1..semi];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &r[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &r[1..];
            }
        }
        if out.len() > MAX_VALUE {
            break;
        }
    }
    if out.len() <= MAX_VALUE {
        out.push_str(rest);
    }
    out.chars().take(MAX_VALUE).collect()
}

/// Read what installsift knows from a document's tags.
pub(crate) fn read(text: &str) -> XmlInfo {
    let mut info = XmlInfo::default();
    let mut it = tags(text).filter(|t| !t.end);
    let Some(root) = it.next() else {
        return info;
    };
    info.root = root.name.to_owned();
    info.namespace = root
        .attrs
        .iter()
        .find(|(n, _)| *n == "xmlns")
        .map(|(_, v)| v.clone());
    let declares_asm_v2 = root
        .attrs
        .iter()
        .any(|(n, v)| (*n == "xmlns" || n.starts_with("xmlns:")) && v.eq_ignore_ascii_case(ASM_V2));
    let ns = info.namespace.clone().unwrap_or_default();
    match root.local() {
        "BurnManifest" => burn(text, &mut info),
        "Package" if ns.contains("schemas.microsoft.com/appx/") => {
            info.document = Some("appx-manifest");
            appx(text, &mut info, false);
        }
        "Bundle" if ns.contains("schemas.microsoft.com/appx/") => {
            info.document = Some("appx-bundle-manifest");
            appx(text, &mut info, true);
        }
        "AppInstaller" if ns.contains("schemas.microsoft.com/appx/appinstaller") => {
            info.document = Some("appinstaller");
            appinstaller(&root, text, &mut info);
        }
        "assembly" if declares_asm_v2 => clickonce(text, &mut info),
        // The servicing answer file of a Windows update package (`.msu`).
        "unattend" if ns == "urn:schemas-microsoft-com:unattend" => unattend(text, &mut info),
        // macOS flat packages (inside a xar; the xar parser reads their facts).
        "installer-gui-script" | "installer-script" => {
            info.document = Some("pkg-distribution");
        }
        "pkg-info" => {
            info.document = Some("pkg-info");
            keep(&mut info.identity, &root, &["identifier", "version"]);
        }
        _ => {}
    }
    info
}

fn keep(map: &mut BTreeMap<String, String>, t: &Tag<'_>, keys: &[&str]) {
    for k in keys {
        if let Some(v) = t.attr(k) {
            map.insert((*k).to_owned(), v.to_owned());
        }
    }
}

fn appx(text: &str, info: &mut XmlInfo, bundle: bool) {
    let mut archs: Vec<String> = Vec::new();
    let mut seen_identity = false;
    for t in tags(text).filter(|t| !t.end) {
        match t.local() {
            "Identity" if !seen_identity => {
                seen_identity = true;
                keep(
                    &mut info.identity,
                    &t,
                    &[
                        "Name",
                        "Publisher",
                        "Version",
                        "ProcessorArchitecture",
                        "ResourceId",
                    ],
                );
            }
            // Bundle manifest: one Package element per architecture/resource.
            "Package" if bundle => {
                if let Some(a) = t.attr("Architecture") {
                    if !archs.iter().any(|x| x == a) && archs.len() < 32 {
                        archs.push(a.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    if !archs.is_empty() {
        info.properties
            .insert("architectures".into(), archs.join(","));
    }
}

fn appinstaller(root: &Tag<'_>, text: &str, info: &mut XmlInfo) {
    keep(&mut info.properties, root, &["Uri", "Version"]);
    if let Some(t) = tags(text)
        .filter(|t| !t.end)
        .find(|t| matches!(t.local(), "MainPackage" | "MainBundle"))
    {
        info.properties.insert("main".into(), t.local().to_owned());
        keep(
            &mut info.identity,
            &t,
            &[
                "Name",
                "Publisher",
                "Version",
                "ProcessorArchitecture",
                "Uri",
            ],
        );
    }
}

/// `unattend/servicing/package`: the package a Windows update installs
/// (`assemblyIdentity` name such as `Package_for_KB2937592`, version,
/// architecture) and its `source location` (the update's cabinet).
fn unattend(text: &str, info: &mut XmlInfo) {
    let mut servicing = false;
    let mut package = false;
    for t in tags(text).filter(|t| !t.end) {
        match t.local() {
            "servicing" => servicing = true,
            "package" if servicing => {
                package = true;
                keep(&mut info.properties, &t, &["action"]);
            }
            "assemblyIdentity" if package && info.identity.is_empty() => keep(
                &mut info.identity,
                &t,
                &[
                    "name",
                    "version",
                    "language",
                    "processorArchitecture",
                    "publicKeyToken",
                ],
            ),
            "source" if package => {
                if let Some(v) = t.attr("location") {
                    info.properties
                        .entry("source".into())
                        .or_insert_with(|| v.to_owned());
                }
            }
            _ => {}
        }
    }
    if package {
        info.document = Some("unattend-servicing");
    }
}

fn clickonce(text: &str, info: &mut XmlInfo) {
    let mut identity_done = false;
    let mut deployment = false;
    let mut entry_point = false;
    for t in tags(text).filter(|t| !t.end) {
        match t.local() {
            "assemblyIdentity" if !identity_done => {
                identity_done = true;
                keep(
                    &mut info.identity,
                    &t,
                    &[
                        "name",
                        "version",
                        "publicKeyToken",
                        "processorArchitecture",
                        "language",
                    ],
                );
            }
            "deployment" => {
                deployment = true;
                if let Some(v) = t.attr("install") {
                    info.properties.insert("install".into(), v.to_owned());
                }
                if let Some(v) = t.attr("mapFileExtensions") {
                    info.properties
                        .insert("mapFileExtensions".into(), v.to_owned());
                }
            }
            "deploymentProvider" => {
                if let Some(v) = t.attr("codebase") {
                    info.properties
                        .insert("deploymentProvider".into(), v.to_owned());
                }
            }
            "entryPoint" => entry_point = true,
            "commandLine" if entry_point => {
                if let Some(v) = t.attr("file") {
                    info.properties.insert("entryPoint".into(), v.to_owned());
                }
            }
            "dependentAssembly" if deployment => {
                if let Some(v) = t.attr("codebase") {
                    info.properties
                        .entry("application-manifest".into())
                        .or_insert_with(|| v.to_owned());
                }
            }
            _ => {}
        }
    }
    info.document = if deployment {
        Some("clickonce-deployment")
    } else if entry_point {
        Some("clickonce-application")
    } else {
        None
    };
}

#[derive(Default)]
struct Payload {
    file_path: Option<String>,
    source_path: Option<String>,
    container: Option<String>,
}

fn burn(text: &str, info: &mut XmlInfo) {
    info.document = Some("burn-manifest");
    let mut payloads: HashMap<String, Payload> = HashMap::new();
    let mut refs: Vec<Vec<String>> = Vec::new();
    let mut in_chain = false;
    let mut current: Option<usize> = None;
    let mut containers = 0usize;
    for t in tags(text) {
        let local = t.local();
        if t.end {
            match local {
                "Chain" => in_chain = false,
                "MsiPackage" | "ExePackage" | "MspPackage" | "MsuPackage" | "BundlePackage" => {
                    current = None
                }
                _ => {}
            }
            continue;
        }
        match local {
            "Registration" => {
                for (k, name) in [
                    ("Id", "bundle-id"),
                    ("Code", "bundle-code"),
                    ("Version", "bundle-version"),
                    ("ExecutableName", "executable-name"),
                    ("PerMachine", "per-machine"),
                    ("ProviderKey", "provider-key"),
                    ("Tag", "tag"),
                ] {
                    if let Some(v) = t.attr(k) {
                        info.properties.insert(name.into(), v.to_owned());
                    }
                }
            }
            "Arp" => {
                for (k, name) in [
                    ("DisplayName", "display-name"),
                    ("Publisher", "publisher"),
                    ("DisplayVersion", "display-version"),
                ] {
                    if let Some(v) = t.attr(k) {
                        info.properties.insert(name.into(), v.to_owned());
                    }
                }
            }
            "Container" => containers += 1,
            "Payload" => {
                if let Some(id) = t.attr("Id") {
                    if payloads.len() < 100_000 {
                        payloads.insert(
                            id.to_owned(),
                            Payload {
                                file_path: t.attr("FilePath").map(str::to_owned),
                                source_path: t.attr("SourcePath").map(str::to_owned),
                                container: t.attr("Container").map(str::to_owned),
                            },
                        );
                    }
                }
            }
            "Chain" => in_chain = !t.empty,
            "MsiPackage" | "ExePackage" | "MspPackage" | "MsuPackage" | "BundlePackage"
                if in_chain && info.packages.len() < MAX_PACKAGES =>
            {
                info.packages.push(ChainPackage {
                    kind: local.to_owned(),
                    id: t.attr("Id").unwrap_or_default().to_owned(),
                    version: t.attr("Version").map(str::to_owned),
                    payloads: Vec::new(),
                });
                refs.push(Vec::new());
                current = (!t.empty).then(|| info.packages.len() - 1);
            }
            "PayloadRef" => {
                if let (Some(i), Some(id)) = (current, t.attr("Id")) {
                    if let Some(r) = refs.get_mut(i) {
                        if r.len() < MAX_PAYLOADS_PER_PACKAGE {
                            r.push(id.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (p, ids) in info.packages.iter_mut().zip(refs) {
        for id in ids {
            let found = payloads.get(&id);
            p.payloads.push(ChainPayload {
                file_path: found.and_then(|x| x.file_path.clone()),
                source_path: found.and_then(|x| x.source_path.clone()),
                container: found.and_then(|x| x.container.clone()),
                id,
            });
        }
    }
    info.properties
        .insert("containers".into(), containers.to_string());
    info.properties
        .insert("packages".into(), info.packages.len().to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_borrows_valid_utf8_and_equals_the_lossy_decoding() {
        let doc = "<?xml version=\"1.0\"?><doc>r\u{e9}sum\u{e9} \u{30c7}\u{30fc}\u{30bf}</doc>";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(doc.as_bytes());
        // Valid UTF-8 (with and without a BOM) is borrowed, not copied.
        for (bytes, want) in [(doc.as_bytes(), doc), (bom.as_slice(), doc)] {
            let got = decode(bytes, usize::MAX);
            assert!(matches!(got, Cow::Borrowed(_)), "{got:?}");
            assert_eq!(got, want);
        }
        // Invalid bytes, and a cut inside a character at the size limit:
        // exactly what the lossy decoder gives.
        let mut bad = doc.as_bytes().to_vec();
        bad.insert(30, 0xFF);
        let cut_inside = doc.find('\u{30c7}').expect("kana") + 1;
        for (bytes, max) in [(bad.as_slice(), usize::MAX), (doc.as_bytes(), cut_inside)] {
            let got = decode(bytes, max);
            let lossy = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]);
            assert!(got.contains('\u{fffd}'), "{got:?}");
            assert_eq!(got, lossy);
        }
    }

    /// The sniff without its early turn-away of binary data.
    fn sniff_decoded(data: &[u8]) -> bool {
        let head = &data[..data.len().min(256)];
        let text = match head {
            [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
            [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
            [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
            _ => String::from_utf8_lossy(head).into_owned(),
        };
        let t = text.trim_start_matches([' ', '\t', '\r', '\n']);
        t.starts_with("<?xml")
            || t.strip_prefix('<').is_some_and(|rest| {
                KNOWN_ROOTS.iter().any(|r| {
                    rest.strip_prefix(r)
                        .is_some_and(|a| a.starts_with([' ', '>', '/', '\t', '\r', '\n']))
                })
            })
    }

    #[test]
    fn turning_binary_away_early_agrees_with_decoding() {
        let mut cases: Vec<Vec<u8>> = [
            &b"<?xml version=\"1.0\"?><a/>"[..],
            b"\xEF\xBB\xBF \r\n\t<?xml ?>",
            b"\xEF\xBB\xBF<assembly xmlns=\"x\">",
            b"  \n<Bundle>",
            b"\xff<?xml",
            b"\xEF\xBB<?xml",
            b"\xFF\xFE<\0?\0x\0m\0l\0",
            b"\xFE\xFF\0<\0?\0x\0m\0l",
            b"MZ\x90\0",
            b"",
            b"   ",
        ]
        .iter()
        .map(|c| c.to_vec())
        .collect();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for n in 0..300 {
            let mut d = Vec::new();
            for _ in 0..(n % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                d.push([b' ', b'<', b'\n', 0xEF, 0xFF, (x >> 32) as u8][(x % 6) as usize]);
            }
            d.extend_from_slice(b"<?xml");
            cases.push(d);
        }
        for d in &cases {
            assert_eq!(sniff(d), sniff_decoded(d), "{d:?}");
        }
        assert!(cases.iter().filter(|d| sniff(d)).count() >= 5);
    }

    #[test]
    fn burn_manifest_registration_chain_and_payloads() {
        let m = r#"<?xml version="1.0" encoding="utf-8"?>
<BurnManifest xmlns="http://schemas.microsoft.com/wix/2008/Burn">
  <!-- <Chain><MsiPackage Id="commented"/></Chain> -->
  <Container Id="WixAttachedContainer" FileSize="420" AttachedIndex="1" Attached="yes" Primary="yes" />
  <Payload Id="app.msi" FilePath="app.msi" FileSize="15872" Packaging="embedded" SourcePath="a0" Container="WixAttachedContainer" />
  <Payload Id="tool.exe" FilePath="redist\tool.exe" Packaging="external" SourcePath="redist\tool.exe" />
  <Registration Id="{5B2E1D3C-0000-4000-8000-00000000A001}" ExecutableName="bundle.exe" PerMachine="yes" Tag="" Version="1.2.3.4" ProviderKey="{5B2E1D3C-0000-4000-8000-00000000A001}">
    <Arp Register="yes" DisplayName="Sift &amp; Co Bundle" DisplayVersion="1.2.3.4" Publisher="Sift" />
  </Registration>
  <Chain>
    <ExePackage Id="tool" Cache="yes" InstallArguments="/q"><PayloadRef Id="tool.exe" /></ExePackage>
    <MsiPackage Id="app" Version="1.0.0.0" ProductCode="{X}"><PayloadRef Id="app.msi" /></MsiPackage>
  </Chain>
</BurnManifest>"#;
        let i = read(m);
        assert_eq!(i.document, Some("burn-manifest"));
        assert_eq!(
            i.properties.get("bundle-id").map(String::as_str),
            Some("{5B2E1D3C-0000-4000-8000-00000000A001}")
        );
        assert_eq!(
            i.properties.get("display-name").map(String::as_str),
            Some("Sift & Co Bundle")
        );
        assert_eq!(i.packages.len(), 2);
        assert_eq!(
            (i.packages[1].kind.as_str(), i.packages[1].id.as_str()),
            ("MsiPackage", "app")
        );
        assert_eq!(i.packages[1].payloads[0].source_path.as_deref(), Some("a0"));
        assert_eq!(
            i.packages[0].payloads[0].file_path.as_deref(),
            Some("redist\\tool.exe")
        );
    }

    #[test]
    fn clickonce_needs_the_asm_v2_namespace_and_a_deployment_or_entry_point() {
        let dep = r#"<?xml version="1.0" encoding="utf-8"?>
<asmv1:assembly xsi:schemaLocation="urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd" manifestVersion="1.0" xmlns:asmv1="urn:schemas-microsoft-com:asm.v1" xmlns="urn:schemas-microsoft-com:asm.v2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <assemblyIdentity name="Sift.application" version="1.0.0.0" publicKeyToken="0000000000000000" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" />
  <deployment install="true" mapFileExtensions="true">
    <deploymentProvider codebase="https://example.invalid/Sift.application" />
  </deployment>
</asmv1:assembly>"#;
        let i = read(dep);
        assert_eq!(i.document, Some("clickonce-deployment"));
        assert_eq!(
            i.properties.get("install").map(String::as_str),
            Some("true")
        );
        assert_eq!(
            i.identity.get("name").map(String::as_str),
            Some("Sift.application")
        );
        // A side-by-side manifest (asm.v1/asm.v3 only) is no ClickOnce file.
        let sxs = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity name="x" version="1.0.0.0" type="win32"/>
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3"><security><requestedPrivileges>
  <requestedExecutionLevel level="asInvoker" uiAccess="false"/></requestedPrivileges></security></trustInfo>
</assembly>"#;
        assert_eq!(read(sxs).document, None);
    }

    #[test]
    fn appx_identity_and_bundle_architectures() {
        let m = r#"<?xml version="1.0" encoding="utf-8"?>
<Bundle xmlns="http://schemas.microsoft.com/appx/2013/bundle" SchemaVersion="3.0">
  <Identity Name="Sift.App" Publisher="CN=Sift" Version="1.0.0.0" />
  <Packages>
    <Package Type="application" Version="1.0.0.0" Architecture="x64" FileName="a_x64.msix" />
    <Package Type="application" Version="1.0.0.0" Architecture="arm64" FileName="a_arm64.msix" />
  </Packages>
</Bundle>"#;
        let i = read(m);
        assert_eq!(i.document, Some("appx-bundle-manifest"));
        assert_eq!(i.identity.get("Name").map(String::as_str), Some("Sift.App"));
        assert_eq!(
            i.properties.get("architectures").map(String::as_str),
            Some("x64,arm64")
        );
    }

    /// Deterministic mutations (xorshift) of a real manifest: the reader
    /// ends on every one and never panics.
    #[test]
    fn mutated_manifests_end() {
        let base = crate::test_support::sample("clickonce/sample.application").unwrap_or_default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..300 {
            let mut m = base.clone();
            for _ in 0..8 {
                if m.is_empty() {
                    break;
                }
                let i = (next() as usize) % m.len();
                match next() % 3 {
                    0 => m[i] = b"<>\"'=/&!?"[(next() % 9) as usize],
                    1 => m.truncate(i),
                    _ => {
                        m.remove(i);
                    }
                }
            }
            let _ = read(&String::from_utf8_lossy(&m));
        }
    }

    #[test]
    fn hostile_text_ends() {
        for t in [
            "<",
            "<a",
            "<a b",
            "<a b=",
            "<a b=\"",
            "<!--",
            "<![CDATA[",
            "<?x",
            "</",
            "<a =\"x\">",
            "<a b='&#xFFFFFFFF;&amp'>",
            "<<<<>>>>",
            "<a/ b>",
        ] {
            let _ = read(t);
            let _ = sniff(t.as_bytes());
        }
        assert!(sniff(b"\xEF\xBB\xBF<?xml version='1.0'?><x/>"));
        assert!(sniff(b"\xFF\xFE<\0?\0x\0m\0l\0"));
        assert!(!sniff(b"<html><body>"));
    }
}
