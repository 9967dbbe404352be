//! RAR volume sets: the names of a set's volumes, the facts a volume's
//! main header and end block give about its place in the set, and the
//! memory the engine lends a walk that reads the set from its first
//! volume.
//!
//! WinRAR names volumes in one of two ways (unrar's `NextVolumeName`):
//! - new numbering (RAR 5, and RAR 3.x/4.x with main-header flag 0x10):
//!   `name.part1.rar`, `name.part2.rar` … the last run of digits before the
//!   extension counts up, its width kept (`part01` … `part10`); a first
//!   volume that is a self-extracting `name.part1.exe` goes on in
//!   `name.part2.rar`;
//! - old numbering: `name.rar`, `name.r00`, `name.r01` … `name.r99`,
//!   `name.s00` …
//!
//! A volume says where it stands: RAR 3.x/4.x main-header flags 0x0001
//! (a volume) and 0x0100 (the first one, since RAR 3.0; RAR 2.x sets
//! have no such flag and their first volume is the one named `.rar` or
//! `.exe` in the old numbering); RAR 5 archive flags 0x0001 (a volume) and
//! 0x0002 (a volume number follows: not the first volume; the second is 1).
//! The end block says whether the set goes on (RAR 4 end-block flag 0x0001,
//! RAR 5 end-of-archive flag 0x0001).

use std::cell::{Cell, OnceCell};

use super::{le_u16, vint};
use installsift_model::Limits;

/// Memory the engine lends a walk over a volume set: the volumes read
/// after the first and the packed data of files joined across volumes,
/// each kept until the walk (whose entries borrow from them) is over.
/// At most `max_volumes_per_set` volumes and as many joined files; their
/// bytes together within `max_volume_set_bytes` (the walk counts them).
pub struct VolumeStore {
    slots: Box<[OnceCell<Vec<u8>>]>,
    next: Cell<usize>,
}

impl VolumeStore {
    /// Room for the volumes and joined files `limits` allows (slots are
    /// empty cells until used).
    pub fn new(limits: &Limits) -> VolumeStore {
        let volumes = usize::try_from(limits.max_volumes_per_set)
            .unwrap_or(usize::MAX)
            .min(1 << 16);
        VolumeStore {
            slots: (0..volumes.saturating_mul(2))
                .map(|_| OnceCell::new())
                .collect(),
            next: Cell::new(0),
        }
    }

    /// Keep `bytes` for the store's lifetime; `None` when every slot is used.
    pub(super) fn keep(&self, bytes: Vec<u8>) -> Option<&[u8]> {
        let i = self.next.get();
        let slot = self.slots.get(i)?;
        slot.set(bytes).ok()?;
        self.next.set(i + 1);
        slot.get().map(Vec::as_slice)
    }
}

/// A name's stem and extension (without the dot; empty when none).
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
        _ => (name, ""),
    }
}

/// The last run of ASCII digits of `s`: (start, end).
fn last_digits(s: &str) -> Option<(usize, usize)> {
    let end = s.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = s[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    Some((start, end))
}

/// An old-numbering extension's index: `r00` is 0, `r99` 99, `s00` 100 …
fn old_index(ext: &str) -> Option<u32> {
    let b = ext.as_bytes();
    match b {
        [l, d1, d2] if l.is_ascii_alphabetic() && d1.is_ascii_digit() && d2.is_ascii_digit() => {
            let l = l.to_ascii_lowercase();
            (l >= b'r').then(|| {
                u32::from(l - b'r') * 100 + u32::from(d1 - b'0') * 10 + u32::from(d2 - b'0')
            })
        }
        _ => None,
    }
}

/// The old-numbering extension of index `i` (`r00`, … `z99`).
fn old_ext(i: u32) -> Option<String> {
    let letter = u8::try_from(i / 100).ok()?.checked_add(b'r')?;
    (letter <= b'z').then(|| format!("{}{:02}", char::from(letter), i % 100))
}

/// The name of the volume after `name`.
pub(super) fn next_name(name: &str, new_numbering: bool) -> Option<String> {
    let (stem, ext) = split_ext(name);
    if new_numbering {
        let (s, e) = last_digits(stem)?;
        let n: u64 = stem[s..e].parse().ok()?;
        let width = e - s;
        return Some(format!(
            "{}{:0width$}{}.rar",
            &stem[..s],
            n.checked_add(1)?,
            &stem[e..]
        ));
    }
    let i = match old_index(ext) {
        Some(i) => i.checked_add(1)?,
        None => 0,
    };
    Some(format!("{stem}.{}", old_ext(i)?))
}

/// The names the first volume of the set `name` belongs to may have
/// (`.rar`, or `.exe` for a self-extracting first volume), `None` when
/// `name` is itself the first by its name.
pub(super) fn first_names(name: &str, new_numbering: bool) -> Option<Vec<String>> {
    let (stem, ext) = split_ext(name);
    let stem = if new_numbering {
        let (s, e) = last_digits(stem)?;
        let n: u64 = stem[s..e].parse().ok()?;
        if n <= 1 {
            return None;
        }
        let width = e - s;
        format!("{}{:0width$}{}", &stem[..s], 1, &stem[e..])
    } else {
        old_index(ext)?;
        stem.to_owned()
    };
    Some(vec![format!("{stem}.rar"), format!("{stem}.exe")])
}

/// What a volume's main header says of its place in a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Place {
    /// The archive is a volume of a set.
    pub(super) volume: bool,
    /// RAR 4: names follow the new numbering (flag 0x10); RAR 5 always.
    pub(super) new_numbering: bool,
    /// The volume says it is the first (RAR 4 flag 0x0100; RAR 5: no
    /// volume number), `None` when it cannot say (RAR 2.x).
    pub(super) first: Option<bool>,
    /// RAR 5's volume number (the second volume is 1).
    pub(super) number: Option<u64>,
}

