//! Where everything sits in a cell (the table in the [module
//! documentation](super)), and the sequence counters' rules: which slot a
//! reader takes, and which number a writer publishes next. Pure functions
//! of the two counters, so that every state they can be in is tested here.

/// `IMLV` read as a little-endian `u32`: marks a cell a writer has set up.
pub const CELL_MAGIC: u32 = u32::from_le_bytes(*b"IMLV");
/// Version of the cell layout.
pub const CELL_VERSION: u32 = 1;
/// Bytes of the cell's header, before its first slot (one cache line).
pub const HEADER_BYTES: u64 = 64;
/// What a cell's offset in its region must be a multiple of. A multiple of
/// 64 keeps each slot on cache lines of its own.
pub const CELL_ALIGN: u64 = 8;

/// Header word: the magic (low half) and the layout version (high half).
pub(super) const MAGIC_WORD: usize = 0;
/// Header word: the value's size (low half) and alignment (high half).
pub(super) const TYPE_WORD: usize = 1;
/// Header word: the writer's pid (0: no writer holds the cell).
pub(super) const WRITER_WORD: usize = 2;

/// A cell's footprint for values of `size` bytes: the words of one slot
/// (its counter, then the value rounded up to whole words, padded to whole
/// cache lines).
pub(super) const fn slot_words(size: usize) -> usize {
    (8 + size.div_ceil(8) * 8).div_ceil(64) * 8
}

/// The words of a whole cell for values of `size` bytes: the header and two
/// slots.
pub(super) const fn cell_words(size: usize) -> usize {
    HEADER_BYTES as usize / 8 + 2 * slot_words(size)
}

/// The index of slot `slot`'s counter word (its value's words follow it).
pub(super) const fn slot_start(size: usize, slot: usize) -> usize {
    HEADER_BYTES as usize / 8 + slot * slot_words(size)
}

/// The slot that value number `number` (1 for the first) is written to:
/// the two slots take turns.
pub(super) const fn slot_of(number: u64) -> usize {
    (number & 1) as usize
}

/// A slot's counter while value `number` is being written to it (odd).
pub(super) const fn writing(number: u64) -> u64 {
    2 * number - 1
}

/// A slot's counter once value `number` is whole in it (even).
pub(super) const fn written(number: u64) -> u64 {
    2 * number
}

/// The value number a counter is about (writing or written); 0 for a slot
/// never written.
pub(super) const fn number_of(counter: u64) -> u64 {
    counter.div_ceil(2)
}

/// What a reader finds in the two counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// No whole value yet (nothing written, or the first one being written).
    Empty,
    /// The newest whole value is in `slot`, whose counter reads `counter`;
    /// `writing` is the other slot's counter when a newer value is being
    /// written to it (or was, by a writer that died).
    Whole {
        slot: usize,
        counter: u64,
        writing: Option<u64>,
    },
    /// Counters no writer of this layout leaves: something else wrote there.
    Impossible,
}

