//! Frames: the header layout, parsing and encoding (RFC 6455 §5.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! | Masking-key (continued)       |          Payload Data         |
//! +-------------------------------- - - - - - - - - - - - - - - - +
//! ```
//!
//! Payload len 0–125 is the length itself; 126 means a 16-bit big-endian
//! length follows, 127 a 64-bit one whose most significant bit must be 0.
//! A header is therefore 2 to 14 bytes ([`MAX_HEADER_LEN`]).
//!
//! [`FrameHeader::parse`] only checks what the header alone says about
//! itself (reserved opcodes, the 64-bit top bit, control-frame rules); the
//! role-dependent rules (masking, RSV bits, `max_frame_size`) are enforced by
//! [`FrameCodec`](super::FrameCodec).

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ProtocolError;

/// The longest possible frame header: 2 + 8 (64-bit length) + 4 (mask key).
///
/// ```
/// use pushcodec::ws::{Frame, OpCode, frame::MAX_HEADER_LEN};
/// let mut out = [0u8; MAX_HEADER_LEN]; // room for any header
/// let n = Frame::new(true, OpCode::Binary, vec![0u8; 70_000]).header(Some([1, 2, 3, 4])).write(&mut out);
/// assert_eq!(n, MAX_HEADER_LEN); // 64-bit length and a mask key: the longest
/// ```
pub const MAX_HEADER_LEN: usize = 14;

/// A frame opcode (RFC 6455 §5.2). Reserved opcodes (3–7, 0xB–0xF) have no
/// variant: they are rejected when parsed.
///
/// ```
/// use pushcodec::ws::OpCode;
/// assert_eq!(OpCode::from_u8(0x9), Some(OpCode::Ping));
/// assert_eq!(OpCode::from_u8(0x3), None);
/// assert!(OpCode::Close.is_control());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum OpCode {
    /// 0x0: continuation of a fragmented message.
    Continuation,
    /// 0x1: text (UTF-8) data.
    Text,
    /// 0x2: binary data.
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// Decodes a 4-bit opcode; `None` for reserved values.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::OpCode::from_u8(0xA), Some(pushcodec::ws::OpCode::Pong));
    /// ```
    pub fn from_u8(v: u8) -> Option<OpCode> {
        Some(match v {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            _ => return None,
        })
    }

    /// The 4-bit wire value.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::OpCode::Close.as_u8(), 8);
    /// ```
    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Close, Ping and Pong are control opcodes (RFC 6455 §5.5).
    ///
    /// ```
    /// assert!(!pushcodec::ws::OpCode::Text.is_control());
    /// ```
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }
}

