//! How many raw records and scaling events a runtime keeps: a bounded ring by default, every
//! one only when asked.
//!
//! The report and the metrics are computed from streaming aggregates ([`super::RunTotals`]),
//! so dropping old records loses no figure; the ring only limits what
//! [`Meter::records`](super::Meter::records) and the scaling trace can still show one by one.
//! A record is about 150 bytes and a scaling event about 40, so the default ring of
//! [`DEFAULT_RING`] entries holds about 1.5 MB of records and 0.4 MB of events, whatever the
//! length of the run.

use std::collections::VecDeque;

/// Entries kept by default: the most recent 10,000 records (and scaling events).
pub const DEFAULT_RING: usize = 10_000;

/// Entries per storage chunk under [`RecordRetention::All`]: 4,096 records of ~144 bytes,
/// about 576 KiB.
const CHUNK: usize = 4096;

/// Which raw records and scaling events a runtime keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordRetention {
    /// The most recent `n` of each (memory stays bounded in long runs).
    Ring(usize),
    /// Every one, for ever (memory grows with every invocation: `serve --keep-records`).
    All,
}

impl Default for RecordRetention {
    fn default() -> Self {
        Self::Ring(DEFAULT_RING)
    }
}

/// Entries in arrival order, kept under a [`RecordRetention`].
#[derive(Debug)]
pub(crate) struct Retained<T> {
    storage: Storage<T>,
    /// Entries pushed out of the ring so far.
    dropped: u64,
}

#[derive(Debug)]
enum Storage<T> {
    Ring { entries: VecDeque<T>, limit: usize },
    All(Chunks<T>),
}

impl<T: Clone> Default for Retained<T> {
    fn default() -> Self {
        Self::new(RecordRetention::default())
    }
}

impl<T: Clone> Retained<T> {
    /// Empty storage for `retention`.
    pub(crate) fn new(retention: RecordRetention) -> Self {
        let storage = match retention {
            RecordRetention::Ring(limit) => Storage::Ring {
                entries: VecDeque::new(),
                limit,
            },
            RecordRetention::All => Storage::All(Chunks::with_capacity(CHUNK)),
        };
        Self {
            storage,
            dropped: 0,
        }
    }

    /// Empty storage keeping everything, with room for `capacity` entries in its first chunk.
    pub(crate) fn all_with_capacity(capacity: usize) -> Self {
        Self {
            storage: Storage::All(Chunks::with_capacity(capacity)),
            dropped: 0,
        }
    }

    /// Appends, pushing the oldest entry out of a full ring.
    #[inline]
    pub(crate) fn push(&mut self, entry: T) {
        match &mut self.storage {
            Storage::Ring { entries, limit } => {
                if *limit == 0 {
                    self.dropped += 1;
                    return;
                }
                if entries.len() == *limit {
                    entries.pop_front();
                    self.dropped += 1;
                }
                entries.push_back(entry);
            }
            Storage::All(chunks) => chunks.push(entry),
        }
    }

    /// Appends every entry of `batch` in order (leaving it empty, its allocation kept), as
    /// [`Retained::push`] one by one would: the entries move in bulk, not one call each.
    pub(crate) fn append(&mut self, batch: &mut Vec<T>) {
        match &mut self.storage {
            Storage::Ring { entries, limit } => {
                // Only the last `limit` of the batch can stay; the rest of it, and as much of
                // the ring as they displace, are let go.
                let skip = batch.len().saturating_sub(*limit);
                batch.drain(..skip);
                let evict = (entries.len() + batch.len()).saturating_sub(*limit);
                entries.drain(..evict);
                self.dropped += (evict + skip) as u64;
                // Through a deque, whose `append` copies the batch in one or two moves; both
                // conversions keep the allocation (the emptied deque starts at its front).
                let mut moved = VecDeque::from(std::mem::take(batch));
                entries.append(&mut moved);
                *batch = Vec::from(moved);
            }
            Storage::All(chunks) => {
                for entry in batch.drain(..) {
                    chunks.push(entry);
                }
            }
        }
    }

