//! Shared code of pushcodec's example programs: the token server (the main
//! job), its token sources, the small HTTP client the CLI tools use, and
//! what the tools share (the JSON lines of `sse-decode` and `sse-client`,
//! logging, trusted roots from a PEM file).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod event_json;
pub mod http_client;
pub mod listen;
pub mod logging;
pub mod server;
pub mod tls;
pub mod tokens;
pub mod upstream;
