//! The event being assembled (HTML §9.2.6's data, event type and last
//! event ID buffers) and where its values live: ranges of the read buffer
//! while a `decode` call runs, then short copies or slices split off it;
//! joined multi-line data in storage reused from event to event. No
//! §9.2.6 rule is here (those are in `rules.rs`; dispatch is in `mod.rs`):
//! this is storage only.

use crate::Utf8Bytes;
use bytes::{Buf, Bytes, BytesMut};
use std::ops::Range;

/// The event being assembled.
#[derive(Debug, Clone, Default)]
pub(super) struct PendingEvent {
    /// The data buffer (its length without the trailing LF:
    /// `rules::data_len_after`).
    pub(super) data: Data,
    /// The event type buffer; `None` stands for the empty string.
    pub(super) event_type: Option<Val>,
    /// The last event ID buffer; `None` while it equals the decoder's
    /// `last_event_id` (it is not reset by a dispatch, §9.2.6 step 1).
    pub(super) id: Option<Val>,
    /// This event hit a limit: its `data` and `event` lines are dropped up
    /// to the next blank line (its `id` and `retry` fields still count).
    pub(super) skipping: bool,
}

/// A field value as received: bytes not yet decoded as UTF-8.
#[derive(Debug, Clone)]
pub(super) enum Val {
    /// A range of the read buffer (only while a `decode` call runs).
    Range(Range<usize>),
    /// Copied out of the read buffer (at most `INLINE_CAPACITY` bytes).
    Short(Short),
    /// Split off the read buffer.
    Shared(Bytes),
}

/// Up to `INLINE_CAPACITY` raw bytes, held inline.
#[derive(Debug, Clone)]
pub(super) struct Short {
    pub(super) len: u8,
    pub(super) buf: [u8; Utf8Bytes::INLINE_CAPACITY],
}

/// The data buffer.
#[derive(Debug, Clone, Default)]
pub(super) enum Data {
    /// No `data` line yet.
    #[default]
    Empty,
    /// One `data` line: its value.
    One(Val),
    /// Several, joined with LF; `reused`: `buf` was taken from the joiner's
    /// reusable storage (split off it when the event is built) and holds
    /// each value followed by an LF, the last one removed at dispatch
    /// (`push_value`).
    Joined { buf: BytesMut, reused: bool },
}

/// Reusable storage for joined data: a joined value is split off it, and
/// once the caller drops that event its space is reclaimed
/// (`BytesMut::try_reclaim`), so a steady stream of multi-line events
/// allocates nothing; while the caller holds events, each gets a buffer of
/// its own (one allocation).
#[derive(Debug, Clone, Default)]
pub(super) struct Joiner {
    /// The storage (`None` until the first multi-line event).
    pub(super) spare: Option<BytesMut>,
    /// The size of the last joined data (capped at `JOIN_HINT_CAP`): the
    /// capacity to ask for, so that similar events need no regrowth.
    pub(super) hint: usize,
}

/// Largest capacity hint kept for joined data.
pub(super) const JOIN_HINT_CAP: usize = 64 << 10;

impl Val {
    pub(super) fn len(&self) -> usize {
        match self {
            Val::Range(r) => r.len(),
            Val::Short(s) => usize::from(s.len),
            Val::Shared(b) => b.len(),
        }
    }

