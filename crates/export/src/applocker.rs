//! AppLocker policy XML, importable with `Set-AppLockerPolicy -XmlPolicy
//! FILE -Merge` or the Group Policy editor.
//!
//! **Hash rules** (`--rule hash`, `both`): one `FileHashRule` per file, in
//! the rule collection of its type. AppLocker hashes PE files (Exe, Dll
//! collections) with the Authenticode SHA-256 as Windows computes it
//! (padded), written `Data="0x…"` in uppercase; scripts (Script collection:
//! `.ps1 .bat .cmd .vbs .js`) with the flat SHA-256. Windows Installer files
//! (Msi collection: `.msi`, `.msp` and `.mst`, the three extensions
//! AppLocker's documentation lists for it) with the MSI Authenticode SHA-256
//! (the digest a plain MSI signature signs: stream contents in
//! osslsigncode's order, signature streams left out; see
//! `formats::cfb::authenticode`). Transforms get a rule with a warning: the
//! hash is computed as for packages, which no signed transform in the corpus
//! confirms. For a file whose signature has the extended form
//! (`MsiDigitalSignatureEx`) the rule still carries the plain digest, with a
//! warning. Merge modules (run only inside another package), drivers
//! (AppLocker does not cover them) and every other kind of file are left out
//! with a warning.
//!
//! **Publisher rules** (`--rule publisher`, `both`): one
//! `FilePublisherRule` per signed file, from its primary signature (the one
//! Windows checks), as `Get-AppLockerFileInformation` / `New-AppLockerPolicy
//! -RuleType Publisher` write them (see [`super::signer`]): `PublisherName`
//! from the leaf certificate's subject, `ProductName` and `BinaryName`
//! upper-cased from the version resource (`ProductName`,
//! `OriginalFilename`) or the MSI `Property` table (`ProductName`,
//! `ProductCode`), and a `BinaryVersionRange`: allow → from the file's
//! version up (`LowSection=version HighSection="*"`, the cmdlet's default);
//! deny → every version (`*` to `*`), like the WDAC deny rules. A file
//! without a product or binary name (no version resource; patches, which
//! have no `Property` table) gets no publisher rule, with a warning: a `*`
//! there would cover every file of the publisher. Unsigned files, files
//! whose signed digest does not match, and scripts get none either.
//!
//! **Enforcement mode**: every collection is written `AuditOnly`, whatever
//! the action. The file is meant to be merged (`Set-AppLockerPolicy -Merge`
//! keeps the target policy's enforcement mode, so in an enforced policy the
//! rules are enforced). Applied on its own, a collection marked `Enabled`
//! that holds only these rules would block every other file of its type
//! (AppLocker denies what no rule allows), Windows' own programs included;
//! `AuditOnly` only logs. The export warns on stderr. Actions: allow →
//! `Allow`; audit, warn, block, block-and-remediate → `Deny`.

use super::signer;
use super::util::{uuid5, xml};
use super::{Action, ExportOptions, FormatWriter, Item, Sink, Warnings};
use installsift::hash::Sha256;
use installsift::Format;
use std::collections::HashSet;
use std::io::{self, Write};

const COLLECTIONS: [&str; 4] = ["Exe", "Dll", "Msi", "Script"];
const SCRIPT_EXTENSIONS: [&str; 5] = ["ps1", "bat", "cmd", "vbs", "js"];
/// Index of the Script collection.
const SCRIPT: usize = 3;

#[derive(Default)]
pub(crate) struct ApplockerXml {
    /// Rules per collection, in COLLECTIONS order.
    rules: [Vec<String>; 4],
    /// Authenticode (or flat, for scripts) hashes already written.
    seen: HashSet<Sha256>,
    /// Publisher rule IDs already written.
    seen_publishers: HashSet<String>,
}

