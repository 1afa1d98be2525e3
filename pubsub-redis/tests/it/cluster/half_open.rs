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

use super::shard_lost::{HurtShard, sharded_subscribers};
use super::stream::Steady;

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
    let hurt = HurtShard::start("half-open").await;
    let mut steady = Steady::start(&hurt.a, &hurt.b, &hurt.topics).await;
    let subscribers = sharded_subscribers(&hurt.victim_url()).await;
    assert_eq!(
        subscribers.len(),
        1,
        "node a's one connection to the victim primary"
    );
    let cut = Cut::between(subscribers[0].1, hurt.victim);
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
    hurt.assert_only_its_topics_lost(&received, &published);
}
