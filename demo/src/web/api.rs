//! The JSON API the forms and buttons call. Each handler runs one action (write, then
//! broadcast) and answers with the record's id; pages learn of the change through their live
//! streams, like every other page.
//!
//! Every refusal is a 4xx with a plain-text body that says what is wrong: `invalid stock: must
//! be a whole number from 0 to 1000000, got 4294967295` (422, the bounds are
//! [`limits`](crate::actions::limits)); a body that does not parse or is not a JSON object
//! (400), has a field of the wrong type or a missing one (422, naming it), is not JSON (415) or
//! is over [`BODY_LIMIT`] (413); an unknown id (404).

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Number, json};
use uuid::Uuid;

use super::Id;
use crate::actions::limits::{PRICE_CENTS, STOCK};
use crate::actions::{ActionError, catalogue, crm, out_of_range, projects, staff};
use crate::jobs::start_job;
use crate::state::AppState;
use crate::store::Sample;

/// How many notices the burst button publishes.
pub(crate) const BURST: u32 = 300;

/// The largest request body the API reads, in bytes; a larger one is refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// At most this much of a parser's message goes back in an error body (it may quote the input).
const MESSAGE_CHARS: usize = 300;

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
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// A JSON object as the body, refused in the API's words: which field is wrong, that the body
/// is not an object (serde would otherwise read `[1, 2]` as a struct's fields in order), or that
/// it is too large.
pub(super) struct Body<T>(pub(super) T);

impl<S, T> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            let message = "request body must be `content-type: application/json`";
            return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, message).into_response());
        }
        let too_large = || {
            let message = format!("request body is larger than the limit of {BODY_LIMIT} bytes");
            (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
        };
        // A declared length over the limit is refused before any of the body is read.
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(too_large());
        }
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => too_large(),
                    status => (status, clip(rejection.body_text())).into_response(),
                })?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let message = "request body must be a JSON object";
            return Err((StatusCode::BAD_REQUEST, message).into_response());
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(body)) => Ok(Body(body)),
            Err(rejection) => {
                Err((rejection.status(), clip(rejection.body_text())).into_response())
            }
        }
    }
}

/// Whether the request says its body is JSON (`application/json`, or `application/<x>+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json"
        || mime
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// A parser's message, cut to [`MESSAGE_CHARS`] (it may quote the input).
pub(super) fn clip(text: String) -> String {
    match text.char_indices().nth(MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// A stock level as sent: a whole number in `0..=STOCK`.
fn stock(sent: &Number) -> Result<u32, ActionError> {
    sent.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n <= STOCK)
        .ok_or_else(|| out_of_range("stock", sent, &STOCK))
}

/// A price as sent: a whole number of cents in `0..=PRICE_CENTS`.
fn price_cents(sent: &Number) -> Result<u64, ActionError> {
    sent.as_u64()
        .filter(|n| *n <= PRICE_CENTS)
        .ok_or_else(|| out_of_range("price_cents", sent, &PRICE_CENTS))
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
    Body(form): Body<crm::InteractionForm>,
) -> Answer {
    Ok(with_id(crm::create_interaction(&state, form).await?.id))
}

async fn update_interaction(
    State(state): State<AppState>,
    Id(interaction): Id,
    Body(form): Body<crm::InteractionForm>,
) -> Answer {
    Ok(with_id(
        crm::update_interaction(&state, interaction, form).await?.id,
    ))
}

async fn delete_interaction(State(state): State<AppState>, Id(interaction): Id) -> Answer {
    crm::delete_interaction(&state, interaction).await?;
    Ok(with_id(interaction))
}

async fn burst(State(state): State<AppState>, Id(contact): Id) -> Answer {
    let sent = crm::burst(&state, contact, BURST).await?;
    Ok(Json(json!({ "id": contact, "sent": sent })))
}

#[derive(Deserialize)]
struct Title {
    title: String,
}

async fn add_assignment(
    State(state): State<AppState>,
    Id(project): Id,
    Body(body): Body<Title>,
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
    Id(assignment): Id,
    Body(body): Body<Status>,
) -> Answer {
    Ok(with_id(
        projects::set_status(&state, assignment, &body.status)
            .await?
            .id,
    ))
}

async fn delete_assignment(State(state): State<AppState>, Id(assignment): Id) -> Answer {
    projects::delete_assignment(&state, assignment).await?;
    Ok(with_id(assignment))
}

#[derive(Deserialize)]
struct PersonId {
    person_id: Uuid,
}

async fn add_member(
    State(state): State<AppState>,
    Id(team): Id,
    Body(body): Body<PersonId>,
) -> Answer {
    Ok(with_id(
        staff::add_member(&state, team, body.person_id).await?.id,
    ))
}

async fn remove_member(State(state): State<AppState>, Id(membership): Id) -> Answer {
    staff::remove_member(&state, membership).await?;
    Ok(with_id(membership))
}

async fn person_status(
    State(state): State<AppState>,
    Id(person): Id,
    Body(body): Body<Status>,
) -> Answer {
    Ok(with_id(
        staff::set_status(&state, person, &body.status).await?.id,
    ))
}

// Numbers arrive as any JSON number, so that a negative, fractional or huge one is refused
// with the bound rather than with the parser's "expected u32".
#[derive(Deserialize)]
struct NewItem {
    name: String,
    price_cents: Number,
    stock: Number,
}

#[derive(Deserialize)]
struct EditItem {
    price_cents: Option<Number>,
    stock: Option<Number>,
}

async fn add_item(
    State(state): State<AppState>,
    Id(catalogue_id): Id,
    Body(body): Body<NewItem>,
) -> Answer {
    let item = catalogue::add_item(
        &state,
        catalogue_id,
        &body.name,
        price_cents(&body.price_cents)?,
        stock(&body.stock)?,
    )
    .await?;
    Ok(with_id(item.id))
}

async fn edit_item(
    State(state): State<AppState>,
    Id(item): Id,
    Body(body): Body<EditItem>,
) -> Answer {
    let edit = catalogue::ItemEdit {
        price_cents: body.price_cents.as_ref().map(price_cents).transpose()?,
        stock: body.stock.as_ref().map(stock).transpose()?,
    };
    Ok(with_id(catalogue::edit_item(&state, item, edit).await?.id))
}

#[derive(Deserialize)]
struct RunJob {
    resource_id: Uuid,
}

async fn run_job(State(state): State<AppState>, Body(body): Body<RunJob>) -> Answer {
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

async fn simulate(State(state): State<AppState>, Body(body): Body<Switch>) -> Answer {
    state.simulating.store(body.on, Ordering::Relaxed);
    Ok(Json(json!({ "on": body.on })))
}
