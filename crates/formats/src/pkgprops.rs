//! The package properties of a Windows update package (`.msu`):
//! `<name>-pkgProperties.txt`, one `Key="Value"` line per property
//! (`ApplicabilityInfo`, `Applies to`, `KB Article Number`, `Installer
//! Engine`, `Package Type`, `Processor Architecture` …), ASCII or UTF-16LE.
//! wusa.exe reads it beside the update's cabinet; it describes the update
//! and installs nothing itself.

use super::container::{Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::{Evidence, Format};
use serde::Serialize;
use std::collections::BTreeMap;

/// Properties kept, and the longest key and value kept.
const MAX_PROPS: usize = 64;
const MAX_KEY: usize = 64;
const MAX_VALUE: usize = 1024;
/// Bytes the sniff decodes.
const SNIFF_WINDOW: usize = 4096;

/// Keys wusa's package properties use; two of them must open the file.
const KNOWN_KEYS: &[&str] = &[
    "ApplicabilityInfo",
    "Applies to",
    "Build Date",
    "Company",
    "File Version",
    "Installation Type",
    "Installer Engine",
    "Installer Version",
    "KB Article Number",
    "Language",
    "Package Type",
    "Processor Architecture",
    "Product Name",
    "Support Link",
];

/// Facts of a package properties file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PkgPropertiesInfo {
    /// `Key` → `Value`, as written (quotes removed).
    pub properties: BTreeMap<String, String>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "msu-properties",
    format: Format::MsuProperties,
    sniff,
    open,
};

/// The text: UTF-16LE (with a BOM, or ASCII-range text with NUL high bytes)
/// or UTF-8 (optional BOM).
fn text(data: &[u8]) -> String {
    let utf16 = |b: &[u8]| {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    match data {
        [0xFF, 0xFE, rest @ ..] => utf16(rest),
        [a, 0, ..] if a.is_ascii() => utf16(data),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}

/// `Key="Value"`, key and value trimmed of nothing (as written).
fn line(l: &str) -> Option<(&str, &str)> {
    let (k, v) = l.trim_end_matches(['\r', '\n']).split_once('=')?;
    let v = v.strip_prefix('"')?.strip_suffix('"')?;
    (!k.is_empty() && k.len() <= MAX_KEY && !v.contains('"')).then_some((k, v))
}

/// The first two lines are known `Key="Value"` properties.
pub fn sniff(data: &[u8]) -> bool {
    let head = data.get(..data.len().min(SNIFF_WINDOW)).unwrap_or(data);
    let t = text(head);
    let mut lines = t.lines().filter(|l| !l.trim().is_empty());
    (0..2).all(|_| {
        lines
            .next()
            .and_then(line)
            .is_some_and(|(k, _)| KNOWN_KEYS.contains(&k))
    })
}

/// Read the properties (a leaf: no entries).
pub fn open<'a>(data: &'a [u8], _opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = PkgPropertiesInfo::default();
    for (k, v) in text(data).lines().filter_map(line) {
        if info.properties.len() >= MAX_PROPS {
            break;
        }
        info.properties
            .insert(k.to_owned(), v.chars().take(MAX_VALUE).collect());
    }
    notes.evidence(Evidence::strong(
        "msu-properties",
        format!(
            "Windows update package properties: {} `Key=\"Value\"` lines",
            info.properties.len()
        ),
        Some(0),
    ));
    Opened::Leaf(Parsed {
        format: Format::MsuProperties,
        metadata: Some(Metadata::PkgProperties(Box::new(info))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "ApplicabilityInfo=\"Windows 8.1 Client;Windows 8.1 WinPE;\"\r\nApplies to=\"Windows 6.3\"\r\nKB Article Number=\"2937592\"\r\n";

    #[test]
    fn ascii_and_utf16_are_read() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(SAMPLE.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        for data in [SAMPLE.as_bytes().to_vec(), utf16] {
            assert!(sniff(&data));
            let props: BTreeMap<_, _> = text(&data)
                .lines()
                .filter_map(line)
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(
                props.get("KB Article Number").map(String::as_str),
                Some("2937592")
            );
            assert_eq!(
                props.get("ApplicabilityInfo").map(String::as_str),
                Some("Windows 8.1 Client;Windows 8.1 WinPE;")
            );
        }
    }

    #[test]
    fn other_key_value_text_is_not_taken() {
        assert!(!sniff(b"name=\"x\"\nversion=\"1\"\n"));
        assert!(!sniff(b"Company=\"x\"\n"), "one line is not enough");
        assert!(!sniff(b"Company=\"x\"\nfoo=\"y\"\n"));
        assert!(!sniff(b""));
        assert!(!sniff(&[0xFF, 0xFE, 0x41]));
    }
}
