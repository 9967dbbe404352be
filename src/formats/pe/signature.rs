//! The Authenticode signature of a PE or Windows Installer file: the PKCS#7
//! `SignedData` (RFC 2315) read far enough to take the digest the signer
//! signed — `SpcIndirectDataContent.messageDigest` (Microsoft's *Windows
//! Authenticode Portable Executable Signature Format*) — and who signed it
//! (the signer's certificate: subject, issuer, serial number).
//!
//! The check installsift makes is the digest comparison only: the signed
//! digest against the Authenticode digest computed over the file with the
//! same algorithm. A match means the bytes are the ones that were signed
//! (`verified_by: authenticode`); a mismatch means the file was altered
//! after signing. Neither says whether the signature itself (RSA/ECDSA over
//! the signed attributes) is valid or the certificate trusted: installsift
//! checks no cryptographic signature and knows no trust roots.
//!
//! A PE's certificate table holds `WIN_CERTIFICATE` entries (length, revision,
//! type; type 2 is PKCS#7 `SignedData`), each 8-byte aligned. A signature may
//! carry further signatures in the unauthenticated attribute
//! `1.3.6.1.4.1.311.2.4.1` (dual SHA-1 + SHA-256 signing); each is checked.

use super::der::{self, Der, Tlv};
use crate::error::Error;
use crate::hash::to_hex;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// 1.2.840.113549.1.7.2, PKCS#7 signedData.
const OID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// 1.3.6.1.4.1.311.2.1.4, SPC_INDIRECT_DATA_OBJID.
const OID_SPC_INDIRECT_DATA: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x04];
/// 1.3.6.1.4.1.311.2.4.1, szOID_NESTED_SIGNATURE.
const OID_NESTED_SIGNATURE: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x04, 0x01];
/// X.520 attribute types named in reports.
const NAME_ATTRIBUTES: &[(&[u8], &str)] = &[
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x0A], "O"),
    (&[0x55, 0x04, 0x0B], "OU"),
];

/// Signatures read from one file (the first and the nested ones).
const MAX_SIGNATURES: usize = 8;
/// `WIN_CERTIFICATE` entries read from one certificate table.
const MAX_WIN_CERTIFICATES: usize = 16;
/// Certificates looked at for the signer in one `SignedData`.
const MAX_CERTIFICATES: usize = 64;
/// Longest name value kept.
const MAX_NAME: usize = 256;

/// A digest algorithm an Authenticode signature can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlgorithm {
    /// MD5 (old signatures).
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    fn from_oid(oid: &[u8]) -> Option<Self> {
        Some(match oid {
            [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x05] => DigestAlgorithm::Md5,
            [0x2B, 0x0E, 0x03, 0x02, 0x1A] => DigestAlgorithm::Sha1,
            [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01] => DigestAlgorithm::Sha256,
            [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02] => DigestAlgorithm::Sha384,
            [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03] => DigestAlgorithm::Sha512,
            _ => return None,
        })
    }

    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "md5",
            DigestAlgorithm::Sha1 => "sha1",
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }

    /// A fresh hasher for this algorithm.
    pub(crate) fn hasher(self) -> AnyDigest {
        match self {
            DigestAlgorithm::Md5 => AnyDigest::Md5(md5::Md5::new()),
            DigestAlgorithm::Sha1 => AnyDigest::Sha1(Sha1::new()),
            DigestAlgorithm::Sha256 => AnyDigest::Sha256(Sha256::new()),
            DigestAlgorithm::Sha384 => AnyDigest::Sha384(Sha384::new()),
            DigestAlgorithm::Sha512 => AnyDigest::Sha512(Sha512::new()),
        }
    }
}

