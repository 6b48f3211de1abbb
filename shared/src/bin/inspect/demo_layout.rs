//! Whether a region's bytes show the demo's layout: only then does the
//! inspector decode them as the demo's handshake, integers and records. A
//! ring, a latest-value cell or a user's own region would otherwise be read
//! as nonsense (a "message pid" made of a ring's indices).

use shared::demo::handshake::{Flags, FLAGS_OFFSET, HANDSHAKE_LEN, MESSAGE_PID_OFFSET, RECORD_COUNT_OFFSET};
use shared::demo::layout::{
    record_view_offset, HANDSHAKE_OFFSET, MIN_REGION_SIZE, RECORDS_OFFSET, RECORD_COUNT, SERVICE_MSG_SIZE,
    TOTAL_INTS,
};
use shared::Region;

/// Every flag the demo sets.
const ALL_FLAGS: u32 =
    Flags::MESSAGE_WRITTEN.0 | Flags::STATE_STARTED.0 | Flags::STATE_WRITTEN.0 | Flags::MESSAGE_READ.0;

/// Why the region's bytes are not the demo's, or `None` when they are: at
/// least the demo's size; the bytes between the handshake and the records,
/// which the demo never writes, all zero; known flags, at most five records
/// written, a message pid a process could have; and something written (a
/// region of zeros shows no layout at all).
pub(crate) fn not_the_demos(region: &Region) -> Option<String> {
    if region.size() < MIN_REGION_SIZE {
        return Some(format!(
            "{} bytes, fewer than the demo's {MIN_REGION_SIZE}",
            region.size()
        ));
    }
    let Ok(view) = region.create_view_accessor(0, MIN_REGION_SIZE) else {
        return Some("its bytes cannot be read".to_owned());
    };
    let word = |offset: u64| view.read::<u32>(offset).unwrap_or(u32::MAX);
    let unused_start = HANDSHAKE_OFFSET + HANDSHAKE_LEN;
    let mut unused = vec![0u8; (RECORDS_OFFSET - unused_start) as usize];
    if view.read_bytes(unused_start, &mut unused).is_err() || unused.iter().any(|&b| b != 0) {
        return Some(format!(
            "bytes {unused_start}..{RECORDS_OFFSET}, which the demo never writes, are not all zero"
        ));
    }
    let flags = word(FLAGS_OFFSET);
    if flags & !ALL_FLAGS != 0 {
        return Some(format!("its flags word {flags:#x} has bits the demo never sets"));
    }
    let records = word(RECORD_COUNT_OFFSET);
    if records as usize > RECORD_COUNT {
        return Some(format!(
            "its record count {records} is above the demo's {RECORD_COUNT}"
        ));
    }
    if i32::try_from(word(MESSAGE_PID_OFFSET)).is_err() {
        return Some("its message pid word names no possible process".to_owned());
    }
    let mut used = vec![0u8; TOTAL_INTS * 4];
    let _ = view.read_bytes(0, &mut used);
    let mut record = [0u8; SERVICE_MSG_SIZE];
    let records_written = (0..RECORD_COUNT).any(|k| {
        view.read_bytes(RECORDS_OFFSET + record_view_offset(k), &mut record)
            .is_ok_and(|()| record.iter().any(|&b| b != 0))
    });
    if flags == 0 && used.iter().all(|&b| b == 0) && !records_written {
        return Some("nothing is written where the demo writes".to_owned());
    }
    None
}
