//! One suite of laws for both stream stores (`StreamStore`), run on the
//! memory store and on the Redis store. On Redis the follower sits on a
//! second store object (a second "instance": no local mirror), so the
//! Redis Stream itself is what is read. Also: Redis going away and coming
//! back under a running server.

mod support;

use futures_util::StreamExt;
use pushcodec_examples::client::{sse_token_event, SseTokenClient, TokenEvent};
use pushcodec_examples::server::store::{
    AppendOutcome, DoneReason, Follower, LogRead, MemoryStore, Producer, RedisStore, StopOutcome,
    StoreConfig, StoredToken, StreamStore,
};
use pushcodec_examples::server::{serve, AppState, ServerConfig};
use pushcodec_examples::tokens::BuiltinGenerator;
use std::time::Duration;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(10);

/// Reads everything up to `done` (or a gap).
async fn read_all<F: Follower>(f: &mut F) -> (Vec<(u64, String)>, LogRead) {
    let mut out: Vec<StoredToken> = Vec::new();
    let mut all = Vec::new();
    loop {
        out.clear();
        match timeout(T, f.next(&mut out)).await.expect("timely").unwrap() {
            LogRead::Tokens => {
                assert!(!out.is_empty(), "Tokens means at least one");
                all.extend(out.drain(..).map(|(i, t)| (i, t.to_string())));
            }
            other => return (all, other),
        }
    }
}

fn toks(n: usize) -> Vec<String> {
    (0..n).map(|i| format!(" t{i}")).collect()
}

