//! The token-streaming server (the project's main job).
//!
//! ```text
//! cargo run --release -p pushcodec-examples --bin token-server
//! # → http://127.0.0.1:8001   (--addr or TOKEN_SERVER_ADDR to change it)
//! # several instances sharing Redis (behind examples/nginx-cluster.conf):
//! token-server --addr 127.0.0.1:8001 --redis redis://127.0.0.1:6379
//! token-server --addr 127.0.0.1:8002 --redis redis://127.0.0.1:6379
//! ```
//!
//! SIGTERM or Ctrl-C shuts down gracefully (see `server::shutdown`).
#![forbid(unsafe_code)]

use clap::Parser;
use pushcodec_examples::server::store::RedisStore;
use pushcodec_examples::server::{serve_until, shutdown, AppState, ServerConfig};
use pushcodec_examples::tokens::BuiltinGenerator;
use pushcodec_examples::tokens::TokenSource;
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
    /// Keep streams in Redis (shared by every instance) instead of memory.
    #[arg(long, env = "REDIS_URL")]
    redis: Option<String>,
    /// Generations running at once in this instance (WebSocket, SSE and
    /// chat together); more get 429.
    #[arg(long, default_value_t = 10_000)]
    max_generations: usize,
    /// Generations running at once per client address; more get 429.
    #[arg(long, default_value_t = 16)]
    max_generations_per_client: usize,
    /// The Retry-After of a 429, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    /// A write to a client that makes no progress for this long ends the
    /// connection (and a WebSocket or chat generation with it).
    #[arg(long, default_value_t = 10)]
    send_timeout_secs: u64,
    /// Count limits per this header's address (set by a trusted proxy, e.g.
    /// x-real-ip) instead of the TCP peer's.
    #[arg(long)]
    client_ip_header: Option<String>,
    /// SSE streams held in memory at once (running or finished; the oldest
    /// finished one makes room).
    #[arg(long, default_value_t = 10_000)]
    max_streams: usize,
    /// Seconds generations may run on after SIGTERM before they end with
    /// reason "shutdown".
    #[arg(long, default_value_t = 30)]
    shutdown_grace_secs: u64,
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
    let mut config = ServerConfig {
        abandon_grace: Duration::from_secs(args.abandon_grace_secs),
        retain_finished: Duration::from_secs(args.retain_secs),
        max_generations: args.max_generations,
        max_generations_per_client: args.max_generations_per_client,
        retry_after: Duration::from_secs(args.retry_after_secs),
        send_timeout: Duration::from_secs(args.send_timeout_secs),
        client_ip_header: args.client_ip_header.clone(),
        max_streams: args.max_streams,
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        debug_drop_sse_after: args.debug_drop_sse_after,
        ws_deflate: !args.no_ws_deflate,
        ..ServerConfig::default()
    };
    if args.upstream.is_some() {
        config.model = args.upstream_model.clone();
    }
    let source: std::sync::Arc<dyn TokenSource> = match &args.upstream {
        Some(url) => {
            let key = std::env::var(&args.upstream_key_env).ok();
            let mut up = OpenAiUpstream::new(url, key, &args.upstream_model)?;
            if let Some(path) = &args.upstream_ca_cert {
                up = up.with_client(pushcodec_examples::tls::client_trusting(path)?);
            }
            tracing::info!("relaying {}", up.url());
            std::sync::Arc::new(up)
        }
        None => std::sync::Arc::new(BuiltinGenerator::new(
            Duration::from_millis(args.token_delay_ms),
            args.max_tokens,
        )),
    };
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    match &args.redis {
        Some(url) => {
            let store = RedisStore::connect(url, config.store_config()).await?;
            let state = AppState::with_store(config, source, store);
            serve_until(listener, state, shutdown::signal()).await?;
        }
        None => {
            tracing::info!("stream store: memory (this process only)");
            let state = AppState::with_store(
                config.clone(),
                source,
                pushcodec_examples::server::store::MemoryStore::new(config.store_config()),
            );
            serve_until(listener, state, shutdown::signal()).await?;
        }
    }
    Ok(())
}
