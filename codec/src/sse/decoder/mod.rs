//! [`SseDecoder`]: the WHATWG "interpreting an event stream" algorithm
//! (HTML §9.2.6) as a [`tokio_util::codec::Decoder`].
//!
//! ```text
//!  bytes ──(line.rs: BOM, CR/LF/CRLF across reads, limit; scan.rs finds
//!           the CR/LF bytes 64 at a time)──▶ line (a range of the buffer)
//!  line  ──(rules.rs: comment or field, name, value, id NUL, retry)──▶ Field
//!  Field ──(this file: event size, dispatch; pending.rs holds the data /
//!           event type / last event ID buffers)──▶ SseItem
//! ```
//!
//! One path: every line of every stream goes through the same loop and the
//! same rule functions, whether a read holds a hundred events or seven
//! bytes. (The layout proposal had a `batch.rs` for a whole-event fast
//! scan; once this loop was as fast as the old fast path it replaces, a
//! second path had nothing left to win that would pay for keeping two in
//! agreement: figures in BENCHMARKS.md.) Values stay ranges of the read buffer while a call runs and are
//! copied (up to [`Utf8Bytes::INLINE_CAPACITY`] bytes) or split off (longer)
//! when the call returns, so nothing points into the buffer between calls.
//! UTF-8 is decoded once per value, when it becomes a [`Utf8Bytes`] (HTML
//! §9.2.6 "Streams must be decoded using the UTF-8 decode algorithm"):
//! decoding each value gives the same text as decoding the whole stream
//! first, because CR, LF, ':' and ' ' are ASCII, never part of a multi-byte
//! sequence, and lossy decoding neither produces nor swallows them. A
//! character split across reads is never replaced: a value is decoded only
//! once its line is complete.

mod line;
mod pending;
mod rules;
mod scan;

use super::error::DecodeError;
use super::event::{Event, SseItem};
use crate::Utf8Bytes;
use bytes::{Buf, BytesMut};
use line::{Lines, Next, Phase};
use pending::{chunk_slice, copy_if_short, push_value, Data, Joiner, PendingEvent, Val};
use rules::Field;
use std::ops::Range;
use std::time::Duration;
use tokio_util::codec::Decoder;

/// Default [`SseDecoderBuilder::max_event_size`]: 32 MiB, so that a 16 MiB
/// `data` line (LLM image-generation streams send base64 images of several
/// MiB on one line) passes with room to spare, whatever its event type.
///
/// ```
/// assert_eq!(pushcodec::sse::DEFAULT_MAX_EVENT_SIZE, 32 << 20);
/// ```
pub const DEFAULT_MAX_EVENT_SIZE: usize = 32 << 20;

/// Default [`SseDecoderBuilder::max_line_length`] when neither limit is
/// set: [`DEFAULT_MAX_EVENT_SIZE`] plus [`LINE_OVERHEAD`]. (Setting only
/// the event limit moves the line limit with it.)
///
/// ```
/// use pushcodec::sse::{SseDecoder, DEFAULT_MAX_LINE_LENGTH};
/// assert_eq!(SseDecoder::new().max_line_length(), DEFAULT_MAX_LINE_LENGTH);
/// ```
pub const DEFAULT_MAX_LINE_LENGTH: usize = DEFAULT_MAX_EVENT_SIZE + LINE_OVERHEAD;

