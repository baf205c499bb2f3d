//! [`OpenAiUpstream`]: relays an OpenAI-compatible `/v1/chat/completions`
//! stream as tokens.
//!
//! The upstream answers with Server-Sent Events, `data: {json}` per chunk and
//! a final `data: [DONE]`; they are parsed with pushcodec's own
//! [`SseDecoder`]. Each chunk's
//! `choices[0].delta.content` is one token. Dropping the [`TokenStream`] (Stop,
//! or the client going away) drops the response body, which closes the
//! upstream connection, so the upstream stops generating too.
//!
//! The API key is read from the environment variable named by
//! `--upstream-key-env` (default `OPENAI_API_KEY`) and sent as
//! `Authorization: Bearer …`. Plain `http://` only (see
//! [`crate::http_client`]).

use crate::http_client::{parse_url, HttpClient, HttpError};
use crate::tokens::{TokenError, TokenSource, TokenStream};
use bytes::Bytes;
use futures_util::{stream, StreamExt};
use http::Uri;
use http_body_util::Full;
use pushcodec::sse::{SseDecoder, SseItem};
use tokio_util::codec::FramedRead;

/// An OpenAI-compatible chat-completions upstream.
///
/// ```
/// let up = pushcodec_examples::upstream::OpenAiUpstream::new("http://127.0.0.1:8080", None, "gpt-4o-mini").unwrap();
/// assert_eq!(up.url().path(), "/v1/chat/completions");
/// ```
#[derive(Clone)]
pub struct OpenAiUpstream {
    url: Uri,
    api_key: Option<String>,
    model: String,
    client: HttpClient,
}

impl OpenAiUpstream {
    /// `base` is either the full completions URL or a base URL (`http://host:port`
    /// or `http://host:port/`), to which `/v1/chat/completions` is appended.
    pub fn new(base: &str, api_key: Option<String>, model: &str) -> Result<Self, HttpError> {
        let mut uri = parse_url(base)?;
        if uri.path() == "/" || uri.path().is_empty() {
            uri = parse_url(&format!(
                "{}/v1/chat/completions",
                base.trim_end_matches('/')
            ))?;
        }
        Ok(OpenAiUpstream {
            url: uri,
            api_key,
            model: model.to_string(),
            client: HttpClient::new(),
        })
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
        let mut req = http::Request::post(self.url.clone())
            .header("content-type", "application/json")
            .header("accept", "text/event-stream");
        if let Some(key) = &self.api_key {
            req = req.header("authorization", format!("Bearer {key}"));
        }
        let req = req.body(Full::new(Bytes::from(body.to_string())));
        let client = self.client.clone();
        let url = self.url.to_string();
        let open = async move {
            let req = req.map_err(|e| TokenError::Upstream(format!("bad request: {e}")))?;
            let resp = client
                .send_streaming(req)
                .await
                .map_err(|e| TokenError::Upstream(e.to_string()))?;
            if !resp.status.is_success() {
                return Err(TokenError::Upstream(format!(
                    "{url} answered {}",
                    resp.status
                )));
            }
            Ok(FramedRead::new(resp.body, SseDecoder::new()))
        };
        stream::once(open)
            .map(|opened| match opened {
                Err(e) => stream::iter([Err(e)]).boxed(),
                Ok(events) => events
                    .filter_map(|item| async move {
                        match item {
                            Ok(SseItem::Event(ev)) => match parse_chunk(&ev.data) {
                                UpstreamChunk::Text(t) if t.is_empty() => None,
                                UpstreamChunk::Text(t) => Some(Ok(Some(t))),
                                UpstreamChunk::Done => Some(Ok(None)),
                                UpstreamChunk::Error(e) => Some(Err(TokenError::Upstream(e))),
                            },
                            Ok(_) => None,
                            Err(e) => {
                                Some(Err(TokenError::Upstream(format!("bad event stream: {e}"))))
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
                    .boxed(),
            })
            .flatten()
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
