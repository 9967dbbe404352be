//! Sigma rules (`logsource: category: process_creation, product: windows`),
//! one per installer node, as one stream of YAML documents separated by
//! `---` (one file; `sigma check` and pySigma read the stream as a rule
//! collection). Checked by
//! `sigma check` and converted by pySigma's Splunk and Elasticsearch
//! backends in `scripts/check_exports.sh` (block `sigma/xql (exp-bioc)`).
//!
//! A PE installer's rule (see [`super::bioc`]):
//!
//! ```yaml
//! detection:
//!     image_hash:
//!         Hashes|contains: 'SHA256=…'          # Sysmon writes uppercase hex
//!     image_name:
//!         Image|endswith: '\setup.exe'
//!     original_name:
//!         OriginalFileName: 'Setup.exe'
//!     install_switch:
//!         - CommandLine|contains|windash: [' /quiet ', …]
//!         - CommandLine|endswith|windash: [' /quiet', …]
//!     condition: image_hash or ((image_name or original_name) and install_switch)
//! ```
//!
//! A switch is matched as its own word (` /S ` inside the line, or ` /S` at
//! its end); NSIS's `/S` carries `cased` (backends whose search is
//! case-insensitive, Splunk and EQL, ignore it). An MSI package's rule:
//! `msiexec.exe` (image name or `OriginalFileName`) with `/i` or `/package`
//! and the package's file name or ProductCode, or `/x` with the ProductCode.
//! The imphash is stated, never matched: an installer's imports are its
//! engine stub's (four different NSIS installers of the corpus share one).
//!
//! Sysmon's process creation event carries no signer, so the signer is
//! stated in the description and never tested. No ATT&CK tag is written:
//! running a known installer is software policy, not an attack technique.
//! The `id` is the UUIDv5 of the rule kind and the node's SHA-256; `date` is
//! the export timestamp. Sigma rules detect: `--action block` becomes an
//! alert (a warning says so); `--action allow` is refused.

use super::bioc::{self, Rule, Switch, Switches, Target};
use super::util::uuid5;
use super::{ExportFormat, ExportOptions, FormatWriter, HashKind, Item, Severity, Sink, Warnings};
use std::fmt::Write as _;
use std::io::{self, Write};

#[derive(Default)]
pub(crate) struct Sigma {
    rules: u64,
}

impl FormatWriter for Sigma {
    fn begin(&mut self, out: &mut Sink, opts: &ExportOptions) -> io::Result<()> {
        writeln!(
            out,
            "# installsift behaviour rules (Sigma, process_creation), {}",
            opts.timestamp.rfc3339()
        )
    }

    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool> {
        if opts.action != super::Action::Audit {
            warn.once(
                "sigma-detect-only",
                "Sigma rules detect; blocking is up to the SIEM or EDR that runs them",
            );
        }
        let Some(rule) = bioc::rule_for(it, warn) else {
            return Ok(false);
        };
        bioc::warn_if_hash_only(&rule, it, warn);
        let text = render(&rule, opts);
        if self.rules > 0 {
            writeln!(out, "---")?;
        }
        out.write_all(text.as_bytes())?;
        self.rules += 1;
        Ok(true)
    }
}

/// The `level` for a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Info => "informational",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// The rule kind in the id: the same node gives different ids in Sigma and
/// XQL, and an image rule never shares one with an msiexec rule.
pub(crate) fn rule_id(format: &str, rule: &Rule) -> String {
    let kind = match rule.target {
        Target::Image(_) => "image",
        Target::Msiexec(_) => "msiexec",
    };
    uuid5(&format!("behaviour/{format}/{kind}/{}", rule.sha256))
}

/// One rule as a YAML document.
pub(crate) fn render(rule: &Rule, opts: &ExportOptions) -> String {
    let mut y = String::new();
    let (detection, matches, falsepositives) = match &rule.target {
        Target::Image(f) => image_detection(rule, f, opts),
        Target::Msiexec(m) => msiexec_detection(rule, m),
    };
    let mut description = rule.facts().join("; ");
    description.push_str(". ");
    description.push_str(&matches);
    let _ = writeln!(y, "title: {}", yaml_str(&rule.title()));
    let _ = writeln!(y, "id: {}", rule_id("sigma", rule));
    let _ = writeln!(y, "status: experimental");
    let _ = writeln!(y, "description: {}", yaml_str(&description));
    let _ = writeln!(y, "references:\n    - {}", yaml_str(&rule.reference()));
    let _ = writeln!(y, "author: installsift");
    let _ = writeln!(y, "date: {}", opts.timestamp.date());
    let _ = writeln!(
        y,
        "# tags: none; no ATT&CK technique fits running a known installer (software policy)"
    );
    let _ = writeln!(
        y,
        "logsource:\n    category: process_creation\n    product: windows"
    );
    let _ = writeln!(y, "detection:");
    y.push_str(&detection);
    let _ = writeln!(y, "falsepositives:");
    for f in falsepositives {
        let _ = writeln!(y, "    - {}", yaml_str(&f));
    }
    let _ = writeln!(y, "level: {}", level(opts.severity));
    y
}

