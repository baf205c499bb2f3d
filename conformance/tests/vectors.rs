//! `cargo test` runs every spec vector, and checks that the runner can fail.

use pushcodec_conformance::schema::{self, Protocol};
use pushcodec_conformance::{run_dir, run_vector, vectors_dir};
use std::path::PathBuf;

#[test]
fn every_spec_vector_passes() {
    let report = run_dir(&vectors_dir()).expect("vector files parse");
    let mut out = Vec::new();
    report.print(&mut out, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    println!("{text}");
    assert!(
        report.results.len() > 200,
        "only {} vectors found",
        report.results.len()
    );
    assert_eq!(report.failed(), 0, "{text}");
}

#[test]
fn every_vector_file_names_its_spec_and_every_vector_a_section() {
    let files = schema::find_files(&vectors_dir()).unwrap();
    assert!(files.len() >= 5, "{files:?}");
    for path in files {
        let file = schema::load_file(&path).unwrap();
        assert!(!file.spec.is_empty(), "{path:?}");
        for v in &file.vectors {
            assert!(v.section.contains('§'), "{path:?} {}", v.name);
            assert!(!v.description.is_empty(), "{path:?} {}", v.name);
        }
    }
}

/// A scratch directory holding one vector file.
fn scratch_dir(tag: &str, json: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pushcodec-conformance-{tag}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("wrong.json"), json).unwrap();
    dir
}

fn one_vector(protocol: &str, spec: &str, vector: &str) -> String {
    format!(
        r#"{{"protocol": "{protocol}", "spec": "{spec}", "description": "deliberately wrong", "vectors": [{vector}]}}"#
    )
}

#[test]
fn a_wrong_frame_vector_is_reported_failing() {
    // §5.7 "Hello" expected as "Hellp": must fail in every mode.
    let json = one_vector(
        "websocket",
        "RFC 6455",
        r#"{"name": "wrong-frame", "section": "RFC 6455 §5.7", "description": "x", "kind": "frames",
            "role": "client", "input": "81 05 48 65 6c 6c 6f",
            "expect": {"items": [{"fin": true, "rsv": 0, "opcode": 1, "payload": [{"text": "Hellp"}]}]}}"#,
    );
    let dir = scratch_dir("frame", &json);
    let report = run_dir(&dir).unwrap();
    assert_eq!((report.passed(), report.failed()), (0, 1));
    assert_eq!(
        report.results[0].failures.len(),
        2,
        "{:?}",
        report.results[0].failures
    );
    let mut out = Vec::new();
    report.print(&mut out, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("conformance: 0 passed, 1 failed"), "{text}");
    assert!(text.contains("wrong-frame"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrong_close_code_is_reported_failing() {
    // A reserved opcode is a protocol error (1002), not 1007.
    let file: schema::VectorFile = serde_json::from_str(&one_vector(
        "websocket",
        "RFC 6455",
        r#"{"name": "wrong-code", "section": "RFC 6455 §5.2", "description": "x", "kind": "messages",
            "role": "client", "input": "83 00", "expect": {"items": [], "error": {"close_code": 1007}}}"#,
    ))
    .unwrap();
    let failures = run_vector(Protocol::Websocket, &file.vectors[0]);
    assert!(!failures.is_empty());
    assert!(failures[0].contains("expected Some(1007)"), "{failures:?}");
}

#[test]
fn a_missing_error_is_reported_failing() {
    // A valid frame expected to fail: "no error" must be a failure.
    let file: schema::VectorFile = serde_json::from_str(&one_vector(
        "websocket",
        "RFC 6455",
        r#"{"name": "no-error", "section": "RFC 6455 §5.2", "description": "x", "kind": "messages",
            "role": "client", "input": "81 00", "expect": {"items": [{"text": ""}], "error": {"close_code": 1002}}}"#,
    ))
    .unwrap();
    let failures = run_vector(Protocol::Websocket, &file.vectors[0]);
    assert_eq!(failures.len(), 2, "{failures:?}");
}

#[test]
fn a_wrong_sse_vector_is_reported_failing() {
    // Only one leading space is removed: " a" expected as "a" must fail.
    let file: schema::VectorFile = serde_json::from_str(&one_vector(
        "sse",
        "WHATWG HTML",
        r#"{"name": "wrong-sse", "section": "WHATWG HTML §9.2.6", "description": "x", "kind": "sse",
            "input": [{"text": "data:  a\r"}, {"text": "\n\n"}],
            "expect": {"items": [{"type": "message", "data": "a", "id": ""}]}}"#,
    ))
    .unwrap();
    let failures = run_vector(Protocol::Sse, &file.vectors[0]);
    assert_eq!(
        failures.len(),
        3,
        "one read, byte by byte and as split: {failures:?}"
    );
}

#[test]
fn a_vector_without_a_section_is_rejected() {
    let json = one_vector(
        "sse",
        "WHATWG HTML",
        r#"{"name": "no-section", "section": "somewhere", "description": "x", "kind": "sse",
            "input": [{"text": "data: a\n\n"}], "expect": {"items": []}}"#,
    );
    let dir = scratch_dir("section", &json);
    let err = run_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("does not name a section"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_binary_exits_non_zero_on_a_failing_vector() {
    let json = one_vector(
        "sse",
        "WHATWG HTML",
        r#"{"name": "wrong-bin", "section": "WHATWG HTML §9.2.6", "description": "x", "kind": "sse",
            "input": [{"text": "data: a\n\n"}], "expect": {"items": []}}"#,
    );
    let dir = scratch_dir("bin", &json);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pushcodec-conformance"))
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("WHATWG HTML §9.2.6"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l == "conformance: 0 passed, 1 failed"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrong_deflate_vector_is_reported_failing() {
    // RFC 7692 §7.2.3.1 "Hello" expected as "Hellp": must fail in both
    // read modes, through both decoders (the connection's MessageCodec and
    // the reference assembler).
    let file: schema::VectorFile = serde_json::from_str(&one_vector(
        "websocket",
        "RFC 7692",
        r#"{"name": "wrong-deflate", "section": "RFC 7692 §7.2.3.1", "description": "x",
            "kind": "deflate_messages", "role": "client", "extensions": "permessage-deflate",
            "input": "c1 07 f2 48 cd c9 c9 07 00", "expect": {"items": [{"text": "Hellp"}]}}"#,
    ))
    .unwrap();
    let failures = run_vector(Protocol::Websocket, &file.vectors[0]);
    assert_eq!(failures.len(), 4, "{failures:?}");
    for who in [
        "MessageCodec, one read",
        "MessageCodec, byte by byte",
        "reference, one read",
        "reference, byte by byte",
    ] {
        assert!(
            failures.iter().any(|f| f.starts_with(who)),
            "{who}: {failures:?}"
        );
    }
}
