//! [`DeflateLimit`]: a server's cap on the connections that use
//! permessage-deflate at once, and so on the memory compression takes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// At most this many connections negotiate permessage-deflate at once; a
/// server declines the extension to the next ones (they go on
/// uncompressed, RFC 7692 §5: declining is always allowed) until one of
/// them is dropped.
///
/// Each connection that uses the extension may hold a compressor and a
/// decompressor (about 430 KiB at the default 15-bit windows and memory
/// level 8, built at the first compressed message of each direction; the
/// figures per window size and memory level are in `BENCHMARKS.md`), so
/// `max_connections` × that figure bounds what compression costs a server,
/// whatever the number of clients. Clones share one count: give the same
/// limit to every listener and route of a server
/// ([`AcceptOptionsBuilder::deflate_limit`](crate::ws::handshake::AcceptOptionsBuilder::deflate_limit),
/// the axum and hyper adapters).
///
/// ```
/// use pushcodec::ws::extension::deflate::DeflateLimit;
/// let limit = DeflateLimit::new(1000); // ~420 MiB at the defaults
/// let shared = limit.clone();
/// assert_eq!((shared.max_connections(), shared.in_use()), (1000, 0));
/// ```
#[derive(Clone)]
pub struct DeflateLimit {
    inner: Arc<Counter>,
}

struct Counter {
    max: usize,
    in_use: AtomicUsize,
}

impl std::fmt::Debug for DeflateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeflateLimit")
            .field("max_connections", &self.inner.max)
            .field("in_use", &self.in_use())
            .finish()
    }
}

impl DeflateLimit {
    /// A limit of `max_connections` connections with permessage-deflate
    /// (0: never negotiate it).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::deflate::DeflateLimit::new(5).max_connections(), 5);
    /// ```
    pub fn new(max_connections: usize) -> DeflateLimit {
        DeflateLimit {
            inner: Arc::new(Counter {
                max: max_connections,
                in_use: AtomicUsize::new(0),
            }),
        }
    }

    /// The cap.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::deflate::DeflateLimit::new(0).max_connections(), 0);
    /// ```
    pub fn max_connections(&self) -> usize {
        self.inner.max
    }

    /// Connections that hold a slot now (negotiated the extension and not
    /// dropped yet).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::deflate::DeflateLimit::new(3).in_use(), 0);
    /// ```
    pub fn in_use(&self) -> usize {
        self.inner.in_use.load(Ordering::Relaxed)
    }

    /// Takes a slot if one is free.
    pub(crate) fn try_acquire(&self) -> Option<DeflateSlot> {
        self.inner
            .in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.inner.max).then_some(n + 1)
            })
            .ok()?;
        Some(DeflateSlot {
            inner: self.inner.clone(),
        })
    }
}

/// One connection's place under a [`DeflateLimit`], given back when the
/// connection (its stream, or both halves) is dropped.
pub(crate) struct DeflateSlot {
    inner: Arc<Counter>,
}

impl std::fmt::Debug for DeflateSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeflateSlot")
    }
}

impl Drop for DeflateSlot {
    fn drop(&mut self) {
        self.inner.in_use.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_shared_by_clones_and_given_back_on_drop() {
        let limit = DeflateLimit::new(2);
        let other = limit.clone();
        let a = limit.try_acquire().unwrap();
        let b = other.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        assert_eq!(other.in_use(), 2);
        drop(a);
        assert_eq!(limit.in_use(), 1);
        let c = limit.try_acquire().unwrap();
        drop((b, c));
        assert_eq!(limit.in_use(), 0);
        assert!(DeflateLimit::new(0).try_acquire().is_none());
    }

    #[test]
    fn concurrent_acquires_never_pass_the_cap() {
        let limit = DeflateLimit::new(10);
        let held = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        if let Some(slot) = limit.try_acquire() {
                            held.lock().unwrap().push(slot);
                        }
                    }
                });
            }
        });
        assert_eq!(held.lock().unwrap().len(), 10);
        assert_eq!(limit.in_use(), 10);
    }
}
