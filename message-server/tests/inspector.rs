//! The inspector decodes the demo's layout only where a region's bytes show
//! it; any other region gets its bytes, undecoded, in a window of its own.

mod common;

use std::process::Command;

use common::inspector;

/// `inspect --file PATH ARGS` on a file holding `bytes`: its stdout.
fn inspect_file(bytes: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("region.bin");
    std::fs::write(&path, bytes).expect("write the file");
    let out = Command::new(inspector())
        .arg("--file")
        .arg(&path)
        .args(args)
        .output()
        .expect("inspector");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The demo's smallest region: the records view ends at byte 11264.
const DEMO_SIZE: usize = 1024 + 10_240;

#[test]
fn a_region_that_is_not_the_demos_is_shown_undecoded_in_a_window() {
    // A ring's header: magic, then indices in bytes the demo never writes.
    let mut bytes = vec![0u8; DEMO_SIZE];
    bytes[..4].copy_from_slice(b"IMRG");
    bytes[64] = 100;
    let shown = inspect_file(&bytes, &["--offset", "64", "--len", "16"]);
    assert!(
        shown.contains(
            "layout          not the demo's (bytes 52..1024, which the demo never writes, are not all zero): \
             its bytes, undecoded"
        ),
        "{shown}"
    );
    assert!(
        !shown.contains("message pid") && !shown.contains("position 0"),
        "{shown}"
    );
    assert!(shown.contains("hex 64..80\n  00000040  64 00 00 00"), "{shown}");
    // Nothing written where the demo writes: no layout shows, bytes 0..256 by default.
    let zeros = inspect_file(&vec![0u8; DEMO_SIZE], &[]);
    assert!(
        zeros.contains("not the demo's (nothing is written where the demo writes)"),
        "{zeros}"
    );
    assert!(
        zeros.contains("hex 0..256") && zeros.contains("  000000f0  00"),
        "{zeros}"
    );
    // Too small to be the demo's.
    let small = inspect_file(&[1u8; 100], &["--offset", "96"]);
    assert!(
        small.contains("not the demo's (100 bytes, fewer than the demo's 11264)"),
        "{small}"
    );
    assert!(small.contains("hex 96..100\n  00000060  01 01 01 01 "), "{small}");
}

#[test]
fn a_region_with_the_demos_layout_is_decoded_and_shows_an_asked_window_too() {
    // What the C# originals leave: ten integers, no handshake.
    let mut bytes = vec![0u8; DEMO_SIZE];
    for i in 0..10u32 {
        bytes[i as usize * 4..][..4].copy_from_slice(&(i + 1).to_le_bytes());
    }
    let shown = inspect_file(&bytes, &[]);
    assert!(shown.contains("layout          the demo's"), "{shown}");
    assert!(
        shown.contains("position 0: 1") && shown.contains("position 9: 10"),
        "{shown}"
    );
    assert!(!shown.contains("hex 0..256"), "no window unless asked: {shown}");
    let asked = inspect_file(&bytes, &["--offset", "36", "--len", "4"]);
    assert!(asked.contains("hex 36..40\n  00000024  0a 00 00 00"), "{asked}");
}

/// On Windows, `--list` reads the kernel's object directory: a served
/// region and its mutex are there, live; `--clean` says why it removes nothing.
#[cfg(windows)]
#[test]
fn the_listing_shows_a_served_region_and_its_mutex_from_the_object_directory() {
    use common::{message_server, unique_name, Program};
    let name = unique_name("listed");
    let mut serving = Program::spawn("message", &message_server(), &["--name", &name]);
    serving.expect_line("Start the state service");
    let out = Command::new(inspector())
        .arg("--clean")
        .output()
        .expect("inspector");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listing.starts_with("removed nothing: on Windows"), "{listing}");
    let line_of = |wanted: &str| {
        listing
            .lines()
            .find(|line| line.split_whitespace().next() == Some(wanted))
            .unwrap_or_else(|| panic!("{wanted} not listed:\n{listing}"))
            .to_owned()
    };
    let region = line_of(&name);
    assert!(
        region.contains(" region ") && region.contains(" 1024000 ") && region.contains(" live "),
        "{region}"
    );
    assert!(line_of(&format!("{name}mutex")).contains(" mutex "), "{listing}");
    serving.kill();
}
