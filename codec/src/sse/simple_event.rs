//! The fast path of [`SseDecoder`]: one complete event decoded straight
//! from the read buffer in one pass over its lines, with no intermediate
//! state.
//!
//! ```text
//!   id: 41\n  event: token\n  data: {"t":"hi"}\n  \n
//!   └── data / id / event lines (others ignored) ─┘ └ blank: dispatch
//!   short values → copied inline;  one long data line → a slice of the
//!   buffer;  several data lines → joined in the decoder's data buffer
//! ```
//!
//! Most events are a few `data`, `id` and `event` lines already complete in
//! the buffer. Such an event is decoded here in one pass: lines are scanned
//! a word at a time where short (which also proves them ASCII, so they need
//! no UTF-8 check), short values are copied inline and the buffer is
//! advanced past the event (no reference counting), a single long data
//! value becomes a slice of the buffer, and several data lines are appended
//! to the decoder's reusable data buffer (one UTF-8 check for all of them).
//! Comments (when not reported) and unknown fields are ignored as §9.2.6
//! says. Anything else — an incomplete event, `retry`, a reported comment, a
//! CR at the end of the buffer, a block without data, a line or event over
//! its limit, an `id` with NUL, invalid UTF-8, state left by an earlier call
//! — makes it return `None` having consumed nothing, and the general
//! line-by-line path (`decoder.rs`) decodes the same bytes. The two paths
//! are checked against each other on generated streams
//! (`decoder_tests.rs`, `simple_event_path_agrees_with_the_general_path`).
//!
//! Measured with callgrind (instructions per event inside `decode`, every
//! event on this path): token events 1,322 → 796, 20-line events 12,483 →
//! ~6,400; ratios to the peers in `BENCHMARKS.md`.

use super::{is_utf8, DataBuffer, SseDecoder};
use crate::sse::event::Event;
use crate::sse::scan::LineEnds;
use crate::Utf8Bytes;
use bytes::{Buf, BufMut, BytesMut};
use std::ops::Range;

/// Why the fast path returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// The buffer ends before the event's blank line; every line so far was
    /// one the fast path takes.
    Incomplete,
    /// Something only the general path handles.
    Bail,
}

/// The data of the event being assembled by the fast path.
enum Data {
    None,
    /// One `data` line: its value's range in the buffer.
    One(Range<usize>),
    /// Several: joined with LF in the decoder's data buffer.
    Joined(BytesMut),
}

impl SseDecoder {
    /// Decodes one complete event from the start of `src` (see the module
    /// docs). `Err(Stop::Incomplete)`: no blank line yet, and nothing in the
    /// buffer the general path would act on before it; `Err(Stop::Bail)`:
    /// leave these bytes to the general path. Either way nothing was
    /// consumed.
    pub(super) fn simple_event(&mut self, src: &mut BytesMut) -> Result<Event, Stop> {
        if !self.simple_path
            || self.held != 0
            || !matches!(self.data, DataBuffer::Empty)
            || self.event_type.is_some()
            || self.last_event_id_buffer.is_some()
            || self.skipping_event
            || !self.lines.is_idle()
        {
            return Err(Stop::Bail);
        }
        let mut data = Data::None;
        let event = self.scan_event(src, &mut data);
        if let Data::Joined(joined) = data {
            // Not used for an event: keep its buffer for the next one.
            self.recycle_data_buffer(joined);
        }
        event
    }

