//! The floor for a round trip on one CPU: no library, a sequence word and
//! 16 bytes in shared memory, and `sched_yield` at every look. Every round
//! trip needs at least two context switches on one CPU; this does nothing else.

use super::*;
use std::sync::atomic::AtomicU64;

const SEQ: usize = 0;
const DATA: usize = 64;

struct Floor {
    shmem: shared_memory::Shmem,
}

impl Floor {
    fn seq(&self) -> &AtomicU64 {
        // SAFETY: offset 0 of a 4096-byte page-aligned mapping that lives
        // as long as `self`; both processes access it only atomically.
        unsafe { &*self.shmem.as_ptr().add(SEQ).cast::<AtomicU64>() }
    }

    /// Yields until the sequence word is `want`.
    fn wait_for(&self, want: u64) {
        while self.seq().load(Ordering::Acquire) != want {
            std::thread::yield_now();
        }
    }

    fn put(&self, m: [u64; 2], seq: u64) {
        // SAFETY: DATA..DATA+16 lies in the mapping, 8-aligned; the sides
        // take turns through the sequence word.
        unsafe { std::ptr::write_volatile(self.shmem.as_ptr().add(DATA).cast::<[u64; 2]>(), m) };
        self.seq().store(seq, Ordering::Release);
    }

    fn get(&self) -> [u64; 2] {
        // SAFETY: as in `put`.
        unsafe { std::ptr::read_volatile(self.shmem.as_ptr().add(DATA).cast::<[u64; 2]>()) }
    }
}

struct C<'a> {
    floor: &'a Floor,
    seq: u64,
}

impl Client for C<'_> {
    fn call(&mut self, v: i64) -> Res<i64> {
        self.floor.put([0, v as u64], self.seq + 1);
        self.floor.wait_for(self.seq + 2);
        self.seq += 2;
        Ok(self.floor.get()[1] as i64)
    }
}

pub fn round_trip(name: &str, first: bool, cpus: &str) -> Res<()> {
    let floor = Floor {
        shmem: rawsync::map(name, first, 4096)?,
    };
    say(&format!("ready {cpus}"));
    let mut client = C {
        floor: &floor,
        seq: 0,
    };
    let result = run_round_trip(first, Some(&mut client), || {
        let mut seq = 1;
        loop {
            floor.wait_for(seq);
            let m = floor.get();
            if m[1] as i64 == STOP {
                return Ok(());
            }
            floor.put([m[0], m[1] + 1], seq + 1);
            seq += 2;
        }
    });
    if !first {
        floor.put([0, STOP as u64], client.seq + 1);
    } else {
        std::thread::sleep(Duration::from_millis(20));
    }
    result
}
