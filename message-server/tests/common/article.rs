//! What the article's C# programs and ours must show when they meet, on
//! .NET for Windows (`originals.rs`) and on .NET for Linux
//! (`originals_linux.rs`): one list of expectations for both.

use super::Program;

/// The lines `{i}位置:{value}` the original message service reads back,
/// found by `marker` (`位置:`; through a Windows pipe its Chinese arrives as
/// `?`, so `??:` there).
pub fn read_back(lines: &[String], marker: &str) -> Vec<(u32, String)> {
    lines
        .iter()
        .filter_map(|line| {
            let (position, value) = line.split_once(marker)?;
            Some((position.trim().parse().ok()?, value.trim().to_owned()))
        })
        .collect()
}

/// What the original message service printed after reading what our state
/// server wrote: the ten values, and four records (its own defect), each
/// with a time written (`unset_time` is how it prints a zero one).
pub fn assert_original_read_ours(stdout: &[String], marker: &str, unset_time: &str) {
    let values = read_back(stdout, marker);
    let wanted: Vec<(u32, String)> = (0..10).map(|i| (i, i.to_string())).collect();
    assert_eq!(values, wanted, "{stdout:#?}");
    let records: Vec<&String> = stdout.iter().filter(|l| l.contains("\tNowTime:")).collect();
    assert_eq!(records.len(), 4, "{records:?}");
    for (record, id) in records.iter().zip([0, 16, 32, 48]) {
        assert!(record.starts_with(&format!("{id}\t")), "{record}");
        assert!(!record.contains(unset_time), "a time was written: {record}");
    }
}

/// Our message server, once the original state service is done: says it
/// met the original, shows the ten values and the records it wrote (those
/// at `ids`), and closes normally at the next Enter.
pub fn expect_ours_showing_the_originals(message: &mut Program, ids: &[i32]) {
    message.expect_line("it is the original IMServer_State. Relying on the mutex alone");
    for i in 0..10 {
        message.expect_line(&format!("position {i}: {i}"));
    }
    for id in ids {
        let record = message.expect_line(&format!("{id}\tNowTime: "));
        assert!(!record.contains("0001-01-01"), "a time was written: {record}");
    }
    message.expect_line("Test: I am the IM message service, and I have started!!!");
}
