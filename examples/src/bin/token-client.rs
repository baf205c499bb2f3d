//! Streams a prompt from token-server over WebSocket or SSE and prints the
//! tokens as they arrive. Ctrl-C sends Stop (and waits for `done`).
//!
//! ```text
//! token-client "why is the sky blue"                       # WebSocket
//! token-client --transport sse "why is the sky blue"       # SSE, resumes after drops
//! token-client --json ...   # one JSON line per token: {"index","text","ms"}
//! ```
#![forbid(unsafe_code)]

use clap::{Parser, ValueEnum};
use futures_util::StreamExt;
use pushcodec_examples::client::{sse_token_event, SseTokenClient, TokenEvent, WsTokenClient};
use std::io::Write;
use std::time::Instant;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Transport {
    Ws,
    Sse,
}

/// Stream a prompt from token-server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The prompt.
    prompt: String,
    /// Transport to use.
    #[arg(long, value_enum, default_value = "ws")]
    transport: Transport,
    /// Server base URL.
    #[arg(
        long,
        env = "TOKEN_SERVER_URL",
        default_value = "http://127.0.0.1:8001"
    )]
    server: String,
    /// Print one JSON line per token ({"index","text","ms"}) instead of text.
    #[arg(long)]
    json: bool,
}

struct Printer {
    json: bool,
    start: Instant,
}

impl Printer {
    fn token(&self, index: u64, text: &str) {
        let mut out = std::io::stdout().lock();
        if self.json {
            let ms = self.start.elapsed().as_secs_f64() * 1000.0;
            let _ = writeln!(
                out,
                "{}",
                serde_json::json!({"index": index, "text": text, "ms": ms})
            );
        } else {
            let _ = write!(out, "{text}");
        }
        let _ = out.flush();
    }
    fn done(&self, reason: &str) {
        if self.json {
            println!(
                "{}",
                serde_json::json!({"done": reason, "ms": self.start.elapsed().as_secs_f64() * 1000.0})
            );
        } else {
            println!();
            eprintln!("[{reason}]");
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let p = Printer {
        json: args.json,
        start: Instant::now(),
    };
    match args.transport {
        Transport::Ws => run_ws(&args, &p).await,
        Transport::Sse => run_sse(&args, &p).await,
    }
}

async fn run_ws(args: &Args, p: &Printer) -> Result<(), Box<dyn std::error::Error>> {
    let addr = args
        .server
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut c = WsTokenClient::connect(&addr).await?;
    c.prompt(&args.prompt).await?;
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let mut stopping = false;
    loop {
        tokio::select! {
            _ = &mut ctrl_c, if !stopping => { stopping = true; c.stop().await?; }
            ev = c.next_event() => match ev? {
                Some(TokenEvent::Token { index, text }) => p.token(index, &text),
                Some(TokenEvent::Done { reason }) => { p.done(&reason); return Ok(()); }
                Some(TokenEvent::Error { message }) => return Err(message.into()),
                None => return Err("connection closed before done".into()),
            }
        }
    }
}

async fn run_sse(args: &Args, p: &Printer) -> Result<(), Box<dyn std::error::Error>> {
    let c = SseTokenClient::new(&args.server);
    let id = c.create(&args.prompt).await?;
    let mut reconnect = pushcodec::sse::ReconnectState::new();
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let mut stopping = false;
    loop {
        let (status, mut items) = c.events(&id, reconnect.last_event_id()).await?;
        if status == http::StatusCode::NO_CONTENT {
            return Ok(());
        }
        if !status.is_success() {
            return Err(format!("server answered {status}").into());
        }
        reconnect.connected();
        loop {
            tokio::select! {
                _ = &mut ctrl_c, if !stopping => { stopping = true; c.stop(&id).await?; }
                item = items.next() => match item {
                    Some(Ok(item)) => {
                        reconnect.observe(&item);
                        match sse_token_event(&item)? {
                            Some(TokenEvent::Token { index, text }) => p.token(index, &text),
                            Some(TokenEvent::Done { reason }) => { p.done(&reason); return Ok(()); }
                            Some(TokenEvent::Error { message }) => return Err(message.into()),
                            None => {}
                        }
                    }
                    // Dropped connection: reconnect with Last-Event-ID, as EventSource does.
                    Some(Err(_)) | None => break,
                }
            }
        }
        let delay = reconnect.next_delay();
        eprintln!("[connection lost; reconnecting in {delay:?}]");
        tokio::time::sleep(delay).await;
    }
}
