//! `sse::client::EventSource` against scripted loopback servers (plain TCP
//! and TLS with a self-signed rcgen certificate): drops at random points
//! (mid-line, mid-event, mid-character, clean EOF and broken chunked
//! bodies) lose and repeat nothing; Last-Event-ID on every reconnect;
//! `retry` in the measured delays; 204 stops; 500 and text/html are fatal;
//! POST is not repeated unless asked; timeouts; the retry limit; bounds.
//! Every test is bounded in time.

use bytes::BytesMut;
use futures_util::StreamExt;
use pushcodec::sse::client::rustls::{self, RootCertStore};
use pushcodec::sse::client::{Client, Error, EventSource, TransportError};
use pushcodec::sse::{Event, SseDecoder, SseItem};
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::{timeout, Instant};
use tokio_util::codec::Decoder;

const T: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------- server

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with one connection.
struct Reply {
    /// Bytes written, in random small pieces.
    bytes: Vec<u8>,
    /// Keep the connection open (silent) this long before closing.
    hold: Duration,
}

impl Reply {
    fn close(bytes: Vec<u8>) -> Self {
        Reply {
            bytes,
            hold: Duration::ZERO,
        }
    }
}

type Handler = Box<dyn FnMut(&Seen) -> Reply + Send>;

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// When each connection's reply was fully written and closed.
    closed_at: Arc<Mutex<Vec<Instant>>>,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

struct Tls {
    acceptor: tokio_rustls::TlsAcceptor,
    roots: RootCertStore,
}

fn tls() -> Tls {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.clone()], key)
    .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    Tls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        roots,
    }
}

fn client_for(tls: &Tls) -> Client {
    Client::builder()
        .root_store(tls.roots.clone())
        .build()
        .unwrap()
}

async fn serve(handler: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let closed_at = Arc::new(Mutex::new(Vec::new()));
    let handler = Arc::new(Mutex::new(handler));
    let (s, c) = (seen.clone(), closed_at.clone());
    tokio::spawn(async move {
        let mut conn = 0u64;
        while let Ok((tcp, _)) = listener.accept().await {
            tcp.set_nodelay(true).unwrap();
            conn += 1;
            let (seen, closed_at, handler) = (s.clone(), c.clone(), handler.clone());
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            handle(stream, conn, seen, closed_at, handler).await;
                        }
                    }
                    None => handle(tcp, conn, seen, closed_at, handler).await,
                }
            });
        }
    });
    Server {
        url: format!("{scheme}://{addr}/events"),
        seen,
        closed_at,
    }
}

async fn handle<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    conn: u64,
    seen: Arc<Mutex<Vec<Seen>>>,
    closed_at: Arc<Mutex<Vec<Instant>>>,
    handler: Arc<Mutex<Handler>>,
) {
    let Some(req) = read_request(&mut s).await else {
        return;
    };
    seen.lock().unwrap().push(req.clone());
    let reply = (handler.lock().unwrap())(&req);
    let mut rng = rand::rngs::StdRng::seed_from_u64(conn);
    let mut rest = &reply.bytes[..];
    while !rest.is_empty() {
        let n = rng.random_range(1..=64).min(rest.len());
        if s.write_all(&rest[..n]).await.is_err() || s.flush().await.is_err() {
            return;
        }
        rest = &rest[n..];
    }
    tokio::time::sleep(reply.hold).await;
    closed_at.lock().unwrap().push(Instant::now());
    // Dropped without a TLS close_notify or a chunked end: an abrupt loss
    // unless the reply bytes ended the body themselves.
}

async fn read_request<S: AsyncRead + Unpin>(s: &mut S) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let head_len = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 << 10 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(&buf[..head_len]).ok()?;
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let method = req.method?.to_string();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_len..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        headers,
        body,
        at: Instant::now(),
    })
}

fn head(status: &str, content_type: &str, chunked: bool) -> Vec<u8> {
    let framing = if chunked {
        "transfer-encoding: chunked\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{framing}connection: close\r\n\r\n"
    )
    .into_bytes()
}

