//! [`SseDecoder`]: the WHATWG "interpreting an event stream" algorithm
//! (HTML §9.2.6) as a [`tokio_util::codec::Decoder`].
//!
//! ```text
//!  fast path (simple_event.rs): a complete event of data/id/event lines,
//!  scanned 64 bytes at a time (scan.rs) ──▶ SseItem::Event, or "no":
//!
//!  bytes ──(line.rs: CR/LF/CRLF, memchr, resumable)──▶ line
//!  line  ──(UTF-8 with U+FFFD, per line)──▶ text
//!  text  ──(field.rs: first ':', one space)──▶ (name, value)
//!  (name, value) ──(this file: data/event/id/retry buffers)──▶ SseItem
//! ```
//!
//! Decoding UTF-8 per line gives the same text as decoding the whole stream
//! first (§9.2.6 "Streams must be decoded using the UTF-8 decode
//! algorithm"): CR and LF are ASCII and never part of a multi-byte sequence,
//! and a lossy decoder never swallows them. Because a line is only decoded
//! once it is complete, a character split across reads never becomes U+FFFD.

use super::error::DecodeError;
use super::event::{Event, SseItem};
use super::field::split_field;
use super::line::{find_line_end, LineSplitter, Scan};
use crate::Utf8Bytes;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::time::Duration;
use tokio_util::codec::Decoder;

/// Default [`SseDecoderBuilder::max_line_length`]: 1 MiB.
pub const DEFAULT_MAX_LINE_LENGTH: usize = 1 << 20;
/// Default [`SseDecoderBuilder::max_event_size`]: 8 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 8 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a `text/event-stream` body into [`SseItem`]s exactly as a
/// browser's `EventSource` interprets it (HTML §9.2.6), however the bytes are
/// split into reads.
///
/// A new decoder starts with empty buffers, as §9.2.6 says ("They must be
/// initialized to the empty string"). [`Decoder::decode_eof`] discards an
/// unterminated event and readies the decoder for the next stream (BOM, line
/// and event state start over) but keeps the last event ID, so a decoder
/// reused for a reconnection behaves as a browser's `EventSource` does;
/// [`SseDecoderBuilder::last_event_id`] seeds a fresh decoder the same way.
///
/// Like tokio-util's `LinesCodec`, it expects the caller (as `FramedRead`
/// does) to only append to the buffer between calls, or to consume items
/// through it: an incomplete event may be kept as positions in the buffer.
/// A caller that replaces bytes it was not handed gets wrong items for the
/// event in progress (never a panic); start a new stream with
/// [`Decoder::decode_eof`] or a new decoder instead.
///
/// ```
/// use futures_util::StreamExt;
/// use pushcodec::sse::{SseDecoder, SseItem};
/// use tokio_util::codec::FramedRead;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let body: &[u8] = b"event: token\ndata: {\"t\":\"hi\"}\nid: 1\n\n";
/// let mut items = FramedRead::new(body, SseDecoder::new());
/// let Some(Ok(SseItem::Event(ev))) = items.next().await else { panic!() };
/// assert_eq!(&*ev.event_type, "token");
/// assert_eq!(&*ev.data, r#"{"t":"hi"}"#);
/// assert_eq!(&*ev.last_event_id, "1");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct SseDecoder {
    lines: LineSplitter,
    max_line_length: usize,
    max_event_size: usize,
    emit_comments: bool,
    /// Still at the start of the stream: a BOM may come (possibly split).
    at_stream_start: bool,
    /// Lines taken off the stream so far (for error messages).
    line_number: u64,
    /// The rest of the current event is being skipped after a limit error.
    skipping_event: bool,
    data: DataBuffer,
    /// The event type buffer; `None` stands for the empty string.
    event_type: Option<Val>,
    /// The last event ID buffer (§9.2.6); `None` while it equals
    /// `last_event_id` (saves a reference count per event).
    last_event_id_buffer: Option<Val>,
    /// Capacity for the next multi-line data buffer: the size of the last
    /// one, capped at `DATA_HINT_CAP`, so that steady streams of similar
    /// events allocate once per event.
    data_capacity_hint: usize,
    /// Bytes at the start of the read buffer already processed but not yet
    /// split off, because values of the event being assembled still point
    /// into them (as ranges). Like tokio-util's `LinesCodec::next_index`,
    /// this relies on the caller only appending to the buffer between
    /// calls; a buffer found shorter than this is treated as a new stream
    /// position (the pending event is dropped).
    held: usize,
    /// The event source's last event ID string, set on every dispatch
    /// (§9.2.6 dispatch step 1).
    last_event_id: Utf8Bytes,
    /// Buffer for multi-line data, reused from event to event: a joined
    /// value is split off it, and once the caller drops that event its
    /// space is reclaimed (`BytesMut::try_reclaim`), so a steady stream of
    /// multi-line events allocates nothing; while the caller holds events,
    /// each gets a buffer of its own (one allocation).
    arena: Option<BytesMut>,
    /// The data buffer in progress came from `arena` (split at dispatch),
    /// not a new one (frozen whole).
    data_split: bool,
    /// Non-zero: the fast path found an incomplete event in the first
    /// `simple_seen` bytes of the buffer and waits for a line end before
    /// scanning it again.
    simple_seen: usize,
    /// Bytes the fast path has scanned in vain for the current event.
    simple_rescanned: usize,
    /// This call started with values held from an earlier call (see
    /// `carried_check`).
    carried: bool,
    /// Whether `decode` tries the simple-event fast path (`simple_event.rs`)
    /// first; off only in tests that compare the two paths.
    simple_path: bool,
}

