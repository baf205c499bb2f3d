//! `ws_handshake`: arbitrary HTTP request and response heads through the
//! opening-handshake code (RFC 6455 §4).
//!
//! Input layout: `[kind, split_seed, head...]`; `kind & 1`: 0 = request
//! head (server side), 1 = response head (client side); for requests
//! `kind >> 1` sets the `max_head_size` of the async `accept` run (0: the
//! 16 KiB default, else `16 * (kind >> 1)` bytes).
//!
//! Laws:
//! * never a panic; every refusal is a typed `HandshakeError` that is not
//!   an I/O error, and its `to_response()` is a 4xx;
//! * `HeadScanner` finds the first `\r\n\r\n` wherever the reads are split,
//!   examining each byte a bounded number of times (linear);
//! * every accepted request round-trips: written out again as a head (the
//!   way `connect` writes one) it parses to the same method, target,
//!   version and headers and is accepted with the same response; rebuilt by
//!   our own request builder (`client_request` for its Host and target, with
//!   its key and protocols) it is accepted with the same
//!   `Sec-WebSocket-Accept`;
//! * client and server agree: the 101 our server answers an accepted request
//!   with, written out and parsed, passes `validate_response` for the
//!   request's key and offered subprotocols;
//! * a response accepted by `validate_response` is a 101 with the right
//!   `Sec-WebSocket-Accept` and a subprotocol from the offered ones;
//! * `accept_with_options` over an in-memory peer sending the bytes in
//!   arbitrary reads agrees with the functions above: a head of at most
//!   `max_head_size` bytes is accepted or refused exactly as
//!   `parse_request_head` + `server_response_with` do (the same request on
//!   success, a `101` written; a 4xx written on refusal), a longer one is
//!   `HeadTooLarge`, an unterminated shorter one `Eof`.
#![no_main]

use http::{header, HeaderMap, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use pushcodec::ws::handshake::{
    accept_key, client_request, parse_request_head, parse_response_head, server_response_with,
    token_list, validate_response, AcceptOptions, AcceptOptionsBuilder, HandshakeError,
    HeadScanner,
};
use pushcodec::ws::handshake::{accept_with_options, DEFAULT_MAX_HEAD_SIZE};
use pushcodec_fuzz::{reads, Peer};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const OFFERED: [&str; 2] = ["chat", "superchat"];

fn check_error(e: &HandshakeError) {
    assert!(
        !matches!(e, HandshakeError::Io(_) | HandshakeError::Eof { .. }),
        "I/O error from bytes alone: {e:?}"
    );
    let resp = e.to_response();
    assert!(
        resp.status().is_client_error(),
        "{e:?} answered with {}",
        resp.status()
    );
    let _ = e.to_string();
}

fn write_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// A request head as `connect` writes it.
fn request_head(req: &Request<()>) -> Vec<u8> {
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut out = format!("{} {} HTTP/1.1\r\n", req.method(), target).into_bytes();
    write_headers(&mut out, req.headers());
    out
}

fn response_head(resp: &Response<()>) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {}\r\n", resp.status().as_str()).into_bytes();
    write_headers(&mut out, resp.headers());
    out
}

fn options() -> AcceptOptionsBuilder {
    AcceptOptions::builder().subprotocol(|offered| offered.first().map(|p| p.to_string()))
}

fn request(head: &[u8]) {
    let req = match parse_request_head(head) {
        Ok(r) => r,
        Err(e) => return check_error(&e),
    };
    let resp = match server_response_with(&req, &options().build()) {
        Ok(r) => r,
        Err(e) => return check_error(&e),
    };
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    let key = req.headers()[header::SEC_WEBSOCKET_KEY]
        .to_str()
        .expect("an accepted key is base64")
        .trim();
    let accept = resp.headers()[header::SEC_WEBSOCKET_ACCEPT].clone();
    assert_eq!(accept.as_bytes(), accept_key(key.as_bytes()).as_bytes());

    // Round trip 1: the accepted request written out and parsed again.
    if req.uri().path_and_query().is_some() || req.uri().authority().is_none() {
        let again =
            parse_request_head(&request_head(&req)).expect("our own head of an accepted request");
        assert_eq!(again.method(), req.method());
        assert_eq!(again.version(), req.version());
        assert_eq!(again.headers(), req.headers());
        assert_eq!(
            again.uri().path_and_query().map(|p| p.as_str()),
            req.uri().path_and_query().map(|p| p.as_str())
        );
        let resp2 = server_response_with(&again, &options().build())
            .expect("the same request accepted again");
        assert_eq!(resp2.headers(), resp.headers());
    }

    // Round trip 2: our request builder for the same Host and target.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let target = req.uri().path_and_query().map(|p| p.as_str());
    if let (Some(host), Some(target)) = (host, target) {
        if host.parse::<http::uri::Authority>().is_ok() && target.starts_with('/') {
            let uri = format!("ws://{host}{target}");
            let (mut built, _) = client_request(&uri)
                .unwrap_or_else(|e| panic!("client_request({uri:?}) refused: {e}"));
            let h = built.headers_mut();
            h.insert(
                header::SEC_WEBSOCKET_KEY,
                req.headers()[header::SEC_WEBSOCKET_KEY].clone(),
            );
            for p in req.headers().get_all(header::SEC_WEBSOCKET_PROTOCOL) {
                h.append(header::SEC_WEBSOCKET_PROTOCOL, p.clone());
            }
            let parsed =
                parse_request_head(&request_head(&built)).expect("our builder's head parses");
            let resp3 = server_response_with(&parsed, &options().build())
                .expect("our builder's request is accepted");
            assert_eq!(resp3.headers()[header::SEC_WEBSOCKET_ACCEPT], accept);
        }
    }

    // Client and server agree on the 101.
    let offered: Vec<String> = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(token_list)
        .flatten()
        .map(str::to_owned)
        .collect();
    let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
    let parsed = parse_response_head(&response_head(&resp)).expect("our own 101 parses");
    if let Err(e) = validate_response(&parsed, key, &offered) {
        panic!("our client refuses our server's 101: {e}; offered {offered:?}, response {resp:?}");
    }
}

