//! HTTP/2 without TLS (h2c, prior knowledge): the client speaks it, the embedded gateway answers
//! it, and the whole suite passes over it as over HTTP/1.1.

use std::time::Duration;

use gatecheck::gateway::GatewayConfig;
use gatecheck::profile::Profile;
use gatecheck::runner::target::{ClientOptions, Target};
use gatecheck::runner::RunOptions;

use crate::support::{failed_files, get, repo_path, run_path, spawn_gateway};

#[tokio::test]
async fn requests_go_over_h2c_when_asked() {
    let gateway = spawn_gateway(GatewayConfig {
        captcha_pool: 2,
        ..GatewayConfig::default()
    })
    .await;
    let probe = get("/nowhere");
    for (http2, version) in [
        (false, reqwest::Version::HTTP_11),
        (true, reqwest::Version::HTTP_2),
    ] {
        let options = ClientOptions {
            timeout: Duration::from_secs(5),
            http2,
            ..ClientOptions::default()
        };
        let target = Target::new(&gateway.base_url(), options).expect("target");
        let answer = target.send(&probe).await.expect("answer");
        assert_eq!((answer.status, answer.version), (404, version));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_passes_over_http2() {
    let mut options = RunOptions::new(Profile::reference());
    options.session.client.http2 = true;
    options.session.embedded.captcha_pool = 4;
    let record = run_path(&repo_path("scenarios"), &options).await;
    let failed = failed_files(&record);
    assert!(
        failed.is_empty(),
        "{failed:?}\n{}",
        gatecheck::report::console::render(&record)
    );
}

/// An h2c server that answers 200 to everything and counts the connections it accepted.
async fn counting_h2c_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use hyper::server::conn::http2;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_request| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(b"{}")),
                    ))
                });
                let _ = http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn requests_take_the_http2_connections_in_turn() {
    for connections in [1, 3] {
        let (url, accepted) = counting_h2c_server().await;
        let options = ClientOptions {
            http2: true,
            http2_connections: connections,
            ..ClientOptions::default()
        };
        let target = Target::new(&url, options).expect("target");
        let probe = get("/");
        for _ in 0..12 {
            let answer = target.send(&probe).await.expect("answer");
            assert_eq!(answer.version, reqwest::Version::HTTP_2);
        }
        assert_eq!(
            accepted.load(std::sync::atomic::Ordering::SeqCst),
            connections
        );
    }
}
