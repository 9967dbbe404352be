//! RAR volume sets read from disk: WinRAR-made sets from libarchive's
//! tests (`corpus/rar_volumes/`). The first volume lists the whole set
//! (its files = libarchive's, `crates/cli/tests/it/reference.rs` and
//! `scripts/rar_volumes_reference.py`); a later volume lists nothing when
//! its first lies beside it, and its own files when not; and the damaged
//! and hostile cases: a volume missing, a part whose CRC fails, a volume
//! that is not the next one, the two limits.

use crate::report::Node;
use crate::test_support::*;
use crate::{Check, Limit, Limits, Scanner};
use std::path::{Path, PathBuf};

/// The sets, by name, with their volume count.
const SETS: [(&str, usize); 5] = [
    ("test_rar_multivolume_multiple_files", 6),
    ("test_rar_multivolume_single_file", 3),
    ("test_rar_multivolume_uncompressed_files", 10),
    ("test_read_format_rar5_multiarchive", 8),
    ("test_read_format_rar5_multiarchive_solid", 4),
];

/// The name of volume `n` (1-based) of a set: `.partN`, as wide as
/// WinRAR made it for the set's size.
fn part(set: &str, n: usize, count: usize) -> String {
    let width = count
        .to_string()
        .len()
        .max(if set.contains("rar5") { 2 } else { 1 });
    format!("{set}.part{n:0width$}.rar")
}

fn dir() -> PathBuf {
    corpus().join("rar_volumes")
}

