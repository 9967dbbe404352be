//! InstallShield Setup Launchers (Debian clamav-testfiles): family, overlay
//! records, the cabinet set's files against `unshield`, the embedded MSI's
//! files against `msiextract` (corpus/reference/installshield__*.tsv, made by
//! corpus/src/tools/installshield_reference.sh).

use crate::util::corpus;
use installsift::{EntryKind, Family, Format, Node, Scanner, Verdict};

use super::util::Row;

fn scan(name: &str) -> Node {
    Scanner::new()
        .scan_path(&corpus().join("installshield").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .root
}

fn read_tsv(file: &str) -> Vec<Row> {
    super::util::tsv_rows(&corpus().join("reference").join(file), "")
}

/// File entries directly under `node`.
fn files(node: &Node) -> Vec<Row> {
    let mut rows: Vec<Row> = node
        .children
        .iter()
        .filter(|c| {
            c.info
                .entry
                .as_ref()
                .is_some_and(|e| e.kind == EntryKind::File)
        })
        .map(|c| {
            (
                c.info.path.last().expect("name").clone(),
                c.info.size,
                c.info.sha256.map(|h| h.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn child<'a>(node: &'a Node, name: &str) -> &'a Node {
    node.children
        .iter()
        .find(|c| c.info.path.last().is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("no child `{name}` in {:?}", node.info.path))
}

fn record_names(root: &Node) -> Vec<String> {
    let meta = serde_json::to_value(&root.info.metadata).expect("json");
    meta["installshield"]["records"]
        .as_array()
        .expect("installshield records in metadata")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn every_setup_is_installshield_without_errors() {
    for name in [
        "clam_IScab_int.exe",
        "clam_IScab_ext.exe",
        "clam_ISmsi_int.exe",
        "clam_ISmsi_ext.exe",
    ] {
        let root = scan(name);
        assert_eq!(root.info.verdict, Verdict::Installer, "{name}");
        assert_eq!(root.info.family, Some(Family::InstallShield), "{name}");
        assert!(
            root.info
                .evidence
                .iter()
                .any(|e| e.signal == "installshield-records"),
            "{name}: verdict without the parsed records"
        );
        let mut bad = Vec::new();
        root.walk(&mut |n| {
            if !n.info.errors.is_empty() {
                bad.push(format!("{:?}: {:?}", n.info.path, n.info.errors));
            }
        });
        assert!(bad.is_empty(), "{name}: {bad:?}");
    }
}

#[test]
fn cab_setups_list_their_records_and_the_cabinet_as_unshield_does() {
    let root = scan("clam_IScab_int.exe");
    // The overlay records as ClamAV's cli_scanishield walks them; 7zz sees
    // only engine32.cab (the first MSCF).
    assert_eq!(
        record_names(&root),
        [
            "Disk1\\data1.cab",
            "Disk1\\data1.hdr",
            "Disk1\\data2.cab",
            "Disk1\\engine32.cab",
            "Disk1\\layout.bin",
            "Disk1\\setup.exe",
            "Disk1\\setup.ibt",
            "Disk1\\setup.ini",
            "Disk1\\setup.inx",
        ]
    );
    assert_eq!(child(&root, "Disk1/engine32.cab").info.format, Format::Cab);
    assert_eq!(child(&root, "Disk1/engine32.cab").children.len(), 13);
    assert_eq!(child(&root, "Disk1/setup.exe").info.format, Format::Pe);
    for exe in ["clam_IScab_int.exe", "clam_IScab_ext.exe"] {
        let root = scan(exe);
        let hdr = child(&root, "Disk1/data1.hdr");
        assert_eq!(hdr.info.format, Format::InstallShield);
        assert_eq!(
            files(hdr),
            read_tsv(&format!("installshield__{exe}.unshield.tsv")),
            "{exe}"
        );
        // The volumes are data-only nodes; the files hang off the header.
        assert!(files(child(&root, "Disk1/data1.cab")).is_empty());
    }
    let ext = scan("clam_IScab_ext.exe");
    assert_eq!(record_names(&ext)[0], "Disk1\\clam.exe");
}

/// The same set (data1.hdr + data1.cab + data2.cab) as sibling entries of
/// an ISO made by genisoimage (corpus/cab_set_in/installshield_set.iso):
/// the header entry lists every file as unshield does on the files the ISO
/// holds, unpacked from the volumes beside it; the volumes list nothing and
/// say where their files are. (Before, the header alone listed its files
/// in metadata only, and each volume was a data volume of nothing.)
#[test]
fn a_cabinet_set_on_a_medium_is_joined_from_its_sibling_entries() {
    let root = Scanner::new()
        .scan_path(&corpus().join("cab_set_in/installshield_set.iso"))
        .expect("scan")
        .root;
    assert_eq!(root.info.format, Format::Iso);
    let hdr = child(&root, "Disk1/data1.hdr");
    assert_eq!(hdr.info.format, Format::InstallShield);
    assert!(hdr.info.errors.is_empty(), "{:?}", hdr.info.errors);
    let want = read_tsv("cab_set_in__installshield_set.iso.unshield.tsv");
    assert_eq!(want.len(), 20);
    assert_eq!(files(hdr), want);
    for v in ["Disk1/data1.cab", "Disk1/data2.cab"] {
        let n = child(&root, v);
        assert!(files(n).is_empty(), "{v}");
        assert!(n.info.errors.is_empty(), "{v}: {:?}", n.info.errors);
        assert!(
            n.info.evidence.iter().any(|e| e
                .detail
                .contains("listed (and unpacked) under `Disk1/data1.hdr`")),
            "{v}: {:?}",
            n.info.evidence
        );
    }
}

#[test]
fn msi_setups_decrypt_the_msi_and_list_its_files_as_msiextract_does() {
    for (exe, records) in [
        (
            "clam_ISmsi_int.exe",
            &["0x0409.ini", "EvalMarker.dat", "clam.msi", "Setup.ini"][..],
        ),
        (
            "clam_ISmsi_ext.exe",
            &[
                "clam.exe409.bmp",
                "0x0409.ini",
                "EvalMarker.dat",
                "clam.msi",
                "Setup.ini",
            ][..],
        ),
    ] {
        let root = scan(exe);
        assert_eq!(record_names(&root), records, "{exe}");
        let msi = child(&root, "clam.msi");
        assert_eq!(msi.info.format, Format::Msi, "{exe}");
        assert_eq!(
            msi.info.entry.as_ref().and_then(|e| e.method.as_deref()),
            Some("xor-1024+zlib")
        );
        assert_eq!(
            files(msi),
            read_tsv(&format!("installshield__{exe}.msiextract.tsv")),
            "{exe}"
        );
        let ini = child(&root, "Setup.ini");
        assert!(
            ini.info.sha256.is_some() && ini.info.size > 5000,
            "{exe}: Setup.ini"
        );
    }
}

#[test]
fn a_cut_overlay_keeps_the_records_before_the_cut() {
    let data = std::fs::read(corpus().join("installshield/clam_IScab_int.exe")).expect("read");
    // Cut inside setup.inx (the last record).
    let cut = &data[..data.len() - 1000];
    let root = Scanner::new().scan_bytes("cut", cut).root;
    assert_eq!(root.info.family, Some(Family::InstallShield));
    assert_eq!(record_names(&root).len(), 8);
    assert!(
        root.info.errors.iter().any(|e| e.kind() == "truncated"),
        "{:?}",
        root.info.errors
    );
    // The cabinet set before the cut is still unpacked.
    assert_eq!(files(child(&root, "Disk1/data1.hdr")).len(), 21);
}
