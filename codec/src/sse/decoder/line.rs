//! The line layer: splits the byte stream into lines (§9.2.6, §9.2.5
//! `end-of-line = ( cr lf / cr / lf )`), however it is cut into reads.
//!
//! ```text
//!   reads:   | d a t a : x \r | \n d a t a ... |
//!   lines:   "data:x"         (CR ends the line at once; the LF that opens
//!                              the next read is dropped: CRLF is one end)
//! ```
//!
//! * Lines are found by `scan.rs`; the scan of an unterminated line resumes
//!   where the previous call stopped ([`Phase::InLine`], as tokio-util's
//!   `LinesCodec::next_index` does), so a line arriving in many reads is
//!   scanned once: linear time.
//! * A CR is a line end as soon as it is seen (a line is never held back
//!   waiting for the next read); [`Phase::AfterCr`] remembers to drop an LF
//!   that starts the next read.
//! * A line longer than `max_line_length` is reported once and discarded up
//!   to its line end ([`Phase::Discarding`]), so the buffer never holds
//!   more than `max_line_length` bytes of an unterminated line.
//! * The stream's first bytes may be a BOM, also split across reads
//!   ([`Phase::StreamStart`]).

use super::rules::{self, Bom};
use super::scan::LineEnds;
use std::ops::Range;

/// Where in the byte stream the read buffer starts (its first byte is the
/// next one the decoder has not consumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Nothing of the stream consumed yet: a BOM may come first.
    StreamStart,
    /// At the start of a line.
    LineStart,
    /// The previous line ended in a CR that was the last byte then
    /// buffered: an LF first is the second half of that CRLF.
    AfterCr,
    /// Inside a line, the first bytes of which hold no CR or LF (how many:
    /// the `scanned` count kept with the phase).
    InLine,
    /// Inside a line already reported as too long: dropped up to its end.
    Discarding,
}

/// What [`next_line`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// A complete line (its range in the buffer, line end excluded).
    Line(Range<usize>),
    /// No complete line left in the buffer.
    NeedMore,
    /// A line longer than the limit: bytes of it seen so far (a lower bound
    /// when it is still unterminated). It is dropped.
    TooLong(usize),
}

/// §9.2.6 "Lines must be separated by either a U+000D CARRIAGE RETURN
/// U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF)
/// character, or a single U+000D CARRIAGE RETURN (CR) character": for the
/// line end at `buf[at]`, the position after it and the phase that follows.
/// A CR that is the last byte buffered ends its line at once; whether an LF
/// follows is decided by the next read ([`Phase::AfterCr`]).
#[inline(always)]
fn line_end(buf: &[u8], at: usize) -> (usize, Phase) {
    if buf[at] == b'\r' {
        match buf.get(at + 1) {
            Some(b'\n') => (at + 2, Phase::LineStart),
            Some(_) => (at + 1, Phase::LineStart),
            None => (at + 1, Phase::AfterCr),
        }
    } else {
        (at + 1, Phase::LineStart)
    }
}

/// For a call that starts inside a line (`Phase::InLine`: the line starts
/// at `start`, its first `scanned` bytes hold no CR or LF) and got only a
/// few more bytes: the new `scanned` count if none of them is a line end
/// and the buffer stays within `max` bytes (so there is nothing to do until
/// more bytes arrive), else `None` (let [`Lines`] look). Small reads of a
/// long line cost a few byte compares each.
#[inline(always)]
pub(crate) fn still_in_line(buf: &[u8], start: usize, scanned: usize, max: usize) -> Option<usize> {
    let new = buf.get(start.checked_add(scanned)?..)?;
    if new.len() > 16 || buf.len() > max {
        return None;
    }
    if new.iter().any(|&b| b == b'\n' || b == b'\r') {
        return None;
    }
    Some(buf.len() - start)
}

/// The lines of one read buffer, for one `decode` call: a cursor that
/// starts where the previous call left the stream (`Phase`) and ends where
/// this one leaves it ([`Lines::finish`]).
pub(crate) struct Lines<'a> {
    buf: &'a [u8],
    /// Bytes of `buf` consumed: the next line starts here.
    pos: usize,
    /// What the bytes at `pos` are (only `LineStart` once the first line
    /// of the call is found, until the call ends in another phase).
    phase: Phase,
    /// In `Phase::InLine`: bytes from `pos` known to hold no CR or LF.
    scanned: usize,
    max_line_length: usize,
    ends: LineEnds<'a>,
}

impl<'a> Lines<'a> {
    /// `phase` and `scanned`: as the previous call left them
    /// ([`Lines::phase`], [`Lines::scanned`]).
    /// The cursor starts at `start` (bytes before it are consumed).
    #[inline(always)]
    pub(crate) fn new(
        buf: &'a [u8],
        start: usize,
        phase: Phase,
        scanned: usize,
        max_line_length: usize,
    ) -> Self {
        Lines {
            buf,
            pos: start,
            phase,
            scanned,
            max_line_length,
            ends: LineEnds::new(buf),
        }
    }

