//! The token server as a service (in-memory store, in-process, loopback):
//! generation limits (429 + Retry-After, the WS error + done, finished
//! streams not counted), the send timeout, the OpenAI-compatible endpoint,
//! `/healthz`, `/metrics`, and graceful shutdown with the memory store.

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use pushcodec::sse::{SseDecoder, SseItem};
use pushcodec_examples::client::{SseTokenClient, TokenEvent, WsTokenClient};
use pushcodec_examples::http_client::HttpClient;
use pushcodec_examples::server::{serve_until, AppState, ServerConfig, Stats};
use pushcodec_examples::tokens::BuiltinGenerator;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use tokio_util::codec::FramedRead;

const T: Duration = Duration::from_secs(20);

struct Srv {
    base: String,
    addr: String,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(cfg: ServerConfig, delay_ms: u64, n: usize) -> Srv {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let state = AppState::new(
        cfg,
        BuiltinGenerator::new(Duration::from_millis(delay_ms), n),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(serve_until(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Srv {
        base: format!("http://{addr}"),
        addr,
        state,
        stop: Some(tx),
        served,
    }
}

impl Srv {
    async fn wait(&self, what: &str, pred: impl Fn(&Stats) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.state.stats();
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
    async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> pushcodec_examples::http_client::StreamingResponse {
        let req = http::Request::post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("authorization", "Bearer sk-anything")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        HttpClient::new().send_streaming(req).await.unwrap()
    }
}

async fn body_text(r: pushcodec_examples::http_client::StreamingResponse) -> String {
    let mut s = String::new();
    let mut b = r.body;
    timeout(T, b.read_to_string(&mut s)).await.unwrap().unwrap();
    s
}

#[tokio::test]
async fn generation_limits_answer_429_with_retry_after_and_finished_streams_do_not_count() {
    let cfg = ServerConfig {
        max_generations_per_client: 2,
        ..ServerConfig::default()
    };
    let srv = start(cfg, 20, 10_000).await;
    let c = SseTokenClient::new(&srv.base);
    let s1 = c.create("one").await.unwrap();
    let _s2 = c.create("two").await.unwrap();
    let r = srv
        .post("/api/streams", serde_json::json!({"prompt": "three"}))
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "1");
    assert!(body_text(r).await.contains("2 generations at once"));
    // The WebSocket: an error, then its done.
    let mut ws = WsTokenClient::connect(&srv.addr).await.unwrap();
    ws.prompt("four").await.unwrap();
    let ev = timeout(T, ws.next_event()).await.unwrap().unwrap();
    assert!(
        matches!(&ev, Some(TokenEvent::Error { message }) if message.contains("at once")),
        "{ev:?}"
    );
    let ev = timeout(T, ws.next_event()).await.unwrap().unwrap();
    assert_eq!(
        ev,
        Some(TokenEvent::Done {
            reason: "error".into()
        })
    );
    // Chat completions too, OpenAI-shaped.
    let r = srv
        .post(
            "/v1/chat/completions",
            serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(r.status, 429);
    let v: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
    // A finished stream (retained for reconnects) frees its place.
    c.stop(&s1).await.unwrap();
    srv.wait("stopped", |s| s.generations_running == 1).await;
    assert_eq!(
        srv.state.stats().live_streams,
        2,
        "the stopped stream is still retained"
    );
    c.create("five").await.unwrap();
    let m = body_text(
        HttpClient::new()
            .get_streaming(&format!("{}/metrics", srv.base), &[])
            .await
            .unwrap(),
    )
    .await;
    assert!(m.contains("token_server_rejected_total 3"), "{m}");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_after_the_send_timeout() {
    let cfg = ServerConfig {
        send_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let srv = start(cfg, 0, 100_000_000).await;
    // A WebSocket client with a small receive buffer that never reads.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s = sock.connect(srv.addr.parse().unwrap()).await.unwrap();
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        srv.addr
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = [0u8; 129];
    s.read_exact(&mut head).await.unwrap();
    // {"type":"prompt","text":"flood"} masked with a zero key.
    let msg = br#"{"type":"prompt","text":"flood"}"#;
    let mut frame = vec![0x81, 0x80 | msg.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(msg);
    s.write_all(&frame).await.unwrap();
    srv.wait("generating", |st| st.ws_generating == 1).await;
    srv.wait("cut off", |st| {
        st.ws_generating == 0 && st.ws_connections == 0
    })
    .await;
    // The same for an SSE subscriber: its response is cut, the stream stays.
    let id = SseTokenClient::new(&srv.base)
        .create("flood")
        .await
        .unwrap();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s2 = sock.connect(srv.addr.parse().unwrap()).await.unwrap();
    s2.write_all(format!("GET /api/streams/{id}/events HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    srv.wait("subscribed", |st| st.sse_subscribers == 1).await;
    srv.wait("cut off", |st| st.sse_subscribers == 0).await;
    let m = body_text(
        HttpClient::new()
            .get_streaming(&format!("{}/metrics", srv.base), &[])
            .await
            .unwrap(),
    )
    .await;
    let n: u64 = m
        .lines()
        .find_map(|l| l.strip_prefix("token_server_send_timeouts_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 2, "{m}");
    drop((s, s2));
}

fn chat(prompt: &str, stream: bool) -> serde_json::Value {
    serde_json::json!({
        "model": "anything",
        "stream": stream,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": prompt}],
    })
}

#[tokio::test]
async fn chat_completions_stream_the_same_text_as_the_websocket_and_models_are_listed() {
    let srv = start(ServerConfig::default(), 1, 30).await;
    let prompt = "explain server push";
    // The WebSocket's text for the prompt.
    let mut ws = WsTokenClient::connect(&srv.addr).await.unwrap();
    ws.prompt(prompt).await.unwrap();
    let mut ws_tokens = Vec::new();
    while let Some(TokenEvent::Token { text, .. }) =
        timeout(T, ws.next_event()).await.unwrap().unwrap()
    {
        ws_tokens.push(text);
    }
    // Streaming.
    let r = srv.post("/v1/chat/completions", chat(prompt, true)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/event-stream");
    let items: Vec<_> = FramedRead::new(r.body, SseDecoder::new()).collect().await;
    let datas: Vec<String> = items
        .into_iter()
        .filter_map(|i| match i.unwrap() {
            SseItem::Event(e) => Some(e.data.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(datas.last().unwrap(), "[DONE]");
    let chunks: Vec<serde_json::Value> = datas[..datas.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"]));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: Vec<String> = chunks[1..chunks.len() - 1]
        .iter()
        .map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        content, ws_tokens,
        "one chunk per token, the same tokens as /ws"
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    // Not streaming.
    let r = srv.post("/v1/chat/completions", chat(prompt, false)).await;
    let v: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], ws_tokens.concat());
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["completion_tokens"], 30);
    // max_tokens cuts it: finish_reason "length".
    let mut req = chat(prompt, false);
    req["max_tokens"] = 5.into();
    let v: serde_json::Value =
        serde_json::from_str(&body_text(srv.post("/v1/chat/completions", req).await).await)
            .unwrap();
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        ws_tokens[..5].concat()
    );
    // Bad requests are OpenAI-shaped 400s.
    let r = srv
        .post("/v1/chat/completions", serde_json::json!({"messages": []}))
        .await;
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    let models = pushcodec_examples_models(&srv.base).await;
    assert_eq!(models["data"][0]["id"], "pushcodec-builtin");
    srv.wait("completed", |s| {
        s.chat_completed == 3 && s.chat_generating == 0
    })
    .await;
}

async fn pushcodec_examples_models(base: &str) -> serde_json::Value {
    let r = HttpClient::new()
        .get_streaming(&format!("{base}/v1/models"), &[])
        .await
        .unwrap();
    serde_json::from_str(&body_text(r).await).unwrap()
}

#[tokio::test]
async fn closing_a_chat_stream_early_stops_its_generation() {
    let srv = start(ServerConfig::default(), 20, 10_000).await;
    let r = srv
        .post("/v1/chat/completions", chat("go on forever", true))
        .await;
    let mut items = FramedRead::new(r.body, SseDecoder::new());
    for _ in 0..5 {
        timeout(T, items.next()).await.unwrap().unwrap().unwrap();
    }
    srv.wait("generating", |s| s.chat_generating == 1).await;
    drop(items);
    srv.wait("stopped", |s| {
        s.chat_generating == 0 && s.chat_cancelled == 1
    })
    .await;
}

#[tokio::test]
async fn healthz_metrics_and_graceful_shutdown_with_the_memory_store() {
    let cfg = ServerConfig {
        shutdown_grace: Duration::from_secs(3),
        ..ServerConfig::default()
    };
    let mut srv = start(cfg, 20, 60).await;
    let h = HttpClient::new()
        .get_streaming(&format!("{}/healthz", srv.base), &[])
        .await
        .unwrap();
    assert_eq!(h.status, 200);
    // A finite SSE stream, a never-ending one, and a WebSocket mid-generation.
    let c = SseTokenClient::new(&srv.base);
    let short = c.create("short").await.unwrap();
    let (_, mut short_items) = c.events(&short, None).await.unwrap();
    let mut ws = WsTokenClient::connect(&srv.addr).await.unwrap();
    ws.prompt("ws").await.unwrap();
    assert!(matches!(
        timeout(T, ws.next_event()).await.unwrap().unwrap(),
        Some(TokenEvent::Token { .. })
    ));
    let m = body_text(
        HttpClient::new()
            .get_streaming(&format!("{}/metrics", srv.base), &[])
            .await
            .unwrap(),
    )
    .await;
    for needle in [
        "# TYPE token_server_connections gauge",
        "token_server_connections{transport=\"ws\"} 1",
        "token_server_generations{transport=\"sse\"} 1",
        "token_server_tokens_sent_total{transport=\"ws\"}",
        "token_server_store_errors_total{store=\"memory\"} 0",
    ] {
        assert!(m.contains(needle), "{needle} not in\n{m}");
    }
    srv.stop.take().unwrap().send(()).unwrap();
    // WebSocket: done (shutdown), then Close 1001.
    let mut raw = ws.into_inner();
    let mut saw_done = false;
    let close = loop {
        match timeout(T, raw.next()).await.unwrap() {
            Some(Ok(pushcodec::ws::Message::Text(t))) if t.contains("\"done\"") => {
                assert!(t.contains("shutdown"), "{t}");
                saw_done = true;
            }
            Some(Ok(pushcodec::ws::Message::Close(cf))) => break cf,
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(saw_done);
    assert_eq!(close.unwrap().code.0, 1001);
    // New connections are refused.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(&srv.addr).await.is_err(),
        "still accepting"
    );
    // Memory store: the SSE stream is not cut (nobody else has it); it runs to its done.
    let mut n = 0;
    let reason = loop {
        let it = timeout(T, short_items.next())
            .await
            .unwrap()
            .expect("done before the end")
            .unwrap();
        match pushcodec_examples::client::sse_token_event(&it).unwrap() {
            Some(TokenEvent::Token { .. }) => n += 1,
            Some(TokenEvent::Done { reason }) => break reason,
            _ => {}
        }
    };
    assert_eq!(reason, "complete");
    assert!(n > 0);
    timeout(Duration::from_secs(10), &mut srv.served)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
