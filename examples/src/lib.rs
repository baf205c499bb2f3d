//! Shared code of pushcodec's example programs.
#![forbid(unsafe_code)]
