//! How the inspector looks at a region on each platform. On Linux it is an
//! observer (`RegionOptionsExt::observe`): it never joins, and also shows a
//! region whose users died; the region and its mutex are files it can list.
//! On Windows a read-only open is the closest there is: its handle keeps the
//! section alive while it looks, as every handle does, and the mutex is a
//! kernel object it can only look up by name.

use std::fmt::{self, Write as _};
use std::path::Path;

use shared::{ObjectError, Region, RegionName, RegionOptions};

/// The region `--name` (in `--dir` on Linux) or `--file` names.
pub(crate) fn options(name: &RegionName, dir: Option<&Path>, file: Option<&Path>) -> RegionOptions {
    match (file, dir) {
        (Some(file), _) => RegionOptions::file(file),
        (None, Some(dir)) => in_dir(RegionOptions::named(name), dir),
        (None, None) => RegionOptions::named(name),
    }
}

#[cfg(target_os = "linux")]
fn in_dir(options: RegionOptions, dir: &Path) -> RegionOptions {
    use shared::os::linux::RegionOptionsExt;
    options.dir(dir)
}

/// A named region is no file on Windows: `--dir` means nothing there.
#[cfg(windows)]
fn in_dir(options: RegionOptions, _dir: &Path) -> RegionOptions {
    options
}

/// Maps the region read-only without taking anything.
#[cfg(target_os = "linux")]
pub(crate) fn look(options: &RegionOptions) -> Result<Region, ObjectError> {
    use shared::os::linux::RegionOptionsExt;
    options.observe()
}

/// Opens the region read-only: a named section by name, or the file at its size.
#[cfg(windows)]
pub(crate) fn look(options: &RegionOptions) -> Result<Region, ObjectError> {
    let read_only = options.clone().access(shared::Access::Read);
    if options.is_file() {
        read_only
            .file_mode(shared::FileMode::Open)
            .size(0)
            .create_from_file()
    } else {
        read_only.open_existing()
    }
}

/// The one region in the demo's own directory, whatever name the person typed.
#[cfg(target_os = "linux")]
pub(crate) fn only_region_in(dir: &Path) -> Option<Region> {
    use shared::os::linux::RegionOptionsExt;
    let entries = std::fs::read_dir(dir).ok()?;
    let mut regions = entries.filter_map(|entry| {
        let file = entry.ok()?.file_name();
        let name = file.to_str()?.strip_prefix('.')?.strip_suffix(".meta")?;
        let name = RegionName::new(name).ok()?;
        // A mutex's companion is not a region's: observing it fails.
        RegionOptions::named(&name).dir(dir).observe().ok()
    });
    let region = regions.next()?;
    regions.next().is_none().then_some(region)
}

/// No directory of regions on Windows.
#[cfg(windows)]
pub(crate) fn only_region_in(_dir: &Path) -> Option<Region> {
    None
}

/// The Linux backend's files of the region and its mutex.
#[cfg(target_os = "linux")]
pub(crate) fn write_objects(out: &mut String, region: &Region, mutex: &str) -> fmt::Result {
    use shared::os::linux::RegionExt;
    let dir = region.dir();
    let name = region.name();
    writeln!(
        out,
        "companions      {}",
        present(dir, &[format!(".{name}.meta"), format!(".{name}.guard")])
    )?;
    let mutex_state = if dir.join(mutex).exists() {
        format!(
            "present (files: {})",
            present(
                dir,
                &[
                    mutex.to_owned(),
                    format!(".{mutex}.meta"),
                    format!(".{mutex}.guard")
                ]
            )
        )
    } else {
        "absent".to_owned()
    };
    writeln!(out, "mutex           {mutex} {mutex_state}")
}

/// Which of `names` exist in `dir`, or "none".
#[cfg(target_os = "linux")]
fn present(dir: &Path, names: &[String]) -> String {
    let found: Vec<&str> = names
        .iter()
        .filter(|n| dir.join(n).exists())
        .map(String::as_str)
        .collect();
    if found.is_empty() {
        "none".to_owned()
    } else {
        found.join(" ")
    }
}

/// The mutex, a kernel object: looking it up by name opens a handle for a
/// moment and takes nothing.
#[cfg(windows)]
pub(crate) fn write_objects(out: &mut String, region: &Region, mutex: &str) -> fmt::Result {
    use shared::{Failure, MutexOptions};
    let mutex_state = match MutexOptions::for_region(region).open_existing() {
        Ok(_) => "present (a kernel object)".to_owned(),
        Err(error) if matches!(error.failure(), Failure::NotFound { .. }) => "absent".to_owned(),
        Err(error) => format!("unknown ({error})"),
    };
    writeln!(out, "mutex           {mutex} {mutex_state}")
}
