//! [`FrameCodec`]: a `tokio_util` codec for single frames, in either role.
//!
//! Decoding parses the header once (it is cached while the payload
//! arrives), enforces every header rule before buffering anything, reserves
//! at most what the frame still needs (bounded by `max_frame_size`), then
//! unmasks the payload in place and splits it off the read buffer as
//! [`Bytes`](bytes::Bytes): no copy, and no allocation per frame once the buffer's
//! allocation is shared (`BytesMut::split_to` + `freeze`; the buffer is
//! reclaimed when the handed-out frames are dropped — see
//! `codec/tests/ws_alloc.rs`).

use bytes::{Buf, BytesMut};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::codec::{Decoder, Encoder};

use super::config::DEFAULT_MAX_FRAME_SIZE;
use super::error::{CodecError, EofReason, MessageError, ProtocolError};
use super::frame::{Frame, FrameHeader, OpCode, MAX_HEADER_LEN};
use super::mask::apply_mask;

/// Which end of the connection we are (RFC 6455 §5.1, §5.3).
///
/// ```
/// use pushcodec::ws::Role;
/// assert!(Role::Client.masks_outgoing());
/// assert!(!Role::Server.masks_outgoing());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Role {
    /// Expects masked frames, sends unmasked ones.
    Server,
    /// Expects unmasked frames, masks every frame it sends.
    Client,
}

impl Role {
    /// Whether frames we send are masked (`Client`).
    ///
    /// ```
    /// assert!(pushcodec::ws::Role::Client.masks_outgoing());
    /// ```
    pub fn masks_outgoing(self) -> bool {
        self == Role::Client
    }

    /// The other end's role.
    ///
    /// ```
    /// use pushcodec::ws::Role;
    /// assert_eq!(Role::Client.peer(), Role::Server);
    /// ```
    pub fn peer(self) -> Role {
        match self {
            Role::Server => Role::Client,
            Role::Client => Role::Server,
        }
    }
}

/// Largest single `reserve` the decoder makes while a payload arrives; a
/// large frame grows the buffer in steps as its bytes actually come in, so a
/// header announcing 16 MiB costs nothing until the peer sends them.
const MAX_RESERVE_STEP: usize = 256 << 10;

/// Frame codec: `Decoder<Item = Frame>` + `Encoder<Frame>`.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::ws::{Frame, FrameCodec, OpCode};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut client = FrameCodec::client();
/// let mut server = FrameCodec::server();
/// let mut wire = BytesMut::new();
/// client.encode(Frame::new(true, OpCode::Text, "hi"), &mut wire).unwrap();
/// assert_eq!(wire[1] & 0x80, 0x80); // masked
/// let frame = server.decode(&mut wire).unwrap().unwrap();
/// assert_eq!(&frame.payload[..], b"hi");
/// ```
pub struct FrameCodec {
    role: Role,
    max_frame_size: usize,
    allowed_rsv: u8,
    /// Masking-key generator: clients only (a server never masks, so it
    /// holds no CSPRNG state).
    rng: Option<Box<StdRng>>,
    /// Header already parsed (and checked) for the frame being buffered.
    pending: Option<(FrameHeader, usize)>,
    /// Payload bytes of the pending frame already unmasked in place (by
    /// [`FrameCodec::unmask_available`]).
    unmasked: usize,
    /// `unmasked` of the last frame handed out.
    last_unmasked: usize,
}