fn sse_response(body: &[u8]) -> Vec<u8> {
    let mut out = head("200 OK", "text/event-stream", false);
    out.extend_from_slice(body);
    out
}

fn no_content() -> Vec<u8> {
    b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n".to_vec()
}

// ------------------------------------------------------- the event stream

/// One block of the canonical stream: its id and bytes, and where it
/// dispatches (just past the first byte of the blank line's line end: a
/// CR alone already ends a line).
struct Block {
    id: u32,
    bytes: Vec<u8>,
    dispatch_at: usize,
}

/// The same stream every connection resumes into: every line-end kind,
/// comments, an id-only block, empty and space-led data, retry fields,
/// multi-byte characters across a 2 KB line.
fn blocks() -> Vec<Block> {
    (0..60u32)
        .map(|i| {
            let text = match i % 6 {
                0 => format!("event: token\nid: {i}\ndata: tok {i}\n\n"),
                1 => format!("id: {i}\r\ndata: line one {i}\r\ndata: line two\r\n\r\n"),
                2 => format!(": comment {i}\nid: {i}\rdata: cr {i}\r\r"),
                3 => format!("data: {}\nid: {i}\n\n", "é😀".repeat(330)),
                4 => format!("id: {i}\n\n"),
                _ => format!("retry: 5\nid: {i}\ndata:\ndata:  spaced {i}\n\n"),
            };
            let bytes = text.into_bytes();
            let end = bytes.len();
            let dispatch_at = if bytes.ends_with(b"\r\n\r\n") {
                end - 1
            } else {
                end
            };
            Block {
                id: i,
                bytes,
                dispatch_at,
            }
        })
        .collect()
}

const PREFIX: &[u8] = b": stream start\nretry: 5\n";

/// The events of the whole stream read in one go by one decoder: what the
/// client must hand out, however the connections were cut.
fn uninterrupted(blocks: &[Block]) -> Vec<Event> {
    let mut buf = BytesMut::from(PREFIX);
    for b in blocks {
        buf.extend_from_slice(&b.bytes);
    }
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    while let Some(item) = dec.decode_eof(&mut buf).unwrap() {
        if let SseItem::Event(ev) = item {
            out.push(ev);
        }
    }
    out
}

/// Per connection: the Last-Event-ID it got, whether the cut fell mid-line
/// and mid-event, and the last id it dispatched.
#[derive(Debug, Default, Clone)]
struct Cut {
    last_event_id: Option<String>,
    mid_line: bool,
    mid_event: bool,
    dispatched_through: Option<u32>,
}

/// A server that resumes after `Last-Event-ID` and cuts each response at a
/// random byte, closing the connection either at the end of a
/// close-delimited body or in the middle of a chunked one; `204` once the
/// client has everything.
fn cutting_server(seed: u64, cuts: Arc<Mutex<Vec<Cut>>>) -> Handler {
    let blocks = blocks();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Box::new(move |req| {
        let last = req.header("last-event-id").map(str::to_owned);
        let start = match &last {
            None => 0,
            Some(id) => id.parse::<usize>().unwrap() + 1,
        };
        if start == blocks.len() {
            cuts.lock().unwrap().push(Cut {
                last_event_id: last,
                ..Cut::default()
            });
            return Reply::close(no_content());
        }
        let mut body = PREFIX.to_vec();
        let mut ends = Vec::new(); // (dispatch offset, id, block end)
        for b in &blocks[start..] {
            ends.push((body.len() + b.dispatch_at, b.id, body.len() + b.bytes.len()));
            body.extend_from_slice(&b.bytes);
        }
        let cut = if rng.random_bool(0.03) {
            body.len()
        } else {
            // Mostly short cuts (many drops); sometimes long enough to get
            // past the 2 KB line.
            let span = if rng.random_bool(0.8) { 200 } else { 3000 };
            rng.random_range(0..=span.min(body.len()))
        };
        let sent = &body[..cut];
        let cut_info = Cut {
            last_event_id: last,
            mid_line: cut > 0 && !matches!(sent.last(), Some(b'\n' | b'\r')),
            mid_event: cut > PREFIX.len() && !ends.iter().any(|(_, _, end)| *end == cut),
            dispatched_through: ends
                .iter()
                .take_while(|(d, _, _)| *d <= cut)
                .last()
                .map(|e| e.1),
        };
        cuts.lock().unwrap().push(cut_info);
        if rng.random_bool(0.5) {
            Reply::close(sse_response(sent))
        } else {
            // Chunked, and the connection drops before the last chunk.
            let mut out = head("200 OK", "text/event-stream", true);
            for piece in sent.chunks(97) {
                out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            Reply::close(out)
        }
    })
}

fn fast(
    es: pushcodec::sse::client::EventSourceBuilder,
) -> pushcodec::sse::client::EventSourceBuilder {
    es.retry(Duration::from_millis(20))
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(20))
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Some(Duration::from_secs(5)))
}

