//! Payload structs: the identifiers and the few fields SPEC.md lists, never whole records.
//!
//! Every payload tolerates unknown JSON fields (a newer publisher may add one). Optional fields
//! are written as `null` when absent, as Elixir's `Jason` writes `nil`, and read as `None` when
//! missing.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The payload of `department_created`, `department_updated` and `department_deleted`.
///
/// ```
/// use staff_events::DepartmentPayload;
/// let payload = DepartmentPayload { uuid: uuid::Uuid::nil(), name: "Sales".to_owned() };
/// assert_eq!(payload.name, "Sales");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DepartmentPayload {
    /// The department's UUID.
    pub uuid: Uuid,
    /// The department's name.
    pub name: String,
}

/// The payload of `team_created`, `team_updated` and `team_deleted`. A team in a department
/// also fans out to that department's topic.
///
/// ```
/// use staff_events::TeamPayload;
/// # let (team, department) = (uuid::Uuid::nil(), uuid::Uuid::max());
/// let payload = TeamPayload { uuid: team, name: "Field crew".to_owned(), department_uuid: Some(department) };
/// assert_eq!(payload.department_uuid, Some(department));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TeamPayload {
    /// The team's UUID.
    pub uuid: Uuid,
    /// The team's name.
    pub name: String,
    /// The UUID of the team's department, if it belongs to one.
    #[serde(default)]
    pub department_uuid: Option<Uuid>,
}

/// The payload of one person's events (`person_created`, `person_updated`, `person_deleted`,
/// `person_employment_changed`): the person's `uuid`.
///
/// ```
/// use staff_events::PersonPayload;
/// let payload = PersonPayload { uuid: uuid::Uuid::nil() };
/// assert_eq!(serde_json::to_string(&payload)?, r#"{"uuid":"00000000-0000-0000-0000-000000000000"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonPayload {
    /// The person's UUID.
    pub uuid: Uuid,
}

/// The payload of a bulk `person_updated` or `person_deleted` (many people changed at once):
/// `{"bulk": true}` on the wire, and nothing else.
///
/// ```
/// use staff_events::PeopleBulkPayload;
/// assert_eq!(serde_json::to_string(&PeopleBulkPayload)?, r#"{"bulk":true}"#);
/// assert!(serde_json::from_str::<PeopleBulkPayload>(r#"{"bulk":false}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "BulkWire", into = "BulkWire")]
pub struct PeopleBulkPayload;

/// The wire form of [`PeopleBulkPayload`].
#[derive(Serialize, Deserialize)]
struct BulkWire {
    bulk: bool,
}

/// Why a payload was not a bulk payload.
#[derive(Debug)]
struct NotBulk;

impl fmt::Display for NotBulk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bulk people payload must say `bulk: true`")
    }
}

impl TryFrom<BulkWire> for PeopleBulkPayload {
    type Error = NotBulk;
    fn try_from(wire: BulkWire) -> Result<Self, NotBulk> {
        if wire.bulk {
            Ok(PeopleBulkPayload)
        } else {
            Err(NotBulk)
        }
    }
}

impl From<PeopleBulkPayload> for BulkWire {
    fn from(_: PeopleBulkPayload) -> Self {
        BulkWire { bulk: true }
    }
}

/// The payload of `person_updated` and `person_deleted`: one person, or many at once.
///
/// On the wire it is either `{"uuid": ..}` or `{"bulk": true}`. A subscriber of `staff:people`
/// reloads the whole list on a bulk change; a person's page only ever sees [`One`](Self::One).
///
/// ```
/// use staff_events::{PersonPayload, PersonTarget};
/// let one: PersonTarget = serde_json::from_str(r#"{"uuid":"00000000-0000-0000-0000-000000000000"}"#)?;
/// assert_eq!(one, PersonTarget::One(PersonPayload { uuid: uuid::Uuid::nil() }));
/// let bulk: PersonTarget = serde_json::from_str(r#"{"bulk":true}"#)?;
/// assert!(bulk.is_bulk());
///
/// let err = serde_json::from_str::<PersonTarget>("{}").unwrap_err();
/// assert!(err.to_string().contains("needs `uuid`"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged, try_from = "TargetWire")]
pub enum PersonTarget {
    /// One person changed.
    One(PersonPayload),
    /// Many people changed at once (an import, a bulk edit).
    Bulk(PeopleBulkPayload),
}

