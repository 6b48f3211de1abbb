//! The consuming end of a ring ([`RecordReceiver`]): it claims the
//! consumer's place, takes records and publishes the head.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::both_ends::{validate, Ring};
use super::error::{RingError, READ_WRITE_NEEDED};
use super::layout::{
    CLOSED_CORRUPT, CONSUMER_CLOSED_OFFSET, CONSUMER_PID_OFFSET, CONSUMER_PUBLISHES_OFFSET, DATA_OFFSET,
    HEAD_OFFSET, PRODUCER_CLOSED_OFFSET, PRODUCER_PID_OFFSET, RING_OFFSET, TAIL_OFFSET,
};
use super::sleepers::Sleeper;
use super::wakeups::{names_a_live_process, PRODUCER};
use super::Record;
use crate::error::{Failure, ObjectError};
use crate::platform::wait::Deadline;
use crate::region::RegionOptions;

/// How long the consumer's open waits for the producer to finish setting up.
const SETUP_WAIT: Duration = Duration::from_secs(1);

/// The consuming end of a record ring.
///
/// # Delivery: at most once, or at least once
/// By default a record leaves the ring when it is received: its slot is
/// free for the producer at once. A consumer that dies has then lost what
/// it received and not yet handled, and a consumer that takes its place
/// (see [`RecordReceiver::open`]) starts at the first record the dead one
/// never received: every record is handled **at most once**.
///
/// [`RecordReceiver::acknowledging`] turns an end into the other form:
/// received records stay in the ring until [`RecordReceiver::ack`]
/// acknowledges them. A consumer that takes a dead one's place starts at
/// the first record the dead one never acknowledged, so every record is
/// handled **at least once** (those it received and had not acknowledged
/// come again). Unacknowledged records hold their slots: acknowledge
/// after handling each batch, or the producer finds the ring full.
///
/// [`RecordSender::finish`](super::RecordSender::finish) counts, under
/// either form, the records that never left the ring: never received (at
/// most once) or never acknowledged (at least once).
#[derive(Debug)]
pub struct RecordReceiver<T: Record> {
    /// The ring this end reads from.
    pub(super) ring: Ring<T>,
    /// Records received so far (wrapping).
    head: u32,
    /// With acknowledgements: records acknowledged so far (wrapping), this
    /// end's copy of the head word. Without: `None`, and the head word
    /// follows `head`.
    acked: Option<u32>,
    /// Whether the last take emptied the ring after fewer than
    /// [`Ring::SLIP`] records: this side is close behind the
    /// producer (see [`RecordReceiver::let_producer_get_ahead`]).
    close_behind: bool,
    /// Whether the last look at the indices found them impossible (the drop
    /// then tells the producer why nobody reads any more).
    found_corrupt: bool,
}

impl<T: Record> RecordReceiver<T> {
    /// Opens the ring a live producer created and becomes its consumer.
    ///
    /// # Errors
    /// [`RingError::Region`] ([`Failure::NotFound`] when no producer
    /// created it); [`RingError::NotARing`] when the region holds no valid
    /// ring; [`RingError::OtherVersion`] for a ring of another layout
    /// version; [`RingError::RecordMismatch`] when the ring carries records
    /// of another size or alignment than `T`; [`RingError::ConsumerTaken`]
    /// when another live consumer has it.
    pub fn open(options: &RegionOptions) -> Result<RecordReceiver<T>, RingError> {
        let region = options.open_existing()?;
        if region.is_read_only() {
            return Err(RingError::Region(ObjectError::region(Failure::BadOptions {
                reason: READ_WRITE_NEEDED,
            })));
        }
        // The header first: whether the records fit is for the header to say
        // (a ring of smaller records is another record type, not no ring).
        if region.size() < DATA_OFFSET {
            return Err(RingError::NotARing(format!(
                "the region has only {} bytes, fewer than a ring's {DATA_OFFSET}-byte header",
                region.size()
            )));
        }
        // No records yet: how many there are is for the header to say.
        let probe = Ring::new(region, 0)?;
        let magic = probe.word(RING_OFFSET);
        let until = Deadline::after(SETUP_WAIT);
        // 0 means "not set up yet"; anything else is checked below.
        while magic.load(Ordering::Acquire) == 0 && !until.passed() {
            probe.sleep_while_equal(Sleeper::Opener, 0, until.left());
        }
        let ring = validate(probe)?;
        claim_consumer(&ring)?;
        // A producer waiting for its consumer sleeps on the claim.
        ring.wake(Sleeper::Producer);
        ring.announce(CONSUMER_PUBLISHES_OFFSET);
        ring.word(CONSUMER_CLOSED_OFFSET).store(0, Ordering::Release);
        let head = ring.word(HEAD_OFFSET).load(Ordering::Acquire);
        Ok(RecordReceiver {
            ring,
            head,
            acked: None,
            close_behind: false,
            found_corrupt: false,
        })
    }

