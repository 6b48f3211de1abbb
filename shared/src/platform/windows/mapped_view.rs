//! A view of a section (`MapViewOfFile`), unmapped on drop.

use std::fs::File;
use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND, INVALID_HANDLE_VALUE};
use windows_sys::Win32::Storage::FileSystem::FlushFileBuffers;
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FlushViewOfFile, MapViewOfFile, UnmapViewOfFile, VirtualAlloc, VirtualQuery,
    FILE_MAP_READ, FILE_MAP_WRITE, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS, MEM_COMMIT,
    MEM_RESERVE, PAGE_READONLY, PAGE_READWRITE,
};

use super::handle::{last_error, os_error, owned};

/// The mapped bytes of a section, with the section handle (and, for a file
/// region, the file, for `FlushFileBuffers`) kept open as long as the view.
#[derive(Debug)]
pub(crate) struct MappedView {
    ptr: *mut u8,
    len: usize,
    file: Option<File>,
    _section: Option<OwnedHandle>,
}

// SAFETY: the view is process-wide memory, valid until this value unmaps it
// on drop; the pointer is only used through `Mapping`, which never creates
// references to the bytes and accesses shared words atomically. Handles are
// process-wide too.
unsafe impl Send for MappedView {}
// SAFETY: as above: nothing here is tied to a thread.
unsafe impl Sync for MappedView {}

impl MappedView {
    /// Maps the first `len` bytes of `file` shared; writable when `writable`.
    /// A `len` of 0 maps nothing.
    /// The view keeps its own handle to the file, for flushes.
    pub(crate) fn of_file(file: &File, len: usize, writable: bool) -> io::Result<Self> {
        let file = file.try_clone()?;
        if len == 0 {
            return Ok(MappedView {
                ptr: std::ptr::null_mut(),
                len: 0,
                file: Some(file),
                _section: None,
            });
        }
        let protect = if writable { PAGE_READWRITE } else { PAGE_READONLY };
        let size = len as u64;
        // SAFETY: the file handle is valid for the call; a null name makes an
        // unnamed section; the size is the part of the file to map.
        let handle = unsafe {
            CreateFileMappingW(
                file.as_raw_handle(),
                std::ptr::null(),
                protect,
                (size >> 32) as u32,
                size as u32,
                std::ptr::null(),
            )
        };
        let section = owned(handle).ok_or_else(|| os_error(last_error()))?;
        let mut view = Self::of_section(section, len, writable)?;
        view.file = Some(file);
        Ok(view)
    }

    /// Maps `len` bytes of `section` (0: all of it, as the kernel rounds it:
    /// whole pages).
    ///
    /// A section created with `SEC_RESERVE` (.NET's
    /// `MemoryMappedFileOptions.DelayAllocatePages`) has reserved pages that
    /// fault when touched: as .NET's `MemoryMappedView.CreateView` does, the
    /// view's pages are committed (`VirtualAlloc(MEM_COMMIT)`) before use.
    /// As in .NET, `VirtualQuery` reports the first run of pages alike: in a
    /// section whose first pages another process committed and whose others
    /// are still reserved, a whole view (`len` 0) is taken to end where the
    /// committed run ends.
    pub(crate) fn of_section(section: OwnedHandle, len: usize, writable: bool) -> io::Result<Self> {
        let access = if writable {
            FILE_MAP_READ | FILE_MAP_WRITE
        } else {
            FILE_MAP_READ
        };
        // SAFETY: `section` is a live section handle; offset 0 and `len`
        // (0 = the whole section) describe a range the kernel checks.
        let view = unsafe { MapViewOfFile(section.as_raw_handle(), access, 0, 0, len) };
        if view.Value.is_null() {
            return Err(os_error(last_error()));
        }
        // From here on, dropping `mapped` unmaps the view.
        let mut mapped = MappedView {
            ptr: view.Value.cast::<u8>(),
            len: 0,
            file: None,
            _section: Some(section),
        };
        let mut info = query(mapped.ptr)?;
        if info.State & MEM_RESERVE != 0 || info.RegionSize < len {
            let whole = if len == 0 { info.RegionSize } else { len };
            commit(mapped.ptr, whole, writable)?;
            info = query(mapped.ptr)?;
        }
        mapped.len = if len == 0 { info.RegionSize } else { len };
        Ok(mapped)
    }

    /// The first mapped byte (page-aligned).
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// The mapped length in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Never: a section cannot be shrunk under its views (the Linux
    /// backend's `bus_guard` has nothing to guard against here).
    #[inline]
    pub(crate) fn is_cut(&self) -> bool {
        false
    }

    /// Writes `start .. start + len` back (`FlushViewOfFile`), and a file
    /// region's file to its disk (`FlushFileBuffers`).
    pub(crate) fn flush_range(&self, start: usize, len: usize) -> io::Result<()> {
        if len == 0 || self.ptr.is_null() {
            return Ok(());
        }
        // SAFETY: `Mapping` checked that `start + len` lies inside the view.
        let ok = unsafe { FlushViewOfFile(self.ptr.add(start).cast_const().cast(), len) };
        if ok == 0 {
            return Err(os_error(last_error()));
        }
        if let Some(file) = &self.file {
            // SAFETY: the file handle stays open as long as `self`.
            if unsafe { FlushFileBuffers(file.as_raw_handle()) } == 0 {
                return Err(os_error(last_error()));
            }
        }
        Ok(())
    }
}