/// `    key: 'v'` or `    key:\n        - 'a'\n        - 'b'` at `indent`.
fn field(out: &mut String, indent: usize, key: &str, values: &[String]) {
    let pad = " ".repeat(indent);
    match values {
        [one] => {
            let _ = writeln!(out, "{pad}{key}: {}", yaml_str(one));
        }
        many => {
            let _ = writeln!(out, "{pad}{key}:");
            for v in many {
                let _ = writeln!(out, "{pad}    - {}", yaml_str(v));
            }
        }
    }
}

/// The `install_switch` selection: a list of maps (OR), whole-word
/// `contains` and `endswith` per dash mode.
fn switch_selection(out: &mut String, s: &Switches) {
    let _ = writeln!(out, "    install_switch:");
    let cased = if s.case_sensitive { "|cased" } else { "" };
    for dash in [false, true] {
        let group: Vec<&Switch> = s.list.iter().filter(|w| w.dash == dash).collect();
        if group.is_empty() {
            continue;
        }
        let windash = if dash { "|windash" } else { "" };
        let contains: Vec<String> = group
            .iter()
            .map(|w| {
                if w.prefix {
                    sigma_value(&format!(" {}", w.text))
                } else {
                    sigma_value(&format!(" {} ", w.text))
                }
            })
            .collect();
        let ends: Vec<String> = group
            .iter()
            .filter(|w| !w.prefix)
            .map(|w| sigma_value(&format!(" {}", w.text)))
            .collect();
        for (modifier, values) in [("contains", contains), ("endswith", ends)] {
            if values.is_empty() {
                continue;
            }
            let mut item = String::new();
            field(
                &mut item,
                8,
                &format!("CommandLine|{modifier}{windash}{cased}"),
                &values,
            );
            // First line of the map gets the list dash.
            let item = item.replacen("        ", "      - ", 1);
            out.push_str(&item);
        }
    }
}

