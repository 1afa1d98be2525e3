//! Nodes on a real Redis: two in this process (both channel modes), and one in a child process
//! that is killed with SIGKILL, whose presences must expire on the others.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pubsub_presence::{Presence, PresenceConfig, PresenceEvent};
use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};

use crate::harness::{View, next, state, topic, until};

/// A redis-server on a free loopback port, killed on drop.
pub(crate) struct Server {
    port: u16,
    child: Child,
}

impl Server {
    pub(crate) fn start() -> Self {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free port");
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server on PATH (cargo xtask test-all installs it)");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self { port, child };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn node(url: &str, mode: ChannelMode) -> Presence {
    let mut config = RedisConfig::new(url);
    config.mode = mode;
    let broker = RedisBroker::connect(config).await.expect("connect");
    crate::harness::fast_node(broker).await
}

async fn across_two_nodes(mode: ChannelMode) {
    let server = Server::start();
    let a = node(&server.url(), mode).await;
    let b = node(&server.url(), mode).await;
    let page = topic("projects:redis");
    let _early = a.track(&page, "early", &1).await.expect("track");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut follow = b.follow::<u32>(&page).await.expect("follow");
    assert_eq!(
        state(&mut follow).await.keys().collect::<Vec<_>>(),
        ["early"]
    );
    let mut took = Vec::new();
    for i in 0..20u32 {
        tokio::time::sleep(Duration::from_millis(25)).await; // a quiet window each time
        let started = Instant::now();
        let guard = a.track(&page, &format!("u{i}"), &i).await.expect("track");
        let PresenceEvent::Diff(diff) = next(&mut follow, Duration::from_secs(1)).await else {
            panic!("a diff")
        };
        took.push(started.elapsed());
        assert!(diff.joins.contains(&format!("u{i}")), "{diff:?}");
        drop(guard);
        let PresenceEvent::Diff(diff) = next(&mut follow, Duration::from_secs(1)).await else {
            panic!("a diff")
        };
        assert!(diff.leaves.contains(&format!("u{i}")));
    }
    // The bench measures the p99 on a quiet machine; a test only guards against a join held
    // for a window or a heartbeat.
    took.sort();
    let median = took[took.len() / 2];
    assert!(
        median < Duration::from_millis(50),
        "median join {median:?}: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_and_leaves_cross_redis_nodes_in_namespace_mode() {
    across_two_nodes(ChannelMode::Namespace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_and_leaves_cross_redis_nodes_in_per_topic_mode() {
    across_two_nodes(ChannelMode::PerTopic).await;
}

const CHILD_URL: &str = "PRESENCE_TEST_CHILD_REDIS_URL";

/// Not a test of its own: the body of the child process of the test below, which runs this test
/// binary again with only this function and [`CHILD_URL`] set. Without the variable it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_entry() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let presence = node(&url, ChannelMode::PerTopic).await;
    let _zed = presence
        .track(&topic("projects:killed"), "zed", &1)
        .await
        .expect("track");
    println!("ready {}", presence.node());
    tokio::time::sleep(Duration::from_secs(60)).await;
    panic!("the child was not killed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_process_has_its_presences_expire_on_the_other_nodes() {
    let server = Server::start();
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "redis::child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_URL, server.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child node");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready = lines
        .find_map(|line| {
            let line = line.ok()?;
            // libtest prints the test's name first, on the same line.
            line.split_once("ready ")
                .map(|(_, node)| node.trim().to_owned())
        })
        .expect("the child says ready");
    let child_node = ready;

    let watcher = node(&server.url(), ChannelMode::PerTopic).await;
    let page = topic("projects:killed");
    let _amy = watcher.track(&page, "amy", &1).await.expect("track");
    let mut follow = watcher.follow::<u32>(&page).await.expect("follow");
    let mut view = View::default();
    until(&mut follow, &mut view, Duration::from_secs(3), |v| {
        v.keys() == ["amy", "zed"]
    })
    .await;
    assert!(view.0.iter().any(|(_, id)| id.starts_with(&child_node)));

    child.kill().expect("SIGKILL the child");
    let _ = child.wait();
    let killed = Instant::now();
    until(&mut follow, &mut view, Duration::from_secs(5), |v| {
        v.keys() == ["amy"]
    })
    .await;
    let took = killed.elapsed();
    let config = PresenceConfig::fast();
    assert!(took <= config.expiry + config.heartbeat * 3, "{took:?}");
    assert_eq!(watcher.stats().expired, 1);
}
