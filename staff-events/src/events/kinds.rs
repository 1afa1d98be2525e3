//! Kinds: which events a broadcast function accepts, so a team event cannot be sent through the
//! person rule.
//!
//! Each rule takes a small kind plus the payload SPEC.md names, and maps them into the flat
//! [`StaffEvent`] that subscribers match on. Every staff rule has one payload type, so the kinds
//! are plain enums with an `event` method.

use super::StaffEvent;
use super::payloads::{
    DepartmentPayload, PeopleBulkPayload, PersonPayload, PersonSkillPayload, PersonTarget,
    SkillPayload, TeamMembershipPayload, TeamPayload,
};

/// A department change, sent with a [`DepartmentPayload`] by
/// [`broadcast_department`](crate::broadcast_department).
///
/// ```
/// use pubsub_core::Event;
/// use staff_events::{DepartmentChange, DepartmentPayload};
/// let event = DepartmentChange::Deleted.event(DepartmentPayload { uuid: uuid::Uuid::nil(), name: "Sales".into() });
/// assert_eq!(event.name(), "department_deleted");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepartmentChange {
    /// `department_created`.
    Created,
    /// `department_updated`.
    Updated,
    /// `department_deleted`.
    Deleted,
}

impl DepartmentChange {
    /// Every variant, in SPEC.md's order.
    ///
    /// ```
    /// # use staff_events::DepartmentChange;
    /// assert_eq!(DepartmentChange::ALL.len(), 3);
    /// ```
    pub const ALL: [DepartmentChange; 3] = [
        DepartmentChange::Created,
        DepartmentChange::Updated,
        DepartmentChange::Deleted,
    ];

    /// The wire event for this change and payload.
    pub fn event(self, payload: DepartmentPayload) -> StaffEvent {
        match self {
            DepartmentChange::Created => StaffEvent::DepartmentCreated(payload),
            DepartmentChange::Updated => StaffEvent::DepartmentUpdated(payload),
            DepartmentChange::Deleted => StaffEvent::DepartmentDeleted(payload),
        }
    }
}

/// A team change, sent with a [`TeamPayload`] by [`broadcast_team`](crate::broadcast_team).
///
/// ```
/// use pubsub_core::Event;
/// use staff_events::{TeamChange, TeamPayload};
/// let event = TeamChange::Deleted.event(TeamPayload { uuid: uuid::Uuid::nil(), name: "Crew".into(), department_uuid: None });
/// assert_eq!(event.name(), "team_deleted");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamChange {
    /// `team_created`.
    Created,
    /// `team_updated`.
    Updated,
    /// `team_deleted`.
    Deleted,
}

impl TeamChange {
    /// Every variant, in SPEC.md's order.
    ///
    /// ```
    /// # use staff_events::TeamChange;
    /// assert_eq!(TeamChange::ALL.len(), 3);
    /// ```
    pub const ALL: [TeamChange; 3] = [
        TeamChange::Created,
        TeamChange::Updated,
        TeamChange::Deleted,
    ];

    /// The wire event for this change and payload.
    pub fn event(self, payload: TeamPayload) -> StaffEvent {
        match self {
            TeamChange::Created => StaffEvent::TeamCreated(payload),
            TeamChange::Updated => StaffEvent::TeamUpdated(payload),
            TeamChange::Deleted => StaffEvent::TeamDeleted(payload),
        }
    }
}

/// A change to one person, sent with a [`PersonPayload`] by
/// [`broadcast_person`](crate::broadcast_person). For many people at once, see [`PeopleBulkChange`].
///
/// ```
/// use pubsub_core::Event;
/// use staff_events::{PersonChange, PersonPayload};
/// let event = PersonChange::EmploymentChanged.event(PersonPayload { uuid: uuid::Uuid::nil() });
/// assert_eq!(event.name(), "person_employment_changed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonChange {
    /// `person_created`.
    Created,
    /// `person_updated`.
    Updated,
    /// `person_deleted`.
    Deleted,
    /// `person_employment_changed`.
    EmploymentChanged,
}

impl PersonChange {
    /// Every variant, in SPEC.md's order.
    ///
    /// ```
    /// # use staff_events::PersonChange;
    /// assert_eq!(PersonChange::ALL.len(), 4);
    /// ```
    pub const ALL: [PersonChange; 4] = [
        PersonChange::Created,
        PersonChange::Updated,
        PersonChange::Deleted,
        PersonChange::EmploymentChanged,
    ];

    /// The wire event for this change and payload.
    pub fn event(self, payload: PersonPayload) -> StaffEvent {
        match self {
            PersonChange::Created => StaffEvent::PersonCreated(payload),
            PersonChange::Updated => StaffEvent::PersonUpdated(PersonTarget::One(payload)),
            PersonChange::Deleted => StaffEvent::PersonDeleted(PersonTarget::One(payload)),
            PersonChange::EmploymentChanged => StaffEvent::PersonEmploymentChanged(payload),
        }
    }
}

/// A person joining or leaving a team, sent with a [`TeamMembershipPayload`] by
/// [`broadcast_team_membership`](crate::broadcast_team_membership).
///
/// ```
/// use pubsub_core::Event;
/// use staff_events::{TeamMembershipChange, TeamMembershipPayload};
/// # let id = uuid::Uuid::nil();
/// let event = TeamMembershipChange::Removed.event(TeamMembershipPayload { team_uuid: id, staff_person_uuid: id, uuid: id });
/// assert_eq!(event.name(), "team_person_removed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamMembershipChange {
    /// `team_person_added`.
    Added,
    /// `team_person_removed`.
    Removed,
}

