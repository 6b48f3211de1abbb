//! Synchronisation between processes: the named mutex ([`NamedMutex`], .NET
//! `System.Threading.Mutex`), turn-taking ([`Turn`]), and sleeping on a word
//! of shared memory until another process changes it ([`Notifier`], from
//! [`Region::notifier`](crate::Region::notifier)).

mod cpu_hints;
mod mutex;
mod notifier;
mod turn;

pub use mutex::{Acquired, CreatedMutex, MutexGuard, MutexOptions, NamedMutex};
pub use notifier::Notifier;
pub use turn::{Turn, MAILBOX_LEN};
