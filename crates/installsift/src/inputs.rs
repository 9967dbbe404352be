//! Inputs: what a path names, how it is opened, and the directory walk.
//!
//! Every kind of file-system object has one defined answer (the README's
//! "Special files" table):
//!
//! | kind | named as an input | met in a directory walk |
//! |---|---|---|
//! | regular file | scanned | scanned |
//! | directory | walked | walked |
//! | symlink | followed: its target is scanned or walked | skipped, counted (`symlinks`): links are not followed in a walk, so a walk has no loops and never leaves its tree |
//! | dangling symlink (or a loop) | error, not scanned | skipped, counted (`symlinks`) |
//! | FIFO | error, never opened | skipped, counted (`fifos`) |
//! | socket | error, never opened | skipped, counted (`sockets`) |
//! | character or block device | error, never opened | skipped, counted (`devices`) |
//! | size 0 in `stat` (`/proc`, `/sys`) | read to its end (at most `max_unsized_input`) and scanned | the same |
//! | unreadable (permission denied) | error | error (the walk goes on) |
//!
//! Nothing is opened before its type is known: `stat` never blocks, while
//! opening a FIFO for reading waits for a writer (forever) and opening a
//! device can have effects. A regular file is then opened with
//! `O_NONBLOCK | O_NOCTTY`, so a FIFO swapped in between the `stat` and the
//! `open` makes nothing wait (its open returns at once and the `fstat` of
//! what was opened refuses it), and a pseudo-file with no data ready answers
//! `EAGAIN` instead of blocking the read. On regular files of real file
//! systems the flag changes nothing.

use installsift_model::error::{Error, Result};
use installsift_model::limits::Limit;
use serde::Serialize;
use std::fs::{File, FileType, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A file-system object that is neither a regular file nor a directory: a
/// directory walk skips it (and counts it in [`Skipped`]); named as an input
/// it is refused without being opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Special {
    /// A symbolic link (a walk does not follow links).
    Symlink,
    /// A FIFO (named pipe): opening it for reading would wait for a writer.
    Fifo,
    /// A Unix-domain socket.
    Socket,
    /// A character device (`/dev/zero`, a terminal).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// Anything else the platform has (a Solaris door, …).
    Other,
}

impl Special {
    /// The kind of a non-regular, non-directory file type; `None` for a
    /// regular file or a directory.
    pub fn of(t: FileType) -> Option<Special> {
        if t.is_file() || t.is_dir() {
            return None;
        }
        if t.is_symlink() {
            return Some(Special::Symlink);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Some(Special::Fifo);
            }
            if t.is_socket() {
                return Some(Special::Socket);
            }
            if t.is_char_device() {
                return Some(Special::CharDevice);
            }
            if t.is_block_device() {
                return Some(Special::BlockDevice);
            }
        }
        Some(Special::Other)
    }

    /// What it is, in words (`a FIFO (named pipe)`).
    pub fn describe(self) -> &'static str {
        match self {
            Special::Symlink => "a symbolic link",
            Special::Fifo => "a FIFO (named pipe)",
            Special::Socket => "a socket",
            Special::CharDevice => "a character device",
            Special::BlockDevice => "a block device",
            Special::Other => "a special file",
        }
    }
}

/// The entries a directory walk met and did not scan because they are not
/// regular files, by kind ([`Scanner::scan_paths`](crate::Scanner::scan_paths)
/// returns them). Inputs named explicitly are never counted here: those are
/// errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Symbolic links, dangling or not (a walk follows none).
    pub symlinks: u64,
    /// FIFOs (named pipes).
    pub fifos: u64,
    /// Unix-domain sockets.
    pub sockets: u64,
    /// Character and block devices.
    pub devices: u64,
    /// Other special files.
    pub other: u64,
}

impl Skipped {
    /// All entries skipped.
    pub fn total(&self) -> u64 {
        self.symlinks + self.fifos + self.sockets + self.devices + self.other
    }

