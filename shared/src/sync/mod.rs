//! Synchronisation between processes: the named mutex ([`NamedMutex`], .NET
//! `System.Threading.Mutex`), turn-taking ([`Turn`]), and sleeping on a word
//! of shared memory ([`wait_while_equal`] / [`wake_all`]).

mod cpu_hints;
mod mutex;
mod notifier;
mod turn;
mod wake;

pub(crate) use mutex::Taken;
pub use mutex::{Acquired, CreatedMutex, MutexGuard, MutexOptions, NamedMutex};
pub use notifier::Notifier;
pub use turn::{Turn, MAILBOX_LEN};
pub use wake::{wait_while_equal, wake_all};

pub(crate) use wake::spin_until_changed_every;
pub(crate) use wake::Until;
