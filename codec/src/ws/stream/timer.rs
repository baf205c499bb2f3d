//! The connection's deadlines (close timeout, keep-alive, idle timeout) on
//! one tokio timer.
//!
//! One `Sleep` is reset to the earliest deadline. It is created at the
//! first poll inside a tokio runtime, and only if a time bound is
//! configured: with `close_timeout(None)` and no keep-alive or idle
//! timeout there is no timer, and the stream works on any executor or on a
//! runtime without the time driver. With a bound set, a runtime without the
//! time driver makes that creation panic (tokio's "timers are disabled"):
//! at the first poll, never later because of what the peer sends.
//!
//! Activity is noted with plain stores, never a clock read (`alive` on
//! every read that brought bytes, `active` on every data message sent or
//! received); the deadlines look at the flags when they pass.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::ws::config::WebSocketConfig;

/// Deadline of the timer while nothing is due (tokio clamps it).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The idle timeout is checked this many times per `idle_timeout`.
const IDLE_CHECKS: u8 = 4;

/// What a passed deadline asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Due {
    /// `close_timeout` passed: give the connection up.
    CloseTimeout,
    /// Send a keep-alive Ping.
    Ping,
    /// Nothing arrived within `keep_alive_timeout` of a Ping.
    KeepAliveTimeout,
    /// No data message for `idle_timeout`.
    Idle,
    /// A deadline passed that needs nothing done (it was re-armed).
    Nothing,
}

pub(super) struct Timers {
    sleep: Option<Pin<Box<Sleep>>>,
    /// What `sleep` is set to.
    armed: Option<Instant>,
    /// A time bound is configured and the timer not set up yet (decided
    /// once, at the first poll).
    needed: bool,
    close_at: Option<Instant>,
    ping_at: Option<Instant>,
    pong_due: Option<Instant>,
    idle_at: Option<Instant>,
    idle_quiet: u8,
    /// Bytes arrived since the last keep-alive Ping.
    pub(super) alive: bool,
    /// A data message was sent or received since the last idle check.
    pub(super) active: bool,
}

impl Timers {
    pub(super) fn new(config: &WebSocketConfig) -> Timers {
        Timers {
            sleep: None,
            armed: None,
            needed: config.needs_timer(),
            close_at: None,
            ping_at: None,
            pong_due: None,
            idle_at: None,
            idle_quiet: 0,
            alive: true,
            active: false,
        }
    }

    /// Creates the timer if one is wanted and we are inside a tokio
    /// runtime (see the module docs for the panic without a time driver).
    #[inline]
    pub(super) fn ensure(&mut self, config: &WebSocketConfig) {
        if self.needed {
            self.start(config);
        }
    }

    #[cold]
    fn start(&mut self, config: &WebSocketConfig) {
        self.needed = false;
        if tokio::runtime::Handle::try_current().is_err() {
            return; // first polled outside tokio: time bounds are not enforced
        }
        let now = Instant::now();
        self.sleep = Some(Box::pin(tokio::time::sleep_until(now + FAR_FUTURE)));
        if self.close_at.is_none() {
            self.ping_at = config.keep_alive_interval().map(|i| now + i);
            self.idle_at = config
                .idle_timeout()
                .map(|d| now + d / u32::from(IDLE_CHECKS));
        }
    }

    /// Starts the close timeout (once) and ends keep-alive and idle
    /// checks: called when a Close is queued or received, or the
    /// connection is failed.
    pub(super) fn arm_close(&mut self, timeout: Option<Duration>) {
        self.ping_at = None;
        self.pong_due = None;
        self.idle_at = None;
        if self.close_at.is_none() {
            if let Some(d) = timeout {
                let now = Instant::now();
                self.close_at = Some(now.checked_add(d).unwrap_or(now + FAR_FUTURE));
            }
        }
    }

    /// Whether the close timeout is armed.
    pub(super) fn closing(&self) -> bool {
        self.close_at.is_some()
    }

    fn earliest(&self) -> Option<Instant> {
        [self.close_at, self.ping_at, self.pong_due, self.idle_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Polls the timer (registering `cx` for the earliest deadline) and,
    /// if a deadline passed, says what it asks for. `None`: nothing due
    /// (or no timer).
    pub(super) fn poll_due(
        &mut self,
        cx: &mut Context<'_>,
        config: &WebSocketConfig,
    ) -> Option<Due> {
        let at = self.earliest()?;
        let sleep = self.sleep.as_mut()?;
        if self.armed != Some(at) {
            sleep.as_mut().reset(at);
            self.armed = Some(at);
        }
        if sleep.as_mut().poll(cx).is_pending() {
            return None;
        }
        self.armed = None;
        let now = Instant::now();
        if self.close_at.is_some_and(|t| t <= now) {
            return Some(Due::CloseTimeout);
        }
        if let Some(t) = self.pong_due.filter(|t| *t <= now) {
            let _ = t;
            if !self.alive {
                return Some(Due::KeepAliveTimeout);
            }
            self.pong_due = None;
        }
        if let Some(d) = self
            .idle_at
            .filter(|t| *t <= now)
            .and(config.idle_timeout())
        {
            if std::mem::take(&mut self.active) {
                self.idle_quiet = 0;
            } else {
                self.idle_quiet += 1;
                if self.idle_quiet >= IDLE_CHECKS {
                    return Some(Due::Idle);
                }
            }
            self.idle_at = Some(now + d / u32::from(IDLE_CHECKS));
        }
        if let Some(i) = self
            .ping_at
            .filter(|t| *t <= now)
            .and(config.keep_alive_interval())
        {
            self.ping_at = Some(now + i);
            self.alive = false;
            if self.pong_due.is_none() {
                self.pong_due = Some(now + config.keep_alive_timeout());
            }
            return Some(Due::Ping);
        }
        Some(Due::Nothing)
    }

    /// Whether the close timeout has passed (polling the timer).
    pub(super) fn poll_close_timeout(
        &mut self,
        cx: &mut Context<'_>,
        config: &WebSocketConfig,
    ) -> bool {
        self.close_at.is_some() && self.poll_due(cx, config) == Some(Due::CloseTimeout)
    }
}
