//! HTTP/2 without TLS (h2c, prior knowledge): the client speaks it, the embedded gateway answers
//! it, and the whole suite passes over it as over HTTP/1.1.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use gatecheck::gateway::{self, Clock, GatewayConfig};
use gatecheck::profile::Profile;
use gatecheck::runner::target::{ClientOptions, Prepared, Target};
use gatecheck::runner::{self, RunOptions};

#[tokio::test]
async fn requests_go_over_h2c_when_asked() {
    let gateway = gateway::spawn(
        GatewayConfig {
            captcha_pool: 2,
            ..GatewayConfig::default()
        },
        Clock::system(),
    )
    .await
    .expect("gateway");
    let probe = Prepared {
        method: reqwest::Method::GET,
        path: "/nowhere".into(),
        headers: Vec::new(),
        body: None,
    };
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
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = gatecheck::suite::load(&[path], &Profile::reference()).expect("suite");
    let mut options = RunOptions::new(Profile::reference());
    options.client.http2 = true;
    options.embedded.captcha_pool = 4;
    let (record, _) = runner::run(scenarios, &options, std::future::pending())
        .await
        .expect("run");
    let failed = common::failed_files(&record);
    assert!(
        failed.is_empty(),
        "{failed:?}\n{}",
        gatecheck::report::console::render(&record)
    );
}
