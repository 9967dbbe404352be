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
//!
//! Reported as evidence for every signature: the signer certificate and the
//! chain built from the certificates the signature embeds (leaf first, each
//! issuer found by its subject name; nothing is fetched and no root store is
//! consulted, so the chain ends where the embedded certificates end), each
//! certificate's SHA-1 and SHA-256 thumbprints (hashes of its DER encoding)
//! and its *TBS hash*: the hash of the DER `TBSCertificate`, computed with the
//! hash algorithm of the certificate's own signature algorithm (SHA-256 for
//! `sha256WithRSAEncryption`, SHA-1 for `sha1WithRSAEncryption`, SHA-384 …),
//! which is the value App Control for Business (WDAC) writes in
//! `<CertRoot Type="TBS" Value="…"/>`. Also the signing time (authenticated
//! attribute `1.2.840.113549.1.9.5`) and the timestamp: an RFC 3161 token
//! (`1.3.6.1.4.1.311.3.3.1`, its `TSTInfo.genTime`) or an Authenticode
//! countersignature (`1.2.840.113549.1.9.6`, its signing time), with the
//! time-stamping authority's issuer, serial number and embedded chain.
//! Trust is not validated: there is no root store, and a chain that ends at a
//! self-signed certificate is reported as embedded, not as trusted.

use super::der::{self, Der, Tlv};
use installsift_model::error::Error;
use installsift_model::hash::{self, to_hex};
use installsift_model::Evidence;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// 1.2.840.113549.1.7.2, PKCS#7 signedData.
const OID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// 1.3.6.1.4.1.311.2.1.4, SPC_INDIRECT_DATA_OBJID.
const OID_SPC_INDIRECT_DATA: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x04];
/// 1.3.6.1.4.1.311.2.4.1, szOID_NESTED_SIGNATURE.
const OID_NESTED_SIGNATURE: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x04, 0x01];
/// 1.2.840.113549.1.9.5, PKCS#9 signingTime.
const OID_SIGNING_TIME: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05];
/// 1.2.840.113549.1.9.6, PKCS#9 countersignature (Authenticode timestamp).
const OID_COUNTERSIGNATURE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x06];
/// 1.3.6.1.4.1.311.3.3.1, szOID_RFC3161_counterSign.
const OID_RFC3161_COUNTERSIGN: &[u8] =
    &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x03, 0x03, 0x01];
/// 1.2.840.113549.1.9.16.1.4, id-ct-TSTInfo.
const OID_TST_INFO: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04,
];
/// X.520 (and PKCS#9, Microsoft EV) attribute types named in reports, with
/// OpenSSL's short names (osslsigncode prints these).
const NAME_ATTRIBUTES: &[(&[u8], &str)] = &[
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x04], "SN"),
    (&[0x55, 0x04, 0x05], "serialNumber"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x09], "street"),
    (&[0x55, 0x04, 0x0A], "O"),
    (&[0x55, 0x04, 0x0B], "OU"),
    (&[0x55, 0x04, 0x0C], "title"),
    (&[0x55, 0x04, 0x0D], "description"),
    (&[0x55, 0x04, 0x0F], "businessCategory"),
    (&[0x55, 0x04, 0x11], "postalCode"),
    (&[0x55, 0x04, 0x2A], "GN"),
    (&[0x55, 0x04, 0x2B], "initials"),
    (
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01],
        "emailAddress",
    ),
    (
        &[0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19],
        "DC",
    ),
    (
        &[
            0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3C, 0x02, 0x01, 0x01,
        ],
        "jurisdictionL",
    ),
    (
        &[
            0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3C, 0x02, 0x01, 0x02,
        ],
        "jurisdictionST",
    ),
    (
        &[
            0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3C, 0x02, 0x01, 0x03,
        ],
        "jurisdictionC",
    ),
];
/// Longest certificate chain followed.
const MAX_CHAIN: usize = 16;

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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Signer {
    /// Subject common name (CN) of the signing certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_cn: Option<String>,
    /// Subject organisation (O) of the signing certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_o: Option<String>,
    /// Subject distinguished name of the signing certificate, in the order
    /// written (`C=…, O=…, CN=…`), when the certificate was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Issuer distinguished name, as written (`CN=…, O=…, C=…`).
    pub issuer: String,
    /// Certificate serial number, lowercase hex.
    pub serial: String,
    /// The signing certificate was found among the signature's certificates
    /// (otherwise only the issuer and serial of the `SignerInfo` are known).
    pub certificate_found: bool,
}

