//! Where the two sides of a turn run. A waiter whose peer runs on the
//! waiter's own CPU yields at every look: the peer can answer only while the
//! waiter is off the CPU, and every pause spent looking first is lost (7
//! pauses cost about 0.2 µs of a 2 µs hand-over here). A waiter whose peer
//! runs elsewhere looks with pauses between, as the answer usually comes
//! within a fraction of a microsecond.
//!
//! Each pass of the turn records the passer's CPU in one word on the turn's
//! cache line (see `crate::platform::meta_words`), beside the CPU of the pass
//! before it: 16 bits each, the CPU plus 1, so that 0 is unknown. When both
//! say "this CPU", the last two passes, this side's and its peer's, came
//! from the CPU the waiter is on. The word is shared, and each thread
//! remembers its own CPU, so threads that share one handle read it right
//! too. It is a hint: a wrong one (after a migration, or from a hostile
//! writer) costs time, never correctness.
//!
//! A thread asks for its CPU when it begins to wait ([`ask_cpu`], while the
//! turn travels to its peer), on its first wait and then once every 64
//! ([`cpu_for_wait`]), and a pass publishes the answer it remembers:
//! asking at the pass itself put `sched_getcpu` on the hand-over's critical
//! path and made a round trip between cores about 25 ns slower. The waiter
//! reads the hint from what its own last pass wrote
//! ([`written_by_last_pass`]), not from the turn's line.

use std::cell::Cell;

thread_local! {
    /// This thread's CPU when it last asked, plus 1 (0: never asked).
    static ASKED: Cell<u32> = const { Cell::new(0) };
    /// Waits since this thread began (wrapping): it asks for its CPU on
    /// every [`ASK_EVERY`]th.
    static WAITS: Cell<u32> = const { Cell::new(0) };
    /// The word this thread's last pass wrote (0: none yet).
    static WRITTEN: Cell<u32> = const { Cell::new(0) };
}

/// A waiting thread asks the system for its CPU once every this many
/// waits, and otherwise goes by its last answer: a thread seldom moves, and
/// the question (about 20 ns here) lies on the hand-over's path when the
/// answer comes fast. A move is seen within this many waits.
const ASK_EVERY: u32 = 64;

/// Asks which CPU this thread runs on now (plus 1; 0: unknown) and
/// remembers it for the next [`after_pass`].
pub(crate) fn ask_cpu() -> u32 {
    let here = encode(crate::platform::current_cpu());
    ASKED.with(|asked| asked.set(here));
    here
}

/// This thread's CPU for a wait (plus 1; 0: unknown), as [`ask_cpu`] but
/// asking only on the first wait and then once every [`ASK_EVERY`]; in
/// between, the last answer. The flag says whether this wait asked.
pub(crate) fn cpu_for_wait() -> (u32, bool) {
    let waits = WAITS.with(|waits| {
        let n = waits.get().wrapping_add(1);
        waits.set(n);
        n
    });
    match ASKED.with(Cell::get) {
        0 => (ask_cpu(), true),
        _ if waits.is_multiple_of(ASK_EVERY) => (ask_cpu(), true),
        asked => (asked, false),
    }
}

/// Whether this thread may run on another CPU than its own (its affinity
/// allows several). A waiter whose peer shares its CPU yields to it; a
/// thread that yields is never moved, so one that may move sleeps now and
/// then instead: the kernel places a thread it wakes on an idle CPU when
/// there is one. A system call: ask it only on that slow path, never on a
/// wait whose peer runs elsewhere (there it cost a round trip between cores
/// a tenth of its time, asked once every [`ASK_EVERY`] waits).
pub(crate) fn may_move() -> bool {
    crate::platform::may_run_elsewhere()
}

/// The word after a pass from this thread: the last passer's CPU moves to
/// the upper half, this thread's (as last asked) comes into the lower one.
/// The thread remembers it ([`written_by_last_pass`]).
#[inline]
pub(crate) fn after_pass(word: u32) -> u32 {
    let written = shifted_in(word, ASKED.with(Cell::get));
    WRITTEN.with(|last| last.set(written));
    written
}

/// The word this thread's last pass wrote (`None` before its first pass).
/// A waiter that has just passed the turn reads the hint here rather than
/// on the turn's cache line, which its peer may be writing by then: a read
/// of it would take the line away from the peer in mid-answer.
#[inline]
pub(crate) fn written_by_last_pass() -> Option<u32> {
    Some(WRITTEN.with(Cell::get)).filter(|&word| word != 0)
}

/// Whether the last two passes both came from `here` (a known CPU plus 1,
/// from [`ask_cpu`]), that is, the waiter's peer runs where the waiter does.
pub(crate) fn peer_shares_cpu(word: u32, here: u32) -> bool {
    here != 0 && word & 0xFFFF == here && word >> 16 == here
}

/// Whether the pass before the last came from a known CPU other than
/// `here` (a known CPU plus 1, from [`ask_cpu`]). A waiter's own pass is the
/// last one, so the one before is its peer's: the peer last ran elsewhere,
/// and its answer comes without this thread leaving its CPU.
pub(crate) fn peer_runs_elsewhere(word: u32, here: u32) -> bool {
    let peer = word >> 16;
    here != 0 && peer != 0 && peer != here
}

