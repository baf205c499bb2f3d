//! The listening socket of the example servers.

use std::io;
use tokio::net::{TcpListener, TcpSocket};

/// Accept queue length: a burst of connections (1,000 at once in the
/// hostile suite) must not overflow it. With tokio's `TcpListener::bind`
/// (1,024) an overflow drops a new client's SYN, and its connect then
/// waits for the retransmission a second later.
pub const BACKLOG: u32 = 4096;

/// Listens on `addr` (`host:port`, resolved; the first address that binds
/// wins) with an accept queue of [`BACKLOG`] and `SO_REUSEADDR`.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let l = pushcodec_examples::listen::listen("127.0.0.1:0").await.unwrap();
/// assert!(l.local_addr().unwrap().port() > 0);
/// # });
/// ```
pub async fn listen(addr: &str) -> io::Result<TcpListener> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: no address"));
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a) {
            Ok(()) => return socket.listen(BACKLOG),
            Err(e) => last = e,
        }
    }
    Err(last)
}
