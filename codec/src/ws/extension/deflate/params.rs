//! The four RFC 7692 §7.1 parameters: reading them from an extension
//! element (with the §7 validity rules), and [`DeflateParams`], the agreed
//! parameters of a connection.

use http::HeaderValue;

use super::super::error::ExtensionError;
use super::super::header::Extension;
use super::{Deflater, Inflater};
use crate::ws::extension::DeflateConfig;
use crate::ws::Role;

/// The registered extension name (RFC 7692 §7).
///
/// ```
/// use pushcodec::ws::extension::{deflate, header::parse_extensions};
/// let offer = deflate::client_offer(&Default::default()).unwrap();
/// let offer = offer.to_str().unwrap();
/// assert_eq!(parse_extensions(offer).unwrap()[0].name(), deflate::PERMESSAGE_DEFLATE);
/// ```
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The parameters of one element, checked against RFC 7692 §7: only the
/// four defined names, each at most once, `*_no_context_takeover` without
/// a value, window bits a decimal 8..=15 "without leading zeroes".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RawParams {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    pub server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only valid in an offer).
    pub client_max_window_bits: Option<Option<u8>>,
}

/// `8`..`15` written as RFC 7692 §7.1.2 allows: `1*DIGIT`, no leading zero.
fn window_bits(v: &str) -> Option<u8> {
    match v {
        "8" | "9" | "10" | "11" | "12" | "13" | "14" | "15" => v.parse().ok(),
        _ => None,
    }
}

impl RawParams {
    /// Reads the parameters of `ext` (whose name is permessage-deflate).
    /// `response`: the §7 rules for a response (every window bits
    /// parameter has a value); otherwise those for an offer
    /// (`client_max_window_bits` may have none).
    pub(crate) fn read(ext: &Extension<'_>, response: bool) -> Result<RawParams, ExtensionError> {
        let mut p = RawParams::default();
        let mut seen = [false; 4];
        for param in ext.params() {
            let name = param.name();
            let (slot, canonical) = if name.eq_ignore_ascii_case(SERVER_NO_CONTEXT_TAKEOVER) {
                (0, SERVER_NO_CONTEXT_TAKEOVER)
            } else if name.eq_ignore_ascii_case(CLIENT_NO_CONTEXT_TAKEOVER) {
                (1, CLIENT_NO_CONTEXT_TAKEOVER)
            } else if name.eq_ignore_ascii_case(SERVER_MAX_WINDOW_BITS) {
                (2, SERVER_MAX_WINDOW_BITS)
            } else if name.eq_ignore_ascii_case(CLIENT_MAX_WINDOW_BITS) {
                (3, CLIENT_MAX_WINDOW_BITS)
            } else {
                return Err(ExtensionError::UnknownParam {
                    name: name.to_owned(),
                });
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(ExtensionError::DuplicateParam {
                    name: canonical.to_owned(),
                });
            }
            let invalid = || ExtensionError::InvalidValue {
                name: canonical,
                value: param.value().map(str::to_owned),
            };
            match (slot, param.value()) {
                (0, None) => p.server_no_context_takeover = true,
                (1, None) => p.client_no_context_takeover = true,
                (2, Some(v)) => {
                    p.server_max_window_bits = Some(window_bits(v).ok_or_else(invalid)?)
                }
                (3, Some(v)) => {
                    p.client_max_window_bits = Some(Some(window_bits(v).ok_or_else(invalid)?))
                }
                (3, None) if !response => p.client_max_window_bits = Some(None),
                _ => return Err(invalid()),
            }
        }
        Ok(p)
    }
}

/// The agreed parameters of a connection (RFC 7692 §5: what the server's
/// response says), and which direction each one governs.
///
/// A window bits parameter that is absent means 15 (a 32 KiB window); the
/// getters return the value as written so a response can be rendered
/// exactly ([`DeflateParams::to_header_value`]).
///
/// ```
/// use pushcodec::ws::extension::deflate::{server_negotiate_str, DeflateParams};
/// use pushcodec::ws::extension::DeflateConfig;
/// use pushcodec::ws::Role;
/// // RFC 7692 §7.1.3: the first offer is accepted.
/// let p = server_negotiate_str(
///     &DeflateConfig::default(),
///     "permessage-deflate; client_max_window_bits; server_max_window_bits=10, \
///      permessage-deflate; client_max_window_bits",
/// ).unwrap().unwrap();
/// assert_eq!(p.to_string(), "permessage-deflate; server_max_window_bits=10");
/// assert_eq!(p.compressor_window_bits(Role::Server), 10);
/// assert_eq!(p.decompressor_window_bits(Role::Client), 10);
/// assert_eq!(p.decompressor_window_bits(Role::Server), 15);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: Option<u8>,
}

