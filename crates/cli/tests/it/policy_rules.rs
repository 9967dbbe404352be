//! AppLocker and WDAC policies with publisher rules (`--rule`), from the
//! corpus's real signed samples: golden XML (`crates/cli/tests/expected/policy/`,
//! rewritten by `UPDATE_EXPECT=1 cargo test --test it golden`), the rule
//! IDs and structure `cipolicy.xsd` requires (checked here without the
//! schema; `scripts/check_exports.sh` validates with it), and the signer
//! names against `osslsigncode verify`.
//!
//! Samples: Google's Omaha 1.2.121.9 metainstaller (PE with a version
//! resource, Authenticode-signed by Google Inc under VeriSign Class 3 Code
//! Signing 2004 CA) and PuTTY 0.68's MSI (dual-signed SHA-1 + SHA-256 by
//! Simon Tatham under COMODO SHA-256 Code Signing CA).

use crate::util::corpus;
use installsift_export::{Action, Depth, ExportFormat, ExportOptions, RuleKind, Timestamp};
use std::process::Command;

const SIGNED_PE: &str = "real/omaha_GoogleUpdateSetup_1.2.121.9_untagged.exe";
const SIGNED_MSI: &str = "signed_real/putty-0.68-installer.msi";

fn export(format: ExportFormat, opts: ExportOptions, samples: &[&str]) -> (String, Vec<String>) {
    crate::util::export_samples(format, opts, samples)
}

fn golden(name: &str, got: &str) -> Option<String> {
    crate::util::golden_in("policy", name, got)
}

fn options(action: Action, rule: RuleKind, depth: Depth) -> ExportOptions {
    ExportOptions {
        depth,
        action,
        rule,
        timestamp: Timestamp::parse("2024-06-01T00:00:00Z").unwrap(),
        ..ExportOptions::default()
    }
}

/// Every variant of the two policy formats on the signed PE and MSI.
fn cases() -> Vec<(String, ExportFormat, ExportOptions)> {
    let mut v = Vec::new();
    for (format, rules) in [
        (
            ExportFormat::ApplockerXml,
            &[RuleKind::Publisher, RuleKind::Both][..],
        ),
        (
            ExportFormat::WdacXml,
            &[RuleKind::Publisher, RuleKind::Pca, RuleKind::Both][..],
        ),
    ] {
        for &rule in rules {
            for action in [Action::Allow, Action::Block] {
                let name = format!(
                    "{}-{}-{}.{}",
                    format.name(),
                    format!("{rule:?}").to_ascii_lowercase(),
                    if action == Action::Allow {
                        "allow"
                    } else {
                        "block"
                    },
                    format.extension()
                );
                v.push((name, format, options(action, rule, Depth::Top)));
            }
        }
    }
    v
}

#[test]
fn golden_publisher_policies_of_a_signed_pe_and_msi() {
    let mut failures = Vec::new();
    for (name, format, opts) in cases() {
        let (text, warnings) = export(format, opts, &[SIGNED_PE, SIGNED_MSI]);
        if let Some(f) = golden(&name, &text) {
            failures.push(f);
        }
        if let Some(f) = golden(&format!("{name}.warnings"), &(warnings.join("\n") + "\n")) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `attr="value"` values of every `attr` in `text`.
fn attrs<'a>(text: &'a str, attr: &str) -> Vec<&'a str> {
    let key = format!(" {attr}=\"");
    text.split(key.as_str())
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect()
}

/// `prefix` then `[A-Z][_A-Z0-9]*`: the pattern of cipolicy.xsd's ID types.
fn id_ok(id: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| {
        id.strip_prefix(p).is_some_and(|rest| {
            let mut c = rest.chars();
            c.next().is_some_and(|f| f.is_ascii_uppercase())
                && c.all(|ch| ch == '_' || ch.is_ascii_uppercase() || ch.is_ascii_digit())
        })
    })
}

