//! Any size the user asks for, every byte the user's: regions of 1, 4,096 and
//! 10,000 bytes written by one process and read and rewritten by another, and
//! size 0 or an impossible size refused, on every platform. On Linux also the
//! file's size, a region of exactly one byte, and a sparse region larger than
//! 4 GiB used above the 4 GiB mark (file sizes and block reservation in a
//! directory; a Windows section is whole pages of the pagefile).

mod common;

use common::records::{from_hex, pattern, to_hex};
use common::*;
#[cfg(target_os = "linux")]
use shared::ViewError;
use shared::{Failure, Region, RegionOptions};

/// Reads the whole region through a view.
fn all_bytes(region: &Region) -> Vec<u8> {
    let mut bytes = vec![0u8; region.size() as usize];
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .read_bytes(0, &mut bytes)
        .expect("read");
    bytes
}

/// The first `size` bytes of the region: the user's.
fn users_bytes(region: &Region, size: u64) -> Vec<u8> {
    let mut bytes = all_bytes(region);
    bytes.truncate(size as usize);
    bytes
}

/// Creates a region of `size` bytes, fills it, has the helper read it all and
/// write it all anew, and checks both sides (and, on Linux, the file).
fn round_trip(size: u64) {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique(&format!("size{size}"));
    let region = RegionOptions::named(&name)
        .in_dir(dir.path())
        .size(size)
        .create_new()
        .expect("region");
    assert_eq!(region.size(), reported_size(size));
    #[cfg(target_os = "linux")]
    assert_eq!(std::fs::metadata(region.path()).expect("stat").len(), size);
    assert_eq!(
        all_bytes(&region),
        vec![0u8; region.size() as usize],
        "a new region is all zeros"
    );

    let mine = pattern(size, size as usize);
    region
        .create_view_accessor(0, 0)
        .expect("view")
        .write_bytes(0, &mine)
        .expect("write every byte");
    let len = size.to_string();
    let seen = run_helper(&["peek", name.as_str(), arg(dir.path()), "0", &len]);
    assert_eq!(
        from_hex(&seen),
        Some(mine),
        "{size}: the other process read every byte"
    );

    let theirs = pattern(size + 1, size as usize);
    run_helper(&["poke", name.as_str(), arg(dir.path()), "0", &to_hex(&theirs)]);
    assert_eq!(users_bytes(&region, size), theirs, "{size}: and wrote every byte");
    #[cfg(target_os = "linux")]
    assert_eq!(
        std::fs::read(region.path()).expect("read"),
        theirs,
        "{size}: the file is the bytes"
    );
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_ten_thousand_byte_region_is_shared_byte_for_byte() {
    round_trip(10_000);
}

#[test]
fn a_one_page_region_is_shared_byte_for_byte() {
    round_trip(4096);
}

#[test]
fn a_one_byte_region_is_shared_byte_for_byte() {
    round_trip(1);
}

#[test]
#[cfg(target_os = "linux")] // a Windows region is whole pages: its one byte has a page around it
fn nothing_fits_past_the_byte_of_a_one_byte_region() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("one"))
        .dir(dir.path())
        .size(1)
        .create_new()
        .expect("region");
    let view = region.create_view_accessor(0, 0).expect("view");
    assert_eq!(view.capacity(), 1);
    view.write(0, &0xA5u8).expect("the one byte");
    assert_eq!(view.read::<u8>(0), Ok(0xA5));
    assert!(matches!(view.read_i32(0), Err(ViewError::OutsideView { .. })));
    assert!(matches!(view.write(1, &0u8), Err(ViewError::OutsideView { .. })));
    assert!(matches!(
        region.create_view_accessor(1, 1),
        Err(ViewError::OutsideRegion { .. })
    ));
    assert!(matches!(region.atomic_u32(0), Err(ViewError::OutsideView { .. })));
}

