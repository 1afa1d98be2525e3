//! The wire enum, [`StaffEvent`], its payloads and the kinds the broadcast functions take.
//!
//! A `StaffEvent` serialises as `{"event": "<atom text>", "payload": {...}}`, the Rust form of
//! the Elixir message `{:staff, :team_updated, %{uuid: ..}}`; the domain tag `staff` travels
//! beside it in the [`Message`](pubsub_core::Message).

mod kinds;
mod payloads;

use pubsub_core::Event;
use serde::{Deserialize, Serialize};

pub use kinds::{
    DepartmentChange, PeopleBulkChange, PersonChange, PersonSkillChange, SkillChange, TeamChange,
    TeamMembershipChange,
};
pub use payloads::{
    DepartmentPayload, PeopleBulkPayload, PersonPayload, PersonSkillPayload, PersonTarget,
    SkillPayload, TeamMembershipPayload, TeamPayload,
};

/// The domain tag of every staff message (`:staff` in Elixir).
pub const DOMAIN: &str = "staff";

/// Every event of the staff domain. Variant names mirror the Elixir atoms; the wire name is the
/// atom's text.
///
/// Publishers do not build these by hand: the broadcast functions take a kind and a payload
/// ([`broadcast_team`](crate::broadcast_team) with a [`TeamChange`], ...) and make the right
/// variant. Subscribers match on them.
///
/// ```
/// use pubsub_core::Event;
/// use staff_events::{StaffEvent, TeamPayload};
/// # let uuid = uuid::Uuid::nil();
///
/// let event = StaffEvent::TeamCreated(TeamPayload { uuid, name: "Crew".into(), department_uuid: None });
/// assert_eq!(event.name(), "team_created");
/// let json = serde_json::to_string(&event)?;
/// assert!(json.starts_with(r#"{"event":"team_created","payload":{"uuid":"#));
///
/// // An event name this version does not know is an error that names it.
/// let err = serde_json::from_str::<StaffEvent>(r#"{"event":"team_exploded","payload":{}}"#)
///     .unwrap_err();
/// assert!(err.to_string().contains("team_exploded"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum StaffEvent {
    /// `department_created`: a department was created.
    DepartmentCreated(DepartmentPayload),
    /// `department_updated`: a department changed.
    DepartmentUpdated(DepartmentPayload),
    /// `department_deleted`: a department was deleted.
    DepartmentDeleted(DepartmentPayload),
    /// `team_created`: a team was created.
    TeamCreated(TeamPayload),
    /// `team_updated`: a team changed.
    TeamUpdated(TeamPayload),
    /// `team_deleted`: a team was deleted.
    TeamDeleted(TeamPayload),
    /// `person_created`: a person was added to the staff.
    PersonCreated(PersonPayload),
    /// `person_updated`: a person changed, or many people at once (a bulk edit).
    PersonUpdated(PersonTarget),
    /// `person_deleted`: a person was removed, or many people at once (a bulk delete).
    PersonDeleted(PersonTarget),
    /// `person_employment_changed`: a person's employment changed.
    PersonEmploymentChanged(PersonPayload),
    /// `team_person_added`: a person joined a team.
    TeamPersonAdded(TeamMembershipPayload),
    /// `team_person_removed`: a person left a team.
    TeamPersonRemoved(TeamMembershipPayload),
    /// `skill_created`: a skill was added to the catalogue of skills.
    SkillCreated(SkillPayload),
    /// `skill_updated`: a skill changed.
    SkillUpdated(SkillPayload),
    /// `skill_deleted`: a skill was deleted.
    SkillDeleted(SkillPayload),
    /// `person_skill_added`: a person gained a skill.
    PersonSkillAdded(PersonSkillPayload),
    /// `person_skill_updated`: a person's skill changed (its level, say).
    PersonSkillUpdated(PersonSkillPayload),
    /// `person_skill_removed`: a person lost a skill.
    PersonSkillRemoved(PersonSkillPayload),
}

impl Event for StaffEvent {
    const DOMAIN: &'static str = DOMAIN;

    fn name(&self) -> &'static str {
        match self {
            StaffEvent::DepartmentCreated(_) => "department_created",
            StaffEvent::DepartmentUpdated(_) => "department_updated",
            StaffEvent::DepartmentDeleted(_) => "department_deleted",
            StaffEvent::TeamCreated(_) => "team_created",
            StaffEvent::TeamUpdated(_) => "team_updated",
            StaffEvent::TeamDeleted(_) => "team_deleted",
            StaffEvent::PersonCreated(_) => "person_created",
            StaffEvent::PersonUpdated(_) => "person_updated",
            StaffEvent::PersonDeleted(_) => "person_deleted",
            StaffEvent::PersonEmploymentChanged(_) => "person_employment_changed",
            StaffEvent::TeamPersonAdded(_) => "team_person_added",
            StaffEvent::TeamPersonRemoved(_) => "team_person_removed",
            StaffEvent::SkillCreated(_) => "skill_created",
            StaffEvent::SkillUpdated(_) => "skill_updated",
            StaffEvent::SkillDeleted(_) => "skill_deleted",
            StaffEvent::PersonSkillAdded(_) => "person_skill_added",
            StaffEvent::PersonSkillUpdated(_) => "person_skill_updated",
            StaffEvent::PersonSkillRemoved(_) => "person_skill_removed",
        }
    }
}
