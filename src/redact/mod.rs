//! Secrets kept out of every report and the console: passwords, tokens and codes found in JSON
//! bodies by field name (at any depth), in headers by name (case-insensitive) and in
//! test-support paths, each shown as a mask that tells two apart and is useless to an attacker;
//! every value found is then scrubbed from free text too (`Secrets::scrub`). Long JSON strings
//! (CAPTCHA data URLs) are cut to a prefix and their length. Knows nothing of the runner: it
//! works on text, headers and values. `--reveal-secrets` makes a `Redactor` that masks nothing.

mod mask;

use serde_json::Value;

pub use mask::{Class, Secrets};

/// Fields whose values are secret wherever they sit in a JSON body (compared without case).
pub const SECRET_FIELDS: &[(&str, Class)] = &[
    ("newPwd", Class::Password),
    ("password", Class::Password),
    ("oldPwd", Class::Password),
    ("code", Class::Code),
    ("token", Class::Token),
    ("accessToken", Class::Token),
    ("refreshToken", Class::Token),
];

/// Headers whose values are secret (compared without case). `Authorization` keeps its scheme.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-access-token",
    "x-test-support-token",
    "cookie",
    "set-cookie",
];

/// Test-support paths whose last segment is a live token (`GET /test/v1/captcha/{T1}`).
const TOKEN_PATHS: &[&str] = &["/test/v1/captcha/"];

/// The line every report and the console carry when `--reveal-secrets` showed secrets.
pub const REVEALED: &str = "SECRETS REVEALED (--reveal-secrets): this output holds live passwords, tokens and codes; do not keep or share it";

/// JSON strings longer than this are cut to `CUT_PREFIX` characters and their length.
pub const LONG_STRING: usize = 120;
const CUT_PREFIX: usize = 40;

/// How a run shows secrets: masked (the default) or, with `--reveal-secrets`, as they are.
#[derive(Debug, Clone)]
pub struct Redactor {
    reveal: bool,
    /// Keys the fingerprints of low-entropy secrets: new for every process, so a fingerprint
    /// cannot be looked up in a table made beforehand.
    key: [u8; 16],
    fields: Vec<(String, Class)>,
    headers: Vec<String>,
    /// Values scrubbed from every text whatever the scenario learnt (the test-support token:
    /// a target's error answer may echo it).
    standing: Secrets,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new(&[], &[], false)
    }
}

impl Redactor {
    /// The built-in names plus a profile's extra `fields` and `headers` (secret as passwords
    /// are: fingerprinted, never a prefix).
    pub fn new(fields: &[String], headers: &[String], reveal: bool) -> Self {
        let mut all: Vec<(String, Class)> = SECRET_FIELDS
            .iter()
            .map(|(name, class)| (name.to_ascii_lowercase(), *class))
            .collect();
        all.extend(
            fields
                .iter()
                .map(|f| (f.to_ascii_lowercase(), Class::Password)),
        );
        let mut names: Vec<String> = SECRET_HEADERS.iter().map(|h| (*h).to_owned()).collect();
        names.extend(headers.iter().map(|h| h.to_ascii_lowercase()));
        Self {
            reveal,
            key: rand::random(),
            fields: all,
            headers: names,
            standing: Secrets::default(),
        }
    }

    /// True with `--reveal-secrets`: nothing is masked (long strings are still cut).
    pub fn reveals(&self) -> bool {
        self.reveal
    }

    /// `PXB2…(33 chars)` for a token, `…(6 chars #3fa9)` for a code or a password; the value
    /// itself with `--reveal-secrets`.
    pub fn mask(&self, value: &str, class: Class) -> String {
        if self.reveal {
            return value.to_owned();
        }
        mask::mask(&self.key, value, class)
    }

    /// `text` with every value of `secrets` masked (see `mask::scrub`).
    pub fn scrub(&self, text: &str, secrets: &Secrets) -> String {
        if self.reveal || (secrets.is_empty() && self.standing.is_empty()) {
            return text.to_owned();
        }
        let text = mask::scrub(&self.key, text, secrets);
        mask::scrub(&self.key, &text, &self.standing)
    }

    /// Also scrubs `value` from every text this redactor cleans.
    pub fn with_standing(mut self, value: &str, class: Class) -> Self {
        self.standing.add(value, class);
        self
    }

