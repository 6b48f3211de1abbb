//! What can go wrong with a latest-value cell ([`LatestError`]), and how
//! the errors read.

use std::fmt;

use super::layout::CELL_VERSION;
use crate::error::ViewError;

/// A latest-value cell could not be opened, claimed or read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LatestError {
    /// The cell does not fit in the region at that offset, or the offset is
    /// not a multiple of 8 ([`ViewError::OutsideView`],
    /// [`ViewError::Misaligned`]), or a writer was asked for on a read-only
    /// region ([`ViewError::ReadOnly`]).
    Place(ViewError),
    /// The bytes at the offset are not a cell: its first word is neither 0
    /// (a cell no writer has set up yet) nor the cell's magic.
    NotACell {
        /// The cell's offset in the region.
        offset: u64,
        /// The first word found there.
        found: u64,
    },
    /// The cell was set up by another version of this library.
    OtherVersion {
        /// The version its header gives.
        found: u32,
    },
    /// The cell holds values of another type: their size or alignment
    /// differ from this end's `T`.
    TypeMismatch {
        /// The value size the cell's header gives, in bytes.
        cell_size: u32,
        /// The value alignment the cell's header gives, in bytes.
        cell_align: u32,
        /// This end's value size (`size_of::<T>()`).
        size: u32,
        /// This end's value alignment (`align_of::<T>()`).
        align: u32,
    },
    /// Another live process is the cell's writer: a cell has one writer at
    /// a time (a dead writer's claim is taken over).
    WriterTaken {
        /// The writer's pid.
        pid: u32,
    },
    /// No value has been published in the cell yet (or the first one is
    /// being written).
    Empty,
    /// The cell's sequence counters are impossible: something other than a
    /// cell's writer wrote over them.
    Corrupt {
        /// The counter of slot 0.
        slot0: u64,
        /// The counter of slot 1.
        slot1: u64,
    },
}

impl fmt::Display for LatestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LatestError::Place(ViewError::ReadOnly) => write!(
                f,
                "a cell's writer stores into the region, which is read-only here: open it with Access::ReadWrite"
            ),
            LatestError::Place(e) => write!(f, "the latest-value cell does not fit there: {e}"),
            LatestError::NotACell { offset, found } => write!(
                f,
                "the bytes at offset {offset} hold no latest-value cell (first word {found:#018x}): \
                 point readers and the writer at the offset the writer uses, on zeroed bytes"
            ),
            LatestError::OtherVersion { found } => write!(
                f,
                "the cell was set up with layout version {found}, and this library reads version \
                 {CELL_VERSION}: build the writer and the readers with the same version of shared"
            ),
            LatestError::TypeMismatch {
                cell_size,
                cell_align,
                size,
                align,
            } => write!(
                f,
                "the cell holds values of {cell_size} bytes aligned to {cell_align}, but this end's \
                 type has {size} bytes aligned to {align}: the writer and the readers must use the same type"
            ),
            LatestError::WriterTaken { pid } => write!(
                f,
                "the cell already has a writer (pid {pid}, alive); a cell has one writer at a time: \
                 stop that one, or publish through it"
            ),
            LatestError::Empty => write!(
                f,
                "no value has been published in the cell yet: read again once the writer has published"
            ),
            LatestError::Corrupt { slot0, slot1 } => write!(
                f,
                "the cell's sequence counters ({slot0}, {slot1}) are impossible: something other \
                 than its writer wrote over the cell"
            ),
        }
    }
}

impl std::error::Error for LatestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LatestError::Place(e) => Some(e),
            _ => None,
        }
    }
}