/// The rule collection of a file, or why it has none.
fn collection(it: &Item<'_>) -> Result<usize, String> {
    match (it.node.format, it.pe) {
        (Format::Pe, Some(pe)) if pe.kind == "driver" => {
            Err("skipped: AppLocker has no rule collection for drivers".into())
        }
        (Format::Pe, Some(pe)) => Ok(usize::from(pe.kind == "dll")),
        (Format::Msm, _) => Err("skipped: a merge module is never installed on its own; \
                                 AppLocker's Msi collection covers .msi, .msp and .mst files"
            .into()),
        (Format::Msi | Format::Msp | Format::Mst, _) => Ok(2),
        (Format::Unknown, _)
            if it
                .extension()
                .is_some_and(|e| SCRIPT_EXTENSIONS.contains(&e.as_str())) =>
        {
            Ok(SCRIPT)
        }
        (f, _) => Err(format!(
            "skipped: AppLocker has no rule collection for {f} files"
        )),
    }
}

fn action_name(opts: &ExportOptions) -> &'static str {
    if opts.action == Action::Allow {
        "Allow"
    } else {
        "Deny"
    }
}

impl ApplockerXml {
    fn hash_rule(
        &mut self,
        it: &Item<'_>,
        slot: usize,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> bool {
        let hash = match it.node.format {
            Format::Pe => {
                let Some(a) = it.authenticode() else {
                    warn.node(
                        it,
                        "skipped: no Authenticode hash (the PE layout is damaged; see the scan errors)",
                    );
                    return false;
                };
                a.sha256
            }
            Format::Msi | Format::Msp | Format::Mst => {
                let Some(a) = it.msi_authenticode() else {
                    warn.node(
                        it,
                        "skipped: no MSI Authenticode hash (the compound file is damaged; see \
                         the scan errors)",
                    );
                    return false;
                };
                if a.extended.is_some() {
                    warn.node(it, super::MSI_EXTENDED_WARNING);
                }
                if it.node.format == Format::Mst {
                    warn.node(
                        it,
                        "transform: AppLocker's Msi collection covers .mst files; its hash is \
                         the MSI Authenticode hash computed as for a package, not confirmed on a \
                         signed transform",
                    );
                }
                a.sha256
            }
            _ => it.sha256,
        };
        if !self.seen.insert(hash) {
            warn.node(
                it,
                "skipped: same Authenticode hash as a file already listed (one rule covers both)",
            );
            return false;
        }
        let rule = format!(
            "    <FileHashRule Id=\"{}\" Name=\"{}\" Description=\"{}\" \
             UserOrGroupSid=\"S-1-1-0\" Action=\"{}\">\n      <Conditions>\n        \
             <FileHashCondition>\n          <FileHash Type=\"SHA256\" Data=\"0x{:X}\" \
             SourceFileName=\"{}\" SourceFileLength=\"{}\" />\n        </FileHashCondition>\n      \
             </Conditions>\n    </FileHashRule>\n",
            uuid5(&format!("applocker/{}/{}", COLLECTIONS[slot], hash)),
            xml(&format!("installsift: {}", it.name)),
            xml(&opts.comment_for(it)),
            action_name(opts),
            hash,
            xml(it.name),
            it.node.size,
        );
        if let Some(r) = self.rules.get_mut(slot) {
            r.push(rule);
        }
        true
    }

    fn publisher_rule(
        &mut self,
        it: &Item<'_>,
        slot: usize,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> bool {
        if slot == SCRIPT {
            warn.node(
                it,
                "no AppLocker publisher rule: scripts are not read for signatures",
            );
            return false;
        }
        let chains = match signer::signatures(it) {
            Ok(c) => c,
            Err(why) => {
                warn.node(it, format!("no AppLocker publisher rule: {why}"));
                return false;
            }
        };
        // Windows checks the primary signature; its leaf names the publisher.
        let Some(leaf) = chains.first().and_then(|c| c.leaf()) else {
            return false;
        };
        if chains.first().is_some_and(|c| c.sig.nested) {
            warn.node(
                it,
                "the primary signature's signer certificate is not embedded: the publisher \
                 rule names the nested signature's signer",
            );
        }
        let publisher = signer::applocker_publisher(leaf);
        let p = signer::product(it);
        let (binary_source, product_source) = if it.pe.is_some() {
            ("OriginalFilename", "ProductName")
        } else {
            ("ProductCode", "ProductName")
        };
        let (Some(product), Some(binary)) = (p.product.as_deref(), p.binary.as_deref()) else {
            // `*` would make the rule cover every product or file of the
            // publisher: far more than this file.
            warn.node(
                it,
                format!(
                    "no AppLocker publisher rule: no {product_source} or {binary_source} to name \
                     the file (a `*` would cover every file of this publisher)"
                ),
            );
            return false;
        };
        let (product, binary) = (signer::upper(product), signer::upper(binary));
        if ![&publisher, &product, &binary]
            .iter()
            .all(|s| signer::attribute_safe(s))
        {
            warn.node(
                it,
                "no AppLocker publisher rule: the publisher, product or file name holds control \
                 characters, which an XML attribute cannot carry unchanged",
            );
            return false;
        }
        let (low, high) = match (opts.action, p.version.as_deref()) {
            (Action::Allow, Some(v)) => (v.to_owned(), "*"),
            (Action::Allow, None) => {
                warn.node(
                    it,
                    "no file or product version: the publisher rule covers every version",
                );
                ("*".to_owned(), "*")
            }
            _ => ("*".to_owned(), "*"),
        };
        let key = format!(
            "applocker-publisher/{}/{}/{publisher}/{product}/{binary}/{low}/{high}",
            COLLECTIONS[slot],
            action_name(opts)
        );
        if !self.seen_publishers.insert(key.clone()) {
            warn.node(
                it,
                "skipped: same publisher, product, file name and versions as a file already \
                 listed (one rule covers both)",
            );
            return false;
        }
        let rule = format!(
            "    <FilePublisherRule Id=\"{}\" Name=\"{}\" Description=\"{}\" \
             UserOrGroupSid=\"S-1-1-0\" Action=\"{}\">\n      <Conditions>\n        \
             <FilePublisherCondition PublisherName=\"{}\" ProductName=\"{}\" \
             BinaryName=\"{}\">\n          <BinaryVersionRange LowSection=\"{}\" \
             HighSection=\"{high}\" />\n        </FilePublisherCondition>\n      </Conditions>\n    \
             </FilePublisherRule>\n",
            uuid5(&key),
            xml(&format!("installsift: {} (publisher)", it.name)),
            xml(&opts.comment_for(it)),
            action_name(opts),
            xml(&publisher),
            xml(&product),
            xml(&binary),
            xml(&low),
        );
        if let Some(r) = self.rules.get_mut(slot) {
            r.push(rule);
        }
        true
    }
}

impl FormatWriter for ApplockerXml {
    fn item(
        &mut self,
        _out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let slot = match collection(it) {
            Ok(s) => s,
            Err(why) => {
                warn.node(it, why);
                return Ok(false);
            }
        };
        if opts.action == Action::Warn || opts.action == Action::BlockAndRemediate {
            warn.once(
                "applocker-action",
                "AppLocker rules only allow or deny: Deny written",
            );
        }
        warn.once(
            "applocker-merge",
            format!(
                "applocker-xml writes its rule collections EnforcementMode=\"AuditOnly\": merge \
                 the file with Set-AppLockerPolicy -XmlPolicy FILE -Merge (the target policy \
                 keeps its enforcement mode, so an enforced policy enforces these rules). \
                 Applied alone, a collection of only these {} rules set to Enabled would block \
                 every other file of its type, Windows' own included; a target collection that \
                 has no Allow rules blocks everything once these rules are in it",
                action_name(opts)
            ),
        );
        let mut wrote = false;
        if opts.rule.hashes() {
            wrote |= self.hash_rule(it, slot, opts, warn);
        }
        if opts.rule.signers() {
            wrote |= self.publisher_rule(it, slot, opts, warn);
        }
        Ok(wrote)
    }

    fn end(&mut self, out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        writeln!(out, "<AppLockerPolicy Version=\"1\">")?;
        for (name, rules) in COLLECTIONS.iter().zip(&self.rules) {
            if rules.is_empty() {
                continue;
            }
            // AuditOnly: see the module documentation (safe when applied
            // alone; -Merge keeps the target's mode).
            writeln!(
                out,
                "  <RuleCollection Type=\"{name}\" EnforcementMode=\"AuditOnly\">"
            )?;
            for r in rules {
                out.write_all(r.as_bytes())?;
            }
            writeln!(out, "  </RuleCollection>")?;
        }
        writeln!(out, "</AppLockerPolicy>")
    }
}
