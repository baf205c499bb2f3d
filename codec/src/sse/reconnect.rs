//! [`ReconnectState`]: what a client needs to reconnect as `EventSource`
//! does (§9.2.3 "reestablish the connection", §9.2.4 `Last-Event-ID`).

use super::event::SseItem;
use crate::Utf8Bytes;
use rand::Rng;
use std::time::Duration;

/// The request header that reports the last event ID on reconnect (§9.2.4).
///
/// ```
/// assert_eq!(pushcodec::sse::LAST_EVENT_ID_HEADER, "Last-Event-ID");
/// ```
pub const LAST_EVENT_ID_HEADER: &str = "Last-Event-ID";

/// Client-side reconnect state: the last event ID and the reconnection time.
///
/// * [`observe`](Self::observe) every decoded item: events update the last
///   event ID (§9.2.6 dispatch step 1), `retry` items the reconnection time
///   (§9.2.6 "If the field name is retry").
/// * On reconnect send [`last_event_id`](Self::last_event_id) as
///   [`LAST_EVENT_ID_HEADER`] if it is `Some` (§9.2.3 step 5.3: not sent when
///   empty).
/// * After a failure wait [`next_delay`](Self::next_delay): the
///   reconnection time (§9.2.3 step 2), never below a floor (so `retry: 0`
///   cannot cause a tight reconnect loop), doubled after each further
///   consecutive failure up to a cap, plus up to 25 % random jitter (§9.2.3
///   step 3 "might introduce an exponential backoff delay"). Call
///   [`connected`](Self::connected) once a connection succeeds to reset the
///   backoff.
///
/// Defaults: reconnection time 3 s (§9.2.2 leaves it implementation-defined;
/// "a few seconds"), floor 500 ms, backoff cap 60 s.
///
/// ```
/// use pushcodec::sse::{ReconnectState, SseItem};
/// use std::time::Duration;
///
/// let mut state = ReconnectState::new();
/// state.observe(&SseItem::Retry(Duration::ZERO));
/// let delay = state.next_delay();
/// assert!(delay >= Duration::from_millis(500)); // the floor
/// assert_eq!(state.last_event_id(), None);
/// ```
#[derive(Debug, Clone)]
pub struct ReconnectState {
    last_event_id: Utf8Bytes,
    retry: Duration,
    min_delay: Duration,
    max_delay: Duration,
    failures: u32,
}

impl Default for ReconnectState {
    fn default() -> Self {
        ReconnectState::new()
    }
}

