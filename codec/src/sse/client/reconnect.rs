//! The reconnect rules of an [`EventSource`](super::EventSource) (HTML
//! §9.2.3 "reestablish the connection"), in one place: whether a lost
//! connection is retried (never for a request that should not be repeated
//! unless asked, never past the retry limit), how long to wait (the
//! server's `retry`, backoff, jitter and cap of [`ReconnectState`]), and
//! the `Last-Event-ID` to send (§9.2.4).

use super::error::{Error, TransportError};
use crate::sse::{ReconnectState, SseItem};
use crate::Utf8Bytes;
use http::HeaderValue;
use std::time::Duration;

/// What to do after a connection was lost.
#[derive(Debug)]
pub(super) enum AfterLoss {
    /// Reconnect after this delay.
    Wait(Duration),
    /// The stream is over without error (a clean end, reconnecting off).
    End,
    /// The stream is over with this error.
    Fail(Error),
}

#[derive(Debug, Clone)]
pub(super) struct Reconnect {
    state: ReconnectState,
    enabled: bool,
    max_retries: Option<u32>,
    reconnects: u64,
}

impl Reconnect {
    pub(super) fn new(state: ReconnectState, enabled: bool, max_retries: Option<u32>) -> Self {
        Reconnect {
            state,
            enabled,
            max_retries,
            reconnects: 0,
        }
    }

    /// The last event ID to send with the first request (a resumed stream).
    pub(super) fn seed_last_event_id(&mut self, id: &Utf8Bytes) {
        self.state.set_last_event_id(id.clone());
    }

    /// A decoded item: a `retry` field sets the reconnection time (§9.2.6
    /// "If the field name is retry"); an event proves the connection works,
    /// so backoff and the retry count start over.
    pub(super) fn observe(&mut self, item: &SseItem) {
        self.state.observe(item);
        if let SseItem::Event(_) = item {
            self.state.connected();
        }
    }

    /// The connection was lost for `cause`; `last_event_id` is the event
    /// source's last event ID string (the decoder's) at that moment.
    pub(super) fn lost(&mut self, cause: TransportError, last_event_id: &Utf8Bytes) -> AfterLoss {
        self.state.set_last_event_id(last_event_id.clone());
        if !self.enabled {
            return match cause {
                TransportError::Closed => AfterLoss::End,
                cause => AfterLoss::Fail(Error::Transport(cause)),
            };
        }
        let retries = self.state.failures();
        if self.max_retries.is_some_and(|max| retries >= max) {
            return AfterLoss::Fail(Error::RetryLimit {
                retries,
                last: cause,
            });
        }
        self.reconnects += 1;
        AfterLoss::Wait(self.state.next_delay())
    }

    /// The `Last-Event-ID` header for the next request: none while the last
    /// event ID is empty (§9.2.3 step 5.3), nor for an ID that is not a
    /// valid header value (a control character other than tab; the decoder
    /// already drops IDs with NUL, and CR/LF cannot occur in a field).
    pub(super) fn last_event_id_header(&self) -> Option<HeaderValue> {
        let id = self.state.last_event_id()?;
        HeaderValue::from_bytes(id.as_bytes()).ok()
    }

    /// The last event ID string (empty if none).
    pub(super) fn last_event_id(&self) -> &str {
        self.state.last_event_id().unwrap_or("")
    }

    /// The current reconnection time.
    pub(super) fn retry(&self) -> Duration {
        self.state.retry()
    }

    /// Reconnects made so far.
    pub(super) fn reconnects(&self) -> u64 {
        self.reconnects
    }

    #[cfg(test)]
    pub(super) fn enabled(&self) -> bool {
        self.enabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::Event;

    fn event(id: &'static str) -> SseItem {
        SseItem::Event(Event {
            event_type: "message".into(),
            data: "x".into(),
            last_event_id: id.into(),
        })
    }

    fn fast() -> ReconnectState {
        ReconnectState::new()
            .with_retry(Duration::from_millis(10))
            .with_min_delay(Duration::from_millis(10))
            .with_max_delay(Duration::from_millis(40))
    }

    #[test]
    fn without_reconnect_a_clean_end_ends_and_a_failure_fails() {
        let mut r = Reconnect::new(fast(), false, None);
        assert!(matches!(
            r.lost(TransportError::Closed, &Utf8Bytes::default()),
            AfterLoss::End
        ));
        let after = r.lost(
            TransportError::ReadTimeout {
                after: Duration::from_secs(1),
            },
            &Utf8Bytes::default(),
        );
        assert!(matches!(
            after,
            AfterLoss::Fail(Error::Transport(TransportError::ReadTimeout { .. }))
        ));
        assert_eq!(r.reconnects(), 0);
    }

    #[test]
    fn the_retry_limit_counts_reconnects_without_an_event() {
        let mut r = Reconnect::new(fast(), true, Some(2));
        let none = Utf8Bytes::default();
        assert!(matches!(
            r.lost(TransportError::Closed, &none),
            AfterLoss::Wait(_)
        ));
        assert!(matches!(
            r.lost(TransportError::Closed, &none),
            AfterLoss::Wait(_)
        ));
        // An event: the count starts over.
        r.observe(&event("1"));
        assert!(matches!(
            r.lost(TransportError::Closed, &none),
            AfterLoss::Wait(_)
        ));
        assert!(matches!(
            r.lost(TransportError::Closed, &none),
            AfterLoss::Wait(_)
        ));
        match r.lost(TransportError::Closed, &none) {
            AfterLoss::Fail(Error::RetryLimit {
                retries: 2,
                last: TransportError::Closed,
            }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(r.reconnects(), 4);
    }

    #[test]
    fn delays_follow_retry_with_backoff_and_reset_after_an_event() {
        let mut r = Reconnect::new(fast(), true, None);
        let none = Utf8Bytes::default();
        r.observe(&SseItem::Retry(Duration::from_millis(20)));
        let mut delays = Vec::new();
        for _ in 0..4 {
            let AfterLoss::Wait(d) = r.lost(TransportError::Closed, &none) else {
                panic!()
            };
            delays.push(d);
        }
        // 20, 40 (doubled), then the 40 ms cap; each plus at most 25 % jitter.
        for (d, base) in delays.iter().zip([20, 40, 40, 40]) {
            let base = Duration::from_millis(base);
            assert!(*d >= base && *d <= base + base / 4, "{d:?} vs {base:?}");
        }
        r.observe(&event("2"));
        let AfterLoss::Wait(d) = r.lost(TransportError::Closed, &none) else {
            panic!()
        };
        assert!(d <= Duration::from_millis(25), "{d:?}");
    }

    #[test]
    fn last_event_id_header_comes_from_the_decoder_and_is_absent_when_empty() {
        let mut r = Reconnect::new(fast(), true, None);
        assert_eq!(r.last_event_id_header(), None);
        r.lost(TransportError::Closed, &"42".into());
        assert_eq!(r.last_event_id_header().unwrap(), "42");
        assert_eq!(r.last_event_id(), "42");
        r.lost(TransportError::Closed, &"".into());
        assert_eq!(r.last_event_id_header(), None);
        // Not sendable as a header value: left out rather than mangled.
        r.lost(TransportError::Closed, &"a\u{1}b".into());
        assert_eq!(r.last_event_id_header(), None);
        // Non-ASCII UTF-8 is sent as its bytes (§9.2.3 step 5.3.1).
        r.lost(TransportError::Closed, &"é".into());
        assert_eq!(r.last_event_id_header().unwrap().as_bytes(), "é".as_bytes());
    }
}
