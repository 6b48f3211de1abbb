//! How a side waits for the other and is woken: it spins briefly, then
//! sleeps on a word of its own ([`Sleeper`]) until the other side publishes
//! ([`Ring::publish`]) or is gone ([`Ring::peer_gone`]); and how a side that
//! caught up with the other lets it get ahead ([`Ring::let_peer_get_ahead`]).

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::both_ends::{word, Ring};
use super::error::names_a_possible_process;
use super::layout::{
    CLOSED, CLOSED_CORRUPT, CONSUMER_CLOSED_OFFSET, CONSUMER_PID_OFFSET, CONSUMER_PUBLISHES_OFFSET,
    CONSUMER_SLEEPING_OFFSET, DATA_OFFSET, PRODUCER_CLOSED_OFFSET, PRODUCER_PID_OFFSET,
    PRODUCER_PUBLISHES_OFFSET, PUBLISHES_LOCKED, PUBLISHES_PLAIN, TAIL_OFFSET,
};
use super::sleepers::Sleeper;
use super::way_to_sleep;
use crate::platform::mapping::{Prefix, Writable};
use crate::platform::wait::{spin_until_changed_every, spin_until_changed_paced, Deadline, YIELD_EVERY};
use crate::platform::{self, WordWaker};

/// How often a sleeping side wakes to check that its peer is alive (an hour
/// in this module's tests: a lost wake-up hangs them instead of costing a
/// slice).
pub(super) const LIVENESS_SLICE: Duration = if cfg!(test) {
    Duration::from_secs(3600)
} else {
    Duration::from_millis(100)
};
/// Longest sleep when this side could not pair its sleep with a heavy
/// barrier (no `membarrier`): a light publisher may then miss the flag.
const UNPAIRED_SLICE: Duration = Duration::from_millis(1);
/// Pauses spent spinning before sleeping.
pub(super) const SPIN_PAUSES: u32 = 2_000;
/// Pauses between two looks at the other side's index.
pub(super) const PAUSES_PER_LOOK: u32 = 16;
/// Looks [`PAUSES_PER_LOOK`] apart a waiting side takes first, then one
/// after every pause. The first looks are the ones that meet a side still
/// streaming (a consumer that just caught up with its producer): spaced,
/// they leave the other side the tail's line while it writes. After them
/// the other side is quiet, and a look costs it nothing: looking after
/// every pause sees a lone record within a pause instead of within 16.
pub(super) const SPACED_LOOKS: u32 = 2;
/// How far, in bytes of records, a consumer close behind the producer lets
/// it get ahead (see `RecordReceiver::let_producer_get_ahead`).
const SLIP_BYTES: u64 = 16 * 1024;
/// Most looks a consumer close behind the producer spends letting it get
/// ahead (see `RecordReceiver::let_producer_get_ahead`).
const SLIP_LOOKS: u32 = 16;

/// The header words of the other end, as the waiting end sees them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Peer {
    /// Its closed flag.
    closed: u64,
    /// Its pid.
    pid: u64,
    /// How it publishes (the consumer's: 0 until a consumer first attaches).
    publishes: u64,
    /// Whether its place may be empty (pid 0) without it being gone: the
    /// consumer's, before any consumer has attached.
    may_not_have_come: bool,
    /// Whether its closing ends a wait (not when the wait is for a new
    /// consumer to attach after one closed).
    close_ends_wait: bool,
}

/// The consumer, as the producer sees it.
pub(super) const CONSUMER: Peer = Peer {
    closed: CONSUMER_CLOSED_OFFSET,
    pid: CONSUMER_PID_OFFSET,
    publishes: CONSUMER_PUBLISHES_OFFSET,
    may_not_have_come: true,
    close_ends_wait: true,
};

/// A consumer to attach, as
/// [`RecordSender::wait_for_consumer`](super::RecordSender::wait_for_consumer)
/// waits for one: a consumer that closed does not end that wait.
pub(super) const CONSUMER_TO_ATTACH: Peer = Peer {
    close_ends_wait: false,
    ..CONSUMER
};

/// The producer, as the consumer sees it.
pub(super) const PRODUCER: Peer = Peer {
    closed: PRODUCER_CLOSED_OFFSET,
    pid: PRODUCER_PID_OFFSET,
    publishes: PRODUCER_PUBLISHES_OFFSET,
    may_not_have_come: false,
    close_ends_wait: true,
};

/// Whether a pid word names a running process. 0 and impossible pids never
/// do; for a pid above the system's largest (`pid_max`) the system itself
/// answers that no such process runs.
pub(super) fn names_a_live_process(pid: u32) -> bool {
    names_a_possible_process(pid) && platform::pid_alive(pid)
}

