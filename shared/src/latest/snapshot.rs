//! What a read of a latest-value cell gives: the value, its number, and
//! whether a newer one was under way ([`Snapshot`], [`Pending`]).

/// A whole value read from a cell ([`Latest::read`](super::Latest::read)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot<T> {
    /// The value, whole: every byte from one publish.
    pub value: T,
    /// Which publish it came from: 1 for the first value ever published
    /// in the cell, counting on across writers that take over.
    pub number: u64,
    /// Whether a newer value was being written when it was read.
    pub pending: Pending,
}

/// What a read found beyond its whole value ([`Snapshot::pending`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pending {
    /// No newer value was being written: this is the newest.
    Nothing,
    /// The writer was writing a newer value; a later read may give it.
    Writing,
    /// The writer died in the middle of writing a newer value (its
    /// process is gone and the value's counter was left odd): this value
    /// is the last whole one, and stays the newest until another writer
    /// claims the cell. A reader says so from its second read that meets
    /// the unfinished value (the first says [`Pending::Writing`]: a live
    /// writer is mid-write for a moment at every publish, and asking the
    /// system whether it runs costs a system call).
    WriterDied {
        /// The dead writer's pid (0 when the cell names none).
        pid: u32,
    },
}
