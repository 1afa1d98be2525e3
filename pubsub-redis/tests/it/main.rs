//! Integration tests of `pubsub-redis` against a real `redis-server` (see `server.rs`).

mod channels;
mod cluster;
mod cluster_server;
mod concurrent;
mod conformance;
mod coop;
mod cross_node;
mod domains;
mod faults;
mod history;
mod history_faults;
mod history_hostile;
mod hostile;
mod many_topics;
mod overload;
mod scale;
mod send_sync;
mod server;
mod tenant;
mod wire;

use std::time::Duration;

use pubsub_core::Delivery;
use pubsub_core::Subscription;

/// Every wait in these tests is bounded by this.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

/// Taken by the tests that load both cores (floods, thousands of subscribers), so they do not
/// run at the same time and their timing assertions measure the code, not each other.
pub(crate) async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HEAVY.lock().await
}

/// The next delivery, or a panic after [`WAIT`].
pub(crate) async fn next(sub: &mut Subscription) -> Delivery<pubsub_core::Message> {
    match tokio::time::timeout(WAIT, sub.recv()).await {
        Ok(Some(delivery)) => delivery,
        Ok(None) => panic!("subscription ended"),
        Err(elapsed) => panic!("nothing arrived: {elapsed}"),
    }
}
