//! The `sse-client` binary and the adapters end to end, loopback only,
//! every step bounded in time:
//!
//! * an axum app built only from pushcodec's public adapters
//!   (`WebSocketUpgrade`, `Sse`) serves WebSocket to tokio-tungstenite and
//!   SSE to `sse-client`, dropping the event stream every few events:
//!   `sse-client` prints every event once, in order, and exits 0 at the 204;
//! * `sse-client` against the token server's own dropping SSE endpoint;
//! * exit status 1 with the reason for 500 and `text/html`, 0 for a retry
//!   limit reached, HTTPS with `--ca-cert`;
//! * `token-server --upstream https://…` relays a fake OpenAI-compatible
//!   TLS upstream (self-signed rcgen certificate).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{stream, SinkExt, StreamExt};
use pushcodec::integration::axum::{Event, Sse, WebSocketUpgrade};
use pushcodec::sse::OutgoingEvent;
use pushcodec_examples::client::{TokenEvent, WsTokenClient};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite;

const T: Duration = Duration::from_secs(60);
const EVENTS: u64 = 40;
const DROP_EVERY: u64 = 6;

/// What the app saw: the Last-Event-ID of each event-stream request.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Option<String>>>>);

async fn ws(upgrade: WebSocketUpgrade) -> Response {
    upgrade.protocols(["echo"]).on_upgrade(|mut ws| async move {
        while let Some(Ok(msg)) = ws.next().await {
            if !msg.is_control() && ws.send(msg).await.is_err() {
                break;
            }
        }
    })
}

/// Events 0..EVENTS with `id` = index, resumed after Last-Event-ID, the
/// response ended after every DROP_EVERY events (a flaky network); 204 once
/// everything was seen.
async fn events(State(seen): State<Seen>, headers: HeaderMap) -> Response {
    let last = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap().to_string());
    seen.0.lock().unwrap().push(last.clone());
    let start = last.map_or(0, |id| id.parse::<u64>().unwrap() + 1);
    if start == EVENTS {
        return http::StatusCode::NO_CONTENT.into_response();
    }
    let end = (start + DROP_EVERY).min(EVENTS);
    let mut items = vec![Event::retry(Duration::from_millis(10))];
    for i in start..end {
        let ev = OutgoingEvent::new(format!("token {i}\nsecond line"))
            .event("token")
            .id(i.to_string());
        match Event::new(ev) {
            Ok(ev) => items.push(ev),
            Err(e) => return e.into_response(),
        }
    }
    Sse::new(stream::iter(items)).into_response()
}

async fn app() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/ws", get(ws))
        .route("/events", get(events))
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

