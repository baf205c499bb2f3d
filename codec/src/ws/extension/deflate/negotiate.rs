//! Negotiation (RFC 7692 §5, §7.1): the server accepts the first acceptable
//! offer, the client builds its offer and validates the answer.
//!
//! Both sides work on `&str` header values or on an [`http::HeaderMap`]
//! (every `Sec-WebSocket-Extensions` field, RFC 6455 §9.1), so hyper and
//! axum users call the same functions the handshake does.

use http::header::SEC_WEBSOCKET_EXTENSIONS;
use http::{HeaderMap, HeaderValue};

use super::params::{DeflateParams, RawParams, PERMESSAGE_DEFLATE};
use crate::ws::extension::header::{parse_extensions, parse_header_values, Extension};
use crate::ws::extension::{DeflateConfig, ExtensionError};

/// Server side: the response to one offer, or `None` to decline it (RFC
/// 7692 §7: an offer with an unknown, repeated or invalid parameter, or a
/// configuration we do not support, "MUST" be declined).
///
/// For each direction the answer is the tighter of the offer and `config`:
///
/// * server to client: `server_max_window_bits` = min(offered, ours) when
///   either is below 15 (§7.1.2.1: an offered value must be answered "with
///   the same or smaller value"); `server_no_context_takeover` when
///   offered (§7.1.1.1 accepts it by echoing it) or configured.
/// * client to server: `client_max_window_bits` = min(offered hint, ours)
///   when below 15, only if the offer carries the parameter (§7.1.2.2
///   "MUST NOT include" it otherwise; if ours is below 15 and the client
///   cannot take the limit, the offer is declined, since our decompressor's
///   memory is the point of the setting); `client_no_context_takeover`
///   when configured, or when the client offers it (the hint of §7.1.1.2,
///   taken to spare our window).
fn answer(config: &DeflateConfig, offer: &RawParams) -> Option<DeflateParams> {
    let ours = config.server_max_window_bits();
    let server_bits = match offer.server_max_window_bits {
        Some(n) => Some(n.min(ours)),
        None if ours < 15 => Some(ours),
        None => None,
    };
    let ours = config.client_max_window_bits();
    let client_bits = match offer.client_max_window_bits {
        None if ours < 15 => return None,
        None => None,
        Some(hint) => Some(hint.unwrap_or(15).min(ours)).filter(|&b| b < 15),
    };
    Some(DeflateParams::new(
        offer.server_no_context_takeover || config.server_no_context_takeover(),
        offer.client_no_context_takeover || config.client_no_context_takeover(),
        server_bits,
        client_bits,
    ))
}

