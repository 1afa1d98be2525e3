//! Every public type is `Send + Sync` (and the broadcast futures are `Send`).

use pubsub_core::Broker;
use staff_events::{
    DepartmentChange, DepartmentPayload, PeopleBulkChange, PeopleBulkPayload, PersonChange,
    PersonPayload, PersonSkillChange, PersonSkillPayload, PersonTarget, SkillChange, SkillPayload,
    StaffEvent, TeamChange, TeamMembershipChange, TeamMembershipPayload, TeamPayload,
};

fn send_sync<T: Send + Sync + 'static>() {}

fn send<T: Send>(_: &T) {}

#[test]
fn every_public_type_is_send_and_sync() {
    send_sync::<StaffEvent>();
    send_sync::<DepartmentPayload>();
    send_sync::<TeamPayload>();
    send_sync::<PersonPayload>();
    send_sync::<PeopleBulkPayload>();
    send_sync::<PersonTarget>();
    send_sync::<TeamMembershipPayload>();
    send_sync::<SkillPayload>();
    send_sync::<PersonSkillPayload>();
    send_sync::<DepartmentChange>();
    send_sync::<TeamChange>();
    send_sync::<PersonChange>();
    send_sync::<PeopleBulkChange>();
    send_sync::<TeamMembershipChange>();
    send_sync::<SkillChange>();
    send_sync::<PersonSkillChange>();
}

#[test]
fn broadcast_futures_can_be_spawned() {
    let broker = pubsub_core::MemoryBroker::new();
    let dynamic: &dyn Broker = &broker;
    send(&staff_events::broadcast_people_bulk(
        dynamic,
        PeopleBulkChange::Updated,
    ));
    send(&staff_events::subscribe(
        dynamic,
        &staff_events::topic_people(),
    ));
}
