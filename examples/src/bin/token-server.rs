//! The token-streaming server (the project's main job).
//!
//! ```text
//! cargo run --release -p pushcodec-examples --bin token-server
//! # → http://127.0.0.1:8001   (--addr or TOKEN_SERVER_ADDR to change it)
//! ```
#![forbid(unsafe_code)]

use clap::Parser;
use pushcodec_examples::server::{serve, AppState, ServerConfig};
use pushcodec_examples::tokens::BuiltinGenerator;
use pushcodec_examples::upstream::OpenAiUpstream;
use std::time::Duration;

/// LLM-style token streaming over WebSocket and SSE, with a Stop control.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "TOKEN_SERVER_ADDR", default_value = "127.0.0.1:8001")]
    addr: String,
    /// Delay before each token of the built-in generator, in milliseconds.
    #[arg(long, default_value_t = 35)]
    token_delay_ms: u64,
    /// Number of tokens the built-in generator produces per prompt.
    #[arg(long, default_value_t = 250)]
    max_tokens: usize,
    /// Relay an OpenAI-compatible /v1/chat/completions stream (http:// or
    /// https:// base URL or full URL) instead of the built-in generator.
    #[arg(long, env = "TOKEN_SERVER_UPSTREAM")]
    upstream: Option<String>,
    /// Trust only the certificates in this PEM file for the upstream (a
    /// private CA or a self-signed model server) instead of the built-in
    /// webpki roots.
    #[arg(long)]
    upstream_ca_cert: Option<String>,
    /// Model name sent upstream.
    #[arg(long, default_value = "gpt-4o-mini")]
    upstream_model: String,
    /// Name of the environment variable holding the upstream API key.
    #[arg(long, default_value = "OPENAI_API_KEY")]
    upstream_key_env: String,
    /// Seconds an SSE stream keeps generating with no client connected.
    #[arg(long, default_value_t = 30)]
    abandon_grace_secs: u64,
    /// Seconds a finished SSE stream is kept for late reconnects.
    #[arg(long, default_value_t = 60)]
    retain_secs: u64,
    /// Testing aid: cut every SSE response after this many tokens, so the
    /// browser's EventSource reconnect can be watched.
    #[arg(long, hide = true)]
    debug_drop_sse_after: Option<u64>,
    /// Do not negotiate permessage-deflate on /ws.
    #[arg(long)]
    no_ws_deflate: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    pushcodec_examples::logging::init();
    let args = Args::parse();
    let config = ServerConfig {
        abandon_grace: Duration::from_secs(args.abandon_grace_secs),
        retain_finished: Duration::from_secs(args.retain_secs),
        debug_drop_sse_after: args.debug_drop_sse_after,
        ws_deflate: !args.no_ws_deflate,
        ..ServerConfig::default()
    };
    let state = match &args.upstream {
        Some(url) => {
            let key = std::env::var(&args.upstream_key_env).ok();
            let mut up = OpenAiUpstream::new(url, key, &args.upstream_model)?;
            if let Some(path) = &args.upstream_ca_cert {
                up = up.with_client(pushcodec_examples::tls::client_trusting(path)?);
            }
            tracing::info!("relaying {}", up.url());
            AppState::new(config, up)
        }
        None => AppState::new(
            config,
            BuiltinGenerator::new(Duration::from_millis(args.token_delay_ms), args.max_tokens),
        ),
    };
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    serve(listener, state).await?;
    Ok(())
}
