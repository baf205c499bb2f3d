//! The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1), parsed with nom.
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list  = 1#extension                          ; RFC 7230 §7 list: OWS "," OWS, empty elements allowed
//! extension       = extension-token *( ";" extension-param )
//! extension-token = registered-token = token             ; RFC 7230 §3.2.6
//! extension-param = token [ "=" (token | quoted-string) ]
//!     ; When using the quoted-string syntax variant, the value
//!     ; after quoted-string unescaping MUST conform to the 'token' ABNF.
//! quoted-string   = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//! ```
//!
//! RFC 6455 §9.1 applies the "implied *LWS rule" of RFC 2616: optional
//! spaces and tabs may stand around every `,`, `;` and `=`. Several header
//! fields are one list joined with commas (§9.1: `foo` and `bar; baz=2` in
//! two fields are exactly `foo, bar; baz=2`), which [`parse_header_values`]
//! implements. Order is kept: it is the client's preference, and an
//! extension named twice is an offer with a fallback (RFC 7692 §5).
//!
//! A value that does not follow the grammar is an [`HeaderError`] naming
//! what was expected and the byte offset where it was not found: §9.1 says
//! the recipient "MUST immediately _Fail the WebSocket Connection_" (a
//! server answers 400, a client drops the connection).
//!
//! ```
//! use pushcodec::ws::extension::header::parse_extensions;
//! // RFC 7692 §7.1.3: an offer with a fallback.
//! let offers = parse_extensions(
//!     "permessage-deflate; client_max_window_bits; server_max_window_bits=10, \
//!      permessage-deflate; client_max_window_bits",
//! ).unwrap();
//! assert_eq!(offers.len(), 2);
//! assert_eq!(offers[0].param("server_max_window_bits"), Some(Some("10")));
//! assert_eq!(offers[1].param("client_max_window_bits"), Some(None));
//! ```

use std::borrow::Cow;
use std::fmt;

use http::HeaderValue;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser};

/// One element of the list: an extension name and its parameters, in order.
///
/// ```
/// use pushcodec::ws::extension::header::parse_extensions;
/// let e = &parse_extensions("mux; max-channels=4; flow-control").unwrap()[0];
/// assert_eq!(e.name(), "mux");
/// assert_eq!(e.params().len(), 2);
/// assert_eq!(e.to_string(), "mux; max-channels=4; flow-control");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension<'a> {
    name: &'a str,
    params: Vec<ExtensionParam<'a>>,
}

/// `name` or `name=value` (the value unescaped if it was a quoted-string).
///
/// ```
/// use pushcodec::ws::extension::header::parse_extensions;
/// let offers = parse_extensions(r#"permessage-foo; x="10""#).unwrap();
/// let p = &offers[0].params()[0];
/// assert_eq!((p.name(), p.value()), ("x", Some("10")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionParam<'a> {
    name: &'a str,
    value: Option<Cow<'a, str>>,
}

impl<'a> Extension<'a> {
    /// An extension element to write into a header (no parameters yet).
    ///
    /// ```
    /// use pushcodec::ws::extension::header::Extension;
    /// let e = Extension::new("permessage-deflate").with_param("server_max_window_bits", Some("10"));
    /// assert_eq!(e.to_string(), "permessage-deflate; server_max_window_bits=10");
    /// ```
    pub fn new(name: &'a str) -> Extension<'a> {
        Extension {
            name,
            params: Vec::new(),
        }
    }

    /// Appends a parameter (`None`: a parameter without value).
    ///
    /// ```
    /// use pushcodec::ws::extension::header::Extension;
    /// let e = Extension::new("x").with_param("a", None);
    /// assert_eq!(e.to_string(), "x; a");
    /// ```
    pub fn with_param(mut self, name: &'a str, value: Option<&'a str>) -> Extension<'a> {
        self.params.push(ExtensionParam {
            name,
            value: value.map(Cow::Borrowed),
        });
        self
    }

