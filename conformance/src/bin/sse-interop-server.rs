//! An event-stream server written with pushcodec's `SseEncoder`, for the
//! SSE interop checks (headless Chromium's `EventSource`, Node's
//! `eventsource` package).
//!
//! ```text
//! sse-interop-server --addr 127.0.0.1:PORT [--max-seconds 300]
//! ```
//!
//! Serves, on 127.0.0.1 only, with a raw `TcpListener` and HTTP/1.1
//! `Connection: close` responses:
//!
//! * `GET /` — a blank HTML page (a same-origin home for the browser checks);
//! * `GET /script.json` — `interop/sse-script.json`: what is sent and what a
//!   browser must dispatch;
//! * `GET /events?client=NAME` — the stream: the script's `first_connection`
//!   items, then the server drops the connection; on the next request from
//!   that client (the reconnect) the `after_reconnect` items, then it waits
//!   for the client to hang up;
//! * `GET /log?client=NAME` — JSON `{"connections": n, "last_event_ids":
//!   [...]}`: the `Last-Event-ID` header of each `/events` request (`null`
//!   when absent).
#![forbid(unsafe_code)]

use bytes::BytesMut;
use pushcodec::sse::{Outgoing, OutgoingEvent, SseEncoder, RESPONSE_HEADERS};
use pushcodec::Utf8Bytes;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Encoder;

const SCRIPT: &str = include_str!("../../interop/sse-script.json");
const MAX_HEAD: usize = 16 << 10;

#[derive(Deserialize)]
struct Script {
    first_connection: Vec<Item>,
    after_reconnect: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum Item {
    Retry {
        retry_ms: u64,
    },
    Comment {
        comment: String,
    },
    Event {
        data: String,
        event: Option<String>,
        id: Option<String>,
    },
}

impl Item {
    fn to_outgoing(&self) -> Outgoing {
        match self {
            Item::Retry { retry_ms } => Outgoing::Retry(Duration::from_millis(*retry_ms)),
            Item::Comment { comment } => Outgoing::Comment(Utf8Bytes::from(comment.clone())),
            Item::Event { data, event, id } => {
                let mut ev = OutgoingEvent::new(data.clone());
                if let Some(e) = event {
                    ev = ev.event(e.clone());
                }
                if let Some(i) = id {
                    ev = ev.id(i.clone());
                }
                Outgoing::Event(ev)
            }
        }
    }
}

#[derive(Default)]
struct ClientLog {
    last_event_ids: Vec<Option<String>>,
}

type Logs = Arc<Mutex<HashMap<String, ClientLog>>>;

struct Request {
    path: String,
    client: String,
    last_event_id: Option<String>,
}

async fn read_request(tcp: &mut TcpStream) -> Result<Request, String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Err("request head too large".into());
        }
        let n = tcp.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the end of the head".into());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let target = request_line.split(' ').nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let client = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("client="))
        .unwrap_or("default")
        .to_owned();
    let last_event_id = lines.find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("last-event-id")
            .then(|| v.trim().to_owned())
    });
    Ok(Request {
        path: path.to_owned(),
        client,
        last_event_id,
    })
}

async fn respond(
    tcp: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await?;
    tcp.write_all(body).await?;
    tcp.shutdown().await
}

async fn stream_events(
    tcp: &mut TcpStream,
    items: &[Item],
    reconnected: bool,
) -> Result<(), String> {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for (k, v) in RESPONSE_HEADERS {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    tcp.write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut encoder = SseEncoder::new();
    for item in items {
        let mut out = BytesMut::new();
        encoder
            .encode(item.to_outgoing(), &mut out)
            .map_err(|e| format!("SseEncoder refused an item of the script: {e}"))?;
        tcp.write_all(&out).await.map_err(|e| e.to_string())?;
        tcp.flush().await.map_err(|e| e.to_string())?;
        // Separate TCP segments, so the client sees the stream in pieces.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if reconnected {
        // Wait (bounded) for the client to close the EventSource.
        let mut sink = [0u8; 256];
        let _ = tokio::time::timeout(Duration::from_secs(30), async {
            while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
    }
    // Dropping the socket ends the response (Connection: close): after the
    // first part, this is the "server drops the connection" of the check.
    Ok(())
}

async fn serve(mut tcp: TcpStream, script: Arc<Script>, logs: Logs) -> Result<(), String> {
    let req = read_request(&mut tcp).await?;
    match req.path.as_str() {
        "/" => respond(
            &mut tcp,
            "200 OK",
            "text/html; charset=utf-8",
            b"<!doctype html><title>pushcodec SSE interop</title>",
        )
        .await
        .map_err(|e| e.to_string()),
        "/script.json" => respond(&mut tcp, "200 OK", "application/json", SCRIPT.as_bytes())
            .await
            .map_err(|e| e.to_string()),
        "/log" => {
            let body = {
                let logs = logs.lock().map_err(|_| "log lock poisoned")?;
                let ids = logs
                    .get(&req.client)
                    .map(|l| l.last_event_ids.clone())
                    .unwrap_or_default();
                serde_json::json!({ "connections": ids.len(), "last_event_ids": ids }).to_string()
            };
            respond(&mut tcp, "200 OK", "application/json", body.as_bytes())
                .await
                .map_err(|e| e.to_string())
        }
        "/events" => {
            let n = {
                let mut logs = logs.lock().map_err(|_| "log lock poisoned")?;
                let log = logs.entry(req.client.clone()).or_default();
                log.last_event_ids.push(req.last_event_id.clone());
                log.last_event_ids.len()
            };
            match n {
                1 => stream_events(&mut tcp, &script.first_connection, false).await,
                2 => stream_events(&mut tcp, &script.after_reconnect, true).await,
                // A third connection means the client did not stop after
                // "done": answer 204, which tells EventSource to stop (§9.2.2).
                _ => respond(&mut tcp, "204 No Content", "text/plain", b"")
                    .await
                    .map_err(|e| e.to_string()),
            }
        }
        _ => respond(&mut tcp, "404 Not Found", "text/plain", b"not found")
            .await
            .map_err(|e| e.to_string()),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut addr = String::from("127.0.0.1:0");
    let mut max_seconds = 300u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => addr = args.next().unwrap_or_default(),
            "--max-seconds" => {
                max_seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(300)
            }
            _ => {
                eprintln!("usage: sse-interop-server --addr 127.0.0.1:PORT [--max-seconds N]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let script: Arc<Script> = match serde_json::from_str(SCRIPT) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("sse-script.json: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bind {addr}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match listener.local_addr() {
        Ok(a) => println!("listening {}", a.port()),
        Err(e) => eprintln!("local_addr: {e}"),
    }
    let logs: Logs = Arc::default();
    let run = async {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (script, logs) = (script.clone(), logs.clone());
            tokio::spawn(async move {
                if let Err(e) = serve(tcp, script, logs).await {
                    eprintln!("sse-interop-server: {e}");
                }
            });
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(max_seconds), run).await;
    std::process::ExitCode::SUCCESS
}