    /// The value's bytes; `buf` is the read buffer a range is in.
    pub(super) fn bytes<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match self {
            Val::Range(r) => &buf[r.clone()],
            Val::Short(s) => &s.buf[..usize::from(s.len)],
            Val::Shared(b) => b,
        }
    }

    /// Whether the value needs a slice of the consumed bytes to outlive
    /// the call (a long range); short ranges are copied.
    pub(super) fn needs_chunk(&self) -> bool {
        matches!(self, Val::Range(r) if r.len() > Utf8Bytes::INLINE_CAPACITY)
    }

    /// The value decoded as UTF-8 (U+FFFD for invalid sequences); `buf` is
    /// the read buffer a range is in, with its bytes past the range (short
    /// values are copied as a fixed-size window). Long ranges are settled
    /// before (`SseDecoder::settle`: a slice, not a copy).
    #[inline(always)]
    pub(super) fn text(self, buf: &[u8]) -> Utf8Bytes {
        match self {
            Val::Range(r) if r.len() <= Utf8Bytes::INLINE_CAPACITY => {
                Utf8Bytes::inline_from_window_lossy(buf, r.start, r.len())
            }
            Val::Range(r) => Utf8Bytes::copy_from_utf8_lossy(&buf[r]),
            Val::Short(s) => Utf8Bytes::inline_from_window_lossy(&s.buf, 0, usize::from(s.len)),
            Val::Shared(b) => Utf8Bytes::from_utf8_lossy(b),
        }
    }

    /// [`Val::text`] into `to`, built in place (no move of a fresh value).
    #[inline(always)]
    pub(super) fn set_text(self, to: &mut Utf8Bytes, buf: &[u8]) {
        match self {
            Val::Range(r) if r.len() <= Utf8Bytes::INLINE_CAPACITY => {
                to.set_inline_from_window_lossy(buf, r.start, r.len());
            }
            other => *to = other.text(buf),
        }
    }
}

/// Appends `buf[value]` to joined data; in reusable storage (`reused`)
/// with the LF that §9.2.6 appends after it: one copy, of the value with
/// its line end, when that is an LF (the usual case). (A buffer handed out
/// whole gets the LF before the next value instead, so that it ends where
/// its data ends: `BytesMut::freeze` of a buffer with spare room costs an
/// allocation.)
#[inline(always)]
pub(super) fn push_value(joined: &mut BytesMut, reused: bool, buf: &[u8], value: Range<usize>) {
    if !reused {
        joined.extend_from_slice(&buf[value]);
    } else if buf.get(value.end) == Some(&b'\n') {
        joined.extend_from_slice(&buf[value.start..value.end + 1]);
    } else {
        joined.extend_from_slice(&buf[value]);
        joined.extend_from_slice(b"\n");
    }
}

/// A short range becomes a copy ([`Val::Short`]); returns 1 for a long
/// range (left for `chunk_slice`), else 0.
#[inline(always)]
pub(super) fn copy_if_short(v: Option<&mut Val>, buf: &[u8]) -> usize {
    match v {
        Some(v @ Val::Range(_)) => {
            let Val::Range(r) = &*v else { return 0 };
            if r.len() > Utf8Bytes::INLINE_CAPACITY {
                return 1;
            }
            *v = Val::Short(Short::copy(buf, r.clone()));
            0
        }
        _ => 0,
    }
}

/// `chunk[r]`: the last of the values that need the chunk takes the chunk
/// itself (no reference-count update), the others are slices of it.
pub(super) fn chunk_slice(
    chunk: &mut Option<Bytes>,
    r: Range<usize>,
    shared_left: &mut usize,
) -> Bytes {
    *shared_left = shared_left.saturating_sub(1);
    if *shared_left == 0 {
        let mut b = chunk.take().unwrap_or_default();
        b.truncate(r.end);
        b.advance(r.start.min(b.len()));
        b
    } else {
        chunk.as_ref().map_or_else(Bytes::new, |c| c.slice(r))
    }
}

impl Short {
    /// `buf[r]` (at most `INLINE_CAPACITY` bytes), copied as a fixed-size
    /// window when `buf` has one (a few vector moves, no `memmove` call).
    pub(super) fn copy(buf: &[u8], r: Range<usize>) -> Short {
        const CAP: usize = Utf8Bytes::INLINE_CAPACITY;
        let len = r.len().min(CAP);
        let bytes = match buf.get(r.start..r.start + CAP) {
            Some(window) => <[u8; CAP]>::try_from(window).unwrap_or([0; CAP]),
            None => {
                let mut b = [0; CAP];
                b[..len].copy_from_slice(&buf[r.start..r.start + len]);
                b
            }
        };
        Short {
            len: len as u8,
            buf: bytes,
        }
    }
}

