//! A user's record made from its spec, and put in the directory under every name it is known by.

use super::{identity_kind, Bindings, IdentityKind, Inner, PasswordHash, Record, UserSpec};

impl Record {
    /// A user's record as `spec` describes it (the hash made outside any lock).
    pub(super) fn of(spec: &UserSpec) -> Self {
        let mut bindings = Bindings {
            phone: spec.phone.clone(),
            email: spec.email.clone(),
            account: spec.account.clone(),
        };
        // The identity itself is always one of the user's bindings.
        let slot = match identity_kind(&spec.user) {
            IdentityKind::Phone => &mut bindings.phone,
            IdentityKind::Email => &mut bindings.email,
            IdentityKind::Account => &mut bindings.account,
        };
        slot.get_or_insert_with(|| spec.user.clone());
        Record {
            bindings,
            password: PasswordHash::new(&spec.password),
            temporary_password: false,
        }
    }
}

impl Inner {
    /// Adds `record` as `user`, or replaces that user's, with every name it is known by.
    pub(super) fn insert(&mut self, user: &str, record: Record) {
        let names: Vec<String> = std::iter::once(user.to_owned())
            .chain(record.bindings.names().map(str::to_owned))
            .collect();
        let id = match self.index.get(user) {
            Some(&id) => {
                let old: Vec<String> = self.records[id]
                    .bindings
                    .names()
                    .map(str::to_owned)
                    .collect();
                for name in old {
                    if self.index.get(&name) == Some(&id) {
                        self.index.remove(&name);
                    }
                }
                self.records[id] = record;
                id
            }
            None => {
                self.records.push(record);
                self.records.len() - 1
            }
        };
        for name in names {
            self.index.insert(name, id);
        }
    }
}