/// Largest buffer the fast path waits on for an incomplete event: a longer
/// one (a long line arriving in many reads) goes to the general path, which
/// resumes its scan where it stopped instead of rescanning the event.
const MAX_SIMPLE_WAIT: usize = 16 << 10;

/// Bytes the fast path may rescan in vain for any event, however small: a
/// token event arriving in 7-byte reads is rescanned at each of its 4 line
/// ends (about 120 bytes in all), cheaper than the general path.
const MIN_RESCAN_BUDGET: usize = 512;

/// Largest capacity hint kept for multi-line data buffers.
const DATA_HINT_CAP: usize = 64 << 10;

/// A field value: either split off the read buffer already, or a range of
/// the read buffer not yet split off (while `decode` runs, and between
/// calls while an event is incomplete: see `SseDecoder::held`).
/// Lines are scanned in place and the consumed prefix is split off once
/// per returned item (`settle`), not once per line: one reference-count
/// update per item instead of three per line.
#[derive(Debug, Clone)]
enum Val {
    Ready(Utf8Bytes),
    Pending(std::ops::Range<usize>),
}

impl Val {
    fn len(&self) -> usize {
        match self {
            Val::Ready(b) => b.len(),
            Val::Pending(r) => r.len(),
        }
    }

    /// The value's bytes; `buf` is the read buffer a pending range is in.
    fn bytes<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match self {
            Val::Ready(b) => b.as_bytes(),
            Val::Pending(r) => &buf[r.clone()],
        }
    }

    fn is_pending(&self) -> bool {
        matches!(self, Val::Pending(_))
    }

    /// The settled value (`decode` settles every value before it returns or
    /// dispatches, so a pending one is never seen here).
    fn ready(self) -> Utf8Bytes {
        match self {
            Val::Ready(b) => b,
            Val::Pending(_) => {
                debug_assert!(false, "unsettled value");
                Utf8Bytes::default()
            }
        }
    }
}

/// The data buffer of §9.2.6, without its trailing LF: no `data` line yet,
/// one line (a zero-copy slice of the input), or several joined with LF.
#[derive(Debug, Clone, Default)]
enum DataBuffer {
    #[default]
    Empty,
    One(Val),
    Many(BytesMut),
}

/// What the line loop of `decode` stopped for.
enum Step {
    /// No complete line left in the buffer.
    NeedMore,
    /// A blank line with a non-empty data buffer.
    Dispatch,
    /// A comment line (`emit_comments`): its text.
    Comment(Val),
    /// A valid `retry` field.
    Retry(Duration),
}

impl DataBuffer {
    /// Length of the buffer's text (LF separators included, trailing LF not).
    fn len(&self) -> usize {
        match self {
            DataBuffer::Empty => 0,
            DataBuffer::One(v) => v.len(),
            DataBuffer::Many(b) => b.len(),
        }
    }
}

