//! Authenticode digests of a PE, from our own bounds-checked ranges.
//!
//! The ranges follow Microsoft's *Windows Authenticode Portable Executable
//! Signature Format* (Authenticode_PE.docx, "Calculating the PE Image Hash"):
//!
//! 1. the headers from offset 0 up to SizeOfHeaders, without the optional
//!    header's CheckSum (4 bytes) and without the Certificate Table entry of
//!    the data directories (8 bytes);
//! 2. every section whose SizeOfRawData is not 0, sorted by PointerToRawData;
//! 3. the data after the sections: from SUM_OF_BYTES_HASHED (SizeOfHeaders
//!    plus every hashed section's SizeOfRawData, used as a file offset as the
//!    specification does) to the end of the file, without the attribute
//!    certificate table;
//! 4. when the file size is not a multiple of 8, `8 - size % 8` zero bytes.
//!
//! Step 4 is what Windows does (signature checks, AppLocker and WDAC hash
//! rules, `Get-AppLockerFileInformation`): the *padded* digests
//! ([`AuthenticodeHashes::sha256`], [`AuthenticodeHashes::sha1`]). VirusTotal's
//! "authentihash", System Informer and google/authenticode-rs leave it out: the
//! *unpadded* digests. The two differ only for files whose size is not a
//! multiple of 8, which is never the case for a file osslsigncode or signtool
//! signed (both pad the file before appending the signature), and often the
//! case for an unsigned file with an odd-sized overlay.
//!
//! One choice the specification does not make: it assumes the certificate
//! table is the last thing in the file and hashes `FileSize - (CertSize +
//! SUM_OF_BYTES_HASHED)` bytes after the sections. When data follows the
//! certificate table (a payload appended to a signed file, which Windows
//! rejects as a signature since MS13-098 and osslsigncode refuses to verify),
//! the literal reading would hash part of the signature. We instead hash
//! everything after the sections except the certificate table itself, which
//! is the same thing whenever the table is at the end.

use super::{le_u16, le_u32, Layout};
use installsift_model::error::Error;
use installsift_model::hash::{Sha1, Sha256};
use serde::Serialize;
use sha2::Digest as _;

/// The Authenticode digests of a PE image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuthenticodeHashes {
    /// SHA-256 with the zero padding to a multiple of 8 bytes: the value
    /// Windows computes (AppLocker `FileHash`, WDAC `Hash Sha256`, the
    /// `messageDigest` a signer puts in the signature). Serialized as
    /// lowercase hex.
    pub sha256: Sha256,
    /// SHA-1 of the same bytes (WDAC `Hash Sha1`).
    pub sha1: Sha1,
    /// SHA-256 without the padding: VirusTotal's "authentihash". Equal to
    /// `sha256` when `padding` is 0.
    pub sha256_unpadded: Sha256,
    /// SHA-1 without the padding.
    pub sha1_unpadded: Sha1,
    /// Zero bytes appended for the padded digests (0 to 7).
    pub padding: u8,
}

/// Header offsets needed beyond [`Layout`]: where the CheckSum field and the
/// data directories are.
pub(super) struct HeaderOffsets {
    /// File offset of the optional header.
    pub opt: usize,
    /// Size of the optional header as the COFF header declares it.
    pub opt_size: usize,
    /// File offset of data directory 0.
    pub dirs: usize,
    /// NumberOfRvaAndSizes (not capped).
    pub ndirs: u32,
}