/// One X.509 certificate embedded in a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Certificate {
    /// Subject distinguished name, in the order written (`C=…, O=…, CN=…`).
    pub subject: String,
    /// Issuer distinguished name, in the order written.
    pub issuer: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// Validity start, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// Validity end, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// The certificate's signature algorithm (`sha256WithRSAEncryption`,
    /// `ecdsa-with-SHA384` …, or the dotted OID).
    pub signature_algorithm: String,
    /// SHA-1 thumbprint (of the certificate's encoding); serialized as
    /// lowercase hex.
    pub sha1: hash::Sha1,
    /// SHA-256 thumbprint.
    pub sha256: hash::Sha256,
    /// Hash of the `TBSCertificate` encoding with the hash algorithm of
    /// `signature_algorithm`: WDAC's `CertRoot Type="TBS"` value (lowercase
    /// hex here). Absent when that algorithm is not one WDAC's hash table
    /// knows (RSASSA-PSS, MD2 …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tbs_hash: Option<String>,
    /// The algorithm of `tbs_hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tbs_hash_algorithm: Option<DigestAlgorithm>,
    /// Subject and issuer are the same name (a root, or a test certificate).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub self_signed: bool,
    /// Subject attributes in the order written (short name, value), for
    /// exporters that rebuild names the way Windows prints them.
    #[serde(skip)]
    pub subject_attributes: Vec<(String, String)>,
}

impl Certificate {
    /// The last value of subject attribute `key` (`CN`, `O`, `L`, `ST`, `C` …).
    pub fn subject_attribute(&self, key: &str) -> Option<&str> {
        self.subject_attributes
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// How a signature was timestamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum TimestampKind {
    /// RFC 3161 time-stamp token (`1.3.6.1.4.1.311.3.3.1`).
    Rfc3161,
    /// Authenticode (PKCS#9) countersignature (`1.2.840.113549.1.9.6`).
    Countersignature,
}

/// A signature's timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TimestampInfo {
    /// RFC 3161 token or Authenticode countersignature.
    pub kind: TimestampKind,
    /// The time stamped, RFC 3339 UTC (`TSTInfo.genTime`, or the
    /// countersignature's signing time); absent when it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Digest algorithm of the time-stamping authority's `SignerInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_algorithm: Option<DigestAlgorithm>,
    /// Issuer of the time-stamping authority's certificate.
    pub issuer: String,
    /// Serial number of the time-stamping authority's certificate.
    pub serial: String,
    /// The authority's certificate and its chain as embedded, leaf first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<Certificate>,
}