impl Default for SseDecoder {
    fn default() -> Self {
        SseDecoder::new()
    }
}

impl SseDecoder {
    /// A decoder with the default limits and comments off.
    ///
    /// ```
    /// let dec = pushcodec::sse::SseDecoder::new();
    /// assert_eq!(dec.last_event_id(), "");
    /// ```
    pub fn new() -> Self {
        SseDecoder::builder().build()
    }

    /// A builder to set the limits and comment reporting.
    ///
    /// ```
    /// let dec = pushcodec::sse::SseDecoder::builder()
    ///     .max_line_length(64 * 1024)
    ///     .max_event_size(256 * 1024)
    ///     .emit_comments(true)
    ///     .build();
    /// # let _ = dec;
    /// ```
    pub fn builder() -> SseDecoderBuilder {
        SseDecoderBuilder {
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            emit_comments: false,
            last_event_id: Utf8Bytes::default(),
        }
    }

    /// The event source's last event ID string (§9.2.6 dispatch step 1): set
    /// on every dispatch, including a blank line that dispatches no event
    /// because its data buffer is empty (e.g. a block with only `id: 5`).
    /// This is the value a reconnect sends as `Last-Event-ID` (§9.2.4); see
    /// [`ReconnectState::set_last_event_id`](super::ReconnectState::set_last_event_id).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use tokio_util::codec::Decoder;
    /// let mut dec = pushcodec::sse::SseDecoder::new();
    /// let mut buf = BytesMut::from("id: 5\n\n");
    /// assert_eq!(dec.decode(&mut buf).unwrap(), None); // no data: no event
    /// assert_eq!(dec.last_event_id(), "5");
    /// ```
    pub fn last_event_id(&self) -> &Utf8Bytes {
        &self.last_event_id
    }

    /// Bytes the decoder holds for the event being assembled (data buffer
    /// with its LF separators, plus the event type); never more than
    /// `max_event_size`. (An incomplete event of a few short lines may
    /// instead be left in the read buffer until its blank line arrives, and
    /// counts 0 here: the fast path of `simple_event.rs`.)
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::sse::{SseDecoder, SseItem};
    /// use tokio_util::codec::Decoder;
    /// let mut dec = SseDecoder::builder().emit_comments(true).build();
    /// let mut buf = BytesMut::from("data: ab\ndata: c\n: note\n");
    /// assert_eq!(dec.decode(&mut buf).unwrap(), Some(SseItem::Comment("note".into())));
    /// assert_eq!(dec.pending_event_size(), 4); // "ab\nc"
    /// ```
    pub fn pending_event_size(&self) -> usize {
        self.data.len() + self.event_type.as_ref().map_or(0, Val::len)
    }

    /// Forgets the pending event (data and event type buffers).
    fn clear_event(&mut self) {
        self.data = DataBuffer::Empty;
        self.event_type = None;
    }

    /// Starts over for a new stream, keeping the configuration and the last
    /// event ID (see [`SseDecoderBuilder::last_event_id`]).
    fn reset_stream(&mut self) {
        self.held = 0;
        self.simple_seen = 0;
        self.simple_rescanned = 0;
        self.lines.reset();
        self.at_stream_start = true;
        self.line_number = 0;
        self.skipping_event = false;
        self.clear_event();
        self.last_event_id_buffer = None;
    }

    /// §9.2.6 "dispatch the event", steps 1–7.
    fn dispatch(&mut self) -> Option<SseItem> {
        // Step 1: the buffer is not reset, so the ID persists.
        if let Some(id) = self.last_event_id_buffer.take() {
            self.last_event_id = id.ready();
        }
        let data = std::mem::take(&mut self.data);
        let event_type = self.event_type.take();
        let data = match data {
            // Step 2: an empty data buffer dispatches nothing.
            DataBuffer::Empty => return None,
            // Step 3: the trailing LF is never stored.
            DataBuffer::One(v) => v.ready(),
            // Every appended value was UTF-8 (`value_at`).
            DataBuffer::Many(b) => self.finish_data_buffer(b),
        };
        // Steps 5–6: type `message` unless the event type buffer is non-empty.
        let event_type = match event_type {
            Some(t) if t.len() > 0 => t.ready(),
            _ => Utf8Bytes::from_static("message"),
        };
        Some(SseItem::Event(Event {
            event_type,
            data,
            last_event_id: self.last_event_id.clone(),
        }))
    }

