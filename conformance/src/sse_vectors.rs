//! Running SSE vectors through `SseDecoder`, comparing with the events a
//! browser dispatches (WHATWG HTML §9.2.6) and the `retry` values it applies.

use crate::drive::{drive, Mode};
use crate::schema::Vector;
use pushcodec::sse::{SseDecoder, SseItem};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    items: Vec<ExpectItem>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ExpectItem {
    Event(ExpectEvent),
    Retry(ExpectRetry),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectEvent {
    #[serde(rename = "type")]
    event_type: String,
    data: String,
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectRetry {
    retry: u64,
}

/// What a browser observes: a dispatched `MessageEvent` (type, data,
/// lastEventId) or a new reconnection time in milliseconds.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Event {
        event_type: String,
        data: String,
        id: String,
    },
    Retry(u128),
}

fn expected(e: &ExpectItem) -> Seen {
    match e {
        ExpectItem::Event(ev) => Seen::Event {
            event_type: ev.event_type.clone(),
            data: ev.data.clone(),
            id: ev.id.clone(),
        },
        ExpectItem::Retry(r) => Seen::Retry(u128::from(r.retry)),
    }
}

/// Runs one `sse` vector in every mode; returns the failures.
pub fn run_sse_vector(v: &Vector) -> Vec<String> {
    let reads = match v.input.reads() {
        Ok(r) => r,
        Err(e) => return vec![format!("bad vector: {e}")],
    };
    let exp: Expect = match serde_json::from_value(v.expect.clone()) {
        Ok(e) => e,
        Err(e) => return vec![format!("bad vector: expect: {e}")],
    };
    let want: Vec<Seen> = exp.items.iter().map(expected).collect();
    let mut modes = vec![Mode::OneRead, Mode::ByteByByte];
    if reads.len() > 1 {
        modes.push(Mode::AsSplit);
    }
    let mut failures = Vec::new();
    for mode in modes {
        let d = drive(SseDecoder::new(), &reads, mode);
        let got: Vec<Seen> = d
            .items
            .into_iter()
            .filter_map(|item| match item {
                SseItem::Event(ev) => Some(Seen::Event {
                    event_type: ev.event_type.as_str().to_owned(),
                    data: ev.data.as_str().to_owned(),
                    id: ev.last_event_id.as_str().to_owned(),
                }),
                SseItem::Retry(d) => Some(Seen::Retry(d.as_millis())),
                // Comments are not dispatched (and `SseDecoder::new` does not
                // emit them).
                SseItem::Comment(_) => None,
            })
            .collect();
        if let Some(e) = d.error {
            failures.push(format!("{mode}: error \"{e}\" after {got:?}"));
        } else if got != want {
            failures.push(format!("{mode}: dispatched {got:?}, expected {want:?}"));
        }
    }
    failures
}
