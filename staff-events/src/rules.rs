//! The fan-out rules of SPEC.md as pure functions: which topics an event reaches.
//!
//! Each function returns the topics in a stable order (list topic first, then the record's own,
//! as upstream publishes them), without duplicates: the topics of one rule differ in their fixed
//! parts, so none can repeat. The topics are typed, `Vec<TypedTopic<StaffEvent>>`.
//! [`topics_for`] gives the topics of any [`StaffEvent`]; the broadcast functions are that plus
//! [`pubsub_core::broadcast_event`] to those topics, so the topics and the event cannot be of
//! different domains.

use pubsub_core::TypedTopic;
use uuid::Uuid;

use crate::events::{PersonTarget, StaffEvent};
use crate::topics::{
    topic_department, topic_departments, topic_people, topic_person, topic_skill, topic_skills,
    topic_team, topic_teams,
};

/// `broadcast_department`'s rule: `staff:departments` and `staff:department:<uuid>`.
///
/// ```
/// use staff_events::{topic_department, topic_departments, topics_for_department};
/// let uuid = uuid::Uuid::nil();
/// assert_eq!(topics_for_department(uuid), [topic_departments(), topic_department(uuid)]);
/// ```
pub fn topics_for_department(uuid: Uuid) -> Vec<TypedTopic<StaffEvent>> {
    vec![topic_departments(), topic_department(uuid)]
}

/// `broadcast_team`'s rule: `staff:teams`, `staff:team:<uuid>`, and, when the team belongs to a
/// department, `staff:department:<department_uuid>`.
///
/// ```
/// use staff_events::topics_for_team;
/// let (team, department) = (uuid::Uuid::nil(), uuid::Uuid::max());
/// assert_eq!(topics_for_team(team, None).len(), 2);
/// let with_department = topics_for_team(team, Some(department));
/// assert_eq!(with_department[2].as_str(), "staff:department:ffffffff-ffff-ffff-ffff-ffffffffffff");
/// ```
pub fn topics_for_team(uuid: Uuid, department_uuid: Option<Uuid>) -> Vec<TypedTopic<StaffEvent>> {
    let mut topics = Vec::with_capacity(3);
    topics.push(topic_teams());
    topics.push(topic_team(uuid));
    topics.extend(department_uuid.map(topic_department));
    topics
}

/// `broadcast_person`'s rule: `staff:people` and `staff:person:<uuid>`.
///
/// ```
/// use staff_events::{topic_people, topic_person, topics_for_person};
/// let uuid = uuid::Uuid::nil();
/// assert_eq!(topics_for_person(uuid), [topic_people(), topic_person(uuid)]);
/// ```
pub fn topics_for_person(uuid: Uuid) -> Vec<TypedTopic<StaffEvent>> {
    vec![topic_people(), topic_person(uuid)]
}

/// `broadcast_people_bulk`'s rule: `staff:people` only (no person's own topic: no one person
/// changed).
///
/// ```
/// use staff_events::{topic_people, topics_for_people_bulk};
/// assert_eq!(topics_for_people_bulk(), [topic_people()]);
/// ```
pub fn topics_for_people_bulk() -> Vec<TypedTopic<StaffEvent>> {
    vec![topic_people()]
}

/// `broadcast_team_membership`'s rule: `staff:teams`, `staff:team:<team_uuid>`, `staff:people`
/// and `staff:person:<staff_person_uuid>`.
///
/// ```
/// use staff_events::topics_for_team_membership;
/// let names: Vec<String> = topics_for_team_membership(uuid::Uuid::nil(), uuid::Uuid::max())
///     .iter().map(ToString::to_string).collect();
/// assert_eq!(names, [
///     "staff:teams",
///     "staff:team:00000000-0000-0000-0000-000000000000",
///     "staff:people",
///     "staff:person:ffffffff-ffff-ffff-ffff-ffffffffffff",
/// ]);
/// ```
pub fn topics_for_team_membership(
    team_uuid: Uuid,
    staff_person_uuid: Uuid,
) -> Vec<TypedTopic<StaffEvent>> {
    vec![
        topic_teams(),
        topic_team(team_uuid),
        topic_people(),
        topic_person(staff_person_uuid),
    ]
}

