//! Where everything lives in the demo's region: the byte layout of `DEMO.md`,
//! as named constants, plus the demo's handshake in bytes the original leaves
//! unused. The library itself writes none of these bytes.
//!
//! | offset | size | content | written by |
//! |---|---|---|---|
//! | 0 | 20 | five `i32`: 0,1,2,3,4 | message server |
//! | 20 | 20 | five `i32`: 5,6,7,8,9 | state server |
//! | 40 | 12 | the handshake (see [`super::handshake`]): flags, records written, message server's pid | both servers |
//! | 52 | 972 | unused | |
//! | 1024 + 16·k | 16 | [`ServiceMsg`](super::ServiceMsg) k = 0..4 | state server |
//!
//! All integers are little-endian.

/// Size of the demo's region in bytes, as in the original (`1024000`).
pub const DEFAULT_REGION_SIZE: u64 = 1_024_000;

/// Default region name offered by the prompt.
pub const DEFAULT_REGION_NAME: &str = "testmap";

/// Size of one `i32` in the region.
pub const INT_SIZE: usize = 4;

/// How many `i32` each server writes.
pub const INTS_PER_SERVER: usize = 5;

/// Offset of the message server's five `i32` (values 0..=4).
pub const MESSAGE_INTS_OFFSET: u64 = 0;

/// Offset of the state server's five `i32` (values 5..=9).
pub const STATE_INTS_OFFSET: u64 = 20;

/// Number of `i32` the message server reads back from offset 0 (both servers' values).
pub const TOTAL_INTS: usize = 2 * INTS_PER_SERVER;

/// Offset of the handshake inside the region (first byte the original leaves unused).
pub const HANDSHAKE_OFFSET: u64 = 40;

/// Offset of the accessor view that holds the [`ServiceMsg`](super::ServiceMsg) records.
pub const RECORDS_OFFSET: u64 = 1024;

/// Length of the records accessor view, as in the original (`10240`).
pub const RECORDS_VIEW_LEN: u64 = 10_240;

/// Size of one [`ServiceMsg`](super::ServiceMsg) record (`Marshal.SizeOf` = 16).
pub const SERVICE_MSG_SIZE: usize = 16;

/// How many records the state server writes.
pub const RECORD_COUNT: usize = 5;

/// The smallest region that holds the demo's whole layout (ints, handshake, records view).
pub const MIN_REGION_SIZE: u64 = RECORDS_OFFSET + RECORDS_VIEW_LEN;

/// View offset of record `k` inside the records view (`0, 16, 32, 48, 64`).
pub const fn record_view_offset(k: usize) -> u64 {
    (k * SERVICE_MSG_SIZE) as u64
}

// The default region holds the whole layout (checked at compile time).
const _: () = assert!(DEFAULT_REGION_SIZE >= MIN_REGION_SIZE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_do_not_overlap_the_handshake() {
        let ints_end = MESSAGE_INTS_OFFSET + (TOTAL_INTS * INT_SIZE) as u64;
        assert_eq!(ints_end, HANDSHAKE_OFFSET);
        assert_eq!(STATE_INTS_OFFSET, (INTS_PER_SERVER * INT_SIZE) as u64);
    }

    #[test]
    fn records_sit_at_the_original_view_offsets() {
        let offsets: Vec<u64> = (0..RECORD_COUNT).map(record_view_offset).collect();
        assert_eq!(offsets, [0, 16, 32, 48, 64]);
        assert!(record_view_offset(RECORD_COUNT) <= RECORDS_VIEW_LEN);
    }

    #[test]
    fn default_region_holds_the_whole_layout() {
        assert_eq!(MIN_REGION_SIZE, 11_264);
    }
}
