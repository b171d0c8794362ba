//! The fields of a flat JSON object read in one pass over its bytes: what nearly every answer
//! of the API is (`{"error_code": "USG.290030400", "error_msg": "..."}`, a CAPTCHA's two
//! images, its `pointY` and `token`). It answers only for a body that is beyond doubt a valid
//! object of strings without escapes, integers of at most 18 digits, `true`, `false` and
//! `null`, so its answer is `Value`'s; anything else (an escape, a nested value, a float, a
//! syntax error) is `Unsure`, and `peek` reads the body with serde_json. Through serde_json the
//! same fields cost 2,200 instructions for a 72-byte error and 2.6 a byte for a CAPTCHA
//! answer (`bench/README.md`).

use super::peek::AnswerFields;

/// What the one pass found.
#[derive(Debug, PartialEq, Eq)]
pub enum Flat {
    /// A flat object: its fields.
    Read(AnswerFields),
    /// Not for this pass to say: read it with serde_json.
    Unsure,
}

/// `body`'s fields if it is a flat object of simple values.
pub fn read(body: &[u8]) -> Flat {
    let scanner = Scanner { bytes: body, at: 0 };
    match scanner.object() {
        Some(fields) => Flat::Read(fields),
        None => Flat::Unsure,
    }
}

/// The distinct keys of an object of at most `MAX_KEYS` (a larger one is left to serde_json).
#[derive(Default)]
struct Keys<'a> {
    seen: [&'a [u8]; MAX_KEYS],
    count: usize,
}

const MAX_KEYS: usize = 16;

