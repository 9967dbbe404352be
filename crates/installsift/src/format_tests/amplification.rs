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
        put32(&mut rsrc, datas + 16 * i, rva + at as u32);
        put32(
            &mut rsrc,
            datas + 16 * i + 4,
            (blob.len() - shrink * i) as u32,
        );
    }
    rsrc.extend_from_slice(blob);
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
