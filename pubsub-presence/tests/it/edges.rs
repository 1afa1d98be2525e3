//! Scenarios a review found: each test failed on the first version of the crate (its doc says
//! what went wrong then) and guards the rule it broke. `Hub` is a broker of several nodes, each
//! with its own local registry, that can lose chosen messages per (sender, receiver) and tell a
//! node of a gap, as a Redis reconnect does.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use pubsub_core::backend::Node as LocalNode;
use pubsub_core::{Broker, Error, MemoryBroker, Message, Subscription, Topic};
use pubsub_presence::{Presence, PresenceConfig, PresenceEvent};

use crate::harness::{Node, View, reaches, state, topic, until};

/// Drops a message on its way to one receiver when it returns true: (from, to, message).
type Rule = Box<dyn Fn(usize, usize, &Message) -> bool + Send + Sync>;

/// A network of nodes, as a Redis backend is: each node has its own local registry, a publish
/// is delivered to every node's registry (its own included), and a receiver can lose chosen
/// messages and then be told of the gap (as a Redis reconnect does).
#[derive(Default)]
struct Hub {
    nodes: Mutex<Vec<LocalNode>>,
    drop_rule: Mutex<Option<Rule>>,
}

#[derive(Clone)]
struct Net {
    hub: Arc<Hub>,
    me: usize,
    local: LocalNode,
}

impl Hub {
    fn join(self: &Arc<Self>) -> Net {
        let local = LocalNode::builder().build();
        let mut nodes = self.nodes.lock().expect("lock");
        nodes.push(local.clone());
        Net {
            hub: Arc::clone(self),
            me: nodes.len() - 1,
            local,
        }
    }

    fn lose(&self, rule: impl Fn(usize, usize, &Message) -> bool + Send + Sync + 'static) {
        *self.drop_rule.lock().expect("lock") = Some(Box::new(rule));
    }

    fn stop_losing(&self) {
        *self.drop_rule.lock().expect("lock") = None;
    }
}

#[async_trait]
impl Broker for Net {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        let nodes = self.hub.nodes.lock().expect("lock").clone();
        for (to, node) in nodes.iter().enumerate() {
            let lost = self
                .hub
                .drop_rule
                .lock()
                .expect("lock")
                .as_ref()
                .is_some_and(|rule| rule(self.me, to, &message));
            if !lost {
                node.deliver(topic, &message);
            }
        }
        Ok(())
    }

    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        self.local.subscribe(topic)
    }

    async fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.local.add_topic(subscription, topic).map(drop)
    }

    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        self.local.remove_topic(subscription, topic)
    }
}

/// B misses A's last leave on a topic (A's entries there become empty, so A's clock for it
/// restarts at 0), then B's subscription reports a gap, as a Redis reconnect does. B resyncs:
/// A answers `state {clock: 0, entries: []}`, which B ignores as older than its clock of A.
/// Ada stays on B's follower and in B's list while A lives: a zombie.
#[tokio::test]
async fn a_missed_leave_is_repaired_by_the_owners_empty_state_after_a_resync() {
    let hub = Arc::new(Hub::default());
    let (net_a, net_b) = (hub.join(), hub.join());
    let b_local = net_b.local.clone();
    let a = crate::harness::fast_node(net_a).await;
    let b = crate::harness::fast_node(net_b).await;
    let page = topic("projects:1");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    let ada = a.track(&page, "ada", &1).await.expect("track");
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    // A's next diff (ada's leave) does not reach B.
    hub.lose(|from, to, message| from == 0 && to == 1 && message.name() == "diff");
    drop(ada);
    tokio::time::sleep(Duration::from_millis(100)).await;
    hub.stop_losing();
    // B is told it may have lost messages: it asks every node for its state again.
    assert!(b_local.notify_gap_all() > 0);
    let gone = reaches(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.0.is_empty()
    })
    .await
    .is_some();
    let listed = b.list::<u32>(&page).await.expect("list");
    assert!(b.stats().resyncs >= 1, "{:?}", b.stats());
    assert!(
        gone && listed.is_empty(),
        "ada left A long ago (A is alive, with nothing on the topic), yet B still lists {:?}",
        listed.keys().collect::<Vec<_>>()
    );
    drop(a);
}

