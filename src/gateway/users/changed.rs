//! Generated users whose password changed: the only per-user state a long load run leaves
//! behind (each flow resets a new generated user). The newest `cap` changes are remembered by
//! the user's index with the salted hash (what a later login needs); the user changed longest
//! ago is forgotten past the cap, and a forgotten user is remembered as one bit of a
//! compressed bitmap (`roaring`: runs of neighbouring indices take a few bytes), so it refuses
//! every login instead of getting its first password back.

use roaring::RoaringTreemap;

use crate::gateway::password::PasswordHash;
use crate::gateway::store::ExpiringStore;

/// What is known of one generated user.
#[derive(Debug)]
pub enum Known<'a> {
    /// Its password never changed: it has the numbering's.
    Unchanged,
    /// Its password changed to this (`true`: a temporary one).
    Changed(&'a PasswordHash, bool),
    /// Its password changed and was forgotten: no password opens it.
    Forgotten,
}

#[derive(Debug)]
pub struct ChangedUsers {
    /// By index; never expires, the oldest change evicted past the cap.
    recent: ExpiringStore<u64, (PasswordHash, bool)>,
    forgotten: RoaringTreemap,
}

impl ChangedUsers {
    pub fn new(cap: usize) -> Self {
        Self {
            recent: ExpiringStore::new(cap),
            forgotten: RoaringTreemap::new(),
        }
    }

    pub fn get(&self, index: u64) -> Known<'_> {
        match self.recent.get(&index, 0) {
            Some((hash, temporary)) => Known::Changed(hash, *temporary),
            None if self.forgotten.contains(index) => Known::Forgotten,
            None => Known::Unchanged,
        }
    }

    /// Records a new password; the change becomes the newest.
    pub fn set(&mut self, index: u64, hash: PasswordHash, temporary: bool) {
        self.forgotten.remove(index);
        let forgotten = &mut self.forgotten;
        self.recent
            .insert_evicting(index, (hash, temporary), u64::MAX, 0, |evicted| {
                forgotten.insert(evicted);
            });
    }

    /// Users remembered with their password, and users forgotten.
    pub fn counts(&self) -> (usize, u64) {
        (self.recent.len(), self.forgotten.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_change_is_forgotten_past_the_cap_and_opens_nothing() {
        let mut users = ChangedUsers::new(2);
        assert!(matches!(users.get(7), Known::Unchanged));
        users.set(1, PasswordHash::new("One#Pass1"), false);
        users.set(2, PasswordHash::new("Two#Pass2"), true);
        users.set(1, PasswordHash::new("One#Pass11"), false); // 1 is now the newest
        users.set(3, PasswordHash::new("Three#Pass3"), false);
        assert!(matches!(users.get(2), Known::Forgotten));
        assert!(matches!(users.get(1), Known::Changed(hash, false) if hash.verify("One#Pass11")));
        assert_eq!(users.counts(), (2, 1));
        // A forgotten user whose password is reset again is remembered again.
        users.set(2, PasswordHash::new("Two#Pass22"), false);
        assert!(matches!(users.get(2), Known::Changed(..)));
        assert!(matches!(users.get(1), Known::Forgotten));
        assert_eq!(users.counts(), (2, 1));
    }

    #[test]
    fn a_million_changes_keep_the_cap_and_a_small_bitmap() {
        let mut users = ChangedUsers::new(1000);
        let hash = PasswordHash::new("Same#Pass1");
        for index in 0..1_000_000u64 {
            users.set(index, hash.clone(), false);
        }
        assert_eq!(users.counts(), (1000, 999_000));
        assert!(users.forgotten.serialized_size() < 200_000);
    }
}