impl HeaderOffsets {
    pub(super) fn read(data: &[u8]) -> Result<Self, Error> {
        let lfanew = le_u32(data, 0x3C).ok_or_else(|| Error::truncated("no e_lfanew"))?;
        let coff = usize::try_from(lfanew)
            .ok()
            .and_then(|l| l.checked_add(4))
            .ok_or_else(|| Error::malformed("e_lfanew overflows"))?;
        let opt_size = usize::from(
            le_u16(data, coff.saturating_add(16))
                .ok_or_else(|| Error::truncated("COFF header runs past the end"))?,
        );
        let opt = coff.saturating_add(20);
        let magic = le_u16(data, opt)
            .ok_or_else(|| Error::truncated("optional header runs past the end"))?;
        let (ndirs_at, dirs) = match magic {
            0x10b => (opt + 92, opt + 96),
            0x20b => (opt + 108, opt + 112),
            m => {
                return Err(Error::malformed(format!(
                    "optional header magic {m:#x} is neither PE32 nor PE32+"
                )))
            }
        };
        let ndirs = le_u32(data, ndirs_at)
            .ok_or_else(|| Error::truncated("NumberOfRvaAndSizes runs past the end"))?;
        Ok(HeaderOffsets {
            opt,
            opt_size,
            dirs,
            ndirs,
        })
    }

    /// Data directory `i` as (RVA or offset, size), when the header declares
    /// it and it lies inside the optional header and the data.
    pub(super) fn dir(&self, data: &[u8], i: usize) -> Option<(u32, u32)> {
        if i as u64 >= u64::from(self.ndirs) {
            return None;
        }
        let at = self.dirs.checked_add(i.checked_mul(8)?)?;
        if at.checked_add(8)? > self.opt.checked_add(self.opt_size)? {
            return None;
        }
        Some((le_u32(data, at)?, le_u32(data, at + 4)?))
    }
}

/// The byte ranges that make up the Authenticode digest, in order, and the
/// padding length. Every range lies inside `data`.
pub(super) fn ranges(
    data: &[u8],
    layout: &Layout,
) -> Result<(Vec<std::ops::Range<usize>>, u8), Error> {
    let len = data.len();
    let h = HeaderOffsets::read(data)?;
    let checksum = h.opt + 64;
    // Without a Certificate Table entry (fewer than 5 data directories) the
    // specification's steps do not apply; signers never produce such files,
    // and we refuse them rather than guess.
    if h.ndirs < 5 {
        return Err(Error::unsupported(format!(
            "authenticode: only {} data directories, no certificate table entry",
            h.ndirs
        )));
    }
    let cert_entry = h.dirs + 4 * 8;
    let headers_end = layout.size_of_headers as usize;
    if !(checksum + 4 <= cert_entry && cert_entry + 8 <= headers_end) {
        return Err(Error::malformed(format!(
            "authenticode: SizeOfHeaders {headers_end:#x} does not cover the checksum at \
             {checksum:#x} and the certificate table entry at {cert_entry:#x}"
        )));
    }
    if headers_end > len {
        return Err(Error::truncated(format!(
            "authenticode: SizeOfHeaders {headers_end:#x} runs past the end ({len:#x})"
        )));
    }
    let mut out = vec![
        0..checksum,
        checksum + 4..cert_entry,
        cert_entry + 8..headers_end,
    ];
    let mut sections: Vec<(u64, u64)> = layout
        .sections
        .iter()
        .filter(|s| s.raw_size != 0)
        .map(|s| (u64::from(s.raw_offset), u64::from(s.raw_size)))
        .collect();
    sections.sort_by_key(|&(off, _)| off);
    let mut sum = headers_end as u64;
    for (off, size) in sections {
        let end = off + size;
        if end > len as u64 {
            return Err(Error::truncated(format!(
                "authenticode: section data {off:#x}+{size:#x} runs past the end ({len:#x})"
            ))
            .at(off));
        }
        out.push(off as usize..end as usize);
        sum += size;
    }
    if sum < len as u64 {
        let start = sum as usize;
        match layout.cert_dir {
            Some((c_off, c_size)) => {
                let c0 = (c_off as usize).clamp(start, len);
                let c1 = (c_off as usize)
                    .saturating_add(c_size as usize)
                    .clamp(start, len);
                out.push(start..c0);
                out.push(c1..len);
            }
            None => out.push(start..len),
        }
    }
    out.retain(|r| !r.is_empty());
    let padding = ((8 - len % 8) % 8) as u8;
    Ok((out, padding))
}

