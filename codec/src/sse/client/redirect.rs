//! Redirects, followed as `fetch` follows them for an `EventSource` (HTML
//! §9.2.2 fetches the request with redirect mode "follow"; Fetch §4.4
//! "HTTP-redirect fetch"): at most [`MAX_REDIRECTS`] per attempt; 303, and
//! 301/302 after a POST, turn the request into a body-less GET; a redirect
//! to another origin drops `Authorization`. Reconnects start again from
//! the original URL (the event source's request).

use super::event_source::RequestTemplate;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode, Uri};

/// Redirects followed per attempt (fetch allows 20; 10 is plenty).
///
/// ```
/// // One more redirect in one attempt fails it with `Error::Redirect`.
/// assert_eq!(pushcodec::sse::client::MAX_REDIRECTS, 10);
/// ```
pub const MAX_REDIRECTS: u32 = 10;

/// Whether `status` is a redirect to follow.
pub(super) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The request to send after a redirect `status` with `location` to
/// `current`, or why it cannot be followed.
pub(super) fn follow(
    current: &RequestTemplate,
    status: StatusCode,
    location: Option<&HeaderValue>,
) -> Result<RequestTemplate, &'static str> {
    let location = location
        .ok_or("no Location header")?
        .to_str()
        .map_err(|_| "the Location header is not visible ASCII")?;
    let uri = resolve(&current.uri, location).ok_or("the Location is not a usable http(s) URL")?;
    let mut next = current.clone();
    let to_get = status == StatusCode::SEE_OTHER && current.method != Method::HEAD
        || matches!(status.as_u16(), 301 | 302) && current.method == Method::POST;
    if to_get {
        next.method = Method::GET;
        next.body = Bytes::new();
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
            header::CONTENT_LANGUAGE,
        ] {
            next.headers.remove(name);
        }
    }
    if origin(&uri) != origin(&current.uri) {
        next.headers.remove(header::AUTHORIZATION);
    }
    next.uri = uri;
    Ok(next)
}

/// (scheme, host, port) with the scheme's default port filled in.
fn origin(uri: &Uri) -> (Option<&str>, Option<&str>, Option<u16>) {
    let scheme = uri.scheme_str();
    let port = uri.port_u16().or(match scheme {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    });
    (scheme, uri.host(), port)
}

/// `location` resolved against `base` (RFC 3986 §5.2, without dot-segment
/// removal: absolute URLs, `//authority/…`, `/path` and `path` references).
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    let text = if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else if location.starts_with('?') {
        format!("{scheme}://{authority}{}{location}", base.path())
    } else {
        let dir = base.path().rsplit_once('/').map_or("", |(d, _)| d);
        format!("{scheme}://{authority}{dir}/{location}")
    };
    let uri: Uri = text.parse().ok()?;
    let ok = matches!(uri.scheme_str(), Some("http" | "https"))
        && uri.host().is_some_and(|h| !h.is_empty());
    ok.then_some(uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn request(method: Method, uri: &str) -> RequestTemplate {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer k"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        RequestTemplate {
            method,
            uri: uri.parse().unwrap(),
            headers,
            body: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn locations_resolve_against_the_request_url() {
        let base: Uri = "https://a.example:8443/v1/stream?x=1".parse().unwrap();
        for (loc, want) in [
            ("https://b.example/s", "https://b.example/s"),
            ("//c.example/s", "https://c.example/s"),
            ("/other", "https://a.example:8443/other"),
            ("next?y=2", "https://a.example:8443/v1/next?y=2"),
            ("?y=2", "https://a.example:8443/v1/stream?y=2"),
        ] {
            assert_eq!(resolve(&base, loc).unwrap().to_string(), want, "{loc}");
        }
        assert!(resolve(&base, "ftp://x/").is_none());
        assert!(resolve(&base, "https://").is_none());
    }

    #[test]
    fn see_other_and_post_301_302_become_a_get_without_body() {
        let loc = HeaderValue::from_static("/new");
        for (method, status, get) in [
            (Method::POST, 303, true),
            (Method::POST, 302, true),
            (Method::POST, 301, true),
            (Method::POST, 307, false),
            (Method::POST, 308, false),
            (Method::GET, 303, true),
            (Method::PUT, 302, false),
        ] {
            let next = follow(
                &request(method.clone(), "http://h/old"),
                StatusCode::from_u16(status).unwrap(),
                Some(&loc),
            )
            .unwrap();
            assert_eq!(next.method == Method::GET, get, "{method} {status}");
            assert_eq!(next.body.is_empty(), get, "{method} {status}");
            assert_eq!(next.headers.contains_key(header::CONTENT_TYPE), !get);
            assert_eq!(next.uri, "http://h/new");
        }
    }

    #[test]
    fn authorization_is_dropped_on_a_cross_origin_redirect_only() {
        let req = request(Method::GET, "https://a.example/s");
        let same = follow(
            &req,
            StatusCode::FOUND,
            Some(&HeaderValue::from_static("https://a.example:443/t")),
        )
        .unwrap();
        assert!(same.headers.contains_key(header::AUTHORIZATION));
        for other in [
            "https://b.example/t",
            "http://a.example/t",
            "https://a.example:8443/t",
        ] {
            let next = follow(
                &req,
                StatusCode::FOUND,
                Some(&HeaderValue::from_str(other).unwrap()),
            )
            .unwrap();
            assert!(!next.headers.contains_key(header::AUTHORIZATION), "{other}");
        }
        assert_eq!(
            follow(&req, StatusCode::FOUND, None).unwrap_err(),
            "no Location header"
        );
    }
}