/// Server side: the agreed parameters for the first acceptable
/// permessage-deflate offer among `offers` (in the client's order of
/// preference, RFC 7692 §5), or `None` when there is none or `config` is
/// disabled. Other extensions are ignored (we do not support them, so we
/// decline them).
///
/// ```
/// use pushcodec::ws::extension::deflate::server_negotiate_offers;
/// use pushcodec::ws::extension::{header::parse_extensions, DeflateConfig};
/// let offers = parse_extensions("x-webkit-deflate-frame, permessage-deflate; foo, permessage-deflate").unwrap();
/// let p = server_negotiate_offers(&DeflateConfig::default(), &offers).unwrap();
/// assert_eq!(p.to_string(), "permessage-deflate"); // the fallback: `foo` is not a parameter
/// ```
pub fn server_negotiate_offers(
    config: &DeflateConfig,
    offers: &[Extension<'_>],
) -> Option<DeflateParams> {
    if !config.enabled() {
        return None;
    }
    offers
        .iter()
        .filter(|e| e.name().eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
        .filter_map(|e| RawParams::read(e, false).ok())
        .find_map(|offer| answer(config, &offer))
}

/// Server side over one header value: parses it (a value that breaks the
/// RFC 6455 §9.1 grammar is an error, answered with 400) and negotiates.
///
/// ```
/// use pushcodec::ws::extension::deflate::server_negotiate_str;
/// use pushcodec::ws::extension::DeflateConfig;
/// // Chromium's offer.
/// let p = server_negotiate_str(&DeflateConfig::default(),
///     "permessage-deflate; client_max_window_bits").unwrap().unwrap();
/// assert_eq!(p.to_string(), "permessage-deflate");
/// assert!(server_negotiate_str(&DeflateConfig::default(), "permessage-deflate;").is_err());
/// ```
pub fn server_negotiate_str(
    config: &DeflateConfig,
    value: &str,
) -> Result<Option<DeflateParams>, ExtensionError> {
    Ok(server_negotiate_offers(config, &parse_extensions(value)?))
}

/// Server side over a request's headers (every `Sec-WebSocket-Extensions`
/// field, RFC 6455 §9.1). `Ok(None)` without the header. Put
/// [`DeflateParams::to_header_value`] in the 101 response's
/// `Sec-WebSocket-Extensions`.
///
/// ```
/// use http::{header::SEC_WEBSOCKET_EXTENSIONS, HeaderMap, HeaderValue};
/// use pushcodec::ws::extension::deflate::server_negotiate;
/// use pushcodec::ws::extension::DeflateConfig;
/// let mut h = HeaderMap::new();
/// h.insert(SEC_WEBSOCKET_EXTENSIONS, HeaderValue::from_static("permessage-deflate; server_no_context_takeover"));
/// let p = server_negotiate(&DeflateConfig::default(), &h).unwrap().unwrap();
/// assert_eq!(p.to_header_value(), "permessage-deflate; server_no_context_takeover");
/// ```
pub fn server_negotiate(
    config: &DeflateConfig,
    request_headers: &HeaderMap,
) -> Result<Option<DeflateParams>, ExtensionError> {
    let offers = parse_header_values(request_headers.get_all(SEC_WEBSOCKET_EXTENSIONS))?;
    Ok(server_negotiate_offers(config, &offers))
}

/// Client side: the offer (one element) for `config`, `None` when
/// disabled. It always carries `client_max_window_bits` (RFC 7692
/// §7.1.2.2: it tells the server we support a limit), with our own limit as
/// its value when below 15; `server_max_window_bits` when we want a smaller
/// window for what the server sends; each `*_no_context_takeover` we
/// configured.
///
/// ```
/// use pushcodec::ws::extension::deflate::client_offer;
/// use pushcodec::ws::extension::DeflateConfig;
/// assert_eq!(client_offer(&DeflateConfig::default()).unwrap(),
///            "permessage-deflate; client_max_window_bits");
/// let c = DeflateConfig::builder().server_max_window_bits(10).server_no_context_takeover(true).build();
/// assert_eq!(client_offer(&c).unwrap(),
///            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits");
/// assert!(client_offer(&DeflateConfig::builder().enabled(false).build()).is_none());
/// ```
pub fn client_offer(config: &DeflateConfig) -> Option<HeaderValue> {
    if !config.enabled() {
        return None;
    }
    let mut s = String::from(PERMESSAGE_DEFLATE);
    if config.server_no_context_takeover() {
        s.push_str("; server_no_context_takeover");
    }
    if config.client_no_context_takeover() {
        s.push_str("; client_no_context_takeover");
    }
    if config.server_max_window_bits() < 15 {
        s.push_str(&format!(
            "; server_max_window_bits={}",
            config.server_max_window_bits()
        ));
    }
    s.push_str("; client_max_window_bits");
    if config.client_max_window_bits() < 15 {
        s.push_str(&format!("={}", config.client_max_window_bits()));
    }
    Some(HeaderValue::try_from(s).expect("tokens and digits are a valid header value"))
}

/// Client side: checks the server's extension elements against the offer
/// [`client_offer`] made for `config` (RFC 7692 §7 "MUST _Fail the
/// WebSocket Connection_" cases, and RFC 6455 §9.1 for extensions we did
/// not offer). `Ok(None)`: the server declined, no compression.
///
/// ```
/// use pushcodec::ws::extension::deflate::client_validate_extensions;
/// use pushcodec::ws::extension::{header::parse_extensions, DeflateConfig, ExtensionError};
/// let c = DeflateConfig::default();
/// let ok = parse_extensions("permessage-deflate; client_max_window_bits=10").unwrap();
/// assert_eq!(client_validate_extensions(&c, &ok).unwrap().unwrap().client_max_window_bits(), Some(10));
/// let bad = parse_extensions("permessage-deflate; server_max_window_bits").unwrap();
/// assert!(matches!(client_validate_extensions(&c, &bad), Err(ExtensionError::InvalidValue { .. })));
/// ```
pub fn client_validate_extensions(
    config: &DeflateConfig,
    response: &[Extension<'_>],
) -> Result<Option<DeflateParams>, ExtensionError> {
    if let Some(other) = response
        .iter()
        .find(|e| !config.enabled() || !e.name().eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
    {
        return Err(ExtensionError::NotOffered {
            name: other.name().to_owned(),
        });
    }
    let element = match response {
        [] => return Ok(None),
        [one] => one,
        more => return Err(ExtensionError::AcceptedTwice { count: more.len() }),
    };
    let p = RawParams::read(element, true)?;
    // Our offer always carries client_max_window_bits, so any valid value
    // is acceptable; our own limit still applies to our compressor
    // (DeflateParams::deflater).
    let requested = config.server_max_window_bits();
    if requested < 15 && p.server_max_window_bits.is_none_or(|b| b > requested) {
        return Err(ExtensionError::ServerWindowTooLarge {
            requested,
            answered: p.server_max_window_bits,
        });
    }
    if config.server_no_context_takeover() && !p.server_no_context_takeover {
        return Err(ExtensionError::ContextTakeoverNotRefused);
    }
    Ok(Some(DeflateParams::new(
        p.server_no_context_takeover,
        p.client_no_context_takeover,
        p.server_max_window_bits,
        p.client_max_window_bits.flatten(),
    )))
}

/// Client side over one response header value.
///
/// ```
/// use pushcodec::ws::extension::deflate::client_validate_str;
/// use pushcodec::ws::extension::{DeflateConfig, ExtensionError};
/// let c = DeflateConfig::default();
/// assert!(client_validate_str(&c, "permessage-deflate").unwrap().is_some());
/// assert!(matches!(client_validate_str(&c, "permessage-deflate, permessage-deflate"),
///                  Err(ExtensionError::AcceptedTwice { count: 2 })));
/// ```
pub fn client_validate_str(
    config: &DeflateConfig,
    value: &str,
) -> Result<Option<DeflateParams>, ExtensionError> {
    client_validate_extensions(config, &parse_extensions(value)?)
}

/// Client side over the 101 response's headers. `Ok(None)` without the
/// header (the server declined).
///
/// ```
/// use http::HeaderMap;
/// use pushcodec::ws::extension::deflate::client_validate;
/// use pushcodec::ws::extension::DeflateConfig;
/// assert_eq!(client_validate(&DeflateConfig::default(), &HeaderMap::new()).unwrap(), None);
/// ```
pub fn client_validate(
    config: &DeflateConfig,
    response_headers: &HeaderMap,
) -> Result<Option<DeflateParams>, ExtensionError> {
    let elements = parse_header_values(response_headers.get_all(SEC_WEBSOCKET_EXTENSIONS))?;
    client_validate_extensions(config, &elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(config: &DeflateConfig, offer: &str) -> Option<String> {
        server_negotiate_str(config, offer)
            .unwrap()
            .map(|p| p.to_string())
    }

    fn cfg() -> crate::ws::extension::deflate::config::DeflateConfigBuilder {
        DeflateConfig::builder()
    }

    #[test]
    fn rfc7692_7_1_3_examples() {
        let d = DeflateConfig::default();
        // "The simplest ... to accept ... is the same".
        assert_eq!(
            server(&d, "permessage-deflate").as_deref(),
            Some("permessage-deflate")
        );
        // Asking for a 1,024-byte window; the answer says 10.
        assert_eq!(
            server(
                &d,
                "permessage-deflate; client_max_window_bits; server_max_window_bits=10"
            )
            .as_deref(),
            Some("permessage-deflate; server_max_window_bits=10")
        );
        // A server whose compressor is limited to 9 bits answers 9 for
        // either offer and the fallback is not needed.
        let nine = cfg().server_max_window_bits(9).build();
        let fallback = "permessage-deflate; client_max_window_bits; server_max_window_bits=10, \
                        permessage-deflate; client_max_window_bits";
        assert_eq!(
            server(&nine, fallback).as_deref(),
            Some("permessage-deflate; server_max_window_bits=9")
        );
    }

    #[test]
    fn the_first_acceptable_offer_wins_and_invalid_offers_are_declined() {
        let d = DeflateConfig::default();
        // §7: unknown, repeated or invalid parameters decline that offer only.
        for bad in [
            "permessage-deflate; x=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; server_no_context_takeover=true",
        ] {
            assert_eq!(server(&d, bad), None, "{bad}");
            let with_fallback = format!("{bad}, permessage-deflate; client_no_context_takeover");
            assert_eq!(
                server(&d, &with_fallback).as_deref(),
                Some("permessage-deflate; client_no_context_takeover"),
                "{bad}"
            );
        }
        assert_eq!(server(&d, "deflate-stream, mux"), None);
        // Disabled: nothing is accepted.
        assert_eq!(
            server(&cfg().enabled(false).build(), "permessage-deflate"),
            None
        );
    }

    #[test]
    fn server_policy_per_direction() {
        // Our decompressor limit needs client_max_window_bits in the offer.
        let c = cfg().client_max_window_bits(10).build();
        assert_eq!(server(&c, "permessage-deflate"), None);
        assert_eq!(
            server(
                &c,
                "permessage-deflate, permessage-deflate; client_max_window_bits"
            )
            .as_deref(),
            Some("permessage-deflate; client_max_window_bits=10")
        );
        // The client's hint is smaller: take it.
        assert_eq!(
            server(&c, "permessage-deflate; client_max_window_bits=9").as_deref(),
            Some("permessage-deflate; client_max_window_bits=9")
        );
        // Neither limits: no parameter.
        assert_eq!(
            server(
                &DeflateConfig::default(),
                "permessage-deflate; client_max_window_bits=15"
            )
            .as_deref(),
            Some("permessage-deflate")
        );
        // Our compressor limit is announced even when not asked for (§7.1.2.1 MAY).
        assert_eq!(
            server(
                &cfg().server_max_window_bits(12).build(),
                "permessage-deflate"
            )
            .as_deref(),
            Some("permessage-deflate; server_max_window_bits=12")
        );
        // Context takeover: requested, hinted, configured.
        assert_eq!(
            server(
                &DeflateConfig::default(),
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            )
            .as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        );
        let both = cfg()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true)
            .build();
        assert_eq!(
            server(&both, "permessage-deflate").as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        );
        // An 8-bit request is supported (compressed with zlib's 9-bit window, see deflate docs).
        assert_eq!(
            server(
                &DeflateConfig::default(),
                "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"
            )
            .as_deref(),
            Some("permessage-deflate; server_max_window_bits=8; client_max_window_bits=8")
        );
    }

    #[test]
    fn our_own_offers_are_accepted_by_our_server_with_the_same_limits() {
        for sb in 8..=15 {
            for cb in 8..=15 {
                for (snct, cnct) in [(false, false), (true, false), (false, true), (true, true)] {
                    let c = cfg()
                        .server_max_window_bits(sb)
                        .client_max_window_bits(cb)
                        .server_no_context_takeover(snct)
                        .client_no_context_takeover(cnct)
                        .build();
                    let offer = client_offer(&c).unwrap();
                    let p = server_negotiate_str(&c, offer.to_str().unwrap())
                        .unwrap()
                        .unwrap_or_else(|| panic!("declined {offer:?}"));
                    let back = client_validate_str(&c, &p.to_string())
                        .unwrap_or_else(|e| panic!("{offer:?} -> {p}: {e}"))
                        .unwrap();
                    assert_eq!(back, p);
                    use crate::ws::Role;
                    assert_eq!(p.compressor_window_bits(Role::Server), sb);
                    assert_eq!(p.compressor_window_bits(Role::Client), cb);
                    assert_eq!(p.compressor_no_context_takeover(Role::Server), snct);
                    assert_eq!(p.compressor_no_context_takeover(Role::Client), cnct);
                }
            }
        }
    }

    #[test]
    fn client_refuses_invalid_responses() {
        let d = DeflateConfig::default();
        let err = |c: &DeflateConfig, v: &str| client_validate_str(c, v).unwrap_err();
        assert!(matches!(
            err(&d, "permessage-foo"),
            ExtensionError::NotOffered { .. }
        ));
        assert!(matches!(
            err(&d, "permessage-deflate, x"),
            ExtensionError::NotOffered { .. }
        ));
        assert!(matches!(
            err(&cfg().enabled(false).build(), "permessage-deflate"),
            ExtensionError::NotOffered { .. }
        ));
        assert!(matches!(
            err(&d, "permessage-deflate; client_max_window_bits"),
            ExtensionError::InvalidValue { .. }
        ));
        assert!(matches!(
            err(&d, "permessage-deflate; foo"),
            ExtensionError::UnknownParam { .. }
        ));
        assert!(matches!(
            err(
                &d,
                "permessage-deflate; client_max_window_bits=10; client_max_window_bits=10"
            ),
            ExtensionError::DuplicateParam { .. }
        ));
        let ten = cfg().server_max_window_bits(10).build();
        assert_eq!(
            err(&ten, "permessage-deflate"),
            ExtensionError::ServerWindowTooLarge {
                requested: 10,
                answered: None
            }
        );
        assert_eq!(
            err(&ten, "permessage-deflate; server_max_window_bits=11"),
            ExtensionError::ServerWindowTooLarge {
                requested: 10,
                answered: Some(11)
            }
        );
        assert!(client_validate_str(&ten, "permessage-deflate; server_max_window_bits=9").is_ok());
        let nct = cfg().server_no_context_takeover(true).build();
        assert_eq!(
            err(&nct, "permessage-deflate"),
            ExtensionError::ContextTakeoverNotRefused
        );
        // The server MAY add these unasked.
        let p = client_validate_str(
            &d,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=8; client_max_window_bits=8",
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.server_max_window_bits(), Some(8));
        // Malformed header: a grammar error.
        assert!(matches!(
            err(&d, "permessage-deflate; ="),
            ExtensionError::Header(_)
        ));
    }
}