/// B detects a hole in A's diffs and asks A for its state; that one sync is lost (its publish
/// failed, or it was dropped on the way). A stays in B's `asked` set forever, so no later hole
/// asks again: B's copy of A stays wrong while both live, whatever A does next.
#[tokio::test]
async fn a_lost_sync_after_a_hole_is_asked_again() {
    let hub = Arc::new(Hub::default());
    let (net_a, net_b) = (hub.join(), hub.join());
    let a = crate::harness::fast_node(net_a).await;
    let b = crate::harness::fast_node(net_b).await;
    let page = topic("projects:2");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    // One diff of A is lost on B, and so is B's sync that the next diff triggers.
    hub.lose(|from, to, message| from == 0 && to == 1 && message.name() == "diff");
    let _bob = a.track(&page, "bob", &1).await.expect("track");
    tokio::time::sleep(Duration::from_millis(60)).await;
    hub.lose(|from, _, message| from == 1 && message.name() == "sync");
    let _cy = a.track(&page, "cy", &1).await.expect("track"); // B: a hole; its sync is lost
    tokio::time::sleep(Duration::from_millis(60)).await;
    hub.stop_losing();
    // From now on nothing is lost, and A keeps changing the topic.
    let mut keep = Vec::new();
    for key in ["dan", "eve", "fay"] {
        keep.push(a.track(&page, key, &1).await.expect("track"));
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let caught_up = reaches(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada", "bob", "cy", "dan", "eve", "fay"]
    })
    .await
    .is_some();
    assert!(
        caught_up,
        "B still shows {:?} after 3 more diffs of A ({:?})",
        view.keys(),
        b.stats()
    );
}

/// With `max_per_topic` presences of A on a topic, A updates one of them: B refuses the diff
/// (it counts the replaced entry as a new one: count + joins > max) and never shows the update.
#[tokio::test]
async fn an_update_at_max_per_topic_reaches_the_other_nodes() {
    let broker = MemoryBroker::new();
    let mut config = PresenceConfig::fast();
    config.max_per_topic = 1;
    let a = Presence::start(Node::on(&broker), config.clone())
        .await
        .expect("start");
    let b = Presence::start(Node::on(&broker), config)
        .await
        .expect("start");
    let page = topic("projects:3");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    view.apply(&PresenceEvent::State(state(&mut follow).await));
    let ada = a.track(&page, "ada", &1).await.expect("track");
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    ada.update(&2).expect("update");
    let event = tokio::time::timeout(Duration::from_secs(1), follow.recv()).await;
    let listed = b.list::<u32>(&page).await.expect("list");
    assert!(
        matches!(event, Ok(Some(PresenceEvent::Diff(_)))),
        "no diff for the update; B refused it: {:?}",
        b.stats()
    );
    assert_eq!(
        listed.get("ada").expect("ada")[0].meta,
        2,
        "{:?}",
        b.stats()
    );
}