/// A parsed frame header.
///
/// ```
/// use pushcodec::ws::{FrameHeader, OpCode};
/// // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
/// let (h, len) = FrameHeader::parse(b"\x81\x05Hello").unwrap().unwrap();
/// assert_eq!(len, 2);
/// assert!(h.fin);
/// assert_eq!(h.opcode, OpCode::Text);
/// assert_eq!(h.payload_len, 5);
/// assert_eq!(h.mask, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: last fragment of a message.
    pub fin: bool,
    /// RSV1..3 as `0b0xxx` (RSV1 is `0b100`).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Parses a header from the start of `buf`. `Ok(None)` means more bytes
    /// are needed (at most [`MAX_HEADER_LEN`] in total); `Ok(Some((header,
    /// header_len)))` gives the header and how many bytes it took.
    ///
    /// Rejects reserved opcodes, a 64-bit length with its top bit set, and
    /// control frames that are fragmented or longer than 125 bytes (RFC 6455
    /// §5.2, §5.5) — all decided from the header, before any payload is read.
    ///
    /// ```
    /// use pushcodec::ws::FrameHeader;
    /// assert!(FrameHeader::parse(b"\x81").unwrap().is_none());      // need more
    /// assert!(FrameHeader::parse(b"\x83\x00").is_err());            // opcode 3
    /// assert!(FrameHeader::parse(b"\x09\x00").is_err());            // fragmented ping
    /// ```
    pub fn parse(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        if buf.len() < 2 {
            return Ok(None);
        }
        let b0 = buf[0];
        let b1 = buf[1];
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 0x7;
        let raw_op = b0 & 0x0F;
        let opcode =
            OpCode::from_u8(raw_op).ok_or(ProtocolError::ReservedOpcode { opcode: raw_op })?;
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        if opcode.is_control() {
            if !fin {
                return Err(ProtocolError::FragmentedControlFrame { opcode });
            }
            if len7 > 125 {
                // 126/127 announce an extended length, which is > 125 in any
                // minimal encoding and forbidden for control frames anyway.
                let len = match Self::extended_len(buf, len7)? {
                    Some((l, _)) => l,
                    None => u64::from(len7),
                };
                return Err(ProtocolError::ControlFrameTooLong { opcode, len });
            }
        }
        let (payload_len, mut pos) = match Self::extended_len(buf, len7)? {
            Some(v) => v,
            None => return Ok(None),
        };
        let mask = if masked {
            if buf.len() < pos + 4 {
                return Ok(None);
            }
            let key = [buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]];
            pos += 4;
            Some(key)
        } else {
            None
        };
        Ok(Some((
            FrameHeader {
                fin,
                rsv,
                opcode,
                mask,
                payload_len,
            },
            pos,
        )))
    }

    /// Length and end position of the length field; `None` if incomplete.
    fn extended_len(buf: &[u8], len7: u8) -> Result<Option<(u64, usize)>, ProtocolError> {
        Ok(match len7 {
            126 => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                Some((u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4))
            }
            127 => {
                if buf.len() < 10 {
                    return Ok(None);
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&buf[2..10]);
                let len = u64::from_be_bytes(b);
                if len >> 63 != 0 {
                    return Err(ProtocolError::LengthTopBitSet { len });
                }
                Some((len, 10))
            }
            n => Some((u64::from(n), 2)),
        })
    }

    /// Number of bytes [`FrameHeader::write`] produces.
    ///
    /// ```
    /// use pushcodec::ws::{FrameHeader, OpCode};
    /// let h = FrameHeader { fin: true, rsv: 0, opcode: OpCode::Binary, mask: None, payload_len: 126 };
    /// assert_eq!(h.encoded_len(), 4);
    /// ```
    pub fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Writes the header into `out` (minimal length encoding, as §5.2
    /// requires) and returns the number of bytes written.
    ///
    /// ```
    /// use pushcodec::ws::{FrameHeader, OpCode};
    /// let h = FrameHeader { fin: true, rsv: 0, opcode: OpCode::Text, mask: None, payload_len: 5 };
    /// let mut out = [0u8; 14];
    /// let n = h.write(&mut out);
    /// assert_eq!(&out[..n], b"\x81\x05");
    /// ```
    pub fn write(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        out[0] = (u8::from(self.fin) << 7) | ((self.rsv & 0x7) << 4) | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut pos = match self.payload_len {
            n @ 0..=125 => {
                out[1] = mask_bit | n as u8;
                2
            }
            n @ 126..=0xFFFF => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&n.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            out[pos..pos + 4].copy_from_slice(&key);
            pos += 4;
        }
        pos
    }

    /// Appends the header to `dst`.
    ///
    /// ```
    /// use pushcodec::ws::{FrameHeader, OpCode};
    /// let h = FrameHeader { fin: false, rsv: 0, opcode: OpCode::Binary, mask: Some([1, 2, 3, 4]), payload_len: 0 };
    /// let mut dst = bytes::BytesMut::new();
    /// h.encode(&mut dst);
    /// assert_eq!(&dst[..], b"\x02\x80\x01\x02\x03\x04");
    /// ```
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut out = [0u8; MAX_HEADER_LEN];
        let n = self.write(&mut out);
        dst.put_slice(&out[..n]);
    }
}

/// One WebSocket frame with its (unmasked) payload.
///
/// ```
/// use pushcodec::ws::{Frame, OpCode};
/// let f = Frame::new(true, OpCode::Binary, bytes::Bytes::from_static(b"\x00\x01"));
/// assert_eq!(f.payload.len(), 2);
/// assert_eq!(f.rsv, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN: last fragment of a message.
    pub fin: bool,
    /// RSV1..3 as `0b0xxx`.
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The payload, already unmasked.
    pub payload: Bytes,
}

impl Frame {
    /// A frame with no RSV bits.
    ///
    /// ```
    /// let f = pushcodec::ws::Frame::new(false, pushcodec::ws::OpCode::Text, "he");
    /// assert!(!f.fin);
    /// ```
    pub fn new(fin: bool, opcode: OpCode, payload: impl Into<Bytes>) -> Frame {
        Frame {
            fin,
            rsv: 0,
            opcode,
            payload: payload.into(),
        }
    }