async fn collect_events(es: &mut EventSource) -> Result<Vec<Event>, Error> {
    let mut out = Vec::new();
    while let Some(item) = timeout(T, es.next()).await.expect("stream stalled") {
        if let SseItem::Event(ev) = item? {
            out.push(ev);
        }
    }
    Ok(out)
}

/// Runs the cutting server for `seed`; checks the output and every
/// reconnect's Last-Event-ID; returns the cuts made.
async fn run_random_drops(seed: u64, tls: Option<&Tls>) -> Vec<Cut> {
    let cuts = Arc::new(Mutex::new(Vec::new()));
    let srv = serve(
        cutting_server(seed, cuts.clone()),
        tls.map(|t| t.acceptor.clone()),
    )
    .await;
    let mut b = fast(EventSource::builder(&srv.url));
    if let Some(t) = tls {
        b = b.client(client_for(t));
    }
    let mut es = b.build().unwrap();
    let got = timeout(Duration::from_secs(60), collect_events(&mut es))
        .await
        .expect("bounded")
        .expect("no error: drops are reconnected, 204 ends");
    let want = uninterrupted(&blocks());
    assert_eq!(got.len(), want.len(), "seed {seed}: event count");
    assert_eq!(
        got, want,
        "seed {seed}: events differ from the uninterrupted stream"
    );
    let cuts = cuts.lock().unwrap().clone();
    // Every reconnect sends the id of the last event dispatched before it.
    let mut expected: Option<String> = None;
    for (i, cut) in cuts.iter().enumerate() {
        assert_eq!(cut.last_event_id, expected, "seed {seed}: connection {i}");
        if let Some(id) = cut.dispatched_through {
            expected = Some(id.to_string());
        }
    }
    assert_eq!(es.reconnects() as usize, cuts.len() - 1);
    cuts
}

#[tokio::test]
async fn random_drops_mid_line_and_mid_event_lose_and_repeat_nothing() {
    let mut all = Vec::new();
    for seed in 1..=4 {
        all.extend(run_random_drops(seed, None).await);
    }
    let mid_line = all.iter().filter(|c| c.mid_line).count();
    let mid_event = all.iter().filter(|c| c.mid_event).count();
    // The drops really fell inside lines and events, many times.
    assert!(all.len() > 30, "{} connections", all.len());
    assert!(
        mid_line > 10 && mid_event > 10,
        "mid-line {mid_line}, mid-event {mid_event}"
    );
}

#[tokio::test]
async fn random_drops_over_tls_with_a_self_signed_certificate() {
    let tls = tls();
    let cuts = run_random_drops(7, Some(&tls)).await;
    assert!(cuts.iter().filter(|c| c.mid_event).count() > 2, "{cuts:?}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_fatal_tls_error() {
    let tls = tls();
    let srv = serve(
        Box::new(|_| Reply::close(sse_response(b"data: x\n\n"))),
        Some(tls.acceptor.clone()),
    )
    .await;
    // Default client: webpki roots, which do not include the test certificate.
    let mut es = fast(EventSource::builder(&srv.url)).build().unwrap();
    let err = timeout(T, es.next()).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Tls(rustls::Error::InvalidCertificate(_))),
        "{err:?}"
    );
    assert!(err.is_fatal());
    assert!(timeout(T, es.next()).await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        srv.seen().len(),
        0,
        "no HTTP request after a refused certificate"
    );
}

