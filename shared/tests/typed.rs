//! Typed access with a user's own `#[repr(C)]` struct (derived with
//! `#[zerocopy(crate = "shared::zerocopy")]`): arrays written by one process
//! and read by another, unaligned offsets, and .NET's array edges.

mod common;

use common::records::Sample;
use common::*;
use shared::{RegionOptions, ViewError};

const SAMPLE: u64 = std::mem::size_of::<Sample>() as u64;

#[test]
fn a_thousand_of_a_users_structs_are_read_by_another_process() {
    const COUNT: u32 = 1_000;
    let dir = tempfile::tempdir().expect("dir");
    let name = unique("typed");
    let region = RegionOptions::named(&name)
        .in_dir(dir.path())
        .size(2 * u64::from(COUNT) * SAMPLE)
        .create_new()
        .expect("region");
    let view = region.create_view_accessor(0, 0).expect("view");
    let samples: Vec<Sample> = (0..COUNT).map(Sample::nth).collect();
    view.write_array(0, &samples).expect("write_array");

    let mut helper = Helper::spawn(std::process::Command::new(helper_path()).args([
        "typed",
        name.as_str(),
        arg(dir.path()),
        &COUNT.to_string(),
    ]));
    for (i, expected) in samples.iter().enumerate() {
        let line = helper.line();
        assert_eq!(
            Sample::from_line(&line).as_ref(),
            Some(expected),
            "sample {i}: {line}"
        );
    }
    assert_eq!(helper.line(), "done");
    assert!(helper.finish());

    // The helper wrote its answers right after, with write_array.
    let mut answers = vec![Sample::nth(0); COUNT as usize];
    let read = view
        .read_array(u64::from(COUNT) * SAMPLE, &mut answers)
        .expect("read_array");
    assert_eq!(read, COUNT as usize);
    let expected: Vec<Sample> = samples.iter().map(Sample::answer).collect();
    assert_eq!(answers, expected);
    // The struct's in-memory bytes are exactly what is in the region.
    let mut first = [0u8; SAMPLE as usize];
    view.read_bytes(0, &mut first).expect("read");
    assert_eq!(first[0..4], Sample::nth(0).id.to_ne_bytes());
    assert_eq!(first[8..16], Sample::nth(0).value.to_ne_bytes());
}

#[test]
fn values_are_read_and_written_at_unaligned_offsets() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("unaligned"))
        .in_dir(dir.path())
        .size(4096)
        .create_new()
        .expect("region");
    // A view itself starting at an odd offset, and odd offsets inside it.
    let view = region.create_view_accessor(3, 1000).expect("view");
    for offset in [1u64, 5, 7, 13, 1000 - SAMPLE] {
        let sample = Sample::nth(offset as u32 + 10);
        view.write(offset, &sample).expect("write unaligned");
        assert_eq!(view.read::<Sample>(offset), Ok(sample), "offset {offset}");
    }
    view.write(101, &u64::MAX.wrapping_sub(5))
        .expect("u64 at an odd offset");
    assert_eq!(view.read::<u64>(101), Ok(u64::MAX - 5));
    view.write(211, &-1.25f64).expect("f64 at an odd offset");
    assert_eq!(view.read::<f64>(211), Ok(-1.25));
    assert!(matches!(
        view.read::<Sample>(1000 - SAMPLE + 1),
        Err(ViewError::OutsideView { .. })
    ));
}

#[test]
fn read_array_stops_at_the_end_of_the_view_and_returns_the_count() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("clamp"))
        .in_dir(dir.path())
        .size(4096)
        .create_new()
        .expect("region");
    // Room for 10 samples and 5 bytes.
    let view = region.create_view_accessor(100, 10 * SAMPLE + 5).expect("view");
    let samples: Vec<Sample> = (0..10).map(Sample::nth).collect();
    view.write_array(0, &samples).expect("fits exactly");

    let marker = Sample::nth(999);
    let mut buf = vec![marker; 16];
    assert_eq!(
        view.read_array(0, &mut buf),
        Ok(10),
        "clamped at the end of the view"
    );
    assert_eq!(buf[..10], samples[..]);
    assert!(
        buf[10..].iter().all(|s| *s == marker),
        "the rest of the buffer untouched"
    );

    let mut buf = vec![marker; 16];
    assert_eq!(
        view.read_array(3 * SAMPLE + 1, &mut buf),
        Ok(7),
        "from an odd offset: 172 bytes left"
    );
    assert_eq!(view.read_array(10 * SAMPLE, &mut buf), Ok(0), "only 5 bytes left");
    assert_eq!(
        view.read_array(10 * SAMPLE + 5, &mut buf),
        Ok(0),
        "at the very end"
    );
    assert!(matches!(
        view.read_array(10 * SAMPLE + 6, &mut buf),
        Err(ViewError::OutsideView { .. })
    ));
    let mut two = vec![marker; 2];
    assert_eq!(
        view.read_array(SAMPLE, &mut two),
        Ok(2),
        "a short buffer is filled"
    );
    assert_eq!(two, samples[1..3]);
}

#[test]
fn write_array_that_does_not_fit_writes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let region = RegionOptions::named(&unique("nofit"))
        .in_dir(dir.path())
        .size(4096)
        .create_new()
        .expect("region");
    let view = region.create_view_accessor(64, 5 * SAMPLE).expect("view");
    let samples: Vec<Sample> = (0..6).map(Sample::nth).collect();
    assert!(matches!(
        view.write_array(0, &samples),
        Err(ViewError::OutsideView { .. })
    ));
    assert!(matches!(
        view.write_array(SAMPLE + 1, &samples[..4]),
        Err(ViewError::OutsideView { .. })
    ));
    let mut bytes = vec![0xAAu8; 4096];
    region
        .create_view_accessor(0, 0)
        .expect("whole")
        .read_bytes(0, &mut bytes)
        .expect("read");
    assert!(bytes.iter().all(|&b| b == 0), "not one byte written");
    view.write_array(SAMPLE, &samples[..4])
        .expect("four fit after the first");
    view.write_array(0, &[] as &[Sample])
        .expect("nothing fits anywhere");
}
