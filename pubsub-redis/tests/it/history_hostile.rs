//! Hostile input on topics with history: forged positions on the channel, garbage written
//! into a topic's stream or meta hash. Skipped and counted, bounded, never a panic, never a
//! recovery that looks complete when it is not, and publishing goes on.

use pubsub_core::history::{Epoch, Position, Recovery, Since, Unrecoverable};
use pubsub_core::testing::{suite_history, unique_topic};
use pubsub_core::{Broker, Topic};
use pubsub_redis::{ChannelMode, RedisBroker};
use redis::aio::MultiplexedConnection;

use crate::history::{next_positioned, numbered, subscribed_with};
use crate::server::{Target, config, raw, unique_namespace};

async fn node(url: &str, mode: ChannelMode, size: usize) -> RedisBroker {
    let mut config = config(url, &unique_namespace(), mode);
    config.history = suite_history(size);
    RedisBroker::connect(config).await.expect("node")
}

/// A forged envelope of `topic` claiming `offset` in `epoch`.
fn forged_at(topic: &Topic, offset: u64, epoch: Epoch) -> String {
    forged(topic, &format!(r#","offset":{offset},"epoch":"{epoch}""#))
}

fn forged(topic: &Topic, position_fields: &str) -> String {
    format!(
        r#"{{"v":1{position_fields},"topic":"{}","domain":"conformance","event":"numbered","payload":{{"seq":1,"label":"forged"}}}}"#,
        topic.as_str()
    )
}

/// Position fields that are not a position, each with the counter it must land in.
const BAD_POSITIONS: &[(&str, &str)] = &[
    (r#","offset":3"#, "position"),
    (r#","epoch":"00000000000000aa""#, "position"),
    (r#","offset":0,"epoch":"00000000000000aa""#, "position"),
    (r#","offset":3,"epoch":"xyz""#, "position"),
    (r#","offset":3,"epoch":"00000000000000aaa""#, "position"),
    (r#","offset":3,"epoch":"0x000000000000aa""#, "position"),
    (r#","offset":"3","epoch":"00000000000000aa""#, "malformed"),
    (r#","offset":-3,"epoch":"00000000000000aa""#, "malformed"),
    (r#","offset":1.5,"epoch":"00000000000000aa""#, "malformed"),
    (
        r#","offset":99999999999999999999999,"epoch":"00000000000000aa""#,
        "malformed",
    ),
    (r#","offset":3,"epoch":170"#, "malformed"),
];

async fn forged_positions_on_the_channel(mode: ChannelMode) {
    let target = Target::new();
    let node = node(target.url(), mode, 100).await;
    let topic = unique_topic("forged");
    let mut sub = node.subscribe(&topic).await.expect("subscribe");
    node.publish(&topic, numbered(0, "real"))
        .await
        .expect("publish");
    let (_, _, first) = next_positioned(&mut sub).await;
    let channel = node.config().channel_for(&topic);
    let mut conn = raw(target.url()).await;
    let rounds = 2_000;
    for _ in 0..rounds {
        let mut pipe = redis::pipe();
        for (fields, _) in BAD_POSITIONS {
            pipe.cmd("PUBLISH")
                .arg(&channel)
                .arg(forged(&topic, fields))
                .ignore();
        }
        pipe.query_async::<()>(&mut conn).await.expect("pipeline");
    }
    node.publish(&topic, numbered(1, "real"))
        .await
        .expect("publish");
    let (seq, label, position) = next_positioned(&mut sub).await;
    assert_eq!(
        (seq, label.as_str()),
        (1, "real"),
        "the forged ones were all skipped"
    );
    assert_eq!(position, Position::new(first.offset + 1, first.epoch));
    let stats = node.stats();
    assert_eq!(
        (stats.reconnects, stats.ping_failures),
        (0, 0),
        "the flood must not cost the connection: {stats:?}"
    );
    let per_round = |kind: &str| BAD_POSITIONS.iter().filter(|(_, k)| *k == kind).count() as u64;
    assert_eq!(
        stats.rejected_position,
        per_round("position") * rounds,
        "{stats:?}"
    );
    assert_eq!(
        stats.rejected_malformed,
        per_round("malformed") * rounds,
        "{stats:?}"
    );
    assert_eq!(
        stats.local.gaps, 0,
        "no notice from forged positions: {stats:?}"
    );
    assert!(sub.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_offsets_and_epochs_on_the_channel_are_skipped_and_counted_in_namespace_mode() {
    let _heavy = crate::heavy().await;
    forged_positions_on_the_channel(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_offsets_and_epochs_on_the_channel_are_skipped_and_counted_in_per_topic_mode() {
    let _heavy = crate::heavy().await;
    forged_positions_on_the_channel(ChannelMode::PerTopic).await;
}

async fn xadd(conn: &mut MultiplexedConnection, stream: &str, id: &str, fields: &[(&str, &str)]) {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(stream).arg(id);
    for (field, value) in fields {
        cmd.arg(field).arg(value);
    }
    cmd.query_async::<String>(conn).await.expect("XADD");
}

async fn publish_range(node: &RedisBroker, topic: &Topic, seqs: std::ops::Range<u64>) {
    for seq in seqs {
        node.publish(topic, numbered(seq, "real"))
            .await
            .expect("publish");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_in_a_topics_stream_is_skipped_counted_and_never_makes_a_partial_recovery() {
    let target = Target::new();
    let node = node(target.url(), ChannelMode::Namespace, 100).await;
    let topic = unique_topic("stream-garbage");
    let other = unique_topic("other");
    let (mut sub, positions) = subscribed_with(&node, &topic, 5).await;
    let epoch = positions[0].epoch;
    let (stream, _) = node.config().history_keys(&topic);
    let mut conn = raw(target.url()).await;
    let envelope = |topic: &Topic, offset: u64| forged_at(topic, offset, epoch);
    // Between real entries: a second entry at offset 5, not JSON; one without the envelope
    // field; one of another topic claiming offset 5; one whose envelope says offset 4.
    xadd(&mut conn, &stream, "5-2", &[("e", "not json")]).await;
    xadd(&mut conn, &stream, "5-3", &[("x", "y")]).await;
    xadd(&mut conn, &stream, "5-4", &[("e", &envelope(&other, 5))]).await;
    xadd(&mut conn, &stream, "5-5", &[("e", &envelope(&topic, 4))]).await;
    publish_range(&node, &topic, 5..7).await;
    let before = node.stats().rejected();
    let (mut resumed, recovery) = node
        .subscribe_from(&topic, Since::After(positions[2]))
        .await
        .expect("subscribe from");
    assert_eq!(
        recovery,
        Recovery::Recovered { count: 4 },
        "offsets 4, 5, 6, 7; garbage skipped"
    );
    for seq in 3..7 {
        assert_eq!(next_positioned(&mut resumed).await.0, seq);
    }
    let stats = node.stats();
    assert_eq!(stats.rejected() - before, 4, "{stats:?}");

    // A forged entry that claims the next offset's id: the next publish cannot append after
    // it, starts the stream again and goes on; a recovery across the reset is refused whole.
    xadd(&mut conn, &stream, "8-1", &[("e", &envelope(&topic, 8))]).await;
    // And one far ahead (an id made by `*`): the same.
    xadd(&mut conn, &stream, "*", &[("e", "junk")]).await;
    publish_range(&node, &topic, 7..9).await;
    let (_, recovery) = node
        .subscribe_from(&topic, Since::After(positions[2]))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::TooOld));
    // What came after the reset is kept: the latest message recovers.
    let (mut latest, recovery) = node
        .subscribe_from(&topic, Since::After(Position::new(8, epoch)))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 1 });
    assert_eq!(
        next_positioned(&mut latest).await.2,
        Position::new(9, epoch)
    );
    // Publishing went on throughout, in one epoch, one offset each.
    let mut offsets = Vec::new();
    for _ in 5..9 {
        offsets.push(next_positioned(&mut sub).await.2);
    }
    assert_eq!(
        offsets,
        (6..=9).map(|o| Position::new(o, epoch)).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_garbage_stream_entries_costs_a_recovery_at_most_its_bound() {
    let _heavy = crate::heavy().await;
    let target = Target::new();
    let node = node(target.url(), ChannelMode::Namespace, 100).await;
    let topic = unique_topic("stream-flood");
    let (_sub, positions) = subscribed_with(&node, &topic, 10).await;
    let (stream, _) = node.config().history_keys(&topic);
    let mut conn = raw(target.url()).await;
    let mut pipe = redis::pipe();
    for i in 2..5_002 {
        pipe.cmd("XADD")
            .arg(&stream)
            .arg(format!("10-{i}"))
            .arg("e")
            .arg(r#"{"v":1,"topic":"x","offset":"#)
            .ignore();
    }
    pipe.query_async::<()>(&mut conn).await.expect("pipeline");
    let before = node.stats().rejected();
    let (mut resumed, recovery) = node
        .subscribe_from(&topic, Since::After(positions[4]))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 5 });
    for seq in 5..10 {
        assert_eq!(next_positioned(&mut resumed).await.0, seq);
    }
    let skipped = node.stats().rejected() - before;
    assert_eq!(skipped, 101 - 5, "at most size + 1 entries are read");
    // The next publish trims the stream back to about its size (`MAXLEN ~`).
    publish_range(&node, &topic, 10..11).await;
    let len: u64 = redis::cmd("XLEN")
        .arg(&stream)
        .query_async(&mut conn)
        .await
        .expect("XLEN");
    assert!(
        (100..=200).contains(&len),
        "trimmed to about its size: {len}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_meta_hash_starts_a_new_epoch_and_publishing_goes_on() {
    let target = Target::new();
    let node = node(target.url(), ChannelMode::PerTopic, 100).await;
    let topic = unique_topic("meta-garbage");
    let mut sub = node.subscribe(&topic).await.expect("subscribe");
    let (_, meta) = node.config().history_keys(&topic);
    let mut conn = raw(target.url()).await;
    let damage: [&[&str]; 4] = [
        &["HSET", &meta, "epoch", "not an epoch"],
        &["HSET", &meta, "offset", "abc"],
        &["HSET", &meta, "offset", "-7"],
        &["SET", &meta, "a string"],
    ];
    let mut seq = 0;
    for command in damage {
        node.publish(&topic, numbered(seq, "real"))
            .await
            .expect("publish");
        let (_, _, seen) = next_positioned(&mut sub).await;
        seq += 1;
        let mut cmd = redis::cmd(command[0]);
        for arg in &command[1..] {
            cmd.arg(*arg);
        }
        cmd.query_async::<()>(&mut conn).await.expect("damage");
        node.publish(&topic, numbered(seq, "real"))
            .await
            .expect("publish after damage");
        seq += 1;
        let (_, _, next) = next_positioned(&mut sub).await;
        assert_ne!(next.epoch, seen.epoch, "{command:?}: a new epoch");
        assert_eq!(next.offset, 1, "{command:?}");
        let (_, recovery) = node
            .subscribe_from(&topic, Since::After(seen))
            .await
            .expect("subscribe from");
        assert_eq!(
            recovery,
            Recovery::Unrecoverable(Unrecoverable::EpochChanged),
            "{command:?}"
        );
    }
}

/// Forged entries ahead of the latest offset (ids the next publishes will reach): of another
/// topic, or whose envelope's offset does not match its id. Skipped and counted by a read
/// before the next publish, which then starts the stream again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_entries_ahead_of_the_latest_offset_are_skipped_by_reads() {
    let target = Target::new();
    let node = node(target.url(), ChannelMode::Namespace, 100).await;
    let topic = unique_topic("ahead");
    let other = unique_topic("other");
    let (mut sub, positions) = subscribed_with(&node, &topic, 7).await;
    let epoch = positions[0].epoch;
    let (stream, _) = node.config().history_keys(&topic);
    let mut conn = raw(target.url()).await;
    let envelope = |topic: &Topic, offset: u64| forged_at(topic, offset, epoch);
    xadd(&mut conn, &stream, "9-1", &[("e", &envelope(&other, 9))]).await;
    xadd(&mut conn, &stream, "10-1", &[("e", &envelope(&topic, 11))]).await;
    let before = node.stats();
    let (mut resumed, recovery) = node
        .subscribe_from(&topic, Since::After(positions[4]))
        .await
        .expect("subscribe from");
    assert_eq!(recovery, Recovery::Recovered { count: 2 });
    for seq in 5..7 {
        assert_eq!(next_positioned(&mut resumed).await.0, seq);
    }
    let after = node.stats();
    assert_eq!(after.rejected_topic - before.rejected_topic, 1, "{after:?}");
    assert_eq!(
        after.rejected_position - before.rejected_position,
        1,
        "{after:?}"
    );
    // Publishing goes on (the stream starts again at the next offset).
    publish_range(&node, &topic, 7..8).await;
    assert_eq!(
        next_positioned(&mut sub).await.2,
        Position::new(8, epoch),
        "the next offset, same epoch"
    );
}
