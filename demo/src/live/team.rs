//! A staff team's members, live: `staff:team:<uuid>` and `staff:people`, batched, one list
//! reload per batch.

use anyhow::Result;
use futures_util::StreamExt;
use pubsub_core::{BrokerExt, Delivery, LiveStreamExt};
use staff_events::{topic_people, topic_team};
use uuid::Uuid;

use super::{BATCH, Out, reason};
use crate::state::AppState;
use crate::views::team::members;

/// Follows `team` until the page closes.
///
/// # Errors
///
/// When the broker refuses the subscription, the store fails, or the page closes.
pub async fn run(state: AppState, team: Uuid, out: Out) -> Result<()> {
    let mut subscription = staff_events::subscribe(&*state.broker, &topic_team(team)).await?;
    // People's availability shows in the list too.
    state
        .broker
        .add_event_topic(&mut subscription, &topic_people())
        .await?;
    let mut batches = out.count(subscription).batch(64, BATCH);

    out.snapshot(members(&state.store, team).await?, None)
        .await?;

    while let Some(delivery) = batches.next().await {
        let reloaded = match &delivery {
            Delivery::Message(_) => None,
            notice => Some(reason(notice)),
        };
        out.snapshot(members(&state.store, team).await?, reloaded)
            .await?;
    }
    Ok(())
}
