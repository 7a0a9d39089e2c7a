//! [`NameMap`]: the hash map for the runtime's own keys (function names from the app, instance
//! ids it hands out), hashed with FNV-1a instead of the standard library's SipHash.
//!
//! The hot path looks a function up by name and an instance up by id on every invocation;
//! SipHash, which resists keys chosen by an attacker, cost about a tenth of a warm invocation's
//! instructions (see `BENCHMARKS.md`, "Hot path"). These keys come from the app and from the
//! runtime, not from requests, so the cheaper hash is enough.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hash map keyed by names or ids the runtime controls.
pub(crate) type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// FNV-1a, 64 bits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_are_found_again() {
        let mut map: NameMap<String, u64> = NameMap::default();
        for i in 0..1000u64 {
            map.insert(format!("f-{i}"), i);
        }
        assert!((0..1000u64).all(|i| map.get(format!("f-{i}").as_str()) == Some(&i)));
        let mut ids: NameMap<u64, u64> = NameMap::default();
        ids.extend((0..1000u64).map(|i| (i, i * 2)));
        assert_eq!(ids.get(&999), Some(&1998));
        assert_eq!(ids.len(), 1000);
    }
}
