//! Presence on channel joins (feature `presence`): a join tracked in its topic's presence while
//! it lasts, and a join that follows the topic's presence as `$presence_state` and
//! `$presence_diff` frames (see [`frames`](super::frames) for the format).

use std::sync::Arc;

use pubsub_core::Topic;
use pubsub_presence::{Presence, PresenceEvent, Presences, Tracked};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::conn::Outbound;
use crate::auth::Tracking;

/// A join's presence: its tracked entry and its follower task, both ended with the join.
pub(crate) struct JoinPresence {
    _tracked: Option<Tracked>,
    task: Option<JoinHandle<()>>,
}

impl Drop for JoinPresence {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl JoinPresence {
    /// Tracks `tracking` and, when the join asked to `follow`, starts forwarding the topic's
    /// presence into the connection's queue; notes in the join's `response` whether it follows.
    pub(crate) async fn start(
        presence: Option<&Arc<Presence>>,
        tracking: Option<Tracking>,
        follow: bool,
        topic: &Topic,
        prefix: &str,
        tx: &mpsc::Sender<Outbound>,
        response: &mut Value,
    ) -> Self {
        let Some(presence) = presence else {
            if follow {
                response["presence"] = json!(false);
            }
            return JoinPresence {
                _tracked: None,
                task: None,
            };
        };
        let tracked = match tracking {
            None => None,
            Some(tracking) => match presence.track(topic, &tracking.key, &tracking.meta).await {
                Ok(tracked) => Some(tracked),
                Err(error) => {
                    tracing::warn!(%error, topic = topic.as_str(), "a join could not be tracked");
                    None
                }
            },
        };
        let task = follow.then(|| {
            response["presence"] = json!(true);
            tokio::spawn(forward(
                Arc::clone(presence),
                topic.clone(),
                prefix.to_owned(),
                tx.clone(),
            ))
        });
        JoinPresence {
            _tracked: tracked,
            task,
        }
    }
}

/// Follows the topic's presence into the connection's queue (a full queue waits here; the
/// follower's own bounded buffer then turns into a fresh `$presence_state`).
async fn forward(
    presence: Arc<Presence>,
    topic: Topic,
    prefix: String,
    tx: mpsc::Sender<Outbound>,
) {
    let mut stream = match presence.follow::<Value>(&topic).await {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%error, topic = topic.as_str(), "a join could not follow presence");
            return;
        }
    };
    while let Some(event) = stream.recv().await {
        let frame = match event {
            PresenceEvent::State(state) => frame(&prefix, "$presence_state", &by_key(&state)),
            PresenceEvent::Diff(diff) => frame(
                &prefix,
                "$presence_diff",
                &json!({ "joins": by_key(&diff.joins), "leaves": by_key(&diff.leaves) }),
            ),
        };
        if tx.send(Outbound::Text(frame)).await.is_err() {
            return;
        }
    }
}

/// `{key: {"metas": [{"id": .., "meta": ..}]}}`, as Phoenix's presence payloads.
pub(crate) fn by_key(presences: &Presences<Value>) -> Value {
    let mut keys = Map::new();
    for (key, metas) in presences {
        let metas: Vec<Value> = metas
            .iter()
            .map(|m| json!({ "id": m.id.to_string(), "meta": m.meta }))
            .collect();
        keys.insert(key.clone(), json!({ "metas": metas }));
    }
    Value::Object(keys)
}

fn frame(prefix: &str, event: &str, payload: &Value) -> String {
    format!("{prefix}\"{event}\",\"payload\":{payload}}}")
}
