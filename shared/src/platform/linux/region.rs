//! Linux regions: a file `DIR/NAME` (a named region, removed by the last
//! user out) or any file the user names (a persistent region), mapped shared,
//! with the companion and setup files of [`super::object`].

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::files::{self, Create};
use super::object::lifetime::{self, Presence, SetupLock};
use super::object::meta::{Header, Kind, Meta};
use super::object::{self, Attached, MetaState, ObjectFiles, Spec};
use super::settings::{ObjectSettings, Trust, DEFAULT_MODE};
use crate::error::{Failure, ViewError};
use crate::platform::mapping::Mapping;
use crate::platform::request::{Disposition, FileMode, Location, RegionSpec};

/// One process's hold on a region; the last one dropped closes it.
#[derive(Debug)]
pub(crate) struct RegionInner {
    mapping: Mapping,
    meta: Option<Meta>,
    meta_file: Option<File>,
    files: ObjectFiles,
    persistent: bool,
    mode: u32,
    trust: Trust,
    created_new: bool,
    /// Declared last: the mapping is gone before the last user removes the files.
    presence: Option<Arc<Presence>>,
}

impl RegionInner {
    pub(crate) fn from_attached(
        attached: Attached,
        files: ObjectFiles,
        settings: &ObjectSettings,
        writable: bool,
    ) -> Result<RegionInner, Failure> {
        let Attached {
            object,
            header,
            meta,
            presence,
            meta_file,
            created_new,
        } = attached;
        let mapping =
            Mapping::map(&object, header.size, writable).map_err(|e| Failure::io("map", &files.object, e))?;
        Ok(RegionInner {
            mapping,
            meta: Some(meta),
            meta_file: Some(meta_file),
            files,
            persistent: header.persistent,
            mode: settings.mode,
            trust: settings.trust,
            created_new,
            presence,
        })
    }

    pub(crate) fn observed(
        object: &File,
        size: u64,
        meta: Option<(File, Header, Meta)>,
        files: ObjectFiles,
    ) -> Result<RegionInner, Failure> {
        let mapping = Mapping::map(object, size, false).map_err(|e| Failure::io("map", &files.object, e))?;
        let (meta_file, persistent, meta) = match meta {
            Some((file, header, meta)) => (Some(file), header.persistent, Some(meta)),
            None => (None, true, None),
        };
        Ok(RegionInner {
            mapping,
            meta,
            meta_file,
            files,
            persistent,
            mode: DEFAULT_MODE,
            trust: Trust::Owner,
            created_new: false,
            presence: None,
        })
    }

    /// The mapped bytes.
    pub(crate) fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The region's name (a file region's file name).
    pub(crate) fn name(&self) -> &str {
        &self.files.name
    }

    /// The file holding the bytes.
    pub(crate) fn path(&self) -> &Path {
        &self.files.object
    }

    /// The directory of the region and its companion files.
    pub(crate) fn dir(&self) -> &Path {
        &self.files.dir
    }

    /// The demo's mutex beside the region: `<name>mutex`.
    pub(crate) fn mutex_name(&self) -> String {
        crate::platform::mutex_name(&self.files.name)
    }

    /// The mode its files are created with.
    pub(crate) fn mode(&self) -> u32 {
        self.mode
    }

    /// The settings of a mutex beside the region: its directory, the
    /// mode of its files and whose files it accepts.
    pub(crate) fn mutex_settings(&self) -> ObjectSettings {
        ObjectSettings {
            dir: Some(self.files.dir.clone()),
            mode: self.mode,
            trust: self.trust,
            reserve: true,
            dotnet: None,
        }
    }

    /// Whether this open created the region.
    pub(crate) fn created_new(&self) -> bool {
        self.created_new
    }

    /// Whether the region's file stays after the last user leaves.
    pub(crate) fn is_persistent(&self) -> bool {
        self.persistent
    }

    /// Whether this handle is an observer (no presence).
    pub(crate) fn is_observer(&self) -> bool {
        self.presence.is_none()
    }

    /// How many processes use the region (from `/proc/locks`).
    pub(crate) fn attached_processes(&self) -> Option<usize> {
        match &self.meta_file {
            Some(file) => lifetime::attached_processes(file),
            None => Some(0),
        }
    }

    /// What wakes sleepers on the word at `offset`: on Linux nothing beyond
    /// the word (a futex).
    pub(crate) fn word_waker(&self, _offset: u64) -> io::Result<super::WordWaker> {
        Ok(super::WordWaker)
    }

    /// The companion's words and what wakes sleepers on them, for the turn;
    /// an observer has no companion words to write.
    pub(crate) fn turn_parts(&self) -> Result<(&Meta, &super::WordWaker), ViewError> {
        static FUTEX: super::WordWaker = super::WordWaker;
        self.meta
            .as_ref()
            .map(|meta| (meta, &FUTEX))
            .ok_or(ViewError::ReadOnly)
    }
}

