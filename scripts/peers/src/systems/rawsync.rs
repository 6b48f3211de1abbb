//! shared_memory + raw_sync: 16 bytes in a `Shmem` and two auto-reset
//! events (blocking or busy); the stream a ring written by hand in the `Shmem`.

use super::*;
use raw_sync::events::{BusyEvent, Event, EventImpl, EventInit, EventState};
use raw_sync::Timeout;
use shared_memory::{Shmem, ShmemConf};

const REQ: usize = 0;
const RESP: usize = 256;
const DATA: usize = 512;

pub(super) fn map(name: &str, first: bool, size: usize) -> Res<Shmem> {
    if first {
        ShmemConf::new()
            .size(size)
            .os_id(name)
            .create()
            .map_err(err("create shmem"))
    } else {
        ShmemConf::new().os_id(name).open().map_err(err("open shmem"))
    }
}

fn event(shmem: &Shmem, at: usize, first: bool, busy: bool) -> Res<Box<dyn EventImpl>> {
    // SAFETY: `at` is inside the 4096-byte mapping, which outlives the
    // event (both live until the end of `round_trip`), and room enough
    // for either event kind (checked below).
    let ptr = unsafe { shmem.as_ptr().add(at) };
    let size = if busy {
        BusyEvent::size_of(None)
    } else {
        Event::size_of(Some(ptr))
    };
    if size > RESP {
        return Err(format!("event needs {size} bytes"));
    }
    // SAFETY: see above; the first side initialises, the second opens
    // what the first initialised before it said ready.
    let made = unsafe {
        match (busy, first) {
            (true, true) => BusyEvent::new(ptr, true),
            (true, false) => BusyEvent::from_existing(ptr),
            (false, true) => Event::new(ptr, true),
            (false, false) => Event::from_existing(ptr),
        }
    };
    made.map(|(e, _)| e).map_err(|e| format!("event: {e}"))
}

fn put(shmem: &Shmem, m: [u64; 2]) {
    compiler_fence(Ordering::SeqCst);
    // SAFETY: DATA..DATA+16 is inside the mapping and 8-aligned; the two
    // sides take turns through the events.
    unsafe { std::ptr::write_volatile(shmem.as_ptr().add(DATA).cast::<[u64; 2]>(), m) };
    compiler_fence(Ordering::SeqCst);
}

fn get(shmem: &Shmem) -> [u64; 2] {
    compiler_fence(Ordering::SeqCst);
    // SAFETY: as in `put`.
    let m = unsafe { std::ptr::read_volatile(shmem.as_ptr().add(DATA).cast::<[u64; 2]>()) };
    compiler_fence(Ordering::SeqCst);
    m
}

struct C<'a> {
    shmem: &'a Shmem,
    req: &'a dyn EventImpl,
    resp: &'a dyn EventImpl,
}

impl Client for C<'_> {
    fn call(&mut self, v: i64) -> Res<i64> {
        put(self.shmem, [0, v as u64]);
        self.req
            .set(EventState::Signaled)
            .map_err(|e| format!("set: {e}"))?;
        self.resp
            .wait(Timeout::Infinite)
            .map_err(|e| format!("wait: {e}"))?;
        Ok(get(self.shmem)[1] as i64)
    }
}

pub fn round_trip(name: &str, first: bool, busy: bool, cpus: &str) -> Res<()> {
    let shmem = map(name, first, 4096)?;
    let req = event(&shmem, REQ, first, busy)?;
    let resp = event(&shmem, RESP, first, busy)?;
    say(&format!("ready {cpus}"));
    let mut client = C {
        shmem: &shmem,
        req: &*req,
        resp: &*resp,
    };
    let result = run_round_trip(first, Some(&mut client), || loop {
        req.wait(Timeout::Infinite).map_err(|e| format!("wait: {e}"))?;
        let m = get(&shmem);
        if m[1] as i64 == STOP {
            return Ok(());
        }
        put(&shmem, [m[0], m[1] + 1]);
        resp.set(EventState::Signaled).map_err(|e| format!("set: {e}"))?;
    });
    if !first {
        put(&shmem, [0, STOP as u64]);
        let _ = req.set(EventState::Signaled);
    } else {
        // Stay until the client has stopped using the mapping.
        std::thread::sleep(Duration::from_millis(20));
    }
    result
}

/// Neither crate has a queue: the ring a user of them writes by hand.
pub fn stream(name: &str, first: bool, n: u64, cpus: &str) -> Res<()> {
    const CAP: u64 = 1 << 16;
    const HEAD: usize = 0;
    const TAIL: usize = 64;
    const RECORDS: usize = 128;
    let shmem = map(name, first, RECORDS + CAP as usize * 16)?;
    // SAFETY: both words lie in the mapping, 8-aligned, and are only
    // accessed atomically by both processes.
    let head = unsafe { &*shmem.as_ptr().add(HEAD).cast::<AtomicU64>() };
    // SAFETY: as above.
    let tail = unsafe { &*shmem.as_ptr().add(TAIL).cast::<AtomicU64>() };
    let slot = |i: u64| {
        // SAFETY: slot (i % CAP) lies in the record area of the mapping.
        unsafe {
            shmem
                .as_ptr()
                .add(RECORDS + (i % CAP) as usize * 16)
                .cast::<[u64; 2]>()
        }
    };
    say(&format!("ready {cpus}"));
    wait_go()?;
    if first {
        // Consumer (creates the mapping).
        let mut check = Checker::new(n);
        let mut seen_tail = 0;
        while check.next < n {
            while seen_tail == check.next {
                seen_tail = tail.load(Ordering::Acquire);
                std::hint::spin_loop();
            }
            // SAFETY: published by the producer before `tail` moved past it.
            let m = unsafe { std::ptr::read_volatile(slot(check.next)) };
            check.see(m[0])?;
            head.store(check.next, Ordering::Release);
        }
        check.done();
        std::thread::sleep(Duration::from_millis(20));
        Ok(())
    } else {
        let start = monotonic_ns();
        let mut seen_head = 0;
        for i in 0..n {
            while i - seen_head >= CAP {
                seen_head = head.load(Ordering::Acquire);
                std::hint::spin_loop();
            }
            // SAFETY: the consumer is done with this slot (head moved past it).
            unsafe { std::ptr::write_volatile(slot(i), [i, i * 3]) };
            tail.store(i + 1, Ordering::Release);
        }
        say(&format!("start {start}"));
        let _ = wait_go();
        Ok(())
    }
}
