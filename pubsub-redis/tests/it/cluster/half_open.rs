//! A shard's subscriber connection cut on the network, half-open: every packet of that one
//! connection dropped both ways (by `iptables`, on its two ports), no reset, while the shard
//! and every other connection to it work. Nothing tells the client; the kernel drops the
//! connection once its keepalive probes or its data go unacknowledged (`TCP_USER_TIMEOUT`), the
//! client reconnects the shard, and the link's shard check subscribes its topics again: only
//! that shard's plain topics get a notice, its topic with history is recovered, and the other
//! shards are left alone.
//!
//! Needs root and `iptables` (`.ci/run` installs it); it fails, not skips, without them.

use std::process::Command;
use std::time::Duration;

use super::stream::Steady;
use super::{cluster_pair_keeping, slot_owners, topics_on_every_shard};
use crate::cluster_server::RedisCluster;

/// The client port of the one connection on the primary behind `url` that holds sharded
/// subscriptions (on a cluster of its own, that is the subscriber node's).
async fn sharded_subscriber_port(url: &str) -> u16 {
    let mut raw = crate::server::raw(url).await;
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut raw)
        .await
        .expect("client list");
    let ports: Vec<u16> = list
        .lines()
        .filter_map(|line| {
            let field = |name: &str| {
                line.split(' ')
                    .find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            };
            let ssub: u64 = field("ssub")?.parse().ok()?;
            let addr = field("addr")?;
            (ssub > 0).then(|| addr.rsplit(':').next()?.parse().ok())?
        })
        .collect();
    assert_eq!(ports.len(), 1, "one sharded subscriber connection: {list}");
    ports[0]
}

/// Drops every packet between two loopback ports, both ways, until dropped itself.
struct Cut {
    rules: Vec<Vec<String>>,
}

impl Cut {
    fn between(client: u16, server: u16) -> Cut {
        let rule = |chain: &str, from: u16, to: u16| {
            [
                chain,
                "-p",
                "tcp",
                "-s",
                "127.0.0.1",
                "--sport",
                &from.to_string(),
                "--dport",
                &to.to_string(),
                "-j",
                "DROP",
            ]
            .map(str::to_owned)
            .to_vec()
        };
        let cut = Cut {
            rules: vec![
                rule("OUTPUT", client, server),
                rule("OUTPUT", server, client),
            ],
        };
        for rule in &cut.rules {
            iptables("-I", rule);
        }
        cut
    }
}

impl Drop for Cut {
    fn drop(&mut self) {
        for rule in &self.rules {
            iptables("-D", rule);
        }
    }
}

fn iptables(action: &str, rule: &[String]) {
    let status = Command::new("iptables")
        .arg(action)
        .args(rule)
        .status()
        .expect("iptables (root, and the iptables package: .ci/run installs it)");
    assert!(status.success(), "iptables {action} {rule:?}: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_shard_connection_is_dropped_and_resubscribed_with_a_notice_only_for_its_topics()
 {
    let _heavy = crate::heavy().await;
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .expect("a cluster");
    let urls = cluster.urls();
    let (a, b) = cluster_pair_keeping(&urls, 4096, "conformance:half-kept:").await;
    let ranges = slot_owners(&urls[0]).await;
    let mut topics = topics_on_every_shard(&urls[0], &a, &ranges, "half-open", 3).await;
    let plain = topics.len();
    topics.extend(topics_on_every_shard(&urls[0], &a, &ranges, "half-kept", 1).await);
    let victim = topics[0].1;

    let mut steady = Steady::start(&a, &b, &topics).await;
    let port = sharded_subscriber_port(&format!("redis://127.0.0.1:{victim}/")).await;
    let cut = Cut::between(port, victim);
    let at = tokio::time::Instant::now();
    // Dropped by the kernel within ping_interval + 3 x ping_timeout (1.1 s here), or after a
    // keepalive of 1 s and 3 probes a second apart; then resubscribed.
    steady
        .until_all_after(at + Duration::from_millis(500), Duration::from_secs(10))
        .await;
    let resumed = at.elapsed();
    eprintln!("half-open shard connection: every topic live again {resumed:?} after the cut");
    drop(cut);
    let (received, published) = steady.finish().await;

    for (i, (_, owner)) in topics.iter().enumerate() {
        received.assert_after_fault(i, *owner == victim && i < plain, &published[i]);
    }
    let stats = a.stats();
    let lost = topics.iter().filter(|(_, owner)| *owner == victim).count() as u64;
    assert_eq!(
        stats.lost_shard_topics, lost,
        "the cut shard's topics, each once"
    );
    assert_eq!(
        stats.recovered_topics, 1,
        "the cut shard's topic with history"
    );
    assert_eq!(stats.unrecovered_topics, 0);
    assert_eq!(stats.reconnects, 0, "the other shards were left alone");
}
