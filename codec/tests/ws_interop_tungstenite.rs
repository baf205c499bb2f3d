//! Interop with tokio-tungstenite over 127.0.0.1 (port 0), both ways: our
//! server with a tungstenite client, our client with a tungstenite server.
//! Text, binary, fragmented messages, ping/pong and close with code and
//! reason, in both directions. Every test runs under a timeout.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::{handshake, CloseCode, Message, WebSocketConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::{
    self,
    protocol::frame::{
        coding::{CloseCode as TCloseCode, Data, OpCode as TOpCode},
        CloseFrame as TCloseFrame, Frame as TFrame,
    },
    Message as TMessage,
};

const LIMIT: Duration = Duration::from_secs(20);

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", l.local_addr().unwrap());
    (l, url)
}

fn big(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// A TCP connection to the `ws://host:port/` of [`listener`].
async fn connect_tcp(url: &str) -> TcpStream {
    TcpStream::connect(url.trim_start_matches("ws://").trim_end_matches('/'))
        .await
        .unwrap()
}

/// A tungstenite client, handshaken with the server at `url`.
async fn tungstenite_client(url: &str) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let (c, _) = tokio_tungstenite::client_async(url, connect_tcp(url).await)
        .await
        .unwrap();
    c
}

/// Our server echoes; tungstenite client sends everything and checks.
#[tokio::test]
async fn our_server_tungstenite_client() {
    tokio::time::timeout(LIMIT, async {
        let (l, url) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            let mut ws = handshake::accept(tcp).await.unwrap();
            let mut seen = vec![];
            while let Some(m) = ws.next().await {
                let m = m.unwrap();
                seen.push(m.clone());
                if m.is_text() || m.is_binary() {
                    ws.send(m).await.unwrap();
                }
            }
            seen
        });
        let mut c = tungstenite_client(&url).await;

        c.send(TMessage::text("héllo")).await.unwrap();
        assert_eq!(c.next().await.unwrap().unwrap(), TMessage::text("héllo"));

        let payload = big(300_000);
        c.send(TMessage::binary(payload.clone())).await.unwrap();
        assert_eq!(c.next().await.unwrap().unwrap().into_data(), payload);

        // Fragmented text, split inside "é", with a ping in between.
        let t = "fragé".as_bytes();
        c.send(TMessage::Frame(TFrame::message(
            t[..5].to_vec(),
            TOpCode::Data(Data::Text),
            false,
        )))
        .await
        .unwrap();
        c.send(TMessage::Ping("in-between".into())).await.unwrap();
        c.send(TMessage::Frame(TFrame::message(
            t[5..].to_vec(),
            TOpCode::Data(Data::Continue),
            false,
        )))
        .await
        .unwrap();
        c.send(TMessage::Frame(TFrame::message(
            &b"mented"[..],
            TOpCode::Data(Data::Continue),
            true,
        )))
        .await
        .unwrap();
        assert_eq!(
            c.next().await.unwrap().unwrap(),
            TMessage::Pong("in-between".into())
        );
        assert_eq!(
            c.next().await.unwrap().unwrap(),
            TMessage::text("fragémented")
        );

        c.send(TMessage::Ping("p".into())).await.unwrap();
        assert_eq!(c.next().await.unwrap().unwrap(), TMessage::Pong("p".into()));

        c.close(Some(TCloseFrame {
            code: TCloseCode::from(4000),
            reason: "done".into(),
        }))
        .await
        .unwrap();
        // Our echo carries the same code.
        match c.next().await {
            Some(Ok(TMessage::Close(Some(cf)))) => assert_eq!(u16::from(cf.code), 4000),
            other => panic!("expected close echo, got {other:?}"),
        }
        let seen = server.await.unwrap();
        assert_eq!(
            seen.last(),
            Some(&Message::close(CloseCode(4000), "done")),
            "server saw the client's close with code and reason"
        );
        assert!(seen.contains(&Message::text("fragémented")));
        assert!(seen.contains(&Message::ping(&b"in-between"[..])));
    })
    .await
    .expect("timed out");
}

/// Our server sends (including auto-fragmented messages and a ping) and
/// closes with code and reason; tungstenite client receives.
#[tokio::test]
async fn our_server_sends_to_tungstenite_client() {
    tokio::time::timeout(LIMIT, async {
        let (l, url) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            let cfg = WebSocketConfig::builder()
                .auto_fragment_size(Some(7))
                .build();
            let mut ws = handshake::accept_with_config(tcp, cfg).await.unwrap();
            ws.send(Message::text("from server, fragmented in 7-byte frames"))
                .await
                .unwrap();
            ws.send(Message::binary(big(100))).await.unwrap();
            ws.send(Message::ping(&b"srv"[..])).await.unwrap();
            // tungstenite answers the ping.
            let pong = ws.next().await.unwrap().unwrap();
            assert_eq!(pong, Message::pong(&b"srv"[..]));
            ws.send(Message::close(CloseCode(4001), "server done"))
                .await
                .unwrap();
            let echo = ws.next().await.unwrap().unwrap();
            assert!(
                matches!(echo, Message::Close(Some(ref cf)) if cf.code == CloseCode(4001)),
                "{echo:?}"
            );
            assert!(ws.next().await.is_none());
        });
        let mut c = tungstenite_client(&url).await;
        assert_eq!(
            c.next().await.unwrap().unwrap(),
            TMessage::text("from server, fragmented in 7-byte frames")
        );
        assert_eq!(c.next().await.unwrap().unwrap().into_data(), big(100));
        assert_eq!(
            c.next().await.unwrap().unwrap(),
            TMessage::Ping("srv".into())
        );
        match c.next().await.unwrap().unwrap() {
            TMessage::Close(Some(cf)) => {
                assert_eq!(u16::from(cf.code), 4001);
                assert_eq!(cf.reason.as_str(), "server done");
            }
            other => panic!("expected close, got {other:?}"),
        }
        // Drive tungstenite until it has sent its close reply.
        while let Some(Ok(_)) = c.next().await {}
        server.await.unwrap();
    })
    .await
    .expect("timed out");
}

