//! TLS for https targets (rustls with the ring provider): the system's trust store plus any
//! `--ca-cert` files, or — opted into with `--insecure` for staging certificates — no
//! certificate check at all (handshake signatures are still verified).
//!
//! A certificate given with `--ca-cert` is also pinned, as OpenSSL (and so curl) trusts it: a
//! server presenting a byte-identical end-entity certificate is trusted without a chain, even
//! when the certificate says `CA:TRUE`, as `openssl req -x509` makes it by default (webpki alone
//! refuses a CA certificate as an end entity: `CaUsedAsEndEntity`). Like OpenSSL and curl, a
//! pinned certificate must still be within its validity period and name the host; the
//! handshake is still signed with its key. Anything else goes through webpki's verifier.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_name, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Accept any server certificate (self-signed, expired, another host's).
    pub insecure: bool,
    /// PEM files of extra certificate authorities, or of servers' own certificates, to trust.
    pub ca_certs: Vec<PathBuf>,
}

/// The client configuration for one target; `http2` picks the ALPN protocol offered.
pub fn client_config(options: &TlsOptions, http2: bool) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let policy = if options.insecure {
        Policy::AcceptAny
    } else {
        let (roots, pinned) = trust_store(&options.ca_certs)?;
        // No root at all (no system store, no `--ca-cert`) refuses every certificate at the
        // handshake, as an empty store does, rather than refusing to start.
        let webpki = match roots.is_empty() {
            true => None,
            false => Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|e| format!("TLS: {e}"))?,
            ),
        };
        Policy::PinnedOrWebPki { pinned, webpki }
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { provider, policy }))
        .with_no_client_auth();
    config.alpn_protocols = vec![if http2 {
        b"h2".to_vec()
    } else {
        b"http/1.1".to_vec()
    }];
    Ok(config)
}

pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    // An IPv6 literal comes bracketed out of a URL's authority.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .map_err(|e| format!("TLS: `{host}` is not a server name: {e}"))
}

/// The roots (the system's, then the `--ca-cert` files') and the certificates of those files,
/// which are pinned too.
type Trust = (rustls::RootCertStore, Vec<CertificateDer<'static>>);

fn trust_store(ca_certs: &[PathBuf]) -> Result<Trust, String> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped: the `--ca-cert` files may be all that is needed.
    let system = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(system.certs);
    let mut pinned = Vec::new();
    for path in ca_certs {
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
        let mut added = 0;
        for certificate in certificates {
            let certificate =
                certificate.map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
            roots
                .add(certificate.clone())
                .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
            pinned.push(certificate);
            added += 1;
        }
        if added == 0 {
            return Err(format!(
                "--ca-cert {}: no PEM certificate in the file",
                path.display()
            ));
        }
    }
    Ok((roots, pinned))
}

/// How the server's certificate is judged; its handshake signature is always verified.
#[derive(Debug)]
enum Policy {
    /// `--insecure`: whatever certificate the server shows, so the connection is at least
    /// encrypted to whoever holds its key.
    AcceptAny,
    /// A pinned certificate (byte for byte one of the `--ca-cert` files'), else webpki's chain
    /// to a root.
    PinnedOrWebPki {
        pinned: Vec<CertificateDer<'static>>,
        webpki: Option<Arc<WebPkiServerVerifier>>,
    },
}

#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    policy: Policy,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.policy {
            Policy::AcceptAny => Ok(ServerCertVerified::assertion()),
            Policy::PinnedOrWebPki { pinned, .. }
                if pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                // What OpenSSL still checks of a trusted self-signed certificate: its dates
                // (X509_V_ERR_CERT_HAS_EXPIRED) and, as curl asks, the host's name.
                check_validity(end_entity, now)?;
                verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            Policy::PinnedOrWebPki {
                webpki: Some(webpki),
                ..
            } => webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map_err(unknown_unless_pinned),
            Policy::PinnedOrWebPki { webpki: None, .. } => {
                Err(CertificateError::UnknownIssuer.into())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// webpki looks at a certificate's `CA:TRUE` before its issuer, so a self-signed staging
/// certificate that no `--ca-cert` file holds would be refused as `CaUsedAsEndEntity`, which
/// reads as if pinning it could not help: it is refused as any unknown certificate is.
fn unknown_unless_pinned(error: rustls::Error) -> rustls::Error {
    match &error {
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            CertificateError::UnknownIssuer.into()
        }
        _ => error,
    }
}

