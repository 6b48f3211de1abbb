//! The kernel's object directory: the names and types of the named objects
//! in this session's `\Sessions\N\BaseNamedObjects` (where a name without
//! a prefix, or with `Local\`, lives) or in `\BaseNamedObjects` (`Global\`).
//! Read with `NtOpenDirectoryObject` and `NtQueryDirectoryObject`, which
//! ntdll exports and Microsoft documents as subject to change; nothing is
//! opened but the directory.

use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{NtOpenDirectoryObject, NtQueryDirectoryObject};
use windows_sys::Wdk::System::SystemServices::DIRECTORY_QUERY;
use windows_sys::Win32::Foundation::{
    NTSTATUS, OBJ_CASE_INSENSITIVE, STATUS_NO_MORE_ENTRIES, UNICODE_STRING,
};
use windows_sys::Win32::System::RemoteDesktop::ProcessIdToSessionId;

use super::handle::owned;

/// One entry of `NtQueryDirectoryObject`'s buffer (documented with the
/// call; not in `windows-sys`): the object's name and its type's name,
/// both pointing into the same buffer.
#[repr(C)]
struct ObjectDirectoryInformation {
    name: UNICODE_STRING,
    type_name: UNICODE_STRING,
}

/// Bytes of the buffer each query fills (one entry and its two names).
const BUFFER_LEN: usize = 4096;

/// The `(name, type)` of every object in the session's directory of named
/// objects, or the global one (types such as `Section`, `Mutant`,
/// `Semaphore`, `Event`).
pub(crate) fn named_objects(global: bool) -> io::Result<Vec<(String, String)>> {
    let directory = open_directory(&directory_path(global)?)?;
    // u64s: aligned for the entries' pointers.
    let mut buffer = vec![0u64; BUFFER_LEN / 8];
    let mut context = 0u32;
    let mut entries = Vec::new();
    // One entry a call: Wine 8 answers nothing else (STATUS_NOT_IMPLEMENTED
    // for a whole buffer), and Windows answers both.
    loop {
        let mut returned = 0u32;
        // SAFETY: the directory handle is open; the buffer is BUFFER_LEN
        // writable bytes that outlive the call; context and returned are
        // writable u32s.
        let status = unsafe {
            NtQueryDirectoryObject(
                directory.as_raw_handle(),
                buffer.as_mut_ptr().cast(),
                BUFFER_LEN as u32,
                true,
                entries.is_empty(),
                &mut context,
                &mut returned,
            )
        };
        if status == STATUS_NO_MORE_ENTRIES {
            return Ok(entries);
        }
        check(status)?;
        let found = read_entries(&buffer);
        if found.is_empty() {
            return Ok(entries);
        }
        entries.extend(found);
    }
}

/// `\Sessions\N\BaseNamedObjects` for this process's session N, or
/// `\BaseNamedObjects`.
fn directory_path(global: bool) -> io::Result<String> {
    if global {
        return Ok(r"\BaseNamedObjects".to_owned());
    }
    let mut session = 0u32;
    // SAFETY: a pid and a writable u32 for the answer.
    if unsafe { ProcessIdToSessionId(std::process::id(), &mut session) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(format!(r"\Sessions\{session}\BaseNamedObjects"))
}

/// Opens the object directory at `path` for listing.
fn open_directory(path: &str) -> io::Result<OwnedHandle> {
    let mut name: Vec<u16> = path.encode_utf16().collect();
    let bytes = (name.len() * 2) as u16;
    let unicode = UNICODE_STRING {
        Length: bytes,
        MaximumLength: bytes,
        Buffer: name.as_mut_ptr(),
    };
    let attributes = OBJECT_ATTRIBUTES {
        Length: std::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        ObjectName: &unicode,
        Attributes: OBJ_CASE_INSENSITIVE,
        ..OBJECT_ATTRIBUTES::default()
    };
    let mut handle = std::ptr::null_mut();
    // SAFETY: attributes point to a UNICODE_STRING over `name`, both alive
    // for the call; the handle is written on success.
    check(unsafe { NtOpenDirectoryObject(&mut handle, DIRECTORY_QUERY, &attributes) })?;
    owned(handle).ok_or_else(|| io::Error::other("NtOpenDirectoryObject returned no handle"))
}

/// The entries in a filled buffer, up to the zeroed one that ends them.
fn read_entries(buffer: &[u64]) -> Vec<(String, String)> {
    let base = buffer.as_ptr().cast::<ObjectDirectoryInformation>();
    let count = std::mem::size_of_val(buffer) / std::mem::size_of::<ObjectDirectoryInformation>();
    let mut entries = Vec::new();
    for index in 0..count {
        // SAFETY: index is within the buffer, which the call filled with
        // entries from its start (aligned: the buffer is of u64s).
        let entry = unsafe { &*base.add(index) };
        if entry.name.Buffer.is_null() {
            break;
        }
        entries.push((text(&entry.name), text(&entry.type_name)));
    }
    entries
}

/// A `UNICODE_STRING` the call wrote, as text.
fn text(string: &UNICODE_STRING) -> String {
    if string.Buffer.is_null() {
        return String::new();
    }
    // SAFETY: the call points Buffer at Length bytes of UTF-16 inside the
    // buffer it filled, which the caller still holds.
    let units = unsafe { std::slice::from_raw_parts(string.Buffer, usize::from(string.Length) / 2) };
    String::from_utf16_lossy(units)
}

/// An `io::Error` for a failed NT status.
fn check(status: NTSTATUS) -> io::Result<()> {
    if status >= 0 {
        Ok(())
    } else {
        Err(io::Error::other(format!("NTSTATUS {:#010x}", status as u32)))
    }
}
