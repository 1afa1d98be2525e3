//! A real Redis Cluster for the tests: three primaries and three replicas, each a
//! `redis-server --cluster-enabled yes` on free loopback ports with its own directory, joined by
//! `redis-cli --cluster create`. Stopped (SIGKILL) and removed on drop; a watcher process also
//! kills them once the test process is gone, so a cluster kept in a `static` (which is never
//! dropped) does not outlive the test binary.
//!
//! [`RedisCluster::start_with`] starts other shapes (the bench's one- and two-primary clusters
//! without replicas): `redis-cli --cluster create` refuses fewer than three primaries, so those
//! are assembled by hand (`CLUSTER ADDSLOTSRANGE`, `CLUSTER MEET`, `CLUSTER REPLICATE`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::server::free_port;

const INSTALL_HINT: &str = "redis-cli is not on PATH; the cluster tests need it to create the \
     cluster. Install it with `sudo apt-get install -y redis-tools` (Debian/Ubuntu; `cargo xtask \
     test-all` does this when run as root)";

/// Primaries of a test cluster from [`RedisCluster::start`].
const PRIMARIES: usize = 3;
/// Replicas of each primary of a test cluster from [`RedisCluster::start`].
const REPLICAS_PER_PRIMARY: usize = 1;
/// The hash slots of a Redis Cluster.
const SLOTS: usize = 16_384;

/// One `redis-server` of a cluster.
#[derive(Debug)]
struct ClusterNode {
    port: u16,
    /// Its cluster bus port (`CLUSTER MEET` needs it: it is not the default port + 10000).
    bus: u16,
    child: Option<Child>,
}

/// A running Redis Cluster owned by the test (or the test binary, see [`shared`]): six nodes
/// from [`start`](Self::start), any shape from [`start_with`](Self::start_with).
#[derive(Debug)]
pub(crate) struct RedisCluster {
    dir: PathBuf,
    nodes: Vec<ClusterNode>,
    /// How many of the nodes are replicas, once the cluster is up.
    replicas: usize,
    watcher: Option<Child>,
}

/// One cluster for every test of this binary that only needs *a* cluster (each on its own
/// namespace); tests that stop nodes start their own.
pub(crate) fn shared() -> &'static RedisCluster {
    static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();
    CLUSTER.get_or_init(RedisCluster::start)
}

fn ping(port: u16) -> bool {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_ok()
}

fn query(port: u16, cmd: &redis::Cmd) -> Option<String> {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(500)))
        .and_then(|mut c| cmd.query::<String>(&mut c))
        .ok()
}

impl RedisCluster {
    /// Starts six nodes and creates the cluster; returns once every node says
    /// `cluster_state:ok` and every primary has its replica.
    ///
    /// # Panics
    ///
    /// When `redis-server` or `redis-cli` is missing (with the install command), or the cluster
    /// does not come up within 30 s.
    pub(crate) fn start() -> Self {
        Self::start_with(PRIMARIES, REPLICAS_PER_PRIMARY)
    }

    /// Starts `primaries` primaries (the slots split evenly between them) with
    /// `replicas_per_primary` replicas each; returns once every node
    /// says `cluster_state:ok` and every replica is in sync. Three primaries or more are created
    /// by `redis-cli --cluster create`, fewer by hand.
    ///
    /// # Panics
    ///
    /// When `primaries` is 0, when `redis-server` or `redis-cli` is missing (with the install
    /// command), or the cluster does not come up within 30 s.
    pub(crate) fn start_with(primaries: usize, replicas_per_primary: usize) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        assert!(primaries > 0, "a cluster needs a primary");
        let dir = std::env::temp_dir().join(format!(
            "pubsub-redis-cluster-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut cluster = RedisCluster {
            dir,
            nodes: Vec::new(),
            replicas: primaries * replicas_per_primary,
            watcher: None,
        };
        for _ in 0..primaries * (1 + replicas_per_primary) {
            let node = cluster.spawn_node();
            cluster.nodes.push(node);
        }
        cluster.watch();
        if primaries >= 3 {
            cluster.create(replicas_per_primary);
        } else {
            cluster.assemble(primaries);
        }
        cluster.wait_ready();
        cluster
    }

    /// Starts one node on free ports (its client port and its cluster bus port), retrying when
    /// a port is taken meanwhile.
    fn spawn_node(&self) -> ClusterNode {
        for _ in 0..5 {
            let (port, bus) = (free_port(), free_port());
            let node_dir = self.dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).expect("node dir");
            let mut node = ClusterNode {
                port,
                bus,
                child: Some(spawn_server(port, bus, &node_dir)),
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Some(Ok(Some(_exited))) = node.child.as_mut().map(Child::try_wait) {
                    node.child = None;
                    break;
                }
                if ping(port) {
                    return node;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            node.stop();
        }
        panic!("a cluster node did not start on any of 5 free ports");
    }

    /// Starts a process that kills the nodes and removes the directory once this process is
    /// gone (a `static` cluster is never dropped).
    fn watch(&mut self) {
        let pids: Vec<String> = self
            .nodes
            .iter()
            .filter_map(|n| n.child.as_ref().map(|c| c.id().to_string()))
            .collect();
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 0.2; done; kill -9 {} 2>/dev/null; rm -rf '{}'",
            std::process::id(),
            pids.join(" "),
            self.dir.display()
        );
        self.watcher = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
    }

