//! Who else is viewing a contact or a team page: the channels' rules (a job page's `jobs:`
//! topics to read, `viewers:` topics to be seen on) and what a viewer is tracked as.
//!
//! A page joins `viewers:<kind>:<id>` over the WebSocket with `presence: true` and params
//! `{"viewer": <a browser's id>, "name": <a display name>}`; the presence key is the browser
//! (its tabs are one key with a meta each), the metadata the name. Both come from the browser:
//! anything out of bounds tracks nothing (the join still works, the viewer is not shown).

use async_trait::async_trait;
use pubsub_axum::{Authorize, Join, Refusal, Tracking};
use pubsub_core::{Topic, TopicPattern};
use serde_json::json;

/// The longest viewer id accepted (a UUID is 36).
pub const MAX_VIEWER: usize = 36;
/// The longest display name accepted, in characters.
pub const MAX_NAME: usize = 40;

/// The presence topic of a contact's page: `viewers:contacts:<id>`.
pub const CONTACT: TopicPattern = TopicPattern::new("viewers:contacts:", "");
/// The presence topic of a team's page: `viewers:teams:<id>`.
pub const TEAM: TopicPattern = TopicPattern::new("viewers:teams:", "");

/// Whether `topic` is a page's presence topic: one of the patterns with a UUID, nothing else
/// (a browser cannot make the node hold presence for names of its own choosing).
fn is_viewers(topic: &Topic) -> bool {
    [CONTACT, TEAM]
        .iter()
        .any(|page| page.id_of(topic).is_some())
}

/// Whether `topic` is a job page's topic: a workflow's or a process's, with a UUID (a browser
/// cannot make the node subscribe to `jobs:` names of its own choosing).
fn is_job_page(topic: &Topic) -> bool {
    [crate::jobs::WORKFLOW, crate::jobs::PROCESS]
        .iter()
        .any(|page| page.id_of(topic).is_some())
}

/// The demo's channel rules.
#[derive(Debug, Clone, Copy)]
pub struct Rules;

#[async_trait]
impl Authorize<()> for Rules {
    async fn join(&self, (): &(), join: Join<'_>) -> Result<(), Refusal> {
        if is_job_page(join.topic) || is_viewers(join.topic) {
            Ok(())
        } else {
            Err(Refusal::unauthorized())
        }
    }

    fn presence(&self, (): &(), join: Join<'_>) -> Option<Tracking> {
        if !is_viewers(join.topic) {
            return None;
        }
        let viewer = join.params["viewer"].as_str()?;
        let name = join.params["name"].as_str()?.trim();
        let viewer_ok = !viewer.is_empty()
            && viewer.len() <= MAX_VIEWER
            && viewer
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let name_ok = !name.is_empty()
            && name.chars().count() <= MAX_NAME
            && !name.chars().any(char::is_control);
        (viewer_ok && name_ok).then(|| Tracking::new(viewer, json!({ "name": name })))
    }
}

#[cfg(test)]
mod tests {
    use pubsub_core::Topic;
    use serde_json::{Value, json};

    use super::*;

    const PAGE: &str = "viewers:contacts:00000000-0000-4000-8000-000000000001";

    fn track(topic: &str, params: &Value) -> Option<Tracking> {
        let topic = Topic::new(topic).unwrap();
        Rules.presence(
            &(),
            Join {
                topic: &topic,
                params,
            },
        )
    }

    fn joins(topic: &str) -> bool {
        let topic = Topic::new(topic).unwrap();
        let params = json!({});
        let join = Join {
            topic: &topic,
            params: &params,
        };
        futures_util::FutureExt::now_or_never(Rules.join(&(), join))
            .expect("the rules do not wait")
            .is_ok()
    }

    #[test]
    fn only_a_job_pages_topics_and_the_viewers_topics_can_be_joined() {
        const ID: &str = "00000000-0000-4000-8000-000000000001";
        assert!(joins(&format!("jobs:workflow:{ID}")));
        assert!(joins(&format!("jobs:process:{ID}")));
        assert!(joins(PAGE));
        for refused in [
            "jobs:made:up".to_owned(),
            "jobs:workflow:1".to_owned(),
            format!("jobs:workflow:{ID}:more"),
            format!("jobs:resource:{ID}"),
            "crm:contacts".to_owned(),
        ] {
            assert!(!joins(&refused), "{refused}");
        }
    }

    #[test]
    fn a_viewer_is_tracked_only_with_bounded_params_on_a_viewers_topic() {
        let ok = json!({"viewer": "b1-22", "name": " Ada "});
        let tracked = track(PAGE, &ok).expect("tracked");
        assert_eq!(
            (tracked.key.as_str(), &tracked.meta),
            ("b1-22", &json!({"name": "Ada"}))
        );
        assert!(track("jobs:1", &ok).is_none(), "not a viewers topic");
        assert!(
            track("viewers:contacts:1", &ok).is_none(),
            "not a record's id"
        );
        assert!(track("viewers:made:up", &ok).is_none(), "not a page");
        for bad in [
            json!({"viewer": "b1", "name": ""}),
            json!({"viewer": "", "name": "Ada"}),
            json!({"viewer": "x".repeat(37), "name": "Ada"}),
            json!({"viewer": "b1", "name": "A".repeat(41)}),
            json!({"viewer": "b 1", "name": "Ada"}),
            json!({"viewer": "b1", "name": "Ada\u{0}"}),
            json!({"viewer": 7, "name": "Ada"}),
            json!(null),
        ] {
            assert!(track(PAGE, &bad).is_none(), "{bad}");
        }
    }
}