#[tokio::test]
async fn retry_changes_are_observed_in_the_measured_reconnect_delays() {
    // Connection 1 sets retry 100 ms, connection 2 sets 700 ms, connection 3
    // ends the stream. Each sends one event, so backoff never doubles.
    let mut n = 0;
    let srv = serve(
        Box::new(move |_| {
            n += 1;
            Reply::close(match n {
                1 => sse_response(b"retry: 100\nid: 1\ndata: a\n\n"),
                2 => sse_response(b"retry: 700\nid: 2\ndata: b\n\n"),
                _ => no_content(),
            })
        }),
        None,
    )
    .await;
    let mut es = EventSource::builder(&srv.url)
        .min_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let got = collect_events(&mut es).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(es.retry(), Duration::from_millis(700));
    let seen = srv.seen();
    let closed = srv.closed_at.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    let d1 = seen[1].at - closed[0];
    let d2 = seen[2].at - closed[1];
    // At least the server's retry; at most 25 % jitter plus room for a busy machine.
    assert!(
        d1 >= Duration::from_millis(100) && d1 < Duration::from_millis(500),
        "{d1:?}"
    );
    assert!(
        d2 >= Duration::from_millis(700) && d2 < Duration::from_millis(1500),
        "{d2:?}"
    );
}

#[tokio::test]
async fn backoff_doubles_while_reconnects_bring_no_event() {
    let mut n = 0;
    let srv = serve(
        Box::new(move |_| {
            n += 1;
            Reply::close(match n {
                1 => sse_response(b"retry: 100\nid: 1\ndata: a\n\n"),
                2 | 3 => sse_response(b": nothing\n"),
                _ => no_content(),
            })
        }),
        None,
    )
    .await;
    let mut es = EventSource::builder(&srv.url)
        .min_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    assert_eq!(collect_events(&mut es).await.unwrap().len(), 1);
    let seen = srv.seen();
    let closed = srv.closed_at.lock().unwrap().clone();
    let delays: Vec<Duration> = (1..4).map(|i| seen[i].at - closed[i - 1]).collect();
    for (d, base) in delays.iter().zip([100u64, 200, 400]) {
        let base = Duration::from_millis(base);
        assert!(
            *d >= base && *d < base * 2 + Duration::from_millis(300),
            "{delays:?}"
        );
    }
    assert!(seen[1..]
        .iter()
        .all(|s| s.header("last-event-id") == Some("1")));
}

#[tokio::test]
async fn no_content_stops_the_client() {
    let srv = serve(Box::new(|_| Reply::close(no_content())), None).await;
    let mut es = fast(EventSource::builder(&srv.url)).build().unwrap();
    assert!(timeout(T, es.next()).await.unwrap().is_none());
    assert_eq!(es.ready_state(), pushcodec::sse::client::ReadyState::Closed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(srv.seen().len(), 1, "no reconnect after 204");
}

#[tokio::test]
async fn status_500_and_text_html_are_fatal_typed_errors() {
    let mut body = b"{\"error\":\"boom\"}".to_vec();
    body.extend(std::iter::repeat_n(b' ', 1 << 20)); // a long body: only its start is read
    let mut resp = head("500 Internal Server Error", "application/json", false);
    resp.extend_from_slice(&body);
    let srv = serve(Box::new(move |_| Reply::close(resp.clone())), None).await;
    let mut es = fast(EventSource::builder(&srv.url)).build().unwrap();
    match timeout(T, es.next()).await.unwrap().unwrap() {
        Err(Error::Status { status, body }) => {
            assert_eq!(status, 500);
            assert!(body.starts_with("{\"error\":\"boom\"}"), "{body:.40}");
            assert!(body.len() <= pushcodec::sse::client::MAX_ERROR_BODY);
        }
        other => panic!("{other:?}"),
    }
    assert!(timeout(T, es.next()).await.unwrap().is_none());

    let html = serve(
        Box::new(|_| {
            let mut r = head("200 OK", "text/html; charset=utf-8", false);
            r.extend_from_slice(b"<html>data: x\n\n</html>");
            Reply::close(r)
        }),
        None,
    )
    .await;
    let mut es = fast(EventSource::builder(&html.url)).build().unwrap();
    let err = timeout(T, es.next()).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::ContentType { content_type: Some(c) } if c == "text/html; charset=utf-8"),
        "{err:?}"
    );
    assert!(err.is_fatal());
    assert!(timeout(T, es.next()).await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        (srv.seen().len(), html.seen().len()),
        (1, 1),
        "fatal: no reconnect"
    );
}