    /// Count one more of `kind`.
    pub fn add(&mut self, kind: Special) {
        let n = match kind {
            Special::Symlink => &mut self.symlinks,
            Special::Fifo => &mut self.fifos,
            Special::Socket => &mut self.sockets,
            Special::CharDevice | Special::BlockDevice => &mut self.devices,
            Special::Other => &mut self.other,
        };
        *n += 1;
    }

    /// Add another walk's counts.
    pub fn merge(&mut self, o: &Skipped) {
        self.symlinks += o.symlinks;
        self.fifos += o.fifos;
        self.sockets += o.sockets;
        self.devices += o.devices;
        self.other += o.other;
    }
}

/// Open `path` to scan it: a regular file (a symlink named as input is
/// followed) with the metadata of what was opened, or the error that says
/// what it is instead. A FIFO, socket or device is never opened.
pub(crate) fn open(path: &Path) -> Result<(File, Metadata)> {
    let meta = std::fs::metadata(path).map_err(|e| unreachable(path, &e))?;
    refuse_unless_file(path, &meta)?;
    let file = open_nonblocking(path).map_err(|e| Error::io(format!("{}: {e}", path.display())))?;
    // What was opened may not be what was looked at (replaced meanwhile).
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("{}: {e}", path.display())))?;
    refuse_unless_file(path, &meta)?;
    Ok((file, meta))
}

/// The error for a path `stat` could not follow: a symlink whose target is
/// missing (or a loop of links) says so and where it points.
fn unreachable(path: &Path, e: &std::io::Error) -> Error {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let to = std::fs::read_link(path)
                .map(|t| format!(" to {:?}", t.to_string_lossy()))
                .unwrap_or_default();
            Error::io(format!(
                "{}: a symbolic link{to} whose target cannot be reached (dangling): {e}",
                path.display()
            ))
        }
        _ => Error::io(format!("{}: {e}", path.display())),
    }
}

fn refuse_unless_file(path: &Path, meta: &Metadata) -> Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let what = match Special::of(meta.file_type()) {
        Some(s) => s.describe(),
        None => "a directory",
    };
    Err(Error::unsupported(format!(
        "{}: {what}, not a regular file: not opened",
        path.display()
    )))
}

fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// Read an opened regular file whose size the file system gives as 0: an
/// empty file, or a pseudo-file (`/proc`, `/sys`) whose content exists only
/// when read. At most `cap` bytes: more is an error, since there is no size
/// to hold the content to and a prefix hashed as the file would be wrong.
pub(crate) fn read_unsized(file: &File, path: &Path, cap: u64) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let n = file
        .take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::WouldBlock {
                Error::io(format!(
                    "{}: a pseudo-file with no data to read now (reading would wait): not read",
                    path.display()
                ))
            } else {
                Error::io(format!("{}: {e}", path.display()))
            }
        })?;
    if n as u64 > cap {
        return Err(Error::limit(
            Limit::MaxUnsizedInput,
            format!(
                "{}: the file system gives its size as 0 but it holds more than {cap} bytes: not scanned",
                path.display()
            ),
        ));
    }
    Ok(buf)
}

/// One step of a walk.
pub(crate) enum Job {
    /// A file to scan (a regular file met in a walk, or an input named
    /// explicitly that is not a directory: scanning answers what it is).
    Scan(PathBuf),
    /// The walk could not read this path (a directory it may not list).
    Failed(PathBuf, Error),
    /// An entry of a walked directory that is not a regular file.
    Skip(Special),
}