impl PersonTarget {
    /// The person's UUID, or `None` for a bulk change.
    ///
    /// ```
    /// # use staff_events::{PeopleBulkPayload, PersonTarget};
    /// assert_eq!(PersonTarget::Bulk(PeopleBulkPayload).uuid(), None);
    /// ```
    pub fn uuid(&self) -> Option<Uuid> {
        match self {
            PersonTarget::One(person) => Some(person.uuid),
            PersonTarget::Bulk(_) => None,
        }
    }

    /// Whether this is a bulk change.
    ///
    /// ```
    /// # use staff_events::{PersonPayload, PersonTarget};
    /// assert!(!PersonTarget::One(PersonPayload { uuid: uuid::Uuid::nil() }).is_bulk());
    /// ```
    pub fn is_bulk(&self) -> bool {
        matches!(self, PersonTarget::Bulk(_))
    }
}

/// The wire form of [`PersonTarget`], read leniently and then checked.
#[derive(Deserialize)]
struct TargetWire {
    #[serde(default)]
    uuid: Option<Uuid>,
    #[serde(default)]
    bulk: Option<bool>,
}

/// Why a payload was neither one person nor a bulk change.
#[derive(Debug)]
struct NoTarget;

impl fmt::Display for NoTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a person payload needs `uuid`, or `bulk: true` for a bulk change")
    }
}

impl TryFrom<TargetWire> for PersonTarget {
    type Error = NoTarget;
    fn try_from(wire: TargetWire) -> Result<Self, NoTarget> {
        match (wire.uuid, wire.bulk) {
            (Some(uuid), _) => Ok(PersonTarget::One(PersonPayload { uuid })),
            (None, Some(true)) => Ok(PersonTarget::Bulk(PeopleBulkPayload)),
            (None, _) => Err(NoTarget),
        }
    }
}

impl From<PersonPayload> for PersonTarget {
    fn from(person: PersonPayload) -> Self {
        PersonTarget::One(person)
    }
}

/// The payload of `team_person_added` and `team_person_removed`: person `staff_person_uuid`
/// joined or left team `team_uuid`; `uuid` is the membership's own.
///
/// ```
/// use staff_events::TeamMembershipPayload;
/// # let (team, person, membership) = (uuid::Uuid::nil(), uuid::Uuid::max(), uuid::Uuid::nil());
/// let payload = TeamMembershipPayload { team_uuid: team, staff_person_uuid: person, uuid: membership };
/// assert_eq!(payload.staff_person_uuid, person);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TeamMembershipPayload {
    /// The team's UUID.
    pub team_uuid: Uuid,
    /// The person's UUID.
    pub staff_person_uuid: Uuid,
    /// The membership's UUID.
    pub uuid: Uuid,
}

/// The payload of `skill_created`, `skill_updated` and `skill_deleted`.
///
/// ```
/// use staff_events::SkillPayload;
/// let payload = SkillPayload { uuid: uuid::Uuid::nil(), name: "Welding".to_owned() };
/// assert_eq!(payload.name, "Welding");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SkillPayload {
    /// The skill's UUID.
    pub uuid: Uuid,
    /// The skill's name.
    pub name: String,
}

/// The payload of `person_skill_added`, `person_skill_updated` and `person_skill_removed`:
/// person `staff_person_uuid` gained, changed or lost skill `skill_uuid`; `uuid` is the
/// person-skill record's own.
///
/// ```
/// use staff_events::PersonSkillPayload;
/// # let (skill, person, record) = (uuid::Uuid::nil(), uuid::Uuid::max(), uuid::Uuid::nil());
/// let payload = PersonSkillPayload { skill_uuid: skill, staff_person_uuid: person, uuid: record };
/// assert_eq!(payload.skill_uuid, skill);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonSkillPayload {
    /// The skill's UUID.
    pub skill_uuid: Uuid,
    /// The person's UUID.
    pub staff_person_uuid: Uuid,
    /// The person-skill record's UUID.
    pub uuid: Uuid,
}
