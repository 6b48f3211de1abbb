//! What the docs promise a user crate that depends only on `shared` and
//! derives zerocopy's traits through the re-export (`use
//! shared::zerocopy::...`): without `#[zerocopy(crate = "shared::zerocopy")]`
//! the derive fails with "cannot find `zerocopy` in the crate root"; with it
//! the type builds and works with typed access. A doctest or trybuild cannot
//! show this (they see `shared`'s own `zerocopy` dependency), so each case
//! is a scratch crate, depending on `shared` alone, checked by cargo.
#![cfg(target_os = "linux")] // Linux only: it runs cargo, which the Windows tests under Wine cannot.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The attribute under test, as the docs tell users to write it.
const ATTRIBUTE: &str = "#[zerocopy(crate = \"shared::zerocopy\")]";

/// The user's crate: the docs' `Reading`, derived through the re-export and
/// read and written with `AccessorView`. The two cases differ only in the
/// attribute line.
fn user_source(with_attribute: bool) -> String {
    let attribute = if with_attribute { ATTRIBUTE } else { "" };
    format!(
        r#"use shared::zerocopy::{{FromBytes, Immutable, IntoBytes, KnownLayout}};
use shared::{{AccessorView, ViewError}};

#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
{attribute}
#[repr(C)]
pub struct Reading {{
    pub sensor: u32,
    pub celsius: f32,
}}

pub fn first(view: &AccessorView<'_>) -> Result<Reading, ViewError> {{
    view.read::<Reading>(0)
}}

pub fn store(view: &AccessorView<'_>, readings: &[Reading]) -> Result<(), ViewError> {{
    view.write_array(0, readings)
}}
"#
    )
}

/// Writes the scratch crate `name` (depending on this `shared` alone, with
/// the workspace's lock file so that cargo finds every version already
/// downloaded) into a fresh directory, runs `cargo check --offline` on it and
/// returns cargo's output with the directory (kept alive until the caller is
/// done).
fn check_user_crate(name: &str, with_attribute: bool) -> (Output, tempfile::TempDir) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir()
        .expect("scratch dir");
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared_path = manifest_dir.to_str().expect("shared's path is UTF-8");
    // The empty [workspace] table: the crate is a workspace of its own, never
    // taken for a member of one that encloses the temporary directory.
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n\
         [dependencies]\nshared = {{ path = {shared_path:?} }}\n"
    );
    fs::write(dir.path().join("Cargo.toml"), manifest).expect("write Cargo.toml");
    fs::copy(manifest_dir.join("../Cargo.lock"), dir.path().join("Cargo.lock")).expect("copy Cargo.lock");
    fs::create_dir(dir.path().join("src")).expect("create src");
    fs::write(dir.path().join("src/lib.rs"), user_source(with_attribute)).expect("write src/lib.rs");

    // A target directory of its own that stays warm between runs: `shared`
    // and its dependencies are built once. `--target-dir` wins over a
    // `CARGO_TARGET_DIR` in the environment, and `--color never` over a
    // `CARGO_TERM_COLOR`, so the asserts below see plain text.
    let target_dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zerocopy-attribute-check");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(dir.path())
        .args(["check", "--offline", "--color", "never", "--target-dir"])
        .arg(&target_dir)
        .output()
        .expect("run cargo check");
    (output, dir)
}

#[test]
fn derive_through_the_re_export_fails_without_the_attribute() {
    let name = "zerocopy-attribute-without";
    let (output, dir) = check_user_crate(name, false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the derive without {ATTRIBUTE} compiled in {}; cargo said:\n{stderr}",
        dir.path().display()
    );
    // rustc 1.95 prints "error[E0433]: cannot find `zerocopy` in the crate
    // root" (older releases: "failed to resolve: could not find `zerocopy` in
    // the crate root"), once per path the derives generate.
    assert!(
        stderr.contains("E0433") && stderr.contains("find `zerocopy` in the crate root"),
        "the derive without {ATTRIBUTE} failed, but not for want of `zerocopy`; cargo said:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("could not compile `{name}`")),
        "the failure is not in the user's crate; cargo said:\n{stderr}"
    );
}

#[test]
fn derive_through_the_re_export_builds_with_the_attribute() {
    let (output, dir) = check_user_crate("zerocopy-attribute-with", true);
    assert!(
        output.status.success(),
        "the derive with {ATTRIBUTE} did not compile in {}; cargo said:\n{}",
        dir.path().display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