    /// Bytes consumed so far (lines taken, and bytes that need not be kept:
    /// a BOM, the LF of a split CRLF, the discarded part of an over-long
    /// line), and the phase the stream is in after them. The caller
    /// consumes `buf[..consumed]` before the next call, so the phase then
    /// applies at the buffer's start.
    #[cfg(test)]
    fn finish(&self) -> (usize, Phase) {
        (self.pos, self.phase)
    }

    /// Bytes consumed so far (see [`Lines::finish`]).
    #[inline(always)]
    pub(crate) fn consumed(&self) -> usize {
        self.pos
    }

    /// The phase after them (see [`Lines::finish`]).
    #[inline(always)]
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// In [`Phase::InLine`]: bytes of the line scanned (no CR or LF).
    #[inline(always)]
    pub(crate) fn scanned(&self) -> usize {
        self.scanned
    }

    /// The next line.
    #[inline(always)]
    pub(crate) fn next_line(&mut self) -> Next {
        if self.phase != Phase::LineStart {
            return self.next_line_slow();
        }
        let start = self.pos;
        match self.ends.find(start) {
            Some(end) => self.complete(start, end),
            None => self.incomplete(start),
        }
    }

    /// A line `buf[start..end]` whose line end is at `end`.
    #[inline(always)]
    fn complete(&mut self, start: usize, end: usize) -> Next {
        (self.pos, self.phase) = line_end(self.buf, end);
        if end - start > self.max_line_length {
            return Next::TooLong(end - start);
        }
        Next::Line(start..end)
    }

    /// No line end after `start`: the line continues in the next read.
    #[inline]
    fn incomplete(&mut self, start: usize) -> Next {
        let len = self.buf.len() - start;
        if len > self.max_line_length {
            self.pos = self.buf.len();
            self.phase = Phase::Discarding;
            return Next::TooLong(len);
        }
        self.phase = Phase::InLine;
        self.scanned = len;
        Next::NeedMore
    }

