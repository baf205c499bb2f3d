//! The JSON lines `sse-decode` and `sse-client` print for what an
//! `EventSource` dispatches: `{"type":…,"data":…,"lastEventId":…}` per
//! event (the field names of `MessageEvent`), `{"retry":ms}` per retry
//! field; comments print nothing.

use pushcodec::sse::SseItem;
use serde::Serialize;
use std::io::Write;

/// One dispatched event, with the field names of `MessageEvent`.
#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    data: &'a str,
    #[serde(rename = "lastEventId")]
    last_event_id: &'a str,
}

/// A reconnection time change.
#[derive(Serialize)]
struct RetryLine {
    retry: u128,
}

/// The line for `item`, `None` for a comment.
///
/// ```
/// use pushcodec::sse::{Event, SseItem};
/// let ev = SseItem::Event(Event { event_type: "token".into(), data: "hi".into(), last_event_id: "3".into() });
/// assert_eq!(pushcodec_examples::event_json::line(&ev).unwrap(), r#"{"type":"token","data":"hi","lastEventId":"3"}"#);
/// let retry = SseItem::Retry(std::time::Duration::from_millis(1500));
/// assert_eq!(pushcodec_examples::event_json::line(&retry).unwrap(), r#"{"retry":1500}"#);
/// ```
pub fn line(item: &SseItem) -> Option<String> {
    let json = match item {
        SseItem::Event(ev) => serde_json::to_string(&EventLine {
            event_type: &ev.event_type,
            data: &ev.data,
            last_event_id: &ev.last_event_id,
        }),
        SseItem::Retry(delay) => serde_json::to_string(&RetryLine {
            retry: delay.as_millis(),
        }),
        SseItem::Comment(_) => return None,
    };
    // Serializing strings and integers cannot fail.
    json.ok()
}

/// Writes the line for `item` (if any) and flushes, so each event shows
/// as it arrives.
pub fn print(out: &mut impl Write, item: &SseItem) -> std::io::Result<()> {
    if let Some(line) = line(item) {
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(())
}
