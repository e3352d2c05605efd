//! Fingerprints: a 128-bit hash of values, each serialized as JSON, for the render cache
//! ([`crate::render_cache`]) to tell whether a page's inputs changed. It owns the hashing only:
//! what goes into a page's fingerprint is the views' ([`crate::views::Ctx`]) and the render
//! cache's business.

use serde::Serialize;
use siphasher::sip128::{Hasher128, SipHasher13};
use std::hash::Hasher;

/// A running 128-bit hash of values, each serialized as JSON (the same value always gives the
/// same bytes: the views hold no hash maps).
pub struct Fingerprinter {
    hasher: SipHasher13,
    /// Bytes not yet hashed: the serializer writes a few bytes at a time, and each call of the
    /// hasher has a cost of its own.
    buffer: Vec<u8>,
    /// A value that failed to serialize, or a fingerprint that could not be made: the page is
    /// never kept.
    failed: bool,
}

/// How many bytes are gathered before they are hashed.
const BUFFER: usize = 16 << 10;

impl Default for Fingerprinter {
    fn default() -> Self {
        Fingerprinter {
            hasher: SipHasher13::new_with_keys(0x6269_6c61_7420_7265, 0x6e64_6572_2063_6163),
            buffer: Vec::new(),
            failed: false,
        }
    }
}

impl Fingerprinter {
    /// Adds a named value.
    pub fn add<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.bytes(key.as_bytes());
        if serde_json::to_writer(&mut *self, value).is_err() {
            self.failed = true;
        }
        // A separator no JSON text contains: `"a"` then `"b"` differs from `"ab"`.
        self.take(&[0xff]);
    }

    /// Adds bytes, their length first.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.take(&(bytes.len() as u64).to_le_bytes());
        self.take(bytes);
    }

    fn take(&mut self, bytes: &[u8]) {
        if self.buffer.len() + bytes.len() > BUFFER {
            self.hasher.write(&self.buffer);
            self.buffer.clear();
        }
        if bytes.len() > BUFFER {
            self.hasher.write(bytes);
        } else {
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// The hash so far; `None` where a value could not be serialized.
    pub fn finish(&self) -> Option<u128> {
        if self.failed {
            return None;
        }
        let mut h = self.hasher;
        h.write(&self.buffer);
        Some(h.finish128().as_u128())
    }
}

impl std::io::Write for Fingerprinter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.take(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_values_and_their_boundaries_apart() {
        let of = |pairs: &[(&str, &str)]| {
            let mut f = Fingerprinter::default();
            for (k, v) in pairs {
                f.add(k, v);
            }
            f.finish()
        };
        assert_eq!(of(&[("a", "x")]), of(&[("a", "x")]));
        assert_ne!(of(&[("a", "x")]), of(&[("a", "y")]));
        assert_ne!(of(&[("a", "xy")]), of(&[("a", "x"), ("", "y")]));
    }
}