impl<'a> Keys<'a> {
    /// Adds a key; a duplicate counts once, as `Value` keeps it once.
    fn add(&mut self, key: &'a [u8]) -> Option<()> {
        if !self.seen[..self.count].contains(&key) {
            *self.seen.get_mut(self.count)? = key;
            self.count += 1;
        }
        Some(())
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    /// The object's fields, or `None` for anything this pass does not answer for.
    fn object(mut self) -> Option<AnswerFields> {
        let mut fields = AnswerFields::default();
        let mut keys = Keys::default();
        self.eat(b'{')?;
        if !self.next_is(b'}') {
            loop {
                let key = self.string()?;
                self.eat(b':')?;
                self.space();
                let text = self.peek()? == b'"';
                match (key, text) {
                    (b"error_code", true) => fields.error_code = Some(self.text()?),
                    (b"token", true) => {
                        fields.token = Some(self.text()?);
                        fields.token_not_text = false;
                    }
                    (b"error_msg", true) => fields.has_message = !self.string()?.is_empty(),
                    (_, true) => {
                        self.string()?;
                    }
                    (key, false) => {
                        self.scalar()?;
                        match key {
                            b"error_code" => fields.error_code = None,
                            b"error_msg" => fields.has_message = false,
                            b"token" => (fields.token, fields.token_not_text) = (None, true),
                            _ => {}
                        }
                    }
                }
                keys.add(key)?;
                self.space();
                match self.take()? {
                    b',' => self.space(),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.space();
        if self.at != self.bytes.len() {
            return None;
        }
        fields.keys = keys.count;
        Some(fields)
    }

    /// A string as kept text.
    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.string()?.to_vec()).ok()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn take(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    /// JSON's four whitespace bytes.
    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Whitespace, then `byte`.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.take()? == byte).then_some(())
    }

    /// Whitespace, then whether `byte` is next (taken if so).
    fn next_is(&mut self, byte: u8) -> bool {
        self.space();
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    /// A string without escapes or control characters, at the next quote; its text.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.space();
        if self.take()? != b'"' {
            return None;
        }
        let start = self.at;
        let (length, high) = plain_run(&self.bytes[start..]);
        let end = start + length;
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        let text = &self.bytes[start..end];
        // Only text with bytes beyond ASCII can be invalid UTF-8.
        (!high || std::str::from_utf8(text).is_ok()).then_some(text)
    }

    /// `true`, `false`, `null` or an integer of at most 18 digits (any such is in range).
    fn scalar(&mut self) -> Option<()> {
        let rest = &self.bytes[self.at..];
        for literal in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(literal) {
                self.at += literal.len();
                return Some(());
            }
        }
        let sign = usize::from(rest.first() == Some(&b'-'));
        let digits = rest[sign..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let leading_zero = digits > 1 && rest[sign] == b'0';
        let more = rest.get(sign + digits);
        // A fraction, an exponent or more digits: serde_json decides.
        if digits == 0 || digits > 18 || leading_zero || matches!(more, Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at += sign + digits;
        Some(())
    }
}

/// The length of the run of bytes from the start that are neither a quote, a backslash nor a
/// control character, and whether any of them is not ASCII. Keys, codes and tokens end within
/// a few bytes, read one by one; past `SHORT`, memchr finds the quote or backslash (32 bytes a
/// step where the CPU has AVX2) and two reductions that vectorise check the run.
fn plain_run(bytes: &[u8]) -> (usize, bool) {
    let mut high = 0u8;
    for (at, &b) in bytes.iter().take(SHORT).enumerate() {
        if SPECIAL[usize::from(b)] {
            return (at, high >= 0x80);
        }
        high |= b;
    }
    let Some(rest) = bytes.get(SHORT..) else {
        return (bytes.len(), high >= 0x80);
    };
    let run = &rest[..memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len())];
    let lowest = run.iter().fold(u8::MAX, |m, &b| m.min(b));
    let highest = run.iter().fold(high, |m, &b| m.max(b));
    match lowest >= 0x20 {
        true => (SHORT + run.len(), highest >= 0x80),
        // A control character: the run ends there.
        false => {
            let end = run.iter().position(|&b| b < 0x20).unwrap_or(run.len());
            let high = high >= 0x80 || run[..end].iter().any(|&b| b >= 0x80);
            (SHORT + end, high)
        }
    }
}

/// A quote, a backslash or a control character, where a string's plain run ends: a lookup a
/// byte (three comparisons cost twice as much).
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    table
};

/// Bytes of a string read one by one before the long way.
const SHORT: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_apis_own_answers_are_read_in_one_pass() {
        let error = "{\"error_code\":\"USG.290030400\",\"error_msg\":\"验证码错误或已过期\"}";
        let Flat::Read(fields) = read(error.as_bytes()) else {
            panic!("an error answer is flat");
        };
        assert_eq!(fields.error_code.as_deref(), Some("USG.290030400"));
        assert!(fields.has_message);
        assert_eq!(fields.keys, 2);
        let image = "iVBORw0KGgo".repeat(300);
        let captcha = format!(
            "{{\"shadowImage\": \"data:image/png;base64,{image}\", \"cutImage\": \"{image}\",\n \
             \"pointY\": 16, \"token\": \"sKOmmqvG_-\", \"expire\": 60, \"x\": null, \"y\": -0}}"
        );
        let Flat::Read(fields) = read(captcha.as_bytes()) else {
            panic!("a CAPTCHA answer is flat");
        };
        assert_eq!(fields.token.as_deref(), Some("sKOmmqvG_-"));
        assert_eq!(fields.keys, 7);
        assert_eq!(read(b" { } "), Flat::Read(AnswerFields::default()));
    }

    #[test]
    fn an_object_of_more_than_sixteen_keys_is_left_to_serde_json() {
        let object = |keys: usize, distinct: usize| {
            let members = (0..keys).map(|n| format!("\"k{}\": 1", n % distinct));
            format!("{{{}}}", members.collect::<Vec<_>>().join(","))
        };
        let Flat::Read(fields) = read(object(16, 16).as_bytes()) else {
            panic!("sixteen keys are read in one pass");
        };
        assert_eq!(fields.keys, 16);
        // Duplicates count once, so twenty members of sixteen keys are read too.
        assert!(matches!(read(object(20, 16).as_bytes()), Flat::Read(f) if f.keys == 16));
        assert_eq!(read(object(17, 17).as_bytes()), Flat::Unsure);
    }

