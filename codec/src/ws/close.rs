//! Close codes and close frames (RFC 6455 §5.5.1, §7.4).
//!
//! ```
//! use pushcodec::ws::{CloseCode, CloseFrame, Message};
//! let bye = Message::close(CloseCode::GOING_AWAY, "server restart");
//! let Message::Close(Some(CloseFrame { code, reason })) = &bye else { unreachable!() };
//! assert_eq!((*code, &**reason), (CloseCode(1001), "server restart"));
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{MessageError, ProtocolError};
use crate::Utf8Bytes;

/// A WebSocket close status code (RFC 6455 §7.4, IANA "WebSocket Close Code
/// Number Registry").
///
/// Any `u16` can be held; [`CloseCode::is_valid_on_wire`] tells whether it may
/// appear in a Close frame.
///
/// ```
/// use pushcodec::ws::CloseCode;
/// assert!(CloseCode::NORMAL.is_valid_on_wire());
/// assert!(!CloseCode(1005).is_valid_on_wire()); // "no status", never sent
/// assert!(CloseCode(4000).is_valid_on_wire());  // private use
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::NORMAL.is_valid_on_wire());
    /// let close = Message::close(CloseCode::NORMAL, "");
    /// # let _ = close;
    /// ```
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: endpoint going away (server shutdown, page navigation).
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::GOING_AWAY.is_valid_on_wire());
    /// let close = Message::close(CloseCode::GOING_AWAY, "");
    /// # let _ = close;
    /// ```
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::PROTOCOL_ERROR.is_valid_on_wire());
    /// let close = Message::close(CloseCode::PROTOCOL_ERROR, "");
    /// # let _ = close;
    /// ```
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: unsupported data type.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::UNSUPPORTED.is_valid_on_wire());
    /// let close = Message::close(CloseCode::UNSUPPORTED, "");
    /// # let _ = close;
    /// ```
    pub const UNSUPPORTED: CloseCode = CloseCode(1003);
    /// 1005: no status code was present (never on the wire).
    ///
    /// ```
    /// use pushcodec::ws::CloseCode;
    /// // reported locally, never sent in a Close frame:
    /// assert!(!CloseCode::NO_STATUS.is_valid_on_wire());
    /// ```
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: abnormal closure (never on the wire).
    ///
    /// ```
    /// use pushcodec::ws::CloseCode;
    /// // reported locally, never sent in a Close frame:
    /// assert!(!CloseCode::ABNORMAL.is_valid_on_wire());
    /// ```
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: invalid payload data (e.g. non-UTF-8 text).
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::INVALID_PAYLOAD.is_valid_on_wire());
    /// let close = Message::close(CloseCode::INVALID_PAYLOAD, "");
    /// # let _ = close;
    /// ```
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: policy violation.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::POLICY.is_valid_on_wire());
    /// let close = Message::close(CloseCode::POLICY, "");
    /// # let _ = close;
    /// ```
    pub const POLICY: CloseCode = CloseCode(1008);
    /// 1009: message too big.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::TOO_BIG.is_valid_on_wire());
    /// let close = Message::close(CloseCode::TOO_BIG, "");
    /// # let _ = close;
    /// ```
    pub const TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: client expected an extension the server did not negotiate.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::MANDATORY_EXTENSION.is_valid_on_wire());
    /// let close = Message::close(CloseCode::MANDATORY_EXTENSION, "");
    /// # let _ = close;
    /// ```
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: internal server error.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::INTERNAL.is_valid_on_wire());
    /// let close = Message::close(CloseCode::INTERNAL, "");
    /// # let _ = close;
    /// ```
    pub const INTERNAL: CloseCode = CloseCode(1011);
    /// 1012: service restart (IANA).
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::SERVICE_RESTART.is_valid_on_wire());
    /// let close = Message::close(CloseCode::SERVICE_RESTART, "");
    /// # let _ = close;
    /// ```
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA).
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::TRY_AGAIN_LATER.is_valid_on_wire());
    /// let close = Message::close(CloseCode::TRY_AGAIN_LATER, "");
    /// # let _ = close;
    /// ```
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: bad gateway (IANA).
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// assert!(CloseCode::BAD_GATEWAY.is_valid_on_wire());
    /// let close = Message::close(CloseCode::BAD_GATEWAY, "");
    /// # let _ = close;
    /// ```
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);

    /// Whether this code may be sent or received in a Close frame:
    /// 1000–1003, 1007–1014 (RFC 6455 §7.4.1 and the IANA registry) and
    /// 3000–4999 (registered and private use, §7.4.2). 0–999, 1004–1006,
    /// 1015, 1016–2999 and 5000+ are invalid.
    ///
    /// ```
    /// use pushcodec::ws::CloseCode;
    /// assert!(CloseCode(1014).is_valid_on_wire());
    /// assert!(!CloseCode(1015).is_valid_on_wire());
    /// assert!(!CloseCode(2999).is_valid_on_wire());
    /// ```
    pub fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(c: u16) -> Self {
        CloseCode(c)
    }
}

impl From<CloseCode> for u16 {
    fn from(c: CloseCode) -> u16 {
        c.0
    }
}

