//! End-to-end tests of token-server over real loopback TCP: WebSocket and SSE
//! streams, stop mid-stream, resume with Last-Event-ID, clean-up after
//! disconnects, bad input, and the upstream relay against a fake upstream.
//!
//! This file runs twice: as itself on the in-memory store, and included by
//! `token_server_redis.rs` on the Redis store (each test then starts its own
//! `redis-server`). `crate::STORE` picks the store.
#![allow(dead_code)]

#[path = "support/mod.rs"]
mod support;

/// Which store the servers of this test binary use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Memory,
    Redis,
}

pub const STORE: Store = Store::Memory;

use futures_util::StreamExt;
use pushcodec::ws::Message;
use pushcodec_examples::client::{sse_token_event, SseTokenClient, TokenEvent, WsTokenClient};
use pushcodec_examples::server::store::RedisStore;
use pushcodec_examples::server::{serve, AppState, ServerConfig, Stats};
use pushcodec_examples::tokens::{BuiltinGenerator, TokenSource};
use pushcodec_examples::upstream::OpenAiUpstream;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const T: Duration = Duration::from_secs(20);

struct Server {
    addr: String,
    stats: Box<dyn Fn() -> Stats + Send + Sync>,
    _redis: Option<support::RedisServer>,
}

impl Server {
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Polls the stats until `pred` holds (bounded).
    async fn wait_stats(&self, what: &str, pred: impl Fn(&Stats) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let s = (self.stats)();
            if pred(&s) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: stats stayed at {s:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn start_with(config: ServerConfig, source: impl TokenSource) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Outside CI without redis-server the Redis binary runs on memory (and
    // says so); under CI=true `RedisServer::start` fails instead.
    let redis = match crate::STORE {
        Store::Redis => support::RedisServer::start(),
        Store::Memory => None,
    };
    match redis {
        None => {
            let state = AppState::new(config, source);
            tokio::spawn(serve(listener, state.clone()));
            Server {
                addr,
                stats: Box::new(move || state.stats()),
                _redis: None,
            }
        }
        Some(redis) => {
            let store = RedisStore::connect(&redis.url(), config.store_config())
                .await
                .unwrap();
            let state = AppState::with_store(config, source, store);
            tokio::spawn(serve(listener, state.clone()));
            Server {
                addr,
                stats: Box::new(move || state.stats()),
                _redis: Some(redis),
            }
        }
    }
}

fn generator(delay_ms: u64, n: usize) -> BuiltinGenerator {
    BuiltinGenerator::new(Duration::from_millis(delay_ms), n)
}

async fn start(delay_ms: u64, n: usize) -> Server {
    start_with(ServerConfig::default(), generator(delay_ms, n)).await
}

/// Collects WS events until `done`; returns tokens and the reason.
async fn ws_collect(c: &mut WsTokenClient) -> (Vec<(u64, String)>, String) {
    let mut toks = Vec::new();
    loop {
        match timeout(T, c.next_event()).await.expect("timely").unwrap() {
            Some(TokenEvent::Token { index, text }) => toks.push((index, text)),
            Some(TokenEvent::Done { reason }) => return (toks, reason),
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn numbered(tokens: &[String]) -> Vec<(u64, String)> {
    tokens
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, t)| (i as u64, t))
        .collect()
}

#[tokio::test]
async fn ws_streams_every_token_in_order_then_done() {
    let srv = start(1, 40).await;
    let mut c = WsTokenClient::connect(&srv.addr).await.unwrap();
    c.prompt("tell me about frames").await.unwrap();
    let (toks, reason) = ws_collect(&mut c).await;
    assert_eq!(reason, "complete");
    assert_eq!(
        toks,
        numbered(&generator(0, 40).tokens_for("tell me about frames"))
    );
}

#[tokio::test]
async fn ws_several_prompts_on_one_connection() {
    let srv = start(0, 12).await;
    let mut c = WsTokenClient::connect(&srv.addr).await.unwrap();
    for p in ["one", "two", "three"] {
        c.prompt(p).await.unwrap();
        let (toks, reason) = ws_collect(&mut c).await;
        assert_eq!(reason, "complete");
        assert_eq!(toks, numbered(&generator(0, 12).tokens_for(p)));
    }
}

#[tokio::test]
async fn ws_stop_mid_stream_sends_done_and_nothing_after() {
    let srv = start(15, 10_000).await;
    let mut c = WsTokenClient::connect(&srv.addr).await.unwrap();
    c.prompt("long answer").await.unwrap();
    for _ in 0..5 {
        assert!(matches!(
            c.next_event().await.unwrap(),
            Some(TokenEvent::Token { .. })
        ));
    }
    c.stop().await.unwrap();
    let (late, reason) = ws_collect(&mut c).await;
    assert_eq!(reason, "stopped");
    // Tokens already on the wire when Stop was sent may still arrive, but at
    // most one generation step's worth; never thousands.
    assert!(late.len() <= 2, "{} tokens after stop", late.len());
    srv.wait_stats("ws generation ended", |s| s.ws_generating == 0)
        .await;
    // Nothing follows `done`.
    let after = timeout(Duration::from_millis(300), c.next_event()).await;
    assert!(after.is_err(), "got {after:?} after done");
}

#[tokio::test]
async fn ws_bad_input_gets_errors_and_the_connection_keeps_working() {
    let srv = start(5, 30).await;
    let mut c = WsTokenClient::connect(&srv.addr).await.unwrap();
    c.send(Message::text("{not json")).await.unwrap();
    let ev = timeout(T, c.next_event()).await.unwrap().unwrap();
    assert!(
        matches!(&ev, Some(TokenEvent::Error { message }) if message.contains("expected")),
        "{ev:?}"
    );
    c.send(Message::binary(&b"\x00\x01"[..])).await.unwrap();
    let ev = timeout(T, c.next_event()).await.unwrap().unwrap();
    assert!(
        matches!(&ev, Some(TokenEvent::Error { message }) if message.contains("binary")),
        "{ev:?}"
    );

    // A second prompt while one streams: an error, and the first goes on.
    c.prompt("first").await.unwrap();
    c.prompt("second").await.unwrap();
    let mut tokens = Vec::new();
    let mut saw_error = false;
    loop {
        match timeout(T, c.next_event()).await.unwrap().unwrap() {
            Some(TokenEvent::Token { index, text }) => tokens.push((index, text)),
            Some(TokenEvent::Error { message }) => {
                assert!(message.contains("already streaming"), "{message}");
                saw_error = true;
            }
            Some(TokenEvent::Done { reason }) => {
                assert_eq!(reason, "complete");
                break;
            }
            None => panic!("closed"),
        }
    }
    assert!(saw_error);
    assert_eq!(tokens, numbered(&generator(0, 30).tokens_for("first")));
}

/// Opens a raw TCP connection and completes the upgrade by hand, so the test
/// can put arbitrary bytes on the wire.
async fn raw_upgraded(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        timeout(T, s.read_exact(&mut b)).await.unwrap().unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    s
}

/// Reads frames until a close frame and returns its code.
async fn read_close_code(s: &mut TcpStream) -> u16 {
    loop {
        let mut h = [0u8; 2];
        timeout(T, s.read_exact(&mut h)).await.unwrap().unwrap();
        assert_eq!(h[1] & 0x80, 0, "server frames are unmasked");
        let len = match h[1] & 0x7f {
            126 => {
                let mut l = [0u8; 2];
                s.read_exact(&mut l).await.unwrap();
                u16::from_be_bytes(l) as usize
            }
            127 => panic!("unexpected 64-bit frame"),
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        s.read_exact(&mut payload).await.unwrap();
        if h[0] & 0x0f == 0x8 {
            return u16::from_be_bytes([payload[0], payload[1]]);
        }
    }
}

#[tokio::test]
async fn ws_invalid_frame_gets_1002_and_oversized_message_1009_others_unaffected() {
    let srv = start(1, 10).await;
    // A healthy client streams while the bad ones misbehave.
    let mut good = WsTokenClient::connect(&srv.addr).await.unwrap();
    good.prompt("healthy").await.unwrap();

    // Unmasked client frame: protocol error (RFC 6455 §5.1).
    let mut bad = raw_upgraded(&srv.addr).await;
    bad.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    assert_eq!(read_close_code(&mut bad).await, 1002);

    // A 100 KiB message exceeds the server's 64 KiB limit: 1009.
    let mut big = raw_upgraded(&srv.addr).await;
    let len: u64 = 100 * 1024;
    let mut frame = vec![0x82, 0x80 | 127];
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]); // zero mask key
    frame.resize(frame.len() + len as usize, 0);
    let _ = big.write_all(&frame).await; // the server may close before reading it all
    assert_eq!(read_close_code(&mut big).await, 1009);

    let (toks, reason) = ws_collect(&mut good).await;
    assert_eq!(reason, "complete");
    assert_eq!(toks.len(), 10);
}

#[tokio::test]
async fn ws_disconnect_mid_stream_stops_generation() {
    let srv = start(20, 10_000).await;
    let mut c = WsTokenClient::connect(&srv.addr).await.unwrap();
    c.prompt("going away").await.unwrap();
    assert!(matches!(
        c.next_event().await.unwrap(),
        Some(TokenEvent::Token { .. })
    ));
    srv.wait_stats("streaming", |s| {
        s.ws_generating == 1 && s.ws_connections == 1
    })
    .await;
    drop(c);
    srv.wait_stats("cleaned up", |s| {
        s.ws_generating == 0 && s.ws_connections == 0
    })
    .await;
}

/// Reads SSE items until `done` or `limit` tokens; returns (tokens, done reason,
/// saw a retry line).
async fn sse_collect(
    items: &mut (impl futures_util::Stream<
        Item = Result<pushcodec::sse::SseItem, pushcodec::sse::DecodeError>,
    > + Unpin),
    limit: usize,
) -> (Vec<(u64, String, String)>, Option<String>, bool) {
    let mut toks = Vec::new();
    let mut retry = false;
    while toks.len() < limit {
        let Some(item) = timeout(T, items.next()).await.expect("timely") else {
            return (toks, None, retry);
        };
        let item = item.unwrap();
        if matches!(item, pushcodec::sse::SseItem::Retry(_)) {
            retry = true;
        }
        let id = match &item {
            pushcodec::sse::SseItem::Event(e) => e.last_event_id.to_string(),
            _ => String::new(),
        };
        match sse_token_event(&item).unwrap() {
            Some(TokenEvent::Token { index, text }) => {
                assert_eq!(id, index.to_string(), "id: is the token index");
                toks.push((index, text, id));
            }
            Some(TokenEvent::Done { reason }) => return (toks, Some(reason), retry),
            Some(other) => panic!("unexpected {other:?}"),
            None => {}
        }
    }
    (toks, None, retry)
}

fn strip(t: Vec<(u64, String, String)>) -> Vec<(u64, String)> {
    t.into_iter().map(|(i, s, _)| (i, s)).collect()
}

#[tokio::test]
async fn sse_streams_tokens_with_ids_retry_and_done() {
    let srv = start(1, 30).await;
    let c = SseTokenClient::new(&srv.base());
    let id = c.create("sse please").await.unwrap();
    let (status, mut items) = c.events(&id, None).await.unwrap();
    assert_eq!(status, 200);
    let (toks, done, retry) = sse_collect(&mut items, usize::MAX).await;
    assert!(retry, "a retry: line is sent");
    assert_eq!(done.as_deref(), Some("complete"));
    assert_eq!(
        strip(toks),
        numbered(&generator(0, 30).tokens_for("sse please"))
    );
}

#[tokio::test]
async fn sse_response_headers_are_proxy_friendly() {
    let srv = start(1, 3).await;
    let c = SseTokenClient::new(&srv.base());
    let id = c.create("h").await.unwrap();
    let resp = pushcodec_examples::http_client::HttpClient::new()
        .get_streaming(&format!("{}/api/streams/{id}/events", srv.base()), &[])
        .await
        .unwrap();
    assert_eq!(resp.headers["content-type"], "text/event-stream");
    assert_eq!(resp.headers["cache-control"], "no-cache");
    assert_eq!(resp.headers["x-accel-buffering"], "no");
}

#[tokio::test]
async fn sse_resume_with_last_event_id_has_no_gap_and_no_duplicate() {
    let srv = start(5, 60).await;
    let c = SseTokenClient::new(&srv.base());
    let id = c.create("resume me").await.unwrap();
    let (_, mut items) = c.events(&id, None).await.unwrap();
    let (first, done, _) = sse_collect(&mut items, 17).await;
    assert!(done.is_none());
    let last_id = first.last().unwrap().2.clone();
    drop(items); // the connection drops mid-stream
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, mut items) = c.events(&id, Some(&last_id)).await.unwrap();
    assert_eq!(status, 200);
    let (rest, done, _) = sse_collect(&mut items, usize::MAX).await;
    assert_eq!(done.as_deref(), Some("complete"));
    let mut all = strip(first);
    all.extend(strip(rest));
    assert_eq!(all, numbered(&generator(0, 60).tokens_for("resume me")));

    // After `done`, a reconnect is told there is nothing more (204).
    let (status, _) = c.events(&id, Some("60")).await.unwrap();
    assert_eq!(status, 204);
}

#[tokio::test]
async fn sse_resume_from_a_dropped_token_gets_410_and_after_done_204() {
    // Keep 10 tokens of 30: a reconnect that needs an older one cannot be
    // served without a gap.
    let config = ServerConfig {
        max_retained_tokens: 10,
        ..ServerConfig::default()
    };
    let srv = start_with(config, generator(0, 30)).await;
    let c = SseTokenClient::new(&srv.base());
    let id = c.create("a long answer").await.unwrap();
    srv.wait_stats("finished", |s| s.generating == 0).await;
    // The tail is still served: from token 20 on, then done.
    let (status, mut items) = c.events(&id, Some("19")).await.unwrap();
    assert_eq!(status, 200);
    let (tail, done, _) = sse_collect(&mut items, usize::MAX).await;
    assert_eq!(done.as_deref(), Some("complete"));
    assert_eq!(
        strip(tail),
        numbered(&generator(0, 30).tokens_for("a long answer"))[20..]
    );
    // Older tokens are gone: 410, with or without Last-Event-ID.
    for last in [Some("2"), Some("18"), None] {
        let (status, _) = c.events(&id, last).await.unwrap();
        assert_eq!(status, 410, "Last-Event-ID {last:?}");
    }
    // After done: 204, which tells EventSource to stop.
    let (status, _) = c.events(&id, Some("30")).await.unwrap();
    assert_eq!(status, 204);
}

#[tokio::test]
async fn sse_stop_mid_stream_ends_with_done_stopped() {
    let srv = start(15, 10_000).await;
    let c = SseTokenClient::new(&srv.base());
    let id = c.create("stop me").await.unwrap();
    let (_, mut items) = c.events(&id, None).await.unwrap();
    let (first, _, _) = sse_collect(&mut items, 5).await;
    assert_eq!(first.len(), 5);
    c.stop(&id).await.unwrap();
    let (late, done, _) = sse_collect(&mut items, usize::MAX).await;
    assert_eq!(done.as_deref(), Some("stopped"));
    assert!(late.len() <= 2, "{} tokens after stop", late.len());
    // The body ends after done.
    let next = timeout(T, items.next()).await.unwrap();
    assert!(next.is_none(), "{next:?}");
    srv.wait_stats("generation ended", |s| s.generating == 0)
        .await;
}

#[tokio::test]
async fn sse_bad_input_gets_clear_errors() {
    let srv = start(1, 5).await;
    let http = pushcodec_examples::http_client::HttpClient::new();
    let url = format!("{}/api/streams", srv.base());
    let (st, body) = http
        .post_json(&url, &serde_json::json!({"nope": 1}))
        .await
        .unwrap();
    assert_eq!(st, 400);
    assert!(body["error"].as_str().unwrap().contains("prompt"), "{body}");
    let c = SseTokenClient::new(&srv.base());
    let (st, _) = c.events("0123", None).await.unwrap();
    assert_eq!(st, 404);
    assert!(c.stop("0123").await.is_err());
    let id = c.create("x").await.unwrap();
    let (st, _) = c.events(&id, Some("not-a-number")).await.unwrap();
    assert_eq!(st, 400);
    let (st, _) = c.events(&id, Some("999999")).await.unwrap();
    assert_eq!(st, 400);
    // The server still serves.
    let (st, mut items) = c.events(&id, None).await.unwrap();
    assert_eq!(st, 200);
    assert_eq!(
        sse_collect(&mut items, usize::MAX).await.1.as_deref(),
        Some("complete")
    );
}

#[tokio::test]
async fn sse_client_that_goes_away_is_cleaned_up() {
    let cfg = ServerConfig {
        abandon_grace: Duration::from_millis(200),
        retain_finished: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let srv = start_with(cfg, generator(20, 10_000)).await;
    let c = SseTokenClient::new(&srv.base());
    let id = c.create("bye").await.unwrap();
    let (_, mut items) = c.events(&id, None).await.unwrap();
    sse_collect(&mut items, 3).await;
    srv.wait_stats("streaming", |s| {
        s.live_streams == 1 && s.sse_subscribers == 1
    })
    .await;
    drop(items);
    srv.wait_stats("all gone", |s| {
        s.live_streams == 0 && s.generating == 0 && s.sse_subscribers == 0
    })
    .await;
}

/// A fake OpenAI-compatible upstream: streams `n` chunks every 20 ms, then
/// `[DONE]`. Reports on `closed` when the client hung up early.
async fn fake_upstream(n: usize) -> (String, tokio::sync::mpsc::Receiver<&'static str>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    let k = s.read(&mut buf).await.unwrap();
                    if k == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..k]);
                }
                let head = String::from_utf8_lossy(&got).to_lowercase();
                assert!(head.starts_with("post /v1/chat/completions"), "{head}");
                assert!(head.contains("authorization: bearer sk-test"), "{head}");
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
                    .await
                    .unwrap();
                s.write_all(b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n")
                    .await
                    .unwrap();
                for i in 0..n {
                    let chunk = format!(
                        "data: {{\"choices\":[{{\"delta\":{{\"content\":\"t{i} \"}}}}]}}\n\n"
                    );
                    if s.write_all(chunk.as_bytes()).await.is_err() {
                        let _ = tx.send("closed").await;
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let _ = s.write_all(b"data: [DONE]\n\n").await;
                let _ = tx.send("finished").await;
            });
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn upstream_relay_streams_tokens_and_stop_closes_the_upstream_request() {
    let (up_addr, mut up_events) = fake_upstream(500).await;
    let up =
        OpenAiUpstream::new(&format!("http://{up_addr}"), Some("sk-test".into()), "m").unwrap();
    let srv = start_with(ServerConfig::default(), up).await;
    let mut c = WsTokenClient::connect(&srv.addr).await.unwrap();
    c.prompt("relay").await.unwrap();
    for i in 0..5u64 {
        let ev = timeout(T, c.next_event()).await.unwrap().unwrap();
        assert_eq!(
            ev,
            Some(TokenEvent::Token {
                index: i,
                text: format!("t{i} ")
            })
        );
    }
    c.stop().await.unwrap();
    let (_, reason) = ws_collect(&mut c).await;
    assert_eq!(reason, "stopped");
    // The upstream sees its connection closed long before its 500 chunks end.
    let seen = timeout(Duration::from_secs(10), up_events.recv())
        .await
        .unwrap();
    assert_eq!(seen, Some("closed"));
}

#[tokio::test]
async fn upstream_relay_completes_on_done_marker() {
    let (up_addr, _up) = fake_upstream(4).await;
    let up =
        OpenAiUpstream::new(&format!("http://{up_addr}/"), Some("sk-test".into()), "m").unwrap();
    let srv = start_with(ServerConfig::default(), up).await;
    let mut c = WsTokenClient::connect(&srv.addr).await.unwrap();
    c.prompt("relay").await.unwrap();
    let (toks, reason) = ws_collect(&mut c).await;
    assert_eq!(reason, "complete");
    let text: Vec<String> = toks.into_iter().map(|(_, t)| t).collect();
    assert_eq!(text, ["t0 ", "t1 ", "t2 ", "t3 "]);
}

#[tokio::test]
async fn the_page_is_served_with_its_controls() {
    let srv = start(1, 1).await;
    let resp = pushcodec_examples::http_client::HttpClient::new()
        .get_streaming(&srv.base(), &[])
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    let mut body = String::new();
    let mut r = resp.body;
    r.read_to_string(&mut body).await.unwrap();
    for needle in [
        "id=\"generate\"",
        "id=\"stop\"",
        "EventSource",
        "new WebSocket",
        "value=\"sse\"",
        "value=\"fetch\"",
        "getReader()",
        "AbortController",
    ] {
        assert!(body.contains(needle), "page lacks {needle}");
    }
}

#[tokio::test]
async fn sse_reconnects_after_dropped_connections_get_every_token_once() {
    let cfg = ServerConfig {
        debug_drop_sse_after: Some(7),
        ..ServerConfig::default()
    };
    let srv = start_with(cfg, generator(1, 50)).await;
    let c = SseTokenClient::new(&srv.base());
    let id = c.create("flaky network").await.unwrap();
    let mut all = Vec::new();
    let mut last: Option<String> = None;
    let mut connections = 0;
    loop {
        connections += 1;
        assert!(connections < 20, "too many reconnects");
        let (status, mut items) = c.events(&id, last.as_deref()).await.unwrap();
        assert_eq!(status, 200);
        let (toks, done, _) = sse_collect(&mut items, usize::MAX).await;
        if let Some(t) = toks.last() {
            last = Some(t.2.clone());
        }
        all.extend(strip(toks));
        if let Some(reason) = done {
            assert_eq!(reason, "complete");
            break;
        }
    }
    assert_eq!(
        connections, 8,
        "50 tokens in slices of 7 need 8 connections"
    );
    assert_eq!(all, numbered(&generator(0, 50).tokens_for("flaky network")));
}

#[tokio::test]
async fn ws_idle_connections_get_pings() {
    let cfg = ServerConfig {
        keep_alive: Duration::from_millis(50),
        ..ServerConfig::default()
    };
    let srv = start_with(cfg, generator(1, 1)).await;
    let mut ws = WsTokenClient::connect(&srv.addr)
        .await
        .unwrap()
        .into_inner();
    let mut pings = 0;
    while pings < 3 {
        match timeout(T, ws.next()).await.unwrap() {
            Some(Ok(Message::Ping(_))) => pings += 1,
            other => panic!("expected only pings on an idle connection, got {other:?}"),
        }
    }
}