    /// An empty buffer for multi-line data with room for `need` bytes or the
    /// size of the last joined data (capped), whichever is larger: the rest
    /// of the last one (`arena`), reclaimed once the caller has dropped the
    /// events that use it; else a new one.
    pub(super) fn take_data_buffer(&mut self, need: usize) -> BytesMut {
        let want = need.max(self.data_capacity_hint.min(self.max_event_size));
        match self.arena.take() {
            Some(mut b) => {
                b.clear();
                if b.try_reclaim(want) {
                    self.data_split = true;
                    return b;
                }
                // Still in use by events the caller holds: a new buffer,
                // handed out whole (one allocation, no shared header).
                self.arena = Some(b);
                self.data_split = false;
            }
            // The first: it becomes the reusable one.
            None => self.data_split = true,
        }
        BytesMut::with_capacity(want)
    }

    /// The joined data of an event: split off the reusable buffer (whose
    /// rest is kept for the next event), or the whole new buffer.
    pub(super) fn finish_data_buffer(&mut self, mut joined: BytesMut) -> Utf8Bytes {
        self.data_capacity_hint = joined.len().min(DATA_HINT_CAP);
        // Valid UTF-8: every caller checked what it appended.
        let data = if self.data_split && joined.len() <= DATA_HINT_CAP {
            let data = joined.split().freeze();
            self.arena = Some(joined);
            data
        } else {
            // (A huge event is not split either: the kept rest would pin
            // its whole allocation.)
            joined.freeze()
        };
        Utf8Bytes::from_bytes_unchecked(data)
    }

    /// Gives back a data buffer that was not used for an event.
    pub(super) fn recycle_data_buffer(&mut self, mut joined: BytesMut) {
        if self.data_split {
            joined.clear();
            self.arena = Some(joined);
        }
    }

    /// Fails the current event: it is discarded up to the next blank line.
    fn event_too_large(&mut self, size: usize) -> DecodeError {
        self.clear_event();
        self.skipping_event = true;
        DecodeError::EventTooLarge {
            line: self.line_number,
            size,
            max: self.max_event_size,
        }
    }

    /// True if a field value still points into the read buffer.
    fn has_pending(&self) -> bool {
        matches!(&self.data, DataBuffer::One(v) if v.is_pending())
            || self.event_type.as_ref().is_some_and(Val::is_pending)
            || self
                .last_event_id_buffer
                .as_ref()
                .is_some_and(Val::is_pending)
    }

    /// Drops the consumed prefix `src[..*pos]`, settling every value that
    /// still points into it (and `keep`): short values (at most
    /// [`Utf8Bytes::INLINE_CAPACITY`] bytes) are copied inline; only longer
    /// values need
    /// the prefix split off as one `Bytes` they become slices of (values
    /// were checked for UTF-8 when read, by `value_at`). When none
    /// does, the prefix is just advanced past: no reference counting, and
    /// the read buffer stays unshared, so `BytesMut` can reuse it.
    fn settle(&mut self, src: &mut BytesMut, pos: &mut usize, keep: Option<&mut Val>) {
        if *pos == 0 {
            return;
        }
        let data = match &mut self.data {
            DataBuffer::One(v) => Some(v),
            _ => None,
        };
        let mut pending: [Option<&mut Val>; 4] = [
            self.last_event_id_buffer.as_mut(),
            self.event_type.as_mut(),
            data,
            keep,
        ];
        let mut shared = 0;
        let carried = self.carried;
        for v in pending.iter_mut().flatten() {
            if let Val::Pending(r) = v {
                if let Some(text) = carried_check(carried, &src[r.clone()]) {
                    **v = Val::Ready(text);
                } else if r.len() <= Utf8Bytes::INLINE_CAPACITY {
                    // Checked for UTF-8 by `value_at`.
                    **v = Val::Ready(Utf8Bytes::inline_from_window(src, r.start, r.len()));
                } else {
                    shared += 1;
                }
            }
        }
        if shared == 0 {
            src.advance(*pos);
            *pos = 0;
            return;
        }
        let mut chunk = Some(src.split_to(*pos).freeze());
        for v in pending.iter_mut().flatten() {
            if let Val::Pending(r) = v {
                shared -= 1;
                // The last shared value takes the chunk itself (no
                // reference-count update); the others are slices of it.
                let bytes = if shared == 0 {
                    let mut b = chunk.take().unwrap_or_default();
                    b.truncate(r.end);
                    b.advance(r.start);
                    b
                } else {
                    chunk
                        .as_ref()
                        .map_or_else(Bytes::new, |c| c.slice(r.clone()))
                };
                // Checked for UTF-8 by `value_at`.
                **v = Val::Ready(Utf8Bytes::from_bytes_unchecked(bytes));
            }
        }
        *pos = 0;
    }

