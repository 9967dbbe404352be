//! What publisher rules are built from: the Authenticode signatures the scan
//! read (`metadata.signatures`), the PE version resource or the MSI
//! `Property` table, and the names Windows derives from them.
//!
//! - **AppLocker publisher name**: from the leaf certificate's subject, as
//!   `Get-AppLockerFileInformation` prints it: `O=…, L=…, S=…, C=…` (those
//!   attributes in that order, each present one once, values unquoted and
//!   upper-cased); when the subject has no `O` or none of `L`, `S`, `C`, the
//!   whole subject in `CertNameToStr` X.500 form, most specific first,
//!   upper-cased. This is the rule AaronLocker (Microsoft) documents after
//!   comparing its output with the cmdlet's on many signatures.
//! - **AppLocker product and binary**: PE `ProductName` and
//!   `OriginalFilename` from the version resource, upper-cased, version from
//!   `VS_FIXEDFILEINFO`; MSI: `ProductName`, `ProductCode` (AppLocker's
//!   "binary name" for Windows Installer files) and `ProductVersion` written
//!   as four numbers without leading zeros.
//! - **WDAC**: the PCA certificate is the one just below a self-signed root
//!   when the embedded chain reaches one, else the highest certificate
//!   embedded (`New-CIPolicyRule -Level PcaCertificate`: "the highest
//!   available certificate in the provided certificate chain … typically one
//!   certificate below the root"); `CertRoot Type="TBS"` is its TBS hash and
//!   `CertPublisher` the leaf's common name.

use super::Item;
use installsift::formats::pe::{Certificate, SignatureInfo};
use installsift::Format;

/// One signature usable for a publisher rule: its leaf and chain.
pub(crate) struct SignerChain<'a> {
    /// The signature (primary or nested).
    pub sig: &'a SignatureInfo,
    /// Leaf first.
    pub chain: &'a [Certificate],
}

impl<'a> SignerChain<'a> {
    pub(crate) fn leaf(&self) -> Option<&'a Certificate> {
        self.chain.first()
    }

    /// The certificate WDAC's PCA-certificate and publisher levels name.
    pub(crate) fn pca(&self) -> Option<&'a Certificate> {
        match self.chain {
            [] => None,
            [only] => Some(only),
            [.., below, top] if top.self_signed => Some(below),
            [.., top] => Some(top),
        }
    }
}

/// The file's signatures, primary first. Why none can be used is the error.
pub(crate) fn signatures<'a>(it: &Item<'a>) -> Result<Vec<SignerChain<'a>>, String> {
    let sigs: &'a [SignatureInfo] = match (it.node.format, it.pe, it.cfb) {
        (Format::Pe, Some(pe), _) => &pe.signatures,
        (_, _, Some(cfb)) => &cfb.signatures,
        _ => &[],
    };
    if sigs.is_empty() {
        return Err("not Authenticode-signed (no signature was read), so no publisher rule".into());
    }
    if sigs.iter().any(|s| s.digest_matches == Some(false)) {
        return Err(
            "its signed digest does not match the file (altered after signing): Windows would \
             reject the signature, so no publisher rule"
                .into(),
        );
    }
    let out: Vec<SignerChain<'a>> = sigs
        .iter()
        .filter(|s| !s.chain.is_empty())
        .map(|s| SignerChain {
            sig: s,
            chain: &s.chain,
        })
        .collect();
    if out.is_empty() {
        return Err(
            "the signer's certificate is not among the certificates the signature embeds, so \
             no publisher rule"
                .into(),
        );
    }
    Ok(out)
}

/// Upper-case as AppLocker does (per character; a character whose upper
/// case is several characters, like `ß`, is kept).
pub(crate) fn upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect()
}

