//! Sections other Windows programs make, opened by this library: a section
//! whose pages are only reserved (`SEC_RESERVE`, what .NET's
//! `MemoryMappedFileOptions.DelayAllocatePages` creates) is committed on
//! open, as .NET's own views do, so that every byte can be written and read;
//! and a region whose objects another user made (a service's `Global\`
//! region, which lets others map it but not have all access) is joined,
//! its turn and wake-ups included, as .NET's `CreateOrOpen` joins it.
//! (Wine refuses `CreateSemaphoreW` on such a semaphore, so the test fails
//! without the fallback to `OpenSemaphoreW`; it lets `CreateFileMappingW`
//! through on such a section, so the sections' fallback to
//! `OpenFileMappingW`, which follows .NET's code, runs only on Windows.)
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
use std::time::Duration;

use windows_sys::Win32::Foundation::{LocalFree, INVALID_HANDLE_VALUE};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::System::Memory::{CreateFileMappingW, PAGE_READWRITE, SEC_RESERVE};
use windows_sys::Win32::System::Threading::CreateSemaphoreW;

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

/// Security attributes from an SDDL string, freed on drop.
struct Security {
    descriptor: *mut std::ffi::c_void,
    attributes: SECURITY_ATTRIBUTES,
}

impl Security {
    /// Everyone may use the object only as `rights` (an access mask) say.
    fn everyone_may(rights: u32) -> Security {
        let sddl: Vec<u16> = format!("D:(A;;{rights:#x};;;WD)")
            .encode_utf16()
            .chain([0])
            .collect();
        let mut descriptor = std::ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated; `descriptor` receives a
        // LocalAlloc'ed descriptor (freed on drop); the size is not wanted.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                std::ptr::null_mut(),
            )
        };
        assert_ne!(ok, 0, "SDDL: {}", std::io::Error::last_os_error());
        Security {
            descriptor,
            attributes: SECURITY_ATTRIBUTES {
                nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
                lpSecurityDescriptor: descriptor,
                bInheritHandle: 0,
            },
        }
    }
}

impl Drop for Security {
    fn drop(&mut self) {
        // SAFETY: the descriptor was LocalAlloc'ed by the conversion above.
        unsafe { LocalFree(self.descriptor) };
    }
}

/// `SECTION_QUERY | SECTION_MAP_WRITE | SECTION_MAP_READ`: map it, nothing more.
const MAP_ONLY: u32 = 0x0007;
/// `SYNCHRONIZE | SEMAPHORE_MODIFY_STATE`: wait on it and release it.
const WAIT_AND_RELEASE: u32 = 0x0010_0002;

/// A section `name` of `size` bytes that everyone may map but nobody may
/// have all access to, as another user's might be.
fn section_of_another(name: &str, size: u32, security: &Security) -> OwnedHandle {
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    // SAFETY: pagefile-backed; the attributes outlive the call; `wide` is
    // NUL-terminated.
    let handle = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            &security.attributes,
            PAGE_READWRITE,
            0,
            size,
            wide.as_ptr(),
        )
    };
    assert!(!handle.is_null(), "{name}: {}", std::io::Error::last_os_error());
    // SAFETY: a new handle this test owns.
    unsafe { OwnedHandle::from_raw_handle(handle) }
}

/// A semaphore `name` everyone may wait on and release, and no more.
fn semaphore_of_another(name: &str, security: &Security) -> OwnedHandle {
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    // SAFETY: the attributes outlive the call; valid counts; `wide` is
    // NUL-terminated.
    let handle = unsafe { CreateSemaphoreW(&security.attributes, 0, i32::MAX, wide.as_ptr()) };
    assert!(!handle.is_null(), "{name}: {}", std::io::Error::last_os_error());
    // SAFETY: a new handle this test owns.
    unsafe { OwnedHandle::from_raw_handle(handle) }
}

#[test]
fn a_region_whose_objects_another_user_made_is_joined_with_its_turn_and_wake_ups() {
    let name = unique("theirs");
    let base = name.as_str();
    let sections = Security::everyone_may(MAP_ONLY);
    let semaphores = Security::everyone_may(WAIT_AND_RELEASE);
    let _theirs = [
        section_of_another(base, 4096, &sections),
        section_of_another(&format!("{base}@meta"), 4096, &sections),
        section_of_another(&format!("{base}@turn.sleepers"), 4096, &sections),
        section_of_another(&format!("{base}@64.sleepers"), 4096, &sections),
        semaphore_of_another(&format!("{base}@turn.wake"), &semaphores),
        semaphore_of_another(&format!("{base}@64.wake"), &semaphores),
    ];
    let region = RegionOptions::named(&name)
        .size(4096)
        .create_or_open()
        .expect("create_or_open joins the other user's region");
    assert!(!region.created_new());
    // A thread waits for turn 8 (asleep on the other user's semaphore) and
    // for the word at 64 to change; this thread passes the turn and changes
    // the word. Both waits end well before their watchdogs.
    let turn = region.turn().expect("its turn, on the other user's companion");
    let notifier = region
        .notifier(64)
        .expect("its wake-ups, on the other user's semaphore");
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            let turn = region.turn().expect("turn");
            let came = turn.wait_for_turn(8, WATCHDOG);
            let notifier = region.notifier(64).expect("notifier");
            while notifier.word().load(std::sync::atomic::Ordering::Acquire) == 0 {
                notifier.wait_while_equal(0, WATCHDOG);
            }
            came
        });
        std::thread::sleep(Duration::from_millis(20));
        turn.pass_turn(8);
        notifier.word().store(1, std::sync::atomic::Ordering::Release);
        notifier.wake_all();
        assert!(waiter.join().expect("waiter"), "the turn came");
    });
    assert_eq!(turn.current(), 8);
}
