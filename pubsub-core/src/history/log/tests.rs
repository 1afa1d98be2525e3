//! The log's memory bounds: expired entries and idle logs are swept.

use std::time::Duration;

use super::{HistoryStore, Read};
use crate::history::{HistoryConfig, HistoryPolicy, Position};
use crate::message::Message;
use crate::topic::Topic;

fn message() -> Message {
    Message::from_json("t", "e", "{}")
}

#[test]
fn idle_logs_and_expired_entries_are_swept_so_memory_follows_activity() {
    let config = HistoryConfig::new().prefix("h:", HistoryPolicy::new(10, Duration::from_secs(1)));
    let store = HistoryStore::new(config, true);
    let policy = HistoryPolicy::new(10, Duration::from_secs(1));
    for i in 0..500 {
        let topic = Topic::new(format!("h:{i}")).unwrap();
        for _ in 0..20 {
            store.append(&topic, &message(), policy, |_| ());
        }
    }
    assert_eq!(store.log_count(), 500);
    assert_eq!(store.entry_count(), 500 * 10, "each log keeps its size");
    std::thread::sleep(Duration::from_millis(2_100));
    // Writes to other topics sweep their shards: every old log is gone.
    for i in 0..2_000 {
        let topic = Topic::new(format!("h:new:{i}")).unwrap();
        store.append(&topic, &message(), policy, |_| ());
    }
    assert_eq!(store.log_count(), 2_000, "only the new topics' logs remain");
}

#[test]
fn a_mirror_reads_what_it_holds_and_asks_for_the_rest() {
    let config = HistoryConfig::new().prefix("h:", HistoryPolicy::new(3, Duration::from_secs(60)));
    let store = HistoryStore::new(config, false);
    let policy = HistoryPolicy::new(3, Duration::from_secs(60));
    let topic = Topic::new("h:m").unwrap();
    let epoch = crate::history::Epoch::new(4);
    for offset in 10..15 {
        let at = Position::new(offset, epoch);
        store.mirror(&topic, &message().with_position(at), at, policy, |_, _| ());
    }
    // Holds 12, 13, 14.
    assert!(
        matches!(store.read_after(&topic, Position::new(11, epoch), None), Read::Entries(e) if e.len() == 3)
    );
    assert!(matches!(
        store.read_after(&topic, Position::new(10, epoch), None),
        Read::Missing
    ));
    assert!(matches!(
        store.read_after(
            &topic,
            Position::new(11, crate::history::Epoch::new(5)),
            None
        ),
        Read::Missing
    ));
}