impl std::fmt::Debug for FrameCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameCodec")
            .field("role", &self.role)
            .field("max_frame_size", &self.max_frame_size)
            .field("allowed_rsv", &self.allowed_rsv)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl FrameCodec {
    /// A codec for `role` accepting frames up to `max_frame_size` bytes of
    /// payload. A client's masking keys come from a ChaCha-based CSPRNG
    /// (`StdRng`) seeded from the thread-local OS-seeded generator; a
    /// server has none.
    ///
    /// ```
    /// let c = pushcodec::ws::FrameCodec::new(pushcodec::ws::Role::Server, 1 << 20);
    /// assert_eq!(c.max_frame_size(), 1 << 20);
    /// ```
    pub fn new(role: Role, max_frame_size: usize) -> FrameCodec {
        FrameCodec {
            role,
            max_frame_size,
            allowed_rsv: 0,
            rng: match role {
                Role::Client => Some(Box::new(StdRng::from_rng(&mut rand::rng()))),
                Role::Server => None,
            },
            pending: None,
            unmasked: 0,
            last_unmasked: 0,
        }
    }

    /// Server role, default 16 MiB frame limit.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::FrameCodec::server().role(), pushcodec::ws::Role::Server);
    /// ```
    pub fn server() -> FrameCodec {
        FrameCodec::new(Role::Server, DEFAULT_MAX_FRAME_SIZE)
    }

    /// Client role, default 16 MiB frame limit.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::FrameCodec::client().role(), pushcodec::ws::Role::Client);
    /// ```
    pub fn client() -> FrameCodec {
        FrameCodec::new(Role::Client, DEFAULT_MAX_FRAME_SIZE)
    }

    /// Builder: sets the frame payload limit.
    ///
    /// ```
    /// let c = pushcodec::ws::FrameCodec::server().with_max_frame_size(125);
    /// assert_eq!(c.max_frame_size(), 125);
    /// ```
    pub fn with_max_frame_size(mut self, n: usize) -> FrameCodec {
        self.max_frame_size = n;
        self
    }

    /// Builder: RSV bits (`0b0xxx`, RSV1 = `0b100`) that a negotiated
    /// extension claims and the decoder therefore lets through (RFC 6455
    /// §5.2), on the first frame of a data message only (the per-message
    /// bit of RFC 7692 §6.1; on a control frame or a continuation it is
    /// [`ProtocolError::CompressedBitMisplaced`]). Default: none.
    ///
    /// ```
    /// let c = pushcodec::ws::FrameCodec::server().with_allowed_rsv(0b100); // permessage-deflate's RSV1
    /// assert_eq!(c.allowed_rsv(), 0b100);
    /// ```
    pub fn with_allowed_rsv(mut self, rsv: u8) -> FrameCodec {
        self.allowed_rsv = rsv & 0x7;
        self
    }

    /// Our role.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::FrameCodec::client().role(), pushcodec::ws::Role::Client);
    /// ```
    pub fn role(&self) -> Role {
        self.role
    }

    /// The frame payload limit.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::FrameCodec::server().max_frame_size(), 16 << 20);
    /// ```
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// RSV bits accepted on input.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::FrameCodec::server().allowed_rsv(), 0);
    /// ```
    pub fn allowed_rsv(&self) -> u8 {
        self.allowed_rsv
    }

    /// The header to send for `frame` in our role: a fresh random mask key
    /// for a client, none for a server. Checks the control-frame rules
    /// (RFC 6455 §5.5) so that we never emit a frame the peer must reject.
    ///
    /// ```
    /// use pushcodec::ws::{Frame, FrameCodec, OpCode};
    /// let mut c = FrameCodec::client();
    /// let h = c.outgoing_header(&Frame::new(true, OpCode::Binary, "x")).unwrap();
    /// assert!(h.mask.is_some());
    /// assert!(c.outgoing_header(&Frame::new(true, OpCode::Ping, vec![0u8; 126])).is_err());
    /// ```
    pub fn outgoing_header(&mut self, frame: &Frame) -> Result<FrameHeader, MessageError> {
        if frame.opcode.is_control() {
            if !frame.fin {
                return Err(MessageError::FragmentedControlFrame {
                    opcode: frame.opcode,
                });
            }
            if frame.payload.len() > 125 {
                return Err(MessageError::ControlFrameTooLong {
                    opcode: frame.opcode,
                    len: frame.payload.len() as u64,
                });
            }
        }
        let mask = match (self.role, &mut self.rng) {
            (Role::Client, Some(rng)) => Some(rng.random::<[u8; 4]>()),
            (Role::Client, None) => {
                // Only after a role change by hand; seed on demand.
                let mut rng = Box::new(StdRng::from_rng(&mut rand::rng()));
                let key = rng.random::<[u8; 4]>();
                self.rng = Some(rng);
                Some(key)
            }
            (Role::Server, _) => None,
        };
        Ok(frame.header(mask))
    }

    /// Role-dependent header rules, checked before anything is buffered.
    /// `budget` = (bytes of the current message already received,
    /// `max_message_size`) lets the message layer reject an oversized data
    /// frame from its header too.
    fn check(&self, h: &FrameHeader, budget: Option<(u64, usize)>) -> Result<(), ProtocolError> {
        if h.rsv & !self.allowed_rsv != 0 {
            return Err(ProtocolError::ReservedBits { rsv: h.rsv });
        }
        // An allowed bit is a per-message extension's flag (RFC 7692 §6.1:
        // permessage-deflate's RSV1): it belongs on the first frame of a
        // data message, never on a control frame or a continuation.
        if h.rsv != 0 && (h.opcode.is_control() || h.opcode == OpCode::Continuation) {
            return Err(ProtocolError::CompressedBitMisplaced { opcode: h.opcode });
        }
        match (self.role, h.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        // Capped so that header + payload always fits a usize (on 32-bit
        // targets a max_frame_size near usize::MAX would overflow it).
        let max_frame = self.max_frame_size.min(usize::MAX - MAX_HEADER_LEN);
        if h.payload_len > max_frame as u64 {
            return Err(ProtocolError::FrameTooBig {
                len: h.payload_len,
                max: max_frame,
            });
        }
        if let Some((already, max)) = budget {
            let size = already.saturating_add(h.payload_len);
            // A compressed message's first frame (RSV1, RFC 7692 §6): its
            // size on the wire says nothing about the message's, which the
            // inflater bounds as it inflates.
            let compressed = h.rsv & 0b100 != 0;
            if !h.opcode.is_control() && !compressed && size > max as u64 {
                return Err(ProtocolError::MessageTooBig { size, max });
            }
        }
        Ok(())
    }

    /// [`Decoder::decode`] with a message-size budget (see `check`).
    pub(crate) fn decode_with_budget(
        &mut self,
        src: &mut BytesMut,
        budget: Option<(u64, usize)>,
    ) -> Result<Option<Frame>, ProtocolError> {
        match self.decode_or_in_place(src, budget, |_| false)? {
            Some(Decoded::Frame(frame)) => Ok(Some(frame)),
            // `in_place` said no to every frame.
            Some(Decoded::InPlace { .. }) | None => Ok(None),
        }
    }

    /// [`FrameCodec::decode_with_budget`], except that a complete frame
    /// whose header `in_place` accepts is not split off: its payload is
    /// unmasked in place and its range in `src` returned, for a caller that
    /// copies the payload anyway (the message layer's reassembly buffer) and
    /// then advances `src` past `payload.end`. That saves the shared slice
    /// (an atomic reference count up and down) per fragment.
    pub(crate) fn decode_or_in_place(
        &mut self,
        src: &mut BytesMut,
        budget: Option<(u64, usize)>,
        in_place: impl FnOnce(&FrameHeader) -> bool,
    ) -> Result<Option<Decoded>, ProtocolError> {
        // The header is kept in `pending` only while its payload is
        // incomplete (a complete frame, the common case, never stores it).
        let (header, header_len) = match self.pending.take() {
            Some(p) => p,
            None => match FrameHeader::parse(src)? {
                Some((h, n)) => {
                    self.check(&h, budget)?;
                    (h, n)
                }
                None => {
                    src.reserve(MAX_HEADER_LEN.saturating_sub(src.len()));
                    return Ok(None);
                }
            },
        };
        // `check` bounded payload_len by max_frame_size and by
        // usize::MAX - MAX_HEADER_LEN, so neither line below overflows.
        let payload_len = header.payload_len as usize;
        let total = header_len + payload_len;
        if src.len() < total {
            self.pending = Some((header, header_len));
            src.reserve((total - src.len()).min(MAX_RESERVE_STEP));
            return Ok(None);
        }
        let done = std::mem::take(&mut self.unmasked);
        self.last_unmasked = done;
        if in_place(&header) {
            if let Some(key) = header.mask {
                apply_mask(&mut src[header_len + done..total], key, done);
            }
            return Ok(Some(Decoded::InPlace {
                header,
                payload: header_len..total,
            }));
        }
        src.advance(header_len);
        let mut payload = src.split_to(payload_len);
        match header.mask {
            // The usual case, spelled out so the key rotation folds away.
            Some(key) if done == 0 => apply_mask(&mut payload, key, 0),
            Some(key) => apply_mask(&mut payload[done..], key, done),
            None => {}
        }
        Ok(Some(Decoded::Frame(Frame {
            fin: header.fin,
            rsv: header.rsv,
            opcode: header.opcode,
            payload: payload.freeze(),
        })))
    }
}

/// What [`FrameCodec::decode_or_in_place`] produced.
pub(crate) enum Decoded {
    /// A frame split off the buffer (zero-copy payload).
    Frame(Frame),
    /// A frame left in the buffer, its payload unmasked at `payload`; the
    /// caller advances the buffer past `payload.end`.
    InPlace {
        header: FrameHeader,
        payload: std::ops::Range<usize>,
    },
}

impl FrameCodec {
    /// The opcode and RSV bits of the frame whose payload is being
    /// buffered, if any.
    pub(crate) fn pending_opcode(&self) -> Option<(OpCode, u8)> {
        self.pending.map(|(h, _)| (h.opcode, h.rsv))
    }

    /// Unmasks, in place, the payload bytes of the pending frame that have
    /// arrived since the last call, and returns where they are in `src`
    /// (`start..end`) and how many payload bytes came before them. Lets the
    /// message layer validate text while a large frame is still arriving.
    /// Each byte is unmasked once (the final decode skips them).
    pub(crate) fn unmask_available(
        &mut self,
        src: &mut BytesMut,
    ) -> Option<(std::ops::Range<usize>, usize)> {
        let (header, header_len) = self.pending?;
        let arrived = src
            .len()
            .saturating_sub(header_len)
            .min(header.payload_len as usize);
        if arrived <= self.unmasked {
            return None;
        }
        let before = self.unmasked;
        let range = header_len + before..header_len + arrived;
        if let Some(key) = header.mask {
            apply_mask(&mut src[range.clone()], key, before);
        }
        self.unmasked = arrived;
        Some((range, before))
    }

    /// How many payload bytes of the frame just decoded had been unmasked
    /// (and so seen by the caller) before it was complete.
    pub(crate) fn last_frame_seen_early(&self) -> usize {
        self.last_unmasked
    }
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(self.decode_with_budget(src, None)?)
    }

    /// At the end of the stream, bytes left over are a truncated frame:
    /// [`CodecError::UnexpectedEof`] (not tokio-util's untyped I/O error).
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() => Ok(None),
            None => Err(CodecError::UnexpectedEof(EofReason::InsideFrame)),
        }
    }
}