    /// `redis-cli --cluster create` with `replicas` replicas per primary.
    fn create(&self, replicas: usize) {
        let addresses: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let output = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output();
        let output = match output {
            Ok(output) => output,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{INSTALL_HINT}"),
            Err(e) => panic!("cannot run redis-cli: {e}"),
        };
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// What `redis-cli --cluster create` does, for fewer than three primaries: the first
    /// `primaries` nodes each take an even share of the slots and a config epoch of their own,
    /// the first node meets every other, and the rest replicate the primaries in turn.
    fn assemble(&self, primaries: usize) {
        let (primary_nodes, replica_nodes) = self.nodes.split_at(primaries);
        for (i, node) in primary_nodes.iter().enumerate() {
            let (first, last) = (SLOTS * i / primaries, SLOTS * (i + 1) / primaries - 1);
            must(
                node.port,
                redis::cmd("CLUSTER")
                    .arg("ADDSLOTSRANGE")
                    .arg(first)
                    .arg(last),
            );
            must(
                node.port,
                redis::cmd("CLUSTER").arg("SET-CONFIG-EPOCH").arg(i + 1),
            );
        }
        for other in &self.nodes[1..] {
            must(
                self.nodes[0].port,
                redis::cmd("CLUSTER")
                    .arg("MEET")
                    .arg("127.0.0.1")
                    .arg(other.port)
                    .arg(other.bus),
            );
        }
        if replica_nodes.is_empty() {
            return;
        }
        let ids: Vec<String> = primary_nodes
            .iter()
            .map(|n| must(n.port, redis::cmd("CLUSTER").arg("MYID")))
            .collect();
        for (i, replica) in replica_nodes.iter().enumerate() {
            let primary = &ids[i % primaries];
            // A node can replicate only a primary it has heard of through the cluster bus.
            let deadline = Instant::now() + Duration::from_secs(30);
            while query(
                replica.port,
                redis::cmd("CLUSTER").arg("REPLICATE").arg(primary),
            )
            .is_none()
            {
                assert!(
                    Instant::now() < deadline,
                    "node :{} did not learn of its primary in 30 s",
                    replica.port
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Waits until every node agrees that the cluster is up (see [`is_ready`](Self::is_ready)).
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.is_ready() {
            assert!(
                Instant::now() < deadline,
                "the cluster did not come up in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every node says `cluster_state:ok` and knows every other node, and every replica's link
    /// to its primary is up.
    fn is_ready(&self) -> bool {
        let mut info = redis::cmd("CLUSTER");
        info.arg("INFO");
        let mut replication = redis::cmd("INFO");
        replication.arg("replication");
        let mut replicas = 0;
        for node in &self.nodes {
            let Some(state) = query(node.port, &info) else {
                return false;
            };
            let known = format!("cluster_known_nodes:{}\r", self.nodes.len());
            if !state.contains("cluster_state:ok") || !state.contains(&known) {
                return false;
            }
            let Some(role) = query(node.port, &replication) else {
                return false;
            };
            if role.contains("role:slave") && role.contains("master_link_status:up") {
                replicas += 1;
            }
        }
        replicas == self.replicas
    }

    /// Kills (SIGKILL, like a crash) the node listening on `port`.
    ///
    /// # Panics
    ///
    /// When no running node of this cluster listens there.
    pub(crate) fn kill(&mut self, port: u16) {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.port == port && n.child.is_some())
            .expect("a running node on that port");
        node.stop();
    }

    /// Freezes (`-STOP`) or thaws (`-CONT`) the node listening on `port`: its sockets stay
    /// open but it answers nothing.
    ///
    /// # Panics
    ///
    /// When no running node of this cluster listens there, or `kill` fails.
    pub(crate) fn signal(&self, port: u16, signal: &str) {
        let node = self
            .nodes
            .iter()
            .find(|n| n.port == port)
            .and_then(|n| n.child.as_ref())
            .expect("a running node on that port");
        let status = Command::new("kill")
            .args([signal, &node.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {port}");
    }

    /// The seed nodes' URLs (every node's).
    pub(crate) fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}/", n.port))
            .collect()
    }
}

/// Runs `cmd` on the node at `port`, which must answer `OK` or a string.
///
/// # Panics
///
/// When it does not.
fn must(port: u16, cmd: &redis::Cmd) -> String {
    query(port, cmd).unwrap_or_else(|| panic!("{cmd:?} failed on :{port}"))
}

fn spawn_server(port: u16, bus: u16, dir: &Path) -> Child {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--cluster-port",
            &bus.to_string(),
        ])
        .args(["--bind", "127.0.0.1", "--protected-mode", "no"])
        .args(["--save", "", "--appendonly", "no"])
        .args([
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
        ])
        .args(["--cluster-node-timeout", "1000"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("{}", crate::server::INSTALL_HINT)
        }
        Err(e) => panic!("cannot run redis-server: {e}"),
    }
}

impl ClusterNode {
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.stop();
        }
        if let Some(mut watcher) = self.watcher.take() {
            let _ = watcher.kill();
            let _ = watcher.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