    /// A header describing this frame (with the given mask key).
    ///
    /// ```
    /// let f = pushcodec::ws::Frame::new(true, pushcodec::ws::OpCode::Ping, "p");
    /// assert_eq!(f.header(None).payload_len, 1);
    /// ```
    pub fn header(&self, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: self.fin,
            rsv: self.rsv,
            opcode: self.opcode,
            mask,
            payload_len: self.payload.len() as u64,
        }
    }
}

#[cfg(feature = "arbitrary")]
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> arbitrary::Arbitrary<'a> for Frame {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let opcode = OpCode::arbitrary(u)?;
        let mut payload: Vec<u8> = u.arbitrary()?;
        if opcode.is_control() {
            payload.truncate(125);
        }
        Ok(Frame {
            fin: opcode.is_control() || u.arbitrary()?,
            rsv: u8::arbitrary(u)? & 0x7,
            opcode,
            payload: Bytes::from(payload),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(h: FrameHeader) {
        let mut out = [0u8; MAX_HEADER_LEN];
        let n = h.write(&mut out);
        assert_eq!(n, h.encoded_len());
        let (parsed, len) = FrameHeader::parse(&out[..n]).unwrap().unwrap();
        assert_eq!((parsed, len), (h, n));
        // Every strict prefix asks for more bytes.
        for cut in 0..n {
            assert!(
                FrameHeader::parse(&out[..cut]).unwrap().is_none(),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn length_boundaries_roundtrip() {
        for len in [
            0,
            1,
            125,
            126,
            127,
            65535,
            65536,
            u32::MAX as u64,
            (1 << 63) - 1,
        ] {
            for mask in [None, Some([9, 8, 7, 6])] {
                roundtrip(FrameHeader {
                    fin: true,
                    rsv: 0b101,
                    opcode: OpCode::Binary,
                    mask,
                    payload_len: len,
                });
            }
        }
    }

    #[test]
    fn rfc6455_5_7_examples() {
        // Unmasked "Hel" fragment, then "lo" continuation.
        let (h, _) = FrameHeader::parse(b"\x01\x03Hel").unwrap().unwrap();
        assert!(!h.fin);
        assert_eq!(h.opcode, OpCode::Text);
        let (h, _) = FrameHeader::parse(b"\x80\x02lo").unwrap().unwrap();
        assert_eq!(h.opcode, OpCode::Continuation);
        // 256 bytes binary in one unmasked frame.
        let (h, n) = FrameHeader::parse(b"\x82\x7E\x01\x00").unwrap().unwrap();
        assert_eq!((h.payload_len, n), (256, 4));
        // 64 KiB binary.
        let (h, n) = FrameHeader::parse(b"\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00")
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (65536, 10));
        // Masked ping.
        let (h, n) = FrameHeader::parse(b"\x89\x85\x37\xfa\x21\x3d")
            .unwrap()
            .unwrap();
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(n, 6);
    }

    #[test]
    fn rejects_reserved_opcodes() {
        for op in (3..=7).chain(0xB..=0xF) {
            let buf = [0x80 | op, 0];
            assert!(
                matches!(FrameHeader::parse(&buf), Err(ProtocolError::ReservedOpcode { opcode }) if opcode == op),
                "opcode {op}"
            );
        }
    }

    #[test]
    fn rejects_64bit_length_with_top_bit() {
        let buf = b"\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x00";
        assert!(matches!(
            FrameHeader::parse(buf),
            Err(ProtocolError::LengthTopBitSet { .. })
        ));
    }

    #[test]
    fn rejects_long_or_fragmented_control_frames() {
        assert!(matches!(
            FrameHeader::parse(b"\x89\x7E\x00\x7E"),
            Err(ProtocolError::ControlFrameTooLong { len: 126, .. })
        ));
        // Rejected even before the extended length arrives.
        assert!(matches!(
            FrameHeader::parse(b"\x88\x7F"),
            Err(ProtocolError::ControlFrameTooLong { .. })
        ));
        assert!(matches!(
            FrameHeader::parse(b"\x0A\x00"),
            Err(ProtocolError::FragmentedControlFrame {
                opcode: OpCode::Pong
            })
        ));
        assert!(FrameHeader::parse(b"\x89\x7D").unwrap().is_some());
    }
}