impl DeflateParams {
    pub(crate) fn new(
        server_no_context_takeover: bool,
        client_no_context_takeover: bool,
        server_max_window_bits: Option<u8>,
        client_max_window_bits: Option<u8>,
    ) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        }
    }

    /// `server_no_context_takeover`: the server compresses each message
    /// from an empty window.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::client_validate_str;
    /// use pushcodec::ws::extension::DeflateConfig;
    /// let p = client_validate_str(&DeflateConfig::default(),
    ///     "permessage-deflate; server_no_context_takeover").unwrap().unwrap();
    /// assert!(p.server_no_context_takeover());
    /// ```
    pub fn server_no_context_takeover(&self) -> bool {
        self.server_no_context_takeover
    }

    /// `client_no_context_takeover`: the client compresses each message
    /// from an empty window.
    ///
    /// ```
    /// # use pushcodec::ws::extension::deflate::client_validate_str;
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// let p = client_validate_str(&DeflateConfig::default(),
    ///     "permessage-deflate; client_no_context_takeover").unwrap().unwrap();
    /// assert!(p.client_no_context_takeover());
    /// ```
    pub fn client_no_context_takeover(&self) -> bool {
        self.client_no_context_takeover
    }

    /// `server_max_window_bits` as written (`None`: absent, i.e. 15).
    ///
    /// ```
    /// # use pushcodec::ws::extension::deflate::client_validate_str;
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// let p = client_validate_str(&DeflateConfig::default(), "permessage-deflate").unwrap().unwrap();
    /// assert_eq!(p.server_max_window_bits(), None);
    /// ```
    pub fn server_max_window_bits(&self) -> Option<u8> {
        self.server_max_window_bits
    }

    /// `client_max_window_bits` as written (`None`: absent, i.e. 15).
    ///
    /// ```
    /// # use pushcodec::ws::extension::deflate::client_validate_str;
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// let p = client_validate_str(&DeflateConfig::default(),
    ///     "permessage-deflate; client_max_window_bits=9").unwrap().unwrap();
    /// assert_eq!(p.client_max_window_bits(), Some(9));
    /// ```
    pub fn client_max_window_bits(&self) -> Option<u8> {
        self.client_max_window_bits
    }

    /// The window (log2) the endpoint of `role` may compress with (RFC
    /// 7692 §7.2.1): `server_max_window_bits` for the server,
    /// `client_max_window_bits` for the client, 15 when absent.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::Role;
    /// assert_eq!(DeflateParams::default().compressor_window_bits(Role::Client), 15);
    /// ```
    pub fn compressor_window_bits(&self, role: Role) -> u8 {
        match role {
            Role::Server => self.server_max_window_bits,
            Role::Client => self.client_max_window_bits,
        }
        .unwrap_or(15)
    }

    /// The window (log2) the endpoint of `role` needs to decompress what
    /// its peer sends (RFC 7692 §7.2.2: "MAY reduce the size of its LZ77
    /// sliding window ... down to" the peer's limit).
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::Role;
    /// assert_eq!(DeflateParams::default().decompressor_window_bits(Role::Server), 15);
    /// ```
    pub fn decompressor_window_bits(&self, role: Role) -> u8 {
        self.compressor_window_bits(role.peer())
    }

    /// Whether the endpoint of `role` must compress each message from an
    /// empty window (RFC 7692 §7.2.1).
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::Role;
    /// assert!(!DeflateParams::default().compressor_no_context_takeover(Role::Server));
    /// ```
    pub fn compressor_no_context_takeover(&self, role: Role) -> bool {
        match role {
            Role::Server => self.server_no_context_takeover,
            Role::Client => self.client_no_context_takeover,
        }
    }

    /// The compressor of the endpoint of `role`: the agreed window and
    /// context takeover, tightened by our own `config` (a client that
    /// hinted a smaller window or no context takeover keeps its word), with
    /// `config`'s level, memory level and threshold.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::extension::DeflateConfig;
    /// use pushcodec::ws::Role;
    /// let cfg = DeflateConfig::builder().client_max_window_bits(10).build();
    /// let d = DeflateParams::default().deflater(Role::Client, &cfg);
    /// assert_eq!(d.window_bits(), 10);
    /// ```
    pub fn deflater(&self, role: Role, config: &DeflateConfig) -> Deflater {
        let (own_bits, own_nct) = match role {
            Role::Server => (
                config.server_max_window_bits(),
                config.server_no_context_takeover(),
            ),
            Role::Client => (
                config.client_max_window_bits(),
                config.client_no_context_takeover(),
            ),
        };
        Deflater::new(
            self.compressor_window_bits(role).min(own_bits),
            self.compressor_no_context_takeover(role) || own_nct,
            config,
        )
    }

    /// The decompressor of the endpoint of `role`, which refuses any
    /// message that inflates to more than `max_message_size` bytes.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::Role;
    /// let i = DeflateParams::default().inflater(Role::Server, 1 << 20);
    /// assert_eq!(i.window_bits(), 15);
    /// ```
    pub fn inflater(&self, role: Role, max_message_size: usize) -> Inflater {
        Inflater::new(self.decompressor_window_bits(role), max_message_size)
            .with_peer_no_context_takeover(self.compressor_no_context_takeover(role.peer()))
    }

    /// The response element (RFC 7692 §7.1), parameters in the RFC's order.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::server_negotiate_str;
    /// use pushcodec::ws::extension::DeflateConfig;
    /// let p = server_negotiate_str(&DeflateConfig::default(), "permessage-deflate").unwrap().unwrap();
    /// assert_eq!(p.to_header_value(), "permessage-deflate");
    /// ```
    pub fn to_header_value(&self) -> HeaderValue {
        HeaderValue::try_from(self.to_string()).expect("tokens and digits are a valid header value")
    }
}

