//! App Control for Business (WDAC) policy XML, valid against Windows'
//! `cipolicy.xsd`.
//!
//! **Hash rules** (`--rule hash`, `both`): for each PE, two file rules with
//! its Authenticode SHA-1 and SHA-256 (`Hash Sha1`, `Hash Sha256`, the padded
//! values Windows computes, uppercase hex). Windows Installer packages and
//! patches (App Control checks them when msiexec runs them) get the same two
//! rules with their MSI Authenticode SHA-1 and SHA-256 (see
//! `formats::cfb::authenticode`; for an extended-form signature the plain
//! digest, with a warning). Page hashes (`Hash Page Sha1/Sha256`) are **not**
//! emitted. Merge modules and every other kind of file are left out with a
//! warning.
//!
//! **Signer rules** (`--rule publisher`, `pca`, `both`), from each
//! Authenticode signature the scan read (nested ones too; see
//! [`super::signer`]), as `New-CIPolicyRule` writes them:
//! - `publisher`: file-publisher level — a `Signer` with `CertRoot
//!   Type="TBS"` (the PCA certificate's TBS hash), `CertPublisher` (the
//!   leaf's common name) and a `FileAttribRef` to a `FileAttrib` with the
//!   version resource's `OriginalFilename` and `MinimumFileVersion` (the
//!   fixed file version); for an allow rule, publisher level (no
//!   `FileAttribRef`) when the file has no version resource (MSI packages,
//!   for instance), with a warning; a deny rule is then not written (it
//!   would block every file of the publisher), with a warning;
//! - `pca`: PCA-certificate level — `CertRoot` only: every file issued under
//!   that CA.
//!
//! Each rule goes to the signing scenario of its file: kernel mode (131) for
//! drivers, user mode (12) otherwise.
//!
//! **Policy type** (see the README's export section):
//! - block, audit, warn, block-and-remediate → a **base policy** in the shape
//!   of Microsoft's recommended block rules: `Enabled:UMCI` (without it
//!   user-mode rules are not enforced), allow-all rules for both scenarios
//!   (`FileName="*"`), then the deny rules; on its own it blocks only the
//!   listed files. Audit adds `Enabled:Audit Mode`.
//! - allow → a **supplemental policy**: it can only widen what a base policy
//!   allows, so it can never block a driver or Windows itself, whereas a base
//!   allow list without Windows' own signers would block every driver and
//!   system file it does not name. Its `BasePolicyID` is a placeholder (the
//!   all-zero GUID supplements no policy): the export warns that the user
//!   must set it (`Set-CIPolicyIdInfo -SupplementsBasePolicyID`) or merge the
//!   rules into their base (`Merge-CIPolicy`), and that the base needs
//!   `Enabled:Allow Supplemental Policies`.
//!
//! Rule IDs match the schema's patterns (`ID_ALLOW_[A-Z][_A-Z0-9]*`, …):
//! every variable part follows a letter.

use super::signer::{self, SignerChain};
use super::util::{uuid5, xml};
use super::{Action, ExportOptions, FormatWriter, Item, RuleKind, Sink, Warnings};
use installsift::hash::Sha256;
use installsift::Format;
use std::collections::HashSet;
use std::io::{self, Write};

/// The base policy a supplemental policy supplements until the user says
/// which: none.
const PLACEHOLDER_BASE: &str = "{00000000-0000-0000-0000-000000000000}";

/// Signing scenarios.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// 131.
    Kernel,
    /// 12.
    User,
}

#[derive(Default)]
pub(crate) struct WdacXml {
    /// `<Allow>`/`<Deny>`/`<FileAttrib>` elements.
    rules: Vec<String>,
    /// File rule IDs per scenario (kernel, user).
    file_refs: [Vec<String>; 2],
    /// `<Signer>` elements.
    signers: Vec<String>,
    /// Signer IDs per scenario.
    signer_refs: [Vec<String>; 2],
    /// Authenticode hashes already written.
    seen: HashSet<Sha256>,
    /// Signer keys already written (scenario, TBS, publisher, file attrib).
    seen_signers: HashSet<String>,
    /// IDs used (each must be unique).
    ids: HashSet<String>,
}