/// The place of the archive `data` (RAR `version` 4 or 5) in its set,
/// from its main header (the block after the signature); `None` when
/// `data` does not begin with that version's signature and a main header.
pub(super) fn place(data: &[u8], version: u8) -> Option<Place> {
    if !data.starts_with(super::magic(version)) {
        return None;
    }
    if version == 5 {
        let mut p = super::RAR5_MAGIC.len() + 4;
        let _size = vint(data, &mut p)?;
        if vint(data, &mut p)? != 1 {
            return None;
        }
        let flags = vint(data, &mut p)?;
        if flags & 1 != 0 {
            vint(data, &mut p)?;
        }
        if flags & 2 != 0 {
            vint(data, &mut p)?;
        }
        let archive = vint(data, &mut p)?;
        let number = if archive & 2 != 0 {
            Some(vint(data, &mut p)?)
        } else {
            None
        };
        return Some(Place {
            volume: archive & 1 != 0,
            new_numbering: true,
            first: Some(number.unwrap_or(0) == 0),
            number,
        });
    }
    let at = super::RAR4_MAGIC.len();
    if data.get(at + 2) != Some(&0x73) {
        return None;
    }
    let flags = le_u16(data, at + 3)?;
    Some(Place {
        volume: flags & 0x0001 != 0,
        new_numbering: flags & 0x0010 != 0,
        first: (flags & 0x0100 != 0).then_some(true),
        number: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_numbering_counts_the_last_digits_up_keeping_their_width() {
        assert_eq!(next_name("a.part1.rar", true).unwrap(), "a.part2.rar");
        assert_eq!(next_name("a.part09.rar", true).unwrap(), "a.part10.rar");
        assert_eq!(next_name("a.part9.rar", true).unwrap(), "a.part10.rar");
        assert_eq!(next_name("a.part1.exe", true).unwrap(), "a.part2.rar");
        assert_eq!(
            next_name("v2.part0001.rar", true).unwrap(),
            "v2.part0002.rar"
        );
        assert_eq!(next_name("nodigits.rar", true), None);
        assert_eq!(
            first_names("a.part03.rar", true).unwrap()[0],
            "a.part01.rar"
        );
        assert_eq!(first_names("a.part1.rar", true), None);
        assert_eq!(
            first_names("a.part12.rar", true).unwrap()[1],
            "a.part01.exe"
        );
    }

    #[test]
    fn old_numbering_goes_from_rar_to_r00_and_on_to_s00() {
        assert_eq!(next_name("a.rar", false).unwrap(), "a.r00");
        assert_eq!(next_name("a.exe", false).unwrap(), "a.r00");
        assert_eq!(next_name("a.r00", false).unwrap(), "a.r01");
        assert_eq!(next_name("a.R41", false).unwrap(), "a.r42");
        assert_eq!(next_name("a.r99", false).unwrap(), "a.s00");
        assert_eq!(next_name("a.z99", false), None);
        assert_eq!(first_names("a.r05", false).unwrap()[0], "a.rar");
        assert_eq!(first_names("a.rar", false), None);
    }
}
