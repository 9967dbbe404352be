//! A minimal cabinet writer (MS-CAB): one CFHEADER, a CFFOLDER per LZX
//! stream, the CFFILE entries, then each folder's CFDATA blocks with their
//! checksums. No reserve areas, no cabinet sets.

/// One folder: an LZX stream as frames (CFDATA data, uncompressed size).
pub struct Folder {
    pub window_bits: u8,
    pub frames: Vec<(Vec<u8>, usize)>,
}

/// One member file: a range of a folder's uncompressed stream.
pub struct File {
    pub name: String,
    pub folder: u16,
    pub offset: u32,
    pub size: u32,
}

/// The CFDATA checksum as libmspack computes it: 32-bit little-endian
/// words XORed, the 1 to 3 tail bytes folded in reverse order, starting
/// from `seed`.
pub fn checksum(data: &[u8], seed: u32) -> u32 {
    let mut sum = seed;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        sum ^= u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
    }
    let tail = words.remainder();
    let mut ul = 0u32;
    for &b in tail {
        ul = (ul << 8) | u32::from(b);
    }
    sum ^ ul
}

/// The cabinet holding `folders` and `files` (each file's folder index and
/// range must be valid).
pub fn cabinet(folders: &[Folder], files: &[File]) -> Vec<u8> {
    let files_at = 36 + 8 * folders.len();
    let mut table = Vec::new();
    for f in files {
        table.extend_from_slice(&f.size.to_le_bytes());
        table.extend_from_slice(&f.offset.to_le_bytes());
        table.extend_from_slice(&f.folder.to_le_bytes());
        // 2024-06-01 00:00:00, archive attribute.
        table.extend_from_slice(&[0xC1, 0x58, 0, 0, 0x20, 0]);
        table.extend_from_slice(f.name.as_bytes());
        table.push(0);
    }
    let mut at = files_at + table.len();
    let mut heads = Vec::new();
    let mut blocks = Vec::new();
    for folder in folders {
        heads.extend_from_slice(&(at as u32).to_le_bytes());
        heads.extend_from_slice(&(folder.frames.len() as u16).to_le_bytes());
        heads.extend_from_slice(&(3u16 | (u16::from(folder.window_bits) << 8)).to_le_bytes());
        for (data, out_len) in &folder.frames {
            let cb = data.len() as u32;
            let ucb = *out_len as u32;
            let sum = checksum(data, 0) ^ (cb | (ucb << 16));
            blocks.extend_from_slice(&sum.to_le_bytes());
            blocks.extend_from_slice(&(cb as u16).to_le_bytes());
            blocks.extend_from_slice(&(ucb as u16).to_le_bytes());
            blocks.extend_from_slice(data);
            at += 8 + data.len();
        }
    }
    let mut cab = b"MSCF\0\0\0\0".to_vec();
    cab.extend_from_slice(&(at as u32).to_le_bytes());
    cab.extend_from_slice(&[0; 4]);
    cab.extend_from_slice(&(files_at as u32).to_le_bytes());
    cab.extend_from_slice(&[0; 4]);
    cab.extend_from_slice(&[3, 1]);
    cab.extend_from_slice(&(folders.len() as u16).to_le_bytes());
    cab.extend_from_slice(&(files.len() as u16).to_le_bytes());
    // flags, setID 0x5A17, iCabinet 0
    cab.extend_from_slice(&[0, 0, 0x17, 0x5A, 0, 0]);
    cab.extend_from_slice(&heads);
    cab.extend_from_slice(&table);
    cab.extend_from_slice(&blocks);
    debug_assert_eq!(cab.len(), at);
    cab
}
