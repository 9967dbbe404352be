//! WiX Burn bundles: the `.wixburn` section header and the containers it
//! locates.
//!
//! Facts from the WiX toolset's `src/burn/engine/section.cpp` (WiX 3, 4 and 5
//! share the layout; the stub writes version 2 or 3): the section starts with
//!
//! | offset | field |
//! |---|---|
//! | 0 | magic `0x00F14300` |
//! | 4 | version |
//! | 8 | bundle id (GUID, 16 bytes) |
//! | 24 | stub size: the engine PE without containers |
//! | 28 | original checksum |
//! | 32 | original signature offset (0 unless the engine was signed before attaching) |
//! | 36 | original signature size |
//! | 40 | container format (1 = cabinet) |
//! | 44 | container count |
//! | 48 | container sizes, one u32 each: the UX container first |
//!
//! Burn caps the count by what the section's raw data can hold, and so do we.
//! The UX container (a cabinet holding the Burn manifest `0` and the
//! bootstrapper application's payloads) starts at the stub size. The engine
//! size is the original signature's end when one is recorded, else the
//! current certificate table's end when the file is signed, else stub + UX
//! container; attached containers follow the engine, one after the other.

use super::super::le_u32;
use serde::Serialize;

/// The Burn section magic.
pub(crate) const MAGIC: u32 = 0x00F1_4300;

/// Size of the fixed header before the container sizes.
const HEADER: usize = 48;

/// Facts of the `.wixburn` section.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BurnInfo {
    /// Section version (2 in WiX 3, 2 or 3 in WiX 4+).
    pub version: u32,
    /// Bundle id (registry-format GUID).
    pub bundle_id: String,
    /// Engine stub size (where the UX container starts).
    pub stub_size: u32,
    /// Engine size (where the attached containers start).
    pub engine_size: u64,
    /// Container format (1 = cabinet).
    pub container_format: u32,
    /// Containers the section declares (UX container included).
    pub container_count: u32,
    /// The containers: UX first, then the attached ones.
    pub containers: Vec<BurnContainer>,
}

/// One container Burn locates from its section.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BurnContainer {
    /// `ux` for the bootstrapper-application container, `attached` otherwise.
    pub role: &'static str,
    /// File offset.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
    /// The whole container lies inside the file (Burn's own `fPresent`).
    pub present: bool,
}

/// Parse the section at `at` (its raw data, `raw_size` bytes) of a file of
/// `data.len()` bytes; `cert` is the certificate table `(offset, size)`.
/// `None` when the magic is missing; otherwise the facts plus any anomaly.
pub(crate) fn parse(
    data: &[u8],
    at: usize,
    raw_size: u32,
    cert: Option<(u32, u32)>,
) -> Option<(BurnInfo, Vec<String>)> {
    if le_u32(data, at)? != MAGIC {
        return None;
    }
    let mut problems = Vec::new();
    let field = |o: usize| le_u32(data, at.checked_add(o)?);
    let version = field(4).unwrap_or(0);
    let bundle_id = guid(data, at.checked_add(8)?).unwrap_or_default();
    let stub_size = field(24).unwrap_or(0);
    let orig_sig_offset = field(32).unwrap_or(0);
    let orig_sig_size = field(36).unwrap_or(0);
    let container_format = field(40).unwrap_or(0);
    let count = field(44).unwrap_or(0);
    if !(2..=3).contains(&version) {
        problems.push(format!(
            "Burn section version {version} (known: 2, 3); read with the version-2 layout"
        ));
    }
    // Burn's own bound: what the section's raw data can hold.
    let raw = usize::try_from(raw_size).unwrap_or(usize::MAX);
    let room = raw.saturating_sub(HEADER) / 4;
    let in_file = data.len().saturating_sub(at.saturating_add(HEADER)) / 4;
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if n > room {
        problems.push(format!(
            "Burn section declares {count} containers, its {raw_size} bytes hold {room}"
        ));
    }
    let n = n.min(room).min(in_file);
    let sizes: Vec<u64> = (0..n)
        .filter_map(|i| field(HEADER + 4 * i).map(u64::from))
        .collect();
    let ux_size = sizes.first().copied().unwrap_or(0);
    let engine_size = if orig_sig_offset != 0 {
        u64::from(orig_sig_offset) + u64::from(orig_sig_size)
    } else if let Some((off, size)) = cert {
        u64::from(off) + u64::from(size)
    } else {
        u64::from(stub_size) + ux_size
    };
    let len = data.len() as u64;
    let mut containers = Vec::with_capacity(sizes.len());
    let mut next = engine_size;
    for (i, &size) in sizes.iter().enumerate() {
        let offset = if i == 0 { u64::from(stub_size) } else { next };
        if i > 0 {
            next = next.saturating_add(size);
        }
        let present = offset.checked_add(size).is_some_and(|e| e <= len);
        containers.push(BurnContainer {
            role: if i == 0 { "ux" } else { "attached" },
            offset,
            size,
            present,
        });
    }
    Some((
        BurnInfo {
            version,
            bundle_id,
            stub_size,
            engine_size,
            container_format,
            container_count: count,
            containers,
        },
        problems,
    ))
}

