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
//! **Limits.** Its job is to show what a browser would dispatch, so by
//! default it refuses no event a browser can deliver: `--max-event-size`
//! defaults to 1 GiB, above the longest string a browser's JavaScript engine
//! can hold (V8: 2^29 − 24 UTF-16 code units; SpiderMonkey: 2^30 − 2), so
//! any `data` an `EventSource` hands to a page fits. The line limit follows
//! the event limit (`--max-line-length` to set it apart). Both take bytes,
//! with an optional `KiB`/`MiB`/`GiB` (or `K`/`M`/`G`) suffix. Memory is
//! only used as the stream needs it.
//!
//! ```text
//! cargo run --release -p pushcodec-examples --bin sse-decode < stream.txt
//! cargo run --release -p pushcodec-examples --bin sse-decode -- --max-event-size 16MiB < stream.txt
//! ```

use bytes::BytesMut;
use clap::Parser;
use pushcodec::sse::SseDecoder;
use pushcodec_examples::event_json;
use std::process::ExitCode;
use tokio::io::AsyncReadExt;
use tokio_util::codec::Decoder;

/// Bytes per read from stdin.
const READ_SIZE: usize = 64;

/// Decodes a text/event-stream from stdin; prints one JSON line per
/// dispatched event or retry.
#[derive(Parser, Debug)]
#[command(
    version,
    about = "Decodes a text/event-stream from stdin as a browser's EventSource would; \
             prints one JSON line per dispatched event or retry"
)]
struct Args {
    /// Largest event accepted (data lines joined with LF plus the event
    /// type), in bytes; suffixes KiB, MiB, GiB (or K, M, G). Default 1 GiB:
    /// above the longest string a browser can hold.
    #[arg(long, value_parser = parse_size, default_value = "1GiB")]
    max_event_size: usize,
    /// Longest line accepted, in bytes (suffixes as above). Default: the
    /// event limit plus the `event: ` prefix, so no line is refused whose
    /// value fits in an event.
    #[arg(long, value_parser = parse_size)]
    max_line_length: Option<usize>,
}

/// `1024`, `16KiB`, `16MiB`, `1GiB` (or `K`, `M`, `G`).
fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(digits);
    let n: usize = n
        .parse()
        .map_err(|_| format!("{s:?}: expected a number of bytes, e.g. 16MiB"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        other => return Err(format!("{other:?}: unit must be KiB, MiB or GiB")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sse-decode: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Decodes stdin; `Ok(false)` if there were decode errors.
async fn run(args: &Args) -> std::io::Result<bool> {
    let mut stdin = tokio::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut builder = SseDecoder::builder().max_event_size(args.max_event_size);
    if let Some(max) = args.max_line_length {
        builder = builder.max_line_length(max);
    }
    let mut decoder = builder.build();
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