/// One Authenticode signature as read, and how its digest compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Signing time claimed by the signer (authenticated attribute), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_time: Option<String>,
    /// The signer's certificate and its chain as embedded, leaf first (each
    /// next certificate is the one whose subject is the previous issuer). Not
    /// validated: no root store.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<Certificate>,
    /// Certificates the `SignedData` embeds (the chain, the timestamp
    /// authority's for a countersignature, others).
    pub certificates: usize,
    /// The timestamp, when the signature carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampInfo>,
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
    /// Signing time (authenticated attribute).
    pub signing_time: Option<String>,
    /// Chain as embedded, leaf first.
    pub chain: Vec<Certificate>,
    /// Certificates embedded.
    pub certificates: usize,
    /// Timestamp.
    pub timestamp: Option<TimestampInfo>,
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
            signing_time: self.signing_time.clone(),
            chain: self.chain.clone(),
            certificates: self.certificates,
            timestamp: self.timestamp.clone(),
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
    let sd = signed_data(data)?;
    let mut sd = sd.items();
    sd.expect(der::INTEGER, "SignedData.version")?;
    sd.expect(der::SET, "SignedData.digestAlgorithms")?;
    let content = sd.expect(der::SEQUENCE, "SignedData.contentInfo")?;
    let (algorithm, digest) = indirect_data(content)?;
    let certificates = sd.optional(der::CTX0)?;
    sd.optional(der::CTX1)?; // CRLs
    let signer_infos = sd.expect(der::SET, "SignedData.signerInfos")?;
    let certs = read_certificates(certificates);
    let mut parsed = Parsed {
        algorithm,
        digest,
        nested,
        signer: None,
        signing_time: None,
        chain: Vec::new(),
        certificates: certs.len(),
        timestamp: None,
    };
    let mut nested_blobs: Vec<&[u8]> = Vec::new();
    if let Ok(first) = signer_infos.items().next_tlv() {
        if let Ok(si) = signer_info(first) {
            let found = find_certificate(&certs, si.issuer, si.serial);
            parsed.signer = Some(Signer {
                subject_cn: found.and_then(|c| c.info.subject_attribute("CN").map(str::to_owned)),
                subject_o: found.and_then(|c| c.info.subject_attribute("O").map(str::to_owned)),
                subject: found.map(|c| c.info.subject.clone()),
                issuer: name_string(si.issuer),
                serial: serial_hex(si.serial),
                certificate_found: found.is_some(),
            });
            parsed.signing_time = si.signing_time;
            if let Some(leaf) = found {
                parsed.chain = chain(&certs, leaf);
            }
            parsed.timestamp = si
                .countersignature
                .and_then(|cs| countersignature(cs, &certs))
                .or_else(|| si.rfc3161.and_then(rfc3161_timestamp));
            nested_blobs = si.nested;
        }
    }
    out.push(parsed);
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

/// The `SignedData` of a PKCS#7 `ContentInfo`.
fn signed_data(data: &[u8]) -> Result<Tlv<'_>, Error> {
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
    explicit.items().expect(der::SEQUENCE, "SignedData")
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

/// What one `SignerInfo` says.
struct SignerInfoParts<'a> {
    /// Issuer name body and serial number body of the signer's certificate.
    issuer: &'a [u8],
    serial: &'a [u8],
    digest_algorithm: Option<DigestAlgorithm>,
    /// Authenticated `signingTime`.
    signing_time: Option<String>,
    /// Unauthenticated attributes: nested signatures (whole `ContentInfo`s),
    /// a PKCS#9 countersignature (a `SignerInfo`), an RFC 3161 token (a
    /// `ContentInfo`).
    nested: Vec<&'a [u8]>,
    countersignature: Option<Tlv<'a>>,
    rfc3161: Option<&'a [u8]>,
}