/// `broadcast_skill`'s rule: `staff:skills` and `staff:skill:<uuid>`.
///
/// ```
/// use staff_events::{topic_skill, topic_skills, topics_for_skill};
/// let uuid = uuid::Uuid::nil();
/// assert_eq!(topics_for_skill(uuid), [topic_skills(), topic_skill(uuid)]);
/// ```
pub fn topics_for_skill(uuid: Uuid) -> Vec<TypedTopic<StaffEvent>> {
    vec![topic_skills(), topic_skill(uuid)]
}

/// `broadcast_person_skill`'s rule: `staff:skills`, `staff:skill:<skill_uuid>`, `staff:people`
/// and `staff:person:<staff_person_uuid>`.
///
/// ```
/// use staff_events::topics_for_person_skill;
/// let names: Vec<String> = topics_for_person_skill(uuid::Uuid::nil(), uuid::Uuid::max())
///     .iter().map(ToString::to_string).collect();
/// assert_eq!(names, [
///     "staff:skills",
///     "staff:skill:00000000-0000-0000-0000-000000000000",
///     "staff:people",
///     "staff:person:ffffffff-ffff-ffff-ffff-ffffffffffff",
/// ]);
/// ```
pub fn topics_for_person_skill(
    skill_uuid: Uuid,
    staff_person_uuid: Uuid,
) -> Vec<TypedTopic<StaffEvent>> {
    vec![
        topic_skills(),
        topic_skill(skill_uuid),
        topic_people(),
        topic_person(staff_person_uuid),
    ]
}

/// The topics any staff event reaches, by the rule of its kind. A bulk `person_updated` or
/// `person_deleted` reaches `staff:people` only.
///
/// Use it to list the topics a screen must hold (they are typed, so
/// [`BrokerExt::subscribe_events_all`](pubsub_core::BrokerExt::subscribe_events_all) opens one
/// subscription on all of them), or to relay an event decoded elsewhere.
///
/// ```
/// use staff_events::{topic_people, topics_for, PeopleBulkChange};
/// assert_eq!(topics_for(&PeopleBulkChange::Updated.event()), [topic_people()]);
/// ```
pub fn topics_for(event: &StaffEvent) -> Vec<TypedTopic<StaffEvent>> {
    match event {
        StaffEvent::DepartmentCreated(p)
        | StaffEvent::DepartmentUpdated(p)
        | StaffEvent::DepartmentDeleted(p) => topics_for_department(p.uuid),
        StaffEvent::TeamCreated(p) | StaffEvent::TeamUpdated(p) | StaffEvent::TeamDeleted(p) => {
            topics_for_team(p.uuid, p.department_uuid)
        }
        StaffEvent::PersonCreated(p) | StaffEvent::PersonEmploymentChanged(p) => {
            topics_for_person(p.uuid)
        }
        StaffEvent::PersonUpdated(target) | StaffEvent::PersonDeleted(target) => match target {
            PersonTarget::One(p) => topics_for_person(p.uuid),
            PersonTarget::Bulk(_) => topics_for_people_bulk(),
        },
        StaffEvent::TeamPersonAdded(p) | StaffEvent::TeamPersonRemoved(p) => {
            topics_for_team_membership(p.team_uuid, p.staff_person_uuid)
        }
        StaffEvent::SkillCreated(p) | StaffEvent::SkillUpdated(p) | StaffEvent::SkillDeleted(p) => {
            topics_for_skill(p.uuid)
        }
        StaffEvent::PersonSkillAdded(p)
        | StaffEvent::PersonSkillUpdated(p)
        | StaffEvent::PersonSkillRemoved(p) => {
            topics_for_person_skill(p.skill_uuid, p.staff_person_uuid)
        }
    }
}
