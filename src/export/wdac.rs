//! App Control for Business (WDAC) policy XML: for each PE, two file rules
//! with its Authenticode SHA-1 and SHA-256 (`Hash Sha1`, `Hash Sha256`, the
//! padded values Windows computes, uppercase hex), referenced from the
//! user-mode signing scenario (`Value="12"`). Windows Installer packages and
//! patches (App Control checks them when msiexec runs them) get the same two
//! rules with their MSI Authenticode SHA-1 and SHA-256 (see
//! `formats::cfb::authenticode`; for an extended-form signature the plain
//! digest, with a warning).
//!
//! Page hashes (`Hash Page Sha1/Sha256`) are **not** emitted: only the two
//! whole-file Authenticode rules. Merge modules and every other kind of file
//! are left out with a warning.
//!
//! Actions: allow → `Allow` rules; everything else → `Deny` rules, and then
//! the policy also carries the two allow-all rules (`FileName="*"`, kernel
//! and user mode) that Microsoft's recommended block lists use, so that on
//! its own it blocks only the listed files. Audit adds `Enabled:Audit Mode`.
//! An Allow-only policy is a strict allow list: merge it into your base
//! policy (`Merge-CIPolicy`) rather than deploy it alone.

use super::util::{uuid5, xml};
use super::{Action, ExportOptions, FormatWriter, Item, Sink, Warnings};
use crate::report::Format;
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct WdacXml {
    rules: Vec<String>,
    ids: Vec<String>,
    /// Authenticode (or flat, for scripts) hashes already written.
    seen: std::collections::HashSet<String>,
}

impl FormatWriter for WdacXml {
    fn item(
        &mut self,
        _out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        let (sha1, sha256) = match it.node.format {
            Format::Pe => {
                let Some(a) = it.authenticode() else {
                    warn.node(
                        it,
                        "skipped: no Authenticode hash (the PE layout is damaged; see the scan errors)",
                    );
                    return Ok(false);
                };
                (&a.sha1, &a.sha256)
            }
            Format::Msi | Format::Msp => {
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
                (&a.sha1, &a.sha256)
            }
            f => {
                warn.node(
                    it,
                    format!(
                        "skipped: WDAC hash rules need an Authenticode hash, which installsift \
                         computes for PE files and Windows Installer packages only ({f} file)"
                    ),
                );
                return Ok(false);
            }
        };
        if !self.seen.insert(sha256.clone()) {
            warn.node(
                it,
                "skipped: same Authenticode hash as a file already listed (one rule covers both)",
            );
            return Ok(false);
        }
        let (tag, prefix) = if opts.action == Action::Allow {
            ("Allow", "ID_ALLOW")
        } else {
            ("Deny", "ID_DENY")
        };
        let key = it
            .sha256
            .get(..16)
            .unwrap_or(it.sha256)
            .to_ascii_uppercase();
        for (alg, hash) in [("SHA1", sha1), ("SHA256", sha256)] {
            let id = format!("{prefix}_{key}_{alg}");
            let friendly = match alg {
                "SHA1" => "Hash Sha1",
                _ => "Hash Sha256",
            };
            self.rules.push(format!(
                "    <{tag} ID=\"{id}\" FriendlyName=\"{} {friendly}\" Hash=\"{}\" />\n",
                xml(it.name),
                hash.to_ascii_uppercase()
            ));
            self.ids.push(id);
        }
        Ok(true)
    }

    fn end(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        let deny = opts.action != Action::Allow;
        let policy_id = uuid5(&format!("wdac/{}", self.ids.join(","))).to_ascii_uppercase();
        writeln!(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>")?;
        writeln!(
            out,
            "<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\" PolicyType=\"Base Policy\">"
        )?;
        writeln!(out, "  <!-- installsift export {}: Authenticode Sha1 and Sha256 rules only, no page hashes -->", opts.timestamp.rfc3339())?;
        writeln!(out, "  <VersionEx>10.0.0.0</VersionEx>")?;
        writeln!(
            out,
            "  <PlatformID>{{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}}</PlatformID>"
        )?;
        writeln!(out, "  <PolicyID>{{{policy_id}}}</PolicyID>")?;
        writeln!(out, "  <BasePolicyID>{{{policy_id}}}</BasePolicyID>")?;
        writeln!(out, "  <Rules>")?;
        writeln!(
            out,
            "    <Rule>\n      <Option>Enabled:Unsigned System Integrity Policy</Option>\n    </Rule>"
        )?;
        if opts.action == Action::Audit {
            writeln!(
                out,
                "    <Rule>\n      <Option>Enabled:Audit Mode</Option>\n    </Rule>"
            )?;
        }
        writeln!(out, "  </Rules>")?;
        writeln!(out, "  <EKUs />")?;
        writeln!(out, "  <FileRules>")?;
        if deny {
            writeln!(
                out,
                "    <Allow ID=\"ID_ALLOW_A_1\" FriendlyName=\"Allow Kernel Drivers\" FileName=\"*\" />"
            )?;
            writeln!(
                out,
                "    <Allow ID=\"ID_ALLOW_A_2\" FriendlyName=\"Allow User mode components\" FileName=\"*\" />"
            )?;
        }
        for r in &self.rules {
            out.write_all(r.as_bytes())?;
        }
        writeln!(out, "  </FileRules>")?;
        writeln!(out, "  <Signers />")?;
        writeln!(out, "  <SigningScenarios>")?;
        writeln!(
            out,
            "    <SigningScenario Value=\"131\" ID=\"ID_SIGNINGSCENARIO_DRIVERS_1\" FriendlyName=\"Kernel mode\">"
        )?;
        writeln!(out, "      <ProductSigners>")?;
        if deny {
            writeln!(
                out,
                "        <FileRulesRef>\n          <FileRuleRef RuleID=\"ID_ALLOW_A_1\" />\n        </FileRulesRef>"
            )?;
        }
        writeln!(out, "      </ProductSigners>")?;
        writeln!(out, "    </SigningScenario>")?;
        writeln!(
            out,
            "    <SigningScenario Value=\"12\" ID=\"ID_SIGNINGSCENARIO_WINDOWS\" FriendlyName=\"User mode\">"
        )?;
        writeln!(out, "      <ProductSigners>")?;
        if deny || !self.ids.is_empty() {
            writeln!(out, "        <FileRulesRef>")?;
            if deny {
                writeln!(out, "          <FileRuleRef RuleID=\"ID_ALLOW_A_2\" />")?;
            }
            for id in &self.ids {
                writeln!(out, "          <FileRuleRef RuleID=\"{id}\" />")?;
            }
            writeln!(out, "        </FileRulesRef>")?;
        }
        writeln!(out, "      </ProductSigners>")?;
        writeln!(out, "    </SigningScenario>")?;
        writeln!(out, "  </SigningScenarios>")?;
        writeln!(out, "  <UpdatePolicySigners />")?;
        writeln!(out, "  <CiSigners />")?;
        writeln!(out, "  <HvciOptions>0</HvciOptions>")?;
        writeln!(out, "</SiPolicy>")
    }
}
