//! Load generator for token-server: holds N concurrent token streams (half
//! WebSocket, half SSE by default) on pushcodec clients and reports streams
//! held, tokens/s, p50/p99 inter-token latency and the server's RSS per
//! stream.
//!
//! ```text
//! # each in a shell with a raised fd limit (the tool also raises its own
//! # soft limit to the hard limit):
//! ulimit -n 65536; token-server --addr 127.0.0.1:8001 --max-tokens 100000 &
//! ulimit -n 65536; token-load --streams 10000 --server-pid $!
//! ```
//!
//! Phases: connect every stream (at most `--connect-concurrency` handshakes
//! at once) and wait for its first token; measure for `--duration-secs`
//! (tokens received, gaps between consecutive tokens of one stream, the
//! server's `VmRSS` from `/proc/<pid>/status` before and after); then drop
//! every connection. Bounded in time and count; loopback only by default.
#![forbid(unsafe_code)]

use clap::Parser;
use futures_util::StreamExt;
use pushcodec_examples::client::{sse_token_event, SseTokenClient, TokenEvent, WsTokenClient};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

/// Hold N token streams against token-server and measure.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8001")]
    server: String,
    /// Concurrent streams in total.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Fraction of the streams that use SSE (the rest use WebSocket).
    #[arg(long, default_value_t = 0.5)]
    sse_share: f64,
    /// Seconds of measurement once every stream is connected.
    #[arg(long, default_value_t = 20)]
    duration_secs: u64,
    /// Handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 128)]
    connect_concurrency: usize,
    /// Give up connecting after this many seconds.
    #[arg(long, default_value_t = 120)]
    connect_timeout_secs: u64,
    /// Server process id, to read its RSS from `/proc/<pid>/status` and its
    /// CPU time; repeat it for several instances (their sums are reported).
    #[arg(long)]
    server_pid: Vec<u32>,
}

/// Shared counters of one run.
#[derive(Default)]
struct Stats {
    connected: AtomicUsize,
    failed: AtomicUsize,
    ended_early: AtomicUsize,
    tokens_in_window: AtomicU64,
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Connecting,
    Measuring,
    Stop,
}

/// CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`
/// (assumes the usual 100 clock ticks per second).
fn cpu_secs(pid: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at ") ".
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Receives tokens until told to stop; returns the gaps (µs) between
/// consecutive tokens seen while measuring.
async fn run_stream<F, Fut>(
    next: F,
    stats: Arc<Stats>,
    mut phase: watch::Receiver<Phase>,
    first: Arc<Semaphore>,
) -> Vec<u32>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<TokenEvent>>,
{
    let mut next = next;
    let mut gaps = Vec::new();
    let mut last: Option<Instant> = None;
    let mut released = false;
    loop {
        let ev = tokio::select! {
            ev = next() => ev,
            _ = phase.wait_for(|p| *p == Phase::Stop) => break,
        };
        match ev {
            Some(TokenEvent::Token { .. }) => {
                let now = Instant::now();
                if !released {
                    released = true;
                    first.add_permits(1);
                }
                if *phase.borrow() == Phase::Measuring {
                    stats.tokens_in_window.fetch_add(1, Relaxed);
                    if let Some(l) = last {
                        gaps.push((now - l).as_micros().min(u32::MAX as u128) as u32);
                    }
                }
                last = Some(now);
            }
            Some(_) | None => {
                stats.ended_early.fetch_add(1, Relaxed);
                break;
            }
        }
    }
    if !released {
        first.add_permits(1);
    }
    gaps
}

async fn ws_stream(
    addr: String,
    stats: Arc<Stats>,
    phase: watch::Receiver<Phase>,
    gate: Arc<Semaphore>,
    first: Arc<Semaphore>,
) -> Vec<u32> {
    let permit = gate.acquire_owned().await.unwrap();
    let mut c = match WsTokenClient::connect(&addr).await {
        Ok(c) => c,
        Err(e) => {
            stats.failed.fetch_add(1, Relaxed);
            first.add_permits(1);
            eprintln!("ws connect: {e}");
            return vec![];
        }
    };
    if c.prompt("load test").await.is_err() {
        stats.failed.fetch_add(1, Relaxed);
        first.add_permits(1);
        return vec![];
    }
    drop(permit);
    stats.connected.fetch_add(1, Relaxed);
    let c = tokio::sync::Mutex::new(c);
    run_stream(
        || async { c.lock().await.next_event().await.ok().flatten() },
        stats,
        phase,
        first,
    )
    .await
}

async fn sse_stream(
    client: SseTokenClient,
    stats: Arc<Stats>,
    phase: watch::Receiver<Phase>,
    gate: Arc<Semaphore>,
    first: Arc<Semaphore>,
) -> Vec<u32> {
    let permit = gate.acquire_owned().await.unwrap();
    let opened = async {
        let id = client.create("load test").await?;
        let (status, events) = client.events(&id, None).await?;
        Ok::<_, pushcodec_examples::client::ClientError>((status, events))
    }
    .await;
    let events = match opened {
        Ok((status, events)) if status.is_success() => events,
        other => {
            stats.failed.fetch_add(1, Relaxed);
            first.add_permits(1);
            if let Err(e) = other {
                eprintln!("sse open: {e}");
            }
            return vec![];
        }
    };
    drop(permit);
    stats.connected.fetch_add(1, Relaxed);
    let events = tokio::sync::Mutex::new(events);
    run_stream(
        || async {
            let mut ev = events.lock().await;
            loop {
                match ev.next().await {
                    Some(Ok(item)) => match sse_token_event(&item) {
                        Ok(Some(t)) => return Some(t),
                        Ok(None) => continue,
                        Err(_) => return None,
                    },
                    _ => return None,
                }
            }
        },
        stats,
        phase,
        first,
    )
    .await
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let fds = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    let need = args.streams as u64 * 2 + 64;
    if fds < need {
        eprintln!("token-load: fd limit {fds} < {need} needed; run `ulimit -n 65536` first (as root) or lower --streams");
    }
    let addr = args
        .server
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let n_sse = (args.streams as f64 * args.sse_share).round() as usize;
    let n_ws = args.streams - n_sse;
    let rss_all = |pids: &[u32]| -> Option<u64> {
        (!pids.is_empty()).then(|| pids.iter().map(|&p| rss_kib(p)).sum::<Option<u64>>())?
    };
    let cpu_all = |pids: &[u32]| -> Option<f64> {
        (!pids.is_empty()).then(|| {
            pids.iter()
                .map(|p| cpu_secs(&p.to_string()))
                .sum::<Option<f64>>()
        })?
    };
    let rss_before = rss_all(&args.server_pid);

    let stats = Arc::new(Stats::default());
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let gate = Arc::new(Semaphore::new(args.connect_concurrency));
    let first = Arc::new(Semaphore::new(0));
    let sse_client = SseTokenClient::new(&args.server);
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(args.streams);
    for i in 0..args.streams {
        let (stats, phase, gate, first) =
            (stats.clone(), phase_rx.clone(), gate.clone(), first.clone());
        // Spread the SSE streams evenly among the WebSocket ones.
        let is_sse = (i + 1) * n_sse / args.streams > i * n_sse / args.streams;
        tasks.push(if is_sse {
            tokio::spawn(sse_stream(sse_client.clone(), stats, phase, gate, first))
        } else {
            tokio::spawn(ws_stream(addr.clone(), stats, phase, gate, first))
        });
    }
    // Every stream connected and saw its first token (or failed).
    let all_first = tokio::time::timeout(
        Duration::from_secs(args.connect_timeout_secs),
        first.acquire_many(args.streams as u32),
    )
    .await;
    let connect_s = t0.elapsed().as_secs_f64();
    if all_first.is_err() {
        eprintln!(
            "token-load: not every stream started within {}s",
            args.connect_timeout_secs
        );
    }
    let held_at_start = stats.connected.load(Relaxed) - stats.ended_early.load(Relaxed);
    let cpu0 = (cpu_all(&args.server_pid), cpu_secs("self"));
    let _ = phase_tx.send(Phase::Measuring);
    let tm = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration_secs)).await;
    let window = tm.elapsed().as_secs_f64();
    let tokens = stats.tokens_in_window.load(Relaxed);
    let held_at_end = stats.connected.load(Relaxed) - stats.ended_early.load(Relaxed);
    let rss_after = rss_all(&args.server_pid);
    let cpu1 = (cpu_all(&args.server_pid), cpu_secs("self"));
    let busy = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (b - a) / window * 100.0,
        _ => f64::NAN,
    };
    let (server_cpu, client_cpu) = (busy(cpu0.0, cpu1.0), busy(cpu0.1, cpu1.1));
    let _ = phase_tx.send(Phase::Stop);
    let mut gaps = Vec::new();
    for t in tasks {
        if let Ok(Ok(g)) = tokio::time::timeout(Duration::from_secs(10), t).await {
            gaps.extend(g);
        }
    }
    gaps.sort_unstable();
    let (p50, p99, max) = (pct(&gaps, 0.5), pct(&gaps, 0.99), pct(&gaps, 1.0));
    let rss_per = match (rss_before, rss_after) {
        (Some(b), Some(a)) if held_at_end > 0 => {
            format!(
                "{:.1} KiB",
                (a.saturating_sub(b)) as f64 / held_at_end as f64
            )
        }
        _ => "n/a (no --server-pid)".into(),
    };
    println!(
        "token-load: {} streams requested ({n_ws} WebSocket, {n_sse} SSE), fd limit {fds}",
        args.streams
    );
    println!("  connected {} (failed {}) in {connect_s:.1} s; held at start of window {held_at_start}, at end {held_at_end}", stats.connected.load(Relaxed), stats.failed.load(Relaxed));
    println!(
        "  window {window:.1} s: {tokens} tokens = {:.0} tokens/s ({:.1} per stream per s)",
        tokens as f64 / window,
        tokens as f64 / window / held_at_end.max(1) as f64
    );
    println!(
        "  inter-token gap: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms ({} gaps)",
        gaps.len()
    );
    println!("  CPU during the window: server {server_cpu:.0} %, token-load {client_cpu:.0} % (of one core; 2 cores here)");
    println!(
        "  server RSS: before {} KiB, after {} KiB, {rss_per} per held stream",
        rss_before.map_or("?".into(), |v| v.to_string()),
        rss_after.map_or("?".into(), |v| v.to_string())
    );
    println!(
        "{}",
        serde_json::json!({
            "streams": args.streams, "ws": n_ws, "sse": n_sse,
            "connected": stats.connected.load(Relaxed), "failed": stats.failed.load(Relaxed),
            "held_at_end": held_at_end, "connect_s": connect_s, "window_s": window,
            "tokens_per_s": tokens as f64 / window, "p50_ms": p50, "p99_ms": p99, "max_ms": max,
            "rss_before_kib": rss_before, "rss_after_kib": rss_after,
            "server_cpu_pct": server_cpu, "client_cpu_pct": client_cpu,
        })
    );
    Ok(())
}