/// Read a `SignerInfo` (PKCS#7 version 1: issuer and serial number).
fn signer_info(si: Tlv<'_>) -> Result<SignerInfoParts<'_>, Error> {
    let mut si = si.expect(der::SEQUENCE, "SignerInfo")?.items();
    si.expect(der::INTEGER, "SignerInfo.version")?;
    let ias = si.expect(der::SEQUENCE, "SignerInfo.issuerAndSerialNumber")?;
    let mut ias = ias.items();
    let issuer = ias.expect(der::SEQUENCE, "issuer")?;
    let serial = ias.expect(der::INTEGER, "serialNumber")?;
    let alg = si.expect(der::SEQUENCE, "SignerInfo.digestAlgorithm")?;
    let digest_algorithm = alg
        .items()
        .expect(der::OID, "AlgorithmIdentifier.algorithm")
        .ok()
        .and_then(|o| DigestAlgorithm::from_oid(o.body));
    let mut parts = SignerInfoParts {
        issuer: issuer.body,
        serial: serial.body,
        digest_algorithm,
        signing_time: None,
        nested: Vec::new(),
        countersignature: None,
        rfc3161: None,
    };
    if let Some(auth) = si.optional(der::CTX0)? {
        for (ty, mut values) in attributes(auth) {
            if ty == OID_SIGNING_TIME && parts.signing_time.is_none() {
                parts.signing_time = values.next_tlv().ok().and_then(time_string);
            }
        }
    }
    si.expect(der::SEQUENCE, "SignerInfo.digestEncryptionAlgorithm")?;
    si.expect(der::OCTET_STRING, "SignerInfo.encryptedDigest")?;
    if let Some(unauth) = si.optional(der::CTX1)? {
        for (ty, mut v) in attributes(unauth) {
            if ty == OID_NESTED_SIGNATURE {
                while !v.is_empty() && parts.nested.len() < MAX_SIGNATURES {
                    // The whole ContentInfo, header included.
                    match v.next_tlv() {
                        Ok(t) => parts.nested.push(t.raw),
                        Err(_) => break,
                    }
                }
            } else if ty == OID_COUNTERSIGNATURE && parts.countersignature.is_none() {
                parts.countersignature = v.next_tlv().ok();
            } else if ty == OID_RFC3161_COUNTERSIGN && parts.rfc3161.is_none() {
                parts.rfc3161 = v.next_tlv().ok().map(|t| t.raw);
            }
        }
    }
    Ok(parts)
}

/// The attributes of a `SET OF Attribute`: (type OID body, cursor over the
/// values). Stops at the first one that cannot be read.
fn attributes(set: Tlv<'_>) -> Vec<(&[u8], Der<'_>)> {
    let mut out = Vec::new();
    let mut attrs = set.items();
    while !attrs.is_empty() && out.len() < 64 {
        let Ok(attr) = attrs.expect(der::SEQUENCE, "Attribute") else {
            break;
        };
        let mut a = attr.items();
        let (Ok(ty), Ok(values)) = (
            a.expect(der::OID, "Attribute.type"),
            a.expect(der::SET, "Attribute.values"),
        ) else {
            break;
        };
        out.push((ty.body, values.items()));
    }
    out
}

/// An embedded certificate with the parts needed to chain it.
struct CertParsed<'a> {
    info: Certificate,
    subject_raw: &'a [u8],
    issuer_raw: &'a [u8],
    serial_raw: &'a [u8],
}

/// Every certificate of `SignedData.certificates` that parses as X.509
/// (attribute certificates and unreadable entries are left out).
fn read_certificates(certificates: Option<Tlv<'_>>) -> Vec<CertParsed<'_>> {
    let mut out = Vec::new();
    let Some(certs) = certificates else {
        return out;
    };
    let mut list = certs.items();
    for _ in 0..MAX_CERTIFICATES {
        let Ok(cert) = list.next_tlv() else { break };
        if let Some(c) = parse_certificate(cert) {
            out.push(c);
        }
    }
    out
}

/// An X.509 `Certificate` (RFC 5280 §4.1).
fn parse_certificate(cert: Tlv<'_>) -> Option<CertParsed<'_>> {
    if cert.tag != der::SEQUENCE {
        return None;
    }
    let mut c = cert.items();
    let tbs = c.expect(der::SEQUENCE, "tbsCertificate").ok()?;
    let sig_alg = c.expect(der::SEQUENCE, "signatureAlgorithm").ok()?;
    let sig_oid = sig_alg.items().expect(der::OID, "algorithm").ok()?;
    let mut t = tbs.items();
    t.optional(der::CTX0).ok()?; // version
    let sn = t.expect(der::INTEGER, "serialNumber").ok()?;
    t.expect(der::SEQUENCE, "signature").ok()?;
    let issuer = t.expect(der::SEQUENCE, "issuer").ok()?;
    let validity = t.expect(der::SEQUENCE, "validity").ok()?;
    let subject = t.expect(der::SEQUENCE, "subject").ok()?;
    let mut v = validity.items();
    let not_before = v.next_tlv().ok().and_then(time_string);
    let not_after = v.next_tlv().ok().and_then(time_string);
    let tbs_alg = tbs_hash_algorithm(sig_oid.body);
    let tbs_hash = tbs_alg.map(|a| {
        let mut h = a.hasher();
        h.update(tbs.raw);
        to_hex(&h.finish())
    });
    let subject_attributes = name_parts(subject.body);
    Some(CertParsed {
        info: Certificate {
            subject: join_name(&subject_attributes),
            issuer: name_string(issuer.body),
            serial: serial_hex(sn.body),
            not_before,
            not_after,
            signature_algorithm: signature_algorithm_name(sig_oid.body),
            sha1: hash::Sha1::digest(cert.raw),
            sha256: hash::Sha256::digest(cert.raw),
            tbs_hash,
            tbs_hash_algorithm: tbs_alg,
            self_signed: subject.body == issuer.body,
            subject_attributes,
        },
        subject_raw: subject.body,
        issuer_raw: issuer.body,
        serial_raw: sn.body,
    })
}

/// The hash WDAC applies to a certificate's `TBSCertificate`: the one its
/// signature algorithm names (RSA PKCS#1 v1.5, DSA and ECDSA variants).
fn tbs_hash_algorithm(sig_oid: &[u8]) -> Option<DigestAlgorithm> {
    Some(match der::oid_string(sig_oid).as_str() {
        "1.2.840.113549.1.1.4" => DigestAlgorithm::Md5,
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" | "1.2.840.10040.4.3" | "1.2.840.10045.4.1" => {
            DigestAlgorithm::Sha1
        }
        "1.2.840.113549.1.1.11" | "2.16.840.1.101.3.4.3.2" | "1.2.840.10045.4.3.2" => {
            DigestAlgorithm::Sha256
        }
        "1.2.840.113549.1.1.12" | "2.16.840.1.101.3.4.3.3" | "1.2.840.10045.4.3.3" => {
            DigestAlgorithm::Sha384
        }
        "1.2.840.113549.1.1.13" | "2.16.840.1.101.3.4.3.4" | "1.2.840.10045.4.3.4" => {
            DigestAlgorithm::Sha512
        }
        _ => return None,
    })
}

/// OpenSSL's long name of a signature algorithm, or the dotted OID.
fn signature_algorithm_name(oid: &[u8]) -> String {
    let dotted = der::oid_string(oid);
    let name = match dotted.as_str() {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.3.14.3.2.29" => "sha1WithRSA",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10040.4.3" => "dsaWithSHA1",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        _ => return dotted,
    };
    name.to_owned()
}

/// The certificate with this issuer and serial number.
fn find_certificate<'c, 'a>(
    certs: &'c [CertParsed<'a>],
    issuer: &[u8],
    serial: &[u8],
) -> Option<&'c CertParsed<'a>> {
    certs
        .iter()
        .find(|c| c.serial_raw == serial && c.issuer_raw == issuer)
}