/// Bytes a line may have beyond the event limit when
/// [`SseDecoderBuilder::max_line_length`] is not set: the longest field
/// name whose value counts towards the event size, its colon and one space
/// (`event: `), so that no line is refused whose value fits in the event.
///
/// ```
/// let dec = pushcodec::sse::SseDecoder::builder().max_event_size(100).build();
/// assert_eq!(dec.max_line_length(), 100 + pushcodec::sse::LINE_OVERHEAD);
/// ```
pub const LINE_OVERHEAD: usize = "event: ".len();

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
/// Between calls the decoder holds its own copies of the event's values;
/// of the buffer it only remembers how far it scanned an unterminated line
/// and, after handing out events, how many bytes at its start those used
/// (the buffer is advanced past them by the next call that returns
/// `Ok(None)`: once per read, not once per event). So, like tokio-util's
/// `LinesCodec`, it expects the caller (as `FramedRead` does) to only
/// append to the buffer between calls, and to call `decode` until it
/// returns `Ok(None)`; a caller that replaces bytes may get lines split in
/// the wrong place (never a panic, never invalid text). Start a new stream
/// with [`Decoder::decode_eof`] or a new decoder instead.
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
    /// The settings it was built with.
    config: Config,
    /// Where in the byte stream the read buffer starts: before a possible
    /// BOM, at a line start, after a CR, inside a partly scanned line, or
    /// inside an over-long line being skipped (`line.rs`).
    phase: Phase,
    /// In `Phase::InLine`: bytes at the start of the buffer known to hold
    /// no CR or LF (the scan resumes there).
    scanned: usize,
    /// Bytes at the start of the buffer already processed but not yet
    /// advanced past: events handed out (the buffer is advanced once per
    /// read rather than once per event), and the lines of an incomplete
    /// event whose values are still ranges of them (small reads, while the
    /// buffer is at most `hold_max`); `phase` applies at this position.
    skip: usize,
    /// A long value was split off the front of the buffer: at the next call
    /// (the caller has most likely dropped it), move the few bytes after it
    /// to the front while they are few (see `reclaim_front`).
    split_front: bool,
    /// Lines taken off the stream so far (for error messages).
    line_number: u64,
    /// The event being assembled: §9.2.6's data, event type and last event
    /// ID buffers.
    event: PendingEvent,
    /// The event source's last event ID string (§9.2.6 dispatch step 1).
    last_event_id: Utf8Bytes,
    /// Storage for multi-line data, reused from event to event.
    joiner: Joiner,
}

/// The settings of a decoder (see [`SseDecoderBuilder`]).
#[derive(Debug, Clone, Copy)]
struct Config {
    /// Longest line accepted (line end excluded).
    max_line_length: usize,
    /// Largest event accepted (`rules::event_size`).
    max_event_size: usize,
    /// Whether comment lines are reported.
    emit_comments: bool,
}

/// See `SseDecoder::hold_max`: an event arriving in small reads is kept
/// in the buffer (values as ranges) while the buffer is at most this long.
const HOLD_MAX: usize = 4 << 10;

/// A split of at least this many bytes off the front of the read buffer
/// is followed by `reclaim_front`.
const RECLAIM_AFTER: usize = 64 << 10;

/// After a long value was split off the front of the read buffer (and,
/// most likely, dropped by the caller since), moves the bytes left after
/// it to the front of the buffer's storage while they are few (at most
/// 4 KiB): otherwise `BytesMut::reserve` moves them later, when the next
/// long line has grown to fill the storage, a copy of up to a whole line
/// per line (measured in BENCHMARKS.md, 256 KiB lines).
/// Never allocates (`try_reclaim`: a buffer still shared is left alone).
#[inline(never)]
fn reclaim_front(src: &mut BytesMut) {
    if src.len() <= 4 << 10 {
        // Asking for one byte more than the storage has after the data
        // makes `BytesMut` move the data to the front (if it is unshared).
        let _ = src.try_reclaim(src.capacity() - src.len() + 1);
    }
}

/// What the line loop of `decode` stopped for.
enum Step {
    /// No complete line left in the buffer.
    NeedMore,
    /// A blank line with a non-empty data buffer.
    Dispatch,
    /// A comment line (`emit_comments`): its text.
    Comment(Range<usize>),
    /// A valid `retry` field.
    Retry(Duration),
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
    /// assert_eq!(dec.max_event_size(), pushcodec::sse::DEFAULT_MAX_EVENT_SIZE);
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
    /// assert_eq!(dec.max_line_length(), 64 * 1024);
    /// ```
    pub fn builder() -> SseDecoderBuilder {
        SseDecoderBuilder {
            max_line_length: None,
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            emit_comments: false,
            last_event_id: Utf8Bytes::default(),
        }
    }

    /// The longest line accepted, line end excluded (see
    /// [`SseDecoderBuilder::max_line_length`]; by default
    /// `max_event_size + LINE_OVERHEAD`).
    ///
    /// ```
    /// use pushcodec::sse::{SseDecoder, LINE_OVERHEAD};
    /// let dec = SseDecoder::builder().max_event_size(1000).build();
    /// assert_eq!(dec.max_line_length(), 1000 + LINE_OVERHEAD);
    /// ```
    pub fn max_line_length(&self) -> usize {
        self.config.max_line_length
    }

