//! Property laws of the WebSocket codecs (RFC 6455 §5): round trips in both
//! roles across the 125/126/65535/65536 length boundaries, chunking
//! invariance, incremental UTF-8 agreeing with `std`, and bounded buffering
//! on arbitrary input.

use bytes::BytesMut;
use proptest::prelude::*;
use pushcodec::ws::frame::MAX_HEADER_LEN;
use pushcodec::ws::utf8::Utf8Validator;
use pushcodec::ws::{
    CloseCode, CloseFrame, Frame, FrameCodec, Message, MessageCodec, OpCode, Role, WebSocketConfig,
};
use tokio_util::codec::{Decoder, Encoder};

fn payload_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..=130,
        65530usize..=65540,
        Just(125),
        Just(126),
        Just(65535),
        Just(65536),
    ]
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    payload_len().prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n..=n))
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

fn frame() -> impl Strategy<Value = Frame> {
    let data = (
        prop_oneof![
            Just(OpCode::Continuation),
            Just(OpCode::Text),
            Just(OpCode::Binary)
        ],
        any::<bool>(),
        payload(),
    )
        .prop_map(|(op, fin, p)| Frame::new(fin, op, p));
    let control = (
        prop_oneof![Just(OpCode::Close), Just(OpCode::Ping), Just(OpCode::Pong)],
        proptest::collection::vec(any::<u8>(), 0..=125),
    )
        .prop_map(|(op, p)| Frame::new(true, op, p));
    prop_oneof![data, control]
}

fn close_code() -> impl Strategy<Value = CloseCode> {
    prop_oneof![1000u16..=1003, 1007u16..=1014, 3000u16..=4999].prop_map(CloseCode)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        (payload_len(), any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n / c.len_utf8())),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        text().prop_map(Message::text),
        payload().prop_map(Message::binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Message::ping),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Message::pong),
        Just(Message::Close(None)),
        (close_code(), "[a-zA-Z0-9 é€]{0,30}")
            .prop_map(|(c, r)| Message::Close(Some(CloseFrame::new(c, r)))),
    ]
}

/// Messages small enough to feed byte-by-byte-ish quickly.
fn small_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        any::<String>().prop_map(Message::text),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Message::binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Message::ping),
        (close_code(), "[a-z]{0,10}").prop_map(|(c, r)| Message::close(c, r)),
    ]
}