    /// §9.2.6 "Lines must be processed, in the order they are received":
    /// processes complete lines of `src` from `*pos` (in place, nothing is
    /// split off) until one yields something to hand out.
    fn process_lines(&mut self, src: &mut BytesMut, pos: &mut usize) -> Result<Step, DecodeError> {
        loop {
            let (start, end, ascii) = match self.lines.scan(src, pos) {
                Scan::Line(start, end, ascii) => (start, end, ascii),
                Scan::NeedMore => return Ok(Step::NeedMore),
                Scan::TooLong(too_long) => {
                    self.line_number += 1;
                    self.clear_event();
                    self.skipping_event = true;
                    return Err(DecodeError::LineTooLong {
                        line: self.line_number,
                        length: too_long.length,
                        max: self.max_line_length,
                    });
                }
            };
            self.line_number += 1;
            // "If the line is empty (a blank line)": dispatch.
            if start == end {
                // A skipped event has an empty data buffer: this dispatches
                // nothing but still runs dispatch step 1 (the last event ID).
                self.skipping_event = false;
                if !matches!(self.data, DataBuffer::Empty) {
                    return Ok(Step::Dispatch);
                }
                // Steps 1–2 without an event: the ID must be settled first.
                self.settle(src, pos, None);
                let _ = self.dispatch();
                continue;
            }
            if let Some(step) = self.process_field(start, end, ascii, src)? {
                return Ok(step);
            }
        }
    }

    /// One non-blank line, `src[start..end]` (`ascii`: known to be all
    /// ASCII, so its values need no UTF-8 check). UTF-8 is checked per kept
    /// value, not per line: the field names compared below are ASCII, and
    /// lossy decoding never turns invalid bytes into ':' or ' ' nor swallows
    /// an ASCII byte, so splitting the raw line gives the same name and value
    /// as splitting its decoded text; ignored fields are never decoded.
    fn process_field(
        &mut self,
        start: usize,
        end: usize,
        ascii: bool,
        src: &[u8],
    ) -> Result<Option<Step>, DecodeError> {
        let line = &src[start..end];
        let value_at = |src: &[u8], range| {
            if ascii {
                Val::Pending(range)
            } else {
                value_at(src, range)
            }
        };
        // "If the line starts with a U+003A COLON character": a comment.
        if line.first() == Some(&b':') {
            if !self.emit_comments {
                return Ok(None);
            }
            let from = if line.get(1) == Some(&b' ') { 2 } else { 1 };
            return Ok(Some(Step::Comment(value_at(src, start + from..end))));
        }
        let ranges = split_field(line);
        let value = start + ranges.value.start..start + ranges.value.end;
        // "Field names must be compared literally, with no case folding".
        match &line[ranges.name] {
            // The rest of an event that hit a limit is dropped; its `id` and
            // `retry` fields still count.
            b"event" | b"data" if self.skipping_event => {}
            b"event" => {
                let v = value_at(src, value);
                let size = self.data.len() + v.len();
                if size > self.max_event_size {
                    return Err(self.event_too_large(size));
                }
                self.event_type = Some(v);
            }
            b"data" => self.append_data(value_at(src, value), src)?,
            // "If the field value does not contain U+0000 NULL".
            b"id" if !has_nul(&src[value.clone()]) => {
                self.last_event_id_buffer = Some(value_at(src, value));
            }
            b"retry" => {
                if let Some(ms) = parse_retry(&src[value]) {
                    return Ok(Some(Step::Retry(Duration::from_millis(ms))));
                }
            }
            // "Otherwise: the field is ignored."
            _ => {}
        }
        Ok(None)
    }