    /// The extension token, as written (compare it case-insensitively: it
    /// is a token).
    ///
    /// ```
    /// # use pushcodec::ws::extension::header::parse_extensions;
    /// assert_eq!(parse_extensions("deflate-stream").unwrap()[0].name(), "deflate-stream");
    /// ```
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The parameters, in order (names may repeat: it is for the
    /// extension to refuse that).
    ///
    /// ```
    /// # use pushcodec::ws::extension::header::parse_extensions;
    /// assert!(parse_extensions("foo").unwrap()[0].params().is_empty());
    /// ```
    pub fn params(&self) -> &[ExtensionParam<'a>] {
        &self.params
    }

    /// The first parameter named `name` (ASCII case-insensitive): `None`
    /// if absent, `Some(None)` if present without a value.
    ///
    /// ```
    /// # use pushcodec::ws::extension::header::parse_extensions;
    /// let e = &parse_extensions("foo; a; b=1").unwrap()[0];
    /// assert_eq!(e.param("a"), Some(None));
    /// assert_eq!(e.param("B"), Some(Some("1")));
    /// assert_eq!(e.param("c"), None);
    /// ```
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value())
    }
}

impl<'a> ExtensionParam<'a> {
    /// The parameter name.
    ///
    /// ```
    /// # use pushcodec::ws::extension::header::parse_extensions;
    /// assert_eq!(parse_extensions("foo; a").unwrap()[0].params()[0].name(), "a");
    /// ```
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The value, unescaped; `None` for a parameter without `=`.
    ///
    /// ```
    /// # use pushcodec::ws::extension::header::parse_extensions;
    /// assert_eq!(parse_extensions(r#"foo; a="\1\0""#).unwrap()[0].params()[0].value(), Some("10"));
    /// ```
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for Extension<'_> {
    /// Writes the element as RFC 7692 §7.1.3 shows it: `name; a; b=1`.
    /// Values are tokens (the grammar requires it), so they are never
    /// quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        for p in &self.params {
            write!(f, "; {}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// What the parser expected and did not find.
///
/// ```
/// use pushcodec::ws::extension::header::{parse_extensions, HeaderErrorKind};
/// let kind = |v| parse_extensions(v).unwrap_err().kind();
/// assert_eq!(kind("permessage-deflate; x=\"1"), HeaderErrorKind::UnterminatedQuotedString);
/// assert_eq!(kind("permessage-deflate;"), HeaderErrorKind::ExpectedParamName);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderErrorKind {
    /// An extension name (a token) was expected.
    ExpectedExtensionName,
    /// A parameter name (a token) was expected after `;`.
    ExpectedParamName,
    /// A value (a token or a quoted-string) was expected after `=`.
    ExpectedParamValue,
    /// A quoted-string has no closing `"`.
    UnterminatedQuotedString,
    /// A quoted-string value is not a token once unescaped (RFC 6455 §9.1).
    QuotedValueNotToken,
    /// `,`, `;` or the end of the value was expected.
    ExpectedSeparator,
    /// The list holds no extension (`1#extension` needs one).
    Empty,
    /// The header value has a byte outside visible ASCII, space and tab.
    NotAscii,
}

impl HeaderErrorKind {
    fn describe(self) -> &'static str {
        match self {
            HeaderErrorKind::ExpectedExtensionName => "expected an extension name (token)",
            HeaderErrorKind::ExpectedParamName => "expected a parameter name (token) after ';'",
            HeaderErrorKind::ExpectedParamValue => {
                "expected a parameter value (token or quoted-string) after '='"
            }
            HeaderErrorKind::UnterminatedQuotedString => "quoted-string without a closing '\"'",
            HeaderErrorKind::QuotedValueNotToken => {
                "quoted parameter value is not a token after unescaping"
            }
            HeaderErrorKind::ExpectedSeparator => "expected ',', ';' or the end of the value",
            HeaderErrorKind::Empty => "no extension in the list",
            HeaderErrorKind::NotAscii => "byte outside visible ASCII, space and tab",
        }
    }
}