fn decode_all<D: Decoder>(d: &mut D, buf: &mut BytesMut) -> Result<Vec<D::Item>, D::Error> {
    let mut out = vec![];
    while let Some(x) = d.decode(buf)? {
        out.push(x);
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every frame encodes and decodes back to itself, in both roles.
    #[test]
    fn frame_roundtrip(f in frame(), sender in role()) {
        let mut enc = FrameCodec::new(sender, usize::MAX);
        let mut dec = FrameCodec::new(sender.peer(), usize::MAX);
        let mut wire = BytesMut::new();
        enc.encode(f.clone(), &mut wire).unwrap();
        let got = dec.decode(&mut wire).unwrap();
        prop_assert_eq!(got, Some(f));
        prop_assert!(wire.is_empty());
    }

    /// Every message encodes and decodes back to itself, in both roles,
    /// with or without auto-fragmentation.
    #[test]
    fn message_roundtrip(m in message(), sender in role(), frag in proptest::option::of(1usize..70000)) {
        let cfg = WebSocketConfig::builder().auto_fragment_size(frag).build();
        let mut enc = MessageCodec::with_config(sender, &cfg);
        let mut dec = MessageCodec::new(sender.peer());
        let mut wire = BytesMut::new();
        enc.encode(m.clone(), &mut wire).unwrap();
        let got = decode_all(&mut dec, &mut wire).unwrap();
        prop_assert_eq!(got, vec![m]);
    }

    /// Any split of the byte stream into reads decodes to the same messages.
    #[test]
    fn chunking_invariance(
        msgs in proptest::collection::vec(small_message(), 1..6),
        frag in proptest::option::of(1usize..64),
        cuts in proptest::collection::vec(1usize..50, 1..200),
    ) {
        let cfg = WebSocketConfig::builder().auto_fragment_size(frag).build();
        let mut enc = MessageCodec::with_config(Role::Client, &cfg);
        let mut wire = BytesMut::new();
        for m in &msgs {
            enc.encode(m.clone(), &mut wire).unwrap();
        }
        let whole = decode_all(&mut MessageCodec::new(Role::Server), &mut wire.clone()).unwrap();
        prop_assert_eq!(&whole, &msgs);

        let mut dec = MessageCodec::new(Role::Server);
        let mut buf = BytesMut::new();
        let mut got = vec![];
        let mut rest = &wire[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            got.extend(decode_all(&mut dec, &mut buf).unwrap());
        }
        prop_assert_eq!(got, msgs);
    }

    /// Incremental UTF-8 validation agrees with `std::str::from_utf8` for
    /// every split point, and fails on the first piece exactly when that
    /// piece is no valid prefix.
    #[test]
    fn utf8_incremental_agrees_with_std(
        input in prop_oneof![
            any::<String>().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..40),
            (any::<String>(), any::<u8>(), any::<String>()).prop_map(|(a, b, c)| {
                let mut v = a.into_bytes(); v.push(b); v.extend(c.into_bytes()); v
            }),
        ]
    ) {
        let expected = std::str::from_utf8(&input).is_ok();
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            let mut v = Utf8Validator::new();
            let first = v.feed(a);
            let prefix_invalid = matches!(std::str::from_utf8(a), Err(e) if e.error_len().is_some());
            prop_assert_eq!(first.is_err(), prefix_invalid, "cut {}", cut);
            let ok = first.is_ok() && v.feed(b).is_ok() && v.finish().is_ok();
            prop_assert_eq!(ok, expected, "cut {}", cut);
        }
    }

    /// On arbitrary bytes the decoders never panic, never sit on more than
    /// `max_frame_size` + a header without producing an item or an error,
    /// and never reserve past the frame's bounded size.
    #[test]
    fn arbitrary_bytes_are_bounded(
        bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        cuts in proptest::collection::vec(1usize..300, 1..50),
        r in role(),
        messages in any::<bool>(),
    ) {
        const MAX: usize = 1000;
        let cfg = WebSocketConfig::builder().max_frame_size(MAX).max_message_size(3 * MAX).build();
        let mut frames = FrameCodec::new(r, MAX);
        let mut msgs = MessageCodec::with_config(r, &cfg);
        let mut buf = BytesMut::new();
        let mut rest = &bytes[..];
        let mut i = 0;
        'feed: while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            loop {
                let cap_before = buf.capacity();
                let r = if messages {
                    msgs.decode(&mut buf).map(|m| m.is_some())
                } else {
                    frames.decode(&mut buf).map(|f| f.is_some())
                };
                prop_assert!(
                    buf.capacity() <= cap_before.max(2 * (MAX_HEADER_LEN + MAX)),
                    "capacity {} after {}", buf.capacity(), cap_before
                );
                match r {
                    Ok(true) => continue,
                    Ok(false) => {
                        prop_assert!(buf.len() < MAX_HEADER_LEN + MAX, "sitting on {} bytes", buf.len());
                        break;
                    }
                    Err(_) => break 'feed,
                }
            }
        }
    }
}

/// Valid client frames (small), for mutation.
fn small_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (
            prop_oneof![
                Just(OpCode::Continuation),
                Just(OpCode::Text),
                Just(OpCode::Binary)
            ],
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..200),
        )
            .prop_map(|(op, fin, p)| Frame::new(fin, op, p)),
        any::<String>().prop_map(|s| Frame::new(true, OpCode::Text, s)),
        (
            prop_oneof![Just(OpCode::Close), Just(OpCode::Ping), Just(OpCode::Pong)],
            proptest::collection::vec(any::<u8>(), 0..=125),
        )
            .prop_map(|(op, p)| Frame::new(true, op, p)),
    ]
}

/// An in-memory transport: serves `input` in `cuts`-sized reads, then EOF;
/// records what is written.
struct Scripted {
    input: Vec<u8>,
    pos: usize,
    cuts: Vec<usize>,
    reads: usize,
    written: Vec<u8>,
}