    /// The first line of a call that starts in another phase than
    /// `LineStart`.
    #[inline(never)]
    fn next_line_slow(&mut self) -> Next {
        loop {
            match self.phase {
                Phase::LineStart => return self.next_line(),
                Phase::InLine => {
                    let start = self.pos;
                    // (Past the end: a caller that shortened the buffer.)
                    let from = (start + self.scanned).min(self.buf.len());
                    return match self.ends.find(from) {
                        Some(end) => self.complete(start, end),
                        None => self.incomplete(start),
                    };
                }
                Phase::StreamStart => {
                    match rules::bom(&self.buf[self.pos..]) {
                        Bom::Incomplete => return Next::NeedMore,
                        Bom::Present => self.pos += rules::BOM.len(),
                        Bom::Absent => {}
                    }
                    self.phase = Phase::LineStart;
                }
                Phase::AfterCr => {
                    match self.buf.get(self.pos) {
                        None => return Next::NeedMore,
                        Some(b'\n') => self.pos += 1,
                        Some(_) => {}
                    }
                    self.phase = Phase::LineStart;
                }
                Phase::Discarding => {
                    let Some(end) = self.ends.find(self.pos) else {
                        self.pos = self.buf.len();
                        return Next::NeedMore;
                    };
                    (self.pos, self.phase) = line_end(self.buf, end);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{Buf, BytesMut};

    /// Feeds `chunks` one read at a time; collects lines and errors.
    fn lines_of(chunks: &[&[u8]], max: usize) -> Vec<Result<Vec<u8>, usize>> {
        let mut phase = Phase::LineStart;
        let mut scanned = 0;
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for c in chunks {
            buf.extend_from_slice(c);
            loop {
                let mut lines = Lines::new(&buf, 0, phase, scanned, max);
                let next = lines.next_line();
                let pos;
                (pos, phase) = lines.finish();
                scanned = lines.scanned();
                let done = match next {
                    Next::Line(r) => {
                        out.push(Ok(buf[r].to_vec()));
                        false
                    }
                    Next::TooLong(n) => {
                        out.push(Err(n));
                        false
                    }
                    Next::NeedMore => true,
                };
                buf.advance(pos);
                if done {
                    break;
                }
            }
        }
        out
    }

    fn ok(s: &str) -> Result<Vec<u8>, usize> {
        Ok(s.as_bytes().to_vec())
    }

    /// §9.2.6: lines end in CRLF, a lone LF or a lone CR.
    #[test]
    fn lines_end_in_crlf_lf_or_cr() {
        assert_eq!(
            lines_of(&[b"a\r\nb\nc\rd\n"], 100),
            vec![ok("a"), ok("b"), ok("c"), ok("d")]
        );
    }

    /// §9.2.6: a CR at the end of one read and an LF at the start of the next
    /// are one CRLF line end, not two; and the CR ends its line at once.
    #[test]
    fn cr_at_end_of_read_and_lf_at_start_of_next_are_one_line_end() {
        assert_eq!(lines_of(&[b"a\r", b"\nb\n"], 100), vec![ok("a"), ok("b")]);
        assert_eq!(lines_of(&[b"a\r"], 100), vec![ok("a")]);
    }

    /// §9.2.6: CR CR is two line ends (an empty line between).
    #[test]
    fn cr_cr_is_two_line_ends() {
        assert_eq!(
            lines_of(&[b"a\r", b"\rb\n"], 100),
            vec![ok("a"), ok(""), ok("b")]
        );
        assert_eq!(lines_of(&[b"a\n\r\n"], 100), vec![ok("a"), ok("")]);
    }

    /// A BOM is skipped at the start of the stream only, even when split.
    #[test]
    fn bom_is_skipped_at_stream_start_only() {
        let mut lines = Lines::new(b"\xEF\xBB", 0, Phase::StreamStart, 0, 9);
        assert_eq!(lines.next_line(), Next::NeedMore);
        assert_eq!(lines.finish(), (0, Phase::StreamStart));
        let mut lines = Lines::new(
            b"\xEF\xBB\xBFa\n\xEF\xBB\xBFb\n",
            0,
            Phase::StreamStart,
            0,
            9,
        );
        assert_eq!(lines.next_line(), Next::Line(3..4));
        assert_eq!(lines.next_line(), Next::Line(5..9));
    }

    /// Limits: a line longer than max_line_length is reported once and
    /// skipped up to its line end, whether it arrives in one read or many.
    #[test]
    fn max_line_length_reports_and_skips_the_line() {
        let want = vec![ok("ab"), Err(5), ok("cd")];
        assert_eq!(lines_of(&[b"ab\nabcde\ncd\n"], 4), want);
        let split = lines_of(&[b"ab\nab", b"cde", b"fgh", b"\ncd\n"], 4);
        assert_eq!(split, vec![ok("ab"), Err(5), ok("cd")]);
        // Exactly max_line_length bytes is allowed.
        assert_eq!(lines_of(&[b"abcd", b"\n"], 4), vec![ok("abcd")]);
    }

    /// Linear time: a line delivered in many reads is scanned once, not from
    /// its start on every read (8 MiB in 1 KiB reads).
    #[test]
    fn split_line_is_never_rescanned_from_its_start() {
        let total = 8 << 20;
        let mut phase = Phase::LineStart;
        let mut scanned = 0;
        let mut buf = BytesMut::new();
        let chunk = [b'x'; 1024];
        super::super::scan::scanned_reset();
        for _ in 0..total / 1024 {
            buf.extend_from_slice(&chunk);
            let mut lines = Lines::new(&buf, 0, phase, scanned, total);
            assert_eq!(lines.next_line(), Next::NeedMore);
            let pos;
            (pos, phase) = lines.finish();
            scanned = lines.scanned();
            assert_eq!(pos, 0);
        }
        buf.extend_from_slice(b"\n");
        let mut lines = Lines::new(&buf, 0, phase, scanned, total);
        assert_eq!(lines.next_line(), Next::Line(0..total));
        // A rescanning splitter would examine ~ total^2 / 2048 = 32 GiB.
        let scanned = super::super::scan::scanned_reset();
        assert!(
            scanned <= total + 1 + 64 * (total / 1024),
            "{scanned} bytes scanned"
        );
    }

    /// Discard mode keeps the buffer bounded by the limit.
    #[test]
    fn discard_mode_keeps_the_buffer_bounded() {
        let mut phase = Phase::LineStart;
        let mut scanned = 0;
        let mut buf = BytesMut::new();
        let mut errors = 0;
        for _ in 0..100 {
            buf.extend_from_slice(b"0123456789");
            let mut lines = Lines::new(&buf, 0, phase, scanned, 8);
            let next = lines.next_line();
            let pos;
            (pos, phase) = lines.finish();
            scanned = lines.scanned();
            match next {
                Next::TooLong(_) => errors += 1,
                Next::NeedMore => {}
                Next::Line(_) => panic!("no line yet"),
            }
            buf.advance(pos);
            assert!(buf.len() <= 8);
        }
        assert_eq!(errors, 1);
        assert_eq!(
            lines_of(&[b"0123456789\r", b"\nok\n"], 8),
            vec![Err(10), ok("ok")]
        );
    }
}
