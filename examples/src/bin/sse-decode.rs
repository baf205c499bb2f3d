//! `sse-decode`: decodes a `text/event-stream` from stdin and prints what a
//! browser's `EventSource` would dispatch, one JSON object per line:
//!
//! ```text
//! {"type":"message","data":"hello","lastEventId":"1"}
//! {"retry":3000}
//! ```
//!
//! Input is read in 64-byte reads, so lines, CRLF pairs, BOMs and UTF-8
//! characters get split across reads as they do on a real network.
//! Decode errors (a line or event over the limits) go to stderr and the exit
//! status is 1; decoding continues after them.
//!
//! ```text
//! cargo run --release -p pushcodec-examples --bin sse-decode < stream.txt
//! ```

use bytes::BytesMut;
use pushcodec::sse::SseDecoder;
use pushcodec_examples::event_json;
use std::process::ExitCode;
use tokio::io::AsyncReadExt;
use tokio_util::codec::Decoder;

/// Bytes per read from stdin.
const READ_SIZE: usize = 64;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sse-decode: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Decodes stdin; `Ok(false)` if there were decode errors.
async fn run() -> std::io::Result<bool> {
    let mut stdin = tokio::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut decoder = SseDecoder::new();
    let mut buf = BytesMut::with_capacity(4 * READ_SIZE);
    let mut chunk = [0u8; READ_SIZE];
    let mut clean = true;
    loop {
        let n = stdin.read(&mut chunk).await?;
        let eof = n == 0;
        buf.extend_from_slice(&chunk[..n]);
        loop {
            let result = if eof {
                decoder.decode_eof(&mut buf)
            } else {
                decoder.decode(&mut buf)
            };
            match result {
                Ok(Some(item)) => event_json::print(&mut out, &item)?,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("sse-decode: {e}");
                    clean = false;
                }
            }
        }
        if eof {
            return Ok(clean);
        }
    }
}
