//! Named objects (regions and mutexes) as files in a directory: the object
//! file itself, its companion `.NAME.meta` (see [`meta`]) and its setup file
//! `.NAME.guard` (see [`lifetime`]). Everything here runs under the setup lock
//! except [`observe`], which never locks, registers or removes anything.
//! What is still open when the process leaves is closed by
//! [`on_exit`](crate::platform::on_exit); who holds a lock is read by
//! [`proc_locks`](crate::platform::proc_locks).

pub(crate) mod lifetime;
pub(crate) mod listing;
pub(crate) mod meta;

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::error::Failure;
use crate::platform::files::{self, Create};
use crate::platform::ownership::{self, Trust};
use crate::platform::wait::Deadline;
use lifetime::Presence;
use meta::{Header, Kind, Meta, META_LEN};

/// The mode of the library's own files (companion, setup file, a mutex's
/// lock file) for an object created with `mode`: never any permission for
/// other users, since whoever can open them can lock them.
pub(crate) fn companion_mode(mode: u32) -> u32 {
    mode & 0o660
}

/// The files of one named object, all in one directory.
#[derive(Debug, Clone)]
pub(crate) struct ObjectFiles {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    /// The object: a region's bytes, or a mutex's lock file.
    pub(crate) object: PathBuf,
    /// The companion file (identity, presence, shared words).
    pub(crate) meta: PathBuf,
    /// The setup lock file.
    pub(crate) guard: PathBuf,
}

impl ObjectFiles {
    pub(crate) fn new(dir: PathBuf, name: &str) -> Self {
        ObjectFiles {
            object: dir.join(name),
            meta: dir.join(format!(".{name}.meta")),
            guard: dir.join(format!(".{name}.guard")),
            name: name.to_owned(),
            dir,
        }
    }

    /// A fresh private path to build a file under before it gets its name;
    /// unpredictable, so that nobody can occupy it in advance.
    fn temp_path(&self, what: &str) -> PathBuf {
        use std::hash::BuildHasher;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // RandomState is seeded from the system's random source.
        let random =
            std::collections::hash_map::RandomState::new().hash_one((n, std::time::SystemTime::now()));
        let pid = std::process::id();
        self.dir
            .join(format!(".{}.{what}-{pid}-{random:016x}", self.name))
    }

    /// The refusal of an object file that no companion vouches for. It may
    /// be another program's file, or ours: users of an object whose
    /// companion someone deleted keep using it, and the last of them
    /// removes it, but nobody can join it meanwhile.
    fn unvouched(&self) -> Failure {
        Failure::not_ours(
            &self.object,
            format_args!(
                "no companion {} vouches for it: it is another program's file, or one whose companion was deleted while processes used it (the last of them removes it); if no process uses it, remove it",
                self.meta.display()
            ),
        )
    }

    /// The temporaries of this name in its directory ([`ObjectFiles::temp_path`]'s
    /// `.NAME.init-PID-HEX` and `.NAME.meta-PID-HEX`), with their creators' pids.
    fn temporaries(&self) -> Vec<(PathBuf, u32)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file_name = entry.file_name();
                let pid = temporary_creator(file_name.to_str()?, &self.name)?;
                Some((entry.path(), pid))
            })
            .collect()
    }

    /// Removes what creators of this object that died in the middle of a
    /// create left: their temporaries. Call only under the setup lock: a
    /// living creator builds its temporaries under that lock and removes
    /// them before releasing it, so any temporary seen here is a dead
    /// process's. Its pid is checked as well, and only this user's files
    /// are removed (a name, never what it links to).
    pub(crate) fn remove_dead_temporaries(&self) {
        let me = crate::platform::sys::effective_uid();
        for (path, pid) in self.temporaries() {
            let ours = std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.uid() == me);
            if ours && !crate::platform::sys::pid_alive(pid) {
                files::remove_if_exists(&path);
            }
        }
    }
}

/// The pid in `file_name` when it is one of [`ObjectFiles::temp_path`]'s
/// temporaries of the object `name`: `.NAME.init-PID-HEX` or
/// `.NAME.meta-PID-HEX` with 16 hexadecimal digits. Names may not start
/// with `.`, so no other object's file has this shape.
fn temporary_creator(file_name: &str, name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_prefix(name)?;
    let rest = rest
        .strip_prefix(".init-")
        .or_else(|| rest.strip_prefix(".meta-"))?;
    let (pid, random) = rest.split_once('-')?;
    let digits = |text: &str, radix: u32| !text.is_empty() && text.chars().all(|c| c.is_digit(radix));
    (digits(pid, 10) && random.len() == 16 && digits(random, 16) && !random.contains(char::is_uppercase))
        .then(|| pid.parse().ok())
        .flatten()
}