impl TeamMembershipChange {
    /// Every variant, in SPEC.md's order.
    ///
    /// ```
    /// # use staff_events::TeamMembershipChange;
    /// assert_eq!(TeamMembershipChange::ALL.len(), 2);
    /// ```
    pub const ALL: [TeamMembershipChange; 2] =
        [TeamMembershipChange::Added, TeamMembershipChange::Removed];

    /// The wire event for this change and payload.
    pub fn event(self, payload: TeamMembershipPayload) -> StaffEvent {
        match self {
            TeamMembershipChange::Added => StaffEvent::TeamPersonAdded(payload),
            TeamMembershipChange::Removed => StaffEvent::TeamPersonRemoved(payload),
        }
    }
}

/// A skill change, sent with a [`SkillPayload`] by [`broadcast_skill`](crate::broadcast_skill).
///
/// ```
/// use pubsub_core::Event;
/// use staff_events::{SkillChange, SkillPayload};
/// let event = SkillChange::Deleted.event(SkillPayload { uuid: uuid::Uuid::nil(), name: "Welding".into() });
/// assert_eq!(event.name(), "skill_deleted");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkillChange {
    /// `skill_created`.
    Created,
    /// `skill_updated`.
    Updated,
    /// `skill_deleted`.
    Deleted,
}

impl SkillChange {
    /// Every variant, in SPEC.md's order.
    ///
    /// ```
    /// # use staff_events::SkillChange;
    /// assert_eq!(SkillChange::ALL.len(), 3);
    /// ```
    pub const ALL: [SkillChange; 3] = [
        SkillChange::Created,
        SkillChange::Updated,
        SkillChange::Deleted,
    ];

    /// The wire event for this change and payload.
    pub fn event(self, payload: SkillPayload) -> StaffEvent {
        match self {
            SkillChange::Created => StaffEvent::SkillCreated(payload),
            SkillChange::Updated => StaffEvent::SkillUpdated(payload),
            SkillChange::Deleted => StaffEvent::SkillDeleted(payload),
        }
    }
}

/// A change to one person's skill, sent with a [`PersonSkillPayload`] by
/// [`broadcast_person_skill`](crate::broadcast_person_skill).
///
/// ```
/// use pubsub_core::Event;
/// use staff_events::{PersonSkillChange, PersonSkillPayload};
/// # let id = uuid::Uuid::nil();
/// let event = PersonSkillChange::Removed.event(PersonSkillPayload { skill_uuid: id, staff_person_uuid: id, uuid: id });
/// assert_eq!(event.name(), "person_skill_removed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonSkillChange {
    /// `person_skill_added`.
    Added,
    /// `person_skill_updated`.
    Updated,
    /// `person_skill_removed`.
    Removed,
}

impl PersonSkillChange {
    /// Every variant, in SPEC.md's order.
    ///
    /// ```
    /// # use staff_events::PersonSkillChange;
    /// assert_eq!(PersonSkillChange::ALL.len(), 3);
    /// ```
    pub const ALL: [PersonSkillChange; 3] = [
        PersonSkillChange::Added,
        PersonSkillChange::Updated,
        PersonSkillChange::Removed,
    ];

    /// The wire event for this change and payload.
    pub fn event(self, payload: PersonSkillPayload) -> StaffEvent {
        match self {
            PersonSkillChange::Added => StaffEvent::PersonSkillAdded(payload),
            PersonSkillChange::Updated => StaffEvent::PersonSkillUpdated(payload),
            PersonSkillChange::Removed => StaffEvent::PersonSkillRemoved(payload),
        }
    }
}

/// A change to many people at once (an import, a bulk edit), sent by
/// [`broadcast_people_bulk`](crate::broadcast_people_bulk) with the payload `{"bulk": true}`
/// to `staff:people` only.
///
/// ```
/// use staff_events::{PeopleBulkChange, PeopleBulkPayload, PersonTarget, StaffEvent};
/// assert_eq!(
///     PeopleBulkChange::Deleted.event(),
///     StaffEvent::PersonDeleted(PersonTarget::Bulk(PeopleBulkPayload))
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeopleBulkChange {
    /// Bulk `person_updated`.
    Updated,
    /// Bulk `person_deleted`.
    Deleted,
}

impl PeopleBulkChange {
    /// Every bulk change.
    ///
    /// ```
    /// # use staff_events::PeopleBulkChange;
    /// assert_eq!(PeopleBulkChange::ALL.len(), 2);
    /// ```
    pub const ALL: [PeopleBulkChange; 2] = [PeopleBulkChange::Updated, PeopleBulkChange::Deleted];

    /// The wire event: `person_updated` or `person_deleted` with the bulk payload.
    pub fn event(self) -> StaffEvent {
        let target = PersonTarget::Bulk(PeopleBulkPayload);
        match self {
            PeopleBulkChange::Updated => StaffEvent::PersonUpdated(target),
            PeopleBulkChange::Deleted => StaffEvent::PersonDeleted(target),
        }
    }
}
