//! Velopack `Setup.exe` (Squirrel.Windows' successor): the Rust setup stub
//! carries the app's full `.nupkg` (a zip) appended to the image, and finds
//! it through a 48-byte placeholder in its own data: the bundle's file
//! offset (i64 LE), its length (i64 LE), then a 32-byte signature, the
//! SHA-256 of "squirrel bundle" (velopack `src/bins/src/setup.rs`
//! `BUNDLE_PLACEHOLDER`, written by `SetupBundle` in
//! `Velopack.Packaging.Windows`; Clowd.Squirrel 3, Velopack's predecessor,
//! used the same marker). The package id, version, title and authors are read
//! from the `.nuspec` at the root of that zip.

use super::le_u64;
use serde::Serialize;
use std::io::Read;

/// The bundle signature that follows the offset and length.
pub(crate) const BUNDLE_SIGNATURE: [u8; 32] = [
    0x94, 0xf0, 0xb1, 0x7b, 0x68, 0x93, 0xe0, 0x29, 0x37, 0xeb, 0x34, 0xef, 0x53, 0xaa, 0xe7, 0xd4,
    0x2b, 0x54, 0xf5, 0x70, 0x7e, 0xf5, 0xd6, 0xf5, 0x78, 0x54, 0x98, 0x3e, 0x5e, 0x94, 0xed, 0x7d,
];

/// Largest `.nuspec` read.
const MAX_NUSPEC: u64 = 64 << 10;
/// Longest value kept from the `.nuspec`.
const MAX_VALUE: usize = 256;

/// What a Velopack `Setup.exe` carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VelopackInfo {
    /// File offset of the bundled package (as the placeholder states it).
    pub bundle_offset: u64,
    /// Its length.
    pub bundle_size: u64,
    /// File offset of the placeholder (offset, length, signature).
    pub placeholder_offset: u64,
    /// The bundle starts with a zip local header (`PK\3\4`).
    pub bundle_is_zip: bool,
    /// `.nuspec` `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    /// `.nuspec` `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    /// `.nuspec` `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `.nuspec` `authors`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<String>,
    /// The name of the `.nuspec` read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nuspec: Option<String>,
    /// The stub's own version, from its log line `Velopack Setup (x.y.z)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_version: Option<String>,
}

/// The placeholder, searched in `image` (the PE's headers and sections, not
/// its overlay): the last occurrence of the signature with a non-zero
/// offset and length (the stub's template has zeros there).
pub(crate) fn find(data: &[u8], image: &[u8]) -> Option<VelopackInfo> {
    // A forward search first (vectorised; the reverse one is not): every
    // PE is searched, and almost none holds the signature.
    memchr::memmem::find(image, &BUNDLE_SIGNATURE)?;
    let mut end = image.len();
    loop {
        let i = memchr::memmem::rfind(image.get(..end)?, &BUNDLE_SIGNATURE)?;
        end = i;
        let (Some(at), Some(off), Some(len)) = (
            i.checked_sub(16),
            i.checked_sub(16).and_then(|a| le_u64(image, a)),
            i.checked_sub(8).and_then(|a| le_u64(image, a)),
        ) else {
            continue;
        };
        if off == 0 || len == 0 {
            continue;
        }
        let mut v = VelopackInfo {
            bundle_offset: off,
            bundle_size: len,
            placeholder_offset: at as u64,
            ..VelopackInfo::default()
        };
        let bundle = off.checked_add(len).and_then(|e| {
            let a = usize::try_from(off).ok()?;
            let b = usize::try_from(e).ok()?;
            data.get(a..b)
        });
        if let Some(b) = bundle {
            v.bundle_is_zip = b.starts_with(b"PK\x03\x04");
            if v.bundle_is_zip {
                read_nuspec(b, &mut v);
            }
        }
        v.setup_version = setup_version(image);
        return Some(v);
    }
}

/// `Velopack Setup (x.y.z)` in the stub's strings.
fn setup_version(image: &[u8]) -> Option<String> {
    let needle = b"Velopack Setup (";
    let i = memchr::memmem::find(image, needle)? + needle.len();
    let rest = image.get(i..i.checked_add(32)?.min(image.len()))?;
    let end = rest.iter().position(|&b| b == b')')?;
    let v = rest.get(..end)?;
    (!v.is_empty()
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || b".-+".contains(b)))
    .then(|| String::from_utf8_lossy(v).into_owned())
}

fn read_nuspec(bundle: &[u8], v: &mut VelopackInfo) {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bundle)) else {
        return;
    };
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| !n.contains('/') && n.to_ascii_lowercase().ends_with(".nuspec"))
        .map(|n| n.into_owned());
    let Some(name) = name else { return };
    let Ok(f) = zip.by_name(&name) else { return };
    if f.size() > MAX_NUSPEC {
        return;
    }
    let mut text = Vec::new();
    if f.take(MAX_NUSPEC).read_to_end(&mut text).is_err() {
        return;
    }
    let text = String::from_utf8_lossy(&text);
    v.package_id = element(&text, "id");
    v.package_version = element(&text, "version");
    v.title = element(&text, "title");
    v.authors = element(&text, "authors");
    v.nuspec = Some(name);
}

/// The text of the first `<name>…</name>` element (no attributes in the
/// start tag, as NuGet writes them), entities left as written.
fn element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let a = text.find(&open)? + open.len();
    let b = a + text.get(a..)?.find(&close)?;
    let v = text.get(a..b)?.trim();
    (!v.is_empty()).then(|| v.chars().take(MAX_VALUE).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuspec_elements() {
        let t = "<package><metadata><id>App</id><version>1.2.3</version><title> T </title></metadata></package>";
        assert_eq!(element(t, "id").as_deref(), Some("App"));
        assert_eq!(element(t, "version").as_deref(), Some("1.2.3"));
        assert_eq!(element(t, "title").as_deref(), Some("T"));
        assert_eq!(element(t, "authors"), None);
        assert_eq!(element("<id>", "id"), None);
    }

    #[test]
    fn placeholder_with_zeros_or_outside_the_file() {
        let mut image = vec![0u8; 64];
        image[16..48].copy_from_slice(&BUNDLE_SIGNATURE);
        // Template: offset and length zero.
        assert_eq!(find(&image, &image), None);
        // Points past the end: reported, no zip.
        image[0..8].copy_from_slice(&u64::MAX.to_le_bytes());
        image[8..16].copy_from_slice(&100u64.to_le_bytes());
        let v = find(&image, &image).unwrap();
        assert!(!v.bundle_is_zip);
        // Signature at the very start: no room for offset and length.
        assert_eq!(find(&BUNDLE_SIGNATURE, &BUNDLE_SIGNATURE), None);
    }
}
