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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    pub fn encode(&self) -> [u8; SERVICE_MSG_SIZE] {
        let mut bytes = [0u8; SERVICE_MSG_SIZE];
        self.encode_into(&mut bytes);
        bytes
    }

    /// Encodes the record into `bytes` (padding zeroed).
    pub fn encode_into(&self, bytes: &mut [u8; SERVICE_MSG_SIZE]) {
        LittleEndian::write_i32(&mut bytes[Self::ID_OFFSET..Self::ID_OFFSET + 4], self.id);
        bytes[Self::ID_OFFSET + 4..Self::NOW_TIME_OFFSET].fill(0);
        LittleEndian::write_i64(&mut bytes[Self::NOW_TIME_OFFSET..], self.now_time);
    }

    /// Decodes a record from its 16 bytes. Any bytes decode (padding is ignored);
    /// check [`ServiceMsg::time_text`] for whether the time is meaningful.
    pub fn decode(bytes: &[u8; SERVICE_MSG_SIZE]) -> Self {
        ServiceMsg {
            id: LittleEndian::read_i32(&bytes[Self::ID_OFFSET..Self::ID_OFFSET + 4]),
            now_time: LittleEndian::read_i64(&bytes[Self::NOW_TIME_OFFSET..]),
        }
    }

    /// `NowTime` as the programs print it: `YYYY-MM-DD HH:MM:SS` local time.
    pub fn time_text(&self) -> String {
        format_ticks(self.now_time)
    }
}

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
    fn decoding_ignores_padding_and_never_fails() {
        let bytes = [0xffu8; SERVICE_MSG_SIZE];
        let msg = ServiceMsg::decode(&bytes);
        assert_eq!(msg.id, -1);
        assert_eq!(msg.now_time, -1);
        assert_eq!(msg.time_text(), "invalid ticks -1");
    }
}
