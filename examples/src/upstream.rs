//! [`OpenAiUpstream`]: relays an OpenAI-compatible `/v1/chat/completions`
//! stream as tokens.
//!
//! The request is a POST with `"stream": true`; the upstream answers with
//! Server-Sent Events, `data: {json}` per chunk and a final `data: [DONE]`,
//! read with pushcodec's [`EventSource`] client (feature `client`):
//! `http://` or `https://` (rustls, webpki roots by default; a private CA
//! with [`OpenAiUpstream::with_client`]), connect and read timeouts, bodies
//! through `SseDecoder` with its limits, and no reconnect (a repeated POST
//! would run the generation again). Each chunk's `choices[0].delta.content`
//! is one token. Dropping the [`TokenStream`] (Stop, or the client going
//! away) drops the response body, which closes the upstream connection, so
//! the upstream stops generating too.
//!
//! The API key is read from the environment variable named by
//! `--upstream-key-env` (default `OPENAI_API_KEY`) and sent as
//! `Authorization: Bearer …`.

use crate::tokens::{TokenError, TokenSource, TokenStream};
use futures_util::{stream, StreamExt};
use http::{Method, Uri};
use pushcodec::sse::client::{Client, EventSource};
use pushcodec::sse::SseItem;
use std::time::Duration;

/// How long the upstream may stay silent mid-answer before the relay gives
/// up (models that think before answering can take a while).
pub const UPSTREAM_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A bad `--upstream` URL.
#[derive(Debug, thiserror::Error)]
#[error("bad upstream URL {url:?}: {why}")]
pub struct BadUpstreamUrl {
    /// The URL given.
    pub url: String,
    /// What is wrong with it.
    pub why: String,
}

/// An OpenAI-compatible chat-completions upstream.
///
/// ```
/// let up = pushcodec_examples::upstream::OpenAiUpstream::new("https://api.openai.com", None, "gpt-4o-mini").unwrap();
/// assert_eq!(up.url().to_string(), "https://api.openai.com/v1/chat/completions");
/// ```
#[derive(Clone)]
pub struct OpenAiUpstream {
    url: Uri,
    api_key: Option<String>,
    model: String,
    client: Client,
}

impl OpenAiUpstream {
    /// `base` is either the full completions URL or a base URL
    /// (`https://host` or `http://host:port/`), to which
    /// `/v1/chat/completions` is appended.
    pub fn new(base: &str, api_key: Option<String>, model: &str) -> Result<Self, BadUpstreamUrl> {
        let bad = |why: String| BadUpstreamUrl {
            url: base.to_string(),
            why,
        };
        let mut url: Uri = base
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(e.to_string()))?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.authority().is_none() {
            return Err(bad("expected http://host[:port][/path] or https://…".into()));
        }
        if url.path() == "/" || url.path().is_empty() {
            let full = format!("{}/v1/chat/completions", base.trim_end_matches('/'));
            url = full
                .parse()
                .map_err(|e: http::uri::InvalidUri| bad(e.to_string()))?;
        }
        Ok(OpenAiUpstream {
            url,
            api_key,
            model: model.to_string(),
            client: Client::new(),
        })
    }

    /// Uses `client` for the requests, e.g. one that trusts a private CA.
    pub fn with_client(mut self, client: Client) -> Self {
        self.client = client;
        self
    }

    /// The completions URL requests go to.
    pub fn url(&self) -> &Uri {
        &self.url
    }
}

/// What one `data:` payload of the upstream stream means.
#[derive(Debug, PartialEq)]
pub enum UpstreamChunk {
    /// A piece of text (may be empty: role-only or finish chunks).
    Text(String),
    /// `[DONE]`: the stream is complete.
    Done,
    /// The upstream reported an error object.
    Error(String),
}

