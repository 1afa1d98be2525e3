//! History and recovery on the in-memory broker and on a backend node's mirror: what the
//! conformance cases cannot reach (own messages, tenants, typed positions, expiry, the mirror's
//! duplicate and hole rules), and a property test of the accounting.

use std::time::Duration;

use proptest::prelude::*;
use pubsub_core::backend::{Node, Resume};
use pubsub_core::history::{
    Epoch, HistoryConfig, HistoryPolicy, Position, Recovery, Since, Unrecoverable,
};
use pubsub_core::testing::TestEvent;
use pubsub_core::{
    Broker, BrokerExt, Delivery, MemoryBroker, Message, Scoped, Subscription, TenantKey, Topic,
    TryRecvError, TypedTopic,
};

fn config(size: usize) -> HistoryConfig {
    HistoryConfig::new().prefix("h:", HistoryPolicy::new(size, Duration::from_secs(60)))
}

fn broker(capacity: usize, size: usize) -> MemoryBroker {
    MemoryBroker::builder()
        .capacity(capacity)
        .history(config(size))
        .build()
}

fn numbered(seq: u64) -> Message {
    Message::new(TestEvent::Numbered {
        seq,
        label: String::new(),
    })
}

fn seq_of(message: &Message) -> u64 {
    let TestEvent::Numbered { seq, .. } = &*message.decode::<TestEvent>().unwrap();
    *seq
}

/// Every delivery ready now.
fn drain(sub: &mut Subscription) -> Vec<Delivery<Message>> {
    let mut out = Vec::new();
    loop {
        match sub.try_recv() {
            Ok(delivery) => out.push(delivery),
            Err(TryRecvError::Empty | TryRecvError::Closed) => return out,
        }
    }
}

fn offsets(deliveries: &[Delivery<Message>]) -> Vec<u64> {
    deliveries
        .iter()
        .map(|d| match d {
            Delivery::Message(m) => m.position().unwrap().offset,
            other => panic!("expected only messages, got {other:?}"),
        })
        .collect()
}

#[test]
fn a_subscriber_never_gets_its_own_messages_back_from_a_recovery() {
    let broker = broker(64, 100);
    let topic = Topic::new("h:doc:1").unwrap();
    let mut me = broker.subscribe_now(&topic);
    let mut other = broker.subscribe_now(&topic);
    for seq in 0..6 {
        let message = numbered(seq);
        let message = if seq % 2 == 0 {
            message.with_origin(me.id())
        } else {
            message
        };
        broker.publish_now(&topic, &message);
    }
    assert_eq!(offsets(&drain(&mut other)), [1, 2, 3, 4, 5, 6]);
    assert_eq!(offsets(&drain(&mut me)), [2, 4, 6]);
    // Adding the topic again from the start on the same subscription: nothing of its own.
    assert!(broker.remove_topic(&mut me, &topic));
    let start = Position::new(0, me_epoch(&broker, &topic));
    let recovery = broker
        .add_topic_from_now(&mut me, &topic, Since::After(start))
        .unwrap();
    assert_eq!(recovery, Recovery::Recovered { count: 3 });
    assert_eq!(offsets(&drain(&mut me)), [2, 4, 6]);
}

fn me_epoch(broker: &MemoryBroker, topic: &Topic) -> Epoch {
    let (mut probe, _) = broker.subscribe_from_now(topic, Since::Latest);
    match probe.try_recv() {
        Ok(Delivery::Message(m)) => m.position().unwrap().epoch,
        other => panic!("expected the latest message, got {other:?}"),
    }
}

#[test]
fn a_lag_recovers_from_the_history_and_is_counted_and_beyond_it_is_an_exact_notice() {
    // Capacity 4: the topic's ring keeps 4; the history keeps 20.
    let broker = broker(4, 20);
    let topic = Topic::new("h:feed").unwrap();
    let mut sub = broker.subscribe_now(&topic);
    for seq in 0..15 {
        broker.publish_now(&topic, &numbered(seq));
    }
    assert_eq!(offsets(&drain(&mut sub)), (1..=15).collect::<Vec<_>>());
    assert_eq!(broker.stats().recoveries, 1);
    assert_eq!(broker.stats().lagged, 0);
    // 30 behind with a history of 20: the exact notice, then the oldest kept, as without history.
    for seq in 15..45 {
        broker.publish_now(&topic, &numbered(seq));
    }
    let got = drain(&mut sub);
    assert_eq!(got[0], Delivery::Lagged(26));
    assert_eq!(offsets(&got[1..]), (42..=45).collect::<Vec<_>>());
}

