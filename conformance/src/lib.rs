//! Spec vectors and the conformance runner for pushcodec.
#![forbid(unsafe_code)]
