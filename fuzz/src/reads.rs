//! Cutting an input into reads from one seed byte, small limits from one
//! byte, and the in-memory transport of the async targets.

/// An in-memory transport for the async targets: reads hand out the given
/// chunks one by one (then EOF), writes accept at most `write_limit` bytes
/// per call and are kept in `written`; after `shutdown` writes fail.
#[derive(Debug)]
pub struct Peer {
    reads: std::collections::VecDeque<Vec<u8>>,
    /// Everything written so far.
    pub written: Vec<u8>,
    write_limit: usize,
    shut_down: bool,
}

impl Peer {
    /// A peer that sends `reads` (one read each) and accepts writes of at
    /// most `write_limit` bytes (at least 1) per call.
    pub fn new(reads: Vec<&[u8]>, write_limit: usize) -> Peer {
        Peer {
            reads: reads.into_iter().map(<[u8]>::to_vec).collect(),
            written: Vec::new(),
            write_limit: write_limit.max(1),
            shut_down: false,
        }
    }
}

impl tokio::io::AsyncRead for Peer {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if let Some(mut chunk) = self.reads.pop_front() {
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            if n < chunk.len() {
                chunk.drain(..n);
                self.reads.push_front(chunk);
            }
        }
        std::task::Poll::Ready(Ok(())) // nothing put: EOF
    }
}

impl tokio::io::AsyncWrite for Peer {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.shut_down {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        let n = buf.len().min(self.write_limit);
        self.written.extend_from_slice(&buf[..n]);
        std::task::Poll::Ready(Ok(n))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.shut_down = true;
        std::task::Poll::Ready(Ok(()))
    }
}

/// Cuts `data` into reads according to `seed`:
///
/// | `seed & 3` | reads |
/// | --- | --- |
/// | 0 | one read |
/// | 1 | one byte per read |
/// | 2 | pseudo-random sizes 1..=8 |
/// | 3 | pseudo-random sizes 1..=(seed >> 2) * 4 + 1 |
///
/// The cuts are deterministic in `(seed, data.len())`.
pub fn reads(seed: u8, data: &[u8]) -> Vec<&[u8]> {
    let max = match seed & 3 {
        0 => return if data.is_empty() { vec![] } else { vec![data] },
        1 => return data.chunks(1).collect(),
        2 => 8,
        _ => usize::from(seed >> 2) * 4 + 1,
    };
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (u64::from(seed) << 32) ^ data.len() as u64;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state % max as u64) as usize + 1;
        let n = n.min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// Cuts `data` at the sizes in `sizes` (each taken as `1 + size % 64`,
/// cycling), for targets whose split comes from `arbitrary`.
pub fn reads_by_sizes<'a>(sizes: &[u8], data: &'a [u8]) -> Vec<&'a [u8]> {
    if sizes.is_empty() {
        return if data.is_empty() { vec![] } else { vec![data] };
    }
    let mut out = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = (1 + usize::from(sizes[i % sizes.len()]) % 64).min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
    out
}

/// A small limit from one byte: 0..=254 bytes mostly, with 255 meaning
/// "large" (`large`), so both the limit paths and the normal paths run.
pub fn limit(byte: u8, large: usize) -> usize {
    if byte == 255 {
        large
    } else {
        usize::from(byte)
    }
}
