//! Synchronisation between processes: the named mutex ([`NamedMutex`], .NET
//! `System.Threading.Mutex`), turn-taking ([`Turn`]), and sleeping on a word
//! of shared memory ([`wait_while_equal`] / [`wake_all`]).

#[cfg(target_os = "linux")]
mod cpu_hints;
mod mutex;
mod notifier;
// Turns use the Linux companion's words; Windows has none yet.
#[cfg(target_os = "linux")]
mod turn;
mod wake;

pub use mutex::{Acquired, CreatedMutex, MutexGuard, MutexOptions, NamedMutex};
pub use notifier::Notifier;
#[cfg(target_os = "linux")]
pub use turn::{Turn, MAILBOX_LEN};
pub use wake::{wait_while_equal, wake_all};

pub(crate) use wake::Until;
#[cfg(target_os = "linux")]
pub(crate) use wake::{sleep_while_equal, spin_until_changed_every};
