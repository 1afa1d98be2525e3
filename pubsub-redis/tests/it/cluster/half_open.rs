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

/// The comment every rule of these tests carries, so that rules a killed test run left behind
/// are found and removed.
const TAG: &str = "pubsub-redis-half-open-test";

/// Drops every packet between two loopback ports, both ways, until dropped itself.
struct Cut {
    rules: Vec<Vec<String>>,
}

impl Cut {
    fn between(client: u16, server: u16) -> Cut {
        clear_stale_rules();
        let rule = |from: u16, to: u16| {
            [
                "OUTPUT",
                "-p",
                "tcp",
                "-s",
                "127.0.0.1",
                "--sport",
                &from.to_string(),
                "--dport",
                &to.to_string(),
                "-m",
                "comment",
                "--comment",
                TAG,
                "-j",
                "DROP",
            ]
            .map(str::to_owned)
            .to_vec()
        };
        let mut cut = Cut { rules: Vec::new() };
        for rule in [rule(client, server), rule(server, client)] {
            let inserted = iptables("-I", &rule);
            assert!(
                inserted.is_ok(),
                "iptables -I {rule:?}: {inserted:?} (root, and the iptables package: .ci/run and \
                 cargo xtask test-all install it)"
            );
            // Only what was inserted is deleted.
            cut.rules.push(rule);
        }
        cut
    }
}

impl Drop for Cut {
    fn drop(&mut self) {
        for rule in &self.rules {
            // Never a panic here (it may run while a failed assertion unwinds): said instead.
            if let Err(error) = iptables("-D", rule) {
                eprintln!("iptables -D {rule:?}: {error}");
            }
        }
    }
}

/// Deletes the rules of this test that an earlier run left (killed before its `Cut` dropped).
fn clear_stale_rules() {
    let Ok(listed) = Command::new("iptables").args(["-S", "OUTPUT"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        if let Some(rule) = line.strip_prefix("-A ").filter(|rule| rule.contains(TAG)) {
            let rule: Vec<String> = rule
                .split_whitespace()
                .map(|part| part.trim_matches('"').to_owned())
                .collect();
            let _ = iptables("-D", &rule);
        }
    }
}

/// Runs `iptables <action> <rule>`.
fn iptables(action: &str, rule: &[String]) -> Result<(), String> {
    let status = Command::new("iptables")
        .arg(action)
        .args(rule)
        .status()
        .map_err(|e| format!("cannot run iptables: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("iptables failed: {status}"))
    }
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
