//! Ours: the round trip through a region's turn word (blocking or
//! spinning) and the stream through `RecordSender` / `RecordReceiver`.

use super::*;
use shared::demo::ServiceMsg;
use shared::ring::{RecordReceiver, RecordSender};
use shared::{Region, RegionName, RegionOptions};

const CLIENT: u32 = 1;
const SERVER: u32 = 2;
const PATIENCE: Duration = Duration::from_secs(30);
const RING_CAPACITY: u32 = 1 << 16;

fn options(name: &str) -> Res<RegionOptions> {
    let name = RegionName::new(name).map_err(err("region name"))?;
    Ok(RegionOptions::named(&name))
}

struct TurnClient<'r> {
    turn: shared::sync::Turn<'r>,
    spin: bool,
}

impl Client for TurnClient<'_> {
    fn call(&mut self, v: i64) -> Res<i64> {
        self.turn.pass_turn_with(SERVER, &ServiceMsg::new(0, v));
        let back = if self.spin {
            self.turn.spin_for_turn(CLIENT, PATIENCE)
        } else {
            self.turn.wait_for_turn(CLIENT, PATIENCE)
        };
        if !back {
            return Err("the server did not answer".to_owned());
        }
        Ok(self.turn.mailbox::<ServiceMsg>().now_time)
    }
}

pub fn round_trip(name: &str, first: bool, spin: bool, cpus: &str) -> Res<()> {
    let region: Region = if first {
        options(name)?
            .size(4096)
            .create_new()
            .map_err(err("create region"))?
    } else {
        options(name)?.open_existing().map_err(err("open region"))?
    };
    let turn = region.turn().map_err(err("turn"))?;
    say(&format!("ready {cpus}"));
    let mut client = TurnClient {
        turn: region.turn().map_err(err("turn"))?,
        spin,
    };
    let result = run_round_trip(first, Some(&mut client), || loop {
        let mine = if spin {
            turn.spin_for_turn(SERVER, PATIENCE)
        } else {
            turn.wait_for_turn(SERVER, PATIENCE)
        };
        if !mine {
            return Err("the client went quiet".to_owned());
        }
        let msg: ServiceMsg = turn.mailbox();
        if msg.now_time == STOP {
            return Ok(());
        }
        turn.pass_turn_with(CLIENT, &ServiceMsg::new(msg.id, msg.now_time + 1));
    });
    if !first {
        client.turn.pass_turn_with(SERVER, &ServiceMsg::new(0, STOP));
    }
    result
}

pub fn stream(name: &str, first: bool, n: u64, cpus: &str) -> Res<()> {
    if first {
        let mut sender =
            RecordSender::<ServiceMsg>::create(&options(name)?, RING_CAPACITY).map_err(err("create ring"))?;
        say(&format!("ready {cpus}"));
        wait_go()?;
        let start = monotonic_ns();
        for i in 0..n {
            sender
                .send(&ServiceMsg::new(i as i32, i as i64))
                .map_err(err("send"))?;
        }
        say(&format!("start {start}"));
        // Keep the ring until the consumer has counted.
        let _ = wait_go();
        Ok(())
    } else {
        let mut receiver = RecordReceiver::<ServiceMsg>::open(&options(name)?).map_err(err("open ring"))?;
        say(&format!("ready {cpus}"));
        wait_go()?;
        let mut buf = vec![ServiceMsg::default(); 4096];
        let mut check = Checker::new(n);
        while check.next < n {
            let got = receiver.recv_batch(&mut buf).map_err(err("recv"))?;
            if got == 0 {
                return Err(format!("stream closed after {} records", check.next));
            }
            for msg in &buf[..got] {
                check.see(msg.now_time as u64)?;
            }
        }
        check.done();
        Ok(())
    }
}
