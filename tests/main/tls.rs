//! https targets: the certificate is checked against the system's trust store and `--ca-cert`
//! files, or not at all with `--insecure`; `--http2` is chosen by ALPN. A TLS front on loopback
//! (rustls, certificates made by rcgen for this test) passes the bytes on to the embedded gateway.
//! A self-signed certificate given with `--ca-cert` is pinned: see `pinned`.

#[path = "tls/pinned.rs"]
mod pinned;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gatecheck::gateway::{GatewayConfig, SpawnedGateway};
use gatecheck::profile::Profile;
use gatecheck::runner::target::{ClientOptions, Target};
use gatecheck::runner::RunOptions;
use gatecheck::transport::TlsOptions;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::support::{
    failed_files, get, repo_path, run, scenarios, spawn_gateway, temp_dir, write_file,
};

/// A test CA (PEM) and a certificate it signed for 127.0.0.1, with its key.
struct Pki {
    ca_pem: String,
    certificate: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "gatecheck test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key")).expect("CA");
    let key = KeyPair::generate().expect("key");
    let certificate = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("certificate");
    Pki {
        ca_pem: ca.as_ref().pem(),
        certificate: certificate.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

/// Terminates TLS on a loopback port and relays each connection to `backend`.
async fn tls_front(backend: SocketAddr, pki: &Pki) -> SocketAddr {
    let config = server_config()
        .with_single_cert(vec![pki.certificate.clone()], pki.key.clone_key())
        .expect("server config");
    tls_front_with(backend, config).await
}

fn server_config() -> rustls::ConfigBuilder<rustls::ServerConfig, rustls::server::WantsServerCert> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
}

/// `tls_front` with a server configuration of the caller's.
async fn tls_front_with(backend: SocketAddr, mut config: rustls::ServerConfig) -> SocketAddr {
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

async fn gateway() -> SpawnedGateway {
    let config = GatewayConfig {
        captcha_pool: 2,
        ..GatewayConfig::default()
    };
    spawn_gateway(config).await
}

fn options(tls: TlsOptions, http2: bool) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        http2,
        tls,
        ..ClientOptions::default()
    }
}

fn ca_file(name: &str, pem: &str) -> PathBuf {
    write_file(&temp_dir("tls"), &format!("{name}.pem"), pem)
}

#[tokio::test]
async fn an_unknown_certificate_is_refused_with_the_reason() {
    let (gateway, pki) = (gateway().await, pki());
    let front = tls_front(gateway.addr, &pki).await;
    let target = Target::new(
        &format!("https://{front}"),
        options(TlsOptions::default(), false),
    )
    .expect("target");
    let error = target
        .send(&get("/nowhere"))
        .await
        .expect_err("must be refused");
    assert!(error.message.contains("TLS handshake failed"), "{error}");
    assert!(error.message.contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn a_ca_file_makes_the_certificate_trusted() {
    let (gateway, pki) = (gateway().await, pki());
    let front = tls_front(gateway.addr, &pki).await;
    let tls = TlsOptions {
        insecure: false,
        ca_certs: vec![ca_file("ca", &pki.ca_pem)],
    };
    let target = Target::new(&format!("https://{front}"), options(tls, false)).expect("target");
    let answer = target.send(&get("/nowhere")).await.expect("answer");
    assert_eq!(
        (answer.status, answer.version),
        (404, hyper::Version::HTTP_11)
    );
}

#[tokio::test]
async fn a_ca_file_without_a_certificate_is_an_error() {
    let tls = TlsOptions {
        insecure: false,
        ca_certs: vec![ca_file("empty", "not a certificate\n")],
    };
    let error = Target::new("https://127.0.0.1:1", options(tls, false)).expect_err("must fail");
    assert!(error.contains("no PEM certificate"), "{error}");
}

#[tokio::test]
async fn insecure_skips_the_check_and_http2_is_chosen_by_alpn() {
    let (gateway, pki) = (gateway().await, pki());
    let front = tls_front(gateway.addr, &pki).await;
    let insecure = TlsOptions {
        insecure: true,
        ca_certs: Vec::new(),
    };
    for (http2, version) in [
        (false, hyper::Version::HTTP_11),
        (true, hyper::Version::HTTP_2),
    ] {
        let target = Target::new(
            &format!("https://{front}"),
            options(insecure.clone(), http2),
        )
        .expect("target");
        let answer = target.send(&get("/nowhere")).await.expect("answer");
        assert_eq!((answer.status, answer.version), (404, version));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_happy_paths_pass_over_tls() {
    let (gateway, pki) = (gateway().await, pki());
    let front = tls_front(gateway.addr, &pki).await;
    let mut options = RunOptions::new(Profile::reference());
    options.session.target = Some(format!("https://{front}"));
    options.session.client.tls.insecure = true;
    let scenarios = scenarios(&repo_path("scenarios/happy"), &options.session.profile);
    assert!(!scenarios.is_empty());
    let (record, _) = run(scenarios, &options).await;
    let failed = failed_files(&record);
    assert!(failed.is_empty(), "{failed:?}");
}
