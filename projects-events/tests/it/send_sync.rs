//! Every public type is `Send + Sync` (and the broadcast futures are `Send`).

use projects_events::{
    AssignmentChange, AssignmentPayload, AssignmentReorderedPayload, AssignmentsReordered,
    DependencyChange, DependencyPayload, EmbedEvent, EmbedIntent, EmbedPayload, ModulesChanged,
    ProjectActivity, ProjectChange, ProjectModulesPayload, ProjectPayload, ProjectRefPayload,
    ProjectsEvent, TaskChange, TaskPayload,
};
use pubsub_core::Broker;

fn send_sync<T: Send + Sync + 'static>() {}

fn send<T: Send>(_: &T) {}

#[test]
fn every_public_type_is_send_and_sync() {
    send_sync::<ProjectsEvent>();
    send_sync::<EmbedEvent>();
    send_sync::<ProjectPayload>();
    send_sync::<ProjectRefPayload>();
    send_sync::<ProjectModulesPayload>();
    send_sync::<TaskPayload>();
    send_sync::<AssignmentPayload>();
    send_sync::<AssignmentReorderedPayload>();
    send_sync::<DependencyPayload>();
    send_sync::<EmbedPayload>();
    send_sync::<ProjectChange>();
    send_sync::<ProjectActivity>();
    send_sync::<ModulesChanged>();
    send_sync::<TaskChange>();
    send_sync::<AssignmentChange>();
    send_sync::<AssignmentsReordered>();
    send_sync::<DependencyChange>();
    send_sync::<EmbedIntent>();
}

#[test]
fn broadcast_futures_can_be_spawned() {
    let broker = pubsub_core::MemoryBroker::new();
    let dynamic: &dyn Broker = &broker;
    let payload = ProjectPayload::new(uuid::Uuid::nil(), "Roof");
    send(&projects_events::broadcast_project(
        dynamic,
        ProjectChange::Created,
        payload,
    ));
    send(&projects_events::subscribe(
        dynamic,
        &projects_events::topic_all(),
    ));
}