/// The checks every open makes on the files it finds.
impl Failure {
    /// Refuses a file of ours (a companion, a setup file, a named object)
    /// that has a second name: someone else made it, to have us lock or
    /// write a file they chose.
    pub(crate) fn check_single_name(file: &File, path: &Path) -> Result<(), Failure> {
        match files::extra_links_reason(file).map_err(|e| Self::io("inspect", path, e))? {
            Some(reason) => Err(Self::not_ours(path, reason)),
            None => Ok(()),
        }
    }

    /// Refuses `file` unless its owner is trusted (checked before anything
    /// is read from it or locked on it).
    pub(crate) fn check_owner(file: &File, path: &Path, trust: Trust) -> Result<(), Failure> {
        match ownership::check(file, trust).map_err(|e| Self::io("inspect", path, e))? {
            Ok(()) => Ok(()),
            Err(stranger) => Err(Failure::NotYours {
                path: path.to_owned(),
                uid: stranger.uid,
                message: ownership::refusal(path, &stranger),
            }),
        }
    }

    /// An open that failed: "not ours" (a link, a directory), another user's
    /// file we may not open (named, with its owner), or a real I/O error.
    pub(crate) fn classify(action: &'static str, path: &Path, error: io::Error) -> Self {
        if let Some(reason) = files::foreign_reason(&error) {
            return Self::not_ours(path, reason);
        }
        if error.kind() == io::ErrorKind::PermissionDenied {
            if let Some(stranger) = Self::owned_by_someone_else(path) {
                return stranger;
            }
        }
        Self::io(action, path, error)
    }

    /// `NotYours` when something at `path` belongs to another user (looked
    /// at without opening or following it).
    pub(crate) fn owned_by_someone_else(path: &Path) -> Option<Self> {
        let uid = std::fs::symlink_metadata(path).ok()?.uid();
        (uid != crate::platform::sys::effective_uid()).then(|| Failure::NotYours {
            path: path.to_owned(),
            uid,
            message: ownership::refusal(path, &ownership::Stranger { uid, why: "" }),
        })
    }
}

pub(crate) use crate::platform::request::Disposition;

/// An object this process now uses.
#[derive(Debug)]
pub(crate) struct Attached {
    /// The object file, open for reading (and writing unless read-only).
    pub(crate) object: File,
    pub(crate) header: Header,
    pub(crate) meta: Meta,
    /// `None` for an observer.
    pub(crate) presence: Option<Arc<Presence>>,
    /// The companion file, for counting users.
    pub(crate) meta_file: File,
    pub(crate) created_new: bool,
}

/// What one open asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec<'a> {
    pub(crate) files: &'a ObjectFiles,
    pub(crate) kind: Kind,
    pub(crate) mode: u32,
    pub(crate) writable: bool,
    /// Whose files to accept.
    pub(crate) trust: Trust,
    /// Whether the object is a file the user named (kept after the last
    /// user), as opposed to a named object the library created.
    pub(crate) persistent: bool,
    /// When to give up waiting for a lock.
    pub(crate) until: Deadline,
}

/// The state of an object's companion, looked at under the setup lock.
pub(crate) enum MetaState {
    /// No companion file.
    Missing,
    /// A companion with live users.
    Live { file: File, header: Header },
    /// A companion whose users all exited or died.
    Stale { header: Header },
}

