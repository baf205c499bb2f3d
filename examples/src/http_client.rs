//! A minimal HTTP/1.1 client for the examples (hyper-util's client over plain
//! TCP): JSON POSTs and streaming GETs whose body is read as an `AsyncRead`,
//! ready for `FramedRead::new(body, SseDecoder::new())`.
//!
//! Plain `http://` only: `token-client` and `token-load` talk to the token
//! server on loopback. HTTPS event streams (`--upstream https://…`,
//! `sse-client`) go through pushcodec's own `sse::client` instead.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::{HeaderMap, Request, StatusCode, Uri};
use http_body_util::{BodyExt, BodyStream, Full, Limited};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::io;
use tokio::io::AsyncRead;
use tokio_util::io::StreamReader;

/// Errors of [`HttpClient`].
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL could not be parsed or is not `http://`.
    #[error("bad URL {url:?}: {why}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// Connecting or exchanging the request failed.
    #[error("request to {url} failed: {source}")]
    Request {
        /// The URL requested.
        url: String,
        /// The underlying error.
        source: hyper_util::client::legacy::Error,
    },
    /// Reading the response body failed, or it exceeded the JSON limit.
    #[error("reading the response body of {url} failed: {source}")]
    Body {
        /// The URL requested.
        url: String,
        /// The underlying error (I/O, or "length limit exceeded").
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Largest JSON answer [`HttpClient::post_json`] reads (the server's answers
/// are a few hundred bytes; this keeps a wrong server from filling memory).
pub const MAX_JSON_BODY: usize = 1 << 20;

/// A cloneable HTTP/1.1 client (connection pool inside).
///
/// ```no_run
/// # async fn demo() -> Result<(), pushcodec_examples::http_client::HttpError> {
/// let c = pushcodec_examples::http_client::HttpClient::new();
/// let (status, json) = c.post_json("http://127.0.0.1:8001/api/streams", &serde_json::json!({"prompt": "hi"})).await?;
/// println!("{status} {json}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<HttpConnector, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

/// A streaming response: status, headers and the body as an `AsyncRead`.
pub struct StreamingResponse {
    /// The response status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, read as it arrives. Dropping it closes the connection.
    pub body: Box<dyn AsyncRead + Send + Unpin>,
}

/// Parses and checks an `http://` URL.
///
/// ```
/// assert!(pushcodec_examples::http_client::parse_url("http://127.0.0.1:1/x").is_ok());
/// assert!(pushcodec_examples::http_client::parse_url("https://example.com/").is_err());
/// ```
pub fn parse_url(url: &str) -> Result<Uri, HttpError> {
    let uri: Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| HttpError::BadUrl {
            url: url.to_string(),
            why: e.to_string(),
        })?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(HttpError::BadUrl {
            url: url.to_string(),
            why: "only http://host:port/... URLs are supported here".into(),
        });
    }
    Ok(uri)
}

impl HttpClient {
    /// A new client with its own connection pool.
    ///
    /// ```
    /// let _c = pushcodec_examples::http_client::HttpClient::new();
    /// ```
    pub fn new() -> Self {
        HttpClient {
            inner: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// POSTs `body` as JSON and returns the status and the parsed JSON answer
    /// (`null` if the answer is empty or not JSON).
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<(StatusCode, serde_json::Value), HttpError> {
        let uri = parse_url(url)?;
        let req = Request::post(uri)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request built from a checked URI is valid");
        let resp = self
            .inner
            .request(req)
            .await
            .map_err(|source| HttpError::Request {
                url: url.to_string(),
                source,
            })?;
        let status = resp.status();
        let bytes = Limited::new(resp.into_body(), MAX_JSON_BODY)
            .collect()
            .await
            .map_err(|source| HttpError::Body {
                url: url.to_string(),
                source,
            })?
            .to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Ok((status, json))
    }

    /// Sends `req` and returns the response with its body as a stream of
    /// bytes, read lazily.
    pub async fn send_streaming(
        &self,
        req: Request<Full<Bytes>>,
    ) -> Result<StreamingResponse, HttpError> {
        let url = req.uri().to_string();
        let resp = self
            .inner
            .request(req)
            .await
            .map_err(|source| HttpError::Request { url, source })?;
        let (parts, body) = resp.into_parts();
        let data = BodyStream::new(body).filter_map(|frame| async move {
            match frame {
                Ok(frame) => frame.into_data().ok().map(Ok::<Bytes, io::Error>),
                Err(e) => Some(Err(io::Error::other(e))),
            }
        });
        Ok(StreamingResponse {
            status: parts.status,
            headers: parts.headers,
            body: Box::new(StreamReader::new(
                Box::pin(data) as std::pin::Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>
            )),
        })
    }

    /// GETs `url` with extra `headers` and returns the streaming response.
    pub async fn get_streaming(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<StreamingResponse, HttpError> {
        let uri = parse_url(url)?;
        let mut req = Request::get(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(Bytes::new()))
            .map_err(|e| HttpError::BadUrl {
                url: url.to_string(),
                why: format!("bad header: {e}"),
            })?;
        self.send_streaming(req).await
    }
}