impl Encoder<Frame> for FrameCodec {
    type Error = CodecError;

    /// Appends the frame to `dst`; a client masks a copy of the payload as
    /// it goes into `dst` (the caller's `Bytes` is never modified).
    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        let header = self.outgoing_header(&frame)?;
        dst.reserve(header.encoded_len() + frame.payload.len());
        header.encode(dst);
        let start = dst.len();
        dst.extend_from_slice(&frame.payload);
        if let Some(key) = header.mask {
            apply_mask(&mut dst[start..], key, 0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::OpCode;

    fn wire(role_of_sender: Role, frame: Frame) -> BytesMut {
        let mut c = FrameCodec::new(role_of_sender, usize::MAX);
        let mut b = BytesMut::new();
        c.encode(frame, &mut b).unwrap();
        b
    }

    #[test]
    fn server_rejects_unmasked_and_client_rejects_masked() {
        let mut from_server = wire(Role::Server, Frame::new(true, OpCode::Text, "x"));
        assert!(matches!(
            FrameCodec::server().decode(&mut from_server),
            Err(CodecError::Protocol(ProtocolError::UnmaskedFrame))
        ));
        let mut from_client = wire(Role::Client, Frame::new(true, OpCode::Text, "x"));
        assert!(matches!(
            FrameCodec::client().decode(&mut from_client),
            Err(CodecError::Protocol(ProtocolError::MaskedFrame))
        ));
    }

    #[test]
    fn rsv_bits_rejected_unless_allowed() {
        let mut f = Frame::new(true, OpCode::Binary, "x");
        f.rsv = 0b100;
        let mut b = wire(Role::Client, f.clone());
        assert!(matches!(
            FrameCodec::server().decode(&mut b.clone()),
            Err(CodecError::Protocol(ProtocolError::ReservedBits {
                rsv: 0b100
            }))
        ));
        let got = FrameCodec::server()
            .with_allowed_rsv(0b100)
            .decode(&mut b)
            .unwrap();
        assert_eq!(got, Some(f));
    }

    /// RFC 7692 §6.1: RSV1 only on the first frame of a data message; on a
    /// continuation or a control frame it fails from the header (1002).
    #[test]
    fn allowed_rsv1_is_refused_on_continuations_and_control_frames() {
        for opcode in [
            OpCode::Continuation,
            OpCode::Ping,
            OpCode::Pong,
            OpCode::Close,
        ] {
            let mut f = Frame::new(true, opcode, "");
            f.rsv = 0b100;
            let mut b = wire(Role::Client, f);
            let err = FrameCodec::server()
                .with_allowed_rsv(0b100)
                .decode(&mut b)
                .unwrap_err();
            assert!(
                matches!(err, CodecError::Protocol(ProtocolError::CompressedBitMisplaced { opcode: o }) if o == opcode),
                "{err}"
            );
            assert_eq!(err.close_code().map(|c| c.0), Some(1002));
        }
    }

    #[test]
    fn too_big_is_rejected_from_the_header_alone() {
        // Header announcing 2^40 bytes, no payload at all.
        let mut b =
            BytesMut::from(&b"\x82\xFF\x00\x00\x01\x00\x00\x00\x00\x00\x01\x02\x03\x04"[..]);
        let cap = b.capacity();
        let err = FrameCodec::server().decode(&mut b).unwrap_err();
        assert!(
            matches!(err, CodecError::Protocol(ProtocolError::FrameTooBig { len, .. }) if len == 1 << 40)
        );
        assert_eq!(b.capacity(), cap, "nothing reserved before the check");
    }

    #[test]
    fn reserve_is_bounded_by_the_frame() {
        let mut c = FrameCodec::new(Role::Server, 1000);
        let mut b = BytesMut::from(&b"\x82\xFE\x03\xE8\x01\x02\x03\x04"[..]); // 1000 bytes announced
        assert!(c.decode(&mut b).unwrap().is_none());
        assert!(
            b.capacity() <= 2 * (1000 + MAX_HEADER_LEN),
            "cap {}",
            b.capacity()
        );
    }

    #[test]
    fn byte_by_byte_decodes_the_same_frame() {
        let payload: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let full = wire(
            Role::Client,
            Frame::new(true, OpCode::Binary, payload.clone()),
        );
        let mut c = FrameCodec::server();
        let mut buf = BytesMut::new();
        let mut out = None;
        for (i, byte) in full.iter().enumerate() {
            buf.extend_from_slice(&[*byte]);
            if let Some(f) = c.decode(&mut buf).unwrap() {
                assert_eq!(i, full.len() - 1, "frame complete only at the last byte");
                out = Some(f);
            }
        }
        assert_eq!(&out.unwrap().payload[..], &payload[..]);
        assert!(buf.is_empty());
    }

    #[test]
    fn payload_is_a_slice_of_the_read_buffer() {
        let mut b = wire(
            Role::Client,
            Frame::new(true, OpCode::Binary, vec![5u8; 64]),
        );
        let base = b.as_ptr() as usize;
        let f = FrameCodec::server().decode(&mut b).unwrap().unwrap();
        let p = f.payload.as_ptr() as usize;
        assert_eq!(
            p,
            base + 2 + 4,
            "payload starts right after the 6-byte header"
        );
    }

    /// `n` masking keys from a fresh client codec, as big-endian u32s.
    fn client_keys(n: usize) -> Vec<u32> {
        let mut c = FrameCodec::client();
        (0..n)
            .map(|_| {
                let key = c
                    .outgoing_header(&Frame::new(true, OpCode::Binary, ""))
                    .unwrap()
                    .mask
                    .unwrap();
                u32::from_be_bytes(key)
            })
            .collect()
    }

    fn distinct(v: impl IntoIterator<Item = u32>) -> usize {
        v.into_iter()
            .collect::<std::collections::HashSet<u32>>()
            .len()
    }

    #[test]
    fn masking_keys_differ_between_frames() {
        let keys = client_keys(64);
        assert!(
            distinct(keys.iter().copied()) > 60,
            "keys repeat: {keys:x?}"
        );
    }

    /// RFC 6455 §5.3 / §10.3: the key must be unpredictable. A generator
    /// seeded with a constant gives two codecs the same sequence; a counter
    /// (or any constant additive or xor step) makes the next key follow
    /// from the last one. Either fails here (by chance: < 1e-6).
    #[test]
    fn masking_keys_are_independent_between_codecs_and_have_no_constant_step() {
        let a = client_keys(64);
        let b = client_keys(64);
        let common = a.iter().filter(|k| b.contains(k)).count();
        assert!(common <= 1, "two codecs share {common} of 64 keys: {a:x?}");
        for keys in [&a, &b] {
            for little_endian in [false, true] {
                let k: Vec<u32> = keys
                    .iter()
                    .map(|&x| if little_endian { x.swap_bytes() } else { x })
                    .collect();
                let steps = distinct(k.windows(2).map(|w| w[1].wrapping_sub(w[0])));
                let xors = distinct(k.windows(2).map(|w| w[1] ^ w[0]));
                assert!(steps > 55 && xors > 55, "keys follow a pattern: {k:x?}");
            }
            // 2048 bits: a fair generator sets 1024 +- 22.6 (1 sigma).
            let ones: u32 = keys.iter().map(|k| k.count_ones()).sum();
            assert!((880..=1168).contains(&ones), "{ones} of 2048 bits set");
        }
    }

    #[test]
    fn encoder_refuses_invalid_control_frames() {
        let mut c = FrameCodec::server();
        let mut b = BytesMut::new();
        assert!(c
            .encode(Frame::new(false, OpCode::Ping, ""), &mut b)
            .is_err());
        assert!(c
            .encode(Frame::new(true, OpCode::Close, vec![0u8; 126]), &mut b)
            .is_err());
        assert!(b.is_empty());
    }
}
