//! The publisher's circuit breaker: while the publisher connection is down, publishes fail at
//! once instead of each waiting for a timeout or a connection attempt.
//!
//! The circuit opens when a publish times out (a frozen or overloaded server: waiting again
//! would only repeat the timeout) or when reconnecting failed. While it is open a background
//! probe tries to connect, every [`RedisConfig::reconnect_min_delay`] doubling up to
//! [`RedisConfig::reconnect_max_delay`] (each attempt bounded by the connect timeout); the
//! attempt that succeeds hands its connection to the publisher and closes the circuit, so
//! publishing resumes as soon as the server answers again.
//!
//! [`RedisConfig::reconnect_min_delay`]: crate::RedisConfig::reconnect_min_delay
//! [`RedisConfig::reconnect_max_delay`]: crate::RedisConfig::reconnect_max_delay

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::conn::Client;
use crate::error::Error;
use crate::publisher::{Connection, Publisher};
use crate::shared::Shared;

#[derive(Debug)]
pub(crate) struct Circuit {
    client: Client,
    /// A probe task is running.
    probing: AtomicBool,
    /// The connection a successful probe made, for the publisher to take.
    ready: Mutex<Option<Connection>>,
}

impl Circuit {
    pub(crate) fn new(client: Client) -> Self {
        Circuit {
            client,
            probing: AtomicBool::new(false),
            ready: Mutex::new(None),
        }
    }

    /// Opens the circuit (publishes fail at once) and starts probing, unless already open.
    pub(crate) fn trip(self: &Arc<Self>, shared: &Arc<Shared>) {
        shared.set_circuit_open(true);
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::warn!("redis publisher connection down; publishes fail at once until it is back");
        tokio::spawn(Arc::clone(self).probe(Arc::downgrade(shared)));
    }

    /// The client the publisher connects with.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The connection a probe made, if any.
    pub(crate) fn take_ready(&self) -> Option<Connection> {
        self.ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    async fn probe(self: Arc<Self>, shared: Weak<Shared>) {
        let client = &self.client;
        let connect =
            |shared: Arc<Shared>| async move { Publisher::connect(client, &shared).await };
        let Some((shared, conn)) =
            retry(&shared, "redis publisher still unreachable", connect).await
        else {
            return; // the broker is gone
        };
        *self.ready.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn);
        self.probing.store(false, Ordering::Release);
        shared.set_circuit_open(false);
        tracing::info!("redis publisher connection re-established");
    }
}

/// Runs `attempt` after growing delays ([`RedisConfig::reconnect_min_delay`], doubling up to
/// [`RedisConfig::reconnect_max_delay`]) until it succeeds, for a circuit's probe (this one's,
/// or a cluster shard's); `None` once the broker is gone. `failing` is logged (at debug) for
/// each failed attempt.
///
/// [`RedisConfig::reconnect_min_delay`]: crate::RedisConfig::reconnect_min_delay
/// [`RedisConfig::reconnect_max_delay`]: crate::RedisConfig::reconnect_max_delay
pub(crate) async fn retry<T, F, Fut>(
    shared: &Weak<Shared>,
    failing: &'static str,
    mut attempt: F,
) -> Option<(Arc<Shared>, T)>
where
    F: FnMut(Arc<Shared>) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut delay = shared.upgrade()?.config.reconnect_min_delay;
    loop {
        tokio::time::sleep(delay).await;
        let shared = shared.upgrade()?;
        match attempt(Arc::clone(&shared)).await {
            Ok(made) => return Some((shared, made)),
            Err(error) => {
                tracing::debug!(%error, retry_in = ?delay, "{failing}");
                delay = (delay * 2).min(shared.config.reconnect_max_delay);
            }
        }
    }
}