/// A `list` and a `follow` of a topic wait together for the first sync (here A's answer is
/// lost, so both wait for the sync timeout). The list's own, temporary follower registers first
/// and is dropped at once: it was the only follower, so replication stops (the replica keeps
/// only B's own presences, `replicated` false, `synced` back to false). The follow, woken but
/// not yet registered, sees `synced` false again, waits out its timeout and starts on a topic
/// that no longer replicates: it never gets another node's presence (ada, and bob later).
#[tokio::test]
async fn a_list_ending_while_a_follow_waits_for_the_sync_keeps_replication_on() {
    let hub = Arc::new(Hub::default());
    let (net_a, net_b) = (hub.join(), hub.join());
    let a = crate::harness::fast_node(net_a).await;
    let b = Arc::new(crate::harness::fast_node(net_b).await);
    let page = topic("projects:4");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    tokio::time::sleep(Duration::from_millis(150)).await; // B knows A: its sync waits for A
    // A's answer to the first sync is lost: the list and the follow wait for the timeout.
    hub.lose(|from, to, message| from == 0 && to == 1 && message.name() == "state");
    let list_task = {
        let (b, page) = (Arc::clone(&b), page.clone());
        tokio::spawn(async move { b.list::<u32>(&page).await.expect("list").len() })
    };
    tokio::task::yield_now().await;
    let follower = {
        let (b, page) = (Arc::clone(&b), page.clone());
        tokio::spawn(async move { b.follow::<u32>(&page).await.expect("follow") })
    };
    let listed = list_task.await.expect("list");
    let mut follow = follower.await.expect("follow");
    hub.stop_losing();
    let mut view = View::default();
    view.apply(&PresenceEvent::State(state(&mut follow).await));
    let _bob = a.track(&page, "bob", &1).await.expect("track");
    let caught_up = reaches(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada", "bob"]
    })
    .await
    .is_some();
    assert!(
        caught_up,
        "the list saw {listed}; the follower sees {:?} ({:?})",
        view.keys(),
        b.stats()
    );
}

/// Control for the test above: the same follow, without a list alongside, does catch up.
#[tokio::test]
async fn a_follow_whose_first_answer_is_lost_catches_up_by_a_hole() {
    let hub = Arc::new(Hub::default());
    let (net_a, net_b) = (hub.join(), hub.join());
    let a = crate::harness::fast_node(net_a).await;
    let b = crate::harness::fast_node(net_b).await;
    let page = topic("projects:4");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    tokio::time::sleep(Duration::from_millis(150)).await;
    hub.lose(|from, to, message| from == 0 && to == 1 && message.name() == "state");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    hub.stop_losing();
    let mut view = View::default();
    view.apply(&PresenceEvent::State(state(&mut follow).await));
    let _bob = a.track(&page, "bob", &1).await.expect("track");
    assert!(
        reaches(&mut follow, &mut view, Duration::from_secs(2), |v| {
            v.keys() == ["ada", "bob"]
        })
        .await
        .is_some(),
        "{:?}",
        view.keys()
    );
}

/// A node silent for more than four expiries (a paused process, a frozen VM) is expired and
/// then forgotten by the others. When it speaks again, its heartbeat is that of a new node:
/// nobody asks for its state, so its presences stay missing while it lives (until it changes
/// something on each topic).
#[tokio::test]
async fn a_node_back_after_four_expiries_gets_its_presences_back() {
    let broker = MemoryBroker::new();
    let a_node = Node::on(&broker);
    let a = crate::harness::fast_node(a_node.clone()).await;
    let b = crate::harness::fast_node(Node::on(&broker)).await;
    let page = topic("projects:5");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    a_node.cut.store(true, Ordering::SeqCst); // silent (its publishes go nowhere)
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.0.is_empty()
    })
    .await; // expired on B
    tokio::time::sleep(Duration::from_millis(2_300)).await; // past 4 expiries: forgotten
    a_node.cut.store(false, Ordering::SeqCst); // back
    let back = reaches(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await
    .is_some();
    assert!(b.stats().peers >= 1, "B hears A again: {:?}", b.stats());
    assert!(
        back,
        "A is alive and tracks ada, but B never shows her again: {:?}",
        b.stats()
    );
}

