//! Cabinet sets: a folder that continues from one cabinet into the next.
//!
//! A cabinet of a set names its neighbours (`szCabinetPrev`,
//! `szCabinetNext`); its last folder may continue in the next cabinet's
//! first folder, and so on (MS-CAB 2.1: such files have `iFolder`
//! 0xFFFE "continued to next" in the cabinet where they begin, 0xFFFD or
//! 0xFFFF in the ones they continue through, and their offsets count from
//! the folder's start in the first cabinet). A CFDATA block cut at a
//! cabinet's end has `cbUncomp` 0; its rest is the next part's first block.
//!
//! [`arrange`] decides, once the tables are read, what this cabinet lists:
//! - its last folder, when files continue into the next cabinet and every
//!   cabinet the folder runs through is found (the engine hands them over
//!   through [`Siblings`](super::Siblings): the parser never looks for
//!   files), is joined: the blocks of every part copied into one run of
//!   CFDATA records (split blocks put back together, each part's checksum
//!   checked; the joined block is checked again by the folder reader), and
//!   the files of the later cabinets that lie in it are listed here, under
//!   their own names. Files beginning in this cabinet are listed by it;
//! - the files of a first folder that begins in the previous cabinet are
//!   that cabinet's to list when it is present, read as the cabinet before
//!   this one of the same set (nothing is listed twice),
//!   and `Missing` with an `unsupported` error naming it when it is not
//!   (decoding them from the middle of their folder would give wrong bytes);
//! - when a cabinet of the chain is not found, is not a cabinet, is not of
//!   the same set or not at the next index (`iCabinet`), names one already
//!   in the chain, or the chain passes
//!   [`max_cabinets_per_set`](installsift_model::Limits::max_cabinets_per_set),
//!   nothing is joined: the spanning files are missing, the error says why.

use super::{
    checksum, read, CabInfo, Fate, Notes, Siblings, Tables, IFOLD_CONTINUED_FROM_PREV,
    IFOLD_CONTINUED_PREV_AND_NEXT, IFOLD_CONTINUED_TO_NEXT,
};
use crate::{le_u16, le_u32};
use installsift_model::error::Error;
use installsift_model::limits::Limit;
use installsift_model::Evidence;
use std::collections::HashSet;

/// A folder joined across cabinets: its CFDATA records (no reserved
/// area), their count and the sum of their `cbData`.
pub(super) struct Joined {
    pub(super) records: Vec<u8>,
    pub(super) blocks: u32,
    pub(super) packed: u64,
}

/// What the checksums of a joined block's parts said.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sum {
    Matched,
    Unset,
    Mismatch,
}

/// The joined records being built.
#[derive(Default)]
struct Builder {
    records: Vec<u8>,
    blocks: u32,
    packed: u64,
    /// A block cut at a cabinet's end: its bytes so far and their checks.
    pending: Option<(Vec<u8>, Sum)>,
}

