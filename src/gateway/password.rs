//! The password policy of `api.md` (each rule switchable) and salted password hashes.
//!
//! Hash choice: one SHA-256 over a 16-byte random salt and the password. A production service
//! would use a slow KDF (argon2id); the reference gateway is a test double whose load runs
//! must measure its protocol logic, and a slow KDF at ~50 ms per reset would turn every load
//! test into a KDF benchmark. Salting still means equal passwords never hash alike and nothing
//! is stored in plain text.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_len: usize,
    pub max_len: usize,
    /// How many of lower, upper, digit, other must appear.
    pub min_classes: usize,
    /// The longest allowed run of one character (2: `aa` is fine, `aaa` is not).
    pub max_run: usize,
    /// Refuse passwords containing the account name (and its reverse, with
    /// `user_name_reversed`), case-insensitive.
    pub forbid_user_name: bool,
    pub user_name_reversed: bool,
    /// Printable ASCII only (else any non-control character, non-ASCII ones as "other").
    pub ascii_only: bool,
    /// The current password is refused as the new one (the flow checks it: the policy does
    /// not know the user's password).
    pub forbid_reuse: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_len: 8,
            max_len: 32,
            min_classes: 2,
            max_run: 2,
            forbid_user_name: true,
            user_name_reversed: true,
            ascii_only: false,
            forbid_reuse: false,
        }
    }
}

/// Which rule a password broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    Length,
    Classes,
    NotPrintable,
    Run,
    ContainsUserName,
}

impl PasswordPolicy {
    /// Checks `password` for a user whose name (account name, or the identity itself when no
    /// account is bound) is `user_name`.
    pub fn check(&self, password: &str, user_name: &str) -> Result<(), PolicyViolation> {
        let len = password.chars().count();
        if len < self.min_len || len > self.max_len {
            return Err(PolicyViolation::Length);
        }
        let unprintable = |c: char| c.is_control() || (self.ascii_only && !c.is_ascii());
        if password.chars().any(unprintable) {
            return Err(PolicyViolation::NotPrintable);
        }
        if class_count(password) < self.min_classes {
            return Err(PolicyViolation::Classes);
        }
        if longest_run(password) > self.max_run {
            return Err(PolicyViolation::Run);
        }
        if self.forbid_user_name && contains_name(password, user_name, self.user_name_reversed) {
            return Err(PolicyViolation::ContainsUserName);
        }
        Ok(())
    }
}

fn class_count(password: &str) -> usize {
    let mut classes = [false; 4];
    for c in password.chars() {
        let class = if c.is_ascii_lowercase() {
            0
        } else if c.is_ascii_uppercase() {
            1
        } else if c.is_ascii_digit() {
            2
        } else {
            3
        };
        classes[class] = true;
    }
    classes.iter().filter(|present| **present).count()
}

fn longest_run(password: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    let mut previous = None;
    for c in password.chars() {
        run = if Some(c) == previous { run + 1 } else { 1 };
        previous = Some(c);
        longest = longest.max(run);
    }
    longest
}

fn contains_name(password: &str, user_name: &str, reversed_too: bool) -> bool {
    if user_name.is_empty() {
        return false;
    }
    let password = password.to_lowercase();
    let name = user_name.to_lowercase();
    let reversed: String = name.chars().rev().collect();
    password.contains(&name) || (reversed_too && password.contains(&reversed))
}

/// A salted password hash.
#[derive(Debug, Clone)]
pub struct PasswordHash {
    salt: [u8; 16],
    digest: [u8; 32],
}

impl PasswordHash {
    pub fn new(password: &str) -> Self {
        let salt: [u8; 16] = rand::rng().random();
        Self {
            salt,
            digest: digest(&salt, password),
        }
    }

    pub fn verify(&self, password: &str) -> bool {
        bool::from(digest(&self.salt, password).ct_eq(&self.digest))
    }
}

fn digest(salt: &[u8; 16], password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(password: &str) -> Result<(), PolicyViolation> {
        PasswordPolicy::default().check(password, "zhangsan")
    }

    #[test]
    fn length_boundaries() {
        assert_eq!(check("Abcd123"), Err(PolicyViolation::Length)); // 7
        assert_eq!(check("Abcd1234"), Ok(())); // 8
        assert_eq!(check(&format!("Ab{}", "12".repeat(15))), Ok(())); // 32
        assert_eq!(
            check(&format!("Ab{}3", "12".repeat(15))),
            Err(PolicyViolation::Length)
        ); // 33
    }

    #[test]
    fn runs_of_two_pass_runs_of_three_fail() {
        assert_eq!(check("Abcc1234"), Ok(()));
        assert_eq!(check("Abccc123"), Err(PolicyViolation::Run));
    }

    #[test]
    fn two_classes_are_needed() {
        assert_eq!(check("abcdefgh"), Err(PolicyViolation::Classes));
        assert_eq!(check("abcdefg1"), Ok(()));
        assert_eq!(check("abcdefg!"), Ok(()));
    }

    #[test]
    fn user_name_and_its_reverse_are_refused_case_insensitively() {
        assert_eq!(check("xZhangSan1"), Err(PolicyViolation::ContainsUserName));
        assert_eq!(check("1NASGNAHZx"), Err(PolicyViolation::ContainsUserName));
        let lax = PasswordPolicy {
            forbid_user_name: false,
            ..PasswordPolicy::default()
        };
        assert_eq!(lax.check("xZhangSan1", "zhangsan"), Ok(()));
        let forward_only = PasswordPolicy {
            user_name_reversed: false,
            ..PasswordPolicy::default()
        };
        assert_eq!(forward_only.check("1NASGNAHZx", "zhangsan"), Ok(()));
        assert_eq!(
            forward_only.check("xZhangSan1", "zhangsan"),
            Err(PolicyViolation::ContainsUserName)
        );
    }

    #[test]
    fn non_ascii_is_other_unless_ascii_only() {
        assert_eq!(check("abcdéfgh"), Ok(()));
        let ascii = PasswordPolicy {
            ascii_only: true,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            ascii.check("abcdéfgh", "zhangsan"),
            Err(PolicyViolation::NotPrintable)
        );
        assert_eq!(ascii.check("abcdefg!", "zhangsan"), Ok(()));
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(check("Abcd\n1234"), Err(PolicyViolation::NotPrintable));
    }

    #[test]
    fn hashes_are_salted_and_verify() {
        let a = PasswordHash::new("Abcd1234!x");
        let b = PasswordHash::new("Abcd1234!x");
        assert_ne!(a.digest, b.digest);
        assert!(a.verify("Abcd1234!x"));
        assert!(!a.verify("Abcd1234!y"));
    }

    proptest! {
        #[test]
        fn policy_never_panics(password in "\\PC{0,40}", name in "\\PC{0,10}") {
            let _ = PasswordPolicy::default().check(&password, &name);
        }

        #[test]
        fn accepted_passwords_obey_every_rule(password in "[a-zA-Z0-9!#]{0,40}") {
            if check(&password).is_ok() {
                let len = password.chars().count();
                prop_assert!((8..=32).contains(&len));
                prop_assert!(longest_run(&password) <= 2);
                prop_assert!(class_count(&password) >= 2);
                prop_assert!(!password.to_lowercase().contains("zhangsan"));
            }
        }
    }
}