    /// §9.2.6 "If the field name is data": append the value and an LF (the
    /// LF is stored as a separator before the next value instead). `src` is
    /// the read buffer a pending `value` is a range of.
    fn append_data(&mut self, value: Val, src: &[u8]) -> Result<(), DecodeError> {
        let bytes = value.bytes(src);
        let type_len = self.event_type.as_ref().map_or(0, Val::len);
        let size = match &self.data {
            DataBuffer::Empty => type_len + bytes.len(),
            other => type_len + other.len() + 1 + bytes.len(),
        };
        if size > self.max_event_size {
            return Err(self.event_too_large(size));
        }
        self.data = match std::mem::take(&mut self.data) {
            DataBuffer::Empty => DataBuffer::One(value),
            DataBuffer::One(first) => {
                let checked = match &first {
                    Val::Pending(r) => carried_check(self.carried, &src[r.clone()]),
                    Val::Ready(_) => None,
                };
                let first = checked
                    .as_ref()
                    .map_or_else(|| first.bytes(src), |t| t.as_bytes());
                let need = first.len() + 1 + bytes.len();
                let mut joined = self.take_data_buffer(need);
                joined.extend_from_slice(first);
                joined.extend_from_slice(b"\n");
                joined.extend_from_slice(bytes);
                DataBuffer::Many(joined)
            }
            // The common case of a multi-line event: append in place.
            DataBuffer::Many(mut joined) => {
                joined.reserve(1 + bytes.len());
                joined.put_u8(b'\n');
                joined.extend_from_slice(bytes);
                DataBuffer::Many(joined)
            }
        };
        Ok(())
    }
}

/// §9.2.6 "Streams must be decoded using the UTF-8 decode algorithm": invalid
/// sequences become U+FFFD (a copy, only for values that hold any). Rust's
/// lossy decoding replaces maximal subparts as the WHATWG UTF-8 decoder
/// does.
fn decode_utf8_lossy(raw: &[u8]) -> Utf8Bytes {
    Utf8Bytes::from(String::from_utf8_lossy(raw).into_owned())
}

/// Whether `raw` is UTF-8: short values by `is_ascii` first (cheaper than
/// simdutf8's set-up; token values are ASCII), long ones by simdutf8 alone
/// (its SIMD ASCII path is faster than `is_ascii`'s word loop: one pass,
/// perf on 256 KiB lines).
#[inline]
pub(super) fn is_utf8(raw: &[u8]) -> bool {
    if raw.len() < 64 {
        raw.is_ascii() || simdutf8::basic::from_utf8(raw).is_ok()
    } else {
        simdutf8::basic::from_utf8(raw).is_ok()
    }
}

/// The value at `range` of `src`, checked for UTF-8: a pending range if
/// valid (the common, ASCII case costs a word-at-a-time scan), else the
/// text decoded with U+FFFD (a copy).
fn value_at(src: &[u8], range: std::ops::Range<usize>) -> Val {
    let raw = &src[range.clone()];
    if is_utf8(raw) {
        Val::Pending(range)
    } else {
        Val::Ready(decode_utf8_lossy(raw))
    }
}

/// Whether an `id` value holds U+0000 (§9.2.6 "If the field name is id").
/// IDs are short: a plain loop, `memchr` (whose call set-up costs more than
/// a short search) only for long values.
#[inline]
fn has_nul(value: &[u8]) -> bool {
    if value.len() < 32 {
        value.contains(&0)
    } else {
        memchr::memchr(0, value).is_some()
    }
}

/// Values kept as ranges of the buffer from an earlier call (`carried`)
/// were checked for UTF-8 then. A caller that replaced those bytes
/// instead of only appending (a misuse of the `Decoder` contract) would
/// make them unchecked text, and `Utf8Bytes::as_str` would panic later.
/// So a carried range is checked again where it is consumed (`settle`,
/// or joined to a second data line): once per value, not once per call
/// (a per-call check of a long held value would be quadratic in the
/// number of reads). Invalid bytes are decoded with U+FFFD: wrong text
/// for a misused buffer, never a panic.
fn carried_check(carried: bool, raw: &[u8]) -> Option<Utf8Bytes> {
    (carried && !is_utf8(raw)).then(|| decode_utf8_lossy(raw))
}