impl std::fmt::Display for DeflateParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(PERMESSAGE_DEFLATE)?;
        if self.server_no_context_takeover {
            write!(f, "; {SERVER_NO_CONTEXT_TAKEOVER}")?;
        }
        if self.client_no_context_takeover {
            write!(f, "; {CLIENT_NO_CONTEXT_TAKEOVER}")?;
        }
        if let Some(b) = self.server_max_window_bits {
            write!(f, "; {SERVER_MAX_WINDOW_BITS}={b}")?;
        }
        if let Some(b) = self.client_max_window_bits {
            write!(f, "; {CLIENT_MAX_WINDOW_BITS}={b}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::extension::header::parse_extensions;

    fn read(v: &str, response: bool) -> Result<RawParams, ExtensionError> {
        RawParams::read(&parse_extensions(v).unwrap()[0], response)
    }

    #[test]
    fn window_bits_are_8_to_15_without_leading_zeroes() {
        for b in 8..=15u8 {
            let v = format!("permessage-deflate; server_max_window_bits={b}");
            assert_eq!(read(&v, true).unwrap().server_max_window_bits, Some(b));
        }
        for bad in ["7", "16", "08", "010", "+9", "9.0", "", "a"] {
            let v = if bad.is_empty() {
                "permessage-deflate; server_max_window_bits".to_owned()
            } else {
                format!("permessage-deflate; server_max_window_bits={bad}")
            };
            assert!(
                matches!(
                    read(&v, false),
                    Err(ExtensionError::InvalidValue {
                        name: SERVER_MAX_WINDOW_BITS,
                        ..
                    })
                ),
                "{v}"
            );
        }
        // Quoted values are the same values (RFC 7692 §5.2 "may be quoted").
        let p = read("permessage-deflate; client_max_window_bits=\"10\"", true).unwrap();
        assert_eq!(p.client_max_window_bits, Some(Some(10)));
    }

    #[test]
    fn client_max_window_bits_without_value_only_in_an_offer() {
        let v = "permessage-deflate; client_max_window_bits";
        assert_eq!(read(v, false).unwrap().client_max_window_bits, Some(None));
        assert!(matches!(
            read(v, true),
            Err(ExtensionError::InvalidValue {
                name: CLIENT_MAX_WINDOW_BITS,
                value: None
            })
        ));
    }

    #[test]
    fn unknown_duplicate_and_valued_flags_are_refused() {
        assert!(matches!(
            read("permessage-deflate; x", false),
            Err(ExtensionError::UnknownParam { .. })
        ));
        assert!(matches!(
            read(
                "permessage-deflate; server_no_context_takeover; SERVER_NO_CONTEXT_TAKEOVER",
                false
            ),
            Err(ExtensionError::DuplicateParam { .. })
        ));
        assert!(matches!(
            read("permessage-deflate; client_no_context_takeover=1", true),
            Err(ExtensionError::InvalidValue { .. })
        ));
    }

    #[test]
    fn rendering_follows_the_rfc_order() {
        let p = DeflateParams::new(true, true, Some(10), Some(9));
        assert_eq!(
            p.to_string(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9"
        );
        let back = RawParams::read(&parse_extensions(&p.to_string()).unwrap()[0], true).unwrap();
        assert_eq!(
            (back.server_max_window_bits, back.client_max_window_bits),
            (Some(10), Some(Some(9)))
        );
    }
}
