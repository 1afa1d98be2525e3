//! Per-topic mode: which topics this node wants from Redis, and which Redis has confirmed.
//!
//! The local registry tells [`Interest`] (a [`TopicObserver`]) when a topic gains its first
//! local subscriber or loses its last: that is the reference count. The link task, the only
//! one that sends SUBSCRIBE/UNSUBSCRIBE, brings Redis in line and marks topics confirmed;
//! `subscribe` waits for that mark.
//!
//! Every operation costs O(1) per changed topic, whatever the number of topics held: the
//! observer's calls (made while the registry holds a shard's write lock) insert or remove one
//! entry and record the change; the link looks only at the changes since its last look. Only a
//! reconnect, which resubscribes everything, walks every topic.

use std::collections::{HashMap, HashSet};
use std::mem;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pubsub_core::Topic;
use pubsub_core::backend::TopicObserver;
use tokio::sync::{Notify, watch};

use crate::error::Error;

#[derive(Debug, Default)]
pub(crate) struct Interest {
    state: Mutex<State>,
    /// Woken when a topic is wanted or unwanted.
    pub(crate) changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Topics with local subscribers, each with its "Redis confirmed the channel" flag.
    topics: HashMap<Topic, watch::Sender<bool>>,
    /// Topics that became wanted or unwanted since the link last looked.
    changes: HashSet<Topic>,
}

impl TopicObserver for Interest {
    fn topic_created(&self, topic: &Topic) {
        {
            let mut state = self.lock();
            state.topics.insert(topic.clone(), watch::channel(false).0);
            state.changes.insert(topic.clone());
        }
        self.changed.notify_one();
    }

    fn topic_removed(&self, topic: &Topic) {
        {
            let mut state = self.lock();
            state.topics.remove(topic);
            state.changes.insert(topic.clone());
        }
        self.changed.notify_one();
    }
}

impl Interest {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until Redis confirmed `topic`'s channel (the caller holds a local subscription to
    /// it, so it stays wanted while we wait).
    pub(crate) async fn confirmed(&self, topic: &Topic, timeout: Duration) -> Result<(), Error> {
        let Some(mut flag) = self.lock().topics.get(topic).map(watch::Sender::subscribe) else {
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

    /// Every wanted topic (for a new connection, which starts with none); the changes recorded
    /// so far are covered by it.
    pub(crate) fn wanted(&self) -> Vec<Topic> {
        let mut state = self.lock();
        state.changes.clear();
        state.topics.keys().cloned().collect()
    }

    /// What to subscribe and unsubscribe, from the changes since the last call, to match
    /// `subscribed` (what Redis has) with what is wanted; changed topics Redis already has are
    /// marked confirmed on the way.
    pub(crate) fn changes(&self, subscribed: &HashSet<Topic>) -> (Vec<Topic>, Vec<Topic>) {
        let mut state = self.lock();
        let changes = mem::take(&mut state.changes);
        let (mut to_add, mut to_remove) = (Vec::new(), Vec::new());
        for topic in changes {
            match (state.topics.get(&topic), subscribed.contains(&topic)) {
                (Some(flag), true) => {
                    if !*flag.borrow() {
                        flag.send_replace(true);
                    }
                }
                (Some(_), false) => to_add.push(topic),
                (None, true) => to_remove.push(topic),
                (None, false) => {}
            }
        }
        (to_add, to_remove)
    }

    /// Marks `topics` confirmed (those still wanted).
    pub(crate) fn confirm(&self, topics: &[Topic]) {
        let state = self.lock();
        for topic in topics {
            if let Some(flag) = state.topics.get(topic)
                && !*flag.borrow()
            {
                flag.send_replace(true);
            }
        }
    }
}
