//! Integration tests of `pubsub-redis` against a real `redis-server` (see `server.rs`).

mod channels;
mod conformance;
mod cross_node;
mod domains;
mod faults;
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

/// The next delivery, or a panic after [`WAIT`].
pub(crate) async fn next(sub: &mut Subscription) -> Delivery<pubsub_core::Message> {
    match tokio::time::timeout(WAIT, sub.recv()).await {
        Ok(Some(delivery)) => delivery,
        Ok(None) => panic!("subscription ended"),
        Err(elapsed) => panic!("nothing arrived: {elapsed}"),
    }
}
