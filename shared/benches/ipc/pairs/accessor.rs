//! `write_array` / `read_array` of 1,024 records through the accessor
//! against memcpy of the same bytes into / out of a heap buffer at the same
//! offset in its page: the buffers, the four copies, and the pairs.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use std::hint::black_box;

use shared::demo::layout::RECORDS_OFFSET;
use shared::demo::ServiceMsg;
use shared::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
use shared::Region;

use crate::harness::{Baseline, Bench, Figure, Pair, Side};

/// Records each accessor operation copies.
const ACCESSOR_RECORDS: usize = 1024;

/// Bytes each accessor operation copies: 1,024 records of 16 bytes.
const ACCESSOR_BYTES: usize = ACCESSOR_RECORDS * ServiceMsg::SIZE;

/// Where in its page each buffer of the accessor benchmarks starts. A copy
/// whose destination lies just past its source modulo 4096 (as two 16 KiB
/// heap blocks allocated one after the other do, 16 bytes apart) runs many
/// times slower on x86 (4K aliasing: each load waits for an unrelated store),
/// so the offsets are fixed rather than left to the allocator: the region's
/// records view starts at 1024 in its page, the baseline's stand-in for it
/// too, and the records on the heap at 0, 1024 bytes from either.
const VIEW_PAGE_OFFSET: usize = (RECORDS_OFFSET % 4096) as usize;
const HEAP_PAGE_OFFSET: usize = 0;

/// 64 plain bytes aligned like a cache line.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[zerocopy(crate = "shared::zerocopy")]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// [`ACCESSOR_BYTES`] on the heap, starting at a chosen offset in a page,
/// every byte written once (so every page is touched).
struct Buffer {
    lines: Vec<Line>,
    start: usize,
}

impl Buffer {
    fn at_page_offset(page_offset: usize, fill: u8) -> Buffer {
        const PAGE_LINES: usize = 4096 / 64;
        let lines = vec![Line([fill; 64]); ACCESSOR_BYTES / 64 + PAGE_LINES];
        let address = lines.as_ptr() as usize; // 64-aligned: a whole number of lines
        let start = (page_offset + 4096 - address % 4096) % 4096 / 64;
        let buffer = Buffer { lines, start };
        assert_eq!(buffer.bytes().as_ptr() as usize % 4096, page_offset);
        buffer
    }

    fn bytes(&self) -> &[u8] {
        self.lines[self.start..][..ACCESSOR_BYTES / 64].as_bytes()
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        self.lines[self.start..][..ACCESSOR_BYTES / 64].as_mut_bytes()
    }

    fn records(&self) -> &[ServiceMsg] {
        <[ServiceMsg]>::ref_from_bytes(self.bytes()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn records_mut(&mut self) -> &mut [ServiceMsg] {
        <[ServiceMsg]>::mut_from_bytes(self.bytes_mut()).unwrap_or_else(|e| panic!("{e:?}"))
    }
}

/// One of the four copies the accessor benchmarks time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `write_array` of the records into the region.
    WriteArray,
    /// Its baseline: memcpy of the same bytes into a heap buffer of the same
    /// size, at the same offset in its page as the region's view.
    MemcpyIn,
    /// `read_array` of the records out of the region.
    ReadArray,
    /// Its baseline: memcpy of the same bytes out of that heap buffer.
    MemcpyOut,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::WriteArray => "write_array",
            Op::MemcpyIn => "memcpy-in",
            Op::ReadArray => "read_array",
            Op::MemcpyOut => "memcpy-out",
        }
    }
}

/// The accessor and its baseline, every buffer allocated and touched before
/// anything is timed. Both sides copy from and to the same heap buffers; the
/// only difference is the region (ours) or a plain heap buffer at the same
/// page offset (the baseline) on the other side of the copy.
pub struct AccessorCase<'r> {
    /// The demo's records view (region offset 1024, to the end of the region).
    view: shared::AccessorView<'r>,
    /// The records both sides copy in.
    msgs: Buffer,
    /// Where both sides copy the records out to.
    back: Buffer,
    /// The baseline's region.
    plain: Buffer,
}

