//! AppLocker policy XML: one `FileHashRule` per file, in the rule collection
//! of its type, importable with `Set-AppLockerPolicy -XmlPolicy FILE -Merge`
//! or the Group Policy editor.
//!
//! AppLocker hashes PE files (Exe, Dll collections) with the Authenticode
//! SHA-256 as Windows computes it (padded), written `Data="0x…"` in
//! uppercase; scripts (Script collection: `.ps1 .bat .cmd .vbs .js`) with the
//! flat SHA-256. Windows Installer packages and patches (Msi collection)
//! with the MSI Authenticode SHA-256 (the digest a plain MSI signature
//! signs: stream contents in osslsigncode's order, signature streams left
//! out; see `formats::cfb::authenticode`). For a file whose signature has
//! the extended form (`MsiDigitalSignatureEx`) the rule still carries the
//! plain digest, with a warning: whether Windows then hashes the extended
//! form is not verified. Merge modules (run only inside another package),
//! drivers (AppLocker does not cover them) and every other kind of file are
//! left out with a warning.
//!
//! Actions: allow → `Allow`; audit → `Deny` in collections with
//! `EnforcementMode="AuditOnly"`; warn, block, block-and-remediate → `Deny`.
//! The policy holds only these rules: merge it into an existing policy (an
//! enforced collection with no Allow rule blocks everything else).

use super::util::{uuid5, xml};
use super::{Action, ExportOptions, FormatWriter, Item, Sink, Warnings};
use crate::report::Format;
use std::io::{self, Write};

const COLLECTIONS: [&str; 4] = ["Exe", "Dll", "Msi", "Script"];
const SCRIPT_EXTENSIONS: [&str; 5] = ["ps1", "bat", "cmd", "vbs", "js"];

#[derive(Default)]
pub(crate) struct ApplockerXml {
    /// Rules per collection, in COLLECTIONS order.
    rules: [Vec<String>; 4],
    /// Authenticode (or flat, for scripts) hashes already written.
    seen: std::collections::HashSet<String>,
}

impl FormatWriter for ApplockerXml {
    fn item(
        &mut self,
        _out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let (slot, hash) = match (it.node.format, it.pe) {
            (Format::Pe, Some(pe)) => {
                if pe.kind == "driver" {
                    warn.node(it, "skipped: AppLocker has no rule collection for drivers");
                    return Ok(false);
                }
                let Some(a) = it.authenticode() else {
                    warn.node(
                        it,
                        "skipped: no Authenticode hash (the PE layout is damaged; see the scan errors)",
                    );
                    return Ok(false);
                };
                (usize::from(pe.kind == "dll"), a.sha256.as_str())
            }
            (Format::Msm, _) => {
                warn.node(
                    it,
                    "skipped: a merge module is never installed on its own; AppLocker's Msi \
                     collection covers .msi and .msp packages",
                );
                return Ok(false);
            }
            (Format::Msi | Format::Msp, _) => {
                let Some(a) = it.msi_authenticode() else {
                    warn.node(
                        it,
                        "skipped: no MSI Authenticode hash (the compound file is damaged; see \
                         the scan errors)",
                    );
                    return Ok(false);
                };
                if a.extended.is_some() {
                    warn.node(it, super::MSI_EXTENDED_WARNING);
                }
                (2, a.sha256.as_str())
            }
            (Format::Unknown, _)
                if it
                    .extension()
                    .is_some_and(|e| SCRIPT_EXTENSIONS.contains(&e.as_str())) =>
            {
                (3, it.sha256)
            }
            (f, _) => {
                warn.node(
                    it,
                    format!("skipped: AppLocker has no hash rule collection for {f} files"),
                );
                return Ok(false);
            }
        };
        if !self.seen.insert(hash.to_owned()) {
            warn.node(
                it,
                "skipped: same Authenticode hash as a file already listed (one rule covers both)",
            );
            return Ok(false);
        }
        let action = if opts.action == Action::Allow {
            "Allow"
        } else {
            "Deny"
        };
        if opts.action == Action::Warn || opts.action == Action::BlockAndRemediate {
            warn.once(
                "applocker-action",
                "AppLocker rules only allow or deny: Deny written",
            );
        }
        let rule = format!(
            "    <FileHashRule Id=\"{}\" Name=\"{}\" Description=\"{}\" \
             UserOrGroupSid=\"S-1-1-0\" Action=\"{action}\">\n      <Conditions>\n        \
             <FileHashCondition>\n          <FileHash Type=\"SHA256\" Data=\"0x{}\" \
             SourceFileName=\"{}\" SourceFileLength=\"{}\" />\n        </FileHashCondition>\n      \
             </Conditions>\n    </FileHashRule>\n",
            uuid5(&format!("applocker/{}/{}", COLLECTIONS[slot], hash)),
            xml(&format!("installsift: {}", it.name)),
            xml(&opts.comment_for(it)),
            hash.to_ascii_uppercase(),
            xml(it.name),
            it.node.size,
        );
        if let Some(r) = self.rules.get_mut(slot) {
            r.push(rule);
        }
        Ok(true)
    }

    fn end(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        let mode = if opts.action == Action::Audit {
            "AuditOnly"
        } else {
            "Enabled"
        };
        writeln!(out, "<AppLockerPolicy Version=\"1\">")?;
        for (name, rules) in COLLECTIONS.iter().zip(&self.rules) {
            if rules.is_empty() {
                continue;
            }
            writeln!(
                out,
                "  <RuleCollection Type=\"{name}\" EnforcementMode=\"{mode}\">"
            )?;
            for r in rules {
                out.write_all(r.as_bytes())?;
            }
            writeln!(out, "  </RuleCollection>")?;
        }
        writeln!(out, "</AppLockerPolicy>")
    }
}
