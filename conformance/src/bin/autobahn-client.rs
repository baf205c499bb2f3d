//! The pushcodec WebSocket client that Autobahn|Testsuite's fuzzing server
//! tests (`wstest -m fuzzingserver`, `.ci/autobahn.sh`).
//!
//! ```text
//! autobahn-client ws://127.0.0.1:9010 pushcodec-client
//! ```
//!
//! The protocol of the fuzzing server: `GET /getCaseCount` (one text
//! message: the count), then for N = 1..count `GET /runCase?case=N&agent=A`
//! echoing every data message until the connection ends, then `GET
//! /updateReports?agent=A`. Each case has a time limit; a case that fails
//! on our side (a protocol error the fuzzer provoked) just ends that
//! connection, as the fuzzer expects. Exits 1 if the server cannot be
//! reached.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::handshake;
use pushcodec::ws::{Message, WebSocketConfig, WebSocketStream};
use tokio::net::TcpStream;

const CASE_TIMEOUT: Duration = Duration::from_secs(120);

async fn open(base: &str, path: &str) -> Result<WebSocketStream<TcpStream>, String> {
    let url = format!("{base}{path}");
    let addr = base
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .to_string();
    let tcp = TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    // Autobahn 9.* sends messages of up to 16 MiB in frames of up to 16 MiB.
    let config = WebSocketConfig::builder()
        .max_message_size(64 << 20)
        .max_frame_size(16 << 20)
        .build();
    handshake::connect_with_config(tcp, &url, config)
        .await
        .map_err(|e| format!("{url}: handshake: {e}"))
}

/// Echoes data messages until the connection ends (the stream answers
/// pings and closes by itself).
async fn echo(mut ws: WebSocketStream<TcpStream>) {
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.send(m).await.is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

async fn case_count(base: &str) -> Result<u32, String> {
    let mut ws = open(base, "/getCaseCount").await?;
    while let Some(msg) = ws.next().await {
        if let Ok(Message::Text(t)) = msg {
            return t
                .as_str()
                .trim()
                .parse()
                .map_err(|e| format!("case count {t:?}: {e}"));
        }
    }
    Err("no case count received".into())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:9001".into())
        .trim_end_matches('/')
        .to_string();
    let agent = args.next().unwrap_or_else(|| "pushcodec-client".into());
    let count = match case_count(&base).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("autobahn-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("autobahn-client: {count} cases");
    for n in 1..=count {
        let path = format!("/runCase?case={n}&agent={agent}");
        let run = async {
            match open(&base, &path).await {
                Ok(ws) => echo(ws).await,
                Err(e) => eprintln!("autobahn-client: case {n}: {e}"),
            }
        };
        if tokio::time::timeout(CASE_TIMEOUT, run).await.is_err() {
            eprintln!("autobahn-client: case {n} did not end within {CASE_TIMEOUT:?}");
        }
    }
    match open(&base, &format!("/updateReports?agent={agent}")).await {
        Ok(ws) => echo(ws).await,
        Err(e) => {
            eprintln!("autobahn-client: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