impl Builder {
    /// Copy `count` CFDATA blocks of `data` from `at` (`reserve` bytes
    /// reserved in each), joining a block cut at the end of one part with
    /// the first of the next.
    fn add(
        &mut self,
        data: &[u8],
        mut at: usize,
        count: u16,
        reserve: usize,
        cabinet: &str,
    ) -> Result<(), String> {
        for i in 0..count {
            let (Some(csum), Some(cb), Some(ucb)) =
                (le_u32(data, at), le_u16(data, at + 4), le_u16(data, at + 6))
            else {
                return Err(format!(
                    "CFDATA block {i} of `{cabinet}` at offset {at}: header runs past the end"
                ));
            };
            let body_at = at + 8 + reserve;
            let end = body_at + usize::from(cb);
            let (Some(res), Some(body)) = (data.get(at + 8..body_at), data.get(body_at..end))
            else {
                return Err(format!(
                    "CFDATA block {i} of `{cabinet}` at offset {at}: {cb} bytes declared, the cabinet ends first"
                ));
            };
            let sum = if csum == 0 {
                Sum::Unset
            } else if checksum(res, body) ^ (u32::from(cb) | (u32::from(ucb) << 16)) == csum {
                Sum::Matched
            } else {
                Sum::Mismatch
            };
            let (mut bytes, mut was) = self.pending.take().unwrap_or((Vec::new(), Sum::Matched));
            bytes.extend_from_slice(body);
            was = match (was, sum) {
                (Sum::Mismatch, _) | (_, Sum::Mismatch) => Sum::Mismatch,
                (Sum::Unset, _) | (_, Sum::Unset) => Sum::Unset,
                _ => Sum::Matched,
            };
            at = end;
            if ucb == 0 {
                // Cut at the cabinet's end: the rest comes next.
                self.pending = Some((bytes, was));
                continue;
            }
            let Ok(total) = u16::try_from(bytes.len()) else {
                return Err(format!(
                    "CFDATA block {i} of `{cabinet}`: its parts hold {} bytes together, more than a block can",
                    bytes.len()
                ));
            };
            let stamp = u32::from(total) | (u32::from(ucb) << 16);
            let csum = match was {
                Sum::Unset => 0,
                Sum::Matched => checksum(&[], &bytes) ^ stamp,
                // A part failed its checksum: the joined block fails too,
                // so the files decoded from it carry a checksum error.
                Sum::Mismatch => (checksum(&[], &bytes) ^ stamp) ^ 1,
            };
            self.records.extend_from_slice(&csum.to_le_bytes());
            self.records.extend_from_slice(&total.to_le_bytes());
            self.records.extend_from_slice(&ucb.to_le_bytes());
            self.records.extend_from_slice(&bytes);
            self.blocks += 1;
            self.packed += u64::from(total);
        }
        Ok(())
    }
}

/// Do `bytes` read as the cabinet `step` places from this one (`-1`: the
/// previous) in the same set?
fn is_neighbour(bytes: &[u8], info: &CabInfo, step: i32) -> bool {
    let mut other = CabInfo::default();
    read(bytes, &mut other, &mut Notes::default()).is_some()
        && other.set_id == info.set_id
        && i32::from(other.cabinet_index) == i32::from(info.cabinet_index) + step
}

fn spans_prev(folder: u16) -> bool {
    matches!(
        folder,
        IFOLD_CONTINUED_FROM_PREV | IFOLD_CONTINUED_PREV_AND_NEXT
    )
}

fn spans_next(folder: u16) -> bool {
    matches!(
        folder,
        IFOLD_CONTINUED_TO_NEXT | IFOLD_CONTINUED_PREV_AND_NEXT
    )
}

