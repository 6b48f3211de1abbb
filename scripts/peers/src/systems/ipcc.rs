//! ipc-channel: an `IpcSender` / `IpcReceiver` pair per direction (a Unix
//! socket, blocking), handed to the other side through a one-shot server.

use super::*;
use ipc_channel::ipc::{self, IpcOneShotServer, IpcReceiver, IpcSender};

type Msg = [u64; 2];

struct C {
    tx: IpcSender<Msg>,
    rx: IpcReceiver<Msg>,
}

impl Client for C {
    fn call(&mut self, v: i64) -> Res<i64> {
        self.tx.send([0, v as u64]).map_err(err("send"))?;
        Ok(self.rx.recv().map_err(err("recv"))?[1] as i64)
    }
}

pub fn round_trip(first: bool, info: &str, cpus: &str) -> Res<()> {
    if first {
        let (server, name) =
            IpcOneShotServer::<(IpcReceiver<Msg>, IpcSender<Msg>)>::new().map_err(err("one-shot server"))?;
        say(&format!("ready {cpus} {name}"));
        wait_go()?;
        let (_, (rx, tx)) = server.accept().map_err(err("accept"))?;
        loop {
            let m = rx.recv().map_err(err("recv"))?;
            if m[1] as i64 == STOP {
                return Ok(());
            }
            tx.send([m[0], m[1] + 1]).map_err(err("send"))?;
        }
    } else {
        let boot = IpcSender::<(IpcReceiver<Msg>, IpcSender<Msg>)>::connect(info.to_owned())
            .map_err(err("connect"))?;
        let (req_tx, req_rx) = ipc::channel::<Msg>().map_err(err("channel"))?;
        let (resp_tx, resp_rx) = ipc::channel::<Msg>().map_err(err("channel"))?;
        boot.send((req_rx, resp_tx)).map_err(err("send channels"))?;
        say(&format!("ready {cpus}"));
        let mut client = C {
            tx: req_tx,
            rx: resp_rx,
        };
        let result = run_round_trip(false, Some(&mut client), || Ok(()));
        let _ = client.tx.send([0, STOP as u64]);
        result
    }
}

pub fn stream(first: bool, info: &str, n: u64, cpus: &str) -> Res<()> {
    if first {
        let (server, name) = IpcOneShotServer::<IpcReceiver<Msg>>::new().map_err(err("one-shot server"))?;
        say(&format!("ready {cpus} {name}"));
        wait_go()?;
        let (_, rx) = server.accept().map_err(err("accept"))?;
        let mut check = Checker::new(n);
        while check.next < n {
            check.see(rx.recv().map_err(err("recv"))?[0])?;
        }
        check.done();
        Ok(())
    } else {
        let boot = IpcSender::<IpcReceiver<Msg>>::connect(info.to_owned()).map_err(err("connect"))?;
        let (tx, rx) = ipc::channel::<Msg>().map_err(err("channel"))?;
        boot.send(rx).map_err(err("send channel"))?;
        say(&format!("ready {cpus}"));
        wait_go()?;
        let start = monotonic_ns();
        for i in 0..n {
            tx.send([i, i * 3]).map_err(err("send"))?;
        }
        say(&format!("start {start}"));
        let _ = wait_go();
        Ok(())
    }
}