/// The AppLocker publisher name of a leaf certificate.
pub(crate) fn applocker_publisher(leaf: &Certificate) -> String {
    let first = |key: &str| {
        leaf.subject_attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let org = first("O");
    let rest: Vec<(&str, &str)> = [("L", "L"), ("S", "ST"), ("C", "C")]
        .into_iter()
        .filter_map(|(label, key)| first(key).map(|v| (label, v)))
        .collect();
    if let (Some(o), false) = (org, rest.is_empty()) {
        let mut out = format!("O={}", upper(o));
        for (label, v) in rest {
            out.push_str(&format!(", {label}={}", upper(v)));
        }
        return out;
    }
    upper(&x500_reversed(leaf))
}

/// `CertNameToStr(CERT_X500_NAME_STR | CERT_NAME_STR_REVERSE_FLAG)`: the
/// subject's attributes last-written first, Windows' keys, `", "` between,
/// a value quoted when it holds `, + = " < > # ;`, a newline, or leading or
/// trailing blanks (`"` doubled inside).
pub(crate) fn x500_reversed(cert: &Certificate) -> String {
    cert.subject_attributes
        .iter()
        .rev()
        .map(|(k, v)| {
            let key = match k.as_str() {
                "ST" => "S".to_owned(),
                "emailAddress" => "E".to_owned(),
                "street" => "STREET".to_owned(),
                "serialNumber" => "SERIALNUMBER".to_owned(),
                "title" => "T".to_owned(),
                "GN" => "G".to_owned(),
                "initials" => "I".to_owned(),
                "postalCode" => "PostalCode".to_owned(),
                "description" => "Description".to_owned(),
                "businessCategory" => "OID.2.5.4.15".to_owned(),
                "jurisdictionL" => "OID.1.3.6.1.4.1.311.60.2.1.1".to_owned(),
                "jurisdictionST" => "OID.1.3.6.1.4.1.311.60.2.1.2".to_owned(),
                "jurisdictionC" => "OID.1.3.6.1.4.1.311.60.2.1.3".to_owned(),
                "CN" | "SN" | "C" | "L" | "O" | "OU" | "DC" => k.clone(),
                dotted => format!("OID.{dotted}"),
            };
            let quote = v.is_empty()
                || v.starts_with(' ')
                || v.ends_with(' ')
                || v.contains([',', '+', '=', '"', '<', '>', '#', ';', '\n']);
            if quote {
                format!("{key}=\"{}\"", v.replace('"', "\"\""))
            } else {
                format!("{key}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a publisher rule names besides the signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Product {
    /// Product name as written (`*` when unknown).
    pub product: Option<String>,
    /// PE `OriginalFilename`; MSI `ProductCode`.
    pub binary: Option<String>,
    /// `a.b.c.d`.
    pub version: Option<String>,
}

/// Product, binary and version of a PE (version resource) or an MSI
/// (`Property` table).
pub(crate) fn product(it: &Item<'_>) -> Product {
    if let Some(pe) = it.pe {
        let vi = pe.version_info.as_ref();
        return Product {
            product: vi
                .and_then(|v| v.product_name.clone())
                .filter(|s| !s.trim().is_empty()),
            binary: vi
                .and_then(|v| v.original_filename.clone())
                .filter(|s| !s.trim().is_empty()),
            version: vi.and_then(|v| v.fixed_file_version.clone()),
        };
    }
    let props = it.cfb.and_then(|c| c.msi.as_ref()).map(|m| &m.properties);
    let get = |k: &str| {
        props
            .and_then(|p| p.get(k))
            .filter(|s| !s.trim().is_empty())
            .cloned()
    };
    Product {
        product: get("ProductName"),
        binary: get("ProductCode"),
        version: get("ProductVersion").and_then(|v| msi_version(&v)),
    }
}

/// An MSI `ProductVersion` as AppLocker writes it: four numbers, no
/// leading zeros (`020.000.1621` → `20.0.1621.0`); `None` when it is not
/// one to four dot-separated numbers below 65536.
pub(crate) fn msi_version(v: &str) -> Option<String> {
    let parts: Vec<&str> = v.trim().split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in parts {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = p.parse().ok()?;
        if n > 65535 {
            return None;
        }
        nums.push(n.to_string());
    }
    while nums.len() < 4 {
        nums.push("0".into());
    }
    Some(nums.join("."))
}

/// Whether an XML attribute carries `s` unchanged: a parser normalises tab
/// and newline in attribute values to spaces, and other control characters
/// cannot be written at all, so a name holding them would match nothing.
pub(crate) fn attribute_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || c == '\u{fffe}' || c == '\u{ffff}')
}

/// A `Certificate`'s common name, or its whole subject.
pub(crate) fn common_name(c: &Certificate) -> &str {
    c.subject_attribute("CN").unwrap_or(&c.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use installsift::hash::{Sha1, Sha256};

    fn cert(attrs: &[(&str, &str)], self_signed: bool) -> Certificate {
        Certificate {
            subject: String::new(),
            issuer: String::new(),
            serial: String::new(),
            not_before: None,
            not_after: None,
            signature_algorithm: String::new(),
            sha1: Sha1([0; 20]),
            sha256: Sha256([0; 32]),
            tbs_hash: None,
            tbs_hash_algorithm: None,
            self_signed,
            subject_attributes: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn publisher_name_is_o_l_s_c_upper_cased_unquoted() {
        // Google's 2015 leaf as osslsigncode prints it:
        // /C=US/ST=California/L=Mountain View/O=Google Inc/CN=Google Inc
        let g = cert(
            &[
                ("C", "US"),
                ("ST", "California"),
                ("L", "Mountain View"),
                ("O", "Google Inc"),
                ("CN", "Google Inc"),
            ],
            false,
        );
        assert_eq!(
            applocker_publisher(&g),
            "O=GOOGLE INC, L=MOUNTAIN VIEW, S=CALIFORNIA, C=US"
        );
        // A comma inside O stays unquoted (AppLocker's form, unlike X.500).
        let b = cert(
            &[("C", "CN"), ("O", "Baidu Online, Ltd"), ("L", "Beijing")],
            false,
        );
        assert_eq!(
            applocker_publisher(&b),
            "O=BAIDU ONLINE, LTD, L=BEIJING, C=CN"
        );
        // Only O and C: still the short form.
        let t = cert(
            &[
                ("CN", "x"),
                ("O", "installsift test corpus (TEST ONLY, not trusted)"),
                ("C", "XX"),
            ],
            true,
        );
        assert_eq!(
            applocker_publisher(&t),
            "O=INSTALLSIFT TEST CORPUS (TEST ONLY, NOT TRUSTED), C=XX"
        );
    }

    #[test]
    fn without_o_or_a_place_the_x500_name_reversed_is_used() {
        let c = cert(
            &[
                ("C", "DE"),
                ("CN", "Jörg, \"the\" dev"),
                ("emailAddress", "j@x"),
            ],
            true,
        );
        assert_eq!(
            applocker_publisher(&c),
            "E=J@X, CN=\"JÖRG, \"\"THE\"\" DEV\", C=DE"
        );
        let o_only = cert(&[("O", "Acme"), ("CN", "Acme")], false);
        assert_eq!(applocker_publisher(&o_only), "CN=ACME, O=ACME");
        assert_eq!(upper("straße"), "STRAßE");
    }

    #[test]
    fn names_with_control_characters_are_not_attribute_safe() {
        assert!(attribute_safe("O=ACME, C=US"));
        assert!(attribute_safe("Jörg ® Ltd"));
        assert!(!attribute_safe("Acme\nInc"));
        assert!(!attribute_safe("Acme\tInc"));
        assert!(!attribute_safe("Acme\u{1}"));
    }

    #[test]
    fn msi_versions_become_four_numbers() {
        assert_eq!(msi_version("020.000.1621").as_deref(), Some("20.0.1621.0"));
        assert_eq!(msi_version("0.68.0.0").as_deref(), Some("0.68.0.0"));
        assert_eq!(msi_version("1.3").as_deref(), Some("1.3.0.0"));
        assert_eq!(msi_version("1.2.3.4.5"), None);
        assert_eq!(msi_version("1.x"), None);
        assert_eq!(msi_version("70000.1"), None);
        assert_eq!(msi_version(""), None);
    }

    #[test]
    fn pca_is_below_a_self_signed_root_else_the_top() {
        let leaf = cert(&[("CN", "leaf")], false);
        let pca = cert(&[("CN", "pca")], false);
        let root = cert(&[("CN", "root")], true);
        let sig = SignatureInfo {
            digest_algorithm: installsift::formats::pe::DigestAlgorithm::Sha256,
            signed_digest: String::new(),
            digest_matches: Some(true),
            nested: false,
            signer: None,
            signing_time: None,
            chain: Vec::new(),
            certificates: 0,
            timestamp: None,
        };
        let pick = |chain: &[Certificate]| {
            SignerChain { sig: &sig, chain }
                .pca()
                .map(|c| common_name(c).to_owned())
        };
        assert_eq!(
            pick(&[leaf.clone(), pca.clone(), root.clone()]).as_deref(),
            Some("pca")
        );
        assert_eq!(pick(&[leaf.clone(), pca.clone()]).as_deref(), Some("pca"));
        assert_eq!(pick(&[leaf.clone(), root]).as_deref(), Some("leaf"));
        assert_eq!(pick(&[leaf]).as_deref(), Some("leaf"));
        assert_eq!(pick(&[]), None);
    }
}
