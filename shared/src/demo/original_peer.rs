//! Telling the article's own C# programs apart from ours, by what they leave
//! in the region.
//!
//! The originals write exactly the article's bytes and nothing in the
//! handshake (bytes 40–51): no flags, no record count, no pid. When our side
//! meets one, it falls back to what the original relies on, the mutex, and
//! reads what the original wrote from the bytes themselves.

use super::handshake::{Flags, Handshake};
use super::layout::{
    record_view_offset, INTS_PER_SERVER, MESSAGE_INTS_OFFSET, RECORDS_OFFSET, RECORDS_VIEW_LEN, RECORD_COUNT,
    STATE_INTS_OFFSET,
};
use super::ServiceMsg;
use crate::{Region, ViewError};

/// Whether the message service of `region` is the original `IMServer_Message`:
/// it wrote 0..4 at offset 0, but no handshake (ours records its pid before
/// it writes, and a flag after).
///
/// # Errors
/// [`ViewError`] for a region too small for the demo's layout.
pub fn is_original_message_service(region: &Region) -> Result<bool, ViewError> {
    let handshake = Handshake::of(region)?;
    let no_handshake = handshake.flags() == Flags(0) && handshake.message_pid() == 0;
    Ok(no_handshake && ints_are(region, MESSAGE_INTS_OFFSET, 0)?)
}

/// Whether the state service that held the mutex was the original
/// `IMServer_State`: 5..9 are at offset 20 and its first record is stamped
/// at or after `since` (.NET ticks: the start of this exchange; a persistent
/// file keeps an earlier exchange's), but it never said it started.
///
/// # Errors
/// [`ViewError`] for a region too small for the demo's layout.
pub fn is_original_state_service(region: &Region, since: i64) -> Result<bool, ViewError> {
    let started = Handshake::of(region)?.flags().contains(Flags::STATE_STARTED);
    Ok(!started
        && ints_are(region, STATE_INTS_OFFSET, INTS_PER_SERVER as i32)?
        && records_written_by_original(region, since)? > 0)
}

/// How many records an original state service wrote: the leading records
/// whose `Id` is their view offset and whose `NowTime` is at or after
/// `since` (it writes all five, stamped with the time).
///
/// # Errors
/// [`ViewError`] for a region too small for the demo's layout.
pub fn records_written_by_original(region: &Region, since: i64) -> Result<usize, ViewError> {
    let accessor = region.create_view_accessor(RECORDS_OFFSET, RECORDS_VIEW_LEN)?;
    let mut written = 0;
    for k in 0..RECORD_COUNT {
        let offset = record_view_offset(k);
        let msg: ServiceMsg = accessor.read(offset)?;
        if i64::from(msg.id) != offset as i64 || msg.now_time < since {
            break;
        }
        written += 1;
    }
    Ok(written)
}

/// Whether the five `int32` at `offset` are `first, first + 1, ...`.
fn ints_are(region: &Region, offset: u64, first: i32) -> Result<bool, ViewError> {
    let accessor = region.create_view_accessor(offset, (INTS_PER_SERVER * 4) as u64)?;
    let values: [i32; INTS_PER_SERVER] = accessor.read(0)?;
    Ok(values.iter().zip(first..).all(|(value, wanted)| *value == wanted))
}
