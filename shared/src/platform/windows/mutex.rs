//! Windows named mutexes: the kernel's own (`CreateMutexW`, `OpenMutexW`),
//! the very objects `new Mutex(true, name, out created)` and
//! `Mutex.OpenExisting(name)` use in .NET. The kernel reports a holder that
//! died holding one as `WAIT_ABANDONED` (but not who it was).

use std::hash::{Hash, Hasher};
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE, WAIT_ABANDONED,
    WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Storage::FileSystem::SYNCHRONIZE;
use windows_sys::Win32::System::Threading::{
    CreateMutexW, OpenMutexW, ReleaseMutex, WaitForSingleObject, INFINITE, MUTEX_MODIFY_STATE,
};

use super::handle::{last_error, os_error, owned, wide};
use super::ObjectSettings;
use crate::error::Failure;
use crate::platform::request::{Disposition, MutexSpec};
use crate::platform::taken::Taken;
use crate::platform::wait::Deadline;

/// Which mutex this is: a hash of its kernel name (two handles of one
/// process to the same name are one mutex).
pub(crate) type MutexId = (u64, u64);

/// One process's handle to a named mutex.
#[derive(Debug)]
pub(crate) struct MutexInner {
    handle: OwnedHandle,
    name: String,
    path: PathBuf,
    id: MutexId,
}

/// The ownership of the mutex while it is held: the owning thread's, which
/// alone may release it (the portable guard is not `Send`).
#[derive(Debug)]
pub(crate) struct MutexLock {
    _private: (),
}

impl Taken {
    fn new(abandoned: bool) -> Self {
        Taken {
            lock: MutexLock { _private: () },
            abandoned,
            dead_holder: None,
        }
    }
}

impl MutexInner {
    /// `new Mutex(initially_owned, name, out created)` (`CreateMutexW`) or
    /// `Mutex.OpenExisting(name)` (`OpenMutexW`). With `initially_owned`, a
    /// mutex this call creates is owned by the calling thread from the
    /// start; an existing one is only opened (the kernel ignores the flag).
    pub(crate) fn open(
        request: &MutexSpec,
        how: Disposition,
        initially_owned: bool,
    ) -> Result<(Arc<MutexInner>, bool, Option<Taken>), Failure> {
        // A kernel mutex has no settings of the platform's (no directory,
        // file mode or owner check): its security is the kernel's default.
        let ObjectSettings {} = request.platform;
        let name = request.name;
        let wide_name = wide(name);
        let (handle, created_new) = match how {
            Disposition::OpenExisting => (open_existing(name, &wide_name)?, false),
            Disposition::CreateNew | Disposition::CreateOrOpen => {
                // SAFETY: null security attributes mean the default;
                // `wide_name` is NUL-terminated.
                let handle =
                    unsafe { CreateMutexW(std::ptr::null(), i32::from(initially_owned), wide_name.as_ptr()) };
                let error = last_error();
                match owned(handle) {
                    Some(handle) => (handle, error != ERROR_ALREADY_EXISTS),
                    // As .NET: another user's mutex (a service's `Global\`
                    // one) may be opened with less than all access.
                    None if error == ERROR_ACCESS_DENIED && how == Disposition::CreateOrOpen => {
                        // Not there either: creating it is what was refused.
                        let handle = match open_existing(name, &wide_name) {
                            Err(Failure::NotFound { .. }) => {
                                return Err(open_error(name, ERROR_ACCESS_DENIED))
                            }
                            opened => opened?,
                        };
                        (handle, false)
                    }
                    None => return Err(open_error(name, error)),
                }
            }
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        name.hash(&mut hasher);
        let inner = Arc::new(MutexInner {
            handle,
            name: name.to_owned(),
            path: PathBuf::from(name),
            id: (hasher.finish(), 0),
        });
        let taken = (initially_owned && created_new).then(|| Taken::new(false));
        Ok((inner, created_new, taken))
    }

    /// The mutex name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The kernel object's name, as a path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Which mutex this is.
    pub(crate) fn id(&self) -> MutexId {
        self.id
    }

    /// The kernel does not say who holds a mutex.
    pub(crate) fn holder_pid(&self) -> Option<u32> {
        None
    }

    /// Takes the mutex if it is free (`WaitOne(0)`).
    pub(crate) fn try_lock(&self) -> Result<Option<Taken>, Failure> {
        self.wait_for(0)
    }

    /// Waits at most `timeout` for the mutex, asleep in the kernel.
    pub(crate) fn lock_within(&self, timeout: Duration) -> Result<Option<Taken>, Failure> {
        let until = Deadline::after(timeout);
        loop {
            // Below INFINITE: a longer wait is made of several.
            let millis = until.left().as_millis().min(u128::from(INFINITE - 1)) as u32;
            if let Some(taken) = self.wait_for(millis)? {
                return Ok(Some(taken));
            }
            if until.passed() {
                return Ok(None);
            }
        }
    }

    fn wait_for(&self, millis: u32) -> Result<Option<Taken>, Failure> {
        // SAFETY: the handle is a live mutex handle with SYNCHRONIZE access.
        let result = unsafe { WaitForSingleObject(self.handle.as_raw_handle(), millis) };
        match result {
            WAIT_OBJECT_0 => Ok(Some(Taken::new(false))),
            WAIT_ABANDONED => Ok(Some(Taken::new(true))),
            WAIT_TIMEOUT => Ok(None),
            WAIT_FAILED => Err(Failure::lock(&self.name, os_error(last_error()))),
            other => Err(Failure::lock(
                &self.name,
                format!("WaitForSingleObject returned {other:#x}"),
            )),
        }
    }

    /// `ReleaseMutex`, on the thread that owns the mutex (the portable guard
    /// is not `Send`, so it is dropped there).
    pub(crate) fn release(&self, _ownership: MutexLock) {
        // SAFETY: the handle is a live mutex handle with MUTEX_MODIFY_STATE
        // access, owned by the calling thread. A failure (not the owner)
        // changes nothing, and a guard's drop has no one to report it to.
        unsafe {
            ReleaseMutex(self.handle.as_raw_handle());
        }
    }
}

/// `OpenMutexW` with the access waiting and releasing need.
fn open_existing(name: &str, wide_name: &[u16]) -> Result<OwnedHandle, Failure> {
    // SAFETY: `wide_name` is NUL-terminated; the call returns a new handle or
    // null.
    let handle = unsafe { OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, 0, wide_name.as_ptr()) };
    owned(handle).ok_or_else(|| open_error(name, last_error()))
}

/// What a Win32 error on creating or opening a named mutex means here.
fn open_error(name: &str, code: u32) -> Failure {
    match code {
        ERROR_FILE_NOT_FOUND => Failure::NotFound {
            path: PathBuf::from(name),
        },
        // The name belongs to an object of another kind (a section, an event).
        ERROR_INVALID_HANDLE => Failure::NotOurs {
            path: PathBuf::from(name),
            reason: "a kernel object of another kind (not a mutex) has this name".to_owned(),
        },
        ERROR_ACCESS_DENIED => Failure::PermissionDenied {
            path: PathBuf::from(name),
        },
        code => Failure::lock(name, os_error(code)),
    }
}