/// Compute the Authenticode digests of a PE.
pub(super) fn compute(data: &[u8], layout: &Layout) -> Result<AuthenticodeHashes, Error> {
    let (ranges, padding) = ranges(data, layout)?;
    let mut sha256 = sha2::Sha256::new();
    let mut sha1 = sha1::Sha1::new();
    for r in ranges {
        // `ranges` only returns ranges inside `data`.
        let part = data.get(r).unwrap_or(&[]);
        sha256.update(part);
        sha1.update(part);
    }
    let sha256_unpadded = Sha256(sha256.clone().finalize().into());
    let sha1_unpadded = Sha1(sha1.clone().finalize().into());
    let zeros = [0u8; 7];
    let pad = zeros.get(..usize::from(padding)).unwrap_or(&[]);
    sha256.update(pad);
    sha1.update(pad);
    Ok(AuthenticodeHashes {
        sha256: Sha256(sha256.finalize().into()),
        sha1: Sha1(sha1.finalize().into()),
        sha256_unpadded,
        sha1_unpadded,
        padding,
    })
}

/// The Authenticode digest of a PE with one algorithm, padded and unpadded
/// (the two are equal when the file size is a multiple of 8), to compare
/// with the digest a signature signed.
pub(super) fn digest_with(
    data: &[u8],
    layout: &Layout,
    alg: super::signature::DigestAlgorithm,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let (ranges, padding) = ranges(data, layout)?;
    let mut h = alg.hasher();
    for r in ranges {
        h.update(data.get(r).unwrap_or(&[]));
    }
    let unpadded = h.clone().finish();
    let zeros = [0u8; 7];
    h.update(zeros.get(..usize::from(padding)).unwrap_or(&[]));
    Ok((h.finish(), unpadded))
}

#[cfg(test)]
mod tests {
    use super::super::read_layout;
    use super::*;
    use crate::test_support::sample;

    fn digest(data: &[u8]) -> Result<AuthenticodeHashes, Error> {
        compute(data, &read_layout(data)?)
    }

    #[test]
    fn signed_sample_ranges_skip_checksum_entry_and_certificate() {
        let data = sample("pe/signed_x64.exe").unwrap();
        let (ranges, padding) = ranges(&data, &read_layout(&data).unwrap()).unwrap();
        assert_eq!(padding, 0);
        let hashed: usize = ranges.iter().map(|r| r.len()).sum();
        // File minus checksum (4), certificate entry (8) and the 1744-byte table.
        assert_eq!(hashed, data.len() - 4 - 8 - 1744);
        assert!(ranges.iter().all(|r| r.end <= 14848));
    }

    #[test]
    fn section_past_the_end_is_an_error_not_a_panic() {
        let mut data = sample("pe/hello_x64.exe").unwrap();
        let h = HeaderOffsets::read(&data).unwrap();
        // First section header's SizeOfRawData (offset 16 in the header).
        let table = h.opt + h.opt_size;
        data[table + 16..table + 20].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
        assert!(matches!(digest(&data), Err(Error::Truncated { .. })));
        let short = &sample("pe/hello_x64.exe").unwrap()[..600];
        assert!(digest(short).is_err());
    }

    #[test]
    fn mutated_headers_never_panic() {
        let base = sample("pe/signed_x64.exe").unwrap();
        // Fixed-seed xorshift; mutate the first 1 KiB (headers and section table).
        let mut s: u64 = 0x1234_5678_9abc_def1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..400 {
            let mut d = base.clone();
            for _ in 0..1 + next() % 6 {
                let at = (next() % 1024) as usize;
                d[at] = next() as u8;
            }
            if next() % 5 == 0 {
                d.truncate((next() % d.len() as u64) as usize);
            }
            if let Ok(layout) = read_layout(&d) {
                let _ = compute(&d, &layout);
                let _ = super::super::imphash::compute(&d, &layout);
            }
        }
    }
}
