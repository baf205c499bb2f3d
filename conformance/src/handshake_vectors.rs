//! Running handshake vectors (RFC 6455 §1.3, §4.2).

use crate::schema::Vector;

/// Runs one `handshake` vector.
pub fn run_handshake_vector(_v: &Vector) -> Vec<String> {
    vec!["handshake vectors are not wired to the codec yet".into()]
}

/// Runs one `accept_key` vector.
pub fn run_accept_key_vector(_v: &Vector) -> Vec<String> {
    vec!["accept-key vectors are not wired to the codec yet".into()]
}