/// Refuses a certificate outside its `notBefore`..=`notAfter` (both inclusive, as in RFC 5280
/// and webpki).
fn check_validity(certificate: &[u8], now: UnixTime) -> Result<(), rustls::Error> {
    let (not_before, not_after) = validity(certificate).ok_or(
        rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
    )?;
    let at = |secs: u64| UnixTime::since_unix_epoch(Duration::from_secs(secs));
    if now.as_secs() < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: at(not_before),
        }
        .into());
    }
    if now.as_secs() > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: at(not_after),
        }
        .into());
    }
    Ok(())
}

/// A certificate's validity as Unix seconds, read from its DER: `Certificate ::= SEQUENCE {
/// tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity
/// SEQUENCE { notBefore, notAfter }, ... }, ... }` (RFC 5280 4.1). rustls reads it too, but
/// does not say what it found.
fn validity(certificate: &[u8]) -> Option<(u64, u64)> {
    let (certificate, _) = tlv(certificate, 0x30)?;
    let (mut tbs, _) = tlv(certificate, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs, 0xa0)?.1;
    }
    let (_, rest) = tlv(tbs, 0x02)?; // serialNumber
    let (_, rest) = tlv(rest, 0x30)?; // signature
    let (_, rest) = tlv(rest, 0x30)?; // issuer
    let (validity, _) = tlv(rest, 0x30)?;
    let (not_before, rest) = time(validity)?;
    let (not_after, _) = time(rest)?;
    Some((not_before, not_after))
}

/// One DER element of the given tag: its contents and what follows it.
fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    let (&length, mut rest) = rest.split_first()?;
    if first != tag {
        return None;
    }
    let length = match length {
        short @ 0..=0x7f => usize::from(short),
        long @ 0x81..=0x84 => {
            let (bytes, after) = rest.split_at_checked(usize::from(long & 0x7f))?;
            rest = after;
            bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
        }
        _ => return None,
    };
    rest.split_at_checked(length)
}

/// A UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as Unix
/// seconds, and what follows it.
fn time(input: &[u8]) -> Option<(u64, &[u8])> {
    let (text, rest, century) = match input.first()? {
        0x17 => {
            let (text, rest) = tlv(input, 0x17)?;
            let yy = digits(text.get(..2)?)?;
            (text, rest, Some(if yy >= 50 { 1900 } else { 2000 }))
        }
        _ => {
            let (text, rest) = tlv(input, 0x18)?;
            (text, rest, None)
        }
    };
    let (year, text) = match century {
        Some(century) => (century + digits(text.get(..2)?)?, &text[2..]),
        None => (digits(text.get(..4)?)?, text.get(4..)?),
    };
    if text.len() != 11 || text[10] != b'Z' {
        return None;
    }
    let field = |at: usize| digits(&text[at..at + 2]);
    let (month, day) = (field(0)?, field(2)?);
    let seconds = field(4)? * 3600 + field(6)? * 60 + field(8)?;
    Some((days_since_epoch(year, month, day)? * 86_400 + seconds, rest))
}

fn digits(text: &[u8]) -> Option<u64> {
    text.iter().try_fold(0u64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`); none before 1970.
fn days_since_epoch(year: u64, month: u64, day: u64) -> Option<u64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || year < 1970 {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(days_since_epoch(1970, 1, 1), Some(0));
        assert_eq!(days_since_epoch(2000, 3, 1), Some(11_017));
        assert_eq!(days_since_epoch(2024, 2, 29), Some(19_782));
        assert_eq!(days_since_epoch(1969, 12, 31), None);
    }

    #[test]
    fn both_time_encodings_are_read() {
        // UTCTime 2049-12-31 23:59:59 and GeneralizedTime 2050-01-01 00:00:00.
        let utc = b"\x17\x0d491231235959Z";
        let generalized = b"\x18\x0f20500101000000Z";
        assert_eq!(time(utc).map(|t| t.0), Some(2_524_607_999));
        assert_eq!(time(generalized).map(|t| t.0), Some(2_524_608_000));
        assert_eq!(time(b"\x17\x0d4912312359Z"), None);
    }
}
