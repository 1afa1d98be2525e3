//! The fan-out rules of SPEC.md as pure functions: which topics an event reaches.
//!
//! Each function returns the topics in a stable order (list topic first, then the record's own,
//! as upstream publishes them), without duplicates: the topics of one rule differ in their fixed
//! parts, so none can repeat. [`topics_for`] gives the topics of any [`StaffEvent`]; the
//! broadcast functions are that plus a publish to each topic.

use pubsub_core::Topic;
use uuid::Uuid;

use crate::events::{PersonTarget, StaffEvent};
use crate::topics::{DEPARTMENT, DEPARTMENTS, PEOPLE, PERSON, SKILL, SKILLS, TEAM, TEAMS};

/// `broadcast_department`'s rule: `staff:departments` and `staff:department:<uuid>`.
///
/// ```
/// use staff_events::{topic_department, topics_for_department, DEPARTMENTS};
/// let uuid = uuid::Uuid::nil();
/// assert_eq!(topics_for_department(uuid), [DEPARTMENTS, topic_department(uuid).into_topic()]);
/// ```
pub fn topics_for_department(uuid: Uuid) -> Vec<Topic> {
    vec![DEPARTMENTS, DEPARTMENT.topic(uuid)]
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
pub fn topics_for_team(uuid: Uuid, department_uuid: Option<Uuid>) -> Vec<Topic> {
    let mut topics = Vec::with_capacity(3);
    topics.push(TEAMS);
    topics.push(TEAM.topic(uuid));
    topics.extend(department_uuid.map(|department| DEPARTMENT.topic(department)));
    topics
}

/// `broadcast_person`'s rule: `staff:people` and `staff:person:<uuid>`.
///
/// ```
/// use staff_events::{topic_person, topics_for_person, PEOPLE};
/// let uuid = uuid::Uuid::nil();
/// assert_eq!(topics_for_person(uuid), [PEOPLE, topic_person(uuid).into_topic()]);
/// ```
pub fn topics_for_person(uuid: Uuid) -> Vec<Topic> {
    vec![PEOPLE, PERSON.topic(uuid)]
}

/// `broadcast_people_bulk`'s rule: `staff:people` only (no person's own topic: no one person
/// changed).
///
/// ```
/// use staff_events::{topics_for_people_bulk, PEOPLE};
/// assert_eq!(topics_for_people_bulk(), [PEOPLE]);
/// ```
pub fn topics_for_people_bulk() -> Vec<Topic> {
    vec![PEOPLE]
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
pub fn topics_for_team_membership(team_uuid: Uuid, staff_person_uuid: Uuid) -> Vec<Topic> {
    vec![
        TEAMS,
        TEAM.topic(team_uuid),
        PEOPLE,
        PERSON.topic(staff_person_uuid),
    ]
}

/// `broadcast_skill`'s rule: `staff:skills` and `staff:skill:<uuid>`.
///
/// ```
/// use staff_events::{topic_skill, topics_for_skill, SKILLS};
/// let uuid = uuid::Uuid::nil();
/// assert_eq!(topics_for_skill(uuid), [SKILLS, topic_skill(uuid).into_topic()]);
/// ```
pub fn topics_for_skill(uuid: Uuid) -> Vec<Topic> {
    vec![SKILLS, SKILL.topic(uuid)]
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
pub fn topics_for_person_skill(skill_uuid: Uuid, staff_person_uuid: Uuid) -> Vec<Topic> {
    vec![
        SKILLS,
        SKILL.topic(skill_uuid),
        PEOPLE,
        PERSON.topic(staff_person_uuid),
    ]
}

/// The topics any staff event reaches, by the rule of its kind. A bulk `person_updated` or
/// `person_deleted` reaches `staff:people` only.
///
/// Use it to list the topics a screen must hold, or to relay an event decoded elsewhere.
///
/// ```
/// use staff_events::{topics_for, PeopleBulkChange, PEOPLE};
/// assert_eq!(topics_for(&PeopleBulkChange::Updated.event()), [PEOPLE]);
/// ```
pub fn topics_for(event: &StaffEvent) -> Vec<Topic> {
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
