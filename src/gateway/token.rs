//! Tokens: 33 URL-safe characters from a CSPRNG. A token is looked up by its first
//! `SELECTOR_LEN` characters and then compared whole in constant time, so the map lookup's
//! timing never tells an attacker how much of a guessed token was right.

use rand::Rng;
use subtle::ConstantTimeEq;

pub const TOKEN_LEN: usize = 33;
const SELECTOR_LEN: usize = 16;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A fresh unguessable token (~198 bits).
pub fn new_token() -> String {
    let mut rng = rand::rng();
    (0..TOKEN_LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The map key of a presented token. Any string works: a short or odd token simply finds
/// nothing.
pub fn selector(token: &str) -> &str {
    let end = token
        .char_indices()
        .nth(SELECTOR_LEN)
        .map_or(token.len(), |(i, _)| i);
    &token[..end]
}

/// Whether the presented token is exactly the stored one, in time independent of where they differ.
pub fn matches(stored: &str, presented: &str) -> bool {
    stored.len() == presented.len() && bool::from(stored.as_bytes().ct_eq(presented.as_bytes()))
}

/// `n` random decimal digits (verification codes).
pub fn new_digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_33_url_safe_characters_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn codes_are_digits() {
        let code = new_digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|c| c.is_ascii_digit()));
    }

    proptest! {
        #[test]
        fn selector_never_panics_and_prefixes(token in ".*") {
            let sel = selector(&token);
            prop_assert!(token.starts_with(sel));
            prop_assert!(sel.chars().count() <= SELECTOR_LEN);
        }

        #[test]
        fn matches_is_equality(a in "[a-z]{0,4}", b in "[a-z]{0,4}") {
            prop_assert_eq!(matches(&a, &b), a == b);
        }
    }
}
