//! Where an entry's bytes are hashed while a decoder produces them: on the
//! scanning thread, or on a second one so that decoding and hashing overlap.

use crate::hash::{HashSelection, Hasher, Hashes};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

/// Bytes per chunk handed to a hashing thread ([`Feed`]).
const FEED_CHUNK: usize = 256 * 1024;
/// Chunks queued for a hashing thread at most: past that the decoding
/// thread waits, so memory stays bounded whatever the entry's size.
const FEED_DEPTH: usize = 4;

/// Where an entry's bytes are hashed as a decoder produces them: on this
/// thread, or, once [`Feed::move_to`] was called, on a scoped second thread
/// fed chunk by chunk, so that decoding and hashing overlap.
#[allow(clippy::large_enum_variant)] // one per entry, on the stack: boxing would allocate
pub(crate) enum Feed<'scope> {
    Here(Hasher),
    There {
        tx: SyncSender<Vec<u8>>,
        /// Chunks the hashing thread is done with, to be filled again.
        back: Receiver<Vec<u8>>,
        pending: Vec<u8>,
        done: ScopedJoinHandle<'scope, Hashes>,
    },
}

impl<'scope> Feed<'scope> {
    /// Move the hashing (with what it has seen so far) to a thread of
    /// `scope`; nothing happens when it is there already.
    pub(crate) fn move_to<'env>(&mut self, scope: &'scope Scope<'scope, 'env>) {
        let Feed::Here(h) = self else { return };
        let mut hasher = std::mem::replace(h, Hasher::new(HashSelection::SHA256));
        let (tx, rx) = sync_channel::<Vec<u8>>(FEED_DEPTH);
        let (back_tx, back) = channel::<Vec<u8>>();
        let done = scope.spawn(move || {
            for mut chunk in rx {
                hasher.update(&chunk);
                chunk.clear();
                // The feeding side may be gone already: then the chunk is
                // simply dropped.
                let _ = back_tx.send(chunk);
            }
            hasher.finish()
        });
        *self = Feed::There {
            tx,
            back,
            pending: Vec::with_capacity(FEED_CHUNK),
            done,
        };
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Feed::Here(h) => h.update(data),
            Feed::There {
                tx, back, pending, ..
            } => {
                let mut data = data;
                while !data.is_empty() {
                    let room = FEED_CHUNK - pending.len().min(FEED_CHUNK);
                    let (now, later) = data.split_at(room.min(data.len()));
                    pending.extend_from_slice(now);
                    data = later;
                    if pending.len() >= FEED_CHUNK {
                        let next = back
                            .try_recv()
                            .unwrap_or_else(|_| Vec::with_capacity(FEED_CHUNK));
                        let full = std::mem::replace(pending, next);
                        // Fails only if the hashing thread died (a panic):
                        // `finish` reports that.
                        let _ = tx.send(full);
                    }
                }
            }
        }
    }

    /// The digests of everything fed.
    pub(crate) fn finish(self) -> Hashes {
        match self {
            Feed::Here(h) => h.finish(),
            Feed::There {
                tx, pending, done, ..
            } => {
                if !pending.is_empty() {
                    let _ = tx.send(pending);
                }
                drop(tx);
                match done.join() {
                    Ok(h) => h,
                    // Re-raised on this thread, where the scan's own panic
                    // guard turns it into an error on the node.
                    Err(p) => std::panic::resume_unwind(p),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_bytes;

    #[test]
    fn feed_on_a_thread_equals_feed_here() {
        let data: Vec<u8> = (0..3 * FEED_CHUNK as u32 + 12_345)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for sel in [HashSelection::SHA256, HashSelection::ALL] {
            let want = hash_bytes(sel, &data);
            // Moved before any byte, after some, and at odd chunk sizes.
            for (move_at, step) in [(0, 65_536), (100_000, 4_097), (data.len(), 1 << 20)] {
                let got = std::thread::scope(|s| {
                    let mut f = Feed::Here(Hasher::new(sel));
                    let mut at = 0;
                    while at < data.len() {
                        if at >= move_at {
                            f.move_to(s);
                        }
                        let end = (at + step).min(data.len());
                        f.update(&data[at..end]);
                        at = end;
                    }
                    f.finish()
                });
                assert_eq!(got, want, "moved at {move_at}, step {step}");
            }
        }
    }
}
