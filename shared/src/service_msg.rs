//! `ServiceMsg`: the 16-byte record the state server writes and the message
//! server reads (C# `struct { int Id; long NowTime; }`, sequential layout).

use byteorder::{ByteOrder, LittleEndian};

use crate::layout::SERVICE_MSG_SIZE;
use crate::ticks::{format_ticks, now_ticks};

/// One record of the demo.
///
/// | field offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `id`: `i32` |
/// | 4 | 4 | padding, written as zero, ignored when read |
/// | 8 | 8 | `now_time`: `i64` .NET ticks of local time |
///
/// In memory it is laid out like the C# struct too (`repr(C)`: `id`, 4 bytes
/// of padding, `now_time`), which lets bulk encoding and decoding compile to
/// plain vector moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C, align(8))]
pub struct ServiceMsg {
    /// `Id`: in the demo, the record's offset inside the records view (0, 16, 32, ...).
    pub id: i32,
    /// `NowTime`: .NET ticks of local time (`DateTime.Now.Ticks`).
    pub now_time: i64,
}

impl ServiceMsg {
    /// Size of the encoded record in bytes.
    pub const SIZE: usize = SERVICE_MSG_SIZE;

    const ID_OFFSET: usize = 0;
    const NOW_TIME_OFFSET: usize = 8;

    /// A record with the given id, stamped with the current local time.
    pub fn now(id: i32) -> Self {
        ServiceMsg {
            id,
            now_time: now_ticks(),
        }
    }

    /// Encodes the record into its 16 little-endian bytes (padding zeroed).
    ///
    /// Built as one 128-bit little-endian word (`Id` in bits 0–31, zero
    /// padding in 32–63, `NowTime` in 64–127), which compiles to a couple of
    /// register moves, so bulk encoding runs near copy speed.
    #[inline]
    pub fn encode(&self) -> [u8; SERVICE_MSG_SIZE] {
        let word = u128::from(self.id as u32) | (u128::from(self.now_time as u64) << 64);
        word.to_le_bytes()
    }

    /// Encodes the record into `bytes` (padding zeroed).
    pub fn encode_into(&self, bytes: &mut [u8; SERVICE_MSG_SIZE]) {
        LittleEndian::write_i32(&mut bytes[Self::ID_OFFSET..Self::ID_OFFSET + 4], self.id);
        bytes[Self::ID_OFFSET + 4..Self::NOW_TIME_OFFSET].fill(0);
        LittleEndian::write_i64(&mut bytes[Self::NOW_TIME_OFFSET..], self.now_time);
    }

    /// Decodes a record from its 16 bytes. Any bytes decode (padding is ignored);
    /// check [`ServiceMsg::time_text`] for whether the time is meaningful.
    #[inline]
    pub fn decode(bytes: &[u8; SERVICE_MSG_SIZE]) -> Self {
        let word = u128::from_le_bytes(*bytes);
        ServiceMsg {
            id: word as u32 as i32,
            now_time: (word >> 64) as u64 as i64,
        }
    }

    /// `NowTime` as the programs print it: `YYYY-MM-DD HH:MM:SS` local time.
    pub fn time_text(&self) -> String {
        format_ticks(self.now_time)
    }
}

// The in-memory layout the fast bulk read relies on (`mapping.rs`): 16 bytes,
// `id` at 0, `now_time` at 8, on every target (`align(8)` also on 32-bit x86).
const _: () = assert!(std::mem::size_of::<ServiceMsg>() == SERVICE_MSG_SIZE);
const _: () = assert!(std::mem::offset_of!(ServiceMsg, id) == ServiceMsg::ID_OFFSET);
const _: () = assert!(std::mem::offset_of!(ServiceMsg, now_time) == ServiceMsg::NOW_TIME_OFFSET);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_to_the_documented_bytes() {
        let msg = ServiceMsg {
            id: 48,
            now_time: 638_664_392_280_000_000,
        };
        let bytes = msg.encode();
        assert_eq!(&bytes[0..4], &48i32.to_le_bytes());
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
        assert_eq!(&bytes[8..16], &638_664_392_280_000_000i64.to_le_bytes());
        assert_eq!(ServiceMsg::decode(&bytes), msg);
        assert_eq!(msg.time_text(), "2024-11-05 21:33:48");
    }

    #[test]
    fn the_fast_encoding_matches_the_field_by_field_layout() {
        for msg in [
            ServiceMsg {
                id: -7,
                now_time: i64::MIN,
            },
            ServiceMsg {
                id: i32::MAX,
                now_time: -1,
            },
            ServiceMsg {
                id: 64,
                now_time: 638_664_392_280_000_000,
            },
        ] {
            let mut by_field = [0xAAu8; SERVICE_MSG_SIZE];
            msg.encode_into(&mut by_field);
            assert_eq!(msg.encode(), by_field);
            assert_eq!(LittleEndian::read_i32(&by_field[0..4]), msg.id);
            assert_eq!(LittleEndian::read_i64(&by_field[8..16]), msg.now_time);
            assert_eq!(ServiceMsg::decode(&by_field), msg);
        }
    }

    #[test]
    fn decoding_ignores_padding_and_never_fails() {
        let bytes = [0xffu8; SERVICE_MSG_SIZE];
        let msg = ServiceMsg::decode(&bytes);
        assert_eq!(msg.id, -1);
        assert_eq!(msg.now_time, -1);
        assert_eq!(msg.time_text(), "invalid ticks -1");
    }
}