/// `create_new`, `open_existing` and `create_or_open` of a named region,
/// after the portable checks.
pub(crate) fn open_named(request: &RegionSpec, how: Disposition) -> Result<RegionInner, Failure> {
    let files = files(request)?;
    let (size, reserve) = (request.size, request.platform.reserve);
    let init = move |file: &File, path: &Path| size_file(file, path, size, reserve);
    let spec = spec(request, &files);
    let attached = spec.open_named(how, &init)?;
    RegionInner::from_attached(attached, files.clone(), request.platform, spec.writable)
}

/// `create_from_file`, after the portable checks.
pub(crate) fn create_from_file(request: &RegionSpec) -> Result<RegionInner, Failure> {
    let Location::File(path) = request.location else {
        return Err(Failure::BadOptions {
            reason: "create_from_file needs RegionOptions::file(path)",
        });
    };
    let files = files(request)?;
    let spec = spec(request, &files);
    let gate = super::on_exit::open_gate();
    let setup = SetupLock::acquire(
        &files.guard,
        request.platform.mode,
        request.platform.trust,
        lifetime::Wait::open(request.deadline()),
    )?;
    let result = FileOpener { request, spec, path }.open();
    match result {
        Ok(attached) => {
            drop(setup);
            // Out of the gate first: a failed mapping drops the presence,
            // whose close enters the gate again.
            drop(gate);
            RegionInner::from_attached(attached, files.clone(), request.platform, spec.writable)
        }
        Err(error) => {
            setup.remove();
            Err(error)
        }
    }
}

/// [`RegionOptionsExt::observe`](crate::os::linux::RegionOptionsExt::observe).
pub(crate) fn observe(request: &RegionSpec) -> Result<RegionInner, Failure> {
    let files = files(request)?;
    let spec = Spec {
        files: &files,
        kind: Kind::Region,
        mode: request.platform.mode,
        writable: false,
        trust: request.platform.trust,
        until: request.deadline(),
        persistent: request.is_file(),
    };
    let require_meta = !request.is_file();
    let (object, meta) = object::observe(&spec, require_meta)?;
    let size = match &meta {
        Some((_, header, _)) => header.size,
        None => object
            .metadata()
            .map_err(|e| Failure::io("inspect", &files.object, e))?
            .len(),
    };
    RegionInner::observed(&object, size, meta, files)
}

fn files(request: &RegionSpec) -> Result<ObjectFiles, Failure> {
    match request.location {
        Location::Named(name) => Ok(ObjectFiles::new(request.platform.dir_or_default(), name)),
        Location::File(path) => {
            let file_name = path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Failure::not_ours(path, "it does not name a file"))?;
            let dir = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
                _ => PathBuf::from("."),
            };
            Ok(ObjectFiles::new(dir, file_name))
        }
    }
}

fn spec<'a>(request: &RegionSpec, files: &'a ObjectFiles) -> Spec<'a> {
    Spec {
        files,
        kind: Kind::Region,
        mode: request.platform.mode,
        writable: request.writable(),
        trust: request.platform.trust,
        until: request.deadline(),
        persistent: request.is_file(),
    }
}

/// Gives a new (or growing) file its size, reserving its blocks when asked;
/// with `reserve`, also fills the holes of an existing file of that size.
fn size_file(file: &File, path: &Path, size: u64, reserve: bool) -> Result<u64, Failure> {
    let result = if reserve {
        crate::platform::sys::reserve(file, size)
    } else {
        file.set_len(size)
    };
    result.map_err(|error| match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            Failure::NoSpace {
                path: path.to_owned(),
                size,
            }
        }
        _ => Failure::io("size", path, error),
    })?;
    Ok(size)
}

