//! A self-signed staging certificate given with `--ca-cert` is trusted as curl trusts it: pinned,
//! byte for byte, even though `openssl req -x509` marks it `CA:TRUE` (which webpki alone refuses
//! as an end entity: `CaUsedAsEndEntity`). A pinned certificate must still name the host, be
//! within its dates and sign the handshake with its own key; any other certificate is still
//! refused.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use gatecheck::gateway::SpawnedGateway;
use gatecheck::runner::target::Target;
use gatecheck::transport::TlsOptions;
use rcgen::{date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};

use super::{ca_file, gateway, options, server_config, tls_front_with};
use crate::support::{assert_exit, gatecheck, get, repo_path, temp_dir, write_file};

/// A self-signed certificate (PEM and DER) and its key.
struct SelfSigned {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

/// A certificate as `openssl req -x509 -newkey ... -subj /CN=localhost -addext
/// subjectAltName=DNS:localhost,IP:127.0.0.1` makes it with OpenSSL's default configuration:
/// self-signed, `basicConstraints=critical,CA:TRUE`, no key usage. `names` are its SANs.
fn openssl_like(names: &[&str], edit: impl FnOnce(&mut CertificateParams)) -> SelfSigned {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    edit(&mut params);
    let key = KeyPair::generate().expect("key");
    let certificate = params.self_signed(&key).expect("certificate");
    SelfSigned {
        pem: certificate.pem(),
        der: certificate.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

fn staging() -> SelfSigned {
    openssl_like(&["localhost", "127.0.0.1"], |_| {})
}

/// A TLS front showing `shown`, a gateway behind it, and a client given `pinned` as `--ca-cert`.
async fn pinned_target(shown: &SelfSigned, pinned: &SelfSigned) -> (Target, SpawnedGateway) {
    let gateway = gateway().await;
    let config = server_config()
        .with_single_cert(vec![shown.der.clone()], shown.key.clone_key())
        .expect("server config");
    let front = tls_front_with(gateway.addr, config).await;
    (target(front, pinned), gateway)
}

fn target(front: std::net::SocketAddr, pinned: &SelfSigned) -> Target {
    let tls = TlsOptions {
        insecure: false,
        ca_certs: vec![ca_file("pinned", &pinned.pem)],
    };
    Target::new(&format!("https://{front}"), options(tls, false)).expect("target")
}

async fn refusal(target: &Target) -> String {
    let error = target
        .send(&get("/nowhere"))
        .await
        .expect_err("must be refused");
    error.message
}

#[tokio::test]
async fn an_openssl_style_self_signed_certificate_is_pinned() {
    let certificate = staging();
    let (target, _gateway) = pinned_target(&certificate, &certificate).await;
    let answer = target.send(&get("/nowhere")).await.expect("answer");
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn another_self_signed_certificate_of_the_same_name_is_refused() {
    let (pinned, shown) = (staging(), staging());
    let (target, _gateway) = pinned_target(&shown, &pinned).await;
    let error = refusal(&target).await;
    assert!(error.contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn a_pinned_certificate_must_name_the_host() {
    let elsewhere = openssl_like(&["staging.example"], |_| {});
    let (target, _gateway) = pinned_target(&elsewhere, &elsewhere).await;
    let error = refusal(&target).await;
    assert!(error.contains("not valid for name"), "{error}");
}

#[tokio::test]
async fn a_pinned_certificate_past_its_dates_is_refused() {
    let expired = openssl_like(&["127.0.0.1"], |params| {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    });
    let (target, _gateway) = pinned_target(&expired, &expired).await;
    let error = refusal(&target).await;
    assert!(error.contains("certificate expired"), "{error}");
    let future = openssl_like(&["127.0.0.1"], |params| {
        params.not_before = date_time_ymd(2090, 1, 1);
        params.not_after = date_time_ymd(2091, 1, 1);
    });
    let (target, _gateway) = pinned_target(&future, &future).await;
    let error = refusal(&target).await;
    assert!(error.contains("certificate not valid yet"), "{error}");
}

/// A server that shows the pinned certificate without holding its key cannot sign the
/// handshake: the pin is of a key, not of bytes anyone can copy.
#[tokio::test]
async fn a_server_without_the_pinned_certificates_key_is_refused() {
    let (pinned, impostor) = (staging(), staging());
    let provider = rustls::crypto::ring::default_provider();
    let key = provider
        .key_provider
        .load_private_key(impostor.key.clone_key())
        .expect("signing key");
    // `CertifiedKey::new` does not check that the key is the certificate's, as a thief's
    // server would not.
    let resolver = SingleCertAndKey::from(CertifiedKey::new(vec![pinned.der.clone()], key));
    let config = server_config().with_cert_resolver(Arc::new(resolver));
    let gateway = gateway().await;
    let front = tls_front_with(gateway.addr, config).await;
    let error = refusal(&target(front, &pinned)).await;
    assert!(error.contains("BadSignature"), "{error}");
}

/// The real thing when `openssl` is installed: `gatecheck run --ca-cert cert.pem` passes the
/// happy paths through a front showing the certificate `openssl req -x509` made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_passes_with_the_certificate_openssl_made() {
    let dir = temp_dir("tls-openssl");
    let (certificate, openssl) = match openssl_certificate(&dir) {
        Some(made) => (made, true),
        None => {
            println!("note: no `openssl` here; using the rcgen certificate made the same way");
            let made = staging();
            write_file(&dir, "cert.pem", &made.pem);
            (made, false)
        }
    };
    if openssl {
        assert!(
            webpki_refuses_as_end_entity(&certificate.der),
            "openssl made a certificate webpki takes as it is: the test proves nothing"
        );
    }
    let gateway = gateway().await;
    let config = server_config()
        .with_single_cert(vec![certificate.der.clone()], certificate.key.clone_key())
        .expect("server config");
    let front = tls_front_with(gateway.addr, config).await;
    let cert = dir.join("cert.pem");
    let reports = dir.join("reports");
    let output = tokio::task::spawn_blocking(move || {
        gatecheck()
            .arg("run")
            .arg(repo_path("scenarios/happy"))
            .args(["--target", &format!("https://{front}")])
            .arg("--ca-cert")
            .arg(&cert)
            .arg("--reports")
            .arg(&reports)
            .output()
            .expect("gatecheck runs")
    })
    .await
    .expect("joined");
    assert_exit(&output, 0);
}

/// `openssl req -x509` as a staging set-up runs it; none when there is no `openssl`.
fn openssl_certificate(dir: &Path) -> Option<SelfSigned> {
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .ok()?;
    assert!(status.status.success(), "openssl req: {status:?}");
    let pem = std::fs::read_to_string(dir.join("cert.pem")).expect("cert.pem");
    Some(SelfSigned {
        der: CertificateDer::from_pem_slice(pem.as_bytes()).expect("certificate"),
        key: PrivateKeyDer::from_pem_file(dir.join("key.pem")).expect("key"),
        pem,
    })
}

/// What made `--ca-cert` fail before pinning: webpki, trusting the certificate as a root,
/// still refuses it as the server's own.
fn webpki_refuses_as_end_entity(der: &CertificateDer<'static>) -> bool {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der.clone()).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
            .build()
            .expect("verifier");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let now = rustls::pki_types::UnixTime::now();
    let error = verifier
        .verify_server_cert(der, &[], &name, &[], now)
        .expect_err("refused");
    format!("{error:?}").contains("CaUsedAsEndEntity")
}