/// `leaf` and its issuers among `certs`, leaf first: each next certificate
/// is one whose subject is the previous one's issuer; stops at a self-signed
/// certificate, a missing issuer or a loop.
fn chain(certs: &[CertParsed<'_>], leaf: &CertParsed<'_>) -> Vec<Certificate> {
    let mut out = vec![leaf.info.clone()];
    let mut used: Vec<*const CertParsed<'_>> = vec![std::ptr::from_ref(leaf)];
    let mut cur = leaf;
    while out.len() < MAX_CHAIN && !cur.info.self_signed {
        let Some(next) = certs
            .iter()
            .find(|c| c.subject_raw == cur.issuer_raw && !used.contains(&std::ptr::from_ref(*c)))
        else {
            break;
        };
        out.push(next.info.clone());
        used.push(std::ptr::from_ref(next));
        cur = next;
    }
    out
}

/// A PKCS#9 countersignature (a `SignerInfo` over the signature): its
/// signing time is the timestamp; its certificate is among the outer ones.
fn countersignature(cs: Tlv<'_>, certs: &[CertParsed<'_>]) -> Option<TimestampInfo> {
    let si = signer_info(cs).ok()?;
    let found = find_certificate(certs, si.issuer, si.serial);
    Some(TimestampInfo {
        kind: TimestampKind::Countersignature,
        time: si.signing_time,
        digest_algorithm: si.digest_algorithm,
        issuer: name_string(si.issuer),
        serial: serial_hex(si.serial),
        chain: found.map(|leaf| chain(certs, leaf)).unwrap_or_default(),
    })
}

