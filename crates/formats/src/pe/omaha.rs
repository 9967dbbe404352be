//! The Omaha (Google Update) tag: what a metainstaller's certificate table
//! says about the app it installs. Facts from google/omaha
//! `base/extractor.cc` (the `Gact` marker, a big-endian length, the tag
//! text); the code is ours.

use super::Region;
use memchr::memmem;

/// Longest tag read (the metainstaller itself rejects 64 KiB or more).
const MAX_TAG: usize = 0xFFFF;

/// An Omaha tag found in the certificate table. Not part of the report
/// (the classifier turns it into evidence and installer facts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmahaTag {
    /// File offset of the `Gact` marker.
    pub offset: u64,
    /// The tag text (`appguid=…&appname=…`), printable ASCII.
    pub text: String,
}

/// The last `Gact` (or `Gact2.0Omaha`) in the certificate table, a
/// big-endian u16 length, then the tag text up to its first NUL: a tag
/// when that text is non-empty printable ASCII.
pub(crate) fn tag(data: &[u8], cert: Region) -> Option<OmahaTag> {
    let a = usize::try_from(cert.offset).ok()?;
    let e = a
        .checked_add(usize::try_from(cert.size).ok()?)?
        .min(data.len());
    let table = data.get(a..e)?;
    let i = memmem::rfind(table, b"Gact")?;
    let mut at = i.checked_add(4)?;
    if table.get(at..)?.starts_with(b"2.0Omaha") {
        at += 8;
    }
    let len = usize::from(u16::from_be_bytes([*table.get(at)?, *table.get(at + 1)?]));
    let raw = table.get(at + 2..at + 2 + len.min(MAX_TAG))?;
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let text = raw.get(..end)?;
    (!text.is_empty() && text.iter().all(|b| b.is_ascii_graphic() || *b == b' ')).then(|| {
        OmahaTag {
            offset: (a + i) as u64,
            text: String::from_utf8_lossy(text).into_owned(),
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::sample;
    use crate::Metadata;

    /// The PE parser alone, as the engine would pull it.
    fn pe_info(rel: &str) -> Option<Box<super::super::PeInfo>> {
        let data = sample(rel)?;
        let l = crate::container::list(super::super::HANDLER.open, &data, &Default::default(), 100);
        match l.parsed.metadata? {
            Metadata::Pe(p) => Some(p),
            _ => None,
        }
    }

    /// A real tagged metainstaller: the PE parser records the tag once.
    #[test]
    fn a_tagged_metainstaller_has_its_tag_recorded() {
        let data = sample("omaha/omaha_tagged.exe").unwrap_or_default();
        let tag = pe_info("omaha/omaha_tagged.exe")
            .and_then(|p| p.omaha_tag)
            .expect("tag");
        let at = usize::try_from(tag.offset).unwrap_or(usize::MAX);
        assert_eq!(data.get(at..at + 4), Some(&b"Gact"[..]));
        assert!(tag.text.contains("appguid="), "{}", tag.text);
    }

    /// The untagged stub (Omaha's `mi_exe_stub`): no tag.
    #[test]
    fn an_untagged_stub_has_none() {
        let p = pe_info("lookalike_real/omaha_mi_exe_stub_1.2.141.5.exe").expect("a PE");
        assert_eq!(p.omaha_tag, None);
    }
}