/// The files under `roots` in scan order: each root in turn; a root that is
/// a directory (or a symlink to one) is walked recursively, sorted by name,
/// links inside it not followed; any other root is itself.
pub(crate) fn walk(roots: &[PathBuf]) -> impl Iterator<Item = Job> + '_ {
    roots.iter().flat_map(|root| {
        let is_dir = std::fs::metadata(root).is_ok_and(|m| m.is_dir());
        let single = (!is_dir).then(|| Job::Scan(root.clone()));
        let entries = is_dir.then(|| {
            walkdir::WalkDir::new(root)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_map(move |item| match item {
                    Ok(e) if e.depth() == 0 => None,
                    Ok(e) if e.file_type().is_file() => Some(Job::Scan(e.into_path())),
                    Ok(e) => Special::of(e.file_type()).map(Job::Skip),
                    Err(e) => {
                        let p = e
                            .path()
                            .map(Path::to_path_buf)
                            .unwrap_or_else(|| root.clone());
                        let why = e
                            .io_error()
                            .map_or_else(|| e.to_string(), ToString::to_string);
                        let err = Error::io(format!("{}: {why}", p.display()));
                        Some(Job::Failed(p, err))
                    }
                })
        });
        single.into_iter().chain(entries.into_iter().flatten())
    })
}

/// How many files a scan of `roots` will read and their bytes, from the
/// same walk as the scan's (`stat` only, nothing opened): the total of a
/// progress bar. A named input that is not a regular file counts as one
/// file of 0 bytes, as the scan answers it.
pub fn census(roots: &[PathBuf]) -> (u64, u64) {
    let (mut files, mut bytes) = (0u64, 0u64);
    for job in walk(roots) {
        match job {
            Job::Scan(p) => {
                files += 1;
                let size =
                    std::fs::metadata(&p).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
                bytes = bytes.saturating_add(size);
            }
            Job::Failed(..) => files += 1,
            Job::Skip(_) => {}
        }
    }
    (files, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_counts_each_kind_and_devices_together() {
        let mut s = Skipped::default();
        for k in [
            Special::Symlink,
            Special::Fifo,
            Special::Socket,
            Special::CharDevice,
            Special::BlockDevice,
            Special::Other,
        ] {
            s.add(k);
        }
        assert_eq!((s.symlinks, s.fifos, s.sockets), (1, 1, 1));
        assert_eq!((s.devices, s.other, s.total()), (2, 1, 6));
        let mut t = s;
        t.merge(&s);
        assert_eq!(t.total(), 12);
    }

    /// The second line of defence: a FIFO swapped in between the `stat` and
    /// the `open` (the race cannot be staged reliably, so the open is
    /// called on the FIFO directly) opens at once and is refused by the
    /// `fstat` of what was opened; a plain open would wait for a writer.
    #[cfg(unix)]
    #[test]
    fn a_fifo_opened_by_a_race_does_not_block_and_is_refused() {
        let dir = std::env::temp_dir().join(format!("installsift-inputs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (Debian package coreutils)");
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        let f = fifo.clone();
        std::thread::spawn(move || {
            let r = open_nonblocking(&f).and_then(|file| file.metadata());
            let _ = tx.send(r.map(|m| refuse_unless_file(&f, &m)));
        });
        let refused = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the open returned at once")
            .expect("opened and fstat-ed");
        let msg = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.ends_with("a FIFO (named pipe), not a regular file: not opened"),
            "{msg}"
        );
        let e = open(&fifo).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("unsupported: "), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_device_is_refused_unopened_and_a_proc_file_is_read_whole() {
        let e = open(Path::new("/dev/zero")).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("unsupported: /dev/zero: a character device, not a regular file: not opened")
        );
        let p = Path::new("/proc/self/status");
        let (file, meta) = open(p).expect("a regular file");
        assert_eq!(meta.len(), 0, "procfs gives its files size 0");
        let bytes = read_unsized(&file, p, 1 << 20).expect("read");
        assert!(bytes.starts_with(b"Name:"), "{bytes:?}");
        let (file, _) = open(Path::new("/proc/self/status")).expect("again");
        let e = read_unsized(&file, p, 8).err();
        assert!(
            matches!(
                e,
                Some(Error::LimitExceeded {
                    limit: Limit::MaxUnsizedInput,
                    ..
                })
            ),
            "{e:?}"
        );
    }
}
