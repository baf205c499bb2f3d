//! The phase of a connection and its transitions: the closing rules of
//! RFC 6455 §7 in one place.
//!
//! ```text
//!            user Close (§7.1.2)                 peer's Close (§7.1.3)
//!   Open ─────────────────────────▶ ClosingByUs ──────────────────────┐
//!    │  \                                │                            ▼
//!    │   \ peer's Close (§5.5.1)         │ protocol error      ClosingByPeer ── written,
//!    │    └───────────────────────────────────────────────────▶ (answer, shut  shut down ──▶ Closed
//!    │                                   ▼                       down §7.1.1)                  ▲
//!    └── protocol error, keep-alive ─▶ Failing ── Close written, shut down, input drained ─────┤
//!        or idle timeout (§7.1.7)                (or close_timeout) → the error is handed out  │
//!   I/O error, EOF, close_timeout in any phase ────────────────────────────────────────────────┘
//! ```
//!
//! Each phase that sends a Close carries [`OurClose`], our half of the
//! closing handshake: queued, then encoded (nothing may follow it,
//! §5.5.1), then shut down (the transport's write side closed).

use crate::ws::close::CloseFrame;
use crate::ws::error::Error;

/// Our half of the closing handshake.
#[derive(Debug)]
pub(super) enum OurClose {
    /// To be written: a code and reason, or an empty Close.
    Queued(Option<CloseFrame>),
    /// In the write buffer (or written): nothing may be encoded after it.
    Encoded,
    /// Written, flushed, and the transport's write side shut down.
    ShutDown,
}

/// Where the connection is (RFC 6455 §7).
#[derive(Debug)]
pub(super) enum Phase {
    /// Data flows both ways.
    Open,
    /// We started the closing handshake (§7.1.2); input is still read and
    /// handed out until the peer's Close.
    ClosingByUs(OurClose),
    /// The peer's Close was received (first, or as the answer to ours):
    /// what is left is ours to finish — write our Close (the echo, §5.5.1),
    /// shut the transport down (§7.1.1); nothing more is read.
    ClosingByPeer(OurClose),
    /// Failing the connection (§7.1.7): our Close with the error's code is
    /// written, our side shut down, input discarded until the peer closes
    /// (so the peer is not reset before it reads our Close), then `error`
    /// is handed out.
    Failing {
        /// The error, handed out at the end.
        error: Error,
        /// Our Close.
        close: OurClose,
    },
    /// Over: `next()` returns `None`, sending fails with `AlreadyClosed`.
    Closed,
}

impl Phase {
    /// Whether messages may still be sent.
    #[inline]
    pub(super) fn is_open(&self) -> bool {
        matches!(self, Phase::Open)
    }

    #[inline]
    fn our_close(&self) -> Option<&OurClose> {
        match self {
            Phase::ClosingByUs(c) | Phase::ClosingByPeer(c) | Phase::Failing { close: c, .. } => {
                Some(c)
            }
            Phase::Open | Phase::Closed => None,
        }
    }

    fn our_close_mut(&mut self) -> Option<&mut OurClose> {
        match self {
            Phase::ClosingByUs(c) | Phase::ClosingByPeer(c) | Phase::Failing { close: c, .. } => {
                Some(c)
            }
            Phase::Open | Phase::Closed => None,
        }
    }

    /// Our Close is waiting to be encoded; its payload length.
    #[inline]
    pub(super) fn queued_close_len(&self) -> Option<usize> {
        match self.our_close() {
            Some(OurClose::Queued(f)) => Some(f.as_ref().map_or(0, |f| 2 + f.reason.len())),
            _ => None,
        }
    }

    /// Our Close is encoded (or further): no frame may follow (§5.5.1).
    #[inline]
    pub(super) fn close_encoded(&self) -> bool {
        matches!(
            self.our_close(),
            Some(OurClose::Encoded | OurClose::ShutDown)
        )
    }

    /// The transport's write side is shut down.
    pub(super) fn shut_down(&self) -> bool {
        matches!(self.our_close(), Some(OurClose::ShutDown))
    }

    /// Whatever was queued before our Close must be dropped rather than
    /// sent: the connection is failing, or the peer has closed (a Close may
    /// interrupt a fragmented message, §5.4, §5.5.1).
    pub(super) fn drops_queued_data(&self) -> bool {
        matches!(self, Phase::Failing { .. } | Phase::ClosingByPeer(_))
    }

    /// §7.1.2: we start the closing handshake. `false` if it had started.
    pub(super) fn start_close(&mut self, frame: Option<CloseFrame>) -> bool {
        if self.is_open() {
            *self = Phase::ClosingByUs(OurClose::Queued(frame));
            true
        } else {
            false
        }
    }

