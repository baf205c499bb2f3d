//! Shared code of pushcodec's example programs: the token server (the main
//! job), its token sources, and the small HTTP client the CLI tools use.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod http_client;
pub mod server;
pub mod tokens;
pub mod upstream;