/// Which slot holds the newest whole value, given the counters of slot 0
/// and slot 1.
///
/// A writer only ever writes value `n` into slot `n mod 2`, one value at a
/// time, so the counters can only be: both 0; one of them `writing(1)` or
/// `written(1)` and the other 0; or the counters of two consecutive numbers,
/// the older one whole and the newer being written or whole.
#[inline(always)]
pub(super) fn newest(counters: [u64; 2]) -> Found {
    // The common case in a few instructions: no write under way (both
    // counters even), the newer value one number past the older, in its
    // own slot (the first value: 2 beside 0).
    let [first, second] = counters;
    if (first | second) & 1 == 0 {
        let slot = usize::from(second > first);
        let (new, old) = (first.max(second), first.min(second));
        if new == old + 2 && slot_of(new / 2) == slot {
            return Found::Whole {
                slot,
                counter: new,
                writing: None,
            };
        }
    }
    let [older, newer] = if number_of(counters[0]) < number_of(counters[1]) {
        [0, 1]
    } else {
        [1, 0]
    };
    let (new, old) = (counters[newer], counters[older]);
    let new_number = number_of(new);
    let in_own_slot = |counter: u64, slot: usize| counter == 0 || slot_of(number_of(counter)) == slot;
    if !in_own_slot(new, newer) || !in_own_slot(old, older) {
        return Found::Impossible;
    }
    match (new_number, number_of(old)) {
        (0, _) => Found::Empty,
        (n, previous) if previous + 1 != n => Found::Impossible,
        _ if new % 2 == 0 => {
            if old % 2 == 1 {
                return Found::Impossible; // the older one was never finished
            }
            Found::Whole {
                slot: newer,
                counter: new,
                writing: None,
            }
        }
        (1, 0) => Found::Empty,                 // the first value, still being written
        _ if old % 2 == 1 => Found::Impossible, // two writes under way
        _ => Found::Whole {
            slot: older,
            counter: old,
            writing: Some(new),
        },
    }
}

/// The number a writer that claims the cell publishes next: one past the
/// newest whole value, which for a writer that died while writing is the
/// number it never finished (written again into the same slot).
pub(super) fn next_number(counters: [u64; 2]) -> u64 {
    counters.iter().map(|&c| c / 2).max().unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counters after `whole` values were published and, when
    /// `then_writing`, while the next is written.
    fn after(whole: u64, then_writing: bool) -> [u64; 2] {
        let mut counters = [0u64; 2];
        for n in 1..=whole {
            counters[slot_of(n)] = written(n);
        }
        if then_writing {
            counters[slot_of(whole + 1)] = writing(whole + 1);
        }
        counters
    }

    #[test]
    fn a_cell_no_writer_finished_a_value_in_is_empty() {
        assert_eq!(newest([0, 0]), Found::Empty);
        assert_eq!(newest(after(0, true)), Found::Empty);
    }

    #[test]
    fn a_reader_takes_the_newest_whole_value_and_sees_a_newer_one_being_written() {
        for whole in 1..50 {
            let slot = slot_of(whole);
            assert_eq!(
                newest(after(whole, false)),
                Found::Whole {
                    slot,
                    counter: written(whole),
                    writing: None
                },
                "{whole} values"
            );
            assert_eq!(
                newest(after(whole, true)),
                Found::Whole {
                    slot,
                    counter: written(whole),
                    writing: Some(writing(whole + 1))
                },
                "{whole} values, the next being written"
            );
        }
    }

    #[test]
    fn counters_no_writer_leaves_are_impossible() {
        // Both being written; a value in the wrong slot; a gap of numbers;
        // an older value never finished beside a newer whole one.
        for counters in [
            [writing(2), writing(1)],
            [written(1), 0],
            [0, written(3)],
            [written(4), written(1)],
            [writing(2), written(3)],
            [writing(4), writing(5)],
            [u64::MAX, 1],
        ] {
            assert_eq!(newest(counters), Found::Impossible, "{counters:?}");
        }
    }

    #[test]
    fn a_new_writer_goes_on_after_the_newest_whole_value_and_redoes_an_unfinished_one() {
        assert_eq!(next_number([0, 0]), 1);
        for whole in 0..50 {
            assert_eq!(next_number(after(whole, false)), whole + 1);
            // The dead writer's unfinished value is redone in its own slot.
            assert_eq!(next_number(after(whole, true)), whole + 1);
        }
    }

    #[test]
    fn slots_take_whole_cache_lines_and_hold_their_counter_and_the_value() {
        assert_eq!(slot_words(1), 8);
        assert_eq!(slot_words(56), 8);
        assert_eq!(slot_words(57), 16);
        assert_eq!(slot_words(64), 16);
        assert_eq!(cell_words(64), 8 + 32);
        assert_eq!(slot_start(64, 1), 8 + 16);
    }
}
