//! The producing end of a ring ([`RecordSender`]): it sets the ring up,
//! writes records and publishes the tail.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::both_ends::Ring;
use super::error::RingError;
use super::layout::{
    CAPACITY_OFFSET, CLOSED_CORRUPT, CONSUMER_CLOSED_OFFSET, CONSUMER_PID_OFFSET, DATA_OFFSET, HEAD_OFFSET,
    MAX_CAPACITY, MIN_CAPACITY, PRODUCER_CLOSED_OFFSET, PRODUCER_PID_OFFSET, PRODUCER_PUBLISHES_OFFSET,
    RECORD_ALIGN_OFFSET, RECORD_SIZE_OFFSET, RING_MAGIC, RING_OFFSET, RING_VERSION, TAIL_OFFSET,
    VERSION_OFFSET,
};
use super::sleepers::Sleeper;
use super::wakeups::{names_a_live_process, CONSUMER, CONSUMER_TO_ATTACH};
use super::Record;
use crate::platform::wait::Deadline;
use crate::region::RegionOptions;

/// The producing end of a record ring, of records of any plain-old-data
/// type (derive zerocopy's traits with `#[zerocopy(crate =
/// "shared::zerocopy")]`: see the [module example](super)).
///
/// Dropping it closes the ring at once: an attached consumer still receives
/// what is left, then `None`. Records no consumer has taken are lost when
/// the last process using the ring's region leaves (with no consumer
/// attached yet, that is at this drop), and a drop does not say how many:
/// call [`RecordSender::finish`] to wait for delivery and learn the count.
#[derive(Debug)]
pub struct RecordSender<T: Record> {
    /// The ring this end writes into.
    pub(super) ring: Ring<T>,
    /// The consumer's head as last read: re-read only when the ring looks
    /// full, so a send does not touch the consumer's cache line.
    head_seen: u32,
    /// Whether the last look at the indices found them impossible (the drop
    /// then tells the consumer why the stream ends).
    found_corrupt: bool,
}