impl ReconnectState {
    /// Default reconnection time before any `retry` field: 3 s.
    ///
    /// ```
    /// use pushcodec::sse::ReconnectState;
    /// assert_eq!(ReconnectState::new().retry(), ReconnectState::DEFAULT_RETRY);
    /// ```
    pub const DEFAULT_RETRY: Duration = Duration::from_secs(3);
    /// Default floor of [`next_delay`](Self::next_delay): 500 ms.
    ///
    /// ```
    /// use pushcodec::sse::{ReconnectState, SseItem};
    /// use std::time::Duration;
    /// let mut r = ReconnectState::new();
    /// r.observe(&SseItem::Retry(Duration::from_millis(1))); // a server asking for 1 ms
    /// assert!(r.next_delay() >= ReconnectState::DEFAULT_MIN_DELAY);
    /// ```
    pub const DEFAULT_MIN_DELAY: Duration = Duration::from_millis(500);
    /// Default cap of the exponential backoff: 60 s (a server `retry` larger
    /// than this is still honoured).
    ///
    /// ```
    /// use pushcodec::sse::ReconnectState;
    /// let mut r = ReconnectState::new();
    /// let delays: Vec<_> = (0..12).map(|_| r.next_delay()).collect(); // 12 failures in a row
    /// // doubled each time, capped (plus at most 25 % jitter):
    /// assert!(delays[11] <= ReconnectState::DEFAULT_MAX_DELAY * 5 / 4);
    /// ```
    pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);

    /// Fresh state: no last event ID, the default delays.
    ///
    /// ```
    /// let s = pushcodec::sse::ReconnectState::new();
    /// assert_eq!(s.retry(), std::time::Duration::from_secs(3));
    /// ```
    pub fn new() -> Self {
        ReconnectState {
            last_event_id: Utf8Bytes::default(),
            retry: Self::DEFAULT_RETRY,
            min_delay: Self::DEFAULT_MIN_DELAY,
            max_delay: Self::DEFAULT_MAX_DELAY,
            failures: 0,
        }
    }

    /// Sets the initial reconnection time (until the server sends `retry`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = pushcodec::sse::ReconnectState::new().with_retry(Duration::from_secs(1));
    /// assert_eq!(s.retry(), Duration::from_secs(1));
    /// ```
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the floor of [`next_delay`](Self::next_delay).
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = pushcodec::sse::ReconnectState::new().with_min_delay(Duration::from_secs(2));
    /// # let _ = s;
    /// ```
    pub fn with_min_delay(mut self, min: Duration) -> Self {
        self.min_delay = min;
        self
    }

    /// Sets the cap of the exponential backoff.
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = pushcodec::sse::ReconnectState::new().with_max_delay(Duration::from_secs(30));
    /// # let _ = s;
    /// ```
    pub fn with_max_delay(mut self, max: Duration) -> Self {
        self.max_delay = max;
        self
    }

    /// Updates the state from a decoded item: an event sets the last event
    /// ID (empty resets it), a retry item the reconnection time; comments
    /// change nothing.
    ///
    /// ```
    /// use pushcodec::sse::{Event, ReconnectState, SseItem};
    /// let mut s = ReconnectState::new();
    /// s.observe(&SseItem::Event(Event {
    ///     event_type: "message".into(),
    ///     data: "x".into(),
    ///     last_event_id: "41".into(),
    /// }));
    /// assert_eq!(s.last_event_id(), Some("41"));
    /// ```
    pub fn observe(&mut self, item: &SseItem) {
        match item {
            SseItem::Event(ev) => self.last_event_id = ev.last_event_id.clone(),
            SseItem::Retry(delay) => self.retry = *delay,
            SseItem::Comment(_) => {}
        }
    }

    /// Sets the last event ID directly, e.g. from
    /// [`SseDecoder::last_event_id`](super::SseDecoder::last_event_id), which
    /// also sees a block like `id: 5` + blank line that dispatches no event
    /// but does set the event source's last event ID (§9.2.6 dispatch
    /// step 1).
    ///
    /// ```
    /// let mut s = pushcodec::sse::ReconnectState::new();
    /// s.set_last_event_id("5".into());
    /// assert_eq!(s.last_event_id(), Some("5"));
    /// ```
    pub fn set_last_event_id(&mut self, id: Utf8Bytes) {
        self.last_event_id = id;
    }

    /// The value for the `Last-Event-ID` header, `None` when the last event
    /// ID is empty (no header is sent then, §9.2.3 step 5.3).
    ///
    /// ```
    /// assert_eq!(pushcodec::sse::ReconnectState::new().last_event_id(), None);
    /// ```
    pub fn last_event_id(&self) -> Option<&str> {
        Some(self.last_event_id.as_str()).filter(|id| !id.is_empty())
    }

    /// The current reconnection time (the server's last valid `retry`).
    ///
    /// ```
    /// use pushcodec::sse::{ReconnectState, SseItem};
    /// use std::time::Duration;
    /// let mut s = ReconnectState::new();
    /// s.observe(&SseItem::Retry(Duration::from_millis(10)));
    /// assert_eq!(s.retry(), Duration::from_millis(10));
    /// ```
    pub fn retry(&self) -> Duration {
        self.retry
    }

    /// Consecutive failures since the last [`connected`](Self::connected).
    ///
    /// ```
    /// let mut s = pushcodec::sse::ReconnectState::new();
    /// s.next_delay();
    /// assert_eq!(s.failures(), 1);
    /// ```
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failed or dropped connection and returns how long to wait
    /// before reconnecting: `base = max(retry, floor)`, doubled for each
    /// earlier consecutive failure but not beyond `max(cap, base)`, plus a
    /// random 0–25 % jitter. Never below the floor or the server's `retry`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut s = pushcodec::sse::ReconnectState::new().with_retry(Duration::from_secs(1));
    /// let first = s.next_delay();
    /// assert!(first >= Duration::from_secs(1) && first <= Duration::from_millis(1250));
    /// let second = s.next_delay();
    /// assert!(second >= Duration::from_secs(2));
    /// ```
    pub fn next_delay(&mut self) -> Duration {
        let backoff = self.backoff();
        self.failures = self.failures.saturating_add(1);
        let jitter_max = backoff / 4;
        let jitter = if jitter_max.is_zero() {
            Duration::ZERO
        } else {
            rand::rng().random_range(Duration::ZERO..=jitter_max)
        };
        backoff.saturating_add(jitter)
    }

    /// The delay before jitter for the next failure.
    fn backoff(&self) -> Duration {
        let base = self.retry.max(self.min_delay);
        let cap = self.max_delay.max(base);
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        base.checked_mul(factor).map_or(cap, |d| d.min(cap))
    }

    /// Records a successful connection: the backoff starts over.
    ///
    /// ```
    /// let mut s = pushcodec::sse::ReconnectState::new();
    /// s.next_delay();
    /// s.connected();
    /// assert_eq!(s.failures(), 0);
    /// ```
    pub fn connected(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::Event;

    fn event(id: &'static str) -> SseItem {
        SseItem::Event(Event {
            event_type: "message".into(),
            data: "d".into(),
            last_event_id: id.into(),
        })
    }

    #[test]
    fn retry_zero_is_raised_to_the_floor() {
        let mut s = ReconnectState::new();
        s.observe(&SseItem::Retry(Duration::ZERO));
        for _ in 0..50 {
            s.connected();
            assert!(s.next_delay() >= ReconnectState::DEFAULT_MIN_DELAY);
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let mut s = ReconnectState::new()
            .with_retry(Duration::from_secs(1))
            .with_max_delay(Duration::from_secs(8));
        let expected = [1, 2, 4, 8, 8, 8];
        for want in expected {
            let d = s.next_delay();
            let want = Duration::from_secs(want);
            assert!(d >= want && d <= want + want / 4, "{d:?} vs {want:?}");
        }
        s.connected();
        assert!(s.next_delay() <= Duration::from_millis(1250));
        // Thousands of failures neither overflow nor exceed the cap.
        for _ in 0..5000 {
            assert!(s.next_delay() <= Duration::from_secs(10));
        }
    }

    #[test]
    fn server_retry_above_the_cap_is_honoured() {
        let mut s = ReconnectState::new().with_max_delay(Duration::from_secs(1));
        s.observe(&SseItem::Retry(Duration::from_secs(30)));
        assert!(s.next_delay() >= Duration::from_secs(30));
    }

    #[test]
    fn jitter_varies_the_delay() {
        let mut s = ReconnectState::new().with_retry(Duration::from_secs(4));
        let delays: std::collections::HashSet<_> = (0..20)
            .map(|_| {
                s.connected();
                s.next_delay()
            })
            .collect();
        assert!(delays.len() > 1);
    }

    #[test]
    fn last_event_id_follows_events_and_empty_id_resets_it() {
        let mut s = ReconnectState::new();
        s.observe(&event("1"));
        assert_eq!(s.last_event_id(), Some("1"));
        s.observe(&SseItem::Comment("c".into()));
        assert_eq!(s.last_event_id(), Some("1"));
        s.observe(&event(""));
        assert_eq!(s.last_event_id(), None);
    }
}
