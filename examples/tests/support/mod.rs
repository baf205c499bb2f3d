//! Real parts for the tests, started on loopback ports and stopped by the
//! test: `redis-server`, `nginx`, `token-server` processes.
//!
//! A missing `redis-server` or `nginx` skips the test outside CI (the
//! README's `cargo test` needs nothing installed) and fails it under
//! `CI=true` (`.ci/run` installs both).
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `Some(())` if `what` can run; otherwise skips (prints why) or, in CI, panics.
pub fn require(what: &str, present: bool) -> Option<()> {
    if present {
        return Some(());
    }
    if in_ci() {
        panic!("{what} is not installed (CI=true: .ci/run installs it)");
    }
    eprintln!("SKIP: {what} is not installed (under CI=true this fails)");
    None
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn scratch_dir(what: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "pushcodec-{what}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Waits until `addr` accepts TCP connections.
pub fn wait_listening(addr: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "{addr} did not start listening within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `redis-server` of the test's own (no persistence), stopped on drop.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts one, or `None` when redis-server is missing outside CI.
    pub fn start() -> Option<RedisServer> {
        require("redis-server", have("redis-server", "--version"))?;
        let mut r = RedisServer {
            child: None,
            port: free_port(),
            dir: scratch_dir("redis"),
        };
        r.spawn();
        Some(r)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            // DEBUG SLEEP (a stalled Redis) from loopback only.
            .args(["--enable-debug-command", "local"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        wait_listening(&self.addr(), Duration::from_secs(10));
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (SIGKILL: an outage, not a clean shutdown).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port (empty: no persistence).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// nginx with `examples/nginx-cluster.conf`, load-balancing `upstreams`.
pub struct Nginx {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Nginx {
    pub fn start(upstreams: &[String]) -> Option<Nginx> {
        let bin = ["/usr/sbin/nginx", "nginx"]
            .into_iter()
            .find(|b| have(b, "-v"))
            .map(str::to_string);
        require("nginx", bin.is_some())?;
        let dir = scratch_dir("nginx");
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let port = free_port();
        let conf = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("nginx-cluster.conf"),
        )
        .unwrap();
        let servers: String = upstreams
            .iter()
            .map(|u| format!("        server {u} max_fails=3 fail_timeout=2s;\n"))
            .collect();
        let conf = conf
            .replace("        server 127.0.0.1:8001 max_fails=3 fail_timeout=2s;\n        server 127.0.0.1:8002 max_fails=3 fail_timeout=2s;\n", &servers)
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
        assert!(
            conf.contains(&servers),
            "nginx-cluster.conf upstream block changed"
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new(bin.unwrap())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn nginx");
        wait_listening(&format!("127.0.0.1:{port}"), Duration::from_secs(10));
        Some(Nginx { child, port, dir })
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would orphan them).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `token-server` process (the binary cargo built for these tests).
pub struct Instance {
    child: Option<Child>,
    pub port: u16,
    args: Vec<String>,
}

impl Instance {
    pub fn start(port: u16, args: &[&str]) -> Instance {
        let mut i = Instance {
            child: None,
            port,
            args: args.iter().map(|s| s.to_string()).collect(),
        };
        i.spawn();
        i
    }

    pub fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_token-server"))
            .arg("--addr")
            .arg(self.addr())
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("warn".into()),
            )
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn token-server");
        self.child = Some(child);
        wait_listening(&self.addr(), Duration::from_secs(20));
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr())
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        self.signal("-KILL");
        let _ = self.child.take().unwrap().wait();
    }

    /// SIGTERM, then waits for the process to exit (bounded).
    pub fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        self.signal("-TERM");
        let mut c = self.child.take().unwrap();
        let deadline = Instant::now() + within;
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!("token-server did not exit within {within:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM without waiting.
    pub fn term_nowait(&self) {
        self.signal("-TERM");
    }

    /// Waits for the exit after [`term_nowait`](Self::term_nowait).
    pub async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        let mut c = self.child.take().unwrap();
        let deadline = Instant::now() + within;
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!("token-server did not exit within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// GET `url` and parse the JSON body.
pub async fn get_json(url: &str) -> serde_json::Value {
    use tokio::io::AsyncReadExt;
    let resp = pushcodec_examples::http_client::HttpClient::new()
        .get_streaming(url, &[])
        .await
        .unwrap();
    let mut body = String::new();
    let mut r = resp.body;
    tokio::time::timeout(Duration::from_secs(10), r.read_to_string(&mut body))
        .await
        .unwrap()
        .unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}
