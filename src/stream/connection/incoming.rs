//! The receiving side of our stream's data (RFC 29 `StreamData`), sans-IO.
//!
//! [`Incoming`] reassembles `StreamData` fragments by offset into one
//! in-order byte stream the application reads exactly once: fragments may
//! arrive out of order, twice, or overlapping (a peer re-sends a rejected
//! or unanswered packet's data at the same offsets). Flow control is a
//! bounded window: the peer may send up to [`Incoming::limit`] =
//! bytes read by the application + window. Only reading moves the limit, so
//! an application that stops reading stops the peer; the limit never
//! shrinks (RFC 29: endpoints must not renege). Data beyond the limit is a
//! flow-control error ([`FlowControlError`]) and is not taken.
//!
//! Memory is bounded by the window: only bytes in `[read, limit)` are kept.

use std::collections::VecDeque;

/// Receive window used unless configured otherwise: 64 KiB.
pub const DEFAULT_RECEIVE_WINDOW: u64 = 64 * 1024;
/// The smallest window: ilp-protocol-stream assumes a stream accepts 16 KiB
/// until told otherwise, so a smaller one could not be enforced.
pub const MIN_RECEIVE_WINDOW: u64 = 16 * 1024;

/// A `StreamData` fragment ended beyond the advertised limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowControlError {
    /// The offset the fragment ended at (saturated on overflow).
    pub end: u64,
    /// The limit it had to respect.
    pub limit: u64,
}

/// Reassembly buffer and receive window of one stream. See the
/// [module docs](self).
#[derive(Clone, Debug)]
pub struct Incoming {
    window: u64,
    /// Bytes the application has read: the offset of `buf[0]`.
    read: u64,
    /// Bytes at offsets `read..read + buf.len()`; only the ranges in
    /// `present` hold received bytes, the rest are placeholders.
    buf: VecDeque<u8>,
    /// Received ranges `(start, end)` at or after `read`, sorted, disjoint
    /// and not touching (merged). A sorted `Vec`: it holds one range per
    /// gap the peer left, a handful at most, and a `BTreeMap` cost about
    /// 6 KB of wasm.
    present: Vec<(u64, u64)>,
    /// The largest limit told to the peer.
    told: u64,
    /// Whether the peer has sent any data.
    received_any: bool,
}

impl Default for Incoming {
    fn default() -> Self {
        Self::new(DEFAULT_RECEIVE_WINDOW)
    }
}

impl Incoming {
    /// An empty buffer with a window of `window` bytes (at least
    /// [`MIN_RECEIVE_WINDOW`]).
    pub fn new(window: u64) -> Self {
        Self {
            window: window.max(MIN_RECEIVE_WINDOW),
            read: 0,
            buf: VecDeque::new(),
            present: Vec::new(),
            told: 0,
            received_any: false,
        }
    }

    /// The highest offset the peer may send up to (exclusive end).
    pub const fn limit(&self) -> u64 {
        self.read.saturating_add(self.window)
    }

    /// Bytes the application has read so far (the stream offset it is at).
    pub const fn read_offset(&self) -> u64 {
        self.read
    }

    /// In-order bytes waiting to be read.
    pub fn readable(&self) -> usize {
        match self.present.first() {
            Some(&(start, end)) if start == self.read => {
                usize::try_from(end - start).unwrap_or(usize::MAX)
            }
            _ => 0,
        }
    }

    /// Takes in a `StreamData` fragment. Returns how many bytes became
    /// readable (in order) because of it; duplicates add nothing. A
    /// fragment that ends beyond [`Incoming::limit`] is refused whole.
    pub fn receive(&mut self, offset: u64, data: &[u8]) -> Result<usize, FlowControlError> {
        let len = data.len() as u64;
        let limit = self.limit();
        let end = offset.checked_add(len).ok_or(FlowControlError {
            end: u64::MAX,
            limit,
        })?;
        if end > limit {
            return Err(FlowControlError { end, limit });
        }
        if len > 0 {
            self.received_any = true;
        }
        let start = offset.max(self.read);
        if start >= end {
            return Ok(0); // all of it was read already
        }
        let before = self.readable();
        // `end <= limit = read + window`, so the buffer stays within the window.
        let needed = usize::try_from(end - self.read).unwrap_or(usize::MAX);
        if self.buf.len() < needed {
            self.buf.resize(needed, 0);
        }
        // Write only into gaps: bytes already received stay as they were.
        for (gap_start, gap_end) in self.gaps(start, end) {
            let skip = usize::try_from(gap_start - offset).unwrap_or(usize::MAX);
            let take = usize::try_from(gap_end - gap_start).unwrap_or(0);
            let from = usize::try_from(gap_start - self.read).unwrap_or(usize::MAX);
            if let Some(src) = data.get(skip..skip.saturating_add(take)) {
                for (slot, &b) in self.buf.range_mut(from..).zip(src) {
                    *slot = b;
                }
            }
        }
        self.mark(start, end);
        Ok(self.readable().saturating_sub(before))
    }

