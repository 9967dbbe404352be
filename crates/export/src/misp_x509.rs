//! MISP `x509` objects for the certificates that signed a file (template
//! `d1ab756a-26b5-4349-9f43-765630f0911c`, version 14, as shipped with
//! PyMISP 2.5): one per distinct signer certificate (primary and nested
//! signatures), with `subject`, `issuer`, `serial-number`,
//! `x509-fingerprint-sha1`/`-sha256`, `validity-not-before`/`-after`,
//! `signature_algorithm`, `subject-common-name` and
//! `subject-organization`. The file object points at each with an
//! `ObjectReference` of type `signed-by` (the relationship MISP defines for
//! it: "an object signed by another object").
//!
//! `to_ids` is false on every attribute: a signer certificate also signs
//! the vendor's other software, so a match on it says nothing about this
//! file. The object's comment says which signature it comes from and
//! whether its signed digest matched the file; the certificate is reported
//! as embedded, its trust not validated (no root store).
//!
//! Kept apart from `misp.rs` (which only calls [`objects`]) so the file
//! template and these objects change independently.

use super::util::{json, uuid5};
use super::Item;
use installsift::formats::pe::SignatureInfo;
use installsift::Format;

/// x509 object template.
const TEMPLATE_UUID: &str = "d1ab756a-26b5-4349-9f43-765630f0911c";
const TEMPLATE_VERSION: &str = "14";

/// `(object reference JSON to append to the file object — empty when the
/// file has no signer certificate —, [(uuid, x509 object JSON)])`.
pub(crate) fn objects(it: &Item<'_>, file_uuid: &str) -> (String, Vec<(String, String)>) {
    let sigs: &[SignatureInfo] = match (it.node.format, it.pe, it.cfb) {
        (Format::Pe, Some(pe), _) => &pe.signatures,
        (_, _, Some(cfb)) => &cfb.signatures,
        _ => &[],
    };
    // Each distinct signer certificate, with the signatures it made.
    let mut signers: Vec<(&installsift::formats::pe::Certificate, Vec<String>)> = Vec::new();
    for sig in sigs {
        let Some(cert) = sig.chain.first() else {
            continue;
        };
        let what = format!(
            "{} {} signature, signed digest {}",
            if sig.nested { "nested" } else { "primary" },
            sig.digest_algorithm.as_str(),
            match sig.digest_matches {
                Some(true) => "matches the file",
                Some(false) => "does NOT match the file",
                None => "not compared",
            }
        );
        match signers.iter_mut().find(|(c, _)| c.sha256 == cert.sha256) {
            Some((_, list)) => list.push(what),
            None => signers.push((cert, vec![what])),
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (cert, made) in signers {
        // From the file object's uuid (action, export time, content): allow
        // and block exports never share an x509 object either.
        let uuid = uuid5(&format!("misp-x509/{file_uuid}/{}", cert.sha256));
        let (sha1, sha256) = (cert.sha1.to_string(), cert.sha256.to_string());
        let mut attrs: Vec<(&str, &str, &str)> = vec![
            ("subject", "text", &cert.subject),
            ("issuer", "text", &cert.issuer),
            ("serial-number", "text", &cert.serial),
            ("x509-fingerprint-sha1", "x509-fingerprint-sha1", &sha1),
            (
                "x509-fingerprint-sha256",
                "x509-fingerprint-sha256",
                &sha256,
            ),
        ];
        if let Some(t) = &cert.not_before {
            attrs.push(("validity-not-before", "datetime", t));
        }
        if let Some(t) = &cert.not_after {
            attrs.push(("validity-not-after", "datetime", t));
        }
        if !cert.signature_algorithm.is_empty() {
            attrs.push(("signature_algorithm", "text", &cert.signature_algorithm));
        }
        if let Some(cn) = cert.subject_attribute("CN") {
            attrs.push(("subject-common-name", "text", cn));
        }
        if let Some(o) = cert.subject_attribute("O") {
            attrs.push(("subject-organization", "text", o));
        }
        let attributes = attrs
            .iter()
            .map(|(rel, ty, value)| {
                format!(
                    "{{\"object_relation\":\"{rel}\",\"type\":\"{ty}\",\"category\":\"Other\",\
                     \"to_ids\":false,\"value\":{}}}",
                    json(value)
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let comment = format!(
            "signer of {} ({}; trust not validated)",
            it.name,
            made.join("; ")
        );
        out.push((
            uuid.clone(),
            format!(
                "{{\"name\":\"x509\",\"meta-category\":\"network\",\
                 \"template_uuid\":\"{TEMPLATE_UUID}\",\"template_version\":\"{TEMPLATE_VERSION}\",\
                 \"uuid\":\"{uuid}\",\"comment\":{},\"Attribute\":[{attributes}]}}",
                json(&comment)
            ),
        ));
    }
    if out.is_empty() {
        return (String::new(), out);
    }
    let refs = out
        .iter()
        .map(|(u, _)| {
            format!(
                "{{\"uuid\":\"{}\",\"object_uuid\":\"{file_uuid}\",\"referenced_uuid\":\"{u}\",\
                 \"relationship_type\":\"signed-by\"}}",
                uuid5(&format!("misp-ref/{file_uuid}/{u}"))
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    (format!(",\"ObjectReference\":[{refs}]"), out)
}