impl PendingEvent {
    /// Forgets the values that are ranges of the read buffer (a caller
    /// consumed the bytes they were in).
    pub(super) fn drop_ranges(&mut self) {
        let is_range = |v: &Option<Val>| matches!(v, Some(Val::Range(_)));
        if is_range(&self.id) {
            self.id = None;
        }
        if is_range(&self.event_type) {
            self.event_type = None;
        }
        if matches!(self.data, Data::One(Val::Range(_))) {
            self.data = Data::Empty;
        }
    }

    /// Whether a value is a range of the read buffer.
    #[inline(always)]
    pub(super) fn has_ranges(&self) -> bool {
        let is_range = |v: &Option<Val>| matches!(v, Some(Val::Range(_)));
        is_range(&self.id)
            || is_range(&self.event_type)
            || matches!(self.data, Data::One(Val::Range(_)))
    }

    /// Whether a value is a range too long to be copied.
    #[inline(always)]
    pub(super) fn has_long_range(&self) -> bool {
        let long = |v: &Option<Val>| v.as_ref().is_some_and(Val::needs_chunk);
        long(&self.id)
            || long(&self.event_type)
            || matches!(&self.data, Data::One(v) if v.needs_chunk())
    }
}

impl Data {
    /// The value of a one-line data buffer.
    #[inline(always)]
    pub(super) fn one_mut(&mut self) -> Option<&mut Val> {
        match self {
            Data::One(v) => Some(v),
            _ => None,
        }
    }

    /// Length of the buffer (LF separators included, trailing LF not);
    /// `None` before the first `data` line.
    pub(super) fn len(&self) -> Option<usize> {
        match self {
            Data::Empty => None,
            Data::One(v) => Some(v.len()),
            // (Reusable storage holds the LF after the last value.)
            Data::Joined { buf, reused } => Some(buf.len() - usize::from(*reused)),
        }
    }
}

impl Joiner {
    /// An empty buffer for joined data with room for `need` bytes or the
    /// size of the last joined data (capped by the event limit), whichever
    /// is larger: the reusable storage once the caller has dropped the
    /// events that use it, else a new buffer.
    pub(super) fn take(&mut self, need: usize, max_event_size: usize) -> (BytesMut, bool) {
        let want = need.max(self.hint.min(max_event_size));
        // (Reusable storage also holds the LF after the last value.)
        match self.spare.as_mut() {
            Some(spare) => {
                spare.clear();
                if spare.try_reclaim(want + 1) {
                    return (std::mem::take(spare), true);
                }
                // Still used by events the caller holds: a new buffer, handed
                // out whole (one allocation, no shared header).
                (BytesMut::with_capacity(want), false)
            }
            // The first one: it becomes the reusable storage.
            None => (BytesMut::with_capacity(want + 1), true),
        }
    }

    /// The joined data as `Bytes`: split off the reusable storage (whose
    /// rest is kept for the next event), or the whole buffer.
    pub(super) fn finish(&mut self, mut joined: BytesMut, reused: bool) -> Bytes {
        if reused {
            // §9.2.6 dispatch step 3: "If the data buffer's last character is
            // a U+000A LINE FEED (LF) character, then remove the last
            // character" (see `push_value`).
            joined.truncate(joined.len().saturating_sub(1));
        }
        self.hint = joined.len().min(JOIN_HINT_CAP);
        // (A huge event is not split: the kept rest would pin its whole
        // allocation.)
        if reused && joined.len() <= JOIN_HINT_CAP {
            let data = joined.split().freeze();
            self.spare = Some(joined);
            data
        } else {
            joined.freeze()
        }
    }

    /// Gives back a buffer that was not used for an event.
    pub(super) fn recycle(&mut self, joined: BytesMut, reused: bool) {
        if reused {
            self.spare = Some(joined);
        }
    }
}
