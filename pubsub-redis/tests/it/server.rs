//! A real `redis-server` for the tests: started on a free loopback port with a temporary
//! directory, stopped on drop. `REDIS_URL` points the tests that only need *a* server at an
//! existing one instead; the fault tests always start their own (they stop and restart it).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};

pub(crate) const INSTALL_HINT: &str = "redis-server is not on PATH; the Redis tests need a real server. \
     Install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu; `cargo xtask test-all` \
     does this when run as root), or point REDIS_URL at a running server";

/// A redis-server process owned by the test.
#[derive(Debug)]
pub(crate) struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// A port nobody listens on right now (the OS's pick).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl RedisServer {
    /// Starts a server on a free port.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing (with the install command) or does not start.
    pub(crate) fn start() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pubsub-redis-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for _ in 0..5 {
            let mut server = RedisServer {
                port: free_port(),
                dir: dir.clone(),
                child: None,
            };
            if server.try_spawn() {
                return server;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    fn try_spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--protected-mode", "no"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{INSTALL_HINT}"),
            Err(e) => panic!("cannot run redis-server: {e}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_exited))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return false; // port taken meanwhile, most likely
            }
            if redis::Client::open(self.url())
                .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stop();
        false
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (SIGKILL: no goodbye to the clients, like a crash).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port.
    ///
    /// # Panics
    ///
    /// When it does not come up.
    pub(crate) fn restart(&mut self) {
        self.stop();
        assert!(
            self.try_spawn(),
            "redis-server did not restart on port {}",
            self.port
        );
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: its sockets stay open but it answers
    /// nothing, like a half-open connection.
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Either a server of our own or the one `REDIS_URL` names.
#[derive(Debug)]
pub(crate) struct Target {
    url: String,
    _server: Option<RedisServer>,
}

impl Target {
    pub(crate) fn new() -> Self {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => Target { url, _server: None },
            _ => {
                let server = RedisServer::start();
                Target {
                    url: server.url(),
                    _server: Some(server),
                }
            }
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

/// A namespace no other test uses, so tests may share a server.
pub(crate) fn unique_namespace() -> String {
    format!("test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A test configuration: short timeouts so fault tests are quick.
pub(crate) fn config(url: &str, namespace: &str, mode: ChannelMode) -> RedisConfig {
    let mut config = RedisConfig::new(url);
    namespace.clone_into(&mut config.namespace);
    config.mode = mode;
    config.publish_timeout = Duration::from_millis(500);
    config.subscribe_timeout = Duration::from_secs(2);
    config.connect_timeout = Duration::from_millis(500);
    config.ping_interval = Duration::from_millis(200);
    config.ping_timeout = Duration::from_millis(300);
    config.reconnect_min_delay = Duration::from_millis(10);
    config.reconnect_max_delay = Duration::from_millis(200);
    config
}

/// Two nodes on one server and namespace.
pub(crate) async fn pair(
    url: &str,
    mode: ChannelMode,
    capacity: usize,
) -> (RedisBroker, RedisBroker) {
    let namespace = unique_namespace();
    let mut config = config(url, &namespace, mode);
    config.capacity = capacity;
    let a = RedisBroker::connect(config.clone()).await.expect("node a");
    let b = RedisBroker::connect(config).await.expect("node b");
    (a, b)
}

/// A plain Redis connection, for what a non-Rust client (or `redis-cli`) would do.
pub(crate) async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection")
}
