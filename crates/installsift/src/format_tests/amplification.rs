//! Work that a count in the file multiplies, not its size (issue 16): each
//! construction is hand-made (no tool writes such files; they are the
//! hostile cases), small, and must cost about its size.

use crate::{Error, Limit, Limits, Scanner};

/// A PE32+ image with the given sections (name, RVA, data) and data
/// directories (index → RVA, size); file alignment 0x200, headers 0x400.
fn pe64(sections: &[(&[u8; 8], u32, Vec<u8>)], dirs: &[(usize, u32, u32)]) -> Vec<u8> {
    let align = |n: usize| (n + 0x1ff) & !0x1ff;
    let mut out = vec![0u8; 0x400];
    out[..2].copy_from_slice(b"MZ");
    out[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    out[0x80..0x84].copy_from_slice(b"PE\0\0");
    let put16 =
        |o: &mut Vec<u8>, at: usize, v: u16| o[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |o: &mut Vec<u8>, at: usize, v: u32| o[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let coff = 0x84;
    put16(&mut out, coff, 0x8664);
    put16(&mut out, coff + 2, sections.len() as u16);
    put16(&mut out, coff + 16, 240);
    put16(&mut out, coff + 18, 0x22);
    let opt = coff + 20;
    put16(&mut out, opt, 0x20b);
    let last = sections.last().expect("a section");
    put32(&mut out, opt + 16, last.1); // entry point: the last section
    out[opt + 24..opt + 32].copy_from_slice(&0x1_4000_0000u64.to_le_bytes());
    put32(&mut out, opt + 32, 0x1000);
    put32(&mut out, opt + 36, 0x200);
    put16(&mut out, opt + 40, 6);
    put16(&mut out, opt + 48, 6);
    let image = sections
        .iter()
        .map(|(_, rva, d)| rva + ((d.len() as u32 + 0xfff) & !0xfff))
        .max()
        .unwrap_or(0x1000);
    put32(&mut out, opt + 56, image);
    put32(&mut out, opt + 60, 0x400);
    put16(&mut out, opt + 68, 3);
    put32(&mut out, opt + 108, 16);
    for &(i, rva, size) in dirs {
        put32(&mut out, opt + 112 + 8 * i, rva);
        put32(&mut out, opt + 116 + 8 * i, size);
    }
    let mut raw = 0x400;
    for (k, (name, rva, d)) in sections.iter().enumerate() {
        let sh = opt + 240 + 40 * k;
        out[sh..sh + 8].copy_from_slice(&name[..]);
        put32(&mut out, sh + 8, d.len() as u32);
        put32(&mut out, sh + 12, *rva);
        put32(&mut out, sh + 16, align(d.len()) as u32);
        put32(&mut out, sh + 20, raw as u32);
        put32(&mut out, sh + 36, 0x4000_0040);
        raw += align(d.len());
    }
    for (_, _, d) in sections {
        let mut d = d.clone();
        d.resize(align(d.len()), 0);
        out.extend_from_slice(&d);
    }
    out
}

/// `descriptors` import descriptors that all share one lookup table of
/// `thunks` imports by ordinal.
fn shared_thunks(descriptors: usize, thunks: usize) -> Vec<u8> {
    let rva = 0x1000u32;
    let table = 20 * (descriptors + 1);
    let name = table;
    let thunk = name + 8;
    let mut idata = vec![0u8; table];
    for i in 0..descriptors {
        let d = &mut idata[20 * i..20 * i + 20];
        d[..4].copy_from_slice(&(rva + thunk as u32).to_le_bytes());
        d[12..16].copy_from_slice(&(rva + name as u32).to_le_bytes());
        d[16..20].copy_from_slice(&(rva + thunk as u32).to_le_bytes());
    }
    idata.extend_from_slice(b"a.dll\0\0\0");
    for i in 0..thunks {
        idata.extend_from_slice(&((1u64 << 63) | (i as u64 % 65_535 + 1)).to_le_bytes());
    }
    idata.extend_from_slice(&[0; 8]);
    let text = rva + ((idata.len() as u32 + 0xfff) & !0xfff);
    pe64(
        &[
            (b".idata\0\0", rva, idata),
            (b".text\0\0\0", text, vec![0xc3]),
        ],
        &[(1, rva, table as u32)],
    )
}

/// `leaves` RCDATA resources whose data entries all point into `blob`:
/// leaf `i` at the blob's start, `blob.len() - shrink * i` bytes long.
fn shared_resources(leaves: usize, blob: &[u8], shrink: usize) -> Vec<u8> {
    let (rsrc, _) = rcdata_tree(leaves, blob, |blob_rva, i| {
        (blob_rva, (blob.len() - shrink * i) as u32)
    });
    let size = rsrc.len() as u32;
    let text = 0x1000 + ((size + 0xfff) & !0xfff);
    pe64(
        &[
            (b".rsrc\0\0\0", 0x1000, rsrc),
            (b".text\0\0\0", text, vec![0xc3]),
        ],
        &[(2, 0x1000, size)],
    )
}

/// A `.rsrc` section at RVA 0x1000 of `leaves` RCDATA resources, `blob`
/// after the tree, leaf `i`'s data entry (RVA, size) given by `point`
/// from the blob's RVA: the section's bytes and the blob's RVA.
fn rcdata_tree(
    leaves: usize,
    blob: &[u8],
    point: impl Fn(u32, usize) -> (u32, u32),
) -> (Vec<u8>, u32) {
    let rva = 0x1000u32;
    let names = 24;
    let langs = names + 16 + 8 * leaves;
    let datas = langs + 24 * leaves;
    let at = (datas + 16 * leaves + 15) & !15;
    let mut rsrc = vec![0u8; at];
    let put16 =
        |o: &mut Vec<u8>, at: usize, v: u16| o[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |o: &mut Vec<u8>, at: usize, v: u32| o[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut rsrc, 14, 1);
    put32(&mut rsrc, 16, 10);
    put32(&mut rsrc, 20, 0x8000_0000 | names as u32);
    put16(&mut rsrc, names + 14, leaves as u16);
    for i in 0..leaves {
        put32(&mut rsrc, names + 16 + 8 * i, i as u32 + 1);
        put32(
            &mut rsrc,
            names + 20 + 8 * i,
            0x8000_0000 | (langs + 24 * i) as u32,
        );
        put16(&mut rsrc, langs + 24 * i + 14, 1);
        put32(&mut rsrc, langs + 24 * i + 16, 0x409);
        put32(&mut rsrc, langs + 24 * i + 20, (datas + 16 * i) as u32);
        let (data_rva, size) = point(rva + at as u32, i);
        put32(&mut rsrc, datas + 16 * i, data_rva);
        put32(&mut rsrc, datas + 16 * i + 4, size);
    }
    rsrc.extend_from_slice(blob);
    (rsrc, rva + at as u32)
}

/// 1,000 descriptors over one table of 30,000 ordinals declare 30 million
/// imports in 260 KB (goblin's import parser allocated ~4 GiB for them):
/// the entries are counted first, at most `max_pe_imports` + 1, and the
/// imports are not listed, with the limit named.
#[test]
fn imports_multiplied_by_shared_thunk_arrays_stop_at_the_limit() {
    let data = shared_thunks(1_000, 30_000);
    assert!(data.len() < 300 << 10);
    let r = Scanner::new().scan_bytes("imports.exe", &data);
    assert_eq!(r.root.info.format, crate::Format::Pe);
    assert!(
        r.root.info.errors.iter().any(|e| matches!(
            e,
            Error::LimitExceeded {
                limit: Limit::MaxPeImports,
                ..
            }
        )),
        "{:?}",
        r.root.info.errors
    );
    let Some(crate::formats::Metadata::Pe(pe)) = &r.root.info.metadata else {
        panic!("PE metadata");
    };
    assert!(pe.imports.is_none());
    // Within the limit the same construction is listed in full: the count
    // walks the tables as goblin does.
    let small = Scanner::new().scan_bytes("imports.exe", &shared_thunks(10, 300));
    let Some(crate::formats::Metadata::Pe(pe)) = &small.root.info.metadata else {
        panic!("PE metadata");
    };
    let imports = pe.imports.as_ref().expect("imports listed");
    assert_eq!(
        (imports.dlls.as_slice(), imports.functions),
        (&["a.dll".to_owned()][..], 3_000)
    );
    let tight = Limits {
        max_pe_imports: 2_999,
        ..Limits::default()
    };
    let cut = Scanner::new()
        .with_limits(tight)
        .scan_bytes("imports.exe", &shared_thunks(10, 300));
    assert!(cut.root.info.errors.iter().any(|e| matches!(
        e,
        Error::LimitExceeded {
            limit: Limit::MaxPeImports,
            ..
        }
    )));
}

/// Thousands of resources naming the same region: the region is hashed and
/// classified once, every other leaf is a copy of the first (same hashes,
/// `same-stored-data`), so the work is the region's size, not leaves × size.
#[test]
fn resources_sharing_one_region_are_hashed_once() {
    let zip = crate::test_support::sample("zip/deflate.zip").unwrap_or_default();
    let data = shared_resources(2_000, &zip, 0);
    let r = Scanner::new().scan_bytes("resources.exe", &data);
    let leaves: Vec<_> = r
        .root
        .children
        .iter()
        .filter(|c| c.info.path[1].starts_with(".rsrc/RCDATA/"))
        .collect();
    assert_eq!(leaves.len(), 2_000);
    let first = &leaves[0].info;
    assert_eq!(first.format, crate::Format::Zip);
    assert!(!leaves[0].children.is_empty(), "the first leaf is opened");
    for l in &leaves[1..] {
        assert_eq!(l.info.sha256, first.sha256);
        assert_eq!(l.info.format, crate::Format::Zip);
        assert!(l.children.is_empty());
        assert!(l.info.errors.is_empty(), "{:?}", l.info.errors);
        assert!(l
            .info
            .evidence
            .iter()
            .any(|e| e.signal == "same-stored-data"));
    }
}

/// Leaves over one region with all different lengths are each a distinct
/// region overlapping the first: hashed, not opened, and only up to
/// `max_overlapping_bytes` in all; past it they are listed with their size
/// and the limit, not hashed.
#[test]
fn overlapping_resources_are_hashed_up_to_the_limit() {
    let zip = crate::test_support::sample("zip/deflate.zip").unwrap_or_default();
    let data = shared_resources(500, &zip, 1);
    let limits = Limits {
        max_overlapping_bytes: 10 * zip.len() as u64,
        ..Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("resources.exe", &data);
    let leaves: Vec<_> = r
        .root
        .children
        .iter()
        .filter(|c| c.info.path[1].starts_with(".rsrc/RCDATA/"))
        .collect();
    assert_eq!(leaves.len(), 500);
    let hashed = leaves.iter().filter(|l| l.info.sha256.is_some()).count();
    // The first is claimed; the next ten overlapping ones fit the limit.
    assert_eq!(hashed, 11);
    for l in leaves.iter().skip(hashed) {
        assert!(l.info.errors.iter().any(|e| matches!(
            e,
            Error::LimitExceeded {
                limit: Limit::MaxOverlappingBytes,
                ..
            }
        )));
        assert!(l.info.size > 0);
    }
}

/// The PE parser alone (no engine): what it hands over for `data`.
fn pe_listing(data: &[u8], limits: &Limits) -> crate::formats::container::Listing {
    let pe = crate::formats::HANDLERS
        .iter()
        .find(|h| h.format == crate::Format::Pe)
        .expect("the PE handler");
    crate::formats::container::list(pe.open, data, limits, usize::MAX)
}

/// A resource root directory of `entries` ID entries that each point at
/// data, not at a name directory (a malformed tree: each is an error), as
/// the sweep's mutants met it in real PEs whose first 64 KiB were repeated
/// (`scripts/hostile_sweep.py`: up to 664,081 such entries, 440 MiB).
fn malformed_resource_root(entries: usize) -> Vec<u8> {
    let rva = 0x1000u32;
    let mut rsrc = vec![0u8; 16 + 8 * entries];
    rsrc[14..16].copy_from_slice(&(entries as u16).to_le_bytes());
    for i in 0..entries {
        let e = 16 + 8 * i;
        rsrc[e..e + 4].copy_from_slice(&(i as u32 + 1).to_le_bytes());
        rsrc[e + 4..e + 8].copy_from_slice(&16u32.to_le_bytes());
    }
    let size = rsrc.len() as u32;
    let text = rva + ((size + 0xfff) & !0xfff);
    pe64(
        &[
            (b".rsrc\0\0\0", rva, rsrc),
            (b".text\0\0\0", text, vec![0xc3]),
        ],
        &[(2, rva, size)],
    )
}

/// 60,000 malformed resource entries: the parser keeps at most
/// `MAX_NOTED_ERRORS` of their errors and counts the rest (it kept all of
/// them, a few hundred bytes each, before the engine dropped all but 32);
/// the node lists 32 and says exactly how many more there were.
#[test]
fn malformed_resource_entries_cost_a_count_not_a_message_each() {
    use crate::formats::container::MAX_NOTED_ERRORS;
    let data = malformed_resource_root(60_000);
    let listed = pe_listing(&data, &Limits::default());
    assert_eq!(listed.notes.errors.len(), MAX_NOTED_ERRORS);
    assert_eq!(
        listed.notes.omitted_errors,
        60_000 - MAX_NOTED_ERRORS as u64
    );
    let r = Scanner::new().scan_bytes("resources.exe", &data);
    let errors = &r.root.info.errors;
    assert_eq!(errors.len(), 33, "{errors:?}");
    assert_eq!(
        errors[32].to_string(),
        "malformed: 59968 more errors on this node not listed"
    );
}

/// A PE whose `leaves` RCDATA resources all lie in the part of a section
/// past its file data (each is `pe-resource-in-memory` evidence).
fn resources_in_memory(leaves: usize) -> Vec<u8> {
    // `.bss` follows `.rsrc`: one byte of file data (a 0x200 raw block),
    // 16 bytes of memory for each leaf past it.
    let size = 16 + 24 + 8 * leaves + 40 * leaves;
    let bss = 0x1000 + ((size as u32 + 0xfff) & !0xfff);
    let (rsrc, _) = rcdata_tree(leaves, &[], |_, i| (bss + 0x200 + 16 * i as u32, 16));
    let size = rsrc.len() as u32;
    let mut data = pe64(
        &[
            (b".rsrc\0\0\0", 0x1000, rsrc),
            (b".bss\0\0\0\0", bss, vec![0]),
        ],
        &[(2, 0x1000, size)],
    );
    // The section headers start at 0x188; `.bss` is the second.
    let sh = 0x188 + 40;
    data[sh + 8..sh + 12].copy_from_slice(&(0x200 + 16 * leaves as u32).to_le_bytes());
    data
}

/// Resources the loader fills in at run time are evidence, not errors: a
/// tree of 5,000 such leaves gives 16 pieces and one saying how many more
/// (it gave 5,000 before, one JSON object each).
#[test]
fn evidence_repeated_by_a_count_in_the_file_is_summarised() {
    use crate::formats::container::MAX_EVIDENCE_PER_SIGNAL;
    let data = resources_in_memory(5_000);
    let r = Scanner::new().scan_bytes("resources.exe", &data);
    let ev = &r.root.info.evidence;
    let in_memory = ev
        .iter()
        .filter(|e| e.signal == "pe-resource-in-memory")
        .count();
    assert_eq!(in_memory, MAX_EVIDENCE_PER_SIGNAL, "{ev:?}");
    let more: Vec<_> = ev.iter().filter(|e| e.signal == "more-evidence").collect();
    assert_eq!(more.len(), 1, "{ev:?}");
    assert!(
        more[0].detail.starts_with("4984 more pieces of evidence"),
        "{}",
        more[0].detail
    );
}

/// 2,000 resources holding a zip, a container limit of 100: the parser
/// plans the 101 entries the engine may pull (the last to be refused), not
/// 2,000; the scan is unchanged (100 children and the limit named).
#[test]
fn planned_entries_stop_one_past_the_container_limit() {
    let zip = crate::test_support::sample("zip/deflate.zip").unwrap_or_default();
    let data = shared_resources(2_000, &zip, 0);
    let limits = Limits {
        max_entries_per_container: 100,
        ..Limits::default()
    };
    let listed = pe_listing(&data, &limits);
    assert_eq!(listed.entries.len(), 101);
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("resources.exe", &data);
    assert_eq!(r.root.children.len(), 100);
    assert!(r.root.info.errors.iter().any(|e| matches!(
        e,
        Error::LimitExceeded {
            limit: Limit::MaxEntriesPerContainer,
            ..
        }
    )));
}