/// An RFC 3161 time-stamp token: a `SignedData` over a `TSTInfo`, whose
/// `genTime` is the timestamp; it carries its own certificates.
fn rfc3161_timestamp(token: &[u8]) -> Option<TimestampInfo> {
    let sd = signed_data(token).ok()?;
    let mut sd = sd.items();
    sd.expect(der::INTEGER, "SignedData.version").ok()?;
    sd.expect(der::SET, "SignedData.digestAlgorithms").ok()?;
    let encap = sd.expect(der::SEQUENCE, "encapContentInfo").ok()?;
    let certificates = sd.optional(der::CTX0).ok()?;
    sd.optional(der::CTX1).ok()?;
    let signer_infos = sd.expect(der::SET, "signerInfos").ok()?;
    let mut e = encap.items();
    let ty = e.expect(der::OID, "eContentType").ok()?;
    let time = if ty.body == OID_TST_INFO {
        e.expect(der::CTX0, "eContent")
            .ok()
            .and_then(|x| x.items().expect(der::OCTET_STRING, "TSTInfo").ok())
            .and_then(|o| {
                let tst = Der::new(o.body).expect(der::SEQUENCE, "TSTInfo").ok()?;
                let mut t = tst.items();
                t.expect(der::INTEGER, "version").ok()?;
                t.expect(der::OID, "policy").ok()?;
                t.expect(der::SEQUENCE, "messageImprint").ok()?;
                t.expect(der::INTEGER, "serialNumber").ok()?;
                t.next_tlv().ok().and_then(time_string)
            })
    } else {
        None
    };
    let certs = read_certificates(certificates);
    let si = signer_info(signer_infos.items().next_tlv().ok()?).ok()?;
    let found = find_certificate(&certs, si.issuer, si.serial);
    Some(TimestampInfo {
        kind: TimestampKind::Rfc3161,
        time,
        digest_algorithm: si.digest_algorithm,
        issuer: name_string(si.issuer),
        serial: serial_hex(si.serial),
        chain: found.map(|leaf| chain(&certs, leaf)).unwrap_or_default(),
    })
}

