//! The names, files and regions the sides create: a name no other region
//! of this run has, the directory they live in, the demo-sized region, the
//! plain shared file the bare baselines map, and the file removed on drop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use shared::demo::layout::DEFAULT_REGION_SIZE;
use shared::sync::Turn;
use shared::{Region, RegionName, RegionOptions};

/// A region name no other in this run has: `bench-PID-N-LABEL`.
pub fn unique(label: &str) -> RegionName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    RegionName::new(&format!("bench-{}-{n}-{label}", std::process::id())).unwrap_or_else(|e| panic!("{e}"))
}

/// Where the regions and the baselines' files live (the library's default).
pub fn bench_dir() -> PathBuf {
    shared::os::linux::default_dir()
}

/// A new region the size of the demo's (1,024,000 bytes, as every region in
/// these benchmarks had before sizes became explicit).
pub fn demo_region(name: &RegionName) -> Region {
    RegionOptions::named(name)
        .size(DEFAULT_REGION_SIZE)
        .create_new()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The region's turn word (in its companion file).
pub fn turn_of(region: &Region) -> Turn<'_> {
    region.turn().unwrap_or_else(|e| panic!("turn: {e}"))
}

/// Maps the file at `path` for reading and writing, creating it `len`
/// bytes long first when `create` (the peer opens what this process made).
pub fn map_bench_file(path: &Path, create: bool, len: usize) -> memmap2::MmapRaw {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(create)
        .open(path)
        .unwrap_or_else(|e| panic!("{e}"));
    if create {
        file.set_len(len as u64).unwrap_or_else(|e| panic!("{e}"));
    }
    let map = memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(map.len() >= len, "{} is shorter than {len} bytes", path.display());
    map
}

/// Removes a file when dropped.
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
