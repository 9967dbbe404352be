//! MISP event JSON (MISP core format): one `file` object per file
//! (template `688c46fb-5edb-40a3-8273-1af7923e2215`, version 25: MISP/misp-objects
//! `objects/file/definition.json` as of commit 2c4f2f7 "Add Magic Field on
//! File", 2026-02-19, unchanged at the repository head 54538c6, and the copy
//! pymisp 2.5.34.4 ships) with the
//! attributes installsift knows: `filename`, `size-in-bytes`, `md5`, `sha1`,
//! `sha256`, and for PEs `authentihash` (the unpadded Authenticode SHA-256,
//! as VirusTotal and MISP use it) and `imphash`; for Windows Installer files
//! `authentihash` is the MSI Authenticode SHA-256 (plain form).
//!
//! `to_ids` is true on md5/sha1/sha256/authentihash (false for the allow
//! action, which should not feed IDS exports), false on filename, size and
//! imphash (an imphash is shared by every build of the same program).
//! Event `threat_level_id` follows the severity (critical/high 1, medium 2,
//! low 3, info 4); `analysis` 2 (complete), `distribution` 0 (this
//! organisation only). UUIDs are UUIDv5: an object's of the action, the
//! export time and everything the object holds (so allow and block exports,
//! whose `to_ids` differ, never share one; MISP wants object uuids unique
//! across an instance), the event's of all object UUIDs (written after the
//! objects). Signed files also get `x509` objects for their signers (see
//! `misp_x509`), whose uuids derive from their file object's.

use super::util::{action_name, json, uuid5};
use super::{Action, ExportOptions, FormatWriter, Item, Severity, Sink, Warnings};
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct MispJson {
    uuids: Vec<String>,
}

impl FormatWriter for MispJson {
    fn begin(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        let level = match opts.severity {
            Severity::Critical | Severity::High => "1",
            Severity::Medium => "2",
            Severity::Low => "3",
            Severity::Info => "4",
        };
        write!(
            out,
            "{{\"Event\":{{\"info\":\"installsift export\",\"date\":\"{}\",\
             \"threat_level_id\":\"{level}\",\"analysis\":\"2\",\"distribution\":\"0\",\
             \"Object\":[",
            opts.timestamp.date()
        )
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        _warn: &mut Warnings,
    ) -> io::Result<bool> {
        let ids = opts.action != Action::Allow;
        let mut attrs: Vec<(&str, &str, String, bool)> = vec![
            ("filename", "Payload delivery", it.name.to_owned(), false),
            ("size-in-bytes", "Other", it.node.size.to_string(), false),
        ];
        if let Some(h) = it.md5() {
            attrs.push(("md5", "Payload delivery", h.to_string(), ids));
        }
        if let Some(h) = it.sha1() {
            attrs.push(("sha1", "Payload delivery", h.to_string(), ids));
        }
        attrs.push(("sha256", "Payload delivery", it.sha256.to_string(), ids));
        if let Some(a) = it.authenticode() {
            attrs.push((
                "authentihash",
                "Payload delivery",
                a.sha256_unpadded.to_string(),
                ids,
            ));
        } else if let Some(a) = it.msi_authenticode() {
            attrs.push((
                "authentihash",
                "Payload delivery",
                a.sha256.to_string(),
                ids,
            ));
        }
        if let Some(h) = it.imphash() {
            attrs.push(("imphash", "Payload delivery", h.to_string(), false));
        }
        // Everything of the object but its uuid, in the order written.
        let mut body = format!(
            "\"comment\":{},\"Attribute\":[",
            json(&opts.comment_for(it))
        );
        for (i, (rel, category, value, to_ids)) in attrs.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            body.push_str(&format!(
                "{sep}{{\"object_relation\":\"{rel}\",\"type\":\"{rel}\",\"category\":\"{category}\",\
                 \"to_ids\":{to_ids},\"value\":{}}}",
                json(value)
            ));
        }
        body.push(']');
        // MISP keeps object uuids unique across an instance: the uuid names
        // the action, the export time and the whole object, so an allow and
        // a block export (or two exports at different times) never collide,
        // and the same export imported twice is the same object.
        let uuid = uuid5(&format!(
            "misp-object/{}/{}/{body}",
            action_name(opts.action),
            opts.timestamp.rfc3339()
        ));
        // Signer certificates: x509 objects the file is `signed-by`.
        let (refs, certs) = super::misp_x509::objects(it, &uuid);
        let sep = if self.uuids.is_empty() { "\n" } else { ",\n" };
        write!(
            out,
            "{sep}{{\"name\":\"file\",\"meta-category\":\"file\",\
             \"template_uuid\":\"688c46fb-5edb-40a3-8273-1af7923e2215\",\
             \"template_version\":\"25\",\"uuid\":\"{uuid}\",{body}{refs}}}"
        )?;
        self.uuids.push(uuid);
        for (cert_uuid, object) in certs {
            write!(out, ",\n{object}")?;
            self.uuids.push(cert_uuid);
        }
        Ok(true)
    }

    fn end(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        let uuid = uuid5(&format!("misp-event/{}", self.uuids.join(",")));
        writeln!(out, "\n],\"uuid\":\"{uuid}\"}}}}")
    }
}