impl WdacXml {
    fn hash_rules(
        &mut self,
        it: &Item<'_>,
        opts: &ExportOptions,
        scenario: Scenario,
        warn: &mut Warnings,
    ) -> bool {
        let (sha1, sha256) = match it.node.format {
            Format::Pe => {
                let Some(a) = it.authenticode() else {
                    warn.node(
                        it,
                        "skipped: no Authenticode hash (the PE layout is damaged; see the scan errors)",
                    );
                    return false;
                };
                (a.sha1, a.sha256)
            }
            Format::Msi | Format::Msp => {
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
                (a.sha1, a.sha256)
            }
            f => {
                warn.node(
                    it,
                    format!(
                        "skipped: WDAC hash rules need an Authenticode hash, which installsift \
                         computes for PE files and Windows Installer packages only ({f} file)"
                    ),
                );
                return false;
            }
        };
        if !self.seen.insert(sha256) {
            warn.node(
                it,
                "skipped: same Authenticode hash as a file already listed (one rule covers both)",
            );
            return false;
        }
        let (tag, prefix) = tag_prefix(opts);
        // The first 8 bytes of the SHA-256, as 16 hex digits.
        let mut key = format!("{sha256:X}");
        key.truncate(16);
        for (alg, hash, friendly) in [
            ("SHA1", format!("{sha1:X}"), "Hash Sha1"),
            ("SHA256", format!("{sha256:X}"), "Hash Sha256"),
        ] {
            // `H` keeps the ID's variable part starting with a letter.
            let id = format!("{prefix}_H{key}_{alg}");
            self.rules.push(format!(
                "    <{tag} ID=\"{id}\" FriendlyName=\"{} {friendly}\" Hash=\"{}\" />\n",
                xml(it.name),
                hash
            ));
            self.ids.insert(id.clone());
            self.file_refs[scenario as usize].push(id);
        }
        true
    }

    fn signer_rules(
        &mut self,
        it: &Item<'_>,
        opts: &ExportOptions,
        scenario: Scenario,
        warn: &mut Warnings,
    ) -> bool {
        let chains = match signer::signatures(it) {
            Ok(c) => c,
            Err(why) => {
                warn.node(it, format!("no WDAC signer rule: {why}"));
                return false;
            }
        };
        let level_file = opts.rule != RuleKind::Pca;
        let product = signer::product(it);
        // File-publisher level needs the version resource's file name and
        // version; MSI packages and PEs without one get the publisher level.
        let file_attrib = match (it.node.format, &product.binary, &product.version) {
            (Format::Pe, Some(name), Some(version)) if level_file => {
                Some((name.clone(), version.clone()))
            }
            (Format::Pe, _, _) if level_file && opts.action == Action::Allow => {
                warn.node(
                    it,
                    "no OriginalFilename and file version in the version resource: WDAC signer \
                     rule at the publisher level (every file of this publisher under this CA), \
                     not the file-publisher level",
                );
                None
            }
            (_, _, _) if level_file && opts.action == Action::Allow => {
                warn.node(
                    it,
                    "a Windows Installer file has no version resource: WDAC signer rule at the \
                     publisher level (every file of this publisher under this CA)",
                );
                None
            }
            _ => None,
        };
        if level_file && file_attrib.is_none() && opts.action != Action::Allow {
            // A deny at the publisher level would block every file this
            // publisher signs under this CA: not what a file's rule means.
            warn.node(
                it,
                "no WDAC deny signer rule: without OriginalFilename and a file version (MSI \
                 packages have none) it would be a publisher-level deny, blocking every file \
                 this publisher signs; use --rule pca to ask for a signer-wide rule explicitly",
            );
            return false;
        }
        let mut wrote = false;
        for chain in &chains {
            wrote |= self.one_signer(it, opts, scenario, chain, file_attrib.as_ref(), warn);
        }
        wrote
    }

    fn one_signer(
        &mut self,
        it: &Item<'_>,
        opts: &ExportOptions,
        scenario: Scenario,
        chain: &SignerChain<'_>,
        file_attrib: Option<&(String, String)>,
        warn: &mut Warnings,
    ) -> bool {
        let (Some(leaf), Some(pca)) = (chain.leaf(), chain.pca()) else {
            return false;
        };
        let Some(tbs) = pca.tbs_hash.as_ref() else {
            warn.node(
                it,
                format!(
                    "no WDAC signer rule for the signature by {}: the CA certificate's signature \
                     algorithm ({}) has no TBS hash WDAC is known to use",
                    signer::common_name(leaf),
                    pca.signature_algorithm
                ),
            );
            return false;
        };
        if chain.chain.len() == 1 {
            warn.once(
                "wdac-single-cert",
                "a signature embeds only its signer's certificate: its WDAC CertRoot names that \
                 certificate itself (Windows builds the chain on the device and may pick another \
                 PCA certificate)",
            );
        }
        let publisher = (opts.rule != RuleKind::Pca).then(|| signer::common_name(leaf));
        let names = [
            publisher.unwrap_or(""),
            file_attrib.map_or("", |(n, _)| n.as_str()),
        ];
        if !names.iter().all(|s| signer::attribute_safe(s)) {
            warn.node(
                it,
                "no WDAC signer rule: the publisher or file name holds control characters, which \
                 an XML attribute cannot carry unchanged",
            );
            return false;
        }
        let key = format!(
            "{}|{tbs}|{}|{}",
            scenario as usize,
            publisher.unwrap_or(""),
            file_attrib.map_or(String::new(), |(n, v)| format!("{n}|{v}"))
        );
        if !self.seen_signers.insert(key.clone()) {
            return false;
        }
        let tag = id_key(&key);
        let signer_id = format!("ID_SIGNER_S_{tag}");
        let mut body = format!(
            "      <CertRoot Type=\"TBS\" Value=\"{}\" />\n",
            tbs.to_ascii_uppercase()
        );
        if let Some(p) = publisher {
            body.push_str(&format!("      <CertPublisher Value=\"{}\" />\n", xml(p)));
        }
        if let Some((name, version)) = file_attrib {
            let attrib_id = format!("ID_FILEATTRIB_F_{tag}");
            self.rules.push(format!(
                "    <FileAttrib ID=\"{attrib_id}\" FriendlyName=\"{} FileAttribute\" \
                 FileName=\"{}\" MinimumFileVersion=\"{}\" />\n",
                xml(it.name),
                xml(name),
                xml(&wdac_version(version, opts))
            ));
            body.push_str(&format!("      <FileAttribRef RuleID=\"{attrib_id}\" />\n"));
        }
        self.signers.push(format!(
            "    <Signer ID=\"{signer_id}\" Name=\"{}\">\n{body}    </Signer>\n",
            xml(signer::common_name(pca))
        ));
        self.signer_refs[scenario as usize].push(signer_id);
        true
    }
}