/// Our client against a tungstenite echo server.
#[tokio::test]
async fn our_client_tungstenite_server() {
    tokio::time::timeout(LIMIT, async {
        let (l, url) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            let mut s = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let mut seen = vec![];
            while let Some(m) = s.next().await {
                let m = m.unwrap();
                seen.push(m.clone());
                if m.is_text() || m.is_binary() {
                    s.send(m).await.unwrap();
                }
            }
            seen
        });
        let tcp = connect_tcp(&url).await;
        let cfg = WebSocketConfig::default();
        let mut ws = handshake::connect_with_config(tcp, &url, cfg)
            .await
            .unwrap();

        ws.send(Message::text("héllo")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("héllo"));

        let payload = big(300_000);
        ws.send(Message::binary(payload.clone())).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(payload));

        ws.send(Message::ping(&b"cli"[..])).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::pong(&b"cli"[..])
        );

        ws.send(Message::close(CloseCode(4002), "client done"))
            .await
            .unwrap();
        match ws.next().await.unwrap().unwrap() {
            Message::Close(Some(cf)) => assert_eq!(cf.code, CloseCode(4002)),
            other => panic!("expected close echo, got {other:?}"),
        }
        assert!(ws.next().await.is_none());
        let seen = server.await.unwrap();
        match seen.last() {
            Some(TMessage::Close(Some(cf))) => {
                assert_eq!(u16::from(cf.code), 4002);
                assert_eq!(cf.reason.as_str(), "client done");
            }
            other => panic!("server did not see our close: {other:?}"),
        }
    })
    .await
    .expect("timed out");
}

/// Our client, auto-fragmenting, sends to a tungstenite server that also
/// sends fragmented frames, a ping and a close with code and reason.
#[tokio::test]
async fn tungstenite_server_sends_to_our_client() {
    tokio::time::timeout(LIMIT, async {
        let (l, url) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            let mut s = tokio_tungstenite::accept_async(tcp).await.unwrap();
            // Our auto-fragmented message arrives whole.
            let first = s.next().await.unwrap().unwrap();
            assert_eq!(first, TMessage::text("client fragments, 5 bytes each"));
            s.send(TMessage::Frame(TFrame::message(
                &b"frag"[..],
                TOpCode::Data(Data::Binary),
                false,
            )))
            .await
            .unwrap();
            s.send(TMessage::Frame(TFrame::message(
                &b"mented"[..],
                TOpCode::Data(Data::Continue),
                true,
            )))
            .await
            .unwrap();
            s.send(TMessage::Ping("srv".into())).await.unwrap();
            // Our client answers the ping by itself.
            assert_eq!(
                s.next().await.unwrap().unwrap(),
                TMessage::Pong("srv".into())
            );
            s.close(Some(TCloseFrame {
                code: TCloseCode::from(1001),
                reason: "going away".into(),
            }))
            .await
            .unwrap();
            match s.next().await {
                Some(Ok(TMessage::Close(Some(cf)))) => assert_eq!(u16::from(cf.code), 1001),
                other => panic!("expected our close echo, got {other:?}"),
            }
            let _: Option<Result<TMessage, tungstenite::Error>> = s.next().await;
        });
        let tcp = connect_tcp(&url).await;
        let cfg = WebSocketConfig::builder()
            .auto_fragment_size(Some(5))
            .build();
        let mut ws = handshake::connect_with_config(tcp, &url, cfg)
            .await
            .unwrap();
        ws.send(Message::text("client fragments, 5 bytes each"))
            .await
            .unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::binary(&b"fragmented"[..])
        );
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::ping(&b"srv"[..])
        );
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::close(CloseCode::GOING_AWAY, "going away")
        );
        assert!(ws.next().await.is_none());
        server.await.unwrap();
    })
    .await
    .expect("timed out");
}

/// An oversized message from tungstenite is answered with close 1009, which
/// tungstenite receives even though it was still sending (the reset-free
/// failing path is tested deterministically in `ws_stream.rs`,
/// `failing_with_unread_input_does_not_reset_the_connection`).
#[tokio::test]
async fn oversized_message_peer_gets_1009_not_a_reset() {
    tokio::time::timeout(LIMIT, async {
        let (l, url) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            let cfg = WebSocketConfig::builder()
                .max_frame_size(64 << 10)
                .max_message_size(64 << 10)
                .build();
            let mut ws = handshake::accept_with_config(tcp, cfg).await.unwrap();
            let err = loop {
                match ws.next().await {
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => break e,
                    None => panic!("ended without error"),
                }
            };
            assert_eq!(err.close_code(), Some(CloseCode::TOO_BIG), "{err}");
            // The stream is dropped here, as a server task would.
        });
        let mut c = tungstenite_client(&url).await;
        // One 8 MiB frame: the server refuses it from its header while most
        // of the payload is still in flight.
        let _ = c.send(TMessage::binary(big(8 << 20))).await;
        let mut code = None;
        while let Some(m) = c.next().await {
            match m {
                Ok(TMessage::Close(Some(cf))) => code = Some(u16::from(cf.code)),
                Ok(_) => {}
                Err(e) => {
                    assert!(code.is_some(), "error before any close frame: {e}");
                    break;
                }
            }
        }
        assert_eq!(code, Some(1009));
        drop(c); // closes the TCP connection, ending the server's drain
        server.await.unwrap();
    })
    .await
    .expect("timed out");
}