/// A running digest of one of the [`DigestAlgorithm`]s.
#[derive(Clone)]
pub(crate) enum AnyDigest {
    Md5(md5::Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl AnyDigest {
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            AnyDigest::Md5(h) => h.update(data),
            AnyDigest::Sha1(h) => h.update(data),
            AnyDigest::Sha256(h) => h.update(data),
            AnyDigest::Sha384(h) => h.update(data),
            AnyDigest::Sha512(h) => h.update(data),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            AnyDigest::Md5(h) => h.finalize().to_vec(),
            AnyDigest::Sha1(h) => h.finalize().to_vec(),
            AnyDigest::Sha256(h) => h.finalize().to_vec(),
            AnyDigest::Sha384(h) => h.finalize().to_vec(),
            AnyDigest::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// Who signed: the certificate the `SignerInfo` names (by issuer and serial
/// number) among those the signature carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signer {
    /// Subject common name (CN) of the signing certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_cn: Option<String>,
    /// Subject organisation (O) of the signing certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_o: Option<String>,
    /// Issuer distinguished name, as written (`CN=…, O=…, C=…`).
    pub issuer: String,
    /// Certificate serial number, lowercase hex.
    pub serial: String,
    /// The signing certificate was found among the signature's certificates
    /// (otherwise only the issuer and serial of the `SignerInfo` are known).
    pub certificate_found: bool,
}

/// One Authenticode signature as read, and how its digest compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    /// The digest algorithm of `SpcIndirectDataContent.messageDigest`.
    pub digest_algorithm: DigestAlgorithm,
    /// The digest the signer signed, lowercase hex.
    pub signed_digest: String,
    /// Whether it equals the Authenticode digest computed over the file
    /// with the same algorithm (`None`: it could not be computed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_matches: Option<bool>,
    /// Nested (not the first) signature: carried in the unauthenticated
    /// attribute `1.3.6.1.4.1.311.2.4.1` of another.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nested: bool,
    /// The signer, when the `SignerInfo` could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
}

/// A parsed signature before its digest is compared.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The digest algorithm of `SpcIndirectDataContent.messageDigest`.
    pub algorithm: DigestAlgorithm,
    /// The signed digest.
    pub digest: Vec<u8>,
    /// Carried as a nested signature.
    pub nested: bool,
    /// The signer, when its `SignerInfo` could be read.
    pub signer: Option<Signer>,
}

impl Parsed {
    /// The report form, with the comparison's outcome.
    pub(crate) fn info(&self, matches: Option<bool>) -> SignatureInfo {
        SignatureInfo {
            digest_algorithm: self.algorithm,
            signed_digest: to_hex(&self.digest),
            digest_matches: matches,
            nested: self.nested,
            signer: self.signer.clone(),
        }
    }
}

/// Read every signature of one PKCS#7 `ContentInfo` (itself and those nested
/// in it). Bytes after the outer DER value (an Omaha tag, zero padding) are
/// ignored.
pub fn parse_pkcs7(data: &[u8]) -> Result<Vec<Parsed>, Error> {
    let mut out = Vec::new();
    parse_content_info(data, false, 0, &mut out)?;
    Ok(out)
}

fn parse_content_info(
    data: &[u8],
    nested: bool,
    depth: usize,
    out: &mut Vec<Parsed>,
) -> Result<(), Error> {
    let ci = Der::new(data).expect(der::SEQUENCE, "ContentInfo")?;
    let mut ci = ci.items();
    let ty = ci.expect(der::OID, "ContentInfo.contentType")?;
    if ty.body != OID_SIGNED_DATA {
        return Err(Error::malformed(format!(
            "Authenticode: content type {} is not PKCS#7 signedData",
            der::oid_string(ty.body)
        )));
    }
    let explicit = ci.expect(der::CTX0, "ContentInfo.content")?;
    let sd = explicit.items().expect(der::SEQUENCE, "SignedData")?;
    let mut sd = sd.items();
    sd.expect(der::INTEGER, "SignedData.version")?;
    sd.expect(der::SET, "SignedData.digestAlgorithms")?;
    let content = sd.expect(der::SEQUENCE, "SignedData.contentInfo")?;
    let (algorithm, digest) = indirect_data(content)?;
    let certificates = sd.optional(der::CTX0)?;
    sd.optional(der::CTX1)?; // CRLs
    let signer_infos = sd.expect(der::SET, "SignedData.signerInfos")?;
    let mut signer = None;
    let mut nested_blobs: Vec<&[u8]> = Vec::new();
    if let Ok(first) = signer_infos.items().next_tlv() {
        if let Ok((who, unauth)) = signer_info(first, certificates) {
            signer = Some(who);
            nested_blobs = unauth;
        }
    }
    out.push(Parsed {
        algorithm,
        digest,
        nested,
        signer,
    });
    if depth < 2 {
        for blob in nested_blobs {
            if out.len() >= MAX_SIGNATURES {
                break;
            }
            // A nested signature that cannot be read is not the first one's
            // failure: it is left out.
            let mut more = Vec::new();
            if parse_content_info(blob, true, depth + 1, &mut more).is_ok() {
                out.extend(
                    more.into_iter()
                        .take(MAX_SIGNATURES.saturating_sub(out.len())),
                );
            }
        }
    }
    Ok(())
}

