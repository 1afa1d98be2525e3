//! A key's hash slot, as Redis Cluster computes it: CRC16 (XMODEM) of the key, or of its hash
//! tag (the bytes between the first `{` and the next `}`, when there are any), modulo 16,384.
//! The `redis` crate computes the same but keeps the number to itself; this is on the publish
//! path of every cluster envelope (its connection is its slot's primary's), so it is a table
//! lookup per byte, no allocation.

use super::SLOTS;

/// CRC16 XMODEM's table (polynomial 0x1021), built at compile time.
const TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        // `byte` < 256: the shift keeps every bit.
        #[allow(clippy::cast_possible_truncation)]
        let mut crc = (byte as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x1021
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
};

fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// The part of `key` that decides its slot: its hash tag, if it has a non-empty one.
fn hashed(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|&b| b == b'{') else {
        return key;
    };
    let rest = &key[open + 1..];
    match rest.iter().position(|&b| b == b'}') {
        Some(close) if close > 0 => &rest[..close],
        _ => key,
    }
}

/// The hash slot of `key` (bytes).
pub(crate) fn slot_of_key(key: &[u8]) -> u16 {
    crc16(hashed(key)) % SLOTS
}

/// The hash slot of `channel`, as [`slot_of_key`].
pub(crate) fn slot_of(channel: &str) -> u16 {
    slot_of_key(channel.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;
    use redis::cluster_routing::Slot;

    use super::*;

    /// The `redis` crate's slot of `key`, as a number (through a table of every slot).
    fn clients_slot(key: &[u8]) -> u16 {
        static NUMBERS: std::sync::OnceLock<HashMap<Slot, u16>> = std::sync::OnceLock::new();
        let numbers = NUMBERS.get_or_init(|| {
            (0..SLOTS)
                .filter_map(|n| Slot::new(n).map(|slot| (slot, n)))
                .collect()
        });
        numbers[&Slot::for_key(key)]
    }

    #[test]
    fn redis_own_numbers() {
        // `CLUSTER KEYSLOT`: "123456789" is CRC16's check value (0x31C3).
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(slot_of("foo"), 12182);
        assert_eq!(
            slot_of("{user1000}.following"),
            slot_of("{user1000}.followers")
        );
        // An empty tag: the whole key is hashed.
        assert_eq!(slot_of("foo{}{bar}"), crc16(b"foo{}{bar}") % SLOTS);
        assert_eq!(slot_of("foo{{bar}}zap"), slot_of("{bar"));
        assert_eq!(slot_of("foo{bar}{zap}"), slot_of("bar"));
    }

    proptest! {
        #[test]
        fn the_same_slot_as_the_client(key in proptest::collection::vec(
            prop_oneof![Just(b'{'), Just(b'}'), any::<u8>(), b'a'..=b'e'], 0..24)
        ) {
            prop_assert_eq!(slot_of_key(&key), clients_slot(&key));
        }
    }
}