    /// [`RecordReceiver::open`], waiting at most `timeout` for a producer to
    /// create the ring (either side may start first). The ring's name cannot
    /// be slept on before it exists: this looks again every few
    /// milliseconds.
    ///
    /// # Errors
    /// [`RingError::NoPeer`] when no producer created the ring in time; as
    /// [`RecordReceiver::open`] otherwise.
    pub fn open_timeout(options: &RegionOptions, timeout: Duration) -> Result<RecordReceiver<T>, RingError> {
        let until = Deadline::after(timeout);
        let mut pause = Duration::from_millis(1);
        loop {
            match Self::open(options) {
                Err(RingError::Region(e)) if is_not_found(&e) && !until.passed() => {
                    std::thread::sleep(pause.min(until.left()));
                    pause = (pause * 2).min(Duration::from_millis(10));
                }
                Err(RingError::Region(e)) if is_not_found(&e) => {
                    return Err(RingError::NoPeer {
                        peer: "producer",
                        waited: timeout,
                    })
                }
                other => return other,
            }
        }
    }

    /// This end, receiving at least once: a received record stays in the
    /// ring, its slot held, until [`RecordReceiver::ack`] acknowledges it,
    /// and a consumer that takes this one's place after it died or closed
    /// receives it again (see [delivery](RecordReceiver#delivery-at-most-once-or-at-least-once)).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use shared::ring::{RecordReceiver, RecordSender};
    /// # use shared::{RegionName, RegionOptions};
    /// # let name = RegionName::new(&format!("ack-doc-{}", std::process::id()))?;
    /// # let options = RegionOptions::named(&name);
    /// let mut sender = RecordSender::<u64>::create(&options, 1024)?;
    /// (0..3).try_for_each(|i| sender.send(&i))?;
    /// let mut first = RecordReceiver::<u64>::open(&options)?.acknowledging();
    /// assert_eq!(first.recv()?, Some(0));
    /// first.ack(); // record 0 is handled
    /// assert_eq!(first.recv()?, Some(1)); // received, never acknowledged
    /// drop(first); // as if it died here
    /// let mut next = RecordReceiver::<u64>::open(&options)?.acknowledging();
    /// assert_eq!(next.recv()?, Some(1), "record 1 comes again");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn acknowledging(mut self) -> Self {
        self.acked = Some(self.acked.unwrap_or(self.head));
        self
    }

    /// Acknowledges every record received so far: their slots go back to
    /// the producer, and no consumer receives them again. Without
    /// [`RecordReceiver::acknowledging`], records are acknowledged as they
    /// are received and this does nothing.
    pub fn ack(&mut self) {
        if let Some(acked) = self.acked.as_mut() {
            if *acked != self.head {
                *acked = self.head;
                let words = self.ring.words();
                self.ring
                    .publish(words, HEAD_OFFSET, self.head, Sleeper::Producer);
            }
        }
    }

    /// Records received and not yet acknowledged (always 0 without
    /// [`RecordReceiver::acknowledging`]).
    pub fn unacknowledged(&self) -> u32 {
        self.acked.map_or(0, |acked| self.head.wrapping_sub(acked))
    }

    /// Receives the next record, waiting while the ring is empty; `Ok(None)`
    /// once the producer has closed the ring and every record was received.
    ///
    /// # Errors
    /// [`RingError::PeerGone`] when the producer died (not closed), or its
    /// pid word names no process, and the ring is empty;
    /// [`RingError::PeerClosed`] (`found_corrupt`) once every record was
    /// received, when the producer closed because it found the ring corrupt
    /// (the stream was cut); [`RingError::Corrupt`] for impossible indices;
    /// [`RingError::AckNeeded`] when, [acknowledging](RecordReceiver::acknowledging),
    /// every slot holds a record this end received and did not acknowledge.
    pub fn recv(&mut self) -> Result<Option<T>, RingError> {
        let mut record = T::new_zeroed();
        let received = self.recv_batch(std::slice::from_mut(&mut record))?;
        Ok((received == 1).then_some(record))
    }

    /// Receives the next record if one is there; `Ok(None)` when the ring is empty.
    ///
    /// # Errors
    /// [`RingError::Corrupt`] for impossible indices.
    pub fn try_recv(&mut self) -> Result<Option<T>, RingError> {
        let mut record = T::new_zeroed();
        let received = self.take(std::slice::from_mut(&mut record))?;
        Ok((received == 1).then_some(record))
    }

    /// Receives up to `buf.len()` records, waiting until at least one is
    /// there; returns how many were received, 0 once the producer has closed
    /// the ring and every record was received.
    ///
    /// # Errors
    /// As [`RecordReceiver::recv`].
    pub fn recv_batch(&mut self, buf: &mut [T]) -> Result<usize, RingError> {
        self.recv_batch_until(buf, Deadline::never())
    }

    /// [`RecordReceiver::recv`] waiting at most `timeout` for a record.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] when none came in time; as
    /// [`RecordReceiver::recv`] otherwise.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<T>, RingError> {
        let mut record = T::new_zeroed();
        let received = self.recv_batch_timeout(std::slice::from_mut(&mut record), timeout)?;
        Ok((received == 1).then_some(record))
    }

    /// [`RecordReceiver::recv_batch`] waiting at most `timeout` for the first record.
    ///
    /// # Errors
    /// [`RingError::TimedOut`] when none came in time; as
    /// [`RecordReceiver::recv`] otherwise.
    pub fn recv_batch_timeout(&mut self, buf: &mut [T], timeout: Duration) -> Result<usize, RingError> {
        self.recv_batch_until(buf, Deadline::after(timeout))
    }

    /// Receives up to `buf.len()` records, waiting for the first until
    /// `until` has passed.
    fn recv_batch_until(&mut self, buf: &mut [T], until: Deadline) -> Result<usize, RingError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if std::mem::take(&mut self.close_behind) {
            self.let_producer_get_ahead();
        }
        loop {
            let n = self.take(buf)?;
            if n > 0 {
                return Ok(n);
            }
            let closed = self.ring.word(PRODUCER_CLOSED_OFFSET).load(Ordering::Acquire);
            if closed != 0 {
                // Closed: anything published before the close is visible now.
                let n = self.take(buf)?;
                if n == 0 && closed == CLOSED_CORRUPT {
                    // The end, but not of the stream the producer meant to send.
                    return Err(RingError::PeerClosed {
                        peer: "producer",
                        found_corrupt: true,
                    });
                }
                return Ok(n);
            }
            if self.unacknowledged() >= self.ring.capacity {
                // Nothing can come: the producer waits for these slots.
                return Err(RingError::AckNeeded {
                    unacknowledged: self.unacknowledged(),
                });
            }
            if until.passed() {
                return Err(RingError::TimedOut { done: 0 });
            }
            let alive = self
                .ring
                .wait(TAIL_OFFSET, self.head, Sleeper::Consumer, &PRODUCER, until);
            if !alive && !self.ring.is_set(PRODUCER_CLOSED_OFFSET) {
                // Dead without closing: hand out what it sent, then say so.
                let n = self.take(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                return Err(RingError::PeerGone {
                    peer: "producer",
                    pid: self.ring.word(PRODUCER_PID_OFFSET).load(Ordering::Acquire),
                });
            }
        }
    }

    /// After a take that caught up with the producer (see
    /// [`RecordReceiver::close_behind`]), lets it get [`Ring::SLIP`] records
    /// ahead ([`Ring::let_peer_get_ahead`]).
    fn let_producer_get_ahead(&self) {
        self.ring.let_peer_get_ahead(TAIL_OFFSET, self.head);
    }

    /// Copies out what is there (up to `buf.len()`), and frees the slots
    /// unless this end acknowledges them itself.
    pub(super) fn take(&mut self, buf: &mut [T]) -> Result<usize, RingError> {
        let tail = self.ring.word(TAIL_OFFSET).load(Ordering::Acquire);
        let filled = self.ring.filled(self.head, tail);
        self.found_corrupt = filled.is_err();
        let filled = filled? as usize;
        let n = filled.min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        self.close_behind = n == filled && (n as u32) < Ring::<T>::SLIP;
        let first_slot = (self.head & (self.ring.capacity - 1)) as usize;
        let until_end = (self.ring.capacity as usize - first_slot).min(n);
        let (front, back) = buf[..n].split_at_mut(until_end);
        let words = self.ring.words();
        for (index, part) in [
            (self.head, front),
            (self.head.wrapping_add(until_end as u32), back),
        ] {
            words.copy_out(self.ring.slot_offset(index), part);
        }
        self.head = self.head.wrapping_add(n as u32);
        if self.acked.is_none() {
            self.ring
                .publish(words, HEAD_OFFSET, self.head, Sleeper::Producer);
        }
        Ok(n)
    }
}

