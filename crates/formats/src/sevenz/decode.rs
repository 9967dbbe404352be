//! The decoder stack of one 7z block: a [`Read`] over the block's output,
//! built from its coder chain, so the 7z container can hand the engine one
//! file at a time (sevenz-rust2 decodes a block only through a callback the
//! container cannot suspend, and keeps its decoder stack private).
//!
//! Coders, in decoding order (from the packed stream to the output):
//! - LZMA and LZMA2 first in the chain: ours ([`crate::lzma`]), with x86 BCJ
//!   (ours) after them when the block has it: the fast path.
//! - Copy; Deflate (`flate2`); Deflate64 (`deflate64`); BZip2 (`bzip2`);
//!   PPMd H (`ppmd-rust`, which sevenz-rust2 uses too), bounded at its
//!   unpack size (its stream has no end marker).
//! - The branch filters ARM, ARM Thumb, ARM64, PowerPC, SPARC, IA-64 and
//!   RISC-V, and Delta: `lzma-rust2`'s public filter readers (the crate
//!   sevenz-rust2 itself decodes them with).
//! - BCJ2 (ours, [`crate::bcj2`]) over its four inputs, in a block of
//!   several packed streams wired by the folder records we read
//!   ([`super::graph`]: sevenz-rust2 keeps bind pairs private).
//! - Refused with a typed error, never guessed: AES (`encrypted`), any other
//!   coder of several inputs (`unsupported`), a dictionary or model above
//!   the memory bound (`limit-exceeded`), an unknown method.

use installsift_model::error::Error;
use sevenz_rust2::{Archive, Coder, EncoderMethod};
use std::io::Read;

/// The block's output as a reader: its one packed stream (located with
/// `pack_pos`, `pack_sizes` and the stream map) through its coder chain, or,
/// for a block of several packed streams (BCJ2), the coder graph of its
/// folder record in `graphs` (read by [`super::graph`], or why it could not
/// be). `mem_kb`: the bound on a decoder's memory (dictionary, PPMd model).
pub(super) fn block_reader<'a>(
    data: &'a [u8],
    archive: &Archive,
    b: usize,
    mem_kb: usize,
    graphs: Option<Result<&[super::graph::Folder], &Error>>,
    password: Option<&str>,
) -> Result<Box<dyn Read + 'a>, Error> {
    let blk = archive
        .blocks
        .get(b)
        .ok_or_else(|| Error::malformed(format!("7z block {b} is not in the header")))?;
    let chain: Vec<(usize, &Coder)> = blk.ordered_coder_iter().collect();
    if password.is_none()
        && blk
            .coders
            .iter()
            .any(|c| c.encoder_method_id() == EncoderMethod::ID_AES256_SHA256)
    {
        return Err(Error::encrypted("block is encrypted; not decrypted"));
    }
    let firsts = archive.stream_map.block_first_pack_stream_index();
    let first_pack = *firsts
        .get(b)
        .ok_or_else(|| Error::malformed(format!("7z block {b} has no packed stream")))?;
    let end_pack = firsts
        .get(b + 1)
        .copied()
        .unwrap_or(archive.pack_sizes().len());
    if end_pack > first_pack + 1 {
        let folders = match graphs {
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                return Err(Error::unsupported(format!(
                    "a block of {} packed streams needs its folder record, which could not be read: {e}",
                    end_pack - first_pack
                )))
            }
            None => return Err(Error::malformed("folder records not read")),
        };
        let f = folders
            .get(b)
            .filter(|f| {
                f.coders.len() == blk.coders.len()
                    && f.coders
                        .iter()
                        .zip(&blk.coders)
                        .all(|(a, c)| a.id == c.encoder_method_id() && a.props == c.properties())
                    && f.packed.len() == end_pack - first_pack
            })
            .ok_or_else(|| {
                Error::malformed(format!(
                    "7z block {b}: the folder record we read differs from the header sevenz-rust2 read"
                ))
            })?;
        let (first, _) = packed_range(
            archive.pack_pos(),
            archive.stream_map.pack_stream_offsets(),
            archive.pack_sizes(),
            first_pack,
        )
        .ok_or_else(|| Error::malformed(format!("7z block {b}: packed sizes overflow")))?;
        let sizes = archive
            .pack_sizes()
            .get(first_pack..end_pack)
            .unwrap_or(&[]);
        return super::graph::folder_reader(data, first, sizes, f, mem_kb, password);
    }
    if end_pack != first_pack + 1 || chain.is_empty() || chain.len() != blk.coders.len() {
        return Err(Error::unsupported(format!(
            "a coder graph of {} packed streams and {} coders ({} chained) is not decoded",
            end_pack.saturating_sub(first_pack),
            blk.coders.len(),
            chain.len()
        )));
    }
    let input = packed_stream(data, archive, first_pack).ok_or_else(|| {
        Error::truncated(format!(
            "7z block {b}: packed stream {first_pack} lies past the end of the data ({} bytes)",
            data.len()
        ))
    })?;
    let mem = u64::try_from(mem_kb)
        .unwrap_or(u64::MAX)
        .saturating_mul(1024);
    let mut reader: Option<Box<dyn Read + 'a>> = None;
    for &(index, coder) in &chain {
        let size = blk.get_unpack_size_at_index(index);
        reader = Some(add(
            reader,
            input,
            coder.encoder_method_id(),
            coder.properties(),
            size,
            (mem, mem_kb),
            password,
        )?);
    }
    reader.ok_or_else(|| Error::malformed(format!("7z block {b} has no coder")))
}