/// A `Sec-WebSocket-Extensions` value that does not follow RFC 6455 §9.1:
/// what was expected, at which byte of the (joined) value.
///
/// ```
/// use pushcodec::ws::extension::header::{parse_extensions, HeaderErrorKind};
/// let e = parse_extensions("permessage-deflate; =10").unwrap_err();
/// assert_eq!(e.kind(), HeaderErrorKind::ExpectedParamName);
/// assert_eq!(e.offset(), 20);
/// assert_eq!(
///     e.to_string(),
///     "Sec-WebSocket-Extensions: expected a parameter name (token) after ';' at byte 20"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Sec-WebSocket-Extensions: {} at byte {offset}", kind.describe())]
#[non_exhaustive]
pub struct HeaderError {
    kind: HeaderErrorKind,
    offset: usize,
}

impl HeaderError {
    /// What was expected.
    ///
    /// ```
    /// # use pushcodec::ws::extension::header::{parse_extensions, HeaderErrorKind};
    /// assert_eq!(parse_extensions("").unwrap_err().kind(), HeaderErrorKind::Empty);
    /// ```
    pub fn kind(&self) -> HeaderErrorKind {
        self.kind
    }

    /// Byte offset in the value (in the values joined with `", "` for
    /// [`parse_header_values`]).
    ///
    /// ```
    /// # use pushcodec::ws::extension::header::parse_extensions;
    /// assert_eq!(parse_extensions("a b").unwrap_err().offset(), 2);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// RFC 7230 §3.2.6 `tchar`.
///
/// ```
/// use pushcodec::ws::extension::header::is_tchar;
/// assert!(is_tchar('_') && is_tchar('~') && is_tchar('9'));
/// assert!(!is_tchar('/') && !is_tchar('=') && !is_tchar(' '));
/// ```
pub fn is_tchar(c: char) -> bool {
    matches!(c,
        'a'..='z' | 'A'..='Z' | '0'..='9'
        | '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '+' | '-' | '.' | '^' | '_' | '`' | '|' | '~')
}

type Res<'a, T> = IResult<&'a str, T>;

fn ows(i: &str) -> Res<'_, &str> {
    take_while(|c: char| c == ' ' || c == '\t')(i)
}

fn token(i: &str) -> Res<'_, &str> {
    take_while1(is_tchar)(i)
}

/// `qdtext` (RFC 7230 §3.2.6) minus obs-text (the value is ASCII here).
fn is_qdtext(c: char) -> bool {
    matches!(c, '\t' | ' ' | '!' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// The inside of a quoted-string after its opening `"`, up to and
/// including the closing one; `Cow::Borrowed` when nothing was escaped.
fn quoted_rest(i: &str) -> Result<(&str, Cow<'_, str>), HeaderErrorKind> {
    let mut owned: Option<String> = None;
    let mut run_start = 0;
    let mut chars = i.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                let value = match owned {
                    Some(mut s) => {
                        s.push_str(&i[run_start..at]);
                        Cow::Owned(s)
                    }
                    None => Cow::Borrowed(&i[..at]),
                };
                return Ok((&i[at + 1..], value));
            }
            '\\' => {
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                let Some((_, escaped)) = chars.next() else {
                    return Err(HeaderErrorKind::UnterminatedQuotedString);
                };
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&i[run_start..at]);
                s.push(escaped);
                run_start = at + 1 + escaped.len_utf8();
            }
            c if is_qdtext(c) => {}
            _ => return Err(HeaderErrorKind::UnterminatedQuotedString),
        }
    }
    Err(HeaderErrorKind::UnterminatedQuotedString)
}

