//! End to end over tokio I/O: `FramedWrite<SseEncoder>` → a 64-byte duplex
//! pipe (so reads are small and split lines, CRLF pairs and characters) →
//! `FramedRead<SseDecoder>`; and `body_stream` → decoder.

use futures_util::{SinkExt, StreamExt};
use pushcodec::sse::{
    body_stream, keep_alive, Event, Outgoing, OutgoingEvent, ReconnectState, SseDecoder,
    SseEncoder, SseItem,
};
use std::time::Duration;
use tokio_util::codec::{FramedRead, FramedWrite};

fn event(ty: &str, data: &str, id: &str) -> SseItem {
    SseItem::Event(Event {
        event_type: ty.to_string().into(),
        data: data.to_string().into(),
        last_event_id: id.to_string().into(),
    })
}

fn outgoing() -> Vec<Outgoing> {
    vec![
        Outgoing::Retry(Duration::from_millis(1500)),
        OutgoingEvent::new("héllo wörld 😀".repeat(20))
            .event("token")
            .id("1")
            .into(),
        keep_alive(),
        OutgoingEvent::new("a\r\nb\rc").into(),
        OutgoingEvent::new("").id("").into(),
    ]
}

fn expected() -> Vec<SseItem> {
    vec![
        SseItem::Retry(Duration::from_millis(1500)),
        event("token", &"héllo wörld 😀".repeat(20), "1"),
        event("message", "a\nb\nc", "1"),
        event("message", "", ""),
    ]
}

#[tokio::test]
async fn framed_write_to_framed_read_through_a_small_pipe() {
    let (client, server) = tokio::io::duplex(64);
    let writer = tokio::spawn(async move {
        let mut sink = FramedWrite::new(server, SseEncoder::new());
        for item in outgoing() {
            sink.send(item).await.unwrap();
        }
        // Dropping the sink closes the pipe: end of stream.
    });
    let items: Vec<SseItem> = FramedRead::new(client, SseDecoder::new())
        .map(|r| r.unwrap())
        .collect()
        .await;
    writer.await.unwrap();
    assert_eq!(items, expected());

    // A client tracking these items reconnects with the right state.
    let mut state = ReconnectState::new();
    items.iter().for_each(|i| state.observe(i));
    assert_eq!(state.retry(), Duration::from_millis(1500));
    assert_eq!(state.last_event_id(), None); // reset by the empty id
}

#[tokio::test]
async fn body_stream_output_decodes_to_the_events() {
    let body: Vec<u8> = body_stream(futures_util::stream::iter(outgoing()), None)
        .map(|chunk| chunk.unwrap().to_vec())
        .concat()
        .await;
    let items: Vec<SseItem> = FramedRead::new(&body[..], SseDecoder::new())
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(items, expected());
}

/// The default decoder takes a 16 MiB event on one `data` line (an LLM
/// image-generation stream sends base64 images of several MiB that way),
/// read through `FramedRead` from a pipe, and the event after it; the line
/// limit follows the event limit, so nothing needs configuring.
#[tokio::test]
async fn default_decoder_takes_a_16_mib_single_line_event() {
    let len = 16 << 20;
    let image: String = (0..len)
        .map(|i| {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64] as char
        })
        .collect();
    let wire = format!(
        "event: response.image_generation_call.partial_image\ndata: {image}\n\ndata: next\n\n"
    );
    let (mut tx, rx) = tokio::io::duplex(64 << 10);
    let writer =
        tokio::spawn(
            async move { tokio::io::AsyncWriteExt::write_all(&mut tx, wire.as_bytes()).await },
        );
    let mut items = FramedRead::new(rx, SseDecoder::new());
    let Some(Ok(SseItem::Event(ev))) = items.next().await else {
        panic!("expected the 16 MiB event")
    };
    assert_eq!(
        &*ev.event_type,
        "response.image_generation_call.partial_image"
    );
    assert_eq!(ev.data.len(), len);
    assert!(ev.data == image.as_str());
    assert_eq!(
        items.next().await.unwrap().unwrap(),
        event("message", "next", "")
    );
    assert!(items.next().await.is_none());
    writer.await.unwrap().unwrap();
}
