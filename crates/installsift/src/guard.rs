//! Memory maps that survive the file shrinking under them.
//!
//! When another process truncates a file this process has mapped, reading
//! a page past the new end raises `SIGBUS`, whose default action kills the
//! process: a download still being written, a rotated log, an EDR
//! quarantining the file would end a whole directory scan. A [`Guard`]
//! registers a map's address range; the process-wide `SIGBUS` handler
//! installed with the first guard replaces a faulting page inside a
//! registered range with a page of zeros (an anonymous private mapping
//! over it), counts the fault on that range and returns, so the read goes
//! on and sees zeros. The scan finishes, and the caller turns a non-zero
//! [`Guard::faults`] (and a changed size or modification time) into an
//! error on the input's node. A fault outside every registered range goes
//! to the handler that was installed before (Rust's own, which reports
//! stack overflows), else the default action, as if no guard existed.
//!
//! Only Unix has the problem this way; elsewhere a guard registers nothing
//! and counts nothing.

#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Maps guarded at once (one per file being scanned: a worker thread each).
const SLOTS: usize = 64;

struct Slot {
    busy: AtomicBool,
    start: AtomicUsize,
    end: AtomicUsize,
    faults: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)] // only to build the array below
const FREE: Slot = Slot {
    busy: AtomicBool::new(false),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    faults: AtomicU64::new(0),
};

static TABLE: [Slot; SLOTS] = [FREE; SLOTS];

/// A registered map range; unregistered when dropped (drop it before the
/// map is unmapped).
pub(crate) struct Guard {
    slot: usize,
}

impl Guard {
    /// Register `bytes` (a memory map) so that pages vanishing under it
    /// read as zeros. `None` when every slot is taken or the handler could
    /// not be installed: the caller must then read the file instead.
    pub(crate) fn new(bytes: &[u8]) -> Option<Guard> {
        if bytes.is_empty() || !imp::install() {
            return None;
        }
        let start = bytes.as_ptr() as usize;
        let end = start.checked_add(bytes.len())?;
        let slot = TABLE.iter().position(|s| {
            s.busy
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        })?;
        let s = &TABLE[slot];
        s.faults.store(0, Ordering::Relaxed);
        s.end.store(end, Ordering::Release);
        s.start.store(start, Ordering::Release);
        Some(Guard { slot })
    }

    /// Pages of the range that vanished (the file shrank) and were read as
    /// zeros so far.
    pub(crate) fn faults(&self) -> u64 {
        TABLE[self.slot].faults.load(Ordering::Acquire)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let s = &TABLE[self.slot];
        s.start.store(0, Ordering::Release);
        s.end.store(0, Ordering::Release);
        s.busy.store(false, Ordering::Release);
    }
}

/// The registered range holding `addr`, if any (called from the handler:
/// atomics only).
fn slot_of(addr: usize) -> Option<&'static Slot> {
    TABLE.iter().find(|s| {
        let start = s.start.load(Ordering::Acquire);
        start != 0 && addr >= start && addr < s.end.load(Ordering::Acquire)
    })
}

#[cfg(unix)]
mod imp {
    use super::slot_of;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;

    /// The handler found before ours, called for faults that are not ours.
    static PREVIOUS: OnceLock<Option<libc::sigaction>> = OnceLock::new();
    static PAGE: AtomicUsize = AtomicUsize::new(4096);

    /// Install the `SIGBUS` handler once; false when that failed.
    pub(super) fn install() -> bool {
        PREVIOUS
            .get_or_init(|| {
                // SAFETY: plain libc calls on zeroed, then filled structs.
                unsafe {
                    let page = libc::sysconf(libc::_SC_PAGESIZE);
                    if page > 0 {
                        PAGE.store(page as usize, Ordering::Relaxed);
                    }
                    let mut sa: libc::sigaction = std::mem::zeroed();
                    sa.sa_sigaction = on_sigbus as *const () as usize;
                    sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut sa.sa_mask);
                    let mut old: libc::sigaction = std::mem::zeroed();
                    (libc::sigaction(libc::SIGBUS, &sa, &mut old) == 0).then_some(old)
                }
            })
            .is_some()
    }

    extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel hands a valid siginfo for SA_SIGINFO handlers.
        let addr = unsafe { (*info).si_addr() } as usize;
        if let Some(slot) = slot_of(addr) {
            let page = PAGE.load(Ordering::Relaxed);
            let at = addr & !(page - 1);
            // SAFETY: replaces one page of a registered read-only file map
            // (which this process owns until the guard is dropped) with
            // zeros; mmap is a plain system call.
            let p = unsafe {
                libc::mmap(
                    at as *mut libc::c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                slot.faults.fetch_add(1, Ordering::AcqRel);
                return;
            }
        }
        // Not ours: what would have happened without us.
        match PREVIOUS.get().copied().flatten() {
            Some(prev)
                if prev.sa_sigaction != libc::SIG_DFL && prev.sa_sigaction != libc::SIG_IGN =>
            {
                if prev.sa_flags & libc::SA_SIGINFO != 0 {
                    // SAFETY: the previous handler was installed as a
                    // three-argument handler.
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        unsafe { std::mem::transmute(prev.sa_sigaction) };
                    f(sig, info, ctx);
                } else {
                    // SAFETY: a one-argument handler.
                    let f: extern "C" fn(libc::c_int) =
                        unsafe { std::mem::transmute(prev.sa_sigaction) };
                    f(sig);
                }
            }
            _ => {
                // SAFETY: restore the default action; returning re-runs the
                // faulting access, which now kills the process as usual.
                unsafe {
                    let mut sa: libc::sigaction = std::mem::zeroed();
                    sa.sa_sigaction = libc::SIG_DFL;
                    libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    pub(super) fn install() -> bool {
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    /// A mapped file truncated to nothing: every page read as zeros, each
    /// fault counted, and the process lives.
    #[test]
    fn a_map_whose_file_shrinks_reads_zeros() {
        let dir = std::env::temp_dir().join(format!("installsift-guard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("shrinks.bin");
        let mut f = std::fs::File::create(&path).expect("create");
        f.write_all(&vec![0xA5u8; 64 << 10]).expect("write");
        drop(f);
        let file = std::fs::File::open(&path).expect("open");
        // SAFETY: the test owns the file; the guard makes the truncation
        // below harmless.
        let map = unsafe { memmap2::Mmap::map(&file) }.expect("map");
        let guard = Guard::new(&map).expect("a slot");
        assert_eq!(map[100], 0xA5);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open for write")
            .set_len(4096)
            .expect("truncate");
        let sum: u64 = map.iter().map(|&b| u64::from(b)).sum();
        // The first page is still the file's; the other 15 read as zeros.
        assert_eq!(sum, 4096 * 0xA5);
        assert_eq!(guard.faults(), 15);
        drop(guard);
        drop(map);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn slots_are_reused() {
        let bytes = vec![1u8; 10];
        for _ in 0..3 * SLOTS {
            let g = Guard::new(&bytes).expect("a slot");
            assert_eq!(g.faults(), 0);
        }
    }
}