/// A GUID in registry format from its 16 stored bytes.
pub(crate) fn guid(data: &[u8], at: usize) -> Option<String> {
    let b = data.get(at..at.checked_add(16)?)?;
    let d1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let d2 = u16::from_le_bytes([b[4], b[5]]);
    let d3 = u16::from_le_bytes([b[6], b[7]]);
    Some(format!(
        "{{{d1:08X}-{d2:04X}-{d3:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
        b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A section as light.exe writes it: version 2, two containers.
    fn section(count: u32, sizes: &[u32], stub: u32) -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(&MAGIC.to_le_bytes());
        s.extend_from_slice(&2u32.to_le_bytes());
        s.extend_from_slice(&[
            0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 1, 2, 3, 4, 5, 6, 7, 8,
        ]);
        s.extend_from_slice(&stub.to_le_bytes());
        s.extend_from_slice(&[0; 12]);
        s.extend_from_slice(&1u32.to_le_bytes());
        s.extend_from_slice(&count.to_le_bytes());
        for z in sizes {
            s.extend_from_slice(&z.to_le_bytes());
        }
        s
    }

    #[test]
    fn containers_follow_the_stub_and_the_engine() {
        let mut file = vec![0u8; 0x100];
        file.extend(section(2, &[0x40, 0x30], 0x200));
        file.resize(0x200 + 0x40 + 0x30, 0);
        let (b, problems) = parse(&file, 0x100, 0x200, None).expect("magic");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(b.bundle_id, "{12345678-1234-5678-0102-030405060708}");
        assert_eq!(b.engine_size, 0x240);
        assert_eq!(
            b.containers
                .iter()
                .map(|c| (c.role, c.offset, c.size, c.present))
                .collect::<Vec<_>>(),
            vec![("ux", 0x200, 0x40, true), ("attached", 0x240, 0x30, true)]
        );
        // Signed after attaching: the engine ends at the original signature
        // (none here), so at the certificate table.
        let (b, _) = parse(&file, 0x100, 0x200, Some((0x240, 0x10))).expect("magic");
        assert_eq!(b.containers[1].offset, 0x250);
        assert!(!b.containers[1].present);
    }

    #[test]
    fn a_hostile_count_is_capped_by_the_section_size() {
        let mut file = vec![0u8; 0x10];
        file.extend(section(u32::MAX, &[1, 2, 3], 0x10));
        let (b, problems) = parse(&file, 0x10, 60, None).expect("magic");
        assert_eq!(b.containers.len(), 3);
        assert_eq!(problems.len(), 1);
        assert!(parse(&file, 0, 60, None).is_none());
        assert!(parse(&file, usize::MAX - 2, 60, None).is_none());
    }
}
