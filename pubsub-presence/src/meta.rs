//! How a follower or a list takes each presence's metadata: decoded into the caller's type
//! ([`FromMeta`] for every `DeserializeOwned`), or kept as the JSON it was tracked as
//! ([`RawMeta`]: shared, neither parsed nor copied).

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

/// What a presence's metadata can be taken as: any `DeserializeOwned` type (decoded from its
/// JSON), or [`RawMeta`].
///
/// ```
/// use pubsub_presence::FromMeta;
/// let tab: u32 = FromMeta::from_meta(&"3".into()).unwrap();
/// assert_eq!(tab, 3);
/// ```
pub trait FromMeta: Sized {
    /// Takes the metadata `json` (valid JSON: it was encoded by the tracking node, or checked
    /// when it came off the wire).
    ///
    /// # Errors
    ///
    /// When it does not decode as `Self`; the presence is then left out (and logged).
    fn from_meta(json: &Arc<str>) -> Result<Self, serde_json::Error>;
}

impl<M: DeserializeOwned> FromMeta for M {
    fn from_meta(json: &Arc<str>) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// A presence's metadata as the JSON it was tracked as, shared with the node's replica and
/// every other follower: taking it neither parses nor copies it. For a gateway that writes the
/// metadata into its own frames (`pubsub-axum` does).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), pubsub_presence::PresenceError> {
/// use pubsub_presence::{Presence, PresenceEvent, RawMeta};
/// let presence = Presence::start(pubsub_core::MemoryBroker::new(), Default::default()).await?;
/// let topic = pubsub_core::Topic::new("projects:7")?;
/// let _ada = presence.track(&topic, "ada", &serde_json::json!({"tab": 1})).await?;
/// let mut follow = presence.follow::<RawMeta>(&topic).await?;
/// let Some(PresenceEvent::State(state)) = follow.recv().await else { panic!() };
/// assert_eq!(state.get("ada").unwrap()[0].meta.get(), r#"{"tab":1}"#);
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RawMeta(Arc<str>);

impl RawMeta {
    /// The metadata's JSON text (valid JSON).
    ///
    /// ```
    /// use pubsub_presence::{FromMeta, RawMeta};
    /// let meta = RawMeta::from_meta(&r#"{"tab":1}"#.into()).unwrap();
    /// assert_eq!(meta.get(), r#"{"tab":1}"#);
    /// ```
    pub fn get(&self) -> &str {
        &self.0
    }

    /// Whether two take the same shared text (not a copy of it).
    #[cfg(test)]
    pub(crate) fn shares(&self, other: &RawMeta) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl FromMeta for RawMeta {
    fn from_meta(json: &Arc<str>) -> Result<Self, serde_json::Error> {
        Ok(RawMeta(Arc::clone(json)))
    }
}

impl fmt::Debug for RawMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for RawMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use pubsub_core::{MemoryBroker, Topic};
    use serde_json::json;

    use super::*;
    use crate::{Presence, PresenceConfig, PresenceEvent};

    /// The metadata of `key` in a state.
    fn meta_of(event: Option<PresenceEvent<RawMeta>>, key: &str) -> RawMeta {
        let Some(PresenceEvent::State(state)) = event else {
            panic!("a state first: {event:?}");
        };
        state.get(key).expect("the key")[0].meta.clone()
    }

    #[tokio::test]
    async fn raw_followers_share_the_tracked_text_and_typed_ones_decode_it() {
        let presence = Presence::start(MemoryBroker::new(), PresenceConfig::fast())
            .await
            .unwrap();
        let topic = Topic::new("docs:raw").unwrap();
        let _ada = presence
            .track(&topic, "ada", &json!({"name": "Ada", "tab": 2}))
            .await
            .unwrap();
        let mut one = presence.follow::<RawMeta>(&topic).await.unwrap();
        let mut two = presence.follow::<RawMeta>(&topic).await.unwrap();
        let (one, two) = (
            meta_of(one.recv().await, "ada"),
            meta_of(two.recv().await, "ada"),
        );
        assert_eq!(one.get(), r#"{"name":"Ada","tab":2}"#);
        assert!(one.shares(&two), "one text for both, not a copy each");
        let listed = presence.list::<RawMeta>(&topic).await.unwrap();
        assert!(listed.get("ada").unwrap()[0].meta.shares(&one));
        let typed = presence.list::<serde_json::Value>(&topic).await.unwrap();
        assert_eq!(typed.get("ada").unwrap()[0].meta["tab"], 2);
    }

    #[tokio::test]
    async fn a_raw_follower_gets_a_diff_with_the_text_of_a_join() {
        let presence = Presence::start(MemoryBroker::new(), PresenceConfig::fast())
            .await
            .unwrap();
        let topic = Topic::new("docs:raw-diff").unwrap();
        let mut follow = presence.follow::<RawMeta>(&topic).await.unwrap();
        assert!(matches!(follow.recv().await, Some(PresenceEvent::State(s)) if s.is_empty()));
        let _bob = presence.track(&topic, "bob", &[1, 2]).await.unwrap();
        let Some(PresenceEvent::Diff(diff)) = follow.recv().await else {
            panic!("a diff");
        };
        assert_eq!(diff.joins.get("bob").unwrap()[0].meta.get(), "[1,2]");
    }
}
