//! Handshake tests: RFC 6455 §4 rules, linear head scanning, refusals on
//! the wire, bounded time.

use super::*;
use bytes::BytesMut;
use http::header::HeaderValue;
use http::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn good_request() -> http::request::Builder {
    Request::get("/chat")
        .header("Host", "server.example.com")
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("Sec-WebSocket-Version", "13")
}

/// Regression (conformance vector `11.3.1-duplicated-key`): a request with
/// two `Sec-WebSocket-Key` fields was accepted, answering the first key.
#[test]
fn rfc6455_11_3_1_duplicated_key_is_refused() {
    let req = good_request()
        .header("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw==")
        .body(())
        .unwrap();
    let err = server_response(&req).unwrap_err();
    assert!(
        matches!(
            err,
            HandshakeError::DuplicateHeader {
                name: "Sec-WebSocket-Key",
                count: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_response().status(), 400);
}

/// RFC 6455 §11.3.3: two `Sec-WebSocket-Accept` fields fail the client side.
#[test]
fn rfc6455_11_3_3_duplicated_accept_is_refused() {
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    let resp = http::Response::builder()
        .status(101)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", accept_key(key.as_bytes()))
        .header("Sec-WebSocket-Accept", accept_key(key.as_bytes()))
        .body(())
        .unwrap();
    assert!(matches!(
        validate_response(&resp, key, &[]),
        Err(HandshakeError::DuplicateHeader { count: 2, .. })
    ));
}

#[test]
fn rfc6455_1_3_accept_key() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn each_missing_requirement_is_named() {
    type Case = (Request<()>, fn(&HandshakeError) -> bool, u16);
    let cases: Vec<Case> = vec![
        (
            Request::post("/").body(()).unwrap(),
            |e| matches!(e, HandshakeError::Method { .. }),
            400,
        ),
        (
            good_request()
                .header("Upgrade", "h2c")
                .body(())
                .map(|r| {
                    let mut r = r;
                    r.headers_mut()
                        .insert("upgrade", HeaderValue::from_static("h2c"));
                    r
                })
                .unwrap(),
            |e| matches!(e, HandshakeError::MissingUpgrade),
            400,
        ),
        (
            {
                let mut r = good_request().body(()).unwrap();
                r.headers_mut()
                    .insert("connection", HeaderValue::from_static("keep-alive"));
                r
            },
            |e| matches!(e, HandshakeError::MissingConnectionUpgrade),
            400,
        ),
        (
            {
                let mut r = good_request().body(()).unwrap();
                r.headers_mut()
                    .insert("sec-websocket-key", HeaderValue::from_static("c2hvcnQ="));
                r
            },
            |e| matches!(e, HandshakeError::InvalidKey { .. }),
            400,
        ),
        (
            {
                let mut r = good_request().body(()).unwrap();
                r.headers_mut()
                    .insert("sec-websocket-version", HeaderValue::from_static("8"));
                r
            },
            |e| matches!(e, HandshakeError::UnsupportedVersion { .. }),
            426,
        ),
        (
            {
                let mut r = good_request().body(()).unwrap();
                r.headers_mut().remove("sec-websocket-key");
                r
            },
            |e| matches!(e, HandshakeError::MissingKey),
            400,
        ),
    ];
    for (req, is_expected, status) in cases {
        let err = server_response(&req).unwrap_err();
        assert!(is_expected(&err), "{err:?}");
        assert_eq!(err.to_response().status(), status, "{err:?}");
    }
}

#[test]
fn connection_token_list_is_case_insensitive() {
    let mut r = good_request().body(()).unwrap();
    r.headers_mut().insert(
        "connection",
        HeaderValue::from_static("keep-alive, UPGRADE"),
    );
    r.headers_mut()
        .insert("upgrade", HeaderValue::from_static("WebSocket"));
    assert_eq!(server_response(&r).unwrap().status(), 101);
}

#[test]
fn subprotocol_is_chosen_only_from_the_offer() {
    let req = good_request()
        .header("Sec-WebSocket-Protocol", "chat, superchat")
        .body(())
        .unwrap();
    let pick = AcceptOptions::builder()
        .subprotocol(|o| o.last().map(|s| s.to_string()))
        .build();
    let resp = server_response_with(&req, &pick).unwrap();
    assert_eq!(resp.headers()["sec-websocket-protocol"], "superchat");
    let rogue = AcceptOptions::builder()
        .subprotocol(|_| Some("other".into()))
        .build();
    let resp = server_response_with(&req, &rogue).unwrap();
    assert!(resp.headers().get("sec-websocket-protocol").is_none());
}

/// RUSTSEC-2023-0065 lesson: a head arriving one byte at a time is
/// scanned in linear time.
#[test]
fn head_scan_is_linear_when_fed_byte_by_byte() {
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    while head.len() < 15_000 {
        head.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaa\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let mut s = HeadScanner::default();
    let mut found = None;
    for end in 1..=head.len() {
        if let Some(n) = s.find(&head[..end]) {
            found = Some(n);
            break;
        }
    }
    assert_eq!(found, Some(head.len()));
    assert!(
        s.examined() <= 4 * head.len(),
        "examined {} for {}",
        s.examined(),
        head.len()
    );
}

#[tokio::test]
async fn oversized_head_is_refused_with_431() {
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let task = tokio::spawn(async move {
        accept_with_options(
            server,
            &AcceptOptions::builder().max_head_size(1024).build(),
        )
        .await
    });
    let mut req = b"GET / HTTP/1.1\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'a', 2000));
    client.write_all(&req).await.unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert!(
        matches!(err, HandshakeError::HeadTooLarge { limit: 1024 }),
        "{err}"
    );
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).await.unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 431 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn connect_and_accept_talk_to_each_other() {
    use futures_util::{SinkExt, StreamExt};
    let (c, s) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(async move {
        let mut ws = accept(s).await.unwrap();
        let m = ws.next().await.unwrap().unwrap();
        ws.send(m).await.unwrap();
    });
    let mut ws = connect(c, "ws://localhost/echo").await.unwrap();
    ws.send(crate::ws::Message::text("ping?")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        crate::ws::Message::text("ping?")
    );
    server.await.unwrap();
}

/// Frames the client sends right behind its request head (in the same
/// read) are not lost: they are decoded first.
#[tokio::test]
async fn bytes_after_the_head_are_kept() {
    use futures_util::StreamExt;
    use tokio_util::codec::Encoder;
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let mut wire = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .to_vec();
    let mut frame = BytesMut::new();
    crate::ws::FrameCodec::client()
        .encode(
            crate::ws::Frame::new(true, crate::ws::OpCode::Text, "early"),
            &mut frame,
        )
        .unwrap();
    wire.extend_from_slice(&frame);
    client.write_all(&wire).await.unwrap();
    let mut ws = accept(server).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        crate::ws::Message::text("early")
    );
}

#[tokio::test]
async fn version_8_gets_426_on_the_wire() {
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let task = tokio::spawn(accept(server));
    client
        .write_all(
            b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
        )
        .await
        .unwrap();
    assert!(task.await.unwrap().is_err());
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 426 "), "{text}");
    assert!(text.contains("sec-websocket-version: 13\r\n"), "{text}");
}

/// Issue 11: a head trickled in one header a second never completes;
/// `accept` gives up at the handshake timeout (10 s by default) instead of
/// holding its task forever.
#[tokio::test(start_paused = true)]
async fn a_trickled_head_times_out() {
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let start = tokio::time::Instant::now();
    let task = tokio::spawn(async move { accept(server).await });
    client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        if task.is_finished() {
            break;
        }
        let _ = client.write_all(b"X-Slow: a\r\n").await;
    }
    let err = task.await.unwrap().unwrap_err();
    assert!(
        matches!(err, HandshakeError::Timeout { after } if after == DEFAULT_HANDSHAKE_TIMEOUT),
        "{err}"
    );
    let t = start.elapsed();
    assert!(
        t >= std::time::Duration::from_secs(10) && t < std::time::Duration::from_secs(12),
        "{t:?}"
    );
    assert_eq!(err.to_response().status(), 408);
}

/// The client side is bounded too: a server that never answers.
#[tokio::test(start_paused = true)]
async fn a_silent_server_times_the_client_out() {
    let (c, _server) = tokio::io::duplex(1 << 16);
    let opts = ConnectOptions::builder()
        .handshake_timeout(Some(std::time::Duration::from_secs(3)))
        .build();
    let err = connect_with_options(c, "ws://localhost/", &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, HandshakeError::Timeout { .. }), "{err}");
}