impl Spec<'_> {
    /// What closing needs to know: the mode and trust for the setup file.
    fn spec_for_close(&self) -> lifetime::CloseSpec {
        lifetime::CloseSpec {
            mode: self.mode,
            trust: self.trust,
        }
    }

    /// Opens and checks the companion file; `Failure::NotOurs` when something that is
    /// not one of our companions is at its path.
    pub(crate) fn inspect_meta(&self) -> Result<MetaState, Failure> {
        let path = &self.files.meta;
        let file = match files::open(path, Create::No, self.mode, self.writable) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(MetaState::Missing),
            Err(error) => return Err(Failure::classify("open", path, error)),
        };
        Failure::check_owner(&file, path, self.trust)?;
        self.check_single_name(&file, path)?;
        let header = self.check_meta(&file)?;
        if lifetime::in_use(&file, path)? {
            Ok(MetaState::Live { file, header })
        } else {
            Ok(MetaState::Stale { header })
        }
    }

    /// [`Failure::check_single_name`], under the setup lock: a second name
    /// may be the temporary of a creator killed between linking a file into
    /// place and removing its temporary name, which the dead creator's
    /// temporaries going ([`ObjectFiles::remove_dead_temporaries`]) takes away.
    fn check_single_name(&self, file: &File, path: &Path) -> Result<(), Failure> {
        if Failure::check_single_name(file, path).is_err() {
            self.files.remove_dead_temporaries();
        }
        Failure::check_single_name(file, path)
    }

    fn check_meta(&self, file: &File) -> Result<Header, Failure> {
        let path = &self.files.meta;
        if let Some(reason) = files::irregular_reason(file).map_err(|e| Failure::io("inspect", path, e))? {
            return Err(Failure::not_ours(path, reason));
        }
        let header = meta::read_header(file, self.kind)
            .map_err(|e| Failure::io("read", path, e))?
            .map_err(|reason| Failure::not_ours(path, reason))?;
        // Whether the object is kept is the caller's to say, never the
        // companion's: a crafted companion must not make us remove a file.
        if header.persistent != self.persistent {
            return Err(Failure::not_ours(
                path,
                if self.persistent {
                    "it describes a named region, not a region over a file"
                } else {
                    "it describes a region over a file, not a named region"
                },
            ));
        }
        Ok(header)
    }

    /// Removes what dead users left: the companion, and the object file when
    /// it is the one the companion vouched for and not a persistent file.
    pub(crate) fn remove_stale(&self, header: &Header) {
        if !header.persistent && lifetime::names_object(&self.files.object, header) {
            files::remove_if_exists(&self.files.object);
        }
        files::remove_if_exists(&self.files.meta);
        self.files.remove_dead_temporaries();
    }

    /// Opens the object file a live (or just checked) companion vouches for.
    pub(crate) fn open_vouched(&self, header: &Header) -> Result<File, Failure> {
        let path = &self.files.object;
        let object = files::open(path, Create::No, self.mode, self.writable).map_err(|error| {
            if error.kind() == io::ErrorKind::NotFound {
                // The companion is live: its users still have the object.
                Failure::Removed { path: path.clone() }
            } else {
                Failure::classify("open", path, error)
            }
        })?;
        Failure::check_owner(&object, path, self.trust)?;
        if !self.persistent {
            self.check_single_name(&object, path)?;
        }
        if !header.vouches_for(&object) {
            return Err(Failure::not_ours(
                path,
                "it is not the file its companion .meta vouches for (replaced by someone else?)",
            ));
        }
        check_length(&object, path, header)?;
        Ok(object)
    }

    /// Joins a live object as one more user.
    pub(crate) fn join(&self, meta_file: File, header: Header, object: File) -> Result<Attached, Failure> {
        lifetime::attach(&meta_file, &self.files.meta, self.until)?;
        let meta =
            Meta::map(&meta_file, self.writable).map_err(|e| Failure::io("map", &self.files.meta, e))?;
        self.register(object, header, meta_file, meta, false)
    }

    /// Writes a companion for `object` under a private name, takes the
    /// presence lock on it, and links it into place.
    pub(crate) fn publish_meta(&self, header: Header) -> Result<(File, Meta), Failure> {
        let (file, temp) = self.create_temp("meta", companion_mode(self.mode))?;
        let result = self.write_meta(file, &temp, header);
        files::remove_if_exists(&temp);
        result
    }

    /// Creates a private file to build an object or companion in; only a
    /// file this call created is ever removed afterwards.
    fn create_temp(&self, what: &str, mode: u32) -> Result<(File, PathBuf), Failure> {
        let mut tries = 0;
        loop {
            let temp = self.files.temp_path(what);
            match files::open(&temp, Create::New, mode, true) {
                Ok(file) => return Ok((file, temp)),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && tries < 8 => tries += 1,
                Err(error) => return Err(Failure::classify("create", &temp, error)),
            }
        }
    }

    fn write_meta(&self, file: File, temp: &Path, header: Header) -> Result<(File, Meta), Failure> {
        // Reserved, since its words are written through a mapping: no room
        // for it is no room for the object, said as such (its temporary name
        // means nothing to the caller).
        let no_space = |error: io::Error| match error.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Failure::NoSpace {
                path: self.files.object.clone(),
                // A mutex (size 0) is its companion.
                size: header.size.max(META_LEN),
            },
            _ => Failure::io("write", temp, error),
        };
        crate::platform::sys::reserve(&file, META_LEN).map_err(no_space)?;
        std::os::unix::fs::FileExt::write_all_at(&file, &header.encode(), 0).map_err(no_space)?;
        // Mapped as this open may use it: a read-only user cannot pass turns.
        let meta = Meta::map(&file, self.writable).map_err(|e| Failure::io("map", temp, e))?;
        lifetime::attach(&file, temp, self.until)?;
        std::fs::hard_link(temp, &self.files.meta).map_err(|error| match error.kind() {
            io::ErrorKind::AlreadyExists => {
                Failure::not_ours(&self.files.meta, "another program created a file there meanwhile")
            }
            _ => Failure::io("create", &self.files.meta, error),
        })?;
        Ok((file, meta))
    }

    /// Registers this process as the first user of an object just published.
    pub(crate) fn created(
        &self,
        object: File,
        header: Header,
        meta_file: File,
        meta: Meta,
    ) -> Result<Attached, Failure> {
        self.register(object, header, meta_file, meta, true)
    }

    /// Records this process as a user (its presence lock is already held on
    /// `meta_file`), so that closing, or a signal, detaches it.
    fn register(
        &self,
        object: File,
        header: Header,
        meta_file: File,
        meta: Meta,
        created_new: bool,
    ) -> Result<Attached, Failure> {
        let presence_file = meta_file
            .try_clone()
            .map_err(|e| Failure::io("open", &self.files.meta, e))?;
        let presence = Presence::register(presence_file, self.files.clone(), header, self.spec_for_close());
        Ok(Attached {
            object,
            header,
            meta,
            presence: Some(presence),
            meta_file,
            created_new,
        })
    }

    /// Opens a named object: joins it when live users have it; otherwise
    /// (never created, or every user died) creates it afresh with `init`,
    /// which sizes the new object file and returns its size.
    pub(crate) fn open_named(
        &self,
        how: Disposition,
        init: &dyn Fn(&File, &Path) -> Result<u64, Failure>,
    ) -> Result<Attached, Failure> {
        let (attached, setup) = self.open_named_locked_setup(how, init)?;
        drop(setup);
        Ok(attached)
    }

    /// [`Spec::open_named`], returning the setup lock still held, for work
    /// that must happen before anyone else can open the object. Drop the lock
    /// before the [`Attached`]: closing takes the setup lock too.
    pub(crate) fn open_named_locked_setup(
        &self,
        how: Disposition,
        init: &dyn Fn(&File, &Path) -> Result<u64, Failure>,
    ) -> Result<(Attached, lifetime::SetupLock), Failure> {
        let _gate = crate::platform::on_exit::open_gate();
        let setup = lifetime::SetupLock::acquire(
            &self.files.guard,
            self.mode,
            self.trust,
            lifetime::Wait::open(self.until),
        )?;
        match self.open_named_locked(how, init) {
            Ok(attached) => Ok((attached, setup)),
            Err(error) => {
                // Nothing of ours was opened. Removing the setup file is always
                // safe (a process waiting on it notices and starts again), and
                // it keeps a failed attempt from leaving anything behind.
                setup.remove();
                Err(error)
            }
        }
    }

    fn open_named_locked(
        &self,
        how: Disposition,
        init: &dyn Fn(&File, &Path) -> Result<u64, Failure>,
    ) -> Result<Attached, Failure> {
        match self.inspect_meta()? {
            MetaState::Live { file, header } => {
                if how == Disposition::CreateNew {
                    return Err(Failure::AlreadyExists {
                        path: self.files.object.clone(),
                    });
                }
                let object = self.open_vouched(&header)?;
                self.join(file, header, object)
            }
            MetaState::Stale { header } => {
                self.remove_stale(&header);
                self.create_missing(how, init)
            }
            MetaState::Missing => self.create_missing(how, init),
        }
    }

    fn create_missing(
        &self,
        how: Disposition,
        init: &dyn Fn(&File, &Path) -> Result<u64, Failure>,
    ) -> Result<Attached, Failure> {
        let path = &self.files.object;
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(Failure::owned_by_someone_else(path).unwrap_or_else(|| self.files.unvouched()));
        }
        if how == Disposition::OpenExisting {
            return Err(Failure::NotFound { path: path.clone() });
        }
        self.files.remove_dead_temporaries();
        let (object, temp) = self.create_temp("init", self.mode)?;
        let result = self.create_fresh(object, &temp, init);
        files::remove_if_exists(&temp);
        result
    }

    /// Builds the object under a private name, publishes its companion, then
    /// links the object into place: the object's path only ever names a
    /// complete object that a companion vouches for.
    fn create_fresh(
        &self,
        object: File,
        temp: &Path,
        init: &dyn Fn(&File, &Path) -> Result<u64, Failure>,
    ) -> Result<Attached, Failure> {
        let size = init(&object, &self.files.object)?;
        let header = Header::describing(self.kind, false, size, &object)
            .map_err(|e| Failure::io("inspect", temp, e))?;
        let (meta_file, meta) = self.publish_meta(header)?;
        if let Err(error) = std::fs::hard_link(temp, &self.files.object) {
            files::remove_if_exists(&self.files.meta);
            return Err(match error.kind() {
                io::ErrorKind::AlreadyExists => Failure::not_ours(
                    &self.files.object,
                    "another program created a file there meanwhile",
                ),
                _ => Failure::io("create", &self.files.object, error),
            });
        }
        let object = if self.writable {
            object
        } else {
            files::open(temp, Create::No, self.mode, false).map_err(|e| Failure::io("open", temp, e))?
        };
        self.created(object, header, meta_file, meta)
    }
}

