//! The Omaha (Google Update) tag: what a metainstaller's certificate table
//! says about the app it installs. Facts from google/omaha
//! `base/extractor.cc` (the `Gact` marker, a big-endian length, the tag
//! text); the code is ours.

use super::{Region, ResourceInfo};
use crate::le_u32;
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

/// The first non-empty `B/102` resource (`IDR_PAYLOAD`; type and name
/// compared without case) whose data lies in the file.
fn payload_resource<'a>(data: &'a [u8], resources: &[ResourceInfo]) -> Option<&'a [u8]> {
    resources
        .iter()
        .filter(|r| {
            let mut p = r.path.split('/');
            p.next().is_some_and(|t| t.eq_ignore_ascii_case("B"))
                && p.next().is_some_and(|n| n.eq_ignore_ascii_case("102"))
        })
        .filter_map(|r| {
            let a = usize::try_from(r.offset).ok()?;
            let b = a.checked_add(usize::try_from(r.size).ok()?)?;
            data.get(a..b)
        })
        .find(|b| !b.is_empty())
}

/// An Omaha metainstaller's payload (resource `B/102`): an LZMA-alone
/// stream (google/omaha `mi_exe_stub/mi.cc` decompresses it with the LZMA
/// SDK) whose output is a tar archive, directly or after the 20-byte header
/// of Omaha 1.3's BCJ2 split. Returns the first member's name; only the
/// first 1 KiB is decoded.
pub(crate) fn payload_first_member(data: &[u8], resources: &[ResourceInfo]) -> Option<String> {
    use std::io::Read;
    let b = payload_resource(data, resources)?;
    let props = *b.first()?;
    let dict = le_u32(b, 1)?;
    if props >= 225 || dict < 4096 {
        return None;
    }
    let mut r = crate::lzma::LzmaReader::lzma(props, 1 << 16, b.get(13..)?).ok()?;
    let mut head = [0u8; 1024];
    let mut got = 0;
    while got < head.len() {
        match r.read(head.get_mut(got..)?) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let head = head.get(..got)?;
    [0usize, 20].iter().find_map(|&skip| {
        let tar = head.get(skip..skip + 512)?;
        if tar.get(257..262)? != b"ustar" {
            return None;
        }
        let name = tar.get(..100)?;
        let end = name.iter().position(|&c| c == 0).unwrap_or(100);
        let name = name.get(..end)?;
        (!name.is_empty()).then(|| String::from_utf8_lossy(name).into_owned())
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

    /// The payload resource of the tagged metainstaller decodes to a tar
    /// archive whose first member the PE parser records.
    #[test]
    fn the_payload_first_member_is_recorded() {
        let p = pe_info("omaha/omaha_tagged.exe").expect("a PE");
        let first = p.omaha_payload_member.expect("first member");
        assert_eq!(first, "InstallsiftUpdate.exe");
    }

    /// The untagged stub (Omaha's `mi_exe_stub`): no tag, no payload.
    #[test]
    fn an_untagged_stub_has_none() {
        let p = pe_info("lookalike_real/omaha_mi_exe_stub_1.2.141.5.exe").expect("a PE");
        assert_eq!(p.omaha_tag, None);
        assert_eq!(p.omaha_payload_member, None);
    }
}