async fn sse_client(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_sse-client"))
        .args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sse-client");
    timeout(T, child.wait_with_output())
        .await
        .expect("sse-client finished in time")
        .unwrap()
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn axum_app_from_the_adapters_serves_tungstenite_and_sse_client_through_drops() {
    let (addr, seen) = app().await;

    // WebSocket: tokio-tungstenite against WebSocketUpgrade.
    let mut req =
        tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{addr}/ws"))
            .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", "echo".parse().unwrap());
    let (mut socket, resp) = timeout(T, tokio_tungstenite::connect_async(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp.headers()["sec-websocket-protocol"], "echo");
    socket
        .send(tungstenite::Message::text("ping?"))
        .await
        .unwrap();
    let back = timeout(T, socket.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(back, tungstenite::Message::text("ping?"));

    // SSE: sse-client against Sse, through a drop every DROP_EVERY events.
    let out = sse_client(&[&format!("http://{addr}/events"), "--min-delay-ms", "1"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    let got = lines(&out);
    let events: Vec<_> = got.iter().filter(|l| l.get("type").is_some()).collect();
    let want: Vec<serde_json::Value> = (0..EVENTS)
        .map(|i| {
            serde_json::json!({"type": "token", "data": format!("token {i}\nsecond line"), "lastEventId": i.to_string()})
        })
        .collect();
    assert_eq!(
        events.into_iter().cloned().collect::<Vec<_>>(),
        want,
        "every event once, in order"
    );
    assert!(got.iter().any(|l| l == &serde_json::json!({"retry": 10})));
    // Each reconnect resumed after the last event received.
    let seen = seen.0.lock().unwrap().clone();
    let connections = EVENTS.div_ceil(DROP_EVERY) as usize + 1;
    assert_eq!(seen.len(), connections, "{seen:?}");
    for (k, last) in seen.iter().enumerate() {
        let want = (k > 0).then(|| ((k as u64 * DROP_EVERY).min(EVENTS) - 1).to_string());
        assert_eq!(last, &want, "connection {k}");
    }
    assert!(
        stderr.contains("reconnecting"),
        "reconnects are logged: {stderr}"
    );
}

#[tokio::test]
async fn sse_client_reads_the_token_server_through_its_dropping_stream() {
    use pushcodec_examples::server::{serve, AppState, ServerConfig};
    use pushcodec_examples::tokens::BuiltinGenerator;
    let cfg = ServerConfig {
        debug_drop_sse_after: Some(7),
        sse_retry: Duration::from_millis(10),
        ..ServerConfig::default()
    };
    let generator = BuiltinGenerator::new(Duration::from_millis(1), 50);
    let expected = generator.tokens_for("flaky");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, AppState::new(cfg, generator)));
    let id = pushcodec_examples::client::SseTokenClient::new(&base)
        .create("flaky")
        .await
        .unwrap();
    let out = sse_client(&[
        &format!("{base}/api/streams/{id}/events"),
        "--min-delay-ms",
        "1",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = lines(&out);
    let tokens: Vec<String> = got
        .iter()
        .filter(|l| l["type"] == "token")
        .map(|l| {
            let data: serde_json::Value =
                serde_json::from_str(l["data"].as_str().unwrap()).unwrap();
            data["text"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(tokens, expected, "no gap, no duplicate");
    let done: Vec<_> = got.iter().filter(|l| l["type"] == "done").collect();
    assert_eq!(done.len(), 1);
}

/// A one-shot HTTP server answering every request with `response`.
async fn fixed(response: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/")
}

#[tokio::test]
async fn sse_client_exit_status_1_on_fatal_errors_0_on_a_retry_limit() {
    let url = fixed(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\nboom",
    )
    .await;
    let out = sse_client(&[&url]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("500") && err.contains("boom"), "{err}");

    let url = fixed("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 6\r\nconnection: close\r\n\r\n<html>").await;
    let out = sse_client(&[&url]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("text/html"));

    let out = sse_client(&["not a url"]).await;
    assert_eq!(out.status.code(), Some(1));

    // Nothing listens: refused twice more, then the retry limit ends it.
    let url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let out = sse_client(&[
        &url,
        "--max-retries",
        "2",
        "--retry-ms",
        "10",
        "--min-delay-ms",
        "1",
    ])
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("gave up after 2 reconnects"));
}

struct TlsServer {
    base: String,
    cert_path: std::path::PathBuf,
    requests: tokio::sync::mpsc::Receiver<String>,
}

/// A fake OpenAI-compatible `/v1/chat/completions` over TLS with a
/// self-signed certificate (PEM written to a scratch file): streams
/// `chunks` delta chunks, then `[DONE]`; reports each request head.
async fn fake_openai_tls(chunks: usize) -> TlsServer {
    use tokio_rustls::rustls;
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("pushcodec-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_path = dir.join(format!("upstream-{chunks}.pem"));
    std::fs::write(&cert_path, ck.cert.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![ck.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut s = BufReader::new(tls);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let _ = tx.send(head.to_lowercase()).await;
                let mut s = s.into_inner();
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\nconnection: close\r\n\r\n")
                    .await;
                for i in 0..chunks {
                    let chunk = format!(
                        "data: {{\"choices\":[{{\"delta\":{{\"content\":\"t{i} \"}}}}]}}\n\n"
                    );
                    if s.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let _ = s.write_all(b"data: [DONE]\n\n").await;
                let _ = s.shutdown().await;
            });
        }
    });
    TlsServer {
        base,
        cert_path,
        requests: rx,
    }
}

#[tokio::test]
async fn token_server_upstream_https_relays_a_tls_openai_compatible_server() {
    let mut up = fake_openai_tls(5).await;
    let mut server = Command::new(env!("CARGO_BIN_EXE_token-server"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--upstream",
            &up.base,
            "--upstream-ca-cert",
            up.cert_path.to_str().unwrap(),
        ])
        .env("OPENAI_API_KEY", "sk-tls-test")
        .env("RUST_LOG", "info")
        .env_remove("TOKEN_SERVER_ADDR")
        .env_remove("TOKEN_SERVER_UPSTREAM")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn token-server");
    // Its address, from the "listening on http://…" log line.
    let mut log = BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = timeout(T, async {
        while let Some(line) = log.next_line().await.unwrap() {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                return rest.trim().to_string();
            }
        }
        panic!("token-server exited before listening");
    })
    .await
    .expect("token-server listens in time");
    tokio::spawn(async move { while let Ok(Some(_)) = log.next_line().await {} });

    let mut c = WsTokenClient::connect(&addr).await.unwrap();
    c.prompt("over tls").await.unwrap();
    let mut tokens = Vec::new();
    loop {
        match timeout(T, c.next_event()).await.unwrap().unwrap() {
            Some(TokenEvent::Token { text, .. }) => tokens.push(text),
            Some(TokenEvent::Done { reason }) => {
                assert_eq!(reason, "complete");
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(tokens, ["t0 ", "t1 ", "t2 ", "t3 ", "t4 "]);
    let head = timeout(T, up.requests.recv()).await.unwrap().unwrap();
    assert!(head.starts_with("post /v1/chat/completions"), "{head}");
    assert!(head.contains("authorization: bearer sk-tls-test"), "{head}");
    assert!(head.contains("accept: text/event-stream"), "{head}");
    server.kill().await.ok();
    let _ = std::fs::remove_file(&up.cert_path);
}

#[tokio::test]
async fn sse_client_over_https_with_ca_cert() {
    let up = fake_openai_tls(3).await;
    let url = format!("{}/v1/chat/completions", up.base);
    let out = sse_client(&[
        &url,
        "--post",
        r#"{"stream":true}"#,
        "--header",
        "Authorization: Bearer sk-x",
        "--ca-cert",
        up.cert_path.to_str().unwrap(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = lines(&out);
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(got[3]["data"], "[DONE]");
    // Without the certificate: a fatal TLS error, exit 1.
    let out = sse_client(&[&url, "--post", "{}"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TLS"));
    let _ = std::fs::remove_file(&up.cert_path);
}
