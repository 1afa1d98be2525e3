//! The JSON API the forms and buttons call. Each handler runs one action (write, then
//! broadcast) and answers with the record's id; pages learn of the change through their live
//! streams, like every other page.

use std::sync::atomic::Ordering;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::actions::{ActionError, catalogue, crm, projects, staff};
use crate::jobs::start_job;
use crate::state::AppState;
use crate::store::Sample;

/// How many notices the burst button publishes.
pub(crate) const BURST: u32 = 300;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/interactions", post(create_interaction))
        .route("/api/interactions/{id}", post(update_interaction))
        .route("/api/interactions/{id}/delete", post(delete_interaction))
        .route("/api/contacts/{id}/burst", post(burst))
        .route("/api/projects/{id}/assignments", post(add_assignment))
        .route("/api/assignments/{id}/status", post(assignment_status))
        .route("/api/assignments/{id}/delete", post(delete_assignment))
        .route("/api/teams/{id}/members", post(add_member))
        .route("/api/memberships/{id}/delete", post(remove_member))
        .route("/api/people/{id}/status", post(person_status))
        .route("/api/catalogues/{id}/items", post(add_item))
        .route("/api/items/{id}", post(edit_item))
        .route("/api/jobs", post(run_job))
        .route("/api/simulate", post(simulate))
}

impl IntoResponse for ActionError {
    fn into_response(self) -> Response {
        let status = match self {
            ActionError::NotFound { .. } => StatusCode::NOT_FOUND,
            ActionError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ActionError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, self.to_string()).into_response()
    }
}

type Answer = Result<Json<serde_json::Value>, ActionError>;

fn with_id(id: Uuid) -> Json<serde_json::Value> {
    Json(json!({ "id": id }))
}

async fn create_interaction(
    State(state): State<AppState>,
    Json(form): Json<crm::InteractionForm>,
) -> Answer {
    Ok(with_id(crm::create_interaction(&state, form).await?.id))
}

async fn update_interaction(
    State(state): State<AppState>,
    Path(interaction): Path<Uuid>,
    Json(form): Json<crm::InteractionForm>,
) -> Answer {
    Ok(with_id(
        crm::update_interaction(&state, interaction, form).await?.id,
    ))
}

async fn delete_interaction(
    State(state): State<AppState>,
    Path(interaction): Path<Uuid>,
) -> Answer {
    crm::delete_interaction(&state, interaction).await?;
    Ok(with_id(interaction))
}

async fn burst(State(state): State<AppState>, Path(contact): Path<Uuid>) -> Answer {
    let sent = crm::burst(&state, contact, BURST).await?;
    Ok(Json(json!({ "id": contact, "sent": sent })))
}

#[derive(Deserialize)]
struct Title {
    title: String,
}

async fn add_assignment(
    State(state): State<AppState>,
    Path(project): Path<Uuid>,
    Json(body): Json<Title>,
) -> Answer {
    Ok(with_id(
        projects::add_assignment(&state, project, &body.title)
            .await?
            .id,
    ))
}

#[derive(Deserialize)]
struct Status {
    status: String,
}

async fn assignment_status(
    State(state): State<AppState>,
    Path(assignment): Path<Uuid>,
    Json(body): Json<Status>,
) -> Answer {
    Ok(with_id(
        projects::set_status(&state, assignment, &body.status)
            .await?
            .id,
    ))
}

async fn delete_assignment(State(state): State<AppState>, Path(assignment): Path<Uuid>) -> Answer {
    projects::delete_assignment(&state, assignment).await?;
    Ok(with_id(assignment))
}

#[derive(Deserialize)]
struct PersonId {
    person_id: Uuid,
}

async fn add_member(
    State(state): State<AppState>,
    Path(team): Path<Uuid>,
    Json(body): Json<PersonId>,
) -> Answer {
    Ok(with_id(
        staff::add_member(&state, team, body.person_id).await?.id,
    ))
}

async fn remove_member(State(state): State<AppState>, Path(membership): Path<Uuid>) -> Answer {
    staff::remove_member(&state, membership).await?;
    Ok(with_id(membership))
}

async fn person_status(
    State(state): State<AppState>,
    Path(person): Path<Uuid>,
    Json(body): Json<Status>,
) -> Answer {
    Ok(with_id(
        staff::set_status(&state, person, &body.status).await?.id,
    ))
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
    price_cents: u64,
    stock: u32,
}

async fn add_item(
    State(state): State<AppState>,
    Path(catalogue_id): Path<Uuid>,
    Json(body): Json<NewItem>,
) -> Answer {
    let item = catalogue::add_item(
        &state,
        catalogue_id,
        &body.name,
        body.price_cents,
        body.stock,
    )
    .await?;
    Ok(with_id(item.id))
}

async fn edit_item(
    State(state): State<AppState>,
    Path(item): Path<Uuid>,
    Json(edit): Json<catalogue::ItemEdit>,
) -> Answer {
    Ok(with_id(catalogue::edit_item(&state, item, edit).await?.id))
}

#[derive(Deserialize)]
struct RunJob {
    resource_id: Uuid,
}

async fn run_job(State(state): State<AppState>, Json(body): Json<RunJob>) -> Answer {
    let Some((_, name)) = Sample::RESOURCES
        .iter()
        .find(|(r, _)| *r == body.resource_id)
    else {
        return Err(ActionError::NotFound {
            kind: "resource",
            id: body.resource_id,
        });
    };
    Ok(with_id(start_job(&state, body.resource_id, name).await?.id))
}

#[derive(Deserialize)]
struct Switch {
    on: bool,
}

async fn simulate(State(state): State<AppState>, Json(body): Json<Switch>) -> Answer {
    state.simulating.store(body.on, Ordering::Relaxed);
    Ok(Json(json!({ "on": body.on })))
}