#[test]
fn size_zero_is_refused_with_bad_size_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let options = RegionOptions::named(&unique("zero")).in_dir(dir.path()).size(0);
    for (how, error) in [
        ("create_new", options.create_new().err()),
        ("create_or_open", options.create_or_open().err()),
    ] {
        assert!(
            matches!(error.failed(), Some(Failure::BadSize { size: 0, .. })),
            "{how}: {error:?}"
        );
    }
    let no_size = RegionOptions::named(&unique("nosize"))
        .in_dir(dir.path())
        .create_or_open()
        .err();
    assert!(
        matches!(no_size.failed(), Some(Failure::BadSize { size: 0, .. })),
        "{no_size:?}"
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn an_impossible_size_fails_cleanly_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    // On Linux with the blocks reserved up front and without.
    for reserve in [true, false] {
        let options = RegionOptions::named(&unique("huge"))
            .in_dir(dir.path())
            .size(u64::MAX);
        #[cfg(target_os = "linux")]
        let options = options.reserve(reserve);
        let error = options.create_or_open().err();
        assert!(
            matches!(error.failed(), Some(Failure::BadSize { .. })),
            "reserve={reserve}: {error:?}"
        );
        assert_eq!(
            entries(dir.path()),
            Vec::<String>::new(),
            "reserve={reserve}: {error:?}"
        );
    }
}

/// 4 GiB.
#[cfg(target_os = "linux")]
const FOUR_GIB: u64 = 1 << 32;

#[test]
#[cfg(target_os = "linux")] // a sparse file; a Windows section would take 4 GiB of the pagefile
fn a_sparse_region_larger_than_4_gib_is_usable_above_the_4_gib_mark() {
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("big");
    let size = FOUR_GIB + 3 * 4096 + 5;
    let region = match RegionOptions::named(&name)
        .dir(dir.path())
        .size(size)
        .reserve(false)
        .create_new()
    {
        Ok(region) => region,
        Err(error) => match error.failure() {
            Failure::Io { action, source, .. } if source.kind() == std::io::ErrorKind::OutOfMemory => {
                eprintln!("NOT TESTED: this machine cannot {action} a region larger than 4 GiB ({source})");
                panic!("a region larger than 4 GiB could not be mapped on this machine: {source}");
            }
            _ => panic!("a sparse region larger than 4 GiB: {error}"),
        },
    };
    assert_eq!(region.size(), size);
    let stat = std::fs::metadata(region.path()).expect("stat");
    assert_eq!(stat.len(), size);
    {
        use std::os::unix::fs::MetadataExt;
        assert!(stat.blocks() * 512 < 1 << 20, "sparse: no blocks reserved");
    }

    // A view starting above 4 GiB, written and read back.
    let offset = FOUR_GIB + 100;
    let view = region.create_view_accessor(offset, 0).expect("view above 4 GiB");
    assert_eq!(view.capacity(), size - offset);
    let mine = pattern(42, 1000);
    view.write_bytes(0, &mine).expect("write above 4 GiB");
    let mut back = vec![0u8; 1000];
    view.read_bytes(0, &mut back).expect("read above 4 GiB");
    assert_eq!(back, mine);
    // Across the 4 GiB mark, and the very last byte.
    let whole = region.create_view_accessor(0, 0).expect("whole view");
    whole
        .write_i64(FOUR_GIB - 4, 0x0102_0304_0506_0708)
        .expect("straddle");
    assert_eq!(whole.read_i64(FOUR_GIB - 4), Ok(0x0102_0304_0506_0708));
    whole.write(size - 1, &0x7Fu8).expect("last byte");
    assert_eq!(whole.read::<u8>(size - 1), Ok(0x7F));
    assert_eq!(whole.read::<u8>(100), Ok(0), "and nothing landed 4 GiB lower");
    assert!(matches!(
        region.create_view_accessor(size, 1),
        Err(ViewError::OutsideRegion { .. })
    ));

    // Another process sees and rewrites the bytes above 4 GiB.
    let at = offset.to_string();
    let seen = run_helper(&["peek", name.as_str(), arg(dir.path()), &at, "1000"]);
    assert_eq!(from_hex(&seen), Some(mine));
    let theirs = pattern(43, 1000);
    run_helper(&["poke", name.as_str(), arg(dir.path()), &at, &to_hex(&theirs)]);
    view.read_bytes(0, &mut back).expect("read above 4 GiB");
    assert_eq!(back, theirs);
    drop(region);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}