/// §9.2.6 "If the field name is retry": only if the value consists of ASCII
/// digits. An empty value is not an integer and is ignored; a value beyond
/// `u64::MAX` milliseconds saturates.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    // One pass: checks the digits and accumulates.
    value.iter().try_fold(0u64, |acc, &d| {
        d.is_ascii_digit()
            .then(|| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')))
    })
}

/// Configuration of an [`SseDecoder`].
///
/// ```
/// let dec = pushcodec::sse::SseDecoder::builder().max_line_length(4096).build();
/// # let _ = dec;
/// ```
#[derive(Debug, Clone)]
pub struct SseDecoderBuilder {
    max_line_length: usize,
    max_event_size: usize,
    emit_comments: bool,
    last_event_id: Utf8Bytes,
}

impl SseDecoderBuilder {
    /// Longest accepted line in bytes, line end excluded (default
    /// [`DEFAULT_MAX_LINE_LENGTH`], 1 MiB). A longer line is reported as
    /// [`DecodeError::LineTooLong`] as soon as that many bytes are buffered
    /// without a line end, so an endless line cannot eat memory.
    ///
    /// ```
    /// let b = pushcodec::sse::SseDecoder::builder().max_line_length(1024);
    /// # let _ = b;
    /// ```
    pub fn max_line_length(mut self, max: usize) -> Self {
        self.max_line_length = max;
        self
    }

    /// Largest accepted event in bytes: data lines joined with LF plus the
    /// event type (default [`DEFAULT_MAX_EVENT_SIZE`], 8 MiB); a larger one
    /// is [`DecodeError::EventTooLarge`].
    ///
    /// ```
    /// let b = pushcodec::sse::SseDecoder::builder().max_event_size(1 << 16);
    /// # let _ = b;
    /// ```
    pub fn max_event_size(mut self, max: usize) -> Self {
        self.max_event_size = max;
        self
    }

    /// Whether comment lines are reported as [`SseItem::Comment`] (default
    /// `false`, as `EventSource` ignores them; proxies and keep-alive
    /// monitors may want them).
    ///
    /// ```
    /// let b = pushcodec::sse::SseDecoder::builder().emit_comments(true);
    /// # let _ = b;
    /// ```
    pub fn emit_comments(mut self, emit: bool) -> Self {
        self.emit_comments = emit;
        self
    }

    /// Starts the decoder with this last event ID (default empty), for the
    /// stream of a reconnection made with `Last-Event-ID` (§9.2.4).
    ///
    /// §9.2.6 initialises the last event ID buffer of every stream to the
    /// empty string, which would make the first event without an `id` on the
    /// new connection report `lastEventId` `""`; browsers (Chromium's
    /// `EventSourceParser` is constructed with the source's last event ID)
    /// keep the ID instead. Seed the decoder to do the same.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::sse::{SseDecoder, SseItem};
    /// use tokio_util::codec::Decoder;
    /// let mut dec = SseDecoder::builder().last_event_id("41".into()).build();
    /// let mut buf = BytesMut::from("data: x\n\n");
    /// let Some(SseItem::Event(ev)) = dec.decode(&mut buf).unwrap() else { panic!() };
    /// assert_eq!(&*ev.last_event_id, "41");
    /// ```
    pub fn last_event_id(mut self, id: Utf8Bytes) -> Self {
        self.last_event_id = id;
        self
    }

    /// Builds the decoder.
    ///
    /// ```
    /// let dec = pushcodec::sse::SseDecoder::builder().build();
    /// # let _ = dec;
    /// ```
    pub fn build(self) -> SseDecoder {
        SseDecoder {
            lines: LineSplitter::new(self.max_line_length),
            max_line_length: self.max_line_length,
            max_event_size: self.max_event_size,
            emit_comments: self.emit_comments,
            at_stream_start: true,
            line_number: 0,
            skipping_event: false,
            data: DataBuffer::Empty,
            event_type: None,
            last_event_id_buffer: None,
            data_capacity_hint: 0,
            held: 0,
            last_event_id: self.last_event_id,
            arena: None,
            data_split: false,
            simple_seen: 0,
            simple_rescanned: 0,
            carried: false,
            simple_path: true,
        }
    }
}

