//! Runs the `sse-decode` binary on event streams and checks its JSON lines
//! (the WHATWG HTML §9.2.6 examples and the rules that matter most when
//! input arrives in small reads).

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `sse-decode` with `input` on stdin; returns (stdout, success).
fn sse_decode(input: &[u8]) -> (String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-decode"))
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
    input.resize((1 << 20) + 100, b'x'); // over the 1 MiB default line limit
    input.extend_from_slice(b"\n\ndata: after\n\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-decode"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sse-decode");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("exceeds max_line_length 1048576"),
        "{stderr}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.trim_end(),
        r#"{"type":"message","data":"after","lastEventId":""}"#
    );
}
