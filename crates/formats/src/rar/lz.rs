//! What RAR's two LZ decoders ([`super::unpack3`], [`super::unpack5`])
//! share: the window, a ring that grows with what is decoded up to its
//! size, and the file's bytes staged from it for the reader.

/// The window and the output of the file being decoded.
pub(super) struct Lz {
    /// The window: its length is a power of two that grows with what is
    /// decoded, up to `cap`; once full it is a ring.
    pub(super) win: Vec<u8>,
    /// Its largest size (a power of two, at least 64 KiB).
    pub(super) cap: u64,
    /// Bytes decoded since the stream began.
    pub(super) pos: u64,
    /// Position where the file began.
    pub(super) file_start: u64,
    /// Position up to which bytes went to the output.
    pub(super) written: u64,
    /// The file's declared size.
    pub(super) size: u64,
    /// Bytes handed out for the file.
    pub(super) emitted: u64,
    /// The file's stream was decoded to its end and written out.
    pub(super) finished: bool,
    /// Output staged for the reader, and how much of it was read.
    pub(super) out: Vec<u8>,
    pub(super) out_at: usize,
}

impl Lz {
    pub(super) fn new(cap: u64) -> Lz {
        Lz {
            win: Vec::new(),
            cap,
            pos: 0,
            file_start: 0,
            written: 0,
            size: 0,
            emitted: 0,
            finished: false,
            out: Vec::new(),
            out_at: 0,
        }
    }

    /// Get ready for the next file of `size` bytes (the window stays, as a
    /// solid file needs it).
    pub(super) fn start_file(&mut self, size: u64) {
        self.file_start = self.pos;
        self.written = self.pos;
        self.size = size;
        self.emitted = 0;
        self.finished = false;
        self.out.clear();
        self.out_at = 0;
    }

    /// Room for `n` more bytes at `pos`: the window grows (doubling) while
    /// it is not yet at its size.
    fn room(&mut self, n: u64) {
        let need = self.pos.saturating_add(n);
        let len = self.win.len() as u64;
        if need > len && len < self.cap {
            let to = need
                .checked_next_power_of_two()
                .unwrap_or(self.cap)
                .min(self.cap)
                .max(1 << 16);
            self.win.resize(usize::try_from(to).unwrap_or(0), 0);
        }
    }

    fn mask(&self) -> u64 {
        (self.win.len() as u64).wrapping_sub(1)
    }

    pub(super) fn put(&mut self, byte: u8) {
        self.room(1);
        let m = self.mask();
        if let Some(w) = self.win.get_mut((self.pos & m) as usize) {
            *w = byte;
        }
        self.pos += 1;
    }

    /// Copy `len` bytes from `dist` back (the caller has checked that
    /// `dist` is at least 1 and reaches neither before the first byte nor
    /// past the window).
    pub(super) fn copy(&mut self, len: u64, dist: u64) {
        self.room(len);
        let m = self.mask();
        let (mut s, mut d) = ((self.pos - dist) & m, self.pos & m);
        let n = self.win.len() as u64;
        if dist >= len && s + len <= n && d + len <= n {
            let (s, d, l) = (s as usize, d as usize, len as usize);
            self.win.copy_within(s..s + l, d);
        } else {
            for _ in 0..len {
                let v = self.win.get(s as usize).copied().unwrap_or(0);
                if let Some(w) = self.win.get_mut(d as usize) {
                    *w = v;
                }
                s = (s + 1) & m;
                d = (d + 1) & m;
            }
        }
        self.pos += len;
    }

    /// Window bytes of positions `from..to` (both within the window).
    pub(super) fn region(&self, from: u64, to: u64) -> Vec<u8> {
        let mut v = Vec::with_capacity(usize::try_from(to - from).unwrap_or(0));
        copy_out(&self.win, from, to, usize::MAX, &mut v);
        v
    }

    /// Write the unfiltered bytes up to position `to` straight from the
    /// window to the output, up to the declared size.
    pub(super) fn emit_raw(&mut self, to: u64) {
        let room = usize::try_from(self.size.saturating_sub(self.emitted)).unwrap_or(usize::MAX);
        let before = self.out.len();
        copy_out(&self.win, self.written, to, room, &mut self.out);
        self.emitted += (self.out.len() - before) as u64;
        self.written = to;
    }

    /// Hand `bytes` (the file's bytes from position `written`) to the
    /// output, up to the declared size.
    pub(super) fn emit(&mut self, bytes: &[u8]) {
        let room = self.size.saturating_sub(self.emitted);
        let take = (bytes.len() as u64).min(room) as usize;
        self.out.extend_from_slice(bytes.get(..take).unwrap_or(&[]));
        self.emitted += take as u64;
        self.written += bytes.len() as u64;
    }

    /// The reader's side: staged bytes into `buf` (`Some(n)`), `Some(0)` at
    /// the file's end, `None` when the decoder must take another step.
    pub(super) fn take(&mut self, buf: &mut [u8]) -> Option<usize> {
        let ready = self.out.get(self.out_at..).unwrap_or(&[]);
        if !ready.is_empty() {
            let n = ready.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or(&mut [])
                .copy_from_slice(ready.get(..n).unwrap_or(&[]));
            self.out_at += n;
            return Some(n);
        }
        self.out.clear();
        self.out_at = 0;
        (self.finished || buf.is_empty()).then_some(0)
    }
}

/// Append the window's bytes of positions `from..to` (a ring over `win`,
/// whose length is a power of two) to `out`, at most `limit` of them.
pub(super) fn copy_out(win: &[u8], from: u64, to: u64, limit: usize, out: &mut Vec<u8>) {
    let m = (win.len() as u64).wrapping_sub(1);
    let (mut p, mut left) = (from, limit);
    while p < to && left > 0 {
        let i = (p & m) as usize;
        let run = usize::try_from(to - p)
            .unwrap_or(usize::MAX)
            .min(win.len().saturating_sub(i))
            .min(left);
        if run == 0 {
            break;
        }
        out.extend_from_slice(win.get(i..i + run).unwrap_or(&[]));
        p += run as u64;
        left -= run;
    }
}
