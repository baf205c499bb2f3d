//! The token server's end-to-end tests (`token_server.rs`) on the Redis
//! store: every test starts its own `redis-server` on a loopback port.
//! Skipped (with a message) outside CI when `redis-server` is missing.

#[path = "token_server.rs"]
mod cases;

pub use cases::Store;

pub const STORE: Store = Store::Redis;
