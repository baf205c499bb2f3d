//! Runs the `sse-decode` binary on event streams and checks its JSON lines
//! (the WHATWG HTML §9.2.6 examples and the rules that matter most when
//! input arrives in small reads).

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `sse-decode` with `input` on stdin; returns (stdout, success).
fn sse_decode(input: &[u8]) -> (String, bool) {
    let (out, _, ok) = sse_decode_with(&[], input);
    (out, ok)
}

/// Runs `sse-decode` with these arguments and `input` on stdin; returns
/// (stdout, stderr, success).
fn sse_decode_with(args: &[&str], input: &[u8]) -> (String, String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-decode"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sse-decode");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("sse-decode runs");
    writer.join().unwrap().unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        output.status.success(),
    )
}

#[test]
fn prints_one_json_line_per_event_and_retry() {
    // §9.2.6 examples 2 and 4, a retry, a multi-line event.
    let input = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\nretry: 2500\nevent: token\ndata: a\ndata: b\n\n";
    let (out, ok) = sse_decode(input.as_bytes());
    assert!(ok);
    let want = [
        r#"{"type":"message","data":"first event","lastEventId":"1"}"#,
        r#"{"type":"message","data":"second event","lastEventId":""}"#,
        r#"{"type":"message","data":" third event","lastEventId":""}"#,
        r#"{"retry":2500}"#,
        r#"{"type":"token","data":"a\nb","lastEventId":""}"#,
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
}

#[test]
fn reads_in_small_chunks_without_splitting_characters_or_crlf() {
    // A 200-byte line of 4-byte characters (spans several 64-byte reads,
    // characters cut across reads), CRLF line ends, a BOM, no final event.
    let emoji = "😀".repeat(50);
    let input = format!("\u{feff}data: {emoji}\r\n\r\ndata: unterminated");
    let (out, ok) = sse_decode(input.as_bytes());
    assert!(ok);
    let want = format!(r#"{{"type":"message","data":"{emoji}","lastEventId":""}}"#);
    assert_eq!(out.lines().collect::<Vec<_>>(), [want.as_str()]);
}

#[test]
fn invalid_utf8_is_printed_as_replacement_characters() {
    let (out, ok) = sse_decode(b"data: a\xffb\n\n");
    assert!(ok);
    assert_eq!(
        out.trim_end(),
        "{\"type\":\"message\",\"data\":\"a\u{fffd}b\",\"lastEventId\":\"\"}"
    );
}

#[test]
fn over_long_line_is_reported_on_stderr_and_decoding_goes_on() {
    let mut input = b"data: ".to_vec();
    input.resize((1 << 20) + 100, b'x'); // over a 1 MiB line limit
    input.extend_from_slice(b"\n\ndata: after\n\n");
    let (stdout, stderr, ok) = sse_decode_with(&["--max-line-length", "1MiB"], &input);
    assert!(!ok);
    assert!(
        stderr.contains("exceeds max_line_length 1048576"),
        "{stderr}"
    );
    assert_eq!(
        stdout.trim_end(),
        r#"{"type":"message","data":"after","lastEventId":""}"#
    );
    // The event limit too, and the line limit follows it.
    let (stdout, stderr, ok) = sse_decode_with(&["--max-event-size", "1K"], &input);
    assert!(!ok);
    assert!(stderr.contains("exceeds max_line_length 1031"), "{stderr}");
    assert!(
        stdout.ends_with("\"after\",\"lastEventId\":\"\"}\n"),
        "{stdout}"
    );
}

/// The default limits accept what a browser accepts in practice: one
/// `data` line of 16 MiB (an LLM image-generation stream's base64 image is
/// several MiB on one line) comes out whole, read in 64-byte reads.
#[test]
fn default_limits_take_a_16_mib_single_line_event() {
    let len = 16 << 20;
    let mut input = b"id: img-1\nevent: partial_image\ndata: ".to_vec();
    let body = input.len();
    input.extend(
        (0..len)
            .map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64]),
    );
    input.extend_from_slice(b"\n\n");
    let (stdout, stderr, ok) = sse_decode_with(&[], &input);
    assert!(ok, "{stderr}");
    let line: serde_json::Value = serde_json::from_str(stdout.trim_end()).unwrap();
    assert_eq!(line["type"], "partial_image");
    assert_eq!(line["lastEventId"], "img-1");
    let data = line["data"].as_str().unwrap();
    assert_eq!(data.len(), len);
    assert_eq!(data.as_bytes(), &input[body..body + len]);
}

#[test]
fn sizes_take_units_and_bad_ones_are_refused() {
    let (out, _, ok) = sse_decode_with(&["--max-event-size", "16MiB"], b"data: x\n\n");
    assert!(ok);
    assert_eq!(out.lines().count(), 1);
    let (_, stderr, ok) = sse_decode_with(&["--max-event-size", "1TB"], b"");
    assert!(!ok);
    assert!(stderr.contains("unit must be KiB, MiB or GiB"), "{stderr}");
}
