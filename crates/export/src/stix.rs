//! STIX 2.1 bundle of indicators (Microsoft Sentinel, OpenCTI, MISP, XSOAR
//! import it).
//!
//! One `indicator` per file, `pattern_type:"stix"`, pattern
//! `[file:hashes.'SHA-256' = '…']` (with `--hash sha256,md5,…` the hashes are
//! joined with `OR`), lowercase hex. `created`, `modified` and `valid_from`
//! are the export timestamp; `valid_until` the expiration when one is set.
//! `indicator_types` is `benign` for allow, else `malicious-activity`.
//!
//! # Identifiers
//!
//! STIX 2.1 §2.9 says SDOs such as `indicator` SHOULD use UUIDv4 ids and
//! keeps deterministic UUIDv5 ids for SCOs. installsift deliberately writes
//! UUIDv5 ids (in the STIX namespace `00abedb4-…`) so that an export is
//! byte-for-byte reproducible (`SOURCE_DATE_EPOCH`, golden tests, diffable
//! feeds). The name hashed is the action plus every other property of the
//! indicator as written (pattern, types, name, description, times), so:
//!
//! - allow and block exports of one file never share an id (nor do two
//!   exports that differ in any property), and the rule that one id and one
//!   `modified` name one content holds: the same id means the same object;
//! - re-importing the same export is idempotent in a TIP (OpenCTI, MISP,
//!   Sentinel update the object instead of adding a copy);
//! - a changed export (new comment, expiration, timestamp) is a *new*
//!   indicator, not a new version of the old one: revoke or expire old
//!   indicators on the consumer's side, installsift does not version them;
//! - the ids are predictable by anyone holding the same file and options;
//!   they carry no secret and must not be used as one.
//!
//! The bundle id is the UUIDv5 of all indicator ids (written after the
//! objects, as it is known only at the end; key order does not matter in
//! JSON).

use super::util::{action_name, json, uuid5};
use super::{Action, ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Sink, Warnings};
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct Stix2 {
    ids: Vec<String>,
}

fn stix_key(k: HashKind) -> &'static str {
    match k {
        HashKind::Sha256 => "'SHA-256'",
        HashKind::Sha1 => "'SHA-1'",
        // MD5 may appear bare.
        HashKind::Md5 | HashKind::Imphash => "MD5",
    }
}

impl FormatWriter for Stix2 {
    fn begin(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        write!(out, "{{\"type\":\"bundle\",\"objects\":[")
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let mut terms = Vec::new();
        for k in opts.hash_kinds(ExportFormat::Stix2) {
            match it.hash(k) {
                Some(h) => terms.push(format!("file:hashes.{} = '{h}'", stix_key(k))),
                None => warn.node(it, format!("no {} computed", k.name())),
            }
        }
        if terms.is_empty() {
            return Ok(false);
        }
        let t = opts.timestamp.rfc3339_millis();
        let kind = if opts.action == Action::Allow {
            "benign"
        } else {
            "malicious-activity"
        };
        // Every property but the id, in the order written.
        let mut body = format!(
            "\"created\":\"{t}\",\"modified\":\"{t}\",\"name\":{},\"description\":{},\
             \"indicator_types\":[\"{kind}\"],\"pattern\":{},\"pattern_type\":\"stix\",\
             \"valid_from\":\"{t}\"",
            json(&format!("installsift: {}", it.name)),
            json(&opts.comment_for(it)),
            json(&format!("[{}]", terms.join(" OR "))),
        );
        if let Some(e) = opts.expiration {
            body.push_str(&format!(",\"valid_until\":\"{}\"", e.rfc3339_millis()));
        }
        // The action is named even where the content would not show it
        // (audit and block both write `malicious-activity`).
        let id = format!(
            "indicator--{}",
            uuid5(&format!("indicator/{}/{body}", action_name(opts.action)))
        );
        let sep = if self.ids.is_empty() { "\n" } else { ",\n" };
        write!(
            out,
            "{sep}{{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"{id}\",{body}}}"
        )?;
        self.ids.push(id);
        Ok(true)
    }

    fn end(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        let bundle = uuid5(&format!("bundle/{}", self.ids.join(",")));
        writeln!(out, "\n],\"id\":\"bundle--{bundle}\"}}")
    }
}
