//! How one secret is shown, and the set of values found so far that free text is scrubbed of.

use sha2::{Digest, Sha256};

/// What kind of secret a value is, which decides how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// High entropy (T1, T2, T3, ~198 bits): a 4-character prefix and the length.
    Token,
    /// Low entropy: a prefix of a 6-digit code or a password would give away much of it, so
    /// only the length and a keyed fingerprint are shown.
    Code,
    Password,
}

/// Values shorter than this are masked where they sit (a secret field or header) but not
/// scrubbed from free text: replacing every `a` or `12` would shred the text and hide nothing.
pub const MIN_SCRUBBED: usize = 4;

/// A token shorter than this is shown like a password: a prefix of a short one is most of it.
const MIN_PREFIXED: usize = 16;

/// The secret values one scenario's record has met, to scrub from its free text.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so a value inside another (a password inside `user:password`) is
    /// replaced after the longer one.
    values: Vec<(String, Class)>,
}

impl Secrets {
    pub fn add(&mut self, value: &str, class: Class) {
        if value.is_empty() || self.values.iter().any(|(v, _)| v == value) {
            return;
        }
        let at = self.values.partition_point(|(v, _)| v.len() >= value.len());
        self.values.insert(at, (value.to_owned(), class));
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn extend(&mut self, other: &Secrets) {
        for (value, class) in &other.values {
            self.add(value, *class);
        }
    }
}

/// `PXB2…(33 chars)` for a token, `…(6 chars #3fa9)` for a code or a password.
pub(super) fn mask(key: &[u8; 16], value: &str, class: Class) -> String {
    let chars = value.chars().count();
    if class == Class::Token && chars >= MIN_PREFIXED {
        let prefix: String = value.chars().take(4).collect();
        return format!("{prefix}…({chars} chars)");
    }
    let digest = Sha256::new()
        .chain_update(key)
        .chain_update(value.as_bytes())
        .finalize();
    format!("…({chars} chars #{:02x}{:02x})", digest[0], digest[1])
}

/// `text` with every known value (of `MIN_SCRUBBED` characters or more) masked; a value of
/// digits only where no digit touches it, so `123456` stays inside `0.1234567`.
pub(super) fn scrub(key: &[u8; 16], text: &str, secrets: &Secrets) -> String {
    let mut text = text.to_owned();
    for (value, class) in &secrets.values {
        if value.chars().count() < MIN_SCRUBBED || !text.contains(value.as_str()) {
            continue;
        }
        let digits = value.bytes().all(|b| b.is_ascii_digit());
        text = replace(&text, value, &mask(key, value, *class), digits);
    }
    text
}

fn replace(text: &str, value: &str, mask: &str, digits: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(value) {
        let end = at + value.len();
        let touches = |b: Option<&u8>| b.is_some_and(u8::is_ascii_digit);
        let bounded = !digits
            || !(touches(rest.as_bytes().get(end))
                || at > 0 && touches(rest.as_bytes().get(at - 1)));
        out.push_str(&rest[..at]);
        out.push_str(if bounded { mask } else { value });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