impl<'r> AccessorCase<'r> {
    pub fn new(region: &'r Region) -> AccessorCase<'r> {
        let view = region
            .create_view_accessor(RECORDS_OFFSET, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut msgs = Buffer::at_page_offset(HEAP_PAGE_OFFSET, 0);
        for (i, msg) in msgs.records_mut().iter_mut().enumerate() {
            *msg = ServiceMsg::new(i as i32, i as i64);
        }
        let mut case = AccessorCase {
            view,
            msgs,
            back: Buffer::at_page_offset(HEAP_PAGE_OFFSET, 0xa5),
            plain: Buffer::at_page_offset(VIEW_PAGE_OFFSET, 0xa5),
        };
        // Touch every page of every buffer and of the region's view, and check
        // that each copy copies.
        case.run(Op::WriteArray, 2);
        case.run(Op::ReadArray, 2);
        assert_eq!(
            case.back.records(),
            case.msgs.records(),
            "read_array gave back other records"
        );
        case.back.bytes_mut().fill(0xa5);
        case.run(Op::MemcpyIn, 2);
        case.run(Op::MemcpyOut, 2);
        assert_eq!(
            case.back.records(),
            case.msgs.records(),
            "memcpy gave back other records"
        );
        case
    }

    /// Runs `op` `iters` times; the time it took.
    fn run(&mut self, op: Op, iters: u64) -> Duration {
        let start = Instant::now();
        match op {
            Op::WriteArray => {
                let msgs = self.msgs.records();
                for _ in 0..iters {
                    black_box(&self.view)
                        .write_array(0, black_box(msgs))
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
            Op::MemcpyIn => {
                let (msgs, plain) = (self.msgs.bytes(), self.plain.bytes_mut());
                for _ in 0..iters {
                    black_box(&mut *plain).copy_from_slice(black_box(msgs));
                    black_box(&*plain);
                }
            }
            Op::ReadArray => {
                let back = self.back.records_mut();
                for _ in 0..iters {
                    let read = black_box(&self.view)
                        .read_array(0, black_box(&mut *back))
                        .unwrap_or_else(|e| panic!("{e}"));
                    black_box((read, &*back));
                }
            }
            Op::MemcpyOut => {
                let (plain, back) = (self.plain.bytes(), self.back.bytes_mut());
                for _ in 0..iters {
                    black_box(&mut *back).copy_from_slice(black_box(plain));
                    black_box(&*back);
                }
            }
        }
        start.elapsed()
    }
}

/// The accessor pairs' names (their buffers are set up only when one is wanted).
pub const ACCESSOR_NAMES: [&str; 4] = [
    "accessor_write_array_vs_memcpy",
    "accessor_read_array_vs_memcpy",
    "accessor_vs_memcpy",
    "accessor/",
];

/// `write_array` / `read_array` of 1,024 `ServiceMsg` (16 KiB) through the
/// accessor vs memcpy of the same bytes into / out of a heap buffer of the
/// same size at the same offset in its page.
pub fn accessor<'a>(bench: &mut Bench<'a>, case: &'a RefCell<AccessorCase<'_>>) {
    let side = |ops: &'static [Op]| -> Side<'a> {
        Box::new(move |iters| ops.iter().map(|&op| case.borrow_mut().run(op, iters)).sum())
    };
    for (ratio, ours, baseline, bytes) in [
        (
            "accessor_write_array_vs_memcpy",
            &[Op::WriteArray][..],
            &[Op::MemcpyIn][..],
            ACCESSOR_BYTES,
        ),
        (
            "accessor_read_array_vs_memcpy",
            &[Op::ReadArray][..],
            &[Op::MemcpyOut][..],
            ACCESSOR_BYTES,
        ),
        // The round trip the earlier encode + decode benchmark measured.
        (
            "accessor_vs_memcpy",
            &[Op::WriteArray, Op::ReadArray][..],
            &[Op::MemcpyIn, Op::MemcpyOut][..],
            2 * ACCESSOR_BYTES,
        ),
    ] {
        let label = |ops: &[Op]| {
            let labels: Vec<&str> = ops.iter().map(|op| op.label()).collect();
            format!("accessor/{}", labels.join("+"))
        };
        let pair = Pair {
            ratio,
            ours: label(ours),
            baseline: label(baseline),
            kind: Baseline::Floor,
            bytes: Some(bytes),
            placement: None,
            figure: Figure::Headline,
        };
        bench.compare(pair, || (side(ours), side(baseline)));
    }
}
