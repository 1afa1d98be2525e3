//! A shard's subscriber connection lost without a failover (killed on its primary, as a network
//! cut or an idle-client reaper would): delivery resumes on every topic, only that shard's
//! topics get a gap notice, and its topic with history is recovered instead (every message,
//! no notice). And a shard connection that lost only some of its subscriptions (a slot taken
//! from its primary and given back at once, which drops that slot's channels) is found by its
//! count and resubscribed too.

use std::collections::HashMap;
use std::time::Duration;

use pubsub_core::Topic;
use pubsub_redis::RedisBroker;

use super::stream::{Received, Steady};
use super::{cluster_pair_through, slot_owners, topics_on_every_shard};
use crate::cluster_server::RedisCluster;

/// The connections on the primary behind `url` that hold sharded subscriptions (on a cluster
/// of its own, those are the subscriber node's): their client ids and client ports.
pub(crate) async fn sharded_subscribers(url: &str) -> Vec<(String, u16)> {
    let mut raw = crate::server::raw(url).await;
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut raw)
        .await
        .expect("client list");
    list.lines()
        .filter_map(|line| {
            let field = |name: &str| {
                line.split(' ')
                    .find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            };
            let ssub: u64 = field("ssub")?.parse().ok()?;
            let port = field("addr")?.rsplit(':').next()?.parse().ok()?;
            let id = field("id")?.to_owned();
            (ssub > 0).then_some((id, port))
        })
        .collect()
}

/// Kills every connection on the primary behind `url` that holds sharded subscriptions;
/// returns how many.
pub(crate) async fn kill_sharded_subscribers(url: &str) -> usize {
    let subscribers = sharded_subscribers(url).await;
    let mut raw = crate::server::raw(url).await;
    for (id, _) in &subscribers {
        let _: u64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut raw)
            .await
            .expect("client kill");
    }
    subscribers.len()
}

/// Two nodes on a cluster of their own, 3 plain topics on every shard and one with history on
/// each (labelled `label`), the shard of the first topic to be hurt.
pub(crate) struct HurtShard {
    pub(crate) a: RedisBroker,
    pub(crate) b: RedisBroker,
    pub(crate) topics: Vec<(Topic, u16)>,
    /// The first `plain` topics keep no history.
    plain: usize,
    /// The port of the primary whose subscriber connection is hurt.
    pub(crate) victim: u16,
    _cluster: RedisCluster,
}

impl HurtShard {
    /// On a cluster of its own.
    pub(crate) async fn start(label: &str) -> HurtShard {
        let cluster = tokio::task::spawn_blocking(RedisCluster::start)
            .await
            .expect("a cluster");
        HurtShard::on(cluster, label, &HashMap::new()).await
    }

    /// On `cluster`, its nodes reached through `addresses` (`RedisConfig::cluster_addresses`).
    pub(crate) async fn on(
        cluster: RedisCluster,
        label: &str,
        addresses: &HashMap<String, String>,
    ) -> HurtShard {
        let urls = cluster.urls();
        let kept = format!("{label}-kept");
        let kept_prefix = format!("conformance:{kept}:");
        let (a, b) = cluster_pair_through(&urls, 4096, &kept_prefix, addresses).await;
        let ranges = slot_owners(&urls[0]).await;
        let mut topics = topics_on_every_shard(&urls[0], &a, &ranges, label, 3).await;
        let plain = topics.len();
        topics.extend(topics_on_every_shard(&urls[0], &a, &ranges, &kept, 1).await);
        let victim = topics[0].1;
        HurtShard {
            a,
            b,
            topics,
            plain,
            victim,
            _cluster: cluster,
        }
    }

    /// The victim primary's URL.
    pub(crate) fn victim_url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.victim)
    }

    /// After the victim's subscriber connection was lost and delivery resumed: a notice for its
    /// plain topics; every other topic, and its topic with history (recovered), complete; its
    /// topics counted once each, and the other shards left alone.
    pub(crate) fn assert_only_its_topics_lost(&self, received: &Received, published: &[Vec<u64>]) {
        for (i, (_, owner)) in self.topics.iter().enumerate() {
            received.assert_after_fault(i, *owner == self.victim && i < self.plain, &published[i]);
        }
        let stats = self.a.stats();
        let lost = self
            .topics
            .iter()
            .filter(|(_, owner)| *owner == self.victim)
            .count() as u64;
        assert_eq!(
            stats.lost_shard_topics, lost,
            "the lost shard's topics, each once"
        );
        assert_eq!(
            stats.recovered_topics, 1,
            "the lost shard's topic with history"
        );
        assert_eq!(stats.unrecovered_topics, 0);
        assert_eq!(stats.moved_topics, 0, "no slot moved");
        assert_eq!(stats.reconnects, 0, "the other shards were left alone");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_shard_connection_is_resubscribed_with_a_notice_only_for_its_topics() {
    let _heavy = crate::heavy().await;
    let hurt = HurtShard::start("shard-lost").await;
    let mut steady = Steady::start(&hurt.a, &hurt.b, &hurt.topics).await;
    let killed = kill_sharded_subscribers(&hurt.victim_url()).await;
    assert_eq!(killed, 1, "node a's one connection to the victim primary");
    let at = tokio::time::Instant::now();
    steady
        .until_all_after(at + Duration::from_millis(500), Duration::from_secs(10))
        .await;
    let (received, published) = steady.finish().await;
    hurt.assert_only_its_topics_lost(&received, &published);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_connection_that_lost_some_subscriptions_is_resubscribed() {
    let _heavy = crate::heavy().await;
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .expect("a cluster");
    let urls = cluster.urls();
    let (a, b) = super::cluster_pair(&urls, 4096).await;
    let ranges = slot_owners(&urls[0]).await;
    let topics = topics_on_every_shard(&urls[0], &a, &ranges, "partly-lost", 3).await;
    let (victim, owner) = (&topics[0].0, topics[0].1);
    let slot = super::keyslot(&urls[0], &a.config().cluster_channel(victim)).await;
    let mut raw = crate::server::raw(&format!("redis://127.0.0.1:{owner}/")).await;

    let mut steady = Steady::start(&a, &b, &topics).await;
    // The slot leaves its primary and comes back in one transaction: Redis drops the slot's
    // channels from every subscriber (an `sunsubscribe` push), while the slots, as any node
    // tells them, never change. The connection keeps its other channels on that primary.
    let () = redis::pipe()
        .atomic()
        .cmd("CLUSTER")
        .arg("DELSLOTS")
        .arg(slot)
        .ignore()
        .cmd("CLUSTER")
        .arg("ADDSLOTS")
        .arg(slot)
        .ignore()
        .query_async(&mut raw)
        .await
        .expect("the slot taken and given back");
    let at = tokio::time::Instant::now();
    steady.until_all_after(at, Duration::from_secs(5)).await;
    let resumed = at.elapsed();
    eprintln!("partly lost shard connection: every topic live again {resumed:?} after");
    let (received, published) = steady.finish().await;

    // Which of that primary's channels were lost is not told: all its topics are subscribed
    // again, with a notice.
    for (i, (_, primary)) in topics.iter().enumerate() {
        received.assert_after_fault(i, *primary == owner, &published[i]);
    }
    let stats = a.stats();
    let on_owner = topics.iter().filter(|(_, p)| *p == owner).count() as u64;
    assert_eq!(
        stats.lost_shard_topics, on_owner,
        "that primary's topics, once"
    );
    assert_eq!(stats.moved_topics, 0, "no slot changed owner");
    assert_eq!(stats.reconnects, 0);
}
