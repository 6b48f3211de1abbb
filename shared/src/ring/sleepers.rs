//! Who sleeps on which word of the ring's header ([`Sleeper`]), and what
//! wakes each of them ([`Wakers`]).

use super::error::RingError;
use super::layout::{CONSUMER_SLEEPING_OFFSET, PRODUCER_SLEEPING_OFFSET, RING_OFFSET};
use crate::error::{Failure, ObjectError};
use crate::platform::WordWaker;
use crate::region::Region;

/// Who sleeps on a word of the ring's header: each sleeper has a word and a
/// waker of its own, so that a wake-up reaches the one it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sleeper {
    /// A consumer opening the ring before the producer has set it up: it
    /// sleeps on the magic word while that still reads 0, and the
    /// producer's set-up wakes it.
    Opener,
    /// The consumer, waiting for records: it sleeps on its sleeping flag.
    Consumer,
    /// The producer, waiting for room or for a consumer to attach: it sleeps
    /// on its sleeping flag.
    Producer,
}

impl Sleeper {
    /// The offset of the header word this sleeper sleeps on.
    #[inline(always)]
    pub(super) const fn word_offset(self) -> u64 {
        match self {
            Sleeper::Opener => RING_OFFSET,
            Sleeper::Consumer => CONSUMER_SLEEPING_OFFSET,
            Sleeper::Producer => PRODUCER_SLEEPING_OFFSET,
        }
    }
}

/// What wakes each [`Sleeper`] (Linux: a futex on its word itself; Windows:
/// a named semaphore beside the ring's region).
#[derive(Debug)]
pub(super) struct Wakers {
    /// Wakes [`Sleeper::Opener`].
    opener: WordWaker,
    /// Wakes [`Sleeper::Consumer`].
    consumer: WordWaker,
    /// Wakes [`Sleeper::Producer`].
    producer: WordWaker,
}

impl Wakers {
    /// Sets up the wakers of the ring in `region`.
    ///
    /// # Errors
    /// [`RingError::Region`] when the system refuses one.
    pub(super) fn new(region: &Region) -> Result<Wakers, RingError> {
        let waker = |sleeper: Sleeper| {
            region.word_waker(sleeper.word_offset()).map_err(|e| {
                RingError::Region(ObjectError::region(Failure::io(
                    "set up wake-ups for",
                    region.path(),
                    e,
                )))
            })
        };
        Ok(Wakers {
            opener: waker(Sleeper::Opener)?,
            consumer: waker(Sleeper::Consumer)?,
            producer: waker(Sleeper::Producer)?,
        })
    }

    /// The waker of `sleeper`.
    #[inline]
    pub(super) fn of(&self, sleeper: Sleeper) -> &WordWaker {
        match sleeper {
            Sleeper::Opener => &self.opener,
            Sleeper::Consumer => &self.consumer,
            Sleeper::Producer => &self.producer,
        }
    }
}
