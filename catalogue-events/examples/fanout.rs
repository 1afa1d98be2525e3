//! Who receives what: two admins' screens on the catalogue topic of an in-memory broker.
//!
//! Run it with `cargo run -p catalogue-events --example fanout`.

use catalogue_events::{
    BulkChangePayload, BulkKind, CardRefreshPayload, CardScope, CatalogueEvent, DataKind,
    broadcast, broadcast_bulk_change, broadcast_card_refresh, concerns_catalogue, subscribe,
};
use pubsub_core::{Delivery, Event, MemoryBroker, TypedSubscription};
use uuid::Uuid;

/// A screen: a label, the catalogue it shows, and its subscription.
struct Screen {
    label: &'static str,
    catalogue: Uuid,
    subscription: TypedSubscription<CatalogueEvent>,
}

/// Prints, for each screen, what it received since the last call and whether it acts on it.
fn show(step: &str, screens: &mut [Screen]) {
    println!("\n{step}");
    for screen in screens {
        let mut received = Vec::new();
        while let Ok(delivery) = screen.subscription.try_recv() {
            match delivery {
                Delivery::Message(event) => {
                    let verdict = if concerns_catalogue(&event, screen.catalogue) {
                        "re-fetch"
                    } else {
                        "ignore: other catalogue"
                    };
                    received.push(format!("{} ({verdict})", event.name()));
                }
                Delivery::Lagged(_) | Delivery::Gap => received.push("(reload)".to_owned()),
            }
        }
        let what = if received.is_empty() {
            "-".to_owned()
        } else {
            received.join(", ")
        };
        println!("  {:<26} {what}", screen.label);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), pubsub_core::Error> {
    let broker = MemoryBroker::new();
    let (doors, windows) = (Uuid::new_v4(), Uuid::new_v4());

    // Every screen subscribes before it loads.
    let mut screens = Vec::new();
    for (label, catalogue) in [
        ("Alice: Doors detail", doors),
        ("Bob: Doors detail", doors),
        ("Carol: Windows detail", windows),
    ] {
        screens.push(Screen {
            label,
            catalogue,
            subscription: subscribe(&broker).await?,
        });
    }

    broadcast(&broker, DataKind::Item, Some(Uuid::new_v4()), Some(doors)).await;
    show("1. An item of the Doors catalogue is saved:", &mut screens);

    broadcast(&broker, DataKind::Links, None, None).await;
    show(
        "2. A bulk manufacturer-supplier link sync (no uuid, no catalogue):",
        &mut screens,
    );

    let alice = screens[0].subscription.id();
    let refresh = CardRefreshPayload {
        catalogue_uuid: doors,
        scope: CardScope::Uncategorized,
        flash_uuid: Some(Uuid::new_v4()),
        flash_status: "ok".to_owned(),
    };
    broadcast_card_refresh(&broker, refresh, Some(alice)).await;
    show(
        "3. Alice reorders the uncategorized card (her own screen skips the event):",
        &mut screens,
    );

    let bulk = BulkChangePayload {
        catalogue_uuid: windows,
        kind: BulkKind::Trashed,
        uuids: vec![Uuid::new_v4(), Uuid::new_v4()],
    };
    let carol = screens[2].subscription.id();
    broadcast_bulk_change(&broker, bulk, Some(carol)).await;
    show("4. Carol trashes two Windows items:", &mut screens);
    Ok(())
}