/// Parses one list value (RFC 6455 §9.1 `extension-list`). Empty list
/// elements (`a,,b`) are skipped, as RFC 7230 §7 asks of a recipient; at
/// least one extension is required.
///
/// ```
/// use pushcodec::ws::extension::header::parse_extensions;
/// // RFC 6455 §9.1's examples.
/// assert_eq!(parse_extensions("deflate-stream").unwrap().len(), 1);
/// let e = parse_extensions("mux; max-channels=4; flow-control, deflate-stream").unwrap();
/// assert_eq!(e[0].param("max-channels"), Some(Some("4")));
/// assert_eq!(e[1].name(), "deflate-stream");
/// ```
pub fn parse_extensions(value: &str) -> Result<Vec<Extension<'_>>, HeaderError> {
    let mut out = Vec::new();
    parse_into(value, 0, &mut out)?;
    if out.is_empty() {
        return Err(HeaderError {
            kind: HeaderErrorKind::Empty,
            offset: value.len(),
        });
    }
    Ok(out)
}

/// Parses every `Sec-WebSocket-Extensions` field of a request or response
/// as one list (RFC 6455 §9.1: several fields are the same as one joined
/// with commas). `Ok` with an empty list when there is no field; error
/// offsets count in the values joined with `", "`.
///
/// ```
/// use http::{header::SEC_WEBSOCKET_EXTENSIONS, HeaderMap, HeaderValue};
/// use pushcodec::ws::extension::header::parse_header_values;
/// let mut h = HeaderMap::new();
/// h.append(SEC_WEBSOCKET_EXTENSIONS, HeaderValue::from_static("foo"));
/// h.append(SEC_WEBSOCKET_EXTENSIONS, HeaderValue::from_static("bar; baz=2"));
/// let e = parse_header_values(h.get_all(SEC_WEBSOCKET_EXTENSIONS)).unwrap();
/// assert_eq!(e.iter().map(|e| e.name()).collect::<Vec<_>>(), ["foo", "bar"]);
/// ```
pub fn parse_header_values<'a>(
    values: impl IntoIterator<Item = &'a HeaderValue>,
) -> Result<Vec<Extension<'a>>, HeaderError> {
    let mut out = Vec::new();
    let mut base = 0;
    let mut any = false;
    for v in values {
        any = true;
        let s = v.to_str().map_err(|_| HeaderError {
            kind: HeaderErrorKind::NotAscii,
            offset: base
                + v.as_bytes()
                    .iter()
                    .position(|&b| !(b == b'\t' || (b' '..=b'~').contains(&b)))
                    .unwrap_or(0),
        })?;
        parse_into(s, base, &mut out)?;
        base += s.len() + 2;
    }
    if any && out.is_empty() {
        return Err(HeaderError {
            kind: HeaderErrorKind::Empty,
            offset: base.saturating_sub(2),
        });
    }
    Ok(out)
}

/// The list parser: `element *( OWS "," OWS element )`, where an element
/// may be empty.
fn parse_into<'a>(
    value: &'a str,
    base: usize,
    out: &mut Vec<Extension<'a>>,
) -> Result<(), HeaderError> {
    let err = |kind, rest: &str| HeaderError {
        kind,
        offset: base + value.len() - rest.len(),
    };
    if let Some(at) = value
        .bytes()
        .position(|b| !(b == b'\t' || (b' '..=b'~').contains(&b)))
    {
        return Err(HeaderError {
            kind: HeaderErrorKind::NotAscii,
            offset: base + at,
        });
    }
    let mut rest = value;
    loop {
        rest = ows(rest).map_or(rest, |(r, _)| r);
        if let Some(r) = rest.strip_prefix(',') {
            rest = r; // empty element
            continue;
        }
        if rest.is_empty() {
            return Ok(());
        }
        let (r, ext) = extension(rest).map_err(|(kind, at)| err(kind, at))?;
        out.push(ext);
        let (r, _) = ows(r).unwrap_or((r, ""));
        match r.strip_prefix(',') {
            Some(r) => rest = r,
            None if r.is_empty() => return Ok(()),
            None => return Err(err(HeaderErrorKind::ExpectedSeparator, r)),
        }
    }
}

