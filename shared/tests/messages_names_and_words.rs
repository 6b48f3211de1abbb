//! Two messages that used to mislead, now gone or true: `process_a` (and
//! `process_b`) with a 200-byte region name refused it with its mutex
//! name's length (the mutex name now has the room the name limit keeps for
//! it), and an atomic word at a misaligned offset was said not to fit in
//! the region.

mod common;

use std::process::Command;

use common::*;
use shared::{Access, RegionName, RegionOptions, ViewError, MAX_NAME_BYTES};

/// A name of its own for each call, exactly `bytes` bytes long.
fn unique_of_length(label: &str, bytes: usize) -> RegionName {
    let start = unique(label);
    let name = format!("{start}{}", "x".repeat(bytes - start.as_str().len()));
    RegionName::new(&name).expect("a valid region name")
}

/// Runs an example of the .NET docs (`process_a` or `process_b`) with a
/// region NAME and DIR and an empty stdin, under the watchdog.
fn run_dotnet_example(example_name: &str, name: &RegionName, dir: &std::path::Path) -> std::process::Output {
    start(Command::new(example(example_name)).args([name.as_str(), arg(dir)])).output()
}

#[test]
fn process_a_runs_to_the_end_with_a_200_byte_name_whose_mutex_name_is_205_bytes() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique_of_length("a", MAX_NAME_BYTES);
    // With an empty stdin, Enter comes at once: A reads its own write back.
    let out = run_dotnet_example("process_a", &name, dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(!stderr.contains("205 bytes long"), "{stderr}");
    assert!(stdout.contains("Process A says: true"), "{stdout}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

const PAGE: u64 = 4096;

fn page_region(label: &str, dir: &std::path::Path) -> shared::Region {
    RegionOptions::named(&unique(label))
        .in_dir(dir)
        .size(PAGE)
        .create_new()
        .expect("region")
}

#[test]
fn an_atomic_word_at_a_misaligned_offset_is_refused_as_misaligned_with_the_nearest_aligned_offsets() {
    let dir = tempfile::tempdir().expect("dir");
    let region = page_region("misaligned", dir.path());
    assert_eq!(region.size(), PAGE);
    for offset in [1, 2, 3, 5, 4091] {
        assert_eq!(
            region.atomic_u32(offset).err(),
            Some(ViewError::Misaligned {
                offset,
                size: 4,
                align: 4,
                region_size: PAGE
            }),
            "offset {offset}"
        );
    }
    let text = region
        .atomic_u32(2)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        text,
        "the 4-byte atomic word at region offset 2 is misaligned: its offset must be a multiple of 4 (the nearest are 0 and 4); nothing was read or written"
    );
    assert!(!text.contains("does not fit"), "{text}");
    let text = region
        .atomic_u32(4091)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        text.contains("a multiple of 4 (the nearest are 4088 and 4092)"),
        "{text}"
    );
    // The aligned neighbours named are indeed usable.
    for offset in [0, 4, 4088, 4092] {
        assert!(region.atomic_u32(offset).is_ok(), "offset {offset}");
    }
}

#[test]
#[cfg(target_os = "linux")] // Windows rounds a named region up to whole pages
fn a_misaligned_word_near_the_end_names_only_the_aligned_offset_where_a_word_fits() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("odd"))
        .in_dir(dir.path())
        .size(4098)
        .create_new()
        .expect("region");
    let text = region
        .atomic_u32(4093)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        text,
        "the 4-byte atomic word at region offset 4093 is misaligned: its offset must be a multiple of 4 (the nearest is 4092); nothing was read or written"
    );
    assert!(region.atomic_u32(4092).is_ok());
    assert!(matches!(
        region.atomic_u32(4096),
        Err(ViewError::OutsideView { .. })
    ));
}

#[test]
fn a_notifier_at_a_misaligned_offset_is_refused_as_misaligned_too() {
    let dir = tempfile::tempdir().expect("dir");
    let region = page_region("notifier", dir.path());
    assert!(matches!(
        region.notifier(6),
        Err(ViewError::Misaligned {
            offset: 6,
            align: 4,
            ..
        })
    ));
    assert!(region.notifier(8).is_ok());
}

#[test]
fn an_atomic_word_that_does_not_fit_is_still_outside_the_region_aligned_or_not() {
    let dir = tempfile::tempdir().expect("dir");
    let region = page_region("outside", dir.path());
    for offset in [4093, 4094, 4095, PAGE, PAGE + 4, u64::MAX - 1] {
        let error = region.atomic_u32(offset).err();
        assert_eq!(
            error,
            Some(ViewError::OutsideView {
                offset,
                size: 4,
                view_len: PAGE
            }),
            "offset {offset}"
        );
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("does not fit"), "{text}");
    }
}

#[test]
fn a_misaligned_word_of_a_read_only_region_is_reported_as_misaligned_and_an_aligned_one_as_read_only() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("ro-word");
    let writer = RegionOptions::named(&name)
        .in_dir(dir.path())
        .size(PAGE)
        .create_new()
        .expect("writer");
    let reader = RegionOptions::named(&name)
        .in_dir(dir.path())
        .access(Access::Read)
        .open_existing()
        .expect("reader");
    assert!(matches!(
        reader.atomic_u32(2),
        Err(ViewError::Misaligned { offset: 2, .. })
    ));
    assert_eq!(reader.atomic_u32(4).err(), Some(ViewError::ReadOnly));
    drop(reader);
    drop(writer);
}
