//! The library's errors, each message saying what went wrong and what to do
//! about it: [`ObjectError`] for creating, opening and locking named objects
//! (regions and mutexes alike, with the [`Object`] it was about and the
//! [`Failure`]), [`ViewError`] for accesses through a view.

mod object;
mod view;

pub use object::{Failure, Object, ObjectError};
pub use view::ViewError;
