//! The line layer: splits the raw byte stream into lines (§9.2.6, §9.2.5
//! `end-of-line = ( cr lf / cr / lf )`).
//!
//! ```text
//!   reads:   | d a t a : x \r | \n d a t a ... |
//!   lines:   "data:x"         (CR ends the line at once; the LF that opens
//!                              the next read is swallowed: CRLF is one end)
//! ```
//!
//! * The scan for CR/LF checks the first 32 bytes a word at a time (short
//!   lines are the common case, and it tells whether they are ASCII), then
//!   uses `memchr2`; it resumes where the previous call
//!   stopped (`next_index`, as tokio-util's `LinesCodec` does), so a line
//!   arriving in many reads is scanned once: linear time.
//! * A CR is a line end as soon as it is seen (a line is never held back
//!   waiting for the next read); `skip_lf` remembers to drop an LF that
//!   starts the next read.
//! * A line longer than `max_line_length` is reported once and discarded up
//!   to its line end ("discard mode"), so the buffer never holds more than
//!   `max_line_length` bytes of an unterminated line.

#[cfg(test)]
use bytes::{Buf, Bytes, BytesMut};

/// Splits a byte buffer into lines without copying them.
#[derive(Debug, Clone)]
pub(crate) struct LineSplitter {
    /// Index in the buffer where the next CR/LF scan starts: every byte
    /// before it is known not to be CR or LF.
    next_index: usize,
    /// The previous line ended in CR: an LF at the start of the buffer is the
    /// second half of a CRLF and must be dropped.
    skip_lf: bool,
    /// An over-long line was reported; drop bytes up to its line end.
    discarding: bool,
    max_line_length: usize,
    /// Bytes examined by the CR/LF scan (for the linear-time test).
    #[cfg(test)]
    pub(crate) scanned: usize,
}

/// A line longer than the limit was found (and dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineTooLong {
    /// Bytes of the line seen so far.
    pub(crate) length: usize,
}

impl LineSplitter {
    pub(crate) fn new(max_line_length: usize) -> Self {
        LineSplitter {
            next_index: 0,
            skip_lf: false,
            discarding: false,
            max_line_length,
            #[cfg(test)]
            scanned: 0,
        }
    }

    /// Forgets all per-stream state (for a new stream).
    /// No line is in progress: the next scan starts a fresh line at the
    /// start of the buffer.
    pub(crate) fn is_idle(&self) -> bool {
        self.next_index == 0 && !self.skip_lf && !self.discarding
    }

    pub(crate) fn reset(&mut self) {
        *self = LineSplitter::new(self.max_line_length);
    }

