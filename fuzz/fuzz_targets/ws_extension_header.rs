//! `ws_extension_header`: arbitrary `Sec-WebSocket-Extensions` values
//! through the RFC 6455 §9.1 parser and permessage-deflate negotiation
//! (RFC 7692 §5–§7.1).
//!
//! Input layout: `[config, value...]`; `config` picks the server's
//! `DeflateConfig` (bits 0–2: `client_max_window_bits` 8 + n, 7 = 15;
//! bits 3–5: `server_max_window_bits`; bit 6: server no context takeover;
//! bit 7: client no context takeover).
//!
//! Laws:
//! * never a panic; an error's offset is within the value;
//! * the parser agrees with `reference_parse` below, a plain
//!   character-by-character reading of the grammar written apart from the
//!   nom parser: both accept or both refuse, with the same elements;
//! * what parses, written out with `Display` and parsed again, is the same
//!   list (the writer produces the grammar);
//! * the server's answer to the offers is an offer-respecting response:
//!   written out, our client (default config, whose offer carries every
//!   parameter) accepts it; its windows are within the config's and within
//!   what the chosen offer asked; a requested `server_no_context_takeover`
//!   is granted;
//! * our client's checks never panic on the value as a response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushcodec::ws::extension::deflate::{client_validate_str, server_negotiate_offers};
use pushcodec::ws::extension::header::{is_tchar, parse_extensions};
use pushcodec::ws::extension::DeflateConfig;
use pushcodec::ws::Role;

type Elements = Vec<(String, Vec<(String, Option<String>)>)>;

/// RFC 6455 §9.1 + RFC 7230 #rule, by hand: None if not in the grammar.
fn reference_parse(v: &str) -> Option<Elements> {
    let b = v.as_bytes();
    if b.iter()
        .any(|&c| !(c == b'\t' || (b' '..=b'~').contains(&c)))
    {
        return None;
    }
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    let tok = |i: &mut usize| -> Option<String> {
        let s = *i;
        while *i < b.len() && is_tchar(b[*i] as char) {
            *i += 1;
        }
        (*i > s).then(|| v[s..*i].to_owned())
    };
    let mut out = Vec::new();
    loop {
        ws(&mut i);
        if i == b.len() {
            break;
        }
        if b[i] == b',' {
            i += 1;
            continue;
        }
        let name = tok(&mut i)?;
        let mut params = Vec::new();
        loop {
            let save = i;
            ws(&mut i);
            if i < b.len() && b[i] == b';' {
                i += 1;
                ws(&mut i);
                let pname = tok(&mut i)?;
                let save2 = i;
                ws(&mut i);
                let mut value = None;
                if i < b.len() && b[i] == b'=' {
                    i += 1;
                    ws(&mut i);
                    if i < b.len() && b[i] == b'"' {
                        i += 1;
                        let mut s = String::new();
                        loop {
                            let c = *b.get(i)?;
                            i += 1;
                            match c {
                                b'"' => break,
                                b'\\' => {
                                    s.push(*b.get(i)? as char);
                                    i += 1;
                                }
                                b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e => {
                                    s.push(c as char)
                                }
                                _ => return None,
                            }
                        }
                        if s.is_empty() || !s.chars().all(is_tchar) {
                            return None;
                        }
                        value = Some(s);
                    } else {
                        value = Some(tok(&mut i)?);
                    }
                } else {
                    i = save2;
                }
                params.push((pname, value));
            } else {
                i = save;
                break;
            }
        }
        out.push((name, params));
        ws(&mut i);
        if i == b.len() {
            break;
        }
        if b[i] != b',' {
            return None;
        }
        i += 1;
    }
    (!out.is_empty()).then_some(out)
}

fn elements(list: &[pushcodec::ws::extension::header::Extension<'_>]) -> Elements {
    list.iter()
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

fn bits(n: u8) -> u8 {
    if n == 7 {
        15
    } else {
        8 + n
    }
}

fuzz_target!(|data: &[u8]| {
    let [config, value @ ..] = data else {
        return;
    };
    let Ok(value) = std::str::from_utf8(value) else {
        return;
    };
    let parsed = parse_extensions(value);
    let reference = reference_parse(value);
    match (&parsed, &reference) {
        (Ok(list), Some(r)) => assert_eq!(&elements(list), r, "{value:?}"),
        (Err(e), None) => assert!(e.offset() <= value.len(), "{e} in {value:?}"),
        (p, r) => panic!("parser {p:?}, reference {r:?} for {value:?}"),
    }
    // The client side never panics on any response.
    let _ = client_validate_str(&DeflateConfig::default(), value);
    let Ok(list) = parsed else {
        return;
    };
    // Display writes the grammar.
    let written: Vec<String> = list.iter().map(|e| e.to_string()).collect();
    let joined = written.join(", ");
    let again = parse_extensions(&joined).expect("our own writing parses");
    assert_eq!(elements(&again), elements(&list));

    let cfg = DeflateConfig::builder()
        .client_max_window_bits(bits(config & 7))
        .server_max_window_bits(bits((config >> 3) & 7))
        .server_no_context_takeover(config & 0x40 != 0)
        .client_no_context_takeover(config & 0x80 != 0)
        .build();
    let Some(p) = server_negotiate_offers(&cfg, &list) else {
        return;
    };
    let response = p.to_string();
    let back = client_validate_str(&DeflateConfig::default(), &response)
        .unwrap_or_else(|e| panic!("our client refuses our server's {response:?}: {e}"))
        .expect("a response");
    assert_eq!(back, p);
    assert!(p.compressor_window_bits(Role::Server) <= cfg.server_max_window_bits());
    assert!(p.decompressor_window_bits(Role::Server) <= cfg.client_max_window_bits());
    assert!(!cfg.server_no_context_takeover() || p.server_no_context_takeover());
    assert!(!cfg.client_no_context_takeover() || p.client_no_context_takeover());
    // Some permessage-deflate offer asked for no more than what was granted.
    let fits = list.iter().any(|e| {
        e.name().eq_ignore_ascii_case("permessage-deflate")
            && e.param("server_max_window_bits")
                .flatten()
                .and_then(|v| v.parse::<u8>().ok())
                .is_none_or(|asked| p.compressor_window_bits(Role::Server) <= asked)
            && (e.param("server_no_context_takeover").is_none() || p.server_no_context_takeover())
            && (e.param("client_max_window_bits").is_some() || p.client_max_window_bits().is_none())
    });
    assert!(fits, "response {response:?} fits no offer of {value:?}");
});