#[tokio::test]
async fn request_headers_and_post_body_are_sent_and_post_is_not_repeated() {
    let srv = serve(
        Box::new(|_| Reply::close(sse_response(b"data: one\n\ndata: partial"))),
        None,
    )
    .await;
    let mut es = fast(EventSource::builder(&srv.url))
        .method(http::Method::POST)
        .bearer_auth("sk-test")
        .header("content-type", "application/json")
        .header("x-trace", "42")
        .body(r#"{"prompt":"hi"}"#)
        .build()
        .unwrap();
    let got = collect_events(&mut es).await.unwrap();
    assert_eq!(got.len(), 1, "the unterminated event is discarded");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = srv.seen();
    assert_eq!(seen.len(), 1, "a POST is not sent again");
    let req = &seen[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(req.header("accept"), Some("text/event-stream"));
    assert_eq!(req.header("x-trace"), Some("42"));
    assert_eq!(req.body, br#"{"prompt":"hi"}"#);

    // Asked to reconnect, it does, with the same body and the Last-Event-ID.
    let mut n = 0;
    let srv = serve(
        Box::new(move |_| {
            n += 1;
            Reply::close(if n == 1 {
                sse_response(b"id: 9\ndata: one\n\n")
            } else {
                no_content()
            })
        }),
        None,
    )
    .await;
    let mut es = fast(EventSource::builder(&srv.url))
        .method(http::Method::POST)
        .body("again")
        .reconnect(true)
        .build()
        .unwrap();
    assert_eq!(collect_events(&mut es).await.unwrap().len(), 1);
    let seen = srv.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].body, b"again");
    assert_eq!(seen[1].header("last-event-id"), Some("9"));
}

#[tokio::test]
async fn a_broken_post_response_is_a_transport_error() {
    let srv = serve(
        Box::new(|_| {
            let mut r = head("200 OK", "text/event-stream", true);
            r.extend_from_slice(b"b\r\ndata: one\n\n\r\n"); // then the connection drops
            Reply::close(r)
        }),
        None,
    )
    .await;
    let mut es = fast(EventSource::builder(&srv.url))
        .method(http::Method::POST)
        .build()
        .unwrap();
    let first = timeout(T, es.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(first, SseItem::Event(ev) if &*ev.data == "one"));
    let err = timeout(T, es.next()).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Transport(TransportError::Body(_))),
        "{err:?}"
    );
    assert!(!err.is_fatal());
}

#[tokio::test]
async fn read_timeout_reconnects_a_silent_stream() {
    let mut n = 0;
    let srv = serve(
        Box::new(move |_| {
            n += 1;
            if n == 1 {
                Reply {
                    bytes: sse_response(b"id: 1\ndata: then silence\n\n"),
                    hold: Duration::from_secs(20),
                }
            } else {
                Reply::close(no_content())
            }
        }),
        None,
    )
    .await;
    let started = Instant::now();
    let mut es = fast(EventSource::builder(&srv.url))
        .read_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    assert_eq!(collect_events(&mut es).await.unwrap().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(10));
    let seen = srv.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("last-event-id"), Some("1"));
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(300));
}

