//! hyper users: validate the request with `handshake::server_response`,
//! answer with the returned 101, then run `WebSocketStream` on the upgraded
//! connection. A tokio-tungstenite client talks to it over 127.0.0.1.

use std::convert::Infallible;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use pushcodec::ws::{handshake, Role, WebSocketConfig, WebSocketStream};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message as TMessage;

async fn upgrade(mut req: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let resp = match handshake::server_response(&req) {
        Ok(resp) => resp,
        Err(e) => return Ok(e.to_response()),
    };
    tokio::spawn(async move {
        let upgraded = hyper::upgrade::on(&mut req).await.unwrap();
        let mut ws = WebSocketStream::from_raw(
            TokioIo::new(upgraded),
            Role::Server,
            WebSocketConfig::default(),
        );
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() || m.is_binary() {
                ws.send(m).await.unwrap();
            }
        }
    });
    Ok(resp.map(|()| String::new()))
}

#[tokio::test]
async fn hyper_upgrade_then_our_stream() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service_fn(upgrade))
                .with_upgrades()
                .await
                .unwrap();
        });
        let url = format!("ws://{addr}/socket");
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut c, resp) = tokio_tungstenite::client_async(url.as_str(), tcp)
            .await
            .unwrap();
        assert_eq!(resp.status(), 101);
        c.send(TMessage::text("through hyper")).await.unwrap();
        assert_eq!(
            c.next().await.unwrap().unwrap(),
            TMessage::text("through hyper")
        );
        c.close(None).await.unwrap();
        while let Some(Ok(_)) = c.next().await {}
    })
    .await
    .expect("timed out");
}
