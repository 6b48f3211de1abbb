//! iceoryx2: publish-subscribe per direction, with an event service to
//! block on or a polled `receive()`; the stream one sample per record.

use super::*;
use iceoryx2::port::backpressure_strategy::BackpressureStrategy;
use iceoryx2::prelude::*;

type Msg = [u64; 2];

fn service_name(name: &str, dir: &str) -> Res<ServiceName> {
    ServiceName::new(&format!("{name}/{dir}")).map_err(err("service name"))
}

pub fn round_trip(name: &str, first: bool, event: bool, cpus: &str) -> Res<()> {
    let node = NodeBuilder::new().create::<ipc::Service>().map_err(err("node"))?;
    let pubsub = |dir: &str| -> Res<_> {
        node.service_builder(&service_name(name, dir)?)
            .publish_subscribe::<Msg>()
            .max_publishers(1)
            .max_subscribers(1)
            .history_size(0)
            .subscriber_max_buffer_size(1)
            .enable_safe_overflow(true)
            .open_or_create()
            .map_err(err("pub-sub service"))
    };
    let events = |dir: &str| -> Res<_> {
        node.service_builder(&service_name(name, dir)?)
            .event()
            .open_or_create()
            .map_err(err("event service"))
    };
    // The server receives on a2b and answers on b2a; the client the other way.
    let (inbound, outbound) = if first { ("a2b", "b2a") } else { ("b2a", "a2b") };
    let subscriber = pubsub(inbound)?
        .subscriber_builder()
        .create()
        .map_err(err("subscriber"))?;
    let publisher = pubsub(outbound)?
        .publisher_builder()
        .create()
        .map_err(err("publisher"))?;
    let (listener, notifier) = if event {
        (
            Some(
                events(inbound)?
                    .listener_builder()
                    .create()
                    .map_err(err("listener"))?,
            ),
            Some(
                events(outbound)?
                    .notifier_builder()
                    .create()
                    .map_err(err("notifier"))?,
            ),
        )
    } else {
        (None, None)
    };
    let send = |m: Msg| -> Res<()> {
        publisher.send_copy(m).map_err(err("send"))?;
        if let Some(n) = &notifier {
            n.notify().map_err(err("notify"))?;
        }
        Ok(())
    };
    let receive = || -> Res<Msg> {
        loop {
            if let Some(sample) = subscriber.receive().map_err(err("receive"))? {
                return Ok(*sample.payload());
            }
            match &listener {
                Some(l) => {
                    l.blocking_wait(|_| {}).map_err(err("wait"))?;
                }
                None => std::hint::spin_loop(),
            }
        }
    };
    say(&format!("ready {cpus}"));
    struct C<'a> {
        send: &'a dyn Fn(Msg) -> Res<()>,
        receive: &'a dyn Fn() -> Res<Msg>,
    }
    impl Client for C<'_> {
        fn call(&mut self, v: i64) -> Res<i64> {
            (self.send)([0, v as u64])?;
            Ok((self.receive)()?[1] as i64)
        }
    }
    let mut client = C {
        send: &send,
        receive: &receive,
    };
    let result = run_round_trip(first, Some(&mut client), || loop {
        let m = receive()?;
        if m[1] as i64 == STOP {
            return Ok(());
        }
        send([m[0], m[1] + 1])?;
    });
    if !first {
        send([0, STOP as u64])?;
    }
    result
}

pub fn stream(name: &str, first: bool, n: u64, cpus: &str) -> Res<()> {
    const BUFFER: usize = 4096;
    let node = NodeBuilder::new().create::<ipc::Service>().map_err(err("node"))?;
    let service = node
        .service_builder(&service_name(name, "stream")?)
        .publish_subscribe::<Msg>()
        .max_publishers(1)
        .max_subscribers(1)
        .history_size(0)
        .subscriber_max_buffer_size(BUFFER)
        .enable_safe_overflow(false)
        .open_or_create()
        .map_err(err("pub-sub service"))?;
    if first {
        let subscriber = service
            .subscriber_builder()
            .buffer_size(BUFFER)
            .create()
            .map_err(err("subscriber"))?;
        say(&format!("ready {cpus}"));
        wait_go()?;
        let mut check = Checker::new(n);
        while check.next < n {
            match subscriber.receive().map_err(err("receive"))? {
                Some(sample) => check.see(sample.payload()[0])?,
                None => std::hint::spin_loop(),
            }
        }
        check.done();
        Ok(())
    } else {
        let publisher = service
            .publisher_builder()
            .backpressure_strategy(BackpressureStrategy::RetryUntilDelivered)
            .create()
            .map_err(err("publisher"))?;
        say(&format!("ready {cpus}"));
        wait_go()?;
        let start = monotonic_ns();
        for i in 0..n {
            publisher.send_copy([i, i * 3]).map_err(err("send"))?;
        }
        say(&format!("start {start}"));
        let _ = wait_go();
        Ok(())
    }
}
