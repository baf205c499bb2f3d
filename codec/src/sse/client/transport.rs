//! [`Client`]: the HTTP/1.1 client under every
//! [`EventSource`](super::EventSource): hyper-util's pooled client over
//! hyper 1, HTTPS through rustls with the ring provider.
//!
//! ## Trusted roots
//!
//! By default the Mozilla root program's certificates, compiled in
//! (`webpki-roots`): the same roots on every machine, including minimal
//! containers that ship no CA bundle, and no dependency on the platform's
//! certificate store or its format. What this does not cover — a
//! corporate CA, a private model server, a test certificate — is one
//! [`ClientBuilder::root_store`] away (load the platform's store with
//! `rustls-native-certs` into a `RootCertStore` if that is what you want),
//! and [`ClientBuilder::tls_config`] takes a complete rustls `ClientConfig`
//! (client certificates, custom verifiers).

use super::error::BuildError;
use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::{ClientConfig, RootCertStore};
use std::sync::Arc;
use std::time::Duration;

type Inner = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An HTTP/1.1 + HTTPS client for event streams; cheap to clone (clones
/// share one connection pool and TLS session cache). Give one to many
/// [`EventSource`](super::EventSource)s with
/// [`EventSourceBuilder::client`](super::EventSourceBuilder::client).
///
/// ```
/// let client = pushcodec::sse::client::Client::new(); // webpki roots
/// let es = pushcodec::sse::client::EventSource::builder("https://example.com/events")
///     .client(client.clone())
///     .build()
///     .unwrap();
/// # drop(es);
/// ```
#[derive(Clone)]
pub struct Client {
    pub(super) inner: Inner,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client trusting the webpki (Mozilla) roots.
    ///
    /// ```
    /// let _client = pushcodec::sse::client::Client::new();
    /// ```
    pub fn new() -> Self {
        Client::from_tls_config(default_tls_config(webpki_root_store()))
    }

    /// A builder, to trust other roots or bring a rustls configuration.
    ///
    /// ```
    /// let client = pushcodec::sse::client::Client::builder()
    ///     .root_store(rustls::RootCertStore::empty())
    ///     .build();
    /// # drop(client);
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            tls: TlsChoice::WebpkiRoots,
        }
    }

    fn from_tls_config(tls: Result<ClientConfig, rustls::Error>) -> Self {
        match tls {
            Ok(tls) => Client::with_config(tls),
            // ring implements every protocol version of rustls's safe defaults.
            Err(e) => unreachable!("the ring provider supports TLS 1.2 and 1.3: {e}"),
        }
    }

    fn with_config(tls: ClientConfig) -> Self {
        let mut http = HttpConnector::new();
        // The scheme is the HTTPS connector's to check.
        http.enforce_http(false);
        http.set_nodelay(true);
        // Half-open connections of idle streams are found by the kernel.
        http.set_keepalive(Some(Duration::from_secs(60)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        // Idle pooled connections are closed after 90 s (the timer makes the
        // pool's idle timeout effective).
        let inner = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(https);
        Client { inner }
    }
}

/// Builder of a [`Client`].
///
/// ```
/// use pushcodec::sse::client::Client;
/// let mut roots = rustls::RootCertStore::empty();
/// // roots.add(cert_der)?;  a private CA, a test certificate
/// let client: Client = Client::builder().root_store(roots).build().unwrap();
/// # drop(client);
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    tls: TlsChoice,
}

#[derive(Debug)]
enum TlsChoice {
    WebpkiRoots,
    Roots(RootCertStore),
    Config(Box<ClientConfig>),
}

impl ClientBuilder {
    /// Trust exactly these roots (instead of the webpki roots).
    ///
    /// ```
    /// let b = pushcodec::sse::client::Client::builder().root_store(rustls::RootCertStore::empty());
    /// # drop(b);
    /// ```
    pub fn root_store(mut self, roots: RootCertStore) -> Self {
        self.tls = TlsChoice::Roots(roots);
        self
    }

    /// Use this rustls configuration as is (its ALPN protocols are set to
    /// HTTP/1.1 by the connector).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(rustls::RootCertStore::empty())
    ///     .with_no_client_auth();
    /// let b = pushcodec::sse::client::Client::builder().tls_config(tls);
    /// # drop(b);
    /// ```
    pub fn tls_config(mut self, config: ClientConfig) -> Self {
        self.tls = TlsChoice::Config(Box::new(config));
        self
    }

    /// Builds the client.
    ///
    /// ```
    /// let client = pushcodec::sse::client::Client::builder().build().unwrap();
    /// # drop(client);
    /// ```
    pub fn build(self) -> Result<Client, BuildError> {
        let tls = match self.tls {
            TlsChoice::WebpkiRoots => default_tls_config(webpki_root_store()),
            TlsChoice::Roots(roots) => default_tls_config(roots),
            TlsChoice::Config(config) => Ok(*config),
        }
        .map_err(BuildError::Tls)?;
        Ok(Client::with_config(tls))
    }
}

/// The webpki (Mozilla) roots as a rustls root store.
fn webpki_root_store() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// TLS 1.2 and 1.3 with the ring provider (no C toolchain beyond a C
/// compiler for ring's assembly; no aws-lc), trusting `roots`.
fn default_tls_config(roots: RootCertStore) -> Result<ClientConfig, rustls::Error> {
    Ok(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}