/// Allow or deny file rules, by action.
fn tag_prefix(opts: &ExportOptions) -> (&'static str, &'static str) {
    if opts.action == Action::Allow {
        ("Allow", "ID_ALLOW")
    } else {
        ("Deny", "ID_DENY")
    }
}

/// An ID part from a key: 16 uppercase hex digits of its UUIDv5.
fn id_key(key: &str) -> String {
    uuid5(&format!("wdac-signer/{key}"))
        .replace('-', "")
        .get(..16)
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// `MinimumFileVersion` of a file-publisher rule: allow → the file's
/// version (this version and later, as `New-CIPolicyRule` writes it); deny
/// → `65535.65535.65535.65535`, which for a deny rule covers every version,
/// the value Microsoft's recommended block rules use (a deny rule treats the
/// version as the highest one blocked).
fn wdac_version(version: &str, opts: &ExportOptions) -> String {
    if opts.action == Action::Allow {
        version.to_owned()
    } else {
        "65535.65535.65535.65535".to_owned()
    }
}

impl FormatWriter for WdacXml {
    fn item(
        &mut self,
        _out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        if opts.action == Action::Allow {
            warn.once(
                "wdac-supplemental",
                format!(
                    "wdac-xml --action allow writes a supplemental policy whose BasePolicyID is \
                     the placeholder {PLACEHOLDER_BASE}: it supplements no policy until you set \
                     your base policy's ID (Set-CIPolicyIdInfo -FilePath FILE \
                     -SupplementsBasePolicyID {{BASE-ID}}) or merge its rules into your base \
                     (Merge-CIPolicy); the base needs Enabled:Allow Supplemental Policies. It is \
                     not a base allow list: deployed as one it would block every driver and \
                     Windows file it does not name"
                ),
            );
        }
        if opts.action == Action::Warn || opts.action == Action::BlockAndRemediate {
            warn.once("wdac-action", "WDAC rules only allow or deny: Deny written");
        }
        let scenario = match it.pe {
            Some(pe) if pe.kind == "driver" => Scenario::Kernel,
            _ => Scenario::User,
        };
        let mut wrote = false;
        if opts.rule.hashes() {
            wrote |= self.hash_rules(it, opts, scenario, warn);
        }
        if opts.rule.signers() && matches!(it.node.format, Format::Pe | Format::Msi | Format::Msp) {
            wrote |= self.signer_rules(it, opts, scenario, warn);
        } else if opts.rule.signers() && !opts.rule.hashes() {
            warn.node(
                it,
                format!(
                    "skipped: WDAC signer rules are written for signed PE files and Windows \
                     Installer packages only ({} file)",
                    it.node.format
                ),
            );
        }
        Ok(wrote)
    }

    fn end(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        let allow = opts.action == Action::Allow;
        let mut all_ids: Vec<&String> = self.ids.iter().collect();
        all_ids.sort();
        let mut signer_ids: Vec<&String> = self.signer_refs.iter().flatten().collect();
        signer_ids.sort();
        let policy_id = uuid5(&format!(
            "wdac/{}/{}/{}",
            if allow { "allow" } else { "deny" },
            all_ids
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
            signer_ids
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ))
        .to_ascii_uppercase();
        let (policy_type, base_id) = if allow {
            ("Supplemental Policy", PLACEHOLDER_BASE.to_owned())
        } else {
            ("Base Policy", format!("{{{policy_id}}}"))
        };
        writeln!(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>")?;
        writeln!(
            out,
            "<SiPolicy xmlns=\"urn:schemas-microsoft-com:sipolicy\" PolicyType=\"{policy_type}\">"
        )?;
        let rules = match opts.rule {
            RuleKind::Hash => "Authenticode Sha1 and Sha256 hash rules, no page hashes",
            RuleKind::Publisher => "signer rules at the file-publisher or publisher level",
            RuleKind::Pca => "signer rules at the PCA-certificate level",
            RuleKind::Both => {
                "Authenticode Sha1 and Sha256 hash rules (no page hashes) and signer rules at the \
                 file-publisher or publisher level"
            }
        };
        writeln!(
            out,
            "  <!-- installsift export {}: {}; {rules} -->",
            opts.timestamp.rfc3339(),
            if allow {
                "supplemental policy (it can only add to what its base policy allows; UMCI and \
                 the other options come from the base): set BasePolicyID to your base policy's \
                 ID before deploying, or merge the rules into the base with Merge-CIPolicy"
            } else {
                "base policy with Enabled:UMCI that allows everything (both scenarios) but the \
                 denied files, in the form of Microsoft's recommended block rules"
            }
        )?;
        writeln!(out, "  <VersionEx>10.0.0.0</VersionEx>")?;
        writeln!(
            out,
            "  <PlatformID>{{2E07F7E4-194C-4D20-B7C9-6F44A6C5A234}}</PlatformID>"
        )?;
        writeln!(out, "  <PolicyID>{{{policy_id}}}</PolicyID>")?;
        writeln!(out, "  <BasePolicyID>{base_id}</BasePolicyID>")?;
        writeln!(out, "  <Rules>")?;
        let mut options = vec!["Enabled:Unsigned System Integrity Policy"];
        if !allow {
            // Without UMCI the user-mode scenario (12) is not enforced.
            options.push("Enabled:UMCI");
            if opts.action == Action::Audit {
                options.push("Enabled:Audit Mode");
            }
        }
        for o in options {
            writeln!(out, "    <Rule>\n      <Option>{o}</Option>\n    </Rule>")?;
        }
        writeln!(out, "  </Rules>")?;
        writeln!(out, "  <EKUs />")?;
        writeln!(out, "  <FileRules>")?;
        if !allow {
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
        if self.signers.is_empty() {
            writeln!(out, "  <Signers />")?;
        } else {
            writeln!(out, "  <Signers>")?;
            for s in &self.signers {
                out.write_all(s.as_bytes())?;
            }
            writeln!(out, "  </Signers>")?;
        }
        writeln!(out, "  <SigningScenarios>")?;
        for (scenario, value, id, name, allow_all) in [
            (
                Scenario::Kernel,
                131,
                "ID_SIGNINGSCENARIO_DRIVERS_1",
                "Kernel mode",
                "ID_ALLOW_A_1",
            ),
            (
                Scenario::User,
                12,
                "ID_SIGNINGSCENARIO_WINDOWS",
                "User mode",
                "ID_ALLOW_A_2",
            ),
        ] {
            writeln!(
                out,
                "    <SigningScenario Value=\"{value}\" ID=\"{id}\" FriendlyName=\"{name}\">"
            )?;
            writeln!(out, "      <ProductSigners>")?;
            let signers = &self.signer_refs[scenario as usize];
            if !signers.is_empty() {
                let (list, item) = if allow {
                    ("AllowedSigners", "AllowedSigner")
                } else {
                    ("DeniedSigners", "DeniedSigner")
                };
                writeln!(out, "        <{list}>")?;
                for s in signers {
                    writeln!(out, "          <{item} SignerId=\"{s}\" />")?;
                }
                writeln!(out, "        </{list}>")?;
            }
            let files = &self.file_refs[scenario as usize];
            if !allow || !files.is_empty() {
                writeln!(out, "        <FileRulesRef>")?;
                if !allow {
                    writeln!(out, "          <FileRuleRef RuleID=\"{allow_all}\" />")?;
                }
                for f in files {
                    writeln!(out, "          <FileRuleRef RuleID=\"{f}\" />")?;
                }
                writeln!(out, "        </FileRulesRef>")?;
            }
            writeln!(out, "      </ProductSigners>")?;
            writeln!(out, "    </SigningScenario>")?;
        }
        writeln!(out, "  </SigningScenarios>")?;
        writeln!(out, "  <UpdatePolicySigners />")?;
        writeln!(out, "  <CiSigners />")?;
        writeln!(out, "  <HvciOptions>0</HvciOptions>")?;
        writeln!(out, "</SiPolicy>")
    }
}