/// `word` with its lower half moved up and `encoded` in its place.
fn shifted_in(word: u32, encoded: u32) -> u32 {
    (word << 16) | encoded
}

/// `cpu` plus 1 in 16 bits; 0 when unknown or too large to say.
fn encode(cpu: Option<u32>) -> u32 {
    cpu.and_then(|cpu| cpu.checked_add(1))
        .filter(|&cpu| cpu <= 0xFFFF)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pass from `cpu`, as [`after_pass`] makes it.
    fn pass(word: u32, cpu: Option<u32>) -> u32 {
        shifted_in(word, encode(cpu))
    }

    #[test]
    fn a_pass_moves_the_last_passer_up_and_brings_the_new_one_in() {
        let word = pass(0, Some(3));
        assert_eq!(word, 4, "nothing known before: the upper half stays unknown");
        let word = pass(word, Some(7));
        assert_eq!(word, (4 << 16) | 8);
        assert_eq!(pass(word, None), 8 << 16, "an unknown CPU is 0");
    }

    #[test]
    fn the_peer_shares_the_cpu_only_when_both_passes_came_from_it() {
        let on = |cpu| encode(Some(cpu));
        let both_on_2 = pass(pass(0, Some(2)), Some(2));
        assert!(peer_shares_cpu(both_on_2, on(2)));
        assert!(!peer_shares_cpu(both_on_2, on(1)), "the waiter moved");
        assert!(!peer_shares_cpu(both_on_2, encode(None)), "the waiter cannot say");
        let apart = pass(pass(0, Some(1)), Some(2));
        assert!(!peer_shares_cpu(apart, on(2)), "the peer passed from CPU 1");
        assert!(!peer_shares_cpu(apart, on(1)), "this side passed from CPU 2");
        assert!(
            !peer_shares_cpu(pass(0, Some(2)), on(2)),
            "one pass says nothing of the peer"
        );
        assert!(!peer_shares_cpu(0, 0), "unknown is never the same");
    }

    #[test]
    fn the_peer_runs_elsewhere_only_when_its_pass_came_from_another_known_cpu() {
        let on = |cpu| encode(Some(cpu));
        let peer_on_1_me_on_2 = pass(pass(0, Some(1)), Some(2));
        assert!(peer_runs_elsewhere(peer_on_1_me_on_2, on(2)));
        assert!(
            !peer_runs_elsewhere(peer_on_1_me_on_2, on(1)),
            "this thread moved to the peer's CPU"
        );
        assert!(
            !peer_runs_elsewhere(peer_on_1_me_on_2, encode(None)),
            "the waiter cannot say"
        );
        assert!(
            !peer_runs_elsewhere(pass(0, Some(2)), on(2)),
            "one pass says nothing of the peer"
        );
        assert!(
            !peer_runs_elsewhere(pass(pass(0, None), Some(2)), on(2)),
            "the peer's CPU unknown"
        );
        let both_on_2 = pass(pass(0, Some(2)), Some(2));
        assert!(!peer_runs_elsewhere(both_on_2, on(2)));
    }

    #[test]
    fn a_cpu_too_large_for_16_bits_is_unknown() {
        assert_eq!(pass(0, Some(0xFFFF)), 0);
        assert_eq!(pass(0, Some(u32::MAX)), 0);
        assert!(
            peer_shares_cpu(0xFFFF_FFFF, encode(Some(0xFFFE))),
            "the largest CPU that fits"
        );
    }

    #[test]
    fn a_waiting_thread_asks_for_its_cpu_first_and_then_once_every_ask_every_waits() {
        std::thread::spawn(|| {
            let first = cpu_for_wait();
            assert_eq!(first, (ASKED.with(Cell::get), true), "asked on the first wait");
            // As if the thread had moved since: the waits in between keep
            // the last answer, the ASK_EVERYth asks again.
            let stale = 0xABCD;
            ASKED.with(|asked| asked.set(stale));
            let answers: Vec<(u32, bool)> = (2..=ASK_EVERY).map(|_| cpu_for_wait()).collect();
            let (between, last) = answers.split_at(answers.len() - 1);
            assert!(
                between.iter().all(|&answer| answer == (stale, false)),
                "{between:?}"
            );
            assert_eq!(last[0], (encode(crate::platform::current_cpu()), true));
        })
        .join()
        .expect("thread");
    }

    #[test]
    fn a_waiter_reads_the_hint_its_own_last_pass_wrote() {
        std::thread::spawn(|| {
            assert_eq!(written_by_last_pass(), None, "no pass yet");
            let here = ask_cpu();
            let word = after_pass(7 << 16 | 3);
            assert_eq!(word, 3 << 16 | here);
            assert_eq!(written_by_last_pass(), Some(word));
        })
        .join()
        .expect("thread");
    }

    #[test]
    fn a_pass_publishes_the_cpu_this_thread_last_asked_for() {
        std::thread::spawn(|| {
            assert_eq!(after_pass(0), 0, "a thread that never asked publishes unknown");
            let here = ask_cpu();
            assert_eq!(after_pass(0), here);
        })
        .join()
        .expect("thread");
    }
}
