//! The token server written the obvious way, as the baseline of the
//! CPU-per-token comparison (issue 14): axum's own `Sse` response and
//! `axum::extract::ws` (tungstenite), the same built-in generator at the
//! same pace, and the same wire protocol as `token-server`'s `/ws` and SSE
//! API, so `token-load` drives either unchanged.
//!
//! ```text
//! cargo run --release -p pushcodec-examples --bin baseline-server -- --addr 127.0.0.1:8002
//! bash examples/load/cpu-per-token.sh      # both servers under token-load
//! ```
//!
//! What it leaves out on purpose (what a first version would): no resume
//! log (a reconnect's `Last-Event-ID` is not honoured; an SSE stream is
//! generated while its one response is open, and stops when it closes), no
//! stream limit, no keep-alive pings on `/ws`, no SSE stop route, no
//! `/api/stats`. It is not a
//! product: it exists to be measured against.
#![forbid(unsafe_code)]

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use futures_util::{Stream, StreamExt};
use http::StatusCode;
use pushcodec_examples::tokens::{BuiltinGenerator, TokenSource};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The token server the obvious way (axum `Sse` + `axum::extract::ws`).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8002")]
    addr: String,
    /// Delay before each token of the built-in generator, in milliseconds.
    #[arg(long, default_value_t = 35)]
    token_delay_ms: u64,
    /// Number of tokens the built-in generator produces per prompt.
    #[arg(long, default_value_t = 250)]
    max_tokens: usize,
}

#[derive(Clone)]
struct App {
    generator: Arc<BuiltinGenerator>,
    /// Prompts of created SSE streams not yet opened.
    prompts: Arc<Mutex<HashMap<String, String>>>,
    next_id: Arc<AtomicU64>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    pushcodec_examples::logging::init();
    let args = Args::parse();
    let app = App {
        generator: Arc::new(BuiltinGenerator::new(
            Duration::from_millis(args.token_delay_ms),
            args.max_tokens,
        )),
        prompts: Arc::default(),
        next_id: Arc::default(),
    };
    let router = Router::new()
        .route("/ws", get(ws))
        .route("/api/streams", post(create))
        .route("/api/streams/{id}/events", get(events))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    tracing::info!("baseline listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}

// ------------------------------------------------------------------ SSE --

#[derive(serde::Deserialize)]
struct CreateReq {
    prompt: String,
}

/// `POST /api/streams` `{"prompt": ..}` → `201 {"id", "events"}`.
async fn create(State(app): State<App>, Json(req): Json<CreateReq>) -> Response {
    let id = app.next_id.fetch_add(1, Ordering::Relaxed).to_string();
    app.prompts.lock().unwrap().insert(id.clone(), req.prompt);
    let body = serde_json::json!({
        "id": id,
        "events": format!("/api/streams/{id}/events"),
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `GET /api/streams/{id}/events`: `retry`, then `event: token` / `id: n` /
/// `data: {"index":n,"text":..}` per token, then `event: done`.
async fn events(State(app): State<App>, Path(id): Path<String>) -> Response {
    let Some(prompt) = app.prompts.lock().unwrap().remove(&id) else {
        return (StatusCode::NOT_FOUND, "no such stream").into_response();
    };
    let tokens = app.generator.start(&prompt);
    Sse::new(token_events(tokens))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn token_events(
    tokens: pushcodec_examples::tokens::TokenStream,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let first = futures_util::stream::once(async {
        Ok(Event::default().retry(Duration::from_millis(1000)))
    });
    let body = tokens.enumerate().map(|(index, t)| {
        Ok(match t {
            Ok(text) => Event::default()
                .event("token")
                .id(index.to_string())
                .data(serde_json::json!({ "index": index, "text": text }).to_string()),
            Err(e) => Event::default()
                .event("error")
                .data(serde_json::json!({ "error": e.to_string() }).to_string()),
        })
    });
    let done = futures_util::stream::once(async {
        Ok(Event::default()
            .event("done")
            .data(r#"{"reason":"complete"}"#))
    });
    first.chain(body).chain(done)
}

// ------------------------------------------------------------ WebSocket --

async fn ws(State(app): State<App>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(64 << 10)
        .on_upgrade(move |socket| session(app, socket))
}

#[derive(serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientMessage {
    Prompt { text: String },
    Stop,
}

fn text(v: serde_json::Value) -> Message {
    Message::Text(v.to_string().into())
}

/// One connection: `{"type":"prompt"}` starts a generation, `{"type":"stop"}`
/// ends it; `token` messages, then `done`.
async fn session(app: App, mut socket: WebSocket) {
    let mut gen: Option<(pushcodec_examples::tokens::TokenStream, u64)> = None;
    loop {
        let out = tokio::select! {
            biased;
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => match serde_json::from_str::<ClientMessage>(&t) {
                    Ok(ClientMessage::Prompt { text: p }) if gen.is_none() => {
                        gen = Some((app.generator.start(&p), 0));
                        None
                    }
                    Ok(ClientMessage::Prompt { .. }) => Some(text(serde_json::json!({
                        "type": "error", "message": "a prompt is already streaming"
                    }))),
                    Ok(ClientMessage::Stop) => gen
                        .take()
                        .map(|_| text(serde_json::json!({ "type": "done", "reason": "stopped" }))),
                    Err(e) => Some(text(serde_json::json!({ "type": "error", "message": e.to_string() }))),
                },
                Some(Ok(_)) => None,
                Some(Err(_)) | None => break,
            },
            tok = async { gen.as_mut().expect("guarded").0.next().await }, if gen.is_some() => match tok {
                Some(Ok(t)) => {
                    let g = gen.as_mut().expect("guarded");
                    let index = g.1;
                    g.1 += 1;
                    Some(text(serde_json::json!({ "type": "token", "index": index, "text": t })))
                }
                Some(Err(e)) => {
                    gen = None;
                    Some(text(serde_json::json!({ "type": "error", "message": e.to_string() })))
                }
                None => {
                    gen = None;
                    Some(text(serde_json::json!({ "type": "done", "reason": "complete" })))
                }
            },
        };
        if let Some(m) = out {
            if socket.send(m).await.is_err() {
                break;
            }
        }
    }
}
