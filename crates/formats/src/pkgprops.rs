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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    let known = |l: &str| line(l).is_some_and(|(k, _)| KNOWN_KEYS.contains(&k));
    match head {
        [0xFF, 0xFE, ..] => utf16_sniff(head, known),
        [a, 0, ..] if a.is_ascii() => utf16_sniff(head, known),
        _ => {
            // UTF-8, decoded one line at a time and only up to the second
            // non-blank line: most files sniffed are binary and fail at
            // their first, where decoding all of the window (one
            // replacement character per stray byte) cost a tenth of a
            // scan of a cabinet of DLLs. The same text as `text(head)`: a
            // `\n` byte ends any invalid sequence before it, and `lines()`
            // also splits there (a `\r` left at a line's end is blank to
            // `trim` and cut by `line`).
            //
            // A line is decoded only when its bytes could pass: a key
            // (the bytes before the first `=`) that is a known one, or no
            // ASCII byte but whitespace (a line that may be blank). Text
            // that is no properties file (HTML, scripts) fails on the
            // bytes of its first line, undecoded: the lossy decoding of
            // such lines was a tenth of a scan of a CHM of HTML pages.
            let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
            let mut found = 0;
            for l in body.split(|&b| b == b'\n') {
                let maybe = match memchr::memchr(b'=', l) {
                    Some(eq) => KNOWN_KEYS.iter().any(|k| k.as_bytes() == &l[..eq]),
                    None => !l
                        .iter()
                        .any(|&b| b.is_ascii() && !char::from(b).is_whitespace()),
                };
                if !maybe {
                    return false;
                }
                let s = String::from_utf8_lossy(l);
                if s.trim().is_empty() {
                    continue;
                }
                if !known(&s) {
                    return false;
                }
                found += 1;
                if found == 2 {
                    return true;
                }
            }
            false
        }
    }
}

/// [`sniff`] of UTF-16 text: the window decoded whole.
fn utf16_sniff(head: &[u8], known: impl Fn(&str) -> bool) -> bool {
    let t = text(head);
    let mut lines = t.lines().filter(|l| !l.trim().is_empty());
    (0..2).all(|_| lines.next().is_some_and(&known))
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

    /// The sniff as it was before it decoded line by line.
    fn sniff_whole(data: &[u8]) -> bool {
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

    #[test]
    fn line_by_line_sniff_agrees_with_decoding_the_whole_window() {
        let mut cases: Vec<Vec<u8>> = vec![
            SAMPLE.as_bytes().to_vec(),
            [&[0xEF, 0xBB, 0xBF][..], SAMPLE.as_bytes()].concat(),
            // Blank lines (ASCII and Unicode whitespace) before the keys.
            [" \r\n\u{a0}\u{3000}\n\n".as_bytes(), SAMPLE.as_bytes()].concat(),
            // Invalid UTF-8 inside a value and right before a line end.
            b"Applies to=\"a\xff\xfe b\"\r\nLanguage=\"x\xe2\x82\"\n".to_vec(),
            b"Applies to=\"a\xe2\x82\nLanguage=\"x\"\n".to_vec(),
            b"\xff\n\nApplies to=\"a\"\nLanguage=\"x\"".to_vec(),
            b"Applies to=\"a\"\r".to_vec(),
            b"Applies to=\"a\"\rLanguage=\"x\"".to_vec(),
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec(),
            Vec::new(),
            // Text that is no properties file, and near misses.
            b"<html><head><title>x</title></head></html>\n".to_vec(),
            b"Unknown key=\"a\"\nLanguage=\"x\"\n".to_vec(),
            b"\x0b\n\x0c\x85\nApplies to=\"a\"\nLanguage=\"x\"\n".to_vec(),
            b"\xc2\xa0\nApplies to=\"a\"\n\xe3\x80\x80x\n".to_vec(),
            b"Applies to =\"a\"\nLanguage=\"x\"\n".to_vec(),
        ];
        // A window cut inside a multi-byte character, on either side.
        let mut long = SAMPLE.as_bytes().to_vec();
        long.resize(SNIFF_WINDOW - 1, b'x');
        long.extend_from_slice("\u{20ac}".as_bytes());
        cases.push(long);
        // Pseudo-random bytes, with line ends and key text mixed in.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for n in 0..400 {
            let mut d = Vec::new();
            for _ in 0..(n * 7 % 300) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match x % 11 {
                    0 => d.push(b'\n'),
                    1 => d.extend_from_slice(b"Language=\""),
                    2 => d.push(b'"'),
                    3 => d.extend_from_slice(&[0xE2, 0x82]),
                    _ => d.push((x >> 24) as u8),
                }
            }
            cases.push(d);
        }
        for d in &cases {
            assert_eq!(sniff(d), sniff_whole(d), "{:?}", String::from_utf8_lossy(d));
        }
        assert!(cases.iter().filter(|d| sniff(d)).count() >= 3);
    }

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
