//! Sections other Windows programs make, opened by this library: a section
//! whose pages are only reserved (`SEC_RESERVE`, what .NET's
//! `MemoryMappedFileOptions.DelayAllocatePages` creates) is committed on
//! open, as .NET's own views do, so that every byte can be written and read.
//!
//! On Windows, touching a reserved page faults, so without the commit this
//! test dies. Wine lets the touch through, so under Wine it shows only that
//! the bytes cross; the unit test in `platform/windows/mapped_view.rs` checks
//! the commit itself (`VirtualQuery` says `MEM_COMMIT`), and fails without it
//! under Wine too.
#![cfg(windows)] // Windows only: it creates a section with Win32 itself.

mod common;

use std::os::windows::io::{FromRawHandle, OwnedHandle};

use common::*;
use shared::{RegionName, RegionOptions};
use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::System::Memory::{CreateFileMappingW, PAGE_READWRITE, SEC_RESERVE};

const PAGE: u64 = 4096;
const SIZE: u64 = 5 * PAGE;

/// A pagefile-backed section called `name` whose pages are reserved, not
/// committed: touching one before `VirtualAlloc(MEM_COMMIT)` faults.
fn reserved_section(name: &RegionName) -> OwnedHandle {
    let wide: Vec<u16> = name.as_str().encode_utf16().chain([0]).collect();
    // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section, null
    // attributes for the default security; `wide` is NUL-terminated.
    let handle = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            std::ptr::null(),
            PAGE_READWRITE | SEC_RESERVE,
            0,
            SIZE as u32,
            wide.as_ptr(),
        )
    };
    assert!(
        !handle.is_null(),
        "CreateFileMappingW(SEC_RESERVE): {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `handle` is a new handle this test owns.
    unsafe { OwnedHandle::from_raw_handle(handle) }
}

/// Writes a different word at the start and the end of every page through
/// one open, and reads them all back through another.
fn every_page_takes_a_write(writer: &shared::Region, reader: &shared::Region) {
    let view = writer.create_view_accessor(0, 0).expect("view");
    for page in 0..SIZE / PAGE {
        view.write(page * PAGE, &(0xA000 + page as u32))
            .expect("write the page's first word");
        view.write(page * PAGE + PAGE - 4, &(0xB000 + page as u32))
            .expect("write its last word");
    }
    let seen = reader.create_view_accessor(0, 0).expect("view");
    for page in 0..SIZE / PAGE {
        assert_eq!(seen.read::<u32>(page * PAGE).expect("read"), 0xA000 + page as u32);
        assert_eq!(
            seen.read::<u32>(page * PAGE + PAGE - 4).expect("read"),
            0xB000 + page as u32
        );
    }
}

#[test]
fn a_section_with_only_reserved_pages_is_committed_on_open_as_dotnet_does() {
    let name = unique("reserved");
    let section = reserved_section(&name);
    let opened = RegionOptions::named(&name)
        .open_existing()
        .expect("open_existing");
    assert_eq!(opened.size(), SIZE, "the size of a whole reserved section");
    let joined = RegionOptions::named(&name)
        .size(SIZE)
        .create_or_open()
        .expect("create_or_open");
    assert!(!joined.created_new());
    every_page_takes_a_write(&opened, &joined);
    drop(section);
    every_page_takes_a_write(&joined, &opened);
}
