//! Running handshake vectors (RFC 6455 §1.3, §4.2): the accept key, and
//! client opening handshakes fed to `ws::handshake::accept` over an in-memory
//! pipe.

use crate::drive::Mode;
use crate::schema::Vector;
use pushcodec::ws::handshake;
use serde::Deserialize;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectAcceptKey {
    accept: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ExpectHandshake {
    Accept(ExpectAccepted),
    Reject(ExpectRejected),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectAccepted {
    accept: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectRejected {
    reject: bool,
    #[serde(default)]
    status: Option<u16>,
}

/// Runs one `accept_key` vector.
pub fn run_accept_key_vector(v: &Vector) -> Vec<String> {
    let exp: ExpectAcceptKey = match serde_json::from_value(v.expect.clone()) {
        Ok(e) => e,
        Err(e) => return vec![format!("bad vector: expect: {e}")],
    };
    let key = match v.input.to_bytes() {
        Ok(k) => k,
        Err(e) => return vec![format!("bad vector: {e}")],
    };
    let got = handshake::accept_key(&key);
    if got == exp.accept {
        Vec::new()
    } else {
        vec![format!(
            "accept_key gave {got:?}, expected {:?}",
            exp.accept
        )]
    }
}

/// What the server side did with one request.
struct Exchange {
    accepted: Result<(), String>,
    response: Vec<u8>,
}

/// Writes `reads` (per `mode`) into one end of a pipe while
/// `handshake::accept` reads the other; collects what it answered.
async fn exchange(reads: &[Vec<u8>], mode: Mode) -> Exchange {
    let (mut client, server) = tokio::io::duplex(64 << 10);
    let server_side = async move {
        // The stream (if any) is dropped at once: the client then reads EOF.
        handshake::accept(server)
            .await
            .map(|_ws| ())
            .map_err(|e| e.to_string())
    };
    let chunks: Vec<Vec<u8>> = match mode {
        Mode::OneRead => vec![reads.concat()],
        Mode::ByteByByte => reads.concat().into_iter().map(|b| vec![b]).collect(),
        Mode::AsSplit => reads.to_vec(),
    };
    let client_side = async move {
        for c in &chunks {
            // The server may refuse and hang up before the whole request is
            // written (an oversized head): stop writing then.
            if client.write_all(c).await.is_err() {
                break;
            }
            tokio::task::yield_now().await;
        }
        let mut response = Vec::new();
        let _ = client.read_to_end(&mut response).await;
        response
    };
    let (accepted, response) = tokio::join!(server_side, client_side);
    Exchange { accepted, response }
}

fn header_value<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.split("\r\n").skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Runs one `handshake` vector in one write, byte by byte and as split.
pub fn run_handshake_vector(v: &Vector) -> Vec<String> {
    let exp: ExpectHandshake = match serde_json::from_value(v.expect.clone()) {
        Ok(e) => e,
        Err(e) => return vec![format!("bad vector: expect: {e}")],
    };
    let reads = match v.input.reads() {
        Ok(r) => r,
        Err(e) => return vec![format!("bad vector: {e}")],
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return vec![format!("cannot start a runtime: {e}")],
    };
    let mut modes = vec![Mode::OneRead, Mode::ByteByByte];
    if reads.len() > 1 {
        modes.push(Mode::AsSplit);
    }
    let mut failures = Vec::new();
    for mode in modes {
        let ex = match rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(20), exchange(&reads, mode)).await
        }) {
            Ok(ex) => ex,
            Err(_) => {
                failures.push(format!("{mode}: no outcome within 20 s"));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&ex.response);
        let status_line = text.split("\r\n").next().unwrap_or("");
        match (&exp, &ex.accepted) {
            (ExpectHandshake::Accept(a), Ok(())) => {
                if !status_line.starts_with("HTTP/1.1 101") {
                    failures.push(format!(
                        "{mode}: accepted, but the response starts {status_line:?}"
                    ));
                }
                match header_value(&text, "sec-websocket-accept") {
                    Some(got) if got == a.accept => {}
                    got => failures.push(format!(
                        "{mode}: Sec-WebSocket-Accept {got:?}, expected {:?}",
                        a.accept
                    )),
                }
            }
            (ExpectHandshake::Accept(_), Err(e)) => {
                failures.push(format!("{mode}: rejected ({e}), expected 101"));
            }
            (ExpectHandshake::Reject(r), Err(_)) => {
                if !r.reject {
                    failures.push("bad vector: \"reject\" must be true".into());
                }
                if let Some(status) = r.status {
                    if !status_line.starts_with(&format!("HTTP/1.1 {status}")) {
                        failures.push(format!(
                            "{mode}: refused with {status_line:?}, expected status {status}"
                        ));
                    }
                    if status == 426 && header_value(&text, "sec-websocket-version") != Some("13") {
                        failures.push(format!(
                            "{mode}: 426 without \"Sec-WebSocket-Version: 13\" (§4.4)"
                        ));
                    }
                }
            }
            (ExpectHandshake::Reject(_), Ok(())) => {
                failures.push(format!(
                    "{mode}: accepted ({status_line:?}), expected a refusal"
                ));
            }
        }
    }
    failures
}
