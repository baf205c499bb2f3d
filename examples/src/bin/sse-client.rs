//! `sse-client`: reads an event stream over HTTP or HTTPS as a browser's
//! `EventSource` does (pushcodec's `sse::client`) and prints what it
//! dispatches, one JSON line each, as `sse-decode` does:
//!
//! ```text
//! {"type":"token","data":"{\"index\":0,\"text\":\"You\"}","lastEventId":"0"}
//! {"retry":1000}
//! ```
//!
//! ```text
//! sse-client URL [--post BODY] [--header 'K: V']... [--reconnect] [--max-retries N] [--ca-cert PEM]
//! ```
//!
//! A GET reconnects after every loss with `Last-Event-ID`, honouring the
//! server's `retry` (with backoff and jitter); a `--post` does not unless
//! `--reconnect` (it would run the request again). Reconnects are logged
//! to stderr (`RUST_LOG`, default `info`).
//!
//! Exit status: 0 when the server answers `204 No Content` or the stream
//! ends for good (a POST's response ended, the retry limit was reached);
//! 1 on a fatal error (a status other than 200/204, a `Content-Type` other
//! than `text/event-stream`, a refused certificate, a decoder limit, a bad
//! argument), with the reason on stderr.

use clap::Parser;
use futures_util::StreamExt;
use http::Method;
use pushcodec::sse::client::EventSource;
use pushcodec_examples::{event_json, logging, tls};
use std::process::ExitCode;
use std::time::Duration;

/// Print an event stream's events as JSON lines, reconnecting as EventSource does.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The event stream URL (http:// or https://).
    url: String,
    /// POST this body instead of a GET (Content-Type application/json
    /// unless a --header sets it).
    #[arg(long, value_name = "BODY")]
    post: Option<String>,
    /// A request header, `Name: value` (repeatable), e.g. 'Authorization: Bearer …'.
    #[arg(long = "header", short = 'H', value_name = "K: V")]
    headers: Vec<String>,
    /// Reconnect a --post too (by default only GET reconnects).
    #[arg(long)]
    reconnect: bool,
    /// Give up after this many reconnects in a row that bring no event
    /// (default: never, as a browser).
    #[arg(long, value_name = "N")]
    max_retries: Option<u32>,
    /// Trust only the certificates in this PEM file (instead of the
    /// built-in webpki roots).
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<String>,
    /// Start from this last event ID (sent as Last-Event-ID).
    #[arg(long, value_name = "ID")]
    last_event_id: Option<String>,
    /// Seconds without data before the connection counts as lost.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    read_timeout: u64,
    /// Reconnection time until the server sends `retry`, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    retry_ms: u64,
    /// Shortest wait before a reconnect, in milliseconds (the server's
    /// retry is honoured above it).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    min_delay_ms: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    logging::init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let mut b = EventSource::builder(&args.url)
        .read_timeout(Some(Duration::from_secs(args.read_timeout)))
        .retry(Duration::from_millis(args.retry_ms))
        .min_delay(Duration::from_millis(args.min_delay_ms));
    let mut has_content_type = false;
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?}: expected 'Name: value'"))?;
        has_content_type |= name.trim().eq_ignore_ascii_case("content-type");
        b = b.header(name.trim(), value.trim());
    }
    if let Some(body) = args.post {
        b = b.method(Method::POST).body(body);
        if !has_content_type {
            b = b.header("content-type", "application/json");
        }
    }
    if args.reconnect {
        b = b.reconnect(true);
    }
    if let Some(n) = args.max_retries {
        b = b.max_retries(n);
    }
    if let Some(id) = args.last_event_id {
        b = b.last_event_id(id);
    }
    if let Some(path) = &args.ca_cert {
        b = b.client(tls::client_trusting(path)?);
    }
    let mut events = b.build().map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(item) = events.next().await {
        match item {
            Ok(item) => event_json::print(&mut out, &item).map_err(|e| format!("stdout: {e}"))?,
            Err(e) if e.is_fatal() => return Err(format!("{}: {e}", args.url)),
            Err(e) => {
                // Lost with no reconnect left: the stream is over for good.
                tracing::warn!("{}: {e}", args.url);
                return Ok(());
            }
        }
    }
    tracing::info!("{}: stream ended", args.url);
    Ok(())
}