impl std::fmt::Display for CloseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The payload of a Close frame with a status code: code + UTF-8 reason
/// (RFC 6455 §5.5.1). A Close frame with an empty payload is
/// `Message::Close(None)`.
///
/// ```
/// use pushcodec::ws::{CloseCode, CloseFrame};
/// let cf = CloseFrame::new(CloseCode::GOING_AWAY, "bye");
/// let payload = cf.encode().unwrap();
/// assert_eq!(&payload[..], b"\x03\xe9bye");
/// assert_eq!(CloseFrame::parse(payload).unwrap(), Some(cf));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason (at most 123 bytes when sent).
    pub reason: Utf8Bytes,
}

impl CloseFrame {
    /// Builds a close frame.
    ///
    /// ```
    /// let cf = pushcodec::ws::CloseFrame::new(pushcodec::ws::CloseCode::NORMAL, "done");
    /// assert_eq!(cf.reason, "done");
    /// ```
    pub fn new(code: CloseCode, reason: impl Into<Utf8Bytes>) -> Self {
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }

    /// Parses and validates a received Close payload (RFC 6455 §5.5.1,
    /// §7.4): empty → `None`; 1 byte → error; a code not valid on the wire →
    /// error; a reason that is not UTF-8 → error. The reason is a zero-copy
    /// slice of `payload`.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use pushcodec::ws::CloseFrame;
    /// assert_eq!(CloseFrame::parse(Bytes::new()).unwrap(), None);
    /// assert!(CloseFrame::parse(Bytes::from_static(b"\x03")).is_err());
    /// assert!(CloseFrame::parse(Bytes::from_static(b"\x03\xed")).is_err()); // 1005
    /// assert!(CloseFrame::parse(Bytes::from_static(b"\x03\xe8\xff")).is_err()); // bad UTF-8
    /// ```
    pub fn parse(mut payload: Bytes) -> Result<Option<CloseFrame>, ProtocolError> {
        match payload.len() {
            0 => return Ok(None),
            1 => return Err(ProtocolError::CloseOneByte),
            _ => {}
        }
        let code = CloseCode(u16::from_be_bytes([payload[0], payload[1]]));
        if !code.is_valid_on_wire() {
            return Err(ProtocolError::InvalidCloseCode { code: code.0 });
        }
        let reason_bytes = payload.split_off(2);
        let reason = Utf8Bytes::try_from(reason_bytes).map_err(|e| ProtocolError::InvalidUtf8 {
            what: "close reason",
            offset: e.valid_up_to,
        })?;
        Ok(Some(CloseFrame { code, reason }))
    }

    /// Encodes the Close payload (2-byte code + reason). Fails if the reason
    /// is over 123 bytes (the payload would exceed the 125-byte control-frame
    /// limit).
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, CloseFrame};
    /// let long = "x".repeat(124);
    /// assert!(CloseFrame::new(CloseCode::NORMAL, long).encode().is_err());
    /// ```
    pub fn encode(&self) -> Result<Bytes, MessageError> {
        if self.reason.len() > 123 {
            return Err(MessageError::CloseReasonTooLong {
                len: self.reason.len(),
            });
        }
        let mut b = BytesMut::with_capacity(2 + self.reason.len());
        b.put_u16(self.code.0);
        b.put_slice(self.reason.as_bytes());
        Ok(b.freeze())
    }
}

/// Generates only close frames that are valid on the wire (a code from
/// 1000–1003, 1007–1014 or 3000–4999, a reason of at most 123 bytes), so that
/// arbitrary messages can be sent and round-tripped.
#[cfg(feature = "arbitrary")]
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> arbitrary::Arbitrary<'a> for CloseFrame {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let code = match u.int_in_range(0..=2u8)? {
            0 => u.int_in_range(1000..=1003u16)?,
            1 => u.int_in_range(1007..=1014u16)?,
            _ => u.int_in_range(3000..=4999u16)?,
        };
        let mut reason = String::arbitrary(u)?;
        let mut cut = reason.len().min(123);
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
        Ok(CloseFrame {
            code: CloseCode(code),
            reason: Utf8Bytes::from(reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455 §7.4 + IANA registry, checked code by code over the full range.
    #[test]
    fn validity_over_every_u16() {
        for c in 0..=u16::MAX {
            let expected = (1000..=1003).contains(&c)
                || (1007..=1014).contains(&c)
                || (3000..=4999).contains(&c);
            assert_eq!(CloseCode(c).is_valid_on_wire(), expected, "code {c}");
        }
        for bad in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(bad).is_valid_on_wire(), "{bad}");
        }
    }

    #[test]
    fn parse_rejects_each_invalid_form() {
        assert!(matches!(
            CloseFrame::parse(Bytes::from_static(b"\x03")),
            Err(ProtocolError::CloseOneByte)
        ));
        assert!(matches!(
            CloseFrame::parse(Bytes::from_static(b"\x03\xee")),
            Err(ProtocolError::InvalidCloseCode { code: 1006 })
        ));
        assert!(matches!(
            CloseFrame::parse(Bytes::from_static(b"\x03\xe8ok\xc3")),
            Err(ProtocolError::InvalidUtf8 { offset: 2, .. })
        ));
    }

    #[test]
    fn reason_is_a_slice_of_the_payload() {
        let p = Bytes::from_static(b"\x0f\xa0private");
        let cf = CloseFrame::parse(p.clone()).unwrap().unwrap();
        assert_eq!(cf.code, CloseCode(4000));
        assert_eq!(cf.reason.as_bytes().as_ptr(), p[2..].as_ptr());
    }

    #[test]
    fn max_reason_length_encodes() {
        let cf = CloseFrame::new(CloseCode::NORMAL, "r".repeat(123));
        assert_eq!(cf.encode().unwrap().len(), 125);
    }
}