    /// §5.5.1, §7.1.3: the peer's Close arrived. From `Open` our answer is
    /// `echo`; after our own Close, that one stands.
    pub(super) fn peer_closed(&mut self, echo: Option<CloseFrame>) {
        *self = match std::mem::replace(self, Phase::Closed) {
            Phase::Open => Phase::ClosingByPeer(OurClose::Queued(echo)),
            Phase::ClosingByUs(c) => Phase::ClosingByPeer(c),
            other => other,
        };
    }

    /// §7.1.7: fail the connection with `error`, sending `close` unless a
    /// Close is already on its way (a queued but unsent Close of ours is
    /// replaced). The first error wins; a closed connection stays closed.
    pub(super) fn fail(&mut self, error: Error, close: CloseFrame) {
        *self = match std::mem::replace(self, Phase::Closed) {
            Phase::Open | Phase::ClosingByUs(OurClose::Queued(_)) => Phase::Failing {
                error,
                close: OurClose::Queued(Some(close)),
            },
            Phase::ClosingByUs(c) | Phase::ClosingByPeer(c) => Phase::Failing { error, close: c },
            other @ (Phase::Failing { .. } | Phase::Closed) => other,
        };
    }

    /// Takes our queued Close for encoding (it is then `Encoded`).
    pub(super) fn take_queued_close(&mut self) -> Option<Option<CloseFrame>> {
        let c = self.our_close_mut()?;
        match std::mem::replace(c, OurClose::Encoded) {
            OurClose::Queued(f) => Some(f),
            other => {
                *c = other;
                None
            }
        }
    }

    /// The transport's write side was shut down.
    pub(super) fn mark_shut_down(&mut self) {
        if let Some(c) = self.our_close_mut() {
            *c = OurClose::ShutDown;
        }
    }

    /// Ends the connection; returns the error a `Failing` phase held.
    pub(super) fn close(&mut self) -> Option<Error> {
        match std::mem::replace(self, Phase::Closed) {
            Phase::Failing { error, .. } => Some(error),
            _ => None,
        }
    }

    /// A short name for `Debug`.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Phase::Open => "Open",
            Phase::ClosingByUs(_) => "ClosingByUs",
            Phase::ClosingByPeer(_) => "ClosingByPeer",
            Phase::Failing { .. } => "Failing",
            Phase::Closed => "Closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::{CloseCode, ProtocolError};

    fn err() -> Error {
        Error::Protocol(ProtocolError::UnmaskedFrame)
    }

    #[test]
    fn closing_by_us_then_the_peer_answers() {
        let mut p = Phase::Open;
        assert!(p.start_close(None));
        assert!(!p.start_close(None), "a second Close is not started");
        assert_eq!(p.queued_close_len(), Some(0));
        assert_eq!(p.take_queued_close(), Some(None));
        assert!(p.close_encoded());
        p.peer_closed(Some(CloseFrame::new(CloseCode::NORMAL, "")));
        assert!(matches!(p, Phase::ClosingByPeer(OurClose::Encoded)));
        p.mark_shut_down();
        assert!(p.shut_down());
        assert!(p.close().is_none());
        assert!(matches!(p, Phase::Closed));
    }

    #[test]
    fn the_peer_closes_first_and_we_echo() {
        let mut p = Phase::Open;
        p.peer_closed(Some(CloseFrame::new(CloseCode::GOING_AWAY, "")));
        assert!(p.drops_queued_data());
        let echo = p.take_queued_close().unwrap().unwrap();
        assert_eq!(echo.code, CloseCode::GOING_AWAY);
    }

    #[test]
    fn failing_replaces_an_unsent_close_but_not_a_sent_one() {
        let mut p = Phase::Open;
        p.start_close(None);
        p.fail(err(), CloseFrame::new(CloseCode::PROTOCOL_ERROR, "x"));
        let f = p.take_queued_close().unwrap().unwrap();
        assert_eq!(f.code, CloseCode::PROTOCOL_ERROR);

        let mut p = Phase::Open;
        p.start_close(None);
        p.take_queued_close();
        p.fail(err(), CloseFrame::new(CloseCode::PROTOCOL_ERROR, "x"));
        assert!(p.close_encoded(), "no second Close after ours");
        assert!(p.take_queued_close().is_none());
        assert!(matches!(p.close(), Some(Error::Protocol(_))));
    }

    #[test]
    fn the_first_error_wins_and_closed_stays_closed() {
        let mut p = Phase::Open;
        p.fail(err(), CloseFrame::new(CloseCode::PROTOCOL_ERROR, ""));
        p.fail(
            Error::AlreadyClosed,
            CloseFrame::new(CloseCode::INTERNAL, ""),
        );
        assert!(matches!(p.close(), Some(Error::Protocol(_))));
        p.peer_closed(None);
        assert!(matches!(p, Phase::Closed));
        assert!(!p.start_close(None));
    }
}
