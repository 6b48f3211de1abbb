//! Where the two sides of a turn run. A waiter whose peer runs on the
//! waiter's own CPU yields at every look: the peer can answer only while the
//! waiter is off the CPU, and every pause spent looking first is lost (7
//! pauses cost about 0.2 µs of a 2 µs hand-over here). A waiter whose peer
//! runs elsewhere looks with pauses between, as the answer usually comes
//! within a fraction of a microsecond.
//!
//! Each pass of the turn records the passer's CPU in one word on the turn's
//! cache line (see [`crate::object::meta`]), beside the CPU of the pass
//! before it: 16 bits each, the CPU plus 1, so that 0 is unknown. When both
//! say "this CPU", the last two passes, this side's and its peer's, came
//! from the CPU the waiter is on. The word is shared, not kept per process
//! or per handle, so threads that share one handle read it right too. It is
//! a hint: a wrong one (after a migration, or from a hostile writer) costs
//! time, never correctness.

/// The word after a pass from `cpu`: the last passer's CPU moves to the
/// upper half, `cpu` comes into the lower one.
pub(crate) fn after_pass(word: u32, cpu: Option<u32>) -> u32 {
    (word << 16) | encode(cpu)
}

/// Whether the last two passes both came from `cpu` (known), that is, the
/// waiter's peer runs where the waiter does.
pub(crate) fn peer_shares_cpu(word: u32, cpu: Option<u32>) -> bool {
    let here = encode(cpu);
    here != 0 && word & 0xFFFF == here && word >> 16 == here
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

    #[test]
    fn a_pass_moves_the_last_passer_up_and_brings_the_new_one_in() {
        let word = after_pass(0, Some(3));
        assert_eq!(word, 4, "nothing known before: the upper half stays unknown");
        let word = after_pass(word, Some(7));
        assert_eq!(word, (4 << 16) | 8);
        assert_eq!(after_pass(word, None), 8 << 16, "an unknown CPU is 0");
    }

    #[test]
    fn the_peer_shares_the_cpu_only_when_both_passes_came_from_it() {
        let both_on_2 = after_pass(after_pass(0, Some(2)), Some(2));
        assert!(peer_shares_cpu(both_on_2, Some(2)));
        assert!(!peer_shares_cpu(both_on_2, Some(1)), "the waiter moved");
        assert!(!peer_shares_cpu(both_on_2, None), "the waiter cannot say");
        let apart = after_pass(after_pass(0, Some(1)), Some(2));
        assert!(!peer_shares_cpu(apart, Some(2)), "the peer passed from CPU 1");
        assert!(!peer_shares_cpu(apart, Some(1)), "this side passed from CPU 2");
        assert!(
            !peer_shares_cpu(after_pass(0, Some(2)), Some(2)),
            "one pass says nothing of the peer"
        );
        assert!(!peer_shares_cpu(0, Some(0)), "unknown is never the same");
    }

    #[test]
    fn a_cpu_too_large_for_16_bits_is_unknown() {
        assert_eq!(after_pass(0, Some(0xFFFF)), 0);
        assert_eq!(after_pass(0, Some(u32::MAX)), 0);
        assert!(
            peer_shares_cpu(0xFFFF_FFFF, Some(0xFFFE)),
            "the largest CPU that fits"
        );
    }
}