fn response(head: &[u8]) {
    let resp = match parse_response_head(head) {
        Ok(r) => r,
        Err(e) => return check_error(&e),
    };
    match validate_response(&resp, KEY, &OFFERED) {
        Ok(p) => {
            assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
            let accept = resp.headers()[header::SEC_WEBSOCKET_ACCEPT]
                .as_bytes()
                .trim_ascii();
            assert_eq!(accept, accept_key(KEY.as_bytes()).as_bytes());
            if let Some(p) = p {
                assert!(OFFERED.contains(&p.as_str()), "chose {p:?}");
            }
        }
        Err(e) => {
            assert!(
                !matches!(e, HandshakeError::Io(_) | HandshakeError::Eof { .. }),
                "{e:?}"
            );
            let _ = e.to_string();
        }
    }
}

thread_local! {
    static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
}

/// The async server path against the sync functions.
fn accept_async(input: &[u8], seed: u8, max: usize, head_end: Option<usize>) {
    let opts = options().max_head_size(max).build();
    let (result, written) = RT.with(|rt| {
        rt.block_on(async {
            let mut peer = Peer::new(reads(seed, input), 64);
            let result = accept_with_options(&mut peer, &opts)
                .await
                .map(|(_, req)| req);
            (result, std::mem::take(&mut peer.written))
        })
    });
    match head_end {
        Some(n) if n <= max => {
            let sync = parse_request_head(&input[..n])
                .and_then(|r| server_response_with(&r, &opts).map(|_| r));
            match (&result, &sync) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.method(), b.method());
                    assert_eq!(a.uri(), b.uri());
                    assert_eq!(a.headers(), b.headers());
                    assert!(
                        written.starts_with(b"HTTP/1.1 101 "),
                        "wrote {:?}",
                        String::from_utf8_lossy(&written)
                    );
                }
                (Err(a), Err(b)) => {
                    assert_eq!(
                        std::mem::discriminant(a),
                        std::mem::discriminant(b),
                        "async {a:?} vs sync {b:?}"
                    );
                    assert!(
                        written.starts_with(b"HTTP/1.1 4"),
                        "refused with {:?}",
                        String::from_utf8_lossy(&written)
                    );
                }
                (a, b) => panic!("async accept {a:?}, sync functions {b:?}"),
            }
        }
        Some(_) => assert!(
            matches!(result, Err(HandshakeError::HeadTooLarge { .. })),
            "{result:?}"
        ),
        None if input.len() >= max => {
            assert!(
                matches!(result, Err(HandshakeError::HeadTooLarge { .. })),
                "{result:?}"
            )
        }
        None => assert!(
            matches!(result, Err(HandshakeError::Eof { received }) if received == input.len()),
            "{result:?}"
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let [kind, seed, input @ ..] = data else {
        return;
    };
    // HeadScanner against a naive search, fed read by read.
    let naive = input
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let mut scanner = HeadScanner::default();
    let (mut seen, mut calls, mut found) = (0usize, 0usize, None);
    for chunk in reads(*seed, input) {
        seen += chunk.len();
        calls += 1;
        if let Some(n) = scanner.find(&input[..seen]) {
            found = Some(n);
            break;
        }
    }
    assert_eq!(found, naive, "HeadScanner disagrees with a naive search");
    assert!(
        scanner.examined() <= seen + 3 * calls,
        "examined {} of {seen} bytes in {calls} calls",
        scanner.examined()
    );

    let head = match naive {
        Some(n) => &input[..n],
        None => input,
    };
    if kind & 1 == 0 {
        request(head);
        let max = match usize::from(kind >> 1) {
            0 => DEFAULT_MAX_HEAD_SIZE,
            k => 16 * k,
        };
        accept_async(input, *seed, max, naive);
    } else {
        response(head);
    }
});
