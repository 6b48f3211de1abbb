//! Creating, mapping and removing a 1 MB region, and opening an existing
//! one, against the raw system calls.

use std::time::Instant;

use std::hint::black_box;

use shared::demo::layout::DEFAULT_REGION_SIZE;
use shared::{RegionName, RegionOptions};

use crate::baselines::raw_region_cycle;
use crate::files::{bench_dir, demo_region, unique, RemoveOnDrop};
use crate::harness::{Baseline, Bench, Figure, Pair, Side};

/// Creating, mapping and removing a 1 MB region vs the raw system calls.
pub fn region_lifecycle(bench: &mut Bench<'_>) {
    let ours_create = || -> Side<'static> {
        Box::new(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let region = demo_region(&unique("life"));
                black_box(region.size());
            }
            start.elapsed()
        })
    };
    let raw_create = |reserve: bool| -> Side<'static> {
        Box::new(move |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                raw_region_cycle(reserve);
            }
            start.elapsed()
        })
    };
    bench.compare(
        Pair {
            ratio: "region_create_vs_raw",
            ours: "region/create+close".to_owned(),
            baseline: "region/raw".to_owned(),
            kind: Baseline::Floor,
            bytes: None,
            placement: None,
            figure: Figure::Headline,
        },
        || (ours_create(), raw_create(false)),
    );
    bench.compare(
        Pair {
            ratio: "region_create_vs_raw_fallocate",
            ours: "region/create+close".to_owned(),
            baseline: "region/raw+fallocate".to_owned(),
            kind: Baseline::Floor,
            bytes: None,
            placement: None,
            figure: Figure::Headline,
        },
        || (ours_create(), raw_create(true)),
    );
    bench.compare(
        Pair {
            ratio: "region_open_vs_raw",
            ours: "region/open+close".to_owned(),
            baseline: "region/raw-open".to_owned(),
            kind: Baseline::Floor,
            bytes: None,
            placement: None,
            figure: Figure::Headline,
        },
        || {
            let kept = demo_region(&unique("kept"));
            let options =
                RegionOptions::named(&RegionName::new(kept.name()).unwrap_or_else(|e| panic!("{e}")));
            let ours: Side<'static> = Box::new(move |iters| {
                let _keep = &kept;
                let start = Instant::now();
                for _ in 0..iters {
                    let region = options.open_existing().unwrap_or_else(|e| panic!("{e}"));
                    black_box(region.size());
                }
                start.elapsed()
            });
            let existing = RemoveOnDrop(bench_dir().join(unique("rawopen").as_str()));
            std::fs::File::create(&existing.0)
                .and_then(|f| f.set_len(DEFAULT_REGION_SIZE))
                .unwrap_or_else(|e| panic!("{e}"));
            let raw: Side<'static> = Box::new(move |iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let file = std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(&existing.0)
                        .unwrap_or_else(|e| panic!("{e}"));
                    let map = memmap2::MmapRaw::map_raw(&file).unwrap_or_else(|e| panic!("{e}"));
                    black_box(map.len());
                }
                start.elapsed()
            });
            (ours, raw)
        },
    );
}
