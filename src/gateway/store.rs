//! A bounded map whose entries expire: the one container behind every token, code and timer the
//! gateway keeps. Memory stays bounded two ways: entries past their deadline are dropped, and past
//! the cap the oldest entry is evicted first, so a flood of call 1 cannot grow the process.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use super::clock::Millis;

#[derive(Debug)]
pub struct ExpiringStore<K, V> {
    map: HashMap<K, Slot<V>>,
    /// Insertion order; an entry whose sequence number no longer matches the map is a tombstone.
    order: VecDeque<(u64, K)>,
    next_seq: u64,
    cap: usize,
}

#[derive(Debug)]
struct Slot<V> {
    seq: u64,
    expires_at: Millis,
    value: V,
}

impl<K: Hash + Eq + Clone, V> ExpiringStore<K, V> {
    pub fn new(cap: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            cap: cap.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Inserts or replaces `key`. A replaced entry counts as new: it moves to the back of the
    /// eviction order.
    pub fn insert(&mut self, key: K, value: V, expires_at: Millis, now: Millis) {
        self.insert_evicting(key, value, expires_at, now, |_| {});
    }

    /// `insert`, telling `evicted` each key the cap pushed out (not those that expired).
    pub fn insert_evicting(
        &mut self,
        key: K,
        value: V,
        expires_at: Millis,
        now: Millis,
        mut evicted: impl FnMut(K),
    ) {
        self.purge(now);
        if !self.map.contains_key(&key) {
            self.make_room();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back((seq, key.clone()));
        self.map.insert(
            key,
            Slot {
                seq,
                expires_at,
                value,
            },
        );
        while self.map.len() > self.cap {
            if let Some(key) = self.pop_oldest() {
                evicted(key);
            }
        }
    }

    /// The live value under `key`, if any.
    pub fn get(&self, key: &K, now: Millis) -> Option<&V> {
        self.map
            .get(key)
            .filter(|slot| slot.expires_at > now)
            .map(|slot| &slot.value)
    }

    pub fn get_mut(&mut self, key: &K, now: Millis) -> Option<&mut V> {
        self.map
            .get_mut(key)
            .filter(|slot| slot.expires_at > now)
            .map(|slot| &mut slot.value)
    }

    /// Removes and returns the live value under `key`. Under one lock this is the atomic
    /// "consume once" the single-use tokens need.
    pub fn take(&mut self, key: &K, now: Millis) -> Option<V> {
        match self.map.get(key) {
            Some(slot) if slot.expires_at > now => self.map.remove(key).map(|slot| slot.value),
            _ => None,
        }
    }

    /// Live entries, for the rare lookups that are not by key (a fault switch's wrong lookup).
    pub fn iter_live(&self, now: Millis) -> impl Iterator<Item = (&K, &V)> {
        self.map
            .iter()
            .filter(move |(_, slot)| slot.expires_at > now)
            .map(|(key, slot)| (key, &slot.value))
    }

    /// Live entries to change in place (a choice that touches every entry of one user).
    pub fn iter_live_mut(&mut self, now: Millis) -> impl Iterator<Item = (&K, &mut V)> {
        self.map
            .iter_mut()
            .filter(move |(_, slot)| slot.expires_at > now)
            .map(|(key, slot)| (key, &mut slot.value))
    }

    /// Drops expired entries from the front of the order. Every store gives its entries one
    /// lifetime, so insertion order is expiry order and the scan stops at the first live entry.
    pub fn purge(&mut self, now: Millis) {
        while let Some((seq, key)) = self.order.front() {
            match self.map.get(key) {
                Some(slot) if slot.seq == *seq => {
                    if slot.expires_at > now {
                        break;
                    }
                    self.map.remove(key);
                }
                _ => {}
            }
            self.order.pop_front();
        }
        // Consumed entries leave tombstones behind; compact before they outnumber live ones.
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(seq, key)| map.get(key).is_some_and(|slot| slot.seq == *seq));
        }
    }

    /// Before a new key goes in: when the map has no room left, a new table sized for the live
    /// entries with a quarter to spare (the same table a store of 100,000 or 250,000 filled).
    /// The map's own growth would double its table instead, and a full store fills it with
    /// tombstones, not entries: each eviction or expiry leaves one where a removed entry sat
    /// among others, and only a table at most half full is cleaned of them in place. The
    /// changed users' 250,000 in a table for 458,752 doubled so after ~3 million resets
    /// (42 MB), though they never held more than the cap.
    fn make_room(&mut self) {
        if self.map.len() < self.map.capacity() {
            return;
        }
        let live = self.map.len() + 1;
        let mut map = HashMap::with_capacity(live + live / 4);
        map.extend(self.map.drain());
        self.map = map;
    }