#[test]
fn the_history_keeps_at_most_its_size_and_refuses_whole_beyond_it() {
    let broker = broker(64, 10);
    let topic = Topic::new("h:big").unwrap();
    let mut sub = broker.subscribe_now(&topic);
    for seq in 0..1000 {
        broker.publish_now(&topic, &numbered(seq));
    }
    let epoch = drain(&mut sub)
        .last()
        .and_then(|d| d.clone().message())
        .and_then(|m| m.position())
        .unwrap()
        .epoch;
    let (mut ok, recovery) =
        broker.subscribe_from_now(&topic, Since::After(Position::new(990, epoch)));
    assert_eq!(recovery, Recovery::Recovered { count: 10 });
    assert_eq!(offsets(&drain(&mut ok)), (991..=1000).collect::<Vec<_>>());
    let (mut refused, recovery) =
        broker.subscribe_from_now(&topic, Since::After(Position::new(989, epoch)));
    assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::TooOld));
    assert!(drain(&mut refused).is_empty(), "never a partial replay");
    let (_, recovery) = broker.subscribe_from_now(&topic, Since::After(Position::new(1001, epoch)));
    assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::Ahead));
    let (_, recovery) =
        broker.subscribe_from_now(&topic, Since::After(Position::new(995, Epoch::new(1))));
    assert_eq!(
        recovery,
        Recovery::Unrecoverable(Unrecoverable::EpochChanged)
    );
}

#[test]
fn messages_older_than_the_max_age_are_not_recovered() {
    let config = HistoryConfig::new().prefix("h:", HistoryPolicy::new(100, Duration::from_secs(1)));
    let broker = MemoryBroker::builder().history(config).build();
    let topic = Topic::new("h:old").unwrap();
    let mut sub = broker.subscribe_now(&topic);
    broker.publish_now(&topic, &numbered(0));
    broker.publish_now(&topic, &numbered(1));
    let first = offsets(&drain(&mut sub));
    assert_eq!(first, [1, 2]);
    let epoch = sub.position(&topic).unwrap().epoch;
    std::thread::sleep(Duration::from_millis(1_100));
    let (_, recovery) = broker.subscribe_from_now(&topic, Since::After(Position::new(1, epoch)));
    assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::TooOld));
    let (_, recovery) = broker.subscribe_from_now(&topic, Since::Latest);
    assert_eq!(
        recovery,
        Recovery::Recovered { count: 0 },
        "expired: no latest"
    );
}

#[test]
fn typed_events_carry_their_positions_and_tenant_handles_forward_recovery() {
    let inner = broker(64, 100);
    let acme = Scoped::new(inner.clone(), TenantKey::new("acme").unwrap());
    let topic = TypedTopic::<TestEvent>::new(Topic::new("h:doc:9").unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut sub = acme.subscribe_events(&topic).await.unwrap();
        for seq in 0..3 {
            acme.publish_event(
                &topic,
                TestEvent::Numbered {
                    seq,
                    label: String::new(),
                },
            )
            .await
            .unwrap();
        }
        let mut last = None;
        for offset in 1..=3 {
            let Some(Delivery::Message(event)) = sub.recv().await else {
                panic!()
            };
            let _ = event;
            assert_eq!(sub.last_position().map(|p| p.offset), Some(offset));
            last = sub.last_position();
        }
        assert_eq!(sub.position(&topic), last);
        acme.publish_event(
            &topic,
            TestEvent::Numbered {
                seq: 3,
                label: String::new(),
            },
        )
        .await
        .unwrap();
        let (mut again, recovery) = acme
            .subscribe_events_from(&topic, Since::After(last.unwrap()))
            .await
            .unwrap();
        assert_eq!(recovery, Recovery::Recovered { count: 1 });
        assert_eq!(again.get_ref().scope().map(TenantKey::as_str), Some("acme"));
        let Some(Delivery::Message(_event)) = again.recv().await else {
            panic!()
        };
        assert_eq!(again.last_position().map(|p| p.offset), Some(4));
        // The scoped topic is the one that keeps history on the inner broker.
        assert_eq!(inner.topics()[0].as_str(), "h:org:acme:doc:9");
    });
}

#[test]
fn adding_a_topic_already_held_from_a_position_changes_nothing() {
    let broker = broker(64, 100);
    let topic = Topic::new("h:held").unwrap();
    let mut sub = broker.subscribe_now(&topic);
    broker.publish_now(&topic, &numbered(0));
    let epoch = match sub.try_recv() {
        Ok(Delivery::Message(m)) => m.position().unwrap().epoch,
        other => panic!("{other:?}"),
    };
    let recovery = broker
        .add_topic_from_now(&mut sub, &topic, Since::After(Position::new(0, epoch)))
        .unwrap();
    assert_eq!(recovery, Recovery::Live);
    assert!(drain(&mut sub).is_empty(), "nothing replayed twice");
}