    /// The largest event accepted (see
    /// [`SseDecoderBuilder::max_event_size`]).
    ///
    /// ```
    /// assert_eq!(pushcodec::sse::SseDecoder::new().max_event_size(), 32 << 20);
    /// ```
    pub fn max_event_size(&self) -> usize {
        self.config.max_event_size
    }

    /// Whether comment lines are reported (see
    /// [`SseDecoderBuilder::emit_comments`]).
    ///
    /// ```
    /// assert!(!pushcodec::sse::SseDecoder::new().emit_comments());
    /// ```
    pub fn emit_comments(&self) -> bool {
        self.config.emit_comments
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
    /// with its LF separators, plus the event type, as received); never
    /// more than `max_event_size`.
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
        rules::event_size(
            self.event.data.len().unwrap_or(0),
            self.event.event_type.as_ref().map_or(0, Val::len),
        )
    }

    /// Starts over for a new stream, keeping the configuration and the last
    /// event ID (see [`SseDecoderBuilder::last_event_id`]).
    fn reset_stream(&mut self) {
        self.phase = Phase::StreamStart;
        self.skip = 0;
        self.line_number = 0;
        self.drop_event();
        self.event.skipping = false;
        self.event.id = None;
    }

    /// Forgets the data and event type buffers (recycling joined storage).
    fn drop_event(&mut self) {
        self.event.event_type = None;
        if let Data::Joined { buf, reused } = std::mem::take(&mut self.event.data) {
            self.joiner.recycle(buf, reused);
        }
    }

    /// Fails the current event: it is discarded up to the next blank line.
    fn event_too_large(&mut self, size: usize) -> DecodeError {
        self.drop_event();
        self.event.skipping = true;
        DecodeError::EventTooLarge {
            line: self.line_number,
            size,
            max: self.config.max_event_size,
        }
    }

    /// Largest buffer kept unconsumed between calls while an event is
    /// incomplete (its values stay ranges of it): `HOLD_MAX`, and never
    /// more than a line may be.
    #[inline(always)]
    fn hold_max(&self) -> usize {
        HOLD_MAX.min(self.config.max_line_length)
    }

    /// Checks the event size the buffers would reach (`rules::event_size`).
    #[inline]
    fn check_size(&mut self, data: usize, event_type: usize) -> Result<(), DecodeError> {
        let size = rules::event_size(data, event_type);
        if size > self.config.max_event_size {
            return Err(self.event_too_large(size));
        }
        Ok(())
    }

    /// §9.2.6 "Lines must be processed, in the order they are received":
    /// processes the complete lines of `buf` until one yields something to
    /// hand out; returns that and the bytes of `buf` consumed. Values are
    /// kept as ranges of `buf`.
    #[inline(always)]
    fn process_lines(&mut self, buf: &[u8]) -> (Result<Step, DecodeError>, usize) {
        let start = if self.skip <= buf.len() {
            self.skip
        } else {
            // A caller that consumed bytes it was not handed: the values that
            // were ranges of them are gone; start over at the buffer's start.
            self.event.drop_ranges();
            self.phase = Phase::LineStart;
            0
        };
        let max = self.config.max_line_length;
        let mut lines = Lines::new(buf, start, self.phase, self.scanned, max);
        let step = self.take_lines(buf, &mut lines);
        self.phase = lines.phase();
        self.scanned = lines.scanned();
        (step, lines.consumed())
    }

