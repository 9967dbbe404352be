//! Issue 21, "who built it": the tools line of corpus samples made by the
//! real tools, exactly as the text view prints it, and the contract's
//! promises over the whole corpus (evidence on every tool, no empty
//! version, a builder on every PE and MSI installer).

use crate::util::{corpus, samples};
use installsift::render::{self, tools_line};
use installsift::{Format, Scanner, ToolKind, Verdict};

fn root_tools(rel: &str) -> String {
    let report = Scanner::new()
        .scan_path(&corpus().join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    tools_line(report.root.info.tools()).unwrap_or_default()
}

/// Each line was checked against the file: the NSIS branding text, the Inno
/// setup-0 ID, the stub's version resource, the Rich header records (and
/// the optional header's linker version), UPX's pack header, Go's build
/// information, rustc's paths, the MSI's Creating Application.
#[test]
fn tool_lines_of_real_samples() {
    let cases = [
        (
            "nsis/lzma_solid.exe",
            "Installer: NSIS(3.08-3+deb12u1)[lzma,solid,unicode]",
        ),
        (
            "nsis_real/nsis2.08_NxS_BigClock_0_3_1.exe",
            "Installer: NSIS(2.08)[lzma]; Compiler: MSVC(13.10.2190)[C]; Linker: MSVC(6.00)",
        ),
        // The script replaced the branding text: the version of the
        // manifest makensis wrote.
        (
            "nsis_real/google_cloud_sdk_nsis246_signed.exe",
            "Installer: NSIS(2.46)[zlib]; Compiler: MSVC(13.10.4035)[C]; Linker: MSVC(6.00)",
        ),
        (
            "inno/inno_lzma2.exe",
            "Installer: Inno Setup(6.3.0)[lzma2,unicode]; Compiler: Delphi; Linker: Turbo Linker(2.25)",
        ),
        // An Inno uninstaller names the release that built it in its
        // messages header.
        (
            "lookalike/inno5_unins000.exe",
            "Installer: Inno Setup(5.5.3)[uninstall,unicode]; Compiler: Delphi; Linker: Turbo Linker(2.25)",
        ),
        (
            "installshield/clam_IScab_ext.exe",
            "Installer: InstallShield(11.0.0.28844); Compiler: MSVC(13.00.9178)[C]; Linker: MSVC(6.20.8755)",
        ),
        (
            "lookalike/upx_clam-upx.exe",
            "Packer: UPX(3.01)[NRV2B,level 8]; Compiler: MSVC(14.00.50727)[C++]; Linker: MSVC(8.00.50727)",
        ),
        (
            "nsis_real/nsis2.0rc1_upx_NxS_Info_Tool_1_6.exe",
            "Installer: NSIS(2.0rc1)[lzma,solid]; Packer: UPX(1.24)[NRV2B,level 9]; Compiler: MSVC(13.10.2190)[C]; Linker: MSVC(6.00)",
        ),
        (
            "lookalike/aspack_clam-aspack.exe",
            "Packer: ASPack; Compiler: MSVC(14.00.50727)[C++]; Linker: MSVC(8.00.50727)",
        ),
        ("sfx/7z_sfx_config.exe", "Sfx: 7-Zip(9.20); Compiler: MSVC(16.00.30319)[C]; Linker: MSVC(6.00)"),
        (
            "iexpress/iexpress_windres.exe",
            "Sfx: IExpress(11.00.17763.1); Compiler: GCC(12); Linker: GNU ld(2.40)",
        ),
        (
            "lookalike_real/wix_burn_engine_unbound.exe",
            "Installer: WiX Burn(3.14.1703.0)[wixburn v2]; Compiler: MSVC(19.15.26726)[C++]; Linker: MSVC(14.15.26726)",
        ),
        // A bound bundle's version resource is the bundle's: no WiX version.
        (
            "burn/burn_constructed.exe",
            "Installer: WiX Burn[wixburn v2]; Compiler: GCC(12); Linker: GNU ld(2.40)",
        ),
        (
            "real/velopack_LegacyTestApp-0084-Setup.exe",
            "Installer: Velopack(0.0.84); Compiler: MSVC[C,build 33030]; Compiler: Rust[commit 82e1608df]; Linker: MSVC(14.38.33133)",
        ),
        (
            "real/omaha_GoogleUpdateSetup_1.2.121.9_untagged.exe",
            "Installer: Omaha(1.2.121.9); Compiler: MSVC(14.00.50727)[C]; Linker: MSVC(8.00.50727)",
        ),
        ("msi_real/GoogleUpdateHelper.msi", "Installer: WiX(3.8.1128.0)"),
        ("msi_real/Module401_wix5.msm", "Installer: WiX(5.0.0.51)"),
        ("msi/simple.msi", "Installer: msitools(0.101)"),
        (
            "lookalike_real/py2exe_run-py3.12-win-amd64.exe",
            "Packer: py2exe; Compiler: MSVC(19.44.35228)[LTCG/C]; Linker: MSVC(14.44.35228)",
        ),
        (
            "lookalike_real/cx_freeze_console-cpython-312-win_amd64.exe",
            "Compiler: MSVC(19.42.34436)[LTCG/C]; Linker: MSVC(14.42.34436); Library: Python(3.12)",
        ),
        ("toolchain/go_hello_x86.exe", "Compiler: Go(1.19.8)"),
        (
            "toolchain/rust_hello_x64.exe",
            "Compiler: Rust[commit 59807616e]; Linker: GNU ld(2.40)",
        ),
    ];
    let mut failures = Vec::new();
    for (rel, want) in cases {
        let got = root_tools(rel);
        if got != want {
            failures.push(format!("{rel}\n  want: {want}\n  got:  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The default text view prints the tools on the node's own line.
#[test]
fn default_view_shows_the_tools_on_the_node_line() {
    let rel = "nsis/lzma_solid.exe";
    let data = std::fs::read(corpus().join(rel)).expect("read");
    let report = Scanner::new().scan_bytes(rel, &data);
    let text = String::from_utf8(
        render::render(
            &report,
            render::Format::Text {
                explain: false,
                full_hashes: false,
                color: false,
            },
        )
        .expect("render"),
    )
    .expect("utf-8");
    let first = text.lines().next().expect("a line");
    assert!(
        first.starts_with("nsis/lzma_solid.exe  [pe ")
            && first.ends_with("  Installer: NSIS(3.08-3+deb12u1)[lzma,solid,unicode]"),
        "{first}"
    );
}

/// Over the whole corpus: every tool says what matched; a version is
/// never an empty string; every PE or MSI node with an installer verdict
/// names its builder (installer or SFX), on itself or the child it
/// carries, except family `other` (an installer by heuristics, whose
/// engine is unnamed) and damaged nodes.
#[test]
fn every_tool_has_evidence_and_every_installer_a_builder() {
    let mut failures = Vec::new();
    for rel in samples() {
        let report = Scanner::new()
            .scan_path(&corpus().join(&rel))
            .expect("readable");
        report.root.walk(&mut |n| {
            let i = &n.info;
            let tools = i.tools();
            for t in tools {
                if t.evidence.is_empty() || t.version.as_deref() == Some("") {
                    failures.push(format!("{rel} {:?}: {t:?}", i.path));
                }
            }
            let builds = |ts: &[installsift::Tool]| {
                ts.iter()
                    .any(|t| matches!(t.kind, ToolKind::Installer | ToolKind::Sfx))
            };
            // On the node, or on the child it carries (a PE whose overlay is
            // an MSI): the builder is named where its marks are.
            let builder = builds(tools) || n.children.iter().any(|c| builds(c.info.tools()));
            let pe_or_msi = matches!(i.format, Format::Pe | Format::Msi | Format::Msm);
            let named = i.family.is_some_and(|f| f.as_str() != "other");
            // A damaged node may have lost what names its builder (a cut
            // MSI's summary stream).
            let damaged = !i.errors.is_empty();
            if i.verdict == Verdict::Installer && pe_or_msi && named && !builder && !damaged {
                failures.push(format!(
                    "{rel} {:?}: installer {:?} without a builder",
                    i.path, i.family
                ));
            }
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