#[test]
fn a_node_mirror_drops_duplicates_and_tells_about_holes_and_lost_epochs() {
    let node = Node::builder().history(config(100)).build();
    let topic = Topic::new("h:mirror").unwrap();
    let (e1, e2, e3) = (Epoch::new(1), Epoch::new(2), Epoch::new(3));
    let at = |offset, epoch| numbered(offset).with_position(Position::new(offset, epoch));
    let mut sub = node.subscribe(&topic).unwrap();
    assert_eq!(node.deliver(&topic, &at(1, e1)), 1);
    assert_eq!(node.deliver(&topic, &at(2, e1)), 1);
    assert_eq!(
        node.deliver(&topic, &at(2, e1)),
        0,
        "a duplicate is dropped"
    );
    assert_eq!(node.deliver(&topic, &at(1, e1)), 0, "an older one too");
    assert_eq!(node.history_position(&topic), Some(Position::new(2, e1)));
    assert_eq!(offsets(&drain(&mut sub)), [1, 2]);
    // A hole: a gap notice, then the message.
    node.deliver(&topic, &at(5, e1));
    let got = drain(&mut sub);
    assert_eq!(got[0], Delivery::Gap);
    assert_eq!(offsets(&got[1..]), [5]);
    // A new epoch from its first message: nothing was lost in it.
    node.deliver(&topic, &at(1, e2));
    assert_eq!(offsets(&drain(&mut sub)), [1]);
    // A new epoch from its fifth message: its first four were missed.
    node.deliver(&topic, &at(5, e3));
    let got = drain(&mut sub);
    assert_eq!(got[0], Delivery::Gap);
    assert_eq!(offsets(&got[1..]), [5]);
    // A message without a position on a history topic is delivered as it is.
    assert_eq!(node.deliver(&topic, &numbered(9)), 1);
    assert!(matches!(&drain(&mut sub)[..], [Delivery::Message(m)] if m.position().is_none()));
}

#[test]
fn a_flood_of_forged_positions_ahead_costs_gap_notices_never_the_real_messages() {
    let node = Node::builder().history(config(100)).build();
    let topic = Topic::new("h:forged").unwrap();
    let epoch = Epoch::new(1);
    let at = |offset| numbered(offset).with_position(Position::new(offset, epoch));
    let mut sub = node.subscribe(&topic).unwrap();
    node.deliver(&topic, &at(1));
    assert_eq!(offsets(&drain(&mut sub)), [1]);
    // Someone who can publish on the channel sends well-formed positions far ahead, between
    // every real message.
    let mut real = Vec::new();
    for offset in 2..1_002 {
        node.deliver(&topic, &at(1_000_000 + offset));
        assert_eq!(
            node.deliver(&topic, &at(offset)),
            1,
            "the real message {offset} is delivered"
        );
        for delivery in drain(&mut sub) {
            if let Delivery::Message(m) = delivery {
                real.extend(m.position().map(|p| p.offset).filter(|o| *o < 1_000_000));
            }
        }
    }
    assert_eq!(
        real,
        (2..1_002).collect::<Vec<_>>(),
        "every real message, in order, once"
    );
    assert_eq!(
        node.history_position(&topic),
        Some(Position::new(1_001, epoch))
    );
}

#[test]
fn a_node_asks_for_what_its_mirror_lacks_and_replays_only_a_contiguous_fetch() {
    let node = Node::builder().history(config(100)).build();
    let topic = Topic::new("h:fetch").unwrap();
    let epoch = Epoch::new(7);
    let at = |offset| numbered(offset).with_position(Position::new(offset, epoch));
    let after = Position::new(3, epoch);
    let (mut sub, resume) = node.subscribe_from(&topic, Since::After(after)).unwrap();
    assert_eq!(resume, Resume::Fetch(Some(after)));
    // A fetch with a hole is refused whole.
    let recovery = node.replay(&mut sub, &topic, Some(after), Ok(vec![at(4), at(6)]));
    assert_eq!(recovery, Recovery::Unrecoverable(Unrecoverable::TooOld));
    assert!(drain(&mut sub).is_empty());
    // A contiguous one is replayed, and a live duplicate of it is skipped.
    let recovery = node.replay(&mut sub, &topic, Some(after), Ok(vec![at(4), at(5)]));
    assert_eq!(recovery, Recovery::Recovered { count: 2 });
    node.deliver(&topic, &at(5));
    node.deliver(&topic, &at(6));
    assert_eq!(offsets(&drain(&mut sub)), [4, 5, 6]);
    // Once the mirror holds it, the node serves it itself.
    let (mut local, resume) = node
        .subscribe_from(&topic, Since::After(Position::new(5, epoch)))
        .unwrap();
    assert_eq!(resume, Resume::Done(Recovery::Recovered { count: 1 }));
    assert_eq!(offsets(&drain(&mut local)), [6]);
    let (_, resume) = node
        .subscribe_from(&topic, Since::After(Position::new(2, epoch)))
        .unwrap();
    assert_eq!(
        resume,
        Resume::Fetch(Some(Position::new(2, epoch))),
        "older than the mirror"
    );
}