/// Interprets one `data:` payload of an OpenAI-compatible stream.
///
/// ```
/// use pushcodec_examples::upstream::{parse_chunk, UpstreamChunk};
/// let c = parse_chunk(r#"{"choices":[{"delta":{"content":" hi"}}]}"#);
/// assert_eq!(c, UpstreamChunk::Text(" hi".into()));
/// assert_eq!(parse_chunk("[DONE]"), UpstreamChunk::Done);
/// ```
pub fn parse_chunk(data: &str) -> UpstreamChunk {
    if data.trim() == "[DONE]" {
        return UpstreamChunk::Done;
    }
    let v: serde_json::Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => return UpstreamChunk::Error(format!("chunk is not JSON ({e}): {data:.80}")),
    };
    if let Some(err) = v.get("error") {
        let msg = err
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| err.to_string());
        return UpstreamChunk::Error(msg);
    }
    let text = v
        .pointer("/choices/0/delta/content")
        .and_then(|c| c.as_str())
        .unwrap_or("");
    UpstreamChunk::Text(text.to_string())
}

impl TokenSource for OpenAiUpstream {
    fn start(&self, prompt: &str) -> TokenStream {
        let body = serde_json::json!({
            "model": self.model,
            "stream": true,
            "messages": [{"role": "user", "content": prompt}],
        });
        let mut request = EventSource::builder(&self.url.to_string())
            .client(self.client.clone())
            .method(Method::POST)
            .header("content-type", "application/json")
            .read_timeout(Some(UPSTREAM_READ_TIMEOUT))
            .body(body.to_string());
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let events = match request.build() {
            Ok(events) => events,
            Err(e) => return stream::iter([Err(TokenError::Upstream(e.to_string()))]).boxed(),
        };
        let url = self.url.clone();
        events
            .filter_map(move |item| {
                let url = url.clone();
                async move {
                    match item {
                        Ok(SseItem::Event(ev)) => match parse_chunk(&ev.data) {
                            UpstreamChunk::Text(t) if t.is_empty() => None,
                            UpstreamChunk::Text(t) => Some(Ok(Some(t))),
                            UpstreamChunk::Done => Some(Ok(None)),
                            UpstreamChunk::Error(e) => Some(Err(TokenError::Upstream(e))),
                        },
                        Ok(_) => None,
                        Err(e) => Some(Err(TokenError::Upstream(format!("{url}: {e}")))),
                    }
                }
            })
            // `[DONE]` (Ok(None)) ends the stream; so does the first error.
            .scan(false, |failed, item| {
                let out = match item {
                    _ if *failed => None,
                    Ok(Some(t)) => Some(Ok(t)),
                    Ok(None) => None,
                    Err(e) => {
                        *failed = true;
                        Some(Err(e))
                    }
                };
                futures_util::future::ready(out)
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_the_completions_path() {
        let up = OpenAiUpstream::new("http://127.0.0.1:9/", None, "m").unwrap();
        assert_eq!(
            up.url().to_string(),
            "http://127.0.0.1:9/v1/chat/completions"
        );
        let up = OpenAiUpstream::new("http://127.0.0.1:9/custom/path", None, "m").unwrap();
        assert_eq!(up.url().path(), "/custom/path");
        let up = OpenAiUpstream::new("https://api.example", None, "m").unwrap();
        assert_eq!(
            up.url().to_string(),
            "https://api.example/v1/chat/completions"
        );
        assert!(OpenAiUpstream::new("ftp://x/", None, "m").is_err());
    }

    #[test]
    fn chunks_are_interpreted() {
        assert_eq!(
            parse_chunk(r#"{"choices":[{"delta":{"role":"assistant"}}]}"#),
            UpstreamChunk::Text(String::new())
        );
        assert_eq!(
            parse_chunk(r#"{"error":{"message":"quota"}}"#),
            UpstreamChunk::Error("quota".into())
        );
        assert!(matches!(parse_chunk("{oops"), UpstreamChunk::Error(_)));
    }
}
