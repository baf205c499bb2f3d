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

/// The workspace README's code blocks, compiled as doctests so its quick start
/// cannot rot. Here and not in `pushcodec`: the published package does not
/// hold the workspace README (the crate's own, `codec/README.md`, is checked
/// by `pushcodec::CrateReadmeDoctests`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
