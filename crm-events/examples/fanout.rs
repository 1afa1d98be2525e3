//! Who receives what: a small CRM scenario on an in-memory broker.
//!
//! Run it with `cargo run -p crm-events --example fanout`.

use crm_events::{
    CompanyMemberChange, CrmEvent, Interaction, InteractionChange, ListChange, ListPayload, Party,
    broadcast_company_event, broadcast_company_visibility, broadcast_interaction,
    broadcast_interaction_update, broadcast_list_event, subscribe, topic_company,
    topic_company_interactions, topic_contact_interactions, topic_lists,
};
use pubsub_core::{Delivery, Event, MemoryBroker, TypedSubscription};
use uuid::Uuid;

/// A screen: a label and its subscription.
struct Screen {
    label: &'static str,
    subscription: TypedSubscription<CrmEvent>,
}

/// Prints, for each screen, what it received since the last call.
fn show(step: &str, screens: &mut [Screen]) {
    println!("\n{step}");
    for screen in screens {
        let mut received = Vec::new();
        while let Ok(delivery) = screen.subscription.try_recv() {
            match delivery {
                Delivery::Message(event) => received.push(event.name()),
                Delivery::Lagged(_) | Delivery::Gap => received.push("(reload)"),
            }
        }
        let what = if received.is_empty() {
            "-".to_owned()
        } else {
            received.join(", ")
        };
        println!("  {:<28} {what}", screen.label);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), pubsub_core::Error> {
    let broker = MemoryBroker::new();
    let (ann, bob, cat, acme) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );

    // Every screen subscribes before it loads.
    let topics = [
        ("Ann's interactions tab", topic_contact_interactions(ann)),
        ("Bob's interactions tab", topic_contact_interactions(bob)),
        ("Cat's interactions tab", topic_contact_interactions(cat)),
        ("Acme's interaction feed", topic_company_interactions(acme)),
        ("Acme's roster", topic_company(acme)),
        ("Mailing lists page", topic_lists()),
    ];
    let mut screens = Vec::new();
    for (label, topic) in topics {
        screens.push(Screen {
            label,
            subscription: subscribe(&broker, &topic).await?,
        });
    }

    let call = Interaction::new(Uuid::new_v4())
        .with_contact(ann)
        .with_company(acme)
        .with_parties([
            Party::contact(bob),
            Party::contact(ann),
            Party::unresolved(),
        ]);
    broadcast_interaction(&broker, InteractionChange::Created, &call).await;
    show(
        "1. A call with Ann (subject, also a party), Bob and a guest, anchored to Acme, is logged:",
        &mut screens,
    );

    let edited = call.clone().with_parties([Party::contact(cat)]);
    broadcast_interaction_update(&broker, &call, &edited).await;
    show(
        "2. The call is edited: Bob is replaced by Cat (Bob still hears, to drop it):",
        &mut screens,
    );

    broadcast_company_event(&broker, CompanyMemberChange::Joined, [acme], cat).await;
    show("3. Cat joins Acme:", &mut screens);

    broadcast_company_visibility(&broker, acme, [ann, cat]).await;
    show(
        "4. Acme's interactions are hidden from Ann's and Cat's feeds:",
        &mut screens,
    );

    let list = ListPayload {
        list_uuid: Uuid::new_v4(),
        subscriber_count: 120,
        status: "active".to_owned(),
    };
    broadcast_list_event(&broker, ListChange::Recounted, list).await;
    show("5. A mailing list is recounted:", &mut screens);
    Ok(())
}