    #[test]
    fn anything_unusual_is_left_to_serde_json() {
        for body in [
            &br#"{"token": "a\u0041"}"#[..],
            b"{\"token\": \"a\nb\"}",
            b"{\"token\": \"a\tb\"}",
            br#"{"x": {"error_code": "no"}}"#,
            br#"{"x": [1]}"#,
            br#"{"x": 1.5}"#,
            br#"{"x": 1e3}"#,
            br#"{"x": 0123}"#,
            br#"{"x": 1234567890123456789}"#,
            br#"{"x": -}"#,
            br#"{"x": tru}"#,
            br#"{"x": "a",}"#,
            br#"{"x" "a"}"#,
            br#"{"x": "a"} x"#,
            br#"{"x": "a""#,
            br#"["error_code"]"#,
            b"null",
            b"",
            b"{\"x\": \"\xff\"}",
        ] {
            assert_eq!(
                read(body),
                Flat::Unsure,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_run_stops_at_the_first_special_byte_before_or_past_the_short_part() {
        for at in [0, 1, 31, 32, 33, 63, 64, 100] {
            for special in [b'"', b'\\', b'\n', 0x1f] {
                for (high_at, high) in
                    [(None, false), (Some(at / 2), at > 0), (Some(at + 1), false)]
                {
                    let mut bytes = vec![b'a'; 130];
                    bytes[at] = special;
                    if let Some(h) = high_at.filter(|&h| h != at) {
                        bytes[h] = 0xc3;
                    }
                    assert_eq!(
                        plain_run(&bytes),
                        (at, high),
                        "{special} at {at}, {high_at:?}"
                    );
                }
            }
        }
        assert_eq!(plain_run(&[b'a'; 70]), (70, false));
        assert_eq!(plain_run(&[b'a'; 20]), (20, false));
        assert_eq!(plain_run("é".repeat(40).as_bytes()), (80, true));
    }

    /// What `Value` says of the body.
    fn by_value(body: &[u8]) -> Option<AnswerFields> {
        AnswerFields::of_value(&serde_json::from_slice::<serde_json::Value>(body).ok()?)
    }

    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "{",
            "}",
            ":",
            ",",
            " ",
            "\n",
            "\t",
            "\"error_code\"",
            "\"error_msg\"",
            "\"token\"",
            "\"x\"",
            "\"\"",
            "\"USG.1\"",
            "\"验证码\"",
            "\"a\\u0041\"",
            "\"a\tb\"",
            "0",
            "-0",
            "7",
            "-12",
            "01",
            "1.5",
            "2e3",
            "123456789012345678",
            "1234567890123456789",
            "true",
            "false",
            "null",
            "nul",
            "[1]",
            "{}",
            "\"",
        ])
    }

    proptest! {
        /// Any run of JSON's pieces: whenever the one pass answers, it answers as `Value`.
        #[test]
        fn what_it_reads_is_what_value_reads(pieces in prop::collection::vec(piece(), 0..14)) {
            let body = pieces.concat();
            if let Flat::Read(fields) = read(body.as_bytes()) {
                prop_assert_eq!(Some(fields), by_value(body.as_bytes()), "{}", body);
            }
        }

        /// Any flat object of such values, spaced any way: read in one pass, as `Value` reads it.
        #[test]
        fn flat_objects_are_read_in_one_pass(
            pairs in prop::collection::vec((
                prop::sample::select(vec!["error_code", "error_msg", "token", "x", "验"]),
                prop_oneof![
                    "[a-zA-Z0-9_ 验证é.-]{0,12}".prop_map(|s| format!("\"{s}\"")),
                    // Past the part read one by one.
                    "[a-z验é]{28,90}".prop_map(|s| format!("\"{s}\"")),
                    (-999_999_999_999_999_999i64..=999_999_999_999_999_999).prop_map(|n| n.to_string()),
                    prop::sample::select(vec!["true".to_owned(), "false".into(), "null".into()]),
                ],
            ), 0..6),
            space in prop::sample::select(vec!["", " ", "\n\t ", "\r\n"]),
            (at, byte) in (any::<prop::sample::Index>(), any::<u8>()),
        ) {
            let text = pairs
                .iter()
                .map(|(k, v)| format!("{space}\"{k}\"{space}:{space}{v}{space}"))
                .collect::<Vec<_>>()
                .join(",");
            let body = format!("{space}{{{text}}}{space}");
            let Flat::Read(fields) = read(body.as_bytes()) else {
                return Err(TestCaseError::fail(format!("not read in one pass: {body}")));
            };
            prop_assert_eq!(Some(fields), by_value(body.as_bytes()), "{}", body);
            // One byte changed: read in one pass or not, never read otherwise than `Value` does.
            let mut changed = body.into_bytes();
            let at = at.index(changed.len());
            changed[at] = byte;
            if let Flat::Read(fields) = read(&changed) {
                prop_assert_eq!(Some(fields), by_value(&changed));
            }
        }
    }
}