#[test]
fn wdac_ids_follow_the_schema_and_policies_are_safe_as_deployed() {
    // Many files (hash IDs beginning with a digit were 60 % of them before):
    // the export samples, the signed ones, and everything inside them.
    let samples = [
        SIGNED_PE,
        SIGNED_MSI,
        "pe/signed_x64.exe",
        "pe/with_zip.exe",
        "pe/lib_x64.dll",
        "msi/simple.msi",
        "installshield/clam_ISmsi_ext.exe",
        "msi_real/Module401_wix5.msm",
    ];
    for action in [Action::Block, Action::Audit, Action::Allow] {
        for rule in [RuleKind::Hash, RuleKind::Both, RuleKind::Pca] {
            let (text, warnings) = export(
                ExportFormat::WdacXml,
                options(action, rule, Depth::All),
                &samples,
            );
            let what = format!("{action:?} {rule:?}");
            // Each element's ID pattern.
            for (elem, prefixes) in [
                ("<Allow ", &["ID_ALLOW_", "ID_FILE_"][..]),
                ("<Deny ", &["ID_DENY_", "ID_FILE_"][..]),
                ("<FileAttrib ", &["ID_FILEATTRIB_", "ID_FILE_"][..]),
                ("<Signer ", &["ID_SIGNER_"][..]),
                ("<SigningScenario ", &["ID_SIGNINGSCENARIO_"][..]),
            ] {
                for part in text.split(elem).skip(1) {
                    let part = format!(" {part}");
                    let id = attrs(&part, "ID")[0];
                    assert!(
                        id_ok(id, prefixes),
                        "{what}: {elem}{id} breaks the schema pattern"
                    );
                }
            }
            let defined: Vec<&str> = attrs(&text, "ID");
            let mut unique = defined.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), defined.len(), "{what}: duplicate IDs");
            for r in attrs(&text, "RuleID")
                .into_iter()
                .chain(attrs(&text, "SignerId"))
            {
                assert!(defined.contains(&r), "{what}: {r} referenced, not defined");
            }
            let hashes = attrs(&text, "Hash").len();
            let signers = text.matches("<Signer ID=").count();
            assert!(hashes + signers > 0, "{what}: no rule written");
            assert_eq!(rule == RuleKind::Pca, hashes == 0, "{what}");
            if action == Action::Allow {
                // Supplemental: cannot block anything the base allows.
                assert!(
                    text.contains("PolicyType=\"Supplemental Policy\""),
                    "{what}"
                );
                assert!(text.contains(
                    "<BasePolicyID>{00000000-0000-0000-0000-000000000000}</BasePolicyID>"
                ));
                assert!(!text.contains("FileName=\"*\""), "{what}");
                assert!(!text.contains("<Deny "), "{what}");
                assert!(
                    !text.contains("Enabled:UMCI"),
                    "{what}: options belong to the base"
                );
                assert!(warnings.iter().any(|w| w.contains("supplemental policy")
                    && w.contains("-SupplementsBasePolicyID")
                    && w.contains("Merge-CIPolicy")));
            } else {
                // Base deny list: UMCI on, everything else allowed in both
                // scenarios, the deny rules after.
                assert!(text.contains("PolicyType=\"Base Policy\""), "{what}");
                assert!(text.contains("<Option>Enabled:UMCI</Option>"), "{what}");
                assert_eq!(
                    text.contains("<Option>Enabled:Audit Mode</Option>"),
                    action == Action::Audit
                );
                assert!(!text.contains("<Allow ID=\"ID_ALLOW_H"), "{what}");
                for scenario in ["Value=\"131\"", "Value=\"12\""] {
                    let s = &text[text.find(scenario).unwrap()..];
                    let s = &s[..s.find("</SigningScenario>").unwrap()];
                    assert!(
                        s.contains("<FileRuleRef RuleID=\"ID_ALLOW_A_"),
                        "{what} {scenario}"
                    );
                }
            }
        }
    }
}

