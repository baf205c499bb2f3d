//! `ws-echo`: a WebSocket echo server built on `pushcodec::ws`.
//!
//! ```text
//! cargo run --release -p pushcodec-examples --bin ws-echo -- --addr 127.0.0.1:9001
//! ```
//!
//! Echoes every text and binary message back, to any RFC 6455 client. One
//! task per connection: a bad or slow connection never affects the others.
//! Prints `ws-echo listening on ws://ADDR` on stdout once it listens
//! (`--addr 127.0.0.1:0` picks a free port); logs go through `tracing`
//! (`RUST_LOG=ws_echo=debug` for one line per connection).
//!
//! Limits (flags, defaults): messages up to 64 MiB (`--max-message-size`),
//! frames up to 16 MiB (`--max-frame-size`), request head 16 KiB, 10 s to
//! complete the opening handshake (`--handshake-timeout-ms`), a Ping every
//! 30 s and the connection failed (1011) when nothing answers within 20 s
//! (`--keep-alive-ms`, `--keep-alive-timeout-ms`), 30 s to send one echo
//! to a client that does not read (`--send-timeout-ms`, then the
//! connection is dropped), at most `--max-connections` (10,000; the soft
//! file-descriptor limit is raised to the hard one) connections at once.
//! Bad input is answered with the RFC 6455 close code (1002 protocol error,
//! 1007 invalid UTF-8, 1009 too big) and the connection is closed; a bad
//! handshake gets a 400/426/431 with the reason.
//!
//! permessage-deflate (RFC 7692) is negotiated by default, with every
//! parameter a client may offer (window bits 8–15, no context takeover
//! either way); a message that inflates past `--max-message-size` is
//! refused with 1009 as soon as it does. `--no-deflate` turns it off,
//! `--deflate-level` sets the compression level (default 6),
//! `--max-deflate-connections` caps the connections using it at once (past
//! it the extension is declined; default: no cap). With
//! `RUST_LOG=ws_echo=debug` each connection logs what was agreed
//! (`open, extensions: permessage-deflate; ...` or `none`), which the
//! interop suite checks.
//!
//! Logs go through `tracing` to stderr (`RUST_LOG`, default `info`; each
//! connection's end at `info`, a clean close at `debug`).

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::extension::deflate::DeflateLimit;
use pushcodec::ws::extension::DeflateConfig;
use pushcodec::ws::handshake::{self, AcceptOptions};
use pushcodec::ws::WebSocketConfig;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
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
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// Fragment echoed messages into frames of this many bytes.
    #[arg(long)]
    auto_fragment_size: Option<usize>,
    /// Bound on the opening handshake, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    handshake_timeout_ms: u64,
    /// Keep-alive ping interval in milliseconds (0: no pings).
    #[arg(long, default_value_t = 30_000)]
    keep_alive_ms: u64,
    /// Fail a connection when nothing arrives this long after a ping (ms).
    #[arg(long, default_value_t = 20_000)]
    keep_alive_timeout_ms: u64,
    /// Close a connection idle (no message either way) this long (ms; 0: never).
    #[arg(long, default_value_t = 0)]
    idle_timeout_ms: u64,
    /// Bound on the closing handshake, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    close_timeout_ms: u64,
    /// Drop a connection whose echo cannot be sent within this (ms).
    #[arg(long, default_value_t = 30_000)]
    send_timeout_ms: u64,
    /// Do not negotiate permessage-deflate (RFC 7692).
    #[arg(long)]
    no_deflate: bool,
    /// zlib compression level of echoed messages, 0-9.
    #[arg(long, default_value_t = 6)]
    deflate_level: u8,
    /// Connections allowed to use permessage-deflate at once (default: all).
    #[arg(long)]
    max_deflate_connections: Option<usize>,
}

fn ms(n: u64) -> Option<Duration> {
    (n > 0).then(|| Duration::from_millis(n))
}

async fn serve(
    tcp: TcpStream,
    peer: std::net::SocketAddr,
    opts: &AcceptOptions,
    send_timeout: Duration,
) -> Result<(), String> {
    let (mut ws, _) = handshake::accept_with_options(tcp, opts)
        .await
        .map_err(|e| format!("handshake refused: {e}"))?;
    // What was agreed, for the interop suite to check the server's side.
    match ws.deflate() {
        Some(p) => tracing::debug!(%peer, "open, extensions: {p}"),
        None => tracing::debug!(%peer, "open, extensions: none"),
    }
    while let Some(msg) = ws.next().await {
        let msg = msg.map_err(|e| format!("closed: {e}"))?;
        // Pings are answered and Close echoed by the stream itself.
        if msg.is_text() || msg.is_binary() {
            match tokio::time::timeout(send_timeout, ws.send(msg)).await {
                Ok(r) => r.map_err(|e| format!("send: {e}"))?,
                Err(_) => return Err(format!("send: peer did not read for {send_timeout:?}")),
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    pushcodec_examples::logging::init();
    let args = Args::parse();
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!("cannot raise the file-descriptor limit: {e}");
    }
    let config = WebSocketConfig::builder()
        .max_message_size(args.max_message_size)
        .max_frame_size(args.max_frame_size)
        .auto_fragment_size(args.auto_fragment_size)
        .keep_alive_interval(ms(args.keep_alive_ms))
        .keep_alive_timeout(Duration::from_millis(args.keep_alive_timeout_ms))
        .idle_timeout(ms(args.idle_timeout_ms))
        .close_timeout(ms(args.close_timeout_ms))
        .deflate(
            DeflateConfig::builder()
                .enabled(!args.no_deflate)
                .level(args.deflate_level)
                .build(),
        )
        .build();
    let mut opts = AcceptOptions::builder()
        .handshake_timeout(ms(args.handshake_timeout_ms))
        .config(config);
    if let Some(n) = args.max_deflate_connections {
        opts = opts.deflate_limit(DeflateLimit::new(n));
    }
    let opts = Arc::new(opts.build());
    let send_timeout = Duration::from_millis(args.send_timeout_ms.max(1));
    // A deep accept queue: a burst of connections (1,000 at once in the
    // hostile suite) must not overflow it, or a new client's SYN is dropped
    // and retried only after a second.
    let addr: std::net::SocketAddr = args.addr.parse().map_err(|e| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("--addr: {e}"))
    })?;
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener: TcpListener = socket.listen(4096)?;
    println!("ws-echo listening on ws://{}", listener.local_addr()?);
    tracing::info!(
        max_message = args.max_message_size,
        max_frame = args.max_frame_size,
        max_connections = args.max_connections,
        deflate = !args.no_deflate,
        "listening"
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
        let opts = opts.clone();
        tokio::spawn(async move {
            match serve(tcp, peer, &opts, send_timeout).await {
                Ok(()) => tracing::debug!(%peer, "closed cleanly"),
                Err(e) => tracing::info!(%peer, "connection ended: {e}"),
            }
            drop(permit);
        });
    }
}
