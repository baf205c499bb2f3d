//! The axum and hyper adapters on real loopback servers, driven by
//! tokio-tungstenite (a WebSocket client that is not ours) and by raw HTTP:
//! echo, subprotocol choice, origin check, refused upgrades with their
//! statuses, the configured limits, and an `Sse` response read by our
//! decoder. Every test is bounded in time.

use axum::routing::get;
use axum::Router;
use futures_util::{stream, SinkExt, StreamExt};
use pushcodec::integration::axum::{Event, Sse, WebSocketUpgrade};
use pushcodec::integration::WebSocket;
use pushcodec::sse::{OutgoingEvent, SseDecoder, SseItem};
use pushcodec::ws::WebSocketConfig;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use tokio_util::codec::FramedRead;

const T: Duration = Duration::from_secs(20);

async fn echo(mut ws: WebSocket) {
    while let Some(Ok(msg)) = ws.next().await {
        if !msg.is_control() && ws.send(msg).await.is_err() {
            break;
        }
    }
}

async fn ws_handler(ws: WebSocketUpgrade) -> axum::response::Response {
    ws.protocols(["v2.echo", "v1.echo"])
        .origin(|o| o.is_none() || o == Some("https://good.example"))
        .config(WebSocketConfig::builder().max_message_size(1024).build())
        .on_upgrade(echo)
}

async fn sse_handler() -> Sse<impl futures_util::Stream<Item = Event>> {
    let events = (0..3)
        .map(|i| {
            Event::new(
                OutgoingEvent::new(format!("t{i}\nline"))
                    .event("token")
                    .id(i.to_string()),
            )
        })
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    Sse::new(stream::iter(events))
}

async fn axum_app() -> String {
    let app = Router::new()
        .route("/ws", get(ws_handler))
        .route("/events", get(sse_handler));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test]
async fn axum_websocket_echo_with_tungstenite_and_subprotocol_choice() {
    let addr = axum_app().await;
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "v0.echo, v1.echo, v2.echo".parse().unwrap(),
    );
    let (mut ws, resp) = timeout(T, tokio_tungstenite::connect_async(req))
        .await
        .unwrap()
        .unwrap();
    // Our preference wins among those offered.
    assert_eq!(resp.headers()["sec-websocket-protocol"], "v2.echo");
    for text in ["hello", "zażółć", ""] {
        ws.send(tungstenite::Message::text(text)).await.unwrap();
        let back = timeout(T, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(back, tungstenite::Message::text(text));
    }
    ws.send(tungstenite::Message::binary(vec![0u8, 1, 2]))
        .await
        .unwrap();
    let back = timeout(T, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(back.into_data().as_ref(), &[0, 1, 2]);
    // The configured max_message_size (1 KiB) is enforced: close 1009.
    ws.send(tungstenite::Message::binary(vec![7u8; 4096]))
        .await
        .unwrap();
    match timeout(T, ws.next()).await.unwrap() {
        Some(Ok(tungstenite::Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 1009)
        }
        other => panic!("expected close 1009, got {other:?}"),
    }
}

/// Sends a raw request; returns the status code and the whole response.
async fn raw(addr: &str, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = timeout(T, s.read(&mut buf)).await.unwrap().unwrap();
        out.extend_from_slice(&buf[..n]);
        if n == 0 || out.windows(4).any(|w| w == b"\r\n\r\n") && out.ends_with(b"\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text[9..12].parse().unwrap();
    (status, text)
}

#[tokio::test]
async fn axum_refuses_bad_upgrades_with_the_handshake_statuses() {
    let addr = axum_app().await;
    let upgrade = |extra: &str, version: &str| {
        format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: {version}\r\n{extra}\r\n"
        )
    };
    let (status, text) = raw(&addr, &upgrade("", "8")).await;
    assert_eq!(status, 426, "{text}");
    assert!(
        text.to_lowercase().contains("sec-websocket-version: 13"),
        "{text}"
    );
    let (status, text) = raw(&addr, &upgrade("Origin: https://evil.example\r\n", "13")).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("not allowed"), "{text}");
    let no_key = format!("GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n");
    let (status, text) = raw(&addr, &no_key).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("missing Sec-WebSocket-Key"), "{text}");
    // A good origin gets its 101.
    let (status, text) = raw(&addr, &upgrade("Origin: https://good.example\r\n", "13")).await;
    assert_eq!(status, 101, "{text}");
    assert!(text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{text}");
}

#[tokio::test]
async fn axum_sse_response_has_the_headers_and_decodes_to_the_events() {
    let addr = axum_app().await;
    let (status, text) = raw(
        &addr,
        &format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200);
    let lower = text.to_lowercase();
    for h in [
        "content-type: text/event-stream",
        "cache-control: no-cache",
        "x-accel-buffering: no",
    ] {
        assert!(lower.contains(h), "{h} missing: {text}");
    }
    // Chunked body: decode it with hyper's client instead of by hand.
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = http::Request::get("/events")
        .header("host", &addr)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let body = http_body_util::BodyStream::new(resp.into_body())
        .filter_map(|f| async move { f.ok().and_then(|f| f.into_data().ok()) })
        .map(Ok::<_, std::io::Error>);
    let reader = tokio_util::io::StreamReader::new(body);
    let items: Vec<SseItem> = timeout(
        T,
        FramedRead::new(reader, SseDecoder::new())
            .map(|i| i.unwrap())
            .collect(),
    )
    .await
    .unwrap();
    let got: Vec<(String, String, String)> = items
        .into_iter()
        .map(|i| match i {
            SseItem::Event(ev) => (
                ev.event_type.to_string(),
                ev.data.to_string(),
                ev.last_event_id.to_string(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    let want: Vec<_> = (0..3)
        .map(|i| ("token".to_string(), format!("t{i}\nline"), i.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn plain_hyper_service_upgrades_with_tungstenite() {
    use hyper::{body::Incoming, service::service_fn, Request};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let service = service_fn(|mut req: Request<Incoming>| async move {
                let (resp, ws) = pushcodec::integration::hyper::upgrade(&mut req);
                tokio::spawn(async move {
                    if let Ok(ws) = ws.await {
                        echo(ws).await;
                    }
                });
                Ok::<_, std::convert::Infallible>(resp)
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .with_upgrades(),
            );
        }
    });
    let (mut ws, _) = timeout(T, tokio_tungstenite::connect_async(format!("ws://{addr}/")))
        .await
        .unwrap()
        .unwrap();
    ws.send(tungstenite::Message::text("over hyper"))
        .await
        .unwrap();
    let back = timeout(T, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(back, tungstenite::Message::text("over hyper"));
    ws.close(None).await.unwrap();
    // A plain GET to the same service gets the handshake's 400.
    let (status, text) = raw(
        &addr.to_string(),
        &format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 400, "{text}");
}