    /// The loop of [`SseDecoder::process_lines`].
    #[inline(always)]
    fn take_lines(&mut self, buf: &[u8], lines: &mut Lines<'_>) -> Result<Step, DecodeError> {
        loop {
            let line = match lines.next_line() {
                Next::Line(line) => line,
                Next::NeedMore => return Ok(Step::NeedMore),
                Next::TooLong(length) => {
                    self.line_number += 1;
                    self.drop_event();
                    self.event.skipping = true;
                    return Err(DecodeError::LineTooLong {
                        line: self.line_number,
                        length,
                        max: self.config.max_line_length,
                    });
                }
            };
            self.line_number += 1;
            // "If the line is empty (a blank line): Dispatch the event".
            if line.is_empty() {
                // (A skipped event has an empty data buffer.)
                self.event.skipping = false;
                if !matches!(self.event.data, Data::Empty) {
                    return Ok(Step::Dispatch);
                }
                self.dispatch_nothing(buf);
                continue;
            }
            let at = line.start;
            let shift = |r: Range<usize>| at + r.start..at + r.end;
            match rules::field(&buf[line]) {
                Field::Comment(text) => {
                    if self.config.emit_comments {
                        return Ok(Step::Comment(shift(text)));
                    }
                }
                Field::Data(value) => {
                    if !self.event.skipping {
                        self.append_data(shift(value), buf)?;
                    }
                }
                Field::Event(value) => {
                    if !self.event.skipping {
                        let data = self.event.data.len().unwrap_or(0);
                        self.check_size(data, value.len())?;
                        self.event.event_type = Some(Val::Range(shift(value)));
                    }
                }
                Field::Id(value) => {
                    let value = shift(value);
                    if rules::accepts_id(&buf[value.clone()]) {
                        self.event.id = Some(Val::Range(value));
                    }
                }
                Field::Retry(value) => {
                    if let Some(ms) = rules::retry_millis(&buf[shift(value)]) {
                        return Ok(Step::Retry(Duration::from_millis(ms)));
                    }
                }
                Field::Ignored => {}
            }
        }
    }

    /// §9.2.6 "If the field name is data": appends `value` (a range of
    /// `buf`) and, as a separator before the next one, an LF.
    #[inline]
    fn append_data(&mut self, value: Range<usize>, buf: &[u8]) -> Result<(), DecodeError> {
        let type_len = self.event.event_type.as_ref().map_or(0, Val::len);
        let data_len = rules::data_len_after(self.event.data.len(), value.len());
        self.check_size(data_len, type_len)?;
        match &mut self.event.data {
            data @ Data::Empty => *data = Data::One(Val::Range(value)),
            Data::One(first) => {
                let (mut joined, reused) = self.joiner.take(data_len, self.config.max_event_size);
                joined.extend_from_slice(first.bytes(buf));
                joined.extend_from_slice(b"\n");
                push_value(&mut joined, reused, buf, value);
                self.event.data = Data::Joined {
                    buf: joined,
                    reused,
                };
            }
            // The common case of a multi-line event: append in place.
            Data::Joined {
                buf: joined,
                reused,
            } => {
                if !*reused {
                    joined.extend_from_slice(b"\n");
                }
                push_value(joined, *reused, buf, value);
            }
        }
        Ok(())
    }

    /// §9.2.6 "dispatch the event" steps 1–2 for a blank line with an empty
    /// data buffer: the last event ID string is set (step 1), the event
    /// type buffer reset, and nothing is dispatched (step 2).
    fn dispatch_nothing(&mut self, buf: &[u8]) {
        self.set_last_event_id(buf);
        self.event.event_type = None;
    }

    /// Dispatch step 1: "Set the last event ID string of the event source
    /// to the value of the last event ID buffer. The buffer does not get
    /// reset" (`None` stands for "unchanged").
    #[inline(always)]
    fn set_last_event_id(&mut self, buf: &[u8]) {
        if let Some(id) = self.event.id.take() {
            id.set_text(&mut self.last_event_id, buf);
        }
    }

    /// §9.2.6 "dispatch the event", steps 1 and 3–7, for a blank line with
    /// a non-empty data buffer: builds the event (decoding each value once)
    /// and consumes `src[..pos]`.
    #[inline(always)]
    fn dispatch(&mut self, src: &mut BytesMut, pos: usize) -> Result<Option<SseItem>, DecodeError> {
        // Long values become slices of the consumed bytes, split off once
        // (`settle`); when there is none, short values are copied straight
        // from the buffer, which is then only advanced.
        let split = self.event.has_long_range();
        if split {
            self.settle(src, pos, None);
        }
        let buf: &[u8] = if split { &[] } else { src };
        // The consumed bytes are advanced past at the end of the read (a
        // call that returns `Ok(None)`), or were split off above.
        self.skip = if split { 0 } else { pos };
        // Decoding may make the event longer than the bytes checked line by
        // line (U+FFFD, 3 bytes, for as little as 1), so the limit is checked
        // again on the text, unless even that cannot exceed it (the usual
        // case; then each value is decoded straight into its place in the
        // returned event: a value built and then moved whole costs a
        // store-forwarding stall per move; BENCHMARKS.md, token events).
        let raw = rules::event_size(
            self.event.data.len().unwrap_or(0),
            self.event.event_type.as_ref().map_or(0, Val::len),
        );
        if raw.saturating_mul(3) <= self.config.max_event_size {
            return Ok(Some(SseItem::Event(Event {
                event_type: self.take_event_type(buf),
                data: self.take_data(buf),
                last_event_id: self.take_last_event_id(buf),
            })));
        }
        let typed = self.event.event_type.as_ref().is_some_and(|t| t.len() > 0);
        let event = Event {
            event_type: self.take_event_type(buf),
            data: self.take_data(buf),
            last_event_id: self.take_last_event_id(buf),
        };
        let type_len = if typed { event.event_type.len() } else { 0 };
        let size = rules::event_size(event.data.len(), type_len);
        if size > self.config.max_event_size {
            return Err(DecodeError::EventTooLarge {
                line: self.line_number,
                size,
                max: self.config.max_event_size,
            });
        }
        Ok(Some(SseItem::Event(event)))
    }