    /// Entries kept now.
    pub(crate) fn len(&self) -> usize {
        match &self.storage {
            Storage::Ring { entries, .. } => entries.len(),
            Storage::All(chunks) => chunks.len,
        }
    }

    /// Entries pushed out of the ring so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The entries kept, oldest first, as one slice (joined once, off the hot path).
    pub(crate) fn as_slice(&mut self) -> &[T] {
        match &mut self.storage {
            Storage::Ring { entries, .. } => entries.make_contiguous(),
            Storage::All(chunks) => chunks.as_slice(),
        }
    }

    /// A copy of the entries kept, oldest first.
    pub(crate) fn to_vec(&self) -> Vec<T> {
        match &self.storage {
            Storage::Ring { entries, .. } => entries.iter().cloned().collect(),
            Storage::All(chunks) => chunks.to_vec(),
        }
    }

    /// Takes every entry kept, leaving the storage empty.
    pub(crate) fn take(&mut self) -> Vec<T> {
        match &mut self.storage {
            Storage::Ring { entries, .. } => entries.drain(..).collect(),
            Storage::All(chunks) => chunks.take(),
        }
    }
}

/// Fixed-capacity chunks: a push writes into the last chunk, or starts a new one when it is
/// full, so keeping everything never moves the entries already kept (a single growing vector
/// would copy all of them each time it doubles).
#[derive(Debug)]
struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Clone> Chunks<T> {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            chunks: vec![Vec::with_capacity(capacity.max(1))],
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, entry: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(entry),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(entry);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn as_slice(&mut self) -> &[T] {
        if self.chunks.len() > 1 {
            let mut all = Vec::with_capacity(self.len);
            for chunk in self.chunks.drain(..) {
                all.extend(chunk);
            }
            self.chunks.push(all);
        }
        self.chunks.first().map_or(&[], Vec::as_slice)
    }

    fn to_vec(&self) -> Vec<T> {
        let mut all = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            all.extend_from_slice(chunk);
        }
        all
    }

    fn take(&mut self) -> Vec<T> {
        self.as_slice();
        self.len = 0;
        self.chunks.pop().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appending_a_batch_keeps_what_pushing_one_by_one_keeps() {
        for limit in [0, 1, 3, 7, 64] {
            for retention in [RecordRetention::Ring(limit), RecordRetention::All] {
                for batch_len in [0, 1, 2, 5, 9, 70] {
                    let (mut pushed, mut appended) =
                        (Retained::new(retention), Retained::new(retention));
                    let mut next = 0;
                    for _ in 0..4 {
                        let mut batch: Vec<u32> = (next..next + batch_len).collect();
                        next += batch_len;
                        for &i in &batch {
                            pushed.push(i);
                        }
                        appended.append(&mut batch);
                        assert!(batch.is_empty());
                        assert_eq!(
                            appended.to_vec(),
                            pushed.to_vec(),
                            "{retention:?} {batch_len}"
                        );
                        assert_eq!(appended.dropped(), pushed.dropped());
                        assert_eq!(appended.len(), pushed.len());
                    }
                }
            }
        }
    }

    #[test]
    fn a_ring_keeps_the_most_recent_entries_and_counts_the_rest() {
        let mut ring = Retained::new(RecordRetention::Ring(3));
        for i in 0..10 {
            ring.push(i);
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.dropped(), 7);
        assert_eq!(ring.as_slice(), &[7, 8, 9]);
        assert_eq!(ring.take(), vec![7, 8, 9]);
        assert_eq!(ring.len(), 0);
    }

    #[test]
    fn keeping_everything_keeps_order_across_chunks() {
        let mut all = Retained::all_with_capacity(3);
        let n = 3 + CHUNK + 5;
        for i in 0..n {
            all.push(i);
        }
        let expected: Vec<usize> = (0..n).collect();
        assert_eq!(all.to_vec(), expected);
        assert_eq!(all.as_slice(), &expected[..]);
        all.push(n);
        assert_eq!(all.len(), n + 1);
        assert_eq!(all.take().len(), n + 1);
        assert_eq!((all.len(), all.dropped()), (0, 0));
    }
}