fn image_detection(
    rule: &Rule,
    f: &bioc::ImageFacts,
    opts: &ExportOptions,
) -> (String, String, Vec<String>) {
    let mut d = String::new();
    let mut hashes = vec![format!("SHA256={:X}", rule.sha256)];
    for k in opts.hash_kinds(ExportFormat::Sigma) {
        match (k, &rule.sha1, &rule.md5) {
            (HashKind::Sha1, Some(h), _) => hashes.push(format!("SHA1={h:X}")),
            (HashKind::Md5, _, Some(h)) => hashes.push(format!("MD5={h:X}")),
            _ => {}
        }
    }
    let _ = writeln!(d, "    image_hash:");
    field(&mut d, 8, "Hashes|contains", &hashes);
    let hash_names: Vec<&str> = hashes.iter().filter_map(|h| h.split('=').next()).collect();
    let mut matches = format!(
        "Matches: this exact file by {} (Sysmon Hashes) under any name and arguments",
        hash_names.join(" or ")
    );
    let mut fps = vec![format!(
        "Intended installs of {} (by users or software deployment tools)",
        rule.name
    )];
    let mut alts = Vec::new();
    if let Some(s) = f.switches {
        let mut who = Vec::new();
        if let Some(n) = &f.image_name {
            let _ = writeln!(d, "    image_name:");
            field(
                &mut d,
                8,
                "Image|endswith",
                &[sigma_value(&format!("\\{n}"))],
            );
            alts.push("image_name");
            who.push(format!("named '{n}'"));
        }
        if !f.original_names.is_empty() {
            let _ = writeln!(d, "    original_name:");
            let names: Vec<String> = f.original_names.iter().map(|n| sigma_value(n)).collect();
            field(&mut d, 8, "OriginalFileName", &names);
            alts.push("original_name");
            if let Some(n) = f.original_names.first() {
                who.push(format!("with version-info OriginalFilename '{n}'"));
            }
        }
        if !who.is_empty() {
            let _ = write!(
                matches,
                "; or a program {} started with {}",
                who.join(" or "),
                bioc::switch_words(s)
            );
            fps.push(format!(
                "Other programs {} started with the same switch (other versions of the product; \
                 a generic name such as setup.exe matches every such installer)",
                who.join(" or ")
            ));
        }
        if let Some(g) = &f.omaha_appguid {
            let _ = writeln!(d, "    omaha_tag:");
            field(
                &mut d,
                8,
                "CommandLine|contains",
                &[sigma_value(&format!("appguid={g}"))],
            );
            alts.push("omaha_tag");
            let _ = write!(
                matches,
                "; or any process (the metainstaller, the GoogleUpdate.exe it unpacks) whose \
                 command line has /install and the tag's appguid={g}"
            );
            fps.push(
                "Other installers and updaters of the same app (same appguid), e.g. a re-tagged \
                 metainstaller"
                    .to_owned(),
            );
        }
        if !alts.is_empty() {
            switch_selection(&mut d, s);
            let _ = write!(matches, " ({})", s.source);
        }
    }
    let condition = match alts.as_slice() {
        [] => "image_hash".to_owned(),
        [one] => format!("image_hash or ({one} and install_switch)"),
        many => format!("image_hash or (({}) and install_switch)", many.join(" or ")),
    };
    let _ = writeln!(d, "    condition: {condition}");
    let _ = write!(
        matches,
        ". Misses: copies with another hash (rebuilt, re-signed, repacked{}) {}; what the \
         installer extracts and starts (nested installers and packages have their own rules \
         with --depth all)",
        if rule.family == installsift::Family::Omaha {
            ", re-tagged"
        } else {
            ""
        },
        if alts.is_empty() {
            "in any case"
        } else if alts.contains(&"original_name") {
            "run interactively, or with the switch written otherwise (quoted, or after a \
             tab), or renamed without the same OriginalFilename"
        } else {
            "run interactively, or with the switch written otherwise (quoted, or after a \
             tab), or renamed"
        }
    );
    if f.imphash.is_some() {
        matches.push_str(". The imphash is not matched: it is the engine stub's");
    }
    if let Some(s) = &f.signer {
        let _ = write!(
            matches,
            ". Signer {} is not tested: Sigma's process_creation (Sysmon Event ID 1) has no \
             signer field",
            s.cn
        );
    }
    let _ = write!(
        matches,
        ". Needs Sysmon Event ID 1 with {} in HashAlgorithms",
        hash_names.join(", ")
    );
    (d, matches, fps)
}

fn msiexec_detection(rule: &Rule, m: &bioc::MsiFacts) -> (String, String, Vec<String>) {
    let mut d = String::new();
    let _ = writeln!(d, "    msiexec:");
    let _ = writeln!(d, "        - Image|endswith: '\\msiexec.exe'");
    let _ = writeln!(d, "        - OriginalFileName: 'msiexec.exe'");
    let (switches, verb) = if m.patch {
        ([" /p", " /update"], "/p or /update")
    } else {
        ([" /i", " /package"], "/i or /package")
    };
    let _ = writeln!(d, "    install_switch:");
    field(
        &mut d,
        8,
        "CommandLine|contains|windash",
        &switches.map(str::to_owned),
    );
    let mut package: Vec<String> = m.package_name.iter().map(|n| sigma_value(n)).collect();
    if let Some(pc) = &m.product_code {
        package.push(sigma_value(pc));
    }
    let _ = writeln!(d, "    package:");
    field(&mut d, 8, "CommandLine|contains", &package);
    let uninstall = match (&m.product_code, m.patch) {
        (Some(pc), false) => {
            let _ = writeln!(d, "    uninstall_switch:");
            field(
                &mut d,
                8,
                "CommandLine|contains|windash",
                &[" /x".to_owned(), " /uninstall".to_owned()],
            );
            let _ = writeln!(d, "    product_code:");
            field(&mut d, 8, "CommandLine|contains", &[sigma_value(pc)]);
            Some(pc)
        }
        _ => None,
    };
    let _ = writeln!(
        d,
        "    condition: msiexec and ((install_switch and package){})",
        if uninstall.is_some() {
            " or (uninstall_switch and product_code)"
        } else {
            ""
        }
    );
    let matches = format!(
        "Matches: msiexec.exe (image name or OriginalFileName, so a renamed copy too) started \
         with {verb} (- for / too) and {} on its command line{}. Misses: the \
         package installed through the Windows Installer API or COM (a bootstrapper such as \
         Burn or InstallShield, SCCM, a script using WindowsInstaller.Installer: the only \
         msiexec.exe started is the service, msiexec.exe /V, with no package on its command \
         line); the package renamed{}; /a (administrative image), /j (advertise) and /f \
         (repair). The package's own hash cannot be tested: process creation hashes \
         msiexec.exe",
        names(m),
        uninstall
            .map(|pc| format!("; also its removal, /x or /uninstall with {pc}"))
            .unwrap_or_default(),
        if m.product_code.is_some() {
            " and started by path, not by ProductCode"
        } else {
            ""
        },
    );
    let mut fps = vec![format!(
        "Intended installs of {} (by users or software deployment tools)",
        rule.name
    )];
    if let Some(n) = &m.package_name {
        fps.push(format!(
            "Other packages whose command line mentions '{n}' (a generic file name)"
        ));
    }
    if uninstall.is_some() {
        fps.push("Intended removals of the product (/x with its ProductCode)".to_owned());
    }
    (d, matches, fps)
}

