//! A cheap hash for maps keyed by services and real servers (the plan's
//! index, a listing's answers by source). The standard SipHash guards
//! against inputs crafted to collide, which costs a restore or a listing
//! of tens of thousands of services a measurable share of its time; here
//! the keys come from root's own rule file and the kernel table, and a
//! collision only slows a lookup, so a multiply-and-rotate mix is enough.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// `BuildHasher` of [`KeyHasher`], for `HashMap<ServiceKey, _, KeyHashing>`.
pub(crate) type KeyHashing = BuildHasherDefault<KeyHasher>;

/// A map hashed by [`KeyHasher`] (`KeyMap::default()`, or
/// `KeyMap::from_iter` for a literal).
pub(crate) type KeyMap<K, V> = HashMap<K, V, KeyHashing>;

/// A set hashed by [`KeyHasher`].
pub(crate) type KeySet<K> = HashSet<K, KeyHashing>;

/// Mixes each written word into the state: rotate, xor, multiply by an odd
/// constant with well-spread bits (the golden ratio's, 2^64 / phi).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher {
    state: u64,
}

const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

impl KeyHasher {
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(SPREAD);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" and "ab\0" apart.
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.mix(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        // HashMap takes its bucket from the low bits and its tag from the
        // high ones: fold the well-mixed high half into the low half.
        self.state ^ (self.state >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Protocol, ServiceKey};
    use std::collections::HashSet;
    use std::hash::BuildHasher;
    use std::net::{IpAddr, Ipv4Addr};

    fn hash(key: &ServiceKey) -> u64 {
        KeyHashing::default().hash_one(key)
    }

    #[test]
    fn services_of_a_big_table_get_distinct_hashes_spread_over_buckets() {
        let keys: Vec<ServiceKey> = (0..65_536u32)
            .map(|i| ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)),
                port: 80,
            })
            .collect();
        let hashes: HashSet<u64> = keys.iter().map(hash).collect();
        assert_eq!(hashes.len(), keys.len());
        // The low 12 bits pick among 4,096 buckets: each should be used,
        // none crowded.
        let mut buckets = vec![0u32; 4096];
        for h in &hashes {
            buckets[(h & 4095) as usize] += 1;
        }
        let fullest = buckets.iter().max().copied().unwrap_or(0);
        assert!(buckets.iter().all(|&n| n > 0), "an unused bucket");
        assert!(fullest <= 64, "a bucket holds {fullest} of 65,536 keys");
    }

    #[test]
    fn byte_strings_of_different_lengths_differ() {
        let of = |bytes: &[u8]| {
            let mut h = KeyHasher::default();
            h.write(bytes);
            h.finish()
        };
        assert_ne!(of(b"ab"), of(b"ab\0"));
        assert_ne!(of(b""), of(b"\0"));
    }
}