    fn field_class(&self, name: &str) -> Option<Class> {
        let name = name.to_ascii_lowercase();
        self.fields
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, c)| *c)
    }

    pub fn is_secret_header(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.headers.contains(&name)
    }

    /// Learns the secret values of a body: those under secret field names, if it is JSON.
    pub fn find_in_body(&self, body: &str, secrets: &mut Secrets) {
        if let Ok(value) = serde_json::from_str::<Value>(body) {
            self.find_in_json(&value, secrets);
        }
    }

    pub fn find_in_json(&self, value: &Value, secrets: &mut Secrets) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match self.field_class(key) {
                        Some(class) => secrets.add(&plain(inner), class),
                        None => self.find_in_json(inner, secrets),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.find_in_json(i, secrets)),
            _ => {}
        }
    }

    /// Learns the secret header values: the whole value, and for `Basic` credentials the
    /// encoded part, the decoded `user:password` and the password alone.
    pub fn find_in_headers(&self, headers: &[(String, String)], secrets: &mut Secrets) {
        for (name, value) in headers {
            if !self.is_secret_header(name) {
                continue;
            }
            let (scheme, credentials) = split_scheme(value);
            secrets.add(credentials, Class::Token);
            if scheme.eq_ignore_ascii_case("basic") {
                if let Some(decoded) = decode_basic(credentials) {
                    secrets.add(&decoded, Class::Password);
                    if let Some((_, password)) = decoded.split_once(':') {
                        secrets.add(password, Class::Password);
                    }
                }
            }
        }
    }

    /// Learns a token carried in a test-support path.
    pub fn find_in_path(&self, path: &str, secrets: &mut Secrets) {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        for prefix in TOKEN_PATHS {
            if let Some(at) = path.find(prefix) {
                secrets.add(&path[at + prefix.len()..], Class::Token);
            }
        }
    }

    /// A body as a report shows it: JSON with every secret field masked, every other string
    /// scrubbed of known secrets and cut when long; other text scrubbed.
    pub fn body(&self, body: &str, secrets: &Secrets) -> String {
        match serde_json::from_str::<Value>(body) {
            Ok(mut value) if value.is_object() || value.is_array() => {
                if !self.rewrite(&mut value, secrets) {
                    // Nothing to hide or cut: the bytes as sent (key order, spacing, numbers).
                    return body.to_owned();
                }
                serde_json::to_string(&value).unwrap_or_default()
            }
            _ => self.scrub(body, secrets),
        }
    }

    /// Masks, scrubs and cuts in place; whether anything changed.
    fn rewrite(&self, value: &mut Value, secrets: &Secrets) -> bool {
        match value {
            Value::Object(map) => {
                let mut changed = false;
                for (key, inner) in map.iter_mut() {
                    changed |= match self.field_class(key) {
                        Some(class) if !self.reveal => {
                            *inner = Value::String(self.mask(&plain(inner), class));
                            true
                        }
                        _ => self.rewrite(inner, secrets),
                    };
                }
                changed
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, i| self.rewrite(i, secrets) | changed),
            Value::String(text) => {
                let shown = cut(&self.scrub(text, secrets));
                let changed = shown != *text;
                *text = shown;
                changed
            }
            _ => false,
        }
    }

    /// Headers as a report shows them: secret ones masked (keeping an `Authorization`
    /// scheme), the others scrubbed.
    pub fn headers(
        &self,
        headers: &[(String, String)],
        secrets: &Secrets,
    ) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let shown = if self.is_secret_header(name) && !self.reveal {
                    let (scheme, credentials) = split_scheme(value);
                    let class = if scheme.eq_ignore_ascii_case("basic") {
                        Class::Password
                    } else {
                        Class::Token
                    };
                    let masked = self.mask(credentials, class);
                    if scheme.is_empty() {
                        masked
                    } else {
                        format!("{scheme} {masked}")
                    }
                } else {
                    self.scrub(value, secrets)
                };
                (name.clone(), shown)
            })
            .collect()
    }
}

/// A JSON value as text: a string as it is, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `Basic abc` → (`Basic`, `abc`); a value with no scheme → (``, value).
fn split_scheme(value: &str) -> (&str, &str) {
    match value.trim().split_once(' ') {
        Some((scheme, rest))
            if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            (scheme, rest.trim())
        }
        _ => ("", value.trim()),
    }
}

fn decode_basic(encoded: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A long string as its first `CUT_PREFIX` characters and its length.
pub fn cut(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= LONG_STRING {
        return text.to_owned();
    }
    let prefix: String = text.chars().take(CUT_PREFIX).collect();
    format!("{prefix}…({chars} chars)")
}

#[cfg(test)]
mod tests;
