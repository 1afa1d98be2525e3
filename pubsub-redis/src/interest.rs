//! Per-topic mode: which topics this node wants from Redis, and which Redis has confirmed.
//!
//! The local registry tells [`Interest`] (a [`TopicObserver`]) when a topic gains its first
//! local subscriber or loses its last: that is the reference count. The link task, the only
//! one that sends SUBSCRIBE/UNSUBSCRIBE, brings Redis in line and marks topics confirmed;
//! `subscribe` waits for that mark.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pubsub_core::Topic;
use pubsub_core::backend::TopicObserver;
use tokio::sync::{Notify, watch};

use crate::error::Error;

#[derive(Debug, Default)]
pub(crate) struct Interest {
    /// Topics with local subscribers, each with its "Redis confirmed the channel" flag.
    topics: Mutex<HashMap<Topic, watch::Sender<bool>>>,
    /// Woken when `topics` changes.
    pub(crate) changed: Notify,
}

impl TopicObserver for Interest {
    fn topic_created(&self, topic: &Topic) {
        self.lock().insert(topic.clone(), watch::channel(false).0);
        self.changed.notify_one();
    }

    fn topic_removed(&self, topic: &Topic) {
        self.lock().remove(topic);
        self.changed.notify_one();
    }
}

impl Interest {
    fn lock(&self) -> MutexGuard<'_, HashMap<Topic, watch::Sender<bool>>> {
        self.topics.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until Redis confirmed `topic`'s channel (the caller holds a local subscription to
    /// it, so it stays wanted while we wait).
    pub(crate) async fn confirmed(&self, topic: &Topic, timeout: Duration) -> Result<(), Error> {
        let Some(mut flag) = self.lock().get(topic).map(watch::Sender::subscribe) else {
            return Ok(());
        };
        match tokio::time::timeout(timeout, flag.wait_for(|confirmed| *confirmed)).await {
            // `Err`: the entry was replaced, the topic lost every subscriber meanwhile.
            Ok(_) => Ok(()),
            Err(_) => Err(Error::Timeout {
                operation: "subscribe",
                after: timeout,
            }),
        }
    }

    /// Every wanted topic.
    pub(crate) fn wanted(&self) -> Vec<Topic> {
        self.lock().keys().cloned().collect()
    }

    /// What to subscribe and unsubscribe to match `subscribed` (what Redis has) with what is
    /// wanted; wanted topics Redis already has are marked confirmed on the way.
    pub(crate) fn diff(&self, subscribed: &HashSet<Topic>) -> (Vec<Topic>, Vec<Topic>) {
        let topics = self.lock();
        let mut to_add = Vec::new();
        for (topic, flag) in topics.iter() {
            if subscribed.contains(topic) {
                if !*flag.borrow() {
                    flag.send_replace(true);
                }
            } else {
                to_add.push(topic.clone());
            }
        }
        let to_remove = subscribed
            .iter()
            .filter(|t| !topics.contains_key(*t))
            .cloned()
            .collect();
        (to_add, to_remove)
    }

    /// Marks `topics` confirmed (those still wanted).
    pub(crate) fn confirm(&self, topics: &[Topic]) {
        let map = self.lock();
        for topic in topics {
            if let Some(flag) = map.get(topic)
                && !*flag.borrow()
            {
                flag.send_replace(true);
            }
        }
    }
}