#[test]
fn republishing_a_received_message_gives_it_a_new_position() {
    let broker = broker(64, 100);
    let (a, b) = (Topic::new("h:a").unwrap(), Topic::new("plain:b").unwrap());
    let mut on_a = broker.subscribe_now(&a);
    let mut on_b = broker.subscribe_now(&b);
    broker.publish_now(&a, &numbered(0));
    broker.publish_now(&a, &numbered(1));
    let got = drain(&mut on_a);
    let received = got[1].clone().message().unwrap();
    assert_eq!(received.position().map(|p| p.offset), Some(2));
    broker.publish_now(&b, &received);
    let got = drain(&mut on_b);
    assert!(
        matches!(&got[..], [Delivery::Message(m)] if m.position().is_none()),
        "no history here"
    );
    broker.publish_now(&a, &received);
    assert_eq!(offsets(&drain(&mut on_a)), [3]);
}

#[derive(Debug, Clone)]
enum Op {
    Publish(u8),
    Read(u8),
    Resubscribe,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u8..12).prop_map(Op::Publish),
        (1u8..12).prop_map(Op::Read),
        Just(Op::Resubscribe),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the capacity, history size and interleaving of publishes, reads and resubscribes
    /// from the last position seen: offsets only grow, consecutive ones follow each other unless
    /// a lag notice says exactly how many are missing between, and a resubscribe either replays
    /// exactly what followed or says it cannot.
    #[test]
    fn recovery_accounting_is_exact(
        capacity in 1usize..8,
        size in 1usize..24,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let broker = broker(capacity, size);
        let topic = Topic::new("h:prop").unwrap();
        let mut sub = broker.subscribe_now(&topic);
        let mut last: Option<Position> = sub.position(&topic);
        let mut published = 0u64;
        for op in ops {
            match op {
                Op::Publish(n) => for _ in 0..n {
                    broker.publish_now(&topic, &numbered(published));
                    published += 1;
                },
                Op::Read(n) => for _ in 0..n {
                    match sub.try_recv() {
                        Ok(Delivery::Message(m)) => {
                            let at = m.position().unwrap();
                            prop_assert_eq!(seq_of(&m), at.offset - 1);
                            if let Some(last) = last {
                                prop_assert_eq!(at.epoch, last.epoch);
                                prop_assert_eq!(at.offset, last.offset + 1, "no hole, no duplicate");
                            }
                            last = Some(at);
                        }
                        Ok(Delivery::Lagged(n)) => {
                            // Exact: the next message is n past the last one.
                            let Ok(Delivery::Message(m)) = sub.try_recv() else {
                                return Err(TestCaseError::fail("a message follows a notice"));
                            };
                            let at = m.position().unwrap();
                            let before = last.map_or(0, |p| p.offset);
                            prop_assert_eq!(at.offset, before + n + 1);
                            last = Some(at);
                        }
                        Ok(Delivery::Gap) => return Err(TestCaseError::fail("no gaps in memory")),
                        Err(_) => break,
                    }
                },
                Op::Resubscribe => {
                    drop(sub);
                    let since = last.map_or(Since::Now, Since::After);
                    let (again, recovery) = broker.subscribe_from_now(&topic, since);
                    sub = again;
                    match recovery {
                        Recovery::Recovered { count } => {
                            let from = last.map_or(0, |p| p.offset);
                            prop_assert_eq!(count as u64, published - from);
                        }
                        Recovery::Live => prop_assert!(last.is_none()),
                        Recovery::Unrecoverable(why) => {
                            prop_assert_eq!(why, Unrecoverable::TooOld);
                            prop_assert!(published - last.unwrap().offset > size as u64);
                            last = sub.position(&topic);
                        }
                    }
                }
            }
        }
    }
}
