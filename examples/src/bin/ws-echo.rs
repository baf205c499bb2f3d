//! `ws-echo`: a WebSocket echo server built on `pushcodec::ws`.
//!
//! ```text
//! cargo run --release -p pushcodec-examples --bin ws-echo -- --addr 127.0.0.1:9001
//! ```
//!
//! Echoes every text and binary message back, to any RFC 6455 client. One
//! task per connection: a bad or slow connection never affects the others.
//!
//! Limits (flags, defaults): messages up to 64 MiB (`--max-message-size`),
//! frames up to 16 MiB (`--max-frame-size`), request head 16 KiB, 10 s to
//! complete the opening handshake, at most `--max-connections` (1024)
//! connections at once. Bad input is answered with the RFC 6455 close code
//! (1002 protocol error, 1007 invalid UTF-8, 1009 too big) and the
//! connection is closed; a bad handshake gets a 400/426 with the reason.
//! Logs go through `tracing` to stderr (`RUST_LOG`, default `info`; each
//! connection's end at `info`, a clean close at `debug`).

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::{handshake, WebSocketConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

#[derive(Parser, Debug)]
#[command(about = "WebSocket echo server (pushcodec)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    addr: String,
    /// Largest message accepted, in bytes (larger: close 1009).
    #[arg(long, default_value_t = 64 << 20)]
    max_message_size: usize,
    /// Largest frame accepted, in bytes (larger: close 1009).
    #[arg(long, default_value_t = 16 << 20)]
    max_frame_size: usize,
    /// Connections served at once; more wait in the accept queue.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Fragment echoed messages into frames of this many bytes.
    #[arg(long)]
    auto_fragment_size: Option<usize>,
}

async fn serve(tcp: TcpStream, config: WebSocketConfig) -> Result<(), String> {
    let accept = handshake::accept_with_config(tcp, config);
    let mut ws = tokio::time::timeout(Duration::from_secs(10), accept)
        .await
        .map_err(|_| "handshake timed out".to_string())?
        .map_err(|e| format!("handshake refused: {e}"))?;
    while let Some(msg) = ws.next().await {
        let msg = msg.map_err(|e| format!("closed: {e}"))?;
        // Pings are answered and Close echoed by the stream itself.
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await.map_err(|e| format!("send: {e}"))?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    pushcodec_examples::logging::init();
    let config = WebSocketConfig::default()
        .max_message_size(args.max_message_size)
        .max_frame_size(args.max_frame_size)
        .auto_fragment_size(args.auto_fragment_size);
    let listener = TcpListener::bind(&args.addr).await?;
    tracing::info!(
        "ws-echo listening on ws://{} (max message {} B, max frame {} B)",
        listener.local_addr()?,
        args.max_message_size,
        args.max_frame_size
    );
    let slots = Arc::new(Semaphore::new(args.max_connections.max(1)));
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let config = config.clone();
        tokio::spawn(async move {
            match serve(tcp, config).await {
                Ok(()) => tracing::debug!(%peer, "closed cleanly"),
                Err(e) => tracing::info!(%peer, "connection ended: {e}"),
            }
            drop(permit);
        });
    }
}
