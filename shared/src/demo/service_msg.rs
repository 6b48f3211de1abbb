//! `ServiceMsg`: the 16-byte record the state server writes and the message
//! server reads (C# `struct { int Id; long NowTime; }`, sequential layout).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::layout::SERVICE_MSG_SIZE;
use super::ticks::{format_ticks, now_ticks};

/// One record of the demo, a plain-old-data type like any user's.
///
/// | field offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `id`: `i32` |
/// | 4 | 4 | padding, an explicit field written as zero, ignored when compared |
/// | 8 | 8 | `now_time`: `i64` .NET ticks of local time |
///
/// Its in-memory layout is the C# struct's (`repr(C)` with the padding as a
/// real field, which zerocopy checks at compile time), so reading and writing
/// it, one or a thousand, is a plain copy.
#[derive(Debug, Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ServiceMsg {
    /// `Id`: in the demo, the record's offset inside the records view (0, 16, 32, ...).
    pub id: i32,
    padding: [u8; 4],
    /// `NowTime`: .NET ticks of local time (`DateTime.Now.Ticks`).
    pub now_time: i64,
}

impl PartialEq for ServiceMsg {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.now_time == other.now_time
    }
}

impl Eq for ServiceMsg {}

impl ServiceMsg {
    /// Size of the encoded record in bytes.
    pub const SIZE: usize = SERVICE_MSG_SIZE;

    /// A record with the given fields (padding zeroed).
    pub const fn new(id: i32, now_time: i64) -> Self {
        ServiceMsg {
            id,
            padding: [0; 4],
            now_time,
        }
    }

    /// A record with the given id, stamped with the current local time.
    pub fn now(id: i32) -> Self {
        Self::new(id, now_ticks())
    }

    /// Encodes the record into its 16 little-endian bytes (padding zeroed),
    /// on any machine.
    pub fn encode(&self) -> [u8; SERVICE_MSG_SIZE] {
        let mut bytes = [0u8; SERVICE_MSG_SIZE];
        bytes[0..4].copy_from_slice(&self.id.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.now_time.to_le_bytes());
        bytes
    }

    /// Decodes a record from its 16 little-endian bytes. Any bytes decode
    /// (padding is ignored); check [`ServiceMsg::time_text`] for whether the
    /// time is meaningful.
    pub fn decode(bytes: &[u8; SERVICE_MSG_SIZE]) -> Self {
        let [a, b, c, d, _, _, _, _, t @ ..] = *bytes;
        Self::new(i32::from_le_bytes([a, b, c, d]), i64::from_le_bytes(t))
    }

    /// `NowTime` as the programs print it: `YYYY-MM-DD HH:MM:SS` local time.
    pub fn time_text(&self) -> String {
        format_ticks(self.now_time)
    }
}

// The C# layout: 16 bytes, `id` at 0, `now_time` at 8.
const _: () = assert!(std::mem::size_of::<ServiceMsg>() == SERVICE_MSG_SIZE);
const _: () = assert!(std::mem::offset_of!(ServiceMsg, now_time) == 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_to_the_documented_bytes() {
        let msg = ServiceMsg::new(48, 638_664_392_280_000_000);
        let bytes = msg.encode();
        assert_eq!(&bytes[0..4], &48i32.to_le_bytes());
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
        assert_eq!(&bytes[8..16], &638_664_392_280_000_000i64.to_le_bytes());
        assert_eq!(ServiceMsg::decode(&bytes), msg);
        assert_eq!(msg.time_text(), "2024-11-05 21:33:48");
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn the_in_memory_bytes_are_the_encoded_bytes() {
        for msg in [
            ServiceMsg::new(-7, i64::MIN),
            ServiceMsg::new(i32::MAX, -1),
            ServiceMsg::new(64, 638_664_392_280_000_000),
        ] {
            assert_eq!(msg.as_bytes(), &msg.encode());
            assert_eq!(ServiceMsg::read_from_bytes(&msg.encode()).ok(), Some(msg));
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
