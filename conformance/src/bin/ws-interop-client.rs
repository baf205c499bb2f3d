//! A pushcodec WebSocket client that runs a fixed script of checks against
//! an echo server written with a third-party library (`conformance/interop`:
//! Python `websockets`, Node `ws`).
//!
//! ```text
//! ws-interop-client --url ws://127.0.0.1:PORT/ --peer python-websockets
//! ```
//!
//! The server echoes every message (type kept); text messages starting with
//! `cmd:` are commands (`fragments`, `invalid-utf8`, `big N`,
//! `close CODE REASON`, `ping`, `last-close`), see `interop/ws_peer.py`.
//! Prints `ok NAME` / `FAIL NAME: why` and `ws-interop-client vs PEER: N
//! passed, M failed`; exits 1 on any failure. Every check has a time limit.
//!
//! permessage-deflate (RFC 7692) is offered by default, so every check runs
//! compressed when the peer accepts it; the `permessage-deflate` checks
//! also offer each parameter, compare what was agreed on both ends
//! (`cmd:extensions` asks the peer), and turn it off.
#![forbid(unsafe_code)]

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::extension::deflate::DeflateParams;
use pushcodec::ws::extension::DeflateConfig;
use pushcodec::ws::handshake;
use pushcodec::ws::{CloseCode, CloseFrame, Message, WebSocketConfig, WebSocketStream};
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpStream;

type Ws = WebSocketStream<TcpStream>;
type CheckResult = Result<(), String>;
type Check<'a> = Pin<Box<dyn Future<Output = CheckResult> + 'a>>;

const CHECK_TIMEOUT: Duration = Duration::from_secs(60);
const SMALL_LIMIT: usize = 1 << 20;

struct Client {
    url: String,
    addr: String,
}

impl Client {
    async fn connect(&self, config: WebSocketConfig) -> Result<Ws, String> {
        let tcp = TcpStream::connect(&self.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", self.addr))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        handshake::connect_with_config(tcp, &self.url, config)
            .await
            .map_err(|e| format!("handshake: {e}"))
    }

    async fn open(&self) -> Result<Ws, String> {
        self.connect(WebSocketConfig::default()).await
    }
}

/// The next data or close message (pings and pongs are skipped: the stream
/// answers pings itself).
async fn next_message(ws: &mut Ws) -> Result<Message, String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => return Ok(m),
            Some(Err(e)) => return Err(format!("error: {e}")),
            None => return Err("connection ended".into()),
        }
    }
}

async fn send(ws: &mut Ws, m: Message) -> CheckResult {
    ws.send(m).await.map_err(|e| format!("send: {e}"))
}

fn describe(m: &Message) -> String {
    match m {
        Message::Text(t) if t.len() <= 40 => format!("Text({:?})", t.as_str()),
        Message::Text(t) => format!("Text({} bytes)", t.len()),
        Message::Binary(b) => format!("Binary({} bytes)", b.len()),
        other => format!("{other:?}"),
    }
}

async fn echo(c: &Client, m: Message) -> CheckResult {
    let mut ws = c.open().await?;
    send(&mut ws, m.clone()).await?;
    let got = next_message(&mut ws).await?;
    if got != m {
        return Err(format!(
            "echo was {}, sent {}",
            describe(&got),
            describe(&m)
        ));
    }
    close_normally(ws).await
}

async fn close_normally(mut ws: Ws) -> CheckResult {
    ws.close().await.map_err(|e| format!("close: {e}"))
}

fn text_of(n: usize) -> String {
    "pushcodec-".repeat(n / 10 + 1)[..n].to_owned()
}

fn binary_of(n: usize) -> Bytes {
    (0..n).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into()
}

async fn fragmented_sends(c: &Client) -> CheckResult {
    let cfg = WebSocketConfig::builder()
        .auto_fragment_size(Some(1000))
        .build();
    let mut ws = c.connect(cfg).await?;
    for m in [
        Message::text(format!("κόσμε {}", text_of(70_000))),
        Message::binary(binary_of(70_001)),
    ] {
        send(&mut ws, m.clone()).await?;
        let got = next_message(&mut ws).await?;
        if got != m {
            return Err(format!(
                "echo was {}, sent {}",
                describe(&got),
                describe(&m)
            ));
        }
    }
    close_normally(ws).await
}

async fn fragmented_receive(c: &Client) -> CheckResult {
    let mut ws = c.open().await?;
    send(&mut ws, Message::text("cmd:fragments")).await?;
    let a = next_message(&mut ws).await?;
    let b = next_message(&mut ws).await?;
    if a != Message::text("Hello") || b != Message::binary(vec![1u8, 2, 3]) {
        return Err(format!("got {} and {}", describe(&a), describe(&b)));
    }
    close_normally(ws).await
}