    fn pop_oldest(&mut self) -> Option<K> {
        while let Some((seq, key)) = self.order.pop_front() {
            if self.map.get(&key).is_some_and(|slot| slot.seq == seq) {
                self.map.remove(&key);
                return Some(key);
            }
        }
        None
    }

    #[cfg(test)]
    fn order_len(&self) -> usize {
        self.order.len()
    }

    /// Entries the map holds without reallocating (its table, less the slots tombstones took).
    #[cfg(test)]
    pub(crate) fn map_capacity(&self) -> usize {
        self.map.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entries_expire_at_their_deadline() {
        let mut store = ExpiringStore::new(10);
        store.insert("a", 1, 100, 0);
        assert_eq!(store.get(&"a", 99), Some(&1));
        assert_eq!(store.get(&"a", 100), None);
        assert_eq!(store.take(&"a", 100), None);
    }

    #[test]
    fn take_consumes_exactly_once() {
        let mut store = ExpiringStore::new(10);
        store.insert("a", 1, 100, 0);
        assert_eq!(store.take(&"a", 1), Some(1));
        assert_eq!(store.take(&"a", 1), None);
    }

    #[test]
    fn the_cap_evicts_the_oldest_first() {
        let mut store = ExpiringStore::new(2);
        store.insert("a", 1, 100, 0);
        store.insert("b", 2, 100, 0);
        store.insert("a", 3, 100, 0); // replacing makes "a" the newest
        store.insert("c", 4, 100, 0);
        assert_eq!(store.get(&"b", 1), None);
        assert_eq!(store.get(&"a", 1), Some(&3));
        assert_eq!(store.get(&"c", 1), Some(&4));
    }

    #[test]
    fn expired_entries_are_dropped_on_insert() {
        let mut store = ExpiringStore::new(100);
        for i in 0..50 {
            store.insert(i, (), 10, 0);
        }
        store.insert(1000, (), 30, 20);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_full_store_under_churn_keeps_the_table_it_filled() {
        // 250 live entries in a table for 448: more than half, as the changed users' 250,000
        // in one for 458,752. Each fresh key evicts the oldest; the removals leave tombstones
        // in the table, and the map must not double to get rid of them.
        let cap = 250;
        let mut store = ExpiringStore::new(cap);
        for key in 0..cap as u64 {
            store.insert(key, (), Millis::MAX, 0);
        }
        let filled = store.map_capacity();
        for key in cap as u64..1000 * cap as u64 {
            store.insert(key, (), Millis::MAX, 0);
            assert_eq!(store.len(), cap);
            assert!(
                store.map_capacity() <= filled,
                "after {key} inserts the map holds {} (filled at {filled})",
                store.map_capacity()
            );
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8),
        Take(u8),
        Tick(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            any::<u8>().prop_map(|k| Op::Insert(k % 32)),
            any::<u8>().prop_map(|k| Op::Take(k % 32)),
            (0u8..20).prop_map(Op::Tick),
        ]
    }

    proptest! {
        /// The store agrees with a naive model and never holds more than its cap, nor an
        /// unbounded tail of tombstones. One lifetime per store, as the gateway uses it.
        #[test]
        fn agrees_with_a_naive_model(
            ops in proptest::collection::vec(op(), 1..300),
            cap in 1usize..16,
            ttl in 1u64..50,
        ) {
            let mut store = ExpiringStore::new(cap);
            let mut model: Vec<(u8, u64, u64)> = Vec::new(); // key, expires_at, inserted order
            let mut now = 0u64;
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert(k) => {
                        store.insert(k, n, now + ttl, now);
                        model.retain(|(mk, exp, _)| *mk != k && *exp > now);
                        model.push((k, now + ttl, n as u64));
                        while model.len() > cap {
                            model.remove(0);
                        }
                    }
                    Op::Take(k) => {
                        let expected = model.iter().position(|(mk, exp, _)| *mk == k && *exp > now);
                        let got = store.take(&k, now);
                        prop_assert_eq!(got.is_some(), expected.is_some());
                        if let Some(i) = expected {
                            prop_assert_eq!(got, Some(model[i].2 as usize));
                            model.remove(i);
                        }
                    }
                    Op::Tick(dt) => now += dt as u64,
                }
                prop_assert!(store.len() <= cap);
                prop_assert!(store.order_len() <= 2 * cap + 64 + 1);
            }
        }
    }
}