impl<T> Ring<T> {
    /// How many records a side close behind the other lets it get ahead by:
    /// [`SLIP_BYTES`] of them, at least one.
    pub(super) const SLIP: u32 = {
        let records = SLIP_BYTES / Self::RECORD_SIZE;
        if records == 0 {
            1
        } else {
            records as u32
        }
    };

    /// The waker of `sleeper`.
    #[inline]
    pub(super) fn waker(&self, sleeper: Sleeper) -> &WordWaker {
        self.wakers.of(sleeper)
    }

    /// Sleeps while `sleeper`'s word holds `seen` (bounded by `timeout`).
    pub(super) fn sleep_while_equal(&self, sleeper: Sleeper, seen: u32, timeout: Duration) {
        self.waker(sleeper)
            .sleep_while_equal(self.word(sleeper.word_offset()), seen, timeout);
    }

    /// Publishes `tail` (the records before it are written) and wakes the
    /// consumer if it sleeps: [`Ring::publish`] on the header's words.
    #[inline(always)]
    pub(super) fn publish_tail(&self, header: Prefix<'_, DATA_OFFSET>, tail: u32) {
        if self.light {
            header.word::<TAIL_OFFSET>().store(tail, Ordering::Release);
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
        } else {
            header.word::<TAIL_OFFSET>().swap(tail, Ordering::SeqCst);
        }
        if header.word::<CONSUMER_SLEEPING_OFFSET>().load(Ordering::SeqCst) != 0 {
            self.wake(Sleeper::Consumer);
        }
    }

    /// Waits while the other side keeps moving its index (the word at
    /// `index`) until it is [`Ring::SLIP`] records past `from`, at most
    /// [`SLIP_LOOKS`] looks; called by a side that caught up with the other
    /// (a consumer that emptied the ring, a producer that filled it).
    ///
    /// Two sides that each act on every record as soon as the other
    /// published it keep reading and writing the same cache lines: the
    /// records' lines and the index's. Every record then waits for a line
    /// to come back from the other core, and both sides slow to a cache
    /// line's trip per record. Falling a few lines behind keeps them apart
    /// (the "temporal slipping" of FastForward, Giacomoni et al., 2008). Nothing
    /// is held for long: the wait ends at the first look that finds the other
    /// side did not move, so a lone record, or the last of a burst, is taken
    /// at most two looks late (one to see it come, one to see nothing more).
    pub(super) fn let_peer_get_ahead(&self, index: u64, from: u32) {
        let index = self.word(index);
        let mut seen = index.load(Ordering::Relaxed);
        for _ in 0..SLIP_LOOKS {
            if seen.wrapping_sub(from) >= Self::SLIP {
                return;
            }
            for _ in 0..PAUSES_PER_LOOK {
                std::hint::spin_loop();
            }
            let now = index.load(Ordering::Relaxed);
            if now == seen {
                return;
            }
            seen = now;
        }
    }

    /// Waits while `word` is still `seen` and the peer has not closed its
    /// end (`closed`; unless [`Peer::close_ends_wait`] is false): spins
    /// briefly ([`SPACED_LOOKS`], then a look after every pause, yielding
    /// as often either way), then sleeps. Returns whether the peer may still act: false
    /// when it counts as gone ([`Ring::peer_gone`]).
    ///
    /// The sleep is on `sleeper`'s flag itself: the sleeper sets it to 1,
    /// checks its condition once more, and sleeps while the flag is still 1;
    /// the other side, after changing `word` or closing, swaps the flag back
    /// to 0 and wakes the sleeper. Either the sleeper sees the change or the
    /// waker sees the flag (see [`Ring::publish`] for why), and a wake-up
    /// that arrives before the sleep finds the flag already 0 and the sleep
    /// does not start: no wake-up is lost.
    pub(super) fn wait(&self, word: u64, seen: u32, sleeper: Sleeper, peer: &Peer, until: Deadline) -> bool {
        let word = self.word(word);
        let spaced = SPACED_LOOKS.min(SPIN_PAUSES / PAUSES_PER_LOOK);
        if spin_until_changed_every(word, seen, spaced, PAUSES_PER_LOOK, || until.passed())
            || spin_until_changed_paced(
                word,
                seen,
                SPIN_PAUSES - spaced * PAUSES_PER_LOOK,
                1,
                YIELD_EVERY * PAUSES_PER_LOOK,
                || until.passed(),
            )
        {
            return true;
        }
        way_to_sleep::step(way_to_sleep::Step::SpinEnded);
        let flag = self.word(sleeper.word_offset());
        flag.swap(1, Ordering::SeqCst);
        // Pairs with a plain-store publisher's compiler-only barrier. When it
        // cannot be issued (no membarrier here) and the peer may publish with
        // plain stores (it says so, or has not said yet), the peer may miss the
        // flag: sleep in short slices then, so that a missed wake-up costs a
        // millisecond, not a hang.
        let paired = platform::heavy_barrier()
            || self.word(peer.publishes).load(Ordering::Acquire) == PUBLISHES_LOCKED;
        let slice = if paired { LIVENESS_SLICE } else { UNPAIRED_SLICE };
        way_to_sleep::step(way_to_sleep::Step::Announced);
        if word.load(Ordering::SeqCst) == seen
            && (!peer.close_ends_wait || self.word(peer.closed).load(Ordering::SeqCst) == 0)
        {
            self.sleep_while_equal(sleeper, 1, slice.min(until.left()));
        }
        flag.store(0, Ordering::SeqCst);
        !self.peer_gone(peer)
    }