impl<T: Record> Drop for RecordReceiver<T> {
    fn drop(&mut self) {
        // Closed first, then free the place: a consumer attaching in between
        // re-opens the ring after this close, not before it.
        self.ring
            .close_end(CONSUMER_CLOSED_OFFSET, self.found_corrupt, Sleeper::Producer);
        let _ = self.ring.word(CONSUMER_PID_OFFSET).compare_exchange(
            std::process::id(),
            0,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
}

/// Whether opening failed because no producer has created the ring yet.
fn is_not_found(error: &ObjectError) -> bool {
    matches!(error.failure(), Failure::NotFound { .. })
}

/// Makes this process the ring's one consumer: takes the place when it is
/// free (0) or its pid word names no running process (a dead holder, or a
/// word that names no possible pid), atomically (never writing over a live
/// one).
fn claim_consumer<T>(ring: &Ring<T>) -> Result<(), RingError> {
    let consumer = ring.word(CONSUMER_PID_OFFSET);
    let me = std::process::id();
    let mut current = consumer.load(Ordering::Acquire);
    loop {
        if names_a_live_process(current) {
            return Err(RingError::ConsumerTaken { pid: current });
        }
        match consumer.compare_exchange(current, me, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(()),
            Err(now) => current = now,
        }
    }
}