/// `SpcIndirectDataContent`: the digest algorithm and value.
fn indirect_data(content: Tlv<'_>) -> Result<(DigestAlgorithm, Vec<u8>), Error> {
    let mut c = content.items();
    let ty = c.expect(der::OID, "contentInfo.contentType")?;
    if ty.body != OID_SPC_INDIRECT_DATA {
        return Err(Error::malformed(format!(
            "Authenticode: signed content type {} is not SpcIndirectDataContent",
            der::oid_string(ty.body)
        )));
    }
    let explicit = c.expect(der::CTX0, "contentInfo.content")?;
    let spc = explicit
        .items()
        .expect(der::SEQUENCE, "SpcIndirectDataContent")?;
    let mut spc = spc.items();
    spc.expect(der::SEQUENCE, "SpcIndirectDataContent.data")?;
    let digest_info = spc.expect(der::SEQUENCE, "SpcIndirectDataContent.messageDigest")?;
    let mut di = digest_info.items();
    let alg = di.expect(der::SEQUENCE, "DigestInfo.digestAlgorithm")?;
    let oid = alg
        .items()
        .expect(der::OID, "AlgorithmIdentifier.algorithm")?;
    let digest = di.expect(der::OCTET_STRING, "DigestInfo.digest")?;
    let algorithm = DigestAlgorithm::from_oid(oid.body).ok_or_else(|| {
        Error::unsupported(format!(
            "Authenticode: digest algorithm {} is not MD5, SHA-1 or SHA-2",
            der::oid_string(oid.body)
        ))
    })?;
    Ok((algorithm, digest.body.to_vec()))
}

/// The first `SignerInfo`: its signer, and the nested signatures among its
/// unauthenticated attributes.
fn signer_info<'a>(
    si: Tlv<'a>,
    certificates: Option<Tlv<'a>>,
) -> Result<(Signer, Vec<&'a [u8]>), Error> {
    let mut si = si.expect(der::SEQUENCE, "SignerInfo")?.items();
    si.expect(der::INTEGER, "SignerInfo.version")?;
    let ias = si.expect(der::SEQUENCE, "SignerInfo.issuerAndSerialNumber")?;
    let mut ias = ias.items();
    let issuer = ias.expect(der::SEQUENCE, "issuer")?;
    let serial = ias.expect(der::INTEGER, "serialNumber")?;
    let mut signer = Signer {
        issuer: name_string(issuer.body),
        serial: serial_hex(serial.body),
        ..Signer::default()
    };
    if let Some(certs) = certificates {
        let mut list = certs.items();
        for _ in 0..MAX_CERTIFICATES {
            let Ok(cert) = list.next_tlv() else { break };
            if let Some(subject) = certificate_subject(cert, issuer.body, serial.body) {
                signer.subject_cn = name_attribute(subject, "CN");
                signer.subject_o = name_attribute(subject, "O");
                signer.certificate_found = true;
                break;
            }
        }
    }
    si.expect(der::SEQUENCE, "SignerInfo.digestAlgorithm")?;
    si.optional(der::CTX0)?; // authenticated attributes
    si.expect(der::SEQUENCE, "SignerInfo.digestEncryptionAlgorithm")?;
    si.expect(der::OCTET_STRING, "SignerInfo.encryptedDigest")?;
    let mut nested = Vec::new();
    if let Some(unauth) = si.optional(der::CTX1)? {
        let mut attrs = unauth.items();
        while !attrs.is_empty() {
            let attr = attrs.expect(der::SEQUENCE, "Attribute")?;
            let mut a = attr.items();
            let ty = a.expect(der::OID, "Attribute.type")?;
            if ty.body != OID_NESTED_SIGNATURE {
                continue;
            }
            let values = a.expect(der::SET, "Attribute.values")?;
            let mut v = values.items();
            while !v.is_empty() && nested.len() < MAX_SIGNATURES {
                // The whole ContentInfo, header included.
                nested.push(v.next_tlv()?.raw);
            }
        }
    }
    Ok((signer, nested))
}

/// An X.509 certificate whose issuer and serial number are these: its
/// subject name body.
fn certificate_subject<'a>(cert: Tlv<'a>, issuer: &[u8], serial: &[u8]) -> Option<&'a [u8]> {
    let tbs = cert.items().expect(der::SEQUENCE, "tbsCertificate").ok()?;
    let mut t = tbs.items();
    t.optional(der::CTX0).ok()?; // version
    let sn = t.expect(der::INTEGER, "serialNumber").ok()?;
    t.expect(der::SEQUENCE, "signature").ok()?;
    let iss = t.expect(der::SEQUENCE, "issuer").ok()?;
    t.expect(der::SEQUENCE, "validity").ok()?;
    let subject = t.expect(der::SEQUENCE, "subject").ok()?;
    (sn.body == serial && iss.body == issuer).then_some(subject.body)
}