#[tokio::test]
async fn connect_timeout_bounds_a_server_that_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    // Accepts, reads, never answers.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let started = Instant::now();
    let mut es = EventSource::builder(&url)
        .connect_timeout(Duration::from_millis(300))
        .reconnect(false)
        .build()
        .unwrap();
    let err = timeout(T, es.next()).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Transport(TransportError::ConnectTimeout { .. })),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn the_retry_limit_ends_a_stream_whose_server_is_gone() {
    // A port with nothing listening: every attempt is refused.
    let url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let mut es = fast(EventSource::builder(&url))
        .max_retries(3)
        .build()
        .unwrap();
    let err = timeout(T, es.next()).await.unwrap().unwrap().unwrap_err();
    match &err {
        Error::RetryLimit {
            retries: 3,
            last: TransportError::Request(_),
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("refused") || err.to_string().contains("onnect"),
        "{err}"
    );
    assert_eq!(es.reconnects(), 3);
    assert!(timeout(T, es.next()).await.unwrap().is_none());
}

#[tokio::test]
async fn an_endless_line_is_a_bounded_decode_error() {
    let srv = serve(
        Box::new(|_| {
            let mut r = head("200 OK", "text/event-stream", false);
            r.extend(std::iter::repeat_n(b'x', 64 << 10));
            Reply::close(r)
        }),
        None,
    )
    .await;
    let mut es = fast(EventSource::builder(&srv.url))
        .max_line_length(4096)
        .build()
        .unwrap();
    let err = timeout(T, es.next()).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode(pushcodec::sse::DecodeError::LineTooLong { max: 4096, .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_resumed_stream_sends_its_first_last_event_id() {
    let srv = serve(Box::new(|_| Reply::close(no_content())), None).await;
    let mut es = fast(EventSource::builder(&srv.url))
        .last_event_id("41")
        .build()
        .unwrap();
    assert!(timeout(T, es.next()).await.unwrap().is_none());
    assert_eq!(srv.seen()[0].header("last-event-id"), Some("41"));
}

#[tokio::test]
async fn redirects_are_followed_reconnects_start_from_the_original_url() {
    // B (another origin) serves the stream; A redirects to it.
    let mut n = 0;
    let b = serve(
        Box::new(move |_| {
            n += 1;
            Reply::close(if n == 1 {
                sse_response(b"id: 1\ndata: via b\n\n")
            } else {
                no_content()
            })
        }),
        None,
    )
    .await;
    let target = b.url.clone();
    let a = serve(
        Box::new(move |_| {
            Reply::close(format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into_bytes())
        }),
        None,
    )
    .await;
    let mut es = fast(EventSource::builder(&a.url))
        .method(http::Method::POST)
        .reconnect(true)
        .bearer_auth("sk-secret")
        .body("kept")
        .build()
        .unwrap();
    let got = collect_events(&mut es).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(&*got[0].data, "via b");
    // Each attempt went to A first: reconnects start from the original URL.
    assert_eq!(a.seen().len(), 2);
    let at_b = b.seen();
    assert_eq!(at_b.len(), 2);
    assert_eq!(at_b[0].method, "POST", "307 keeps the method");
    assert_eq!(at_b[0].body, b"kept", "and the body");
    assert_eq!(
        at_b[0].header("authorization"),
        None,
        "dropped across origins"
    );
    assert_eq!(
        a.seen()[0].header("authorization"),
        Some("Bearer sk-secret")
    );
    assert_eq!(at_b[1].header("last-event-id"), Some("1"));

    // A redirect loop is a typed, fatal error.
    let lp = serve(
        Box::new(|_| Reply::close(b"HTTP/1.1 302 Found\r\nlocation: /events\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec())),
        None,
    )
    .await;
    let mut es = fast(EventSource::builder(&lp.url)).build().unwrap();
    let err = timeout(T, es.next()).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Redirect {
                reason: "too many redirects",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        lp.seen().len(),
        pushcodec::sse::client::MAX_REDIRECTS as usize + 1
    );
}
