//! [`Negotiated`]: what an opening handshake agreed on besides the upgrade
//! itself, handed to the connection.

use crate::ws::extension::deflate::{DeflateParams, DeflateSlot};

/// What the opening handshake agreed on: the subprotocol (RFC 6455 §4.2.2
/// item 5.4, §1.9) and the permessage-deflate parameters (RFC 7692 §7), to
/// build the connection with
/// [`WebSocketStream::from_negotiated`](crate::ws::WebSocketStream::from_negotiated).
///
/// [`server_handshake`](super::server_handshake) and
/// [`validate_response_with`](super::validate_response_with) return one; a
/// handshake done by other means (its `Sec-WebSocket-Extensions` negotiated
/// with [`extension::deflate`](crate::ws::extension::deflate)) builds one
/// with [`Negotiated::new`]. A server's `Negotiated` also holds the
/// connection's place under its
/// [`DeflateLimit`](crate::ws::extension::deflate::DeflateLimit), given back
/// when the connection is dropped.
///
/// ```
/// use pushcodec::ws::extension::deflate::DeflateParams;
/// use pushcodec::ws::handshake::Negotiated;
/// let n = Negotiated::new(Some("chat".into()), Some(DeflateParams::default()));
/// assert_eq!(n.protocol(), Some("chat"));
/// assert_eq!(n.deflate().unwrap().to_string(), "permessage-deflate");
/// assert!(Negotiated::default().deflate().is_none());
/// ```
#[derive(Debug, Default)]
pub struct Negotiated {
    protocol: Option<String>,
    deflate: Option<DeflateParams>,
    slot: Option<DeflateSlot>,
}

impl Negotiated {
    /// What a handshake agreed on: the subprotocol, and the
    /// permessage-deflate parameters (`None`: not negotiated, so no frame
    /// may carry RSV1).
    ///
    /// ```
    /// let n = pushcodec::ws::handshake::Negotiated::new(None, None);
    /// assert!(n.protocol().is_none() && n.deflate().is_none());
    /// ```
    pub fn new(protocol: Option<String>, deflate: Option<DeflateParams>) -> Negotiated {
        Negotiated {
            protocol,
            deflate,
            slot: None,
        }
    }

    pub(crate) fn with_slot(mut self, slot: Option<DeflateSlot>) -> Negotiated {
        self.slot = slot;
        self
    }

    /// The subprotocol, if one was chosen.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::handshake::Negotiated::default().protocol(), None);
    /// ```
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The permessage-deflate parameters, if the extension was agreed.
    ///
    /// ```
    /// assert!(pushcodec::ws::handshake::Negotiated::default().deflate().is_none());
    /// ```
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref()
    }

    /// The parts the connection keeps: the parameters and the limit slot.
    pub(crate) fn into_deflate(self) -> (Option<DeflateParams>, Option<DeflateSlot>) {
        (self.deflate, self.slot)
    }
}
