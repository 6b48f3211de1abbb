//! Taking turns: two (or more) processes hand a region back and forth, each
//! sleeping until it is its turn.
//!
//! The naive way, "take the mutex, check whose turn it is, release, retry",
//! never sleeps: on a machine where both processes share one CPU, the waiting
//! one burns its whole time slice on every hand-over (milliseconds each). Here
//! the turn is a word in the control block: the waiter spins briefly, then
//! sleeps on it (a futex on Linux) until the other side passes the turn and
//! wakes it. The mutex still guards the data; the turn only says who goes next.
//!
//! ```no_run
//! # use std::time::Duration;
//! # let region = shared::Region::create_or_open(&shared::RegionName::new("testmap")?)?;
//! # let mutex = shared::NamedMutex::create(&region, false)?.mutex;
//! const ME: u32 = 1;
//! const PEER: u32 = 2;
//! let control = region.control();
//! if control.wait_for_turn(ME, Duration::from_secs(5)) {
//!     let owned = mutex.wait()?;
//!     // ... read and write the region ...
//!     drop(owned);
//!     control.pass_turn(PEER);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::control::{Control, MAILBOX_OFFSET};
use crate::layout::SERVICE_MSG_SIZE;
use crate::notify;
use crate::service_msg::ServiceMsg;

/// Looks at the turn this many times before sleeping.
const SPINS: u32 = 2_000;

/// Longest single sleep: a peer that died wakes nobody, so look again this often.
const SLICE: Duration = Duration::from_millis(100);

impl Control<'_> {
    /// Whose turn it is now (0 until someone passes the turn).
    pub fn turn(&self) -> u32 {
        self.turn_word().load(Ordering::Acquire)
    }

    /// Waits until it is `mine`'s turn, or `timeout` passes; returns whether it
    /// is. Spins briefly, then sleeps until [`Control::pass_turn`] wakes it.
    pub fn wait_for_turn(&self, mine: u32, timeout: Duration) -> bool {
        let word = self.turn_word();
        let until = notify::Until::after(timeout);
        loop {
            let seen = word.load(Ordering::Acquire);
            if seen == mine {
                return true;
            }
            if until.passed() {
                return false;
            }
            self.sleep_while_turn_is(seen, until.left().min(SLICE));
        }
    }

    /// Like [`Control::wait_for_turn`] but never sleeps: for two processes on
    /// two cores that hand over faster than a wake-up would take.
    pub fn spin_for_turn(&self, mine: u32, timeout: Duration) -> bool {
        let word = self.turn_word();
        let until = notify::Until::after(timeout);
        let mut spins = 0u32;
        while word.load(Ordering::Acquire) != mine {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(4096) && until.passed() {
                return false;
            }
        }
        true
    }

    /// Gives the turn to `next` and wakes whoever sleeps waiting for it (no
    /// system call when nobody sleeps).
    pub fn pass_turn(&self, next: u32) {
        let word = self.turn_word();
        // Sequentially consistent on both sides (a locked exchange here, a
        // locked add in `sleep_while_turn_is`): either the sleeper sees the
        // new turn, or this side sees the sleeper and wakes it.
        word.swap(next, Ordering::SeqCst);
        if self.turn_sleepers().load(Ordering::SeqCst) != 0 {
            notify::wake_all(word);
        }
    }

    /// Puts `msg` in the mailbox and gives the turn to `next`: the record
    /// travels with the turn, on the same cache line.
    pub fn pass_turn_with(&self, next: u32, msg: &ServiceMsg) {
        // In range: the mailbox is a constant inside every region's control block.
        let _ = self.mapping().write(MAILBOX_OFFSET, &msg.encode());
        self.pass_turn(next);
    }

    /// The record in the mailbox (read it when it is your turn).
    pub fn mailbox(&self) -> ServiceMsg {
        let mut bytes = [0u8; SERVICE_MSG_SIZE];
        let _ = self.mapping().read(MAILBOX_OFFSET, &mut bytes);
        ServiceMsg::decode(&bytes)
    }

    /// Spins briefly, then sleeps while the turn is still `seen`, counted
    /// among the sleepers so that [`Control::pass_turn`] knows to wake it.
    fn sleep_while_turn_is(&self, seen: u32, timeout: Duration) {
        let word = self.turn_word();
        if notify::spin_until_changed(word, seen, SPINS) {
            return;
        }
        let sleepers = self.turn_sleepers();
        sleepers.fetch_add(1, Ordering::SeqCst);
        if word.load(Ordering::SeqCst) == seen {
            notify::sleep_while_equal(word, seen, timeout);
        }
        sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}