/// The bytes of packed stream `i`: they follow the 32-byte signature header
/// from `pack_pos`, one after the other.
fn packed_stream<'a>(data: &'a [u8], archive: &Archive, i: usize) -> Option<&'a [u8]> {
    let (start, end) = packed_range(
        archive.pack_pos(),
        archive.stream_map.pack_stream_offsets(),
        archive.pack_sizes(),
        i,
    )?;
    data.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

/// Where packed stream `i` lies in the file: `offsets` are the running
/// sums of `sizes` (computed once, with checked additions, when the header
/// is read), so finding a block's stream is one look-up, not a sum of the
/// sizes before it (blocks² / 2 additions over an archive: issue 16).
/// `None` when a value is missing or the sum overflows.
fn packed_range(pack_pos: u64, offsets: &[u64], sizes: &[u64], i: usize) -> Option<(u64, u64)> {
    let start = pack_pos.checked_add(32)?.checked_add(*offsets.get(i)?)?;
    Some((start, start.checked_add(*sizes.get(i)?)?))
}

/// Our name for a method id (as sevenz-rust2 names it), for errors.
pub(super) fn name(id: &[u8]) -> String {
    match EncoderMethod::by_id(id) {
        Some(m) => m.name().to_string(),
        None => id.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// The memory a decoder needs is more than the bound allows.
fn over(need: u64, mem_kb: usize) -> Error {
    Error::limit(
        installsift_model::limits::Limit::MaxEntrySize,
        format!(
            "decoder needs {} KiB of memory, the limit derived from max_entry_size is {mem_kb} KiB",
            need.div_ceil(1024)
        ),
    )
}

/// LZMA's 5 property bytes: the lc/lp/pb byte and the dictionary size,
/// which must fit the memory bound.
fn lzma_props(props: &[u8], (mem, mem_kb): (u64, usize)) -> Result<(u8, u32), Error> {
    let bad = |what: &str| Error::malformed(format!("LZMA properties: {what}"));
    let (&[p], Some(dict)) = (
        props.get(..1).unwrap_or(&[]),
        super::super::le_u32(props, 1),
    ) else {
        return Err(bad("fewer than 5 bytes"));
    };
    if props.len() != 5 || p >= 9 * 5 * 5 {
        return Err(bad("not lc/lp/pb and a dictionary size"));
    }
    if u64::from(dict) > mem {
        return Err(over(u64::from(dict), mem_kb));
    }
    Ok((p, dict))
}

/// LZMA2's property byte and the dictionary size it encodes, which must
/// fit the memory bound.
fn lzma2_props(props: &[u8], (mem, mem_kb): (u64, usize)) -> Result<(u8, u64), Error> {
    let bad = |what: &str| Error::malformed(format!("LZMA2 properties: {what}"));
    let &[p] = props else {
        return Err(bad("not one byte"));
    };
    if p > 40 {
        return Err(bad("dictionary byte above 40"));
    }
    let dict = (2u64 | u64::from(p & 1)) << (p / 2 + 11);
    if dict > mem {
        return Err(over(dict, mem_kb));
    }
    Ok((p, dict))
}

/// The coder of method `id` with properties `props` on top of `prev` (or of
/// the packed stream `input` when it is the first).
pub(super) fn add<'a>(
    prev: Option<Box<dyn Read + 'a>>,
    input: &'a [u8],
    id: &[u8],
    props: &[u8],
    size: u64,
    (mem, mem_kb): (u64, usize),
    password: Option<&str>,
) -> Result<Box<dyn Read + 'a>, Error> {
    let bad = |what: &str| Error::malformed(format!("{} properties: {what}", name(id)));
    // The coders that read the packed stream itself.
    let Some(prev) = prev else {
        return Ok(match id {
            EncoderMethod::ID_LZMA => {
                let (p, dict) = lzma_props(props, (mem, mem_kb))?;
                // No end marker here: the stream ends at its unpack size
                // (which a filter's read-ahead must not pass).
                let r = crate::lzma::LzmaReader::lzma(p, dict, input)
                    .map_err(|e| Error::malformed(format!("LZMA: {e}")))?;
                Box::new(r.with_size(size))
            }
            EncoderMethod::ID_LZMA2 => {
                let (p, _) = lzma2_props(props, (mem, mem_kb))?;
                let r = crate::lzma::LzmaReader::lzma2(p, u64::MAX, input)
                    .map_err(|e| Error::malformed(format!("LZMA2: {e}")))?;
                Box::new(r)
            }
            _ => {
                return add(
                    Some(Box::new(input)),
                    input,
                    id,
                    props,
                    size,
                    (mem, mem_kb),
                    password,
                )
            }
        });
    };
    Ok(match id {
        EncoderMethod::ID_COPY => prev,
        super::aes::ID => match password {
            Some(p) => Box::new(super::aes::Decrypt::new(
                prev,
                super::aes::cached_key(props, p)?,
            )),
            None => return Err(Error::encrypted("AES-encrypted; no password given")),
        },
        // After another coder (AES: an encrypted block or header): the
        // input is a stream, read by lzma-rust2's stream readers (our SDK
        // decoder reads a slice).
        EncoderMethod::ID_LZMA => {
            let (p, dict) = lzma_props(props, (mem, mem_kb))?;
            let r = lzma_rust2::LzmaReader::new_with_props(prev, size, p, dict, None)
                .map_err(|e| Error::malformed(format!("LZMA: {e}")))?;
            Box::new(r)
        }
        EncoderMethod::ID_LZMA2 => {
            let (_, dict) = lzma2_props(props, (mem, mem_kb))?;
            let dict = u32::try_from(dict).unwrap_or(u32::MAX);
            Box::new(lzma_rust2::Lzma2Reader::new(prev, dict, None).take(size))
        }
        EncoderMethod::ID_BCJ_X86 if props.is_empty() => {
            Box::new(crate::lzma::X86Reader::new(prev))
        }
        EncoderMethod::ID_DEFLATE => Box::new(flate2::read::DeflateDecoder::new(prev)),
        EncoderMethod::ID_DEFLATE64 => Box::new(deflate64::Deflate64Decoder::new(prev)),
        EncoderMethod::ID_BZIP2 => Box::new(bzip2::read::BzDecoder::new(prev)),
        EncoderMethod::ID_PPMD => {
            let (Some(&order), Some(model)) = (props.first(), super::super::le_u32(props, 1))
            else {
                return Err(bad("fewer than 5 bytes"));
            };
            let order = u32::from(order);
            if !(ppmd_rust::PPMD7_MIN_ORDER..=ppmd_rust::PPMD7_MAX_ORDER).contains(&order)
                || !(ppmd_rust::PPMD7_MIN_MEM_SIZE..=ppmd_rust::PPMD7_MAX_MEM_SIZE).contains(&model)
            {
                return Err(bad(&format!("order {order}, model size {model}")));
            }
            if u64::from(model) > mem {
                return Err(over(u64::from(model), mem_kb));
            }
            let r = ppmd_rust::Ppmd7Decoder::new(prev, order, model)
                .map_err(|e| Error::malformed(format!("PPMd: {e}")))?;
            // No end marker: the stream ends at its unpack size.
            Box::new(r.take(size))
        }
        EncoderMethod::ID_DELTA => {
            let distance = props.first().map_or(1, |&d| usize::from(d) + 1);
            Box::new(lzma_rust2::filter::delta::DeltaReader::new(prev, distance))
        }
        EncoderMethod::ID_BCJ_ARM if props.is_empty() => {
            Box::new(lzma_rust2::filter::bcj::BcjReader::new_arm(prev, 0))
        }
        EncoderMethod::ID_BCJ_ARM_THUMB if props.is_empty() => {
            Box::new(lzma_rust2::filter::bcj::BcjReader::new_arm_thumb(prev, 0))
        }
        EncoderMethod::ID_BCJ_ARM64 if props.is_empty() => {
            Box::new(lzma_rust2::filter::bcj::BcjReader::new_arm64(prev, 0))
        }
        EncoderMethod::ID_BCJ_PPC if props.is_empty() => {
            Box::new(lzma_rust2::filter::bcj::BcjReader::new_ppc(prev, 0))
        }
        EncoderMethod::ID_BCJ_SPARC if props.is_empty() => {
            Box::new(lzma_rust2::filter::bcj::BcjReader::new_sparc(prev, 0))
        }
        EncoderMethod::ID_BCJ_IA64 if props.is_empty() => {
            Box::new(lzma_rust2::filter::bcj::BcjReader::new_ia64(prev, 0))
        }
        EncoderMethod::ID_BCJ_RISCV if props.is_empty() => {
            Box::new(lzma_rust2::filter::bcj::BcjReader::new_riscv(prev, 0))
        }
        _ if EncoderMethod::by_id(id).is_some() && !props.is_empty() => {
            return Err(Error::unsupported(format!(
                "compression method {} with properties {}",
                name(id),
                props.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )))
        }
        _ => {
            return Err(Error::unsupported(format!(
                "compression method {}",
                name(id)
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample;
    use sevenz_rust2::Password;
    use std::io::Cursor;

    /// Every block of `rel` decoded with our stack gives what 7-Zip put in:
    /// its files' CRCs as the header records them.
    fn blocks_match_recorded_crcs(rel: &str) -> Vec<(String, Result<(), String>)> {
        let Some(d) = sample(rel) else {
            panic!("no sample {rel}");
        };
        let a = Archive::read(&mut Cursor::new(&d[..]), &Password::empty()).unwrap();
        let mut out = Vec::new();
        for b in 0..a.blocks.len() {
            let first = a.stream_map.block_first_file_index[b];
            let files: Vec<&sevenz_rust2::ArchiveEntry> = a
                .files
                .iter()
                .enumerate()
                .skip(first)
                .filter(|(i, f)| f.has_stream() && a.stream_map.file_block_index[*i] == Some(b))
                .map(|(_, f)| f)
                .collect();
            let label = files
                .first()
                .map(|f| f.name().to_string())
                .unwrap_or_default();
            let bounds = super::super::graph::Bounds {
                max_header: 1 << 20,
                max_items: 1 << 16,
            };
            let folders = super::super::graph::read_folders(&d, 64 << 10, bounds).unwrap();
            let r = match block_reader(&d, &a, b, 64 << 10, Some(Ok(&folders)), None) {
                Err(e) => Err(e.to_string()),
                Ok(mut r) => {
                    let mut res = Ok(());
                    for f in files {
                        let mut got = Vec::new();
                        match (&mut r).take(f.size()).read_to_end(&mut got) {
                            Err(e) => res = Err(format!("{}: {e}", f.name())),
                            Ok(_) if got.len() as u64 != f.size() || !f.has_crc => {
                                res = Err(format!("{}: {} bytes", f.name(), got.len()))
                            }
                            Ok(_) if u64::from(crc32fast::hash(&got)) != f.crc => {
                                res = Err(format!("{}: CRC differs", f.name()))
                            }
                            Ok(_) => {}
                        }
                        if res.is_err() {
                            break;
                        }
                    }
                    res
                }
            };
            out.push((label, r));
        }
        out
    }

    #[test]
    fn every_coder_chain_7zz_writes_decodes_to_the_recorded_crcs() {
        let got = blocks_match_recorded_crcs("7z/methods.7z");
        assert_eq!(got.len(), 15, "{got:?}");
        for (name, r) in &got {
            assert_eq!(r, &Ok(()), "{name}");
        }
        let mut names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "arm.bin",
                "arm64.bin",
                "armt.bin",
                "bcj2.bin",
                "bzip2.bin",
                "copy.bin",
                "deflate.bin",
                "deflate64.bin",
                "delta.bin",
                "ia64.bin",
                "lzma.bin",
                "ppc.bin",
                "ppmd.bin",
                "riscv.bin",
                "sparc.bin"
            ]
        );
    }

    #[test]
    fn solid_lzma2_bcj_blocks_decode_across_files() {
        for rel in [
            "7z/lzma2.7z",
            "7z/large_lzma2_bcj.7z",
            "7z/copy_plain_header.7z",
        ] {
            for (name, r) in blocks_match_recorded_crcs(rel) {
                assert_eq!(r, Ok(()), "{rel}: {name}");
            }
        }
    }

    #[test]
    fn refusals_are_typed() {
        let Some(d) = sample("7z/lzma2.7z") else {
            panic!("no sample");
        };
        let a = Archive::read(&mut Cursor::new(&d[..]), &Password::empty()).unwrap();
        // A dictionary above the bound is a limit, not an allocation.
        let e = block_reader(&d, &a, 0, 1, None, None).err().expect("limit");
        assert_eq!(e.kind(), "limit-exceeded", "{e}");
        // Cut short: the packed stream is missing.
        let e = block_reader(&d[..40], &a, 0, 64 << 10, None, None)
            .err()
            .expect("cut");
        assert_eq!(e.kind(), "truncated", "{e}");
        let e = block_reader(&d, &a, 99, 64 << 10, None, None)
            .err()
            .expect("no block");
        assert_eq!(e.kind(), "malformed", "{e}");
    }

    /// Issue 16: a packed stream is found by one look-up in the running
    /// sums, and lies where the sum of the sizes before it says (checked
    /// against that sum for every stream of a real archive of many
    /// blocks); a missing value or an overflow is no range.
    #[test]
    fn packed_streams_are_found_by_their_running_sum() {
        let data = sample("7z/methods.7z").unwrap_or_default();
        let archive = sevenz_rust2::Archive::read_with_memory_limit(
            &mut Cursor::new(&data[..]),
            &Password::empty(),
            1 << 20,
        )
        .expect("a 7z archive");
        let sizes = archive.pack_sizes();
        assert!(sizes.len() > 2, "{} packed streams", sizes.len());
        let mut at = archive.pack_pos() + 32;
        for i in 0..sizes.len() {
            let got = packed_range(
                archive.pack_pos(),
                archive.stream_map.pack_stream_offsets(),
                sizes,
                i,
            );
            assert_eq!(got, Some((at, at + sizes[i])), "stream {i}");
            at += sizes[i];
        }
        assert_eq!(packed_range(0, &[0, 10], &[10, 5], 2), None);
        assert_eq!(packed_range(0, &[0, 10], &[10], 1), None);
        assert_eq!(packed_range(u64::MAX - 40, &[0, 10], &[10, 5], 1), None);
        assert_eq!(packed_range(0, &[0, u64::MAX - 40], &[10, 20], 1), None);
        assert_eq!(packed_range(0, &[0, 10], &[10, 5], 1), Some((42, 47)));
    }
}