    /// The pass over the lines of `simple_event`; `data` is the data buffer
    /// in progress (handed back to the caller, which recycles it on a bail).
    fn scan_event(&mut self, src: &mut BytesMut, data: &mut Data) -> Result<Event, Stop> {
        let buf: &[u8] = src;
        let mut pos = 0;
        let mut lines = 0u64;
        let mut event_type: Option<Range<usize>> = None;
        let mut id: Option<Range<usize>> = None;
        let mut line_ends = LineEnds::new(buf);
        loop {
            let rest = &buf[pos..];
            // §9.2.6 lines end in CRLF, LF or CR.
            let (found, ascii) = line_ends.find(pos);
            let Some(end) = found else {
                return Err(if joined_invalid(data) {
                    Stop::Bail
                } else {
                    Stop::Incomplete
                });
            };
            let len = end - pos;
            if len > self.max_line_length {
                return Err(Stop::Bail);
            }
            let mut next = pos + len + 1;
            if rest[len] == b'\r' {
                match rest.get(len + 1) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    // The line is complete (a CR ends it at once) but an LF
                    // may still come: the general path remembers to drop it.
                    None => return Err(Stop::Bail),
                }
            }
            lines += 1;
            let line = &rest[..len];
            let Some(&first) = line.first() else {
                // "If the line is empty": dispatch.
                return self
                    .dispatch_simple(src, next, lines, data, event_type, id)
                    .ok_or(Stop::Bail);
            };
            // §9.2.6 field split: name up to the first ':', one space
            // dropped; these three names hold no ':'.
            let name_len = match first {
                b'd' if line.starts_with(b"data:") => 4,
                b'i' if line.starts_with(b"id:") => 2,
                b'e' if line.starts_with(b"event:") => 5,
                // A comment is ignored unless reported.
                b':' if !self.emit_comments => {
                    pos = next;
                    continue;
                }
                _ => {
                    // An unknown field is ignored; `retry`, a reported comment
                    // or a field whose name needs the general split: bail.
                    if line.starts_with(b"retry") || first == b':' || !plain_unknown(line) {
                        return Err(Stop::Bail);
                    }
                    pos = next;
                    continue;
                }
            };
            let mut start = name_len + 1;
            if line.get(start) == Some(&b' ') {
                start += 1;
            }
            let value = pos + start..pos + len;
            match name_len {
                4 => {
                    let type_len = event_type.as_ref().map_or(0, Range::len);
                    let size = match data {
                        Data::None => value.len(),
                        _ => data_len(data) + 1 + value.len(),
                    };
                    if type_len + size > self.max_event_size {
                        return Err(Stop::Bail);
                    }
                    self.add_data(buf, value, ascii, data).ok_or(Stop::Bail)?;
                }
                2 => {
                    let v = &buf[value.clone()];
                    // An `id` holding NUL is ignored (§9.2.6): left to the
                    // general path. A plain loop: `contains` calls `memchr`,
                    // slower on a few bytes (callgrind, token events).
                    #[allow(clippy::manual_contains)]
                    if v.len() > Utf8Bytes::INLINE_CAPACITY
                        || v.iter().any(|&b| b == 0)
                        || !(ascii || simdutf8::basic::from_utf8(v).is_ok())
                    {
                        return Err(Stop::Bail);
                    }
                    id = Some(value);
                }
                _ => {
                    let v = &buf[value.clone()];
                    // The general path checks the event size at every
                    // `event` and `data` line; so does this one (a later,
                    // shorter `event` must not hide an earlier excess).
                    if v.len() > Utf8Bytes::INLINE_CAPACITY
                        || data_len(data) + v.len() > self.max_event_size
                        || !(ascii || simdutf8::basic::from_utf8(v).is_ok())
                    {
                        return Err(Stop::Bail);
                    }
                    event_type = Some(value);
                }
            }
            pos = next;
        }
    }

    /// §9.2.6 "If the field name is data", for the fast path.
    fn add_data(
        &mut self,
        buf: &[u8],
        value: Range<usize>,
        ascii: bool,
        data: &mut Data,
    ) -> Option<()> {
        // Invalid UTF-8 is left to the general path: its U+FFFD text is longer
        // than the raw bytes, and the event limit counts text. (Raw bytes are
        // never longer than their text, so a raw size within the limit that
        // the text exceeds means invalid UTF-8: caught here, or for joined
        // lines by `joined_invalid` before the event is handed out or waited
        // on.)
        match data {
            Data::None => {
                let v = &buf[value.clone()];
                if !(ascii || is_utf8(v)) {
                    return None;
                }
                *data = Data::One(value);
            }
            Data::One(first) => {
                let need = first.len() + 1 + value.len();
                let mut joined = self.take_data_buffer(need);
                joined.extend_from_slice(&buf[first.clone()]);
                joined.put_u8(b'\n');
                joined.extend_from_slice(&buf[value]);
                *data = Data::Joined(joined);
            }
            Data::Joined(joined) => {
                joined.put_u8(b'\n');
                joined.extend_from_slice(&buf[value]);
            }
        }
        Some(())
    }

    /// The blank line of `scan_event`: builds the event and consumes
    /// `src[..next]`, or bails (no data, over the event limit, joined data
    /// not UTF-8).
    fn dispatch_simple(
        &mut self,
        src: &mut BytesMut,
        next: usize,
        lines: u64,
        data: &mut Data,
        event_type: Option<Range<usize>>,
        id: Option<Range<usize>>,
    ) -> Option<Event> {
        // Without data the general path runs dispatch steps 1–2 (an id-only
        // block). The size was checked line by line.
        if matches!(data, Data::None) || joined_invalid(data) {
            return None;
        }
        let buf: &[u8] = src;
        let event_type = match event_type {
            Some(r) if !r.is_empty() => inline(buf, r),
            // Steps 5–6: type `message` unless the buffer is non-empty.
            _ => Utf8Bytes::from_static("message"),
        };
        if let Some(r) = id {
            self.last_event_id = inline(buf, r);
        }
        let data = match std::mem::replace(data, Data::None) {
            Data::None => return None,
            Data::One(r) if r.len() <= Utf8Bytes::INLINE_CAPACITY => {
                let d = inline(buf, r);
                src.advance(next);
                d
            }
            Data::One(r) => {
                // A long value: a slice of the event's bytes, no copy.
                let mut chunk = src.split_to(next).freeze();
                chunk.truncate(r.end);
                chunk.advance(r.start);
                Utf8Bytes::from_bytes_unchecked(chunk)
            }
            Data::Joined(joined) => {
                src.advance(next);
                self.finish_data_buffer(joined)
            }
        };
        self.line_number += lines;
        Some(Event {
            event_type,
            data,
            last_event_id: self.last_event_id.clone(),
        })
    }
}

/// Whether joined data lines (appended unchecked, one UTF-8 check for all)
/// hold invalid UTF-8.
fn joined_invalid(data: &Data) -> bool {
    matches!(data, Data::Joined(b) if simdutf8::basic::from_utf8(b).is_err())
}

/// Length of the data buffer so far (LF separators included).
fn data_len(data: &Data) -> usize {
    match data {
        Data::None => 0,
        Data::One(r) => r.len(),
        Data::Joined(b) => b.len(),
    }
}

/// Whether an unknown-field line can be ignored without the general split:
/// its name (up to ':' or the end) is not one the decoder acts on. A line
/// `data` without ':' (empty value) is `data`, so it is not plain.
fn plain_unknown(line: &[u8]) -> bool {
    let name = match memchr::memchr(b':', line) {
        Some(colon) => &line[..colon],
        None => line,
    };
    !matches!(name, b"data" | b"id" | b"event" | b"retry")
}

/// `buf[r]` held inline; the caller has checked it is UTF-8 and short.
#[inline]
fn inline(buf: &[u8], r: Range<usize>) -> Utf8Bytes {
    Utf8Bytes::inline_from_window(buf, r.start, r.len())
}