/// Refuses an object file shorter than its companion says: mapping it would
/// make every access past its end a `SIGBUS`.
fn check_length(object: &File, path: &Path, header: &Header) -> Result<(), Failure> {
    let len = object
        .metadata()
        .map_err(|e| Failure::io("inspect", path, e))?
        .len();
    if len < header.size {
        return Err(Failure::not_ours(
            path,
            format!(
                "it has {len} bytes but its companion says {} (shrunk by someone else?)",
                header.size
            ),
        ));
    }
    Ok(())
}

/// An observed object's companion: the open file, its header, its mapping.
pub(crate) type Observed = (File, Header, Meta);

/// Opens an object as an observer: read-only, with no lock, no presence and
/// no clean-up, whether or not its users are alive. `require_meta` says whether
/// a missing companion makes the file foreign (named objects) or not (a
/// persistent file the caller named).
pub(crate) fn observe(spec: &Spec<'_>, require_meta: bool) -> Result<(File, Option<Observed>), Failure> {
    let path = &spec.files.object;
    let meta = match files::open(&spec.files.meta, Create::No, spec.mode, false) {
        Ok(file) => {
            Failure::check_owner(&file, &spec.files.meta, spec.trust)?;
            Failure::check_single_name(&file, &spec.files.meta)?;
            let header = spec.check_meta(&file)?;
            let meta = Meta::map(&file, false).map_err(|e| Failure::io("map", &spec.files.meta, e))?;
            Some((file, header, meta))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(Failure::classify("open", &spec.files.meta, error)),
    };
    let object = match files::open(path, Create::No, spec.mode, false) {
        Ok(object) => object,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(Failure::NotFound { path: path.clone() })
        }
        Err(error) => return Err(Failure::classify("open", path, error)),
    };
    if require_meta {
        Failure::check_owner(&object, path, spec.trust)?;
        Failure::check_single_name(&object, path)?;
    }
    match &meta {
        Some((_, header, _)) if !header.vouches_for(&object) => Err(Failure::not_ours(
            path,
            "it is not the file its companion .meta vouches for",
        )),
        Some((_, header, _)) => {
            check_length(&object, path, header)?;
            Ok((object, meta))
        }
        None if require_meta => Err(spec.files.unvouched()),
        _ => Ok((object, meta)),
    }
}

#[cfg(test)]
mod tests {
    use super::temporary_creator;

    #[test]
    fn only_the_temporaries_of_the_name_itself_are_recognised() {
        assert_eq!(
            temporary_creator(".foo.init-12-0123456789abcdef", "foo"),
            Some(12)
        );
        assert_eq!(temporary_creator(".foo.meta-7-fedcba9876543210", "foo"), Some(7));
        for other in [
            "foo",
            ".foo.meta",
            ".foo.guard",
            ".foo.init-12-0123456789abcde",
            ".foo.init-12-0123456789abcdef0",
            ".foo.init-12-0123456789ABCDEF",
            ".foo.init--0123456789abcdef",
            ".foo.init-x-0123456789abcdef",
            ".foo.init-12-0123456789abcdef.meta",
            ".foo.init-12-0123456789abcdef.init-3-0123456789abcdef",
            ".foobar.init-12-0123456789abcdef",
            ".foo.other-12-0123456789abcdef",
        ] {
            assert_eq!(temporary_creator(other, "foo"), None, "{other}");
        }
    }
}