impl Decoder for SseDecoder {
    type Item = SseItem;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<SseItem>, DecodeError> {
        if self.at_stream_start {
            // §9.2.6 note: the UTF-8 decode algorithm strips one leading BOM,
            // at the start of the stream only; it may arrive split.
            let n = src.len().min(BOM.len());
            if src[..n] != BOM[..n] {
                self.at_stream_start = false;
            } else if n < BOM.len() {
                return Ok(None);
            } else {
                bytes::Buf::advance(src, BOM.len());
                self.at_stream_start = false;
            }
        }
        if self.simple_seen > 0 {
            // The fast path found an incomplete event in `src[..seen]`. Until a line end arrives (or a CR that ended
            // those bytes is followed by anything), no new line is complete:
            // the general path would do nothing either.
            let seen = std::mem::take(&mut self.simple_seen);
            if src.len() >= seen
                && src.len() <= MAX_SIMPLE_WAIT.min(self.max_line_length)
                && (src.len() == seen || find_line_end(&src[seen - 1..]).0.is_none())
            {
                self.simple_seen = src.len();
                return Ok(None);
            }
        }
        match self.simple_event(src) {
            Ok(event) => {
                self.simple_rescanned = 0;
                return Ok(Some(SseItem::Event(event)));
            }
            Err(Stop::Incomplete)
                if !src.is_empty()
                    && src.len() <= MAX_SIMPLE_WAIT.min(self.max_line_length)
                    && self.simple_rescanned <= src.len().max(MIN_RESCAN_BUDGET) =>
            {
                // Rescanned from the event's start when a line end arrives.
                // Budget: the bytes scanned in vain for this event never
                // exceed twice its length, or MIN_RESCAN_BUDGET for a small
                // one (else the general path, which resumes where it
                // stopped, takes over); the buffer stays within
                // `max_line_length`, so no limit is checked late.
                self.simple_rescanned += src.len();
                self.simple_seen = src.len();
                return Ok(None);
            }
            Err(_) => self.simple_rescanned = 0,
        }
        let mut pos = std::mem::take(&mut self.held);
        if pos > src.len() {
            // The caller consumed bytes we had not handed out: the values
            // that pointed into them are gone. Start over from here.
            pos = 0;
            self.clear_event();
            self.last_event_id_buffer = None;
            self.lines.reset();
        }
        self.carried = pos > 0;
        let mut step = self.process_lines(src, &mut pos);
        if matches!(step, Ok(Step::NeedMore))
            && self.has_pending()
            && src.len() <= self.max_line_length
        {
            // Mid-event: keep the values as ranges (no split, no reference
            // counting) until the event is complete (bench compare: token
            // events in 7-byte reads). Only while the whole buffer is within
            // `max_line_length`, so holding never raises the memory bound
            // (comments or unknown fields between the lines of an event
            // would otherwise keep it growing).
            self.held = pos;
            return Ok(None);
        }
        let keep = match &mut step {
            Ok(Step::Comment(text)) => Some(text),
            _ => None,
        };
        self.settle(src, &mut pos, keep);
        Ok(match step? {
            Step::NeedMore => None,
            Step::Dispatch => self.dispatch(),
            Step::Retry(d) => Some(SseItem::Retry(d)),
            Step::Comment(text) => Some(SseItem::Comment(text.ready())),
        })
    }

    /// §9.2.6 "Once the end of the file is reached, any pending data must be
    /// discarded": an unterminated line or event is dropped, and the decoder
    /// is reset for a new stream.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<SseItem>, DecodeError> {
        if let Some(item) = self.decode(src)? {
            return Ok(Some(item));
        }
        src.clear();
        self.reset_stream();
        Ok(None)
    }
}

#[path = "simple_event.rs"]
mod simple_event;
use simple_event::Stop;

#[cfg(test)]
#[path = "decoder_tests.rs"]
mod tests;