impl<T: Record> RecordSender<T> {
    /// Creates the ring's region (`options`, with a size fitted to
    /// `capacity` records) and sets up an empty ring in it.
    ///
    /// # Errors
    /// [`RingError::BadCapacity`] for a capacity that is not a power of two
    /// in range; [`RingError::Region`] when the region cannot be created
    /// (for example, a live ring of that name already exists).
    pub fn create(options: &RegionOptions, capacity: u32) -> Result<RecordSender<T>, RingError> {
        if !capacity.is_power_of_two() || !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
            return Err(RingError::BadCapacity(capacity));
        }
        const { assert!(std::mem::size_of::<T>() > 0, "a record must have a size") };
        let size = DATA_OFFSET + u64::from(capacity) * Ring::<T>::RECORD_SIZE;
        let region = options.clone().size(size).create_new()?;
        let ring = Ring::new(region, capacity)?;
        // A new region reads 0 everywhere; said here all the same, since the
        // tail word is this end's only count of what it has written.
        ring.word(TAIL_OFFSET).store(0, Ordering::Relaxed);
        ring.word(HEAD_OFFSET).store(0, Ordering::Relaxed);
        ring.word(CAPACITY_OFFSET).store(capacity, Ordering::Relaxed);
        ring.word(VERSION_OFFSET).store(RING_VERSION, Ordering::Relaxed);
        ring.word(RECORD_SIZE_OFFSET)
            .store(Ring::<T>::RECORD_SIZE as u32, Ordering::Relaxed);
        ring.word(RECORD_ALIGN_OFFSET)
            .store(Ring::<T>::RECORD_ALIGN as u32, Ordering::Relaxed);
        ring.word(PRODUCER_PID_OFFSET)
            .store(std::process::id(), Ordering::Relaxed);
        ring.announce(PRODUCER_PUBLISHES_OFFSET);
        let magic = ring.word(RING_OFFSET);
        magic.store(RING_MAGIC, Ordering::Release);
        ring.waker(Sleeper::Opener).wake_all(magic);
        Ok(RecordSender {
            ring,
            head_seen: 0,
            found_corrupt: false,
        })
    }

    /// The ring's capacity in records.
    pub fn capacity(&self) -> u32 {
        self.ring.capacity
    }

    /// Waits until a live consumer is attached (either side may start
    /// first), at most `timeout`. A consumer that died or closed does not
    /// count: the wait goes on until a new one takes its place.
    ///
    /// # Errors
    /// [`RingError::NoPeer`] when none attached in time.
    pub fn wait_for_consumer(&self, timeout: Duration) -> Result<(), RingError> {
        let until = Deadline::after(timeout);
        loop {
            let pid = self.ring.word(CONSUMER_PID_OFFSET).load(Ordering::Acquire);
            if names_a_live_process(pid) {
                return Ok(());
            }
            if until.passed() {
                return Err(RingError::NoPeer {
                    peer: "consumer",
                    waited: timeout,
                });
            }
            // Woken by a consumer's claim, which changes the word (see
            // `RecordReceiver::open`); whether the last one is gone does not
            // matter here.
            let _ = self.ring.wait(
                CONSUMER_PID_OFFSET,
                pid,
                Sleeper::Producer,
                &CONSUMER_TO_ATTACH,
                until,
            );
        }
    }

    /// Closes the ring after waiting, at most `timeout`, until the consumer
    /// has taken every record sent; returns how many it never took (0: all
    /// delivered). Those are the records still in the ring when the time ran
    /// out, when no consumer ever attached, or when the consumer closed or
    /// died; an acknowledging consumer takes a record when it acknowledges
    /// it (see [delivery](super::RecordReceiver#delivery-at-most-once-or-at-least-once)).
    ///
    /// # Errors
    /// [`RingError::Corrupt`] for impossible indices.
    pub fn finish(mut self, timeout: Duration) -> Result<u32, RingError> {
        match self.wait_until_taken(timeout) {
            Err(RingError::PeerGone { .. } | RingError::PeerClosed { .. }) => {
                let head = self.ring.word(HEAD_OFFSET).load(Ordering::Acquire);
                self.filled(head)
            }
            left => left,
        }
    }

    /// Waits, at most `timeout`, until the consumer has taken every record
    /// sent (an acknowledging one: acknowledged it), without closing the
    /// ring; returns how many are left (0: all taken; more when the time
    /// ran out, or no consumer has attached yet within it).
    ///
    /// A consumer that died or closed with records left ends the wait with
    /// an error: those records stay in the ring, and a new consumer can
    /// take its place ([`RecordSender::wait_for_consumer`], then wait again).
    ///
    /// # Errors
    /// [`RingError::PeerGone`] or [`RingError::PeerClosed`] as said;
    /// [`RingError::Corrupt`] for impossible indices.
    pub fn wait_until_taken(&mut self, timeout: Duration) -> Result<u32, RingError> {
        let until = Deadline::after(timeout);
        loop {
            let head = self.ring.word(HEAD_OFFSET).load(Ordering::Acquire);
            let left = self.filled(head)?;
            if left == 0 || until.passed() {
                return Ok(left);
            }
            if self.ring.is_set(CONSUMER_CLOSED_OFFSET) {
                return Err(self.consumer_gone());
            }
            // No consumer attached yet: it may still come, until the time runs out.
            let alive = self
                .ring
                .wait(HEAD_OFFSET, head, Sleeper::Producer, &CONSUMER, until);
            if !alive {
                let head = self.ring.word(HEAD_OFFSET).load(Ordering::Acquire);
                return match self.filled(head)? {
                    0 => Ok(0),
                    _ => Err(self.consumer_gone()),
                };
            }
        }
    }

    /// Records written into the ring so far, counting from 0 and wrapping
    /// at 2^32 (the ring's tail). After an error of
    /// [`RecordSender::send_batch`], its difference from before the call
    /// (`wrapping_sub`) says how many of the batch were sent.
    pub fn written(&self) -> u32 {
        self.tail()
    }

    /// Records written so far (wrapping): the tail word, which only this end
    /// writes. Read back rather than kept in a field of its own: a send then
    /// stores the record and the tail and nothing else, and a producer that
    /// outpaces the line transfers has more sends in flight (each store
    /// waits its turn in the core's store buffer). A third process that
    /// writes the word changes this count too (see the ring's
    /// [corruption](super#what-the-ring-can-tell-apart) rules).
    #[inline(always)]
    fn tail(&self) -> u32 {
        self.ring.word(TAIL_OFFSET).load(Ordering::Relaxed)
    }

    /// The pid of the live process reading the ring: `None` before a
    /// consumer attached, after it closed, and once the process its pid word
    /// names is gone.
    pub fn consumer_pid(&self) -> Option<u32> {
        let pid = self.ring.word(CONSUMER_PID_OFFSET).load(Ordering::Acquire);
        names_a_live_process(pid).then_some(pid)
    }

    /// Sends one record, waiting while the ring is full.
    ///
    /// A consumer that died or closed leaves its records in the ring, and a
    /// new consumer can take its place: after [`RingError::PeerGone`] or
    /// [`RingError::PeerClosed`], [`RecordSender::wait_for_consumer`] waits
    /// for one, and the record can be sent again.
    ///
    /// # Errors
    /// [`RingError::PeerClosed`] when the consumer has closed its end;
    /// [`RingError::PeerGone`] when it died while the ring was full (a full
    /// ring no consumer has attached to yet waits for one); [`RingError::Corrupt`]
    /// for impossible indices. The record was not sent.
    #[inline(always)]
    pub fn send(&mut self, msg: &T) -> Result<(), RingError> {
        // The common case in a few instructions, inlined into the caller's
        // loop: room known without reading the consumer's head, and the
        // consumer still there.
        let bytes = &self.ring.bytes;
        if let Some(slots) = bytes.slots() {
            let header = bytes.header();
            let tail = header.word::<TAIL_OFFSET>().load(Ordering::Relaxed);
            if tail.wrapping_sub(self.head_seen) < self.ring.capacity
                && header.word::<CONSUMER_CLOSED_OFFSET>().load(Ordering::Acquire) == 0
            {
                slots.put(tail, msg);
                self.ring.publish_tail(header, tail.wrapping_add(1));
                return Ok(());
            }
        }
        // A copy for the rare case: the record's own address does not leave
        // the common case, so a record built just before the call can stay
        // in registers (a record stored to the stack field by field and
        // loaded back whole would wait for the stores ahead of it).
        let Ok(record) = T::read_from_bytes(msg.as_bytes()) else {
            unreachable!("a record's bytes are a record")
        };
        self.send_when_full_or_closed(record)
    }

    /// [`RecordSender::send`] when the ring looked full or the consumer
    /// closed: out of line, so that the common case stays small.
    #[cold]
    #[inline(never)]
    fn send_when_full_or_closed(&mut self, record: T) -> Result<(), RingError> {
        self.send_batch(std::slice::from_ref(&record))
    }

    /// Sends one record if there is room; `Ok(false)` when the ring is full.
    ///
    /// # Errors
    /// [`RingError::PeerClosed`] when the consumer closed; [`RingError::Corrupt`].
    pub fn try_send(&mut self, msg: &T) -> Result<bool, RingError> {
        self.check_consumer_open()?;
        if self.room()? == 0 {
            return Ok(false);
        }
        self.write(std::slice::from_ref(msg));
        Ok(true)
    }

    /// Sends every record of `msgs` in order, in as few steps as the free
    /// room allows, waiting while the ring is full.
    ///
    /// # Errors
    /// As [`RecordSender::send`]; records sent before the error stay sent.
    pub fn send_batch(&mut self, msgs: &[T]) -> Result<(), RingError> {
        self.send_batch_until(msgs, Deadline::never())
    }

    /// [`RecordSender::send`] waiting at most `timeout` for room.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] when the ring stayed full that long; as
    /// [`RecordSender::send`] otherwise.
    pub fn send_timeout(&mut self, msg: &T, timeout: Duration) -> Result<(), RingError> {
        self.send_batch_timeout(std::slice::from_ref(msg), timeout)
    }

    /// [`RecordSender::send_batch`] waiting at most `timeout` in all.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] (with how many were sent) when the ring did
    /// not make room for all of them in time; as [`RecordSender::send`] otherwise.
    pub fn send_batch_timeout(&mut self, msgs: &[T], timeout: Duration) -> Result<(), RingError> {
        self.send_batch_until(msgs, Deadline::after(timeout))
    }

    /// Sends every record of `all` in order, waiting while the ring is full
    /// until `until` has passed.
    fn send_batch_until(&mut self, all: &[T], until: Deadline) -> Result<(), RingError> {
        let mut msgs = all;
        while !msgs.is_empty() {
            // The closed flag sits on a line that rarely changes: a cheap look.
            self.check_consumer_open()?;
            let room = self.room()?;
            if room == 0 {
                if until.passed() {
                    return Err(RingError::TimedOut {
                        done: all.len() - msgs.len(),
                    });
                }
                let alive = self
                    .ring
                    .wait(HEAD_OFFSET, self.head_seen, Sleeper::Producer, &CONSUMER, until);
                if !alive {
                    return Err(self.consumer_gone());
                }
                self.ring.let_peer_get_ahead(HEAD_OFFSET, self.head_seen);
                continue;
            }
            let n = msgs.len().min(room as usize);
            self.write(&msgs[..n]);
            msgs = &msgs[n..];
        }
        Ok(())
    }

    /// Free slots; reads the consumer's head only when the last one seen
    /// leaves no room.
    fn room(&mut self) -> Result<u32, RingError> {
        let room = self.ring.capacity - self.filled(self.head_seen)?;
        if room > 0 {
            return Ok(room);
        }
        self.head_seen = self.ring.word(HEAD_OFFSET).load(Ordering::Acquire);
        Ok(self.ring.capacity - self.filled(self.head_seen)?)
    }

    /// Records between `head` and this end's tail ([`Ring::filled`]),
    /// remembering whether the indices were found impossible.
    fn filled(&mut self, head: u32) -> Result<u32, RingError> {
        let filled = self.ring.filled(head, self.tail());
        self.found_corrupt = filled.is_err();
        filled
    }

    /// Writes `msgs` (which fit in the free room, possibly wrapping) and publishes them.
    fn write(&mut self, msgs: &[T]) {
        let words = self.ring.words();
        let tail = self.tail();
        let first_slot = (tail & (self.ring.capacity - 1)) as usize;
        let until_end = (self.ring.capacity as usize - first_slot).min(msgs.len());
        let (front, back) = msgs.split_at(until_end);
        for (index, part) in [(tail, front), (tail.wrapping_add(until_end as u32), back)] {
            // In range: slots were computed modulo the capacity and the
            // region holds DATA_OFFSET + capacity records.
            words.copy_in(self.ring.slot_offset(index), part);
        }
        self.ring.publish(
            words,
            TAIL_OFFSET,
            tail.wrapping_add(msgs.len() as u32),
            Sleeper::Consumer,
        );
    }

    /// Fails when the consumer has closed its end ([`RecordSender::consumer_gone`]).
    fn check_consumer_open(&self) -> Result<(), RingError> {
        if self.ring.word(CONSUMER_CLOSED_OFFSET).load(Ordering::Acquire) != 0 {
            return Err(self.consumer_gone());
        }
        Ok(())
    }

    /// Why the consumer takes no more records: it closed its end (and
    /// whether it found the ring corrupt), or its pid word names no running
    /// process.
    fn consumer_gone(&self) -> RingError {
        match self.ring.word(CONSUMER_CLOSED_OFFSET).load(Ordering::Acquire) {
            0 => RingError::PeerGone {
                peer: "consumer",
                pid: self.ring.word(CONSUMER_PID_OFFSET).load(Ordering::Acquire),
            },
            closed => RingError::PeerClosed {
                peer: "consumer",
                found_corrupt: closed == CLOSED_CORRUPT,
            },
        }
    }
}

impl<T: Record> Drop for RecordSender<T> {
    fn drop(&mut self) {
        self.ring
            .close_end(PRODUCER_CLOSED_OFFSET, self.found_corrupt, Sleeper::Consumer);
    }
}