async fn laws<P: StreamStore, F: StreamStore>(producer_side: P, follower_side: F) {
    // Order, ids, done with the token count, info.
    let id = pushcodec_examples::server::store::new_stream_id();
    let mut p = producer_side.create(&id).await.unwrap();
    for t in toks(5) {
        assert_eq!(p.append(t).await.unwrap(), AppendOutcome::Appended);
    }
    let mut f = follower_side.follow(&id, 2).await.unwrap().expect("exists");
    let mut out = Vec::new();
    assert_eq!(
        timeout(T, f.next(&mut out)).await.unwrap().unwrap(),
        LogRead::Tokens
    );
    assert_eq!(out.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [2, 3, 4]);
    // Live: a token appended while the follower waits arrives.
    let live = tokio::spawn(async move {
        let r = read_all(&mut f).await;
        (f, r)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    p.append(" late".into()).await.unwrap();
    p.finish(DoneReason::Complete).await;
    let (_, (got, end)) = live.await.unwrap();
    assert_eq!(got, vec![(5, " late".to_string())]);
    assert_eq!(
        end,
        LogRead::Done {
            reason: DoneReason::Complete,
            done_id: 6
        }
    );
    let info = follower_side.info(&id).await.unwrap().unwrap();
    assert_eq!(
        (info.produced, info.first_retained, info.done),
        (6, 0, Some(DoneReason::Complete))
    );
    assert_eq!(
        follower_side.stop(&id).await.unwrap(),
        StopOutcome::AlreadyFinished
    );
    // Unknown streams.
    assert!(follower_side.info("nope").await.unwrap().is_none());
    assert!(follower_side.follow("nope", 0).await.unwrap().is_none());
    assert_eq!(
        follower_side.stop("nope").await.unwrap(),
        StopOutcome::NotFound
    );

    // A stop from the other side: the next append is refused, and followers
    // see done "stopped" right after the last stored token.
    let id = pushcodec_examples::server::store::new_stream_id();
    let mut p = producer_side.create(&id).await.unwrap();
    p.append(" a".into()).await.unwrap();
    assert_eq!(
        follower_side.stop(&id).await.unwrap(),
        StopOutcome::Stopping
    );
    let r = timeout(T, p.ended())
        .await
        .expect("the producer learns of the stop");
    assert_eq!(r, DoneReason::Stopped);
    assert_eq!(
        p.append(" b".into()).await.unwrap(),
        AppendOutcome::Ended(DoneReason::Stopped)
    );
    p.finish(DoneReason::Stopped).await;
    let mut f = follower_side.follow(&id, 0).await.unwrap().unwrap();
    let (got, end) = read_all(&mut f).await;
    assert_eq!(got, vec![(0, " a".to_string())]);
    assert_eq!(
        end,
        LogRead::Done {
            reason: DoneReason::Stopped,
            done_id: 1
        }
    );
}

async fn retention<S: StreamStore>(store: S, follower_side: impl StreamStore) {
    // max 3 tokens, and 10 bytes: the oldest go first.
    let id = pushcodec_examples::server::store::new_stream_id();
    let mut p = store.create(&id).await.unwrap();
    for t in toks(10) {
        p.append(t).await.unwrap();
    }
    p.finish(DoneReason::Complete).await;
    let info = follower_side.info(&id).await.unwrap().unwrap();
    assert_eq!((info.produced, info.first_retained), (10, 7));
    let mut f = follower_side.follow(&id, 0).await.unwrap().unwrap();
    let mut out = Vec::new();
    assert_eq!(
        f.next(&mut out).await.unwrap(),
        LogRead::Gap { first_retained: 7 }
    );
    let mut f = follower_side.follow(&id, 7).await.unwrap().unwrap();
    let (got, end) = read_all(&mut f).await;
    assert_eq!(got.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [7, 8, 9]);
    assert_eq!(
        end,
        LogRead::Done {
            reason: DoneReason::Complete,
            done_id: 10
        }
    );
    // Bytes: 4-byte tokens, 10 bytes kept → 2 tokens.
    let id = pushcodec_examples::server::store::new_stream_id();
    let mut p = store.create(&id).await.unwrap();
    for t in ["aaaa", "bbbb", "cccc", "dddd"] {
        p.append(t.into()).await.unwrap();
    }
    let info = follower_side.info(&id).await.unwrap().unwrap();
    assert_eq!((info.produced, info.first_retained), (4, 2));
    p.finish(DoneReason::Complete).await;
}

async fn abandonment<S: StreamStore>(store: S) {
    let id = pushcodec_examples::server::store::new_stream_id();
    let mut p = store.create(&id).await.unwrap();
    let r = timeout(Duration::from_secs(5), p.ended())
        .await
        .expect("abandoned in time");
    assert_eq!(r, DoneReason::Abandoned);
    p.finish(r).await;
}

fn small() -> StoreConfig {
    StoreConfig {
        max_retained_tokens: 3,
        max_retained_bytes: 10,
        abandon_grace: Duration::from_millis(600),
        ..StoreConfig::default()
    }
}

#[tokio::test]
async fn memory_store_laws() {
    let s = MemoryStore::new(StoreConfig::default());
    laws(s.clone(), s).await;
}

#[tokio::test]
async fn memory_store_retention_and_abandonment() {
    let s = MemoryStore::new(small());
    retention(s.clone(), s.clone()).await;
    abandonment(s).await;
}

#[tokio::test]
async fn redis_store_laws_across_two_instances() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let a = RedisStore::connect(&redis.url(), StoreConfig::default())
        .await
        .unwrap();
    let b = RedisStore::connect(&redis.url(), StoreConfig::default())
        .await
        .unwrap();
    laws(a.clone(), b.clone()).await;
    // And on one instance (the local mirror).
    laws(a.clone(), a).await;
}

#[tokio::test]
async fn redis_store_retention_and_abandonment() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let a = RedisStore::connect(&redis.url(), small()).await.unwrap();
    let b = RedisStore::connect(&redis.url(), small()).await.unwrap();
    retention(a.clone(), b).await;
    abandonment(a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_an_append_retried_after_a_timeout_is_in_the_log_once() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let a = RedisStore::connect(&redis.url(), StoreConfig::default())
        .await
        .unwrap();
    let b = RedisStore::connect(&redis.url(), StoreConfig::default())
        .await
        .unwrap();
    let id = pushcodec_examples::server::store::new_stream_id();
    let mut p = a.create(&id).await.unwrap();
    assert_eq!(p.append("a".into()).await.unwrap(), AppendOutcome::Appended);
    // Redis stalls for 3 s: the answer to the next append times out (2 s)
    // and the append is sent again, while the first attempt is still queued
    // in Redis; both run when it wakes up.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client
        .get_multiplexed_async_connection_with_config(
            &redis::AsyncConnectionConfig::new().set_response_timeout(None),
        )
        .await
        .unwrap();
    let stall = tokio::spawn(async move {
        let r: redis::RedisResult<()> = redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg("3")
            .query_async(&mut conn)
            .await;
        r.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let errors = a.counts().errors;
    let r = timeout(Duration::from_secs(15), p.append("b".into()))
        .await
        .unwrap();
    assert_eq!(r.unwrap(), AppendOutcome::Appended);
    assert!(a.counts().errors > errors, "the first answer timed out");
    stall.await.unwrap();
    assert_eq!(p.append("c".into()).await.unwrap(), AppendOutcome::Appended);
    p.finish(DoneReason::Complete).await;
    // Any instance reads each token once, then done right after them.
    for side in [&b, &a] {
        let mut f = side.follow(&id, 0).await.unwrap().unwrap();
        let (got, end) = read_all(&mut f).await;
        assert_eq!(
            got,
            [(0, "a".into()), (1, "b".into()), (2, "c".into())],
            "no duplicate"
        );
        assert_eq!(
            end,
            LogRead::Done {
                reason: DoneReason::Complete,
                done_id: 3
            }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_503_for_new_streams_live_ones_end_with_an_error_then_it_reconnects() {
    let Some(mut redis) = support::RedisServer::start() else {
        return;
    };
    let cfg = ServerConfig::default();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let store = RedisStore::connect(&redis.url(), cfg.store_config())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        bases.push(format!("http://{}", listener.local_addr().unwrap()));
        let state = AppState::with_store(
            cfg.clone(),
            BuiltinGenerator::new(Duration::from_millis(20), 10_000),
            store,
        );
        tokio::spawn(serve(listener, state));
    }
    let (a, b) = (
        SseTokenClient::new(&bases[0]),
        SseTokenClient::new(&bases[1]),
    );
    assert_eq!(
        support::get_json(&format!("{}/healthz", bases[0])).await["status"],
        "ok"
    );
    // Two live streams generated on A: one read on A (mirror), one on B (Redis).
    let id = a.create("outage").await.unwrap();
    let (_, mut on_a) = a.events(&id, None).await.unwrap();
    let (_, mut on_b) = b.events(&id, None).await.unwrap();
    for items in [&mut on_a, &mut on_b] {
        let mut n = 0;
        while n < 3 {
            let it = timeout(T, items.next()).await.unwrap().unwrap().unwrap();
            if let Some(TokenEvent::Token { .. }) = sse_token_event(&it).unwrap() {
                n += 1;
            }
        }
    }
    redis.stop();
    // Both end with a clear error, then the body ends.
    for items in [&mut on_a, &mut on_b] {
        let mut error = None;
        loop {
            let it = timeout(T, items.next()).await.expect("ends in time");
            let Some(it) = it else { break };
            let it = it.unwrap();
            match sse_token_event(&it).unwrap() {
                Some(TokenEvent::Error { message }) => error = Some(message),
                Some(TokenEvent::Done { reason }) => {
                    assert_eq!(reason, "error");
                    // The done names the cause too.
                    let pushcodec::sse::SseItem::Event(ev) = &it else {
                        unreachable!()
                    };
                    error = Some(ev.data.to_string());
                }
                _ => {}
            }
        }
        let error = error.expect("an error before the end");
        assert!(error.contains("unavailable"), "{error}");
    }
    // New streams: 503 with the reason; health says so.
    let http = pushcodec_examples::http_client::HttpClient::new();
    let (st, body) = http
        .post_json(
            &format!("{}/api/streams", bases[1]),
            &serde_json::json!({"prompt": "x"}),
        )
        .await
        .unwrap();
    assert_eq!(st, 503, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("unavailable"),
        "{body}"
    );
    let (st, _) = b.events(&id, None).await.unwrap();
    assert_eq!(st, 503);
    let h = http
        .get_streaming(&format!("{}/healthz", bases[0]), &[])
        .await
        .unwrap();
    assert_eq!(h.status, 503);
    // /metrics counts the failed Redis requests.
    let m = http
        .get_streaming(&format!("{}/metrics", bases[0]), &[])
        .await
        .unwrap();
    let mut text = String::new();
    let mut body = m.body;
    tokio::io::AsyncReadExt::read_to_string(&mut body, &mut text)
        .await
        .unwrap();
    let errors: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("token_server_store_errors_total{store=\"redis\"} "))
        .unwrap_or_else(|| panic!("no store errors in\n{text}"))
        .parse()
        .unwrap();
    assert!(errors > 0, "{text}");
    // Redis back (empty): the servers reconnect by themselves.
    redis.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let h = http
            .get_streaming(&format!("{}/healthz", bases[1]), &[])
            .await
            .unwrap();
        if h.status == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reconnect to Redis"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let id = b.create("after the outage").await.unwrap();
    let (st, mut items) = a.events(&id, None).await.unwrap();
    assert_eq!(st, 200);
    let mut n = 0;
    while n < 3 {
        let it = timeout(T, items.next()).await.unwrap().unwrap().unwrap();
        if let Some(TokenEvent::Token { index, .. }) = sse_token_event(&it).unwrap() {
            assert_eq!(index, n);
            n += 1;
        }
    }
}