    /// Dispatch steps 5–6: the event's type, `message` unless the event
    /// type buffer is not empty; step 7 resets the buffer.
    #[inline(always)]
    fn take_event_type(&mut self, buf: &[u8]) -> Utf8Bytes {
        match self.event.event_type.take() {
            Some(t) if t.len() > 0 => t.text(buf),
            _ => Utf8Bytes::from_static(rules::DEFAULT_EVENT_TYPE),
        }
    }

    /// Dispatch steps 3 and 5: the event's data (the trailing LF was never
    /// stored); step 7 resets the buffer.
    #[inline(always)]
    fn take_data(&mut self, buf: &[u8]) -> Utf8Bytes {
        match std::mem::take(&mut self.event.data) {
            Data::One(v) => v.text(buf),
            // Every line as received: one UTF-8 check for all of them (the
            // lossy decoding of joined lines is that of each line, joined:
            // LF is ASCII).
            Data::Joined {
                buf: joined,
                reused,
            } => Utf8Bytes::from_utf8_lossy(self.joiner.finish(joined, reused)),
            // (Only a non-empty data buffer dispatches: `dispatch_nothing`.)
            Data::Empty => Utf8Bytes::default(),
        }
    }

    /// Dispatch steps 1 and 5: the event carries the last event ID string.
    #[inline(always)]
    fn take_last_event_id(&mut self, buf: &[u8]) -> Utf8Bytes {
        self.set_last_event_id(buf);
        self.last_event_id.clone()
    }

    /// Consumes `src[..pos]` at the end of a call that dispatched nothing:
    /// every value still a range of it is copied (short) or split off as
    /// one `Bytes` the long ones become slices of; when none is long, the
    /// buffer is only advanced (no reference counting, and it stays
    /// unshared, so `BytesMut` can reuse it). `extra` (a comment's text)
    /// is settled with them and returned decoded.
    fn settle(
        &mut self,
        src: &mut BytesMut,
        pos: usize,
        mut extra: Option<Val>,
    ) -> Option<Utf8Bytes> {
        self.skip = 0;
        if pos == 0 {
            // Nothing consumed: no value is a range (a line was consumed for
            // each), and `extra` comes with a consumed line.
            return None;
        }
        let event = &mut self.event;
        let mut long = copy_if_short(event.id.as_mut(), src)
            + copy_if_short(event.event_type.as_mut(), src)
            + copy_if_short(event.data.one_mut(), src)
            + copy_if_short(extra.as_mut(), src);
        if long == 0 {
            src.advance(pos);
        } else {
            self.split_front = pos >= RECLAIM_AFTER;
            let mut chunk = Some(src.split_to(pos).freeze());
            for v in [
                event.id.as_mut(),
                event.event_type.as_mut(),
                event.data.one_mut(),
                extra.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if let Val::Range(r) = v {
                    *v = Val::Shared(chunk_slice(&mut chunk, r.clone(), &mut long));
                }
            }
        }
        extra.map(|v| v.text(&[]))
    }
}

/// Configuration of an [`SseDecoder`].
///
/// ```
/// let dec = pushcodec::sse::SseDecoder::builder().max_line_length(4096).build();
/// assert_eq!(dec.max_line_length(), 4096);
/// ```
#[derive(Debug, Clone)]
pub struct SseDecoderBuilder {
    /// `None`: the event limit plus `LINE_OVERHEAD`.
    max_line_length: Option<usize>,
    max_event_size: usize,
    emit_comments: bool,
    last_event_id: Utf8Bytes,
}

