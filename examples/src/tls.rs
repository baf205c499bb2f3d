//! Trusted roots from a PEM file, for `--ca-cert` / `--upstream-ca-cert`
//! (a private CA, a self-signed model server, a test certificate).

use pushcodec::sse::client::rustls::pki_types::{pem::PemObject, CertificateDer};
use pushcodec::sse::client::rustls::RootCertStore;
use pushcodec::sse::client::Client;

/// A client trusting exactly the certificates in the PEM file at `path`
/// (instead of the built-in webpki roots).
pub fn client_trusting(path: &str) -> Result<Client, String> {
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| format!("{path}: {e}"))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("{path}: {e}"))?;
        roots.add(cert).map_err(|e| format!("{path}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{path}: no certificate found"));
    }
    Client::builder()
        .root_store(roots)
        .build()
        .map_err(|e| e.to_string())
}
