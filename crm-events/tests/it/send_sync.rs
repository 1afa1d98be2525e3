//! Every public type is Send and Sync, and broadcast futures are Send (spawnable).

use crm_events::*;
use pubsub_core::{Broker, MemoryBroker};
use uuid::Uuid;

fn send_sync<T: Send + Sync>() {}

fn assert_send<F: std::future::Future + Send>(_: F) {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<CrmEvent>();
    send_sync::<InteractionPayload>();
    send_sync::<CompanyVisibilityPayload>();
    send_sync::<CompanyMemberPayload>();
    send_sync::<ListPayload>();
    send_sync::<ListMemberPayload>();
    send_sync::<ListLocalePayload>();
    send_sync::<ContactOptPayload>();
    send_sync::<InteractionChange>();
    send_sync::<CompanyMemberChange>();
    send_sync::<ListChange>();
    send_sync::<ListMemberChange>();
    send_sync::<ListLocaleChange>();
    send_sync::<ContactOptChange>();
    send_sync::<Interaction>();
    send_sync::<Parties>();
    send_sync::<Party>();
    send_sync::<EventTopics>();
}

#[test]
fn broadcast_futures_are_send() {
    let broker = MemoryBroker::new();
    let dynamic: &dyn Broker = &broker;
    let interaction = Interaction::new(Uuid::new_v4());
    let id = Uuid::new_v4();
    assert_send(broadcast_interaction(
        dynamic,
        InteractionChange::Created,
        &interaction,
    ));
    assert_send(broadcast_interaction_to(
        dynamic,
        InteractionChange::Updated,
        id,
        vec![id],
    ));
    assert_send(broadcast_interaction_update(
        dynamic,
        &interaction,
        &interaction,
    ));
    assert_send(broadcast_company_event(
        dynamic,
        CompanyMemberChange::Joined,
        [id],
        id,
    ));
    assert_send(broadcast_company_visibility(dynamic, id, [Some(id)]));
    let opt = ContactOptPayload {
        contact_uuid: id,
        opted_out_at: None,
    };
    assert_send(broadcast_list_event(dynamic, ContactOptChange::OptIn, opt));
    assert_send(subscribe(dynamic, &topic_lists()));
}
