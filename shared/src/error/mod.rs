//! The library's errors, each message saying what went wrong and what to do
//! about it: [`ObjectError`] for creating, opening and locking named objects
//! (regions and mutexes alike, with the [`Object`] it was about and the
//! [`Failure`], and for a file of another user the [`Refusal`]),
//! [`ViewError`] for accesses through a view.

mod object;
mod view;

pub use object::{Failure, Object, ObjectError, Refusal};
pub use view::ViewError;