/// One `create_from_file`, run under the setup lock.
struct FileOpener<'a> {
    request: &'a RegionSpec<'a>,
    spec: Spec<'a>,
    path: &'a Path,
}

impl FileOpener<'_> {
    fn open(&self) -> Result<Attached, Failure> {
        match self.spec.inspect_meta()? {
            MetaState::Live { file, header } => self.join_live(file, header),
            MetaState::Stale { header } => {
                self.spec.remove_stale(&header);
                self.open_fresh()
            }
            MetaState::Missing => {
                self.spec.files.remove_dead_temporaries();
                self.open_fresh()
            }
        }
    }

    /// Other processes map the file now: join them at their size.
    fn join_live(&self, meta_file: File, header: Header) -> Result<Attached, Failure> {
        match self.request.file_mode {
            FileMode::CreateNew | FileMode::Create => {
                return Err(Failure::AlreadyExists {
                    path: self.path.to_owned(),
                })
            }
            FileMode::Open | FileMode::OpenOrCreate => {}
        }
        let capacity = self.request.size;
        if capacity != 0 && capacity != header.size {
            return Err(Failure::BadSize {
                size: capacity,
                reason: "other processes map this file at another capacity: ask for 0 (theirs) or the same",
            });
        }
        let object = self.spec.open_vouched(&header)?;
        self.spec.join(meta_file, header, object)
    }

    /// Nobody maps the file: open it as the file mode says, size it, and
    /// publish a companion for it.
    fn open_fresh(&self) -> Result<Attached, Failure> {
        let (file, created) = self.open_file()?;
        let path = self.path;
        if let Some(reason) = files::irregular_reason(&file).map_err(|e| Failure::io("inspect", path, e))? {
            return Err(Failure::not_ours(path, reason));
        }
        if self.request.file_mode == FileMode::Create {
            file.set_len(0).map_err(|e| Failure::io("truncate", path, e))?;
        }
        let capacity = self.capacity(&file)?;
        let header = Header::describing(Kind::Region, true, capacity, &file)
            .map_err(|e| Failure::io("inspect", path, e))?;
        let (meta_file, meta) = self.spec.publish_meta(header)?;
        let mut attached = self.spec.created(file, header, meta_file, meta)?;
        attached.created_new = created;
        Ok(attached)
    }

    fn open_file(&self) -> Result<(File, bool), Failure> {
        let path = self.path;
        let how = match self.request.file_mode {
            FileMode::Open => Create::No,
            FileMode::CreateNew => Create::New,
            FileMode::OpenOrCreate | FileMode::Create => Create::IfMissing,
        };
        let (file, created) =
            files::open_reporting(path, how, self.request.platform.mode, self.spec.writable).map_err(
                |error| match error.kind() {
                    io::ErrorKind::NotFound => Failure::NoSuchFile {
                        path: path.to_owned(),
                    },
                    io::ErrorKind::AlreadyExists => Failure::AlreadyExists {
                        path: path.to_owned(),
                    },
                    _ => Failure::classify("open", path, error),
                },
            )?;
        // Before anything is read, written, grown or mapped: a file another
        // user put at the path (perhaps to read what we write) is refused.
        Failure::check_owner(&file, path, self.spec.trust)?;
        Ok((file, created))
    }

    /// The capacity asked for, checked against the file (and the file grown to it).
    fn capacity(&self, file: &File) -> Result<u64, Failure> {
        let path = self.path;
        let len = file
            .metadata()
            .map_err(|e| Failure::io("inspect", path, e))?
            .len();
        let (capacity, grow) = self.request.file_capacity(len)?;
        if grow {
            size_file(file, path, capacity, self.request.platform.reserve)?;
        } else if self.request.platform.reserve && self.spec.writable {
            // An existing file may be sparse: its holes get their blocks now,
            // or the first write into one on a full file system would be a
            // SIGBUS instead of this error. (A read-only open cannot reserve;
            // see docs/reliability.md.)
            size_file(file, path, capacity, true)?;
        }
        Ok(capacity)
    }
}