/// A copy of some volumes of a set in a directory of its own, each
/// through `patch` (`name`, bytes).
fn copy_set(tag: &str, names: &[String], patch: impl Fn(&str, &mut Vec<u8>)) -> PathBuf {
    let tmp = std::env::temp_dir().join(format!("installsift-rarset-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("tmp");
    for n in names {
        let mut b = std::fs::read(dir().join(n)).expect("volume");
        patch(n, &mut b);
        std::fs::write(tmp.join(n), &b).expect("write");
    }
    tmp
}

/// The names of the volumes of a set of `count` that `keep` keeps.
fn parts(set: &str, count: usize, keep: impl Fn(usize) -> bool) -> Vec<String> {
    (1..=count)
        .filter(|&n| keep(n))
        .map(|n| part(set, n, count))
        .collect()
}

/// The scan of the first of `names`, copied unchanged into a directory of
/// their own (removed after).
fn scan_first_copy(tag: &str, names: &[String]) -> Node {
    let tmp = copy_set(tag, names, |_, _| {});
    let first = scan(&tmp.join(&names[0]), Limits::default());
    let _ = std::fs::remove_dir_all(&tmp);
    first
}

fn scan(path: &Path, limits: Limits) -> Node {
    Scanner::new()
        .with_limits(limits)
        .scan_path(path)
        .expect("scan")
        .root
}

fn volumes_read(n: &Node) -> u64 {
    serde_json::to_value(&n.info.metadata).expect("json")["volumes_read"]
        .as_u64()
        .unwrap_or(0)
}

/// The content every file of the three RAR 4 sets has (libarchive's test
/// page, in two versions of one size).
const PAGE: &str = "ee16390e87152d7d";

#[test]
fn a_set_is_listed_by_its_first_volume_and_only_there() {
    for (set, count) in SETS {
        let first = scan(&dir().join(part(set, 1, count)), Limits::default());
        assert!(first.info.errors.is_empty(), "{set}: {}", errors(&first));
        assert_eq!(volumes_read(&first), count as u64, "{set}");
        assert!(!first.children.is_empty(), "{set}");
        for c in &first.children {
            assert!(c.info.errors.is_empty(), "{set}: {:?}", c.info);
            assert!(c.info.sha256.is_some(), "{set}: {:?}", c.info.path);
            assert!(
                c.info.verified_by.contains(&Check::RarCrc32),
                "{set}: {:?}",
                c.info
            );
        }
        for n in 2..=count {
            let later = scan(&dir().join(part(set, n, count)), Limits::default());
            assert!(later.children.is_empty(), "{set} part {n}");
            assert!(
                later.info.errors.is_empty(),
                "{set} part {n}: {}",
                errors(&later)
            );
            assert!(
                later.info.evidence.iter().any(|e| e.signal == "rar-volume"),
                "{set} part {n}: {:?}",
                later.info.evidence
            );
            assert_eq!(volumes_read(&later), 0);
        }
    }
}

/// Volumes 3 to 6 of a set without the first two: the third lists the file
/// it holds the end of as missing (it begins in a volume not read), and
/// the file that begins in it, joined with volumes 4 to 6.
#[test]
fn a_later_volume_without_its_first_lists_the_files_that_begin_in_it() {
    let set = "test_rar_multivolume_multiple_files";
    let names: Vec<String> = (3..=6).map(|n| part(set, n, 6)).collect();
    let tmp = copy_set("alone", &names, |_, _| {});
    let third = scan(&tmp.join(&names[0]), Limits::default());
    let fourth = scan(&tmp.join(&names[1]), Limits::default());
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(third.children.len(), 2, "{:?}", third.children);
    let cont = child(&third, "LibarchiveAddingTest2.html");
    assert!(cont.info.sha256.is_none());
    assert!(
        errors(cont).contains("goes on from an earlier volume"),
        "{}",
        errors(cont)
    );
    let begun = child(&third, "LibarchiveAddingTest.html");
    assert!(begun.info.errors.is_empty(), "{}", errors(begun));
    assert!(begun.info.sha256.unwrap().to_string().starts_with(PAGE));
    assert!(begun.info.verified_by.contains(&Check::RarCrc32));
    // The fourth holds only parts of that file: it lists it as a part
    // begun elsewhere, never with a hash.
    assert!(fourth.children.iter().all(|c| c.info.sha256.is_none()));
}

/// The set without its third volume: the files before it are listed, the
/// one that runs into it is missing with an error naming the volume, and
/// the first volume says where the walk stopped.
#[test]
fn a_missing_volume_is_named_and_what_lies_past_it_gets_no_hash() {
    let set = "test_rar_multivolume_uncompressed_files";
    let first = scan_first_copy("gap", &parts(set, 10, |n| n != 3));
    let missing = part(set, 3, 10);
    let ok = child(&first, "testdir/LibarchiveAddingTest2.html");
    assert!(ok.info.errors.is_empty(), "{}", errors(ok));
    let cut = child(&first, "testdir/testsubdir/LibarchiveAddingTest2.html");
    assert!(cut.info.sha256.is_none());
    assert!(errors(cut).contains(&missing), "{}", errors(cut));
    assert!(errors(&first).contains(&missing), "{}", errors(&first));
    assert_eq!(first.children.len(), 2);
    // The set without its fourth volume: the file running from the second
    // into the fourth is missing once, not again as the part the third
    // volume opens with.
    let first = scan_first_copy("gap4", &parts(set, 10, |n| n != 4));
    let named: Vec<_> = first
        .children
        .iter()
        .filter(|c| c.info.path[1] == "testdir/testsubdir/LibarchiveAddingTest2.html")
        .collect();
    assert_eq!(named.len(), 1, "{:?}", first.children);
    assert!(
        errors(named[0]).contains(&part(set, 4, 10)),
        "{}",
        errors(named[0])
    );
}

/// A byte of the first file's first part flipped: that part's CRC-32 and
/// the file's own both say so; the bytes are kept, never vouched for.
#[test]
fn a_damaged_part_fails_its_checks() {
    let set = "test_rar_multivolume_single_file";
    let names: Vec<String> = (1..=3).map(|n| part(set, n, 3)).collect();
    let first_name = names[0].clone();
    let tmp = copy_set("crc", &names, |n, b| {
        if *n == first_name {
            let at = b.len() - 500;
            b[at] ^= 0x20;
        }
    });
    let first = scan(&tmp.join(&names[0]), Limits::default());
    let _ = std::fs::remove_dir_all(&tmp);
    let f = child(&first, "LibarchiveAddingTest.html");
    let e = errors(f);
    assert!(e.contains("part 1 of the file"), "{e}");
    assert!(e.contains("CRC-32 stored 5e05a663"), "{e}");
    assert!(!f.info.verified_by.contains(&Check::RarCrc32));
}

/// A file in the next volume's place that is not that volume (another
/// set's first volume, a non-RAR file): refused, the file missing.
#[test]
fn a_volume_that_is_not_the_next_one_is_refused() {
    let set = "test_rar_multivolume_single_file";
    let names: Vec<String> = (1..=3).map(|n| part(set, n, 3)).collect();
    let second = names[1].clone();
    for (tag, replace) in [
        (
            "other",
            dir().join(part("test_rar_multivolume_multiple_files", 1, 6)),
        ),
        ("junk", corpus().join("szdd/README.TXT_")),
    ] {
        let tmp = copy_set(tag, &names, |_, _| {});
        std::fs::copy(&replace, tmp.join(&second)).expect("copy");
        let first = scan(&tmp.join(&names[0]), Limits::default());
        let _ = std::fs::remove_dir_all(&tmp);
        let f = child(&first, "LibarchiveAddingTest.html");
        assert!(f.info.sha256.is_none(), "{tag}");
        assert!(
            errors(f).contains("is not volume 2 of this RAR 4 set"),
            "{tag}: {}",
            errors(f)
        );
    }
}

#[test]
fn the_set_limits_stop_the_walk_with_their_names() {
    let set = "test_rar_multivolume_uncompressed_files";
    let path = dir().join(part(set, 1, 10));
    for (limits, which) in [
        (
            Limits {
                max_volumes_per_set: 3,
                ..Limits::default()
            },
            Limit::MaxVolumesPerSet,
        ),
        (
            Limits {
                max_volume_set_bytes: 30_000,
                ..Limits::default()
            },
            Limit::MaxVolumeSetBytes,
        ),
    ] {
        let first = scan(&path, limits);
        let hit = |n: &Node| n.info.errors.iter().any(|e| e.limit_hit() == Some(which));
        assert!(
            hit(&first) || first.children.iter().any(hit),
            "{which:?}: {}",
            errors(&first)
        );
        // Whatever was listed has its bytes checked; the rest says why not.
        for c in &first.children {
            assert!(
                c.info.sha256.is_none() || c.info.verified_by.contains(&Check::RarCrc32),
                "{:?}",
                c.info
            );
        }
    }
}

/// RAR 5 volumes 3 to 8 without the first two: volume numbers count from
/// the input's own (the third says 2, the fourth 3), so the file that
/// begins in the third volume is joined with the fourth and on, and the
/// one it holds the end of is missing.
#[test]
fn a_later_rar5_volume_without_its_first_joins_what_begins_in_it() {
    let set = "test_read_format_rar5_multiarchive";
    let third = scan_first_copy("rar5-alone", &parts(set, 8, |n| n >= 3));
    assert!(third.info.errors.is_empty(), "{}", errors(&third));
    let hashed: Vec<_> = third
        .children
        .iter()
        .filter(|c| c.info.sha256.is_some())
        .collect();
    let missing: Vec<_> = third
        .children
        .iter()
        .filter(|c| c.info.sha256.is_none())
        .collect();
    assert_eq!(
        (hashed.len(), missing.len()),
        (1, 1),
        "{:?}",
        third.children
    );
    assert!(hashed[0].info.verified_by.contains(&Check::RarCrc32));
    // The same bytes as the whole set's listing gives that file.
    let whole = scan(&dir().join(part(set, 1, 8)), Limits::default());
    let same = child(&whole, hashed[0].info.path.last().expect("name"));
    assert_eq!(same.info.sha256, hashed[0].info.sha256);
    assert!(errors(missing[0]).contains("goes on from an earlier volume"));
}

/// The old numbering (`rar3-old.rar`, `.r00`, `.r01`; RAR 3, rarfile's
/// test set): the `.rar` volume lists the set, the later ones nothing.
#[test]
fn a_set_in_the_old_numbering_is_read_from_its_rar_volume() {
    let first = scan(&dir().join("rar3-old.rar"), Limits::default());
    assert!(first.info.errors.is_empty(), "{}", errors(&first));
    assert_eq!(volumes_read(&first), 3);
    assert_eq!(first.children.len(), 2);
    for c in &first.children {
        assert!(
            c.info.verified_by.contains(&Check::RarCrc32),
            "{:?}",
            c.info
        );
    }
    for later in ["rar3-old.r00", "rar3-old.r01"] {
        let n = scan(&dir().join(later), Limits::default());
        assert!(n.children.is_empty(), "{later}");
        assert!(n.info.evidence.iter().any(|e| e.signal == "rar-volume"));
    }
}

/// The volumes of a set as (name in `Disk1/`, bytes), volume `n` through
/// `patch`.
fn volumes(set: &str, count: usize, keep: impl Fn(usize) -> bool) -> Vec<(String, Vec<u8>)> {
    parts(set, count, keep)
        .into_iter()
        .map(|name| {
            let b = std::fs::read(dir().join(&name)).expect("volume");
            (format!("Disk1/{name}"), b)
        })
        .collect()
}

fn in_tar(vols: &[(String, Vec<u8>)]) -> Vec<u8> {
    let entries: Vec<(&str, &[u8])> = vols
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    super::cab_set::tar(&entries)
}

/// Every set, its volumes as entries of a tar (a stored zip too): the first
/// volume lists the set's files, each whole and checked, as the set read
/// from disk does; the later ones list nothing (`rar-volume`).
#[test]
fn a_set_in_a_container_is_joined_from_its_sibling_entries() {
    for (set, count) in SETS {
        let vols = volumes(set, count, |_| true);
        let on_disk = scan(&dir().join(part(set, 1, count)), Limits::default());
        let want: Vec<_> = on_disk
            .children
            .iter()
            .map(|c| (c.info.path.last().cloned(), c.info.size, c.info.sha256))
            .collect();
        let entries: Vec<(&str, &[u8])> = vols
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        for (kind, bytes) in [
            ("tar", in_tar(&vols)),
            ("zip", super::zip::stored_zip(&entries)),
        ] {
            let r = Scanner::new().scan_bytes(&format!("set.{kind}"), &bytes);
            let first = child(&r.root, &format!("Disk1/{}", part(set, 1, count)));
            assert!(
                first.info.errors.is_empty(),
                "{set} {kind}: {}",
                errors(first)
            );
            assert_eq!(volumes_read(first), count as u64, "{set} {kind}");
            let got: Vec<_> = first
                .children
                .iter()
                .map(|c| (c.info.path.last().cloned(), c.info.size, c.info.sha256))
                .collect();
            assert_eq!(got, want, "{set} {kind}");
            for n in 2..=count {
                let later = child(&r.root, &format!("Disk1/{}", part(set, n, count)));
                assert!(later.children.is_empty(), "{set} {kind} part {n}");
                assert!(
                    later.info.evidence.iter().any(|e| e.signal == "rar-volume"),
                    "{set} {kind} part {n}"
                );
            }
        }
    }
}

/// A volume missing from the container: the files before it are whole,
/// the one running into it has no hash and an error naming the volume.
/// The volumes after the gap, whose first lies beside them, list nothing.
#[test]
fn a_volume_missing_from_the_container_is_named() {
    let set = "test_rar_multivolume_uncompressed_files";
    let vols = volumes(set, 10, |n| n != 3);
    let r = Scanner::new().scan_bytes("set.tar", &in_tar(&vols));
    let first = child(&r.root, &format!("Disk1/{}", part(set, 1, 10)));
    assert!(
        errors(first).contains(&part(set, 3, 10)),
        "{}",
        errors(first)
    );
    assert!(first.children.iter().any(|c| c.info.sha256.is_some()));
    assert!(first.children.iter().any(|c| c.info.sha256.is_none()));
}

/// Later volumes in a container without their first: each is opened
/// alone and lists the files that begin in it (the third: the one it
/// holds the end of, without a hash; the one it begins, joined with the
/// volumes after it, whole).
#[test]
fn later_volumes_in_a_container_without_their_first_list_what_begins_in_them() {
    let set = "test_rar_multivolume_multiple_files";
    let vols = volumes(set, 6, |n| n >= 3);
    let r = Scanner::new().scan_bytes("set.tar", &in_tar(&vols));
    let third = child(&r.root, &format!("Disk1/{}", part(set, 3, 6)));
    let begun = child(third, "LibarchiveAddingTest.html");
    assert!(begun.info.errors.is_empty(), "{}", errors(begun));
    assert!(begun.info.sha256.unwrap().to_string().starts_with(PAGE));
    let cont = child(third, "LibarchiveAddingTest2.html");
    assert!(cont.info.sha256.is_none());
}

/// An entry named as the next volume that is not one (a text file, a
/// volume of another set): refused as on disk, never joined.
#[test]
fn an_entry_named_as_the_next_volume_that_is_not_it_is_refused() {
    let set = "test_rar_multivolume_single_file";
    let mut vols = volumes(set, 3, |_| true);
    vols[1].1 = b"not a volume".to_vec();
    let r = Scanner::new().scan_bytes("set.tar", &in_tar(&vols));
    let first = child(&r.root, &format!("Disk1/{}", part(set, 1, 3)));
    assert!(
        errors(first).contains("is not volume 2"),
        "{}",
        errors(first)
    );
    assert!(first.children.iter().all(|c| c.info.sha256.is_none()));
    // A volume of another set under that name.
    let mut vols = volumes(set, 3, |_| true);
    vols[1].1 = std::fs::read(dir().join(part("test_rar_multivolume_multiple_files", 2, 6)))
        .expect("volume");
    let r = Scanner::new().scan_bytes("set.tar", &in_tar(&vols));
    let first = child(&r.root, &format!("Disk1/{}", part(set, 1, 3)));
    let joined = child(first, "LibarchiveAddingTest.html");
    assert!(
        errors(joined).contains("whose first file is not its next part"),
        "{}",
        errors(joined)
    );
    assert!(first.children.iter().all(|c| c.info.sha256.is_none()));
}

/// Volumes decoded from a container (a deflated zip) are held within
/// `max_held_set_bytes`: below the set's size some are not held, opened
/// alone with the limit named, and the set is not joined whole.
#[test]
fn decoded_volumes_are_held_within_max_held_set_bytes() {
    let Some(z) = sample("rar_volumes_in/set.zip") else {
        return;
    };
    let limits = Limits {
        max_held_set_bytes: 20_000,
        ..Limits::default()
    };
    let r = Scanner::new().with_limits(limits).scan_bytes("set.zip", &z);
    let mut limited = 0;
    r.root.walk(&mut |n| {
        if n.info
            .errors
            .iter()
            .any(|e| e.limit_hit() == Some(Limit::MaxHeldSetBytes))
        {
            limited += 1;
        }
    });
    assert!(limited > 0);
    let r = Scanner::new().scan_bytes("set.zip", &z);
    let mut errs = 0;
    r.root.walk(&mut |n| errs += n.info.errors.len());
    assert_eq!(errs, 0);
}
