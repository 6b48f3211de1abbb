//! Records from one process to another: our ring against a Unix socket
//! (one record per send, and batched) and against a bare byte ring between
//! the same two cores; the records they send, and our ring's side.

use std::time::Instant;

use bench_support::placement::{cpu_count, Placement};
use shared::demo::ServiceMsg;
use shared::ring::RecordSender;
use shared::RegionOptions;

use crate::baselines::{bare_ring_stream, bare_ring_stream_per_record, uds_stream};
use crate::files::unique;
use crate::harness::{Baseline, Bench, Figure, Pair, Side};
use crate::peer::start_peer;
use crate::stream_shape::{RING_CAPACITY, STREAM_BATCH};

/// Records a batched stream carries per operation (one batch over and over).
pub const RECORDS_PER_STREAM: usize = 1_000_000;
/// Records a one-record-per-send stream carries per operation.
const RECORDS_PER_RECORD_STREAM: usize = 100_000;

/// Records from one process to another: the ring vs a Unix socket (one
/// record per send, and batched), and the batched ring vs a bare byte ring
/// between the same two cores ([`BareRing`](crate::baselines::BareRing)).
///
/// The batched pairs send one batch of [`STREAM_BATCH`] records (64 KiB) over
/// and over until [`RECORDS_PER_STREAM`] have gone, so that the source stays
/// in cache and what is measured is the transport. Even so, bytes cross
/// between this machine's cores at one of two speeds (a million records in
/// about 0.6 ms or about 1.6 ms), switching every few seconds with the host:
/// the ratio to the bare ring, which crosses the same way, holds through
/// both; the ratio to a socket and the records per second do not.
pub fn streaming<'a>(bench: &mut Bench<'a>, streams: &'a Streams) {
    // Producer and consumer on CPUs of their own where there are two: where
    // the scheduler puts them decides a stream's speed more than the code.
    let placement = if cpu_count() >= 2 {
        Placement::Apart
    } else {
        Placement::Free
    };
    let (records, bytes) = (&streams.records[..], &streams.bytes[..]);
    let few = RECORDS_PER_RECORD_STREAM;
    let (batch, batch_bytes) = (&records[..STREAM_BATCH], &bytes[..STREAM_BATCH * 16]);
    let batches = RECORDS_PER_STREAM / STREAM_BATCH;
    bench.compare(
        Pair {
            ratio: "stream_ring_vs_uds",
            ours: "stream/ring-per-record".to_owned(),
            baseline: "stream/uds-per-record".to_owned(),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: Figure::Headline,
        },
        || {
            (
                ring_stream(&records[..few], 1, false, placement),
                uds_stream(&bytes[..few * 16], 1, false, placement),
            )
        },
    );
    bench.compare(
        Pair {
            ratio: "stream_ring_vs_uds_batched",
            ours: "stream/ring".to_owned(),
            baseline: "stream/uds".to_owned(),
            kind: Baseline::Rival,
            bytes: None,
            placement: Some(placement),
            figure: Figure::CopySpeed,
        },
        || {
            (
                ring_stream(batch, batches, true, placement),
                uds_stream(batch_bytes, batches, true, placement),
            )
        },
    );
    // One `send` per record against one publish per record of the bare
    // ring: the same records, the same two processes, each consumer taking
    // whatever is there in one go.
    bench.compare(
        Pair {
            ratio: "stream_ring_per_record_vs_bare_ring",
            ours: "stream/ring-per-record".to_owned(),
            baseline: "stream/bare-ring-per-record".to_owned(),
            kind: Baseline::Floor,
            bytes: Some(few * 16),
            placement: Some(placement),
            figure: Figure::Headline,
        },
        || {
            (
                ring_stream(&records[..few], 1, false, placement),
                bare_ring_stream_per_record(&bytes[..few * 16], 1, placement),
            )
        },
    );
    bench.compare(
        Pair {
            ratio: "stream_ring_vs_bare_ring",
            ours: "stream/ring".to_owned(),
            baseline: "stream/bare-ring".to_owned(),
            kind: Baseline::Floor,
            bytes: Some(batch_bytes.len() * batches),
            placement: Some(placement),
            figure: Figure::Headline,
        },
        || {
            (
                ring_stream(batch, batches, true, placement),
                bare_ring_stream(batch_bytes, batches, placement),
            )
        },
    );
}

/// The records every stream pair sends, and the same as bytes.
pub struct Streams {
    records: Vec<ServiceMsg>,
    bytes: Vec<u8>,
}

impl Streams {
    pub fn new() -> Streams {
        let records: Vec<ServiceMsg> = (0..RECORDS_PER_STREAM)
            .map(|i| ServiceMsg::new(i as i32, i as i64))
            .collect();
        let bytes = records.iter().flat_map(|m| m.encode()).collect();
        Streams { records, bytes }
    }
}

/// Our ring: all of `records` per operation, one `send` each or in batches,
/// until the consumer says it has them all.
fn ring_stream<'a>(
    records: &'a [ServiceMsg],
    repeat: usize,
    batched: bool,
    placement: Placement,
) -> Side<'a> {
    let ring_name = unique("ring");
    let mut sender = RecordSender::<ServiceMsg>::create(&RegionOptions::named(&ring_name), RING_CAPACITY)
        .unwrap_or_else(|e| panic!("{e}"));
    let count = [("SHM_BENCH_COUNT", (records.len() * repeat).to_string())];
    let mut peer = start_peer("ring-consumer", ring_name.as_str(), placement.cpus().1, &count);
    Box::new(move |iters| {
        peer.command(iters);
        let start = Instant::now();
        for _ in 0..iters {
            for _ in 0..repeat {
                if batched {
                    for chunk in records.chunks(STREAM_BATCH) {
                        sender.send_batch(chunk).unwrap_or_else(|e| panic!("{e}"));
                    }
                } else {
                    for msg in records {
                        sender.send(msg).unwrap_or_else(|e| panic!("{e}"));
                    }
                }
            }
            peer.expect("ok");
        }
        let took = start.elapsed();
        peer.done();
        took
    })
}