/// osslsigncode's leaf subject of signature `index`, as `(key, value)`.
fn ossl_leaf_subject(rel: &str) -> Vec<(String, String)> {
    let out = Command::new("osslsigncode")
        .args(["verify", "-in"])
        .arg(corpus().join(rel))
        .output()
        .unwrap_or_else(|e| {
            panic!("osslsigncode not runnable ({e}): apt-get install osslsigncode")
        });
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let sig = &text[text.find("Signer's certificate:").expect("a signer")..];
    let line = sig
        .lines()
        .find_map(|l| l.trim().strip_prefix("Subject: "))
        .expect("subject line");
    line.trim_start_matches('/')
        .split('/')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The AppLocker publisher name as Get-AppLockerFileInformation prints it,
/// built from osslsigncode's subject: `O=…, L=…, S=…, C=…`, upper-cased.
fn applocker_name(subject: &[(String, String)]) -> String {
    let get = |k: &str| {
        subject
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.to_uppercase())
    };
    [("O", "O"), ("L", "L"), ("S", "ST"), ("C", "C")]
        .iter()
        .filter_map(|(label, key)| get(key).map(|v| format!("{label}={v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn publisher_names_match_osslsigncode_and_the_documented_rule_fields() {
    for (rel, product, binary, version) in [
        // Version resource: ProductName `Setup`, OriginalFilename `Setup`.
        (SIGNED_PE, "SETUP", "SETUP", "1.2.121.9"),
        // MSI Property table: ProductName, ProductCode, ProductVersion.
        (
            SIGNED_MSI,
            "PUTTY RELEASE 0.68",
            "{55717628-7AE6-4BCF-A046-FA2768945E76}",
            "0.68.0.0",
        ),
    ] {
        let subject = ossl_leaf_subject(rel);
        let cn = subject
            .iter()
            .find(|(k, _)| k == "CN")
            .map(|(_, v)| v.clone())
            .unwrap();
        let (text, _) = export(
            ExportFormat::ApplockerXml,
            options(Action::Allow, RuleKind::Publisher, Depth::Top),
            &[rel],
        );
        assert_eq!(
            attrs(&text, "PublisherName"),
            [applocker_name(&subject)],
            "{rel}"
        );
        assert_eq!(attrs(&text, "ProductName"), [product], "{rel}");
        assert_eq!(attrs(&text, "BinaryName"), [binary], "{rel}");
        assert_eq!(attrs(&text, "LowSection"), [version], "{rel}");
        assert_eq!(attrs(&text, "HighSection"), ["*"], "{rel}");
        // Deny: every version.
        let (deny, _) = export(
            ExportFormat::ApplockerXml,
            options(Action::Block, RuleKind::Publisher, Depth::Top),
            &[rel],
        );
        assert_eq!(attrs(&deny, "LowSection"), ["*"], "{rel}");
        assert!(deny.contains("Action=\"Deny\"") && deny.contains("EnforcementMode=\"AuditOnly\""));

        // WDAC: CertPublisher is the leaf's CN, once per signature that
        // names a distinct PCA certificate (PuTTY's two signatures share it).
        let (wdac, _) = export(
            ExportFormat::WdacXml,
            options(Action::Allow, RuleKind::Publisher, Depth::Top),
            &[rel],
        );
        let publishers = attrs(&wdac, "Value")
            .into_iter()
            .filter(|v| !v.chars().all(|c| c.is_ascii_hexdigit()))
            .collect::<Vec<_>>();
        assert!(
            !publishers.is_empty() && publishers.iter().all(|p| *p == cn),
            "{rel}: {publishers:?}"
        );
    }
}

#[test]
fn wdac_signer_levels_name_the_pca_certificate_by_its_tbs_hash() {
    let (text, warnings) = export(
        ExportFormat::WdacXml,
        options(Action::Allow, RuleKind::Publisher, Depth::Top),
        &[SIGNED_PE, SIGNED_MSI],
    );
    // PuTTY: COMODO SHA-256 Code Signing CA, below the self-signed AddTrust
    // root embedded in the signature; its TBS hash (SHA-256, the CA
    // certificate's signature hash) as `CertRoot`. Publisher level (MSI: no
    // version resource), said in a warning.
    assert!(text.contains("Name=\"COMODO SHA-256 Code Signing CA\""));
    assert!(text.contains("<CertPublisher Value=\"Simon Tatham\" />"));
    assert!(text.contains(
        "<CertRoot Type=\"TBS\" Value=\"58FE788CC576CEB4DC91B0825E260C9866CBA80E50B30B6C646706D27F28A325\" />"
    ));
    // Google: file-publisher level with OriginalFilename and the version.
    assert!(text.contains("FileName=\"Setup\" MinimumFileVersion=\"1.2.121.9\""));
    assert!(text.contains("<AllowedSigner SignerId=\"ID_SIGNER_S_"));
    assert!(warnings
        .iter()
        .any(|w| w.contains("putty") && w.contains("publisher level")));

    // A deny without a file attribute would block the whole publisher:
    // not written, warned.
    let (deny, warnings) = export(
        ExportFormat::WdacXml,
        options(Action::Block, RuleKind::Publisher, Depth::Top),
        &[SIGNED_MSI],
    );
    assert!(!deny.contains("<Signer "));
    assert!(warnings
        .iter()
        .any(|w| w.contains("no WDAC deny signer rule")));
}

#[test]
fn applocker_collections_are_audit_only_with_a_merge_warning_and_transforms_go_to_msi() {
    for action in [Action::Block, Action::Allow, Action::Audit] {
        let (text, warnings) = export(
            ExportFormat::ApplockerXml,
            options(action, RuleKind::Hash, Depth::Top),
            &[
                "pe/signed_x64.exe",
                "msi_real/wix3_AutoGenProductId_instance.mst",
            ],
        );
        assert_eq!(
            text.matches("EnforcementMode=\"AuditOnly\"").count(),
            2,
            "{action:?}"
        );
        assert!(!text.contains("EnforcementMode=\"Enabled\""));
        assert!(warnings
            .iter()
            .any(|w| w.contains("Set-AppLockerPolicy") && w.contains("-Merge")));
        let msi = &text[text.find("<RuleCollection Type=\"Msi\"").unwrap()..];
        assert!(msi.contains("SourceFileName=\"wix3_AutoGenProductId_instance.mst\""));
        assert!(warnings
            .iter()
            .any(|w| w.contains(".mst") && w.contains("transform")));
    }
}

#[test]
fn cli_rule_option_is_refused_where_it_cannot_apply() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let run = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .arg(corpus().join(SIGNED_MSI))
            .output()
            .unwrap()
    };
    let out = run(&["export", "--to", "sha256sum", "--rule", "publisher"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["export", "--to", "applocker-xml", "--rule", "pca"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "export", "--to", "wdac-xml", "--rule", "pca", "--action", "allow",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("<CertRoot Type=\"TBS\"") && !text.contains("<CertPublisher"));
}

#[test]
fn misp_x509_objects_describe_each_signer_and_the_file_points_at_them() {
    let (text, _) = export(
        ExportFormat::MispJson,
        options(Action::Block, RuleKind::Hash, Depth::Top),
        &[SIGNED_MSI, "msi/simple.msi"],
    );
    let event: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let objects = event["Event"]["Object"].as_array().unwrap();
    let x509: Vec<&serde_json::Value> = objects.iter().filter(|o| o["name"] == "x509").collect();
    // PuTTY's two signatures share one leaf certificate: one object; the
    // unsigned simple.msi has none.
    assert_eq!(x509.len(), 1);
    let cert = x509[0];
    assert_eq!(
        cert["template_uuid"],
        "d1ab756a-26b5-4349-9f43-765630f0911c"
    );
    let attr = |rel: &str| {
        cert["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["object_relation"] == rel)
            .map(|a| a["value"].as_str().unwrap().to_owned())
    };
    // Values as osslsigncode prints them (serial, subject) and as
    // `openssl x509 -fingerprint` gives them for the embedded leaf.
    assert_eq!(
        attr("serial-number").as_deref(),
        Some("6cd282a2d9a2c158505b178d59518b7b")
    );
    assert_eq!(
        attr("subject").as_deref(),
        Some("C=GB, ST=Cambridgeshire, L=Cambridge, O=Simon Tatham, CN=Simon Tatham")
    );
    assert_eq!(
        attr("x509-fingerprint-sha1").as_deref(),
        Some("4022bb3c0398d595623a5380d5eeb520fc6150aa")
    );
    assert_eq!(
        attr("validity-not-after").as_deref(),
        Some("2018-12-01T23:59:59Z")
    );
    assert!(cert["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["to_ids"] == false));
    assert!(cert["comment"]
        .as_str()
        .unwrap()
        .contains("primary sha1 signature, signed digest matches the file; nested sha256"));
    let file = objects
        .iter()
        .find(|o| o["name"] == "file" && o["comment"].as_str().unwrap().contains("putty"))
        .unwrap();
    let refs = file["ObjectReference"].as_array().unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0]["referenced_uuid"], cert["uuid"]);
    assert_eq!(refs[0]["relationship_type"], "signed-by");
    let unsigned = objects
        .iter()
        .find(|o| o["name"] == "file" && o["comment"].as_str().unwrap().contains("simple.msi"))
        .unwrap();
    assert!(unsigned.get("ObjectReference").is_none());
}

/// Microsoft's own published WDAC policy (MicrosoftDocs/azure-stack-docs,
/// "Windows Defender Application Control for Azure Stack HCI") holds, at
/// the publisher level, these two signers for the Microsoft Code Signing PCA
/// certificates that sign the two Microsoft patches of the corpus:
/// `<Signer … Name="Microsoft Code Signing PCA"><CertRoot Type="TBS"
/// Value="7251ADC0…" /><CertPublisher Value="Microsoft Corporation"
/// /></Signer>` and the same with `5095BF07…`. Ours, for the patches, are
/// the same elements (IDs aside).
#[test]
fn wdac_publisher_signers_equal_microsofts_published_policy() {
    let (text, _) = export(
        ExportFormat::WdacXml,
        options(Action::Allow, RuleKind::Publisher, Depth::Top),
        &["signed_real/WPF2_32.msp", "signed_real/SQL2008_AS.msp"],
    );
    let signers: Vec<String> = text
        .split("<Signer ID=\"")
        .skip(1)
        .map(|s| {
            let body = &s[s.find('"').unwrap() + 1..s.find("</Signer>").unwrap()];
            body.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect();
    let published = |tbs: &str| {
        format!(
            "Name=\"Microsoft Code Signing PCA\"> <CertRoot Type=\"TBS\" Value=\"{tbs}\" /> \
             <CertPublisher Value=\"Microsoft Corporation\" />"
        )
    };
    assert_eq!(
        signers,
        [
            published("7251ADC0F732CF409EE462E335BB99544F2DD40F"),
            published("5095BF071B0D9976E40AE08412F4E1D241AFB58C")
        ]
    );
}

/// A deny rule as Windows' AppLocker console exports it for a .NET Framework
/// file (published in a public AppLocker guide):
/// `<FilePublisherCondition PublisherName="O=MICROSOFT CORPORATION,
/// L=REDMOND, S=WASHINGTON, C=US" ProductName="MICROSOFT® .NET FRAMEWORK"
/// BinaryName="ADDINUTIL.EXE"><BinaryVersionRange LowSection="*"
/// HighSection="*" />`. The corpus has another file of that product and
/// publisher, InstallUtilLib.dll inside a Visual Studio Installer Projects
/// MSI (Microsoft-signed): its deny rule has the same publisher and product
/// strings (upper case, ® kept) and the same all-versions range.
#[test]
fn applocker_deny_rule_has_the_form_windows_exports() {
    let (text, _) = export(
        ExportFormat::ApplockerXml,
        options(Action::Block, RuleKind::Publisher, Depth::All),
        &["msi_real/vsinstaller_Setup1.msi"],
    );
    assert!(text.contains(
        "<FilePublisherCondition PublisherName=\"O=MICROSOFT CORPORATION, L=REDMOND, \
         S=WASHINGTON, C=US\" ProductName=\"MICROSOFT® .NET FRAMEWORK\" \
         BinaryName=\"INSTALLUTILLIB.DLL\">\n          <BinaryVersionRange LowSection=\"*\" \
         HighSection=\"*\" />"
    ));
}