/// What the kernel says of the pages at `ptr`: their state (committed or
/// only reserved) and the size of the run of pages alike (whole pages), which
/// for a fresh view of a whole section is what .NET takes as the capacity of
/// an opened region.
fn query(ptr: *mut u8) -> io::Result<MEMORY_BASIC_INFORMATION> {
    // SAFETY: MEMORY_BASIC_INFORMATION is plain data, valid zeroed.
    let mut info: MEMORY_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: `ptr` is the start of a live view; `info` is a valid buffer of
    // the size passed.
    let written = unsafe {
        VirtualQuery(
            ptr.cast_const().cast(),
            &mut info,
            std::mem::size_of::<MEMORY_BASIC_INFORMATION>(),
        )
    };
    if written == 0 {
        return Err(os_error(last_error()));
    }
    Ok(info)
}

/// Commits the `len` bytes of the view at `ptr` (pages of a `SEC_RESERVE`
/// section are only reserved until then).
fn commit(ptr: *mut u8, len: usize, writable: bool) -> io::Result<()> {
    let protect = if writable { PAGE_READWRITE } else { PAGE_READONLY };
    // SAFETY: `ptr .. ptr + len` lies inside a live view of this process;
    // committing pages of a view changes no mapping, only backs the pages.
    let committed = unsafe { VirtualAlloc(ptr.cast_const().cast(), len, MEM_COMMIT, protect) };
    if committed.is_null() {
        return Err(os_error(last_error()));
    }
    Ok(())
}

impl Drop for MappedView {
    fn drop(&mut self) {
        if self.ptr.is_null() {
            return;
        }
        // SAFETY: `ptr` is the base of a view this value mapped and nothing
        // uses after this (`Mapping` borrows the view for its accesses).
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.ptr.cast(),
            });
        }
    }
}

/// A new pagefile-backed section of `size` bytes called `name` (UTF-16,
/// NUL-terminated), or the existing one of that name: returns the section
/// and whether it existed (`ERROR_ALREADY_EXISTS`), or the Win32 error.
pub(crate) fn create_section(name: &[u16], size: u64) -> Result<(OwnedHandle, bool), u32> {
    // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section; null
    // security attributes mean the default; `name` is NUL-terminated.
    let handle = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            std::ptr::null(),
            PAGE_READWRITE,
            (size >> 32) as u32,
            size as u32,
            name.as_ptr(),
        )
    };
    let error = last_error();
    match owned(handle) {
        Some(section) => Ok((
            section,
            error == windows_sys::Win32::Foundation::ERROR_ALREADY_EXISTS,
        )),
        None => Err(error),
    }
}

/// [`create_section`], or, where creating is denied, the existing section
/// opened for reading and writing, as .NET's `CreateOrOpen` does: another
/// user's section (a service's `Global\` one, which only a holder of
/// `SeCreateGlobalPrivilege` may create) can be opened with less than all
/// access. The companions beside a region (its words, its sleepers' counts)
/// are made this way, so that whoever may use the region may use them.
pub(crate) fn create_or_open_section(name: &[u16], size: u64) -> Result<OwnedHandle, u32> {
    match create_section(name, size) {
        Ok((section, _)) => Ok(section),
        Err(ERROR_ACCESS_DENIED) => open_section(name, true).map_err(|code| match code {
            // Not there either: creating it is what was refused.
            ERROR_FILE_NOT_FOUND => ERROR_ACCESS_DENIED,
            code => code,
        }),
        Err(code) => Err(code),
    }
}

/// Opens the existing section called `name`, or returns the Win32 error.
pub(crate) fn open_section(name: &[u16], writable: bool) -> Result<OwnedHandle, u32> {
    let access = if writable {
        FILE_MAP_READ | FILE_MAP_WRITE
    } else {
        FILE_MAP_READ
    };
    // SAFETY: `name` is NUL-terminated; the call returns a new handle or null.
    let handle = unsafe { windows_sys::Win32::System::Memory::OpenFileMappingW(access, 0, name.as_ptr()) };
    owned(handle).ok_or_else(last_error)
}

#[cfg(test)]
mod tests {
    use windows_sys::Win32::System::Memory::SEC_RESERVE;

    use super::*;

    /// What .NET's `DelayAllocatePages` makes: a section of reserved pages.
    fn reserved_section(size: u32) -> OwnedHandle {
        // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section;
        // null attributes and a null name make a private one.
        let handle = unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE | SEC_RESERVE,
                0,
                size,
                std::ptr::null(),
            )
        };
        owned(handle).expect("CreateFileMappingW(SEC_RESERVE)")
    }

    #[test]
    fn a_view_of_reserved_pages_is_committed_before_use() {
        let section = reserved_section(3 * 4096);
        let view = MappedView::of_section(section, 0, true).expect("map");
        assert_eq!(view.len(), 3 * 4096);
        let info = query(view.as_ptr()).expect("query");
        assert_eq!(info.State, MEM_COMMIT, "every page of the view is committed");
        assert_eq!(info.RegionSize, 3 * 4096);
    }
}