/// Forged diffs from many made-up node ids: each stays under `max_per_topic`, so the topic's
/// replica, the peer table and the followers grow without a bound.
#[tokio::test]
async fn forged_node_ids_do_not_grow_a_topic_past_its_bounds() {
    let broker = MemoryBroker::new();
    let mut config = PresenceConfig::fast();
    config.max_per_topic = 2;
    let watcher = Presence::start(broker.clone(), config)
        .await
        .expect("start");
    let page = topic("projects:6");
    let mut follow = watcher.follow::<u32>(&page).await.expect("follow");
    state(&mut follow).await;
    let wire = topic("$presence:t:projects:6");
    for node in 1..=500u64 {
        let json = format!(
            r#"{{"event":"diff","payload":{{"node":{node},"topic":"projects:6","prev":0,"clock":1,"joins":[{{"key":"k{node}","seq":1,"meta":1}},{{"key":"j{node}","seq":2,"meta":1}}],"leaves":[]}}}}"#
        );
        broker
            .publish(&wire, Message::from_json("presence", "diff", json))
            .await
            .expect("publish");
        if node % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let listed = watcher.list::<u32>(&page).await.expect("list");
    let stats = watcher.stats();
    assert!(
        listed.metas() <= 2 && stats.peers <= 1,
        "max_per_topic = 2, one real node, yet {} presences and {} peers accepted",
        listed.metas(),
        stats.peers
    );
}

/// `PresenceStream::recv` is documented to return `None` once the node shut down; it never
/// does (the followers' senders live in the shared state the stream itself keeps alive).
#[tokio::test]
async fn a_follower_stream_ends_after_shutdown() {
    let presence = crate::harness::fast_node(MemoryBroker::new()).await;
    let page = topic("projects:7");
    let mut follow = presence.follow::<u32>(&page).await.expect("follow");
    state(&mut follow).await;
    presence.shutdown().await;
    let ended = tokio::time::timeout(Duration::from_secs(2), follow.recv()).await;
    assert!(
        matches!(ended, Ok(None)),
        "the stream did not end after shutdown: {ended:?}"
    );
}

/// A state of more than 512 presences travels in parts; the parts carry no index, only `more`.
/// B misses the first part of A's answer (lost, or B subscribed while A was answering another
/// node's sync) and takes the remaining part as A's whole state: B's follower starts with 88 of
/// A's 600 presences, as if the other 512 had left.
#[tokio::test]
async fn a_state_missing_its_first_part_is_not_taken_as_complete() {
    let hub = Arc::new(Hub::default());
    let (net_a, net_b) = (hub.join(), hub.join());
    let a = crate::harness::fast_node(net_a).await;
    let b = crate::harness::fast_node(net_b).await;
    let page = topic("projects:8");
    let mut guards = Vec::new();
    for i in 0..600 {
        guards.push(
            a.track(&page, &format!("u{i:03}"), &1)
                .await
                .expect("track"),
        );
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let first_part = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let once = Arc::clone(&first_part);
    hub.lose(move |from, to, message| {
        from == 0 && to == 1 && message.name() == "state" && once.swap(false, Ordering::SeqCst)
    });
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let first = state(&mut follow).await;
    assert!(!first_part.load(Ordering::SeqCst), "a part was dropped");
    assert!(
        first.is_empty() || first.len() == 600,
        "B's follower starts with {} of A's 600 presences, taken as A's whole state",
        first.len()
    );
}

/// Every resync (a broker notice: a Redis reconnect, a lag) gives every peer a fresh expiry
/// window. A node that crashed is then never expired while notices come more often than the
/// expiry (a flapping connection, a node that lags every few seconds): its presences stay.
#[tokio::test]
async fn frequent_broker_notices_do_not_keep_a_crashed_nodes_presences() {
    let hub = Arc::new(Hub::default());
    let (net_a, net_b) = (hub.join(), hub.join());
    let b_local = net_b.local.clone();
    let a = crate::harness::fast_node(net_a).await;
    let b = crate::harness::fast_node(net_b).await;
    let page = topic("projects:9");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    assert!(
        reaches(&mut follow, &mut view, Duration::from_secs(2), |v| {
            v.keys() == ["ada"]
        })
        .await
        .is_some()
    );
    // A crashes: nothing of it reaches anyone any more.
    hub.lose(|from, _, _| from == 0);
    std::mem::forget(a);
    // B's connection flaps every 300 ms, for 3 s (6 expiries).
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        b_local.notify_gap_all();
    }
    let listed = b.list::<u32>(&page).await.expect("list");
    assert!(
        listed.is_empty(),
        "A crashed 3 s ago (expiry 500 ms) and B still lists {:?} ({:?})",
        listed.keys().collect::<Vec<_>>(),
        b.stats()
    );
}

/// An expiry of "never" (`u64::MAX` seconds) used to pass `validate` and make the flusher panic
/// at the first heartbeat after another node left (`expiry * 4` overflowed in `expire`): such
/// durations are refused now, and the longest accepted one (a day) keeps the node working.
#[tokio::test]
async fn a_huge_expiry_is_refused_and_the_longest_accepted_keeps_the_flusher_alive() {
    let mut config = PresenceConfig::fast();
    config.expiry = Duration::from_secs(u64::MAX);
    assert!(config.validate().is_err());
    assert!(
        Presence::start(MemoryBroker::new(), config.clone())
            .await
            .is_err()
    );
    config.expiry = Duration::from_secs(24 * 3600);
    assert!(config.validate().is_ok());
    let broker = MemoryBroker::new();
    let presence = Presence::start(broker.clone(), config.clone())
        .await
        .expect("start");
    let other = Presence::start(broker, config).await.expect("start");
    tokio::time::sleep(Duration::from_millis(150)).await;
    other.shutdown().await; // a node in `gone`
    tokio::time::sleep(Duration::from_millis(250)).await; // a heartbeat tick
    let page = topic("projects:10");
    let mut follow = presence.follow::<u32>(&page).await.expect("follow");
    state(&mut follow).await;
    let _ada = presence.track(&page, "ada", &1).await.expect("track");
    let event = tokio::time::timeout(Duration::from_secs(1), follow.recv()).await;
    assert!(
        matches!(event, Ok(Some(PresenceEvent::Diff(_)))),
        "no diff for ada's join: {event:?}"
    );
}

/// The presence topic of a topic named `nodes` is `$presence:nodes`, the control topic. Once
/// the node lets go of that topic (its last follower or guard is gone), it removes
/// `$presence:nodes` from its subscription: it hears no heartbeat, sync or goodbye any more,
/// expires every live node, and never answers another node's sync.
#[tokio::test]
async fn letting_go_of_a_topic_named_nodes_keeps_the_control_topic() {
    let broker = MemoryBroker::new();
    let a = crate::harness::fast_node(Node::on(&broker)).await;
    let b = crate::harness::fast_node(Node::on(&broker)).await;
    let nodes = topic("nodes");
    drop(b.follow::<u32>(&nodes).await.expect("follow"));
    tokio::time::sleep(Duration::from_millis(100)).await; // the topic is let go
    let page = topic("projects:11");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    assert!(
        reaches(&mut follow, &mut view, Duration::from_secs(2), |v| {
            v.keys() == ["ada"]
        })
        .await
        .is_some()
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await; // 3 expiries, A alive all along
    let listed = b.list::<u32>(&page).await.expect("list");
    assert!(
        listed.contains("ada"),
        "A is alive, yet B dropped ada: {:?}",
        b.stats()
    );
}

/// A node whose own heartbeats do not come back through its inbound queue (the queue is behind,
/// or it cannot hear itself) cannot tell another node's silence from its own deafness: it
/// expires nobody until it hears itself again.
#[tokio::test]
async fn a_node_that_does_not_hear_itself_expires_nobody() {
    let hub = Arc::new(Hub::default());
    let (net_a, net_b) = (hub.join(), hub.join());
    let a = crate::harness::fast_node(net_a).await;
    let b = crate::harness::fast_node(net_b).await;
    let page = topic("projects:deaf");
    let _ada = a.track(&page, "ada", &1).await.expect("track");
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, Duration::from_secs(2), |v| {
        v.keys() == ["ada"]
    })
    .await;
    // B hears nothing: neither A nor itself.
    hub.lose(|_, to, _| to == 1);
    tokio::time::sleep(Duration::from_millis(1_500)).await; // three expiries
    assert_eq!(b.stats().expired, 0, "{:?}", b.stats());
    hub.stop_losing();
    let listed = b.list::<u32>(&page).await.expect("list");
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["ada"]);
}
