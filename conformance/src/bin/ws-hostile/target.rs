//! What is attacked: the target server process (started fresh per case on
//! `127.0.0.1:0`, its address read from its log, killed when dropped) and
//! its RSS.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Echo,
    TokenServer,
}

impl Kind {
    /// The target's `max_message_size` as started here (ws-echo's default,
    /// the token server's `ServerConfig::max_ws_message`).
    pub(crate) fn max_message(self) -> u64 {
        match self {
            Kind::Echo => 64 * MIB,
            Kind::TokenServer => 64 * 1024,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Echo => "ws-echo",
            Kind::TokenServer => "token-server /ws",
        }
    }
    pub(crate) fn path(self) -> &'static str {
        match self {
            Kind::Echo => "/",
            Kind::TokenServer => "/ws",
        }
    }
}

pub(crate) struct Target {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Target {
    pub(crate) fn start(kind: Kind, bin_dir: &str) -> Result<Target, String> {
        let mut cmd = match kind {
            Kind::Echo => {
                let mut c = Command::new(format!("{bin_dir}/ws-echo"));
                // Short time bounds, so that the cases can watch them act.
                c.args([
                    "--addr",
                    "127.0.0.1:0",
                    "--handshake-timeout-ms",
                    "2000",
                    "--keep-alive-ms",
                    "1000",
                    "--keep-alive-timeout-ms",
                    "1000",
                    "--send-timeout-ms",
                    "2000",
                    "--close-timeout-ms",
                    "1000",
                ]);
                c
            }
            Kind::TokenServer => {
                let mut c = Command::new(format!("{bin_dir}/token-server"));
                c.args(["--addr", "127.0.0.1:0", "--token-delay-ms", "1"]);
                c
            }
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", kind.name()))?;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                if let Some(i) = line.find("listening on ") {
                    let rest = &line[i + "listening on ".len()..];
                    let addr = rest
                        .trim_start_matches("ws://")
                        .trim_start_matches("http://")
                        .split_whitespace()
                        .next()
                        .unwrap_or("");
                    if let Ok(addr) = addr.parse() {
                        return Ok(Target { child, addr });
                    }
                }
            }
        }
        Err(format!("{} did not report its address", kind.name()))
    }

    pub(crate) fn rss(&self) -> u64 {
        rss_of(self.child.id())
    }
}

pub(crate) fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
