//! Whether the test-support endpoints may be served on an address. They hand out CAPTCHA
//! answers and codes and set any user's password, so on an address other machines can reach
//! they give every account away: `gatecheck serve` serves them on loopback only, unless told
//! otherwise in so many words.

use std::net::{IpAddr, SocketAddr};

/// The flag that allows test support on an address other machines can reach.
pub const ALLOW_REMOTE_FLAG: &str = "--allow-remote-test-support";

/// 127.0.0.0/8 and ::1 (also written as the IPv4-mapped `::ffff:127.x.y.z`). The unspecified
/// addresses (`0.0.0.0`, `::`) are every interface, so never loopback.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// What serving on some addresses means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// Loopback only, or no test support: nothing to say.
    Safe,
    /// Test support on these reachable addresses, allowed by the flag: print the warning.
    Allowed(Vec<SocketAddr>),
}

/// Test support on these reachable addresses, not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing to serve the test-support endpoints on {}, which other machines can reach (only 127.0.0.0/8 and ::1 are loopback): /test/v1 hands out CAPTCHA answers and codes and sets any user's password. Listen on 127.0.0.1, add --no-test-support, or pass {ALLOW_REMOTE_FLAG} if every host that can reach it is yours", list(.0))]
pub struct Refused(pub Vec<SocketAddr>);

/// Judges every address a listen address resolved to: one reachable address is enough to
/// expose the endpoints.
pub fn judge(
    addrs: &[SocketAddr],
    test_support: bool,
    allow_remote: bool,
) -> Result<Exposure, Refused> {
    let reachable: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|addr| !is_loopback(addr.ip()))
        .collect();
    match (test_support && !reachable.is_empty(), allow_remote) {
        (false, _) => Ok(Exposure::Safe),
        (true, true) => Ok(Exposure::Allowed(reachable)),
        (true, false) => Err(Refused(reachable)),
    }
}

/// The banner `serve` prints on stderr when test support is allowed off loopback.
pub fn warning(reachable: &[SocketAddr], token_required: bool) -> String {
    let guard = if token_required {
        "every test-support request must carry the X-Test-Support-Token header"
    } else {
        "no --test-support-token is set: anyone who can reach it can take over every account"
    };
    format!(
        "WARNING: test-support endpoints served on {} ({ALLOW_REMOTE_FLAG}): they hand out CAPTCHA answers and codes and set any user's password; {guard}",
        list(reachable)
    )
}

fn list(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(text: &[&str]) -> Vec<SocketAddr> {
        text.iter().map(|a| a.parse().expect("address")).collect()
    }

    #[test]
    fn only_loopback_is_loopback() {
        for local in ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(local.parse().expect("ip")), "{local}");
        }
        for reachable in [
            "0.0.0.0",
            "::",
            "10.0.0.1",
            "192.168.1.2",
            "128.0.0.1",
            "126.255.255.255",
            "::2",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:0.0.0.0",
        ] {
            assert!(!is_loopback(reachable.parse().expect("ip")), "{reachable}");
        }
    }

    #[test]
    fn test_support_off_loopback_is_refused_unless_allowed() {
        let local = addrs(&["127.0.0.1:8080", "[::1]:8080"]);
        assert_eq!(judge(&local, true, false), Ok(Exposure::Safe));
        let any = addrs(&["0.0.0.0:8080"]);
        assert_eq!(judge(&any, true, false), Err(Refused(any.clone())));
        assert_eq!(
            judge(&any, false, false),
            Ok(Exposure::Safe),
            "no test support"
        );
        assert_eq!(judge(&any, true, true), Ok(Exposure::Allowed(any.clone())));
        // A name that resolves to loopback and to something else is judged by every address.
        let mixed = addrs(&["127.0.0.1:80", "[2001:db8::1]:80"]);
        assert_eq!(
            judge(&mixed, true, false),
            Err(Refused(addrs(&["[2001:db8::1]:80"])))
        );
    }

    #[test]
    fn the_refusal_names_the_flag_and_the_address() {
        let message = Refused(addrs(&["[::]:9"])).to_string();
        assert!(message.contains(ALLOW_REMOTE_FLAG), "{message}");
        assert!(message.contains("[::]:9"), "{message}");
        assert!(warning(&addrs(&["0.0.0.0:1"]), false).starts_with("WARNING"));
    }
}