impl tokio::io::AsyncRead for Scripted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        let cut = this.cuts[this.reads % this.cuts.len()];
        this.reads += 1;
        let n = cut.min(buf.remaining()).min(this.input.len() - this.pos);
        buf.put_slice(&this.input[this.pos..this.pos + n]);
        this.pos += n;
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Scripted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.written.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Valid frame streams with a few bytes overwritten reach deeper decoder
    /// states than random bytes; a `WebSocketStream` fed such input (in
    /// arbitrary reads) never panics, always ends, and when it fails with a
    /// close code, that code is the last thing it wrote (a Close frame).
    #[test]
    fn stream_on_mutated_input_ends_and_sends_the_close_code(
        frames in proptest::collection::vec(small_frame(), 1..8),
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 0..4),
        cuts in proptest::collection::vec(1usize..100, 1..20),
    ) {
        let mut enc = FrameCodec::client();
        let mut wire = BytesMut::new();
        for f in frames {
            enc.encode(f, &mut wire).unwrap();
        }
        let mut input = wire.to_vec();
        for (i, b) in flips {
            let at = i.index(input.len());
            input[at] = b;
        }
        let io = Scripted { input, pos: 0, cuts, reads: 0, written: vec![] };
        let cfg = WebSocketConfig::builder().max_frame_size(150).max_message_size(400).build();
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let (last_err, written) = rt.block_on(async move {
            use futures_util::StreamExt;
            let mut ws = pushcodec::ws::WebSocketStream::from_raw(io, Role::Server, cfg);
            let mut last_err = None;
            let mut items = 0;
            while let Some(item) = ws.next().await {
                items += 1;
                assert!(items < 10_000, "stream does not end");
                if let Err(e) = item {
                    last_err = Some(e);
                }
            }
            (last_err, ws.get_ref().written.clone())
        });
        if let Some(code) = last_err.as_ref().and_then(|e| e.close_code()) {
            let mut buf = BytesMut::from(&written[..]);
            let mut dec = FrameCodec::new(Role::Client, usize::MAX);
            let mut last = None;
            while let Some(f) = dec.decode(&mut buf).unwrap() {
                last = Some(f);
            }
            let last = last.expect("a close frame was written");
            prop_assert_eq!(last.opcode, OpCode::Close);
            prop_assert_eq!(u16::from_be_bytes([last.payload[0], last.payload[1]]), code.0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A text message of arbitrary bytes, cut into arbitrary fragments and
    /// read in arbitrary pieces (with `utf8_fail_fast`, validation runs
    /// while frames are still arriving), is accepted iff `std::str::from_utf8` accepts it, and a
    /// rejection points at the same offset as `std`'s `valid_up_to`.
    #[test]
    fn text_message_validation_agrees_with_std_through_fragments_and_reads(
        payload in prop_oneof![
            any::<String>().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..60),
            (any::<String>(), proptest::collection::vec(any::<u8>(), 1..3), any::<String>())
                .prop_map(|(a, b, c)| [a.into_bytes(), b, c.into_bytes()].concat()),
        ],
        frag in proptest::option::of(1usize..20),
        cuts in proptest::collection::vec(1usize..30, 1..20),
        fail_fast in any::<bool>(),
    ) {
        // Build the frames by hand: our encoder only takes valid text.
        let mut frames = vec![];
        let size = frag.unwrap_or(usize::MAX).max(1);
        let mut chunks: Vec<&[u8]> = payload.chunks(size).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let n = chunks.len();
        for (i, c) in chunks.into_iter().enumerate() {
            let op = if i == 0 { OpCode::Text } else { OpCode::Continuation };
            frames.push(Frame::new(i + 1 == n, op, c.to_vec()));
        }
        let mut enc = FrameCodec::client();
        let mut wire = BytesMut::new();
        for f in frames {
            enc.encode(f, &mut wire).unwrap();
        }
        let cfg = WebSocketConfig::builder().utf8_fail_fast(fail_fast).build();
        let mut dec = MessageCodec::with_config(Role::Server, &cfg);
        let mut buf = BytesMut::new();
        let mut rest = &wire[..];
        let mut i = 0;
        let mut result: Result<Vec<Message>, pushcodec::ws::CodecError> = Ok(vec![]);
        while !rest.is_empty() {
            let k = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            buf.extend_from_slice(&rest[..k]);
            rest = &rest[k..];
            match decode_all(&mut dec, &mut buf) {
                Ok(ms) => result.as_mut().unwrap().extend(ms),
                Err(e) => { result = Err(e); break; }
            }
        }
        match (std::str::from_utf8(&payload), result) {
            (Ok(s), Ok(ms)) => prop_assert_eq!(ms, vec![Message::text(s.to_string())]),
            (Err(e), Err(pushcodec::ws::CodecError::Protocol(pushcodec::ws::ProtocolError::InvalidUtf8 { offset, .. }))) => {
                prop_assert_eq!(offset, e.valid_up_to())
            }
            (std_says, ours) => prop_assert!(false, "std {:?} vs ours {:?}", std_says, ours),
        }
    }
}
