//! The fast path of [`SseDecoder`]: one complete "simple" event decoded
//! straight from the read buffer, with no intermediate state.
//!
//! ```text
//!   id: 41\n  event: token\n  data: {"t":"hi"}\n  \n
//!   └──────── short ASCII lines of known fields ──┘ └ blank: dispatch
//!            → Event { values copied inline }, buffer advanced (not split)
//! ```
//!
//! Most events of a token stream are a few short ASCII lines: at most one
//! `data` line, `id` and `event`, each value within
//! [`Utf8Bytes::INLINE_CAPACITY`]. Such an event is decoded here in one pass
//! over its lines, each scanned a word at a time (which also proves it
//! ASCII, so no UTF-8 check is needed), and its values are copied inline.
//! Anything else (a comment, `retry`, an unknown field, a second `data`
//! line, a long or non-ASCII value, a CR at the end of the buffer, an
//! incomplete event, a block without data, a pending limit) makes it return
//! `None` having changed nothing, and the general line-by-line path
//! (`decoder.rs`) decodes the same bytes. The two paths are checked against
//! each other on generated streams (`decoder_tests.rs`,
//! `simple_event_path_agrees_with_the_general_path`).
//!
//! Measured (callgrind, SSE token events in 4 KiB reads, instructions per
//! event inside `decode`): 1,322 on the general path; see `BENCHMARKS.md` for
//! the figure with this path and the ratios.

use super::{DataBuffer, SseDecoder};
use crate::sse::event::Event;
use crate::sse::line::find_line_end_within;
use crate::Utf8Bytes;
use bytes::{Buf, BytesMut};
use std::ops::Range;

/// Longest line the fast path takes: `event: ` plus a value of
/// `INLINE_CAPACITY` bytes fits; scanned a word at a time throughout.
const MAX_SIMPLE_LINE: usize = 48;

impl SseDecoder {
    /// Decodes one simple event from the start of `src` (see the module
    /// docs), or returns `None` without changing anything.
    pub(super) fn simple_event(&mut self, src: &mut BytesMut) -> Option<Event> {
        if !self.simple_path
            || self.held != 0
            || !matches!(self.data, DataBuffer::Empty)
            || self.event_type.is_some()
            || self.last_event_id_buffer.is_some()
            || self.skipping_event
            || !self.lines.is_idle()
        {
            return None;
        }
        let buf: &[u8] = src;
        let mut pos = 0;
        let mut lines = 0u64;
        let mut data: Option<Range<usize>> = None;
        let mut event_type: Option<Range<usize>> = None;
        let mut id: Option<Range<usize>> = None;
        loop {
            let rest = &buf[pos..];
            // §9.2.6 lines end in CRLF, LF or CR; only known-ASCII lines.
            let (Some(len), true) = find_line_end_within::<MAX_SIMPLE_LINE>(rest) else {
                return None;
            };
            if len > self.max_line_length {
                return None;
            }
            let mut next = pos + len + 1;
            if rest[len] == b'\r' {
                match rest.get(len + 1) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    // The LF may still come: the general path remembers.
                    None => return None,
                }
            }
            lines += 1;
            let line = &rest[..len];
            if line.is_empty() {
                // "If the line is empty": dispatch; without data the
                // general path runs dispatch steps 1–2 (an id-only block).
                let data = data?;
                let size = data.len() + event_type.as_ref().map_or(0, Range::len);
                if size > self.max_event_size {
                    return None;
                }
                let event = Event {
                    event_type: match event_type {
                        Some(r) if !r.is_empty() => inline(buf, r),
                        _ => Utf8Bytes::from_static("message"),
                    },
                    data: inline(buf, data),
                    last_event_id: match id {
                        Some(r) => {
                            self.last_event_id = inline(buf, r);
                            self.last_event_id.clone()
                        }
                        None => self.last_event_id.clone(),
                    },
                };
                self.line_number += lines;
                src.advance(next);
                return Some(event);
            }
            // §9.2.6 field split: name up to the first ':', one space
            // dropped; these three names hold no ':'.
            let (name_len, slot) = match line[0] {
                b'd' if line.starts_with(b"data:") => {
                    if data.is_some() {
                        return None; // multi-line data: the general path joins
                    }
                    (4, &mut data)
                }
                b'i' if line.starts_with(b"id:") => (2, &mut id),
                b'e' if line.starts_with(b"event:") => (5, &mut event_type),
                _ => return None,
            };
            let mut start = name_len + 1;
            if line.get(start) == Some(&b' ') {
                start += 1;
            }
            let value = &line[start..];
            // An `id` holding NUL is ignored (§9.2.6): left to the general path.
            // A plain loop: `contains` calls `memchr`, slower on 1–38 bytes
            // (callgrind: 32 instructions per token event).
            #[allow(clippy::manual_contains)]
            if value.len() > Utf8Bytes::INLINE_CAPACITY
                || (name_len == 2 && value.iter().any(|&b| b == 0))
            {
                return None;
            }
            *slot = Some(pos + start..pos + len);
            pos = next;
        }
    }
}

/// `buf[r]` held inline; the caller has checked it is ASCII and short.
#[inline]
fn inline(buf: &[u8], r: Range<usize>) -> Utf8Bytes {
    Utf8Bytes::inline_from_window(buf, r.start, r.len())
}