    /// Whether `peer` counts as gone (see the module's [table](super#which-peer-counts-as-gone)):
    /// its pid word names a dead process or no possible one. A 0 in the
    /// consumer's place is no death before any consumer has attached (a
    /// consumer may still come), nor the caller's to judge after one closed
    /// (it is gone, and its closed word says why); after one attached and
    /// while it has not closed, the 0 was written by something else.
    pub(super) fn peer_gone(&self, peer: &Peer) -> bool {
        let pid = self.word(peer.pid).load(Ordering::Acquire);
        if pid != 0 || !peer.may_not_have_come {
            return !names_a_live_process(pid);
        }
        if self.is_set(peer.closed) {
            return true;
        }
        if self.word(peer.publishes).load(Ordering::Acquire) == 0 {
            return false; // no consumer has attached yet
        }
        // A consumer attaching between these reads wrote its pid before
        // clearing the closed word: this second read sees it.
        !names_a_live_process(self.word(peer.pid).load(Ordering::Acquire))
    }

    /// Records in the header how this end publishes (`publishes`: its own word).
    pub(super) fn announce(&self, publishes: u64) {
        let how = if self.light {
            PUBLISHES_PLAIN
        } else {
            PUBLISHES_LOCKED
        };
        self.word(publishes).store(how, Ordering::Release);
    }

    /// Publishes a new value of `word` and wakes the other side (`sleeper`)
    /// if it sleeps.
    ///
    /// The sleeper stores its flag and then looks at `word`; this side stores
    /// `word` and then looks at the flag. One of the two must see the other's
    /// store (Dekker's pattern), which needs a store-load barrier on both
    /// sides. The sleeper pays for it with a heavy barrier (`membarrier`, a
    /// few microseconds, only on its way to sleep), so this side, registered
    /// for it, gets by with a plain store and a compiler-only barrier: a
    /// record costs a store, not a locked instruction waiting for the cache
    /// line. Where `membarrier` is missing both sides use locked instructions.
    #[inline(always)]
    pub(super) fn publish(&self, words: Writable<'_>, word_at: u64, value: u32, sleeper: Sleeper) {
        if self.light {
            word(words, word_at).store(value, Ordering::Release);
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
        } else {
            word(words, word_at).swap(value, Ordering::SeqCst);
        }
        if word(words, sleeper.word_offset()).load(Ordering::SeqCst) != 0 {
            self.wake(sleeper);
        }
    }

    /// Wakes `sleeper` when its sleeping flag is set (no system call
    /// otherwise): the consumer or the producer. An opener sleeps on the
    /// magic word, not on a flag: the producer's set-up wakes it
    /// ([`Ring::waker`]).
    #[cold]
    #[inline(never)]
    pub(super) fn wake(&self, sleeper: Sleeper) {
        let flag = self.word(sleeper.word_offset());
        if flag.load(Ordering::SeqCst) != 0 && flag.swap(0, Ordering::SeqCst) != 0 {
            self.waker(sleeper).wake_all(flag);
        }
    }

    /// Closes this end: stores in its closed word (`closed`) that it closed,
    /// or closed because it found the ring corrupt, and wakes the other side
    /// (`peer`) so that it sees it.
    pub(super) fn close_end(&self, closed: u64, found_corrupt: bool, peer: Sleeper) {
        let value = if found_corrupt { CLOSED_CORRUPT } else { CLOSED };
        self.word(closed).swap(value, Ordering::SeqCst);
        self.wake(peer);
    }
}