/// `the file name 'a.msi' or the ProductCode {…}` for the descriptions.
pub(crate) fn names(m: &bioc::MsiFacts) -> String {
    let mut out = Vec::new();
    if let Some(n) = &m.package_name {
        out.push(format!("the file name '{n}'"));
    }
    if let Some(pc) = &m.product_code {
        out.push(format!("the ProductCode {pc}"));
    }
    out.join(" or ")
}

/// A Sigma string value: `*` and `?` are wildcards and `\` escapes them, so
/// literal ones are escaped (as is a `\` before them or at the end).
pub(crate) fn sigma_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => {
                out.push('\\');
                if matches!(chars.peek(), None | Some('*' | '?' | '\\')) {
                    out.push('\\');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A YAML scalar: single-quoted (`'` doubled) when every character is
/// printable, else double-quoted with escapes (YAML 1.1, which PyYAML
/// reads).
pub(crate) fn yaml_str(s: &str) -> String {
    let printable = |c: char| {
        !(c.is_control()
            || matches!(
                c,
                '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            ))
    };
    if s.chars().all(printable) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_values_escape_wildcards_only() {
        assert_eq!(sigma_value("setup.exe"), "setup.exe");
        assert_eq!(sigma_value("a*b?.msi"), "a\\*b\\?.msi");
        assert_eq!(sigma_value("\\msiexec.exe"), "\\msiexec.exe");
        assert_eq!(sigma_value("dir\\"), "dir\\\\");
        assert_eq!(sigma_value("a\\*"), "a\\\\\\*");
    }

    #[test]
    fn yaml_scalars_quote_and_escape() {
        assert_eq!(yaml_str("it's"), "'it''s'");
        assert_eq!(yaml_str(" /S "), "' /S '");
        assert_eq!(yaml_str("a\u{1}b\"c"), "\"a\\x01b\\\"c\"");
        assert_eq!(yaml_str("\u{2028}"), "\"\\u2028\"");
        assert_eq!(yaml_str("é"), "'é'");
    }

    #[test]
    fn switches_are_whole_words_with_their_modifiers() {
        let mut d = String::new();
        switch_selection(&mut d, bioc::switches(installsift::Family::Nsis).unwrap());
        assert_eq!(
            d,
            "    install_switch:\n      - CommandLine|contains|cased: ' /S '\n      - \
             CommandLine|endswith|cased: ' /S'\n"
        );
        let mut d = String::new();
        switch_selection(&mut d, bioc::switches(installsift::Family::Inno).unwrap());
        assert!(d.contains("            - ' /LOADINF='\n"), "{d}");
        assert!(!d.contains("' /LOADINF=' \n"), "{d}");
        assert!(d.contains("CommandLine|endswith:\n"), "{d}");
        let mut d = String::new();
        switch_selection(&mut d, bioc::switches(installsift::Family::Omaha).unwrap());
        assert!(
            d.contains("      - CommandLine|contains: ' --install '\n"),
            "{d}"
        );
        assert!(
            d.contains("      - CommandLine|contains|windash: ' /install '\n"),
            "{d}"
        );
    }
}