async fn ping_pong(c: &Client) -> CheckResult {
    let mut ws = c.open().await?;
    send(&mut ws, Message::ping(&b"cli-ping"[..])).await?;
    match ws.next().await {
        Some(Ok(Message::Pong(p))) if &p[..] == b"cli-ping" => {}
        Some(Ok(other)) => return Err(format!("expected the pong, got {}", describe(&other))),
        Some(Err(e)) => return Err(format!("error: {e}")),
        None => return Err("connection ended before the pong".into()),
    }
    // The peer pings us: the stream must answer by itself.
    send(&mut ws, Message::text("cmd:ping")).await?;
    let got = next_message(&mut ws).await?;
    if got != Message::text("pong ok") {
        return Err(format!("peer did not see our pong: {}", describe(&got)));
    }
    close_normally(ws).await
}

/// Asks the peer which close frame it received on the previous connection.
async fn last_close(c: &Client) -> Result<String, String> {
    let mut ws = c.open().await?;
    send(&mut ws, Message::text("cmd:last-close")).await?;
    let got = next_message(&mut ws).await?;
    close_normally(ws).await?;
    match got {
        Message::Text(t) => Ok(t.as_str().to_owned()),
        other => Err(format!("last-close answered {}", describe(&other))),
    }
}

async fn client_close(c: &Client) -> CheckResult {
    let mut ws = c.open().await?;
    send(
        &mut ws,
        Message::Close(Some(CloseFrame::new(CloseCode(4002), "client bye"))),
    )
    .await?;
    match next_message(&mut ws).await? {
        Message::Close(Some(cf)) if cf.code == CloseCode(4002) => {}
        other => {
            return Err(format!(
                "expected the close echo 4002, got {}",
                describe(&other)
            ))
        }
    }
    if let Some(x) = ws.next().await {
        return Err(format!("stream went on after the closing handshake: {x:?}"));
    }
    let seen = last_close(c).await?;
    if seen != "4002 client bye" {
        return Err(format!(
            "peer received close {seen:?}, expected \"4002 client bye\""
        ));
    }
    Ok(())
}

async fn server_close(c: &Client) -> CheckResult {
    let mut ws = c.open().await?;
    send(&mut ws, Message::text("cmd:close 4003 server bye")).await?;
    match next_message(&mut ws).await? {
        Message::Close(Some(cf))
            if cf.code == CloseCode(4003) && cf.reason.as_str() == "server bye" => {}
        other => {
            return Err(format!(
                "expected Close(4003, \"server bye\"), got {}",
                describe(&other)
            ))
        }
    }
    if let Some(x) = ws.next().await {
        return Err(format!("stream went on after the closing handshake: {x:?}"));
    }
    let seen = last_close(c).await?;
    if !seen.starts_with("4003") {
        return Err(format!(
            "peer's close was answered with {seen:?}, expected the echo 4003"
        ));
    }
    Ok(())
}

/// Sends `command`; the peer's answer must fail our stream with `code`, and
/// the peer must have received a Close with that code.
async fn expect_failure(c: &Client, cfg: WebSocketConfig, command: &str, code: u16) -> CheckResult {
    let mut ws = c.connect(cfg).await?;
    send(&mut ws, Message::text(command.to_owned())).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => return Err(format!("expected an error, got {}", describe(&m))),
            Some(Err(e)) => match e.close_code() {
                Some(CloseCode(got)) if got == code => break,
                other => return Err(format!("error \"{e}\" maps to {other:?}, expected {code}")),
            },
            None => return Err("connection ended without an error".into()),
        }
    }
    drop(ws);
    let seen = last_close(c).await?;
    if !seen.starts_with(&code.to_string()) {
        return Err(format!(
            "peer received close {seen:?}, expected code {code}"
        ));
    }
    Ok(())
}

/// Messages a compressed connection should carry: tokens, 300 KB of text,
/// 1 MiB of binary.
fn deflate_messages() -> Vec<Message> {
    let mut v: Vec<Message> = (0..50)
        .map(|i| {
            Message::text(format!(
                r#"{{"type":"token","index":{i},"text":" w{}"}}"#,
                i % 17
            ))
        })
        .collect();
    v.push(Message::text(format!("κόσμε {}", text_of(300_000))));
    v.push(Message::binary(binary_of(1 << 20)));
    v
}

/// A check of the parameters agreed with the peer.
type AgreedCheck = fn(&DeflateParams) -> bool;

/// Connects offering `deflate`; `expect` checks what was agreed; the peer
/// must report the extension too; then the messages of
/// [`deflate_messages`] are echoed.
async fn deflate_exchange(c: &Client, deflate: DeflateConfig, expect: AgreedCheck) -> CheckResult {
    let mut ws = c
        .connect(WebSocketConfig::builder().deflate(deflate).build())
        .await?;
    let Some(agreed) = ws.deflate().copied() else {
        return Err("permessage-deflate not negotiated".into());
    };
    if !expect(&agreed) {
        return Err(format!("agreed {agreed}, not what was asked"));
    }
    send(&mut ws, Message::text("cmd:extensions")).await?;
    match next_message(&mut ws).await? {
        Message::Text(t) if t.as_str().starts_with("permessage-deflate") => {}
        other => return Err(format!("peer reports {}", describe(&other))),
    }
    for m in deflate_messages() {
        send(&mut ws, m.clone()).await?;
        let got = next_message(&mut ws).await?;
        if got != m {
            return Err(format!(
                "echo was {}, sent {} (agreed {agreed})",
                describe(&got),
                describe(&m)
            ));
        }
    }
    close_normally(ws).await
}