    /// The parts of `[start, end)` not yet received.
    fn gaps(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut at = start;
        for &(s, e) in &self.present {
            if e <= at {
                continue;
            }
            if s >= end {
                break;
            }
            if s > at {
                gaps.push((at, s));
            }
            at = at.max(e);
            if at >= end {
                break;
            }
        }
        if at < end {
            gaps.push((at, end));
        }
        gaps
    }

    /// Records `[start, end)` as received, merging neighbours.
    fn mark(&mut self, mut start: u64, mut end: u64) {
        // Ranges before `first` end before `start`; from there, those that
        // begin no later than `end` overlap or touch and are merged.
        let first = self
            .present
            .iter()
            .position(|&(_, e)| e >= start)
            .unwrap_or(self.present.len());
        let mut last = first;
        while let Some(&(s, e)) = self.present.get(last) {
            if s > end {
                break;
            }
            start = start.min(s);
            end = end.max(e);
            last += 1;
        }
        self.present.drain(first..last);
        self.present.insert(first, (start, end));
    }

    /// Copies in-order bytes into `out` and consumes them; returns how
    /// many. Reading opens the window by as much.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        let n = self.readable().min(out.len());
        for (slot, b) in out.iter_mut().zip(self.buf.drain(..n)) {
            *slot = b;
        }
        if n == 0 {
            return 0;
        }
        let new_read = self.read.saturating_add(n as u64);
        // `n <= readable()`: the first range starts at `read` and ends at or
        // after `new_read`.
        if let Some(&(start, end)) = self.present.first() {
            if start == self.read {
                if end > new_read {
                    if let Some(first) = self.present.first_mut() {
                        first.0 = new_read;
                    }
                } else {
                    self.present.remove(0);
                }
            }
        }
        self.read = new_read;
        n
    }

    /// The limit to advertise now; remembered as told to the peer.
    pub fn advertise(&mut self) -> u64 {
        self.told = self.told.max(self.limit());
        self.told
    }

    /// Whether the peer has sent data and our limit grew since we last told
    /// it: worth a mention in the next packet we send anyway.
    pub const fn has_news(&self) -> bool {
        self.received_any && self.limit() > self.told
    }

    /// Whether the limit grew by half a window since we last told the peer:
    /// a peer that filled the window may be waiting, so tell it even if
    /// nothing else is to be sent.
    pub const fn update_due(&self) -> bool {
        self.received_any && self.limit().saturating_sub(self.told) >= self.window / 2
    }

    /// Forget that the last advertisement reached the peer (the packet
    /// carrying it was lost), so it is sent again.
    pub fn advertisement_lost(&mut self) {
        self.told = self.read;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn read_all(inc: &mut Incoming) -> Vec<u8> {
        let mut out = vec![0; inc.readable()];
        let n = inc.read(&mut out);
        out.truncate(n);
        out
    }

    #[test]
    fn delivers_in_order_fragments_at_once() {
        let mut inc = Incoming::default();
        assert_eq!(inc.receive(0, b"hello ").unwrap(), 6);
        assert_eq!(inc.receive(6, b"world").unwrap(), 5);
        assert_eq!(read_all(&mut inc), b"hello world");
        assert_eq!(inc.read_offset(), 11);
    }

    #[test]
    fn holds_out_of_order_fragments_until_the_gap_fills() {
        let mut inc = Incoming::default();
        assert_eq!(inc.receive(6, b"world").unwrap(), 0);
        assert_eq!(inc.readable(), 0);
        assert_eq!(inc.receive(0, b"hello ").unwrap(), 11);
        assert_eq!(read_all(&mut inc), b"hello world");
    }

    #[test]
    fn duplicates_and_overlaps_are_delivered_once() {
        let mut inc = Incoming::default();
        inc.receive(0, b"abcd").unwrap();
        assert_eq!(read_all(&mut inc), b"abcd");
        assert_eq!(inc.receive(0, b"abcd").unwrap(), 0);
        assert_eq!(inc.receive(2, b"cdef").unwrap(), 2);
        inc.receive(10, b"kl").unwrap();
        inc.receive(8, b"ijklmn").unwrap();
        assert_eq!(inc.receive(6, b"gh").unwrap(), 8);
        assert_eq!(read_all(&mut inc), b"efghijklmn");
    }

    #[test]
    fn random_fragments_in_any_order_are_delivered_exactly_once() {
        // A seeded xorshift: fragments of random offsets and lengths,
        // duplicated and overlapping, with reads in between; whatever the
        // order, the reader gets the message once, in order.
        let message: Vec<u8> = (0..4_000u32).map(|i| (i * 7 + 3) as u8).collect();
        for seed in 1..=200u64 {
            let mut x = seed;
            let mut next = move |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            let mut inc = Incoming::default();
            let mut got = Vec::new();
            let mut fed = 0;
            while got.len() < message.len() {
                let len = message.len() as u64;
                // Mostly random fragments; every 8th fills the first gap,
                // so every case finishes.
                let (start, end) = if fed % 8 == 7 {
                    let s = inc.read_offset() + inc.readable() as u64;
                    (s, (s + 1 + next(300)).min(len))
                } else {
                    let s = next(len);
                    (s, (s + 1 + next(300)).min(len))
                };
                fed += 1;
                let before = inc.readable();
                let became = inc
                    .receive(start, &message[start as usize..end as usize])
                    .unwrap();
                assert_eq!(inc.readable(), before + became, "seed {seed}");
                if next(3) == 0 {
                    got.extend(read_all(&mut inc));
                }
                if inc.read_offset() + inc.readable() as u64 == len {
                    got.extend(read_all(&mut inc));
                }
            }
            assert_eq!(got, message, "seed {seed}");
        }
    }

    #[test]
    fn bytes_already_received_are_kept() {
        let mut inc = Incoming::default();
        inc.receive(2, b"CD").unwrap();
        inc.receive(0, b"abcdef").unwrap();
        assert_eq!(read_all(&mut inc), b"abCDef");
    }

    #[test]
    fn refuses_data_beyond_the_window_and_reopens_as_read() {
        let mut inc = Incoming::new(MIN_RECEIVE_WINDOW);
        let w = MIN_RECEIVE_WINDOW;
        assert_eq!(inc.limit(), w);
        let full = vec![7u8; usize::try_from(w).unwrap()];
        inc.receive(0, &full).unwrap();
        assert_eq!(
            inc.receive(w, b"x"),
            Err(FlowControlError {
                end: w + 1,
                limit: w
            })
        );
        let mut half = vec![0; usize::try_from(w / 2).unwrap()];
        assert_eq!(inc.read(&mut half), half.len());
        assert_eq!(inc.limit(), w + w / 2);
        assert_eq!(inc.receive(w, b"x").unwrap(), 1);
        assert_eq!(inc.readable(), usize::try_from(w / 2).unwrap() + 1);
    }

    #[test]
    fn an_offset_that_overflows_is_a_flow_control_error() {
        let mut inc = Incoming::default();
        assert!(inc.receive(u64::MAX, b"ab").is_err());
        assert_eq!(inc.readable(), 0);
    }

    #[test]
    fn advertises_once_the_peer_sends_and_the_window_moves() {
        let mut inc = Incoming::new(MIN_RECEIVE_WINDOW);
        assert!(!inc.has_news());
        inc.receive(0, &[1; 100]).unwrap();
        assert!(inc.has_news());
        assert_eq!(inc.advertise(), MIN_RECEIVE_WINDOW);
        assert!(!inc.has_news());
        let mut buf = [0; 100];
        inc.read(&mut buf);
        assert!(inc.has_news() && !inc.update_due());
        let mut big = vec![0; usize::try_from(MIN_RECEIVE_WINDOW).unwrap()];
        inc.receive(101, &big).unwrap_err();
        inc.receive(100, &big[..8200]).unwrap();
        inc.read(&mut big);
        assert!(inc.update_due());
        inc.advertise();
        assert!(!inc.update_due());
    }
}
