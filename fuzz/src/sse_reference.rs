//! A plain reference of HTML §9.2.6 "Interpreting an event stream",
//! written from the spec text step by step (slow, obvious, no limits).
use crate::whatwg_utf8_decode;

/// What the reference interpretation of an event stream yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefItem {
    /// A dispatched event: type, data, lastEventId (§9.2.6 dispatch, steps
    /// 1–6 for web browsers).
    Event {
        /// The event's type (`message` unless the event type buffer is set).
        event_type: String,
        /// The event's data.
        data: String,
        /// The event source's last event ID string at dispatch.
        last_event_id: String,
    },
    /// A `retry` field whose value consists only of ASCII digits (the digits
    /// as written; the spec's integer has no bound).
    Retry(String),
    /// A comment line: the characters after the ':' with one leading space
    /// removed. The spec says "Ignore the line"; pushcodec can report them
    /// (`emit_comments`), with this rule, so the reference records them too.
    Comment(String),
}

/// The reference's result for a whole stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefOutput {
    /// Items in stream order.
    pub items: Vec<RefItem>,
    /// The event source's "last event ID string" after the last complete
    /// line (set on every dispatch, §9.2.6 dispatch step 1).
    pub last_event_id: String,
}

/// HTML §9.2.6 "Interpreting an event stream", for a complete stream (the
/// end of `stream` is the end of the file). No limits.
pub fn sse_reference(stream: &[u8]) -> RefOutput {
    // "Streams must be decoded using the UTF-8 decode algorithm."
    let text: Vec<char> = whatwg_utf8_decode(stream).chars().collect();

    // "The stream must then be parsed by reading everything line by line,
    // with a CRLF character pair, a single LF character not preceded by a
    // CR character, and a single CR character not followed by a LF
    // character being the ways in which a line can end."
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c == '\r' {
            lines.push(std::mem::take(&mut current));
            if i + 1 < text.len() && text[i + 1] == '\n' {
                i += 1;
            }
        } else if c == '\n' {
            lines.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
        i += 1;
    }
    // "Once the end of the file is reached, any pending data must be
    // discarded": the unterminated `current` line is dropped.

    // "a data buffer, an event type buffer, and a last event ID buffer ...
    // must be initialized to the empty string."
    let mut data_buffer = String::new();
    let mut event_type_buffer = String::new();
    let mut last_event_id_buffer = String::new();
    // The event source's "last event ID string".
    let mut last_event_id_string = String::new();
    let mut out = RefOutput::default();

    for line in lines {
        // "If the line is empty (a blank line): Dispatch the event."
        if line.is_empty() {
            // 1. Set the last event ID string of the event source to the
            //    value of the last event ID buffer.
            last_event_id_string = last_event_id_buffer.clone();
            // 2. If the data buffer is an empty string, set the data buffer
            //    and the event type buffer to the empty string and return.
            if data_buffer.is_empty() {
                data_buffer.clear();
                event_type_buffer.clear();
                continue;
            }
            // 3. If the data buffer's last character is a LF, remove it.
            if data_buffer.ends_with('\n') {
                data_buffer.pop();
            }
            // 5. type `message`, data, lastEventId = last event ID string.
            // 6. If the event type buffer is not empty, use it as the type.
            let event_type = if event_type_buffer.is_empty() {
                "message".to_string()
            } else {
                event_type_buffer.clone()
            };
            out.items.push(RefItem::Event {
                event_type,
                data: data_buffer.clone(),
                last_event_id: last_event_id_string.clone(),
            });
            // 7. Set the data buffer and the event type buffer to the empty
            //    string.
            data_buffer.clear();
            event_type_buffer.clear();
            continue;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the
        // line." (recorded as a comment, see RefItem::Comment)
        if let Some(rest) = line.strip_prefix(':') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            out.items.push(RefItem::Comment(rest.to_string()));
            continue;
        }
        // "If the line contains a U+003A COLON character": field is the
        // characters before the first colon, value the ones after it, minus
        // one leading space. "Otherwise": the whole line is the field name
        // and the value is empty.
        let (field, value) = match line.find(':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                let value = value.strip_prefix(' ').unwrap_or(value);
                (line[..colon].to_string(), value.to_string())
            }
            None => (line.clone(), String::new()),
        };
        // "Field names must be compared literally, with no case folding."
        if field == "event" {
            event_type_buffer = value;
        } else if field == "data" {
            data_buffer.push_str(&value);
            data_buffer.push('\n');
        } else if field == "id" {
            if !value.contains('\0') {
                last_event_id_buffer = value;
            }
        } else if field == "retry" {
            // "If the field value consists of only ASCII digits": an empty
            // value is no integer in base ten, so it is ignored (as browsers
            // do).
            if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
                out.items.push(RefItem::Retry(value));
            }
        }
        // "Otherwise: The field is ignored."
    }
    out.last_event_id = last_event_id_string;
    out
}

/// The integer of a `retry` value's digits, saturated at `u64::MAX` (the
/// representation limit pushcodec documents for `Duration::from_millis`).
pub fn retry_millis_saturating(digits: &str) -> u64 {
    digits.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    })
}
