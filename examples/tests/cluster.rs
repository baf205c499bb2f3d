//! Two token-server instances sharing one Redis, behind nginx (round robin,
//! no sticky sessions): everything started by the test on loopback ports
//! and stopped by it.
//!
//! * start a stream on A, resume it on B, stop it via B;
//! * `kill -9` A mid-stream: a subscriber on B gets `done` (`error`,
//!   generation lost) within 3 s;
//! * a rolling restart of A (SIGTERM, exit, start again) while 100 SSE
//!   streams are live through nginx, read by pushcodec's EventSource client
//!   (reconnects with Last-Event-ID): every stream gets every token exactly
//!   once, and `done`;
//! * WebSocket and SSE through nginx; a WebSocket on A at SIGTERM gets
//!   `done` (`shutdown`) and Close 1001.
//!
//! Skipped outside CI when redis-server or nginx is missing.

mod support;

use futures_util::StreamExt;
use pushcodec::sse::client::EventSource;
use pushcodec::sse::SseItem;
use pushcodec::ws::Message;
use pushcodec_examples::client::{sse_token_event, SseTokenClient, TokenEvent, WsTokenClient};
use pushcodec_examples::tokens::BuiltinGenerator;
use std::time::{Duration, Instant};
use support::{free_port, Instance, Nginx, RedisServer};
use tokio::time::timeout;

const T: Duration = Duration::from_secs(30);

struct Cluster {
    _redis: RedisServer,
    a: Instance,
    b: Instance,
    nginx: Nginx,
}

fn cluster(delay_ms: u64, tokens: usize) -> Option<Cluster> {
    let redis = RedisServer::start()?;
    let url = redis.url();
    let (d, n) = (delay_ms.to_string(), tokens.to_string());
    let args = [
        "--redis",
        &url,
        "--token-delay-ms",
        &d,
        "--max-tokens",
        &n,
        "--client-ip-header",
        "x-real-ip",
        "--max-generations-per-client",
        "1000",
        "--shutdown-grace-secs",
        "20",
    ];
    let a = Instance::start(free_port(), &args);
    let b = Instance::start(free_port(), &args);
    let nginx = Nginx::start(&[a.addr(), b.addr()])?;
    Some(Cluster {
        _redis: redis,
        a,
        b,
        nginx,
    })
}

/// Reads token events until `done` or `limit` tokens: (tokens, done reason).
async fn collect(
    items: &mut (impl futures_util::Stream<Item = Result<SseItem, pushcodec::sse::DecodeError>> + Unpin),
    limit: usize,
) -> (Vec<(u64, String)>, Option<(String, String)>) {
    let mut toks = Vec::new();
    while toks.len() < limit {
        let Some(item) = timeout(T, items.next()).await.expect("timely") else {
            return (toks, None);
        };
        let item = item.unwrap();
        let raw = match &item {
            SseItem::Event(e) => e.data.to_string(),
            _ => String::new(),
        };
        match sse_token_event(&item).unwrap() {
            Some(TokenEvent::Token { index, text }) => toks.push((index, text)),
            Some(TokenEvent::Done { reason }) => return (toks, Some((reason, raw))),
            Some(TokenEvent::Error { message }) => panic!("error event: {message}"),
            None => {}
        }
    }
    (toks, None)
}

/// `GET {base}/metrics` as text.
async fn metrics(base: &str) -> String {
    use tokio::io::AsyncReadExt;
    let r = pushcodec_examples::http_client::HttpClient::new()
        .get_streaming(&format!("{base}/metrics"), &[])
        .await
        .unwrap();
    let mut body = String::new();
    let mut b = r.body;
    timeout(T, b.read_to_string(&mut body))
        .await
        .unwrap()
        .unwrap();
    body
}

/// The value of an unlabelled counter in Prometheus text.
fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} not in\n{text}"))
        .parse()
        .unwrap()
}