/// Decide what this cabinet of a set lists (see the module doc); the
/// joined last folder when it continues and its cabinets were found.
pub(super) fn arrange(
    t: &mut Tables<'_>,
    info: &CabInfo,
    find: Siblings<'_, '_>,
    max_cabinets: u64,
    notes: &mut Notes,
) -> Option<Joined> {
    let n = t.folders.len();
    if n == 0 {
        return None;
    }
    let from_prev = t.files.iter().any(|f| spans_prev(f.folder));
    if from_prev {
        let prev = info.prev_cabinet.as_ref().map(|l| l.cabinet.clone());
        // Content decides: the previous cabinet counts as present only when
        // it reads as the cabinet before this one in the same set (a file
        // or entry of that name that is not lists nothing of these files).
        let found = prev
            .as_deref()
            .and_then(find)
            .is_some_and(|bytes| is_neighbour(&bytes, info, -1));
        let prev = prev.unwrap_or_default();
        let mut left = 0u64;
        for f in t.files.iter_mut() {
            let in_first = f.folder == 0
                || spans_prev(f.folder)
                || (f.folder == IFOLD_CONTINUED_TO_NEXT && n == 1);
            if !in_first {
                continue;
            }
            f.fate = if found {
                left += 1;
                Fate::ListedByPrevious
            } else {
                Fate::Missing(format!(
                    "is in folder 0, which begins in the previous cabinet `{prev}` (not found beside this one)"
                ))
            };
        }
        if found {
            notes.evidence(Evidence::strong(
                "cab-set",
                format!(
                    "folder 0 begins in the previous cabinet `{prev}`: its {left} files are listed with that cabinet"
                ),
                None,
            ));
        }
        if n == 1 {
            // The last folder is folder 0: the previous cabinet joins it.
            return None;
        }
    }
    if !t.files.iter().any(|f| spans_next(f.folder)) {
        return None;
    }
    let last = n - 1;
    let last16 = u16::try_from(last).ok()?;
    let mut name = info.next_cabinet.as_ref()?.cabinet.clone();
    let folder = t.folders.get(last)?;
    let mut b = Builder::default();
    let fail = |notes: &mut Notes, e: Error| {
        notes.error(e);
        None
    };
    if let Err(m) = b.add(
        t.data,
        folder.data_offset as usize,
        folder.blocks,
        t.data_reserve,
        "this cabinet",
    ) {
        return fail(notes, Error::malformed(format!("folder {last}: {m}")));
    }
    let mut chain = vec![];
    let mut seen: HashSet<String> = HashSet::new();
    let mut extra = Vec::new();
    loop {
        if !seen.insert(name.to_ascii_lowercase()) {
            return fail(
                notes,
                Error::malformed(format!(
                    "the set's cabinets name `{name}` twice (a loop); folder {last} not joined"
                )),
            );
        }
        // Not found: the spanning files stay missing, their error names it.
        let bytes = find(&name)?;
        if chain.len() as u64 + 1 >= max_cabinets {
            return fail(
                notes,
                Error::limit(
                    Limit::MaxCabinetsPerSet,
                    format!(
                        "folder {last} continues through more than {max_cabinets} cabinets; not joined"
                    ),
                ),
            );
        }
        let mut next_info = CabInfo::default();
        let mut next_notes = Notes::default();
        let Some(next) = read(&bytes, &mut next_info, &mut next_notes) else {
            return fail(
                notes,
                Error::malformed(format!(
                    "the next cabinet `{name}` cannot be read; folder {last} not joined"
                )),
            );
        };
        if next_info.set_id != info.set_id {
            return fail(
                notes,
                Error::malformed(format!(
                    "the next cabinet `{name}` is of set {:#06x}, this one of {:#06x}; folder {last} not joined",
                    next_info.set_id, info.set_id
                )),
            );
        }
        let want = u32::from(info.cabinet_index)
            .saturating_add(u32::try_from(chain.len()).unwrap_or(u32::MAX))
            .saturating_add(1);
        if u32::from(next_info.cabinet_index) != want {
            return fail(
                notes,
                Error::malformed(format!(
                    "the next cabinet `{name}` is cabinet {} of its set, {want} expected; folder {last} not joined",
                    next_info.cabinet_index
                )),
            );
        }
        let Some(first) = next.folders.first() else {
            return fail(
                notes,
                Error::malformed(format!("the next cabinet `{name}` has no folder")),
            );
        };
        if let Err(m) = b.add(
            next.data,
            first.data_offset as usize,
            first.blocks,
            next.data_reserve,
            &name,
        ) {
            return fail(notes, Error::malformed(format!("folder {last}: {m}")));
        }
        let single = next.folders.len() == 1;
        for f in &next.files {
            let here = f.folder == 0 || (single && f.folder == IFOLD_CONTINUED_TO_NEXT);
            if here {
                extra.push(super::FileEntry {
                    name: f.name.clone(),
                    size: f.size,
                    offset: f.offset,
                    folder: last16,
                    mtime: f.mtime,
                    fate: Fate::Normal,
                });
            }
        }
        chain.push(name.clone());
        let goes_on = single && next.files.iter().any(|f| spans_next(f.folder));
        match (&next_info.next_cabinet, goes_on) {
            (Some(l), true) => name = l.cabinet.clone(),
            _ => break,
        }
    }
    if b.pending.is_some() {
        return fail(
            notes,
            Error::truncated(format!(
                "folder {last}: its last CFDATA block is cut at the end of `{}` and continues nowhere",
                chain.last().map_or("", String::as_str)
            )),
        );
    }
    for f in t.files.iter_mut() {
        if f.folder == IFOLD_CONTINUED_TO_NEXT && f.fate == Fate::Normal {
            f.folder = last16;
        }
    }
    let added = extra.len();
    t.files.extend(extra);
    notes.evidence(Evidence::strong(
        "cab-set",
        format!(
            "folder {last} continues in {}: joined ({} blocks), {added} more files from them listed here",
            chain
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            b.blocks
        ),
        None,
    ));
    Some(Joined {
        records: b.records,
        blocks: b.blocks,
        packed: b.packed,
    })
}
