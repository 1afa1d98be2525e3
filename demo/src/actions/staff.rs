//! Team memberships and people's availability; each followed by the `staff-events` broadcast.

use staff_events::{
    PersonChange, PersonPayload, TeamMembershipChange, TeamMembershipPayload, broadcast_person,
    broadcast_team_membership,
};
use uuid::Uuid;

use super::{ActionError, not_found, one_of};
use crate::state::AppState;
use crate::store::model::{Membership, Person, Team};

/// The availability a person can have.
pub const STATUSES: [&str; 3] = ["available", "busy", "away"];

fn payload(membership: &Membership) -> TeamMembershipPayload {
    TeamMembershipPayload {
        team_uuid: membership.team_id,
        staff_person_uuid: membership.person_id,
        uuid: membership.id,
    }
}

/// Adds a person to a team (a no-op returning the existing membership if already a member).
///
/// # Errors
///
/// An unknown team or person; a store failure.
pub async fn add_member(
    state: &AppState,
    team: Uuid,
    person: Uuid,
) -> Result<Membership, ActionError> {
    if state.store.get::<Team>(team).await?.is_none() {
        return Err(not_found::<Team>(team));
    }
    if state.store.get::<Person>(person).await?.is_none() {
        return Err(not_found::<Person>(person));
    }
    let existing = state
        .store
        .filter::<Membership>(|m| m.team_id == team && m.person_id == person)
        .await?;
    if let Some(membership) = existing.into_iter().next() {
        return Ok(membership);
    }
    let membership = Membership {
        id: Uuid::new_v4(),
        team_id: team,
        person_id: person,
    };
    state.store.put(&membership).await?;
    broadcast_team_membership(
        &*state.broker,
        TeamMembershipChange::Added,
        payload(&membership),
    )
    .await;
    Ok(membership)
}

/// Removes a membership.
///
/// # Errors
///
/// An unknown membership; a store failure.
pub async fn remove_member(state: &AppState, id: Uuid) -> Result<(), ActionError> {
    let membership = state
        .store
        .get::<Membership>(id)
        .await?
        .ok_or_else(|| not_found::<Membership>(id))?;
    state.store.delete::<Membership>(id).await?;
    broadcast_team_membership(
        &*state.broker,
        TeamMembershipChange::Removed,
        payload(&membership),
    )
    .await;
    Ok(())
}

/// Sets a person's availability.
///
/// # Errors
///
/// An unknown person or status; a store failure.
pub async fn set_status(state: &AppState, id: Uuid, status: &str) -> Result<Person, ActionError> {
    one_of("status", status, &STATUSES)?;
    let mut person = state
        .store
        .get::<Person>(id)
        .await?
        .ok_or_else(|| not_found::<Person>(id))?;
    status.clone_into(&mut person.status);
    state.store.put(&person).await?;
    broadcast_person(
        &*state.broker,
        PersonChange::Updated,
        PersonPayload { uuid: id },
    )
    .await;
    Ok(person)
}
