//! permessage-deflate (RFC 7692 §7): negotiation and the per-message
//! compression engine.
//!
//! | file | job | RFC 7692 |
//! | --- | --- | --- |
//! | [`config`](DeflateConfig) | the local policy: windows, context takeover, level, memory level, threshold | §7.1 |
//! | `params` | the four parameters, their validity rules, the agreed [`DeflateParams`] per role | §7, §7.1 |
//! | `negotiate` | server: first acceptable offer → response; client: offer, response check | §5, §7.1 |
//! | `compress` | [`Deflater`]: a message or a stream of fragments → payload without the tail | §7.2.1 |
//! | `inflate` | [`Inflater`]: fragments → message, bounded steps, incremental check | §7.2.2 |
//! | `limit` | [`DeflateLimit`]: a server's cap on the connections using the extension at once | §5 (declining) |
//!
//! ```
//! use bytes::BytesMut;
//! use pushcodec::ws::extension::deflate::{client_offer, client_validate_str, server_negotiate_str, Compressed};
//! use pushcodec::ws::extension::DeflateConfig;
//! use pushcodec::ws::Role;
//!
//! let (client_cfg, server_cfg) = (DeflateConfig::default(), DeflateConfig::default());
//! let offer = client_offer(&client_cfg).unwrap();
//! let agreed = server_negotiate_str(&server_cfg, offer.to_str().unwrap()).unwrap().unwrap();
//! let client_side = client_validate_str(&client_cfg, &agreed.to_string()).unwrap().unwrap();
//!
//! let mut tx = agreed.deflater(Role::Server, &server_cfg);
//! let mut rx = client_side.inflater(Role::Client, 64 << 20);
//! let mut payload = BytesMut::new();
//! assert_eq!(tx.compress(br#"{"token":"Hello"}"#, &mut payload).unwrap(), Compressed::Yes);
//! rx.inflate_fragment(&payload).unwrap();
//! assert_eq!(&rx.finish_message().unwrap()[..], br#"{"token":"Hello"}"#);
//! ```
//!
//! ## Backend
//! zlib-rs through its safe Rust API (`zlib_rs::{Deflate, Inflate}`), a
//! raw DEFLATE stream per direction. flate2 wraps the same zlib-rs; going
//! to it directly gives the two things flate2 does not expose, a compressor
//! `memLevel` (most of a compressor's memory at small windows) and an
//! inflate window of 8 bits, at the same speed (the comparison is in
//! BENCHMARKS.md, from `cargo bench --bench compare -- deflate`).
//!
//! ## Window bits 8: where zlib differs from the RFC
//! RFC 7692 §7.1.2 allows windows of 8..=15 bits. zlib (and zlib-rs, which
//! follows it) refuses a raw deflate stream with an 8-bit window: the
//! compressor silently runs a 9-bit one ("until 256-byte window bug fixed",
//! `deflateInit2`), and flate2 refuses 8 for both directions. Two facts
//! make this safe here:
//!
//! * zlib never emits a match distance longer than the window minus
//!   `MIN_LOOKAHEAD` (262) bytes, so a 9-bit (512-byte) compressor's
//!   matches reach back at most 250 bytes: within the 256 bytes that
//!   `*_max_window_bits=8` allows. Our compressor told 8 runs 9 bits and
//!   keeps the promise; `codec/tests/deflate_roundtrip.rs` checks every
//!   distance against an independent block decoder for windows 8..=15,
//!   and `codec/tests/deflate_zlib_interop.rs` that C zlib refuses a raw
//!   8-bit compressor and inflates ours with an 8-bit window.
//! * A peer told 8 that runs zlib does the same, so our 8-bit decompressor
//!   (zlib-rs inflates raw 8-bit windows) reads it. A peer whose library
//!   ignores window bits altogether (one that only has 15) breaks the
//!   agreement; its far matches fail to inflate as corrupt data (1007),
//!   never as wrong bytes.
//!
//! ## Memory
//! Per connection each direction holds one zlib-rs state, allocated at the
//! first compressed message of that direction (a side that never sends or
//! receives one, e.g. all below `compression_threshold`, holds none).
//! zlib-rs sizes them unlike C
//! zlib: the compressor's window and hash chain follow the window bits
//! (4 × 2^bits bytes, at least 9 bits) and its block buffers follow
//! `mem_level`, but its hash table is a fixed 128 KiB; the decompressor
//! always allocates a 32 KiB window, whatever the bits. So lowering the
//! window bits saves at most ~130 KiB on our compressor and nothing on our
//! decompressor. BENCHMARKS.md has the bytes measured per window bits and
//! memory level (`codec/tests/deflate_alloc.rs`), and what a server can do
//! to cap the total. Between messages [`Deflater::release`] always, and
//! [`Inflater::release`] when the peer does not take over its window, free
//! the state of a connection that has gone quiet.

mod compress;
mod config;
mod inflate;
mod limit;
mod negotiate;
mod params;

pub use compress::{Compressed, Deflater, TAIL};
pub use config::{DeflateConfig, DeflateConfigBuilder, DEFAULT_LEVEL, DEFAULT_MEM_LEVEL};
pub use inflate::Inflater;
pub use limit::DeflateLimit;
pub(crate) use limit::DeflateSlot;
pub use negotiate::{
    client_offer, client_validate, client_validate_extensions, client_validate_str,
    server_negotiate, server_negotiate_offers, server_negotiate_str,
};
pub use params::{DeflateParams, PERMESSAGE_DEFLATE};
