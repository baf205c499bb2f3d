//! Compile-time checks of the auto traits a server relies on: the public
//! types it moves into spawned tasks are `Send`, the ones it shares between
//! tasks (configs, options, the client) are `Send + Sync`, and every error is
//! `Send + Sync + 'static`, so it fits in `Box<dyn Error + Send + Sync>` and
//! `anyhow::Error`. If a change makes one of these types lose a trait (an
//! `Rc`, a `RefCell`, a non-`Send` future inside), this file stops
//! compiling. `cargo semver-checks` also reports a lost auto trait, but only
//! against the baseline; this states the promise itself.

use pushcodec::sse::{
    self, BodyStream, DecodeError, EncodeError, Event, Outgoing, OutgoingEvent, ReconnectState,
    SseDecoder, SseDecoderBuilder, SseEncoder, SseItem,
};
use pushcodec::ws::extension::deflate::{
    DeflateConfig, DeflateConfigBuilder, DeflateLimit, DeflateParams, Deflater, Inflater,
};
use pushcodec::ws::extension::header::{HeaderError, HeaderErrorKind};
use pushcodec::ws::extension::{DeflateError, ExtensionError};
use pushcodec::ws::handshake::{
    AcceptOptions, AcceptOptionsBuilder, ConnectOptions, ConnectOptionsBuilder, HandshakeError,
    Negotiated,
};
use pushcodec::ws::utf8::Utf8PrefixError;
use pushcodec::ws::{
    CloseCode, CloseFrame, CodecError, EofReason, Error, Frame, FrameCodec, Message, MessageCodec,
    MessageError, ProtocolError, WebSocketConfig, WebSocketConfigBuilder, WebSocketReader,
    WebSocketStream, WebSocketWriter,
};
use pushcodec::{NotUtf8, Utf8Bytes};
use tokio::net::TcpStream;

fn send<T: Send>() {}
fn send_sync<T: Send + Sync>() {}
fn error<T: std::error::Error + Send + Sync + 'static>() {}

/// Shared by every connection of a server (an `Arc` or a clone per task).
#[test]
fn configs_and_options_are_send_and_sync() {
    send_sync::<WebSocketConfig>();
    send_sync::<WebSocketConfigBuilder>();
    send_sync::<AcceptOptions>();
    send_sync::<AcceptOptionsBuilder>();
    send_sync::<ConnectOptions>();
    send_sync::<ConnectOptionsBuilder>();
    send_sync::<DeflateConfig>();
    send_sync::<DeflateConfigBuilder>();
    send_sync::<DeflateParams>();
    // One count shared by every listener and route of a server.
    send_sync::<DeflateLimit>();
    send_sync::<SseDecoderBuilder>();
    send_sync::<SseEncoder>();
}

/// Moved into the task that runs the connection (or, split, into two).
#[test]
fn connections_and_codecs_are_send() {
    send::<WebSocketStream<TcpStream>>();
    send::<WebSocketReader<TcpStream>>();
    send::<WebSocketWriter<TcpStream>>();
    send::<FrameCodec>();
    send::<MessageCodec>();
    send::<Deflater>();
    send::<Inflater>();
    // Handed from the handshake to the task that builds the connection.
    send::<Negotiated>();
    send::<SseDecoder>();
    send::<ReconnectState>();
    send::<BodyStream<futures_util::stream::Empty<Outgoing>>>();
}

/// Values handed between tasks (a broadcast of one message to many
/// connections shares the same `Bytes`).
#[test]
fn values_are_send_and_sync() {
    send_sync::<Message>();
    send_sync::<Frame>();
    send_sync::<CloseFrame>();
    send_sync::<CloseCode>();
    send_sync::<Utf8Bytes>();
    send_sync::<Event>();
    send_sync::<SseItem>();
    send_sync::<Outgoing>();
    send_sync::<OutgoingEvent>();
    let _ = sse::keep_alive();
}

#[test]
fn errors_are_send_sync_static() {
    error::<Error>();
    error::<ProtocolError>();
    error::<MessageError>();
    error::<CodecError>();
    error::<HandshakeError>();
    error::<ExtensionError>();
    error::<DeflateError>();
    error::<DecodeError>();
    error::<EncodeError>();
    error::<NotUtf8>();
    error::<HeaderError>();
    send_sync::<HeaderErrorKind>();
    send_sync::<Utf8PrefixError>();
    send_sync::<EofReason>();
}

#[cfg(feature = "hyper")]
#[test]
fn hyper_adapter_types() {
    use pushcodec::integration::{UpgradeError, WebSocket};
    send::<WebSocket>();
    send::<pushcodec::integration::hyper::UpgradeFuture>();
    error::<UpgradeError>();
}

#[cfg(feature = "axum")]
#[test]
fn axum_adapter_types() {
    use pushcodec::integration::axum::{Event, Sse, WebSocketUpgrade};
    send::<WebSocketUpgrade>();
    send_sync::<Event>();
    send::<Sse<futures_util::stream::Empty<Event>>>();
}

#[cfg(feature = "client")]
#[test]
fn client_types() {
    use pushcodec::sse::client::{
        BuildError, Client, ClientBuilder, Error, EventSource, EventSourceBuilder, TransportError,
    };
    // One client (its connection pool and TLS config) shared by every task.
    send_sync::<Client>();
    send::<ClientBuilder>();
    send::<EventSource>();
    send::<EventSourceBuilder>();
    error::<Error>();
    error::<BuildError>();
    error::<TransportError>();
}