/// The attributes of a distinguished name, in the order written.
fn name_parts(body: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rdns = Der::new(body);
    while let Ok(rdn) = rdns.next_tlv() {
        let mut atvs = rdn.items();
        while let Ok(atv) = atvs.next_tlv() {
            let mut a = atv.items();
            let (Ok(ty), Ok(value)) = (a.expect(der::OID, "type"), a.next_tlv()) else {
                continue;
            };
            let key = NAME_ATTRIBUTES
                .iter()
                .find(|(oid, _)| *oid == ty.body)
                .map_or_else(|| der::oid_string(ty.body), |(_, n)| (*n).to_owned());
            out.push((key, string_value(value)));
            if out.len() >= 32 {
                return out;
            }
        }
    }
    out
}

/// A directory string: UTF-8, printable, IA5, T61 (as Latin-1) or BMP.
fn string_value(v: Tlv<'_>) -> String {
    let s = match v.tag {
        0x1E => {
            let units: Vec<u16> = v
                .body
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        0x14 => v.body.iter().map(|&b| char::from(b)).collect(),
        _ => String::from_utf8_lossy(v.body).into_owned(),
    };
    s.chars().take(MAX_NAME).collect()
}

fn name_string(body: &[u8]) -> String {
    name_parts(body)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn name_attribute(body: &[u8], key: &str) -> Option<String> {
    name_parts(body)
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn serial_hex(body: &[u8]) -> String {
    let trimmed = match body {
        [0, rest @ ..] if !rest.is_empty() => rest,
        b => b,
    };
    to_hex(trimmed)
}

/// The PKCS#7 blobs of a PE certificate table: every `WIN_CERTIFICATE` of
/// type 2 (`WIN_CERT_TYPE_PKCS_SIGNED_DATA`).
pub fn win_certificates(table: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut out = Vec::new();
    let mut at = 0usize;
    for _ in 0..MAX_WIN_CERTIFICATES {
        if table.len().saturating_sub(at) < 8 {
            break;
        }
        let len = super::le_u32(table, at).unwrap_or(0) as usize;
        let kind = super::le_u16(table, at + 6).unwrap_or(0);
        if len < 8 {
            if out.is_empty() {
                return Err(Error::malformed(format!(
                    "certificate table: WIN_CERTIFICATE at +{at} declares {len} bytes"
                )));
            }
            break;
        }
        let end = at
            .checked_add(len)
            .filter(|&e| e <= table.len())
            .ok_or_else(|| {
                Error::truncated(format!(
                    "certificate table: WIN_CERTIFICATE at +{at} declares {len} bytes, {} left",
                    table.len() - at
                ))
            })?;
        if kind == 2 {
            out.push(table.get(at + 8..end).unwrap_or(&[]));
        }
        // Entries are quadword aligned.
        at = end.div_ceil(8) * 8;
    }
    if out.is_empty() {
        return Err(Error::unsupported(
            "certificate table holds no PKCS#7 signature (WIN_CERTIFICATE type 2)",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample;

    fn cert_table(data: &[u8]) -> &[u8] {
        let l = super::super::read_layout(data).unwrap();
        let (off, size) = l.cert_dir.unwrap();
        &data[off as usize..(off + size) as usize]
    }

    #[test]
    fn reads_the_signed_digest_and_signer_of_the_test_signature() {
        let data = sample("pe/signed_x64.exe").unwrap();
        let blobs = win_certificates(cert_table(&data)).unwrap();
        assert_eq!(blobs.len(), 1);
        let sigs = parse_pkcs7(blobs[0]).unwrap();
        assert_eq!(sigs.len(), 1);
        assert_eq!(sigs[0].algorithm, DigestAlgorithm::Sha256);
        assert_eq!(sigs[0].digest.len(), 32);
        let signer = sigs[0].signer.as_ref().unwrap();
        assert!(signer.certificate_found);
        assert!(signer.subject_cn.is_some());
        assert!(!signer.issuer.is_empty() && !signer.serial.is_empty());
    }

    #[test]
    fn every_cut_and_flip_of_the_signature_is_an_error_or_a_value_never_a_panic() {
        let data = sample("pe/signed_x64.exe").unwrap();
        let blob = win_certificates(cert_table(&data)).unwrap()[0].to_vec();
        for cut in (0..blob.len()).step_by(7) {
            let _ = parse_pkcs7(&blob[..cut]);
        }
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mut b = blob.clone();
            let at = (s % b.len() as u64) as usize;
            b[at] ^= (s >> 32) as u8 | 1;
            let _ = parse_pkcs7(&b);
        }
        assert!(win_certificates(&[0xFF, 0xFF, 0xFF, 0x7F, 0, 2, 2, 0]).is_err());
        assert!(win_certificates(&[4, 0, 0, 0, 0, 2, 2, 0]).is_err());
        assert!(win_certificates(&[]).is_err());
    }
}