    /// The next complete line of `src`, split off as `Bytes` (without its
    /// line end); `Ok(None)` if `src` holds no complete line yet.
    /// [`LineSplitter::scan`] does the work; this applies its cursor to
    /// `src`.
    #[cfg(test)]
    pub(crate) fn next_line(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, LineTooLong> {
        let mut pos = 0;
        let r = self.scan(src, &mut pos);
        let line = match r {
            Scan::Line(start, end, _) => {
                let mut head = src.split_to(pos).freeze();
                Some(if start == end {
                    Bytes::new()
                } else {
                    head.truncate(end);
                    head.slice(start..)
                })
            }
            Scan::NeedMore | Scan::TooLong(_) => {
                src.advance(pos);
                None
            }
        };
        match r {
            Scan::TooLong(e) => Err(e),
            _ => Ok(line),
        }
    }

    /// Finds the next line in `buf[*pos..]` without touching the buffer:
    /// returns its range (line end excluded) and moves `*pos` past its line
    /// end. On [`Scan::NeedMore`] and [`Scan::TooLong`], `*pos` has moved
    /// past the bytes that need not be kept (an LF that completes a CRLF,
    /// the discarded part of an overlong line). The caller drops
    /// `buf[..*pos]` (or splits it off) before the next call, so the scan
    /// resumes at `next_index` relative to the new start.
    #[inline]
    pub(crate) fn scan(&mut self, buf: &[u8], pos: &mut usize) -> Scan {
        loop {
            if self.skip_lf {
                match buf.get(*pos) {
                    None => return Scan::NeedMore,
                    Some(b'\n') => *pos += 1,
                    Some(_) => {}
                }
                self.skip_lf = false;
            }
            let line_start = *pos;
            let rest = &buf[line_start..];
            let from = self.next_index.min(rest.len());
            let (found, ascii) = find_line_end(&rest[from..]);
            // Only a line scanned from its start in this call is known ASCII.
            let ascii = ascii && from == 0;
            #[cfg(test)]
            {
                self.scanned += found.map_or(rest.len() - from, |off| off + 1);
            }
            match found {
                Some(off) => {
                    let len = from + off;
                    self.skip_lf = rest[len] == b'\r';
                    self.next_index = 0;
                    *pos = line_start + len + 1;
                    if self.discarding {
                        // The tail of a line already reported as too long.
                        self.discarding = false;
                        continue;
                    }
                    if len > self.max_line_length {
                        return Scan::TooLong(LineTooLong { length: len });
                    }
                    return Scan::Line(line_start, line_start + len, ascii);
                }
                None => {
                    if self.discarding {
                        *pos = buf.len();
                        self.next_index = 0;
                        return Scan::NeedMore;
                    }
                    if rest.len() > self.max_line_length {
                        *pos = buf.len();
                        self.next_index = 0;
                        self.discarding = true;
                        return Scan::TooLong(LineTooLong { length: rest.len() });
                    }
                    self.next_index = rest.len();
                    return Scan::NeedMore;
                }
            }
        }
    }
}

/// What [`LineSplitter::scan`] found.
/// Bytes checked a word at a time before handing the rest to `memchr2`
/// (32 measured best on both token lines and 66-byte lines; 64 made the
/// 66-byte lines 15 % slower, 16 the token lines 5 %).
const SHORT_SCAN: usize = 32;

/// Position of the first CR or LF in `hay`, and whether every byte before
/// it is known to be ASCII (`false` means "not checked" as often as "not
/// ASCII"). Lines of an event stream are mostly short (token events: 10–30
/// bytes), and `memchr2`'s per-call set-up costs more than the search on
/// such lines (callgrind, SSE token events: ~120 instructions per line); the
/// first [`SHORT_SCAN`] bytes are checked eight at a time with integer
/// operations, which also tell whether they are ASCII (so the line's values
/// need no UTF-8 check), the rest with `memchr2`.
#[inline(always)]
pub(crate) fn find_line_end(hay: &[u8]) -> (Option<usize>, bool) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut high = 0u64;
    let mut i = 0;
    while i < SHORT_SCAN {
        let Some(word) = hay.get(i..i + 8) else {
            // Fewer than 8 bytes left: byte by byte.
            for (p, &b) in hay[i..].iter().enumerate() {
                if b == b'\n' || b == b'\r' {
                    return (Some(i + p), high & HI == 0);
                }
                high |= u64::from(b);
            }
            return (None, false);
        };
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        // "Has a zero byte" for w ^ LF and w ^ CR: the lowest flagged byte
        // is always a true match (a borrow only flags bytes above a zero).
        let lf = w ^ (LO * u64::from(b'\n'));
        let cr = w ^ (LO * u64::from(b'\r'));
        let hits = (lf.wrapping_sub(LO) & !lf | cr.wrapping_sub(LO) & !cr) & HI;
        if hits != 0 {
            let at = hits.trailing_zeros() / 8;
            // The bytes of this word before the match.
            high |= w & ((1u64 << (at * 8)) - 1);
            return (Some(i + at as usize), high & HI == 0);
        }
        high |= w;
        i += 8;
    }
    (
        memchr::memchr2(b'\n', b'\r', &hay[i..]).map(|p| i + p),
        false,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A complete line: `buf[start..end]`, and whether the scan saw it is
    /// all ASCII.
    Line(usize, usize, bool),
    /// No complete line in the buffer yet.
    NeedMore,
    /// A line longer than the limit (reported once, then skipped).
    TooLong(LineTooLong),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(chunks: &[&[u8]], max: usize) -> Vec<Result<Vec<u8>, LineTooLong>> {
        let mut s = LineSplitter::new(max);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for c in chunks {
            buf.extend_from_slice(c);
            loop {
                match s.next_line(&mut buf) {
                    Ok(Some(l)) => out.push(Ok(l.to_vec())),
                    Ok(None) => break,
                    Err(e) => out.push(Err(e)),
                }
            }
        }
        out
    }

    /// The word-at-a-time scan agrees with a byte-by-byte search for every
    /// length up to past the `memchr2` hand-over, every position of CR or LF,
    /// and neighbours that would trip a sloppy zero-byte test (0x0B/0x0E
    /// after the match, 0x8A/0x8D high-bit look-alikes, 0x00, 0xFF).
    #[test]
    fn find_line_end_agrees_with_a_naive_search() {
        let naive = |h: &[u8]| h.iter().position(|&b| b == b'\n' || b == b'\r');
        // The ASCII flag may only be true if the bytes before the match are.
        let find = |h: &[u8]| {
            let (found, ascii) = find_line_end(h);
            let end = found.unwrap_or(h.len());
            assert!(!ascii || h[..end].is_ascii(), "{h:?}");
            if found.is_some_and(|f| f < SHORT_SCAN - 8) {
                assert_eq!(ascii, h[..end].is_ascii(), "{h:?}");
            }
            found
        };
        for len in 0..(SHORT_SCAN + 40) {
            for fill in [b'a', 0x8A, 0x8D, 0x0B, 0x0E, 0x00, 0xFF, 0x09, 0x0C] {
                let base = vec![fill; len];
                assert_eq!(find(&base), naive(&base), "len {len} fill {fill:#x}");
                for pos in 0..len {
                    for end in [b'\n', b'\r'] {
                        let mut h = base.clone();
                        h[pos] = end;
                        assert_eq!(find(&h), Some(pos), "len {len} pos {pos}");
                        // A second match later, and a byte one above the
                        // match value right after it.
                        if pos + 1 < len {
                            h[pos + 1] = end + 1;
                        }
                        if pos + 3 < len {
                            h[pos + 3] = b'\r' ^ b'\n' ^ end;
                        }
                        assert_eq!(find(&h), naive(&h), "len {len} pos {pos}");
                    }
                }
            }
        }
    }

    fn ok(s: &str) -> Result<Vec<u8>, LineTooLong> {
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
    /// are one CRLF line end, not two.
    #[test]
    fn cr_at_end_of_read_and_lf_at_start_of_next_are_one_line_end() {
        assert_eq!(lines_of(&[b"a\r", b"\nb\n"], 100), vec![ok("a"), ok("b")]);
        // ...and a CR is a line end at once: the line is not held back.
        let mut s = LineSplitter::new(100);
        let mut buf = BytesMut::from(&b"a\r"[..]);
        assert_eq!(s.next_line(&mut buf).unwrap().as_deref(), Some(&b"a"[..]));
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

    /// Limits: a line longer than max_line_length is an error, reported once,
    /// and skipped up to its line end, whether it arrives in one read or many.
    #[test]
    fn max_line_length_reports_and_skips_the_line() {
        let want = vec![ok("ab"), Err(LineTooLong { length: 5 }), ok("cd")];
        assert_eq!(lines_of(&[b"ab\nabcde\ncd\n"], 4), want);
        let split = lines_of(&[b"ab\nab", b"cde", b"fgh", b"\ncd\n"], 4);
        assert_eq!(split[0], ok("ab"));
        assert!(matches!(split[1], Err(LineTooLong { length: 5 })));
        assert_eq!(split[2..], [ok("cd")]);
        // Exactly max_line_length bytes is allowed.
        assert_eq!(lines_of(&[b"abcd", b"\n"], 4), vec![ok("abcd")]);
    }

    /// Linear time: a line delivered in many reads is scanned once, not from
    /// its start on every read (8 MiB in 1 KiB reads).
    #[test]
    fn split_line_is_never_rescanned_from_its_start() {
        let total = 8 << 20;
        let mut s = LineSplitter::new(total);
        let mut buf = BytesMut::new();
        let chunk = [b'x'; 1024];
        for _ in 0..total / 1024 {
            buf.extend_from_slice(&chunk);
            assert_eq!(s.next_line(&mut buf).unwrap(), None);
        }
        buf.extend_from_slice(b"\n");
        let line = s.next_line(&mut buf).unwrap().unwrap();
        assert_eq!(line.len(), total);
        // A rescanning splitter would examine ~ total^2 / 2048 = 32 GiB.
        assert_eq!(s.scanned, total + 1);
    }

    /// Discard mode keeps the buffer bounded by the limit.
    #[test]
    fn discard_mode_keeps_the_buffer_bounded() {
        let mut s = LineSplitter::new(8);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"0123456789");
        assert!(s.next_line(&mut buf).is_err());
        for _ in 0..100 {
            buf.extend_from_slice(b"0123456789");
            assert_eq!(s.next_line(&mut buf), Ok(None));
            assert!(buf.len() <= 8);
        }
        buf.extend_from_slice(b"\r");
        buf.extend_from_slice(b"\nok\n");
        assert_eq!(s.next_line(&mut buf).unwrap().as_deref(), Some(&b"ok"[..]));
    }
}
