//! Value types: what the decoder hands out ([`SseItem`], [`Event`]) and what
//! the encoder takes ([`Outgoing`], [`OutgoingEvent`]).

use crate::Utf8Bytes;
use std::time::Duration;

/// One dispatched event (§9.2.6 "dispatch the event", steps 1–6), as an
/// `EventSource` hands it to `onmessage`/`addEventListener`.
///
/// All three fields are [`Utf8Bytes`]. A value of at most
/// [`Utf8Bytes::INLINE_CAPACITY`] (38) bytes — a token, an event type, an ID
/// — is copied into the value itself (cheaper than a shared slice's atomic
/// reference count, and it leaves the read buffer unshared); a longer
/// single-line `data` value is a slice of the read buffer, not a copy; a
/// multi-line `data` value is joined in a buffer the decoder reuses.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::sse::{SseDecoder, SseItem};
/// use tokio_util::codec::Decoder;
///
/// let mut buf = BytesMut::from("id: 7\ndata: hi\n\n");
/// let Some(SseItem::Event(ev)) = SseDecoder::new().decode(&mut buf).unwrap() else { panic!() };
/// assert_eq!((&*ev.event_type, &*ev.data, &*ev.last_event_id), ("message", "hi", "7"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// The event type: the last `event` field of the block, or `message`
    /// when there was none or it was empty (§9.2.6 dispatch step 6).
    pub event_type: Utf8Bytes,
    /// The `data` lines of the block joined with LF, without a trailing LF
    /// (§9.2.6 "If the field name is data", dispatch step 3).
    pub data: Utf8Bytes,
    /// The event source's last event ID string at dispatch (§9.2.6 dispatch
    /// steps 1 and 5): the last `id` seen on this stream, in this block or an
    /// earlier one; empty if none or reset by an empty `id`.
    pub last_event_id: Utf8Bytes,
}

/// An item of [`SseDecoder`](super::SseDecoder).
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::sse::{SseDecoder, SseItem};
/// use std::time::Duration;
/// use tokio_util::codec::Decoder;
///
/// let mut dec = SseDecoder::builder().emit_comments(true).build();
/// let mut buf = BytesMut::from(": ping\nretry: 1500\n");
/// assert_eq!(dec.decode(&mut buf).unwrap(), Some(SseItem::Comment("ping".into())));
/// assert_eq!(dec.decode(&mut buf).unwrap(), Some(SseItem::Retry(Duration::from_millis(1500))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SseItem {
    /// A dispatched event (§9.2.6, on a blank line with a non-empty data
    /// buffer).
    Event(Event),
    /// A valid `retry` field: the new reconnection time (§9.2.6 "If the field
    /// name is retry"), reported as soon as its line is read.
    Retry(Duration),
    /// A comment line (§9.2.6 "If the line starts with a U+003A COLON"):
    /// the text after the ':', one leading space removed (the same rule as a
    /// field value). Only produced when
    /// [`emit_comments`](super::SseDecoderBuilder::emit_comments) is on.
    Comment(Utf8Bytes),
}

/// An event to send: `event`, `id` and `data` fields plus the blank line that
/// dispatches it.
///
/// ```
/// use pushcodec::sse::{Outgoing, OutgoingEvent, SseEncoder};
///
/// let ev = OutgoingEvent::new("line 1\nline 2").event("token").id("42");
/// let bytes = SseEncoder::encode_to_bytes(&Outgoing::from(ev)).unwrap();
/// assert_eq!(&bytes[..], b"event: token\nid: 42\ndata: line 1\ndata: line 2\n\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct OutgoingEvent {
    /// The event type; `None` (or empty) means the client sees `message`.
    /// Must not contain CR or LF.
    pub event: Option<Utf8Bytes>,
    /// The event ID; `Some("")` resets the client's last event ID. Must not
    /// contain CR, LF or NUL.
    pub id: Option<Utf8Bytes>,
    /// The data; may contain CRLF, CR or LF (sent as several `data` lines,
    /// received with LF line ends). May be empty: the event still dispatches.
    pub data: Utf8Bytes,
}

impl OutgoingEvent {
    /// An event of type `message` with this data and no id.
    ///
    /// ```
    /// let ev = pushcodec::sse::OutgoingEvent::new("hi");
    /// assert_eq!((ev.event, ev.id, &*ev.data), (None, None, "hi"));
    /// ```
    pub fn new(data: impl Into<Utf8Bytes>) -> Self {
        OutgoingEvent {
            event: None,
            id: None,
            data: data.into(),
        }
    }

    /// Sets the event type.
    ///
    /// ```
    /// let ev = pushcodec::sse::OutgoingEvent::new("hi").event("token");
    /// assert_eq!(ev.event.as_deref(), Some("token"));
    /// ```
    pub fn event(mut self, event: impl Into<Utf8Bytes>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the event ID.
    ///
    /// ```
    /// let ev = pushcodec::sse::OutgoingEvent::new("hi").id("7");
    /// assert_eq!(ev.id.as_deref(), Some("7"));
    /// ```
    pub fn id(mut self, id: impl Into<Utf8Bytes>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// Anything the encoder can write.
///
/// ```
/// use pushcodec::sse::{Outgoing, OutgoingEvent, SseEncoder};
/// use std::time::Duration;
///
/// let items = [
///     Outgoing::Retry(Duration::from_secs(2)),
///     Outgoing::Comment("hello".into()),
///     OutgoingEvent::new("x").into(),
/// ];
/// let wire: Vec<u8> = items.iter().flat_map(|i| SseEncoder::encode_to_bytes(i).unwrap()).collect();
/// assert_eq!(wire, b"retry: 2000\n: hello\ndata: x\n\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Outgoing {
    /// An event (fields plus the dispatching blank line).
    Event(OutgoingEvent),
    /// A comment; ignored by `EventSource`, useful as a keep-alive. CR, LF or
    /// CRLF inside split it into several comment lines.
    Comment(Utf8Bytes),
    /// A `retry` field: the client's new reconnection time, in whole
    /// milliseconds (sub-millisecond parts are dropped).
    Retry(Duration),
}

impl From<OutgoingEvent> for Outgoing {
    fn from(ev: OutgoingEvent) -> Self {
        Outgoing::Event(ev)
    }
}