async fn deflate_off(c: &Client) -> CheckResult {
    let off = DeflateConfig::builder().enabled(false).build();
    let mut ws = c
        .connect(WebSocketConfig::builder().deflate(off).build())
        .await?;
    if let Some(p) = ws.deflate() {
        return Err(format!("agreed {p} without an offer"));
    }
    send(&mut ws, Message::text("cmd:extensions")).await?;
    match next_message(&mut ws).await? {
        Message::Text(t) if t.as_str() == "none" => {}
        other => return Err(format!("peer reports {}", describe(&other))),
    }
    close_normally(ws).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut url = None;
    let mut peer = String::from("peer");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = args.next(),
            "--peer" => peer = args.next().unwrap_or_default(),
            _ => {
                eprintln!("usage: ws-interop-client --url ws://127.0.0.1:PORT/ [--peer NAME]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(url) = url else {
        eprintln!("usage: ws-interop-client --url ws://127.0.0.1:PORT/ [--peer NAME]");
        return ExitCode::from(2);
    };
    let addr = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let c = Client { url, addr };
    let c = &c;

    let mut checks: Vec<(String, Check<'_>)> = vec![
        (
            "text 'Hello'".into(),
            Box::pin(echo(c, Message::text("Hello"))),
        ),
        (
            "text multibyte".into(),
            Box::pin(echo(c, Message::text("κόσμε 😀 €"))),
        ),
    ];
    for n in [0usize, 125, 126, 65536] {
        checks.push((
            format!("text {n} B"),
            Box::pin(echo(c, Message::text(text_of(n)))),
        ));
    }
    for n in [0usize, 125, 126, 65536, 16 << 20] {
        checks.push((
            format!("binary {n} B"),
            Box::pin(echo(c, Message::binary(binary_of(n)))),
        ));
    }
    checks.push((
        "fragmented sends (auto_fragment_size 1000)".into(),
        Box::pin(fragmented_sends(c)),
    ));
    checks.push((
        "fragmented messages from the peer".into(),
        Box::pin(fragmented_receive(c)),
    ));
    checks.push((
        "ping -> pong, peer ping -> our pong".into(),
        Box::pin(ping_pong(c)),
    ));
    checks.push((
        "client close 4002 + reason".into(),
        Box::pin(client_close(c)),
    ));
    checks.push((
        "server close 4003 + reason".into(),
        Box::pin(server_close(c)),
    ));
    checks.push((
        "invalid UTF-8 from the peer -> 1007".into(),
        Box::pin(expect_failure(
            c,
            WebSocketConfig::default(),
            "cmd:invalid-utf8",
            1007,
        )),
    ));
    let small = WebSocketConfig::builder()
        .max_message_size(SMALL_LIMIT)
        .build();
    checks.push((
        format!("message over max_message_size {SMALL_LIMIT} -> 1009"),
        Box::pin(expect_failure(c, small, "cmd:big 1048577", 1009)),
    ));

    let b = DeflateConfig::builder;
    let deflate_cases: [(&str, DeflateConfig, AgreedCheck); 6] = [
        ("default offer", b().build(), |_| true),
        (
            "server_max_window_bits=9",
            b().server_max_window_bits(9).build(),
            |p| p.server_max_window_bits().is_some_and(|b| b <= 9),
        ),
        (
            "client_max_window_bits=8",
            b().client_max_window_bits(8).build(),
            |_| true, // our compressor keeps to 8 whatever the answer
        ),
        (
            "server_no_context_takeover",
            b().server_no_context_takeover(true).build(),
            |p| p.server_no_context_takeover(),
        ),
        (
            "client_no_context_takeover",
            b().client_no_context_takeover(true).build(),
            |_| true, // a hint: our compressor keeps to it either way
        ),
        (
            "all four, 9-bit windows, level 1",
            b().server_max_window_bits(9)
                .client_max_window_bits(9)
                .server_no_context_takeover(true)
                .client_no_context_takeover(true)
                .level(1)
                .build(),
            |p| {
                p.server_no_context_takeover() && p.server_max_window_bits().is_some_and(|b| b <= 9)
            },
        ),
    ];
    for (name, cfg, expect) in deflate_cases {
        checks.push((
            format!("permessage-deflate offering {name}: compressed echoes"),
            Box::pin(deflate_exchange(c, cfg, expect)),
        ));
    }
    checks.push((
        "permessage-deflate off: no offer, nothing agreed".into(),
        Box::pin(deflate_off(c)),
    ));

    let (mut passed, mut failed) = (0, 0);
    for (name, check) in checks {
        let result = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
            Ok(r) => r,
            Err(_) => Err(format!("no result within {CHECK_TIMEOUT:?}")),
        };
        match result {
            Ok(()) => {
                passed += 1;
                println!("ok   {name}");
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e}");
            }
        }
    }
    println!("ws-interop-client vs {peer}: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