impl SseDecoderBuilder {
    /// Longest accepted line in bytes, line end excluded. By default it
    /// follows the event limit: [`max_event_size`](Self::max_event_size)
    /// plus [`LINE_OVERHEAD`] (the `event: ` prefix), so that a line is never
    /// refused while its value fits in an event. A longer line is reported
    /// as [`DecodeError::LineTooLong`] as soon as that many bytes are
    /// buffered without a line end (so an endless line cannot eat memory),
    /// and skipped with its event.
    ///
    /// Set it lower only to refuse long lines of fields that do not count
    /// towards the event size (comments, `id`, unknown fields) earlier.
    ///
    /// ```
    /// let b = pushcodec::sse::SseDecoder::builder().max_line_length(1024);
    /// assert_eq!(b.build().max_line_length(), 1024);
    /// ```
    pub fn max_line_length(mut self, max: usize) -> Self {
        self.max_line_length = Some(max);
        self
    }

    /// Largest accepted event in bytes: its data lines joined with LF plus
    /// its event type (default [`DEFAULT_MAX_EVENT_SIZE`], 32 MiB, enough
    /// for the base64 images of LLM image-generation streams). A larger one
    /// is [`DecodeError::EventTooLarge`], raised at the line that makes it
    /// too large; the rest of the event is skipped up to its blank line.
    ///
    /// The limit counts the bytes as received. Invalid UTF-8 is decoded to
    /// U+FFFD (3 bytes for as little as 1) when the event is built; an
    /// event whose decoded text exceeds the limit is refused then, at its
    /// blank line.
    ///
    /// ```
    /// let b = pushcodec::sse::SseDecoder::builder().max_event_size(1 << 16);
    /// assert_eq!(b.build().max_event_size(), 1 << 16);
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
    /// assert!(b.build().emit_comments());
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
        let max_line_length = self
            .max_line_length
            .unwrap_or_else(|| self.max_event_size.saturating_add(LINE_OVERHEAD));
        SseDecoder {
            config: Config {
                max_line_length,
                max_event_size: self.max_event_size,
                emit_comments: self.emit_comments,
            },
            phase: Phase::StreamStart,
            scanned: 0,
            skip: 0,
            split_front: false,
            line_number: 0,
            event: PendingEvent::default(),
            last_event_id: self.last_event_id,
            joiner: Joiner::default(),
        }
    }
}

impl Decoder for SseDecoder {
    type Item = SseItem;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<SseItem>, DecodeError> {
        if self.split_front {
            self.split_front = false;
            reclaim_front(src);
        }
        if self.phase == Phase::InLine {
            // (Held lines count towards what the buffer may hold.)
            let max = if self.skip == 0 {
                self.config.max_line_length
            } else {
                self.hold_max()
            };
            if let Some(scanned) = line::still_in_line(src, self.skip, self.scanned, max) {
                // Still inside the same line: nothing to do yet.
                self.scanned = scanned;
                return Ok(None);
            }
        }
        self.decode_lines(src)
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

impl SseDecoder {
    /// The body of `decode`: processes lines until one yields an item (kept
    /// out of line, so that a call with nothing to do stays small).
    #[inline(never)]
    fn decode_lines(&mut self, src: &mut BytesMut) -> Result<Option<SseItem>, DecodeError> {
        let (step, pos) = self.process_lines(src);
        let comment = match step {
            Ok(Step::Dispatch) => return self.dispatch(src, pos),
            Ok(Step::Comment(ref text)) => Some(Val::Range(text.clone())),
            _ => None,
        };
        if matches!(step, Ok(Step::NeedMore))
            && self.event.has_ranges()
            && src.len() <= self.hold_max()
        {
            // Mid-event in small reads: the values stay ranges of the buffer
            // (no copy, no advance) until the event is complete; only while
            // the buffer is small, so that holding never raises the bound on
            // what it holds (comments or unknown fields between the lines
            // of an event would otherwise keep it growing).
            self.skip = pos;
            return Ok(None);
        }
        let comment = self.settle(src, pos, comment);
        Ok(match step? {
            Step::NeedMore | Step::Dispatch => None,
            Step::Retry(d) => Some(SseItem::Retry(d)),
            Step::Comment(_) => Some(SseItem::Comment(comment.unwrap_or_default())),
        })
    }
}

#[cfg(test)]
mod tests;