fn numbered(t: Vec<String>) -> Vec<(u64, String)> {
    t.into_iter()
        .enumerate()
        .map(|(i, t)| (i as u64, t))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_on_a_resume_on_b_stop_via_b_then_kill_a_mid_stream() {
    let Some(c) = cluster(20, 10_000) else { return };
    let mut c = c;
    let gen = BuiltinGenerator::new(Duration::ZERO, 10_000);
    let (on_a, on_b) = (
        SseTokenClient::new(&c.a.base()),
        SseTokenClient::new(&c.b.base()),
    );

    // Start on A, read a few tokens there.
    let id = on_a.create("shared state").await.unwrap();
    let (st, mut items) = on_a.events(&id, None).await.unwrap();
    assert_eq!(st, 200);
    let (first, _) = collect(&mut items, 8).await;
    drop(items);
    // Resume on B from the last id: no gap, no duplicate.
    let last = first.last().unwrap().0.to_string();
    let (st, mut items) = on_b.events(&id, Some(&last)).await.unwrap();
    assert_eq!(st, 200, "B serves A's stream");
    let (more, _) = collect(&mut items, 10).await;
    let mut all = first.clone();
    all.extend(more);
    assert_eq!(all, numbered(gen.tokens_for("shared state")[..18].to_vec()));
    // Stop via B: the generation on A ends before its next token.
    let t0 = Instant::now();
    on_b.stop(&id).await.unwrap();
    let (late, done) = collect(&mut items, usize::MAX).await;
    let (reason, _) = done.expect("done after stop");
    assert_eq!(reason, "stopped");
    eprintln!(
        "stop via B: done (stopped) on B {:?} after the request, {} tokens read after it",
        t0.elapsed(),
        late.len()
    );
    assert!(late.len() <= 2, "{} tokens after the stop", late.len());
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        t0.elapsed()
    );
    let after: Vec<_> = all.iter().chain(&late).map(|(i, _)| *i).collect();
    assert_eq!(after, (0..after.len() as u64).collect::<Vec<_>>());
    // Both instances agree the stream is over: 204 after done, anywhere.
    let done_id = after.len().to_string();
    assert_eq!(on_a.events(&id, Some(&done_id)).await.unwrap().0, 204);
    assert_eq!(on_b.events(&id, Some(&done_id)).await.unwrap().0, 204);
    // B counted the resume and the stop in its /metrics.
    let m = metrics(&c.b.base()).await;
    assert_eq!(counter(&m, "token_server_stops_total"), 1, "{m}");
    assert!(counter(&m, "token_server_resumes_total") >= 1, "{m}");
    // A stop of an unknown stream is a 404 on any instance.
    assert!(on_b.stop("00000000000000000000000000000000").await.is_err());

    // kill -9 A mid-stream while B follows: done (error) within 3 s.
    let id = on_a.create("doomed").await.unwrap();
    let (_, mut items) = on_b.events(&id, None).await.unwrap();
    let (before, _) = collect(&mut items, 5).await;
    c.a.kill9();
    let killed = Instant::now();
    let (rest, done) = collect(&mut items, usize::MAX).await;
    let waited = killed.elapsed();
    let (reason, data) = done.expect("done after the producer died");
    assert_eq!(reason, "error");
    assert!(data.contains("generation lost"), "{data}");
    assert!(
        waited < Duration::from_secs(3),
        "done came {waited:?} after kill -9"
    );
    eprintln!("kill -9: done (error: generation lost) on B {waited:?} after the kill");
    let idx: Vec<u64> = before.iter().chain(&rest).map(|(i, _)| *i).collect();
    assert_eq!(
        idx,
        (0..idx.len() as u64).collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
    // A resume of the dead stream is told it is over, not left hanging.
    let (st, mut items) = on_b
        .events(&id, Some(&(idx.len() - 1).to_string()))
        .await
        .unwrap();
    assert_eq!(st, 200);
    let (none, done) = collect(&mut items, usize::MAX).await;
    assert!(none.is_empty(), "{none:?}");
    let done = done.unwrap_or_else(|| panic!("the resume after the loss ended without done"));
    assert_eq!(done.0, "error", "{done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_of_one_instance_loses_no_token_of_100_live_sse_streams() {
    const STREAMS: usize = 100;
    const TOKENS: usize = 120;
    let Some(c) = cluster(30, TOKENS) else { return };
    let mut c = c;
    let gen = BuiltinGenerator::new(Duration::ZERO, TOKENS);
    // Half the streams generate on A (the instance restarted: its
    // generations go on writing to Redis while it drains), half on B; every
    // subscriber comes through nginx, so some read on A (cut at SIGTERM,
    // they reconnect to B) and some on B.
    let (on_a, on_b) = (
        SseTokenClient::new(&c.a.base()),
        SseTokenClient::new(&c.b.base()),
    );
    let mut readers = Vec::new();
    for i in 0..STREAMS {
        let prompt = format!("rolling restart stream {i}");
        let id = [&on_a, &on_b][i % 2].create(&prompt).await.unwrap();
        let url = format!("{}/api/streams/{id}/events", c.nginx.base());
        readers.push(tokio::spawn(async move {
            let mut es = EventSource::builder(&url)
                .max_delay(Duration::from_secs(2))
                .build()
                .unwrap();
            let mut toks = Vec::new();
            let mut max_gap = Duration::ZERO;
            let mut last = Instant::now();
            let reason = loop {
                let item = timeout(T, es.next())
                    .await
                    .expect("timely")
                    .expect("not ended");
                let item = item.unwrap_or_else(|e| panic!("stream {i}: {e}"));
                match sse_token_event(&item).unwrap() {
                    Some(TokenEvent::Token { index, text }) => {
                        max_gap = max_gap.max(last.elapsed());
                        last = Instant::now();
                        toks.push((index, text));
                    }
                    Some(TokenEvent::Done { reason }) => break reason,
                    Some(TokenEvent::Error { message }) => panic!("stream {i}: {message}"),
                    None => {}
                }
            };
            (prompt, toks, reason, es.reconnects(), max_gap)
        }));
    }
    // Let every stream get going, then restart A while they are live.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let t0 = Instant::now();
    c.a.term_nowait();
    let status = c.a.exited(Duration::from_secs(25)).await;
    let drained = t0.elapsed();
    assert!(status.success(), "A exited with {status}");
    c.a.spawn();
    let restarted = t0.elapsed();
    let mut lost = 0;
    let mut duplicated = 0;
    let mut reconnects = 0;
    let mut most_reconnects = 0;
    let mut max_gap = Duration::ZERO;
    for r in readers {
        let (prompt, toks, reason, rc, gap) =
            timeout(Duration::from_secs(60), r).await.unwrap().unwrap();
        assert_eq!(reason, "complete", "{prompt}");
        let want = gen.tokens_for(&prompt);
        let mut seen = vec![0u32; want.len()];
        for (i, t) in &toks {
            assert_eq!(t, &want[*i as usize], "{prompt}: token {i}");
            seen[*i as usize] += 1;
        }
        lost += seen.iter().filter(|&&n| n == 0).count();
        duplicated += seen
            .iter()
            .map(|&n| n.saturating_sub(1) as usize)
            .sum::<usize>();
        reconnects += rc;
        most_reconnects = most_reconnects.max(rc);
        max_gap = max_gap.max(gap);
    }
    eprintln!(
        "rolling restart: {STREAMS} streams × {TOKENS} tokens; A drained and exited {drained:?} after SIGTERM, \
         back at {restarted:?}; {reconnects} reconnects (at most {most_reconnects} per stream); lost {lost}, duplicated {duplicated}; longest pause {max_gap:?}"
    );
    assert_eq!((lost, duplicated), (0, 0));
    assert!(reconnects >= 1, "some streams were on A and moved");
    // The restarted A serves again, and a stream created anywhere is seen everywhere.
    let id = SseTokenClient::new(&c.a.base())
        .create("after the restart")
        .await
        .unwrap();
    let (st, mut items) = SseTokenClient::new(&c.b.base())
        .events(&id, None)
        .await
        .unwrap();
    assert_eq!(st, 200);
    assert_eq!(
        collect(&mut items, usize::MAX).await.1.unwrap().0,
        "complete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_and_sse_through_nginx_and_websocket_at_sigterm_gets_done_shutdown_then_1001() {
    let Some(c) = cluster(20, 40) else { return };
    let mut c = c;
    let nginx_addr = c.nginx.base().trim_start_matches("http://").to_string();
    // Through nginx, both protocols.
    let mut ws = WsTokenClient::connect(&nginx_addr).await.unwrap();
    ws.prompt("through nginx").await.unwrap();
    let mut n = 0;
    loop {
        match timeout(T, ws.next_event()).await.unwrap().unwrap() {
            Some(TokenEvent::Token { index, .. }) => {
                assert_eq!(index, n);
                n += 1;
            }
            Some(TokenEvent::Done { reason }) => {
                assert_eq!(reason, "complete");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(n, 40);
    let sse = SseTokenClient::new(&c.nginx.base());
    let id = sse.create("sse through nginx").await.unwrap();
    let (_, mut items) = sse.events(&id, None).await.unwrap();
    let (toks, done) = collect(&mut items, usize::MAX).await;
    assert_eq!((toks.len(), done.unwrap().0.as_str()), (40, "complete"));

    // A WebSocket generating on A when A gets SIGTERM.
    drop(c.b);
    let mut ws = WsTokenClient::connect(&c.a.addr()).await.unwrap();
    ws.prompt("interrupted").await.unwrap();
    assert!(matches!(
        timeout(T, ws.next_event()).await.unwrap().unwrap(),
        Some(TokenEvent::Token { .. })
    ));
    c.a.term_nowait();
    let mut raw = ws.into_inner();
    let mut saw_done = false;
    let close = loop {
        match timeout(T, raw.next()).await.unwrap() {
            Some(Ok(Message::Text(t))) if t.contains("\"done\"") => {
                assert!(t.contains("\"shutdown\""), "{t}");
                saw_done = true;
            }
            Some(Ok(Message::Text(_))) => assert!(!saw_done, "a token after done"),
            Some(Ok(Message::Close(cf))) => break cf,
            Some(Ok(_)) => {}
            other => panic!("expected a close, got {other:?}"),
        }
    };
    assert!(saw_done, "done (shutdown) before the close");
    assert_eq!(close.map(|c| c.code.0), Some(1001));
    let st = c.a.exited(Duration::from_secs(10)).await;
    assert!(st.success());
}