/// `UTCTime` or `GeneralizedTime` as RFC 3339 UTC (fractions of a second
/// dropped); `None` for anything else or a time not in `Z` form.
fn time_string(t: Tlv<'_>) -> Option<String> {
    let s = std::str::from_utf8(t.body).ok()?;
    let (year, rest) = match t.tag {
        0x17 => {
            let yy: u32 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    if !rest.ends_with('Z') {
        return None;
    }
    let digits = rest.get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |i: usize| digits.get(i..i + 2);
    // Seconds are optional in UTCTime (YYMMDDHHMMZ).
    let sec = rest
        .get(8..10)
        .filter(|x| x.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("00");
    Some(format!(
        "{year:04}-{}-{}T{}:{}:{sec}Z",
        field(0)?,
        field(2)?,
        field(4)?,
        field(6)?
    ))
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
    join_name(&name_parts(body))
}

fn join_name(parts: &[(String, String)]) -> String {
    parts
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
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

/// Evidence of who signed a file (PE or MSI): the primary signature's
/// signer, whether its signed digest matches the file, and how many nested
/// signatures follow. It says who signed, never that the file is what it
/// seems: the trust chain is not validated (no root store), and a signed
/// engine stub is still only a stub, so it never decides a verdict.
pub(crate) fn signer_evidence(sigs: &[SignatureInfo]) -> Option<Evidence> {
    let primary = sigs.iter().find(|s| !s.nested).or_else(|| sigs.first())?;
    let who = match &primary.signer {
        Some(s) => {
            let name = s
                .subject_cn
                .clone()
                .or_else(|| s.subject.clone())
                .unwrap_or_else(|| format!("serial {}", s.serial));
            match &s.subject_o {
                Some(o) if Some(o) != s.subject_cn.as_ref() => format!("{name} ({o})"),
                _ => name,
            }
        }
        None => "an unnamed signer".to_owned(),
    };
    let digest = match primary.digest_matches {
        Some(true) => "its signed digest matches the file",
        Some(false) => "its signed digest does NOT match the file (altered after signing)",
        None => "its signed digest was not checked",
    };
    let nested = sigs.iter().filter(|s| s.nested).count();
    let more = if nested > 0 {
        format!("; {nested} nested signature(s)")
    } else {
        String::new()
    };
    Some(Evidence::strong(
        "authenticode-signer",
        format!(
            "Authenticode {} signature by {who}: {digest}{more}; trust chain not validated",
            primary.digest_algorithm.as_str()
        ),
        None,
    ))
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
    fn the_test_signature_reports_its_certificate_time_and_no_timestamp() {
        // corpus/build.sh signs with a self-signed certificate (serial 0x1157,
        // valid 2024-01-01 to 2124-01-01) and `faketime` at 2024-06-01.
        let data = sample("pe/signed_x64.exe").unwrap();
        let blob = win_certificates(cert_table(&data)).unwrap()[0];
        let sig = &parse_pkcs7(blob).unwrap()[0];
        assert_eq!(sig.signing_time.as_deref(), Some("2024-06-01T00:00:00Z"));
        assert!(sig.timestamp.is_none());
        assert_eq!(sig.certificates, 1);
        assert_eq!(sig.chain.len(), 1);
        let c = &sig.chain[0];
        assert!(c.self_signed);
        assert_eq!(c.serial, "1157");
        assert_eq!(c.not_before.as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(c.not_after.as_deref(), Some("2124-01-01T00:00:00Z"));
        assert_eq!(c.signature_algorithm, "sha256WithRSAEncryption");
        assert_eq!(c.tbs_hash_algorithm, Some(DigestAlgorithm::Sha256));
        assert_eq!(
            c.subject,
            "CN=installsift TEST ONLY code signing, O=installsift test corpus (TEST ONLY, not trusted), C=XX"
        );
        assert_eq!(c.subject_attribute("C"), Some("XX"));
    }

    #[test]
    fn thumbprints_and_tbs_hash_are_hashes_of_the_certificate_and_its_tbs() {
        // The certificate is the one TLV inside SignedData.certificates; its
        // first element is the TBSCertificate. Found here by walking the
        // DER independently of `parse_certificate`.
        let data = sample("pe/signed_x64.exe").unwrap();
        let blob = win_certificates(cert_table(&data)).unwrap()[0];
        let ci = Der::new(blob).next_tlv().unwrap();
        let mut ci = ci.items();
        ci.next_tlv().unwrap();
        let sd = ci.next_tlv().unwrap().items().next_tlv().unwrap();
        let mut sd = sd.items();
        for _ in 0..3 {
            sd.next_tlv().unwrap();
        }
        let certs = sd.next_tlv().unwrap();
        assert_eq!(certs.tag, der::CTX0);
        let cert = certs.items().next_tlv().unwrap();
        let tbs = cert.items().next_tlv().unwrap();
        let sig = &parse_pkcs7(blob).unwrap()[0];
        let c = &sig.chain[0];
        assert_eq!(c.sha1.to_string(), to_hex(&Sha1::digest(cert.raw)));
        assert_eq!(c.sha256.to_string(), to_hex(&Sha256::digest(cert.raw)));
        assert_eq!(
            c.tbs_hash.as_deref(),
            Some(to_hex(&Sha256::digest(tbs.raw)).as_str())
        );
        assert_ne!(c.tbs_hash, Some(c.sha256.to_string()));
    }

    #[test]
    fn utc_and_generalized_times() {
        let t = |tag: u8, s: &str| {
            time_string(Tlv {
                tag,
                body: s.as_bytes(),
                raw: s.as_bytes(),
            })
        };
        assert_eq!(
            t(0x17, "151217012026Z").as_deref(),
            Some("2015-12-17T01:20:26Z")
        );
        assert_eq!(
            t(0x17, "491231235959Z").as_deref(),
            Some("2049-12-31T23:59:59Z")
        );
        assert_eq!(
            t(0x17, "500101000000Z").as_deref(),
            Some("1950-01-01T00:00:00Z")
        );
        assert_eq!(
            t(0x17, "1512170120Z").as_deref(),
            Some("2015-12-17T01:20:00Z")
        );
        assert_eq!(
            t(0x18, "20181204003610.123Z").as_deref(),
            Some("2018-12-04T00:36:10Z")
        );
        assert_eq!(t(0x18, "20181204003610+0100"), None);
        assert_eq!(t(0x18, "2018"), None);
        assert_eq!(t(0x04, "20181204003610Z"), None);
        assert_eq!(t(0x17, "15x2170120Z"), None);
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