/// `extension-token *( OWS ";" OWS extension-param )`; on error, what was
/// expected and the input where it was not found.
#[allow(clippy::type_complexity)]
fn extension(i: &str) -> Result<(&str, Extension<'_>), (HeaderErrorKind, &str)> {
    let (mut rest, name) = token(i).map_err(|_| (HeaderErrorKind::ExpectedExtensionName, i))?;
    let mut params = Vec::new();
    loop {
        let semi: Res<'_, char> = preceded(ows, char(';')).parse(rest);
        let Ok((r, _)) = semi else {
            return Ok((rest, Extension { name, params }));
        };
        let (r, _) = ows(r).unwrap_or((r, ""));
        let (r, pname) = token(r).map_err(|_| (HeaderErrorKind::ExpectedParamName, r))?;
        let eq: Res<'_, Option<char>> = opt(preceded(ows, char('='))).parse(r);
        let (r, has_value) = eq.map_or((r, None), |x| x);
        let (r, value) = match has_value {
            None => (r, None),
            Some(_) => {
                let (r, _) = ows(r).unwrap_or((r, ""));
                if let Some(q) = r.strip_prefix('"') {
                    let (after, v) = quoted_rest(q).map_err(|k| (k, r))?;
                    if v.is_empty() || !v.chars().all(is_tchar) {
                        return Err((HeaderErrorKind::QuotedValueNotToken, r));
                    }
                    (after, Some(v))
                } else {
                    let (after, v) =
                        token(r).map_err(|_| (HeaderErrorKind::ExpectedParamValue, r))?;
                    (after, Some(Cow::Borrowed(v)))
                }
            }
        };
        params.push(ExtensionParam { name: pname, value });
        rest = r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Elements = Vec<(String, Vec<(String, Option<String>)>)>;

    fn names_and_params(v: &str) -> Elements {
        parse_extensions(v)
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e.name().to_owned(),
                    e.params()
                        .iter()
                        .map(|p| (p.name().to_owned(), p.value().map(str::to_owned)))
                        .collect(),
                )
            })
            .collect()
    }

    fn p(n: &str, v: Option<&str>) -> (String, Option<String>) {
        (n.to_owned(), v.map(str::to_owned))
    }

    #[test]
    fn rfc7692_5_2_negotiation_examples() {
        assert_eq!(
            names_and_params("permessage-foo"),
            [("permessage-foo".into(), vec![])]
        );
        assert_eq!(
            names_and_params("permessage-foo; x=10"),
            [("permessage-foo".into(), vec![p("x", Some("10"))])]
        );
        // "The value may be quoted."
        assert_eq!(
            names_and_params("permessage-foo; x=\"10\""),
            [("permessage-foo".into(), vec![p("x", Some("10"))])]
        );
        assert_eq!(
            names_and_params("permessage-foo, permessage-bar"),
            [
                ("permessage-foo".into(), vec![]),
                ("permessage-bar".into(), vec![])
            ]
        );
        assert_eq!(
            names_and_params("permessage-foo; use_y, permessage-foo"),
            [
                ("permessage-foo".into(), vec![p("use_y", None)]),
                ("permessage-foo".into(), vec![])
            ]
        );
    }

    #[test]
    fn rfc7692_7_1_3_examples_with_folding_whitespace() {
        // The RFC folds these over lines; a header value carries the
        // spaces (obs-fold is unfolded by the HTTP layer).
        let v = "permessage-deflate;\t client_max_window_bits; server_max_window_bits=10,\
                 \t permessage-deflate;  client_max_window_bits";
        assert_eq!(
            names_and_params(v),
            [
                (
                    "permessage-deflate".into(),
                    vec![
                        p("client_max_window_bits", None),
                        p("server_max_window_bits", Some("10"))
                    ]
                ),
                (
                    "permessage-deflate".into(),
                    vec![p("client_max_window_bits", None)]
                ),
            ]
        );
        assert_eq!(
            names_and_params("permessage-deflate; server_max_window_bits=10"),
            [(
                "permessage-deflate".into(),
                vec![p("server_max_window_bits", Some("10"))]
            )]
        );
    }

    #[test]
    fn whitespace_around_every_separator_and_empty_elements() {
        assert_eq!(
            names_and_params(" ,a ; b = 1 ;c= \"2\" ,, b ,"),
            [
                ("a".into(), vec![p("b", Some("1")), p("c", Some("2"))]),
                ("b".into(), vec![])
            ]
        );
    }

    #[test]
    fn quoted_pairs_are_unescaped() {
        assert_eq!(
            names_and_params(r#"a; b="\x\y""#),
            [("a".into(), vec![p("b", Some("xy"))])]
        );
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases: &[(&str, HeaderErrorKind, usize)] = &[
            ("", HeaderErrorKind::Empty, 0),
            (" , ,", HeaderErrorKind::Empty, 4),
            ("a b", HeaderErrorKind::ExpectedSeparator, 2),
            ("a;", HeaderErrorKind::ExpectedParamName, 2),
            ("a; ", HeaderErrorKind::ExpectedParamName, 3),
            ("a;=1", HeaderErrorKind::ExpectedParamName, 2),
            ("a; b=", HeaderErrorKind::ExpectedParamValue, 5),
            ("a; b= ,", HeaderErrorKind::ExpectedParamValue, 6),
            ("a; b=\"1", HeaderErrorKind::UnterminatedQuotedString, 5),
            ("a; b=\"1\\", HeaderErrorKind::UnterminatedQuotedString, 5),
            ("a; b=\"1 2\"", HeaderErrorKind::QuotedValueNotToken, 5),
            ("a; b=\"\"", HeaderErrorKind::QuotedValueNotToken, 5),
            ("a; b=\"/\"", HeaderErrorKind::QuotedValueNotToken, 5),
            ("a; b=1=2", HeaderErrorKind::ExpectedSeparator, 6),
            ("a; b=\"1\"x", HeaderErrorKind::ExpectedSeparator, 8),
            ("/a", HeaderErrorKind::ExpectedExtensionName, 0),
            ("a, ;b", HeaderErrorKind::ExpectedExtensionName, 3),
            ("a, b; c=\u{e9}", HeaderErrorKind::NotAscii, 8),
            ("a\r\nb", HeaderErrorKind::NotAscii, 1),
        ];
        for &(v, kind, offset) in cases {
            let e = parse_extensions(v).unwrap_err();
            assert_eq!((e.kind(), e.offset()), (kind, offset), "{v:?}: {e}");
        }
    }

    #[test]
    fn several_fields_are_one_list_and_offsets_count_in_the_joined_value() {
        let a = HeaderValue::from_static("foo");
        let b = HeaderValue::from_static("bar; baz=2");
        let joined = parse_extensions("foo, bar; baz=2").unwrap();
        assert_eq!(parse_header_values([&a, &b]).unwrap(), joined);
        let bad = HeaderValue::from_static("x;");
        let e = parse_header_values([&a, &bad]).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (HeaderErrorKind::ExpectedParamName, 7)
        );
        assert_eq!(e, parse_extensions("foo, x;").unwrap_err());
        assert!(parse_header_values(std::iter::empty()).unwrap().is_empty());
        let empty = HeaderValue::from_static("");
        assert_eq!(
            parse_header_values([&empty]).unwrap_err().kind(),
            HeaderErrorKind::Empty
        );
        let latin1 = HeaderValue::from_bytes(b"a; b=\xe9").unwrap();
        let e = parse_header_values([&a, &latin1]).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (HeaderErrorKind::NotAscii, 10));
    }

    #[test]
    fn display_writes_what_parses_back() {
        for v in [
            "permessage-deflate",
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
            "mux; max-channels=4; flow-control",
        ] {
            let e = parse_extensions(v).unwrap();
            assert_eq!(e[0].to_string(), v);
        }
        let e = parse_extensions("a;b=\"c\"").unwrap();
        assert_eq!(e[0].to_string(), "a; b=c");
    }
}
